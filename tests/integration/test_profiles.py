"""profile.put, profile.get, profile.list, profile.delete: the contract's
Profile table, versions, contact and badge rules, roles, kiosk badges,
paging, and erasure from Redis."""
import pytest

from helpers import event_doc, expect_error, make_token, new_event, \
    profile_doc, uid
from rpc import error_of

FULL = dict(
    side="both",
    company="Doi Chang Coffee Co.",
    country="TH",
    languages=["th", "en"],
    sectors=["A", "01", "011", "0111"],
    offers=[{"code": "090111", "text": "Arabica green beans"},
            {"code": "0901"}, {"text": "roasting services"}],
    needs=[{"code": "84", "text": "roasting machines"}],
    cooperation=["trade", "distribution", "joint_venture"],
    markets=["JP", "CN", "DE"],
    size="small",
    slots=["s1", "s3"],
    max_meetings=2,
)


@pytest.fixture
def ev(admin):
    return new_event(admin)


def test_put_returns_id_and_version_and_get_returns_every_field(admin, ev):
    pid = uid("p")
    doc = profile_doc(ev, pid, **FULL)
    assert admin.call("profile.put", doc) == {"id": pid, "version": 1}
    got = admin.call("profile.get", event=ev, id=pid)
    for k, v in doc.items():
        assert got[k] == v, k


def test_minimal_profile_gets_empty_lists_for_optional_ones(admin, ev):
    pid = uid("p")
    admin.call("profile.put", profile_doc(ev, pid))
    got = admin.call("profile.get", event=ev, id=pid)
    for k in ("sectors", "offers", "needs", "cooperation", "markets"):
        assert got.get(k, []) == [], k
    assert "badge" not in got


def test_version_grows_by_one_on_each_put(admin, ev):
    pid = uid("p")
    for v in range(1, 5):
        res = admin.call("profile.put", profile_doc(ev, pid, company="v%d" % v))
        assert res == {"id": pid, "version": v}
    assert admin.call("profile.get", event=ev, id=pid)["company"] == "v4"


def test_put_replaces_whole_profile(admin, ev):
    pid = uid("p")
    admin.call("profile.put", profile_doc(ev, pid, **FULL))
    admin.call("profile.put", profile_doc(ev, pid))
    got = admin.call("profile.get", event=ev, id=pid)
    assert got["side"] == "seller"
    assert got.get("sectors", []) == []
    assert got.get("offers", []) == []
    assert "size" not in got or got["size"] is None


def test_stale_if_version_is_conflict_and_changes_nothing(admin, ev):
    pid = uid("p")
    admin.call("profile.put", profile_doc(ev, pid, company="one"))
    admin.call("profile.put", profile_doc(ev, pid, company="two"))
    before = admin.call("profile.get", event=ev, id=pid)
    for stale in (1, 3, 100):
        expect_error("conflict", admin.call, "profile.put",
                     profile_doc(ev, pid, company="stale"), if_version=stale)
    assert admin.call("profile.get", event=ev, id=pid) == before
    res = admin.call("profile.put", profile_doc(ev, pid, company="three"),
                     if_version=2)
    assert res == {"id": pid, "version": 3}
    assert admin.call("profile.get", event=ev, id=pid)["company"] == "three"


def test_if_version_must_be_an_integer(admin, ev):
    pid = uid("p")
    admin.call("profile.put", profile_doc(ev, pid))
    err = expect_error("bad_request", admin.call, "profile.put",
                       profile_doc(ev, pid), if_version="1")
    assert "if_version" in err.message


def test_put_into_missing_event_is_not_found(admin):
    expect_error("not_found", admin.call, "profile.put",
                 profile_doc(uid("ev"), uid("p")))


def test_get_missing_participant_is_not_found(admin, ev):
    expect_error("not_found", admin.call, "profile.get", event=ev,
                 id=uid("p"))


def test_slots_must_be_slots_of_the_event(admin, ev):
    pid = uid("p")
    admin.call("profile.put", profile_doc(ev, pid, slots=["s2"]))
    before = admin.call("profile.get", event=ev, id=pid)
    err = expect_error("bad_request", admin.call, "profile.put",
                       profile_doc(ev, pid, slots=["s1", "s9"]))
    assert "slots" in err.message
    assert admin.call("profile.get", event=ev, id=pid) == before


def test_contact_kept_when_left_out_and_cleared_with_nil(admin, ev):
    pid = uid("p")
    contact = {"name": "Somchai", "email": "somchai@example.org",
               "phone": "+66 2 555 0101"}
    admin.call("profile.put", profile_doc(ev, pid, contact=contact))
    assert admin.call("profile.get", event=ev, id=pid)["contact"] == contact
    admin.call("profile.put", profile_doc(ev, pid, company="Renamed"))
    got = admin.call("profile.get", event=ev, id=pid)
    assert got["company"] == "Renamed" and got["contact"] == contact
    admin.call("profile.put", profile_doc(ev, pid, contact=None))
    assert not admin.call("profile.get", event=ev, id=pid).get("contact")


def test_badge_kept_when_left_out_and_cleared_with_nil(admin, ev, roles):
    pid = uid("p")
    kiosk = roles["kiosk"]
    admin.call("profile.put", profile_doc(ev, pid, badge="badge-one-1234"))
    admin.call("profile.put", profile_doc(ev, pid, company="Renamed"))
    got = kiosk.call("profile.get", event=ev, id=pid, badge="badge-one-1234")
    assert got["company"] == "Renamed"
    admin.call("profile.put", profile_doc(ev, pid, badge=None))
    expect_error("forbidden", kiosk.call, "profile.get", event=ev, id=pid,
                 badge="badge-one-1234")


def test_badge_is_never_returned(admin, ev, roles):
    pid = uid("p")
    admin.call("profile.put", profile_doc(ev, pid, badge="secret-badge-42",
                                          contact={"email": "a@b.example"}))
    reads = [
        admin.call("profile.get", event=ev, id=pid),
        roles["organizer"].call("profile.get", event=ev, id=pid),
        roles["app"].call("profile.get", event=ev, id=pid),
        roles["app"].call("profile.get", event=ev, id=pid, viewer=pid),
        roles["kiosk"].call("profile.get", event=ev, id=pid,
                            badge="secret-badge-42"),
    ]
    page = roles["organizer"].call("profile.list", event=ev)
    reads += page["profiles"]
    for r in reads:
        assert "badge" not in r, r
        assert "secret-badge-42" not in repr(r)


def test_contact_returned_to_organizer_not_to_app_without_viewer_or_kiosk(
        admin, ev, roles):
    pid = uid("p")
    contact = {"name": "Layla", "email": "layla@example.org",
               "phone": "+971 4 555 0199"}
    admin.call("profile.put", profile_doc(ev, pid, contact=contact,
                                          badge="layla-badge-77"))
    assert roles["organizer"].call("profile.get", event=ev,
                                   id=pid)["contact"] == contact
    app_view = roles["app"].call("profile.get", event=ev, id=pid)
    kiosk_view = roles["kiosk"].call("profile.get", event=ev, id=pid,
                                     badge="layla-badge-77")
    for view in (app_view, kiosk_view):
        assert not view.get("contact")
        assert "layla@example.org" not in repr(view)
        assert view["company"] == "Company " + pid


def test_contact_of_another_participant_hidden_from_app_viewer(
        admin, ev, roles):
    a, b = uid("a"), uid("b")
    admin.call("profile.put", profile_doc(ev, a, contact={"email": "a@x.io"}))
    admin.call("profile.put", profile_doc(ev, b, side="buyer"))
    view = roles["app"].call("profile.get", event=ev, id=a, viewer=b)
    assert not view.get("contact")


MULTILINGUAL = {
    "thai": "\u0e1a\u0e23\u0e34\u0e29\u0e31\u0e17 \u0e01\u0e32\u0e41\u0e1f"
            "\u0e14\u0e2d\u0e22\u0e0a\u0e49\u0e32\u0e07 \u0e08\u0e33\u0e01"
            "\u0e31\u0e14",
    "arabic": "\u0634\u0631\u0643\u0629 \u0627\u0644\u0642\u0647\u0648\u0629"
              " \u0627\u0644\u0639\u0631\u0628\u064a\u0629",
    "hebrew": "\u05d7\u05d1\u05e8\u05ea \u05d4\u05e7\u05e4\u05d4 "
              "\u05d4\u05d9\u05e9\u05e8\u05d0\u05dc\u05d9\u05ea",
    "chinese": "\u4e91\u5357\u5496\u5561\u8fdb\u51fa\u53e3\u6709\u9650"
               "\u516c\u53f8",
    "japanese": "\U00020bb7\u91ce\u5bb6\u30b3\u30fc\u30d2\u30fc\u8c46"
                "\u5546\u4e8b\u682a\u5f0f\u4f1a\u793e",
    "combining": "Cafe\u0301 Ame\u0301rica",
}


@pytest.mark.parametrize("script", sorted(MULTILINGUAL))
def test_multilingual_text_round_trips_exactly(admin, ev, script):
    text = MULTILINGUAL[script]
    pid = uid("p")
    doc = profile_doc(ev, pid, company=text,
                      offers=[{"code": "0901", "text": text + " 1"}],
                      needs=[{"text": text + " 2"}],
                      contact={"name": text})
    admin.call("profile.put", doc)
    got = admin.call("profile.get", event=ev, id=pid)
    assert got["company"] == text
    assert got["offers"] == doc["offers"]
    assert got["needs"] == doc["needs"]
    assert got["contact"] == {"name": text}


def test_company_length_counts_code_points(admin, ev):
    pid = uid("p")
    thai200 = "\u0e01" * 200          # 200 code points, 600 bytes
    admin.call("profile.put", profile_doc(ev, pid, company=thai200))
    assert admin.call("profile.get", event=ev, id=pid)["company"] == thai200
    err = expect_error("bad_request", admin.call, "profile.put",
                       profile_doc(ev, pid, company=thai200 + "\u0e01"))
    assert "company" in err.message


GOOD_VALUES = [
    ("side", "buyer"), ("side", "seller"), ("side", "both"),
    ("country", "TH"), ("country", "CN"), ("country", "IL"),
    ("languages", ["th"]), ("languages", ["ar", "he", "zh", "ja", "en"]),
    ("sectors", ["U"]), ("sectors", ["A", "C"]), ("sectors", ["10"]),
    ("sectors", ["107"]), ("sectors", ["1079"]),
    ("offers", [{"code": "09"}]), ("offers", [{"code": "0901"}]),
    ("offers", [{"code": "090111"}]), ("offers", [{"text": "t" * 500}]),
    ("needs", [{"code": "8438", "text": "machines"}]),
    ("cooperation", ["trade", "distribution", "licensing", "joint_venture",
                     "outsourcing", "investment", "financing"]),
    ("markets", ["JP", "AE"]), ("markets", []),
    ("size", "micro"), ("size", "large"),
    ("slots", ["s1", "s2", "s3"]), ("slots", []),
    ("max_meetings", 0), ("max_meetings", 12),
    ("contact", {"email": "x@example.org"}), ("contact", {}),
]


@pytest.mark.parametrize("field,value", GOOD_VALUES,
                         ids=["%s-%d" % (f, i)
                              for i, (f, _) in enumerate(GOOD_VALUES)])
def test_valid_field_value_is_stored(admin, ev, field, value):
    pid = uid("p")
    admin.call("profile.put", profile_doc(ev, pid, **{field: value}))
    got = admin.call("profile.get", event=ev, id=pid)
    if field == "contact" and value == {}:
        assert not got.get("contact")
    else:
        assert got[field] == value


BAD_VALUES = [
    ("side", "neither"), ("side", "Buyer"), ("side", 1),
    ("company", ""), ("company", "c" * 201), ("company", ["x"]),
    ("country", "XX"), ("country", "ZZ"), ("country", "th"),
    ("country", "THA"), ("country", ""),
    ("languages", []), ("languages", ["zz"]), ("languages", ["TH"]),
    ("languages", ["tha"]), ("languages", "th"),
    ("sectors", ["V"]), ("sectors", ["a"]), ("sectors", ["1"]),
    ("sectors", ["01111"]), ("sectors", ["0A"]), ("sectors", [""]),
    ("sectors", "A"),
    ("offers", [{}]), ("offers", [{"code": "9"}]), ("offers", [{"code": "090"}]),
    ("offers", [{"code": "09011"}]), ("offers", [{"code": "0901111"}]),
    ("offers", [{"code": "09a1"}]), ("offers", [{"code": 901}]),
    ("offers", [{"text": "t" * 501}]), ("offers", [{"code": "09", "x": 1}]),
    ("offers", ["0901"]),
    ("needs", [{"code": "12345678"}]), ("needs", [{}]),
    ("cooperation", ["bribery"]), ("cooperation", ["Trade"]),
    ("markets", ["XX"]), ("markets", ["jp"]),
    ("size", "huge"), ("size", 3),
    ("slots", ["nope"]), ("slots", "s1"),
    ("max_meetings", -1), ("max_meetings", "3"), ("max_meetings", 1.5),
    ("contact", "someone@example.org"), ("contact", {"fax": "123"}),
    ("contact", {"email": 5}),
    ("badge", "short"), ("badge", "has space in it"), ("badge", "b" * 129),
    ("badge", "caf\u00e9-badge-99"), ("badge", 12345678),
]


@pytest.mark.parametrize("field,value", BAD_VALUES,
                         ids=["%s-%d" % (f, i)
                              for i, (f, _) in enumerate(BAD_VALUES)])
def test_bad_field_is_bad_request_naming_it_and_changes_nothing(
        admin, ev, field, value):
    pid = uid("p")
    admin.call("profile.put", profile_doc(ev, pid, badge="good-badge-1",
                                          contact={"email": "k@example.org"}))
    before = admin.call("profile.get", event=ev, id=pid)
    code, msg = error_of(admin.request(
        "profile.put", profile_doc(ev, pid, **{field: value})))
    assert code == "bad_request", (code, msg)
    assert field in msg, msg
    assert admin.call("profile.get", event=ev, id=pid) == before


@pytest.mark.parametrize("bad", ["", "x" * 65, "has space", "a/b"],
                         ids=["empty", "65_chars", "space", "slash"])
def test_bad_participant_id_is_bad_request(admin, ev, bad):
    err = expect_error("bad_request", admin.call, "profile.put",
                       profile_doc(ev, bad))
    assert "id" in err.message


# --- roles ------------------------------------------------------------------

def test_app_puts_and_gets_profiles(ev, roles):
    pid = uid("p")
    app = roles["app"]
    assert app.call("profile.put", profile_doc(ev, pid)) == {
        "id": pid, "version": 1}
    assert app.call("profile.get", event=ev, id=pid)["id"] == pid


def test_organizer_puts_gets_lists_and_deletes(ev, roles):
    org = roles["organizer"]
    pid = uid("p")
    assert org.call("profile.put", profile_doc(ev, pid))["version"] == 1
    assert org.call("profile.get", event=ev, id=pid)["id"] == pid
    assert [p["id"] for p in org.call("profile.list",
                                      event=ev)["profiles"]] == [pid]
    assert org.call("profile.delete", event=ev, id=pid) == {"deleted": True}


def test_kiosk_may_not_put_profiles(admin, ev, roles):
    pid = uid("p")
    expect_error("forbidden", roles["kiosk"].call, "profile.put",
                 profile_doc(ev, pid, badge="kiosk-made-badge"))
    expect_error("not_found", admin.call, "profile.get", event=ev, id=pid)


@pytest.mark.parametrize("role", ["kiosk", "app"])
def test_kiosk_and_app_may_not_list_or_delete(admin, ev, roles, role):
    pid = uid("p")
    admin.call("profile.put", profile_doc(ev, pid, badge="list-badge-123"))
    c = roles[role]
    expect_error("forbidden", c.call, "profile.list", event=ev)
    args = {"event": ev, "id": pid}
    if role == "kiosk":
        args["badge"] = "list-badge-123"
    expect_error("forbidden", c.call, "profile.delete", args)
    assert admin.call("profile.get", event=ev, id=pid)["id"] == pid


# --- kiosk badges -----------------------------------------------------------

def test_kiosk_get_needs_badge_argument(admin, ev, roles):
    pid = uid("p")
    admin.call("profile.put", profile_doc(ev, pid, badge="needs-badge-1"))
    err = expect_error("bad_request", roles["kiosk"].call, "profile.get",
                       event=ev, id=pid)
    assert "badge" in err.message
    # also for a participant that does not exist
    expect_error("bad_request", roles["kiosk"].call, "profile.get",
                 event=ev, id=uid("ghost"))


def test_kiosk_get_with_right_badge(admin, ev, roles):
    pid = uid("p")
    admin.call("profile.put", profile_doc(ev, pid, badge="right-badge-1"))
    got = roles["kiosk"].call("profile.get", event=ev, id=pid,
                              badge="right-badge-1")
    assert got["id"] == pid and got["company"] == "Company " + pid


def test_kiosk_wrong_badge_is_forbidden_never_not_found(admin, ev, roles):
    kiosk = roles["kiosk"]
    pid, nobadge = uid("p"), uid("nb")
    admin.call("profile.put", profile_doc(ev, pid, badge="right-badge-2"))
    admin.call("profile.put", profile_doc(ev, nobadge))
    expect_error("forbidden", kiosk.call, "profile.get", event=ev, id=pid,
                 badge="wrong-badge-2")
    expect_error("forbidden", kiosk.call, "profile.get", event=ev,
                 id=nobadge, badge="any-badge-at-all")
    expect_error("forbidden", kiosk.call, "profile.get", event=ev,
                 id=uid("ghost"), badge="ghost-badge-1")


def test_kiosk_acting_participant_is_viewer_when_given(admin, ev, roles):
    kiosk = roles["kiosk"]
    a, b = uid("a"), uid("b")
    admin.call("profile.put", profile_doc(ev, a, badge="badge-of-a-1"))
    admin.call("profile.put", profile_doc(ev, b, side="buyer",
                                          badge="badge-of-b-1"))
    got = kiosk.call("profile.get", event=ev, id=a, viewer=b,
                     badge="badge-of-b-1")
    assert got["id"] == a
    expect_error("forbidden", kiosk.call, "profile.get", event=ev, id=a,
                 viewer=b, badge="badge-of-a-1")


def test_five_wrong_badges_lock_badge_calls_for_that_participant(
        admin, ev, roles):
    kiosk = roles["kiosk"]
    victim, other = uid("v"), uid("o")
    admin.call("profile.put", profile_doc(ev, victim, badge="victim-badge-1"))
    admin.call("profile.put", profile_doc(ev, other, badge="other-badge-1"))
    for i in range(5):
        expect_error("forbidden", kiosk.call, "profile.get", event=ev,
                     id=victim, badge="guess-%d-xxxx" % i)
    expect_error("rate_limited", kiosk.call, "profile.get", event=ev,
                 id=victim, badge="victim-badge-1")
    expect_error("rate_limited", kiosk.call, "profile.get", event=ev,
                 id=victim, badge="guess-9-xxxx")
    # another participant is not affected, nor are non-badge reads
    assert kiosk.call("profile.get", event=ev, id=other,
                      badge="other-badge-1")["id"] == other
    assert admin.call("profile.get", event=ev, id=victim)["id"] == victim


def test_badge_lock_applies_from_another_kiosk_connection(
        admin, daemon, ev, roles, clients):
    kiosk = roles["kiosk"]
    victim = uid("v")
    admin.call("profile.put", profile_doc(ev, victim, badge="victim-badge-2"))
    for i in range(5):
        expect_error("forbidden", kiosk.call, "profile.get", event=ev,
                     id=victim, badge="guess-%d-yyyy" % i)
    kiosk2 = clients(daemon.as_token(make_token(admin, ev, "kiosk")["token"]))
    expect_error("rate_limited", kiosk2.call, "profile.get", event=ev,
                 id=victim, badge="victim-badge-2")


# --- list -------------------------------------------------------------------

def test_list_pages_through_25_profiles_each_exactly_once(admin, ev, roles):
    org = roles["organizer"]
    ids = ["p%02d-%s" % (i, uid("x")[-4:]) for i in range(25)]
    out = admin.pipeline([("profile.put", profile_doc(ev, pid))
                          for pid in ids])
    assert all(r[2] is None for r in out), [r[2] for r in out if r[2]]
    seen, cursor, pages = [], None, 0
    while True:
        args = {"event": ev, "count": 10}
        if cursor is not None:
            args["cursor"] = cursor
        page = org.call("profile.list", args)
        assert set(page) >= {"profiles", "cursor"}
        assert len(page["profiles"]) <= 10
        seen += [p["id"] for p in page["profiles"]]
        for p in page["profiles"]:
            assert "badge" not in p
            assert p["company"] == "Company " + p["id"]
        cursor = page["cursor"]
        pages += 1
        assert pages <= 10, "paging does not end"
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen)) == 25
    assert pages >= 3


def test_list_of_empty_event_has_nil_cursor(ev, roles):
    page = roles["organizer"].call("profile.list", event=ev)
    assert page == {"profiles": [], "cursor": None}


def test_list_shows_contact_to_organizer(admin, ev, roles):
    pid = uid("p")
    admin.call("profile.put", profile_doc(ev, pid,
                                          contact={"email": "org@x.example"}))
    page = roles["organizer"].call("profile.list", event=ev)
    assert page["profiles"][0]["contact"] == {"email": "org@x.example"}


# --- delete and erasure ----------------------------------------------------

def test_delete_missing_participant_is_not_found(admin, ev):
    expect_error("not_found", admin.call, "profile.delete", event=ev,
                 id=uid("p"))


def test_delete_erases_participant_everywhere(admin, ev, roles, shared):
    org, kiosk = roles["organizer"], roles["kiosk"]
    redis = shared.redis
    tag = uid("")[-10:]
    pid = "erase-" + tag
    company = "Erasure Trading %s Co" % tag
    email = "erase-%s@example.org" % tag
    phone = "+66 2 %08d" % (int(tag, 16) % 10**8)
    offer = "jasmine rice lot %s" % tag
    keep = uid("keep")
    admin.call("profile.put", profile_doc(ev, keep))
    org.call("profile.put", profile_doc(
        ev, pid, company=company, offers=[{"code": "1006", "text": offer}],
        contact={"name": "Erase Me " + tag, "email": email, "phone": phone},
        badge="erase-badge-" + tag))
    org.call("profile.put", profile_doc(ev, pid, company=company,
                                        offers=[{"text": offer}]))
    # one wrong badge, so that a lockout counter may exist for it
    expect_error("forbidden", kiosk.call, "profile.get", event=ev, id=pid,
                 badge="wrong-badge-" + tag)

    def keys_holding(needle):
        return [k for k, v in redis.dump_all_values().items()
                if needle.encode() in v or needle in k]

    # test assumption: Redis holds the data readably before the delete
    assert keys_holding(company), "company not found in Redis before delete"

    assert org.call("profile.delete", event=ev, id=pid) == {"deleted": True}
    expect_error("not_found", org.call, "profile.get", event=ev, id=pid)
    expect_error("not_found", admin.call, "profile.delete", event=ev, id=pid)
    listed = [p["id"] for p in org.call("profile.list", event=ev)["profiles"]]
    assert listed == [keep]
    assert org.call("profile.get", event=ev, id=keep)["id"] == keep
    # a kiosk still cannot tell it from a wrong badge
    expect_error("forbidden", kiosk.call, "profile.get", event=ev, id=pid,
                 badge="erase-badge-" + tag)

    for needle in (company, email, phone, offer, "Erase Me " + tag,
                   "erase-badge-" + tag):
        assert keys_holding(needle) == [], needle

    streams = [k for k in redis.keys("*log*")]
    assert streams, "no change stream found"
    stream_text = b"".join(redis.cli("XRANGE", k, "-", "+") for k in streams
                           if ev in k)
    assert pid.encode() in stream_text  # entries carry ids...
    for needle in (company, email, phone, offer):
        assert needle.encode() not in stream_text   # ...never data


def test_put_after_delete_starts_a_new_profile(admin, ev):
    pid = uid("p")
    admin.call("profile.put", profile_doc(ev, pid, contact={"email": "o@x.io"},
                                          badge="old-badge-1234"))
    admin.call("profile.delete", event=ev, id=pid)
    res = admin.call("profile.put", profile_doc(ev, pid))
    assert res["id"] == pid
    got = admin.call("profile.get", event=ev, id=pid)
    assert not got.get("contact"), "contact survived the delete"


def test_event_put_does_not_touch_profiles(admin, ev):
    pid = uid("p")
    admin.call("profile.put", profile_doc(ev, pid, **FULL))
    before = admin.call("profile.get", event=ev, id=pid)
    admin.call("event.put", event_doc(ev, name="Renamed"))
    assert admin.call("profile.get", event=ev, id=pid) == before


def test_large_kiosk_call_is_too_large_and_connection_stays(make_stack):
    """A kiosk call is held while its badge is checked, so one over 64 KiB
    is refused instead of copied (the default request limit is 1 MiB)."""
    d = make_stack().daemon
    with d.admin() as a:
        ev = new_event(a)
        viewer = uid("p")
        a.call("profile.put", profile_doc(ev, viewer, badge="badge-big-1234"))
        tok = make_token(a, ev, "kiosk")
    with d.as_token(tok["token"]) as kiosk:
        err = expect_error("too_large", kiosk.call, "profile.get", event=ev,
                           id="x" * 70000, viewer=viewer,
                           badge="badge-big-1234")
        assert "kiosk" in err.message
        got = kiosk.call("profile.get", event=ev, id=viewer,
                         badge="badge-big-1234")
        assert got["id"] == viewer
