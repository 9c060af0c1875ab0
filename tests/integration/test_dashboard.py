"""The organizer dashboard on the HTTP side port: its built-in files, sign-in
sessions, the JSON API, the live feed (server-sent events) and their limits,
against the real daemon and a real redis-server, over http.client only."""
import http.client
import json
import re
import socket
import time

import pytest

from conftest import running_stack, second_daemon
from helpers import event_doc, make_token, profile_doc, uid, wait_until

HEARTBEAT_MS = 300
MAX_FEEDS = 4
MAX_SESSIONS = 6
STACK_ARGS = ["--http-heartbeat-ms", str(HEARTBEAT_MS),
              "--http-max-feeds", str(MAX_FEEDS),
              "--http-max-sessions", str(MAX_SESSIONS)]

SECURITY = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("dashboard"),
                       STACK_ARGS) as st:
        yield st


@pytest.fixture
def d(stack):
    assert stack.daemon.alive(), "the daemon died"
    return stack.daemon


@pytest.fixture
def adm(d):
    c = d.admin()
    yield c
    c.close()


@pytest.fixture
def ev(adm):
    """A fresh event, with one participant of each side."""
    e = uid("ev")
    adm.call("event.put", event_doc(e))
    return e


def request(d, method, path, body=None, headers=None, timeout=5):
    """(status, headers as a lower-case dict, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", d.http_port,
                                      timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        hdrs = {}
        for k, v in resp.getheaders():
            k = k.lower()
            hdrs[k] = hdrs[k] + ", " + v if k in hdrs else v
        return resp.status, hdrs, resp.read()
    finally:
        conn.close()


def bearer(token):
    return {"Authorization": "Bearer " + token}


def api_json(d, path, token=None, cookie=None, expect=200):
    headers = {}
    if token:
        headers.update(bearer(token))
    if cookie:
        headers["Cookie"] = "em_session=" + cookie
    status, hdrs, body = request(d, "GET", path, headers=headers)
    assert status == expect, (status, body)
    assert hdrs["content-type"].startswith("application/json")
    assert hdrs["cache-control"] == "no-store"
    return json.loads(body)


def sign_in(d, token, extra_headers=None):
    headers = {"Content-Type": "application/json"}
    headers.update(extra_headers or {})
    return request(d, "POST", "/api/session",
                   body=json.dumps({"token": token}), headers=headers)


def cookie_of(hdrs):
    m = re.search(r"em_session=([0-9a-f]{64})", hdrs.get("set-cookie", ""))
    assert m, hdrs.get("set-cookie")
    return m.group(1)


def organizer(adm, ev):
    return make_token(adm, ev, "organizer")["token"]


class Feed:
    """One server-sent-event stream read with http.client."""

    def __init__(self, d, event, headers, timeout=5):
        self.conn = http.client.HTTPConnection("127.0.0.1", d.http_port,
                                               timeout=timeout)
        self.conn.request("GET", "/api/events/%s/feed" % event,
                          headers=headers)
        self.resp = self.conn.getresponse()
        self.seen = []  # every raw line, to look for private data

    def message(self, timeout=5):
        """The next message as {"event", "data", "comment"}; None at EOF."""
        deadline = time.monotonic() + timeout
        msg = {}
        while time.monotonic() < deadline:
            self.conn.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                line = self.resp.readline()
            except socket.timeout:
                break
            if not line:
                return None
            line = line.decode("utf-8").rstrip("\n")
            self.seen.append(line)
            if line == "":
                if msg:
                    return msg
                continue
            if line.startswith(":"):
                msg["comment"] = line[1:].strip()
            else:
                k, _, v = line.partition(":")
                msg[k] = v.lstrip()
        raise AssertionError("no whole message within %ss" % timeout)

    def wait_for(self, kind, pred=lambda data: True, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.message(deadline - time.monotonic())
            assert m is not None, "the feed ended"
            if m.get("event") == kind:
                data = json.loads(m["data"])
                if pred(data):
                    return data
        raise AssertionError("no %s message within %ss" % (kind, timeout))

    def close(self):
        self.conn.close()


@pytest.fixture
def feeds():
    opened = []

    def open_feed(*a, **kw):
        f = Feed(*a, **kw)
        opened.append(f)
        return f
    yield open_feed
    for f in opened:
        f.close()


# ---- the page's files ----

def check_security_headers(hdrs):
    for k, v in SECURITY.items():
        assert hdrs.get(k) == v, (k, hdrs.get(k))
    csp = hdrs.get("content-security-policy", "")
    assert "default-src 'self'" in csp, csp
    assert "frame-ancestors 'none'" in csp, csp


@pytest.mark.parametrize("path,ctype", [
    ("/", "text/html; charset=utf-8"),
    ("/dashboard/index.html", "text/html; charset=utf-8"),
    ("/dashboard/app.js", "text/javascript; charset=utf-8"),
    ("/dashboard/i18n.js", "text/javascript; charset=utf-8"),
    ("/dashboard/style.css", "text/css; charset=utf-8"),
    ("/dashboard/favicon.svg", "image/svg+xml"),
])
def test_files_are_served_with_type_etag_and_security_headers(d, path, ctype):
    status, hdrs, body = request(d, "GET", path)
    assert status == 200, body
    assert hdrs["content-type"] == ctype
    check_security_headers(hdrs)
    etag = hdrs["etag"]
    assert re.fullmatch(r'"[0-9a-f]{16}"', etag), etag  # strong: no W/
    assert hdrs["cache-control"] == "no-cache"
    assert len(body) == int(hdrs["content-length"]) > 0
    status, hdrs2, body2 = request(d, "GET", path,
                                   headers={"If-None-Match": etag})
    assert status == 304 and body2 == b"" and hdrs2["etag"] == etag
    status, hdrs3, body3 = request(d, "HEAD", path)
    assert status == 200 and body3 == b""
    assert hdrs3["content-length"] == hdrs["content-length"]


def test_page_needs_no_inline_script_or_style(d):
    """The policy allows only the page's own files: no inline code."""
    _, _, html = request(d, "GET", "/")
    text = html.decode()
    for tag in re.findall(r"<script[^>]*>", text):
        assert "src=" in tag, tag
    assert not re.search(r"\son[a-z]+=", text)
    assert " style=" not in text and "<style" not in text
    assert "http://" not in text.replace('http://www.w3.org/2000/svg', '')
    assert "https://" not in text


def test_unknown_files_and_methods(d):
    for path in ("/dashboard/nope.js", "/dashboard/../../etc/passwd",
                 "/dashboard/", "/dashboard/%2e%2e%2fconfig"):
        status, hdrs, body = request(d, "GET", path)
        assert status == 404, (path, status)
        assert json.loads(body)["error"]["code"] == "not_found"
    status, hdrs, body = request(d, "POST", "/", body=b"x")
    assert status == 405 and hdrs["allow"] == "GET, HEAD"
    status, _, body = request(d, "GET", "/api/nothing-here")
    assert status == 404 and json.loads(body)["error"]["code"] == "not_found"


# ---- credentials ----

def test_event_data_needs_credentials(d, ev):
    for path in ("/api/events/%s/stats" % ev, "/api/events/%s/feed" % ev,
                 "/api/session"):
        status, hdrs, body = request(d, "GET", path)
        assert status == 401, (path, status, body)
        err = json.loads(body)["error"]
        assert err["code"] == "unauthorized"
        assert "Bearer" in err["message"] and "sign in" in err["message"]
        assert hdrs["www-authenticate"].startswith("Bearer")
        check_security_headers(hdrs)
    path = "/api/events/%s/stats" % ev
    for auth in ("Bearer not-a-token", "Bearer " + "x" * 2000, "Basic Zm9v",
                 "Bearer ", "Bearer %s:%s:%s" % (ev, "0" * 16, "0" * 48)):
        status, _, body = request(d, "GET", path,
                                  headers={"Authorization": auth})
        assert status == 401, (auth[:20], status)
        assert json.loads(body)["error"]["code"] == "unauthorized"
    status, _, body = request(d, "GET", path,
                              headers={"Cookie": "em_session=" + "ab" * 32})
    assert status == 401
    assert "sign in again" in json.loads(body)["error"]["message"]


def test_only_organizer_and_admin_tokens_open_the_dashboard(d, adm, ev):
    for role in ("kiosk", "app"):
        tok = make_token(adm, ev, role)["token"]
        status, _, body = request(d, "GET", "/api/events/%s/stats" % ev,
                                  headers=bearer(tok))
        assert status == 403, (role, body)
        err = json.loads(body)["error"]
        assert err["code"] == "forbidden" and role in err["message"]
        status, _, _ = sign_in(d, tok)
        assert status == 403
    org = organizer(adm, ev)
    assert api_json(d, "/api/events/%s/stats" % ev, org)["event"] == ev
    assert api_json(d, "/api/events/%s/stats" % ev, d.admin_token)["event"] == ev


def test_an_organizer_sees_only_its_event(d, adm, ev):
    other = uid("ev")
    adm.call("event.put", event_doc(other))
    org = organizer(adm, ev)
    for what in ("stats", "feed"):
        status, _, body = request(d, "GET", "/api/events/%s/%s" % (other, what),
                                  headers=bearer(org))
        assert status == 403, (what, body)
        err = json.loads(body)["error"]
        assert err["code"] == "forbidden" and other in err["message"]
    # The admin sees any event; a missing one is 404, a malformed id 400.
    assert api_json(d, "/api/events/%s/stats" % other, d.admin_token)
    api_json(d, "/api/events/%s/stats" % uid("none"), d.admin_token,
             expect=404)
    api_json(d, "/api/events/bad%20id/stats", d.admin_token, expect=400)
    api_json(d, "/api/events/%s/other" % ev, d.admin_token, expect=404)


def test_a_token_in_the_url_is_refused(d, adm, ev):
    org = organizer(adm, ev)
    for q in ("token", "access_token", "TOKEN", "em_session"):
        path = "/api/events/%s/stats?%s=%s" % (ev, q, org)
        status, _, body = request(d, "GET", path)
        assert status == 400, (q, body)
        assert "never go in URLs" in json.loads(body)["error"]["message"]
        # Refused even alongside a good header: the URL has leaked it.
        status, _, _ = request(d, "GET", path, headers=bearer(org))
        assert status == 400
        status, _, _ = request(d, "POST", "/api/session?%s=%s" % (q, org),
                               body=json.dumps({"token": org}),
                               headers={"Content-Type": "application/json"})
        assert status == 400
    # Other query parameters are simply ignored.
    assert api_json(d, "/api/events/%s/stats?lang=ar" % ev, org)


def test_session_cookie_flow(d, adm, ev):
    org = organizer(adm, ev)
    status, hdrs, body = sign_in(d, org)
    assert status == 200, body
    who = json.loads(body)
    assert who["role"] == "organizer" and who["events"] == [ev]
    assert 0 < who["expires_in"] <= 12 * 3600
    sc = hdrs["set-cookie"]
    for attr in ("HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="):
        assert attr in sc, sc
    assert org not in sc
    sid = cookie_of(hdrs)
    got = api_json(d, "/api/session", cookie=sid)
    assert got["role"] == "organizer" and got["events"] == [ev]
    assert api_json(d, "/api/events/%s/stats" % ev, cookie=sid)["event"] == ev
    # Signing out ends the session and clears the cookie.
    status, hdrs, body = request(d, "DELETE", "/api/session",
                                 headers={"Cookie": "em_session=" + sid})
    assert status == 200 and json.loads(body) == {"signed_out": True}
    assert "Max-Age=0" in hdrs["set-cookie"]
    api_json(d, "/api/events/%s/stats" % ev, cookie=sid, expect=401)
    # The admin's session covers every event.
    status, hdrs, body = sign_in(d, d.admin_token)
    assert status == 200 and json.loads(body)["events"] == ["*"]
    assert api_json(d, "/api/events/%s/stats" % ev,
                    cookie=cookie_of(hdrs))["event"] == ev


def test_sign_in_requests_are_checked(d, adm, ev):
    org = organizer(adm, ev)
    cases = [
        ({"Content-Type": "text/plain"}, json.dumps({"token": org}), 415,
         "Content-Type"),
        ({"Content-Type": "application/json"}, "{not json", 400, "JSON"),
        ({"Content-Type": "application/json"}, json.dumps([org]), 400, "JSON"),
        ({"Content-Type": "application/json"}, json.dumps({}), 400,
         "missing field 'token'"),
        ({"Content-Type": "application/json"},
         json.dumps({"token": org, "remember": True}), 400,
         "unknown field 'remember'"),
        ({"Content-Type": "application/json"}, json.dumps({"token": 5}), 400,
         "token"),
        ({"Content-Type": "application/json"},
         json.dumps({"token": "wrong-token-12345678"}), 401, "invalid token"),
        ({"Content-Type": "application/json",
          "Origin": "http://evil.example"}, json.dumps({"token": org}), 403,
         "Origin"),
    ]
    for headers, body, want, words in cases:
        status, hdrs, out = request(d, "POST", "/api/session", body=body,
                                    headers=headers)
        assert status == want, (headers, body, status, out)
        assert words in json.loads(out)["error"]["message"], out
        assert "set-cookie" not in hdrs
    # The page's own origin is fine.
    status, _, _ = sign_in(d, org, {"Origin": "http://127.0.0.1:%d"
                                              % d.http_port})
    assert status == 200
    status, hdrs, _ = request(d, "PUT", "/api/session", body="{}")
    assert status == 405 and "POST" in hdrs["allow"]


def test_bodies_over_the_limits_are_413(d):
    # Over the sign-in limit: our own answer, in JSON.
    status, _, body = request(d, "POST", "/api/session",
                              body=json.dumps({"token": "x" * 10000}),
                              headers={"Content-Type": "application/json"})
    assert status == 413
    assert json.loads(body)["error"]["code"] == "too_large"
    # Over the port's limit: refused by evhttp after reading it all.
    status, _, _ = request(d, "POST", "/api/session", body=b"x" * 200000,
                           headers={"Content-Type": "application/json"})
    assert status == 413
    assert request(d, "GET", "/healthz")[0] == 200


def test_sessions_are_capped(d, adm, ev):
    """Over http-max-sessions, signing in is refused with 503 (Bearer
    still works); signing out makes room again."""
    org = organizer(adm, ev)
    sids = []
    for _ in range(MAX_SESSIONS + 2):
        status, hdrs, body = sign_in(d, org)
        if status == 503:
            assert "http-max-sessions" in json.loads(body)["error"]["message"]
            break
        assert status == 200
        sids.append(cookie_of(hdrs))
    else:
        pytest.fail("no 503 after %d sessions" % len(sids))
    assert api_json(d, "/api/events/%s/stats" % ev, org)
    for sid in sids:
        request(d, "DELETE", "/api/session",
                headers={"Cookie": "em_session=" + sid})
    assert sign_in(d, org)[0] == 200


def test_revoked_token_stops_bearer_and_session(d, adm, ev):
    t = make_token(adm, ev, "organizer")
    status, hdrs, _ = sign_in(d, t["token"])
    sid = cookie_of(hdrs)
    assert api_json(d, "/api/events/%s/stats" % ev, t["token"])
    adm.call("token.revoke", event=ev, id=t["id"])
    for kw in ({"token": t["token"]}, {"cookie": sid}):
        err = api_json(d, "/api/events/%s/stats" % ev, expect=401,
                       **kw)["error"]
        assert err["code"] == "unauthorized"


# ---- the figures ----

def rpc_stats(adm, ev):
    return adm.call("stats.get", event=ev)


def dash(d, ev):
    return api_json(d, "/api/events/%s/stats" % ev, d.admin_token)


def test_stats_agree_with_stats_get_and_follow_writes(d, adm, ev):
    org = adm  # the admin acts as an organizer would
    s0 = dash(d, ev)
    assert s0["participants"] == {"buyer": 0, "seller": 0, "both": 0}
    assert s0["countries"] == [] and s0["sectors"] == []
    assert [s["id"] for s in s0["slots"]] == ["s1", "s2", "s3"]
    assert s0["tables"] == 12
    org.call("profile.put", profile_doc(ev, "s-1", sectors=["0111", "C"],
                                        country="TH"))
    org.call("profile.put", profile_doc(ev, "s-2", sectors=["1071"],
                                        country="TH"))
    org.call("profile.put", profile_doc(ev, "b-1", side="buyer",
                                        sectors=["4711", "G"], country="JP"))
    s1 = dash(d, ev)
    r = rpc_stats(adm, ev)
    for k in ("participants", "checked_in", "meetings"):
        assert s1[k] == r[k], k
    assert s1["participants"]["seller"] == 2
    assert s1["countries"] == [{"code": "TH", "participants": 2},
                               {"code": "JP", "participants": 1}]
    assert s1["countries_distinct"] == 2
    # A section counts a participant once however many codes fall in it.
    assert s1["sectors"] == [{"section": "C", "participants": 2},
                             {"section": "A", "participants": 1},
                             {"section": "G", "participants": 1}]
    # A meeting booked at once: counts, the slot's bar and utilization.
    m = org.call("meeting.create", event=ev, note="n", **{"from": "s-1",
                                                          "to": "b-1"})
    assert m["status"] == "scheduled"
    s2 = dash(d, ev)
    assert s2["meetings"]["scheduled"] == s1["meetings"]["scheduled"] + 1
    slot = next(s for s in s2["slots"] if s["id"] == m["slot"])
    assert slot["meetings"] == 1
    assert abs(slot["utilization"] - 1 / 12) < 1e-6
    assert abs(s2["table_utilization"] - r_util(rpc_stats(adm, ev))) < 1e-6
    # A profile that moves country and sectors, then one that goes.
    org.call("profile.put", profile_doc(ev, "s-2", sectors=["62"],
                                        country="VN"))
    org.call("profile.delete", event=ev, id="b-1")
    s3 = dash(d, ev)
    assert s3["countries"] == [{"code": "TH", "participants": 1},
                               {"code": "VN", "participants": 1}]
    assert s3["sectors"] == [{"section": "A", "participants": 1},
                             {"section": "C", "participants": 1},
                             {"section": "J", "participants": 1}]
    assert s3["participants"] == rpc_stats(adm, ev)["participants"]
    # Checked in counts too.
    org.call("checkin", event=ev, id="s-1")
    assert dash(d, ev)["checked_in"] == 1


def r_util(r):
    return r["table_utilization"]


def test_counts_of_an_event_written_before_the_dashboard(d, stack, adm, ev):
    """Counts missing from Redis (an event written by an older daemon) are
    built in one pass by the first read, then kept up to date."""
    for i in range(5):
        adm.call("profile.put", profile_doc(ev, "p%d" % i, sectors=["0111"],
                                            country="TH" if i % 2 else "MY"))
    before = dash(d, ev)
    stack.redis.cli("DEL", "em:{%s}:dash:built" % ev,
                    "em:{%s}:dash:country" % ev, "em:{%s}:dash:sector" % ev,
                    "em:{%s}:dash:p" % ev)
    adm.call("profile.put", profile_doc(ev, "p5", sectors=["0111"],
                                        country="MY"))
    after = dash(d, ev)
    assert after["countries"] == [{"code": "MY", "participants": 4},
                                  {"code": "TH", "participants": 2}]
    assert after["sectors"] == [{"section": "A", "participants": 6}]
    assert before["sectors"] == [{"section": "A", "participants": 5}]


def test_counting_trouble_never_breaks_a_write(d, stack, adm, ev):
    """Should the counts fail to follow a write, the write still succeeds
    and the next read counts afresh."""
    adm.call("profile.put", profile_doc(ev, "p0", country="TH"))
    assert dash(d, ev)["countries"] == [{"code": "TH", "participants": 1}]
    stack.redis.cli("SET", "em:{%s}:dash:country" % ev, "not a hash")
    assert adm.call("profile.put", profile_doc(ev, "p1", country="VN"))
    assert adm.call("profile.get", event=ev, id="p1")["country"] == "VN"
    assert dash(d, ev)["countries"] == [{"code": "TH", "participants": 1},
                                        {"code": "VN", "participants": 1}]


def test_top_lists_hold_ten_at_most(d, adm, ev):
    countries = ["TH", "VN", "MY", "ID", "PH", "SG", "JP", "CN", "KR", "IN",
                 "AE", "SA"]
    for i, c in enumerate(countries):
        adm.call("profile.put", profile_doc(ev, "p%d" % i, country=c))
    s = dash(d, ev)
    assert len(s["countries"]) == 10 and s["countries_distinct"] == 12
    assert [c["code"] for c in s["countries"]] == sorted(countries)[:10]


# ---- the live feed ----

def test_feed_delivers_changes_and_heartbeats(d, adm, ev, feeds):
    org = organizer(adm, ev)
    adm.call("profile.put", profile_doc(
        ev, "a", contact={"email": "private-a@example.org",
                          "phone": "+66 2 000 0000"}, badge="badge-a-secret"))
    adm.call("profile.put", profile_doc(ev, "b", side="buyer",
                                        badge="badge-b-secret"))
    f = feeds(d, ev, bearer(org))
    assert f.resp.status == 200
    assert f.resp.getheader("Content-Type").startswith("text/event-stream")
    assert f.resp.getheader("Cache-Control") == "no-store"
    hello = f.wait_for("hello")
    assert hello == {"event": ev, "heartbeat_ms": HEARTBEAT_MS}
    adm.call("checkin", event=ev, id="a")
    got = f.wait_for("checkin", lambda x: x["id"] == "a")
    assert set(got) == {"id", "at"}
    m = adm.call("meeting.create", event=ev, note="secret note of a and b",
                 **{"from": "a", "to": "b"})
    got = f.wait_for("meeting", lambda x: x["meeting"] == m["meeting"])
    assert got["status"] == "scheduled" and got["from"] == "a"
    assert got["slot"] == m["slot"] and got["table"] == m["table"]
    assert "note" not in got
    adm.call("meeting.cancel", event=ev, meeting=m["meeting"], by="a")
    f.wait_for("meeting", lambda x: x["status"] == "cancelled")
    adm.call("profile.put", profile_doc(ev, "c"))
    assert f.wait_for("participant", lambda x: x["id"] == "c") == {
        "id": "c", "version": 1}
    # A heartbeat comment comes along even when nothing happens.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        msg = f.message(2)
        if msg and msg.get("comment") == "heartbeat":
            break
    else:
        pytest.fail("no heartbeat")
    text = "\n".join(f.seen)
    for secret in ("private-a@example.org", "+66 2 000 0000", "badge-a-secret",
                   "badge-b-secret", "secret note", org):
        assert secret not in text, secret
    stats = json.dumps(dash(d, ev))
    for secret in ("private-a@example.org", "badge-a-secret", "secret note"):
        assert secret not in stats


def test_feed_with_a_session_cookie_ends_when_signed_out(d, adm, ev, feeds):
    org = organizer(adm, ev)
    _, hdrs, _ = sign_in(d, org)
    sid = cookie_of(hdrs)
    f = feeds(d, ev, {"Cookie": "em_session=" + sid})
    f.wait_for("hello")
    request(d, "DELETE", "/api/session", headers={"Cookie": "em_session=" + sid})
    end = f.wait_for("end", timeout=HEARTBEAT_MS / 1000 * 5 + 2)
    assert end["code"] == "unauthorized"
    deadline = time.monotonic() + 5
    while f.message(max(0.1, deadline - time.monotonic())) is not None:
        assert time.monotonic() < deadline, "the feed did not end"


def test_feed_of_a_missing_event_is_404_and_head_is_405(d, ev):
    status, _, body = request(d, "GET", "/api/events/%s/feed" % uid("none"),
                              headers=bearer(d.admin_token))
    assert status == 404 and json.loads(body)["error"]["code"] == "not_found"
    status, hdrs, _ = request(d, "HEAD", "/api/events/%s/feed" % ev,
                              headers=bearer(d.admin_token))
    assert status == 405 and hdrs["allow"] == "GET"
    status, hdrs, _ = request(d, "POST", "/api/events/%s/stats" % ev,
                              body="{}", headers=bearer(d.admin_token))
    assert status == 405 and hdrs["allow"] == "GET, HEAD"


def test_feeds_are_capped_and_freed_when_clients_leave(d, adm, ev, feeds):
    opened = []
    for _ in range(MAX_FEEDS):
        f = feeds(d, ev, bearer(d.admin_token))
        f.wait_for("hello")
        opened.append(f)
    status, _, body = request(d, "GET", "/api/events/%s/feed" % ev,
                              headers=bearer(d.admin_token))
    assert status == 503, body
    assert "http-max-feeds" in json.loads(body)["error"]["message"]
    opened[0].close()

    def reopened():
        status, _, _ = request_feed_status(d, ev)
        return status == 200
    wait_until(reopened, 5, 0.1, "a feed slot freed")
    # The daemon still serves everyone else meanwhile.
    assert request(d, "GET", "/healthz")[0] == 200


def request_feed_status(d, ev):
    """Opens a feed, reads its status and closes it at once."""
    conn = http.client.HTTPConnection("127.0.0.1", d.http_port, timeout=5)
    try:
        conn.request("GET", "/api/events/%s/feed" % ev,
                     headers=bearer(d.admin_token))
        resp = conn.getresponse()
        return resp.status, None, None
    finally:
        conn.close()


def test_a_feed_client_that_does_not_read_is_dropped(d, adm, ev):
    """Its unsent output is bounded: the daemon drops it rather than
    buffer without end, and keeps serving others."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(5)
    sock.connect(("127.0.0.1", d.http_port))
    try:
        sock.sendall(("GET /api/events/%s/feed HTTP/1.1\r\nHost: x\r\n"
                      "Authorization: Bearer %s\r\n\r\n"
                      % (ev, d.admin_token)).encode())
        assert b"200 OK" in sock.recv(200)
        # Profile versions until well past the bound (256 KiB plus what
        # the kernel buffers), pipelined.
        put = ("profile.put", profile_doc(ev, "p" + "x" * 63))
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            adm.pipeline([put] * 500)
            if "its client does not read" in d.log_text():
                break
        else:
            pytest.fail("the feed was never dropped")
        wait_until(lambda: feed_count_free(d, ev), 5, 0.2, "its slot freed")
        assert request(d, "GET", "/healthz")[0] == 200
    finally:
        sock.close()


def feed_count_free(d, ev):
    """Whether a feed can be opened now: true once the stuck one is gone
    and its slot freed (the cap is MAX_FEEDS; the test holds one)."""
    conns = []
    try:
        for _ in range(MAX_FEEDS):
            c = http.client.HTTPConnection("127.0.0.1", d.http_port, timeout=5)
            c.request("GET", "/api/events/%s/feed" % ev,
                      headers=bearer(d.admin_token))
            conns.append(c)
            if c.getresponse().status != 200:
                return False
        return True
    finally:
        for c in conns:
            c.close()


def test_changes_made_through_another_daemon_reach_the_feed(
        d, stack, adm, ev, feeds, tmp_path):
    other = second_daemon(stack, tmp_path)
    try:
        f = feeds(d, ev, bearer(d.admin_token))
        f.wait_for("hello")
        with other.admin() as c:
            c.call("profile.put", profile_doc(ev, "far"))
            c.call("checkin", event=ev, id="far")
        f.wait_for("checkin", lambda x: x["id"] == "far", timeout=10)
        # And the other daemon's own API agrees.
        assert api_json(other, "/api/events/%s/stats" % ev,
                        d.admin_token)["checked_in"] == 1
    finally:
        other.stop()
