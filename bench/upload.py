"""The 1M-row DataFrame upload, measured on the client alone.

    PYTHONPATH=python python3 bench/upload.py [--rows 1000000] [--repeat 5] [--client-cpu 1 --server-cpu 0]

The embedded server runs in its own process; a small sink proxy in another sits between it and
the client. The first upload of each kind goes through to the real server, which records the
request's size and the server's reply; later uploads of that kind are read fully by the proxy and
answered with the recorded reply, so their wall time is the client's and the socket's, not the
pure-Python server's reading time. Every other request (connect, login, table creation) goes
through to the server. The client runs in a third process; each process is pinned with
`taskset` (client and server CPUs are arguments: say which when quoting figures).

Per case it prints wall time, client CPU (getrusage of the client process) and the client's
page faults (ru_minflt: the counter `perf stat -e page-faults` reads) for the first upload into
the sink and the best of the repeats.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MARKERS = (b"\nvariable\n", b"\nfunction\ntableInsert")


def frame(n: int):
    import numpy as np
    import pandas as pd
    rng = np.random.default_rng(1)
    return pd.DataFrame({
        "i": rng.integers(0, 1 << 30, n).astype(np.int32),
        "d": rng.random(n),
        "s": np.array([f"S{k}" for k in rng.integers(0, 500, n)], dtype=object),
        "str": np.array([f"v{k}" for k in range(n)], dtype=object),
        "ts": (np.datetime64("2024-01-01T00:00:00", "ms") + np.arange(n).astype("timedelta64[ms]")),
    })


def numeric_frame(n: int):
    import numpy as np
    import pandas as pd
    rng = np.random.default_rng(1)
    return pd.DataFrame({
        "i": rng.integers(0, 1 << 30, n).astype(np.int32),
        "d": rng.random(n),
        "l": rng.integers(0, 1 << 40, n),
        "ts": (np.datetime64("2024-01-01T00:00:00", "ms") + np.arange(n).astype("timedelta64[ms]")),
    })


# ---- the sink proxy (its own process) ----------------------------------------------------------

class Recording:
    """Per marker kind: the size of the request the real server read, and its reply."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_kind: dict[bytes, tuple[int, bytes]] = {}


def kind_of(head: bytes) -> bytes | None:
    for m in MARKERS:
        at = head.find(m)
        if at >= 0:
            end = head.find(b"\n", at + len(m))
            return head[at:end if end > 0 else at + 64]
    return None


def read_request_head(sock: socket.socket) -> bytes:
    """The next request's header line and text body (objects may follow); b"" at EOF."""
    data = b""
    while b"\n" not in data or len(data) < data.index(b"\n") + 1 + int(data.split(b" ", 3)[2]):
        chunk = sock.recv(4096)
        if not chunk:
            return b""
        data += chunk
    return data


def proxy_connection(client: socket.socket, server_port: int, rec: Recording) -> None:
    upstream = socket.create_connection(("127.0.0.1", server_port))
    buf = bytearray(1 << 22)
    try:
        while True:
            head = read_request_head(client)
            if not head:
                return
            kind = kind_of(head)
            with rec.lock:
                known = rec.by_kind.get(kind) if kind else None
            if known:
                size, reply = known
                got = len(head)
                while got < size:
                    n = client.recv_into(buf, min(len(buf), size - got))
                    if not n:
                        return
                    got += n
                sid = head.split(b" ", 2)[1]
                client.sendall(sid + reply[reply.index(b" "):])
                continue
            # Through to the server: forward the request until the reply starts, then the reply
            # until the next request starts (the protocol is strictly request, reply).
            upstream.sendall(head)
            sent = len(head)
            client.setblocking(False)
            reply = bytearray()
            import select
            while True:
                r, _, _ = select.select([client, upstream], [], [])
                if client in r and not reply:
                    try:
                        n = client.recv_into(buf)
                    except BlockingIOError:
                        n = -1
                    if n == 0:
                        return
                    if n > 0:
                        upstream.sendall(memoryview(buf)[:n])
                        sent += n
                if upstream in r:
                    chunk = upstream.recv(1 << 20)
                    if not chunk:
                        return
                    reply += chunk
                    client.sendall(chunk)
                    # A reply is complete when the server waits: a short pause ends it.
                    more, _, _ = select.select([upstream], [], [], 0.2)
                    if not more:
                        break
            client.setblocking(True)
            if kind:
                with rec.lock:
                    rec.by_kind[kind] = (sent, bytes(reply))
    except OSError:
        return
    finally:
        client.close()
        upstream.close()


def run_proxy(server_port: int) -> None:
    rec = Recording()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print(f"READY port={listener.getsockname()[1]}", flush=True)
    while True:
        c, _ = listener.accept()
        threading.Thread(target=proxy_connection, args=(c, server_port, rec), daemon=True).start()


# ---- the client (its own process) -----------------------------------------------------------

def usage():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), r.ru_utime + r.ru_stime, r.ru_minflt


def measure(fn):
    w0, c0, f0 = usage()
    fn()
    w1, c1, f1 = usage()
    return {"wall_ms": 1000 * (w1 - w0), "cpu_ms": 1000 * (c1 - c0), "faults": f1 - f0}


def run_client(port: int, case: str, rows: int, repeat: int) -> dict:
    import dolphindb as ddb
    numeric = case.endswith("-numeric")
    base = case.removesuffix("-numeric")
    df = numeric_frame(rows) if numeric else frame(rows)
    cols = "`i`d`l`ts, [INT, DOUBLE, LONG, TIMESTAMP]" if numeric else "`i`d`s`str`ts, [INT, DOUBLE, STRING, STRING, TIMESTAMP]"
    kw = {"compress": True} if base == "compress" else {}
    table = "t_" + case.replace("-", "_")   # the proxy tells the cases' requests apart by it
    if base == "pool":
        import asyncio
        pool = ddb.DBConnectionPool("127.0.0.1", port, 1, "admin", "123456")

        async def once():
            await pool.run(f"tableInsert{{{table}}}", df, clearMemory=False)

        asyncio.run(pool.run(f"{table} = table(1:0, {cols})", clearMemory=False))
        send = lambda: asyncio.run(once())   # noqa: E731
    else:
        s = ddb.Session(**kw)
        assert s.connect("127.0.0.1", port, "admin", "123456")
        s.run(f"{table} = table(1:0, {cols})")
        if base == "upload":
            send = lambda: s.upload({table: df})   # noqa: E731
        else:
            send = lambda: s.run(f"tableInsert{{{table}}}", df)   # noqa: E731
    through = measure(send)   # to the real server: the proxy records it
    runs = [measure(send) for _ in range(repeat)]
    best = min(runs, key=lambda r: r["wall_ms"])
    return {"case": case, "rows": rows, "server": through, "first": runs[0], "best": best}


def pinned(cpu: str | None, argv: list[str]) -> list[str]:
    return (["taskset", "-c", cpu] if cpu else []) + argv


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cases", default="upload,run,pool,compress,upload-numeric,run-numeric")
    ap.add_argument("--client-cpu", default="1", help="taskset CPU list of the client ('' to not pin)")
    ap.add_argument("--server-cpu", default="0", help="taskset CPU list of the server and the proxy")
    ap.add_argument("--proxy", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--client", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.proxy:
        return run_proxy(args.proxy)
    if args.client:
        print(json.dumps(run_client(args.port, args.client, args.rows, args.repeat)))
        return

    def start(cmd):
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        line = p.stdout.readline()
        if not line.startswith("READY port="):
            p.kill()
            raise SystemExit(f"{cmd}: {line!r}")
        return p, int(line.split("=")[1])

    server, server_port = start(pinned(args.server_cpu, [sys.executable, "-m", "dolphindb.server", "--port", "0"]))
    proxy, proxy_port = start(pinned(args.server_cpu, [sys.executable, __file__, "--proxy", str(server_port)]))
    try:
        print(f"client CPU {args.client_cpu or 'any'}, server and proxy CPU {args.server_cpu or 'any'}; "
              f"{args.rows:,} rows; best of {args.repeat}")
        print(f"{'case':<16} | {'real server wall':>16} | {'sink: first wall / CPU / faults':>32} |"
              f" {'best wall / CPU / faults':>26}")
        for case in args.cases.split(","):
            out = subprocess.run(pinned(args.client_cpu, [sys.executable, __file__, "--client", case, "--port",
                                                          str(proxy_port), "--rows", str(args.rows), "--repeat",
                                                          str(args.repeat)]),
                                 capture_output=True, text=True, timeout=600)
            if out.returncode:
                print(f"{case}: failed\n{out.stderr[-2000:]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            f, b = r["first"], r["best"]
            print(f"{case:<16} | {r['server']['wall_ms']:>13.1f} ms |"
                  f" {f['wall_ms']:>9.1f} ms {f['cpu_ms']:>7.1f} ms {f['faults']:>7} |"
                  f" {b['wall_ms']:>7.1f} ms {b['cpu_ms']:>7.1f} ms {b['faults']:>6}", flush=True)
    finally:
        for p in (proxy, server):
            p.terminate()
            p.wait(timeout=10)


if __name__ == "__main__":
    main()
