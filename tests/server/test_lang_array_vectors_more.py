"""Array vectors in the language: element-wise operators and functions keep the rows (a scalar
applies to every element, a vector gives one value per row, another array vector must have the
same row sizes), isNull / isValid / nullFill / casts return array vectors, tables of array vectors
compare column by column, eqObj compares array vectors, snippet prints them, and an operator with
a tuple operand applies item by item. Misuse is a ScriptError, never an internal failure."""
from __future__ import annotations

import pytest

from dolphindb.server.lang import ScriptError, SessionContext, run_script
from dolphindb.server.model.columns import storage_to_python
from dolphindb.server.model.values import (ARRAY_BASE, BOOL, DOUBLE, INT, LONG, STRING, ArrayVector, Scalar, Table,
                                           Vector)

from support.interp import run


@pytest.fixture
def ctx():
    c = SessionContext()
    run_script(c, "x = array(INT[], 0, 3).append!([1 2 3, 4 NULL, 6])")
    return c


def rows(av):
    """The rows of an array vector as Python lists (None for NULL)."""
    assert isinstance(av, ArrayVector)
    out = []
    for i in range(len(av)):
        part = av.values.data[av.offsets[i]:av.offsets[i + 1]]
        if av.values.type in (BOOL,):
            out.append([bool(v) for v in part])
        else:
            out.append([storage_to_python(av.values.type, v) for v in part])
    return out


def test_comparison_with_a_scalar_keeps_the_rows(ctx):
    r = run(ctx, "x > 2")
    assert r.type == ARRAY_BASE + BOOL
    assert rows(r) == [[False, False, True], [True, False], [True]]    # NULL orders below every value
    assert rows(run(ctx, "x == NULL")) == [[False, False, False], [False, True], [False]]
    assert rows(run(ctx, "2 < x")) == [[False, False, True], [True, False], [True]]


def test_comparison_of_array_vectors_with_the_same_rows(ctx):
    r = run(ctx, "y = array(INT[], 0, 3).append!([1 0 3, 4 NULL, 7]); x == y")
    assert rows(r) == [[True, False, True], [True, True], [False]]
    assert run(ctx, "typestr(x != y)").value == "FAST BOOL[] VECTOR"
    with pytest.raises(ScriptError, match="same row sizes"):
        run(ctx, "x == array(INT[], 0).append!([1 2, 3 4, 5])")


def test_a_vector_gives_one_value_per_row(ctx):
    assert rows(run(ctx, "x * 10 100 1000")) == [[10, 20, 30], [400, None], [6000]]
    assert rows(run(ctx, "x >= 2 4 7")) == [[False, True, True], [True, False], [False]]
    with pytest.raises(ScriptError, match="one element per row"):
        run(ctx, "x + 1 2")


def test_arithmetic_keeps_types_and_nulls(ctx):
    r = run(ctx, "x + 1")
    assert r.type == ARRAY_BASE + INT and rows(r) == [[2, 3, 4], [5, None], [7]]
    assert run(ctx, "x + 1l").type == ARRAY_BASE + LONG
    d = run(ctx, "x / 2.0")
    assert d.type == ARRAY_BASE + DOUBLE and rows(d) == [[0.5, 1.0, 1.5], [2.0, None], [3.0]]
    assert rows(run(ctx, "-x")) == [[-1, -2, -3], [-4, None], [-6]]
    assert rows(run(ctx, "x + x")) == [[2, 4, 6], [8, None], [12]]
    assert rows(run(ctx, "(x > 1) && (x < 4)")) == [[False, True, True], [False, False], [False]]
    assert rows(run(ctx, "x % 2")) == [[1, 0, 1], [0, None], [0]]


def test_array_vectors_of_other_forms_are_refused(ctx):
    with pytest.raises(ScriptError, match="can't be combined with a table"):
        run(ctx, "x == table(1 2 3 as a)")
    with pytest.raises(ScriptError, match="can't be combined with a tuple"):
        run(ctx, "x == (1, 2, 3)")
    with pytest.raises(ScriptError, match="STRING\\[\\]"):
        run(ctx, "string(x)")


def test_null_tests_and_fills_return_array_vectors(ctx):
    assert rows(run(ctx, "isNull(x)")) == [[False, False, False], [False, True], [False]]
    assert rows(run(ctx, "x.isValid()")) == [[True, True, True], [True, False], [True]]
    assert rows(run(ctx, "nullFill(x, 0)")) == [[1, 2, 3], [4, 0], [6]]
    f = run(ctx, "f = array(DOUBLE[], 0).append!([[1.5, NULL], [-2.0]]); isNanInf(f, true)")
    assert rows(f) == [[False, True], [False]]
    for t, null_row in (("IPADDR", "ipaddr('')"), ("UUID", "uuid('')"), ("INT128", "int128('')")):
        r = run(ctx, f"v = array({t}[], 0).append!([[{null_row}]]); isNull(v)")
        assert rows(r) == [[True]], t
    dec = run(ctx, "d = array(DECIMAL128(5)[], 0).append!([decimal128(['1', ''], 5)]); isNull(d)")
    assert rows(dec) == [[False, True]]


def test_the_null_mask_of_every_column_appends_to_a_bool_array_vector(ctx):
    script = """t = table(x as a, array(DOUBLE[], 0).append!([[1.0, NULL, 2.0], [NULL, 3.0], [00F]]) as b)
        res = array(BOOL[]); for (i in 0:t.columns()) { res.append!(t.column(i).isNull()) }; res"""
    r = run(ctx, script)
    assert r.type == ARRAY_BASE + BOOL
    assert rows(r) == [[False, False, False], [False, True], [False], [False, True, False], [True, False], [True]]


def test_casts_and_math_apply_to_each_element(ctx):
    assert run(ctx, "double(x)").type == ARRAY_BASE + DOUBLE
    assert rows(run(ctx, "long(x)")) == [[1, 2, 3], [4, None], [6]]
    assert rows(run(ctx, "abs(x - 3)")) == [[2, 1, 0], [1, None], [3]]
    assert rows(run(ctx, "x $ DOUBLE")) == [[1.0, 2.0, 3.0], [4.0, None], [6.0]]
    assert rows(run(ctx, "year(array(DATE[], 0).append!([[2024.01.02, 2023.05.06]]))")) == [[2024, 2023]]
    assert rows(run(ctx, "iif(x > 2, 1, 0)")) == [[0, 0, 1], [1, 0], [1]]


def test_tables_of_array_vectors_compare_column_by_column(ctx):
    r = run(ctx, """a = table(array(LONG[], 0, 3).append!([[0, 0, 0]]) as `a, array(CHAR[], 0, 3).append!([[1c, NULL]]) as `b)
        a == table(array(LONG[], 0, 3).append!([[0, 0, 0]]) as `a, array(CHAR[], 0, 3).append!([[1c, NULL]]) as `b)""")
    assert isinstance(r, Table) and list(r.columns) == ["a", "b"]
    assert rows(r.columns["a"]) == [[True, True, True]] and rows(r.columns["b"]) == [[True, True]]


def test_eq_obj_compares_array_vectors(ctx):
    assert run(ctx, "eqObj(x, array(INT[], 0).append!([1 2 3, 4 NULL, 6]))").value == 1
    assert run(ctx, "eqObj(x, array(INT[], 0).append!([1 2 3, 4 NULL, 7]))").value == 0
    assert run(ctx, "eqObj(x, array(INT[], 0).append!([1 2, 3 4 NULL, 6]))").value == 0    # same elements, other rows
    assert run(ctx, "eqObj(x, array(LONG[], 0).append!([1 2 3, 4 NULL, 6]))").value == 0   # another type
    assert run(ctx, "eqObj(x, 1 2 3)").value == 0
    close = "eqObj(array(DOUBLE[], 0).append!([[1.0, 2.0]]), array(DOUBLE[], 0).append!([[1.01, 2.0]]), 1)"
    assert run(ctx, close).value == 1
    script = """t1 = table(x as a, 1 2 3 as b); t2 = table(array(INT[], 0).append!([1 2 3, 4 NULL, 6]) as a, 1 2 3 as b)
        each(eqObj, t1.values(), t2.values())"""
    assert [bool(v) for v in run(ctx, script).data] == [True, True]


def test_eq_obj_compares_decimals_by_value_whatever_their_width(ctx):
    # a DECIMAL32 column downloaded and uploaded back by a client arrives as DECIMAL64: still equal
    run(ctx, "d2 = array(DECIMAL32(2)[], 0).append!([decimal32(1 NULL, 2), decimal32([3], 2)])")
    assert run(ctx, "eqObj(d2, array(DECIMAL64(2)[], 0).append!([decimal64(1 NULL, 2), decimal64([3], 2)]))").value == 1
    assert run(ctx, "eqObj(d2, array(DECIMAL64(3)[], 0).append!([decimal64(1 NULL, 3), decimal64([3], 3)]))").value == 1
    assert run(ctx, "eqObj(d2, array(DECIMAL64(2)[], 0).append!([decimal64(1 2, 2), decimal64([3], 2)]))").value == 0
    assert run(ctx, "eqObj(d2, array(DECIMAL32(2)[], 0).append!([decimal32(1 NULL 3, 2)]))").value == 0
    assert run(ctx, "eqObj(decimal32(1.5 NULL, 2), decimal128(['1.5', ''], 4))").value == 1
    assert run(ctx, "eqObj(decimal32(1.5, 2), 1.5)").value == 0          # other categories stay different
    assert run(ctx, "eqObj(d2, array(DOUBLE[], 0).append!([1.0 NULL, [3.0]]))").value == 0


def test_snippet_is_the_printed_form(ctx):
    assert run(ctx, "snippet(1 2 3)").value == "[1,2,3]"
    assert run(ctx, "snippet(x)").value == "[[1,2,3],[4,],[6]]"
    assert run(ctx, "snippet(2023.01.01)").value == "2023.01.01"
    s = run(ctx, "snippet(table(array(DECIMAL64(2)[], 0).append!([decimal64(['0', '1.5'], 2)]) as `a))")
    assert s.type == STRING and s.value.splitlines()[-1] == "[0.00,1.50]"
    one = "snippet(table(array(DECIMAL64(2)[], 0, 3).append!([[decimal64('0.00', 2)]]) as `a))"
    assert run(ctx, f"{one} == {one}").value == 1


def test_an_operator_with_a_tuple_applies_item_by_item(ctx):
    r = run(ctx, "take(string(NULL), 3) == (,,)")
    assert isinstance(r, Vector) and r.type == BOOL and r.data.tolist() == [1, 1, 1]
    assert run(ctx, "1 2 3 == (1, 2, 4)").data.tolist() == [1, 1, 0]
    assert run(ctx, "(1, 2.5) + 1").data.tolist() == [2, 3.5]
    with pytest.raises(ScriptError, match="same"):
        run(ctx, "1 2 == (1, 2, 3)")
    with pytest.raises(ScriptError, match="tuple"):
        run(ctx, "(1, 2) == matrix(1 2, 3 4)")


def test_bitwise_operators_check_lengths(ctx):
    with pytest.raises(ScriptError, match="same"):
        run(ctx, "1 2 3 & 1 2")
    assert rows(run(ctx, "x & 1")) == [[1, 0, 1], [0, None], [0]]


@pytest.mark.parametrize("script", [
    "x + 1 2", "x == (1, 2, 3)", "x == matrix(1 2 3, 4 5 6)", "x == dict(`a`b, 1 2)", "isNull(x) + `a",
    "x + array(INT[], 0).append!([1 2])", "string(x) == `a", "eqObj(table(x as a), table(x as a))",
])
def test_misuse_is_a_script_error(ctx, script):
    with pytest.raises(ScriptError):
        run(ctx, script)


def test_results_are_scalars_only_for_scalars(ctx):
    assert isinstance(run(ctx, "isNull(int(NULL))"), Scalar)
    assert isinstance(run(ctx, "array(INT[], 0) + 1"), ArrayVector)
    assert len(run(ctx, "array(INT[], 0) + 1")) == 0


def test_schema_spells_decimal_columns_with_their_scale(ctx):
    run(ctx, "t = table(array(DECIMAL32(5)[], 0).append!([decimal32(1 2, 5)]) as a, decimal64([1], 3) as b, [1] as c, "
             "array(DECIMAL128(2)[], 0).append!([decimal128([1], 2)]) as d)")
    expected = ["DECIMAL32(5)[]", "DECIMAL64(3)", "INT", "DECIMAL128(2)[]"]
    assert list(run(ctx, "schema(t).colDefs").columns["typeString"].data) == expected
    run(ctx, "db = database('dfs://av_schema', VALUE, 1 2, engine='TSDB')")
    run(ctx, "pt = db.createPartitionedTable(t, `pt, `c, sortColumns=`c); pt.append!(t)")
    assert list(run(ctx, "schema(loadTable('dfs://av_schema', `pt)).colDefs").columns["typeString"].data) == expected


def test_join_appends_rows_to_an_array_vector(ctx):
    assert rows(run(ctx, "join(x, x)")) == [[1, 2, 3], [4, None], [6]] * 2
    assert rows(run(ctx, "join(x, 7 8)")) == [[1, 2, 3], [4, None], [6], [7, 8]]
    assert rows(run(ctx, "x <- [9, 10 11]; x")) == [[1, 2, 3], [4, None], [6], [9], [10, 11]]
    with pytest.raises(ScriptError, match="Only an array vector"):
        run(ctx, "join(1 2, x)")


@pytest.mark.parametrize("target", ["keyedTable(`k, 1 2 3 as k, v as v)", "dfs"])
def test_upsert_replaces_the_array_vector_rows_of_matched_keys(ctx, target):
    run(ctx, "v = array(INT[], 0).append!([1 2, [3], 4 5 6])")
    if target == "dfs":
        run(ctx, "db = database('dfs://av_upsert', VALUE, 1 2 3 4, engine='TSDB')")
        run(ctx, "s = table(1 2 3 as k, v as v); db.createPartitionedTable(s, `pt, `k, sortColumns=`k).append!(s)")
        run(ctx, "t = loadTable('dfs://av_upsert', `pt)")
    else:
        run(ctx, f"t = {target}")
    run(ctx, "upsert!(t, table(2 4 as k, array(INT[], 0).append!([9 9 9, [7]]) as v), keyColNames=`k)")
    got = run(ctx, "select * from t order by k")
    assert got.columns["k"].data.tolist() == [1, 2, 3, 4]
    assert rows(got.columns["v"]) == [[1, 2], [9, 9, 9], [4, 5, 6], [7]]
