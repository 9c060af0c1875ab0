"""event.put and event.get: the contract's Event shape, defaults, validation,
and that a refused put changes nothing."""
import pytest

from helpers import SLOTS, event_doc, expect_error, make_token, new_event, uid
from rpc import error_of


def test_event_put_returns_event_id_and_get_returns_it_with_defaults(admin):
    ev = uid("ev")
    doc = event_doc(ev)
    assert admin.call("event.put", doc) == {"event": ev}
    got = admin.call("event.get", event=ev)
    for k, v in doc.items():
        assert got[k] == v, k
    assert got["interpreters"] == []
    assert got["meeting_minutes"] == 30
    assert got["timezone"] == "UTC"


def test_event_get_returns_every_given_field_as_stored(admin):
    ev = uid("ev")
    doc = event_doc(
        ev, name="\u5168\u7403\u4e2d\u5c0f\u4f01\u4e1a\u535a\u89c8\u4f1a 2026",
        tables=["A1", "A2", "hall-B.3"],
        interpreters=[{"id": "int-th-ja", "languages": ["th", "ja"]},
                      {"id": "int-ar-en", "languages": ["ar", "en"]}],
        meeting_minutes=20, timezone="Asia/Shanghai",
        max_pending_requests=20, request_ttl_hours=48)
    admin.call("event.put", doc)
    got = admin.call("event.get", event=ev)
    for k, v in doc.items():
        assert got[k] == v, k


def test_event_put_replaces_existing_event(admin):
    ev = new_event(admin)
    doc = event_doc(ev, name="Renamed Expo", slots=SLOTS[:1], tables=3,
                    timezone="Asia/Bangkok")
    assert admin.call("event.put", doc) == {"event": ev}
    got = admin.call("event.get", event=ev)
    assert got["name"] == "Renamed Expo"
    assert got["slots"] == SLOTS[:1]
    assert got["tables"] == 3
    assert got["timezone"] == "Asia/Bangkok"


def test_event_get_missing_is_not_found(admin):
    expect_error("not_found", admin.call, "event.get", event=uid("ev"))


def test_organizer_puts_its_own_event(admin, daemon):
    ev = new_event(admin)
    with daemon.as_token(make_token(admin, ev, "organizer")["token"]) as org:
        assert org.call("event.put", event_doc(ev, name="By organizer")) == {
            "event": ev}
    assert admin.call("event.get", event=ev)["name"] == "By organizer"


@pytest.mark.parametrize("role", ["kiosk", "app"])
def test_kiosk_and_app_may_not_put_events_but_may_get(admin, daemon, role):
    ev = new_event(admin)
    before = admin.call("event.get", event=ev)
    with daemon.as_token(make_token(admin, ev, role)["token"]) as c:
        expect_error("forbidden", c.call, "event.put",
                     event_doc(ev, name="Nope"))
        assert c.call("event.get", event=ev) == before


def _slot(i, start, end):
    return {"id": i, "start": start, "end": end}


BAD_EVENTS = {
    # name: (overrides, field the message must name)
    "name_empty": ({"name": ""}, "name"),
    "name_201_chars": ({"name": "n" * 201}, "name"),
    "name_not_str": ({"name": 7}, "name"),
    "slots_empty": ({"slots": []}, "slots"),
    "slots_not_list": ({"slots": "s1"}, "slots"),
    "slot_bad_month": ({"slots": [_slot("a", "2026-13-01T09:00:00",
                                        "2026-13-01T09:30:00")]}, "slots"),
    "slot_bad_hour": ({"slots": [_slot("a", "2026-07-13T25:00:00",
                                       "2026-07-13T25:30:00")]}, "slots"),
    "slot_not_a_time": ({"slots": [_slot("a", "nine o'clock",
                                         "2026-07-13T09:30:00")]}, "slots"),
    "slot_feb_30": ({"slots": [_slot("a", "2026-02-30T09:00:00",
                                     "2026-02-30T09:30:00")]}, "slots"),
    "slot_end_before_start": ({"slots": [_slot("a", "2026-07-13T10:00:00",
                                               "2026-07-13T09:00:00")]},
                              "slots"),
    "slot_missing_end": ({"slots": [{"id": "a",
                                     "start": "2026-07-13T10:00:00"}]},
                         "slots"),
    "slot_ids_duplicate": ({"slots": [
        _slot("s1", "2026-07-13T09:00:00", "2026-07-13T09:30:00"),
        _slot("s1", "2026-07-13T09:30:00", "2026-07-13T10:00:00")]}, "slots"),
    "tables_zero": ({"tables": 0}, "tables"),
    "tables_negative": ({"tables": -5}, "tables"),
    "tables_str": ({"tables": "12"}, "tables"),
    "tables_names_duplicate": ({"tables": ["A", "A"]}, "tables"),
    "timezone_unknown": ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    "timezone_empty": ({"timezone": ""}, "timezone"),
    "meeting_minutes_str": ({"meeting_minutes": "30"}, "meeting_minutes"),
    "interpreter_bad_language": ({"interpreters": [
        {"id": "i1", "languages": ["zz"]}]}, "interpreters"),
    "interpreter_no_language": ({"interpreters": [
        {"id": "i1", "languages": []}]}, "interpreters"),
    "interpreter_ids_duplicate": ({"interpreters": [
        {"id": "i1", "languages": ["th"]},
        {"id": "i1", "languages": ["ja"]}]}, "interpreters"),
    "max_pending_requests_negative": ({"max_pending_requests": -1},
                                      "max_pending_requests"),
    "request_ttl_hours_zero": ({"request_ttl_hours": 0}, "request_ttl_hours"),
    "unknown_field": ({"colour": "blue"}, "colour"),
}


@pytest.mark.parametrize("case", sorted(BAD_EVENTS))
def test_bad_event_field_is_bad_request_naming_it_and_changes_nothing(
        admin, case):
    over, field = BAD_EVENTS[case]
    ev = new_event(admin, name="Before")
    before = admin.call("event.get", event=ev)
    code, msg = error_of(admin.request("event.put", event_doc(ev, **over)))
    assert code == "bad_request", (code, msg)
    assert field in msg, msg
    assert admin.call("event.get", event=ev) == before


def test_bad_new_event_is_not_created(admin):
    ev = uid("ev")
    expect_error("bad_request", admin.call, "event.put",
                 event_doc(ev, tables=0))
    expect_error("not_found", admin.call, "event.get", event=ev)


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "Asia/Bangkok",
                                "Europe/Brussels", "America/Sao_Paulo", "UTC"])
def test_real_iana_timezones_are_accepted(admin, tz):
    ev = uid("ev")
    admin.call("event.put", event_doc(ev, timezone=tz))
    assert admin.call("event.get", event=ev)["timezone"] == tz


def test_slot_in_dst_gap_is_refused_or_round_trips(
        admin):
    # 2026-03-29 02:30 does not exist in Europe/Brussels; the contract does
    # not say what to do with it, so only check that the reply is one of the
    # two sane outcomes and that a stored value round-trips.
    ev = uid("ev")
    slots = [_slot("g", "2026-03-29T02:30:00", "2026-03-29T03:30:00")]
    resp = admin.request("event.put", event_doc(
        ev, slots=slots, timezone="Europe/Brussels"))
    if resp[2] is None:
        assert admin.call("event.get", event=ev)["slots"] == slots
    else:
        assert resp[2]["code"] == "bad_request"
        assert "slots" in resp[2]["message"]


def test_event_id_in_put_is_validated(admin):
    code, msg = error_of(admin.request("event.put", event_doc("bad id!")))
    assert code == "bad_request" and "event" in msg
