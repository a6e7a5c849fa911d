"""Numeric columns are sent from their numpy arrays' own memory (no copy into the request): the
layouts that cannot be sent as they are (strided, Fortran-ordered, big-endian, NaN floats) still
upload their values, read-only arrays upload, and no source array is ever written to or kept
alive after the upload. Each case round-trips through our server: Session.upload, run(fn, df),
the pool, compress=True and TLS."""
from __future__ import annotations

import asyncio
import contextlib
import gc
import sys

import numpy as np
import pandas as pd
import pytest

import dolphindb as ddb
import dolphindb.settings as keys
from dolphindb.server import Server
from support.pki import Pki


N = 20_000   # every column is past the size from which a request references it in place


def layouts() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    wide = rng.integers(-1 << 40, 1 << 40, (N, 3))   # C order: a column of it is strided
    floats = rng.standard_normal(2 * N)
    with_nulls = rng.standard_normal(N)
    with_nulls[::7] = np.nan
    with_nulls[3] = np.inf
    read_only = rng.integers(0, 1 << 30, N).astype(np.int32)
    read_only.flags.writeable = False
    return {
        "int32": rng.integers(-(1 << 31) + 1, 1 << 31, N).astype(np.int32),
        "int64": rng.integers(-(1 << 62), 1 << 62, N),
        "int16": rng.integers(-(1 << 15) + 1, 1 << 15, N).astype(np.int16),
        "bool": rng.integers(0, 2, N).astype(bool),
        "float64": floats[:N].copy(),
        "float32": floats[N:].astype(np.float32),
        "ms": np.datetime64("2024-01-01T00:00:00", "ms") + rng.integers(0, 10**9, N).astype("timedelta64[ms]"),
        "ns": np.datetime64("2024-01-01T00:00:00", "ns") + rng.integers(0, 10**15, N).astype("timedelta64[ns]"),
        "strided": floats[::2],
        "column_of_2d": wide[:, 1],
        "fortran": np.asfortranarray(wide)[:, 2],
        "big_endian_int": rng.integers(-(1 << 40), 1 << 40, N).astype(">i8"),
        "big_endian_float": floats[:N].astype(">f8"),
        "read_only": read_only,
        "nan_and_inf": with_nulls,
    }


def frame(arrays: dict[str, np.ndarray]) -> pd.DataFrame:
    # copy=False: the frame's columns are the arrays themselves (views where pandas must), so an
    # upload that wrote to its source would show in `arrays`.
    return pd.DataFrame(arrays, copy=False)


def expected(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {}
    for name, a in arrays.items():
        a = a.astype(a.dtype.newbyteorder("="))
        if a.dtype.kind == "f":
            a = np.where(np.isfinite(a), a, np.nan)   # NaN and +-inf are NULL
        out[name] = a
    return out


def assert_uploaded(back: pd.DataFrame, arrays: dict[str, np.ndarray]):
    assert list(back.columns) == list(arrays)
    for name, want in expected(arrays).items():
        got = back[name].to_numpy()
        if want.dtype.kind == "M":
            assert got.astype(want.dtype).tolist() == want.tolist(), name
        else:
            np.testing.assert_array_equal(got.astype(want.dtype), want, err_msg=name)


@contextlib.contextmanager
def connected(port: int, **kw):
    s = ddb.Session(**kw)
    assert s.connect("127.0.0.1", port, "admin", "123456")
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def session(server):
    with connected(server.port, protocol=keys.PROTOCOL_DDB) as s:
        yield s


def snapshot(arrays):
    return {name: (a.copy(), a.flags.writeable, a.dtype) for name, a in arrays.items()}


def assert_untouched(arrays, before):
    for name, a in arrays.items():
        copy, writeable, dtype = before[name]
        assert a.dtype == dtype and a.flags.writeable == writeable, name
        np.testing.assert_array_equal(a, copy, err_msg=name)   # NaN == NaN here


def test_session_upload_of_every_layout(session):
    arrays = layouts()
    before = snapshot(arrays)
    session.upload({"in_place": frame(arrays)})
    assert_uploaded(session.run("in_place"), arrays)
    assert session.run("typestr(in_place.ms)") == "FAST TIMESTAMP VECTOR"
    assert session.run("typestr(in_place.ns)") == "FAST NANOTIMESTAMP VECTOR"
    assert session.run("sum(isNull(in_place.nan_and_inf))") == int(np.sum(~np.isfinite(arrays["nan_and_inf"])))
    assert_untouched(arrays, before)


def test_function_arguments_and_vectors(session):
    arrays = layouts()
    before = snapshot(arrays)
    session.run("t = table(1:0, `a`b, [LONG, DOUBLE])")
    df = pd.DataFrame({"a": arrays["column_of_2d"], "b": arrays["big_endian_float"]}, copy=False)
    assert session.run("tableInsert{t}", df) == N
    back = session.run("t")
    assert back["a"].tolist() == arrays["column_of_2d"].tolist()
    assert back["b"].tolist() == arrays["big_endian_float"].astype("<f8").tolist()
    for name in ("strided", "read_only", "ms", "nan_and_inf"):
        got = session.run("x -> x", arrays[name])
        want = expected({name: arrays[name]})[name]
        np.testing.assert_array_equal(np.asarray(got).astype(want.dtype), want, err_msg=name)
    assert_untouched(arrays, before)


def test_sources_are_released_after_the_upload(session):
    arrays = layouts()
    counts = {name: sys.getrefcount(a) for name, a in arrays.items()}
    for _ in range(3):
        session.upload({"released": frame(arrays)})
        session.run("x -> size(x)", arrays["int64"])
    gc.collect()
    assert {name: sys.getrefcount(a) for name, a in arrays.items()} == counts


def test_pool_and_compression(server):
    arrays = layouts()
    before = snapshot(arrays)
    cols = list(arrays)
    df = frame(arrays)
    name = f"in_place_pool_{server.port}"
    with connected(server.port, compress=True) as s:
        s.upload({"compressed": df})
        assert_uploaded(s.run("compressed"), arrays)
        s.run(f"share compressed[0:0] as {name}")
        assert s.run(f"tableInsert{{{name}}}", df) == N
        pool = ddb.DBConnectionPool("127.0.0.1", server.port, 2, "admin", "123456")
        try:
            async def insert_twice():
                return await asyncio.gather(*[pool.run(f"tableInsert{{{name}}}", df) for _ in range(2)])

            assert asyncio.run(insert_twice()) == [N, N]
        finally:
            pool.shutDown()
        back = s.run(f"select * from {name}")
        assert len(back) == 3 * N
        assert_uploaded(back.iloc[2 * N:].reset_index(drop=True)[cols], arrays)
    assert_untouched(arrays, before)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    pki = Pki(tmp_path_factory.mktemp("pki"))
    cert, key = pki.server
    with Server(port=0, tls_cert=cert, tls_key=key) as srv:
        yield srv, pki


def test_over_tls(tls_server):
    srv, pki = tls_server
    arrays = layouts()
    before = snapshot(arrays)
    with connected(srv.port, enableSSL=True, sslCAFile=pki.ca) as s:
        s.upload({"over_tls": frame(arrays)})
        assert_uploaded(s.run("over_tls"), arrays)
        assert s.run("x -> sum(x)", arrays["int64"]) == int(arrays["int64"].sum())
    assert_untouched(arrays, before)
