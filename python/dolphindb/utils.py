"""Client-side helpers of the official `dolphindb.utils`: `hash_bucket`, `month`,
`get_types_from_schema`.

`hash_bucket(obj, n)` is DolphinDB's bucket hash (the `hashBucket` function, HASH partitions),
computed without a server (BULK_WRITERS.md §2.4): integers and temporals reinterpreted as
unsigned of their width (32 or 64 bits) modulo n, NULL -> -1; strings through 32-bit
MurmurHash2 seeded with their UTF-8 length, the empty string -> 0. Python ints count as LONG,
numpy scalars and arrays keep their width (np.int32 -> INT).

`month(year, month)` renders a MONTH literal ("2024-03M"); `get_types_from_schema` turns the
`colDefs` table of `schema(t)` into {column: [type name, decimal scale or None]}.
"""
from __future__ import annotations

from typing import Dict, List

import numpy as np

from .settings import TYPE_STRING

_M = 0x5BD1E995
_MASK = 0xFFFFFFFF
_NOT_HASHABLE = "Key must be integer, date/time, or string."

_NULLS = {np.dtype(np.int8): -2**7, np.dtype(np.int16): -2**15, np.dtype(np.int32): -2**31,
          np.dtype(np.int64): -2**63}
# datetime64 unit -> (DolphinDB storage width, offset added to numpy's count): MONTH counts months
# since year 0, DATE days, DATETIME seconds, DATEHOUR hours (32-bit); TIMESTAMP ms, NANOTIMESTAMP ns.
_TEMPORAL = {"M": (np.int32, 1970 * 12), "D": (np.int32, 0), "h": (np.int32, 0), "s": (np.int32, 0),
             "ms": (np.int64, 0), "ns": (np.int64, 0)}


def murmur32(data: bytes) -> int:
    """32-bit MurmurHash2 with the seed DolphinDB uses (the byte length)."""
    length = len(data)
    h = length
    whole = length & ~3
    for i in range(0, whole, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    tail = length & 3
    if tail:
        if tail == 3:
            h ^= data[whole + 2] << 16
        if tail >= 2:
            h ^= data[whole + 1] << 8
        h ^= data[whole]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h


def _integers(values: np.ndarray, n: int) -> np.ndarray:
    if values.dtype.itemsize <= 4:   # sign-extended to 32 bits, then read as unsigned
        unsigned = values.astype(np.int32).view(np.uint32).astype(np.uint64)
    else:
        unsigned = np.ascontiguousarray(values, dtype=np.int64).view(np.uint64)
    out = (unsigned % np.uint64(n)).astype(np.int32)
    out[values == _NULLS[values.dtype]] = -1
    return out


def _temporals(values: np.ndarray, n: int) -> np.ndarray:
    unit = np.datetime_data(values.dtype)[0]
    if unit not in _TEMPORAL:
        raise ValueError(f"hashBucket does not support datetime64[{unit}]")
    width, offset = _TEMPORAL[unit]
    counts = values.view(np.int64)
    nulls = np.isnat(values)
    stored = (counts + offset).astype(width)
    out = _integers(stored, n)
    out[nulls] = -1
    return out


def _strings(values, n: int) -> np.ndarray:
    out = np.empty(len(values), dtype=np.int32)
    for i, v in enumerate(values):
        if not isinstance(v, str):
            raise ValueError(_NOT_HASHABLE)
        out[i] = murmur32(v.encode("utf-8")) % n
    return out


def _vector(values: np.ndarray, n: int) -> np.ndarray:
    kind = values.dtype.kind
    if kind == "i":
        return _integers(values, n)
    if kind == "M":
        return _temporals(values, n)
    if kind in "UO":
        return _strings(values, n)
    raise ValueError(_NOT_HASHABLE)


def hash_bucket(obj, n: int):
    """Bucket of `obj` (a scalar -> int) or of each element (a vector -> int32 ndarray) in [0, n)."""
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        raise ValueError("n must be a positive integer")
    if isinstance(obj, str):
        return int(_strings([obj], n)[0])
    if isinstance(obj, bool) or isinstance(obj, np.bool_):
        raise ValueError(_NOT_HASHABLE)
    if isinstance(obj, int):
        return int(_integers(np.array([obj], dtype=np.int64), n)[0])
    if isinstance(obj, np.generic):
        return int(_vector(np.array([obj]), n)[0])
    if isinstance(obj, (list, tuple)):
        if all(isinstance(v, int) and not isinstance(v, bool) for v in obj):
            return _integers(np.array(obj, dtype=np.int64), n)
        if all(isinstance(v, str) for v in obj):
            return _strings(obj, n)
        raise ValueError(_NOT_HASHABLE)
    if hasattr(obj, "to_numpy"):
        obj = obj.to_numpy()
    if isinstance(obj, np.ndarray):
        return _vector(obj.ravel(), n)
    raise ValueError(_NOT_HASHABLE)


class month:
    """A MONTH value for script text: str(month(2024, 3)) == "2024-03M"."""

    def __init__(self, year: int, month: int):
        self._year, self._month = year, month

    def __str__(self):
        return f"{self._year}-{self._month:02d}M"

    def __repr__(self):
        return f"month({self._year}, {self._month})"


def get_types_from_schema(df_schema_info) -> Dict[str, List]:
    """{name: [type name, extra]} from a pandas DataFrame with columns `name`, `typeInt` and,
    optionally, `extra` (the DECIMAL scale; None where the column has none)."""
    import pandas as pd
    has_extra = "extra" in df_schema_info.columns
    types = {}
    for name, type_int, extra in zip(df_schema_info["name"], df_schema_info["typeInt"],
                                     df_schema_info["extra"] if has_extra else [None] * len(df_schema_info)):
        type_name = TYPE_STRING.get(int(type_int))
        if type_name is None:
            raise ValueError(f"Unknown DolphinDB type id {type_int} for column {name!r}.")
        if extra is not None and pd.notna(extra):
            try:
                extra = int(extra)
            except (ValueError, TypeError):
                raise ValueError("Invalid type for 'extra'. Expected an int, but received a value of type "
                                 f"{type(extra)}.") from None
        else:
            extra = None
        types[name] = [type_name, extra]
    return types
