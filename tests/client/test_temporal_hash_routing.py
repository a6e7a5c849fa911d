"""Rows of every temporal type routed by hash: the client's buckets (PartitionedTableAppender's
domain, MultithreadedTableWriter's threads) are the server's `hashBucket`, and each row of a
HASH-partitioned DFS table lies in the partition that `hashBucket` names. Every date/time type,
DATEHOUR and DATEMINUTE included, hashes as its integer storage."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import dolphindb as ddb

BUCKETS = 3
ROWS = 60
_ids = itertools.count()

# The temporal types a HASH scheme takes; DATEMINUTE, TIMESTAMP, NANOTIME and NANOTIMESTAMP are
# no scheme types, so they are routed by MultithreadedTableWriter's thread hash only.
SCHEME_TYPES = ["DATE", "MONTH", "TIME", "MINUTE", "SECOND", "DATETIME", "DATEHOUR"]
ALL_TYPES = SCHEME_TYPES + ["TIMESTAMP", "NANOTIME", "NANOTIMESTAMP", "DATEMINUTE"]


def times() -> pd.Series:
    """Instants spread over every unit, from days down to nanoseconds."""
    step = pd.Timedelta(hours=37, minutes=13, seconds=17, milliseconds=123, microseconds=456, nanoseconds=789)
    return pd.Series(pd.Timestamp("2024-01-01") + step * np.arange(ROWS))


def hash_table(s, type_name: str) -> str:
    db = f"dfs://temporal_hash_{type_name.lower()}_{next(_ids)}"
    s.run(f'db = database("{db}", HASH, [{type_name}, {BUCKETS}]); '
          f'db.createPartitionedTable(table(1:0, `ts`v, [{type_name}, INT]), `pt, `ts)')
    return db


def server_buckets(s, table: str) -> np.ndarray:
    return np.asarray(s.run(f"exec hashBucket(ts, {BUCKETS}) from {table}"))


def assert_rows_lie_in_their_buckets(s, db: str):
    """Drop partition Key0, Key1, ... in turn: each drop takes exactly the rows hashBucket puts there."""
    table = f'loadTable("{db}", "pt")'
    expected = np.bincount(server_buckets(s, table), minlength=BUCKETS)
    assert expected.sum() == ROWS
    for b in range(BUCKETS):
        s.run(f'dropPartition(database("{db}"), "/Key{b}", "pt")')
        left = server_buckets(s, table)
        assert len(left) == ROWS - expected[: b + 1].sum() and not np.isin(left, range(b + 1)).any()


@pytest.mark.parametrize("type_name", SCHEME_TYPES)
def test_partitioned_table_appender_routes_by_the_server_hash(s, pool, type_name):
    db = hash_table(s, type_name)
    pta = ddb.PartitionedTableAppender(db, "pt", "ts", pool)
    df = pd.DataFrame({"ts": times(), "v": np.arange(ROWS, dtype=np.int32)})
    assert pta.append(df) == ROWS
    stored = f'loadTable("{db}", "pt")'
    keys = pta._domain.keys(np.asarray(s.run(f"exec ts from {stored} order by v")))
    assert keys.tolist() == np.asarray(s.run(f"exec hashBucket(ts, {BUCKETS}) from {stored} order by v")).tolist()
    assert_rows_lie_in_their_buckets(s, db)


@pytest.mark.parametrize("type_name", SCHEME_TYPES)
def test_multithreaded_writer_fills_hash_partitions_by_the_server_hash(s, server, type_name):
    db = hash_table(s, type_name)
    w = ddb.MultithreadedTableWriter("127.0.0.1", server.port, "", "", db, "pt", threadCount=BUCKETS,
                                     partitionCol="ts")
    for v, ts in enumerate(times()):
        assert w.insert(ts, v).succeed()
    w.waitForThreadCompletion()
    assert w.getStatus().sentRows == ROWS and w.getStatus().errorCode == ""
    assert_rows_lie_in_their_buckets(s, db)


@pytest.mark.parametrize("type_name", ALL_TYPES)
def test_multithreaded_writer_threads_are_the_server_buckets(s, server, type_name):
    name = f"temporal_mtw_{type_name.lower()}_{next(_ids)}"
    s.run(f"share table(1:0, `ts`v, [{type_name}, INT]) as {name}")
    w = ddb.MultithreadedTableWriter("127.0.0.1", server.port, "", "", "", name, threadCount=BUCKETS,
                                     partitionCol="ts")
    for v, ts in enumerate(times()):
        assert w.insert(ts, v).succeed()
    w.waitForThreadCompletion()
    status = w.getStatus()
    assert status.sentRows == ROWS and status.errorCode == ""
    per_thread = [t.sentRows for t in status.threadStatus[1:]]    # entry 0: the converter slot
    assert per_thread == np.bincount(server_buckets(s, name), minlength=BUCKETS).tolist()
