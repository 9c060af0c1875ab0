/* client.c: synchronous MessagePack-RPC client over TCP, TLS or Unix
 * sockets; see client.h for the API, ownership and limits. */
#include "client.h"

#include "addr.h"
#include "client_tls.h"
#include "mpscan.h"
#include "reply.h"
#include "xmalloc.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define EMC_DEFAULT_MAX_REPLY ((size_t)64 << 20)
/* msgpack-c's unpacker cannot nest deeper than its embedded stack (32), and
 * reports deeper input as out-of-memory, so refuse it before it gets there. */
#define EMC_MAX_DEPTH 32
#define EMC_READ_CHUNK 65536

struct emc {
    int fd;                   /* the socket */
    struct emc_tls_conn *tls; /* TLS session on it, or NULL */
    int timeout_ms;           /* deadline of each call; 0 means none */
    size_t max_reply;         /* bytes of one reply */
    int max_depth;            /* nesting of one reply */
    uint32_t next_msgid;      /* msgid of the next request; never 0, which the
                                 server uses when it could not read ours */
    char *rbuf;           /* received bytes; the current frame at the front */
    size_t rlen;          /* bytes held in rbuf */
    size_t rcap;          /* allocated size of rbuf */
    struct mpscan scan;   /* progress over the frame at rbuf */
    msgpack_sbuffer wbuf; /* the request being sent, reused across calls */
    emc_notify_fn notify; /* notification callback, or NULL */
    void *notify_arg;     /* its argument */
    enum emc_errkind err; /* why the connection failed; NONE while usable */
    char errstr[128];     /* what happened, for people */
};

static void set_err(struct emc *c, enum emc_errkind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first failure; the connection is unusable from then on. */
static void set_err(struct emc *c, enum emc_errkind kind, const char *fmt, ...)
{
    if (c->err != EMC_ERR_NONE)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->errstr, sizeof c->errstr, fmt, ap);
    va_end(ap);
    c->err = kind;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t deadline_after(int timeout_ms)
{
    return timeout_ms > 0 ? now_ms() + timeout_ms : 0;
}

/* Waits until fd is ready for events or the deadline (0: none) passes.
 * Returns 0 when ready, -1 on timeout (errno ETIMEDOUT) or poll error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int ms = -1;
        if (deadline) {
            int64_t left = deadline - now_ms();
            if (left <= 0) {
                errno = ETIMEDOUT;
                return -1;
            }
            ms = left > INT32_MAX ? INT32_MAX : (int)left;
        }
        struct pollfd pfd = {.fd = fd, .events = events};
        int n = poll(&pfd, 1, ms);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

/* Non-blocking connect to one address, bounded by the deadline. Returns the
 * socket, or -1 with errno set. */
static int connect_addr(const struct sockaddr *sa, socklen_t salen, int family,
                        int64_t deadline)
{
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, sa, salen) == 0)
        return fd;
    if (errno != EINPROGRESS && errno != EAGAIN && errno != EINTR)
        goto fail;
    if (wait_fd(fd, POLLOUT, deadline) < 0)
        goto fail;
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
        goto fail;
    if (soerr != 0) {
        errno = soerr;
        goto fail;
    }
    return fd;
fail:;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

static struct emc *emc_new(int fd, int timeout_ms)
{
    struct emc *c = xcalloc(1, sizeof *c);
    c->fd = fd;
    c->timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
    c->max_reply = EMC_DEFAULT_MAX_REPLY;
    c->max_depth = EMC_MAX_DEPTH;
    c->next_msgid = 1;
    c->rcap = 16384;
    c->rbuf = xmalloc(c->rcap);
    msgpack_sbuffer_init(&c->wbuf);
    mpscan_reset(&c->scan);
    return c;
}

/* Connects to the first address of host that answers; the socket, or -1
 * with a message in errbuf. */
static int connect_tcp(const char *host, int port, int64_t deadline,
                       char *errbuf, size_t errlen)
{
    char name[256];
    struct addrinfo *res;
    if (emc_resolve(host, port, &res, name, errbuf, errlen) < 0)
        return -1;
    /* getaddrinfo has no timeout of its own; a CLI can live with that. */
    int fd = -1, lasterr = 0;
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = connect_addr(ai->ai_addr, ai->ai_addrlen, ai->ai_family, deadline);
        if (fd < 0)
            lasterr = errno;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(errbuf, errlen, "cannot connect to %s port %d: %s", name, port,
                 lasterr == ETIMEDOUT ? "timed out" : strerror(lasterr));
        return -1;
    }
    /* Requests are small and answered one by one: do not let Nagle hold
     * them back waiting for an ACK. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

struct emc *emc_connect_tcp(const char *host, int port, int timeout_ms,
                            char *errbuf, size_t errlen)
{
    int fd =
        connect_tcp(host, port, deadline_after(timeout_ms), errbuf, errlen);
    return fd < 0 ? NULL : emc_new(fd, timeout_ms);
}

struct emc *emc_connect_tls(const char *host, int port, int timeout_ms,
                            const struct emc_tls *opts, char *errbuf,
                            size_t errlen)
{
    int64_t deadline = deadline_after(timeout_ms);
    int fd = connect_tcp(host, port, deadline, errbuf, errlen);
    if (fd < 0)
        return NULL;
    char why[256];
    struct emc_tls_conn *t =
        emc_tls_handshake(fd, host, opts, deadline, why, sizeof why);
    if (t == NULL) {
        snprintf(errbuf, errlen, "%s port %d: %s", host, port, why);
        close(fd);
        return NULL;
    }
    struct emc *c = emc_new(fd, timeout_ms);
    c->tls = t;
    return c;
}

struct emc *emc_connect_unix(const char *path, int timeout_ms, char *errbuf,
                             size_t errlen)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sun.sun_path) {
        snprintf(errbuf, errlen, "socket path too long: %s", path);
        return NULL;
    }
    strcpy(sun.sun_path, path);
    int fd = connect_addr((const struct sockaddr *)&sun, sizeof sun, AF_UNIX,
                          deadline_after(timeout_ms));
    if (fd < 0) {
        snprintf(errbuf, errlen, "cannot connect to %s: %s", path,
                 errno == ETIMEDOUT ? "timed out" : strerror(errno));
        return NULL;
    }
    return emc_new(fd, timeout_ms);
}

void emc_close(struct emc *c)
{
    if (c == NULL)
        return;
    emc_tls_close(c->tls);
    if (c->fd >= 0)
        close(c->fd);
    free(c->rbuf);
    msgpack_sbuffer_destroy(&c->wbuf);
    free(c);
}

void emc_set_timeout(struct emc *c, int timeout_ms)
{
    c->timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
}

void emc_set_limits(struct emc *c, size_t max_reply_bytes, int max_depth)
{
    c->max_reply = max_reply_bytes < 64 ? 64 : max_reply_bytes;
    c->max_depth = max_depth < 1               ? 1
                   : max_depth > EMC_MAX_DEPTH ? EMC_MAX_DEPTH
                                               : max_depth;
}

void emc_set_notify(struct emc *c, emc_notify_fn fn, void *arg)
{
    c->notify = fn;
    c->notify_arg = arg;
}

enum emc_errkind emc_err(const struct emc *c)
{
    return c->err;
}

const char *emc_errstr(const struct emc *c)
{
    return c->errstr;
}

void emc_result_free(struct emc_result *result)
{
    if (result != NULL && result->zone != NULL) {
        msgpack_zone_free(result->zone);
        result->zone = NULL;
    }
}

static void fail_errno(struct emc *c, const char *what)
{
    if (errno == ETIMEDOUT)
        set_err(c, EMC_ERR_TIMEOUT, "timed out %s", what);
    else
        set_err(c, EMC_ERR_IO, "%s: %s", what, strerror(errno));
}

/* TLS records of buf, waiting on the socket for what the session needs. */
static int send_all_tls(struct emc *c, const char *buf, size_t len,
                        int64_t deadline)
{
    while (len > 0) {
        short ev = 0;
        char why[256];
        ssize_t n = emc_tls_write(c->tls, buf, len, &ev, why, sizeof why);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        } else if (n == EMC_TLS_WAIT) {
            if (wait_fd(c->fd, ev, deadline) < 0) {
                fail_errno(c, "sending");
                return -1;
            }
        } else {
            set_err(c, EMC_ERR_IO, "sending: %s", why);
            return -1;
        }
    }
    return 0;
}

static int send_all(struct emc *c, const char *buf, size_t len,
                    int64_t deadline)
{
    if (c->tls != NULL)
        return send_all_tls(c, buf, len, deadline);
    while (len > 0) {
        ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (wait_fd(c->fd, POLLOUT, deadline) < 0) {
                fail_errno(c, "sending");
                return -1;
            }
            continue;
        }
        fail_errno(c, "sending");
        return -1;
    }
    return 0;
}

/* One TLS read into rbuf: 0 when bytes came, -1 when the connection
 * failed, 1 when the session waits for the socket (*ev says on what). */
static int read_tls(struct emc *c, short *ev)
{
    char why[256];
    ssize_t n = emc_tls_read(c->tls, c->rbuf + c->rlen, c->rcap - c->rlen, ev,
                             why, sizeof why);
    if (n > 0) {
        c->rlen += (size_t)n;
        return 0;
    }
    if (n == EMC_TLS_WAIT)
        return 1;
    if (n == EMC_TLS_EOF)
        set_err(c, EMC_ERR_EOF, "server closed the connection");
    else
        set_err(c, EMC_ERR_IO, "receiving: %s", why);
    return -1;
}

/* Reads whatever the socket has, waiting until the deadline for some. */
static int read_more(struct emc *c, int64_t deadline)
{
    /* The scanner refuses frames over max_reply before they arrive, so the
     * buffer never needs more than that plus one read's worth. */
    if (c->rcap - c->rlen < EMC_READ_CHUNK / 4) {
        size_t want = c->rcap * 2;
        size_t limit = c->max_reply + EMC_READ_CHUNK;
        if (want > limit)
            want = limit;
        if (want <= c->rcap) {
            set_err(c, EMC_ERR_TOO_LARGE, "reply over %zu bytes", c->max_reply);
            return -1;
        }
        c->rbuf = xrealloc(c->rbuf, want);
        c->rcap = want;
    }
    for (;;) {
        if (c->tls != NULL) {
            short ev = 0;
            int r = read_tls(c, &ev);
            if (r <= 0)
                return r;
            if (wait_fd(c->fd, ev, deadline) < 0) {
                fail_errno(c, "waiting for the reply");
                return -1;
            }
            continue;
        }
        ssize_t n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
        if (n > 0) {
            c->rlen += (size_t)n;
            return 0;
        }
        if (n == 0) {
            set_err(c, EMC_ERR_EOF, "server closed the connection");
            return -1;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            fail_errno(c, "receiving");
            return -1;
        }
        if (wait_fd(c->fd, POLLIN, deadline) < 0) {
            fail_errno(c, "waiting for the reply");
            return -1;
        }
    }
}

/* Receives the next whole object into a zone of its own: the frame's bytes
 * are copied into the zone first, so that strings, which msgpack-c points
 * into the input, live exactly as long as the zone. */
static int next_object(struct emc *c, int64_t deadline, msgpack_zone **zonep,
                       msgpack_object *obj)
{
    size_t len = 0;
    for (;;) {
        enum mpscan_result r =
            mpscan_feed(&c->scan, (const uint8_t *)c->rbuf, c->rlen,
                        c->max_reply, c->max_depth, &len);
        if (r == MPSCAN_DONE)
            break;
        if (r == MPSCAN_MORE) {
            if (read_more(c, deadline) < 0)
                return -1;
            continue;
        }
        if (r == MPSCAN_TOO_LARGE)
            set_err(c, EMC_ERR_TOO_LARGE, "reply over %zu bytes", c->max_reply);
        else if (r == MPSCAN_TOO_DEEP)
            set_err(c, EMC_ERR_TOO_LARGE, "reply nested deeper than %d",
                    c->max_depth);
        else
            set_err(c, EMC_ERR_PROTOCOL, "reply is not MessagePack");
        return -1;
    }
    msgpack_zone *zone = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
    char *copy = zone ? msgpack_zone_malloc(zone, len) : NULL;
    if (copy == NULL) {
        if (zone)
            msgpack_zone_free(zone);
        set_err(c, EMC_ERR_TOO_LARGE, "out of memory for a %zu-byte reply",
                len);
        return -1;
    }
    memcpy(copy, c->rbuf, len);
    memmove(c->rbuf, c->rbuf + len, c->rlen - len);
    c->rlen -= len;
    mpscan_reset(&c->scan);
    size_t off = 0;
    if (msgpack_unpack(copy, len, &off, zone, obj) != MSGPACK_UNPACK_SUCCESS) {
        msgpack_zone_free(zone);
        set_err(c, EMC_ERR_PROTOCOL, "reply could not be decoded");
        return -1;
    }
    *zonep = zone;
    return 0;
}

/* Waits for the response to msgid, handing notifications to the callback on
 * the way. */
static enum emc_status await_reply(struct emc *c, uint32_t msgid,
                                   int64_t deadline, struct emc_result *result,
                                   struct emc_error *error)
{
    for (;;) {
        msgpack_zone *zone;
        msgpack_object o;
        if (next_object(c, deadline, &zone, &o) < 0)
            return EMC_FAILED;
        const msgpack_object *a = o.via.array.ptr;
        enum emc_msg kind = emc_msg_kind(&o);
        if (kind == EMC_MSG_NOTIFICATION) {
            if (c->notify != NULL)
                c->notify(a[1].via.str.ptr, a[1].via.str.size, &a[2],
                          c->notify_arg);
            msgpack_zone_free(zone);
            continue;
        }
        if (kind != EMC_MSG_RESPONSE) {
            msgpack_zone_free(zone);
            set_err(c, EMC_ERR_PROTOCOL,
                    "reply is not a MessagePack-RPC response");
            return EMC_FAILED;
        }
        uint64_t got = a[1].via.u64;
        int has_error = a[2].type != MSGPACK_OBJECT_NIL;
        /* msgid 0 is the server saying it could not read our request. */
        if (got != msgid && !(got == 0 && has_error)) {
            msgpack_zone_free(zone);
            set_err(c, EMC_ERR_PROTOCOL,
                    "response to msgid %llu while waiting for %u",
                    (unsigned long long)got, msgid);
            return EMC_FAILED;
        }
        if (has_error) {
            if (error != NULL)
                emc_read_error(&a[2], error);
            msgpack_zone_free(zone);
            return EMC_REPLY_ERROR;
        }
        result->obj = a[3];
        result->zone = zone;
        return EMC_OK;
    }
}

/* Waits up to timeout_ms (-1: without end) for the first bytes of a
 * message outside a call: 1 when they are there, 0 when the time passed or
 * a signal came, -1 when the connection failed. Over TLS the socket can be
 * readable with records that carry no message (session tickets): those
 * are read and the wait goes on. */
static int wait_first(struct emc *c, int timeout_ms)
{
    int64_t deadline = timeout_ms < 0 ? 0 : now_ms() + timeout_ms;
    for (;;) {
        if (c->tls != NULL && emc_tls_pending(c->tls))
            return 1;
        int ms = -1;
        if (timeout_ms >= 0) {
            int64_t left = deadline - now_ms();
            ms = left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
        }
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        int n = poll(&pfd, 1, ms);
        if (n == 0 || (n < 0 && errno == EINTR))
            return 0;
        if (n < 0) {
            fail_errno(c, "waiting for a notification");
            return -1;
        }
        if (c->tls == NULL)
            return 1;
        short ev;
        int r = read_tls(c, &ev);
        if (r <= 0)
            return r == 0 ? 1 : -1;
    }
}

int emc_wait_notification(struct emc *c, int timeout_ms)
{
    if (c->err != EMC_ERR_NONE)
        return -1;
    if (c->rlen == 0) {
        int r = wait_first(c, timeout_ms);
        if (r <= 0)
            return r;
    }
    msgpack_zone *zone;
    msgpack_object o;
    if (next_object(c, deadline_after(c->timeout_ms), &zone, &o) < 0)
        return -1;
    const msgpack_object *a = o.via.array.ptr;
    if (emc_msg_kind(&o) != EMC_MSG_NOTIFICATION) {
        msgpack_zone_free(zone);
        set_err(c, EMC_ERR_PROTOCOL,
                "a message outside a call that is not "
                "a notification");
        return -1;
    }
    if (c->notify != NULL)
        c->notify(a[1].via.str.ptr, a[1].via.str.size, &a[2], c->notify_arg);
    msgpack_zone_free(zone);
    return 1;
}

/* Packs the envelope up to the params array into c->wbuf. */
static void pack_head(struct emc *c, uint32_t msgid, const char *method,
                      int has_args)
{
    msgpack_packer pk;
    size_t mlen = strlen(method);

    msgpack_sbuffer_clear(&c->wbuf);
    msgpack_packer_init(&pk, &c->wbuf, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint8(&pk, 0);
    msgpack_pack_uint32(&pk, msgid);
    msgpack_pack_str(&pk, mlen);
    msgpack_pack_str_body(&pk, method, mlen);
    msgpack_pack_array(&pk, has_args ? 1 : 0);
}

static uint32_t take_msgid(struct emc *c)
{
    uint32_t id = c->next_msgid++;
    if (c->next_msgid == 0)
        c->next_msgid = 1;
    return id;
}

/* Sends what pack_head (and the caller) put in wbuf, then waits. */
static enum emc_status send_and_wait(struct emc *c, uint32_t msgid,
                                     struct emc_result *result,
                                     struct emc_error *error)
{
    int64_t deadline = deadline_after(c->timeout_ms);
    if (send_all(c, c->wbuf.data, c->wbuf.size, deadline) < 0)
        return EMC_FAILED;
    return await_reply(c, msgid, deadline, result, error);
}

/* Clears result so that emc_result_free is always safe, and refuses a
 * connection that already failed: its stream position is unknown. */
static int check_usable(struct emc *c, struct emc_result *result)
{
    result->zone = NULL;
    result->obj.type = MSGPACK_OBJECT_NIL;
    return c->err != EMC_ERR_NONE ? -1 : 0;
}

enum emc_status emc_call(struct emc *c, const char *method,
                         const msgpack_object *args, struct emc_result *result,
                         struct emc_error *error)
{
    if (check_usable(c, result) < 0)
        return EMC_FAILED;
    uint32_t msgid = take_msgid(c);
    pack_head(c, msgid, method, args != NULL);
    if (args != NULL) {
        msgpack_packer pk;
        msgpack_packer_init(&pk, &c->wbuf, msgpack_sbuffer_write);
        msgpack_pack_object(&pk, *args);
    }
    return send_and_wait(c, msgid, result, error);
}

enum emc_status emc_call_packed(struct emc *c, const char *method,
                                const void *args, size_t args_len,
                                struct emc_result *result,
                                struct emc_error *error)
{
    if (check_usable(c, result) < 0)
        return EMC_FAILED;
    int has_args = args != NULL && args_len > 0;
    uint32_t msgid = take_msgid(c);
    pack_head(c, msgid, method, has_args);
    if (has_args)
        msgpack_sbuffer_write(&c->wbuf, args, args_len);
    return send_and_wait(c, msgid, result, error);
}

enum emc_status emc_auth(struct emc *c, const char *token,
                         struct emc_result *result, struct emc_error *error)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    size_t tl = strlen(token);
    struct emc_result scratch;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_str(&pk, 5);
    msgpack_pack_str_body(&pk, "token", 5);
    msgpack_pack_str(&pk, tl);
    msgpack_pack_str_body(&pk, token, tl);
    enum emc_status st = emc_call_packed(c, "auth", sb.data, sb.size,
                                         result ? result : &scratch, error);
    /* The packed token is a secret: do not leave it in freed memory. */
    explicit_bzero(sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    explicit_bzero(c->wbuf.data, c->wbuf.size);
    if (result == NULL)
        emc_result_free(&scratch);
    return st;
}
