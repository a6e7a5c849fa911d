"""Array-vector and Decimal uploads, our client against our server: server-side types (typestr,
schema), values read back, the three ways in (Session.upload, run(fn, df), the pool), the
embedded server's array-vector functions, and the typed errors for cells and decimals that
cannot be uploaded. The official client's agreement is in test_differential_uploads.py."""
from __future__ import annotations

import decimal
import re

import numpy as np
import pandas as pd
import pytest

import dolphindb as ddb
import dolphindb.settings as keys
from dolphindb.exceptions import ConversionError, ServerError

from support import upload_corpus as corpus

D = decimal.Decimal


@pytest.fixture
def session(server):
    s = ddb.Session(protocol=keys.PROTOCOL_DDB)
    assert s.connect("127.0.0.1", server.port, "admin", "123456")
    yield s
    s.close()


def rows(column) -> list:
    """An array-vector column as lists, NULL elements as None."""
    out = []
    for cell in column:
        values = cell.tolist() if cell.dtype.kind != "M" else [None if np.isnat(v) else str(v) for v in cell]
        out.append([None if isinstance(v, float) and np.isnan(v) else v for v in values])
    return out


# column -> (server-side type, rows read back)
ARRAY_COLUMNS = {
    "int_lists": ("LONG[]", [[1, 2], [3], [4, None]]),
    "empty_cell": ("LONG[]", [[None], [1, 2]]),
    "tuple_cells": ("LONG[]", [[1, 2], [3]]),
    "float_lists": ("DOUBLE[]", [[1.5, None], [2.5], [None]]),
    "int_float_lists": ("DOUBLE[]", [[1.0, 2.5], [3.0]]),
    "bool_lists": ("BOOL[]", [[True, False], [None]]),
    "np_int32_lists": ("INT[]", [[1, 2], [3]]),
    "nd_int8": ("CHAR[]", [[1, 2], [3]]),
    "nd_int16": ("SHORT[]", [[1, -2]]),
    "nd_int32": ("INT[]", [[1, 2], [3]]),
    "nd_int64": ("LONG[]", [[0, 1, 2, 3, 4], [0, 1, 2]]),
    "nd_int32_int64": ("LONG[]", [[1], [2]]),
    "nd_int_float": ("DOUBLE[]", [[1.0], [2.5]]),
    "nd_float32": ("FLOAT[]", [[1.5, None]]),
    "nd_float64": ("DOUBLE[]", [[1.5, None], [3.0]]),
    "nd_bool": ("BOOL[]", [[True, False], [True]]),
    "nd_datetime_ns": ("NANOTIMESTAMP[]", [["2020-01-01T00:00:00.000000001", None]]),
    "nd_datetime_ms": ("TIMESTAMP[]", [["2020-01-01T00:00:00.001"]]),
    "nd_date": ("DATE[]", [["2020-01-01", "2021-02-03"]]),
    "series_cells": ("LONG[]", [[1, 2], [3]]),
    "timestamp_lists": ("TIMESTAMP[]", [["2020-01-01T00:00:00.000"], ["2020-01-02T00:00:01.000"]]),
    "decimal_lists": ("DECIMAL64[]", [[D("1.50"), D("2.25")], [D("3.00"), None]]),
    "decimal128_lists": ("DECIMAL128[]", [[D("1.123456789012345678")], [D("3.000000000000000000")]]),
    "forced_int_array": ("INT[]", [[1, 2], [3]]),
    "forced_int_array_by_name": ("INT[]", [[1, 2], [3]]),
    "forced_short_array": ("SHORT[]", [[1, 2], [3]]),
    "forced_date_array": ("DATE[]", [["2020-01-01"], [None]]),
    "forced_uuid_array": ("UUID[]", [["5d212a78-cc48-e3b1-4235-b4d91473ee87"], ["00000000-0000-0000-0000-000000000000"]]),
    "forced_decimal64_array": ("DECIMAL64[]", [[D("1.500")], [D("2.250")]]),
    "forced_decimal128_array": ("DECIMAL128[]", [[D("1.5").quantize(D("1e-20"))], [D("-2.25").quantize(D("1e-20"))]]),
}


def _schema_type(type_name, rows):
    """schema() names a DECIMAL array vector with its scale: DECIMAL64(2)[]."""
    if not type_name.startswith("DECIMAL"):
        return type_name
    return f"{type_name[:-2]}({-rows[0][0].as_tuple().exponent})[]"


@pytest.mark.parametrize("name", sorted(ARRAY_COLUMNS))
def test_list_cells_upload_as_array_vectors(session, name):
    df = corpus.tables(keys)[name]
    expected_type, expected_rows = ARRAY_COLUMNS[name]
    session.upload({"x": df})
    assert session.run("typestr(x.a)") == f"FAST {expected_type} VECTOR"
    assert session.run("schema(x).colDefs")["typeString"].tolist()[0] == _schema_type(expected_type, expected_rows)
    assert rows(session.run("x")["a"]) == expected_rows
    got = session.run("rowSize(x.a)").tolist()
    assert got == [len(r) for r in expected_rows]


def test_array_vectors_through_function_calls_and_the_pool(server, session):
    session.run("t = table(1:0, `k`a`d, [INT, INT[], DOUBLE[]])")
    df = pd.DataFrame({"k": np.array([1, 2, 3], dtype=np.int32),
                       "a": [[1, 2], [3], []],                      # LONG[] cast to the column's INT[]
                       "d": [np.array([1.5, np.nan]), np.array([2.5]), np.array([3.5, 4.5])]})
    assert session.run("tableInsert{t}", df) == 3
    assert session.run("rows", df) == 3
    back = session.run("select * from t where k >= 2")
    assert back["k"].tolist() == [2, 3]
    assert rows(back["a"]) == [[3], [None]] and rows(back["d"]) == [[2.5], [3.5, 4.5]]
    assert session.run("typestr(t.a)") == "FAST INT[] VECTOR"
    name = "pool_av_" + str(server.port)
    session.run(f"share table(1:0, `k`a, [INT, DOUBLE[]]) as {name}")
    pool = ddb.DBConnectionPool("127.0.0.1", server.port, 2, "admin", "123456")
    try:
        frames = [pd.DataFrame({"k": np.array([i], dtype=np.int32), "a": [np.arange(i, dtype=np.float64)]})
                  for i in range(1, 9)]
        futures = [pool.runTaskAsync(f"tableInsert{{{name}}}", f) for f in frames]
        assert [f.result(10) for f in futures] == [1] * 8
    finally:
        pool.shutDown()
    back = session.run(f"select * from {name} order by k")
    assert rows(back["a"]) == [[float(j) for j in range(i)] for i in range(1, 9)]


def test_many_ndarray_cells_take_the_typed_path_and_keep_every_value(session):
    rng = np.random.default_rng(7)
    cells = [rng.random(int(n)) for n in rng.integers(1, 8, 20_000)]
    session.upload({"big": pd.DataFrame({"a": cells})})
    assert session.run("typestr(big.a)") == "FAST DOUBLE[] VECTOR"
    back = session.run("big")["a"]
    assert len(back) == len(cells) and all(np.array_equal(a, b) for a, b in zip(back, cells))
    # The same cells forced to FLOAT[] leave the typed path and are converted element by element.
    forced = corpus.typed(pd.DataFrame({"a": cells[:100]}), {"a": keys.DT_FLOAT_ARRAY})
    session.upload({"small": forced})
    assert session.run("typestr(small.a)") == "FAST FLOAT[] VECTOR"
    assert all(np.allclose(a, b) for a, b in zip(session.run("small")["a"], cells[:100]))


def test_choices_beyond_the_official_client(session):
    """Where the official client refuses (or loses digits), we upload every value exactly."""
    cases = {
        # a column's DECIMAL scale is its largest, not its first element's
        "mixed_scale_column": (pd.DataFrame({"a": [D("1.5"), D("2.125"), None]}), "DECIMAL64",
                               [D("1.500"), D("2.125"), None]),
        # list cells of several scales and of DECIMAL64 with DECIMAL128
        "mixed_scale_cells": (pd.DataFrame({"a": [[D("1.5")], [D("2.125")]]}), "DECIMAL64[]", [[D("1.500")], [D("2.125")]]),
        "mixed_kind_cells": (pd.DataFrame({"a": [[D("1.123456789012345678")], [D("3.5")]]}), "DECIMAL128[]",
                             [[D("1.123456789012345678")], [D("3.500000000000000000")]]),
        # more digits than DECIMAL64 holds
        "wide_integer_column": (pd.DataFrame({"a": [D("123456789012345678901234"), D("2.125")]}), "DECIMAL128",
                                [D("123456789012345678901234.000"), D("2.125")]),
        # only empty or NULL cells: DOUBLE[] (the type of an empty list)
        "empty_cells": (pd.DataFrame({"a": [[], [None]]}), "DOUBLE[]", [[None], [None]]),
    }
    for name, (df, expected_type, expected) in cases.items():
        session.upload({"x": df})
        assert session.run("typestr(x.a)") == f"FAST {expected_type} VECTOR", name
        column = session.run("x")["a"]
        got = rows(column) if expected_type.endswith("[]") else list(column)
        assert got == expected and [str(v) for v in got] == [str(v) for v in expected], name


DECIMAL_SCALARS = [   # value, server type, text the server prints
    (D("1.12345678901234567"), "DECIMAL64", "1.12345678901234567"),
    (D("1.123456789012345678"), "DECIMAL128", "1.123456789012345678"),
    (D("-0." + "9" * 38), "DECIMAL128", "-0." + "9" * 38),
    (D("9.22337203685477580"), "DECIMAL64", "9.22337203685477580"),
    (D("99.99999999999999999"), "DECIMAL128", "99.99999999999999999"),     # 19 digits: beyond DECIMAL64
    (D("1234567890123456789012345678901234567"), "DECIMAL128", "1234567890123456789012345678901234567"),
    (D("-12"), "DECIMAL64", "-12"),
    (D("0.000"), "DECIMAL64", "0.000"),
]


@pytest.mark.parametrize("value,server_type,text", DECIMAL_SCALARS, ids=[t for _, _, t in DECIMAL_SCALARS])
def test_decimal_scalars_keep_every_digit(session, value, server_type, text):
    session.upload({"x": value})
    assert session.run("typestr(x)") == server_type
    assert session.run("string(x)") == text
    back = session.run("x")
    assert isinstance(back, D) and back == value and str(back) == str(value)
    assert session.run("typestr", value) == server_type   # as a function argument


def test_decimal_sequences_and_nulls(session):
    session.upload({"v": [D("1.123456789012345678"), D("NaN"), D("-2.000000000000000001")]})
    assert session.run("typestr(v)") == "FAST DECIMAL128 VECTOR"
    assert session.run("v").tolist() == [D("1.123456789012345678"), None, D("-2.000000000000000001")]
    for null in (D("NaN"), D("sNaN"), D("Infinity"), D("-Infinity")):
        session.upload({"n": null})
        assert session.run("typestr(n)") == "DECIMAL64" and session.run("isNull(n)") is True
    # a list whose values need more digits than DECIMAL64 at the list's scale widens to DECIMAL128
    session.upload({"w": [D("123456789012345678"), D("0.12")]})
    assert session.run("typestr(w)") == "FAST DECIMAL128 VECTOR"
    assert [str(x) for x in session.run("w")] == ["123456789012345678.00", "0.12"]


DECIMAL_ERRORS = [
    (D("0." + "1" * 39), "Scale out of bound (valid range: [0, 38], but get: 39)"),
    (D("1" * 30 + ".123456789012345678"),
     "parse `111111111111111111111111111111.123456789012345678` to DECIMAL128(18) failed: decimal overflow"),
    (D("1E+3"), "Scale out of bound (valid range: [0, 18], but get: -3)"),
    (pd.DataFrame({"a": [D("0." + "1" * 39)]}), "Scale out of bound (valid range: [0, 38], but get: 39)"),
    (corpus.typed(pd.DataFrame({"a": [D("999999.5")]}), {"a": [keys.DT_DECIMAL32, 4]}),
     "parse `999999.5` to DECIMAL32(4) failed: decimal overflow"),
]


@pytest.mark.parametrize("obj,message", DECIMAL_ERRORS, ids=[m[:30] for _, m in DECIMAL_ERRORS])
def test_decimals_out_of_range_are_conversion_errors(session, obj, message):
    with pytest.raises(ConversionError) as info:
        session.upload({"x": obj})
    assert str(info.value) == message
    assert session.run("1 + 1") == 2   # refused before anything was sent


CELL_ERRORS = [
    (pd.DataFrame({"a": [[1, 2], None, [3]]}), 'The value None (column "a", row 1) must be of LONG type.'),
    (pd.DataFrame({"a": [[1.5], 7]}), 'The value 7 (column "a", row 1) must be of DOUBLE type.'),
    (pd.DataFrame({"a": [[1, 2], [3]], "b": [[1], pd.NA]}), 'The value <NA> (column "b", row 1) must be of LONG type.'),
    (corpus.typed(pd.DataFrame({"a": [[1], None]}), {"a": keys.DT_DATE_ARRAY}),
     'The value None (column "a", row 1) must be of DATE[] type.'),
    (pd.DataFrame({"a": [[1, "x"], [2]]}), "Not allowed to create a vector with type ANY[]"),       # official texts
    (pd.DataFrame({"a": [[[1], [2]], [[3]]]}), "Not allowed to create a vector with type UNKNOWN[]"),
    (pd.DataFrame({"a": [[b"x"], [b"y"]]}), "Not allowed to create a vector with type BLOB[]"),
    (corpus.typed(pd.DataFrame({"a": [["x"]]}), {"a": keys.DT_SYMBOL_ARRAY}), "Not allowed to create a vector with type SYMBOL[]"),
]


@pytest.mark.parametrize("df,message", CELL_ERRORS, ids=[m[:40] for _, m in CELL_ERRORS])
def test_cells_that_cannot_become_rows_are_conversion_errors(session, df, message):
    for send in (lambda: session.upload({"x": df}), lambda: session.run("rows", df)):
        with pytest.raises(ConversionError) as info:
            send()
        assert str(info.value) == message
    assert session.run("1 + 1") == 2
    # dolphindb.io refuses the same way, without a column to name for a bare list of cells
    with pytest.raises(ConversionError):
        ddb.io.dumps(df)


def test_forced_array_type_on_a_plain_list_names_the_row():
    with pytest.raises(ConversionError, match=r"^The value 5 \(row 1\) must be of INT\[\] type\.$"):
        ddb.io.dumps([[1], 5], types=keys.DT_INT_ARRAY)
    back = ddb.io.loads(ddb.io.dumps([[1], []], types=keys.DT_INT_ARRAY))
    assert back[0].tolist() == [1] and len(back[1]) == 1 and np.isnan(back[1][0])   # the empty cell: one NULL


def test_server_array_vector_functions(session):
    assert rows(session.run("arrayVector(2 3 4, [1,2,3,4])")) == [[1, 2], [3], [4]]
    assert session.run("typestr(arrayVector(1 4 7, [1.0,2.1,4.1,6.8,0.5,2.2,2]))") == "FAST DOUBLE[] VECTOR"
    assert rows(session.run("arrayVector(1 3, 2022.01.01 + 0 1 2 3 4)")) == [["2022-01-01"], ["2022-01-02", "2022-01-03"]]
    assert session.run("rowSize(arrayVector(2 3 4, [1,2,3,4]))").tolist() == [2, 1, 1]
    assert session.run("flatten(arrayVector(2 3, 1 2 3 4))").tolist() == [1, 2, 3]
    assert rows(session.run("x = array(INT[], 0); x.append!([1 2, 3]); x")) == [[1, 2], [3]]
    session.run("t = table(1:0, `a, [DOUBLE[]])")
    session.run("tableInsert(t, arrayVector(1 3, 1 2 3))")           # INT elements cast to DOUBLE
    assert rows(session.run("t")["a"]) == [[1.0], [2.0, 3.0]]
    for script, message in [
        ("arrayVector(2 3, `a`b`c)", "Not allowed to create a vector with type STRING[]"),
        ("arrayVector(3 2, 1 2 3)", "strictly increasing positive integers"),
        ("arrayVector(0 2, 1 2 3)", "strictly increasing positive integers"),
        ("arrayVector(2 5, 1 2 3)", "exceeds the size of 'value'"),
        ("arrayVector(2.5 3.5, 1 2 3)", "must be an integral vector"),
    ]:
        with pytest.raises(ServerError, match=re.escape(message)):
            session.run(script)
    # uploaded DECIMAL rows inserted into a column of another scale are rescaled exactly
    session.upload({"d": pd.DataFrame({"x": [[D("1.5")], [D("2.25"), None]]})})
    session.upload({"e": pd.DataFrame({"x": [[D("0.125")]]})})
    session.run("tableInsert(d, e)")
    assert rows(session.run("d")["x"]) == [[D("1.50")], [D("2.25"), None], [D("0.13")]]


@pytest.mark.parametrize("dtype", ["str", "string[pyarrow]", "large_string[pyarrow]", "string[python]", object])
def test_string_columns_of_every_pandas_storage_upload_alike(session, dtype):
    """pyarrow-backed string columns are read from their Arrow buffers, the others cell by cell:
    the server sees the same STRING column either way (nulls as empty strings)."""
    values = ["a", None, "ccc", "", "\u00e9\u4e2d", "x" * 300] * 1000
    if dtype == "large_string[pyarrow]":
        import pyarrow as pa
        column = pd.Series(pd.arrays.ArrowExtensionArray(pa.array(values, pa.large_string())))
    else:
        column = pd.Series(values, dtype=dtype)
    df = pd.DataFrame({"s": column, "i": np.arange(len(values), dtype=np.int32)})
    session.upload({"t": df})
    assert session.run("exec typeString from schema(t).colDefs").tolist() == ["STRING", "INT"]
    got = session.run("exec s from t")
    assert [str(x) for x in got] == ["" if v is None else v for v in values]
    sliced = df.iloc[1000:1003]           # an Arrow array with an offset into its buffers
    session.upload({"u": sliced})
    assert session.run("exec s from u").tolist() == ["" if v is None else v for v in values[1000:1003]]


# ------------------------------------------------------------------ forced types on object cells
def test_integers_in_object_cells_are_raw_counts_of_a_forced_temporal_type(session):
    # As the official client: 3 in a DATE column is 1970.01.04, in a TIMESTAMP one 3 ms past 1970.
    df = corpus.typed(pd.DataFrame({"d": [3, None], "ts": [np.int64(3), 1], "av": [[3, None], [1]]}, dtype=object),
                      {"d": keys.DT_DATE, "ts": keys.DT_TIMESTAMP, "av": keys.DT_DATE_ARRAY})
    session.upload({"t": df})
    assert session.run("typestr(t.d) + ' ' + typestr(t.ts) + ' ' + typestr(t.av)") == \
        "FAST DATE VECTOR FAST TIMESTAMP VECTOR FAST DATE[] VECTOR"
    assert session.run("string(t.d)").tolist() == ["1970.01.04", ""]
    assert session.run("string(t.ts)").tolist() == ["1970.01.01T00:00:00.003", "1970.01.01T00:00:00.001"]
    assert session.run("string(flatten(t.av))").tolist() == ["1970.01.04", "", "1970.01.02"]


@pytest.mark.parametrize("cells,type_,message", [
    ([1.5, None], keys.DT_INT, 'The value 1.5 (column "a", row 0) must be of INT type.'),        # not truncated
    (["x"], keys.DT_BOOL, 'The value x (column "a", row 0) must be of BOOL type.'),            # not True
    ([True], keys.DT_BLOB, 'The value True (column "a", row 0) must be of BLOB type.'),       # not b"True"
    ([None, 1.5], keys.DT_DECIMAL32, 'The value 1.5 (column "a", row 1) must be of DECIMAL32 type.'),
    ([[1.5, None]], keys.DT_INT_ARRAY, 'The value [1.5, None] (column "a", row 0) must be of INT[] type.'),
    ([[1, 2]], keys.DT_DECIMAL32_ARRAY, "Cannot convert object with ANY type to an ArrayVector."),
    # Deliberate: the official text names `<NULL>` one row past the end for these; ours the value.
    ([None, "x"], keys.DT_UUID, 'The value x (column "a", row 1) must be of UUID type.'),
    ([[None], ["1.1.1"]], keys.DT_IPADDR_ARRAY, "The value ['1.1.1'] (column \"a\", row 1) must be of IPADDR[] type."),
])
def test_a_forced_type_refuses_values_it_would_corrupt(session, cells, type_, message):
    df = corpus.typed(pd.DataFrame({"a": cells}, dtype=object), {"a": type_})
    with pytest.raises(ConversionError) as info:
        session.upload({"t": df})
    assert str(info.value) == message
    # Outside a table the official text names the Python type.
    if type_ < keys.DT_BOOL_ARRAY and cells[0] is not None:
        with pytest.raises(ConversionError, match=r"^Cannot convert \w+ to \w+\.$"):
            ddb.io.dumps(cells[:1], types=type_)
