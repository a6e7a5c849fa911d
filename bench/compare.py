"""Side-by-side benchmark: our client vs the official client, same embedded server, one run.

    python bench/compare.py [--quick] [--save] [--plot bench/results/compare.png]
    python bench/compare.py --server replay [--quick] [--save] [--only scalar,fanout,...] [--reuse-recording]

Each workload (bench/workloads.py) runs in a fresh subprocess under our package and under the
official client's venv (.venv-official, or $DDB_OFFICIAL_PYTHON). Figures are wall time and the
client process's CPU time; the ratio is official / ours (> 1 means we are faster). Where our
pure-Python server dominates the wall time (large downloads and uploads), the client CPU ratio is
the meaningful one. The physical limits of this machine (loopback TCP, memcpy) are measured too.

With `--server replay` the rows run against a replay server of recorded embedded-server replies,
with a bare C client's figure as the limit (bench/replay_bench.py).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORKLOADS = HERE / "workloads.py"


def official_python() -> str:
    path = os.environ.get("DDB_OFFICIAL_PYTHON", str(ROOT / ".venv-official" / "bin" / "python"))
    if not Path(path).exists():
        raise SystemExit(f"official client venv not found at {path}; run .ci/run or create it with "
                         f"'python3 -m venv .venv-official && .venv-official/bin/pip install dolphindb==3.0.6.1 pandas pyarrow'")
    return path


# The official PartitionedTableAppender can wait forever for a task that already finished (its
# pool records "waiting" after enqueueing: BULK_WRITERS.md §2.7); such a run is cut short and
# repeated, and the row says how many attempts it took.
RETRIED = {"pta": (120, 3)}


def run_workload(python: str, env: dict, port: int, workload: str, extra: list, timeout: float) -> dict:
    cmd = [python, str(WORKLOADS), "--port", str(port), "--workload", workload, *extra]
    timeout, attempts = RETRIED.get(workload, (timeout, 1))
    for attempt in range(1, attempts + 1):
        try:
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            result = {"error": f"no answer within {timeout:.0f} s (attempt {attempt})"}
            continue
        if proc.returncode != 0:
            return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1][:200]}
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        if attempt > 1:
            result["attempts"] = attempt
        return result
    return result


def client_envs():
    ours = dict(os.environ)
    official = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return (sys.executable, ours), (official_python(), official)


def market_table(n: int, with_strings: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(42)
    cols = {
        "i": rng.integers(0, 1 << 30, n).astype(np.int32),
        "d": rng.random(n) * 100,
    }
    if with_strings:
        cols["sym"] = np.array([f"S{k:03d}" for k in rng.integers(0, 500, n)], dtype=object)
        cols["str"] = np.array([f"v{k}" for k in range(n)], dtype=object)
    cols["ts"] = np.datetime64("2024-01-01T09:30:00", "ms") + np.arange(n).astype("timedelta64[ms]")
    return pd.DataFrame(cols)


def load_table(port: int, name: str, df: pd.DataFrame, symbol_cols=("sym",)):
    import dolphindb as ddb
    s = ddb.Session()
    assert s.connect("127.0.0.1", port, "admin", "123456")
    s.upload({"tmp": df})
    converts = "; ".join(f"replaceColumn!(tmp, `{c}, symbol(tmp.{c}))" for c in symbol_cols if c in df)
    if converts:
        s.run(converts)
    s.run(f"share tmp as {name}")
    s.close()


def loopback_throughput(total=1 << 30, chunk=1 << 20) -> float:
    """Bytes/s one TCP connection moves over 127.0.0.1 on this machine."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    payload = b"\0" * chunk

    def sender():
        c = socket.create_connection(("127.0.0.1", port))
        for _ in range(total // chunk):
            c.sendall(payload)
        c.close()

    t = threading.Thread(target=sender)
    t.start()
    conn, _ = srv.accept()
    buf = bytearray(chunk)
    got = 0
    t0 = time.perf_counter()
    while True:
        n = conn.recv_into(buf)
        if not n:
            break
        got += n
    elapsed = time.perf_counter() - t0
    t.join()
    conn.close()
    srv.close()
    return got / elapsed


def memcpy_bandwidth(size=1 << 28) -> float:
    a = np.ones(size, dtype=np.uint8)
    b = np.empty_like(a)
    best = 1e9
    for _ in range(5):
        t0 = time.perf_counter()
        np.copyto(b, a)
        best = min(best, time.perf_counter() - t0)
    return size / best


def fmt_ratio(ours, official):
    if ours is None or official is None or ours <= 0:
        return "-"
    return f"{official / ours:.1f}x"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a 1-2 minute run)")
    ap.add_argument("--save", action="store_true", help="write bench/results/<date>.json")
    ap.add_argument("--plot", help="write a PNG bar chart of the ratios (needs matplotlib)")
    ap.add_argument("--only", help="comma-separated workload names to run")
    ap.add_argument("--server", choices=["embedded", "replay"], default="embedded",
                    help="embedded: the pure-Python server (default); replay: recorded replies served from C, "
                         "with a bare C client as the limit")
    ap.add_argument("--reuse-recording", action="store_true",
                    help="with --server replay: keep build/replay's recording from an earlier run")
    args = ap.parse_args(argv)
    if args.server == "replay":
        if args.plot:
            ap.error("--plot is for the embedded-server comparison")
        import replay_bench
        return replay_bench.main(args)

    from dolphindb.server import Server

    rows = 200_000 if args.quick else 1_000_000
    fanout_n = 2_000 if args.quick else 10_000
    (ours_py, ours_env), (off_py, off_env) = client_envs()
    results = []
    with Server(port=0, workers=8) as srv:
        port = srv.port
        load_table(port, "bench_main", market_table(rows))
        plan = [
            ("sequential latency (per task, ms)", "seq-latency", ["--n", "100" if args.quick else "300"], "per_op_ms"),
            ("gather 100 tasks", "fanout", ["--n", "100"], "wall"),
            ("gather 1,000 tasks", "fanout", ["--n", "1000"], "wall"),
            ("gather 5,000 tasks", "fanout", ["--n", "5000"], "wall"),
            (f"fan-out {fanout_n:,} tasks x16 (CPU/task)", "fanout", ["--n", str(fanout_n), "--threads", "16"],
             "cpu_per_op_us"),
            (f"download {rows:,} rows x 5 cols", "download", ["--table", "bench_main", "--rows", str(rows)], "cpu"),
            ("4 parallel downloads (4-conn pool)", "parallel-download", ["--table", "bench_main", "--rows", str(rows)], "wall"),
            ("4 sequential downloads (Session)", "sequential-download", ["--table", "bench_main", "--rows", str(rows)], "wall"),
            (f"upload {rows:,} rows (tableInsert)", "upload", ["--rows", str(rows)], "cpu"),
            ("idle shutDown (ms)", "shutdown-idle", [], "wall"),
            ("Table upload + builder query (per Table, ms)", "table-builder", ["--n", "100" if args.quick else "300"],
             "per_op_ms"),
            (f"compressed download {rows:,} rows", "download", ["--table", "bench_main", "--rows", str(rows), "--compress"], "cpu"),
            (f"PICKLE download {rows:,} rows", "download", ["--table", "bench_main", "--rows", str(rows), "--protocol", "pickle"], "cpu"),
            (f"ARROW download {rows:,} rows", "download", ["--table", "bench_main", "--rows", str(rows), "--protocol", "arrow"], "cpu"),
            (f"PTA {rows:,} rows, HASH(8), 4 conns", "pta", ["--rows", str(rows), "--threads", "4"], "cpu"),
            (f"MTW {rows:,} insert calls, 2 threads", "mtw", ["--rows", str(rows)], "cpu"),
            (f"MTW insert_frame {rows:,} rows (official: rows)", "mtw-frame", ["--rows", str(rows)], "cpu"),
        ]
        for threads in (1, 2, 4, 8, 16):
            plan.append((f"scaling: 1,000 tasks, {threads} conns", "fanout", ["--n", "1000", "--threads", str(threads)], "wall"))
        sizes = [10**4, 10**5, 10**6] + ([] if args.quick else [10**7])
        for n in sizes:
            name = f"scale_{n}"
            load_table(port, name, market_table(n, with_strings=False), symbol_cols=())
            plan.append((f"scaling: download {n:,} rows x 3 cols", "download",
                         ["--table", name, "--rows", str(n), "--repeat", "1" if n >= 10**7 else "3"], "cpu"))
        if args.only:
            wanted = set(args.only.split(","))
            plan = [p for p in plan if p[1] in wanted]
        for label, workload, extra, metric in plan:
            timeout = 900
            ours = run_workload(ours_py, ours_env, port, workload, extra, timeout)
            official = run_workload(off_py, off_env, port, workload, extra, timeout)
            results.append({"label": label, "workload": workload, "args": extra, "metric": metric,
                            "ours": ours, "official": official})
            print_row(results[-1], rows)
        limits = {"loopback_bytes_per_s": loopback_throughput(), "memcpy_bytes_per_s": memcpy_bandwidth()}
    print_summary(results, limits)
    report = {"date": dt.date.today().isoformat(), "machine": machine(), "rows": rows,
              "quick": args.quick, "limits": limits, "results": results}
    if args.save:
        out = HERE / "results" / f"{report['date']}.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(report, indent=2))
        print(f"saved {out}")
    if args.plot:
        plot(results, args.plot)


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def value(r: dict, metric: str):
    if "error" in r:
        return None
    return r.get(metric)


def print_row(r, rows):
    o, f = value(r["ours"], r["metric"]), value(r["official"], r["metric"])
    ow, fw = value(r["ours"], "wall"), value(r["official"], "wall")
    print(f"{r['label']:<42} ours {fmt(o, r)} official {fmt(f, r)}  ratio {fmt_ratio(o, f):>7}"
          f"   (wall {fmt(ow, r, 'wall')} / {fmt(fw, r, 'wall')})", flush=True)
    for side in ("ours", "official"):
        if "error" in r[side]:
            print(f"    {side} failed: {r[side]['error']}")


def fmt(v, r, metric=None):
    if v is None:
        return "  error"
    if (metric or r["metric"]).endswith("_us"):
        return f"{v:8.1f}us"
    if r["metric"] == "per_op_ms" or r["workload"] == "shutdown-idle":
        v = v if r["metric"] == "per_op_ms" else v * 1000
        return f"{v:8.3f}ms"
    return f"{v:8.3f}s "


def print_summary(results, limits):
    print()
    print(f"loopback TCP: {limits['loopback_bytes_per_s'] / 1e9:.2f} GB/s, memcpy: {limits['memcpy_bytes_per_s'] / 1e9:.2f} GB/s")
    for r in results:
        if r["workload"] == "download" and "error" not in r["ours"] and "--protocol" not in r["args"]:
            n = r["ours"].get("rows", 0)
            bytes_est = n * (4 + 8 + 8 + (8 if "bench_main" in r["args"] else 0) + (4 if "bench_main" in r["args"] else 0))
            rate = bytes_est / r["ours"]["cpu"] if r["ours"]["cpu"] else 0
            print(f"  {r['label']}: client decode+convert ~{rate / 1e9:.2f} GB/s of CPU "
                  f"= {100 * rate / limits['loopback_bytes_per_s']:.0f}% of loopback TCP")


def plot(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("--plot needs matplotlib (pip install matplotlib)") from None
    labels, ratios = [], []
    for r in results:
        o, f = value(r["ours"], r["metric"]), value(r["official"], r["metric"])
        if o and f:
            labels.append(r["label"])
            ratios.append(f / o)
    fig, ax = plt.subplots(figsize=(10, 0.4 * len(labels) + 1.5))
    ax.barh(labels[::-1], ratios[::-1], color="#3a7")
    ax.axvline(1, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("speed-up over the official client (official / ours, log scale)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
