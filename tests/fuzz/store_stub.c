/* store_stub.c: store.h implemented without Redis for the fuzzers (see
 * store_stub.h). The daemon's handlers are linked unchanged; only this
 * file stands where daemon/store.c would. */
#include "store_stub.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "store.h"
#include "xmalloc.h"

#define MAX_NEST 3  /* arrays in arrays; hiredis allows 7 */
#define MAX_ELEMS 8 /* elements per generated array */
#define MAX_STRING 24

/* One command whose callback waits for the next loop turn. */
struct pending {
    struct pending *next;
    struct store *st;
    store_cb *cb;
    void *priv;
    redisReply *reply; /* NULL when err is set */
    struct err err;
    bool failed;
};

struct store {
    struct event *fire; /* runs the callbacks of queued answers */
    struct pending *head, *tail;
    bool freeing;
};

static const uint8_t *script;
static size_t script_len, script_off;
static bool trusted;
static size_t npending;
static uint64_t ncommands;

void stub_script(const uint8_t *data, size_t len, bool as_written)
{
    trusted = as_written;
    script = data;
    script_len = len;
    script_off = 0;
}

size_t stub_pending_total(void)
{
    return npending;
}

uint64_t stub_commands_total(void)
{
    return ncommands;
}

/* The next script byte; false once the script is used up. */
static bool take(uint8_t *b)
{
    if (script_off >= script_len)
        return false;
    *b = script[script_off++];
    return true;
}

static uint8_t take_or(uint8_t dflt)
{
    uint8_t b;
    return take(&b) ? b : dflt;
}

static redisReply *reply_new(int type)
{
    redisReply *r = xcalloc(1, sizeof *r);
    r->type = type;
    return r;
}

/* Strings from hiredis are always NUL-terminated; handlers rely on it. */
static redisReply *reply_str(int type, const char *s, size_t len)
{
    redisReply *r = reply_new(type);
    r->str = xmalloc(len + 1);
    memcpy(r->str, s, len);
    r->str[len] = '\0';
    r->len = len;
    return r;
}

static redisReply *reply_int(long long v)
{
    redisReply *r = reply_new(REDIS_REPLY_INTEGER);
    r->integer = v;
    return r;
}

static void reply_free(redisReply *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->elements; i++)
        reply_free(r->element[i]);
    free(r->element);
    free(r->str);
    free(r);
}

/* A stored record as the daemon writes them: a MessagePack map of a few
 * known fields with small integers or short strings as values. */
static redisReply *stored_map(void)
{
    static const char *const keys[] = {"id",   "company", "status",  "slot",
                                       "from", "to",      "meeting", "table"};
    char buf[256];
    size_t n = take_or(0) % 4, len = 0;
    buf[len++] = (char)(0x80 | n);
    for (size_t i = 0; i < n; i++) {
        const char *k = keys[take_or(0) % 8];
        buf[len++] = (char)(0xa0 | strlen(k));
        memcpy(buf + len, k, strlen(k));
        len += strlen(k);
        uint8_t v = take_or(0);
        if (v & 0x80) {
            buf[len++] = (char)(v & 0x7f); /* positive fixint */
        } else {
            buf[len++] = (char)0xa2;
            buf[len++] = (char)('a' + v % 26);
            buf[len++] = (char)('0' + v % 10);
        }
    }
    return reply_str(REDIS_REPLY_STRING, buf, len);
}

/* A reply value chosen by the script: nil, integer, status, string
 * (arbitrary bytes or a number as text) or an array of such values. */
static redisReply *gen_value(int depth)
{
    uint8_t k = take_or(0);
    switch (k % 6) {
    case 0: return reply_new(REDIS_REPLY_NIL);
    case 1: return reply_int((int8_t)take_or(1));
    case 2: return reply_str(REDIS_REPLY_STATUS, "OK", 2);
    case 3: {
        size_t n = take_or(0) % (MAX_STRING + 1);
        if (n > script_len - script_off)
            n = script_len - script_off;
        const char *s = (const char *)script + script_off;
        script_off += n;
        if (!trusted)
            return reply_str(REDIS_REPLY_STRING, s, n);
        /* As a MessagePack str, one whole object. */
        char buf[1 + MAX_STRING];
        buf[0] = (char)(0xa0 | n);
        memcpy(buf + 1, s, n);
        return reply_str(REDIS_REPLY_STRING, buf, n + 1);
    }
    case 4: {
        char num[8];
        if (trusted)
            return stored_map();
        int n = snprintf(num, sizeof num, "%u", take_or(1));
        return reply_str(REDIS_REPLY_STRING, num, (size_t)n);
    }
    default: {
        if (depth >= MAX_NEST)
            return reply_new(REDIS_REPLY_NIL);
        redisReply *r = reply_new(REDIS_REPLY_ARRAY);
        r->elements = take_or(0) % (MAX_ELEMS + 1);
        r->element = xcalloc(r->elements ? r->elements : 1, sizeof *r->element);
        for (size_t i = 0; i < r->elements; i++)
            r->element[i] = gen_value(depth + 1);
        return r;
    }
    }
}

/* Splits "em:{E}:kind:ID" into E and ID; false for any other shape. */
static bool split_key(const char *key, size_t len, const char *kind,
                      char event[65], char id[65])
{
    char k[256];
    if (len >= sizeof k)
        return false;
    memcpy(k, key, len);
    k[len] = '\0';
    char *open = strstr(k, "em:{"), *close = strstr(k, "}:");
    if (open != k || close == NULL || close - (k + 4) > 64)
        return false;
    size_t elen = (size_t)(close - (k + 4));
    memcpy(event, k + 4, elen);
    event[elen] = '\0';
    const char *rest = close + 2;
    size_t kl = strlen(kind);
    if (strncmp(rest, kind, kl) != 0 || rest[kl] != ':' ||
        strlen(rest + kl + 1) > 64)
        return false;
    snprintf(id, 65, "%s", rest + kl + 1);
    return true;
}

static bool arg_is(int argc, const char **argv, const size_t *len, int i,
                   const char *s)
{
    return i < argc && len[i] == strlen(s) && memcmp(argv[i], s, len[i]) == 0;
}

/* em_badge_get answers [digest of STUB_BADGE, locked?] so that a kiosk
 * call with the right badge goes on to its handler; the script picks the
 * lock flag. NULL for other commands. */
static redisReply *badge_answer(int argc, const char **argv, const size_t *len)
{
    char event[65], id[65], digest[AUTH_DIGEST_HEX];
    if (!arg_is(argc, argv, len, 1, "em_badge_get") || argc < 4 ||
        !split_key(argv[3], len[3], "p", event, id))
        return NULL;
    auth_digest("badge", event, id, STUB_BADGE, strlen(STUB_BADGE), digest);
    redisReply *r = reply_new(REDIS_REPLY_ARRAY);
    r->elements = 2;
    r->element = xcalloc(2, sizeof *r->element);
    r->element[0] = reply_str(REDIS_REPLY_STRING, digest, strlen(digest));
    r->element[1] = reply_int(take_or(0) % 8 == 7);
    return r;
}

/* HMGET em:{E}:tok:ID role digest expires revoked answers a token record
 * for STUB_TOKEN_SECRET with a role, expiry and revocation the script
 * picks, so that the real auth path can succeed. NULL for others. */
static redisReply *token_answer(int argc, const char **argv, const size_t *len)
{
    static const char *const roles[] = {"organizer", "kiosk", "app", "admin",
                                        ""};
    char event[65], id[65], digest[AUTH_DIGEST_HEX];
    if (!arg_is(argc, argv, len, 0, "HMGET") || argc != 6 ||
        !split_key(argv[1], len[1], "tok", event, id))
        return NULL;
    auth_digest("token", event, id, STUB_TOKEN_SECRET,
                strlen(STUB_TOKEN_SECRET), digest);
    uint8_t b = take_or(0);
    const char *role = roles[b % 5];
    redisReply *r = reply_new(REDIS_REPLY_ARRAY);
    r->elements = 4;
    r->element = xcalloc(4, sizeof *r->element);
    r->element[0] = reply_str(REDIS_REPLY_STRING, role, strlen(role));
    r->element[1] = reply_str(REDIS_REPLY_STRING, digest, strlen(digest));
    /* An expiry long past, none, or far ahead. */
    const char *exp = (b >> 3) % 3 == 0   ? "1"
                      : (b >> 3) % 3 == 1 ? "0"
                                          : "4102444800";
    r->element[2] = reply_str(REDIS_REPLY_STRING, exp, strlen(exp));
    r->element[3] = (b & 0x80) ? reply_str(REDIS_REPLY_STRING, "1", 1)
                               : reply_new(REDIS_REPLY_NIL);
    return r;
}

static void on_fire(evutil_socket_t fd, short what, void *arg);

static void enqueue(struct store *st, store_cb *cb, void *priv,
                    redisReply *reply, enum errcode code, const char *msg)
{
    struct pending *p = xcalloc(1, sizeof *p);
    p->st = st;
    p->cb = cb;
    p->priv = priv;
    p->reply = reply;
    if (reply == NULL) {
        p->failed = true;
        err_set(&p->err, code, "%s", msg);
    }
    if (st->tail)
        st->tail->next = p;
    else
        st->head = p;
    st->tail = p;
    npending++;
    ncommands++;
    if (!st->freeing)
        event_active(st->fire, 0, 0);
}

/* The answer to a command: a special one for badge and token look-ups,
 * else an error or a value as the script says. */
static void answer(struct store *st, int argc, const char **argv,
                   const size_t *len, store_cb *cb, void *priv)
{
    if (st->freeing || script_off >= script_len) {
        enqueue(st, cb, priv, NULL, ERR_UNAVAILABLE, "stub: no answer");
        return;
    }
    redisReply *r = argv ? badge_answer(argc, argv, len) : NULL;
    if (r == NULL && argv)
        r = token_answer(argc, argv, len);
    if (r != NULL) {
        enqueue(st, cb, priv, r, ERR_NONE, NULL);
        return;
    }
    uint8_t k = take_or(0);
    if (k % 8 == 0) {
        enqueue(st, cb, priv, NULL, ERR_UNAVAILABLE, "stub: timed out");
    } else if (k % 8 == 1) {
        enum errcode code = (enum errcode)(1 + take_or(0) % (ERR__COUNT - 1));
        enqueue(st, cb, priv, NULL, code, "stub: error from a function");
    } else {
        enqueue(st, cb, priv, gen_value(0), ERR_NONE, NULL);
    }
}

/* Runs the callbacks queued so far, in order; those they queue run on a
 * later turn, as replies from a real connection would. */
static void run_queue(struct store *st)
{
    struct pending *p = st->head;
    st->head = st->tail = NULL;
    while (p) {
        struct pending *next = p->next;
        npending--;
        p->cb(p->priv, p->failed ? NULL : p->reply, p->failed ? &p->err : NULL);
        reply_free(p->reply);
        free(p);
        p = next;
    }
}

static void on_fire(evutil_socket_t fd, short what, void *arg)
{
    run_queue(arg);
}

struct store *store_new(struct event_base *base, const struct store_config *cfg,
                        store_link_cb *link_cb, void *link_priv,
                        struct err *err)
{
    /* The link never comes up: link_cb is not called, so the follower
     * sends nothing of its own; commands sent anyway are answered. */
    struct store *st = xcalloc(1, sizeof *st);
    st->fire = event_new(base, -1, 0, on_fire, st);
    return st;
}

void store_commandv(struct store *st, int argc, const char **argv,
                    const size_t *argvlen, store_cb *cb, void *priv)
{
    store_commandv_timeout(st, 0, argc, argv, argvlen, cb, priv);
}

void store_commandv_timeout(struct store *st, int timeout_ms, int argc,
                            const char **argv, const size_t *argvlen,
                            store_cb *cb, void *priv)
{
    /* Formatting as hiredis would catches arguments it cannot send. */
    char *buf = NULL;
    long long n = redisFormatCommandArgv(&buf, argc, argv, argvlen);
    if (n < 0)
        abort();
    free(buf);
    answer(st, argc, argv, argvlen, cb, priv);
}

void store_command(struct store *st, store_cb *cb, void *priv, const char *fmt,
                   ...)
{
    char *buf = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = redisvFormatCommand(&buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    free(buf);
    answer(st, 0, NULL, NULL, cb, priv);
}

bool store_is_up(const struct store *st)
{
    return false;
}

int store_primary(const struct store *st, char *host, size_t hostlen, int *port)
{
    /* No primary is ever known: schedule.optimize, whose worker thread
     * would connect to it, stops there after checking its arguments. */
    return -1;
}

size_t store_pending(const struct store *st)
{
    size_t n = 0;
    for (const struct pending *p = st->head; p; p = p->next)
        n++;
    return n;
}

void store_free(struct store *st)
{
    if (st == NULL)
        return;
    st->freeing = true;
    /* Pending commands fail now; those their callbacks send fail too. */
    for (struct pending *p = st->head; p; p = p->next) {
        reply_free(p->reply);
        p->reply = NULL;
        p->failed = true;
        err_set(&p->err, ERR_UNAVAILABLE, "stub: store closed");
    }
    while (st->head)
        run_queue(st);
    event_free(st->fire);
    free(st);
}
