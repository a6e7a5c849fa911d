"""The embedded server from the command line.

    python -m dolphindb.server [--port 8848] [--host 127.0.0.1] [--data-dir DIR] [--workers N]
                               [--tls-cert CERT.pem --tls-key KEY.pem]
    python -m dolphindb.server cluster [--datanodes 3] [--computenodes 1] [--base-port 8900]
                                       [--no-controller] [--host ...] [--data-dir ...] [--workers N]
                                       [--tls-cert CERT.pem --tls-key KEY.pem]

A single server prints `READY port=<port>`. A cluster prints one line
`READY controller=127.0.0.1:8900 dnode1=127.0.0.1:8901 ...` and then reads fault-injection
commands on stdin, one per line, each answered by one line `OK ...` or `ERR <reason>`:

    nodes                         OK alias=host:port[:dead|:paused] ...
    kill NODE | restart NODE | pause NODE | resume NODE | drop NODE
    not_leader NODE LEADER        NODE answers <NotLeader>host:port of LEADER ('-' clears)
    set_load NODE key=value ...   shape getClusterPerf (value '-' removes the override)
    stop                          shut the cluster down and exit

End of stdin leaves the cluster running; SIGINT/SIGTERM stop it.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading

from .cluster import Cluster
from .node.server import Server


def _wait_for_signal(stop: threading.Event) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["cluster"]:
        return cluster_main(argv[1:])
    ap = argparse.ArgumentParser(prog="python -m dolphindb.server", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=8848, help="0 picks a free port")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--data-dir", help="persist shared tables and DFS databases here (zstd, atomic writes)")
    ap.add_argument("--workers", type=int, default=8, help="concurrent jobs (workerNum)")
    ap.add_argument("--max-connections", type=int, default=512, help="maxConnections")
    ap.add_argument("--max-value-mb", type=int, default=256,
                    help="the largest value a session may hold, in MiB (0 = no limit)")
    ap.add_argument("--user", default="admin", help="an administrator (kept in DATA_DIR/users.json)")
    ap.add_argument("--password", default="123456")
    _tls_arguments(ap)
    args = ap.parse_args(argv)
    try:
        srv = Server(port=args.port, host=args.host, data_dir=args.data_dir, workers=args.workers,
                     users={args.user: args.password}, max_connections=args.max_connections,
                     max_value_bytes=args.max_value_mb << 20, tls_cert=args.tls_cert, tls_key=args.tls_key).start()
    except (ValueError, OSError) as e:   # a port in use, an unreadable certificate or key
        print(f"ERR {e}", file=sys.stderr, flush=True)
        return 2
    stop = threading.Event()
    print(f"READY port={srv.port}", flush=True)
    _wait_for_signal(stop)
    srv.stop()
    return 0


def _tls_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--tls-cert", help="serve TLS only, with this PEM certificate (chain)")
    ap.add_argument("--tls-key", help="the certificate's PEM private key (if not in --tls-cert)")


def cluster_main(argv) -> int:
    ap = argparse.ArgumentParser(prog="python -m dolphindb.server cluster", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datanodes", type=int, default=3)
    ap.add_argument("--computenodes", type=int, default=1)
    ap.add_argument("--base-port", type=int, default=0,
                    help="controller on this port, the other nodes on the next ones; 0 = free ports")
    ap.add_argument("--no-controller", action="store_true")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--data-dir", help="persist shared tables and DFS databases here (zstd, atomic writes)")
    ap.add_argument("--workers", type=int, default=8, help="concurrent jobs per node (workerNum)")
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password", default="123456")
    _tls_arguments(ap)
    args = ap.parse_args(argv)
    try:
        cluster = Cluster(datanodes=args.datanodes, computenodes=args.computenodes,
                          controller=not args.no_controller, host=args.host, base_port=args.base_port,
                          users={args.user: args.password}, data_dir=args.data_dir,
                          workers=args.workers, tls_cert=args.tls_cert, tls_key=args.tls_key).start()
    except (ValueError, OSError) as e:
        print(f"ERR {e}", file=sys.stderr, flush=True)
        return 2
    stop = threading.Event()
    print("READY " + _describe(cluster), flush=True)
    threading.Thread(target=_read_commands, args=(cluster, sys.stdin, stop), daemon=True).start()
    _wait_for_signal(stop)
    cluster.stop()
    return 0


def _describe(cluster) -> str:
    out = []
    for alias in cluster.nodes:
        srv = cluster.server(alias)
        state = "" if srv.live and not srv.paused else (":dead" if not srv.live else ":paused")
        out.append(f"{alias}={srv.host}:{srv.port}{state}")
    return " ".join(out)


def _read_commands(cluster, stream, stop: threading.Event) -> None:
    for line in stream:
        words = line.split()
        if not words:
            continue
        try:
            reply = run_command(cluster, words)
        except (KeyError, ValueError, OSError) as e:
            reply = f"ERR {e.args[0] if e.args else e}"
        print(reply, flush=True)
        if words[0] == "stop":
            stop.set()
            return


def run_command(cluster, words) -> str:
    """One stdin command -> its reply line (KeyError/ValueError for bad input)."""
    cmd, rest = words[0], words[1:]
    simple = {"kill": cluster.kill, "restart": cluster.restart, "pause": cluster.pause,
              "resume": cluster.resume, "drop": cluster.drop_connections}
    if cmd in ("nodes", "stop") and not rest:
        return "OK " + _describe(cluster) if cmd == "nodes" else "OK"
    if cmd in simple and len(rest) == 1:
        simple[cmd](rest[0])
        return "OK"
    if cmd == "not_leader" and len(rest) == 2:
        cluster.not_leader(rest[0], None if rest[1] == "-" else rest[1])
        return "OK"
    if cmd == "set_load" and rest:
        fields = {}
        for item in rest[1:]:
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"expected key=value, got {item!r}")
            fields[key] = None if value == "-" else value
        cluster.set_load(rest[0], **fields)
        return "OK"
    raise ValueError(f"unknown command or wrong arguments: {' '.join(words)}")


if __name__ == "__main__":
    sys.exit(main())
