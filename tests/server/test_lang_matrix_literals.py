"""Matrix and tuple literals, typed literal suffixes, named type constants and whole-object
predicates of the embedded server's interpreter (no network), as the DolphinDB reference
describes them."""
from __future__ import annotations

from decimal import Decimal

import pytest

from dolphindb.server.lang import ScriptError, SessionContext
from dolphindb.server.model.columns import null_mask
from dolphindb.server.model.values import (ANY, BOOL, CHAR, DATE, DATETIME, DECIMAL64, DECIMAL128, DOUBLE, FLOAT,
                                           INT, LONG, MATRIX, MINUTE, MONTH, NANOTIME, NANOTIMESTAMP, SECOND, SHORT,
                                           TIME, TIMESTAMP, Matrix, Scalar, Table, Vector)

from support.interp import run, bools


# ---- [] and (): empty tuples ----------------------------------------------------------------
def test_empty_brackets_make_an_empty_tuple(ctx):
    for text in ("[]", "()"):
        v = run(ctx, text)
        assert isinstance(v, Vector) and v.type == ANY and len(v) == 0
    assert run(ctx, "typestr([])").value == "ANY VECTOR"
    v = run(ctx, "bool([])")
    assert v.type == BOOL and len(v) == 0


def test_vectors_appended_to_an_empty_tuple_stay_elements(ctx):
    v = run(ctx, "x = []; x.append!(1 2 3); x.append!(4 5 6); x")
    assert v.type == ANY and [list(e.data) for e in v.data] == [[1, 2, 3], [4, 5, 6]]
    v = run(ctx, "b = bool([]); b.append!(true false); b.append!(true); b")   # a typed vector grows flat
    assert v.type == BOOL and list(v.data) == [1, 0, 1]


def test_a_matrix_built_from_a_loop_takes_labels_as_long_as_its_rows_and_columns(ctx):
    m = run(ctx, """
        m_r = 4
        m_c = 3
        x = []
        for(i in 1..m_r){
            x.append!(take([true, false], m_c))
        }
        m = matrix(x)
        m.rename!(1..m_c, 1..m_r)
        m
    """)
    assert m.form == MATRIX and m.type == BOOL and m.data.shape == (3, 4)
    assert list(m.row_labels.data) == [1, 2, 3] and list(m.col_labels.data) == [1, 2, 3, 4]
    with pytest.raises(ScriptError, match="labels of a matrix must be a vector as long as its rows / columns"):
        run(ctx, "m.rename!(1..4, 1..4)")


# ---- f[...]: the one-argument call form with a vector literal ------------------------------
def test_matrix_followed_by_brackets_builds_a_matrix_from_columns(ctx):
    m = run(ctx, "matrix[[0,0],[0,NULL],[0,0]]")
    assert m.type == INT and m.data.shape == (2, 3)
    assert bools(run(ctx, "matrix[[0,0],[0,NULL],[0,0]] == matrix([0 0, 0 NULL, 0 0])")) == [True] * 6
    m = run(ctx, "matrix[[00F,00F],[00F,NULL]]")
    assert m.type == DOUBLE and null_mask(m).all()
    assert run(ctx, "matrix [1 2 3]").data.shape == (3, 1)       # the same call, written with a space


def test_a_variable_named_like_a_function_is_indexed(ctx):
    assert run(ctx, "last = 10 20 30; last[1]").value == 20
    assert list(run(ctx, "last[1] = 5; last").data) == [10, 5, 30]
    assert list(run(ctx, "last[0 2]").data) == [10, 30]
    assert run(ctx, "first = 1..6$2:3; first[1, 2]").value == 6
    assert list(run(ctx, "first[1,]").data.reshape(-1)) == [2, 4, 6]


def test_an_unknown_function_is_an_unrecognized_token(ctx):
    with pytest.raises(ScriptError, match=r"^Syntax Error: \[line #2\] Cannot recognize the token decimal$"):
        run(ctx, "x = 1\ntable([decimal('3.14', 2)] as `a)")


# ---- typed literals -------------------------------------------------------------------------
@pytest.mark.parametrize("text,type_", [
    ("00b", BOOL), ("00c", CHAR), ("00h", SHORT), ("00i", INT), ("00l", LONG), ("00f", FLOAT), ("00F", DOUBLE),
    ("00d", DATE), ("00M", MONTH), ("00t", TIME), ("00m", MINUTE), ("00s", SECOND), ("00D", DATETIME),
    ("00T", TIMESTAMP), ("00n", NANOTIME), ("00N", NANOTIMESTAMP),
])
def test_double_zero_with_a_type_symbol_is_the_null_of_that_type(ctx, text, type_):
    v = run(ctx, text)
    assert v.type == type_ and v.value is None
    assert run(ctx, f"isNull({text})").value == 1


@pytest.mark.parametrize("text,raw,scale", [
    ("3.141P", 3141, 3), ("-3.141P", -3141, 3), ("00P", 0, 0), ("12P", 12, 0), ("0.50P", 50, 2),
])
def test_the_p_suffix_makes_a_decimal64_with_the_digits_written(ctx, text, raw, scale):
    v = run(ctx, text)
    assert (v.type, v.value, v.scale) == (DECIMAL64, raw, scale)
    assert run(ctx, f"typestr({text})").value == "DECIMAL64"


def test_decimal64_literals_vectors_and_pairs(ctx):
    v = run(ctx, "[00P, 00P, 1.5P]")
    assert v.type == DECIMAL64 and list(v.data) == [0, 0, 15] and v.scale == 1
    p = run(ctx, "NULL : 00P")
    assert p.type == DECIMAL64 and p.scale == 0 and p.data[1] == 0
    with pytest.raises(ScriptError, match="Cannot recognize the token 0.1234567890123456789P"):
        run(ctx, "0.1234567890123456789P")       # more places than DECIMAL64 holds


@pytest.mark.parametrize("text,expected", [
    ("1 -1 1 -2 10", [1, -1, 1, -2, 10]), ("-1 2 3", [-1, 2, 3]), ("-1 -1", [-1, -1]), ("1.5 -2.5", [1.5, -2.5]),
    ("1-1", 0), ("1 - 1", 0), ("1 -1", [1, -1]), ("x = 5; x -1", 4), ("- 1", -1), ("2 * -3", -6),
])
def test_a_minus_against_a_number_signs_it_within_a_spaced_vector(ctx, text, expected):
    v = run(ctx, text)
    assert (v.data.tolist() if isinstance(v, Vector) else v.value) == expected


def test_negative_chars_and_matrix_columns_from_spaced_literals(ctx):
    v = run(ctx, "0c 127c -127c 00c")
    assert v.type == CHAR and v.data.tolist() == [0, 127, -127, -128]
    m = run(ctx, "matrix(1 -1 6, 2 -3 1)")
    assert m.data.tolist() == [[1, 2], [-1, -3], [6, 1]]


def test_a_narrower_null_stays_null_in_a_wider_vector(ctx):
    v = run(ctx, "[1, 2, short()]")
    assert v.type == INT and run(ctx, "isNull([1, 2, short()])").data.tolist() == [0, 0, 1]


def test_the_lowest_float_is_the_null_of_float(ctx):
    assert run(ctx, "isNull(float(-3.4028235e+38))").value == 1
    assert run(ctx, "float(-3.4028235e+38) == 00f").value == 1
    assert run(ctx, "isNull(float(-3.4e+38))").value == 0


# ---- named type constants -------------------------------------------------------------------
def test_type_constants_are_integers_named_by_their_type(ctx):
    assert run(ctx, "DOUBLE").value == 16 and run(ctx, "DOUBLE + 0").value == 16
    assert run(ctx, "typestr(1.5) == DOUBLE").value == 1
    assert run(ctx, "typestr(1.5) == FLOAT").value == 0
    assert run(ctx, "LONG == `LONG").value == 1
    assert run(ctx, "typestr(NANOTIMESTAMP)").value == "INT"
    assert run(ctx, "string(INT)").value == "INT"
    assert run(ctx, "type(1) == INT").value == 1
    v = run(ctx, "[INT, DOUBLE]")
    assert v.type == INT and list(v.data) == [4, 16]
    with pytest.raises(ScriptError, match="STRING and INT can't be compared"):
        run(ctx, "typestr(1.5) == 16")          # a plain number has no type name


# ---- tuples in comparisons ------------------------------------------------------------------
def test_a_vector_compares_with_a_tuple_element_by_element(ctx):
    assert bools(run(ctx, "1 2 3 == (1, 5, 3)")) == [True, False, True]
    assert bools(run(ctx, "[string(NULL), string(NULL)] == (,)")) == [True, True]
    v = run(ctx, "array(STRING, 0) == ()")
    assert v.type == BOOL and len(v) == 0
    v = run(ctx, "(1 2, 3) == (1 2, 4)")
    assert v.type == ANY and bools(v.data[0]) == [True, True] and v.data[1].value == 0
    with pytest.raises(ScriptError, match="length of the vector arguments must be the same"):
        run(ctx, "1 2 == (1, 2, 3)")


@pytest.mark.parametrize("text,expected", [
    ("set(4 6) == set(4 6 8)", 0), ("x = set(4 6); x == x", 1), ("set(1 2) == set(2 1)", 1),
    ("set(1 2) != set(2 1)", 0), ("set(4 6) < set(4 6 8)", 1), ("set(4 6) < set(4 6)", 0),
    ("set(4 6) <= set(4 6)", 1), ("set(4 6 8) > set([6])", 1), ("set(4 6 8) >= set([9])", 0),
    ("set([1970.01.01T00:00:00.000000000, NULL]) == set([NULL, 1970.01.01T00:00:00.000000000])", 1),
    ('set([blob("abc"), NULL]) == set(["abc", NULL])', 1),
])
def test_two_sets_compare_as_sets(ctx, text, expected):
    v = run(ctx, text)
    assert isinstance(v, Scalar) and v.type == BOOL and v.value == expected


# ---- all, any, hasNull, eqFloat -------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [
    ("all(1 2 3)", 1), ("all(0 1 2)", 0), ("all(true false)", 0), ("all(true true true)", 1),
    ("all(1..10$2:5)", 1), ("all(0..9$2:5)", 0), ("all(1 NULL 2)", 1), ("all((true, 1 2, 3))", 1),
    ("all((true, 0 2))", 0), ("any(0 0 1)", 1), ("any(0 NULL)", 0), ("any(0..9$2:5)", 1),
    ("hasNull NULL", 1), ("hasNull 00f", 1), ("hasNull 5", 0), ("hasNull(1 2 NULL 4 NULL 6)", 1),
    ("x=((NULL,1),2); hasNull x", 0), ("hasNull((1 NULL 3 4 5 6)$2:3)", 1),
    ("hasNull(table(`AAPL`IBM`MSFT as sym, 2200 NULL 4500 as qty))", 1),
    ("hasNull(table(`AAPL`IBM as sym, 1 2 as qty))", 0), ("hasNull(decimal128(NULL 1, 19))", 1),
    ("eqFloat(0.1234567891, 0.123456789)", 1), ("eqFloat(0.123456788, 0.123456789)", 0),
    ("eqFloat(1.25, 1.2549, 2)", 1), ("eqFloat(decimal64(1.5, 2), 1.5)", 1),
])
def test_whole_object_predicates_follow_the_reference(ctx, text, expected):
    v = run(ctx, text)
    assert v.type == BOOL and v.value == expected


def test_eq_float_compares_vectors_and_decimals_exactly(ctx):
    assert bools(run(ctx, "eqFloat(0.123456788 0.123456789 0.1234567891, 0.123456789)")) == [False, True, True]
    v = run(ctx, "a = decimal128(NULL 0.1234567899999999999 0, 19); "
                 "eqFloat(a, decimal128(NULL 0.12345678999 0, 19), 10)")
    assert bools(v) == [True, True, True]
    assert bools(run(ctx, "eqFloat(decimal128(NULL 1, 19), decimal128(1 1, 19))")) == [False, True]
    m = run(ctx, "eqFloat(1.0 2.0 3.0 4.0$2:2, 2.0)")
    assert isinstance(m, Matrix) and bools(m) == [False, True, False, False]
    with pytest.raises(ScriptError, match="eqFloat must be numeric"):
        run(ctx, 'eqFloat("a", 1.0)')
    with pytest.raises(ScriptError, match="doesn't support STRING"):
        run(ctx, "all(`a`b)")


# ---- strings and blobs beyond ASCII ---------------------------------------------------------
def test_sets_distinct_and_in_keep_non_ascii_blobs_and_strings(ctx):
    s = run(ctx, "set([blob('abc!@#中文 123'), blob('abc!@#中文 123'), blob(\"x\")])")
    assert sorted(s.data.tolist()) == sorted(["abc!@#中文 123".encode(), b"x"])
    assert run(ctx, 'distinct(["中文", "b", "中文", "c"])').data.tolist() == ["中文", "b", "c"]
    assert bools(run(ctx, '["中文", "b"] in ["中文"]')) == [True, False]
    assert bools(run(ctx, "blob('中文') in [blob('中文')]")) == [True]


# ---- tables ---------------------------------------------------------------------------------
def test_null_arguments_insert_typed_nulls_row_after_row(ctx):
    t = run(ctx, """
        t = table(1:0, `i`s`d`n, [INT, STRING, DECIMAL32(2), DOUBLE])
        for(i in 0:50){
            tableInsert(t, i, NULL, NULL, NULL)
        }
        t
    """)
    assert isinstance(t, Table) and t.rows == 50
    assert run(ctx, "all(isNull(t.s)) and all(isNull(t.d)) and all(isNull(t.n))").value == 1
    v = run(ctx, "int((NULL, NULL))")
    assert v.type == INT and run(ctx, "isNull(int((NULL, NULL)))").data.tolist() == [1, 1]
    with pytest.raises(ScriptError, match="tuple of mixed elements"):
        run(ctx, "int((1, 2 3))")


def test_share_takes_a_name_or_a_symbol(ctx):
    run(ctx, "t = table(1 2 as a); share t as `sharedBySymbol; share t as sharedByName")
    assert run(ctx, "sharedBySymbol").rows == 2 and run(ctx, "sharedByName").rows == 2


def test_schema_names_decimal_columns_with_their_scale(ctx):
    names = run(ctx, "schema(table(1:0, `a`b`c, [DECIMAL32(2), DECIMAL128(10), INT])).colDefs.typeString")
    assert names.data.tolist() == ["DECIMAL32(2)", "DECIMAL128(10)", "INT"]


def test_decimal128_nulls_are_null(ctx):
    assert run(ctx, "isNull(decimal128(NULL 1, 19))").data.tolist() == [1, 0]
    v = run(ctx, "decimal128(1.5, 19)")
    assert v.type == DECIMAL128 and Decimal(v.value).scaleb(-19) == Decimal("1.5")
    assert isinstance(run(ctx, "00P"), Scalar)


# ---- deep but legal nesting -----------------------------------------------------------------
def test_deep_nesting_reaches_the_interpreters_own_limit_in_a_server_thread():
    """Brackets hundreds deep and user functions recursing up to the interpreter's limit run in
    a thread like the server's workers; past the limit the error is the real server's text."""
    import threading
    outcome = {}

    def work():
        ctx = SessionContext()
        outcome["brackets"] = run(ctx, "(" * 300 + "1" + ")" * 300).value
        run(ctx, "def f(n){ if (n == 0) return 0; return f(n - 1) + 1 }")
        outcome["recursion"] = run(ctx, "f(199)").value
        try:
            run(ctx, "f(250)")
        except ScriptError as e:
            outcome["too_deep"] = str(e)
    worker = threading.Thread(target=work)
    worker.start()
    worker.join(timeout=60)
    assert outcome == {"brackets": 1, "recursion": 199, "too_deep": "Out of recursion depth."}
