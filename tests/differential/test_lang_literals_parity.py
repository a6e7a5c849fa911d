"""Literal forms (typed suffixes and NULLs, type constructors without arguments, space-separated
vectors, omitted elements, DECIMAL type arguments) read by the official client 3.0.6.1 and by ours
from the same embedded server: both must see equal values."""
from __future__ import annotations

import json

import dolphindb as ddb

SCRIPTS = [
    "00i", "[00i, 1i, 2147483647i]", "0.0F", "1.5f", "00F", "1970.01.02d", "00:00:01.000t", "1970.01.01T00:00:03D",
    "bool()", "int()", "string()", "datetime()", "[true, false, bool()]", "true NULL false", "1 NULL 0",
    '"a" "b"', "'abc' \"\"", "[,0,0]", "[0,0,]", "[00F,00F,]", "NULL : NULL", "pair(,)", "'i'", "[1c, 2c, 'i']",
    'decimal32("3.141592653589", 8)', "1.23 $ DECIMAL32(4)", "typestr 1 2", "m = 1..6$2:3; m[1, 2]",
    "a = array(INT[], 0).append!([1 2, NULL 3, NULL]); a[1,]", "datehour('1970.01.01T05')",
]

PROGRAM = """
import json, sys
import dolphindb as ddb
s = ddb.session()
s.connect("127.0.0.1", {port}, "admin", "123456")
print(json.dumps([repr(s.run(script)) for script in {scripts!r}]))
"""


def test_both_clients_read_equal_literal_values(server, official):
    theirs = json.loads(official(PROGRAM.format(port=server.port, scripts=SCRIPTS)).strip().splitlines()[-1])
    s = ddb.Session()
    s.connect("127.0.0.1", server.port, "admin", "123456")
    try:
        ours = [repr(s.run(script)) for script in SCRIPTS]
    finally:
        s.close()
    assert dict(zip(SCRIPTS, ours)) == dict(zip(SCRIPTS, theirs))
    assert theirs[SCRIPTS.index("00i")] == "None" and theirs[SCRIPTS.index("NULL : NULL")] == "[None, None]"
