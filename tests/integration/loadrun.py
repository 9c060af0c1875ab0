"""expomatch-loadgen as a background load for fault tests: started with an
ack log and retries, waited on until its day is under way, then reaped
and its report parsed (the per-method rows, the `faults:` line and the
final `loadgen:` line)."""
import os
import re
import subprocess
import time

from test_loadgen import FINAL, loadgen_binary, parse

FAULTS = re.compile(
    r"^faults: unavailable=(\d+) retries=(\d+) reconnects=(\d+) "
    r"attempt_timeouts=(\d+) max_attempt_ms=([\d.]+)$", re.M)


class LoadRun:
    """One loadgen process against daemon port(s)."""

    def __init__(self, workdir, port, token, event, seconds=8,
                 participants=60, kiosks=2, apps=2, retry=20,
                 timeout_ms=4000, extra=()):
        self.ack_path = os.path.join(str(workdir), "ack-%s.log" % event)
        self.event = event
        self.participants = participants
        self.argv = [loadgen_binary(), "-h", "127.0.0.1", "-p", str(port),
                     "-a", token, "--event", event,
                     "--seconds", str(seconds),
                     "--participants", str(participants),
                     "--kiosks", str(kiosks), "--apps", str(apps),
                     "--timeout", str(timeout_ms),
                     "--ack-log", self.ack_path]
        # retry None: the loadgen's behaviour without --retry.
        if retry is not None:
            self.argv += ["--retry", str(retry)]
        self.argv += [str(a) for a in extra]
        self.proc = None
        self.out = self.err = ""

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL)
        return self

    def acks(self):
        try:
            with open(self.ack_path, "rb") as f:
                return f.read().count(b"\n")
        except OSError:
            return 0

    def wait_day(self, more=100, timeout=20):
        """Until setup is done and `more` writes of the day were
        acknowledged: the fault then hits a run under load."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.finish()
                raise AssertionError("loadgen ended early:\n%s\n%s"
                                     % (self.out, self.err))
            if self.acks() >= self.participants + more:
                return
            time.sleep(0.05)
        raise AssertionError("loadgen day did not get going (%d acks)"
                             % self.acks())

    def finish(self, timeout=60):
        """Waits for the end; returns (returncode, final, rows, faults)."""
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise AssertionError("loadgen did not finish in %ss:\n%s"
                                 % (timeout, err.decode()))
        self.out = out.decode("utf-8", "replace")
        self.err = err.decode("utf-8", "replace")
        if FINAL.search(self.out) is None:
            raise AssertionError("no report from loadgen (exit %s):\n%s\n%s"
                                 % (self.proc.returncode, self.out, self.err))
        final, rows = parse(self)
        m = FAULTS.search(self.out)
        assert m, self.out
        faults = dict(zip(["unavailable", "retries", "reconnects",
                           "attempt_timeouts"], map(int, m.groups()[:4])))
        faults["max_attempt_ms"] = float(m.group(5))
        return self.proc.returncode, final, rows, faults

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()

    def report(self):
        return "%s\n%s" % (self.out, self.err)
