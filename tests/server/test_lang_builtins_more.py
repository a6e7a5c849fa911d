"""Built-ins the official SDK's suite relies on: typestr names, comparisons across integer widths and
of BLOB with STRING, fromUTF8/toUTF8, isNanInf, table and dictionary helpers (columns, column,
clear!, keys, values, rename!, keyedTable / indexedTable with named columns), eqObj, pi, array
with a template vector and keywords, matrix of a list of columns, and `for` over a pair."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import dolphindb as ddb
from dolphindb.server.lang import ScriptError
from dolphindb.server.model.values import BOOL, DOUBLE, INT, STRING, Matrix, Table, Vector

from support.interp import run, bools


@pytest.mark.parametrize("script,name", [
    ("1 2 3", "FAST INT VECTOR"), ("`a`b", "STRING VECTOR"), ("(1, `a)", "ANY VECTOR"),
    ("arrayVector(2 4, 1 2 3 4)", "FAST INT[] VECTOR"), ("array(DOUBLE[], 0)", "FAST DOUBLE[] VECTOR"),
    ("decimal64(1 2, 2)", "FAST DECIMAL64 VECTOR"), ("set(1 2)", "INT SET"), ("set(`a`b)", "STRING SET"),
    ("dict(`a`b, 1 2l)", "STRING->LONG DICTIONARY"), ("dict(1 2, (1, `x))", "INT->ANY DICTIONARY"),
    ("1:2", "INT PAIR"), ("matrix(1 2, 3 4)", "FAST INT MATRIX"), ("7", "INT"), ("table(1 as a)", "IN-MEMORY TABLE"),
])
def test_typestr_names(ctx, script, name):
    assert run(ctx, f"typestr({script})").value == name


def test_nulls_of_different_widths_are_equal(ctx):
    assert bools(run(ctx, "x = array(SHORT, 0).append!(0 0 0); x[0] = NULL; x == [NULL, 0, 0]")) == [True] * 3
    assert run(ctx, "short(NULL) == int(NULL)").value == 1
    assert run(ctx, "char(NULL) == double(NULL)").value == 1
    assert run(ctx, "long(NULL) == 0").value == 0
    assert bools(run(ctx, "1h 2h NULL == 1 3 NULL")) == [True, False, True]
    assert run(ctx, "int(NULL) < 0h").value == 1          # NULL still orders lowest


def test_blob_compares_with_string_by_content(ctx):
    assert run(ctx, 'blob("abc") == "abc"').value == 1
    assert run(ctx, 'blob("abc") != "abd"').value == 1
    assert bools(run(ctx, 'blob(["abc!@#中文 123", "x"]) == ["abc!@#中文 123", "y"]')) == [True, False]


def test_from_utf8_gives_the_bytes_of_the_encoding(ctx):
    gbk = run(ctx, "fromUTF8('abc!@#中文 123', 'gbk')")
    assert gbk.type == STRING and gbk.value.encode("utf-8", "surrogateescape") == "abc!@#中文 123".encode("gbk")
    assert run(ctx, "toUTF8(fromUTF8('中文', 'gbk'), 'gbk')").value == "中文"
    assert bools(run(ctx, "blob(fromUTF8(['中', 'a'], 'gbk')) == fromUTF8(['中', 'a'], 'gbk')")) == [True, True]
    with pytest.raises(ScriptError, match="Unsupported encoding"):
        run(ctx, "fromUTF8('x', 'no-such-codec')")


def test_is_nan_inf(ctx):
    assert bools(run(ctx, "isNanInf([1.0, NULL, 2.0])")) == [False, False, False]
    assert bools(run(ctx, "isNanInf([1.0, NULL], true)")) == [False, True]
    assert bools(run(ctx, "isNanInf(1 NULL)")) == [False, False]
    assert bools(run(ctx, "d = dict(`a`b, 1.5 2.5); isNanInf(d.keys())")) == [False, False]
    assert run(ctx, "isNanInf(pow(10.0, 400))").value == 1
    assert run(ctx, "isNanInf(1.5)").type == BOOL


def test_table_helpers(ctx):
    run(ctx, "t = table(1 2 NULL as a, `x`y`z as b)")
    assert run(ctx, "t.columns()").value == 2
    assert list(run(ctx, "t.column(1)").data) == ["x", "y", "z"]
    assert list(run(ctx, "t.column(`a)").data[:2]) == [1, 2]
    nulls = run(ctx, "res = array(ANY, 0); for (i in 0:t.columns()) { res.append!(t.column(i).isNull()) }; res")
    assert [bools(v) for v in nulls.data] == [[False, False, True], [False, False, False]]
    assert list(run(ctx, "t.keys()").data) == ["a", "b"]
    assert [list(v.data) for v in run(ctx, "t2 = table(1 2 as x); t2.values()").data] == [[1, 2]]
    renamed = run(ctx, "t.rename!(`b, `c)")
    assert list(renamed.columns) == ["a", "c"]
    cleared = run(ctx, "t.clear!()")
    assert isinstance(cleared, Table) and cleared.rows == 0 and list(cleared.columns) == ["a", "c"]
    assert run(ctx, "x = 1 2 3; x.clear!(); size(x)").value == 0
    assert run(ctx, "d = dict(`a`b, 1 2); d.clear!(); size(d.keys())").value == 0
    with pytest.raises(ScriptError, match="doesn't exist"):
        run(ctx, "table(1 as a).rename!(`zz, `y)")


def test_keyed_and_indexed_tables_take_named_columns(ctx):
    k = run(ctx, "keyedTable(`id, 1 2 3 as id, 4.5 5.5 6.5 as v)")
    assert k.keys == ["id"] and list(k.columns) == ["id", "v"]
    assert run(ctx, "indexedTable(`id, 1 2 as id, `a`b as s)").keys == ["id"]
    assert run(ctx, "keyedTable(`id, 10:0, `id`v, [INT, DOUBLE])").keys == ["id"]
    with pytest.raises(ScriptError, match="key column"):
        run(ctx, "keyedTable(`nope, 1 2 as id)")


def test_matrix_of_columns_and_rename(ctx):
    m = run(ctx, "matrix([[1, 2], [3, 4], [5, 6]])")
    assert isinstance(m, Matrix) and m.data.shape == (2, 3) and m.data[:, 2].tolist() == [5, 6]
    assert run(ctx, "matrix([[0,0],[0,0],[0,0]]) == matrix(0 0, 0 0, 0 0)").data.all()
    labelled = run(ctx, "m = matrix(1 2, 3 4); m.rename!(`r1`r2, `c1`c2)")
    assert list(labelled.row_labels.data) == ["r1", "r2"] and list(labelled.col_labels.data) == ["c1", "c2"]
    with pytest.raises(ScriptError, match="same length"):
        run(ctx, "matrix([[1, 2], [3]])")


def test_eq_obj_and_pi(ctx):
    assert run(ctx, "eqObj(2, 2.0)").value == 0
    assert run(ctx, "eqObj(1 2 NULL, 1 2 NULL)").value == 1
    assert run(ctx, "eqObj(1 2, 1 3)").value == 0
    assert run(ctx, "eqObj(1.1, 1.2, 0)").value == 1
    assert run(ctx, "eqObj(1.1, 1.3, 1)").value == 0
    assert run(ctx, "eqObj((1, `a), (1, `a))").value == 1
    assert run(ctx, "pi").type == DOUBLE and run(ctx, "pi").value == math.pi
    assert run(ctx, "round(pi * 2, 4)").value == round(2 * math.pi, 4)


def test_array_with_template_keywords_and_default(ctx):
    v = run(ctx, "array(1 2 3, 0, 10)")
    assert v.type == INT and len(v) == 0
    assert run(ctx, "x = array(DOUBLE, capacity=10, initialSize=2); size(x)").value == 2
    assert run(ctx, "array(INT, 3, 10, 7)").data.tolist() == [7, 7, 7]
    assert run(ctx, "array(decimal32(1.5 2, 2), 0)").scale == 2
    assert run(ctx, "typestr(array(INT[], 0, 3))").value == "FAST INT[] VECTOR"
    with pytest.raises(ScriptError, match="non-negative"):
        run(ctx, "array(INT, -1)")


def test_for_over_a_pair_runs_the_range(ctx):
    assert run(ctx, "s = 0; for (i in 0:4) { s = s + i }; s").value == 6
    assert run(ctx, "n = 0; for (i in 3:3) { n = n + 1 }; n").value == 0


def test_array_vector_tables_and_tables_in_lists_reach_the_client(server):
    s = ddb.Session()
    s.connect("127.0.0.1", server.port)
    try:
        df = s.run("x = array(BOOL[], 0, 3).append!([[true, true], [true, false], [false]]); table(x as `a)")
        assert [list(r) for r in df["a"]] == [[True, True], [True, False], [False]]
        tables = s.run("[table([1] as `a), table(`x`y as b)]")
        pd.testing.assert_frame_equal(tables[0], pd.DataFrame({"a": np.array([1], dtype=np.int32)}))
        assert list(tables[1]["b"]) == ["x", "y"]
        assert s.run("typestr(fromUTF8('中', 'gbk'))") == "STRING"
        assert s.run("t = table(1 2 as a, 3 4 as b); t.columns()") == 2
    finally:
        s.close()


def test_decimals_from_text_are_exact(ctx):
    assert run(ctx, 'decimal32("0", 3)').value == 0 and run(ctx, 'decimal32("0", 3)').scale == 3
    assert run(ctx, 'decimal32("1.2345", 3)').value == 1235            # half away from zero
    assert run(ctx, 'decimal64("-1.2345", 3)').value == -1235
    big = run(ctx, 'decimal128("-12345678901234567890.123456789", 18)')
    assert big.value == -12345678901234567890123456789 * 10**9 and big.scale == 18
    v = run(ctx, 'decimal64(["-1.5", "", "x"], 2)')
    assert v.data[0] == -150 and bools(run(ctx, 'isNull(decimal64(["-1.5", "", "x"], 2))')) == [False, True, True]
    pair = run(ctx, 'decimal32("0", 3) : decimal32("0", 3)')
    assert pair.data.tolist() == [0, 0] and pair.scale == 3
    with pytest.raises(ScriptError, match="overflow"):
        run(ctx, 'decimal32("99999999999", 2)')


def test_datehour_text(ctx):
    assert run(ctx, "datehour('1970.01.01T00')").value == 0
    assert run(ctx, "datehour('2024.01.02T13')").value == 19724 * 24 + 13
    assert run(ctx, "date('2024.01.02T13')").value == 19724
    assert run(ctx, "datehour('2024.01.02T24')").value is None


def test_tables_compare_column_by_column(ctx):
    r = run(ctx, "t = table([1, 3, 5] as a, [2, 4, 6] as b); t == table([1, 3, 5] as x, [2, 4, 7] as y)")
    assert isinstance(r, Table) and list(r.columns) == ["a", "b"]
    assert [bools(c) for c in r.columns.values()] == [[True] * 3, [True, True, False]]
    assert [bools(c) for c in run(ctx, "t > 2").columns.values()] == [[False, True, True], [False, True, True]]
    with pytest.raises(ScriptError, match="same number of columns and rows"):
        run(ctx, "t == table(1 as a)")


def test_keys_of_a_set(ctx):
    k = run(ctx, "keys(set(1.5 2.5))")
    assert isinstance(k, Vector) and sorted(k.data.tolist()) == [1.5, 2.5]
    assert bools(run(ctx, "isNanInf(set(1.5 2.5).keys()) == false")) == [True, True]


def test_dictionaries_compare_key_by_key(ctx):
    r = run(ctx, "dict(1 2, 3 4) == dict(2 1, 4 5)")
    assert dict(zip(r.keys.data.tolist(), bools(r.values))) == {1: False, 2: True}
    r = run(ctx, "dict(`a`b, 1 2) > 1")
    assert dict(zip(r.keys.data.tolist(), bools(r.values))) == {"a": False, "b": True}
    r = run(ctx, "d = dict(INT, ANY); d[1] = dict([1], [1]); d[1] == dict([1], [1])")
    assert bools(r.values) == [True]
    assert bools(run(ctx, "dict(1 2, 3 4) == dict([3], [4])").values) == [False, False]   # keys missing on the right
    with pytest.raises(ScriptError, match="dictionary or a scalar"):
        run(ctx, "dict(1 2, 3 4) == 1 2")


def test_a_char_joins_a_string_as_its_character(ctx):
    assert run(ctx, "\"a\" + ' '").value == "a "
    assert run(ctx, "\"n\" + 97c").value == "na"
    assert run(ctx, "'x' + \"y\"").value == "xy"
    assert run(ctx, "\"a\" + ['b', 'c']").data.tolist() == ["ab", "ac"]
