"""An independent MessagePack-RPC client, python3-pynvim's msgpack_rpc,
works against the daemon unchanged. It announces itself on connect with a
notification whose method name is a bin (`nvim_set_client_info`), which the
daemon must ignore; it passes positional params, so a map of named
arguments is its single param. Its blocking requests have no timeout, so the
session runs in a worker thread joined with a bound."""
import threading

import pytest

pynvim_rpc = pytest.importorskip("pynvim.msgpack_rpc")

from helpers import event_doc, profile_doc, uid  # noqa: E402


class NvimRpcError(Exception):
    def __init__(self, err):
        super().__init__(repr(err))
        self.err = err


def run_bounded(fn, timeout=20):
    box = {}

    def target():
        try:
            box["result"] = fn()
        except BaseException as e:      # noqa: BLE001 - re-raised below
            box["error"] = e
    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), "pynvim session hung for %ss" % timeout
    if "error" in box:
        raise box["error"]
    return box.get("result")


def test_pynvim_client_ping_auth_event_profile_and_error(daemon):
    ev = uid("ev")

    def session_work():
        session = pynvim_rpc.tcp_session("127.0.0.1", daemon.port)
        session.error_wrapper = NvimRpcError
        out = {}
        try:
            out["ping"] = session.request("ping")
            out["info"] = session.request("server.info")
            try:
                session.request("event.get", {"event": ev})
            except NvimRpcError as e:
                out["before_auth"] = e.err
            out["auth"] = session.request("auth",
                                          {"token": daemon.admin_token})
            out["put"] = session.request("event.put", event_doc(ev))
            out["ppush"] = session.request("profile.put",
                                           profile_doc(ev, "nv1"))
            out["pget"] = session.request("profile.get",
                                          {"event": ev, "id": "nv1"})
            try:
                session.request("profile.get", {"event": ev, "id": "nope"})
            except NvimRpcError as e:
                out["missing"] = e.err
            try:
                session.request("no.such.method")
            except NvimRpcError as e:
                out["unknown"] = e.err
            out["ping2"] = session.request("ping")
        finally:
            session.close()
        return out

    out = run_bounded(session_work)
    assert out["ping"] == "pong"
    assert out["info"]["protocol"] == 1
    assert out["before_auth"]["code"] == "unauthorized"
    assert out["auth"] == {"role": "admin", "events": ["*"]}
    assert out["put"] == {"event": ev}
    assert out["ppush"] == {"id": "nv1", "version": 1}
    assert out["pget"]["company"] == "Company nv1"
    assert out["missing"]["code"] == "not_found"
    assert isinstance(out["missing"]["message"], str)
    assert out["unknown"]["code"] == "unknown_method"
    assert out["ping2"] == "pong"
