/* ics.c: renders agenda.ics (RFC 5545); what goes in and why is in ics.h. */
#include "ics.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/udat.h>
#include <unicode/ustring.h>
#include <unicode/uvernum.h>

#include "args.h"
#include "utf8.h"
#include "xmalloc.h"

/* ucal_getTimeZoneOffsetFromLocal, which applies the gap/overlap rule. */
#if U_ICU_VERSION_MAJOR_NUM < 69
#error "ics.c needs ICU 69 or later"
#endif

#ifndef EM_VERSION
#define EM_VERSION "unknown"
#endif

#define DAY 86400
/* 0001-01-01T00:00:00 and 9999-12-31T23:59:59: what four-digit years in
 * DATE-TIME can say. */
#define TIME_MIN (-62135596800LL)
#define TIME_MAX 253402300799LL
/* Days from 0001-01-01 to 1970-01-01. */
#define EPOCH_DAYS 719162
#define ZONE_NAME_MAX 64

/* ---- Content lines, folded as they are written ---- */

struct line {
    struct buf *out;
    size_t col; /* octets on the current physical line */
};

/* Appends n octets that must stay on one physical line: a UTF-8 sequence
 * or an escape. A continuation line starts with one space, which counts. */
static void put_unit(struct line *l, const char *s, size_t n)
{
    if (l->col + n > ICS_LINE_MAX) {
        buf_append(l->out, "\r\n ", 3);
        l->col = 1;
    }
    buf_append(l->out, s, n);
    l->col += n;
}

/* ASCII that needs no escaping: names, parameters, dates. */
static void put_raw(struct line *l, const char *s)
{
    for (; *s; s++)
        put_unit(l, s, 1);
}

static size_t seq_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* s (valid UTF-8) as a TEXT value. Any line break (CRLF, CR, LF) becomes
 * one \n; other controls are not allowed in TEXT (RFC 5545 3.3.11) and are
 * dropped, except tab. */
static void put_text(struct line *l, const char *s)
{
    while (*s) {
        unsigned char c = (unsigned char)*s;
        if (c == '\r' || c == '\n') {
            put_unit(l, "\\n", 2);
            s += c == '\r' && s[1] == '\n' ? 2 : 1;
        } else if (c == '\\' || c == ';' || c == ',') {
            char esc[2] = {'\\', (char)c};
            put_unit(l, esc, 2);
            s++;
        } else if ((c < 0x20 && c != '\t') || c == 0x7F) {
            s++;
        } else {
            size_t n = seq_len(c);
            put_unit(l, s, n);
            s += n;
        }
    }
}

static void end_line(struct line *l)
{
    buf_append(l->out, "\r\n", 2);
    l->col = 0;
}

static void prop_raw(struct line *l, const char *name, const char *value)
{
    put_raw(l, name);
    put_raw(l, ":");
    put_raw(l, value);
    end_line(l);
}

static void prop_text(struct line *l, const char *name, const char *value)
{
    put_raw(l, name);
    put_raw(l, ":");
    put_text(l, value);
    end_line(l);
}

/* ---- Dates ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static bool leap_year(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Writes v (0 <= v < 10^width) in width digits; returns the end. */
static char *put_digits(char *p, int v, int width)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + width;
}

/* "YYYYMMDDTHHMMSS" for seconds since 1970-01-01T00:00:00 (proleptic
 * Gregorian). Peels off 400-, 100-, 4- and 1-year cycles from 0001-01-01;
 * false outside years 1-9999. */
static bool fmt_time(char out[16], int64_t secs)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    if (secs < TIME_MIN || secs > TIME_MAX)
        return false;
    int64_t days = floor_div(secs, DAY), sod = secs - days * DAY;
    int64_t n = days + EPOCH_DAYS; /* >= 0 */
    int64_t y = 1 + 400 * (n / 146097);
    n %= 146097;
    int64_t c = n / 36524 < 4 ? n / 36524 : 3; /* the 400th year is leap */
    y += 100 * c;
    n -= 36524 * c;
    y += 4 * (n / 1461);
    n %= 1461;
    int64_t q = n / 365 < 4 ? n / 365 : 3; /* the 4th year is leap */
    y += q;
    n -= 365 * q;
    int m = 0;
    for (;; m++) {
        int len = mdays[m] + (m == 1 && leap_year(y));
        if (n < len)
            break;
        n -= len;
    }
    int v[6] = {(int)y,
                m + 1,
                (int)n + 1,
                (int)(sod / 3600),
                (int)(sod / 60 % 60),
                (int)(sod % 60)};
    char *p = out;
    for (int i = 0; i < 6; i++) {
        if (i == 3)
            *p++ = 'T';
        p = put_digits(p, v[i], i == 0 ? 4 : 2);
    }
    *p = '\0';
    return true;
}

/* A UTC offset as RFC 5545 writes it: +hhmm, with ss only when not 0
 * (local mean times); zero is +0000, never -0000. */
static void fmt_offset(char out[8], int32_t secs)
{
    char sign = secs < 0 ? '-' : '+';
    int32_t a = secs < 0 ? -secs : secs;
    if (a % 60)
        snprintf(out, 8, "%c%02d%02d%02d", sign, (int)(a / 3600 % 100),
                 (int)(a / 60 % 60), (int)(a % 60));
    else
        snprintf(out, 8, "%c%02d%02d", sign, (int)(a / 3600 % 100),
                 (int)(a / 60 % 60));
}

/* ---- The event's zone, through ICU ---- */

enum { NAME_EN, NAME_GMT, NAME_EN_GB, NAME_FMTS };

struct zone {
    const char *name;
    UChar uname[ZONE_NAME_MAX];
    int32_t ulen;
    UCalendar *cal;
    bool utc; /* +00:00 at all times: times are written with Z */
    UDateFormat *fmt[NAME_FMTS]; /* for TZNAME, opened when first needed */
};

static int icu_fail(struct err *err, const char *what, UErrorCode st)
{
    return err_set(err, ERR_INTERNAL, "ics: %s: %s", what, u_errorName(st));
}

static int zone_open(struct zone *z, const char *name, struct err *err)
{
    size_t len = strlen(name);
    bool shape = len >= 1 && len <= ZONE_NAME_MAX;
    for (size_t i = 0; shape && i < len; i++) {
        char c = name[i];
        shape = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '+' ||
                c == '-';
    }
    if (!shape)
        return err_set(err, ERR_INTERNAL, "ics: timezone: not a zone name");
    z->name = name;
    z->ulen = (int32_t)len;
    for (size_t i = 0; i < len; i++)
        z->uname[i] = (UChar)name[i];
    /* ICU falls back to GMT for a name it does not know, silently: ask. */
    UChar canon[128];
    UBool system = 0;
    UErrorCode st = U_ZERO_ERROR;
    ucal_getCanonicalTimeZoneID(z->uname, z->ulen, canon, 128, &system, &st);
    if (U_FAILURE(st) || !system)
        return err_set(err, ERR_INTERNAL,
                       "ics: timezone: '%s' is unknown to ICU", name);
    z->cal = ucal_open(z->uname, z->ulen, "en", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st))
        return icu_fail(err, "ucal_open", st);
    /* UTC for all time: no transition ever, offset 0. */
    UDate t;
    ucal_setMillis(z->cal, TIME_MIN * 1000.0, &st);
    bool moves = ucal_getTimeZoneTransitionDate(
        z->cal, UCAL_TZ_TRANSITION_NEXT_INCLUSIVE, &t, &st);
    int32_t off = ucal_get(z->cal, UCAL_ZONE_OFFSET, &st) +
                  ucal_get(z->cal, UCAL_DST_OFFSET, &st);
    if (U_FAILURE(st))
        return icu_fail(err, "time zone", st);
    z->utc = !moves && off == 0;
    return 0;
}

static void zone_close(struct zone *z)
{
    if (z->cal)
        ucal_close(z->cal);
    for (int i = 0; i < NAME_FMTS; i++)
        if (z->fmt[i])
            udat_close(z->fmt[i]);
}

/* Offset from UTC (seconds) and whether it is daylight time, at t (ms). */
static int offset_at(struct zone *z, UDate t, int32_t *off, bool *dst,
                     struct err *err)
{
    UErrorCode st = U_ZERO_ERROR;
    ucal_setMillis(z->cal, t, &st);
    int32_t raw = ucal_get(z->cal, UCAL_ZONE_OFFSET, &st);
    int32_t save = ucal_get(z->cal, UCAL_DST_OFFSET, &st);
    if (U_FAILURE(st))
        return icu_fail(err, "zone offset", st);
    *off = (raw + save) / 1000;
    if (dst)
        *dst = save != 0;
    return 0;
}

/* The UTC instant of a local wall-clock time, by the rule of RFC 5545
 * 3.3.5 (ics.h): in a gap and in an overlap alike, the offset in effect
 * before the transition. */
static int to_utc(struct zone *z, int64_t local, int64_t *utc, struct err *err)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t raw = 0, save = 0;
    ucal_setMillis(z->cal, local * 1000.0, &st);
    ucal_getTimeZoneOffsetFromLocal(z->cal, UCAL_TZ_LOCAL_FORMER,
                                    UCAL_TZ_LOCAL_FORMER, &raw, &save, &st);
    if (U_FAILURE(st))
        return icu_fail(err, "local time", st);
    *utc = local - (raw + save) / 1000;
    return 0;
}

/* The formatter for TZNAME candidate i. */
static UDateFormat *name_fmt(struct zone *z, int i, struct err *err)
{
    static const char *const locale[NAME_FMTS] = {"en", "en", "en_GB"};
    static const UChar pat_z[] = {'z', 0}, pat_o[] = {'O', 0};
    if (z->fmt[i])
        return z->fmt[i];
    UErrorCode st = U_ZERO_ERROR;
    z->fmt[i] = udat_open(UDAT_PATTERN, UDAT_PATTERN, locale[i], z->uname,
                          z->ulen, i == NAME_GMT ? pat_o : pat_z, -1, &st);
    if (U_FAILURE(st)) {
        z->fmt[i] = NULL;
        icu_fail(err, "udat_open", st);
    }
    return z->fmt[i];
}

static int format_name(struct zone *z, int i, UDate t, char *out, size_t cap,
                       struct err *err)
{
    UDateFormat *f = name_fmt(z, i, err);
    if (f == NULL)
        return -1;
    UChar u[64];
    UErrorCode st = U_ZERO_ERROR;
    int32_t n = udat_format(f, t, u, 64, NULL, &st);
    if (U_SUCCESS(st))
        u_strToUTF8(out, (int32_t)cap, NULL, u, n, &st);
    if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING)
        return icu_fail(err, "zone name", st);
    return 0;
}

/* What a reader would call a zone abbreviation: 2-6 capitals. ICU gives
 * its GMT form, or odd strings ("Gulf ST"), when a locale has none. */
static bool abbreviation(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (s[i] < 'A' || s[i] > 'Z')
            return false;
    return n >= 2 && n <= 6;
}

/* TZNAME at t (ms): the "en" abbreviation (US zones and a few others),
 * then "en_GB" for European zones (CET, CEST, BST, WET); else the GMT form.
 * An abbreviation equal to the GMT form ("GMT" for London) is fine too. */
static int zone_name(struct zone *z, UDate t, char out[64], struct err *err)
{
    char gmt[64], cand[64];
    if (format_name(z, NAME_GMT, t, gmt, 64, err) < 0 ||
        format_name(z, NAME_EN, t, cand, 64, err) < 0)
        return -1;
    if (!abbreviation(cand) && strncmp(z->name, "Europe/", 7) == 0 &&
        format_name(z, NAME_EN_GB, t, cand, 64, err) < 0)
        return -1;
    snprintf(out, 64, "%s", abbreviation(cand) ? cand : gmt);
    return 0;
}

/* ---- VTIMEZONE ---- */

/* UTC seconds that must be covered: a meeting, one day either side. */
struct window {
    int64_t from, to;
};

static int window_cmp(const void *a, const void *b)
{
    const struct window *x = a, *y = b;
    return (x->from > y->from) - (x->from < y->from);
}

/* One STANDARD or DAYLIGHT sub-component. onset: local time (seconds) of
 * its start, in the offset before it, as RFC 5545 3.6.5 wants. */
static int observance(struct line *l, struct zone *z, int64_t onset,
                      int32_t from, int32_t to, bool dst, UDate at,
                      struct err *err)
{
    char when[16], off_from[8], off_to[8], name[64];
    if (!fmt_time(when, onset))
        return err_set(err, ERR_INTERNAL, "ics: transition out of range");
    if (zone_name(z, at, name, err) < 0)
        return -1;
    fmt_offset(off_from, from);
    fmt_offset(off_to, to);
    const char *kind = dst ? "DAYLIGHT" : "STANDARD";
    prop_raw(l, "BEGIN", kind);
    prop_raw(l, "DTSTART", when);
    prop_raw(l, "TZOFFSETFROM", off_from);
    prop_raw(l, "TZOFFSETTO", off_to);
    prop_text(l, "TZNAME", name);
    prop_raw(l, "END", kind);
    return 0;
}

/* The sub-component for the transition at t (ms). */
static int transition(struct line *l, struct zone *z, UDate t, struct err *err)
{
    int32_t from, to;
    bool dst;
    if (offset_at(z, t - 1, &from, NULL, err) < 0 ||
        offset_at(z, t, &to, &dst, err) < 0)
        return -1;
    int64_t secs = (int64_t)(t / 1000);
    return observance(l, z, secs + from, from, to, dst, t, err);
}

/* For a zone that never changed before `from` (seconds): one observance
 * from 1970 (or the day of `from`, if earlier). */
static int fixed(struct line *l, struct zone *z, int64_t from, struct err *err)
{
    int32_t off;
    bool dst;
    if (offset_at(z, from * 1000.0, &off, &dst, err) < 0)
        return -1;
    int64_t day = floor_div(from + off, DAY) * DAY;
    int64_t onset = day < 0 ? (day < TIME_MIN ? TIME_MIN : day) : 0;
    return observance(l, z, onset, off, off, dst, from * 1000.0, err);
}

/* Covers sorted, disjoint windows: the observance in effect at each
 * window's start, then the transitions inside it, each once. */
static int vtimezone(struct line *l, struct zone *z, const struct window *w,
                     size_t nw, struct err *err)
{
    bool any = false, have_last = false;
    UDate last = 0;
    prop_raw(l, "BEGIN", "VTIMEZONE");
    prop_raw(l, "TZID", z->name);
    for (size_t i = 0; i < nw; i++) {
        UErrorCode st = U_ZERO_ERROR;
        UDate t, cur = w[i].from * 1000.0, end = w[i].to * 1000.0;
        ucal_setMillis(z->cal, cur, &st);
        bool prev = ucal_getTimeZoneTransitionDate(
            z->cal, UCAL_TZ_TRANSITION_PREVIOUS_INCLUSIVE, &t, &st);
        if (U_FAILURE(st))
            return icu_fail(err, "zone transition", st);
        if (prev && (!have_last || t > last)) {
            if (transition(l, z, t, err) < 0)
                return -1;
            last = t;
            have_last = true;
        } else if (!prev && !any && fixed(l, z, w[i].from, err) < 0) {
            return -1;
        }
        any = true;
        for (;;) {
            ucal_setMillis(z->cal, cur, &st);
            bool next = ucal_getTimeZoneTransitionDate(
                z->cal, UCAL_TZ_TRANSITION_NEXT, &t, &st);
            if (U_FAILURE(st))
                return icu_fail(err, "zone transition", st);
            if (!next || t > end)
                break;
            if (transition(l, z, t, err) < 0)
                return -1;
            last = cur = t;
            have_last = true;
        }
    }
    prop_raw(l, "END", "VTIMEZONE");
    return 0;
}

/* ---- Checks on what the caller passes ---- */

static bool good_id(const char *s)
{
    return s && args_valid_id(s, strlen(s));
}

static bool good_text(const char *s)
{
    return s && utf8_valid(s, strlen(s), NULL);
}

static int check_meeting(const struct ics_meeting *m, size_t i, struct err *err)
{
    const char *bad = NULL;
    if (!good_id(m->meeting_id))
        bad = "meeting_id";
    else if (!good_id(m->partner_id))
        bad = "partner_id";
    else if (m->table && !good_id(m->table))
        bad = "table";
    else if (m->interpreter && !good_id(m->interpreter))
        bad = "interpreter";
    else if (!good_text(m->partner_company))
        bad = "partner_company";
    else if (m->note && !good_text(m->note))
        bad = "note";
    else if (m->start < TIME_MIN || m->end > TIME_MAX || m->end <= m->start)
        bad = "start/end";
    else if (m->updated < 0 || m->updated > TIME_MAX)
        bad = "updated";
    if (bad)
        return err_set(err, ERR_INTERNAL, "ics: meetings[%zu].%s: invalid", i,
                       bad);
    return 0;
}

static int check_args(const char *event_id, const char *event_name,
                      const char *participant_id, const struct ics_meeting *m,
                      size_t n, int64_t now_utc, struct err *err)
{
    if (!good_id(event_id))
        return err_set(err, ERR_INTERNAL, "ics: event: invalid id");
    if (!good_id(participant_id))
        return err_set(err, ERR_INTERNAL, "ics: participant: invalid id");
    if (!good_text(event_name))
        return err_set(err, ERR_INTERNAL, "ics: event name: invalid UTF-8");
    if (now_utc < 0 || now_utc > TIME_MAX)
        return err_set(err, ERR_INTERNAL, "ics: now: out of range");
    if (n > 0 && m == NULL)
        return err_set(err, ERR_INTERNAL, "ics: meetings: NULL");
    for (size_t i = 0; i < n; i++)
        if (check_meeting(&m[i], i, err) < 0)
            return -1;
    return 0;
}

/* ---- VEVENT ---- */

/* DTSTART or DTEND: local with TZID, or UTC with Z. */
static void put_time(struct line *l, const char *name, struct zone *z,
                     int64_t local)
{
    char when[16];
    fmt_time(when, local); /* in range: checked */
    put_raw(l, name);
    if (!z->utc) {
        put_raw(l, ";TZID=");
        put_raw(l, z->name);
    }
    put_raw(l, ":");
    put_raw(l, when);
    if (z->utc)
        put_raw(l, "Z");
    end_line(l);
}

static void put_utc(struct line *l, const char *name, int64_t utc)
{
    char when[16];
    fmt_time(when, utc);
    put_raw(l, name);
    put_raw(l, ":");
    put_raw(l, when);
    put_raw(l, "Z");
    end_line(l);
}

/* start_utc/end_utc: the instants the client will read (ics.h). */
static void vevent(struct line *l, struct zone *z, const char *event_id,
                   const struct ics_meeting *m, int64_t start_utc,
                   int64_t end_utc, int64_t now_utc)
{
    const char *company =
        m->partner_company[0] ? m->partner_company : m->partner_id;
    prop_raw(l, "BEGIN", "VEVENT");
    put_raw(l, "UID:");
    put_raw(l, event_id);
    put_raw(l, "/");
    put_raw(l, m->meeting_id);
    put_raw(l, "@expomatch");
    end_line(l);
    put_utc(l, "DTSTAMP", now_utc);
    if (m->updated > 0)
        put_utc(l, "LAST-MODIFIED", m->updated);
    put_time(l, "DTSTART", z, m->start);
    if (end_utc > start_utc) {
        put_time(l, "DTEND", z, m->end);
    } else {
        char dur[32];
        snprintf(dur, sizeof dur, "PT%lldS", (long long)(m->end - m->start));
        prop_raw(l, "DURATION", dur);
    }
    put_raw(l, "SUMMARY:");
    put_text(l, "Meeting with ");
    put_text(l, company);
    end_line(l);
    if (m->table || m->interpreter) {
        put_raw(l, "LOCATION:");
        if (m->table) {
            put_text(l, "Table ");
            put_text(l, m->table);
        }
        if (m->interpreter) {
            put_text(l, m->table ? ", interpreter " : "Interpreter ");
            put_text(l, m->interpreter);
        }
        end_line(l);
    }
    put_raw(l, "DESCRIPTION:");
    put_text(l, "Partner: ");
    put_text(l, company);
    put_text(l, " (");
    put_text(l, m->partner_id);
    put_text(l, ")");
    if (m->note && m->note[0]) {
        put_text(l, "\n\n");
        put_text(l, m->note);
    }
    end_line(l);
    prop_raw(l, "STATUS", "CONFIRMED");
    prop_raw(l, "END", "VEVENT");
}

/* ---- The calendar ---- */

/* Resolves each meeting's instants and the windows the VTIMEZONE covers:
 * one per meeting, sorted and merged (or one around now, when none). */
static int plan(struct zone *z, const struct ics_meeting *m, size_t n,
                int64_t now_utc, int64_t *utc, struct window *w, size_t *nw,
                struct err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (z->utc) {
            utc[2 * i] = m[i].start;
            utc[2 * i + 1] = m[i].end;
        } else if (to_utc(z, m[i].start, &utc[2 * i], err) < 0 ||
                   to_utc(z, m[i].end, &utc[2 * i + 1], err) < 0) {
            return -1;
        }
        int64_t a = utc[2 * i], b = utc[2 * i + 1];
        w[i].from = (a < b ? a : b) - DAY;
        w[i].to = (a < b ? b : a) + DAY;
    }
    if (n == 0) {
        w[0].from = now_utc - DAY;
        w[0].to = now_utc + DAY;
    }
    size_t k = n ? n : 1, o = 0;
    qsort(w, k, sizeof *w, window_cmp);
    for (size_t i = 0; i < k; i++) {
        if (o > 0 && w[i].from <= w[o - 1].to) {
            if (w[i].to > w[o - 1].to)
                w[o - 1].to = w[i].to;
        } else {
            w[o++] = w[i];
        }
    }
    *nw = o;
    return 0;
}

static int render(struct line *l, struct zone *z, const char *event_id,
                  const char *event_name, const char *participant_id,
                  const struct ics_meeting *m, size_t n, int64_t now_utc,
                  struct err *err)
{
    int64_t *utc = xcalloc(2 * n + 1, sizeof *utc);
    struct window *w = xcalloc(n + 1, sizeof *w);
    size_t nw = 0;
    int rc = plan(z, m, n, now_utc, utc, w, &nw, err);
    if (rc == 0) {
        prop_raw(l, "BEGIN", "VCALENDAR");
        prop_raw(l, "VERSION", "2.0");
        prop_text(l, "PRODID", "-//expomatch//expomatch " EM_VERSION "//EN");
        prop_raw(l, "CALSCALE", "GREGORIAN");
        prop_raw(l, "METHOD", "PUBLISH");
        prop_text(l, "X-WR-CALNAME", event_name);
        put_raw(l, "X-WR-CALDESC:");
        put_text(l, "Meetings of ");
        put_text(l, participant_id);
        put_text(l, " at ");
        put_text(l, event_name);
        end_line(l);
        prop_raw(l, "X-WR-TIMEZONE", z->name);
        /* UTC needs no VTIMEZONE, unless it is the only component. */
        if (!z->utc || n == 0)
            rc = vtimezone(l, z, w, nw, err);
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        vevent(l, z, event_id, &m[i], utc[2 * i], utc[2 * i + 1], now_utc);
    if (rc == 0)
        prop_raw(l, "END", "VCALENDAR");
    free(utc);
    free(w);
    return rc;
}

int ics_render(struct buf *out, const char *event_id, const char *event_name,
               const char *zone_name, const char *participant_id,
               const struct ics_meeting *m, size_t n, int64_t now_utc,
               struct err *err)
{
    if (check_args(event_id, event_name, participant_id, m, n, now_utc, err) <
        0)
        return -1;
    if (zone_name == NULL)
        return err_set(err, ERR_INTERNAL, "ics: timezone: NULL");
    /* buf_reserve may move pending bytes to the front, never drop them. */
    size_t pending = buf_pending(out);
    struct zone z = {0};
    struct line l = {out, 0};
    int rc = zone_open(&z, zone_name, err);
    if (rc == 0)
        rc = render(&l, &z, event_id, event_name, participant_id, m, n, now_utc,
                    err);
    zone_close(&z);
    if (rc < 0)
        out->len = out->off + pending;
    return rc;
}
