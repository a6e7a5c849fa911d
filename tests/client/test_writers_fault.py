"""No data loss in MultithreadedTableWriter when a data node dies mid-batch: every inserted row
is on the server exactly once or returned by getUnwrittenData() (simulated cluster)."""
from __future__ import annotations

import threading
import time

import numpy as np

import dolphindb as ddb
from dolphindb.server.cluster import Cluster
from support.cluster import PASSWORD, USER, session_on, wait_for

ROWS = 100_000


def test_mtw_with_high_availability_writes_every_row_once_when_its_node_dies(caplog):
    with Cluster(datanodes=3, computenodes=0) as c:
        watcher = session_on(c, "dnode3")
        watcher.run("share table(1:0, `id`v, [INT, DOUBLE]) as mtw_ha")
        host, port = c.address("dnode1")
        writer = ddb.MultithreadedTableWriter(host, port, USER, PASSWORD, "", "mtw_ha", enableHighAvailability=True,
                                              highAvailabilitySites=c.sites(), batchSize=2000, throttle=0.01,
                                              threadCount=2, partitionCol="id", reconnectTimeout=20)
        # Kill the node both writer connections are on while rows are still to be sent, then
        # reset the connections of the node they failed over to. Done from the inserting
        # thread, so the faults always land mid-stream however fast the writer drains.
        for i in range(ROWS):
            writer.insert(i, i * 0.5)
            if i == ROWS // 5:
                wait_for(lambda: writer.getStatus().sentRows > 0, timeout=30)
                c.kill("dnode1")
            elif i == ROWS // 2:
                c.drop_connections("dnode2")
        writer.waitForThreadCompletion()
        status = writer.getStatus()
        unwritten = writer.getUnwrittenData()
        ids = watcher.run("exec id from mtw_ha")
        values = watcher.run("exec v from mtw_ha")
        assert len(np.unique(ids)) == len(ids), "a row was written twice"
        assert np.allclose(values, ids * 0.5)
        missing = sorted(set(range(ROWS)) - set(ids.tolist()))
        assert sorted(row[0] for row in unwritten) == missing
        assert len(ids) + len(unwritten) == ROWS
        assert status.sentRows == len(ids)
        # With two live nodes left, HA should have written everything, after failing over and
        # resending the batches that were in flight.
        assert status.errorCode == "" and not unwritten
        messages = [r.getMessage() for r in caplog.records]
        assert any(m.startswith("Failover from " + f"{host}:{port}") for m in messages), messages
        assert any(m.startswith("Resending a request") for m in messages), messages


def test_mtw_with_reconnect_resends_once_across_a_server_restart():
    from dolphindb.server import Server
    srv = Server(port=0).start()
    try:
        s = ddb.Session()
        s.connect("127.0.0.1", srv.port)
        s.run("share table(1:0, `id`v, [INT, DOUBLE]) as mtw_rc")
        s.close()
        writer = ddb.MultithreadedTableWriter("127.0.0.1", srv.port, "", "", "", "mtw_rc", batchSize=1000,
                                              throttle=0.01, reconnect=True, reconnectTimeout=20)

        def chaos():
            while writer.getStatus().sentRows < 10_000:
                time.sleep(0.002)
            srv.kill()
            time.sleep(0.3)
            srv.start()

        killer = threading.Thread(target=chaos, daemon=True)
        killer.start()
        for i in range(50_000):
            writer.insert(i, 1.0)
        killer.join(60)
        writer.waitForThreadCompletion()
        s = ddb.Session()
        s.connect("127.0.0.1", srv.port)
        ids = s.run("exec id from mtw_rc")
        s.close()
        assert writer.getStatus().errorCode == "" and writer.getUnwrittenData() == []
        assert sorted(ids.tolist()) == list(range(50_000))
    finally:
        srv.stop()
