"""Value helpers for the interpreter: construction, numpy views with null masks, type rules."""
from __future__ import annotations

import datetime as _dt

import numpy as np

from .values import (ANY, BLOB, BOOL, CHAR, DATE, DATEHOUR, DATEMINUTE, DATETIME, DECIMAL128, DECIMAL32, DECIMAL64,
                     DOUBLE, FLOAT, INT, INT128, IPADDR, LONG, MINUTE, MONTH, NANOTIME, NANOTIMESTAMP, NULL_FIXED,
                     NULL_INT, OBJECT_TYPES, SECOND, SHORT, STORAGE_DTYPE, STRING, SYMBOL, TIME, TIMESTAMP, UUID,
                     VOID, ArrayVector, Dictionary, EnumInt, Matrix, Scalar, Table, Value, Vector, null_of)
from ..errors import ScriptError
from .types import Category, types_in

# The interpreter's arithmetic treats BOOL as an integer, so its INTEGRAL is LOGICAL + INTEGRAL.
INTEGRAL = types_in(Category.LOGICAL, Category.INTEGRAL)
FLOATING = types_in(Category.FLOATING)
NUMERIC = INTEGRAL + FLOATING
NUMERIC_SET = frozenset(NUMERIC)
TEMPORAL = types_in(Category.TEMPORAL)
LITERAL = types_in(Category.LITERAL)
RANK = {BOOL: 0, CHAR: 1, SHORT: 2, INT: 3, LONG: 4, FLOAT: 5, DOUBLE: 6}


def S(t, v, scale=0):
    return Scalar(t, v, scale)


def V(t, data, scale=0):
    if t in STORAGE_DTYPE and not isinstance(data, np.ndarray):
        data = np.array(data, dtype=STORAGE_DTYPE[t])
    elif t in OBJECT_TYPES and not isinstance(data, np.ndarray):
        arr = np.empty(len(data), dtype=object)
        arr[:] = list(data)
        data = arr
    return Vector(t, data, scale)


def is_scalar(v):
    return isinstance(v, Scalar)


def is_vector(v):
    return isinstance(v, (Vector, ArrayVector)) and v.form in (1, 2)


def length(v):
    if isinstance(v, Table):
        return v.rows
    if isinstance(v, (Vector, ArrayVector)):
        return len(v)
    if isinstance(v, Dictionary):
        return len(v.keys)
    if isinstance(v, Matrix):
        return v.data.shape[0] * v.data.shape[1]
    return 1


def scalar_storage(s: Scalar):
    """A scalar's value in vector storage form (sentinel / NaN for NULL)."""
    if s.value is None:
        return null_of(s.type)
    return s.value


def element(v: Vector, i: int) -> Value:
    """Element i of a vector as a Scalar (or the nested object of an ANY vector)."""
    if isinstance(v, ArrayVector):
        lo, hi = int(v.offsets[i]), int(v.offsets[i + 1])
        return Vector(v.values.type, v.values.data[lo:hi], v.values.scale)
    if v.type == ANY:
        return v.data[i]
    if v.data is None:
        return S(VOID, None)
    x = v.data[i]
    return S(v.type, storage_to_python(v.type, x), v.scale)


def storage_to_python(t, x):
    if t in (FLOAT, DOUBLE):
        return None if x == null_of(t) else float(x)
    if t in NULL_INT:
        x = int(x)
        return None if x == NULL_INT[t] else x
    if t in (UUID, IPADDR, INT128):
        return int(x) or None
    if t == DECIMAL128:
        return None if x == -(1 << 127) else int(x)
    return x


def null_mask(v) -> np.ndarray:
    """Boolean mask of NULL elements (0-d for scalars)."""
    if isinstance(v, Scalar):       # the empty string and the lowest float are NULLs too
        return np.bool_(v.value is None or (v.type in LITERAL and len(v.value) == 0)
                        or (v.type in (FLOAT, DOUBLE) and v.value == null_of(v.type)))
    t, d = v.type, v.data
    if d is None:
        return np.ones(len(v), dtype=bool)
    if t in NULL_FIXED:
        return d == NULL_FIXED[t]
    if t in (STRING, SYMBOL):
        return d == ""
    if t == BLOB:
        return np.array([len(x) == 0 for x in d], dtype=bool)
    if t in (UUID, IPADDR, INT128):
        return d == 0
    if t == DECIMAL128:
        return np.asarray(d == null_of(DECIMAL128), dtype=bool)
    if t == ANY:
        return np.array([isinstance(x, Scalar) and x.value is None for x in d], dtype=bool)
    return np.zeros(len(d), dtype=bool)


def as_array(v, dtype=None):
    """numpy data of a scalar (0-d) or vector, in storage form."""
    if isinstance(v, Scalar):
        x = scalar_storage(v)
        if dtype is not None:
            return np.asarray(x, dtype=dtype)
        if v.type in STORAGE_DTYPE:
            return np.asarray(x, dtype=STORAGE_DTYPE[v.type])
        return np.asarray(x, dtype=object) if not isinstance(x, str) else np.asarray(x, dtype=object)
    if isinstance(v, Vector):
        if v.data is None:
            return np.full(len(v), null_of(DOUBLE))
        return v.data if dtype is None else v.data.astype(dtype)
    if isinstance(v, Matrix):
        return v.data
    raise ScriptError(f"The object of form {type(v).__name__} can't be used here")


def make(t, data, like_scalar: bool, scale=0):
    """A Scalar when `like_scalar`, else a Vector, from storage-form numpy data."""
    if like_scalar:
        x = data.item() if isinstance(data, np.ndarray) and data.ndim == 0 else data
        if isinstance(x, np.generic):
            x = x.item()
        return S(t, storage_to_python(t, x), scale)
    if t in STORAGE_DTYPE:
        data = np.asarray(data).astype(STORAGE_DTYPE[t], copy=False)
    elif t in OBJECT_TYPES:
        data = np.asarray(data, dtype=object)
    return Vector(t, data, scale)


def truthy(v) -> bool:
    if isinstance(v, Scalar):
        if v.value is None:
            return False
        if v.type in LITERAL:
            return bool(v.value)
        return bool(v.value)
    if isinstance(v, Vector) and len(v) == 1:
        return truthy(element(v, 0))
    raise ScriptError("A scalar boolean is expected as the condition")


def to_int(v, what="argument") -> int:
    if isinstance(v, Scalar) and v.type in NUMERIC and v.value is not None:
        return int(v.value)
    raise ScriptError(f"The {what} must be an integer scalar")


def to_str(v, what="argument") -> str:
    if isinstance(v, Scalar) and v.type in (STRING, SYMBOL):
        return v.value or ""
    raise ScriptError(f"The {what} must be a string scalar")


def strings_of(v):
    if isinstance(v, Scalar):
        return [to_str(v)]
    if isinstance(v, Vector) and v.type in (STRING, SYMBOL):
        return list(v.data)
    raise ScriptError("A string or string vector is expected")


def from_python(x) -> Value:
    """Python literal values -> Scalars (used for literals and small helpers)."""
    if x is None:
        return S(VOID, None)
    if isinstance(x, bool):
        return S(BOOL, int(x))
    if isinstance(x, int):
        return S(INT if -2**31 < x < 2**31 else LONG, x)
    if isinstance(x, float):
        return S(DOUBLE, storage_to_python(DOUBLE, x))
    if isinstance(x, str):
        return S(STRING, x)
    if isinstance(x, bytes):
        return S(BLOB, x)
    raise ScriptError(f"Cannot make a DolphinDB value from {type(x).__name__}")


def vector_of(items) -> Value:
    """[a, b, c] literal: a typed vector when homogeneous, else an ANY vector."""
    if not items:
        return Vector(DOUBLE, np.empty(0, dtype=np.float64))
    first = items[0].type if type(items[0]) is Scalar else VOID
    if first != VOID and all(type(i) is Scalar and i.type == first for i in items):
        types = {first}             # (the common case, without the type set below)
    elif all(type(i) in (Scalar, EnumInt) for i in items):     # handles and meta code stay objects of a tuple
        types = {i.type for i in items if i.type != VOID}
    else:
        types = set()
    if not types:
        return Vector(ANY, list(items))
    if types <= NUMERIC_SET:
        t = max(types, key=lambda x: RANK[x])
        # a NULL of a narrower type becomes the result type's NULL, not its sentinel's number
        return make(t, np.array([null_of(t) if i.value is None else scalar_storage(i) for i in items]), False)
    if len(types) == 1:
        t = types.pop()
        scale = max(i.scale for i in items if i.type != VOID)   # (a NULL carries no scale)
        data = [scalar_storage(i) if i.type != VOID else null_of(t) for i in items]
        if t in STORAGE_DTYPE:
            return Vector(t, np.array(data, dtype=STORAGE_DTYPE[t]), scale)
        return V(t, data, scale)
    if types <= {STRING, SYMBOL}:
        return V(STRING, [i.value or "" for i in items])
    return Vector(ANY, list(items))


def column_copy(v):
    if isinstance(v, ArrayVector):
        return ArrayVector(v.type, v.offsets.copy(), Vector(v.values.type, v.values.data.copy(), v.values.scale))
    if isinstance(v, Vector):
        d = v.data.copy() if isinstance(v.data, np.ndarray) else (list(v.data) if v.data is not None else None)
        return Vector(v.type, d, v.scale, length_=v.length_)
    raise ScriptError("A vector is expected as a table column")


class Spare:
    """Room for a column to grow in place: its data is ``buffer[:len(data)]`` and an append writes
    the new rows after them, so a script appending one row at a time is linear, not quadratic
    (the buffer grows by half when full, as the real server grows a vector past its capacity).

    One value holds a Spare at a time. A table append hands it to the column's successor
    (``successor``) while the previous column value keeps reading the front of the buffer:
    ``shared`` then says those rows must be copied before they are written in place
    (``writable_data``), and the previous value's view is made read-only for the same reason."""
    __slots__ = ("buffer", "shared")

    def __init__(self, buffer: np.ndarray, shared: bool = False):
        self.buffer, self.shared = buffer, shared


def _fronts(data: np.ndarray, spare) -> bool:
    return spare is not None and data.base is spare.buffer and data.dtype == spare.buffer.dtype


def grown(data: np.ndarray, spare, extra):
    """(data followed by extra, the Spare it is the front of)."""
    n, m = len(data), len(extra)
    if not _fronts(data, spare) or len(spare.buffer) < n + m:
        buffer = np.empty(max(16, (n + m) * 3 // 2), dtype=data.dtype)
        buffer[:n] = data
        spare = Spare(buffer)
    spare.buffer[n:n + m] = extra
    return spare.buffer[:n + m], spare


def extend(v: Vector, extra) -> None:
    """Appends storage-form elements to a typed vector in place."""
    v.data, v.spare = grown(v.data, v.spare, extra)


def _compacted(av: ArrayVector) -> int:
    """Makes av's rows start at its values' front and end at their back; returns the element count."""
    lo, hi = int(av.offsets[0]), int(av.offsets[-1])
    if lo != 0 or hi != len(av.values.data):      # rows over part of their values
        av.values = Vector(av.values.type, av.values.data[lo:hi].copy(), av.values.scale)
        av.offsets, av.offsets_spare = av.offsets - lo, None
    return hi - lo


def extend_array_vector(av: ArrayVector, rows: ArrayVector) -> None:
    """Appends the rows of `rows` (same element type and scale) to an array vector in place."""
    end = _compacted(av)
    first = rows.offsets[0]
    av.offsets, av.offsets_spare = grown(av.offsets, av.offsets_spare, rows.offsets[1:] - first + end)
    extend(av.values, rows.values.data[first:rows.offsets[-1]])


def extend_row_list(av: ArrayVector, rows) -> None:
    """Appends rows given as a list of storage arrays (of av's element type) in place: the few rows
    of a script's append, without numpy arithmetic on tiny arrays."""
    end = _compacted(av)
    ends = []
    for row in rows:
        end += len(row)
        ends.append(end)
    av.offsets, av.offsets_spare = grown(av.offsets, av.offsets_spare, ends)
    if rows:
        extend(av.values, rows[0] if len(rows) == 1 else np.concatenate(rows))


def _hand_over(data: np.ndarray, spare):
    """The spare a successor of a value with (data, spare) takes; the value keeps reading data."""
    if not _fronts(data, spare):
        return None
    data.flags.writeable = False
    spare.shared = True
    return spare


def successor(col):
    """A new value of column `col` with the same rows, which takes over its room to grow: a table
    append extends the successor, and a value still holding `col` (a query result, a variable)
    keeps the rows it had."""
    if isinstance(col, ArrayVector):
        values = col.values
        out = ArrayVector(col.type, col.offsets, Vector(values.type, values.data, values.scale,
                                                         spare=_hand_over(values.data, values.spare)))
        out.offsets_spare = _hand_over(col.offsets, col.offsets_spare)
        col.offsets_spare = values.spare = None
        return out
    out = Vector(col.type, col.data, col.scale, col.form, col.length_, _hand_over(col.data, col.spare))
    col.spare = None
    return out


def writable_data(v: Vector) -> np.ndarray:
    """v's data, ready to be written in place: rows an older value may still read are copied first."""
    d = v.data
    if not isinstance(d, np.ndarray):           # (an ANY vector's list is never shared this way)
        return d
    if not d.flags.writeable or (v.spare is not None and v.spare.shared and d.base is v.spare.buffer):
        v.data, v.spare = d.copy(), None
    return v.data


def take_rows(col, idx):
    """Rows idx (int array or bool mask) of a column."""
    if isinstance(col, ArrayVector):
        idx = np.arange(len(col))[idx] if getattr(idx, "dtype", None) == np.bool_ else np.asarray(idx)
        counts = np.diff(col.offsets)[idx]
        offsets = np.zeros(len(idx) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        parts = [col.values.data[col.offsets[i]:col.offsets[i + 1]] for i in idx]
        data = np.concatenate(parts) if parts else col.values.data[:0]
        return ArrayVector(col.type, offsets, Vector(col.values.type, data, col.values.scale))
    if col.data is None:
        n = int(np.count_nonzero(idx)) if getattr(idx, "dtype", None) == np.bool_ else len(idx)
        return Vector(col.type, None, length_=n)
    if isinstance(col.data, list):
        arr = np.empty(len(col.data), dtype=object)
        arr[:] = col.data
        return Vector(col.type, list(arr[idx]), col.scale)
    return Vector(col.type, col.data[idx], col.scale)


def table_rows(t: Table, idx) -> Table:
    return Table({k: take_rows(c, idx) for k, c in t.columns.items()}, t.name)


# ---- temporal literal parsing and formatting -------------------------------------------------
EPOCH = _dt.date(1970, 1, 1)


def days_from_date(y, m, d):
    return (_dt.date(y, m, d) - EPOCH).days


def date_from_days(n):
    return EPOCH + _dt.timedelta(days=int(n))


def format_scalar(s: Scalar) -> str:
    t, x = s.type, s.value
    if x is None:
        return ""
    if isinstance(s, EnumInt):
        return s.name
    if t == BOOL:
        return "true" if x else "false"
    if t in (FLOAT, DOUBLE):
        return f"{x:.6g}" if abs(x) < 1e15 else repr(x)
    if t == DATE:
        return date_from_days(x).strftime("%Y.%m.%d")
    if t == MONTH:
        return f"{x // 12:04d}.{x % 12 + 1:02d}M"
    if t == TIME:
        return f"{x // 3600000:02d}:{x // 60000 % 60:02d}:{x // 1000 % 60:02d}.{x % 1000:03d}"
    if t == MINUTE:
        return f"{x // 60:02d}:{x % 60:02d}m"
    if t == SECOND:
        return f"{x // 3600:02d}:{x // 60 % 60:02d}:{x % 60:02d}"
    if t in (DATETIME, TIMESTAMP, NANOTIMESTAMP, DATEHOUR, DATEMINUTE):
        unit = {DATETIME: 1, TIMESTAMP: 1000, NANOTIMESTAMP: 10**9, DATEHOUR: 1, DATEMINUTE: 1}[t]
        secs = x * 3600 if t == DATEHOUR else x * 60 if t == DATEMINUTE else x // unit
        d = _dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=int(secs))
        text = d.strftime("%Y.%m.%dT%H:%M:%S")
        if t == DATEHOUR:
            return d.strftime("%Y.%m.%dT%H")
        if t == TIMESTAMP:
            text += f".{x % 1000:03d}"
        elif t == NANOTIMESTAMP:
            text += f".{x % 10**9:09d}"
        return text
    if t == NANOTIME:
        secs = x // 10**9
        return f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}.{x % 10**9:09d}"
    if t in (DECIMAL32, DECIMAL64, DECIMAL128):
        neg = x < 0
        digits = str(abs(x)).rjust(s.scale + 1, "0")
        text = digits if s.scale == 0 else digits[:-s.scale] + "." + digits[-s.scale:]
        return "-" + text if neg else text
    if t == UUID:
        h = f"{x:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    if t == INT128:
        return f"{x:032x}"
    if t == IPADDR:
        if x < 1 << 32:
            return ".".join(str((x >> s_) & 255) for s_ in (24, 16, 8, 0))
        h = f"{x:032x}"
        return ":".join(h[i:i + 4] for i in range(0, 32, 4))
    if t == BLOB:
        return x.decode("utf-8", "replace")
    return str(x)


def format_value(v) -> str:
    if isinstance(v, Scalar):
        return format_scalar(v)
    if isinstance(v, Vector):
        if v.type == ANY:
            return "(" + ",".join(format_value(x) for x in v.data) + ")"
        return "[" + ",".join(format_scalar(element(v, i)) for i in range(min(len(v), 1000))) + "]"
    if isinstance(v, ArrayVector):
        return "[" + ",".join(format_value(element(v, i)) for i in range(min(len(v), 1000))) + "]"
    if isinstance(v, Table):
        names = list(v.columns)
        lines = [" ".join(names), " ".join("-" * len(n) for n in names)]
        for i in range(min(v.rows, 20)):
            lines.append(" ".join(format_value(element(c, i)) for c in v.columns.values()))
        return "\n".join(lines)
    if isinstance(v, Dictionary):
        return "\n".join(f"{format_value(element(v.keys, i))}->{format_value(element(v.values, i))}"
                         for i in range(len(v.keys)))
    return str(v)
