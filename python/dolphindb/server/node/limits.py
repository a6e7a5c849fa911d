"""Resource limits of the embedded server: value sizes, result nesting, abandoned jobs.

Every client is possibly hostile or careless; these keep one of them from taking the node down:

* value sizes and result nesting are checked by `model/sizes.py` (the interpreter checks them
  too, so they live below both).
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

from ..wire.framing import error as error_reply

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
