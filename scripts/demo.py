#!/usr/bin/python3
"""demo.py: loads the demo event (config/demo/) into a running expomatchd.

Run with /usr/bin/python3 (it needs Debian's python3-msgpack and nothing
else). It authenticates with the admin token, puts the event with its slots
dated from tomorrow in the event's timezone, puts every participant, and
prints a summary. Any error reply ends it with a non-zero exit status and the
error on stderr.
"""

import argparse
import datetime
import json
import os
import socket
import sys

import msgpack

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class RpcError(Exception):
    """An error reply ({code, message}) or a broken exchange."""


class RpcClient:
    """A minimal MessagePack-RPC client: one request at a time, in order."""

    def __init__(self, host, port, timeout):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.unpacker = msgpack.Unpacker(raw=False)
        self.msgid = 0

    def call(self, method, args=None):
        self.msgid = (self.msgid + 1) & 0xFFFFFFFF
        params = [args] if args is not None else []
        self.sock.sendall(msgpack.packb([0, self.msgid, method, params],
                                        use_bin_type=True))
        while True:
            for msg in self.unpacker:
                if not isinstance(msg, list) or not msg:
                    raise RpcError(f"{method}: malformed message {msg!r}")
                if msg[0] == 2:
                    continue  # a notification; this script subscribes to none
                if msg[0] != 1 or len(msg) != 4:
                    raise RpcError(f"{method}: malformed response {msg!r}")
                _, msgid, error, result = msg
                if msgid != self.msgid:
                    raise RpcError(f"{method}: response to msgid {msgid}, "
                                   f"expected {self.msgid}")
                if error is not None:
                    if isinstance(error, dict):
                        raise RpcError(f"{method}: {error.get('code')}: "
                                       f"{error.get('message')}")
                    raise RpcError(f"{method}: {error!r}")
                return result
            data = self.sock.recv(65536)
            if not data:
                raise RpcError(f"{method}: connection closed by the server")
            self.unpacker.feed(data)

    def close(self):
        self.sock.close()


def first_day(event, start_date):
    """Day 1 of the event: --start-date, else tomorrow in its timezone."""
    if start_date:
        return datetime.date.fromisoformat(start_date)
    try:
        from zoneinfo import ZoneInfo
        today = datetime.datetime.now(ZoneInfo(event.get("timezone", "UTC"))).date()
    except Exception:  # no tz database: the local date is close enough
        today = datetime.date.today()
    return today + datetime.timedelta(days=1)


def build_event(template, day1):
    """The event as the contract wants it: '_' keys dropped, slots dated."""
    event = {k: v for k, v in template.items() if not k.startswith("_")}
    slots = []
    for slot in template["slots"]:
        date = day1 + datetime.timedelta(days=int(slot["day"]) - 1)
        slots.append({"id": slot["id"],
                      "start": f"{date.isoformat()}T{slot['start']}:00",
                      "end": f"{date.isoformat()}T{slot['end']}:00"})
    event["slots"] = slots
    return event


def read_token(args):
    if args.token:
        return args.token
    try:
        with open(args.token_file, encoding="ascii") as f:
            return f.read().strip()
    except OSError as e:
        sys.exit(f"demo: cannot read the admin token: {e}")


def write_secret(path, text):
    """Writes text to path, readable by the owner only."""
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(text + "\n")
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description="Load the demo event into expomatchd.")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=7411)
    ap.add_argument("--token-file", default=os.path.join(REPO, "var", "admin.token"))
    ap.add_argument("--token", help="admin token (prefer --token-file: argv is public)")
    ap.add_argument("--event-file", default=os.path.join(REPO, "config", "demo", "event.json"))
    ap.add_argument("--participants-file",
                    default=os.path.join(REPO, "config", "demo", "participants.json"))
    ap.add_argument("--start-date", help="date of day 1, YYYY-MM-DD (default: tomorrow)")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per reply")
    ap.add_argument("--tokens-dir",
                    help="also mint an organizer and a kiosk token of the event "
                         "(24 hours) into DIR/organizer.token and DIR/kiosk.token")
    args = ap.parse_args()

    with open(args.event_file, encoding="utf-8") as f:
        template = json.load(f)
    with open(args.participants_file, encoding="utf-8") as f:
        participants = json.load(f)
    day1 = first_day(template, args.start_date)
    event = build_event(template, day1)
    token = read_token(args)

    try:
        rpc = RpcClient(args.host, args.port, args.timeout)
    except OSError as e:
        sys.exit(f"demo: cannot connect to {args.host}:{args.port}: {e}")
    try:
        rpc.call("auth", {"token": token})
        rpc.call("event.put", event)
        sides = {}
        for profile in participants:
            # The files name the event once; every profile belongs to it.
            profile = dict(profile, event=event["event"])
            try:
                rpc.call("profile.put", profile)
            except RpcError as e:
                raise RpcError(f"{e} (participant {profile['id']!r})") from None
            sides[profile["side"]] = sides.get(profile["side"], 0) + 1
        if args.tokens_dir:
            for role in ("organizer", "kiosk"):
                minted = rpc.call("token.create", {"event": event["event"], "role": role,
                                                   "ttl_hours": 24})
                write_secret(os.path.join(args.tokens_dir, role + ".token"), minted["token"])
    except RpcError as e:
        sys.exit(f"demo: {e}")
    except OSError as e:
        sys.exit(f"demo: connection to {args.host}:{args.port} failed: {e}")
    finally:
        rpc.close()

    slots = event["slots"]
    print(f"demo: event {event['event']!r} ({event['name']}): {len(slots)} slots "
          f"{slots[0]['start']} .. {slots[-1]['end']} {event.get('timezone', 'UTC')}, "
          f"{event['tables']} tables, {len(event.get('interpreters', []))} interpreters")
    print(f"demo: {len(participants)} participants: " +
          ", ".join(f"{n} {side}" for side, n in sorted(sides.items())))
    badged = next((p for p in participants if p.get("badge")), None)
    if badged:
        # A kiosk reads this text from a badge's QR code.
        print(f"demo: a kiosk badge to try: EXPOMATCH1 {event['event']} "
              f"{badged['id']} {badged['badge']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
