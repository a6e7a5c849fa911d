"""dolphindb.server: an embedded, protocol-faithful DolphinDB server (pure Python + numpy).

    with dolphindb.server.Server(port=0) as srv:
        s = dolphindb.Session(); s.connect("127.0.0.1", srv.port, "admin", "123456")

`Cluster(datanodes=3, computenodes=1)` runs a simulated cluster (one Server per node, shared
state, fault injection by node alias); see cluster.py.

It never loads the C++ extension: its codec is independent, so the two implementations check
each other.
"""
from .cluster import Cluster
from .core import Server, ServerState

__all__ = ["Cluster", "Server", "ServerState"]
