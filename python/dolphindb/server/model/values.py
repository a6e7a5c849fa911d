"""The embedded server's object model: DolphinDB values as numpy-backed Python objects.

Shared by the server's codec (``codec.py``), its interpreter (``lang/``) and its session layer.
It is deliberately independent of the C++ core so that the two codecs check each other.

Representation (``data`` of a Vector / Scalar value):

=====================================  ===============================================
type                                   storage
=====================================  ===============================================
BOOL, CHAR                             int8 (null = -128)
SHORT                                  int16 (null = -32768)
INT, DATE, MONTH, TIME, MINUTE,        int32, the wire unit (days, months since 0000.01,
SECOND, DATETIME, DATEHOUR,            ms/min/s since midnight, s/h/min since epoch),
DATEMINUTE, DECIMAL32                  null = INT32_MIN; DECIMAL32 raw scaled ints
LONG, TIMESTAMP, NANOTIME,             int64, null = INT64_MIN
NANOTIMESTAMP, DECIMAL64
FLOAT / DOUBLE                         float32 / float64, null = -FLT_MAX / -DBL_MAX as on
                                       the wire (NaN and inf are values, not NULL)
STRING, SYMBOL                         object array of str (null = "")
BLOB                                   object array of bytes (null = b"")
UUID, IPADDR, INT128, DECIMAL128       object array of Python int (unsigned 128-bit for
                                       UUID/IPADDR/INT128, signed for DECIMAL128;
                                       null = 0 / the int128 minimum)
ANY                                    Python list of values (any Value subclass)
array vector (T[])                     ArrayVector: ``offsets`` int64[n+1] + ``values``
                                       (a Vector of T)
VOID                                   ``data`` is None; ``length`` holds the count
=====================================  ===============================================

Scalars hold a Python object: int (integral, temporal raw unit, DECIMAL raw, 128-bit),
float, str, bytes, or None for NULL of any type.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

# the type ids and the derived tables live in types.py; the server imports them from here with the value classes
from .types import (ANY, ARRAY_BASE, BLOB, BOOL, CHAR, CODE, COMPLEX, COMPRESS, DATASOURCE,  # noqa: F401
                    DATE, DATEHOUR, DATEMINUTE, DATETIME, DECIMAL32, DECIMAL64, DECIMAL128, DICTIONARY_T,
                    DOUBLE, DURATION, FLOAT, FUNCTIONDEF, HANDLE, INT, INT128, INT128_MIN, IPADDR, LONG,
                    MINUTE, MONTH, NANOTIME, NANOTIMESTAMP, NULL_FIXED, NULL_INT, OBJECT_TYPES, POINT, RESOURCE, SECOND,
                    SHORT, STORAGE_DTYPE, STRING, SYMBOL, TIME, TIMESTAMP, TYPE_INFO, TYPES, UUID, VOID)

# ---- forms -----------------------------------------------------------------------------------
SCALAR, VECTOR, PAIR, MATRIX, SET, DICTIONARY, TABLE, CHART, CHUNK = range(9)

TYPE_NAMES = {t.id: t.name for t in TYPES}
FORM_NAMES = {SCALAR: "SCALAR", VECTOR: "VECTOR", PAIR: "PAIR", MATRIX: "MATRIX", SET: "SET",
              DICTIONARY: "DICTIONARY", TABLE: "TABLE", CHART: "CHART", CHUNK: "CHUNK"}


def type_name(t: int) -> str:
    if ARRAY_BASE <= t < 128:
        return TYPE_NAMES.get(t - ARRAY_BASE, str(t - ARRAY_BASE)) + "[]"
    return TYPE_NAMES.get(t, str(t))


def type_string(t: int, scale: int = 0) -> str:
    """A column's type as schema() writes it: a DECIMAL carries its scale (DECIMAL32(2),
    DECIMAL64(4)[] for an array vector of them)."""
    base = t - ARRAY_BASE if ARRAY_BASE <= t < 128 else t
    if base in (DECIMAL32, DECIMAL64, DECIMAL128):
        return f"{TYPE_NAMES[base]}({scale})" + ("[]" if base != t else "")
    return type_name(t)


def null_of(t: int):
    """The storage-level null of type t (what a null element of a Vector holds)."""
    info = TYPE_INFO.get(t)
    return None if info is None else info.null


class Value:
    """Base of every DolphinDB object the server holds."""
    form: int
    type: int


@dataclass(eq=False)
class Scalar(Value):
    type: int
    value: Any                  # None = NULL
    scale: int = 0              # DECIMAL*; FUNCTIONDEF: kind byte
    form: int = field(default=SCALAR, init=False)

    def is_null(self) -> bool:
        return self.value is None


class EnumInt(Scalar):
    """A named integer constant of the language (the type names INT, DOUBLE ...): an INT whose
    text is its name, so a string compares with the name (typestr(x) == DOUBLE)."""

    def __init__(self, name: str, value: int):
        super().__init__(INT, value)
        self.name = name


@dataclass(eq=False)
class Vector(Value):
    type: int
    data: Any                   # np.ndarray (see module doc), a list for ANY, None for VOID
    scale: int = 0
    form: int = VECTOR          # VECTOR, PAIR or SET (a set keeps its keys as a Vector)
    length_: Optional[int] = None   # VOID vectors only
    # appends grow data inside this room (data is a view of its front): see columns.Spare
    spare: Optional[Any] = field(default=None, repr=False)

    def __len__(self) -> int:
        if self.data is None:
            return self.length_ or 0
        return len(self.data)


@dataclass(eq=False)
class ArrayVector(Value):
    """An array vector (T[]): row i is values[offsets[i]:offsets[i+1]]."""
    type: int                   # ARRAY_BASE + element type
    offsets: np.ndarray         # int64, len n + 1
    values: Vector              # flat elements of the element type
    form: int = field(default=VECTOR, init=False)
    offsets_spare: Optional[Any] = field(default=None, repr=False)   # room to grow offsets (columns.Spare)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def scale(self) -> int:
        return self.values.scale


@dataclass(eq=False)
class Matrix(Value):
    type: int
    data: np.ndarray            # 2-D (rows, cols), storage dtype as for vectors
    scale: int = 0
    row_labels: Optional[Vector] = None
    col_labels: Optional[Vector] = None
    form: int = field(default=MATRIX, init=False)


@dataclass(eq=False)
class Dictionary(Value):
    keys: Vector
    values: Vector              # same length as keys; type ANY for mixed values
    form: int = field(default=DICTIONARY, init=False)

    @property
    def type(self) -> int:
        return self.values.type


@dataclass(eq=False)
class Table(Value):
    columns: dict               # name -> Vector / ArrayVector, insertion-ordered
    name: str = ""
    form: int = field(default=TABLE, init=False)
    type: int = field(default=0, init=False)

    @property
    def rows(self) -> int:
        for c in self.columns.values():
            return len(c)
        return 0


@dataclass(eq=False)
class Opaque(Value):
    """A form the server only carries (CHUNK, CHART, FUNCTIONDEF text ...)."""
    form: int
    type: int
    payload: Any
