"""Every blocking wait of the writers' constructors and of waitForThreadCompletion is bounded and
answers Ctrl-C, against a server that is stuck (a relay that stops answering: tests/support/
gate_proxy.py) or gone; and a process exits promptly, with its own exit code and without an abort
or a crash, whatever native threads it leaves behind (sessions, pools, writers with queued rows,
daemon threads with requests or reconnects in flight). Each case runs in a child process, bounded
by a timeout, so a hang, an abort or a segfault is a failed assertion, not a lost test run."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid

import pytest

import dolphindb as ddb

from support import ROOT, default_sigint
from support.gate_proxy import GateProxy
from support.stub_server import Stream, StubServer

CRASH_SIGNS = ("terminate called", "Fatal Python error", "FATAL: exception not rethrown", "Segmentation fault",
               "Aborted")


def _hang(_seen):
    """A stub reply that never comes (the connection stays open)."""
    return Stream(iter(lambda: time.sleep(0.2) or b"", None))


LOG_LINE = re.compile(r"^\d{4}-\d{2}-\d{2} [\d:.]+: \[\d+\] \w+: ")
CHILD_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")])}


def _clean(err: str) -> None:
    for sign in CRASH_SIGNS:
        assert sign not in err, err


def _split(out: str, err: str):
    """The child's own output lines, and its log lines (printed to stdout) with stderr."""
    lines = [line for line in out.split("\n") if line and not LOG_LINE.match(line)]
    logs = "\n".join(line for line in out.split("\n") if LOG_LINE.match(line))
    return lines, logs + "\n" + err


def _run_child(code: str, timeout: float = 20):
    """(exit code, output lines, logs and stderr, seconds) of `code` in a child with the default SIGINT."""
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=default_sigint, env=CHILD_ENV)
    _clean(proc.stderr)
    lines, err = _split(proc.stdout, proc.stderr)
    return proc.returncode, lines, err, time.monotonic() - t0


def _interrupt(setup: str, statement: str, after: str = "", delay: float = 0.5, timeout: float = 15):
    """Runs `statement` in a child after `setup`, sends SIGINT `delay` s into it. Returns the exit
    code, the seconds from the signal to the KeyboardInterrupt (None: none came), the lines
    `after` printed and stderr."""
    code = (textwrap.dedent(setup) + "\nimport time\nprint('ready', flush=True)\n"
            f"try:\n    {statement}\nexcept KeyboardInterrupt:\n"
            "    print('interrupted', time.monotonic(), flush=True)\n" + textwrap.dedent(after))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=default_sigint, env=CHILD_ENV)
    try:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        time.sleep(delay)
        sent = time.monotonic()   # CLOCK_MONOTONIC: the same clock in both processes
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=timeout)
    finally:
        proc.kill()
        proc.wait()
    _clean(err)
    lines, err = _split(out, err)
    took = None
    if lines and lines[0].startswith("interrupted"):
        took = float(lines.pop(0).split()[1]) - sent
    return proc.returncode, took, lines, err


@pytest.fixture()
def silent_listener():
    """A port whose listener never accepts: the kernel completes the TCP handshake, nobody answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture()
def shared_table(server):
    name = "t_" + uuid.uuid4().hex[:10]
    s = ddb.Session("127.0.0.1", server.port, "admin", "123456")
    s.run(f"share table(100:0, `id`v, [INT, DOUBLE]) as {name}")
    yield name, s
    s.run(f"undef(`{name}, SHARED)")
    s.close()


MTW = "ddb.MultithreadedTableWriter"


# ------------------------------------------------------------------ writer constructors
def test_writer_constructor_against_a_port_that_never_answers_is_bounded(silent_listener):
    rc, lines, err, _ = _run_child(f"""
        import time, dolphindb as ddb
        t0 = time.monotonic()
        try:
            {MTW}("127.0.0.1", {silent_listener}, "", "", "", "t", netTimeout=0.5)
        except RuntimeError as e:
            print(round(time.monotonic() - t0, 1), e)
        """)
    assert rc == 0, err
    took, text = lines[-1].split(" ", 1)
    assert float(took) < 2.5 and "Failed to connect to server" in text, lines


def test_writer_constructor_answers_ctrl_c_while_connecting(silent_listener):
    rc, took, lines, err = _interrupt("import dolphindb as ddb",
                                      f'{MTW}("127.0.0.1", {silent_listener}, "", "", "", "t", netTimeout=60)',
                                      "print('after')")
    assert rc == 0, err
    assert took is not None and took < 1.0, (lines, err)
    assert lines == ["after"]


def test_writer_constructor_times_out_and_answers_ctrl_c_when_the_schema_never_comes():
    with StubServer(_hang) as stub:
        rc, lines, err, _ = _run_child(f"""
            import time, dolphindb as ddb
            from dolphindb.exceptions import DDBTimeoutError
            t0 = time.monotonic()
            try:
                {MTW}("127.0.0.1", {stub.port}, "", "", "", "t", timeout=0.3)
            except DDBTimeoutError as e:
                print(round(time.monotonic() - t0, 1), type(e).__name__)
            """)
        assert rc == 0, err
        took, name = lines[-1].split()
        assert name == "DDBTimeoutError" and float(took) < 4, lines   # 0.3 s, then the cancel's grace period

        rc, took, lines, err = _interrupt("import dolphindb as ddb",
                                          f'{MTW}("127.0.0.1", {stub.port}, "", "", "", "t")', "print('after')")
    assert rc == 0, err
    assert took is not None and took < 3.5, (lines, err)   # the server is asked to cancel; 2 s grace
    assert lines == ["after"]


def test_writer_net_timeout_zero_takes_the_default_bound(server, shared_table):
    name, s = shared_table
    w = ddb.MultithreadedTableWriter("127.0.0.1", server.port, "admin", "123456", "", name, netTimeout=0)
    w.insert(1, 0.5)
    w.waitForThreadCompletion()
    assert w.getStatus().errorCode == "" and s.run(f"exec count(*) from {name}") == 1


def test_writer_constructor_bounded_when_its_writer_connections_hang(server, shared_table):
    """The constructor's first connection (the schema) is answered, the writer threads' ones are
    accepted and never answered."""
    name, _ = shared_table
    with GateProxy(server.port, answer_first=1) as proxy:
        rc, lines, err, _ = _run_child(f"""
            import time, dolphindb as ddb
            t0 = time.monotonic()
            try:
                {MTW}("127.0.0.1", {proxy.port}, "admin", "123456", "", "{name}", netTimeout=0.3,
                      reconnectTimeout=1)
            except RuntimeError as e:
                print(round(time.monotonic() - t0, 1), type(e).__name__)
            """)
    assert rc == 0, err
    took, _ = lines[-1].split()
    assert float(took) < 4, lines
    with GateProxy(server.port, answer_first=1) as proxy:
        rc, took, lines, err = _interrupt("import dolphindb as ddb",
                                          f'{MTW}("127.0.0.1", {proxy.port}, "admin", "123456", "", "{name}")',
                                          "print('after')", delay=1.0)
    assert rc == 0, err
    assert took is not None and took < 1.0, (lines, err)
    assert lines == ["after"]


def test_partitioned_table_appender_constructor_times_out_and_answers_ctrl_c(server):
    setup = f"""
        import dolphindb as ddb
        from dolphindb.exceptions import DDBTimeoutError
        from support.gate_proxy import GateProxy
        proxy = GateProxy({server.port}).__enter__()
        pool = ddb.DBConnectionPool("127.0.0.1", proxy.port, 2, "admin", "123456", connectTimeout=0.5)
        proxy.freeze()   # the server is stuck from now on
        """
    rc, lines, err, _ = _run_child(setup + """
        import time
        t0 = time.monotonic()
        try:
            ddb.PartitionedTableAppender("dfs://db", "pt", "id", pool, timeout=0.3)
        except DDBTimeoutError as e:
            print(round(time.monotonic() - t0, 1), type(e).__name__)
        """, timeout=30)
    assert rc == 0, err
    took, name = lines[-1].split()
    assert name == "DDBTimeoutError" and float(took) < 5, lines
    rc, took, lines, err = _interrupt(setup, 'ddb.PartitionedTableAppender("dfs://db", "pt", "id", pool)',
                                      "print('after')")
    assert rc == 0, err
    assert took is not None and took < 5, (lines, err)
    assert lines == ["after"]


# ------------------------------------------------------------------ waitForThreadCompletion
def _queued_writer(port: int, name: str, reconnect: float, fault: str) -> str:
    """A child's code: a writer with 10 rows queued (nothing sent yet), then the server `fault`s."""
    return textwrap.dedent(f"""
        import dolphindb as ddb
        from dolphindb.exceptions import DDBTimeoutError
        from support.gate_proxy import GateProxy
        proxy = GateProxy({port}).__enter__()
        w = ddb.MultithreadedTableWriter("127.0.0.1", proxy.port, "admin", "123456", "", "{name}",
                                         batchSize=1000, throttle=60, reconnectTimeout={reconnect})
        for i in range(10):
            w.insert(i, i * 0.5)
        proxy.{fault}()
        """)


REPORT_WRITER = """
s = w.getStatus()
print(s.errorCode, s.sentRows, len(w.getUnwrittenData()))
"""


def test_wait_for_thread_completion_times_out_against_a_stuck_server(server, shared_table):
    name, _ = shared_table
    rc, lines, err, _ = _run_child(_queued_writer(server.port, name, 30, "freeze") + textwrap.dedent("""
        import time
        t0 = time.monotonic()
        try:
            w.waitForThreadCompletion(timeout=0.5)
        except DDBTimeoutError as e:
            print(round(time.monotonic() - t0, 1), type(e).__name__)
        """) + REPORT_WRITER)
    assert rc == 0, err
    took, error = lines[-2].split()
    assert error == "DDBTimeoutError" and float(took) < 2, lines
    assert lines[-1] == "A6 0 10", lines   # stopped; every row returned, none lost


def test_wait_for_thread_completion_answers_ctrl_c_against_a_stuck_server(server, shared_table):
    name, _ = shared_table
    rc, took, lines, err = _interrupt(_queued_writer(server.port, name, 30, "freeze"), "w.waitForThreadCompletion()",
                                      REPORT_WRITER)
    assert rc == 0, err
    assert took is not None and took < 1.0, (lines, err)
    assert lines == ["A6 0 10"]


def test_wait_for_thread_completion_is_bounded_when_the_server_died(server, shared_table):
    name, _ = shared_table
    rc, lines, err, took = _run_child(_queued_writer(server.port, name, 1, "kill") + "w.waitForThreadCompletion()\n"
                                      + REPORT_WRITER)
    assert rc == 0, err
    assert lines[-1] == "A5 0 10", lines
    assert took < 8


# ------------------------------------------------------------------ interpreter exit
def _exit_child(code: str, expect_rc: int = 0, within: float = 6.0) -> str:
    rc, lines, err, took = _run_child(code, timeout=30)
    assert rc == expect_rc, (rc, lines, err)
    assert took < within, (took, err)
    return err


def test_exit_leaving_a_session_and_a_pool_open(server):
    _exit_child(f"""
        import dolphindb as ddb
        s = ddb.Session("127.0.0.1", {server.port}, "admin", "123456")
        s.run("x = 1")
        pool = ddb.DBConnectionPool("127.0.0.1", {server.port}, 4, "admin", "123456")
        futures = [pool.runTaskAsync("sleep(5000); 1") for _ in range(3)]
        pool.runTaskAsync("1").result(10)
        """)


def test_exit_flushes_a_writer_with_queued_rows(server, shared_table):
    name, session = shared_table
    _exit_child(f"""
        import dolphindb as ddb
        w = ddb.MultithreadedTableWriter("127.0.0.1", {server.port}, "admin", "123456", "", "{name}",
                                         batchSize=1000, throttle=60)
        for i in range(25):
            w.insert(i, 0.5)
        """)
    assert session.run(f"exec count(*) from {name}") == 25


def test_exit_with_a_writer_whose_server_is_stuck_is_bounded_and_says_what_was_lost(server, shared_table):
    name, _ = shared_table
    err = _exit_child(_queued_writer(server.port, name, 30, "freeze"), within=12)
    assert "10 rows were not written before exit" in err


@pytest.mark.parametrize("ending, rc", [("sys.exit(3)", 3), ("raise ValueError('boom')", 1), ("pass", 0)])
def test_exit_while_daemon_threads_have_requests_in_flight(server, ending, rc):
    """Daemon threads in a long request, in a stream of short ones (some coming back for the
    GIL just as the interpreter finalizes), and in a reconnect episode against a dead port."""
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead_port = dead.getsockname()[1]
    dead.close()
    err = _exit_child(f"""
        import sys, threading, time
        import dolphindb as ddb
        def long():
            s = ddb.Session("127.0.0.1", {server.port}, "admin", "123456")
            s.run("sleep(20000)")
        def short():
            s = ddb.Session("127.0.0.1", {server.port}, "admin", "123456", on_message=lambda m: None)
            while True:
                s.run("print(1); 1")
        def reconnecting():
            s = ddb.Session()
            s.connect("127.0.0.1", {dead_port}, reconnect=True, reconnectTimeout=60)
            s.run("1")
        for target in [long, reconnecting] + [short] * 3:
            threading.Thread(target=target, daemon=True).start()
        time.sleep(0.5)
        {ending}
        """, expect_rc=rc)
    if rc == 1:
        assert "ValueError: boom" in err


def test_partitioned_table_appender_append_answers_ctrl_c_and_cancels_its_tasks(server):
    """Ctrl-C while append waits for a stuck server: KeyboardInterrupt at once, and the groups it
    sent are cancelled, so the pool's shutdown does not wait for them."""
    db = "dfs://ctrl_c_" + uuid.uuid4().hex[:8]
    s = ddb.Session("127.0.0.1", server.port, "admin", "123456")
    s.run(f"db = database('{db}', HASH, [INT, 4]); createPartitionedTable(db, table(1:0, `id`v, [INT, DOUBLE]), `pt, `id)")
    s.close()
    setup = f"""
        import numpy as np, pandas as pd
        import dolphindb as ddb
        from support.gate_proxy import GateProxy
        proxy = GateProxy({server.port}).__enter__()
        pool = ddb.DBConnectionPool("127.0.0.1", proxy.port, 2, "admin", "123456")
        pta = ddb.PartitionedTableAppender("{db}", "pt", "id", pool)
        frame = pd.DataFrame({{"id": np.arange(1000, dtype=np.int32), "v": np.arange(1000) * 0.5}})
        proxy.freeze()   # the server is stuck from now on
        """
    rc, took, lines, err = _interrupt(setup, "pta.append(frame)", """
        t0 = time.monotonic()
        pool.shutDown(timeout=20)
        print('shut down', round(time.monotonic() - t0, 1))
        """)
    assert rc == 0, err
    assert took is not None and took < 5, (lines, err)
    assert lines[0].startswith("shut down"), lines
    assert float(lines[0].split()[-1]) < 10, lines   # cancelled, not waited out
