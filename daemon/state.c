/* state.c: the rebuild from Redis at start (see state.h). */
#include "state.h"

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "keys.h"
#include "log.h"
#include "xmalloc.h"

struct state_counts state_counts;

struct rebuild {
    struct store *st;
    void (*done)(void *priv, bool ok);
    void *priv;
    size_t waiting;
    bool failed;
    struct state_counts counts;
};

static void finish(struct rebuild *rb)
{
    if (!rb->failed)
        state_counts = rb->counts;
    rb->done(rb->priv, !rb->failed);
    free(rb);
}

static void on_count(void *priv, const redisReply *reply, const struct err *err)
{
    struct rebuild *rb = priv;
    if (err) {
        rb->failed = true;
    } else if (reply->type == REDIS_REPLY_INTEGER && reply->integer > 0) {
        rb->counts.participants += (unsigned long)reply->integer;
    }
    if (--rb->waiting == 0)
        finish(rb);
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
    rb->counts.events = (unsigned)reply->elements;
    rb->waiting = 1; /* held until every command below is sent */
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        if (e->type != REDIS_REPLY_STRING || e->len > 64)
            continue;
        char id[65], k[KEY_MAX];
        memcpy(id, e->str, e->len);
        id[e->len] = '\0';
        struct cmd c;
        cmd_init(&c);
        cmd_adds(&c, "ZCARD");
        cmd_adds(&c, key_fmt(k, id, "ids", NULL));
        rb->waiting++;
        cmd_send(&c, rb->st, on_count, rb);
    }
    if (--rb->waiting == 0)
        finish(rb);
}

void state_rebuild(struct store *st, void (*done)(void *priv, bool ok),
                   void *priv)
{
    struct rebuild *rb = xcalloc(1, sizeof *rb);
    rb->st = st;
    rb->done = done;
    rb->priv = priv;
    struct cmd c;
    cmd_init(&c);
    cmd_adds(&c, "SMEMBERS");
    cmd_adds(&c, KEY_EVENTS);
    cmd_send(&c, st, on_events, rb);
}
