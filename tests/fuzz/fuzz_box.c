/* fuzz_box.c: the daemon's request path for one fuzz input (fuzz_box.h):
 * the real server, connection, scanner, dispatcher and handlers, with the
 * stub store in place of Redis. */
#include "fuzz_box.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <msgpack.h>

#include "auth.h"
#include "config.h"
#include "conn.h"
#include "follow.h"
#include "log.h"
#include "match.h"
#include "notify.h"
#include "rpc.h"
#include "handlers.h"
#include "server.h"
#include "store.h"
#include "store_stub.h"
#include "subs.h"
#include "transport.h"
#include "xmalloc.h"
#include "fuzz_rand.h"

#define ADMIN_TOKEN "fuzz-admin-token-0123456789"
/* Loop turns after the last byte before the box stops waiting: enough for
 * every chain of stub answers a request can start (each link is one turn). */
#define SETTLE_TURNS 400

static struct event_base *base;
static struct config cfg;

/* What the daemon sent back, checked once the input is done. */
static struct {
    char *p;
    size_t len, cap;
} got;

static void on_change(void *priv, const char *event, const char *kind,
                      const char *id, long long version, const char *last)
{
    /* The follower reports what it learns; the box has no other daemon. */
}

static uint64_t clock_ms(void)
{
    return now_us() / 1000;
}

void box_init(void)
{
    struct err err;
    signal(SIGPIPE, SIG_IGN);
    /* Debug records go through their formatting with fuzzed text, then
     * nowhere. */
    if (log_open("/dev/null") < 0)
        abort();
    log_min_level = LOG_DEBUG;
    config_defaults(&cfg);
    if (config_set(&cfg, "admin-token", ADMIN_TOKEN, &err) < 0 ||
        auth_init(&cfg, &err) < 0) {
        fprintf(stderr, "fuzz_box: %s\n", err.msg);
        abort();
    }
    /* schedule.optimize connects to Redis from a worker thread on its own;
     * it asks the store for the address (store_stub.c knows none), and an
     * address it cannot parse would stop it too: never a real server. */
    static char no_store[] = "no-store-in-the-fuzzer";
    cfg.redis = no_store; /* cfg lives as long as the process */
    base = event_base_new();
    if (base == NULL)
        abort();
    rpc_init();
    subs_init(match_watch);
}

/* Takes everything the daemon has written so far. */
static void drain(int fd)
{
    for (;;) {
        if (got.cap - got.len < 4096) {
            got.cap = got.cap ? 2 * got.cap : 16384;
            got.p = xrealloc(got.p, got.cap);
        }
        ssize_t n = recv(fd, got.p + got.len, got.cap - got.len, MSG_DONTWAIT);
        if (n > 0)
            got.len += (size_t)n;
        else if (n < 0 && errno == EINTR)
            continue;
        else
            return;
    }
}

static void turn(int fd)
{
    event_base_loop(base, EVLOOP_NONBLOCK);
    drain(fd);
}

static void send_all(int fd, const uint8_t *p, size_t n)
{
    /* The daemon reads at most a request's limit ahead: a full socket
     * means it waits for us to read replies (back-pressure), or it has
     * stopped reading for good (a close after an error). */
    for (int stuck = 0; n > 0 && stuck < 64;) {
        ssize_t w = send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            stuck = 0;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            turn(fd);
            stuck++;
        } else {
            return; /* closed by the daemon */
        }
    }
}

static bool is_str(const msgpack_object *o)
{
    return o->type == MSGPACK_OBJECT_STR;
}

/* A reply that breaks the contract: shown, then a crash for libFuzzer. */
static void bad_reply(const char *why, const msgpack_object *o)
{
    fprintf(stderr, "fuzz_box: reply breaks the contract (%s): ", why);
    msgpack_object_print(stderr, *o);
    fprintf(stderr, "\nfuzz_box: all %zu bytes of output:\n", got.len);
    for (size_t i = 0; i < got.len; i++)
        fprintf(stderr, "%02x%s", (unsigned char)got.p[i],
                i % 32 == 31 ? "\n" : "");
    fputc('\n', stderr);
    abort();
}

/* The contract's envelope: [1, msgid, error, result] with error nil or
 * {code, message} of a known code (and result nil then), or a
 * notification [2, method, params]. */
static void check_reply(const msgpack_object *o)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < 3 ||
        o->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        bad_reply("not an envelope", o);
    const msgpack_object *e = o->via.array.ptr;
    if (e[0].via.u64 == 2) {
        if (o->via.array.size != 3 || !is_str(&e[1]) ||
            e[2].type != MSGPACK_OBJECT_ARRAY)
            bad_reply("notification shape", o);
        return;
    }
    if (e[0].via.u64 != 1 || o->via.array.size != 4 ||
        e[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        e[1].via.u64 > UINT32_MAX)
        bad_reply("response shape", o);
    if (e[2].type == MSGPACK_OBJECT_NIL)
        return;
    const msgpack_object_map *m = &e[2].via.map;
    if (e[2].type != MSGPACK_OBJECT_MAP || m->size != 2 ||
        e[3].type != MSGPACK_OBJECT_NIL)
        bad_reply("error shape", o);
    for (uint32_t i = 0; i < 2; i++)
        if (!is_str(&m->ptr[i].key) || !is_str(&m->ptr[i].val))
            bad_reply("error fields", o);
    const msgpack_object_str *code = &m->ptr[0].val.via.str;
    if (errcode_from_name(code->ptr, code->size) == ERR_NONE)
        bad_reply("error code", o);
}

/* Every byte written must be whole replies (a last one may still be on
 * its way when the box stops). */
static void check_output(void)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    size_t off = 0;
    while (off < got.len) {
        msgpack_object o;
        msgpack_unpack_return r =
            msgpack_unpack(got.p, got.len, &off, &zone, &o);
        if (r == MSGPACK_UNPACK_CONTINUE)
            break;
        if (r != MSGPACK_UNPACK_SUCCESS && r != MSGPACK_UNPACK_EXTRA_BYTES)
            abort();
        check_reply(&o);
        msgpack_zone_clear(&zone);
    }
    msgpack_zone_destroy(&zone);
}

static void set_identity(struct conn *c, enum box_identity who)
{
    if (who == BOX_NONE)
        return;
    if (who == BOX_ADMIN) {
        c->role = ROLE_ADMIN;
        snprintf(c->token_id, sizeof c->token_id, "admin");
        return;
    }
    static const enum role roles[] = {[BOX_ORGANIZER] = ROLE_ORGANIZER,
                                      [BOX_APP] = ROLE_APP,
                                      [BOX_KIOSK] = ROLE_KIOSK,
                                      [BOX_EXPIRED] = ROLE_ORGANIZER};
    c->role = roles[who];
    snprintf(c->event, sizeof c->event, "%s", BOX_EVENT);
    snprintf(c->token_id, sizeof c->token_id, "0123456789abcdef");
    if (who == BOX_EXPIRED)
        c->token_expires = 1;
}

void box_run(enum box_identity who, bool sane_store, const uint8_t *script,
             size_t script_len, const uint8_t *stream, size_t stream_len,
             unsigned max_chunk, uint32_t chunk_seed)
{
    struct server srv;
    struct err err;
    int sv[2];
    got.len = 0;
    server_init(&srv, base, &cfg, &err);
    struct match_config mc = {.active_seconds = 60, .active_max = 100};
    match_init(&mc, notify_match_new, NULL);
    match_set_clock(clock_ms);
    struct store_config sc = {.addr = cfg.redis, .timeout_ms = 1000};
    srv.store = store_new(base, &sc, NULL, NULL, &err);
    srv.follow = follow_new(base, &sc, on_change, NULL, &err);
    stub_script(script, script_len, sane_store);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
        fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK) < 0)
        abort();
    struct conn *c = conn_new(&srv, sv[0], "fuzz", transport_raw_attach);
    if (c == NULL)
        abort();
    set_identity(c, who);

    size_t off = 0;
    while (off < stream_len) {
        size_t n = stream_len - off;
        if (max_chunk > 0) {
            size_t want = 1 + next_rand(&chunk_seed) % max_chunk;
            if (want < n)
                n = want;
        }
        send_all(sv[1], stream + off, n);
        off += n;
        turn(sv[1]);
    }
    /* Replies that wait on the stub come a turn or more later. */
    for (int i = 0, quiet = 0; i < SETTLE_TURNS && quiet < 3; i++) {
        size_t before = got.len;
        turn(sv[1]);
        quiet = stub_pending_total() == 0 && got.len == before ? quiet + 1 : 0;
    }
    if (sane_store)
        check_output();

    /* Shut down as main.c does: the store first, so that requests waiting
     * on it complete, then the follower, the connections, the engine. */
    close(sv[1]);
    event_base_loop(base, EVLOOP_NONBLOCK);
    schedule_shutdown();
    store_free(srv.store);
    follow_free(srv.follow);
    server_free(&srv);
    event_base_loop(base, EVLOOP_NONBLOCK);
    subs_cleanup();
    match_shutdown();
}
