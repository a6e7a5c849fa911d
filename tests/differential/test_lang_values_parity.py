"""Float NULL versus NaN, literal NULLs, set and tuple comparisons and FAST typestr names read by the
official client 3.0.6.1 and by ours from the same embedded server: both must see equal values, and
the official client must see NaN where the server holds NaN and None where it holds NULL."""
from __future__ import annotations

from support.official import outcomes_in_both_clients, script_reprs

SCRIPTS = [
    "float('nan')", "float('inf')", "00f", "float(-3.4028235e+38)", "float('nan') : 00f", "[float('nan'), 00f, 1.5f]",
    "[double('nan'), 00F]", "isNull(float('nan'))", "isNanInf([float('nan'), 00f], true)", "1.0 / 0",
    'isNull("")', "set([0, NULL]) == set(0 NULL 0l)", "set(1 2) < set(1 2 3)", "(NULL, 1, `a) == (NULL, 1, `a)",
    "typestr(symbol(`a`b))", "typestr(uuid(['5d212a78-cc48-e3b1-4235-b4d91473ee87']))",
]



def test_both_clients_read_equal_values(server, official):
    ours, theirs = outcomes_in_both_clients(official, script_reprs, server.port, SCRIPTS)
    assert dict(zip(SCRIPTS, ours)) == dict(zip(SCRIPTS, theirs))
    seen = dict(zip(SCRIPTS, theirs))
    assert seen["float('nan')"] == "nan" and seen["00f"] == "None" and seen["float(-3.4028235e+38)"] == "None"
    assert seen["float('nan') : 00f"] == "[nan, None]"
    assert seen["set([0, NULL]) == set(0 NULL 0l)"] == "True" and seen['isNull("")'] == "True"
    assert seen["typestr(symbol(`a`b))"] == "'FAST SYMBOL VECTOR'"
