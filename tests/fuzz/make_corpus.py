#!/usr/bin/python3
"""make_corpus.py: writes the fuzzers' seed corpus, valid requests of every
method in the byte layouts the harnesses read, so that fuzzing starts from
inputs that get past the envelope and the argument checks.

    tests/fuzz/make_corpus.py [OUTDIR]      (default: tests/fuzz/corpus)

Each seed is small and named after what it holds; running the script again
gives the same files. Layouts are described at the top of fuzz_frame.c and
fuzz_dispatch.c.
"""
import os
import sys
from pathlib import Path

import msgpack

HERE = Path(__file__).resolve().parent
EVENT = "ev1"           # fuzz_box.h BOX_EVENT
BADGE = "fuzz-badge-1"  # store_stub.h STUB_BADGE
TOKEN = "ev1:0123456789abcdef:fuzz-token-secret"  # STUB_TOKEN_SECRET
ADMIN = "fuzz-admin-token-0123456789"

# fuzz_box.h enum box_identity
NONE, ADMIN_ID, ORGANIZER, APP, KIOSK, EXPIRED = range(6)
CORRUPT = 0x80  # fuzz_dispatch.c: the stub's records are any bytes

EVENT_DEF = {
    "event": EVENT, "name": "Fuzz Expo",
    "slots": [{"id": "s1", "start": "2026-07-13T09:00:00",
               "end": "2026-07-13T09:30:00"},
              {"id": "s2", "start": "2026-07-13T09:30:00",
               "end": "2026-07-13T10:00:00"}],
    "tables": 2, "interpreters": [{"id": "i1", "languages": ["th", "ja"]}],
    "meeting_minutes": 30, "timezone": "Asia/Bangkok",
    "max_pending_requests": 5, "request_ttl_hours": 48,
}


def profile(pid, side, offers, needs):
    return {"event": EVENT, "id": pid, "side": side,
            "company": "บริษัท %s" % pid, "country": "TH",
            "languages": ["th", "en"], "sectors": ["A", "0111"],
            "offers": offers, "needs": needs, "cooperation": ["trade"],
            "markets": ["JP"], "size": "small", "slots": ["s1", "s2"],
            "max_meetings": 4, "contact": {"name": "N", "email": "a@b.c"},
            "badge": BADGE}


P1 = profile("p1", "seller", [{"code": "090111", "text": "green coffee"}], [])
P2 = profile("p2", "buyer", [], [{"code": "0901", "text": "coffee beans"}])

# (method, arguments) of every method, as an organizer or app would call
# them; kiosk seeds add the badge to those that act for a participant.
CALLS = [
    ("ping", None),
    ("server.info", None),
    ("auth", {"token": TOKEN}),
    ("auth", {"token": ADMIN}),
    ("token.create", {"event": EVENT, "role": "kiosk", "ttl_hours": 8}),
    ("token.revoke", {"event": EVENT, "id": "0123456789abcdef"}),
    ("event.put", EVENT_DEF),
    ("event.get", {"event": EVENT}),
    ("profile.put", dict(P1, if_version=0)),
    ("profile.put", P2),
    ("profile.get", {"event": EVENT, "id": "p1", "viewer": "p2"}),
    ("profile.list", {"event": EVENT, "cursor": "0", "count": 10}),
    ("profile.delete", {"event": EVENT, "id": "p2"}),
    ("match.top", {"event": EVENT, "id": "p1", "k": 5}),
    ("subscribe", {"event": EVENT, "topics": ["participant:p1", "event"]}),
    ("unsubscribe", {"event": EVENT, "topics": ["participant:p1"]}),
    ("meeting.request", {"event": EVENT, "from": "p1", "to": "p2",
                         "note": "ยินดี", "slots": ["s1"],
                         "request_id": "r-1"}),
    ("meeting.create", {"event": EVENT, "from": "p1", "to": "p2"}),
    ("meeting.respond", {"event": EVENT, "meeting": "m1", "accept": True}),
    ("meeting.cancel", {"event": EVENT, "meeting": "m1", "by": "p1"}),
    ("meeting.get", {"event": EVENT, "meeting": "m1"}),
    ("meeting.list", {"event": EVENT, "status": "requested", "count": 5}),
    ("meeting.inbox", {"event": EVENT, "id": "p2"}),
    ("meeting.noshow", {"event": EVENT, "meeting": "m1", "by": "p1"}),
    ("meeting.feedback", {"event": EVENT, "meeting": "m1", "by": "p1",
                          "happened": True, "rating": 5}),
    ("agenda.get", {"event": EVENT, "id": "p1"}),
    ("agenda.ics", {"event": EVENT, "id": "p1"}),
    ("checkin", {"event": EVENT, "id": "p1"}),
    ("schedule.optimize", {"event": EVENT, "fairness": 2, "budget_ms": 100,
                           "move": False}),
    ("stats.get", {"event": EVENT}),
    ("audit.list", {"event": EVENT, "count": 10}),
]

KIOSK_ACTS = {"profile.get", "match.top", "subscribe", "meeting.request",
              "meeting.respond", "meeting.cancel", "meeting.inbox",
              "meeting.noshow", "meeting.feedback", "agenda.get",
              "agenda.ics", "checkin"}


def request(msgid, method, args):
    params = [] if args is None else [args]
    return msgpack.packb([0, msgid, method, params], use_bin_type=True)


# Store scripts (store_stub.c): how the stub answers, command after
# command. 2,1,N: the integer N; 2,0: nil; 2,2: "OK"; 0: unavailable;
# 1,C: an error of code 1+C; 2,5,n,...: an array of n values.
def ints(n, count=12):
    return bytes([2, 1, n]) * count


def strings(*words):
    out = bytearray([2, 5, len(words)])
    for w in words:
        b = w.encode()
        out += bytes([3, len(b)]) + b
    return bytes(out)


SCRIPTS = {
    "ok": ints(1),
    "nil": bytes([2, 0]) * 12,
    "down": b"",
    "conflict": bytes([1, 5]) * 6,
    "list": strings("m1", "p1", "requested", "s1") + ints(1, 4),
}


def dispatch_seed(who, stream, script=b"", max_chunk=0, seed=0):
    assert len(script) < 256
    return bytes([who, max_chunk, seed, len(script)]) + script + stream


def frame_seed(stream, depth=15, limit=6, max_chunk=0, seed=0):
    return bytes([depth, limit, max_chunk, seed]) + stream


def write(outdir, name, data):
    path = outdir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "corpus"
    d, f = out / "fuzz_dispatch", out / "fuzz_frame"
    for i, (method, args) in enumerate(CALLS):
        req = request(i + 1, method, args)
        tag = "%02d-%s" % (i, method.replace(".", "_"))
        who = NONE if method in ("ping", "server.info", "auth") else ORGANIZER
        write(d, tag + "-ok", dispatch_seed(who, req, SCRIPTS["ok"]))
        write(d, tag + "-admin-list",
              dispatch_seed(ADMIN_ID, req, SCRIPTS["list"], 7, i))
        if method in KIOSK_ACTS and args is not None:
            kreq = request(i + 1, method, dict(args, badge=BADGE))
            write(d, tag + "-kiosk", dispatch_seed(KIOSK, kreq, SCRIPTS["ok"]))
        write(f, tag, frame_seed(req, max_chunk=3, seed=i))
    # A session: auth through the stub's token record, then pipelined
    # calls in small chunks, with the store answering variously.
    session = b"".join(request(100 + i, m, a) for i, (m, a) in
                       enumerate(CALLS[2:12]))
    for name, script in SCRIPTS.items():
        write(d, "session-" + name,
              dispatch_seed(NONE, session, script, 5, 3))
        write(d, "session-corrupt-" + name,
              dispatch_seed(CORRUPT | ORGANIZER, session, script, 0, 0))
    write(d, "app-session", dispatch_seed(APP, session, SCRIPTS["ok"], 1, 9))
    write(d, "expired", dispatch_seed(EXPIRED, session[:200], b""))
    # Framing edge cases: a notification from the client, a bin method
    # name, a truncated request, garbage.
    notif = msgpack.packb([2, "hello", []])
    binname = msgpack.packb([0, 7, b"ping", []], use_bin_type=True)
    write(d, "notify-then-ping",
          dispatch_seed(NONE, notif + binname, b"", 1, 1))
    write(d, "truncated", dispatch_seed(NONE, binname[:-1]))
    write(d, "garbage", dispatch_seed(NONE, b"\xc1\xdd\xff\xff\xff\xff"))
    write(f, "pipeline", frame_seed(session, max_chunk=17, seed=5))
    write(f, "notify-bin", frame_seed(notif + binname, max_chunk=1))
    deep = b"\x91" * 20 + b"\xc0"
    write(f, "deep", frame_seed(deep, depth=31, limit=7))
    write(f, "huge-header", frame_seed(b"\xdd\xff\xff\xff\xff", limit=7))
    write_dict(HERE / "fuzz_dispatch.dict")
    write(f, "ext-float", frame_seed(msgpack.packb(
        [1.5, -3, 2 ** 40, msgpack.ExtType(5, b"abc"), b"\x00" * 20])))


def dict_entry(data):
    return '"%s"' % "".join(
        chr(b) if 0x20 <= b < 0x7f and chr(b) not in '"\\' else "\\x%02x" % b
        for b in data)


def write_dict(path):
    """Method names, argument names and values, each as the MessagePack
    str the daemon reads, for libFuzzer's -dict."""
    words = set()
    for method, args in CALLS:
        words.add(method)
        for k, v in (args or {}).items():
            words.add(k)
            if isinstance(v, str):
                words.add(v)
    words |= {"organizer", "kiosk", "app", "participant:p1", "event",
              "accepted", "scheduled", "code", "text", "name", "email"}
    lines = ["# libFuzzer dictionary written by make_corpus.py"]
    for w in sorted(words):
        lines.append(dict_entry(msgpack.packb(w)))
    for token in (b"\x94\x00", b"\x91\x80", b"\x91", b"\xc0", b"\xc3",
                  b"\xcd\xff\xff", b"\xdc\x00\x04", b"\xd9\x40"):
        lines.append(dict_entry(token))
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
