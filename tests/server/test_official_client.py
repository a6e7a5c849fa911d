"""The official client 3.0.6.1 (its own venv) against our embedded server: proof that the server
speaks the real protocol. One subprocess runs the whole corpus and reports repr()s as JSON."""
from __future__ import annotations

import json

import pytest

CORPUS = {  # script -> repr() the official client must return
    "1+1": "2",
    "true": "True",
    "3c": None,          # only checked to decode
    "5l * 2": "10",
    "1.5 * 2": "3.0",
    "`abc": "'abc'",
    "'héllo'": "'héllo'",
    "2024.01.02": "np.datetime64('2024-01-02')",
    "2024.01M": "np.datetime64('2024-01')",
    "12:30:00": "np.datetime64('1970-01-01T12:30:00')",
    "12:30:00.123": "np.datetime64('1970-01-01T12:30:00.123')",
    "12:30m": "np.datetime64('1970-01-01T12:30')",
    "2024.01.02T12:30:00": "np.datetime64('2024-01-02T12:30:00')",
    "2024.01.02T12:30:00.123": "np.datetime64('2024-01-02T12:30:00.123')",
    "2024.01.02T12:30:00.123456789": "np.datetime64('2024-01-02T12:30:00.123456789')",
    "int(NULL)": "None",
    "1 2 3": "array([1, 2, 3], dtype=int32)",
    "1 2 NULL": "array([ 1.,  2., nan])",
    "[1.5, NULL]": "array([1.5, nan])",
    "`a`b": "array(['a', 'b'], dtype=object)",
    "symbol(`a`b`a)": "array(['a', 'b', 'a'], dtype=object)",
    "2024.01.01 + 0 1": "array(['2024-01-01', '2024-01-02'], dtype='datetime64[D]')",
    "[true, false]": "array([ True, False])",
    "1:5": "[1, 5]",
    "set(3 3)": "{3}",
    "dict([`a], [7])": "{'a': 7}",
    "matrix(1 2, 3 4)": "[array([[1, 3],\n       [2, 4]], dtype=int32), None, None]",
    "(1, `x, 2.5)": "[1, 'x', 2.5]",
    "decimal32(1.25, 2)": "Decimal('1.25')",
    "decimal64(-3.5, 3)": "Decimal('-3.500')",
    "uuid('5d212a78-cc48-e3b1-4235-b4d91473ee87')": "'5d212a78-cc48-e3b1-4235-b4d91473ee87'",
    "ipaddr('192.168.1.13')": "'192.168.1.13'",
    "int128('e1671797c52e15f763380b45e841ec32')": "'e1671797c52e15f763380b45e841ec32'",
    'blob("a")': "b'a'",
    "x = 1": "None",
}

TABLE_SCRIPT = ("table(1 2 NULL as i, symbol(`x`y`x) as s, [1.5, NULL, 2.5] as d, "
                "2024.01.01T00:00:00.000 + 0 1 2 as ts, `p`q`r as str)")


def test_official_client_reads_every_form_from_our_server(server, official):
    code = f"""
import json, dolphindb as ddb, numpy as np
s = ddb.Session()
assert s.connect("127.0.0.1", {server.port}, "admin", "123456")
out = {{}}
for script in {list(CORPUS)!r}:
    out[script] = repr(s.run(script))
t = s.run({TABLE_SCRIPT!r})
out["table"] = {{"columns": list(t.columns), "dtypes": [str(d) for d in t.dtypes],
                "i": [None if x != x else x for x in t["i"].tolist()], "s": t["s"].tolist(),
                "ts": [str(x) for x in t["ts"]], "str": t["str"].tolist()}}
print(json.dumps(out))
"""
    out = json.loads(official(code).strip().splitlines()[-1])
    for script, expected in CORPUS.items():
        if expected is not None:
            assert out[script] == expected, script
    t = out["table"]
    assert t["columns"] == ["i", "s", "d", "ts", "str"]
    assert t["dtypes"][0] == "float64" and t["dtypes"][3] == "datetime64[ns]"
    assert t["i"] == [1.0, 2.0, None] and t["s"] == ["x", "y", "x"] and t["str"] == ["p", "q", "r"]
    assert t["ts"][1] == "2024-01-01 00:00:00.001000"


def test_official_client_uploads_calls_and_pools_against_our_server(server, official):
    code = f"""
import asyncio, json, dolphindb as ddb, numpy as np, pandas as pd
s = ddb.Session()
assert s.connect("127.0.0.1", {server.port}, "admin", "123456")
df = pd.DataFrame({{"i": np.array([1, 2], dtype=np.int32), "d": [0.5, np.nan], "s": ["u", "v"],
                   "t": pd.to_datetime(["2024-01-02T03:04:05.678", "2024-01-02T03:04:06.000"]).astype("datetime64[ms]")}})
out = {{"upload": s.upload({{"up": df, "v": np.array([1, 2, 3], dtype=np.int32)}})}}
out["rows"] = int(s.run("exec count(*) from up"))
out["sum"] = int(s.run("sum(v)"))
s.run("t = table(1:0, `i`d`s`t, [INT, DOUBLE, STRING, TIMESTAMP])")
out["inserted"] = int(s.run("tableInsert{{t}}", df))
out["call"] = int(s.run("add", 2, 3))
try:
    s.run("nonsense")
except RuntimeError as e:
    out["error"] = str(e)
pool = ddb.DBConnectionPool("127.0.0.1", {server.port}, 4, "admin", "123456")
async def main():
    return await asyncio.gather(*[pool.run(f"{{i}} * 3") for i in range(20)])
out["pool"] = asyncio.run(main())
pool.shutDown()
bad = ddb.Session()
out["bad_login"] = bad.connect("127.0.0.1", {server.port}, "admin", "wrong")
print(json.dumps(out))
"""
    out = json.loads(official(code).strip().splitlines()[-1])
    assert out["upload"] == -1 and out["rows"] == 2 and out["sum"] == 6
    assert out["inserted"] == 2 and out["call"] == 5
    assert out["error"].startswith("<Exception> in exec: Server Response: 'Syntax Error: [line #1] "
                                   "Cannot recognize the token nonsense")
    assert out["pool"] == [i * 3 for i in range(20)]
    assert out["bad_login"] is False


@pytest.mark.parametrize("flags", ["compress=True", "protocol=ddb.settings.PROTOCOL_PICKLE",
                                   "protocol=ddb.settings.PROTOCOL_ARROW"])
def test_official_client_with_session_options(server, official, flags):
    code = f"""
import dolphindb as ddb
s = ddb.Session({flags})
assert s.connect("127.0.0.1", {server.port}, "admin", "123456")
t = s.run("table(1..70000 as a, take(`x`y, 70000) as b)")
n = t.num_rows if hasattr(t, "num_rows") else len(t)
print(n, int(s.run("sum(1..10)")))
"""
    assert official(code).split()[-2:] == ["70000", "55"]
