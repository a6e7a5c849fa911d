"""Our client and the official client (its own venv) read the same PICKLE, ARROW and compressed
replies into equal objects. Both connect to one stub peer (tests/stub_server.py) that answers
each script with fixed bytes: streams of CPython's pickle module, DolphinDB's SYMBOL opcode, Arrow
IPC streams from pyarrow, and compressed tables from the embedded server's codec."""
from __future__ import annotations

import inspect
import json
import pickle
import struct
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

import dolphindb as ddb
import dolphindb.settings as keys
from dolphindb import _core
from dolphindb.server.wire import codec

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import CAPTURES  # noqa: E402
from stub_server import StubServer  # noqa: E402

def describe(obj):
    """A text that is equal only for equal objects of equal types (runs in both clients)."""
    import numpy as np
    import pandas as pd
    try:
        import pyarrow as pa
        if isinstance(obj, pa.Table):
            return "arrow " + str(obj.schema) + " " + repr(obj.to_pydict())
    except ImportError:
        pass
    if isinstance(obj, pd.DataFrame):
        return repr(obj) + " || " + repr([str(d) for d in obj.dtypes]) + " || " + repr(obj.to_dict("list"))
    if isinstance(obj, np.ndarray):
        return "ndarray " + str(obj.dtype) + " " + str(obj.shape) + " " + repr(obj.tolist())
    if isinstance(obj, (list, tuple)):
        return type(obj).__name__ + "[" + ", ".join(describe(x) for x in obj) + "]"
    return type(obj).__name__ + " " + repr(obj)


def _ipc(table):
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _symbol_stream(strings, indices):
    """A list of strings in DolphinDB's SYMBOL opcode form (PROTOCOL.md §7.1)."""
    table = b"".join(b"\x8c" + bytes([len(s)]) + s.encode() for s in strings)
    index_bytes = struct.pack(f"<{len(indices)}i", *indices)
    return b"\x80\x04](\xf1" + table + b"B" + struct.pack("<I", len(index_bytes)) + index_bytes + b"e."


def _captured_payload(name):
    data = (CAPTURES / name).read_bytes()
    return data[data.index(b"OK\n") + 5:]   # after the status line and the flag word


def _pickle_replies():
    n = 6
    frame = pd.DataFrame({
        "i": np.arange(n, dtype=np.int32), "l": np.arange(n, dtype=np.int64) * 10**12, "d": np.linspace(0, 1, n),
        "f": np.linspace(0, 1, n, dtype=np.float32), "b": np.array([True, False] * 3),
        "in": np.array([1.0, np.nan] * 3), "s": np.array(["a", "", "é", "x", "y", "z"], dtype=object),
        "t": pd.to_datetime(np.arange(n) * 10**9 + 1_700_000_000_000_000_000),
        "bo": np.array([True, None] * 3, dtype=object),
    })
    replies = {
        "frame2": pickle.dumps(frame, protocol=2), "frame3": pickle.dumps(frame, protocol=3),
        "frame4": pickle.dumps(frame, protocol=4),
        "tolist": pickle.dumps([frame[c].to_numpy() for c in frame.columns], protocol=4),
        "objmatrix": None, "nummatrix": None,
        "symbols": _symbol_stream(["", "IBM", "MSFT"], [1, 2, 1, 0, 2]),
        "reduce": _captured_payload("g1c_pickle_reduce/c01_p28968_m04_resp.bin"),
        "nested": pickle.dumps({"a": [1, 2.5, None, "x"], "b": (True, b"raw")}, protocol=4),
    }
    objs = np.array([["a", "b", "c"], ["d", "e", "f"]], dtype=object)
    replies["objmatrix"] = pickle.dumps([objs, None, ["c1", "c2", "c3"]], protocol=4)
    replies["nummatrix"] = pickle.dumps([np.arange(6, dtype=np.int32).reshape(2, 3), ["r1", "r2"], None], protocol=4)
    return {k: (b"\x00\x23" if "matrix" in k else b"\x00\x26") + v for k, v in replies.items()}


def _compare(official, port, protocol_name, scripts, ours_session):
    code = inspect.getsource(describe) + f"""
import json, dolphindb as ddb, dolphindb.settings as keys
s = ddb.Session(protocol=keys.{protocol_name}{', compress=True' if protocol_name == 'PROTOCOL_DDB' else ''})
assert s.connect("127.0.0.1", {port})
print(json.dumps({{script: describe(s.run(script)) for script in {scripts!r}}}))
"""
    expected = json.loads(official(code).strip().splitlines()[-1])
    mismatches = {}
    for script in scripts:
        ours = describe(ours_session.run(script))
        if ours != expected[script]:
            mismatches[script] = (ours, expected[script])
    assert not mismatches, mismatches


def test_pickle_replies_match_the_official_client(official):
    replies = _pickle_replies()
    with StubServer(lambda seen: replies[seen.text]) as stub:
        s = ddb.Session(protocol=keys.PROTOCOL_PICKLE)
        assert s.connect("127.0.0.1", stub.port)
        _compare(official, stub.port, "PROTOCOL_PICKLE", sorted(replies), s)
        s.close()


def test_arrow_replies_match_the_official_client(official):
    tables = {
        "basic": pa.table({"i": pa.array([1, None, 3], pa.int32()), "s": pa.array(["a", None, "c"]),
                           "d": pa.array([1.5, 2.5, None]), "ts": pa.array([1, 2, None], pa.timestamp("ms"))}),
        "symbols": pa.table({"sym": pa.array(["x", "y", "x"]).dictionary_encode(),
                             "dt": pa.array([0, 1, None], pa.date32()), "tm": pa.array([1, None, 3], pa.time32("ms"))}),
        "lists": pa.table({"av": pa.array([[1, 2], [], None], pa.list_(pa.int32())),
                           "u": pa.array([b"0" * 16, None, b"1" * 16], pa.binary(16))}),
        "empty": pa.table({"i": pa.array([], pa.int64())}),
    }
    replies = {k: b"\x00\x26" + _ipc(t) for k, t in tables.items()}
    with StubServer(lambda seen: replies[seen.text]) as stub:
        s = ddb.Session(protocol=keys.PROTOCOL_ARROW)
        assert s.connect("127.0.0.1", stub.port)
        _compare(official, stub.port, "PROTOCOL_ARROW", sorted(replies), s)
        s.close()


def test_compressed_replies_match_the_official_client(official):
    n = 70_000   # more than one 64 KiB block per column
    frame = pd.DataFrame({
        "i": np.arange(n, dtype=np.int32), "l": np.arange(n, dtype=np.int64) * 3,
        "d": np.sin(np.arange(n)), "s": np.array([f"s{i % 100}" for i in range(n)], dtype=object),
        "t": pd.to_datetime(np.arange(n) * 10**6 + 1_700_000_000_000_000_000),
        "n": np.where(np.arange(n) % 7 == 0, np.nan, np.arange(n, dtype=np.float64)),
    })
    table = codec.decode_bytes(_core.dumps(frame))
    replies = {"t": codec.encode(table, compress=True), "plain": codec.encode(table)}
    assert b"\x1a\x01" in replies["t"]
    with StubServer(lambda seen: replies[seen.text]) as stub:
        s = ddb.Session(protocol=keys.PROTOCOL_DDB, compress=True)
        assert s.connect("127.0.0.1", stub.port)
        _compare(official, stub.port, "PROTOCOL_DDB", sorted(replies), s)
        s.close()
