"""System functions of the embedded server: session, login, jobs, node and cluster introspection.

They need the server's state (ctx.server), unlike the language library in lang/builtins.
"""
from __future__ import annotations

import base64
import os
import time

import numpy as np

from .lang.registry import ScriptError, builtin, lookup
from .values import (ANY, BOOL, DOUBLE, INT, LONG, STRING, TIMESTAMP, Scalar, Table, Vector)

VERSION = "3.00.2.0 2024.01.01 LINUX x86_64"
REQUIRED_API_VERSION = 300


def _server(ctx):
    if ctx.server is None:
        raise ScriptError("This function requires a running server")
    return ctx.server


def _str(v):
    if not isinstance(v, Scalar) or v.type not in (STRING, 17):
        raise ScriptError("The argument must be a string scalar")
    return v.value or ""


def _strings(values):
    return Vector(STRING, np.array(list(values), dtype=object))


def _ints(values, t=INT):
    return Vector(t, np.array(list(values), dtype=np.int32 if t == INT else np.int64))


@builtin("login", 2, 3, system=True)
def login(ctx, user, password, encrypted=None):
    srv = _server(ctx)
    u, p = _str(user), _str(password)
    if encrypted is not None and encrypted.value:
        from cryptography.hazmat.primitives.asymmetric import padding
        key = srv.rsa_key()
        try:
            u = key.decrypt(base64.b64decode("".join(u.split())), padding.PKCS1v15()).decode()
            p = key.decrypt(base64.b64decode("".join(p.split())), padding.PKCS1v15()).decode()
        except Exception:
            raise ScriptError("The user name or password is incorrect.") from None
    if not srv.state.authenticate(u, p):
        raise ScriptError("The user name or password is incorrect.")
    ctx.user = u
    return Scalar(BOOL, 1)


@builtin("logout", 0, 1, system=True)
def logout(ctx, *args):
    ctx.user = "guest"
    return None


@builtin("getDynamicPublicKey", 0, system=True)
def get_dynamic_public_key(ctx):
    from cryptography.hazmat.primitives import serialization
    key = _server(ctx).rsa_key().public_key()
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return Scalar(STRING, pem.decode())


@builtin("getCurrentSessionAndUser", 0, system=True)
def get_current_session_and_user(ctx):
    return Vector(ANY, [Scalar(LONG, int(ctx.session_id)), Scalar(STRING, ctx.user)])


@builtin("getRequiredAPIVersion", 0, system=True)
def get_required_api_version(ctx):
    return Vector(ANY, [Scalar(INT, REQUIRED_API_VERSION), Scalar(STRING, "")])


@builtin("isNodeInitialized", 0, system=True)
def is_node_initialized(ctx):
    return Scalar(BOOL, 1)


@builtin("version", 0, system=True)
def version(ctx):
    return Scalar(STRING, VERSION)


@builtin("sleep", 1, system=True)
def sleep(ctx, ms):
    if ms.value is None or ms.value < 0:
        raise ScriptError("The argument of sleep must be a non-negative integer")
    ctx.sleep(ms.value / 1000.0)
    return None


@builtin("getSessionMemoryStat", 0, system=True)
def get_session_memory_stat(ctx):
    srv = _server(ctx)
    with srv.lock:
        sessions = list(srv.sessions.values())
    ms = lambda t: int(t * 1000)  # noqa: E731
    return Table({
        "userId": _strings(s.ctx.user for s in sessions),
        "sessionId": _ints((int(s.session_id) for s in sessions), LONG),
        "memSize": _ints((0 for _ in sessions), LONG),
        "remoteIP": _strings(s.remote[0] for s in sessions),
        "remotePort": _ints(s.remote[1] for s in sessions),
        "createTime": Vector(TIMESTAMP, np.array([ms(s.created) for s in sessions], dtype=np.int64)),
        "lastActiveTime": Vector(TIMESTAMP, np.array([ms(s.last_active) for s in sessions], dtype=np.int64)),
    })


def node_perf_rows(nodes):
    """getClusterPerf rows (PROTOCOL.md §8.1 columns and types) for the given servers."""
    rows = []
    for n in nodes:
        live = n._listener is not None
        o = n.load_override
        rows.append({
            "name": n.alias, "host": n.host, "port": n.port, "mode": n.mode, "state": 1 if live else 0,
            "maxConnections": o.get("maxConnections", n.max_connections),
            "connectionNum": o.get("connectionNum", n.connection_count if live else 0),
            "workerNum": o.get("workerNum", n.workers), "executorNum": o.get("executorNum", max(1, n.workers - 1)),
            "memoryUsed": o.get("memoryUsed", 0), "maxMemSize": o.get("maxMemSize", 16.0),
            "avgLoad": o.get("avgLoad", 0.0), "publicName": o.get("publicName", n.host),
        })
    col = lambda k: [r[k] for r in rows]  # noqa: E731
    return Table({
        "name": _strings(col("name")), "host": _strings(col("host")), "port": _ints(col("port")),
        "mode": _ints(col("mode")), "state": Vector(BOOL, np.array(col("state"), dtype=np.int8)),
        "maxConnections": _ints(col("maxConnections")), "connectionNum": _ints(col("connectionNum")),
        "workerNum": _ints(col("workerNum")), "executorNum": _ints(col("executorNum")),
        "memoryUsed": _ints(col("memoryUsed"), LONG),
        "maxMemSize": Vector(DOUBLE, np.array(col("maxMemSize"), dtype=np.float64)),
        "avgLoad": Vector(DOUBLE, np.array(col("avgLoad"), dtype=np.float64)),
        "publicName": _strings(col("publicName")),
    })


def _cluster_nodes(srv):
    cluster = getattr(srv, "cluster", None)
    return cluster.perf_nodes() if cluster is not None else [srv]


@builtin("getClusterPerf", 0, 1, system=True)
def get_cluster_perf(ctx, *args):
    return node_perf_rows(_cluster_nodes(_server(ctx)))


@builtin("getControllerAlias", 0, system=True)
def get_controller_alias(ctx):
    srv = _server(ctx)
    cluster = getattr(srv, "cluster", None)
    return Scalar(STRING, cluster.controller_alias if cluster is not None else srv.alias)


@builtin("getNodeAlias", 0, system=True)
def get_node_alias(ctx):
    return Scalar(STRING, _server(ctx).alias)


@builtin("getClusterLiveDataNodes", 0, 1, system=True)
def get_cluster_live_data_nodes(ctx, *args):
    nodes = [n for n in _cluster_nodes(_server(ctx)) if n._listener is not None and n.mode in (0, 3, 4)]
    return _strings(f"{n.host}:{n.port}" for n in nodes)


@builtin("rpc", 2, None, system=True)
def rpc(ctx, alias, fn, *args):
    """Runs fn(args) on the node named alias (this process hosts every node of a cluster)."""
    srv = _server(ctx)
    target = _str(alias)
    cluster = getattr(srv, "cluster", None)
    if target != srv.alias and (cluster is None or cluster.node(target) is None):
        raise ScriptError(f"Can't find the node with alias {target}")
    from .lang import evaluator
    return evaluator.apply(ctx, fn, list(args))


@builtin("getConsoleJobs", 0, 1, system=True)
def get_console_jobs(ctx, *args):
    srv = _server(ctx)
    with srv.lock:
        jobs = list(srv.jobs.values())
    return Table({
        "node": _strings(srv.alias for _ in jobs),
        "userID": _strings(j.session.ctx.user for j in jobs),
        "rootJobId": _strings(j.job_id for j in jobs),
        "jobId": _strings(j.job_id for j in jobs),
        "jobType": _strings("script" for _ in jobs),
        "desc": _strings(j.desc for j in jobs),
        "priority": _ints(j.priority for j in jobs),
        "parallelism": _ints(j.parallelism for j in jobs),
        "receivedTime": Vector(TIMESTAMP, np.array([int(j.received * 1000) for j in jobs], dtype=np.int64)),
        "sessionId": _ints((int(j.session.session_id) for j in jobs), LONG),
    })


@builtin("cancelConsoleJob", 1, system=True)
def cancel_console_job(ctx, ids):
    values = ids.data if isinstance(ids, Vector) else [ids.value]
    _server(ctx).cancel_jobs([str(v) for v in values])
    return None


@builtin("getNodeType", 0, system=True)
def get_node_type(ctx):
    return Scalar(INT, _server(ctx).mode)


@builtin("getEnv", 1, system=True)
def get_env(ctx, name):
    return Scalar(STRING, os.environ.get(_str(name), ""))


@builtin("timestampNow", 0, system=True)
def timestamp_now(ctx):
    return Scalar(TIMESTAMP, int(time.time() * 1000))


__all__ = ["node_perf_rows", "lookup"]
