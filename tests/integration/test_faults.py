"""Faults under load, with nothing acknowledged lost. Each test runs
expomatch-loadgen (--retry, --ack-log) against a daemon and a redis-server
of its own (AOF, appendfsync always), injects one fault in the middle of
the day, and then compares every acknowledged write with the store
(ackcheck.py): kill -9 of Redis and a restart on the same port and
directory; Redis frozen (SIGSTOP) for 5 s, during which clients get
`unavailable` promptly and never hang, and their retries with the same
request_id create nothing twice; kill -9 of the daemon and a restart;
clients that vanish in the middle of a request."""
import os
import socket
import time

import pytest

import ackcheck
import rpc
from helpers import event_doc, profile_doc, uid
from loadrun import LoadRun, loadgen_binary
from rpc import RpcError

# A short store deadline, so that a frozen Redis shows as `unavailable`
# quickly; the loadgen's own call deadline is far above it, so a call that
# hangs shows as an attempt timeout instead.
REDIS_TIMEOUT_MS = 300
ARGS = ["--redis-timeout-ms", str(REDIS_TIMEOUT_MS)]
# What "promptly" means for one call while Redis is frozen or gone: the
# store deadline (a request may wait for one or two Redis commands) plus a
# generous margin for a loaded 2-core machine under ASan. Well under the
# loadgen's 4 s call deadline, which a hung call would hit.
PROMPT_S = 2.5


@pytest.fixture(autouse=True)
def need_loadgen():
    if not os.access(loadgen_binary(), os.X_OK):
        pytest.skip("no expomatch-loadgen binary")


def check_run(run, st, result, expect_unavailable=True):
    """The loadgen finished cleanly, then every acknowledged write is in
    the store."""
    rc, final, rows, faults = result
    assert rc == 0, run.report()
    assert final["errors"] == 0, run.report()
    assert faults["attempt_timeouts"] == 0, run.report()
    if expect_unavailable:
        assert faults["unavailable"] > 0, run.report()
    with st.daemon.admin() as a:
        counts = ackcheck.check(a, run.ack_path, run.event, redis=st.redis)
    # The day did write: the check had something to compare.
    assert counts["profiles"] == run.participants, counts
    assert counts["meetings"] > 0, counts
    print("fault run %s: %d acknowledged writes checked, none lost "
          "(%d meetings, %d request_ids, %d check-ins); unavailable=%d "
          "retries=%d reconnects=%d max_attempt_ms=%.0f" % (
              run.event, counts["acks"], counts["meetings"],
              counts["request_ids"], counts["checkins"],
              faults["unavailable"], faults["retries"],
              faults["reconnects"], faults["max_attempt_ms"]))
    return counts, faults


def test_kill9_redis_under_load_loses_no_acknowledged_write(make_stack,
                                                             tmp_path):
    st = make_stack(ARGS)
    run = LoadRun(tmp_path, st.daemon.port, st.daemon.admin_token,
                  uid("fk"), seconds=7).start()
    try:
        run.wait_day()
        st.redis.kill9()
        time.sleep(0.7)
        st.redis.start()
        result = run.finish()
    finally:
        run.kill()
    counts, faults = check_run(run, st, result)
    assert faults["retries"] > 0, run.report()
    assert st.daemon.alive()


def test_redis_frozen_5s_gives_prompt_unavailable_and_no_duplicates(
        make_stack, tmp_path):
    st = make_stack(ARGS)
    run = LoadRun(tmp_path, st.daemon.port, st.daemon.admin_token,
                  uid("fs"), seconds=9).start()
    try:
        run.wait_day()
        ev = run.event
        with st.daemon.admin() as probe:
            st.redis.pause()
            try:
                t_freeze = time.monotonic()
                # A client of our own sees `unavailable` promptly, twice
                # (the first call may be the one that waits out the store
                # deadline; the next fails at once), and never a hang.
                for i in range(2):
                    t0 = time.monotonic()
                    with pytest.raises(RpcError) as e:
                        probe.call("profile.put", profile_doc(ev, "probe"))
                    assert e.value.code == "unavailable"
                    assert time.monotonic() - t0 < PROMPT_S
                assert probe.call("ping") == "pong"
                time.sleep(max(0, 5 - (time.monotonic() - t_freeze)))
            finally:
                st.redis.resume()
        result = run.finish()
    finally:
        st.redis.resume()
        run.kill()
    counts, faults = check_run(run, st, result)
    # Every single attempt of the loadgen ended promptly, frozen or not.
    assert faults["max_attempt_ms"] < PROMPT_S * 1000, run.report()
    assert faults["retries"] > 0, run.report()


def test_redis_frozen_during_setup_is_retried(make_stack, tmp_path):
    """A store that stalls while the loadgen registers its event and
    participants (a slow CI machine does this by itself) makes setup calls
    `unavailable`; with --retry they are sent again, not fatal."""
    st = make_stack(ARGS)
    run = LoadRun(tmp_path, st.daemon.port, st.daemon.admin_token,
                  uid("fu"), seconds=3)
    st.redis.pause()
    try:
        run.start()
        time.sleep(1.5)
        st.redis.resume()
        result = run.finish()
    finally:
        st.redis.resume()
        run.kill()
    counts, faults = check_run(run, st, result)
    assert faults["retries"] > 0, run.report()


def test_kill9_daemon_under_load_loses_no_acknowledged_write(make_stack,
                                                              tmp_path):
    st = make_stack(ARGS)
    run = LoadRun(tmp_path, st.daemon.port, st.daemon.admin_token,
                  uid("fd"), seconds=8).start()
    try:
        run.wait_day()
        st.daemon.kill9()
        st.daemon.start()
        result = run.finish()
    finally:
        run.kill()
    counts, faults = check_run(run, st, result, expect_unavailable=False)
    assert faults["reconnects"] > 0, run.report()


def _raw_auth(port, token):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(rpc.request_bytes(1, "auth", {"token": token}))
    # Read the auth reply whole before going on.
    unpacker = rpc.msgpack.Unpacker(raw=False)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        unpacker.feed(s.recv(4096))
        for msg in unpacker:
            assert msg[2] is None, msg
            return s
    raise AssertionError("no auth reply")


def test_clients_vanishing_mid_request_leave_all_or_nothing(make_stack,
                                                            tmp_path):
    st = make_stack(ARGS)
    d = st.daemon
    run = LoadRun(tmp_path, d.port, d.admin_token, uid("fc"),
                  seconds=6).start()
    ev = uid("half")
    sent = {}
    try:
        run.wait_day()
        with d.admin() as a:
            a.call("event.put", event_doc(ev))
            a.call("profile.put", profile_doc(ev, "target"))
        for i in range(40):
            pid = "v%02d" % i
            doc = profile_doc(ev, pid, company="Vanishing %d" % i)
            req = rpc.request_bytes(2, "profile.put", doc)
            mreq = rpc.request_bytes(3, "meeting.request", {
                "event": ev, "from": pid, "to": "target",
                "request_id": "vanish-%d" % i})
            s = _raw_auth(d.port, d.admin_token)
            if i % 2:
                # Half a request, then gone.
                s.sendall(req[:len(req) // 2])
            else:
                # A whole write (and a request with a request_id), then
                # gone before reading the replies.
                s.sendall(req + mreq)
                sent[pid] = doc
            s.close()
        result = run.finish()
    finally:
        run.kill()
    check_run(run, st, result, expect_unavailable=False)
    assert d.alive()
    with d.admin() as a:
        assert a.call("ping") == "pong"
        for i in range(40):
            pid = "v%02d" % i
            try:
                got = a.call("profile.get", event=ev, id=pid)
            except RpcError as e:
                assert e.code == "not_found" and pid not in sent, (pid, e)
                continue
            # Never a half-written profile, never one only half sent.
            assert pid in sent, pid
            assert got["company"] == sent[pid]["company"]
            assert got["version"] == 1
        # A request whose reply nobody read either happened once or not at
        # all: sending it again with its request_id gives the one meeting.
        mids = set()
        for i in range(0, 40, 2):
            pid = "v%02d" % i
            m = a.call("meeting.request", event=ev, **{
                "from": pid, "to": "target", "request_id": "vanish-%d" % i})
            mids.add(m["meeting"])
        meetings = ackcheck.all_meetings(a, ev)
        assert {m["meeting"] for m in meetings} == mids
        assert len(meetings) == 20


def test_loadgen_without_retry_stops_a_lost_worker(make_stack, tmp_path):
    """Without --retry the loadgen keeps its old behaviour: a lost
    connection ends that worker's sessions (counted as errors), no
    reconnects; the faults line is not printed."""
    st = make_stack(ARGS)
    run = LoadRun(tmp_path, st.daemon.port, st.daemon.admin_token,
                  uid("nr"), seconds=3, retry=None).start()
    try:
        run.wait_day(more=20)
        st.daemon.kill9()
        out, err = run.proc.communicate(timeout=30)
    finally:
        run.kill()
    assert run.proc.returncode == 1, (out, err)
    assert b"lost its connection" in err
    assert b"faults:" not in out
    # What was acknowledged before the kill is there after a restart.
    st.daemon.start()
    with st.daemon.admin() as a:
        ackcheck.check(a, run.ack_path, run.event, redis=st.redis)
