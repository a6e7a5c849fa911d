"""Language behaviour the upload and writer workflows rely on, per the DolphinDB function reference:
`table(capacity:size, ...)` fills its rows with each type's initial value, `append!`/`upsert!`
return the table they changed (DFS tables included), sets compare as sets, and a NULL of a narrower
type stays NULL when a vector or pair takes a wider type."""
from __future__ import annotations

import math

import pytest

from dolphindb.server.lang import ScriptError, SessionContext, run_script
from dolphindb.server.model.columns import format_value
from dolphindb.server.model.values import BOOL, DOUBLE, INT, PAIR, Scalar, Table


@pytest.fixture
def run():
    ctx = SessionContext()
    return lambda text: run_script(ctx, text)


# ---- table(capacity:size, colNames, colTypes) -------------------------------------------------
TYPES = "[BOOL, CHAR, SHORT, INT, LONG, DATE, TIMESTAMP, FLOAT, DOUBLE, DECIMAL64(2), IPADDR, STRING, SYMBOL, UUID, INT128]"
NAMES = "`b`c`h`i`l`d`ts`f`x`dec`ip`s`sym`u`i128"


def test_sized_table_rows_hold_false_zero_or_null_by_type(run):
    run(f"t = table(10:3, {NAMES}, {TYPES})")
    assert run("size(t)").value == 3
    # false for BOOL; 0 for numeric, temporal, DECIMAL and IPADDR (whose 0 is its NULL)
    for col, zero in [("b", "false"), ("c", "0"), ("h", "0"), ("i", "0"), ("l", "0"), ("f", "0"), ("x", "0"),
                      ("dec", "0")]:
        assert run(f"t.{col}[0] == {zero} and !isNull(t.{col}[0])").value == 1, col
    assert format_value(run("t.d[2]")) == "1970.01.01"
    assert format_value(run("t.ts[1]")) == "1970.01.01T00:00:00.000"
    # NULL for the literal types and the 128-bit ones
    for col in ("s", "sym", "u", "i128", "ip"):
        assert run(f"sum(isNull(t.{col}))").value == 3, col


def test_sized_table_of_size_zero_is_empty_and_grows(run):
    run("t = table(5:0, `a`b, [INT, STRING]); t.append!(table(1 2 as a, `x`y as b))")
    assert format_value(run("t.a")) == "[1,2]"


def test_sized_table_rows_hash_into_partitions(run):
    """The sized rows' INT key is 0, a value every hash partition accepts."""
    run("""t = table(10:1, `index`v, [INT, STRING])
           db = database("dfs://upload_tables_sized", HASH, [INT, 5])
           pt = db.createPartitionedTable(t, `pt, `index).append!(t)""")
    assert format_value(run("exec index from pt")) == "[0]"


# ---- append! / upsert! return the table ------------------------------------------------------
def test_append_returns_the_in_memory_table(run):
    t = run("t = table(1 2 as a); u = t.append!(table(3 as a)); u")
    assert isinstance(t, Table) and format_value(run("u.a")) == "[1,2,3]"


def test_append_to_a_dfs_table_returns_the_dfs_table(run):
    run("""t = table(1..6 as id, take(`a`b, 6) as v)
           db = database("dfs://upload_tables_append", HASH, [INT, 3])
           pt = db.createPartitionedTable(t, `pt, `id).append!(t)
           other = db.createPartitionedTable(t, `other, `id).append!(t).append!(t)""")
    assert run("exec count(*) from pt").value == 6
    assert run("exec count(*) from other").value == 12
    assert run("eqObj((select * from pt order by id).values(), (select * from t order by id).values())").value == 1
    # the name is the stored table: a later append through it is visible to loadTable
    run("pt.append!(table(7 as id, `c as v))")
    assert run('exec count(*) from loadTable("dfs://upload_tables_append", "pt")').value == 7


def test_upsert_to_a_dfs_table_returns_the_dfs_table(run):
    run("""t = table(1 2 3 as id, 10 20 30 as v)
           db = database("dfs://upload_tables_upsert", HASH, [INT, 2])
           pt = db.createPartitionedTable(t, `pt, `id).append!(t)
           again = pt.upsert!(table(2 4 as id, 200 400 as v), keyColNames=`id)""")
    assert format_value(run("exec v from again order by id")) == "[10,200,30,400]"


# ---- sets compare as sets --------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [
    ("set(1 2 3) == set(3 2 1)", 1),
    ("set(1 2 3) == set(1 2)", 0),             # sets of different sizes compare, no length error
    ("set(4 6) == set(4 6 8)", 0),
    ("x = set(4 6); x == x", 1),
    ("set(`a`b) != set(`b`a)", 0),
    ("set(1 2) != set(1 3)", 1),
    ("set(4 6) < set(8 9 4 6)", 1),             # proper subset
    ("set(8 9 4 6) < set(4 6)", 0),
    ("set(4 6) < set(4 6)", 0),
    ("set(4 6) <= set(4 6)", 1),                # subset
    ("set(4 6 8) > set([6])", 1),                 # proper superset
    ("set(4 6) >= set(6 4)", 1),
    ("set(1 2) == set(1.0 2.0)", 1),            # numbers of different types compare by value
    ("set(2024.01.01 2024.01.02) == set(2024.01.02 2024.01.01)", 1),
    ("set(int([1, NULL])) == set(int([NULL, 1]))", 1),
])
def test_two_sets_compare_as_sets(run, text, expected):
    v = run(text)
    assert isinstance(v, Scalar) and (v.type, v.value) == (BOOL, expected)


def test_a_set_is_not_comparable_with_a_set_of_strings(run):
    with pytest.raises(ScriptError, match="can't be compared"):
        run("set(1 2) == set(`a`b)")


def test_a_set_against_a_scalar_still_compares_elementwise(run):
    assert run("x = set([5]); (x == 5)[0]").value == 1


def test_set_of_a_scalar_is_a_clear_error(run):
    with pytest.raises(ScriptError, match="must be a vector"):
        run("set(5)")


# ---- NULL of a narrower type in a wider vector or pair ----------------------------------------
def test_a_short_null_in_an_int_pair_is_null(run):
    v = run("pair(1, short())")
    assert (v.form, v.type) == (PAIR, INT)
    assert run("isNull(pair(1, short()))[1]").value == 1 and run("pair(1, short())[0]").value == 1
    assert run("isNull(pair(short(), 2))[0]").value == 1
    assert run("isNull(pair(1, char()))[1]").value == 1


def test_a_narrower_null_in_a_wider_vector_literal_is_null(run):
    v = run("[1, short(), 2.5]")
    assert v.type == DOUBLE and math.isnan(v.data[1]) and list(v.data[[0, 2]]) == [1.0, 2.5]
    assert format_value(run("[1, int(), 3l]")) == "[1,,3]"
    assert run("sum(isNull([char(), 1, 2l]))").value == 1


# ---- NULL arguments of tableInsert, DECIMAL128 NULLs, schema type strings ---------------------
def test_table_insert_of_null_arguments_appends_null_rows_of_each_type(run):
    run("""t = table(1:0, `i`d`s`sym`u`dec`b`dt`ok, [INT, DOUBLE, STRING, SYMBOL, UUID, DECIMAL128(2), BLOB, DATE, BOOL])
           for (k in 0:3) { tableInsert(t, k, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL) }""")
    assert format_value(run("t.i")) == "[0,1,2]"
    for col in ("d", "s", "sym", "u", "dec", "b", "dt", "ok"):
        assert run(f"sum(isNull(t.{col}))").value == 3, col


def test_a_tuple_of_mixed_elements_is_not_cast_to_a_column_type(run):
    with pytest.raises(ScriptError, match="tuple of mixed elements"):
        run("int((1, `a))")


def test_decimal128_null_is_null(run):
    assert format_value(run("isNull(decimal128([1, NULL], 3))")) == "[false,true]"
    assert run("t = table(1:0, `x, [DECIMAL128(2)]); tableInsert(t, NULL); isNull(t.x)[0]").value == 1


def test_schema_type_strings_carry_the_decimal_scale(run):
    run("t = table(1:0, `a`b`c`d, [DECIMAL32(2), DECIMAL64(4)[], INT[], DECIMAL128(0)])")
    assert list(run("schema(t).colDefs.typeString").data) == ["DECIMAL32(2)", "DECIMAL64(4)[]", "INT[]", "DECIMAL128(0)"]
    run("""db = database("dfs://upload_tables_schema", HASH, [INT, 2])
           src = table(1:0, `id`a`b, [INT, DECIMAL32(3), DECIMAL64(5)[]])
           pt = db.createPartitionedTable(src, `pt, `id)""")
    assert list(run("schema(pt).colDefs.typeString").data) == ["INT", "DECIMAL32(3)", "DECIMAL64(5)[]"]


# ---- distinct / set / in over BLOB and other object-stored values ----------------------------
def test_set_and_distinct_of_non_ascii_blobs_keep_first_occurrences(run):
    v = run('set([blob("abc!@#中文 123"), blob("x"), blob("abc!@#中文 123")])')
    assert v.data.tolist() == ["abc!@#中文 123".encode(), b"x"]
    assert format_value(run("distinct(`b`a`b`c)")) == "[b,a,c]"
    assert format_value(run("distinct(decimal128([1, 1, 2], 2))")) == "[1.00,2.00]"


def test_in_finds_non_ascii_blobs_and_strings(run):
    assert run('blob("中文") in [blob("中文"), blob("x")]').value == 1
    assert format_value(run('["中", "a"] in ["a", "b"]')) == "[false,true]"
