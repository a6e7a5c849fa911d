"""Resource limits of the embedded server under real OS limits: a full disk, connections past
maxConnections, threads that cannot start, busy workers, abandoned jobs, deep results and the
exactly-once log's memory."""
from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import dolphindb as ddb
from dolphindb.server import Server
from dolphindb.server.node.dedup import DROPPED, Outcome, RequestLog
from dolphindb.server.model.values import DOUBLE, Vector

from test_server_protocol import RawClient

# Child processes import the dolphindb this run tests (the installed wheel under DDB_TEST_INSTALLED).
CHILD_PATH = os.pathsep.join(p for p in sys.path if p)


def _server_process(args, preexec=None, env_extra=None):
    """`python -m dolphindb.server --port 0 ...` in a subprocess; returns (process, port)."""
    env = dict(os.environ, PYTHONPATH=CHILD_PATH, **(env_extra or {}))
    proc = subprocess.Popen([sys.executable, "-m", "dolphindb.server", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=preexec)
    line = proc.stdout.readline()
    assert line.startswith("READY port="), (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc, int(line.split("=")[1])


def _stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# -- a full disk -----------------------------------------------------------------------------------
@pytest.fixture
def tiny_disk(tmp_path):
    """A data directory that fills up: a 256 KiB tmpfs when we may mount one (root), else a
    directory written by a server process limited by RLIMIT_FSIZE (EFBIG instead of ENOSPC).
    Yields (data_dir, start_server) where start_server() -> (port, stop)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True).returncode == 0

    def start():
        if mounted:
            srv = Server(port=0, data_dir=mount).start()
            return srv.port, srv.stop

        def limit():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (200 << 10, 200 << 10))
        proc, port = _server_process(["--data-dir", str(mount)], preexec=limit)
        return port, lambda: _stop(proc)
    try:
        yield mount, start, ("No space left on device" if mounted else "File too large")
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_write_that_does_not_fit_on_disk_leaves_no_trace(tiny_disk):
    data_dir, start, reason = tiny_disk
    port, stop = start()
    try:
        s = ddb.Session("127.0.0.1", port, "admin", "123456")
        s.run("share table(1..1000 as id, rand(1.0, 1000) as v) as disk_t")
        with pytest.raises(RuntimeError, match=f"Failed to save the shared table disk_t: {reason}"):
            s.run("tableInsert(disk_t, 1001..60000, rand(1.0, 59000))")     # ~470 KB incompressible
        assert s.run("exec count(*) from disk_t") == 1000                     # rolled back in memory
        assert s.run("tableInsert(disk_t, 5000, 0.5)") == 1                   # the next write succeeds
        assert s.run("exec count(*) from disk_t") == 1001
        assert sorted(p.name for p in data_dir.iterdir()) == ["disk_t.ddbt.zst", "users.json"]   # no .tmp
        with pytest.raises(RuntimeError, match="Failed to save the shared table big_t"):
            s.run("share table(1..60000 as id, rand(1.0, 60000) as v) as big_t")
        assert s.run("defined(`big_t, SHARED)") is False                     # a failed share shares nothing
        s.close()
    finally:
        stop()
    port, stop = start()                                                      # what is on disk
    try:
        s = ddb.Session("127.0.0.1", port, "admin", "123456")
        assert s.run("exec count(*) from disk_t") == 1001
        assert s.run("exec max(id) from disk_t") == 5000
    finally:
        stop()


def test_leftover_temp_files_are_removed_at_start(tmp_path):
    (tmp_path / "torn.ddbt.zst.tmp").write_bytes(b"half a table")
    with Server(port=0, data_dir=tmp_path):
        assert not (tmp_path / "torn.ddbt.zst.tmp").exists()


# -- connections -------------------------------------------------------------------------------------
def test_connections_past_max_connections_are_refused_politely():
    with Server(port=0, max_connections=3) as srv:
        clients = [RawClient(srv.port) for _ in range(3)]
        refused = RawClient(srv.port)
        assert refused.status == ("Maximum connections 3 reached. Close unused connections or increase "
                                  "maxConnections limit. RefId:S00006")
        s = ddb.Session()
        assert s.connect("127.0.0.1", srv.port, "admin", "123456") is False
        assert "Maximum connections 3 reached" in s.last_error
        clients[0].close()
        deadline = time.monotonic() + 5
        while srv.connection_count > 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert RawClient(srv.port).script("1+1")[1].value == 2                # the listener lives on
        assert all(c.script("1")[0] == "OK" for c in clients[1:])


def test_the_listener_survives_threads_that_cannot_start():
    """A server process whose address space fits only a few more connection threads (each one
    reserves a 64 MiB stack under RLIMIT_AS): connections past that are refused with a clear
    error, and once those threads end new connections are served again."""
    code = """
import os, resource, sys, threading
from dolphindb.server import Server
srv = Server(port=0).start()
threading.stack_size(64 << 20)
vm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmSize")) * 1024
resource.setrlimit(resource.RLIMIT_AS, (vm + (200 << 20), vm + (200 << 20)))
print("READY port=%d" % srv.port, flush=True)
sys.stdin.read()
"""
    env = dict(os.environ, PYTHONPATH=CHILD_PATH, MALLOC_ARENA_MAX="1", OPENBLAS_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env=env)
    try:
        port = int(proc.stdout.readline().split("=")[1])
        clients, refusal = [], None
        for _ in range(20):
            c = RawClient(port, login=None)
            if c.status != "OK":
                refusal = c.status
                break
            clients.append(c)
        assert refusal is not None and refusal.startswith("The server is out of resources to serve a new connection")
        assert "can't start new thread" in refusal
        assert 0 < len(clients) < 20
        for c in clients:
            c.close()
        deadline = time.monotonic() + 10
        while True:                               # the threads end; a new connection is served again
            c = RawClient(port, login=None)
            if c.status == "OK" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert c.status == "OK" and c.script("2*3")[1].value == 6
    finally:
        proc.kill()
        proc.wait()


# -- busy workers --------------------------------------------------------------------------------------
def test_clients_connect_and_cancel_while_every_worker_is_busy(official):
    with Server(port=0, workers=2) as srv:
        busy = [RawClient(srv.port) for _ in range(2)]
        threads = [threading.Thread(target=c.script, args=("sleep(20000)",), daemon=True) for c in busy]
        for t in threads:
            t.start()
        while sum(j.running for j in list(srv.jobs.values())) < 2:
            time.sleep(0.01)
        # Connect, login and the post-connect probes need no worker: both clients get in.
        s = ddb.Session("127.0.0.1", srv.port, "admin", "123456")
        out = official(f"""
            import dolphindb as ddb
            s = ddb.Session(); print(s.connect("127.0.0.1", {srv.port}, "admin", "123456"))
        """)
        assert out.split() == ["True"]
        # getConsoleJobs / cancelConsoleJob calls are urgent too: the sleeps end long before 20 s.
        sleeping = {j.job_id for j in list(srv.jobs.values())}
        listed = set(RawClient(srv.port).call("getConsoleJobs")[1].columns["rootJobId"].data)
        assert sleeping < listed                                   # and the getConsoleJobs call itself
        s.run("cancelConsoleJob", sorted(sleeping))
        for t in threads:
            t.join(5)
        assert not any(t.is_alive() for t in threads)
        assert all(c.script("1")[0] == "OK" for c in busy)


def test_a_value_past_the_session_memory_limit_is_refused():
    with Server(port=0, max_value_bytes=64 << 20) as srv:
        c = RawClient(srv.port)
        status, _ = c.script('s = "x"; for (i in 0..29) { s = s + s }; strlen(s)')
        assert status.startswith("Out of memory: a value of 64 MB exceeds the session memory limit of 64 MB")
        assert c.script("strlen(s)")[1].value == 32 << 20                  # the last value that fit
        assert c.script("1+1")[1].value == 2


# -- abandoned jobs --------------------------------------------------------------------------------------
def _hang_up_while_running(srv, client):
    """Closes `client` once its job runs, then waits (at most 5 s) for the server's jobs to end."""
    while not any(j.running for j in list(srv.jobs.values())):
        time.sleep(0.01)
    client.close()
    deadline = time.monotonic() + 5
    while srv.jobs and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_job_whose_client_hung_up_is_cancelled():
    with Server(port=0, workers=2) as srv:
        c = RawClient(srv.port)
        body = "script\ni = 0; do { i = i + 1 } while (true)"
        c.sock.sendall(f"API2 {c.sid} {len(body)} / 32_1_4_64__0\n{body}".encode())
        _hang_up_while_running(srv, c)
        assert not srv.jobs                                                    # the loop stopped
        assert srv.job_slots.acquire(timeout=1) and srv.job_slots.acquire(timeout=1)  # both slots free
        srv.job_slots.release(), srv.job_slots.release()


def test_an_async_job_runs_on_after_its_client_hangs_up():
    with Server(port=0) as srv:
        c = RawClient(srv.port)
        c.script("sleep(500); share table(1..3 as x) as after_hangup_t", flag=32 | 4)   # no reply
        _hang_up_while_running(srv, c)
        assert RawClient(srv.port).script("exec count(*) from after_hangup_t")[1].value == 3


def test_pipelined_bytes_do_not_cancel_a_running_job():
    with Server(port=0) as srv:
        c = RawClient(srv.port)
        body = "script\nsleep(600); 5"
        c.sock.sendall(f"API2 {c.sid} {len(body)} / 32_1_4_64__0\n{body}".encode())
        time.sleep(0.3)
        c.sock.sendall(f"API2 {c.sid} 8 / 32_1_4_64__0\nscript\n6".encode())
        assert c.read_reply()[1].value == 5 and c.read_reply()[1].value == 6


# -- results -----------------------------------------------------------------------------------------------
def test_a_result_nested_too_deep_gets_an_error_reply(server, official):
    deep = "x=1; for(i in 0..150){x=[x,1]}; x"
    c = RawClient(server.port)
    status, value = c.script(deep)
    assert status == "The result is nested more than 100 levels deep and can't be serialized." and value is None
    assert c.script("1+1")[1].value == 2
    assert c.script("x=1; for(i in 0..97){x=[x,1]}; x")[0] == "OK"            # 99 levels are fine
    s = ddb.Session("127.0.0.1", server.port, "admin", "123456")
    with pytest.raises(RuntimeError, match="nested more than 100 levels"):
        s.run(deep)
    assert s.run("2+2") == 4
    out = official(f"""
        import dolphindb as ddb
        s = ddb.Session(); s.connect("127.0.0.1", {server.port}, "admin", "123456")
        try:
            s.run({deep!r})
        except Exception as e:
            print("nested more than 100 levels" in str(e))
        print(s.run("3+3"))
    """)
    assert out.split() == ["True", "6"]


# -- the exactly-once log ------------------------------------------------------------------------------
def _big(mb):
    return Vector(DOUBLE, np.zeros((mb << 20) // 8))


def test_the_request_log_is_bounded_by_bytes():
    log = RequestLog(max_bytes=100 << 20)
    for seq in range(1, 16):                 # 15 clients, 40 MB each
        log.run_once((f"client{seq}", 1), lambda: Outcome(value=_big(40)), lambda: None, lambda: False)
        assert log.kept_bytes <= 100 << 20
    assert len(log) == 15
    ran = []
    replay = log.run_once(("client1", 1), lambda: ran.append(1) or Outcome(value=1), lambda: None, lambda: False)
    assert replay.error == DROPPED and not ran         # dropped, but never run twice
    assert log.run_once(("client15", 1), lambda: ran.append(1), lambda: None, lambda: False).value is not None


def test_the_request_log_expires_by_time():
    log = RequestLog(ttl=0.2)
    log.run_once(("a", 1), lambda: Outcome(value=_big(1)), lambda: None, lambda: False)
    assert len(log) == 1 and log.kept_bytes > 1 << 20
    time.sleep(0.3)
    log.run_once(("b", 1), lambda: Outcome(value=None), lambda: None, lambda: False)
    assert len(log) == 1 and log.kept_bytes == 0            # a's entry expired


def test_tagged_requests_on_the_server_keep_a_bounded_log():
    with Server(port=0) as srv:
        srv.state.requests.max_bytes = 50 << 20
        c = RawClient(srv.port)
        for seq in range(1, 9):
            body = "script\nrand(1.0, 2500000)"                 # 20 MB each
            c.sock.sendall(f"API2 {c.sid} {len(body)} / 32_1_4_64__0__client{seq}_{seq}\n{body}".encode())
            status, value = c.read_reply()
            assert status == "OK" and len(value.data) == 2_500_000
        assert srv.state.requests.kept_bytes <= 50 << 20
        assert len(srv.state.requests) == 8                     # every key kept: no second run
