"""Helpers of the tests that run a simulated cluster (dolphindb.server.Cluster) or wait for a
server to reach a state asynchronously."""
from __future__ import annotations

import time

import dolphindb as ddb

USER, PASSWORD = "admin", "123456"


def wait_for(predicate, timeout: float = 10.0) -> None:
    """Polls a condition the server reaches on its own threads (a closed socket, a started job)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached within the timeout")
        time.sleep(0.005)


def session_on(cluster, alias: str, **kw) -> ddb.Session:
    s = ddb.Session()
    host, port = cluster.address(alias)
    assert s.connect(host, port, USER, PASSWORD, **kw), s.last_error
    return s
