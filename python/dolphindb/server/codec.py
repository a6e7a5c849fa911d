"""The embedded server's serializer (PROTOCOL.md §5, §6): values.py objects <-> bytes.

Pure Python + numpy, independent of the C++ core, so parity tests can compare the two.
Fixed-width columns move through numpy (frombuffer / tobytes); reads are bounded so a lying
count only costs the bytes that actually arrive.
"""
from __future__ import annotations

import struct

import numpy as np

from . import compression
from .values import (ANY, ARRAY_BASE, BLOB, CHART, CHUNK, CODE, COMPRESS, DATASOURCE,
                     DECIMAL32, DECIMAL64, DECIMAL128, DICTIONARY, DOUBLE, FLOAT, FUNCTIONDEF,
                     HANDLE, INT128, IPADDR, MATRIX, OBJECT_TYPES, PAIR, RESOURCE, SCALAR, SET,
                     STORAGE_DTYPE, STRING, SYMBOL, TABLE, UUID, VECTOR, VOID, ArrayVector,
                     Dictionary, Matrix, Scalar, Table, Value, Vector)

FLOAT_NULL = np.float32(-3.4028234663852886e38)
DOUBLE_NULL = np.float64(-1.7976931348623157e308)
SYMBOL_WITH_BASE = 145
MAX_DEPTH = 100
MAX_STRING = 64 << 20
READ_CHUNK = 8 << 20
TEXT_TYPES = {STRING, SYMBOL, FUNCTIONDEF, HANDLE, CODE, DATASOURCE, RESOURCE}
WIDE_TYPES = {UUID, IPADDR, INT128, DECIMAL128}
DURATION, COMPLEX, POINT = 36, 34, 35


class CodecError(ValueError):
    """Malformed or unsupported serialized data."""


# ---------------------------------------------------------------------------------- readers
class BytesReader:
    def __init__(self, data):
        self.data = memoryview(data).cast("B") if not isinstance(data, memoryview) else data.cast("B")
        self.pos = 0

    def read_exact(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise CodecError(f"truncated object: needed {n} bytes, {len(self.data) - self.pos} left")
        out = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return out

    def read_cstring(self, max_len: int = MAX_STRING) -> bytes:
        end = bytes(self.data[self.pos:self.pos + max_len + 1]).find(b"\0")
        if end < 0:
            raise CodecError("truncated object: unterminated string")
        out = bytes(self.data[self.pos:self.pos + end])
        self.pos += end + 1
        return out

    def remaining(self) -> int:
        return len(self.data) - self.pos


def decode_bytes(data) -> Value:
    r = BytesReader(data)
    v = decode(r)
    if r.remaining():
        raise CodecError(f"{r.remaining()} trailing bytes after a serialized object")
    return v


# ---------------------------------------------------------------------------------- decode
def _i32(r) -> int:
    return struct.unpack("<i", r.read_exact(4))[0]


def _read_bulk(r, n: int) -> bytes:
    """n bytes in bounded chunks, so a lying count cannot allocate more than arrives."""
    if n <= READ_CHUNK:
        return r.read_exact(n)
    parts, left = [], n
    while left:
        step = min(left, READ_CHUNK)
        parts.append(r.read_exact(step))
        left -= step
    return b"".join(parts)


def _count(r, what: str) -> int:
    n = _i32(r)
    if n < 0:
        raise CodecError(f"negative {what}: {n}")
    return n


def decode(r, depth: int = 0) -> Value:
    flag = struct.unpack("<H", r.read_exact(2))[0]
    return decode_body(r, flag >> 8, flag & 0xFF, depth)


def decode_body(r, form: int, t: int, depth: int = 0) -> Value:
    if depth > MAX_DEPTH:
        raise CodecError("objects nested too deeply")
    if form == SCALAR:
        return _decode_scalar(r, t)
    if form in (VECTOR, PAIR):
        v = _decode_vector(r, t, depth)
        if form == PAIR:
            v.form = PAIR
        return v
    if form == MATRIX:
        labels = r.read_exact(1)[0]
        row_labels = decode(r, depth + 1) if labels & 1 else None
        col_labels = decode(r, depth + 1) if labels & 2 else None
        flag = struct.unpack("<H", r.read_exact(2))[0]
        if flag >> 8 != MATRIX:
            raise CodecError(f"matrix data has form {flag >> 8}")
        rows, cols = _count(r, "matrix rows"), _count(r, "matrix columns")
        data = _decode_column(r, flag & 0xFF, rows * cols, depth)
        arr = np.asarray(data.data if data.data is not None else [], dtype=object if data.type in OBJECT_TYPES else None)
        return Matrix(data.type, arr.reshape((cols, rows)).T if rows * cols else arr.reshape((rows, cols)),
                      data.scale, row_labels, col_labels)
    if form == SET:
        keys = decode(r, depth + 1)
        if not isinstance(keys, Vector):
            raise CodecError("a set must hold a vector")
        return Vector(keys.type, keys.data, keys.scale, form=SET, length_=keys.length_)
    if form in (DICTIONARY, CHART):
        keys = decode(r, depth + 1)
        values = decode(r, depth + 1)
        if not isinstance(keys, Vector) or not isinstance(values, (Vector, ArrayVector)):
            raise CodecError("a dictionary must hold key and value vectors")
        if len(keys) != len(values):
            raise CodecError("dictionary keys and values differ in length")
        return Dictionary(keys, values)
    if form == TABLE:
        rows, ncols = _count(r, "table rows"), _count(r, "table columns")
        name = r.read_cstring(MAX_STRING).decode("utf-8", "replace")
        names = [r.read_cstring(MAX_STRING).decode("utf-8", "replace") for _ in range(ncols)]
        bases = {}
        columns = {}
        for n in names:
            flag = struct.unpack("<H", r.read_exact(2))[0]
            if flag >> 8 != VECTOR:
                raise CodecError(f"table column {n!r} has form {flag >> 8}")
            col = _decode_vector(r, flag & 0xFF, depth + 1, bases)
            if len(col) != rows:
                raise CodecError(f"table column {n!r} has {len(col)} rows, expected {rows}")
            columns[n] = col
        return Table(columns, name)
    if form == CHUNK:
        n = struct.unpack("<h", r.read_exact(2))[0]
        if n < 0:
            raise CodecError("negative chunk length")
        from .values import Opaque
        return Opaque(CHUNK, t, r.read_exact(n))
    raise CodecError(f"unsupported data form {form}")


def _decode_scalar(r, t: int) -> Scalar:
    if t == VOID:
        # the byte tells "nothing" (0, an omitted argument) from an explicit NULL (1)
        return Scalar(VOID, None, r.read_exact(1)[0])
    if t in (DECIMAL32, DECIMAL64, DECIMAL128):
        scale = _i32(r)
        if scale < 0:
            raise CodecError(f"negative decimal scale {scale}")
        width = {DECIMAL32: 4, DECIMAL64: 8, DECIMAL128: 16}[t]
        raw = int.from_bytes(r.read_exact(width), "little", signed=True)
        return Scalar(t, None if raw == -(1 << (8 * width - 1)) else raw, scale)
    if t == FUNCTIONDEF:
        kind = r.read_exact(1)[0]
        return Scalar(t, r.read_cstring().decode("utf-8", "replace"), kind)
    if t in TEXT_TYPES:
        return Scalar(t, r.read_cstring().decode("utf-8", "replace"))
    if t == BLOB:
        return Scalar(t, r.read_exact(_count(r, "blob length")))
    if t in (UUID, IPADDR, INT128):
        raw = int.from_bytes(r.read_exact(16), "little")
        return Scalar(t, raw or None)
    if t in (DURATION, COMPLEX, POINT):
        return Scalar(t, r.read_exact(8 if t == DURATION else 16))
    dtype = STORAGE_DTYPE.get(t)
    if dtype is None:
        raise CodecError(f"unsupported scalar type {t}")
    v = np.frombuffer(r.read_exact(np.dtype(dtype).itemsize), dtype=dtype)[0]
    if t == FLOAT or t == DOUBLE:
        return Scalar(t, None if v == (FLOAT_NULL if t == FLOAT else DOUBLE_NULL) or np.isnan(v) else float(v))
    iv = int(v)
    from .values import NULL_INT
    return Scalar(t, None if iv == NULL_INT[t] else iv)


def _decode_vector(r, t: int, depth: int, bases=None):
    if t == COMPRESS:
        header, payload = compression.read_compressed(r)
        inner = BytesReader(payload)
        dt = header["dataType"]
        if dt >= ARRAY_BASE and dt < 128:
            v = _decode_array_vector(inner, dt, header["elementCount"], header["reserved"])
        else:
            v = _decode_column(inner, dt, header["elementCount"], depth, scale=header["reserved"])
        if inner.remaining():
            raise CodecError("compressed payload longer than its vector")
        return v
    rows, cols = _count(r, "vector rows"), _i32(r)
    if t == SYMBOL_WITH_BASE:
        return _decode_symbols(r, rows, bases)
    if ARRAY_BASE <= t < 128:
        scale = _i32(r) if t - ARRAY_BASE in (DECIMAL32, DECIMAL64, DECIMAL128) else 0
        return _decode_array_vector(r, t, rows, scale)
    if t in (DECIMAL32, DECIMAL64, DECIMAL128):
        scale = _i32(r)
        if scale < 0:
            raise CodecError(f"negative decimal scale {scale}")
        return _decode_column(r, t, rows, depth, scale=scale)
    if cols not in (0, 1) and t != ANY:
        rows = rows * cols if cols > 0 else rows
    return _decode_column(r, t, rows, depth)


def _decode_symbols(r, rows, bases):
    base_id, size = _i32(r), _count(r, "symbol base size")
    if size == 0 and bases is not None and base_id in bases:
        base = bases[base_id]
    else:
        base = np.array([s.decode("utf-8", "replace") for s in (r.read_cstring() for _ in range(size))], dtype=object)
        if bases is not None:
            bases[base_id] = base
    idx = np.frombuffer(_read_bulk(r, 4 * rows), dtype="<i4")
    if rows and (idx.min() < 0 or idx.max() >= max(len(base), 1)):
        raise CodecError("symbol index outside its symbol base")
    data = base[idx] if len(base) else np.array([""] * rows, dtype=object)
    return Vector(SYMBOL, data)


def _decode_strings(r, n):
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = r.read_cstring(MAX_STRING).decode("utf-8", "replace")
    return out


def _decode_column(r, t: int, n: int, depth: int, scale: int = 0):
    if t == VOID:
        return Vector(VOID, None, length_=n)
    if t == ANY:
        return Vector(ANY, [decode(r, depth + 1) for _ in range(n)])
    if t in TEXT_TYPES:
        return Vector(t, _decode_strings(r, n))
    if t == BLOB:
        out = np.empty(n, dtype=object)
        for i in range(n):
            out[i] = _read_bulk(r, _count(r, "blob length"))
        return Vector(BLOB, out)
    if t in WIDE_TYPES:
        raw = _read_bulk(r, 16 * n)
        signed = t == DECIMAL128
        out = np.empty(n, dtype=object)
        for i in range(n):
            out[i] = int.from_bytes(raw[16 * i:16 * i + 16], "little", signed=signed)
        return Vector(t, out, scale)
    dtype = STORAGE_DTYPE.get(t)
    if dtype is None:
        raise CodecError(f"unsupported vector type {t}")
    width = np.dtype(dtype).itemsize
    data = np.frombuffer(_read_bulk(r, width * n), dtype=dtype).copy()
    if t == FLOAT:
        data[data == FLOAT_NULL] = np.nan
    elif t == DOUBLE:
        data[data == DOUBLE_NULL] = np.nan
    return Vector(t, data, scale)


def _decode_array_vector(r, t: int, rows: int, scale: int):
    elem = t - ARRAY_BASE
    counts = np.empty(rows, dtype=np.int64)
    chunks = []
    done = 0
    while done < rows:
        block_rows, count_bytes, _reserved = struct.unpack("<HBB", r.read_exact(4))
        if block_rows == 0 or done + block_rows > rows or count_bytes not in (1, 2, 4):
            raise CodecError("malformed array-vector block")
        c = np.frombuffer(r.read_exact(block_rows * count_bytes), dtype={1: "<u1", 2: "<u2", 4: "<u4"}[count_bytes])
        counts[done:done + block_rows] = c
        total = int(c.sum())
        chunks.append(_decode_column(r, elem, total, 0, scale))
        done += block_rows
    offsets = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    if chunks and chunks[0].data is not None and not isinstance(chunks[0].data, list):
        values = Vector(elem, np.concatenate([c.data for c in chunks]) if len(chunks) > 1 else chunks[0].data, scale)
    else:
        values = Vector(elem, np.empty(0, dtype=STORAGE_DTYPE.get(elem, object)), scale)
    return ArrayVector(t, offsets, values)


# ---------------------------------------------------------------------------------- encode
def encode(value: Value, *, compress: bool = False) -> bytes:
    out = bytearray()
    _encode(value, out, compress)
    return bytes(out)


def _flag(out, form, t):
    out += struct.pack("<BB", t, form)


def _encode(v: Value, out: bytearray, compress: bool = False):
    if isinstance(v, Scalar):
        _flag(out, SCALAR, v.type)
        _encode_scalar(v, out)
    elif isinstance(v, ArrayVector):
        _encode_array_vector(v, out)
    elif isinstance(v, Vector):
        if v.form == SET:
            _flag(out, SET, v.type)
            _encode_vector(Vector(v.type, v.data, v.scale, length_=v.length_), out, VECTOR)
        else:
            _encode_vector(v, out, v.form)
    elif isinstance(v, Matrix):
        _flag(out, MATRIX, v.type)
        out.append((1 if v.row_labels is not None else 0) | (2 if v.col_labels is not None else 0))
        if v.row_labels is not None:
            _encode(v.row_labels, out)
        if v.col_labels is not None:
            _encode(v.col_labels, out)
        rows, cols = v.data.shape
        _flag(out, MATRIX, v.type)
        out += struct.pack("<ii", rows, cols)
        if v.type in (DECIMAL32, DECIMAL64, DECIMAL128):
            out += struct.pack("<i", v.scale)
        _encode_elements(v.type, np.asarray(v.data).T.reshape(-1), out)
    elif isinstance(v, Dictionary):
        _flag(out, DICTIONARY, v.values.type)
        _encode(v.keys, out)
        _encode(v.values, out)
    elif isinstance(v, Table):
        _encode_table(v, out, compress)
    else:
        raise CodecError(f"cannot serialize {type(v).__name__}")


def _encode_scalar(v: Scalar, out: bytearray):
    t, x = v.type, v.value
    if t == VOID:
        out.append(v.scale & 0xFF)
    elif t in (DECIMAL32, DECIMAL64, DECIMAL128):
        width = {DECIMAL32: 4, DECIMAL64: 8, DECIMAL128: 16}[t]
        out += struct.pack("<i", v.scale)
        out += (-(1 << (8 * width - 1)) if x is None else int(x)).to_bytes(width, "little", signed=True)
    elif t == FUNCTIONDEF:
        out.append(v.scale & 0xFF)
        out += (x or "").encode() + b"\0"
    elif t in TEXT_TYPES:
        out += (x or "").encode() + b"\0"
    elif t == BLOB:
        b = x or b""
        out += struct.pack("<i", len(b)) + b
    elif t in (UUID, IPADDR, INT128):
        out += int(x or 0).to_bytes(16, "little")
    elif t in (DURATION, COMPLEX, POINT):
        out += x
    else:
        dtype = STORAGE_DTYPE.get(t)
        if dtype is None:
            raise CodecError(f"cannot serialize a scalar of type {t}")
        if t == FLOAT:
            out += np.float32(FLOAT_NULL if x is None or x != x else x).tobytes()
        elif t == DOUBLE:
            out += np.float64(DOUBLE_NULL if x is None or x != x else x).tobytes()
        else:
            from .values import NULL_INT
            out += np.array([NULL_INT[t] if x is None else x], dtype=dtype).tobytes()


def _symbol_base(data):
    base, idx = np.unique(np.asarray(data, dtype=object).astype(str), return_inverse=True)
    if len(base) and base[0] == "":
        return base, idx.astype("<i4")
    return np.concatenate([[""], base]), (idx + 1).astype("<i4")


def _encode_vector(v: Vector, out: bytearray, form: int, bases=None):
    n = len(v)
    if v.type == SYMBOL:
        if n == 0:
            _flag(out, form, SYMBOL)
            out += struct.pack("<ii", 0, 1)
            return
        base, idx = _symbol_base(v.data)
        _flag(out, form, SYMBOL_WITH_BASE)
        out += struct.pack("<ii", n, 1)
        key = tuple(base)
        if bases is not None and key in bases:
            out += struct.pack("<ii", bases[key], 0)
        else:
            base_id = len(bases) if bases is not None else 0
            if bases is not None:
                bases[key] = base_id
            out += struct.pack("<ii", base_id, len(base))
            out += b"".join(s.encode() + b"\0" for s in base)
        out += idx.tobytes()
        return
    _flag(out, form, v.type)
    out += struct.pack("<ii", n, 1)
    if v.type in (DECIMAL32, DECIMAL64, DECIMAL128):
        out += struct.pack("<i", v.scale)
    _encode_elements(v.type, v.data, out)


def _encode_elements(t, data, out: bytearray):
    if t == VOID or data is None:
        return
    if t == ANY:
        for item in data:
            _encode(item, out)
    elif t in TEXT_TYPES:
        if len(data):
            out += "\0".join(str(s) for s in data).encode() + b"\0"
    elif t == BLOB:
        for b in data:
            out += struct.pack("<i", len(b)) + bytes(b)
    elif t in WIDE_TYPES:
        signed = t == DECIMAL128
        out += b"".join(int(x).to_bytes(16, "little", signed=signed) for x in data)
    else:
        dtype = STORAGE_DTYPE.get(t)
        if dtype is None:
            raise CodecError(f"cannot serialize a vector of type {t}")
        arr = np.ascontiguousarray(data, dtype=dtype)
        if t in (FLOAT, DOUBLE):
            arr = np.where(np.isnan(arr), FLOAT_NULL if t == FLOAT else DOUBLE_NULL, arr).astype(dtype)
        out += arr.astype(np.dtype(dtype).newbyteorder("<"), copy=False).tobytes()


def array_vector_payload(v: ArrayVector) -> bytes:
    """The §5.7 block stream of an array vector (after rows/cols/scale)."""
    out = bytearray()
    counts = np.diff(v.offsets)
    n = len(counts)
    start = 0
    while start < n:
        stop = min(n, start + 65535)
        c = counts[start:stop]
        width = 1 if c.max(initial=0) < 256 else 2 if c.max() < 65536 else 4
        out += struct.pack("<HBB", stop - start, width, 0)
        out += c.astype({1: "<u1", 2: "<u2", 4: "<u4"}[width]).tobytes()
        lo, hi = int(v.offsets[start]), int(v.offsets[stop])
        _encode_elements(v.values.type, v.values.data[lo:hi], out)
        start = stop
    return bytes(out)


def _encode_array_vector(v: ArrayVector, out: bytearray):
    _flag(out, VECTOR, v.type)
    out += struct.pack("<ii", len(v), int(v.offsets[-1]))
    if v.type - ARRAY_BASE in (DECIMAL32, DECIMAL64, DECIMAL128):
        out += struct.pack("<i", v.scale)
    out += array_vector_payload(v)


def _encode_table(t: Table, out: bytearray, compress: bool):
    _flag(out, TABLE, 8 if compress else 0)
    out += struct.pack("<ii", t.rows, len(t.columns))
    out += t.name.encode() + b"\0"
    for name in t.columns:
        out += name.encode() + b"\0"
    bases = {}
    for col in t.columns.values():
        if compress and col.type != SYMBOL and len(col):
            compression.write_compressed_column(col, out)
        elif isinstance(col, ArrayVector):
            _encode_array_vector(col, out)
        else:
            _encode_vector(col, out, VECTOR, bases)


def column_payload(col) -> bytes:
    """The bytes a vector carries after its rows/cols[/scale] header (input to compression)."""
    if isinstance(col, ArrayVector):
        return array_vector_payload(col)
    out = bytearray()
    _encode_elements(col.type, col.data, out)
    return bytes(out)
