"""The rows of `bench/compare.py --server replay`, written against the official DolphinDB Python API only.

The same file runs under our client and under the official client (in its own venv), once against
the embedded server through the recording proxy and once against the replay server. Every
connection speaks PROTOCOL_DDB, so both clients and the bare C client exchange the same bytes.
It prints one JSON object: wall and client CPU seconds of the timed part, the number of timed
tasks, and a digest of the distinct results (both passes must agree).

    python bench/replay_workloads.py --port N --workload scalar --n 5000
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys

import dolphindb as ddb
import dolphindb.settings as keys

from workloads import Measure, upload_frame

# Scripts the C client replays too (compare.py finds their recorded entries by these texts).
SCALAR = "1+1"
SMALL_TABLE = "select top 10 * from bench_main"
TEXT_COLUMNS = "select sym, str from bench_main"
UPLOAD_TABLE = "t = table(1:0, `i`d`s`str`ts, [INT, DOUBLE, STRING, STRING, TIMESTAMP])"
UPLOAD_CALL = "tableInsert{t}"


def digest(value) -> str:
    import numpy as np
    import pandas as pd
    h = hashlib.sha256()
    if isinstance(value, pd.DataFrame):
        h.update(repr(list(value.columns)).encode())
        h.update(repr([str(t) for t in value.dtypes]).encode())
        h.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
    elif isinstance(value, np.ndarray):
        h.update(repr((value.dtype.str, value.shape)).encode())
        h.update(value.tobytes() if value.dtype != object else repr(value.tolist()).encode())
    else:
        h.update(repr((type(value).__name__, value)).encode())
    return h.hexdigest()


def distinct(results) -> str:
    """One digest for the set of distinct results (a pass may repeat a task more or fewer times)."""
    return hashlib.sha256("".join(sorted({digest(r) for r in results})).encode()).hexdigest()[:16]


def session(args):
    s = ddb.Session(protocol=keys.PROTOCOL_DDB)
    if not s.connect(args.host, args.port, "admin", "123456"):
        raise SystemExit(f"cannot connect to {args.host}:{args.port}")
    return s


def repeated_run(args, script, best=False):
    """`script` args.n times on one Session; total (or best single) wall and CPU."""
    s = session(args)
    results = [s.run(script)]
    if best:
        timings = []
        for _ in range(args.n):
            with Measure() as m:
                results.append(s.run(script))
            timings.append(m)
        m = min(timings, key=lambda t: t.wall)
        ops = 1
    else:
        with Measure() as m:
            for _ in range(args.n):
                results.append(s.run(script))
        ops = args.n
    s.close()
    return {"wall": m.wall, "cpu": m.cpu, "ops": ops, "digest": distinct(results)}


def scalar(args):
    return repeated_run(args, SCALAR)


def small_table(args):
    return repeated_run(args, SMALL_TABLE)


def download(args):
    return repeated_run(args, f"select * from {args.table}", best=True)


def text_download(args):
    return repeated_run(args, TEXT_COLUMNS, best=True)


def fanout(args):
    p = ddb.DBConnectionPool(args.host, args.port, args.threads, "admin", "123456", protocol=keys.PROTOCOL_DDB)

    async def main():
        first = await p.run(SCALAR)
        with Measure() as m:
            results = await asyncio.gather(*[p.run(SCALAR) for _ in range(args.n)])
        return m, [first, *results]

    m, results = asyncio.run(main())
    p.shutDown()
    return {"wall": m.wall, "cpu": m.cpu, "ops": args.n, "digest": distinct(results)}


def upload(args):
    """The best of args.n `tableInsert{t}` calls of a 1M-row frame; the result is the row count."""
    df = upload_frame(args.rows)
    s = session(args)
    s.run(UPLOAD_TABLE)
    results, timings = [], []
    for _ in range(args.n):
        with Measure() as m:
            results.append(s.run(UPLOAD_CALL, df))
        timings.append(m)
    s.close()
    m = min(timings, key=lambda t: t.wall)
    return {"wall": m.wall, "cpu": m.cpu, "ops": 1, "digest": distinct(results)}


WORKLOADS = {"scalar": scalar, "small-table": small_table, "fanout": fanout, "download": download,
             "text-download": text_download, "upload": upload}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--workload", choices=sorted(WORKLOADS), required=True)
    ap.add_argument("--n", type=int, default=1)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--table", default="scale_1000000")
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args(argv)
    json.dump(WORKLOADS[args.workload](args), sys.stdout)
    print()


if __name__ == "__main__":
    main()
