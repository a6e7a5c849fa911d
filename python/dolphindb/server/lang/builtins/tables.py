"""In-memory tables: table / streamTable / keyedTable, appends (tableInsert, append!), column
changes (replaceColumn!, addColumn, drop!) and shape (columnNames, schema, rows, cols). A shared
table under access control is checked before it changes and its subscribers told after."""
from __future__ import annotations

import threading

import numpy as np

from ...errors import ScriptError
from ...model.columns import (S, V, as_array, column_copy, extend, is_scalar, length,
                              scalar_storage, strings_of, successor, take_rows, to_int, to_str, vector_of)
from ...model.types import STORAGE_DTYPE, TYPE_BY_NAME
from ...model.values import (ANY, DECIMAL128, DECIMAL32, DECIMAL64, INT, PAIR, STRING, SYMBOL, VECTOR, VOID,
                             ArrayVector, Dictionary, Matrix, Scalar, Table, Vector, type_string)
from ..registry import builtin
from ..scope import broadcast
from .arrays import append_rows
from .casts import cast
from .vectors import empty_column


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
        return Table({n: initial_column(t, capacity_size, scale) for n, (t, scale) in zip(names, tlist)})
    raise ScriptError("table() needs columns: table(v1 as a, v2 as b) or table(capacity:size, names, types)")


def initial_column(t, n, scale=0):
    """A column of table(capacity:size, ...): `size` rows of false for BOOL, 0 for the numeric,
    temporal and DECIMAL types, NULL for literals and the 128-bit types (whose zero is NULL)."""
    if t in STORAGE_DTYPE:
        return Vector(t, np.zeros(n, dtype=STORAGE_DTYPE[t]), scale)
    if t == DECIMAL128:
        return Vector(t, np.zeros(n, dtype=object), scale)
    return empty_column(t, n, scale)


def table_from_columns(ctx, named):
    """table(v1 as a, v2 as `b, ...): the alias is a name, or a symbol vector of one name."""
    cols = {}
    n = None
    for name, v in named:
        if isinstance(name, (list, tuple)):
            if len(name) != 1:
                raise ScriptError("A column of table() takes one name")
            name = name[0]
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
    return keyed(table(ctx, *args), keys)


builtin("indexedTable", 2, None)(keyed_table)


def keyed(t: Table, keys) -> Table:
    """`t` keyed by the columns named `keys` (keyedTable / indexedTable)."""
    names = strings_of(keys)
    missing = [n for n in names if n not in t.columns]
    if missing:
        raise ScriptError(f"The key column [{missing[0]}] doesn't exist in the table")
    t.keys = names
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
APPEND_LOCK = threading.RLock()


def append_columns(t: Table, cols) -> int:
    """Appends and returns the rows added (counted under the lock: other sessions append too)."""
    with APPEND_LOCK:
        before = t.rows
        _append_columns(t, cols)
        return t.rows - before


def _append_columns(t: Table, cols):
    if len(cols) != len(t.columns):
        raise ScriptError("The number of columns of the table to insert must be the same as that of the original table.")
    grown = {}
    for (name, col), new in zip(t.columns.items(), cols):
        if isinstance(new, Scalar):
            new = vector_of([new])
        if isinstance(col, ArrayVector):
            col = successor(col)
            append_rows(col, new, name)
        elif new.type != col.type or (new.type in (DECIMAL32, DECIMAL64, DECIMAL128) and new.scale != col.scale):
            if col.type == VOID:
                col = column_copy(new)
            else:
                col = _appended(col, cast(new, col.type, col.scale))
        else:
            col = _appended(col, new)
        grown[name] = col
    t.columns.update(grown)       # only once every column converted: a refused row leaves no trace


def _appended(col: Vector, new: Vector) -> Vector:
    if col.data is None:
        return Vector(VOID, None, length_=len(col) + len(new))
    out = successor(col)
    extend(out, np.asarray(new.data, dtype=col.data.dtype))
    return out


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
        append_rows(obj, new, "append!")
        return obj
    if isinstance(obj, Vector) and obj.type == ANY:
        obj.data.extend(new.data if isinstance(new, Vector) and new.type == ANY else [new])
        return obj
    if isinstance(obj, Vector) and obj.data is not None:
        new = cast(new, obj.type, obj.scale) if (new.type, new.scale) != (obj.type, obj.scale) else new
        extend(obj, np.atleast_1d(np.asarray(scalar_storage(new) if is_scalar(new) else new.data,
                                             dtype=obj.data.dtype)))
        return obj
    raise ScriptError("append! needs a table or a vector")


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


def _scale(column) -> int:
    return column.values.scale if isinstance(column, ArrayVector) else column.scale


@builtin("schema", 1)
def schema(ctx, t):
    names = list(t.columns)
    col_defs = Table({"name": V(STRING, names),
                      "typeString": V(STRING, [type_string(c.type, _scale(c)) for c in t.columns.values()]),
                      "typeInt": V(INT, [c.type for c in t.columns.values()]),
                      "comment": V(STRING, [""] * len(names))})
    return Dictionary(V(STRING, ["colDefs"]), Vector(ANY, [col_defs]))


@builtin("rows", 1)
def rows(ctx, t):
    if isinstance(t, Matrix):
        return S(INT, t.data.shape[0])
    return S(INT, length(t))


@builtin("cols", 1, aliases=("columns",))
def cols(ctx, t):
    if isinstance(t, Table):
        return S(INT, len(t.columns))
    if isinstance(t, Matrix):
        return S(INT, t.data.shape[1])
    return S(INT, 1)


@builtin("drop!", 2)
def drop_columns(ctx, t, colNames):
    if not isinstance(t, Table):
        raise ScriptError("drop! only applies to an in-memory table")
    names = strings_of(colNames)
    by_lower = {name.lower(): name for name in t.columns}
    missing = [n for n in names if n.lower() not in by_lower]
    if missing:
        raise ScriptError(f"The column [{missing[0]}] doesn't exist in the table")
    if len({n.lower() for n in names}) >= len(t.columns):
        raise ScriptError("Can't drop all columns of a table")
    for name in names:
        del t.columns[by_lower[name.lower()]]
    table_changed(ctx, t)
    return t


@builtin("column", 2)
def column(ctx, t, index):
    """The column of table `t` at a position or with a name."""
    if not isinstance(t, Table):
        raise ScriptError("The first argument of column must be a table")
    if index.type in (STRING, SYMBOL):
        name = to_str(index)
        if name not in t.columns:
            raise ScriptError(f"Unrecognized column name {name}")
        return t.columns[name]
    i = to_int(index)
    if not 0 <= i < len(t.columns):
        raise ScriptError(f"The column index {i} is out of range")
    return list(t.columns.values())[i]


@builtin("clear!", 1)
def clear(ctx, x):
    """Removes every row of a table or element of a vector or dictionary; returns it."""
    if isinstance(x, Table):
        table_changing(ctx, x)
        for name, c in list(x.columns.items()):
            x.columns[name] = take_rows(c, np.arange(0))
        table_changed(ctx, x)
    elif isinstance(x, Dictionary):
        x.keys, x.values = take_rows(x.keys, np.arange(0)), take_rows(x.values, np.arange(0))
    elif isinstance(x, ArrayVector):
        x.offsets, x.values = x.offsets[:1] - x.offsets[0], take_rows(x.values, np.arange(0))
    elif isinstance(x, Vector) and x.form == VECTOR:
        x.data = [] if x.type == ANY else x.data[:0]
        x.spare = None            # the old rows may still be read through other values
        x.length_ = 0 if x.data is None else None
    else:
        raise ScriptError("clear! applies to a vector, a dictionary or a table")
    return x


@builtin("rename!", 2, 3)
def rename(ctx, x, a, b=None):
    """rename!(table, [oldNames,] newNames); rename!(matrix, [rowLabels,] columnLabels)."""
    if isinstance(x, Matrix):
        rows, labels = (None, a) if b is None else (a, b)
        for given, n in ((rows, x.data.shape[0]), (labels, x.data.shape[1])):
            if given is not None and (not isinstance(given, Vector) or len(given) != n):
                raise ScriptError("The labels of a matrix must be a vector as long as its rows / columns")
        if rows is not None:
            x.row_labels = column_copy(rows)
        x.col_labels = column_copy(labels)
        return x
    if not isinstance(x, Table):
        raise ScriptError("rename! applies to a table or a matrix")
    old, new = (list(x.columns), strings_of(a)) if b is None else (strings_of(a), strings_of(b))
    if len(old) != len(new):
        raise ScriptError("The number of new column names must match the number of columns to rename")
    missing = [n for n in old if n not in x.columns]
    if missing:
        raise ScriptError(f"The column [{missing[0]}] doesn't exist in the table")
    table_changing(ctx, x)
    mapping = dict(zip(old, new))
    x.columns = {mapping.get(n, n): c for n, c in x.columns.items()}
    table_changed(ctx, x)
    return x

