"""The data API against the official client: the same cases (tests/support/data_api_cases.py) run by the
official client 3.0.6.1 and by ours, each against its own embedded server that logs requests.
Every request between two case markers must be the same text (generated names normalized),
except where ours deliberately differs (listed in DIFFERENCES), and both clients must get the
same results."""
from __future__ import annotations

import pickle
import re

import numpy as np
import pandas as pd
import pytest

from support.data_api_cases import CASES, CSV_TEXT, RUNNER

_GENERATED = re.compile(r"TMP_(?:TBL_[0-9a-f]{8}|DB_[0-9a-f]{8}DB)")
# How a collected Table or a used handle is freed: the official client one `undef` per Table at
# collection time, ours batched before the next request. Compared separately (test_data_api.py).
_TEMPORARY_UNDEF = re.compile(r"""^undef\((?:'\w*TMP_TBL_\w+'|\[?(?:"\w*TMP_(?:TBL|DB)_\w+",?)+\]?, VAR)\)$""")


def _official_program(port: int, csv_path: str) -> str:
    return RUNNER + f"\nsid, results = run_cases({port}, {CASES!r}, {csv_path!r})\n" + \
        "sys.stdout.write('\\nRESULT ' + pickle.dumps((sid, results)).hex() + '\\n')\n"


def _normalize(texts):
    names = {}

    def rename(m):
        return names.setdefault(m.group(0), f"<tmp{len(names)}>")
    return [(kind, _GENERATED.sub(rename, text)) for kind, text in texts]


def _by_case(log, sid, csv_path):
    """{case: [(kind, text)]} from the server log of one session, between the case markers."""
    cases, current = {}, None
    for session, kind, text in log:
        if session != sid:
            continue
        if kind == "script" and text.startswith("`CASE_"):
            current = text[len("`CASE_"):]
            cases[current] = []
        elif current is not None and not (kind == "script" and _TEMPORARY_UNDEF.match(text)):
            cases[current].append((kind, text.replace(csv_path, "<csv>")))
    return {name: _normalize(texts) for name, texts in cases.items()}


@pytest.fixture(scope="module")
def both_clients(official, tmp_path_factory):
    from dolphindb.server import Server
    csv_path = tmp_path_factory.mktemp("data_api") / "bars.csv"
    csv_path.write_text(CSV_TEXT)
    with Server(port=0, workers=4) as theirs, Server(port=0, workers=4) as ours:
        theirs.request_log, ours.request_log = [], []
        out = official(_official_program(theirs.port, str(csv_path)))
        their_sid, their_results = pickle.loads(bytes.fromhex(out.split("RESULT ")[-1].strip()))
        namespace = {}
        exec(RUNNER, namespace)
        our_sid, our_results = namespace["run_cases"](ours.port, CASES, str(csv_path))
        yield ((_by_case(theirs.request_log, their_sid, str(csv_path)), their_results),
               (_by_case(ours.request_log, our_sid, str(csv_path)), our_results))


# Where ours differs on purpose (BULK_WRITERS.md §7 defects): case -> (official texts, ours),
# both checked so that a change on either side is noticed.
DIFFERENCES = {
    # The official client assigns a session variable named after the table (here the user's `pt`).
    "loadTableBySQL": (
        [("script", "pt = 42"), ("script", '\n            pt=loadTable("dfs://api_cases", "pt");\n'
                    "            <tmp0>=loadTableBySQL(<select * from pt where sym='A'>);\n        "),
         ("script", "schema(<tmp0>)"), ("script", "select sym,price,qty,ts from <tmp0>"), ("script", "pt")],
        [("script", "pt = 42"), ("script", '\n            pt_<tmp0>=loadTable("dfs://api_cases", "pt");\n'
                    "            <tmp1>=loadTableBySQL(<select * from pt_<tmp0> where sym='A'>);\n        "),
         ("script", "schema(<tmp1>)"), ("script", "select sym,price,qty,ts from <tmp1>"), ("script", "pt")]),
    # The official client overwrites `db` and pastes the delimiter unquoted.
    "loadTextEx": (
        [("script", "db = 7"), ("script", 'db=database("dfs://api_cases")'),
         ("script", '<tmp0> = loadTextEx(db, "pt", ["ts"], "<csv>", , , sortColumns=["sym"])'),
         ("script", 'pt_<tmp1> = loadTable("dfs://api_cases", "pt", , false)'), ("script", "schema(pt_<tmp1>)"),
         ("script", "db"), ("script", "select count(*) as ct from pt_<tmp1>")],
        [("script", "db = 7"), ("script", '<tmp0>=database("dfs://api_cases")'),
         ("script", '<tmp1> = loadTextEx(<tmp0>, "pt", ["ts"], "<csv>", ",", sortColumns=["sym"])'),
         ("script", 'pt_<tmp2> = loadTable("dfs://api_cases", "pt", , false)'), ("script", "schema(pt_<tmp2>)"),
         ("script", "db"), ("script", "select count(*) as ct from pt_<tmp2>")]),
    "loadTextEx_memory": (
        [("script", '<tmp0> = loadTextEx("memdb", "pt", ["ts"], "<csv>", ; )')],
        [("script", '<tmp0> = loadTextEx("memdb", "pt", ["ts"], "<csv>", ";")')]),
    # The official client writes an index specification as a backtick symbol (not valid for it).
    "createPartitionedTable_indexes": (
        [("script", "db1=database(\"dfs://case_pk\",1,[2024.01M,2024.02M],engine='TSDB')"), ("variable", "<tmp0>"),
         ("script", "<tmp1>=db1.createPartitionedTable(<tmp0>,`pk,`ts,primaryKey=`sym`ts,"
                    "indexes={`price:`vectorIndex(type=flat)});")],
        [("script", "db1=database(\"dfs://case_pk\",1,[2024.01M,2024.02M],engine='TSDB')"), ("variable", "<tmp0>"),
         ("script", "<tmp1>=db1.createPartitionedTable(<tmp0>,`pk,`ts,primaryKey=`sym`ts,"
                    "indexes={`price:\"vectorIndex(type=flat)\"});")]),
    # The official client assigns the result to a session variable `z`.
    "ols": (
        [("variable", "<tmp0>"), ("script", "schema(<tmp0>)"), ("script", "z=exec ols(price,['qty'],true,2) from <tmp0>")],
        [("variable", "<tmp0>"), ("script", "schema(<tmp0>)"), ("script", "exec ols(price,['qty'],true,2) from <tmp0>")]),
}


# Cases the embedded server answers with an error for both clients (the text is still compared):
# no `ols`, no local-disk databases (`saveTable`, `loadTextEx` into "memdb"), no PKEY engine (primaryKey and
# indexes), and a file that does not exist.
EXPECTED_ERRORS = {"ols", "loadTextEx_memory", "loadText_missing", "saveTable", "createPartitionedTable_indexes"}


def _assert_equal_results(theirs, ours):
    assert type(theirs) is type(ours), (theirs, ours)
    if isinstance(theirs, pd.DataFrame):
        pd.testing.assert_frame_equal(ours, theirs)
    elif isinstance(theirs, (tuple, list)):
        assert len(theirs) == len(ours)
        for a, b in zip(theirs, ours):
            _assert_equal_results(a, b)
    elif isinstance(theirs, np.ndarray):
        np.testing.assert_array_equal(ours, theirs)
        assert ours.dtype == theirs.dtype
    elif isinstance(theirs, dict):
        assert theirs.keys() == ours.keys()
        for k in theirs:
            _assert_equal_results(theirs[k], ours[k])
    elif isinstance(theirs, str):   # showSQL texts name generated variables
        assert _GENERATED.sub("<tmp>", ours) == _GENERATED.sub("<tmp>", theirs)
    else:
        assert ours == theirs


@pytest.mark.parametrize("case", [name for name, _ in CASES])
def test_same_script_text_and_result(both_clients, case):
    (their_texts, their_results), (our_texts, our_results) = both_clients
    if case in DIFFERENCES:
        assert (their_texts[case], our_texts[case]) == DIFFERENCES[case]
    else:
        assert our_texts[case] == their_texts[case]
    their_status, their_value = their_results[case]
    our_status, our_value = our_results[case]
    if case == "loadTableBySQL":   # the official client overwrote the user's `pt`
        assert our_value[1] == 42 and isinstance(their_value[1], pd.DataFrame)
        their_value, our_value = their_value[0], our_value[0]
    if case == "loadTextEx":       # ... and `db`
        assert their_status == "ok" and our_status == "ok"
        assert our_value[0] == 7 and their_value[0] != 7
        their_value, our_value = their_value[1], our_value[1]
    assert our_status == their_status, (their_value, our_value)
    assert (our_status == "error") == (case in EXPECTED_ERRORS), our_value
    if their_status == "ok":
        _assert_equal_results(their_value, our_value)
