/* validate_event.c: checks event.put arguments and packs the event that is
 * stored (see validate.h for the normalized form). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucal.h>

#include "args.h"
#include "tznames.h"
#include "localtime.h"
#include "validate.h"
#include "vfield.h"
#include "xmalloc.h"

enum {
    F_EVENT,
    F_NAME,
    F_SLOTS,
    F_TABLES,
    F_INTERPRETERS,
    F_MINUTES,
    F_TIMEZONE,
    F_PENDING,
    F_TTL,
    F__COUNT
};

/* ARG_ANY everywhere: the shape is checked here, with messages naming the
 * field; args_parse_map catches unknown, repeated and missing fields. */
static const struct arg_spec event_spec[F__COUNT] = {
    [F_EVENT] = {"event", ARG_ANY, ARG_REQUIRED},
    [F_NAME] = {"name", ARG_ANY, ARG_REQUIRED},
    [F_SLOTS] = {"slots", ARG_ANY, ARG_REQUIRED},
    [F_TABLES] = {"tables", ARG_ANY, ARG_REQUIRED},
    [F_INTERPRETERS] = {"interpreters", ARG_ANY, 0},
    [F_MINUTES] = {"meeting_minutes", ARG_ANY, 0},
    [F_TIMEZONE] = {"timezone", ARG_ANY, 0},
    [F_PENDING] = {"max_pending_requests", ARG_ANY, 0},
    [F_TTL] = {"request_ttl_hours", ARG_ANY, 0},
};

#define DEFAULT_MEETING_MINUTES 30
#define DEFAULT_TIMEZONE "UTC"

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* Reads n digits at s as a number; -1 if any is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* A local date-time "YYYY-MM-DDTHH:MM:SS" or "YYYY-MM-DDTHH:MM" that names a
 * real calendar date; out gets the form with seconds, *secs its wall-clock
 * seconds since 1970-01-01T00:00:00. */
static int parse_local_time(const msgpack_object *o, const char *path,
                            char out[20], int64_t *secs, struct err *err)
{
    if (vf_str(o, path, err) < 0)
        return -1;
    const char *s = o->via.str.ptr;
    size_t len = o->via.str.size;
    char t[20];
    if (len == 16 || len == 19) {
        memcpy(t, s, len);
        if (len == 16)
            memcpy(t + 16, ":00", 3);
        t[19] = '\0';
    }
    int y = -1, mo = -1, d = -1, h = -1, mi = -1, se = -1;
    if ((len == 16 || len == 19) && t[4] == '-' && t[7] == '-' &&
        t[10] == 'T' && t[13] == ':' && t[16] == ':') {
        y = digits(t, 4);
        mo = digits(t + 5, 2);
        d = digits(t + 8, 2);
        h = digits(t + 11, 2);
        mi = digits(t + 14, 2);
        se = digits(t + 17, 2);
    }
    if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || se < 0)
        return err_set(err, ERR_BAD_REQUEST,
                       "%s: a local date-time YYYY-MM-DDTHH:MM[:SS]", path);
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
        h > 23 || mi > 59 || se > 59)
        return err_set(err, ERR_BAD_REQUEST,
                       "%s: '%s' is not a real date and time (years "
                       "1970-9999)",
                       path, t);
    memcpy(out, t, 20);
    *secs = civil_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    return 0;
}

/* slots: [{id, start, end}], 1-EVENT_SLOTS_MAX, unique ids, end > start. */
static int check_slots(const msgpack_object *o, struct event_in *ev,
                       char (**times)[2][20], struct err *err)
{
    if (vf_list(o, "slots", 1, EVENT_SLOTS_MAX, err) < 0)
        return -1;
    size_t n = o->via.array.size;
    ev->slot_ids = xcalloc(n, sizeof *ev->slot_ids);
    ev->slot_start = xcalloc(n, sizeof *ev->slot_start);
    ev->slot_end = xcalloc(n, sizeof *ev->slot_end);
    ev->nslots = n;
    *times = xcalloc(n, sizeof **times);
    static const char *const keys[] = {"id", "start", "end"};
    char p[VF_PATH], f[VF_PATH];
    for (size_t i = 0; i < n; i++) {
        const msgpack_object *v[3];
        vf_index(p, "slots", i);
        if (vf_map(&o->via.array.ptr[i], p, keys, 3, v, err) < 0 ||
            vf_get_id(v[0], vf_member(f, p, "id"), ev->slot_ids[i], err) < 0 ||
            parse_local_time(v[1], vf_member(f, p, "start"), (*times)[i][0],
                             &ev->slot_start[i], err) < 0 ||
            parse_local_time(v[2], vf_member(f, p, "end"), (*times)[i][1],
                             &ev->slot_end[i], err) < 0)
            return -1;
        if (ev->slot_end[i] <= ev->slot_start[i])
            return err_set(err, ERR_BAD_REQUEST, "%s.end: must be after start",
                           p);
    }
    size_t d = vf_first_dup((const vf_id *)ev->slot_ids, n);
    if (d < n)
        return err_set(err, ERR_BAD_REQUEST, "slots[%zu].id: '%s' given twice",
                       d, ev->slot_ids[d]);
    return 0;
}

/* tables: a count 1-EVENT_TABLES_MAX, or a list of unique table names. */
static int check_tables(const msgpack_object *o, struct event_in *ev,
                        struct err *err)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
        o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        int64_t n;
        if (vf_int(o, "tables", 1, EVENT_TABLES_MAX, &n, err) < 0)
            return -1;
        ev->tables_counted = true;
        ev->ntables = (uint32_t)n;
        ev->table_ids = xcalloc((size_t)n, sizeof *ev->table_ids);
        for (int64_t i = 0; i < n; i++)
            snprintf(ev->table_ids[i], sizeof ev->table_ids[i], "%lld",
                     (long long)i + 1);
        return 0;
    }
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return err_set(err, ERR_BAD_REQUEST,
                       "tables: a count 1-%d or a list of table names (got %s)",
                       EVENT_TABLES_MAX, args_type_name(o));
    size_t n;
    if (vf_id_list(o, "tables", 1, EVENT_TABLES_MAX, &ev->table_ids, &n, err) <
        0)
        return -1;
    ev->ntables = (uint32_t)n;
    return 0;
}

/* interpreters: [{id, languages}], unique ids, at least one language. */
static int check_interpreters(const msgpack_object *o, struct event_in *ev,
                              struct err *err)
{
    if (vf_list(o, "interpreters", 0, EVENT_INTERPRETERS_MAX, err) < 0)
        return -1;
    size_t n = o->via.array.size;
    if (n == 0)
        return 0;
    ev->interpreters = xcalloc(n, sizeof *ev->interpreters);
    ev->ninterpreters = n;
    static const char *const keys[] = {"id", "languages"};
    char p[VF_PATH], f[VF_PATH];
    for (size_t i = 0; i < n; i++) {
        struct event_interpreter *it = &ev->interpreters[i];
        const msgpack_object *v[2];
        vf_index(p, "interpreters", i);
        if (vf_map(&o->via.array.ptr[i], p, keys, 2, v, err) < 0 ||
            vf_get_id(v[0], vf_member(f, p, "id"), it->id, err) < 0 ||
            vf_languages(v[1], vf_member(f, p, "languages"), 1,
                         PROFILE_LANGUAGES_MAX, &it->languages, &it->nlanguages,
                         err) < 0)
            return -1;
    }
    vf_id *ids = xmalloc(n * sizeof *ids);
    for (size_t i = 0; i < n; i++)
        memcpy(ids[i], ev->interpreters[i].id, sizeof ids[i]);
    size_t d = vf_first_dup((const vf_id *)ids, n);
    free(ids);
    if (d < n)
        return err_set(err, ERR_BAD_REQUEST,
                       "interpreters[%zu].id: '%s' given twice", d,
                       ev->interpreters[d].id);
    return 0;
}

/* An IANA zone name that ICU knows as a system zone (custom ids such as
 * "GMT+8" are refused). ICU matches names case-sensitively. */
static int check_timezone(const msgpack_object *o, char out[], struct err *err)
{
    if (vf_str(o, "timezone", err) < 0)
        return -1;
    const char *s = o->via.str.ptr;
    size_t len = o->via.str.size;
    bool shape = len >= 1 && len <= EVENT_TIMEZONE_MAX;
    for (size_t i = 0; shape && i < len; i++) {
        char c = s[i];
        shape = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '+' ||
                c == '-';
    }
    if (!shape)
        return err_set(err, ERR_BAD_REQUEST,
                       "timezone: an IANA time zone name such as "
                       "Asia/Shanghai");
    UChar id[EVENT_TIMEZONE_MAX], canon[128];
    for (size_t i = 0; i < len; i++)
        id[i] = (UChar)s[i];
    UBool system = 0;
    UErrorCode status = U_ZERO_ERROR;
    ucal_getCanonicalTimeZoneID(id, (int32_t)len, canon, 128, &system, &status);
    /* ICU also knows aliases that are not IANA names ("PST"). */
    if (U_FAILURE(status) || !system || !tz_name_is_iana(s, len))
        return err_set(err, ERR_BAD_REQUEST,
                       "timezone: '%.*s' is not a known IANA time zone",
                       (int)len, s);
    memcpy(out, s, len);
    out[len] = '\0';
    return 0;
}

static void pack_event(struct event_in *ev, const msgpack_object *name,
                       char (*times)[2][20])
{
    msgpack_packer pk;
    msgpack_sbuffer_init(&ev->packed);
    msgpack_packer_init(&pk, &ev->packed, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 7 + (ev->max_pending_requests > 0) +
                              (ev->request_ttl_hours > 0));
    vf_pack_cstr(&pk, "event");
    vf_pack_cstr(&pk, ev->id);
    vf_pack_cstr(&pk, "name");
    vf_pack_obj_str(&pk, name);
    vf_pack_cstr(&pk, "slots");
    msgpack_pack_array(&pk, ev->nslots);
    for (size_t i = 0; i < ev->nslots; i++) {
        msgpack_pack_map(&pk, 3);
        vf_pack_cstr(&pk, "id");
        vf_pack_cstr(&pk, ev->slot_ids[i]);
        vf_pack_cstr(&pk, "start");
        vf_pack_cstr(&pk, times[i][0]);
        vf_pack_cstr(&pk, "end");
        vf_pack_cstr(&pk, times[i][1]);
    }
    vf_pack_cstr(&pk, "tables");
    if (ev->tables_counted) {
        msgpack_pack_uint32(&pk, ev->ntables);
    } else {
        msgpack_pack_array(&pk, ev->ntables);
        for (uint32_t i = 0; i < ev->ntables; i++)
            vf_pack_cstr(&pk, ev->table_ids[i]);
    }
    vf_pack_cstr(&pk, "interpreters");
    msgpack_pack_array(&pk, ev->ninterpreters);
    for (size_t i = 0; i < ev->ninterpreters; i++) {
        const struct event_interpreter *it = &ev->interpreters[i];
        msgpack_pack_map(&pk, 2);
        vf_pack_cstr(&pk, "id");
        vf_pack_cstr(&pk, it->id);
        vf_pack_cstr(&pk, "languages");
        msgpack_pack_array(&pk, it->nlanguages);
        for (size_t j = 0; j < it->nlanguages; j++)
            vf_pack_cstr(&pk, it->languages[j]);
    }
    vf_pack_cstr(&pk, "meeting_minutes");
    msgpack_pack_uint32(&pk, ev->meeting_minutes);
    vf_pack_cstr(&pk, "timezone");
    vf_pack_cstr(&pk, ev->timezone);
    if (ev->max_pending_requests > 0) {
        vf_pack_cstr(&pk, "max_pending_requests");
        msgpack_pack_int64(&pk, ev->max_pending_requests);
    }
    if (ev->request_ttl_hours > 0) {
        vf_pack_cstr(&pk, "request_ttl_hours");
        msgpack_pack_int64(&pk, ev->request_ttl_hours);
    }
}

/* Every check in field order, so the first bad field is the one named. */
static int check_event(const msgpack_object *args, struct event_in *ev,
                       char (**times)[2][20], struct err *err)
{
    const msgpack_object *f[F__COUNT];
    if (args_parse_map(args, event_spec, F__COUNT, f, err) < 0)
        return -1;
    if (vf_get_id(f[F_EVENT], "event", ev->id, err) < 0 ||
        vf_text(f[F_NAME], "name", 1, EVENT_NAME_MAX, err) < 0 ||
        check_slots(f[F_SLOTS], ev, times, err) < 0)
        return -1;
    if (vf_absent(f[F_TABLES]))
        return err_set(err, ERR_BAD_REQUEST,
                       "tables: a count 1-%d or a list of table names (got "
                       "nil)",
                       EVENT_TABLES_MAX);
    if (check_tables(f[F_TABLES], ev, err) < 0)
        return -1;
    if (!vf_absent(f[F_INTERPRETERS]) &&
        check_interpreters(f[F_INTERPRETERS], ev, err) < 0)
        return -1;
    int64_t v = DEFAULT_MEETING_MINUTES;
    if (!vf_absent(f[F_MINUTES]) &&
        vf_int(f[F_MINUTES], "meeting_minutes", 1, EVENT_MEETING_MINUTES_MAX,
               &v, err) < 0)
        return -1;
    ev->meeting_minutes = (uint32_t)v;
    snprintf(ev->timezone, sizeof ev->timezone, "%s", DEFAULT_TIMEZONE);
    if (!vf_absent(f[F_TIMEZONE]) &&
        check_timezone(f[F_TIMEZONE], ev->timezone, err) < 0)
        return -1;
    if (!vf_absent(f[F_PENDING]) &&
        vf_int(f[F_PENDING], "max_pending_requests", 1, EVENT_MAX_PENDING_MAX,
               &ev->max_pending_requests, err) < 0)
        return -1;
    if (!vf_absent(f[F_TTL]) &&
        vf_int(f[F_TTL], "request_ttl_hours", 1, EVENT_TTL_HOURS_MAX,
               &ev->request_ttl_hours, err) < 0)
        return -1;
    pack_event(ev, f[F_NAME], *times);
    return 0;
}

int validate_event(const msgpack_object *args, struct event_in *out,
                   struct err *err)
{
    memset(out, 0, sizeof *out);
    msgpack_sbuffer_init(&out->packed);
    char(*times)[2][20] = NULL;
    int rc = check_event(args, out, &times, err);
    free(times);
    if (rc < 0)
        event_in_free(out);
    return rc;
}

void event_in_free(struct event_in *ev)
{
    msgpack_sbuffer_destroy(&ev->packed);
    free(ev->slot_ids);
    free(ev->slot_start);
    free(ev->slot_end);
    free(ev->table_ids);
    for (size_t i = 0; i < ev->ninterpreters; i++)
        free(ev->interpreters[i].languages);
    free(ev->interpreters);
    memset(ev, 0, sizeof *ev);
    msgpack_sbuffer_init(&ev->packed);
}
