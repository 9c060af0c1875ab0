"""The long soak behind `make soak` (skipped unless EXPOMATCH_SOAK_SECONDS
is set): one daemon and a Redis with an append-only file, the load
generator with retries and an ack log for the whole time, and every
SOAK_FAULT_EVERY seconds a fault in turn: Redis killed and restarted,
Redis frozen for 5 s, the daemon killed and restarted. Afterwards every
acknowledged write is checked against the store, and the daemon's memory
must not have kept growing across the day (sampled between faults while
the same daemon lives)."""
import os
import time

import pytest

from loadrun import LoadRun, loadgen_binary
from helpers import uid
from test_faults import ARGS, check_run

SECONDS = float(os.environ.get("EXPOMATCH_SOAK_SECONDS", "0"))
FAULT_EVERY = float(os.environ.get("SOAK_FAULT_EVERY", "60"))

pytestmark = pytest.mark.skipif(
    SECONDS <= 0, reason="a soak run: make soak (EXPOMATCH_SOAK_SECONDS)")


def fault(st, n):
    """The n-th fault: the three kinds in turn."""
    kind = n % 3
    if kind == 0:
        st.redis.kill9()
        time.sleep(0.7)
        st.redis.start()
    elif kind == 1:
        st.redis.pause()
        try:
            time.sleep(5)
        finally:
            st.redis.resume()
    else:
        st.daemon.kill9()
        st.daemon.start()
    return ("redis killed", "redis frozen 5 s", "daemon killed")[kind]


def test_soak_under_faults_loses_nothing_and_does_not_grow(make_stack,
                                                           tmp_path):
    if not os.access(loadgen_binary(), os.X_OK):
        pytest.skip("no expomatch-loadgen binary")
    st = make_stack(ARGS)
    run = LoadRun(tmp_path, st.daemon.port, st.daemon.admin_token,
                  uid("soak"), seconds=SECONDS, participants=500,
                  kiosks=4, apps=4, timeout_ms=8000).start()
    samples = []  # (daemon pid, rss) between faults
    faults = []
    try:
        run.wait_day()
        t_end = time.monotonic() + SECONDS - 10
        n = 0
        while time.monotonic() + FAULT_EVERY < t_end:
            time.sleep(FAULT_EVERY / 2)
            samples.append((st.daemon.pid, st.daemon.status()["VmRSS"]))
            time.sleep(FAULT_EVERY / 2)
            faults.append(fault(st, n))
            n += 1
        result = run.finish(timeout=SECONDS + 120)
    finally:
        st.redis.resume()
        run.kill()
    counts, _ = check_run(run, st, result, expect_unavailable=bool(faults))
    # Growth within one daemon's life: the last sample of the longest-lived
    # pid against its first; a leak per call would show as steady growth.
    by_pid = {}
    for pid, rss in samples:
        by_pid.setdefault(pid, []).append(rss)
    longest = max(by_pid.values(), key=len)
    print("soak: %.0f s, %d faults (%s), %d acknowledged writes checked; "
          "daemon RSS samples (KB) of its longest life: %s" % (
              SECONDS, len(faults), ", ".join(faults), counts["acks"],
              longest))
    if len(longest) >= 3:
        assert longest[-1] < longest[1] * 1.5 + 20000, longest
