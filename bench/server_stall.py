"""How long a new client waits to connect, log in and run `1` while another session runs one
heavy statement (a string doubled in a loop toward 1 GiB) on the embedded server.

    python bench/server_stall.py [--max-value-mb 256] [--json]

The embedded server is pure Python: a statement that holds the GIL in one long C call (copying
a huge string) delays every other thread, the accepting and handshaking ones included. The
session memory limit (`max_value_bytes`, maxMemSize-style) stops the statement before its values
get that large; this prints the heavy statement's outcome and the new clients' latencies
(median and worst) with the chosen limit.
"""
from __future__ import annotations

import argparse
import json
import statistics
import threading
import time

import dolphindb as ddb
from dolphindb.server import Server

HEAVY = 's = "x"; for (i in 0..29) { s = s + s }; strlen(s)'


def measure(max_value_mb: int) -> dict:
    with Server(port=0, max_value_bytes=max_value_mb << 20) as srv:
        heavy = ddb.Session("127.0.0.1", srv.port, "admin", "123456")
        outcome = {}

        def run():
            t0 = time.perf_counter()
            try:
                outcome["result"] = str(heavy.run(HEAVY))
            except RuntimeError as e:
                outcome["result"] = str(e).split("Server Response: ")[-1].split("' script:")[0].strip("'")
            outcome["seconds"] = time.perf_counter() - t0
        worker = threading.Thread(target=run)
        worker.start()
        latencies = []
        while worker.is_alive():
            t0 = time.perf_counter()
            s = ddb.Session("127.0.0.1", srv.port, "admin", "123456")
            s.run("1")
            latencies.append(time.perf_counter() - t0)
            s.close()
            time.sleep(0.02)
        worker.join()
    return {"max_value_mb": max_value_mb, "heavy_result": outcome["result"],
            "heavy_seconds": round(outcome["seconds"], 3), "connects": len(latencies),
            "connect_median_s": round(statistics.median(latencies), 4) if latencies else None,
            "connect_worst_s": round(max(latencies), 4) if latencies else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max-value-mb", type=int, default=256, help="0 = no limit (the statement runs to 1 GiB)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    r = measure(args.max_value_mb)
    if args.json:
        print(json.dumps(r))
        return
    for k, v in r.items():
        print(f"{k:18} {v}")


if __name__ == "__main__":
    main()
