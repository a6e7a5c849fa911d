"""Our client against the simulated cluster (PROTOCOL.md §8): loadBalance placement, high
availability (failover on kill, pause, NotLeader, dropped connections), reconnect to a restarted
server, bounded retries, exactly-once writes, and the pool's counters. Real sockets, real nodes."""
from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

import dolphindb as ddb
from dolphindb.exceptions import NetworkError, ServerError
from dolphindb.server import Cluster, Server
from support.cluster import PASSWORD, USER, session_on, wait_for


pytestmark = pytest.mark.usefixtures("io_mode")   # every test: threads and reactor (conftest.py)


def site(c, alias) -> str:
    host, port = c.address(alias)
    return f"{host}:{port}"


def alias_of(c, node: str) -> str:
    return next(a for a in c.nodes if site(c, a) == node)


def connection_counts(watcher) -> dict:
    perf = watcher.run("select name, connectionNum from rpc(getControllerAlias(), getClusterPerf)")
    return dict(zip(perf["name"], perf["connectionNum"].astype(int)))


def run_all(pool, scripts, timeout=60):
    async def main():
        return await asyncio.wait_for(asyncio.gather(*[pool.run(s) for s in scripts], return_exceptions=True),
                                      timeout)
    return asyncio.run(main())


# -- loadBalance ---------------------------------------------------------------------------------

def test_load_balance_spreads_evenly_as_documented():
    """The documented example: nodes with [5, 12, 13] connections and a 6-connection pool end at
    [7, 14, 15] (worker i on node i mod n)."""
    with Cluster(datanodes=3, computenodes=0) as c:
        watcher = session_on(c, "controller")
        held = [session_on(c, a) for a, n in (("dnode1", 5), ("dnode2", 12), ("dnode3", 13)) for _ in range(n)]
        assert connection_counts(watcher) == {"dnode1": 5, "dnode2": 12, "dnode3": 13}
        host, port = c.address("dnode2")
        pool = ddb.DBConnectionPool(host, port, 6, USER, PASSWORD, loadBalance=True)
        try:
            assert connection_counts(watcher) == {"dnode1": 7, "dnode2": 14, "dnode3": 15}   # entry closed
            assert pool.stats()["connectionsPerNode"] == {site(c, a): 2 for a in ("dnode1", "dnode2", "dnode3")}
            aliases = run_all(pool, ["sleep(50); getNodeAlias()"] * 12)
            assert sorted(set(aliases)) == ["dnode1", "dnode2", "dnode3"]
        finally:
            pool.shutDown()
        wait_for(lambda: connection_counts(watcher) == {"dnode1": 5, "dnode2": 12, "dnode3": 13})
        for s in held:
            s.close()


def test_load_balance_uses_live_data_and_compute_nodes_only():
    with Cluster(datanodes=3, computenodes=1) as c:
        c.kill("dnode2")
        host, port = c.address("dnode1")
        with ddb.DBConnectionPool(host, port, 7, USER, PASSWORD, loadBalance=True) as pool:
            per_node = pool.stats()["connectionsPerNode"]
            assert per_node == {site(c, "dnode1"): 3, site(c, "dnode3"): 2, site(c, "cnode1"): 2}


def test_load_balance_against_a_single_node_is_a_clear_error():
    with Server(port=0) as srv:
        with pytest.raises(NetworkError, match="No available data or compute nodes found in the cluster"):
            ddb.DBConnectionPool("127.0.0.1", srv.port, 2, USER, PASSWORD, loadBalance=True)
        wait_for(lambda: srv.connection_count == 0)   # the entry connection is closed


# -- highAvailability: placement ------------------------------------------------------------------

def test_ha_pool_counts_its_own_connections_when_placing_them():
    """Loads (connectionNum + 8 + 7)/3: dnode1 reports 2 connections, dnode3 none, dnode2 is busy.
    Counting its own connections the pool puts 3 on dnode3 and 1 on dnode1; the official client
    reads the loads once and would put all 4 on dnode3."""
    with Cluster(datanodes=3, computenodes=0) as c:
        c.set_load("dnode1", connectionNum=2)
        c.set_load("dnode2", connectionNum=40)
        host, port = c.address("dnode2")
        with ddb.DBConnectionPool(host, port, 4, USER, PASSWORD, highAvailability=True) as pool:
            assert pool.stats()["connectionsPerNode"] == {site(c, "dnode1"): 1, site(c, "dnode3"): 3}


def test_ha_session_connects_to_the_least_loaded_listed_node():
    with Cluster(datanodes=3, computenodes=0) as c:
        c.set_load("dnode1", connectionNum=30)
        c.set_load("dnode2", connectionNum=3)
        c.set_load("dnode3", connectionNum=1)
        sites = [site(c, a) for a in ("dnode1", "dnode2")]   # dnode3 is not listed: not a candidate
        s = session_on(c, "dnode1", highAvailability=True, highAvailabilitySites=sites)
        assert s.run("getNodeAlias()") == "dnode2" and s.node == site(c, "dnode2")
        assert s.stats()["failovers"] == 1


# -- highAvailability: failover ------------------------------------------------------------------

def test_ha_pool_survives_kills_mid_task_and_between_tasks_and_a_restart(caplog):
    with Cluster(datanodes=3, computenodes=0) as c:
        setup = session_on(c, "dnode1")
        setup.run("t = table(1:0, [`id, `node], [INT, SYMBOL]); share t as ha_log")
        host, port = c.address("dnode1")
        pool = ddb.DBConnectionPool(host, port, 4, USER, PASSWORD, loadBalance=True, highAvailability=True,
                                    reconnectTimeout=10)
        try:
            victim = "dnode2"
            scripts = [f"sleep(300); tableInsert(ha_log, {i}, getNodeAlias()); {i}" for i in range(8)]
            with caplog.at_level(logging.WARNING, logger="dolphindb"):
                killer = threading.Timer(0.1, c.kill, (victim,))
                killer.start()
                assert run_all(pool, scripts) == list(range(8))          # mid-task
                killer.join()
                assert run_all(pool, [f"{i} * 2" for i in range(20)]) == [2 * i for i in range(20)]
            ids = setup.run("exec id from ha_log order by id")
            assert list(ids) == list(range(8))                           # each exactly once
            stats = pool.stats()
            assert stats["failovers"] >= 1 and stats["resends"] >= 1
            assert site(c, victim) not in stats["connectionsPerNode"]
            assert stats["tasksDone"] == 28 and stats["tasksFailed"] == 0
            assert any("failed on " + site(c, victim) in r.getMessage() for r in caplog.records)
            assert any(r.getMessage().startswith("Failover from " + site(c, victim)) for r in caplog.records)

            c.kill("dnode3")                                             # between tasks
            assert run_all(pool, ["getNodeAlias()"] * 8) == ["dnode1"] * 8
            c.restart(victim)
            c.restart("dnode3")
            assert run_all(pool, [f"{i} + 1" for i in range(10)]) == list(range(1, 11))
        finally:
            pool.shutDown()


def test_ha_fails_clearly_within_the_bound_when_every_node_is_dead():
    with Cluster(datanodes=2, computenodes=0) as c:
        host, port = c.address("dnode1")
        pool = ddb.DBConnectionPool(host, port, 2, USER, PASSWORD, highAvailability=True, reconnectTimeout=1.5)
        try:
            c.kill("dnode1")
            c.kill("dnode2")
            results = run_all(pool, ["1 + 1"] * 3, timeout=30)
            assert all(isinstance(r, NetworkError) for r in results), results
            assert "Connect to nodes failed after" in str(results[0])
            assert site(c, "dnode1") in str(results[0]) and site(c, "dnode2") in str(results[0])
            assert pool.stats()["tasksFailed"] == 3
            c.restart("dnode2")                                          # the pool heals afterwards
            assert run_all(pool, ["getNodeAlias()"] * 2) == ["dnode2"] * 2
        finally:
            pool.shutDown()


def test_ha_session_follows_not_leader_to_the_named_leader():
    with Cluster(datanodes=3, computenodes=0) as c:
        s = session_on(c, "dnode1", highAvailability=True, highAvailabilitySites=c.sites())
        here = alias_of(c, s.node)
        leader = "dnode3" if here != "dnode3" else "dnode1"
        c.not_leader(here, leader)
        assert s.run("getNodeAlias()") == leader
        stats = s.stats()
        assert stats["resends"] == 1 and stats["reconnects"] == 0 and stats["failovers"] >= 1
        assert s.node == site(c, leader)


def test_ha_session_fails_over_from_a_paused_node_after_its_read_timeout():
    with Cluster(datanodes=2, computenodes=0) as c:
        s = session_on(c, "dnode1", highAvailability=True, highAvailabilitySites=c.sites(), readTimeout=0.5)
        here = alias_of(c, s.node)
        s.run("x = 1")
        c.pause(here)
        try:
            assert s.run("getNodeAlias()") != here
            with pytest.raises(ServerError, match="x"):
                s.run("x")                     # a new session: the old one's variables are gone
        finally:
            c.resume(here)


def test_ha_pool_survives_dropped_connections():
    with Cluster(datanodes=2, computenodes=0) as c:
        host, port = c.address("dnode1")
        with ddb.DBConnectionPool(host, port, 3, USER, PASSWORD, loadBalance=True, highAvailability=True) as pool:
            assert run_all(pool, ["1"] * 3) == [1] * 3
            c.drop_connections("dnode1")
            c.drop_connections("dnode2")
            assert run_all(pool, [f"{i}" for i in range(9)]) == list(range(9))
            stats = pool.stats()
            assert stats["reconnects"] + stats["failovers"] == 3 and stats["resends"] == 3


def test_bulk_inserts_through_an_ha_pool_while_nodes_die_land_exactly_once():
    with Cluster(datanodes=3, computenodes=0) as c:
        setup = session_on(c, "dnode1")
        setup.run("t = table(1:0, [`id, `v], [INT, DOUBLE]); share t as ha_rows")
        host, port = c.address("dnode1")
        pool = ddb.DBConnectionPool(host, port, 6, USER, PASSWORD, loadBalance=True, highAvailability=True,
                                    reconnectTimeout=10)
        batches, size = 60, 500
        scripts = [f"sleep(20); tableInsert(ha_rows, {b * size} + til({size}), rand(1.0, {size})); {b}"
                   for b in range(batches)]
        chaos_done = threading.Event()

        def chaos():
            for alias in ("dnode2", "dnode3", "dnode2"):
                time.sleep(0.15)
                c.kill(alias)
                time.sleep(0.15)
                c.restart(alias)
            chaos_done.set()

        try:
            killer = threading.Thread(target=chaos)
            killer.start()
            assert run_all(pool, scripts, timeout=120) == list(range(batches))
            killer.join()
            ids = setup.run("exec id from ha_rows")
            assert len(ids) == batches * size == len(set(ids.tolist()))
            assert pool.stats()["failovers"] >= 1
        finally:
            pool.shutDown()


# -- reconnect (no HA) ---------------------------------------------------------------------------

def test_reconnect_pool_survives_a_server_restart_while_busy():
    srv = Server(port=0)
    srv.start()
    port = srv.port
    pool = ddb.DBConnectionPool("127.0.0.1", port, 3, USER, PASSWORD, reConnect=True, reconnectTimeout=20)
    try:
        assert run_all(pool, ["1"] * 3) == [1] * 3

        def bounce():
            srv.stop()
            time.sleep(0.3)
            srv.start()

        restarter = threading.Timer(0.1, bounce)
        restarter.start()
        results = run_all(pool, [f"sleep(400); {i}" for i in range(6)])
        restarter.join()
        assert results == list(range(6))
        assert run_all(pool, [f"{i} * 3" for i in range(6)]) == [3 * i for i in range(6)]
        stats = pool.stats()
        assert stats["reconnects"] >= 3 and stats["failovers"] == 0
        assert stats["connectionsPerNode"] == {f"127.0.0.1:{port}": 3}
    finally:
        pool.shutDown()
        srv.stop()


def test_without_reconnect_a_dropped_connection_fails_the_task_and_the_next_task_reopens():
    with Server(port=0) as srv:
        with ddb.DBConnectionPool("127.0.0.1", srv.port, 1, USER, PASSWORD) as pool:
            timer = threading.Timer(0.1, srv.drop_connections)
            timer.start()
            (result,) = run_all(pool, ["sleep(500); 1"])
            timer.join()
            assert isinstance(result, NetworkError)
            assert run_all(pool, ["2"]) == [2]
            assert pool.stats()["resends"] == 0


def test_reconnect_session_reruns_startup_and_loses_session_variables():
    with Server(port=0) as srv:
        s = ddb.Session()
        assert s.connect("127.0.0.1", srv.port, USER, PASSWORD, startup="base = 40", reconnect=True)
        s.run("y = 2")
        first = s.getSessionId()
        srv.drop_connections()
        assert s.run("base + 2") == 42                  # the startup script ran on the new session
        assert s.getSessionId() != first
        with pytest.raises(ServerError):
            s.run("y")                                  # documented: session variables are gone
        assert s.stats()["reconnects"] == 1


def test_a_script_that_kills_its_own_connection_fails_after_bounded_resends():
    """Against a server that does not deduplicate resent requests, a script that closes its own
    session breaks every attempt; the official client resends it forever, ours gives up."""
    with Server(port=0, deduplicate=False) as srv:
        s = ddb.Session()
        assert s.connect("127.0.0.1", srv.port, USER, PASSWORD, reconnect=True)
        with pytest.raises(NetworkError, match="Gave up on a request after resending it 3 time"):
            s.run("closeSessions(getCurrentSessionAndUser()[0]); 1")
        assert s.stats()["resends"] == 3
        assert s.run("1 + 1") == 2


def test_a_script_that_kills_its_own_connection_runs_once_on_a_deduplicating_server():
    with Server(port=0) as srv:
        s = ddb.Session()
        assert s.connect("127.0.0.1", srv.port, USER, PASSWORD, reconnect=True)
        s.run("t = table(1:0, [`v], [INT]); share t as self_kill")
        assert s.run("tableInsert(self_kill, 1); closeSessions(getCurrentSessionAndUser()[0]); 7") == 7
        assert s.run("exec count(*) from self_kill") == 1
        assert s.stats()["resends"] == 1


def test_resilience_arguments_are_validated():
    with pytest.raises(TypeError, match="highAvailabilitySites"):
        ddb.DBConnectionPool("127.0.0.1", 1, 1, highAvailability=True, highAvailabilitySites="a:1")
    with pytest.raises(ValueError, match="highAvailabilitySites"):
        ddb.DBConnectionPool("127.0.0.1", 1, 1, highAvailability=True, highAvailabilitySites=["nope"])
    with pytest.raises(TypeError, match="tryReconnectNums"):
        ddb.Session().connect("127.0.0.1", 1, reconnect=True, tryReconnectNums="2")


def test_try_reconnect_nums_bounds_the_passes():
    with Server(port=0) as srv:
        s = ddb.Session()
        assert s.connect("127.0.0.1", srv.port, USER, PASSWORD, reconnect=True, tryReconnectNums=2,
                         reconnectTimeout=30)
        srv.stop()
        with pytest.raises(NetworkError, match=r"Connect to 127\.0\.0\.1:\d+ failed after 2 reconnect attempts"):
            s.run("1")
