"""Bulk-writer workloads: PartitionedTableAppender and MultithreadedTableWriter.

Written against the official API only, so `bench/workloads.py` runs this very file under the
official client as well (same code, same server, one run). Each returns wall and client CPU
seconds of the write, everything built beforehand.
"""
from __future__ import annotations

import os
import resource
import time

import dolphindb as ddb


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def sample(n: int):
    import numpy as np
    import pandas as pd
    rng = np.random.default_rng(11)
    return pd.DataFrame({
        "sym": np.array([f"S{k:03d}" for k in rng.integers(0, 500, n)], dtype=object),
        "ts": np.datetime64("2024-01-02T09:30:00", "ms") + np.arange(n).astype("timedelta64[ms]"),
        "qty": rng.integers(1, 1000, n).astype(np.int32),
        "price": np.round(rng.random(n) * 100, 2),
    })


SCHEMA = "table(1:0, `sym`ts`qty`price, [SYMBOL, TIMESTAMP, INT, DOUBLE])"


def _session(host, port, user, password):
    s = ddb.Session()
    if not s.connect(host, port, user, password):
        raise SystemExit(f"cannot connect to {host}:{port}")
    return s


def pta(host, port, user, password, rows, threads=4, buckets=8) -> dict:
    """PartitionedTableAppender.append of `rows` rows into a HASH(`buckets`) DFS table."""
    db = f"dfs://bench_pta_{os.getpid()}"
    s = _session(host, port, user, password)
    s.run(f'if (existsDatabase("{db}")) dropDatabase("{db}")')
    s.run(f'db = database("{db}", HASH, [SYMBOL, {buckets}]); db.createPartitionedTable({SCHEMA}, `pt, `sym)')
    df = sample(rows)
    pool = ddb.DBConnectionPool(host, port, threads, user, password)
    appender = ddb.PartitionedTableAppender(db, "pt", "sym", pool)
    appender.append(df.head(10))
    wall0, cpu0 = time.perf_counter(), _cpu()
    written = appender.append(df)
    wall, cpu = time.perf_counter() - wall0, _cpu() - cpu0
    pool.shutDown()
    count = s.run(f'exec count(*) from loadTable("{db}", "pt")')
    s.run(f'dropDatabase("{db}")')
    s.close()
    assert written == rows and count == rows + 10, (written, count)
    return {"wall": wall, "cpu": cpu, "rows": rows}


def mtw(host, port, user, password, rows, threads=2, frame=False, batch=10_000) -> dict:
    """MultithreadedTableWriter: `rows` insert calls (or one insert_frame where the client has
    it), routed by `sym` over `threads` writer threads, then waitForThreadCompletion."""
    table = f"bench_mtw_{os.getpid()}_{int(frame)}"
    s = _session(host, port, user, password)
    s.run(f"share {SCHEMA} as {table}")
    df = sample(rows)
    writer = ddb.MultithreadedTableWriter(host, port, user, password, "", table, batchSize=batch, throttle=0.01,
                                          threadCount=threads, partitionCol="sym")
    vectorized = frame and hasattr(writer, "insert_frame")
    if not vectorized:
        records = list(zip(df["sym"].tolist(), df["ts"].tolist(), df["qty"].tolist(), df["price"].tolist()))
    wall0, cpu0 = time.perf_counter(), _cpu()
    if vectorized:
        result = writer.insert_frame(df)
        assert not result.hasError(), result
    else:
        insert = writer.insert
        for r in records:
            insert(*r)
    writer.waitForThreadCompletion()
    wall, cpu = time.perf_counter() - wall0, _cpu() - cpu0
    status = writer.getStatus()
    count = s.run(f"exec count(*) from {table}")
    s.run(f"undef(`{table}, SHARED)")
    s.close()
    assert status.sentRows == rows == count and not status.hasError(), (status, count)
    return {"wall": wall, "cpu": cpu, "rows": rows, "rows_per_cpu_s": rows / cpu if cpu else 0.0,
            "vectorized": vectorized}
