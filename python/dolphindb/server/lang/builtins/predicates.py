"""Whole-object tests: all, any, hasNull, and eqFloat (equality at a number of decimal places)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal

import numpy as np

from ...errors import ScriptError
from ...model.columns import FLOATING, INTEGRAL, as_array, is_scalar, make, null_mask
from ...model.values import ANY, BOOL, VOID, ArrayVector, Matrix, Scalar, Table, Vector, type_name
from ..registry import builtin
from .casts import DECIMALS
EXACT = Context(prec=100, rounding=ROUND_HALF_UP)     # room for 38 digits and any number of places


def _truth_values(x, name):
    """The non-NULL values of a logical or numeric scalar, pair, vector, matrix or tuple as
    booleans (a tuple contributes the values of each of its elements)."""
    if isinstance(x, Vector) and x.type == ANY:
        parts = [_truth_values(item, name) for item in x.data]
        return np.concatenate(parts) if parts else np.empty(0, dtype=bool)
    if isinstance(x, ArrayVector):
        x = x.values
    if not isinstance(x, (Scalar, Vector, Matrix)):
        raise ScriptError(f"The argument of {name} must be a scalar, pair, vector or matrix")
    if x.type == VOID:
        return np.empty(0, dtype=bool)
    if x.type != BOOL and x.type not in INTEGRAL and x.type not in FLOATING:
        raise ScriptError(f"{name} doesn't support {type_name(x.type)}")
    values = np.atleast_1d(as_array(x)).reshape(-1)
    valid = ~np.atleast_1d(np.asarray(null_mask(x))).reshape(-1)
    return values[valid] != 0


@builtin("all", 1)
def all_(ctx, x):
    """False when X holds a false or 0; NULLs are left out."""
    return Scalar(BOOL, int(bool(np.all(_truth_values(x, "all")))))


@builtin("any", 1)
def any_(ctx, x):
    """True when X holds a true or non-zero value; NULLs are left out."""
    return Scalar(BOOL, int(bool(np.any(_truth_values(x, "any")))))


@builtin("hasNull", 1)
def has_null(ctx, x):
    """Whether a scalar is NULL, or a vector, matrix or table holds a NULL; a tuple holds one when
    one of its elements is a NULL scalar."""
    if isinstance(x, Table):
        return Scalar(BOOL, int(any(_holds_null(c) for c in x.columns.values())))
    return Scalar(BOOL, int(_holds_null(x)))


def _holds_null(x) -> bool:
    if isinstance(x, Vector) and x.type == ANY:
        return any(isinstance(item, Scalar) and item.value is None for item in x.data)
    if isinstance(x, ArrayVector):
        return _holds_null(x.values)
    return bool(np.any(null_mask(x)))


@builtin("eqFloat", 2, 3)
def eq_float(ctx, x, y, precision=None):
    """X == Y element by element after rounding both to `precision` (default 9) decimal places;
    DECIMAL operands round exactly. A NULL equals only a NULL."""
    places = 9 if precision is None else precision.value
    if not isinstance(places, int) or places < 0:
        raise ScriptError("The precision of eqFloat must be a non-negative integer")
    for v in (x, y):
        if not isinstance(v, (Scalar, Vector, Matrix)) or (v.type not in FLOATING and v.type not in INTEGRAL
                                                            and v.type not in DECIMALS and v.type != VOID):
            raise ScriptError("The arguments of eqFloat must be numeric scalars, vectors or matrices")
    if isinstance(x, Vector) and isinstance(y, Vector) and len(x) != len(y):
        raise ScriptError("The length of the vector arguments must be the same")
    if (isinstance(x, Matrix) or isinstance(y, Matrix)) and not (is_scalar(x) or is_scalar(y)) \
            and np.shape(as_array(x)) != np.shape(as_array(y)):
        raise ScriptError("The dimensions of the matrix arguments must be the same")
    exact = x.type in DECIMALS or y.type in DECIMALS
    a, null_a = _rounded(x, places, exact)
    b, null_b = _rounded(y, places, exact)
    equal = np.where(null_a | null_b, null_a & null_b, a == b)
    shape_of = x if isinstance(x, Matrix) else y if isinstance(y, Matrix) else None
    if shape_of is not None:
        return Matrix(BOOL, np.broadcast_to(equal, shape_of.data.shape).astype(np.int8).copy())
    return make(BOOL, np.asarray(equal).astype(np.int8), is_scalar(x) and is_scalar(y))


def _rounded(v, places, exact):
    """(values rounded to `places` decimals, NULL mask): Python Decimals when `exact` (a DECIMAL
    operand: 38-digit values stay exact), float64 otherwise."""
    null = np.asarray(null_mask(v))
    if v.type == VOID:
        return np.zeros(null.shape), null | True
    raw = as_array(v)
    if not exact:
        return np.round(np.asarray(raw, dtype=np.float64), places), null
    quantum = Decimal(1).scaleb(-places)

    def one(r, is_null):
        if is_null:
            return Decimal(0)
        if v.type in DECIMALS:
            d = Decimal(int(r)).scaleb(-v.scale)
        else:               # a float as the decimal it prints as (0.1, not 0.1000000000000000055...)
            d = Decimal(repr(float(r))) if v.type in FLOATING else Decimal(int(r))
        return d.quantize(quantum, context=EXACT)
    return np.frompyfunc(one, 2, 1)(raw, null), null
