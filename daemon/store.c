/* store.c: the Redis link: one hiredis 0.14 async context with deadlines,
 * reconnection, the function library and error mapping built around it. */
#include "store.h"

#include <assert.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>

#include "hostport.h"
#include "log.h"
#include "sentinel.h"
#include "store_error.h"
#include "xmalloc.h"

#define STORE_MAX_ADDRS 4
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
/* With sentinels a reconnect is mostly waiting for them to finish a
 * failover: ask often (each query is one small round trip per link). */
#define SENTINEL_BACKOFF_MAX_MS 500
/* Sent data unacknowledged this long means the peer host is gone (a
 * frozen but living Redis still acknowledges, so a stall is unaffected). */
#define TCP_DEAD_MS 10000
#define KEEPALIVE_IDLE_S 10

enum link_state {
    LINK_IDLE,       /* no context; the retry timer is armed */
    LINK_LOCATING,   /* asking the sentinels where the primary is */
    LINK_CONNECTING, /* context exists: TCP connect, AUTH, FUNCTION LOAD */
    LINK_UP,         /* handshake done: user commands are sent */
    LINK_CLOSING,    /* context dying or about to be dropped: send nothing */
};

/* One user command, from store_command* until hiredis lets go of it. */
struct cmd {
    struct store *st;
    store_cb *cb; /* NULL once the user callback ran */
    void *priv;
    struct event *timer;    /* deadline; NULL when fired or never armed */
    int timeout_ms;         /* for the timeout message */
    bool timed_out;         /* callback ran already: drop the late reply */
    enum errcode fail_code; /* deferred failure: code and message */
    const char *fail_msg;
    struct cmd *next; /* deferred queue link */
    char name[40];    /* command (and function) name, for logs only */
};

struct store {
    struct event_base *base;
    char addrs[STORE_MAX_ADDRS][64]; /* resolved numeric addresses */
    int naddrs;
    int addr_idx; /* address of the current attempt */
    int port;
    char *password;  /* NULL for none */
    char *functions; /* library source, NULL for none */
    size_t functions_len;
    int timeout_ms;
    struct timeval cmd_tv_plain;  /* timeout_ms as a timeval */
    const struct timeval *cmd_tv; /* the same as a libevent common timeout */
    store_link_cb *link_cb;
    void *link_priv;

    redisAsyncContext *ac; /* current context, NULL when none */
    enum link_state state;
    struct sentinel_set *sentinels; /* NULL: addrs is the primary */
    struct sentinel_query *query;   /* in flight while LINK_LOCATING */
    const char *hs_names[4];        /* handshake commands sent, in order */
    int hs_sent, hs_got;            /* handshake replies expected, seen */
    int backoff_ms;                 /* delay before the next reconnect */
    bool reported_up;               /* last value given to link_cb */
    bool freeing;                   /* in store_free: no link_cb, no sends */
    int user_depth;                 /* >0 while a user callback runs */
    size_t pending;                 /* user callbacks not yet run */
    size_t zombies;                 /* timed out, reply still awaited */

    struct event *connect_timer; /* deadline of connect plus handshake */
    struct event *retry_timer;   /* backoff before reconnecting */
    struct event *drop_ev;       /* drops a failed context off-callback */
    struct event *defer_ev;      /* runs deferred failures */
    bool defer_armed;
    struct cmd *defer_head, *defer_tail;
};

static void connect_start(struct store *st);

/* ---- addresses ---------------------------------------------------------- */

/* The only blocking lookup: done once here so that hiredis, which calls
 * getaddrinfo itself, only ever sees numeric addresses inside the loop. */
static int resolve(struct store *st, const char *addr, struct err *err)
{
    int n = hostport_resolve("redis address", addr, st->addrs, STORE_MAX_ADDRS,
                             &st->port, err);
    if (n < 0)
        return -1;
    st->naddrs = n;
    return 0;
}

/* ---- link state --------------------------------------------------------- */

/* link_cb reports changes of store_is_up, each value once per change. */
static void report(struct store *st, bool up)
{
    if (st->freeing || st->reported_up == up)
        return;
    st->reported_up = up;
    if (st->link_cb == NULL)
        return;
    st->user_depth++;
    st->link_cb(st->link_priv, up);
    st->user_depth--;
}

static void schedule_retry(struct store *st)
{
    if (st->freeing)
        return;
    struct timeval tv = {st->backoff_ms / 1000, (st->backoff_ms % 1000) * 1000};
    evtimer_add(st->retry_timer, &tv);
    st->backoff_ms *= 2;
    int cap = st->sentinels ? SENTINEL_BACKOFF_MAX_MS : BACKOFF_MAX_MS;
    if (st->backoff_ms > cap)
        st->backoff_ms = cap;
}

/* Frees the current context from the loop (never from a hiredis callback)
 * and plans the next attempt. Pending callbacks run with NULL replies. */
static void drop_context(struct store *st)
{
    redisAsyncContext *ac = st->ac;
    evtimer_del(st->connect_timer);
    st->ac = NULL;
    st->state = LINK_IDLE;
    if (ac != NULL)
        redisAsyncFree(ac);
    report(st, false);
    schedule_retry(st);
}

/* From inside a hiredis callback: stop using the context now, free it on
 * the next loop turn. */
static void drop_later(struct store *st)
{
    st->state = LINK_CLOSING;
    event_active(st->drop_ev, EV_TIMEOUT, 1);
}

static void on_drop(evutil_socket_t fd, short what, void *arg)
{
    struct store *st = arg;
    /* hiredis may have freed the context meanwhile (on_disconnect). */
    if (st->state == LINK_CLOSING && st->ac != NULL)
        drop_context(st);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    connect_start(arg);
}

static void on_connect_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct store *st = arg;
    log_warn("store: no usable link to %s port %d within %d ms",
             st->addrs[st->addr_idx], st->port, st->timeout_ms);
    st->addr_idx = (st->addr_idx + 1) % st->naddrs;
    drop_context(st);
}

static void link_ready(struct store *st)
{
    evtimer_del(st->connect_timer);
    st->state = LINK_UP;
    st->backoff_ms = BACKOFF_MIN_MS;
    log_info("store: link up to %s port %d", st->addrs[st->addr_idx], st->port);
    report(st, true);
}

/* ROLE's answer starts with "master" on a primary. */
static bool role_is_master(const redisReply *r)
{
    return r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
           r->element[0]->type == REDIS_REPLY_STRING &&
           strcmp(r->element[0]->str, "master") == 0;
}

static void on_handshake_reply(redisAsyncContext *ac, void *r, void *priv)
{
    struct store *st = priv;
    const redisReply *reply = r;
    /* NULL: the context is going away; whoever freed it plans the retry. */
    if (reply == NULL || ac != st->ac || st->state != LINK_CONNECTING)
        return;
    const char *what = st->hs_names[st->hs_got++];
    if (reply->type == REDIS_REPLY_ERROR) {
        char text[256];
        /* An AUTH error says nothing useful beyond its first word. */
        size_t n =
            strcmp(what, "AUTH") == 0
                ? store_error_word_len(reply->str, reply->str + reply->len)
                : (size_t)reply->len;
        store_error_redact(reply->str, n, text, sizeof text);
        log_warn("store: %s on %s port %d failed: %s", what,
                 st->addrs[st->addr_idx], st->port, text);
        drop_later(st);
        return;
    }
    if (strcmp(what, "ROLE") == 0 && !role_is_master(reply)) {
        /* A sentinel answered before it saw the failover, or a demoted
         * primary: writes there would fail. Ask again after a backoff. */
        log_warn("store: %s port %d is not a primary; asking the sentinels "
                 "again",
                 st->addrs[st->addr_idx], st->port);
        drop_later(st);
        return;
    }
    if (st->hs_got == st->hs_sent)
        link_ready(st);
}

static void handshake_send(struct store *st, redisAsyncContext *ac)
{
    st->hs_sent = st->hs_got = 0;
    int rc = REDIS_OK;
    if (st->password != NULL) {
        const char *argv[] = {"AUTH", st->password};
        size_t lens[] = {4, strlen(st->password)};
        rc |= redisAsyncCommandArgv(ac, on_handshake_reply, st, 2, argv, lens);
        st->hs_names[st->hs_sent++] = "AUTH";
    }
    if (st->sentinels != NULL) {
        /* Before anything is written: the address came from a sentinel,
         * which may not have seen a failover yet. */
        rc |= redisAsyncCommand(ac, on_handshake_reply, st, "ROLE");
        st->hs_names[st->hs_sent++] = "ROLE";
    }
    if (st->functions != NULL) {
        /* REPLACE on every connect: a Redis restarted without persistence,
         * or a library changed by a newer daemon, gets this one. */
        const char *argv[] = {"FUNCTION", "LOAD", "REPLACE", st->functions};
        size_t lens[] = {8, 4, 7, st->functions_len};
        rc |= redisAsyncCommandArgv(ac, on_handshake_reply, st, 4, argv, lens);
        st->hs_names[st->hs_sent++] = "FUNCTION LOAD";
    } else {
        /* Still one round trip, so "up" always means Redis answered. */
        rc |= redisAsyncCommand(ac, on_handshake_reply, st, "PING");
        st->hs_names[st->hs_sent++] = "PING";
    }
    if (rc != REDIS_OK)
        drop_later(st);
}

/* Best effort: a dead peer host is noticed even when the link is idle or
 * has unacknowledged data in flight. */
static void tune_socket(int fd)
{
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
#ifdef TCP_KEEPIDLE
    int idle = KEEPALIVE_IDLE_S, intvl = 3, cnt = 3;
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
#endif
#ifdef TCP_USER_TIMEOUT
    unsigned int ut = TCP_DEAD_MS;
    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof ut);
#endif
}

static void on_connect(const redisAsyncContext *cac, int status)
{
    struct store *st = cac->data;
    /* hiredis hands a const pointer but owns a mutable context. */
    redisAsyncContext *ac = (redisAsyncContext *)cac;
    if (ac != st->ac)
        return;
    if (status != REDIS_OK) {
        /* hiredis frees the context when this returns (no on_disconnect,
         * as it never connected). */
        log_debug("store: connect to %s port %d failed: %s",
                  st->addrs[st->addr_idx], st->port,
                  cac->errstr ? cac->errstr : "?");
        evtimer_del(st->connect_timer);
        st->ac = NULL;
        st->state = LINK_IDLE;
        st->addr_idx = (st->addr_idx + 1) % st->naddrs;
        schedule_retry(st);
        return;
    }
    tune_socket(ac->c.fd);
    handshake_send(st, ac);
}

static void on_disconnect(const redisAsyncContext *cac, int status)
{
    struct store *st = cac->data;
    /* A context we freed ourselves: its owner already moved on. */
    if (cac != st->ac)
        return;
    /* hiredis frees the context when this returns; every pending callback
     * already ran with a NULL reply. Replies nested deeper than 7 levels
     * end up here too: hiredis 0.14 treats them as a protocol error. */
    log_warn("store: link to %s port %d lost: %s", st->addrs[st->addr_idx],
             st->port, cac->errstr ? cac->errstr : "closed");
    evtimer_del(st->connect_timer);
    st->ac = NULL;
    st->state = LINK_IDLE;
    report(st, false);
    schedule_retry(st);
}

static void connect_to(struct store *st);

/* A sentinel said where the primary is (ip NULL: none could). */
static void on_primary(void *priv, const char *ip, int port)
{
    struct store *st = priv;
    st->query = NULL;
    st->state = LINK_IDLE;
    if (ip == NULL) {
        log_warn("store: no sentinel named a primary for '%s'",
                 st->sentinels->name);
        schedule_retry(st);
        return;
    }
    if (st->naddrs != 1 || st->port != port || strcmp(st->addrs[0], ip) != 0)
        log_info("store: sentinels name %s port %d as the primary of '%s'", ip,
                 port, st->sentinels->name);
    snprintf(st->addrs[0], sizeof st->addrs[0], "%s", ip);
    st->naddrs = 1;
    st->addr_idx = 0;
    st->port = port;
    connect_to(st);
}

/* With sentinels, every (re)connect asks them first: after a failover
 * the old address is a dead host or a demoted replica. */
static void connect_start(struct store *st)
{
    if (st->sentinels == NULL) {
        connect_to(st);
        return;
    }
    st->state = LINK_LOCATING;
    st->query =
        sentinel_ask(st->base, st->sentinels, st->timeout_ms, on_primary, st);
}

static void connect_to(struct store *st)
{
    const char *ip = st->addrs[st->addr_idx];
    redisAsyncContext *ac = redisAsyncConnect(ip, st->port);
    if (ac == NULL || ac->err ||
        redisLibeventAttach(ac, st->base) != REDIS_OK) {
        log_debug("store: connect to %s port %d failed: %s", ip, st->port,
                  ac && ac->errstr ? ac->errstr : "no memory");
        if (ac != NULL)
            redisAsyncFree(ac);
        st->addr_idx = (st->addr_idx + 1) % st->naddrs;
        schedule_retry(st);
        return;
    }
    ac->data = st;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    st->ac = ac;
    st->state = LINK_CONNECTING;
    evtimer_add(st->connect_timer, &st->cmd_tv_plain);
}

/* ---- commands ----------------------------------------------------------- */

/* Runs the user callback: the one place it is called, so exactly once. */
static void finish(struct cmd *c, const redisReply *reply, const struct err *e)
{
    struct store *st = c->st;
    store_cb *cb = c->cb;
    assert(cb != NULL);
    c->cb = NULL;
    st->pending--;
    st->user_depth++;
    cb(c->priv, reply, e);
    st->user_depth--;
}

static void cmd_free(struct cmd *c)
{
    if (c->timer != NULL)
        event_free(c->timer);
    free(c);
}

static void run_deferred(struct store *st)
{
    /* Take the queue whole: failures queued by these callbacks wait for
     * the next loop turn instead of looping here. */
    struct cmd *c = st->defer_head;
    st->defer_head = st->defer_tail = NULL;
    st->defer_armed = false;
    while (c != NULL) {
        struct cmd *next = c->next;
        struct err e;
        err_set(&e, c->fail_code, "%s", c->fail_msg);
        finish(c, NULL, &e);
        cmd_free(c);
        c = next;
    }
}

static void on_defer(evutil_socket_t fd, short what, void *arg)
{
    run_deferred(arg);
}

/* Fails c from the event loop, never inside the caller's call. */
static void defer_fail(struct cmd *c, enum errcode code, const char *msg)
{
    struct store *st = c->st;
    c->fail_code = code;
    c->fail_msg = msg;
    c->next = NULL;
    if (st->defer_tail)
        st->defer_tail->next = c;
    else
        st->defer_head = c;
    st->defer_tail = c;
    if (!st->defer_armed && !st->freeing) {
        st->defer_armed = true;
        event_active(st->defer_ev, EV_TIMEOUT, 1);
    }
}

static void on_cmd_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct cmd *c = arg;
    struct store *st = c->st;
    event_free(c->timer);
    c->timer = NULL;
    /* The context stays: a frozen Redis answers in order once it resumes,
     * and on_reply then drops this reply. Until then the link is not up. */
    c->timed_out = true;
    if (st->zombies++ == 0)
        log_warn("store: %s got no answer within %d ms; the link is down "
                 "until Redis answers",
                 c->name, c->timeout_ms);
    report(st, false);
    struct err e;
    err_set(&e, ERR_UNAVAILABLE, "store did not answer within %d ms",
            c->timeout_ms);
    finish(c, NULL, &e);
}

static void on_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    struct cmd *c = privdata;
    struct store *st = c->st;
    const redisReply *reply = r;
    if (c->timer != NULL) {
        event_free(c->timer);
        c->timer = NULL;
    }
    if (reply == NULL && ac == st->ac && st->state != LINK_CLOSING) {
        /* hiredis is tearing the context down; say so before the first
         * failed callback, and send nothing more through it. */
        st->state = LINK_CLOSING;
        report(st, false);
    }
    if (c->timed_out) {
        if (--st->zombies == 0 && reply != NULL && st->state == LINK_UP) {
            log_info("store: Redis answers again");
            report(st, true);
        }
        cmd_free(c);
        return;
    }
    struct err e;
    if (reply == NULL) {
        err_set(&e, ERR_UNAVAILABLE, "%s",
                st->freeing ? "store is shutting down"
                            : "store connection lost");
        finish(c, NULL, &e);
    } else if (reply->type == REDIS_REPLY_ERROR) {
        bool generic;
        store_error_map(reply->str, (size_t)reply->len, &e, &generic);
        if (st->sentinels != NULL && ac == st->ac && st->state == LINK_UP &&
            strncmp(reply->str, "READONLY", 8) == 0) {
            /* Connected to a primary that was demoted since: find the
             * new one. */
            log_warn("store: %s port %d is read-only now; asking the "
                     "sentinels again",
                     st->addrs[st->addr_idx], st->port);
            drop_later(st);
        }
        if (generic) {
            char text[256];
            store_error_redact(reply->str, (size_t)reply->len, text,
                               sizeof text);
            log_warn("store: %s failed: %s", c->name, text);
        }
        finish(c, NULL, &e);
    } else {
        finish(c, reply, NULL);
    }
    cmd_free(c);
}

/* Copies the command name (plus the function name for FCALL) out of a
 * RESP-formatted command, for log lines that must not show arguments. */
static void name_from_resp(const char *buf, size_t len, char *out, size_t outsz)
{
    const char *p = buf, *end = buf + len;
    size_t o = 0;
    for (int arg = 0; arg < 2; arg++) {
        /* Skip "*N\r\n" or the previous "\r\n", then read "$L\r\n". */
        while (p < end && *p != '$')
            p++;
        if (p == end)
            break;
        size_t l = 0;
        for (p++; p < end && *p >= '0' && *p <= '9'; p++)
            l = l * 10 + (size_t)(*p - '0');
        if (end - p < 2)
            break;
        p += 2;
        if (l > (size_t)(end - p))
            break;
        if (arg == 1) {
            if (!(o == 5 && strncasecmp(out, "FCALL", 5) == 0) &&
                !(o == 8 && strncasecmp(out, "FCALL_RO", 8) == 0))
                break;
            if (o + 1 < outsz)
                out[o++] = ' ';
        }
        for (size_t i = 0; i < l && o + 1 < outsz; i++)
            out[o++] = (p[i] > 0x20 && p[i] < 0x7f) ? p[i] : '?';
        p += l;
    }
    out[o] = '\0';
}

static bool can_send(const struct store *st)
{
    return store_is_up(st) && !st->freeing;
}

static const char *down_reason(const struct store *st)
{
    if (st->freeing)
        return "store is shutting down";
    if (st->state == LINK_UP)
        return "store is not answering";
    return "store is not connected";
}

static struct cmd *cmd_new(struct store *st, int timeout_ms, store_cb *cb,
                           void *priv)
{
    struct cmd *c = xcalloc(1, sizeof *c);
    c->st = st;
    c->cb = cb;
    c->priv = priv;
    c->timeout_ms = timeout_ms > 0 ? timeout_ms : st->timeout_ms;
    st->pending++;
    return c;
}

/* Sends a RESP-formatted command (len < 0: formatting failed). */
static void send_formatted(struct cmd *c, char *buf, int len)
{
    struct store *st = c->st;
    if (len < 0) {
        defer_fail(c, ERR_INTERNAL, "could not format the store command");
        return;
    }
    name_from_resp(buf, (size_t)len, c->name, sizeof c->name);
    if (redisAsyncFormattedCommand(st->ac, on_reply, c, buf, (size_t)len) !=
        REDIS_OK) {
        defer_fail(c, ERR_UNAVAILABLE, "store connection is closing");
    } else {
        struct timeval tv = {c->timeout_ms / 1000,
                             (c->timeout_ms % 1000) * 1000};
        c->timer = evtimer_new(st->base, on_cmd_timeout, c);
        evtimer_add(c->timer,
                    c->timeout_ms == st->timeout_ms ? st->cmd_tv : &tv);
    }
    redisFreeCommand(buf);
}

void store_commandv_timeout(struct store *st, int timeout_ms, int argc,
                            const char **argv, const size_t *argvlen,
                            store_cb *cb, void *priv)
{
    struct cmd *c = cmd_new(st, timeout_ms, cb, priv);
    /* While a command is overdue, Redis is frozen or swamped: a new one
     * would only wait behind it, and failing it unsent changes nothing. */
    if (!can_send(st)) {
        defer_fail(c, ERR_UNAVAILABLE, down_reason(st));
        return;
    }
    char *buf = NULL;
    int len = argc > 0 ? redisFormatCommandArgv(&buf, argc, argv, argvlen) : -1;
    send_formatted(c, buf, len);
}

void store_commandv(struct store *st, int argc, const char **argv,
                    const size_t *argvlen, store_cb *cb, void *priv)
{
    store_commandv_timeout(st, 0, argc, argv, argvlen, cb, priv);
}

void store_command(struct store *st, store_cb *cb, void *priv, const char *fmt,
                   ...)
{
    struct cmd *c = cmd_new(st, 0, cb, priv);
    if (!can_send(st)) {
        defer_fail(c, ERR_UNAVAILABLE, down_reason(st));
        return;
    }
    char *buf = NULL;
    va_list ap;
    va_start(ap, fmt);
    int len = redisvFormatCommand(&buf, fmt, ap);
    va_end(ap);
    send_formatted(c, buf, len);
}

/* ---- lifetime ----------------------------------------------------------- */

struct store *store_new(struct event_base *base, const struct store_config *cfg,
                        store_link_cb *link_cb, void *link_priv,
                        struct err *err)
{
    if (cfg->timeout_ms <= 0) {
        err_set(err, ERR_BAD_REQUEST, "redis timeout must be positive");
        return NULL;
    }
    struct store *st = xcalloc(1, sizeof *st);
    if (cfg->sentinel != NULL && cfg->sentinel[0] != '\0') {
        /* The primary's address comes from the sentinels. */
        st->sentinels = xcalloc(1, sizeof *st->sentinels);
        if (sentinel_parse(cfg->sentinel, st->sentinels, err) < 0) {
            free(st->sentinels);
            free(st);
            return NULL;
        }
    } else if (resolve(st, cfg->addr, err) < 0) {
        free(st);
        return NULL;
    }
    st->base = base;
    if (cfg->password != NULL && cfg->password[0] != '\0')
        st->password = xstrdup(cfg->password);
    if (cfg->functions != NULL && cfg->functions_len > 0) {
        st->functions = xmalloc(cfg->functions_len);
        memcpy(st->functions, cfg->functions, cfg->functions_len);
        st->functions_len = cfg->functions_len;
    }
    st->timeout_ms = cfg->timeout_ms;
    st->cmd_tv_plain.tv_sec = cfg->timeout_ms / 1000;
    st->cmd_tv_plain.tv_usec = (cfg->timeout_ms % 1000) * 1000;
    /* Every command shares one duration: a common timeout keeps their
     * timers in a queue instead of the heap. */
    st->cmd_tv = event_base_init_common_timeout(base, &st->cmd_tv_plain);
    if (st->cmd_tv == NULL)
        st->cmd_tv = &st->cmd_tv_plain;
    st->link_cb = link_cb;
    st->link_priv = link_priv;
    st->backoff_ms = BACKOFF_MIN_MS;
    st->connect_timer = evtimer_new(base, on_connect_timeout, st);
    st->retry_timer = evtimer_new(base, on_retry, st);
    st->drop_ev = event_new(base, -1, 0, on_drop, st);
    st->defer_ev = event_new(base, -1, 0, on_defer, st);
    if (!st->connect_timer || !st->retry_timer || !st->drop_ev ||
        !st->defer_ev) {
        err_set(err, ERR_INTERNAL, "cannot create the store's timers");
        store_free(st);
        return NULL;
    }
    connect_start(st);
    return st;
}

bool store_is_up(const struct store *st)
{
    return st->state == LINK_UP && st->zombies == 0;
}

size_t store_pending(const struct store *st)
{
    return st->pending;
}

void store_free(struct store *st)
{
    if (st == NULL)
        return;
    /* From inside a callback the caller's own frame, or hiredis's, would
     * still use what is freed here. */
    assert(st->user_depth == 0);
    st->freeing = true;
    sentinel_cancel(st->query);
    st->query = NULL;
    if (st->ac != NULL) {
        redisAsyncContext *ac = st->ac;
        st->ac = NULL;
        st->state = LINK_IDLE;
        /* Runs every pending callback with a NULL reply (on_reply fails
         * them); on_disconnect then sees a context that is not current. */
        redisAsyncFree(ac);
    }
    /* Callbacks may queue more commands; each is failed in turn. */
    while (st->defer_head != NULL)
        run_deferred(st);
    if (st->connect_timer)
        event_free(st->connect_timer);
    if (st->retry_timer)
        event_free(st->retry_timer);
    if (st->drop_ev)
        event_free(st->drop_ev);
    if (st->defer_ev)
        event_free(st->defer_ev);
    if (st->password != NULL)
        explicit_bzero(st->password, strlen(st->password));
    free(st->password);
    free(st->functions);
    free(st->sentinels);
    free(st);
}

int store_primary(const struct store *st, char *host, size_t hostlen, int *port)
{
    if (st->naddrs == 0)
        return -1;
    snprintf(host, hostlen, "%s", st->addrs[st->addr_idx]);
    *port = st->port;
    return 0;
}
