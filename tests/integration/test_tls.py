"""TLS on the RPC port (tls-port): calls, notifications and back-pressure
over TLS; the client-certificate policy (tls-client-cert); broken and hostile
clients (plain bytes, garbage, aborted and slow handshakes, renegotiation,
closes without close_notify); the CLI with --tls; bad TLS configuration.

Every certificate comes from a throwaway CA made here with the `openssl`
command: the server's (for 127.0.0.1 and localhost), a kiosk's signed by the
same CA, and a client certificate signed by another CA."""
import os
import select
import socket
import ssl
import subprocess
import time
import warnings

import pytest

import rpc
from conftest import client_binary, daemon_binary, free_port, running_stack
from helpers import make_token, new_event, profile_doc, uid, wait_until
from test_backpressure import daemon_rx_queue

OPENSSL = "openssl"


# ---- the throwaway CAs ----

def _openssl(*args, cwd):
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, timeout=30,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _make_ca(d, name):
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", name + ".key", "-out", name + ".pem", "-days", "2",
             "-subj", "/CN=expomatch test " + name,
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)


def _make_leaf(d, name, ca, cn, ext):
    (d / (name + ".ext")).write_text(ext + "\n")
    _openssl("req", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", name + ".key", "-out", name + ".csr",
             "-subj", "/CN=" + cn, cwd=d)
    _openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem",
             "-CAkey", ca + ".key", "-set_serial",
             str(int.from_bytes(os.urandom(8), "big")), "-days", "2",
             "-out", name + ".pem", "-extfile", name + ".ext", cwd=d)
    os.chmod(d / (name + ".key"), 0o600)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """Paths of the test PKI: ca, server, kiosk (signed by ca), other_ca and
    stranger (a client certificate signed by other_ca)."""
    d = tmp_path_factory.mktemp("pki")
    _make_ca(d, "ca")
    _make_ca(d, "other_ca")
    _make_leaf(d, "server", "ca", "localhost",
               "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
               "extendedKeyUsage=serverAuth")
    _make_leaf(d, "kiosk", "ca", "kiosk-hall-a-07",
               "extendedKeyUsage=clientAuth")
    _make_leaf(d, "stranger", "other_ca", "kiosk-hall-a-07",
               "extendedKeyUsage=clientAuth")
    return {n: d / n for n in ("ca", "other_ca", "server", "kiosk",
                                "stranger")}


def tls_args(pki, port, client_cert="kiosk", ca=True):
    args = ["--tls-port", port, "--tls-cert-file", str(pki["server"]) + ".pem",
            "--tls-key-file", str(pki["server"]) + ".key",
            "--tls-client-cert", client_cert]
    if ca:
        args += ["--tls-ca-cert-file", str(pki["ca"]) + ".pem"]
    return args


def client_ctx(pki, ca="ca", cert=None):
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH,
                                     cafile=str(pki[ca]) + ".pem")
    if cert is not None:
        ctx.load_cert_chain(str(pki[cert]) + ".pem", str(pki[cert]) + ".key")
    return ctx


def tls_client(port, ctx, host="127.0.0.1", timeout=5.0, **kw):
    """An rpc.Client whose socket speaks TLS (the handshake is done)."""
    c = rpc.Client(port, timeout=timeout, **kw)
    try:
        c.sock = ctx.wrap_socket(c.sock, server_hostname=host)
    except Exception:
        c.close()
        raise
    return c


class TlsStack:
    """A stack whose daemon has a TLS port."""

    def __init__(self, stack, port):
        self.stack = stack
        self.daemon = stack.daemon
        self.tls_port = port

    def client(self, pki, cert=None, **kw):
        return tls_client(self.tls_port, client_ctx(pki, cert=cert), **kw)

    def admin(self, pki):
        c = self.client(pki)
        assert c.call("auth", token=self.daemon.admin_token)["role"] == "admin"
        return c


def start_tls_stack(make_stack, pki, client_cert="kiosk", extra=()):
    port = free_port()
    st = make_stack(tls_args(pki, port, client_cert) + list(extra),
                    name="tls")
    wait_until(lambda: _port_open(port), 10, what="TLS port open")
    return TlsStack(st, port)


def _port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def tstack(tmp_path_factory, pki):
    """One stack for the read-mostly tests: TLS port with tls-client-cert
    kiosk."""
    port = free_port()
    with running_stack(tmp_path_factory.mktemp("tls"), tls_args(pki, port),
                       what="the TLS daemon") as st:
        wait_until(lambda: _port_open(port), 10, what="TLS port open")
        yield TlsStack(st, port)


def log_since(daemon, mark):
    return daemon.log_text()[mark:]


def assert_serving(ts, pki):
    """The daemon still answers, over TLS and over plain TCP."""
    assert ts.daemon.alive()
    with ts.client(pki, timeout=3) as c:
        assert c.call("ping") == "pong"
    with ts.daemon.client(timeout=3) as c:
        assert c.call("ping") == "pong"


# ---- calls ----

def test_calls_over_tls(tstack, pki):
    with tstack.admin(pki) as a:
        ev = new_event(a)
        res = a.call("profile.put", profile_doc(ev, "th-coffee"))
        assert res == {"id": "th-coffee", "version": 1}
        got = a.call("profile.get", event=ev, id="th-coffee")
        assert got["company"] == "Company th-coffee"
        assert a.call("server.info")["protocol"] == 1
    # the name in the certificate works as well as the address
    with tstack.client(pki, host="localhost") as c:
        assert c.call("ping") == "pong"


def test_tls_1_1_is_refused(tstack, pki):
    ctx = client_ctx(pki)
    ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        tls_client(tstack.tls_port, ctx).close()
    assert_serving(tstack, pki)


def test_client_with_another_ca_refuses_the_server(tstack, pki):
    with pytest.raises(ssl.SSLCertVerificationError):
        tls_client(tstack.tls_port, client_ctx(pki, ca="other_ca")).close()
    assert_serving(tstack, pki)


def test_server_certificate_must_name_the_host(tstack, pki):
    ctx = client_ctx(pki)
    with pytest.raises(ssl.SSLCertVerificationError):
        tls_client(tstack.tls_port, ctx, host="expomatch.example").close()


# ---- the client-certificate policy ----

@pytest.fixture(scope="module")
def tokens(tstack, pki):
    with tstack.admin(pki) as a:
        ev = new_event(a)
        return {"ev": ev,
                "kiosk": make_token(a, ev, "kiosk")["token"],
                "organizer": make_token(a, ev, "organizer")["token"],
                "app": make_token(a, ev, "app")["token"]}


def test_kiosk_with_a_valid_certificate_is_accepted(tstack, pki, tokens):
    with tstack.client(pki, cert="kiosk") as k:
        res = k.call("auth", token=tokens["kiosk"])
        assert res == {"role": "kiosk", "events": [tokens["ev"]]}
        assert k.call("event.get", event=tokens["ev"])["event"] == \
            tokens["ev"]


def test_kiosk_without_a_certificate_is_refused(tstack, pki, tokens):
    with tstack.client(pki) as k:
        with pytest.raises(rpc.RpcError) as ei:
            k.call("auth", token=tokens["kiosk"])
        assert ei.value.code == "forbidden"
        assert "client certificate" in ei.value.message
        # not authenticated: the connection is still before auth
        with pytest.raises(rpc.RpcError) as ei:
            k.call("event.get", event=tokens["ev"])
        assert ei.value.code == "unauthorized"


def test_kiosk_on_the_plain_port_is_refused(tstack, tokens):
    with tstack.daemon.client() as k:
        with pytest.raises(rpc.RpcError) as ei:
            k.call("auth", token=tokens["kiosk"])
        assert ei.value.code == "forbidden"


def test_other_roles_need_no_certificate(tstack, pki, tokens):
    for role in ("organizer", "app"):
        with tstack.client(pki) as c:
            assert c.call("auth", token=tokens[role])["role"] == role
        with tstack.daemon.client() as c:
            assert c.call("auth", token=tokens[role])["role"] == role


def _refused_by_server(port, ctx):
    """Whether the server refuses this client during or right after the
    handshake (under TLS 1.3 it checks the client's certificate after the
    client's side is done, so the refusal arrives on the first read)."""
    try:
        c = tls_client(port, ctx, timeout=3)
    except (ssl.SSLError, ConnectionError):
        return True
    try:
        c.call("ping")
    except (ssl.SSLError, ConnectionError, rpc.ConnectionClosed):
        return True
    finally:
        c.close()
    return False


def test_certificate_from_another_ca_is_refused(tstack, pki, tokens):
    ctx = client_ctx(pki, cert="stranger")
    assert _refused_by_server(tstack.tls_port, ctx)
    # the same over TLS 1.2, where the refusal is part of the handshake
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    assert _refused_by_server(tstack.tls_port, ctx)
    assert_serving(tstack, pki)


def test_require_refuses_clients_without_a_certificate(make_stack, pki):
    ts = start_tls_stack(make_stack, pki, client_cert="require")
    assert _refused_by_server(ts.tls_port, client_ctx(pki))
    with ts.client(pki, cert="kiosk") as c:
        assert c.call("ping") == "pong"
        assert c.call("auth", token=ts.daemon.admin_token)["role"] == "admin"


def test_none_asks_for_no_certificate_and_kiosks_need_none(make_stack, pki):
    port = free_port()
    st = make_stack(tls_args(pki, port, client_cert="none", ca=False),
                    name="tlsnone")
    ts = TlsStack(st, port)
    wait_until(lambda: _port_open(port), 10, what="TLS port open")
    with ts.admin(pki) as a:
        ev = new_event(a)
        tok = make_token(a, ev, "kiosk")["token"]
    with ts.client(pki) as k:
        assert k.call("auth", token=tok)["role"] == "kiosk"


# ---- notifications and back-pressure ----

def test_notifications_arrive_over_tls(tstack, pki, tokens):
    with tstack.client(pki) as org, tstack.admin(pki) as a:
        org.call("auth", token=tokens["organizer"])
        assert org.call("subscribe", event=tokens["ev"],
                        topics=["event"]) == {"topics": ["event"]}
        pid = uid("p")
        a.call("profile.put", profile_doc(tokens["ev"], pid))
        method, params = org.wait_notification(timeout=5)
        assert method == "participant.update", (method, params)
        assert params == [{"event": tokens["ev"], "id": pid, "version": 1}]


def _send_until_stalled(sock, payload, quiet=1.0, limit=30.0):
    """Sends payload on a non-blocking TLS socket until the peer stops
    taking it for `quiet` seconds; the bytes sent."""
    sent = 0
    view = memoryview(payload)
    last = time.monotonic()
    deadline = last + limit
    while sent < len(payload) and time.monotonic() < deadline:
        select.select([], [sock], [], 0.1)
        try:
            sent += sock.send(view[sent:sent + 16384])
            last = time.monotonic()
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError,
                BlockingIOError):
            if time.monotonic() - last > quiet:
                break
    return sent


def test_pipelining_without_reading_is_back_pressured(make_stack, pki):
    ts = start_tls_stack(make_stack, pki)
    n = 600000
    payload = b"".join(rpc.request_bytes(i, "ping") for i in range(1, n + 1))
    hog = ts.client(pki, timeout=60, rcvbuf=64 * 1024, sndbuf=64 * 1024)
    try:
        rss_before = ts.daemon.status()["VmRSS"]
        hog.sock.setblocking(False)
        sent = _send_until_stalled(hog.sock, payload)
        assert 0 < sent < len(payload), sent
        # the daemon stopped reading: bytes wait unread in its receive
        # queue, and stay there
        q1 = daemon_rx_queue(ts.tls_port, hog.local_port())
        time.sleep(0.5)
        q2 = daemon_rx_queue(ts.tls_port, hog.local_port())
        assert q1 is not None and q1 > 0 and q2 == q1, (q1, q2)
        assert ts.daemon.status()["VmRSS"] - rss_before < 150 * 1024
        # others are served meanwhile, over TLS and plain TCP
        t0 = time.monotonic()
        assert_serving(ts, pki)
        assert time.monotonic() - t0 < 2.0
        # reading lets it go on: every reply arrives, in order
        unpacker = hog.unpacker
        want = 1
        view = memoryview(payload)
        deadline = time.monotonic() + 90
        while want <= n and time.monotonic() < deadline:
            r, w, _ = select.select([hog.sock],
                                    [hog.sock] if sent < len(payload) else [],
                                    [], 0.2)
            try:
                while True:
                    data = hog.sock.recv(1 << 20)
                    assert data, "server closed the connection"
                    unpacker.feed(data)
                    if hog.sock.pending() == 0:
                        break
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                pass
            for msg in unpacker:
                assert msg == [1, want, None, "pong"], msg
                want += 1
            if sent < len(payload):
                try:
                    sent += hog.sock.send(view[sent:sent + 65536])
                except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
                    pass
        assert want == n + 1, want
    finally:
        hog.close()


def test_subscriber_that_does_not_read_is_cut_over_tls(make_stack, pki):
    ts = start_tls_stack(make_stack, pki,
                         extra=["--subscriber-buffer-limit", "65536"])
    d = ts.daemon
    with ts.admin(pki) as a, ts.client(pki, rcvbuf=4096) as sub, \
            d.client() as other:
        ev = new_event(a)
        sub.call("auth", token=make_token(a, ev, "organizer")["token"])
        sub.call("subscribe", event=ev, topics=["event"])
        # From here on `sub` never reads.
        doc = profile_doc(ev, uid("p"))
        for _ in range(100):
            replies = a.pipeline([("profile.put", doc)] * 500, timeout=30)
            assert all(r[2] is None for r in replies)
            assert other.call("ping") == "pong"
            if "over subscriber-buffer-limit" in d.log_text():
                break
        else:
            raise AssertionError("the subscriber was never disconnected")
        assert other.call("ping") == "pong"


# ---- broken and hostile clients ----

def _talk_plain(port, data, half_close):
    """Sends data in the clear to the TLS port; what comes back before the
    server closes."""
    got = b""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        except ConnectionResetError:
            pass
    return got


def test_plain_bytes_on_the_tls_port_fail_cleanly(tstack, pki):
    mark = len(tstack.daemon.log_text())
    # An HTTP request is refused at once, with at most a TLS alert.
    got = _talk_plain(tstack.tls_port, b"GET / HTTP/1.0\r\n\r\n", False)
    assert not got or got[0] == 0x15, got[:16]
    # A MessagePack request looks like the start of an old SSLv2 hello, so
    # the server waits for the rest (auth-timeout ends that wait; see
    # below); a client that gives up is closed, and is never answered in
    # MessagePack.
    got = _talk_plain(tstack.tls_port, rpc.request_bytes(1, "ping"), True)
    assert not got or got[0] == 0x15, got[:16]
    assert_serving(tstack, pki)
    log = log_since(tstack.daemon, mark)
    assert "handshake failed" in log
    assert "[error]" not in log and "[warn]" not in log


def test_garbage_and_aborted_handshakes_do_not_hurt(tstack, pki):
    hello = None
    # a ClientHello cut short, then the client gone
    ctx = client_ctx(pki)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    hello = outgoing.read()
    for cut in (1, 5, len(hello) // 2):
        with socket.create_connection(("127.0.0.1", tstack.tls_port),
                                      timeout=5) as s:
            s.sendall(hello[:cut])
    # random bytes, a TLS record header claiming a huge record
    for junk in (os.urandom(4096), b"\x16\x03\x01\xff\xff" + b"\0" * 100,
                 b"\x16\x03\x03\x00\x05\x01\x00\x00\x01\x00"):
        with socket.create_connection(("127.0.0.1", tstack.tls_port),
                                      timeout=5) as s:
            try:
                s.sendall(junk)
                s.recv(100)
            except OSError:
                pass
    # MessagePack garbage inside a good TLS session: one error reply, closed
    with tstack.client(pki) as c:
        c.send_raw(b"\xc1\xc1\xc1")
        msg = c.read_msg(timeout=5)
        assert msg[0] == 1 and msg[2]["code"] == "bad_request", msg
        with pytest.raises((rpc.ConnectionClosed, ssl.SSLError, OSError)):
            c.read_msg(timeout=5)
    assert_serving(tstack, pki)


def test_renegotiation_is_refused(tstack, pki):
    """openssl s_client asks for a TLS 1.2 renegotiation ("R"); the server
    refuses it without harm."""
    proc = subprocess.run(
        [OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % tstack.tls_port,
         "-tls1_2", "-CAfile", str(pki["ca"]) + ".pem", "-quiet"],
        input=b"R\n", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        timeout=20)
    assert proc.returncode is not None
    assert_serving(tstack, pki)


def test_closing_without_close_notify_is_quiet(tstack, pki):
    d = tstack.daemon
    mark = len(d.log_text())
    with d.client() as plain:
        before = _gauge(d, "expomatch_connections")
        for _ in range(30):
            c = tstack.client(pki)
            assert c.call("ping") == "pong"
            # SSLSocket.close() closes the socket without close_notify
            c.sock.close()
        wait_until(lambda: _gauge(d, "expomatch_connections") == before, 5,
                   what="connections closed")
        assert plain.call("ping") == "pong"
    log = log_since(d, mark)
    assert "TLS error" not in log and "handshake failed" not in log, log
    assert "[warn]" not in log.lower() and "[error]" not in log.lower()


def _gauge(d, name):
    status, body = d.http_get("/metrics")
    assert status == 200
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError("no %s in /metrics" % name)


def test_slow_handshake_is_cut_by_auth_timeout(make_stack, pki):
    ts = start_tls_stack(make_stack, pki, extra=["--auth-timeout", "1"])
    with socket.create_connection(("127.0.0.1", ts.tls_port),
                                  timeout=10) as s:
        t0 = time.monotonic()
        s.sendall(b"\x16\x03\x01")  # a ClientHello that never finishes
        try:
            assert s.recv(100) == b""
        except ConnectionResetError:
            pass
        took = time.monotonic() - t0
    assert 0.5 <= took < 5, took
    assert "auth-timeout" in ts.daemon.log_text()
    assert_serving(ts, pki)


# ---- the CLI ----

def cli_binary():
    return client_binary("expomatch-cli")


def run_cli(*args, timeout=20):
    return subprocess.run([cli_binary(), *[str(a) for a in args]],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, text=True)


def test_cli_speaks_tls(tstack, pki, tokens, tmp_path):
    ca = str(pki["ca"]) + ".pem"
    res = run_cli("-p", tstack.tls_port, "--cacert", ca, "--compact", "ping")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == '"pong"'
    tokfile = tmp_path / "kiosk.token"
    tokfile.write_text(tokens["kiosk"] + "\n")
    args = ["-p", tstack.tls_port, "--tls", "--cacert", ca,
            "-a", "@%s" % tokfile, "--compact", "event.get",
            '{"event": "%s"}' % tokens["ev"]]
    # a kiosk token without a certificate is refused...
    res = run_cli(*args)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "forbidden" in res.stderr
    # ...and accepted with the kiosk's certificate
    res = run_cli("--cert", str(pki["kiosk"]) + ".pem",
                  "--key", str(pki["kiosk"]) + ".key", *args)
    assert res.returncode == 0, res.stderr
    assert tokens["ev"] in res.stdout


def test_cli_fails_clearly_on_a_bad_certificate(tstack, pki):
    res = run_cli("-p", tstack.tls_port, "--cacert",
                  str(pki["other_ca"]) + ".pem", "ping")
    assert res.returncode == 3, (res.stdout, res.stderr)
    assert "certificate verify failed" in res.stderr, res.stderr
    # a host name the certificate does not carry
    res = run_cli("-h", "127.0.0.2", "-p", tstack.tls_port, "--cacert",
                  str(pki["ca"]) + ".pem", "ping")
    assert res.returncode == 3
    # plain TCP to the TLS port, TLS to the plain port: clear failures
    res = run_cli("-p", tstack.daemon.port, "--cacert",
                  str(pki["ca"]) + ".pem", "-t", "3", "ping")
    assert res.returncode == 3
    assert "TLS" in res.stderr, res.stderr
    res = run_cli("-p", tstack.tls_port, "--cacert",
                  str(pki["ca"]) + ".pem", "--cert", "/nonexistent.pem",
                  "ping")
    assert res.returncode == 3
    assert "/nonexistent.pem" in res.stderr
    assert_serving(tstack, pki)


# ---- configuration ----

def _start_fails(tmp_path, args):
    d = tmp_path / "bad"
    d.mkdir(exist_ok=True)
    key = d / "secret.key"
    key.write_bytes(os.urandom(32))
    argv = [daemon_binary(), "--port", str(free_port()), "--http-port", "0",
            "--redis", "127.0.0.1:1", "--admin-token", "x" * 32,
            "--secret-key-file", str(key)] + [str(a) for a in args]
    res = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=20, text=True)
    assert res.returncode != 0, (res.stdout, res.stderr)
    return res.stdout + res.stderr


def test_missing_key_file_fails_at_start_naming_it(tmp_path, pki):
    args = tls_args(pki, free_port())
    i = args.index("--tls-key-file")
    args[i + 1] = str(tmp_path / "missing.key")
    out = _start_fails(tmp_path, args)
    assert "tls-key-file" in out and str(tmp_path / "missing.key") in out, out


def test_bad_tls_configs_fail_at_start(tmp_path, pki):
    port = free_port()
    # a key that belongs to another certificate
    args = tls_args(pki, port)
    args[args.index("--tls-key-file") + 1] = str(pki["kiosk"]) + ".key"
    out = _start_fails(tmp_path, args)
    assert "does not match" in out, out
    # a certificate file that is not one
    args = tls_args(pki, port)
    args[args.index("--tls-cert-file") + 1] = str(pki["kiosk"]) + ".key"
    out = _start_fails(tmp_path, args)
    assert "tls-cert-file" in out, out
    # client certificates asked for without a CA, and a CA with none
    out = _start_fails(tmp_path, tls_args(pki, port, "kiosk", ca=False))
    assert "tls-ca-cert-file" in out, out
    out = _start_fails(tmp_path, tls_args(pki, port, "none"))
    assert "tls-client-cert" in out, out
    out = _start_fails(tmp_path, tls_args(pki, port, "sometimes"))
    assert "tls-client-cert" in out, out
    # no certificate at all
    out = _start_fails(tmp_path, ["--tls-port", port])
    assert "tls-cert-file" in out, out
