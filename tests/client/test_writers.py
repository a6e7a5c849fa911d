"""The bulk writers against the embedded server: PartitionedTableAppender over every partition
type, MultithreadedTableWriter (routing, batching, failures, unwritten data), TableAppender /
TableUpserter and BatchTableWriter, with the official error texts."""
from __future__ import annotations

import datetime
import itertools
import time

import numpy as np
import pandas as pd
import pytest

import dolphindb as ddb
from dolphindb import _core

_ids = itertools.count()


def fresh(prefix: str) -> str:
    return f"{prefix}{next(_ids)}_{int(time.time() * 1000) % 100000}"


def frame(n: int, syms=("AAPL", "TSLA", "GS", "MS", "GE", "BA", "UAL", "WMT", "IBM", "MSFT")) -> pd.DataFrame:
    return pd.DataFrame({
        "sym": [syms[i % len(syms)] for i in range(n)],
        "date": pd.to_datetime("2024-01-01") + pd.to_timedelta(np.arange(n) % 5, unit="D"),
        "qty": np.arange(n, dtype=np.int32) % 30,
        "price": np.arange(n, dtype=np.float64) / 4,
    })


def sorted_rows(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["date"] = df["date"].astype("datetime64[ns]")
    df["sym"] = df["sym"].astype(object)
    return df.sort_values("price").reset_index(drop=True)


SCHEMA = "table(1:0, `sym`date`qty`price, [SYMBOL, DATE, INT, DOUBLE])"

# (database script, partitioning column) per partition type; "{db}" is the database path.
PARTITIONINGS = {
    "value": ('database("{db}", VALUE, 2024.01.01..2024.01.05)', "date"),
    "range": ('database("{db}", RANGE, 0 10 20 30)', "qty"),
    "list": ('database("{db}", LIST, [`AAPL`TSLA, `GS, `MS`GE`BA, `UAL`WMT`IBM`MSFT])', "sym"),
    "hash": ('database("{db}", HASH, [SYMBOL, 4])', "sym"),
    "compo-by-sym": ('database("{db}", COMPO, [database("", VALUE, 2024.01.01..2024.01.05), '
                     'database("", HASH, [SYMBOL, 3])])', "sym"),
    "compo-by-date": ('database("{db}", COMPO, [database("", VALUE, 2024.01.01..2024.01.05), '
                      'database("", HASH, [SYMBOL, 3])])', "date"),
}


def create_dfs(s, kind: str) -> tuple[str, str]:
    script, column = PARTITIONINGS[kind]
    db = "dfs://" + fresh("w_" + kind.replace("-", "_"))
    cols = "`date`sym" if kind.startswith("compo") else f"`{column}"
    s.run(f"db = {script.format(db=db)}; db.createPartitionedTable({SCHEMA}, `pt, {cols})")
    return db, column


# -- the hash and the domains, through the binding ------------------------------------------------

def test_hash_bucket_matches_the_documented_vectors():
    syms = ["AAPL", "TSLA", "GS", "MS", "GE", "BA", "UAL", "WMT"]
    assert _core.hash_bucket(syms, 10).tolist() == [9, 4, 1, 8, 3, 7, 5, 2]
    assert _core.hash_bucket([-3, -1, 0, 1, 5], 7).tolist() == [6, 1, 0, 1, 5]
    assert _core.hash_bucket(np.array([-3, -1, 0, 1, 5], dtype=np.int32), 7).tolist() == [1, 3, 0, 1, 5]
    assert _core.hash_bucket("", 5) == 0
    with pytest.raises(ValueError, match="n must be a positive integer"):
        _core.hash_bucket([1], 0)


def test_the_server_hashes_like_the_client(s):
    syms = ["AAPL", "TSLA", "GS", "MS", "GE", "BA", "UAL", "WMT", "IBM", "MSFT", "x", "yy"]
    assert s.run("hashBucket", np.array(syms, dtype=object), 10).tolist() == _core.hash_bucket(syms, 10).tolist()


# -- PartitionedTableAppender -----------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(PARTITIONINGS))
def test_pta_appends_every_partition_type_and_keeps_partitions_in_one_group(s, pool, kind):
    db, column = create_dfs(s, kind)
    pta = ddb.PartitionedTableAppender(db, "pt", column, pool)
    df = frame(1000)
    assert pta.append(df) == 1000
    got = s.run(f'select * from loadTable("{db}", "pt")')
    pd.testing.assert_frame_equal(sorted_rows(got), sorted_rows(df), check_dtype=False)
    # Each partition's rows are in exactly one group: no two connections write one partition.
    fitted = _core.fit_table(df, pta._schema.names, pta._schema.types, pta._schema.scales, "count", False)
    keys = pta._domain.keys(df[column].to_numpy() if column != "date" else df[column].values.astype("datetime64[D]"))
    owner = {}
    for group, (part, rows) in enumerate(_core.partition_groups(fitted, pta._column, pta._domain, 3)):
        assert part.rows == len(rows)
        for k in set(keys[rows].tolist()):
            assert owner.setdefault(k, group) == group


def test_pta_groups_as_the_official_client_observed(s, pool):
    db, _ = create_dfs(s, "hash")
    pta = ddb.PartitionedTableAppender(db, "pt", "sym", pool)
    df = frame(10)
    fitted = _core.fit_table(df, pta._schema.names, pta._schema.types, pta._schema.scales, "count", False)
    domain = _core.PartitionDomain(5, 17, 10)   # HASH(10) on SYMBOL, N = 3
    groups = [sorted(df["sym"][rows]) for _, rows in _core.partition_groups(fitted, 0, domain, 3)]
    assert groups == [["AAPL", "GE"], ["BA", "GS", "TSLA"], ["IBM", "MS", "MSFT", "UAL", "WMT"]]
    r = _core.PartitionDomain(2, 4, np.array([0, 10, 20, 30], dtype=np.int32))
    assert r.keys(np.array([0, 5, 20, 29, 10, 15, 30, -1], dtype=np.int32)).tolist() == [0, 0, 2, 2, 1, 1, -1, -1]


def test_pta_errors_have_the_official_texts(s, pool, server):
    db, _ = create_dfs(s, "hash")
    with pytest.raises(Exception, match="pool must be a dolphindb DBConnectionPool!"):
        ddb.PartitionedTableAppender(db, "pt", "sym", s)
    with pytest.raises(RuntimeError, match="Can't find specified partition column name."):
        ddb.PartitionedTableAppender(db, "pt", "price", pool)
    with pytest.raises(RuntimeError, match=r"^Task \[-1\] come across exception : .*schema\(loadTable"):
        ddb.PartitionedTableAppender(db, "nope", "sym", pool)
    s.run("share table(1:0, `a`b, [INT, INT]) as w_plain")
    with pytest.raises(RuntimeError, match="Can't find specified partition column name."):
        ddb.PartitionedTableAppender("", "w_plain", "a", pool)
    with pytest.warns(DeprecationWarning, match="The parameter 'dbPath' is deprecated, please use 'db_path'"):
        pta = ddb.PartitionedTableAppender(dbPath=db, table_name="pt", partition_col="sym", pool=pool)
    with pytest.raises(RuntimeError, match="table must be a DataFrame!"):
        pta.append([1, 2])
    with pytest.raises(RuntimeError, match="<Exception> in append: The input table doesn't match the schema"):
        pta.append(frame(3).drop(columns=["qty"]))
    with pytest.raises(RuntimeError, match=r"<Exception> in append: column \[sym\], expect type SYMBOL, got type DATE"):
        pta.append(frame(3)[["date", "sym", "qty", "price"]])
    v_db, _ = create_dfs(s, "value")
    v = ddb.PartitionedTableAppender(v_db, "pt", "date", pool)
    bad = frame(3)
    bad.loc[1, "date"] = pd.NaT
    with pytest.raises(RuntimeError, match="A value-partition column contain null value at row 1."):
        v.append(bad)
    assert pta.append(frame(0)) == 0
    p2 = ddb.DBConnectionPool("127.0.0.1", server.port, 2)
    pta2 = ddb.PartitionedTableAppender(db, "pt", "sym", p2)
    p2.shutDown()
    with pytest.raises(RuntimeError, match="DBConnectionPool has been shut down."):
        pta2.append(frame(3))


def test_pta_failed_groups_report_the_rows_that_did_not_land(s, pool):
    db, _ = create_dfs(s, "hash")
    pta = ddb.PartitionedTableAppender(db, "pt", "sym", pool)
    s.run(f'dropTable(database("{db}"), "pt")')
    with pytest.raises(RuntimeError, match="<Exception> in append: ") as info:
        pta.append(frame(20))
    assert info.value.failed_rows.tolist() == list(range(20))
    assert info.value.written == 0


def test_pta_casts_a_finer_temporal_column_to_the_scheme_for_routing(s, pool):
    db = "dfs://" + fresh("w_month")
    s.run(f'db = database("{db}", VALUE, 2024.01M..2024.03M); '
          f'db.createPartitionedTable(table(1:0, `ts`v, [NANOTIMESTAMP, DOUBLE]), `pt, `ts)')
    pta = ddb.PartitionedTableAppender(db, "pt", "ts", pool)
    df = pd.DataFrame({"ts": pd.to_datetime(["2024-01-05 10:00:00", "2024-02-01 00:00:00", "2024-03-31 23:59:59.999999999"], format="ISO8601"),
                       "v": [1.0, 2.0, 3.0]})
    assert pta.append(df) == 3
    assert s.run(f'exec v from loadTable("{db}", "pt") order by v').tolist() == [1.0, 2.0, 3.0]


# -- MultithreadedTableWriter -------------------------------------------------------------------------

def mtw(server, table, db="", **kw):
    return ddb.MultithreadedTableWriter("127.0.0.1", server.port, "", "", db, table, **kw)


def test_mtw_routes_in_memory_rows_by_hash_as_observed(s, server):
    name = fresh("w_mt")
    s.run(f"share table(1:0, `k`v, [INT, DOUBLE]) as {name}")
    w = mtw(server, name, threadCount=3, partitionCol="k")
    for k in (-1, 0, 3, 1, 4, -2, 2, 5):
        assert w.insert(k, float(k)).succeed()
    w.waitForThreadCompletion()
    st = w.getStatus()
    assert [t.sentRows for t in st.threadStatus] == [0, 3, 2, 3]   # entry 0: the converter slot
    assert st.isExiting and st.errorCode == "" and st.sentRows == 8 and st.unsentRows == 0
    assert sorted(s.run(f"exec k from {name}").tolist()) == [-2, -1, 0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize("kind", ["hash", "value", "range", "list", "compo-by-sym"])
def test_mtw_writes_partitioned_tables_through_routed_threads(s, server, kind):
    db, column = create_dfs(s, kind)
    w = mtw(server, "pt", db, threadCount=3, partitionCol=column, batchSize=100, throttle=0.05)
    df = frame(600)
    for row in df.itertuples(index=False):
        assert w.insert(row.sym, row.date, int(row.qty), row.price).succeed()
    w.waitForThreadCompletion()
    st = w.getStatus()
    assert st.sentRows == 600 and st.errorCode == ""
    assert sum(1 for t in st.threadStatus[1:] if t.sentRows) >= 2
    got = s.run(f'select * from loadTable("{db}", "pt")')
    pd.testing.assert_frame_equal(sorted_rows(got), sorted_rows(df), check_dtype=False)


def test_mtw_batches_by_size_and_throttle(s, server):
    name = fresh("w_batch")
    s.run(f"share table(1:0, `k`v, [INT, DOUBLE]) as {name}")
    w = mtw(server, name, batchSize=1000, throttle=0.5)
    for i in range(10):
        w.insert(i, 1.0)
    time.sleep(0.15)
    assert w.getStatus().unsentRows == 10 and w.getStatus().sentRows == 0
    deadline = time.time() + 5
    while w.getStatus().sentRows < 10 and time.time() < deadline:
        time.sleep(0.05)
    assert w.getStatus().sentRows == 10
    for i in range(5):
        w.insert(i, 2.0)
    w.waitForThreadCompletion()   # flushes without waiting for the throttle
    assert s.run(f"exec count(*) from {name}") == 15


def test_mtw_refuses_bad_rows_and_keeps_writing(s, server):
    name = fresh("w_conv")
    s.run(f"share table(1:0, `sym`date`price, [SYMBOL, DATE, DOUBLE]) as {name}")
    w = mtw(server, name)
    r = w.insert("a", "not a date", 1.0)
    assert r.hasError() and r.errorCode == "A1" and r.errorInfo == "Data conversion error: Cannot convert str to DATE."
    r = w.insert("a", datetime.date(2024, 1, 2))
    assert (r.errorCode, r.errorInfo) == ("A2", "Column counts don't match 3")
    assert w.insert(1, datetime.date(2024, 1, 2), 1.0).errorInfo == "Data conversion error: Cannot convert int to SYMBOL."
    assert w.insert("b", np.datetime64("2024-01-03"), 2.5).succeed()
    assert w.insert(None, None, None).succeed()
    w.waitForThreadCompletion()
    got = s.run(f"select * from {name}")
    assert got["sym"].tolist() == ["b", ""] and got["price"].tolist()[0] == 2.5 and np.isnan(got["price"][1])
    with pytest.raises(RuntimeError, match="<Exception> in insert: thread is exiting."):
        w.insert("c", datetime.date(2024, 1, 2), 1.0)


def test_mtw_server_failure_keeps_every_row_for_getUnwrittenData(s, server):
    name = fresh("w_fail")
    s.run(f"share table(1:0, `k`v, [INT, DOUBLE]) as {name}")
    w = mtw(server, name, batchSize=1000, throttle=0.2)
    s.run(f"undef(`{name}, SHARED)")
    for i in range(7):
        w.insert(i, float(i))
    deadline = time.time() + 5
    while not w.getStatus().hasError() and time.time() < deadline:
        time.sleep(0.05)
    st = w.getStatus()
    assert st.errorCode == "A5" and st.isExiting
    assert st.errorInfo.startswith("Failed to save the inserted data: Server Response: '")
    assert st.errorInfo.endswith(f"script: tableInsert{{{name}}}")
    assert st.sendFailedRows == 7
    with pytest.raises(RuntimeError, match="thread is exiting"):
        w.insert(8, 8.0)
    w.waitForThreadCompletion()
    rows = w.getUnwrittenData()
    assert rows == [[i, float(i)] for i in range(7)]
    assert w.getStatus().sendFailedRows == 0
    s.run(f"share table(1:0, `k`v, [INT, DOUBLE]) as {name}")
    again = mtw(server, name)
    assert again.insertUnwrittenData(rows).succeed()
    assert again.insertUnwrittenData([[1]]).errorInfo == "arg size mismatch col size 2"
    again.waitForThreadCompletion()
    assert s.run(f"exec k from {name}").tolist() == list(range(7))


def test_mtw_insert_frame_compression_and_upsert_mode(s, server):
    name = fresh("w_frame")
    s.run(f"share table(1:0, `sym`ts`qty`price, [SYMBOL, TIMESTAMP, INT, DOUBLE]) as {name}")
    w = mtw(server, name, threadCount=2, partitionCol="sym", compressMethods=["lz4", "delta", "DELTA", "LZ4"],
            batchSize=50, throttle=0.01)
    df = pd.DataFrame({"s": ["x", "y", "z"] * 40, "t": pd.date_range("2024-01-01", periods=120, freq="s"),
                       "q": np.arange(120), "p": np.arange(120) * 0.5})
    assert w.insert_frame(df).succeed()
    assert w.insert("w", datetime.datetime(2024, 1, 1, 5), 7, 1.5).succeed()
    w.waitForThreadCompletion()
    assert s.run(f"exec count(*) from {name}") == 121
    assert s.run(f"exec sum(qty) from {name}") == sum(range(120)) + 7
    kt = fresh("w_keyed")
    s.run(f"share keyedTable(`sym, 1:0, `sym`price, [SYMBOL, DOUBLE]) as {kt}")
    u = mtw(server, kt, mode="upsert", modeOption=["ignoreNull=false"])
    for sym, price in (("a", 1.0), ("b", 2.0), ("a", 3.0)):
        u.insert(sym, price)
        deadline = time.time() + 5
        while u.getStatus().unsentRows and time.time() < deadline:
            time.sleep(0.01)
    u.waitForThreadCompletion()
    got = s.run(f"select * from {kt} order by sym")
    assert got["sym"].tolist() == ["a", "b"] and got["price"].tolist() == [3.0, 2.0]


def test_mtw_constructor_checks_have_the_official_texts(s, server):
    name = fresh("w_args")
    s.run(f"share table(1:0, `a`b`c, [INT, DOUBLE, INT[]]) as {name}")
    pre = "<Exception> in MultithreadedTableWriter: "
    cases = [
        (dict(batchSize=0), "The parameter batchSize must be greater than or equal to 1"),
        (dict(throttle=-1), "The parameter throttle must be greater than 0"),
        (dict(threadCount=0), "The parameter threadCount must be greater than or equal to 1"),
        (dict(threadCount=2), "The parameter partitionCol must be specified when threadCount is greater than 1"),
        (dict(compressMethods=["zstd", "lz4", "lz4"]), "Unsupported compression method ZSTD"),
        (dict(compressMethods=["lz4"]), "The number of elements in parameter compressMethods does not match the "
                                        "column size 3"),
        (dict(mode="insert"), "Unsupported mtw mode INSERT"),
        (dict(threadCount=2, partitionCol="nope"), "No match found for nope"),
        (dict(threadCount=2, partitionCol="c"), "The parameter partitionCol cannot be array vector"),
    ]
    for kw, text in cases:
        with pytest.raises(RuntimeError) as info:
            mtw(server, name, **kw)
        assert str(info.value) == pre + text
    db, _ = create_dfs(s, "hash")
    with pytest.raises(RuntimeError, match="The parameter partionCol must be the partitioning column 'sym'"):
        mtw(server, "pt", db, threadCount=2, partitionCol="price")
    s.run(f'createTable(database("{db}"), {SCHEMA}, `dim)')
    with pytest.raises(RuntimeError, match="The parameter threadCount must be 1 for a dimension table"):
        mtw(server, "dim", db, threadCount=2, partitionCol="sym")
    with pytest.raises(RuntimeError, match=pre + "Failed to connect to server 127.0.0.1:1$"):
        ddb.MultithreadedTableWriter("127.0.0.1", 1, "", "", "", name)
    with pytest.raises(TypeError):
        ddb.MultithreadedTableWriter("127.0.0.1", str(server.port), "", "", "", name)
    with pytest.raises(RuntimeError, match=r"Server Response: .*script: schema\(nope_table\)"):
        mtw(server, "nope_table")


def test_mtw_array_vector_and_uuid_columns(s, server):
    name = fresh("w_av")
    s.run(f"share table(1:0, `id`vals`u, [INT, INT[], UUID]) as {name}")
    w = mtw(server, name)
    uid = "5d212a78-cc48-e3b1-4235-b4d91473ee87"
    assert w.insert(1, [1, 2, 3], uid).succeed()
    assert w.insert(2, np.array([4], dtype=np.int32), "").succeed()
    assert w.insert(3, [5], "not a uuid").errorCode == "A1"
    w.waitForThreadCompletion()
    got = s.run(f"select * from {name}")
    assert [list(v) for v in got["vals"]] == [[1, 2, 3], [4]]
    assert got["u"][0] == uid


# -- TableAppender / TableUpserter / BatchTableWriter --------------------------------------------------

def test_table_appender_converts_and_renames(s):
    name = fresh("w_app")
    s.run(f"share table(1:0, `sym`d`ts`m, [SYMBOL, DATE, TIMESTAMP, MONTH]) as {name}")
    app = ddb.TableAppender(table_name=name, conn=s)
    df = pd.DataFrame({"s2": ["a", "b"], "d2": pd.to_datetime(["2024-01-02 03:04:05", "1969-12-15"], format="ISO8601"),
                       "ts": pd.to_datetime(["2024-01-02 03:04:05.678901234", None], format="ISO8601"),
                       "m": pd.to_datetime(["2024-05-31", "2024-01-01"])})
    assert app.append(df) == 2
    got = s.run(f"select * from {name}")
    assert got["sym"].tolist() == ["a", "b"]
    assert got["d"].tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("1969-12-15")]
    assert got["ts"][0] == pd.Timestamp("2024-01-02 03:04:05.678") and pd.isna(got["ts"][1])
    assert got["m"].tolist() == [pd.Timestamp("2024-05-01"), pd.Timestamp("2024-01-01")]
    import pyarrow as pa
    assert app.append(pa.table({"sym": ["c"], "d": pa.array([datetime.date(2024, 2, 1)]),
                                "ts": pa.array([datetime.datetime(2024, 2, 1)]),
                                "m": pa.array([datetime.date(2024, 2, 1)])})) == 1
    with pytest.raises(RuntimeError, match="The input table columns doesn't match the columns of the target table."):
        app.append(df.drop(columns=["m"]))
    with pytest.raises(RuntimeError, match="table must be a DataFrame or pyarrow.Table!"):
        app.append({"a": 1})
    with pytest.raises(ValueError, match="conn must be a DBConnection."):
        ddb.TableAppender(table_name=name, conn=None)
    with pytest.raises(ValueError, match="Unsupported action type: other; only 'fitColumnType' is supported."):
        ddb.TableAppender(table_name=name, conn=s, action="other")
    assert ddb.tableAppender is ddb.AutoFitTableAppender is ddb.TableAppender


def test_table_upserter_reports_what_it_did(s):
    db = "dfs://" + fresh("w_ups")
    s.run(f'db = database("{db}", HASH, [SYMBOL, 2]); '
          f'db.createPartitionedTable(table(1:0, `sym`price, [SYMBOL, DOUBLE]), `pt, `sym)')
    up = ddb.TableUpserter(db, "pt", s, key_cols=["sym"])
    assert up.upsert(pd.DataFrame({"sym": ["a", "b"], "price": [1.0, 2.0]})) == (2, 0)
    assert up.upsert(pd.DataFrame({"sym": ["a", "c"], "price": [5.0, 3.0]})) == (1, 1)
    got = s.run(f'select * from loadTable("{db}", "pt") order by sym')
    assert got["price"].tolist() == [5.0, 2.0, 3.0]
    with pytest.raises(Exception, match="conn must be a dolphindb DBConnection!"):
        ddb.TableUpserter(db, "pt", None)
    assert ddb.tableUpsert is ddb.AutoFitTableUpserter is ddb.TableUpserter


def test_batch_table_writer_runs_old_code(s, server):
    name = fresh("w_btw")
    s.run(f"share table(1:0, `id`v, [INT, DOUBLE]) as {name}")
    with pytest.warns(DeprecationWarning, match="The class 'BatchTableWriter' is deprecated"):
        btw = ddb.BatchTableWriter("127.0.0.1", server.port)
    btw.addTable(tableName=name)
    with pytest.raises(RuntimeError, match="the specified table has not been removed yet"):
        btw.addTable(tableName=name)
    for i in range(20):
        btw.insert("", name, i, i * 1.5)
    with pytest.raises(RuntimeError, match="number of arguments must match"):
        btw.insert("", name, 1)
    with pytest.raises(RuntimeError, match="please use addTable"):
        btw.insert("", "other", 1, 1.0)
    deadline = time.time() + 5
    while btw.getAllStatus()["SendedRows"][0] < 20 and time.time() < deadline:
        time.sleep(0.05)
    status = btw.getAllStatus()
    assert list(status.columns) == ["DatabaseName", "TableName", "WriteQueueDepth", "SendedRows", "Removing",
                                    "Finished"]
    assert status["SendedRows"][0] == 20
    assert btw.getStatus("", name) == [0, False, False]
    assert btw.getUnwrittenData("", name).empty
    btw.removeTable("", name)
    btw.removeTable("", name)
    assert s.run(f"exec count(*) from {name}") == 20


@pytest.mark.parametrize("workload", ["pta", "mtw", "mtw-frame"])
def test_bench_cli_runs_the_writer_workloads(server, workload):
    import json
    import os
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-m", "dolphindb", "bench", "--host", "127.0.0.1", "--port",
                           str(server.port), "--workload", workload, "--rows", "3000", "--threads", "2", "--json"], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["workload"] == workload and summary["rows"] == 3000
    assert summary["wall_s"] > 0 and summary["client_cpu_s"] > 0 and summary["rows_per_cpu_s"] > 0


def test_mtw_refuses_rows_that_belong_to_no_partition(s, server):
    db, _ = create_dfs(s, "range")   # RANGE 0 10 20 30 on qty
    w = mtw(server, "pt", db, threadCount=2, partitionCol="qty", batchSize=10, throttle=0.01)
    day = datetime.date(2024, 1, 1)
    for qty in (30, -1, None):
        r = w.insert("A", day, qty, 1.0)
        assert (r.errorCode, r.errorInfo) == ("A1", "The value of the partitioning column is NULL or in no "
                                                    "partition of the table.")
    bad = frame(5)
    bad.loc[3, "qty"] = 99
    r = w.insert_frame(bad)
    assert (r.errorCode, r.errorInfo) == ("A1", "A value-partition column contain null value at row 3.")
    assert w.insert("A", day, 5, 2.0).succeed()
    w.waitForThreadCompletion()
    st = w.getStatus()
    assert st.errorCode == "" and st.sentRows == 1
    assert s.run(f'exec price from loadTable("{db}", "pt")').tolist() == [2.0]
