"""A scripted DolphinDB peer for client tests: it answers the handshake and the post-connect
probes like a server, records every request (flag, options, body, the raw bytes of its argument
objects) and answers user requests with bytes the test chooses, including ones no real server
would send (pickle and Arrow payloads, garbage, truncated replies)."""
from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from typing import Callable, List, Optional

from dolphindb.server.errors import ProtocolViolation
from dolphindb.server.wire import codec, framing as protocol

BOOL_TRUE = b"\x01\x00\x01"          # scalar BOOL true
SESSION = "4242"


@dataclass
class Seen:
    flag: int
    options: str
    body_kind: str
    text: str
    fetch_size: int = 0
    arg_bytes: bytes = b""
    args: list = field(default_factory=list)


class Raw(bytes):
    """A complete reply sent as is (no header added); `close` drops the connection after it."""

    close = False


class Stream:
    """A reply sent piece by piece as `chunks` (any iterable of bytes, which may sleep between
    pieces) yields them: a trickling or flooding peer."""

    def __init__(self, chunks):
        self.chunks = chunks


class _Tap:
    """Reads like protocol.SocketReader and keeps every byte the codec consumed."""

    def __init__(self, reader):
        self.reader = reader
        self.bytes = bytearray()

    def read_exact(self, n):
        b = self.reader.read_exact(n)
        self.bytes += b
        return b

    def read_cstring(self, max_len=64 << 20):
        b = self.reader.read_cstring(max_len)
        self.bytes += b + b"\0"
        return b


def object_reply(payload: Optional[bytes]) -> bytes:
    """`payload` (flag word + object, or a form+0x20 payload) as a complete OK reply."""
    return protocol.ok(SESSION, payload)


class StubServer:
    """`reply(seen) -> bytes | Raw | Stream | None`: the object bytes after "OK" (None: a void
    reply), a Raw complete reply, or a Stream of its pieces. Internal probes are answered here and not shown to `reply`.
    `refuse_early(text) -> str | None`: an error sent, before the request's arguments are read, as
    the reply to the function or script `text`; the connection then closes with them unread."""

    def __init__(self, reply: Callable[[Seen], object], refuse_early: Callable[[str], Optional[str]] = lambda text: None):
        self.reply = reply
        self.refuse_early = refuse_early
        self.requests: List[Seen] = []
        self.handshakes: List[int] = []
        self.inline_logins: List[Optional[tuple]] = []   # (user, password) sent in a handshake, or None
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.05)   # accept() wakes up to see _stop
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._sock.close()
        self._thread.join(5)

    @property
    def user_requests(self) -> List[Seen]:
        return [r for r in self.requests if r.text not in ("getRequiredAPIVersion", "isNodeInitialized")]

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(None)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        reader = protocol.SocketReader(conn)
        try:
            while True:
                req = protocol.read_request(reader)
                if req.body_kind == "connect":
                    self.handshakes.append(req.flag)
                    self.inline_logins.append(req.login)
                    conn.sendall(protocol.ok(SESSION, None))
                    continue
                refusal = self.refuse_early(req.text)
                if refusal is not None:
                    conn.sendall(protocol.error(SESSION, refusal))
                    return
                tap = _Tap(reader)
                args = [codec.decode(tap) for _ in range(req.argc)] if req.body_kind in ("function", "variable") else []
                seen = Seen(req.flag, f"{req.flag}_{req.priority}_{req.parallelism}", req.body_kind, req.text,
                            req.fetch_size, bytes(tap.bytes), args)
                self.requests.append(seen)
                if req.text == "getRequiredAPIVersion":
                    conn.sendall(protocol.ok(SESSION, None))
                    continue
                if req.text == "isNodeInitialized":
                    conn.sendall(protocol.ok(SESSION, BOOL_TRUE))
                    continue
                answer = self.reply(seen)
                if isinstance(answer, Stream):
                    for chunk in answer.chunks:
                        conn.sendall(chunk)
                    continue
                if isinstance(answer, Raw):
                    conn.sendall(answer)
                    if answer.close:
                        return
                    continue
                conn.sendall(object_reply(answer))
        except (EOFError, OSError, ProtocolViolation):
            return
        finally:
            conn.close()
