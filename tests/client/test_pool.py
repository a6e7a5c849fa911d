"""dolphindb.DBConnectionPool against the embedded server over real sockets."""
from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import threading
import time

import pandas as pd
import pytest

import dolphindb as ddb
from dolphindb import exceptions
from dolphindb.server import Server


pytestmark = pytest.mark.usefixtures("io_mode")   # every test: threads and reactor (conftest.py)


def pool_of(server, n=4, **kw):
    return ddb.DBConnectionPool("127.0.0.1", server.port, n, "admin", "123456", **kw)


def live_sessions(server) -> int:
    time.sleep(0.2)
    return server.connection_count


def test_run_returns_results_through_asyncio(server):
    with pool_of(server) as pool:
        async def main():
            assert await pool.run("1+1") == 2
            assert await pool.run("add", 2, 3) == 5
            t = await pool.run("table(1 2 as a)")
            assert isinstance(t, pd.DataFrame) and t["a"].tolist() == [1, 2]
            return await asyncio.gather(*[pool.run(f"{i}*2") for i in range(200)])
        assert asyncio.run(main()) == [i * 2 for i in range(200)]


def test_eight_sleeps_run_in_parallel_on_eight_connections(server):
    """Observed on the server, not timed: at some moment all eight sleeps hold a worker, one on
    each of the pool's sessions (run one after another, at most one would)."""
    with pool_of(server, 8) as pool:
        ids = {str(i) for i in pool.getSessionId()}
        assert len(ids) == 8
        sleeps = [pool.runTaskAsync("sleep(2000); 1") for _ in range(8)]
        most = 0
        while not all(f.done() for f in sleeps) and most < 8:
            with server.lock:
                running = {j.session.session_id for j in server.jobs.values() if j.running} & ids
            most = max(most, len(running))
            time.sleep(0.005)
        assert [f.result(30) for f in sleeps] == [1] * 8
        assert most == 8


def test_many_small_tasks_through_every_api_leave_nothing_behind(server):
    with pool_of(server, 4) as pool:
        async def via_run():
            return await asyncio.gather(*[pool.run(f"{i}+1") for i in range(2000)])
        assert asyncio.run(via_run()) == [i + 1 for i in range(2000)]
        futures = [pool.runTaskAsync(f"{i}+2") for i in range(2000)]
        assert [f.result(30) for f in futures] == [i + 2 for i in range(2000)]
        for i in range(1, 501):
            pool.addTask(f"{i}+3", i)
        deadline = time.time() + 30
        while not all(pool.isFinished(i) for i in range(1, 501)):
            assert time.time() < deadline
            time.sleep(0.01)
        assert [pool.getData(i) for i in range(1, 501)] == [i + 3 for i in range(1, 501)]
        assert pool._added == {}
        stats = pool.stats()
        assert stats["tasksDone"] >= 4500 and stats["queued"] == 0 and stats["running"] == 0


def test_add_task_ids_never_collide_with_run_ids(server):
    with pool_of(server, 2) as pool:
        pool.addTask("100", 1)
        futures = [pool.runTaskAsync("200") for _ in range(3)]
        assert [f.result(10) for f in futures] == [200] * 3
        while not pool.isFinished(1):
            time.sleep(0.01)
        assert pool.getData(1) == 100


def test_task_id_errors_keep_the_official_texts(server):
    with pool_of(server, 1) as pool:
        with pytest.raises(RuntimeError, match=r"Task \[42\] does not exist."):
            pool.isFinished(42)
        with pytest.raises(RuntimeError, match=r"Task \[42\] does not exist, the result may be fetched yet."):
            pool.getData(42)
        with pytest.raises(RuntimeError, match="Invalid identity: -1"):
            pool.addTask("1", -1)


def test_a_failing_task_raises_and_the_pool_keeps_working(server):
    with pool_of(server, 2) as pool:
        async def main():
            with pytest.raises(RuntimeError, match=r"Task \[\d+\] come across exception : .*Cannot recognize the token"):
                await pool.run("notAVariable")
            return await pool.run("7")
        assert asyncio.run(main()) == 7
        pool.addTask("alsoBad", 5)
        while True:
            try:
                if pool.isFinished(5):
                    break
            except RuntimeError as e:
                assert "come across exception" in str(e)
                break
            time.sleep(0.01)
        with pytest.raises(RuntimeError, match="come across exception"):
            pool.getData(5)
        assert pool._added == {}


def test_shutdown_is_idempotent_and_prompt_when_idle(server):
    pool = pool_of(server, 1)
    running = pool.runTaskAsync("sleep(400); 1")
    queued = [pool.runTaskAsync("2") for _ in range(5)]
    pool.shutDown(timeout=60)
    assert running.result(0) == 1                  # accepted tasks ran (tests/client/test_pool_shutdown.py)
    assert [f.result(0) for f in queued] == [2] * 5
    pool.shutDown()
    assert pool.is_shutdown()
    with pytest.raises(exceptions.PoolClosedError):
        pool.runTaskAsync("1")
    with pytest.raises(exceptions.PoolClosedError):
        pool.getSessionId()

    idle = pool_of(server, 4)
    t0 = time.perf_counter()
    idle.shutDown(timeout=60)
    assert time.perf_counter() - t0 < 30      # nothing to wait for: far below the 60 s it may wait


def test_garbage_collection_releases_every_connection(server):
    base = live_sessions(server)
    pool = pool_of(server, 5)
    assert pool.runTaskAsync("1").result(5) == 1
    assert live_sessions(server) == base + 5
    del pool
    gc.collect()
    assert live_sessions(server) == base


def test_cancelling_an_awaiting_coroutine_cancels_the_server_job(server):
    with pool_of(server, 1) as pool:
        async def main():
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(pool.run("sleep(600000); 1"), 0.3)
            # The only connection runs the next task only once the ten-minute sleep is cancelled
            # on the server; the generous 60 s bound only turns a missing cancel into a failure.
            return await asyncio.wait_for(pool.run("3"), 60)
        assert asyncio.run(main()) == 3


def test_per_task_timeout(server):
    with pool_of(server, 1) as pool:
        async def main():
            with pytest.raises(RuntimeError, match="timed out"):
                await pool.run("sleep(3000); 1", timeout=0.3)
            return await pool.run("4")
        assert asyncio.run(main()) == 4


def test_constructor_failures_name_host_and_port_and_leak_nothing(server):
    with pytest.raises(RuntimeError, match=r"Failed to connect to 127.0.0.1:1"):
        ddb.DBConnectionPool("127.0.0.1", 1, 3)
    base = live_sessions(server)
    with pytest.raises(exceptions.AuthenticationError, match=f"Failed to connect to 127.0.0.1:{server.port}"):
        ddb.DBConnectionPool("127.0.0.1", server.port, 4, "admin", "wrong")
    assert live_sessions(server) == base
    with pytest.raises(TypeError):
        ddb.DBConnectionPool("127.0.0.1", str(server.port))
    with pytest.raises(RuntimeError, match="The Arrow protocol does not support compression."):
        ddb.DBConnectionPool("127.0.0.1", server.port, 1, compress=True, protocol=3)


def test_server_dying_mid_task_fails_that_task_with_a_network_error():
    with Server(port=0) as srv:
        pool = ddb.DBConnectionPool("127.0.0.1", srv.port, 2, "admin", "123456")
        slow = pool.runTaskAsync("sleep(5000); 1")
        time.sleep(0.2)
        srv.stop()
        with pytest.raises(exceptions.NetworkError):
            slow.result(5)
        pool.shutDown()


def test_python_threads_progress_while_the_pool_downloads(server):
    with pool_of(server, 2) as pool:
        s = ddb.Session("127.0.0.1", server.port, "admin", "123456")
        s.run("share table(1..2000000 as a, 1..2000000 as b) as gil_probe")
        s.close()
        ticks = [0]
        stop = threading.Event()

        def spin():
            while not stop.is_set():
                ticks[0] += 1

        t = threading.Thread(target=spin)
        t.start()
        futures = [pool.runTaskAsync("select * from gil_probe") for _ in range(2)]
        for f in futures:
            assert len(f.result(60)) == 2_000_000
        stop.set()
        t.join()
        assert ticks[0] > 1000


def test_run_task_asyn_is_deprecated(server):
    with pool_of(server, 1) as pool:
        with pytest.warns(DeprecationWarning, match="runTaskAsyn"):
            assert pool.runTaskAsyn("5").result(5) == 5


def test_concurrent_futures_cancellation_of_a_queued_task(server):
    with pool_of(server, 1) as pool:
        blocker = pool.runTaskAsync("sleep(300); 1")
        queued = pool.runTaskAsync("2")
        assert queued.cancel()
        assert blocker.result(5) == 1
        assert pool.runTaskAsync("3").result(5) == 3
        with pytest.raises(concurrent.futures.CancelledError):
            queued.result(0)


def test_the_reactor_drives_many_connections_with_few_threads(server, io_mode):
    pool = ddb.DBConnectionPool("127.0.0.1", server.port, 48, "admin", "123456", ioThreads=None if io_mode else 0)
    try:
        async def main():
            return await asyncio.gather(*[pool.run(f"sleep(200); {i}") for i in range(48)])
        assert asyncio.run(main()) == list(range(48))
        assert len(set(pool.getSessionId())) == 48
        stats = pool.stats()
        assert stats["connections"] == 48 and stats["tasksDone"] == 48
        assert stats["threads"] == (3 if io_mode else 48)
    finally:
        pool.shutDown()


def test_io_threads_is_validated(server):
    with pytest.raises(ValueError, match="ioThreads"):
        ddb.DBConnectionPool("127.0.0.1", server.port, 2, "admin", "123456", ioThreads=-1)


def test_the_default_io_mode_follows_the_core_count():
    import os

    from dolphindb._options import io_threads
    cores = os.cpu_count() or 1
    assert io_threads(None, cores) == 0                  # no more connections than cores: threads
    assert io_threads(None, cores + 1) == cores          # more: reactor + one executor per core
    assert io_threads(3, 100) == 3 and io_threads(0, 100) == 0


def test_options_objects_are_built_from_keywords_and_refuse_unknown_ones(server):
    from dolphindb import _core
    connect = _core.ConnectOptions(host="127.0.0.1", port=server.port, user="admin", password="123456")
    resilience = _core.ResilienceOptions(reconnect=True, sites=[f"127.0.0.1:{server.port}"], maxPasses=2)
    options = _core.PoolOptions(connect=connect, resilience=resilience, size=3)
    assert (options.size, options.connect.port, options.resilience.sites) == (3, server.port,
                                                                                [f"127.0.0.1:{server.port}"])
    assert options.connect.tls is None and options.resilience.maxPasses == 2
    core = _core.PoolCore(options)
    try:
        core.open()
        assert core.stats()["connections"] == 3
    finally:
        core.shutdown(1000)
    with pytest.raises(TypeError, match="PoolOptions\\(\\) has no option 'threads'"):
        _core.PoolOptions(threads=3)
    with pytest.raises(TypeError, match="ConnectOptions.port cannot be set from a str"):
        _core.ConnectOptions(port="8848")
    with pytest.raises(ValueError, match="highAvailabilitySites: 'nohost' is not a host:port site"):
        ddb.DBConnectionPool("127.0.0.1", server.port, 1, "admin", "123456", highAvailability=True,
                             highAvailabilitySites=["nohost"])


def test_a_pool_thread_keeps_one_python_thread_state_across_completions(server):
    # Done callbacks of concurrent futures run on the pool thread that delivered the result: a
    # threading.local set there is still set for the next result that thread delivers.
    local = threading.local()
    seen = []

    def note(_):
        seen.append((threading.get_ident(), getattr(local, "mark", None)))
        local.mark = threading.get_ident()

    with pool_of(server, 1) as p:
        for _ in range(6):
            fut = p.runTaskAsync("sleep(100); 1")
            fut.add_done_callback(note)
            assert fut.result(timeout=10) == 1
    seen_before = set()
    repeats = 0
    for ident, mark in seen:
        if ident in seen_before:
            assert mark == ident
            repeats += 1
        seen_before.add(ident)
    assert repeats >= 1


def test_the_interpreter_exits_cleanly_with_tasks_still_running(server, io_mode):
    import subprocess
    import sys
    script = f"""
import asyncio
import dolphindb as ddb
pool = ddb.DBConnectionPool("127.0.0.1", {server.port}, 4, "admin", "123456", ioThreads={io_mode})
async def main():
    return await asyncio.gather(*[pool.run("1+1") for _ in range(100)])
print(sum(asyncio.run(main())))
running = [pool.runTaskAsync("sleep(2000); 1") for _ in range(6)]   # still running at exit
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "200"
