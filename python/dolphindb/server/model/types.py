"""The one table of facts about each DolphinDB type (PROTOCOL.md §5.3), read by every layer.

A row says: the type id and name, its category, how wide one element is on the wire, the numpy
dtype a vector of it is stored in, the storage-level null, and for temporal types how many
nanoseconds one unit is. Everything else (name lookups, storage dtypes, null sentinels, the
category sets the interpreter and the result protocols use) is derived from these rows, so a new
fixed-width type is one row here.
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


@dataclass(frozen=True)
class TypeInfo:
    id: int
    name: str
    category: Category
    width: int = 0                        # bytes per element on the wire; 0 = variable or none
    dtype: Optional[np.dtype] = None      # numpy storage of a vector; None = object array / other
    null: Any = None                      # what a null element of a vector holds
    ns_per_unit: Optional[int] = None     # temporal types with a fixed unit (MONTH has none)


_I32_MIN, _I64_MIN, INT128_MIN = -(1 << 31), -(1 << 63), -(1 << 127)
_DAY_NS = 86_400 * 10**9
_C = Category


def _fixed(id_, name, category, dtype, null, ns=None):
    return TypeInfo(id_, name, category, np.dtype(dtype).itemsize, np.dtype(dtype), null, ns)


TYPES: Tuple[TypeInfo, ...] = (
    TypeInfo(0, "VOID", _C.NOTHING),
    _fixed(1, "BOOL", _C.LOGICAL, np.int8, -128),
    _fixed(2, "CHAR", _C.INTEGRAL, np.int8, -128),
    _fixed(3, "SHORT", _C.INTEGRAL, np.int16, -(1 << 15)),
    _fixed(4, "INT", _C.INTEGRAL, np.int32, _I32_MIN),
    _fixed(5, "LONG", _C.INTEGRAL, np.int64, _I64_MIN),
    _fixed(6, "DATE", _C.TEMPORAL, np.int32, _I32_MIN, _DAY_NS),
    _fixed(7, "MONTH", _C.TEMPORAL, np.int32, _I32_MIN),
    _fixed(8, "TIME", _C.TEMPORAL, np.int32, _I32_MIN, 10**6),
    _fixed(9, "MINUTE", _C.TEMPORAL, np.int32, _I32_MIN, 60 * 10**9),
    _fixed(10, "SECOND", _C.TEMPORAL, np.int32, _I32_MIN, 10**9),
    _fixed(11, "DATETIME", _C.TEMPORAL, np.int32, _I32_MIN, 10**9),
    _fixed(12, "TIMESTAMP", _C.TEMPORAL, np.int64, _I64_MIN, 10**6),
    _fixed(13, "NANOTIME", _C.TEMPORAL, np.int64, _I64_MIN, 1),
    _fixed(14, "NANOTIMESTAMP", _C.TEMPORAL, np.int64, _I64_MIN, 1),
    _fixed(15, "FLOAT", _C.FLOATING, np.float32, np.nan),
    _fixed(16, "DOUBLE", _C.FLOATING, np.float64, np.nan),
    TypeInfo(17, "SYMBOL", _C.LITERAL, null=""),
    TypeInfo(18, "STRING", _C.LITERAL, null=""),
    TypeInfo(19, "UUID", _C.BINARY, 16, null=0),
    TypeInfo(20, "FUNCTIONDEF", _C.SYSTEM),
    TypeInfo(21, "HANDLE", _C.SYSTEM),
    TypeInfo(22, "CODE", _C.SYSTEM),
    TypeInfo(23, "DATASOURCE", _C.SYSTEM),
    TypeInfo(24, "RESOURCE", _C.SYSTEM),
    TypeInfo(25, "ANY", _C.MIXED),
    TypeInfo(26, "COMPRESS", _C.SYSTEM),
    TypeInfo(27, "DICTIONARY", _C.SYSTEM),
    _fixed(28, "DATEHOUR", _C.TEMPORAL, np.int32, _I32_MIN, 3_600 * 10**9),
    _fixed(29, "DATEMINUTE", _C.TEMPORAL, np.int32, _I32_MIN, 60 * 10**9),
    TypeInfo(30, "IPADDR", _C.BINARY, 16, null=0),
    TypeInfo(31, "INT128", _C.BINARY, 16, null=0),
    TypeInfo(32, "BLOB", _C.LITERAL, null=b""),
    _fixed(37, "DECIMAL32", _C.DENARY, np.int32, _I32_MIN),
    _fixed(38, "DECIMAL64", _C.DENARY, np.int64, _I64_MIN),
    TypeInfo(39, "DECIMAL128", _C.DENARY, 16, null=INT128_MIN),
)

TYPE_INFO: Dict[int, TypeInfo] = {t.id: t for t in TYPES}
TYPE_BY_NAME: Dict[str, int] = {t.name: t.id for t in TYPES}


def types_in(*categories: Category) -> Tuple[int, ...]:
    """The type ids of the given categories, in id order."""
    return tuple(t.id for t in TYPES if t.category in categories)


# numpy storage per fixed-width type; the other data types are object arrays of Python values
STORAGE_DTYPE = {t.id: t.dtype.type for t in TYPES if t.dtype is not None}
OBJECT_TYPES = frozenset(t.id for t in TYPES if t.dtype is None and t.category in
                         (_C.LITERAL, _C.BINARY, _C.DENARY, _C.SYSTEM) and t.name not in ("COMPRESS", "DICTIONARY"))
# the integer sentinel nulls (the fixed-width integer-stored types)
NULL_INT = {t.id: t.null for t in TYPES if t.dtype is not None and t.dtype.kind == "i"}
# nanoseconds per unit of each temporal type with a fixed unit (MONTH is calendar arithmetic)
NS_PER_UNIT = {t.id: t.ns_per_unit for t in TYPES if t.ns_per_unit is not None}
