"""Our client and the official client (its own venv) read the same PICKLE, ARROW and compressed
replies into equal objects. Both connect to one stub peer (tests/support/stub_server.py) that answers
each script with fixed bytes: streams of CPython's pickle module, DolphinDB's SYMBOL opcode, Arrow
IPC streams from pyarrow, and compressed tables from the embedded server's codec."""
from __future__ import annotations

import pickle
import struct

import numpy as np
import pandas as pd
import pyarrow as pa

import dolphindb as ddb
import dolphindb.settings as keys
from dolphindb import _core
from dolphindb.server.wire import codec

from support import CAPTURES
from support.official import assert_runs_like_the_official_client
from support.stub_server import StubServer

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


def _compare(official, replies, protocol_name):
    """Both clients, on the session options `protocol_name` stands for, read each reply from one stub."""
    kwargs = {"protocol": getattr(keys, protocol_name)}
    if protocol_name == "PROTOCOL_DDB":
        kwargs["compress"] = True
    with StubServer(lambda seen: replies[seen.text]) as stub:
        s = ddb.Session(**kwargs)
        assert s.connect("127.0.0.1", stub.port)
        connect = f's = ddb.Session(**{kwargs!r})\nassert s.connect("127.0.0.1", {stub.port})'
        assert_runs_like_the_official_client(official, connect, sorted(replies), s)
        s.close()


def test_pickle_replies_match_the_official_client(official):
    replies = _pickle_replies()
    _compare(official, replies, "PROTOCOL_PICKLE")


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
    _compare(official, replies, "PROTOCOL_ARROW")


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
    _compare(official, replies, "PROTOCOL_DDB")
