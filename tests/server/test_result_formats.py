"""The server's PICKLE and ARROW replies (PROTOCOL.md §7): which forms travel pickled/as Arrow on
the wire, that the pickle streams are standard pickle plus the 0xF1 symbol section, and that the
official client reads them into the values its DDB path gives (OFFICIAL_API.md §4.3)."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pyarrow as pa
import pytest

from dolphindb.server.wire import pickle as result_formats
from dolphindb.server.model.values import ArrayVector, Table, Vector, INT, SYMBOL

from test_server_protocol import RawClient

PICKLE, ARROW, PICKLE_AS_LIST = 32 | 8, 32 | 32768, 32 | 8 | 32768

TYPES = {
    "b": "[true, false, NULL]", "c": "[1c, NULL, 3c]", "h": "[1h, NULL, 3h]", "i": "[1, NULL, 3]",
    "l": "[1l, NULL, 3l]", "i2": "1 2 3", "dt": "[2024.01.02, NULL, 1969.12.31]",
    "mo": "[2024.01M, NULL, 1970.02M]", "tm": "[12:30:00.123, NULL, 00:00:00.001]",
    "mi": "[12:30m, NULL, 00:01m]", "se": "[12:30:01, NULL, 00:00:01]",
    "dtm": "[2024.01.02T12:30:00, NULL, 1970.01.01T00:00:01]",
    "ts": "[2024.01.02T12:30:00.123, NULL, 1970.01.01T00:00:00.001]",
    "nt": "[12:30:00.000000001, NULL, 00:00:00.000000002]",
    "nts": "[2024.01.02T12:30:00.000000001, NULL, 1970.01.01T00:00:00.000000002]",
    "dh": "datehour([2024.01.02T12:00:00, NULL, 1970.01.01T01:00:00])",
    "f": "[1.5f, NULL, 2.5f]", "d": "[1.5, NULL, -2.5]", "s": "['a', '', 'ccc']",
    "sym": "symbol(['x', '', 'x'])",
    "u": "uuid(['5d212a78-cc48-e3b1-4235-b4d91473ee87', '', '5d212a78-cc48-e3b1-4235-b4d91473ee88'])",
    "ip": "ipaddr(['192.168.1.13', '', '10.0.0.1'])",
    "i128": "int128(['e1671797c52e15f763380b45e841ec32', '', '00000000000000000000000000000001'])",
}
TABLE = "table(" + ", ".join(f"{e} as {n}" for n, e in TYPES.items()) + ")"


class _Readable:
    """A file-like view of the server protocol's socket reader, for pyarrow."""
    closed = False

    def __init__(self, reader):
        self.reader = reader

    def read(self, n=-1):
        return bytes(self.reader.read_exact(n))


def _reply_form(port, script, flag):
    """The form byte of the flag word the server answers `script` with under `flag`."""
    c = RawClient(port)
    try:
        body = "script\n" + script
        options = f"{flag}_1_4_64"
        c.sock.sendall(f"API2 {c.sid} {len(body.encode())} / {options}\n{body}".encode())
        c.reader.read_until(b"\n", 1 << 16)
        assert c.reader.read_until(b"\n", 1 << 16) == b"OK"
        return c.reader.read_exact(2)[1]
    finally:
        c.close()


@pytest.mark.parametrize("flag", [PICKLE, ARROW])
def test_tables_travel_in_the_requested_protocol_and_other_forms_stay_ddb(server, flag):
    assert _reply_form(server.port, TABLE, flag) == 0x26
    assert _reply_form(server.port, "1 2 3", flag) == 1           # vectors: DDB
    assert _reply_form(server.port, "dict(`a`b, 1 2)", flag) == 5  # dictionaries: DDB
    assert _reply_form(server.port, "table(1 2 as x)", 32) == 6    # no protocol flag: DDB
    # A matrix is pickled; Arrow carries tables only.
    assert _reply_form(server.port, "matrix(1 2, 3 4)", flag) == (0x23 if flag == PICKLE else 3)


def test_what_pickle_cannot_carry_is_answered_in_ddb_encoding(server):
    assert _reply_form(server.port, "table(blob(['a']) as b)", PICKLE) == 6
    assert _reply_form(server.port, "table(decimal64([1.5], 2) as d)", PICKLE) == 6
    assert _reply_form(server.port, "table(decimal64([1.5], 2) as d)", ARROW) == 0x26


def test_symbol_columns_use_the_0xf1_section_and_the_rest_is_standard_pickle():
    table = Table({"sym": Vector(SYMBOL, np.array(["x", "", "x"], dtype=object)),
                   "i": Vector(INT, np.array([1, -(1 << 31), 3], dtype=np.int32))})
    stream = result_formats.pickle_reply(table, as_list=True)[2:]
    assert b"\xf1\x8c\x00\x8c\x01x" in stream       # '' and 'x' once each, then 1-byte indices
    assert stream.index(b"C\x03\x01\x00\x01") > stream.index(b"\xf1")
    plain = Table({"i": table.columns["i"]})
    arrays = pickle.loads(result_formats.pickle_reply(plain, as_list=True)[2:])
    assert len(arrays) == 1 and arrays[0].dtype == np.float64
    assert arrays[0][0] == 1 and np.isnan(arrays[0][1])


def test_as_list_needs_array_vector_rows_of_one_length():
    even = ArrayVector(64 + INT, np.array([0, 2, 4]), Vector(INT, np.arange(4, dtype=np.int32)))
    arrays = pickle.loads(result_formats.pickle_reply(Table({"a": even}), as_list=True)[2:])
    assert arrays[0].shape == (2, 2) and arrays[0].tolist() == [[0, 1], [2, 3]]
    ragged = ArrayVector(64 + INT, np.array([0, 1, 4]), Vector(INT, np.arange(4, dtype=np.int32)))
    assert result_formats.pickle_reply(Table({"a": ragged}), as_list=True) is None


def test_arrow_types_follow_the_documented_mapping(server):
    c = RawClient(server.port)
    try:
        body = "script\n" + TABLE
        c.sock.sendall(f"API2 {c.sid} {len(body.encode())} / {ARROW}_1_4_64\n{body}".encode())
        c.reader.read_until(b"\n", 1 << 16)
        c.reader.read_until(b"\n", 1 << 16)
        c.reader.read_exact(2)
        table = pa.ipc.open_stream(_Readable(c.reader)).read_all()
    finally:
        c.close()
    schema = {f.name: f.type for f in table.schema}
    assert schema["sym"] == pa.dictionary(pa.int32(), pa.utf8())
    assert schema["dt"] == pa.date32() and schema["mo"] == pa.date32()
    assert schema["tm"] == pa.time32("ms") and schema["se"] == pa.time32("s")
    assert schema["nt"] == pa.time64("ns") and schema["nts"] == pa.timestamp("ns")
    assert schema["ts"] == pa.timestamp("ms") and schema["dtm"] == pa.timestamp("s")
    assert schema["u"] == pa.binary(16) and schema["ip"] == pa.utf8()
    assert table.column("i").to_pylist() == [1, None, 3]
    assert table.column("mo").to_pylist()[2].isoformat() == "1970-02-01"


def test_official_client_reads_pickle_and_arrow_like_its_ddb_path(server, official):
    code = f"""
import json, dolphindb as ddb, dolphindb.settings as k, numpy as np, pandas as pd
def describe(frame):
    return {{c: [str(frame[c].dtype) if frame[c].dtype != object else "object",
                [None if (isinstance(x, float) and x != x) or x is pd.NaT or x is None else str(x)
                 for x in frame[c].tolist()]] for c in frame.columns}}
out = {{}}
for name, p in (("ddb", k.PROTOCOL_DDB), ("pickle", k.PROTOCOL_PICKLE), ("arrow", k.PROTOCOL_ARROW)):
    s = ddb.Session(protocol=p)
    assert s.connect("127.0.0.1", {server.port}, "admin", "123456")
    t = s.run({TABLE!r})
    out[name] = describe(t.select(["i", "l", "d", "s", "sym", "ip", "ts", "nts"]).to_pandas() if name == "arrow" else t)
    out[name + "_type"] = type(t).__name__
    m = s.run("matrix(1 2 3, 4 5 NULL)")
    out[name + "_matrix"] = [str(m[0].dtype), [[None if x != x else x for x in row] for row in m[0].tolist()]]
print(json.dumps(out))
"""
    out = json.loads(official(code).strip().splitlines()[-1])
    assert out["pickle_type"] == "DataFrame" and out["arrow_type"] == "Table"
    ddb_, pkl, arrow = out["ddb"], out["pickle"], out["arrow"]
    for col in TYPES:
        # Values equal; dtypes equal except text (DDB gives pandas' str dtype, PICKLE object).
        assert pkl[col][1] == ddb_[col][1], col
        if ddb_[col][0] not in ("str", "object"):
            assert pkl[col][0] == ddb_[col][0], col
    for col in ("i", "l", "d", "s", "sym", "ip", "ts", "nts"):
        assert arrow[col][1] == ddb_[col][1], col
    assert out["pickle_matrix"] == out["ddb_matrix"] == ["float64", [[1.0, 4.0], [2.0, 5.0], [3.0, None]]]


@pytest.mark.parametrize("rows,distinct", [(255, 3), (1000, 3), (1000, 300), (70_000, 70_000)])
def test_symbol_sections_of_every_index_width_decode_in_both_clients(server, official, rows, distinct):
    import dolphindb as ddb
    import dolphindb.settings as keys
    script = f"table(symbol(string(til({rows}) % {distinct})) as sym, til({rows}) as i)"
    expected = [str(i % distinct) for i in range(rows)]
    s = ddb.Session(protocol=keys.PROTOCOL_PICKLE)
    assert s.connect("127.0.0.1", server.port, "admin", "123456")
    try:
        ours = s.run(script)["sym"]
        assert ours.tolist() == expected
    finally:
        s.close()
    code = f"""
import dolphindb as ddb, dolphindb.settings as k
s = ddb.Session(protocol=k.PROTOCOL_PICKLE)
assert s.connect("127.0.0.1", {server.port}, "admin", "123456")
t = s.run({script!r})
print(t["sym"].dtype, ",".join(t["sym"].tolist()))
"""
    dtype, values = official(code).strip().splitlines()[-1].split(" ", 1)
    assert values.split(",") == expected
    assert dtype == str(ours.dtype) and dtype in ("object", "str")   # pandas 2 / pandas 3 text


ARROW_UPLOAD = """
import pyarrow as pa, decimal, datetime
table = pa.table({
    "b": pa.array([True, None, False]), "i8": pa.array([1, None, -3], pa.int8()),
    "i16": pa.array([1, 2, None], pa.int16()), "i32": pa.array([None, 5, 6], pa.int32()),
    "i64": pa.array([7, None, 9], pa.int64()), "f": pa.array([1.5, None, 2.5], pa.float32()),
    "d": pa.array([None, 0.25, 1e300]), "date": pa.array([0, 19000, None], pa.date32()),
    "sec": pa.array([1, None, 86399], pa.time32("s")), "ms": pa.array([1, 2, None], pa.time32("ms")),
    "nt": pa.array([None, 5, 6], pa.time64("ns")), "dt": pa.array([1, None, 3], pa.timestamp("s")),
    "ts": pa.array([1, 2, None], pa.timestamp("ms")), "nts": pa.array([None, 2, 3], pa.timestamp("ns")),
    "s": pa.array(["x", None, "zz"]), "sym": pa.array(["a", "b", "a"]).dictionary_encode(),
    "blob": pa.array([b"\\x00\\x01", None, b""], pa.binary()),
    "uuid": pa.array([bytes(range(16)), None, bytes(16)], pa.binary(16)),
    "dec": pa.array([decimal.Decimal("1.50"), None, decimal.Decimal("-2.25")], pa.decimal128(10, 2)),
    "av": pa.array([[1, 2], [], [3]], pa.list_(pa.int32())),
})
"""


def test_official_arrow_table_uploads_are_read_like_ours(server, official):
    """Under PROTOCOL_ARROW the official client uploads a pyarrow.Table as an Arrow IPC stream
    (form 0x26); ours converts it to DDB columns. The server holds the same table either way."""
    import dolphindb as ddb
    import dolphindb.settings as keys
    official(f"""
import dolphindb as ddb, dolphindb.settings as k
{ARROW_UPLOAD}
s = ddb.Session(protocol=k.PROTOCOL_ARROW)
assert s.connect("127.0.0.1", {server.port}, "admin", "123456")
s.upload({{"t": table}})
s.run("share t as arrow_upload_official")
assert s.run("1 + 1") == 2          # the stream was consumed exactly: the session goes on
""")
    namespace = {}
    exec(ARROW_UPLOAD, namespace)      # noqa: S102 - the test's own literal, shared with the official run
    ours = ddb.Session(protocol=keys.PROTOCOL_ARROW)
    assert ours.connect("127.0.0.1", server.port, "admin", "123456")
    ours.upload({"t": namespace["table"]})
    ours.run("share t as arrow_upload_ours")
    reader = ddb.Session(protocol=keys.PROTOCOL_DDB)
    assert reader.connect("127.0.0.1", server.port, "admin", "123456")
    schema = "exec name, typeString from schema({}).colDefs"
    theirs_schema = reader.run(schema.format("arrow_upload_official"))
    assert theirs_schema.equals(reader.run(schema.format("arrow_upload_ours")))
    assert list(theirs_schema["typeString"]) == [
        "BOOL", "CHAR", "SHORT", "INT", "LONG", "FLOAT", "DOUBLE", "DATE", "SECOND", "TIME", "NANOTIME",
        "DATETIME", "TIMESTAMP", "NANOTIMESTAMP", "STRING", "SYMBOL", "BLOB", "UUID", "DECIMAL128(2)", "INT[]"]
    a = reader.run("select * from arrow_upload_official")
    b = reader.run("select * from arrow_upload_ours")
    import pandas as pd
    pd.testing.assert_frame_equal(a, b)
    assert a["s"].tolist()[0] == "x" and a["av"].tolist()[0].tolist() == [1, 2]
    for s in (ours, reader):
        s.close()


def test_a_corrupt_arrow_upload_is_a_codec_error():
    from dolphindb.server.errors import CodecError
    from dolphindb.server.wire import codec
    with pytest.raises(CodecError, match="Arrow"):
        codec.decode_bytes(b"\x00\x26" + b"\xff\xff\xff\xff\x10\x00\x00\x00" + b"not a flatbuffer")


@pytest.mark.parametrize("rows,distinct", [(3, 2), (1000, 300), (70_000, 70_000)])
def test_pickle_text_columns_equal_the_ddb_path_exactly(server, rows, distinct):
    """PICKLE text columns (packed string runs, SYMBOL sections of each index width) become the
    same pandas arrays as the DDB path builds: same dtype, same array class, same values."""
    import pandas as pd

    import dolphindb as ddb
    import dolphindb.settings as keys
    script = (f"t = table(symbol(string(til({rows}) % {distinct})) as sym, string(til({rows})) as s, "
              f"til({rows}) as i); update t set s = '' where i % 7 == 0; "
              f"update t set s = '\u00e9\u4e2d' + s where i % 5 == 1; t")
    frames = []
    for protocol in (keys.PROTOCOL_PICKLE, keys.PROTOCOL_DDB):
        s = ddb.Session(protocol=protocol)
        assert s.connect("127.0.0.1", server.port, "admin", "123456")
        frames.append(s.run(script))
        s.close()
    pickled, ddb_frame = frames
    pd.testing.assert_frame_equal(pickled, ddb_frame, check_exact=True)
    for column in ("sym", "s"):
        assert type(pickled[column].array) is type(ddb_frame[column].array)
    assert pickled["s"].iloc[1].startswith("\u00e9\u4e2d") and pickled["s"].iloc[0] == ""


@pytest.mark.parametrize("texts", [
    [f"v{k}" for k in range(300)],                            # ASCII: the joined fast path
    [f"\u00e9{k}\u4e2d" for k in range(300)],                  # non-ASCII: encoded one by one
    [f"v{k}" for k in range(299)] + ["x" * 300],              # one long string: the generic path
])
def test_text_runs_pickle_like_the_standard_pickler(texts):
    """The vectorized SHORT_BINUNICODE run writes what pickle itself writes for a list of strs."""
    import pickle

    from dolphindb.server.wire.pickle import PickleWriter
    w = PickleWriter()
    w.save(texts)
    ours = w.finish()
    assert pickle.loads(ours) == texts
    standard = pickle.dumps(texts, protocol=4)
    assert pickle.loads(standard) == pickle.loads(ours)
