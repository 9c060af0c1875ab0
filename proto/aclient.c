/* aclient.c: asynchronous MessagePack-RPC client on a libevent loop; see
 * aclient.h for the API, callbacks, ownership and limits. */
#include "aclient.h"

#include "addr.h"
#include "mpscan.h"
#include "reply.h"
#include "xmalloc.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#define DEFAULT_MAX_REPLY ((size_t)64 << 20)
/* msgpack-c's unpacker cannot nest deeper than 32 (it says out-of-memory),
 * so deeper replies are refused before they reach it. */
#define MAX_DEPTH 32
#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define READ_CHUNK 65536
#define MAX_ADDRS 8

/* One call waiting for its reply. */
struct call {
    struct call *prev, *next; /* the pending list, oldest first */
    struct emca *conn;        /* its connection */
    uint32_t msgid;           /* its request's msgid */
    emca_reply_fn cb;         /* the caller's callback, or NULL */
    void *arg;                /* its argument */
    struct event *timer;      /* its deadline, or NULL for none */
    bool is_auth;             /* the connection's own auth call */
};

struct emca {
    struct event_base *base; /* the loop it runs on */
    struct bufferevent *bev; /* the socket; NULL once failed or closed */
    enum emca_state state;   /* where it is in its life */
    bool connected;          /* the TCP/Unix connect finished */
    bool authing;            /* our auth call awaits its reply */
    struct sockaddr_storage addrs[MAX_ADDRS]; /* where to connect, in turn */
    socklen_t addrlens[MAX_ADDRS];
    int naddrs;               /* addresses in addrs */
    int addr_next;            /* the next one to try */
    char target[300];         /* host and port or path, for messages */
    char *token;              /* auth token until sent, then NULL */
    int call_timeout_ms;      /* deadline of new calls; 0: none */
    struct event *conn_timer; /* connect plus auth deadline, or NULL */
    size_t max_reply;         /* bytes of one reply */
    int max_depth;            /* nesting of one reply */
    emca_state_fn on_state;   /* ready/failed callback, or NULL */
    void *state_arg;
    emca_notify_fn on_notify; /* notification callback, or NULL */
    void *notify_arg;
    void *data;               /* the caller's pointer */
    uint32_t next_msgid;      /* never 0: the server's "could not read" */
    struct call *head, *tail; /* pending calls, oldest first */
    size_t npending;          /* calls in that list */
    char *rbuf;               /* received bytes; rbuf[rpos] starts a frame */
    size_t rpos, rlen, rcap;  /* frame start, bytes held, allocated size */
    struct mpscan scan;       /* progress over the frame at rpos */
    msgpack_sbuffer wbuf;     /* a request being packed */
    enum emca_errkind err;    /* why it failed; NONE while healthy */
    char errstr[160];         /* what happened, for people */
    char role[32];            /* granted by auth */
    uint64_t stray;           /* responses with no pending msgid */
    int depth;                /* our callbacks running on the stack */
    bool free_pending;        /* emca_free was called; free at depth 0 */
};

static const char *const kind_names[] = {
    [EMCA_ERR_NONE] = "",
    [EMCA_ERR_IO] = "io",
    [EMCA_ERR_TIMEOUT] = "timeout",
    [EMCA_ERR_EOF] = "eof",
    [EMCA_ERR_PROTOCOL] = "protocol",
    [EMCA_ERR_TOO_LARGE] = "too_large",
    [EMCA_ERR_AUTH] = "auth",
    [EMCA_ERR_CLOSED] = "closed",
};

const char *emca_errkind_name(enum emca_errkind kind)
{
    if ((unsigned)kind >= sizeof kind_names / sizeof kind_names[0])
        return "?";
    return kind_names[kind];
}

/* ---- lifetime: callbacks may free the connection under our feet -------- */

static void really_free(struct emca *c)
{
    if (c->conn_timer != NULL)
        event_free(c->conn_timer);
    if (c->bev != NULL)
        bufferevent_free(c->bev);
    if (c->token != NULL) {
        explicit_bzero(c->token, strlen(c->token));
        free(c->token);
    }
    free(c->rbuf);
    msgpack_sbuffer_destroy(&c->wbuf);
    free(c);
}

/* Every entry from the loop (and every public function that runs caller
 * callbacks) brackets its work with enter/leave, so that an emca_free()
 * from inside a callback only marks the connection. leave() returns true
 * when it freed c. */
static void enter(struct emca *c)
{
    c->depth++;
}

static bool leave(struct emca *c)
{
    if (--c->depth == 0 && c->free_pending) {
        really_free(c);
        return true;
    }
    return false;
}

/* True while reading may go on: not failed, closed or being freed. */
static bool alive(const struct emca *c)
{
    return !c->free_pending &&
           (c->state == EMCA_ST_CONNECTING || c->state == EMCA_ST_READY);
}

/* ---- pending calls ------------------------------------------------------ */

static void call_unlink(struct emca *c, struct call *k)
{
    if (k->prev != NULL)
        k->prev->next = k->next;
    else
        c->head = k->next;
    if (k->next != NULL)
        k->next->prev = k->prev;
    else
        c->tail = k->prev;
    k->prev = k->next = NULL;
    c->npending--;
}

static void call_free(struct call *k)
{
    if (k->timer != NULL)
        event_free(k->timer);
    free(k);
}

/* Runs k's callback with reply (when it has one) and frees k, which must
 * already be unlinked. */
static void call_finish(struct emca *c, struct call *k, struct emca_reply *r)
{
    r->msgid = k->msgid;
    if (k->cb != NULL)
        k->cb(c, r, k->arg);
    call_free(k);
}

static void fill_failure(struct emca_reply *r, enum emca_errkind kind,
                         const char *what)
{
    memset(r, 0, sizeof *r);
    r->status = EMCA_FAILED;
    r->kind = kind;
    r->result.type = MSGPACK_OBJECT_NIL;
    snprintf(r->error.code, sizeof r->error.code, "%s",
             emca_errkind_name(kind));
    snprintf(r->error.message, sizeof r->error.message, "%s", what);
}

/* Fails every pending call once. The list is detached first, so calls the
 * callbacks make (refused on a dead connection) cannot join it. */
static void fail_all(struct emca *c, enum emca_errkind kind, const char *what)
{
    struct call *k = c->head;
    c->head = c->tail = NULL;
    c->npending = 0;
    while (k != NULL) {
        struct call *next = k->next;
        struct emca_reply r;
        fill_failure(&r, kind, what);
        if (k->is_auth)
            call_free(k);
        else
            call_finish(c, k, &r);
        k = next;
    }
}

/* Drops the socket and the connect deadline. */
static void teardown(struct emca *c)
{
    if (c->bev != NULL) {
        bufferevent_free(c->bev);
        c->bev = NULL;
    }
    if (c->conn_timer != NULL) {
        event_free(c->conn_timer);
        c->conn_timer = NULL;
    }
}

static void conn_fail(struct emca *c, enum emca_errkind kind, const char *fmt,
                      ...) __attribute__((format(printf, 3, 4)));

/* The connection failed: records why (the first reason wins), fails every
 * pending call, then tells the state callback. Call inside enter/leave. */
static void conn_fail(struct emca *c, enum emca_errkind kind, const char *fmt,
                      ...)
{
    if (c->state == EMCA_ST_FAILED || c->state == EMCA_ST_CLOSED)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->errstr, sizeof c->errstr, fmt, ap);
    va_end(ap);
    c->err = kind;
    c->state = EMCA_ST_FAILED;
    teardown(c);
    fail_all(c, kind, c->errstr);
    if (c->on_state != NULL && !c->free_pending)
        c->on_state(c, EMCA_ST_FAILED, c->state_arg);
}

static void become_ready(struct emca *c)
{
    c->state = EMCA_ST_READY;
    if (c->conn_timer != NULL) {
        event_free(c->conn_timer);
        c->conn_timer = NULL;
    }
    if (c->on_state != NULL)
        c->on_state(c, EMCA_ST_READY, c->state_arg);
}

/* ---- replies ------------------------------------------------------------ */

/* The pending call a response belongs to, or NULL. msgid 0 with an error
 * is the server saying it could not read a request: the oldest one. */
static struct call *find_call(struct emca *c, uint64_t msgid, bool has_error)
{
    if (msgid == 0)
        return has_error ? c->head : NULL;
    for (struct call *k = c->head; k != NULL; k = k->next)
        if (k->msgid == msgid)
            return k;
    return NULL;
}

/* The reply to our auth call: ready, or failed with the server's reason. */
static void auth_reply(struct emca *c, const msgpack_object *e,
                       const msgpack_object *res)
{
    if (e->type != MSGPACK_OBJECT_NIL) {
        struct emc_error err;
        emc_read_error(e, &err);
        conn_fail(c, EMCA_ERR_AUTH, "auth refused: %s: %s", err.code,
                  err.message);
        return;
    }
    if (res->type == MSGPACK_OBJECT_MAP) {
        for (uint32_t i = 0; i < res->via.map.size; i++) {
            const msgpack_object_kv *kv = &res->via.map.ptr[i];
            if (emc_key_is(&kv->key, "role") && emc_is_text(&kv->val))
                emc_copy_text(c->role, sizeof c->role, kv->val.via.str.ptr,
                              kv->val.via.str.size);
        }
    }
    become_ready(c);
}

/* One decoded message whose memory is zone. Takes the zone. */
static void handle_message(struct emca *c, msgpack_zone *zone,
                           const msgpack_object *o)
{
    const msgpack_object *a = o->via.array.ptr;
    enum emc_msg kind = emc_msg_kind(o);
    if (kind == EMC_MSG_NOTIFICATION) {
        if (c->on_notify != NULL)
            c->on_notify(c, a[1].via.str.ptr, a[1].via.str.size, &a[2],
                         c->notify_arg);
        msgpack_zone_free(zone);
        return;
    }
    if (kind != EMC_MSG_RESPONSE) {
        msgpack_zone_free(zone);
        conn_fail(c, EMCA_ERR_PROTOCOL,
                  "reply is not a MessagePack-RPC response");
        return;
    }
    bool has_error = a[2].type != MSGPACK_OBJECT_NIL;
    struct call *k = find_call(c, a[1].via.u64, has_error);
    if (k == NULL) {
        c->stray++;
        msgpack_zone_free(zone);
        return;
    }
    call_unlink(c, k);
    if (k->is_auth) {
        call_free(k);
        c->authing = false;
        auth_reply(c, &a[2], &a[3]);
        msgpack_zone_free(zone);
        return;
    }
    struct emca_reply r;
    r.kind = EMCA_ERR_NONE;
    if (has_error) {
        r.status = EMCA_REPLY_ERROR;
        r.result.type = MSGPACK_OBJECT_NIL;
        r.zone = NULL;
        emc_read_error(&a[2], &r.error);
        msgpack_zone_free(zone);
    } else {
        r.status = EMCA_OK;
        r.result = a[3];
        r.zone = zone;
        r.error.code[0] = r.error.message[0] = '\0';
    }
    call_finish(c, k, &r);
    if (r.zone != NULL)
        msgpack_zone_free(r.zone);
}

/* Decodes one whole frame of len bytes at p into a zone of its own: the
 * bytes are copied into the zone first, so that strings, which msgpack-c
 * points into its input, live exactly as long as the zone. */
static void handle_frame(struct emca *c, const char *p, size_t len)
{
    msgpack_zone *zone = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
    char *copy = zone != NULL ? msgpack_zone_malloc(zone, len) : NULL;
    if (copy == NULL) {
        if (zone != NULL)
            msgpack_zone_free(zone);
        conn_fail(c, EMCA_ERR_TOO_LARGE, "out of memory for a %zu-byte reply",
                  len);
        return;
    }
    memcpy(copy, p, len);
    msgpack_object o;
    size_t off = 0;
    if (msgpack_unpack(copy, len, &off, zone, &o) != MSGPACK_UNPACK_SUCCESS) {
        msgpack_zone_free(zone);
        conn_fail(c, EMCA_ERR_PROTOCOL, "reply could not be decoded");
        return;
    }
    handle_message(c, zone, &o);
}

/* Takes every complete frame off rbuf, bounding each before decoding. */
static void process_frames(struct emca *c)
{
    while (c->rpos < c->rlen && alive(c)) {
        size_t len = 0;
        enum mpscan_result r =
            mpscan_feed(&c->scan, (const uint8_t *)c->rbuf + c->rpos,
                        c->rlen - c->rpos, c->max_reply, c->max_depth, &len);
        if (r == MPSCAN_MORE)
            return;
        if (r != MPSCAN_DONE) {
            if (r == MPSCAN_TOO_LARGE)
                conn_fail(c, EMCA_ERR_TOO_LARGE, "reply over %zu bytes",
                          c->max_reply);
            else if (r == MPSCAN_TOO_DEEP)
                conn_fail(c, EMCA_ERR_TOO_LARGE, "reply nested deeper than %d",
                          c->max_depth);
            else
                conn_fail(c, EMCA_ERR_PROTOCOL, "reply is not MessagePack");
            return;
        }
        size_t at = c->rpos;
        c->rpos += len;
        mpscan_reset(&c->scan);
        handle_frame(c, c->rbuf + at, len);
    }
}

/* Makes room for one read after the frame in progress. The scanner refuses
 * a frame over max_reply before it is complete, so the buffer never needs
 * more than that plus one read's worth. */
static bool make_room(struct emca *c)
{
    if (c->rpos > 0) {
        memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
        c->rlen -= c->rpos;
        c->rpos = 0;
    }
    if (c->rcap - c->rlen >= READ_CHUNK / 4)
        return true;
    size_t want = c->rcap * 2;
    size_t limit = c->max_reply + READ_CHUNK;
    if (want > limit)
        want = limit;
    if (want <= c->rcap)
        return false;
    c->rbuf = xrealloc(c->rbuf, want);
    c->rcap = want;
    return true;
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct emca *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);

    enter(c);
    while (alive(c) && evbuffer_get_length(in) > 0) {
        if (!make_room(c)) {
            conn_fail(c, EMCA_ERR_TOO_LARGE, "reply over %zu bytes",
                      c->max_reply);
            break;
        }
        int n = evbuffer_remove(in, c->rbuf + c->rlen, c->rcap - c->rlen);
        if (n <= 0)
            break;
        c->rlen += (size_t)n;
        process_frames(c);
    }
    leave(c);
}

/* ---- connecting ---------------------------------------------------------- */

/* Starts a connect to the next address; output queued on an earlier
 * attempt moves over. -1 (with errno) when none is left or it failed at
 * once. */
static int connect_next(struct emca *c)
{
    while (c->addr_next < c->naddrs) {
        int i = c->addr_next++;
        struct bufferevent *bev =
            bufferevent_socket_new(c->base, -1, BEV_OPT_CLOSE_ON_FREE);
        if (bev == NULL)
            return -1;
        if (c->bev != NULL) {
            evbuffer_add_buffer(bufferevent_get_output(bev),
                                bufferevent_get_output(c->bev));
            bufferevent_free(c->bev);
            c->bev = NULL;
        }
        c->bev = bev;
        bufferevent_setcb(bev, on_read, NULL, NULL, c);
        bufferevent_enable(bev, EV_READ | EV_WRITE);
        if (bufferevent_socket_connect(bev, (struct sockaddr *)&c->addrs[i],
                                       (int)c->addrlens[i]) < 0)
            continue; /* this one failed at once: the next */
        int fd = bufferevent_getfd(bev);
        int fam = c->addrs[i].ss_family;
        if (fd >= 0 && (fam == AF_INET || fam == AF_INET6)) {
            /* Small requests answered one by one: no Nagle delay. */
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        return 0;
    }
    if (errno == 0)
        errno = ECONNREFUSED;
    return -1;
}

static void on_event(struct bufferevent *bev, short what, void *arg);

static void arm_events(struct emca *c)
{
    if (c->bev != NULL)
        bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct emca *c = arg;
    int saved = EVUTIL_SOCKET_ERROR();

    enter(c);
    if (what & BEV_EVENT_CONNECTED) {
        c->connected = true;
        /* With auth under way, ready comes with its reply. */
        if (c->state == EMCA_ST_CONNECTING && !c->authing)
            become_ready(c);
    } else if ((what & BEV_EVENT_ERROR) && !c->connected &&
               c->state == EMCA_ST_CONNECTING) {
        errno = 0;
        if (connect_next(c) == 0)
            arm_events(c);
        else
            conn_fail(c, EMCA_ERR_IO, "cannot connect to %s: %s", c->target,
                      evutil_socket_error_to_string(saved   ? saved
                                                    : errno ? errno
                                                            : ECONNREFUSED));
    } else if (what & BEV_EVENT_EOF) {
        conn_fail(c, EMCA_ERR_EOF, "server closed the connection");
    } else if (what & BEV_EVENT_ERROR) {
        conn_fail(c, EMCA_ERR_IO, "connection to %s: %s", c->target,
                  evutil_socket_error_to_string(saved));
    }
    leave(c);
}

static void on_connect_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct emca *c = arg;
    enter(c);
    if (c->state == EMCA_ST_CONNECTING)
        conn_fail(c, EMCA_ERR_TIMEOUT, "%s to %s timed out",
                  c->connected ? "auth" : "connect", c->target);
    leave(c);
}

static uint32_t submit(struct emca *c, const char *method,
                       const msgpack_object *args, const void *packed,
                       size_t packed_len, emca_reply_fn cb, void *arg,
                       bool is_auth);

static struct emca *emca_new(struct event_base *base,
                             const struct emca_options *opts)
{
    static const struct emca_options none;
    if (opts == NULL)
        opts = &none;
    struct emca *c = xcalloc(1, sizeof *c);
    c->base = base;
    c->state = EMCA_ST_CONNECTING;
    c->call_timeout_ms = opts->call_timeout_ms > 0 ? opts->call_timeout_ms : 0;
    c->max_reply = opts->max_reply_bytes == 0   ? DEFAULT_MAX_REPLY
                   : opts->max_reply_bytes < 64 ? 64
                                                : opts->max_reply_bytes;
    c->max_depth = opts->max_depth <= 0          ? MAX_DEPTH
                   : opts->max_depth > MAX_DEPTH ? MAX_DEPTH
                                                 : opts->max_depth;
    c->on_state = opts->on_state;
    c->state_arg = opts->state_arg;
    c->on_notify = opts->on_notify;
    c->notify_arg = opts->notify_arg;
    c->data = opts->data;
    c->next_msgid = 1;
    c->rcap = 16384;
    c->rbuf = xmalloc(c->rcap);
    msgpack_sbuffer_init(&c->wbuf);
    mpscan_reset(&c->scan);
    if (opts->token != NULL)
        c->token = xstrdup(opts->token);
    int ms = opts->connect_timeout_ms == 0 ? DEFAULT_CONNECT_TIMEOUT_MS
                                           : opts->connect_timeout_ms;
    if (ms > 0) {
        struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
        c->conn_timer = evtimer_new(base, on_connect_timeout, c);
        if (c->conn_timer == NULL || evtimer_add(c->conn_timer, &tv) < 0) {
            really_free(c);
            return NULL;
        }
    }
    return c;
}

/* Starts the connect and queues auth; NULL (c freed) when no address could
 * even be tried. */
static struct emca *emca_start(struct emca *c, char *errbuf, size_t errlen)
{
    errno = 0;
    if (connect_next(c) < 0) {
        snprintf(errbuf, errlen, "cannot connect to %s: %s", c->target,
                 strerror(errno ? errno : ECONNREFUSED));
        really_free(c);
        return NULL;
    }
    arm_events(c);
    if (c->token != NULL) {
        msgpack_sbuffer sb;
        msgpack_packer pk;
        size_t tl = strlen(c->token);
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 1);
        msgpack_pack_str(&pk, 5);
        msgpack_pack_str_body(&pk, "token", 5);
        msgpack_pack_str(&pk, tl);
        msgpack_pack_str_body(&pk, c->token, tl);
        submit(c, "auth", NULL, sb.data, sb.size, NULL, NULL, true);
        /* The token is a secret: keep no copy of it in our memory. */
        explicit_bzero(sb.data, sb.size);
        msgpack_sbuffer_destroy(&sb);
        explicit_bzero(c->token, tl);
        free(c->token);
        c->token = NULL;
    }
    return c;
}

struct emca *emca_connect_tcp(struct event_base *base, const char *host,
                              int port, const struct emca_options *opts,
                              char *errbuf, size_t errlen)
{
    char name[256];
    struct addrinfo *res;
    if (emc_resolve(host, port, &res, name, errbuf, errlen) < 0)
        return NULL;
    struct emca *c = emca_new(base, opts);
    if (c == NULL) {
        freeaddrinfo(res);
        snprintf(errbuf, errlen, "cannot make a timer");
        return NULL;
    }
    for (struct addrinfo *ai = res; ai != NULL && c->naddrs < MAX_ADDRS;
         ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof c->addrs[0])
            continue;
        memcpy(&c->addrs[c->naddrs], ai->ai_addr, ai->ai_addrlen);
        c->addrlens[c->naddrs++] = ai->ai_addrlen;
    }
    freeaddrinfo(res);
    snprintf(c->target, sizeof c->target, "%s port %d", name, port);
    return emca_start(c, errbuf, errlen);
}

struct emca *emca_connect_unix(struct event_base *base, const char *path,
                               const struct emca_options *opts, char *errbuf,
                               size_t errlen)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sun.sun_path) {
        snprintf(errbuf, errlen, "socket path too long: %s", path);
        return NULL;
    }
    strcpy(sun.sun_path, path);
    struct emca *c = emca_new(base, opts);
    if (c == NULL) {
        snprintf(errbuf, errlen, "cannot make a timer");
        return NULL;
    }
    memcpy(&c->addrs[0], &sun, sizeof sun);
    c->addrlens[0] = sizeof sun;
    c->naddrs = 1;
    snprintf(c->target, sizeof c->target, "%s", path);
    return emca_start(c, errbuf, errlen);
}

/* ---- calls ----------------------------------------------------------------
 */

static void on_call_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct call *k = arg;
    struct emca *c = k->conn;
    struct emca_reply r;

    enter(c);
    call_unlink(c, k);
    fill_failure(&r, EMCA_ERR_TIMEOUT, "no reply before the call's deadline");
    call_finish(c, k, &r);
    leave(c);
}

/* Packs [0, msgid, method, [args]] and queues it; the call joins the
 * pending list. */
static uint32_t submit(struct emca *c, const char *method,
                       const msgpack_object *args, const void *packed,
                       size_t packed_len, emca_reply_fn cb, void *arg,
                       bool is_auth)
{
    if (!alive(c) || c->bev == NULL)
        return 0;
    uint32_t msgid = c->next_msgid++;
    if (c->next_msgid == 0)
        c->next_msgid = 1;
    bool has_args = args != NULL || (packed != NULL && packed_len > 0);
    size_t mlen = strlen(method);
    msgpack_packer pk;

    msgpack_sbuffer_clear(&c->wbuf);
    msgpack_packer_init(&pk, &c->wbuf, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint8(&pk, 0);
    msgpack_pack_uint32(&pk, msgid);
    msgpack_pack_str(&pk, mlen);
    msgpack_pack_str_body(&pk, method, mlen);
    msgpack_pack_array(&pk, has_args ? 1 : 0);
    if (args != NULL)
        msgpack_pack_object(&pk, *args);
    else if (has_args)
        msgpack_sbuffer_write(&c->wbuf, packed, packed_len);
    if (bufferevent_write(c->bev, c->wbuf.data, c->wbuf.size) < 0)
        return 0;
    if (is_auth)
        explicit_bzero(c->wbuf.data, c->wbuf.size);

    struct call *k = xcalloc(1, sizeof *k);
    k->conn = c;
    k->msgid = msgid;
    k->cb = cb;
    k->arg = arg;
    k->is_auth = is_auth;
    c->authing |= is_auth;
    if (c->call_timeout_ms > 0 && !is_auth) {
        struct timeval tv = {c->call_timeout_ms / 1000,
                             (c->call_timeout_ms % 1000) * 1000};
        k->timer = evtimer_new(c->base, on_call_timeout, k);
        if (k->timer == NULL || evtimer_add(k->timer, &tv) < 0) {
            /* The request is already queued; let it wait without one. */
            if (k->timer != NULL)
                event_free(k->timer);
            k->timer = NULL;
        }
    }
    k->prev = c->tail;
    if (c->tail != NULL)
        c->tail->next = k;
    else
        c->head = k;
    c->tail = k;
    c->npending++;
    return msgid;
}

uint32_t emca_call(struct emca *c, const char *method,
                   const msgpack_object *args, emca_reply_fn cb, void *arg)
{
    return submit(c, method, args, NULL, 0, cb, arg, false);
}

uint32_t emca_call_packed(struct emca *c, const char *method, const void *args,
                          size_t args_len, emca_reply_fn cb, void *arg)
{
    return submit(c, method, NULL, args, args_len, cb, arg, false);
}

void emca_set_call_timeout(struct emca *c, int timeout_ms)
{
    c->call_timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
}

/* ---- closing and queries ------------------------------------------------- */

static void close_inner(struct emca *c)
{
    if (c->state == EMCA_ST_FAILED || c->state == EMCA_ST_CLOSED)
        return;
    c->state = EMCA_ST_CLOSED;
    teardown(c);
    fail_all(c, EMCA_ERR_CLOSED, "connection closed by the client");
}

void emca_close(struct emca *c)
{
    if (c == NULL)
        return;
    enter(c);
    close_inner(c);
    leave(c);
}

void emca_free(struct emca *c)
{
    if (c == NULL || c->free_pending)
        return;
    c->free_pending = true;
    enter(c);
    close_inner(c);
    leave(c); /* frees c unless one of its callbacks is on the stack */
}

msgpack_zone *emca_reply_take_zone(struct emca_reply *reply)
{
    msgpack_zone *z = reply->zone;
    reply->zone = NULL;
    return z;
}

enum emca_state emca_get_state(const struct emca *c)
{
    return c->state;
}

enum emca_errkind emca_err(const struct emca *c)
{
    return c->err;
}

const char *emca_errstr(const struct emca *c)
{
    return c->errstr;
}

const char *emca_role(const struct emca *c)
{
    return c->role;
}

size_t emca_pending(const struct emca *c)
{
    return c->npending;
}

uint64_t emca_stray_replies(const struct emca *c)
{
    return c->stray;
}

void *emca_data(const struct emca *c)
{
    return c->data;
}
