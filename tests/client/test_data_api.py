"""The data API through our client and the embedded server: builder results against pandas,
freeing of temporary variables, quoting of names and values, hashBucket, the constants."""
from __future__ import annotations

import gc
import re
import threading
import time

import numpy as np
import pandas as pd
import pytest

import dolphindb as ddb
import dolphindb.settings as keys


@pytest.fixture
def logged(server):
    """A session on the shared server and the list of its request texts."""
    log = []
    server.request_log = log
    s = ddb.Session()
    assert s.connect("127.0.0.1", server.port, "admin", "123456")
    sid = s.getSessionId()
    try:
        yield s, lambda: [text for session, _, text in list(log) if session == sid]
    finally:
        server.request_log = None
        s.close()


@pytest.fixture
def frame():
    return pd.DataFrame({"sym": ["A", "B", "A", "C", "B", "A"], "price": [1.5, -2.0, 3.0, 4.5, 0.5, 2.5],
                         "qty": np.array([10, 20, 30, 40, 50, 60], dtype=np.int64)})


def _same(result: pd.DataFrame, expected: pd.DataFrame):
    pd.testing.assert_frame_equal(result.reset_index(drop=True), expected.reset_index(drop=True),
                                  check_dtype=False)


# -- results against pandas --------------------------------------------------------------------
def test_builder_results_equal_pandas(logged, frame):
    s, _ = logged
    t = s.table(data=frame)
    _same(t.toDF(), frame)
    q = t.select(["sym", "price"]).where("price > 1").where(["qty >= 20", "sym in `A`B"]).sort("price", False).top(5)
    expected = frame[(frame.price > 1) & (frame.qty >= 20) & frame.sym.isin(["A", "B"])]
    _same(q.toDF(), expected.sort_values("price", ascending=False)[["sym", "price"]].head(5))
    np.testing.assert_array_equal(t.exec("price").where("sym=`A").toDF(), frame.price[frame.sym == "A"].to_numpy())
    _same(t.select("*").limit([2, 3]).toDF(), frame.iloc[2:5])
    _same(t.sort(["sym", "qty"], ascending=[True, False]).toDF(),
          frame.sort_values(["sym", "qty"], ascending=[True, False]))
    grouped = t.groupby(["sym"]).agg({"price": ["sum", "avg"]}).toDF()
    by_sym = frame.groupby("sym").price
    _same(grouped, pd.DataFrame({"sym": ["A", "B", "C"], "sum_price": by_sym.sum().to_numpy(),
                                 "avg_price": by_sym.mean().to_numpy()}))
    top2 = t.contextby("sym").top(2).toDF()
    _same(top2, frame.groupby("sym", sort=True).head(2).sort_values("sym", kind="stable"))
    cumulative = t.select(["sym", "qty"]).contextby("sym").cumsum().toDF()
    ordered = frame.sort_values("sym", kind="stable")
    assert cumulative["cumsum_qty"].tolist() == ordered.groupby("sym").qty.cumsum().tolist()
    assert t.rows == 6 and t.where("price > 0").rows == 5
    assert (t.cols, t.colNames) == (3, ["sym", "price", "qty"])
    assert t.schema["name"].tolist() == ["sym", "price", "qty"]
    assert t.execute("count(*)") == 6
    assert t.select(["sym", "qty"]).toList()[1].tolist() == frame.qty.tolist()
    dated = s.table(data=frame.assign(day=np.array(["2024-01-02", "2024-01-02", "2024-01-03", "2024-01-03",
                                                     "2024-01-03", "2024-01-04"], dtype="datetime64[ns]")))
    pivoted = dated.pivotby("day", "sym", "price", "sum").toDF()
    expected = pd.pivot_table(dated.toDF(), index="day", columns="sym", values="price", aggfunc="sum")
    _same(pivoted, expected.reset_index().rename_axis(columns=None))


def test_modifications_equal_pandas(logged, frame):
    s, texts = logged
    mem = s.table(data=frame)
    mem.update(["price"], ["price*2"]).where("sym=`A").execute()
    expected = frame.assign(price=np.where(frame.sym == "A", frame.price * 2, frame.price))
    _same(mem.toDF(), expected)
    mem.delete().where("price < 0").execute()
    expected = expected[expected.price >= 0]
    _same(mem.toDF(), expected)
    mem.append(s.table(data=frame.head(2)))
    expected = pd.concat([expected, frame.head(2)])
    _same(mem.toDF(), expected)
    copy = mem.select("*").where("qty > 20")
    renamed = copy.executeAs("bigQty")
    _same(renamed.toDF(), expected[expected.qty > 20])
    renamed.rename("renamedT")
    assert renamed.tableName() == "renamedT"
    _same(s.run("renamedT"), expected[expected.qty > 20])
    mem.drop(["price"])
    _same(mem.toDF(), expected.drop(columns=["price"]))
    assert f"{mem.tableName()}.drop!(\"price\")" in texts()


def test_dfs_flow_equals_pandas(logged, frame):
    s, _ = logged
    db = s.database("dapiDb", keys.HASH, [keys.DT_SYMBOL, 3], "dfs://data_api_hash", engine="TSDB")
    pt = db.createPartitionedTable(s.table(data=frame), "pt", "sym", sortColumns=["sym", "qty"])
    s.run("tableInsert{loadTable('dfs://data_api_hash','pt')}", frame)
    t = s.loadTable("pt", "dfs://data_api_hash")
    assert s.existsTable("dfs://data_api_hash", "pt") and pt.colNames == ["sym", "price", "qty"]
    _same(t.select("*").where("qty > 15").sort("qty").toDF(), frame[frame.qty > 15].sort_values("qty"))
    t.delete().where("sym = 'B'").execute()
    assert t.rows == 4
    by_sql = s.loadTableBySQL("pt", "dfs://data_api_hash", "select * from pt where price > 2")
    _same(by_sql.sort("qty").toDF(), frame[(frame.price > 2) & (frame.sym != "B")].sort_values("qty"))
    s.dropTable("dfs://data_api_hash", "pt")
    assert not s.existsTable("dfs://data_api_hash", "pt")
    s.dropDatabase("dfs://data_api_hash")
    assert not s.existsDatabase("dfs://data_api_hash")


# -- temporary variables -----------------------------------------------------------------------
def _defined(s, name) -> bool:
    return bool(s.run(f'defined("{name}")'))


@pytest.fixture
def prompt_freeing(monkeypatch):
    """Frees collected temporaries at the very next request instead of waiting for a batch."""
    from dolphindb._script import Temporaries
    monkeypatch.setattr(Temporaries, "MAX_AGE", 0.0)


def test_collected_tables_are_freed_in_batches_without_a_request_from_the_finalizer(logged, frame):
    from dolphindb._script import Temporaries
    s, texts = logged
    tables = [s.table(data=frame) for _ in range(Temporaries.BATCH + 8)]
    names = [t.tableName() for t in tables]
    assert all(_defined(s, n) for n in names)
    sent = len(texts())
    del tables[:Temporaries.BATCH - 1]
    gc.collect()
    assert len(texts()) == sent                      # nothing sent while collecting
    assert s.run("1") == 1 and texts()[sent:] == ["1"]   # not a full batch yet, and not old
    del tables
    gc.collect()
    assert s.run("2") == 2                           # a full batch: freed first, in one request
    after = texts()[sent + 1:]
    assert len(after) == 2 and after[1] == "2"
    assert sorted(re.findall(r"TMP_TBL_[0-9a-f]{8}", after[0])) == sorted(names)
    assert not any(_defined(s, n) for n in names)


def test_a_waiting_name_is_freed_once_it_is_old(logged, frame, monkeypatch):
    from dolphindb._script import Temporaries
    monkeypatch.setattr(Temporaries, "MAX_AGE", 60.0)
    s, _ = logged
    t = s.table(data=frame)
    name = t.tableName()
    del t
    gc.collect()
    assert _defined(s, name)                         # younger than MAX_AGE: still waiting
    monkeypatch.setattr(Temporaries, "MAX_AGE", 0.2)
    import time
    time.sleep(0.25)
    s.run("1")
    assert not _defined(s, name)


def test_copies_and_joins_keep_the_variable_alive(logged, frame, prompt_freeing):
    s, _ = logged
    t = s.table(data=frame)
    name = t.tableName()
    query = t.select("sym").where("qty > 10")
    right = s.table(data=frame.head(2))
    right_name = right.tableName()
    joined = t.merge(right, on="sym")
    del t, right
    gc.collect()
    s.run("1")
    assert _defined(s, name) and _defined(s, right_name)
    assert query.toDF()["sym"].tolist() == frame.sym[frame.qty > 10].tolist()
    del query, joined
    gc.collect()
    s.run("1")
    assert not _defined(s, name) and not _defined(s, right_name)


def test_user_named_and_memory_tables_are_never_freed(logged, frame):
    s, _ = logged
    s.run("keepMe = table(1 2 as x)")
    t = s.loadTable("keepMe")
    alias = s.table(data=frame, tableAliasName="myAlias")
    del t, alias
    gc.collect()
    s.run("1")
    assert _defined(s, "keepMe") and _defined(s, "myAlias")


def test_handles_of_catalog_methods_are_freed(logged, frame, prompt_freeing):
    s, texts = logged
    s.database("handleDb", keys.VALUE, [1, 2], "dfs://data_api_handles")
    s.dropTable("dfs://data_api_handles", "missing") if s.existsTable("dfs://data_api_handles", "missing") else None
    with pytest.raises(RuntimeError):
        s.dropTable("dfs://data_api_handles", "missing")
    s.run("1")
    handle = re.search(r"TMP_DB_[0-9a-f]{8}DB", texts()[-3]).group(0)
    assert texts()[-2] == f'undef("{handle}", VAR)' and not _defined(s, handle)
    s.dropDatabase("dfs://data_api_handles")


def test_pending_names_are_dropped_by_undef_all_and_close(server, frame):
    s = ddb.Session()
    assert s.connect("127.0.0.1", server.port, "admin", "123456")
    t = s.table(data=frame)
    del t
    gc.collect()
    assert len(s._temporaries) == 1
    s.undefAll()
    assert len(s._temporaries) == 0
    t = s.table(data=frame)
    del t
    gc.collect()
    s.close()
    assert len(s._temporaries) == 0


# -- quoting -----------------------------------------------------------------------------------
INJECTIONS = ['x"); undef all; ("', "x'); undef all; ('", 'a\\"; undef all; //', "a\nundef all", "a`b"]


@pytest.mark.parametrize("evil", INJECTIONS)
def test_values_from_python_stay_strings(logged, evil):
    s, texts = logged
    s.run("canary = 1")
    assert s.existsDatabase("dfs://" + evil) is False
    assert s.existsTable("dfs://" + evil, evil) is False
    with pytest.raises(RuntimeError):
        s.loadTable(evil, "dfs://" + evil)
    with pytest.raises(RuntimeError):
        s.dropDatabase("dfs://" + evil)
    with pytest.raises(RuntimeError):
        s.dropTable("dfs://" + evil, evil)
    with pytest.raises(RuntimeError):
        s.loadText("/no/" + evil, delimiter=evil)
    s.undef(evil, "VAR")
    assert s.run("canary") == 1                      # no statement smuggled in ran


@pytest.mark.parametrize("evil", INJECTIONS)
def test_names_that_are_not_identifiers(logged, evil):
    s, _ = logged
    frame = pd.DataFrame({evil: [1, 2, 3], "ok": [4, 5, 6]})
    t = s.table(data=frame)
    assert t.colNames == [evil, "ok"]
    _same(t.toDF(), frame)
    assert t.select(t._select[0]).toDF()[evil].tolist() == [1, 2, 3]
    t.drop([evil])
    assert t.toDF().columns.tolist() == ["ok"]
    for bad in (evil, "1abc", "a b"):
        with pytest.raises(ValueError, match="not a valid DolphinDB"):
            s.database(bad, keys.VALUE, [1, 2], "dfs://x")
        with pytest.raises(ValueError):
            t.executeAs(bad)
        with pytest.raises(ValueError):
            s.dropPartition("dfs://x", [bad + ")"])
    with pytest.raises(ValueError):
        s.undef("x", "VAR); undef all; (")
    for bad in ("1; undef all", 1.5, True, [1, "2 3"]):
        with pytest.raises(ValueError, match="top and limit take integers"):
            t.top(bad) if not isinstance(bad, list) else t.limit(bad)
    assert s.run("1") == 1


def test_table_and_column_names_in_created_tables_are_quoted(logged, frame):
    s, texts = logged
    db = s.database("quotedDb", keys.VALUE, ["A", "B", "C"], "dfs://data_api_quoted")
    pt = db.createPartitionedTable(s.table(data=frame), "my table", "sym")
    assert '"my table"' in texts()[-2] and pt.colNames == ["sym", "price", "qty"]
    assert s.existsTable("dfs://data_api_quoted", "my table")
    s.dropDatabase("dfs://data_api_quoted")


def test_script_text_helpers():
    from dolphindb._script import column_ref, partition_token, string_literal, symbols
    assert string_literal("dfs://db") == '"dfs://db"'
    assert string_literal('a"b\\c\n') == '"a\\"b\\\\c\\n"'
    assert string_literal("it's", "'") == "'it\\'s'"
    assert column_ref("price") == "price" and column_ref("my col") == '_"my col"'
    assert column_ref("价格") == "价格"
    assert symbols(["sym", "date"]) == "`sym`date" and symbols(["a b", "c"]) == '["a b","c"]'
    assert symbols([]) == "string([])"
    assert partition_token("'/20240101'") == "'/20240101'" and partition_token(5) == "5"
    for bad in ("2024.01.01]); undef all; ([", "'/a' + x", True, None):
        with pytest.raises((ValueError, TypeError)):
            partition_token(bad)


# -- hashBucket --------------------------------------------------------------------------------
def test_hash_bucket_matches_the_server(logged):
    s, _ = logged
    rng = np.random.default_rng(7)
    ints = rng.integers(-2**31 + 1, 2**31 - 1, 300).astype(np.int32)
    longs = rng.integers(-2**62, 2**62, 300)
    words = ["", "a", "AAPL", "MSFT", "中文", "x" * 37] + [f"sym{i}" for i in range(50)]
    dates = np.array(["1969-12-31", "1970-01-01", "2024-02-29"], dtype="datetime64[D]")
    stamps = np.array(["1969-12-31T23:59:59.999", "2024-01-02T09:30:00.123"], dtype="datetime64[ms]")
    for n in (1, 7, 10, 1048576):
        assert s.hashBucket(ints, n).tolist() == s.run(f"hashBucket({_vector(ints, 'int')}, {n})").tolist()
        assert s.hashBucket(longs, n).tolist() == s.run(f"hashBucket({_vector(longs, 'long')}, {n})").tolist()
        assert s.hashBucket(words, n).tolist() == s.run("hashBucket", words, n).tolist()
        assert s.hashBucket(dates, n).tolist() == s.run("hashBucket", dates, n).tolist()
        assert s.hashBucket(stamps, n).tolist() == s.run("hashBucket", stamps, n).tolist()
    assert s.hashBucket("AAPL", 10) == 9 and isinstance(s.hashBucket(5, 7), int)
    nulls = np.array([np.iinfo(np.int32).min, 3], dtype=np.int32)
    assert s.hashBucket(nulls, 7).tolist() == [-1, 3]
    with pytest.raises(ValueError, match="n must be a positive integer"):
        s.hashBucket([1], 0)
    with pytest.raises(ValueError, match="Key must be integer, date/time, or string."):
        s.hashBucket([1.5, 2.5], 3)


def _vector(values, cast: str) -> str:
    return f"{cast}([" + ",".join(str(int(v)) for v in values) + "])"


# -- constants ---------------------------------------------------------------------------------
def test_partition_and_type_constants_match_the_official_client(official):
    names = ["SEQ", "VALUE", "RANGE", "LIST", "COMPO", "HASH"] + [n for n in dir(keys) if n.startswith("DT_")]
    out = official(f"import dolphindb.settings as keys\nprint({{n: getattr(keys, n) for n in {names!r}}})")
    theirs = eval(out.strip().splitlines()[-1])
    assert {n: getattr(keys, n) for n in names} == theirs


# -- text files --------------------------------------------------------------------------------
def test_load_text_equals_pandas(logged, frame, tmp_path):
    s, _ = logged
    data = frame.assign(day=pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04", "2024-02-01", "2024-02-02",
                                            "2024-03-01"]))
    path = tmp_path / "quotes.csv"
    data.to_csv(path, index=False, date_format="%Y.%m.%d")
    expected = pd.read_csv(path, parse_dates=["day"], date_format="%Y.%m.%d")
    _same(s.loadText(str(path)).toDF(), expected)
    semi = tmp_path / "quotes_semicolon.csv"
    data.to_csv(semi, index=False, sep=";", date_format="%Y.%m.%d")
    _same(s.ploadText(str(semi), delimiter=";").where("qty > 20").toDF(), expected[expected.qty > 20])
    db = s.database("textDb", keys.VALUE, np.array(["2024-01", "2024-02", "2024-03"], "datetime64[M]"),
                    "dfs://data_api_text", engine="TSDB")
    s.run("db = 1")
    loaded = s.loadTextEx("dfs://data_api_text", "quotes", ["day"], str(path), sortColumns=["sym", "day"])
    _same(loaded.sort("qty").toDF(), expected)
    assert s.run("db") == 1                                    # the session's own `db` is untouched
    assert db._getDbName() == "textDb"
    s.dropDatabase("dfs://data_api_text")


def _running_job(server, session_id: str):
    """The job `server` runs for the session, once it holds a worker (the generous 30 s bound only
    catches a request that never starts)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with server.lock:
            jobs = [j for j in server.jobs.values() if j.session.session_id == session_id and j.running]
        if jobs:
            return jobs[0]
        time.sleep(0.01)
    raise AssertionError(f"no job of session {session_id} started")


def test_collecting_tables_never_waits_for_a_busy_session(server, logged, frame, prompt_freeing):
    """Finalizers only queue names: collecting Tables while another thread holds the session in a
    request returns while that request still runs, and the names are freed after it. No
    wall-clock bound: the request runs until the test cancels it, so a finalizer that waited for
    the session would still be blocked when the (generous) join gives up."""
    s, texts = logged
    tables = [s.table(data=frame) for _ in range(5)]
    names = [t.tableName() for t in tables]
    ended = []

    def hold_the_session():
        try:
            s.run("sleep(600000)")
        except RuntimeError as e:
            ended.append(e)

    def collect():
        tables.clear()
        gc.collect()

    busy = threading.Thread(target=hold_the_session)
    busy.start()
    job = _running_job(server, str(s.getSessionId()))
    collector = threading.Thread(target=collect)
    collector.start()
    collector.join(30)
    assert not collector.is_alive()
    assert busy.is_alive() and job.job_id in server.jobs       # collected while the request ran
    assert server.cancel_jobs([job.job_id]) == 1
    busy.join(30)
    assert not busy.is_alive() and ended
    assert s.run("2") == 2
    assert not any(_defined(s, n) for n in names)


def test_table_from_a_pyarrow_table(server):
    import pyarrow as pa
    arrow = pa.table({"sym": ["a", "b"], "qty": pa.array([1, 2], pa.int64())})
    with ddb.Session(protocol=keys.PROTOCOL_ARROW) as s:
        assert s.connect("127.0.0.1", server.port, "admin", "123456")
        t = s.table(data=arrow)
        assert t.where("qty > 1").toDF().to_pydict() == {"sym": ["b"], "qty": [2]}
    with ddb.Session(protocol=keys.PROTOCOL_DDB) as s:
        assert s.connect("127.0.0.1", server.port, "admin", "123456")
        with pytest.raises(RuntimeError, match="requires protocol='arrow'"):
            s.table(data=arrow)


# -- joins -------------------------------------------------------------------------------------
def test_merges_equal_pandas(logged):
    s, _ = logged
    left = pd.DataFrame({"sym": ["A", "B", "C", "A"], "t": [1, 2, 3, 5], "price": [1.0, 2.0, 3.0, 4.0]})
    right = pd.DataFrame({"sym": ["A", "B", "D"], "t": [0, 3, 1], "qty": [10, 20, 30]})
    lt, rt = s.table(data=left), s.table(data=right)
    renamed = right.rename(columns={"t": "right_t"})
    _same(lt.merge(rt, on="sym").toDF(), left.merge(renamed, on="sym", how="inner", sort=False))
    _same(lt.merge(rt, how="left", on="sym").toDF(), left.merge(renamed, on="sym", how="left"))
    _same(lt.merge(rt, on="sym", sort=True).toDF(),
          left.merge(renamed, on="sym").sort_values("sym", kind="stable"))
    outer = lt.merge(rt, how="outer", on="sym").toDF()
    _same(outer.sort_values(["sym", "t"]), left.merge(renamed, on="sym", how="outer").sort_values(["sym", "t"]))
    asof = lt.merge_asof(rt, on=["sym", "t"]).toDF()
    expected = pd.merge_asof(left, right.assign(right_t=right.t).sort_values("t"), on="t", by="sym")  # left is sorted
    _same(asof, expected[["sym", "t", "price", "right_t", "qty"]])
    cross = lt.select(["sym", "price"]).merge_cross(rt).toDF()
    _same(cross, left[["sym", "price"]].merge(right.rename(columns={"sym": "right_sym"}), how="cross"))
    window = lt.merge_window(rt, -3, 0, ["avg(qty)", "max(t)"], on=["sym", "t"]).toDF()
    rows = [right[(right.sym == r.sym) & (right.t >= r.t - 3) & (right.t <= r.t)] for r in left.itertuples()]
    _same(window, left.assign(avg_qty=[w.qty.mean() for w in rows], max_t=[w.t.max() for w in rows]))
    nested = lt.select(["sym", "price"]).where("price > 1").merge(rt, on="sym").toDF()
    _same(nested, left[left.price > 1][["sym", "price"]].merge(right, on="sym"))


def test_only_administrators_read_the_servers_files(server, tmp_path):
    path = tmp_path / "secret.csv"
    path.write_text("a\n1\n")
    with ddb.Session() as admin:
        assert admin.connect("127.0.0.1", server.port, "admin", "123456")
        admin.run('createUser("dataApiReader", "Reader#2026")')
        try:
            with ddb.Session() as reader:
                assert reader.connect("127.0.0.1", server.port, "dataApiReader", "Reader#2026")
                with pytest.raises(RuntimeError, match=r"Only administrators can execute function \[loadText\]"):
                    reader.loadText(str(path))
            assert admin.loadText(str(path)).toDF()["a"].tolist() == [1]
        finally:
            admin.run('deleteUser("dataApiReader")')
