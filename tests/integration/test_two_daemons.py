"""Two daemons sharing one Redis: what one writes the other serves, and a
token revoked through one closes the connections that use it on the other
(the change-stream follower)."""
import time

from conftest import second_daemon
from helpers import event_doc, profile_doc, uid
from rpc import RpcError


def test_write_on_one_daemon_is_read_on_the_other(make_stack, tmp_path):
    stack = make_stack()
    other = second_daemon(stack, tmp_path)
    try:
        ev, pid = uid("ev"), uid("p")
        with stack.daemon.admin() as a:
            a.call("event.put", event_doc(ev))
            a.call("profile.put", profile_doc(ev, pid))
        with other.admin() as b:
            assert b.call("profile.get", event=ev, id=pid)["version"] == 1
    finally:
        other.stop()


def test_token_revoked_on_one_daemon_closes_its_connection_on_the_other(
        make_stack, tmp_path):
    stack = make_stack()
    other = second_daemon(stack, tmp_path)
    try:
        ev = uid("ev")
        with stack.daemon.admin() as a:
            a.call("event.put", event_doc(ev))
            tok = a.call("token.create", event=ev, role="app")
            with other.client() as b:
                assert b.call("auth", token=tok["token"])["role"] == "app"
                assert b.call("event.get", event=ev)["event"] == ev
                t0 = time.monotonic()
                assert a.call("token.revoke", event=ev, id=tok["id"]) == \
                    {"revoked": True}
                b.read_until_closed(timeout=5)
                elapsed = time.monotonic() - t0
            assert elapsed < 3, "closed only after %.2fs" % elapsed
        # and the token is dead on both daemons
        for d in (stack.daemon, other):
            with d.client() as c:
                try:
                    c.call("auth", token=tok["token"])
                    raise AssertionError("revoked token accepted")
                except RpcError as e:
                    assert e.code == "unauthorized"
    finally:
        other.stop()


def test_revocation_reaches_every_event_when_many_are_followed(make_stack,
                                                               tmp_path):
    """More events than one XREAD takes (500): the follower reads them in
    turns, so a revocation in any of them still closes its connections."""
    stack = make_stack()
    events = [uid("many") for _ in range(520)]
    with stack.daemon.admin() as a:
        replies = a.pipeline([("event.put", event_doc(ev)) for ev in events])
        assert all(r[2] is None for r in replies)
        picked = events[::26]                  # 20 events spread over all
        toks = {ev: a.call("token.create", event=ev, role="app")
                for ev in picked}
    other = second_daemon(stack, tmp_path)
    conns = []
    try:
        for ev in picked:
            c = other.client()
            assert c.call("auth", token=toks[ev]["token"])["role"] == "app"
            conns.append(c)
        with stack.daemon.admin() as a:
            for ev in picked:
                a.call("token.revoke", event=ev, id=toks[ev]["id"])
        for c in conns:
            c.read_until_closed(timeout=5)
    finally:
        for c in conns:
            c.close()
        other.stop()
