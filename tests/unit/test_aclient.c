/* test_aclient.c: the asynchronous client against a tiny server run by the
 * test itself on loopback (same event loop): pipelined calls matched by
 * msgid in any order, notifications, auth, malformed and over-limit
 * replies, a peer closing with calls pending, timeouts, and freeing from
 * inside callbacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aclient.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_HELD 64

/* ---- the test's server ----------------------------------------------- */

struct held {
    uint32_t msgid;
    char method[32];
};

/* One listening socket and at most one accepted connection. */
struct tsrv {
    struct event_base *base;
    int lfd, cfd;
    int port;                   /* TCP port, or 0 for a Unix socket */
    struct event *accept_ev;    /* on lfd */
    struct event *read_ev;      /* on cfd */
    msgpack_unpacker up;        /* requests from the client */
    bool answer;                /* answer "echo" and "auth" at once */
    struct held held[MAX_HELD]; /* requests not answered, in order */
    int nheld;
    int nrequests; /* requests seen, auth included */
    bool peer_closed;
};

static void srv_send(struct tsrv *s, const void *p, size_t n)
{
    assert_true(s->cfd >= 0);
    assert_int_equal(send(s->cfd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

static void pack_cstr(msgpack_packer *pk, const char *str)
{
    size_t n = strlen(str);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, str, n);
}

/* [1, msgid, nil, msgid * 10] */
static void srv_reply_int(struct tsrv *s, uint32_t msgid)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint8(&pk, 1);
    msgpack_pack_uint32(&pk, msgid);
    msgpack_pack_nil(&pk);
    msgpack_pack_uint64(&pk, (uint64_t)msgid * 10);
    srv_send(s, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
}

/* [1, msgid, {code, message}, nil] */
static void srv_reply_error(struct tsrv *s, uint32_t msgid, const char *code,
                            const char *message)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint8(&pk, 1);
    msgpack_pack_uint32(&pk, msgid);
    msgpack_pack_map(&pk, 2);
    pack_cstr(&pk, "code");
    pack_cstr(&pk, code);
    pack_cstr(&pk, "message");
    pack_cstr(&pk, message);
    msgpack_pack_nil(&pk);
    srv_send(s, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
}

static void srv_auth_ok(struct tsrv *s, uint32_t msgid)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint8(&pk, 1);
    msgpack_pack_uint32(&pk, msgid);
    msgpack_pack_nil(&pk);
    msgpack_pack_map(&pk, 2);
    pack_cstr(&pk, "role");
    pack_cstr(&pk, "kiosk");
    pack_cstr(&pk, "events");
    msgpack_pack_array(&pk, 1);
    pack_cstr(&pk, "ev1");
    srv_send(s, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
}

/* The token of an auth request's params, or "". */
static void auth_token(const msgpack_object *params, char *out, size_t cap)
{
    out[0] = '\0';
    if (params->type != MSGPACK_OBJECT_ARRAY || params->via.array.size != 1)
        return;
    const msgpack_object *m = &params->via.array.ptr[0];
    if (m->type != MSGPACK_OBJECT_MAP || m->via.map.size != 1)
        return;
    const msgpack_object *v = &m->via.map.ptr[0].val;
    if (v->type == MSGPACK_OBJECT_STR && v->via.str.size < cap) {
        memcpy(out, v->via.str.ptr, v->via.str.size);
        out[v->via.str.size] = '\0';
    }
}

static void srv_request(struct tsrv *s, const msgpack_object *o)
{
    assert_int_equal(o->type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal(o->via.array.size, 4);
    const msgpack_object *a = o->via.array.ptr;
    assert_int_equal(a[0].via.u64, 0);
    uint32_t msgid = (uint32_t)a[1].via.u64;
    char method[32] = "";
    assert_true(a[2].type == MSGPACK_OBJECT_STR && a[2].via.str.size < 32);
    memcpy(method, a[2].via.str.ptr, a[2].via.str.size);
    s->nrequests++;
    if (s->answer && strcmp(method, "auth") == 0) {
        char tok[64];
        auth_token(&a[3], tok, sizeof tok);
        if (strcmp(tok, "good-token") == 0)
            srv_auth_ok(s, msgid);
        else
            srv_reply_error(s, msgid, "unauthorized", "wrong token");
        return;
    }
    if (s->answer && strcmp(method, "echo") == 0) {
        srv_reply_int(s, msgid);
        return;
    }
    assert_true(s->nheld < MAX_HELD);
    s->held[s->nheld].msgid = msgid;
    snprintf(s->held[s->nheld].method, sizeof s->held[0].method, "%s", method);
    s->nheld++;
}

static void srv_on_read(evutil_socket_t fd, short what, void *arg)
{
    struct tsrv *s = arg;
    msgpack_unpacker_reserve_buffer(&s->up, 4096);
    ssize_t n = recv(fd, msgpack_unpacker_buffer(&s->up), 4096, 0);
    if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            s->peer_closed = true;
            event_del(s->read_ev);
        }
        return;
    }
    msgpack_unpacker_buffer_consumed(&s->up, (size_t)n);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    while (msgpack_unpacker_next(&s->up, &u) == MSGPACK_UNPACK_SUCCESS)
        srv_request(s, &u.data);
    msgpack_unpacked_destroy(&u);
}

static void srv_on_accept(evutil_socket_t fd, short what, void *arg)
{
    struct tsrv *s = arg;
    int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0)
        return;
    assert_int_equal(s->cfd, -1);
    s->cfd = cfd;
    s->read_ev = event_new(s->base, cfd, EV_READ | EV_PERSIST, srv_on_read, s);
    event_add(s->read_ev, NULL);
}

static void srv_listen(struct tsrv *s, struct event_base *base, int lfd)
{
    memset(s, 0, sizeof *s);
    s->base = base;
    s->lfd = lfd;
    s->cfd = -1;
    s->answer = true;
    msgpack_unpacker_init(&s->up, 4096);
    assert_int_equal(listen(lfd, 8), 0);
    s->accept_ev = event_new(base, lfd, EV_READ | EV_PERSIST, srv_on_accept, s);
    event_add(s->accept_ev, NULL);
}

static void srv_start(struct tsrv *s, struct event_base *base)
{
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(lfd >= 0);
    struct sockaddr_in sin = {.sin_family = AF_INET};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof sin), 0);
    socklen_t sl = sizeof sin;
    getsockname(lfd, (struct sockaddr *)&sin, &sl);
    srv_listen(s, base, lfd);
    s->port = ntohs(sin.sin_port);
}

static void srv_close_peer(struct tsrv *s)
{
    if (s->read_ev != NULL) {
        event_free(s->read_ev);
        s->read_ev = NULL;
    }
    if (s->cfd >= 0) {
        close(s->cfd);
        s->cfd = -1;
    }
}

static void srv_stop(struct tsrv *s)
{
    srv_close_peer(s);
    event_free(s->accept_ev);
    close(s->lfd);
    msgpack_unpacker_destroy(&s->up);
}

/* ---- the client side's bookkeeping ------------------------------------ */

#define MAX_REPLIES 64

struct seen {
    int n;                       /* reply callbacks run */
    uint32_t msgid[MAX_REPLIES]; /* their msgids, in order */
    int status[MAX_REPLIES];     /* their statuses */
    int kind[MAX_REPLIES];       /* their failure kinds */
    uint64_t value[MAX_REPLIES]; /* integer results */
    char code[MAX_REPLIES][64];  /* error codes */
    int ready, failed;           /* state callbacks run */
    int notes;                   /* notifications */
    char note_method[32];
    uint64_t note_value;
    struct emca *free_in_cb; /* free this connection in a callback */
    msgpack_zone *kept;      /* a zone taken from a reply */
    msgpack_object kept_obj;
};

static void on_reply(struct emca *c, struct emca_reply *r, void *arg)
{
    struct seen *sn = arg;
    assert_true(sn->n < MAX_REPLIES);
    int i = sn->n++;
    sn->msgid[i] = r->msgid;
    sn->status[i] = r->status;
    sn->kind[i] = r->kind;
    snprintf(sn->code[i], sizeof sn->code[i], "%s", r->error.code);
    if (r->status == EMCA_OK) {
        assert_non_null(r->zone);
        if (r->result.type == MSGPACK_OBJECT_POSITIVE_INTEGER)
            sn->value[i] = r->result.via.u64;
    } else {
        assert_null(r->zone);
        assert_int_equal(r->result.type, MSGPACK_OBJECT_NIL);
    }
    if (r->status == EMCA_FAILED)
        assert_int_not_equal(r->kind, EMCA_ERR_NONE);
    if (sn->free_in_cb != NULL) {
        struct emca *victim = sn->free_in_cb;
        sn->free_in_cb = NULL;
        emca_free(victim);
    }
}

static void on_reply_keep(struct emca *c, struct emca_reply *r, void *arg)
{
    struct seen *sn = arg;
    on_reply(c, r, arg);
    if (r->status == EMCA_OK) {
        sn->kept = emca_reply_take_zone(r);
        sn->kept_obj = r->result;
    }
}

static void on_state(struct emca *c, enum emca_state st, void *arg)
{
    struct seen *sn = arg;
    if (st == EMCA_ST_READY)
        sn->ready++;
    else if (st == EMCA_ST_FAILED)
        sn->failed++;
}

static void on_notify(struct emca *c, const char *method, size_t len,
                      const msgpack_object *params, void *arg)
{
    struct seen *sn = arg;
    sn->notes++;
    snprintf(sn->note_method, sizeof sn->note_method, "%.*s", (int)len, method);
    if (params->type == MSGPACK_OBJECT_ARRAY && params->via.array.size == 1 &&
        params->via.array.ptr[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        sn->note_value = params->via.array.ptr[0].via.u64;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void tick(evutil_socket_t fd, short what, void *arg) {}

/* Runs the loop until *flag >= want or ms pass; true if reached. */
static bool run_until(struct event_base *base, const int *flag, int want,
                      int ms)
{
    struct event *t = event_new(base, -1, EV_PERSIST, tick, NULL);
    struct timeval tv = {0, 10000};
    event_add(t, &tv);
    int64_t end = now_ms() + ms;
    while (*flag < want && now_ms() < end)
        event_base_loop(base, EVLOOP_ONCE);
    event_free(t);
    return *flag >= want;
}

/* Runs the loop for ms, whatever happens. */
static void run_for(struct event_base *base, int ms)
{
    int never = 0;
    run_until(base, &never, 1, ms);
}

struct fixture {
    struct event_base *base;
    struct tsrv srv;
    struct seen seen;
    struct emca_options opts;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->base = event_base_new();
    srv_start(&f->srv, f->base);
    f->opts.on_state = on_state;
    f->opts.state_arg = &f->seen;
    f->opts.on_notify = on_notify;
    f->opts.notify_arg = &f->seen;
    f->opts.connect_timeout_ms = 3000;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    srv_stop(&f->srv);
    if (f->seen.kept != NULL)
        msgpack_zone_free(f->seen.kept);
    event_base_free(f->base);
    free(f);
    return 0;
}

static struct emca *connect_f(struct fixture *f)
{
    char err[256];
    struct emca *c = emca_connect_tcp(f->base, "127.0.0.1", f->srv.port,
                                      &f->opts, err, sizeof err);
    assert_non_null(c);
    return c;
}

/* ---- tests ----------------------------------------------------------------
 */

static void test_auth_then_pipelined_calls(void **state)
{
    struct fixture *f = *state;
    f->opts.token = "good-token";
    struct emca *c = connect_f(f);
    assert_int_equal(emca_get_state(c), EMCA_ST_CONNECTING);
    /* Queued before connect and auth finish: sent behind the auth. */
    uint32_t ids[5];
    for (int i = 0; i < 5; i++) {
        ids[i] = emca_call(c, "echo", NULL, on_reply, &f->seen);
        assert_int_not_equal(ids[i], 0);
    }
    assert_int_equal(emca_pending(c), 6);
    assert_true(run_until(f->base, &f->seen.n, 5, 3000));
    assert_int_equal(f->seen.ready, 1);
    assert_string_equal(emca_role(c), "kiosk");
    for (int i = 0; i < 5; i++) {
        assert_int_equal(f->seen.status[i], EMCA_OK);
        assert_int_equal(f->seen.msgid[i], ids[i]);
        assert_int_equal(f->seen.value[i], (uint64_t)ids[i] * 10);
    }
    assert_int_equal(emca_pending(c), 0);
    emca_free(c);
    assert_int_equal(f->seen.n, 5);
    assert_int_equal(f->seen.failed, 0);
}

static void test_out_of_order_replies_match_by_msgid(void **state)
{
    struct fixture *f = *state;
    struct emca *c = connect_f(f);
    f->srv.answer = false;
    uint32_t a = emca_call(c, "hold", NULL, on_reply, &f->seen);
    uint32_t b = emca_call(c, "hold", NULL, on_reply, &f->seen);
    uint32_t d = emca_call(c, "hold", NULL, on_reply, &f->seen);
    assert_true(run_until(f->base, &f->srv.nheld, 3, 3000));
    srv_reply_int(&f->srv, d);
    srv_reply_int(&f->srv, a);
    srv_reply_int(&f->srv, b);
    assert_true(run_until(f->base, &f->seen.n, 3, 3000));
    assert_int_equal(f->seen.msgid[0], d);
    assert_int_equal(f->seen.value[0], (uint64_t)d * 10);
    assert_int_equal(f->seen.msgid[1], a);
    assert_int_equal(f->seen.value[1], (uint64_t)a * 10);
    assert_int_equal(f->seen.msgid[2], b);
    assert_int_equal(emca_get_state(c), EMCA_ST_READY);
    assert_int_equal(f->seen.ready, 1);
    emca_free(c);
}

static void test_notification_and_error_replies(void **state)
{
    struct fixture *f = *state;
    struct emca *c = connect_f(f);
    f->srv.answer = false;
    uint32_t a = emca_call(c, "hold", NULL, on_reply, &f->seen);
    uint32_t b = emca_call(c, "hold", NULL, on_reply, &f->seen);
    assert_true(run_until(f->base, &f->srv.nheld, 2, 3000));
    /* ["match.new", [77]] arrives before the replies. */
    static const uint8_t note[] = {0x93, 0x02, 0xa9, 'm', 'a', 't',  'c',
                                   'h',  '.',  'n',  'e', 'w', 0x91, 77};
    srv_send(&f->srv, note, sizeof note);
    srv_reply_error(&f->srv, a, "conflict", "already\nresponded");
    /* A bare string as error, as some servers send. */
    uint8_t bare[] = {0x94, 0x01, (uint8_t)b, 0xa3, 'b', 'a', 'd', 0xc0};
    srv_send(&f->srv, bare, sizeof bare);
    assert_true(run_until(f->base, &f->seen.n, 2, 3000));
    assert_int_equal(f->seen.notes, 1);
    assert_string_equal(f->seen.note_method, "match.new");
    assert_int_equal(f->seen.note_value, 77);
    assert_int_equal(f->seen.status[0], EMCA_REPLY_ERROR);
    assert_string_equal(f->seen.code[0], "conflict");
    assert_int_equal(f->seen.status[1], EMCA_REPLY_ERROR);
    assert_string_equal(f->seen.code[1], "error");
    assert_int_equal(emca_get_state(c), EMCA_ST_READY);
    emca_free(c);
}

static void test_zone_outlives_callback_and_connection(void **state)
{
    struct fixture *f = *state;
    struct emca *c = connect_f(f);
    emca_call(c, "echo", NULL, on_reply_keep, &f->seen);
    assert_true(run_until(f->base, &f->seen.n, 1, 3000));
    emca_free(c);
    assert_non_null(f->seen.kept);
    assert_int_equal(f->seen.kept_obj.type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    assert_int_equal(f->seen.kept_obj.via.u64, f->seen.msgid[0] * 10ull);
}

/* n calls the scripted server holds unanswered, once it holds them. */
static void hold_calls(struct fixture *f, struct emca *c, int n)
{
    f->srv.answer = false;
    for (int i = 0; i < n; i++)
        emca_call(c, "hold", NULL, on_reply, &f->seen);
    assert_true(run_until(f->base, &f->srv.nheld, n, 3000));
}

/* Every pending call fails exactly once with kind, then the state callback
 * runs once, and later calls are refused. */
static void expect_all_failed(struct fixture *f, struct emca *c, int calls,
                              enum emca_errkind kind)
{
    assert_true(run_until(f->base, &f->seen.failed, 1, 3000));
    run_for(f->base, 50);
    assert_int_equal(f->seen.n, calls);
    for (int i = 0; i < calls; i++) {
        assert_int_equal(f->seen.status[i], EMCA_FAILED);
        assert_int_equal(f->seen.kind[i], kind);
        assert_string_equal(f->seen.code[i], emca_errkind_name(kind));
    }
    assert_int_equal(f->seen.failed, 1);
    assert_int_equal(emca_get_state(c), EMCA_ST_FAILED);
    assert_int_equal(emca_err(c), kind);
    assert_true(emca_errstr(c)[0] != '\0');
    assert_int_equal(emca_call(c, "echo", NULL, on_reply, &f->seen), 0);
    assert_int_equal(emca_pending(c), 0);
}

static void test_malformed_reply_fails_every_call_once(void **state)
{
    struct fixture *f = *state;
    struct emca *c = connect_f(f);
    hold_calls(f, c, 3);
    /* [1, "x", nil, nil]: a msgid that is a string. */
    static const uint8_t bad[] = {0x94, 0x01, 0xa1, 'x', 0xc0, 0xc0};
    srv_send(&f->srv, bad, sizeof bad);
    expect_all_failed(f, c, 3, EMCA_ERR_PROTOCOL);
    emca_free(c);
}

static void test_not_msgpack_and_not_an_envelope(void **state)
{
    struct fixture *f = *state;
    struct emca *c = connect_f(f);
    hold_calls(f, c, 1);
    static const uint8_t bad[] = {0xc1};
    srv_send(&f->srv, bad, sizeof bad);
    expect_all_failed(f, c, 1, EMCA_ERR_PROTOCOL);
    emca_free(c);
}

static void test_over_limit_length_header_fails_before_allocating(void **state)
{
    struct fixture *f = *state;
    f->opts.max_reply_bytes = 4096;
    struct emca *c = connect_f(f);
    hold_calls(f, c, 2);
    /* A response whose result claims a 4 GiB string. */
    uint8_t bomb[] = {0x94, 0x01, (uint8_t)f->srv.held[0].msgid,
                      0xc0, 0xdb, 0xff,
                      0xff, 0xff, 0xff};
    srv_send(&f->srv, bomb, sizeof bomb);
    expect_all_failed(f, c, 2, EMCA_ERR_TOO_LARGE);
    emca_free(c);
}

static void test_too_deep_reply_fails(void **state)
{
    struct fixture *f = *state;
    struct emca *c = connect_f(f);
    hold_calls(f, c, 1);
    uint8_t deep[64];
    size_t n = 0;
    deep[n++] = 0x94;
    deep[n++] = 0x01;
    deep[n++] = (uint8_t)f->srv.held[0].msgid;
    deep[n++] = 0xc0;
    for (int i = 0; i < 40; i++)
        deep[n++] = 0x91;
    deep[n++] = 0x01;
    srv_send(&f->srv, deep, n);
    expect_all_failed(f, c, 1, EMCA_ERR_TOO_LARGE);
    emca_free(c);
}

static void test_peer_close_with_calls_pending(void **state)
{
    struct fixture *f = *state;
    struct emca *c = connect_f(f);
    hold_calls(f, c, 4);
    /* One answered, then the server goes away. */
    srv_reply_int(&f->srv, f->srv.held[1].msgid);
    srv_close_peer(&f->srv);
    assert_true(run_until(f->base, &f->seen.failed, 1, 3000));
    run_for(f->base, 50);
    assert_int_equal(f->seen.n, 4);
    assert_int_equal(f->seen.status[0], EMCA_OK);
    for (int i = 1; i < 4; i++) {
        assert_int_equal(f->seen.status[i], EMCA_FAILED);
        assert_int_equal(f->seen.kind[i], EMCA_ERR_EOF);
    }
    assert_int_equal(f->seen.failed, 1);
    emca_free(c);
}

static void test_call_timeout_leaves_connection_usable(void **state)
{
    struct fixture *f = *state;
    f->opts.call_timeout_ms = 100;
    struct emca *c = connect_f(f);
    f->srv.answer = false;
    uint32_t a = emca_call(c, "hold", NULL, on_reply, &f->seen);
    assert_true(run_until(f->base, &f->seen.n, 1, 3000));
    assert_int_equal(f->seen.msgid[0], a);
    assert_int_equal(f->seen.status[0], EMCA_FAILED);
    assert_int_equal(f->seen.kind[0], EMCA_ERR_TIMEOUT);
    assert_string_equal(f->seen.code[0], "timeout");
    assert_int_equal(emca_get_state(c), EMCA_ST_READY);
    /* The late reply is dropped; the next call still works. */
    srv_reply_int(&f->srv, a);
    f->srv.answer = true;
    emca_set_call_timeout(c, 0);
    uint32_t b = emca_call(c, "echo", NULL, on_reply, &f->seen);
    assert_true(run_until(f->base, &f->seen.n, 2, 3000));
    assert_int_equal(f->seen.msgid[1], b);
    assert_int_equal(f->seen.status[1], EMCA_OK);
    assert_int_equal(emca_stray_replies(c), 1);
    assert_int_equal(f->seen.failed, 0);
    emca_free(c);
}

static void test_auth_refused_fails_queued_calls(void **state)
{
    struct fixture *f = *state;
    f->opts.token = "bad-token";
    struct emca *c = connect_f(f);
    emca_call(c, "echo", NULL, on_reply, &f->seen);
    expect_all_failed(f, c, 1, EMCA_ERR_AUTH);
    assert_non_null(strstr(emca_errstr(c), "unauthorized"));
    assert_int_equal(f->seen.ready, 0);
    emca_free(c);
}

static void test_connect_refused(void **state)
{
    struct fixture *f = *state;
    int port = f->srv.port;
    srv_stop(&f->srv);
    /* Nothing listens on the port now; teardown must not stop it again. */
    srv_start(&f->srv, f->base);
    char err[256];
    struct emca *c =
        emca_connect_tcp(f->base, "127.0.0.1", port, &f->opts, err, sizeof err);
    /* libevent reports even an immediate refusal later, on the loop. */
    assert_non_null(c);
    emca_call(c, "echo", NULL, on_reply, &f->seen);
    expect_all_failed(f, c, 1, EMCA_ERR_IO);
    assert_int_equal(f->seen.ready, 0);
    emca_free(c);
}

static void test_connect_timeout_when_never_accepted(void **state)
{
    struct fixture *f = *state;
    /* The server never answers auth: the connect deadline covers it. */
    f->srv.answer = false;
    f->opts.token = "good-token";
    f->opts.connect_timeout_ms = 150;
    struct emca *c = connect_f(f);
    emca_call(c, "echo", NULL, on_reply, &f->seen);
    expect_all_failed(f, c, 1, EMCA_ERR_TIMEOUT);
    emca_free(c);
}

static void test_free_with_pending_calls(void **state)
{
    struct fixture *f = *state;
    struct emca *c = connect_f(f);
    hold_calls(f, c, 3);
    emca_free(c);
    assert_int_equal(f->seen.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(f->seen.status[i], EMCA_FAILED);
        assert_int_equal(f->seen.kind[i], EMCA_ERR_CLOSED);
    }
    assert_int_equal(f->seen.failed, 0);
    /* Replies arriving now reach no one. */
    srv_reply_int(&f->srv, f->srv.held[0].msgid);
    run_for(f->base, 50);
    assert_int_equal(f->seen.n, 3);
}

static void test_free_from_inside_a_reply_callback(void **state)
{
    struct fixture *f = *state;
    struct emca *c = connect_f(f);
    hold_calls(f, c, 3);
    f->seen.free_in_cb = c;
    /* All three replies in one segment: the first callback frees c while
     * the other two are still in its read buffer. */
    uint8_t buf[64];
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        uint8_t one[] = {0x94, 0x01, (uint8_t)f->srv.held[i].msgid, 0xc0, 0x07};
        memcpy(buf + n, one, sizeof one);
        n += sizeof one;
    }
    srv_send(&f->srv, buf, n);
    assert_true(run_until(f->base, &f->seen.n, 3, 3000));
    run_for(f->base, 50);
    assert_int_equal(f->seen.n, 3);
    assert_int_equal(f->seen.status[0], EMCA_OK);
    assert_int_equal(f->seen.kind[1], EMCA_ERR_CLOSED);
    assert_int_equal(f->seen.kind[2], EMCA_ERR_CLOSED);
}

static void test_msgid_zero_error_goes_to_oldest_call(void **state)
{
    struct fixture *f = *state;
    struct emca *c = connect_f(f);
    hold_calls(f, c, 2);
    srv_reply_error(&f->srv, 0, "bad_request", "not MessagePack-RPC");
    srv_close_peer(&f->srv);
    assert_true(run_until(f->base, &f->seen.n, 2, 3000));
    assert_int_equal(f->seen.msgid[0], f->srv.held[0].msgid);
    assert_int_equal(f->seen.status[0], EMCA_REPLY_ERROR);
    assert_string_equal(f->seen.code[0], "bad_request");
    assert_int_equal(f->seen.kind[1], EMCA_ERR_EOF);
    emca_free(c);
}

static void test_args_are_sent(void **state)
{
    struct fixture *f = *state;
    struct emca *c = connect_f(f);
    f->srv.answer = false;
    /* {"k": 1} as an object and as packed bytes. */
    msgpack_object_kv kv;
    kv.key.type = MSGPACK_OBJECT_STR;
    kv.key.via.str.ptr = "k";
    kv.key.via.str.size = 1;
    kv.val.type = MSGPACK_OBJECT_POSITIVE_INTEGER;
    kv.val.via.u64 = 1;
    msgpack_object m = {.type = MSGPACK_OBJECT_MAP};
    m.via.map.size = 1;
    m.via.map.ptr = &kv;
    emca_call(c, "a", &m, on_reply, &f->seen);
    static const uint8_t packed[] = {0x81, 0xa1, 'k', 0x01};
    emca_call_packed(c, "b", packed, sizeof packed, on_reply, &f->seen);
    assert_true(run_until(f->base, &f->srv.nheld, 2, 3000));
    assert_string_equal(f->srv.held[0].method, "a");
    assert_string_equal(f->srv.held[1].method, "b");
    emca_free(c);
}

static void test_unix_socket(void **state)
{
    struct fixture *f = *state;
    char dir[] = "/tmp/test_aclient.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/s", dir);
    struct tsrv us;
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    assert_true(strlen(path) < sizeof sun.sun_path);
    memcpy(sun.sun_path, path, strlen(path) + 1);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof sun), 0);
    srv_listen(&us, f->base, lfd);
    char err[256];
    struct emca *c =
        emca_connect_unix(f->base, path, &f->opts, err, sizeof err);
    assert_non_null(c);
    emca_call(c, "echo", NULL, on_reply, &f->seen);
    assert_true(run_until(f->base, &f->seen.n, 1, 3000));
    assert_int_equal(f->seen.status[0], EMCA_OK);
    emca_free(c);
    srv_stop(&us);
    unlink(path);
    rmdir(dir);
}

static void test_ipv6_literal_in_brackets(void **state)
{
    struct fixture *f = *state;
    int lfd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
    sin6.sin6_addr = in6addr_loopback;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin6, sizeof sin6) < 0) {
        if (lfd >= 0)
            close(lfd);
        skip(); /* no IPv6 loopback here */
    }
    socklen_t sl = sizeof sin6;
    getsockname(lfd, (struct sockaddr *)&sin6, &sl);
    struct tsrv s6;
    srv_listen(&s6, f->base, lfd);
    char err[256];
    struct emca *c = emca_connect_tcp(f->base, "[::1]", ntohs(sin6.sin6_port),
                                      &f->opts, err, sizeof err);
    assert_non_null(c);
    emca_call(c, "echo", NULL, on_reply, &f->seen);
    assert_true(run_until(f->base, &f->seen.n, 1, 3000));
    assert_int_equal(f->seen.status[0], EMCA_OK);
    emca_free(c);
    srv_stop(&s6);
}

static void test_bad_addresses(void **state)
{
    struct fixture *f = *state;
    char err[256];
    assert_null(
        emca_connect_tcp(f->base, "127.0.0.1", 0, &f->opts, err, sizeof err));
    assert_null(
        emca_connect_tcp(f->base, "[]", 7411, &f->opts, err, sizeof err));
    char longpath[200];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    assert_null(
        emca_connect_unix(f->base, longpath, &f->opts, err, sizeof err));
    assert_non_null(strstr(err, "too long"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_auth_then_pipelined_calls),
        T(test_out_of_order_replies_match_by_msgid),
        T(test_notification_and_error_replies),
        T(test_zone_outlives_callback_and_connection),
        T(test_malformed_reply_fails_every_call_once),
        T(test_not_msgpack_and_not_an_envelope),
        T(test_over_limit_length_header_fails_before_allocating),
        T(test_too_deep_reply_fails),
        T(test_peer_close_with_calls_pending),
        T(test_call_timeout_leaves_connection_usable),
        T(test_auth_refused_fails_queued_calls),
        T(test_connect_refused),
        T(test_connect_timeout_when_never_accepted),
        T(test_free_with_pending_calls),
        T(test_free_from_inside_a_reply_callback),
        T(test_msgid_zero_error_goes_to_oldest_call),
        T(test_args_are_sent),
        T(test_unix_socket),
        T(test_ipv6_literal_in_brackets),
        T(test_bad_addresses),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
