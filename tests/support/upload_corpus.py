"""Upload objects for the array-vector and Decimal tests. Imported by our tests and, by path, by
the official client's subprocess, so it needs only numpy, pandas and the standard library; the
settings module (DT_* codes) is passed in because each side has its own `dolphindb`."""
from __future__ import annotations

import decimal
import warnings

import numpy as np
import pandas as pd

D = decimal.Decimal


def typed(df: pd.DataFrame, types: dict) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # pandas warns about setting an attribute
        df.__DolphinDB_Type__ = types
    return df


def tables(keys) -> dict:
    """DataFrames both clients upload to the same server-side types and values."""
    return {
        "int_lists": pd.DataFrame({"a": [[1, 2], [3], [4, None]], "k": [1, 2, 3]}),
        "empty_cell": pd.DataFrame({"a": [[], [1, 2]]}),
        "tuple_cells": pd.DataFrame({"a": [(1, 2), (3,)]}),
        "float_lists": pd.DataFrame({"a": [[1.5, None], [2.5], [np.nan]]}),
        "int_float_lists": pd.DataFrame({"a": [[1, 2.5], [3]]}),
        "bool_lists": pd.DataFrame({"a": [[True, False], [None]]}),
        "np_int32_lists": pd.DataFrame({"a": [[np.int32(1), np.int32(2)], [np.int32(3)]]}),
        "nd_int8": pd.DataFrame({"a": [np.array([1, 2], dtype=np.int8), np.array([3], dtype=np.int8)]}),
        "nd_int16": pd.DataFrame({"a": [np.array([1, -2], dtype=np.int16)]}),
        "nd_int32": pd.DataFrame({"a": [np.array([1, 2], dtype=np.int32), np.array([3], dtype=np.int32)]}),
        "nd_int64": pd.DataFrame({"a": [np.arange(5), np.arange(3)]}),
        "nd_int32_int64": pd.DataFrame({"a": [np.array([1], dtype=np.int32), np.array([2], dtype=np.int64)]}),
        "nd_int_float": pd.DataFrame({"a": [np.array([1]), np.array([2.5])]}),
        "nd_float32": pd.DataFrame({"a": [np.array([1.5, np.nan], dtype=np.float32)]}),
        "nd_float64": pd.DataFrame({"a": [np.array([1.5, np.nan]), np.array([3.0])]}),
        "nd_bool": pd.DataFrame({"a": [np.array([True, False]), np.array([True])]}),
        "nd_datetime_ns": pd.DataFrame({"a": [np.array(["2020-01-01T00:00:00.000000001", "NaT"], dtype="datetime64[ns]")]}),
        "nd_datetime_ms": pd.DataFrame({"a": [np.array(["2020-01-01T00:00:00.001"], dtype="datetime64[ms]")]}),
        "nd_date": pd.DataFrame({"a": [np.array(["2020-01-01", "2021-02-03"], dtype="datetime64[D]")]}),
        "series_cells": pd.DataFrame({"a": [pd.Series([1, 2]), pd.Series([3])]}),
        "timestamp_lists": pd.DataFrame({"a": [[pd.Timestamp("2020-01-01")], [pd.Timestamp("2020-01-02 00:00:01")]]}),
        "decimal_lists": pd.DataFrame({"a": [[D("1.50"), D("2.25")], [D("3.00"), None]]}),
        "decimal128_lists": pd.DataFrame({"a": [[D("1.123456789012345678")], [D("3.000000000000000000")]]}),
        "forced_int_array": typed(pd.DataFrame({"a": [[1, 2], [3]]}), {"a": keys.DT_INT_ARRAY}),
        "forced_int_array_by_name": typed(pd.DataFrame({"a": [[1, 2], [3]]}), {"a": "INT[]"}),
        "forced_short_array": typed(pd.DataFrame({"a": [np.array([1, 2]), np.array([3])]}), {"a": keys.DT_SHORT_ARRAY}),
        "forced_date_array": typed(pd.DataFrame({"a": [[np.datetime64("2020-01-01")], []]}), {"a": keys.DT_DATE_ARRAY}),
        "forced_uuid_array": typed(pd.DataFrame({"a": [["5d212a78-cc48-e3b1-4235-b4d91473ee87"], []]}),
                                   {"a": keys.DT_UUID_ARRAY}),
        "forced_decimal64_array": typed(pd.DataFrame({"a": [[D("1.5")], [D("2.25")]]}), {"a": [keys.DT_DECIMAL64_ARRAY, 3]}),
        "forced_decimal128_array": typed(pd.DataFrame({"a": [[D("1.5")], [D("-2.25")]]}),
                                         {"a": [keys.DT_DECIMAL128_ARRAY, 20]}),
        "decimal_column_17_places": pd.DataFrame({"a": [D("1.12345678901234567"), D("2.50000000000000000")]}),
        "decimal_column_18_places": pd.DataFrame({"a": [D("1.123456789012345678"), D("2.5"), None]}),
        "decimal_column_38_places": pd.DataFrame({"a": [D("0." + "1" * 38)]}),
        "decimal_column_nan_inf": pd.DataFrame({"a": [D("NaN"), D("Infinity"), D("2.125")]}),
    }


def objects() -> dict:
    """Non-table uploads: Decimal scalars and sequences."""
    return {
        "decimal_17_places": D("1.12345678901234567"),
        "decimal_18_places": D("1.123456789012345678"),
        "decimal_38_places": D("-0." + "9" * 38),
        "decimal_int64_edge": D("9.22337203685477580"),
        "decimal_nan": D("NaN"),
        "decimal_snan": D("sNaN"),
        "decimal_infinity": D("-Infinity"),
        "decimal_list_17": [D("1.12345678901234567"), D("2.5")],
        "decimal_list_18": [D("1.123456789012345678"), D("2.123456789012345678")],
        "decimal_list_mixed_kinds": [D("1.123456789012345678"), D("2.5")],
        "decimal_list_scales": [D("1.5"), D("2.25"), D("NaN")],
        "decimal_series_18": pd.Series([D("1.123456789012345678"), D("2.123456789012345678")], dtype=object),
        "decimal_object_array_mixed": np.array([D("1.123456789012345678"), D("2.5")], dtype=object),
    }


def failures(keys) -> dict:
    """Uploads both clients refuse with the same message."""
    return {
        "none_cell": pd.DataFrame({"a": [[1, 2], None, [3]]}),
        "nan_cell": pd.DataFrame({"a": [[1, 2], np.nan]}),
        "forced_none_cell": typed(pd.DataFrame({"a": [[1, 2], None]}), {"a": keys.DT_INT_ARRAY}),
        "string_cells": pd.DataFrame({"a": [["x", "y"], ["z"]]}),
        "string_ndarray_cells": pd.DataFrame({"a": [np.array(["x"])]}),
        "decimal_positive_exponent": D("1E+3"),
    }
