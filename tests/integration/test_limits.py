"""Connection limits: auth-timeout, idle-timeout, rate-limit, maxclients.
Each test starts a daemon of its own with the limit under test."""
import time

from helpers import ping_ok, wait_until
from rpc import ConnectionClosed, error_of


def test_unauthenticated_connection_closed_after_auth_timeout(make_stack):
    d = make_stack(["--auth-timeout", "1"]).daemon
    t0 = time.monotonic()
    with d.client() as c:
        assert c.call("ping") == "pong"          # a ping is not an auth
        c.read_until_closed(timeout=4)
        elapsed = time.monotonic() - t0
    assert elapsed >= 0.9, "closed %.2fs after connect, before the " \
        "auth-timeout of 1s" % elapsed
    assert elapsed <= 4.0
    assert ping_ok(d)


def test_authenticated_connection_outlives_auth_timeout(make_stack):
    d = make_stack(["--auth-timeout", "1"]).daemon
    with d.admin() as c:
        time.sleep(1.8)
        assert c.call("ping") == "pong"


def test_silent_authenticated_connection_closed_after_idle_timeout(make_stack):
    d = make_stack(["--idle-timeout", "1"]).daemon
    with d.admin() as c:
        # activity every 0.3s keeps it open well past the idle timeout
        for i in range(7):
            time.sleep(0.3)
            try:
                assert c.call("ping") == "pong"
            except ConnectionClosed:
                raise AssertionError("closed while active: request %d, 0.3s "
                                     "after the previous one" % i)
        t0 = time.monotonic()
        c.read_until_closed(timeout=4)
        elapsed = time.monotonic() - t0
    assert elapsed >= 0.9, "closed %.2fs after the last request, before " \
        "the idle-timeout of 1s" % elapsed
    assert elapsed <= 4.0
    assert ping_ok(d)


def test_idle_timeout_zero_by_default_keeps_connections(make_stack):
    d = make_stack().daemon
    with d.admin() as c:
        time.sleep(1.5)
        assert not c.is_closed(0.1)
        assert c.call("ping") == "pong"


def test_rate_limit_answers_excess_requests_with_rate_limited(make_stack):
    d = make_stack(["--rate-limit", "20"]).daemon
    with d.admin() as c:
        time.sleep(1.1)   # a fresh budget
        out = c.pipeline([("ping", None)] * 100)
        ok = sum(1 for r in out if r[2] is None)
        limited = [r for r in out if r[2] is not None]
        assert all(error_of(r)[0] == "rate_limited" for r in limited)
        assert 1 <= ok <= 45, ok
        assert len(limited) >= 55
        # the connection stays usable and the budget refills
        time.sleep(1.2)
        assert c.call("ping") == "pong"


def test_rate_limit_is_per_connection(make_stack):
    d = make_stack(["--rate-limit", "20"]).daemon
    with d.admin() as a, d.admin() as b:
        time.sleep(1.1)
        a.pipeline([("ping", None)] * 100)
        assert b.call("ping") == "pong"


def test_connection_over_maxclients_gets_unavailable_and_is_closed(
        make_stack, clients):
    d = make_stack(["--maxclients", "5"]).daemon
    held = [clients(d.client()) for _ in range(5)]
    for c in held:
        assert c.call("ping") == "pong"
    extra = clients(d.client())
    msgs = extra.read_until_closed(timeout=3)
    assert len(msgs) == 1, msgs
    assert error_of(msgs[0])[0] == "unavailable"
    assert msgs[0][1] == 0
    # the five held connections still work
    for c in held:
        assert c.call("ping") == "pong"
    # one leaves, a newcomer gets in
    held[0].close()

    def newcomer_gets_in():
        c = clients(d.client())
        try:
            return c.call("ping") == "pong"
        except Exception:
            return False
    wait_until(newcomer_gets_in, 3, interval=0.1, what="a free client slot")
