/* test_validate.c: every event and profile field rule (validate.h), the
 * messages that name the field, and the normalized stored form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpjson.h"
#include "validate.h"

/* ---------------------------------------------------------------- helpers */

#define EVENT_BASE                                                             \
    "{'event':'gsme2026','name':'Global SME Expo 2026',"                       \
    "'slots':[{'id':'d1-0900','start':'2026-07-13T09:00:00',"                  \
    "'end':'2026-07-13T09:30:00'},"                                            \
    "{'id':'d1-0930','start':'2026-07-13T09:30','end':'2026-07-13T10:00'}],"   \
    "'tables':3}"

#define PROFILE_BASE                                                           \
    "{'event':'gsme2026','id':'th-coffee','side':'seller',"                    \
    "'company':'Thai Coffee Co','country':'TH','languages':['th','en']}"

/* base with `field` set to the JSON value `value`, or removed when value
 * is NULL. */
static json_t *with_field(const char *base, const char *field,
                          const char *value)
{
    json_t *j = mpj_parse(base);
    if (value)
        json_object_set_new(j, field, mpj_parse(value));
    else
        json_object_del(j, field);
    return j;
}

static int run_event(json_t *j, struct event_in *ev, struct err *err)
{
    struct mpj *m = mpj_from_json_t(j);
    json_decref(j);
    int rc = validate_event(&m->obj, ev, err);
    mpj_free(m); /* the result must not point into the request */
    return rc;
}

static int run_profile(json_t *j, struct profile_in *p, struct err *err)
{
    struct mpj *m = mpj_from_json_t(j);
    json_decref(j);
    int rc = validate_profile(&m->obj, p, err);
    mpj_free(m);
    return rc;
}

static void check_msg(const struct err *err, const char *needle)
{
    assert_int_equal(err->code, ERR_BAD_REQUEST);
    if (strstr(err->msg, needle) == NULL)
        fail_msg("message '%s' lacks '%s'", err->msg, needle);
}

/* The event with field set to value must be refused with a message that
 * contains needle (which names the field). */
static void event_bad(const char *field, const char *value, const char *needle)
{
    struct event_in ev;
    struct err err = {0};
    if (run_event(with_field(EVENT_BASE, field, value), &ev, &err) == 0) {
        event_in_free(&ev);
        fail_msg("event with %s=%s was accepted", field, value);
    }
    check_msg(&err, needle);
    /* A refused validation leaves nothing to free. */
    assert_null(ev.packed.data);
    assert_null(ev.slot_ids);
}

static void event_ok(const char *field, const char *value, struct event_in *ev)
{
    struct err err = {0};
    if (run_event(with_field(EVENT_BASE, field, value), ev, &err) < 0)
        fail_msg("event with %s=%s refused: %s", field, value, err.msg);
}

static void profile_bad(const char *field, const char *value,
                        const char *needle)
{
    struct profile_in p;
    struct err err = {0};
    if (run_profile(with_field(PROFILE_BASE, field, value), &p, &err) == 0) {
        profile_in_free(&p);
        fail_msg("profile with %s=%s was accepted", field, value);
    }
    check_msg(&err, needle);
    assert_null(p.packed.data);
    assert_null(p.slots);
}

static void profile_ok(const char *field, const char *value,
                       struct profile_in *p)
{
    struct err err = {0};
    if (run_profile(with_field(PROFILE_BASE, field, value), p, &err) < 0)
        fail_msg("profile with %s=%s refused: %s", field, value, err.msg);
}

/* Only checks that the value passes. */
static void profile_accepts(const char *field, const char *value)
{
    struct profile_in p;
    profile_ok(field, value, &p);
    profile_in_free(&p);
}

static void event_accepts(const char *field, const char *value)
{
    struct event_in ev;
    event_ok(field, value, &ev);
    event_in_free(&ev);
}

/* A JSON string literal of n copies of the UTF-8 character ch. */
static char *repeat_json(const char *ch, size_t n)
{
    size_t l = strlen(ch);
    char *s = malloc(n * l + 3);
    s[0] = '\'';
    for (size_t i = 0; i < n; i++)
        memcpy(s + 1 + i * l, ch, l);
    s[1 + n * l] = '\'';
    s[2 + n * l] = '\0';
    return s;
}

/* A JSON list of n items made by fmt with the index (e.g. "'s%zu'"). */
static char *list_json(const char *fmt, size_t n)
{
    size_t cap = 64 + n * (strlen(fmt) + 24);
    char *s = malloc(cap);
    size_t o = 0;
    s[o++] = '[';
    for (size_t i = 0; i < n; i++) {
        if (i)
            s[o++] = ',';
        o += (size_t)snprintf(s + o, cap - o, fmt, i);
    }
    s[o++] = ']';
    s[o] = '\0';
    return s;
}

/* ------------------------------------------------------------------ event */

static void test_event_minimal_defaults(void **state)
{
    struct event_in ev;
    event_ok("tables", "3", &ev);
    assert_string_equal(ev.id, "gsme2026");
    assert_int_equal(ev.nslots, 2);
    assert_string_equal(ev.slot_ids[0], "d1-0900");
    assert_string_equal(ev.slot_ids[1], "d1-0930");
    assert_int_equal(ev.slot_start[0], 1783933200);
    assert_int_equal(ev.slot_end[0], 1783935000);
    assert_int_equal(ev.ntables, 3);
    assert_true(ev.tables_counted);
    assert_string_equal(ev.table_ids[0], "1");
    assert_string_equal(ev.table_ids[2], "3");
    assert_int_equal(ev.ninterpreters, 0);
    assert_int_equal(ev.meeting_minutes, 30);
    assert_string_equal(ev.timezone, "UTC");
    assert_int_equal(ev.max_pending_requests, 0);
    assert_int_equal(ev.request_ttl_hours, 0);
    /* Minutes-only times are stored with seconds; defaults filled in. */
    assert_true(mpj_equal_bytes(
        ev.packed.data, ev.packed.size,
        "{'event':'gsme2026','name':'Global SME Expo 2026',"
        "'slots':[{'id':'d1-0900','start':'2026-07-13T09:00:00',"
        "'end':'2026-07-13T09:30:00'},{'id':'d1-0930',"
        "'start':'2026-07-13T09:30:00','end':'2026-07-13T10:00:00'}],"
        "'tables':3,'interpreters':[],'meeting_minutes':30,"
        "'timezone':'UTC'}"));
    event_in_free(&ev);
    /* Freeing twice is harmless: the struct is reset. */
    event_in_free(&ev);
}

static void test_event_full_round_trip(void **state)
{
    /* Keys given in a scrambled order come out in the fixed order. */
    json_t *j = mpj_parse(
        "{'request_ttl_hours':48,'timezone':'Asia/Shanghai',"
        "'max_pending_requests':20,'meeting_minutes':20,"
        "'interpreters':[{'languages':['th','ja'],'id':'int-th-ja'},"
        "{'id':'int-ar','languages':['ar','en']}],"
        "'tables':['A1','A2','B.1'],"
        "'slots':[{'end':'2028-02-29T23:59:59','start':'2028-02-29T23:00',"
        "'id':'leap'}],"
        "'name':'\u0e07\u0e32\u0e19\u0e41\u0e2a\u0e14\u0e07\u0e2a\u0e34\u0e19"
        "\u0e04\u0e49\u0e32','event':'bkk.2026'}");
    struct event_in ev;
    struct err err = {0};
    assert_int_equal(run_event(j, &ev, &err), 0);
    assert_false(ev.tables_counted);
    assert_int_equal(ev.ntables, 3);
    assert_string_equal(ev.table_ids[2], "B.1");
    assert_int_equal(ev.ninterpreters, 2);
    assert_string_equal(ev.interpreters[0].id, "int-th-ja");
    assert_int_equal(ev.interpreters[0].nlanguages, 2);
    assert_string_equal(ev.interpreters[0].languages[1], "ja");
    assert_string_equal(ev.interpreters[1].languages[0], "ar");
    assert_int_equal(ev.meeting_minutes, 20);
    assert_string_equal(ev.timezone, "Asia/Shanghai");
    assert_int_equal(ev.max_pending_requests, 20);
    assert_int_equal(ev.request_ttl_hours, 48);
    assert_int_equal(ev.slot_end[0], 1835481599);
    assert_true(mpj_equal_bytes(
        ev.packed.data, ev.packed.size,
        "{'event':'bkk.2026','name':'\u0e07\u0e32\u0e19\u0e41\u0e2a\u0e14"
        "\u0e07\u0e2a\u0e34\u0e19\u0e04\u0e49\u0e32',"
        "'slots':[{'id':'leap','start':'2028-02-29T23:00:00',"
        "'end':'2028-02-29T23:59:59'}],'tables':['A1','A2','B.1'],"
        "'interpreters':[{'id':'int-th-ja','languages':['th','ja']},"
        "{'id':'int-ar','languages':['ar','en']}],'meeting_minutes':20,"
        "'timezone':'Asia/Shanghai','max_pending_requests':20,"
        "'request_ttl_hours':48}"));
    event_in_free(&ev);
}

static void test_event_deterministic(void **state)
{
    struct event_in a, b;
    struct err err = {0};
    assert_int_equal(run_event(mpj_parse(EVENT_BASE), &a, &err), 0);
    assert_int_equal(
        run_event(mpj_parse("{'tables':3,'slots':[{'id':'d1-0900','start':"
                            "'2026-07-13T09:00','end':'2026-07-13T09:30:00'},"
                            "{'id':'d1-0930','start':'2026-07-13T09:30:00',"
                            "'end':'2026-07-13T10:00'}],'timezone':null,"
                            "'name':'Global SME Expo 2026',"
                            "'event':'gsme2026','interpreters':[]}"),
                  &b, &err),
        0);
    assert_int_equal(a.packed.size, b.packed.size);
    assert_memory_equal(a.packed.data, b.packed.data, a.packed.size);
    event_in_free(&a);
    event_in_free(&b);
}

static void test_event_id(void **state)
{
    event_bad("event", NULL, "missing field 'event'");
    event_bad("event", "'bad id'", "event: 1-64 of A-Za-z0-9_.-");
    event_bad("event", "''", "event: 1-64");
    event_bad("event", "7", "event: must be a string (got int)");
    char *long_id = repeat_json("e", 65);
    event_bad("event", long_id, "event: 1-64");
    free(long_id);
}

static void test_event_name(void **state)
{
    event_bad("name", NULL, "missing field 'name'");
    event_bad("name", "''", "name: 1-200 characters");
    char *s = repeat_json("\u4f1a", 200);
    event_accepts("name", s);
    free(s);
    s = repeat_json("\u4f1a", 201);
    event_bad("name", s, "name: 1-200 characters");
    free(s);
    event_bad("name", "['x']", "name: must be a string (got array)");
}

static void test_event_slots_shape(void **state)
{
    event_bad("slots", NULL, "missing field 'slots'");
    event_bad("slots", "[]", "slots: at least 1 item needed");
    event_bad("slots", "{}", "slots: must be a list (got map)");
    event_bad("slots", "['d1']", "slots[0]: must be a map (got str)");
    event_bad("slots",
              "[{'id':'a','start':'2026-07-13T09:00','end':'2026-07-13T09:30',"
              "'room':'x'}]",
              "slots[0]: unknown field 'room'");
    event_bad("slots",
              "[{'start':'2026-07-13T09:00','end':'2026-07-13T09:30'}]",
              "missing field 'slots[0].id'");
    event_bad(
        "slots",
        "[{'id':'a b','start':'2026-07-13T09:00','end':'2026-07-13T09:30'}]",
        "slots[0].id: 1-64 of A-Za-z0-9_.-");
    event_bad("slots", "[{'id':'a','end':'2026-07-13T09:30'}]",
              "missing field 'slots[0].start'");
    event_bad("slots", "[{'id':'a','start':'2026-07-13T09:30'}]",
              "missing field 'slots[0].end'");
    event_bad("slots",
              "[{'id':'a','start':'2026-07-13T09:00','end':'2026-07-13T09:30'},"
              "{'id':'b','start':'2026-07-13T09:30','end':'2026-07-13T10:00'},"
              "{'id':'a','start':'2026-07-13T10:00','end':'2026-07-13T10:30'}]",
              "slots[2].id: 'a' given twice");
    char *many = list_json("{'id':'s%zu','start':'2026-07-13T09:00',"
                           "'end':'2026-07-13T09:30'}",
                           1001);
    event_bad("slots", many, "slots: too many items (at most 1000)");
    free(many);
    many = list_json("{'id':'s%zu','start':'2026-07-13T09:00',"
                     "'end':'2026-07-13T09:30'}",
                     1000);
    event_accepts("slots", many);
    free(many);
}

/* One slot with these start and end times. */
static void slot_times(const char *start, const char *end, const char *needle)
{
    char v[200];
    snprintf(v, sizeof v, "[{'id':'a','start':'%s','end':'%s'}]", start, end);
    if (needle)
        event_bad("slots", v, needle);
    else
        event_accepts("slots", v);
}

static void test_event_slot_times(void **state)
{
    slot_times("2026-07-13T09:00", "2026-07-13T09:30:15", NULL);
    slot_times("2028-02-29T09:00", "2028-02-29T09:30", NULL);
    slot_times("2000-02-29T09:00", "2000-02-29T09:30", NULL);
    slot_times("2026-12-31T23:00", "2026-12-31T23:59:59", NULL);
    slot_times("2026-07-13T23:30", "2026-07-14T00:30", NULL);
    slot_times("2026-07-13 09:00", "2026-07-13T09:30",
               "slots[0].start: a local date-time");
    slot_times("2026-07-13T09:00Z", "2026-07-13T09:30",
               "slots[0].start: a local date-time");
    slot_times("2026-07-13T09:00:00+07:00", "2026-07-13T09:30",
               "slots[0].start");
    slot_times("2026-7-13T09:00", "2026-07-13T09:30", "slots[0].start");
    slot_times("2026-07-13t09:00", "2026-07-13T09:30", "slots[0].start");
    slot_times("2026-07-13T09:00", "2026-07-13T9:30",
               "slots[0].end: a local date-time");
    slot_times("2026-02-29T09:00", "2026-02-29T09:30",
               "slots[0].start: '2026-02-29T09:00:00' is not a real date");
    slot_times("1900-02-29T09:00", "1900-02-29T09:30", "slots[0].start");
    slot_times("2026-04-31T09:00", "2026-04-31T09:30", "slots[0].start");
    slot_times("2026-13-01T09:00", "2026-13-01T09:30", "slots[0].start");
    slot_times("2026-00-10T09:00", "2026-00-10T09:30", "slots[0].start");
    slot_times("2026-07-00T09:00", "2026-07-00T09:30", "slots[0].start");
    slot_times("2026-07-13T24:00", "2026-07-13T09:30", "slots[0].start");
    slot_times("2026-07-13T09:60", "2026-07-13T09:30", "slots[0].start");
    slot_times("2026-07-13T09:00:60", "2026-07-13T09:30", "slots[0].start");
    slot_times("2026-07-13T09:00", "2026-07-13T09:00",
               "slots[0].end: must be after start");
    slot_times("2026-07-13T09:30", "2026-07-13T09:00",
               "slots[0].end: must be after start");
    event_bad("slots", "[{'id':'a','start':1,'end':'2026-07-13T09:30'}]",
              "slots[0].start: must be a string (got int)");
}

static void test_event_tables(void **state)
{
    event_bad("tables", NULL, "missing field 'tables'");
    event_bad("tables", "0", "tables: an integer 1-10000");
    event_bad("tables", "-2", "tables: an integer 1-10000");
    event_bad("tables", "10001", "tables: an integer 1-10000");
    event_bad("tables", "'12'",
              "tables: a count 1-10000 or a list of table names (got str)");
    event_bad("tables", "1.5", "tables: a count");
    event_bad("tables", "null", "tables: a count");
    event_bad("tables", "[]", "tables: at least 1 item needed");
    event_bad("tables", "['A1','A 2']", "tables[1]: 1-64 of A-Za-z0-9_.-");
    event_bad("tables", "['A1','A2','A1']", "tables[2]: 'A1' given twice");
    event_bad("tables", "['A1',2]", "tables[1]: must be a string (got int)");
    struct event_in ev;
    event_ok("tables", "10000", &ev);
    assert_int_equal(ev.ntables, 10000);
    assert_string_equal(ev.table_ids[9999], "10000");
    event_in_free(&ev);
    char *many = list_json("'t%zu'", 10001);
    event_bad("tables", many, "tables: too many items (at most 10000)");
    free(many);
    many = list_json("'t%zu'", 10000);
    event_ok("tables", many, &ev);
    assert_int_equal(ev.ntables, 10000);
    assert_string_equal(ev.table_ids[9999], "t9999");
    event_in_free(&ev);
    free(many);
}

static void test_event_interpreters(void **state)
{
    event_accepts("interpreters", "[]");
    event_accepts("interpreters", "null");
    event_bad("interpreters", "{}", "interpreters: must be a list (got map)");
    event_bad("interpreters", "[{'id':'i1'}]",
              "missing field 'interpreters[0].languages'");
    event_bad("interpreters", "[{'languages':['th']}]",
              "missing field 'interpreters[0].id'");
    event_bad("interpreters", "[{'id':'i1','languages':[]}]",
              "interpreters[0].languages: at least 1 item needed");
    event_bad("interpreters", "[{'id':'i1','languages':['th','xx']}]",
              "interpreters[0].languages[1]: 'xx' is not an ISO 639-1 code");
    event_bad("interpreters", "[{'id':'i1','languages':['TH']}]",
              "interpreters[0].languages[0]: 'TH' is not an ISO 639-1");
    event_bad("interpreters", "[{'id':'i1','languages':['th','th']}]",
              "interpreters[0].languages[1]: 'th' given twice");
    event_bad("interpreters",
              "[{'id':'i1','languages':['th']},{'id':'i1','languages':['ja']}]",
              "interpreters[1].id: 'i1' given twice");
    event_bad("interpreters", "[{'id':'i1','languages':['th'],'rate':5}]",
              "interpreters[0]: unknown field 'rate'");
    char *many = list_json("{'id':'i%zu','languages':['en']}", 1001);
    event_bad("interpreters", many, "interpreters: too many items");
    free(many);
}

static void test_event_meeting_minutes(void **state)
{
    event_accepts("meeting_minutes", "1");
    event_accepts("meeting_minutes", "1440");
    event_bad("meeting_minutes", "0", "meeting_minutes: an integer 1-1440");
    event_bad("meeting_minutes", "1441", "meeting_minutes: an integer 1-1440");
    event_bad("meeting_minutes", "'30'",
              "meeting_minutes: must be an integer (got str)");
    event_bad("meeting_minutes", "30.0",
              "meeting_minutes: must be an integer (got float)");
}

static void test_event_timezone(void **state)
{
    struct event_in ev;
    event_ok("timezone", "'Asia/Bangkok'", &ev);
    assert_string_equal(ev.timezone, "Asia/Bangkok");
    event_in_free(&ev);
    event_ok("timezone", "null", &ev);
    assert_string_equal(ev.timezone, "UTC");
    event_in_free(&ev);
    event_accepts("timezone", "'UTC'");
    event_accepts("timezone", "'Europe/Brussels'");
    event_accepts("timezone", "'America/Argentina/Buenos_Aires'");
    event_accepts("timezone", "'Etc/GMT-7'");
    event_bad("timezone", "'Nowhere/Atlantis'",
              "timezone: 'Nowhere/Atlantis' is not a known IANA time zone");
    event_bad("timezone", "'asia/shanghai'",
              "timezone: 'asia/shanghai' is not");
    event_bad("timezone", "'GMT+8'", "timezone: 'GMT+8' is not");
    /* ICU knows these aliases; IANA does not. */
    event_bad("timezone", "'PST'", "timezone: 'PST' is not");
    event_bad("timezone", "'SystemV/PST8'", "timezone: 'SystemV/PST8' is not");
    event_accepts("timezone", "'CET'"); /* a real IANA zone without a slash */
    event_bad("timezone", "'Asia/Shanghai '",
              "timezone: an IANA time zone name");
    event_bad("timezone", "''", "timezone: an IANA time zone name");
    event_bad("timezone", "8", "timezone: must be a string (got int)");
    char *s = repeat_json("A", 65);
    event_bad("timezone", s, "timezone: an IANA time zone name");
    free(s);
}

static void test_event_limits(void **state)
{
    struct event_in ev;
    event_ok("max_pending_requests", "1", &ev);
    assert_int_equal(ev.max_pending_requests, 1);
    event_in_free(&ev);
    event_bad("max_pending_requests", "0",
              "max_pending_requests: an integer 1-");
    event_bad("max_pending_requests", "'5'",
              "max_pending_requests: must be an integer");
    event_ok("request_ttl_hours", "1", &ev);
    assert_int_equal(ev.request_ttl_hours, 1);
    event_in_free(&ev);
    event_bad("request_ttl_hours", "0", "request_ttl_hours: an integer 1-");
    event_bad("request_ttl_hours", "-5", "request_ttl_hours: an integer 1-");
    event_bad("request_ttl_hours", "true",
              "request_ttl_hours: must be an integer (got bool)");
}

static void test_event_unknown_fields(void **state)
{
    event_bad("colour", "'red'", "unknown field 'colour'");
    event_bad("request_id", "'r1'", "unknown field 'request_id'");
}

static void test_event_bin_and_utf8(void **state)
{
    struct event_in ev;
    struct err err = {0};
    mpj_set_raw("Expo", 4, 1);
    assert_int_equal(
        run_event(with_field(EVENT_BASE, "name", "'<raw>'"), &ev, &err), -1);
    check_msg(&err, "name: must be a string (got bin)");
    mpj_set_raw("Expo \xe0\xb8", 7, 0);
    assert_int_equal(
        run_event(with_field(EVENT_BASE, "name", "'<raw>'"), &ev, &err), -1);
    check_msg(&err, "name: not valid UTF-8");
    mpj_set_raw("d1\xff", 3, 0);
    assert_int_equal(
        run_event(with_field(EVENT_BASE, "slots",
                             "[{'id':'<raw>','start':'2026-07-13T09:00',"
                             "'end':'2026-07-13T09:30'}]"),
                  &ev, &err),
        -1);
    check_msg(&err, "slots[0].id: 1-64");
    mpj_set_raw(NULL, 0, 0);
}

static void test_event_not_a_map(void **state)
{
    struct event_in ev;
    struct err err = {0};
    assert_int_equal(validate_event(NULL, &ev, &err), -1);
    check_msg(&err, "missing field 'event'");
    struct mpj *m = mpj_from_json("['gsme2026']");
    assert_int_equal(validate_event(&m->obj, &ev, &err), -1);
    assert_int_equal(err.code, ERR_BAD_REQUEST);
    mpj_free(m);
}

/* ---------------------------------------------------------------- profile */

static void test_profile_minimal(void **state)
{
    struct profile_in p;
    struct err err = {0};
    assert_int_equal(run_profile(mpj_parse(PROFILE_BASE), &p, &err), 0);
    assert_string_equal(p.event, "gsme2026");
    assert_string_equal(p.id, "th-coffee");
    assert_string_equal(p.side, "seller");
    assert_false(p.has_slots);
    assert_int_equal(p.nslots, 0);
    assert_false(p.has_max_meetings);
    assert_int_equal(p.contact_mode, KEEP);
    assert_int_equal(p.badge_mode, KEEP);
    assert_false(p.has_if_version);
    assert_true(mpj_equal_bytes(
        p.packed.data, p.packed.size,
        "{'event':'gsme2026','id':'th-coffee','side':'seller',"
        "'company':'Thai Coffee Co','country':'TH','languages':['th','en'],"
        "'sectors':[],'offers':[],'needs':[],'cooperation':[],'markets':[]}"));
    profile_in_free(&p);
    profile_in_free(&p);
}

static void test_profile_full_round_trip(void **state)
{
    json_t *j = mpj_parse(
        "{'if_version':3,'badge':'S3cret-Badge!','contact':{'phone':"
        "'+66 (0)2-123.4567','email':'somchai@example.co.th','name':"
        "'\u0e2a\u0e21\u0e0a\u0e32\u0e22'},'max_meetings':0,"
        "'slots':['d1-0930','d1-0900'],'size':'small',"
        "'markets':['JP','CN','JP'],'cooperation':['trade','distribution',"
        "'trade'],'needs':[{'text':'packaging','code':'4819'}],"
        "'offers':[{'code':'090111'},{'text':'\u0e01\u0e32\u0e41\u0e1f "
        "arabica','code':null},{'code':'09','text':'coffee'}],"
        "'sectors':['A','0127','01','A'],'languages':['th','en','zh'],"
        "'country':'TH','company':'\u0e44\u0e17\u0e22\u0e04\u0e2d\u0e1f"
        "\u0e1f\u0e35\u0e48','side':'both','id':'th-coffee',"
        "'event':'gsme2026'}");
    struct profile_in p;
    struct err err = {0};
    assert_int_equal(run_profile(j, &p, &err), 0);
    assert_string_equal(p.side, "both");
    assert_true(p.has_slots);
    assert_int_equal(p.nslots, 2);
    assert_string_equal(p.slots[0], "d1-0930");
    assert_string_equal(p.slots[1], "d1-0900");
    assert_true(p.has_max_meetings);
    assert_int_equal(p.max_meetings, 0);
    assert_true(p.has_if_version);
    assert_int_equal(p.if_version, 3);
    assert_int_equal(p.badge_mode, SET);
    assert_string_equal(p.badge, "S3cret-Badge!");
    assert_int_equal(p.contact_mode, SET);
    assert_true(mpj_equal_bytes(
        p.contact.data, p.contact.size,
        "{'name':'\u0e2a\u0e21\u0e0a\u0e32\u0e22',"
        "'email':'somchai@example.co.th','phone':'+66 (0)2-123.4567'}"));
    /* Fixed key order, repeats in sectors/cooperation/markets dropped,
     * item keys ordered code then text, a nil item field left out, and
     * no contact, badge or if_version. */
    assert_true(mpj_equal_bytes(
        p.packed.data, p.packed.size,
        "{'event':'gsme2026','id':'th-coffee','side':'both',"
        "'company':'\u0e44\u0e17\u0e22\u0e04\u0e2d\u0e1f\u0e1f\u0e35\u0e48',"
        "'country':'TH','languages':['th','en','zh'],"
        "'sectors':['A','0127','01'],"
        "'offers':[{'code':'090111'},{'text':'\u0e01\u0e32\u0e41\u0e1f "
        "arabica'},{'code':'09','text':'coffee'}],"
        "'needs':[{'code':'4819','text':'packaging'}],"
        "'cooperation':['trade','distribution'],'markets':['JP','CN'],"
        "'size':'small','slots':['d1-0930','d1-0900'],'max_meetings':0}"));
    profile_in_free(&p);
}

static void test_profile_required(void **state)
{
    const char *fields[] = {"event",   "id",      "side",
                            "company", "country", "languages"};
    for (size_t i = 0; i < 6; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "missing field '%s'", fields[i]);
        profile_bad(fields[i], NULL, needle);
    }
    struct profile_in p;
    struct err err = {0};
    assert_int_equal(validate_profile(NULL, &p, &err), -1);
    check_msg(&err, "missing field 'event'");
}

static void test_profile_ids(void **state)
{
    profile_bad("event", "'gsme 2026'", "event: 1-64 of A-Za-z0-9_.-");
    profile_bad("event", "null", "event: must be a string (got nil)");
    profile_bad("id", "''", "id: 1-64 of A-Za-z0-9_.-");
    profile_bad("id", "'th/coffee'", "id: 1-64");
    profile_bad("id", "12", "id: must be a string (got int)");
    char *s = repeat_json("x", 64);
    profile_accepts("id", s);
    free(s);
    s = repeat_json("x", 65);
    profile_bad("id", s, "id: 1-64");
    free(s);
}

static void test_profile_side(void **state)
{
    profile_accepts("side", "'buyer'");
    profile_accepts("side", "'seller'");
    profile_accepts("side", "'both'");
    profile_bad("side", "'Buyer'", "side: must be buyer, seller or both");
    profile_bad("side", "'vendor'", "side: must be buyer, seller or both");
    profile_bad("side", "1", "side: must be a string (got int)");
}

static void test_profile_company_scripts(void **state)
{
    /* Thai, Arabic, Chinese: counted in code points, not bytes. */
    const char *chars[] = {"\u0e01", "\u0639", "\u5496", "\U0001F600", "e"};
    for (size_t i = 0; i < 5; i++) {
        char *s = repeat_json(chars[i], 200);
        profile_accepts("company", s);
        free(s);
        s = repeat_json(chars[i], 201);
        profile_bad("company", s, "company: 1-200 characters");
        free(s);
    }
    profile_accepts("company", "'\u0634\u0631\u0643\u0629 \u0627\u0644\u0642"
                               "\u0647\u0648\u0629'");
    profile_bad("company", "''", "company: 1-200 characters");
    profile_bad("company", "['x']", "company: must be a string (got array)");
}

static void test_profile_company_bytes(void **state)
{
    struct profile_in p;
    struct err err = {0};
    const char *bad[] = {"Caf\xc3", "\xc0\xaf", "\xed\xa0\x80x",
                         "\xf4\x90\x80\x80", "ok\xff"};
    for (size_t i = 0; i < 5; i++) {
        mpj_set_raw(bad[i], strlen(bad[i]), 0);
        assert_int_equal(
            run_profile(with_field(PROFILE_BASE, "company", "'<raw>'"), &p,
                        &err),
            -1);
        check_msg(&err, "company: not valid UTF-8");
    }
    mpj_set_raw("Acme", 4, 1);
    assert_int_equal(
        run_profile(with_field(PROFILE_BASE, "company", "'<raw>'"), &p, &err),
        -1);
    check_msg(&err, "company: must be a string (got bin)");
    mpj_set_raw("Ac\0me", 5, 0);
    assert_int_equal(
        run_profile(with_field(PROFILE_BASE, "company", "'<raw>'"), &p, &err),
        -1);
    check_msg(&err, "company: contains a NUL");
    /* bin where text is expected, deeper down. */
    mpj_set_raw("coffee", 6, 1);
    assert_int_equal(run_profile(with_field(PROFILE_BASE, "offers",
                                            "[{'code':'09'},{'text':'<raw>'}]"),
                                 &p, &err),
                     -1);
    check_msg(&err, "offers[1].text: must be a string (got bin)");
    mpj_set_raw("\xe0\xb8", 2, 0);
    assert_int_equal(
        run_profile(with_field(PROFILE_BASE, "needs", "[{'text':'<raw>'}]"), &p,
                    &err),
        -1);
    check_msg(&err, "needs[0].text: not valid UTF-8");
    mpj_set_raw(NULL, 0, 0);
}

static void test_profile_country(void **state)
{
    profile_accepts("country", "'CN'");
    profile_bad("country", "'XX'",
                "country: 'XX' is not an ISO 3166-1 alpha-2 code");
    profile_bad("country", "'th'",
                "country: 'th' is not an ISO 3166-1 alpha-2");
    profile_bad("country", "'THA'", "country: 'THA' is not");
    profile_bad("country", "'T\\u00e9'", "country: not an ISO 3166-1 alpha-2");
    profile_bad("country", "764", "country: must be a string (got int)");
}

static void test_profile_languages(void **state)
{
    profile_accepts("languages", "['ar']");
    profile_bad("languages", "[]", "languages: at least 1 item needed");
    profile_bad("languages", "'th'", "languages: must be a list (got str)");
    profile_bad("languages", "['th','EN']",
                "languages[1]: 'EN' is not an ISO 639-1 code");
    profile_bad("languages", "['tha']",
                "languages[0]: 'tha' is not an ISO 639-1");
    profile_bad("languages", "['th','xx']", "languages[1]: 'xx' is not");
    profile_bad("languages", "['th','en','th']",
                "languages[2]: 'th' given twice");
    profile_bad("languages", "['th',null]",
                "languages[1]: must be a string (got nil)");
    /* 51 items: the cap applies before the codes are looked at. */
    char big[51 * 5 + 3] = "[";
    for (int i = 0; i < 51; i++)
        strcat(big, i ? ",'en'" : "'en'");
    strcat(big, "]");
    profile_bad("languages", big, "languages: too many items (at most 50)");
}

static void test_profile_sectors(void **state)
{
    profile_accepts("sectors", "['A','U','01','011','0111','4610']");
    profile_accepts("sectors", "[]");
    profile_accepts("sectors", "null");
    profile_bad("sectors", "['V']",
                "sectors[0]: 'V' is not an ISIC Rev.4 code");
    profile_bad("sectors", "['A','a']", "sectors[1]: 'a' is not an ISIC");
    profile_bad("sectors", "['1']", "sectors[0]: '1' is not");
    profile_bad("sectors", "['01111']", "sectors[0]: '01111' is not");
    profile_bad("sectors", "['01a']", "sectors[0]");
    profile_bad("sectors", "['AB']", "sectors[0]");
    profile_bad("sectors", "[1]", "sectors[0]: must be a string (got int)");
    profile_bad("sectors", "'A'", "sectors: must be a list (got str)");
    char *many = list_json("'%02zu'", 201);
    profile_bad("sectors", many, "sectors: too many items (at most 200)");
    free(many);
}

static void test_profile_offers_needs(void **state)
{
    const char *f[] = {"offers", "needs"};
    for (int k = 0; k < 2; k++) {
        char n[64];
        profile_accepts(f[k],
                        "[{'code':'09'},{'code':'0901'},{'code':'090111'},"
                        "{'text':'coffee'},{'code':'09','text':'x'}]");
        snprintf(n, sizeof n, "%s[2].code: HS code must be 2, 4 or 6 digits",
                 f[k]);
        profile_bad(f[k], "[{'code':'09'},{'code':'0901'},{'code':'091'}]", n);
        profile_bad(f[k], "[{'code':'09011122'}]",
                    "HS code must be 2, 4 or 6 digits");
        profile_bad(f[k], "[{'code':'09.01'}]",
                    "HS code must be 2, 4 or 6 digits");
        profile_bad(f[k], "[{'code':''}]", "HS code must be 2, 4 or 6 digits");
        snprintf(n, sizeof n, "%s[0].code: must be a string (got int)", f[k]);
        profile_bad(f[k], "[{'code':901}]", n);
        snprintf(n, sizeof n, "%s[0]: needs a code or a text", f[k]);
        profile_bad(f[k], "[{}]", n);
        profile_bad(f[k], "[{'code':null,'text':null}]", n);
        snprintf(n, sizeof n, "%s[0].text: 1-500 characters", f[k]);
        profile_bad(f[k], "[{'text':''}]", n);
        snprintf(n, sizeof n, "%s[1]: unknown field 'qty'", f[k]);
        profile_bad(f[k], "[{'code':'09'},{'code':'09','qty':3}]", n);
        snprintf(n, sizeof n, "%s[0]: must be a map (got str)", f[k]);
        profile_bad(f[k], "['09']", n);
        snprintf(n, sizeof n, "%s: must be a list (got map)", f[k]);
        profile_bad(f[k], "{'code':'09'}", n);
        char *s = repeat_json("\u0e01", 500);
        char v[2000];
        snprintf(v, sizeof v, "[{'text':%s}]", s);
        profile_accepts(f[k], v);
        free(s);
        s = repeat_json("\u0e01", 501);
        snprintf(v, sizeof v, "[{'text':%s}]", s);
        snprintf(n, sizeof n, "%s[0].text: 1-500 characters", f[k]);
        profile_bad(f[k], v, n);
        free(s);
        char *many = list_json("{'code':'09'}", 201);
        snprintf(n, sizeof n, "%s: too many items (at most 200)", f[k]);
        profile_bad(f[k], many, n);
        free(many);
        many = list_json("{'code':'09'}", 200);
        profile_accepts(f[k], many);
        free(many);
    }
}

static void test_profile_cooperation(void **state)
{
    profile_accepts("cooperation",
                    "['trade','distribution','licensing','joint_venture',"
                    "'outsourcing','investment','financing']");
    profile_bad("cooperation", "['trade','barter']",
                "cooperation[1]: 'barter' is not one of trade");
    profile_bad("cooperation", "['Trade']", "cooperation[0]: 'Trade' is not");
    profile_bad("cooperation", "['joint venture']", "cooperation[0]");
    profile_bad("cooperation", "'trade'",
                "cooperation: must be a list (got str)");
}

static void test_profile_markets(void **state)
{
    profile_accepts("markets", "['JP','CN','AE','DE']");
    profile_bad("markets", "['JP','EU']",
                "markets[1]: 'EU' is not an ISO 3166-1 alpha-2 code");
    profile_bad("markets", "['jp']", "markets[0]: 'jp' is not");
    profile_bad("markets", "[392]", "markets[0]: must be a string (got int)");
    char *many = list_json("'JP'", 251);
    profile_bad("markets", many, "markets: too many items (at most 250)");
    free(many);
}

static void test_profile_size(void **state)
{
    profile_accepts("size", "'micro'");
    profile_accepts("size", "'large'");
    profile_accepts("size", "null");
    profile_bad("size", "'huge'",
                "size: must be micro, small, medium or large");
    profile_bad("size", "'Small'", "size: must be micro");
    profile_bad("size", "3", "size: must be a string (got int)");
}

static void test_profile_slots(void **state)
{
    struct profile_in p;
    profile_ok("slots", "[]", &p);
    assert_true(p.has_slots);
    assert_int_equal(p.nslots, 0);
    assert_true(mpj_equal_bytes(
        p.packed.data, p.packed.size,
        "{'event':'gsme2026','id':'th-coffee','side':'seller',"
        "'company':'Thai Coffee Co','country':'TH','languages':['th','en'],"
        "'sectors':[],'offers':[],'needs':[],'cooperation':[],'markets':[],"
        "'slots':[]}"));
    profile_in_free(&p);
    profile_ok("slots", "null", &p);
    assert_false(p.has_slots);
    profile_in_free(&p);
    profile_bad("slots", "['d1-0900','d1 0930']",
                "slots[1]: 1-64 of A-Za-z0-9_.-");
    profile_bad("slots", "['a','b','a']", "slots[2]: 'a' given twice");
    profile_bad("slots", "[1]", "slots[0]: must be a string (got int)");
    profile_bad("slots", "'a'", "slots: must be a list (got str)");
    char *many = list_json("'s%zu'", 1001);
    profile_bad("slots", many, "slots: too many items (at most 1000)");
    free(many);
    many = list_json("'s%zu'", 1000);
    profile_ok("slots", many, &p);
    assert_int_equal(p.nslots, 1000);
    assert_string_equal(p.slots[999], "s999");
    profile_in_free(&p);
    free(many);
}

static void test_profile_max_meetings(void **state)
{
    struct profile_in p;
    profile_ok("max_meetings", "12", &p);
    assert_true(p.has_max_meetings);
    assert_int_equal(p.max_meetings, 12);
    profile_in_free(&p);
    profile_accepts("max_meetings", "0");
    profile_bad("max_meetings", "-1", "max_meetings: an integer 0-");
    profile_bad("max_meetings", "1.5",
                "max_meetings: must be an integer (got float)");
    profile_bad("max_meetings", "'3'",
                "max_meetings: must be an integer (got str)");
}

static void test_profile_contact_modes(void **state)
{
    struct profile_in p;
    profile_ok("contact", NULL, &p);
    assert_int_equal(p.contact_mode, KEEP);
    assert_int_equal(p.contact.size, 0);
    profile_in_free(&p);
    profile_ok("contact", "null", &p);
    assert_int_equal(p.contact_mode, CLEAR);
    assert_int_equal(p.contact.size, 0);
    profile_in_free(&p);
    profile_ok("contact", "{'email':'a@b.c'}", &p);
    assert_int_equal(p.contact_mode, SET);
    assert_true(
        mpj_equal_bytes(p.contact.data, p.contact.size, "{'email':'a@b.c'}"));
    profile_in_free(&p);
    profile_ok("contact", "{'name':'Ahmad','email':null}", &p);
    assert_true(
        mpj_equal_bytes(p.contact.data, p.contact.size, "{'name':'Ahmad'}"));
    profile_in_free(&p);
    profile_ok("contact", "{}", &p);
    assert_int_equal(p.contact_mode, SET);
    assert_true(mpj_equal_bytes(p.contact.data, p.contact.size, "{}"));
    profile_in_free(&p);
    /* The contact never goes into the public profile. */
    profile_ok("contact", "{'name':'Ahmad','phone':'+971 4 123 4567'}", &p);
    assert_null(memmem(p.packed.data, p.packed.size, "Ahmad", 5));
    assert_null(memmem(p.packed.data, p.packed.size, "contact", 7));
    profile_in_free(&p);
}

static void test_profile_contact_rules(void **state)
{
    profile_bad("contact", "'a@b.c'", "contact: must be a map (got str)");
    profile_bad("contact", "{'fax':'123'}", "contact: unknown field 'fax'");
    profile_bad("contact", "{'name':''}", "contact.name: 1-200 characters");
    char *s = repeat_json("\u0639", 200);
    char v[2000];
    snprintf(v, sizeof v, "{'name':%s}", s);
    profile_accepts("contact", v);
    free(s);
    s = repeat_json("\u0639", 201);
    snprintf(v, sizeof v, "{'name':%s}", s);
    profile_bad("contact", v, "contact.name: 1-200 characters");
    free(s);
    profile_bad("contact", "{'name':5}",
                "contact.name: must be a string (got int)");
    profile_accepts("contact",
                    "{'email':'\u0e2a\u0e21@\u0e15\u0e31\u0e27.th'}");
    const char *bad_emails[] = {"'plain'", "'a@b@c'",   "'@b.c'",
                                "'a@'",    "'a b@c.d'", "'a@b.c '",
                                "''",      "'a\\t@b.c'"};
    for (size_t i = 0; i < 8; i++) {
        snprintf(v, sizeof v, "{'email':%s}", bad_emails[i]);
        profile_bad("contact", v, "contact.email: up to 254 bytes, one '@'");
    }
    /* 254 bytes is the longest address; 255 is refused. */
    char local[251];
    memset(local, 'a', 250);
    local[250] = '\0';
    snprintf(v, sizeof v, "{'email':'%s@b.c'}", local);
    profile_accepts("contact", v);
    snprintf(v, sizeof v, "{'email':'%s@bc.d'}", local);
    profile_bad("contact", v, "contact.email");
    profile_accepts("contact", "{'phone':'+66 (0)2-123.4567'}");
    profile_accepts("contact", "{'phone':'12345678901234567890123456789012'}");
    profile_bad("contact", "{'phone':'123456789012345678901234567890123'}",
                "contact.phone: up to 32 of digits, spaces and +-().");
    profile_bad("contact", "{'phone':'+66 2 123 ext 5'}", "contact.phone");
    profile_bad("contact", "{'phone':'+-()'}", "contact.phone");
    profile_bad("contact", "{'phone':''}", "contact.phone");
    profile_bad("contact", "{'phone':66212345}",
                "contact.phone: must be a string (got int)");
}

static void test_profile_badge_modes(void **state)
{
    struct profile_in p;
    profile_ok("badge", NULL, &p);
    assert_int_equal(p.badge_mode, KEEP);
    profile_in_free(&p);
    profile_ok("badge", "null", &p);
    assert_int_equal(p.badge_mode, CLEAR);
    profile_in_free(&p);
    profile_ok("badge", "'12345678'", &p);
    assert_int_equal(p.badge_mode, SET);
    assert_string_equal(p.badge, "12345678");
    assert_null(memmem(p.packed.data, p.packed.size, "12345678", 8));
    profile_in_free(&p);
    char *s = repeat_json("Z", 128);
    profile_ok("badge", s, &p);
    assert_int_equal(strlen(p.badge), 128);
    profile_in_free(&p);
    free(s);
    s = repeat_json("Z", 129);
    profile_bad("badge", s,
                "badge: 8-128 printable ASCII characters, no spaces");
    free(s);
    profile_bad("badge", "'1234567'", "badge: 8-128 printable ASCII");
    profile_bad("badge", "'1234 5678'", "badge: 8-128");
    profile_bad("badge", "'12345678\\u00e9'", "badge: 8-128");
    profile_bad("badge", "12345678", "badge: must be a string (got int)");
    mpj_set_raw("12345678", 8, 1);
    profile_bad("badge", "'<raw>'", "badge: must be a string (got bin)");
    mpj_set_raw(NULL, 0, 0);
}

static void test_profile_if_version(void **state)
{
    struct profile_in p;
    profile_ok("if_version", "0", &p);
    assert_true(p.has_if_version);
    assert_int_equal(p.if_version, 0);
    profile_in_free(&p);
    profile_ok("if_version", "null", &p);
    assert_false(p.has_if_version);
    profile_in_free(&p);
    profile_bad("if_version", "-1", "if_version: an integer 0 or more");
    profile_bad("if_version", "'3'",
                "if_version: must be an integer (got str)");
}

static void test_profile_unknown_fields(void **state)
{
    profile_bad("request_id", "'r-1'", "unknown field 'request_id'");
    profile_bad("colour", "'red'", "unknown field 'colour'");
    profile_bad("version", "2", "unknown field 'version'");
    profile_bad("Company", "'x'", "unknown field 'Company'");
}

static void test_profile_nil_optionals_absent(void **state)
{
    json_t *j = mpj_parse(PROFILE_BASE);
    const char *opt[] = {"sectors",     "offers",       "needs",
                         "cooperation", "markets",      "size",
                         "slots",       "max_meetings", "if_version"};
    for (size_t i = 0; i < 9; i++)
        json_object_set_new(j, opt[i], json_null());
    struct profile_in p;
    struct err err = {0};
    assert_int_equal(run_profile(j, &p, &err), 0);
    assert_true(mpj_equal_bytes(
        p.packed.data, p.packed.size,
        "{'event':'gsme2026','id':'th-coffee','side':'seller',"
        "'company':'Thai Coffee Co','country':'TH','languages':['th','en'],"
        "'sectors':[],'offers':[],'needs':[],'cooperation':[],'markets':[]}"));
    profile_in_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_minimal_defaults),
        cmocka_unit_test(test_event_full_round_trip),
        cmocka_unit_test(test_event_deterministic),
        cmocka_unit_test(test_event_id),
        cmocka_unit_test(test_event_name),
        cmocka_unit_test(test_event_slots_shape),
        cmocka_unit_test(test_event_slot_times),
        cmocka_unit_test(test_event_tables),
        cmocka_unit_test(test_event_interpreters),
        cmocka_unit_test(test_event_meeting_minutes),
        cmocka_unit_test(test_event_timezone),
        cmocka_unit_test(test_event_limits),
        cmocka_unit_test(test_event_unknown_fields),
        cmocka_unit_test(test_event_bin_and_utf8),
        cmocka_unit_test(test_event_not_a_map),
        cmocka_unit_test(test_profile_minimal),
        cmocka_unit_test(test_profile_full_round_trip),
        cmocka_unit_test(test_profile_required),
        cmocka_unit_test(test_profile_ids),
        cmocka_unit_test(test_profile_side),
        cmocka_unit_test(test_profile_company_scripts),
        cmocka_unit_test(test_profile_company_bytes),
        cmocka_unit_test(test_profile_country),
        cmocka_unit_test(test_profile_languages),
        cmocka_unit_test(test_profile_sectors),
        cmocka_unit_test(test_profile_offers_needs),
        cmocka_unit_test(test_profile_cooperation),
        cmocka_unit_test(test_profile_markets),
        cmocka_unit_test(test_profile_size),
        cmocka_unit_test(test_profile_slots),
        cmocka_unit_test(test_profile_max_meetings),
        cmocka_unit_test(test_profile_contact_modes),
        cmocka_unit_test(test_profile_contact_rules),
        cmocka_unit_test(test_profile_badge_modes),
        cmocka_unit_test(test_profile_if_version),
        cmocka_unit_test(test_profile_unknown_fields),
        cmocka_unit_test(test_profile_nil_optionals_absent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
