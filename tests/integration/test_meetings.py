"""Meetings against a real daemon and Redis, per the contract: requests
(app; kiosk with the `from` badge), their shape and argument checks,
conflicts between a pair, max_pending_requests and request_id; answers
(kiosk with the `to` badge), the transition table (everything else is a
conflict), cancel, no-show and feedback by the sides; contact details
once accepted; meeting.update and checkin notifications; get, list
(status filter, paging) and inbox; agenda.get and checkin (meet_now);
stats.get, also after a burst of concurrent requests; and which roles may
call what.
The booking rules themselves are in test_booking.py."""
import datetime
import re
import threading
import time

import pytest

from helpers import event_doc, expect_error, make_token, new_event, \
    profile_doc, uid

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$")
BOOKING = {"slot", "start", "end", "table", "interpreter"}
REQUIRED = {"meeting", "event", "from", "to", "status", "created", "updated"}
STATUSES = ["requested", "accepted", "scheduled", "declined", "cancelled",
            "expired", "noshow"]


@pytest.fixture
def ev(admin):
    return new_event(admin)


# ---- helpers (test_booking.py uses them too) ----

def badge(pid):
    return "badge-" + pid


def person(client, ev, pid=None, **over):
    """A participant with a badge of its own; its id."""
    pid = pid or uid("p")
    over.setdefault("badge", badge(pid))
    client.call("profile.put", profile_doc(ev, pid, **over))
    return pid


def request(client, ev, a, b, **kw):
    args = {"event": ev, "from": a, "to": b}
    args.update(kw)
    return client.call("meeting.request", args)


def create(client, ev, a, b, **kw):
    args = {"event": ev, "from": a, "to": b}
    args.update(kw)
    return client.call("meeting.create", args)


def respond(client, ev, m, accept, **kw):
    return client.call("meeting.respond", event=ev, meeting=m["meeting"],
                       accept=accept, **kw)


def cancel(client, ev, m, by, **kw):
    return client.call("meeting.cancel", event=ev, meeting=m["meeting"],
                       by=by, **kw)


def get(client, ev, m):
    return client.call("meeting.get", event=ev, meeting=m["meeting"])


def all_meetings(client, ev, status=None, count=1000):
    """Every meeting of the event (or of one status), following cursors."""
    out, cursor = [], None
    for _ in range(1000):
        args = {"event": ev, "count": count}
        if status:
            args["status"] = status
        if cursor is not None:
            args["cursor"] = cursor
        page = client.call("meeting.list", args)
        assert set(page) == {"meetings", "cursor"}, page
        out += page["meetings"]
        cursor = page["cursor"]
        if cursor is None:
            return out
    raise AssertionError("meeting.list never ended")


def check_shape(m, ev):
    assert REQUIRED <= set(m), m
    assert m["event"] == ev
    assert isinstance(m["meeting"], str) and m["meeting"]
    assert m["status"] in STATUSES
    for k in ("created", "updated"):
        assert ISO_UTC.match(m[k]), (k, m[k])
    assert m["updated"] >= m["created"]
    if m["status"] == "scheduled":
        assert {"slot", "start", "end", "table"} <= set(m), m
        assert isinstance(m["table"], str)
    elif m["status"] in ("requested", "accepted", "declined"):
        assert not BOOKING & set(m), m


def slot_of(sid):
    """A slot of helpers.event_doc's events."""
    return {s["id"]: s for s in event_doc("x")["slots"]}[sid]


def pair(admin, ev, **over):
    """Two fresh participants."""
    return person(admin, ev, **over), person(admin, ev, **over)


def in_status(status, admin, app, ev):
    """A meeting between two fresh participants brought to `status` through
    the contract's transitions; (meeting, from, to)."""
    a = person(admin, ev)
    # a meeting that cannot be booked stays accepted
    b = person(admin, ev, **({"max_meetings": 0} if status == "accepted"
                             else {}))
    m = request(app, ev, a, b)
    if status == "declined":
        m = respond(app, ev, m, False)
    elif status == "cancelled":
        m = cancel(app, ev, m, a)
    elif status in ("accepted", "scheduled", "noshow"):
        m = respond(app, ev, m, True)
        if status == "noshow":
            m = noshow(admin, ev, m, a)
    assert m["status"] == status, m
    return m, a, b


def conn(daemon, admin, clients, ev, role):
    """A connection with a fresh `role` token of event ev."""
    return clients(daemon.as_token(make_token(admin, ev, role)["token"]))


def noshow(client, ev, m, by, **kw):
    return client.call("meeting.noshow", event=ev, meeting=m["meeting"],
                       by=by, **kw)


# ---- meeting.request ----

def test_request_has_the_contract_shape(admin, ev, roles):
    app = roles["app"]
    a, b = pair(admin, ev)
    m = request(app, ev, a, b, note="Coffee from Chiang Rai",
                slots=["s2", "s3"])
    check_shape(m, ev)
    assert (m["from"], m["to"], m["status"]) == (a, b, "requested")
    assert m["note"] == "Coffee from Chiang Rai"
    assert m["slots"] == ["s2", "s3"]
    assert m["created"] == m["updated"]
    assert get(app, ev, m) == m
    assert get(roles["organizer"], ev, m) == m


def test_request_without_options_has_no_note_or_slots(admin, ev, roles):
    a, b = pair(admin, ev)
    m = request(roles["app"], ev, a, b)
    check_shape(m, ev)
    assert "slots" not in m and "feedback" not in m
    assert m.get("note") in (None, "")


def test_kiosk_requests_with_the_badge_of_from(admin, ev, roles):
    kiosk = roles["kiosk"]
    a, b = pair(admin, ev)
    expect_error("bad_request", request, kiosk, ev, a, b)
    expect_error("forbidden", request, kiosk, ev, a, b, badge=badge(b))
    expect_error("forbidden", request, kiosk, ev, a, b,
                 badge="not-the-badge-1")
    assert all_meetings(admin, ev) == []
    m = request(kiosk, ev, a, b, badge=badge(a))
    assert (m["from"], m["to"], m["status"]) == (a, b, "requested")


def test_unknown_from_to_or_event_is_not_found(admin, ev, roles):
    app = roles["app"]
    a = person(admin, ev)
    e = expect_error("not_found", request, app, ev, "nobody-1", a)
    assert "nobody-1" in e.message
    e = expect_error("not_found", request, app, ev, a, "nobody-2")
    assert "nobody-2" in e.message
    expect_error("not_found", request, admin, uid("noev"), a, "x")
    expect_error("not_found", create, admin, uid("noev"), a, "x")
    expect_error("not_found", create, roles["organizer"], ev, a, "nobody-3")
    assert all_meetings(admin, ev) == []


def test_a_meeting_with_oneself_is_a_bad_request(admin, ev, roles):
    a = person(admin, ev)
    expect_error("bad_request", request, roles["app"], ev, a, a)
    expect_error("bad_request", create, roles["organizer"], ev, a, a)
    assert all_meetings(admin, ev) == []


@pytest.mark.parametrize("args,named", [
    ({"note": "x" * 1001}, "note"),
    ({"note": 5}, "note"),
    ({"note": b"bytes"}, "note"),
    ({"slots": "s1"}, "slots"),
    ({"slots": [1]}, "slots"),
    ({"slots": ["s1", "bad id"]}, "slots"),
    ({"slots": ["s1", "s9"]}, "slots[1]"),
    ({"request_id": ""}, "request_id"),
    ({"request_id": "r" * 65}, "request_id"),
    ({"request_id": "caf\u00e9"}, "request_id"),
    ({"request_id": "tab\there"}, "request_id"),
    ({"request_id": 7}, "request_id"),
    ({"ttl": 3}, "ttl"),
])
def test_bad_arguments_are_bad_requests_and_create_nothing(admin, ev, roles,
                                                           args, named):
    a, b = pair(admin, ev)
    for c, fn in ((roles["app"], request), (roles["organizer"], create)):
        e = expect_error("bad_request", fn, c, ev, a, b, **args)
        assert named in e.message, e.message
    assert all_meetings(admin, ev) == []


def test_note_of_1000_characters_in_any_script(admin, ev, roles):
    a, b = pair(admin, ev)
    note = "\u8c61" * 1000
    assert request(roles["app"], ev, a, b, note=note)["note"] == note


def test_second_live_request_between_a_pair_is_a_conflict(admin, ev, roles):
    app = roles["app"]
    a, b = pair(admin, ev)
    m = request(app, ev, a, b)
    expect_error("conflict", request, app, ev, a, b)
    expect_error("conflict", request, app, ev, b, a)
    # still live once accepted
    respond(app, ev, m, True)
    expect_error("conflict", request, app, ev, b, a)
    assert len(all_meetings(admin, ev)) == 1
    # over once cancelled: the pair may ask again, either way round
    cancel(app, ev, m, b)
    m2 = request(app, ev, b, a)
    respond(app, ev, m2, False)
    assert request(app, ev, a, b)["status"] == "requested"
    assert len(all_meetings(admin, ev)) == 3


def test_organizer_may_create_a_pair_twice(admin, ev, roles):
    org = roles["organizer"]
    a, b = pair(admin, ev)
    m1 = create(org, ev, a, b)
    m2 = create(org, ev, b, a)
    assert m1["meeting"] != m2["meeting"]
    for m in (m1, m2):
        check_shape(m, ev)
        assert m["status"] == "scheduled"
    assert m1["slot"] != m2["slot"]
    # a request between them is refused while they are live
    expect_error("conflict", request, roles["app"], ev, a, b)


def test_organizer_create_over_a_live_request(admin, ev, roles):
    a, b = pair(admin, ev)
    request(roles["app"], ev, a, b)
    assert create(roles["organizer"], ev, a, b)["status"] == "scheduled"


def test_max_pending_requests_per_sender(admin, daemon, clients):
    ev = new_event(admin, max_pending_requests=2)
    app = conn(daemon, admin, clients, ev, "app")
    a = person(admin, ev)
    b, c, d = (person(admin, ev) for _ in range(3))
    mb = request(app, ev, a, b)
    mc = request(app, ev, a, c)
    expect_error("conflict", request, app, ev, a, d)
    # per sender: others may still ask a, and an organizer is not limited
    request(app, ev, d, a)
    create(admin, ev, a, d)
    # an answer frees a place
    respond(app, ev, mb, False)
    md = request(app, ev, a, person(admin, ev))
    expect_error("conflict", request, app, ev, a, person(admin, ev))
    respond(app, ev, mc, True)
    request(app, ev, a, person(admin, ev))
    # a withdrawal frees one too
    cancel(app, ev, md, a)
    request(app, ev, a, person(admin, ev))
    assert len(all_meetings(admin, ev, "requested")) == 3


def test_request_id_repeat_returns_the_first_meeting(admin, ev, roles):
    app = roles["app"]
    a, b = pair(admin, ev)
    m = request(app, ev, a, b, request_id="req-1", note="first")
    again = request(app, ev, a, b, request_id="req-1", note="first")
    assert again["meeting"] == m["meeting"]
    # pipelined repeats too
    args = {"event": ev, "from": a, "to": person(admin, ev),
            "request_id": "req 2 {~!}"}
    replies = app.pipeline([("meeting.request", args)] * 3)
    assert all(r[2] is None for r in replies), replies
    assert len({r[3]["meeting"] for r in replies}) == 1
    assert len(all_meetings(admin, ev)) == 2
    # even after the meeting was answered, it is the same meeting
    respond(app, ev, m, True)
    assert request(app, ev, a, b, request_id="req-1",
                   note="first")["meeting"] == m["meeting"]
    # a new request_id is a new request (here: refused, the pair is live)
    expect_error("conflict", request, app, ev, a, b, request_id="req-3")
    assert len(all_meetings(admin, ev)) == 2


def test_request_id_of_another_pair_shows_nothing(admin, ev, roles):
    app = roles["app"]
    a, b = pair(admin, ev)
    request(app, ev, a, b, request_id="guessable-1", note="our prices")
    c = person(admin, ev)
    e = expect_error("conflict", request, app, ev, c, b,
                     request_id="guessable-1")
    assert "our prices" not in e.message
    assert len(all_meetings(admin, ev)) == 1


def test_request_id_of_meeting_create(admin, ev, roles):
    org = roles["organizer"]
    a, b = pair(admin, ev)
    m = create(org, ev, a, b, request_id="org-1")
    assert create(org, ev, a, b, request_id="org-1")["meeting"] == \
        m["meeting"]
    assert len(all_meetings(admin, ev)) == 1


# ---- meeting.respond ----

def test_accept_books_slot_times_and_table(admin, ev, roles):
    app = roles["app"]
    a, b = pair(admin, ev)
    m = request(app, ev, a, b)
    got = respond(app, ev, m, True)
    check_shape(got, ev)
    assert got["meeting"] == m["meeting"]
    assert got["status"] == "scheduled"
    s = slot_of(got["slot"])
    assert (got["start"], got["end"]) == (s["start"], s["end"])
    assert got["table"] in [str(i) for i in range(1, 13)]
    assert got["created"] == m["created"]
    assert get(app, ev, m) == got


def test_decline(admin, ev, roles):
    app = roles["app"]
    a, b = pair(admin, ev)
    got = respond(app, ev, request(app, ev, a, b), False)
    check_shape(got, ev)
    assert got["status"] == "declined"


@pytest.mark.parametrize("first,second", [(True, True), (True, False),
                                          (False, True), (False, False)])
def test_responding_twice_is_a_conflict(admin, ev, roles, first, second):
    app = roles["app"]
    a, b = pair(admin, ev)
    m = respond(app, ev, request(app, ev, a, b), first)
    expect_error("conflict", respond, app, ev, m, second)
    assert get(app, ev, m) == m


def test_kiosk_responds_with_the_badge_of_to(admin, ev, roles):
    kiosk = roles["kiosk"]
    a, b = pair(admin, ev)
    m = request(roles["app"], ev, a, b)
    expect_error("bad_request", respond, kiosk, ev, m, True)
    expect_error("forbidden", respond, kiosk, ev, m, True, badge=badge(a))
    expect_error("forbidden", respond, kiosk, ev, m, True,
                 badge="someone-else-99")
    assert get(admin, ev, m)["status"] == "requested"
    assert respond(kiosk, ev, m, True, badge=badge(b))["status"] == \
        "scheduled"


def test_respond_to_unknown_meeting_is_not_found(admin, ev, roles):
    expect_error("not_found", roles["app"].call, "meeting.respond", event=ev,
                 meeting="m999999", accept=True)
    expect_error("bad_request", roles["app"].call, "meeting.respond",
                 event=ev, meeting="m1", accept="yes")
    expect_error("bad_request", roles["app"].call, "meeting.respond",
                 event=ev, meeting="m1")


# ---- the transition table ----

@pytest.mark.parametrize("status,action", [
    ("declined", "cancel_from"), ("declined", "cancel_org"),
    ("cancelled", "cancel_from"), ("cancelled", "cancel_org"),
    ("noshow", "cancel_to"), ("noshow", "cancel_org"),
    ("requested", "noshow"), ("accepted", "noshow"), ("declined", "noshow"),
    ("cancelled", "noshow"), ("noshow", "noshow"),
    ("cancelled", "accept"), ("cancelled", "decline"),
    ("declined", "accept"), ("accepted", "accept"), ("accepted", "decline"),
    ("scheduled", "decline"), ("noshow", "accept"),
    ("requested", "cancel_to"),
])
def test_transitions_not_in_the_table_are_conflicts(admin, ev, roles, status,
                                                    action):
    app, org = roles["app"], roles["organizer"]
    m, a, b = in_status(status, admin, app, ev)
    before = get(admin, ev, m)
    calls = {
        "cancel_from": lambda: cancel(app, ev, m, a),
        "cancel_to": lambda: cancel(app, ev, m, b),
        "cancel_org": lambda: cancel(org, ev, m, a),
        "noshow": lambda: noshow(org, ev, m, a),
        "accept": lambda: respond(app, ev, m, True),
        "decline": lambda: respond(app, ev, m, False),
    }
    expect_error("conflict", calls[action])
    assert get(admin, ev, m) == before


def test_to_declines_rather_than_cancels_a_request(admin, ev, roles):
    app, kiosk = roles["app"], roles["kiosk"]
    a, b = pair(admin, ev)
    m = request(app, ev, a, b)
    expect_error("conflict", cancel, app, ev, m, b)
    expect_error("conflict", cancel, kiosk, ev, m, b, badge=badge(b))
    assert respond(app, ev, m, False)["status"] == "declined"


def test_from_withdraws_a_request(admin, ev, roles):
    app, kiosk = roles["app"], roles["kiosk"]
    a, b = pair(admin, ev)
    m = request(app, ev, a, b)
    got = cancel(app, ev, m, a)
    check_shape(got, ev)
    assert got["status"] == "cancelled"
    assert admin.call("meeting.inbox", event=ev, id=b)["incoming"] == []
    m2 = request(app, ev, b, a)
    assert cancel(kiosk, ev, m2, b, badge=badge(b))["status"] == "cancelled"


@pytest.mark.parametrize("status", ["requested", "accepted", "scheduled"])
def test_organizer_cancels_any_live_meeting(admin, ev, roles, status):
    m, a, b = in_status(status, admin, roles["app"], ev)
    got = cancel(roles["organizer"], ev, m, a)
    check_shape(got, ev)
    assert got["status"] == "cancelled"
    assert get(admin, ev, m) == got


@pytest.mark.parametrize("status", ["accepted", "scheduled"])
def test_either_side_cancels_an_accepted_meeting(admin, ev, roles, status):
    app, kiosk = roles["app"], roles["kiosk"]
    m, a, b = in_status(status, admin, app, ev)
    assert cancel(app, ev, m, b)["status"] == "cancelled"
    m, a, b = in_status(status, admin, app, ev)
    expect_error("forbidden", cancel, kiosk, ev, m, b, badge=badge(a))
    assert cancel(kiosk, ev, m, b, badge=badge(b))["status"] == "cancelled"
    m, a, b = in_status(status, admin, app, ev)
    assert cancel(kiosk, ev, m, a, badge=badge(a))["status"] == "cancelled"


def test_a_by_who_is_not_a_side_is_forbidden(admin, ev, roles):
    app, kiosk = roles["app"], roles["kiosk"]
    m, a, b = in_status("scheduled", admin, app, ev)
    c = person(admin, ev)
    expect_error("forbidden", cancel, app, ev, m, c)
    expect_error("forbidden", cancel, kiosk, ev, m, c, badge=badge(c))
    expect_error("forbidden", kiosk.call, "meeting.noshow", event=ev,
                 meeting=m["meeting"], by=c, badge=badge(c))
    for client, extra in ((app, {}), (kiosk, {"badge": badge(c)})):
        expect_error("forbidden", client.call, "meeting.feedback", event=ev,
                     meeting=m["meeting"], by=c, happened=True, **extra)
    assert get(admin, ev, m) == m


def test_unknown_meeting_is_not_found_everywhere(admin, ev, roles):
    a = person(admin, ev)
    org, app = roles["organizer"], roles["app"]
    for client, method, extra in (
            (org, "meeting.get", {}), (app, "meeting.get", {}),
            (app, "meeting.cancel", {"by": a}),
            (org, "meeting.noshow", {"by": a}),
            (app, "meeting.feedback", {"by": a, "happened": True})):
        expect_error("not_found", client.call, method, event=ev,
                     meeting="m7777777", **extra)


# ---- no-show and feedback ----

def test_noshow_by_organizer_frees_the_table(admin, daemon, clients):
    ev = new_event(admin, slots=[slot_of("s1")], tables=1)
    org = conn(daemon, admin, clients, ev, "organizer")
    a, b, c, d = (person(admin, ev) for _ in range(4))
    m1 = create(org, ev, a, b)
    m2 = create(org, ev, c, d)
    assert (m1["status"], m2["status"]) == ("scheduled", "accepted")
    got = org.call("meeting.noshow", event=ev, meeting=m1["meeting"], by=a)
    check_shape(got, ev)
    assert got["status"] == "noshow"
    m2 = get(org, ev, m2)
    assert (m2["status"], m2["slot"], m2["table"]) == ("scheduled", "s1", "1")


def test_kiosk_reports_noshow_for_the_side_that_came(admin, ev, roles):
    kiosk = roles["kiosk"]
    m, a, b = in_status("scheduled", admin, roles["app"], ev)
    expect_error("bad_request", kiosk.call, "meeting.noshow", event=ev,
                 meeting=m["meeting"], by=b)
    expect_error("forbidden", kiosk.call, "meeting.noshow", event=ev,
                 meeting=m["meeting"], by=b, badge=badge(a))
    got = kiosk.call("meeting.noshow", event=ev, meeting=m["meeting"], by=b,
                     badge=badge(b))
    assert got["status"] == "noshow"
    assert get(admin, ev, m)["status"] == "noshow"


def test_feedback_by_each_side(admin, ev, roles):
    app, kiosk = roles["app"], roles["kiosk"]
    m, a, b = in_status("scheduled", admin, app, ev)
    got = app.call("meeting.feedback", event=ev, meeting=m["meeting"], by=a,
                   happened=True, rating=5)
    check_shape(got, ev)
    assert got["feedback"] == {a: {"happened": True, "rating": 5}}
    assert got["status"] == "scheduled"
    expect_error("forbidden", kiosk.call, "meeting.feedback", event=ev,
                 meeting=m["meeting"], by=b, happened=False, badge=badge(a))
    got = kiosk.call("meeting.feedback", event=ev, meeting=m["meeting"],
                     by=b, happened=False, badge=badge(b))
    assert got["feedback"] == {a: {"happened": True, "rating": 5},
                               b: {"happened": False}}
    assert get(admin, ev, m)["feedback"] == got["feedback"]


@pytest.mark.parametrize("extra,named", [
    ({"happened": True, "rating": 0}, "rating"),
    ({"happened": True, "rating": 6}, "rating"),
    ({"happened": True, "rating": -1}, "rating"),
    ({"happened": True, "rating": "5"}, "rating"),
    ({"happened": True, "rating": 2.5}, "rating"),
    ({"happened": 1}, "happened"),
    ({}, "happened"),
])
def test_bad_feedback_is_a_bad_request(admin, ev, roles, extra, named):
    m, a, b = in_status("scheduled", admin, roles["app"], ev)
    e = expect_error("bad_request", roles["app"].call, "meeting.feedback",
                     event=ev, meeting=m["meeting"], by=a, **extra)
    assert named in e.message, e.message
    assert "feedback" not in get(admin, ev, m)


def test_feedback_after_a_noshow(admin, ev, roles):
    m, a, b = in_status("noshow", admin, roles["app"], ev)
    got = roles["app"].call("meeting.feedback", event=ev,
                            meeting=m["meeting"], by=a, happened=False,
                            rating=1)
    assert got["status"] == "noshow"
    assert got["feedback"] == {a: {"happened": False, "rating": 1}}


# ---- contact details and notifications ----

CONTACT = {"name": "Somchai P.", "email": "somchai@example.test"}


def contact_seen(client, ev, pid, viewer, **kw):
    return client.call("profile.get", event=ev, id=pid, viewer=viewer,
                       **kw).get("contact")


def test_contacts_show_between_the_sides_once_accepted(admin, ev, roles):
    app, kiosk = roles["app"], roles["kiosk"]
    a = person(admin, ev, contact=CONTACT)
    b = person(admin, ev, contact=CONTACT)
    c = person(admin, ev)
    m = request(app, ev, a, b)
    assert contact_seen(app, ev, b, a) is None
    assert contact_seen(app, ev, a, b) is None
    m = respond(app, ev, m, True)
    assert m["status"] == "scheduled"
    assert contact_seen(app, ev, b, a) == CONTACT
    assert contact_seen(app, ev, a, b) == CONTACT
    assert contact_seen(kiosk, ev, b, a, badge=badge(a)) == CONTACT
    assert contact_seen(app, ev, b, c) is None
    admin.call("meeting.noshow", event=ev, meeting=m["meeting"], by=a)
    assert contact_seen(app, ev, b, a) == CONTACT
    # a cancelled meeting shows nothing
    d = person(admin, ev, contact=CONTACT)
    m = respond(app, ev, request(app, ev, c, d), True)
    assert contact_seen(app, ev, d, c) == CONTACT
    cancel(app, ev, m, c)
    assert contact_seen(app, ev, d, c) is None


def next_of(client, method, pred=lambda p: True, timeout=5, seen=None):
    """The first notification `method` whose params pass pred; others
    (participant.update, match.new...) are skipped. Each one read is added
    to `seen`."""
    deadline = time.monotonic() + timeout
    while True:
        got, params = client.wait_notification(
            timeout=max(deadline - time.monotonic(), 0.01))
        if seen is not None:
            seen.append((got, params))
        if got == method and pred(params):
            return params


def test_meeting_changes_and_checkins_are_notified(admin, daemon, ev, roles):
    org, app = roles["organizer"], roles["app"]
    a = person(admin, ev, contact=CONTACT)
    b = person(admin, ev, contact=CONTACT)
    seen = []
    org.call("subscribe", event=ev, topics=["event"])
    app.call("subscribe", event=ev, topics=["participant:" + b])
    # the event is followed from the daemon's next round: wait for one
    warm = person(admin, ev)
    next_of(org, "participant.update", lambda p: p[0]["id"] == warm)
    m = request(app, ev, a, b)
    for sub in (org, app):
        params = next_of(sub, "meeting.update",
                         lambda p: p[0]["meeting"]["meeting"] == m["meeting"],
                         seen=seen)
        assert params == [{"event": ev, "meeting": m}]
    m = respond(app, ev, m, True)
    for sub in (org, app):
        params = next_of(sub, "meeting.update",
                         lambda p: p[0]["meeting"]["status"] == "scheduled",
                         seen=seen)
        assert params == [{"event": ev, "meeting": m}]
    org.call("checkin", event=ev, id=b)
    for sub in (org, app):
        assert next_of(sub, "checkin", seen=seen) == [{"event": ev, "id": b}]
    text = repr(seen)
    assert CONTACT["email"] not in text and badge(a) not in text


# ---- get, list, inbox ----

def test_meeting_get_roles(admin, ev, roles):
    m, a, b = in_status("requested", admin, roles["app"], ev)
    assert get(roles["organizer"], ev, m) == get(roles["app"], ev, m)
    expect_error("forbidden", roles["kiosk"].call, "meeting.get", event=ev,
                 meeting=m["meeting"], badge=badge(a))


def test_list_filters_by_status_and_pages(admin, ev, roles):
    app = roles["app"]
    made = {}
    for status in ("requested", "requested", "declined", "scheduled",
                   "cancelled", "accepted", "noshow"):
        m, _, _ = in_status(status, admin, app, ev)
        made.setdefault(status, set()).add(m["meeting"])
    everything = all_meetings(roles["organizer"], ev)
    ids = [m["meeting"] for m in everything]
    assert len(ids) == len(set(ids)) == 7
    for m in everything:
        check_shape(m, ev)
    for status in STATUSES:
        got = {m["meeting"] for m in all_meetings(admin, ev, status)}
        assert got == made.get(status, set()), status
    # pages of 2: 2, 2, 2, 1, the same meetings in the same order
    pages, cursor = [], None
    while True:
        args = {"event": ev, "count": 2}
        if cursor is not None:
            args["cursor"] = cursor
        page = admin.call("meeting.list", args)
        pages.append([m["meeting"] for m in page["meetings"]])
        cursor = page["cursor"]
        if cursor is None:
            break
        assert isinstance(cursor, str)
    assert [len(p) for p in pages] == [2, 2, 2, 1]
    assert sum(pages, []) == ids
    # a status filter pages too
    first = admin.call("meeting.list", event=ev, status="requested",
                       count=1)
    assert len(first["meetings"]) == 1 and first["cursor"] is not None
    rest = admin.call("meeting.list", event=ev, status="requested", count=1,
                      cursor=first["cursor"])
    assert len(rest["meetings"]) == 1 and rest["cursor"] is None
    assert {m["meeting"] for m in first["meetings"] + rest["meetings"]} == \
        made["requested"]


@pytest.mark.parametrize("args,named", [
    ({"status": "pending"}, "status"),
    ({"status": "Requested"}, "status"),
    ({"status": 3}, "status"),
    ({"count": 0}, "count"),
    ({"count": -5}, "count"),
    ({"count": "10"}, "count"),
    ({"cursor": 5}, "cursor"),
    ({"order": "asc"}, "order"),
])
def test_bad_list_arguments(admin, ev, roles, args, named):
    e = expect_error("bad_request", roles["organizer"].call, "meeting.list",
                     event=ev, **args)
    assert named in e.message, e.message


def test_list_of_an_empty_event(admin, ev):
    assert admin.call("meeting.list", event=ev) == {"meetings": [],
                                                    "cursor": None}


def test_inbox_holds_open_requests_both_ways(admin, ev, roles):
    app, kiosk = roles["app"], roles["kiosk"]
    a, b, c, d = (person(admin, ev) for _ in range(4))
    to_a = request(app, ev, b, a)
    from_a = request(app, ev, a, c)
    done = request(app, ev, d, a)
    respond(app, ev, done, True)
    request(app, ev, c, d)                      # not a's
    got = app.call("meeting.inbox", event=ev, id=a)
    assert set(got) == {"incoming", "outgoing"}
    assert [m["meeting"] for m in got["incoming"]] == [to_a["meeting"]]
    assert [m["meeting"] for m in got["outgoing"]] == [from_a["meeting"]]
    for m in got["incoming"] + got["outgoing"]:
        check_shape(m, ev)
        assert m["status"] == "requested"
    assert roles["organizer"].call("meeting.inbox", event=ev, id=a) == got
    expect_error("bad_request", kiosk.call, "meeting.inbox", event=ev, id=a)
    expect_error("forbidden", kiosk.call, "meeting.inbox", event=ev, id=a,
                 badge=badge(b))
    assert kiosk.call("meeting.inbox", event=ev, id=a,
                      badge=badge(a)) == got
    respond(app, ev, to_a, False)
    cancel(app, ev, from_a, a)
    assert app.call("meeting.inbox", event=ev, id=a) == \
        {"incoming": [], "outgoing": []}
    expect_error("not_found", app.call, "meeting.inbox", event=ev,
                 id="nobody-here")


# ---- agenda and check-in ----

def agenda_setup(admin, app, ev):
    """a with meetings booked into s3, s1 and s2 (made in that order), one
    waiting, one requested, one declined, one cancelled."""
    a = person(admin, ev)
    partners = {}
    for name, kw in (("in_s3", {"slots": ["s3"]}),
                     ("in_s1", {"slots": ["s1"]}), ("in_s2", {}),
                     ("waiting", {})):
        extra = {"max_meetings": 0} if name == "waiting" else {}
        p = person(admin, ev, country="JP" if name == "in_s1" else "VN",
                   company="Partner " + name, **extra)
        m = request(app, ev, a, p, **kw)
        partners[name] = (p, respond(app, ev, m, True))
    assert [partners[n][1].get("slot") for n in
            ("in_s3", "in_s1", "in_s2", "waiting")] == ["s3", "s1", "s2",
                                                        None]
    request(app, ev, a, person(admin, ev))
    respond(app, ev, request(app, ev, person(admin, ev), a), False)
    cancel(app, ev, request(app, ev, a, person(admin, ev)), a)
    return a, partners


def test_agenda_lists_booked_by_slot_then_waiting(admin, ev, roles):
    app = roles["app"]
    a, partners = agenda_setup(admin, app, ev)
    agenda = app.call("agenda.get", event=ev, id=a)
    order = ["in_s1", "in_s2", "in_s3", "waiting"]
    assert [e["meeting"] for e in agenda] == \
        [partners[n][1]["meeting"] for n in order]
    for e, n in zip(agenda, order):
        pid, m = partners[n]
        assert e["partner"] == {"id": pid, "company": "Partner " + n,
                                "country": "JP" if n == "in_s1" else "VN"}
        assert {k: v for k, v in e.items() if k != "partner"} == \
            get(admin, ev, m)
    assert [e["status"] for e in agenda] == ["scheduled"] * 3 + ["accepted"]
    # the partner's agenda names a as partner
    other = app.call("agenda.get", event=ev, id=partners["in_s2"][0])
    assert [e["partner"]["id"] for e in other] == [a]


def test_agenda_roles_and_badges(admin, ev, roles):
    a, partners = agenda_setup(admin, roles["app"], ev)
    want = roles["app"].call("agenda.get", event=ev, id=a)
    assert roles["organizer"].call("agenda.get", event=ev, id=a) == want
    kiosk = roles["kiosk"]
    expect_error("bad_request", kiosk.call, "agenda.get", event=ev, id=a)
    expect_error("forbidden", kiosk.call, "agenda.get", event=ev, id=a,
                 badge=badge(partners["in_s1"][0]))
    assert kiosk.call("agenda.get", event=ev, id=a, badge=badge(a)) == want
    expect_error("not_found", admin.call, "agenda.get", event=ev,
                 id="nobody-here")
    assert admin.call("agenda.get", event=ev, id=person(admin, ev)) == []


def test_checkin_returns_agenda_and_is_repeatable(admin, ev, roles):
    org, kiosk = roles["organizer"], roles["kiosk"]
    a, partners = agenda_setup(admin, roles["app"], ev)
    agenda = org.call("agenda.get", event=ev, id=a)
    got = org.call("checkin", event=ev, id=a)
    assert set(got) == {"checked_in", "agenda", "meet_now"}
    assert got["checked_in"] is True
    assert got["agenda"] == agenda
    assert isinstance(got["meet_now"], list)
    again = kiosk.call("checkin", event=ev, id=a, badge=badge(a))
    assert again["checked_in"] is True and again["agenda"] == agenda
    assert org.call("stats.get", event=ev)["checked_in"] == 1
    expect_error("forbidden", kiosk.call, "checkin", event=ev, id=a,
                 badge=badge(partners["in_s1"][0]))
    expect_error("not_found", org.call, "checkin", event=ev, id="nobody-x")
    assert org.call("stats.get", event=ev)["checked_in"] == 1


def test_meet_now_suggests_a_checked_in_match(admin, daemon, clients):
    now = datetime.datetime.now(datetime.timezone.utc).replace(
        microsecond=0, tzinfo=None)

    def at(minutes):
        return (now + datetime.timedelta(minutes=minutes)).isoformat()
    slots = [{"id": "now", "start": at(-10), "end": at(20)},
             {"id": "next", "start": at(20), "end": at(50)}]
    ev = new_event(admin, slots=slots, tables=3)
    org = conn(daemon, admin, clients, ev, "organizer")
    buyer = person(admin, ev, side="buyer", needs=[{"code": "090111"}])
    seller = person(admin, ev, side="seller", offers=[{"code": "090111"}],
                    company="Doi Chaang Coffee")
    person(admin, ev, side="seller", offers=[{"code": "090111"}])  # absent
    org.call("checkin", event=ev, id=seller)
    got = org.call("checkin", event=ev, id=buyer)
    assert [e["id"] for e in got["meet_now"]] == [seller], got
    e = got["meet_now"][0]
    assert set(e) == {"id", "company", "score", "slot", "table"}
    assert e["company"] == "Doi Chaang Coffee"
    assert 0 < e["score"] <= 1
    assert e["slot"] == "now" and e["table"] in ("1", "2", "3")


# ---- stats ----

def test_stats_counts_everything(admin, daemon, clients):
    ev = new_event(admin, tables=2)                    # 3 slots x 2 tables
    org = conn(daemon, admin, clients, ev, "organizer")
    app = conn(daemon, admin, clients, ev, "app")
    zero = org.call("stats.get", event=ev)
    assert zero == {"participants": {"buyer": 0, "seller": 0, "both": 0},
                    "checked_in": 0,
                    "meetings": {s: 0 for s in STATUSES},
                    "table_utilization": 0.0}
    buyers = [person(admin, ev, side="buyer") for _ in range(3)]
    sellers = [person(admin, ev, side="seller") for _ in range(4)]
    both = person(admin, ev, side="both")
    late = person(admin, ev, side="seller", max_meetings=0)
    in_status("requested", admin, app, ev)              # +2 sellers
    respond(app, ev, request(app, ev, buyers[0], sellers[0]), False)
    respond(app, ev, request(app, ev, buyers[1], sellers[1]), True)
    m = respond(app, ev, request(app, ev, buyers[2], sellers[2]), True)
    org.call("meeting.noshow", event=ev, meeting=m["meeting"], by=buyers[2])
    respond(app, ev, request(app, ev, both, sellers[3]), True)
    respond(app, ev, request(app, ev, both, late), True)  # accepted
    cancel(app, ev, request(app, ev, buyers[0], both), buyers[0])
    # a change of side moves the count; a deletion removes it
    admin.call("profile.put", profile_doc(ev, sellers[0], side="both"))
    org.call("checkin", event=ev, id=buyers[0])
    org.call("checkin", event=ev, id=both)
    org.call("checkin", event=ev, id=both)
    extra = person(admin, ev, side="buyer")
    admin.call("profile.delete", event=ev, id=extra)
    got = org.call("stats.get", event=ev)
    assert got["participants"] == {"buyer": 3, "seller": 6, "both": 2}
    assert got["checked_in"] == 2
    assert got["meetings"] == {"requested": 1, "accepted": 1, "scheduled": 2,
                               "declined": 1, "cancelled": 1, "expired": 0,
                               "noshow": 1}
    assert isinstance(got["table_utilization"], float)
    assert got["table_utilization"] == pytest.approx(2 / 6)
    for status, n in got["meetings"].items():
        assert len(all_meetings(org, ev, status)) == n


def test_stats_stay_exact_after_a_burst_of_concurrent_requests(admin, daemon,
                                                               clients):
    ev = new_event(admin, tables=2)                    # 6 places
    apps = [clients(daemon.as_token(make_token(admin, ev, "app")["token"]))
            for _ in range(4)]
    ids = ["b%02d" % i for i in range(10)] + ["s%02d" % i for i in range(10)]
    replies = admin.pipeline([("profile.put", profile_doc(
        ev, i, side="buyer" if i[0] == "b" else "seller")) for i in ids])
    assert all(r[2] is None for r in replies)
    # Every connection asks for the same 50 pairs, half of them the other
    # way round: exactly one request per pair may succeed.
    pairs = [("b%02d" % i, "s%02d" % j) for i in range(10) for j in range(5)]
    results = [None] * len(apps)

    def burst(k):
        calls = []
        for n, (b, s) in enumerate(pairs):
            a, z = (b, s) if (n + k) % 2 else (s, b)
            calls.append(("meeting.request", {"event": ev, "from": a,
                                              "to": z}))
        results[k] = apps[k].pipeline(calls, timeout=30)
    threads = [threading.Thread(target=burst, args=(k,))
               for k in range(len(apps))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ok = [r[3] for rs in results for r in rs if r[2] is None]
    errs = {r[2]["code"] for rs in results for r in rs if r[2] is not None}
    assert errs <= {"conflict"}, errs
    assert len(ok) == len(pairs)
    assert {frozenset((m["from"], m["to"])) for m in ok} == \
        {frozenset(p) for p in pairs}
    st = admin.call("stats.get", event=ev)
    assert st["meetings"]["requested"] == len(pairs)
    # Then all of them answered at once from the four connections.
    answers = [[] for _ in apps]
    for n, m in enumerate(ok):
        answers[n % len(apps)].append(("meeting.respond", {
            "event": ev, "meeting": m["meeting"], "accept": n % 5 != 0}))

    def answer(k):
        results[k] = apps[k].pipeline(answers[k], timeout=30)
    threads = [threading.Thread(target=answer, args=(k,))
               for k in range(len(apps))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(r[2] is None for rs in results for r in rs)
    st = admin.call("stats.get", event=ev)
    listed = {s: len(all_meetings(admin, ev, s)) for s in STATUSES}
    assert st["meetings"] == listed
    assert listed["declined"] == 10 and listed["requested"] == 0
    assert listed["scheduled"] + listed["accepted"] == 40
    assert listed["scheduled"] <= 6
    assert st["table_utilization"] == pytest.approx(listed["scheduled"] / 6)
    assert st["participants"] == {"buyer": 10, "seller": 10, "both": 0}


# ---- roles ----

FORBIDDEN = [
    ("organizer", "meeting.request"), ("organizer", "meeting.respond"),
    ("organizer", "meeting.feedback"),
    ("app", "meeting.create"), ("app", "meeting.list"),
    ("app", "meeting.noshow"), ("app", "checkin"), ("app", "stats.get"),
    ("kiosk", "meeting.create"), ("kiosk", "meeting.get"),
    ("kiosk", "meeting.list"), ("kiosk", "stats.get"),
]


def method_args(method, ev, m, a, b):
    """Valid arguments of `method` for meeting m between a and b (the badge
    is the acting participant's: a kiosk may not be refused for it)."""
    mid = m["meeting"]
    return {
        "meeting.request": {"event": ev, "from": a, "to": b,
                            "badge": badge(a)},
        "meeting.create": {"event": ev, "from": a, "to": b},
        "meeting.respond": {"event": ev, "meeting": mid, "accept": True,
                            "badge": badge(b)},
        "meeting.cancel": {"event": ev, "meeting": mid, "by": a,
                           "badge": badge(a)},
        "meeting.get": {"event": ev, "meeting": mid, "badge": badge(a)},
        "meeting.list": {"event": ev, "badge": badge(a)},
        "meeting.inbox": {"event": ev, "id": a, "badge": badge(a)},
        "meeting.noshow": {"event": ev, "meeting": mid, "by": a,
                           "badge": badge(a)},
        "meeting.feedback": {"event": ev, "meeting": mid, "by": a,
                             "happened": True, "badge": badge(a)},
        "agenda.get": {"event": ev, "id": a, "badge": badge(a)},
        "checkin": {"event": ev, "id": a, "badge": badge(a)},
        "stats.get": {"event": ev, "badge": badge(a)},
    }[method]


@pytest.mark.parametrize("role,method", FORBIDDEN)
def test_roles_not_in_the_table_are_forbidden(admin, ev, roles, role,
                                              method):
    m, a, b = in_status("requested", admin, roles["app"], ev)
    args = method_args(method, ev, m, a, person(admin, ev))
    if role != "kiosk":
        args.pop("badge", None)
    before = all_meetings(admin, ev)
    e = expect_error("forbidden", roles[role].call, method, args)
    assert method in e.message or role in e.message, e.message
    assert all_meetings(admin, ev) == before
    assert admin.call("stats.get", event=ev)["checked_in"] == 0


def test_each_role_may_call_its_methods(admin, ev, roles):
    org, app, kiosk = roles["organizer"], roles["app"], roles["kiosk"]
    a, b, c, d = (person(admin, ev) for _ in range(4))
    # app: request, inbox, get, respond, agenda, feedback, cancel
    m = request(app, ev, a, b)
    assert app.call("meeting.inbox", event=ev, id=b)["incoming"][0] == m
    assert get(app, ev, m) == m
    m = respond(app, ev, m, True)
    assert app.call("agenda.get", event=ev, id=a)[0]["meeting"] == \
        m["meeting"]
    app.call("meeting.feedback", event=ev, meeting=m["meeting"], by=a,
             happened=True, rating=4)
    assert cancel(app, ev, m, a)["status"] == "cancelled"
    # kiosk: request, inbox, respond, agenda, checkin, feedback, noshow,
    # cancel
    m = request(kiosk, ev, a, c, badge=badge(a))
    assert kiosk.call("meeting.inbox", event=ev, id=c,
                      badge=badge(c))["incoming"] == [m]
    m = respond(kiosk, ev, m, True, badge=badge(c))
    assert kiosk.call("agenda.get", event=ev, id=c,
                      badge=badge(c))[0]["meeting"] == m["meeting"]
    assert kiosk.call("checkin", event=ev, id=c,
                      badge=badge(c))["checked_in"] is True
    kiosk.call("meeting.feedback", event=ev, meeting=m["meeting"], by=c,
               happened=True, badge=badge(c))
    assert kiosk.call("meeting.noshow", event=ev, meeting=m["meeting"], by=c,
                      badge=badge(c))["status"] == "noshow"
    m = request(kiosk, ev, d, c, badge=badge(d))
    assert cancel(kiosk, ev, m, d, badge=badge(d))["status"] == "cancelled"
    # organizer: create, get, list, inbox, agenda, checkin, noshow, cancel,
    # stats
    m = create(org, ev, b, d)
    assert get(org, ev, m) == m
    assert m["meeting"] in [x["meeting"] for x in all_meetings(org, ev)]
    assert org.call("meeting.inbox", event=ev, id=b) == \
        {"incoming": [], "outgoing": []}
    assert org.call("agenda.get", event=ev, id=b)[0]["meeting"] == \
        m["meeting"]
    org.call("checkin", event=ev, id=b)
    assert org.call("meeting.noshow", event=ev, meeting=m["meeting"],
                    by=b)["status"] == "noshow"
    assert cancel(org, ev, create(org, ev, b, d), b)["status"] == "cancelled"
    st = org.call("stats.get", event=ev)
    assert st["meetings"]["noshow"] == 2 and st["checked_in"] == 2


def test_another_events_token_is_forbidden(admin, ev, roles):
    other = new_event(admin)
    a, b = pair(admin, other)
    for role, method in (("app", "meeting.request"),
                         ("organizer", "meeting.create"),
                         ("organizer", "meeting.list"),
                         ("organizer", "stats.get"),
                         ("kiosk", "agenda.get")):
        args = method_args(method, other, {"meeting": "m1"}, a, b)
        if role != "kiosk":
            args.pop("badge", None)
        expect_error("forbidden", roles[role].call, method, args)
    assert all_meetings(admin, other) == []
