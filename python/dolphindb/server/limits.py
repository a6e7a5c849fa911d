"""Resource limits of the embedded server: value sizes, result nesting, abandoned jobs.

Every client is possibly hostile or careless; these keep one of them from taking the node down:

* `value_nbytes` estimates what a value holds in memory (numpy buffers, text bytes), cheaply:
  text columns are measured on a sample. It bounds a session's values (`check_value_size`,
  maxMemSize-style) and the bytes the exactly-once log keeps.
* `check_nesting` refuses a result nested deeper than the encoder (and the clients' decoders)
  will go, so the request gets an error reply instead of a dropped connection.
* `RefusedConnections` answers connections past maxConnections (or that no thread can serve)
  with an error reply instead of a bare reset.
* `DisconnectWatcher` notices a client that hung up while its job runs (nobody reads the socket
  then) and cancels the job, so an abandoned infinite loop does not burn a worker forever.
"""
from __future__ import annotations

import select
import socket
import threading
import time
from typing import Callable, Dict, Optional

from .lang.registry import ScriptError
from .protocol import error as error_reply
from .values import Dictionary, Matrix, Scalar, Table, Vector, ArrayVector

MAX_RESULT_DEPTH = 100         # nesting levels of ANY vectors / dictionaries / tables in a reply
_TEXT_SAMPLE = 256


def value_nbytes(value, _depth: int = 0) -> int:
    """Approximate bytes held by a value (text measured on a sample of its elements)."""
    if _depth > MAX_RESULT_DEPTH:
        return 0
    if isinstance(value, Scalar):
        v = value.value
        return 16 + (len(v) if isinstance(v, (str, bytes)) else 0)
    if isinstance(value, Vector):
        return 16 + _array_nbytes(value.data, _depth)
    if isinstance(value, ArrayVector):
        return 16 + value.offsets.nbytes + _array_nbytes(value.values.data, _depth)
    if isinstance(value, Matrix):
        return 16 + _array_nbytes(value.data, _depth)
    if isinstance(value, Dictionary):
        return value_nbytes(value.keys, _depth + 1) + value_nbytes(value.values, _depth + 1)
    if isinstance(value, Table):
        return 16 + sum(value_nbytes(c, _depth + 1) for c in value.columns.values())
    return 16


def _array_nbytes(data, depth: int) -> int:
    if data is None:
        return 0
    if isinstance(data, list):             # an ANY vector: its items
        return sum(value_nbytes(v, depth + 1) for v in data)
    if data.dtype != object:
        return int(data.nbytes)
    n = data.size
    if n == 0:
        return 0
    step = max(1, n // _TEXT_SAMPLE)
    sample = data.reshape(-1)[::step][:_TEXT_SAMPLE]
    per = sum(len(x) if isinstance(x, (str, bytes)) else value_nbytes(x, depth + 1) if hasattr(x, "form") else 8
              for x in sample) / len(sample)
    return int(n * (per + 8))


def check_value_size(value, limit: int) -> None:
    """Refuses a value larger than `limit` bytes (the session memory limit)."""
    if limit and value is not None and value_nbytes(value) > limit:
        raise ScriptError(f"Out of memory: a value of {value_nbytes(value) >> 20} MB exceeds the "
                          f"session memory limit of {limit >> 20} MB (maxMemSize).")


def check_nesting(value, limit: int = MAX_RESULT_DEPTH) -> None:
    """Refuses a value nested more than `limit` levels deep (iteratively: no recursion)."""
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if depth > limit:
            raise ScriptError(f"The result is nested more than {limit} levels deep and can't be serialized.")
        if isinstance(v, Vector) and isinstance(v.data, list):
            stack.extend((x, depth + 1) for x in v.data if not isinstance(x, Scalar))
        elif isinstance(v, Dictionary):
            stack.append((v.values, depth + 1))
        elif isinstance(v, Table):
            stack.extend((c, depth + 1) for c in v.columns.values() if isinstance(getattr(c, "data", None), list))


class DisconnectWatcher:
    """One thread per server polls the sockets of connections whose job is running: a peer
    that closed (EOF / RST / half-close; it has nothing more to say while its reply is pending)
    gets its job cancelled. Pipelined request bytes are not a hang-up: only the hang-up events
    are polled, never readability."""

    EVENTS = select.POLLRDHUP | select.POLLHUP | select.POLLERR
    INTERVAL = 0.2

    def __init__(self):
        self._lock = threading.Lock()
        self._watched: Dict[int, Callable[[], None]] = {}   # fd -> cancel
        self._thread = None
        self._stop = threading.Event()

    def watch(self, sock, on_hangup: Callable[[], None]) -> None:
        with self._lock:
            self._watched[sock.fileno()] = on_hangup
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="ddb-hangup-watch", daemon=True)
                try:
                    self._thread.start()
                except RuntimeError:     # no thread to spare: the job just runs unwatched
                    self._thread = None

    def unwatch(self, sock) -> None:
        with self._lock:
            try:
                self._watched.pop(sock.fileno(), None)
            except OSError:
                pass

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.INTERVAL):
            with self._lock:
                watched = dict(self._watched)
            if not watched:
                continue
            poller = select.poll()
            for fd in watched:
                poller.register(fd, self.EVENTS)
            try:
                events = poller.poll(0)
            except OSError:
                continue
            for fd, ev in events:
                if ev & (self.EVENTS | select.POLLNVAL):
                    with self._lock:
                        cancel = self._watched.pop(fd, None)
                    if cancel is not None:
                        cancel()


class RefusedConnections:
    """Refused connections waiting to be closed: their error reply is sent at once, and the
    socket closed once the client, having read it, hangs up (or after LINGER seconds). Closing
    at once, with the client's request unread, would send a reset that can overtake the reply."""

    LINGER = 1.0

    def __init__(self):
        self._socks = []   # (deadline, socket)

    def add(self, sock: socket.socket, message: str) -> None:
        try:
            sock.setblocking(False)
            sock.send(error_reply("0", message))
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            sock.close()
            return
        self._socks.append((time.monotonic() + self.LINGER, sock))

    def poll_interval(self) -> Optional[float]:
        return 0.05 if self._socks else None

    def close_due(self) -> None:
        now, keep = time.monotonic(), []
        for deadline, sock in self._socks:
            if _drained(sock) or now >= deadline:
                sock.close()
            else:
                keep.append((deadline, sock))
        self._socks = keep

    def close_all(self) -> None:
        for _, sock in self._socks:
            sock.close()
        self._socks = []


def _drained(sock: socket.socket) -> bool:
    """Reads (and drops) what the peer sent so far; True once it closed its side."""
    try:
        while sock.recv(1 << 16):
            pass
    except BlockingIOError:
        return False
    except OSError:
        pass
    return True
