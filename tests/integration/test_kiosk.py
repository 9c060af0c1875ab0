"""expomatch-kiosk end to end: the real kiosk program in a detached 80x24
tmux session of its own (a private tmux server, killed afterwards), driven
with send-keys as a badge scanner would drive it, read with capture-pane,
against the real daemon. Checks what a participant sees (its language, its
agenda with partner, table and interpreter, its requests and their answer,
meet-now suggestions), what nobody may see (badge secrets, contact details,
the kiosk token), bad scans, the idle timeout, and that text in Thai,
Chinese/Japanese and Arabic never overflows the 80 columns."""
import datetime
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
import unicodedata
from pathlib import Path

import msgpack
import pytest

from conftest import REPO, client_binary, free_port
from helpers import make_token, new_event, profile_doc
from test_tls import pki, start_tls_stack  # noqa: F401 (pki: a fixture)

COLS, ROWS = 80, 24
WAIT = 5.0  # seconds for the screen to show something

BADGE_TH = "th-badge-" + secrets.token_hex(8)
BADGE_EN = "en-badge-" + secrets.token_hex(8)
THAI_COMPANY = "บริษัท กาแฟดอยช้าง อินเตอร์เนชั่นแนล จำกัด"
CJK_COMPANY = "株式会社東京国際貿易珈琲輸入販売センター本社営業部門第一課"
ARABIC_COMPANY = ("شركة الخليج العربي للتجارة الدولية والاستيراد والتصدير"
                  " المحدودة")
CONTACTS = {
    "somchai": {"name": "Somchai Jaidee", "email": "somchai@doi.example",
                "phone": "+66 81 234 5678"},
    "alice": {"name": "Alice Martin", "email": "alice@alpine.example",
              "phone": "+41 44 555 0101"},
    "tanaka": {"email": "tanaka@tokyo.example"},
    "karim": {"email": "karim@gulf.example"},
}


def kiosk_binary():
    return client_binary("expomatch-kiosk")


def locale_dir(binary):
    """$EXPOMATCH_LOCALEDIR, else the build tree that goes with the
    binary's directory (bin/ -> build/locale, bin-X/ -> build-X/locale)."""
    env = os.environ.get("EXPOMATCH_LOCALEDIR")
    if env:
        return env
    bindir = Path(binary).resolve().parent
    suffix = bindir.name[3:] if bindir.name.startswith("bin") else ""
    for cand in (bindir.parent / ("build%s" % suffix) / "locale",
                 REPO / "build" / "locale"):
        if (cand / "th" / "LC_MESSAGES" / "expomatch-kiosk.mo").is_file():
            return str(cand)
    pytest.fail("no compiled Thai catalog next to %s (make, or set "
                "EXPOMATCH_LOCALEDIR)" % binary)


def display_width(line):
    """Columns a line takes on a terminal: combining marks none, East Asian
    wide and full-width characters two."""
    w = 0
    for ch in line:
        if unicodedata.combining(ch) or unicodedata.category(ch) in (
                "Mn", "Me", "Cf"):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return w


class Tmux:
    """A private tmux server (its own socket name, no user config) with one
    detached 80x24 session running the kiosk."""

    def __init__(self, tmp_path):
        self.name = "expomatch-kiosk-test-%s" % secrets.token_hex(6)
        self.conf = tmp_path / "tmux.conf"
        # No status line: the kiosk gets all 24 rows. A kiosk that dies
        # leaves its last screen to read.
        self.conf.write_text("set -g status off\n"
                             "set -g remain-on-exit on\n"
                             "set -g history-limit 100\n")
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("TMUX", "LC_", "LANGUAGE"))}
        self.env["LANG"] = "C.UTF-8"
        self.started = False
        self.socket = None

    def tmux(self, *args, check=True):
        return subprocess.run(
            ["tmux", "-u", "-L", self.name, "-f", str(self.conf)] +
            [str(a) for a in args], env=self.env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10,
            check=check)

    def start(self, argv, env=None):
        extra = []
        for k, v in (env or {}).items():
            extra += ["-e", "%s=%s" % (k, v)]
        self.tmux("new-session", "-d", "-s", "kiosk", "-x", COLS, "-y", ROWS,
                  *extra, "--", *argv)
        self.started = True
        self.socket = self.tmux("display-message", "-p",
                                "#{socket_path}").stdout.decode().strip()

    def send(self, *keys):
        self.tmux("send-keys", "-t", "kiosk", *keys)

    def type(self, text):
        """Types text literally, as a scanner does, then Enter."""
        self.tmux("send-keys", "-t", "kiosk", "-l", text)
        self.send("Enter")

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "kiosk").stdout.decode(
            "utf-8", "replace")

    def pane_pid(self):
        out = self.tmux("display-message", "-p", "-t", "kiosk",
                        "#{pane_pid}").stdout.decode().strip()
        return int(out)

    def wait_for(self, *texts, gone=(), timeout=WAIT):
        """Polls the screen until it shows every one of texts and none of
        gone; returns it, or fails with the last screen."""
        deadline = time.monotonic() + timeout
        while True:
            scr = self.screen()
            if all(t in scr for t in texts) and not any(
                    g in scr for g in gone):
                return scr
            if time.monotonic() > deadline:
                pytest.fail("screen never showed %r%s; last screen:\n%s" % (
                    texts, " without %r" % (gone,) if gone else "", scr))
            time.sleep(0.05)

    def kill(self):
        if self.started:
            self.tmux("kill-server", check=False)
            self.started = False
            # tmux leaves its socket file behind.
            if self.socket and os.path.basename(self.socket) == self.name:
                try:
                    os.unlink(self.socket)
                except OSError:
                    pass


@pytest.fixture
def tmux(tmp_path):
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    t = Tmux(tmp_path)
    yield t
    t.kill()


def check_layout(scr):
    lines = scr.split("\n")
    assert len(lines) <= ROWS + 1, scr
    for line in lines:
        assert display_width(line) <= COLS, "too wide (%d): %r" % (
            display_width(line), line)


def assert_private(scr):
    """Nothing a kiosk must never show: badge secrets, contact details."""
    for secret in (BADGE_TH, BADGE_EN):
        assert secret not in scr
        assert secret[-8:] not in scr
    for contact in CONTACTS.values():
        for v in contact.values():
            assert v not in scr, v
    assert "@" not in scr


def slots_around_now():
    """Three 30-minute slots (UTC event): the one on now and two more."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(
        tzinfo=None, second=0, microsecond=0)
    start = now - datetime.timedelta(minutes=10)
    out = []
    for i in range(3):
        a = start + datetime.timedelta(minutes=30 * i)
        b = a + datetime.timedelta(minutes=30)
        out.append({"id": "n%d" % i, "start": a.strftime("%Y-%m-%dT%H:%M:%S"),
                    "end": b.strftime("%Y-%m-%dT%H:%M:%S")})
    return out


@pytest.fixture
def expo(admin, daemon, clients, tmp_path):
    """An event on now with a Thai buyer (somchai, Thai only) who has a
    scheduled meeting needing an interpreter, two pending requests, and a
    checked-in match free now; an English seller (alice); interpreters for
    Thai with Japanese and with English; a kiosk token in a file."""
    slots = slots_around_now()
    ev = new_event(admin, slots=slots, tables=4,
                   interpreters=[{"id": "int-th-ja",
                                  "languages": ["th", "ja"]},
                                 {"id": "int-th-en",
                                  "languages": ["th", "en"]}])
    org = clients(daemon.as_token(make_token(admin, ev, "organizer")["token"]))
    app = clients(daemon.as_token(make_token(admin, ev, "app")["token"]))

    def put(pid, **over):
        doc = profile_doc(ev, pid, **over)
        if pid in CONTACTS:
            doc["contact"] = CONTACTS[pid]
        org.call("profile.put", doc)

    put("somchai", side="buyer", company=THAI_COMPANY, country="TH",
        languages=["th"], needs=[{"code": "090111"}], badge=BADGE_TH)
    put("alice", side="seller", company="Alpine Coffee Traders",
        country="CH", languages=["en", "de"], offers=[{"code": "090111"}],
        badge=BADGE_EN)
    put("tanaka", side="seller", company=CJK_COMPANY, country="JP",
        languages=["ja"], offers=[{"code": "090111"}])
    put("karim", side="seller", company=ARABIC_COMPANY, country="AE",
        languages=["ar"], offers=[{"code": "090111"}])
    put("mali", side="seller", company="Mali Arabica Farm", country="LA",
        languages=["th"], offers=[{"code": "090111"}])
    org.call("checkin", event=ev, id="mali")
    booked = org.call("meeting.create", event=ev, to="tanaka",
                      **{"from": "somchai"})
    assert booked["status"] == "scheduled", booked
    assert booked["interpreter"] == "int-th-ja", booked
    req_alice = app.call("meeting.request", event=ev, to="somchai",
                         note="Specialty beans for Zurich cafes?",
                         **{"from": "alice"})
    req_karim = app.call("meeting.request", event=ev, to="somchai",
                         **{"from": "karim"})
    token = make_token(admin, ev, "kiosk")["token"]
    token_file = tmp_path / "kiosk.token"
    token_file.write_text(token + "\n")
    os.chmod(token_file, 0o600)
    return {"ev": ev, "org": org, "slots": slots, "booked": booked,
            "req_alice": req_alice, "req_karim": req_karim,
            "token": token, "token_file": token_file}


def start_kiosk(tmux, daemon, token_arg, *extra):
    binary = kiosk_binary()
    assert os.access(binary, os.X_OK), "no kiosk binary at %s" % binary
    tmux.start([binary, "-p", daemon.port, "-a", token_arg] + list(extra),
               env={"EXPOMATCH_LOCALEDIR": locale_dir(binary)})
    return tmux.wait_for("Scan your badge")


def scan(ev, pid, badge):
    return "EXPOMATCH1 %s %s %s" % (ev, pid, badge)


def test_a_thai_participant_checks_in_answers_and_is_forgotten(
        tmux, daemon, expo):
    ev, org = expo["ev"], expo["org"]
    scr = start_kiosk(tmux, daemon, "@%s" % expo["token_file"],
                      "--timeout", "6")
    check_layout(scr)
    # The token shows neither on screen nor in the process list.
    assert expo["token"] not in scr
    cmdline = Path("/proc/%d/cmdline" % tmux.pane_pid()).read_bytes()
    assert expo["token"].encode() not in cmdline

    # Scans that are not a badge of this event say so and change nothing.
    tmux.type("HELLO WORLD")
    scr = tmux.wait_for("This is not an expomatch badge")
    assert "Scan your badge" in scr
    tmux.type(scan("another-event", "somchai", BADGE_TH))
    tmux.wait_for("This badge is for another event")
    tmux.type(scan(ev, "somchai", "wrong-badge-1234"))
    tmux.wait_for("This badge was not recognized")

    # The Thai participant's scan: masked while typed, then its agenda in
    # Thai, with the partner, the table and the interpreter.
    tmux.send("-l", scan(ev, "somchai", BADGE_TH))
    scr = tmux.wait_for("*" * 20)
    assert BADGE_TH not in scr and "somchai" not in scr
    tmux.send("Enter")
    scr = tmux.wait_for("ตารางนัดหมาย", "ยินดีต้อนรับ")
    check_layout(scr)
    assert_private(scr)
    assert THAI_COMPANY[:12] in scr
    for word in ("เวลา", "โต๊ะ", "คู่เจรจา", "ล่าม", "คำขอนัด (2)"):
        assert word in scr, word
    booked = expo["booked"]
    row = next(line for line in scr.split("\n") if "int-th-ja" in line)
    assert booked["start"][11:16] in row, row
    assert " %s " % booked["table"] in row, row
    assert CJK_COMPANY[:8] in row, row      # the long name, cut in place
    assert display_width(row) <= COLS

    # Its requests: the Arabic and English requesters, each with buttons.
    tmux.send("2")
    scr = tmux.wait_for("Alpine Coffee Traders", "ตอบรับ", "ปฏิเสธ")
    check_layout(scr)
    assert_private(scr)
    assert ARABIC_COMPANY[:10] in scr
    assert "Specialty beans" in scr
    lines = scr.split("\n")
    alice_row = next(i for i, l in enumerate(lines) if "Alpine" in l)
    selected = next(i for i, l in enumerate(lines) if l.startswith(" >"))
    for _ in range((alice_row - selected) // 2):
        tmux.send("Down")
    tmux.wait_for("> Alpine Coffee Traders")
    # Enter before choosing asks for a choice; Left chooses Accept.
    tmux.send("Enter")
    tmux.wait_for("โปรดเลือก")
    tmux.send("Left")
    tmux.send("Enter")
    scr = tmux.wait_for("ตอบรับแล้ว: นัดหมายของคุณเวลา")
    check_layout(scr)
    m = org.call("meeting.get", event=ev,
                 meeting=expo["req_alice"]["meeting"])
    assert m["status"] == "scheduled", m
    assert m["interpreter"] == "int-th-en", m
    assert m["start"][11:16] in scr and m["table"] in scr
    other = org.call("meeting.get", event=ev,
                     meeting=expo["req_karim"]["meeting"])
    assert other["status"] == "requested", other

    # The agenda now holds the new meeting; meet now suggests the
    # checked-in match.
    tmux.send("1")
    scr = tmux.wait_for("Alpine Coffee Traders", "int-th-ja", "int-th-en")
    check_layout(scr)
    tmux.send("Tab", "Tab")
    scr = tmux.wait_for("Mali Arabica Farm", "บริษัท")
    check_layout(scr)
    assert_private(scr)

    # Left alone, the kiosk goes back to the welcome screen in English and
    # nothing of the participant stays on it.
    scr = tmux.wait_for("Scan your badge", timeout=10)
    for gone in ("ยินดี", "Alpine", "int-th-ja", "Mali", THAI_COMPANY[:6],
                 CJK_COMPANY[:4], ARABIC_COMPANY[:4]):
        assert gone not in scr, gone
    check_layout(scr)
    assert tmux.screen().count("*") == 0


def test_an_english_participant_sees_english_and_esc_ends(tmux, daemon,
                                                         expo):
    ev = expo["ev"]
    start_kiosk(tmux, daemon, "@%s" % expo["token_file"])
    tmux.type(scan(ev, "alice", BADGE_EN))
    # The tab bar can be on the screen a moment before the agenda under
    # it: wait for both, so the checks see the whole screen.
    scr = tmux.wait_for("Welcome, Alpine Coffee Traders", "Agenda",
                        "No meetings booked yet.")
    check_layout(scr)
    assert_private(scr)
    assert "ตาราง" not in scr
    tmux.send("2")
    tmux.wait_for("Requests you sent, waiting for an answer: 1")
    # A narrower terminal: the screen is laid out again to fit it.
    tmux.tmux("resize-window", "-t", "kiosk", "-x", 50, "-y", 16)
    scr = tmux.wait_for("Requests you sent", "Welcome, Alpine")
    assert all(display_width(line) <= 50 for line in scr.split("\n")), scr
    tmux.tmux("resize-window", "-t", "kiosk", "-x", 30, "-y", 8)
    tmux.wait_for("Please enlarge this window.")
    tmux.tmux("resize-window", "-t", "kiosk", "-x", COLS, "-y", ROWS)
    tmux.send("3")
    tmux.wait_for("Meet now", gone=("Please enlarge",))
    # A new scan straight away replaces the participant.
    tmux.type(scan(ev, "somchai", BADGE_TH))
    scr = tmux.wait_for("ตารางนัดหมาย", gone=("Alpine Coffee Traders",))
    check_layout(scr)
    tmux.send("Escape")
    scr = tmux.wait_for("Scan your badge", gone=("ตารางนัดหมาย",))
    assert THAI_COMPANY[:6] not in scr


def test_no_server_says_service_unavailable(tmux):
    binary = kiosk_binary()
    port = free_port()
    tmux.start([binary, "-p", port, "-a", "not-used-token", "--event",
                "ev-x", "-t", "2"],
               env={"EXPOMATCH_LOCALEDIR": locale_dir(binary)})
    tmux.wait_for("Scan your badge")
    tmux.type(scan("ev-x", "somchai", BADGE_TH))
    scr = tmux.wait_for("Service unavailable, please ask staff")
    assert BADGE_TH not in scr


def test_a_token_that_is_not_a_kiosk_token_is_refused_at_start(
        admin, daemon, expo, tmp_path):
    tok = make_token(admin, expo["ev"], "app")["token"]
    env = dict(os.environ, EXPOMATCH_TOKEN=tok)
    res = subprocess.run([kiosk_binary(), "-p", str(daemon.port)], env=env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=10)
    assert res.returncode == 2, res
    assert b"not a kiosk token" in res.stderr
    assert tok.encode() not in res.stderr + res.stdout


def test_kiosk_over_tls_with_its_certificate(tmux, make_stack, pki,
                                            tmp_path):
    """A daemon that takes kiosk tokens only over TLS with a certificate of
    the expo's CA (tls-client-cert kiosk): the kiosk with its certificate
    serves a scan; without one its token is refused at start."""
    ts = start_tls_stack(make_stack, pki)
    with ts.admin(pki) as a:
        ev = new_event(a)
        a.call("profile.put", profile_doc(ev, "tls-1", company="TLS Coffee Co",
                                          languages=["en"], badge=BADGE_EN))
        tok = make_token(a, ev, "kiosk")["token"]
    tok_file = tmp_path / "kiosk.token"
    tok_file.write_text(tok + "\n")
    binary = kiosk_binary()
    base = [binary, "-p", str(ts.tls_port), "-a", "@%s" % tok_file,
            "--cacert", "%s.pem" % pki["ca"]]
    res = subprocess.run(base, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=15)
    assert res.returncode == 2, res
    tmux.start(base + ["--cert", "%s.pem" % pki["kiosk"],
                       "--key", "%s.key" % pki["kiosk"]],
               env={"EXPOMATCH_LOCALEDIR": locale_dir(binary)})
    tmux.wait_for("Scan your badge")
    tmux.type(scan(ev, "tls-1", BADGE_EN))
    scr = tmux.wait_for("Welcome, TLS Coffee Co")
    assert_private(scr)


def test_installed_kiosk_finds_its_thai_catalog(tmux, tmp_path):
    """`make install` puts the kiosk and its catalogs under PREFIX, and the
    installed program finds them by itself; the kiosk's own language comes
    from the environment (a Thai locale, even one not installed here)."""
    bindir = Path(kiosk_binary()).resolve().parent
    if bindir.parent != REPO or not bindir.name.startswith("bin"):
        pytest.skip("the kiosk under test is not built in this tree")
    make = ["make", "-s", "BIN=%s" % bindir.name,
            "BUILD=build%s" % bindir.name[3:]]
    q = subprocess.run(make + ["-q", "all"], cwd=str(REPO),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=30)
    if q.returncode != 0:
        pytest.skip("the build is not up to date; run `make` first so that "
                    "`make install` only copies")
    dest = tmp_path / "dest"
    res = subprocess.run(make + ["install", "DESTDIR=%s" % dest,
                                 "PREFIX=/opt/em"], cwd=str(REPO),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    root = dest / "opt" / "em"
    kiosk = root / "bin" / "expomatch-kiosk"
    assert os.access(kiosk, os.X_OK)
    assert (root / "share" / "locale" / "th" / "LC_MESSAGES" /
            "expomatch-kiosk.mo").is_file()
    tmux.env.pop("EXPOMATCH_LOCALEDIR", None)
    tmux.env["LANG"] = "th_TH.UTF-8"
    tmux.start([kiosk, "-p", free_port(), "-a", "unused-token",
                "--event", "ev-x"])
    tmux.wait_for("โปรดสแกนบัตรของคุณ")


# ---- replies of every wrong shape ----

def fake_server_replies(method, args):
    """What a broken or hostile server answers: wrong types everywhere,
    control characters, escape sequences, contacts it must not send."""
    if method == "auth":
        return {"role": "kiosk", "events": [7, "ev-fake"]}
    if method == "event.get":
        return {"name": "Fake\x1b[2J Expo", "slots": [
            1, {"id": 5}, {"id": "n0", "start": None}, "x"]}
    if method == "profile.get":
        if args.get("viewer"):
            return {"company": 42, "contact": {"email": "leak2@x.example"}}
        return {"company": "\x1b]2;pwned\x07Evil\u202e Corp\r\nLtd",
                "languages": ["th", 5, None, "x" * 1000],
                "contact": {"email": "leak1@x.example"}}
    if method == "checkin":
        return {"checked_in": True, "agenda": [
            1, "x", None,
            {"partner": "not-a-map", "start": 5, "table": ["t"],
             "contact": "leak3@x.example"},
            {"partner": {"company": "A" * 5000}, "start": "2026",
             "end": None, "interpreter": {"x": 1}},
            {"partner": {"id": "only-id"}, "start": "2026-07-13T09:00:00",
             "end": "2026-07-13T09:30:00", "table": "T\x00ABLE"}],
            "meet_now": [None, {"company": "Meet Me"},
                         {"company": "N", "score": "high", "slot": 3}]}
    if method == "meeting.inbox":
        return {"incoming": [
            {"meeting": "m1", "from": "p2", "note": "n" * 3000},
            {"meeting": 1, "from": "p3"},
            {"meeting": "m3", "from": "bad id!"}], "outgoing": "x"}
    if method == "meeting.respond":
        return ["weird"]
    if method == "agenda.get":
        return {"not": "an array"}
    return None


class FakeServer:
    """A MessagePack-RPC server on a loopback port that answers with
    fake_server_replies, one thread per connection."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.methods = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self.talk, args=(conn,),
                             daemon=True).start()

    def talk(self, conn):
        conn.settimeout(0.2)
        unpacker = msgpack.Unpacker(raw=False)
        with conn:
            while not self.stop.is_set():
                try:
                    data = conn.recv(65536)
                except OSError:
                    continue
                if not data:
                    return
                unpacker.feed(data)
                for msg in unpacker:
                    _, msgid, method, params = msg
                    args = params[0] if params else {}
                    self.methods.append(method)
                    conn.sendall(msgpack.packb(
                        [1, msgid, None,
                         fake_server_replies(method, args)],
                        use_bin_type=True))

    def close(self):
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


def test_replies_of_any_shape_never_crash_or_leak(tmux):
    server = FakeServer()
    try:
        binary = kiosk_binary()
        tmux.start([binary, "-p", server.port, "-a", "fake-token"],
                   env={"EXPOMATCH_LOCALEDIR": locale_dir(binary)})
        tmux.wait_for("Scan your badge")
        tmux.type(scan("ev-fake", "p1", BADGE_TH))
        scr = tmux.wait_for("Evil", "ตารางนัดหมาย", "only-id", "09:00")
        check_layout(scr)
        assert "leak" not in scr and BADGE_TH not in scr
        assert "\x1b" not in scr
        pane = tmux.tmux("display-message", "-p", "-t", "kiosk",
                         "#{pane_dead} #{pane_title}").stdout.decode()
        assert pane.split()[0] == "0" and "pwned" not in pane, pane
        tmux.send("2")
        scr = tmux.wait_for("p2", "nnnn")
        check_layout(scr)
        assert "p3" not in scr and "bad id" not in scr
        tmux.send("Left", "Enter")
        scr = tmux.wait_for("คำขอนี้ปิดไปแล้ว")
        tmux.send("3")
        scr = tmux.wait_for("Meet Me")
        check_layout(scr)
        assert "leak" not in scr
        assert server.methods[:2] == ["auth", "event.get"], server.methods
        assert "meeting.respond" in server.methods
    finally:
        server.close()
