"""DFS tables of the embedded server: bulk inserts, pruned and full reads, restart time.

    python bench/dfs.py [--rows 1000000] [--restart-rows 10000000] [--no-official] [--json]

The server runs in its own process (`python -m dolphindb.server`), in memory and with
--data-dir, so the clients' threads never share its GIL. On an 8-bucket HASH table
(`HASH, [INT, 8]` on k) it measures, for our client and for the official 3.0.6.1 client
(its venv, $DDB_OFFICIAL_PYTHON or .venv-official) running the same workload code:
  * `tableInsert` of --rows rows through one connection, in batches of 100 000 rows;
  * the same rows through 8 connections, one per partition (rows grouped by hashBucket(k, 8),
    as PartitionedTableAppender and MultithreadedTableWriter group them), each in batches;
  * a point query `select * from pt where k = 5` (reads one partition) and a full scan
    `select count(*), sum(v) from pt`, median of 5;
then the restart time of a durable server holding --restart-rows rows (until it answers, and
its first full scan, which loads the partition files). Ratios are official / ours.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

WORKLOAD = r'''
import json, statistics, sys, threading, time
import numpy as np, pandas as pd
import dolphindb as ddb

port, rows, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
BATCH = 100_000
INSERT = "tableInsert{loadTable('dfs://bench', 'pt')}"

def session():
    s = ddb.Session()
    s.connect("127.0.0.1", port, "admin", "123456")
    return s

def frame(n, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"k": rng.integers(0, 1 << 20, n).astype(np.int32),
                         "ts": pd.Timestamp("2024-01-02") + pd.to_timedelta(np.arange(n), unit="ms"),
                         "v": rng.random(n)})

s = session()
s.run("""
if (existsDatabase("dfs://bench")) dropDatabase("dfs://bench")
db = database("dfs://bench", HASH, [INT, 8])
db.createPartitionedTable(table(1:0, `k`ts`v, [INT, TIMESTAMP, DOUBLE]), `pt, `k)
""")
df = frame(rows, 1)
out = {}
if mode in ("insert", "all"):
    t0 = time.perf_counter()
    for lo in range(0, rows, BATCH):
        s.run(INSERT, df.iloc[lo:lo + BATCH])
    out["insert_1conn_rows_s"] = rows / (time.perf_counter() - t0)
    s.run("delete from loadTable('dfs://bench', 'pt')")
    buckets = s.run("hashBucket{, 8}", df["k"].to_numpy())      # the server's bucket of every row
    groups = [df[np.asarray(buckets) == b] for b in range(8)]
    sessions = [session() for _ in range(8)]
    errors = []
    def write(c, part):
        try:
            for lo in range(0, len(part), BATCH // 8):
                c.run(INSERT, part.iloc[lo:lo + BATCH // 8])
        except Exception as e:
            errors.append(str(e))
    threads = [threading.Thread(target=write, args=(c, g)) for c, g in zip(sessions, groups)]
    t0 = time.perf_counter()
    [t.start() for t in threads]
    [t.join() for t in threads]
    out["insert_8conn_grouped_rows_s"] = rows / (time.perf_counter() - t0)
    if errors:
        out["errors"] = errors[:3]
if mode in ("read", "all"):
    if mode == "read":
        for lo in range(0, rows, BATCH):
            s.run(INSERT, df.iloc[lo:lo + BATCH])
    def timed(script, n=5):
        times = []
        for _ in range(n):
            t0 = time.perf_counter(); r = s.run(script); times.append(time.perf_counter() - t0)
        return statistics.median(times), r
    point, r = timed("select * from loadTable('dfs://bench', 'pt') where k = 5")
    out["point_query_ms"] = point * 1000
    scan, r = timed("select count(*), sum(v) from loadTable('dfs://bench', 'pt')")
    out["full_scan_ms"] = scan * 1000
    out["rows_in_table"] = int(r.iloc[0, 0])
print(json.dumps(out))
'''


def official_python():
    path = os.environ.get("DDB_OFFICIAL_PYTHON", str(ROOT / ".venv-official" / "bin" / "python"))
    return path if Path(path).exists() else None


def start_server(data_dir=None):
    env = dict(os.environ)
    cmd = [sys.executable, "-m", "dolphindb.server", "--port", "0"]
    if data_dir is not None:
        cmd += ["--data-dir", str(data_dir)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    if not line.startswith("READY port="):
        proc.kill()
        raise SystemExit(f"server did not start: {line!r}")
    return proc, int(line.split("=")[1]), time.perf_counter() - t0


def stop(proc):
    proc.terminate()
    proc.wait(30)


def workload(python, env, port, rows, mode):
    proc = subprocess.run([python, "-c", WORKLOAD, str(port), str(rows), mode], env=env, capture_output=True,
                          text=True, timeout=3600)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1][:300]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def restart(rows):
    """Fills a durable server with `rows` rows, stops it, and times its restart and first scan."""
    ours = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="ddb-bench-") as data:
        proc, port, _ = start_server(data)
        fill = workload(sys.executable, ours, port, rows, "read")
        stop(proc)
        proc, port, started = start_server(data)
        code = ("import sys, time, dolphindb as ddb; s = ddb.Session(); s.connect('127.0.0.1', %d, 'admin', '123456');"
                "t0 = time.perf_counter(); n = s.run(\"exec count(*) from loadTable('dfs://bench', 'pt')\");"
                "t1 = time.perf_counter(); s.run(\"select sum(v) from loadTable('dfs://bench', 'pt')\");"
                "print(n, t1 - t0, time.perf_counter() - t1)" % port)
        out = subprocess.run([sys.executable, "-c", code], env=ours, capture_output=True, text=True, timeout=3600)
        stop(proc)
        size = sum(f.stat().st_size for f in Path(data).rglob("*") if f.is_file())
        n, count_s, scan_s = out.stdout.split()
    return {"rows_on_disk": int(n), "bytes_on_disk": size, "restart_until_answering_s": started,
            "first_count_s": float(count_s), "first_full_scan_s": float(scan_s),
            "fill_rows_s_note": "filled in batches of 100000 rows", "fill": fill}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--restart-rows", type=int, default=10_000_000)
    ap.add_argument("--no-official", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    ours_env = dict(os.environ)
    official_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    clients = [("ours", sys.executable, ours_env)]
    if not args.no_official and official_python():
        clients.append(("official", official_python(), official_env))
    results = {}
    for storage in ("memory", "durable"):
        with tempfile.TemporaryDirectory(prefix="ddb-bench-") as data:
            for name, python, env in clients:
                proc, port, _ = start_server(data if storage == "durable" else None)
                try:
                    results[f"{storage}/{name}"] = workload(python, env, port, args.rows, "all")
                finally:
                    stop(proc)
    if args.restart_rows:
        results["restart"] = restart(args.restart_rows)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"DFS bench: {args.rows} rows, HASH [INT, 8], server in its own process")
    keys = ["insert_1conn_rows_s", "insert_8conn_grouped_rows_s", "point_query_ms", "full_scan_ms"]
    for storage in ("memory", "durable"):
        print(f"\n{storage}:")
        ours = results.get(f"{storage}/ours", {})
        official = results.get(f"{storage}/official", {})
        for k in keys:
            a, b = ours.get(k), official.get(k)
            ratio = ""
            if a and b:
                ratio = f"  official/ours {b / a:.2f}" if k.endswith("_ms") else f"  ours/official {a / b:.2f}"
            fmt = (lambda v: f"{v:,.0f}") if k.endswith("rows_s") else (lambda v: f"{v:.1f}")
            print(f"  {k:32s} ours {fmt(a) if a else ours.get('error', '-'):>14}   official "
                  f"{fmt(b) if b else official.get('error', '-'):>14}{ratio}")
    if "restart" in results:
        r = results["restart"]
        print(f"\nrestart with {r['rows_on_disk']:,} rows ({r['bytes_on_disk'] / 1e6:.0f} MB on disk): "
              f"answering after {r['restart_until_answering_s']:.2f} s, first count {r['first_count_s'] * 1000:.0f} ms, "
              f"first full scan (loads every partition file) {r['first_full_scan_s']:.2f} s")


if __name__ == "__main__":
    main()
