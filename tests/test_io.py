"""dolphindb.io against the official client's dolphindb.io (its own venv) on a corpus of objects."""
from __future__ import annotations

import decimal
import json

import numpy as np
import pandas as pd
import pytest
from dolphindb import io

CORPUS = {  # name -> Python expression evaluated in both interpreters (numpy as np, pandas as pd)
    "none": "None", "true": "True", "false": "False", "int": "42", "negint": "-7", "bigint": "2**62",
    "float": "1.5", "nan": "float('nan')", "str": "'héllo'", "emptystr": "''", "bytes": "b'ab'",
    "i8": "np.int8(5)", "i16": "np.int16(-3)", "i32": "np.int32(7)", "i64": "np.int64(9)",
    "f32": "np.float32(2.5)", "f64": "np.float64(0.25)", "bool_": "np.bool_(True)",
    "dt_D": "np.datetime64('2024-01-02', 'D')", "dt_ms": "np.datetime64('2024-01-02T03:04:05.678', 'ms')",
    "dt_ns": "np.datetime64('2024-01-02T03:04:05.123456789', 'ns')", "dt_M": "np.datetime64('2024-03', 'M')",
    "dt_h": "np.datetime64('2024-01-02T05', 'h')", "dt_s": "np.datetime64('2024-01-02T03:04:05', 's')",
    "dec": "__import__('decimal').Decimal('1.23')",
    "list_int": "[1, 2, 3]", "list_null": "[1, None, 3]", "list_float": "[1, 1.5]", "list_str": "['a', None, 'b']",
    "list_mixed": "[1, 'a']", "list_nested": "[[1, 2], [3]]", "list_bool": "[True, None]", "list_empty": "[]",
    "arr_i32": "np.array([1, 2, 3], dtype=np.int32)", "arr_i64": "np.arange(5)", "arr_f": "np.array([1.0, np.nan])",
    "arr_f32": "np.array([1.5, 2.5], dtype=np.float32)", "arr_bool": "np.array([True, False])",
    "arr_i8": "np.array([1, -1], dtype=np.int8)", "arr_i16": "np.array([1, -1], dtype=np.int16)",
    "arr_str": "np.array(['x', 'yz'])", "arr_dt_ns": "np.array(['2024-01-01', 'NaT'], dtype='datetime64[ns]')",
    "arr_dt_ms": "np.array(['2024-01-01T00:00:00.001'], dtype='datetime64[ms]')",
    "arr_dt_D": "np.array(['2024-01-01', '2024-02-01'], dtype='datetime64[D]')",
    "matrix": "np.array([[1, 2], [3, 4]], dtype=np.int32)", "matrix_f": "np.arange(6, dtype=np.float64).reshape(2, 3)",
    "set": "{1, 2}", "dict": "{'a': 1, 'b': 2}", "dict_str": "{'a': 'x'}",
    "df": "pd.DataFrame({'i': np.array([1, 2], dtype=np.int32), 'd': [1.5, np.nan], 's': ['u', 'v']})",
    "df_ts": "pd.DataFrame({'t': np.array(['2024-01-01T00:00:00.001', 'NaT'], dtype='datetime64[ms]'), 'b': [True, False]})",
    "df_long": "pd.DataFrame({'x': np.arange(1000)})",
    "series": "pd.Series([1.0, 2.0])",
}


def test_dumps_is_byte_identical_to_the_official_client(official):
    code = f"""
import json, numpy as np, pandas as pd
import dolphindb.io as io
out = {{}}
for name, expr in {CORPUS!r}.items():
    try:
        out[name] = io.dumps(eval(expr)).hex()
    except Exception as e:
        out[name] = "error: " + str(e)
print(json.dumps(out))
"""
    expected = json.loads(official(code).strip().splitlines()[-1])
    mismatches = {}
    for name, expr in CORPUS.items():
        if expected[name].startswith("error"):
            continue
        ours = io.dumps(eval(expr)).hex()
        if ours != expected[name]:
            mismatches[name] = (ours, expected[name])
    assert not mismatches, mismatches
    assert sum(not v.startswith("error") for v in expected.values()) >= 50


def test_loads_returns_what_the_official_loads_returns(official):
    code = f"""
import json, numpy as np, pandas as pd
import dolphindb.io as io
out = {{}}
for name, expr in {CORPUS!r}.items():
    try:
        out[name] = [io.dumps(eval(expr)).hex(), repr(io.loads(io.dumps(eval(expr))))]
    except Exception as e:
        pass
print(json.dumps(out))
"""
    expected = json.loads(official(code).strip().splitlines()[-1])
    mismatches = {}
    for name, (hexdata, text) in expected.items():
        ours = repr(io.loads(bytes.fromhex(hexdata)))
        if ours != text:
            mismatches[name] = (ours, text)
    assert not mismatches, mismatches


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
    for expr in CORPUS.values():
        try:
            raw = io.dumps(eval(expr))
        except RuntimeError:
            continue
        assert codec.encode(codec.decode_bytes(raw)) == raw, expr
        assert _core.codec_reencode(raw) == raw, expr
    t = Table({"s": Vector(SYMBOL, np.array(["a", "b", "a"], dtype=object)), "x": Vector(5, np.arange(3))})
    raw = codec.encode(t)
    assert _core.codec_reencode(raw) == raw


FORCED = [("s", 17), ("s", "SYMBOL"), ("s", 32), ("s", 18), ("i", 4), ("i", "INT"), ("i", 5), ("t", 6), ("t", 7),
          ("t", 8), ("t", 9), ("t", 10), ("t", 11), ("t", 12), ("t", 13), ("t", 14), ("t", 28), ("f", 15),
          ("f", [37, 2]), ("f", [38, 4])]
FORCED_FRAME = """pd.DataFrame({'s': ['A', 'B', 'A', ''], 'i': [1, 2, 3, None],
                     't': pd.to_datetime(['2024-01-02T03:04:05.678'] * 4), 'f': [1.5, 2.5, np.nan, 4.0]})"""


def _dumps_forced(col, t):
    import warnings
    df = eval(FORCED_FRAME)[[col]].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # pandas warns about setting an attribute
        df.__DolphinDB_Type__ = {col: t}
    return io.dumps(df).hex()


def test_forced_column_types_match_the_official_client(official):
    code = f"""
import json, warnings, numpy as np, pandas as pd
import dolphindb.io as io
warnings.simplefilter("ignore")
out = {{}}
for col, t in {FORCED!r}:
    df = ({FORCED_FRAME})[[col]].copy()
    df.__DolphinDB_Type__ = {{col: t}}
    out[f"{{col}}-{{t}}"] = io.dumps(df).hex()
print(json.dumps(out))
"""
    expected = json.loads(official(code).strip().splitlines()[-1])
    mismatches = {k: (_dumps_forced(c, t), expected[f"{c}-{t}"]) for c, t in FORCED
                  for k in [f"{c}-{t}"] if _dumps_forced(c, t) != expected[k]}
    assert not mismatches, mismatches


def test_forced_narrow_integer_keeps_nulls_unlike_the_official_client():
    # The official client writes 0 for a NaN forced to SHORT or CHAR, losing the NULL; we keep it.
    assert _dumps_forced("i", 3).endswith("01000200030000" + "80")
    assert _dumps_forced("i", 2).endswith("01020380")
    from dolphindb.exceptions import ConversionError
    with pytest.raises(ConversionError, match="Cannot convert pandas dtype str to INT."):   # the official text
        _dumps_forced("s", 4)


def test_dumps_types_keyword_forces_column_types():
    df = pd.DataFrame({"s": ["A", "B"], "i": [1, 2]})
    assert io.dumps(df, types={"s": 17}).hex() == _dumps_forced_frame(df, {"s": 17})
    # As the official client: types= also forces the type of a scalar, list or array.
    assert io.dumps([1, 2], types=4).hex() == "040102000000010000000100000002000000"
    assert io.dumps(7, types="INT").hex() == "040007000000"


def _dumps_forced_frame(df, forced):
    import warnings
    df = df.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df.__DolphinDB_Type__ = forced
    return io.dumps(df).hex()
