"""Helpers of the embedded server's codec tests (tests/server/codec): hex literals, a minimal
stream reader, deep value comparison, sample vectors of every type and round-trip checks."""
from __future__ import annotations

import struct

import numpy as np
from dolphindb.server.wire import codec
from dolphindb.server.wire.codec import CodecError, decode, decode_bytes, encode
from dolphindb.server.model.values import (ANY, ARRAY_BASE, BLOB, BOOL, CHAR, CODE, DATASOURCE, DATE, DATEHOUR, DATEMINUTE,
                                     DATETIME, DECIMAL32, DECIMAL64, DECIMAL128, DOUBLE, FLOAT, FUNCTIONDEF, HANDLE,
                                     INT, INT128, IPADDR, LONG, MINUTE, MONTH, NANOTIME, NANOTIMESTAMP, RESOURCE,
                                     SECOND, SET, SHORT, STORAGE_DTYPE, STRING, SYMBOL, TIME, TIMESTAMP, UUID, VOID,
                                     ArrayVector, Dictionary, Matrix, Opaque, Scalar, Table, Vector)

INT_NULL, LONG_NULL = -(1 << 31), -(1 << 63)
DOUBLE_NULL = -np.finfo(np.float64).max     # the server stores a float NULL as on the wire


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace("|", " "))


class StreamReader:
    """The minimal reader contract (what a socket reader offers): read_exact + read_cstring,
    EOFError on short input, no fast paths."""

    def __init__(self, data: bytes):
        self.data, self.pos = bytes(data), 0

    def read_exact(self, n: int) -> bytes:
        if n < 0:
            raise CodecError("negative read")
        if self.pos + n > len(self.data):
            raise EOFError("connection closed")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def read_cstring(self, max_len: int) -> bytes:
        i = self.data.find(b"\0", self.pos, self.pos + max_len + 1)
        if i < 0:
            if len(self.data) - self.pos > max_len:
                raise CodecError("string too long")
            raise EOFError("connection closed")
        out = self.data[self.pos:i]
        self.pos = i + 1
        return out


def decode_stream(raw: bytes):
    r = StreamReader(raw)
    v = decode(r)
    assert r.pos == len(raw)
    return v


# ============================================================================ value comparison
def assert_same(a, b, path="value"):
    assert type(a) is type(b), f"{path}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, Scalar):
        assert (a.type, a.scale) == (b.type, b.scale), path
        if isinstance(a.value, float) and isinstance(b.value, float) and np.isnan(a.value):
            assert np.isnan(b.value), path
        else:
            assert a.value == b.value, f"{path}: {a.value!r} != {b.value!r}"
    elif isinstance(a, ArrayVector):
        assert a.type == b.type and a.scale == b.scale, path
        assert a.offsets.tolist() == b.offsets.tolist(), path
        assert_same(a.values, b.values, path + ".values")
    elif isinstance(a, Vector):
        assert (a.type, a.form, len(a)) == (b.type, b.form, len(b)), f"{path}: {(a.type, a.form, len(a))} != {(b.type, b.form, len(b))}"
        if a.type in (DECIMAL32, DECIMAL64, DECIMAL128):
            assert a.scale == b.scale, path
        if a.type == ANY:
            for i, (x, y) in enumerate(zip(a.data, b.data)):
                assert_same(x, y, f"{path}[{i}]")
        elif a.data is not None:
            _same_data(a.data, b.data, path)
            if a.type in STORAGE_DTYPE:       # decoded columns use the storage dtype and are writable
                assert b.data.dtype == np.dtype(STORAGE_DTYPE[a.type]) and b.data.flags.writeable, path
    elif isinstance(a, Matrix):
        assert (a.type, a.scale) == (b.type, b.scale), path
        assert np.asarray(a.data).shape == np.asarray(b.data).shape, path
        _same_data(np.asarray(a.data).ravel(), np.asarray(b.data).ravel(), path)
        for la, lb, n in ((a.row_labels, b.row_labels, "rows"), (a.col_labels, b.col_labels, "cols")):
            assert (la is None) == (lb is None), path
            if la is not None:
                assert_same(la, lb, f"{path}.{n}")
    elif isinstance(a, Dictionary):
        assert_same(a.keys, b.keys, path + ".keys")
        assert_same(a.values, b.values, path + ".values")
    elif isinstance(a, Table):
        assert a.name == b.name and list(a.columns) == list(b.columns), path
        for k in a.columns:
            assert_same(a.columns[k], b.columns[k], f"{path}.{k}")
    elif isinstance(a, Opaque):
        assert (a.form, a.type) == (b.form, b.type), path
        if isinstance(a.payload, Dictionary):
            assert_same(a.payload, b.payload, path)
        else:
            assert a.payload == b.payload, path
    else:
        raise TypeError(f"{path}: unexpected {type(a)}")


def _same_data(x, y, path):
    x, y = np.asarray(x), np.asarray(y)
    assert len(x) == len(y), path
    if x.dtype.kind == "f":
        assert y.dtype == x.dtype and np.array_equal(x, y, equal_nan=True), path
    elif x.dtype == object:
        assert x.tolist() == y.tolist(), path
    else:
        assert np.array_equal(x.astype(np.int64), y.astype(np.int64)), path


def strings(*xs):
    return np.array(list(xs), dtype=object)


def vals(v):
    return v.data.tolist() if isinstance(v.data, np.ndarray) else v.data


def compressed_column(col, method):
    out = bytearray()
    codec.write_compressed_column(col, out, method)
    return bytes(out)


def lz4_payload(raw: bytes) -> bytes:
    import lz4.block
    size = struct.unpack("<i", raw[30:34])[0]
    return lz4.block.decompress(raw[34:34 + size], uncompressed_size=65536)


def seeded_rng():
    return np.random.default_rng(7)


FIXED = [BOOL, CHAR, SHORT, INT, LONG, DATE, MONTH, TIME, MINUTE, SECOND, DATETIME, TIMESTAMP, NANOTIME,
         NANOTIMESTAMP, FLOAT, DOUBLE, DATEHOUR, DATEMINUTE, DECIMAL32, DECIMAL64]
SCALES = {DECIMAL32: 3, DECIMAL64: 10, DECIMAL128: 30}


def sample(t: int, n: int, nulls: bool = True) -> Vector:
    rng = seeded_rng()
    scale = SCALES.get(t, 0)
    if t in FIXED:
        dt = np.dtype(STORAGE_DTYPE[t])
        if dt.kind == "f":
            data = (rng.standard_normal(n) * 1e3).astype(dt)
            if nulls and n:
                data[::3] = np.finfo(dt).min      # the NULL
        else:
            info = np.iinfo(dt)
            data = rng.integers(info.min + 1, info.max, n, dtype=dt, endpoint=True) if t != BOOL else rng.integers(0, 2, n).astype(np.int8)
            if nulls and n:
                data[::3] = info.min
        return Vector(t, data, scale)
    if t in (STRING, SYMBOL):
        words = ["", "a", "héllo", "日本", "x" * 40, "sym\x7f"]
        return Vector(t, np.array([words[i % len(words)] if nulls or i % len(words) else "z" for i in range(n)], dtype=object))
    if t == BLOB:
        return Vector(t, np.array([bytes([i % 256]) * (i % 7) + b"\0" for i in range(n)], dtype=object))
    if t in (UUID, IPADDR, INT128):
        return Vector(t, np.array([0 if nulls and i % 3 == 0 else (i * 0x9E3779B97F4A7C15F39CC0605CEDC835) % (1 << 128) for i in range(n)], dtype=object))
    if t == DECIMAL128:
        return Vector(t, np.array([-(1 << 127) if nulls and i % 3 == 0 else (-1) ** i * i * 10 ** 30 for i in range(n)], dtype=object), scale)
    if t == VOID:
        return Vector(VOID, None, length_=n)
    if t in (CODE, HANDLE, DATASOURCE, RESOURCE, FUNCTIONDEF):
        return Vector(t, np.array([f"<x{i}>" for i in range(n)], dtype=object))
    if t in (codec.DURATION, codec.COMPLEX, codec.POINT):
        w = codec.RAW_WIDTH[t]
        return Vector(t, np.array([bytes([i % 256]) * w for i in range(n)], dtype=object))
    raise AssertionError(t)


ALL_VECTOR_TYPES = FIXED + [STRING, SYMBOL, BLOB, UUID, IPADDR, INT128, DECIMAL128, VOID, CODE,
                            codec.DURATION, codec.COMPLEX, codec.POINT]


def roundtrip(v, compress=False):
    raw = encode(v, compress=compress)
    back = decode_bytes(raw)
    assert_same(back, v)
    assert_same(decode_stream(raw), v)
    assert encode(back, compress=compress) == raw
    return raw


ROUND_TRIP = [
    Scalar(VOID, None), Scalar(BOOL, None), Scalar(LONG, 2**62), Scalar(DOUBLE, 1.5), Scalar(STRING, "héllo"),
    Scalar(BLOB, b"\0\xff\0"), Scalar(DECIMAL128, -(10**30), 5), Scalar(UUID, 2**127 + 5),
    Vector(BOOL, np.array([1, 0, -128], np.int8)), Vector(DOUBLE, np.array([1.0, np.nan])),
    Vector(FLOAT, np.array([], np.float32)), Vector(SYMBOL, np.array([], object)),
    Vector(BLOB, np.array([b"a\0b", b""], object)), Vector(VOID, None, length_=3),
    Vector(DECIMAL128, np.array([1, -(1 << 127)], object), 10),
    Vector(LONG, np.arange(100_000, dtype=np.int64)),
    Vector(INT, np.array([3, 1], np.int32), form=SET),
    Vector(ANY, [Scalar(INT, 1), Vector(ANY, [Scalar(STRING, "x")])]),
    ArrayVector(ARRAY_BASE + DOUBLE, np.array([0, 0, 3], np.int64), Vector(DOUBLE, np.array([1.0, np.nan, 3.0]))),
    Matrix(DOUBLE, np.arange(6, dtype=np.float64).reshape(2, 3)),
    Dictionary(Vector(STRING, np.array(["a"], object)), Vector(LONG, np.array([1], np.int64))),
    Table({"a": Vector(INT, np.arange(5, dtype=np.int32)), "s": Vector(SYMBOL, np.array(list("abcab"), object)),
           "t": Vector(SYMBOL, np.array(list("abcab"), object))}),
]
