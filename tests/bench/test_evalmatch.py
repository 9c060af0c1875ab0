"""The matching evaluation as a test: a small generated expo through the
daemon's own engine (bin/expomatch-evalmatch). Planted complementary pairs
must find each other, and congestion must spread requests."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
EVAL = os.path.join(ROOT, "bin", "expomatch-evalmatch")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    if not os.access(EVAL, os.X_OK):
        pytest.fail("no %s (run make)" % EVAL)
    out = tmp_path_factory.mktemp("expo")
    subprocess.check_call(
        [sys.executable, os.path.join(ROOT, "tests/bench/gen_expo.py"),
         "--seed", "7", "--participants", "2000", "--out", str(out)],
        stdout=subprocess.DEVNULL)
    res = subprocess.run([EVAL, str(out), "--queries", "500", "--all",
                          "--rounds", "4"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.rstrip().endswith("evalmatch: ok"), res.stdout
    return res.stdout


def figure(text, pattern):
    m = re.search(pattern, text)
    assert m, "%r not in:\n%s" % (pattern, text)
    return float(m.group(1))


def test_planted_pairs_find_each_other(report):
    assert figure(report, r"recall@10 ([0-9.]+)") >= 0.95
    assert figure(report, r"partner ranked first ([0-9.]+)") >= 0.6


def test_congestion_spreads_requests(report):
    off = re.search(r"congestion off: ([0-9.]+)% .*Gini of requests "
                    r"([0-9.]+); most requested: (\d+)", report)
    on = re.search(r"congestion on : ([0-9.]+)% .*Gini of requests "
                   r"([0-9.]+); most requested: (\d+)", report)
    assert off and on, report
    # more participants get a request, requests are more even, and the
    # most requested participant gets fewer
    assert float(on.group(1)) > float(off.group(1))
    assert float(on.group(2)) < float(off.group(2))
    assert int(on.group(3)) < int(off.group(3))


def test_congestion_spreads_suggestions(report):
    pat = (r"after the day, congestion {}: ([0-9.]+)% of participants are "
           r"in someone's top 10; Gini of suggestions ([0-9.]+)")
    off = re.search(pat.format("off"), report)
    on = re.search(pat.format("on "), report)
    assert off and on, report
    assert float(on.group(1)) > float(off.group(1))
    assert float(on.group(2)) < float(off.group(2))


def test_incremental_puts_and_queries_ran(report):
    assert figure(report, r"= (\d+) puts/s in the engine") > 0
    assert figure(report, r"p99 ([0-9.]+) ms") > 0
