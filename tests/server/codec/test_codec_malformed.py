"""Malformed input to the embedded server's codec raises CodecError (or EOFError from a stream
reader), fast and without large allocations; values that cannot be encoded raise CodecError."""
from __future__ import annotations

import re
import struct
import time
import tracemalloc

import numpy as np
import pytest
from dolphindb.server.wire import codec
from dolphindb.server.wire.codec import CodecError, decode_bytes, encode
from dolphindb.server.model.values import (ANY, ARRAY_BASE, BLOB, CHART, DECIMAL32, DECIMAL64, DECIMAL128, DOUBLE, INT,
                                     SET, STRING, SYMBOL, TIMESTAMP, UUID, ArrayVector, Dictionary, Matrix, Opaque,
                                     Scalar, Table, Vector)
from support.codec_checks import ROUND_TRIP, compressed_column, decode_stream, h, sample, strings


# ============================================================================ malformed input
MALFORMED_SOURCES = [
    Table({"i": sample(INT, 5), "s": sample(SYMBOL, 5), "t": sample(STRING, 5), "b": sample(BLOB, 5),
           "u": sample(UUID, 5), "d": sample(DECIMAL128, 5), "av": ArrayVector(ARRAY_BASE + INT, np.array([0, 1, 1, 3, 3, 4]), sample(INT, 4))}),
    Vector(ANY, [Scalar(STRING, "x"), Dictionary(Vector(STRING, strings("a")), Vector(DOUBLE, np.array([1.0]))),
                 Matrix(INT, np.arange(4, dtype=np.int32).reshape(2, 2), row_labels=Vector(INT, np.array([1, 2], np.int32))),
                 Vector(INT, np.array([1, 2], np.int32), form=SET), Scalar(DECIMAL64, 5, 2)]),
    Table({"ts": sample(TIMESTAMP, 20), "q": sample(INT, 20), "s": sample(STRING, 20)}),
    Scalar(BLOB, b"abc"),
    Opaque(CHART, ANY, Dictionary(Vector(STRING, strings("title")), Vector(ANY, [Scalar(STRING, "t")]))),
]


@pytest.mark.parametrize("value", MALFORMED_SOURCES, ids=lambda v: type(v).__name__)
def test_truncation_at_every_offset(value):
    for compress in (False, True):
        raw = encode(value, compress=compress)
        for cut in range(len(raw)):
            with pytest.raises(CodecError):
                decode_bytes(raw[:cut])
            with pytest.raises((CodecError, EOFError)):
                decode_stream(raw[:cut])
        with pytest.raises(CodecError, match="trailing"):
            decode_bytes(raw + b"\0")


def test_random_corruption_raises_codec_errors_only():
    rng = np.random.default_rng(11)
    sources = [encode(v, compress=c) for v in MALFORMED_SOURCES for c in (False, True)]
    t0 = time.perf_counter()
    for i in range(3000):
        raw = bytearray(sources[i % len(sources)])
        for _ in range(int(rng.integers(1, 4))):
            raw[int(rng.integers(0, len(raw)))] = int(rng.integers(0, 256))
        try:
            decode_bytes(bytes(raw))
        except CodecError:
            pass                     # anything else (IndexError, MemoryError...) fails the test
    assert time.perf_counter() - t0 < 10


ABSURD = {
    "vector rows": h("04 01 ff ff ff 7f 01 00 00 00 01 00 00 00"),
    "vector cols": h("04 01 01 00 00 00 ff ff ff 7f 01 00 00 00"),
    "string vector": h("12 01 ff ff ff 7f 01 00 00 00 61 00"),
    "blob length": h("20 00 ff ff ff 7f 61"),
    "blob vector": h("20 01 05 00 00 00 01 00 00 00 ff ff ff 0f 61"),
    "any vector": h("19 01 ff ff ff 7f 01 00 00 00 04 00 01 00 00 00"),
    "symbol base": h("91 01 01 00 00 00 01 00 00 00 00 00 00 00 ff ff 1f 00 00 41 00"),
    "symbol rows": h("91 01 ff ff ff 7f 01 00 00 00 00 00 00 00 01 00 00 00 00"),
    "uuid vector": h("13 01 ff ff ff 7f 01 00 00 00") + b"\0" * 16,
    "table rows": h("00 06 ff ff ff 7f 01 00 00 00 00 61 00 04 01 ff ff ff 7f 01 00 00 00 00 00"),
    "table cols": h("00 06 01 00 00 00 ff ff ff 7f 00 61 00 62 00"),
    "matrix": h("04 03 00 04 03 ff ff ff 7f ff ff ff 7f 01 00 00 00"),
    "array rows": h("44 01 ff ff ff 7f ff ff ff 7f ff ff 04 00") + b"\xff" * 64,
    "compressed count": h("1a 01 20 00 00 00 01 00 00 00 00 01 ff 01 04 04 00 00 00 00 00 00 ff ff ff 7f ff ff ff ff "
                          "08 00 00 00 00 01 02 03 04 05 06 07"),
    "compressed byteSize": h("1a 01 ff ff ff 7f 01 00 00 00 00 01 ff 01 04 04 00 00 00 00 00 00 03 00 00 00 ff ff ff ff "
                             "ff ff ff 0f 00"),
}


@pytest.mark.parametrize("raw", list(ABSURD.values()), ids=list(ABSURD))
def test_absurd_counts_fail_fast_without_big_allocations(raw):
    for decode_fn in (decode_bytes, decode_stream):
        tracemalloc.start()
        t0 = time.perf_counter()
        try:
            with pytest.raises((CodecError, EOFError)):
                decode_fn(raw)
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        assert peak < 16 << 20, peak
        assert time.perf_counter() - t0 < 2


COMPRESSED_INT = h("1a 01 25 00 00 00 01 00 00 00 00 01 ff 01 04 04 00 00 00 00 00 00 03 00 00 00 ff ff ff ff "
                   "0d 00 00 00 c0 01 00 00 00 02 00 00 00 03 00 00 00")
DELTA_INT = h("1a 01 30 00 00 00 01 00 00 00 00 01 ff 02 04 04 00 00 00 00 00 00 03 00 00 00 ff ff ff ff 18 00 00 00 "
              "00 00 00 40 01 00 00 80 ff ff ff ff ff ff 7f 9f 00 00 00 00 00 00 80 ff")


def _patch(raw: bytes, offset: int, new: bytes) -> bytes:
    return raw[:offset] + new + raw[offset + len(new):]


BAD = {
    "negative rows": (h("04 01 ff ff ff ff 01 00 00 00"), "negative"),
    "negative cols": (h("04 01 01 00 00 00 fe ff ff ff"), "negative"),
    "negative blob": (h("20 00 ff ff ff ff"), "negative"),
    "negative chunk": (h("00 08 ff ff"), "negative"),
    "symbol index high": (h("91 01 01 00 00 00 01 00 00 00 00 00 00 00 01 00 00 00 00 05 00 00 00"), "symbol index 5"),
    "symbol index negative": (h("91 01 01 00 00 00 01 00 00 00 00 00 00 00 01 00 00 00 00 ff ff ff ff"), "symbol index -1"),
    "unknown form": (h("04 0c"), "form 12"),
    "sysobj form": (h("04 09"), "form 9"),
    "unknown scalar type": (h("2c 00 00"), "type 44"),
    "unknown vector type": (h("28 01 01 00 00 00 01 00 00 00"), "type 40"),
    "legacy decimal": (h("21 00 00"), "type 33"),
    "decimal scale": (h("25 00 0a 00 00 00 00 00 00 00"), "scale 10"),
    "decimal vector scale": (h("26 01 00 00 00 00 01 00 00 00 ff ff ff ff"), "scale -1"),
    "pair of three": (h("04 02 03 00 00 00 01 00 00 00") + b"\0" * 12, "pair"),
    "matrix flags": (h("04 03 04"), "label flags"),
    "matrix data form": (h("04 03 00 04 01 01 00 00 00 01 00 00 00 00 00 00 00"), "got 1"),
    "matrix label count": (h("04 03 01 04 01 01 00 00 00 01 00 00 00 00 00 00 00 04 03 02 00 00 00 01 00 00 00") + b"\0" * 8, "row labels"),
    "dictionary lengths": (h("04 05 04 01 01 00 00 00 01 00 00 00 00 00 00 00 04 01 00 00 00 00 01 00 00 00"), "keys"),
    "dictionary of scalars": (h("04 05 04 00 01 00 00 00"), "expected a vector"),
    "set of a scalar": (h("04 04 04 00 01 00 00 00"), "expected a vector"),
    "table column form": (h("00 06 01 00 00 00 01 00 00 00 00 61 00 04 00 01 00 00 00"), "form 0"),
    "table column rows": (h("00 06 02 00 00 00 01 00 00 00 00 61 00 04 01 01 00 00 00 01 00 00 00 01 00 00 00"), "1 rows, expected 2"),
    "table duplicate names": (h("00 06 01 00 00 00 02 00 00 00 00 61 00 61 00 04 01 01 00 00 00 01 00 00 00 01 00 00 00 "
                                "04 01 01 00 00 00 01 00 00 00 01 00 00 00"), "duplicate"),
    "array block of zero rows": (h("44 01 01 00 00 00 01 00 00 00 00 00 01 00"), "0 rows"),
    "array count width 3": (h("44 01 01 00 00 00 01 00 00 00 01 00 03 00 01 00 00 01 00 00 00"), "count width 3"),
    "array blocks overrun rows": (h("44 01 01 00 00 00 01 00 00 00 02 00 01 00 00 00"), "more than 1 rows"),
    "array of any": (h("59 01 01 00 00 00 01 00 00 00"), "array vector type 89"),
    "lz4 method 7": (_patch(COMPRESSED_INT, 13, b"\x07"), "Invalid compression method 7"),
    "lz4 corrupt block": (_patch(COMPRESSED_INT, 34, b"\xff\xff\xff\xff\xff"), "LZ4"),
    "lz4 block overruns byteSize": (_patch(COMPRESSED_INT, 30, b"\x0e"), "overruns"),
    "lz4 LSN block": (_patch(COMPRESSED_INT, 30, b"\x0d\x00\x00\x80"), "LSN"),
    "lz4 byteSize too small": (_patch(COMPRESSED_INT, 2, b"\x13\x00\x00\x00"), "byteSize"),
    "lz4 big-endian": (_patch(COMPRESSED_INT, 11, b"\x00"), "big-endian"),
    "lz4 unit length": (_patch(COMPRESSED_INT, 15, b"\x08"), "unitLength 8"),
    "lz4 more than the count": (_patch(COMPRESSED_INT, 22, b"\x02"), "more than 8 bytes"),
    "lz4 fewer than the count": (_patch(COMPRESSED_INT, 22, b"\x04"), "truncated"),
    "compressed negative count": (_patch(COMPRESSED_INT, 22, b"\xff\xff\xff\xff"), "negative"),
    "compressed nested": (_patch(COMPRESSED_INT, 14, b"\x1a"), "nested"),
    "delta unit 3": (_patch(_patch(DELTA_INT, 15, b"\x03"), 14, b"\x12"), "unit length"),
    "delta odd block": (_patch(_patch(DELTA_INT, 2, b"\x2f"), 30, b"\x17")[:-1], "whole number"),
    "delta no end marker": (_patch(_patch(DELTA_INT, 22, b"\xe8\x03"), 42, b"\x00" * 16), "no end marker"),
    "delta too few values": (_patch(DELTA_INT, 22, b"\x05"), "expected 5"),
    "delta too many blocks": (DELTA_INT[:2] + struct.pack("<i", 20 + 2 * 28) + DELTA_INT[6:22] + struct.pack("<i", 3)
                              + DELTA_INT[26:30] + DELTA_INT[30:] + DELTA_INT[30:], "more blocks"),
    "delta oversized block": (DELTA_INT[:2] + struct.pack("<i", 20 + 4 + 300_000) + DELTA_INT[6:30] + struct.pack("<i", 300_000)
                              + b"\0" * 300_000, "larger than any valid block"),
}


@pytest.mark.parametrize("raw,message", list(BAD.values()), ids=list(BAD))
def test_malformed_objects(raw, message):
    with pytest.raises(CodecError, match=re.escape(message)):
        decode_bytes(raw)
    with pytest.raises((CodecError, EOFError)):
        decode_stream(raw)


def test_nesting_deeper_than_100_levels():
    raw = h("19 01 01 00 00 00 01 00 00 00") * 101 + h("04 00 01 00 00 00")
    with pytest.raises(CodecError, match="nested deeper than 100"):
        decode_bytes(raw)
    ok = h("19 01 01 00 00 00 01 00 00 00") * 99 + h("04 00 01 00 00 00")
    assert decode_bytes(ok).type == ANY
    deep = Scalar(INT, 1)
    for _ in range(102):
        deep = Vector(ANY, [deep])
    with pytest.raises(CodecError, match="nested deeper"):
        encode(deep)


def test_string_length_cap(monkeypatch):
    monkeypatch.setattr(codec, "MAX_STRING", 10)
    raw = encode(Vector(STRING, strings("short", "x" * 11)))
    with pytest.raises(CodecError, match="longer than 10"):
        decode_bytes(raw)
    with pytest.raises(CodecError, match="too long"):
        decode_stream(raw)
    with pytest.raises(CodecError, match="longer than 10"):
        decode_bytes(encode(Scalar(STRING, "y" * 20)))
    monkeypatch.setattr(codec, "MAX_BLOB", 4)
    with pytest.raises(CodecError, match="BLOB of 5 bytes"):
        decode_bytes(encode(Scalar(BLOB, b"12345")))


def test_unencodable_values_raise_codec_errors():
    with pytest.raises(CodecError, match="NUL"):
        encode(Scalar(STRING, "a\0b"))
    with pytest.raises(CodecError, match="NUL"):
        encode(Vector(STRING, strings("ok", "a\0b")))
    with pytest.raises(CodecError, match="NUL"):
        encode(Table({"a\0": Vector(INT, np.zeros(1, np.int32))}))
    with pytest.raises(CodecError, match="rows"):
        encode(Table({"a": Vector(INT, np.zeros(1, np.int32)), "b": Vector(INT, np.zeros(2, np.int32))}))
    with pytest.raises(CodecError, match="scale"):
        encode(Scalar(DECIMAL32, 1, 12))
    with pytest.raises(CodecError, match="cannot serialize"):
        encode(Scalar(ANY, None))
    with pytest.raises(CodecError, match="cannot serialize"):
        encode(Opaque(9, 0, b""))
    with pytest.raises(CodecError):
        encode(Scalar(INT, 1 << 40))
    with pytest.raises(CodecError, match="out of range"):
        encode(Vector(INT, np.array([1 << 40], np.int64)))
    assert decode_bytes(encode(Vector(INT, np.array([1, -2], np.int64)))).data.tolist() == [1, -2]
    with pytest.raises(CodecError, match="cannot be compressed"):
        compressed_column(Vector(SYMBOL, strings("a")), None)


@pytest.mark.parametrize("value", ROUND_TRIP[8:], ids=lambda v: type(v).__name__)
def test_truncation_at_every_offset_is_a_codec_error(value):
    raw = encode(value)
    for cut in range(0, min(len(raw), 300)):
        with pytest.raises((CodecError, EOFError)):
            decode_bytes(raw[:cut])


@pytest.mark.parametrize("raw", [
    h("04 01 ff ff ff ff 01 00 00 00"),                                   # negative rows
    h("91 01 01 00 00 00 01 00 00 00 00 00 00 00 01 00 00 00 00 05 00 00 00"),   # symbol index 5 of 1
    h("04 0c"),                                                            # unknown form
    h("2c 00 00"),                                                         # unknown scalar type
    h("1a 01 25 00 00 00 01 00 00 00 00 01 ff 07 04 04 00 00 00 00 00 00 03 00 00 00 ff ff ff ff 0d 00 00 00 c0 01 00 00 00 02 00 00 00 03 00 00 00"),
    h("1a 01 25 00 00 00 01 00 00 00 00 01 ff 01 04 04 00 00 00 00 00 00 03 00 00 00 ff ff ff ff 0d 00 00 00 ff ff ff ff ff ff ff ff ff ff ff ff ff"),
    b"\x19\x01" + (1).to_bytes(4, "little") + (1).to_bytes(4, "little") + b"\x19\x01\x01\x00\x00\x00\x01\x00\x00\x00" * 200,
])
def test_malformed_input_is_a_codec_error(raw):
    with pytest.raises(CodecError):
        decode_bytes(raw)
