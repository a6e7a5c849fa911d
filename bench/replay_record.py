"""Recording proxy: sits between clients and a DolphinDB server and keeps each distinct request with
the reply the server gave it, for bench/replay (the replay server and the bare C client).

    python bench/replay_record.py --upstream-port 8848 --out recording.bin
    (prints "listening on PORT"; stops and writes the file on SIGTERM, SIGINT or end of stdin)

The protocol is strictly request/response per connection (PROTOCOL.md §0), so everything a client
sends until the server starts answering is one request, and everything the server sends until the
client speaks again is its reply. Requests are keyed with the session id taken out (the only field
that differs between runs of the same script); a reply is stored without its session id, which the
replay server fills in with its own. `login(...)` calls are recorded with "any arguments": their
RSA-encrypted arguments differ on every connection.

File layout (little-endian): b"DDBREPLAY1\\n", u32 count, then per entry
u32 len + key (kind + header after the session id + LF + body), u8 any_args,
u64 len + argument bytes, u64 len + reply prefix (MSG frames), u64 len + reply after the session id.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import struct
import subprocess
import sys
import threading

MAGIC = b"DDBREPLAY1\n"


class RecordingError(Exception):
    pass


def split_request(request: bytes):
    """(kind, session id, key, argument bytes) of one raw request."""
    nl = request.find(b"\n")
    if nl < 0:
        raise RecordingError(f"request without a header line: {request[:80]!r}")
    line = request[:nl]
    parts = line.split(b" ", 3)
    if len(parts) < 3 or parts[0] not in (b"API", b"API2"):
        raise RecordingError(f"not a DolphinDB request header: {line[:80]!r}")
    kind, sid = parts[0], parts[1]
    tail = line[len(kind) + 1 + len(sid):]
    body_len = int(parts[2])
    body_end = nl + 1 + body_len
    if len(request) < body_end:
        raise RecordingError(f"request shorter than its declared body: {line[:80]!r}")
    key = kind + tail + b"\n" + request[nl + 1:body_end]
    return kind, sid, key, request[body_end:]


def split_reply(reply: bytes):
    """(MSG-frame prefix, session id, rest) of one raw reply."""
    pos = 0
    while reply.startswith(b"MSG\n", pos):
        end = reply.find(b"\0", pos)
        if end < 0:
            raise RecordingError("unterminated MSG frame in a reply")
        pos = end + 1
    space = reply.find(b" ", pos)
    if space < 0:
        raise RecordingError(f"reply without a header line: {reply[pos:pos + 80]!r}")
    return reply[:pos], reply[pos:space], reply[space:]


def any_arguments(key: bytes) -> bool:
    body = key[key.find(b"\n") + 1:]
    return body.startswith(b"function\nlogin\n")


class Recording:
    def __init__(self):
        self.entries = {}          # (key, args or None) -> (prefix, rest)
        self.order = []
        self.conflicts = []
        self.lock = threading.Lock()

    def add(self, request: bytes, reply: bytes):
        _, _, key, args = split_request(request)
        prefix, _, rest = split_reply(reply)
        wildcard = any_arguments(key)
        ident = (key, None if wildcard else args)
        with self.lock:
            known = self.entries.get(ident)
            if known is None:
                self.entries[ident] = (prefix, rest)
                self.order.append(ident)
            elif known != (prefix, rest):
                self.conflicts.append(key[:120])

    def write(self, path):
        with open(path, "wb") as f:
            f.write(MAGIC)
            f.write(struct.pack("<I", len(self.order)))
            for ident in self.order:
                key, args = ident
                prefix, rest = self.entries[ident]
                f.write(struct.pack("<I", len(key)))
                f.write(key)
                f.write(struct.pack("<B", args is None))
                for blob in (args or b"", prefix, rest):
                    f.write(struct.pack("<Q", len(blob)))
                    f.write(blob)


def read_recording(path):
    """[(key, any_args, args, prefix, rest)] of a recording file."""
    data = open(path, "rb").read()
    if not data.startswith(MAGIC):
        raise RecordingError(f"{path} is not a replay recording")
    pos = len(MAGIC)
    (count,) = struct.unpack_from("<I", data, pos)
    pos += 4
    entries = []
    for _ in range(count):
        (n,) = struct.unpack_from("<I", data, pos)
        key = data[pos + 4:pos + 4 + n]
        pos += 4 + n
        wildcard = data[pos]
        pos += 1
        blobs = []
        for _ in range(3):
            (n,) = struct.unpack_from("<Q", data, pos)
            blobs.append(data[pos + 8:pos + 8 + n])
            pos += 8 + n
        entries.append((key, bool(wildcard), *blobs))
    return entries


class Child:
    """A helper process (this proxy, bench/replay's server) that prints 'listening on PORT' once ready."""

    def __init__(self, cmd):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            self.proc.kill()
            raise RecordingError(f"{cmd[0]} did not start: {line}{self.proc.stderr.read()}")
        self.port = int(line.split()[-1])

    def pin(self, cpu: int):
        os.sched_setaffinity(self.proc.pid, {cpu})

    def stop(self, timeout=120):
        """Ends the child (end of stdin, then SIGTERM); its remaining stdout and stderr."""
        self.proc.stdin.close()
        self.proc.terminate()
        out, err = self.proc.stdout.read(), self.proc.stderr.read()
        return self.proc.wait(timeout=timeout), out, err


class Exchange:
    """One client connection's current request and reply, split by who spoke last."""

    def __init__(self, recording: Recording):
        self.recording = recording
        self.request = bytearray()
        self.reply = bytearray()
        self.lock = threading.Lock()

    def from_client(self, data: bytes):
        with self.lock:
            if self.reply:
                self._finish()
            self.request += data

    def from_server(self, data: bytes):
        with self.lock:
            self.reply += data

    def close(self):
        with self.lock:
            if self.request and self.reply:
                self._finish()

    def _finish(self):
        self.recording.add(bytes(self.request), bytes(self.reply))
        self.request.clear()
        self.reply.clear()


def pump(src: socket.socket, dst: socket.socket, record):
    try:
        while True:
            data = src.recv(1 << 20)
            if not data:
                break
            record(data)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(listener: socket.socket, upstream: tuple, recording: Recording, errors: list, connections: list):
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        try:
            server = socket.create_connection(upstream)
        except OSError as e:
            errors.append(f"cannot reach the upstream server {upstream}: {e}")
            client.close()
            continue
        for s in (client, server):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        exchange = Exchange(recording)

        def run(c=client, s=server, x=exchange):
            back = threading.Thread(target=pump, args=(s, c, x.from_server), daemon=True)
            back.start()
            pump(c, s, x.from_client)
            back.join()
            try:
                x.close()
            except RecordingError as e:
                errors.append(str(e))
            c.close()
            s.close()

        t = threading.Thread(target=run, daemon=True)
        t.start()
        connections.append(t)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--upstream-host", default="127.0.0.1")
    ap.add_argument("--upstream-port", type=int, required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(128)
    recording, errors, connections = Recording(), [], []
    threading.Thread(target=serve, args=(listener, (args.upstream_host, args.upstream_port), recording, errors,
                                         connections), daemon=True).start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    print(f"listening on {listener.getsockname()[1]}", flush=True)
    stop.wait()
    listener.close()
    for t in list(connections):    # a client that just closed: its last exchange is still being filed
        t.join(timeout=10)
    if any(t.is_alive() for t in connections):
        errors.append("a client connection was still open when recording stopped; its last request is not kept")
    recording.write(args.out)
    print(f"recorded {len(recording.order)} distinct requests, {len(recording.conflicts)} with differing replies",
          flush=True)
    for key in recording.conflicts:
        print(f"  differing replies for {key!r}", flush=True)
    for e in errors:
        print(f"  error: {e}", flush=True)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
