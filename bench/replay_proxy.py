"""A recording proxy in front of a server, for timing the client without the server's cost.

    python3 bench/replay_proxy.py UPSTREAM_PORT      # prints "READY port=<port>"

Every request is forwarded and the server's reply recorded (a reply is everything the server
sends until the client's next request: the client only asks again once it has the whole reply).
A request byte-identical to one already answered is answered from the recording with one
sendall, without the server. For benchmarks only: one client at a time, no error handling.
"""
from __future__ import annotations

import socket
import sys
import threading


def serve(client: socket.socket, upstream_port: int) -> None:
    upstream = socket.create_connection(("127.0.0.1", upstream_port))
    for sock in (client, upstream):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    replies: dict[bytes, bytes] = {}
    state = {"request": None, "reply": bytearray()}
    lock = threading.Lock()

    def from_server():
        while True:
            try:
                data = upstream.recv(1 << 20)
            except OSError:
                data = b""
            if not data:
                client.close()
                return
            with lock:
                state["reply"] += data
            client.sendall(data)

    threading.Thread(target=from_server, daemon=True).start()
    while True:
        request = client.recv(1 << 20)
        if not request:
            upstream.close()
            return
        with lock:
            if state["request"] is not None:
                replies[state["request"]] = bytes(state["reply"])
            state["request"], state["reply"] = None, bytearray()
        if request in replies:
            client.sendall(replies[request])
            continue
        with lock:
            state["request"] = request
        upstream.sendall(request)


def main() -> None:
    upstream_port = int(sys.argv[1])
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    print(f"READY port={srv.getsockname()[1]}", flush=True)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, upstream_port), daemon=True).start()


if __name__ == "__main__":
    main()
