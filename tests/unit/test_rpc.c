/* test_rpc.c: requests in, replies out over a socketpair, no Redis: framing,
 * envelopes, pre-auth rules, limits, exact reply bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <msgpack.h>

#include "auth.h"
#include "config.h"
#include "conn.h"
#include "log.h"
#include "metrics.h"
#include "rpc.h"
#include "server.h"
#include "transport.h"

#define ADMIN_TOKEN "x-admin-token-0123456789"
#define WAIT_MS 3000 /* longest wait for a reply or a close */
#define QUIET_MS 30  /* how long "no reply" is watched for */
#define PREAUTH_LIMIT (16 * 1024)

enum closed { OPEN = 0, CLOSED_EOF, CLOSED_RESET };

/* One daemon (event base, config, server) with one connection whose client
 * end the test drives. */
struct fx {
    struct event_base *base;
    struct config cfg;
    struct server srv;
    int cfd;  /* client end of the socketpair */
    char *in; /* bytes received and not yet taken */
    size_t in_len, in_cap;
    enum closed closed; /* what the last recv said about the stream */
    int close_errno;
    char *raw; /* the last reply's bytes */
    size_t raw_len;
    msgpack_zone zone; /* holds the last reply, decoded */
    msgpack_object obj;
};

/* ---- plumbing ---- */

static uint64_t ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Reads whatever the server has sent so far; notes EOF or a reset. */
static void recv_avail(struct fx *f)
{
    while (f->closed == OPEN) {
        if (f->in_cap - f->in_len < 4096) {
            f->in_cap = f->in_cap ? 2 * f->in_cap : 8192;
            f->in = realloc(f->in, f->in_cap);
            assert_non_null(f->in);
        }
        ssize_t n = recv(f->cfd, f->in + f->in_len, f->in_cap - f->in_len,
                         MSG_DONTWAIT);
        if (n > 0) {
            f->in_len += (size_t)n;
        } else if (n == 0) {
            f->closed = CLOSED_EOF;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break;
        } else {
            f->closed = CLOSED_RESET;
            f->close_errno = errno;
        }
    }
}

/* One turn: runs the server's ready callbacks, then reads what came back. */
static void turn(struct fx *f)
{
    event_base_loop(f->base, EVLOOP_NONBLOCK);
    recv_avail(f);
}

/* Waits a little for the client end to become readable. */
static void nap(struct fx *f)
{
    struct pollfd p = {.fd = f->cfd, .events = POLLIN};
    (void)poll(&p, 1, 1);
}

static void send_bytes(struct fx *f, const void *data, size_t n)
{
    const char *s = data;
    uint64_t deadline = ms_now() + WAIT_MS;
    while (n > 0) {
        ssize_t w = send(f->cfd, s, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w > 0) {
            s += w;
            n -= (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
                             errno == EINTR)) {
            if (ms_now() > deadline)
                fail_msg("send stalled with %zu bytes left", n);
            turn(f); /* let the server read some */
        } else {
            fail_msg("send: %s", strerror(errno));
        }
    }
}

static void send_sbuf(struct fx *f, msgpack_sbuffer *sb)
{
    send_bytes(f, sb->data, sb->size);
}

/* Takes one whole reply off the front of the received bytes, if there is
 * one: its bytes go to f->raw and its decoded form to f->obj. */
static bool take_reply(struct fx *f)
{
    size_t off = 0;
    msgpack_object tmp;
    msgpack_zone_clear(&f->zone);
    msgpack_unpack_return r =
        msgpack_unpack(f->in, f->in_len, &off, &f->zone, &tmp);
    if (r == MSGPACK_UNPACK_CONTINUE)
        return false;
    if (r != MSGPACK_UNPACK_SUCCESS && r != MSGPACK_UNPACK_EXTRA_BYTES)
        fail_msg("the server sent bytes that are not MessagePack (%d)", r);
    /* Decoded objects point into their input: decode again from a copy that
     * stays put while the input buffer moves on. */
    free(f->raw);
    f->raw = malloc(off);
    assert_non_null(f->raw);
    memcpy(f->raw, f->in, off);
    f->raw_len = off;
    memmove(f->in, f->in + off, f->in_len - off);
    f->in_len -= off;
    size_t off2 = 0;
    msgpack_zone_clear(&f->zone);
    r = msgpack_unpack(f->raw, f->raw_len, &off2, &f->zone, &f->obj);
    assert_int_equal(r, MSGPACK_UNPACK_SUCCESS);
    return true;
}

/* Waits (bounded) for the next reply and returns it decoded. */
static const msgpack_object *next_reply(struct fx *f)
{
    uint64_t deadline = ms_now() + WAIT_MS;
    for (;;) {
        turn(f);
        if (take_reply(f))
            return &f->obj;
        if (f->closed != OPEN)
            fail_msg("connection closed before a reply came (%s)",
                     f->closed == CLOSED_EOF ? "EOF"
                                             : strerror(f->close_errno));
        if (ms_now() > deadline)
            fail_msg("no reply within %d ms", WAIT_MS);
        nap(f);
    }
}

/* Waits (bounded) for the server to close the connection, with no further
 * bytes before the close. A reset is accepted only when allow_reset: the
 * server closes with the rest of an oversized request unread, which a Unix
 * socket reports to the peer as ECONNRESET after the data. */
static void expect_closed(struct fx *f, bool allow_reset)
{
    uint64_t deadline = ms_now() + WAIT_MS;
    while (f->closed == OPEN) {
        if (ms_now() > deadline)
            fail_msg("the server did not close within %d ms", WAIT_MS);
        turn(f);
        nap(f);
    }
    assert_int_equal(f->in_len, 0);
    if (f->closed == CLOSED_RESET && !allow_reset)
        fail_msg("expected EOF, got %s", strerror(f->close_errno));
    if (f->closed == CLOSED_RESET)
        assert_int_equal(f->close_errno, ECONNRESET);
    /* Closed and freed: nothing is left on the server's list. */
    turn(f);
    assert_null(f->srv.conns);
    assert_int_equal(f->srv.nconns, 0);
}

/* Runs the loop for a while and checks that nothing came back and the
 * connection is still open. */
static void expect_quiet(struct fx *f)
{
    uint64_t end = ms_now() + QUIET_MS;
    while (ms_now() < end) {
        turn(f);
        nap(f);
    }
    assert_int_equal(f->in_len, 0);
    assert_int_equal(f->closed, OPEN);
    assert_int_equal(f->srv.nconns, 1);
}

/* ---- building requests ---- */

/* Starts [0, msgid, method, ...] in sb; the caller packs params. */
static msgpack_packer req_begin(msgpack_sbuffer *sb, uint32_t msgid,
                                const char *method)
{
    msgpack_packer pk;
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint32(&pk, 0);
    msgpack_pack_uint32(&pk, msgid);
    mp_pack_cstr(&pk, method);
    return pk;
}

/* Sends [0, msgid, method, []]. */
static void send_call(struct fx *f, uint32_t msgid, const char *method)
{
    msgpack_sbuffer sb;
    msgpack_packer pk = req_begin(&sb, msgid, method);
    msgpack_pack_array(&pk, 0);
    send_sbuf(f, &sb);
    msgpack_sbuffer_destroy(&sb);
}

/* Packs [0, msgid, "auth", [{"token": token}]] into sb. */
static void pack_auth(msgpack_sbuffer *sb, uint32_t msgid, const char *token)
{
    msgpack_packer pk = req_begin(sb, msgid, "auth");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 1);
    mp_pack_cstr(&pk, "token");
    mp_pack_cstr(&pk, token);
}

static void send_auth(struct fx *f, uint32_t msgid, const char *token)
{
    msgpack_sbuffer sb;
    pack_auth(&sb, msgid, token);
    send_sbuf(f, &sb);
    msgpack_sbuffer_destroy(&sb);
}

/* Packs [0, msgid, "ping", [{"pad": "aaa..."}]] of exactly total bytes. */
static void pack_padded_ping(msgpack_sbuffer *sb, uint32_t msgid, size_t total)
{
    msgpack_packer pk = req_begin(sb, msgid, "ping");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 1);
    mp_pack_cstr(&pk, "pad");
    /* What is packed so far plus a str16 header (the pad is 256..65535). */
    size_t padlen = total - sb->size - 3;
    char *pad = malloc(padlen);
    assert_non_null(pad);
    memset(pad, 'a', padlen);
    mp_pack_strn(&pk, pad, padlen);
    free(pad);
    assert_int_equal(sb->size, total);
}

/* ---- checking replies ---- */

static bool str_is(const msgpack_object *o, const char *s)
{
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(s) &&
           memcmp(o->via.str.ptr, s, o->via.str.size) == 0;
}

static void assert_str(const msgpack_object *o, const char *s)
{
    if (!str_is(o, s)) {
        if (o->type == MSGPACK_OBJECT_STR)
            fail_msg("expected \"%s\", got \"%.*s\"", s, (int)o->via.str.size,
                     o->via.str.ptr);
        fail_msg("expected \"%s\", got an object of type %d", s, o->type);
    }
}

/* The value of a str key in a map; NULL if absent. */
static const msgpack_object *map_get(const msgpack_object *m, const char *key)
{
    assert_int_equal(m->type, MSGPACK_OBJECT_MAP);
    for (uint32_t i = 0; i < m->via.map.size; i++)
        if (str_is(&m->via.map.ptr[i].key, key))
            return &m->via.map.ptr[i].val;
    return NULL;
}

/* Checks [1, msgid, _, _] and returns the reply's elements. */
static const msgpack_object *assert_envelope(const msgpack_object *o,
                                             uint32_t msgid)
{
    assert_int_equal(o->type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal(o->via.array.size, 4);
    const msgpack_object *el = o->via.array.ptr;
    assert_int_equal(el[0].type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    assert_int_equal(el[0].via.u64, 1);
    assert_int_equal(el[1].type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    assert_int_equal(el[1].via.u64, msgid);
    return el;
}

/* Checks a success reply and returns its result. */
static const msgpack_object *assert_result(const msgpack_object *o,
                                           uint32_t msgid)
{
    const msgpack_object *el = assert_envelope(o, msgid);
    if (el[2].type != MSGPACK_OBJECT_NIL) {
        const msgpack_object *msg = NULL;
        if (el[2].type == MSGPACK_OBJECT_MAP)
            msg = map_get(&el[2], "message");
        if (msg && msg->type == MSGPACK_OBJECT_STR)
            fail_msg("expected a result, got error: %.*s",
                     (int)msg->via.str.size, msg->via.str.ptr);
        fail_msg("expected a result, got a non-nil error");
    }
    return &el[3];
}

/* Checks [1, msgid, {code, message}, nil]: exactly those two str keys, the
 * code as given and, when part is not NULL, a message containing it. */
static void assert_error(const msgpack_object *o, uint32_t msgid,
                         const char *code, const char *part)
{
    const msgpack_object *el = assert_envelope(o, msgid);
    assert_int_equal(el[2].type, MSGPACK_OBJECT_MAP);
    assert_int_equal(el[2].via.map.size, 2);
    const msgpack_object *c = map_get(&el[2], "code");
    const msgpack_object *m = map_get(&el[2], "message");
    assert_non_null(c);
    assert_non_null(m);
    assert_str(c, code);
    assert_int_equal(m->type, MSGPACK_OBJECT_STR);
    assert_true(m->via.str.size > 0);
    if (part) {
        char text[512];
        size_t n = m->via.str.size < sizeof text - 1 ? m->via.str.size
                                                     : sizeof text - 1;
        memcpy(text, m->via.str.ptr, n);
        text[n] = '\0';
        if (strstr(text, part) == NULL)
            fail_msg("message \"%s\" does not contain \"%s\"", text, part);
    }
    assert_int_equal(el[3].type, MSGPACK_OBJECT_NIL);
}

/* Hand-encodes [1, msgid, nil, "pong"] with msgid in its smallest form. */
static size_t pong_bytes(uint32_t msgid, unsigned char *out)
{
    size_t n = 0;
    out[n++] = 0x94;
    out[n++] = 0x01;
    if (msgid <= 0x7f) {
        out[n++] = (unsigned char)msgid;
    } else if (msgid <= 0xff) {
        out[n++] = 0xcc;
        out[n++] = (unsigned char)msgid;
    } else if (msgid <= 0xffff) {
        out[n++] = 0xcd;
        out[n++] = (unsigned char)(msgid >> 8);
        out[n++] = (unsigned char)msgid;
    } else {
        out[n++] = 0xce;
        out[n++] = (unsigned char)(msgid >> 24);
        out[n++] = (unsigned char)(msgid >> 16);
        out[n++] = (unsigned char)(msgid >> 8);
        out[n++] = (unsigned char)msgid;
    }
    out[n++] = 0xc0;
    memcpy(out + n, "\xa4pong", 5);
    return n + 5;
}

/* The next reply must be exactly the pong bytes for msgid. */
static void expect_pong(struct fx *f, uint32_t msgid)
{
    unsigned char want[16];
    size_t n = pong_bytes(msgid, want);
    const msgpack_object *o = next_reply(f);
    assert_str(assert_result(o, msgid), "pong");
    assert_int_equal(f->raw_len, n);
    assert_memory_equal(f->raw, want, n);
}

/* Sends a request given as bytes and checks the exact pong bytes. */
static void check_ping_bytes(void **state, const unsigned char *req,
                             size_t reqlen, const unsigned char *want,
                             size_t wantlen)
{
    struct fx *f = *state;
    send_bytes(f, req, reqlen);
    next_reply(f);
    assert_int_equal(f->raw_len, wantlen);
    assert_memory_equal(f->raw, want, wantlen);
    expect_quiet(f);
}

/* ---- fixture ---- */

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct err err;
    int sv[2];
    if (f == NULL)
        return -1;
    f->cfd = -1;
    f->base = event_base_new();
    if (f->base == NULL)
        return -1;
    config_defaults(&f->cfg);
    if (config_set(&f->cfg, "admin-token", ADMIN_TOKEN, &err) < 0 ||
        auth_init(&f->cfg, &err) < 0 ||
        server_init(&f->srv, f->base, &f->cfg, &err) < 0) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return -1;
    if (fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK) < 0)
        return -1;
    if (conn_new(&f->srv, sv[0], "test", transport_raw_attach) == NULL)
        return -1;
    f->cfd = sv[1];
    msgpack_zone_init(&f->zone, 4096);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (f->cfd >= 0)
        close(f->cfd);
    server_free(&f->srv);
    event_base_free(f->base);
    config_free(&f->cfg);
    auth_cleanup();
    msgpack_zone_destroy(&f->zone);
    free(f->in);
    free(f->raw);
    free(f);
    return 0;
}

/* ---- ping and msgid encoding ---- */

static void test_ping_msgid_5_reply_is_exact_fixint_bytes(void **state)
{
    static const unsigned char req[] = {0x94, 0x00, 0x05, 0xa4, 'p',
                                        'i',  'n',  'g',  0x90};
    static const unsigned char want[] = {0x94, 0x01, 0x05, 0xc0, 0xa4,
                                         'p',  'o',  'n',  'g'};
    check_ping_bytes(state, req, sizeof req, want, sizeof want);
}

static void test_ping_msgid_300_reply_uses_uint16(void **state)
{
    static const unsigned char req[] = {0x94, 0x00, 0xcd, 0x01, 0x2c, 0xa4,
                                        'p',  'i',  'n',  'g',  0x90};
    static const unsigned char want[] = {0x94, 0x01, 0xcd, 0x01, 0x2c, 0xc0,
                                         0xa4, 'p',  'o',  'n',  'g'};
    check_ping_bytes(state, req, sizeof req, want, sizeof want);
}

static void test_ping_msgid_70000_reply_uses_uint32(void **state)
{
    static const unsigned char req[] = {0x94, 0x00, 0xce, 0x00, 0x01,
                                        0x11, 0x70, 0xa4, 'p',  'i',
                                        'n',  'g',  0x90};
    static const unsigned char want[] = {0x94, 0x01, 0xce, 0x00, 0x01,
                                         0x11, 0x70, 0xc0, 0xa4, 'p',
                                         'o',  'n',  'g'};
    check_ping_bytes(state, req, sizeof req, want, sizeof want);
}

static void test_ping_msgid_200_reply_uses_uint8(void **state)
{
    static const unsigned char req[] = {0x94, 0x00, 0xcc, 0xc8, 0xa4,
                                        'p',  'i',  'n',  'g',  0x90};
    static const unsigned char want[] = {0x94, 0x01, 0xcc, 0xc8, 0xc0,
                                         0xa4, 'p',  'o',  'n',  'g'};
    check_ping_bytes(state, req, sizeof req, want, sizeof want);
}

static void test_ping_msgid_uint32_max_round_trips(void **state)
{
    static const unsigned char req[] = {0x94, 0x00, 0xce, 0xff, 0xff,
                                        0xff, 0xff, 0xa4, 'p',  'i',
                                        'n',  'g',  0x90};
    static const unsigned char want[] = {0x94, 0x01, 0xce, 0xff, 0xff,
                                         0xff, 0xff, 0xc0, 0xa4, 'p',
                                         'o',  'n',  'g'};
    check_ping_bytes(state, req, sizeof req, want, sizeof want);
}

static void test_ping_msgid_sent_wide_is_answered_in_smallest_form(void **state)
{
    /* msgid 5 sent as uint32 (0xce 00 00 00 05); the reply packs 5 as a
     * positive fixint. */
    static const unsigned char req[] = {0x94, 0x00, 0xce, 0x00, 0x00,
                                        0x00, 0x05, 0xa4, 'p',  'i',
                                        'n',  'g',  0x90};
    static const unsigned char want[] = {0x94, 0x01, 0x05, 0xc0, 0xa4,
                                         'p',  'o',  'n',  'g'};
    check_ping_bytes(state, req, sizeof req, want, sizeof want);
}

static void test_ping_params_empty_array_and_empty_map_both_ok(void **state)
{
    struct fx *f = *state;
    static const unsigned char req[] = {
        0x94, 0x00, 0x01, 0xa4, 'p', 'i', 'n', 'g', 0x90,       /* [] */
        0x94, 0x00, 0x02, 0xa4, 'p', 'i', 'n', 'g', 0x91, 0x80, /* [{}] */
    };
    send_bytes(f, req, sizeof req);
    expect_pong(f, 1);
    expect_pong(f, 2);
    expect_quiet(f);
}

static void
test_ping_with_unknown_argument_is_bad_request_naming_it(void **state)
{
    struct fx *f = *state;
    msgpack_sbuffer sb;
    msgpack_packer pk = req_begin(&sb, 3, "ping");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 1);
    mp_pack_cstr(&pk, "loud");
    msgpack_pack_true(&pk);
    send_sbuf(f, &sb);
    msgpack_sbuffer_destroy(&sb);
    assert_error(next_reply(f), 3, "bad_request", "loud");
    send_call(f, 4, "ping");
    expect_pong(f, 4);
}

static void test_server_info_returns_name_version_protocol_1(void **state)
{
    struct fx *f = *state;
    send_call(f, 7, "server.info");
    const msgpack_object *res = assert_result(next_reply(f), 7);
    assert_int_equal(res->type, MSGPACK_OBJECT_MAP);
    assert_int_equal(res->via.map.size, 3);
    const msgpack_object *name = map_get(res, "name");
    const msgpack_object *version = map_get(res, "version");
    const msgpack_object *proto = map_get(res, "protocol");
    assert_non_null(name);
    assert_non_null(version);
    assert_non_null(proto);
    assert_str(name, "expomatch");
    assert_str(version, EM_VERSION);
    assert_int_equal(proto->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    assert_int_equal(proto->via.u64, 1);
    /* protocol is the fixint 0x01, the last byte of the reply. */
    assert_int_equal((unsigned char)f->raw[f->raw_len - 1], 0x01);
    expect_quiet(f);
}

/* Sends n pings in one write and checks n exact pongs in order. */
static void pipelined_pings(struct fx *f, uint32_t n)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    for (uint32_t i = 1; i <= n; i++) {
        msgpack_pack_array(&pk, 4);
        msgpack_pack_uint32(&pk, 0);
        msgpack_pack_uint32(&pk, i);
        mp_pack_cstr(&pk, "ping");
        msgpack_pack_array(&pk, 0);
    }
    send_sbuf(f, &sb);
    msgpack_sbuffer_destroy(&sb);
    for (uint32_t i = 1; i <= n; i++)
        expect_pong(f, i);
    expect_quiet(f);
}

static void test_200_pipelined_pings_get_200_replies_in_order(void **state)
{
    pipelined_pings(*state, 200);
}

static void
test_pipelined_pings_past_one_batch_all_answered_in_order(void **state)
{
    /* More than the 256 requests handled per wake-up: the rest must be
     * picked up on later turns without new input. */
    pipelined_pings(*state, 700);
}

static void test_method_name_as_bin_is_accepted(void **state)
{
    struct fx *f = *state;
    static const unsigned char req[] = {0x94, 0x00, 0x06, 0xc4, 0x04,
                                        'p',  'i',  'n',  'g',  0x90};
    send_bytes(f, req, sizeof req);
    expect_pong(f, 6);
    expect_quiet(f);
}

static void
test_client_notification_gets_no_reply_and_next_ping_works(void **state)
{
    struct fx *f = *state;
    /* [2, "hello", []], then a notification naming a real method. */
    static const unsigned char notes[] = {
        0x93, 0x02, 0xa5, 'h', 'e', 'l', 'l', 'o',  0x90,
        0x93, 0x02, 0xa4, 'p', 'i', 'n', 'g', 0x90,
    };
    send_bytes(f, notes, sizeof notes);
    expect_quiet(f);
    send_call(f, 8, "ping");
    expect_pong(f, 8);
    expect_quiet(f);
}

static void
test_unknown_method_is_error_map_and_connection_stays_open(void **state)
{
    struct fx *f = *state;
    send_call(f, 9, "no.such.method");
    assert_error(next_reply(f), 9, "unknown_method", "no.such.method");
    send_call(f, 10, "ping");
    expect_pong(f, 10);
    expect_quiet(f);
}

static void test_unknown_method_with_long_name_is_unknown_method(void **state)
{
    struct fx *f = *state;
    char name[300];
    memset(name, 'm', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    send_call(f, 11, name);
    assert_error(next_reply(f), 11, "unknown_method", "mmmm");
    send_call(f, 12, "ping");
    expect_pong(f, 12);
}

/* ---- auth ---- */

static void test_event_get_before_auth_is_unauthorized(void **state)
{
    struct fx *f = *state;
    msgpack_sbuffer sb;
    msgpack_packer pk = req_begin(&sb, 13, "event.get");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 1);
    mp_pack_cstr(&pk, "event");
    mp_pack_cstr(&pk, "gsme2026");
    send_sbuf(f, &sb);
    msgpack_sbuffer_destroy(&sb);
    assert_error(next_reply(f), 13, "unauthorized", NULL);
    send_call(f, 14, "ping");
    expect_pong(f, 14);
}

static void test_auth_with_wrong_token_is_unauthorized(void **state)
{
    struct fx *f = *state;
    /* Not the admin token, and not shaped like an event token either, so
     * it is refused without asking the (absent) store. */
    send_auth(f, 15, "x-admin-token-0123456780");
    assert_error(next_reply(f), 15, "unauthorized", NULL);
    /* Still not authenticated. */
    send_call(f, 16, "event.get");
    assert_error(next_reply(f), 16, "unauthorized", NULL);
    expect_quiet(f);
}

static void
test_auth_with_admin_token_returns_admin_and_all_events(void **state)
{
    struct fx *f = *state;
    send_auth(f, 17, ADMIN_TOKEN);
    const msgpack_object *res = assert_result(next_reply(f), 17);
    assert_int_equal(res->type, MSGPACK_OBJECT_MAP);
    assert_int_equal(res->via.map.size, 2);
    const msgpack_object *role = map_get(res, "role");
    const msgpack_object *events = map_get(res, "events");
    assert_non_null(role);
    assert_non_null(events);
    assert_str(role, "admin");
    assert_int_equal(events->type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal(events->via.array.size, 1);
    assert_str(&events->via.array.ptr[0], "*");
    send_call(f, 18, "ping");
    expect_pong(f, 18);
    expect_quiet(f);
}

static void
test_auth_with_unknown_argument_is_bad_request_naming_it(void **state)
{
    struct fx *f = *state;
    msgpack_sbuffer sb;
    msgpack_packer pk = req_begin(&sb, 19, "auth");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 2);
    mp_pack_cstr(&pk, "token");
    mp_pack_cstr(&pk, ADMIN_TOKEN);
    mp_pack_cstr(&pk, "colour");
    mp_pack_cstr(&pk, "blue");
    send_sbuf(f, &sb);
    msgpack_sbuffer_destroy(&sb);
    assert_error(next_reply(f), 19, "bad_request", "colour");
    /* Refused as a whole: the admin token in it did not authenticate. */
    send_call(f, 20, "event.get");
    assert_error(next_reply(f), 20, "unauthorized", NULL);
    expect_quiet(f);
}

static void test_auth_with_token_as_bin_is_bad_request(void **state)
{
    struct fx *f = *state;
    msgpack_sbuffer sb;
    msgpack_packer pk = req_begin(&sb, 21, "auth");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 1);
    mp_pack_cstr(&pk, "token");
    msgpack_pack_bin(&pk, strlen(ADMIN_TOKEN));
    msgpack_pack_bin_body(&pk, ADMIN_TOKEN, strlen(ADMIN_TOKEN));
    send_sbuf(f, &sb);
    msgpack_sbuffer_destroy(&sb);
    assert_error(next_reply(f), 21, "bad_request", "token");
    send_call(f, 22, "event.get");
    assert_error(next_reply(f), 22, "unauthorized", NULL);
    expect_quiet(f);
}

static void test_auth_without_token_is_bad_request_missing_field(void **state)
{
    struct fx *f = *state;
    send_call(f, 23, "auth");
    assert_error(next_reply(f), 23, "bad_request", "token");
    expect_quiet(f);
}

/* ---- envelope errors: one reply, then the connection closes ---- */

static void
test_garbage_byte_c1_gets_one_bad_request_msgid_0_then_eof(void **state)
{
    struct fx *f = *state;
    static const unsigned char req[] = {0xc1};
    send_bytes(f, req, sizeof req);
    assert_error(next_reply(f), 0, "bad_request", NULL);
    expect_closed(f, false);
    assert_int_equal(f->srv.frames_bad, 1);
}

static void
test_garbage_after_a_ping_answers_ping_then_one_error_then_eof(void **state)
{
    struct fx *f = *state;
    /* A ping, garbage, and a ping that must never be answered. */
    static const unsigned char req[] = {
        0x94, 0x00, 0x01, 0xa4, 'p', 'i', 'n', 'g', 0x90, 0xc1,
        0x94, 0x00, 0x02, 0xa4, 'p', 'i', 'n', 'g', 0x90,
    };
    send_bytes(f, req, sizeof req);
    expect_pong(f, 1);
    assert_error(next_reply(f), 0, "bad_request", NULL);
    expect_closed(f, false);
}

static void test_map_instead_of_array_is_bad_request_and_close(void **state)
{
    struct fx *f = *state;
    static const unsigned char req[] = {0x81, 0xa6, 'm', 'e', 't',
                                        'h',  'o',  'd', 0x01};
    send_bytes(f, req, sizeof req);
    assert_error(next_reply(f), 0, "bad_request", NULL);
    expect_closed(f, false);
}

static void test_msgid_as_string_is_bad_request_and_close(void **state)
{
    struct fx *f = *state;
    static const unsigned char req[] = {0x94, 0x00, 0xa1, '5', 0xa4,
                                        'p',  'i',  'n',  'g', 0x90};
    send_bytes(f, req, sizeof req);
    assert_error(next_reply(f), 0, "bad_request", "msgid");
    expect_closed(f, false);
}

static void test_msgid_over_uint32_is_bad_request_and_close(void **state)
{
    struct fx *f = *state;
    /* msgid 2^32 as uint64. */
    static const unsigned char req[] = {0x94, 0x00, 0xcf, 0x00, 0x00, 0x00,
                                        0x01, 0x00, 0x00, 0x00, 0x00, 0xa4,
                                        'p',  'i',  'n',  'g',  0x90};
    send_bytes(f, req, sizeof req);
    assert_error(next_reply(f), 0, "bad_request", "msgid");
    expect_closed(f, false);
}

static void test_params_not_an_array_is_bad_request_and_close(void **state)
{
    struct fx *f = *state;
    static const unsigned char req[] = {0x94, 0x00, 0x1f, 0xa4, 'p',
                                        'i',  'n',  'g',  0x80};
    send_bytes(f, req, sizeof req);
    assert_error(next_reply(f), 31, "bad_request", "params");
    expect_closed(f, false);
}

static void test_depth_bomb_of_20_arrays_is_too_large_and_close(void **state)
{
    struct fx *f = *state;
    f->cfg.max_depth = 16;
    /* [0, 9, "ping", params] with params 19 arrays deep: 20 in all. */
    unsigned char req[64];
    size_t n = 0;
    static const unsigned char head[] = {0x94, 0x00, 0x09, 0xa4,
                                         'p',  'i',  'n',  'g'};
    memcpy(req, head, sizeof head);
    n = sizeof head;
    for (int i = 0; i < 18; i++)
        req[n++] = 0x91;
    req[n++] = 0x90;
    send_bytes(f, req, n);
    /* The msgid is readable at the front, so the error carries it. */
    assert_error(next_reply(f), 9, "too_large", "16");
    expect_closed(f, false);
}

/* The msgid of an oversized request is read in every encoding the decoder
 * accepts: array32 around it, uint64 or signed forms for the msgid. */
static void depth_bomb_with_head(struct fx *f, const unsigned char *head,
                                 size_t hn, uint32_t want)
{
    f->cfg.max_depth = 16;
    unsigned char req[96];
    memcpy(req, head, hn);
    size_t n = hn;
    static const unsigned char name[] = {0xa4, 'p', 'i', 'n', 'g'};
    memcpy(req + n, name, sizeof name);
    n += sizeof name;
    for (int i = 0; i < 18; i++)
        req[n++] = 0x91;
    req[n++] = 0x90;
    send_bytes(f, req, n);
    assert_error(next_reply(f), want, "too_large", "16");
    expect_closed(f, false);
}

static void test_too_large_msgid_read_inside_array32(void **state)
{
    static const unsigned char head[] = {0xdd, 0, 0, 0, 4, 0x00, 0x2a};
    depth_bomb_with_head(*state, head, sizeof head, 42);
}

static void test_too_large_msgid_read_as_uint64(void **state)
{
    static const unsigned char head[] = {0x94, 0x00, 0xcf, 0, 0, 0,
                                         0,    0,    1,    0, 0};
    depth_bomb_with_head(*state, head, sizeof head, 65536);
}

static void test_too_large_msgid_read_as_signed_int(void **state)
{
    static const unsigned char head[] = {0x94, 0x00, 0xd1, 0x01, 0x2c};
    depth_bomb_with_head(*state, head, sizeof head, 300);
}

static void test_request_of_wrong_length_carries_its_msgid(void **state)
{
    struct fx *f = *state;
    /* [0, 11, "ping"]: three elements, msgid readable. */
    static const unsigned char req[] = {0x93, 0x00, 0x0b, 0xa4,
                                        'p',  'i',  'n',  'g'};
    send_bytes(f, req, sizeof req);
    assert_error(next_reply(f), 11, "bad_request", "request");
    expect_closed(f, false);
}

static void test_depth_of_exactly_max_depth_is_not_too_large(void **state)
{
    struct fx *f = *state;
    f->cfg.max_depth = 16;
    /* [0, 24, "ping", params] with params 15 arrays deep: 16 in all. It is
     * a bad_request (params must hold one map), not a framing error. */
    unsigned char req[64];
    size_t n = 0;
    static const unsigned char head[] = {0x94, 0x00, 0x18, 0xa4,
                                         'p',  'i',  'n',  'g'};
    memcpy(req, head, sizeof head);
    n = sizeof head;
    for (int i = 0; i < 14; i++)
        req[n++] = 0x91;
    req[n++] = 0x90;
    send_bytes(f, req, n);
    assert_error(next_reply(f), 24, "bad_request", "params");
    send_call(f, 25, "ping");
    expect_pong(f, 25);
    expect_quiet(f);
}

static void
test_over_16k_before_auth_is_too_large_with_peeked_msgid(void **state)
{
    struct fx *f = *state;
    msgpack_sbuffer sb;
    pack_padded_ping(&sb, 300, 17 * 1024);
    send_sbuf(f, &sb);
    msgpack_sbuffer_destroy(&sb);
    assert_error(next_reply(f), 300, "too_large", "16384");
    /* msgid 300 in the uint16 form: 94 01 cd 01 2c. */
    static const unsigned char head[] = {0x94, 0x01, 0xcd, 0x01, 0x2c};
    assert_memory_equal(f->raw, head, sizeof head);
    expect_closed(f, true);
}

static void
test_over_16k_header_alone_is_refused_before_the_payload(void **state)
{
    struct fx *f = *state;
    /* Only the header of a 17000-byte str: the declared length is enough. */
    static const unsigned char req[] = {0x94, 0x00, 0x1a, 0xa4, 'p',  'i',
                                        'n',  'g',  0x91, 0x81, 0xa3, 'p',
                                        'a',  'd',  0xda, 0x42, 0x68};
    send_bytes(f, req, sizeof req);
    assert_error(next_reply(f), 26, "too_large", NULL);
    expect_closed(f, false);
}

static void test_preauth_limit_is_exactly_16384_bytes(void **state)
{
    struct fx *f = *state;
    msgpack_sbuffer sb;
    pack_padded_ping(&sb, 27, PREAUTH_LIMIT);
    send_sbuf(f, &sb);
    msgpack_sbuffer_destroy(&sb);
    /* Within the limit: an ordinary reply (ping takes no `pad`). */
    assert_error(next_reply(f), 27, "bad_request", "pad");
    pack_padded_ping(&sb, 28, PREAUTH_LIMIT + 1);
    send_sbuf(f, &sb);
    msgpack_sbuffer_destroy(&sb);
    assert_error(next_reply(f), 28, "too_large", NULL);
    expect_closed(f, true);
}

/* Checks that a 20 KiB request, now under the authenticated limit, gets
 * an ordinary reply and leaves the connection open. */
static void expect_20k_request_answered(struct fx *f, uint32_t msgid)
{
    assert_error(next_reply(f), msgid, "bad_request", "pad");
    send_call(f, msgid + 1, "ping");
    expect_pong(f, msgid + 1);
    expect_quiet(f);
}

static void test_after_admin_auth_a_20k_request_is_fine(void **state)
{
    struct fx *f = *state;
    send_auth(f, 29, ADMIN_TOKEN);
    assert_result(next_reply(f), 29);
    msgpack_sbuffer sb;
    pack_padded_ping(&sb, 30, 20 * 1024);
    send_sbuf(f, &sb);
    msgpack_sbuffer_destroy(&sb);
    expect_20k_request_answered(f, 30);
}

static void test_admin_auth_pipelined_with_a_20k_request_is_fine(void **state)
{
    struct fx *f = *state;
    /* auth and the big request in one write: the limit must rise as soon
     * as auth succeeds, before the next request is framed. */
    msgpack_sbuffer a, b;
    pack_auth(&a, 32, ADMIN_TOKEN);
    pack_padded_ping(&b, 33, 20 * 1024);
    char *both = malloc(a.size + b.size);
    assert_non_null(both);
    memcpy(both, a.data, a.size);
    memcpy(both + a.size, b.data, b.size);
    send_bytes(f, both, a.size + b.size);
    free(both);
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&b);
    assert_result(next_reply(f), 32);
    expect_20k_request_answered(f, 33);
}

static void test_array32_bomb_is_too_large_and_closes_quickly(void **state)
{
    struct fx *f = *state;
    static const unsigned char req[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
    uint64_t t0 = ms_now();
    send_bytes(f, req, sizeof req);
    assert_error(next_reply(f), 0, "too_large", NULL);
    expect_closed(f, false);
    uint64_t took = ms_now() - t0;
    if (took > 500)
        fail_msg("took %llu ms", (unsigned long long)took);
}

/* ---- rate limit ---- */

/* Sleeps past the end of the wall-clock second when it is nearly over or
 * barely begun, so that a burst lands within one second. */
static void align_to_second(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long ns = 0;
    if (ts.tv_nsec > 700000000L)
        ns = 1000000000L - ts.tv_nsec + 50000000L;
    else if (ts.tv_nsec < 50000000L)
        ns = 50000000L;
    if (ns > 0) {
        struct timespec d = {ns / 1000000000L, ns % 1000000000L};
        nanosleep(&d, NULL);
    }
}

static void
test_rate_limit_5_sixth_request_in_a_second_is_rate_limited(void **state)
{
    struct fx *f = *state;
    f->cfg.rate_limit = 5;
    static const unsigned char ping[] = {0x94, 0x00, 0x00, 0xa4, 'p',
                                         'i',  'n',  'g',  0x90};
    unsigned char req[6 * sizeof ping];
    for (int i = 0; i < 6; i++) {
        memcpy(req + i * sizeof ping, ping, sizeof ping);
        req[i * sizeof ping + 2] = (unsigned char)(i + 1);
    }
    align_to_second();
    time_t before = time(NULL);
    send_bytes(f, req, sizeof req);
    for (uint32_t i = 1; i <= 5; i++)
        expect_pong(f, i);
    assert_error(next_reply(f), 6, "rate_limited", "5");
    time_t after = time(NULL);
    if (before != after)
        fail_msg("the burst crossed a second boundary; the check is void");
    /* Rate limiting does not close the connection. */
    expect_quiet(f);
}

/* ---- end of stream ---- */

static void
test_truncated_request_then_shutdown_gets_bad_request_truncated(void **state)
{
    struct fx *f = *state;
    /* [0, 7, "pi... and no more. */
    static const unsigned char req[] = {0x94, 0x00, 0x07, 0xa4, 'p', 'i'};
    send_bytes(f, req, sizeof req);
    expect_quiet(f);
    assert_int_equal(shutdown(f->cfd, SHUT_WR), 0);
    assert_error(next_reply(f), 7, "bad_request", "truncated");
    expect_closed(f, false);
}

static void test_clean_shutdown_after_replies_closes_without_error(void **state)
{
    struct fx *f = *state;
    send_call(f, 34, "ping");
    expect_pong(f, 34);
    assert_int_equal(shutdown(f->cfd, SHUT_WR), 0);
    expect_closed(f, false);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    log_min_level = LOG_ERROR;
    rpc_init();
    const struct CMUnitTest tests[] = {
        T(test_ping_msgid_5_reply_is_exact_fixint_bytes),
        T(test_ping_msgid_300_reply_uses_uint16),
        T(test_ping_msgid_70000_reply_uses_uint32),
        T(test_ping_msgid_200_reply_uses_uint8),
        T(test_ping_msgid_uint32_max_round_trips),
        T(test_ping_msgid_sent_wide_is_answered_in_smallest_form),
        T(test_ping_params_empty_array_and_empty_map_both_ok),
        T(test_ping_with_unknown_argument_is_bad_request_naming_it),
        T(test_server_info_returns_name_version_protocol_1),
        T(test_200_pipelined_pings_get_200_replies_in_order),
        T(test_pipelined_pings_past_one_batch_all_answered_in_order),
        T(test_method_name_as_bin_is_accepted),
        T(test_client_notification_gets_no_reply_and_next_ping_works),
        T(test_unknown_method_is_error_map_and_connection_stays_open),
        T(test_unknown_method_with_long_name_is_unknown_method),
        T(test_event_get_before_auth_is_unauthorized),
        T(test_auth_with_wrong_token_is_unauthorized),
        T(test_auth_with_admin_token_returns_admin_and_all_events),
        T(test_auth_with_unknown_argument_is_bad_request_naming_it),
        T(test_auth_with_token_as_bin_is_bad_request),
        T(test_auth_without_token_is_bad_request_missing_field),
        T(test_garbage_byte_c1_gets_one_bad_request_msgid_0_then_eof),
        T(test_garbage_after_a_ping_answers_ping_then_one_error_then_eof),
        T(test_map_instead_of_array_is_bad_request_and_close),
        T(test_msgid_as_string_is_bad_request_and_close),
        T(test_msgid_over_uint32_is_bad_request_and_close),
        T(test_params_not_an_array_is_bad_request_and_close),
        T(test_depth_bomb_of_20_arrays_is_too_large_and_close),
        T(test_depth_of_exactly_max_depth_is_not_too_large),
        T(test_too_large_msgid_read_inside_array32),
        T(test_too_large_msgid_read_as_uint64),
        T(test_too_large_msgid_read_as_signed_int),
        T(test_request_of_wrong_length_carries_its_msgid),
        T(test_over_16k_before_auth_is_too_large_with_peeked_msgid),
        T(test_over_16k_header_alone_is_refused_before_the_payload),
        T(test_preauth_limit_is_exactly_16384_bytes),
        T(test_after_admin_auth_a_20k_request_is_fine),
        T(test_admin_auth_pipelined_with_a_20k_request_is_fine),
        T(test_array32_bomb_is_too_large_and_closes_quickly),
        T(test_rate_limit_5_sixth_request_in_a_second_is_rate_limited),
        T(test_truncated_request_then_shutdown_gets_bad_request_truncated),
        T(test_clean_shutdown_after_replies_closes_without_error),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    metrics_reset();
    return rc;
}
