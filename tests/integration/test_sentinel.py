"""Redis Sentinel: a primary, a replica and three sentinels on free loopback
ports (failover within a few seconds), a daemon configured with
`sentinel`, the loadgen writing. kill -9 of the primary under load: the
daemon finds the new primary and carries on (writes succeed again within a
bound; the failover time is printed, run with -s), and every write that
was acknowledged and replicated before the kill is on the new primary
(docs/operations.md: asynchronous replication may lose what was
acknowledged but not yet replicated; the figure is printed too)."""
import os
import shutil
import time

import pytest

import ackcheck
from conftest import LIVE_REDIS, REDIS_SERVER, Daemon, RedisServer, \
    free_port, tail
from helpers import event_doc, profile_doc, uid
from loadrun import LoadRun, loadgen_binary
from rpc import RpcError

MASTER = "emtest"
REDIS_TIMEOUT_MS = 300
DOWN_AFTER_MS = 1000
# kill -9 to a successful write through the daemon: down-after (1 s), the
# vote and promotion (about 1-2 s), the daemon's reconnect backoff (up to
# 2 s). Far above what it takes, so a slow machine does not fail it, far
# below "never".
FAILOVER_BOUND_S = 20


class Replica(RedisServer):
    """redis-server replicating from a primary, with its own AOF."""

    def __init__(self, workdir, primary_port):
        super().__init__(workdir)
        self.primary_port = primary_port

    def argv(self):
        return super().argv() + ["--replicaof", "127.0.0.1",
                                 str(self.primary_port)]


class Sentinel(RedisServer):
    """redis-server --sentinel with a config file of its own (Sentinel
    rewrites it)."""

    def __init__(self, workdir, primary_port):
        super().__init__(workdir)
        self.conf = self.dir / "sentinel.conf"
        self.conf.write_text(
            "port %d\nbind 127.0.0.1\ndir %s\nlogfile %s\n"
            "sentinel monitor %s 127.0.0.1 %d 2\n"
            "sentinel down-after-milliseconds %s %d\n"
            "sentinel failover-timeout %s 4000\n"
            "sentinel parallel-syncs %s 1\n" % (
                self.port, self.dir, self.logfile, MASTER, primary_port,
                MASTER, DOWN_AFTER_MS, MASTER, MASTER))

    def argv(self):
        return [REDIS_SERVER, str(self.conf), "--sentinel"]

    def primary(self):
        out = self.cli("SENTINEL", "get-master-addr-by-name", MASTER)
        parts = out.decode().split()
        return int(parts[1]) if len(parts) == 2 else None


def info(server, section="replication"):
    out = server.cli("INFO", section).decode()
    return dict(line.split(":", 1) for line in out.splitlines()
                if ":" in line)


def wait(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError("%s not within %ss" % (what, timeout))


@pytest.fixture
def cluster(tmp_path):
    if shutil.which(REDIS_SERVER) is None:
        pytest.skip("no redis-server")
    if not os.access(loadgen_binary(), os.X_OK):
        pytest.skip("no expomatch-loadgen binary")
    primary = RedisServer(tmp_path / "primary").start()
    replica = Replica(tmp_path / "replica", primary.port).start()
    sentinels = [Sentinel(tmp_path / ("s%d" % i), primary.port).start()
                 for i in range(3)]
    servers = [primary, replica] + sentinels
    try:
        wait(lambda: info(replica).get("master_link_status") == "up", 15,
             "replica in sync")
        # Each sentinel knows the replica and the two other sentinels:
        # only then can they agree on a failover.
        def ready(s):
            r = s.cli("SENTINEL", "replicas", MASTER).decode()
            o = s.cli("SENTINEL", "sentinels", MASTER).decode()
            return str(replica.port) in r and \
                sum(str(x.port) in o for x in sentinels) == 2
        wait(lambda: all(ready(s) for s in sentinels), 20,
             "sentinels know each other and the replica")
        yield primary, replica, sentinels
    finally:
        for s in servers:
            s.stop()
        for s in servers:
            if s in LIVE_REDIS:
                LIVE_REDIS.remove(s)


def start_daemon(tmp_path, sentinels):
    spec = "%s %s" % (MASTER, ",".join("127.0.0.1:%d" % s.port
                                       for s in sentinels))
    # --redis points nowhere: with `sentinel` the daemon must not use it.
    d = Daemon(free_port(), tmp_path / "daemon",
               ["--sentinel", spec, "--redis-timeout-ms", REDIS_TIMEOUT_MS])
    return d.start()


def test_daemon_finds_the_primary_through_sentinels(cluster, tmp_path):
    primary, replica, sentinels = cluster
    d = start_daemon(tmp_path, sentinels)
    try:
        ev = uid("sn")
        with d.admin() as a:
            a.call("event.put", event_doc(ev))
            assert a.call("profile.put", profile_doc(ev, "x"))["version"] == 1
        assert primary.cli("EXISTS", "em:{%s}:p:x" % ev).strip() == b"1"
        assert "sentinels name 127.0.0.1 port %d" % primary.port in \
            d.log_text()
    finally:
        d.stop()
    assert d.sanitizer_report() is None, d.sanitizer_report()


def test_failover_under_load_keeps_replicated_acknowledged_writes(
        cluster, tmp_path):
    primary, replica, sentinels = cluster
    d = start_daemon(tmp_path, sentinels)
    run = LoadRun(tmp_path, d.port, d.admin_token, uid("fo"), seconds=12,
                  retry=30)
    try:
        run.start()
        run.wait_day(more=200)
        # What was acknowledged up to here was applied on the primary
        # before this offset; once the replica has it, it must survive.
        before = run.acks()
        offset = int(info(primary)["master_repl_offset"])
        wait(lambda: int(info(replica).get("slave_repl_offset", 0)) >=
             offset, 10, "replica caught up")
        primary.kill9()
        t_kill = time.monotonic()
        ev = uid("probe")
        took = None
        with d.admin() as a:
            deadline = t_kill + FAILOVER_BOUND_S
            while time.monotonic() < deadline:
                try:
                    a.call("event.put", event_doc(ev))
                    took = time.monotonic() - t_kill
                    break
                except RpcError as e:
                    assert e.code == "unavailable", e
                    time.sleep(0.05)
        assert took is not None, "no write succeeded within %ss of the " \
            "kill:\n%s" % (FAILOVER_BOUND_S, tail(d.logfile, 40))
        print("sentinel failover: kill -9 of the primary to the first "
              "successful write through the daemon: %.2f s" % took)
        # The sentinel that led the failover answers first; the others
        # learn the new primary from its hello messages a moment later.
        wait(lambda: all(s.primary() == replica.port for s in sentinels),
             10, "every sentinel names the replica as primary")
        rc, final, rows, faults = run.finish()
        assert rc == 0 and final["errors"] == 0, run.report()
        assert faults["unavailable"] > 0, run.report()
        assert faults["attempt_timeouts"] == 0, run.report()
        replicated = os.path.join(str(tmp_path), "ack-replicated.log")
        with open(run.ack_path) as f, open(replicated, "w") as out:
            out.writelines(f.readlines()[:before])
        with d.admin() as a:
            counts = ackcheck.check(a, replicated, run.event, redis=replica)
            assert counts["acks"] == before
            # The whole log, acknowledged after the kill too: report what
            # the asynchronous window lost (on loopback: normally nothing).
            try:
                ackcheck.check(a, run.ack_path, run.event, redis=replica)
                lost = "none"
            except AssertionError as e:
                lost = str(e)[:300]
        print("sentinel failover: %d acks replicated before the kill all "
              "present; of all %d acks, lost: %s" % (before, run.acks(),
                                                     lost))
    finally:
        run.kill()
        d.stop()
    assert d.sanitizer_report() is None, d.sanitizer_report()
