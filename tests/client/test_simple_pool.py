"""SimpleDBConnectionPool against the embedded server: the official settings and error texts,
checkout semantics under contention, idle cleanup, reset on release, shutdown."""
from __future__ import annotations

import threading
import time

import pytest

import dolphindb as ddb
from dolphindb.exceptions import DDBTimeoutError, PoolClosedError
from dolphindb.server import Server


@pytest.fixture
def pool_of(server):
    pools = []

    def make(**kwargs):
        settings = dict(host="127.0.0.1", port=server.port, userid="admin", password="123456")
        settings.update(kwargs)
        pool = ddb.SimpleDBConnectionPool(**settings)
        pools.append(pool)
        return pool
    yield make
    for pool in pools:
        pool.shutdown()


def test_config_defaults_aliases_and_constraints(server):
    config = ddb.SimpleDBConnectionPoolConfig(host="h", port=1, userId="u")
    assert (config.min_pool_size, config.max_pool_size, config.idle_timeout, config.check_interval) == \
        (5, 5, 600000, 60000)
    assert config.userid == "u" and config.reset_on_release is False
    with pytest.raises(ValueError, match="min_pool_size cannot be greater than max_pool_size."):
        ddb.SimpleDBConnectionPoolConfig(host="h", port=1, min_pool_size=3, max_pool_size=2)
    with pytest.raises(ValueError, match="idle_timeout: Input should be greater than or equal to 10000"):
        ddb.SimpleDBConnectionPoolConfig(host="h", port=1, idle_timeout=9999)
    with pytest.raises(ValueError, match="check_interval"):
        ddb.SimpleDBConnectionPoolConfig(host="h", port=1, check_interval=999)
    with pytest.raises(ValueError, match="max_pool_size: Input should be greater than 0"):
        ddb.SimpleDBConnectionPoolConfig(host="h", port=1, max_pool_size=0)
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        ddb.SimpleDBConnectionPoolConfig(host="h", port=1, minPoolSize=2)
    with pytest.raises(ValueError, match="port: Field required"):
        ddb.SimpleDBConnectionPoolConfig(host="h")
    with pytest.raises(TypeError, match="must be datetime.timedelta"):
        ddb.SimpleDBConnectionPoolConfig(host="h", port=1, timeout=3)
    # config= as a dict or an object, keywords override it
    pool = ddb.SimpleDBConnectionPool(config={"host": "127.0.0.1", "port": server.port, "userid": "admin",
                                              "password": "123456", "min_pool_size": 1}, max_pool_size=2)
    try:
        assert (pool.config.min_pool_size, pool.config.max_pool_size, pool.total_count) == (1, 2, 1)
    finally:
        pool.shutdown()


def test_failed_connect_raises_and_leaves_nothing_open():
    # A server of its own: on the shared one, sessions of earlier tests still closing move the count.
    with Server(port=0) as own:
        with pytest.raises(RuntimeError, match="Failed to create a connection for the pool."):
            ddb.SimpleDBConnectionPool(host="127.0.0.1", port=own.port, userid="admin", password="wrong",
                                       min_pool_size=2, max_pool_size=2)
        # The server notices a closed socket asynchronously; the generous bound only catches a
        # connection the pool left open (that one would stay forever).
        deadline = time.monotonic() + 30
        while own.connection_count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert own.connection_count == 0


def test_acquire_release_counters_and_entry_rules(pool_of):
    pool = pool_of(min_pool_size=1, max_pool_size=2)
    assert (pool.total_count, pool.idle_count, pool.active_count) == (1, 1, 0)
    a = pool.acquire()
    b = pool.acquire()                       # opened on demand
    assert (pool.total_count, pool.idle_count, pool.active_count) == (2, 0, 2)
    assert a.session_id != b.session_id
    assert a.run("1 + 2") == 3
    with pytest.raises(RuntimeError, match="^No available connections in the pool.$"):
        pool.acquire()
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="^Timed out while waiting for a connection.$") as info:
        pool.acquire(timeout=300)
    assert isinstance(info.value, DDBTimeoutError) and time.monotonic() - started >= 0.29
    with pytest.raises(ValueError, match="The parameter timeout must be a positive number or None"):
        pool.acquire(timeout=0)
    with pytest.raises(RuntimeError, match="direct calls to connect"):
        a.connect("127.0.0.1", 1)
    with pytest.raises(RuntimeError, match="Login is only allowed"):
        a.login("admin", "123456")
    with pytest.raises(RuntimeError, match="use release"):
        a.close()
    a.release()
    with pytest.raises(RuntimeError, match="has not been acquired from the pool and cannot be used."):
        a.run("1")
    with pytest.raises(RuntimeError, match="has not been acquired from the pool and cannot be used."):
        a.upload({"x": 1})
    with pytest.raises(RuntimeError, match="does not belong to this pool or has been released."):
        pool.release(a)
    with b:
        assert b.run("2") == 2
    assert (pool.idle_count, pool.active_count) == (2, 0)
    with pool.acquire() as c:                # the data API works on a pool entry
        t = c.table(data={"x": [1, 2, 3]})
        assert t.select("sum(x) as s").toDF()["s"].iloc[0] == 6


def test_busy_connection_cannot_be_released(pool_of):
    pool = pool_of(min_pool_size=1, max_pool_size=1)
    conn = pool.acquire()
    worker = threading.Thread(target=conn.run, args=("sleep(400)",))
    worker.start()
    deadline = time.monotonic() + 5
    while not conn.is_busy and time.monotonic() < deadline:
        time.sleep(0.005)
    with pytest.raises(RuntimeError, match="^Cannot release a busy connection.$"):
        conn.release()
    worker.join()
    conn.release()
    assert pool.idle_count == 1


def test_contention_32_threads_4_connections(pool_of):
    """Every borrower gets a connection or the timeout error; no connection is lent twice at once;
    the counters stay consistent throughout."""
    pool = pool_of(min_pool_size=2, max_pool_size=4)
    holders, lock = {}, threading.Lock()
    outcomes, problems = [], []

    def borrower(i):
        for _ in range(5):
            try:   # every fourth borrower is impatient, so both outcomes occur
                conn = pool.acquire(timeout=1 if i % 4 == 0 else 5000)
            except DDBTimeoutError:
                outcomes.append("timeout")
                continue
            with lock:
                if id(conn) in holders:
                    problems.append(f"entry lent to {holders[id(conn)]} and {i}")
                holders[id(conn)] = i
                active, total = pool.active_count, pool.total_count
                if not (1 <= active <= 4 and total <= 4):
                    problems.append(f"counters active={active} total={total}")
            try:
                if conn.run(f"sleep(2); {i}") != i:
                    problems.append("wrong result")
            finally:
                with lock:
                    del holders[id(conn)]
                conn.release()
            outcomes.append("ok")

    threads = [threading.Thread(target=borrower, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not problems
    assert len(outcomes) == 32 * 5 and outcomes.count("ok") >= 24 * 5
    assert (pool.total_count, pool.active_count, pool.idle_count) == (4, 0, 4)


def test_a_release_wakes_a_waiter(pool_of):
    pool = pool_of(min_pool_size=1, max_pool_size=1)
    conn = pool.acquire()
    got = []
    # The waiter would wait ten minutes unless the release wakes it; the 30 s join is generous
    # (it only tells a wake-up from a missing one) and the daemon thread cannot hold up the run.
    waiter = threading.Thread(target=lambda: got.append(pool.acquire(timeout=600000)), daemon=True)
    waiter.start()
    time.sleep(0.1)
    conn.release()
    waiter.join(30)
    assert got and got[0] is conn
    got[0].release()


def test_reset_on_release_clears_session_variables(pool_of):
    leaky = pool_of(min_pool_size=1, max_pool_size=1)
    with leaky.acquire() as conn:
        conn.run("secret = 42")
    with leaky.acquire() as conn:
        assert conn.run("secret") == 42      # the official behaviour: state leaks between borrowers
    clean = pool_of(min_pool_size=1, max_pool_size=1, reset_on_release=True)
    with clean.acquire() as conn:
        first = conn.session_id
        conn.run("secret = 42")
    with clean.acquire() as conn:
        assert conn.session_id == first      # the same connection, reset
        assert conn.run('defined("secret")') is False


def test_idle_cleanup_keeps_min_pool_size(pool_of):
    pool = pool_of(min_pool_size=1, max_pool_size=3, idle_timeout=10000, check_interval=1000)
    entries = [pool.acquire() for _ in range(3)]
    for e in entries:
        e.release()
    assert pool.total_count == 3
    pool.close_idle()                        # forced: everything above min_pool_size goes
    assert (pool.total_count, pool.idle_count) == (1, 1)
    a, b = pool.acquire(), pool.acquire()
    b.release()
    b._last_used_time -= 11                  # as if idle for 11 s: the cleanup thread (every 1 s) closes it
    deadline = time.monotonic() + 5
    while pool.total_count > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (pool.total_count, pool.idle_count, pool.active_count) == (1, 0, 1)
    a.release()


def test_shutdown_closes_everything_and_acquire_raises(server, pool_of):
    pool = pool_of(min_pool_size=2, max_pool_size=3)
    lent = pool.acquire()
    cleaner = pool._cleaner
    pool.shutdown()
    assert pool.is_shutdown and pool.total_count == 0 and not cleaner.is_alive()
    with pytest.raises(PoolClosedError):
        pool.acquire()
    with pytest.raises(RuntimeError):        # the lent connection was closed too
        lent.run("1")
    lent.release()                           # ignored after shutdown, as in the official pool
    pool.shutdown()                          # idempotent


def test_waiters_wake_with_pool_closed_on_shutdown(pool_of):
    pool = pool_of(min_pool_size=1, max_pool_size=1)
    pool.acquire()
    errors = []

    def wait():
        try:
            pool.acquire(timeout=10000)
        except Exception as e:               # noqa: BLE001  (the type is what is checked)
            errors.append(e)
    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.1)
    pool.shutdown()
    waiter.join(5)
    assert not waiter.is_alive() and isinstance(errors[0], PoolClosedError)
