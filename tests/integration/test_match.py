"""match.top against a real daemon and Redis: ranking and reasons, the
contract's rules (sides, self, links), k, roles and badges, read-your-
writes, deletion, a restart, and a second daemon on the same Redis."""
import math

import pytest

from conftest import Daemon
from helpers import event_doc, expect_error, make_token, new_event, \
    profile_doc, uid, wait_until

KINDS = {"product", "sector", "keyword", "market", "language", "cooperation",
         "availability", "size"}


def put(client, ev, pid, **kw):
    return client.call("profile.put", profile_doc(ev, pid, **kw))


@pytest.fixture
def ev(admin):
    return new_event(admin)


@pytest.fixture
def expo(admin, ev):
    """A buyer needing 090111 and offering 8438 (coffee machinery), and
    sellers of decreasing fit."""
    put(admin, ev, "buyer", side="buyer", country="JP", languages=["ja", "en"],
        needs=[{"code": "090111"}], offers=[{"code": "843880"}],
        markets=["TH"])
    put(admin, ev, "best", side="seller", needs=[{"code": "843880"}],
        offers=[{"code": "090111"}], markets=["JP"], size="small")
    put(admin, ev, "exact", side="seller", offers=[{"code": "090111"}])
    put(admin, ev, "heading", side="seller", offers=[{"code": "090190"}])
    put(admin, ev, "chapter", side="seller", offers=[{"code": "0910"}])
    put(admin, ev, "other", side="seller", offers=[{"code": "870899"}])
    put(admin, ev, "buyer2", side="buyer", offers=[{"code": "090111"}])
    return ev


def ids(entries):
    return [e["id"] for e in entries]


def test_ranking_is_reciprocal_and_specific(admin, expo):
    got = admin.call("match.top", event=expo, id="buyer")
    assert ids(got) == ["best", "exact", "heading", "chapter"], got
    scores = [e["score"] for e in got]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 1 for s in scores)


def test_entries_have_the_contract_shape_and_plain_reasons(admin, expo):
    got = admin.call("match.top", event=expo, id="buyer")
    for e in got:
        assert set(e) == {"id", "score", "company", "country", "reasons"}, e
        assert e["company"] == "Company " + e["id"]
        assert e["country"] == "TH"
        assert e["reasons"], e
        for r in e["reasons"]:
            assert set(r) == {"kind", "detail"} and r["kind"] in KINDS, r
            assert r["detail"]
    best = {r["kind"]: r["detail"] for r in got[0]["reasons"]}
    details = [r["detail"] for r in got[0]["reasons"]]
    assert "090111 offered -> needed (they offer what you need)" in details
    assert "843880 needed <- offered (they need what you offer)" in details
    assert "their country is one of your markets" in best["market"]
    assert best["language"] == "you both speak en"
    assert best["size"].startswith("small firm")
    assert "3 free slots in common" == best["availability"]


def test_only_opposite_sides_never_self_never_unlinked(admin, expo):
    got = ids(admin.call("match.top", event=expo, id="buyer", k=100))
    assert "buyer" not in got and "buyer2" not in got and "other" not in got
    # a seller sees buyers only
    got = ids(admin.call("match.top", event=expo, id="exact"))
    assert got == ["buyer", "buyer2"] or got == ["buyer2", "buyer"], got


def test_k_limits_and_defaults(admin, ev):
    put(admin, ev, "b", side="buyer", needs=[{"code": "0901"}])
    for i in range(12):
        put(admin, ev, "s%02d" % i, offers=[{"code": "0901"}])
    assert len(admin.call("match.top", event=ev, id="b")) == 10
    assert len(admin.call("match.top", event=ev, id="b", k=1)) == 1
    assert len(admin.call("match.top", event=ev, id="b", k=100)) == 12
    # equal scores are ordered by id
    assert ids(admin.call("match.top", event=ev, id="b", k=3)) == \
        ["s00", "s01", "s02"]
    for bad in (0, 101, -1, "3", 2.5, None):
        err = expect_error("bad_request", admin.call, "match.top", event=ev,
                           id="b", k=bad)
        assert "k" in err.message


def test_unknown_participant_and_bad_ids(admin, ev):
    err = expect_error("not_found", admin.call, "match.top", event=ev,
                       id="nobody")
    assert "nobody" in err.message
    expect_error("bad_request", admin.call, "match.top", event=ev, id="a b")
    expect_error("bad_request", admin.call, "match.top", event=ev)


def test_roles_and_kiosk_badge(admin, daemon, expo, clients):
    put(admin, expo, "buyer", side="buyer", country="JP",
        languages=["ja", "en"], needs=[{"code": "090111"}],
        offers=[{"code": "843880"}], markets=["TH"], badge="buyer-badge-01")
    for role in ("organizer", "app"):
        c = clients(daemon.as_token(make_token(admin, expo, role)["token"]))
        assert ids(c.call("match.top", event=expo, id="buyer"))[0] == "best"
    kiosk = clients(daemon.as_token(make_token(admin, expo, "kiosk")["token"]))
    expect_error("bad_request", kiosk.call, "match.top", event=expo,
                 id="buyer")
    expect_error("unauthorized", kiosk.call, "match.top", event=expo,
                 id="buyer", badge="wrong-badge-99")
    got = kiosk.call("match.top", event=expo, id="buyer",
                     badge="buyer-badge-01")
    assert ids(got)[0] == "best"


def test_no_contact_or_badge_in_entries(admin, ev):
    put(admin, ev, "b", side="buyer", needs=[{"code": "0901"}])
    put(admin, ev, "s", offers=[{"code": "0901"}], badge="seller-badge-1",
        contact={"name": "Somchai", "email": "s@example.com"})
    got = admin.call("match.top", event=ev, id="b")
    text = repr(got)
    assert "Somchai" not in text and "example.com" not in text
    assert "seller-badge-1" not in text


def test_writes_are_seen_at_once_and_deletes_remove(admin, ev):
    put(admin, ev, "b", side="buyer", needs=[{"code": "0901"}])
    assert admin.call("match.top", event=ev, id="b") == []
    put(admin, ev, "s", offers=[{"code": "0901"}])
    assert ids(admin.call("match.top", event=ev, id="b")) == ["s"]
    put(admin, ev, "s", offers=[{"code": "8708"}])
    assert admin.call("match.top", event=ev, id="b") == []
    put(admin, ev, "s", offers=[{"code": "0901"}])
    admin.call("profile.delete", event=ev, id="s")
    assert admin.call("match.top", event=ev, id="b") == []


def test_multilingual_keywords(admin, ev):
    put(admin, ev, "b", side="buyer", languages=["zh"], country="CN",
        needs=[{"text": "咖啡豆"}])
    put(admin, ev, "s", languages=["zh", "th"], offers=[{"text": "咖啡"}])
    put(admin, ev, "t", languages=["th"], offers=[{"text": "กาแฟ"}])
    got = admin.call("match.top", event=ev, id="b")
    assert ids(got) == ["s"], got
    kw = [r["detail"] for r in got[0]["reasons"] if r["kind"] == "keyword"]
    assert kw and "咖啡" in kw[0], got


def test_interpreter_bridges_languages(admin):
    ev = new_event(admin, interpreters=[
        {"id": "i1", "languages": ["ja", "th"]}])
    put(admin, ev, "b", side="buyer", languages=["ja"], country="JP",
        needs=[{"code": "0901"}])
    put(admin, ev, "s", languages=["th"], offers=[{"code": "0901"}])
    got = admin.call("match.top", event=ev, id="b")
    lang = [r["detail"] for r in got[0]["reasons"] if r["kind"] == "language"]
    assert lang and "interpreter" in lang[0], got


def snapshot(client, ev, who):
    return {p: client.call("match.top", event=ev, id=p, k=100) for p in who}


def test_identical_after_restart(make_stack):
    stack = make_stack()
    with stack.daemon.admin() as a:
        ev = new_event(a)
        for i in range(20):
            side = "buyer" if i % 2 else "seller"
            put(a, ev, "p%02d" % i, side=side,
                needs=[{"code": "0901%02d" % (i % 3 + 11)},
                       {"text": "green arabica coffee %d" % (i % 4)}],
                offers=[{"code": "0901%02d" % ((i + 1) % 3 + 11)},
                        {"text": "roasted beans grade %d" % (i % 5)}],
                sectors=["1079" if i % 3 else "4630"],
                markets=["TH", "JP"][: i % 3])
        before = snapshot(a, ev, ["p%02d" % i for i in range(20)])
    assert any(before.values())
    stack.daemon.stop()
    stack.daemon.start()
    with stack.daemon.admin() as a:
        after = snapshot(a, ev, ["p%02d" % i for i in range(20)])
    assert after == before


def test_second_daemon_serves_the_same_matches(make_stack, tmp_path):
    stack = make_stack()
    other = Daemon(stack.redis.port, tmp_path / "second", name="second")
    other.admin_token = stack.daemon.admin_token
    other.keyfile.write_bytes(stack.daemon.keyfile.read_bytes())
    other.start()
    try:
        with stack.daemon.admin() as a, other.admin() as b:
            ev = uid("ev")
            a.call("event.put", event_doc(ev))
            put(a, ev, "b", side="buyer", needs=[{"code": "0901"}])
            put(a, ev, "s1", offers=[{"code": "090111"}])
            wait_until(lambda: ids(b.call("match.top", event=ev, id="b"))
                       == ["s1"], 2, what="s1 seen on the second daemon")
            # a write through the second daemon reaches the first
            put(b, ev, "s2", offers=[{"code": "0901"}], size="micro")
            wait_until(lambda: "s2" in ids(a.call("match.top", event=ev,
                                                  id="b")), 2)
            b.call("profile.delete", event=ev, id="s1")
            wait_until(lambda: ids(a.call("match.top", event=ev, id="b"))
                       == ["s2"], 2)
            assert a.call("match.top", event=ev, id="b") == \
                b.call("match.top", event=ev, id="b")
    finally:
        other.stop()


def test_scores_are_finite_floats(admin, expo):
    for e in admin.call("match.top", event=expo, id="buyer"):
        assert isinstance(e["score"], float) and math.isfinite(e["score"])
