/* sentinel.c: asks Redis Sentinels where the primary is (see sentinel.h).
 * One short-lived hiredis async context per sentinel asked, on the
 * daemon's loop; never a blocking call inside the loop. */
#include "sentinel.h"

#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "hostport.h"
#include "log.h"
#include "xmalloc.h"

struct sentinel_query {
    struct event_base *base;
    struct sentinel_set *set;
    int timeout_ms;
    sentinel_cb *cb;
    void *priv;
    redisAsyncContext *ac; /* the sentinel being asked; NULL between */
    int tried;             /* sentinels asked so far */
    int idx;               /* the one being asked */
    bool done;             /* an answer is in ip/port */
    char ip[64];
    int port;
    struct event *timer; /* deadline of the current sentinel */
    struct event *step;  /* next step, run from the loop */
};

static bool name_ok(const char *s, size_t n)
{
    if (n < 1 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789_.-",
                    s[i]))
            return false;
    return true;
}

/* One "host:port" of the list, resolved to its first numeric address. */
static int add_sentinel(struct sentinel_set *set, const char *addr,
                        struct err *err)
{
    if (set->n == SENTINEL_MAX)
        return err_set(err, ERR_BAD_REQUEST, "sentinel: more than %d sentinels",
                       SENTINEL_MAX);
    if (hostport_resolve("sentinel", addr, &set->ip[set->n], 1,
                         &set->port[set->n], err) < 0)
        return -1;
    set->n++;
    return 0;
}

int sentinel_parse(const char *spec, struct sentinel_set *set, struct err *err)
{
    memset(set, 0, sizeof *set);
    const char *sp = strchr(spec, ' ');
    if (sp == NULL || !name_ok(spec, (size_t)(sp - spec)))
        return err_set(err, ERR_BAD_REQUEST,
                       "sentinel: expected 'MASTERNAME host:port,...' with a "
                       "name of 1-64 of A-Za-z0-9_.-");
    memcpy(set->name, spec, (size_t)(sp - spec));
    const char *p = sp + 1;
    while (*p != '\0') {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char addr[300];
        if (n == 0 || n >= sizeof addr)
            return err_set(err, ERR_BAD_REQUEST,
                           "sentinel: empty or overlong address in the list");
        memcpy(addr, p, n);
        addr[n] = '\0';
        if (add_sentinel(set, addr, err) < 0)
            return -1;
        p += n + (end ? 1 : 0);
        if (end && *p == '\0')
            return err_set(err, ERR_BAD_REQUEST,
                           "sentinel: trailing comma in the list");
    }
    if (set->n == 0)
        return err_set(err, ERR_BAD_REQUEST, "sentinel: no sentinel address");
    return 0;
}

static void ask_current(struct sentinel_query *q);

/* Moves on from the loop, never from inside a hiredis callback. */
static void step_later(struct sentinel_query *q)
{
    event_active(q->step, EV_TIMEOUT, 1);
}

static void finish(struct sentinel_query *q)
{
    sentinel_cb *cb = q->cb;
    void *priv = q->priv;
    bool ok = q->done;
    char ip[64];
    int port = q->port;
    memcpy(ip, q->ip, sizeof ip);
    if (ok)
        q->set->first = q->idx;
    event_free(q->timer);
    event_free(q->step);
    free(q);
    cb(priv, ok ? ip : NULL, port);
}

static void on_step(evutil_socket_t fd, short what, void *arg)
{
    struct sentinel_query *q = arg;
    if (q->done || q->tried == q->set->n) {
        finish(q);
        return;
    }
    ask_current(q);
}

/* Stops asking the current sentinel: frees its context unless hiredis
 * frees it itself (inside its own callbacks). */
static void drop_current(struct sentinel_query *q, bool free_it)
{
    redisAsyncContext *ac = q->ac;
    evtimer_del(q->timer);
    q->ac = NULL;
    q->tried++;
    q->idx = (q->idx + 1) % q->set->n;
    if (ac != NULL && free_it)
        redisAsyncFree(ac);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct sentinel_query *q = arg;
    log_warn("sentinel %s port %d did not answer within %d ms",
             q->set->ip[q->idx], q->set->port[q->idx], q->timeout_ms);
    drop_current(q, true);
    step_later(q);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct sentinel_query *q = ac->data;
    if (status == REDIS_OK || q == NULL || ac != q->ac)
        return;
    /* hiredis frees a context that failed to connect after this. */
    log_debug("sentinel %s port %d: %s", q->set->ip[q->idx],
              q->set->port[q->idx], ac->errstr);
    drop_current(q, false);
    step_later(q);
}

static void on_reply(redisAsyncContext *ac, void *r, void *priv)
{
    struct sentinel_query *q = priv;
    const redisReply *reply = r;
    /* NULL: the context is being freed (by us or by hiredis). */
    if (reply == NULL || q == NULL || ac != q->ac)
        return;
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
        reply->element[0]->type == REDIS_REPLY_STRING &&
        reply->element[1]->type == REDIS_REPLY_STRING &&
        reply->element[0]->len < sizeof q->ip) {
        int port = atoi(reply->element[1]->str);
        if (port > 0 && port < 65536) {
            memcpy(q->ip, reply->element[0]->str,
                   (size_t)reply->element[0]->len + 1);
            q->port = port;
            q->done = true;
        }
    }
    if (!q->done)
        log_warn("sentinel %s port %d does not know master '%s'",
                 q->set->ip[q->idx], q->set->port[q->idx], q->set->name);
    /* Allowed inside a callback: hiredis closes once it returns. The
     * context no longer points at q, whatever comes after. */
    ac->data = NULL;
    redisAsyncDisconnect(ac);
    int idx = q->idx;
    drop_current(q, false);
    if (q->done)
        q->idx = idx;
    step_later(q);
}

static void ask_current(struct sentinel_query *q)
{
    const char *ip = q->set->ip[q->idx];
    int port = q->set->port[q->idx];
    /* A numeric address: hiredis's own getaddrinfo does not block. */
    redisAsyncContext *ac = redisAsyncConnect(ip, port);
    if (ac == NULL || ac->err || redisLibeventAttach(ac, q->base) != REDIS_OK) {
        if (ac != NULL)
            redisAsyncFree(ac);
        q->tried++;
        q->idx = (q->idx + 1) % q->set->n;
        step_later(q);
        return;
    }
    ac->data = q;
    redisAsyncSetConnectCallback(ac, on_connect);
    q->ac = ac;
    if (redisAsyncCommand(ac, on_reply, q,
                          "SENTINEL get-master-addr-by-name %s",
                          q->set->name) != REDIS_OK) {
        drop_current(q, true);
        step_later(q);
        return;
    }
    struct timeval tv = {q->timeout_ms / 1000, (q->timeout_ms % 1000) * 1000};
    evtimer_add(q->timer, &tv);
}

struct sentinel_query *sentinel_ask(struct event_base *base,
                                    struct sentinel_set *set, int timeout_ms,
                                    sentinel_cb *cb, void *priv)
{
    struct sentinel_query *q = xcalloc(1, sizeof *q);
    q->base = base;
    q->set = set;
    q->timeout_ms = timeout_ms;
    q->cb = cb;
    q->priv = priv;
    q->idx = set->first % set->n;
    q->timer = evtimer_new(base, on_timeout, q);
    q->step = event_new(base, -1, 0, on_step, q);
    step_later(q);
    return q;
}

void sentinel_cancel(struct sentinel_query *q)
{
    if (q == NULL)
        return;
    redisAsyncContext *ac = q->ac;
    q->ac = NULL;
    if (ac != NULL) {
        ac->data = NULL;
        redisAsyncFree(ac);
    }
    event_free(q->timer);
    event_free(q->step);
    free(q);
}
