"""schedule.optimize against a real daemon and Redis: it books waiting
meetings by moving others, removes breaks, keeps every booking rule,
leaves published meetings alone with move: false, checks its arguments and
role, and keeps the daemon answering while it works."""
import threading
import time

from helpers import event_doc, expect_error, make_token, new_event
from test_booking import SLOTS4, check_invariants
from test_meetings import cancel, create, get, person

RESULT_KEYS = {"scheduled", "unscheduled", "moved", "breaks"}

# Meetings whose slot has begun never move: these events are in 2099.
FUTURE = [dict(s, start=s["start"].replace("2026", "2099"),
               end=s["end"].replace("2026", "2099")) for s in SLOTS4]


def future_event(admin, nslots=3, **over):
    return new_event(admin, slots=FUTURE[:nslots], **over)


def optimize(client, ev, **kw):
    res = client.call("schedule.optimize", event=ev, **kw)
    assert RESULT_KEYS <= set(res), res
    return res


def test_a_waiting_meeting_is_booked_by_moving_another(admin):
    ev = future_event(admin, tables=1)
    x, y, p, q = (person(admin, ev) for _ in range(4))
    first = create(admin, ev, x, y)                  # takes s1's only table
    waiting = create(admin, ev, p, q, slots=["s1"])  # wants s1 only
    assert (first["slot"], waiting["status"]) == ("s1", "accepted")
    res = optimize(admin, ev, budget_ms=1000)
    assert (res["scheduled"], res["unscheduled"], res["moved"]) == (2, 0, 1)
    assert get(admin, ev, waiting)["slot"] == "s1"
    assert get(admin, ev, first)["slot"] in ("s2", "s3")
    check_invariants(admin, ev, maximal=True)


def test_move_false_keeps_published_meetings_in_place(admin):
    ev = future_event(admin, tables=1)
    x, y, p, q = (person(admin, ev) for _ in range(4))
    first = create(admin, ev, x, y)
    waiting = create(admin, ev, p, q, slots=["s1"])
    res = optimize(admin, ev, move=False, budget_ms=500)
    assert (res["scheduled"], res["unscheduled"], res["moved"]) == (1, 1, 0)
    assert get(admin, ev, first)["slot"] == "s1"
    assert get(admin, ev, waiting)["status"] == "accepted"


def test_breaks_are_removed(admin):
    """a meets c in s1 (fixed by its slots) and d in s3, since d was busy in
    s2 when it was booked: one break for a, which moving a-d to s2 ends."""
    ev = future_event(admin, nslots=4)
    a, c, d, e = (person(admin, ev) for _ in range(4))
    create(admin, ev, a, c, slots=["s1"])
    busy = create(admin, ev, d, e, slots=["s2"])
    later = create(admin, ev, a, d)
    assert later["slot"] == "s3"
    cancel(admin, ev, busy, d)
    assert get(admin, ev, later)["slot"] == "s3"  # booked ones stay put
    res = optimize(admin, ev, budget_ms=1000)
    assert res["breaks"] == 0 and res["breaks_before"] >= 1, res
    assert res["moved"] == 1 and res["proven"] is True, res
    assert get(admin, ev, later)["slot"] == "s2"
    check_invariants(admin, ev, maximal=True)


def test_moves_are_notified(admin, daemon, clients):
    ev = future_event(admin, tables=1)
    x, y, p, q = (person(admin, ev) for _ in range(4))
    first = create(admin, ev, x, y)
    waiting = create(admin, ev, p, q, slots=["s1"])
    sub = clients(daemon.admin())
    sub.call("subscribe", event=ev, topics=["event"])
    person(admin, ev, x)  # the follower reads the event from now on
    deadline = time.monotonic() + 5
    while sub.wait_notification(timeout=5)[0] != "participant.update":
        assert time.monotonic() < deadline
    optimize(admin, ev, budget_ms=500)
    # The last word on each meeting (earlier changes may come first).
    seen = {}
    deadline = time.monotonic() + 3
    while not (seen.get(first["meeting"], {}).get("slot") not in (None, "s1")
               and seen.get(waiting["meeting"], {}).get("slot") == "s1"):
        method, params = sub.wait_notification(
            timeout=max(0.01, deadline - time.monotonic()))
        if method == "meeting.update":
            m = params[0]["meeting"]
            seen[m["meeting"]] = m


def test_bad_arguments_and_roles(admin, daemon, clients):
    ev = new_event(admin)
    for bad in ({"fairness": -1}, {"budget_ms": 0}, {"budget_ms": 10 ** 9},
                {"move": "yes"}, {"fairness": "2"}, {"extra": 1}):
        expect_error("bad_request", admin.call, "schedule.optimize",
                     event=ev, **bad)
    expect_error("not_found", admin.call, "schedule.optimize",
                 event=new_event(admin)[:-1] + "z-missing")
    app = clients(daemon.as_token(make_token(admin, ev, "app")["token"]))
    expect_error("forbidden", app.call, "schedule.optimize", event=ev)
    org = clients(daemon.as_token(
        make_token(admin, ev, "organizer")["token"]))
    assert optimize(org, ev)["scheduled"] == 0


def test_the_daemon_keeps_answering_while_it_optimizes(admin, daemon,
                                                       clients):
    """Enough meetings that the search uses its whole budget; pings from
    another connection are answered meanwhile."""
    slots = [{"id": "t%02d" % i,
              "start": "2099-07-13T%02d:%02d:00" % (8 + i // 2, 30 * (i % 2)),
              "end": "2099-07-13T%02d:%02d:00" % (8 + (i + 1) // 2,
                                                  30 * ((i + 1) % 2))}
             for i in range(12)]
    ev = new_event(admin, slots=slots, tables=8)
    people = [person(admin, ev) for _ in range(60)]
    calls = [("meeting.create", {"event": ev, "from": people[i],
                                 "to": people[(i * 7 + k) % 60]})
             for k in (1, 2, 3, 5) for i in range(60)
             if people[i] != people[(i * 7 + k) % 60]]
    for reply in admin.pipeline(calls):
        assert reply[2] is None or reply[2]["code"] == "bad_request", reply
    out = {}

    def run():
        c = daemon.admin()
        try:
            out["res"] = optimize(c, ev, budget_ms=1500)
        finally:
            c.close()
    t = threading.Thread(target=run)
    pinger = clients(daemon.admin())
    t0 = time.monotonic()
    t.start()
    worst, answered_during = 0.0, 0
    while t.is_alive() and time.monotonic() - t0 < 5:
        p0 = time.monotonic()
        assert pinger.call("ping") == "pong"
        worst = max(worst, time.monotonic() - p0)
        answered_during += t.is_alive()
        time.sleep(0.02)
    t.join(10)
    assert "res" in out and out["res"]["unscheduled"] >= 0
    assert answered_during >= 5, answered_during
    assert worst < 0.5, worst  # the benchmark measures it; this is a guard
    check_invariants(admin, ev)


def test_an_event_without_meetings(admin):
    ev = new_event(admin)
    res = optimize(admin, ev)
    assert (res["scheduled"], res["unscheduled"], res["moved"],
            res["breaks"]) == (0, 0, 0, 0)
    admin.call("event.put", event_doc(ev))  # still a normal event
