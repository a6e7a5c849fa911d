"""The official client 3.0.6.1 as a reference peer: where its venv is, and the comparison of what
it and our client return for the same scripts."""
from __future__ import annotations

import inspect
import json
import os
from pathlib import Path

import pytest

import dolphindb as ddb

from support import ROOT


def official_python() -> str:
    path = os.environ.get("DDB_OFFICIAL_PYTHON", str(ROOT / ".venv-official" / "bin" / "python"))
    if not Path(path).exists():
        pytest.fail(f"the official client venv is missing ({path}); .ci/run creates it")
    return path


def describe(obj):
    """A text that is equal only for equal objects of equal types (runs in both clients)."""
    import numpy as np
    import pandas as pd
    try:
        import pyarrow as pa
        if isinstance(obj, pa.Table):
            return "arrow " + str(obj.schema) + " " + repr(obj.to_pydict())
    except ImportError:
        pass
    if isinstance(obj, pd.DataFrame):
        return repr(obj) + " || " + repr([str(d) for d in obj.dtypes]) + " || " + repr(obj.to_dict("list"))
    if isinstance(obj, np.ndarray):
        return "ndarray " + str(obj.dtype) + " " + str(obj.shape) + " " + repr(obj.tolist())
    if isinstance(obj, (list, tuple)):
        return type(obj).__name__ + "[" + ", ".join(describe(x) for x in obj) + "]"
    return type(obj).__name__ + " " + repr(obj)


def assert_runs_like_the_official_client(official, connect: str, scripts, session) -> None:
    """Runs `scripts` in the official client, on the session the code `connect` binds to `s`
    (with `ddb` and `keys` imported), and in ours on `session`: every describe() text must match."""
    code = inspect.getsource(describe) + f"""
import json, dolphindb as ddb, dolphindb.settings as keys
{connect}
print(json.dumps({{script: describe(s.run(script)) for script in {list(scripts)!r}}}))
"""
    expected = json.loads(official(code).strip().splitlines()[-1])
    mismatches = {}
    for script in scripts:
        ours = describe(session.run(script))
        if ours != expected[script]:
            mismatches[script] = (ours, expected[script])
    assert not mismatches, mismatches


def outcomes_in_both_clients(official, fn, *args):
    """fn(ddb, *args) run by the official client (fn's source is sent to it) and by ours:
    (ours, the official's), both through JSON so they compare alike."""
    code = inspect.getsource(fn) + f"""
import json, dolphindb as ddb
print(json.dumps({fn.__name__}(ddb, *{args!r})))
"""
    expected = json.loads(official(code).strip().splitlines()[-1])
    return json.loads(json.dumps(fn(ddb, *args))), expected


def script_reprs(ddb, port, scripts):
    """repr() of what a fresh session of this client returns for each script (a function of `ddb`
    for outcomes_in_both_clients)."""
    s = ddb.session()
    s.connect("127.0.0.1", port, "admin", "123456")
    try:
        return [repr(s.run(script)) for script in scripts]
    finally:
        s.close()
