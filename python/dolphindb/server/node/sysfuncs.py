"""System functions of the embedded server: session, login, jobs, node and cluster introspection.

They need the server's state (ctx.server), unlike the language library in lang/builtins.
"""
from __future__ import annotations

import base64
import os
import time

import numpy as np
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding

from ..errors import ScriptError
from ..lang.registry import builtin, constant
from .users import GUEST, PRIVILEGES, privilege_name
from ..model.values import ANY, BOOL, DOUBLE, INT, LONG, STRING, TIMESTAMP, Scalar, Table, Vector
from ..lang.context import SessionContext
from ..lang import evaluator
from .server import Server

VERSION = "3.00.2.0 2024.01.01 LINUX x86_64"
REQUIRED_API_VERSION = 300


def _server(ctx: SessionContext) -> Server:
    """The node the session runs in (the language sees it only as a ``Host``; these functions
    are the node's own and reach all of it). A bare interpreter has none."""
    if not isinstance(ctx.server, Server):
        raise ScriptError("This function requires a running server")
    return ctx.server


def _str(v):
    if not isinstance(v, Scalar) or v.type not in (STRING, 17):
        raise ScriptError("The argument must be a string scalar")
    return v.value or ""


def _is_admin(ctx) -> bool:
    return _server(ctx).state.users.is_admin(ctx.user)


def _require_admin(ctx, name: str) -> None:
    if not _is_admin(ctx):
        raise ScriptError(f"Only administrators can execute function [{name}].")


def _sees_session(ctx, session) -> bool:
    """getSessionMemoryStat / closeSessions: administrators reach every session, a user the
    sessions it is logged in to, a guest only its own."""
    if session.session_id == str(ctx.session_id) or _is_admin(ctx):
        return True
    return ctx.user != GUEST and session.ctx.user == ctx.user


def _sees_job(ctx, job) -> bool:
    """getConsoleJobs / cancelConsoleJob: administrators reach every job, others the jobs of
    their user name. For guests that is every guest job: clients cancel a job from a second
    connection (PROTOCOL.md §3.5), which is a different guest session."""
    return _is_admin(ctx) or job.session.ctx.user == ctx.user


def _check_reach(ctx, registry, keys, reaches, refusal) -> None:
    """Raises refusal(item) for the first entry of `registry` (the server's sessions or jobs)
    named in `keys` that the caller may not act on; unknown keys are ignored."""
    with _server(ctx).lock:
        found = [registry[k] for k in keys if k in registry]
    for item in found:
        if not reaches(ctx, item):
            raise ScriptError(refusal(item))


def _strings(values):
    return Vector(STRING, np.array(list(values), dtype=object))


def _ints(values, t=INT):
    return Vector(t, np.array(list(values), dtype=np.int32 if t == INT else np.int64))


@builtin("login", 2, 3, system=True)
def login(ctx, user, password, encrypted=None):
    srv = _server(ctx)
    u, p = _str(user), _str(password)
    if encrypted is not None and encrypted.value:
        key = srv.rsa_key()
        try:
            u = key.decrypt(base64.b64decode("".join(u.split())), padding.PKCS1v15()).decode()
            p = key.decrypt(base64.b64decode("".join(p.split())), padding.PKCS1v15()).decode()
        except Exception:
            raise ScriptError("The user name or password is incorrect.") from None
    failure = srv.state.check_login(u, p, ctx.remote.rpartition(":")[0], lambda t: ctx.sleep(t) or True)
    if failure is not None:
        raise ScriptError(failure)
    ctx.user = u
    return Scalar(BOOL, 1)


@builtin("logout", 0, 1, system=True)
def logout(ctx, *args):
    ctx.user = "guest"
    return None


@builtin("getDynamicPublicKey", 0, system=True)
def get_dynamic_public_key(ctx):
    key = _server(ctx).rsa_key().public_key()
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return Scalar(STRING, pem.decode())


@builtin("getCurrentSessionAndUser", 0, system=True)
def get_current_session_and_user(ctx):
    return Vector(ANY, [Scalar(LONG, int(ctx.session_id)), Scalar(STRING, ctx.user)])


@builtin("closeSessions", 1, system=True)
def close_sessions(ctx, session_ids):
    """Ends the given sessions (a scalar or vector of session ids): their connections are reset,
    their jobs cancelled. Closing one's own session breaks the connection of the running request."""
    srv = _server(ctx)
    values = list(session_ids.data) if isinstance(session_ids, Vector) else [session_ids.value]
    wanted = {str(int(v)) for v in values}
    _check_reach(ctx, srv.sessions, wanted, _sees_session,
                 lambda s: f"No privilege to close session {s.session_id}: only administrators can close "
                           "the sessions of other users.")
    srv.drop_connections(wanted)
    return None


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
        sessions = [s for s in srv.sessions.values() if _sees_session(ctx, s)]
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


# getClusterPerf columns in the real server's order (docs: getClusterPerf) with the types the
# official clients cast to (PROTOCOL.md §8.1); a subset of the real server's ~40 columns.
PERF_COLUMNS = (
    ("host", STRING), ("port", INT), ("site", STRING), ("mode", INT), ("state", BOOL),
    ("maxConnections", INT), ("maxMemSize", DOUBLE), ("workerNum", INT), ("executorNum", INT),
    ("connectionNum", INT), ("name", STRING), ("memoryUsed", LONG), ("memoryAlloc", LONG),
    ("cpuUsage", DOUBLE), ("avgLoad", DOUBLE), ("runningJobs", INT), ("queuedJobs", INT),
    ("publicName", STRING),
)
# What Server.load_override (Cluster.set_load) may replace: measures, not a node's identity.
SHAPEABLE = frozenset(n for n, _ in PERF_COLUMNS) - {"host", "port", "site", "mode", "name"}
_NUMPY = {INT: np.int32, LONG: np.int64, DOUBLE: np.float64, BOOL: np.int8}


def node_perf_row(n) -> dict:
    """One node's getClusterPerf row: measured values, then its load_override on top."""
    live = n.live
    with n.lock:
        jobs = list(n.jobs.values())
    running = sum(1 for j in jobs if j.running)
    row = {
        "host": n.host, "port": n.port, "site": f"{n.host}:{n.port}:{n.alias}", "mode": n.mode,
        "state": 1 if live else 0, "maxConnections": n.max_connections, "maxMemSize": 16.0,
        "workerNum": n.workers, "executorNum": max(1, n.workers - 1),
        "connectionNum": n.connection_count if live else 0, "name": n.alias,
        "memoryUsed": 0, "memoryAlloc": 0, "cpuUsage": 0.0, "avgLoad": 0.0,
        "runningJobs": running if live else 0, "queuedJobs": len(jobs) - running if live else 0,
        "publicName": n.host,
    }
    row.update(n.load_override)
    return row


def node_perf_rows(nodes):
    """getClusterPerf rows (PROTOCOL.md §8.1 columns and types) for the given servers."""
    rows = [node_perf_row(n) for n in nodes]
    cols = {}
    for name, t in PERF_COLUMNS:
        values = [r[name] for r in rows]
        cols[name] = _strings(values) if t == STRING else Vector(t, np.array(values, dtype=_NUMPY[t]))
    return Table(cols)


def _cluster_nodes(srv: Server, include_controller=True):
    cluster = srv.cluster
    return cluster.perf_nodes(include_controller) if cluster is not None else [srv]


def _flag(v, default: bool) -> bool:
    if v is None:
        return default
    if not isinstance(v, Scalar) or v.value is None:
        raise ScriptError("The argument must be a boolean scalar")
    return bool(v.value)


@builtin("getClusterPerf", 0, 1, system=True)
def get_cluster_perf(ctx, include_master=None):
    """Every node but the controller, unless includeMaster (as the real server); a standalone
    server describes itself (mode 3)."""
    return node_perf_rows(_cluster_nodes(_server(ctx), _flag(include_master, False)))


@builtin("getControllerAlias", 0, system=True)
def get_controller_alias(ctx):
    srv = _server(ctx)
    return Scalar(STRING, srv.cluster.controller_alias if srv.cluster is not None else srv.alias)


@builtin("getNodeAlias", 0, system=True)
def get_node_alias(ctx):
    return Scalar(STRING, _server(ctx).alias)


@builtin("getClusterLiveDataNodes", 0, 1, system=True)
def get_cluster_live_data_nodes(ctx, include_compute=None):
    """`host:port` of every live data node (and compute node unless the argument is false)."""
    modes = (0, 3, 4) if _flag(include_compute, True) else (0, 3)
    nodes = [n for n in _cluster_nodes(_server(ctx)) if n.live and n.mode in modes]
    return _strings(f"{n.host}:{n.port}" for n in nodes)


@builtin("rpc", 2, None, system=True)
def rpc(ctx, alias, fn, *args):
    """Runs fn(args) on the node named alias, in a fresh context of that node (as the real rpc,
    the caller's session variables are not there). Every node of a cluster lives in this
    process, so the call is direct; a dead target answers as an unreachable node."""
    srv = _server(ctx)
    target_alias = _str(alias)
    target = srv if target_alias == srv.alias else (
        srv.cluster.node(target_alias) if srv.cluster is not None else None)
    if target is None:
        raise ScriptError(f"Can't find the node with alias {target_alias}")
    if target is not srv:
        if not target.live:
            tag = "<ControllerNotAvail>" if target.mode == 2 else "<DataNodeNotAvail>"
            raise ScriptError(f"{tag}{target.host}:{target.port}:{target.alias}")
        if not target.wait_answering(ctx.cancel_event.is_set):
            ctx.check_cancelled()
        remote = SessionContext(server=target, session_id=ctx.session_id, user=ctx.user, remote=ctx.remote)
        remote.cancel_event = ctx.cancel_event
        ctx = remote
    return evaluator.apply(ctx, fn, list(args))


@builtin("getConsoleJobs", 0, 1, system=True)
def get_console_jobs(ctx, *args):
    srv = _server(ctx)
    with srv.lock:
        jobs = [j for j in srv.jobs.values() if _sees_job(ctx, j)]
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
    srv = _server(ctx)
    wanted = [str(v) for v in (ids.data if isinstance(ids, Vector) else [ids.value])]
    _check_reach(ctx, srv.jobs, wanted, _sees_job,
                 lambda j: f"No privilege to cancel job {j.job_id}: only administrators can cancel the "
                           "jobs of other users.")
    srv.cancel_jobs(wanted)
    return None


@builtin("getNodeType", 0, system=True)
def get_node_type(ctx):
    return Scalar(INT, _server(ctx).mode)


@builtin("getEnv", 1, system=True)
def get_env(ctx, name):
    """Administrators only: the server's environment holds paths, and often secrets."""
    _require_admin(ctx, "getEnv")
    return Scalar(STRING, os.environ.get(_str(name), ""))


@builtin("timestampNow", 0, system=True)
def timestamp_now(ctx):
    return Scalar(TIMESTAMP, int(time.time() * 1000))


# -- users and privileges (users.py holds the rules) ---------------------------------------------
for _name, _value in PRIVILEGES.items():
    builtin(_name, 0)(constant(Scalar(INT, _value)))


def _user_call(ctx, name: str, action):
    _require_admin(ctx, name)
    try:
        action(_server(ctx).state.users)
    except ValueError as e:
        raise ScriptError(str(e)) from None
    except OSError as e:
        raise ScriptError(f"Failed to save the user list: {e.strerror or e}. Nothing was changed.") from None
    return None


@builtin("createUser", 2, 4, system=True)
def create_user(ctx, user, password, group_ids=None, is_admin=None):
    return _user_call(ctx, "createUser", lambda users: users.create(_str(user), _str(password),
                                                                    _flag(is_admin, False)))


@builtin("deleteUser", 1, system=True)
def delete_user(ctx, user):
    return _user_call(ctx, "deleteUser", lambda users: users.delete(_str(user)))


@builtin("getUserList", 0, system=True)
def get_user_list(ctx):
    _require_admin(ctx, "getUserList")
    return _strings(_server(ctx).state.users.names())


def _privilege_call(name):
    def call(ctx, user, access, objs=None):
        if not isinstance(access, Scalar) or access.type != INT:
            raise ScriptError(f"The accessType of {name} must be a privilege type such as TABLE_READ")
        try:
            privilege = privilege_name(access.value)
        except ValueError as e:
            raise ScriptError(str(e)) from None
        objects = ["*"] if objs is None else (list(objs.data) if isinstance(objs, Vector) else [_str(objs)])
        return _user_call(ctx, name, lambda users: users.set_privilege(_str(user), name, privilege, objects))
    return call


for _action in ("grant", "deny", "revoke"):
    builtin(_action, 2, 3, system=True)(_privilege_call(_action))


@builtin("addAccessControl", 1, system=True)
def add_access_control(ctx, table):
    """Only the table's owner or an administrator may put a shared table under access control."""
    state = _server(ctx).state
    if isinstance(table, Table):
        names = state.names_of(table)
        if not names:
            raise ScriptError("addAccessControl needs a shared table")
        name = names[0]
    else:
        name = _str(table)
        if state.get_shared(name) is None:
            raise ScriptError(f"Can't find the shared table {name}")
    if not _is_admin(ctx) and state.users.owner(name) != ctx.user:
        raise ScriptError("Only administrators or the creator of the table can execute function [addAccessControl].")
    state.users.add_access_control(name)
    return None
