"""The embedded server's serializer (PROTOCOL.md §5, §6): values.py objects <-> bytes.

Pure Python + numpy, independent of the C++ core, so parity tests can compare the two.

Reading
    ``decode(reader)`` reads one object (flag word + body). ``reader`` needs
    ``read_exact(n) -> bytes`` and ``read_cstring(max_len) -> bytes`` (raising CodecError or
    EOFError on short input). Two optional methods make big columns fast and are used when
    present (``BytesReader`` has both):

    * ``read_bytearray(n) -> bytearray``: n bytes in a fresh writable buffer;
    * ``read_cstrings(n, max_len) -> bytes``: n NUL-terminated strings, returned joined by NUL
      without the last terminator (so ``.split(b"\\0")`` gives the n strings).

    Fixed-width columns go through numpy (one frombuffer per column); strings are decoded as one
    UTF-8 text and split; symbols are base[indices]. Counts are never trusted for allocation:
    bulk reads happen in chunks of at most 8 MiB, so a lying count only costs the bytes that
    actually arrive. Strings are decoded with ``surrogateescape`` so any bytes round-trip.

Writing
    ``encode(value, compress=False)`` serializes one value. Symbol vectors carry a base built in
    order of first appearance with "" at entry 0 (as the official client does); inside a table,
    columns whose distinct values equal an earlier column's base reuse it (id, size 0). With
    ``compress=True`` table columns other than SYMBOL/ANY/VOID (and empty ones) are sent as
    compressed vectors, each with the smaller of LZ4 and delta-of-delta.

Conventions beyond values.py's docstring
    * VOID scalar: ``Scalar.scale`` holds the wire byte (0 = "nothing", 1 = explicit NULL; a
      server answers NULL with ``Scalar(VOID, None, 1)``).
    * FUNCTIONDEF scalar: ``scale`` holds the kind byte.
    * DURATION (36), COMPLEX (34), POINT (35): scalars hold the raw 8/16 wire bytes; vectors an
      object array of those bytes.
    * Tables keep the wire table-type byte in ``Table.type`` (0, 8 or 27); ``encode`` writes it
      back unless ``compress=True`` (then 8).
    * CHART decodes to ``Opaque(CHART, type, Dictionary)``, CHUNK to ``Opaque(CHUNK, type, bytes)``.
"""
from __future__ import annotations

import struct

import numpy as np

from . import compression
from .arrow import read_arrow_upload
from ..model.types import RAW_WIDTH, TYPE_INFO, TYPES, Category, types_in
# COMPLEX POINT DURATION are unused here: the tests name the raw-byte types through the codec
from ..model.values import (ANY, ARRAY_BASE, BLOB, CHART, CHUNK, CODE, COMPLEX, COMPRESS, DATASOURCE, DECIMAL128,  # noqa: F401
                            DICTIONARY, DOUBLE, DURATION, FLOAT, FORM_NAMES, FUNCTIONDEF, HANDLE, INT128,
                            IPADDR, MATRIX, NULL_INT, PAIR, POINT, RESOURCE, SCALAR, SET, STORAGE_DTYPE, STRING,
                            SYMBOL, TABLE, UUID, VECTOR, VOID, ArrayVector, Dictionary, Matrix, Opaque, Scalar,
                            Table, Value, Vector, null_of, type_name)
from ..errors import CodecError

SYMBOL_WITH_BASE = 145
MAX_DEPTH = 100                  # nesting of ANY vectors / dictionaries / tables
MAX_STRING = 64 << 20            # one STRING/SYMBOL/CODE... value
MAX_BLOB = 256 << 20             # one BLOB value
MAX_SYMBOL_BASE = 1 << 21        # entries of one symbol base (§5.6)
READ_CHUNK = 8 << 20             # bulk reads are split into pieces of at most this size

FLOAT_NULL = null_of(FLOAT)
DOUBLE_NULL = null_of(DOUBLE)
TEXT_TYPES = frozenset({STRING, SYMBOL, FUNCTIONDEF, HANDLE, CODE, DATASOURCE, RESOURCE})
# the 128-bit integers, held as Python ints (UUID IPADDR INT128 unsigned, DECIMAL128 signed)
WIDE_TYPES = frozenset(t.id for t in TYPES if t.width == 16 and t.category in (Category.BINARY, Category.DENARY))
DECIMALS = {t: TYPE_INFO[t] for t in types_in(Category.DENARY)}    # .width, .max_scale
DELTA_TYPES = frozenset(t for t, d in STORAGE_DTYPE.items()
                        if np.dtype(d).itemsize in (2, 4, 8) and t not in (FLOAT, DOUBLE))
_LE = {t: np.dtype(d).newbyteorder("<") for t, d in STORAGE_DTYPE.items()}
_STRUCT_CHARS = {"i1": "b", "i2": "h", "i4": "i", "i8": "q", "f4": "f", "f8": "d"}
_SCALAR_STRUCT = {t: struct.Struct("<" + _STRUCT_CHARS[np.dtype(d).str[1:]]) for t, d in STORAGE_DTYPE.items()}
_I32 = struct.Struct("<i")
_II = struct.Struct("<ii")
_H = struct.Struct("<H")
_M64 = (1 << 64) - 1




# ====================================================================================== readers
class BytesReader:
    """The codec reader over an in-memory buffer (bytes, bytearray, memoryview)."""

    def __init__(self, data):
        mv = memoryview(data)
        self.data = mv.cast("B") if mv.format != "B" or mv.ndim != 1 else mv
        self.pos = 0

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def _take(self, n: int) -> memoryview:
        if n < 0:
            raise CodecError(f"negative read of {n} bytes")
        if n > len(self.data) - self.pos:
            raise CodecError(f"truncated object: needed {n} bytes, {len(self.data) - self.pos} left")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def read_exact(self, n: int) -> bytes:
        return bytes(self._take(n))

    def read_bytearray(self, n: int) -> bytearray:
        return bytearray(self._take(n))

    def read_cstring(self, max_len: int = MAX_STRING) -> bytes:
        end = min(len(self.data), self.pos + max_len + 1)
        window = 256
        start = self.pos
        while True:                      # widen the search window; never copy more than 8x the string
            stop = min(end, start + window)
            chunk = bytes(self.data[start:stop])
            i = chunk.find(b"\0")
            if i >= 0:
                out = chunk[:i] if start == self.pos else bytes(self.data[self.pos:start + i])
                self.pos = start + i + 1
                return out
            if stop == end:
                if end == len(self.data):
                    raise CodecError("truncated object: unterminated string")
                raise CodecError(f"string longer than {max_len} bytes")
            start = stop
            window *= 8

    def read_cstrings(self, n: int, max_len: int = MAX_STRING) -> bytes:
        if n <= 0:
            return b""
        buf = np.frombuffer(self.data, dtype=np.uint8)
        start = self.pos
        total = len(buf)
        window = max(1 << 16, 16 * n)
        found = 0
        scanned = start
        ends: list = []
        while found < n:
            if scanned >= total:
                raise CodecError(f"truncated object: {n - found} of {n} strings missing")
            stop = min(total, scanned + window)
            z = np.flatnonzero(buf[scanned:stop] == 0)
            if len(z):
                take = z[:n - found] + scanned
                ends.append(take)
                found += len(take)
            scanned = stop
            window *= 2
        nuls = np.concatenate(ends) if len(ends) > 1 else ends[0]
        last = int(nuls[-1])
        lengths = np.diff(nuls, prepend=start - 1) - 1
        if int(lengths.max()) > max_len:
            raise CodecError(f"string longer than {max_len} bytes")
        self.pos = last + 1
        return bytes(self.data[start:last])


def decode_bytes(data) -> Value:
    """Decodes exactly one object that must fill the whole buffer."""
    r = BytesReader(data)
    v = decode(r)
    if r.remaining():
        raise CodecError(f"{r.remaining()} trailing bytes after a serialized object")
    return v


# =================================================================================== read helpers
def _i32(r) -> int:
    return _I32.unpack(r.read_exact(4))[0]


def _count(r, what: str) -> int:
    n = _I32.unpack(r.read_exact(4))[0]
    if n < 0:
        raise CodecError(f"negative {what}: {n}")
    return n


def _read_buffer(r, n: int) -> bytearray:
    """n bytes as a writable buffer, read in bounded chunks."""
    fast = getattr(r, "read_bytearray", None)
    if fast is not None:
        return fast(n)
    if n <= READ_CHUNK:
        return bytearray(r.read_exact(n))
    buf = bytearray()
    left = n
    while left:
        step = min(left, READ_CHUNK)
        buf += r.read_exact(step)
        left -= step
    return buf


def _read_array(r, dtype: np.dtype, n: int) -> np.ndarray:
    arr = np.frombuffer(_read_buffer(r, n * dtype.itemsize), dtype=dtype)
    return arr if dtype.isnative else arr.astype(dtype.newbyteorder("="))


def _read_text_block(r, n: int) -> bytes:
    fast = getattr(r, "read_cstrings", None)
    if fast is not None:
        return fast(n, MAX_STRING)
    return b"\0".join([r.read_cstring(MAX_STRING) for _ in range(n)])


def _strings(r, n: int) -> np.ndarray:
    if not n:
        return np.empty(0, dtype=object)
    parts = _read_text_block(r, n).decode("utf-8", "surrogateescape").split("\0")
    out = np.empty(len(parts), dtype=object)     # sized by what arrived, not by the count
    out[:] = parts
    return out


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _wide(raw, n: int, signed: bool) -> np.ndarray:
    """n 16-byte little-endian integers -> object array of Python ints."""
    out = np.empty(n, dtype=object)
    if n:
        halves = np.frombuffer(raw, dtype="<u8").reshape(n, 2)
        hi = halves[:, 1].view("<i8") if signed else halves[:, 1]
        out[:] = (hi.astype(object) << 64) | halves[:, 0].astype(object)
    return out


# ======================================================================================= decode
def decode(r, depth: int = 0) -> Value:
    """Reads one object (flag word + body) from reader r."""
    flag = _H.unpack(r.read_exact(2))[0]
    return decode_body(r, flag >> 8, flag & 0xFF, depth)


def decode_body(r, form: int, t: int, depth: int = 0) -> Value:
    """Reads the body of an object whose flag word (form, type) was already read."""
    if depth > MAX_DEPTH:
        raise CodecError(f"objects nested deeper than {MAX_DEPTH} levels")
    if form == SCALAR:
        return _decode_scalar(r, t)
    if form in (VECTOR, PAIR):
        v = _decode_vector(r, t, depth, None)
        if form == PAIR:
            if isinstance(v, ArrayVector) or len(v) != 2:
                raise CodecError(f"a pair must hold 2 elements, got {len(v)}")
            v.form = PAIR
        return v
    if form == MATRIX:
        return _decode_matrix(r, depth)
    if form == SET:
        keys = _vector_object(r, depth, "set")
        if isinstance(keys, ArrayVector):
            raise CodecError("a set cannot hold an array vector")
        keys.form = SET
        return keys
    if form in (DICTIONARY, CHART):
        keys = _vector_object(r, depth, "dictionary keys")
        values = _vector_object(r, depth, "dictionary values")
        if isinstance(keys, ArrayVector):
            raise CodecError("dictionary keys cannot be an array vector")
        if len(keys) != len(values):
            raise CodecError(f"dictionary has {len(keys)} keys but {len(values)} values")
        d = Dictionary(keys, values)
        return d if form == DICTIONARY else Opaque(CHART, t, d)
    if form == TABLE:
        return _decode_table(r, t, depth)
    if form == CHUNK:
        n = struct.unpack("<h", r.read_exact(2))[0]
        if n < 0:
            raise CodecError(f"negative chunk length {n}")
        return Opaque(CHUNK, t, r.read_exact(n))
    if form == TABLE | 0x20:   # a pyarrow.Table uploaded under PROTOCOL_ARROW (an IPC stream)
        try:
            return read_arrow_upload(r)
        except ValueError as e:
            raise CodecError(str(e)) from None
    if form & 0x20:
        raise CodecError(f"data form {form} (0x{form:02x}) is a PICKLE/ARROW payload, not a DDB object")
    raise CodecError(f"unsupported data form {form} ({FORM_NAMES.get(form, 'unknown')})")


def _vector_object(r, depth: int, what: str):
    flag = _H.unpack(r.read_exact(2))[0]
    form, t = flag >> 8, flag & 0xFF
    if form not in (VECTOR, PAIR):
        raise CodecError(f"{what}: expected a vector, got data form {form}")
    if depth + 1 > MAX_DEPTH:
        raise CodecError(f"objects nested deeper than {MAX_DEPTH} levels")
    return _decode_vector(r, t, depth + 1, None)


def _decode_scalar(r, t: int) -> Scalar:
    st = _SCALAR_STRUCT.get(t)
    if st is not None and t not in DECIMALS:
        x = st.unpack(r.read_exact(st.size))[0]
        if t == FLOAT or t == DOUBLE:
            return Scalar(t, None if x == (FLOAT_NULL if t == FLOAT else DOUBLE_NULL) else x)
        return Scalar(t, None if x == NULL_INT[t] else x)
    if t == VOID:
        return Scalar(VOID, None, r.read_exact(1)[0])
    if t in DECIMALS:
        info = DECIMALS[t]
        scale = _scale(r, t)
        raw = int.from_bytes(r.read_exact(info.width), "little", signed=True)
        return Scalar(t, None if raw == info.null else raw, scale)
    if t == FUNCTIONDEF:
        kind = r.read_exact(1)[0]
        return Scalar(t, _text(r.read_cstring(MAX_STRING)), kind)
    if t in TEXT_TYPES:
        return Scalar(t, _text(r.read_cstring(MAX_STRING)))
    if t == BLOB:
        n = _count(r, "blob length")
        if n > MAX_BLOB:
            raise CodecError(f"BLOB of {n} bytes exceeds the {MAX_BLOB}-byte limit")
        return Scalar(t, bytes(_read_buffer(r, n)))
    if t in (UUID, IPADDR, INT128):
        raw = int.from_bytes(r.read_exact(16), "little")
        return Scalar(t, raw or None)
    if t in RAW_WIDTH:
        return Scalar(t, r.read_exact(RAW_WIDTH[t]))
    raise CodecError(f"unsupported scalar type {t} ({type_name(t)})")


def _scale(r, t: int) -> int:
    scale = _i32(r)
    if not 0 <= scale <= DECIMALS[t].max_scale:
        raise CodecError(f"invalid {type_name(t)} scale {scale}")
    return scale


def _decode_vector(r, t: int, depth: int, bases: dict | None):
    if t == COMPRESS:
        return _decode_compressed(r, depth)
    rows = _count(r, "vector row count")
    cols = _count(r, "vector column count")
    if ARRAY_BASE <= t < 128:
        elem = t - ARRAY_BASE
        scale = _scale(r, elem) if elem in DECIMALS else 0
        return _decode_array_vector(r, t, rows, scale, depth)
    if t == SYMBOL_WITH_BASE:
        return Vector(SYMBOL, _decode_symbols(r, rows, bases))
    if t == ANY:
        return _decode_elements(r, t, rows, depth)
    return _decode_elements(r, t, rows * cols, depth, _scale(r, t) if t in DECIMALS else 0)


def _decode_elements(r, t: int, n: int, depth: int, scale: int = 0) -> Vector:
    """n elements of type t (everything of a vector after rows/cols[/scale])."""
    le = _LE.get(t)
    if le is not None:
        return Vector(t, _read_array(r, le, n), scale)
    if t in TEXT_TYPES:
        return Vector(t, _strings(r, n))
    if t in WIDE_TYPES:
        return Vector(t, _wide(_read_buffer(r, 16 * n), n, t == DECIMAL128), scale)
    if t == VOID:
        return Vector(VOID, None, length_=n)
    if t == ANY:
        items = []
        for _ in range(n):
            items.append(decode(r, depth + 1))
        return Vector(ANY, items)
    if t == BLOB:
        items = []
        for _ in range(n):
            size = _count(r, "blob length")
            if size > MAX_BLOB:
                raise CodecError(f"BLOB of {size} bytes exceeds the {MAX_BLOB}-byte limit")
            items.append(bytes(_read_buffer(r, size)))
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return Vector(BLOB, out)
    if t in RAW_WIDTH:
        w = RAW_WIDTH[t]
        raw = bytes(_read_buffer(r, w * n))
        out = np.empty(n, dtype=object)
        out[:] = [raw[i:i + w] for i in range(0, w * n, w)]
        return Vector(t, out)
    raise CodecError(f"unsupported vector type {t} ({type_name(t)})")


def _decode_symbols(r, rows: int, bases: dict | None) -> np.ndarray:
    base_id = _i32(r)
    size = _count(r, "symbol base size")
    if size > MAX_SYMBOL_BASE:
        raise CodecError(f"symbol base of {size} entries exceeds {MAX_SYMBOL_BASE}")
    if size == 0 and bases is not None and base_id in bases:
        base = bases[base_id]
    else:
        base = _strings(r, size)
        if bases is not None:
            bases[base_id] = base
    idx = _read_array(r, np.dtype("<i4"), rows)
    if rows:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= len(base):
            bad = lo if lo < 0 else hi
            raise CodecError(f"symbol index {bad} out of range for a base of {len(base)} entries")
        return base[idx]
    return np.empty(0, dtype=object)


_COUNT_DTYPES = {1: np.dtype("u1"), 2: np.dtype("<u2"), 4: np.dtype("<u4")}


def _decode_array_vector(r, t: int, rows: int, scale: int, depth: int) -> ArrayVector:
    elem = t - ARRAY_BASE
    if elem in (ANY, VOID):
        raise CodecError(f"unsupported array vector type {t} ({type_name(t)})")
    counts, chunks = [], []
    done = 0
    while done < rows:
        block_rows, count_bytes, _reserved = struct.unpack("<HBB", r.read_exact(4))
        if block_rows == 0:
            raise CodecError("array vector block of 0 rows")
        if done + block_rows > rows:
            raise CodecError(f"array vector blocks describe more than {rows} rows")
        dt = _COUNT_DTYPES.get(count_bytes)
        if dt is None:
            raise CodecError(f"array vector count width {count_bytes} (expected 1, 2 or 4)")
        c = _read_array(r, dt, block_rows).astype(np.int64)
        counts.append(c)
        chunks.append(_decode_elements(r, elem, int(c.sum()), depth, scale))
        done += block_rows
    offsets = np.zeros(rows + 1, dtype=np.int64)
    if counts:
        np.cumsum(np.concatenate(counts), out=offsets[1:])
    if not chunks:
        return ArrayVector(t, offsets, _empty_vector(elem, scale))
    if len(chunks) == 1:
        values = chunks[0]
    else:
        values = Vector(elem, np.concatenate([c.data for c in chunks]), scale)
    return ArrayVector(t, offsets, values)


def _empty_vector(t: int, scale: int = 0) -> Vector:
    if t == VOID:
        return Vector(VOID, None, length_=0)
    if t == ANY:
        return Vector(ANY, [])
    return Vector(t, np.empty(0, dtype=STORAGE_DTYPE.get(t, object)), scale)


def _decode_compressed(r, depth: int):
    h, payload = compression.read_compressed(r, _fixed_width)
    dt = h.data_type
    if dt == COMPRESS:
        raise CodecError("nested compressed vector")
    inner = BytesReader(payload)
    n = h.element_count
    if ARRAY_BASE <= dt < 128:
        elem = dt - ARRAY_BASE
        scale = h.reserved if elem in DECIMALS else 0
        v = _decode_array_vector(inner, dt, n, scale, depth)
    elif dt == SYMBOL_WITH_BASE:
        v = Vector(SYMBOL, _decode_symbols(inner, n, None))
    else:
        scale = h.reserved if dt in DECIMALS else 0
        if dt in DECIMALS and not 0 <= scale <= DECIMALS[dt].max_scale:
            raise CodecError(f"invalid {type_name(dt)} scale {scale}")
        v = _decode_elements(inner, dt, n, depth, scale)
    if inner.remaining():
        raise CodecError(f"compressed {type_name(dt)} payload has {inner.remaining()} trailing bytes")
    return v


def _fixed_width(t: int) -> int:
    info = TYPE_INFO.get(t)
    return 0 if info is None else info.width


def _decode_matrix(r, depth: int) -> Matrix:
    labels = r.read_exact(1)[0]
    if labels & ~3:
        raise CodecError(f"invalid matrix label flags {labels}")
    row_labels = _vector_object(r, depth, "matrix row labels") if labels & 1 else None
    col_labels = _vector_object(r, depth, "matrix column labels") if labels & 2 else None
    flag = _H.unpack(r.read_exact(2))[0]
    form, t = flag >> 8, flag & 0xFF
    if form != MATRIX:
        raise CodecError(f"matrix data: expected data form {MATRIX}, got {form}")
    if t in (COMPRESS, ANY, VOID) or t >= ARRAY_BASE and t != SYMBOL_WITH_BASE:
        raise CodecError(f"unsupported matrix type {t} ({type_name(t)})")
    rows, cols = _count(r, "matrix row count"), _count(r, "matrix column count")
    if t == SYMBOL_WITH_BASE:
        col = Vector(SYMBOL, _decode_symbols(r, rows * cols, None))
    else:
        col = _decode_elements(r, t, rows * cols, depth, _scale(r, t) if t in DECIMALS else 0)
    if row_labels is not None and len(row_labels) != rows:
        raise CodecError(f"matrix has {rows} rows but {len(row_labels)} row labels")
    if col_labels is not None and len(col_labels) != cols:
        raise CodecError(f"matrix has {cols} columns but {len(col_labels)} column labels")
    data = col.data.reshape(cols, rows).T
    return Matrix(col.type, data, col.scale, row_labels, col_labels)


def _decode_table(r, table_type: int, depth: int) -> Table:
    rows, ncols = _count(r, "table row count"), _count(r, "table column count")
    name = _text(r.read_cstring(MAX_STRING))
    names = [_text(r.read_cstring(MAX_STRING)) for _ in range(ncols)]
    if depth + 1 > MAX_DEPTH:
        raise CodecError(f"objects nested deeper than {MAX_DEPTH} levels")
    bases: dict = {}
    columns: dict = {}
    for n in names:
        flag = _H.unpack(r.read_exact(2))[0]
        if flag >> 8 != VECTOR:
            raise CodecError(f"table column {n!r} has data form {flag >> 8}, expected a vector")
        col = _decode_vector(r, flag & 0xFF, depth + 1, bases)
        if len(col) != rows:
            raise CodecError(f"table column {n!r} has {len(col)} rows, expected {rows}")
        if n in columns:
            raise CodecError(f"duplicate table column name {n!r}")
        columns[n] = col
    t = Table(columns, name)
    t.type = table_type
    return t


# ======================================================================================= encode
def encode(value: Value, *, compress: bool = False) -> bytes:
    """Serializes one value (flag word + body). compress=True compresses table columns."""
    out = bytearray()
    try:
        _encode(value, out, compress, 0)
    except CodecError:
        raise
    except (OverflowError, TypeError, ValueError, struct.error) as e:
        raise CodecError(f"cannot serialize {type(value).__name__}: {e}") from None
    return bytes(out)


def _flag(out: bytearray, form: int, t: int) -> None:
    out += _H.pack((form << 8) | (t & 0xFF))


def _encode(v: Value, out: bytearray, compress: bool, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise CodecError(f"objects nested deeper than {MAX_DEPTH} levels")
    if isinstance(v, Scalar):
        _flag(out, SCALAR, v.type)
        _encode_scalar(v, out)
    elif isinstance(v, ArrayVector):
        _encode_array_vector(v, out)
    elif isinstance(v, Vector):
        if v.form == SET:
            _flag(out, SET, v.type)
            _encode_vector(v, out, VECTOR, None, depth + 1)
        else:
            _encode_vector(v, out, PAIR if v.form == PAIR else VECTOR, None, depth)
    elif isinstance(v, Matrix):
        _encode_matrix(v, out, depth)
    elif isinstance(v, Dictionary):
        _encode_dictionary(v, out, DICTIONARY, v.values.type, depth)
    elif isinstance(v, Table):
        _encode_table(v, out, compress, depth)
    elif isinstance(v, Opaque) and v.form == CHART and isinstance(v.payload, Dictionary):
        _encode_dictionary(v.payload, out, CHART, v.type, depth)
    elif isinstance(v, Opaque) and v.form == CHUNK:
        payload = bytes(v.payload)
        if len(payload) > 0x7FFF:
            raise CodecError(f"CHUNK payload of {len(payload)} bytes exceeds 32767")
        _flag(out, CHUNK, v.type)
        out += struct.pack("<h", len(payload)) + payload
    else:
        raise CodecError(f"cannot serialize {type(v).__name__}"
                         + (f" of form {v.form}" if isinstance(v, Opaque) else ""))


def _encode_dictionary(d: Dictionary, out: bytearray, form: int, t: int, depth: int) -> None:
    if len(d.keys) != len(d.values):
        raise CodecError(f"dictionary has {len(d.keys)} keys but {len(d.values)} values")
    _flag(out, form, t)
    _encode_vector_object(d.keys, out, depth + 1)
    _encode_vector_object(d.values, out, depth + 1)


def _encode_vector_object(v, out: bytearray, depth: int) -> None:
    if isinstance(v, ArrayVector):
        _encode_array_vector(v, out)
    elif isinstance(v, Vector):
        _encode_vector(v, out, VECTOR, None, depth)
    else:
        raise CodecError(f"expected a vector, got {type(v).__name__}")


def _cstr(s, out: bytearray) -> None:
    b = _utf8("" if s is None else str(s))
    if b"\0" in b:
        raise CodecError("cannot serialize a string containing a NUL byte")
    out += b
    out.append(0)


def _utf8(s: str) -> bytes:
    try:
        return s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return s.encode("utf-8", "replace")


def _encode_scalar(v: Scalar, out: bytearray) -> None:
    t, x = v.type, v.value
    st = _SCALAR_STRUCT.get(t)
    if st is not None and t not in DECIMALS:
        if t == FLOAT or t == DOUBLE:
            null = FLOAT_NULL if t == FLOAT else DOUBLE_NULL
            out += st.pack(float(null) if x is None else float(x))
        else:
            out += st.pack(NULL_INT[t] if x is None else int(x))
    elif t == VOID:
        out.append(int(v.scale) & 0xFF)
    elif t in DECIMALS:
        info = DECIMALS[t]
        if not 0 <= v.scale <= info.max_scale:
            raise CodecError(f"invalid {type_name(t)} scale {v.scale}")
        out += _I32.pack(v.scale)
        out += (info.null if x is None else int(x)).to_bytes(info.width, "little", signed=True)
    elif t == FUNCTIONDEF:
        out.append(int(v.scale) & 0xFF)
        _cstr(x, out)
    elif t in TEXT_TYPES:
        _cstr(x, out)
    elif t == BLOB:
        b = b"" if x is None else (_utf8(x) if isinstance(x, str) else bytes(x))
        out += _I32.pack(len(b))
        out += b
    elif t in (UUID, IPADDR, INT128):
        out += (0 if x is None else int(x)).to_bytes(16, "little")
    elif t in RAW_WIDTH:
        raw = bytes(x) if x is not None else b""
        if len(raw) != RAW_WIDTH[t]:
            raise CodecError(f"a {type_name(t)} scalar needs {RAW_WIDTH[t]} raw bytes, got {len(raw)}")
        out += raw
    else:
        raise CodecError(f"cannot serialize a scalar of type {t} ({type_name(t)})")


# ---- symbol bases
def _symbol_codes(data) -> tuple[list, np.ndarray]:
    """(base, indices): base in order of first appearance with "" at entry 0."""
    ids = {"": 0}
    seen = ids.setdefault
    idx = np.fromiter((seen("" if s is None else s, len(ids)) for s in data), dtype=np.int32, count=len(data))
    return list(ids), idx


class _SymbolRegistry:
    """Symbol bases already sent in one table: id per distinct set of values."""

    def __init__(self):
        self.by_set: dict = {}          # frozenset(base) -> (id, {symbol: index})
        self.next_id = 0


def _encode_symbols(data, out: bytearray, registry: _SymbolRegistry | None) -> None:
    base, idx = _symbol_codes(data)
    if registry is not None:
        key = frozenset(base)
        hit = registry.by_set.get(key)
        if hit is not None:
            base_id, positions = hit
            perm = np.array([positions[s] for s in base], dtype=np.int32)
            out += _II.pack(base_id, 0)
            out += perm[idx].astype("<i4").tobytes()
            return
        base_id = registry.next_id
        registry.next_id += 1
        registry.by_set[key] = (base_id, {s: i for i, s in enumerate(base)})
    else:
        base_id = 0
    out += _II.pack(base_id, len(base))
    _text_elements(base, out)
    out += idx.astype("<i4", copy=False).tobytes()


# ---- elements
def _text_elements(data, out: bytearray) -> None:
    n = len(data)
    if not n:
        return
    items = data.tolist() if isinstance(data, np.ndarray) else list(data)
    try:
        joined = "\0".join(items)
    except TypeError:
        joined = "\0".join("" if s is None else str(s) for s in items)
    b = _utf8(joined)
    if b.count(b"\0") != n - 1:
        raise CodecError("cannot serialize a string containing a NUL byte")
    out += b
    out.append(0)


def _wide_bytes(data, signed: bool, null: int) -> bytes:
    n = len(data)
    if not n:
        return b""
    vals = np.empty(n, dtype=object)
    vals[:] = [null if x is None else int(x) for x in data]
    lo = (vals & _M64).astype(np.uint64)
    hi = (vals >> 64)
    hi = hi.astype(np.int64).view(np.uint64) if signed else hi.astype(np.uint64)
    pair = np.empty((n, 2), dtype="<u8")
    pair[:, 0], pair[:, 1] = lo, hi
    return pair.tobytes()


def _fixed_array(t: int, data) -> np.ndarray:
    dt = _LE[t]
    arr = np.asarray(data)
    if arr.dtype == object:
        arr = np.array([null_of(t) if x is None else x for x in arr.tolist()])
    if t == FLOAT or t == DOUBLE:
        return arr.astype(dt, copy=False)
    if arr.dtype.kind in "iu" and len(arr) and (arr.dtype.itemsize > dt.itemsize or arr.dtype.kind == "u"):
        info = np.iinfo(dt)
        if int(arr.min()) < info.min or int(arr.max()) > info.max:
            raise CodecError(f"{type_name(t)} values out of range for {dt.itemsize}-byte storage")
    return arr.astype(dt, copy=False)


def _elements(t: int, data, out: bytearray, depth: int) -> None:
    """The element bytes of a vector of type t (after rows/cols[/scale][/base])."""
    if t in _LE:
        out += _fixed_array(t, data).tobytes()
    elif t in TEXT_TYPES:
        _text_elements(data, out)
    elif t in WIDE_TYPES:
        out += _wide_bytes(data, t == DECIMAL128, TYPE_INFO[t].null)
    elif t == VOID:
        return
    elif t == ANY:
        for item in data:
            _encode(item, out, False, depth + 1)
    elif t == BLOB:
        for x in data:
            b = b"" if x is None else (_utf8(x) if isinstance(x, str) else bytes(x))
            out += _I32.pack(len(b))
            out += b
    elif t in RAW_WIDTH:
        w = RAW_WIDTH[t]
        raw = b"".join(bytes(x) for x in data)
        if len(raw) != w * len(data):
            raise CodecError(f"{type_name(t)} elements need {w} raw bytes each")
        out += raw
    else:
        raise CodecError(f"cannot serialize a vector of type {t} ({type_name(t)})")


def _encode_vector(v: Vector, out: bytearray, form: int, registry: _SymbolRegistry | None, depth: int) -> None:
    n = len(v)
    t = v.type
    if t == SYMBOL and n:
        _flag(out, form, SYMBOL_WITH_BASE)
        out += _II.pack(n, 1)
        _encode_symbols(v.data, out, registry)
        return
    _flag(out, form, t)
    out += _II.pack(n, 1)
    if t in DECIMALS:
        out += _I32.pack(v.scale)
    _elements(t, v.data, out, depth)


def array_vector_payload(v: ArrayVector) -> bytes:
    """The §5.7 block stream of an array vector (what follows rows/cols[/scale])."""
    out = bytearray()
    offsets = np.asarray(v.offsets, dtype=np.int64)
    counts = np.diff(offsets)
    if len(counts) and int(counts.min()) < 0:
        raise CodecError("array vector offsets decrease")
    elem = v.type - ARRAY_BASE
    data = v.values.data
    n = len(counts)
    for start in range(0, n, 65535):
        stop = min(n, start + 65535)
        c = counts[start:stop]
        top = int(c.max())
        width = 1 if top <= 0xFF else 2 if top <= 0xFFFF else 4
        if top > 0xFFFFFFFF:
            raise CodecError("array vector row longer than 2^32 values")
        out += struct.pack("<HBB", stop - start, width, 0)
        out += c.astype(_COUNT_DTYPES[width]).tobytes()
        lo, hi = int(offsets[start]), int(offsets[stop])
        _elements(elem, data[lo:hi] if data is not None else None, out, 0)
    return bytes(out)


def _encode_array_vector(v: ArrayVector, out: bytearray) -> None:
    elem = v.type - ARRAY_BASE
    n = len(v)
    _flag(out, VECTOR, v.type)
    total = int(v.offsets[-1] - v.offsets[0]) if n else 0
    out += _II.pack(n, total)
    if elem in DECIMALS:
        out += _I32.pack(v.scale)
    out += array_vector_payload(v)


def _encode_matrix(m: Matrix, out: bytearray, depth: int) -> None:
    data = np.asarray(m.data)
    if data.ndim != 2:
        raise CodecError(f"matrix data must be 2-D, got {data.ndim}-D")
    rows, cols = data.shape
    if m.row_labels is not None and len(m.row_labels) != rows:
        raise CodecError(f"matrix has {rows} rows but {len(m.row_labels)} row labels")
    if m.col_labels is not None and len(m.col_labels) != cols:
        raise CodecError(f"matrix has {cols} columns but {len(m.col_labels)} column labels")
    _flag(out, MATRIX, m.type)
    out.append((1 if m.row_labels is not None else 0) | (2 if m.col_labels is not None else 0))
    if m.row_labels is not None:
        _encode_vector_object(m.row_labels, out, depth + 1)
    if m.col_labels is not None:
        _encode_vector_object(m.col_labels, out, depth + 1)
    flat = data.T.reshape(-1)
    if m.type == SYMBOL and flat.size:
        _flag(out, MATRIX, SYMBOL_WITH_BASE)
        out += _II.pack(rows, cols)
        _encode_symbols(flat, out, None)
        return
    _flag(out, MATRIX, m.type)
    out += _II.pack(rows, cols)
    if m.type in DECIMALS:
        out += _I32.pack(m.scale)
    _elements(m.type, flat, out, depth)


def _encode_table(t: Table, out: bytearray, compress: bool, depth: int) -> None:
    cols = t.columns
    rows = t.rows
    for name, col in cols.items():
        if not isinstance(col, (Vector, ArrayVector)):
            raise CodecError(f"table column {name!r} is a {type(col).__name__}, not a vector")
        if len(col) != rows:
            raise CodecError(f"table column {name!r} has {len(col)} rows, expected {rows}")
    _flag(out, TABLE, 8 if compress else (t.type or 0))
    out += _II.pack(rows, len(cols))
    _cstr(t.name, out)
    for name in cols:
        _cstr(name, out)
    registry = _SymbolRegistry()
    for col in cols.values():
        if compress and len(col) and col.type not in (SYMBOL, ANY, VOID):
            write_compressed_column(col, out)
        elif isinstance(col, ArrayVector):
            _encode_array_vector(col, out)
        else:
            _encode_vector(col, out, VECTOR, registry, depth + 1)


def column_payload(col) -> bytes:
    """The bytes a vector carries after its rows/cols[/scale] header (input to compression)."""
    if isinstance(col, ArrayVector):
        return array_vector_payload(col)
    out = bytearray()
    _elements(col.type, col.data, out, 0)
    return bytes(out)


def write_compressed_column(col, out: bytearray, method: int | None = None) -> None:
    """Appends col as a compressed vector (§6): with ``method`` (compression.LZ4/DELTA), or by
    default with whichever of LZ4 and delta-of-delta gives fewer bytes (LZ4 on a tie)."""
    is_array = isinstance(col, ArrayVector)
    t = col.type
    elem = t - ARRAY_BASE if is_array else t
    if elem in (SYMBOL, ANY, VOID) and not is_array:
        raise CodecError(f"a {type_name(t)} vector cannot be compressed")
    payload = column_payload(col)
    width = _fixed_width(elem)
    unit = width if width else -1
    scale = col.scale if elem in DECIMALS else 0
    extra = int(col.offsets[-1] - col.offsets[0]) if is_array else scale
    can_delta = not is_array and t in DELTA_TYPES
    if method == compression.DELTA and not can_delta:
        raise CodecError(f"delta-of-delta cannot compress a {type_name(t)} vector")
    candidates = []
    if method in (None, compression.LZ4):
        candidates.append((compression.LZ4, compression.lz4_blocks(payload, unit)))
    if method in (None, compression.DELTA) and can_delta:
        try:
            candidates.append((compression.DELTA, compression.delta_blocks(payload, unit)))
        except OverflowError as e:
            if method == compression.DELTA:
                raise CodecError(f"delta-of-delta cannot compress this column: {e}") from None
    best, blocks = min(candidates, key=lambda c: sum(len(b) for b in c[1]))
    compression.write_blocks(out, data_type=t, unit_length=unit, reserved=scale, extra=extra,
                             count=len(col), blocks=blocks, method=best)
