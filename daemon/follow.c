/* follow.c: the change-stream follower (see follow.h). One XREAD BLOCK
 * over all followed streams at a time; events added meanwhile join at the
 * next round, within a block period. The global event index is counted
 * every second and re-read when it changed, so that events created
 * through other daemons are picked up. */
#include "follow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "keys.h"
#include "log.h"
#include "xmalloc.h"

#define BLOCK_MS 1000
#define REFRESH_SECONDS 1  /* SCARD; SMEMBERS only when it changed */
#define MAX_EVENTS 100000  /* followed at once; more are logged and skipped */
#define WINDOW 500         /* streams per XREAD (fits CMD_MAX_ARGS) */
#define SHARED_BLOCK_MS 20 /* block time when windows take turns */

struct followed {
    char event[65];
    char key[KEY_MAX];
    char last[48]; /* last stream id seen; "" until the start is known */
    bool rewound;  /* `last` moved back while a read was in flight */
};

struct follow {
    struct store *st;
    struct event *timer; /* next round when nothing is in flight */
    follow_fn *fn;
    void *priv;
    struct followed *ev;
    size_t nev, cap;
    bool busy;         /* a command is in flight */
    size_t turn;       /* first stream of the next window */
    int64_t refreshed; /* when em:events was last counted */
    long long nindex;  /* its size then */
};

static void schedule(struct follow *f, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_add(f->timer, &tv);
}

static struct followed *find(struct follow *f, const char *event)
{
    for (size_t i = 0; i < f->nev; i++)
        if (strcmp(f->ev[i].event, event) == 0)
            return &f->ev[i];
    return NULL;
}

/* Stream ids "ms-seq" in order: negative when a comes first. */
static int id_cmp(const char *a, const char *b)
{
    unsigned long long am = strtoull(a, NULL, 10), bm = strtoull(b, NULL, 10);
    if (am != bm)
        return am < bm ? -1 : 1;
    const char *ad = strchr(a, '-'), *bd = strchr(b, '-');
    unsigned long long as = ad ? strtoull(ad + 1, NULL, 10) : 0;
    unsigned long long bs = bd ? strtoull(bd + 1, NULL, 10) : 0;
    return as < bs ? -1 : as > bs;
}

/* Registers an event with its start unknown ("" until set). */
static struct followed *add(struct follow *f, const char *event)
{
    if (f->nev == MAX_EVENTS) {
        log_warn("follow: more than %d events; not following '%s'", MAX_EVENTS,
                 event);
        return NULL;
    }
    if (f->nev == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->ev = xrealloc(f->ev, f->cap * sizeof *f->ev);
    }
    struct followed *e = &f->ev[f->nev++];
    memset(e, 0, sizeof *e);
    snprintf(e->event, sizeof e->event, "%s", event);
    key_fmt(e->key, event, "log", NULL);
    return e;
}

void follow_event_from(struct follow *f, const char *event, const char *last)
{
    struct followed *e = find(f, event);
    if (e == NULL && (e = add(f, event)) == NULL)
        return;
    if (e->last[0] == '\0' || id_cmp(last, e->last) < 0) {
        snprintf(e->last, sizeof e->last, "%s", last);
        /* The read in flight must not move it forward again. */
        e->rewound = f->busy;
    }
}

void follow_event(struct follow *f, const char *event)
{
    if (find(f, event) || add(f, event) == NULL)
        return;
    /* Whoever loads the event says where its stream starts for us
     * (follow_event_from), after reading its state. */
    f->fn(f->priv, event, "event.new", "", 0, NULL);
}

void follow_each(const struct follow *f,
                 void (*fn)(const char *event, void *priv), void *priv)
{
    for (size_t i = 0; i < f->nev; i++)
        fn(f->ev[i].event, priv);
}

static const redisReply *field(const redisReply *fields, const char *name)
{
    for (size_t i = 0; i + 1 < fields->elements; i += 2) {
        const redisReply *k = fields->element[i];
        if (k->type == REDIS_REPLY_STRING && strcmp(k->str, name) == 0)
            return fields->element[i + 1];
    }
    return NULL;
}

/* XREAD's answer: [[key, [[id, [field, value, ...]], ...]], ...] */
static void deliver(struct follow *f, const redisReply *reply)
{
    for (size_t s = 0; s < reply->elements; s++) {
        const redisReply *stream = reply->element[s];
        if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2)
            continue;
        struct followed *e = NULL;
        for (size_t i = 0; i < f->nev && !e; i++)
            if (strcmp(f->ev[i].key, stream->element[0]->str) == 0)
                e = &f->ev[i];
        if (e == NULL)
            continue;
        const redisReply *entries = stream->element[1];
        for (size_t j = 0; j < entries->elements; j++) {
            const redisReply *en = entries->element[j];
            if (en->type != REDIS_REPLY_ARRAY || en->elements != 2 ||
                en->element[0]->type != REDIS_REPLY_STRING ||
                en->element[1]->type != REDIS_REPLY_ARRAY)
                continue;
            if (!e->rewound)
                snprintf(e->last, sizeof e->last, "%s", en->element[0]->str);
            const redisReply *kind = field(en->element[1], "k");
            const redisReply *id = field(en->element[1], "id");
            const redisReply *v = field(en->element[1], "v");
            const redisReply *x = field(en->element[1], "x");
            if (kind && id && kind->type == REDIS_REPLY_STRING &&
                id->type == REDIS_REPLY_STRING)
                f->fn(f->priv, e->event, kind->str, id->str,
                      v && v->type == REDIS_REPLY_STRING ? atoll(v->str) : 0,
                      x && x->type == REDIS_REPLY_STRING ? x->str : NULL);
        }
    }
}

static void round_start(struct follow *f);
static void on_events(void *priv, const redisReply *reply,
                      const struct err *err);

static void on_read(void *priv, const redisReply *reply, const struct err *err)
{
    struct follow *f = priv;
    f->busy = false;
    if (!err && reply->type == REDIS_REPLY_ARRAY)
        deliver(f, reply);
    for (size_t i = 0; i < f->nev; i++)
        f->ev[i].rewound = false;
    if (err) {
        schedule(f, BLOCK_MS);
        return;
    }
    round_start(f);
}

static void on_card(void *priv, const redisReply *reply, const struct err *err)
{
    struct follow *f = priv;
    f->busy = false;
    if (!err && reply->type == REDIS_REPLY_INTEGER &&
        reply->integer != f->nindex) {
        f->nindex = reply->integer;
        f->busy = true;
        store_command(f->st, on_events, f, "SMEMBERS %s", KEY_EVENTS);
        return;
    }
    round_start(f);
}

static void on_events(void *priv, const redisReply *reply,
                      const struct err *err)
{
    struct follow *f = priv;
    f->busy = false;
    if (!err && reply->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < reply->elements; i++)
            if (reply->element[i]->type == REDIS_REPLY_STRING &&
                reply->element[i]->len <= 64)
                follow_event(f, reply->element[i]->str);
    round_start(f);
}

/* One step at a time: refresh the event index, learn where new streams
 * start, or block reading all of them. */
static void round_start(struct follow *f)
{
    if (f->busy)
        return;
    int64_t now = (int64_t)time(NULL);
    if (now - f->refreshed >= REFRESH_SECONDS) {
        f->refreshed = now;
        f->busy = true;
        store_command(f->st, on_card, f, "SCARD %s", KEY_EVENTS);
        return;
    }
    /* Streams whose start is still being asked for wait a round. */
    size_t ready = 0;
    for (size_t i = 0; i < f->nev; i++)
        if (f->ev[i].last[0])
            ready++;
    if (ready == 0) {
        schedule(f, BLOCK_MS);
        return;
    }
    /* One XREAD takes a window of streams; when they do not all fit, the
     * windows take turns with a short block so that each is read often. */
    size_t n = ready < WINDOW ? ready : WINDOW;
    int block = ready <= WINDOW ? BLOCK_MS : SHARED_BLOCK_MS;
    if (f->turn >= f->nev)
        f->turn = 0;
    size_t pick[WINDOW], m = 0;
    for (size_t k = 0; k < f->nev && m < n; k++) {
        size_t i = (f->turn + k) % f->nev;
        if (f->ev[i].last[0])
            pick[m++] = i;
    }
    f->turn = (pick[m - 1] + 1) % f->nev;
    struct cmd *x = xmalloc(sizeof *x);
    cmd_init(x);
    cmd_adds(x, "XREAD");
    cmd_adds(x, "COUNT");
    cmd_adds(x, "1000");
    cmd_adds(x, "BLOCK");
    cmd_addi(x, block);
    cmd_adds(x, "STREAMS");
    for (size_t j = 0; j < m; j++)
        cmd_adds(x, f->ev[pick[j]].key);
    for (size_t j = 0; j < m; j++)
        cmd_adds(x, f->ev[pick[j]].last);
    f->busy = true;
    store_commandv_timeout(f->st, block + 2000, x->argc, x->argv, x->len,
                           on_read, f);
    free(x);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    round_start(arg);
}

static void on_link(void *priv, bool up)
{
    struct follow *f = priv;
    if (up)
        round_start(f);
}

struct follow *follow_new(struct event_base *base,
                          const struct store_config *sc, follow_fn *fn,
                          void *priv, struct err *err)
{
    struct follow *f = xcalloc(1, sizeof *f);
    f->fn = fn;
    f->priv = priv;
    f->timer = evtimer_new(base, on_timer, f);
    /* The follower needs no functions of its own: another link loads them. */
    struct store_config c = *sc;
    c.functions = NULL;
    c.functions_len = 0;
    f->st = store_new(base, &c, on_link, f, err);
    if (f->st == NULL) {
        event_free(f->timer);
        free(f);
        return NULL;
    }
    return f;
}

void follow_free(struct follow *f)
{
    if (f == NULL)
        return;
    store_free(f->st);
    event_free(f->timer);
    free(f->ev);
    free(f);
}
