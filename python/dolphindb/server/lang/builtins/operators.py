"""Operators as built-ins (add, sub, div, eq, ...), element-wise with DolphinDB's null rules:
arithmetic with a NULL gives NULL; comparisons order NULL below every value."""
from __future__ import annotations

import numpy as np

from ...errors import ScriptError
from ...model.array_vectors import elements, over_rows, row_sizes
from ...model.columns import (FLOATING, INTEGRAL, LITERAL, NUMERIC, TEMPORAL, as_array, element, format_scalar,
                              is_scalar, length, make, null_mask, vector_of)
from ...model.values import (ANY, ARRAY_BASE, BLOB, BOOL, CHAR, DOUBLE, FLOAT, INT, LONG, NULL_INT, SET,
                             SHORT, STORAGE_DTYPE, STRING, SYMBOL, VOID, ArrayVector, Dictionary, EnumInt, Matrix, Scalar,
                             Table, Vector, null_of, type_name)
from ..registry import builtin
from .casts import DECIMALS, NS_PER, scalars


def _shape(a, b):
    return is_scalar(a) and is_scalar(b)


def _check_lengths(a, b):
    if isinstance(a, Vector) and isinstance(b, Vector) and len(a) != len(b):
        raise ScriptError("The length of the vector arguments must be the same")


def _result_type(name, ta, tb):
    if ta in TEMPORAL or tb in TEMPORAL:
        if name == "add" and ta in TEMPORAL and tb in INTEGRAL:
            return ta
        if name == "add" and tb in TEMPORAL and ta in INTEGRAL:
            return tb
        if name == "sub" and ta in TEMPORAL and tb in INTEGRAL:
            return ta
        if name == "sub" and ta == tb:
            return LONG if np.dtype(STORAGE_DTYPE[ta]).itemsize == 8 else INT
        raise ScriptError(f"The operator {name} doesn't support {type_name(ta)} and {type_name(tb)}")
    if ta not in NUMERIC or tb not in NUMERIC:
        raise ScriptError(f"Incompatible type. {type_name(ta)} and {type_name(tb)} can't be used in {name}")
    if name in ("ratio", "pow"):
        return DOUBLE
    if ta in FLOATING or tb in FLOATING:
        return FLOAT if ta == tb == FLOAT else DOUBLE
    return LONG if LONG in (ta, tb) else INT


@over_rows
def arith(name, a, b):
    by_form = _over_forms(arith, name, a, b)
    if by_form is not None:
        return by_form
    _check_lengths(a, b)
    ta, tb = a.type, b.type
    if name == "add" and (ta in LITERAL or tb in LITERAL):
        return _concat(a, b)
    if VOID in (ta, tb):
        other = b if ta == VOID else a
        rt = other.type if other.type in NUMERIC + TEMPORAL else DOUBLE
        n = None if _shape(a, b) else max(len(x) for x in (a, b) if not is_scalar(x))
        return Scalar(rt, None) if n is None else make(rt, np.full(n, null_of(rt)), False)
    rt = _result_type(name, ta, tb)
    mask = null_mask(a) | null_mask(b)
    floating = rt in FLOATING or name in ("ratio", "pow")
    A = as_array(a).astype(np.float64 if floating else np.int64)
    B = as_array(b).astype(np.float64 if floating else np.int64)
    with np.errstate(all="ignore"):
        if name == "add":
            r = A + B
        elif name == "sub":
            r = A - B
        elif name == "mul":
            r = A * B
        elif name == "div":
            if floating:
                r = A / B
                mask = mask | (B == 0)      # x/0 is NULL
            else:
                zero = B == 0
                r = np.floor_divide(A, np.where(zero, 1, B))
                mask = mask | zero
        elif name == "ratio":
            r = A / B
            mask = mask | (B == 0)
        elif name == "mod":
            zero = B == 0
            r = np.mod(A, np.where(zero, 1, B))
            mask = mask | zero
        elif name == "pow":
            r = np.power(A, B)
        else:
            raise ScriptError(f"Unknown operator {name}")
    r = np.where(mask, null_of(rt), r)
    return make(rt, r, _shape(a, b))


def _over_forms(op, name, a, b):
    """op(name, a, b) where a or b is a tuple (item by item) or a matrix (cell by cell, keeping its
    shape); None when both are scalars or typed vectors, for op to compute itself."""
    if _is_tuple(a) or _is_tuple(b):
        return _over_items(op, name, a, b)
    if isinstance(a, Matrix) or isinstance(b, Matrix):
        return _on_matrix(op, name, a, b)
    return None


def _is_tuple(v):
    return isinstance(v, Vector) and v.type == ANY


def _over_items(op, name, a, b):
    """An operator with a tuple operand applies to its items one by one, paired with the other
    operand's elements (or with the other operand when it is a scalar)."""
    if not all(isinstance(v, (Scalar, Vector)) for v in (a, b)):
        raise ScriptError("A tuple is combined element by element with a scalar or a vector")
    _check_lengths(a, b)
    n = len(a) if isinstance(a, Vector) else len(b)
    left = [a] * n if is_scalar(a) else [element(a, i) for i in range(n)]
    right = [b] * n if is_scalar(b) else [element(b, i) for i in range(n)]
    if n == 0:          # nothing to infer a type from: a comparison still gives BOOL
        return make(BOOL, np.zeros(0, np.int8), False) if op is compare else Vector(ANY, [])
    return vector_of([op(name, x, y) for x, y in zip(left, right)])


def _on_matrix(op, name, a, b):
    """op(name, a, b) element by element where a or b is a matrix: the result has its shape."""
    shape = (a if isinstance(a, Matrix) else b).data.shape

    def flat(v):
        return Vector(v.type, v.data.reshape(-1), v.scale) if isinstance(v, Matrix) else v
    r = op(name, flat(a), flat(b))
    return Matrix(r.type, np.asarray(r.data).reshape(shape), r.scale)


def _concat(a, b):
    # a CHAR joins a string as its character ("a" + ' ' is "a "), as it compares as one
    a, b = (char_as_string(v) if v.type == CHAR else v for v in (a, b))

    def strs(v):
        if is_scalar(v):
            return np.asarray(format_scalar(v) if v.type not in (STRING, SYMBOL) else (v.value or ""), dtype=object)
        if v.type in (STRING, SYMBOL):
            return v.data
        return np.array([format_scalar(s) for s in scalars(v)], dtype=object)
    if is_scalar(a) and is_scalar(b):
        # Python's str concatenation: np.char would widen both to UCS-4 arrays (4x the bytes,
        # several copies, all under the GIL) - seconds for a large string.
        return make(STRING, np.asarray(strs(a).item() + strs(b).item(), dtype=object), _shape(a, b))
    r = np.char.add(strs(a).astype(str), strs(b).astype(str)).astype(object)
    return make(STRING, r, _shape(a, b))


def _comparable(v):
    """Storage data made orderable: a float NULL sorts below -inf, like the integer sentinels."""
    arr = as_array(v)
    if v.type in FLOATING:
        arr = np.where(null_mask(v), -np.inf, arr)
    elif v.type in (STRING, SYMBOL):
        arr = np.asarray(arr, dtype=object)
    return arr


def char_as_string(v):
    """A CHAR operand of a string comparison ('A' against a STRING column) as one-character strings."""
    chars = [None if s.value is None else chr(s.value) for s in ([v] if is_scalar(v) else scalars(v))]
    return Scalar(STRING, chars[0]) if is_scalar(v) else make(STRING, np.array([c or "" for c in chars], dtype=object),
                                                             False)


@over_rows
def compare(name, a, b):
    if isinstance(a, Table) or isinstance(b, Table):
        return _compare_tables(name, a, b)
    if _is_set(a) and _is_set(b):
        return _compare_sets(name, a, b)
    if isinstance(a, Dictionary) or isinstance(b, Dictionary):
        return _compare_dictionaries(name, a, b)
    by_form = _over_forms(compare, name, a, b)
    if by_form is not None:
        return by_form
    _check_lengths(a, b)
    ta, tb = a.type, b.type
    if ta == CHAR and tb in (STRING, SYMBOL):
        a, ta = char_as_string(a), STRING
    elif tb == CHAR and ta in (STRING, SYMBOL):
        b, tb = char_as_string(b), STRING
    elif isinstance(a, EnumInt) and tb in (STRING, SYMBOL):
        a, ta = Scalar(STRING, a.name), STRING
    elif isinstance(b, EnumInt) and ta in (STRING, SYMBOL):
        b, tb = Scalar(STRING, b.name), STRING
    if (ta in LITERAL) != (tb in LITERAL) and VOID not in (ta, tb):
        raise ScriptError(f"Incompatible type. {type_name(ta)} and {type_name(tb)} can't be compared")
    if VOID in (ta, tb) and ta != tb:
        # NULL takes the other side's type: it orders below every value and equals only NULL
        other = tb if ta == VOID else ta
        if ta == VOID:
            a = Scalar(other, None) if is_scalar(a) else make(other, np.full(len(a), null_of(other)), False)
        else:
            b = Scalar(other, None) if is_scalar(b) else make(other, np.full(len(b), null_of(other)), False)
        ta = tb = other
    A, B = _comparable(a), _comparable(b)
    if (ta == BLOB) != (tb == BLOB) and ta in LITERAL and tb in LITERAL:
        A, B = _as_bytes(a, A), _as_bytes(b, B)       # a BLOB equals the string of its bytes
    elif ta != tb and ta in NUMERIC and tb in NUMERIC:
        A, B = _common_nulls(a, A, b, B)
    if ta in TEMPORAL and tb in TEMPORAL and ta != tb and ta in NS_PER and tb in NS_PER:
        A = np.where(null_mask(a), np.iinfo(np.int64).min, A.astype(np.int64) * NS_PER[ta])
        B = np.where(null_mask(b), np.iinfo(np.int64).min, B.astype(np.int64) * NS_PER[tb])
    op = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
          "ge": np.greater_equal}[name]
    r = op(A, B)
    return make(BOOL, np.asarray(r).astype(np.int8), _shape(a, b))


def _is_set(v):
    return isinstance(v, Vector) and v.form == SET


def _compare_sets(name, a, b):
    """Two sets compare as sets: == the same elements, < a proper subset, <= a subset, > and >=
    supersets. Sets of one type compare by hash; of two types (BLOB and STRING, two temporal
    units) element by element, as == compares them."""
    if (a.type in LITERAL) != (b.type in LITERAL) and VOID not in (a.type, b.type):
        raise ScriptError(f"Incompatible type. {type_name(a.type)} and {type_name(b.type)} can't be compared")
    if a.type == b.type:
        x, y = set(np.asarray(_comparable(a)).tolist()), set(np.asarray(_comparable(b)).tolist())
        a_in_b, b_in_a = x <= y, y <= x
    else:
        a_in_b, b_in_a = _within(a, b), _within(b, a)
    result = {"eq": a_in_b and b_in_a, "ne": not (a_in_b and b_in_a), "lt": a_in_b and not b_in_a,
              "le": a_in_b, "gt": b_in_a and not a_in_b, "ge": b_in_a}[name]
    return Scalar(BOOL, int(result))


def _within(x, y):
    """Every element of set x equals some element of set y."""
    members = Vector(y.type, y.data, y.scale, length_=y.length_)
    return all(bool(np.any(as_array(compare("eq", element(x, i), members)))) for i in range(len(x)))


def _as_bytes(v, arr):
    if v.type == BLOB:
        return arr
    encode = np.frompyfunc(lambda s: s.encode("utf-8", "surrogateescape"), 1, 1)
    return encode(np.asarray(arr, dtype=object))


def _common_nulls(a, A, b, B):
    """Numbers of two types compared: each side's NULL becomes the same lowest value, so a SHORT
    NULL equals an INT NULL."""
    if a.type in FLOATING or b.type in FLOATING:
        return (np.where(null_mask(a), -np.inf, A.astype(np.float64)),
                np.where(null_mask(b), -np.inf, B.astype(np.float64)))
    lowest = np.iinfo(np.int64).min
    return (np.where(null_mask(a), lowest, A.astype(np.int64)),
            np.where(null_mask(b), lowest, B.astype(np.int64)))


def _compare_tables(name, a, b):
    """Tables compare column by column (a table with a scalar: each column with it); the result
    is a table of BOOL columns named as the left table's."""
    left = a if isinstance(a, Table) else b
    if isinstance(a, Table) and isinstance(b, Table):
        if len(a.columns) != len(b.columns) or a.rows != b.rows:
            raise ScriptError("The two tables must have the same number of columns and rows")
        pairs = zip(a.columns.values(), b.columns.values())
    elif isinstance(a, Table):
        pairs = ((c, b) for c in a.columns.values())
    else:
        pairs = ((a, c) for c in b.columns.values())
    return Table({n: compare(name, x, y) for n, (x, y) in zip(left.columns, pairs)})


def _compare_dictionaries(name, a, b):
    """A dictionary compares key by key: with a scalar, each value; with a dictionary, the value
    of the same key (NULL where the other has no such key). The result maps the left keys (the
    dictionary's keys when the left side is a scalar) to BOOL."""
    d = a if isinstance(a, Dictionary) else b
    if not isinstance(a, Dictionary) or not isinstance(b, Dictionary):
        other = b if d is a else a
        if not is_scalar(other):
            raise ScriptError("A dictionary is compared with a dictionary or a scalar")
        values = d.values if d.values.type != ANY else vector_of(list(d.values.data))
        return Dictionary(d.keys, compare(name, values, other) if d is a else compare(name, other, values))
    position = {k: i for i, k in enumerate(np.asarray(b.keys.data).tolist())}
    picks = [position.get(k, -1) for k in np.asarray(a.keys.data).tolist()]
    right = [element(b.values, i) if i >= 0 else Scalar(VOID, None) for i in picks]
    left = [element(a.values, i) for i in range(len(a.keys))]
    return Dictionary(a.keys, make(BOOL, np.array([compare(name, x, y).value for x, y in zip(left, right)],
                                                  dtype=np.int8), False))


def _bools(v):
    arr = as_array(v)
    if v.type in FLOATING:
        return (arr != 0) & ~np.asarray(null_mask(v))
    if v.type in NULL_INT:
        return (arr != 0) & (arr != NULL_INT[v.type])
    raise ScriptError(f"A boolean or number is expected, not {type_name(v.type)}")


@over_rows
def logic(name, a, b=None):
    if name == "not":
        return make(BOOL, (~_bools(a)).astype(np.int8), is_scalar(a))
    _check_lengths(a, b)
    f = np.logical_and if name == "and" else np.logical_or
    return make(BOOL, f(_bools(a), _bools(b)).astype(np.int8), _shape(a, b))


@over_rows
def bitwise(name, a, b):
    if a.type not in INTEGRAL or b.type not in INTEGRAL:
        raise ScriptError(f"The operator {name} only supports integers")
    _check_lengths(a, b)
    rt = LONG if LONG in (a.type, b.type) else INT
    A, B = as_array(a).astype(np.int64), as_array(b).astype(np.int64)
    f = {"bitAnd": np.bitwise_and, "bitOr": np.bitwise_or, "bitXor": np.bitwise_xor,
         "lshift": np.left_shift, "rshift": np.right_shift}[name]
    r = np.where(null_mask(a) | null_mask(b), null_of(rt), f(A, B))
    return make(rt, r, _shape(a, b))


# Two plain numeric scalars (a loop counter, an accumulator) take a path in Python numbers: the
# same results as the numpy path above (int64 wrap-around, floor division, NULL rules), without
# its arrays. The ranges keep out values the numpy path refuses (an INT past int32); FLOAT stays
# on the numpy path, whose float32 storage rounds it.
_PLAIN_RANGE = {BOOL: (-127, 127), CHAR: (-127, 127), SHORT: (-(1 << 15) + 1, (1 << 15) - 1),
                INT: (-(1 << 31), (1 << 31) - 1), LONG: (-(1 << 63), (1 << 63) - 1)}
_DOUBLE_NULL = null_of(DOUBLE)
_ARITH = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y}
_COMPARE = {"eq": lambda x, y: x == y, "ne": lambda x, y: x != y, "lt": lambda x, y: x < y,
            "le": lambda x, y: x <= y, "gt": lambda x, y: x > y, "ge": lambda x, y: x >= y}


def _plain(v):
    """A plain numeric scalar's number, 'null' for its NULL, None when v takes the numpy path."""
    if type(v) is not Scalar:
        return None
    x, t = v.value, v.type
    if t == DOUBLE:
        return "null" if x is None or x == _DOUBLE_NULL else x
    bounds = _PLAIN_RANGE.get(t)
    if bounds is None:
        return None
    if x is None:
        return "null"
    return x if bounds[0] <= x <= bounds[1] else None


def _wrap64(x):
    return (x + (1 << 63)) % (1 << 64) - (1 << 63)


def arith_scalars(name, a, b):
    """arith(name, a, b) for two plain numeric scalars; None for every other case."""
    x, y = _plain(a), _plain(b)
    if x is None or y is None or name == "pow" or (name == "mod" and DOUBLE in (a.type, b.type)):
        return None
    rt = _result_type(name, a.type, b.type)
    if x == "null" or y == "null":
        return Scalar(rt, None)
    if rt == DOUBLE:
        x, y = float(x), float(y)
        if name in ("div", "ratio"):
            return Scalar(rt, None) if y == 0 else Scalar(rt, x / y)
        r = _ARITH[name](x, y)
        return Scalar(rt, None if r == _DOUBLE_NULL else r)
    if name in ("div", "mod"):
        if y == 0:
            return Scalar(rt, None)
        r = x // y if name == "div" else x % y
    else:
        r = _ARITH[name](x, y)
    r = _wrap64(r)
    return Scalar(rt, None if r == NULL_INT[rt] else r)


def compare_scalars(name, a, b):
    """compare(name, a, b) for two plain numeric scalars (NULL below every number); else None."""
    x, y = _plain(a), _plain(b)
    if x is None or y is None:
        return None
    if x == "null" or y == "null":
        x, y = (-np.inf if v == "null" else v for v in (x, y))
    if DOUBLE in (a.type, b.type):          # an integer meets a double as a double, as in numpy
        x, y = float(x), float(y)
    return Scalar(BOOL, int(_COMPARE[name](x, y)))


def _arith_builtin(name):
    def fn(ctx, a, b):
        r = arith_scalars(name, a, b)
        return arith(name, a, b) if r is None else r
    return fn


def _compare_builtin(name):
    def fn(ctx, a, b):
        r = compare_scalars(name, a, b)
        return compare(name, a, b) if r is None else r
    return fn


for _name in ("add", "sub", "mul", "div", "ratio", "mod", "pow"):
    builtin(_name, 2)(_arith_builtin(_name))
for _name in ("eq", "ne", "lt", "le", "gt", "ge"):
    builtin(_name, 2)(_compare_builtin(_name))
for _name in ("bitAnd", "bitOr", "bitXor", "lshift", "rshift"):
    builtin(_name, 2)(lambda ctx, a, b, _n=_name: bitwise(_n, a, b))
builtin("and", 2)(lambda ctx, a, b: logic("and", a, b))
builtin("or", 2)(lambda ctx, a, b: logic("or", a, b))
builtin("not", 1)(lambda ctx, a: logic("not", a))


@builtin("neg", 1)
@over_rows
def neg(ctx, a):
    return arith("sub", Scalar(a.type if a.type in NUMERIC else INT, 0), a) if a.type in NUMERIC else \
        arith("mul", a, Scalar(INT, -1))


@builtin("eqObj", 2, 3)
def eq_obj(ctx, a, b, precision=None):
    """Same form, type and values (NULLs equal); FLOAT/DOUBLE within 10^-precision when given."""
    return Scalar(BOOL, int(_same_object(a, b, precision)))


def _same_object(a, b, precision) -> bool:
    if not isinstance(a, (Scalar, Vector, ArrayVector, Matrix)):
        raise ScriptError("eqObj compares scalars, pairs, vectors and matrices")
    if type(a) is not type(b) or a.form != b.form or length(a) != length(b) or not _same_type(a, b):
        return False
    if isinstance(a, ArrayVector):      # the same rows, then the same elements
        return np.array_equal(row_sizes(a), row_sizes(b)) and _same_object(elements(a), elements(b), precision)
    if a.type == VOID:
        return True
    if a.type == ANY:                   # tuples: element by element
        return all(_same_object(x, y, precision) for x, y in zip(a.data, b.data))
    A, B = as_array(a), as_array(b)
    if a.type in DECIMALS:              # raw values at one scale, as exact Python ints
        scale = max(a.scale, b.scale)
        A = np.asarray(A, dtype=object) * 10 ** (scale - a.scale)
        B = np.asarray(B, dtype=object) * 10 ** (scale - b.scale)
    null_a, null_b = np.asarray(null_mask(a)), np.asarray(null_mask(b))
    if a.type in FLOATING and precision is not None:
        close = np.abs(A.astype(np.float64) - B.astype(np.float64)) <= 10.0 ** -int(precision.value)
    else:
        close = np.asarray(A == B)
    return bool(np.all((null_a == null_b) & (null_a | close)))


def _same_type(a, b) -> bool:
    """eqObj's type check: the same type, where every DECIMAL width and scale is one type compared
    by value (a DECIMAL32(2) column uploaded back as DECIMAL64(2) equals its source)."""
    ta, tb = (t - ARRAY_BASE if isinstance(v, ArrayVector) else t for v, t in ((a, a.type), (b, b.type)))
    return a.type == b.type or (ta in DECIMALS and tb in DECIMALS)
