/* state.c: the rebuild from Redis at start (see state.h). For each event,
 * in this order on one link (so Redis answers in this order too):
 *   1. the change stream's last id, where the follower starts, so that no
 *      change made while the rebuild reads is missed (replays are
 *      harmless: the engine skips versions it has);
 *   2. the event (slots, interpreters);
 *   3. the participant ids, then every profile, with a bounded number of
 *      reads in flight;
 *   4. the participants' loads (requests received, meetings booked), for
 *      the matching engine's congestion factor. */
#include "state.h"

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "follow.h"
#include "keys.h"
#include "log.h"
#include "match.h"
#include "server.h"
#include "sync.h"
#include "xmalloc.h"

/* Profile reads in flight at once: enough to keep Redis busy, few enough
 * to bound the memory of queued commands and replies. */
#define WINDOW 512

struct state_counts state_counts;

struct rebuild;

/* One event being read. */
struct ev_load {
    struct rebuild *rb;
    char event[65];
    char **ids; /* participant ids still to read */
    size_t nids, next;
    size_t inflight;
};

struct rebuild {
    struct store *st;
    void (*done)(void *priv, bool ok);
    void *priv;
    size_t waiting; /* commands and events not finished */
    bool failed;
    /* An event another daemon made, loaded while serving: its reads go on
     * the look-up link among its look-ups and are judged as they are, so
     * that one this daemon's own write overtook is not applied (sync.h).
     * At the start they go on the main link, whose order says nothing
     * about the look-ups', and nothing is written here yet: the version
     * decides. Only the start's counts become state_counts. */
    bool serving;
    struct state_counts counts;
};

static void finish(struct rebuild *rb)
{
    if (!rb->failed && !rb->serving)
        state_counts = rb->counts;
    rb->done(rb->priv, !rb->failed);
    free(rb);
}

static void release(struct rebuild *rb)
{
    if (--rb->waiting == 0)
        finish(rb);
}

static void ev_load_free(struct ev_load *l)
{
    for (size_t i = 0; i < l->nids; i++)
        free(l->ids[i]);
    free(l->ids);
    free(l);
}

struct profile_read {
    struct ev_load *l;
    size_t i;
    struct lookup_mark mark; /* when rb->serving */
};

static void read_more(struct ev_load *l);

#define LOADS_PAGE 2000 /* participants per em_loads call */

static void read_loads(struct ev_load *l, const char *cursor);

/* {next cursor or '', id, pending, booked, ...}: each participant's load
 * for the engine's congestion factor. */
static void on_loads(void *priv, const redisReply *reply, const struct err *err)
{
    struct ev_load *l = priv;
    bool ok = !err && reply->type == REDIS_REPLY_ARRAY &&
              reply->elements % 3 == 1 &&
              reply->element[0]->type == REDIS_REPLY_STRING;
    for (size_t i = 1; ok && i < reply->elements; i += 3) {
        const redisReply *id = reply->element[i];
        if (id->type != REDIS_REPLY_STRING ||
            reply->element[i + 1]->type != REDIS_REPLY_INTEGER ||
            reply->element[i + 2]->type != REDIS_REPLY_INTEGER)
            break;
        match_set_load(l->event, id->str,
                       (unsigned)reply->element[i + 1]->integer,
                       (unsigned)reply->element[i + 2]->integer);
    }
    if (!ok)
        l->rb->failed = true;
    if (ok && reply->element[0]->len > 0) {
        read_loads(l, reply->element[0]->str);
        return;
    }
    struct rebuild *rb = l->rb;
    ev_load_free(l);
    release(rb);
}

static void read_loads(struct ev_load *l, const char *cursor)
{
    char kp[KEY_MAX];
    struct cmd c;
    cmd_event_fcall(&c, "em_loads", l->event, kp);
    cmd_adds(&c, cursor);
    cmd_addi(&c, LOADS_PAGE);
    cmd_send(&c, l->rb->st, on_loads, l);
}

static void on_profile(void *priv, const redisReply *reply,
                       const struct err *err)
{
    struct profile_read *pr = priv;
    struct ev_load *l = pr->l;
    const char *id = l->ids[pr->i];
    bool put;
    if (l->rb->serving)
        put = sync_profile_answered(l->event, id, &pr->mark, reply, err);
    else
        put = !err && sync_apply_profile(l->event, id, reply, false);
    free(pr);
    l->inflight--;
    if (err)
        l->rb->failed = true;
    else if (put)
        l->rb->counts.participants++;
    read_more(l);
}

/* Keeps up to WINDOW profile reads in flight; the last one done ends the
 * event. */
static void read_more(struct ev_load *l)
{
    while (!l->rb->failed && l->next < l->nids && l->inflight < WINDOW) {
        struct profile_read *pr = xmalloc(sizeof *pr);
        pr->l = l;
        pr->i = l->next++;
        l->inflight++;
        if (l->rb->serving)
            sync_lookup_sent(l->event, l->ids[pr->i], &pr->mark);
        char k[KEY_MAX];
        store_command(l->rb->st, on_profile, pr, "HMGET %s v data",
                      key_fmt(k, l->event, "p", l->ids[pr->i]));
    }
    if (l->inflight == 0 && l->rb->failed) {
        struct rebuild *rb = l->rb;
        ev_load_free(l);
        release(rb);
    } else if (l->inflight == 0 && l->next == l->nids) {
        read_loads(l, "");
    }
}

static void on_ids(void *priv, const redisReply *reply, const struct err *err)
{
    struct ev_load *l = priv;
    if (err || reply->type != REDIS_REPLY_ARRAY) {
        l->rb->failed = true;
    } else {
        l->ids = xcalloc(reply->elements + 1, sizeof *l->ids);
        for (size_t i = 0; i < reply->elements; i++) {
            const redisReply *e = reply->element[i];
            if (e->type == REDIS_REPLY_STRING && e->len <= 64)
                l->ids[l->nids++] = xstrndup(e->str, e->len);
        }
    }
    read_more(l);
}

static void on_event_data(void *priv, const redisReply *reply,
                          const struct err *err)
{
    struct ev_load *l = priv;
    struct err e;
    if (err)
        l->rb->failed = true;
    else if (reply->type == REDIS_REPLY_STRING &&
             match_event_put(l->event, reply->str, reply->len, &e) < 0)
        log_warn("rebuild: %s", e.msg);
}

static void on_last_id(void *priv, const redisReply *reply,
                       const struct err *err)
{
    struct ev_load *l = priv;
    if (err) {
        l->rb->failed = true;
        return;
    }
    /* XREVRANGE key + - COUNT 1: [] or [[id, fields]] */
    const char *last = "0-0";
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 1 &&
        reply->element[0]->type == REDIS_REPLY_ARRAY &&
        reply->element[0]->elements == 2 &&
        reply->element[0]->element[0]->type == REDIS_REPLY_STRING)
        last = reply->element[0]->element[0]->str;
    if (srv_global && srv_global->follow)
        follow_event_from(srv_global->follow, l->event, last);
}

static void load_event(struct rebuild *rb, const char *event)
{
    struct ev_load *l = xcalloc(1, sizeof *l);
    l->rb = rb;
    snprintf(l->event, sizeof l->event, "%s", event);
    rb->waiting++;
    /* Known to the follower from now on, with its start still unset, so
     * that it does not report the event as new and load it twice. */
    if (srv_global && srv_global->follow)
        follow_event_from(srv_global->follow, event, "");
    char k[KEY_MAX];
    store_command(rb->st, on_last_id, l, "XREVRANGE %s + - COUNT 1",
                  key_fmt(k, event, "log", NULL));
    store_command(rb->st, on_event_data, l, "HGET %s data",
                  key_fmt(k, event, "event", NULL));
    store_command(rb->st, on_ids, l, "ZRANGE %s 0 -1",
                  key_fmt(k, event, "ids", NULL));
}

static void on_events(void *priv, const redisReply *reply,
                      const struct err *err)
{
    struct rebuild *rb = priv;
    if (err || reply->type != REDIS_REPLY_ARRAY) {
        log_warn("rebuild: cannot list events: %s",
                 err ? err->msg : "unexpected reply");
        rb->failed = true;
        finish(rb);
        return;
    }
    rb->waiting = 1; /* held until every event is started */
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        if (e->type != REDIS_REPLY_STRING || e->len > 64)
            continue;
        char id[65];
        memcpy(id, e->str, e->len);
        id[e->len] = '\0';
        rb->counts.events++;
        load_event(rb, id);
    }
    release(rb);
}

static void loaded(void *priv, bool ok)
{
    char *event = priv;
    if (!ok)
        log_warn("could not load event '%s'; its next change retries", event);
    else
        log_info("loaded event '%s'", event);
    free(event);
}

void state_load_event(struct store *st, const char *event)
{
    struct rebuild *rb = xcalloc(1, sizeof *rb);
    rb->st = st;
    rb->done = loaded;
    rb->priv = xstrdup(event);
    rb->serving = true;
    rb->waiting = 1;
    load_event(rb, event);
    release(rb);
}

void state_rebuild(struct store *st, void (*done)(void *priv, bool ok),
                   void *priv)
{
    struct rebuild *rb = xcalloc(1, sizeof *rb);
    rb->st = st;
    rb->done = done;
    rb->priv = priv;
    store_command(st, on_events, rb, "SMEMBERS %s", KEY_EVENTS);
}
