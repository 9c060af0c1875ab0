/* rpcbench.c: expomatch-bench, a single-threaded epoll load generator that
 * measures expomatchd (MessagePack-RPC) and redis-server (RESP) alike, so
 * the two can be compared with the same client on the same machine; with
 * --tls it speaks TLS to expomatchd's tls-port, so that TLS can be compared
 * with plain TCP the same way. */
#include "mpscan.h"
#include "numarg.h"
#include "pack.h"
#include "token.h"
#include "xmalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <msgpack.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Bounds on what one run may ask for: a benchmark must stay a benchmark. */
#define MAX_CONNS 10000
#define MAX_PIPELINE 4096
#define MAX_SECONDS 600.0
#define MAX_REQUESTS 1000000000LL
#define MAX_REPLY_BYTES (1 << 20) /* replies are untrusted too */
#define MAX_REPLY_DEPTH 32
#define READ_CHUNK 65536
#define SETUP_TIMEOUT_NS (10 * NS_PER_S)
#define STALL_TIMEOUT_NS (10 * NS_PER_S)
#define NS_PER_S 1000000000LL

enum exit_status {
    EXIT_OK = 0,
    EXIT_RUN_FAILED = 1, /* connections lost, stalled, or protocol errors */
    EXIT_AUTH_FAILED = 2,
    EXIT_CONNECT = 3,
    EXIT_USAGE = 64
};

enum target { TARGET_EXPOMATCH, TARGET_REDIS };
enum method { METHOD_PING, METHOD_PROFILE_GET };

enum conn_state {
    CONN_CONNECTING, /* non-blocking connect in progress */
    CONN_HANDSHAKE,  /* TLS handshake in progress (--tls) */
    CONN_AUTHING,    /* auth sent, waiting for its reply */
    CONN_READY,      /* set up; waits for every other connection */
    CONN_RUNNING,    /* sending and receiving the load */
    CONN_DEAD        /* failed; its fd is closed */
};

struct conn {
    int fd;                /* the socket, -1 once dead */
    SSL *ssl;              /* TLS session on it (--tls), or NULL */
    enum conn_state state; /* where it is in its life */
    int want_out;          /* EPOLLOUT is registered: a write was partial */
    char *wbuf;            /* requests not yet written */
    size_t wlen, woff;     /* bytes in wbuf; bytes of them already written */
    size_t wcap;           /* allocated size of wbuf */
    char *rbuf;            /* bytes received; a partial reply at the front */
    size_t rlen;           /* bytes in rbuf */
    size_t rcap;           /* allocated size of rbuf */
    struct mpscan scan;    /* progress over the reply at rbuf (expomatch) */
    uint32_t next_id;      /* msgid of the next request; never 0 */
    uint32_t expect_id;    /* msgid of the oldest request in flight */
    int inflight;          /* requests sent and not yet answered */
    int64_t *sent;         /* send times of those, a ring of `pipeline` */
    int head;              /* ring index of the oldest */
};

/* Latency histogram: exact below 2^SUB_BITS ns, then SUB_COUNT buckets per
 * power of two (under 2% error), up to 2^MAX_EXP ns (18 minutes). */
#define SUB_BITS 6
#define SUB_COUNT (1 << SUB_BITS)
#define MAX_EXP 40
#define HIST_BUCKETS ((MAX_EXP - SUB_BITS + 2) * SUB_COUNT)

struct bench {
    /* Options. */
    enum target target;
    enum method method;
    const char *host;
    int port;
    int conns;
    int pipeline;
    double seconds;     /* duration, when requests is 0 */
    long long requests; /* count to measure, 0 for a duration */
    double warmup;
    int redis_inline;       /* PING as an inline command, not multibulk */
    char *token;            /* auth token, or NULL */
    int tls;                /* speak TLS */
    const char *cacert;     /* verify the server against this CA, or NULL */
    SSL_CTX *ssl_ctx;       /* TLS context of every connection */
    const char *event, *id; /* profile.get arguments */

    /* Requests, prepared once. */
    char *tail; /* expomatch: the request after its msgid */
    size_t tail_len;
    char *auth_req; /* expomatch: the auth request, msgid 1 */
    size_t auth_len;

    /* Run state. */
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int ep;               /* epoll instance */
    struct conn *c;       /* conns of them */
    int live;             /* connections not dead */
    int ready;            /* connections set up */
    int go;               /* the load is running */
    int auth_failed;      /* some auth reply was an error */
    char auth_error[256]; /* its text */
    int64_t t_start;      /* when setup began */
    int64_t t_measure;    /* when counting begins (end of warmup) */
    int64_t t_end;        /* when counting ends (duration mode) */
    int64_t t_last_reply; /* for stall detection */
    int done;

    /* Results. */
    long long counted; /* replies inside the measured window */
    long long errors;  /* error replies, protocol errors, lost conns */
    int lost;          /* connections lost, to say why only a few times */
    uint64_t hist[HIST_BUCKETS];
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static int hist_index(uint64_t v)
{
    if (v < SUB_COUNT)
        return (int)v;
    int e = 63 - __builtin_clzll(v); /* >= SUB_BITS */
    if (e > MAX_EXP)
        return HIST_BUCKETS - 1;
    int sub = (int)((v >> (e - SUB_BITS)) - SUB_COUNT);
    return (e - SUB_BITS + 1) * SUB_COUNT + sub;
}

/* The middle of a bucket's range of values. */
static double hist_value(int idx)
{
    if (idx < SUB_COUNT)
        return idx;
    int e = idx / SUB_COUNT - 1 + SUB_BITS;
    int sub = idx % SUB_COUNT;
    double lo = (double)((uint64_t)(SUB_COUNT + sub) << (e - SUB_BITS));
    return lo + (double)((uint64_t)1 << (e - SUB_BITS)) / 2;
}

/* The latency (ns) under which a fraction q of the counted replies came. */
static double hist_quantile(const struct bench *b, double q)
{
    uint64_t total = 0, seen = 0;
    for (int i = 0; i < HIST_BUCKETS; i++)
        total += b->hist[i];
    if (total == 0)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)total + 0.999999);
    if (rank < 1)
        rank = 1;
    for (int i = 0; i < HIST_BUCKETS; i++) {
        seen += b->hist[i];
        if (seen >= rank)
            return hist_value(i);
    }
    return hist_value(HIST_BUCKETS - 1);
}

/* Appends a msgid in its smallest MessagePack form, as the contract asks. */
static size_t put_msgid(char *p, uint32_t id)
{
    unsigned char *u = (unsigned char *)p;
    if (id < 128) {
        u[0] = (unsigned char)id;
        return 1;
    }
    if (id < 256) {
        u[0] = 0xcc;
        u[1] = (unsigned char)id;
        return 2;
    }
    if (id < 65536) {
        u[0] = 0xcd;
        u[1] = (unsigned char)(id >> 8);
        u[2] = (unsigned char)id;
        return 3;
    }
    u[0] = 0xce;
    u[1] = (unsigned char)(id >> 24);
    u[2] = (unsigned char)(id >> 16);
    u[3] = (unsigned char)(id >> 8);
    u[4] = (unsigned char)id;
    return 5;
}

/* Packs the parts of the requests that never change. */
static void prepare_requests(struct bench *b)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;

    if (b->target == TARGET_REDIS) {
        const char *cmd = b->redis_inline ? "PING\r\n" : "*1\r\n$4\r\nPING\r\n";
        b->tail = xstrdup(cmd);
        b->tail_len = strlen(cmd);
        return;
    }
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    if (b->method == METHOD_PING) {
        emc_pack_cstr(&pk, "ping");
        msgpack_pack_array(&pk, 0);
    } else {
        emc_pack_cstr(&pk, "profile.get");
        msgpack_pack_array(&pk, 1);
        msgpack_pack_map(&pk, 2);
        emc_pack_cstr(&pk, "event");
        emc_pack_cstr(&pk, b->event);
        emc_pack_cstr(&pk, "id");
        emc_pack_cstr(&pk, b->id);
    }
    b->tail = xmalloc(sb.size);
    memcpy(b->tail, sb.data, sb.size);
    b->tail_len = sb.size;
    if (b->token != NULL) {
        msgpack_sbuffer_clear(&sb);
        msgpack_pack_array(&pk, 4);
        msgpack_pack_uint8(&pk, 0);
        msgpack_pack_uint8(&pk, 1);
        emc_pack_cstr(&pk, "auth");
        msgpack_pack_array(&pk, 1);
        msgpack_pack_map(&pk, 1);
        emc_pack_cstr(&pk, "token");
        emc_pack_cstr(&pk, b->token);
        b->auth_req = xmalloc(sb.size);
        memcpy(b->auth_req, sb.data, sb.size);
        b->auth_len = sb.size;
        explicit_bzero(sb.data, sb.size);
    }
    msgpack_sbuffer_destroy(&sb);
}

static void wbuf_reserve(struct conn *c, size_t more)
{
    if (c->wcap - c->wlen >= more)
        return;
    while (c->wcap - c->wlen < more)
        c->wcap *= 2;
    c->wbuf = xrealloc(c->wbuf, c->wcap);
}

static void conn_kill(struct bench *b, struct conn *c, const char *why)
{
    if (c->state == CONN_DEAD)
        return;
    if (why != NULL && b->lost++ < 3)
        fprintf(stderr, "expomatch-bench: connection %d: %s\n", (int)(c - b->c),
                why);
    b->errors++;
    if (c->state == CONN_READY || c->state == CONN_RUNNING)
        b->ready--;
    if (c->ssl != NULL) {
        SSL_free(c->ssl);
        c->ssl = NULL;
        ERR_clear_error();
    }
    close(c->fd);
    c->fd = -1;
    c->state = CONN_DEAD;
    b->live--;
}

static void update_events(struct bench *b, struct conn *c, int want_out)
{
    if (c->want_out == want_out)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0),
                             .data.ptr = c};
    epoll_ctl(b->ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = want_out;
}

/* Sends on the socket or through the TLS session; -1 with errno EAGAIN
 * when it cannot take more now. */
static ssize_t conn_send(struct conn *c, const void *buf, size_t len)
{
    if (c->ssl == NULL)
        return send(c->fd, buf, len, MSG_NOSIGNAL);
    size_t n = 0;
    if (SSL_write_ex(c->ssl, buf, len, &n) == 1)
        return (ssize_t)n;
    int e = SSL_get_error(c->ssl, 0);
    ERR_clear_error();
    errno =
        e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ ? EAGAIN : EPIPE;
    return -1;
}

/* Receives from the socket or the TLS session: bytes, 0 at the end, or -1
 * with errno (EAGAIN: nothing now). */
static ssize_t conn_recv(struct conn *c, void *buf, size_t len)
{
    if (c->ssl == NULL)
        return recv(c->fd, buf, len, 0);
    size_t n = 0;
    if (SSL_read_ex(c->ssl, buf, len, &n) == 1)
        return (ssize_t)n;
    int e = SSL_get_error(c->ssl, 0);
    ERR_clear_error();
    if (e == SSL_ERROR_ZERO_RETURN)
        return 0;
    errno = e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? EAGAIN
                                                                  : ECONNRESET;
    return -1;
}

/* Writes what wbuf holds, in one send when the socket takes it all; asks
 * for writability only when it did not. */
static void conn_flush(struct bench *b, struct conn *c)
{
    while (c->woff < c->wlen) {
        ssize_t n = conn_send(c, c->wbuf + c->woff, c->wlen - c->woff);
        if (n > 0) {
            c->woff += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            update_events(b, c, 1);
            return;
        }
        conn_kill(b, c, n < 0 ? strerror(errno) : "short write");
        return;
    }
    c->wlen = c->woff = 0;
    update_events(b, c, 0);
}

/* Tops the pipeline up to `pipeline` requests in flight, as one batch. */
static void conn_fill(struct bench *b, struct conn *c, int64_t now)
{
    if (!b->go || c->state != CONN_RUNNING || c->wlen > 0)
        return;
    if (b->requests > 0 && b->counted >= b->requests)
        return;
    int n = b->pipeline - c->inflight;
    if (n <= 0)
        return;
    wbuf_reserve(c, (size_t)n * (b->tail_len + 8));
    for (int i = 0; i < n; i++) {
        if (b->target == TARGET_EXPOMATCH) {
            char *p = c->wbuf + c->wlen;
            p[0] = (char)0x94;
            p[1] = 0x00;
            size_t k = 2 + put_msgid(p + 2, c->next_id);
            memcpy(p + k, b->tail, b->tail_len);
            c->wlen += k + b->tail_len;
            if (++c->next_id == 0)
                c->next_id = 1;
        } else {
            memcpy(c->wbuf + c->wlen, b->tail, b->tail_len);
            c->wlen += b->tail_len;
        }
        c->sent[(c->head + c->inflight) % b->pipeline] = now;
        c->inflight++;
    }
    conn_flush(b, c);
}

/* Accounts one reply to the oldest request in flight. */
static void reply_arrived(struct bench *b, struct conn *c, int64_t now,
                          int is_error)
{
    int64_t sent = c->sent[c->head];
    c->head = (c->head + 1) % b->pipeline;
    c->inflight--;
    b->t_last_reply = now;
    /* Error replies count where the replies count, so errors <= replies
     * unless connections were lost. */
    if (b->go && now >= b->t_measure && now < b->t_end && !b->done) {
        b->errors += is_error;
        b->counted++;
        b->hist[hist_index((uint64_t)(now - sent))]++;
    }
}

/* Reads a msgid at p (within n bytes); returns its length, 0 if it is not
 * an unsigned integer. */
static size_t get_msgid(const unsigned char *p, size_t n, uint64_t *id)
{
    if (n >= 1 && p[0] < 0x80) {
        *id = p[0];
        return 1;
    }
    int w = n >= 1 ? (p[0] == 0xcc   ? 1
                      : p[0] == 0xcd ? 2
                      : p[0] == 0xce ? 4
                      : p[0] == 0xcf ? 8
                                     : 0)
                   : 0;
    if (w == 0 || n < (size_t)w + 1)
        return 0;
    *id = 0;
    for (int i = 1; i <= w; i++)
        *id = (*id << 8) | p[i];
    return (size_t)w + 1;
}

/* One complete expomatch reply at p: checks the envelope and the msgid
 * against the FIFO order. Returns -1 when the connection cannot go on. */
static int expomatch_reply(struct bench *b, struct conn *c,
                           const unsigned char *p, size_t n, int64_t now)
{
    /* [2, method, params]: a notification, not an answer. */
    if (n >= 2 && p[0] == 0x93 && p[1] == 0x02)
        return 0;
    uint64_t id;
    size_t k = (n >= 2 && p[0] == 0x94 && p[1] == 0x01)
                   ? get_msgid(p + 2, n - 2, &id)
                   : 0;
    if (k == 0 || 2 + k >= n) {
        conn_kill(b, c, "reply is not a MessagePack-RPC response");
        return -1;
    }
    int is_error = p[2 + k] != 0xc0;
    if (c->state == CONN_AUTHING) {
        if (id != 1 || is_error) {
            b->auth_failed = 1;
            snprintf(b->auth_error, sizeof b->auth_error, "%s",
                     is_error ? "the server refused the token"
                              : "unexpected reply to auth");
            conn_kill(b, c, NULL);
            return -1;
        }
        c->state = CONN_READY;
        b->ready++;
        return 0;
    }
    if (c->inflight == 0 || id != c->expect_id) {
        char why[96];
        snprintf(why, sizeof why, "reply for msgid %llu while expecting %u",
                 (unsigned long long)id, c->expect_id);
        conn_kill(b, c, why);
        return -1;
    }
    if (++c->expect_id == 0)
        c->expect_id = 1;
    reply_arrived(b, c, now, is_error);
    return 0;
}

/* Takes every complete reply off the front of rbuf. */
static void parse_expomatch(struct bench *b, struct conn *c, int64_t now)
{
    size_t off = 0;
    while (off < c->rlen && c->state != CONN_DEAD) {
        size_t len;
        enum mpscan_result r =
            mpscan_feed(&c->scan, (const uint8_t *)c->rbuf + off, c->rlen - off,
                        MAX_REPLY_BYTES, MAX_REPLY_DEPTH, &len);
        if (r == MPSCAN_MORE)
            break;
        if (r != MPSCAN_DONE) {
            conn_kill(b, c,
                      r == MPSCAN_INVALID
                          ? "reply is not MessagePack"
                          : "reply over the size or depth limit");
            return;
        }
        if (expomatch_reply(b, c, (const unsigned char *)c->rbuf + off, len,
                            now) < 0)
            return;
        off += len;
        mpscan_reset(&c->scan);
    }
    memmove(c->rbuf, c->rbuf + off, c->rlen - off);
    c->rlen -= off;
}

/* RESP replies to PING are one line: +PONG, or -ERR ... */
static void parse_redis(struct bench *b, struct conn *c, int64_t now)
{
    size_t off = 0;
    while (off < c->rlen) {
        char *nl = memchr(c->rbuf + off, '\n', c->rlen - off);
        if (nl == NULL)
            break;
        char kind = c->rbuf[off];
        if ((kind != '+' && kind != '-') || c->inflight == 0) {
            conn_kill(b, c, "unexpected RESP reply");
            return;
        }
        reply_arrived(b, c, now, kind == '-');
        off = (size_t)(nl - c->rbuf) + 1;
    }
    if (c->rlen - off > MAX_REPLY_BYTES) {
        conn_kill(b, c, "reply line too long");
        return;
    }
    memmove(c->rbuf, c->rbuf + off, c->rlen - off);
    c->rlen -= off;
}

static void conn_read(struct bench *b, struct conn *c, int64_t now)
{
    for (;;) {
        if (c->rcap - c->rlen < READ_CHUNK / 2) {
            c->rcap *= 2;
            c->rbuf = xrealloc(c->rbuf, c->rcap);
        }
        size_t room = c->rcap - c->rlen;
        ssize_t n = conn_recv(c, c->rbuf + c->rlen, room);
        if (n == 0) {
            conn_kill(b, c, "server closed the connection");
            return;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                conn_kill(b, c, strerror(errno));
            return;
        }
        c->rlen += (size_t)n;
        if (b->target == TARGET_EXPOMATCH)
            parse_expomatch(b, c, now);
        else
            parse_redis(b, c, now);
        /* A read that filled the buffer may have left more behind; else
         * one read per wake-up saves the syscall that would say EAGAIN.
         * A TLS session may hold decrypted bytes the socket no longer
         * signals: read until it says it has none. */
        if (c->state == CONN_DEAD ||
            ((size_t)n < room && (c->ssl == NULL || !SSL_pending(c->ssl))))
            return;
    }
}

/* The connection is set up (TCP, and TLS when asked): authenticate or be
 * ready. */
static void conn_established(struct bench *b, struct conn *c)
{
    if (b->auth_req != NULL) {
        c->state = CONN_AUTHING;
        wbuf_reserve(c, b->auth_len);
        memcpy(c->wbuf, b->auth_req, b->auth_len);
        c->wlen = b->auth_len;
        c->next_id = c->expect_id = 2;
        conn_flush(b, c);
    } else {
        c->state = CONN_READY;
        b->ready++;
        update_events(b, c, 0);
    }
}

/* Drives the TLS handshake as far as the socket allows. */
static void conn_handshake(struct bench *b, struct conn *c)
{
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        conn_established(b, c);
        return;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        update_events(b, c, e == SSL_ERROR_WANT_WRITE);
        return;
    }
    char why[160] = "TLS handshake failed";
    unsigned long err = ERR_peek_last_error();
    if (err != 0)
        ERR_error_string_n(err, why, sizeof why);
    ERR_clear_error();
    conn_kill(b, c, why);
}

/* The connect finished (or failed): TLS, then authenticate or be ready. */
static void conn_connected(struct bench *b, struct conn *c)
{
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (soerr != 0) {
        conn_kill(b, c, strerror(soerr));
        return;
    }
    if (b->ssl_ctx == NULL) {
        conn_established(b, c);
        return;
    }
    c->ssl = SSL_new(b->ssl_ctx);
    if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
        conn_kill(b, c, "cannot create a TLS session");
        return;
    }
    SSL_set_connect_state(c->ssl);
    c->state = CONN_HANDSHAKE;
    conn_handshake(b, c);
}

static int conn_open(struct bench *b, struct conn *c)
{
    memset(c, 0, sizeof *c);
    c->fd = socket(b->addr.ss_family,
                   SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->wcap = 4096;
    c->wbuf = xmalloc(c->wcap);
    c->rcap = READ_CHUNK;
    c->rbuf = xmalloc(c->rcap);
    c->sent = xcalloc((size_t)b->pipeline, sizeof *c->sent);
    c->next_id = c->expect_id = 1;
    mpscan_reset(&c->scan);
    c->state = CONN_CONNECTING;
    c->want_out = 1;
    b->live++;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(b->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
        return -1;
    if (connect(c->fd, (struct sockaddr *)&b->addr, b->addrlen) < 0 &&
        errno != EINPROGRESS)
        return -1;
    return 0;
}

static void conn_free(struct conn *c)
{
    if (c->ssl != NULL)
        SSL_free(c->ssl);
    if (c->fd >= 0)
        close(c->fd);
    free(c->wbuf);
    free(c->rbuf);
    free(c->sent);
}

/* Starts the load once every connection is set up. */
static void maybe_go(struct bench *b, int64_t now)
{
    if (b->go || b->ready < b->live || b->live == 0)
        return;
    b->go = 1;
    b->t_measure = now + (int64_t)(b->warmup * NS_PER_S);
    b->t_end = b->requests > 0
                   ? b->t_measure + (int64_t)(MAX_SECONDS * NS_PER_S)
                   : b->t_measure + (int64_t)(b->seconds * NS_PER_S);
    b->t_last_reply = now;
    for (int i = 0; i < b->conns; i++) {
        struct conn *c = &b->c[i];
        if (c->state == CONN_READY) {
            c->state = CONN_RUNNING;
            conn_fill(b, c, now);
        }
    }
}

static void handle_event(struct bench *b, struct conn *c, uint32_t events,
                         int64_t now)
{
    if (c->state == CONN_DEAD)
        return;
    if (c->state == CONN_CONNECTING) {
        conn_connected(b, c);
        return;
    }
    if (c->state == CONN_HANDSHAKE) {
        conn_handshake(b, c);
        return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        conn_read(b, c, now);
    if (c->state != CONN_DEAD && (events & EPOLLOUT))
        conn_flush(b, c);
    conn_fill(b, c, now);
}

/* Runs the load; returns an exit status. */
static int run(struct bench *b)
{
    struct epoll_event evs[512];

    b->ep = epoll_create1(EPOLL_CLOEXEC);
    if (b->ep < 0) {
        perror("expomatch-bench: epoll_create1");
        return EXIT_RUN_FAILED;
    }
    b->c = xcalloc((size_t)b->conns, sizeof *b->c);
    for (int i = 0; i < b->conns; i++)
        b->c[i].fd = -1; /* so that cleanup closes only what was opened */
    for (int i = 0; i < b->conns; i++) {
        if (conn_open(b, &b->c[i]) < 0) {
            fprintf(stderr, "expomatch-bench: cannot connect: %s\n",
                    strerror(errno));
            return EXIT_CONNECT;
        }
    }
    b->t_start = now_ns();
    while (!b->done) {
        int64_t now = now_ns();
        int64_t next = b->go ? (now < b->t_measure ? b->t_measure : b->t_end)
                             : b->t_start + SETUP_TIMEOUT_NS;
        int64_t wait_ms = (next - now) / 1000000 + 1;
        if (wait_ms > 100)
            wait_ms = 100;
        int n = epoll_wait(b->ep, evs, 512, (int)wait_ms);
        if (n < 0 && errno != EINTR) {
            perror("expomatch-bench: epoll_wait");
            return EXIT_RUN_FAILED;
        }
        for (int i = 0; i < n; i++) {
            /* One clock read per connection: every reply of one read
             * arrived at once, and the refill goes out at once. */
            handle_event(b, evs[i].data.ptr, evs[i].events, now_ns());
        }
        now = now_ns();
        if (b->auth_failed) {
            fprintf(stderr, "expomatch-bench: auth failed: %s\n",
                    b->auth_error);
            return EXIT_AUTH_FAILED;
        }
        if (b->live == 0) {
            fprintf(stderr, "expomatch-bench: every connection failed\n");
            return b->go ? EXIT_RUN_FAILED : EXIT_CONNECT;
        }
        if (!b->go) {
            maybe_go(b, now);
            if (!b->go && now - b->t_start > SETUP_TIMEOUT_NS) {
                fprintf(stderr,
                        "expomatch-bench: setup timed out (%d of %d ready)\n",
                        b->ready, b->conns);
                return EXIT_CONNECT;
            }
            continue;
        }
        if (now - b->t_last_reply > STALL_TIMEOUT_NS) {
            fprintf(stderr, "expomatch-bench: no reply for %lld s; giving up\n",
                    STALL_TIMEOUT_NS / NS_PER_S);
            return EXIT_RUN_FAILED;
        }
        if (b->requests > 0 && b->counted >= b->requests)
            b->t_end = now;
        if (now >= b->t_end && now >= b->t_measure)
            b->done = 1;
    }
    return EXIT_OK;
}

static void report(const struct bench *b)
{
    double secs = (double)(b->t_end - b->t_measure) / NS_PER_S;
    double rps = secs > 0 ? (double)b->counted / secs : 0;
    double p50 = hist_quantile(b, 0.50) / 1000.0,
           p99 = hist_quantile(b, 0.99) / 1000.0;
    const char *tname = b->target == TARGET_REDIS ? "redis" : "expomatch";
    const char *mname = b->target == TARGET_REDIS  ? "PING"
                        : b->method == METHOD_PING ? "ping"
                                                   : "profile.get";

    printf("%s %s: %d conns x %d in flight, %.2f s: %lld replies, %.0f req/s, "
           "p50 %.3f ms, p99 %.3f ms, errors %lld\n",
           tname, mname, b->conns, b->pipeline, secs, b->counted, rps,
           p50 / 1000, p99 / 1000, b->errors);
    printf(
        "RESULT target=%s method=%s conns=%d pipeline=%d rps=%.0f p50_us=%.0f "
        "p99_us=%.0f errors=%lld\n",
        tname, mname, b->conns, b->pipeline, rps, p50, p99, b->errors);
    fflush(stdout);
}

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: expomatch-bench [--target expomatch|redis] [-h HOST] [-p "
        "PORT]\n"
        "                       [-c CONNS] [-P PIPELINE] [-d SECONDS | -n "
        "REQUESTS]\n"
        "                       [--warmup SECONDS] [--method "
        "ping|profile.get]\n"
        "                       [--auth TOKEN|@FILE] [--event E --id ID] "
        "[--inline]\n"
        "\n"
        "Keeps PIPELINE requests in flight on each of CONNS connections to a\n"
        "loopback server and prints throughput and latency, then a line\n"
        "'RESULT target=... method=... conns=... pipeline=... rps=... "
        "p50_us=...\n"
        "p99_us=... errors=...'.\n"
        "\n"
        "  --target T     expomatch (MessagePack-RPC, default) or redis (RESP "
        "PING)\n"
        "  -h HOST        loopback address or name (default 127.0.0.1)\n"
        "  -p PORT        default 7411 for expomatch, 6379 for redis\n"
        "  -c CONNS       connections (default 50, at most %d)\n"
        "  -P PIPELINE    requests in flight per connection (default 1, at "
        "most %d)\n"
        "  -d SECONDS     measured duration (default 5, at most %.0f)\n"
        "  -n REQUESTS    measure this many replies instead of a duration\n"
        "  --warmup S     unmeasured load before measuring (default 1)\n"
        "  --method M     ping (default) or profile.get (needs --event and "
        "--id)\n"
        "  --auth TOKEN   authenticate each connection first (@FILE reads the "
        "token\n"
        "                 from FILE; default: EXPOMATCH_TOKEN when --method "
        "needs it)\n"
        "  --event E, --id ID   the profile to read with profile.get\n"
        "  --inline       send PING to redis as an inline command\n"
        "  --tls          speak TLS (expomatchd's tls-port); the server is "
        "not\n"
        "                 verified unless --cacert is given\n"
        "  --cacert FILE  verify the server's certificate against this CA\n"
        "\n"
        "Exit status: 0 measured; 1 the run failed; 2 auth failed; 3 could "
        "not\n"
        "connect; 64 usage error.\n",
        MAX_CONNS, MAX_PIPELINE, MAX_SECONDS);
}

/* The token itself: the argument, or the trimmed content of @FILE. */
static char *load_token(const char *arg)
{
    char err[300];
    char *tok = emc_token_load(arg, err, sizeof err);
    if (tok == NULL)
        fprintf(stderr, "expomatch-bench: %s\n", err);
    return tok;
}

/* Only loopback: this tool floods its target. */
static int is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a =
            &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a))
            return 1;
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
    }
    return 0;
}

static int resolve(struct bench *b)
{
    char portstr[16], name[256];
    const char *h = b->host;
    size_t hl = strlen(h);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof name)
        return -1;
    memcpy(name, h, hl);
    name[hl] = '\0';
    snprintf(portstr, sizeof portstr, "%d", b->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *res;
    int gai = getaddrinfo(name, portstr, &hints, &res);
    if (gai != 0) {
        fprintf(stderr, "expomatch-bench: cannot resolve %s: %s\n", name,
                gai_strerror(gai));
        return -1;
    }
    int found = 0;
    for (struct addrinfo *ai = res; ai != NULL && !found; ai = ai->ai_next) {
        if (is_loopback(ai->ai_addr)) {
            memcpy(&b->addr, ai->ai_addr, ai->ai_addrlen);
            b->addrlen = ai->ai_addrlen;
            found = 1;
        }
    }
    freeaddrinfo(res);
    if (!found)
        fprintf(stderr,
                "expomatch-bench: %s is not a loopback address; refusing\n",
                name);
    return found ? 0 : -1;
}

/* One client context for every connection: TLS 1.2 or later, the
 * daemon's default ciphers; the server checked only against --cacert
 * (loopback only, so a benchmark may skip it). */
static int make_tls_context(struct bench *b)
{
    if (b->target != TARGET_EXPOMATCH) {
        fprintf(stderr, "expomatch-bench: --tls is for --target expomatch\n");
        return -1;
    }
    b->ssl_ctx = SSL_CTX_new(TLS_client_method());
    if (b->ssl_ctx == NULL)
        return -1;
    SSL_CTX_set_min_proto_version(b->ssl_ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(b->ssl_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(b->ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                                     SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (b->cacert == NULL)
        return 0;
    if (SSL_CTX_load_verify_locations(b->ssl_ctx, b->cacert, NULL) != 1) {
        fprintf(stderr, "expomatch-bench: cannot load CA file %s\n", b->cacert);
        return -1;
    }
    SSL_CTX_set_verify(b->ssl_ctx, SSL_VERIFY_PEER, NULL);
    return 0;
}

/* Enough descriptors for every connection, within the hard limit. */
static void raise_fd_limit(int conns)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)conns + 32;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
        rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Fills b from argv; -1 after saying why on a usage error, 1 for --help. */
static int parse_options(int argc, char **argv, struct bench *b)
{
    enum {
        O_TARGET = 256,
        O_WARMUP,
        O_METHOD,
        O_AUTH,
        O_EVENT,
        O_ID,
        O_INLINE,
        O_TLS,
        O_CACERT,
        O_HELP
    };
    static const struct option longopts[] = {
        {"target", required_argument, NULL, O_TARGET},
        {"warmup", required_argument, NULL, O_WARMUP},
        {"method", required_argument, NULL, O_METHOD},
        {"auth", required_argument, NULL, O_AUTH},
        {"event", required_argument, NULL, O_EVENT},
        {"id", required_argument, NULL, O_ID},
        {"inline", no_argument, NULL, O_INLINE},
        {"tls", no_argument, NULL, O_TLS},
        {"cacert", required_argument, NULL, O_CACERT},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *auth = NULL;
    double v;
    int ch;

    b->host = "127.0.0.1";
    b->conns = 50;
    b->pipeline = 1;
    b->seconds = 5;
    b->warmup = 1;
    while ((ch = getopt_long(argc, argv, "h:p:c:P:d:n:", longopts, NULL)) !=
           -1) {
        switch (ch) {
        case 'h': b->host = optarg; break;
        case 'p':
            if (emc_parse_double(optarg, 1, 65535, &v) < 0)
                goto bad;
            b->port = (int)v;
            break;
        case 'c':
            if (emc_parse_double(optarg, 1, MAX_CONNS, &v) < 0)
                goto bad;
            b->conns = (int)v;
            break;
        case 'P':
            if (emc_parse_double(optarg, 1, MAX_PIPELINE, &v) < 0)
                goto bad;
            b->pipeline = (int)v;
            break;
        case 'd':
            if (emc_parse_double(optarg, 0.1, MAX_SECONDS, &v) < 0)
                goto bad;
            b->seconds = v;
            break;
        case 'n':
            if (emc_parse_double(optarg, 1, (double)MAX_REQUESTS, &v) < 0)
                goto bad;
            b->requests = (long long)v;
            break;
        case O_WARMUP:
            if (emc_parse_double(optarg, 0, 60, &v) < 0)
                goto bad;
            b->warmup = v;
            break;
        case O_TARGET:
            if (strcmp(optarg, "expomatch") == 0)
                b->target = TARGET_EXPOMATCH;
            else if (strcmp(optarg, "redis") == 0)
                b->target = TARGET_REDIS;
            else
                goto bad;
            break;
        case O_METHOD:
            if (strcmp(optarg, "ping") == 0)
                b->method = METHOD_PING;
            else if (strcmp(optarg, "profile.get") == 0)
                b->method = METHOD_PROFILE_GET;
            else
                goto bad;
            break;
        case O_AUTH: auth = optarg; break;
        case O_EVENT: b->event = optarg; break;
        case O_ID: b->id = optarg; break;
        case O_INLINE: b->redis_inline = 1; break;
        case O_TLS: b->tls = 1; break;
        case O_CACERT:
            b->cacert = optarg;
            b->tls = 1;
            break;
        case O_HELP: return 1;
        default: return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "expomatch-bench: unexpected argument: %s\n",
                argv[optind]);
        return -1;
    }
    if (b->port == 0)
        b->port = b->target == TARGET_REDIS ? 6379 : 7411;
    if (b->method == METHOD_PROFILE_GET) {
        if (b->target != TARGET_EXPOMATCH || b->event == NULL ||
            b->id == NULL) {
            fprintf(stderr, "expomatch-bench: profile.get needs --target "
                            "expomatch, --event and --id\n");
            return -1;
        }
        if (auth == NULL)
            auth = getenv("EXPOMATCH_TOKEN");
        if (auth == NULL) {
            fprintf(stderr, "expomatch-bench: profile.get needs --auth (or "
                            "EXPOMATCH_TOKEN)\n");
            return -1;
        }
    }
    if (auth != NULL && b->target == TARGET_EXPOMATCH) {
        b->token = load_token(auth);
        if (b->token == NULL)
            return -1;
    }
    return 0;
bad:
    fprintf(stderr, "expomatch-bench: bad option value: %s\n", optarg);
    return -1;
}

int main(int argc, char **argv)
{
    static struct bench b; /* static: the histogram is large for a stack */

    int r = parse_options(argc, argv, &b);
    if (r != 0) {
        usage(r > 0 ? stdout : stderr);
        return r > 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (resolve(&b) < 0)
        return EXIT_USAGE;
    if (b.tls && make_tls_context(&b) < 0)
        return EXIT_USAGE;
    raise_fd_limit(b.conns);
    prepare_requests(&b);
    int status = run(&b);
    if (status == EXIT_OK)
        report(&b);
    for (int i = 0; b.c != NULL && i < b.conns; i++)
        conn_free(&b.c[i]);
    free(b.c);
    if (b.c != NULL && b.ep >= 0)
        close(b.ep);
    if (b.token != NULL) {
        explicit_bzero(b.token, strlen(b.token));
        free(b.token);
    }
    if (b.auth_req != NULL)
        explicit_bzero(b.auth_req, b.auth_len);
    free(b.auth_req);
    free(b.tail);
    SSL_CTX_free(b.ssl_ctx);
    return status;
}
