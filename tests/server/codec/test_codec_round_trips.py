"""Round trips through the embedded server's codec: every type x form, through the fast in-memory
reader and a minimal stream reader, symbol bases, million-row tables, rare forms, and the codec
standing alone (no C++ extension)."""
from __future__ import annotations

import os
import re
import struct

import numpy as np
import pytest
from dolphindb.server.wire import codec, compression
from dolphindb.server.wire.codec import BytesReader, CodecError, decode, decode_bytes, encode
from dolphindb.server.model.values import (ANY, ARRAY_BASE, BLOB, BOOL, CHAR, CHART, CHUNK, CODE, DATASOURCE, DATE,
                                     DATEHOUR, DATEMINUTE, DATETIME, DECIMAL32, DECIMAL64, DECIMAL128, DICTIONARY,
                                     DOUBLE, FLOAT, FUNCTIONDEF, HANDLE, INT, INT128, IPADDR, LONG, MATRIX, MINUTE,
                                     MONTH, NANOTIME, NANOTIMESTAMP, PAIR, RESOURCE, SCALAR, SECOND, SET, SHORT,
                                     STRING, SYMBOL, TABLE, TIME, TIMESTAMP, UUID, VECTOR, VOID, ArrayVector,
                                     Dictionary, Matrix, Opaque, Scalar, Table, Vector)
from support.codec_checks import (ALL_VECTOR_TYPES, ROUND_TRIP, assert_same, decode_stream, h, roundtrip, sample,
                                  seeded_rng, strings, vals)


@pytest.mark.parametrize("t", ALL_VECTOR_TYPES, ids=lambda t: codec.type_name(t))
@pytest.mark.parametrize("n", [0, 1, 7, 5000])
def test_vector_round_trips(t, n):
    roundtrip(sample(t, n))
    roundtrip(sample(t, n, nulls=False))


SCALAR_CASES = [
    Scalar(BOOL, 1), Scalar(BOOL, 0), Scalar(BOOL, None), Scalar(CHAR, -5), Scalar(SHORT, 300), Scalar(SHORT, None),
    Scalar(INT, -7), Scalar(INT, None), Scalar(LONG, 2 ** 62), Scalar(LONG, None), Scalar(DATE, 19723),
    Scalar(MONTH, 24288), Scalar(TIME, 1000), Scalar(MINUTE, 60), Scalar(SECOND, 59), Scalar(DATETIME, 1 << 30),
    Scalar(TIMESTAMP, 1704067200123), Scalar(NANOTIME, 10 ** 12), Scalar(NANOTIMESTAMP, 10 ** 18),
    Scalar(DATEHOUR, 473352), Scalar(DATEMINUTE, None), Scalar(FLOAT, 1.5), Scalar(FLOAT, None), Scalar(DOUBLE, -2.25),
    Scalar(DOUBLE, None), Scalar(STRING, "héllo 日本"), Scalar(STRING, ""), Scalar(SYMBOL, "IBM"), Scalar(BLOB, b"\0\xff"),
    Scalar(BLOB, b""), Scalar(UUID, 2 ** 127 + 5), Scalar(UUID, None), Scalar(IPADDR, 0x01020304), Scalar(INT128, None),
    Scalar(DECIMAL32, 12345, 2), Scalar(DECIMAL32, None, 9), Scalar(DECIMAL64, -12345, 18), Scalar(DECIMAL128, -(10 ** 37), 38),
    Scalar(DECIMAL128, None, 0), Scalar(VOID, None, 0), Scalar(VOID, None, 1), Scalar(FUNCTIONDEF, "def f(x){return x}", 1),
    Scalar(HANDLE, "h"), Scalar(CODE, "<1+2>"), Scalar(DATASOURCE, "ds"), Scalar(RESOURCE, "r"),
    Scalar(codec.DURATION, struct.pack("<ii", 5, 3)), Scalar(codec.COMPLEX, struct.pack("<dd", 1.0, -2.0)),
    Scalar(codec.POINT, struct.pack("<dd", 3.0, 4.0)),
]


@pytest.mark.parametrize("s", SCALAR_CASES, ids=lambda s: f"{codec.type_name(s.type)}={s.value!r}"[:40])
def test_scalar_round_trips(s):
    roundtrip(s)


def test_float_null_is_the_wire_sentinel_and_nan_is_a_value():
    null = -np.finfo(np.float64).max
    raw = encode(Vector(DOUBLE, np.array([null, np.nan, 1.0])))
    assert raw[10:18] == h("ff ff ff ff ff ff ef ff")
    back = decode_bytes(raw).data
    assert back[0] == null and np.isnan(back[1]) and back[2] == 1.0
    assert encode(Scalar(FLOAT, None)) == h("0f 00 ff ff 7f ff")
    assert decode_bytes(h("0f 00 ff ff 7f ff")).value is None
    assert np.isnan(decode_bytes(encode(Scalar(DOUBLE, float("nan")))).value)


@pytest.mark.parametrize("t", [t for t in ALL_VECTOR_TYPES if t != VOID], ids=lambda t: codec.type_name(t))
def test_pair_set_matrix_dictionary_of_each_type(t):
    v = sample(t, 2)
    roundtrip(Vector(t, v.data, v.scale, form=PAIR))
    roundtrip(Vector(t, sample(t, 5, nulls=False).data, v.scale, form=SET))
    roundtrip(Vector(t, v.data[:0], v.scale, form=SET))
    m = sample(t, 6)
    roundtrip(Matrix(t, np.asarray(m.data).reshape(3, 2, order="F"), m.scale))
    roundtrip(Matrix(t, np.asarray(m.data).reshape(2, 3), m.scale,
                     row_labels=Vector(STRING, strings("r1", "r2")), col_labels=Vector(SYMBOL, strings("a", "b", "a"))))
    roundtrip(Matrix(t, np.asarray(m.data)[:0].reshape(0, 0), m.scale))
    roundtrip(Dictionary(Vector(STRING, strings("k1", "k2", "k3")), sample(t, 3)))
    roundtrip(Dictionary(sample(t, 2, nulls=False), Vector(ANY, [Scalar(INT, 1), Vector(SYMBOL, strings("q"))])))
    roundtrip(Dictionary(v, ArrayVector(ARRAY_BASE + INT, np.array([0, 1, 3]), sample(INT, 3))))


def test_void_forms():
    roundtrip(Vector(VOID, None, form=PAIR, length_=2))
    roundtrip(Vector(VOID, None, form=SET, length_=0))
    roundtrip(Dictionary(Vector(STRING, strings("a")), Vector(VOID, None, length_=1)))
    assert encode(Vector(VOID, None, length_=3)) == h("00 01 03 00 00 00 01 00 00 00")


def test_matrix_is_column_major_on_the_wire():
    raw = encode(Matrix(INT, np.array([[1, 2, 3], [4, 5, 6]], np.int32)))
    assert raw[:3] == h("04 03 00") and raw[3:13] == h("04 03 02 00 00 00 03 00 00 00")
    assert np.frombuffer(raw[13:], "<i4").tolist() == [1, 4, 2, 5, 3, 6]
    raw = encode(Matrix(DECIMAL32, np.array([[1], [2]], np.int32), 4))
    assert raw[13:17] == h("04 00 00 00")
    m = decode_bytes(raw)
    assert m.scale == 4 and m.data.tolist() == [[1], [2]]


def test_any_vectors_nest_everything():
    t = Table({"a": Vector(INT, np.arange(3, dtype=np.int32)), "s": Vector(SYMBOL, strings("x", "y", "x"))})
    inner = Vector(ANY, [Scalar(VOID, None, 1), Vector(ANY, []), Vector(SYMBOL, strings("s1", "s2"))])
    v = Vector(ANY, [Scalar(INT, 1), inner, t, Dictionary(Vector(INT, np.array([1], np.int32)), Vector(STRING, strings("v"))),
                     Matrix(DOUBLE, np.eye(2)), Vector(INT, np.array([1, 2], np.int32), form=PAIR),
                     ArrayVector(ARRAY_BASE + LONG, np.array([0, 1, 3]), Vector(LONG, np.array([1, 2, 3], np.int64)))])
    roundtrip(v)
    deep = Scalar(INT, 1)
    for _ in range(99):
        deep = Vector(ANY, [deep])
    roundtrip(deep)


@pytest.mark.parametrize("elem", [BOOL, CHAR, SHORT, INT, LONG, DATE, TIMESTAMP, NANOTIMESTAMP, FLOAT, DOUBLE,
                                  DATEHOUR, DECIMAL32, DECIMAL64, DECIMAL128, UUID, IPADDR, INT128, STRING],
                         ids=lambda t: codec.type_name(t))
def test_array_vector_round_trips(elem):
    rng = seeded_rng()
    counts = rng.integers(0, 5, 50)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    av = ArrayVector(ARRAY_BASE + elem, offsets, sample(elem, int(offsets[-1])))
    raw = roundtrip(av)
    assert struct.unpack("<ii", raw[2:10]) == (50, int(offsets[-1]))     # cols = total values
    roundtrip(ArrayVector(ARRAY_BASE + elem, np.zeros(1, np.int64), sample(elem, 0)))
    roundtrip(ArrayVector(ARRAY_BASE + elem, np.zeros(4, np.int64), sample(elem, 0)))


def test_array_vector_blocks_and_count_widths():
    n = 70_000
    counts = np.ones(n, np.int64)
    counts[5] = 300                      # block 1 needs 2-byte counts
    counts[66_000] = 70_000              # block 2 needs 4-byte counts
    offsets = np.concatenate([[0], np.cumsum(counts)])
    av = ArrayVector(ARRAY_BASE + INT, offsets, Vector(INT, np.arange(offsets[-1], dtype=np.int32)))
    raw = roundtrip(av)
    assert raw[10:14] == h("ff ff 02 00")                           # 65,535 rows, 2-byte counts
    second = 10 + 4 + 2 * 65535 + 4 * int(offsets[65535])
    assert raw[second:second + 4] == struct.pack("<HBB", n - 65535, 4, 0)
    small = ArrayVector(ARRAY_BASE + INT, np.array([0, 1, 2]), Vector(INT, np.array([7, 8], np.int32)))
    assert encode(small)[10:14] == h("02 00 01 00")                 # 1-byte counts


def test_array_vector_reader_accepts_blocks_of_any_split_and_width():
    # rows 0..2 in a block with 4-byte counts, row 3 in a second block with 1-byte counts
    raw = (h("44 01 04 00 00 00 05 00 00 00") + struct.pack("<HBB", 3, 4, 0) + struct.pack("<3I", 2, 0, 1)
           + struct.pack("<3i", 1, 2, 3) + struct.pack("<HBB", 1, 1, 0) + bytes([2]) + struct.pack("<2i", 4, 5))
    for v in (decode_bytes(raw), decode_stream(raw)):
        assert v.offsets.tolist() == [0, 2, 2, 3, 5] and vals(v.values) == [1, 2, 3, 4, 5]
    # one row longer than a 64 KiB output buffer: the C++ writer continues its values in the
    # byte stream after the block's counts, which is the same byte sequence
    long_row = np.arange(40_000, dtype=np.int64)
    raw = h("45 01 01 00 00 00") + struct.pack("<i", 40_000) + struct.pack("<HBB", 1, 2, 0) + struct.pack("<H", 40_000) + long_row.tobytes()
    v = decode_stream(raw)
    assert v.offsets.tolist() == [0, 40_000] and np.array_equal(v.values.data, long_row)


def test_table_of_every_column_type_round_trips_plain_and_compressed():
    n = 3000
    cols = {codec.type_name(t): sample(t, n) for t in ALL_VECTOR_TYPES if t not in (CODE,)}
    cols["empty_sym"] = Vector(SYMBOL, np.array([""] * n, dtype=object))
    cols["av"] = ArrayVector(ARRAY_BASE + DOUBLE, np.arange(n + 1) * 2, sample(DOUBLE, 2 * n))
    cols["any"] = Vector(ANY, [Scalar(INT, i) for i in range(n)])
    t = Table(cols, "tbl")
    roundtrip(t)
    raw = roundtrip(t, compress=True)
    assert raw[:2] == h("08 06")
    assert decode_bytes(raw).type == 8
    empty = Table({k: (Vector(c.type, None, length_=0) if c.type == VOID else
                       ArrayVector(c.type, np.zeros(1, np.int64), sample(DOUBLE, 0)) if isinstance(c, ArrayVector) else
                       Vector(ANY, []) if c.type == ANY else
                       Vector(c.type, c.data[:0], c.scale)) for k, c in cols.items()})
    roundtrip(empty)
    roundtrip(empty, compress=True)
    roundtrip(Table({}))


def test_compressed_columns_pick_the_smaller_method():
    n = 100_000
    t = Table({"ts": Vector(TIMESTAMP, 1_700_000_000_000 + np.arange(n, dtype=np.int64) * 10),
               "px": Vector(DOUBLE, seeded_rng().random(n)),
               "q": Vector(INT, np.full(n, 7, np.int32)),
               "name": Vector(STRING, np.array([f"n{i % 50}" for i in range(n)], dtype=object)),
               "s": Vector(SYMBOL, np.array(["A", "B"] * (n // 2), dtype=object))})
    raw = roundtrip(t, compress=True)
    methods = [m.start() for m in re.finditer(b"\x1a\x01", raw)]
    assert len(raw) < 0.5 * len(encode(t))        # random doubles (800 KB) do not shrink
    hdrs = [compression.Header(raw[p + 2:p + 30]) for p in methods if raw[p + 2:p + 6] != b"\x00\x00\x00\x00"]
    by_type = {hd.data_type: hd.method for hd in hdrs if hd.col_count == 1 and hd.version == 0 and hd.char_code == -1}
    assert by_type[TIMESTAMP] == compression.DELTA and by_type[DOUBLE] == compression.LZ4
    assert by_type[STRING] == compression.LZ4
    assert SYMBOL not in by_type


# ---- symbols
def test_symbol_bases_first_appearance_and_reuse_within_a_table():
    v = Vector(SYMBOL, strings("b", "a", "", "b"))
    assert encode(v) == h("91 01 04 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 00 62 00 61 00 "
                          "01 00 00 00 02 00 00 00 00 00 00 00 01 00 00 00")
    t = Table({"s1": Vector(SYMBOL, strings("A", "B")), "s2": Vector(SYMBOL, strings("B", "A")),
               "s3": Vector(SYMBOL, strings("C", "A")), "s4": Vector(SYMBOL, strings("A", "C"))})
    raw = encode(t)
    cols = raw.split(b"\x91\x01")[1:]
    assert cols[0][8:16] == h("00 00 00 00 03 00 00 00")                      # id 0, full base
    assert cols[1][8:] == h("00 00 00 00 00 00 00 00 02 00 00 00 01 00 00 00")  # id 0 reused, size 0
    assert cols[2][8:16] == h("01 00 00 00 03 00 00 00")                      # id 1: "", C, A
    assert cols[3][8:] == h("01 00 00 00 00 00 00 00 02 00 00 00 01 00 00 00")
    roundtrip(t)
    # outside tables every symbol vector carries its own base
    d = Dictionary(Vector(SYMBOL, strings("A", "B")), Vector(SYMBOL, strings("A", "B")))
    assert encode(d).count(h("00 00 00 00 03 00 00 00 00 41 00 42 00")) == 2
    assert encode(Vector(SYMBOL, np.empty(0, dtype=object))) == h("11 01 00 00 00 00 01 00 00 00")


def test_symbol_registry_is_per_table_and_reuse_of_unknown_id_is_empty():
    col = h("91 01 01 00 00 00 01 00 00 00 05 00 00 00 00 00 00 00 00 00 00 00")   # id 5, size 0, index 0
    with pytest.raises(CodecError, match="out of range"):
        decode_bytes(col)
    ok = h("91 01 00 00 00 00 01 00 00 00 05 00 00 00 00 00 00 00")
    assert len(decode_bytes(ok)) == 0
    base = h("91 01 01 00 00 00 01 00 00 00 00 00 00 00 02 00 00 00 00 41 00 01 00 00 00")
    reuse = h("91 01 01 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00")
    first = h("00 06 01 00 00 00 02 00 00 00 00 61 00 62 00") + base + reuse
    t = decode_bytes(first)                                     # reuse within one table
    assert vals(t.columns["a"]) == ["A"] and vals(t.columns["b"]) == ["A"]
    raw = (h("19 01 02 00 00 00 01 00 00 00") + h("00 06 01 00 00 00 01 00 00 00 00 61 00") + base
           + h("00 06 01 00 00 00 01 00 00 00 00 62 00") + reuse)
    with pytest.raises(CodecError, match="out of range"):       # the second table cannot see the first's base
        decode_bytes(raw)


# ---- readers
def test_bytes_reader_and_stream_reader_agree_on_big_text_columns():
    n = 200_000
    v = Vector(STRING, np.array([("é" * (i % 13)) + str(i) for i in range(n)], dtype=object))
    raw = encode(v)
    assert_same(decode_bytes(raw), v)
    assert_same(decode_stream(raw), v)
    r = BytesReader(raw + b"tail")
    decode(r)
    assert r.read_exact(4) == b"tail"


def test_invalid_utf8_round_trips_byte_for_byte():
    raw = h("12 01 02 00 00 00 01 00 00 00 ff fe 00 61 80 00")
    v = decode_bytes(raw)
    assert encode(v) == raw
    assert encode(decode_bytes(h("12 00 c3 28 00"))) == h("12 00 c3 28 00")


# ============================================================================ large tables
def test_million_row_table_round_trip():
    n = 1_000_000
    rng = seeded_rng()
    t = Table({"id": Vector(INT, np.arange(n, dtype=np.int32)),
               "ts": Vector(TIMESTAMP, 1_700_000_000_000 + np.arange(n, dtype=np.int64) * 10),
               "px": Vector(DOUBLE, rng.random(n)),
               "sym": Vector(SYMBOL, np.array(["AAPL", "MSFT", "IBM", ""], dtype=object)[rng.integers(0, 4, n)]),
               "s": Vector(STRING, np.array([f"n{i % 1000}" for i in range(n)], dtype=object))})
    for compress in (False, True):
        back = decode_bytes(encode(t, compress=compress))
        assert back.columns["sym"].data[:8].tolist() == t.columns["sym"].data[:8].tolist()
        assert np.array_equal(back.columns["ts"].data, t.columns["ts"].data)


@pytest.mark.parametrize("unit,values", [
    (8, 1_700_000_000_000 + np.arange(1_000_000, dtype=np.int64) * 1000 + np.random.default_rng(1).integers(0, 5, 1_000_000)),
    (4, np.random.default_rng(2).integers(-1000, 1000, 1_000_000).cumsum().astype(np.int32)),
], ids=["timestamps", "int-walk"])
def test_delta_of_delta_million_values_round_trip(unit, values):
    blocks = compression.delta_blocks(values.tobytes(), unit)
    out = [compression.delta_decode_block(b, unit, compression.BLOCK // unit) for b in blocks]
    assert np.array_equal(np.concatenate(out), values)

def test_rare_forms_round_trip():
    chart = Opaque(CHART, ANY, Dictionary(Vector(STRING, strings("title", "chartType")),
                                          Vector(ANY, [Scalar(STRING, "t"), Scalar(INT, 2)])))
    raw = roundtrip(chart)
    assert raw[:2] == h("19 07")
    chunk = Opaque(CHUNK, 0, b"/db/chunk\0" + bytes(16) + struct.pack("<iibb", 1, 100, 0, 0) + struct.pack("<q", 7))
    raw = roundtrip(chunk)
    assert raw[:4] == h("00 08 2c 00")


def test_codec_does_not_import_the_extension():
    import subprocess
    import sys
    code = ("import sys; import dolphindb.server.wire.codec, dolphindb.server.wire.compression; "
            "assert 'dolphindb._core' not in sys.modules, 'C++ extension imported'")
    env = {"PATH": "/usr/bin:/bin"}
    if "PYTHONPATH" in os.environ:      # a source-tree run; an installed package needs none
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_form_and_type_constants_cover_the_flag_word():
    assert encode(Vector(INT, np.zeros(0, np.int32)))[:2] == bytes([INT, VECTOR])
    assert encode(Scalar(INT, 0))[:2] == bytes([INT, SCALAR])
    assert encode(Table({"a": Vector(INT, np.zeros(0, np.int32))}))[:2] == bytes([0, TABLE])
    assert encode(Dictionary(Vector(INT, np.zeros(0, np.int32)), Vector(DOUBLE, np.zeros(0))))[:2] == bytes([DOUBLE, DICTIONARY])
    assert encode(Matrix(INT, np.zeros((0, 0), np.int32)))[:2] == bytes([INT, MATRIX])


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
