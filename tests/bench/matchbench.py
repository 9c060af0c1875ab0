#!/usr/bin/python3
"""matchbench.py: the matching engine measured through the real daemon, on
a private redis-server on loopback:

    /usr/bin/python3 tests/bench/matchbench.py --participants 100000 \\
        [--seed 1] [--kept 1000] [--puts 20000] [--queries 3000]

1. generates an expo (tests/bench/gen_expo.py, cached under $TMPDIR) and
   loads it with pipelined profile.put (rate of first puts);
2. asks match.top for --kept participants, whose top 10 lists the daemon
   then keeps up to date, and subscribes to 100 of them;
3. puts --puts profiles again (new versions) over 4 pipelined connections:
   puts/s with incremental updates;
4. match.top for --queries random participants on one connection, one at a
   time, then for the same participants again (their kept lists): latency
   as the client sees it, and as the daemon measured it (its /metrics
   histogram of match.top);
5. the daemon's RSS before and after loading: bytes per profile;
6. restarts the daemon: time from start to /readyz (rebuild).

Prints one line per figure and "matchbench: ok" at the end.
"""
import argparse
import http.client
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time

import msgpack

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DAEMON = os.environ.get("EXPOMATCH_BIN", os.path.join(ROOT, "bin",
                                                      "expomatchd"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Conn:
    """A pipelined MessagePack-RPC connection (replies in request order)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.unpacker = msgpack.Unpacker(raw=False, strict_map_key=False,
                                         max_buffer_size=1 << 28)
        self.msgid = 0
        self.out = []
        self.pending = 0

    def send(self, method, args):
        self.msgid += 1
        self.out.append(msgpack.packb([0, self.msgid, method, [args]],
                                      use_bin_type=True))
        self.pending += 1

    def flush(self):
        if self.out:
            self.sock.sendall(b"".join(self.out))
            self.out = []

    def take(self):
        """The next response; notifications are skipped."""
        while True:
            for msg in self.unpacker:
                if msg[0] == 2:
                    continue
                self.pending -= 1
                if msg[2] is not None:
                    raise RuntimeError("%s" % (msg[2],))
                return msg[3]
            data = self.sock.recv(1 << 20)
            if not data:
                raise RuntimeError("connection closed")
            self.unpacker.feed(data)

    def call(self, method, args):
        self.send(method, args)
        self.flush()
        return self.take()

    def close(self):
        self.sock.close()


def start_redis(tmp):
    """A private redis-server without persistence on a free loopback port:
    (process, port)."""
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no", "--dir", tmp],
        stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return proc, port


def http_get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Daemon:
    def __init__(self, tmp, redis_port):
        self.tmp = tmp
        self.port = free_port()
        self.http = free_port()
        self.token = "admin-" + secrets.token_hex(16)
        self.key = os.path.join(tmp, "secret.key")
        with open(self.key, "wb") as f:
            f.write(secrets.token_bytes(32))
        self.redis_port = redis_port
        self.proc = None

    def start(self):
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [DAEMON, "--port", str(self.port), "--http-port", str(self.http),
             "--redis", "127.0.0.1:%d" % self.redis_port,
             "--admin-token", self.token, "--secret-key-file", self.key,
             "--log-level", os.environ.get("EXPOMATCH_LOG_LEVEL", "warn"),
             "--log-file", os.path.join(self.tmp, "expomatchd.log")],
            stdin=subprocess.DEVNULL)
        while time.monotonic() - t0 < 120:
            try:
                if http_get(self.http, "/readyz")[0] == 200:
                    return time.monotonic() - t0
            except OSError:
                pass
            time.sleep(0.01)
        raise RuntimeError("daemon not ready")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)

    def conn(self):
        c = Conn(self.port)
        c.call("auth", {"token": self.token})
        return c


def histogram(port, method):
    """match.top's latency buckets from /metrics: {le: cumulative count}."""
    _, text = http_get(port, "/metrics")
    out = {}
    for line in text.splitlines():
        if line.startswith("expomatch_rpc_latency_seconds_bucket") and \
                'method="%s"' % method in line:
            le = line.split('le="')[1].split('"')[0]
            out[le] = float(line.rsplit(" ", 1)[1])
    return out


def pct(sorted_vals, p):
    return sorted_vals[min(len(sorted_vals) - 1, int(len(sorted_vals) * p))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--participants", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kept", type=int, default=1000)
    ap.add_argument("--puts", type=int, default=20000)
    ap.add_argument("--queries", type=int, default=3000)
    args = ap.parse_args()

    cache = os.path.join(tempfile.gettempdir(), "expomatch-expo-%d-%d" % (
        args.seed, args.participants))
    if not os.path.exists(os.path.join(cache, "planted.jsonl")):
        subprocess.check_call(
            [sys.executable, os.path.join(ROOT, "tests/bench/gen_expo.py"),
             "--seed", str(args.seed), "--participants",
             str(args.participants), "--out", cache],
            stdout=subprocess.DEVNULL)
    with open(os.path.join(cache, "event.json")) as f:
        event = json.load(f)
    with open(os.path.join(cache, "participants.jsonl")) as f:
        profiles = [json.loads(line) for line in f if line.strip()]
    ev = event["event"]
    ids = [p["id"] for p in profiles]

    tmp = tempfile.mkdtemp(prefix="expomatch-matchbench.")
    redis, redis_port = start_redis(tmp)
    d = Daemon(tmp, redis_port)
    try:
        time.sleep(0.3)
        d.start()
        rss0 = rss_kb(d.proc.pid)

        # 1. first load
        conns = [d.conn() for _ in range(4)]
        conns[0].call("event.put", event)
        t0 = time.monotonic()
        for i, p in enumerate(profiles):
            c = conns[i % 4]
            c.send("profile.put", p)
            if c.pending >= 64:
                c.flush()
                while c.pending > 32:
                    c.take()
        for c in conns:
            c.flush()
            while c.pending:
                c.take()
        dt = time.monotonic() - t0
        print("first load: %d profile.put in %.2f s = %.0f puts/s "
              "(4 connections, 64 in flight each)"
              % (len(profiles), dt, len(profiles) / dt))
        rss1 = rss_kb(d.proc.pid)
        print("RSS: %d KB empty, %d KB with %d profiles = %.0f bytes per "
              "profile" % (rss0, rss1, len(profiles),
                           (rss1 - rss0) * 1024.0 / len(profiles)))

        # 2. kept lists
        rng = random.Random(args.seed)
        kept = rng.sample(ids, min(args.kept, len(ids)))
        q = conns[0]
        for pid in kept:
            q.send("match.top", {"event": ev, "id": pid})
        q.flush()
        while q.pending:
            q.take()
        sub = d.conn()
        sub.call("subscribe", {"event": ev, "topics": [
            "participant:" + pid for pid in kept[:100]]})

        # 3. puts with incremental updates
        n = min(args.puts, len(profiles))
        t0 = time.monotonic()
        for i in range(n):
            c = conns[i % 4]
            # a participant rewrites what it offers (another's offers), so
            # that it enters and leaves kept lists
            p = dict(profiles[rng.randrange(len(profiles))])
            p["offers"] = profiles[rng.randrange(len(profiles))].get(
                "offers", [])
            c.send("profile.put", p)
            if c.pending >= 64:
                c.flush()
                while c.pending > 32:
                    c.take()
                # the subscriber reads its notifications as they come
                sub.sock.setblocking(False)
                try:
                    while sub.sock.recv(1 << 20):
                        pass
                except (BlockingIOError, InterruptedError):
                    pass
                sub.sock.setblocking(True)
        for c in conns:
            c.flush()
            while c.pending:
                c.take()
        dt = time.monotonic() - t0
        _, metrics = http_get(d.http, "/metrics")
        kept_now = notified = 0
        for line in metrics.splitlines():
            if line.startswith("expomatch_top_lists_kept "):
                kept_now = float(line.split()[1])
            if line.startswith("expomatch_match_new_total "):
                notified = float(line.split()[1])
        print("puts with incremental updates: %d in %.2f s = %.0f puts/s, "
              "%d top lists kept, %d match.new found" % (
                  n, dt, n / dt, kept_now, notified))

        # 4. match.top latency: first asks (computed), then the same
        # participants again (answered from their kept lists)
        asked = [ids[rng.randrange(len(ids))] for _ in range(args.queries)]
        for label in ("first ask", "asked again"):
            before = histogram(d.http, "match.top")
            lat = []
            for pid in asked:
                t = time.perf_counter()
                q.call("match.top", {"event": ev, "id": pid})
                lat.append(time.perf_counter() - t)
            after = histogram(d.http, "match.top")
            lat.sort()
            total = after.get("+Inf", 0) - before.get("+Inf", 0)
            shares = []
            for le in sorted((x for x in after if x != "+Inf"), key=float):
                if float(le) > 0.0025:
                    break
                share = (after[le] - before.get(le, 0)) / total if total else 0
                shares.append("%.2f%% <= %g ms" % (100 * share,
                                                   float(le) * 1e3))
            print("match.top, %s (%d random participants, one at a time): "
                  "round trip p50 %.3f ms, p99 %.3f ms; in the server "
                  "(/metrics): %s" % (label, len(lat), pct(lat, 0.5) * 1e3,
                                      pct(lat, 0.99) * 1e3, ", ".join(shares)))
        for c in conns + [sub]:
            c.close()

        # 6. rebuild
        d.stop()
        took = d.start()
        print("restart to ready (rebuild of %d profiles): %.2f s"
              % (len(profiles), took))
        print("matchbench: ok")
    finally:
        d.stop()
        redis.terminate()
        redis.wait(10)


if __name__ == "__main__":
    main()
