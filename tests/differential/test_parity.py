"""Where users of the official client rely on a detail: the same script, call or mistake gives the
same result or error text with our client as with the official one, against one embedded server."""
from __future__ import annotations

import asyncio
import inspect
import json
import os
import subprocess
import sys
import time

import pytest

import dolphindb as ddb
import dolphindb.settings as keys
from support.official import outcomes_in_both_clients

USER, PASSWORD = "admin", "123456"

# Results whose shape the official client fixes whatever the protocol: a pair of VOIDs, NULL
# dictionary keys (the LONG sentinel for every integral width, '' for strings).
SCRIPTS = [
    "NULL : NULL", "pair(NULL, NULL)", "NULL : 1", "1 : NULL",
    "dict([char(NULL), 1c], [1, 2])", "dict([short(NULL), 1h], [1, 2])", "dict([int(NULL), 1], [1, 2])",
    "dict([long(NULL), 1l], [1, 2])", "dict([string(NULL), `b], [1, 2])",
    "dict([1, 2], [char(NULL), 1c])",
]

PROTOCOLS = {"default": {}, "ddb": {"protocol": keys.PROTOCOL_DDB}, "pickle": {"protocol": keys.PROTOCOL_PICKLE}}


def _outcome(run):
    try:
        return repr(run())
    except Exception as e:   # the error text is part of the behaviour compared (ours are typed
        kind = "RuntimeError" if isinstance(e, RuntimeError) else type(e).__name__   # RuntimeErrors)
        return f"{kind}: {e}"


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_pairs_and_dictionary_keys_match_the_official_client(server, official, protocol):
    kwargs = PROTOCOLS[protocol]
    code = inspect.getsource(_outcome) + f"""
import json, dolphindb as ddb
s = ddb.Session(**{kwargs!r})
assert s.connect("127.0.0.1", {server.port}, "{USER}", "{PASSWORD}")
print(json.dumps({{script: _outcome(lambda: s.run(script)) for script in {SCRIPTS!r}}}))
"""
    expected = json.loads(official(code).strip().splitlines()[-1])
    s = ddb.Session(**kwargs)
    assert s.connect("127.0.0.1", server.port, USER, PASSWORD)
    ours = {script: _outcome(lambda script=script: s.run(script)) for script in SCRIPTS}
    s.close()
    assert ours == expected
    assert ours["NULL : NULL"] == "[None, None]"
    assert ours["dict([short(NULL), 1h], [1, 2])"] == "{1: 2, -9223372036854775808: 1}"


# ----------------------------------------------------------------------- strings of 256 KiB
LONG_TEXT_CASES = {
    "upload str": "s.upload({'x': big})",
    "upload ndarray": "s.upload({'x': np.array([big, 'b'])})",
    "upload list": "s.upload({'x': [big]})",
    "upload dict": "s.upload({'x': {'a': big}})",
    "upload frame": "s.upload({'x': pd.DataFrame({'a': [big]})})",
    "upload bytes": "s.upload({'x': big.encode()})",
    "argument str": "s.run('strlen', big)",
    "argument just below": "s.run('strlen', big[1:])",
    "table argument": "s.run('t = table(1:0, [`a], [STRING])') or s.run('tableInsert{t}', pd.DataFrame({'a': [big]}))",
    "symbol column": "s.upload({'x': pd.DataFrame({'a': pd.Series([big], dtype='category')})})",
    "after": "s.run('1 + 1')",
}


def _long_text_outcomes(s, cases):
    import numpy as np
    import pandas as pd
    names = {"s": s, "np": np, "pd": pd, "big": "a" * (256 * 1024)}
    return {name: _outcome(lambda expr=expr: eval(expr, names)) for name, expr in cases.items()}


def test_strings_of_256_kib_are_refused_with_the_official_text(server, official):
    code = inspect.getsource(_outcome) + inspect.getsource(_long_text_outcomes) + f"""
import json, dolphindb as ddb
s = ddb.Session(protocol=1)
assert s.connect("127.0.0.1", {server.port}, "{USER}", "{PASSWORD}")
print(json.dumps(_long_text_outcomes(s, {LONG_TEXT_CASES!r})))
"""
    expected = json.loads(official(code).strip().splitlines()[-1])
    for kw in ({}, {"protocol": keys.PROTOCOL_DDB}, {"compress": True}):
        s = ddb.Session(**kw)
        assert s.connect("127.0.0.1", server.port, USER, PASSWORD)
        assert _long_text_outcomes(s, LONG_TEXT_CASES) == expected, kw
        s.close()
    assert expected["upload str"] == ("RuntimeError: <Exception> in upload: String too long, Serialization failed, "
                                      "length must be less than 256K bytes.")


# ------------------------------------------------------------------------------ the package
def test_session_alias_stays_the_class_after_the_submodule_is_imported():
    code = """
import dolphindb as ddb
ddb.Session
import dolphindb.session
from dolphindb.session import BlockReader
assert ddb.session is ddb.Session, ddb.session
print(type(ddb.session("127.0.0.1", None)).__name__)
"""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Session"
    import dolphindb.session  # noqa: F401  (in this process too)
    assert ddb.session is ddb.Session


# ------------------------------------------------------------------------------ the session
def test_block_reader_has_next_is_a_property(server):
    s = ddb.Session()
    assert s.connect("127.0.0.1", server.port, USER, PASSWORD)
    reader = s.run("table(1..20000 as x)", fetchSize=8192)
    sizes = []
    while reader.has_next:
        assert reader.hasNext() is True
        sizes.append(len(reader.read()))
    assert reader.has_next is False and sizes == [8192, 8192, 3616]
    s.close()


def test_init_script_is_rerun_on_every_new_session_and_connect_replaces_it():
    from dolphindb.server import Server
    with Server(port=0) as srv:
        s = ddb.Session()
        assert s.getInitScript() == ""
        s.setInitScript("ignored = 1")
        assert s.connect("127.0.0.1", srv.port, USER, PASSWORD, reconnect=True)
        assert s.getInitScript() == ""                    # connect(startup=None) resets it
        s.setInitScript("base = 40")
        assert s.startup == "base = 40"
        srv.drop_connections()
        assert s.run("base + 2") == 42                   # the reconnect ran the new script
        assert s.connect("127.0.0.1", srv.port, USER, PASSWORD, startup="other = 1")
        assert s.getInitScript() == "other = 1" and s.run("other") == 1
        with pytest.raises(TypeError):
            s.setInitScript(None)
        s.close()


def test_enable_pickle_with_compress_talks_ddb_and_returns_results(server, official):
    code = f"""
import dolphindb as ddb
s = ddb.Session(enablePickle=True, compress=True)
assert s.connect("127.0.0.1", {server.port}, "{USER}", "{PASSWORD}")
print(s.run("table(1 2 as x, `a`b as s)").to_dict())
"""
    expected = official(code).strip().splitlines()[-1]
    for kw in ({"enablePickle": True}, {"protocol": keys.PROTOCOL_PICKLE}):
        s = ddb.Session(compress=True, **kw)
        assert s.protocol == keys.PROTOCOL_DDB
        assert s.connect("127.0.0.1", server.port, USER, PASSWORD)
        assert str(s.run("table(1 2 as x, `a`b as s)").to_dict()) == expected
        s.close()


# --------------------------------------------------------------------------------- the pool
def test_pool_start_loop_runs_coroutines_and_shutdown_stops_it(server):
    pool = ddb.DBConnectionPool("127.0.0.1", server.port, 2, USER, PASSWORD)
    try:
        assert pool.loop is None and pool.thread is None
        pool.startLoop()
        with pytest.raises(RuntimeError, match="^Event loop is already started!$"):
            pool.startLoop()
        assert pool.thread.daemon and pool.loop.is_running()
        assert asyncio.run_coroutine_threadsafe(pool.run("1 + 1"), pool.loop).result(10) == 2
        loop, thread = pool.loop, pool.thread
        asyncio.run_coroutine_threadsafe(pool.stopLoop(), loop)   # stops the loop it runs on
        thread.join(10)
        assert not thread.is_alive() and not loop.is_running()
    finally:
        pool.shutDown()
    assert pool.loop is None and pool.thread is None and loop.is_closed()


def test_pool_shutdown_stops_a_running_loop(server):
    pool = ddb.DBConnectionPool("127.0.0.1", server.port, 1, USER, PASSWORD)
    pool.startLoop()
    loop, thread = pool.loop, pool.thread
    assert asyncio.run_coroutine_threadsafe(pool.run("3"), loop).result(10) == 3
    pool.shutDown()
    assert not thread.is_alive() and loop.is_closed()


# ------------------------------------------------------------------------------ what is printed
def test_wrong_credentials_and_failed_attempts_are_printed_like_the_official_client(server, official, capsys):
    script = f"""
import dolphindb as ddb
print("connected", ddb.Session().connect("127.0.0.1", {server.port}, "{USER}", "wrong"))
print("connected", ddb.Session().connect("127.0.0.1", 1, "{USER}", "{PASSWORD}", reconnect=True, tryReconnectNums=3))
"""
    theirs = official(script)
    assert ddb.Session().connect("127.0.0.1", server.port, USER, "wrong") is False
    assert ddb.Session().connect("127.0.0.1", 1, USER, PASSWORD, reconnect=True, tryReconnectNums=3) is False
    ours = capsys.readouterr().out
    for out in (theirs, ours):
        lines = out.splitlines()
        assert sum("The user name or password is incorrect" in line for line in lines) == 1, out
        # "Failed to connect" once per attempt (users count them), each line stamped
        # "<date> <time>: [<thread>] Error: ", then the official summary.
        assert out.count("Failed to connect") == 3, out
        attempts = [line for line in lines if "Failed to connect" in line]
        assert all(" Error: " in line and line[:4].isdigit() for line in attempts), out
        assert "Connect to 127.0.0.1:1 failed after 3 reconnect attempts." in out, out


def test_a_request_after_a_failed_reconnecting_connect_tries_again_like_the_official_client(server, official, capsys):
    # The official client keeps the address: each request tries tryReconnectNums more connects
    # (one "Failed to connect" line each) and then raises; once the server answers, it works.
    script = """
import dolphindb as ddb
s = ddb.Session()
print("connected", s.connect("127.0.0.1", 1, "admin", "123456", reconnect=True, tryReconnectNums=2))
try:
    s.run("1+1")
except RuntimeError as e:
    print("raised", e)
"""
    theirs = official(script)
    s = ddb.Session()
    assert s.connect("127.0.0.1", 1, USER, PASSWORD, reconnect=True, tryReconnectNums=2) is False
    with pytest.raises(RuntimeError) as info:
        s.run("1+1")
    ours = capsys.readouterr().out + f"raised {info.value}\n"
    for out in (theirs, ours):
        assert out.count("Failed to connect") == 4, out
        assert "raised <Exception> in exec: Connect to 127.0.0.1:1 failed after 2 reconnect attempts." in out, out


def test_a_reconnecting_session_that_could_not_connect_works_once_its_server_is_up():
    import socket

    from dolphindb.server import Server
    with socket.socket() as probe:   # a port nothing listens on yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    s = ddb.Session()
    assert s.connect("127.0.0.1", port, USER, PASSWORD, reconnect=True, tryReconnectNums=1) is False
    with Server(port=port, workers=2):
        assert s.run("1+1") == 2 and not s.isClosed()
        assert s.run("2+2") == 4


def test_enable_pickle_with_any_protocol_raises_first_like_the_official_client(official):
    theirs = official("""
import dolphindb as ddb
for protocol in (None, 3, 99):
    try:
        ddb.Session(enablePickle=True, protocol=protocol)
    except Exception as e:
        print(e)
""").splitlines()
    ours = []
    for protocol in (None, 3, 99):
        with pytest.raises(RuntimeError) as info:
            ddb.Session(enablePickle=True, protocol=protocol)
        ours.append(str(info.value))
    assert [line for line in theirs if "enablePickle" in line] == ours
    assert ours == ["When enablePickle=true, the parameter protocol must not be specified. "] * 3


def test_the_logger_api_routes_client_messages_to_sinks_and_can_silence_stdout(capsys, tmp_path):
    from dolphindb.logger import Level, LogMessage, Sink, default_logger

    class Collect(Sink):
        def __init__(self):
            super().__init__("collect")
            self.messages = []

        def handle(self, msg):
            assert isinstance(msg, LogMessage)
            self.messages.append((msg.level, msg.log))

    sink = Collect()
    default_logger.add_sink(sink)
    default_logger.disable_stdout_sink()
    default_logger.enable_file_sink(str(tmp_path / "client.log"))
    try:
        assert default_logger.list_sinks() == [sink]
        assert ddb.Session().connect("127.0.0.1", 1, USER, PASSWORD) is False
        assert capsys.readouterr().out == ""
        assert sink.messages and sink.messages[0][0] is Level.ERROR
        assert "Failed to connect to 127.0.0.1:1" in sink.messages[0][1]
        assert "Failed to connect to 127.0.0.1:1" in (tmp_path / "client.log").read_text()
        default_logger.min_level = Level.ERROR
        assert default_logger.min_level is Level.ERROR
    finally:
        default_logger.min_level = Level.WARNING
        default_logger.disable_file_sink()
        default_logger.remove_sink("collect")
        default_logger.enable_stdout_sink()
    assert default_logger.list_sinks() == []
    with pytest.raises(ValueError, match="no sink named 'collect'"):
        default_logger.remove_sink("collect")
    assert ddb.Session().connect("127.0.0.1", 1, USER, PASSWORD) is False
    assert "Failed to connect to 127.0.0.1:1" in capsys.readouterr().out


# ------------------------------------------------------------------------ the 3.x connection API
def _connection_api_outcomes(ddb, port):
    from dolphindb import ConnectionConfig, ConnectionSetting, DBConnection
    from dolphindb.utils import get_types_from_schema, month
    out = {}

    def record(name, fn):
        try:
            out[name] = repr(fn())
        except Exception as e:
            out[name] = ("ValueError" if isinstance(e, ValueError) else type(e).__name__,
                         str(e).splitlines()[-1].strip() if "pydantic" not in str(e) else "")

    record("extra field", lambda: ConnectionSetting(foo=1))
    record("missing port", lambda: ConnectionConfig(host="h"))
    record("timeout type", lambda: ConnectionConfig(host="h", port=1, timeout=5))
    record("setting", lambda: (lambda c: (c.protocol, c.parser, c.sql_std, c.compress))(
        ConnectionSetting(protocol="ddb", parser="kdb", sql_std="mysql", compress=True)))
    record("config", lambda: (lambda c: (c.userid, c.timeout, c.read_timeout, c.net_timeout, c.write_timeout))(
        ConnectionConfig(host="h", port=1, userId="u", read_timeout=2.5, write_timeout=3)))
    c = DBConnection(config=dict(protocol="ddb", show_output=False))
    record("before", lambda: (c.is_alive, c.is_closed))
    record("connect", lambda: c.connect(config=ConnectionConfig(host="127.0.0.1", port=port, userid="admin",
                                                                password="123456", startup="su = 3")))
    record("startup", lambda: (c.startup, c.run("su"), c.is_alive, c.host, c.port))
    record("session id", lambda: c.session_id == str(c.call("getCurrentSessionAndUser")[0]))
    record("fetch_size", lambda: sum(len(block) for block in c.run("table(1..20000 as a)", fetch_size=9000)))
    record("snake_case", lambda: c.exec("1 + 1", clear_memory=True) + c.call("add", 1, 2))
    c.close()
    record("after", lambda: (c.is_alive, c.is_closed))
    record("session is a DBConnection", lambda: isinstance(ddb.Session(), DBConnection))
    s = ddb.Session()
    s.connect("127.0.0.1", port, "admin", "123456")
    record("types", lambda: get_types_from_schema(
        s.run("schema(table(array(INT) as a, array(DOUBLE) as d, array(INT[]) as av))")["colDefs"]))
    record("month", lambda: str(month(2024, 3)) + str(month(2024, 11)))
    s.close()
    return out


def test_dbconnection_config_and_utils_behave_like_the_official_ones(server, official):
    ours, expected = outcomes_in_both_clients(official, _connection_api_outcomes, server.port)
    assert ours.pop("extra field")[0] == expected.pop("extra field")[0] == "ValueError"
    assert ours.pop("missing port")[0] == expected.pop("missing port")[0] == "ValueError"
    assert ours == expected
    assert expected["connect"] == "True" and expected["session is a DBConnection"] == "True"


# ---------------------------------------------------------------------------------- uploads
def _upload_outcomes(ddb, port):
    import datetime
    import decimal
    import pandas as pd
    import warnings
    import numpy as np
    import pyarrow as pa
    A = pd.ArrowDtype
    D = decimal.Decimal

    class OwnGetitem(pd.DataFrame):   # columns read through __getitem__, which gives scalars
        def __getitem__(self, name):
            return 1

    frames = {
        "date32": pd.Series([datetime.date(2024, 1, 2), None], dtype=A(pa.date32())),
        "time32[s]": pd.Series([datetime.time(1, 2, 3), None], dtype=A(pa.time32("s"))),
        "time32[ms]": pd.Series([datetime.time(1, 2, 3), None], dtype=A(pa.time32("ms"))),
        "time64[ns]": pd.Series([datetime.time(1, 2, 3), None], dtype=A(pa.time64("ns"))),
        "large_binary": pd.Series([b"ab", None], dtype=A(pa.large_binary())),
        "large_string": pd.Series(["ab", None], dtype=A(pa.large_string())),
        "list<int32>": pd.Series([[1, 2], [3]], dtype=A(pa.list_(pa.int32()))),
        "list<double>": pd.Series([[1.5], [None, 2.0]], dtype=A(pa.list_(pa.float64()))),
        "list<date32>": pd.Series([[datetime.date(2024, 1, 2)], []], dtype=A(pa.list_(pa.date32()))),
        "decimal128": pd.Series([D("1.25"), None], dtype=A(pa.decimal128(10, 2))),
        "dictionary": pd.Series(["a", "b", "a"], dtype=A(pa.dictionary(pa.int32(), pa.string()))),
        "struct": pd.Series([{"x": 1}], dtype=A(pa.struct([("x", pa.int32())]))),
        "ANY[] cells": pd.Series([[1, "x"], [2, 3]]),
        "cells of two types": pd.Series([[1, 2], ["x"]]),
    }
    objects = {name: pd.DataFrame({"a": col}) for name, col in frames.items()}
    objects["own __getitem__"] = OwnGetitem({"a": [4, 5, 6]})
    for forced in ("UUID", "INT128"):
        frame = pd.DataFrame({"a": pd.Series([bytes(range(1, 17)), None], dtype=A(pa.binary(16)))})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # pandas warns about setting an attribute
            frame.__DolphinDB_Type__ = {"a": forced}
        objects["binary(16) as " + forced] = frame
    for nan in (b"\x00\x00\x00\x00\x00\x00\xf8\xff", b"\xff\xff\xff\xff\xff\xff\xff\x7f"):
        value = float(np.frombuffer(nan, dtype=np.float64)[0])
        objects["NaN in list<double> " + nan.hex()] = pd.DataFrame({"a": [[value, 1.0]]}, dtype=A(pa.list_(pa.float64())))
    objects["bool objects as BOOL"] = pd.DataFrame({"a": [None, True, False], "n": [np.nan, 1, 0],
                                                    "i": [np.int8(-128), np.int8(0), np.int8(127)]}, dtype="object")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        objects["bool objects as BOOL"].__DolphinDB_Type__ = {"a": "BOOL", "n": "BOOL", "i": "BOOL"}
    objects["dict of Decimal"] = {"a": D("1.25"), "b": None}
    objects["dict of Decimal 38"] = {"a": D("0." + "1" * 38)}
    for text in ("0.3451111111", "0.345111111111111116", "0.345111111111111111111111111111161111111111111111111111111111",
                 "-" + "9" * 39):
        objects["Decimal " + text[:24]] = D(text)
    s = ddb.Session(protocol=1)
    s.connect("127.0.0.1", port, "admin", "123456")
    out = {}
    for name, obj in objects.items():
        try:
            s.upload({"x": obj})
            if isinstance(obj, pd.DataFrame):
                out[name] = [s.run("exec typeString from schema(x).colDefs").tolist(), repr(s.run("x")),
                             [s.run(f"string(x.{c})").tolist() if "list" not in name else
                              s.run(f"isNull(x.{c}[0])").tolist() for c in obj.columns]]
            elif isinstance(obj, dict):
                out[name] = [s.run("typestr(x)"), s.run("string(x[`a])"), s.run("typestr(x[`a])")]
            else:
                out[name] = [s.run("typestr(x)")]
        except RuntimeError as e:
            out[name] = ["error", str(e)]
    s.close()
    return out


def test_uploads_of_arrow_columns_subclasses_and_decimals_match_the_official_client(server, official):
    ours, expected = outcomes_in_both_clients(official, _upload_outcomes, server.port)
    # Deliberate: values DECIMAL64 cannot hold become DECIMAL128 here; the official names DECIMAL64 in
    # its overflow text.
    big = "Decimal -" + "9" * 23
    assert ours.pop(big)[1].endswith("to DECIMAL128(0) failed: decimal overflow")
    assert expected.pop(big)[1].endswith("to DECIMAL64(0) failed: decimal overflow")
    assert ours == expected
    assert expected["time64[ns]"][0] == ["NANOTIME"] and expected["list<int32>"][0] == ["INT[]"]
    assert expected["ANY[] cells"] == ["error", "Not allowed to create a vector with type ANY[]"]
    assert expected["binary(16) as UUID"][2] == [["01020304-0506-0708-090a-0b0c0d0e0f10", ""]]
    assert expected["binary(16) as INT128"][2] == [["0102030405060708090a0b0c0d0e0f10", ""]]
    assert all(expected[name][2] == [[True, False]] for name in expected if name.startswith("NaN in list"))
    assert expected["bool objects as BOOL"][2][2] == ["", "false", "true"]
    assert expected["dict of Decimal"][0] == "STRING->ANY DICTIONARY"


def test_a_frame_subclass_gives_its_columns_through_its_own_getitem(server):
    import pandas as pd

    class Doubled(pd.DataFrame):
        def __getitem__(self, name):
            return [2 * v for v in super().__getitem__(name)]

    s = ddb.Session()
    assert s.connect("127.0.0.1", server.port, USER, PASSWORD)
    s.upload({"x": Doubled({"a": [1, 2], "b": [3, 4]})})
    assert s.run("exec a from x").tolist() == [2, 4] and s.run("exec b from x").tolist() == [6, 8]
    s.close()


def test_dbconnection_is_busy_while_another_thread_runs_a_request(server):
    import threading
    from dolphindb import DBConnection
    conn = DBConnection()
    assert conn.connect("127.0.0.1", server.port, USER, PASSWORD)
    assert conn.is_busy is False
    worker = threading.Thread(target=conn.run, args=("sleep(1500); 1",))
    worker.start()
    deadline = time.monotonic() + 10
    while not conn.is_busy and time.monotonic() < deadline:
        time.sleep(0.01)
    assert conn.is_busy
    worker.join(30)
    assert not worker.is_alive() and conn.is_busy is False
    conn.close()


def test_run_with_table_schema_gives_the_official_column_types(server, official):
    scripts = ["1", "[1]", "1..6$2:3", "set(1..3)", "dict(1..3, 1..3)", "x=1",
               "table(1 2 as i, `a`b as s, [2024.01.01, 2024.01.02] as d, decimal32([1.5, 2.25], 2) as d32, "
               "array(INT[], 0, 2).append!([1 2, 3 4]) as av, symbol(`p`q) as sym)"]
    theirs = json.loads(official(f"""
import json, dolphindb as ddb
s = ddb.Session("127.0.0.1", {server.port}, "{USER}", "{PASSWORD}")
print(json.dumps([s._run_with_table_schema(script)[1] for script in {scripts!r}]))
""").strip().splitlines()[-1])
    s = ddb.Session("127.0.0.1", server.port, USER, PASSWORD)
    ours = [s._run_with_table_schema(script) for script in scripts]
    assert [json.loads(json.dumps(schema)) for _, schema in ours] == theirs
    assert theirs[-1]["d32"] == ["DECIMAL32", 2] and theirs[-1]["av"] == ["INT[]", None] and theirs[0] is None
    result, _ = ours[-1]
    assert result["i"].tolist() == [1, 2] and result["s"].tolist() == ["a", "b"]
    assert s._run_with_table_schema("add", 1, 2) == (3, None)


def test_a_reconnecting_pool_tries_the_server_try_reconnect_nums_times_like_the_official_client(official, capsys):
    script = """
import dolphindb as ddb
try:
    ddb.DBConnectionPool("127.0.0.1", 1, 2, reConnect=True, tryReconnectNums=2)
except RuntimeError as e:
    print("raised")
"""
    theirs = official(script)
    with pytest.raises(RuntimeError, match="Failed to connect to 127.0.0.1:1"):
        ddb.DBConnectionPool("127.0.0.1", 1, 2, reConnect=True, tryReconnectNums=2)
    ours = capsys.readouterr().out + "raised\n"
    for out in (theirs, ours):
        assert out.count("Failed") == 2 and "raised" in out, out
        assert "Connect to 127.0.0.1:1 failed after 2 reconnect attempts." in out, out
