"""Vector built-ins: construction (til, seq, array, take, rand ...), order (sort, reverse,
distinct), membership and nulls (in, isNull, nullFill, iif), size and count."""
from __future__ import annotations

import numpy as np

from ...errors import ScriptError
from ...model.array_vectors import over_rows
from ...model.columns import (FLOATING, INTEGRAL, RANK, TEMPORAL, S, V, as_array, element, is_scalar, length, make,
                              null_mask, scalar_storage, table_rows, take_rows, to_int, vector_of)
from ...model.values import (ANY, ARRAY_BASE, BOOL, DOUBLE, INT, LONG, STORAGE_DTYPE, VOID, ArrayVector, Dictionary,
                             Scalar, Table, Vector, null_of)
from ..registry import builtin
from .arrays import concat_array_vectors, rows_as_array_vector
from .casts import DECIMALS, cast


def empty_column(t, n=0, scale=0):
    if t >= ARRAY_BASE and t < 128:
        return ArrayVector(t, np.zeros(n + 1, dtype=np.int64),
                           Vector(t - ARRAY_BASE, np.empty(0, STORAGE_DTYPE.get(t - ARRAY_BASE, object)), scale))
    if t in STORAGE_DTYPE:
        return Vector(t, np.full(n, null_of(t), dtype=STORAGE_DTYPE[t]), scale)
    if t == VOID:
        return Vector(VOID, None, length_=n)
    return V(t, [null_of(t)] * n, scale)       # (DECIMAL128 keeps its scale)


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
    if isinstance(x, ArrayVector):          # rows follow rows
        return concat_array_vectors(x, rows_as_array_vector(y, x, "join"))
    if isinstance(y, ArrayVector):
        raise ScriptError("Only an array vector can be joined with an array vector")
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


@builtin("array", 1, 4)
def array(ctx, dataType, initialSize=None, capacity=None, defaultValue=None):
    """array(type or template vector, [initialSize], [capacity], [defaultValue]): a template
    vector gives its type (and DECIMAL scale); the capacity is only a hint."""
    n = to_int(initialSize) if initialSize is not None else 0
    if n < 0:
        raise ScriptError("The initial size of an array must be non-negative")
    if isinstance(dataType, (Vector, ArrayVector)) and not is_scalar(dataType):
        out = take_rows(dataType, np.arange(0)) if n == 0 else empty_column(dataType.type, n)
        if isinstance(out, Vector) and out.type in DECIMALS:
            out.scale = dataType.scale
    else:
        out = empty_column(to_int(dataType), n, dataType.scale if isinstance(dataType, Scalar) else 0)
    if defaultValue is not None and n:
        if not isinstance(out, Vector) or out.type == ANY:
            raise ScriptError("The default value of an array applies to a typed vector")
        out.data[:] = scalar_storage(cast(defaultValue, out.type, out.scale))
    return out


builtin("bigarray", 1, 4)(array)


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
    if not isinstance(x, Vector):
        raise ScriptError("The argument of distinct/set must be a vector")
    arr = as_array(x)
    if arr.dtype == object:             # strings, BLOB bytes, 128-bit ints: hashable, not orderable as one
        first = {}
        for i, value in enumerate(arr.tolist()):
            first.setdefault(value, i)
        return take_rows(x, np.fromiter(first.values(), dtype=np.int64, count=len(first)))
    _, idx = np.unique(arr, return_index=True)
    return take_rows(x, np.sort(idx))


@builtin("in", 2)
def in_(ctx, x, y):
    values = as_array(y) if not isinstance(y, Dictionary) else as_array(y.keys)
    arr = as_array(x)
    if arr.dtype == object and values.dtype == object:      # strings, BLOB bytes, 128-bit ints
        pool = set(values.tolist())
        r = np.array([v in pool for v in np.atleast_1d(arr).tolist()], dtype=bool).reshape(arr.shape)
    else:
        r = np.isin(arr.astype(str) if arr.dtype == object else arr,
                    values.astype(str) if values.dtype == object else values)
    return make(BOOL, np.asarray(r).astype(np.int8), is_scalar(x))


@builtin("isNull", 1)
@over_rows
def is_null(ctx, x):
    return make(BOOL, np.asarray(null_mask(x)).astype(np.int8), is_scalar(x))


@builtin("isValid", 1)
@over_rows
def is_valid(ctx, x):
    return make(BOOL, (~np.asarray(null_mask(x))).astype(np.int8), is_scalar(x))


@builtin("nullFill", 2)
@over_rows
def null_fill(ctx, x, y):
    fill = cast(y, x.type)
    mask = null_mask(x)
    r = np.where(mask, scalar_storage(fill), as_array(x))
    return make(x.type, r, is_scalar(x))


@builtin("isNanInf", 1, 2)
@over_rows
def is_nan_inf(ctx, x, includeNull=None):
    """True for NaN and +-inf elements; a NULL counts only with includeNull."""
    with_null = includeNull is not None and bool(includeNull.value)
    r = np.asarray(null_mask(x)) & with_null
    if x.type in FLOATING:
        r = r | ~np.isfinite(as_array(x).astype(np.float64))
    return make(BOOL, np.asarray(r).astype(np.int8), is_scalar(x))


@builtin("iif", 3)
@over_rows
def iif(ctx, cond, a, b):
    c = as_array(cond) == 1
    rt = a.type if a.type == b.type else max(a.type, b.type, key=lambda t: RANK.get(t, -1))
    A, B = as_array(cast(a, rt) if a.type != rt else a), as_array(cast(b, rt) if b.type != rt else b)
    return make(rt, np.where(c, A, B), is_scalar(cond))
