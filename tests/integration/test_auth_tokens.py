"""auth, roles, token.create and token.revoke."""
import time

import pytest

from helpers import event_doc, expect_error, make_token, new_event, \
    profile_doc, uid, wait_until
from rpc import error_of


def test_ping_and_server_info_allowed_before_auth(daemon):
    with daemon.client() as c:
        assert c.call("ping") == "pong"
        info = c.call("server.info")
    assert info["protocol"] == 1
    assert isinstance(info["name"], str) and info["name"]
    assert isinstance(info["version"], str) and info["version"]


@pytest.mark.parametrize("method,args", [
    ("event.get", {"event": "x"}),
    ("event.put", event_doc("x")),
    ("profile.get", {"event": "x", "id": "y"}),
    ("profile.list", {"event": "x"}),
    ("token.create", {"event": "x", "role": "app"}),
])
def test_other_methods_before_auth_are_unauthorized(daemon, method, args):
    with daemon.client() as c:
        assert error_of(c.request(method, args))[0] == "unauthorized"
        assert c.call("ping") == "pong"


def test_wrong_token_is_unauthorized_and_connection_stays_usable(daemon):
    with daemon.client() as c:
        expect_error("unauthorized", c.call, "auth", token="not-the-token")
        expect_error("unauthorized", c.call, "auth",
                     token=daemon.admin_token + "x")
        expect_error("unauthorized", c.call, "event.get", event="x")
        res = c.call("auth", token=daemon.admin_token)
    assert res == {"role": "admin", "events": ["*"]}


def test_admin_token_gives_admin_role_on_all_events(daemon):
    with daemon.client() as c:
        res = c.call("auth", token=daemon.admin_token)
    assert res["role"] == "admin" and res["events"] == ["*"]


def test_forged_token_of_right_shape_is_unauthorized(admin, daemon):
    ev = new_event(admin)
    tok = make_token(admin, ev, "app")
    # same event and id, another secret
    parts = tok["token"].rsplit(":", 1)
    forged = parts[0] + ":" + ("0" * len(parts[1]) if len(parts) == 2
                               else "0" * 32)
    with daemon.client() as c:
        expect_error("unauthorized", c.call, "auth", token=forged)


@pytest.mark.parametrize("role", ["organizer", "kiosk", "app"])
def test_admin_creates_tokens_that_auth_to_their_role_and_event(
        admin, daemon, role):
    ev = new_event(admin)
    tok = make_token(admin, ev, role)
    with daemon.client() as c:
        res = c.call("auth", token=tok["token"])
    assert res == {"role": role, "events": [ev]}


def test_token_create_for_missing_event_is_not_found(admin):
    expect_error("not_found", admin.call, "token.create", event=uid("ev"),
                 role="app")


@pytest.mark.parametrize("role", ["admin", "root", "", "Kiosk"])
def test_token_create_with_bad_role_is_bad_request(admin, role):
    ev = new_event(admin)
    err = expect_error("bad_request", admin.call, "token.create", event=ev,
                       role=role)
    assert "role" in err.message


@pytest.mark.parametrize("ttl", [0, -1, -100, "24", 1.5])
def test_token_create_with_bad_ttl_hours_is_bad_request(admin, ttl):
    ev = new_event(admin)
    err = expect_error("bad_request", admin.call, "token.create", event=ev,
                       role="app", ttl_hours=ttl)
    assert "ttl_hours" in err.message


def test_token_create_role_with_embedded_nul_is_bad_request(admin):
    ev = new_event(admin)
    err = expect_error("bad_request", admin.call, "token.create", event=ev,
                       role="kiosk\x00junk")
    assert "role" in err.message


def test_token_with_ttl_hours_works_until_expiry(admin, daemon):
    ev = new_event(admin)
    tok = make_token(admin, ev, "kiosk", ttl_hours=1)
    with daemon.client() as c:
        assert c.call("auth", token=tok["token"])["role"] == "kiosk"


def set_token_expiry(shared, ev, token_id, when):
    """Moves a stored token's expiry (ttl_hours counts in hours; tests
    cannot wait that long)."""
    key = "em:{%s}:tok:%s" % (ev, token_id)
    shared.redis.cli("HSET", key, "expires", str(int(when)))


def test_expired_token_is_unauthorized_at_auth(admin, shared):
    ev = new_event(admin)
    tok = make_token(admin, ev, "app", ttl_hours=1)
    set_token_expiry(shared, ev, tok["id"], time.time() - 1)
    with shared.daemon.client() as c:
        err = expect_error("unauthorized", c.call, "auth", token=tok["token"])
        assert "expired" in err.message


def test_token_expiring_while_connected_makes_calls_unauthorized(admin,
                                                                 shared):
    ev = new_event(admin)
    tok = make_token(admin, ev, "app", ttl_hours=1)
    set_token_expiry(shared, ev, tok["id"], time.time() + 2)
    with shared.daemon.client() as c:
        assert c.call("auth", token=tok["token"])["role"] == "app"
        assert c.call("event.get", event=ev)["event"] == ev
        time.sleep(2.2)
        err = expect_error("unauthorized", c.call, "event.get", event=ev)
        assert "expired" in err.message
        # and the connection is no longer authenticated, but it stays open
        # for a new auth
        expect_error("unauthorized", c.call, "event.get", event=ev)
        time.sleep(0.5)
        assert c.call("auth", token=shared.daemon.admin_token)["role"] == \
            "admin"
        assert c.call("event.get", event=ev)["event"] == ev


def test_requests_pipelined_after_a_token_auth_run_as_that_token(admin,
                                                                 daemon):
    ev = new_event(admin)
    tok = make_token(admin, ev, "app")
    with daemon.client() as c:
        replies = c.pipeline([("auth", {"token": tok["token"]}),
                              ("event.get", {"event": ev}),
                              ("profile.put", profile_doc(ev, uid("p")))])
        assert [r[2] for r in replies] == [None, None, None], replies
        assert replies[1][3]["event"] == ev


def test_organizer_creates_kiosk_and_app_tokens_of_its_event(admin, daemon):
    ev = new_event(admin)
    org = daemon.as_token(make_token(admin, ev, "organizer")["token"])
    with org:
        for role in ("kiosk", "app"):
            tok = make_token(org, ev, role)
            with daemon.client() as c:
                assert c.call("auth", token=tok["token"]) == {
                    "role": role, "events": [ev]}


def test_organizer_may_not_create_organizer_tokens(admin, daemon):
    ev = new_event(admin)
    with daemon.as_token(make_token(admin, ev, "organizer")["token"]) as org:
        expect_error("forbidden", org.call, "token.create", event=ev,
                     role="organizer")


def test_organizer_may_not_create_tokens_for_another_event(admin, daemon):
    ev, other = new_event(admin), new_event(admin)
    with daemon.as_token(make_token(admin, ev, "organizer")["token"]) as org:
        for role in ("kiosk", "app", "organizer"):
            expect_error("forbidden", org.call, "token.create", event=other,
                         role=role)


@pytest.mark.parametrize("role", ["kiosk", "app"])
def test_kiosk_and_app_may_not_create_tokens(admin, daemon, role):
    ev = new_event(admin)
    with daemon.as_token(make_token(admin, ev, role)["token"]) as c:
        for r in ("kiosk", "app"):
            expect_error("forbidden", c.call, "token.create", event=ev,
                         role=r)


@pytest.mark.parametrize("role", ["organizer", "kiosk", "app"])
def test_token_scope_other_event_is_forbidden(admin, daemon, role):
    ev, other = new_event(admin), new_event(admin)
    admin.call("profile.put", profile_doc(other, "p1", badge="badge-secret-1"))
    with daemon.as_token(make_token(admin, ev, role)["token"]) as c:
        expect_error("forbidden", c.call, "event.get", event=other)
        args = {"event": other, "id": "p1"}
        if role == "kiosk":
            args["badge"] = "badge-secret-1"
        expect_error("forbidden", c.call, "profile.get", args)
        # its own event is fine
        assert c.call("event.get", event=ev)["event"] == ev


def test_organizer_may_not_put_another_event(admin, daemon):
    ev, other = new_event(admin), new_event(admin)
    before = admin.call("event.get", event=other)
    with daemon.as_token(make_token(admin, ev, "organizer")["token"]) as org:
        expect_error("forbidden", org.call, "event.put",
                     event_doc(other, name="Hijacked"))
        expect_error("forbidden", org.call, "event.put",
                     event_doc(uid("ev"), name="New"))
    assert admin.call("event.get", event=other) == before


def test_revoke_returns_revoked_and_closes_connections_using_it(
        admin, daemon):
    ev = new_event(admin)
    tok = make_token(admin, ev, "kiosk")
    user = daemon.as_token(tok["token"])
    user2 = daemon.as_token(tok["token"])
    try:
        assert user.call("ping") == "pong"
        assert admin.call("token.revoke", event=ev, id=tok["id"]) == {
            "revoked": True}
        user.read_until_closed(timeout=3)
        user2.read_until_closed(timeout=3)
    finally:
        user.close()
        user2.close()
    with daemon.client() as c:
        expect_error("unauthorized", c.call, "auth", token=tok["token"])


def test_revoke_leaves_other_tokens_working(admin, daemon):
    ev = new_event(admin)
    a, b = make_token(admin, ev, "app"), make_token(admin, ev, "app")
    with daemon.as_token(b["token"]) as cb:
        admin.call("token.revoke", event=ev, id=a["id"])
        assert cb.call("event.get", event=ev)["event"] == ev
        assert not cb.is_closed(0.3)
    with daemon.client() as c:
        assert c.call("auth", token=b["token"])["role"] == "app"


@pytest.mark.parametrize("role", ["kiosk", "app"])
def test_organizer_revokes_its_events_kiosk_and_app_tokens(
        admin, daemon, role):
    ev = new_event(admin)
    with daemon.as_token(make_token(admin, ev, "organizer")["token"]) as org:
        tok = make_token(org, ev, role)
        assert org.call("token.revoke", event=ev, id=tok["id"]) == {
            "revoked": True}
    with daemon.client() as c:
        expect_error("unauthorized", c.call, "auth", token=tok["token"])


def test_organizer_may_not_revoke_organizer_tokens(admin, daemon):
    ev = new_event(admin)
    other_org = make_token(admin, ev, "organizer")
    with daemon.as_token(make_token(admin, ev, "organizer")["token"]) as org:
        expect_error("forbidden", org.call, "token.revoke", event=ev,
                     id=other_org["id"])
    with daemon.client() as c:
        assert c.call("auth", token=other_org["token"])["role"] == "organizer"


def test_organizer_may_not_revoke_another_events_tokens(admin, daemon):
    ev, other = new_event(admin), new_event(admin)
    victim = make_token(admin, other, "kiosk")
    with daemon.as_token(make_token(admin, ev, "organizer")["token"]) as org:
        expect_error("forbidden", org.call, "token.revoke", event=other,
                     id=victim["id"])
    with daemon.client() as c:
        assert c.call("auth", token=victim["token"])["role"] == "kiosk"


@pytest.mark.parametrize("role", ["kiosk", "app"])
def test_kiosk_and_app_may_not_revoke(admin, daemon, role):
    ev = new_event(admin)
    victim = make_token(admin, ev, "kiosk")
    with daemon.as_token(make_token(admin, ev, role)["token"]) as c:
        expect_error("forbidden", c.call, "token.revoke", event=ev,
                     id=victim["id"])


def test_revoked_organizer_token_connection_is_closed(admin, daemon):
    ev = new_event(admin)
    tok = make_token(admin, ev, "organizer")
    org = daemon.as_token(tok["token"])
    with org:
        admin.call("token.revoke", event=ev, id=tok["id"])
        wait_until(lambda: org.is_closed(0.2), 3, what="revoked conn closed")
