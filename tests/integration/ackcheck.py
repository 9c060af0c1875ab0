"""Compares expomatch-loadgen's --ack-log with the store after a run: every
write the daemon acknowledged must still be there, whatever fault came in
between. Read through the RPC (profile.get, meeting.get, meeting.list,
stats.get), plus, where a redis-cli is given, the two things the RPC does
not show (which meeting a request_id created, who checked in).

Rules:
- profile.put EVENT ID V: profile.get's version is at least V.
- meeting.request / meeting.respond EVENT M STATUS: meeting M exists and its
  status now is reachable from STATUS by the contract's transitions.
- meeting.request ... RID: one meeting per request_id (acknowledged twice
  only with the same meeting id); with Redis, every meeting of the event
  was made by exactly one request_id and no request_id made two.
- checkin EVENT ID: ID is checked in.
- Nothing double-booked: no participant, table or interpreter twice in a
  slot among the scheduled meetings.
"""
import collections

# The contract's status transitions (PROTOCOL.md, Meeting).
NEXT = {
    "requested": {"scheduled", "accepted", "declined", "cancelled",
                  "expired"},
    "accepted": {"scheduled", "cancelled"},
    "scheduled": {"scheduled", "accepted", "cancelled", "noshow"},
    "declined": set(), "cancelled": set(), "expired": set(), "noshow": set(),
}


def reachable(status):
    """Statuses a meeting in `status` can be in later (itself included)."""
    seen, todo = {status}, [status]
    while todo:
        for n in NEXT.get(todo.pop(), ()):
            if n not in seen:
                seen.add(n)
                todo.append(n)
    return seen


def parse(path):
    """The log's lines as lists of fields; a torn last line is an error
    (the loadgen writes whole lines)."""
    data = open(path, "rb").read().decode()
    assert data == "" or data.endswith("\n"), "torn last line in ack log"
    return [line.split(" ") for line in data.splitlines() if line]


def _pipelined(client, calls, chunk=200):
    out = []
    for i in range(0, len(calls), chunk):
        out += client.pipeline(calls[i:i + chunk], timeout=30)
    return out


def all_meetings(client, ev):
    out, cursor = [], None
    for _ in range(10000):
        args = {"event": ev, "count": 1000}
        if cursor is not None:
            args["cursor"] = cursor
        page = client.call("meeting.list", args)
        out += page["meetings"]
        cursor = page["cursor"]
        if cursor is None:
            return out
    raise AssertionError("meeting.list did not end")


def check_no_double_booking(meetings):
    seen = set()
    for m in meetings:
        if m["status"] != "scheduled":
            continue
        keys = [("p", m["from"]), ("p", m["to"]), ("t", m["table"])]
        if m.get("interpreter"):
            keys.append(("i", m["interpreter"]))
        for k in keys:
            assert (m["slot"],) + k not in seen, ("double-booked", k, m)
            seen.add((m["slot"],) + k)


def check(client, path, event, redis=None, all_by_request_id=True):
    """Checks the ack log at `path` for `event` through `client` (an admin
    or organizer rpc.Client); `redis` (a conftest.RedisServer or anything
    with .cli) adds the request_id and check-in checks. Returns counts of
    what was checked; raises AssertionError naming the first loss."""
    recs = [r for r in parse(path) if len(r) > 1 and r[1] == event]
    versions, statuses, rids, checkins = {}, collections.defaultdict(list), \
        {}, set()
    for r in recs:
        kind = r[0]
        if kind == "profile.put":
            pid, v = r[2], int(r[3])
            assert v >= 1, r
            versions[pid] = max(versions.get(pid, 0), v)
        elif kind in ("meeting.request", "meeting.respond"):
            statuses[r[2]].append(r[3])
            if kind == "meeting.request":
                rid = r[4]
                assert rids.setdefault(rid, r[2]) == r[2], \
                    ("request_id acknowledged with two meetings", rid,
                     rids[rid], r[2])
        elif kind == "checkin":
            checkins.add(r[2])
        else:
            raise AssertionError("unknown ack line %r" % (r,))

    pids = sorted(versions)
    got = _pipelined(client, [("profile.get", {"event": event, "id": p})
                              for p in pids])
    for pid, resp in zip(pids, got):
        assert resp[2] is None, ("acknowledged profile lost", pid, resp[2])
        assert resp[3]["version"] >= versions[pid], \
            ("acknowledged version lost", pid, versions[pid],
             resp[3]["version"])

    mids = sorted(statuses)
    got = _pipelined(client, [("meeting.get", {"event": event, "meeting": m})
                              for m in mids])
    for mid, resp in zip(mids, got):
        assert resp[2] is None, ("acknowledged meeting lost", mid, resp[2])
        now = resp[3]["status"]
        for acked in statuses[mid]:
            assert now in reachable(acked), \
                ("meeting went back", mid, acked, now)

    meetings = all_meetings(client, event)
    check_no_double_booking(meetings)
    listed = {m["meeting"] for m in meetings}
    assert set(mids) <= listed, set(mids) - listed

    stats = client.call("stats.get", event=event)
    assert stats["checked_in"] >= len(checkins), (stats, len(checkins))
    if redis is not None:
        _check_in_redis(redis, event, meetings, rids, checkins,
                        all_by_request_id)
    return {"acks": len(recs), "profiles": len(pids), "meetings": len(mids),
            "request_ids": len(rids), "checkins": len(checkins),
            "event_meetings": len(meetings)}


def _redis_lines(redis, script):
    out = redis.cli(input=script.encode(), timeout=30)
    return out.decode().splitlines()


def _check_in_redis(redis, event, meetings, rids, checkins,
                    all_by_request_id):
    prefix = "em:{%s}:rid:" % event
    keys = sorted(redis.keys(prefix + "*"))
    made = {}
    if keys:
        vals = _redis_lines(redis, "".join('GET "%s"\n' % k for k in keys))
        assert len(vals) == len(keys), (len(vals), len(keys))
        made = {k[len(prefix):]: v for k, v in zip(keys, vals)}
    for rid, mid in rids.items():
        assert made.get(rid) == mid, ("request_id maps elsewhere", rid, mid,
                                      made.get(rid))
    if all_by_request_id:
        # Every meeting came from one request_id, and none from two: a
        # retry that created a second meeting would leave one meeting that
        # no request_id points at (the key keeps the last).
        by_mid = collections.Counter(made.values())
        assert all(n == 1 for n in by_mid.values()), \
            [m for m, n in by_mid.items() if n > 1]
        ids = {m["meeting"] for m in meetings}
        assert ids == set(by_mid), ("meetings without a request_id",
                                    sorted(ids - set(by_mid))[:10],
                                    sorted(set(by_mid) - ids)[:10])
    if checkins:
        who = sorted(checkins)
        key = "em:{%s}:checkin" % event
        vals = _redis_lines(redis, "".join('HEXISTS "%s" %s\n' % (key, p)
                                           for p in who))
        missing = [p for p, v in zip(who, vals) if v.strip() != "1"]
        assert not missing, ("acknowledged check-ins lost", missing[:10])
