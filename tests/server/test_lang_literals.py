"""Literal forms of the DolphinDB language (the data type table of the reference): typed suffixes,
typed NULLs, zero-argument type constructors, space-separated vectors, omitted list elements,
row slices, command-call syntax and DECIMAL type arguments."""
from __future__ import annotations

import pytest

from dolphindb.server.lang import ScriptError, SessionContext, run_script
from dolphindb.server.model.columns import format_value
from dolphindb.server.model.values import (ANY, ARRAY_BASE, BLOB, BOOL, CHAR, DATE, DATEHOUR, DATETIME, DECIMAL32,
                                           DECIMAL64, DOUBLE, FLOAT, INT, INT128, IPADDR, LONG, MATRIX, MINUTE,
                                           MONTH, NANOTIME, NANOTIMESTAMP, PAIR, SECOND, SHORT, STRING, TIME,
                                           TIMESTAMP, UUID, VOID, ArrayVector, Scalar, Table, Vector)


def run(text, ctx=None):
    return run_script(ctx or SessionContext(), text)


def elements(v):
    """Python values of a vector, None for NULL."""
    return [None if s.value is None else s.value for s in (v.data if v.type == ANY else _scalars(v))]


def _scalars(v):
    return [run_script(_holder(v), f"x[{i}]") for i in range(len(v))]


def _holder(v):
    ctx = SessionContext()
    ctx.variables["x"] = v
    return ctx


@pytest.mark.parametrize("text,type_,value", [
    ("1b", BOOL, 1), ("0b", BOOL, 0), ("0c", CHAR, 0), ("127c", CHAR, 127), ("-127c", CHAR, -127),
    ("0h", SHORT, 0), ("0i", INT, 0), ("2147483647i", INT, 2147483647), ("-2147483647i", INT, -2147483647),
    ("0l", LONG, 0), ("1.0f", FLOAT, 1.0), ("3f", FLOAT, 3.0), ("0.0F", DOUBLE, 0.0), ("2.5F", DOUBLE, 2.5),
    ("1970.01.02d", DATE, 1), ("2022.01M", MONTH, 2022 * 12), ("00:00:01.000t", TIME, 1000),
    ("00:00:02s", SECOND, 2), ("13:30m", MINUTE, 810), ("1970.01.01T00:00:03D", DATETIME, 3),
    ("1970.01.01 00:00:00.004T", TIMESTAMP, 4), ("00:00:00.000000005n", NANOTIME, 5),
    ("1970.01.01 00:00:00.000000006N", NANOTIMESTAMP, 6), ("2012.06.13T13", DATEHOUR, 15504 * 24 + 13),
    ("00:00:07T", TIMESTAMP, 7000),                   # a suffix converts a literal of another type
])
def test_a_type_suffix_gives_the_literal_that_type(text, type_, value):
    v = run(text)
    assert isinstance(v, Scalar) and (v.type, v.value) == (type_, value)


@pytest.mark.parametrize("text,type_", [
    ("00b", BOOL), ("00c", CHAR), ("00h", SHORT), ("00i", INT), ("00l", LONG), ("00f", FLOAT), ("00F", DOUBLE),
    ("00d", DATE), ("00M", MONTH), ("00t", TIME), ("00m", MINUTE), ("00s", SECOND), ("00D", DATETIME),
    ("00T", TIMESTAMP), ("00n", NANOTIME), ("00N", NANOTIMESTAMP),
])
def test_double_zero_with_a_suffix_is_the_null_of_that_type(text, type_):
    v = run(text)
    assert (v.type, v.value) == (type_, None)
    assert run(f"isNull({text})").value == 1
    assert run(f"typestr([{text}, {text}])").value == "FAST " + run(f"typestr {text}").value + " VECTOR"


@pytest.mark.parametrize("name,type_", [
    ("bool", BOOL), ("char", CHAR), ("short", SHORT), ("int", INT), ("long", LONG), ("float", FLOAT),
    ("double", DOUBLE), ("string", STRING), ("date", DATE), ("month", MONTH), ("time", TIME), ("minute", MINUTE),
    ("second", SECOND), ("datetime", DATETIME), ("timestamp", TIMESTAMP), ("nanotime", NANOTIME),
    ("nanotimestamp", NANOTIMESTAMP), ("datehour", DATEHOUR), ("uuid", UUID), ("ipaddr", IPADDR),
    ("int128", INT128), ("blob", BLOB),
])
def test_a_type_constructor_without_argument_is_a_typed_null(name, type_):
    v = run(f"{name}()")
    assert isinstance(v, Scalar) and v.type == type_ and run(f"isNull({name}())").value == 1


def test_constructors_in_lists_take_the_list_type_and_symbol_needs_an_argument():
    v = run("[true, false, bool()]")
    assert v.type == BOOL and elements(v) == [1, 0, None]
    v = run("take([2001.01.31 13:30:10, 2020.01.31T17:37:20, datetime()], 3)")
    assert v.type == DATETIME and elements(v)[2] is None
    assert run('string() == ""').value == 1
    with pytest.raises(ScriptError, match=r"\[symbol\] expects 1 argument"):
        run("symbol()")


def test_pair_of_two_omitted_elements_is_a_void_pair():
    v = run("pair(,)")
    assert (v.form, v.type, len(v)) == (PAIR, VOID, 2)
    assert run("typestr pair(,)").value == "VOID PAIR"
    v = run("pair(, 3)")
    assert v.form == PAIR and elements(v) == [None, 3]


@pytest.mark.parametrize("text,type_,values", [
    ("true false", BOOL, [1, 0]), ("NULL true false", BOOL, [None, 1, 0]), ("true NULL false", BOOL, [1, None, 0]),
    ("1 NULL 0", INT, [1, None, 0]), ("NULL 1 0", INT, [None, 1, 0]), ("1.5 NULL 2", DOUBLE, [1.5, None, 2.0]),
    ('"a" "b"', STRING, ["a", "b"]), ("'abc' \"\"", STRING, ["abc", ""]), ("'a' 'b'", CHAR, [97, 98]),
    ("2024.01.01 2024.01.02", DATE, [19723, 19724]), ("00i 1 2", INT, [None, 1, 2]),
    ("1c 2c 00c", CHAR, [1, 2, None]), ("1 null 3", INT, [1, None, 3]),
    ("'-1.5''0''2'", STRING, ["-1.5", "0", "2"]), ("``0`1.5'-100'", STRING, ["", "0", "1.5", "-100"]),
    ("`a `b", STRING, ["a", "b"]),
])
def test_literals_separated_by_spaces_make_one_vector(text, type_, values):
    v = run(text)
    assert isinstance(v, Vector) and v.type == type_ and elements(v) == values


def test_space_vectors_as_list_elements_fill_an_array_vector():
    ctx = SessionContext()
    run("x = array(CHAR[], 0, 5).append!([1 0, NULL 1 0, 1 NULL 0, 1 0 NULL, NULL])", ctx)
    x = ctx.variables["x"]
    assert isinstance(x, ArrayVector) and x.type == CHAR + ARRAY_BASE and len(x) == 5
    assert elements(run("x[1]", ctx)) == [None, 1, 0]
    run("b = array(BOOL[], 0, 2).append!([true false, NULL true false])", ctx)
    assert elements(run("b[1]", ctx)) == [None, 1, 0]
    run("f = array(FLOAT[], 0, 2).append!([1.11 0.0, 1.11 NULL 0.0])", ctx)
    assert run("f[1]", ctx).type == FLOAT and elements(run("f[1]", ctx))[1] is None


@pytest.mark.parametrize("text,values", [
    ("[,0,0]", [None, 0, 0]), ("[0,,0]", [0, None, 0]), ("[0,0,]", [0, 0, None]), ("[00F,00F,]", [None] * 3),
])
def test_an_omitted_list_element_is_null(text, values):
    assert elements(run(text)) == values


def test_an_omitted_tuple_element_is_null():
    v = run("(,,)")
    assert v.type == ANY and len(v) == 3 and all(s.value is None for s in v.data)
    assert run("t = table(1 2 3 as a, [1,,3] as b); isNull(t.b)").data.tolist() == [0, 1, 0]


def test_row_and_column_slices():
    ctx = SessionContext()
    run("m = 1..6$2:3", ctx)                       # columns [1 2] [3 4] [5 6]
    row = run("m[1,]", ctx)
    assert row.form == MATRIX and row.data.tolist() == [[2, 4, 6]]
    assert run("m[1, 2]", ctx).value == 6
    assert run("m[, 1]", ctx).data.tolist() == [[3], [4]]
    assert run("m[0:2, 0:2]", ctx).data.tolist() == [[1, 3], [2, 4]]
    run("a = array(INT[], 0).append!([1 2, 3 4 5])", ctx)
    one = run("a[1,]", ctx)
    assert isinstance(one, ArrayVector) and len(one) == 1 and elements(run("a[1,][0]", ctx)) == [3, 4, 5]
    run("col = array(INT[], 0).append!(a[1,]).append!(a[0,])", ctx)
    assert len(ctx.variables["col"]) == 2
    assert elements(run("v = 5 6 7; v[1,]", ctx)) == [6]
    assert isinstance(run("t = table(1 2 as x); t[1,]", ctx), Table)
    with pytest.raises(ScriptError, match="Only a matrix"):
        run("v[0, 1]", ctx)


def test_lowercase_null_is_null():
    assert run("null").type == VOID and run("isNull(null)").value == 1
    v = run("[true, null, false]")
    assert v.type == BOOL and elements(v) == [1, None, 0]


def test_command_call_syntax_applies_a_function_to_the_rest_of_the_line():
    ctx = SessionContext()
    run("a = 1 2 3", ctx)
    assert run("typestr a", ctx).value == "FAST INT VECTOR"
    assert run("d = dict(`a`b, 1 2); typestr d[`a]", ctx).value == "INT"
    run('print typestr(a)', ctx)
    run('print "done"', ctx)
    assert ctx.output[-2:] == ["FAST INT VECTOR", "done"]
    assert run("x = typestr 1.5; x", ctx).value == "DOUBLE"
    with pytest.raises(ScriptError, match="Syntax Error"):   # not a function: no command call
        run("g = lambda x: x", ctx)


def test_decimal_types_with_a_scale_as_type_arguments():
    ctx = SessionContext()
    v = run("x = array(DECIMAL32(2), 0, 3); x.append!(1.234); x", ctx)
    assert (v.type, v.scale) == (DECIMAL32, 2) and v.data.tolist() == [123]
    v = run("array(DECIMAL64(10)[], 0).append!([[1.5, 2.5]])")
    assert isinstance(v, ArrayVector) and (v.type, v.values.scale) == (DECIMAL64 + ARRAY_BASE, 10)
    t = run("table(1000:0, `f`d, [FLOAT, DECIMAL32(3)])")
    assert (t.columns["d"].type, t.columns["d"].scale) == (DECIMAL32, 3) and t.columns["f"].type == FLOAT
    v = run("1.23 $ DECIMAL32(4)")
    assert (v.type, v.value, v.scale) == (DECIMAL32, 12300, 4)
    assert run("DECIMAL32").value == DECIMAL32        # still the type constant without a scale


def test_decimal_constructors_parse_strings_at_the_scale():
    assert format_value(run('decimal32("0", 3)')) == "0.000"
    assert format_value(run("decimal32('3.141592653589', 8)")) == "3.14159265"
    assert format_value(run('decimal64(["1.25", "x"], 2)')) == "[1.25,]"


def test_datehour_parses_its_own_text():
    assert run("datehour('1970.01.01T05')").value == 5
    assert run('datehour("2012.06.13T13")').value == run("2012.06.13T13").value


def test_single_quoted_character_is_a_char():
    assert (run("'i'").type, run("'i'").value) == (CHAR, 105)
    v = run("[1c, 2c, 'i', '{']")
    assert v.type == CHAR and elements(v) == [1, 2, 105, 123]
    assert run("'ab'").type == STRING and run('"i"').type == STRING
    v = run("['a', '', 'ccc']")                       # next to strings, 'a' is a one-letter string
    assert v.type == STRING and v.data.tolist() == ["a", "", "ccc"]
    assert run("split('a,b', ',')").data.tolist() == ["a", "b"]     # a CHAR separator


@pytest.mark.parametrize("script,token", [
    ("f(1) 2", "Syntax Error"), ("5d", "Cannot recognize the token 5d"), ("1.5x", "Cannot recognize the token 5x"),
    ("[1, 2", "Syntax Error"), ("x = (1 2", "Syntax Error"), ("1.5c", "Cannot recognize the token 1.5c"),
    ("12ms", "Cannot recognize the token 12ms"),
])
def test_syntax_errors_quote_source_text(script, token):
    with pytest.raises(ScriptError) as err:
        run(script)
    assert token in str(err.value) and "('" not in str(err.value) and "Internal" not in str(err.value)


@pytest.mark.parametrize("script", [
    "00x", "[,]", "(,)", "x = 1 2 3; x[,]", "m = 1..4$2:2; m[5,]", "pair(,,)", "DECIMAL32(2)[]", "'", "``",
    "typestr", "1 NULL `a", "true 1.5", "00i 00F", "[1 0, `a]", "decimal32('', 2)", "1970.01.01d 2c",
])
def test_malformed_literals_are_script_errors_or_values_never_python_errors(script):
    try:
        run(script)
    except ScriptError as err:
        assert "Internal" not in str(err) and "('" not in str(err)
