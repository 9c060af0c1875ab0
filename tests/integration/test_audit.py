"""audit.list: every call an organizer, the admin or a kiosk makes on an
event is recorded (time, token id, role, method, target, result, the
participant acted for, peer), failures included; app calls are not. Tokens,
badges, contacts, notes and profile text never appear; entries page with a
cursor either way; the trail is capped at audit-maxlen; two daemons on one
Redis both record; a deleted participant leaves only its id."""
import datetime
import re
import time

import pytest

import rpc

from conftest import second_daemon
from helpers import event_doc, expect_error, make_token, new_event, \
    profile_doc, uid, wait_until

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
FIELDS = {"id", "time", "token", "role", "method", "target", "result", "peer"}


@pytest.fixture
def ev(admin):
    return new_event(admin)


def trail(client, ev, reverse=False, count=1000):
    """Every entry of the event's audit trail, following the cursor."""
    out, cursor = [], None
    for _ in range(1000):
        args = {"event": ev, "count": count, "reverse": reverse}
        if cursor is not None:
            args["cursor"] = cursor
        page = client.call("audit.list", args)
        assert set(page) == {"entries", "cursor"}, page
        out += page["entries"]
        cursor = page["cursor"]
        if cursor is None:
            return out
    raise AssertionError("audit.list never reached its end")


def recorded(reader, ev, pred, what="entry"):
    """The whole trail, once (waiting, bounded) an entry matches pred."""
    def ready():
        entries = trail(reader, ev)
        return entries if any(pred(e) for e in entries) else None
    return wait_until(ready, 5, what=what)


def by_method(entries, method):
    return [e for e in entries if e["method"] == method]


def staff(admin, daemon, ev, role):
    tok = make_token(admin, ev, role)
    return daemon.as_token(tok["token"]), tok


def test_organizer_calls_are_recorded_with_time_token_method_target(
        admin, daemon, ev, clients):
    org, otok = staff(admin, daemon, ev, "organizer")
    clients(org)
    a, b = uid("a"), uid("b")
    t0 = datetime.datetime.now(datetime.timezone.utc)
    org.call("event.put", event_doc(ev))
    org.call("profile.put", profile_doc(ev, a, badge="badge-" + a))
    org.call("profile.put", profile_doc(ev, b, side="buyer"))
    org.call("profile.get", event=ev, id=a)
    org.call("profile.list", event=ev)
    m = org.call("meeting.create", event=ev, **{"from": a, "to": b})
    org.call("meeting.cancel", event=ev, meeting=m["meeting"], by=a)
    org.call("checkin", event=ev, id=a)
    org.call("stats.get", event=ev)
    org.call("subscribe", event=ev, topics=["event", "participant:" + a])
    kt = org.call("token.create", event=ev, role="kiosk")
    org.call("token.revoke", event=ev, id=kt["id"])
    expect_error("not_found", org.call, "profile.get", event=ev,
                 id=uid("ghost"))
    entries = recorded(org, ev, lambda e: e["method"] == "token.revoke")
    mine = [e for e in entries
            if e["token"] == otok["id"] and e["method"] != "audit.list"]
    for e in mine:
        assert FIELDS <= set(e), e
        assert e["role"] == "organizer"
        assert ISO_MS.match(e["time"]), e
        when = datetime.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
        when = when.replace(tzinfo=datetime.timezone.utc)
        assert abs((when - t0).total_seconds()) < 60, e
        assert e["peer"].startswith("127.0.0.1:"), e
    want = [
        ("event.put", "event:" + ev, "ok"),
        ("profile.put", "participant:" + a, "ok"),
        ("profile.put", "participant:" + b, "ok"),
        ("profile.get", "participant:" + a, "ok"),
        ("profile.list", "event:" + ev, "ok"),
        ("meeting.create", "participant:" + b, "ok"),
        ("meeting.cancel", "meeting:" + m["meeting"], "ok"),
        ("checkin", "participant:" + a, "ok"),
        ("stats.get", "event:" + ev, "ok"),
        ("subscribe", "event +1", "ok"),
        ("token.create", "token:" + kt["id"], "ok"),
        ("token.revoke", "token:" + kt["id"], "ok"),
        ("profile.get", None, "not_found"),
    ]
    got = [(e["method"], e["target"], e["result"]) for e in mine]
    assert len(got) == len(want), got
    for (gm, gt, gr), (wm, wt, wr) in zip(got, want):
        assert gm == wm and gr == wr, (got, want)
        assert wt is None or gt == wt, (got, want)
    # the participant acted for, where the method names one
    assert by_method(mine, "meeting.create")[0]["actor"] == a
    assert by_method(mine, "meeting.cancel")[0]["actor"] == a
    assert "actor" not in by_method(mine, "profile.put")[0]
    # oldest first, ids increasing
    ids = [tuple(map(int, e["id"].split("-"))) for e in entries]
    assert ids == sorted(ids)


def test_kiosk_calls_are_recorded_with_the_badge_holder_failures_too(
        admin, daemon, ev, clients):
    kiosk, ktok = staff(admin, daemon, ev, "kiosk")
    clients(kiosk)
    a, b = uid("a"), uid("b")
    admin.call("profile.put", profile_doc(ev, a, badge="badge-of-" + a))
    admin.call("profile.put", profile_doc(ev, b, side="buyer",
                                          badge="badge-of-" + b))
    kiosk.call("profile.get", event=ev, id=b, viewer=a, badge="badge-of-" + a)
    kiosk.call("checkin", event=ev, id=a, badge="badge-of-" + a)
    kiosk.call("meeting.request", event=ev, badge="badge-of-" + a,
               **{"from": a, "to": b})
    expect_error("forbidden", kiosk.call, "profile.get", event=ev, id=b,
                 badge="not-the-badge")
    expect_error("bad_request", kiosk.call, "agenda.get", event=ev, id=a)
    expect_error("forbidden", kiosk.call, "profile.list", event=ev)
    entries = recorded(admin, ev, lambda e: e["method"] == "profile.list")
    mine = [(e["method"], e["target"], e["result"], e.get("actor"))
            for e in entries if e["token"] == ktok["id"]]
    assert mine == [
        ("profile.get", "participant:" + b, "ok", a),
        ("checkin", "participant:" + a, "ok", a),
        ("meeting.request", "participant:" + b, "ok", a),
        ("profile.get", "participant:" + b, "forbidden", b),
        ("agenda.get", "participant:" + a, "bad_request", a),
        ("profile.list", "event:" + ev, "forbidden", None),
    ], mine
    assert all(e["role"] == "kiosk" for e in entries
               if e["token"] == ktok["id"])


def test_badge_lockout_is_visible_in_the_trail(admin, daemon, ev, clients):
    kiosk, ktok = staff(admin, daemon, ev, "kiosk")
    clients(kiosk)
    victim = uid("v")
    admin.call("profile.put", profile_doc(ev, victim, badge="victim-badge"))
    for i in range(5):
        expect_error("forbidden", kiosk.call, "match.top", event=ev,
                     id=victim, badge="guess-%d-zzzz" % i)
    expect_error("rate_limited", kiosk.call, "match.top", event=ev,
                 id=victim, badge="victim-badge")
    entries = recorded(admin, ev, lambda e: e["result"] == "rate_limited")
    results = [e["result"] for e in entries if e["token"] == ktok["id"]]
    assert results == ["forbidden"] * 5 + ["rate_limited"]
    assert {e["actor"] for e in entries if e["token"] == ktok["id"]} == \
        {victim}


def test_admin_calls_are_recorded_under_the_admin_token_id(admin, ev):
    pid = uid("p")
    admin.call("profile.put", profile_doc(ev, pid))
    admin.call("profile.get", event=ev, id=pid)
    entries = recorded(admin, ev, lambda e: e["method"] == "profile.get")
    assert [(e["token"], e["role"], e["method"], e["target"])
            for e in entries if e["method"] != "audit.list"] == [
        ("admin", "admin", "event.put", "event:" + ev),
        ("admin", "admin", "profile.put", "participant:" + pid),
        ("admin", "admin", "profile.get", "participant:" + pid)]


def test_app_calls_are_not_recorded(admin, daemon, ev, clients):
    app, atok = staff(admin, daemon, ev, "app")
    clients(app)
    pid = uid("p")
    app.call("profile.put", profile_doc(ev, pid))
    app.call("profile.get", event=ev, id=pid)
    admin.call("stats.get", event=ev)        # a marker after them
    entries = recorded(admin, ev, lambda e: e["method"] == "stats.get")
    assert [e for e in entries if e["token"] == atok["id"]] == []
    assert [e for e in entries if e["role"] == "app"] == []


def test_tokens_badges_contacts_notes_and_texts_never_appear(
        admin, daemon, ev, shared, clients):
    org, otok = staff(admin, daemon, ev, "organizer")
    clients(org)
    kiosk, ktok = staff(admin, daemon, ev, "kiosk")
    clients(kiosk)
    tag = uid("")[-10:]
    a, b = uid("a"), uid("b")
    secrets_ = {
        "badge": "secret-badge-" + tag,
        "wrong": "wrong-badge-" + tag,
        "email": "mail-%s@example.org" % tag,
        "company": "Audit Trading %s" % tag,
        "note": "private note %s" % tag,
        "offer": "durian paste %s" % tag,
    }
    org.call("profile.put", profile_doc(
        ev, a, company=secrets_["company"], badge=secrets_["badge"],
        contact={"email": secrets_["email"]},
        offers=[{"text": secrets_["offer"]}]))
    org.call("profile.put", profile_doc(ev, b, side="buyer"))
    kiosk.call("profile.get", event=ev, id=a, badge=secrets_["badge"])
    expect_error("forbidden", kiosk.call, "profile.get", event=ev, id=a,
                 badge=secrets_["wrong"])
    kiosk.call("meeting.request", event=ev, badge=secrets_["badge"],
               note=secrets_["note"], **{"from": a, "to": b})
    made = org.call("token.create", event=ev, role="app")
    entries = recorded(org, ev, lambda e: e["method"] == "token.create")
    raw = shared.redis.cli("XRANGE", "em:{%s}:audit" % ev, "-", "+")
    listed = repr(entries).encode()
    assert ktok["id"].encode() in raw and otok["id"].encode() in raw
    for needle in list(secrets_.values()) + [
            otok["token"], ktok["token"], made["token"],
            otok["token"].split(":")[2], made["token"].split(":")[2],
            daemon.admin_token]:
        assert needle.encode() not in raw, needle
        assert needle.encode() not in listed, needle


def test_paging_with_a_cursor_both_ways_gives_each_entry_once(admin, ev):
    pids = [uid("p") for _ in range(23)]
    out = admin.pipeline([("profile.put", profile_doc(ev, p)) for p in pids])
    assert all(r[2] is None for r in out)
    admin.call("stats.get", event=ev)
    full = trail(admin, ev)
    assert len(full) == 25         # event.put, 23 puts, stats.get
    # audit.list calls are recorded too, after their reply: page a
    # snapshot by reading only as far as the full read went
    pages, seen, cursor = 0, [], None
    while True:
        args = {"event": ev, "count": 7}
        if cursor:
            args["cursor"] = cursor
        page = admin.call("audit.list", args)
        assert len(page["entries"]) <= 7
        seen += page["entries"]
        pages += 1
        cursor = page["cursor"]
        if cursor is None or len(seen) >= len(full):
            break
    assert [e["id"] for e in seen[:len(full)]] == [e["id"] for e in full]
    assert pages == 4
    newest = trail(admin, ev, reverse=True, count=5)
    ids = [e["id"] for e in newest]
    assert len(ids) == len(set(ids))
    assert ids[-len(full):] == [e["id"] for e in reversed(full)]
    assert newest[0]["method"] == "audit.list"


def test_audit_list_arguments_are_checked(admin, ev):
    for count in (0, 1001, -1, "5"):
        err = expect_error("bad_request", admin.call, "audit.list", event=ev,
                           count=count)
        assert "count" in err.message
    for cursor in ("x", "1-", "-1", "1-2-3", "12a-0", "9" * 21 + "-0"):
        err = expect_error("bad_request", admin.call, "audit.list", event=ev,
                           cursor=cursor)
        assert "cursor" in err.message
    expect_error("not_found", admin.call, "audit.list", event=uid("nope"))
    empty = admin.call("audit.list", event=ev, cursor="99999999999999-0")
    assert empty == {"entries": [], "cursor": None}


def test_who_may_read_the_trail(admin, daemon, ev, clients):
    other = new_event(admin)
    org, _ = staff(admin, daemon, ev, "organizer")
    clients(org)
    assert isinstance(org.call("audit.list", event=ev)["entries"], list)
    err = expect_error("forbidden", org.call, "audit.list", event=other)
    assert other in err.message
    for role in ("app", "kiosk"):
        c, _ = staff(admin, daemon, ev, role)
        clients(c)
        args = {"event": ev}
        if role == "kiosk":
            args["badge"] = "some-badge-1"
        expect_error("forbidden", c.call, "audit.list", args)


def test_a_call_into_another_event_is_recorded_in_the_callers_own(
        admin, daemon, ev, clients):
    other = new_event(admin)
    org, otok = staff(admin, daemon, ev, "organizer")
    clients(org)
    expect_error("forbidden", org.call, "profile.list", event=other)
    entries = recorded(admin, ev, lambda e: e["token"] == otok["id"])
    assert [(e["method"], e["target"], e["result"]) for e in entries
            if e["token"] == otok["id"]] == [
        ("profile.list", "event:" + other, "forbidden")]
    theirs = trail(admin, other)
    assert [e for e in theirs if e["token"] == otok["id"]] == []


def test_the_trail_keeps_the_newest_audit_maxlen_entries(make_stack):
    d = make_stack(["--audit-maxlen", "10"]).daemon
    with d.admin() as a:
        ev = new_event(a)
        pids = ["p%02d" % i for i in range(30)]
        for p in pids:
            a.call("profile.put", profile_doc(ev, p))
        a.call("stats.get", event=ev)
        entries = trail(a, ev)
        assert entries[-1]["method"] == "stats.get", entries[-1]
        assert len(entries) == 10, len(entries)
        puts = [e["target"] for e in entries if e["method"] == "profile.put"]
        # the newest puts survive, in order; the older ones are gone
        last = ["participant:" + p for p in pids]
        assert puts == last[len(last) - len(puts):]
        assert "participant:p00" not in puts


def test_two_daemons_on_one_redis_both_record(make_stack, tmp_path):
    stack = make_stack()
    other = second_daemon(stack, tmp_path)
    try:
        with stack.daemon.admin() as a, other.admin() as b:
            ev = new_event(a)
            tok = make_token(a, ev, "organizer")
            with stack.daemon.as_token(tok["token"]) as o1, \
                    other.as_token(tok["token"]) as o2:
                o1.call("profile.put", profile_doc(ev, "from-one"))
                o2.call("profile.put", profile_doc(ev, "from-two"))
                o2.call("stats.get", event=ev)
            for reader in (a, b):
                entries = recorded(reader, ev,
                                   lambda e: e["method"] == "stats.get")
                # each daemon writes its entry after its own reply, so
                # the order between daemons is not promised
                targets = sorted(e["target"] for e in entries
                                 if e["token"] == tok["id"])
                assert targets == ["event:" + ev, "participant:from-one",
                                   "participant:from-two"]
    finally:
        other.stop()


def test_profile_delete_leaves_only_the_pseudonymous_id(
        admin, daemon, ev, shared, clients):
    org, otok = staff(admin, daemon, ev, "organizer")
    clients(org)
    tag = uid("")[-10:]
    pid = "gone-" + tag
    company = "Erased Export %s" % tag
    email = "gone-%s@example.org" % tag
    org.call("profile.put", profile_doc(ev, pid, company=company,
                                        contact={"email": email},
                                        badge="gone-badge-" + tag))
    org.call("profile.get", event=ev, id=pid)
    assert org.call("profile.delete", event=ev, id=pid) == {"deleted": True}
    entries = recorded(org, ev, lambda e: e["method"] == "profile.delete")
    deleted = by_method(entries, "profile.delete")
    assert deleted[0]["target"] == "participant:" + pid
    assert deleted[0]["token"] == otok["id"]
    raw = shared.redis.cli("XRANGE", "em:{%s}:audit" % ev, "-", "+")
    assert pid.encode() in raw        # the id stays: proof of who did what
    for needle in (company, email, "gone-badge-" + tag):
        assert needle.encode() not in raw


def test_pipelined_calls_are_each_recorded_once(admin, daemon, ev, clients):
    org, otok = staff(admin, daemon, ev, "organizer")
    clients(org)
    out = org.pipeline([("stats.get", {"event": ev})] * 50)
    assert all(r[2] is None for r in out)
    entries = recorded(admin, ev, lambda e: e["token"] == otok["id"])
    assert len([e for e in entries if e["token"] == otok["id"]]) == 50


def test_a_call_answered_during_shutdown_is_recorded(make_stack):
    """SIGTERM while a call waits on Redis: the call is answered, and its
    entry reaches Redis before the daemon exits."""
    stack = make_stack()
    d = stack.daemon
    with d.admin() as a:
        ev = new_event(a)
        stack.redis.pause()
        try:
            a.send_raw(rpc.request_bytes(a.new_msgid(), "stats.get",
                                         {"event": ev}))
            time.sleep(0.3)         # read, and waiting on Redis
            d.sigterm()
            time.sleep(0.3)
        finally:
            stack.redis.resume()
        assert a.read_response(timeout=10)[2] is None
    assert d.proc.wait(15) == 0
    entries = stack.redis.cli("XRANGE", "em:{%s}:audit" % ev, "-", "+")
    assert entries.count(b"stats.get") == 1, entries
