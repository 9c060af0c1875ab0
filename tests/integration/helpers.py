"""Builders of contract-shaped events and profiles, and small waits."""
import secrets
import socket
import time

import pytest

from rpc import RpcError


def uid(prefix="t"):
    """A fresh id (event or participant) of the contract's alphabet."""
    return "%s-%s" % (prefix, secrets.token_hex(5))


SLOTS = [
    {"id": "s1", "start": "2026-07-13T09:00:00", "end": "2026-07-13T09:30:00"},
    {"id": "s2", "start": "2026-07-13T09:30:00", "end": "2026-07-13T10:00:00"},
    {"id": "s3", "start": "2026-07-13T10:00:00", "end": "2026-07-13T10:30:00"},
]


def event_doc(ev, **over):
    doc = {"event": ev, "name": "Global SME Expo " + ev,
           "slots": [dict(s) for s in SLOTS], "tables": 12}
    doc.update(over)
    return doc


def profile_doc(ev, pid, **over):
    doc = {"event": ev, "id": pid, "side": "seller",
           "company": "Company " + pid, "country": "TH",
           "languages": ["th", "en"]}
    doc.update(over)
    return doc


def new_event(admin, **over):
    """Create a fresh event with the admin connection; its id."""
    ev = uid("ev")
    res = admin.call("event.put", event_doc(ev, **over))
    assert res == {"event": ev}, res
    return ev


def make_token(client, ev, role, **kw):
    res = client.call("token.create", event=ev, role=role, **kw)
    assert set(res) >= {"token", "id"}, res
    assert isinstance(res["token"], str) and res["token"]
    assert isinstance(res["id"], str) and res["id"]
    return res


def expect_error(code, fn, *args, **kwargs):
    """Call fn, expect RpcError with `code`; return the error."""
    with pytest.raises(RpcError) as ei:
        fn(*args, **kwargs)
    assert ei.value.code == code, "expected %s, got %s: %s" % (
        code, ei.value.code, ei.value.message)
    assert isinstance(ei.value.message, str)
    return ei.value


def wait_until(pred, timeout, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("%s not reached within %ss (last: %r)" % (
        what, timeout, last))


def ping_ok(daemon, timeout=2.0):
    """A fresh connection gets "pong" within timeout."""
    with daemon.client(timeout=timeout) as c:
        return c.call("ping") == "pong"


def port_open(port):
    """Something accepts TCP connections on the loopback port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
