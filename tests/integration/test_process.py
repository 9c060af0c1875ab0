"""The daemon as a process: Unix socket, SIGTERM, the HTTP side port, and
logs that never hold secrets or contact details."""
import re
import subprocess
import time

import rpc
from helpers import event_doc, expect_error, port_open, profile_doc, uid, \
    wait_until


def test_ping_over_unix_socket(daemon):
    with daemon.unix_client() as c:
        assert c.call("ping") == "pong"
        res = c.call("auth", token=daemon.admin_token)
        assert res == {"role": "admin", "events": ["*"]}
        assert c.call("server.info")["protocol"] == 1


def test_unix_socket_gets_same_framing_errors(daemon):
    with daemon.unix_client() as c:
        c.send_raw(b"\xc1")
        msgs = c.read_until_closed(timeout=3)
    assert len(msgs) == 1 and rpc.error_of(msgs[0])[0] == "bad_request"


def test_sigterm_exits_zero_promptly(make_stack):
    st = make_stack(["--shutdown-timeout-ms", "2000"])
    d = st.daemon
    idle = d.admin()
    try:
        assert idle.call("ping") == "pong"
        t0 = time.monotonic()
        d.sigterm()
        rc = d.proc.wait(6)
        took = time.monotonic() - t0
    finally:
        idle.close()
    assert rc == 0
    assert took < 3.0, took


def test_sigterm_answers_requests_in_flight(make_stack):
    st = make_stack()
    d = st.daemon
    ev = uid("ev")
    with d.admin() as a:
        a.call("event.put", event_doc(ev))
        n = 50
        msgids = [a.new_msgid() for _ in range(n)]
        a.send_raw(b"".join(rpc.request_bytes(m, "profile.put",
                                              profile_doc(ev, "p%d" % i))
                            for i, m in enumerate(msgids)))
        d.sigterm()
        got = []
        try:
            while len(got) < n:
                got.append(a.read_response(timeout=5))
        except rpc.ConnectionClosed:
            pass
    assert d.proc.wait(10) == 0
    # whatever was answered, was answered in order and is a proper reply
    assert [r[1] for r in got] == msgids[:len(got)]
    for r in got:
        assert r[2] is None or rpc.error_of(r)[0] == "unavailable", r
    assert len(got) >= 1


def test_sigterm_stops_accepting(make_stack):
    st = make_stack()
    d = st.daemon
    d.sigterm()
    assert d.proc.wait(6) == 0
    assert not port_open(d.port)


def test_http_healthz_readyz_metrics(daemon):
    with daemon.client() as c:
        assert c.call("ping") == "pong"
    status, _ = daemon.http_get("/healthz")
    assert status == 200
    status, _ = daemon.http_get("/readyz")
    assert status == 200
    status, body = daemon.http_get("/metrics")
    assert status == 200
    text = body.decode()
    assert 'expomatch_rpc_calls_total{method="ping"}' in text
    m = re.search(r'^expomatch_rpc_calls_total\{method="ping"\} (\d+)', text,
                  re.M)
    assert m and int(m.group(1)) >= 1


def test_metrics_ping_counter_grows(daemon):
    def pings():
        body = daemon.http_get("/metrics")[1].decode()
        m = re.search(r'^expomatch_rpc_calls_total\{method="ping"\} (\d+)',
                      body, re.M)
        return int(m.group(1)) if m else 0
    before = pings()
    with daemon.client() as c:
        c.pipeline([("ping", None)] * 7)
    assert pings() >= before + 7


def test_health_and_metrics_carry_no_participant_data(admin, daemon):
    ev = uid("ev")
    tag = uid("")[-10:]
    admin.call("event.put", event_doc(ev))
    admin.call("profile.put", profile_doc(
        ev, "p-" + tag, company="Metrics Leak %s Ltd" % tag,
        contact={"email": "leak-%s@example.org" % tag}))
    admin.call("profile.get", event=ev, id="p-" + tag)
    for path in ("/metrics", "/healthz", "/readyz"):
        status, body = daemon.http_get(path)
        assert status == 200
        assert tag.encode() not in body, path
        assert daemon.admin_token.encode() not in body, path


def test_http_unknown_path_is_404(daemon):
    assert daemon.http_get("/no-such-page")[0] == 404


def test_logs_never_hold_tokens_badges_or_contacts(make_stack):
    st = make_stack()
    d = st.daemon
    ev = uid("ev")
    tag = uid("")[-8:]
    badge = "badge-secret-" + tag
    wrong_badge = "wrong-badge-" + tag
    email = "private-%s@example.org" % tag
    phone = "+66 2 %08d" % (int(tag, 16) % 10**8)
    bogus = "%s:0123456789abcdef:bogus-secret-%s" % (ev, tag)
    secrets_seen = [d.admin_token, badge, wrong_badge, email, phone,
                    "bogus-secret-" + tag]
    with d.admin() as a:
        a.call("event.put", event_doc(ev))
        toks = [a.call("token.create", event=ev, role=r)
                for r in ("organizer", "kiosk", "app")]
        for t in toks:
            secrets_seen.append(t["token"])
            secrets_seen.append(t["token"].rsplit(":", 1)[-1])
        org = d.as_token(toks[0]["token"])
        kiosk = d.as_token(toks[1]["token"])
        app = d.as_token(toks[2]["token"])
        with org, kiosk, app:
            org.call("profile.put", profile_doc(
                ev, "p1", badge=badge,
                contact={"name": "Private Person", "email": email,
                         "phone": phone}))
            assert org.call("profile.get", event=ev, id="p1")["contact"][
                "email"] == email
            kiosk.call("profile.get", event=ev, id="p1", badge=badge)
            expect_error("forbidden", kiosk.call, "profile.get", event=ev,
                         id="p1", badge=wrong_badge)
            # refused puts carrying secrets
            expect_error("bad_request", org.call, "profile.put", profile_doc(
                ev, "p2", country="XX", badge=badge,
                contact={"email": email, "phone": phone}))
            expect_error("bad_request", org.call, "profile.put", profile_doc(
                ev, "p3", contact={"email": email, "fax": phone}))
            app.call("profile.get", event=ev, id="p1")
            org.call("profile.delete", event=ev, id="p1")
        a.call("token.revoke", event=ev, id=toks[2]["id"])
    with d.client() as c:
        expect_error("unauthorized", c.call, "auth", token=bogus)
        expect_error("unauthorized", c.call, "auth", token=toks[2]["token"])
        expect_error("unauthorized", c.call, "auth",
                     token=d.admin_token + "-typo")
        # a pre-auth request over the limit that carries a token
        c.send_raw(rpc.request_bytes(9, "auth", {"token": d.admin_token +
                                                 "x" * 17000}))
        c.read_until_closed(timeout=3)
    d.sigterm()
    d.proc.wait(10)
    log = d.logfile.read_bytes().decode("utf-8", "replace")
    out = d.outfile.read_bytes().decode("utf-8", "replace")
    assert len(log) > 0, "the daemon logged nothing at debug level"
    for s in secrets_seen:
        assert s not in log, "log holds a secret: %s..." % s[:12]
        assert s not in out, "stderr holds a secret: %s..." % s[:12]


def test_admin_token_file_keeps_token_out_of_argv(make_stack, tmp_path):
    st = make_stack()
    d = st.daemon
    d.stop()
    token = "file-admin-" + uid("")[-10:]
    f = tmp_path / "admin.token"
    f.write_text(token + "\n")
    argv = d.argv()
    i = argv.index("--admin-token")
    del argv[i:i + 2]
    argv += ["--admin-token-file", str(f)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: port_open(d.port), 15,
                   what="RPC port of the daemon with admin-token-file")
        with rpc.Client(d.port) as c:
            assert c.call("auth", token=token)["role"] == "admin"
        cmdline = open("/proc/%d/cmdline" % proc.pid, "rb").read()
        assert token.encode() not in cmdline
    finally:
        proc.terminate()
        proc.wait(10)
