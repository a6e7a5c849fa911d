"""The core built-in library the interpreter and SQL build on: tables and their mutation, array
vectors, vectors (sort, distinct, iif ...), typestr/type/form, dictionaries, sets and pairs.
Operators and casts are in ops.py; the other built-ins, by theme, in builtins/."""
from __future__ import annotations

import threading
import ipaddress
import uuid as _uuid

import numpy as np

from ..model.values import (ANY, ARRAY_BASE, BOOL, CHAR, DATE, DATEHOUR, DATEMINUTE, DATETIME, DECIMAL128, DECIMAL32,
                            DECIMAL64, DOUBLE, FLOAT, INT, INT128, IPADDR, LONG, MATRIX, MINUTE, MONTH, NANOTIME,
                            NANOTIMESTAMP, PAIR, SCALAR, SECOND, SET, SHORT, STORAGE_DTYPE, STRING, SYMBOL, TABLE,
                            TIME, TIMESTAMP, TYPE_NAMES, UUID, VECTOR, VOID, ArrayVector, Dictionary, Matrix, Scalar,
                            Table, Vector, null_of, type_name)
from . import ops  # noqa: F401  (registers the operators)
from ..errors import ScriptError
from ..model.types import TYPE_BY_NAME
from .ops import cast, make_pair
from .scope import broadcast
from .registry import builtin
from ..model.columns import (FLOATING, INTEGRAL, NUMERIC, RANK, S, TEMPORAL, V, as_array, column_copy, element,
                             format_value, is_scalar, length, make, null_mask, scalar_storage, strings_of,
                             table_rows, take_rows, to_int, to_str, vector_of)


def _constant(value):
    def fn(ctx):
        return value
    fn.is_constant = True
    return fn


class ScaledType(Scalar):
    """A DECIMAL type with its scale as a type argument: DECIMAL32(2), DECIMAL64(10)[]. Not a plain
    Scalar, so a list of types holding one stays a tuple and keeps each scale."""


def _decimal_type(t):
    def fn(ctx, scale=None):
        return S(INT, t) if scale is None else ScaledType(INT, t, to_int(scale))
    fn.is_constant = True
    return fn


for _t, _name in TYPE_NAMES.items():
    if _t in (DECIMAL32, DECIMAL64, DECIMAL128):
        builtin(_name, 0, 1)(_decimal_type(_t))
    else:
        builtin(_name, 0)(_constant(S(INT, _t)))


# ---- tables -------------------------------------------------------------------------------
def empty_column(t, n=0, scale=0):
    if t >= ARRAY_BASE and t < 128:
        return ArrayVector(t, np.zeros(n + 1, dtype=np.int64),
                           Vector(t - ARRAY_BASE, np.empty(0, STORAGE_DTYPE.get(t - ARRAY_BASE, object)), scale))
    if t in STORAGE_DTYPE:
        return Vector(t, np.full(n, null_of(t), dtype=STORAGE_DTYPE[t]), scale)
    if t == VOID:
        return Vector(VOID, None, length_=n)
    return V(t, [null_of(t)] * n)


@builtin("table", 1, None)
def table(ctx, *args):
    if len(args) == 3 and isinstance(args[0], Vector) and args[0].form == PAIR:
        capacity_size = int(args[0].data[1])
        names = strings_of(args[1])
        types = args[2]
        tlist = [(int(x), 0) for x in types.data] if isinstance(types, Vector) and types.type != ANY else \
            [(int(x.value), x.scale) if x.type == INT else (TYPE_BY_NAME[(x.value or "").upper()], 0)
             for x in types.data]
        if len(names) != len(tlist):
            raise ScriptError("The number of column names must match the number of column types")
        return Table({n: empty_column(t, capacity_size, scale) for n, (t, scale) in zip(names, tlist)})
    raise ScriptError("table() needs columns: table(v1 as a, v2 as b) or table(capacity:size, names, types)")


def table_from_columns(ctx, named):
    cols = {}
    n = None
    for name, v in named:
        if isinstance(v, Table):
            for k, c in v.columns.items():
                cols[k] = column_copy(c)
            continue
        if isinstance(v, Scalar):
            v = vector_of([v])
        if not isinstance(v, (Vector, ArrayVector)):
            raise ScriptError("table() columns must be vectors")
        if n is not None and len(v) != n:
            raise ScriptError("All columns must have the same length")
        n = len(v)
        cols[name] = column_copy(v) if v.type != SYMBOL else Vector(SYMBOL, v.data.copy())
    return Table(cols)


@builtin("streamTable", 1, None)
def stream_table(ctx, *args):
    return table(ctx, *args)


@builtin("keyedTable", 2, None)
def keyed_table(ctx, keys, *args):
    t = table(ctx, *args)
    t.keys = strings_of(keys)
    return t


def table_changing(ctx, t):
    """Called before a table changes: a shared table under access control needs TABLE_WRITE."""
    state = getattr(getattr(ctx, "server", None), "state", None)
    if state is not None:
        state.check_write(ctx.user, t)


def table_changed(ctx, t):
    server = getattr(ctx, "server", None)
    state = getattr(server, "state", None)
    if state is not None:
        state.table_changed(t)


# Sessions on every node of a cluster write the same shared tables from their own threads; an
# append reads and replaces each column, so two unguarded appends could lose one's rows.
_APPEND_LOCK = threading.RLock()


def append_columns(t: Table, cols) -> int:
    """Appends and returns the rows added (counted under the lock: other sessions append too)."""
    with _APPEND_LOCK:
        before = t.rows
        _append_columns(t, cols)
        return t.rows - before


def _append_columns(t: Table, cols):
    if len(cols) != len(t.columns):
        raise ScriptError("The number of columns of the table to insert must be the same as that of the original table.")
    for (name, col), new in zip(list(t.columns.items()), cols):
        if isinstance(new, Scalar):
            new = vector_of([new])
        if isinstance(col, ArrayVector):
            t.columns[name] = concat_array_vectors(col, rows_as_array_vector(new, col, name))
            continue
        if new.type != col.type or (new.type in (DECIMAL32, DECIMAL64, DECIMAL128) and new.scale != col.scale):
            if col.type == VOID:
                t.columns[name] = column_copy(new)
                continue
            new = cast(new, col.type, col.scale)
        if col.data is None:
            t.columns[name] = Vector(VOID, None, length_=len(col) + len(new))
        else:
            data = np.concatenate([col.data, np.asarray(new.data, dtype=col.data.dtype)])
            t.columns[name] = Vector(col.type, data, col.scale)


def table_insert_columns(ctx, t, cols):
    table_changing(ctx, t)
    added = append_columns(t, cols)
    table_changed(ctx, t)
    return added


@builtin("tableInsert", 2, None)
def table_insert(ctx, t, *args):
    if not isinstance(t, Table):
        raise ScriptError("The first argument of tableInsert must be a table")
    if len(args) == 1 and isinstance(args[0], Table):
        src = args[0]
        cols = [src.columns[n] if n in src.columns else list(src.columns.values())[i]
                for i, n in enumerate(t.columns)] if len(src.columns) == len(t.columns) else None
        if cols is None:
            raise ScriptError("The number of columns of the table to insert must be the same as that of the original table.")
        return S(INT, table_insert_columns(ctx, t, cols))
    if len(args) == 1 and isinstance(args[0], Vector) and args[0].type == ANY:
        args = tuple(args[0].data)
    return S(INT, table_insert_columns(ctx, t, list(args)))


@builtin("append!", 2, aliases=("push!",))
def append_(ctx, obj, new):
    if isinstance(obj, Table):
        table_insert(ctx, obj, new)
        return obj
    if isinstance(obj, ArrayVector):
        grown = concat_array_vectors(obj, rows_as_array_vector(new, obj, "append!"))
        obj.offsets, obj.values = grown.offsets, grown.values
        return obj
    if isinstance(obj, Vector) and obj.data is not None:
        new = cast(new, obj.type, obj.scale) if (new.type, new.scale) != (obj.type, obj.scale) else new
        extra = np.atleast_1d(np.asarray(scalar_storage(new) if is_scalar(new) else new.data, dtype=obj.data.dtype))
        obj.data = np.concatenate([obj.data, extra])
        return obj
    raise ScriptError("append! needs a table or a vector")


# ---- array vectors -------------------------------------------------------------------------
# Element types an array vector holds (fixed width; no STRING / SYMBOL / BLOB / ANY).
ARRAY_ELEMENT_TYPES = frozenset({BOOL, CHAR, SHORT, INT, LONG, DATE, MONTH, TIME, MINUTE, SECOND, DATETIME,
                                 TIMESTAMP, NANOTIME, NANOTIMESTAMP, DATEHOUR, DATEMINUTE, FLOAT, DOUBLE,
                                 DECIMAL32, DECIMAL64, DECIMAL128, UUID, IPADDR, INT128})


def _elements_as(values: Vector, like: ArrayVector) -> Vector:
    """Elements converted to `like`'s element type and DECIMAL scale."""
    t, scale = like.values.type, like.values.scale
    if values.type == t and values.scale == scale:
        return values
    return cast(values, t, scale)


def array_vector_from_rows(rows, elem_type, scale=0) -> ArrayVector:
    """An array vector whose row i is rows[i] (a Vector or a Scalar) cast to elem_type."""
    if elem_type not in ARRAY_ELEMENT_TYPES:
        raise ScriptError(f"Not allowed to create a vector with type {type_name(elem_type + ARRAY_BASE)}")
    like = ArrayVector(elem_type + ARRAY_BASE, np.zeros(1, dtype=np.int64),
                       Vector(elem_type, np.empty(0, STORAGE_DTYPE.get(elem_type, object)), scale))
    parts, offsets = [], [0]
    for row in rows:
        if isinstance(row, Scalar):     # a scalar row; a NULL row holds one NULL
            row = Vector(VOID, None, length_=1) if row.type == VOID else vector_of([row])
        if not isinstance(row, Vector) or row.type == ANY:
            raise ScriptError("Each row of an array vector must be a vector of its element type")
        part = _elements_as(row, like).data
        parts.append(np.asarray(part, dtype=like.values.data.dtype))
        offsets.append(offsets[-1] + len(part))
    data = np.concatenate(parts) if parts else like.values.data
    return ArrayVector(like.type, np.array(offsets, dtype=np.int64), Vector(elem_type, data, scale))


def rows_as_array_vector(new, like: ArrayVector, what) -> ArrayVector:
    """What an append to `like` gives: an array vector, a tuple/ANY vector of rows, or one row."""
    if isinstance(new, ArrayVector):
        return ArrayVector(like.type, new.offsets, _elements_as(new.values, like))
    if isinstance(new, Vector) and new.type == ANY:
        return array_vector_from_rows(new.data, like.values.type, like.values.scale)
    if isinstance(new, (Vector, Scalar)):
        return array_vector_from_rows([new], like.values.type, like.values.scale)
    raise ScriptError(f"{what} expects an array vector")


def concat_array_vectors(a: ArrayVector, b: ArrayVector) -> ArrayVector:
    offsets = np.concatenate([a.offsets, b.offsets[1:] - b.offsets[0] + a.offsets[-1]])
    tail = b.values.data[b.offsets[0]:b.offsets[-1]]
    values = np.concatenate([a.values.data, np.asarray(tail, dtype=a.values.data.dtype)])
    return ArrayVector(a.type, offsets, Vector(a.values.type, values, a.values.scale))


@builtin("arrayVector", 2)
def array_vector(ctx, index, value):
    """arrayVector(index, value): row i ends at position index[i] of value (1-based, strictly
    increasing, at most size(value))."""
    if not isinstance(value, Vector) or value.form != VECTOR or value.data is None:
        raise ScriptError("The argument 'value' of arrayVector must be a typed vector")
    if value.type not in ARRAY_ELEMENT_TYPES:
        raise ScriptError(f"Not allowed to create a vector with type {type_name(value.type + ARRAY_BASE)}")
    if not isinstance(index, Vector) or index.type not in (CHAR, SHORT, INT, LONG):
        raise ScriptError("The argument 'index' of arrayVector must be an integral vector")
    ends = np.asarray(index.data, dtype=np.int64)
    if null_mask(index).any() or (ends <= 0).any() or (np.diff(ends) <= 0).any():
        raise ScriptError("The argument 'index' of arrayVector must be strictly increasing positive integers")
    if len(ends) and ends[-1] > len(value):
        raise ScriptError("The last element of the argument 'index' of arrayVector exceeds the size of 'value'")
    n = int(ends[-1]) if len(ends) else 0
    data = value.data[:n].copy()
    offsets = np.concatenate([np.zeros(1, dtype=np.int64), ends])
    return ArrayVector(value.type + ARRAY_BASE, offsets, Vector(value.type, data, value.scale))


@builtin("rowSize", 1)
def row_size(ctx, x):
    if not isinstance(x, ArrayVector):
        raise ScriptError("rowSize needs an array vector")
    return make(INT, np.diff(x.offsets).astype(np.int32), False)


@builtin("flatten", 1)
def flatten(ctx, x):
    if isinstance(x, ArrayVector):
        return Vector(x.values.type, x.values.data[x.offsets[0]:x.offsets[-1]].copy(), x.values.scale)
    if isinstance(x, Vector):
        return column_copy(x)
    raise ScriptError("flatten needs a vector")


@builtin("replaceColumn!", 3)
def replace_column(ctx, t, name, value):
    n = to_str(name)
    if n not in t.columns:
        raise ScriptError(f"Unrecognized column name {n}")
    if len(value) != t.rows:
        raise ScriptError("The new column must have the same length as the table")
    table_changing(ctx, t)
    t.columns[n] = column_copy(value)
    table_changed(ctx, t)
    return t


def set_column(t: Table, name, value):
    if isinstance(value, Scalar):
        value = broadcast(value, t.rows)
    if len(value) != t.rows:
        raise ScriptError("The new column must have the same length as the table")
    t.columns[name] = column_copy(value)


@builtin("addColumn", 3)
def add_column(ctx, t, names, types):
    for n, ty in zip(strings_of(names), np.atleast_1d(as_array(types))):
        t.columns[n] = empty_column(int(ty), t.rows)
    return t


@builtin("columnNames", 1)
def column_names(ctx, t):
    return V(STRING, list(t.columns))


@builtin("schema", 1)
def schema(ctx, t):
    names = list(t.columns)
    col_defs = Table({"name": V(STRING, names),
                      "typeString": V(STRING, [type_name(c.type) for c in t.columns.values()]),
                      "typeInt": V(INT, [c.type for c in t.columns.values()]),
                      "comment": V(STRING, [""] * len(names))})
    return Dictionary(V(STRING, ["colDefs"]), Vector(ANY, [col_defs]))


@builtin("rows", 1)
def rows(ctx, t):
    return S(INT, length(t))


@builtin("cols", 1)
def cols(ctx, t):
    if isinstance(t, Table):
        return S(INT, len(t.columns))
    if isinstance(t, Matrix):
        return S(INT, t.data.shape[1])
    return S(INT, 1)


@builtin("size", 1)
def size(ctx, x):
    return S(INT, length(x))


@builtin("count", 1, aggregate=True)
def count(ctx, x):
    if isinstance(x, Scalar):
        return S(INT, 0 if x.type == VOID else 1)
    if isinstance(x, Table):
        return S(INT, x.rows)
    return S(INT, int(np.count_nonzero(~null_mask(x))) if not isinstance(x, ArrayVector) else len(x))


@builtin("typestr", 1)
def typestr(ctx, x):
    if isinstance(x, Table):
        return S(STRING, "IN-MEMORY TABLE")
    if isinstance(x, Dictionary):
        return S(STRING, "DICTIONARY")
    name = type_name(x.type)
    if isinstance(x, Scalar):
        return S(STRING, name)
    if isinstance(x, Vector) and x.form == PAIR:
        return S(STRING, name + " PAIR")
    if isinstance(x, Matrix):
        return S(STRING, "FAST " + name + " MATRIX")
    if x.type == ANY:
        return S(STRING, "ANY VECTOR")
    return S(STRING, ("FAST " if x.type in NUMERIC + TEMPORAL else "") + name + " VECTOR")


@builtin("type", 1)
def type_(ctx, x):
    return S(INT, 0 if isinstance(x, Table) else x.type)


@builtin("form", 1)
def form(ctx, x):
    return S(INT, {Scalar: SCALAR, Table: TABLE, Dictionary: 5, Matrix: MATRIX}.get(type(x), getattr(x, "form", VECTOR)))


# ---- vectors -------------------------------------------------------------------------------
@builtin("til", 1)
def til(ctx, n):
    return Vector(INT, np.arange(to_int(n), dtype=np.int32))


@builtin("seq", 2)
def seq(ctx, a, b):
    if isinstance(a, Scalar) and isinstance(b, Scalar) and a.type in TEMPORAL and a.type == b.type \
            and a.value is not None and b.value is not None:     # 2024.01.01..2024.01.31
        step = 1 if b.value >= a.value else -1
        return make(a.type, np.arange(a.value, b.value + step, step), False)
    lo, hi = to_int(a), to_int(b)
    step = 1 if hi >= lo else -1
    rt = LONG if LONG in (a.type, b.type) else INT
    return make(rt, np.arange(lo, hi + step, step), False)


@builtin("join", 2)
def join(ctx, x, y):
    """x <- y: a new vector of x's elements followed by y's."""
    if isinstance(x, Table) or isinstance(y, Table):
        raise ScriptError("join (<-) of tables is not supported; use tableInsert or unionAll")
    a = x if isinstance(x, Vector) else vector_of([x])
    b = cast(y, a.type) if y.type != a.type and a.type != ANY else y
    b = b if isinstance(b, Vector) else vector_of([b])
    if a.type == ANY:
        return Vector(ANY, list(a.data) + (list(b.data) if b.type == ANY else [element(b, i) for i in range(len(b))]))
    return Vector(a.type, np.concatenate([a.data, np.asarray(b.data, dtype=a.data.dtype)]), a.scale)


@builtin("take", 2)
def take(ctx, x, n):
    count = to_int(n)
    if isinstance(x, Table):
        return table_rows(x, np.arange(count) % max(x.rows, 1))
    v = vector_of([x]) if is_scalar(x) else x
    if len(v) == 0:
        raise ScriptError("take of an empty vector")
    return take_rows(v, np.arange(count) % len(v))


@builtin("rand", 2)
def rand(ctx, x, n):
    count = to_int(n) if is_scalar(n) else None
    rng = np.random.default_rng()
    if isinstance(x, Scalar) and x.type in INTEGRAL:
        return make(INT if x.type != LONG else LONG, rng.integers(0, max(x.value, 1), count), False)
    if isinstance(x, Scalar) and x.type in FLOATING:
        return make(DOUBLE, rng.random(count) * x.value, False)
    if isinstance(x, Vector):
        return take_rows(x, rng.integers(0, len(x), count))
    raise ScriptError("rand needs a number or a vector")


@builtin("norm", 3)
def norm(ctx, mean, std, n):
    return make(DOUBLE, np.random.default_rng().normal(mean.value, std.value, to_int(n)), False)


@builtin("array", 1, 3)
def array(ctx, t, n=None, capacity=None):
    return empty_column(to_int(t), to_int(n) if n is not None else 0, t.scale if isinstance(t, Scalar) else 0)


builtin("bigarray", 1, 3)(array)


@builtin("sort", 1, 2)
def sort(ctx, x, ascending=None):
    arr = as_array(x)
    idx = np.argsort(arr if arr.dtype != object else arr.astype(str), kind="stable")
    if ascending is not None and not ascending.value:
        idx = idx[::-1]
    return take_rows(x, idx)


@builtin("sort!", 1, 2)
def sort_(ctx, x, ascending=None):
    r = sort(ctx, x, ascending)
    x.data = r.data
    return x


@builtin("reverse", 1)
def reverse(ctx, x):
    return take_rows(x, np.arange(len(x))[::-1])


@builtin("distinct", 1)
def distinct(ctx, x):
    arr = as_array(x)
    _, idx = np.unique(arr.astype(str) if arr.dtype == object else arr, return_index=True)
    return take_rows(x, np.sort(idx))


@builtin("in", 2)
def in_(ctx, x, y):
    values = as_array(y) if not isinstance(y, Dictionary) else as_array(y.keys)
    arr = as_array(x)
    r = np.isin(arr.astype(str) if arr.dtype == object else arr,
                values.astype(str) if values.dtype == object else values)
    return make(BOOL, np.asarray(r).astype(np.int8), is_scalar(x))


@builtin("isNull", 1)
def is_null(ctx, x):
    return make(BOOL, np.asarray(null_mask(x)).astype(np.int8), is_scalar(x))


@builtin("isValid", 1)
def is_valid(ctx, x):
    return make(BOOL, (~np.asarray(null_mask(x))).astype(np.int8), is_scalar(x))


@builtin("nullFill", 2)
def null_fill(ctx, x, y):
    fill = cast(y, x.type)
    mask = null_mask(x)
    r = np.where(mask, scalar_storage(fill), as_array(x))
    return make(x.type, r, is_scalar(x))


@builtin("iif", 3)
def iif(ctx, cond, a, b):
    c = as_array(cond) == 1
    rt = a.type if a.type == b.type else max(a.type, b.type, key=lambda t: RANK.get(t, -1))
    A, B = as_array(cast(a, rt) if a.type != rt else a), as_array(cast(b, rt) if b.type != rt else b)
    return make(rt, np.where(c, A, B), is_scalar(cond))


# ---- other forms ---------------------------------------------------------------------------
@builtin("dict", 2, 3)
def dict_(ctx, a, b, ordered=None):
    if isinstance(a, Scalar) and a.type == INT and isinstance(b, Scalar) and b.type == INT:
        return Dictionary(empty_column(a.value), empty_column(b.value))
    if len(a) != len(b):
        raise ScriptError("The keys and values of a dictionary must have the same length")
    return Dictionary(column_copy(a), column_copy(b))


def dict_set(d: Dictionary, key, value):
    keys = list(d.keys.data)
    k = key.value
    if k in keys:
        i = keys.index(k)
        if d.values.type == ANY:
            d.values.data[i] = value
        else:
            d.values.data[i] = scalar_storage(cast(value, d.values.type))
        return
    append_(None, d.keys, key)
    if d.values.type == ANY:
        d.values.data.append(value)
    else:
        append_(None, d.values, value)


@builtin("set", 1)
def set_(ctx, x):
    d = distinct(ctx, x)
    return Vector(d.type, d.data, d.scale, form=SET)


@builtin("pair", 0, 2)
def pair(ctx, a=None, b=None):
    """pair(a, b); an omitted element (pair(,)) is NULL."""
    return make_pair(S(VOID, None) if a is None else a, S(VOID, None) if b is None else b)


@builtin("matrix", 1, None)
def matrix(ctx, *args):
    if len(args) == 3 and is_scalar(args[0]) and args[0].type == INT:
        return Matrix(args[0].value, np.zeros((to_int(args[1]), to_int(args[2])), dtype=STORAGE_DTYPE[args[0].value]))
    cols = [a for a in args]
    t = cols[0].type
    return Matrix(t, np.column_stack([as_array(c) for c in cols]))


@builtin("uuid", 0, 1)
def uuid_(ctx, x=None):
    if x is None:
        return S(UUID, None)
    def parse(s):
        return _uuid.UUID(s).int if s else 0
    if isinstance(x, Scalar):
        return S(UUID, parse(x.value) or None)
    return make(UUID, np.array([parse(s) for s in x.data], dtype=object), False)


@builtin("int128", 0, 1)
def int128(ctx, x=None):
    if x is None:
        return S(INT128, None)
    def parse(s):
        return int(s, 16) if s else 0
    if isinstance(x, Scalar):
        return S(INT128, parse(x.value) or None)
    return make(INT128, np.array([parse(s) for s in x.data], dtype=object), False)


@builtin("ipaddr", 0, 1)
def ipaddr(ctx, x=None):
    if x is None:
        return S(IPADDR, None)
    def parse(s):
        if not s:
            return 0
        a = ipaddress.ip_address(s)
        return int(a)
    if isinstance(x, Scalar):
        return S(IPADDR, parse(x.value) or None)
    return make(IPADDR, np.array([parse(s) for s in x.data], dtype=object), False)


@builtin("print", 1, None)
def print_(ctx, *args):
    ctx.emit(" ".join(format_value(a) for a in args))
    return None


@builtin("objByName", 1, 2)
def obj_by_name(ctx, name, shared=None):
    n = to_str(name)
    if n in ctx.variables:
        return ctx.variables[n]
    t = ctx.lookup_shared(n)
    if t is None:
        raise ScriptError(f"Can't find the object with name {n}")
    return t


@builtin("defined", 1, 2)
def defined(ctx, names, kind=None):
    out = [n in ctx.variables or ctx.lookup_shared(n) is not None for n in strings_of(names)]
    return S(BOOL, int(out[0])) if is_scalar(names) else make(BOOL, np.array(out, dtype=np.int8), False)


@builtin("undef", 1, 2)
def undef(ctx, names, kind=None):
    for n in strings_of(names):
        ctx.variables.pop(n, None)
        ctx.functions.pop(n, None)
        server = getattr(ctx, "server", None)
        if kind is not None and kind.value == 4 and server is not None:   # SHARED
            table_changing(ctx, server.state.get_shared(n))
            server.state.undef_shared(n)
    return None


builtin("VAR", 0)(_constant(S(INT, 0)))
builtin("SHARED", 0)(_constant(S(INT, 4)))
builtin("DEF", 0)(_constant(S(INT, 1)))
