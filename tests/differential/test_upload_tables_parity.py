"""What the official client 3.0.6.1 and ours read from the embedded server for the objects the
upload workflows build: sized tables (false / 0 / NULL initial rows), DFS tables bound by
`pt = db.createPartitionedTable(...).append!(t)`, set comparisons and pairs holding a NULL of a
narrower type. Both clients must see equal values, in the DDB and the PICKLE protocol."""
from __future__ import annotations

import json

import dolphindb as ddb

SETUP = """
t = table(10:2, `b`i`d`x`s`sym`ip`u, [BOOL, INT, DATE, DOUBLE, STRING, SYMBOL, IPADDR, UUID])
src = table(1..6 as id, take(`a`b`c, 6) as v)
if (existsDatabase("dfs://upload_tables_parity")) dropDatabase("dfs://upload_tables_parity")
db = database("dfs://upload_tables_parity", HASH, [INT, 3])
pt = db.createPartitionedTable(src, `pt, `id).append!(src)
"""

SCRIPTS = [
    "t", "exec b from t", "exec i from t", "exec s from t", "select * from pt order by id", "exec count(*) from pt", "set(1 2 3) == set(3 2 1)",
    "set(4 6) < set(4 6 8)", "set(1 2) != set(1 2)", "pair(1, short())", "pair(char(), 2)", "[1, short(), 2.5]",
]

PROGRAM = """
import json
import dolphindb as ddb
out = {{}}
for pickle in (False, True):
    s = ddb.session(enablePickle=pickle)
    s.connect("127.0.0.1", {port}, "admin", "123456")
    s.run({setup!r})
    out[str(pickle)] = [repr(s.run(script)) for script in {scripts!r}]
    s.close()
print(json.dumps(out))
"""


def test_both_clients_read_equal_upload_objects(server, official):
    theirs = json.loads(official(PROGRAM.format(port=server.port, setup=SETUP, scripts=SCRIPTS))
                        .strip().splitlines()[-1])
    ours = {}
    for pickle in (False, True):
        s = ddb.Session(enablePickle=pickle)
        s.connect("127.0.0.1", server.port, "admin", "123456")
        try:
            s.run(SETUP)
            ours[str(pickle)] = [repr(s.run(script)) for script in SCRIPTS]
        finally:
            s.close()
    for pickle in ("False", "True"):
        assert dict(zip(SCRIPTS, ours[pickle])) == dict(zip(SCRIPTS, theirs[pickle])), f"pickle={pickle}"
    plain = dict(zip(SCRIPTS, theirs["False"]))
    assert plain["exec count(*) from pt"] == "6"
    assert plain["pair(1, short())"] == "[1, None]" and plain["pair(char(), 2)"] == "[None, 2]"
    assert plain["set(1 2 3) == set(3 2 1)"] == "True" and plain["set(1 2) != set(1 2)"] == "False"
    assert plain["exec b from t"] == "array([False, False])"
    assert plain["exec i from t"] == "array([0, 0], dtype=int32)"
    assert plain["exec s from t"] == "array(['', ''], dtype=object)"
