"""The simulated cluster (dolphindb.server.Cluster) over real sockets: cluster functions, fault
injection, cross-node request dedup, the CLI, and the official client failing over across it."""
from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
import uuid

import pytest

from dolphindb.server import Cluster, Server
from dolphindb.server.model.values import BOOL, DOUBLE, INT, LONG, STRING
from support.cluster import wait_for
from test_server_protocol import RawClient


PERF_TYPES = {
    "host": STRING, "port": INT, "site": STRING, "mode": INT, "state": BOOL, "maxConnections": INT,
    "maxMemSize": DOUBLE, "workerNum": INT, "executorNum": INT, "connectionNum": INT, "name": STRING,
    "memoryUsed": LONG, "memoryAlloc": LONG, "cpuUsage": DOUBLE, "avgLoad": DOUBLE,
    "runningJobs": INT, "queuedJobs": INT, "publicName": STRING,
}


@pytest.fixture
def cluster():
    with Cluster(datanodes=3, computenodes=1) as c:
        yield c


def connect(c, alias, **kw) -> RawClient:
    return RawClient(c.address(alias)[1], **kw)


def perf(client, script="rpc(getControllerAlias(), getClusterPerf)"):
    status, t = client.script(script)
    assert status == "OK", status
    return {name: col.data.tolist() for name, col in t.columns.items()}, t


class TaggedClient(RawClient):
    """A RawClient whose requests carry an HA clientId and seqNo (PROTOCOL.md §2.2.4)."""

    def tagged(self, text, client_id, seq):
        body = "script\n" + text
        options = f"32_1_4_64__0__{client_id}_{seq}"
        self.sock.sendall(f"API2 {self.sid} {len(body.encode())} / {options}\n{body}".encode())
        return self.read_reply()


# -- topology and cluster functions --------------------------------------------------------------

def test_nodes_addresses_and_base_port():
    with Cluster(datanodes=2, computenodes=1) as c:
        assert c.nodes == ["controller", "dnode1", "dnode2", "cnode1"]
        ports = [c.address(a)[1] for a in c.nodes]
        assert len(set(ports)) == 4 and all(c.address(a)[0] == "127.0.0.1" for a in c.nodes)
        with pytest.raises(KeyError, match="dnode9"):
            c.address("dnode9")
    for _ in range(5):   # a probed free port whose neighbours another process took: probe again
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        base = probe.getsockname()[1]
        probe.close()
        try:
            c = Cluster(datanodes=2, computenodes=1, controller=False, base_port=base).start()
        except OSError:
            continue
        try:
            assert c.nodes == ["dnode1", "dnode2", "cnode1"]
            assert [c.address(a)[1] for a in c.nodes] == [base, base + 1, base + 2]
            assert c.controller_alias == "dnode1"
        finally:
            c.stop()
        return
    pytest.fail("no free range of 3 loopback ports in 5 attempts")


@pytest.mark.parametrize("kw", [dict(datanodes=0), dict(computenodes=-1), dict(base_port=70000),
                                dict(datanodes="3")])
def test_bad_cluster_arguments_raise(kw):
    with pytest.raises(ValueError):
        Cluster(**kw)


def test_cluster_perf_columns_types_and_values(cluster):
    c = connect(cluster, "dnode2")
    values, table = perf(c)
    assert list(table.columns) == list(PERF_TYPES)
    assert {n: col.type for n, col in table.columns.items()} == PERF_TYPES
    assert values["name"] == ["dnode1", "dnode2", "dnode3", "cnode1"]      # no controller by default
    assert values["mode"] == [0, 0, 0, 4]
    assert values["port"] == [cluster.address(a)[1] for a in values["name"]]
    assert values["host"] == ["127.0.0.1"] * 4 and values["publicName"] == ["127.0.0.1"] * 4
    assert values["site"] == [f"127.0.0.1:{p}:{a}" for p, a in zip(values["port"], values["name"])]
    assert values["state"] == [1, 1, 1, 1]
    assert values["connectionNum"] == [0, 1, 0, 0]
    assert values["runningJobs"] == [0, 1, 0, 0]        # the getClusterPerf job itself
    assert values["workerNum"] == [8] * 4 and values["executorNum"] == [7] * 4
    assert values["maxConnections"] == [512] * 4 and values["maxMemSize"] == [16.0] * 4
    everything, _ = perf(c, "getClusterPerf(true)")
    assert everything["name"] == ["controller", "dnode1", "dnode2", "dnode3", "cnode1"]
    assert everything["mode"][0] == 2
    assert c.call("getClusterPerf")[1].rows == 4          # a `function` request, as Java sends it
    c.close()


def test_connection_num_counts_live_connections(cluster):
    watcher = connect(cluster, "cnode1")

    def num():
        values, _ = perf(watcher)
        return dict(zip(values["name"], values["connectionNum"]))

    clients = [connect(cluster, "dnode1") for _ in range(3)] + [connect(cluster, "dnode3")]
    assert num() == {"dnode1": 3, "dnode2": 0, "dnode3": 1, "cnode1": 1}
    clients[0].close()
    clients[3].close()
    wait_for(lambda: num() == {"dnode1": 2, "dnode2": 0, "dnode3": 0, "cnode1": 1})
    [cl.close() for cl in clients[1:3]]
    watcher.close()


def test_controller_alias_node_alias_node_type_and_rpc(cluster):
    c = connect(cluster, "dnode1")
    assert c.script("getControllerAlias()")[1].value == "controller"
    assert c.script("getNodeAlias()")[1].value == "dnode1"
    assert c.script("getNodeType()")[1].value == 0
    assert connect(cluster, "cnode1").script("getNodeType()")[1].value == 4
    assert connect(cluster, "controller").script("getNodeType()")[1].value == 2
    assert c.script("rpc(`dnode3, getNodeAlias)")[1].value == "dnode3"
    assert c.script("rpc(`cnode1, getNodeType)")[1].value == 4
    assert c.script("rpc(`dnode2, add, 3, 4)")[1].value == 7
    assert c.script("rpc(getControllerAlias(), getNodeAlias)")[1].value == "controller"
    assert c.script("rpc(`nowhere, getNodeAlias)")[0] == "Can't find the node with alias nowhere"
    c.script("x = 1")                           # rpc runs in a fresh context on the target node
    assert c.script("rpc(`dnode2, def() { return x })")[0].startswith("Syntax Error")
    c.close()


def test_live_data_nodes(cluster):
    c = connect(cluster, "dnode2")
    addr = lambda a: "%s:%d" % cluster.address(a)  # noqa: E731
    data = [addr("dnode1"), addr("dnode2"), addr("dnode3")]
    assert c.script("rpc(getControllerAlias(), getClusterLiveDataNodes{false})")[1].data.tolist() == data
    assert c.script("getClusterLiveDataNodes()")[1].data.tolist() == data + [addr("cnode1")]
    cluster.kill("dnode1")
    assert c.script("getClusterLiveDataNodes(false)")[1].data.tolist() == data[1:]
    c.close()


def test_nodes_share_tables_and_users():
    with Cluster(datanodes=2, computenodes=0, users={"alice": "pw"}) as cl:
        a = connect(cl, "dnode1", login=("alice", "pw"))
        b = connect(cl, "dnode2", login=("alice", "pw"))
        assert connect(cl, "dnode2", login=("admin", "123456")).status.startswith("The user name")
        a.script("t = table(1 2 as x); share t as shared_t")
        b.script("tableInsert(shared_t, 3)")
        assert a.script("exec x from shared_t")[1].data.tolist() == [1, 2, 3]
        a.close(), b.close()


def test_single_server_still_describes_itself():
    with Server(port=0) as srv:
        c = RawClient(srv.port)
        values, _ = perf(c)
        assert values["mode"] == [3] and values["name"] == ["local8848"] and values["connectionNum"] == [1]
        assert c.script("getControllerAlias()")[1].value == "local8848"
        assert c.script("rpc(getControllerAlias(), getNodeAlias)")[1].value == "local8848"
        c.close()


# -- fault injection -----------------------------------------------------------------------------

def test_kill_resets_connections_and_closes_the_port(cluster):
    victim = connect(cluster, "dnode1")
    busy = connect(cluster, "dnode1")
    outcome = []

    def run():
        try:
            outcome.append(busy.script("sleep(5000); 1"))
        except OSError as e:
            outcome.append(e)

    t = threading.Thread(target=run)
    t.start()
    wait_for(lambda: perf(victim)[0]["runningJobs"][0] == 2)
    cluster.kill("dnode1")
    t.join(5)
    assert isinstance(outcome[0], ConnectionResetError)             # RST, not an orderly close
    with pytest.raises(ConnectionResetError):
        victim.script("1")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(cluster.address("dnode1"), timeout=2)
    values, _ = perf(connect(cluster, "dnode2"))
    assert values["state"][0] == 0 and values["connectionNum"][0] == 0
    assert connect(cluster, "dnode2").script("rpc(`dnode1, getNodeAlias)")[0] == \
        "<DataNodeNotAvail>127.0.0.1:%d:dnode1" % cluster.address("dnode1")[1]


def test_restart_serves_again_on_the_same_port(cluster):
    port = cluster.address("dnode2")[1]
    c = connect(cluster, "dnode2")
    c.script("t = table(1..3 as x); share t as kept")
    cluster.kill("dnode2")
    cluster.restart("dnode2")
    assert cluster.address("dnode2")[1] == port
    again = connect(cluster, "dnode2")
    assert again.script("exec sum(x) from kept")[1].value == 6        # cluster state survives
    assert perf(again)[0]["state"][1] == 1
    cluster.restart("dnode2")                                          # restarting a live node
    with pytest.raises(ConnectionResetError):
        again.script("1")
    assert connect(cluster, "dnode2").script("2*3")[1].value == 6


def test_pause_gives_a_read_timeout_and_resume_answers(cluster):
    c = connect(cluster, "dnode3")
    cluster.pause("dnode3")
    c.sock.settimeout(0.3)
    with pytest.raises(socket.timeout):
        c.script("40 + 2")
    fresh = socket.create_connection(cluster.address("dnode3"), timeout=2)   # still accepting
    fresh.close()
    values, _ = perf(connect(cluster, "dnode1"))
    assert values["state"][2] == 1                                     # alive, just not answering
    cluster.resume("dnode3")
    c.sock.settimeout(5)
    assert c.read_reply()[1].value == 42                              # the held request
    c.close()


def test_drop_connections_resets_clients_but_keeps_listening(cluster):
    clients = [connect(cluster, "cnode1") for _ in range(2)]
    cluster.drop_connections("cnode1")
    for cl in clients:
        with pytest.raises(ConnectionError):
            cl.script("1")
    watcher = connect(cluster, "cnode1")
    assert perf(watcher)[0]["connectionNum"][3] == 1
    watcher.close()


def test_not_leader_answers_with_the_leader_address(cluster):
    cluster.not_leader("dnode1", "dnode2")
    c = connect(cluster, "dnode1")
    assert c.status == "OK"                                          # the handshake still works
    leader = "127.0.0.1:%d" % cluster.address("dnode2")[1]
    assert c.script("1+1") == (f"<NotLeader>{leader}", None)
    assert c.call("version")[0] == f"<NotLeader>{leader}"
    cluster.not_leader("dnode1", None)
    assert c.script("1+1")[1].value == 2
    c.close()


def test_set_load_shapes_cluster_perf(cluster):
    cluster.set_load("dnode2", connectionNum=12, memoryUsed=1 << 30, avgLoad=0.75, publicName="gw:1")
    c = connect(cluster, "dnode1")
    values, _ = perf(c)
    assert values["connectionNum"] == [1, 12, 0, 0]
    assert values["memoryUsed"][1] == 1 << 30 and values["avgLoad"][1] == 0.75
    assert values["publicName"][1] == "gw:1"
    cluster.set_load("dnode2", connectionNum=None)
    assert perf(c)[0]["connectionNum"] == [1, 0, 0, 0]
    cluster.set_load("dnode2")
    assert perf(c)[0]["avgLoad"][1] == 0.0
    with pytest.raises(ValueError, match="port"):
        cluster.set_load("dnode2", port=1)
    c.close()


# -- request dedup (§2.2.4) ----------------------------------------------------------------------

def _rows(client, table="log_t"):
    return client.script(f"exec count(*) from {table}")[1].value


def test_resent_request_runs_once_across_nodes(cluster):
    a, b = TaggedClient(cluster.address("dnode1")[1]), TaggedClient(cluster.address("dnode2")[1])
    a.script("t = table(1:0, [`v], [INT]); share t as log_t")
    cid = str(uuid.uuid4())
    first = a.tagged("tableInsert(log_t, 1)", cid, 1)
    assert first[0] == "OK" and first[1].value == 1
    assert a.tagged("tableInsert(log_t, 1)", cid, 1)[1].value == 1      # same seq again
    assert b.tagged("tableInsert(log_t, 1)", cid, -1)[1].value == 1     # negated, other node
    assert _rows(a) == 1
    assert b.tagged("tableInsert(log_t, 2 3)", cid, -2)[1].value == 2   # first never arrived: runs
    assert b.tagged("tableInsert(log_t, 2 3)", cid, 2)[1].value == 2
    assert _rows(a) == 3
    other = str(uuid.uuid4())                                          # another client, same seq
    assert a.tagged("tableInsert(log_t, 4)", other, 1)[1].value == 1
    assert _rows(a) == 4
    assert a.tagged("undefinedThing", cid, 3)[0].startswith("Syntax Error")
    assert b.tagged("undefinedThing", cid, -3)[0].startswith("Syntax Error")   # the recorded error
    a.close(), b.close()


def test_resend_of_a_job_on_a_killed_node_waits_for_its_outcome(cluster):
    setup = connect(cluster, "dnode3")
    setup.script("t = table(1:0, [`v], [INT]); share t as log_t")
    cid = str(uuid.uuid4())
    doomed = TaggedClient(cluster.address("dnode1")[1])
    outcome = []

    def run():
        try:
            outcome.append(doomed.tagged("sleep(300); tableInsert(log_t, 7)", cid, 5))
        except OSError as e:
            outcome.append(e)

    t = threading.Thread(target=run)
    t.start()
    wait_for(lambda: perf(setup)[0]["runningJobs"][0] == 1)
    cluster.kill("dnode1")
    t.join(5)
    assert isinstance(outcome[0], ConnectionResetError)
    survivor = TaggedClient(cluster.address("dnode2")[1])
    status, value = survivor.tagged("sleep(300); tableInsert(log_t, 7)", cid, -5)
    assert status == "OK" and value.value == 1
    assert setup.script("exec v from log_t")[1].data.tolist() == [7]     # exactly once
    survivor.close(), setup.close()


def test_a_request_held_by_a_paused_node_does_not_run_after_its_resend(cluster):
    setup = connect(cluster, "dnode3")
    setup.script("t = table(1:0, [`v], [INT]); share t as log_t")
    cid = str(uuid.uuid4())
    held = TaggedClient(cluster.address("dnode1")[1])
    cluster.pause("dnode1")
    held.sock.settimeout(0.2)
    with pytest.raises(socket.timeout):
        held.tagged("tableInsert(log_t, 1)", cid, 1)
    assert TaggedClient(cluster.address("dnode2")[1]).tagged("tableInsert(log_t, 1)", cid, -1)[0] == "OK"
    cluster.resume("dnode1")
    held.sock.settimeout(5)
    assert held.read_reply()[1].value == 1
    assert _rows(setup) == 1
    setup.close()


def test_a_job_abandoned_by_a_server_stop_runs_on_resend():
    state_holder = Server(port=0)
    with state_holder as srv:
        c = TaggedClient(srv.port)
        c.script("t = table(1:0, [`v], [INT]); share t as log_t")
        cid = str(uuid.uuid4())
        t = threading.Thread(target=lambda: _swallow(c.tagged, "sleep(5000); tableInsert(log_t, 1)", cid, 9))
        t.start()
        wait_for(lambda: len(srv.jobs) == 1)
    t.join(5)
    with state_holder as srv:                       # same state object: a restarted server
        c = TaggedClient(srv.port)
        assert c.tagged("tableInsert(log_t, 1)", cid, -9)[1].value == 1
        assert _rows(c) == 1
        c.close()


def _swallow(fn, *args):
    try:
        fn(*args)
    except OSError:
        pass


def test_request_log_memory_is_bounded():
    from dolphindb.server.node.dedup import Outcome, RequestLog
    log = RequestLog(max_entries=50)
    ran = []
    for seq in range(1, 1001):                       # one client: older entries retire
        log.run_once(("c", seq), lambda seq=seq: ran.append(1) or Outcome(value=seq), lambda: None, lambda: False)
    assert len(log) == 1 and len(ran) == 1000
    for i in range(1000):                            # many clients: the cap evicts the oldest
        log.run_once((f"client{i}", 1), lambda i=i: Outcome(value=i), lambda: None, lambda: False)
    assert len(log) == 50
    replay = log.run_once(("client999", 1), lambda: ran.append("again") or Outcome(), lambda: None, lambda: False)
    assert replay.value == 999 and "again" not in ran


# -- the CLI -------------------------------------------------------------------------------------

class Lines:
    """A child's output lines, read by a thread of their own. (select() on the pipe and then a
    buffered readline() loses lines: when two arrive in one chunk, the second waits in Python's
    buffer while select() waits on an empty pipe.)"""

    def __init__(self, stream):
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream):
        for line in stream:
            self._queue.put(line)
        self._queue.put("")                 # end of output

    def next(self, timeout: float) -> str:
        """The next line ('' once the child has closed its output); queue.Empty after timeout."""
        return self._queue.get(timeout=max(0.0, timeout))


class ClusterProcess:
    """`python -m dolphindb.server cluster ...` in a child process, driven through stdin."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([sys.executable, "-m", "dolphindb.server", "cluster", *args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.lines = Lines(self.proc.stdout)
        self.ready = self.line()

    def line(self, timeout=30) -> str:
        try:
            return self.lines.next(timeout).strip()
        except queue.Empty:
            raise AssertionError("the cluster process did not answer in time") from None

    def command(self, text) -> str:
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        return self.line()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


def _addresses(line):
    return {a: (hp.split(":")[0], int(hp.split(":")[1])) for a, hp in
            (w.split("=") for w in line.split()[1:])}


def test_cli_cluster_starts_injects_faults_and_stops():
    cp = ClusterProcess("--datanodes", "2", "--computenodes", "1", "--base-port", "0")
    try:
        assert cp.ready.startswith("READY ")
        nodes = _addresses(cp.ready)
        assert list(nodes) == ["controller", "dnode1", "dnode2", "cnode1"]
        c = RawClient(nodes["dnode2"][1])
        assert c.script("getNodeAlias()")[1].value == "dnode2"
        assert cp.command("kill dnode1") == "OK"
        assert cp.command("nodes").endswith(f"dnode1=127.0.0.1:{nodes['dnode1'][1]}:dead "
                                            f"dnode2=127.0.0.1:{nodes['dnode2'][1]} "
                                            f"cnode1=127.0.0.1:{nodes['cnode1'][1]}")
        assert perf(c)[0]["state"] == [0, 1, 1]
        assert cp.command("restart dnode1") == "OK"
        assert RawClient(nodes["dnode1"][1]).script("1+1")[1].value == 2
        assert cp.command("set_load dnode1 connectionNum=9 avgLoad=0.5") == "OK"
        values, _ = perf(c)
        assert values["connectionNum"][0] == 9 and values["avgLoad"][0] == 0.5
        assert cp.command("not_leader dnode1 dnode2") == "OK"
        assert RawClient(nodes["dnode1"][1]).script("1")[0] == "<NotLeader>127.0.0.1:%d" % nodes["dnode2"][1]
        assert cp.command("not_leader dnode1 -") == "OK"
        assert cp.command("pause cnode1") == "OK" and cp.command("nodes").endswith(":paused")
        assert cp.command("resume cnode1") == "OK"
        assert cp.command("drop dnode2") == "OK"
        with pytest.raises(ConnectionError):
            c.script("1")
        assert cp.command("kill dnode7").startswith("ERR unknown node 'dnode7'")
        assert cp.command("set_load dnode1 port=1").startswith("ERR cannot set port")
        assert cp.command("explode").startswith("ERR unknown command")
        assert cp.command("stop") == "OK"
        assert cp.proc.wait(10) == 0
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(nodes["dnode2"], timeout=2)
    finally:
        cp.close()


def test_cli_cluster_rejects_bad_arguments():
    cp = ClusterProcess("--datanodes", "0")
    try:
        assert cp.proc.wait(30) == 2
        assert "at least one data node" in cp.proc.stderr.read()
    finally:
        cp.close()


# -- the official client against the cluster (PROTOCOL.md §8.2, §8.5, §8.6) ----------------------

class OfficialScript:
    """A script of the official client 3.0.6.1 (its own venv) run step by step: the script
    prints result lines starting with '@@' (the client's own log lines are skipped) and waits
    for a line on stdin where the test injects a fault."""

    def __init__(self, code, *args):
        from support.official import official_python
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        self.proc = subprocess.Popen([official_python(), "-c", code, *map(str, args)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd="/")
        self.lines = Lines(self.proc.stdout)
        self.log = []

    def result(self, timeout=60) -> list:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.next(deadline - time.monotonic())
            except queue.Empty:
                raise AssertionError("the official client did not answer in time:\n" + "".join(self.log)) from None
            self.log.append(line)
            if not line:
                raise AssertionError("the official client exited:\n" + "".join(self.log))
            if line.startswith("@@"):
                return line.split()[1:]

    def go(self):
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


HA_SCRIPT = r"""
import sys, dolphindb as ddb
sites = sys.argv[1:]
host, port = sites[0].split(":")
s = ddb.session()
assert s.connect(host, int(port), "admin", "123456", highAvailability=True, highAvailabilitySites=sites,
                 readTimeout=3)
step = lambda *values: (print("@@", *values, flush=True), sys.stdin.readline())
"""

HA_PLACEMENT_AND_KILL = HA_SCRIPT + r"""
s.run("t = table(1:0, [`v], [INT]); share t as log_t")
perf = s.run("rpc(getControllerAlias(), getClusterPerf)")
step(s.run("getNodeAlias()"), ",".join(perf["name"]), ",".join(map(str, perf["connectionNum"])),
     ",".join(str(perf[c].dtype) for c in ["host", "port", "mode", "state", "connectionNum", "memoryUsed",
                                           "maxMemSize", "avgLoad"]))
first = s.run("sleep(400); tableInsert(log_t, 1); getNodeAlias()")      # its node dies meanwhile
step(first, s.run("getNodeAlias()"), s.run("exec count(*) from log_t"))
"""

HA_STEPS = HA_SCRIPT + r"""
while True:
    step(s.run("getNodeAlias()"))       # the test changes the cluster before each next step
"""


def ha_sites(c, aliases=("dnode1", "dnode2", "dnode3")):
    return ["127.0.0.1:%d" % c.address(a)[1] for a in aliases]


def test_official_ha_session_picks_least_loaded_node_and_resends_once_after_a_kill():
    with Cluster(datanodes=3, computenodes=1) as c:
        watcher = connect(c, "controller")
        c.set_load("dnode1", connectionNum=20)      # §8.2 load (20+8+7)/3 = 11.7
        c.set_load("dnode2", connectionNum=40)      # 18.3; dnode3 (0+8+7)/3 = 5 is the least
        client = OfficialScript(HA_PLACEMENT_AND_KILL, *ha_sites(c))
        try:
            node, names, conns, dtypes = client.result()
            assert node == "dnode3"
            assert names == "dnode1,dnode2,dnode3,cnode1" and conns == "20,40,1,0"
            host_dtype, *numeric = dtypes.split(",")
            assert host_dtype in ("object", "str")         # pandas 2 / pandas 3 strings
            assert numeric == ["int32", "int32", "bool", "int32", "int64", "float64", "float64"]
            c.set_load("dnode1")
            c.set_load("dnode2")
            client.go()
            wait_for(lambda: perf(watcher)[0]["runningJobs"][2] == 1)
            c.kill("dnode3")                        # mid-task: the client resends with -seqNo
            first, now, rows = client.result()
            assert first == "dnode3"                # the outcome of the run on the killed node ...
            assert rows == "1"                      # ... which the resend did not repeat
            assert now in ("dnode1", "dnode2")
        finally:
            client.close()


def test_official_ha_session_fails_over_from_a_paused_node():
    """A paused node accepts and reads but never answers: the official client's read timeout
    (3 s) makes it fail over to another node."""
    with Cluster(datanodes=3, computenodes=0) as c:
        client = OfficialScript(HA_STEPS, *ha_sites(c))
        try:
            (before,) = client.result()
            c.pause(before)
            client.go()
            (after,) = client.result()
            assert after in ("dnode1", "dnode2", "dnode3") and after != before
            c.resume(before)
        finally:
            client.close()


def test_official_ha_session_follows_not_leader_and_a_restarted_node():
    with Cluster(datanodes=3, computenodes=1) as c:
        watcher = connect(c, "controller")
        alive = lambda a: perf(watcher)[0]["state"][c.nodes.index(a) - 1] == 1  # noqa: E731
        client = OfficialScript(HA_STEPS, *ha_sites(c))
        try:
            (now,) = client.result()
            leader = next(a for a in ("dnode1", "dnode2", "dnode3") if a != now)
            c.not_leader(now, leader)
            client.go()
            assert client.result() == [leader]     # redirected to the leader named in the reply
            c.not_leader(now, None)
            others = [a for a in ("dnode1", "dnode2", "dnode3") if a != leader]
            c.restart(others[0])
            c.kill(leader), c.kill(others[1])
            assert alive(others[0]) and not alive(leader)
            client.go()
            assert client.result() == [others[0]]  # only the restarted node lives
        finally:
            client.close()


POOL_SCRIPT = r'''
import sys, asyncio, dolphindb as ddb
host, port = sys.argv[1].split(":")
pool = ddb.DBConnectionPool(host, int(port), 8, "admin", "123456", loadBalance=True)
async def main():
    return await asyncio.gather(*[pool.run("sleep(20); getNodeAlias()") for _ in range(40)])
print("@@", ",".join(sorted(set(asyncio.run(main())))), flush=True)
sys.stdin.readline()
pool.shutDown()
'''


def test_official_load_balanced_pool_spreads_over_live_data_and_compute_nodes():
    with Cluster(datanodes=3, computenodes=1) as c:
        watcher = connect(c, "controller")           # the controller is not in getClusterPerf()
        c.kill("dnode2")
        client = OfficialScript(POOL_SCRIPT, "127.0.0.1:%d" % c.address("dnode1")[1])
        try:
            assert client.result() == ["cnode1,dnode1,dnode3"]
            values, _ = perf(watcher)
            # §8.5: rows with mode 0 or 4 and state 1, worker i on node i mod n
            assert dict(zip(values["name"], values["connectionNum"])) == \
                {"dnode1": 3, "dnode2": 0, "dnode3": 3, "cnode1": 2}
            client.go()
            assert client.proc.wait(30) == 0
            wait_for(lambda: perf(watcher)[0]["connectionNum"] == [0, 0, 0, 0])
        finally:
            client.close()


RECONNECT_SCRIPT = r'''
import sys, dolphindb as ddb
port = int(sys.argv[1])
s = ddb.session()
assert s.connect("127.0.0.1", port, "admin", "123456", reconnect=True, startup="base = 40")
s.run("t = table(1:0, [`v], [INT]); share t as reconnect_log")
first = s.getSessionId()
print("@@", first, flush=True)
sys.stdin.readline()
print("@@", s.run("sleep(300); tableInsert(reconnect_log, 1); base + 2"), s.getSessionId() != first, flush=True)
sys.stdin.readline()
pool = ddb.DBConnectionPool("127.0.0.1", port, 2, "admin", "123456", reConnect=True)
pool.addTask("1", 1)
while not pool.isFinished(1): pass
print("@@", pool.getData(1), flush=True)
sys.stdin.readline()
pool.addTask("sleep(500); 5", 2)
while not pool.isFinished(2): pass
print("@@", pool.getData(2), s.run("exec count(*) from reconnect_log"), flush=True)
'''


def test_official_client_reconnects_to_a_restarted_server_and_resends():
    """§8.3: with reconnect=True the official client re-opens the node, re-runs its startup script
    and resends the in-flight request with -seqNo; our server runs it once."""
    state_holder = Server(port=0)
    state_holder.start()
    port = state_holder.port
    client = OfficialScript(RECONNECT_SCRIPT, port)
    try:
        (first,) = client.result()
        client.go()
        wait_for(lambda: len(state_holder.jobs) == 1)
        state_holder.drop_connections()                      # mid-task
        assert client.result() == ["42", "True"]
        client.go()
        assert client.result() == ["1"]
        client.go()
        wait_for(lambda: any("sleep(500)" in j.desc for j in list(state_holder.jobs.values())))
        state_holder.stop()                                  # the whole server, mid-task
        time.sleep(0.3)
        state_holder.start()
        assert client.result() == ["5", "1"]
        assert client.proc.wait(30) == 0
    finally:
        client.close()
        state_holder.stop()
