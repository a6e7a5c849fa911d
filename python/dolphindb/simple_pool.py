"""SimpleDBConnectionPool: a checkout pool of Sessions (the official client's 3.0.4 API).

    pool = SimpleDBConnectionPool(host="127.0.0.1", port=8848, userid="admin", password="123456",
                                  min_pool_size=2, max_pool_size=8)
    with pool.acquire(timeout=1000) as conn:      # milliseconds; a PoolEntry (a Session)
        conn.run("select count(*) from t")

Same fields, defaults, constraints and error texts as the official pool (BULK_WRITERS.md §6.2),
with these deliberate differences:
* `acquire()` after `shutdown()` raises `PoolClosedError` (the official pool returns None);
* `reset_on_release=True` runs `undef all` on every released connection before the next
  borrower gets it (the official pool lets variables leak between borrowers); a connection whose
  reset fails is closed instead of being handed out again;
* connections are opened outside the pool lock (a slow connect does not stall other borrowers),
  and every release wakes a waiter (the official pool wakes one only when the idle set goes from
  empty to one, so waiters can sleep past their turn).
"""
from __future__ import annotations

import contextlib
import datetime
import threading
import time
import weakref
from typing import Any, Dict, List, Optional

from .exceptions import DDBTimeoutError, PoolClosedError
from .session import Session

DDB_EPSILON = 1e-5

# field -> default. Session settings, then connection settings, then the pool's own.
_FIELDS: Dict[str, Any] = {
    "enable_ssl": False, "enable_async": False, "compress": False, "parser": None, "protocol": 0,
    "show_output": True, "sql_std": None,
    "host": None, "port": None, "userid": "", "password": "", "startup": "", "enable_high_availability": False,
    "high_availability_sites": None, "keep_alive_time": -1, "reconnect": False, "try_reconnect_nums": -1,
    "net_timeout": None, "timeout": None, "read_timeout": -1, "write_timeout": -1, "use_public_name": False,
    "min_pool_size": 5, "max_pool_size": 5, "idle_timeout": 600000, "check_interval": 60000,
    "reset_on_release": False,
}
_ALIASES = {"userId": "userid"}
_PROTOCOLS = {"default": 0, "ddb": 1, "pickle": 2, "arrow": 3}
_SQL_STDS = {"ddb": 0, "oracle": 1, "mysql": 2}
_LOWER_BOUNDS = {"min_pool_size": (0, False), "max_pool_size": (0, False), "idle_timeout": (10000, True),
                 "check_interval": (1000, True)}


class SimpleDBConnectionPoolConfig:
    """The pool's settings: every Session/connect setting in snake_case plus min_pool_size,
    max_pool_size, idle_timeout (ms), check_interval (ms) and reset_on_release. Unknown keys and
    out-of-range values raise ValueError."""

    def __init__(self, **kwargs):
        values = dict(_FIELDS)
        for key, value in kwargs.items():
            name = _ALIASES.get(key, key)
            if name not in _FIELDS:
                raise ValueError(f"{key}: Extra inputs are not permitted")
            values[name] = value
        for name in ("host", "port"):
            if values[name] is None:
                raise ValueError(f"{name}: Field required")
        if not isinstance(values["port"], int) or isinstance(values["port"], bool):
            raise ValueError("port: Input should be a valid integer")
        for name, (bound, inclusive) in _LOWER_BOUNDS.items():
            value = values[name]
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{name}: Input should be a valid integer")
            if value < bound or (value == bound and not inclusive):
                relation = "greater than or equal to" if inclusive else "greater than"
                raise ValueError(f"{name}: Input should be {relation} {bound}")
        if values["min_pool_size"] > values["max_pool_size"]:
            raise ValueError("Value error, min_pool_size cannot be greater than max_pool_size.")
        for name in ("timeout", "net_timeout"):
            value = values[name]
            if value is not None and not isinstance(value, datetime.timedelta):
                raise TypeError(f"The parameter '{name}' must be datetime.timedelta.")
        self.__dict__.update(values)

    def to_dict(self) -> Dict[str, Any]:
        return {name: getattr(self, name) for name in _FIELDS}

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items() if k != "password")
        return f"SimpleDBConnectionPoolConfig({shown})"


def _config(config, kwargs) -> SimpleDBConnectionPoolConfig:
    if config is None:
        return SimpleDBConnectionPoolConfig(**kwargs)
    if isinstance(config, dict):
        return SimpleDBConnectionPoolConfig(**config, **kwargs)
    if isinstance(config, SimpleDBConnectionPoolConfig):
        return SimpleDBConnectionPoolConfig(**{**config.to_dict(), **kwargs})
    raise TypeError("config must be a SimpleDBConnectionPoolConfig or a dict")


def _seconds(value) -> Optional[float]:
    if isinstance(value, datetime.timedelta):
        return value.total_seconds() or None
    return value if value is not None and value > 0 else None


class PoolEntry(Session):
    """A Session checked out of a SimpleDBConnectionPool. Use it while acquired; give it back with
    `release()` or by leaving its `with` block."""

    _NOT_ACQUIRED = "The connection has not been acquired from the pool and cannot be used."

    def __init__(self, config: SimpleDBConnectionPoolConfig, pool: "SimpleDBConnectionPool"):
        protocol, sql_std = config.protocol, config.sql_std
        if isinstance(protocol, str):
            protocol = _PROTOCOLS.get(protocol.lower(), 0)
        if isinstance(sql_std, str):
            sql_std = _SQL_STDS.get(sql_std.lower(), 0)
        super().__init__(enableASYNC=config.enable_async, compress=config.compress, protocol=protocol,
                         show_output=config.show_output, sqlStd=sql_std, parser=config.parser,
                         enableSSL=config.enable_ssl)
        keep_alive = config.keep_alive_time if config.keep_alive_time and config.keep_alive_time > 0 else None
        ok = Session.connect(self, config.host, config.port, config.userid, config.password,
                             startup=config.startup or None, highAvailability=config.enable_high_availability,
                             highAvailabilitySites=config.high_availability_sites, keepAliveTime=keep_alive,
                             reconnect=config.reconnect, tryReconnectNums=config.try_reconnect_nums,
                             netTimeout=_seconds(config.net_timeout) or _seconds(config.write_timeout),
                             timeout=_seconds(config.timeout) or _seconds(config.read_timeout),
                             usePublicName=config.use_public_name)
        if not ok:
            raise RuntimeError(f"Failed to create a connection for the pool. ({self.last_error})")
        self._pool = weakref.ref(pool)
        self._is_idle = True
        self._last_used_time = time.monotonic()
        self._in_flight = 0
        self._in_flight_lock = threading.Lock()

    # -- the pool owns the connection -----------------------------------------------------------
    def connect(self, *args, **kwargs):
        raise RuntimeError("Connection must be created via the pool; direct calls to connect() are not permitted.")

    def login(self, *args, **kwargs):
        raise RuntimeError("Login is only allowed when creating the connection via the pool.")

    def close(self):
        raise RuntimeError("This connection cannot be closed directly outside the pool; "
                           "use release() to return it to the pool.")

    def _close_connection(self) -> None:
        Session.close(self)

    @property
    def is_idle(self) -> bool:
        return self._is_idle

    @property
    def is_busy(self) -> bool:
        """True while a request of this connection is in flight."""
        return self._in_flight > 0

    # -- requests, only while acquired ----------------------------------------------------------
    @contextlib.contextmanager
    def _in_use(self):
        if self._is_idle:
            raise RuntimeError(self._NOT_ACQUIRED)
        with self._in_flight_lock:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._in_flight_lock:
                self._in_flight -= 1

    def run(self, *args, **kwargs):
        with self._in_use():
            return super().run(*args, **kwargs)

    def upload(self, *args, **kwargs):
        with self._in_use():
            return super().upload(*args, **kwargs)

    def release(self) -> None:
        pool = self._pool()
        if pool is not None:
            pool.release(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


class SimpleDBConnectionPool:
    """A checkout pool: `acquire()` lends a connection, `release()` takes it back."""

    def __init__(self, *, config=None, **kwargs):
        self.config = _config(config, kwargs)
        self._lock = threading.Lock()
        self._available = threading.Condition(self._lock)
        self._idle: List[PoolEntry] = []       # a stack: the most recently used is lent first
        self._used: set = set()
        self._opening = 0                      # slots reserved by connects in progress
        self._is_shutdown = False
        self._stop = threading.Event()
        try:
            for _ in range(self.config.min_pool_size):
                self._idle.append(PoolEntry(self.config, self))
        except BaseException:
            for entry in self._idle:
                entry._close_connection()
            raise
        self._cleaner = threading.Thread(target=_clean_periodically, args=(weakref.ref(self), self._stop,
                                         self.config.check_interval / 1000), name="ddb-pool-cleanup", daemon=True)
        self._cleaner.start()
        weakref.finalize(self, self._stop.set)

    # -- lending --------------------------------------------------------------------------------
    def acquire(self, timeout: Optional[float] = None) -> PoolEntry:
        """An idle connection, a new one while fewer than max_pool_size exist, or: with
        timeout=None RuntimeError at once, else wait up to `timeout` milliseconds."""
        if timeout is not None and timeout < DDB_EPSILON:
            raise ValueError("The parameter timeout must be a positive number or None when acquiring a connection.")
        deadline = None if timeout is None else time.monotonic() + timeout / 1000
        with self._available:
            while True:
                if self._is_shutdown:
                    raise PoolClosedError("The connection pool has been shut down.")
                if self._idle:
                    entry = self._idle.pop()
                    entry._is_idle = False
                    self._used.add(entry)
                    return entry
                if len(self._idle) + len(self._used) + self._opening < self.config.max_pool_size:
                    self._opening += 1
                    break
                if deadline is None:
                    raise RuntimeError("No available connections in the pool.")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise DDBTimeoutError("Timed out while waiting for a connection.")
                self._available.wait(remaining)
        return self._open_for_borrower()

    def _open_for_borrower(self) -> PoolEntry:
        entry = None
        try:
            entry = PoolEntry(self.config, self)
        finally:
            with self._available:
                self._opening -= 1
                if entry is None:
                    self._available.notify()        # the slot is free again
                elif self._is_shutdown:
                    entry._close_connection()
                    raise PoolClosedError("The connection pool has been shut down.")
                else:
                    entry._is_idle = False
                    self._used.add(entry)
        return entry

    def release(self, conn: PoolEntry) -> None:
        if not isinstance(conn, PoolEntry):
            raise RuntimeError("The connection does not belong to this pool or has been released.")
        if conn.is_busy:
            raise RuntimeError("Cannot release a busy connection.")
        with self._available:
            if self._is_shutdown:
                return
            if conn not in self._used:
                raise RuntimeError("The connection does not belong to this pool or has been released.")
            if not self.config.reset_on_release:
                self._return_idle(conn)
                return
        self._reset_and_return(conn)

    def _return_idle(self, conn: PoolEntry) -> None:
        """Under the lock: conn goes back to the idle stack and one waiter wakes."""
        self._used.discard(conn)
        conn._is_idle = True
        conn._last_used_time = time.monotonic()
        self._idle.append(conn)
        self._available.notify()

    def _reset_and_return(self, conn: PoolEntry) -> None:
        # Still counted as used (nobody else can get it) while the reset runs without the lock.
        try:
            conn.undefAll()
            reset = True
        except RuntimeError:
            reset = False
        with self._available:
            if self._is_shutdown or conn not in self._used:
                return
            if reset:
                self._return_idle(conn)
                return
            self._used.discard(conn)
            conn._is_idle = True
            self._available.notify()               # a slot for a fresh connection
        conn._close_connection()

    # -- idle connections -----------------------------------------------------------------------
    def _trim(self, force: bool) -> None:
        """Closes idle connections older than idle_timeout (with force: every idle one), never
        going below min_pool_size."""
        now = time.monotonic()
        with self._available:
            total = len(self._idle) + len(self._used)
            keep, closing = [], []
            for entry in self._idle:           # oldest first: they were released first
                expired = (now - entry._last_used_time) * 1000 > self.config.idle_timeout
                if (expired or force) and total - len(closing) > self.config.min_pool_size:
                    closing.append(entry)
                else:
                    keep.append(entry)
            self._idle = keep
        for entry in closing:
            entry._close_connection()

    def close_idle(self) -> None:
        self._trim(force=True)

    # -- counters and shutdown ------------------------------------------------------------------
    @property
    def active_count(self) -> int:
        with self._lock:
            return len(self._used)

    @property
    def idle_count(self) -> int:
        with self._lock:
            return len(self._idle)

    @property
    def total_count(self) -> int:
        with self._lock:
            return len(self._idle) + len(self._used)

    @property
    def is_shutdown(self) -> bool:
        return self._is_shutdown

    def shutdown(self) -> None:
        """Stops the cleanup thread and closes every connection, lent ones included."""
        with self._available:
            if self._is_shutdown:
                return
            self._is_shutdown = True
            entries = self._idle + list(self._used)
            self._idle, self._used = [], set()
            self._available.notify_all()
        self._stop.set()
        if self._cleaner is not threading.current_thread():
            self._cleaner.join()
        for entry in entries:
            entry._is_idle = True
            entry._close_connection()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()


def _clean_periodically(pool_ref, stop: threading.Event, interval: float) -> None:
    """The cleanup thread. It holds the pool only weakly, so an abandoned pool is collected (its
    finalizer sets `stop`) and the thread ends."""
    while not stop.wait(interval):
        pool = pool_ref()
        if pool is None:
            return
        pool._trim(force=False)
        del pool
