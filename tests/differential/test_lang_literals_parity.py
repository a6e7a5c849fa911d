"""Literal forms (typed suffixes and NULLs, type constructors without arguments, space-separated
vectors, omitted elements, DECIMAL type arguments) read by the official client 3.0.6.1 and by ours
from the same embedded server: both must see equal values."""
from __future__ import annotations

from support.official import outcomes_in_both_clients, script_reprs

SCRIPTS = [
    "00i", "[00i, 1i, 2147483647i]", "0.0F", "1.5f", "00F", "1970.01.02d", "00:00:01.000t", "1970.01.01T00:00:03D",
    "bool()", "int()", "string()", "datetime()", "[true, false, bool()]", "true NULL false", "1 NULL 0",
    '"a" "b"', "'abc' \"\"", "[,0,0]", "[0,0,]", "[00F,00F,]", "NULL : NULL", "pair(,)", "'i'", "[1c, 2c, 'i']",
    'decimal32("3.141592653589", 8)', "1.23 $ DECIMAL32(4)", "typestr 1 2", "m = 1..6$2:3; m[1, 2]",
    "a = array(INT[], 0).append!([1 2, NULL 3, NULL]); a[1,]", "datehour('1970.01.01T05')",
]



def test_both_clients_read_equal_literal_values(server, official):
    ours, theirs = outcomes_in_both_clients(official, script_reprs, server.port, SCRIPTS)
    assert dict(zip(SCRIPTS, ours)) == dict(zip(SCRIPTS, theirs))
    assert theirs[SCRIPTS.index("00i")] == "None" and theirs[SCRIPTS.index("NULL : NULL")] == "[None, None]"
