"""Benchmark workloads, written against the official DolphinDB Python API only.

The same file runs under our client and under the official client (in its own venv), so every
figure is measured with identical code. It prints one JSON object: wall and client CPU seconds.

    python bench/workloads.py --port 8848 --workload seq-latency [--n 300]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time

import dolphindb as ddb
import dolphindb.settings as keys


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Measure:
    def __enter__(self):
        self.wall0, self.cpu0 = time.perf_counter(), cpu_seconds()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall0
        self.cpu = cpu_seconds() - self.cpu0


def pool(args, threads, **kw):
    return ddb.DBConnectionPool(args.host, args.port, threads, "admin", "123456", **kw)


def session(args, **kw):
    s = ddb.Session(**kw)
    if not s.connect(args.host, args.port, "admin", "123456"):
        raise SystemExit(f"cannot connect to {args.host}:{args.port}")
    return s


def seq_latency(args):
    p = pool(args, 1)

    async def main():
        await p.run("1+1")
        with Measure() as m:
            for _ in range(args.n):
                assert await p.run("1+1") == 2
        return m

    m = asyncio.run(main())
    p.shutDown()
    return {"wall": m.wall, "cpu": m.cpu, "ops": args.n, "per_op_ms": 1000 * m.wall / args.n}


def fanout(args):
    p = pool(args, args.threads)

    async def main():
        await p.run("1+1")
        with Measure() as m:
            results = await asyncio.gather(*[p.run("1+1") for _ in range(args.n)])
        assert all(r == 2 for r in results)
        return m

    m = asyncio.run(main())
    p.shutDown()
    return {"wall": m.wall, "cpu": m.cpu, "ops": args.n, "tasks_per_s": args.n / m.wall,
            "cpu_per_op_us": 1e6 * m.cpu / args.n}


def download(args):
    kw = {}
    if args.protocol:
        kw["protocol"] = {"ddb": keys.PROTOCOL_DDB, "pickle": keys.PROTOCOL_PICKLE,
                          "arrow": keys.PROTOCOL_ARROW}[args.protocol]
    if args.compress:
        kw["compress"] = True
    s = session(args, **kw)
    s.run(f"select top 10 * from {args.table}")
    best = None
    for _ in range(args.repeat):
        with Measure() as m:
            r = s.run(f"select * from {args.table}")
        rows = r.num_rows if hasattr(r, "num_rows") else len(r)
        assert rows == args.rows, (rows, args.rows)
        if best is None or m.wall < best.wall:
            best = m
    s.close()
    return {"wall": best.wall, "cpu": best.cpu, "rows": args.rows}


def parallel_download(args):
    p = pool(args, 4)

    async def main():
        await p.run(f"select top 10 * from {args.table}")
        with Measure() as m:
            frames = await asyncio.gather(*[p.run(f"select * from {args.table}") for _ in range(4)])
        assert all(len(f) == args.rows for f in frames)
        return m

    m = asyncio.run(main())
    p.shutDown()
    return {"wall": m.wall, "cpu": m.cpu, "rows": 4 * args.rows}


def sequential_download(args):
    s = session(args)
    s.run(f"select top 10 * from {args.table}")
    with Measure() as m:
        for _ in range(4):
            assert len(s.run(f"select * from {args.table}")) == args.rows
    s.close()
    return {"wall": m.wall, "cpu": m.cpu, "rows": 4 * args.rows}


def upload_frame(n):
    """n rows of INT, DOUBLE, two STRING columns and TIMESTAMP (32.9 MB on the wire at 1M rows)."""
    import numpy as np
    import pandas as pd
    rng = np.random.default_rng(1)
    return pd.DataFrame({
        "i": rng.integers(0, 1 << 30, n).astype(np.int32),
        "d": rng.random(n),
        "s": np.array([f"S{k}" for k in rng.integers(0, 500, n)], dtype=object),
        "str": np.array([f"v{k}" for k in range(n)], dtype=object),
        "ts": (np.datetime64("2024-01-01T00:00:00", "ms") + np.arange(n).astype("timedelta64[ms]")),
    })


def upload(args):
    n = args.rows
    df = upload_frame(n)
    p = pool(args, 1)

    async def main():
        await p.run("t = table(1:0, `i`d`s`str`ts, [INT, DOUBLE, STRING, STRING, TIMESTAMP])", clearMemory=False)
        with Measure() as m:
            await p.run("tableInsert{t}", df, clearMemory=False)
        count = await p.run("exec count(*) from t", clearMemory=False)
        assert count == n, count
        return m

    m = asyncio.run(main())
    p.shutDown()
    return {"wall": m.wall, "cpu": m.cpu, "rows": n}


def table_builder(args):
    """The data API's hot loop: upload a small frame as a Table, query it through the builder,
    drop it (each dropped Table's temporary variable must be freed on the server)."""
    import gc
    import pandas as pd
    df = pd.DataFrame({"sym": ["A", "B", "C", "A"] * 25, "price": [1.0, 2.0, 3.0, 4.0] * 25})
    s = session(args)
    with Measure() as m:
        for _ in range(args.n):
            t = s.table(data=df)
            assert len(t.select(["sym", "price"]).where("price > 1").sort("price", ascending=False).top(5).toDF()) == 5
        del t
        gc.collect()
        s.run("1")
    s.close()
    return {"wall": m.wall, "cpu": m.cpu, "ops": args.n, "per_op_ms": 1000 * m.wall / args.n}


def shutdown_idle(args):
    p = pool(args, args.threads)

    async def warm():
        await p.run("1+1")
    asyncio.run(warm())
    with Measure() as m:
        p.shutDown()
    return {"wall": m.wall, "cpu": m.cpu}


def _writer_workloads():
    """python/dolphindb/bench/writers.py, loaded by path so the official client runs it too."""
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parent.parent / "python" / "dolphindb" / "bench" / "writers.py"
    spec = importlib.util.spec_from_file_location("bench_writers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pta(args):
    return _writer_workloads().pta(args.host, args.port, "admin", "123456", args.rows, threads=args.threads)


def mtw(args):
    return _writer_workloads().mtw(args.host, args.port, "admin", "123456", args.rows, threads=2, frame=False)


def mtw_frame(args):
    return _writer_workloads().mtw(args.host, args.port, "admin", "123456", args.rows, threads=2, frame=True)


WORKLOADS = {
    "pta": pta,
    "mtw": mtw,
    "mtw-frame": mtw_frame,
    "seq-latency": seq_latency,
    "fanout": fanout,
    "download": download,
    "parallel-download": parallel_download,
    "sequential-download": sequential_download,
    "upload": upload,
    "shutdown-idle": shutdown_idle,
    "table-builder": table_builder,
}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--workload", choices=sorted(WORKLOADS), required=True)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--table", default="bench_1m")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--protocol", choices=["ddb", "pickle", "arrow"])
    ap.add_argument("--compress", action="store_true")
    args = ap.parse_args(argv)
    result = WORKLOADS[args.workload](args)
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
