"""The conversion layer (src/convert) beyond byte parity: ConversionError texts, the exception
classes, zero-copy numpy arrays, pickleTableToList results and GIL-free decoding."""
from __future__ import annotations

import decimal
import threading
import time

import numpy as np
import pandas as pd
import pytest
from dolphindb import _core, exceptions, io
from dolphindb import settings as S

D = decimal.Decimal

ERRORS = [
    (np.uint8(1), "Cannot convert uint8 to Scalar as it is an unsupported numpy dtype."),
    (np.float16(1), "Cannot convert float16 to Scalar as it is an unsupported numpy dtype."),
    (np.complex64(1), "Cannot convert complex64 to Scalar as it is an unsupported numpy dtype."),
    (np.timedelta64(1), "Cannot convert timedelta64 to Scalar as it is an unsupported numpy dtype."),
    (np.datetime64("2020", "Y"), "Cannot convert datetime64[Y] to Scalar as it is an unsupported numpy dtype."),
    (1j, "Cannot convert <class 'complex'> to Scalar as it is an unsupported python type."),
    (object(), "Cannot convert <class 'object'> to Scalar as it is an unsupported python type."),
    (frozenset({1}), "Cannot convert <class 'frozenset'> to Scalar as it is an unsupported python type."),
    (np.array([1], dtype=np.uint32), "Cannot convert from numpy dtype uint32."),
    (np.array([1 + 1j]), "Cannot convert from numpy dtype complex128."),
    (np.array([1], dtype="timedelta64[ns]"), "Cannot convert from numpy dtype timedelta64[ns]."),
    (pd.Series([1], dtype="category"), "Cannot convert from pandas extension dtype category."),
    (pd.DataFrame({1: [1]}), "DataFrame column names must be strings."),
    (pd.DataFrame(), "A table has at least one column."),
    (pd.DataFrame({"a": [1, "x"]}), "Cannot create an ArrayVector with mixing incompatible types."),
    ({}, "Empty Dictionary creation requires a specific type."),
    ({1: 2, "a": 3}, "Cannot create a Dictionary key with mixing incompatible types."),
    ({None: 1}, "Cannot create a Dictionary key containing only null elements."),
    ({True: 1}, "Not allowed to create Dictionary for the key type BOOL"),
    (set(), "Cannot create a Set containing only null elements."),
    ({None}, "Cannot create a Set containing only null elements."),
    ({D("1.1")}, "Cannot create a Set with data type DECIMAL64."),
    (np.zeros((2, 2, 2)), "Cannot create a Matrix from the given numpy.ndarray with dimension greater than 2."),
    (np.array([["a", "b"]]), "Not allowed to create a matrix with type STRING"),
    (np.array([[1, "a"]], dtype=object), "Not allowed to create a matrix with type ANY"),
    (D("1E+3"), "Scale out of bound (valid range: [0, 18], but get: -3)"),
    (2**63, "Unable to cast Python instance of type <class 'int'> to C++ type '?' (#define "
            "PYBIND11_DETAILED_ERROR_MESSAGES or compile in debug mode for details)"),
]


@pytest.mark.parametrize("obj,message", ERRORS, ids=[m[:40] for _, m in ERRORS])
def test_conversion_error_texts(obj, message):
    with pytest.raises(exceptions.ConversionError) as info:
        io.dumps(obj)
    assert str(info.value) == message
    assert isinstance(info.value, RuntimeError)


def test_forced_type_errors():
    with pytest.raises(exceptions.ConversionError, match=r"^Cannot convert str to IPADDR\.$"):
        io.dumps(["::1"], types=S.DT_IPADDR)
    with pytest.raises(exceptions.ConversionError, match=r"^Cannot convert str to UUID\.$"):
        io.dumps("not-a-uuid", types=S.DT_UUID)
    df = pd.DataFrame({"s": ["a"]})
    with pytest.raises(exceptions.ConversionError, match=r"^Cannot convert pandas dtype str to INT\.$"):
        io.dumps(df, types={"s": S.DT_INT})
    with pytest.raises(exceptions.ConversionError, match=r"^Cannot convert pandas dtype int64 to DATE$"):
        io.dumps(pd.DataFrame({"i": [1]}), types={"i": "DATE"})
    with pytest.raises(exceptions.ConversionError, match="Invalid type specification"):
        io.dumps(1, types=1.5)


def test_exception_classes():
    names = ["NetworkError", "TlsError", "ProtocolError", "ServerError", "AuthenticationError", "DDBTimeoutError",
             "CancelledError", "PoolClosedError", "ConversionError"]
    assert exceptions.DDBError is exceptions.DolphinDBError is _core.DolphinDBError
    assert issubclass(exceptions.TlsError, exceptions.NetworkError)
    assert issubclass(exceptions.DolphinDBError, RuntimeError)
    for name in names:
        cls = getattr(exceptions, name)
        assert cls is getattr(_core, name)
        assert issubclass(cls, exceptions.DolphinDBError) and cls.__module__ == "dolphindb._core"
    assert sorted(exceptions.__all__) == sorted(names + ["DolphinDBError", "DDBError"])
    # the translator: a malformed byte string is a ProtocolError from the C++ decoder
    with pytest.raises(exceptions.ProtocolError):
        io.loads(b"\x04\x01\xff\xff\xff\xff")
    with pytest.raises(exceptions.ProtocolError):
        io.loads(io.dumps(1) + b"x")


def test_numeric_vectors_are_zero_copy_views_of_the_decoded_buffer():
    arr = io.loads(io.dumps(np.arange(1000, dtype=np.int32)))
    assert arr.dtype == np.int32 and not arr.flags.owndata and arr.base is not None
    assert arr.ctypes.data % 64 == 0            # the decoder's 64-byte aligned Buffer
    ts = io.loads(io.dumps(np.array(["2020-01-01T00:00:00.001", "NaT"], dtype="datetime64[ms]")))
    assert ts.dtype == "datetime64[ms]" and not ts.flags.owndata and np.isnat(ts[1])
    # nulls need a conversion: a fresh float64 array with NaN
    withnull = io.loads(io.dumps([1, None], types=S.DT_INT))
    assert withnull.dtype == np.float64 and withnull.flags.owndata is False and np.isnan(withnull[1])
    # the buffer outlives every other reference
    col = io.loads(io.dumps(pd.DataFrame({"x": np.arange(5)})))["x"].to_numpy()
    import gc
    gc.collect()
    assert col.tolist() == [0, 1, 2, 3, 4]


def test_float_nulls_become_nan_in_place_or_in_a_copy():
    data = io.dumps(np.array([1.5, np.nan, 2.5]))
    first, second = io.loads(data), io.loads(data)
    assert np.isnan(first[1]) and np.isnan(second[1]) and first[0] == 1.5


def test_table_to_list():
    df = pd.DataFrame({"i": np.array([1, 2], dtype=np.int32), "d": pd.to_datetime(["2020-01-01", None]).astype("datetime64[ms]"),
                       "s": ["a", "b"]})
    df.__dict__["__DolphinDB_Type__"] = {"d": S.DT_DATE}
    out = _core.loads(io.dumps(df), table_to_list=True)
    assert isinstance(out, list) and len(out) == 3
    assert out[0].dtype == np.int32 and out[0].tolist() == [1, 2]
    assert out[1].dtype == "datetime64[ns]" and str(out[1][0]) == "2020-01-01T00:00:00.000000000" and np.isnat(out[1][1])
    assert out[2].tolist() == ["a", "b"]
    arrays = pd.DataFrame({"a": [[1, 2], [3, 4], [5, 6]]})
    arrays.__dict__["__DolphinDB_Type__"] = {"a": S.DT_INT_ARRAY}
    two_d = _core.loads(io.dumps(arrays), table_to_list=True)[0]
    assert two_d.dtype == np.int32 and two_d.shape == (3, 2) and two_d.tolist() == [[1, 2], [3, 4], [5, 6]]
    ragged = pd.DataFrame({"a": [[1, 2], [3]]})
    with pytest.raises(exceptions.ConversionError, match="negative dimensions not allowed"):
        _core.loads(io.dumps(ragged), table_to_list=True)


def test_download_shapes():
    m = io.loads(io.dumps(np.array([[True, None]], dtype=object)))
    assert m[0].dtype == object and m[0].shape == (1, 2) and m[0].tolist() == [[True, None]]
    av = io.loads(io.dumps(pd.DataFrame({"a": [[1, None], [2]]})))["a"]
    assert av.dtype == object and av[0].dtype == np.float64 and av[1].dtype == np.int64
    s = io.loads(io.dumps(["x", "", "x"], types=S.DT_SYMBOL))
    assert s.dtype == object and s.tolist() == ["x", "", "x"] and s[0] is s[2]   # one str per symbol
    assert io.loads(io.dumps(["a", "b"], types=S.DT_IPADDR.__class__(S.DT_STRING))).tolist() == ["a", "b"]


def test_decode_runs_without_the_gil():
    big = io.dumps(np.arange(20_000_000, dtype=np.int64))

    def count(seconds=None, until=None):
        n, end = 0, time.perf_counter() + (seconds or 0)
        while (until.is_alive() if until else time.perf_counter() < end):
            n += 1
        return n

    idle = threading.Thread(target=time.sleep, args=(0.3,))
    start = time.perf_counter()
    idle.start()
    baseline = count(until=idle) / (time.perf_counter() - start)
    worker = threading.Thread(target=lambda: [io.loads(big) for _ in range(5)])
    start = time.perf_counter()
    worker.start()
    during = count(until=worker)
    rate = during / (time.perf_counter() - start)
    # With the GIL held for the decode this thread would stall for most of it.
    assert rate > 0.3 * baseline, (rate, baseline)


def test_mutated_bytes_never_crash_and_fail_typed():
    """Corrupted serialized objects either decode or raise ProtocolError / ConversionError."""
    import random
    seeds = [io.dumps(x) for x in (
        [1, None, 3], ["a", "", "b"], {"a": 1.5}, {1, 2}, np.array([[1, 2], [3, 4]], dtype=np.int32),
        pd.DataFrame({"i": [1, 2], "s": ["x", "y"], "t": pd.to_datetime(["2020-01-01", None])}),
        pd.DataFrame({"a": [[1, 2], [3]]}), [D("1.5"), None], [1, "a", [2]], b"\x00blob")]
    seeds.append(io.dumps(["a", "b", "a"], types=S.DT_SYMBOL))
    rnd = random.Random(7)
    for _ in range(5000):
        b = bytearray(rnd.choice(seeds))
        for _ in range(rnd.randint(1, 3)):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        if rnd.random() < 0.2:
            b = b[:rnd.randrange(len(b) + 1)]
        try:
            io.loads(bytes(b))
        except (exceptions.ProtocolError, exceptions.ConversionError):
            pass


def _object_frame(columns: dict) -> pd.DataFrame:
    """The frame pandas itself builds from object columns of str (what the official client gets)."""
    return pd.DataFrame({k: np.array(v, dtype=object) for k, v in columns.items()})


def test_table_text_columns_equal_pandas_own_conversion(server):
    """Text columns of a DDB table reach pandas as Arrow string arrays made from the decoded
    bytes; the frame must be the one pandas builds from the same str objects."""
    import dolphindb as ddb
    s = ddb.Session(protocol=S.PROTOCOL_DDB)
    assert s.connect("127.0.0.1", server.port, "admin", "123456")
    got = s.run('table(["héllo", "", "日本語", "' + "a" * 300 + '", "🙂"] as s, symbol(["b", "", "a", "b", "🙂"]) as sym, '
                'uuid(["5d212a78-cc48-e3b1-4235-b4d91473ee87", "", "", "", ""]) as u, '
                'ipaddr(["192.168.1.13", "", "::1", "", "1.2.3.4"]) as ip)')
    empty = s.run("select * from table(1:0, `s`sym, [STRING, SYMBOL])")
    s.close()
    want = _object_frame({"s": ["héllo", "", "日本語", "a" * 300, "🙂"], "sym": ["b", "", "a", "b", "🙂"],
                          "u": ["5d212a78-cc48-e3b1-4235-b4d91473ee87"] + ["00000000-0000-0000-0000-000000000000"] * 4,
                          "ip": ["192.168.1.13", "0.0.0.0", "0.0.0.1", "0.0.0.0", "1.2.3.4"]})
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for c in got.columns:
        assert type(got[c].array) is type(want[c].array) and got[c].dtype == want[c].dtype
    # empty columns stay object, as pandas keeps them
    pd.testing.assert_frame_equal(empty, _object_frame({"s": [], "sym": []}))


def test_table_text_column_with_invalid_utf8_is_decoded_with_replacement():
    data = io.dumps(pd.DataFrame({"s": ["ok", "ab", "zz"]}))
    broken = data.replace(b"ab\0", b"\xff\xfe\0")
    got = io.loads(broken)
    pd.testing.assert_frame_equal(got, _object_frame({"s": ["ok", "\ufffd\ufffd", "zz"]}))
