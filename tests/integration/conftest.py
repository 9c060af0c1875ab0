"""Fixtures for the integration tests: a real redis-server on a free loopback
port and the real expomatchd binary, talked to over MessagePack-RPC.

The daemon binary is $EXPOMATCH_BIN, or bin/expomatchd under the repository
root (found from this file's location), so CI can run the suite against an
ASan build. When a test fails, the tail of every daemon's log that was alive
during it is attached to the failure report.
"""
import contextlib
import http.client
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import rpc  # noqa: E402
from helpers import make_token  # noqa: E402

REDIS_SERVER = "redis-server"
REDIS_CLI = "redis-cli"
START_TIMEOUT = float(os.environ.get("EXPOMATCH_START_TIMEOUT", "20"))
# A command the daemon runs under, e.g. "valgrind --tool=memcheck ..."
# (tests/memcheck/run.sh). It finds the file for its report in
# $EXPOMATCH_WRAPPER_LOG (valgrind: --log-file=%q{EXPOMATCH_WRAPPER_LOG}),
# apart from the daemon's own stderr; errors reported there fail the test.
# Such a daemon is slow to stop: STOP_TIMEOUT gives it time to write that.
WRAPPER = shlex.split(os.environ.get("EXPOMATCH_WRAPPER", ""))
STOP_TIMEOUT = float(os.environ.get("EXPOMATCH_STOP_TIMEOUT", "10"))

# Processes alive during the current test, for the failure report.
LIVE_DAEMONS = []
LIVE_REDIS = []


def daemon_binary():
    path = os.environ.get("EXPOMATCH_BIN") or str(REPO / "bin" / "expomatchd")
    return path


def client_binary(name):
    """A client program next to the daemon under test (bin-asan/ for an
    ASan EXPOMATCH_BIN), else the one under bin/."""
    sibling = os.path.join(os.path.dirname(daemon_binary()), name)
    if os.access(sibling, os.X_OK):
        return sibling
    return str(REPO / "bin" / name)


def _ephemeral_range():
    try:
        lo, hi = open("/proc/sys/net/ipv4/ip_local_port_range").read().split()
        return int(lo), int(hi)
    except (OSError, ValueError):
        return 32768, 60999


_HANDED_OUT = set()


def free_port():
    """A loopback TCP port that was free a moment ago, taken from outside
    the ephemeral range so that client sockets (ours, redis-cli's) cannot
    grab it between now and the server's bind; never one this run handed
    out before (two picks for one test must differ even before either is
    bound)."""
    port = _pick_port()
    for _ in range(100):
        if port not in _HANDED_OUT:
            break
        port = _pick_port()
    _HANDED_OUT.add(port)
    return port


def _pick_port():
    lo, hi = _ephemeral_range()
    candidates = [(10000, lo - 1)] if lo > 11000 else []
    if hi < 64000:
        candidates.append((hi + 1, 65535))
    for _ in range(100):
        if not candidates:
            break
        a, b = secrets.choice(candidates)
        port = a + secrets.randbelow(b - a + 1)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port, timeout=0.2):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def tail(path, lines=80):
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        return "(no log: %s)" % e
    text = data.decode("utf-8", "replace").splitlines()
    return "\n".join(text[-lines:])


def proc_status(pid):
    """VmSize, VmRSS... of /proc/PID/status, in KiB."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, val = line.partition(":")
            parts = val.split()
            if len(parts) == 2 and parts[1] == "kB":
                out[key] = int(parts[0])
    return out


class RedisServer:
    """redis-server with an append-only file synced on every write, so a
    kill -9 loses nothing that was acknowledged."""

    def __init__(self, workdir, port=None):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.proc = None
        self.logfile = self.dir / "redis.log"

    def argv(self):
        return [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "yes",
                "--appendfsync", "always", "--dir", str(self.dir),
                "--logfile", str(self.logfile), "--daemonize", "no"]

    def start(self, timeout=15):
        self.proc = subprocess.Popen(self.argv(), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL,
                                     stdin=subprocess.DEVNULL)
        if self not in LIVE_REDIS:
            LIVE_REDIS.append(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("redis-server exited %s:\n%s" % (
                    self.proc.returncode, tail(self.logfile, 30)))
            try:
                if self.cli("PING", timeout=2).strip() == b"PONG":
                    return self
            except subprocess.TimeoutExpired:
                pass
            time.sleep(0.05)
        raise RuntimeError("redis-server not ready on %d:\n%s" % (
            self.port, tail(self.logfile, 30)))

    def cli(self, *args, input=None, timeout=10):
        """Run redis-cli against this server; its raw stdout."""
        cmd = [REDIS_CLI, "-h", "127.0.0.1", "-p", str(self.port), "--raw"]
        cmd += [str(a) for a in args]
        res = subprocess.run(cmd, input=input, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=timeout)
        return res.stdout

    def keys(self, pattern=None):
        args = ["--scan"] + (["--pattern", pattern] if pattern else [])
        out = self.cli(*args)
        return [k for k in out.decode("utf-8", "replace").splitlines() if k]

    def dump_all_values(self, pattern=None):
        """{key: bytes of everything stored under it} for every key, read
        with type-specific commands (DUMP may compress), in one redis-cli
        session with ECHO markers between the keys."""
        keys = self.keys(pattern)
        if not keys:
            return {}

        def quote(k):
            return '"' + k.replace("\\", "\\\\").replace('"', '\\"') + '"'
        types = self.cli(input="".join("TYPE %s\n" % quote(k)
                                       for k in keys).encode())
        types = types.decode().split()
        assert len(types) == len(keys), (types, keys)
        marker = "@@key-boundary-%s@@" % secrets.token_hex(8)
        script = []
        for k, t in zip(keys, types):
            cmd = {"string": "GET %s", "hash": "HGETALL %s",
                   "list": "LRANGE %s 0 -1", "set": "SMEMBERS %s",
                   "zset": "ZRANGE %s 0 -1 WITHSCORES",
                   "stream": "XRANGE %s - +"}.get(t, "TYPE %s")
            script.append("ECHO %s\n" % marker)
            script.append(cmd % quote(k) + "\n")
        out = self.cli(input="".join(script).encode(), timeout=30)
        parts = out.split(marker.encode() + b"\n")
        assert parts[0] == b"" and len(parts) == len(keys) + 1, \
            (len(parts), len(keys))
        return dict(zip(keys, parts[1:]))

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def pause(self):
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.proc.pid, signal.SIGCONT)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGCONT)
            except OSError:
                pass
            self.proc.kill()
            self.proc.wait(10)
        if self in LIVE_REDIS:
            LIVE_REDIS.remove(self)


class Daemon:
    """The real expomatchd, on free loopback ports, logging at debug level
    to a file of its own."""

    def __init__(self, redis_port, workdir, extra_args=(), unix_socket=None,
                 name="expomatchd"):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.redis_port = redis_port
        self.port = free_port()
        self.http_port = free_port()
        self.admin_token = "admin-" + secrets.token_hex(20)
        self.keyfile = self.dir / "secret.key"
        self.keyfile.write_bytes(secrets.token_bytes(32))
        os.chmod(self.keyfile, 0o600)
        self.logfile = self.dir / ("%s.log" % name)
        self.outfile = self.dir / ("%s.out" % name)
        self.wrapper_log = self.dir / ("%s.wrapper.log" % name)
        self.unix_socket = unix_socket
        self.extra_args = [str(a) for a in extra_args]
        self.proc = None

    def argv(self):
        argv = [daemon_binary(), "--port", str(self.port),
                "--http-port", str(self.http_port), "--bind", "127.0.0.1",
                "--redis", "127.0.0.1:%d" % self.redis_port,
                "--admin-token", self.admin_token,
                "--secret-key-file", str(self.keyfile),
                "--log-level", "debug", "--log-file", str(self.logfile)]
        if self.unix_socket:
            argv += ["--unix-socket", str(self.unix_socket)]
        return argv + self.extra_args

    @property
    def pid(self):
        return self.proc.pid

    def start(self, timeout=START_TIMEOUT):
        binary = daemon_binary()
        if not os.access(binary, os.X_OK):
            pytest.fail("no daemon binary at %s (make bin/expomatchd, or set "
                        "EXPOMATCH_BIN)" % binary)
        out = open(self.outfile, "ab")
        try:
            env = dict(os.environ, EXPOMATCH_WRAPPER_LOG=str(self.wrapper_log))
            self.proc = subprocess.Popen(WRAPPER + self.argv(), stdout=out,
                                         stderr=out, stdin=subprocess.DEVNULL,
                                         env=env)
        finally:
            out.close()
        if self not in LIVE_DAEMONS:
            LIVE_DAEMONS.append(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("expomatchd exited %s at start:\n%s\n%s" % (
                    self.proc.returncode, tail(self.outfile, 20),
                    tail(self.logfile, 40)))
            if port_open(self.port):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("expomatchd RPC port %d not open after %ss:\n%s"
                               % (self.port, timeout, tail(self.logfile, 40)))
        while time.monotonic() < deadline:
            try:
                status, _ = self.http_get("/readyz", timeout=1)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("expomatchd /readyz not 200 after %ss:\n%s"
                           % (timeout, tail(self.logfile, 40)))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def http_get(self, path, timeout=5):
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port,
                                          timeout=timeout)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def client(self, **kw):
        return rpc.Client(self.port, **kw)

    def unix_client(self, **kw):
        return rpc.Client(unix_path=str(self.unix_socket), **kw)

    def admin(self):
        c = self.client()
        res = c.call("auth", token=self.admin_token)
        assert res["role"] == "admin", res
        return c

    def as_token(self, token):
        c = self.client()
        c.call("auth", token=token)
        return c

    def status(self):
        return proc_status(self.proc.pid)

    def sigterm(self):
        os.kill(self.proc.pid, signal.SIGTERM)

    def kill9(self):
        if self.alive():
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def log_text(self):
        try:
            return self.logfile.read_bytes().decode("utf-8", "replace")
        except OSError:
            return ""

    SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                       "runtime error:", "UndefinedBehaviorSanitizer")

    # valgrind's closing line when it found errors (with
    # --errors-for-leak-kinds, leaks of those kinds count as errors).
    VALGRIND_ERRORS = re.compile(r"ERROR SUMMARY: [1-9]")

    def sanitizer_report(self):
        """The sanitizer's report in the daemon's stderr, if any (ASan builds
        given as EXPOMATCH_BIN, or valgrind as EXPOMATCH_WRAPPER)."""
        text = tail(self.outfile, 400)
        if WRAPPER:
            text += "\n" + tail(self.wrapper_log, 400)
        if any(m in text for m in self.SANITIZER_MARKS) or \
                self.VALGRIND_ERRORS.search(text):
            return text
        return None

    def stop(self):
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self in LIVE_DAEMONS:
            LIVE_DAEMONS.remove(self)


class Stack:
    """A redis-server and an expomatchd using it."""

    def __init__(self, workdir, extra_args=(), unix_socket=False):
        workdir = Path(workdir)
        self.redis = RedisServer(workdir / "redis")
        sock = workdir / "em.sock" if unix_socket else None
        self.daemon = Daemon(self.redis.port, workdir / "daemon", extra_args,
                             unix_socket=sock)

    def start(self):
        # A port picked free can still be taken by someone else before the
        # bind (another test run): pick new ones and retry a few times.
        for attempt in range(3):
            try:
                self.redis.start()
                break
            except RuntimeError as e:
                self.redis.stop()
                if "in use" not in str(e) or attempt == 2:
                    raise
                self.redis.port = free_port()
                self.daemon.redis_port = self.redis.port
        for attempt in range(3):
            try:
                self.daemon.start()
                break
            except RuntimeError as e:
                self.daemon.stop()
                if "in use" not in str(e) or attempt == 2:
                    raise
                self.daemon.port = free_port()
                self.daemon.http_port = free_port()
        return self

    def close(self):
        self.daemon.stop()
        self.redis.stop()
        return self.daemon.sanitizer_report()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and rep.when in ("setup", "call"):
        for d in list(LIVE_DAEMONS):
            state = "running" if d.alive() else "exited %s" % (
                d.proc.returncode if d.proc else "-")
            rep.sections.append((
                "%s log tail (pid %s, %s, %s)" % (
                    d.name, d.proc.pid if d.proc else "-", state, d.logfile),
                tail(d.logfile, 60) + "\n--- stdout/stderr ---\n" +
                tail(d.outfile, 20)))
        for r in list(LIVE_REDIS):
            rep.sections.append(("redis log tail (port %d)" % r.port,
                                 tail(r.logfile, 15)))


# The shared stack serves the read-mostly tests; each test uses event ids of
# its own. It has the limits the transport tests rely on.
SHARED_ARGS = ["--max-request-bytes", "65536", "--max-depth", "16",
               "--redis-timeout-ms", "500"]


@contextlib.contextmanager
def running_stack(workdir, extra_args=(), unix_socket=False, what="expomatchd"):
    """A started Stack for a module- or session-wide fixture; closed at the
    end, failing the run on a sanitizer report from `what`."""
    stack = Stack(workdir, extra_args, unix_socket=unix_socket)
    try:
        stack.start()
    except Exception:
        stack.close()
        raise
    try:
        yield stack
    except BaseException:
        stack.close()
        raise
    report = stack.close()
    if report:
        pytest.fail("sanitizer report from %s:\n%s" % (what, report))


@pytest.fixture(scope="session")
def shared(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("shared"), SHARED_ARGS,
                       unix_socket=True, what="the shared daemon") as stack:
        yield stack


@pytest.fixture
def daemon(shared):
    assert shared.daemon.alive(), "the shared daemon died:\n" + tail(
        shared.daemon.logfile, 40)
    return shared.daemon


@pytest.fixture
def admin(daemon):
    c = daemon.admin()
    yield c
    c.close()


@pytest.fixture
def make_stack(tmp_path):
    """Start a fresh redis-server + expomatchd with extra daemon flags."""
    stacks = []

    def start(extra_args=(), name="stack", unix_socket=False):
        st = Stack(tmp_path / ("%s%d" % (name, len(stacks))), extra_args,
                   unix_socket=unix_socket)
        stacks.append(st)
        st.start()
        return st
    yield start
    reports = [r for r in (st.close() for st in stacks) if r]
    if reports:
        pytest.fail("sanitizer report from expomatchd:\n" + "\n".join(reports))


def second_daemon(stack, tmp_path):
    """Another daemon on the stack's Redis, with the same admin token and
    secret key, started."""
    d = Daemon(stack.redis.port, tmp_path / "second", name="second")
    d.admin_token = stack.daemon.admin_token
    d.keyfile.write_bytes(stack.daemon.keyfile.read_bytes())
    return d.start()


@pytest.fixture
def roles(admin, daemon, ev, clients):
    """Connections authenticated as organizer, app and kiosk of `ev` (a
    fixture of the test module)."""
    out = {}
    for role in ("organizer", "app", "kiosk"):
        out[role] = clients(daemon.as_token(
            make_token(admin, ev, role)["token"]))
    return out


@pytest.fixture
def clients():
    """Collects clients a test opens and closes them afterwards."""
    opened = []

    def keep(c):
        opened.append(c)
        return c
    yield keep
    for c in opened:
        c.close()
