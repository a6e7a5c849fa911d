"""The one table of facts about each DolphinDB type (PROTOCOL.md §5.3), read by every layer.

A row says: the type id and name, its category, how wide one element is on the wire, the numpy
dtype a vector of it is stored in, the storage-level null, for temporal types how many
nanoseconds one unit is and for DECIMALs the largest scale. The type id constants are defined
here, once, and re-exported by ``values.py``. Everything else (name lookups, storage dtypes, null
sentinels, the codec's widths, the category sets the interpreter and the result protocols use) is
derived from these rows, so a new fixed-width type is an id and one row here.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

import numpy as np


class Category(enum.Enum):
    """DolphinDB's type categories (the real server's typestr/category groups)."""
    NOTHING = "NOTHING"
    LOGICAL = "LOGICAL"          # BOOL
    INTEGRAL = "INTEGRAL"        # CHAR SHORT INT LONG (not BOOL)
    FLOATING = "FLOATING"
    TEMPORAL = "TEMPORAL"
    LITERAL = "LITERAL"          # STRING SYMBOL BLOB
    BINARY = "BINARY"            # the 128-bit types UUID IPADDR INT128
    DENARY = "DENARY"            # the DECIMALs
    SYSTEM = "SYSTEM"            # FUNCTIONDEF HANDLE CODE DATASOURCE RESOURCE COMPRESS DICTIONARY
    MIXED = "MIXED"              # ANY
    OTHER = "OTHER"              # COMPLEX POINT DURATION: the server carries their elements as raw wire bytes


@dataclass(frozen=True)
class TypeInfo:
    id: int
    name: str
    category: Category
    width: int = 0                        # bytes per element on the wire; 0 = variable or none
    dtype: Optional[np.dtype] = None      # numpy storage of a vector; None = object array / other
    null: Any = None                      # what a null element of a vector holds
    ns_per_unit: Optional[int] = None     # temporal types with a fixed unit (MONTH has none)
    max_scale: Optional[int] = None       # DECIMALs: the largest scale the width holds


# ---- type ids (PROTOCOL.md §5.3): each number is written here once, the rows below name them ---
VOID, BOOL, CHAR, SHORT, INT, LONG = 0, 1, 2, 3, 4, 5
DATE, MONTH, TIME, MINUTE, SECOND, DATETIME, TIMESTAMP, NANOTIME, NANOTIMESTAMP = range(6, 15)
FLOAT, DOUBLE, SYMBOL, STRING, UUID, FUNCTIONDEF, HANDLE, CODE, DATASOURCE, RESOURCE = range(15, 25)
ANY, COMPRESS, DICTIONARY_T, DATEHOUR, DATEMINUTE, IPADDR, INT128, BLOB = range(25, 33)   # DICTIONARY is a form
COMPLEX, POINT, DURATION, DECIMAL32, DECIMAL64, DECIMAL128 = range(34, 40)
ARRAY_BASE = 64                          # T[] (an array vector of T) is ARRAY_BASE + T

_I32_MIN, _I64_MIN, INT128_MIN = -(1 << 31), -(1 << 63), -(1 << 127)
_DAY_NS = 86_400 * 10**9
_C = Category


def _fixed(id_, name, category, dtype, null, ns=None, max_scale=None):
    return TypeInfo(id_, name, category, np.dtype(dtype).itemsize, np.dtype(dtype), null, ns, max_scale)


TYPES: Tuple[TypeInfo, ...] = (
    TypeInfo(VOID, "VOID", _C.NOTHING),
    _fixed(BOOL, "BOOL", _C.LOGICAL, np.int8, -128),
    _fixed(CHAR, "CHAR", _C.INTEGRAL, np.int8, -128),
    _fixed(SHORT, "SHORT", _C.INTEGRAL, np.int16, -(1 << 15)),
    _fixed(INT, "INT", _C.INTEGRAL, np.int32, _I32_MIN),
    _fixed(LONG, "LONG", _C.INTEGRAL, np.int64, _I64_MIN),
    _fixed(DATE, "DATE", _C.TEMPORAL, np.int32, _I32_MIN, _DAY_NS),
    _fixed(MONTH, "MONTH", _C.TEMPORAL, np.int32, _I32_MIN),
    _fixed(TIME, "TIME", _C.TEMPORAL, np.int32, _I32_MIN, 10**6),
    _fixed(MINUTE, "MINUTE", _C.TEMPORAL, np.int32, _I32_MIN, 60 * 10**9),
    _fixed(SECOND, "SECOND", _C.TEMPORAL, np.int32, _I32_MIN, 10**9),
    _fixed(DATETIME, "DATETIME", _C.TEMPORAL, np.int32, _I32_MIN, 10**9),
    _fixed(TIMESTAMP, "TIMESTAMP", _C.TEMPORAL, np.int64, _I64_MIN, 10**6),
    _fixed(NANOTIME, "NANOTIME", _C.TEMPORAL, np.int64, _I64_MIN, 1),
    _fixed(NANOTIMESTAMP, "NANOTIMESTAMP", _C.TEMPORAL, np.int64, _I64_MIN, 1),
    # the floating NULLs are the lowest finite values, as on the wire; NaN and inf are values
    _fixed(FLOAT, "FLOAT", _C.FLOATING, np.float32, np.float32(-np.finfo(np.float32).max)),
    _fixed(DOUBLE, "DOUBLE", _C.FLOATING, np.float64, -np.finfo(np.float64).max),
    TypeInfo(SYMBOL, "SYMBOL", _C.LITERAL, null=""),
    TypeInfo(STRING, "STRING", _C.LITERAL, null=""),
    TypeInfo(UUID, "UUID", _C.BINARY, 16, null=0),
    TypeInfo(FUNCTIONDEF, "FUNCTIONDEF", _C.SYSTEM),
    TypeInfo(HANDLE, "HANDLE", _C.SYSTEM),
    TypeInfo(CODE, "CODE", _C.SYSTEM),
    TypeInfo(DATASOURCE, "DATASOURCE", _C.SYSTEM),
    TypeInfo(RESOURCE, "RESOURCE", _C.SYSTEM),
    TypeInfo(ANY, "ANY", _C.MIXED),
    TypeInfo(COMPRESS, "COMPRESS", _C.SYSTEM),
    TypeInfo(DICTIONARY_T, "DICTIONARY", _C.SYSTEM),
    _fixed(DATEHOUR, "DATEHOUR", _C.TEMPORAL, np.int32, _I32_MIN, 3_600 * 10**9),
    _fixed(DATEMINUTE, "DATEMINUTE", _C.TEMPORAL, np.int32, _I32_MIN, 60 * 10**9),
    TypeInfo(IPADDR, "IPADDR", _C.BINARY, 16, null=0),
    TypeInfo(INT128, "INT128", _C.BINARY, 16, null=0),
    TypeInfo(BLOB, "BLOB", _C.LITERAL, null=b""),
    TypeInfo(COMPLEX, "COMPLEX", _C.OTHER, 16),
    TypeInfo(POINT, "POINT", _C.OTHER, 16),
    TypeInfo(DURATION, "DURATION", _C.OTHER, 8),
    _fixed(DECIMAL32, "DECIMAL32", _C.DENARY, np.int32, _I32_MIN, max_scale=9),
    _fixed(DECIMAL64, "DECIMAL64", _C.DENARY, np.int64, _I64_MIN, max_scale=18),
    TypeInfo(DECIMAL128, "DECIMAL128", _C.DENARY, 16, null=INT128_MIN, max_scale=38),
)

TYPE_INFO: Dict[int, TypeInfo] = {t.id: t for t in TYPES}
TYPE_BY_NAME: Dict[str, int] = {t.name: t.id for t in TYPES}
assert len(TYPE_INFO) == len(TYPES), "two rows of the type table share an id"


def types_in(*categories: Category) -> Tuple[int, ...]:
    """The type ids of the given categories, in id order."""
    return tuple(t.id for t in TYPES if t.category in categories)


# numpy storage per fixed-width type; the other data types are object arrays of Python values
STORAGE_DTYPE = {t.id: t.dtype.type for t in TYPES if t.dtype is not None}
OBJECT_TYPES = frozenset(t.id for t in TYPES if t.dtype is None and t.category in
                         (_C.LITERAL, _C.BINARY, _C.DENARY, _C.SYSTEM) and t.name not in ("COMPRESS", "DICTIONARY"))
# the integer sentinel nulls (the fixed-width integer-stored types)
NULL_INT = {t.id: t.null for t in TYPES if t.dtype is not None and t.dtype.kind == "i"}
# the sentinel nulls of every numpy-stored number: NULL_INT and the floats' lowest finite values
NULL_FIXED = {t.id: t.null for t in TYPES if t.dtype is not None and t.dtype.kind in "if"}
# nanoseconds per unit of each temporal type with a fixed unit (MONTH is calendar arithmetic)
NS_PER_UNIT = {t.id: t.ns_per_unit for t in TYPES if t.ns_per_unit is not None}
# the types carried as raw wire bytes (a scalar is the bytes, a vector an object array of them)
RAW_WIDTH = {t.id: t.width for t in TYPES if t.category is _C.OTHER}
