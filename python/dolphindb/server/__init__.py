"""dolphindb.server: an embedded, protocol-faithful DolphinDB server (pure Python + numpy).

    with dolphindb.server.Server(port=0) as srv:
        s = dolphindb.Session(); s.connect("127.0.0.1", srv.port, "admin", "123456")

It never loads the C++ extension: its codec is independent, so the two implementations check
each other.
"""
from .core import Server, ServerState

__all__ = ["Server", "ServerState"]
