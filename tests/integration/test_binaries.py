"""The shipped binaries as a user meets them: expomatchd's command line and
config file, its independence from the working directory, `make install`,
expomatch-cli's output and exit statuses, the admin token kept out of the
process list, and SIGINT."""
import json
import os
import re
import signal
import socket
import stat
import subprocess
import time

import pytest

import rpc
from conftest import LIVE_DAEMONS, REPO, START_TIMEOUT, Daemon, \
    RedisServer, client_binary, daemon_binary, free_port, port_open
from helpers import event_doc, expect_error, profile_doc, uid

CONF = REPO / "config" / "expomatchd.conf"
SERVICE = REPO / "config" / "expomatchd.service"
VERSION = (REPO / "VERSION").read_text().strip()
# Keys the contract ("Running") names; the sample file must hold them too.
CONTRACT_KEYS = {"port", "bind", "unix-socket", "http-port", "redis",
                 "redis-password", "admin-token", "admin-token-file",
                 "log-level"}
RUN_TIMEOUT = 10


def cli_binary():
    return client_binary("expomatch-cli")


def run(argv, **kw):
    return subprocess.run([str(a) for a in argv], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                          timeout=RUN_TIMEOUT, **kw)


def text(b):
    return b.decode("utf-8", "replace")


def conf_keys():
    """Keys of the non-comment `key value` lines of the sample config."""
    keys = []
    for line in CONF.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([a-z][a-z0-9-]*)\s", line)
        assert m, "not a `key value` line in %s: %r" % (CONF.name, line)
        keys.append(m.group(1))
    return keys


def run_daemon(*args):
    return run([daemon_binary()] + list(args))


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    """One redis-server for the daemons this module starts itself."""
    r = RedisServer(tmp_path_factory.mktemp("binaries-redis"))
    try:
        r.start()
    except Exception:
        r.stop()
        raise
    yield r
    r.stop()


class CustomDaemon(Daemon):
    """Daemon started from a chosen working directory, and optionally with
    its admin token given as --admin-token-file instead of on the command
    line."""

    def __init__(self, redis_port, workdir, cwd=None, admin_token_file=None,
                 **kw):
        super().__init__(redis_port, workdir, **kw)
        self.cwd = cwd
        self.admin_token_file = admin_token_file

    def argv(self):
        argv = super().argv()
        if self.admin_token_file is not None:
            i = argv.index("--admin-token")
            del argv[i:i + 2]
            argv += ["--admin-token-file", str(self.admin_token_file)]
        return argv

    def start(self, timeout=START_TIMEOUT):
        """Like Daemon.start, with cwd; the same readiness checks."""
        out = open(self.outfile, "ab")
        try:
            self.proc = subprocess.Popen(self.argv(), stdout=out, stderr=out,
                                         stdin=subprocess.DEVNULL,
                                         cwd=self.cwd)
        finally:
            out.close()
        LIVE_DAEMONS.append(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, \
                "expomatchd exited %s at start:\n%s\n%s" % (
                    self.proc.returncode, text(self.outfile.read_bytes()),
                    self.log_text()[-3000:])
            if port_open(self.port):
                try:
                    if self.http_get("/readyz", timeout=1)[0] == 200:
                        return self
                except OSError:
                    pass
            time.sleep(0.05)
        raise AssertionError("expomatchd not ready on RPC port %d within %ss"
                             % (self.port, timeout))


@pytest.fixture
def custom_daemons():
    started = []

    def make(*args, **kw):
        d = CustomDaemon(*args, **kw)
        started.append(d)
        return d
    yield make
    for d in started:
        d.stop()
    reports = [r for r in (d.sanitizer_report() for d in started) if r]
    if reports:
        pytest.fail("sanitizer report from expomatchd:\n" + "\n".join(reports))


# ---- 1. --help and --version ---------------------------------------------

def test_sample_config_holds_the_contract_keys():
    keys = conf_keys()
    assert CONTRACT_KEYS <= set(keys), CONTRACT_KEYS - set(keys)
    assert len(keys) == len(set(keys)), "a key repeated in the sample file"


def test_help_exits_zero_and_lists_every_key_of_the_sample_config():
    res = run_daemon("--help")
    assert res.returncode == 0, text(res.stderr)
    out = text(res.stdout)
    missing = [k for k in conf_keys()
               if not re.search(r"(?m)^\s+--%s\s" % re.escape(k), out)]
    assert missing == [], "--help does not list: %s" % missing


def test_version_prints_name_and_version_file_and_exits_zero():
    res = run_daemon("--version")
    assert res.returncode == 0, text(res.stderr)
    assert text(res.stdout) == "expomatchd %s\n" % VERSION


# ---- 2. bad config lines, unknown flags, flags over the file --------------

@pytest.mark.parametrize("bad_line", [
    "frobnicate 3",
    "port seventy",
    "max-depth 99",
], ids=["unknown_key", "port_not_a_number", "max_depth_out_of_range"])
def test_bad_config_line_fails_naming_file_line_number_and_line(
        tmp_path, bad_line):
    conf = tmp_path / "bad.conf"
    conf.write_text("# a comment\n\nlog-level info\n%s\nbind 127.0.0.1\n"
                    % bad_line)
    res = run_daemon("--config", conf, "--port", "0", "--http-port", "0")
    err = text(res.stderr)
    assert res.returncode != 0, "daemon accepted %r" % bad_line
    assert "%s:4" % conf in err, err
    assert bad_line in err, err


def test_unknown_flag_fails_naming_it():
    res = run_daemon("--nope", "1")
    assert res.returncode != 0
    assert "--nope" in text(res.stderr), text(res.stderr)


def test_flag_port_wins_over_config_file_port(redis, tmp_path,
                                              custom_daemons):
    d = custom_daemons(redis.port, tmp_path / "d")
    file_port = free_port()
    conf = tmp_path / "em.conf"
    conf.write_text("port %d\nlog-level warn\n" % file_port)
    d.extra_args = ["--config", str(conf)]
    assert "--port" in d.argv() and str(d.port) in d.argv()
    d.start()
    with d.client() as c:
        assert c.call("ping") == "pong"
    assert not port_open(file_port), "the file's port is open too"


# ---- 3. independent of the working directory ------------------------------

def test_daemon_started_in_empty_cwd_loads_functions_and_serves(
        tmp_path, custom_daemons):
    # A Redis of its own, with no function library loaded yet: the daemon
    # must bring the library along, not read it from the source tree.
    r = RedisServer(tmp_path / "redis")
    r.start()
    try:
        assert r.cli("FUNCTION", "LIST").strip() == b""
        cwd = tmp_path / "empty-cwd"
        cwd.mkdir()
        d = custom_daemons(r.port, tmp_path / "d", cwd=str(cwd))
        assert os.path.isabs(d.argv()[0])
        d.start()
        ev = uid("ev")
        with d.admin() as a:
            assert a.call("ping") == "pong"
            assert a.call("event.put", event_doc(ev)) == {"event": ev}
            got = a.call("event.get", event=ev)
        assert got["event"] == ev and got["tables"] == 12
        assert [s["id"] for s in got["slots"]] == ["s1", "s2", "s3"]
        assert r.cli("FUNCTION", "LIST").strip() != b""
        # nothing was written into the working directory
        assert list(cwd.iterdir()) == []
    finally:
        r.stop()


# ---- 4. make install ------------------------------------------------------

def test_make_install_puts_binaries_config_and_unit_under_destdir_prefix(
        tmp_path):
    q = subprocess.run(["make", "-s", "-q", "all"], cwd=str(REPO),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=30)
    if q.returncode == 1:
        pytest.skip("the build is not up to date; run `make` first so that "
                    "`make install` only copies")
    dest = tmp_path / "dest"
    res = subprocess.run(["make", "-s", "install", "DESTDIR=%s" % dest,
                          "PREFIX=/opt/em"], cwd=str(REPO),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=30)
    assert res.returncode == 0, text(res.stdout + res.stderr)
    root = dest / "opt" / "em"
    for name in ("expomatchd", "expomatch-cli", "expomatch-kiosk",
                 "expomatch-loadgen"):
        path = root / "bin" / name
        assert path.is_file(), path
        mode = path.stat().st_mode
        assert mode & stat.S_IXUSR and mode & stat.S_IXOTH, oct(mode)
    conf = root / "share" / "expomatch" / "expomatchd.conf"
    unit = root / "lib" / "systemd" / "system" / "expomatchd.service"
    assert conf.read_bytes() == CONF.read_bytes()
    # The unit names the installed binary and documentation under PREFIX.
    want = SERVICE.read_text().replace("/usr/local/", "/opt/em/")
    assert unit.read_text() == want
    assert "ExecStart=/opt/em/bin/expomatchd " in unit.read_text()
    ver = run([root / "bin" / "expomatchd", "--version"])
    assert ver.returncode == 0
    assert text(ver.stdout) == "expomatchd %s\n" % VERSION
    cli = run([root / "bin" / "expomatch-cli", "--help"])
    assert cli.returncode == 0 and "usage: expomatch-cli" in text(cli.stdout)


# ---- 5. expomatch-cli against the shared daemon ---------------------------

@pytest.fixture
def admin_token_file(daemon, tmp_path):
    f = tmp_path / "admin.token"
    f.write_text(daemon.admin_token + "\n")
    os.chmod(f, 0o600)
    return f


def cli(daemon, *args):
    return run([cli_binary(), "-p", daemon.port, "-t", "5"] + list(args))


def test_cli_ping_prints_pong_as_json_and_exits_zero(daemon):
    res = cli(daemon, "ping")
    assert res.returncode == 0, text(res.stderr)
    assert json.loads(text(res.stdout)) == "pong"


def test_cli_event_get_with_token_file_prints_the_event(
        daemon, admin, admin_token_file):
    ev = uid("ev")
    doc = event_doc(ev)
    admin.call("event.put", doc)
    res = cli(daemon, "-a", "@%s" % admin_token_file, "event.get",
              json.dumps({"event": ev}))
    assert res.returncode == 0, text(res.stderr)
    got = json.loads(text(res.stdout))
    for k, v in doc.items():
        assert got[k] == v, (k, got)
    # the token file's path is on the command line, never the token
    assert daemon.admin_token not in " ".join(res.args)


def test_cli_error_reply_exits_1_with_code_and_message_on_stderr(
        daemon, admin_token_file):
    res = cli(daemon, "-a", "@%s" % admin_token_file, "event.get",
              json.dumps({"event": uid("missing")}))
    assert res.returncode == 1
    assert res.stdout == b""
    assert re.match(r"not_found: \S", text(res.stderr)), text(res.stderr)


def test_cli_wrong_token_exits_2_and_does_not_call_the_method(daemon, admin):
    ev = uid("ev")
    res = cli(daemon, "-a", "wrong-token", "event.put",
              json.dumps(event_doc(ev)))
    assert res.returncode == 2
    assert "auth failed" in text(res.stderr), text(res.stderr)
    assert res.stdout == b""
    expect_error("not_found", admin.call, "event.get", event=ev)


def test_cli_closed_port_exits_3():
    port = free_port()
    assert not port_open(port)
    res = run([cli_binary(), "-p", port, "-t", "5", "ping"])
    assert res.returncode == 3, text(res.stderr)
    assert res.stdout == b""
    assert res.stderr.strip() != b""


def test_cli_thai_and_arabic_text_round_trips_through_profile_put_get(
        daemon, admin, admin_token_file):
    ev = uid("ev")
    admin.call("event.put", event_doc(ev))
    pid = uid("p")
    thai = "บริษัท กาแฟไทย จำกัด"
    arabic = "قهوة عربية خضراء من اليمن"
    doc = profile_doc(ev, pid, company=thai, languages=["th", "ar"],
                      offers=[{"code": "090111", "text": arabic}])
    put = cli(daemon, "-a", "@%s" % admin_token_file, "profile.put",
              json.dumps(doc, ensure_ascii=False))
    assert put.returncode == 0, text(put.stderr)
    assert json.loads(text(put.stdout))["id"] == pid
    # stored as the very same text, seen through MessagePack directly
    stored = admin.call("profile.get", event=ev, id=pid)
    assert stored["company"] == thai
    assert stored["offers"][0]["text"] == arabic
    got = cli(daemon, "-a", "@%s" % admin_token_file, "profile.get",
              json.dumps({"event": ev, "id": pid}))
    assert got.returncode == 0, text(got.stderr)
    out = json.loads(got.stdout.decode("utf-8"))
    assert out["company"] == thai
    assert out["offers"][0]["text"] == arabic
    assert out["languages"] == ["th", "ar"]


# ---- 6. admin-token-file keeps the token out of the process list ----------

def test_admin_token_file_token_absent_from_cmdline_and_auth_works(
        redis, tmp_path, custom_daemons):
    token = "tokfile-" + uid("")[-10:] + "-secret"
    f = tmp_path / "admin.token"
    f.write_text(token + "\n")
    os.chmod(f, 0o600)
    d = custom_daemons(redis.port, tmp_path / "d", admin_token_file=f)
    d.admin_token = token
    assert "--admin-token" not in d.argv()
    d.start()
    cmdline = open("/proc/%d/cmdline" % d.pid, "rb").read()
    assert str(f).encode() in cmdline
    assert token.encode() not in cmdline
    with d.client() as c:
        assert c.call("auth", token=token)["role"] == "admin"
    with d.client() as c:
        expect_error("unauthorized", c.call, "auth", token=token + "x")


def test_admin_token_file_is_read_as_the_cli_reads_it(redis, tmp_path,
                                                     custom_daemons):
    """White space around the token (an editor's final newline, a space)
    is not part of it, for the daemon as for expomatch-cli -a @FILE."""
    token = "tokfile-" + uid("")[-10:] + "-trimmed"
    f = tmp_path / "admin.token"
    f.write_text("  %s \n\n" % token)
    d = custom_daemons(redis.port, tmp_path / "d", admin_token_file=f)
    d.admin_token = token
    d.start()
    res = run([cli_binary(), "-p", str(d.port), "-a", "@%s" % f, "ping"])
    assert res.returncode == 0, text(res.stderr)
    with d.client() as c:
        assert c.call("auth", token=token)["role"] == "admin"


def test_admin_token_file_with_two_tokens_is_refused(redis, tmp_path,
                                                     custom_daemons):
    f = tmp_path / "admin.token"
    f.write_text("first-token-0123456789\nsecond-token-0123456789\n")
    res = run_daemon("--admin-token-file", f, "--port", "0", "--http-port",
                     "0", "--redis", "127.0.0.1:%d" % redis.port)
    assert res.returncode != 0
    assert "one token" in text(res.stderr) + text(res.stdout)


# ---- 7. SIGINT -------------------------------------------------------------

def test_sigint_with_idle_authenticated_client_exits_zero_promptly(
        redis, tmp_path, custom_daemons):
    d = custom_daemons(redis.port, tmp_path / "d").start()
    with d.admin() as idle:
        assert idle.call("ping") == "pong"
        t0 = time.monotonic()
        os.kill(d.pid, signal.SIGINT)
        rc = d.proc.wait(8)
        took = time.monotonic() - t0
        # the idle connection was closed, not left hanging
        assert idle.is_closed(timeout=1)
    assert rc == 0
    # default grace is 5 s: an idle client must not hold the exit that long
    assert took < 2.0, "exit took %.2fs" % took
    assert not port_open(d.port)


def test_sigint_still_answers_a_request_sent_just_before_it(
        redis, tmp_path, custom_daemons):
    d = custom_daemons(redis.port, tmp_path / "d").start()
    with d.admin() as idle, d.admin() as busy:
        msgid = busy.new_msgid()
        busy.send_raw(rpc.request_bytes(msgid, "ping"))
        os.kill(d.pid, signal.SIGINT)
        try:
            resp = busy.read_response(timeout=5)
        except (rpc.ConnectionClosed, socket.timeout) as e:
            pytest.fail("no reply to the ping sent before SIGINT: %r" % e)
        assert resp[1] == msgid
        assert rpc.result_of(resp) == "pong"
        assert d.proc.wait(8) == 0
        assert idle.is_closed(timeout=1)
