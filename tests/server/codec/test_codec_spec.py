"""The embedded server's codec against PROTOCOL.md §1-§7: every object hex example decodes to its
documented values and, where the format is deterministic, re-encodes to the same bytes; compressed
examples re-encode with their method; pickle and Arrow payloads are refused by name."""
from __future__ import annotations

import struct

import numpy as np
import pytest
from dolphindb.server.wire import compression
from dolphindb.server.wire.codec import BytesReader, CodecError, decode, decode_bytes, encode
from dolphindb.server.model.values import (ANY, ARRAY_BASE, BLOB, BOOL, CHAR, CODE, DATE, DATEHOUR, DECIMAL32, DECIMAL64,
                                     DECIMAL128, DOUBLE, FLOAT, FUNCTIONDEF, INT, INT128, IPADDR, LONG, MATRIX,
                                     NANOTIMESTAMP, PAIR, SET, SHORT, STRING, SYMBOL, TIMESTAMP, UUID, VOID,
                                     ArrayVector, Vector)
from support.codec_checks import (DOUBLE_NULL, INT_NULL, LONG_NULL, assert_same, compressed_column, decode_stream, h, lz4_payload,
                                  strings, vals)


SPEC = [  # (id, hex, check, re-encodes identically)
    # §1.2 / §4.1 replies
    ("login-true", "01 00 01", lambda v: (v.type, v.value) == (BOOL, 1), True),
    ("int-2", "04 00 02 00 00 00", lambda v: (v.type, v.value) == (INT, 2), True),
    # §5.4 scalars
    ("bool-null", "01 00 80", lambda v: v.type == BOOL and v.value is None, True),
    ("char-minus1", "02 00 ff", lambda v: (v.type, v.value) == (CHAR, -1), True),
    ("short-null", "03 00 00 80", lambda v: v.type == SHORT and v.value is None, True),
    ("int-null", "04 00 00 00 00 80", lambda v: v.type == INT and v.value is None, True),
    ("long-1", "05 00 01 00 00 00 00 00 00 00", lambda v: (v.type, v.value) == (LONG, 1), True),
    ("float-null", "0f 00 ff ff 7f ff", lambda v: v.type == FLOAT and v.value is None, True),
    ("double-null", "10 00 ff ff ff ff ff ff ef ff", lambda v: v.type == DOUBLE and v.value is None, True),
    ("date", "06 00 0b 4d 00 00", lambda v: (v.type, v.value) == (DATE, 19723), True),
    ("timestamp", "0c 00 7b f4 51 c2 8c 01 00 00", lambda v: (v.type, v.value) == (TIMESTAMP, 1704067200123), True),
    ("datehour", "1c 00 08 39 07 00", lambda v: (v.type, v.value) == (DATEHOUR, 473352), True),
    ("string-hi", "12 00 68 69 00", lambda v: (v.type, v.value) == (STRING, "hi"), True),
    ("symbol-abc", "11 00 61 62 63 00", lambda v: (v.type, v.value) == (SYMBOL, "abc"), True),
    ("blob", "20 00 03 00 00 00 61 00 62", lambda v: (v.type, v.value) == (BLOB, b"a\0b"), True),
    ("void-none", "00 00 00", lambda v: (v.type, v.value, v.scale) == (VOID, None, 0), True),
    ("void-null", "00 00 01", lambda v: (v.type, v.value, v.scale) == (VOID, None, 1), True),
    ("uuid", "13 00 87 ee 73 14 d9 b4 35 42 b1 e3 48 cc 78 2a 21 5d",
     lambda v: (v.type, v.value) == (UUID, 0x5d212a78cc48e3b14235b4d91473ee87), True),
    ("int128", "1f 00 32 ec 41 e8 45 0b 38 63 f7 15 2e c5 97 17 67 e1",
     lambda v: (v.type, v.value) == (INT128, 0xe1671797c52e15f763380b45e841ec32), True),
    ("ipaddr", "1e 00 04 03 02 01 00 00 00 00 00 00 00 00 00 00 00 00",
     lambda v: (v.type, v.value) == (IPADDR, 0x01020304), True),
    ("decimal32", "25 00 02 00 00 00 39 30 00 00", lambda v: (v.type, v.value, v.scale) == (DECIMAL32, 12345, 2), True),
    ("decimal64", "26 00 04 00 00 00 c7 cf ff ff ff ff ff ff",
     lambda v: (v.type, v.value, v.scale) == (DECIMAL64, -12345, 4), True),
    ("decimal128", "27 00 03 00 00 00 39 30 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
     lambda v: (v.type, v.value, v.scale) == (DECIMAL128, 12345, 3), True),
    ("decimal-py", "26 00 02 00 00 00 7b 00 00 00 00 00 00 00",
     lambda v: (v.type, v.value, v.scale) == (DECIMAL64, 123, 2), True),
    ("functiondef", "14 00 00 66 00", lambda v: (v.type, v.value, v.scale) == (FUNCTIONDEF, "f", 0), True),
    ("code", "16 00 3c 31 2b 32 3e 00", lambda v: (v.type, v.value) == (CODE, "<1+2>"), True),
    # §3 arguments
    ("arg-long-2", "05 00 02 00 00 00 00 00 00 00", lambda v: (v.type, v.value) == (LONG, 2), True),
    ("arg-long-5", "05 00 05 00 00 00 00 00 00 00", lambda v: (v.type, v.value) == (LONG, 5), True),
    ("arg-int-vec", "04 01 03 00 00 00 01 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00",
     lambda v: v.type == INT and vals(v) == [1, 2, 3], True),
    ("arg-str-vec", "12 01 02 00 00 00 01 00 00 00 78 00 79 00", lambda v: vals(v) == ["x", "y"], True),
    # §5.5 vectors
    ("int-vec-null", "04 01 03 00 00 00 01 00 00 00 01 00 00 00 02 00 00 00 00 00 00 80",
     lambda v: v.type == INT and vals(v) == [1, 2, INT_NULL], True),
    ("str-vec", "12 01 03 00 00 00 01 00 00 00 78 00 00 79 7a 00", lambda v: vals(v) == ["x", "", "yz"], True),
    ("blob-vec", "20 01 02 00 00 00 01 00 00 00 02 00 00 00 68 69 00 00 00 00", lambda v: vals(v) == [b"hi", b""], True),
    ("dec32-vec", "25 01 02 00 00 00 01 00 00 00 02 00 00 00 39 30 00 00 00 00 00 80",
     lambda v: v.type == DECIMAL32 and v.scale == 2 and vals(v) == [12345, INT_NULL], True),
    # §5.6 symbols
    ("symbol-vec", ("91 01 04 00 00 00 01 00 00 00 | 00 00 00 00 03 00 00 00 00 41 00 42 00 | "
                   "01 00 00 00 02 00 00 00 01 00 00 00 00 00 00 00"),
     lambda v: v.type == SYMBOL and vals(v) == ["A", "B", "A", ""], True),
    ("symbol-upload", "91 01 03 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 00 41 00 42 00 01 00 00 00 02 00 00 00 01 00 00 00",
     lambda v: vals(v) == ["A", "B", "A"], True),
    ("symbol-table-shared", ("00 06 02 00 00 00 02 00 00 00 00 73 31 00 73 32 00 "
                            "91 01 02 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 00 41 00 42 00 01 00 00 00 02 00 00 00 "
                            "91 01 02 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 02 00 00 00 01 00 00 00"),
     lambda v: vals(v.columns["s1"]) == ["A", "B"] and vals(v.columns["s2"]) == ["B", "A"], True),
    # §5.7 array vectors
    ("int-array", "44 01 03 00 00 00 03 00 00 00 | 03 00 01 00 | 02 00 01 | 01 00 00 00 02 00 00 00 03 00 00 00",
     lambda v: v.type == ARRAY_BASE + INT and v.offsets.tolist() == [0, 2, 2, 3] and vals(v.values) == [1, 2, 3], True),
    ("int-array-upload", "44 01 02 00 00 00 03 00 00 00 02 00 01 00 02 01 01 00 00 00 02 00 00 00 03 00 00 00",
     lambda v: v.offsets.tolist() == [0, 2, 3] and vals(v.values) == [1, 2, 3], True),
    # §5.8-§5.11
    ("pair", "04 02 02 00 00 00 01 00 00 00 01 00 00 00 05 00 00 00", lambda v: v.form == PAIR and vals(v) == [1, 5], True),
    ("matrix-labels", ("04 03 02 | 12 01 02 00 00 00 01 00 00 00 63 31 00 63 32 00 | "
                      "04 03 02 00 00 00 02 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 04 00 00 00"),
     lambda v: v.data.tolist() == [[1, 3], [2, 4]] and v.row_labels is None and vals(v.col_labels) == ["c1", "c2"], True),
    ("matrix-numpy", "04 03 00 04 03 02 00 00 00 02 00 00 00 01 00 00 00 03 00 00 00 02 00 00 00 04 00 00 00",
     lambda v: v.data.tolist() == [[1, 2], [3, 4]], True),
    ("set", "04 04 | 04 01 02 00 00 00 01 00 00 00 03 00 00 00 01 00 00 00",
     lambda v: v.form == SET and v.type == INT and vals(v) == [3, 1], True),
    ("dict-mixed", ("19 05 | 12 01 02 00 00 00 01 00 00 00 61 00 62 00 | "
                   "19 01 02 00 00 00 01 00 00 00 04 00 01 00 00 00 12 00 73 00"),
     lambda v: vals(v.keys) == ["a", "b"] and v.values.type == ANY and v.values.data[0].value == 1
     and v.values.data[1].value == "s", True),
    ("dict-upload", "05 05 | 12 01 01 00 00 00 01 00 00 00 61 00 | 05 01 01 00 00 00 01 00 00 00 01 00 00 00 00 00 00 00",
     lambda v: vals(v.keys) == ["a"] and v.values.type == LONG and vals(v.values) == [1], True),
    # §5.12 tables
    ("table-t", ("00 06 02 00 00 00 02 00 00 00 74 00 69 64 00 73 00 "
                "04 01 02 00 00 00 01 00 00 00 01 00 00 00 02 00 00 00 "
                "91 01 02 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 00 41 00 42 00 01 00 00 00 02 00 00 00"),
     lambda v: v.name == "t" and vals(v.columns["id"]) == [1, 2] and vals(v.columns["s"]) == ["A", "B"], True),
    ("table-df", ("00 06 03 00 00 00 03 00 00 00 00 69 00 64 00 73 00 "
                 "04 01 03 00 00 00 01 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 "
                 "10 01 03 00 00 00 01 00 00 00 00 00 00 00 00 00 f8 3f ff ff ff ff ff ff ef ff 00 00 00 00 00 00 08 40 "
                 "12 01 03 00 00 00 01 00 00 00 61 00 62 62 00 00"),
     lambda v: vals(v.columns["i"]) == [1, 2, 3] and v.columns["d"].data[0] == 1.5
     and v.columns["d"].data[1] == DOUBLE_NULL and vals(v.columns["s"]) == ["a", "bb", ""], True),
    # §5.13 ANY
    ("any", "19 01 02 00 00 00 01 00 00 00 | 04 00 09 00 00 00 | 12 01 01 00 00 00 01 00 00 00 71 00",
     lambda v: v.type == ANY and v.data[0].value == 9 and vals(v.data[1]) == ["q"], True),
    ("any-upload", "19 01 02 00 00 00 01 00 00 00 05 00 01 00 00 00 00 00 00 00 12 00 61 00",
     lambda v: [x.value for x in v.data] == [1, "a"], True),
    # §4.6 paged table
    ("fetch-blocks", ("19 01 02 00 00 00 01 00 00 00 "
                     "00 06 01 00 00 00 01 00 00 00 00 61 00 04 01 01 00 00 00 01 00 00 00 01 00 00 00 "
                     "00 06 01 00 00 00 01 00 00 00 00 61 00 04 01 01 00 00 00 01 00 00 00 02 00 00 00"),
     lambda v: [vals(t.columns["a"]) for t in v.data] == [[1], [2]], True),
    # §6.3 / §6.4 compressed vectors (re-encoding gives plain vectors; see the next test)
    ("lz4-int", ("1a 01 25 00 00 00 01 00 00 00 00 01 ff 01 04 04 00 00 00 00 00 00 03 00 00 00 ff ff ff ff "
                "0d 00 00 00 c0 01 00 00 00 02 00 00 00 03 00 00 00"), lambda v: v.type == INT and vals(v) == [1, 2, 3], False),
    ("lz4-string", ("1a 01 21 00 00 00 01 00 00 00 00 01 ff 01 12 00 00 00 00 00 00 00 03 00 00 00 ff ff ff ff "
                   "09 00 00 00 80 61 62 00 00 63 64 65 00"), lambda v: v.type == STRING and vals(v) == ["ab", "", "cde"], False),
    ("delta-int", ("1a 01 30 00 00 00 01 00 00 00 00 01 ff 02 04 04 00 00 00 00 00 00 03 00 00 00 ff ff ff ff 18 00 00 00 "
                  "00 00 00 40 01 00 00 80 ff ff ff ff ff ff 7f 9f 00 00 00 00 00 00 80 ff"),
     lambda v: v.type == INT and vals(v) == [1, 2, 3], False),
    ("delta-int-null", ("1a 01 30 00 00 00 01 00 00 00 00 01 ff 02 04 04 00 00 00 00 00 00 05 00 00 00 ff ff ff ff 18 00 00 00 "
                       "00 00 00 40 01 00 00 80 ff ff ff ff 3e c0 3f a0 00 00 00 00 ff ff ff ff"),
     lambda v: vals(v) == [1, 2, 4, INT_NULL, 5], False),
]


@pytest.mark.parametrize("hexstr,check,reencodes", [pytest.param(x, c, r, id=i) for i, x, c, r in SPEC])
def test_protocol_examples(hexstr, check, reencodes):
    raw = h(hexstr)
    v = decode_bytes(raw)
    assert check(v)
    assert check(decode_stream(raw))
    if reencodes:
        assert encode(v) == raw
    else:
        assert decode_bytes(encode(v)).__class__ is v.__class__


def test_protocol_login_arguments_are_three_objects():
    raw = h("12 00 61 64 6d 69 6e 00 | 12 00 31 32 33 34 35 36 00 | 01 00 00")
    r = BytesReader(raw)
    vals = [decode(r) for _ in range(3)]
    assert [(v.type, v.value) for v in vals] == [(STRING, "admin"), (STRING, "123456"), (BOOL, 0)]
    assert r.remaining() == 0 and b"".join(encode(v) for v in vals) == raw

def test_protocol_compressed_examples_reencode_with_the_same_method():
    assert compressed_column(Vector(INT, np.array([1, 2, 3], np.int32)), compression.LZ4) == h(
        "1a 01 25 00 00 00 01 00 00 00 00 01 ff 01 04 04 00 00 00 00 00 00 03 00 00 00 ff ff ff ff "
        "0d 00 00 00 c0 01 00 00 00 02 00 00 00 03 00 00 00")
    assert compressed_column(Vector(INT, np.array([1, 2, 3], np.int32)), compression.DELTA) == h(
        "1a 01 30 00 00 00 01 00 00 00 00 01 ff 02 04 04 00 00 00 00 00 00 03 00 00 00 ff ff ff ff 18 00 00 00 "
        "00 00 00 40 01 00 00 80 ff ff ff ff ff ff 7f 9f 00 00 00 00 00 00 80 ff")
    assert compressed_column(Vector(INT, np.array([1, 2, 4, INT_NULL, 5], np.int32)), compression.DELTA)[-28:] == h(
        "18 00 00 00 00 00 00 40 01 00 00 80 ff ff ff ff 3e c0 3f a0 00 00 00 00 ff ff ff ff")
    # the default picks the smaller: a 13-byte LZ4 block beats 24 delta bytes for 3 values,
    # delta wins for a long regular run
    assert compressed_column(Vector(INT, np.array([1, 2, 3], np.int32)), None)[13] == compression.LZ4
    assert compressed_column(Vector(INT, np.arange(0, 3000, 3, dtype=np.int32)), None)[13] == compression.DELTA


def test_protocol_compressed_variants_of_section_6_5():
    # LZ4 DECIMAL32 with the scale only in `reserved`
    raw = compressed_column(Vector(DECIMAL32, np.array([12345, INT_NULL], np.int32), 2), compression.LZ4)
    hdr = compression.Header(raw[2:30])
    assert (hdr.method, hdr.data_type, hdr.unit_length, hdr.reserved, hdr.element_count) == (1, DECIMAL32, 4, 2, 2)
    v = decode_bytes(raw)
    assert (v.type, v.scale, vals(v)) == (DECIMAL32, 2, [12345, INT_NULL])
    # LZ4 INT[] whose payload is the §5.7 block stream, extra = total values
    av = ArrayVector(ARRAY_BASE + INT, np.array([0, 2, 2, 3]), Vector(INT, np.array([1, 2, 3], np.int32)))
    raw = compressed_column(av, compression.LZ4)
    hdr = compression.Header(raw[2:30])
    assert (hdr.data_type, hdr.extra, hdr.element_count, hdr.col_count) == (ARRAY_BASE + INT, 3, 3, 1)
    assert lz4_payload(raw) == h("03 00 01 00 02 00 01 01 00 00 00 02 00 00 00 03 00 00 00")
    assert_same(decode_bytes(raw), av)
    # delta-of-delta DECIMAL64 (scale in reserved) and SHORT [5, NULL, 7, 9]
    d64 = Vector(DECIMAL64, np.array([100, 200, LONG_NULL, 400], np.int64), 4)
    raw = compressed_column(d64, compression.DELTA)
    assert compression.Header(raw[2:30]).reserved == 4
    assert_same(decode_bytes(raw), d64)
    sh = Vector(SHORT, np.array([5, -32768, 7, 9], np.int16))
    raw = compressed_column(sh, compression.DELTA)
    assert compression.Header(raw[2:30]).unit_length == 2
    assert_same(decode_bytes(raw), sh)
    # STRING: unitLength -1 as the official client writes it
    raw = compressed_column(Vector(STRING, strings("n0", "n1", "")), compression.LZ4)
    assert raw[15] == 0xFF

def test_protocol_table_with_compressed_and_plain_columns():
    col_a = compressed_column(Vector(INT, np.array([1, 2], np.int32)), compression.LZ4)
    col_b = encode(Vector(DOUBLE, np.array([0.5, DOUBLE_NULL])))
    for table_type in (0, 8):
        raw = bytes([table_type, 6]) + h("02 00 00 00 02 00 00 00 00 61 00 62 00") + col_a + col_b
        t = decode_bytes(raw)
        assert t.type == table_type
        assert vals(t.columns["a"]) == [1, 2]
        assert t.columns["b"].data[0] == 0.5 and t.columns["b"].data[1] == DOUBLE_NULL


def test_protocol_pickle_and_arrow_payloads_are_rejected_by_name():
    """Form 0x26 is an Arrow table upload (the official client's pyarrow.Table under ARROW);
    anything else with 0x20 in the form byte is a reply-only payload."""
    pickle = h("80 04 5d 28 f1 8c 00 8c 01 41 8c 01 42 42 0c 00 00 00 01 00 00 00 02 00 00 00 01 00 00 00 65 2e")
    with pytest.raises(CodecError, match="PICKLE/ARROW"):
        decode_bytes(h("00 23") + pickle)                      # a pickled matrix
    with pytest.raises(CodecError, match="malformed Arrow upload: not an Arrow IPC stream"):
        decode_bytes(h("00 26") + pickle)                      # a table form whose stream is not Arrow
    with pytest.raises(CodecError, match="exceeds the"):
        decode_bytes(h("00 26 ff ff ff ff ff ff ff 7f"))        # a 2 GiB message header
    with pytest.raises(CodecError, match="truncated"):
        decode_bytes(h("00 26 ff ff ff ff a8 00 00 00 10 00 00 00"))

def test_compressed_vectors_anywhere():
    lz4_int = compressed_column(Vector(INT, np.array([1, 2, 3], np.int32)), compression.LZ4)
    delta_ts = compressed_column(Vector(TIMESTAMP, np.arange(10, dtype=np.int64) * 1000), compression.DELTA)
    lz4_str = compressed_column(Vector(STRING, strings("a", "b", "c")), compression.LZ4)
    v = decode_bytes(h("19 01 02 00 00 00 01 00 00 00") + lz4_int + delta_ts)           # ANY elements
    assert vals(v.data[0]) == [1, 2, 3] and vals(v.data[1]) == list(range(0, 10000, 1000))
    d = decode_bytes(h("04 05") + lz4_str + lz4_int)                                     # dictionary keys/values
    assert vals(d.keys) == ["a", "b", "c"] and vals(d.values) == [1, 2, 3]
    s = decode_bytes(h("04 04") + lz4_int)                                               # set keys
    assert s.form == SET and vals(s) == [1, 2, 3]
    p = decode_bytes(compressed_column(Vector(INT, np.array([4, 5], np.int32)), compression.LZ4))
    assert vals(p) == [4, 5]


def test_protocol_compressed_table_example_of_section_6_5():
    # what the client sends for DataFrame(i=[0..4], ts=5 NANOTIMESTAMPs) with compress=True and no
    # per-column method: table type 8, ordinary columns
    first_ts = struct.unpack("<q", h("00 00 65 01 17 10 a6 17"))[0]
    ts = [first_ts + k * 1_000_000 for k in range(5)]
    raw = (h("08 06 05 00 00 00 02 00 00 00 00 69 00 74 73 00")
           + h("04 01 05 00 00 00 01 00 00 00 00 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 04 00 00 00")
           + h("0e 01 05 00 00 00 01 00 00 00") + struct.pack("<5q", *ts))
    t = decode_bytes(raw)
    assert t.type == 8 and vals(t.columns["i"]) == [0, 1, 2, 3, 4] and vals(t.columns["ts"]) == ts
    assert t.columns["ts"].type == NANOTIMESTAMP
    assert encode(t) == raw                          # the table-type byte survives a plain re-encode
    assert decode_bytes(encode(t, compress=True)).type == 8


DECODE_EXAMPLES = [  # (hex from PROTOCOL.md, check)
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


@pytest.mark.parametrize("hexstr,check", DECODE_EXAMPLES)
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
