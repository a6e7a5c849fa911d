"""Matrix literals, tuples built in loops, DECIMAL64 P literals, named type constants and
non-ASCII sets read by the official client 3.0.6.1 and by ours from the same embedded server:
both must see equal values."""
from __future__ import annotations

from support.official import outcomes_in_both_clients, script_reprs

SCRIPTS = [
    "00P", "3.141P", "-3.141P", "[00P, 00P, 1.5P]", "00P : 00P", "NULL : 00P",
    "matrix[[0,0],[0,NULL],[0,0]]", "matrix[[00F,00F],[00F,NULL],[00F,00F]]", "matrix[[1h,2h],[3h,4h]]",
    "x = []; for(i in 1..3){ x.append!(take([true, false], 2)) }; m = matrix(x); m.rename!(1..2, 1..3); m",
    "[]", "()", "typestr(1.5) == DOUBLE", "[INT, DOUBLE]", "string(NANOTIMESTAMP)",
    "set([blob('abc!@#中文 123')])", "0c 127c -127c 00c", "1 -1 2 -2",
    "eqFloat(0.123456788 0.123456789 0.1234567891, 0.123456789)", "hasNull(1 NULL)", "all(1 2 NULL)",
    "1 2 3 == (1, 5, 3)", "matrix(1 2, 3 4) == 2",
]



def test_both_clients_read_equal_matrix_and_literal_values(server, official):
    ours, theirs = outcomes_in_both_clients(official, script_reprs, server.port, SCRIPTS)
    assert dict(zip(SCRIPTS, ours)) == dict(zip(SCRIPTS, theirs))
    assert theirs[SCRIPTS.index("00P")] == "Decimal('0')"
    assert theirs[SCRIPTS.index("typestr(1.5) == DOUBLE")] == "True"
    assert theirs[SCRIPTS.index("string(NANOTIMESTAMP)")] == "'NANOTIMESTAMP'"
