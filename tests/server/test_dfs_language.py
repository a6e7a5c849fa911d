"""Language features DFS users and the official writers rely on: the documented operator
precedence (one case per row of the reference's operator table), empty and keyword arguments,
`if` without braces, lambdas as `function` request names, meta code, dictionary literals."""
from __future__ import annotations

import pytest

from dolphindb.server.lang import ScriptError, SessionContext, call_function, run_script
from dolphindb.server.model.columns import format_value


@pytest.fixture
def run():
    ctx = SessionContext()
    return lambda text: run_script(ctx, text)


# operator (precedence in the table) -> a script whose value shows it binds as documented
PRECEDENCE = [
    ("or ||, 1", "1 || 0 && 0", "true"),                       # && binds tighter
    ("and &&, 2", "1 < 2 && 3 < 2", "false"),                  # comparisons bind tighter
    ("lt <, 3", "1 < 2 | 4", "true"),                          # | binds tighter: 1 < 6
    ("le <=, 3", "7 <= 2 | 4", "false"),
    ("eq ==, 3", "6 == 2 | 4", "true"),
    ("gt >, 3", "5 > 2 | 4", "false"),
    ("ge >=, 3", "6 >= 2 | 4", "true"),
    ("ne !=, 3", "6 != 2 | 4", "false"),
    ("ne <>, 3", "6 <> 2 | 4", "false"),
    ("bitOr |, 4", "1 | 1 ^ 1", "1"),                          # ^ binds tighter: 1 | 0
    ("bitXor ^, 5", "1 ^ 1 & 0", "1"),                         # & binds tighter: 1 ^ 0
    ("bitAnd &, 6", "1 & 1 << 1", "0"),                        # << binds tighter: 1 & 2
    ("lshift <<, 7", "1 << 1 + 1", "4"),                       # + binds tighter
    ("rshift >>, 7", "8 >> 1 + 1", "2"),
    ("add +, 8", "1 + 2 * 3", "7"),
    ("sub -, 8", "10 - 2 * 3", "4"),
    ("mul *, 10", "a = 5; 3*a..10", "[15,18,21,24,27,30]"),     # .. binds tighter than *
    ("dot **, 10", "1 + 2 ** 3", "9"),
    ("div /, 10", "1 + 6.0 / 4", "2.5"),
    ("ratio \\, 10", "1 + 6 \\ 4", "2.5"),
    ("mod %, 10", "1 + 7 % 4", "4"),
    ("cast $, 10", "m = 1..8$4:2; cols(m)", "2"),                    # (1..8)$(4:2): a 4x2 matrix
    ("join <-, 10", "1 2 <- 3 + 1", "[2,3,4]"),                # (1 2 <- 3) + 1
    ("pair :, 15", "1 + 2:3", "[3,4]"),                        # 1 + (2:3)
    ("seq .., 15", "2024.01.01T09:30:00.000 + 1..3",
     "[2024.01.01T09:30:00.001,2024.01.01T09:30:00.002,2024.01.01T09:30:00.003]"),
    ("seq .. (no huge range)", "1704101400000 + 1..3", "[1704101400001,1704101400002,1704101400003]"),
    ("neg - before ..", "n = 5; -n..n", "[-5,-4,-3,-2,-1,0,1,2,3,4,5]"),
    ("not ! before -", "x = 1 2 3; !x-1", "[-1,-1,-1]"),
    ("equal precedence, left to right", "10 - 4 - 3", "3"),
]


@pytest.mark.parametrize("row, script, expect", PRECEDENCE, ids=[p[0] for p in PRECEDENCE])
def test_operator_precedence_table(run, row, script, expect):
    assert format_value(run(script)) == expect


def test_join_statement_appends_in_place(run):
    assert format_value(run("x = 1 2; x <- 3; x")) == "[1,2,3]"


def test_empty_arguments_take_defaults(run):
    run('db = database("dfs://e", VALUE, 1 2)')
    run("db.createPartitionedTable(table(1:0, `a, [INT]), `pt, `a)")
    assert run('loadTable("dfs://e", "pt",,false)').rows == 0
    assert run('loadTable("dfs://e", "pt", , )').rows == 0
    run("f = def(a, b, c): a + c")
    with pytest.raises(ScriptError, match=r"argument \[b\]"):
        run("f(1, , 3)")


def test_keyword_arguments(run):
    run("f = def(a, b): a - b")
    assert run("f(b=1, a=10)").value == 9
    with pytest.raises(ScriptError, match="doesn't have a parameter named 'z'"):
        run("f(1, z=2)")
    with pytest.raises(ScriptError, match="doesn't have a parameter named 'nope'"):
        run("hashBucket(1, nope=2)")


def test_if_without_braces(run):
    assert run("x = 0\nif (1 > 0) x = 5\nx").value == 5
    assert run("if (1 < 0) y = 1 else y = 2\ny").value == 2
    assert run("z = 0; if (true) z = 7; z").value == 7


def test_function_request_named_by_a_lambda_text(run):
    ctx = SessionContext()
    run_script(ctx, "kt = keyedTable(`k, 1:0, `k`v, [INT, DOUBLE])")
    data = run_script(ctx, "table(1 2 as k, 1.5 2.5 as v)")
    name = "(def(mutable tb, data){upsert!(tb, data,ignoreNull=false,keyColNames=`k);return 0;}){kt}"
    assert call_function(ctx, name, [data]).value == 0
    assert run_script(ctx, "exec sum(v) from kt").value == 4.0
    assert call_function(ctx, "upsert!{kt,}", [run_script(ctx, "table(2 as k, 9.5 as v)")]) is not None
    assert format_value(run_script(ctx, "exec v from kt where k = 2")) == "[9.5]"


def test_meta_code_and_dictionary_literal(run):
    run("t = table(1 2 3 as a)")
    assert list(run("loadTableBySQL(<select * from t where a > 1>)").columns["a"].data) == [2, 3]
    d = run("d = {date: 'delta', `sym: 1}; d")
    assert list(d.keys.data) == ["date", "sym"]
    assert format_value(run("x = <1 + 2>; 1")) == "1"


def test_datetime_literal_with_a_space(run):
    v = run("2024.01.01 01:00:00")
    assert v.type == 11 and v.value == 1704070800
