"""expomatch-loadgen against the real daemon and Redis: a short expo day
finishes within its bounds with no real errors and every method of the
flows exercised; the state it leaves is consistent (counts, no participant
or table double-booked, check-ins); --ops stops at exactly K; a wrong admin
token and an unreachable port fail promptly with a clear message."""
import collections
import os
import re
import subprocess
import time

import pytest

from conftest import client_binary, free_port, running_stack
from ackcheck import all_meetings

FLOW_METHODS = ["profile.put", "match.top", "meeting.request",
                "meeting.respond", "meeting.inbox", "agenda.get", "checkin"]
FINAL = re.compile(
    r"^loadgen: ops=(\d+) ok=(\d+) expected=(\d+) errors=(\d+) "
    r"seconds=([\d.]+) ops_per_s=([\d.]+) p50_ms=([\d.]+) p99_ms=([\d.]+) "
    r"p999_ms=([\d.]+)$", re.M)
ROW = re.compile(r"^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)"
                 r"\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", re.M)


def loadgen_binary():
    return client_binary("expomatch-loadgen")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not os.access(loadgen_binary(), os.X_OK):
        pytest.skip("no expomatch-loadgen binary")
    with running_stack(tmp_path_factory.mktemp("loadgen")) as st:
        yield st


def run_loadgen(stack, *args, timeout=60, token=None):
    argv = [loadgen_binary(), "-h", "127.0.0.1",
            "-p", str(stack.daemon.port),
            "-a", token or stack.daemon.admin_token] + [str(a) for a in args]
    t0 = time.monotonic()
    res = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, timeout=timeout)
    res.elapsed = time.monotonic() - t0
    res.out = res.stdout.decode("utf-8", "replace")
    res.err = res.stderr.decode("utf-8", "replace")
    return res


def parse(res):
    m = FINAL.search(res.out)
    assert m, "no final line in:\n%s\n%s" % (res.out, res.err)
    keys = ["ops", "ok", "expected", "errors", "seconds", "ops_per_s",
            "p50_ms", "p99_ms", "p999_ms"]
    final = {k: float(v) for k, v in zip(keys, m.groups())}
    rows = {}
    for r in ROW.finditer(res.out):
        rows[r.group(1)] = {"ops": int(r.group(2)), "ok": int(r.group(3)),
                            "expected": int(r.group(4)),
                            "errors": int(r.group(5))}
    return final, rows


def test_short_expo_day_is_clean_and_leaves_consistent_state(stack):
    ev = "lg-day"
    res = run_loadgen(stack, "--kiosks", 2, "--apps", 3, "--seconds", 3,
                      "--participants", 120, "--event", ev, "--seed", 7)
    assert res.returncode == 0, res.out + res.err
    assert res.elapsed < 30, res.elapsed
    final, rows = parse(res)
    assert final["errors"] == 0, res.out
    assert final["ops"] > 0 and final["ops"] == sum(
        rows[m]["ops"] for m in FLOW_METHODS), res.out
    assert final["ok"] + final["expected"] == final["ops"]
    assert 2.5 <= final["seconds"] <= 15, final
    assert final["p50_ms"] <= final["p99_ms"] <= final["p999_ms"]
    for m in FLOW_METHODS:
        assert rows[m]["ops"] > 0, "%s never ran:\n%s" % (m, res.out)
        assert rows[m]["errors"] == 0

    admin = stack.daemon.admin()
    try:
        stats = admin.call("stats.get", {"event": ev})
        meetings = all_meetings(admin, ev)
    finally:
        admin.close()
    # Registered participants, by side (every fifth is `both`).
    assert sum(stats["participants"].values()) == 120, stats
    assert stats["participants"]["both"] == 24, stats
    # Every successful request made one meeting, and only those exist.
    created = rows["meeting.request"]["ok"]
    answered = rows["meeting.respond"]["ok"]
    assert created > 0 and answered > 0
    assert len(meetings) == created, (len(meetings), created)
    by_status = collections.Counter(m["status"] for m in meetings)
    for status, n in stats["meetings"].items():
        assert by_status.get(status, 0) == n, (status, stats, by_status)
    # Each successful answer moved one request out of `requested`.
    assert stats["meetings"]["requested"] == created - answered, stats
    assert (stats["meetings"]["accepted"] + stats["meetings"]["scheduled"] +
            stats["meetings"]["declined"]) == answered, stats
    # No participant in two meetings of one slot; no table used twice.
    seen_people, seen_tables = set(), set()
    for m in meetings:
        if m["status"] != "scheduled":
            continue
        for who in (m["from"], m["to"]):
            assert (m["slot"], who) not in seen_people, m
            seen_people.add((m["slot"], who))
        assert (m["slot"], m["table"]) not in seen_tables, m
        seen_tables.add((m["slot"], m["table"]))
    assert stats["meetings"]["scheduled"] > 0, stats
    assert 0 < stats["checked_in"] <= 120, stats


def test_ops_stops_at_exactly_k(stack):
    res = run_loadgen(stack, "--kiosks", 1, "--apps", 2, "--ops", 777,
                      "--participants", 40, "--event", "lg-ops", "--seed", 3)
    assert res.returncode == 0, res.out + res.err
    final, rows = parse(res)
    assert final["ops"] == 777, res.out
    assert sum(rows[m]["ops"] for m in FLOW_METHODS) == 777


def test_rate_limit_bounds_throughput(stack):
    res = run_loadgen(stack, "--kiosks", 1, "--apps", 1, "--seconds", 1.5,
                      "--rate", 100, "--participants", 20,
                      "--event", "lg-rate")
    assert res.returncode == 0, res.out + res.err
    final, _ = parse(res)
    # At most rate x time (+1 for the first call), and not far below it.
    assert 60 <= final["ops"] <= 151, res.out


def test_wrong_admin_token_fails_clearly(stack):
    res = run_loadgen(stack, "--seconds", 1, "--event", "lg-bad",
                      token="not-the-admin-token-at-all", timeout=20)
    assert res.returncode == 2, res.out + res.err
    assert "auth refused" in res.err and "unauthorized" in res.err, res.err
    assert "loadgen:" not in res.out
    assert res.elapsed < 10


def test_unreachable_port_fails_promptly(stack):
    argv = [loadgen_binary(), "-h", "127.0.0.1", "-p", str(free_port()),
            "-a", "whatever-token-1234", "--seconds", 1]
    t0 = time.monotonic()
    res = subprocess.run([str(a) for a in argv], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                         timeout=20)
    assert time.monotonic() - t0 < 8
    assert res.returncode == 3, res
    assert b"cannot connect" in res.stderr, res.stderr


def test_sigint_stops_with_summary(stack):
    argv = [loadgen_binary(), "-p", str(stack.daemon.port),
            "-a", stack.daemon.admin_token, "--seconds", 60,
            "--participants", 30, "--event", "lg-int", "--kiosks", 1,
            "--apps", 1]
    p = subprocess.Popen([str(a) for a in argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL)
    try:
        time.sleep(1.5)
        p.send_signal(2)
        out, err = p.communicate(timeout=15)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, (out, err)
    m = FINAL.search(out.decode())
    assert m and int(m.group(1)) > 0, out
    assert float(m.group(5)) < 10


def test_usage_errors(stack):
    res = subprocess.run([loadgen_binary(), "--kiosks", "x"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=10)
    assert res.returncode == 64
    assert b"bad option value" in res.stderr
    res = subprocess.run([loadgen_binary(), "--help"],
                         stdout=subprocess.PIPE, timeout=10)
    assert res.returncode == 0 and b"loadgen: ops=N" in res.stdout
