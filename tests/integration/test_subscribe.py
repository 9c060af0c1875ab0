"""subscribe and unsubscribe: topic rules per role (kiosk badges
included), argument checks, existence checks, the reply's topic list,
participant.update notifications from this and another daemon, and the
subscriber buffer limit that disconnects a subscriber that does not read."""
import time

import pytest

from conftest import second_daemon
from helpers import expect_error, make_token, new_event, profile_doc, uid

BADGE = "badge-secret-1234"


@pytest.fixture
def ev(admin):
    return new_event(admin)


def put(client, ev, pid=None, **over):
    pid = pid or uid("p")
    client.call("profile.put", profile_doc(ev, pid, **over))
    return pid


def topics_of(client, ev):
    """The topics the connection holds in ev, read by unsubscribing from
    one it does not hold."""
    return client.call("unsubscribe", event=ev,
                       topics=["participant:not-held"])["topics"]


def warm_up(subs, writer, ev):
    """The follower reads a newly followed event from its next round
    (within about a second): wait for one notification first, so that the
    timings after it measure the steady state."""
    pid = put(writer, ev, uid("warm"))
    for sub in subs if isinstance(subs, list) else [subs]:
        method, params = sub.wait_notification(timeout=5)
        assert method == "participant.update", (method, params)
        assert params[0]["id"] == pid


def expect_update(sub, ev, pid, version, timeout=1.0):
    t0 = time.monotonic()
    method, params = sub.wait_notification(timeout=timeout)
    assert time.monotonic() - t0 <= timeout
    assert method == "participant.update"
    assert params == [{"event": ev, "id": pid, "version": version}], params


# ---- notifications ----

def test_organizer_hears_a_put_made_on_another_connection(admin, ev, roles):
    org = roles["organizer"]
    assert org.call("subscribe", event=ev, topics=["event"]) == \
        {"topics": ["event"]}
    warm_up(org, admin, ev)
    pid = put(admin, ev)
    expect_update(org, ev, pid, 1)
    put(admin, ev, pid, company="Renamed")
    expect_update(org, ev, pid, 2)


def test_delete_is_a_participant_update_with_deleted(admin, ev, roles):
    org = roles["organizer"]
    org.call("subscribe", event=ev, topics=["event"])
    warm_up(org, admin, ev)
    pid = put(admin, ev)
    expect_update(org, ev, pid, 1)
    assert admin.call("profile.delete", event=ev, id=pid) == {"deleted": True}
    method, params = org.wait_notification(timeout=1)
    assert method == "participant.update"
    assert params == [{"event": ev, "id": pid, "version": 0,
                       "deleted": True}], params


def test_put_through_another_daemon_reaches_the_subscriber(make_stack,
                                                           tmp_path):
    stack = make_stack()
    other = second_daemon(stack, tmp_path)
    try:
        with stack.daemon.admin() as a:
            ev = new_event(a)
            tok = make_token(a, ev, "organizer")["token"]
            with other.as_token(tok) as org:
                assert org.call("subscribe", event=ev, topics=["event"]) == \
                    {"topics": ["event"]}
                warm_up(org, a, ev)
                pid = put(a, ev)
                expect_update(org, ev, pid, 1)
    finally:
        other.stop()


def test_event_topics_of_other_events_stay_apart(admin, daemon, ev, roles,
                                                 clients):
    other_ev = new_event(admin)
    org = roles["organizer"]
    org.call("subscribe", event=ev, topics=["event"])
    warm_up(org, admin, ev)
    watcher = clients(daemon.admin())
    watcher.call("subscribe", event=other_ev, topics=["event"])
    warm_up(watcher, admin, other_ev)
    put(admin, other_ev)
    watcher.wait_notification(timeout=1)
    # The org's reply stream comes after anything published meanwhile.
    assert org.call("ping") == "pong"
    assert not org.notifications


# ---- roles and topic rules ----

def test_app_may_not_subscribe_to_the_event_topic(admin, ev, roles):
    app = roles["app"]
    pid = put(admin, ev)
    e = expect_error("forbidden", app.call, "subscribe", event=ev,
                     topics=["participant:" + pid, "event"])
    assert "topics[1]" in e.message and "event" in e.message
    assert topics_of(app, ev) == []


def test_app_subscribes_to_participant_topics(admin, ev, roles):
    app = roles["app"]
    a, b = put(admin, ev, "pa-" + uid()), put(admin, ev, "pb-" + uid())
    res = app.call("subscribe", event=ev,
                   topics=["participant:" + b, "participant:" + a])
    assert res == {"topics": ["participant:" + a, "participant:" + b]}


def test_reply_lists_all_topics_of_the_event_sorted(admin, ev, roles):
    org = roles["organizer"]
    ids = [put(admin, ev, "%s-%s" % (c, uid())) for c in "zam"]
    org.call("subscribe", event=ev, topics=["participant:" + ids[0]])
    res = org.call("subscribe", event=ev,
                   topics=["participant:" + ids[1], "event",
                           "participant:" + ids[2], "event"])
    want = sorted(["event"] + ["participant:" + i for i in ids])
    assert res == {"topics": want}
    # subscribing again changes nothing
    assert org.call("subscribe", event=ev, topics=["event"]) == \
        {"topics": want}


def test_other_roles_events_are_out_of_scope(admin, ev, roles):
    other_ev = new_event(admin)
    expect_error("forbidden", roles["organizer"].call, "subscribe",
                 event=other_ev, topics=["event"])


def test_kiosk_subscribes_with_the_participants_badge(admin, ev, roles):
    kiosk = roles["kiosk"]
    pid = put(admin, ev, badge=BADGE)
    topic = "participant:" + pid
    assert kiosk.call("subscribe", event=ev, topics=[topic],
                      badge=BADGE) == {"topics": [topic]}


def test_kiosk_needs_a_badge(admin, ev, roles):
    pid = put(admin, ev, badge=BADGE)
    e = expect_error("bad_request", roles["kiosk"].call, "subscribe",
                     event=ev, topics=["participant:" + pid])
    assert "badge" in e.message


def test_kiosk_wrong_badge_is_forbidden(admin, ev, roles):
    kiosk = roles["kiosk"]
    pid = put(admin, ev, badge=BADGE)
    expect_error("forbidden", kiosk.call, "subscribe", event=ev,
                 topics=["participant:" + pid], badge="wrong-badge-123")
    assert topics_of(kiosk, ev) == []


def test_kiosk_takes_exactly_one_participant_topic(admin, ev, roles):
    kiosk = roles["kiosk"]
    a, b = put(admin, ev, badge=BADGE), put(admin, ev, badge=BADGE)
    e = expect_error("bad_request", kiosk.call, "subscribe", event=ev,
                     topics=["participant:" + a, "participant:" + b],
                     badge=BADGE)
    assert "exactly one" in e.message
    e = expect_error("forbidden", kiosk.call, "subscribe", event=ev,
                     topics=["event"], badge=BADGE)
    assert "event" in e.message
    assert topics_of(kiosk, ev) == []


def test_kiosk_unsubscribes_without_a_badge(admin, ev, roles):
    kiosk = roles["kiosk"]
    pid = put(admin, ev, badge=BADGE)
    kiosk.call("subscribe", event=ev, topics=["participant:" + pid],
               badge=BADGE)
    assert kiosk.call("unsubscribe", event=ev,
                      topics=["participant:" + pid]) == {"topics": []}


# ---- argument checks ----

def test_unknown_participant_is_not_found_and_nothing_is_subscribed(
        admin, ev, roles):
    org = roles["organizer"]
    known = put(admin, ev)
    e = expect_error("not_found", org.call, "subscribe", event=ev,
                     topics=["event", "participant:" + known,
                             "participant:nobody-here"])
    assert "topics[2]" in e.message and "nobody-here" in e.message
    assert topics_of(org, ev) == []


def test_unknown_event_is_not_found(admin):
    e = expect_error("not_found", admin.call, "subscribe",
                     event=uid("missing"), topics=["event"])
    assert "event" in e.message


@pytest.mark.parametrize("topics,named", [
    (["event", "foo"], "topics[1]: 'foo' is not a topic"),
    (["participant:"], "topics[0]: 'participant:' is not a topic"),
    (["participant:bad id"], "topics[0]: 'participant:bad id'"),
    (["participant:" + "x" * 65], "topics[0]"),
    (["Event"], "topics[0]: 'Event'"),
    (["event", 5], "topics[1]: must be a string"),
    ("event", "topics: expected a list"),
    ({"event": 1}, "topics: expected a list"),
    (None, "topics: expected a list"),
    ([], "topics: 1-100"),
    (["event"] * 101, "topics: 1-100"),
])
def test_bad_topics_are_bad_requests_naming_them(admin, ev, roles, topics,
                                                 named):
    org = roles["organizer"]
    pid = put(admin, ev)
    org.call("subscribe", event=ev, topics=["participant:" + pid])
    for method in ("subscribe", "unsubscribe"):
        e = expect_error("bad_request", org.call, method, event=ev,
                         topics=topics)
        assert named in e.message, e.message
    assert topics_of(org, ev) == ["participant:" + pid]


def test_bin_topic_is_a_bad_request(admin, ev, roles):
    e = expect_error("bad_request", roles["organizer"].call, "subscribe",
                     event=ev, topics=[b"event"])
    assert "topics[0]" in e.message


def test_missing_topics_and_unknown_arguments(admin, ev, roles):
    org = roles["organizer"]
    e = expect_error("bad_request", org.call, "subscribe", event=ev)
    assert "topics" in e.message
    e = expect_error("bad_request", org.call, "subscribe", event=ev,
                     topics=["event"], extra=1)
    assert "extra" in e.message


def test_a_connection_holds_at_most_1000_topics(admin, daemon, ev, clients):
    ids = ["c%04d" % i for i in range(1001)]
    replies = admin.pipeline([("profile.put", profile_doc(ev, i))
                              for i in ids])
    assert all(r[2] is None for r in replies)
    org = clients(daemon.as_token(make_token(admin, ev, "organizer")["token"]))
    for k in range(10):
        chunk = ids[100 * k:100 * (k + 1)]
        res = org.call("subscribe", event=ev,
                       topics=["participant:" + i for i in chunk])
        assert len(res["topics"]) == 100 * (k + 1)
    e = expect_error("conflict", org.call, "subscribe", event=ev,
                     topics=["participant:" + ids[1000]])
    assert "1000" in e.message
    # topics it holds already do not count again
    assert len(org.call("subscribe", event=ev,
                        topics=["participant:c0000"])["topics"]) == 1000
    org.call("unsubscribe", event=ev, topics=["participant:c0000"])
    assert len(org.call("subscribe", event=ev,
                        topics=["participant:" + ids[1000]])["topics"]) == 1000


# ---- unsubscribe, re-auth, closing ----

def test_unsubscribe_stops_notifications(admin, daemon, ev, roles, clients):
    org = roles["organizer"]
    ref = clients(daemon.admin())
    for c in (org, ref):
        c.call("subscribe", event=ev, topics=["event"])
    warm_up([org, ref], admin, ev)
    assert org.call("unsubscribe", event=ev, topics=["event"]) == \
        {"topics": []}
    pid = put(admin, ev)
    # Both are published to in one go: once the reference subscriber has
    # it, anything for org would be on the wire ahead of its ping reply.
    expect_update(ref, ev, pid, 1)
    assert org.call("ping") == "pong"
    assert not org.notifications, list(org.notifications)


def test_auth_again_drops_the_subscriptions(admin, daemon, ev, roles):
    org = roles["organizer"]
    org.call("subscribe", event=ev, topics=["event"])
    org.call("auth", token=make_token(admin, ev, "organizer")["token"])
    assert topics_of(org, ev) == []


def test_closed_subscriber_does_not_trouble_later_notifications(
        admin, daemon, ev, roles, clients):
    ref = clients(daemon.admin())
    ref.call("subscribe", event=ev, topics=["event"])
    warm_up(ref, admin, ev)
    for _ in range(3):
        c = daemon.as_token(make_token(admin, ev, "organizer")["token"])
        c.call("subscribe", event=ev, topics=["event"])
        c.close()
    pids = [put(admin, ev) for _ in range(5)]
    for pid in pids:
        expect_update(ref, ev, pid, 1)
    assert ref.call("ping") == "pong"
    assert daemon.alive()


def test_subscriber_that_does_not_read_is_disconnected(make_stack):
    limit = 65536  # the smallest subscriber-buffer-limit allowed
    stack = make_stack(["--subscriber-buffer-limit", str(limit)])
    d = stack.daemon
    # `other` authenticates: the test may outlast auth-timeout (ASan)
    with d.admin() as a, d.client(rcvbuf=4096) as sub, d.admin() as other:
        ev = new_event(a)
        sub.call("auth", token=make_token(a, ev, "organizer")["token"])
        sub.call("subscribe", event=ev, topics=["event"])
        warm_up(sub, a, ev)
        # From here on `sub` never reads.
        doc = profile_doc(ev, uid("p"))
        for _ in range(100):
            replies = a.pipeline([("profile.put", doc)] * 500, timeout=30)
            assert all(r[2] is None for r in replies)
            t0 = time.monotonic()
            assert other.call("ping") == "pong"
            assert time.monotonic() - t0 < 0.5, "ping slowed down"
            if "over subscriber-buffer-limit" in d.log_text():
                break
        else:
            raise AssertionError("the subscriber was never disconnected")
        # It gets what was already on the wire, then the end.
        msgs = sub.read_until_closed(timeout=10)
        assert all(m[0] == 2 for m in msgs)
        assert other.call("ping") == "pong"
        assert d.alive()


def test_subscribe_then_auth_in_one_pipeline_keeps_nothing(daemon, admin, ev,
                                                          roles):
    """A subscribe whose checks are still in Redis when the connection
    authenticates again (an admin auth answers at once) takes nothing."""
    org = roles["organizer"]
    pid = put(admin, ev)
    replies = org.pipeline([
        ("subscribe", {"event": ev, "topics": ["participant:" + pid]}),
        ("auth", {"token": daemon.admin_token}),
    ])
    assert replies[0][2]["code"] == "conflict", replies[0]
    assert replies[1][2] is None
    assert topics_of(org, ev) == []
