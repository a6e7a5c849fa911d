"""DBConnectionPool.shutDown() is graceful: the tasks accepted before it (addTask, runTaskAsync,
run), queued or running, run to completion and deliver their results; later submissions are
refused at once with PoolClosedError; the wait is bounded (shutDown's timeout, each task's own
deadline, a broken connection) and the same holds for close(), `with`, garbage collection and
interpreter exit. Our real server for the work, scripted stub servers for silent and dead peers,
in both pool modes (a thread per connection and the reactor)."""
from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import dolphindb as ddb
from dolphindb import exceptions

from support.stub_server import Raw, Stream, StubServer

pytestmark = pytest.mark.usefixtures("io_mode")   # threads and reactor (conftest.py)

INT_2 = b"\x04\x00\x02\x00\x00\x00"   # scalar INT 2


def pool_of(port, n=1, **kw):
    return ddb.DBConnectionPool("127.0.0.1", port, n, "admin", "123456", **kw)


def wait_until(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def accepted(pool) -> int:
    s = pool.stats()
    return s["queued"] + s["running"] + s["tasksDone"] + s["tasksFailed"]


def silent_until(release: threading.Event):
    """A reply that never comes (until the test releases the stub's connection thread)."""
    def chunks():
        release.wait(60)
        return
        yield
    return Stream(chunks())


def test_accepted_tasks_complete_and_deliver_after_shutdown(server):
    """One connection: a running sleep, then tasks queued behind it through every API. shutDown
    returns once all of them ran; each result reaches its future, its coroutine (on the
    startLoop() loop) or getData, as if the pool had stayed open."""
    pool = pool_of(server.port, 1)
    pool.startLoop()
    first = pool.runTaskAsync("sleep(500); 1")
    behind = pool.runTaskAsync("sleep(50); 2")
    pool.addTask("sleep(50); 3", 7)
    pool.addTask("add", 8, 4, 5)
    awaited = asyncio.run_coroutine_threadsafe(pool.run("sleep(50); 4"), pool.loop)
    wait_until(lambda: accepted(pool) == 5)
    pool.shutDown(timeout=60)
    assert first.result(0) == 1 and behind.result(0) == 2    # finished before shutDown returned
    assert awaited.result(10) == 4
    assert pool.isFinished(7) and pool.getData(7) == 3
    assert pool.getData(8) == 9
    with pytest.raises(RuntimeError, match="does not exist"):
        pool.getData(8)
    assert pool.loop is None and pool.is_shutdown()


def test_submissions_after_shutdown_began_are_refused(server):
    pool = pool_of(server.port, 1)
    running = pool.runTaskAsync("sleep(800); 1")
    wait_until(lambda: pool.stats()["running"] == 1)
    core = pool.pool
    closer = threading.Thread(target=pool.shutDown, args=(60,))
    closer.start()
    wait_until(core.is_shutdown)
    refused = [lambda: pool.runTaskAsync("2"), lambda: pool.addTask("2", 3), lambda: asyncio.run(pool.run("2")),
               # the native pool itself refuses, not only its Python facade
               lambda: core.submit("2", None, pool._plain_flags[0], 4, 64, -1, False, lambda r, e: None)]
    for submit in refused:
        with pytest.raises(exceptions.PoolClosedError, match="shut down"):
            submit()
    assert closer.is_alive()   # the refusals came while shutDown was still waiting for `running`
    closer.join(30)
    assert running.result(0) == 1
    with pytest.raises(RuntimeError, match=r"Task \[3\] does not exist"):
        pool.isFinished(3)     # a refused addTask leaves no entry behind


def test_a_task_cancelled_while_shutdown_waits_is_not_waited_for(server):
    """Cancelling a future or an awaiting coroutine during the drain cancels its task (its server
    job too), so shutDown returns long before the 20 s sleeps or its own 60 s."""
    pool = pool_of(server.port, 2)

    async def main():
        awaiting = asyncio.ensure_future(pool.run("sleep(20000); 1"))
        future = pool.runTaskAsync("sleep(20000); 2")
        while pool.stats()["running"] < 2:
            await asyncio.sleep(0.005)
        t0 = time.monotonic()
        closing = asyncio.get_running_loop().run_in_executor(None, pool.shutDown, 60)
        while not pool.pool.is_shutdown():
            await asyncio.sleep(0.005)
        awaiting.cancel()
        future.cancel()
        await closing
        return time.monotonic() - t0, awaiting, future
    took, awaiting, future = asyncio.run(main())
    assert took < 10
    assert awaiting.cancelled() and future.cancelled()


def test_a_silent_server_costs_shutdown_its_timeout_and_no_more():
    release = threading.Event()
    with StubServer(lambda seen: silent_until(release) if seen.text == "hang" else INT_2) as stub:
        pool = ddb.DBConnectionPool("127.0.0.1", stub.port, 1)
        hung = pool.runTaskAsync("hang")
        pool.addTask("ok", 1)
        wait_until(lambda: pool.stats()["running"] == 1)
        t0 = time.monotonic()
        pool.shutDown(timeout=1)
        took = time.monotonic() - t0
        release.set()
    assert 0.9 < took < 10
    with pytest.raises(exceptions.PoolClosedError, match="while this task ran"):
        hung.result(0)
    with pytest.raises(exceptions.PoolClosedError, match="before this task started"):
        pool.getData(1)


def test_tasks_end_with_their_own_deadline_or_network_error_and_shutdown_returns():
    """shutDown's generous timeout is not what ends these tasks: a task deadline and a server
    that drops the connection do, and the worker reconnects to run the tasks queued behind."""
    release = threading.Event()

    def dropped():
        r = Raw(b"")
        r.close = True
        return r

    replies = {"hang": lambda: silent_until(release), "drop": dropped}
    with StubServer(lambda seen: replies.get(seen.text, lambda: INT_2)()) as stub:
        pool = ddb.DBConnectionPool("127.0.0.1", stub.port, 1)
        hung = pool.runTaskAsync("hang", timeout=1)
        lost = pool.runTaskAsync("drop")
        after = pool.runTaskAsync("ok")
        t0 = time.monotonic()
        pool.shutDown(timeout=60)
        took = time.monotonic() - t0
        release.set()
    assert took < 20
    with pytest.raises(exceptions.DDBTimeoutError, match="timed out after 1000 ms"):
        hung.result(0)
    assert isinstance(lost.exception(0), exceptions.NetworkError)
    assert not isinstance(lost.exception(0), exceptions.PoolClosedError)
    assert after.result(0) == 2


def test_with_block_and_garbage_collection_drain_like_shutdown(server):
    with pool_of(server.port, 1) as pool:
        inside = pool.runTaskAsync("sleep(300); 5")
        pool.addTask("sleep(50); 6", 1)
    assert inside.result(0) == 5 and pool.getData(1) == 6
    # Futures hold no reference to the pool: dropping it drains it (no task is cut).
    orphan = pool_of(server.port, 1).runTaskAsync("sleep(300); 7")
    gc.collect()
    assert orphan.result(30) == 7

    async def main():
        async with pool_of(server.port, 1) as apool:
            tasks = [asyncio.ensure_future(apool.run(f"sleep(50); {i}")) for i in range(3)]
            await asyncio.sleep(0)   # each has submitted its task
        return await asyncio.gather(*tasks)
    assert asyncio.run(main()) == [0, 1, 2]


def test_shutdown_timeout_is_checked(server):
    pool = pool_of(server.port, 1)
    for bad in (-1, "5", float("nan")):
        with pytest.raises(ValueError, match="timeout must be"):
            pool.shutDown(bad)
    assert not pool.is_shutdown()
    pool.shutDown(0)


def _exit_child(code: str):
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=60)
    return proc, time.monotonic() - t0


def test_interpreter_exit_runs_the_accepted_tasks(server):
    proc, _ = _exit_child(f"""
        import dolphindb as ddb
        pool = ddb.DBConnectionPool("127.0.0.1", {server.port}, 1, "admin", "123456")
        f = pool.runTaskAsync("sleep(300); 7")
        f.add_done_callback(lambda f: print("done", f.result(), flush=True))
        queued = pool.runTaskAsync("8")
        queued.add_done_callback(lambda f: print("done", f.result(), flush=True))
        print("exiting", flush=True)
        """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:3] == ["exiting", "done 7", "done 8"], proc.stdout + proc.stderr


def test_interpreter_exit_against_a_silent_server_is_bounded():
    release = threading.Event()
    with StubServer(lambda seen: silent_until(release) if seen.text == "hang" else INT_2) as stub:
        proc, took = _exit_child(f"""
            import dolphindb as ddb, dolphindb.pool
            dolphindb.pool.SHUTDOWN_TIMEOUT = 1
            pool = ddb.DBConnectionPool("127.0.0.1", {stub.port}, 1)
            f = pool.runTaskAsync("hang")
            f.add_done_callback(lambda f: print(type(f.exception()).__name__, flush=True))
            """)
        release.set()
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[0] == "PoolClosedError", proc.stdout + proc.stderr
    assert took < 20
