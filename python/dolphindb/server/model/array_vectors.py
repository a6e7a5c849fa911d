"""Element-wise functions over array vectors.

An element-wise function (an operator, isNull, a cast ...) applies to an array vector element by
element and keeps its rows: ``x + 1``, ``x == y``, ``isNull(x)`` are array vectors with the row
sizes of ``x``. The other operands follow DolphinDB's rules: a scalar applies to every element, a
vector gives one value per row (its length is the number of rows), another array vector must have
the same row sizes. ``over_rows`` lifts such a function once, so each function is written for
flat vectors only.
"""
from __future__ import annotations

import functools

import numpy as np

from ..errors import ScriptError
from .columns import take_rows
from .values import (ANY, ARRAY_BASE, BOOL, CHAR, DATE, DATEHOUR, DATEMINUTE, DATETIME, DECIMAL32, DECIMAL64,
                     DECIMAL128, DOUBLE, FLOAT, FORM_NAMES, INT, INT128, IPADDR, LONG, MINUTE, MONTH, NANOTIME,
                     NANOTIMESTAMP, SECOND, SHORT, TIME, TIMESTAMP, UUID, VECTOR, ArrayVector, Scalar, Value, Vector,
                     type_name)

# Element types an array vector holds (fixed width; no STRING / SYMBOL / BLOB / ANY).
ARRAY_ELEMENT_TYPES = frozenset({BOOL, CHAR, SHORT, INT, LONG, DATE, MONTH, TIME, MINUTE, SECOND, DATETIME,
                                 TIMESTAMP, NANOTIME, NANOTIMESTAMP, DATEHOUR, DATEMINUTE, FLOAT, DOUBLE,
                                 DECIMAL32, DECIMAL64, DECIMAL128, UUID, IPADDR, INT128})


def row_sizes(x: ArrayVector) -> np.ndarray:
    return np.diff(x.offsets)


def elements(x: ArrayVector) -> Vector:
    """The elements of every row, in order, as one vector (the offsets may start past 0)."""
    lo, hi = int(x.offsets[0]), int(x.offsets[-1])
    data = x.values.data
    return Vector(x.values.type, data if (lo, hi) == (0, len(data)) else data[lo:hi], x.values.scale)


def with_rows(flat: Value, sizes: np.ndarray) -> ArrayVector:
    """The vector `flat` cut into rows of `sizes` elements."""
    if not isinstance(flat, Vector) or flat.form != VECTOR or len(flat) != int(sizes.sum()):
        raise ScriptError("An element-wise function of an array vector must give one value per element")
    if flat.type not in ARRAY_ELEMENT_TYPES:
        raise ScriptError(f"Not allowed to create a vector with type {type_name(flat.type + ARRAY_BASE)}")
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    return ArrayVector(flat.type + ARRAY_BASE, offsets, flat)


def spread(x, sizes: np.ndarray):
    """Operand x of an element-wise function whose array vector operands have rows of `sizes`:
    as one value per element (scalars and non-values stay as they are)."""
    if isinstance(x, ArrayVector):
        if len(x) != len(sizes) or not np.array_equal(row_sizes(x), sizes):
            raise ScriptError("The array vectors of an element-wise operation must have the same row sizes")
        return elements(x)
    if isinstance(x, Vector) and x.form == VECTOR and x.type != ANY:
        if len(x) != len(sizes):
            raise ScriptError("A vector combined with an array vector must have one element per row "
                              f"({len(sizes)}), not {len(x)}")
        return take_rows(x, np.repeat(np.arange(len(sizes)), sizes))
    if isinstance(x, Value) and not isinstance(x, Scalar):
        what = "tuple" if isinstance(x, Vector) and x.type == ANY else FORM_NAMES.get(x.form, "object").lower()
        raise ScriptError(f"An array vector can't be combined with a {what} in an element-wise operation")
    return x


def over_rows(fn):
    """fn(*args), written for scalars and vectors, applied to array vector arguments element by
    element; the result has the rows of the array vector arguments."""
    @functools.wraps(fn)
    def lifted(*args):
        for a in args:
            if isinstance(a, ArrayVector):
                sizes = row_sizes(a)
                return with_rows(fn(*(spread(x, sizes) for x in args)), sizes)
        return fn(*args)
    return lifted
