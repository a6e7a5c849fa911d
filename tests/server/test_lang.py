"""The embedded server's DolphinDB interpreter, feature by feature (no network)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dolphindb.server.lang import ScriptError, SessionContext, call_function, run_script
from dolphindb.server.model.values import (ANY, BOOL, DATE, DATEHOUR, DATETIME, DECIMAL32, DOUBLE, FLOAT, INT, LONG,
                                           MINUTE, MONTH, NANOTIME, NANOTIMESTAMP, PAIR, SECOND, SHORT, STRING,
                                           SYMBOL, TIME, TIMESTAMP, Scalar, Table, Vector)


@pytest.fixture
def ctx():
    return SessionContext()


def run(ctx, text):
    return run_script(ctx, text)


def values(v):
    if isinstance(v, Scalar):
        return v.value
    return [None if (isinstance(x, float) and x != x) else x for x in v.data.tolist()]


@pytest.mark.parametrize("text,type_,value", [
    ("42", INT, 42), ("3000000000", LONG, 3000000000), ("7h", SHORT, 7), ("5l", LONG, 5), ("1.5", DOUBLE, 1.5),
    ("2.5f", FLOAT, 2.5), ("'xy'", STRING, "xy"), ('"y"', STRING, "y"), ("true", BOOL, 1), ("false", BOOL, 0),
    ("2024.01.02", DATE, 19724), ("2024.01M", MONTH, 2024 * 12), ("12:30:00", SECOND, 45000),
    ("12:30:00.123", TIME, 45000123), ("12:30m", MINUTE, 750), ("2024.01.02T12:30:00", DATETIME, 19724 * 86400 + 45000),
    ("2024.01.02T12:30:00.123", TIMESTAMP, (19724 * 86400 + 45000) * 1000 + 123),
    ("2024.01.02T12:30:00.123456789", NANOTIMESTAMP, (19724 * 86400 + 45000) * 10**9 + 123456789),
    ("12:30:00.000000001", NANOTIME, 45000 * 10**9 + 1), ("2024.01.02T12h", DATEHOUR, 19724 * 24 + 12),
])
def test_literals(ctx, text, type_, value):
    v = run(ctx, text)
    assert v.type == type_ and v.value == value


def test_vectors_ranges_pairs_and_symbols(ctx):
    v = run(ctx, "[1, 2, 3]")
    assert v.type == INT and values(v) == [1, 2, 3]
    assert run(ctx, "[1, 2.5]").type == DOUBLE
    assert run(ctx, "[1, `a]").type == ANY
    assert values(run(ctx, "1..5")) == [1, 2, 3, 4, 5]
    p = run(ctx, "1:5")
    assert p.form == PAIR and values(p) == [1, 5]
    assert values(run(ctx, "`a`b`c")) == ["a", "b", "c"]
    assert values(run(ctx, "1 2 NULL")) == [1, 2, -2**31]
    assert run(ctx, "NULL").value is None


def test_arithmetic_follows_dolphindb_semantics(ctx):
    assert run(ctx, "5 / 2").value == 2 and run(ctx, "-7 / 5").value == -2
    assert run(ctx, "5 \\ 2").value == 2.5
    assert run(ctx, "7 % 3").value == 1
    assert run(ctx, "2 ** 10").value == 1024.0
    assert run(ctx, "1 + 2 * 3").value == 7 and run(ctx, "(1 + 2) * 3").value == 9
    assert values(run(ctx, "1 2 3 + 10")) == [11, 12, 13]
    assert values(run(ctx, "1 2 3 * 1 2 3")) == [1, 4, 9]
    assert run(ctx, "1 + NULL").value is None
    assert values(run(ctx, "1 NULL 3 + 1")) == [2, -2**31, 4]
    assert run(ctx, "2024.01.31 + 1").value == run(ctx, "2024.02.01").value
    assert run(ctx, '"a" + "b"').value == "ab"
    with pytest.raises(ScriptError, match="length of the vector"):
        run(ctx, "1 2 + 1 2 3")


def test_comparisons_and_logic(ctx):
    assert values(run(ctx, "1 2 3 > 2")) == [0, 0, 1]
    assert run(ctx, "1 == 1 && 2 != 3").value == 1
    assert run(ctx, "!(1 < 0) or false").value == 1
    assert values(run(ctx, "2 5 in [1, 2, 3]")) == [1, 0]
    assert run(ctx, "NULL < 1").value == 1       # NULL orders below every value
    assert run(ctx, "2024.01.02 > 2024.01.01").value == 1


def test_functions_lambdas_partials_and_methods(ctx):
    run(ctx, "def f(a, b) { return a * 10 + b }")
    assert run(ctx, "f(1, 2)").value == 12
    assert run(ctx, "g = def(x): x + 1; g(4)").value == 5
    assert run(ctx, "(x -> x * x)(7)").value == 49
    assert run(ctx, "h = f{3}; h(4)").value == 34
    assert run(ctx, "k = f{, 9}; k(2)").value == 29
    assert values(run(ctx, "(1 2 3).cumsum()")) == [1, 3, 6]
    assert run(ctx, "x = 1 2 3; x.size()").value == 3
    assert call_function(ctx, "f", [Scalar(INT, 2), Scalar(INT, 5)]).value == 25
    assert call_function(ctx, "add", [Scalar(LONG, 2), Scalar(LONG, 5)]).value == 7


def test_control_flow(ctx):
    run(ctx, "s = 0\nfor (i in 1..10) {\n  if (i % 2 == 0) { continue }\n  s = s + i\n}")
    assert run(ctx, "s").value == 25
    run(ctx, "n = 0; do { n = n + 1 } while (n < 5)")
    assert run(ctx, "n").value == 5
    run(ctx, "m = 0; while (true) { m = m + 1; if (m >= 3) break }")
    assert run(ctx, "m").value == 3
    run(ctx, "if (1 > 2) { r = `a } else { r = `b }")
    assert run(ctx, "r").value == "b"
    assert run(ctx, "def fact(n) { if (n <= 1) return 1; return n * fact(n - 1) }; fact(10)").value == 3628800


def test_assignment_forms_and_indexing(ctx):
    run(ctx, "a, b = 1, 2")
    assert (run(ctx, "a").value, run(ctx, "b").value) == (1, 2)
    run(ctx, "v = 10 20 30 40")
    assert run(ctx, "v[1]").value == 20
    assert values(run(ctx, "v[1:3]")) == [20, 30]
    assert values(run(ctx, "v[v > 15]")) == [20, 30, 40]
    run(ctx, "v[0] = 99")
    assert values(run(ctx, "v")) == [99, 20, 30, 40]
    run(ctx, "t = table(1 2 as x, `p`q as y)")
    assert values(run(ctx, "t.x")) == [1, 2] and values(run(ctx, "t[`y]")) == ["p", "q"]
    run(ctx, "d = dict(`a`b, 1 2)")
    assert run(ctx, "d[`b]").value == 2
    assert run(ctx, "x = 1") is None and run(ctx, "1 + 1;") is None


def test_errors_use_the_real_server_texts(ctx):
    with pytest.raises(ScriptError, match=r"^Syntax Error: \[line #1\] Cannot recognize the token nope$"):
        run(ctx, "nope")
    with pytest.raises(ScriptError, match=r"^Syntax Error: \[line #3\] Cannot recognize the token zz$"):
        run(ctx, "x = 1\ny = 2\nzz")
    with pytest.raises(ScriptError, match=r"^Syntax Error: \[line #1\] Cannot recognize the token frob$"):
        run(ctx, "frob(1)")
    with pytest.raises(ScriptError, match="Syntax Error"):
        run(ctx, "1 +")


def test_share_undef_and_comments(ctx):
    run(ctx, "/* block\ncomment */ t = table(1 2 as a) // trailing\nshare t as st")
    assert isinstance(run(ctx, "st"), Table)
    run(ctx, "tmp = 5; undef(`tmp)")
    with pytest.raises(ScriptError):
        run(ctx, "tmp")
    run(ctx, "undef all")
    assert ctx.variables == {}


def test_print_goes_to_the_session_output(ctx):
    assert run(ctx, "print(1 2 3); print(\"hi\")") is None
    assert ctx.output == ["[1,2,3]", "hi"]


@pytest.mark.parametrize("text,expected", [
    ("size(1 2 3)", 3), ("count(1 NULL 3)", 2), ("sum(1..100)", 5050), ("avg(1 2 3 4)", 2.5),
    ("max(3 9 1)", 9), ("min(3 9 1)", 1), ("med(1 5 3)", 3.0), ("first(4 5)", 4), ("last(4 5)", 5),
    ("std(2 4 4 4 5 5 7 9)", pytest.approx(2.138089935299395)), ("var(1 2 3 4)", pytest.approx(1.6666666666666667)),
    ("strlen('hello')", 5), ("upper('ab')", "AB"), ("lower('AB')", "ab"), ("substr('abcdef', 2, 3)", "cde"),
    ("concat(`a`b`c, '-')", "a-b-c"), ("typestr(1 2 3)", "FAST INT VECTOR"), ("typestr(1)", "INT"),
    ("type(1.5)", 16), ("form(1 2)", 1), ("year(2024.03.05)", 2024), ("monthOfYear(2024.03.05)", 3),
    ("dayOfMonth(2024.03.05)", 5), ("hour(2024.03.05T13:04:05)", 13), ("string(2024.03.05)", "2024.03.05"),
    ("int('42')", 42), ("double(1)", 1.0), ("long(7)", 7), ("short(7)", 7), ("bool(2)", 1),
    ("rows(table(1 2 3 as a))", 3), ("cols(table(1 as a, 2 as b))", 2), ("reduce(add, 1..4)", 10),
    ("isNull(NULL)", 1), ("defined(`nosuch)", 0),
])
def test_builtin_functions(ctx, text, expected):
    assert run(ctx, text).value == expected


@pytest.mark.parametrize("text,expected", [
    ("til(4)", [0, 1, 2, 3]), ("take(1 2, 5)", [1, 2, 1, 2, 1]), ("cumsum(1 2 3)", [1, 3, 6]),
    ("sort(3 1 2)", [1, 2, 3]), ("distinct(3 1 3 2)", [3, 1, 2]), ("nullFill(1 NULL 3, 0)", [1, 0, 3]),
    ("iif(1 2 3 > 1, 10, 20)", [20, 10, 10]), ("each(x -> x * 2, 1 2 3)", [2, 4, 6]),
    ("accumulate(add, 1 2 3)", [1, 3, 6]), ("isValid(1 NULL)", [1, 0]), ("split('a,b,c', ',')", ["a", "b", "c"]),
    ("reverse(1 2 3)", [3, 2, 1]), ("seq(2, 5)", [2, 3, 4, 5]),
])
def test_vector_functions(ctx, text, expected):
    assert values(run(ctx, text)) == expected


def test_casts_temporal_and_special_types(ctx):
    assert run(ctx, "date(2024.01.02T13:00:00)").value == run(ctx, "2024.01.02").value
    assert run(ctx, "month(2024.03.05)").value == 2024 * 12 + 2
    assert run(ctx, "timestamp(2024.01.02)").value == 19724 * 86400000
    assert run(ctx, "second(2024.01.02T01:02:03)").value == 3723
    assert run(ctx, "temporalAdd(2024.01.31, 1, `M)").value == run(ctx, "2024.02.29").value
    assert run(ctx, "temporalAdd(2024.01.01T00:00:00, 90, `m)").value == run(ctx, "2024.01.01T01:30:00").value
    d = run(ctx, "decimal32(3.14159, 2)")
    assert d.type == DECIMAL32 and (d.value, d.scale) == (314, 2)
    assert run(ctx, "1 2 3 $ DOUBLE").type == DOUBLE
    assert run(ctx, '"5" $ INT').value == 5
    assert run(ctx, "symbol(`a`b)").type == SYMBOL
    assert run(ctx, "uuid('5d212a78-cc48-e3b1-4235-b4d91473ee87')").value == int("5d212a78cc48e3b14235b4d91473ee87", 16)
    assert run(ctx, "ipaddr('1.2.3.4')").value == 0x01020304
    m = run(ctx, "matrix(1 2, 3 4)")
    assert m.data.tolist() == [[1, 3], [2, 4]]
    assert sorted(values(run(ctx, "set(1 1 2)"))) == [1, 2]


# ---- SQL, checked against pandas on random data ------------------------------------------------
@pytest.fixture
def trades(ctx):
    rng = np.random.default_rng(7)
    n = 5000
    df = pd.DataFrame({"id": np.arange(n, dtype=np.int64), "sym": rng.choice(list("ABCDE"), n),
                       "px": rng.random(n) * 100, "qty": rng.integers(1, 100, n).astype(np.int32)})
    ctx.variables["t"] = Table({"id": Vector(LONG, df.id.to_numpy()),
                                "sym": Vector(SYMBOL, df.sym.to_numpy().astype(object)),
                                "px": Vector(DOUBLE, df.px.to_numpy()),
                                "qty": Vector(INT, df.qty.to_numpy())})
    return df


def frame(t: Table) -> pd.DataFrame:
    return pd.DataFrame({k: (list(c.data) if c.data.dtype == object else c.data) for k, c in t.columns.items()})


def test_select_where_matches_pandas(ctx, trades):
    got = frame(run(ctx, "select id, px from t where qty > 50, sym = `B"))
    want = trades[(trades.qty > 50) & (trades.sym == "B")][["id", "px"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)
    got = frame(run(ctx, "select * from t where px < 10 and sym in [`A, `C]"))
    want = trades[(trades.px < 10) & trades.sym.isin(["A", "C"])].reset_index(drop=True)
    assert got.id.tolist() == want.id.tolist()


def test_group_by_aggregates_match_pandas(ctx, trades):
    got = frame(run(ctx, "select sum(qty), avg(px), count(*), max(px) as hi from t group by sym"))
    g = trades.groupby("sym")
    assert got.columns.tolist() == ["sym", "sum_qty", "avg_px", "count", "hi"]
    assert got.sym.tolist() == sorted(trades.sym.unique())
    assert got.sum_qty.tolist() == g.qty.sum().tolist()
    np.testing.assert_allclose(got.avg_px, g.px.mean().to_numpy())
    assert got["count"].tolist() == g.size().tolist()
    np.testing.assert_allclose(got.hi, g.px.max().to_numpy())


def test_order_by_top_limit_exec(ctx, trades):
    got = frame(run(ctx, "select top 5 id, px from t order by px desc"))
    assert got.id.tolist() == trades.sort_values("px", ascending=False).id.head(5).tolist()
    got = frame(run(ctx, "select id from t order by qty, id limit 10, 3"))
    assert got.id.tolist() == trades.sort_values(["qty", "id"]).id.iloc[10:13].tolist()
    assert run(ctx, "exec count(*) from t where sym = `A").value == int((trades.sym == "A").sum())
    assert values(run(ctx, "exec id from t where id < 3")) == [0, 1, 2]


def test_context_by_keeps_rows(ctx, trades):
    got = frame(run(ctx, "select id, cumsum(qty) as c from t context by sym"))
    assert len(got) == len(trades)
    want = trades.sort_values(["sym", "id"]).groupby("sym").qty.cumsum()
    assert got.c.tolist() == want.tolist()


def test_update_delete_insert(ctx, trades):
    run(ctx, "update t set px = 0.0 where sym = `E")
    assert (frame(run(ctx, "select px from t where sym = `E")).px == 0).all()
    run(ctx, "delete from t where qty < 50")
    assert run(ctx, "exec count(*) from t").value == int((trades.qty >= 50).sum())
    run(ctx, "insert into t values (99999, `Z, 1.5, 7)")
    assert frame(run(ctx, "select * from t where id = 99999")).values.tolist() == [[99999, "Z", 1.5, 7]]
    run(ctx, "x = table(1:0, `a`b, [INT, STRING]); tableInsert(x, 1 2, `u`v); x.append!(table(3 as a, `w as b))")
    assert values(run(ctx, "x.b")) == ["u", "v", "w"]


def test_million_row_queries(ctx):
    run(ctx, "big = table(1..1000000 as id, take(`a`b`c, 1000000) as s)")
    assert run(ctx, "exec count(*) from big where id = 500000").value == 1
    sums = run(ctx, "select sum(id) from big group by s")
    assert sums.rows == 3 and int(sums.columns["sum_id"].data.sum()) == 1000000 * 1000001 // 2
