"""expomatch-cli beyond one call: CSV import of participants (bad rows
reported by line and skipped), CSV export of the schedule, subscribe
printing notifications as they come, and the prompt (from a pipe, and at a
terminal with line editing and history)."""
import csv
import io
import json
import os
import pty
import re
import select
import subprocess
import time

import pytest

from helpers import event_doc, expect_error, uid
from test_binaries import cli_binary, text

RUN_TIMEOUT = 20


@pytest.fixture
def token_file(daemon, tmp_path):
    f = tmp_path / "admin.token"
    f.write_text(daemon.admin_token + "\n")
    os.chmod(f, 0o600)
    return f


def cli(daemon, token_file, *args, stdin=None):
    return subprocess.run(
        [cli_binary(), "-p", str(daemon.port), "-t", "5", "-a",
         "@%s" % token_file] + [str(a) for a in args],
        input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        timeout=RUN_TIMEOUT)


def write_csv(path, text_, bom=True, newline="\r\n"):
    data = text_.replace("\n", newline).encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


# ---- import ----------------------------------------------------------------

HEADER = ("ID,Side,Company,Country,Languages,Sectors,Offers,Needs,"
          "Cooperation,Markets,Size,Max_Meetings,Contact_Name,"
          "Contact_Email,Badge")
COLUMNS = [c.lower() for c in HEADER.split(",")]


def row(**cells):
    """A CSV line with the given cells in HEADER's columns (as written, so
    quoting is the caller's)."""
    return ",".join(cells.get(c, "") for c in COLUMNS)


GOOD_AND_BAD = "\n".join([
    HEADER,
    # line 2
    row(id="th-1", side="seller", company="บริษัท กาแฟไทย จำกัด",
        country="th", languages="TH;en", sectors="1079;c",
        offers="0901.11 Arabica green coffee; ข้าวหอมมะลิ",
        cooperation="joint venture;trade", markets="jp;cn", size="small",
        max_meetings="4", contact_name="Somchai",
        contact_email="somchai@example.com", badge="badge-secret-1"),
    # lines 3-4: a quoted cell with a comma, another with a line break
    row(id="jp-1", side="buyer", company='"Kyoto Foods, Ltd."',
        country="JP", languages="ja", needs='"090111\n0902 green tea"',
        cooperation="distribution", markets="TH", size="medium"),
    row(id="bad-country", side="seller", company="Nowhere Co",
        country="Thailand", languages="en"),  # 5: refused by the server
    row(side="buyer", company="No Id Co", country="US",
        languages="en"),  # 6
    row(id="too-many", side="buyer", company="Cells Co", country="US",
        languages="en") + ",x,y",  # 7
    "",  # 8: blank lines are passed over
    row(id="th-1", side="buyer", company="Second th-1", country="TH",
        languages="th"),  # 9
    row(id="bad-count", side="seller", company="Count Co", country="US",
        languages="en", max_meetings="several"),  # 10
    row(id="ae-1", side="both", company="شركة القهوة", country="AE",
        languages="ar", needs="coffee"),  # 11
]) + "\n"


def test_import_reports_bad_rows_by_line_and_imports_the_rest(
        daemon, admin, token_file, tmp_path):
    ev = uid("ev")
    admin.call("event.put", event_doc(ev))
    f = write_csv(tmp_path / "people.csv", GOOD_AND_BAD)
    res = cli(daemon, token_file, "import", ev, f)
    err = text(res.stderr)
    assert res.returncode == 4, err
    assert text(res.stdout).strip() == \
        "import: 8 rows, 3 imported, 5 skipped", text(res.stdout)
    # Line numbers are physical lines: jp-1's quoted cell spans lines 3-4.
    assert re.search(r"line 5 \(id bad-country\): bad_request: .*country",
                     err), err
    assert "line 6: id is empty" in err, err
    assert "line 7: 17 cells, but the header has 15" in err, err
    assert "line 9: id th-1 was already imported from line 2" in err, err
    assert 'line 10: max_meetings "several" is not a whole number' in err
    assert len(re.findall(r"row skipped", err)) == 5, err

    th = admin.call("profile.get", event=ev, id="th-1")
    assert th["company"] == "บริษัท กาแฟไทย จำกัด"
    assert th["country"] == "TH" and th["languages"] == ["th", "en"]
    assert th["sectors"] == ["1079", "C"]
    assert th["offers"] == [
        {"code": "090111", "text": "Arabica green coffee"},
        {"text": "ข้าวหอมมะลิ"}]
    assert th["cooperation"] == ["joint_venture", "trade"]
    assert th["markets"] == ["JP", "CN"] and th["size"] == "small"
    assert th["max_meetings"] == 4
    assert th["contact"] == {"name": "Somchai",
                             "email": "somchai@example.com"}
    assert "badge" not in th
    jp = admin.call("profile.get", event=ev, id="jp-1")
    assert jp["company"] == "Kyoto Foods, Ltd."
    assert jp["needs"] == [{"code": "090111"},
                           {"code": "0902", "text": "green tea"}]
    assert "contact" not in jp
    ae = admin.call("profile.get", event=ev, id="ae-1")
    assert ae["company"] == "شركة القهوة" and ae["needs"] == [
        {"text": "coffee"}]
    for bad in ("bad-country", "too-many", "bad-count"):
        expect_error("not_found", admin.call, "profile.get", event=ev,
                     id=bad)


def test_import_badge_column_lets_a_kiosk_act_for_the_participant(
        daemon, admin, token_file, tmp_path):
    ev = uid("ev")
    admin.call("event.put", event_doc(ev))
    f = write_csv(tmp_path / "b.csv",
                  "id,side,company,country,languages,badge\n"
                  "k-1,seller,Kiosk Co,TH,th,badge-0123456789\n")
    res = cli(daemon, token_file, "import", ev, f)
    assert res.returncode == 0, text(res.stderr)
    kiosk = daemon.as_token(admin.call("token.create", event=ev,
                                       role="kiosk")["token"])
    try:
        got = kiosk.call("checkin", event=ev, id="k-1",
                         badge="badge-0123456789")
        assert got["checked_in"] is True
    finally:
        kiosk.close()


def test_import_semicolon_separated_file_without_bom_and_lf_lines(
        daemon, admin, token_file, tmp_path):
    ev = uid("ev")
    admin.call("event.put", event_doc(ev))
    f = write_csv(tmp_path / "semi.csv",
                  "id;side;company;country;languages;markets\n"
                  "de-1;buyer;\"Müller; Söhne GmbH\";DE;\"de;en\";TH\n",
                  bom=False, newline="\n")
    res = cli(daemon, token_file, "import", ev, f)
    assert res.returncode == 0, text(res.stderr)
    got = admin.call("profile.get", event=ev, id="de-1")
    assert got["company"] == "Müller; Söhne GmbH"
    # with ';' between cells, a cell of several values is quoted
    assert got["languages"] == ["de", "en"] and got["markets"] == ["TH"]


@pytest.mark.parametrize("header,why", [
    ("id,side,company,country,languages,colour", 'unknown column "colour"'),
    ("id,side,company,country", 'no "languages" column'),
    ("id,side,company,country,languages,id", 'column "id" given twice'),
])
def test_import_bad_header_imports_nothing_and_exits_65(
        daemon, admin, token_file, tmp_path, header, why):
    ev = uid("ev")
    admin.call("event.put", event_doc(ev))
    f = write_csv(tmp_path / "h.csv",
                  header + "\nx-1,seller,X Co,TH,th,red\n")
    res = cli(daemon, token_file, "import", ev, f)
    assert res.returncode == 65, text(res.stderr)
    assert why in text(res.stderr), text(res.stderr)
    assert admin.call("profile.list", event=ev)["profiles"] == []


def test_import_unterminated_quote_is_reported_and_earlier_rows_kept(
        daemon, admin, token_file, tmp_path):
    ev = uid("ev")
    admin.call("event.put", event_doc(ev))
    f = write_csv(tmp_path / "q.csv",
                  "id,side,company,country,languages\n"
                  "ok-1,seller,OK Co,TH,th\n"
                  "q-1,seller,\"Open quote Co,TH,th\n"
                  "q-2,seller,After Co,TH,th\n")
    res = cli(daemon, token_file, "import", ev, f)
    assert res.returncode == 4
    assert "line 3: a quoted field opened on line 3 never closes" in \
        text(res.stderr), text(res.stderr)
    assert admin.call("profile.get", event=ev, id="ok-1")["company"] == \
        "OK Co"


def test_import_from_stdin_and_missing_file(daemon, admin, token_file,
                                            tmp_path):
    ev = uid("ev")
    admin.call("event.put", event_doc(ev))
    res = cli(daemon, token_file, "import", ev, "-",
              stdin=b"id,side,company,country,languages\n"
                    b"s-1,seller,Stdin Co,TH,th\n")
    assert res.returncode == 0, text(res.stderr)
    assert "1 imported" in text(res.stdout)
    res = cli(daemon, token_file, "import", ev, tmp_path / "absent.csv")
    assert res.returncode == 66
    assert "cannot open" in text(res.stderr)


# ---- export ----------------------------------------------------------------

def scheduled_event(admin):
    ev = uid("ev")
    admin.call("event.put", event_doc(ev, tables=["A1", "A2", "B10", "9"]))
    people = [("p-th", "seller", "บริษัท ข้าวไทย"),
              ("p-jp", "buyer", "=HYPERLINK(\"http://x\")"),
              ("p-us", "buyer", "Acme, \"Best\" Foods")]
    for pid, side, company in people:
        admin.call("profile.put", {
            "event": ev, "id": pid, "side": side, "company": company,
            "country": "TH" if pid == "p-th" else "JP",
            "languages": ["en"]})
    m1 = admin.call("meeting.create", event=ev, **{"from": "p-th"},
                    to="p-jp")
    m2 = admin.call("meeting.create", event=ev, **{"from": "p-th"},
                    to="p-us")
    m3 = admin.call("meeting.create", event=ev, **{"from": "p-jp"},
                    to="p-us", slots=["s3"])
    assert {m["status"] for m in (m1, m2, m3)} == {"scheduled"}
    return ev, [m1, m2, m3]


def parse_export(data):
    assert data.startswith(b"\xef\xbb\xbf")
    body = data[3:].decode("utf-8")
    # every record ends with CRLF, as RFC 4180 and spreadsheets expect
    assert body.endswith("\r\n") and "\n" not in body.replace("\r\n", "")
    return list(csv.reader(io.StringIO(body, newline="")))


def test_export_writes_the_schedule_in_slot_order_with_companies(
        daemon, admin, token_file, tmp_path):
    ev, ms = scheduled_event(admin)
    out = tmp_path / "schedule.csv"
    res = cli(daemon, token_file, "export", ev, out)
    assert res.returncode == 0, text(res.stderr)
    assert "3 meetings written" in text(res.stderr)
    rows = parse_export(out.read_bytes())
    assert rows[0] == ["date", "start", "end", "slot", "table", "meeting",
                       "from", "from_company", "from_country", "to",
                       "to_company", "to_country", "interpreter"]
    body = rows[1:]
    assert len(body) == 3
    by_id = {r[5]: r for r in body}
    for m in ms:
        r = by_id[m["meeting"]]
        assert r[3] == m["slot"] and r[4] == m["table"]
        assert r[0] == m["start"][:10] and r[1] == m["start"][11:16]
        assert r[2] == m["end"][11:16]
        assert (r[6], r[9]) == (m["from"], m["to"])
    order = [(r[3], r[4]) for r in body]
    slot_rank = {"s1": 0, "s2": 1, "s3": 2}
    assert order == sorted(order, key=lambda o: slot_rank[o[0]])
    th = next(r for r in body if r[6] == "p-th" and r[9] == "p-jp")
    assert th[7] == "บริษัท ข้าวไทย" and th[8] == "TH"
    # a company that a spreadsheet would run as a formula is defused
    assert th[10] == "'=HYPERLINK(\"http://x\")"
    us = next(r for r in body if r[9] == "p-us" and r[6] == "p-th")
    assert us[10] == "Acme, \"Best\" Foods"


def test_export_to_stdout_and_unknown_event(daemon, admin, token_file):
    ev, _ = scheduled_event(admin)
    res = cli(daemon, token_file, "export", ev)
    assert res.returncode == 0, text(res.stderr)
    assert len(parse_export(res.stdout)) == 4
    res = cli(daemon, token_file, "export", uid("none"))
    assert res.returncode == 1 and b"not_found" in res.stderr
    assert res.stdout == b""


def test_import_then_export_round_trip_many_rows(daemon, admin, token_file,
                                                 tmp_path):
    """1,200 participants (more than one page of profile.list) imported,
    a meeting each for 600 pairs, all in the export."""
    ev = uid("ev")
    slots = [{"id": "s%02d" % i,
              "start": "2026-07-13T%02d:%02d:00" % (8 + i // 2, 30 * (i % 2)),
              "end": "2026-07-13T%02d:%02d:00" % (8 + (i + 1) // 2,
                                                   30 * ((i + 1) % 2))}
             for i in range(16)]
    admin.call("event.put", event_doc(ev, slots=slots, tables=50))
    lines = ["id,side,company,country,languages"]
    for i in range(1200):
        lines.append("p%04d,%s,Company %d,TH,en" % (
            i, "seller" if i % 2 == 0 else "buyer", i))
    f = write_csv(tmp_path / "many.csv", "\n".join(lines) + "\n")
    res = cli(daemon, token_file, "import", ev, f)
    assert res.returncode == 0, text(res.stderr)
    assert "1200 imported" in text(res.stdout)
    for i in range(0, 1200, 2):
        admin.call("meeting.create", event=ev, **{"from": "p%04d" % i},
                   to="p%04d" % (i + 1))
    res = cli(daemon, token_file, "export", ev)
    assert res.returncode == 0, text(res.stderr)
    rows = parse_export(res.stdout)[1:]
    assert len(rows) == 600
    assert all(r[7] == "Company %d" % int(r[6][1:]) for r in rows)


# ---- subscribe -------------------------------------------------------------

def read_line(proc, timeout):
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "no line within %ss" % timeout
    return proc.stdout.readline()


def test_subscribe_prints_each_notification_as_a_json_line(
        daemon, admin, token_file):
    ev = uid("ev")
    admin.call("event.put", event_doc(ev))
    proc = subprocess.Popen(
        [cli_binary(), "-p", str(daemon.port), "-a", "@%s" % token_file,
         "--compact", "subscribe",
         json.dumps({"event": ev, "topics": ["event"]})],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert json.loads(read_line(proc, 5)) == {"topics": ["event"]}
        admin.call("profile.put", {"event": ev, "id": "n-1", "side": "buyer",
                                   "company": "N Co", "country": "TH",
                                   "languages": ["th"]})
        note = json.loads(read_line(proc, 5))
        assert note["method"] == "participant.update"
        assert note["params"] == [{"event": ev, "id": "n-1", "version": 1}]
        admin.call("checkin", event=ev, id="n-1")
        assert json.loads(read_line(proc, 5))["method"] == "checkin"
    finally:
        proc.kill()
        proc.wait()


def test_subscribe_refused_topic_exits_1(daemon, admin, token_file):
    ev = uid("ev")
    admin.call("event.put", event_doc(ev))
    res = cli(daemon, token_file, "subscribe",
              json.dumps({"event": ev, "topics": ["nonsense"]}))
    assert res.returncode == 1
    assert text(res.stderr).startswith("bad_request: "), text(res.stderr)


# ---- the prompt ------------------------------------------------------------

def test_prompt_from_a_pipe_runs_each_line_and_fails_on_any_error(
        daemon, token_file):
    script = ("ping\n"
              "\n"
              "event.get {\"event\": \"%s\"}\n"
              "server.info\n" % uid("none"))
    res = cli(daemon, token_file, stdin=script.encode())
    assert res.returncode == 1
    out = text(res.stdout)
    assert out.startswith('"pong"\n'), out
    assert "\"protocol\": 1" in out
    assert re.search(r"^not_found: ", text(res.stderr), re.M)


def test_prompt_from_a_pipe_quit_stops_reading(daemon, token_file):
    res = cli(daemon, token_file, stdin=b"ping\nquit\nping\n")
    assert res.returncode == 0
    assert text(res.stdout).count("pong") == 1


class Terminal:
    """expomatch-cli on a pseudo-terminal, as a person meets it."""

    def __init__(self, argv, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(argv[0], argv, env)
        self.seen = b""

    def expect(self, pattern, timeout=5):
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.seen):
            left = deadline - time.monotonic()
            assert left > 0, "no %r in %r" % (pattern, self.seen[-400:])
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    self.seen += os.read(self.fd, 4096)
                except OSError:
                    break
        return self.seen

    def send(self, data):
        os.write(self.fd, data)

    def close(self):
        try:
            os.kill(self.pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def test_prompt_at_a_terminal_edits_recalls_history_and_hides_auth(
        daemon, admin, token_file, tmp_path):
    hist = tmp_path / "history"
    env = dict(os.environ, EXPOMATCH_CLI_HISTFILE=str(hist), TERM="xterm")
    argv = [cli_binary(), "-p", str(daemon.port), "-a", "@%s" % token_file]
    port = str(daemon.port).encode()
    t = Terminal(argv, env)
    try:
        t.expect(rb"127\.0\.0\.1:" + port + rb"> ")
        t.send(b"pinx\x7fg\r")  # a typo mended with backspace
        t.expect(rb'"pong"')
        t.send(b'auth {"token": "secret-in-the-line"}\r')
        t.expect(rb"auth failed|forbidden|bad_request|unauthorized|\n.*> ")
        t.send(b"quit\r")
        os.waitpid(t.pid, 0)
        t.pid = None
    finally:
        if t.pid:
            t.close()
        else:
            os.close(t.fd)
    saved = hist.read_text()
    assert "ping" in saved and "secret-in-the-line" not in saved
    assert oct(hist.stat().st_mode & 0o777) == "0o600"

    # A new session recalls the last line with the up arrow.
    t = Terminal(argv, env)
    try:
        t.expect(rb"> ")
        t.seen = b""
        t.send(b"\x1b[A\r")
        t.expect(rb'"pong"')
        t.send(b"help\r")
        t.expect(rb"import EVENT FILE\.csv")
    finally:
        t.close()


def test_prompt_survives_a_refused_connection_and_says_so(token_file):
    from conftest import free_port
    env = dict(os.environ, EXPOMATCH_CLI_HISTFILE="", TERM="xterm")
    t = Terminal([cli_binary(), "-p", str(free_port()), "-t", "2", "-a",
                  "@%s" % token_file], env)
    try:
        t.expect(rb"not connected> ")
        t.send(b"ping\r")
        t.expect(rb"expomatch-cli: .*\r\n.*not connected> ")
    finally:
        t.close()
