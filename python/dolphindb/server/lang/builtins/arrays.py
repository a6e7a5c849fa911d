"""Array vectors (columns whose rows are vectors): arrayVector, rowSize, flatten, and the
building blocks appends and DFS writes share."""
from __future__ import annotations

import numpy as np

from ...errors import ScriptError
from ...model.array_vectors import ARRAY_ELEMENT_TYPES, elements, row_sizes
from ...model.columns import column_copy, extend_array_vector, extend_row_list, make, null_mask, vector_of
from ...model.values import (ANY, ARRAY_BASE, CHAR, INT, LONG, SHORT, STORAGE_DTYPE, VECTOR, VOID, ArrayVector,
                             Scalar, Vector, type_name)
from ..registry import builtin
from .casts import cast


def _elements_as(values: Vector, elem_type, scale) -> Vector:
    """Elements converted to elem_type(scale)."""
    if values.type == elem_type and values.scale == scale:
        return values
    return cast(values, elem_type, scale)


def _row_parts(rows, elem_type, scale):
    """The storage data of each row (a Vector or a Scalar) cast to elem_type(scale)."""
    if elem_type not in ARRAY_ELEMENT_TYPES:
        raise ScriptError(f"Not allowed to create a vector with type {type_name(elem_type + ARRAY_BASE)}")
    parts = []
    for row in rows:
        if isinstance(row, Scalar):     # a scalar row; a NULL row holds one NULL
            row = Vector(VOID, None, length_=1) if row.type == VOID else vector_of([row])
        if not isinstance(row, Vector) or row.type == ANY:
            raise ScriptError("Each row of an array vector must be a vector of its element type")
        parts.append(_elements_as(row, elem_type, scale).data)
    return parts


def array_vector_from_rows(rows, elem_type, scale=0) -> ArrayVector:
    """An array vector whose row i is rows[i] (a Vector or a Scalar) cast to elem_type."""
    return _from_parts(_row_parts(rows, elem_type, scale), elem_type, scale)


def _from_parts(parts, elem_type, scale) -> ArrayVector:
    dtype = STORAGE_DTYPE.get(elem_type, object)
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in parts], out=offsets[1:])
    data = np.concatenate([np.asarray(p, dtype=dtype) for p in parts]) if parts else np.empty(0, dtype)
    return ArrayVector(elem_type + ARRAY_BASE, offsets, Vector(elem_type, data, scale))


def _appended_rows(new, like: ArrayVector, what):
    """What an append to `like` gives (an array vector, a tuple/ANY vector of rows, or one row):
    an ArrayVector, or the list of its rows' data."""
    if isinstance(new, ArrayVector):
        return ArrayVector(like.type, new.offsets, _elements_as(new.values, like.values.type, like.values.scale))
    if isinstance(new, Vector) and new.type == ANY:
        return _row_parts(new.data, like.values.type, like.values.scale)
    if isinstance(new, (Vector, Scalar)):
        return _row_parts([new], like.values.type, like.values.scale)
    raise ScriptError(f"{what} expects an array vector")


def rows_as_array_vector(new, like: ArrayVector, what) -> ArrayVector:
    """What an append to `like` gives, as an array vector of its element type."""
    rows = _appended_rows(new, like, what)
    if isinstance(rows, ArrayVector):
        return rows
    return _from_parts(rows, like.values.type, like.values.scale)


def append_rows(av: ArrayVector, new, what) -> None:
    """Appends to array vector `av` in place what an append gives (see _appended_rows)."""
    rows = _appended_rows(new, av, what)
    if isinstance(rows, ArrayVector):
        extend_array_vector(av, rows)
    else:
        extend_row_list(av, rows)


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
    return make(INT, row_sizes(x).astype(np.int32), False)


@builtin("flatten", 1)
def flatten(ctx, x):
    if isinstance(x, ArrayVector):
        return column_copy(elements(x))
    if isinstance(x, Vector):
        return column_copy(x)
    raise ScriptError("flatten needs a vector")
