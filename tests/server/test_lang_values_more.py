"""Values the official SDK's suite compares on the server: a float NULL is the lowest finite value
(NaN and inf are values), the empty string is the NULL of the literal types, sets compare as sets,
tuples element by element, typestr calls every fixed-width vector FAST, and append! one element
at a time stays linear."""
from __future__ import annotations

import math

import numpy as np
import pytest

from dolphindb.server.model.values import ANY, BOOL, Scalar

from support.interp import run, bools


# ---- float NULL versus NaN ------------------------------------------------------------------------

def test_nan_is_a_value_not_null(ctx):
    nan = run(ctx, "float('nan')")
    assert isinstance(nan, Scalar) and math.isnan(nan.value)
    assert run(ctx, "isNull(float('nan'))").value == 0
    assert run(ctx, "isNanInf(float('nan'))").value == 1
    assert bools(run(ctx, "isNanInf([1.5, float(`nan), float(`inf), NULL], true)")) == [False, True, True, True]
    assert bools(run(ctx, "isNanInf([1.5, float(`nan), float(`inf), NULL])")) == [False, True, True, False]


def test_the_lowest_finite_float_is_null(ctx):
    assert run(ctx, "float(-3.4028235e+38)").value is None
    assert run(ctx, "isNull(float(-3.4028235e+38))").value == 1
    assert run(ctx, "isNull(double(-1.7976931348623157e+308))").value == 1
    assert run(ctx, "float(-3.4028235e+38) == 00f").value == 1


@pytest.mark.parametrize("script,expected", [
    ("1.5 + 00F", None), ("00F * 2", None), ("abs(00F)", None), ("sqrt(00F)", None), ("round(00F)", None),
    ("1.0 / 0", None), ("sum(1.5 00F 2.5)", 4.0), ("avg(1.0 00F 3.0)", 2.0), ("max([00F, 1.0, -5.0])", 1.0),
    ("min([00F, 1.0, -5.0])", -5.0), ("count(1.0 00F)", 1), ("00F < -1e300", 1), ("00F == NULL", 1),
    ("double(00i)", None), ("int(00F)", None),
])
def test_float_nulls_propagate(ctx, script, expected):
    assert run(ctx, script).value == expected


def test_float_null_in_a_vector_is_null_and_sorts_first(ctx):
    assert bools(run(ctx, "isNull([1.0, 00F, float('nan')])")) == [False, True, False]
    v = run(ctx, "sort(3.0 00F 1.0)")
    assert v.data[0] == -np.finfo(np.float64).max and list(v.data[1:]) == [1.0, 3.0]
    t = run(ctx, "select sum(x) as s, count(x) as n from table([1.0, 00F, 2.0] as x, 1 1 2 as g) group by g")
    assert t.columns["s"].data.tolist() == [1.0, 2.0] and t.columns["n"].data.tolist() == [1, 1]


# ---- literal NULLs ---------------------------------------------------------------------------------

def test_empty_string_scalar_is_null(ctx):
    assert run(ctx, 'isNull("")').value == 1
    assert run(ctx, "d = dict(`a`b, ['x', '']); isNull(d[`b])").value == 1
    assert run(ctx, 'isNull("a")').value == 0


# ---- sets and tuples ---------------------------------------------------------------------------------

@pytest.mark.parametrize("script,expected", [
    ("set(1 2 3) == set(3 2 1)", 1), ("set([0, NULL]) == set(0 NULL 0l)", 1), ("set(1 2) == set(1 2 3)", 0),
    ("set(1 2) != set(1 2 3)", 1), ("set(1 2) < set(1 2 3)", 1), ("set(1 2) <= set(1 2)", 1),
    ("set(1 2) < set(1 2)", 0), ("set(1 2 3) > set([3])", 1), ("set(1 2) >= set(1 2 3)", 0),
    ("set(`a`b) == set(`b`a)", 1), ('set([blob("ab"), NULL]) == set(["ab", NULL])', 1),
])
def test_sets_compare_as_sets(ctx, script, expected):
    r = run(ctx, script)
    assert isinstance(r, Scalar) and r.type == BOOL and r.value == expected


def test_tuples_compare_element_by_element(ctx):
    assert bools(run(ctx, "(NULL, NULL, NULL) == (NULL, NULL, NULL)")) == [True, True, True]
    assert bools(run(ctx, "(1, `a, 2.0) == (1, `a, 3.0)")) == [True, True, False]
    assert bools(run(ctx, "(1, 2, 3) < 2")) == [True, False, False]
    assert bools(run(ctx, "[1, 2] == (1, 3)")) == [True, False]
    nested = run(ctx, "[[1, 2], 3] == [[1, 5], 3]")       # a vector element gives a vector result
    assert nested.type == ANY and bools(nested.data[0]) == [True, False] and nested.data[1].value == 1


# ---- typestr ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("script,name", [
    ("symbol(`a`b)", "FAST SYMBOL VECTOR"), ("uuid(['5d212a78-cc48-e3b1-4235-b4d91473ee87'])", "FAST UUID VECTOR"),
    ("ipaddr(['192.168.1.1'])", "FAST IPADDR VECTOR"),
    ("int128(['e1671797c52e15f763380b45e841ec32'])", "FAST INT128 VECTOR"),
    ("true false", "FAST BOOL VECTOR"), ("`a`b", "STRING VECTOR"), ("blob(`a`b)", "BLOB VECTOR"),
    ("(1, `a)", "ANY VECTOR"), ("table(symbol(`a`b) as s).s", "FAST SYMBOL VECTOR"),
])
def test_typestr_fast_vectors(ctx, script, name):
    assert run(ctx, f"typestr({script})").value == name


# ---- append! ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("template,values", [("`a`b", ["a", "b"]), ("1 2", [1, 2]), ("1.5 2.5", [1.5, 2.5])])
def test_append_one_at_a_time_keeps_every_element(ctx, template, values):
    v = run(ctx, f"x = {template}; col = array(x, 0, 4); for (i in 0..999) {{ col.append!(x[i % 2]) }}; col")
    assert len(v) == 1000 and list(v.data[:4]) == values * 2 and list(v.data[-2:]) == values


def test_appending_to_one_vector_leaves_a_vector_made_from_it_unchanged(ctx):
    run(ctx, "a = 1 2 3; a.append!(4); b = a + 0; a.append!(5); b.append!(9)")
    assert run(ctx, "a").data.tolist() == [1, 2, 3, 4, 5]
    assert run(ctx, "b").data.tolist() == [1, 2, 3, 4, 9]


# ---- negative elements of space-separated vectors ----------------------------------------------------

@pytest.mark.parametrize("script,expected", [
    ("0c 127c -127c 00c", [0, 127, -127, None]), ("1 -2 3", [1, -2, 3]), ("-10.1 NULL 5.1", [-10.1, None, 5.1]),
    ("1 -1", [1, -1]), ("[1, -2]", [1, -2]),
])
def test_a_glued_minus_signs_the_next_element(ctx, script, expected):
    v = run(ctx, script)
    assert [None if s is None else s for s in (run(ctx, f"({script})[{i}]").value for i in range(len(v)))] == expected


@pytest.mark.parametrize("script,expected", [("x = 5; x -1", 4), ("1 - 1", 0), ("1-1", 0), ("(1)-1", 0), ("2*-3", -6)])
def test_a_minus_after_an_operand_still_subtracts(ctx, script, expected):
    assert run(ctx, script).value == expected
