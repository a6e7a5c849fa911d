"""Every script the official client's writers and data-management helpers send for DFS work
(BULK_WRITERS.md §1.1, §2.1, §3, §4.3, §7) runs on the embedded server."""
from __future__ import annotations

import pytest

from dolphindb.server import Server
from dolphindb.server.lang import SessionContext, call_function, run_script
from dolphindb.server.model.values import Table

SETUP = """
db = database("dfs://db", VALUE, 2024.01.01..2024.01.03, engine='TSDB')
t = table(2024.01.01 2024.01.02 as date, symbol(`A`B) as sym, 1.0 2.0 as price)
pt = db.createPartitionedTable(t, `pt, `date, sortColumns=`sym`date)
pt.append!(t)
kt = keyedTable(`sym, 1:0, `sym`date`price, [SYMBOL, DATE, DOUBLE])
mt = table(1:0, `sym`date`price, [SYMBOL, DATE, DOUBLE])
dbt = database("dfs://t", VALUE, 2024.01.01..2024.01.03, engine='TSDB')
TMP_TBL_src = table(1:0, `date`sym`price, [DATE, SYMBOL, DOUBLE])
"""

# scripts run in order on one session; each must succeed
SCRIPTS = [
    # §1.1 schema scripts of the writers
    'schema(loadTable("dfs://db", "pt"))',
    'schema(loadTable("dfs://db","pt"))',
    "schema(mt)",
    # §7 Session helpers
    "existsDatabase('dfs://db')",
    "existsTable('dfs://db','pt')",
    'pt_TMP_TBL_03c3bf4c = loadTable("dfs://db", "pt",,false)',
    "schema(pt_TMP_TBL_03c3bf4c)",
    "pt_TMP_TBL_03c3bf4d = loadTable(\"dfs://db\", \"pt\",[2024.01.01,'AAPL',5],true)",
    'pt_TMP_TBL_03c3bf4e = loadTable("dfs://db", "pt", , false)',
    'pt=loadTable("dfs://db", "pt");\n    TMP_TBL_5a1b2c3d=loadTableBySQL(<select * from pt where date=2024.01.02>);',
    'db1=database("dfs://v",1,[2024.01.01,2024.01.02])',
    'db2=database("dfs://r",2,[0, 10, 20])',
    "db3=database(\"dfs://h\",5,[4, 10],engine='TSDB',atomic='CHUNK')",
    "db4=database(\"dfs://l\",3,[['IBM', 'ORCL'], ['GOOG']])",
    'db5=database("dfs://m",1,[2024.01M,2024.02M])',
    'db6=database("dfs://dh",1,datehour([2024.01.01 01:00:00,2024.01.01 02:00:00]))',
    'dbA=database("",1,[1, 2])',
    "dbB=database(\"\",5,[18, 4])",
    'db7=database("dfs://c",4,[dbA,dbB])',
    'TMP_DB_0a1b2c3dDB=database("")',
    'TMP_DB_0a1b2c3eDB=database("dfs://db")',
    "TMP_DB_0a1b2c3fDB=database(\"dfs://g\",1,[1, 2],chunkGranularity='TABLE')",
    "TMP_TBL_1a2b3c4d=dbt.createPartitionedTable(TMP_TBL_src,`pt,`date,compressMethods={date:'delta'},"
    "sortColumns=`sym`date,keepDuplicates=LAST,sortKeyMappingFunction=[hashBucket{,5}]);",
    "TMP_TBL_1a2b3c4e=db3.createTable(TMP_TBL_src,`dim,sortColumns=`sym);",
    "TMP_TBL_1a2b3c4f=db3.createTable(TMP_TBL_src,`dim2,sortColumns=`sym,keepDuplicates=ALL);",
    'TMP_DB_0a1b2c40DB=database("dfs://db")',
    'dropPartition(TMP_DB_0a1b2c40DB, [2024.01.01,2024.01.02], "pt")',
    'undef("TMP_DB_0a1b2c40DB")',
    "dropPartition(TMP_DB_0a1b2c3eDB, ['/20240101'], \"pt\")",
    'TMP_DB_0a1b2c41DB=database("dfs://h")',
    'dropTable(TMP_DB_0a1b2c41DB, "dim2")',
    'undef("x", VAR)',
    # §7.1 the Table builder's queries on a loadTable handle and on an in-memory table
    "select top 5 sym,price from pt_TMP_TBL_03c3bf4c where (price > 1) and (date >= 2024.01.02) and "
    "(sym in `A`B) order by date desc",
    "select sym,price from pt_TMP_TBL_03c3bf4c where price > 1",
    "exec price from pt_TMP_TBL_03c3bf4c where sym=`A",
    "select * from pt_TMP_TBL_03c3bf4c limit 2,5",
    "select top 2 sym,date,price from pt_TMP_TBL_03c3bf4c context by sym",
    "select sum(price),avg(price) from pt_TMP_TBL_03c3bf4c group by sym",
    "select sym,date,price from pt_TMP_TBL_03c3bf4c group by sym having sum(price) > 0",
    "select count(*) as ct from pt_TMP_TBL_03c3bf4c",
    "exec count(*) from pt_TMP_TBL_03c3bf4c",
    "tableInsert(pt_TMP_TBL_03c3bf4c, t)",
    "update mt set price=price*2 where sym=`a",
    "delete from mt where price < 0",
    "newT=(select sym from pt_TMP_TBL_03c3bf4c)",
    "schema(newT)",
    "renamed=mt",
    "dropDatabase('dfs://r')",
    'TMP_TBL_9a8b7c6d=loadText("{csv}",",")',
    'TMP_TBL_9a8b7c6e= ploadText("{csv}",";")',
    'db=database("dfs://db")',
    'TMP_TBL_9a8b7c6f = loadTextEx(db, "csvpt", ["date"], "{csv}", , , sortColumns=["sym"])',
    'pt_TMP_TBL_9a8b7c70 = loadTable("dfs://db", "csvpt", , false)',
]

# function requests: (name text, the one argument built by a script)
FUNCTIONS = [
    ("tableInsert{loadTable('dfs://db', 'pt')}", "t"),                                   # §2.1, §3.1
    ("tableInsert{mt}", "t"),                                                             # §2.1, §4.3
    ('tableInsert{loadTable("dfs://db","pt")}', "t"),                                     # §4.3
    ("upsert!{loadTable(\"dfs://db\",\"pt\"),,ignoreNull=false,keyColNames=`sym`date}", "t"),   # §4.3
    ("upsert!{kt,}", "select sym, date, price from t"),                                   # §4.3
    ("(def(mutable tb, data){upsert!(tb, data,ignoreNull=true,keyColNames=`sym`date,sortColumns=`date`price);"
     "return 0;}){loadTable('dfs://db', 'pt')}", "t"),                                   # §3.2
    ("(def(mutable tb, data){upsert!(tb, data,ignoreNull=false);return 0;}){kt}",
     "select sym, date, price from t"),
    ("(def(mutable tb, data){upsert!(tb, data,ignoreNull=false,keyColNames=`sym);return 0;})"
     "{loadTable('dfs://db', 'pt')}", "t"),
]


CSV = "date,sym,price\n2024.01.02,A,1.5\n2024.01.03,B,2.5\n2024.01.02,A,3.5\n2024.01.02,A,4.5\n2024.01.03,A,5.5\n"


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    c = SessionContext(server=Server(port=0), user="admin")   # (not started) loadText is for administrators
    run_script(c, SETUP)
    c.csv = tmp_path_factory.mktemp("csv") / "a.csv"
    c.csv.write_text(CSV)
    c.csv.with_name("b.csv").write_text(CSV.replace(",", ";"))
    return c


@pytest.mark.parametrize("text", SCRIPTS)
def test_helper_script_runs(ctx, text):
    run_script(ctx, text.replace("{csv}", str(ctx.csv if '";"' not in text else ctx.csv.with_name("b.csv"))))


def test_text_files_load_with_dolphindb_types(ctx):
    t = run_script(ctx, f'loadText("{ctx.csv}")')
    assert [c.type for c in t.columns.values()] == [6, 17, 16]          # DATE, SYMBOL, DOUBLE
    assert t.columns["date"].data.tolist() == [19724, 19725, 19724, 19724, 19725]
    pt = run_script(ctx, 'loadTextEx(database("dfs://db"), "csvpt2", `date, "' + str(ctx.csv) + '", sortColumns=`sym)')
    assert pt.rows == 5


@pytest.mark.parametrize("name, arg", FUNCTIONS)
def test_writer_function_request_runs(ctx, name, arg):
    data = run_script(ctx, arg)
    assert isinstance(data, Table)
    result = call_function(ctx, name, [data])
    if name.startswith("(def"):
        assert result.value == 0
    elif name.startswith("tableInsert"):
        assert result.value == data.rows


@pytest.mark.parametrize("text", ["pnodeRun(clearAllCache)", "clearAllCache()", "undef all"])
def test_session_cleanup_scripts_run_last(ctx, text):
    run_script(ctx, text)
