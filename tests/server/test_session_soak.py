"""One session's life under a long mix of requests: uploads of every form (refused ones too),
errors, large arguments and cut waits. The session id never changes while the connection lives,
every reply answers its own request, and a session stays with the connection that opened it."""
from __future__ import annotations

import os
import random

import numpy as np
import pandas as pd
import pytest

import dolphindb as ddb
import dolphindb.settings as keys
from dolphindb.exceptions import DDBTimeoutError
from dolphindb.server import Server
from dolphindb.server.model.values import INT, Scalar

from test_server_protocol import RawClient
from test_server_security import _closed

INVALID_SESSION = "Invalid session id. Please reconnect."
VALUE_LIMIT = 16 << 20
# Rounds of the mix; DDB_SOAK_ROUNDS=1000 makes the soak run for minutes.
SOAK_ROUNDS = int(os.environ.get("DDB_SOAK_ROUNDS", "20"))


@pytest.fixture
def srv():
    with Server(port=0, workers=4, max_value_bytes=VALUE_LIMIT) as s:
        yield s


def _nat_matrices(s):
    for unit in ("D", "M", "m", "s", "ms", "us", "ns", "h"):
        m = np.array([[None, "2022-01-01"], ["2001-02-03", None], [None, None]], dtype=f"datetime64[{unit}]")
        s.upload({"m": m})
        assert s.run("cols(m)") == 2
        assert s.run("sum(isNull(m))") == 4
        assert s.run("isNull(m[0][0]) and !isNull(m[1][0])")


def _nat_frame(s):
    df = pd.DataFrame({"t": pd.to_datetime([None, "2022-01-01 00:00:01", None]), "v": [1.5, np.nan, 3.0],
                       "s": ["a", None, "c"]})
    s.upload({"df": df})
    assert s.run("exec count(t) from df") == 1
    back = s.run("df")
    assert back["t"].isna().tolist() == [True, False, True]
    assert back["v"].isna().tolist() == [False, True, False]


def _scalars_sets_dicts(s):
    s.upload({"sc": pd.NaT, "st": {1.5, 2.5, np.nan}, "dc": {"a": 1.0, "b": np.nan}, "txt": "x y\nz"})
    assert s.run("isNull(sc)")
    assert s.run("size(st)") == 3
    assert s.run("dc[`a]") == 1.0 and s.run("isNull(dc[`b])")
    assert s.run("txt") == "x y\nz"


def _array_vector_table(s):
    df = pd.DataFrame({"a": [np.array([1, 2, 3], dtype=np.int32), np.array([4], dtype=np.int32),
                             np.array([5, 6], dtype=np.int32)]})
    df.__dict__["__DolphinDB_Type__"] = {"a": keys.DT_INT_ARRAY}
    s.upload({"avt": df})
    assert s.run("typestr(avt.a)") == "FAST INT[] VECTOR"
    assert [list(row) for row in s.run("avt")["a"]] == [[1, 2, 3], [4], [5, 6]]


def _large_arguments(s):
    n = 1 << 20    # 8 MB: more than the socket buffers hold, under the session limit
    big = np.arange(n, dtype=np.int64)
    s.upload({"big": big})
    assert s.run("size(big)") == n
    assert s.run("sum", big) == n * (n - 1) // 2
    s.run("undef(`big)")


def _refused_by_the_client(s):
    for bad in ({"1bad": 1}, {"a": object()}, {"a": np.array([1 + 2j])}):
        with pytest.raises(RuntimeError):
            s.upload(bad)


def _refused_by_the_server(s):
    too_big = np.zeros(VALUE_LIMIT // 8 + 1024, dtype=np.int64)
    with pytest.raises(RuntimeError, match="exceeds the session memory limit"):
        s.upload({"ok_small": 1, "too_big": too_big})
    for name in ("ok_small", "too_big"):   # refused whole
        with pytest.raises(RuntimeError, match=name):
            s.run(name)
    with pytest.raises(RuntimeError, match="no_such_function"):
        s.run("no_such_function", too_big)


def _errors(s):
    for script in ("undefined_name_xyz", "1 +", "throw 'boom'", "table(1..3 as a).b"):
        with pytest.raises(RuntimeError):
            s.run(script)
    with pytest.raises(RuntimeError):
        s.run("add", np.arange(3), np.arange(4))


def _output_and_results(s):
    printed = []
    s.on_message = printed.append
    try:
        assert s.run("print('hello'); 1 + 1") == 2
    finally:
        s.on_message = None
    assert printed == ["hello"]
    assert s.run("sum(1..100000)") == 5000050000
    values, rows, cols = s.run("matrix(1 2 3, 4 5 6)")
    assert values.tolist() == [[1, 4], [2, 5], [3, 6]] and rows is None and cols is None


MIX = [_nat_matrices, _nat_frame, _scalars_sets_dicts, _array_vector_table, _large_arguments,
       _refused_by_the_client, _refused_by_the_server, _errors, _output_and_results]


def test_one_session_keeps_its_id_and_every_reply_through_a_long_mix(srv):
    s = ddb.Session("127.0.0.1", srv.port, "admin", "123456")
    sid = s.getSessionId()
    s.run("anchor = 20261203")
    order = random.Random(20261203)
    for _ in range(SOAK_ROUNDS):
        for step in order.sample(MIX, len(MIX)):
            step(s)
            assert s.getSessionId() == sid, step.__name__
            assert s.run("anchor") == 20261203, step.__name__   # still the same server-side session
    with srv.lock:
        assert [k for k in srv.sessions if k == sid] == [sid]
    s.close()


def test_an_upload_over_the_session_memory_limit_is_refused_whole(srv):
    s = ddb.Session("127.0.0.1", srv.port, "admin", "123456")
    _refused_by_the_server(s)
    assert s.run("1 + 1") == 2
    s.close()


def test_a_wait_cut_while_the_request_is_written_leaves_no_half_request_behind(srv):
    """A deadline that ends the wait in the middle of writing a large argument closes the
    connection: the server would read the next request as the rest of the argument. The next
    request opens a new session and is answered at once."""
    s = ddb.Session("127.0.0.1", srv.port, "admin", "123456")
    s.run("kept = 1")
    sid = s.getSessionId()
    big = np.arange(16 << 20, dtype=np.int64)   # 128 MB: the write blocks while the server is paused
    srv.pause()
    try:
        with pytest.raises(DDBTimeoutError):
            s.run("size", big, timeout=0.5)
    finally:
        srv.resume()
    assert s.run("1 + 1", timeout=10) == 2
    assert s.getSessionId() != sid
    with pytest.raises(RuntimeError, match="kept"):
        s.run("kept", timeout=10)
    s.close()


# -- a session belongs to its connection, whatever the request carries ----------------------------
@pytest.mark.parametrize("login", [("admin", "123456"), None], ids=["admin", "guest"])
def test_an_upload_under_another_connections_session_id_reaches_nothing(srv, login):
    owner = RawClient(srv.port)
    assert owner.script("secret = 42")[0] == "OK"
    thief = RawClient(srv.port, login=login)
    own_sid, thief.sid = thief.sid, owner.sid
    status, _ = thief.request("variable\nsecret\n1\n1", [Scalar(INT, 7)])
    assert status == INVALID_SESSION
    assert _closed(thief.sock)
    assert owner.script("secret")[1].value == 42
    assert own_sid != owner.sid


@pytest.mark.parametrize("login", [("admin", "123456"), None], ids=["admin", "guest"])
def test_a_function_call_under_another_connections_session_id_sees_nothing(srv, login):
    owner = RawClient(srv.port)
    owner.script("def leak(x) { return secret + x }; secret = 42")
    thief = RawClient(srv.port, login=login)
    thief.sid = owner.sid
    status, value = thief.call("leak", Scalar(INT, 1))
    assert status == INVALID_SESSION and value is None
    assert _closed(thief.sock)
    assert owner.call("leak", Scalar(INT, 1))[1].value == 43


def test_a_session_id_stays_valid_only_while_its_connection_lives(srv):
    owner = RawClient(srv.port)
    owner.script("secret = 42")
    sid = owner.sid
    owner.close()
    later = RawClient(srv.port)
    later.sid = sid
    assert later.script("secret")[0] == INVALID_SESSION
    assert _closed(later.sock)
    with srv.lock:
        assert sid not in srv.sessions
