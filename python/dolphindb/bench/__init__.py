"""A pgbench for DolphinDB: drive a DBConnectionPool with concurrent clients and report.

    python -m dolphindb bench --workload select-point --threads 8 --clients 32 --duration 10

Without --host/--port it starts the embedded server on a free loopback port, loads a sample
market-data table, and stops it afterwards; against a real server it behaves the same (the
sample table is created there unless --no-load is given and the table exists).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

WORKLOADS = ("select-point", "select-range", "aggregate", "insert-batch", "download-table")
# Bulk writers (bench/writers.py): one timed write of --rows rows instead of a task stream.
WRITER_WORKLOADS = ("pta", "mtw", "mtw-frame")
SAMPLE_TABLE = "bench_trades"
INSERT_TABLE = "bench_inserts"


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="python -m dolphindb bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", help="server host (default: start the embedded server)")
    ap.add_argument("--port", type=int, help="server port")
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password", default="123456")
    ap.add_argument("--threads", type=int, default=4, help="pool size (connections)")
    ap.add_argument("--clients", type=int, default=16, help="concurrent submitters")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--duration", type=float, help="seconds to run (default 10)")
    g.add_argument("--tasks", type=int, help="total tasks to run")
    ap.add_argument("--workload", choices=WORKLOADS + WRITER_WORKLOADS, default="select-point",
                    help="pta: PartitionedTableAppender of --rows rows into a HASH(8) table over --threads "
                         "connections; mtw / mtw-frame: MultithreadedTableWriter, --rows insert calls / one "
                         "insert_frame, --threads writer threads")
    ap.add_argument("--script", help="a file whose script every task runs instead of a workload")
    ap.add_argument("--rows", type=int, default=100_000, help="rows of the sample table")
    ap.add_argument("--batch", type=int, default=1000, help="rows per insert-batch task")
    ap.add_argument("--protocol", choices=["default", "ddb", "pickle", "arrow"], default="default")
    ap.add_argument("--compress", action="store_true")
    ap.add_argument("--load-balance", action="store_true",
                    help="spread the pool over the cluster (default server: an embedded simulated cluster)")
    ap.add_argument("--ha", action="store_true", help="high availability (default server: an embedded simulated cluster)")
    ap.add_argument("--no-load", action="store_true", help="do not (re)create the sample table")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    ap.add_argument("--plot", help="PNG file: latency histogram and throughput over time (matplotlib)")
    ap.add_argument("--quiet", action="store_true", help="no live progress line")
    args = ap.parse_args(argv)
    if (args.host is None) != (args.port is None):
        ap.error("--host and --port go together")
    if args.duration is None and args.tasks is None:
        args.duration = 10.0
    if args.threads < 1 or args.clients < 1:
        ap.error("--threads and --clients must be positive")
    return args


@dataclass
class Stats:
    latencies: list = field(default_factory=list)      # seconds, one per completed task
    completions: list = field(default_factory=list)    # perf_counter at completion
    errors: Counter = field(default_factory=Counter)
    started: float = 0.0

    def record(self, latency: float) -> None:
        self.latencies.append(latency)
        self.completions.append(time.perf_counter())


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, int(round(q / 100 * (len(sorted_values) - 1)))))
    return sorted_values[k]


def sample_frame(n, start=0):
    import numpy as np
    import pandas as pd
    rng = np.random.default_rng(start + 7)
    return pd.DataFrame({
        "id": np.arange(start, start + n, dtype=np.int64),
        "sym": np.array([f"S{k:03d}" for k in rng.integers(0, 200, n)], dtype=object),
        "ts": np.datetime64("2024-01-02T09:30:00", "ms") + (np.arange(start, start + n) * 10).astype("timedelta64[ms]"),
        "price": np.round(rng.random(n) * 100 + 10, 2),
        "qty": rng.integers(1, 1000, n).astype(np.int32),
    })


def load_sample(session, rows):
    session.upload({"tmp": sample_frame(rows)})
    session.run(f"replaceColumn!(tmp, `sym, symbol(tmp.sym)); share tmp as {SAMPLE_TABLE}")
    session.run(f"share table(1:0, `id`sym`ts`price`qty, [LONG, SYMBOL, TIMESTAMP, DOUBLE, INT]) as {INSERT_TABLE}")


def make_task(args):
    """Returns a callable producing (script, args) for the next task."""
    if args.script:
        with open(args.script, encoding="utf-8") as f:
            text = f.read()
        return lambda: (text, ())
    rows = args.rows
    rng = random.Random(1)
    if args.workload == "select-point":
        return lambda: (f"select * from {SAMPLE_TABLE} where id = {rng.randrange(rows)}", ())
    if args.workload == "select-range":
        def task():
            lo = rng.randrange(max(1, rows - 1000))
            return f"select * from {SAMPLE_TABLE} where id >= {lo}, id < {lo + 1000}", ()
        return task
    if args.workload == "aggregate":
        return lambda: (f"select avg(price), sum(qty), count(*) from {SAMPLE_TABLE} group by sym", ())
    if args.workload == "download-table":
        return lambda: (f"select * from {SAMPLE_TABLE}", ())
    if args.workload == "insert-batch":
        batch = sample_frame(args.batch)
        return lambda: (f"tableInsert{{{INSERT_TABLE}}}", (batch,))
    raise ValueError(args.workload)


def protocol_value(name):
    import dolphindb.settings as keys
    return {"default": keys.PROTOCOL_DEFAULT, "ddb": keys.PROTOCOL_DDB,
            "pickle": keys.PROTOCOL_PICKLE, "arrow": keys.PROTOCOL_ARROW}[name]


async def drive(pool, args, stats: Stats, next_task):
    deadline = None if args.duration is None else time.perf_counter() + args.duration
    remaining = [args.tasks] if args.tasks is not None else None

    def more():
        if remaining is not None:
            if remaining[0] <= 0:
                return False
            remaining[0] -= 1
            return True
        return time.perf_counter() < deadline

    async def client():
        while more():
            script, task_args = next_task()
            t0 = time.perf_counter()
            try:
                await pool.run(script, *task_args)
            except Exception as e:  # counted by kind; a benchmark keeps going
                stats.errors[type(e).__name__] += 1
                continue
            stats.record(time.perf_counter() - t0)

    stats.started = time.perf_counter()
    progress = None if args.quiet or not sys.stderr.isatty() else asyncio.ensure_future(show_progress(stats))
    await asyncio.gather(*[client() for _ in range(args.clients)])
    if progress:
        progress.cancel()
        sys.stderr.write("\n")


async def show_progress(stats: Stats):
    last_n, last_t = 0, time.perf_counter()
    while True:
        await asyncio.sleep(1.0)
        now = time.perf_counter()
        n = len(stats.latencies)
        recent = sorted(stats.latencies[last_n:])
        sys.stderr.write(f"\r{now - stats.started:6.1f}s  {(n - last_n) / (now - last_t):9.0f} tasks/s  "
                         f"p50 {1000 * percentile(recent, 50):7.2f} ms  p99 {1000 * percentile(recent, 99):7.2f} ms  "
                         f"errors {sum(stats.errors.values())}   ")
        sys.stderr.flush()
        last_n, last_t = n, now


def summarize(args, stats: Stats, wall, cpu, pool_stats):
    lat = sorted(stats.latencies)
    done = len(lat)
    return {
        "workload": "script:" + args.script if args.script else args.workload,
        "threads": args.threads, "clients": args.clients, "protocol": args.protocol,
        "compress": args.compress, "tasks": done, "errors": dict(stats.errors),
        "wall_s": wall, "throughput_per_s": done / wall if wall else 0.0,
        "latency_ms": {k: 1000 * percentile(lat, q) for k, q in (("p50", 50), ("p90", 90), ("p99", 99))}
        | {"max": 1000 * lat[-1] if lat else float("nan"), "mean": 1000 * sum(lat) / done if done else float("nan")},
        "bytes_received": pool_stats.get("bytesReceived") if pool_stats else None,
        "client_cpu_s": cpu,
        "connections_per_node": dict(pool_stats.get("connectionsPerNode", {})) if pool_stats else None,
        "resends": pool_stats.get("resends") if pool_stats else None,
        "reconnects": pool_stats.get("reconnects") if pool_stats else None,
        "failovers": pool_stats.get("failovers") if pool_stats else None,
    }


def print_summary(s):
    lat = s["latency_ms"]
    rows = [
        ("workload", s["workload"]), ("connections / clients", f"{s['threads']} / {s['clients']}"),
        ("protocol", s["protocol"] + (" + compress" if s["compress"] else "")),
        ("tasks", f"{s['tasks']:,}"), ("throughput", f"{s['throughput_per_s']:,.1f} tasks/s"),
        ("latency p50 / p90 / p99", f"{lat['p50']:.3f} / {lat['p90']:.3f} / {lat['p99']:.3f} ms"),
        ("latency max / mean", f"{lat['max']:.3f} / {lat['mean']:.3f} ms"),
        ("bytes received", "n/a" if s["bytes_received"] is None else f"{s['bytes_received']:,}"),
        ("client CPU time", f"{s['client_cpu_s']:.3f} s over {s['wall_s']:.3f} s wall"),
        ("errors", ", ".join(f"{k}: {v}" for k, v in s["errors"].items()) or "none"),
    ]
    if s.get("connections_per_node") and len(s["connections_per_node"]) > 1:
        rows.append(("connections per node", ", ".join(f"{k}: {v}" for k, v in s["connections_per_node"].items())))
    if s.get("resends") or s.get("reconnects") or s.get("failovers"):
        rows.append(("resends / reconnects / failovers", f"{s['resends']} / {s['reconnects']} / {s['failovers']}"))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


def plot(stats: Stats, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("--plot needs matplotlib: pip install 'dolphindb-fast[plot]'") from None
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    a.hist([1000 * x for x in stats.latencies], bins=60, color="#37a")
    a.set_xlabel("latency (ms)")
    a.set_ylabel("tasks")
    if stats.completions:
        t = [c - stats.started for c in stats.completions]
        bins = max(10, int(t[-1] * 4))   # quarter-second bins, at least ten
        b.hist(t, bins=bins, color="#3a7", weights=[bins / max(t[-1], 1e-9)] * len(t))
    b.set_xlabel("time (s)")
    b.set_ylabel("tasks/s")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


class EmbeddedServer:
    """The embedded server in its own process, so its Python work never competes with the
    client's GIL and the client CPU figure is the client's alone. cluster=True starts a simulated
    cluster (3 data nodes, 1 compute node) for --load-balance / --ha; `port` is then dnode1's."""

    def __init__(self, workers, cluster=False):
        import subprocess
        command = [sys.executable, "-m", "dolphindb.server"]
        command += ["cluster", "--datanodes", "3", "--computenodes", "1"] if cluster else ["--port", "0"]
        self.proc = subprocess.Popen(command + ["--workers", str(workers)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        ready = re.compile(r"dnode1=[^:\s]+:(\d+)" if cluster else r"port\D{0,3}(\d+)", re.IGNORECASE)
        deadline = time.monotonic() + 30
        lines = []
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            m = ready.search(line)
            if m:
                self.port = int(m.group(1))
                return
        self.stop()
        raise SystemExit("the embedded server did not start: " + "".join(lines)[-500:])

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except Exception:
            self.proc.kill()


def run_writer(args) -> int:
    from . import writers
    if args.workload == "pta":
        r = writers.pta(args.host, args.port, args.user, args.password, args.rows, threads=args.threads)
    else:
        r = writers.mtw(args.host, args.port, args.user, args.password, args.rows, threads=args.threads,
                        frame=args.workload == "mtw-frame")
    r = {"workload": args.workload, "threads": args.threads, "rows": r["rows"], "wall_s": r["wall"],
         "client_cpu_s": r["cpu"], "rows_per_s": r["rows"] / r["wall"] if r["wall"] else 0.0,
         "rows_per_cpu_s": r["rows"] / r["cpu"] if r["cpu"] else 0.0}
    if args.json:
        print(json.dumps(r, indent=2))
    else:
        print(f"workload         {r['workload']} ({r['threads']} {'connections' if args.workload == 'pta' else 'writer threads'})")
        print(f"rows             {r['rows']:,}")
        print(f"wall             {r['wall_s']:.3f} s ({r['rows_per_s']:,.0f} rows/s)")
        print(f"client CPU time  {r['client_cpu_s']:.3f} s ({r['rows_per_cpu_s']:,.0f} rows per CPU second)")
    return 0


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    import dolphindb as ddb

    server = None
    if args.host is None:
        server = EmbeddedServer(workers=max(4, args.threads), cluster=args.load_balance or args.ha)
        args.host, args.port = "127.0.0.1", server.port
    try:
        if args.workload in WRITER_WORKLOADS and not args.script:
            return run_writer(args)
        if not args.no_load and not args.script:
            s = ddb.Session()
            if not s.connect(args.host, args.port, args.user, args.password):
                raise SystemExit(f"cannot connect to {args.host}:{args.port}: {getattr(s, 'last_error', '')}")
            load_sample(s, args.rows)
            s.close()
        pool = ddb.DBConnectionPool(args.host, args.port, args.threads, args.user, args.password,
                                    loadBalance=args.load_balance, highAvailability=args.ha,
                                    compress=args.compress, protocol=protocol_value(args.protocol))
        stats = Stats()
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        asyncio.run(drive(pool, args, stats, make_task(args)))
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        pool_stats = pool.stats() if hasattr(pool, "stats") else None
        pool.shutDown()
        cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
        summary = summarize(args, stats, wall, cpu, pool_stats)
    finally:
        if server is not None:
            server.stop()
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print_summary(summary)
    if args.plot:
        plot(stats, args.plot)
    return 1 if summary["tasks"] == 0 else 0
