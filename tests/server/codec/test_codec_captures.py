"""The embedded server's codec on the official client's captured traffic: every reply object
decodes; every function/variable argument decodes, re-encodes byte for byte and holds what
client_code.py sent."""
from __future__ import annotations

import numpy as np
import pytest
from dolphindb.server.wire import codec
from dolphindb.server.wire.codec import BytesReader, CodecError, decode, decode_bytes, encode
from dolphindb.server.model.values import BOOL, DOUBLE, INT, LONG, STRING, TIMESTAMP, VOID, Table
from support import CAPTURES
from support.codec_checks import DOUBLE_NULL, INT_NULL, LONG_NULL, StreamReader, assert_same, decode_stream, vals


# ============================================================================ captures
def _split_response(raw: bytes):
    """(status, numObjects, object bytes) after MSG frames and the header/status lines."""
    pos = 0
    while raw.startswith(b"MSG\n", pos):
        pos = raw.index(b"\0", pos) + 1
    if pos == len(raw):
        return None
    end = raw.index(b"\n", pos)
    n = int(raw[pos:end].split(b" ")[1])
    pos = end + 1
    end = raw.index(b"\n", pos)
    return raw[pos:end], n, raw[end + 1:]


RESPONSES = sorted(CAPTURES.glob("*/c*_resp.bin"))


def _response_objects():
    out = []
    for f in RESPONSES:
        parts = _split_response(f.read_bytes())
        if parts is not None and parts[0] == b"OK" and parts[1] == 1:
            out.append(pytest.param(f, parts[2], id=f"{f.parent.name}/{f.stem}"))
    return out


def test_capture_corpus_is_present():
    assert len(RESPONSES) > 100 and len(_response_objects()) > 100


@pytest.mark.parametrize("path,obj", _response_objects())
def test_captured_reply_objects_decode(path, obj):
    if obj[1] & 0x20:          # form | 0x20: a pickle or Arrow stream (§7), not a DDB object
        assert path.parent.name in ("g1_pickle", "g1b_pickle_list", "g1c_pickle_reduce", "g2_arrow")
        if path.parent.name == "g2_arrow":     # the same bytes as an Arrow table upload
            assert isinstance(decode_bytes(obj), Table)
            return
        with pytest.raises(CodecError, match="PICKLE/ARROW|not an Arrow IPC stream"):
            decode_bytes(obj)
        return
    v = decode_bytes(obj)
    assert_same(decode_stream(obj), v)
    compressed = obj[:2] == b"\x08\x06" and b"\x1a\x01" in obj
    again = encode(v, compress=compressed)
    if compressed:
        # the test server wrote literal-only LZ4 blocks; ours are real LZ4: same values, fewer bytes
        assert len(again) <= len(obj)
    else:
        assert again == obj
    assert_same(decode_bytes(again), v)


def _reply(case: str, msg: str):
    f = next((CAPTURES / case).glob(f"c01_*_{msg}_resp.bin"))
    return decode_bytes(_split_response(f.read_bytes())[2])


def test_captured_reply_values():
    t = _reply("c_run_1plus1", "m08")
    assert list(t.columns) == ["id", "price", "name", "sym", "ts"]
    assert vals(t.columns["id"]) == [1, 2, INT_NULL]
    assert t.columns["price"].data[:2].tolist() == [1.5, 2.25] and t.columns["price"].data[2] == DOUBLE_NULL
    assert vals(t.columns["name"]) == ["a", "bb", ""] and vals(t.columns["sym"]) == ["IBM", "MSFT", "IBM"]
    assert vals(t.columns["ts"]) == [1704164645678, 1704164646678, LONG_NULL]     # 2024.01.02T03:04:05.678
    assert vals(_reply("c_run_1plus1", "m09")) == [1, 2, INT_NULL]
    assert vals(_reply("c_run_1plus1", "m10")) == ["a", "b", "a"]
    assert [x.value for x in _reply("c_run_1plus1", "m11").data] == [300, ""]
    assert_same(_reply("f1_compress_session", "m06"), t)        # the same table, compressed
    d = _reply("f3_mtw_compress_methods", "m04")
    assert vals(d.keys) == ["colDefs", "partitionColumnName"]
    assert vals(d.values.data[0].columns["typeInt"]) == [INT, DOUBLE, TIMESTAMP, STRING]
    perf = _reply("j1_pool_loadbalance", "m04")
    assert vals(perf.columns["port"]) == [29018, 29019, 29020]
    assert _reply("j5_session_ha_notleader", "m06").value.startswith("3.00.2.3")


def _argument_streams():
    out = []
    for f in sorted(CAPTURES.glob("*/c*_req.bin")):
        head, rest = f.read_bytes().split(b"\n", 1)
        parts = head.split(b" ")
        if parts[0] != b"API2":
            continue
        length = int(parts[2])
        lines = rest[:length].split(b"\n")
        if lines[0] in (b"function", b"variable") and int(lines[2]) > 0:
            out.append(pytest.param(f, lines[1].decode(), int(lines[2]), rest[length:],
                                    id=f"{f.parent.name}/{f.stem}"))
    return out


def _df_sample(t):
    """client_code.py's df_sample(): i int32 [1,2], d [1.5, nan], s ["ab","c"], t ms timestamps."""
    assert list(t.columns) == ["i", "d", "s", "t"]
    assert t.columns["i"].type == INT and vals(t.columns["i"]) == [1, 2]
    assert t.columns["d"].type == DOUBLE and t.columns["d"].data[0] == 1.5 and t.columns["d"].data[1] == DOUBLE_NULL
    assert t.columns["s"].type == STRING and vals(t.columns["s"]) == ["ab", "c"]
    ms = np.array(["2024-01-02T03:04:05.678", "2024-01-02T03:04:06.000"], "datetime64[ms]").astype(np.int64)
    assert t.columns["t"].type == TIMESTAMP and vals(t.columns["t"]) == ms.tolist()
    return True


EXPECTED_ARGS = {   # (case, message) -> check of the decoded argument list, from client_code.py
    ("d_run_function_args", "m04"): lambda a: [(x.type, x.value) for x in a] == [(LONG, 1), (LONG, 2)],
    ("d_run_function_args", "m05"): lambda a: [(x.type, x.value) for x in a] == [(DOUBLE, 1.5), (LONG, 2)],
    ("d_run_function_args", "m06"): lambda a: a[0].type == LONG and vals(a[0]) == [1, 2, 3],
    ("d_run_function_args", "m07"): lambda a: a[0].type == DOUBLE and a[0].data[0] == 1.5 and a[0].data[1] == DOUBLE_NULL,
    ("d_run_function_args", "m08"): lambda a: a[0].type == STRING and vals(a[0]) == ["x", "yz"],
    ("d_run_function_args", "m09"): lambda a: _df_sample(a[0]),
    ("d_run_function_args", "m10"): lambda a: (a[0].type, a[0].value) == (STRING, "hello"),
    ("d_run_function_args", "m11"): lambda a: [(x.type, x.value) for x in a[0].data] == [(LONG, 1), (STRING, "a"), (DOUBLE, 2.5)],
    ("d_run_function_args", "m12"): lambda a: vals(a[0].keys) == ["k"] and vals(a[0].values) == [1],
    ("d_run_function_args", "m13"): lambda a: (a[0].type, a[0].value) == (BOOL, 1),
    ("d_run_function_args", "m14"): lambda a: (a[0].type, a[0].value, a[0].scale) == (VOID, None, 0),
    ("e_upload", "m04"): lambda a: _df_sample(a[0]) and a[1].type == INT and vals(a[1]) == [1, 2, 3],
    ("e_upload", "m05"): lambda a: (a[0].type, a[0].value) == (LONG, 42),
    ("f1_compress_session", "m04"): lambda a: _df_sample(a[0]) and a[0].type == 8,
    ("f1_compress_session", "m05"): lambda a: _df_sample(a[0]) and a[0].type == 8,
    ("f2_compress_pool", "m04"): lambda a: _df_sample(a[0]) and a[0].type == 8,
    ("f3_mtw_compress_methods", "m04"): lambda a: _mtw_rows(a[0]),
    ("g1_pickle", "m07"): lambda a: _df_sample(a[0]),
    ("g2_arrow", "m06"): lambda a: _df_sample(a[0]),
    ("o_misc_session_methods", "m06"): lambda a: _df_sample(a[0]),
    ("b2_session_ctor_login", "m04"): lambda a: [(x.type, x.value) for x in a] == [(STRING, "user2"), (STRING, "pw2"), (BOOL, 0)],
    ("i_pool_asyncio", "m05"): lambda a: [x.value for x in a] == [1, 2],
    ("l_run_kwargs", "m11"): lambda a: [x.value for x in a] == [1, 2],
}


def _mtw_rows(t):
    """MultithreadedTableWriter: insert(i*3, 1.5*i, base + i s, f"n{i}") for i < 5, then all None."""
    assert list(t.columns) == ["id", "price", "ts", "name"]
    assert vals(t.columns["id"]) == [0, 3, 6, 9, 12, INT_NULL]
    assert t.columns["price"].data[:5].tolist() == [0.0, 1.5, 3.0, 4.5, 6.0] and t.columns["price"].data[5] == DOUBLE_NULL
    base = int(np.datetime64("2024-01-02T03:04:05.678", "ms").astype(np.int64))
    assert vals(t.columns["ts"]) == [base + 1000 * i for i in range(5)] + [LONG_NULL]
    assert vals(t.columns["name"]) == ["n0", "n1", "n2", "n3", "n4", ""]
    return True


@pytest.mark.parametrize("path,func,count,args", _argument_streams())
def test_captured_arguments_decode_reencode_and_hold_the_sent_values(path, func, count, args):
    for reader, pos in ((BytesReader(args), lambda r: r.pos), (StreamReader(args), lambda r: r.pos)):
        values, out = [], b""
        for _ in range(count):
            start = pos(reader)
            v = decode(reader)
            piece = args[start:pos(reader)]
            compressed = piece[:2] == b"\x08\x06" and b"\x1a\x01" in piece
            out += encode(v, compress=compressed)
            values.append(v)
        assert pos(reader) == len(args) and out == args
    key = (path.parent.name, path.stem.split("_")[2])
    if key in EXPECTED_ARGS:
        assert EXPECTED_ARGS[key](values)
    else:
        pytest.fail(f"no expected values listed for {key} ({func})")


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
    assert t.columns["d"].data[1] == DOUBLE_NULL and t.columns["d"].data[0] == 1.5
    assert list(t.columns["s"].data) == ["ab", "c"]
    assert t.columns["t"].type == TIMESTAMP
    assert v.data.tolist() == [1, 2, 3]
