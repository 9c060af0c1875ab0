#!/usr/bin/python3
"""connbench.py [--connections N]: memory of idle connections.

Starts a private redis-server and expomatchd (the bench's own, bin/ or
$EXPOMATCH_BIN), opens N connections that each authenticate and then stay
silent, and prints the daemon's resident memory before and after, per
connection. Issue 6's goal: 10,000 idle connections at under 10 KB each.
Connections are opened in batches with a bounded wait, loopback only.
"""
import argparse
import os
import resource
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from matchbench import Daemon, rss_kb, start_redis  # noqa: E402

import msgpack  # noqa: E402


def auth_bytes(token, msgid):
    return msgpack.packb([0, msgid, "auth", [{"token": token}]])


def open_idle(port, token, n, deadline):
    """n authenticated connections, left silent; a list of sockets."""
    socks = []
    batch = 500
    while len(socks) < n:
        if time.monotonic() > deadline:
            raise RuntimeError("opened only %d connections in time" % len(socks))
        new = []
        for _ in range(min(batch, n - len(socks))):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(auth_bytes(token, 1))
            new.append(s)
        for s in new:
            reply = msgpack.unpackb(s.recv(4096))
            if reply[2] is not None:
                raise RuntimeError("auth refused: %r" % (reply[2],))
        socks.extend(new)
    return socks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--connections", type=int, default=10000)
    args = ap.parse_args()
    want = args.connections + 200
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    tmp = tempfile.mkdtemp(prefix="connbench-")
    redis, rport = start_redis(tmp)
    d = Daemon(tmp, rport)
    socks = []
    try:
        time.sleep(0.3)
        d.start()
        # The probe counts as one of the N: it checks the daemon still
        # serves with all of them open (maxclients defaults to 10,000).
        probe = d.conn()
        base = rss_kb(d.proc.pid)
        socks = open_idle(d.port, d.token, args.connections - 1,
                          time.monotonic() + 120)
        time.sleep(1.0)
        after = rss_kb(d.proc.pid)
        assert probe.call("ping", {}) == "pong"
        probe.close()
        per = (after - base) * 1024 / len(socks)
        print("connbench: %d idle authenticated connections; daemon RSS "
              "%d KB -> %d KB: %.0f bytes per connection (goal < 10240)"
              % (len(socks) + 1, base, after, per))
        return 0 if per < 10240 else 1
    finally:
        for s in socks:
            s.close()
        d.stop()
        redis.terminate()
        redis.wait(10)


if __name__ == "__main__":
    sys.exit(main())
