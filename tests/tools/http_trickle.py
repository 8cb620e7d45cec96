#!/usr/bin/env python3
"""Slow HTTP clients for tests: opens connections from given loopback
addresses and trickles a request's headers one byte at a time, never
finishing them (a "slowloris").

    http_trickle.py HOST PORT SRC:COUNT [SRC:COUNT ...] [--garbage N]

Prints "opened N" once every connection has been tried (N that
connected), then one line "closed SECONDS" for each connection the
server closed (SECONDS since it was opened), and "done" when the server
has closed them all. --garbage N first sends N malformed requests (each
on its own connection) so the server has something to complain about.
Never reconnects; exits on SIGTERM."""
import select
import socket
import sys
import time

GAP_S = 0.3  # one header byte this often: never idle long enough to time out
HEADER = b"GET /healthz HTTP/1.1\r\nHost: rota\r\n" + b"X-Slow: " + b"a" * 100000


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    specs, garbage = [], 0
    args = sys.argv[3:]
    while args:
        a = args.pop(0)
        if a == "--garbage":
            garbage = int(args.pop(0))
        else:
            src, n = a.rsplit(":", 1)
            specs.append((src, int(n)))
    for _ in range(garbage):
        try:
            s = socket.create_connection((host, port), timeout=5)
            s.sendall(b"NOT HTTP AT ALL\x01\x02\r\n\r\n")
            s.settimeout(5)
            try:
                s.recv(4096)
            except OSError:
                pass
            s.close()
        except OSError:
            pass
    conns = {}  # socket -> [opened_at, bytes sent]
    for src, n in specs:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind((src, 0))
                s.settimeout(5)
                s.connect((host, port))
                s.setblocking(False)
                s.send(HEADER[:1])
                conns[s] = [time.monotonic(), 1]
            except OSError:
                s.close()
    print("opened %d" % len(conns), flush=True)
    next_send = time.monotonic() + GAP_S
    while conns:
        timeout = max(0.0, next_send - time.monotonic())
        readable, _, _ = select.select(list(conns), [], [], timeout)
        now = time.monotonic()
        for s in readable:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if data:
                continue  # an answer (408, 503...): wait for the close
            print("closed %.1f" % (now - conns[s][0]), flush=True)
            del conns[s]
            s.close()
        if now >= next_send:
            next_send = now + GAP_S
            for s, st in list(conns.items()):
                try:
                    s.send(HEADER[st[1] : st[1] + 1])
                    st[1] += 1
                except OSError:
                    pass  # reported as closed when recv says so
    print("done", flush=True)


if __name__ == "__main__":
    main()
