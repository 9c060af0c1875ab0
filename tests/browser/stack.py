"""Helpers of tests/browser/run.sh, on loopback only:

  stack.py ports N                  N free TCP ports, one per line
  stack.py wait HTTP_PORT SECONDS   until GET /readyz answers 200
  stack.py seed RPC_PORT ADMIN_TOKEN_FILE TOKEN_OUT
      creates a small expo through the RPC port (participants from several
      countries and sectors, meetings, check-ins) and an organizer token,
      written to TOKEN_OUT; prints the event id
"""
import http.client
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))

import rpc  # noqa: E402

EVENT = "bkk-expo"


def ports(n):
    # The integration tests' picker: outside the ephemeral range, so that
    # no client socket takes one before the servers bind it.
    from conftest import free_port
    for _ in range(n):
        print(free_port())


def wait(port, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/readyz")
            if c.getresponse().status == 200:
                return 0
        except OSError:
            pass
        time.sleep(0.1)
    print("daemon not ready on port %d after %ss" % (port, seconds),
          file=sys.stderr)
    return 1


SLOTS = [("d1-%02d%02d" % (h, m), "2026-07-13T%02d:%02d:00" % (h, m),
          "2026-07-13T%02d:%02d:00" % (h + (m + 30) // 60, (m + 30) % 60))
         for h in (9, 10, 11, 13) for m in (0, 30)]

# id, side, company, country, languages, sectors, offers, needs
PEOPLE = [
    ("th-coffee", "seller", "Doi Chaang Coffee", "TH", ["th", "en"], ["0127", "C"],
     [{"code": "090111"}], []),
    ("th-silk", "seller", "Jim Thompson Silk", "TH", ["th", "en"], ["1312"],
     [{"code": "5007"}], []),
    ("th-rice", "seller", "Chiang Mai Rice Mill", "TH", ["th"], ["0112", "1061"],
     [{"code": "1006"}], []),
    ("vn-cashew", "seller", "Binh Phuoc Cashew", "VN", ["vi", "en"], ["0125"],
     [{"code": "080132"}], []),
    ("my-palm", "both", "Sarawak Palm Products", "MY", ["ms", "en"], ["1040"],
     [{"code": "1511"}], [{"code": "8479"}]),
    ("id-batik", "seller", "Batik Solo", "ID", ["id", "en"], ["1410"],
     [{"code": "6204"}], []),
    ("jp-import", "buyer", "Osaka Foods Trading", "JP", ["ja", "en"], ["4630"],
     [], [{"code": "090111"}, {"code": "080132"}]),
    ("cn-retail", "buyer", "Shanghai Fresh Retail", "CN", ["zh", "en"], ["4711"],
     [], [{"code": "1006"}, {"code": "090111"}]),
    ("ae-dist", "buyer", "Dubai Gulf Distribution", "AE", ["ar", "en"], ["4690"],
     [], [{"code": "1006"}, {"code": "5007"}]),
    ("sa-hotels", "buyer", "Riyadh Hospitality Group", "SA", ["ar", "en"], ["5510"],
     [], [{"code": "5007"}, {"code": "090111"}]),
    ("de-organic", "buyer", "Berlin Organic Imports", "DE", ["de", "en"], ["4630"],
     [], [{"code": "080132"}, {"code": "1511"}]),
    ("sg-logistics", "both", "Lion City Logistics", "SG", ["en", "zh"], ["5229"],
     [{"text": "cold chain"}], [{"text": "rice"}]),
]

MEETINGS = [("th-coffee", "jp-import"), ("th-rice", "cn-retail"),
            ("th-silk", "ae-dist"), ("vn-cashew", "de-organic"),
            ("th-coffee", "sa-hotels"), ("my-palm", "de-organic"),
            ("th-silk", "sa-hotels")]


def seed(port, admin_file, token_out):
    admin = Path(admin_file).read_text().strip()
    c = rpc.Client(port, timeout=10)
    c.call("auth", token=admin)
    c.call("event.put", {
        "event": EVENT, "name": "Bangkok Business Matching Day",
        "slots": [{"id": i, "start": s, "end": e} for i, s, e in SLOTS],
        "tables": 8, "timezone": "Asia/Bangkok"})
    for pid, side, company, country, langs, sectors, offers, needs in PEOPLE:
        c.call("profile.put", {
            "event": EVENT, "id": pid, "side": side, "company": company,
            "country": country, "languages": langs, "sectors": sectors,
            "offers": offers, "needs": needs,
            "contact": {"email": "%s@example.org" % pid},
            "badge": "badge-%s-secret" % pid})
    for a, b in MEETINGS:
        c.call("meeting.create", event=EVENT, note="private note", **{"from": a, "to": b})
    for pid in ("th-coffee", "jp-import", "ae-dist"):
        c.call("checkin", event=EVENT, id=pid)
    tok = c.call("token.create", event=EVENT, role="organizer")["token"]
    c.close()
    fd = os.open(token_out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(tok + "\n")
    print(EVENT)
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "ports":
        ports(int(argv[2]))
        return 0
    if len(argv) == 4 and argv[1] == "wait":
        return wait(int(argv[2]), float(argv[3]))
    if len(argv) == 5 and argv[1] == "seed":
        return seed(int(argv[2]), argv[3], argv[4])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
