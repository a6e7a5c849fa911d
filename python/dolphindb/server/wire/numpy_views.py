"""DolphinDB vectors as the numpy arrays the official client builds from a PICKLE or ARROW reply
(OFFICIAL_API.md §4.3): ints with nulls as float64, temporal as datetime64[ns], text and 128-bit
types as object. Shared by the pickle writer and the Arrow replies."""
from __future__ import annotations

import numpy as np

from ..model.columns import format_scalar
from ..model.types import NS_PER_UNIT, Category, types_in
from ..model.values import (ARRAY_BASE, BLOB, BOOL, DECIMAL128, DECIMAL32, DECIMAL64, DOUBLE, FLOAT, INT128, IPADDR,
                            MONTH, NULL_INT, STRING, SYMBOL, UUID, ArrayVector, Scalar, null_of)

PICKLED_FORM = 0x20          # added to the form byte of a PICKLE/ARROW reply's flag word
TABLE_FORM, MATRIX_FORM = 6, 3
TEMPORAL = set(types_in(Category.TEMPORAL))
INTEGRAL = set(types_in(Category.INTEGRAL))        # BOOL (LOGICAL) has its own conversion
NOT_PICKLED = {BLOB, DECIMAL32, DECIMAL64, DECIMAL128}


# ------------------------------------------------------------------- DolphinDB -> numpy
def nanoseconds(t: int, raw: np.ndarray) -> np.ndarray:
    """datetime64[ns] of a temporal vector's raw units (null -> NaT)."""
    null = raw == NULL_INT[t]
    if t == MONTH:
        months = raw.astype(np.int64) - 1970 * 12
        out = months.astype("datetime64[M]").astype("datetime64[ns]")
    else:
        out = (raw.astype(np.int64) * NS_PER_UNIT[t]).view("datetime64[ns]")
    out[null] = np.datetime64("NaT")
    return out


def text_of_128(t: int, data) -> np.ndarray:
    return np.array([format_scalar(Scalar(t, int(x))) for x in data], dtype=object)


def to_numpy(t: int, data) -> np.ndarray:
    """One vector's elements as the numpy array the official client builds (§4.3)."""
    if t in TEMPORAL:
        return nanoseconds(t, np.asarray(data))
    if t in INTEGRAL:
        null = data == NULL_INT[t]
        return np.where(null, np.nan, data.astype(np.float64)) if null.any() else data
    if t == BOOL:
        null = data == NULL_INT[BOOL]
        if null.any():
            out = np.empty(len(data), dtype=object)
            out[:] = [None if n else bool(x) for x, n in zip(data, null)]
            return out
        return data.astype(np.bool_)
    if t in (FLOAT, DOUBLE):       # the official client shows a NULL float as NaN
        null = data == null_of(t)
        return np.where(null, np.nan, data) if null.any() else data
    if t in (STRING, SYMBOL):
        return np.asarray(data, dtype=object)
    if t in (UUID, IPADDR, INT128):
        return text_of_128(t, data)
    raise TypeError(t)


def column_to_numpy(col) -> np.ndarray:
    if isinstance(col, ArrayVector):
        elem = col.type - ARRAY_BASE
        values = to_numpy(elem, col.values.data)
        out = np.empty(len(col), dtype=object)
        out[:] = [values[a:b] for a, b in zip(col.offsets[:-1], col.offsets[1:])]
        return out
    return to_numpy(col.type, col.data)


def picklable(t: int) -> bool:
    elem = t - ARRAY_BASE if t >= ARRAY_BASE else t
    return elem not in NOT_PICKLED and (elem in TEMPORAL or elem in INTEGRAL or elem in
                                        (BOOL, FLOAT, DOUBLE, STRING, SYMBOL, UUID, IPADDR, INT128))
