"""Scripts that loop over many rows: appends of one row grow columns in place (tableInsert,
append! of rows to tables, vectors and array vectors), two plain numeric scalars take a path in
Python numbers, short DECIMAL casts run in Python ints and long ones in numpy, and a vector of
literals is built once per script. Each must give exactly what the general paths give, and a
value read before an append must keep its rows whatever happens to the table afterwards."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from dolphindb.server.lang import ScriptError, SessionContext
from dolphindb.server.lang.builtins.casts import cast
from dolphindb.server.lang.builtins.operators import arith, arith_scalars, compare, compare_scalars
from dolphindb.server.model.columns import storage_to_python
from dolphindb.server.model.values import (BOOL, CHAR, DECIMAL32, DECIMAL64, DOUBLE, INT, LONG, SHORT, ArrayVector,
                                           Scalar, Vector)

from support.interp import run


def rows(av):
    assert isinstance(av, ArrayVector)
    return [[storage_to_python(av.values.type, x) for x in av.values.data[av.offsets[i]:av.offsets[i + 1]]]
            for i in range(len(av))]


def values(v):
    return [storage_to_python(v.type, x) for x in v.data]


def test_table_insert_loop_into_decimal_array_vector_columns(ctx):
    t = run(ctx, """
        t = table(1:0, `c1`c2`c3, [DECIMAL32(0)[], DECIMAL32(4)[], DECIMAL64(10)[]])
        for (i in 0:3000) {
            tableInsert(t, [decimal32(1 1, 0)], [decimal32(2 00i, 4)], [decimal64([i, 3], 10)])
        }
        t""")
    assert t.rows == 3000
    assert rows(t.columns["c1"]) == [[1, 1]] * 3000
    assert rows(t.columns["c2"]) == [[20000, None]] * 3000
    c3 = rows(t.columns["c3"])
    assert c3[0] == [0, 3 * 10 ** 10] and c3[2999] == [2999 * 10 ** 10, 3 * 10 ** 10]
    assert t.columns["c3"].values.scale == 10


def test_table_insert_loop_into_scalar_columns(ctx):
    t = run(ctx, """
        t = table(1:0, `a`b`c`d, [INT, DOUBLE, SYMBOL, STRING])
        for (i in 0:2000) {
            tableInsert(t, i, i * 0.5, `s + string(i % 3), "x")
        }
        t""")
    assert values(t.columns["a"]) == list(range(2000))
    assert values(t.columns["b"]) == [i * 0.5 for i in range(2000)]
    assert list(t.columns["c"].data[:4]) == ["s0", "s1", "s2", "s0"]
    assert set(t.columns["d"].data) == {"x"}


def test_a_value_read_before_appends_keeps_its_rows(ctx):
    r = run(ctx, """
        t = table(1:0, `a`v, [INT, INT[]])
        for (i in 0:10) { tableInsert(t, i, [[i, i]]) }
        before = select * from t
        column = t.a
        for (i in 10:20) { tableInsert(t, i, [[i, i]]) }
        update t set a = -1 where a < 5
        column[9] = 100
        [size(before), before.a[0], column[9], column[0], t.a[0], t.a[9], size(t), size(column)]""")
    assert values(r) == [10, 0, 100, 0, -1, 9, 20, 10]


def test_an_update_of_a_query_result_leaves_the_table_alone(ctx):
    r = run(ctx, """
        t = table(1:0, `a, [INT])
        for (i in 0:10) { tableInsert(t, i) }
        x = select * from t
        tableInsert(t, 10)
        update x set a = 7 where a < 3
        [t.a[0], x.a[0], size(t), size(x)]""")
    assert values(r) == [0, 7, 11, 10]


def test_a_dictionary_of_appended_columns_is_its_own(ctx):
    r = run(ctx, """
        t = table(1:0, `k`v, [INT, INT])
        for (i in 0:5) { tableInsert(t, i, i * 10) }
        d = dict(t.k, t.v)
        d[2] = 99
        tableInsert(t, 5, 50)
        [d[2], t.v[2], size(t)]""")
    assert values(r) == [99, 20, 6]


def test_a_refused_row_leaves_no_trace(ctx):
    run(ctx, "t = table(1:0, `a`b, [INT, DOUBLE[]]); for (i in 0:5) { tableInsert(t, i, [1.5]) }")
    with pytest.raises(ScriptError):
        run(ctx, 'tableInsert(t, 5, [(1.5, "a")])')
    t = run(ctx, "t")
    assert values(t.columns["a"]) == [0, 1, 2, 3, 4] and len(t.columns["b"]) == 5


def test_appending_tables_of_one_row(ctx):
    t = run(ctx, """
        t = table(1:0, `a`b, [INT, DOUBLE])
        for (i in 0:500) { t.append!(table(i as a, 1.5 as b)) }
        t""")
    assert values(t.columns["a"]) == list(range(500)) and set(t.columns["b"].data) == {1.5}


def test_vector_append_interleaved_with_item_assignment(ctx):
    v = run(ctx, """
        v = array(INT, 0)
        for (i in 0:1000) {
            v.append!(i)
            v[i] = i * 2
        }
        v""")
    assert values(v) == [i * 2 for i in range(1000)]


def test_array_vector_append_loop_with_rows_tuples_and_nulls(ctx):
    x = run(ctx, """
        x = array(DECIMAL32(2)[])
        for (i in 0:200) {
            x.append!([decimal32(take(`1`0``2.125, 4), 2)])
            x.append!((1 2, 3))
        }
        x""")
    assert len(x) == 600
    assert rows(x)[:3] == [[100, 0, None, 213], [100, 200], [300]]
    assert rows(x)[597:] == [[100, 0, None, 213], [100, 200], [300]]


def test_array_vector_append_after_clear_and_rows_read_before(ctx):
    r = run(ctx, """
        x = array(INT[])
        for (i in 0:50) { x.append!([[i, i + 1]]) }
        first = x[0]
        clear!(x)
        for (i in 0:3) { x.append!([9 9 9]) }
        [size(x), first[0], first[1], size(first)]""")
    assert values(r) == [3, 0, 1, 2]
    assert rows(run(ctx, "x")) == [[9, 9, 9]] * 3


def test_a_vector_of_literals_is_a_new_vector_each_time(ctx):
    r = run(ctx, """
        out = array(INT, 0)
        for (i in 0:5) {
            v = 1 2 3
            v[0] = i
            v.append!(i)
            out.append!(size(v))
            out.append!(v[0])
        }
        out""")
    assert values(r) == [4, 0, 4, 1, 4, 2, 4, 3, 4, 4]


def test_loops_of_function_calls_and_conditions(ctx):
    r = run(ctx, """
        def add(a, b) { return a + b }
        def fib(n) { if (n < 2) return n; return fib(n - 1) + fib(n - 2) }
        s = long(0)
        for (i in 0:1000) { s = add(s, i) }
        i = 0
        odd = 0
        do {
            if (i % 2 == 1) odd = odd + 1
            i = i + 1
        } while (i < 101)
        [s, odd, fib(15)]""")
    assert values(r) == [499500, 50, 610]


# -- the scalar paths give what the numpy paths give ---------------------------------------------
NUMBERS = {BOOL: [0, 1, None], CHAR: [-5, 7, None], SHORT: [-300, 2, None], INT: [-7, 0, 3, 2 ** 31 - 1, None],
           LONG: [-(2 ** 63) + 1, -9, 0, 4, 2 ** 62, None],
           DOUBLE: [-2.5, 0.0, 3.0, 1e308, float("inf"), float("nan"), None]}


def _same(a, b):
    if a.type != b.type or type(a) is not type(b):
        return False
    if isinstance(a.value, float) and isinstance(b.value, float) and np.isnan(a.value):
        return np.isnan(b.value)
    return a.value == b.value


def _cases():
    for ta, tb in itertools.product(NUMBERS, repeat=2):
        for x, y in itertools.product(NUMBERS[ta], NUMBERS[tb]):
            yield Scalar(ta, x), Scalar(tb, y)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "mod", "ratio", "pow"])
def test_scalar_arithmetic_matches_the_numpy_path(name):
    for a, b in _cases():
        fast = arith_scalars(name, a, b)
        if fast is None:
            continue
        assert _same(fast, arith(name, a, b)), (name, a, b, fast, arith(name, a, b))


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_scalar_comparison_matches_the_numpy_path(name):
    for a, b in _cases():
        fast = compare_scalars(name, a, b)
        assert fast is not None
        assert _same(fast, compare(name, a, b)), (name, a, b)


def test_scalar_paths_leave_other_values_to_the_numpy_path():
    assert arith_scalars("add", Scalar(INT, 2 ** 31), Scalar(INT, 1)) is None     # past int32
    assert arith_scalars("add", Scalar(DECIMAL32, 100, 2), Scalar(INT, 1)) is None
    assert compare_scalars("eq", Scalar(INT, 1), Vector(INT, np.array([1], np.int32))) is None
    assert arith_scalars("mod", Scalar(DOUBLE, 5.5), Scalar(INT, 2)) is None


def test_long_arithmetic_wraps_as_int64():
    r = arith_scalars("add", Scalar(LONG, 2 ** 63 - 1), Scalar(LONG, 2))
    assert _same(r, arith("add", Scalar(LONG, 2 ** 63 - 1), Scalar(LONG, 2))) and r.value == -(2 ** 63) + 1


# -- DECIMAL casts: short vectors in Python ints, long ones in numpy, the same values -------------
@pytest.mark.parametrize("source, target, scale", [
    (Vector(INT, np.array([1, -1, 0, -2147483648, 123456, -98765], np.int32)), DECIMAL64, 4),
    (Vector(DECIMAL64, np.array([125, -125, 135, -135, 149, -150, -(2 ** 63)], np.int64), 2), DECIMAL32, 1),
    (Vector(LONG, np.array([5, -(2 ** 63), 7], np.int64)), DECIMAL32, 8),
    (Vector(DECIMAL32, np.array([12345, -1], np.int32), 3), DECIMAL64, 12),
])
def test_long_decimal_casts_match_short_ones(source, target, scale):
    long_source = Vector(source.type, np.tile(source.data, 30), source.scale)     # past the short path
    short = cast(source, target, scale)
    long_ = cast(long_source, target, scale)
    assert long_.type == short.type == target and long_.scale == short.scale == scale
    assert list(long_.data) == list(np.tile(short.data, 30))


def test_a_long_decimal_cast_names_the_value_that_overflows():
    big = Vector(INT, np.array([1] * 100 + [100000000], np.int32))
    with pytest.raises(ScriptError, match="100000000 does not fit DECIMAL32\\(2\\)"):
        cast(big, DECIMAL32, 2)


@pytest.fixture
def ctx():
    return SessionContext()
