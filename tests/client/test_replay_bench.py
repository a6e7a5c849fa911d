"""bench/replay end to end: the recording proxy in front of the embedded server, then the replay server
(built here with CMake) answering both clients and the bare C client from the recording."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import dolphindb as ddb

from support import ROOT
from support.official import official_python

BENCH = ROOT / "bench"


def bench_module(name):
    """A bench/ script loaded by path (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


replay_record = bench_module("replay_record")
Child, read_recording = replay_record.Child, replay_record.read_recording
TABLE = "table(1..6 as id, `a`b`c`d`e`f as name, symbol(`x`y`x`y`x`y) as sym, [1.5, NULL, 2.5, 3.5, 4.5, 5.5] as price)"
VECTOR_ARG = np.arange(300_000, dtype=np.int64)   # 2.4 MB of arguments: arrives in many reads

OFFICIAL_SCRIPTS = f"""
import json, sys
import numpy as np
import dolphindb as ddb
s = ddb.Session()
s.connect("127.0.0.1", int(sys.argv[1]), "admin", "123456")
out = {{"scalar": repr(s.run("1+1")), "table": s.run({TABLE!r}).to_json(),
        "sum": repr(s.run("sum", np.arange(300_000, dtype=np.int64)))}}
print(json.dumps(out))
"""


def ours(port):
    s = ddb.Session()   # default settings: RSA-encrypted login, whose arguments differ on every connection
    assert s.connect("127.0.0.1", port, "admin", "123456")
    try:
        return {"scalar": s.run("1+1"), "table": s.run(TABLE), "sum": s.run("sum", VECTOR_ARG)}
    finally:
        s.close()


def official(port):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([official_python(), "-c", OFFICIAL_SCRIPTS, str(port)], env=env, capture_output=True, text=True,
                          timeout=120, cwd="/")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def tools(tmp_path_factory):
    if shutil.which("cmake") is None:
        pytest.fail("cmake is needed to build bench/replay")
    build = tmp_path_factory.mktemp("replay-build")
    for cmd in (["cmake", "-S", str(BENCH / "replay"), "-B", str(build)], ["cmake", "--build", str(build), "-j2"]):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return build


def test_replay_server_answers_both_clients_as_the_embedded_server_did(tools, tmp_path):
    from dolphindb.server import Server

    recording = tmp_path / "recording.bin"
    with Server(port=0, workers=4) as srv:
        proxy = Child([sys.executable, str(BENCH / "replay_record.py"), "--upstream-port", str(srv.port),
                       "--out", str(recording)])
        try:
            ours_embedded, official_embedded = ours(proxy.port), official(proxy.port)
        finally:
            code, out, err = proxy.stop()
    assert code == 0, out + err
    assert out.startswith("recorded ") and "differing replies for" not in out, out

    server = Child([str(tools / "replay_server"), "--recording", str(recording)])
    try:
        ours_replayed, official_replayed = ours(server.port), official(server.port)
        assert ours_replayed["scalar"] == ours_embedded["scalar"] == 2
        pd.testing.assert_frame_equal(ours_replayed["table"], ours_embedded["table"])
        assert len(ours_replayed["table"]) == 6
        assert ours_replayed["sum"] == ours_embedded["sum"] == int(VECTOR_ARG.sum())
        assert official_replayed == official_embedded
        assert official_replayed["sum"] == repr(int(VECTOR_ARG.sum()))

        # A request that was never recorded is refused by name, not answered with something else.
        s = ddb.Session()
        s.connect("127.0.0.1", server.port, "admin", "123456")
        with pytest.raises(RuntimeError, match="no recorded reply for the request"):
            s.run("2+2")
        s2 = ddb.Session()
        s2.connect("127.0.0.1", server.port, "admin", "123456")
        with pytest.raises(RuntimeError, match="no recorded reply for the arguments"):
            s2.run("sum", VECTOR_ARG + 1)

        # The bare client: the official client's connect, then "1+1" over 4 connections; its warm-up
        # replies are checked byte for byte against the recording.
        bodies = [key[key.index(b"\n") + 1:] for key, *_ in read_recording(recording)]
        connect = bodies.index(b"connect\nlogin\nadmin\n123456\nfalse")
        task = bodies.index(b"script\n1+1")
        proc = subprocess.run([str(tools / "replay_client"), "--recording", str(recording), "--port", str(server.port),
                               "--connect", str(connect), "--task", str(task), "--tasks", "200", "--connections", "4"],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        figures = json.loads(proc.stdout)
        assert figures["ops"] == 200 and figures["wall"] > 0 and figures["reply_bytes"] == len(" 1 1\nOK\n") + 6
    finally:
        code, _, err = server.stop()
    assert code == 0, err
