#!/usr/bin/python3
"""bookbench.py: meetings through the real daemon on a private
redis-server on loopback, at expo scale:

    /usr/bin/python3 tests/bench/bookbench.py [--participants 5000]
        [--meetings 30000] [--slots 16] [--tables 400] [--cancels 2000]
        [--budget-ms 1000] [--one-language]

1. an event with --slots slots and --tables tables, and --participants
   profiles (a third speak no language in common with the rest, so some
   pairs need one of the event's interpreters; with --one-language all
   speak the same, which lets the optimizer's exact phase run on small
   events, say --participants 78 --meetings 302 --slots 22 --tables 27);
2. meeting.create for --meetings random pairs over 4 pipelined
   connections: each books slot, table and interpreter in one Redis
   function call (creates/s, and how many were booked);
3. --cancels cancellations of booked meetings, each offering its place to
   the waiting meetings of its sides and to the 200 oldest others
   (cancels/s);
4. schedule.optimize with --budget-ms (1000), while another connection sends
   ping after ping: the optimizer's figures and the pings' latency;
5. the same number of PINGs to the redis-server alone, one connection
   pipelined as in 2, for scale (the ratio of the two rates).

Prints one line per figure and "bookbench: ok" at the end.
"""
import argparse
import os
import random
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from matchbench import Daemon, start_redis  # noqa: E402


def pipelined(conns, calls, depth=64):
    """Sends calls round-robin, `depth` in flight per connection; returns
    the replies' results in order of the calls per connection (None for
    an error) and the seconds taken."""
    results = []
    t0 = time.monotonic()
    for i, (method, args) in enumerate(calls):
        c = conns[i % len(conns)]
        c.send(method, args)
        if c.pending >= depth:
            c.flush()
            while c.pending > depth // 2:
                results.append(take(c))
    for c in conns:
        c.flush()
        while c.pending:
            results.append(take(c))
    return results, time.monotonic() - t0


def take(c):
    try:
        return c.take()
    except RuntimeError:
        return None


def redis_ping_rate(port, n):
    s = socket.create_connection(("127.0.0.1", port))
    t0 = time.monotonic()
    batch = b"PING\r\n" * 64
    left = n
    while left > 0:
        k = min(64, left)
        s.sendall(batch[:6 * k])
        got = 0
        while got < k:
            got += s.recv(1 << 16).count(b"+PONG")
        left -= k
    s.close()
    return n / (time.monotonic() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--participants", type=int, default=5000)
    ap.add_argument("--meetings", type=int, default=30000)
    ap.add_argument("--slots", type=int, default=16)
    ap.add_argument("--tables", type=int, default=400)
    ap.add_argument("--cancels", type=int, default=2000)
    ap.add_argument("--budget-ms", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--one-language", action="store_true")
    args = ap.parse_args()
    rnd = random.Random(args.seed)

    ev = "book-bench"
    slots = [{"id": "s%02d" % i,
              "start": "2099-07-%02dT%02d:00:00" % (13 + i // 8, 9 + i % 8),
              "end": "2099-07-%02dT%02d:30:00" % (13 + i // 8, 9 + i % 8)}
             for i in range(args.slots)]
    event = {"event": ev, "name": "Booking bench", "slots": slots,
             "tables": args.tables,
             "interpreters": [{"id": "int-%d" % i, "languages": ["th", "ja"]}
                              for i in range(20)]}
    people = []
    for i in range(args.participants):
        lang = ["ja"] if i % 3 == 0 and not args.one_language \
            else ["th", "en"]
        people.append({"event": ev, "id": "p%05d" % i,
                       "side": "buyer" if i % 2 else "seller",
                       "company": "Company %d" % i, "country": "TH",
                       "languages": lang,
                       "slots": [s["id"] for s in slots
                                 if rnd.random() < 0.85]})
    pairs = set()
    while len(pairs) < args.meetings:
        a, b = rnd.sample(range(args.participants), 2)
        pairs.add((a, b))

    tmp = tempfile.mkdtemp(prefix="expomatch-bookbench.")
    redis, redis_port = start_redis(tmp)
    d = Daemon(tmp, redis_port)
    try:
        time.sleep(0.3)
        d.start()
        conns = [d.conn() for _ in range(4)]
        conns[0].call("event.put", event)
        pipelined(conns, [("profile.put", p) for p in people])

        calls = [("meeting.create", {"event": ev, "from": people[a]["id"],
                                     "to": people[b]["id"]})
                 for a, b in sorted(pairs)]
        res, dt = pipelined(conns, calls)
        assert all(res), "a meeting.create failed"
        booked = [m for m in res if m["status"] == "scheduled"]
        print("meeting.create: %d in %.2f s = %.0f/s (4 connections, 64 in "
              "flight each); %d booked at once, %d waiting"
              % (len(calls), dt, len(calls) / dt, len(booked),
                 len(calls) - len(booked)))
        create_rate = len(calls) / dt

        victims = rnd.sample(booked, min(args.cancels, len(booked)))
        res, dt = pipelined(conns, [("meeting.cancel", {
            "event": ev, "meeting": m["meeting"], "by": m["from"]})
            for m in victims])
        failed = sum(1 for r in res if r is None)
        print("meeting.cancel: %d in %.2f s = %.0f/s (%d failed), each "
              "offering its place to the sides' waiting meetings and to 200 "
              "others" % (len(victims), dt, len(victims) / dt, failed))
        stats = conns[0].call("stats.get", {"event": ev})
        print("after: %s scheduled, %s waiting, table utilization %.3f"
              % (stats["meetings"]["scheduled"], stats["meetings"]["accepted"],
                 stats["table_utilization"]))

        # 4. schedule.optimize on one connection, pings on another.
        out = {}

        def optimize():
            c = d.conn()
            t = time.monotonic()
            out["res"] = c.call("schedule.optimize",
                                {"event": ev, "budget_ms": args.budget_ms})
            out["secs"] = time.monotonic() - t
            c.close()
        pinger = d.conn()
        th = threading.Thread(target=optimize)
        th.start()
        lat = []
        while th.is_alive():
            t = time.monotonic()
            pinger.call("ping", {})
            lat.append(time.monotonic() - t)
        th.join()
        pinger.close()
        lat.sort()
        r = out["res"]
        print("schedule.optimize (budget %d ms): answered in %.2f s; "
              "scheduled %d, unscheduled %d, moved %d, breaks %d -> %d, "
              "upper bound %d, proven %s"
              % (args.budget_ms, out["secs"], r["scheduled"],
                 r["unscheduled"], r["moved"], r["breaks_before"],
                 r["breaks"], r["upper_bound"], r["proven"]))
        print("ping meanwhile (client side, one at a time): %d answered, "
              "p50 %.2f ms, p99 %.2f ms, max %.2f ms"
              % (len(lat), lat[len(lat) // 2] * 1e3,
                 lat[int(len(lat) * 0.99)] * 1e3, lat[-1] * 1e3))

        ping = redis_ping_rate(redis_port, len(calls))
        print("redis-server PING, same run: %.0f/s; meeting.create is %.3f "
              "of it" % (ping, create_rate / ping))
        for c in conns:
            c.close()
        print("bookbench: ok")
    finally:
        d.stop()
        redis.terminate()
        redis.wait(10)


if __name__ == "__main__":
    main()
