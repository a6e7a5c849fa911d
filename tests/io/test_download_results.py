"""What a download hands the user: DataFrames with the dtypes, labels and index pandas' own
dict constructor gives, and large results in memory of their own even though the client reuses
the blocks of results the user dropped."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import dolphindb as ddb
from dolphindb import settings as S

WIDE = """
n = 4
t = table(take([true, false], n) as b, take([true, NULL], n) as bn, take(1c, n) as c, take(1h, n) as h,
  1..n as i, take([1, NULL], n) as inull, take(1l, n) as l, take(1.5f, n) as f, take([1.5, NULL], n) as d,
  take(2024.01.02, n) as date, take(2024.01M, n) as month, take(12:00:00.001, n) as time,
  take(12:01m, n) as minute, take(12:00:01, n) as second, take(2024.01.02T12:00:00, n) as datetime,
  take(2024.01.02T12:00:00.001, n) as ts, take(12:00:00.000000001, n) as nanotime,
  take(2024.01.02T12:00:00.000000001, n) as nts, take(datehour(2024.01.02T12:00:00), n) as dh,
  take(`a`b, n) as str, symbol(take(`x`y, n)) as sym, take(blob(`q), n) as blb,
  take(uuid('5d212a78-cc48-e3b1-4235-b4d91473ee87'), n) as uid, take(ipaddr('192.168.1.13'), n) as ip,
  take(int128('e1671797c52e15f763380b45e841ec32'), n) as i128, take(decimal32(1.25, 2), n) as d32,
  take(decimal64(1.25, 3), n) as d64, take(decimal128(1.25, 4), n) as d128)
"""
PANDAS3 = int(pd.__version__.split(".")[0]) >= 3
TEXT = "str" if PANDAS3 else "object"   # pandas 3 infers its string dtype for columns of str
NS = "datetime64[ns]"
DTYPES = {
    "b": "bool", "bn": "object", "c": "int8", "h": "int16", "i": "int32", "inull": "float64",
    "l": "int64", "f": "float32", "d": "float64", "date": NS, "month": NS, "time": NS, "minute": NS,
    "second": NS, "datetime": NS, "ts": NS, "nanotime": NS, "nts": NS, "dh": NS, "str": TEXT,
    "sym": TEXT, "blb": "object", "uid": TEXT, "ip": TEXT, "i128": TEXT, "d32": "object",
    "d64": "object", "d128": "object",
}
# An empty table keeps its text columns as object arrays (nothing for pandas to infer from).
EMPTY_DTYPES = dict(DTYPES, bn="bool", inull="int32", str="object", sym="object", uid="object",
                    ip="object", i128="object")
PROTOCOLS = {"DDB": S.PROTOCOL_DDB, "PICKLE": S.PROTOCOL_PICKLE}


@pytest.fixture(params=list(PROTOCOLS))
def session(request, server):
    s = ddb.Session(protocol=PROTOCOLS[request.param])
    assert s.connect("127.0.0.1", server.port, "admin", "123456")
    yield s
    s.close()


def assert_pandas_own_frame(df: pd.DataFrame, dtypes: dict):
    assert {c: str(t) for c, t in df.dtypes.items()} == dtypes
    assert list(df.columns) == list(dtypes)
    assert df.columns.dtype == pd.Index(list(dtypes)).dtype
    assert isinstance(df.index, pd.RangeIndex) and df.index.equals(pd.RangeIndex(len(df)))
    # The dict constructor given the frame's own columns makes an equal frame.
    rebuilt = pd.DataFrame({c: df[c].array for c in df.columns}, copy=False)
    pd.testing.assert_frame_equal(df, rebuilt)


def test_table_dtypes_are_the_dict_constructors(session):
    session.run(WIDE)
    df = session.run("t")
    assert_pandas_own_frame(df, DTYPES)
    assert df["ts"].iloc[0] == pd.Timestamp("2024-01-02T12:00:00.001")
    assert df["sym"].tolist() == ["x", "y", "x", "y"]
    assert df["inull"].isna().tolist() == [False, True, False, True]
    assert_pandas_own_frame(session.run("select top 0 * from t"), EMPTY_DTYPES)


def test_frames_of_the_same_table_are_independent(session):
    session.run("t = table(1..10 as i, double(1..10) as d, string(1..10) as s, timestamp(1..10) as ts)")
    first = session.run("t")
    first.columns.name = "renamed"
    first.iloc[0, 0] = 100
    first.loc[1, "s"] = "changed"
    second = session.run("t")
    assert second.columns.name is None
    assert second["i"].tolist() == list(range(1, 11))
    assert second["s"].tolist() == [str(k) for k in range(1, 11)]
    assert first["i"].iloc[0] == 100 and first["s"].iloc[1] == "changed"
    # Same labels, different order and a repeated label: each frame gets its own labels.
    assert list(session.run("select d, i from t").columns) == ["d", "i"]
    assert list(session.run("select i, i as i2, d from t").columns) == ["i", "i2", "d"]


def address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def test_large_results_never_alias_reused_memory(server):
    # 2M doubles (16 MB) and ints (8 MB): large blocks, kept for reuse once a result is dropped.
    s = ddb.Session(protocol=S.PROTOCOL_DDB)
    assert s.connect("127.0.0.1", server.port, "admin", "123456")
    n = 2_000_000
    s.run(f"v = double(0..{n - 1}); w = 0..{n - 1}; big = table(v, w)")
    expected = np.arange(n, dtype=np.float64)
    first = s.run("v")
    second = s.run("v")
    assert not np.shares_memory(first, second)
    first[:] = -1.0
    np.testing.assert_array_equal(second, expected)
    freed = address(second)
    del second
    third = s.run("v")   # the dropped result's block is reused, not the one the user still holds
    assert address(third) == freed
    np.testing.assert_array_equal(third, expected)
    assert (first == -1.0).all()
    view = third[::2]   # a view keeps the block alive after the array itself is gone
    del third
    fourth = s.run("v")
    assert not np.shares_memory(view, fourth)
    np.testing.assert_array_equal(view, expected[::2])
    fourth[:] = 7.0
    np.testing.assert_array_equal(view, expected[::2])
    # Frames: a column of a kept frame is never the memory of the next download.
    frame = s.run("big")
    kept = frame["v"]
    del frame
    again = s.run("big")
    assert not np.shares_memory(kept.to_numpy(), again["v"].to_numpy())
    np.testing.assert_array_equal(kept.to_numpy(), expected)
    np.testing.assert_array_equal(again["w"].to_numpy(), expected.astype(np.int32))
    s.close()


def test_text_columns_of_every_length_keep_their_values_and_dtype(session):
    # Entries around the width a SYMBOL row is copied with (16 bytes), empty (NULL) strings,
    # multi-byte UTF-8, and enough rows that the conversion leaves the GIL.
    entries = ["", "a", "abcdefghijklmno", "abcdefghijklmnop", "abcdefghijklmnopq", "é" * 9, "naïve 東京 ✓",
               "x" * 200]
    n = 70_000
    quoted = ", ".join('"' + e + '"' for e in entries)
    session.run(f"e = [{quoted}]; t = table(take(e, {n}) as str, symbol(take(reverse(e), {n})) as sym)")
    df = session.run("t")
    expected = pd.DataFrame({"str": np.array((entries * n)[:n], dtype=object),
                             "sym": np.array((entries[::-1] * n)[:n], dtype=object)})
    assert {c: str(t) for c, t in df.dtypes.items()} == {"str": TEXT, "sym": TEXT}
    pd.testing.assert_frame_equal(df, expected)
