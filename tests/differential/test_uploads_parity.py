"""Array-vector and Decimal uploads: the official client and ours, uploading the same objects
(tests/support/upload_corpus.py) to one embedded server, give the same server-side types and values.

Tables are compared on the server's side: each client uploads and shares its table, then our
session reads both shared tables (one decoder for both) and their schemas. Scalars and vectors are
compared by typestr and by what each client downloads. Refused uploads must fail with the same
message on both sides."""
from __future__ import annotations

import decimal
import pickle
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

import dolphindb as ddb
import dolphindb.settings as keys

from support import upload_corpus as corpus

OFFICIAL = """
import pickle, sys
import dolphindb as ddb, dolphindb.settings as keys
sys.path.insert(0, {tests!r})
from support import upload_corpus as corpus
s = ddb.Session(protocol=keys.PROTOCOL_DDB)
assert s.connect("127.0.0.1", {port}, "admin", "123456")
for name, df in corpus.tables(keys).items():
    s.upload({{"x": df}})
    s.run("share x as {prefix}" + name)
objects = {{}}
for name, obj in corpus.objects().items():
    s.upload({{"x": obj}})
    objects[name] = (s.run("typestr(x)"), s.run("x"))
errors = {{}}
for name, obj in corpus.failures(keys).items():
    try:
        s.upload({{"x": obj}})
        errors[name] = None
    except Exception as e:
        errors[name] = str(e)
with open({out!r}, "wb") as f:
    pickle.dump((objects, errors), f)
"""


def plain(value):
    """Downloaded objects as comparable Python values: arrays as lists, NaN/NaT as None."""
    if isinstance(value, pd.DataFrame):
        return {c: plain(value[c].tolist()) for c in value.columns}
    if isinstance(value, np.ndarray):
        return [str(value.dtype), plain(value.tolist() if value.dtype.kind != "M" else list(value))]
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else str(value)
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, decimal.Decimal):
        return ("Decimal", str(value))
    return value


def test_uploads_match_the_official_client(server, official, tmp_path):
    prefix = f"up_{uuid.uuid4().hex[:8]}_"
    out = tmp_path / "official.pickle"
    official(OFFICIAL.format(tests=str(Path(corpus.__file__).parents[1]), port=server.port, prefix=prefix + "off_", out=str(out)))
    their_objects, their_errors = pickle.loads(out.read_bytes())

    s = ddb.Session(protocol=keys.PROTOCOL_DDB)
    assert s.connect("127.0.0.1", server.port, "admin", "123456")
    mismatches = {}
    for name, df in corpus.tables(keys).items():
        s.upload({"x": df})
        s.run(f"share x as {prefix}ours_{name}")
        ours, theirs = f"{prefix}ours_{name}", f"{prefix}off_{name}"
        types = [list(s.run(f"schema({t}).colDefs")["typeString"]) for t in (ours, theirs)]
        values = [plain(s.run(f"select * from {t}")) for t in (ours, theirs)]
        if types[0] != types[1] or values[0] != values[1]:
            mismatches[name] = (types, values)
    for name, obj in corpus.objects().items():
        s.upload({"x": obj})
        ours = (s.run("typestr(x)"), plain(s.run("x")))
        theirs = (their_objects[name][0], plain(their_objects[name][1]))
        if ours != theirs:
            mismatches[name] = (ours, theirs)
    for name, obj in corpus.failures(keys).items():
        try:
            s.upload({"x": obj})
            ours = None
        except ddb.exceptions.ConversionError as e:
            ours = str(e)
        if ours is None or ours != their_errors[name]:
            mismatches[name] = (ours, their_errors[name])
    s.close()
    assert not mismatches, mismatches
