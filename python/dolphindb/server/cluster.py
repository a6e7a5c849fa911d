"""A simulated DolphinDB cluster: a controller, data nodes and compute nodes in one process.

    with Cluster(datanodes=3, computenodes=1) as c:
        host, port = c.address("dnode1")
        c.kill("dnode1"); c.restart("dnode1")

Every node is a real `Server` on its own loopback port; all share one `ServerState` (users,
shared tables, the dedup log of §2.2.4), so any live node answers any query. Cluster functions
(getClusterPerf, getControllerAlias, rpc, getClusterLiveDataNodes, ...) live in sysfuncs.py and
reach the other nodes through `Server.cluster`. Fault injection takes node aliases and reuses the
single-server hooks of core.py.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from .node.server import Server, ServerState
from .node.sysfuncs import SHAPEABLE

MODE_DATA, MODE_CONTROLLER, MODE_COMPUTE = 0, 2, 4


class Cluster:
    """Aliases: "controller" (mode 2), "dnode1".. (mode 0), "cnode1".. (mode 4). With
    base_port, the controller listens on base_port and the others on the following ports in
    that order; base_port=0 gives every node a free port. Without a controller, the first data
    node plays the controller's role for getControllerAlias()."""

    def __init__(self, datanodes: int = 3, computenodes: int = 1, controller: bool = True,
                 host: str = "127.0.0.1", base_port: int = 0, users=None, data_dir=None,
                 workers: int = 8, tls_cert=None, tls_key=None):
        for name, n in (("datanodes", datanodes), ("computenodes", computenodes)):
            if not isinstance(n, int) or n < 0:
                raise ValueError(f"{name} must be a non-negative integer, not {n!r}")
        if datanodes < 1:
            raise ValueError("a cluster needs at least one data node")
        if not isinstance(base_port, int) or not 0 <= base_port <= 65535:
            raise ValueError(f"base_port must be 0 (free ports) or a port number, not {base_port!r}")
        specs = ([("controller", MODE_CONTROLLER)] if controller else [])
        specs += [(f"dnode{i}", MODE_DATA) for i in range(1, datanodes + 1)]
        specs += [(f"cnode{i}", MODE_COMPUTE) for i in range(1, computenodes + 1)]
        if base_port and base_port + len(specs) - 1 > 65535:
            raise ValueError(f"base_port {base_port} leaves no room for {len(specs)} nodes")
        self.state = ServerState(users, data_dir)
        self._nodes: Dict[str, Server] = {}
        for i, (alias, mode) in enumerate(specs):
            srv = Server(port=base_port + i if base_port else 0, host=host, alias=alias, mode=mode,
                         state=self.state, workers=workers, tls_cert=tls_cert, tls_key=tls_key)
            srv.cluster = self
            self._nodes[alias] = srv
        self.controller_alias = specs[0][0]

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> "Cluster":
        try:
            for srv in self._nodes.values():
                srv.start()
        except OSError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for srv in self._nodes.values():
            srv.stop()

    def __enter__(self) -> "Cluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- topology ------------------------------------------------------------------------
    @property
    def nodes(self) -> List[str]:
        """Every node alias: the controller first, then data nodes, then compute nodes."""
        return list(self._nodes)

    def server(self, alias: str) -> Server:
        """The Server object of a node (KeyError naming the known aliases if unknown)."""
        srv = self._nodes.get(alias)
        if srv is None:
            raise KeyError(f"unknown node {alias!r}; nodes: {', '.join(self._nodes)}")
        return srv

    def node(self, alias: str) -> Optional[Server]:
        return self._nodes.get(alias)

    def address(self, alias: str) -> Tuple[str, int]:
        srv = self.server(alias)
        return srv.host, srv.port

    def sites(self, modes=(MODE_DATA, MODE_COMPUTE)) -> List[str]:
        """`host:port` of the nodes of the given modes (a highAvailabilitySites list)."""
        return [f"{s.host}:{s.port}" for s in self._nodes.values() if s.mode in modes]

    def perf_nodes(self, include_controller: bool = True) -> List[Server]:
        return [s for s in self._nodes.values() if include_controller or s.mode != MODE_CONTROLLER]

    # -- fault injection -----------------------------------------------------------------
    def kill(self, alias: str) -> None:
        """Abrupt death: port closed, connections reset (RST); getClusterPerf shows state 0."""
        self.server(alias).kill()

    def restart(self, alias: str) -> None:
        """Starts the node again on the same port (killing it first if it is alive). Its
        sessions are gone, as after a real restart; shared tables are cluster state and stay."""
        srv = self.server(alias)
        if srv.live:
            srv.kill()
        srv.start()

    def pause(self, alias: str) -> None:
        """The node keeps accepting and reading but answers nothing (clients hit read timeouts)."""
        self.server(alias).pause()

    def resume(self, alias: str) -> None:
        """The node answers again, held requests included."""
        self.server(alias).resume()

    def drop_connections(self, alias: str) -> None:
        """Resets every connection of a live node; it keeps listening."""
        self.server(alias).drop_connections()

    def not_leader(self, alias: str, leader: Optional[str]) -> None:
        """The node answers every request after the handshake with `<NotLeader>host:port` of
        the node `leader`; leader=None makes it answer normally again."""
        srv = self.server(alias)
        if leader is None:
            srv.not_leader = None
        else:
            host, port = self.address(leader)
            srv.not_leader = f"{host}:{port}"

    def set_load(self, alias: str, **fields) -> None:
        """Overrides getClusterPerf measures of a node, e.g. set_load("dnode1", connectionNum=12,
        avgLoad=0.5). A value of None removes that override; no fields removes them all."""
        srv = self.server(alias)
        unknown = set(fields) - SHAPEABLE
        if unknown:
            raise ValueError(f"cannot set {', '.join(sorted(unknown))}; settable: {', '.join(sorted(SHAPEABLE))}")
        if not fields:
            srv.load_override = {}
            return
        override = dict(srv.load_override)
        for k, v in fields.items():
            if v is None:
                override.pop(k, None)
            elif k == "publicName":
                override[k] = str(v)
            elif k in ("maxMemSize", "cpuUsage", "avgLoad"):
                override[k] = float(v)
            else:
                override[k] = int(v)
        srv.load_override = override

    def __repr__(self) -> str:
        parts = [f"{a}={s.host}:{s.port}{'' if s.live else '(dead)'}" for a, s in self._nodes.items()]
        return f"Cluster({', '.join(parts)})"
