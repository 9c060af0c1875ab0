"""MessagePack-RPC framing: envelopes, pipelining, notifications, broken
input, size and depth bombs, the pre-auth size limit."""
import socket

import pytest

import rpc
from helpers import ping_ok, uid
from rpc import error_of, pack, raw_str, result_of



def test_ping_reply_is_exact_minimal_msgpack(daemon):
    with daemon.client() as c:
        c.send_raw(rpc.request_bytes(1, "ping"))
        # [1, 1, nil, "pong"], integers in their smallest form
        want = b"\x94\x01\x01\xc0\xa4pong"
        got = b""
        while len(got) < len(want):
            chunk = c.sock.recv(64)
            assert chunk, "closed after %r" % got
            got += chunk
        assert got == want


def test_response_has_exactly_one_of_error_and_result(daemon):
    with daemon.client() as c:
        ok = c.request("ping")
        assert ok[2] is None and ok[3] == "pong"
        bad = c.request("event.get", {"event": "x"})  # before auth
        assert bad[3] is None
        assert isinstance(bad[2], dict)
        assert set(bad[2]) >= {"code", "message"}
        assert isinstance(bad[2]["code"], str)
        assert isinstance(bad[2]["message"], str)


@pytest.mark.parametrize("params", [[], [{}]], ids=["empty", "empty_map"])
def test_ping_accepts_empty_params_forms(daemon, params):
    with daemon.client() as c:
        assert result_of(c.request("ping", params=params)) == "pong"


def test_msgid_is_echoed_up_to_uint32_max(daemon):
    with daemon.client() as c:
        for msgid in (0, 127, 128, 65535, 65536, 2**32 - 1):
            resp = c.request("ping", msgid=msgid)
            assert resp[1] == msgid and resp[3] == "pong"


def test_method_name_sent_as_bin_is_read_as_text(daemon):
    with daemon.client() as c:
        resp = c.request(b"ping", msgid=3)
        assert resp == [1, 3, None, "pong"]
        info = result_of(c.request(b"server.info"))
        assert info["protocol"] == 1


def test_pipelined_200_pings_answered_in_order(daemon):
    with daemon.client() as c:
        out = c.pipeline([("ping", None)] * 200)
        assert len(out) == 200
        assert all(r[2] is None and r[3] == "pong" for r in out)


def test_pipelined_mix_of_store_and_local_calls_keeps_order(admin):
    ev = uid("ev")
    calls = []
    for i in range(100):
        calls.append(("event.get", {"event": ev}))   # goes to Redis
        calls.append(("ping", None))                  # answered at once
    out = admin.pipeline(calls)
    for i, r in enumerate(out):
        if i % 2:
            assert r[3] == "pong"
        else:
            assert error_of(r)[0] == "not_found"


def test_client_notification_gets_no_reply_and_connection_survives(daemon):
    with daemon.client() as c:
        c.notify("hello", [])
        c.notify("nvim_set_client_info", ["x", {}, "remote", {}, {}])
        c.notify(b"bin-hello", [])
        resp = c.request("ping", msgid=77)
        assert resp == [1, 77, None, "pong"]
        # nothing else is pending
        with pytest.raises(socket.timeout):
            c.read_msg(timeout=0.3)


def test_unknown_method_after_auth(admin):
    err = rpc.error_of(admin.request("no.such.method"))
    assert err[0] == "unknown_method"


# --- broken input: one error response, then the connection closes --------

BROKEN = {
    # name: (bytes, acceptable msgids in the error response)
    "garbage_http": (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", {0}),
    "never_used_byte": (b"\xc1\xc1\xc1\xc1", {0}),
    "non_array_map": (pack({"method": "ping"}), {0}),
    "non_array_int": (pack(42), {0}),
    "non_array_str": (pack("ping"), {0}),
    "msgid_string": (pack([0, "x", "ping", []]), {0}),
    "msgid_negative": (pack([0, -1, "ping", []]), {0}),
    "msgid_over_uint32": (pack([0, 2**32, "ping", []]), {0}),
    "method_int": (pack([0, 7, 5, []]), {7}),
    "type_5": (pack([5, 9, "ping", []]), {0, 9}),
    "request_three_elements": (pack([0, 11, "ping"]), {0, 11}),
    "empty_array": (pack([]), {0}),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_envelope_gets_one_bad_request_then_close(daemon, name):
    data, msgids = BROKEN[name]
    with daemon.client() as c:
        c.send_raw(data)
        msgs = c.read_until_closed(timeout=3)
    assert len(msgs) == 1, msgs
    code, message = error_of(msgs[0])
    assert code == "bad_request", (code, message)
    assert msgs[0][1] in msgids
    assert ping_ok(daemon)


def test_truncated_request_then_half_close_gets_error_and_close(daemon):
    with daemon.client() as c:
        c.send_raw(rpc.request_bytes(5, "ping")[:-3])
        c.sock.shutdown(socket.SHUT_WR)
        msgs = c.read_until_closed(timeout=3)
    assert len(msgs) == 1, msgs
    assert error_of(msgs[0])[0] == "bad_request"
    assert msgs[0][1] in (0, 5)
    assert ping_ok(daemon)


def test_broken_input_after_good_requests_answers_those_first(daemon):
    with daemon.client() as c:
        c.send_raw(rpc.request_bytes(1, "ping") + rpc.request_bytes(2, "ping")
                   + b"\xc1")
        msgs = c.read_until_closed(timeout=3)
    assert msgs[0] == [1, 1, None, "pong"]
    assert msgs[1] == [1, 2, None, "pong"]
    assert len(msgs) == 3 and error_of(msgs[2])[0] == "bad_request"


def test_params_not_an_array_is_bad_request(daemon):
    with daemon.client() as c:
        c.send_raw(pack([0, 4, "ping", {"a": 1}]))
        resp = c.read_response()
    assert error_of(resp)[0] == "bad_request"


# --- bombs -----------------------------------------------------------------

HEAD = b"\x94\x00\x01\xa4ping"  # [0, 1, "ping", ... params follow

BOMBS = {
    "array32_4G": b"\xdd\xff\xff\xff\xff",
    "str32_4G": b"\xdb\xff\xff\xff\xff",
    "map32_4G": b"\xdf\xff\xff\xff\xff",
    "bin32_4G": b"\xc6\xff\xff\xff\xff",
    "ext32_4G": b"\xc9\xff\xff\xff\xff\x01",
    "params_array32_4G": HEAD + b"\xdd\xff\xff\xff\xff",
    "params_str32_4G": HEAD + b"\x91\x81\xa1a\xdb\xff\xff\xff\xff",
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_size_bomb_is_refused_without_allocating(daemon, name):
    before = daemon.status()
    with daemon.client() as c:
        c.send_raw(BOMBS[name] + b"\x00" * 64)
        msgs = c.read_until_closed(timeout=3)
    after = daemon.status()
    assert len(msgs) == 1, msgs
    assert error_of(msgs[0])[0] in ("too_large", "bad_request")
    # KiB: no 4 GiB reservation, not even a large one (deltas, so that an
    # ASan build's own overhead does not count)
    assert after["VmSize"] - before["VmSize"] < 64 * 1024, (before, after)
    assert after["VmRSS"] - before["VmRSS"] < 32 * 1024, (before, after)
    assert ping_ok(daemon)


def test_depth_bomb_20_nested_arrays_is_too_large(daemon):
    # max-depth is 16 on the shared daemon
    params = b"\x91" * 19 + b"\xc0"          # 20 levels counting the params
    with daemon.client() as c:
        c.send_raw(HEAD + params)
        msgs = c.read_until_closed(timeout=3)
    assert len(msgs) == 1, msgs
    assert error_of(msgs[0])[0] == "too_large"
    assert msgs[0][1] in (0, 1)
    assert ping_ok(daemon)


def test_depth_bomb_100000_levels_does_not_crash(daemon):
    with daemon.client() as c:
        c.send_raw(b"\x91" * 100000 + b"\xc0")
        msgs = c.read_until_closed(timeout=3)
    assert len(msgs) == 1, msgs
    assert error_of(msgs[0])[0] in ("too_large", "bad_request")
    assert daemon.alive()
    assert ping_ok(daemon)


def test_nesting_within_max_depth_is_accepted(admin):
    # 10 levels of nesting inside an unknown argument: parsed, then refused
    # for the argument, not for depth
    nested = 0
    for _ in range(10):
        nested = [nested]
    resp = admin.request("ping", params=[{"deep": nested}])
    code, msg = error_of(resp)
    assert code == "bad_request"
    assert "deep" in msg


def test_request_over_max_request_bytes_is_too_large(admin, daemon):
    # the shared daemon runs with --max-request-bytes 65536
    big = admin.new_msgid()
    admin.send_raw(rpc.request_bytes(big, "event.get",
                                     {"event": "x" * 70000}))
    msgs = admin.read_until_closed(timeout=3)
    assert len(msgs) == 1, msgs
    assert error_of(msgs[0])[0] == "too_large"
    assert ping_ok(daemon)


def test_request_under_max_request_bytes_is_not_too_large(admin):
    resp = admin.request("event.get", {"event": "x" * 60000})
    code, msg = error_of(resp)
    assert code != "too_large", msg
    assert admin.call("ping") == "pong"


def test_before_auth_request_over_16k_is_too_large(daemon):
    with daemon.client() as c:
        c.send_raw(rpc.request_bytes(1, "auth", {"token": "t" * 17000}))
        msgs = c.read_until_closed(timeout=3)
    assert len(msgs) == 1, msgs
    assert error_of(msgs[0])[0] == "too_large"


def test_before_auth_request_under_16k_is_read(daemon):
    with daemon.client() as c:
        resp = c.request("auth", {"token": "t" * 15000})
        assert error_of(resp)[0] in ("unauthorized", "bad_request")
        assert c.call("ping") == "pong"


def test_after_auth_16k_limit_no_longer_applies(admin):
    resp = admin.request("event.get", {"event": "y" * 20000})
    assert error_of(resp)[0] != "too_large"
    assert admin.call("ping") == "pong"


def test_broken_client_does_not_disturb_another_connection(daemon):
    with daemon.client() as good, daemon.client() as bad:
        good.call("ping")
        bad.send_raw(b"\xdd\xff\xff\xff\xff")
        assert good.call("ping") == "pong"
        bad.read_until_closed(timeout=3)
        assert good.call("server.info")["protocol"] == 1


def test_invalid_utf8_in_method_name_is_an_error(daemon):
    with daemon.client() as c:
        c.send_raw(b"\x94\x00\x02" + raw_str(b"pi\xffng") + b"\x90")
        msg = c.read_msg(timeout=3)
    assert error_of(msg)[0] in ("bad_request", "unknown_method")


def test_text_in_responses_is_str_not_bin(daemon):
    with daemon.client() as c:
        info = c.call("server.info")
        err = c.request("event.get", {"event": "x"})[2]
    assert isinstance(info["name"], str) and isinstance(info["version"], str)
    assert info["name"] and info["version"]
    assert all(isinstance(k, str) for k in info)
    assert isinstance(err["code"], str) and isinstance(err["message"], str)
