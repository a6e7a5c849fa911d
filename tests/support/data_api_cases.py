"""Cases run unchanged by the official client (in its venv) and by ours, against one embedded
server that logs every request. Each case is Python code using `s` (a connected Session), `ddb`,
`keys` (dolphindb.settings), `np`, `pd` and `df` (a fresh copy of FRAME); it may set `result`.

`run_cases` is executed as source text by both interpreters (the official one cannot import
our tests), so this module imports nothing from the repository.
"""

RUNNER = r'''
import pickle
import sys
import traceback

import numpy as np
import pandas as pd
import dolphindb as ddb
import dolphindb.settings as keys


def make_frame():
    return pd.DataFrame({
        "sym": ["A", "B", "A", "C", "B", "A"],
        "price": [1.5, -2.0, 3.0, 4.5, 0.5, 2.5],
        "qty": np.array([10, 20, 30, 40, 50, 60], dtype=np.int64),
        "ts": np.array(["2024-01-02T09:30", "2024-01-02T09:31", "2024-01-03T10:00", "2024-02-01T11:00",
                        "2024-02-05T12:00", "2024-03-01T13:00"], dtype="datetime64[ns]"),
    })


def run_cases(port, cases, csv_path):
    s = ddb.Session()
    if not s.connect("127.0.0.1", port, "admin", "123456"):
        raise RuntimeError("connect failed")
    results = {}
    for name, code in cases:
        s.run("`CASE_" + name)
        namespace = {"s": s, "ddb": ddb, "keys": keys, "np": np, "pd": pd, "df": make_frame(), "csv": csv_path}
        try:
            exec(code, namespace)
            results[name] = ("ok", namespace.get("result"))
        except Exception as e:
            results[name] = ("error", type(e).__name__ + ": " + str(e))
        del namespace
    s.run("`CASE_END")
    return s.getSessionId(), results
'''

# A text file on the server's disk (tests write it to a temporary folder; `csv` is its path).
CSV_TEXT = """sym,price,qty,ts
A,1.5,10,2024.01.02T09:30:00
B,-2.0,20,2024.01.02T09:31:00
C,4.5,,2024.03.01T13:00:00
"""

# A DFS database and table every case may read: VALUE on months (the vnpy layout), TSDB.
SETUP = r'''
months = np.array(pd.date_range("2024-01", "2024-12", freq="MS"), dtype="datetime64[M]")
db = s.database("setupdb", keys.VALUE, months, "dfs://api_cases", engine="TSDB")
src = s.table(data=df)
db.createPartitionedTable(src, "pt", partitionColumns="ts", sortColumns=["sym", "ts"], keepDuplicates="ALL")
s.run("tableInsert{loadTable('dfs://api_cases','pt')}", df)
s.run("memt = table(1 2 3 as id, `x`y`z as name)")
'''

# The vnpy adapter's usage (BULK_WRITERS.md §8): a VALUE database on 2000.01M..2030.12M with the
# TSDB engine, a bar table partitioned on a NANOTIMESTAMP column with sortColumns and
# keepDuplicates=LAST, writes of DataFrames with np.datetime64 values, reads by symbol newest
# first, counts, and deletes through the builder.
VNPY_FLOW = r'''
months = np.array(pd.date_range("2000-01", "2030-12", freq="MS"), dtype="datetime64[M]")
db = s.database("db", keys.VALUE, months, "dfs://vnpy_flow", engine="TSDB")
schema = s.table(data={"symbol": ["x"], "exchange": ["SSE"], "datetime": np.array(["2024-01-01"], "datetime64[ns]"),
                       "open_price": [0.0], "volume": [0.0]})
db.createPartitionedTable(schema, "bar", partitionColumns="datetime", sortColumns=["symbol", "exchange", "datetime"],
                          keepDuplicates="LAST")
bars = pd.DataFrame({"symbol": ["IF2401", "IF2401", "IC2401", "IF2401"], "exchange": ["CFFEX"] * 4,
                     "datetime": np.array(["2024-01-02T09:30", "2024-01-02T09:31", "2024-01-02T09:30",
                                           "2024-02-01T09:30"], dtype="datetime64[ns]"),
                     "open_price": [3500.0, 3501.5, 5400.0, 3600.0], "volume": [10.0, 12.0, 8.0, 30.0]})
s.run("tableInsert{loadTable('dfs://vnpy_flow', 'bar')}", bars)
table = s.loadTable(tableName="bar", dbPath="dfs://vnpy_flow")
newest = (table.select("*").where("symbol='IF2401'").where("exchange='CFFEX'")
          .sort(bys=["datetime desc"]).top(1).toDF())
counted = table.select("count(*)").where("symbol='IF2401'").toDF()
table.delete().where("symbol='IF2401'").where("datetime<=2024.01.31T23:59:59").execute()
rest = table.select("*").toDF()
result = (newest, counted, rest)
'''

CASES = [
    ("setup", SETUP),
    # -- the query builder over an uploaded table (BULK_WRITERS.md §7.1)
    ("upload_toDF", "t = s.table(data=df)\nresult = t.toDF()"),
    ("select_where_sort_top",
     "t = s.table(data=df)\nq = t.select(['sym','price']).where('price > 1')"
     ".where(['qty >= 20', 'sym in `A`B']).sort('price', ascending=False).top(5)\n"
     "result = (q.showSQL(), q.toDF())"),
    ("single_where", "t = s.table(data=df)\nq = t.select('*').where('price > 1')\nresult = (q.showSQL(), q.toDF())"),
    ("exec_where", "t = s.table(data=df)\nq = t.exec('price').where('sym=`A')\nresult = (q.showSQL(), q.toDF())"),
    ("limit_range", "t = s.table(data=df)\nq = t.select('*').limit([2, 5])\nresult = (q.showSQL(), q.toDF())"),
    ("limit_count", "t = s.table(data=df)\nq = t.select(['sym','qty']).limit(3)\nresult = (q.showSQL(), q.toDF())"),
    ("sort_multi", "t = s.table(data=df)\nq = t.sort(['sym','qty'], ascending=[True, False])\n"
                   "result = (q.showSQL(), q.toDF())"),
    ("contextby_csort", "t = s.table(data=df)\nresult = t.contextby('sym').csort('qty').showSQL()"),
    ("contextby_top", "t = s.table(data=df)\nq = t.contextby('sym').top(2)\nresult = (q.showSQL(), q.toDF())"),
    ("contextby_limit", "t = s.table(data=df)\nresult = t.contextby('sym').limit(-1).showSQL()"),
    ("contextby_cumsum", "t = s.table(data=df)\nq = t.select(['sym','qty']).contextby('sym').cumsum()\n"
                         "result = (q.showSQL(), q.toDF())"),
    ("groupby_agg_dict", "t = s.table(data=df)\nq = t.groupby(['sym']).agg({'price': ['sum','avg']})\n"
                         "result = (q.showSQL(), q.toDF())"),
    ("groupby_agg_list", "t = s.table(data=df)\nq = t.select(['price','qty']).groupby('sym').agg(['max', 'min'])\n"
                         "result = (q.showSQL(), q.toDF())"),
    ("groupby_shortcut", "t = s.table(data=df)\nq = t.select('qty').groupby('sym').sum()\n"
                         "result = (q.showSQL(), q.toDF())"),
    ("groupby_function_objects", "t = s.table(data=df)\nq = t.select('qty').groupby('sym').agg([ddb.max, ddb.min])\n"
                                 "result = q.showSQL()"),
    ("groupby_wavg", "t = s.table(data=df)\nq = t.groupby('sym').wavg(('price','qty'))\n"
                     "result = (q.showSQL(), q.toDF())"),
    ("groupby_having", "t = s.table(data=df)\nresult = t.groupby('sym').having('sum(price) > 0').showSQL()"),
    ("groupby_sort", "t = s.table(data=df)\nresult = t.select('sum(qty)').groupby('sym').sort('sym', False).showSQL()"),
    ("pivotby", "t = s.table(data=df)\nq = t.pivotby('ts.date()', 'sym', 'price', 'sum')\n"
                "result = (q.showSQL(), q.toDF())"),
    ("pivotby_where", "t = s.table(data=df)\nq = t.where('qty > 10').pivotby('sym', 'qty', 'price')\n"
                      "result = (q.showSQL(), q.toDF())"),
    ("rows", "t = s.table(data=df)\nresult = (t.rows, t.where('price > 0').rows)"),
    ("cols_colNames_schema", "t = s.table(data=df)\nresult = (t.cols, t.colNames, t.schema)"),
    ("execute", "t = s.table(data=df)\nresult = t.execute('count(*)')"),
    ("toList", "t = s.table(data=df)\nresult = t.select(['sym','qty']).toList()"),
    ("nested_select", "t = s.table(data=df)\nq = t.select(['sym','qty']).where('qty > 10').select('qty')\n"
                      "result = (q.showSQL(), q.toDF())"),
    ("append", "t = s.table(data=df)\nmem = s.table(data=df.head(2))\nt.append(mem)\nresult = t.toDF()"),
    ("update", "mem = s.table(data=df)\nmem.update(['price'], ['price*2']).where('sym=`A').execute()\n"
               "result = mem.toDF()"),
    ("delete", "mem = s.table(data=df)\nmem.delete().where('price < 0').execute()\nresult = mem.toDF()"),
    ("drop_one", "mem = s.table(data=df)\nmem.drop(['price'])\nresult = mem.toDF()"),
    ("drop_two", "mem = s.table(data=df)\nmem.drop(['price', 'qty'])\nresult = mem.toDF()"),
    ("executeAs", "t = s.table(data=df)\nn = t.select('sym').where('qty > 30').executeAs('newT')\n"
                  "result = (n.tableName(), n.toDF())"),
    ("rename", "mem = s.table(data=df)\nmem.rename('renamed')\nresult = (mem.tableName(), s.run('renamed'))"),
    ("merge_inner", "t = s.table(data=df)\nu = s.table(data=df.head(3))\nq = t.merge(u, on='sym')\nresult = (q.showSQL(), q.toDF())"),
    ("merge_right_sorted", "t = s.table(data=df)\nu = s.table(data=df.head(3))\n"
                           "q = t.merge(u, how='right', left_on='sym', right_on='sym', sort=True)\nresult = (q.showSQL(), q.toDF())"),
    ("merge_asof", "t = s.table(data=df)\nu = s.table(data=df.head(3))\nq = t.merge_asof(u, on=['sym','ts'])\nresult = (q.showSQL(), q.toDF())"),
    ("merge_window", "t = s.table(data=df)\nu = s.table(data=df.head(3))\n"
                     "q = t.merge_window(u, -5, 0, ['avg(price)', 'max(qty)'], on=['sym','qty'])\n"
                     "result = (q.showSQL(), q.toDF())"),
    ("merge_cross", "t = s.table(data=df)\nu = s.table(data=df.head(3))\nq = t.merge_cross(u)\nresult = (q.showSQL(), q.toDF())"),
    ("ols", "t = s.table(data=df)\nresult = t.ols('price', ['qty'])"),
    # -- catalog methods (§7)
    ("loadTable", "t = s.loadTable(tableName='pt', dbPath='dfs://api_cases')\nresult = (t.colNames, t.toDF())"),
    ("loadTable_partitions", "t = s.loadTable('pt', 'dfs://api_cases', partitions=['2024.01.01', 'AAPL', 5], "
                             "memoryMode=True)"),
    ("loadTable_memory", "t = s.loadTable('memt')\nresult = t.toDF()"),
    ("table_dfs", "t = s.table(dbPath='dfs://api_cases', data='pt')\nresult = t.rows"),
    ("vnpy_query", "t = s.loadTable('pt', 'dfs://api_cases')\n"
                   "result = (t.select('*').where(\"sym='A'\").where('ts >= 2024.01.03T00:00:00')"
                   ".sort(bys=['ts desc']).top(1).toDF(), t.select('count(*)').toDF())"),
    ("vnpy_flow", VNPY_FLOW),
    ("loadTableBySQL", "s.run('pt = 42')\n"
                       "t = s.loadTableBySQL(tableName='pt', dbPath='dfs://api_cases', sql=\"select * from pt where sym='A'\")\n"
                       "result = (t.toDF(), s.run('pt'))"),
    ("loadTextEx", "s.run('db = 7')\n"
                   "t = s.loadTextEx('dfs://api_cases', 'pt', ['ts'], csv, sortColumns=['sym'])\n"
                   "result = (s.run('db'), t.rows)"),
    ("loadTextEx_memory", "s.loadTextEx('memdb', 'pt', ['ts'], csv, delimiter=';')"),
    ("existsDatabase", "result = (s.existsDatabase('dfs://api_cases'), s.existsDatabase('dfs://nothing'))"),
    ("existsTable", "result = (s.existsTable('dfs://api_cases', 'pt'), s.existsTable('dfs://api_cases', 'no'))"),
    ("database_value_dates",
     "db = s.database(dbName='db1', partitionType=keys.VALUE, "
     "partitions=np.array(['2024-01-01','2024-01-02'], 'datetime64[D]'), dbPath='dfs://case_v')\n"
     "result = s.existsDatabase('dfs://case_v')"),
    ("database_range", "db = s.database('db2', keys.RANGE, [0, 10, 20], 'dfs://case_r')"),
    ("database_hash", "db = s.database('db3', keys.HASH, [keys.DT_INT, 10], 'dfs://case_h', engine='TSDB', "
                      "atomic='CHUNK')"),
    ("database_list", "db = s.database('db4', keys.LIST, [['IBM','ORCL'], ['GOOG']], 'dfs://case_l')"),
    ("database_months_hours",
     "a = s.database('dbm', keys.VALUE, np.array(['2024-01','2024-02'], 'datetime64[M]'), 'dfs://case_m')\n"
     "b = s.database('dbh', keys.VALUE, np.array(['2024-01-01T01','2024-01-01T02'], 'datetime64[h]'), "
     "'dfs://case_hr')"),
    ("database_compo",
     "a = s.database('dbA', keys.VALUE, [1, 2])\nb = s.database('dbB', keys.HASH, [keys.DT_SYMBOL, 4])\n"
     "c = s.database('db7', keys.COMPO, [a, b], 'dfs://case_c')\nresult = s.existsDatabase('dfs://case_c')"),
    ("database_reopen", "a = s.database()\nb = s.database(dbPath='dfs://api_cases')"),
    ("database_chunk_granularity_dropped",
     "db = s.database('db8', keys.VALUE, [1, 2], 'dfs://case_g', chunkGranularity='TABLE')"),
    ("createPartitionedTable",
     "db = s.database('db1', keys.VALUE, np.array(['2024-01','2024-02'], 'datetime64[M]'), 'dfs://case_pt', "
     "engine='TSDB')\nsrc = s.table(data=df)\n"
     "pt = db.createPartitionedTable(src, 'pt', partitionColumns='ts', compressMethods={'ts': 'delta'}, "
     "sortColumns=['sym','ts'], keepDuplicates='LAST', sortKeyMappingFunction=['hashBucket{,5}'])\n"
     "result = pt.colNames"),
    ("createPartitionedTable_indexes",
     "db = s.database('db1', keys.VALUE, np.array(['2024-01','2024-02'], 'datetime64[M]'), 'dfs://case_pk', "
     "engine='TSDB')\nsrc = s.table(data=df)\n"
     "pt = db.createPartitionedTable(src, 'pk', 'ts', primaryKey=['sym', 'ts'], "
     "indexes={'price': 'vectorIndex(type=flat)'})"),
    ("createTable",
     "db = s.database('db1', keys.VALUE, [1, 2], 'dfs://case_dim', engine='TSDB')\nsrc = s.table(data=df)\n"
     "dim = db.createTable(src, 'dim', sortColumns='sym')\nresult = (dim.colNames, "
     "s.existsTable('dfs://case_dim', 'dim'))"),
    ("createDimensionTable_keywords",
     "db = s.database('db1', keys.VALUE, [1, 2], 'dfs://case_dim2', engine='TSDB')\nsrc = s.table(data=df)\n"
     "dim = db.createDimensionTable(src, 'dim', ['sym'], keepDuplicates='ALL', softDelete=False)"),
    ("dropPartition", "s.dropPartition('dfs://api_cases', ['2024.01M', '2024.02M'], tableName='pt')\n"
                      "result = s.loadTable('pt', 'dfs://api_cases').rows"),
    ("dropTable", "s.dropTable('dfs://case_dim', 'dim')\nresult = s.existsTable('dfs://case_dim', 'dim')"),
    ("dropDatabase", "s.dropDatabase('dfs://case_v')\nresult = s.existsDatabase('dfs://case_v')"),
    ("loadText", "t = s.loadText(csv)\nresult = (t.colNames, t.toDF())"),
    ("ploadText", "t = s.ploadText(csv, delimiter=',')\nresult = t.select(['sym', 'qty']).where('qty > 0').toDF()"),
    ("loadText_missing", "t = s.loadText('/nonexistent/a.csv', delimiter=';')"),
    ("saveTable", "t = s.table(data=df)\ns.saveTable(t, '/nonexistent/db')"),
    ("undef", "s.run('x = 1')\ns.undef('x', 'VAR')\nresult = s.run('defined(\"x\")')"),
    ("undefAll", "s.run('y = 1')\ns.undefAll()\nresult = s.run('defined(\"y\")')"),
    ("clearAllCache", "s.clearAllCache()\ns.clearAllCache(dfs=True)"),
    ("hashBucket", "result = (s.hashBucket(['AAPL','TSLA','GS','MS','GE','BA','UAL','WMT'], 10).tolist(), "
                   "s.hashBucket([-3, -1, 0, 1, 5], 7).tolist(), "
                   "s.hashBucket(np.array([-3, -1, 0, 1, 5], dtype=np.int32), 7).tolist(), s.hashBucket('AAPL', 7))"),
]
