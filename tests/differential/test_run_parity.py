"""Our Session.run and the official client's return equal objects for the same scripts
(same types, dtypes, values and nulls), against one embedded server."""
from __future__ import annotations


import pytest

import dolphindb as ddb
import dolphindb.settings as keys
from support.official import assert_runs_like_the_official_client

SCRIPTS = [
    "1+1", "true", "3c", "7h", "5l * 2", "1.5 * 2", "2.5f", "`abc", "'héllo'", "int(NULL)", "double(NULL)",
    "2024.01.02", "2024.01M", "12:30:00", "12:30:00.123", "12:30m", "2024.01.02T12:30:00",
    "2024.01.02T12:30:00.123", "2024.01.02T12:30:00.123456789", "12:30:00.000000001", "2024.01.02T12h",
    "1 2 3", "1 2 NULL", "[1.5, NULL]", "2.5f 3.5f", "1h 2h", "1c 2c", "1l NULL", "`a`b", "symbol(`a`b`a)",
    "[true, false]", "[true, NULL]", "2024.01.01 + 0 1", "2024.01.01 NULL", "2024.01.01T00:00:00.000 + 0 1",
    "12:30:00 NULL", "1:5", "`a:`b", "set(3 3)", "dict([`a], [7])", "dict(`a`b, 1.5 2.5)", "matrix(1 2, 3 4)",
    "matrix(1.5 2.5, 3.5 NULL)", "(1, `x, 2.5)", "(1, (2, 3))", "decimal32(1.25, 2)", "decimal64(-3.5, 3)",
    "decimal32(1.5 NULL, 1)", "uuid('5d212a78-cc48-e3b1-4235-b4d91473ee87')", "ipaddr('192.168.1.13')",
    "int128('e1671797c52e15f763380b45e841ec32')", "uuid(['5d212a78-cc48-e3b1-4235-b4d91473ee87', ''])",
    "blob('a')", "x = 1", "table(1 2 NULL as i, `x`y`z as s)",
    "table(symbol(`p`q) as s, [1.5, NULL] as d, 2024.01.01 2024.01.02 as dt, 2024.01.01T00:00:00.000 + 0 1 as ts)",
    "table(1h 2h as a, 1c NULL as b, true false as c, [true, NULL] as e, 12:30:00 NULL as f)",
    "table(decimal32(1.5 2.5, 2) as d)", "table(2024.01M 2024.02M as m, 13:00m 14:00m as mi)",
]


PROTOCOLS = {   # id -> Session keywords, the same on both sides
    "ddb": {"protocol": keys.PROTOCOL_DDB},
    "ddb-compress": {"protocol": keys.PROTOCOL_DDB, "compress": True},
    "pickle": {"protocol": keys.PROTOCOL_PICKLE},
    "arrow": {"protocol": keys.PROTOCOL_ARROW},
}


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_session_run_returns_what_the_official_client_returns(server, official, protocol):
    kwargs = PROTOCOLS[protocol]
    s = ddb.Session(**kwargs)
    assert s.connect("127.0.0.1", server.port, "admin", "123456")
    connect = f's = ddb.Session(**{kwargs!r})\nassert s.connect("127.0.0.1", {server.port}, "admin", "123456")'
    assert_runs_like_the_official_client(official, connect, SCRIPTS, s)
    s.close()
