"""PROTOCOL_PICKLE, PROTOCOL_ARROW, compress=True and the Python parser, from the client's side.

* the flags our client sends (handshake, user requests, uploads, internal calls), checked on a
  stub peer (tests/support/stub_server.py) that records every request;
* the objects built from pickle / Arrow replies (equal to pickle.loads / pyarrow's reader), from
  streams of CPython's pickle module and from the official captures;
* corrupt pickle, Arrow and compressed replies: clear dolphindb errors, never a crash or a hang;
* compressed and pyarrow uploads against the embedded server.
"""
from __future__ import annotations

import datetime
import decimal
import pickle
import random
import struct
import uuid

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import dolphindb as ddb
import dolphindb.settings as keys
from dolphindb import _core
from dolphindb.server.wire import codec, framing as protocol

from support import CAPTURES
from support.stub_server import SESSION, Raw, StubServer

INT_2 = b"\x04\x00\x02\x00\x00\x00"   # scalar INT 2


def _session(port, **kw):
    s = ddb.Session(**kw)
    assert s.connect("127.0.0.1", port, timeout=10), s.last_error
    return s


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


# ------------------------------------------------------------------------------------ flags
FLAG_CASES = [
    ({}, 40),                                               # PROTOCOL_DEFAULT is PICKLE here
    ({"protocol": keys.PROTOCOL_DDB}, 32),
    ({"protocol": keys.PROTOCOL_PICKLE}, 40),
    ({"protocol": keys.PROTOCOL_ARROW}, 32800),
    ({"compress": True}, 96),                               # DEFAULT + compress -> DDB
    ({"compress": True, "protocol": keys.PROTOCOL_DDB}, 96),
    ({"compress": True, "protocol": keys.PROTOCOL_PICKLE}, 96),   # accepted, DDB on the wire (official)
    ({"compress": True, "enablePickle": True}, 96),
    ({"python": True, "protocol": keys.PROTOCOL_DDB}, 2080),
    ({"parser": "python", "protocol": keys.PROTOCOL_DDB}, 2080),
    ({"parser": keys.ParserType.Python, "protocol": keys.PROTOCOL_DDB}, 2080),
    ({"parser": "kdb", "protocol": keys.PROTOCOL_DDB}, 4128),
    ({"python": True}, 2088),                               # Python parser under PICKLE
]


@pytest.mark.parametrize("kw,flag", FLAG_CASES, ids=[repr(k) for k, _ in FLAG_CASES])
def test_session_flags_on_the_wire(kw, flag):
    with StubServer(lambda seen: INT_2) as stub:
        s = _session(stub.port, **kw)
        assert s.run("1+1") == 2
        s.close()
        assert stub.handshakes == [flag]
        assert [r.flag for r in stub.user_requests] == [flag]
        # Internal probes never carry the PICKLE / ARROW bits (they must come back DDB-encoded).
        probes = [r.flag for r in stub.requests if r.text in ("getRequiredAPIVersion", "isNodeInitialized")]
        assert probes == [flag & ~(8 | 32768)] * 2


def test_pickle_per_request_flags_and_ddb_only_requests():
    def reply(seen):
        if seen.body_kind == "variable":
            return None
        if seen.fetch_size:
            return Raw(protocol.error(SESSION, "no blocks here"))
        return INT_2

    with StubServer(reply) as stub:
        s = _session(stub.port, protocol=keys.PROTOCOL_PICKLE)
        s.run("t", pickleTableToList=True)
        s.run("t", clearMemory=True, disableDecimal=True)
        s.run("add", 1, 2)
        s.upload({"x": np.arange(3)})
        with pytest.raises(RuntimeError, match="no blocks here"):
            s.run("select * from t", fetchSize=8192)
        s.close()
        flags = [r.flag for r in stub.user_requests]
        # toList +32768 beside 8; clearMemory 16, disableDecimal 1<<23; function calls keep 8;
        # uploads and paged reads are DDB (no 8), as in the official client.
        assert flags == [32808, 40 + 16 + (1 << 23), 40, 32, 32]

    with StubServer(lambda seen: INT_2) as stub:
        pool = ddb.DBConnectionPool("127.0.0.1", stub.port, 1, protocol=keys.PROTOCOL_PICKLE)
        try:
            assert pool.runTaskAsync("1+1").result(10) == 2
            assert pool.runTaskAsync("1+1", pickleTableToList=True).result(10) == 2
        finally:
            pool.shutDown()
        assert [r.flag for r in stub.user_requests] == [56, 56 + 32768]
        assert stub.handshakes == [40]


def test_option_errors_keep_the_official_texts():
    # Session: a ValueError, as pydantic's ValidationError from the official Session; the pool: RuntimeError.
    with pytest.raises(ValueError, match="^The Arrow protocol does not support compression.$"):
        ddb.Session(protocol=keys.PROTOCOL_ARROW, compress=True)
    for explicit in (keys.PROTOCOL_DDB, keys.PROTOCOL_PICKLE, keys.PROTOCOL_ARROW):
        with pytest.raises(RuntimeError, match="^When enablePickle=true, the parameter protocol must not be specified. $"):
            ddb.Session(enablePickle=True, protocol=explicit)
    assert ddb.Session(enablePickle=False).protocol == keys.PROTOCOL_DDB
    assert ddb.Session(compress=True).protocol == keys.PROTOCOL_DDB
    assert ddb.Session().protocol == keys.PROTOCOL_PICKLE
    with pytest.raises(RuntimeError, match="^The Arrow protocol does not support compression.$"):
        ddb.DBConnectionPool("127.0.0.1", 1, 1, protocol=keys.PROTOCOL_ARROW, compress=True)
    for parser in ("kdb", "python", keys.ParserType.DolphinDB, 2):
        with pytest.raises(RuntimeError, match="^The parameter parser must not be specified when python=true$"):
            ddb.Session(python=True, parser=parser)
        with pytest.raises(RuntimeError, match="^The parameter parser must not be specified when python=true$"):
            ddb.DBConnectionPool("127.0.0.1", 1, 1, python=True, parser=parser)
    for bad in (4, None):
        with pytest.raises(ValueError, match=rf"^Protocol {bad} is not supported. $"):
            ddb.Session(protocol=bad)
        with pytest.raises(RuntimeError, match=rf"^Protocol {bad} is not supported. $"):
            ddb.DBConnectionPool("127.0.0.1", 1, 1, protocol=bad)


# ---------------------------------------------------------------------------- PICKLE replies
def _frames():
    n = 5
    rows = np.empty(n, dtype=object)   # array-vector column: one ndarray per row
    rows[:] = [np.arange(i, dtype=np.int32) for i in range(n)]
    yield pd.DataFrame({
        "b": np.array([True, False, True, False, True]), "c": np.arange(n, dtype=np.int8),
        "h": np.arange(n, dtype=np.int16), "i": np.arange(n, dtype=np.int32), "l": np.arange(n, dtype=np.int64),
        "f": np.linspace(0, 1, n, dtype=np.float32), "d": [1.5, np.nan, 2.5, -0.0, 1e300],
        "in": [1.0, np.nan, 3.0, 4.0, 5.0],   # integers with nulls as the server pickles them: float64
        "s": np.array(["a", "", "ccc", "é", "x"], dtype=object), "bn": np.array([True, None, False, True, None], dtype=object),
        "t": pd.to_datetime(["2024-01-02T03:04:05.678", None, "1969-12-31", "2262-04-11", "1677-09-22"], format="ISO8601"),
        "u": np.array([str(uuid.UUID(int=i)) for i in range(n)], dtype=object),
        "av": rows,
    })
    yield pd.DataFrame()
    yield pd.DataFrame({"only": np.zeros(0, dtype=np.float64)})
    yield pd.DataFrame({"sym": pd.Categorical(["x", "y", "x"]), "str": pd.array(["a", None, "c"], dtype="str")})


@pytest.mark.parametrize("proto", [2, 3, 4])
def test_pickled_results_equal_pickle_loads(proto):
    objects = list(_frames()) + [
        [np.arange(3, dtype=np.int32), np.array([1.5, np.nan]), np.array(["a", ""], dtype=object),
         np.array(["2024-01-02", "NaT"], dtype="datetime64[ns]"), np.arange(6, dtype=np.int32).reshape(2, 3)],
        {"k": (1, 2.5, None, True, "s", b"b", decimal.Decimal("1.50"), datetime.date(2024, 1, 2), 2**80)},
        np.float64(2.5),
    ]
    replies = [b"\x00\x26" + pickle.dumps(o, protocol=proto) for o in objects]
    with StubServer(lambda seen: replies[int(seen.text)]) as stub:
        s = _session(stub.port)
        for i, expected in enumerate(objects):
            got = s.run(str(i))
            if isinstance(expected, pd.DataFrame):
                pd.testing.assert_frame_equal(got, expected)
            elif isinstance(expected, list):
                assert len(got) == len(expected)
                for a, b in zip(got, expected):
                    assert a.dtype == b.dtype and a.shape == b.shape
                    np.testing.assert_array_equal(a, b)
            else:
                assert got == expected and type(got) is type(expected)
        s.close()


def test_pickled_results_through_the_pool():
    frame = next(_frames())
    reply = b"\x00\x26" + pickle.dumps(frame, protocol=4)
    with StubServer(lambda seen: reply) as stub:
        pool = ddb.DBConnectionPool("127.0.0.1", stub.port, 2, protocol=keys.PROTOCOL_PICKLE)
        try:
            futures = [pool.runTaskAsync("t") for _ in range(6)]
            for f in futures:
                pd.testing.assert_frame_equal(f.result(10), frame)
        finally:
            pool.shutDown()


def test_pickled_matrix_of_objects_is_transposed_as_the_official_client_does():
    objs = np.array([["a", "b", "c"], ["d", "e", "f"]], dtype=object)
    nums = np.arange(6, dtype=np.int32).reshape(2, 3)
    replies = {"o": b"\x00\x23" + pickle.dumps([objs, None, ["c1", "c2", "c3"]], protocol=4),
               "n": b"\x00\x23" + pickle.dumps([nums, None, None], protocol=4)}
    with StubServer(lambda seen: replies[seen.text]) as stub:
        s = _session(stub.port)
        got = s.run("o")
        assert got[0].shape == (3, 2) and got[0][0, 1] == "d" and got[2] == ["c1", "c2", "c3"]
        got = s.run("n")
        np.testing.assert_array_equal(got[0], nums)
        s.close()


def test_symbol_opcode_stream_and_ddb_replies_in_a_pickle_session():
    # PROTOCOL.md §7.1: the SYMBOL section example decodes to ['A', 'B', 'A'].
    spec = bytes.fromhex("0026 8004 5d28 f18c 008c 0141 8c01 4242 0c00 0000 0100 0000 0200 0000 0100 0000 652e")
    replies = {"sym": spec, "ddb": INT_2}
    with StubServer(lambda seen: replies[seen.text]) as stub:
        s = _session(stub.port)
        assert s.run("sym") == ["A", "B", "A"]
        assert s.run("ddb") == 2   # objects a server does not pickle arrive in the DDB encoding
        s.close()


def _capture_reply(case, name):
    data = (CAPTURES / case / name).read_bytes()
    return Raw(data), data[data.index(b"OK\n") + 3:]


@pytest.mark.parametrize("case,name", [("g1_pickle", "c01_p28948_m05_resp.bin"),
                                       ("g1b_pickle_list", "c01_p28958_m04_resp.bin"),
                                       ("g1c_pickle_reduce", "c01_p28968_m04_resp.bin")])
def test_captured_pickle_replies_give_what_the_official_client_printed(case, name):
    raw, payload = _capture_reply(case, name)
    expected = pickle.loads(payload[2:])   # CPython's unpickler: what the official client runs
    with StubServer(lambda seen: raw) as stub:
        s = _session(stub.port, protocol=keys.PROTOCOL_PICKLE)
        got = s.run("select * from t")
        s.close()
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(got, expected)
        assert list(got["id"]) == [1, 2, 3]
    else:
        assert [str(a.dtype) for a in got] == ["int32", "float64", "object", "object", "datetime64[ms]"]
        for a, b in zip(got, expected):
            np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------- ARROW replies
def _arrow_table():
    return pa.table({
        "b": pa.array([True, None, False]), "i": pa.array([1, None, 3], pa.int32()),
        "l": pa.array([1, 2, None], pa.int64()), "d": pa.array([1.5, None, 2.5]),
        "dt": pa.array([0, 19000, None], pa.date32()), "tm": pa.array([1, None, 3], pa.time32("ms")),
        "ts": pa.array([1, None, 3], pa.timestamp("ms")), "ns": pa.array([1, 2, None], pa.timestamp("ns")),
        "s": pa.array(["a", None, "ccc"]), "sym": pa.array(["x", "y", "x"]).dictionary_encode(),
        "u": pa.array([uuid.UUID(int=1).bytes, None, bytes(16)], pa.binary(16)),
        "dec": pa.array([decimal.Decimal("1.25"), None, decimal.Decimal("-3.00")], pa.decimal128(38, 2)),
        "av": pa.array([[1, 2], [], None], pa.list_(pa.int32())),
    })


def test_arrow_results_are_pyarrow_tables():
    table = _arrow_table()
    big = pa.table({"x": pa.array(np.arange(200_000, dtype=np.int64)), "s": pa.array([str(i % 7) for i in range(200_000)])})
    replies = {"t": b"\x00\x26" + _ipc(table), "big": b"\x00\x26" + _ipc(big), "ddb": INT_2}
    with StubServer(lambda seen: replies[seen.text]) as stub:
        s = _session(stub.port, protocol=keys.PROTOCOL_ARROW)
        got = s.run("t")
        assert isinstance(got, pa.Table) and got.equals(table)
        assert s.run("big").equals(big)
        assert s.run("ddb") == 2
        s.close()
        pool = ddb.DBConnectionPool("127.0.0.1", stub.port, 2, protocol=keys.PROTOCOL_ARROW)
        try:
            assert pool.runTaskAsync("t").result(10).equals(table)
        finally:
            pool.shutDown()


def test_captured_arrow_reply_gives_what_the_official_client_printed():
    raw, payload = _capture_reply("g2_arrow", "c01_p28988_m05_resp.bin")
    with StubServer(lambda seen: raw) as stub:
        s = _session(stub.port, protocol=keys.PROTOCOL_ARROW)
        got = s.run("select * from t")
        s.close()
    assert [str(t) for t in got.schema.types] == ["int32", "double", "string", "string", "timestamp[ms]"]
    assert got.column("id").to_pylist() == [1, 2, 3]
    assert got.column("price").to_pylist() == [1.5, 2.25, None]
    assert got.column("sym").to_pylist() == ["IBM", "MSFT", "IBM"]
    assert got.equals(pa.ipc.open_stream(payload[2:]).read_all())


# --------------------------------------------------------------------- corrupt replies
def _dolphindb_error(exc) -> bool:
    return isinstance(exc, _core.DolphinDBError)


def test_refused_globals_are_a_conversion_error_and_the_session_stays_usable():
    evil = b"\x00\x26" + b"cos\nsystem\n(S'echo pwned'\ntR."
    getattr_evil = b"\x00\x26" + pickle.dumps(pd.DataFrame.to_pickle, protocol=4)   # a method via getattr
    replies = {"evil": evil, "attr": getattr_evil, "ok": INT_2}
    with StubServer(lambda seen: replies[seen.text]) as stub:
        s = _session(stub.port)
        with pytest.raises(_core.ConversionError, match="os.system"):
            s.run("evil")
        with pytest.raises(_core.ConversionError, match="not one of"):
            s.run("attr")
        assert s.run("ok") == 2   # the stream was read to its end: the connection is in sync
        s.close()


def _compressed_table_reply():
    frame = pd.DataFrame({"i": np.arange(1000, dtype=np.int32), "d": np.linspace(0, 1, 1000)})
    table = codec.decode_bytes(_core.dumps(frame))
    return codec.encode(table, compress=True)


def _corrupt_compressed_block(reply: bytes, method: int) -> bytes:
    """The first column compressed with `method` (1 LZ4, 2 delta-of-delta) made invalid."""
    at = 0
    while True:
        at = reply.index(b"\x1a\x01", at) + 2   # compressed vector: 28-byte header, block size, block
        if reply[at + 11] == method:
            break
    data = bytearray(reply)
    if method == 1:
        data[at + 32:at + 35] = b"\x0f\xff\xff"   # an LZ4 match reaching before the output start
    else:
        data[at + 28:at + 32] = struct.pack("<i", 0x7fff0000)   # a block larger than byteSize
    return bytes(data)


def _corrupt_arrow_offsets() -> bytes:
    """A well-framed Arrow stream whose string offsets point past the string data."""
    stream = _ipc(pa.table({"s": ["a", "bb", "ccc"]}))
    offsets = bytes.fromhex("00000000010000000300000006000000")
    at = stream.index(offsets) + 12
    return b"\x00\x26" + stream[:at] + bytes.fromhex("ff000000") + stream[at + 4:]


def _patched_arrow(table, old: bytes, new: bytes) -> bytes:
    stream = _ipc(table)
    assert stream.count(old) == 1
    return b"\x00\x26" + stream.replace(old, new)


CORRUPT = {
    "pickle-opcode": b"\x00\x26\x80\x04\x4e\xfe.",
    "pickle-truncated": b"\x00\x26" + pickle.dumps(list(range(100)), protocol=4)[:-20],
    "pickle-memo": b"\x00\x26\x80\x04h\x07.",
    "pickle-protocol5": b"\x00\x26\x80\x05N.",
    "arrow-framing": b"\x00\x26\xff\xff\xff\xff\xf0\xff\xff\xff",
    "arrow-metadata": b"\x00\x26\xff\xff\xff\xff\x10\x00\x00\x00" + bytes(16) + b"\xff\xff\xff\xff\x00\x00\x00\x00",
    "arrow-offsets": _corrupt_arrow_offsets(),
    "arrow-offsets-decreasing": _patched_arrow(pa.table({"s": ["a", "bb", "ccc"]}),
                                               bytes.fromhex("00000000010000000300000006000000"),
                                               bytes.fromhex("00000000040000000300000006000000")),
    "arrow-utf8": _patched_arrow(pa.table({"s": ["abcxyz"]}), b"abcxyz", b"ab\xffxyz"),
    "arrow-dictionary-index": _patched_arrow(
        pa.table({"s": pa.array(["x", "y", "x", "y"]).dictionary_encode()}),
        bytes.fromhex("00000000010000000000000001000000"), bytes.fromhex("00000000070000000000000001000000")),
    "compressed-lz4": _corrupt_compressed_block(_compressed_table_reply(), 1),
    "compressed-delta": _corrupt_compressed_block(_compressed_table_reply(), 2),
}


@pytest.mark.parametrize("name", sorted(CORRUPT))
def test_corrupt_replies_give_clear_errors(name):
    reply = Raw(protocol.ok(SESSION, CORRUPT[name]))
    reply.close = True   # a truncated reply must end in EOF, not a wait
    with StubServer(lambda seen: reply) as stub:
        s = _session(stub.port, protocol=keys.PROTOCOL_ARROW if name.startswith("arrow") else keys.PROTOCOL_DEFAULT)
        with pytest.raises(_core.DolphinDBError) as info:
            s.run("x")
        s.close()
    assert isinstance(info.value, (_core.ProtocolError, _core.NetworkError)), info.value
    assert str(info.value)


def test_mutated_replies_never_crash_in_process():
    """Random byte flips of valid pickle, Arrow and compressed replies through io.loads: each
    one decodes or raises a dolphindb error."""
    rng = random.Random(5)
    seeds = [b"\x00\x26" + pickle.dumps(next(_frames()), protocol=p) for p in (2, 4)]
    seeds += [b"\x00\x26" + _ipc(_arrow_table()), _compressed_table_reply(),
              b"\x00\x26" + pickle.dumps([np.arange(10), {"a": (1, "b")}], protocol=4)]
    outcomes = {"ok": 0, "error": 0}
    for seed in seeds:
        for _ in range(300):
            data = bytearray(seed)
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(2, len(data))] = rng.randrange(256)
            if rng.random() < 0.2:
                data = data[:rng.randrange(2, len(data))]
            try:
                _core.loads(bytes(data))
                outcomes["ok"] += 1
            except Exception as e:   # noqa: BLE001 - the assertion is on the type
                assert _dolphindb_error(e), f"{type(e).__name__}: {e}"
                outcomes["error"] += 1
    assert outcomes["error"] > 100 and outcomes["ok"] > 10


def test_mutated_replies_over_a_socket_never_hang():
    rng = random.Random(7)
    seed = protocol.ok(SESSION, b"\x00\x26" + pickle.dumps(next(_frames()), protocol=4))
    replies = []
    for _ in range(40):
        data = bytearray(seed)
        for _ in range(3):
            data[rng.randrange(len(data))] = rng.randrange(256)
        r = Raw(bytes(data))
        r.close = True
        replies.append(r)
    with StubServer(lambda seen: replies[int(seen.text)]) as stub:
        for i in range(len(replies)):
            s = ddb.Session()
            if not s.connect("127.0.0.1", stub.port, timeout=5):
                continue
            try:
                s.run(str(i))
            except Exception as e:   # noqa: BLE001
                assert _dolphindb_error(e), f"{type(e).__name__}: {e}"
            s.close()


# -------------------------------------------------------------------------- compression
def _column_methods(arg_bytes: bytes) -> dict:
    """Column name -> compression method (0 = plain) of a serialized table whose plain columns
    come last."""
    assert arg_bytes[0] == 8 and arg_bytes[1] == 6, arg_bytes[:2]
    cols = struct.unpack_from("<i", arg_bytes, 6)[0]
    at = 10
    names = []
    for _ in range(cols + 1):
        end = arg_bytes.index(b"\0", at)
        names.append(arg_bytes[at:end].decode())
        at = end + 1
    names = names[1:]
    methods = {}
    for name in names:
        if arg_bytes[at:at + 2] != b"\x1a\x01":
            methods[name] = 0
            break
        byte_size = struct.unpack_from("<i", arg_bytes, at + 2)[0]
        methods[name] = arg_bytes[at + 2 + 11]
        at += 2 + 8 + byte_size
    return methods


def test_compressed_uploads_pick_a_method_per_column():
    n = 100_000
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({
        "ts": pd.date_range("2024-01-02 09:30", periods=n, freq="ms"),      # regular: delta-of-delta
        "qty": np.arange(n, dtype=np.int32) * 100,                         # arithmetic: delta-of-delta
        "price": rng.random(n) * 100,                                       # DOUBLE: LZ4
        "noise": rng.integers(-2**62, 2**62, n),                            # random LONG: LZ4
        "name": np.array([f"n{i % 10}" for i in range(n)], dtype=object),   # STRING: LZ4
        "sym": np.array([f"s{i % 3}" for i in range(n)], dtype=object),
    })
    frame.__dict__["__DolphinDB_Type__"] = {"sym": keys.DT_SYMBOL}
    with StubServer(lambda seen: None) as stub:
        s = _session(stub.port, compress=True)
        s.upload({"t": frame})
        s.run("tableInsert{t}", frame, compressMethods={"price": "none", "qty": "LZ4"})
        # Differences beyond 64 bits cannot be delta-of-delta encoded: a clear error, nothing sent.
        with pytest.raises(_core.ConversionError, match="cannot compress column 'noise' with delta-of-delta"):
            s.run("tableInsert{t}", frame, compressMethods={"noise": "delta"})
        s.close()
        auto, forced = stub.user_requests
    assert _column_methods(auto.arg_bytes) == {"ts": 2, "qty": 2, "price": 1, "noise": 1, "name": 1, "sym": 0}
    assert _column_methods(forced.arg_bytes) == {"ts": 2, "qty": 1, "price": 0}
    # Whatever the methods, the server sees the same table.
    for seen in (auto, forced):
        cols = seen.args[0].columns
        np.testing.assert_array_equal(cols["qty"].data, frame["qty"].to_numpy())
        np.testing.assert_array_equal(cols["price"].data, frame["price"].to_numpy())
        np.testing.assert_array_equal(cols["ts"].data, frame["ts"].to_numpy().astype("datetime64[ns]").astype("int64"))


def test_compress_methods_errors():
    with StubServer(lambda seen: None) as stub:
        s = _session(stub.port, compress=True)
        df = pd.DataFrame({"d": [1.5], "i": [1]})
        with pytest.raises(RuntimeError, match="Unsupported compression method 'zstd'"):
            s.upload({"t": df}, compressMethods={"d": "zstd"})
        with pytest.raises(_core.ConversionError, match="delta-of-delta cannot compress column 'd' of type DOUBLE"):
            s.upload({"t": df}, compressMethods={"d": "delta"})
        with pytest.raises(_core.ConversionError, match="names column 'nope'"):
            s.run("f", df, compressMethods={"nope": "lz4"})
        with pytest.raises(RuntimeError, match="compressMethods applies to table arguments or uploads"):
            s.run("select * from t", compressMethods={"d": "lz4"})
        s.close()
        plain = _session(stub.port, protocol=keys.PROTOCOL_DDB)
        with pytest.raises(RuntimeError, match="compressMethods requires a connection created with compress=True"):
            plain.upload({"t": df}, compressMethods={"d": "lz4"})
        plain.close()


ALL_TYPES = {   # column -> (DolphinDB expression, forced upload type)
    "b": ("[true, false, NULL]", keys.DT_BOOL), "c": ("[1c, NULL, 3c]", keys.DT_CHAR),
    "h": ("[1h, NULL, 3h]", keys.DT_SHORT), "i": ("[1, NULL, 3]", keys.DT_INT), "l": ("[1l, NULL, 3l]", keys.DT_LONG),
    "dt": ("[2024.01.02, NULL, 1969.12.31]", keys.DT_DATE), "mo": ("[2024.01M, NULL, 1970.02M]", keys.DT_MONTH),
    "tm": ("[12:30:00.123, NULL, 00:00:00.001]", keys.DT_TIME), "mi": ("[12:30m, NULL, 00:01m]", keys.DT_MINUTE),
    "se": ("[12:30:01, NULL, 00:00:01]", keys.DT_SECOND),
    "dtm": ("[2024.01.02T12:30:00, NULL, 1970.01.01T00:00:01]", keys.DT_DATETIME),
    "ts": ("[2024.01.02T12:30:00.123, NULL, 1970.01.01T00:00:00.001]", keys.DT_TIMESTAMP),
    "nt": ("[12:30:00.000000001, NULL, 00:00:00.000000002]", keys.DT_NANOTIME),
    "nts": ("[2024.01.02T12:30:00.000000001, NULL, 1970.01.01T00:00:00.000000002]", keys.DT_NANOTIMESTAMP),
    "dh": ("datehour([2024.01.02T12:00:00, NULL, 1970.01.01T01:00:00])", keys.DT_DATEHOUR),
    "f": ("[1.5f, NULL, 2.5f]", keys.DT_FLOAT), "d": ("[1.5, NULL, -2.5]", keys.DT_DOUBLE),
    "s": ("['a', '', 'ccc']", keys.DT_STRING), "sym": ("symbol(['x', '', 'x'])", keys.DT_SYMBOL),
    "u": ("uuid(['5d212a78-cc48-e3b1-4235-b4d91473ee87', '', '5d212a78-cc48-e3b1-4235-b4d91473ee88'])", keys.DT_UUID),
    "ip": ("ipaddr(['192.168.1.13', '', '10.0.0.1'])", keys.DT_IPADDR),
    "i128": ("int128(['e1671797c52e15f763380b45e841ec32', '', '00000000000000000000000000000001'])", keys.DT_INT128),
    "bl": ("blob(['a', '', 'bc'])", keys.DT_BLOB), "d32": ("decimal32([1.25, NULL, -3], 2)", [keys.DT_DECIMAL32, 2]),
    "d64": ("decimal64([1.25, NULL, -3], 4)", [keys.DT_DECIMAL64, 4]),
    "d128": ("decimal128([1.25, NULL, -3], 10)", [keys.DT_DECIMAL128, 10]),
}
ALL_TYPES_SCRIPT = "table(" + ", ".join(f"{expr} as {name}" for name, (expr, _) in ALL_TYPES.items()) + ")"


@pytest.mark.parametrize("methods", [None, {"i": "delta", "ts": "delta", "d": "lz4", "s": "none", "d64": "delta",
                                            "mo": "lz4", "u": "none", "bl": "lz4"}])
def test_every_column_type_round_trips_through_compressed_uploads(server, methods):
    """A table of every type, uploaded through a compress=True session, reaches the server with
    the same types and values as through a plain session."""
    plain = ddb.Session(protocol=keys.PROTOCOL_DDB)
    assert plain.connect("127.0.0.1", server.port, "admin", "123456")
    frame = plain.run(ALL_TYPES_SCRIPT)
    frame.__dict__["__DolphinDB_Type__"] = {name: t for name, (_, t) in ALL_TYPES.items()}
    plain.upload({"up": frame})
    comp = ddb.Session(compress=True)
    assert comp.connect("127.0.0.1", server.port, "admin", "123456")
    comp.upload({"up": frame}, compressMethods=methods)
    assert comp.run("tableInsert{up}", frame, compressMethods=methods) == 3
    pd.testing.assert_frame_equal(comp.run("schema(up).colDefs"), plain.run("schema(up).colDefs"))
    expected = plain.run("up")
    pd.testing.assert_frame_equal(expected, plain.run(ALL_TYPES_SCRIPT))
    got = comp.run("up")
    pd.testing.assert_frame_equal(got.iloc[:3].reset_index(drop=True), expected)
    pd.testing.assert_frame_equal(got.iloc[3:].reset_index(drop=True), expected)
    plain.close()
    comp.close()


# --------------------------------------------------------------------- pyarrow uploads
ARROW_UPLOAD = {   # column -> (Arrow array, DolphinDB type, what `exec column` returns)
    "b": (pa.array([True, None, False]), "BOOL", [True, None, False]),
    "c": (pa.array([1, None, -3], pa.int8()), "CHAR", [1.0, None, -3.0]),
    "h": (pa.array([1, None, 3], pa.int16()), "SHORT", [1.0, None, 3.0]),
    "i": (pa.array([1, None, 3], pa.int32()), "INT", [1.0, None, 3.0]),
    "l": (pa.array([1, None, 3], pa.int64()), "LONG", [1.0, None, 3.0]),
    "f": (pa.array([1.5, None, 2.5], pa.float32()), "FLOAT", [1.5, None, 2.5]),
    "d": (pa.array([1.5, None, -2.5]), "DOUBLE", [1.5, None, -2.5]),
    "dt": (pa.array([0, None, 19000], pa.date32()), "DATE", ["1970-01-01", None, "2022-01-08"]),
    "dt64": (pa.array([86_400_000, None, -1], pa.date64()), "DATE", ["1970-01-02", None, "1969-12-31"]),
    "se": (pa.array([1, None, 3], pa.time32("s")), "SECOND", ["1970-01-01T00:00:01", None, "1970-01-01T00:00:03"]),
    "tm": (pa.array([1, None, 3], pa.time32("ms")), "TIME", ["1970-01-01T00:00:00.001", None, "1970-01-01T00:00:00.003"]),
    "tu": (pa.array([1, None, 3], pa.time64("us")), "NANOTIME",
           ["1970-01-01T00:00:00.000001000", None, "1970-01-01T00:00:00.000003000"]),
    "tn": (pa.array([1, None, 3], pa.time64("ns")), "NANOTIME",
           ["1970-01-01T00:00:00.000000001", None, "1970-01-01T00:00:00.000000003"]),
    "xs": (pa.array([1, None, 3], pa.timestamp("s")), "DATETIME", ["1970-01-01T00:00:01", None, "1970-01-01T00:00:03"]),
    "xm": (pa.array([1, None, 3], pa.timestamp("ms")), "TIMESTAMP",
           ["1970-01-01T00:00:00.001", None, "1970-01-01T00:00:00.003"]),
    "xu": (pa.array([1, None, 3], pa.timestamp("us")), "NANOTIMESTAMP",
           ["1970-01-01T00:00:00.000001000", None, "1970-01-01T00:00:00.000003000"]),
    "xn": (pa.array([1, None, 3], pa.timestamp("ns")), "NANOTIMESTAMP",
           ["1970-01-01T00:00:00.000000001", None, "1970-01-01T00:00:00.000000003"]),
    "s": (pa.array(["a", None, "ccc"]), "STRING", ["a", "", "ccc"]),
    "ls": (pa.array(["a", None, "ccc"], pa.large_string()), "STRING", ["a", "", "ccc"]),
    "sym": (pa.array(["x", None, "x"]).dictionary_encode(), "SYMBOL", ["x", "", "x"]),
    "bl": (pa.array([b"\x00a", None, b"z"], pa.binary()), "BLOB", [b"\x00a", b"", b"z"]),
    "u": (pa.array([uuid.UUID(int=1).bytes, None, uuid.UUID("5d212a78-cc48-e3b1-4235-b4d91473ee87").bytes],
                   pa.binary(16)), "UUID",
          ["00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000000",
           "5d212a78-cc48-e3b1-4235-b4d91473ee87"]),
    "dec": (pa.array([decimal.Decimal("1.25"), None, decimal.Decimal("-3.00")], pa.decimal128(10, 2)), "DECIMAL128(2)",
            [decimal.Decimal("1.25"), None, decimal.Decimal("-3.00")]),
    "av": (pa.array([[1, 2], [], None], pa.list_(pa.int32())), "INT[]", [[1, 2], [], []]),
    "avd": (pa.array([[1.5], [None], [2.5, 3.5]], pa.large_list(pa.float64())), "DOUBLE[]", [[1.5], [None], [2.5, 3.5]]),
}


def _plain(values):
    out = []
    for v in values:
        if isinstance(v, np.ndarray):
            out.append(_plain(list(v)))
        elif isinstance(v, np.datetime64):
            out.append(None if np.isnat(v) else str(v))
        elif isinstance(v, float) and np.isnan(v):
            out.append(None)
        elif isinstance(v, (np.floating, np.integer, np.bool_)):
            out.append(None if isinstance(v, np.floating) and np.isnan(v) else v.item())
        else:
            out.append(v)
    return out


def test_pyarrow_tables_upload_under_the_arrow_protocol(server):
    chunks = pa.table({name: arr for name, (arr, _, _) in ARROW_UPLOAD.items()})
    table = pa.concat_tables([chunks.slice(0, 1), chunks.slice(1)])   # several batches per column
    s = ddb.Session(protocol=keys.PROTOCOL_ARROW)
    assert s.connect("127.0.0.1", server.port, "admin", "123456")
    s.upload({"pt": table})
    schema = s.run("schema(pt).colDefs")
    if isinstance(schema, pa.Table):
        schema = schema.to_pandas()
    assert list(schema["typeString"]) == [t for _, t, _ in ARROW_UPLOAD.values()]
    for name, (_, _, expected) in ARROW_UPLOAD.items():
        assert _plain(s.run(f"exec {name} from pt")) == expected, name
    # Through a function call and the pool too.
    assert s.run("size", table) == 3
    pool = ddb.DBConnectionPool("127.0.0.1", server.port, 1, "admin", "123456", protocol=keys.PROTOCOL_ARROW)
    try:
        assert pool.runTaskAsync("size", table).result(10) == 3
    finally:
        pool.shutDown()
    s.close()


def test_pyarrow_tables_need_the_arrow_protocol(server):
    table = pa.table({"i": [1]})
    for proto in (keys.PROTOCOL_DDB, keys.PROTOCOL_PICKLE):
        s = ddb.Session(protocol=proto)
        assert s.connect("127.0.0.1", server.port, "admin", "123456")
        with pytest.raises(RuntimeError, match=r"^pyarrow.Table upload requires protocol='arrow'.$"):
            s.upload({"pt": table})
        with pytest.raises(RuntimeError, match=r"^pyarrow.Table upload requires protocol='arrow'.$"):
            s.run("size", table)
        s.close()
    with pytest.raises(_core.ConversionError, match="Cannot convert Arrow column 'u' of type I"):
        _core.dumps(pa.table({"u": pa.array([1], pa.uint32())}))


def test_server_shaped_pickle_streams_are_rebuilt_without_copies():
    """Streams written as a server writes them (no memo; arrays as _reconstruct + BUILD): numeric
    columns wrap the decoded bytes, object arrays are filled from the stream's items directly,
    and SYMBOL entries become one str per distinct string. Values equal pickle.loads."""
    from dolphindb.server.wire.pickle import PickleWriter, _Call, _Global, _ndarray

    def stream(obj):
        w = PickleWriter()
        w.save(obj)
        return w.finish()

    mixed = np.empty(6, dtype=object)
    mixed[:] = ["a", None, 7, "é", 2.5, ("t", 1)]
    frame_body = _Call(_Global("pandas", "DataFrame"), ({
        "i": _ndarray(np.arange(4, dtype=np.int32)),
        "s": _Call(_Global("pandas", "Series"), (_ndarray(np.array(["x", "", "yy", "x"], dtype=object)), None, "object")),
        "sym": _Call(_Global("pandas", "Series"), (_ndarray(np.array(["A", "B", "A", "A"], dtype=object), symbols=True),
                                                   None, "object")),
    },))
    plain = stream(_ndarray(mixed))
    replies = {"mixed": b"\x00\x21" + plain, "frame": b"\x00\x26" + stream(frame_body)}
    with StubServer(lambda seen: replies[seen.text]) as stub:
        s = _session(stub.port, protocol=keys.PROTOCOL_PICKLE)
        got = s.run("mixed")
        want = pickle.loads(plain)
        assert got.dtype == object and got.tolist() == want.tolist()
        frame = s.run("frame")
        s.close()
    expected = pd.DataFrame({"i": np.arange(4, dtype=np.int32), "s": pd.Series(["x", "", "yy", "x"], dtype=object),
                             "sym": pd.Series(["A", "B", "A", "A"], dtype=object)})
    pd.testing.assert_frame_equal(frame, expected)
    ints = frame["i"].to_numpy()
    assert not ints.flags.owndata and ints.ctypes.data % 64 == 0   # a view of the decoded buffer
    syms = frame["sym"].to_numpy()
    assert syms[0] is syms[2] is syms[3]                             # one str per symbol entry
