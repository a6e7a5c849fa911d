"""Our client against DFS tables of our server: bulk inserts by upload, partition-grouped
concurrent writes through the pool, pruned reads, the engine's errors as typed exceptions."""
from __future__ import annotations

import asyncio

import numpy as np
import pandas as pd
import pytest

import dolphindb as ddb

INSERT = "tableInsert{loadTable('dfs://ours', 'pt')}"


def frame(n, seed=3):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"k": rng.integers(0, 1000, n).astype(np.int32),
                         "ts": pd.Timestamp("2024-01-02") + pd.to_timedelta(np.arange(n), unit="ms"),
                         "v": rng.random(n)})


@pytest.fixture
def session(server):
    s = ddb.Session()
    s.connect("127.0.0.1", server.port, "admin", "123456")
    s.run("""
    if (existsDatabase("dfs://ours")) dropDatabase("dfs://ours")
    db = database("dfs://ours", HASH, [INT, 8])
    db.createPartitionedTable(table(1:0, `k`ts`v, [INT, TIMESTAMP, DOUBLE]), `pt, `k)
    """)
    yield s
    s.run('dropDatabase("dfs://ours")')
    s.close()


def test_upload_insert_and_read_back(session):
    df = frame(50_000)
    assert session.run(INSERT, df) == len(df)
    back = session.run("select * from loadTable('dfs://ours', 'pt') order by ts")
    pd.testing.assert_frame_equal(back, df, check_dtype=False)
    one = session.run("select * from loadTable('dfs://ours', 'pt') where k = 7 order by ts")
    pd.testing.assert_frame_equal(one, df[df.k == 7].reset_index(drop=True), check_dtype=False)
    assert session.run("exec sum(v) from loadTable('dfs://ours', 'pt')") == pytest.approx(df.v.sum())


def test_partition_grouped_pool_writes_never_conflict(server, session):
    df = frame(80_000, seed=9)
    buckets = session.run("hashBucket{, 8}", df["k"].to_numpy())
    pool = ddb.DBConnectionPool("127.0.0.1", server.port, 8, "admin", "123456")

    async def write_all():
        parts = [df[buckets == b] for b in range(8)]
        counts = []
        for _ in range(3):       # each round: 8 concurrent writes, one per partition
            counts += await asyncio.gather(*(pool.run(INSERT, part) for part in parts))
        return counts
    try:
        counts = asyncio.run(write_all())
    finally:
        pool.shutDown()
    assert sum(counts) == 3 * len(df)
    assert session.run("exec count(*) from loadTable('dfs://ours', 'pt')") == 3 * len(df)


def test_engine_errors_reach_the_client_as_server_errors(session):
    with pytest.raises(RuntimeError, match="The number of columns of the table to insert"):
        session.run(INSERT, pd.DataFrame({"k": np.array([1], dtype=np.int32)}))
    with pytest.raises(RuntimeError, match=r"The table \[nope\] does not exist in the database \[dfs://ours\]"):
        session.run("loadTable('dfs://ours', 'nope')")
    assert session.run("existsTable('dfs://ours', 'pt')") is True
