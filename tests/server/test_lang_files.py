"""File handles of the embedded server over a real connection: file / close / readBytes /
writeBytes / seek / writeObject / readObject, the sandbox directory, the per-session handle
limit and the handles a session leaves open when it ends."""
from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
import pytest
from dolphindb import io

import dolphindb as ddb
from dolphindb.server import Server
from dolphindb.server.lang.builtins.files import MAX_OPEN_FILES


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    with Server(port=0, data_dir=tmp_path_factory.mktemp("files-node")) as srv:
        yield srv


def connect(node, user="admin", password="123456"):
    s = ddb.Session()
    s.connect("127.0.0.1", node.port, user, password)
    return s


@pytest.fixture
def session(node):
    s = connect(node)
    yield s
    s.close()


def open_in_sandbox(node) -> int:
    sandbox = str(node.file_sandbox())
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith(sandbox)
        except OSError:
            pass
    return count


def test_bytes_written_read_back_and_seek_positions(session, node):
    assert session.run('f = file("raw.bin", "w+"); f.writeBytes(char(1 2 3 4 5))') == 5
    assert session.run("f.seek(0, TAIL)") == 5
    assert session.run("f.seek(-2, CURRENT)") == 3
    assert session.run("f.readBytes(2)").tolist() == [4, 5]
    assert session.run("f.seek(1, HEAD)") == 1
    assert session.run("f.readBytes(3)").tolist() == [2, 3, 4]
    session.run("f.close()")
    assert (node.file_sandbox() / "raw.bin").read_bytes() == bytes([1, 2, 3, 4, 5])
    with pytest.raises(RuntimeError, match="closed"):
        session.run("f.readBytes(1)")


@pytest.mark.parametrize("script,value,loaded", [
    ("42", np.int32(42), 42),
    ("42l", 42, 42),
    ("1 2 NULL 4", np.array([1, 2, -2**31, 4], dtype=np.int32), np.array([1, 2, np.nan, 4])),
    ("`a`b`c", np.array(["a", "b", "c"], dtype=object), np.array(["a", "b", "c"], dtype=object)),
    ("table(1 2 3 as id, `x`y`z as name)",) + (pd.DataFrame({"id": np.array([1, 2, 3], dtype=np.int32),
                                                            "name": ["x", "y", "z"]}),) * 2,
])
def test_write_object_is_the_wire_serialization(session, node, script, value, loaded):
    session.run(f'f = file("obj.bin", "w"); f.writeObject({script}); f.close()')
    raw = (node.file_sandbox() / "obj.bin").read_bytes()
    assert raw == io.dumps(value)
    if isinstance(value, pd.DataFrame):
        pd.testing.assert_frame_equal(io.loads(raw), loaded)
    else:
        np.testing.assert_array_equal(io.loads(raw), loaded)
    assert session.run("size(readObject(\"obj.bin\"))") == (len(value) if not np.isscalar(value) else 1)


def test_read_object_of_client_bytes_and_several_objects_in_one_file(session, node):
    (node.file_sandbox() / "client.bin").write_bytes(io.dumps([1.5, "text"]) + io.dumps({"k": 7}))
    assert session.run('readObject("client.bin")') == [1.5, "text"]
    got = session.run('g = file("client.bin"); first = g.readObject(); second = g.readObject(); '
                      'g.close(); [first, second]')
    assert got == [[1.5, "text"], {"k": 7}]
    # what the CHAR vector of a client's serialization holds, written with writeBytes
    session.run("def put(name, b){ h = file(name, \"w\"); h.writeBytes(b); h.close() }")
    session.run("put", "vec.bin", np.frombuffer(io.dumps(np.array([3.0, 4.0])), dtype=np.int8))
    np.testing.assert_array_equal(session.run('readObject("vec.bin")'), [3.0, 4.0])


@pytest.mark.parametrize("name", ["/etc/passwd", "../escape.bin", "sub/../../escape.bin"])
def test_paths_outside_the_sandbox_are_refused(session, name):
    with pytest.raises(RuntimeError, match="outside the server's file directory"):
        session.run(f'file("{name}", "w")')


def test_bad_modes_missing_files_and_garbage_are_clear_errors(session, node):
    with pytest.raises(RuntimeError, match="Invalid file mode"):
        session.run('file("x.bin", "rw")')
    with pytest.raises(RuntimeError, match="Failed to open the file"):
        session.run('file("missing.bin")')
    (node.file_sandbox() / "garbage.bin").write_bytes(b"\x04\x00\x01")
    with pytest.raises(RuntimeError, match="doesn't hold a serialized object"):
        session.run('readObject("garbage.bin")')
    with pytest.raises(RuntimeError, match="file handle"):
        session.run("seek(1, 0)")


def test_guests_cannot_open_files(node):
    s = ddb.Session()
    s.connect("127.0.0.1", node.port)
    try:
        with pytest.raises(RuntimeError, match="Login is required"):
            s.run('file("guest.bin", "w")')
    finally:
        s.close()


def test_open_handles_are_bounded_and_closed_when_the_session_ends(node):
    before = open_in_sandbox(node)
    s = connect(node)
    s.run(f'handles = array(ANY, 0); for (i in 0..{MAX_OPEN_FILES - 1}) handles.append!(file("h" + string(i), "w"))')
    assert open_in_sandbox(node) == before + MAX_OPEN_FILES
    with pytest.raises(RuntimeError, match=f"already holds {MAX_OPEN_FILES} open files"):
        s.run('file("one-too-many", "w")')
    s.close()
    deadline = time.monotonic() + 10
    while open_in_sandbox(node) != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert open_in_sandbox(node) == before


def test_without_a_data_directory_files_live_in_a_temporary_sandbox():
    with Server(port=0) as srv:
        s = connect(srv)
        try:
            s.run('f = file("t.bin", "w"); f.writeObject(1..3); f.close()')
            sandbox = srv.file_sandbox()
            assert (sandbox / "t.bin").exists() and sandbox.name.startswith("ddb-files-")
            np.testing.assert_array_equal(s.run('readObject("t.bin")'), [1, 2, 3])
        finally:
            s.close()


@pytest.mark.parametrize("script", ["NULL:NULL", "1:2", "`a:`b", "2024.01.01:2024.01.02", "set(1 2)", "dict(`a, 1)",
                                    "(1, `x, (2.5, NULL))", "matrix(1 2, 3 4)"])
def test_objects_round_trip_through_a_file(session, script):
    assert session.run(f'f = file("rt.bin", "w"); f.writeObject({script}); f.close(); '
                       f'typestr(readObject("rt.bin")) == typestr({script})')
    ours = session.run(script)
    back = session.run('readObject("rt.bin")')
    assert repr(back) == repr(ours)

