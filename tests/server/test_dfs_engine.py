"""The DFS engine's semantics through the interpreter: COMPO levels, in-memory partitioned
databases, reopening, TSDB duplicates, upserts, scheme errors, atomic writes and chunk locks."""
from __future__ import annotations

import threading
import time

import pytest

from dolphindb.server.lang import ScriptError, SessionContext, run_script
from dolphindb.server.storage import Engine
from test_dfs import column as col
from test_dfs import run as session  # noqa: F401  (the fixture of one interpreter session)

SOURCE = ("t = table(2024.01.01 2024.01.02 2024.01.05 2024.01.02 as date, symbol(`AAPL`TSLA`GS`MS) as sym, "
          "1 2 3 4 as qty, 1.5 2.5 3.5 4.5 as price)")


@pytest.fixture
def run(session):  # noqa: F811
    session(SOURCE)
    return session


def test_compo_two_levels_prunes_each_level(run):
    run('dbDate = database("", VALUE, 2024.01.01..2024.01.05)')
    run('dbSym = database("", HASH, [SYMBOL, 3])')
    run('db = database("dfs://c2", COMPO, [dbDate, dbSym])')
    run("pt = db.createPartitionedTable(t, `pt, `date`sym)")
    assert run("tableInsert(pt, t)").value == 4
    pt = run("pt")
    got = run("select * from pt where date = 2024.01.02, sym = `MS")
    assert col(got, "qty") == [4] and pt.meta.scanned_partitions == 1
    s = run("schema(pt)")
    d = dict(zip(s.keys.data, s.values.data))
    assert list(d["partitionColumnName"].data) == ["date", "sym"]
    assert list(d["partitionColumnIndex"].data) == [0, 1]
    assert list(d["partitionType"].data) == [1, 5]
    assert list(d["partitionColumnType"].data) == [6, 17]
    assert d["partitionSchema"].data[1].value == 3


def test_compo_three_levels(run):
    run('a = database("", VALUE, 2024.01.01..2024.01.05)')
    run('b = database("", RANGE, 0 2 10)')
    run('c = database("", LIST, [`AAPL`TSLA, `GS`MS])')
    run('db = database("dfs://c3", COMPO, [a, b, c])')
    run("pt = db.createPartitionedTable(t, `pt, `date`qty`sym)")
    run("pt.append!(t)")
    paths = sorted(run("pt").engine.path_of(run("pt").db, run("pt").meta, n)
                   for n in run("pt").engine.partitions(run("pt").db, run("pt").meta))
    assert paths == ["/20240101/0_2/List0", "/20240102/2_10/List0", "/20240102/2_10/List1",
                     "/20240105/2_10/List1"]
    assert col(run("select * from pt where qty < 2"), "sym") == ["AAPL"]


def test_drop_partition_by_values_and_paths(run):
    run('db = database("dfs://dp", COMPO, [database("", VALUE, 2024.01.01..2024.01.05), '
        'database("", LIST, [`AAPL`TSLA, `GS`MS])])')
    run("pt = db.createPartitionedTable(t, `pt, `date`sym)")
    run("pt.append!(t)")
    run('dropPartition(db, [(2024.01.02, `MS)], "pt")')             # a tuple of values per level
    assert col(run("select * from pt order by qty"), "qty") == [1, 2, 3]
    run('dropPartition(db, "/20240101", "pt")')                       # a path prefix
    assert col(run("select * from pt order by qty"), "qty") == [2, 3]
    run('dropPartition(db, ["/20240102/List0"], "pt")')
    assert col(run("select * from pt"), "qty") == [3]


def test_in_memory_partitioned_database(run):
    run('db = database("", VALUE, 1 2 3 4)')
    run("pt = db.createPartitionedTable(t, `pt, `qty)")
    run("pt.append!(t)")
    assert run("exec sum(qty) from pt").value == 10
    assert list(run("getClusterDFSDatabases()").data) == []


def test_reopen_by_directory_and_scheme_is_fixed(run):
    run('db = database("dfs://r", RANGE, 0 5 10)')
    run("db.createPartitionedTable(t, `pt, `qty)")
    run('db2 = database("dfs://r")')
    assert list(run("getTables(db2)").data) == ["pt"]
    assert run('database("dfs://r", RANGE, 0 5 10)') is not None          # same scheme: reopened
    with pytest.raises(ScriptError, match="partitioning scheme can't be changed"):
        run('database("dfs://r", RANGE, 0 3 10)')


@pytest.mark.parametrize("keep, expect", [("ALL", [1.5, 9.0, 4.5, 2.5, 3.5]), ("FIRST", [1.5, 4.5, 2.5, 3.5]),
                                          ("LAST", [9.0, 4.5, 2.5, 3.5])])
def test_tsdb_keep_duplicates(run, keep, expect):
    run("db = database(\"dfs://ts\", VALUE, 2024.01.01..2024.01.05, engine='TSDB')")
    run(f"pt = db.createPartitionedTable(t, `pt, `date, sortColumns=`sym`date, keepDuplicates={keep})")
    run("pt.append!(t)")
    run("pt.append!(table(2024.01.01 as date, symbol([`AAPL]) as sym, 9 as qty, 9.0 as price))")
    got = run("select * from pt order by date, sym")
    assert col(got, "price") == expect


def test_pkey_engine_keeps_the_last_row_per_primary_key(run):
    run("db = database(\"dfs://pk\", VALUE, 2024.01.01..2024.01.05, engine='PKEY')")
    run("pt = db.createPartitionedTable(t, `pt, `date, primaryKey=`date`sym)")
    run("pt.append!(t)")
    run("pt.append!(table(2024.01.02 as date, symbol([`MS]) as sym, 40 as qty, 40.5 as price))")
    assert col(run("select * from pt order by qty"), "qty") == [1, 2, 3, 40]
    s = run("schema(pt)")
    assert list(dict(zip(s.keys.data, s.values.data))["primaryKey"].data) == ["date", "sym"]
    with pytest.raises(ScriptError, match="must contain the partitioning column date"):
        run("db.createPartitionedTable(t, `pt2, `date, primaryKey=`sym)")


def test_upsert_on_dfs_and_keyed_tables(run):
    run('db = database("dfs://u", HASH, [SYMBOL, 2])')
    run("pt = db.createPartitionedTable(t, `pt, `sym)")
    run("pt.append!(t)")
    new = "table(2024.01.09 2024.01.09 as date, symbol(`AAPL`IBM) as sym, 0 7 as qty, double([NULL, 7.5]) as price)"
    counts = run(f"tableUpsert(pt, {new}, ignoreNull=true, keyColNames=`sym)")
    assert list(counts.data) == [1, 1]
    got = run("select * from pt order by sym")
    assert col(got, "sym") == ["AAPL", "GS", "IBM", "MS", "TSLA"]
    assert col(got, "price")[0] == 1.5 and col(got, "qty")[0] == 0      # NULL price ignored
    run("kt = keyedTable(`sym, 1:0, `sym`price, [SYMBOL, DOUBLE])")
    run("upsert!(kt, table(symbol(`a`b) as sym, 1.0 2.0 as price))")
    run("upsert!(kt, table(symbol(`b`c) as sym, 20.0 30.0 as price))")
    assert col(run("select * from kt order by sym"), "price") == [1.0, 20.0, 30.0]
    with pytest.raises(ScriptError, match="keyColNames"):
        run("upsert!(pt, t)")


@pytest.mark.parametrize("scheme, column", [("RANGE, 0 2 4", "qty"), ("LIST, [`AAPL`TSLA, `GS]", "sym")])
def test_rows_outside_the_scheme_fail_and_nothing_is_written(run, scheme, column):
    run(f'db = database("dfs://o", {scheme})')
    run(f"pt = db.createPartitionedTable(t, `pt, `{column})")
    with pytest.raises(ScriptError, match="not defined in the partitioning scheme of the target database. "
                                          "RefId:S01016"):
        run("tableInsert(pt, t)")
    assert run("exec count(*) from pt").value == 0


def test_value_partition_column_null_is_refused(run):
    run('db = database("dfs://n", VALUE, 1 2)')
    run("pt = db.createPartitionedTable(t, `pt, `qty)")
    with pytest.raises(ScriptError, match="cannot contain NULL values. RefId: S01001"):
        run("tableInsert(pt, table(2024.01.01 as date, symbol([`A]) as sym, int(NULL) as qty, 1.0 as price))")


def test_insert_casts_by_position_and_counts(run):
    run('db = database("dfs://cast", VALUE, 2024.01M..2024.03M)')
    run("src = table(1:0, `ts`sym`qty`price, [TIMESTAMP, SYMBOL, INT, DOUBLE])")
    run("pt = db.createPartitionedTable(src, `pt, `ts)")
    # other names, LONG qty, STRING sym, NANOTIMESTAMP partition column over a MONTH scheme
    n = run("tableInsert(pt, table(2024.02.03T04:05:06.789123456 2024.05.01T00:00:00.000000000 as x, "
            "`a`b as y, 5l 6l as z, 1.0 2.0 as w))")
    assert n.value == 2
    got = run("select * from pt")
    assert got.columns["ts"].type == 12 and got.columns["sym"].type == 17 and got.columns["qty"].type == 4
    assert list(run("schema(db)").values.data[2].data) == [24288, 24289, 24290, 24292]    # MONTH domain grew


def test_delete_update_exec_on_dfs(run):
    run('db = database("dfs://du", VALUE, 2024.01.01..2024.01.05)')
    run("pt = db.createPartitionedTable(t, `pt, `date)")
    run("pt.append!(t)")
    run("delete from pt where date = 2024.01.02, qty = 2")
    run("update pt set price = price * 10 where sym = `GS")
    run("insert into pt values(2024.01.03, `IBM, 9, 9.5)")
    run("delete from pt where sym = `IBM")
    assert col(run("select * from pt order by qty"), "price") == [1.5, 35.0, 4.5]
    assert run("exec sum(qty) from pt where date = 2024.01.02").value == 4
    with pytest.raises(ScriptError, match="partitioning column cannot be updated"):
        run("update pt set date = 2024.01.03")


def test_trans_write_conflict_and_chunk_serialization(run):
    run('db = database("dfs://lk", VALUE, 1 2 3 4)')
    run("pt = db.createPartitionedTable(t, `pt, `qty)")
    pt = run("pt")
    engine, tid = pt.engine, pt.engine.locks.new_tid()
    engine.locks.acquire([("dfs://lk", "pt", 1)], tid, False, str)          # partition qty=2 is busy
    try:
        with pytest.raises(ScriptError, match=r"<ChunkInTransaction>The openChunks operation failed because the "
                                              r"chunk '/lk/2/pt' is currently locked and in use by transaction "
                                              rf"{tid}. RefId:S00002"):
            run("tableInsert(pt, t)")
        assert run("exec count(*) from pt").value == 0                     # TRANS: none of the 4 rows
        run("tableInsert(pt, select * from t where qty != 2)")              # other partitions are free
    finally:
        engine.locks.release(tid)
    # CHUNK: the same collision waits for the owner instead of failing
    run('dbc = database("dfs://lkc", VALUE, 1 2 3 4, , , \'CHUNK\')')
    run("ptc = dbc.createPartitionedTable(t, `ptc, `qty)")
    tid = engine.locks.new_tid()
    engine.locks.acquire([("dfs://lkc", "ptc", 1)], tid, False, str)
    done = []
    writer = threading.Thread(target=lambda: done.append(run("tableInsert(ptc, t)").value))
    writer.start()
    time.sleep(0.3)
    assert not done                                                        # waiting for the chunk
    engine.locks.release(tid)
    writer.join(10)
    assert done == [4]


def test_hash_partitioning_matches_hash_bucket(run):
    run('db = database("dfs://hb", HASH, [INT, 7])')
    run("pt = db.createPartitionedTable(table(1:0, `k`v, [INT, DOUBLE]), `pt, `k)")
    run("pt.append!(table(int([-3, -1, 0, 1, 5, 7, 8, 100, 2147483647]) as k, 1..9 * 1.0 as v))")
    pt = run("pt")
    for k in (-3, -1, 0, 1, 5, 7, 8, 100, 2147483647):
        bucket = run(f"hashBucket(int({k}), 7)").value
        run(f"select * from pt where k = {k}")
        assert pt.meta.scanned_partitions == 1
        rows = pt.engine.read(pt.db, pt.meta, [bucket])
        assert k in list(rows[0].data)


def test_durable_engine_reopens_with_its_data(tmp_path):
    ctx = SessionContext()
    ctx._dfs = Engine(tmp_path)
    run_script(ctx, SOURCE)
    run_script(ctx, 'db = database("dfs://dur", VALUE, 2024.01.01..2024.01.02)')
    run_script(ctx, "pt = db.createPartitionedTable(t, `pt, `date)")
    for _ in range(12):                                     # more segments than the compaction bound
        run_script(ctx, "pt.append!(t)")
    run_script(ctx, "delete from pt where qty = 3")
    again = SessionContext()
    again._dfs = Engine(tmp_path)
    got = run_script(again, 'select * from loadTable("dfs://dur", "pt") order by date, qty')
    assert len(got.columns["qty"].data) == 36
    assert sorted(set(got.columns["qty"].data.tolist())) == [1, 2, 4]
    s = run_script(again, 'schema(database("dfs://dur"))')
    assert list(dict(zip(s.keys.data, s.values.data))["partitionSchema"].data) == [19723, 19724, 19727]
    files = list((tmp_path / "data").rglob("*.arrow"))
    assert files and len(files) <= 3 * 9
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.parametrize("scheme, cols", [
    ('database("dfs://re", VALUE, 2024.01.01..2024.01.02)', "`date"),
    ('database("dfs://re", RANGE, 0 2 10)', "`qty"),
    ('database("dfs://re", HASH, [SYMBOL, 3])', "`sym"),
    ('database("dfs://re", LIST, [`AAPL`TSLA, `GS`MS])', "`sym"),
    ('database("dfs://re", LIST, [1 2, 3, 4])', "`qty"),
    ('database("dfs://re", COMPO, [database("", RANGE, 0 2 10), database("", VALUE, `AAPL`GS)])', "`qty`sym"),
])
def test_every_scheme_survives_a_reopen(tmp_path, scheme, cols):
    from dolphindb.server.model.columns import format_value
    ctx = SessionContext()
    ctx._dfs = Engine(tmp_path)
    run_script(ctx, SOURCE)
    run_script(ctx, f"db = {scheme}; pt = db.createPartitionedTable(t, `pt, {cols}); pt.append!(t)")
    before = format_value(run_script(ctx, "select * from pt order by qty"))
    schema = format_value(run_script(ctx, "schema(pt)"))
    again = SessionContext()
    again._dfs = Engine(tmp_path)
    assert format_value(run_script(again, 'select * from loadTable("dfs://re", "pt") order by qty')) == before
    assert format_value(run_script(again, 'schema(loadTable("dfs://re", "pt"))')) == schema
