"""dolphindb.server: an embedded, protocol-faithful DolphinDB server (pure Python + numpy).

    with dolphindb.server.Server(port=0) as srv:
        s = dolphindb.Session(); s.connect("127.0.0.1", srv.port, "admin", "123456")

`Cluster(datanodes=3, computenodes=1)` runs a simulated cluster (one Server per node, shared
state, fault injection by node alias); see cluster.py.

It never loads the C++ extension: its codec is independent, so the two implementations check
each other.
"""
import importlib.util

# What the client alone does not need: LZ4 and zstd (compressed results, the data directory),
# RSA (encrypted logins), pyarrow (ARROW replies, table files). Checked once, here, so a missing
# one is a clear error naming the extra instead of a failure deep inside a request.
_SERVER_EXTRA = {"lz4": "lz4", "zstandard": "zstandard", "cryptography": "cryptography",
                 "pyarrow": "pyarrow"}
_missing = [dist for module, dist in _SERVER_EXTRA.items() if importlib.util.find_spec(module) is None]
if _missing:
    raise ImportError(f"dolphindb.server needs {', '.join(_missing)}: install the server extra, "
                      "pip install 'dolphindb-fast[server]'")

from .cluster import Cluster  # noqa: E402  (after the dependency check)
from .node.server import Server, ServerState  # noqa: E402

__all__ = ["Cluster", "Server", "ServerState"]
