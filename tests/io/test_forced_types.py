"""Values converted into a type given with ``types=`` (dolphindb.io.dumps; uploads of forced
columns share the conversions): decimal text, floats to DECIMAL, integer counts for temporal
types, +-inf in object arrays, matrices. tests/differential/test_forced_types_parity.py checks
the same against the official client."""
from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from dolphindb import io
from dolphindb import settings as keys
from dolphindb.exceptions import ConversionError

D32, D64, D128 = keys.DT_DECIMAL32, keys.DT_DECIMAL64, keys.DT_DECIMAL128


def roundtrip(obj, types):
    return io.loads(io.dumps(obj, types=types))


def decimals(values):
    return [None if v is None else Decimal(v) for v in values]


@pytest.mark.parametrize("text,scale,expected", [
    ("3.14", 3, "3.140"), ("3.14159", 3, "3.142"), ("-3.14159", 3, "-3.142"), ("0.0005", 3, "0.001"),
    ("-0.0005", 3, "-0.001"), ("2.6654999", 3, "2.665"), (" +.5\t", 2, "0.50"), ("5.", 1, "5.0"),
    ("0007", 0, "7"), ("-2.5", 0, "-3"),
])
def test_decimal_text_is_scaled_and_rounded_half_away_from_zero(text, scale, expected):
    for t in (D32, D64, D128):
        assert roundtrip(text, [t, scale]) == Decimal(expected)
        assert roundtrip(text.encode(), [t, scale]) == Decimal(expected)
        assert roundtrip(np.str_(text), [t, scale]) == Decimal(expected)


def test_decimal_text_beyond_a_doubles_digits_is_exact():
    text = "12345678901234567890.123456789012345678"
    assert roundtrip([text], [D128, 18])[0] == Decimal(text)


@pytest.mark.parametrize("text", ["", "  ", "nan", "NaN", "inf", "-inf", "+Infinity"])
def test_empty_and_non_finite_text_is_null(text):
    assert roundtrip(text, [D64, 2]) is None
    assert roundtrip([text, "1"], [D32, 2]).tolist() == [None, Decimal("1.00")]


@pytest.mark.parametrize("text", ["test", "1e2", "1,000", "3.14abc", "0x10", "--1", "1.2.3", "."])
def test_text_that_is_not_a_decimal_number_is_refused_by_its_value(text):
    with pytest.raises(ConversionError, match=f"The text '{text}' is not a decimal number: cannot convert it to "
                                              r"DECIMAL32\(3\)"):
        io.dumps(text, types=[D32, 3])
    with pytest.raises(ConversionError, match=r"\(row 1\) is not a decimal number"):
        io.dumps(["1", text], types=[D64, 3])


def test_decimal_text_overflow_names_the_text_and_type():
    with pytest.raises(ConversionError, match=r"parse `99999999999` to DECIMAL32\(3\) failed: decimal overflow"):
        io.dumps("99999999999", types=[D32, 3])
    assert roundtrip("99999999999", [D64, 3]) == Decimal("99999999999.000")


def test_decimal_text_in_arrays_and_dictionaries():
    assert roundtrip(np.array(["3.14", "nan"]), [D64, 3]).tolist() == decimals(["3.140", None])
    assert roundtrip(np.array([b"1.5", b"-2.25"], dtype="S"), [D32, 1]).tolist() == decimals(["1.5", "-2.3"])
    assert roundtrip({"a": "3.14159", "b": b"-1"}, [None, [D32, 3]]) == {"a": Decimal("3.142"), "b": Decimal("-1.000")}


def test_decimal_array_vectors_take_numbers_and_text_given_a_scale():
    out = roundtrip([["3.14", 2.5], [0.57, "nan"]], [keys.DT_DECIMAL64_ARRAY, 2])
    assert [cell.tolist() for cell in out] == [decimals(["3.14", "2.50"]), decimals(["0.56", None])]
    with pytest.raises(ConversionError, match="Cannot convert object with ANY type to an ArrayVector"):
        io.dumps([["3.14"]], types=keys.DT_DECIMAL64_ARRAY)   # no scale: only Decimals


def test_object_cells_are_not_taken_as_decimal_text():
    # as for numbers, the cells of an object array must be Decimals (the official rule)
    with pytest.raises(ConversionError, match="DECIMAL32"):
        io.dumps(np.array(["3.14"], dtype=object), types=[D32, 3])


@pytest.mark.parametrize("t", [D32, D64])
def test_floats_truncate_the_double_product(t):
    values = [3.14159, -3.14159, 0.29, 0.57, -4.35, 1.0005, np.float32(0.29), float("nan"), float("inf"), None]
    expected = ["3.141", "-3.141", "0.290", "0.570", "-4.350", "1.000", "0.289", None, None, None]
    assert roundtrip(values, [t, 3]).tolist() == decimals(expected)
    assert roundtrip([0.57, -0.57], [t, 2]).tolist() == decimals(["0.56", "-0.56"])
    assert roundtrip(np.array([3.14159, np.nan]), [t, 3]).tolist() == decimals(["3.141", None])
    assert roundtrip(-2.675, [t, 2]) == Decimal("-2.67")


def test_floats_to_decimal128_truncate_the_exact_binary_value():
    assert roundtrip([0.57, 8.2, -2.5], [D128, 3]).tolist() == decimals(["0.569", "8.199", "-2.500"])
    assert roundtrip([0.1], [D128, 20]).tolist() == decimals(["0.10000000000000000555"])
    assert roundtrip([1e20], [D128, 2]).tolist() == decimals(["100000000000000000000.00"])


def test_float_overflow_is_refused():
    with pytest.raises(ConversionError, match=r"to DECIMAL32\(0\) failed: decimal overflow"):
        io.dumps([2147483648.0], types=[D32, 0])
    assert roundtrip([2147483647.0], [D32, 0]).tolist() == decimals(["2147483647"])
    with pytest.raises(ConversionError, match="decimal overflow"):
        io.dumps([1e39], types=[D128, 0])


TEMPORALS = {
    keys.DT_DATE: "datetime64[D]", keys.DT_MONTH: "datetime64[M]", keys.DT_TIME: "datetime64[ms]",
    keys.DT_MINUTE: "datetime64[m]", keys.DT_SECOND: "datetime64[s]", keys.DT_DATETIME: "datetime64[s]",
    keys.DT_TIMESTAMP: "datetime64[ms]", keys.DT_NANOTIME: "datetime64[ns]",
    keys.DT_NANOTIMESTAMP: "datetime64[ns]", keys.DT_DATEHOUR: "datetime64[h]",
}


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"])
@pytest.mark.parametrize("t", sorted(TEMPORALS))
def test_integer_arrays_are_counts_of_a_temporal_types_unit(dtype, t):
    out = roundtrip(np.array([1, 0, 100], dtype=dtype), t)
    assert out.dtype == np.dtype(TEMPORALS[t])
    if t == keys.DT_MONTH:   # months since year 0
        assert out.astype("int64").tolist() == [1 - 1970 * 12, -1970 * 12, 100 - 1970 * 12]
    else:
        assert out.astype("int64").tolist() == [1, 0, 100]


def test_temporal_counts_keep_narrow_minimums_and_map_the_long_null():
    # an int8 / int16 minimum is a count (the official client widens it); INT's and LONG's are NULL
    assert roundtrip(np.array([-128], dtype=np.int8), keys.DT_DATE).tolist()[0].isoformat() == "1969-08-26"
    assert np.isnat(roundtrip(np.array([-(2 ** 31)], dtype=np.int32), keys.DT_DATE)).all()
    assert np.isnat(roundtrip(np.array([-(2 ** 63)], dtype=np.int64), keys.DT_DATE)).all()
    assert np.isnat(roundtrip(np.array([-(2 ** 63)], dtype=np.int64), keys.DT_TIMESTAMP)).all()
    assert roundtrip(np.array([-(2 ** 31)], dtype=np.int32), keys.DT_NANOTIMESTAMP).astype("int64").tolist() == [-(2 ** 31)]


def test_temporal_counts_beyond_the_type_are_refused():
    with pytest.raises(ConversionError, match=r"The value 4294967296 \(row 1\) is out of the range of DATE\."):
        io.dumps(np.array([0, 2 ** 32], dtype=np.int64), types=keys.DT_DATE)
    with pytest.raises(ConversionError, match=r"The value 18446744073709551615 \(row 0\) is out of the range of TIMESTAMP"):
        io.dumps(np.array([2 ** 64 - 1], dtype=np.uint64), types=keys.DT_TIMESTAMP)
    with pytest.raises(ConversionError, match="out of the range of SECOND"):
        io.dumps([2 ** 40], types=keys.DT_SECOND)


def test_float_and_bool_arrays_are_not_temporal_counts():
    with pytest.raises(ConversionError, match="Cannot convert numpy dtype float64 to DATE"):
        io.dumps(np.array([1.5]), types=keys.DT_DATE)
    with pytest.raises(ConversionError, match="Cannot convert numpy dtype bool to DATE"):
        io.dumps(np.array([True]), types=keys.DT_DATE)


def test_object_arrays_keep_infinities_lists_and_typed_arrays_send_null():
    inf = float("inf")
    cells = np.array([3.14, inf, -inf, float("nan"), None], dtype=object)
    for t, dtype in ((keys.DT_DOUBLE, np.float64), (keys.DT_FLOAT, np.float32)):
        out = roundtrip(cells, t)
        assert out.dtype == dtype and out[1] == inf and out[2] == -inf and np.isnan(out[3:]).all()
    assert roundtrip(np.array([1.5, inf], dtype=object), None).tolist() == [1.5, inf]
    assert np.isnan(roundtrip([3.14, inf], keys.DT_DOUBLE)[1])
    assert np.isnan(roundtrip(np.array([3.14, inf]), keys.DT_DOUBLE)[1])


def test_matrices_take_a_forced_type():
    m = np.array([[1, 2, 3], [4, 5, -128]], dtype=np.int8)
    out, rows, cols = roundtrip(m, keys.DT_SHORT)
    assert out.dtype == np.int16 and out.tolist() == m.tolist() and rows is None and cols is None
    assert roundtrip(m, keys.DT_DOUBLE)[0].dtype == np.float64
    assert roundtrip(m, keys.DT_DATE)[0][1, 2] == np.datetime64("1969-08-26")
    with pytest.raises(ConversionError, match="Not allowed to create a matrix with type DECIMAL32"):
        io.dumps(m, types=[D32, 2])
    with pytest.raises(ConversionError, match=r"Vector types cannot be specified as arrays \(e.g., BOOL\[\], INT\[\]\)\."):
        io.dumps(m, types=keys.DT_INT_ARRAY)
