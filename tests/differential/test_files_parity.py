"""Objects through server files, official client against ours: `readObject` of a file the server
wrote with `writeObject` returns the same objects to both clients, and each client's
`dolphindb.io.loads` of the file's bytes (read back with `readBytes`) gives what `run` of the
object gives."""
from __future__ import annotations

import inspect
import json

import pytest

import dolphindb as ddb
from dolphindb import io
from dolphindb.server import Server
from support.official import assert_runs_like_the_official_client, describe

OBJECTS = ["42", "3000000000l", "1.5 NULL 2.5", "`a`b`c", "2024.01.02 NULL", "[true, false]", "1:5",
           "set(3 3)", "dict(`a`b, 1.5 2.5)", "matrix(1 2, 3 4)", "(1, `x, 2.5)", "decimal64(-3.5, 3)",
           "table(1 2 NULL as i, `x`y`z as s, 2024.01.01 2024.01.02 NULL as d)", "blob('bytes')",
           "NULL:NULL", "`a:`b", "1.5:NULL", "dict(`k, 1)"]

WRITE = ";".join(f'f = file("obj{i}.bin", "w"); f.writeObject({expr}); f.close()' for i, expr in enumerate(OBJECTS))
READ_BYTES = 'def fileBytes(name){ h = file(name); n = h.seek(0, TAIL); h.seek(0, HEAD); b = h.readBytes(n); h.close(); return b }'


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    with Server(port=0, data_dir=tmp_path_factory.mktemp("files-parity")) as srv:
        s = ddb.Session()
        s.connect("127.0.0.1", srv.port, "admin", "123456")
        s.run(WRITE)
        s.close()
        yield srv


@pytest.fixture
def session(node):
    s = ddb.Session()
    s.connect("127.0.0.1", node.port, "admin", "123456")
    yield s
    s.close()


def test_read_object_returns_the_same_objects_to_both_clients(node, session, official):
    connect = f's = ddb.Session(); s.connect("127.0.0.1", {node.port}, "admin", "123456")'
    assert_runs_like_the_official_client(official, connect, [f'readObject("obj{i}.bin")' for i in range(len(OBJECTS))],
                                         session)


def loads_of_file_bytes(s, io, describe, objects):
    """[describe(loads(bytes of the file)), describe(run(object))] for each object."""
    import numpy as np
    s.run(READ_BYTES)
    out = []
    for i, expr in enumerate(objects):
        chars = s.run(f'fileBytes("obj{i}.bin")')       # a CHAR vector; its NULLs (byte 0x80) arrive as NaN
        raw = np.nan_to_num(np.asarray(chars, dtype=np.float64), nan=-128).astype(np.int8).tobytes()
        out.append([describe(io.loads(raw)), describe(s.run(expr))])
    return out


def test_loads_of_written_bytes_equals_the_object_in_both_clients(node, session, official):
    ours = loads_of_file_bytes(session, io, describe, OBJECTS)
    code = (inspect.getsource(describe) + inspect.getsource(loads_of_file_bytes) + f"""
import json, dolphindb as ddb, dolphindb.io as io
READ_BYTES = {READ_BYTES!r}
s = ddb.Session(); s.connect("127.0.0.1", {node.port}, "admin", "123456")
print(json.dumps(loads_of_file_bytes(s, io, describe, {OBJECTS!r})))
""")
    official_results = json.loads(official(code).strip().splitlines()[-1])
    for expr, (loaded, expected), (official_loaded, official_expected) in zip(OBJECTS, ours, official_results):
        assert loaded == official_loaded, (expr, loaded, official_loaded)
        # the official loads turns a DATE NULL into 1970.01.01: there, parity is what counts
        if official_loaded == official_expected:
            assert loaded == expected, (expr, loaded, expected)
