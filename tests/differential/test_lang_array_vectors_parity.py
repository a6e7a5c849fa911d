"""Results of element-wise operations on array vectors (BOOL[] comparisons of tables and columns,
isNull masks appended row by row, arithmetic keeping the element type, DECIMAL128 NULL masks)
read by the official client 3.0.6.1 and by ours from the same embedded server: equal objects,
over DDB and PICKLE. A table of DECIMAL32 array vectors downloaded and uploaded back (both clients
upload DECIMAL64) still equals its source under eqObj, column by column."""
from __future__ import annotations

import pytest

import dolphindb as ddb
import dolphindb.settings as keys
from support.official import assert_runs_like_the_official_client, outcomes_in_both_clients

SETUP = ("x = array(INT[], 0, 3).append!([1 2 3, 4 NULL, 6]); "
         "d = array(DECIMAL128(5)[], 0).append!([decimal128(['1', ''], 5), decimal128(['2'], 5)]); "
         "t = table(x as a, array(DOUBLE[], 0).append!([[1.5, NULL], [2.0], [00F]]) as b); 1")
SCRIPTS = [
    SETUP,
    "x > 2", "x == x", "x + 1", "x * 10 100 1000", "-x", "x / 2.0", "double(x)", "isNull(x)", "isNull(d)",
    "t == t", "t.b > 1.7",
    "res = array(BOOL[]); for (i in 0:t.columns()) { res.append!(t.column(i).isNull()) }; res",
    "each(eqObj, t.values(), t.values())", "snippet(x)", "take(string(NULL), 3) == (,,)",
]


@pytest.mark.parametrize("protocol", [keys.PROTOCOL_DDB, keys.PROTOCOL_PICKLE], ids=["ddb", "pickle"])
def test_array_vector_results_read_like_the_official_client(server, official, protocol):
    s = ddb.Session(protocol=protocol)
    assert s.connect("127.0.0.1", server.port, "admin", "123456")
    connect = (f's = ddb.Session(protocol={protocol})\n'
               f'assert s.connect("127.0.0.1", {server.port}, "admin", "123456")')
    try:
        assert_runs_like_the_official_client(official, connect, SCRIPTS, s)
    finally:
        s.close()


def decimal_round_trip(ddb, port):
    s = ddb.Session()
    s.connect("127.0.0.1", port, "admin", "123456")
    t = s.run("src = table(1:0, `a`b, [DECIMAL32(2)[], DECIMAL32(8)[]]); "
              "tableInsert(src, [decimal32(1.25 NULL, 2)], [decimal32([5], 8)]); "
              "tableInsert(src, [decimal32([3], 2)], [decimal32(6 NULL, 8)]); src")
    s.upload({"back": t})
    out = [bool(x) for x in s.run("each(eqObj, back.values(), src.values())")]
    s.close()
    return out


def test_decimal_array_vectors_survive_a_round_trip_through_either_client(server, official):
    ours, theirs = outcomes_in_both_clients(official, decimal_round_trip, server.port)
    assert ours == theirs == [True, True]
