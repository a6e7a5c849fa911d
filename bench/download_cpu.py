"""Client CPU and wall time of downloads from the embedded server, our client only.

    taskset -c 0 python3 bench/download_cpu.py [--server-cpu 1] [--case small|numeric|text|all] [--replay]

The server runs in a child process (pinned with `taskset -c SERVER_CPU` when given) and keeps
the tables in shared variables, so a download costs it one serialization; the figures are the
client process's own CPU time (getrusage) and wall time per download, best of the repeats, and
its minor page faults. Pin this process too (`taskset -c 0`) for stable figures. With --replay
a recording proxy answers the repeated requests instead of the server, so wall time measures
the client (and loopback), not the server.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

import dolphindb as ddb
import dolphindb.settings as keys


def start_server(cpu, upstream=None):
    if upstream is None:
        cmd = [sys.executable, "-m", "dolphindb.server", "--port", "0", "--max-value-mb", "1024"]
    else:
        cmd = [sys.executable, os.path.join(os.path.dirname(__file__), "replay_proxy.py"), str(upstream)]
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu)] + cmd
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("READY"):
        proc.kill()
        raise SystemExit(f"server did not start: {line!r}")
    return proc, int(line.split("port=")[1].split()[0])


def usage():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_minflt


def measure(s, script, repeat, keep_previous):
    best = None
    result = None
    for _ in range(repeat):
        if not keep_previous:
            result = None
        cpu0, flt0 = usage()
        t0 = time.perf_counter()
        result = s.run(script)
        wall = time.perf_counter() - t0
        cpu1, flt1 = usage()
        row = {"wall": wall, "cpu": cpu1 - cpu0, "minflt": flt1 - flt0}
        if best is None or row["cpu"] < best["cpu"]:
            best = row
    return best, result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server-cpu", type=int, default=None)
    ap.add_argument("--case", default="all", choices=["small", "numeric", "text", "all"])
    ap.add_argument("--rows", type=int, default=10_000_000, help="rows of the numeric case")
    ap.add_argument("--text-rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--replay", action="store_true",
                    help="answer repeated requests from a recording (bench/replay_proxy.py), not the server")
    args = ap.parse_args()
    proc, port = start_server(args.server_cpu)
    procs = [proc]
    if args.replay:
        proxy, port = start_server(args.server_cpu, upstream=port)
        procs.append(proxy)
    out = {}
    try:
        s = ddb.Session(protocol=keys.PROTOCOL_DDB)
        assert s.connect("127.0.0.1", port, "admin", "123456")
        if args.case in ("small", "all"):
            s.run("share table(1..10 as i, double(1..10) as d, symbol(string(1..10)) as sym, "
                  "string(1..10) as str, timestamp(1..10) as ts) as small")
            n = 2000
            # The scalar is the floor: the request/reply exchange without a table to convert.
            for label, script in (("scalar 1+1", "1+1"), ("small 10x5 table", "small")):
                s.run(script)
                s.run(script)
                cpu0, _ = usage()
                t0 = time.perf_counter()
                for _ in range(n):
                    s.run(script)
                out[f"{label}, per run (us)"] = {
                    "cpu": 1e6 * (usage()[0] - cpu0) / n, "wall": 1e6 * (time.perf_counter() - t0) / n}
        if args.case in ("numeric", "all"):
            n = args.rows
            s.run(f"share table(int(1..{n}) as i, rand(100.0, {n}) as d, "
                  f"timestamp(1..{n}) as ts) as numeric")
            s.run("numeric")
            mb = n * (4 + 8 + 8) / 1e6
            for keep in (False, True):
                s.run("numeric")
                best, _ = measure(s, "numeric", args.repeat, keep)
                best["GB/s (wall)"] = mb / 1e3 / best["wall"]
                best["GB/s (client CPU)"] = mb / 1e3 / best["cpu"]
                out[f"{n:,} x 3 numeric ({mb:.0f} MB), previous result "
                    f"{'kept' if keep else 'freed'}"] = best
        if args.case in ("text", "all"):
            n = args.text_rows
            s.run(f"share table(symbol('S' + string(1..{n} % 500)) as sym, "
                  f"'v' + string(1..{n}) as str) as text")
            s.run("text")
            s.run("exec str from text")
            s.run("exec sym from text")
            best, _ = measure(s, "text", args.repeat, False)
            out[f"{n:,} rows STRING + SYMBOL table"] = best
            best, _ = measure(s, "exec str from text", args.repeat, False)
            out[f"{n:,} STRING vector"] = best
            best, _ = measure(s, "exec sym from text", args.repeat, False)
            out[f"{n:,} SYMBOL vector"] = best
        s.close()
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
    print(json.dumps({"replay": args.replay, "pandas": pd.__version__, "numpy": np.__version__,
                      "pid_cpus": sorted(os.sched_getaffinity(0)), "results": out}, indent=1))


if __name__ == "__main__":
    main()
