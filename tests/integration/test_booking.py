"""The contract's booking rules, checked on whole events after each change:
the earliest slot both sides are free in, a meeting's own `slots`,
max_meetings, one meeting per table and per participant in a slot,
interpreters for pairs without a common language (and never twice in a
slot), meetings left `accepted` when nothing fits; what a cancel, no-show
or deletion frees goes to the meetings waiting for it; event.put and
profile.put changes never leave a booking that breaks the rules; and many
concurrent accepts on two daemons sharing one Redis never book a person,
table or interpreter twice (read back with meeting.list and agenda.get)."""
import collections
import threading

import pytest

from conftest import second_daemon
from helpers import event_doc, make_token, new_event, profile_doc
from rpc import RpcError
from test_scaleout import more_daemon
from test_meetings import all_meetings, cancel, check_shape, conn, create, \
    get, person, request, respond, slot_of

SLOTS4 = event_doc("x")["slots"] + [
    {"id": "s4", "start": "2026-07-13T10:30:00",
     "end": "2026-07-13T11:00:00"}]
TH_JA = {"id": "int-th-ja", "languages": ["th", "ja"]}


@pytest.fixture
def org(admin, daemon, clients):
    """make(**event fields) -> (event id, organizer, app) of a new event."""
    def make(**over):
        ev = new_event(admin, **over)
        return (ev, conn(daemon, admin, clients, ev, "organizer"),
                conn(daemon, admin, clients, ev, "app"))
    return make


def table_names(evdoc):
    t = evdoc["tables"]
    return [str(i) for i in range(1, t + 1)] if isinstance(t, int) else list(t)


def meet(app, ev, a, b, **kw):
    """a asks b, b accepts: the meeting."""
    return respond(app, ev, request(app, ev, a, b, **kw), True)


def booked(m):
    return m["status"], m.get("slot"), m.get("table")


def check_invariants(client, ev, maximal=False):
    """Every rule of the contract on the whole event, read back through
    meeting.list, profile.get, event.get and each participant's agenda.
    With `maximal`, also that no accepted meeting could be booked now.
    Returns {meeting id: meeting}."""
    evdoc = client.call("event.get", event=ev)
    pos = {s["id"]: i for i, s in enumerate(evdoc["slots"])}
    slot = {s["id"]: s for s in evdoc["slots"]}
    tables = table_names(evdoc)
    interps = {it["id"]: set(it["languages"])
               for it in evdoc.get("interpreters") or []}
    meetings = all_meetings(client, ev)
    profs = {}

    def prof(pid):
        if pid not in profs:
            profs[pid] = client.call("profile.get", event=ev, id=pid)
        return profs[pid]

    who = {}                      # (pid, slot) -> meeting
    at_table = {}                 # (slot, table) -> meeting
    with_interp = {}              # (slot, interpreter) -> meeting
    load = collections.Counter()
    for m in meetings:
        check_shape(m, ev)
        if m["status"] == "accepted":
            assert not {"slot", "table", "interpreter"} & set(m), m
        if m["status"] != "scheduled":
            continue
        sid, mid = m["slot"], m["meeting"]
        assert sid in slot, m
        assert (m["start"], m["end"]) == (slot[sid]["start"],
                                          slot[sid]["end"]), m
        assert m["table"] in tables, m
        if "slots" in m:
            assert sid in m["slots"], m
        a, b = prof(m["from"]), prof(m["to"])
        for p in (a, b):
            if "slots" in p:
                assert sid in p["slots"], (m, p["slots"])
            assert (p["id"], sid) not in who, (m, who[(p["id"], sid)])
            who[(p["id"], sid)] = mid
            load[p["id"]] += 1
        assert (sid, m["table"]) not in at_table, (m, at_table)
        at_table[(sid, m["table"])] = mid
        la, lb = set(a["languages"]), set(b["languages"])
        if not la & lb:
            it = m.get("interpreter")
            assert it in interps, ("no common language, no interpreter", m)
            assert interps[it] & la and interps[it] & lb, (m, interps[it])
        if m.get("interpreter"):
            key = (sid, m["interpreter"])
            assert key not in with_interp, (m, with_interp[key])
            with_interp[key] = mid
    for pid, n in load.items():
        if "max_meetings" in prof(pid):
            assert n <= prof(pid)["max_meetings"], \
                "%s: %d scheduled, max_meetings %d" % (
                    pid, n, prof(pid)["max_meetings"])
    # Each participant's agenda: its accepted and scheduled meetings, by
    # slot, unbooked last, as meeting.list has them.
    by_id = {m["meeting"]: m for m in meetings}
    live = [m for m in meetings if m["status"] in ("accepted", "scheduled")]
    for pid in {m[s] for m in live for s in ("from", "to")}:
        agenda = client.call("agenda.get", event=ev, id=pid)
        mine = {m["meeting"] for m in live if pid in (m["from"], m["to"])}
        assert len(agenda) == len(mine), (pid, agenda)
        assert {e["meeting"] for e in agenda} == mine, (pid, agenda)
        keys = [pos[e["slot"]] if e["status"] == "scheduled" else 1e9
                for e in agenda]
        assert keys == sorted(keys), agenda
        for e in agenda:
            assert {k: v for k, v in e.items() if k != "partner"} == \
                by_id[e["meeting"]]
    if maximal:
        for m in live:
            if m["status"] == "accepted":
                assert not bookable(m, evdoc, prof, who, at_table,
                                    with_interp, load, interps), m
    return by_id


def bookable(m, evdoc, prof, who, at_table, with_interp, load, interps):
    """A slot where the waiting meeting m would fit right now, or None."""
    a, b = prof(m["from"]), prof(m["to"])
    for p in (a, b):
        if "max_meetings" in p and load[p["id"]] >= p["max_meetings"]:
            return None
    la, lb = set(a["languages"]), set(b["languages"])
    for s in evdoc["slots"]:
        sid = s["id"]
        if "slots" in m and sid not in m["slots"]:
            continue
        if any("slots" in p and sid not in p["slots"] for p in (a, b)):
            continue
        if (a["id"], sid) in who or (b["id"], sid) in who:
            continue
        if all((sid, t) in at_table for t in table_names(evdoc)):
            continue
        if not la & lb and not any(
                ls & la and ls & lb and (sid, i) not in with_interp
                for i, ls in interps.items()):
            continue
        return sid
    return None


# ---- where a meeting goes ----

def test_earliest_slot_where_both_are_free(admin, org):
    ev, o, app = org()
    a, b = person(admin, ev), person(admin, ev)
    assert booked(meet(app, ev, a, b)) == ("scheduled", "s1", "1")
    c = person(admin, ev, slots=["s2", "s3"])
    d = person(admin, ev, slots=["s3"])
    assert meet(app, ev, c, d)["slot"] == "s3"
    # a is busy in s1 now
    assert meet(app, ev, a, person(admin, ev))["slot"] == "s2"
    assert meet(app, ev, person(admin, ev), c)["slot"] == "s2"
    # free nowhere: it waits
    nowhere = person(admin, ev, slots=[])
    assert booked(meet(app, ev, nowhere, person(admin, ev))) == \
        ("accepted", None, None)
    # d is free only in s3, where it meets c already
    assert booked(create(o, ev, c, d)) == ("accepted", None, None)
    check_invariants(o, ev, maximal=True)


def test_a_meetings_slots_restrict_where_it_is_booked(admin, org):
    ev, o, app = org()
    a, b, c = (person(admin, ev) for _ in range(3))
    m = meet(app, ev, a, b, slots=["s3"])
    assert (m["slot"], m["slots"]) == ("s3", ["s3"])
    # a and c are free in s1 and s2, but the meeting wants s3 only
    m = meet(app, ev, a, c, slots=["s3"])
    assert booked(m) == ("accepted", None, None) and m["slots"] == ["s3"]
    m = create(o, ev, b, c, slots=["s2", "s3"])
    assert m["slot"] == "s2"
    check_invariants(o, ev, maximal=True)


def test_max_meetings_is_respected_on_both_sides(admin, org):
    ev, o, app = org()
    a = person(admin, ev, max_meetings=2)
    got = [meet(app, ev, a, person(admin, ev))["status"] for _ in range(3)]
    got.append(meet(app, ev, person(admin, ev), a)["status"])
    assert got == ["scheduled", "scheduled", "accepted", "accepted"]
    z = person(admin, ev, max_meetings=0)
    assert meet(app, ev, person(admin, ev), z)["status"] == "accepted"
    assert create(o, ev, z, person(admin, ev))["status"] == "accepted"
    check_invariants(o, ev, maximal=True)


def test_a_table_is_never_booked_twice_in_a_slot(admin, org):
    ev, o, app = org(tables=1)
    got = [booked(meet(app, ev, person(admin, ev), person(admin, ev)))
           for _ in range(4)]
    assert got == [("scheduled", "s1", "1"), ("scheduled", "s2", "1"),
                   ("scheduled", "s3", "1"), ("accepted", None, None)]
    check_invariants(o, ev, maximal=True)


def test_more_tables_or_room_book_waiting_meetings(admin, org):
    ev, o, app = org(tables=1, slots=SLOTS4[:1])
    first = meet(app, ev, person(admin, ev), person(admin, ev))
    waiting = meet(app, ev, person(admin, ev), person(admin, ev))
    assert booked(first)[0] == "scheduled"
    assert booked(waiting) == ("accepted", None, None)
    admin.call("event.put", event_doc(ev, tables=2, slots=SLOTS4[:1]))
    assert booked(get(o, ev, waiting)) == ("scheduled", "s1", "2")
    # A participant who frees up room (more max_meetings) gets its
    # waiting meeting booked.
    a = person(admin, ev, max_meetings=0)
    m = create(o, ev, a, person(admin, ev))
    assert booked(m) == ("accepted", None, None)
    admin.call("event.put", event_doc(ev, tables=3, slots=SLOTS4[:1]))
    assert get(o, ev, m)["status"] == "accepted"
    person(admin, ev, a, max_meetings=1)
    assert booked(get(o, ev, m)) == ("scheduled", "s1", "3")
    check_invariants(o, ev, maximal=True)


def test_named_tables_fill_a_slot_before_the_next(admin, org):
    ev, o, app = org(tables=["A1", "B7"], slots=SLOTS4)
    got = [booked(meet(app, ev, person(admin, ev), person(admin, ev),
                       slots=["s2", "s4"])) for _ in range(5)]
    assert sorted(g[1:] for g in got[:4]) == [("s2", "A1"), ("s2", "B7"),
                                              ("s4", "A1"), ("s4", "B7")]
    assert [g[1] for g in got[:4]] == ["s2", "s2", "s4", "s4"]
    assert got[4] == ("accepted", None, None)
    check_invariants(o, ev, maximal=True)


def test_a_participant_never_has_two_meetings_in_a_slot(admin, org):
    ev, o, app = org()
    a = person(admin, ev)
    got = [meet(app, ev, a, person(admin, ev))["slot"] for _ in range(3)]
    assert got == ["s1", "s2", "s3"]
    assert meet(app, ev, person(admin, ev), a)["status"] == "accepted"
    assert create(o, ev, a, person(admin, ev))["status"] == "accepted"
    check_invariants(o, ev, maximal=True)


def test_an_interpreter_for_pairs_without_a_common_language(admin, org):
    de_fr = {"id": "int-de-fr", "languages": ["de", "fr"]}
    ev, o, app = org(interpreters=[de_fr, TH_JA])
    th = person(admin, ev, languages=["th"])
    ja = person(admin, ev, languages=["ja", "ko"])
    m = meet(app, ev, th, ja)
    assert (m["status"], m["interpreter"]) == ("scheduled", "int-th-ja")
    # nobody speaks de and ja
    de = person(admin, ev, languages=["de"])
    assert booked(meet(app, ev, de, person(admin, ev, languages=["ja"]))) \
        == ("accepted", None, None)
    # a common language needs none
    m = meet(app, ev, person(admin, ev, languages=["de", "en"]),
             person(admin, ev, languages=["en"]))
    assert m["status"] == "scheduled"
    check_invariants(o, ev, maximal=True)


def test_no_interpreter_at_all_leaves_it_accepted(admin, org):
    ev, o, app = org()
    m = meet(app, ev, person(admin, ev, languages=["th"]),
             person(admin, ev, languages=["ja"]))
    assert booked(m) == ("accepted", None, None)
    check_invariants(o, ev, maximal=True)


def test_an_interpreter_is_never_booked_twice_in_a_slot(admin, org):
    ev, o, app = org(interpreters=[TH_JA])
    got = [booked(meet(app, ev, person(admin, ev, languages=["th"]),
                       person(admin, ev, languages=["ja"])))[:2]
           for _ in range(4)]
    assert got == [("scheduled", "s1"), ("scheduled", "s2"),
                   ("scheduled", "s3"), ("accepted", None)]
    # tables are free in s1: a pair that needs no interpreter goes there
    assert meet(app, ev, person(admin, ev), person(admin, ev))["slot"] == "s1"
    check_invariants(o, ev, maximal=True)


# ---- what ending a meeting frees ----

def end_by(how, admin, o, app, ev, m):
    if how == "cancel_from":
        cancel(app, ev, m, m["from"])
    elif how == "cancel_to":
        cancel(app, ev, m, m["to"])
    elif how == "cancel_org":
        cancel(o, ev, m, m["from"])
    elif how == "noshow":
        o.call("meeting.noshow", event=ev, meeting=m["meeting"], by=m["to"])
    elif how == "delete":
        admin.call("profile.delete", event=ev, id=m["from"])


ENDINGS = ["cancel_from", "cancel_to", "cancel_org", "noshow", "delete"]


@pytest.mark.parametrize("how", ENDINGS)
def test_a_freed_table_goes_to_a_waiting_meeting(admin, org, how):
    ev, o, app = org(slots=[slot_of("s1")], tables=1)
    m1 = meet(app, ev, person(admin, ev), person(admin, ev))
    m2 = meet(app, ev, person(admin, ev), person(admin, ev))
    assert (m1["status"], m2["status"]) == ("scheduled", "accepted")
    end_by(how, admin, o, app, ev, m1)
    assert booked(get(o, ev, m2)) == ("scheduled", "s1", "1")
    assert get(o, ev, m1)["status"] != "scheduled"
    check_invariants(o, ev, maximal=True)


@pytest.mark.parametrize("how", ["cancel_to", "noshow"])
def test_a_freed_participant_gets_its_waiting_meeting_booked(admin, org,
                                                             how):
    """m2 waits because a is at its max_meetings, m3 because `busy` holds
    the only slot b is free in: ending m1 frees both."""
    ev, o, app = org(slots=[slot_of("s1"), slot_of("s2")])
    a = person(admin, ev, max_meetings=1)
    busy = person(admin, ev)
    m1 = meet(app, ev, busy, a)
    m2 = meet(app, ev, person(admin, ev), a)
    b = person(admin, ev, slots=["s1"])
    m3 = meet(app, ev, b, busy)
    assert (m1["slot"], m2["status"], m3["status"]) == \
        ("s1", "accepted", "accepted")
    end_by(how, admin, o, app, ev, m1)
    assert get(o, ev, m2)["status"] == "scheduled"
    assert get(o, ev, m3)["slot"] == "s1"
    check_invariants(o, ev, maximal=True)


def test_a_freed_interpreter_goes_to_a_waiting_meeting(admin, org):
    ev, o, app = org(slots=[slot_of("s2")], interpreters=[TH_JA])
    pairs = [(person(admin, ev, languages=["th"]),
              person(admin, ev, languages=["ja"])) for _ in range(2)]
    m1, m2 = (meet(app, ev, a, b) for a, b in pairs)
    assert (m1["status"], m2["status"]) == ("scheduled", "accepted")
    cancel(app, ev, m1, m1["to"])
    m2 = get(o, ev, m2)
    assert (m2["status"], m2["slot"], m2["interpreter"]) == \
        ("scheduled", "s2", "int-th-ja")
    check_invariants(o, ev, maximal=True)


def test_a_declined_or_withdrawn_request_held_nothing(admin, org):
    ev, o, app = org(slots=[slot_of("s1")], tables=1)
    a, b = person(admin, ev), person(admin, ev)
    respond(app, ev, request(app, ev, a, b), False)
    cancel(app, ev, request(app, ev, b, a), b)
    assert booked(meet(app, ev, a, b)) == ("scheduled", "s1", "1")
    check_invariants(o, ev, maximal=True)


def test_profile_delete_cancels_its_live_meetings(admin, org):
    ev, o, app = org(slots=[slot_of("s1"), slot_of("s2")], tables=1)
    gone = person(admin, ev)
    p = [person(admin, ev) for _ in range(6)]
    sched = meet(app, ev, gone, p[0])                      # s1
    waiting_gone = meet(app, ev, p[1], gone, slots=["s1"])  # accepted
    sent = request(app, ev, gone, p[2])
    received = request(app, ev, p[3], gone)
    declined = respond(app, ev, request(app, ev, p[4], gone), False)
    other = meet(app, ev, p[4], p[5], slots=["s1"])          # waits for s1
    assert (sched["slot"], waiting_gone["status"], other["status"]) == \
        ("s1", "accepted", "accepted")
    assert admin.call("profile.delete", event=ev, id=gone) == {"deleted": True}
    for m in (sched, waiting_gone, sent, received):
        assert get(o, ev, m)["status"] == "cancelled", m
    assert get(o, ev, declined)["status"] == "declined"
    assert booked(get(o, ev, other)) == ("scheduled", "s1", "1")
    for pid in p[:4]:
        assert o.call("agenda.get", event=ev, id=pid) == []
        assert o.call("meeting.inbox", event=ev, id=pid) == \
            {"incoming": [], "outgoing": []}
    st = o.call("stats.get", event=ev)["meetings"]
    assert (st["cancelled"], st["scheduled"], st["requested"]) == (4, 1, 0)
    check_invariants(o, ev, maximal=True)


# ---- changes of the event or a profile ----

def test_event_put_removing_a_full_slot_sends_its_meeting_back(admin, org):
    ev, o, app = org(slots=[slot_of("s1"), slot_of("s2")], tables=1)
    m1 = meet(app, ev, person(admin, ev), person(admin, ev))
    m2 = meet(app, ev, person(admin, ev), person(admin, ev))
    assert (m1["slot"], m2["slot"]) == ("s1", "s2")
    o.call("event.put", event_doc(ev, slots=[slot_of("s1")], tables=1))
    assert booked(get(o, ev, m1)) == ("scheduled", "s1", "1")
    assert booked(get(o, ev, m2)) == ("accepted", None, None)
    check_invariants(o, ev)


def test_event_put_removing_a_slot_with_room_elsewhere(admin, org):
    ev, o, app = org(tables=2)
    a, b, c, d = (person(admin, ev) for _ in range(4))
    ms = [meet(app, ev, a, b), meet(app, ev, c, d), meet(app, ev, a, c)]
    assert [m["slot"] for m in ms] == ["s1", "s1", "s2"]
    o.call("event.put", event_doc(ev, slots=[slot_of("s2"), slot_of("s3")],
                                  tables=2))
    now = check_invariants(o, ev)
    for m in ms:
        assert now[m["meeting"]]["status"] in ("scheduled", "accepted")
        assert now[m["meeting"]].get("slot") != "s1"
    assert now[ms[2]["meeting"]]["slot"] == "s2"


def test_event_put_removing_a_table(admin, org):
    ev, o, app = org(tables=["A", "B"], slots=[slot_of("s1")])
    m1 = meet(app, ev, person(admin, ev), person(admin, ev))
    m2 = meet(app, ev, person(admin, ev), person(admin, ev))
    assert (m1["table"], m2["table"]) == ("A", "B")
    o.call("event.put", event_doc(ev, tables=["A"], slots=[slot_of("s1")]))
    assert booked(get(o, ev, m1)) == ("scheduled", "s1", "A")
    assert booked(get(o, ev, m2)) == ("accepted", None, None)
    check_invariants(o, ev)
    # with a table count instead, the meeting at table "2" of 2 goes too
    ev, o, app = org(tables=2, slots=[slot_of("s1"), slot_of("s2")])
    ms = [meet(app, ev, person(admin, ev), person(admin, ev))
          for _ in range(2)]
    assert [m["table"] for m in ms] == ["1", "2"]
    o.call("event.put", event_doc(ev, tables=1,
                                  slots=[slot_of("s1"), slot_of("s2")]))
    now = check_invariants(o, ev)
    assert booked(now[ms[1]["meeting"]]) in (("scheduled", "s2", "1"),
                                             ("accepted", None, None))


def test_event_put_new_slot_times_move_the_meetings_times(admin, org):
    ev, o, app = org()
    m = meet(app, ev, person(admin, ev), person(admin, ev))
    slots = event_doc(ev)["slots"]
    slots[0].update(start="2026-07-13T08:00:00", end="2026-07-13T08:45:00")
    o.call("event.put", event_doc(ev, slots=slots))
    got = get(o, ev, m)
    assert booked(got) == ("scheduled", "s1", "1")
    assert (got["start"], got["end"]) == ("2026-07-13T08:00:00",
                                          "2026-07-13T08:45:00")
    check_invariants(o, ev)


def test_event_put_removing_the_interpreter(admin, org):
    ev, o, app = org(interpreters=[TH_JA])
    m = meet(app, ev, person(admin, ev, languages=["th"]),
             person(admin, ev, languages=["ja"]))
    assert m["interpreter"] == "int-th-ja"
    o.call("event.put", event_doc(ev, interpreters=[]))
    assert booked(get(o, ev, m)) == ("accepted", None, None)
    check_invariants(o, ev)


@pytest.mark.parametrize("change", [{"slots": ["s2", "s3"]},
                                    {"max_meetings": 0},
                                    {"languages": ["ja"]}])
def test_profile_put_never_leaves_a_booking_that_breaks_the_rules(
        admin, org, change):
    """b's new profile no longer allows its booked meeting (slot, count,
    no common language and no interpreter): the meeting must leave its
    slot, unless the daemon refuses the change."""
    ev, o, app = org()
    a, b = person(admin, ev, languages=["th"]), person(admin, ev)
    m = meet(app, ev, a, b)
    assert m["slot"] == "s1"
    try:
        o.call("profile.put", profile_doc(ev, b, **change))
    except RpcError as e:
        assert e.code == "conflict", e
    now = check_invariants(o, ev)
    assert now[m["meeting"]]["status"] in ("scheduled", "accepted")


# ---- a race: two daemons on one Redis ----

@pytest.mark.parametrize("ndaemons", [2, 3])
def test_concurrent_accepts_on_two_daemons_never_double_book(make_stack,
                                                             tmp_path,
                                                             ndaemons):
    """With two daemons, and with three (the scale-out issue): accepts and
    creates through all of them at once."""
    stack = make_stack()
    other = second_daemon(stack, tmp_path)
    thirds = [more_daemon(stack, tmp_path, "third")] if ndaemons == 3 else []
    opened = []

    def client_of(d, ev, role, a):
        c = d.as_token(make_token(a, ev, role)["token"])
        opened.append(c)
        return c
    try:
        with stack.daemon.admin() as a:
            ev = new_event(a, slots=SLOTS4, tables=2, interpreters=[TH_JA])
            sellers = ["s%02d" % i for i in range(10)]
            buyers = ["b%02d" % i for i in range(10)]
            docs = [profile_doc(ev, s, languages=["th"]) for s in sellers]
            for i, b in enumerate(buyers):
                extra = {"max_meetings": 2} if i % 3 == 0 else {}
                if i % 4 == 1:
                    extra["slots"] = ["s2", "s3"]
                docs.append(profile_doc(ev, b, side="buyer",
                                        languages=["th", "en"] if i % 2
                                        else ["ja"], **extra))
            assert all(r[2] is None for r in a.pipeline(
                [("profile.put", d) for d in docs]))
            # 40 requests: every buyer asks four sellers
            reqs = [("meeting.request", {"event": ev, "from": b,
                                         "to": sellers[(i + k) % 10]})
                    for i, b in enumerate(buyers) for k in range(4)]
            replies = a.pipeline(reqs)
            assert all(r[2] is None for r in replies), replies
            mids = [r[3]["meeting"] for r in replies]
            daemons = [stack.daemon, other] + thirds
            apps = [client_of(daemons[k % ndaemons], ev, "app", a)
                    for k in range(8)]
            orgs = [client_of(daemons[k], ev, "organizer", a)
                    for k in range(ndaemons)]
            errors = []

            def accept(k):
                mine = mids[k::8]
                try:
                    # two at a time, so the daemons' calls interleave
                    for j in range(0, len(mine), 2):
                        for r in apps[k].pipeline(
                                [("meeting.respond", {"event": ev,
                                                      "meeting": m,
                                                      "accept": True})
                                 for m in mine[j:j + 2]], timeout=30):
                            if r[2] is not None:
                                errors.append(r[2])
                except Exception as e:              # noqa: BLE001
                    errors.append(repr(e))

            def organize(k):
                try:
                    for j in range(6):
                        # pairs nobody asked for: b(j) and seller j+5+k
                        orgs[k].call("meeting.create", {
                            "event": ev, "from": buyers[(2 * j + k) % 10],
                            "to": sellers[(2 * j + k + 5) % 10]})
                except Exception as e:              # noqa: BLE001
                    errors.append(repr(e))
            threads = [threading.Thread(target=accept, args=(k,))
                       for k in range(8)]
            threads += [threading.Thread(target=organize, args=(k,))
                        for k in range(ndaemons)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert errors == []
            first = check_invariants(orgs[1], ev, maximal=True)
            scheduled = [m for m in first.values()
                         if m["status"] == "scheduled"]
            assert 0 < len(scheduled) <= 8              # 4 slots x 2 tables
            # Second wave: cancels of half the booked meetings on one
            # daemon while the other daemon's organizer books more.
            errors.clear()

            def cancel_some():
                try:
                    for m in scheduled[::2]:
                        orgs[0].call("meeting.cancel", event=ev,
                                     meeting=m["meeting"], by=m["from"])
                except Exception as e:              # noqa: BLE001
                    errors.append(repr(e))

            def create_more():
                try:
                    for j in range(8):
                        orgs[1].call("meeting.create", {
                            "event": ev, "from": buyers[j],
                            "to": sellers[(j + 7) % 10]})
                except Exception as e:              # noqa: BLE001
                    errors.append(repr(e))
            threads = [threading.Thread(target=cancel_some),
                       threading.Thread(target=create_more)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert errors == []
            for client in orgs:
                final = check_invariants(client, ev, maximal=True)
            counts = collections.Counter(m["status"] for m in final.values())
            st = orgs[0].call("stats.get", event=ev)
            assert {k: v for k, v in st["meetings"].items() if v} == \
                dict(counts)
            assert st["table_utilization"] == \
                pytest.approx(counts["scheduled"] / 8)
    finally:
        for c in opened:
            c.close()
        other.stop()
        for d in thirds:
            d.stop()
