"""A reply without an error means durable; Redis down means `unavailable`
promptly, never a hang; Redis back means service again without a restart.
Each test has a redis-server (AOF, appendfsync always) and a daemon of its
own, so it can kill -9 them."""
import threading
import time

from helpers import event_doc, expect_error, profile_doc, uid, wait_until
import rpc
from rpc import RpcError, error_of

TIMEOUT_ARGS = ["--redis-timeout-ms", "500"]


def _restart_all(st):
    """kill -9 Redis and the daemon, start both again on the same ports."""
    st.redis.kill9()
    st.daemon.kill9()
    st.redis.start()
    st.daemon.start()


def test_acknowledged_puts_survive_kill9_of_redis_and_daemon(make_stack):
    st = make_stack(TIMEOUT_ARGS)
    d = st.daemon
    ev = uid("ev")
    with d.admin() as a:
        a.call("event.put", event_doc(ev))
        versions = {}
        for i in range(20):
            pid = "p%02d" % i
            for v in range(1, 1 + (i % 3) + 1):
                res = a.call("profile.put", profile_doc(
                    ev, pid, company="Co %s v%d" % (pid, v),
                    contact={"email": "%s@example.org" % pid}))
                versions[pid] = (res["version"], "Co %s v%d" % (pid, v))
                assert res["version"] == v
    _restart_all(st)
    with d.admin() as a:
        assert a.call("event.get", event=ev)["name"] == event_doc(ev)["name"]
        for pid, (v, company) in versions.items():
            got = a.call("profile.get", event=ev, id=pid)
            assert got["company"] == company, pid
            assert got.get("version", v) == v, pid
            assert got["contact"] == {"email": "%s@example.org" % pid}
            # the next put continues the version sequence
        assert a.call("profile.put", profile_doc(ev, "p00"))["version"] == \
            versions["p00"][0] + 1


def test_puts_acknowledged_while_redis_is_killed_survive(make_stack):
    st = make_stack(TIMEOUT_ARGS)
    d = st.daemon
    ev = uid("ev")
    with d.admin() as a:
        a.call("event.put", event_doc(ev))
        ids = ["k%03d" % i for i in range(300)]
        msgids = []
        chunks = []
        for pid in ids:
            m = a.new_msgid()
            msgids.append(m)
            chunks.append(rpc.request_bytes(m, "profile.put",
                                             profile_doc(ev, pid)))
        a.send_raw(b"".join(chunks))
        time.sleep(0.01)
        st.redis.kill9()
        acked = []
        for pid, m in zip(ids, msgids):
            resp = a.read_response(timeout=5)
            assert resp[1] == m
            if resp[2] is None:
                assert resp[3] == {"id": pid, "version": 1}
                acked.append(pid)
            else:
                assert error_of(resp)[0] == "unavailable", resp
    st.redis.start()
    st.daemon.kill9()
    st.daemon.start()
    with d.admin() as a:
        for pid in acked:
            got = a.call("profile.get", event=ev, id=pid)
            assert got["id"] == pid and got.get("version", 1) == 1


def _timed_put(client, ev, pid):
    t0 = time.monotonic()
    try:
        client.call("profile.put", profile_doc(ev, pid))
        code = None
    except RpcError as e:
        code = e.code
    return code, time.monotonic() - t0


def test_redis_killed_gives_unavailable_promptly_then_recovers(make_stack):
    st = make_stack(TIMEOUT_ARGS)
    d = st.daemon
    ev = uid("ev")
    with d.admin() as a:
        a.call("event.put", event_doc(ev))
        a.call("profile.put", profile_doc(ev, "before"))
        st.redis.kill9()
        for i in range(3):
            code, took = _timed_put(a, ev, "down%d" % i)
            assert code == "unavailable", code
            assert took < 1.5, took
        code = None
        t0 = time.monotonic()
        try:
            a.call("event.put", event_doc(ev, name="while down"))
        except RpcError as e:
            code = e.code
        assert code == "unavailable" and time.monotonic() - t0 < 1.5
        # /healthz says so
        wait_until(lambda: d.http_get("/healthz", timeout=2)[0] == 503, 3,
                   what="/healthz 503 with Redis down")
        # ping does not need Redis
        assert a.call("ping") == "pong"
        # Redis comes back on the same port: service resumes, no restart
        st.redis.start()

        def put_works():
            return _timed_put(a, ev, "after")[0] is None
        wait_until(put_works, 10, interval=0.2, what="put after Redis is back")
        assert a.call("profile.get", event=ev, id="before")["id"] == "before"
        assert a.call("profile.get", event=ev, id="after")["id"] == "after"
        assert a.call("event.get", event=ev)["name"] != "while down"
        wait_until(lambda: d.http_get("/healthz", timeout=2)[0] == 200, 5,
                   what="/healthz 200 with Redis back")
    assert d.alive()


def test_redis_not_answering_gives_unavailable_within_timeout(make_stack):
    st = make_stack(TIMEOUT_ARGS)
    d = st.daemon
    ev = uid("ev")
    with d.admin() as a:
        a.call("event.put", event_doc(ev))
        st.redis.pause()                   # SIGSTOP: connected but silent
        try:
            code, took = _timed_put(a, ev, "frozen")
            assert code == "unavailable", code
            assert took < 0.5 + 1.0, took
            # other connections are not stalled meanwhile
            with d.client(timeout=2) as other:
                assert other.call("ping") == "pong"
            code, took = _timed_put(a, ev, "frozen2")
            assert code == "unavailable" and took < 1.5, (code, took)
        finally:
            st.redis.resume()

        def put_works():
            return _timed_put(a, ev, "thawed")[0] is None
        wait_until(put_works, 10, interval=0.2, what="put after SIGCONT")
        assert a.call("profile.get", event=ev, id="thawed")["id"] == "thawed"


def test_daemon_restart_keeps_tokens_and_events(make_stack):
    st = make_stack(TIMEOUT_ARGS)
    d = st.daemon
    ev = uid("ev")
    with d.admin() as a:
        a.call("event.put", event_doc(ev))
        tok = a.call("token.create", event=ev, role="organizer")
        gone = a.call("token.create", event=ev, role="app")
        a.call("token.revoke", event=ev, id=gone["id"])
    _restart_all(st)
    with d.client() as c:
        assert c.call("auth", token=tok["token"]) == {"role": "organizer",
                                                      "events": [ev]}
        assert c.call("event.get", event=ev)["event"] == ev
    with d.client() as c:
        expect_error("unauthorized", c.call, "auth", token=gone["token"])


def test_daemon_starts_while_redis_is_down_and_waits_for_it(make_stack):
    st = make_stack(TIMEOUT_ARGS)
    st.daemon.kill9()
    st.redis.kill9()
    proc_started = time.monotonic()
    # Redis comes back 1.5s after the daemon starts
    timer = threading.Timer(1.5, st.redis.start)
    timer.start()
    try:
        st.daemon.start(timeout=20)
    finally:
        timer.join()
    assert time.monotonic() - proc_started >= 1.0
    with st.daemon.admin() as a:
        assert a.call("ping") == "pong"
