/* test_ics.c: agenda.ics rendering (ics.c): RFC 5545 framing (CRLF, folding
 * at 75 octets between UTF-8 sequences), TEXT escaping, the fields of a
 * meeting, VTIMEZONE offsets and transitions from ICU, UTC with Z, the
 * DST gap rule, the empty calendar and refused input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ics.h"
#include "utf8.h"

#define NOW 1772366400 /* 2026-03-01T12:00:00Z */

/* Wall-clock seconds since 1970-01-01T00:00:00 of a local date and time
 * (years from 1970 on). */
static int64_t lt(int y, int mo, int d, int h, int mi)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    int64_t days = 0;
    for (int i = 1970; i < y; i++)
        days += 365 + ((i % 4 == 0 && i % 100 != 0) || i % 400 == 0);
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    for (int i = 1; i < mo; i++)
        days += mdays[i - 1] + (i == 2 && leap);
    days += d - 1;
    return days * 86400 + h * 3600 + mi * 60;
}

static struct ics_meeting meeting(const char *id, int64_t start, int minutes)
{
    struct ics_meeting m = {
        .meeting_id = id,
        .start = start,
        .end = start + minutes * 60,
        .partner_company = "Acme",
        .partner_id = "p7",
    };
    return m;
}

/* Every physical line: ends in CRLF (no lone CR or LF anywhere), holds at
 * most 75 octets, and is valid UTF-8 on its own, so no sequence was split;
 * the calendar starts and ends as one. */
static void check_framing(const char *s, size_t len)
{
    assert_true(len >= 2);
    assert_memory_equal(s + len - 2, "\r\n", 2);
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\r') {
            assert_true(i + 1 < len && s[i + 1] == '\n');
            size_t n = i - start;
            assert_in_range(n, 1, ICS_LINE_MAX);
            assert_true(utf8_valid(s + start, n, NULL));
            start = i + 2;
            i++;
        } else {
            assert_int_not_equal(s[i], '\n');
        }
    }
    assert_true(strncmp(s, "BEGIN:VCALENDAR\r\n", 17) == 0);
    assert_true(len >= 15 &&
                memcmp(s + len - 15, "END:VCALENDAR\r\n", 15) == 0);
}

/* A rendered calendar: the raw text and its unfolded content lines. */
struct cal {
    char *raw;
    size_t len;
    char **lines;
    size_t n;
};

static void unfold(struct cal *c)
{
    char *u = malloc(c->len + 1);
    size_t o = 0;
    for (size_t i = 0; i < c->len; i++) {
        if (c->raw[i] == '\r' && i + 2 < c->len && c->raw[i + 2] == ' ') {
            i += 2; /* CRLF and the one space that starts a continuation */
            continue;
        }
        u[o++] = c->raw[i];
    }
    u[o] = '\0';
    c->lines = NULL;
    c->n = 0;
    for (char *p = u; *p;) {
        char *e = strstr(p, "\r\n");
        *e = '\0';
        c->lines = realloc(c->lines, (c->n + 1) * sizeof *c->lines);
        c->lines[c->n++] = strdup(p);
        p = e + 2;
    }
    free(u);
}

static void render(struct cal *c, const char *tz, const struct ics_meeting *m,
                   size_t n)
{
    struct buf b = {0};
    struct err err = {0};
    int rc = ics_render(&b, "expo26", "Expo 2026", tz, "p1", m, n, NOW, &err);
    if (rc != 0)
        fail_msg("ics_render: %s", err.msg);
    c->len = buf_pending(&b);
    c->raw = malloc(c->len + 1);
    memcpy(c->raw, b.p + b.off, c->len);
    c->raw[c->len] = '\0';
    buf_free(&b);
    check_framing(c->raw, c->len);
    unfold(c);
}

static void cal_free(struct cal *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->lines[i]);
    free(c->lines);
    free(c->raw);
}

static bool has_line(const struct cal *c, const char *line)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->lines[i], line) == 0)
            return true;
    return false;
}

static size_t count_prefix(const struct cal *c, const char *prefix)
{
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++)
        k += strncmp(c->lines[i], prefix, strlen(prefix)) == 0;
    return k;
}

/* The first content line starting with prefix, or NULL. */
static const char *line_of(const struct cal *c, const char *prefix)
{
    for (size_t i = 0; i < c->n; i++)
        if (strncmp(c->lines[i], prefix, strlen(prefix)) == 0)
            return c->lines[i];
    return NULL;
}

/* The VTIMEZONE's observances in order, as "KIND DTSTART FROM TO NAME|". */
static void observances(const struct cal *c, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < c->n; i++) {
        const char *kind = NULL;
        if (strcmp(c->lines[i], "BEGIN:STANDARD") == 0)
            kind = "STANDARD";
        else if (strcmp(c->lines[i], "BEGIN:DAYLIGHT") == 0)
            kind = "DAYLIGHT";
        if (!kind)
            continue;
        const char *f[4] = {"", "", "", ""};
        static const char *const names[4] = {
            "DTSTART:", "TZOFFSETFROM:", "TZOFFSETTO:", "TZNAME:"};
        for (size_t j = i + 1; j < c->n && strncmp(c->lines[j], "END:", 4); j++)
            for (int k = 0; k < 4; k++)
                if (strncmp(c->lines[j], names[k], strlen(names[k])) == 0)
                    f[k] = c->lines[j] + strlen(names[k]);
        o += (size_t)snprintf(out + o, cap - o, "%s %s %s %s %s|", kind, f[0],
                              f[1], f[2], f[3]);
    }
}

static void test_fields_of_a_meeting(void **state)
{
    struct ics_meeting m = meeting("m42", lt(2026, 3, 30, 10, 0), 30);
    m.partner_company = "Müller GmbH";
    m.table = "12";
    m.interpreter = "i3";
    m.note = "Bring samples";
    m.updated = 1772000000; /* 2026-02-25T06:13:20Z */
    struct cal c;
    render(&c, "Europe/Berlin", &m, 1);
    assert_string_equal(c.lines[0], "BEGIN:VCALENDAR");
    assert_true(has_line(&c, "VERSION:2.0"));
    assert_true(
        has_line(&c, "PRODID:-//expomatch//expomatch " EM_VERSION "//EN"));
    assert_true(has_line(&c, "CALSCALE:GREGORIAN"));
    assert_true(has_line(&c, "METHOD:PUBLISH"));
    assert_true(has_line(&c, "X-WR-CALNAME:Expo 2026"));
    assert_true(has_line(&c, "X-WR-CALDESC:Meetings of p1 at Expo 2026"));
    assert_true(has_line(&c, "X-WR-TIMEZONE:Europe/Berlin"));
    assert_int_equal(count_prefix(&c, "BEGIN:VEVENT"), 1);
    assert_true(has_line(&c, "UID:expo26/m42@expomatch"));
    assert_true(has_line(&c, "DTSTAMP:20260301T120000Z"));
    assert_true(has_line(&c, "LAST-MODIFIED:20260225T061320Z"));
    assert_true(has_line(&c, "DTSTART;TZID=Europe/Berlin:20260330T100000"));
    assert_true(has_line(&c, "DTEND;TZID=Europe/Berlin:20260330T103000"));
    assert_true(has_line(&c, "SUMMARY:Meeting with Müller GmbH"));
    assert_true(has_line(&c, "LOCATION:Table 12\\, interpreter i3"));
    assert_true(has_line(
        &c, "DESCRIPTION:Partner: Müller GmbH (p7)\\n\\nBring samples"));
    assert_true(has_line(&c, "STATUS:CONFIRMED"));
    assert_string_equal(c.lines[c.n - 1], "END:VCALENDAR");
    /* The VTIMEZONE comes before the event that uses it. */
    assert_true(strstr(c.raw, "BEGIN:VTIMEZONE") <
                strstr(c.raw, "BEGIN:VEVENT"));
    assert_null(strstr(c.raw, "ATTENDEE"));
    assert_null(strstr(c.raw, "ORGANIZER"));
    assert_null(strstr(c.raw, "mailto:"));
    cal_free(&c);
}

static void test_optional_fields(void **state)
{
    struct ics_meeting m[4];
    for (int i = 0; i < 4; i++)
        m[i] = meeting(i == 0   ? "a"
                       : i == 1 ? "b"
                       : i == 2 ? "c"
                                : "d",
                       lt(2026, 6, 1, 9 + i, 0), 20);
    m[0].table = "T-1";
    m[1].interpreter = "int.9";
    m[2].partner_company = "";
    m[2].note = "";
    struct cal c;
    render(&c, "Europe/Berlin", m, 4);
    assert_int_equal(count_prefix(&c, "BEGIN:VEVENT"), 4);
    assert_int_equal(count_prefix(&c, "LOCATION:"), 2);
    assert_true(has_line(&c, "LOCATION:Table T-1"));
    assert_true(has_line(&c, "LOCATION:Interpreter int.9"));
    /* No company: the partner's id stands in. */
    assert_true(has_line(&c, "SUMMARY:Meeting with p7"));
    assert_true(has_line(&c, "DESCRIPTION:Partner: p7 (p7)"));
    assert_int_equal(count_prefix(&c, "DESCRIPTION:Partner: Acme (p7)"), 3);
    assert_int_equal(count_prefix(&c, "LAST-MODIFIED"), 0);
    /* In the order given. */
    const char *a = strstr(c.raw, "UID:expo26/a@"),
               *d = strstr(c.raw, "UID:expo26/d@");
    assert_non_null(a);
    assert_true(d > a);
    cal_free(&c);
}

static void test_text_escaping(void **state)
{
    struct ics_meeting m = meeting("m1", lt(2026, 6, 1, 9, 0), 30);
    m.partner_company = "Foo, Inc.; \"Bar\\Baz\"";
    m.note = "a,b;c\\d\ne\r\nf\rg\th\x01i\x7fj:k";
    struct cal c;
    render(&c, "Asia/Shanghai", &m, 1);
    assert_true(
        has_line(&c, "SUMMARY:Meeting with Foo\\, Inc.\\; \"Bar\\\\Baz\""));
    /* Each line break is one \n; tab kept; other controls dropped; colon
     * and double quote need no escape in TEXT. */
    assert_true(has_line(&c, "DESCRIPTION:Partner: Foo\\, Inc.\\; "
                             "\"Bar\\\\Baz\" (p7)\\n\\na\\,b\\;c\\\\d\\ne\\nf"
                             "\\ng\th"
                             "ij:k"));
    cal_free(&c);

    struct buf b = {0};
    struct err err = {0};
    assert_int_equal(ics_render(&b, "e", "Fair, Spring; 2026 \\ A\nB", "UTC",
                                "p", NULL, 0, NOW, &err),
                     0);
    buf_append(&b, "", 1);
    assert_non_null(strstr(b.p, "\r\nX-WR-CALNAME:Fair\\, Spring\\; 2026 "
                                "\\\\ A\\nB\r\n"));
    buf_free(&b);
}

/* The physical lines of c->raw from the one starting with prefix, as
 * lengths in octets, up to max of them; returns how many. */
static size_t physical(const struct cal *c, const char *prefix, size_t *lens,
                       size_t max)
{
    const char *p = strstr(c->raw, prefix);
    size_t k = 0;
    assert_non_null(p);
    while (k < max) {
        const char *e = strstr(p, "\r\n");
        lens[k++] = (size_t)(e - p);
        if (e[2] != ' ')
            break;
        p = e + 2;
    }
    return k;
}

/* A company name of `pad` ASCII letters then `count` copies of `ch`. */
static char *company(size_t pad, const char *ch, size_t count)
{
    char *s = malloc(pad + strlen(ch) * count + 1);
    memset(s, 'x', pad);
    s[pad] = '\0';
    for (size_t i = 0; i < count; i++)
        strcat(s, ch);
    return s;
}

/* "SUMMARY:Meeting with " is 21 octets; the name fills the rest. */
static void fold_case(const char *ch, size_t pad, size_t count,
                      const size_t *want, size_t nwant)
{
    char *name = company(pad, ch, count);
    struct ics_meeting m = meeting("m1", lt(2026, 6, 1, 9, 0), 30);
    m.partner_company = name;
    struct cal c;
    render(&c, "UTC", &m, 1);
    size_t lens[8];
    size_t n = physical(&c, "SUMMARY:", lens, 8);
    assert_int_equal(n, nwant);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(lens[i], want[i]);
    char line[512];
    snprintf(line, sizeof line, "SUMMARY:Meeting with %s", name);
    assert_true(has_line(&c, line));
    cal_free(&c);
    free(name);
}

static void test_fold_at_exactly_75_octets(void **state)
{
    fold_case("", 54, 0, (const size_t[]){75}, 1);
    fold_case("", 55, 0, (const size_t[]){75, 2}, 2);
    /* 74 more octets per continuation line, after its space. */
    fold_case("", 54 + 74, 0, (const size_t[]){75, 75}, 2);
    fold_case("", 54 + 75, 0, (const size_t[]){75, 75, 2}, 3);
}

static void test_fold_multibyte(void **state)
{
    const char *thai = "ก", *cjk = "展", *arabic = "ع", *emoji = "🤝";
    /* 21 + 18 * 3 = 75: no fold; one more and the 19th goes on. */
    fold_case(thai, 0, 18, (const size_t[]){75}, 1);
    fold_case(thai, 0, 19, (const size_t[]){75, 4}, 2);
    fold_case(cjk, 0, 19, (const size_t[]){75, 4}, 2);
    /* Shifted by one: the 18th character would end at octet 76, so the
     * line breaks after 73 octets, not inside the character. */
    fold_case(thai, 1, 18, (const size_t[]){73, 4}, 2);
    fold_case(cjk, 2, 18, (const size_t[]){74, 4}, 2);
    /* Arabic letters are 2 octets: 21 + 27 * 2 = 75. */
    fold_case(arabic, 0, 27, (const size_t[]){75}, 1);
    fold_case(arabic, 0, 28, (const size_t[]){75, 3}, 2);
    fold_case(arabic, 1, 27, (const size_t[]){74, 3}, 2);
    /* 4-octet sequences: 21 + 13 * 4 = 73, the 14th does not fit. */
    fold_case(emoji, 0, 14, (const size_t[]){73, 5}, 2);
    /* Continuation lines: 1 + 24 * 3 = 73, 1 + 37 * 2 = 75. */
    fold_case(thai, 0, 18 + 25, (const size_t[]){75, 73, 4}, 3);
    fold_case(arabic, 0, 27 + 38, (const size_t[]){75, 75, 3}, 3);
}

/* An escape stays whole: "\," is never split across lines. */
static void test_fold_keeps_escapes_whole(void **state)
{
    char *name = company(53, ",", 1); /* "\," would take octets 75 and 76 */
    struct ics_meeting m = meeting("m1", lt(2026, 6, 1, 9, 0), 30);
    m.partner_company = name;
    struct cal c;
    render(&c, "UTC", &m, 1);
    size_t lens[4];
    assert_int_equal(physical(&c, "SUMMARY:", lens, 4), 2);
    assert_int_equal(lens[0], 74);
    assert_int_equal(lens[1], 3);
    cal_free(&c);
    free(name);
}

/* A 1000-character note in many scripts, with line breaks and combining
 * marks: framing holds (check_framing) and it unfolds to what went in. */
static void test_long_note_all_scripts(void **state)
{
    static const char *const pieces[] = {
        "ภาษาไทย",   "العربية", "中文展览会", "日本語", "한국어",
        "Ελληνικά",  "Русский", "עברית",      "हिन्दी",  "🤝🏽",
        "e\xcc\x81", ", ",      "; ",         "\n",     "\\",
    };
    char note[8192] = "", want[16384] = "";
    size_t cps = 0;
    for (size_t i = 0; cps < 1000; i = (i + 1) % 15) {
        size_t n;
        const char *p = pieces[i];
        utf8_valid(p, strlen(p), &n);
        if (cps + n > 1000)
            break;
        strcat(note, p);
        cps += n;
        const char *esc = strcmp(p, ", ") == 0   ? "\\, "
                          : strcmp(p, "; ") == 0 ? "\\; "
                          : strcmp(p, "\n") == 0 ? "\\n"
                          : strcmp(p, "\\") == 0 ? "\\\\"
                                                 : p;
        strcat(want, esc);
    }
    struct ics_meeting m = meeting("m1", lt(2026, 6, 1, 9, 0), 30);
    m.note = note;
    struct cal c;
    render(&c, "Asia/Bangkok", &m, 1);
    const char *d = line_of(&c, "DESCRIPTION:");
    assert_non_null(d);
    assert_string_equal(d + strlen("DESCRIPTION:Partner: Acme (p7)\\n\\n"),
                        want);
    cal_free(&c);
}

static void test_shanghai_no_dst(void **state)
{
    struct ics_meeting m[2] = {meeting("m1", lt(2026, 4, 15, 10, 0), 30),
                               meeting("m2", lt(2026, 4, 16, 14, 30), 45)};
    struct cal c;
    render(&c, "Asia/Shanghai", m, 2);
    char obs[512];
    observances(&c, obs, sizeof obs);
    /* The observance in effect since China's last DST ended (1991). */
    assert_string_equal(obs, "STANDARD 19910915T020000 +0900 +0800 GMT+8|");
    assert_int_equal(count_prefix(&c, "BEGIN:VTIMEZONE"), 1);
    assert_true(has_line(&c, "TZID:Asia/Shanghai"));
    assert_true(has_line(&c, "DTSTART;TZID=Asia/Shanghai:20260415T100000"));
    assert_true(has_line(&c, "DTEND;TZID=Asia/Shanghai:20260416T151500"));
    cal_free(&c);
}

static void test_berlin_across_march_2026(void **state)
{
    struct ics_meeting m[2] = {meeting("m1", lt(2026, 3, 28, 16, 0), 30),
                               meeting("m2", lt(2026, 3, 30, 9, 0), 30)};
    struct cal c;
    render(&c, "Europe/Berlin", m, 2);
    char obs[512];
    observances(&c, obs, sizeof obs);
    assert_string_equal(obs, "STANDARD 20251026T030000 +0200 +0100 CET|"
                             "DAYLIGHT 20260329T020000 +0100 +0200 CEST|");
    assert_true(has_line(&c, "DTSTART;TZID=Europe/Berlin:20260328T160000"));
    assert_true(has_line(&c, "DTSTART;TZID=Europe/Berlin:20260330T090000"));
    cal_free(&c);
}

static void test_berlin_october_and_summer(void **state)
{
    struct ics_meeting m[2] = {meeting("m1", lt(2026, 10, 24, 16, 0), 30),
                               meeting("m2", lt(2026, 10, 26, 9, 0), 30)};
    struct cal c;
    char obs[512];
    render(&c, "Europe/Berlin", m, 2);
    observances(&c, obs, sizeof obs);
    assert_string_equal(obs, "DAYLIGHT 20260329T020000 +0100 +0200 CEST|"
                             "STANDARD 20261025T030000 +0200 +0100 CET|");
    cal_free(&c);

    /* Mid-July: only summer time. */
    m[0] = meeting("m1", lt(2026, 7, 14, 9, 0), 30);
    render(&c, "Europe/Berlin", m, 1);
    observances(&c, obs, sizeof obs);
    assert_string_equal(obs, "DAYLIGHT 20260329T020000 +0100 +0200 CEST|");
    cal_free(&c);
}

/* Meetings a year apart: each period gets its own observances, each
 * transition once, in order. */
static void test_meetings_far_apart(void **state)
{
    struct ics_meeting m[3] = {meeting("late", lt(2027, 7, 1, 9, 0), 30),
                               meeting("early", lt(2026, 1, 20, 9, 0), 30),
                               meeting("early2", lt(2026, 1, 21, 9, 0), 30)};
    struct cal c;
    char obs[512];
    render(&c, "Europe/Berlin", m, 3);
    observances(&c, obs, sizeof obs);
    assert_string_equal(obs, "STANDARD 20251026T030000 +0200 +0100 CET|"
                             "DAYLIGHT 20270328T020000 +0100 +0200 CEST|");
    cal_free(&c);
}

static void test_new_york(void **state)
{
    struct ics_meeting m[2] = {meeting("m1", lt(2026, 3, 7, 10, 0), 30),
                               meeting("m2", lt(2026, 3, 9, 10, 0), 30)};
    struct cal c;
    char obs[512];
    render(&c, "America/New_York", m, 2);
    observances(&c, obs, sizeof obs);
    assert_string_equal(obs, "STANDARD 20251102T020000 -0400 -0500 EST|"
                             "DAYLIGHT 20260308T020000 -0500 -0400 EDT|");
    assert_true(has_line(&c, "DTSTART;TZID=America/New_York:20260309T100000"));
    cal_free(&c);
}

static void test_half_hour_and_seconds_offsets(void **state)
{
    struct ics_meeting m = meeting("m1", lt(2026, 2, 2, 11, 0), 30);
    struct cal c;
    char obs[512];
    render(&c, "Asia/Kolkata", &m, 1);
    observances(&c, obs, sizeof obs);
    assert_string_equal(obs, "STANDARD 19451015T000000 +0630 +0530 GMT+5:30|");
    cal_free(&c);

    /* Liberia kept a local mean time offset of -0:44:30 until 1972. */
    m = meeting("m1", lt(1971, 6, 1, 11, 0), 30);
    render(&c, "Africa/Monrovia", &m, 1);
    observances(&c, obs, sizeof obs);
    assert_non_null(strstr(obs, " -004430 "));
    cal_free(&c);
}

static void test_utc_times_with_z(void **state)
{
    struct ics_meeting m = meeting("m1", lt(2026, 3, 29, 1, 30), 60);
    struct cal c;
    render(&c, "UTC", &m, 1);
    assert_true(has_line(&c, "DTSTART:20260329T013000Z"));
    assert_true(has_line(&c, "DTEND:20260329T023000Z"));
    assert_true(has_line(&c, "X-WR-TIMEZONE:UTC"));
    assert_null(strstr(c.raw, "TZID"));
    assert_null(strstr(c.raw, "VTIMEZONE"));
    cal_free(&c);

    /* Any zone that is UTC for all time. */
    render(&c, "Etc/GMT", &m, 1);
    assert_true(has_line(&c, "DTSTART:20260329T013000Z"));
    assert_true(has_line(&c, "X-WR-TIMEZONE:Etc/GMT"));
    cal_free(&c);
}

static void test_empty_calendar(void **state)
{
    struct cal c;
    char obs[512];
    render(&c, "Europe/Berlin", NULL, 0);
    assert_int_equal(count_prefix(&c, "BEGIN:VEVENT"), 0);
    assert_true(has_line(&c, "VERSION:2.0"));
    assert_true(has_line(&c, "METHOD:PUBLISH"));
    /* The VTIMEZONE is the one component RFC 5545 asks for. */
    observances(&c, obs, sizeof obs);
    assert_string_equal(obs, "STANDARD 20251026T030000 +0200 +0100 CET|");
    assert_int_equal(count_prefix(&c, "BEGIN:VTIMEZONE"), 1);
    cal_free(&c);

    render(&c, "UTC", NULL, 0);
    assert_int_equal(count_prefix(&c, "BEGIN:VEVENT"), 0);
    assert_true(has_line(&c, "TZID:UTC"));
    observances(&c, obs, sizeof obs);
    assert_string_equal(obs, "STANDARD 19700101T000000 +0000 +0000 UTC|");
    cal_free(&c);
}

/* The gap and overlap rule of ics.h, on Europe/Berlin's 2026 changes. */
static void test_dst_gap_and_overlap(void **state)
{
    struct ics_meeting m[4] = {
        /* Starts in the gap, would end before it starts: DURATION. */
        meeting("gap", lt(2026, 3, 29, 2, 30), 30),
        /* Starts in the gap, ends after its resolved start: DTEND. */
        meeting("gap2", lt(2026, 3, 29, 2, 0), 120),
        /* Spans the gap: one real hour, written as stored. */
        meeting("span", lt(2026, 3, 29, 1, 30), 120),
        /* In the repeated hour of October. */
        meeting("twice", lt(2026, 10, 25, 2, 15), 30),
    };
    struct cal c;
    render(&c, "Europe/Berlin", m, 4);
    assert_true(has_line(&c, "DTSTART;TZID=Europe/Berlin:20260329T023000"));
    assert_true(has_line(&c, "DURATION:PT1800S"));
    assert_int_equal(count_prefix(&c, "DURATION"), 1);
    assert_int_equal(count_prefix(&c, "DTEND"), 3);
    assert_true(has_line(&c, "DTEND;TZID=Europe/Berlin:20260329T040000"));
    assert_true(has_line(&c, "DTEND;TZID=Europe/Berlin:20260329T033000"));
    assert_true(has_line(&c, "DTSTART;TZID=Europe/Berlin:20261025T021500"));
    assert_true(has_line(&c, "DTEND;TZID=Europe/Berlin:20261025T024500"));
    /* Both transitions are there for the client to apply the rule. */
    char obs[512];
    observances(&c, obs, sizeof obs);
    assert_string_equal(obs, "STANDARD 20251026T030000 +0200 +0100 CET|"
                             "DAYLIGHT 20260329T020000 +0100 +0200 CEST|"
                             "STANDARD 20261025T030000 +0200 +0100 CET|");
    cal_free(&c);
}

static void expect_refused(const char *tz, const char *event_name,
                           const struct ics_meeting *m, size_t n,
                           const char *msg)
{
    struct buf b = {0};
    struct err err = {0};
    buf_append(&b, "kept", 4);
    assert_int_equal(
        ics_render(&b, "expo26", event_name, tz, "p1", m, n, NOW, &err), -1);
    assert_int_equal(err.code, ERR_INTERNAL);
    assert_non_null(strstr(err.msg, msg));
    assert_int_equal(buf_pending(&b), 4);
    assert_memory_equal(b.p + b.off, "kept", 4);
    buf_free(&b);
}

static void test_refused_input(void **state)
{
    struct ics_meeting ok = meeting("m1", lt(2026, 6, 1, 9, 0), 30), m;
    expect_refused("Mars/Olympus", "E", &ok, 1, "unknown to ICU");
    expect_refused("Europe/Berlin;X=1", "E", &ok, 1, "timezone");
    expect_refused(NULL, "E", &ok, 1, "timezone");
    expect_refused("UTC", "bad \xff", &ok, 1, "event name");
    m = ok;
    m.end = m.start;
    expect_refused("UTC", "E", &m, 1, "meetings[0].start/end");
    m = ok;
    m.meeting_id = "m/1";
    expect_refused("UTC", "E", &m, 1, "meetings[0].meeting_id");
    m = ok;
    m.table = "";
    expect_refused("UTC", "E", &m, 1, "meetings[0].table");
    m = ok;
    m.note = "\xe0\xb8"; /* truncated Thai */
    struct ics_meeting two[2] = {ok, m};
    expect_refused("UTC", "E", two, 2, "meetings[1].note");
    m = ok;
    m.partner_company = NULL;
    expect_refused("UTC", "E", &m, 1, "partner_company");
    m = ok;
    m.start = -62135596801LL; /* before year 1 */
    expect_refused("UTC", "E", &m, 1, "start/end");
}

/* Output is appended after what the buffer already holds. */
static void test_appends(void **state)
{
    struct buf b = {0};
    struct err err = {0};
    struct ics_meeting m = meeting("m1", lt(2026, 6, 1, 9, 0), 30);
    buf_append(&b, "xyz", 3);
    buf_consume(&b, 1);
    assert_int_equal(
        ics_render(&b, "e", "E", "Asia/Tokyo", "p", &m, 1, NOW, &err), 0);
    assert_memory_equal(b.p + b.off, "yzBEGIN:VCALENDAR\r\n", 19);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_of_a_meeting),
        cmocka_unit_test(test_optional_fields),
        cmocka_unit_test(test_text_escaping),
        cmocka_unit_test(test_fold_at_exactly_75_octets),
        cmocka_unit_test(test_fold_multibyte),
        cmocka_unit_test(test_fold_keeps_escapes_whole),
        cmocka_unit_test(test_long_note_all_scripts),
        cmocka_unit_test(test_shanghai_no_dst),
        cmocka_unit_test(test_berlin_across_march_2026),
        cmocka_unit_test(test_berlin_october_and_summer),
        cmocka_unit_test(test_meetings_far_apart),
        cmocka_unit_test(test_new_york),
        cmocka_unit_test(test_half_hour_and_seconds_offsets),
        cmocka_unit_test(test_utc_times_with_z),
        cmocka_unit_test(test_empty_calendar),
        cmocka_unit_test(test_dst_gap_and_overlap),
        cmocka_unit_test(test_refused_input),
        cmocka_unit_test(test_appends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
