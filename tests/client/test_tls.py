"""TLS: Session and DBConnectionPool with enableSSL against the embedded server's TLS listener.

Certificates are made at test time: a throwaway CA, a server certificate it signs for 127.0.0.1
and localhost, one it signs for another name, and a second CA nobody trusts.
"""
from __future__ import annotations

import asyncio
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import dolphindb as ddb
from dolphindb import exceptions
from dolphindb.server import Cluster, Server
from support.pki import Pki

USER, PASSWORD = "admin", "123456"
# Long enough that a failure reported as anything but a timeout did not wait for it.
SLOW_CONNECT = 30


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_server(pki):
    cert, key = pki.server
    with Server(port=0, tls_cert=cert, tls_key=key) as srv:
        yield srv


@pytest.fixture(scope="module")
def wrong_name_server(pki):
    cert, key = pki.wrong_name
    with Server(port=0, tls_cert=cert, tls_key=key) as srv:
        yield srv


def tls_session(pki, port, host="127.0.0.1", **kw):
    s = ddb.Session(enableSSL=True, sslCAFile=pki.ca, **kw)
    assert s.connect(host, port, USER, PASSWORD), s.last_error
    return s


# -- working connections --------------------------------------------------------------------

def test_session_queries_and_uploads_over_tls(pki, tls_server):
    s = tls_session(pki, tls_server.port)
    assert s.run("1+1") == 2
    big = np.arange(2_000_000, dtype=np.int64)   # many TLS records each way
    s.upload({"big": big})
    assert s.run("sum(big)") == big.sum()
    np.testing.assert_array_equal(s.run("big"), big)
    t = s.run("table(1..3 as a, `x`y`z as b)")
    assert isinstance(t, pd.DataFrame) and t["b"].tolist() == ["x", "y", "z"]
    s.close()


def test_host_names_are_verified_like_addresses(pki, tls_server):
    s = tls_session(pki, tls_server.port, host="localhost")
    assert s.run("`ok") == "ok"


def test_read_timeouts_work_over_tls(pki, tls_server):
    s = ddb.Session(enableSSL=True, sslCAFile=pki.ca)
    assert s.connect("127.0.0.1", tls_server.port, USER, PASSWORD, timeout=0.3), s.last_error
    with pytest.raises(exceptions.DDBTimeoutError):
        s.run("sleep(3000); 1")


def test_pool_over_tls(pki, tls_server, io_mode):
    with ddb.DBConnectionPool("127.0.0.1", tls_server.port, 4, USER, PASSWORD, enableSSL=True,
                              sslCAFile=pki.ca) as pool:
        async def main():
            small = await asyncio.gather(*[pool.run(f"{i}*2") for i in range(100)])
            big = await asyncio.gather(*[pool.run("1..500000") for _ in range(6)])
            with pytest.raises(RuntimeError, match="timed out"):
                await pool.run("sleep(3000); 1", timeout=0.3)
            return small, big, await pool.run("`after")
        small, big, after = asyncio.run(main())
        assert small == [i * 2 for i in range(100)]
        assert all(len(v) == 500_000 and v[-1] == 500_000 for v in big)
        assert after == "after"
        assert pool.runTaskAsync("add", 2, 3).result(10) == 5


def test_verification_can_be_turned_off_explicitly(wrong_name_server):
    s = ddb.Session(enableSSL=True, sslVerify=False)
    assert s.connect("127.0.0.1", wrong_name_server.port, USER, PASSWORD), s.last_error
    assert s.run("3") == 3
    with ddb.DBConnectionPool("127.0.0.1", wrong_name_server.port, 2, USER, PASSWORD, enableSSL=True,
                              sslVerify=False) as pool:
        assert pool.runTaskAsync("4").result(10) == 4


# -- failures: typed, prompt, explained ----------------------------------------------------

def pool_error(port, **kw):
    with pytest.raises(exceptions.NetworkError) as info:
        ddb.DBConnectionPool("127.0.0.1", port, 2, USER, PASSWORD, connectTimeout=SLOW_CONNECT, **kw)
    return info.value


def test_an_untrusted_ca_is_refused(pki, tls_server):
    e = pool_error(tls_server.port, enableSSL=True, sslCAFile=pki.other_ca)
    assert isinstance(e, exceptions.TlsError)
    assert "certificate is not trusted" in str(e) and f"127.0.0.1:{tls_server.port}" in str(e)
    s = ddb.Session(enableSSL=True, sslCAFile=pki.other_ca)
    assert not s.connect("127.0.0.1", tls_server.port, USER, PASSWORD)
    assert "certificate is not trusted" in s.last_error


def test_reconnecting_sessions_do_not_retry_a_refused_certificate(pki, tls_server):
    s = ddb.Session(enableSSL=True, sslCAFile=pki.other_ca)
    assert not s.connect("127.0.0.1", tls_server.port, USER, PASSWORD, reconnect=True, reconnectTimeout=30)
    assert "certificate is not trusted" in s.last_error and "reconnect attempts" not in s.last_error


def test_the_system_trust_store_does_not_know_a_private_ca(tls_server):
    e = pool_error(tls_server.port, enableSSL=True)
    assert isinstance(e, exceptions.TlsError) and "unable to get local issuer certificate" in str(e)


def test_the_system_trust_store_follows_ssl_cert_file(pki, tls_server, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", pki.ca)   # how a private CA joins the system's trust
    s = ddb.Session(enableSSL=True)
    assert s.connect("127.0.0.1", tls_server.port, USER, PASSWORD), s.last_error
    assert s.run("8") == 8


def test_a_certificate_for_another_host_is_refused(pki, wrong_name_server):
    e = pool_error(wrong_name_server.port, enableSSL=True, sslCAFile=pki.ca)
    assert isinstance(e, exceptions.TlsError)
    assert "not issued for '127.0.0.1'" in str(e)


def test_plaintext_client_against_a_tls_server(tls_server):
    e = pool_error(tls_server.port)
    assert not isinstance(e, exceptions.TlsError)
    assert "if the server requires TLS, enable it on the client" in str(e)


def test_tls_client_against_a_plaintext_server(pki, server):
    e = pool_error(server.port, enableSSL=True, sslCAFile=pki.ca)
    assert isinstance(e, exceptions.TlsError) and "does it serve TLS?" in str(e)
    assert ddb.Session().connect("127.0.0.1", server.port, USER, PASSWORD)   # the server is unharmed


def test_a_tls_server_survives_clients_that_give_up_mid_handshake(pki, tls_server):
    import socket
    with socket.create_connection(("127.0.0.1", tls_server.port)) as raw:
        raw.sendall(b"\x16\x03\x01\x00\x05hello")   # a truncated ClientHello, then silence
        s = tls_session(pki, tls_server.port)     # another client is served meanwhile
        assert s.run("5") == 5


def test_bad_ca_file_and_contradictory_options(pki, tls_server, tmp_path):
    e = pool_error(tls_server.port, enableSSL=True, sslCAFile=str(tmp_path / "missing.pem"))
    assert isinstance(e, exceptions.TlsError) and "missing.pem" in str(e)
    with pytest.raises(ValueError, match="enableSSL=True"):
        ddb.Session(sslCAFile=pki.ca)
    with pytest.raises(ValueError, match="enableSSL=True"):
        ddb.DBConnectionPool("127.0.0.1", tls_server.port, 1, sslVerify=False)
    with pytest.raises(ValueError, match="sslVerify=False"):
        ddb.Session(enableSSL=True, sslCAFile=pki.ca, sslVerify=False)
    with pytest.raises(TypeError):
        ddb.Session(enableSSL=True, sslVerify="no")


# -- the server side ------------------------------------------------------------------------

def test_cluster_nodes_serve_tls_and_sessions_fail_over(pki):
    cert, key = pki.server
    with Cluster(datanodes=2, computenodes=0, controller=False, tls_cert=cert, tls_key=key) as cluster:
        host, port = cluster.address("dnode1")
        s = ddb.Session(enableSSL=True, sslCAFile=pki.ca)
        assert s.connect(host, port, USER, PASSWORD, highAvailability=True, reconnectTimeout=10), s.last_error
        node, failovers = s.node, s.stats()["failovers"]
        cluster.kill(node_alias(cluster, node))
        assert s.run("7") == 7
        assert s.node != node and s.stats()["failovers"] == failovers + 1


def node_alias(cluster, address):
    return next(a for a in cluster.nodes if "%s:%d" % cluster.address(a) == address)


def test_command_line_server_serves_tls(pki):
    cert, key = pki.server
    proc = subprocess.Popen([sys.executable, "-m", "dolphindb.server", "--port", "0", "--tls-cert", cert,
                             "--tls-key", key], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("READY port="), line
        s = tls_session(pki, int(line.split("=")[1]))
        assert s.run("6*7") == 42
        s.close()
    finally:
        proc.terminate()
        proc.wait(10)


def test_unusable_server_certificates_are_named(pki, tmp_path):
    cert, _ = pki.server
    with pytest.raises(ValueError, match="missing.key"):
        Server(port=0, tls_cert=cert, tls_key=str(tmp_path / "missing.key"))
    with pytest.raises(ValueError, match="tls_key needs tls_cert"):
        Server(port=0, tls_key=cert)
    proc = subprocess.run([sys.executable, "-m", "dolphindb.server", "--port", "0", "--tls-cert", cert],
                          capture_output=True, text=True, timeout=60)   # the key is not in the file
    assert proc.returncode == 2 and "cannot load the TLS certificate" in proc.stderr


# -- the official client ---------------------------------------------------------------------

def test_the_official_client_with_enable_ssl(tls_server, official):
    """The official enableSSL encrypts but does not check the certificate: it talks to a server
    whose certificate no CA it knows has signed. Its DBConnectionPool has no TLS option."""
    out = official(f"""
        import dolphindb as ddb
        s = ddb.Session(enableSSL=True)
        print(s.connect("127.0.0.1", {tls_server.port}, "{USER}", "{PASSWORD}"))
        print(s.run("sum(1..100)"))
        print(s.run("table(1..3 as a)")["a"].tolist())
    """)
    assert out.split("\n")[:3] == ["True", "5050", "[1, 2, 3]"]


def test_multithreaded_table_writer_over_tls(pki, tls_server):
    s = tls_session(pki, tls_server.port)
    s.run("share table(1:0, `id`v, [INT, DOUBLE]) as mtw_tls")
    writer = ddb.MultithreadedTableWriter("127.0.0.1", tls_server.port, USER, PASSWORD, "", "mtw_tls", useSSL=True,
                                          sslCAFile=pki.ca, batchSize=100, throttle=0.01)
    for i in range(1000):
        assert writer.insert(i, i * 0.5).errorCode == ""
    writer.waitForThreadCompletion()
    assert writer.getStatus().errorCode == "" and writer.getUnwrittenData() == []
    assert s.run("exec id from mtw_tls").tolist() == list(range(1000))
    s.close()


def test_multithreaded_table_writer_refuses_an_untrusted_tls_server(tls_server):
    with pytest.raises(RuntimeError, match="Failed to connect"):
        ddb.MultithreadedTableWriter("127.0.0.1", tls_server.port, USER, PASSWORD, "", "mtw_tls", useSSL=True)
