"""Our PROTOCOL_DEFAULT is PICKLE, the official client's is DDB: where results differ between the
two protocols (temporal matrices and array-vector cells become datetime64[ns]; a BOOL[] column
with a null gives object cells), our client under each protocol returns what the official client
returns under the same protocol, on one embedded server."""
from __future__ import annotations

import pytest

import dolphindb as ddb
import dolphindb.settings as keys

from support.official import assert_runs_like_the_official_client

SCRIPTS = [
    "2012.01.01 2012.01.02 $ 1:2", "2012.01M 2012.02M $ 2:1", "13:30m 13:31m $ 1:2", "datehour(2012.01.01T13:00:00 2012.01.01T14:00:00) $ 1:2",
    "x = array(DATE[], 0, 2).append!([[2012.01.01, NULL], [2012.01.03]]); table(x as a)",
    "x = array(MONTH[], 0, 2).append!([[2012.01M], [2012.02M, 2012.03M]]); table(x as a)",
    "x = array(DATEHOUR[], 0, 1).append!([[2012.01.01T13h]]); table(x as a)",
    "x = array(BOOL[], 0, 4).append!([[true, false, 00b], [true], [false], [00b]]); table(x as a)",
    "x = array(BOOL[], 0, 2).append!([[true], [false]]); table(x as a)",
]


@pytest.mark.parametrize("protocol", ["PROTOCOL_DEFAULT", "PROTOCOL_DDB", "PROTOCOL_PICKLE"])
def test_protocol_dependent_results_match_the_official_client_under_that_protocol(server, official, protocol):
    # The official client's PROTOCOL_DEFAULT is DDB: compare our default with its PICKLE.
    theirs = "PROTOCOL_PICKLE" if protocol == "PROTOCOL_DEFAULT" else protocol
    s = ddb.Session(protocol=getattr(keys, protocol))
    assert s.connect("127.0.0.1", server.port, "admin", "123456")
    connect = (f's = ddb.Session(protocol=keys.{theirs})\n'
               f'assert s.connect("127.0.0.1", {server.port}, "admin", "123456")')
    assert_runs_like_the_official_client(official, connect, SCRIPTS, s)
    unit = "D" if protocol == "PROTOCOL_DDB" else "ns"
    assert s.run(SCRIPTS[0])[0].dtype == f"datetime64[{unit}]"
    assert s.run(SCRIPTS[4])["a"][1].dtype == f"datetime64[{unit}]"
    s.close()
