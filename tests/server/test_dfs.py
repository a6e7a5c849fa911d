"""DFS databases and partitioned tables of the embedded server, through its interpreter."""
from __future__ import annotations

import pytest

from dolphindb.server.lang import ScriptError, SessionContext, run_script
from dolphindb.server.lang.dfs import DfsTable
from dolphindb.server.model.values import Dictionary, Table


@pytest.fixture
def run():
    ctx = SessionContext()

    def go(text):
        return run_script(ctx, text)
    go.ctx = ctx
    return go


def column(t: Table, name):
    return list(t.columns[name].data)


def as_dict(d: Dictionary):
    return dict(zip(d.keys.data, d.values.data))


SOURCE = ("t = table(2024.01.01 2024.01.02 2024.01.05 2024.01.02 as date, `AAPL`TSLA`GS`MS as sym, "
          "1 2 3 4 as qty, 1.5 2.5 3.5 4.5 as price)")


def test_value_database_create_insert_select(run):
    run(SOURCE)
    run('db = database("dfs://v", VALUE, 2024.01.01..2024.01.03)')
    run("pt = db.createPartitionedTable(t, `pt, `date)")
    assert run("tableInsert(pt, t)").value == 4
    got = run('select * from loadTable("dfs://v", "pt") where date = 2024.01.02 order by sym')
    assert column(got, "sym") == ["MS", "TSLA"]
    # the VALUE domain grew with 2024.01.05
    schema = as_dict(run('schema(loadTable("dfs://v", "pt"))'))
    assert list(schema["partitionSchema"].data) == [19723, 19724, 19725, 19727]
    assert schema["partitionType"].value == 1 and schema["partitionColumnType"].value == 6
    assert schema["partitionColumnIndex"].value == 0 and schema["partitionColumnName"].value == "date"
    assert run("exec count(*) from pt").value == 4


def test_point_query_reads_one_partition(run):
    run(SOURCE)
    run('db = database("dfs://p", VALUE, 2024.01.01..2024.01.05)')
    run("pt = createPartitionedTable(db, t, `pt, `date)")
    run("pt.append!(t)")
    pt = run("pt")
    assert isinstance(pt, DfsTable)
    run("select * from pt where date = 2024.01.05")
    assert pt.meta.scanned_partitions == 1
    run("select * from pt where date in [2024.01.01, 2024.01.05]")
    assert pt.meta.scanned_partitions == 2
    run("select * from pt where date >= 2024.01.02")
    assert pt.meta.scanned_partitions == 2
    run("select * from pt where qty > 0")
    assert pt.meta.scanned_partitions == 3


@pytest.mark.parametrize("scheme, col, expect_parts", [
    ("HASH, [SYMBOL, 4]", "sym", "size(distinct(hashBucket(t.sym, 4)))"),
    ("RANGE, 0 2 4 10", "qty", "3"),
    ("LIST, [`AAPL`TSLA, `GS, `MS]", "sym", "3"),
])
def test_partition_types(run, scheme, col, expect_parts):
    run(SOURCE)
    run(f'db = database("dfs://x", {scheme})')
    run(f"pt = db.createPartitionedTable(t, `pt, `{col})")
    assert run("tableInsert(pt, t)").value == 4
    got = run("select * from pt order by qty")
    assert column(got, "qty") == [1, 2, 3, 4]
    pt = run("pt")
    assert len(pt.engine.partitions(pt.db, pt.meta)) == run(expect_parts).value


def test_hash_bucket_vectors(run):
    assert list(run("hashBucket(34 45 67, 10)").data) == [4, 5, 7]
    assert list(run("hashBucket(`AAPL`TSLA`GS`MS`GE`BA`UAL`WMT, 10)").data) == [9, 4, 1, 8, 3, 7, 5, 2]
    assert list(run("hashBucket(int([-3,-1,0,1,5]), 7)").data) == [1, 3, 0, 1, 5]
    assert list(run("hashBucket(long([-3,-1,0,1,5]), 7)").data) == [6, 1, 0, 1, 5]
    assert run('hashBucket("", 7)').value == 0
    with pytest.raises(ScriptError, match="Key must be integer, date/time, or string."):
        run("hashBucket(1.5 2.5, 3)")


def test_exists_and_drop(run):
    run(SOURCE)
    run('db = database("dfs://d", VALUE, 1 2 3)')
    run("db.createPartitionedTable(t, `pt, `qty)")
    assert run('existsDatabase("dfs://d")').value == 1
    assert run('existsTable("dfs://d", "pt")').value == 1
    assert run('existsTable("dfs://d", "nope")').value == 0
    assert list(run("getClusterDFSDatabases()").data) == ["dfs://d"]
    assert list(run("getTables(db)").data) == ["pt"]
    run('dropTable(db, "pt")')
    run("db.createPartitionedTable(t, `pt2, `qty)")
    run('drop table if exists "dfs://d"."pt2"')
    run('drop table if exists "dfs://d"."pt2"')
    assert run('existsTable("dfs://d", "pt2")').value == 0
    assert run('existsTable("dfs://d", "pt")').value == 0
    run('dropDatabase("dfs://d")')
    assert run('existsDatabase("dfs://d")').value == 0
    run('drop database if exists "dfs://d"')
    with pytest.raises(ScriptError, match="does not exist"):
        run('dropDatabase("dfs://d")')
