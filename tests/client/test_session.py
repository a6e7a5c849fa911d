"""dolphindb.Session against the embedded server over real sockets."""
from __future__ import annotations

import datetime
import threading
import time

import numpy as np
import pandas as pd
import pytest

import dolphindb as ddb
from dolphindb import settings


@pytest.fixture
def s(server):
    sess = ddb.Session()
    assert sess.connect("127.0.0.1", server.port, "admin", "123456")
    yield sess
    sess.close()


def test_run_scalars_vectors_and_tables(s):
    assert s.run("1+1") == 2
    assert s.run("1.5 * 2") == 3.0
    assert s.run("`abc") == "abc"
    v = s.run("1 2 3")
    assert v.dtype == np.int32 and v.tolist() == [1, 2, 3]
    t = s.run("table(1 2 3 as a, `x`y`z as b)")
    assert isinstance(t, pd.DataFrame) and list(t.columns) == ["a", "b"]
    assert t["a"].tolist() == [1, 2, 3] and t["b"].tolist() == ["x", "y", "z"]
    assert s.run("x = 1") is None


def test_function_call_with_python_arguments(s):
    assert s.run("add", 1, 2) == 3
    df = pd.DataFrame({"a": np.array([1, 2], dtype=np.int32), "b": ["u", "v"]})
    s.run("t = table(1:0, `a`b, [INT, STRING])")
    assert s.run("tableInsert{t}", df) == 2
    assert s.run("exec count(*) from t") == 2


def test_upload_returns_minus_one_and_defines_variables(s):
    assert s.upload({"xs": np.array([1.5, 2.5]), "n": 7}) == -1
    assert s.run("sum(xs) + n") == 11.0
    with pytest.raises(RuntimeError, match="not a qualified variable name"):
        s.upload({"1bad": 1})
    with pytest.raises(RuntimeError, match="non-string key"):
        s.upload({1: 1})


def test_server_errors_keep_the_official_text_and_the_session_usable(s):
    with pytest.raises(RuntimeError, match=r"<Exception> in exec: Server Response: 'Syntax Error: \[line #1\] "
                                           r"Cannot recognize the token asdeee.*' script: asdeee"):
        s.run("asdeee")
    with pytest.raises(RuntimeError, match="in call: Server Response: 'Can't recognize function name nope"):
        s.run("nope", 1)
    assert s.run("2*3") == 6


def test_connect_failures_return_false_with_a_reason(server):
    sess = ddb.Session()
    assert sess.connect("127.0.0.1", 1, "admin", "123456") is False
    assert "127.0.0.1:1" in sess.last_error
    assert sess.connect("127.0.0.1", server.port, "admin", "wrong") is False
    assert "The user name or password is incorrect" in sess.last_error


def test_wrong_password_leaves_no_session_on_the_server(server, s):
    before = len(s.run("getSessionMemoryStat()"))
    for _ in range(3):
        assert ddb.Session().connect("127.0.0.1", server.port, "admin", "wrong") is False
    time.sleep(0.2)
    # <=: a session an earlier test closed may end meanwhile; three leaked ones would add 3.
    assert len(s.run("getSessionMemoryStat()")) <= before


def test_close_is_idempotent_and_later_calls_fail_clearly(server):
    sess = ddb.Session("127.0.0.1", server.port, "admin", "123456")
    assert not sess.isClosed()
    sess.close()
    sess.close()
    assert sess.isClosed()
    with pytest.raises(RuntimeError, match="connection has been closed"):
        sess.run("1")


def test_print_output_goes_to_logging_and_the_callback(server, caplog):
    seen = []
    sess = ddb.Session(on_message=seen.append)
    sess.connect("127.0.0.1", server.port, "admin", "123456")
    with caplog.at_level("INFO", logger="dolphindb"):
        assert sess.run("print(\"hi there\"); 5") == 5
    assert seen == ["hi there"]
    assert "hi there" in caplog.text
    sess.close()


def test_read_timeout_fails_the_call_and_closes_the_connection(server):
    sess = ddb.Session()
    assert sess.connect("127.0.0.1", server.port, "admin", "123456", timeout=datetime.timedelta(seconds=0.3))
    t0 = time.perf_counter()
    with pytest.raises(RuntimeError, match="timed out"):
        sess.run("sleep(600000)")
    assert time.perf_counter() - t0 < 30     # generous: only a call that waited for the 10-minute reply fails
    with pytest.raises(TypeError, match="must be datetime.timedelta"):
        sess.connect("127.0.0.1", server.port, timeout="1s")
    sess.close()


def test_a_session_shared_by_threads_serializes(s):
    out = []

    def worker(i):
        out.append(s.run(f"{i} * 10"))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    [t.start() for t in threads]
    [t.join(10) for t in threads]
    assert sorted(out) == [i * 10 for i in range(8)]


def test_fetch_size_returns_a_block_reader(s):
    s.run("big = table(1..20000 as a)")
    reader = s.run("big", fetchSize=8192)
    sizes = [len(b) for b in reader]
    assert sizes == [8192, 8192, 3616]
    with pytest.raises(RuntimeError, match="fetchSize must be greater than 8192"):
        s.run("big", fetchSize=100)
    assert s.run("1") == 1   # unlike the official client, a fetchSize error does not poison the session


def test_clear_memory_and_validation(s):
    s.run("tmp = 1", clearMemory=True)
    with pytest.raises(RuntimeError, match="Cannot recognize the token tmp"):
        s.run("tmp")
    with pytest.raises(RuntimeError, match="priority must be an integer from 0 to 9"):
        s.run("1", priority=10)
    with pytest.raises(RuntimeError, match="parallelism must be an integer greater than 0"):
        s.run("1", parallelism=0)


def test_protocol_constants_and_validation():
    assert (settings.PROTOCOL_DEFAULT, settings.PROTOCOL_DDB, settings.PROTOCOL_PICKLE,
            settings.PROTOCOL_ARROW) == (0, 1, 2, 3)
    # The official Session raises pydantic's ValidationError, a ValueError.
    with pytest.raises(ValueError, match="Protocol 7 is not supported"):
        ddb.Session(protocol=7)
    with pytest.raises(ValueError, match="The Arrow protocol does not support compression."):
        ddb.Session(protocol=settings.PROTOCOL_ARROW, compress=True)
    with pytest.raises(RuntimeError, match="parser must not be specified when python=true"):
        ddb.Session(python=True, parser="kdb")


def test_compress_round_trips_tables_both_ways(server):
    sess = ddb.Session(compress=True)
    assert sess.connect("127.0.0.1", server.port, "admin", "123456")
    n = 100_000
    df = pd.DataFrame({"ts": np.datetime64("2024-01-01T09:30:00", "ms") + np.arange(n).astype("timedelta64[ms]"),
                       "px": np.linspace(1.0, 2.0, n), "q": np.arange(n, dtype=np.int32) % 100})
    sess.run("ct = table(1:0, `ts`px`q, [TIMESTAMP, DOUBLE, INT])")
    assert sess.run("tableInsert{ct}", df) == n       # uploaded as a compressed table
    back = sess.run("select * from ct")                # downloaded with compressed columns
    assert back["q"].tolist() == df["q"].tolist()
    assert (back["ts"].to_numpy() == df["ts"].to_numpy().astype("datetime64[ns]")).all()
    np.testing.assert_array_equal(back["px"].to_numpy(), df["px"].to_numpy())
    sess.close()
