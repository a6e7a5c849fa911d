"""python -m dolphindb.server --port 8848 [--host 127.0.0.1] [--data-dir DIR] [--workers N]"""
from __future__ import annotations

import argparse
import signal
import sys
import threading


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m dolphindb.server", description=__doc__)
    ap.add_argument("--port", type=int, default=8848, help="0 picks a free port")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--data-dir", help="persist shared tables here (zstd, atomic writes)")
    ap.add_argument("--workers", type=int, default=8, help="concurrent jobs (workerNum)")
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password", default="123456")
    args = ap.parse_args(argv)
    from .core import Server
    srv = Server(port=args.port, host=args.host, data_dir=args.data_dir, workers=args.workers,
                 users={args.user: args.password}).start()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(f"READY port={srv.port}", flush=True)
    while not stop.wait(0.5):
        pass
    srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
