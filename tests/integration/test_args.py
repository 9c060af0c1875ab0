"""Named arguments: types, UTF-8, unknown and missing ones."""
import pytest

import rpc
from helpers import event_doc, new_event, profile_doc, uid
from rpc import error_of, pack, raw_str


def test_bin_where_text_expected_is_bad_request(admin):
    ev = new_event(admin)
    code, msg = error_of(admin.request("event.get", {"event": ev.encode()}))
    assert code == "bad_request" and "event" in msg


def test_bin_token_in_auth_is_bad_request(daemon):
    with daemon.client() as c:
        code, msg = error_of(c.request(
            "auth", {"token": daemon.admin_token.encode()}))
    assert code == "bad_request" and "token" in msg


def test_bin_company_in_profile_put_is_bad_request(admin):
    ev = new_event(admin)
    doc = profile_doc(ev, uid("p"), company="Bin Co".encode())
    code, msg = error_of(admin.request("profile.put", doc))
    assert code == "bad_request" and "company" in msg
    assert error_of(admin.request("profile.get",
                                  {"event": ev, "id": doc["id"]}))[0] == \
        "not_found"


def _event_get_with_raw_event(msgid, raw_value):
    return (b"\x94\x00" + pack(msgid) + pack("event.get") + b"\x91\x81"
            + pack("event") + raw_value)


@pytest.mark.parametrize("bad", [b"\xff\xfe", b"ev-\xc3\x28", b"\xed\xa0\x80",
                                 b"\xc0\xaf"],
                         ids=["ff_fe", "bad_continuation", "surrogate",
                              "overlong"])
def test_invalid_utf8_in_str_is_bad_request(admin, bad):
    admin.send_raw(_event_get_with_raw_event(42, raw_str(bad)))
    resp = admin.read_response()
    assert resp[1] == 42
    code, msg = error_of(resp)
    assert code == "bad_request", msg
    assert admin.call("ping") == "pong"


def test_invalid_utf8_in_profile_text_changes_nothing(admin):
    ev = new_event(admin)
    pid = uid("p")
    admin.call("profile.put", profile_doc(ev, pid))
    body = profile_doc(ev, pid)
    del body["company"]
    payload = pack(body)
    # append a "company" key holding invalid UTF-8 to the map
    n = len(body) + 1
    assert n < 16
    payload = bytes([0x80 | n]) + payload[1:] + pack("company") + \
        raw_str(b"Caf\xe9 Ltd")
    admin.send_raw(b"\x94\x00\x07" + pack("profile.put") + b"\x91" + payload)
    resp = admin.read_response()
    code, msg = error_of(resp)
    assert code == "bad_request" and "company" in msg
    got = admin.call("profile.get", event=ev, id=pid)
    assert got["company"] == "Company " + pid
    assert got.get("version", 1) == 1


def test_unknown_argument_is_bad_request_naming_it(admin):
    ev = new_event(admin)
    code, msg = error_of(admin.request(
        "event.get", {"event": ev, "frobnicate": 1}))
    assert code == "bad_request" and "frobnicate" in msg


def test_unknown_argument_to_ping_is_bad_request_naming_it(daemon):
    with daemon.client() as c:
        code, msg = error_of(c.request("ping", {"zzyzx": True}))
    assert code == "bad_request" and "zzyzx" in msg


def test_unknown_profile_field_is_bad_request_naming_it(admin):
    ev = new_event(admin)
    doc = profile_doc(ev, uid("p"), favourite_colour="teal")
    code, msg = error_of(admin.request("profile.put", doc))
    assert code == "bad_request" and "favourite_colour" in msg


@pytest.mark.parametrize("method,args,missing", [
    ("event.get", {}, "event"),
    ("profile.get", {"event": "E"}, "id"),
    ("profile.delete", {"event": "E"}, "id"),
    ("token.create", {"event": "E"}, "role"),
    ("token.revoke", {"event": "E"}, "id"),
])
def test_missing_required_argument_is_bad_request_naming_it(
        admin, method, args, missing):
    ev = new_event(admin)
    args = {k: (ev if v == "E" else v) for k, v in args.items()}
    code, msg = error_of(admin.request(method, args))
    assert code == "bad_request" and missing in msg


def test_missing_token_in_auth_is_bad_request(daemon):
    with daemon.client() as c:
        code, msg = error_of(c.request("auth", {}))
    assert code == "bad_request" and "token" in msg


@pytest.mark.parametrize("field", ["side", "company", "country", "languages",
                                   "id"])
def test_profile_missing_required_field_names_it(admin, field):
    ev = new_event(admin)
    doc = profile_doc(ev, uid("p"))
    del doc[field]
    code, msg = error_of(admin.request("profile.put", doc))
    assert code == "bad_request" and field in msg


@pytest.mark.parametrize("field", ["name", "slots", "tables"])
def test_event_missing_required_field_names_it(admin, field):
    doc = event_doc(uid("ev"))
    del doc[field]
    code, msg = error_of(admin.request("event.put", doc))
    assert code == "bad_request" and field in msg


@pytest.mark.parametrize("value", [5, None, True, ["a"], {"a": 1}, 1.5])
def test_wrong_type_for_event_id_is_bad_request(admin, value):
    code, msg = error_of(admin.request("event.get", {"event": value}))
    assert code == "bad_request" and "event" in msg


@pytest.mark.parametrize("bad", ["", "x" * 65, "has space", "semi;colon",
                                 "braces{x}", "caf\u00e9"],
                         ids=["empty", "65_chars", "space", "semicolon",
                              "braces", "non_ascii"])
def test_bad_event_id_is_bad_request(admin, bad):
    code, msg = error_of(admin.request("event.get", {"event": bad}))
    assert code == "bad_request" and "event" in msg


def test_event_id_of_64_allowed_chars_is_accepted(admin):
    ev = ("Az09_.-" * 10)[:64]
    ev = ev[:-10] + uid("")[-10:]
    res = admin.call("event.put", event_doc(ev))
    assert res == {"event": ev}
    assert admin.call("event.get", event=ev)["event"] == ev


def test_map_keys_must_be_str(admin):
    # {1: "x"} as the argument map
    admin.send_raw(b"\x94\x00\x09" + pack("ping") + b"\x91\x81\x01\xa1x")
    msgs = []
    try:
        msgs = [admin.read_msg(timeout=3)]
    except rpc.ConnectionClosed:
        pass
    assert msgs, "no reply before close"
    assert error_of(msgs[0])[0] == "bad_request"
