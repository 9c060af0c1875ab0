"""Tests of tests/bench/gen_expo.py: determinism, validity of every generated
profile against the wire contract's Profile and Event rules, the planted
pairs, the requested sizes, and the loader against a fake MessagePack-RPC
server on loopback.

Run from the repository root: /usr/bin/python3 -m pytest -q tests/bench
"""
import datetime
import json
import re
import socket
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "gen_expo.py"
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import gen_expo  # noqa: E402

N = 3000
PAIRS = 60
SLOTS = 20
TABLES = 77

ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
LANG_RE = re.compile(r"^[a-z]{2}$")
ISIC_RE = re.compile(r"^([A-U]|[0-9]{2,4})$")
HS_RE = re.compile(r"^([0-9]{2}|[0-9]{4}|[0-9]{6})$")
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
PROFILE_FIELDS = {"event", "id", "side", "company", "country", "languages",
                  "sectors", "offers", "needs", "cooperation", "markets",
                  "size", "slots", "max_meetings", "contact", "badge"}
COOPERATION = {"trade", "distribution", "licensing", "joint_venture",
               "outsourcing", "investment", "financing"}


def run_gen(out, seed=11, n=N, pairs=PAIRS, extra=()):
    cmd = [sys.executable, str(SCRIPT), "--seed", str(seed),
           "--participants", str(n), "--slots", str(SLOTS),
           "--tables", str(TABLES), "--planted-pairs", str(pairs),
           "--out", str(out), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def expo(tmp_path_factory):
    out = tmp_path_factory.mktemp("expo") / "a"
    r = run_gen(out, extra=("--event", "bench.ev-1"))
    assert r.returncode == 0, r.stderr
    event = json.loads((out / "event.json").read_text(encoding="utf-8"))
    with open(out / "participants.jsonl", encoding="utf-8") as f:
        profiles = [json.loads(line) for line in f]
    with open(out / "planted.jsonl", encoding="utf-8") as f:
        planted = [json.loads(line) for line in f]
    return out, event, profiles, planted


def files(d):
    return {name: (Path(d) / name).read_bytes()
            for name in ("event.json", "participants.jsonl", "planted.jsonl")}


def test_deterministic(expo, tmp_path):
    out, _, _, _ = expo
    r = run_gen(tmp_path / "b", extra=("--event", "bench.ev-1"))
    assert r.returncode == 0, r.stderr
    assert files(out) == files(tmp_path / "b")
    r = run_gen(tmp_path / "c", seed=12, extra=("--event", "bench.ev-1"))
    assert r.returncode == 0, r.stderr
    other = files(tmp_path / "c")
    assert other["participants.jsonl"] != files(out)["participants.jsonl"]


def test_sizes(expo):
    _, event, profiles, planted = expo
    assert len(profiles) == N
    assert len(planted) == PAIRS
    assert len(event["slots"]) == SLOTS
    assert event["tables"] == TABLES
    assert event["event"] == "bench.ev-1"
    assert len({p["id"] for p in profiles}) == N


def test_event_valid(expo):
    _, event, _, _ = expo
    assert ID_RE.match(event["event"])
    assert isinstance(event["name"], str) and event["name"]
    ids = [s["id"] for s in event["slots"]]
    assert len(set(ids)) == len(ids)
    for s in event["slots"]:
        assert set(s) == {"id", "start", "end"}
        assert TIME_RE.match(s["start"]) and TIME_RE.match(s["end"])
        assert s["start"] < s["end"]
        assert s["start"].startswith("2026-07-")   # fixed base date
        datetime.datetime.fromisoformat(s["start"])
        datetime.datetime.fromisoformat(s["end"])
    starts = [s["start"] for s in event["slots"]]
    assert starts == sorted(starts)
    assert event["interpreters"]
    for it in event["interpreters"]:
        assert ID_RE.match(it["id"])
        assert it["languages"] and all(LANG_RE.match(x) for x in it["languages"])
    assert isinstance(event["meeting_minutes"], int)


def check_profile(p, event):
    assert set(p) <= PROFILE_FIELDS, set(p) - PROFILE_FIELDS
    assert p["event"] == event["event"]
    assert isinstance(p["id"], str) and ID_RE.match(p["id"])
    assert p["side"] in ("buyer", "seller", "both")
    assert isinstance(p["company"], str) and 1 <= len(p["company"]) <= 200
    assert p["company"] == p["company"].strip()
    assert COUNTRY_RE.match(p["country"])
    assert isinstance(p["languages"], list) and p["languages"]
    assert all(isinstance(x, str) and LANG_RE.match(x) for x in p["languages"])
    assert len(set(p["languages"])) == len(p["languages"])
    for s in p.get("sectors", []):
        assert isinstance(s, str) and ISIC_RE.match(s), s
    for key in ("offers", "needs"):
        items = p.get(key, [])
        assert isinstance(items, list)
        for it in items:
            assert isinstance(it, dict) and it and set(it) <= {"code", "text"}
            if "code" in it:
                assert isinstance(it["code"], str) and HS_RE.match(it["code"])
            if "text" in it:
                assert isinstance(it["text"], str)
                assert 1 <= len(it["text"]) <= 500
    for c in p.get("cooperation", []):
        assert c in COOPERATION
    for c in p.get("markets", []):
        assert isinstance(c, str) and COUNTRY_RE.match(c)
    if "size" in p:
        assert p["size"] in ("micro", "small", "medium", "large")
    if "slots" in p:
        slot_ids = [s["id"] for s in event["slots"]]
        assert p["slots"] and set(p["slots"]) <= set(slot_ids)
        assert len(set(p["slots"])) == len(p["slots"])
    if "max_meetings" in p:
        assert isinstance(p["max_meetings"], int) and p["max_meetings"] >= 0
        assert not isinstance(p["max_meetings"], bool)


def test_profiles_valid(expo):
    _, event, profiles, _ = expo
    for p in profiles:
        check_profile(p, event)


def test_distributions(expo):
    _, _, profiles, _ = expo
    sides = Counter(p["side"] for p in profiles)
    assert 0.40 < sides["buyer"] / N < 0.50
    assert 0.40 < sides["seller"] / N < 0.50
    assert 0.06 < sides["both"] / N < 0.14
    sizes = Counter(p.get("size") for p in profiles)
    assert sizes["small"] == max(v for k, v in sizes.items() if k)
    countries = Counter(p["country"] for p in profiles)
    assert len(countries) >= 25
    top = {c for c, _ in countries.most_common(6)}
    assert top & {"TH", "CN", "VN", "IN", "ID"}
    scripts = Counter()
    for p in profiles:
        for ch in p["company"]:
            o = ord(ch)
            if 0x0E00 <= o <= 0x0E7F:
                scripts["thai"] += 1
            elif 0x4E00 <= o <= 0x9FFF:
                scripts["han"] += 1
            elif 0x0600 <= o <= 0x06FF:
                scripts["arabic"] += 1
            elif 0x0590 <= o <= 0x05FF:
                scripts["hebrew"] += 1
    assert len(scripts) == 4
    codes = [it["code"] for p in profiles
             for it in p.get("offers", []) + p.get("needs", []) if "code" in it]
    lengths = Counter(len(c) for c in codes)
    assert lengths[6] > lengths[4] > lengths[2] > 0
    texts = {it["text"] for p in profiles
             for it in p.get("offers", []) + p.get("needs", []) if "text" in it}
    assert "阿拉比卡咖啡豆" in texts and "arabica coffee beans" in texts
    # Skewed popularity: some sellers offer many families.
    assert max(len(p.get("offers", [])) for p in profiles) >= 8
    assert any("slots" in p for p in profiles)
    assert any("slots" not in p for p in profiles)
    assert any("max_meetings" in p for p in profiles)


def six(items):
    return {it["code"] for it in items if len(it.get("code", "")) == 6}


def test_planted_pairs(expo):
    _, _, profiles, planted = expo
    by_id = {p["id"]: p for p in profiles}
    seen = set()
    for pair in planted:
        assert set(pair) == {"a", "b"}
        a, b = by_id[pair["a"]], by_id[pair["b"]]
        assert a["id"] != b["id"]
        assert {a["side"], b["side"]} == {"buyer", "seller"}
        assert not ({a["id"], b["id"]} & seen)
        seen |= {a["id"], b["id"]}
        assert six(a["needs"]) & six(b["offers"])
        assert six(b["needs"]) & six(a["offers"])
        assert set(a["languages"]) & set(b["languages"])
        assert a["country"] in b.get("markets", [])
        # The shared code comes with the same phrase on both sides.
        texts_a = {it.get("text") for it in a["needs"]}
        texts_b = {it.get("text") for it in b["offers"]}
        assert texts_a & texts_b


def test_random_pairs_rarely_complementary(expo):
    _, _, profiles, _ = expo
    import random
    rng = random.Random(5)
    buyers = [p for p in profiles if p["side"] == "buyer"]
    sellers = [p for p in profiles if p["side"] == "seller"]
    hits = 0
    for _ in range(20000):
        a, b = rng.choice(buyers), rng.choice(sellers)
        if (six(a.get("needs", [])) & six(b.get("offers", []))
                and six(b.get("needs", [])) & six(a.get("offers", []))):
            hits += 1
    assert hits < 20    # under 0.1%


def test_bad_arguments(tmp_path):
    r = run_gen(tmp_path / "x", n=10, pairs=6)
    assert r.returncode != 0
    r = run_gen(tmp_path / "y", n=10, pairs=0, extra=("--event", "bad id"))
    assert r.returncode != 0


def test_zero_and_tiny(tmp_path):
    r = run_gen(tmp_path / "z", n=0, pairs=0)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "z" / "participants.jsonl").read_bytes() == b""
    r = run_gen(tmp_path / "t", n=2, pairs=1)
    assert r.returncode == 0, r.stderr
    lines = (tmp_path / "t" / "participants.jsonl").read_text().splitlines()
    assert len(lines) == 2


def test_many_days(tmp_path):
    out = tmp_path / "d"
    cmd = [sys.executable, str(SCRIPT), "--seed", "3", "--participants", "50",
           "--slots", "392", "--out", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    event = json.loads((out / "event.json").read_text(encoding="utf-8"))
    days = set()
    for s in event["slots"]:
        start = datetime.datetime.fromisoformat(s["start"])
        end = datetime.datetime.fromisoformat(s["end"])
        assert end - start == datetime.timedelta(minutes=30)
        days.add(start.date())
    assert len(days) == 28
    with open(out / "participants.jsonl", encoding="utf-8") as f:
        for line in f:
            check_profile(json.loads(line), event)


# ------------------------------------------------------------ the loader

class FakeServer:
    """One-connection MessagePack-RPC server on loopback: answers auth,
    event.put and profile.put, failing the profile.put number `fail_at`."""

    def __init__(self, msgpack, fail_at=None):
        self.msgpack = msgpack
        self.fail_at = fail_at
        self.calls = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        conn, _ = self.sock.accept()
        conn.settimeout(10)
        unpacker = self.msgpack.Unpacker(raw=False)
        puts = 0
        authed = False
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                unpacker.feed(data)
                out = bytearray()
                for msg in unpacker:
                    assert msg[0] == 0 and isinstance(msg[1], int)
                    _, msgid, method, params = msg
                    self.calls.append((method, params))
                    err, res = None, None
                    if method == "auth":
                        authed = params == [{"token": "sekrit"}]
                        res = {"role": "admin", "events": ["*"]}
                        if not authed:
                            err = {"code": "unauthorized", "message": "token"}
                    elif not authed:
                        err = {"code": "unauthorized", "message": "no auth"}
                    elif method == "event.put":
                        res = {"event": params[0]["event"]}
                    elif method == "profile.put":
                        puts += 1
                        if puts == self.fail_at:
                            err = {"code": "bad_request", "message": "side"}
                        else:
                            res = {"id": params[0]["id"], "version": 1}
                    else:
                        err = {"code": "unknown_method", "message": method}
                    out += self.msgpack.packb([1, msgid, err, res],
                                              use_bin_type=True)
                conn.sendall(out)
        except OSError:
            pass
        finally:
            conn.close()
            self.sock.close()


@pytest.fixture(scope="module")
def small_expo(tmp_path_factory):
    out = tmp_path_factory.mktemp("small")
    r = run_gen(out, n=300, pairs=5)
    assert r.returncode == 0, r.stderr
    token = out / "token"
    token.write_text("sekrit\n")
    return out, token


def test_load(small_expo, capsys):
    msgpack = pytest.importorskip("msgpack")
    out, token = small_expo
    srv = FakeServer(msgpack)
    rc = gen_expo.main(["load", "--port", str(srv.port), "--token-file",
                        str(token), "--dir", str(out), "--pipeline", "16"])
    srv.thread.join(5)
    assert rc == 0
    methods = [m for m, _ in srv.calls]
    assert methods[:2] == ["auth", "event.put"]
    assert methods[2:] == ["profile.put"] * 300
    first = json.loads((out / "participants.jsonl").read_text(
        encoding="utf-8").splitlines()[0])
    assert srv.calls[2][1] == [first]
    assert "puts/s" in capsys.readouterr().out


def test_load_error_exits_nonzero(small_expo):
    msgpack = pytest.importorskip("msgpack")
    out, token = small_expo
    srv = FakeServer(msgpack, fail_at=100)
    rc = gen_expo.main(["load", "--port", str(srv.port), "--token-file",
                        str(token), "--dir", str(out)])
    assert rc != 0
    srv.thread.join(5)


def test_load_bad_token_exits_nonzero(small_expo, tmp_path):
    msgpack = pytest.importorskip("msgpack")
    out, _ = small_expo
    bad = tmp_path / "bad"
    bad.write_text("nope")
    srv = FakeServer(msgpack)
    rc = gen_expo.main(["load", "--port", str(srv.port), "--token-file",
                        str(bad), "--dir", str(out)])
    assert rc != 0
    srv.thread.join(5)


def test_load_refuses_non_loopback(small_expo):
    out, token = small_expo
    rc = gen_expo.main(["load", "--port", "7411", "--host", "192.0.2.1",
                        "--token-file", str(token), "--dir", str(out)])
    assert rc == 2
