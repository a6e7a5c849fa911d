"""A connection is busy from the moment another thread's request has begun, as the official
DBConnection (whose Python lock is taken before any network wait) shows it."""
from __future__ import annotations

import sys
import threading

from dolphindb import DBConnection

USER, PASSWORD = "admin", "123456"


def test_a_request_holds_the_connection_before_it_lets_the_gil_go(server):
    conn = DBConnection()
    assert conn.connect("127.0.0.1", server.port, USER, PASSWORD)
    interval = sys.getswitchinterval()
    # The worker keeps the GIL until its request first waits without it: whatever it has taken by
    # then is all the main thread can see once start() returns.
    sys.setswitchinterval(5.0)
    try:
        worker = threading.Thread(target=conn.run, args=("sleep(300); 1",))
        worker.start()
        busy_at_start = conn.is_busy
    finally:
        sys.setswitchinterval(interval)
    worker.join(30)
    assert busy_at_start is True
    assert not worker.is_alive() and conn.is_busy is False
    conn.close()
