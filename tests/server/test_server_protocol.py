"""The embedded server over real sockets, spoken to byte by byte (no client library)."""
from __future__ import annotations

import socket
import threading
import time

import numpy as np
import pytest

from dolphindb.server import Server
from dolphindb.server.model.values import INT, LONG, STRING, Scalar, Vector
from dolphindb.server.wire import codec
from dolphindb.server.wire.framing import SocketReader
from support import CAPTURES


class RawClient:
    def __init__(self, port, login=("admin", "123456")):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.reader = SocketReader(self.sock)
        body = "connect\n" if login is None else f"connect\nlogin\n{login[0]}\n{login[1]}\nfalse"
        self.sid = "0"
        self.messages = []
        self.status, self.value = self.request(body, handshake=True)

    def request(self, body: str, args=(), flag=32, handshake=False, fetch=0):
        options = f"{flag}_1_4_2" if handshake else f"{flag}_1_4_64__{fetch}"
        kind = "API" if handshake else "API2"
        raw = f"{kind} {self.sid} {len(body.encode())} / {options}\n{body}".encode()
        raw += b"".join(codec.encode(a) for a in args)
        self.sock.sendall(raw)
        if flag & 4 and not handshake:
            return None, None
        return self.read_reply()

    def read_reply(self):
        self.messages = []
        while True:
            line = self.reader.read_until(b"\n", 1 << 16).decode()
            if line == "MSG":
                self.messages.append(self.reader.read_cstring().decode())
                continue
            break
        sid, n, endian = line.split(" ")
        assert endian == "1"
        self.sid = sid
        status = self.reader.read_until(b"\n", 1 << 16).decode()
        value = codec.decode(self.reader) if status == "OK" and int(n) == 1 else None
        return status, value

    def script(self, text, **kw):
        return self.request("script\n" + text, **kw)

    def call(self, name, *args, **kw):
        return self.request(f"function\n{name}\n{len(args)}\n1", args, **kw)

    def close(self):
        self.sock.close()


def test_connect_login_and_session_ids(server):
    a, b = RawClient(server.port), RawClient(server.port, login=None)
    assert a.status == "OK" and a.value.type == 1 and a.value.value == 1
    assert b.status == "OK" and b.value is None
    assert a.sid != b.sid and a.sid.isdigit()
    a.close(), b.close()


def test_wrong_password_is_rejected_with_the_server_text(server):
    c = RawClient(server.port, login=("admin", "nope"))
    assert c.status.startswith("The user name or password is incorrect")
    c.close()


def test_script_function_and_variable_requests(server):
    c = RawClient(server.port)
    status, v = c.script("1+1")
    assert status == "OK" and v.value == 2 and v.type == INT
    status, v = c.call("add", Scalar(LONG, 1), Scalar(LONG, 2))
    assert status == "OK" and v.value == 3 and v.type == LONG
    status, v = c.request("variable\nx,y\n2\n1", (Scalar(LONG, 5), Vector(STRING, np.array(["a", "b"], dtype=object))))
    assert status == "OK" and v is None
    status, v = c.script("x * 2")
    assert v.value == 10
    status, v = c.script("y")
    assert list(v.data) == ["a", "b"]
    status, v = c.call("version")
    assert v.value.startswith("3.00")
    c.close()


def test_errors_keep_the_session_usable(server):
    c = RawClient(server.port)
    status, _ = c.script("err")
    assert status.startswith("Syntax Error: [line #1]") and "err" in status
    status, _ = c.call("noSuchFunction")
    assert status == "Can't recognize function name noSuchFunction"
    assert c.script("3*3")[1].value == 9
    c.close()


def test_print_output_arrives_as_msg_frames(server):
    c = RawClient(server.port)
    status, v = c.script("print(\"hello\"); 1")
    assert c.messages == ["hello"] and v.value == 1
    c.close()


def test_clear_memory_drops_variables_created_by_the_request(server):
    c = RawClient(server.port)
    c.script("keep = 1")
    c.script("tmp = 2", flag=32 | 16)
    assert c.script("keep")[1].value == 1
    assert c.script("tmp")[0].startswith("Syntax Error")
    c.close()


def test_async_requests_get_no_reply(server):
    c = RawClient(server.port)
    assert c.script("z = 41", flag=32 | 4) == (None, None)
    assert c.script("z + 1")[1].value == 42
    c.close()


def test_fetch_size_streams_table_blocks(server):
    c = RawClient(server.port)
    c.script("t = table(1..20000 as a)")
    status, v = c.script("t", fetch=8192)
    assert status == "OK" and v.type == 25
    assert [b.rows for b in v.data] == [8192, 8192, 3616]
    assert v.data[2].columns["a"].data[-1] == 20000
    status, _ = c.script("t", fetch=100)
    assert "8192" in status
    c.close()


def test_ten_sleeping_sessions_run_concurrently(server):
    clients = [RawClient(server.port) for _ in range(10)]
    results = []

    def run(c):
        results.append(c.script("sleep(200); 1")[1].value)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    [t.start() for t in threads]
    [t.join(10) for t in threads]
    elapsed = time.perf_counter() - t0
    assert results == [1] * 10
    assert elapsed < 1.5, elapsed
    [c.close() for c in clients]


@pytest.mark.parametrize("garbage", [
    b"\x00\x01\x02garbage\n",
    b"API2 1 999999999999 / 32\n",
    b"API2 1 5 / 32_1_4_64__0\nscr",            # truncated body, then disconnect
    b"NOTAPI 0 8\nconnect\n",
    b"API 0 8 / x_y\nconnect\n",
    b"A" * 100_000,                               # a header line that never ends
])
def test_garbage_does_not_disturb_other_sessions(server, garbage):
    good = RawClient(server.port)
    bad = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    bad.sendall(garbage)
    bad.close()
    assert good.script("2+2")[1].value == 4
    assert RawClient(server.port).script("1")[1].value == 1
    good.close()


def test_lying_vector_length_in_an_upload_does_not_allocate(server):
    c = RawClient(server.port)
    # a LONG vector claiming 2^31-1 rows, followed by 16 bytes and a disconnect
    payload = b"\x05\x01" + (2**31 - 1).to_bytes(4, "little") + (1).to_bytes(4, "little") + b"\x00" * 16
    c.sock.sendall(b"API2 %s 15 / 32_1_4_64__0\nvariable\nv\n1\n1" % c.sid.encode() + payload)
    c.close()
    other = RawClient(server.port)
    assert other.script("5")[1].value == 5
    other.close()


def test_cancel_console_job_stops_a_sleep_in_another_session(server):
    victim, killer = RawClient(server.port), RawClient(server.port)
    out = []
    t = threading.Thread(target=lambda: out.append(victim.script("sleep(5000); 1")))
    t0 = time.perf_counter()
    t.start()
    time.sleep(0.3)
    status, ids = killer.script(f"exec rootJobId from getConsoleJobs() where sessionId = {victim.sid}")
    assert status == "OK" and len(ids.data) == 1
    assert killer.call("cancelConsoleJob", ids)[0] == "OK"
    t.join(5)
    assert time.perf_counter() - t0 < 3
    assert "cancel" in out[0][0].lower()
    assert victim.script("7")[1].value == 7
    victim.close(), killer.close()


def test_session_memory_stat_and_cluster_perf_count_live_connections():
    with Server(port=0) as srv:
        clients = [RawClient(srv.port) for _ in range(3)]
        status, t = clients[0].script("getSessionMemoryStat()")
        assert status == "OK" and t.rows == 3
        assert sorted(t.columns["sessionId"].data.tolist()) == sorted(int(c.sid) for c in clients)
        status, perf = clients[0].script("rpc(getControllerAlias(), getClusterPerf)")
        assert perf.columns["connectionNum"].data.tolist() == [3]
        assert perf.columns["port"].data.tolist() == [srv.port]
        clients[2].close()
        time.sleep(0.2)
        assert clients[0].call("getClusterPerf")[1].columns["connectionNum"].data.tolist() == [2]
        [c.close() for c in clients[:2]]


def test_shared_tables_survive_a_restart_with_a_data_dir(tmp_path):
    with Server(port=0, data_dir=tmp_path) as srv:
        c = RawClient(srv.port)
        c.script("t = table(1 2 3 as a, `x`y`z as s); share t as st")
        c.script("tableInsert(st, 4, `w)")
        c.close()
    with Server(port=0, data_dir=tmp_path) as srv:
        c = RawClient(srv.port)
        status, t = c.script("select * from st")
        assert status == "OK"
        assert t.columns["a"].data.tolist() == [1, 2, 3, 4]
        assert list(t.columns["s"].data) == ["x", "y", "z", "w"]
        c.close()


def _captured_requests():
    cases = []
    for case in sorted(CAPTURES.iterdir()):
        conns = {}
        for f in sorted(case.glob("c*_req.bin")):
            conn = f.name.split("_")[0] + f.name.split("_")[1]
            conns.setdefault(conn, []).append(f)
        for conn, files in conns.items():
            cases.append(pytest.param(files, id=f"{case.name}-{conn}"))
    return cases


@pytest.mark.parametrize("files", _captured_requests())
def test_every_captured_request_gets_a_well_formed_reply(server, files):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    reader = SocketReader(sock)
    sid = "0"
    try:
        for f in files:
            raw = f.read_bytes()
            head, rest = raw.split(b"\n", 1)
            parts = head.split(b" ")
            if parts[0] == b"API2":
                parts[1] = sid.encode()
            sock.sendall(b" ".join(parts) + b"\n" + rest)
            options = parts[4].split(b"_") if len(parts) > 4 else [b"0"]
            if int(options[0]) & 4 and parts[0] == b"API2":
                continue
            line = reader.read_until(b"\n", 1 << 16)
            while line == b"MSG":
                reader.read_cstring()
                line = reader.read_until(b"\n", 1 << 16)
            fields = line.split(b" ")
            assert len(fields) == 3 and fields[2] == b"1", line
            sid = fields[0].decode()
            status = reader.read_until(b"\n", 1 << 16)
            if status == b"OK" and fields[1] == b"1":
                codec.decode(reader)
            else:
                assert fields[1] == b"0", line
    finally:
        sock.close()


def test_rsa_encrypted_login_and_logout(server):
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    c = RawClient(server.port, login=None)
    status, pem = c.call("getDynamicPublicKey")
    assert status == "OK" and pem.value.startswith("-----BEGIN PUBLIC KEY-----")
    key = serialization.load_pem_public_key(pem.value.encode())

    def enc(text):   # base64 with line breaks, as the C++ API's OpenSSL BIO writes it
        b64 = base64.b64encode(key.encrypt(text.encode(), padding.PKCS1v15())).decode()
        return "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64)) + "\n"

    status, ok = c.call("login", Scalar(STRING, enc("admin")), Scalar(STRING, enc("123456")), Scalar(1, 1))
    assert status == "OK" and ok.value == 1
    assert c.script("getCurrentSessionAndUser()")[1].data[1].value == "admin"
    status, _ = c.call("login", Scalar(STRING, enc("admin")), Scalar(STRING, enc("bad")), Scalar(1, 1))
    assert status.startswith("The user name or password is incorrect")
    status, ok = c.call("login", Scalar(STRING, "admin"), Scalar(STRING, "123456"), Scalar(1, 0))
    assert status == "OK" and ok.value == 1
    assert c.script("logout()")[0] == "OK"
    assert c.script("getCurrentSessionAndUser()")[1].data[1].value == "guest"
    c.close()
