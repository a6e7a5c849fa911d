"""The server's pure-Python codec against PROTOCOL.md's examples and the official captures."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dolphindb.server.wire import codec
from dolphindb.server.errors import CodecError
from dolphindb.server.wire.codec import decode_bytes, encode
from dolphindb.server.model.values import (ANY, ARRAY_BASE, BLOB, BOOL, DATE, DECIMAL32, DECIMAL64, DECIMAL128,
                                           DOUBLE, FLOAT, INT, INT128, IPADDR, LONG, MATRIX, PAIR, SET, STRING,
                                           SYMBOL, TIMESTAMP, UUID, VOID, ArrayVector, Dictionary, Matrix, Scalar,
                                           Table, Vector)

CAPTURES = Path(__file__).resolve().parents[1] / "data" / "captures"


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", "").replace("|", ""))


SPEC = [  # (hex from PROTOCOL.md, check)
    ("01 00 01", lambda v: v.type == BOOL and v.value == 1),
    ("01 00 80", lambda v: v.type == BOOL and v.value is None),
    ("04 00 00 00 00 80", lambda v: v.type == INT and v.value is None),
    ("0f 00 ff ff 7f ff", lambda v: v.type == FLOAT and v.value is None),
    ("10 00 ff ff ff ff ff ff ef ff", lambda v: v.type == DOUBLE and v.value is None),
    ("06 00 0b 4d 00 00", lambda v: v.type == DATE and v.value == 19723),
    ("0c 00 7b f4 51 c2 8c 01 00 00", lambda v: v.type == TIMESTAMP and v.value == 1704067200123),
    ("12 00 68 69 00", lambda v: v.type == STRING and v.value == "hi"),
    ("20 00 03 00 00 00 61 00 62", lambda v: v.type == BLOB and v.value == b"a\0b"),
    ("13 00 87 ee 73 14 d9 b4 35 42 b1 e3 48 cc 78 2a 21 5d",
     lambda v: v.type == UUID and v.value == int("5d212a78cc48e3b14235b4d91473ee87", 16)),
    ("1f 00 32 ec 41 e8 45 0b 38 63 f7 15 2e c5 97 17 67 e1",
     lambda v: v.type == INT128 and v.value == int("e1671797c52e15f763380b45e841ec32", 16)),
    ("1e 00 04 03 02 01 00 00 00 00 00 00 00 00 00 00 00 00", lambda v: v.type == IPADDR and v.value == 0x01020304),
    ("25 00 02 00 00 00 39 30 00 00", lambda v: v.type == DECIMAL32 and (v.value, v.scale) == (12345, 2)),
    ("26 00 04 00 00 00 c7 cf ff ff ff ff ff ff", lambda v: v.type == DECIMAL64 and (v.value, v.scale) == (-12345, 4)),
    ("27 00 03 00 00 00 39 30 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
     lambda v: v.type == DECIMAL128 and (v.value, v.scale) == (12345, 3)),
    ("04 01 03 00 00 00 01 00 00 00 01 00 00 00 02 00 00 00 00 00 00 80",
     lambda v: v.type == INT and v.data.tolist() == [1, 2, -2**31]),
    ("12 01 03 00 00 00 01 00 00 00 78 00 00 79 7a 00", lambda v: list(v.data) == ["x", "", "yz"]),
    ("20 01 02 00 00 00 01 00 00 00 02 00 00 00 68 69 00 00 00 00", lambda v: list(v.data) == [b"hi", b""]),
    ("25 01 02 00 00 00 01 00 00 00 02 00 00 00 39 30 00 00 00 00 00 80",
     lambda v: v.scale == 2 and v.data.tolist() == [12345, -2**31]),
    ("91 01 04 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 00 41 00 42 00 01 00 00 00 02 00 00 00 01 00 00 00 00 00 00 00",
     lambda v: v.type == SYMBOL and list(v.data) == ["A", "B", "A", ""]),
    ("44 01 03 00 00 00 03 00 00 00 03 00 01 00 02 00 01 01 00 00 00 02 00 00 00 03 00 00 00",
     lambda v: v.type == ARRAY_BASE + INT and v.offsets.tolist() == [0, 2, 2, 3] and v.values.data.tolist() == [1, 2, 3]),
    ("04 02 02 00 00 00 01 00 00 00 01 00 00 00 05 00 00 00", lambda v: v.form == PAIR and v.data.tolist() == [1, 5]),
    ("04 03 02 12 01 02 00 00 00 01 00 00 00 63 31 00 63 32 00 04 03 02 00 00 00 02 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 04 00 00 00",
     lambda v: v.form == MATRIX and v.data.tolist() == [[1, 3], [2, 4]] and list(v.col_labels.data) == ["c1", "c2"]),
    ("04 04 04 01 02 00 00 00 01 00 00 00 03 00 00 00 01 00 00 00", lambda v: v.form == SET and sorted(v.data.tolist()) == [1, 3]),
    ("19 05 12 01 02 00 00 00 01 00 00 00 61 00 62 00 19 01 02 00 00 00 01 00 00 00 04 00 01 00 00 00 12 00 73 00",
     lambda v: list(v.keys.data) == ["a", "b"] and v.values.data[0].value == 1 and v.values.data[1].value == "s"),
    ("19 01 02 00 00 00 01 00 00 00 04 00 09 00 00 00 12 01 01 00 00 00 01 00 00 00 71 00",
     lambda v: v.type == ANY and v.data[0].value == 9 and list(v.data[1].data) == ["q"]),
    ("00 06 02 00 00 00 02 00 00 00 74 00 69 64 00 73 00 04 01 02 00 00 00 01 00 00 00 01 00 00 00 02 00 00 00 "
     "91 01 02 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 00 41 00 42 00 01 00 00 00 02 00 00 00",
     lambda v: v.name == "t" and v.columns["id"].data.tolist() == [1, 2] and list(v.columns["s"].data) == ["A", "B"]),
    ("00 06 02 00 00 00 02 00 00 00 00 73 31 00 73 32 00 "
     "91 01 02 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 00 41 00 42 00 01 00 00 00 02 00 00 00 "
     "91 01 02 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 02 00 00 00 01 00 00 00",
     lambda v: list(v.columns["s1"].data) == ["A", "B"] and list(v.columns["s2"].data) == ["B", "A"]),
    ("1a 01 25 00 00 00 01 00 00 00 00 01 ff 01 04 04 00 00 00 00 00 00 03 00 00 00 ff ff ff ff "
     "0d 00 00 00 c0 01 00 00 00 02 00 00 00 03 00 00 00", lambda v: v.type == INT and v.data.tolist() == [1, 2, 3]),
    ("1a 01 30 00 00 00 01 00 00 00 00 01 ff 02 04 04 00 00 00 00 00 00 03 00 00 00 ff ff ff ff 18 00 00 00 "
     "00 00 00 40 01 00 00 80 ff ff ff ff ff ff 7f 9f 00 00 00 00 00 00 80 ff",
     lambda v: v.type == INT and v.data.tolist() == [1, 2, 3]),
]


@pytest.mark.parametrize("hexstr,check", SPEC)
def test_protocol_examples_decode_and_reencode(hexstr, check):
    raw = h(hexstr)
    v = decode_bytes(raw)
    assert check(v)
    if raw[:2] != b"\x1a\x01":      # compressed vectors re-encode as plain vectors
        assert encode(v) == raw


def test_fetch_size_block_stream_decodes():
    raw = h("19 01 02 00 00 00 01 00 00 00 "
            "00 06 01 00 00 00 01 00 00 00 00 61 00 04 01 01 00 00 00 01 00 00 00 01 00 00 00 "
            "00 06 01 00 00 00 01 00 00 00 00 61 00 04 01 01 00 00 00 01 00 00 00 02 00 00 00")
    v = decode_bytes(raw)
    assert [t.columns["a"].data.tolist() for t in v.data] == [[1], [2]]
    assert encode(v) == raw


def _captured_argument_streams():
    out = []
    for f in sorted(CAPTURES.glob("*/c*_req.bin")):
        raw = f.read_bytes()
        head, rest = raw.split(b"\n", 1)
        parts = head.split(b" ")
        length = int(parts[2])
        body, args = rest[:length], rest[length:]
        lines = body.split(b"\n")
        if lines[0] in (b"function", b"variable") and int(lines[2]) > 0:
            out.append(pytest.param(args, int(lines[2]), id=f"{f.parent.name}/{f.name}"))
    return out


@pytest.mark.parametrize("args,count", _captured_argument_streams())
def test_captured_request_arguments_decode_and_reencode_identically(args, count):
    r = codec.BytesReader(args)
    out = b""
    for _ in range(count):
        start = r.pos
        v = codec.decode(r)
        piece = args[start:r.pos]
        compressed_table = piece[:2] == b"\x08\x06"   # re-encodes as plain columns
        out += piece if compressed_table else encode(v)
    assert r.remaining() == 0
    assert out == args


def test_captured_upload_values():
    raw = (CAPTURES / "e_upload" / "c01_p28908_m04_req.bin").read_bytes()
    head, rest = raw.split(b"\n", 1)
    args = rest[int(head.split(b" ")[2]):]
    r = codec.BytesReader(args)
    t, v = codec.decode(r), codec.decode(r)
    assert t.columns["i"].data.tolist() == [1, 2]
    assert np.isnan(t.columns["d"].data[1]) and t.columns["d"].data[0] == 1.5
    assert list(t.columns["s"].data) == ["ab", "c"]
    assert t.columns["t"].type == TIMESTAMP
    assert v.data.tolist() == [1, 2, 3]


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


@pytest.mark.parametrize("value", ROUND_TRIP, ids=lambda v: type(v).__name__)
def test_round_trip_is_a_fixed_point(value):
    raw = encode(value)
    assert encode(decode_bytes(raw)) == raw


def test_compressed_tables_round_trip_with_both_methods():
    n = 70_000
    t = Table({
        "ts": Vector(TIMESTAMP, 1_700_000_000_000 + np.arange(n, dtype=np.int64) * 10),
        "px": Vector(DOUBLE, np.random.default_rng(1).random(n)),
        "q": Vector(INT, np.full(n, 7, np.int32)),
        "s": Vector(SYMBOL, np.array(["A", "B"] * (n // 2), object)),
    })
    raw = encode(t, compress=True)
    assert raw[:2] == b"\x08\x06"
    back = decode_bytes(raw)
    for name, col in t.columns.items():
        assert np.array_equal(back.columns[name].data, col.data)
    assert len(raw) < 0.6 * len(encode(t))   # timestamps and constants shrink; random doubles do not


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
