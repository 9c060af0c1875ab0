"""The claims of docs/security.md that no other test file backs: which role
may call which method (the whole table), that Redis holds digests and never
a token or badge secret (and that a copy of Redis is useless under another
key), that tokens made without secret-key-file die with the daemon, and
what erasure leaves behind."""
import pytest

from conftest import Daemon
from helpers import event_doc, expect_error, make_token, new_event, \
    profile_doc, uid
from rpc import RpcError

STAFF = ("organizer", "app", "kiosk")
O, A, K = "organizer", "app", "kiosk"

# method -> roles allowed besides admin (PROTOCOL.md's table)
ALLOWED = {
    "token.create": {O}, "token.revoke": {O}, "event.put": {O},
    "event.get": {O, A, K}, "profile.put": {O, A}, "profile.get": {O, A, K},
    "profile.list": {O}, "profile.delete": {O}, "match.top": {O, A, K},
    "subscribe": {O, A, K}, "unsubscribe": {O, A, K},
    "meeting.request": {A, K}, "meeting.create": {O},
    "meeting.respond": {A, K}, "meeting.cancel": {O, A, K},
    "meeting.get": {O, A}, "meeting.list": {O}, "meeting.inbox": {O, A, K},
    "meeting.noshow": {O, K}, "meeting.feedback": {A, K},
    "agenda.get": {O, A, K}, "agenda.ics": {O, A, K}, "checkin": {O, K},
    "schedule.optimize": {O}, "stats.get": {O}, "audit.list": {O},
}


def args_for(method, ev, p, q, mid):
    """Arguments that pass the shape checks; the call may still fail for
    other reasons (not_found, conflict...), never for its shape."""
    ghost = "ghost-" + p
    return {
        "token.create": {"role": "kiosk"},
        "token.revoke": {"id": "0123456789abcdef"},
        "event.put": {k: v for k, v in event_doc(ev).items()
                      if k != "event"},
        "event.get": {}, "profile.put": {k: v for k, v in
                                         profile_doc(ev, ghost).items()
                                         if k != "event"},
        "profile.get": {"id": p}, "profile.list": {},
        "profile.delete": {"id": ghost}, "match.top": {"id": p},
        "subscribe": {"topics": ["participant:" + p]},
        "unsubscribe": {"topics": ["participant:" + p]},
        "meeting.request": {"from": p, "to": q},
        "meeting.create": {"from": q, "to": p},
        "meeting.respond": {"meeting": mid, "accept": False},
        "meeting.cancel": {"meeting": "m999999", "by": p},
        "meeting.get": {"meeting": mid}, "meeting.list": {},
        "meeting.inbox": {"id": p},
        "meeting.noshow": {"meeting": "m999999", "by": p},
        "meeting.feedback": {"meeting": "m999999", "by": p,
                             "happened": True},
        "agenda.get": {"id": p}, "agenda.ics": {"id": p},
        "checkin": {"id": p}, "schedule.optimize": {"budget_ms": 10},
        "stats.get": {}, "audit.list": {},
    }[method]


def test_the_method_table_covers_every_method(admin, ev):
    # a method the table forgets would escape the role matrix below
    for method in ALLOWED:
        try:
            admin.call(method, dict(event=ev, **args_for(method, ev, "p", "q",
                                                         "m1")))
        except RpcError as e:
            assert e.code != "unknown_method", method
    expect_error("unknown_method", admin.call, "audit.erase", event=ev)


@pytest.fixture
def ev(admin):
    return new_event(admin)


@pytest.mark.parametrize("role", STAFF)
def test_role_matrix(admin, daemon, ev, clients, role):
    """Every method refuses the roles the table does not name with
    `forbidden` ("may not call"), and lets the others through."""
    c = clients(daemon.as_token(make_token(admin, ev, role)["token"]))
    p, q = uid("p"), uid("q")
    admin.call("profile.put", profile_doc(ev, p, badge="badge-" + p))
    admin.call("profile.put", profile_doc(ev, q, side="buyer",
                                          badge="badge-" + q))
    mid = admin.call("meeting.create", event=ev, **{"from": p, "to": q})[
        "meeting"]
    for method, allowed in sorted(ALLOWED.items()):
        args = dict(event=ev, **args_for(method, ev, p, q, mid))
        if role == "kiosk":
            args["badge"] = "badge-" + p
        try:
            c.call(method, args)
            refused = None
        except RpcError as e:
            refused = e
        by_role = refused is not None and refused.code == "forbidden" and \
            "may not call" in refused.message
        if role in allowed:
            assert not by_role, (method, role, refused)
        else:
            assert by_role, (method, role, refused)


def test_redis_holds_digests_never_token_or_badge_secrets(admin, daemon, ev,
                                                          shared, clients):
    tok = make_token(admin, ev, "kiosk")
    kiosk = clients(daemon.as_token(tok["token"]))
    pid, badge = uid("p"), "badge-secret-" + uid("")[-8:]
    admin.call("profile.put", profile_doc(ev, pid, badge=badge))
    kiosk.call("profile.get", event=ev, id=pid, badge=badge)
    values = shared.redis.dump_all_values("em:{%s}:*" % ev)
    blob = b"".join(values.values()) + "".join(values).encode()
    secret = tok["token"].split(":")[2]
    for needle in (tok["token"], secret, badge, daemon.admin_token):
        assert needle.encode() not in blob, needle
    rec = shared.redis.cli("HGET", "em:{%s}:tok:%s" % (ev, tok["id"]),
                           "digest").strip()
    assert len(rec) == 64 and all(c in b"0123456789abcdef" for c in rec)
    digest = shared.redis.cli("HGET", "em:{%s}:p:%s" % (ev, pid),
                              "badge").strip()
    assert len(digest) == 64 and digest != badge.encode()


def test_a_copy_of_redis_is_useless_under_another_key(make_stack, tmp_path):
    """Tokens and badges are HMACs under secret-key-file: a daemon on the
    same Redis with another key accepts neither."""
    stack = make_stack()
    with stack.daemon.admin() as a:
        ev = new_event(a)
        tok = make_token(a, ev, "kiosk")
        a.call("profile.put", profile_doc(ev, "p1", badge="badge-of-p1"))
    other = Daemon(stack.redis.port, tmp_path / "thief", name="thief")
    other.start()
    try:
        with other.client() as c:
            expect_error("unauthorized", c.call, "auth", token=tok["token"])
        with other.admin() as a2:
            k2 = make_token(a2, ev, "kiosk")
        with other.as_token(k2["token"]) as k:
            expect_error("forbidden", k.call, "profile.get", event=ev,
                         id="p1", badge="badge-of-p1")
    finally:
        other.stop()


def test_without_secret_key_file_tokens_die_with_the_daemon(tmp_path,
                                                           make_stack):
    stack = make_stack()
    stack.daemon.stop()
    d = Daemon(stack.redis.port, tmp_path / "nokey", name="nokey")
    d.argv_base = d.argv
    d.argv = lambda: [a for a in d.argv_base()
                      if a not in ("--secret-key-file", str(d.keyfile))]
    d.start()
    try:
        assert "secret-key-file is not set" in d.log_text()
        with d.admin() as a:
            ev = new_event(a)
            tok = make_token(a, ev, "organizer")
        with d.as_token(tok["token"]) as o:
            assert o.call("event.get", event=ev)["event"] == ev
        d.stop()
        d.start()
        with d.client() as c:
            expect_error("unauthorized", c.call, "auth", token=tok["token"])
    finally:
        d.stop()


def test_erasure_leaves_ids_and_statuses_only(admin, daemon, ev, shared,
                                              clients):
    """After profile.delete: its meetings stay as cancelled records of two
    ids, without the note or its feedback; its check-in is gone; the
    change stream and the audit trail keep its id only."""
    app = clients(daemon.as_token(make_token(admin, ev, "app")["token"]))
    gone, stay = uid("gone"), uid("stay")
    note = "call me on my private line " + uid("")[-6:]
    admin.call("profile.put", profile_doc(ev, gone))
    admin.call("profile.put", profile_doc(ev, stay, side="buyer"))
    m = app.call("meeting.request", event=ev, note=note,
                 **{"from": gone, "to": stay})
    m = app.call("meeting.respond", event=ev, meeting=m["meeting"],
                 accept=True)
    assert m["status"] == "scheduled"
    app.call("meeting.feedback", event=ev, meeting=m["meeting"], by=gone,
             happened=True, rating=5)
    admin.call("checkin", event=ev, id=gone)
    admin.call("profile.delete", event=ev, id=gone)
    left = admin.call("meeting.get", event=ev, meeting=m["meeting"])
    assert left["status"] == "cancelled"
    assert "note" not in left and gone not in left.get("feedback", {})
    assert (left["from"], left["to"]) == (gone, stay)
    assert shared.redis.cli("HEXISTS", "em:{%s}:checkin" % ev,
                            gone).strip() == b"0"
    values = shared.redis.dump_all_values("em:{%s}:*" % ev)
    assert all(note.encode() not in v for v in values.values())
