"""Our client against the embedded server under PROTOCOL_PICKLE and PROTOCOL_ARROW: for every type
in the forms these protocols change (tables, matrices) the values equal the DDB path's, modulo
the dtype differences OFFICIAL_API.md §4.3 documents; other forms are unchanged. A server may
answer any request in the DDB encoding (PROTOCOL.md §9.9), so these hold whichever encoding the
server chose; which one it was is checked where the server says so (`encodings` below)."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import dolphindb as ddb
import dolphindb.settings as keys

from test_protocols import ALL_TYPES  # noqa: E402

# PICKLE tables cannot hold BLOB or DECIMAL columns (OFFICIAL_API.md §4.3).
PICKLE_TABLE_TYPES = {k: v for k, v in ALL_TYPES.items() if k not in ("bl", "d32", "d64", "d128")}
OTHER_FORMS = ["1+1", "1 2 NULL", "`a`b", "1:5", "set(3 3)", "dict(`a`b, 1.5 2.5)", "(1, `x, 2.5)",
               "2024.01.02T12:30:00.123", "decimal32(1.25, 2)", "'héllo'"]
MATRICES = ["matrix(1 2 3, 4 5 NULL)", "matrix([1.5, 2.5], [NULL, 4.5])", "matrix(true false, true true)",
            "matrix(1c 2c, 3c NULL)", "matrix(1h 2h, 3h 4h)", "matrix(1l 2l, 3l NULL)", "matrix(2.5f 3.5f, 1f 0f)",
            "matrix([2024.01.02, 2024.01.03], [NULL, 2024.01.05])",
            "matrix(2024.01.02T12:30:00.123 2024.01.02T12:30:01.000, 2024.01.02T12:30:02.000 NULL)"]


def _session(server, **kw):
    s = ddb.Session(**kw)
    assert s.connect("127.0.0.1", server.port, "admin", "123456")
    return s


@pytest.fixture(scope="module")
def sessions(server):
    out = {name: _session(server, protocol=p) for name, p in
           (("ddb", keys.PROTOCOL_DDB), ("pickle", keys.PROTOCOL_PICKLE), ("arrow", keys.PROTOCOL_ARROW))}
    yield out
    for s in out.values():
        s.close()


def _table(types):
    return "table(" + ", ".join(f"{expr} as {name}" for name, (expr, _) in types.items()) + ")"


def _text_as_object(frame: pd.DataFrame) -> pd.DataFrame:
    """DDB tables give pandas' str dtype for text columns (pandas 3); PICKLE gives object."""
    out = frame.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.StringDtype) or out[c].dtype == object:
            out[c] = out[c].astype(object)
    return out


def _assert_same_objects(a, b):
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same_objects(x, y)
    else:
        assert type(a) is type(b) and (a == b or repr(a) == repr(b)), (a, b)


def test_pickle_tables_of_every_type_equal_the_ddb_path(sessions):
    script = _table(PICKLE_TABLE_TYPES)
    expected = _text_as_object(sessions["ddb"].run(script))
    got = sessions["pickle"].run(script)
    pd.testing.assert_frame_equal(_text_as_object(got), expected)
    # pickleTableToList: a list of arrays (temporal columns datetime64[ns]).
    as_list = sessions["pickle"].run(script, pickleTableToList=True)
    assert isinstance(as_list, list) and len(as_list) == len(PICKLE_TABLE_TYPES)
    for col, arr in zip(expected.columns, as_list):
        pd.testing.assert_series_equal(pd.Series(arr, name=col).astype(object), expected[col].astype(object))


@pytest.mark.parametrize("script", MATRICES)
def test_pickle_matrices_equal_the_ddb_path(sessions, script):
    ddb_m = sessions["ddb"].run(script)
    got = sessions["pickle"].run(script)
    assert isinstance(got, list) and len(got) == 3
    want = ddb_m[0]
    if want.dtype.kind == "M":   # PICKLE matrices are all datetime64[ns]
        want = want.astype("datetime64[ns]") if got[0].dtype == np.dtype("datetime64[ns]") else want
    _assert_same_objects(got[0], want)


@pytest.mark.parametrize("protocol", ["pickle", "arrow"])
@pytest.mark.parametrize("script", OTHER_FORMS)
def test_other_forms_are_unchanged(sessions, protocol, script):
    _assert_same_objects(sessions[protocol].run(script), sessions["ddb"].run(script))


ARROW_TYPES = {   # DolphinDB column -> the Arrow type PROTOCOL.md §7.2 documents
    "b": "bool", "c": "int8", "h": "int16", "i": "int32", "l": "int64", "f": "float", "d": "double",
    "dt": "date32[day]", "tm": "time32[ms]", "se": "time32[s]", "dtm": "timestamp[s]", "ts": "timestamp[ms]",
    "nts": "timestamp[ns]", "s": "string", "sym": "dictionary<values=string, indices=int32, ordered=0>",
}


def test_arrow_tables_equal_the_ddb_path(sessions):
    types = {k: ALL_TYPES[k] for k in ARROW_TYPES}
    script = _table(types)
    expected = sessions["ddb"].run(script)
    got = sessions["arrow"].run(script)
    if not isinstance(got, pa.Table):   # the server answered in the DDB encoding
        pd.testing.assert_frame_equal(got, expected)
        return
    assert [str(t) for t in got.schema.types] == list(ARROW_TYPES.values())
    for name in ARROW_TYPES:
        col = got.column(name)
        want = expected[name]
        nulls = want.isna().to_numpy()
        assert col.is_null().to_pylist() == list(nulls), name
        if pa.types.is_dictionary(col.type) or pa.types.is_string(col.type):
            assert [v or "" for v in col.to_pylist()] == list(want.astype(object)), name
        elif pa.types.is_timestamp(col.type):
            values = col.cast(pa.timestamp("ns")).to_numpy(zero_copy_only=False)
            np.testing.assert_array_equal(values[~nulls], want.to_numpy()[~nulls])
        elif pa.types.is_date(col.type) or pa.types.is_time(col.type):
            as_ns = pd.to_datetime(pd.Series([None if v is None else str(v) for v in col.to_pylist()]),
                                   format="mixed") if pa.types.is_date(col.type) else None
            if as_ns is not None:
                np.testing.assert_array_equal(as_ns.to_numpy()[~nulls], want.to_numpy()[~nulls])
        else:
            np.testing.assert_array_equal(col.to_numpy(zero_copy_only=False)[~nulls].astype(want.dtype),
                                          want.to_numpy()[~nulls])
