"""A TCP relay in front of a real server that can make it look hung or dead without touching it:
`freeze()` stops relaying (connections stay open, nothing more is answered, new connections are
accepted and left silent, like a server that is stuck), `kill()` drops every connection and stops
listening (like a server that died). `answer_first=n` relays only the first n connections; later
ones are accepted and left silent."""
from __future__ import annotations

import selectors
import socket
import threading
from typing import List, Optional


class GateProxy:
    def __init__(self, target_port: int, answer_first: Optional[int] = None):
        self.target_port = target_port
        self.answer_first = answer_first
        self.accepted = 0
        self._frozen = threading.Event()
        self._killed = threading.Event()
        self._sockets: List[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._threads = [threading.Thread(target=self._accept, daemon=True)]

    def __enter__(self):
        self._threads[0].start()
        return self

    def __exit__(self, *exc):
        self.kill()
        for t in self._threads:
            t.join(5)

    def freeze(self) -> None:
        self._frozen.set()

    def kill(self) -> None:
        self._killed.set()
        self._listener.close()
        with self._lock:
            for s in self._sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self._sockets.clear()

    def _keep(self, s: socket.socket) -> bool:
        with self._lock:
            if self._killed.is_set():
                s.close()
                return False
            self._sockets.append(s)
            return True

    def _accept(self):
        while not self._killed.is_set():
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted += 1
            if not self._keep(client):
                return
            silent = self._frozen.is_set() or (self.answer_first is not None and self.accepted > self.answer_first)
            if silent:
                continue   # held open, never read, never answered
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            if not self._keep(upstream):
                return
            t = threading.Thread(target=self._relay, args=(client, upstream), daemon=True)
            self._threads.append(t)
            t.start()

    def _relay(self, client: socket.socket, upstream: socket.socket):
        peer = {client: upstream, upstream: client}
        with selectors.DefaultSelector() as sel:
            sel.register(client, selectors.EVENT_READ)
            sel.register(upstream, selectors.EVENT_READ)
            while not self._killed.is_set():
                if self._frozen.is_set():
                    self._killed.wait(0.05)
                    continue
                for key, _ in sel.select(0.05):
                    try:
                        data = key.fileobj.recv(1 << 16)
                        if not data:
                            return self._close_pair(client, upstream)
                        peer[key.fileobj].sendall(data)
                    except OSError:
                        return self._close_pair(client, upstream)

    def _close_pair(self, *pair):
        with self._lock:
            for s in pair:
                if s in self._sockets:
                    self._sockets.remove(s)
                s.close()
