"""DFS durability under --data-dir and the simulated cluster: a server killed with SIGKILL in the
middle of a stream of writes loses no acknowledged write and leaves no torn one; a cluster's
nodes share one catalog, and a write survives the death of the node that took it."""
from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time

import numpy as np

from dolphindb.server import Cluster
from dolphindb.server.model.values import INT, LONG, Table, Vector
from test_server_limits import tiny_disk  # noqa: F401  (a fixture: a data directory that fills up)
from test_server_protocol import RawClient

BATCH = 2000


def start_server(data_dir):
    proc = subprocess.Popen([sys.executable, "-m", "dolphindb.server", "--port", "0", "--data-dir", str(data_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("READY port="):
        proc.kill()
        raise AssertionError(f"server did not start: {line!r} {proc.stderr.read()}")
    return proc, int(line.split("=")[1])


def batch(number):
    ids = np.arange(number * BATCH, (number + 1) * BATCH, dtype=np.int64)
    return Table({"batch": Vector(INT, np.full(BATCH, number, dtype=np.int32)),
                  "k": Vector(INT, (ids % 7).astype(np.int32)),
                  "id": Vector(LONG, ids)})


def ok(reply):
    status, value = reply
    assert status == "OK", status
    return value


def test_kill_9_mid_stream_loses_no_acknowledged_write(tmp_path):
    proc, port = start_server(tmp_path)
    try:
        c = RawClient(port)
        ok(c.script('db = database("dfs://dur", HASH, [INT, 4]); '
                    'db.createPartitionedTable(table(1:0, `batch`k`id, [INT, INT, LONG]), `pt, `k)'))
        c.close()
        acked, rng = 0, random.Random(5)
        for _ in range(4):                       # four kills at random moments of a write stream
            stop = threading.Event()
            state = {"acked": acked}

            def writer(port, stop, state):
                w = RawClient(port)
                while not stop.is_set():
                    try:
                        ok(w.call("tableInsert{loadTable('dfs://dur', 'pt')}", batch(state["acked"])))
                    except (OSError, AssertionError, EOFError, ValueError):
                        return
                    state["acked"] += 1

            t = threading.Thread(target=writer, args=(port, stop, state))
            t.start()
            deadline = time.monotonic() + 60
            while state["acked"] < acked + 3 and time.monotonic() < deadline:    # the stream is flowing
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.3))                                     # then a random moment
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            stop.set()
            t.join(20)
            acked = state["acked"]
            proc, port = start_server(tmp_path)
            c = RawClient(port)
            counts = ok(c.script("select count(*) as n from loadTable('dfs://dur', 'pt') group by batch"))
            ids = ok(c.script("exec id from loadTable('dfs://dur', 'pt')"))
            c.close()
            per_batch = dict(zip(counts.columns["batch"].data.tolist(), counts.columns["n"].data.tolist()))
            assert set(per_batch.values()) <= {BATCH}                     # no torn write
            assert set(range(acked)) <= set(per_batch)                    # every acknowledged write
            assert set(per_batch) <= set(range(acked + 1))                # at most the one in flight
            assert len(np.unique(ids.data)) == len(ids)
            acked = max(per_batch) + 1 if per_batch else 0
        assert acked >= 12
    finally:
        proc.kill()
        proc.wait(10)


def test_cluster_nodes_share_the_catalog_and_survive_a_node_death(tmp_path):
    with Cluster(datanodes=2, computenodes=1, data_dir=tmp_path) as cluster:
        nodes = [n for n in cluster.nodes if n.startswith(("dnode", "cnode"))]
        first, second = nodes[0], nodes[1]
        c = RawClient(cluster.address(first)[1])
        ok(c.script('db = database("dfs://cl", VALUE, 1..3); '
                    'pt = db.createPartitionedTable(table(1:0, `batch`k`id, [INT, INT, LONG]), `pt, `k)'))
        assert ok(c.call("tableInsert{loadTable('dfs://cl', 'pt')}", batch(0))).value == BATCH
        c.close()
        cluster.kill(first)
        for alias in nodes[1:]:
            other = RawClient(cluster.address(alias)[1])
            assert list(ok(other.script("getClusterDFSDatabases()")).data) == ["dfs://cl"]
            assert ok(other.script("exec count(*) from loadTable('dfs://cl', 'pt')")).value == BATCH
            other.close()
        ok(RawClient(cluster.address(second)[1]).call("tableInsert{loadTable('dfs://cl', 'pt')}", batch(1)))
        cluster.restart(first)
        back = RawClient(cluster.address(first)[1])
        assert ok(back.script("exec count(*) from loadTable('dfs://cl', 'pt')")).value == 2 * BATCH
        back.close()


def test_a_dfs_write_that_does_not_fit_on_disk_leaves_no_trace(tiny_disk):  # noqa: F811
    data_dir, start, reason = tiny_disk
    port, stop = start()
    try:
        c = RawClient(port)
        ok(c.script('db = database("dfs://full", HASH, [INT, 4]); '
                    'db.createPartitionedTable(table(1:0, `batch`k`id, [INT, INT, LONG]), `pt, `k)'))
        assert ok(c.call("tableInsert{loadTable('dfs://full', 'pt')}", batch(0))).value == BATCH
        big = Table({"batch": Vector(INT, np.ones(60_000, dtype=np.int32)),
                     "k": Vector(INT, np.arange(60_000, dtype=np.int32)),
                     "id": Vector(LONG, np.random.default_rng(1).integers(0, 1 << 62, 60_000))})   # incompressible
        status, _ = c.call("tableInsert{loadTable('dfs://full', 'pt')}", big)
        assert status == f"Failed to save the partitions of table pt of dfs://full: {reason}"
        assert ok(c.script("exec count(*) from loadTable('dfs://full', 'pt')")).value == BATCH
        assert not [p for p in data_dir.rglob("*") if p.name.endswith(".tmp")]
        assert len(list(data_dir.rglob("*.arrow"))) == 4                  # only the first write's files
        c.close()
    finally:
        stop()
    port, stop = start()
    try:
        c = RawClient(port)
        assert ok(c.script("exec count(*) from loadTable('dfs://full', 'pt')")).value == BATCH
        c.close()
    finally:
        stop()
