"""The official client 3.0.6.1 (its own venv) writing to and reading from DFS tables of our
server: PartitionedTableAppender for every partition type, MultithreadedTableWriter,
TableAppender, TableUpserter, Session.loadTable/existsDatabase/dropDatabase. What it reads back
must equal pandas' own computation of the expected frame."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

N = 2000

# The official DBConnectionPool records a task's "waiting" status after queueing it, so against a
# fast server a finished task can be marked waiting again and PartitionedTableAppender polls
# forever, holding the GIL in its constructor (BULK_WRITERS.md §2.7; on this loaded 2-core machine
# about one call in ten). The appends therefore run in a child process with a deadline: a child
# that hangs is killed, the rows of the hung call that landed are counted (the hang comes after
# the tasks ran), a call that landed nothing is redone. The hangs are reported, not hidden.
GUARD = r"""
import os, subprocess, sys, tempfile

PTA_CHILD = '''
import os, sys, dolphindb as ddb, pandas as pd
port, url, table, col, threads, *paths = sys.argv[1:]
pool = ddb.DBConnectionPool("127.0.0.1", int(port), int(threads), "admin", "123456")
pta = ddb.PartitionedTableAppender(url, table, col, pool)
for path in paths:
    print(pta.append(pd.read_parquet(path)), flush=True)
os._exit(0)
'''
HANGS = []

def pta_append(port, url, table, col, threads, frames, count):
    # one official PTA append per frame; returns the counts it answered
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, df in enumerate(frames):
            paths.append(os.path.join(tmp, f"{i}.parquet"))
            df.to_parquet(paths[-1])
        counts = []
        for attempt in range(6):
            if len(counts) == len(paths):
                return counts
            before = count()
            try:
                done = subprocess.run([sys.executable, "-c", PTA_CHILD, str(port), url, table, col,
                                       str(threads), *paths[len(counts):]], capture_output=True, text=True,
                                      timeout=8)
            except subprocess.TimeoutExpired as e:
                HANGS.append(url)
                answered = [int(x) for x in (e.stdout or b"").split()]
                counts += answered
                landed = count() - before - sum(answered)
                if landed:
                    counts.append(landed)
                continue
            if done.returncode != 0:
                raise RuntimeError(done.stderr)
            counts += [int(x) for x in done.stdout.split()]
        raise RuntimeError("the official PartitionedTableAppender hung on every attempt")
"""


def frame(n=N, seed=7):
    rng = np.random.default_rng(seed)
    syms = np.array(["AAPL", "TSLA", "GS", "MS", "GE", "BA", "UAL", "WMT", "IBM", "MSFT"])
    return pd.DataFrame({
        "date": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 10, n), unit="D"),
        "sym": syms[rng.integers(0, len(syms), n)],
        "qty": rng.integers(0, 1000, n).astype(np.int32),
        "price": rng.random(n).round(6),
    })


SCHEMES = {   # name -> (database script, partition column)
    "value": ('database("dfs://off_value", VALUE, 2024.01.01..2024.01.03)', "date"),
    "range": ('database("dfs://off_range", RANGE, 0 100 250 500 1000)', "qty"),
    "hash": ('database("dfs://off_hash", HASH, [SYMBOL, 5])', "sym"),
    "list": ('database("dfs://off_list", LIST, [`AAPL`TSLA`GS, `MS`GE, `BA`UAL`WMT`IBM`MSFT])', "sym"),
    "compo_date": ('database("dfs://off_compo", COMPO, [database("", VALUE, 2024.01.01..2024.01.10), '
                   'database("", HASH, [SYMBOL, 4])])', "date"),
    "compo_sym": ('database("dfs://off_compo2", COMPO, [database("", VALUE, 2024.01.01..2024.01.10), '
                  'database("", HASH, [SYMBOL, 4])])', "sym"),
}

PTA_SCRIPT = GUARD.replace("{", "{{").replace("}", "}}") + """
import json, sys, dolphindb as ddb, pandas as pd
port, schemes, path = {port}, {schemes!r}, {path!r}
df = pd.read_parquet(path)
s = ddb.Session(); s.connect("127.0.0.1", port, "admin", "123456")
out = {{}}
for name, (db_script, col) in schemes.items():
    url = db_script.split('"')[1]
    cols = "`date`sym" if name.startswith("compo") else "`" + col
    s.run(f'if (existsDatabase("{{url}}")) dropDatabase("{{url}}")')
    s.run(f'db = {{db_script}}; t = table(1:0, `date`sym`qty`price, [DATE, SYMBOL, INT, DOUBLE]); '
          f'db.createPartitionedTable(t, `pt, {{cols}})')
    count = lambda: int(s.run(f"exec count(*) from loadTable('{{url}}', 'pt')"))
    counts = pta_append(port, url, "pt", col, 3, [df.iloc[:1200], df.iloc[1200:]], count)
    back = s.loadTable("pt", url).toDF()
    back.to_parquet(path + "." + name)
    out[name] = {{"counts": counts, "exists": s.existsDatabase(url)}}
out["hangs"] = HANGS
print(json.dumps(out), flush=True)
os._exit(0)
"""


def test_partitioned_table_appender_every_partition_type(server, official, tmp_path):
    df = frame()
    src = tmp_path / "src.parquet"
    df.to_parquet(src)
    out = json.loads(official(PTA_SCRIPT.format(port=server.port, schemes=SCHEMES, path=str(src))).splitlines()[-1])
    expected = df.sort_values(["date", "sym", "qty", "price"]).reset_index(drop=True)
    print("official PTA hangs worked around:", out["hangs"])
    for name in SCHEMES:
        assert out[name] == {"counts": [1200, N - 1200], "exists": True}, name
        back = pd.read_parquet(f"{src}.{name}")
        back = back.sort_values(["date", "sym", "qty", "price"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(back, expected, check_dtype=False, obj=name)


WRITERS_SCRIPT = """
import json, dolphindb as ddb, numpy as np, pandas as pd
port, path = {port}, {path!r}
df = pd.read_parquet(path)
s = ddb.Session(); s.connect("127.0.0.1", port, "admin", "123456")
s.run('''
if (existsDatabase("dfs://off_mtw")) dropDatabase("dfs://off_mtw")
db = database("dfs://off_mtw", HASH, [SYMBOL, 6])
db.createPartitionedTable(table(1:0, `date`sym`qty`price, [DATE, SYMBOL, INT, DOUBLE]), `pt, `sym)
if (existsDatabase("dfs://off_ta")) dropDatabase("dfs://off_ta")
dbv = database("dfs://off_ta", VALUE, 2024.01.01..2024.01.02)
dbv.createPartitionedTable(table(1:0, `date`sym`qty`price, [DATE, SYMBOL, INT, DOUBLE]), `pt, `date)
if (existsDatabase("dfs://off_ts")) dropDatabase("dfs://off_ts")
dbt = database("dfs://off_ts", VALUE, 2024.01.01..2024.01.10, engine='TSDB')
dbt.createPartitionedTable(table(1:0, `date`sym`qty`price, [DATE, SYMBOL, INT, DOUBLE]), `pt, `date,
    sortColumns=`sym`date, keepDuplicates=LAST)
share keyedTable(`sym`date, 1:0, `date`sym`qty`price, [DATE, SYMBOL, INT, DOUBLE]) as kt_off
''')
out = {{}}
mtw = ddb.MultithreadedTableWriter("127.0.0.1", port, "admin", "123456", "dfs://off_mtw", "pt",
                                   batchSize=100, throttle=0.01, threadCount=3, partitionCol="sym")
for row in df.itertuples(index=False):
    mtw.insert(np.datetime64(row.date, "D"), row.sym, int(row.qty), float(row.price))
mtw.waitForThreadCompletion()
st = mtw.getStatus()
out["mtw"] = {{"sent": st.sentRows, "error": st.errorInfo, "threads": len(st.threadStatus)}}
s.loadTable("pt", "dfs://off_mtw").toDF().to_parquet(path + ".mtw")

ta = ddb.TableAppender(db_path="dfs://off_ta", table_name="pt", conn=s)
out["ta"] = [ta.append(df.iloc[:500]), ta.append(df.iloc[500:])]
s.loadTable("pt", "dfs://off_ta").toDF().to_parquet(path + ".ta")

up = ddb.TableUpserter(db_path="dfs://off_ts", table_name="pt", conn=s, key_cols=["sym", "date"])
out["tsdb"] = [up.upsert(df.iloc[:1500]), up.upsert(df.iloc[1000:])]
s.run("select * from loadTable('dfs://off_ts', 'pt')").to_parquet(path + ".tsdb")

s.run("delete from loadTable('dfs://off_ts', 'pt')")
mtw = ddb.MultithreadedTableWriter("127.0.0.1", port, "admin", "123456", "dfs://off_ts", "pt", batchSize=200,
                                   throttle=0.01, threadCount=2, partitionCol="date", mode="upsert",
                                   modeOption=["ignoreNull=false", "keyColNames=`sym`date"])
for row in df.itertuples(index=False):
    mtw.insert(np.datetime64(row.date, "D"), row.sym, int(row.qty), float(row.price))
mtw.waitForThreadCompletion()
out["mtw_upsert"] = {{"sent": mtw.getStatus().sentRows, "error": mtw.getStatus().errorInfo}}
s.run("select * from loadTable('dfs://off_ts', 'pt')").to_parquet(path + ".mtw_upsert")

kup = ddb.TableUpserter(table_name="kt_off", conn=s)
kup.upsert(df.iloc[:1500]); kup.upsert(df.iloc[1000:])
s.run("select * from kt_off").to_parquet(path + ".keyed")

out["exists_before"] = s.existsDatabase("dfs://off_ta")
s.dropDatabase("dfs://off_ta")
out["exists_after"] = s.existsDatabase("dfs://off_ta")
print(json.dumps(out))
"""


def test_mtw_appender_upserter_and_session_helpers(server, official, tmp_path):
    df = frame(seed=11)
    src = tmp_path / "src.parquet"
    df.to_parquet(src)
    out = json.loads(official(WRITERS_SCRIPT.format(port=server.port, path=str(src))).splitlines()[-1])
    keys = ["date", "sym", "qty", "price"]
    expected = df.sort_values(keys).reset_index(drop=True)

    def back(name, order=keys):
        return pd.read_parquet(f"{src}.{name}").sort_values(order).reset_index(drop=True)

    assert out["mtw"] == {"sent": N, "error": "", "threads": 4}     # 3 writers + the converter entry
    pd.testing.assert_frame_equal(back("mtw"), expected, check_dtype=False)
    # TableAppender: casts the int64/str columns, returns the row counts the server reported
    assert out["ta"] == [500, N - 500]
    pd.testing.assert_frame_equal(back("ta"), expected, check_dtype=False)
    # TableUpserter: one row per (sym, date), the last value wins; it always answers 0
    assert out["tsdb"] == [0, 0]
    latest = df.drop_duplicates(["sym", "date"], keep="last").sort_values(["sym", "date"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(back("tsdb", ["sym", "date"]), latest[keys], check_dtype=False)
    pd.testing.assert_frame_equal(back("keyed", ["sym", "date"]), latest[keys], check_dtype=False)
    assert out["mtw_upsert"] == {"sent": N, "error": ""}
    pd.testing.assert_frame_equal(back("mtw_upsert", ["sym", "date"]), latest[keys], check_dtype=False)
    assert out["exists_before"] is True and out["exists_after"] is False


CONFLICT_SCRIPT = GUARD.replace("{", "{{").replace("}", "}}") + """
import json, threading, dolphindb as ddb, numpy as np, pandas as pd
port, rounds = {port}, {rounds}
s = ddb.Session(); s.connect("127.0.0.1", port, "admin", "123456")
s.run('''
if (existsDatabase("dfs://off_conflict")) dropDatabase("dfs://off_conflict")
db = database("dfs://off_conflict", HASH, [INT, 4])
db.createPartitionedTable(table(1:0, `k`v, [INT, DOUBLE]), `pt, `k)
''')
n = 200000
df = pd.DataFrame({{"k": np.arange(n, dtype=np.int32) % 4, "v": np.random.default_rng(1).random(n)}})
out = {{"naive_errors": [], "naive_ok": 0}}

def naive(rounds):
    c = ddb.Session(); c.connect("127.0.0.1", port, "admin", "123456")
    for _ in range(rounds):
        try:
            c.run("tableInsert{{loadTable('dfs://off_conflict', 'pt')}}", df)
            out["naive_ok"] += 1
        except Exception as e:
            out["naive_errors"].append(str(e))
            return

threads = [threading.Thread(target=naive, args=(rounds,)) for _ in range(4)]
[t.start() for t in threads]; [t.join() for t in threads]

count = lambda: int(s.run("exec count(*) from loadTable('dfs://off_conflict', 'pt')"))
grouped = pta_append(port, "dfs://off_conflict", "pt", "k", 4, [df] * 3, count)
out["grouped"] = grouped
out["rows"] = int(s.run("exec count(*) from loadTable('dfs://off_conflict', 'pt')"))
out["hangs"] = HANGS
print(json.dumps(out), flush=True)
os._exit(0)
"""


def test_naive_concurrent_writers_conflict_partition_grouped_do_not(official, tmp_path):
    # durable, as a real server: a write holds its chunks while its partition files reach the disk
    from dolphindb.server import Server
    with Server(port=0, data_dir=tmp_path, workers=8) as srv:
        out = json.loads(official(CONFLICT_SCRIPT.format(port=srv.port, rounds=15)).splitlines()[-1])
    assert out["naive_errors"], "four writers appending to the same partitions never collided"
    assert all("<ChunkInTransaction>The openChunks operation failed because the chunk '/off_conflict/Key"
               in e and "is currently locked and in use by transaction" in e for e in out["naive_errors"])
    assert out["grouped"] == [200000] * 3
    assert out["rows"] == 200000 * (out["naive_ok"] + 3)   # a failed TRANS write left nothing behind
