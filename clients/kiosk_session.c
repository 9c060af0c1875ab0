/* kiosk_session.c: the kiosk's calls to expomatchd and what it keeps of
 * their replies (see kiosk_session.h). */
#include "kiosk_session.h"
#include "kiosk_text.h"
#include "pack.h"
#include "reply.h"
#include "xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest text kept from a reply field (a company is at most 200 code
 * points, a note 1000); longer is cut at a character boundary. */
#define FIELD_MAX 4096

/* ---- reading replies: every access checks the type ---- */

/* A copy of a str object (bounded; a NUL inside ends it), or NULL when o
 * is not a str. */
static char *str_dup(const msgpack_object *o)
{
    if (o == NULL || o->type != MSGPACK_OBJECT_STR)
        return NULL;
    size_t n = o->via.str.size;
    const char *p = o->via.str.ptr;
    const char *nul = memchr(p, '\0', n);
    if (nul != NULL)
        n = (size_t)(nul - p);
    char *tmp = xstrndup(p, n);
    if (n < FIELD_MAX)
        return tmp;
    char *out = xmalloc(FIELD_MAX);
    kiosk_text_copy(out, FIELD_MAX, tmp);
    free(tmp);
    return out;
}

static char *field_str(const msgpack_object *map, const char *key)
{
    return str_dup(emc_map_get(map, key));
}

/* Whether a str field equals s. */
static bool field_is(const msgpack_object *map, const char *key, const char *s)
{
    const msgpack_object *o = emc_map_get(map, key);
    return o != NULL && o->type == MSGPACK_OBJECT_STR &&
           o->via.str.size == strlen(s) &&
           memcmp(o->via.str.ptr, s, o->via.str.size) == 0;
}

/* The array at key, or NULL. */
static const msgpack_object_array *field_array(const msgpack_object *map,
                                               const char *key)
{
    const msgpack_object *o = emc_map_get(map, key);
    return o != NULL && o->type == MSGPACK_OBJECT_ARRAY ? &o->via.array : NULL;
}

static double num(const msgpack_object *o)
{
    if (o == NULL)
        return 0;
    switch (o->type) {
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return o->via.f64;
    case MSGPACK_OBJECT_POSITIVE_INTEGER: return (double)o->via.u64;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return (double)o->via.i64;
    default: return 0;
    }
}

/* ---- packing arguments ---- */

/* A map of named arguments being packed. It may hold a badge secret, so
 * it is wiped when done. */
struct args {
    msgpack_sbuffer sb;
    msgpack_packer pk;
};

static void args_begin(struct args *a, uint32_t n)
{
    msgpack_sbuffer_init(&a->sb);
    msgpack_packer_init(&a->pk, &a->sb, msgpack_sbuffer_write);
    msgpack_pack_map(&a->pk, n);
}

static void args_str(struct args *a, const char *key, const char *val)
{
    emc_pack_cstr(&a->pk, key);
    emc_pack_cstr(&a->pk, val);
}

static void args_bool(struct args *a, const char *key, bool val)
{
    emc_pack_cstr(&a->pk, key);
    if (val)
        msgpack_pack_true(&a->pk);
    else
        msgpack_pack_false(&a->pk);
}

static void args_end(struct args *a)
{
    if (a->sb.data != NULL)
        explicit_bzero(a->sb.data, a->sb.size);
    msgpack_sbuffer_destroy(&a->sb);
}

/* ---- the connection ---- */

static enum kiosk_outcome outcome_of(const char *code)
{
    if (strcmp(code, "forbidden") == 0 || strcmp(code, "not_found") == 0)
        return KIOSK_BAD_BADGE;
    if (strcmp(code, "rate_limited") == 0)
        return KIOSK_LOCKED;
    if (strcmp(code, "unauthorized") == 0)
        return KIOSK_REFUSED;
    if (strcmp(code, "conflict") == 0)
        return KIOSK_CONFLICT;
    if (strcmp(code, "unavailable") == 0 || strcmp(code, "internal") == 0)
        return KIOSK_UNAVAILABLE;
    return KIOSK_FAILED;
}

void kiosk_client_close(struct kiosk_client *k, bool forget)
{
    emc_close(k->c);
    k->c = NULL;
    if (!forget)
        return;
    free(k->event_name);
    k->event_name = NULL;
    for (size_t i = 0; i < k->nslots; i++) {
        free(k->slots[i].id);
        free(k->slots[i].start);
        free(k->slots[i].end);
    }
    free(k->slots);
    k->slots = NULL;
    k->nslots = 0;
}

/* Checks the auth reply {role, events}: a kiosk token, in scope of the
 * event asked for (or of exactly one, which becomes the event). */
static enum kiosk_outcome check_auth(struct kiosk_client *k,
                                     const msgpack_object *res)
{
    if (!field_is(res, "role", "kiosk")) {
        snprintf(k->errstr, sizeof k->errstr, "not a kiosk token");
        return KIOSK_REFUSED;
    }
    const msgpack_object_array *evs = field_array(res, "events");
    const char *want = k->cfg->event != NULL ? k->cfg->event : k->event;
    const msgpack_object *only = NULL;
    size_t nvalid = 0;
    for (size_t i = 0; evs != NULL && i < evs->size; i++) {
        const msgpack_object *e = &evs->ptr[i];
        if (e->type != MSGPACK_OBJECT_STR ||
            !kiosk_scan_valid_id(e->via.str.ptr, e->via.str.size))
            continue;
        nvalid++;
        only = e;
        if (want[0] != '\0' && e->via.str.size == strlen(want) &&
            memcmp(e->via.str.ptr, want, e->via.str.size) == 0) {
            snprintf(k->event, sizeof k->event, "%s", want);
            return KIOSK_OK;
        }
    }
    if (want[0] == '\0' && nvalid == 1) {
        memcpy(k->event, only->via.str.ptr, only->via.str.size);
        k->event[only->via.str.size] = '\0';
        return KIOSK_OK;
    }
    if (want[0] != '\0')
        snprintf(k->errstr, sizeof k->errstr, "the token is not for event %s",
                 want);
    else
        snprintf(k->errstr, sizeof k->errstr,
                 "the token is not for one event: give --event");
    return KIOSK_REFUSED;
}

/* Keeps the event's name and slots (for the times of meet-now slots). */
static void keep_event(struct kiosk_client *k, const msgpack_object *ev)
{
    k->event_name = field_str(ev, "name");
    const msgpack_object_array *slots = field_array(ev, "slots");
    if (slots == NULL)
        return;
    size_t n = slots->size < KIOSK_MAX_SLOTS ? slots->size : KIOSK_MAX_SLOTS;
    k->slots = xcalloc(n + 1, sizeof *k->slots);
    for (size_t i = 0; i < n; i++) {
        struct kiosk_slot *s = &k->slots[k->nslots];
        s->id = field_str(&slots->ptr[i], "id");
        if (s->id == NULL)
            continue;
        s->start = field_str(&slots->ptr[i], "start");
        s->end = field_str(&slots->ptr[i], "end");
        k->nslots++;
    }
}

enum kiosk_outcome kiosk_client_open(struct kiosk_client *k)
{
    if (k->c != NULL)
        return KIOSK_OK;
    const struct kiosk_config *cfg = k->cfg;
    char errbuf[256];
    k->c = cfg->socket != NULL
               ? emc_connect_unix(cfg->socket, cfg->call_timeout_ms, errbuf,
                                  sizeof errbuf)
           : cfg->tls
               ? emc_connect_tls(cfg->host, cfg->port, cfg->call_timeout_ms,
                                 &cfg->tls_opts, errbuf, sizeof errbuf)
               : emc_connect_tcp(cfg->host, cfg->port, cfg->call_timeout_ms,
                                 errbuf, sizeof errbuf);
    if (k->c == NULL) {
        snprintf(k->errstr, sizeof k->errstr, "%s", errbuf);
        return KIOSK_UNAVAILABLE;
    }
    /* Kiosk replies are small; a few MiB is plenty. */
    emc_set_limits(k->c, 8u << 20, 32);
    struct emc_result res = {0};
    struct emc_error err;
    enum kiosk_outcome out;
    switch (emc_auth(k->c, cfg->token, &res, &err)) {
    case EMC_OK:
        out = check_auth(k, &res.obj);
        emc_result_free(&res);
        break;
    case EMC_REPLY_ERROR:
        snprintf(k->errstr, sizeof k->errstr, "auth: %s: %s", err.code,
                 err.message);
        out = strcmp(err.code, "unavailable") == 0 ? KIOSK_UNAVAILABLE
                                                   : KIOSK_REFUSED;
        break;
    default:
        snprintf(k->errstr, sizeof k->errstr, "auth: %s", emc_errstr(k->c));
        out = KIOSK_UNAVAILABLE;
    }
    if (out != KIOSK_OK) {
        kiosk_client_close(k, false);
        return out;
    }
    if (k->event_name != NULL || k->nslots > 0)
        return KIOSK_OK;
    /* The event's name and slots are a nicety: without them the kiosk
     * still works, showing slot ids. */
    struct args a;
    args_begin(&a, 1);
    args_str(&a, "event", k->event);
    enum emc_status st =
        emc_call_packed(k->c, "event.get", a.sb.data, a.sb.size, &res, &err);
    args_end(&a);
    if (st == EMC_OK) {
        keep_event(k, &res.obj);
        emc_result_free(&res);
    } else if (st == EMC_FAILED) {
        snprintf(k->errstr, sizeof k->errstr, "event.get: %s",
                 emc_errstr(k->c));
        kiosk_client_close(k, false);
        return KIOSK_UNAVAILABLE;
    }
    return KIOSK_OK;
}

/* Calls method with a's arguments. A read (retry) on a connection made
 * before this call is tried once more on a new connection when the old
 * one turns out dead (the server may have closed an idle kiosk). */
static enum kiosk_outcome call(struct kiosk_client *k, const char *method,
                               const struct args *a, struct emc_result *res,
                               bool retry)
{
    bool reused = k->c != NULL;
    enum kiosk_outcome out = kiosk_client_open(k);
    if (out != KIOSK_OK)
        return out;
    struct emc_error err;
    enum emc_status st =
        emc_call_packed(k->c, method, a->sb.data, a->sb.size, res, &err);
    if (st == EMC_FAILED && retry && reused) {
        kiosk_client_close(k, false);
        if ((out = kiosk_client_open(k)) != KIOSK_OK)
            return out;
        st = emc_call_packed(k->c, method, a->sb.data, a->sb.size, res, &err);
    }
    if (st == EMC_FAILED) {
        snprintf(k->errstr, sizeof k->errstr, "%s: %s", method,
                 emc_errstr(k->c));
        kiosk_client_close(k, false);
        return KIOSK_UNAVAILABLE;
    }
    if (st == EMC_REPLY_ERROR) {
        /* The message is for staff; it names ids at most, never secrets. */
        snprintf(k->errstr, sizeof k->errstr, "%s: %s: %s", method, err.code,
                 err.message);
        out = outcome_of(err.code);
        if (out == KIOSK_REFUSED)
            kiosk_client_close(k, false);
        return out;
    }
    return KIOSK_OK;
}

/* Calls a read of the badge's participant: {event, <idkey>: id, badge}. */
static enum kiosk_outcome call_badge(struct kiosk_client *k, const char *method,
                                     const struct kiosk_badge *b,
                                     struct emc_result *res)
{
    struct args a;
    args_begin(&a, 3);
    args_str(&a, "event", b->event);
    args_str(&a, "id", b->id);
    args_str(&a, "badge", b->secret);
    enum kiosk_outcome out = call(k, method, &a, res, true);
    args_end(&a);
    return out;
}

/* ---- the participant ---- */

static void meeting_free(struct kiosk_meeting *m)
{
    free(m->meeting);
    free(m->status);
    free(m->start);
    free(m->end);
    free(m->table);
    free(m->interpreter);
    free(m->partner);
    memset(m, 0, sizeof *m);
}

static void request_free(struct kiosk_request *r)
{
    free(r->meeting);
    free(r->from);
    free(r->company);
    free(r->note);
    free(r->start);
    free(r->table);
    memset(r, 0, sizeof *r);
}

static void agenda_free(struct kiosk_person *p)
{
    for (size_t i = 0; i < p->nagenda; i++)
        meeting_free(&p->agenda[i]);
    p->nagenda = 0;
}

void kiosk_person_clear(struct kiosk_person *p)
{
    kiosk_badge_clear(&p->badge);
    free(p->company);
    for (size_t i = 0; i < p->nlanguages; i++)
        free(p->languages[i]);
    agenda_free(p);
    for (size_t i = 0; i < p->nrequests; i++)
        request_free(&p->requests[i]);
    for (size_t i = 0; i < p->nsuggestions; i++) {
        struct kiosk_suggestion *s = &p->suggestions[i];
        free(s->id);
        free(s->company);
        free(s->slot);
        free(s->table);
        free(s->start);
    }
    memset(p, 0, sizeof *p);
}

/* Keeps the agenda entries of arr: meetings with partner {id, company}. */
static void keep_agenda(struct kiosk_person *p, const msgpack_object_array *arr)
{
    agenda_free(p);
    for (size_t i = 0; arr != NULL && i < arr->size; i++) {
        if (p->nagenda == KIOSK_MAX_AGENDA)
            break;
        const msgpack_object *e = &arr->ptr[i];
        if (e->type != MSGPACK_OBJECT_MAP)
            continue;
        struct kiosk_meeting *m = &p->agenda[p->nagenda];
        m->meeting = field_str(e, "meeting");
        m->status = field_str(e, "status");
        m->start = field_str(e, "start");
        m->end = field_str(e, "end");
        m->table = field_str(e, "table");
        m->interpreter = field_str(e, "interpreter");
        const msgpack_object *partner = emc_map_get(e, "partner");
        m->partner = field_str(partner, "company");
        if (m->partner == NULL)
            m->partner = field_str(partner, "id");
        p->nagenda++;
    }
}

static const struct kiosk_slot *find_slot(const struct kiosk_client *k,
                                          const char *id)
{
    for (size_t i = 0; id != NULL && i < k->nslots; i++)
        if (strcmp(k->slots[i].id, id) == 0)
            return &k->slots[i];
    return NULL;
}

static void keep_suggestions(struct kiosk_client *k, struct kiosk_person *p,
                             const msgpack_object_array *arr)
{
    for (size_t i = 0; arr != NULL && i < arr->size; i++) {
        if (p->nsuggestions == KIOSK_MAX_SUGGESTIONS)
            break;
        const msgpack_object *e = &arr->ptr[i];
        char *company = field_str(e, "company");
        if (company == NULL)
            continue;
        struct kiosk_suggestion *s = &p->suggestions[p->nsuggestions++];
        s->company = company;
        s->id = field_str(e, "id");
        s->slot = field_str(e, "slot");
        s->table = field_str(e, "table");
        s->score = num(emc_map_get(e, "score"));
        const struct kiosk_slot *slot = find_slot(k, s->slot);
        if (slot != NULL && slot->start != NULL)
            s->start = xstrdup(slot->start);
    }
}

/* The requester's company, read as the badge holder sees it (so the
 * contract's rules apply); only the company is kept. */
static enum kiosk_outcome read_company(struct kiosk_client *k,
                                       const struct kiosk_badge *b,
                                       struct kiosk_request *r)
{
    struct args a;
    args_begin(&a, 4);
    args_str(&a, "event", b->event);
    args_str(&a, "id", r->from);
    args_str(&a, "viewer", b->id);
    args_str(&a, "badge", b->secret);
    struct emc_result res = {0};
    enum kiosk_outcome out = call(k, "profile.get", &a, &res, true);
    args_end(&a);
    if (out == KIOSK_OK) {
        r->company = field_str(&res.obj, "company");
        emc_result_free(&res);
    }
    return out;
}

static enum kiosk_outcome load_inbox(struct kiosk_client *k,
                                     struct kiosk_person *p)
{
    struct emc_result res = {0};
    enum kiosk_outcome out = call_badge(k, "meeting.inbox", &p->badge, &res);
    if (out != KIOSK_OK)
        return out;
    const msgpack_object_array *in = field_array(&res.obj, "incoming");
    const msgpack_object_array *sent = field_array(&res.obj, "outgoing");
    p->noutgoing = sent != NULL ? sent->size : 0;
    for (size_t i = 0; in != NULL && i < in->size; i++) {
        if (p->nrequests == KIOSK_MAX_REQUESTS)
            break;
        const msgpack_object *e = &in->ptr[i];
        char *meeting = field_str(e, "meeting"), *from = field_str(e, "from");
        if (meeting == NULL || from == NULL ||
            !kiosk_scan_valid_id(from, strlen(from))) {
            free(meeting);
            free(from);
            continue;
        }
        struct kiosk_request *r = &p->requests[p->nrequests++];
        r->meeting = meeting;
        r->from = from;
        r->note = field_str(e, "note");
    }
    emc_result_free(&res);
    for (size_t i = 0; i < p->nrequests; i++) {
        out = read_company(k, &p->badge, &p->requests[i]);
        /* A requester deleted meanwhile shows by its id. */
        if (out != KIOSK_OK && out != KIOSK_BAD_BADGE)
            return out;
    }
    return KIOSK_OK;
}

enum kiosk_outcome kiosk_person_load(struct kiosk_client *k,
                                     const struct kiosk_badge *badge,
                                     struct kiosk_person *p)
{
    kiosk_person_clear(p);
    p->badge = *badge;

    /* The profile first: it is a read, so a wrong badge changes nothing. */
    struct emc_result res = {0};
    struct args a;
    args_begin(&a, 3);
    args_str(&a, "event", badge->event);
    args_str(&a, "id", badge->id);
    args_str(&a, "badge", badge->secret);
    enum kiosk_outcome out = call(k, "profile.get", &a, &res, true);
    args_end(&a);
    if (out != KIOSK_OK)
        return out;
    p->company = field_str(&res.obj, "company");
    const msgpack_object_array *langs = field_array(&res.obj, "languages");
    for (size_t i = 0; langs != NULL && i < langs->size; i++) {
        if (p->nlanguages == KIOSK_MAX_LANGUAGES)
            break;
        char *l = str_dup(&langs->ptr[i]);
        if (l != NULL)
            p->languages[p->nlanguages++] = l;
    }
    emc_result_free(&res);

    if ((out = call_badge(k, "checkin", badge, &res)) != KIOSK_OK)
        return out;
    keep_agenda(p, field_array(&res.obj, "agenda"));
    keep_suggestions(k, p, field_array(&res.obj, "meet_now"));
    emc_result_free(&res);

    return load_inbox(k, p);
}

enum kiosk_outcome kiosk_person_respond(struct kiosk_client *k,
                                        struct kiosk_person *p, size_t i,
                                        bool accept)
{
    if (i >= p->nrequests || p->requests[i].answer != KIOSK_OPEN)
        return KIOSK_CONFLICT;
    struct kiosk_request *r = &p->requests[i];
    struct args a;
    args_begin(&a, 4);
    args_str(&a, "event", p->badge.event);
    args_str(&a, "meeting", r->meeting);
    args_bool(&a, "accept", accept);
    args_str(&a, "badge", p->badge.secret);
    struct emc_result res = {0};
    /* Not retried: an answer is not a read. */
    enum kiosk_outcome out = call(k, "meeting.respond", &a, &res, false);
    args_end(&a);
    if (out == KIOSK_CONFLICT)
        r->answer = KIOSK_GONE;
    if (out != KIOSK_OK)
        return out;
    if (field_is(&res.obj, "status", "scheduled")) {
        r->answer = KIOSK_SCHEDULED;
        r->start = field_str(&res.obj, "start");
        r->table = field_str(&res.obj, "table");
    } else if (field_is(&res.obj, "status", "accepted")) {
        r->answer = KIOSK_ACCEPTED;
    } else if (field_is(&res.obj, "status", "declined")) {
        r->answer = KIOSK_DECLINED;
    } else {
        r->answer = KIOSK_GONE;
    }
    emc_result_free(&res);
    if (!accept)
        return KIOSK_OK;
    /* The new meeting belongs in the agenda. */
    if (call_badge(k, "agenda.get", &p->badge, &res) == KIOSK_OK) {
        if (res.obj.type == MSGPACK_OBJECT_ARRAY)
            keep_agenda(p, &res.obj.via.array);
        emc_result_free(&res);
    }
    return KIOSK_OK;
}
