"""The embedded server: listener, sessions, jobs, shared state, fault injection.

One thread per connection reads requests; script execution is bounded by a semaphore of
`workers` slots (the real server's workerNum), so a `sleep` in one session never blocks another
while a runaway number of sessions cannot run unbounded concurrent jobs.

Fault injection (used by tests and by the simulated cluster in cluster.py): `kill()` closes the
port and resets every connection (RST), `start()` again serves on the same port, `pause()` /
`resume()` hold every request unanswered, `drop_connections()` resets the connections of a live
node, `not_leader` answers `<NotLeader>host:port`, `load_override` shapes getClusterPerf.
"""
from __future__ import annotations

import itertools
import logging
import random
import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Optional, Tuple

from cryptography.hazmat.primitives.asymmetric import rsa

from .. import lang
from ..wire import arrow, codec, framing, pickle
from .dedup import Outcome, RequestLog, request_key
from ..lang.context import SessionContext
from ..errors import (BAD_LOGIN, CANCELLED, INVALID_SESSION, AccessDenied, CancelledJob, CodecError,
                      ProtocolViolation, ScriptError)
from ..model.sizes import check_nesting, check_value_size
from ..storage import Engine
from .limits import DisconnectWatcher, RefusedConnections
from .persistence import TableStore
from ..wire.framing import (FLAG_ARROW, FLAG_ASYNC, FLAG_CLEAR_MEMORY, FLAG_COMPRESS, FLAG_PICKLE, FLAG_PYTHON,
                            FLAG_URGENT, SocketReader)
from .users import READ, WRITE, LoginGuard, UserStore
from ..model.values import ANY, BOOL, ArrayVector, Scalar, Table, Vector

log = logging.getLogger("dolphindb.server")

DEFAULT_USERS = {"admin": "123456"}
TLS_HANDSHAKE_TIMEOUT = 10.0   # seconds a connecting client gets to complete the TLS handshake
# Functions a client calls while connecting, logging in or cancelling: they run on the urgent
# workers (the real server's urgentWorkerNum), so a node whose workers are all busy still
# accepts, logs in and cancels.
URGENT_FUNCTIONS = frozenset({
    "login", "logout", "getDynamicPublicKey", "getRequiredAPIVersion", "version", "isNodeInitialized",
    "getCurrentSessionAndUser", "getClusterPerf", "getNodeAlias", "getControllerAlias",
    "getClusterLiveDataNodes", "getConsoleJobs", "cancelConsoleJob", "closeSessions",
})


@dataclass
class Job:
    job_id: str
    session: "Session"
    desc: str
    received: float
    priority: int
    parallelism: int
    running: bool = False      # holds a worker slot (else queued)


@dataclass
class Session:
    session_id: str
    ctx: SessionContext
    remote: tuple
    created: float = field(default_factory=time.time)
    last_active: float = field(default_factory=time.time)
    sock: Optional[socket.socket] = None
    tagged_job: bool = False   # running a clientId/seqNo job, which outlives a killed connection


class Connection:
    """One accepted socket. Once dropped, nothing more is ever sent on it."""

    def __init__(self, sock: socket.socket, remote):
        self.sock = sock
        self.remote = remote
        self.session: Optional[Session] = None
        self.dropped = False

    def send(self, data: bytes) -> None:
        if not self.dropped:
            self.sock.sendall(data)

    def reset(self) -> None:
        """Aborts the connection: the peer gets a RST, not an orderly FIN.

        SHUT_RD wakes a thread blocked in recv without sending anything; closing with
        SO_LINGER 0 then sends the RST at once."""
        self.dropped = True
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            self.sock.shutdown(socket.SHUT_RD)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass


class ServerState:
    """What every node of a server or cluster shares: users, shared tables, the dedup log."""

    def __init__(self, users=None, data_dir=None):
        self.users = UserStore(users or DEFAULT_USERS, data_dir)
        self.login_guard = LoginGuard()
        self.lock = threading.RLock()
        self.shared: Dict[str, object] = {}
        self.requests = RequestLog()
        self.persistence = None
        self.dfs = Engine.in_data_dir(data_dir)     # DFS databases: one catalog for every node of a cluster
        # file(name) resolves in <data_dir>/files; without a data directory, in a temporary one
        # removed with the server (a real server's relative names resolve in its home directory).
        self._files_dir = None if data_dir is None else Path(data_dir) / "files"
        self._files_tmp: Optional[tempfile.TemporaryDirectory] = None
        if data_dir is not None:
            self.persistence = TableStore(data_dir)
            self.shared.update(self.persistence.load_all())

    def share(self, name: str, table, owner: str = "admin") -> None:
        """Shares `table` as `name`; replacing a table under access control needs TABLE_WRITE
        on it. A share that cannot be persisted leaves the previous table (or none) shared."""
        with self.lock:
            if name in self.shared:
                self._check(owner, WRITE, name)
            previous = self.shared.get(name)
            self.shared[name] = table
            try:
                self._persist(name, table)
            except ScriptError:
                if previous is None:
                    del self.shared[name]
                else:
                    self.shared[name] = previous
                raise
        self.users.shared(name, owner)

    def get_shared(self, name: str):
        with self.lock:
            return self.shared.get(name)

    def file_sandbox(self) -> Path:
        with self.lock:
            if self._files_dir is None:
                self._files_tmp = tempfile.TemporaryDirectory(prefix="ddb-files-")
                self._files_dir = Path(self._files_tmp.name)
            self._files_dir.mkdir(parents=True, exist_ok=True)
            return self._files_dir

    def read_shared(self, name: str, user: str):
        """The shared table `name` as `user` may see it (None if there is none)."""
        table = self.get_shared(name)
        if table is not None:
            self._check(user, READ, name)
        return table

    def check_write(self, user: str, table) -> None:
        """Raises unless `user` may change `table` (checked before every change of a shared table)."""
        for name in self.names_of(table):
            self._check(user, WRITE, name)

    def _check(self, user: str, need: str, name: str) -> None:
        try:
            self.users.check(user, need, name)
        except AccessDenied as e:
            raise ScriptError(str(e)) from None

    def names_of(self, table):
        with self.lock:
            return [n for n, t in self.shared.items() if t is table]

    def undef_shared(self, name: str) -> None:
        with self.lock:
            self.shared.pop(name, None)
        if self.persistence:
            self.persistence.remove(name)
        self.users.unshared(name)

    def table_changed(self, name_or_table) -> None:
        """Persists a shared table after a change (no-op without a data directory). When the
        write fails (a full disk) the table in memory goes back to what is on disk: a change the
        client was told failed must not reappear with the next successful write."""
        if self.persistence is None:
            return
        with self.lock:
            names = [name_or_table] if isinstance(name_or_table, str) else self.names_of(name_or_table)
            for n in names:
                table = self.shared.get(n)
                if table is None:
                    continue
                try:
                    self._persist(n, table)
                except ScriptError:
                    committed = self.persistence.load(n)
                    if committed is None:
                        del self.shared[n]
                    else:
                        table.columns = committed.columns
                    raise

    def _persist(self, name: str, table) -> None:
        if self.persistence is None:
            return
        try:
            self.persistence.save(name, table)
        except OSError as e:
            raise ScriptError(f"Failed to save the shared table {name}: {e.strerror or e}. "
                              "The change was rolled back.") from None

    def check_login(self, user: str, password: str, address: str, wait) -> Optional[str]:
        """None when the password is right, else the error text. After repeated failures the
        check is held back first: `wait(seconds)` sleeps (False: the wait was cut short)."""
        guard = self.login_guard
        delay = guard.hold(user, address)
        if delay is None:
            return (f"Too many logins wait after repeated wrong passwords for the user '{user}' or "
                    f"the address {address}. Try again later.")
        if delay > 0:
            try:
                if not wait(delay):
                    return "The login was cancelled while held back after repeated wrong passwords."
            finally:
                guard.release(user, address)
        if not self.users.authenticate(user, password):
            self.login_guard.failed(user, address)
            return BAD_LOGIN
        self.login_guard.succeeded(user, address)
        return None


def tls_context(cert, key) -> Optional[ssl.SSLContext]:
    """The server's TLS context from PEM files, or None without a certificate."""
    if cert is None:
        if key is not None:
            raise ValueError("tls_key needs tls_cert")
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(cert, key)
    except OSError as e:   # ssl.SSLError too; neither names the file
        raise ValueError(f"cannot load the TLS certificate {cert!r} with key {key!r}: {e}") from e
    return ctx


class Server:
    """A single DolphinDB node. `with Server(port=0) as srv:` then connect to srv.port."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1", data_dir=None, users=None,
                 workers: int = 8, alias: str = "local8848", state: Optional[ServerState] = None,
                 mode: int = 3, max_connections: int = 512, deduplicate: bool = True,
                 urgent_workers: int = 4, max_value_bytes: int = 256 << 20, tls_cert=None, tls_key=None):
        """deduplicate=False: resent requests (clientId/-seqNo, PROTOCOL.md §2.2.4) run again, as
        on servers without exactly-once support (DolphinDB before 1.30.20.5 / 2.00.9).
        max_connections: connections past it are refused with the real server's S00006 text.
        urgent_workers: slots for the connect/login/cancel calls (URGENT_FUNCTIONS, flag 1) so
        they never wait for a busy worker. max_value_bytes: the largest value a session may hold
        (0 = no limit), so one statement cannot grow a value without bound.
        tls_cert / tls_key (PEM files; the key may be in the certificate file): serve TLS only, as a
        server with enableHTTPS=true does; plaintext clients are disconnected."""
        self.host = host
        self.deduplicate = deduplicate
        self.requested_port = port
        self.port = port
        self.workers = workers
        self.alias = alias
        self.mode = mode
        self.max_connections = max_connections
        self.state = state or ServerState(users, data_dir)
        self.job_slots = threading.BoundedSemaphore(workers)
        self.urgent_slots = threading.BoundedSemaphore(urgent_workers)
        self.max_value_bytes = max_value_bytes
        self.hangups = DisconnectWatcher()
        self.sessions: Dict[str, Session] = {}
        self.connections: set = set()
        self.jobs: Dict[str, Job] = {}
        self.lock = threading.Lock()
        self.job_ids = itertools.count(1)
        self._listener: Optional[socket.socket] = None
        self._accept_thread: Optional[threading.Thread] = None
        self._stopping = threading.Event()
        self._answering = threading.Event()        # cleared by pause(): accept, read, never answer
        self._answering.set()
        self.not_leader: Optional[str] = None      # fault injection: answer <NotLeader>host:port
        self.load_override: dict = {}              # fault injection: shape getClusterPerf
        self.cluster = None                        # the Cluster this node belongs to, if any
        # Tests that compare clients set a list: every request is appended as
        # (session id, "script" | "function" | "variable", script text / function / variable names).
        self.request_log: Optional[list] = None
        self._rsa_key = None
        self._rsa_key_lock = threading.Lock()   # concurrent first logins must all get the same key
        self.tls = tls_context(tls_cert, tls_key)

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> "Server":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.requested_port))
        sock.listen(256)
        self.port = sock.getsockname()[1]
        self.requested_port = self.port
        self._listener = sock
        # A fresh event, not clear(): a job cancelled by the previous stop() must still see that
        # its node was stopping when it looks after this restart (its resend then runs again).
        self._stopping = threading.Event()
        self._accept_thread = threading.Thread(target=self._accept_loop, name=f"ddb-accept-{self.port}", daemon=True)
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        """Shuts the node down: port closed, connections reset, every job cancelled."""
        self._stopping.set()
        self.kill()
        with self.lock:
            jobs = list(self.jobs.values())
        for job in jobs:
            job.session.ctx.cancel_event.set()
        self.hangups.stop()

    def kill(self) -> None:
        """Dies abruptly: the listening port closes and every connection is reset.

        A running job that carries a clientId/seqNo finishes in the background and records its
        outcome (as a commit that happened just before the crash), so the client's resend gets
        that outcome instead of running the job twice; other jobs are cancelled."""
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        self.drop_connections()
        if self._accept_thread is not None:
            self._accept_thread.join(5)
            self._accept_thread = None

    @property
    def live(self) -> bool:
        return self._listener is not None

    def drop_connections(self, session_ids=None) -> None:
        """Resets every client connection (or those of the given session ids); the node keeps
        listening. Their sessions end at once (connectionNum drops); jobs are cancelled as by kill()."""
        with self.lock:
            conns = [c for c in self.connections
                     if session_ids is None or (c.session is not None and c.session.session_id in session_ids)]
            self.connections.difference_update(conns)
            for c in conns:
                if c.session is not None:
                    self.sessions.pop(c.session.session_id, None)
        for c in conns:
            if c.session is not None and not c.session.tagged_job:
                c.session.ctx.cancel_event.set()
            c.reset()

    def pause(self) -> None:
        """Keeps accepting connections and reading requests but answers none until resume()."""
        self._answering.clear()

    def resume(self) -> None:
        self._answering.set()

    @property
    def paused(self) -> bool:
        return not self._answering.is_set()

    def wait_answering(self, give_up) -> bool:
        """Blocks while paused; False if give_up() turns true first (checked every 50 ms)."""
        while not self._answering.wait(0.05):
            if give_up():
                return False
        return True

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def connection_count(self) -> int:
        with self.lock:
            return len(self.sessions)

    # -- connections ---------------------------------------------------------------------
    def _accept_loop(self) -> None:
        """Accepts until the node stops. A connection past max_connections, or one no thread can
        be started for, gets an error reply and is closed; the loop itself never dies of it."""
        listener = self._listener
        refused = RefusedConnections()
        try:
            while not self._stopping.is_set():
                try:
                    listener.settimeout(refused.poll_interval())
                    conn, addr = listener.accept()
                except socket.timeout:
                    refused.close_due()
                    continue
                except OSError:
                    return
                refused.close_due()
                conn.settimeout(None)
                c = Connection(conn, addr)
                with self.lock:
                    if listener is not self._listener:   # killed while accepting
                        c.reset()
                        return
                    full = len(self.connections) >= self.max_connections
                    if not full:
                        self.connections.add(c)
                if full:
                    refused.add(conn, f"Maximum connections {self.max_connections} reached. Close unused "
                                      "connections or increase maxConnections limit. RefId:S00006")
                    continue
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                try:
                    threading.Thread(target=self._serve, args=(c,), name=f"ddb-conn-{addr[1]}",
                                     daemon=True).start()
                except RuntimeError as e:        # "can't start new thread": out of memory or pids
                    log.warning("refusing %s: %s", addr, e)
                    with self.lock:
                        self.connections.discard(c)
                    refused.add(conn, f"The server is out of resources to serve a new connection ({e}). "
                                      "Try again later.")
        finally:
            refused.close_all()

    def _serve(self, c: Connection) -> None:
        addr = c.remote
        session: Optional[Session] = None
        gone = lambda: c.dropped or self._stopping.is_set()  # noqa: E731
        try:
            if self.tls is not None:
                c.sock = self._start_tls(c.sock, addr)
            reader = SocketReader(c.sock)
            while not gone():
                try:
                    req = framing.read_request(reader)
                except (EOFError, ConnectionError, OSError):
                    return
                except ProtocolViolation as e:
                    log.info("closing %s: %s", addr, e)
                    return
                if not self.wait_answering(gone) or c.dropped:
                    return
                if req.body_kind == "connect":
                    session = self._new_session(c)
                elif session is None or req.session_id != session.session_id:
                    # A session belongs to the connection that opened it: a request naming any
                    # other one (or sent before connect) is refused, and the stream (whose
                    # arguments are left unread) closed.
                    c.send(framing.error(req.session_id or "0", INVALID_SESSION))
                    return
                session.last_active = time.time()
                reply = self._handle(session, req, reader, c)
                if reply is not None and not req.flag & FLAG_ASYNC or req.body_kind == "connect":
                    c.send(reply)
        except (ConnectionError, OSError, EOFError):
            return
        except CodecError as e:
            log.info("closing %s: malformed object: %s", addr, e)
        finally:
            if session is not None:
                self._close_session(session)
            with self.lock:
                self.connections.discard(c)
            try:
                c.sock.close()
            except OSError:
                pass

    def _start_tls(self, sock: socket.socket, addr):
        """The server side of the TLS handshake, bounded in time (ssl.SSLError, an OSError, if it fails)."""
        sock.settimeout(TLS_HANDSHAKE_TIMEOUT)
        try:
            tls = self.tls.wrap_socket(sock, server_side=True)
        except OSError as e:
            log.info("closing %s: TLS handshake failed: %s", addr, e)
            raise
        tls.settimeout(None)
        return tls

    def _new_session(self, c: Connection) -> Session:
        sid = str(random.randrange(10**9, 2**62))
        addr = c.remote
        ctx = SessionContext(server=self, session_id=int(sid), user="guest", remote=f"{addr[0]}:{addr[1]}")
        ctx.max_value_bytes = self.max_value_bytes
        s = Session(sid, ctx, addr, sock=c.sock)
        replaced = c.session
        with self.lock:
            if replaced is not None:
                self.sessions.pop(replaced.session_id, None)
            c.session = s
            if not c.dropped:
                self.sessions[sid] = s
        if replaced is not None:
            replaced.ctx.close()
        return s

    def _close_session(self, s: Session) -> None:
        s.ctx.cancel_event.set()
        with self.lock:
            self.sessions.pop(s.session_id, None)
        s.ctx.close()

    # -- requests ------------------------------------------------------------------------
    def _handle(self, s: Session, req: framing.Request, reader, c: Connection) -> Optional[bytes]:
        sid = s.session_id
        if req.body_kind == "connect":
            if req.login is not None:
                failure = self.state.check_login(*req.login, c.remote[0],
                                                 lambda t: not self._stopping.wait(t) and not c.dropped)
                if failure is not None:
                    return framing.error(sid, failure)
                s.ctx.user = req.login[0]
                return framing.ok(sid, codec.encode(_bool(True)))
            return framing.ok(sid, None)
        if self.request_log is not None:
            self.request_log.append((sid, req.body_kind, req.text))
        args = []
        if req.body_kind in ("function", "variable"):
            if not req.little_endian:
                # Still consume nothing more: big-endian arguments are not supported.
                raise ProtocolViolation("big-endian arguments are not supported")
            args = [codec.decode(reader) for _ in range(req.argc)]
        if self.not_leader is not None and req.body_kind != "connect":
            return framing.error(sid, f"<NotLeader>{self.not_leader}")
        emit = None
        if req.kind == "API2":
            def emit(text, _c=c):
                _c.send(framing.msg_frame(text))
        s.ctx._emit = emit
        s.ctx.python_syntax = bool(req.flag & FLAG_PYTHON)
        key = request_key(req) if self.deduplicate else None
        stopping = self._stopping
        try:
            if key is None:
                outcome = self._run_outcome(s, req, args)
            else:
                outcome = self.state.requests.run_once(
                    key, lambda: self._run_tagged(s, req, args), s.ctx.check_cancelled,
                    stopping.is_set)
        except CancelledJob:   # cancelled while waiting for the first run of a resent request
            outcome = Outcome(error=CANCELLED, cancelled=True)
        finally:
            s.ctx._emit = None
        if outcome.error is not None:
            return framing.error(sid, outcome.error)
        if outcome.value is None:
            return framing.ok(sid, None)
        try:
            return framing.ok(sid, self.encode_result(outcome.value, req))
        except ScriptError as e:   # too deep, or a replayed outcome meeting different request flags
            return framing.error(sid, str(e))
        except Exception as e:     # an encoder bug must cost this reply, not the connection
            log.exception("internal error encoding the result of %r", req.text[:200])
            return framing.error(sid, f"Internal server error: {type(e).__name__}: {e}")

    def _run_tagged(self, s: Session, req: framing.Request, args) -> Outcome:
        s.tagged_job = True
        try:
            return self._run_outcome(s, req, args)
        finally:
            s.tagged_job = False

    def _run_outcome(self, s: Session, req: framing.Request, args) -> Outcome:
        """Runs the job; every failure becomes the error text of the status line."""
        try:
            return Outcome(value=self._run_job(s, req, args))
        except ScriptError as e:
            return Outcome(error=str(e))
        except CancelledJob:
            return Outcome(error=CANCELLED, cancelled=True)
        except RecursionError:
            return Outcome(error="Out of recursion depth.")
        except Exception as e:  # an interpreter bug must not kill the connection
            log.exception("internal error running %r", req.text[:200])
            return Outcome(error=f"Internal server error: {type(e).__name__}: {e}")

    def encode_result(self, result, req: framing.Request) -> bytes:
        """The one place that chooses a result's encoding (DDB, compressed, paged)."""
        check_nesting(result)
        compress = bool(req.flag & FLAG_COMPRESS)
        if req.fetch_size > 0:
            if not isinstance(result, Table):
                raise_text = "Fetch size can only be set when executing scripts that return a table."
                raise ScriptError(raise_text)
            return codec.encode(_blocks(result, req.fetch_size), compress=compress)
        if req.flag & FLAG_PICKLE:
            reply = pickle.pickle_reply(result, as_list=bool(req.flag & FLAG_ARROW))
        elif req.flag & FLAG_ARROW:
            reply = arrow.arrow_reply(result)
        else:
            reply = None
        if reply is not None:
            return reply
        return codec.encode(result, compress=compress and isinstance(result, Table))

    def _run_job(self, s: Session, req: framing.Request, args):
        if req.fetch_size and 0 < req.fetch_size < 8192:
            raise ScriptError("fetchSize must be greater than 8192")
        job = Job(f"{s.session_id}-{next(self.job_ids)}", s, req.text[:200], time.time(),
                  req.priority, req.parallelism)
        s.ctx.cancel_event.clear()
        before = set(s.ctx.variables)
        with self.lock:
            self.jobs[job.job_id] = job
        slots = self.urgent_slots if _urgent(req) else self.job_slots
        try:
            while not slots.acquire(timeout=0.1):
                s.ctx.check_cancelled()
            job.running = True
            # An async request (flag 4) expects no reply: its client may hang up and the job
            # still runs. Any other job of a client that hung up is abandoned.
            watched = s.sock if not req.flag & FLAG_ASYNC else None
            if watched is not None:
                self.hangups.watch(watched, lambda: _cancel_abandoned(s))
            try:
                if req.body_kind == "script":
                    result = lang.run_script(s.ctx, req.text)
                elif req.body_kind == "function":
                    result = lang.call_function(s.ctx, req.text, args)
                else:
                    if len(req.names) != len(args):
                        raise ScriptError("The number of variable names doesn't match the number of objects.")
                    for value in args:   # all or none: a refused upload leaves no variable behind
                        check_value_size(value, self.max_value_bytes)
                    for name, value in zip(req.names, args):
                        s.ctx.variables[name] = value
                    result = None
                check_value_size(result, self.max_value_bytes)
                if req.fetch_size > 0 and result is not None:
                    self.encode_result(result, req)  # validates the form before replying
            finally:
                if watched is not None:
                    self.hangups.unwatch(watched)
                slots.release()
        finally:
            with self.lock:
                self.jobs.pop(job.job_id, None)
            if req.flag & FLAG_CLEAR_MEMORY:
                for name in set(s.ctx.variables) - before:
                    s.ctx.variables.pop(name, None)
        return result

    # -- introspection used by system functions ------------------------------------------
    def cancel_jobs(self, job_ids) -> int:
        n = 0
        with self.lock:
            for jid in job_ids:
                job = self.jobs.get(jid)
                if job is not None:
                    job.session.ctx.cancel_event.set()
                    n += 1
        return n

    def rsa_key(self):
        with self._rsa_key_lock:
            if self._rsa_key is None:
                self._rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return self._rsa_key

    def get_shared(self, name):
        return self.state.get_shared(name)

    def share(self, name, table, owner: str = "admin"):
        self.state.share(name, table, owner)

    def read_shared(self, name: str, user: str):
        return self.state.read_shared(name, user)

    @property
    def dfs(self) -> Engine:
        return self.state.dfs

    def file_sandbox(self) -> Path:
        return self.state.file_sandbox()

    def serialize(self, value) -> bytes:
        try:
            return codec.encode(value)
        except CodecError as e:
            raise ScriptError(f"The object can't be serialized: {e}") from None

    def deserialize(self, data: bytes) -> Tuple[object, int]:
        reader = codec.BytesReader(data)
        try:
            value = codec.decode(reader)
        except CodecError as e:
            raise ScriptError(f"The file doesn't hold a serialized object: {e}") from None
        return value, reader.pos


def _urgent(req: framing.Request) -> bool:
    return bool(req.flag & FLAG_URGENT) or (req.body_kind == "function" and req.text in URGENT_FUNCTIONS)


def _cancel_abandoned(s: Session) -> None:
    """The client hung up while its job ran: nobody will read the reply, so stop the job -
    unless it carries a clientId/seqNo, whose resend (on a new connection) expects its outcome."""
    if not s.tagged_job:
        s.ctx.cancel_event.set()


def _bool(v: bool):
    return Scalar(BOOL, 1 if v else 0)


def _blocks(table: Table, size: int) -> Vector:
    """The §4.6 paged form: an ANY vector of tables of `size` rows."""
    n = table.rows
    parts = []
    for start in range(0, max(n, 1), size):
        cols = {}
        for name, col in table.columns.items():
            if isinstance(col, ArrayVector):
                lo, hi = int(col.offsets[start]), int(col.offsets[min(n, start + size)])
                cols[name] = ArrayVector(col.type, col.offsets[start:start + size + 1] - lo,
                                         Vector(col.values.type, col.values.data[lo:hi], col.values.scale))
            elif col.data is None:
                cols[name] = Vector(col.type, None, length_=min(size, n - start))
            else:
                cols[name] = Vector(col.type, col.data[start:start + size], col.scale)
        parts.append(Table(cols, table.name))
    return Vector(ANY, parts)
