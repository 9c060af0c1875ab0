"""Meetings as others see them: meeting.update and checkin notifications
(to both sides and the organizer, on this daemon and another), contact
details shown only after an accepted meeting, unanswered requests expiring,
and pending requests lowering a participant in others' suggestions."""
import time

import pytest

from conftest import second_daemon
from helpers import event_doc, expect_error, make_token, new_event, \
    profile_doc, uid, wait_until

BADGE = "badge-secret-1234"
CONTACT = {"name": "Somchai", "email": "somchai@example.com"}


@pytest.fixture
def ev(admin):
    return new_event(admin)


def put(client, ev, pid, **over):
    client.call("profile.put", profile_doc(ev, pid, **over))
    return pid


def request(client, ev, a, b, **kw):
    return client.call("meeting.request", event=ev, to=b, **{"from": a}, **kw)


def next_of(sub, method, timeout=2.0):
    """The next notification of `method` (others skipped), timed."""
    t_end = time.monotonic() + timeout
    while True:
        left = t_end - time.monotonic()
        assert left > 0, "no %s notification within %.1f s" % (method, timeout)
        m, params = sub.wait_notification(timeout=left)
        if m == method:
            return params


def warm_up(sub, admin, ev):
    """The follower reads a newly followed event from its next round:
    wait for the participant.update of a put made now (earlier ones may
    come first), so that timings after it measure the steady state."""
    pid = put(admin, ev, uid("warm"), side="seller")
    while next_of(sub, "participant.update", timeout=5)[0]["id"] != pid:
        pass


# ---- notifications ----

def test_both_sides_and_the_organizer_hear_each_change(admin, ev, roles,
                                                       clients, daemon):
    put(admin, ev, "a", side="buyer")
    put(admin, ev, "b", side="seller")
    org = roles["organizer"]
    org.call("subscribe", event=ev, topics=["event"])
    sa = clients(daemon.as_token(make_token(admin, ev, "app")["token"]))
    sa.call("subscribe", event=ev, topics=["participant:a"])
    sb = clients(daemon.as_token(make_token(admin, ev, "app")["token"]))
    sb.call("subscribe", event=ev, topics=["participant:b"])
    warm_up(org, admin, ev)

    m = request(roles["app"], ev, "a", "b", note="coffee?")
    t0 = time.monotonic()
    for sub in (sa, sb, org):
        params = next_of(sub, "meeting.update")
        assert params == [{"event": ev, "meeting": m}], params
    assert time.monotonic() - t0 < 0.5

    done = roles["app"].call("meeting.respond", event=ev,
                             meeting=m["meeting"], accept=True)
    assert done["status"] == "scheduled"
    for sub in (sa, sb, org):
        got = next_of(sub, "meeting.update")[0]["meeting"]
        assert got == done, got
        assert "contact" not in str(got) and BADGE not in str(got)


def test_a_change_on_one_daemon_is_heard_on_another(make_stack, tmp_path):
    stack = make_stack()
    admin = stack.daemon.admin()
    ev = new_event(admin)
    put(admin, ev, "a", side="buyer")
    put(admin, ev, "b", side="seller")
    other = second_daemon(stack, tmp_path)
    try:
        sub = other.admin()
        sub.call("subscribe", event=ev, topics=["participant:b"])
        put(admin, ev, "c", side="buyer")  # followed on both by now
        time.sleep(0.3)
        m = request(admin, ev, "a", "b")
        t0 = time.monotonic()
        got = next_of(sub, "meeting.update", timeout=3)[0]["meeting"]
        assert got["meeting"] == m["meeting"]
        assert got["status"] == "requested"
        sub.close()
    finally:
        admin.close()
        other.stop()
    assert time.monotonic() - t0 < 3


def test_checkin_is_told_to_the_participant_and_the_organizer(admin, ev,
                                                             roles, clients,
                                                             daemon):
    put(admin, ev, "a", side="buyer")
    org = roles["organizer"]
    org.call("subscribe", event=ev, topics=["event", "participant:a"])
    warm_up(org, admin, ev)
    sa = clients(daemon.as_token(make_token(admin, ev, "app")["token"]))
    sa.call("subscribe", event=ev, topics=["participant:a"])
    res = org.call("checkin", event=ev, id="a")
    assert res["checked_in"] is True
    # Once per connection, though org holds both topics.
    assert org.wait_notification(timeout=2) == \
        ("checkin", [{"event": ev, "id": "a"}])
    assert sa.wait_notification(timeout=2) == \
        ("checkin", [{"event": ev, "id": "a"}])
    # Once only: a repeat changes nothing and tells nobody.
    org.call("checkin", event=ev, id="a")
    put(admin, ev, uid("after"), side="seller")
    m, _ = org.wait_notification(timeout=2)
    assert m == "participant.update"


# ---- contact details ----

def contact_seen(client, ev, pid, viewer, **kw):
    return client.call("profile.get", event=ev, id=pid, viewer=viewer,
                       **kw).get("contact")


def test_contact_shows_only_after_an_accepted_meeting(admin, ev, roles):
    app = roles["app"]
    put(admin, ev, "a", side="buyer", contact=CONTACT)
    put(admin, ev, "b", side="seller", contact=CONTACT)
    assert contact_seen(app, ev, "b", "a") is None
    m = request(app, ev, "a", "b")
    assert contact_seen(app, ev, "b", "a") is None  # a request is not enough
    app.call("meeting.respond", event=ev, meeting=m["meeting"], accept=True)
    assert contact_seen(app, ev, "b", "a") == CONTACT
    assert contact_seen(app, ev, "a", "b") == CONTACT
    assert contact_seen(app, ev, "b", "c-nobody") is None
    assert app.call("profile.get", event=ev, id="b").get("contact") is None
    app.call("meeting.cancel", event=ev, meeting=m["meeting"], by="a")
    assert contact_seen(app, ev, "b", "a") is None  # cancelled: hidden again
    assert roles["organizer"].call("profile.get", event=ev,
                                   id="b")["contact"] == CONTACT


def test_kiosk_sees_a_contact_only_for_its_badge_holder_met(admin, ev,
                                                           roles):
    kiosk, app = roles["kiosk"], roles["app"]
    put(admin, ev, "a", side="buyer", contact=CONTACT, badge=BADGE)
    put(admin, ev, "b", side="seller", contact=CONTACT)
    assert contact_seen(kiosk, ev, "b", "a", badge=BADGE) is None
    m = request(app, ev, "a", "b")
    app.call("meeting.respond", event=ev, meeting=m["meeting"], accept=True)
    assert contact_seen(kiosk, ev, "b", "a", badge=BADGE) == CONTACT
    expect_error("forbidden", kiosk.call, "profile.get", event=ev, id="b",
                 viewer="a", badge="wrong-badge-000")


def test_notifications_never_carry_contacts(admin, ev, roles):
    put(admin, ev, "a", side="buyer", contact=CONTACT, badge=BADGE)
    put(admin, ev, "b", side="seller", contact=CONTACT, badge=BADGE)
    org = roles["organizer"]
    org.call("subscribe", event=ev, topics=["event"])
    warm_up(org, admin, ev)
    m = request(roles["app"], ev, "a", "b")
    roles["app"].call("meeting.respond", event=ev, meeting=m["meeting"],
                      accept=True)
    # Until the accepted meeting's update: the request's may come first, or
    # (when both changes are read together) be the same notification.
    while True:
        params = next_of(org, "meeting.update", timeout=5.0)
        text = repr(params)
        assert "somchai" not in text.lower() and BADGE not in text
        if params[0]["meeting"]["status"] != "requested":
            break


# ---- expiry ----

def test_unanswered_requests_expire(shared, admin):
    ev = new_event(admin, request_ttl_hours=1)
    put(admin, ev, "a", side="buyer")
    put(admin, ev, "b", side="seller")
    m = request(admin, ev, "a", "b")
    # An hour is long for a test: move its expiry into the past, as the
    # clock would, and let the daemon's sweep find it.
    shared.redis.cli("ZADD", "em:{%s}:mexp" % ev, "1", m["meeting"])
    wait_until(lambda: admin.call("meeting.get", event=ev,
                                  meeting=m["meeting"])["status"] ==
               "expired", timeout=3, what="the request to expire")
    expect_error("conflict", admin.call, "meeting.respond", event=ev,
                 meeting=m["meeting"], accept=True)
    # The pair may try again.
    again = request(admin, ev, "a", "b")
    assert again["status"] == "requested"
    assert admin.call("stats.get", event=ev)["meetings"]["expired"] == 1


def test_requests_without_a_ttl_never_expire(shared, admin, ev):
    put(admin, ev, "a", side="buyer")
    put(admin, ev, "b", side="seller")
    m = request(admin, ev, "a", "b")
    assert shared.redis.cli("ZCARD", "em:{%s}:mexp" % ev).strip() == b"0"
    time.sleep(1.2)
    assert admin.call("meeting.get", event=ev,
                      meeting=m["meeting"])["status"] == "requested"


# ---- congestion ----

def test_pending_requests_lower_a_participant_in_suggestions(admin, ev):
    """Two equally good sellers; one then receives many requests. It must
    stop being the buyer's first suggestion."""
    put(admin, ev, "buyer", side="buyer", needs=[{"code": "090111"}])
    for s in ("s-a", "s-b"):
        put(admin, ev, s, side="seller", offers=[{"code": "090111"}])
    first = admin.call("match.top", event=ev, id="buyer")
    assert [e["id"] for e in first] == ["s-a", "s-b"]
    assert first[0]["score"] == first[1]["score"]
    for i in range(6):
        asker = put(admin, ev, "b%d" % i, side="buyer")
        request(admin, ev, asker, "s-a")

    def lowered():
        got = admin.call("match.top", event=ev, id="buyer")
        return [e["id"] for e in got] == ["s-b", "s-a"] and \
            got[1]["score"] < got[0]["score"]
    wait_until(lowered, timeout=2, what="s-a to fall behind s-b")


# ---- calendar ----

def unfold(text):
    return text.replace("\r\n ", "")


def test_agenda_ics_is_a_calendar_of_scheduled_meetings(admin, ev, roles):
    admin.call("event.put", event_doc(ev, timezone="Asia/Bangkok"))
    put(admin, ev, "a", side="buyer", badge=BADGE)
    put(admin, ev, "b", side="seller", company="บริษัท กาแฟ, จำกัด")
    put(admin, ev, "c", side="seller")
    m = request(roles["app"], ev, "a", "b", note="samples; price list")
    roles["app"].call("meeting.respond", event=ev, meeting=m["meeting"],
                      accept=True)
    request(roles["app"], ev, "a", "c")  # only requested: not in it
    cal = roles["kiosk"].call("agenda.ics", event=ev, id="a", badge=BADGE)
    assert isinstance(cal, str)
    assert cal.startswith("BEGIN:VCALENDAR\r\n")
    assert cal.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in cal.split("\r\n"))
    body = unfold(cal)
    assert body.count("BEGIN:VEVENT") == 1
    assert "DTSTART;TZID=Asia/Bangkok:20260713T090000" in body
    assert "DTEND;TZID=Asia/Bangkok:20260713T093000" in body
    assert "TZOFFSETTO:+0700" in body
    assert "SUMMARY:Meeting with บริษัท กาแฟ\\, จำกัด" in body
    assert "samples\\; price list" in body
    assert "%s/%s@expomatch" % (ev, m["meeting"]) in body
    expect_error("forbidden", roles["kiosk"].call, "agenda.ics", event=ev,
                 id="a", badge="wrong-badge-000")
    expect_error("not_found", admin.call, "agenda.ics", event=ev, id="nobody")


# ---- meet now ----

def slots_around_now():
    """Three 30-minute slots in UTC: one on now, then the next two."""
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    start = now.replace(second=0, microsecond=0) - datetime.timedelta(
        minutes=10)
    out = []
    for i in range(3):
        a = start + datetime.timedelta(minutes=30 * i)
        b = a + datetime.timedelta(minutes=30)
        out.append({"id": "n%d" % i, "start": a.strftime("%Y-%m-%dT%H:%M:%S"),
                    "end": b.strftime("%Y-%m-%dT%H:%M:%S")})
    return out


def test_checkin_suggests_checked_in_matches_free_now(admin, ev, roles):
    admin.call("event.put", event_doc(ev, slots=slots_around_now(), tables=2))
    put(admin, ev, "buyer", side="buyer", needs=[{"code": "090111"}],
        badge=BADGE)
    for s in ("s-here", "s-away", "s-busy"):
        put(admin, ev, s, side="seller", offers=[{"code": "090111"}])
    org = roles["organizer"]
    org.call("checkin", event=ev, id="s-here")
    org.call("checkin", event=ev, id="s-busy")
    # s-busy has a meeting with someone else in both slots on now and next.
    for i, slot in enumerate(("n0", "n1")):
        other = put(admin, ev, "o%d" % i, side="buyer")
        m = org.call("meeting.create", event=ev, to="s-busy",
                     slots=[slot], **{"from": other})
        assert m["status"] == "scheduled" and m["slot"] == slot
    res = roles["kiosk"].call("checkin", event=ev, id="buyer", badge=BADGE)
    assert res["checked_in"] is True and res["agenda"] == []
    got = res["meet_now"]
    assert [e["id"] for e in got] == ["s-here"], got
    e = got[0]
    assert set(e) == {"id", "company", "score", "slot", "table"}
    # The slot on now, at the table s-busy's meeting left free.
    assert e["slot"] == "n0" and e["table"] == "2"
    assert e["company"] == "Company s-here" and 0 < e["score"] <= 1
