"""Round trips of every DolphinDB type across the forms through our dumps/loads: bytes ->
Python objects -> the same bytes (with the type forced back, since several types share a Python
representation), plus BLOB binary safety, the shape of what loads returns, typed conversion
errors, and the C++ codec agreeing byte for byte with the embedded server's Python codec."""
from __future__ import annotations

import decimal

import numpy as np
import pandas as pd
import pytest
from dolphindb import io
from dolphindb import settings as S

from support import io_corpus

D = decimal.Decimal
UUID = "5d212a78-cc48-e3b1-4235-b4d91473ee87"
TS = np.datetime64("2021-03-04T05:06:07.123456789", "ns")

# type -> (forced type, two non-null values, one null)
TYPES = {
    "BOOL": (S.DT_BOOL, [True, False], None),
    "CHAR": (S.DT_CHAR, [1, -5], None),
    "SHORT": (S.DT_SHORT, [300, -2], None),
    "INT": (S.DT_INT, [70000, -1], None),
    "LONG": (S.DT_LONG, [2**40, -3], None),
    "DATE": (S.DT_DATE, [TS, np.datetime64("1969-02-03", "ns")], None),
    "MONTH": (S.DT_MONTH, [TS, np.datetime64("1800-12-01", "ns")], None),
    "TIME": (S.DT_TIME, [TS, np.datetime64("1970-01-01T23:59:59.999", "ns")], None),
    "MINUTE": (S.DT_MINUTE, [TS, np.datetime64("1970-01-01T00:01", "ns")], None),
    "SECOND": (S.DT_SECOND, [TS, np.datetime64("1970-01-01T00:00:01", "ns")], None),
    "DATETIME": (S.DT_DATETIME, [TS, np.datetime64("1960-01-01T00:00:01", "ns")], None),
    "TIMESTAMP": (S.DT_TIMESTAMP, [TS, np.datetime64("1960-01-01T00:00:00.001", "ns")], None),
    "NANOTIME": (S.DT_NANOTIME, [TS, np.datetime64("1970-01-01T00:00:00.000000001", "ns")], None),
    "NANOTIMESTAMP": (S.DT_NANOTIMESTAMP, [TS, np.datetime64("1900-01-01T00:00:00.000000001", "ns")], None),
    "DATEHOUR": (S.DT_DATEHOUR, [TS, np.datetime64("1960-01-01T05", "ns")], None),
    "FLOAT": (S.DT_FLOAT, [1.5, -2.25], None),
    "DOUBLE": (S.DT_DOUBLE, [1.5, -1e300], None),
    "SYMBOL": (S.DT_SYMBOL, ["a", "bé"], None),
    "STRING": (S.DT_STRING, ["héllo", "x y"], None),
    "UUID": (S.DT_UUID, [UUID, "00000000-0000-0000-0000-000000000001"], None),
    "IPADDR": (S.DT_IPADDR, ["192.168.1.13", "1:2:3:4:5:6:7:8"], None),
    "INT128": (S.DT_INT128, ["e1671797c52e15f763380b45e841ec32", "00000000000000000000000000000001"], None),
    "BLOB": (S.DT_BLOB, [b"a\x00b\xff", b"\x00"], None),
    "DECIMAL32": ([S.DT_DECIMAL32, 2], [D("1.25"), D("-3.10")], None),
    "DECIMAL64": ([S.DT_DECIMAL64, 10], [D("1.0000000001"), D("-7")], None),
    "DECIMAL128": ([S.DT_DECIMAL128, 25], [D("1E-25"), D("-123456789012.5")], None),
}
NO_SCALAR = {"SYMBOL"}                       # DolphinDB has no SYMBOL scalar
ARRAY_VECTOR_TYPES = ["BOOL", "CHAR", "SHORT", "INT", "LONG", "DATE", "MONTH", "TIME", "MINUTE", "SECOND", "DATETIME",
                      "TIMESTAMP", "NANOTIME", "NANOTIMESTAMP", "DATEHOUR", "FLOAT", "DOUBLE", "UUID", "IPADDR",
                      "INT128", "DECIMAL32", "DECIMAL64", "DECIMAL128"]


def _typed(df, types):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # pandas warns about setting an attribute
        df.__DolphinDB_Type__ = types
    return df


def _array_type(forced):
    if isinstance(forced, list):
        return [forced[0] + S.ARRAY_TYPE_BASE, forced[1]]
    return forced + S.ARRAY_TYPE_BASE


@pytest.mark.parametrize("name", sorted(set(TYPES) - NO_SCALAR))
def test_scalar_round_trip(name):
    forced, values, null = TYPES[name]
    for v in values + [null]:
        data = io.dumps(v, types=forced)
        again = io.dumps(io.loads(data), types=forced)
        assert again == data, (v, data.hex(), again.hex())
    assert io.loads(io.dumps(null, types=forced)) is None


@pytest.mark.parametrize("name", sorted(TYPES))
def test_vector_round_trip(name):
    forced, values, null = TYPES[name]
    for items in (values, values + [null], [null, null], []):
        if name in ("DECIMAL32", "DECIMAL64", "DECIMAL128") and not items:
            continue
        data = io.dumps(list(items), types=forced)
        loaded = io.loads(data)
        assert isinstance(loaded, np.ndarray) and len(loaded) == len(items)
        assert io.dumps(loaded, types=forced) == data, (items, data.hex())


@pytest.mark.parametrize("name", sorted(TYPES))
def test_table_column_round_trip(name):
    forced, values, null = TYPES[name]
    df = _typed(pd.DataFrame({"c": pd.Series(values + [null], dtype=object), "n": [1, 2, 3]}), {"c": forced})
    data = io.dumps(df)
    loaded = io.loads(data)
    assert isinstance(loaded, pd.DataFrame) and list(loaded.columns) == ["c", "n"] and len(loaded) == 3
    if loaded["c"].dtype.kind == "M":
        assert str(loaded["c"].dtype) == "datetime64[ns]"
    assert io.dumps(loaded, types={"c": forced}) == data


@pytest.mark.parametrize("name", ARRAY_VECTOR_TYPES)
def test_array_vector_round_trip(name):
    forced, values, null = TYPES[name]
    df = _typed(pd.DataFrame({"a": [values, [values[0], null], [null]]}), {"a": _array_type(forced)})
    data = io.dumps(df)
    loaded = io.loads(data)
    rows = loaded["a"].tolist()
    assert [len(r) for r in rows] == [2, 2, 1] and all(isinstance(r, np.ndarray) for r in rows)
    assert io.dumps(loaded, types={"a": _array_type(forced)}) == data


def test_forms_round_trip():
    assert io.loads(io.dumps({"a": 1})) == {"a": 1}
    assert io.loads(io.dumps({3, 4})) == {3, 4}
    assert io.loads(io.dumps([1, "a", None, [2, 3]]))[:3] == [1, "a", None]
    m, rows, cols = io.loads(io.dumps(np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int32)))
    assert m.dtype == np.int32 and m.tolist() == [[1, 2, 3], [4, 5, 6]] and rows is None and cols is None
    assert io.dumps(m) == io.dumps(np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int32))
    assert io.loads(io.dumps(D("1.23"))) == D("1.23")
    df = io.loads(io.dumps(pd.DataFrame({"a": [1, 2], "s": ["x", "y"]})))
    assert df["a"].tolist() == [1, 2] and df["s"].tolist() == ["x", "y"]


def test_blob_is_binary_safe_unlike_the_official_client():
    data = b"a\x00b\xff"
    assert io.loads(io.dumps(data)) == data
    assert io.loads(io.dumps([data, b""])).tolist() == [data, b""]
    assert io.loads(io.dumps({data})) == {data}
    df = io.loads(io.dumps(pd.DataFrame({"b": [data, b"\x00"]})))
    assert df["b"].tolist() == [data, b"\x00"]


def test_dump_and_load_files(tmp_path):
    path = tmp_path / "x.bin"
    with open(path, "wb") as f:
        io.dump([1, 2, None], f, types=S.DT_INT)
    with open(path, "rb") as f:
        loaded = io.load(f)
    assert np.array_equal(loaded, np.array([1, 2, np.nan]), equal_nan=True)
    assert path.read_bytes() == io.dumps([1, 2, None], types=S.DT_INT)
    assert io.loads(bytearray(io.dumps(5))) == 5 and io.loads(memoryview(io.dumps(6))) == 6


def test_blob_with_nul_bytes_survives_unlike_the_official_client():
    data = b"a\x00b\xff"
    assert io.loads(io.dumps(data)) == data
    assert io.loads(io.dumps([data, b""]))[0] == data


def test_round_trip_of_forms():
    assert io.loads(io.dumps({"a": 1})) == {"a": 1}
    assert io.loads(io.dumps({3, 4})) == {3, 4}
    m = io.loads(io.dumps(np.array([[1, 2], [3, 4]], dtype=np.int32)))
    assert m[0].tolist() == [[1, 2], [3, 4]] and m[1] is None and m[2] is None
    df = io.loads(io.dumps(pd.DataFrame({"a": [1, 2], "s": ["x", "y"]})))
    assert df["a"].tolist() == [1, 2] and df["s"].tolist() == ["x", "y"]
    assert io.loads(io.dumps(decimal.Decimal("1.23"))) == decimal.Decimal("1.23")


def test_conversion_errors_are_typed():
    from dolphindb.exceptions import ConversionError
    with pytest.raises(ConversionError, match="Empty Dictionary creation requires a specific type."):
        io.dumps({})
    with pytest.raises(ConversionError, match="Cannot convert from numpy dtype uint32"):
        io.dumps(np.array([1], dtype=np.uint32))
    with pytest.raises(RuntimeError):
        io.loads(b"\x04\x01\xff\xff\xff\xff")


def test_parity_with_the_server_codec():
    """The server's pure-Python codec and the C++ codec agree byte for byte."""
    from dolphindb import _core
    from dolphindb.server.wire import codec
    from dolphindb.server.model.values import SYMBOL, Table, Vector
    for expr in io_corpus.OBJECTS.values():
        try:
            raw = io.dumps(eval(expr))
        except RuntimeError:
            continue
        assert codec.encode(codec.decode_bytes(raw)) == raw, expr
        assert _core.codec_reencode(raw) == raw, expr
    t = Table({"s": Vector(SYMBOL, np.array(["a", "b", "a"], dtype=object)), "x": Vector(5, np.arange(3))})
    raw = codec.encode(t)
    assert _core.codec_reencode(raw) == raw


def test_dumps_types_keyword_forces_column_types():
    df = pd.DataFrame({"s": ["A", "B"], "i": [1, 2]})
    assert io.dumps(df, types={"s": 17}).hex() == io.dumps(_typed(df.copy(), {"s": 17})).hex()
    # As the official client: types= also forces the type of a scalar, list or array.
    assert io.dumps([1, 2], types=4).hex() == "040102000000010000000100000002000000"
    assert io.dumps(7, types="INT").hex() == "040007000000"
