"""Several daemons behind one Redis stay consistent through the change
stream: a write on one reaches match.top, match.new and meeting.update on
the others within 100 ms on loopback (measured; the figure is printed,
run with -s to see it). The booking race through three daemons is
test_booking.py's race test, run there with two and with three."""
import statistics
import time

from conftest import Daemon
from helpers import event_doc, make_token, profile_doc, uid, wait_until
from rpc import RpcError


def more_daemon(stack, tmp_path, name):
    """Another daemon on the stack's Redis with the same admin token and
    secret key, started."""
    d = Daemon(stack.redis.port, tmp_path / name, name=name)
    d.admin_token = stack.daemon.admin_token
    d.keyfile.write_bytes(stack.daemon.keyfile.read_bytes())
    return d.start()


def _known(client, ev, pid):
    try:
        return client.call("match.top", event=ev, id=pid) == []
    except RpcError as e:
        assert e.code == "not_found", e
        return False


def _wait_note(client, method, pred, timeout):
    """The first notification `method` whose params[0] satisfies pred;
    others are skipped. Its arrival time."""
    deadline = time.monotonic() + timeout
    while True:
        m, params = client.wait_notification(
            max(0.001, deadline - time.monotonic()))
        if m == method and pred(params[0]):
            return time.monotonic()


def test_writes_on_one_daemon_reach_the_others_within_100ms(make_stack,
                                                            tmp_path):
    stack = make_stack()
    others = [more_daemon(stack, tmp_path, "d%d" % i) for i in (1, 2)]
    opened = []
    rounds = 12
    try:
        ev = uid("so")
        with stack.daemon.admin() as a:
            a.call("event.put", event_doc(ev))
            buyers = ["b%02d" % i for i in range(rounds)]
            # A product code per round: each seller enters its own
            # buyer's top list, never a full one.
            codes = ["8471%02d" % (10 + i) for i in range(rounds)]
            for b, code in zip(buyers, codes):
                a.call("profile.put", profile_doc(
                    ev, b, side="buyer", needs=[{"code": code}]))
            # The others learn of the event and its buyers through the
            # stream: wait until each sees the last buyer in match.top's
            # index (an empty top list, not not_found).
            subs = []
            for d in others:
                c = d.as_token(make_token(a, ev, "app")["token"])
                opened.append(c)
                wait_until(lambda: _known(c, ev, buyers[-1]), 10,
                           what="buyer known on %s" % d.name)
                c.call("subscribe", event=ev,
                       topics=["participant:%s" % b for b in buyers])
                subs.append(c)
            # A daemon that learnt of the event from the event index reads
            # its stream from the next XREAD round on, up to one block
            # period (1 s) later (README, Known limits): the first change
            # may take that long. Measure it, then the steady state.
            a.call("profile.put", profile_doc(
                ev, "warm", offers=[{"code": codes[0]}]))
            t_ack = time.monotonic()
            first = []
            for c in subs:
                t = _wait_note(c, "match.new",
                               lambda n: n["match"]["id"] == "warm", 5)
                first.append(t - t_ack)
            print("cross-daemon first change of a new event: max=%.1f ms"
                  % (max(first) * 1000))
            assert max(first) < 3.0, first
            match_lat, meet_lat = [], []
            for i, b in enumerate(buyers):
                seller = "s%02d" % i
                # From sending the write: its own handling on the first
                # daemon is part of the figure.
                t_ack = time.monotonic()
                a.call("profile.put", profile_doc(
                    ev, seller, offers=[{"code": codes[i]}]))
                for c in subs:
                    t = _wait_note(c, "match.new",
                                   lambda n: n["id"] == b and
                                   n["match"]["id"] == seller, 5)
                    match_lat.append(t - t_ack)
                    # match.top there agrees with the notification.
                    top = c.call("match.top", event=ev, id=b)
                    assert seller in [e["id"] for e in top], top
                t_ack = time.monotonic()
                m = a.call("meeting.request", {"event": ev, "from": seller,
                                               "to": b})
                for c in subs:
                    t = _wait_note(c, "meeting.update",
                                   lambda n: n["meeting"]["meeting"] ==
                                   m["meeting"], 5)
                    meet_lat.append(t - t_ack)
        for name, lat in (("match.new", match_lat),
                          ("meeting.update", meet_lat)):
            p50, worst = statistics.median(lat), max(lat)
            print("cross-daemon %s: n=%d p50=%.1f ms max=%.1f ms (%s)" % (
                name, len(lat), p50 * 1000, worst * 1000,
                " ".join("%.0f" % (x * 1000) for x in lat)))
            # The goal is 100 ms; the median must meet it, and no single
            # one may be far off it even on a loaded machine.
            assert p50 < 0.1, (name, lat)
            assert worst < 1.0, (name, lat)
    finally:
        for c in opened:
            c.close()
        for d in others:
            d.stop()
    for d in others:
        assert d.sanitizer_report() is None, d.sanitizer_report()


def test_three_daemons_serve_one_state(make_stack, tmp_path):
    """A profile and a meeting written through one daemon are read back
    the same through the other two, and a change through the second is
    seen by the third."""
    stack = make_stack()
    others = [more_daemon(stack, tmp_path, "d%d" % i) for i in (1, 2)]
    try:
        ev = uid("so")
        with stack.daemon.admin() as a:
            a.call("event.put", event_doc(ev))
            a.call("profile.put", profile_doc(ev, "x", side="buyer"))
            a.call("profile.put", profile_doc(ev, "y"))
            m = a.call("meeting.request", {"event": ev, "from": "y",
                                           "to": "x", "request_id": "r1"})
        for d in others:
            with d.admin() as b:
                assert b.call("profile.get", event=ev, id="x")["version"] == 1
                got = b.call("meeting.get", event=ev, meeting=m["meeting"])
                assert got["status"] == "requested"
                # The request_id is shared: a retry through another daemon
                # returns the first meeting and creates nothing.
                again = b.call("meeting.request", {
                    "event": ev, "from": "y", "to": "x", "request_id": "r1"})
                assert again["meeting"] == m["meeting"]
        with others[0].admin() as b:
            b.call("meeting.respond", event=ev, meeting=m["meeting"],
                   accept=True)
        with others[1].admin() as c:
            got = c.call("meeting.get", event=ev, meeting=m["meeting"])
            assert got["status"] == "scheduled", got
            assert len(c.call("meeting.list", event=ev)["meetings"]) == 1
    finally:
        for d in others:
            d.stop()
    for d in others:
        assert d.sanitizer_report() is None, d.sanitizer_report()
