"""Request parsing and response framing of the API protocol (PROTOCOL.md §1–§4)."""
from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import List, Optional

from ..errors import ProtocolViolation

MAX_HEADER = 4096
MAX_BODY = 64 << 20

FLAG_URGENT = 1
FLAG_ASYNC = 4
FLAG_PICKLE = 8
FLAG_CLEAR_MEMORY = 16
FLAG_COMPRESS = 64
FLAG_PYTHON = 2048
FLAG_ARROW = 32768




class SocketReader:
    """Buffered reads from a socket: read_exact / read_cstring / read_line (codec reader API)."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = bytearray()

    def _fill(self, want: int = 1 << 16) -> None:
        chunk = self.sock.recv(max(want, 1 << 16))
        if not chunk:
            raise EOFError("connection closed by peer")
        self.buf += chunk

    def peek(self, n: int) -> bytes:
        """The next n bytes, left in the buffer."""
        while len(self.buf) < n:
            self._fill()
        return bytes(self.buf[:n])

    def read_exact(self, n: int) -> bytes:
        if n < 0:
            raise ProtocolViolation("negative read")
        while len(self.buf) < n:
            self._fill(min(n - len(self.buf), 8 << 20))
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_until(self, terminator: bytes, max_len: int) -> bytes:
        start = 0
        while True:
            i = self.buf.find(terminator, start)
            if i >= 0:
                out = bytes(self.buf[:i])
                del self.buf[:i + 1]
                return out
            if len(self.buf) > max_len:
                raise ProtocolViolation(f"line longer than {max_len} bytes")
            start = len(self.buf)
            self._fill()

    def read_cstring(self, max_len: int = 64 << 20) -> bytes:
        return self.read_until(b"\0", max_len)


@dataclass
class Request:
    kind: str                      # "API" or "API2"
    session_id: str
    body_kind: str                 # connect / script / function / variable
    flag: int = 0
    priority: int = 4
    parallelism: int = 64
    fetch_size: int = 0
    client_id: str = ""
    seq_no: int = 0
    text: str = ""                 # script text, function name, or variable names
    argc: int = 0
    little_endian: bool = True
    login: Optional[tuple] = None  # connect with inline login: (user, password)
    names: List[str] = field(default_factory=list)


def _int(text: str, default: int) -> int:
    try:
        return int(text) if text != "" else default
    except ValueError:
        raise ProtocolViolation(f"bad number {text!r} in the options") from None


def read_request(r: SocketReader) -> Request:
    # Rejected at once rather than after a header line that never ends: a TLS ClientHello (the
    # client has enableSSL and this server does not) has no newline where a header would.
    if r.peek(3) != b"API":
        raise ProtocolViolation(f"not an API request (it starts with {r.peek(3)!r})")
    line = r.read_until(b"\n", MAX_HEADER).decode("utf-8", "replace").rstrip("\r")
    parts = line.split(" ")
    if len(parts) < 3 or parts[0] not in ("API", "API2"):
        raise ProtocolViolation(f"invalid request header {line[:80]!r}")
    length = _int(parts[2], -1)
    if not 0 <= length <= MAX_BODY:
        raise ProtocolViolation(f"invalid body length {parts[2]!r}")
    req = Request(kind=parts[0], session_id=parts[1], body_kind="")
    if len(parts) >= 5 and parts[3] == "/":
        opts = parts[4].split("_")
        opts += [""] * (9 - len(opts))
        req.flag = _int(opts[0], 0)
        req.priority = _int(opts[2], 4)
        req.parallelism = _int(opts[3], 64)
        req.fetch_size = _int(opts[5], 0)
        req.client_id = opts[7]
        req.seq_no = _int(opts[8], 0)
    body = r.read_exact(length).decode("utf-8", "replace")
    lines = body.split("\n")
    req.body_kind = lines[0]
    if req.body_kind == "connect":
        if len(lines) >= 5 and lines[1] == "login":
            req.login = (lines[2], lines[3])
    elif req.body_kind == "script":
        req.text = body[len("script\n"):]
    elif req.body_kind in ("function", "variable"):
        if len(lines) < 4:
            raise ProtocolViolation(f"malformed {req.body_kind} request")
        req.text = lines[1]
        req.argc = _int(lines[2], -1)
        if not 0 <= req.argc <= 1 << 16:
            raise ProtocolViolation("invalid argument count")
        req.little_endian = lines[3].strip() != "0"
        if req.body_kind == "variable":
            req.names = [n for n in lines[1].split(",")]
    else:
        raise ProtocolViolation(f"unknown request kind {req.body_kind[:40]!r}")
    return req


def header(session_id: str, n: int) -> bytes:
    return f"{session_id} {n} 1\n".encode()


def ok(session_id: str, payload: Optional[bytes]) -> bytes:
    if payload is None:
        return header(session_id, 0) + b"OK\n"
    return header(session_id, 1) + b"OK\n" + payload


def error(session_id: str, message: str) -> bytes:
    text = " ".join(str(message).splitlines()) or "Unknown error"
    return header(session_id, 0) + text.encode("utf-8", "replace") + b"\n"


def msg_frame(text: str) -> bytes:
    return b"MSG\n" + text.replace("\0", "").encode("utf-8", "replace") + b"\0"
