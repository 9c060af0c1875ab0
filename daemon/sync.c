/* sync.c: applies Redis changes to the matching engine (see sync.h). */
#include "sync.h"

#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "log.h"
#include "match.h"
#include "meeting_pack.h"
#include "notify.h"
#include "state.h"
#include "xmalloc.h"

static struct store *link;

void sync_init(struct store *st)
{
    link = st;
}

/* Look-ups travel on their own link, so this daemon's own write and a
 * look-up of the same profile or event can be answered in either order against
 * the order Redis ran them in: a read made before a delete would bring
 * the profile back, and a write confirmed after a newer read would undo
 * it. Each side counts what it applied, per bucket, in `local_writes` and
 * `lookups`; one that sees the other's count change while it was in
 * flight reads the profile again. `in_flight` counts look-ups not yet
 * answered. Buckets, not ids, keep this to a fixed 48 KB: a collision
 * costs one extra read, nothing more. */
#define BUCKETS 4096
static uint32_t local_writes[BUCKETS], lookups[BUCKETS], in_flight[BUCKETS];

/* id NULL: the event itself (profile ids are never empty). */
static uint32_t bucket_of(const char *event, const char *id)
{
    uint32_t h = 2166136261u; /* FNV-1a over "event\0id" */
    for (const char *s = event;; s++) {
        h = (h ^ (unsigned char)*s) * 16777619u;
        if (*s == '\0')
            break;
    }
    for (const char *s = id ? id : ""; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % BUCKETS;
}

uint32_t sync_write_sent(const char *event, const char *id)
{
    return lookups[bucket_of(event, id)];
}

void sync_write_applied(const char *event, const char *id, uint32_t sent)
{
    uint32_t b = bucket_of(event, id);
    local_writes[b]++;
    if (lookups[b] == sent)
        return;
    if (id)
        sync_fetch_profile(event, id);
    else
        sync_fetch_event(event);
}

struct fetch {
    char event[65];
    char id[65];
    uint32_t seen; /* its bucket's count when it was sent */
};

/* A look-up nothing local overtook answers with the newest state: every
 * write applied before it was sent had reached Redis by then, and the
 * link answers in order. So it is applied even over a higher version,
 * which a profile deleted and put again restarts from 1. */
static void apply_profile(const struct fetch *f, const redisReply *v,
                          const redisReply *data)
{
    lookups[bucket_of(f->event, f->id)]++;
    if (data->type != REDIS_REPLY_STRING) {
        match_profile_delete(f->event, f->id);
        return;
    }
    if (v->type != REDIS_REPLY_STRING)
        return;
    long long version = atoll(v->str);
    if (match_profile_version(f->event, f->id) > version)
        match_profile_delete(f->event, f->id);
    struct err e;
    if (match_profile_put(f->event, f->id, version, data->str, data->len, &e) <
        0)
        log_warn("sync: %s", e.msg);
}

static void on_profile(void *priv, const redisReply *reply,
                       const struct err *err)
{
    struct fetch *f = priv;
    in_flight[bucket_of(f->event, f->id)]--;
    if (err) {
        /* The link is down: the rebuild after reconnecting is not done
         * (state lives on); the next change of this profile heals it. */
        log_warn("sync: cannot read participant '%s' of '%s': %s", f->id,
                 f->event, err->msg);
    } else if (local_writes[bucket_of(f->event, f->id)] != f->seen) {
        sync_fetch_profile(f->event, f->id);
    } else if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2) {
        apply_profile(f, reply->element[0], reply->element[1]);
    }
    free(f);
}

void sync_fetch_profile(const char *event, const char *id)
{
    struct fetch *f = xcalloc(1, sizeof *f);
    snprintf(f->event, sizeof f->event, "%s", event);
    snprintf(f->id, sizeof f->id, "%s", id);
    uint32_t b = bucket_of(event, id);
    f->seen = local_writes[b];
    in_flight[b]++;
    char k[KEY_MAX];
    store_command(link, on_profile, f, "HMGET %s v data",
                  key_fmt(k, event, "p", id));
}

static void on_event(void *priv, const redisReply *reply, const struct err *err)
{
    struct fetch *f = priv;
    uint32_t b = bucket_of(f->event, NULL);
    if (err) {
        log_warn("sync: cannot read event '%s': %s", f->event, err->msg);
    } else if (local_writes[b] != f->seen) {
        sync_fetch_event(f->event);
    } else if (reply->type == REDIS_REPLY_STRING) {
        lookups[b]++;
        struct err e;
        if (match_event_put(f->event, reply->str, reply->len, &e) < 0)
            log_warn("sync: %s", e.msg);
    }
    free(f);
}

void sync_fetch_event(const char *event)
{
    struct fetch *f = xcalloc(1, sizeof *f);
    snprintf(f->event, sizeof f->event, "%s", event);
    f->seen = local_writes[bucket_of(event, NULL)];
    char k[KEY_MAX];
    store_command(link, on_event, f, "HGET %s data",
                  key_fmt(k, event, "event", NULL));
}

struct meeting_fetch {
    char event[65];
    long long v; /* the change being told */
};

static void on_meeting(void *priv, const redisReply *reply,
                       const struct err *err)
{
    struct meeting_fetch *f = priv;
    if (err) {
        log_warn("sync: cannot read a meeting of '%s': %s", f->event, err->msg);
    } else if (meeting_reply_ok(reply)) {
        /* Told once, in its latest form: when it has changed again since,
         * that later change's entry notifies. */
        const redisReply *v = meeting_field(reply, "v");
        if (v && atoll(v->str) == f->v)
            notify_meeting_update(f->event, reply);
    }
    free(f);
}

/* extra: "<from> <its requests received> <its meetings booked> <to> <its
 * ...> <its ...>". The loads go to the engine; the meeting itself is read
 * only when someone here listens. */
static void meeting_changed(const char *event, const char *id, long long v,
                            const char *extra)
{
    char from[65], to[65];
    unsigned pf, bf, pt, bt;
    if (extra == NULL || sscanf(extra, "%64s %u %u %64s %u %u", from, &pf, &bf,
                                to, &pt, &bt) != 6)
        return;
    match_set_load(event, from, pf, bf);
    match_set_load(event, to, pt, bt);
    if (!notify_meeting_heard(event, from, to))
        return;
    struct meeting_fetch *f = xcalloc(1, sizeof *f);
    snprintf(f->event, sizeof f->event, "%s", event);
    f->v = v;
    char k[KEY_MAX];
    store_command(link, on_meeting, f, "FCALL em_meeting_get 1 %s %s",
                  key_fmt(k, event, "", NULL), id);
}

void sync_change(const char *event, const char *kind, const char *id,
                 long long version, const char *extra)
{
    if (strcmp(kind, "meeting.update") == 0) {
        meeting_changed(event, id, version, extra);
        return;
    }
    if (strcmp(kind, "checkin") == 0) {
        notify_checkin(event, id);
        return;
    }
    if (strcmp(kind, "profile.put") == 0) {
        /* Our own writes are applied already: no look-up for them. Any
         * other version may be an earlier life of the profile (versions
         * restart after a delete), and while a look-up is on its way, as
         * one is after a delete entry, the engine is not settled. */
        if (match_profile_version(event, id) != version ||
            in_flight[bucket_of(event, id)] > 0)
            sync_fetch_profile(event, id);
    } else if (strcmp(kind, "profile.delete") == 0) {
        /* Read rather than delete: the id may have been put again since
         * (a late entry must not remove the newer profile). */
        sync_fetch_profile(event, id);
    } else if (strcmp(kind, "event.put") == 0) {
        sync_fetch_event(event);
    } else if (strcmp(kind, "event.new") == 0) {
        state_load_event(link, event);
    }
}
