"""The first connect of a reconnecting Session or DBConnectionPool retries in the core
(ResilientConnection): exactly tryReconnectNums tries with one "Failed to connect" line each, the
official summary and error, a server that comes up meanwhile is connected to, and the retries end
at once on Session.close() / pool.shutDown() from another thread and on Ctrl-C. Real sockets, our
real server; promptness is shown by order of events, never by timing."""
from __future__ import annotations

import contextlib
import logging
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading

import pytest

import dolphindb as ddb
from dolphindb.exceptions import NetworkError, PoolClosedError
from dolphindb.server import Server

from support import default_sigint

USER, PASSWORD = "admin", "123456"
ATTEMPT = "Failed to connect"
# Far beyond any test: only the event under test (a close, Ctrl-C, the server) ends these retries.
ENDLESS = {"tryReconnectNums": 10**6, "reconnectTimeout": 3600}


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Attempts(logging.Handler):
    """The client's log lines; `first` is set by the first failed try."""

    def __init__(self):
        super().__init__()
        self.lines = []
        self.first = threading.Event()

    def emit(self, record):
        self.lines.append(record.getMessage())
        if ATTEMPT in record.getMessage():
            self.first.set()

    def count(self, text=ATTEMPT) -> int:
        return sum(text in line for line in self.lines)


@pytest.fixture
def attempts():
    handler = Attempts()
    logger = logging.getLogger("dolphindb")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


class Background:
    """Runs `call` on a thread and keeps its outcome (a result or the exception)."""

    def __init__(self, call, *args, **kwargs):
        self.outcome = None
        self.thread = threading.Thread(target=self._run, args=(call, args, kwargs), daemon=True)
        self.thread.start()

    def _run(self, call, args, kwargs):
        try:
            self.outcome = call(*args, **kwargs)
        except BaseException as e:   # noqa: BLE001 - the test inspects it
            self.outcome = e

    def join(self):
        self.thread.join(60)   # a hang guard only: the test's events decide the outcome
        assert not self.thread.is_alive(), "the call did not end"
        return self.outcome


# ------------------------------------------------------------------ exactly n tries, then the error
@pytest.mark.parametrize("threads", [1, 3])
def test_a_pool_tries_its_first_connect_exactly_n_times_then_raises_the_official_error(attempts, capsys, threads):
    port = unused_port()
    with pytest.raises(NetworkError) as info:
        ddb.DBConnectionPool("127.0.0.1", port, threads, USER, PASSWORD, reConnect=True, tryReconnectNums=3)
    assert str(info.value) == (f"Failed to connect to 127.0.0.1:{port}: "
                               f"Connect to 127.0.0.1:{port} failed after 3 reconnect attempts.")
    # One try is one line however many connections the pool has (its first connection tries alone).
    assert attempts.count() == 3, attempts.lines
    assert attempts.count(f"Connect to 127.0.0.1:{port} failed after 3 reconnect attempts.") == 1
    out = capsys.readouterr().out   # the official-style stdout line per try
    assert out.count(ATTEMPT) == 3 and all(" Error: " in line for line in out.splitlines() if ATTEMPT in line), out


def test_a_session_tries_its_first_connect_n_times_and_again_on_its_next_request(attempts):
    port = unused_port()
    s = ddb.Session()
    assert s.connect("127.0.0.1", port, USER, PASSWORD, reconnect=True, tryReconnectNums=2) is False
    summary = f"Connect to 127.0.0.1:{port} failed after 2 reconnect attempts."
    assert s.last_error == summary and attempts.count() == 2
    with pytest.raises(NetworkError) as info:
        s.run("1 + 1")
    assert str(info.value) == f"<Exception> in exec: {summary}"
    assert attempts.count() == 4 and attempts.count(summary) == 3   # 2 give-ups + connect's own line
    s.close()
    with pytest.raises(NetworkError):
        s.run("1 + 1")   # a closed session does not dial again
    assert attempts.count() == 4


def test_without_reconnect_the_first_connect_is_tried_once(attempts):
    port = unused_port()
    with pytest.raises(NetworkError, match=f"Failed to connect to 127.0.0.1:{port}"):
        ddb.DBConnectionPool("127.0.0.1", port, 2, USER, PASSWORD)
    assert ddb.Session().connect("127.0.0.1", port, USER, PASSWORD) is False
    assert attempts.count("reconnect attempts") == 0


# ------------------------------------------------------------------- a server that comes up meanwhile
def test_a_server_that_comes_up_during_the_first_connect_retries_is_connected_to(attempts):
    port = unused_port()
    pool = Background(ddb.DBConnectionPool, "127.0.0.1", port, 2, USER, PASSWORD, reConnect=True, **ENDLESS)
    session = ddb.Session()
    connecting = Background(session.connect, "127.0.0.1", port, USER, PASSWORD, reconnect=True, **ENDLESS)
    assert attempts.first.wait(60)
    with Server(port=port):
        pool = pool.join()
        assert connecting.join() is True
        try:
            assert isinstance(pool, ddb.DBConnectionPool), pool
            assert pool.runTaskAsync("1 + 1").result(30) == 2
            assert len(pool.getSessionId()) == 2
            assert session.run("2 + 3") == 5 and session.last_error is None
        finally:
            session.close()
            if isinstance(pool, ddb.DBConnectionPool):
                pool.shutDown()


# --------------------------------------------------------------------- close during the retries
def test_pool_shutdown_during_first_connect_retries_ends_them(attempts):
    pool = ddb.DBConnectionPool.__new__(ddb.DBConnectionPool)   # the object another thread may close
    constructing = Background(pool.__init__, "127.0.0.1", unused_port(), 3, USER, PASSWORD, reConnect=True,
                              **ENDLESS)
    assert attempts.first.wait(60)
    pool.shutDown()
    outcome = constructing.join()
    assert isinstance(outcome, PoolClosedError) and str(outcome) == "DBConnectionPool has been shut down."
    tries = attempts.count()
    assert pool.is_shutdown() and attempts.count() == tries   # nothing tries after the constructor ended
    assert attempts.count("reconnect attempts") == 0           # cut, not given up


def test_session_close_during_first_connect_retries_ends_them(attempts):
    s = ddb.Session()
    connecting = Background(s.connect, "127.0.0.1", unused_port(), USER, PASSWORD, reconnect=True, **ENDLESS)
    assert attempts.first.wait(60)
    s.close()
    assert connecting.join() is False
    assert "aborted" in s.last_error and s.isClosed()
    tries = attempts.count()
    with pytest.raises(NetworkError):
        s.run("1")
    assert attempts.count() == tries


AT_EXIT = """
import logging, threading
import dolphindb as ddb
tried = threading.Event()
handler = logging.Handler()
handler.emit = lambda record: tried.set()
logging.getLogger("dolphindb").addHandler(handler)

def construct():
    try:
        ddb.DBConnectionPool("127.0.0.1", {port}, 2, reConnect=True, tryReconnectNums=10**6, reconnectTimeout=3600)
    except ddb.PoolClosedError:
        pass

threading.Thread(target=construct, daemon=True).start()
tried.wait(60)
print("exiting", flush=True)
"""


def test_interpreter_exit_ends_a_pool_still_retrying_its_first_connect():
    """A script that ends while a daemon thread still constructs a reconnecting pool: the exit
    hook shuts the pool down, its constructor returns to Python, and the process exits cleanly
    (a native wait still running at finalization would abort the process)."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(AT_EXIT.format(port=unused_port()))],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "exiting" in proc.stdout and ATTEMPT in proc.stdout


# ----------------------------------------------------------------------------------------- Ctrl-C
CHILD = """
import dolphindb as ddb
port = {port}
endless = dict(tryReconnectNums=10**6, reconnectTimeout=3600)
for step in ("pool", "connect", "run"):
    print("step", step, flush=True)
    try:
        if step == "pool":
            ddb.DBConnectionPool("127.0.0.1", port, 2, reConnect=True, **endless)
        elif step == "connect":
            s = ddb.Session()
            s.connect("127.0.0.1", port, reconnect=True, **endless)
        else:
            s.run("1")
        print("returned", step, flush=True)
    except KeyboardInterrupt:
        print("interrupted", step, flush=True)
print("done", flush=True)
"""


def test_ctrl_c_interrupts_first_connect_retries_with_keyboard_interrupt():
    """SIGINT once each wait has made a failed try (seen on the child's stdout): the pool's
    constructor, Session.connect and a request's new try each raise KeyboardInterrupt, while the
    retries would otherwise go on for an hour."""
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(CHILD.format(port=unused_port()))],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)
    guard = threading.Timer(120, proc.kill)   # a hang guard only
    guard.start()
    seen = []
    try:
        for step in ("pool", "connect", "run"):
            assert proc.stdout.readline().strip() == f"step {step}", (seen, proc.stderr.read())
            for line in proc.stdout:   # the client's own stdout line for a failed try
                seen.append(line)
                if ATTEMPT in line:
                    break
            proc.send_signal(signal.SIGINT)
            for line in proc.stdout:
                seen.append(line)
                if not re.match(r"^\d{4}-", line):
                    break
            assert line.strip() == f"interrupted {step}", (seen, proc.stderr.read())
        assert proc.stdout.readline().strip() == "done"
        assert proc.wait() == 0, proc.stderr.read()
    finally:
        guard.cancel()
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()
