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
#include "sync_order.h"
#include "xmalloc.h"

static struct store *link;

void sync_init(struct store *st)
{
    link = st;
}

uint32_t sync_write_sent(const char *event, const char *id)
{
    return order_write_sent(key_hash(event, id));
}

void sync_write_applied(const char *event, const char *id, uint32_t sent)
{
    if (!order_write_applied(key_hash(event, id), sent))
        return;
    if (id)
        sync_fetch_profile(event, id);
    else
        sync_fetch_event(event);
}

struct fetch {
    char event[65];
    char id[65];
    struct lookup_mark mark;
};

static void fetch_profile(const char *event, const char *id, bool after_delete);

bool sync_apply_profile(const char *event, const char *id,
                        const redisReply *reply, bool newest)
{
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2)
        return false;
    const redisReply *v = reply->element[0], *data = reply->element[1];
    if (data->type != REDIS_REPLY_STRING) {
        if (newest)
            match_profile_delete(event, id);
        return false;
    }
    if (v->type != REDIS_REPLY_STRING)
        return false;
    long long version = atoll(v->str);
    if (newest && match_profile_version(event, id) > version)
        match_profile_delete(event, id);
    struct err e;
    if (match_profile_put(event, id, version, data->str, data->len, &e) < 0) {
        log_warn("sync: %s", e.msg);
        return false;
    }
    return true;
}

void sync_lookup_sent(const char *event, const char *id,
                      struct lookup_mark *mark)
{
    order_lookup_sent(key_hash(event, id), false, mark);
}

bool sync_profile_answered(const char *event, const char *id,
                           const struct lookup_mark *mark,
                           const redisReply *reply, const struct err *err)
{
    switch (order_lookup_answered(mark, err == NULL)) {
    case LOOKUP_APPLY:
        /* Nothing local overtook it, so it holds the newest state: every
         * write applied before it was sent had reached Redis by then, and
         * the link answers in order. */
        return sync_apply_profile(event, id, reply, true);
    case LOOKUP_AGAIN: fetch_profile(event, id, mark->after_delete); break;
    case LOOKUP_DROP:
        /* Overtaken, with a newer look-up on its way; or the link is
         * down: the rebuild after reconnecting is not done (state lives
         * on), and the next change of this profile heals it. */
        if (err)
            log_warn("sync: cannot read participant '%s' of '%s': %s", id,
                     event, err->msg);
        break;
    }
    return false;
}

static void on_profile(void *priv, const redisReply *reply,
                       const struct err *err)
{
    struct fetch *f = priv;
    sync_profile_answered(f->event, f->id, &f->mark, reply, err);
    free(f);
}

static void fetch_profile(const char *event, const char *id, bool after_delete)
{
    struct fetch *f = xcalloc(1, sizeof *f);
    snprintf(f->event, sizeof f->event, "%s", event);
    snprintf(f->id, sizeof f->id, "%s", id);
    order_lookup_sent(key_hash(event, id), after_delete, &f->mark);
    char k[KEY_MAX];
    store_command(link, on_profile, f, "HMGET %s v data",
                  key_fmt(k, event, "p", id));
}

void sync_fetch_profile(const char *event, const char *id)
{
    fetch_profile(event, id, false);
}

static void on_event(void *priv, const redisReply *reply, const struct err *err)
{
    struct fetch *f = priv;
    switch (order_lookup_answered(&f->mark, err == NULL)) {
    case LOOKUP_APPLY:
        if (reply->type == REDIS_REPLY_STRING) {
            struct err e;
            if (match_event_put(f->event, reply->str, reply->len, &e) < 0)
                log_warn("sync: %s", e.msg);
        }
        break;
    case LOOKUP_AGAIN: sync_fetch_event(f->event); break;
    case LOOKUP_DROP:
        if (err)
            log_warn("sync: cannot read event '%s': %s", f->event, err->msg);
        break;
    }
    free(f);
}

void sync_fetch_event(const char *event)
{
    struct fetch *f = xcalloc(1, sizeof *f);
    snprintf(f->event, sizeof f->event, "%s", event);
    order_lookup_sent(key_hash(event, NULL), false, &f->mark);
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
        /* Our own writes are applied already: no look-up for them. But
         * while a delete entry's look-up is on its way, the engine may
         * hold an earlier life of the profile, at a higher version. */
        if (match_profile_version(event, id) < version ||
            order_delete_pending(key_hash(event, id)))
            sync_fetch_profile(event, id);
    } else if (strcmp(kind, "profile.delete") == 0) {
        /* Read rather than delete: the id may have been put again since
         * (a late entry must not remove the newer profile). */
        fetch_profile(event, id, true);
    } else if (strcmp(kind, "event.put") == 0) {
        sync_fetch_event(event);
    } else if (strcmp(kind, "event.new") == 0) {
        state_load_event(link, event);
    }
}
