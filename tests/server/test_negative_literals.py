"""Where a minus written against a number is that number's sign and where it subtracts. The lexer
alone decides: a glued minus signs the number where no operand ends before it, and after blank that
follows a literal (the next element of a space-separated vector); after a name, a closing bracket or
a `symbol, and whenever blank follows the minus, it subtracts."""
from __future__ import annotations

import pytest

from dolphindb.server.lang.lexer import tokenize
from dolphindb.server.model.values import ANY, DATE, DOUBLE, INT, STRING, Vector

from support.interp import run

SETUP = "x = 5; a = [10, 20]; def f(v) { return v * 2 }; "


def value(v):
    if isinstance(v, Vector) and v.type == ANY:
        return [value(item) for item in v.data]
    return v.data.tolist() if isinstance(v, Vector) else v.value


@pytest.mark.parametrize("script,expected", [
    ("x -1", 4), ("f(x) -1", 9), ("a[0] -1", 9), ("(1) -1", 0), ("1 - 1", 0), ("1-1", 0), ("x-1", 4),
    ("1 - -1", 2), ("1--1", 2), ("2 * -3", -6), ("- 1", -1), ("2024.01.01 - 1", 19722),
])
def test_a_minus_after_an_operand_or_before_blank_subtracts(ctx, script, expected):
    assert value(run(ctx, SETUP + script)) == expected


@pytest.mark.parametrize("script,type_,expected", [
    ("1 -1", INT, [1, -1]), ("-1 -2 -3", INT, [-1, -2, -3]), ("1 -1.5", DOUBLE, [1.0, -1.5]),
    ("NULL -1", INT, [None, -1]), ("true -1", INT, [1, -1]), ("[1, -1]", INT, [1, -1]),
    ("1 /* gap */ -1", INT, [1, -1]), ("1\t-1", INT, [1, -1]), ("1 -1 -x", INT, [-4, -6]),
])
def test_a_glued_minus_after_a_literal_and_blank_signs_the_next_element(ctx, script, type_, expected):
    v = run(ctx, SETUP + script)
    assert isinstance(v, Vector) and v.type == type_
    nulls = run(ctx, SETUP + f"isNull({script})").data.tolist()
    assert [None if null else e for e, null in zip(value(v), nulls)] == expected


@pytest.mark.parametrize("script,first", [("2024.01.01 -1", (DATE, 19723)), ('"a" -1', (STRING, "a"))])
def test_a_temporal_or_string_element_is_followed_by_a_signed_number(ctx, script, first):
    v = run(ctx, script)
    assert v.type == ANY and [(s.type, s.value) for s in v.data] == [first, (INT, -1)]


def test_a_minus_after_a_symbol_subtracts(ctx):
    with pytest.raises(Exception, match="can't be used in sub"):
        run(ctx, "`a -1")


@pytest.mark.parametrize("text,kinds", [
    ("1 -1", [("number", ("1", "")), ("number", ("-1", ""))]),
    ("x -1", [("ident", "x"), ("op", "-"), ("number", ("1", ""))]),
    ("1 - -1", [("number", ("1", "")), ("op", "-"), ("number", ("-1", ""))]),
    ("a[0] -1", [("ident", "a"), ("op", "["), ("number", ("0", "")), ("op", "]"), ("op", "-"), ("number", ("1", ""))]),
    ("`a -1", [("symbols", ["a"]), ("op", "-"), ("number", ("1", ""))]),
    ("2024.01.01 -1", [("temporal", (DATE, 19723, None)), ("number", ("-1", ""))]),
])
def test_the_lexer_alone_signs_numbers(text, kinds):
    assert [(t.kind, t.value) for t in tokenize(text)[:-1]] == kinds
