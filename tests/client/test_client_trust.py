"""The client as a careless user and a hostile peer would try it: replies that cannot be rebuilt,
Ctrl-C, deadlines against trickling and flooding servers, forks, shutdowns from callbacks, fd
leaks, error texts and the encrypted login. Fake servers are raw sockets (tests/support/stub_server.py);
abort and signal cases run in child processes (the same interpreter and path) so a crash is an
exit code, not a lost test run."""
from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import dolphindb as ddb
import dolphindb.settings as keys
from dolphindb import _core

from support import default_sigint
from support.stub_server import Raw, Stream, StubServer, object_reply

INT_2 = b"\x04\x00\x02\x00\x00\x00"   # scalar INT 2
# PICKLE replies (form byte + 0x20) the client can read but not rebuild.
DEEP_PICKLE = b"\x00\x26\x80\x02" + b"(" * 1500 + b"K\x01" + b"l" * 1500 + b"."
RAISING_PICKLE = b"\x00\x26\x80\x02cbuiltins\nint\nX\x03\x00\x00\x00abc\x85R."


def _child(code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout)


# ------------------------------------------------------------- replies that cannot be rebuilt
@pytest.mark.parametrize("reply", [DEEP_PICKLE, RAISING_PICKLE], ids=["deep", "raising"])
def test_unrebuildable_pickle_fails_the_task_in_every_pool_mode(reply):
    """The pool used to abort the process (a C++ exception escaped its thread): in a child, every
    completion path must give the task a typed error and the process must exit normally."""
    with StubServer(lambda seen: reply if seen.text == "bad" else INT_2) as stub:
        proc = _child(f"""
            import asyncio, time
            import dolphindb as ddb, dolphindb.settings as keys
            from dolphindb import _core
            for io in (0, 2):
                pool = ddb.DBConnectionPool("127.0.0.1", {stub.port}, 2, protocol=keys.PROTOCOL_PICKLE,
                                            ioThreads=io)
                try:
                    asyncio.run(pool.run("bad"))
                except _core.ConversionError as e:
                    print("run", type(e).__name__)
                try:
                    pool.runTaskAsync("bad").result(10)
                except _core.ConversionError as e:
                    print("async", type(e).__name__)
                pool.addTask("bad", 7)
                deadline = time.time() + 10
                while time.time() < deadline:
                    try:
                        if pool.isFinished(7):
                            break
                    except _core.ConversionError as e:
                        print("added", type(e).__name__)
                        break
                    time.sleep(0.01)
                print("after", pool.runTaskAsync("ok").result(10))
                pool.shutDown()
            """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:-1] == ["run ConversionError", "async ConversionError",
                                             "added ConversionError", "after 2"] * 2


@pytest.mark.parametrize("reply", [DEEP_PICKLE, RAISING_PICKLE], ids=["deep", "raising"])
def test_unrebuildable_pickle_is_a_conversion_error_in_a_session(reply):
    with StubServer(lambda seen: reply if seen.text == "bad" else INT_2) as stub:
        s = ddb.Session("127.0.0.1", stub.port, protocol=keys.PROTOCOL_PICKLE)
        with pytest.raises(_core.ConversionError):
            s.run("bad")
        assert s.run("ok") == 2
        s.close()


# ------------------------------------------------------------------------- Ctrl-C
LOG_LINE = re.compile(r"^\d{4}-\d{2}-\d{2} [\d:.]+: \[\d+\] \w+: ")


def _interrupt_child(setup: str, statement: str, after: str, timeout: float = 20):
    """Runs `setup`, then `statement` in a child, sends it SIGINT half a second into the statement,
    and runs `after`. Returns the exit code, the seconds the statement took until its
    KeyboardInterrupt (None: none), what `after` printed, stderr and the seconds from the signal
    to the child's exit."""
    code = (textwrap.dedent(setup) + "\nimport time\nprint('ready', flush=True)\nt0 = time.time()\n"
            f"try:\n    {statement}\nexcept KeyboardInterrupt:\n"
            "    print('interrupted', round(time.time() - t0, 1), flush=True)\n" + textwrap.dedent(after))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=default_sigint)
    try:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        time.sleep(0.5)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=timeout)
        # The client's own log lines (printed to stdout like the official client's) are not
        # the child's output: a loaded machine can add one (a cancel that took its grace period).
        lines = [line for line in out.split("\n") if not LOG_LINE.match(line)]
        took = float(lines.pop(0).split()[1]) if lines[0].startswith("interrupted") else None
        return proc.returncode, took, lines, err + out, time.monotonic() - t0
    finally:
        proc.kill()
        proc.wait()


def test_ctrl_c_cancels_the_server_job_and_the_session_stays_usable(server):
    """SIGINT during Session.run("sleep(...)"): KeyboardInterrupt at once (not when the reply
    comes), the job cancelled on the server, and the same session (its variables) usable."""
    rc, took, lines, err, elapsed = _interrupt_child(f"""
        import dolphindb as ddb
        s = ddb.Session("127.0.0.1", {server.port}, "admin", "123456")
        s.run("kept = 42")
        """, 's.run("sleep(20000)")', """
        print("kept", s.run("kept"), flush=True)
        print("jobs", s.run("exec count(*) from getConsoleJobs() where sessionId = " + s.getSessionId()))
        """)
    assert rc == 0, err
    assert took is not None and took < 3.0, (lines, err)
    assert lines[0] == "kept 42"                # the same session, in step with the server
    assert lines[1] == "jobs 1"                 # only the query itself: the sleep was cancelled
    assert elapsed < 5


def test_ctrl_c_while_waiting_for_a_dead_silent_server_still_returns():
    """A server that never answers and ignores cancellation: the grace period ends the wait, the
    connection is replaced on the next request."""
    def reply(seen):
        if seen.text == "hang":
            return Stream(iter(lambda: time.sleep(0.2) or b"", None))
        return INT_2
    with StubServer(reply) as stub:
        rc, took, lines, err, _ = _interrupt_child(f"""
            import dolphindb as ddb
            s = ddb.Session("127.0.0.1", {stub.port})
            """, 's.run("hang")', """
            print("after", s.run("ok"), flush=True)
            """)
    assert rc == 0, err
    assert took is not None and took < 5, (lines, err)
    assert lines[0] == "after 2"


def test_ctrl_c_while_waiting_for_another_threads_request(server):
    """The main thread waits for the session another thread is using: Ctrl-C ends that wait at
    once (nothing of its own to cancel), and the other thread's request is untouched."""
    rc, took, lines, err, _ = _interrupt_child(f"""
        import threading, time
        import dolphindb as ddb
        s = ddb.Session("127.0.0.1", {server.port}, "admin", "123456")
        other = []
        t = threading.Thread(target=lambda: other.append(s.run("sleep(2500); 5")))
        t.start()
        time.sleep(0.3)
        """, 's.run("1")', """
        t.join()
        print("other", other[0])
        """)
    assert rc == 0, err
    assert took is not None and took < 1.5, (lines, err)
    assert lines[0] == "other 5"


def test_ctrl_c_during_a_pool_shutdown_wait(server):
    """shutDown waits for the accepted tasks (a running sleep and one queued behind it); Ctrl-C
    ends that wait at once: the running task is cut, the queued one never starts, both fail with
    PoolClosedError saying why, and the pool is closed."""
    rc, took, lines, err, elapsed = _interrupt_child(f"""
        import dolphindb as ddb
        pool = ddb.DBConnectionPool("127.0.0.1", {server.port}, 1, "admin", "123456")
        running = pool.runTaskAsync("sleep(20000); 1")
        queued = pool.runTaskAsync("2")
        while pool.stats()["running"] == 0:
            pass
        """, "pool.shutDown(60)", """
        print("closed", pool.is_shutdown())
        for f in (running, queued):
            e = f.exception(10)
            print(type(e).__name__, "ran" if "while this task ran" in str(e) else
                  "queued" if "before this task started" in str(e) else str(e))
        """)
    assert rc == 0, err
    assert took is not None and took < 1.5, (lines, err)
    assert lines[:3] == ["closed True", "PoolClosedError ran", "PoolClosedError queued"]
    assert elapsed < 5


# ------------------------------------------------------------------------- deadlines
def _trickle(reply: bytes, delay: float):
    def chunks():
        for i in range(len(reply)):
            time.sleep(delay)
            yield reply[i:i + 1]
    return Stream(chunks())


def _endless_messages():
    def chunks():
        while True:
            time.sleep(0.01)
            yield b"MSG\nstill printing\0"
    return Stream(chunks())


SLOW_REPLIES = {"trickle": lambda: _trickle(object_reply(INT_2), 0.3), "messages": _endless_messages}


@pytest.mark.parametrize("kind", sorted(SLOW_REPLIES))
def test_pool_task_timeout_is_a_deadline(kind, io_mode):
    with StubServer(lambda seen: SLOW_REPLIES[kind]() if seen.text == "slow" else INT_2) as stub:
        pool = ddb.DBConnectionPool("127.0.0.1", stub.port, 1)
        try:
            t0 = time.monotonic()
            with pytest.raises(_core.DDBTimeoutError, match="timed out after 1000 ms"):
                pool.runTaskAsync("slow", timeout=1).result(30)
            assert time.monotonic() - t0 < 2.5
            assert pool.runTaskAsync("ok").result(10) == 2   # the worker reconnected
        finally:
            pool.shutDown()


@pytest.mark.parametrize("kind", sorted(SLOW_REPLIES))
def test_session_run_timeout_is_a_deadline(kind):
    with StubServer(lambda seen: SLOW_REPLIES[kind]() if seen.text == "slow" else INT_2) as stub:
        s = ddb.Session("127.0.0.1", stub.port)
        t0 = time.monotonic()
        with pytest.raises(_core.DDBTimeoutError, match="timed out after 1000 ms"):
            s.run("slow", timeout=1)
        assert time.monotonic() - t0 < 4.5      # the deadline plus at most the grace period
        assert s.run("ok") == 2
        s.close()


def test_session_run_timeout_cancels_a_real_job_and_keeps_the_session(server):
    s = ddb.Session("127.0.0.1", server.port, "admin", "123456")
    s.run("kept = 7")
    t0 = time.monotonic()
    with pytest.raises(_core.DDBTimeoutError):
        s.run("sleep(20000)", timeout=0.5)
    assert time.monotonic() - t0 < 3
    assert s.run("kept") == 7
    s.close()


# ------------------------------------------------------------------------- print output
def test_messages_are_delivered_as_they_arrive():
    def reply(seen):
        def chunks():
            for i in range(20):
                yield f"MSG\nline {i}\0".encode()
                time.sleep(0.05)
            yield object_reply(INT_2)
        return Stream(chunks())
    with StubServer(reply) as stub:
        seen = []
        s = ddb.Session("127.0.0.1", stub.port, on_message=lambda text: seen.append((time.monotonic(), text)),
                        show_output=False)
        assert s.run("print") == 2
        done = time.monotonic()
        assert [t for _, t in seen] == [f"line {i}" for i in range(20)]
        assert done - seen[0][0] > 0.5     # the first line came long before the reply ended
        s.close()


def test_a_raising_on_message_is_raised_after_the_reply_and_the_session_stays_in_step():
    def reply(seen):
        if seen.text == "print":
            return Raw(b"MSG\none\0MSG\ntwo\0" + object_reply(INT_2))
        return INT_2
    with StubServer(reply) as stub:
        seen = []

        def on_message(text):
            seen.append(text)
            raise ValueError("callback failed")
        s = ddb.Session("127.0.0.1", stub.port, on_message=on_message, show_output=False)
        with pytest.raises(ValueError, match="callback failed"):
            s.run("print")
        assert seen == ["one"]
        assert s.run("ok") == 2
        s.close()


def test_on_message_cannot_deadlock_its_own_session():
    with StubServer(lambda seen: Raw(b"MSG\nhi\0" + object_reply(INT_2)) if seen.text == "print" else INT_2) as stub:
        s = ddb.Session("127.0.0.1", stub.port, show_output=False)
        s.on_message = lambda text: s.run("ok")
        with pytest.raises(_core.DolphinDBError, match="own on_message"):
            s.run("print")
        s.on_message = None
        assert s.run("ok") == 2
        s.close()


# ------------------------------------------------------------------------- pool lifecycle
def test_an_inherited_pool_refuses_work_in_the_fork_child_and_the_parent_keeps_it(server):
    proc = _child(f"""
        import os, sys
        import dolphindb as ddb
        from dolphindb import _core
        for io in (0, 2):
            pool = ddb.DBConnectionPool("127.0.0.1", {server.port}, 2, "admin", "123456", ioThreads=io)
            assert pool.runTaskAsync("1").result(10) == 1
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    try:
                        pool.runTaskAsync("2")
                    except _core.PoolClosedError as e:
                        code = 0 if "fork()" in str(e) else 2
                    pool.shutDown()            # nothing of it runs here: a no-op, not an error
                    fresh = ddb.DBConnectionPool("127.0.0.1", {server.port}, 1, "admin", "123456")
                    if fresh.runTaskAsync("3").result(10) != 3:
                        code = 3
                    fresh.shutDown()
                    del pool
                finally:
                    os._exit(code)
            _, status = os.waitpid(pid, 0)
            print("child", os.waitstatus_to_exitcode(status))
            print("parent", pool.runTaskAsync("4").result(10))   # its sockets were not shut down
            pool.shutDown()
        """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:-1] == ["child 0", "parent 4"] * 2


def _open_fds():
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("io", [0, 2])
def test_a_shut_down_pool_holds_no_descriptors(server, io):
    pools = []
    before = _open_fds()
    for _ in range(3):
        pool = ddb.DBConnectionPool("127.0.0.1", server.port, 2, "admin", "123456", ioThreads=io)
        futures = [pool.runTaskAsync("1") for _ in range(4)]
        assert [f.result(10) for f in futures] == [1] * 4
        pool.shutDown()
        pools.append((pool, futures))   # still referenced: the futures' callbacks keep the core alive
    deadline = time.monotonic() + 5   # the in-process server closes its ends of the sessions meanwhile
    while _open_fds() != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _open_fds() == before


def test_shutdown_from_a_completion_callback(server, io_mode):
    pool = ddb.DBConnectionPool("127.0.0.1", server.port, 2, "admin", "123456")
    sibling = pool.runTaskAsync("sleep(800); 5")
    outcome = {}

    def shut_down(_):
        t0 = time.monotonic()
        try:
            pool.shutDown()
            outcome["ok"] = time.monotonic() - t0
        except BaseException as e:   # the test reports whatever escaped
            outcome["error"] = e
    fast = pool.runTaskAsync("1")
    fast.add_done_callback(shut_down)
    assert fast.result(10) == 1
    assert sibling.result(10) == 5              # waited for, not cut with a NetworkError
    deadline = time.monotonic() + 10
    while not outcome and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["ok"] < 3
    with pytest.raises(_core.PoolClosedError):
        pool.runTaskAsync("1")


def test_dropping_the_last_reference_in_a_completion_callback(server, io_mode):
    holder = {"pool": ddb.DBConnectionPool("127.0.0.1", server.port, 1, "admin", "123456")}
    done = []
    fut = holder["pool"].runTaskAsync("1")
    fut.add_done_callback(lambda f: (holder.clear(), done.append(f.result())))
    assert fut.result(10) == 1
    deadline = time.monotonic() + 5
    while not done and time.monotonic() < deadline:
        time.sleep(0.01)
    assert done == [1]


def test_tasks_in_flight_at_del_complete(server, io_mode):
    """Dropping the pool shuts it down like shutDown(): the accepted tasks, running or queued,
    still complete (tests/client/test_pool_shutdown.py has the bounds)."""
    import gc
    pool = ddb.DBConnectionPool("127.0.0.1", server.port, 1, "admin", "123456")
    running = pool.runTaskAsync("sleep(600); 1")
    queued = pool.runTaskAsync("2")
    time.sleep(0.3)
    del pool
    gc.collect()
    assert running.result(10) == 1 and queued.result(10) == 2


# ------------------------------------------------------------------------- error texts
def test_pool_errors_have_the_official_text(server, io_mode):
    with ddb.DBConnectionPool("127.0.0.1", server.port, 1, "admin", "123456") as pool:
        with pytest.raises(_core.ServerError) as info:
            asyncio.run(pool.run("notAVariable"))
        text = str(info.value)
        assert text.startswith("<Exception> in isFinished: Task [1] come across exception : Server Response: '")
        assert "<Exception> in exec" not in text
        with pytest.raises(_core.ServerError) as info:
            pool.runTaskAsync("noSuchFunction", 1).result(10)
        assert " come across exception : Server Response: '" in str(info.value)
    s = ddb.Session("127.0.0.1", server.port, "admin", "123456")
    with pytest.raises(_core.ServerError, match=r"^<Exception> in exec: Server Response: '"):
        s.run("notAVariable")   # a Session keeps the official Session's prefix
    s.close()


# ------------------------------------------------------------------------- encrypted login
def _rsa_stub_reply(key, logins):
    from cryptography.hazmat.primitives import serialization
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def reply(seen):
        if seen.text == "getDynamicPublicKey":
            return b"\x12\x00" + pem + b"\0"            # STRING scalar
        if seen.text == "login":
            logins.append(seen)
            return b"\x01\x00\x01"                        # BOOL true
        return INT_2
    return reply


def _decrypt(key, text):
    import base64

    from cryptography.hazmat.primitives.asymmetric import padding
    return key.decrypt(base64.b64decode(text), padding.PKCS1v15()).decode()


def test_login_is_encrypted_with_the_servers_rsa_key_on_connect_and_login():
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    logins = []
    with StubServer(_rsa_stub_reply(key, logins)) as stub:
        s = ddb.Session("127.0.0.1", stub.port, "admin", "s3cret")
        assert s.run("x") == 2
        assert stub.inline_logins == [None]      # nothing in the handshake
        (first,) = logins
        assert [_decrypt(key, a.value) for a in first.args[:2]] == ["admin", "s3cret"]
        assert first.args[2].value is True or first.args[2].value == 1
        assert b"s3cret" not in first.arg_bytes
        s.login("user2", "pw2")
        assert [_decrypt(key, a.value) for a in logins[1].args[:2]] == ["user2", "pw2"]
        s.login("user3", "pw3", enableEncryption=False)   # the caller's explicit choice
        assert [a.value for a in logins[2].args[:2]] == ["user3", "pw3"]
        assert not logins[2].args[2].value
        s.close()
        plain = ddb.Session("127.0.0.1", stub.port, "admin", "s3cret", enableEncryption=False)
        assert stub.inline_logins[-1] == ("admin", "s3cret")
        plain.close()


def test_every_reconnect_logs_in_encrypted_again():
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    logins = []
    answer = _rsa_stub_reply(key, logins)
    dropped = []

    def reply(seen):
        if seen.text == "drop" and not dropped:
            dropped.append(seen)
            raw = Raw(b"")
            raw.close = True
            return raw
        return answer(seen)
    with StubServer(reply) as stub:
        s = ddb.Session()
        assert s.connect("127.0.0.1", stub.port, "admin", "s3cret", reconnect=True)
        assert s.run("drop") == 2                # resent on a new session
        assert s.stats()["reconnects"] == 1
        assert stub.inline_logins == [None, None]
        assert len(logins) == 2
        assert [_decrypt(key, a.value) for a in logins[1].args[:2]] == ["admin", "s3cret"]
        s.close()


def test_encrypted_login_against_the_embedded_server(server):
    s = ddb.Session("127.0.0.1", server.port, "admin", "123456")
    assert s.run("getCurrentSessionAndUser()")[1] == "admin"
    s.close()
    wrong = ddb.Session()
    assert not wrong.connect("127.0.0.1", server.port, "admin", "wrong")
    assert "The user name or password is incorrect" in wrong.last_error
    with pytest.raises(_core.AuthenticationError, match="The user name or password is incorrect"):
        ddb.DBConnectionPool("127.0.0.1", server.port, 2, "admin", "wrong")
    with ddb.DBConnectionPool("127.0.0.1", server.port, 4, "admin", "123456") as pool:
        assert pool.runTaskAsync("getCurrentSessionAndUser()").result(10)[1] == "admin"
    guest = ddb.Session("127.0.0.1", server.port)
    guest.login("admin", "123456")
    assert guest.run("getCurrentSessionAndUser()")[1] == "admin"
    with pytest.raises(_core.AuthenticationError):
        guest.login("admin", "nope")
    guest.close()


@pytest.mark.parametrize("pool", [False, True])
def test_a_request_refused_before_its_arguments_are_read_reports_the_servers_error(pool):
    """A server that refuses an argument and closes while the client is still writing it (64 MB
    here: more than the socket buffers hold) resets the write; the error users see is the one the
    server sent, not the reset."""
    refusal = "The argument is too large to accept"
    big = np.arange(8 << 20, dtype=np.int64)
    with StubServer(lambda seen: INT_2, refuse_early=lambda text: refusal if text == "sum" else None) as stub:
        if pool:
            p = ddb.DBConnectionPool("127.0.0.1", stub.port, 1)
            try:
                with pytest.raises(RuntimeError, match=refusal):
                    p.runTaskAsync("sum", big).result(30)
                assert p.runTaskAsync("1+1").result(30) == 2   # the worker reconnects
            finally:
                p.shutDown()
        else:
            s = ddb.Session()
            assert s.connect("127.0.0.1", stub.port, reconnect=True)
            with pytest.raises(RuntimeError, match=refusal):
                s.run("sum", big)
            assert s.run("1+1") == 2   # the next request reconnects
            s.close()
