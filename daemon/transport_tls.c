/* transport_tls.c: TLS connections on libevent's OpenSSL bufferevents,
 * behind the same interface as raw sockets. The handshake runs by itself
 * on the loop (the auth-timeout housekeeping cuts one that drags on, as it
 * cuts any connection that has not authenticated); afterwards reads take
 * decrypted bytes from the bufferevent's input and writes add to its
 * output, which is kept short so that the connection's own buffer, and with
 * it back-pressure and subscriber-buffer-limit, sees a client that does
 * not read. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "conn.h"
#include "log.h"
#include "server.h"
#include "tls.h"
#include "transport.h"
#include "xmalloc.h"

/* Encrypted-side output a connection may hand the bufferevent beyond what
 * the socket took: about what a raw socket's kernel buffer would hold, so
 * the connection's buffer keeps the rest and its limits apply. */
#define OUT_MAX (64 * 1024)
/* The connection hears it may write again once output is below this. */
#define OUT_LOW (16 * 1024)
/* How long a closed connection may take to send its last bytes. */
#define LINGER_MS 2000

struct tls_link {
    struct bufferevent *bev; /* owns the SSL and the socket */
    struct conn *conn;       /* NULL once the connection let go */
    struct event *kick;      /* runs the read side again while input waits */
    struct event *linger;    /* deadline of a closed link's last bytes */
    struct tls_link *prev, *next; /* closed links still sending */
    bool open;                    /* handshake done */
    bool eof;                     /* the peer closed its side */
    bool failed;                  /* TLS or socket error: no more I/O */
    bool verified;                /* the peer's certificate verified */
};

/* Closed links still sending their last bytes. */
static struct tls_link *lingering;

/* Why the bufferevent failed, for the log: OpenSSL's reasons, else the
 * socket's errno. */
static void failure_text(struct bufferevent *bev, char *buf, size_t len)
{
    unsigned long e;
    size_t used = 0;
    buf[0] = '\0';
    while ((e = bufferevent_get_openssl_error(bev)) != 0 && used + 2 < len) {
        char one[160];
        /* libevent 2.1 files a system call's failure without a library
         * code: errno below says it better. */
        if (ERR_GET_LIB(e) == 0)
            continue;
        ERR_error_string_n(e, one, sizeof one);
        used += (size_t)snprintf(buf + used, len - used, "%s%s",
                                 used ? "; " : "", one);
    }
    if (used == 0) {
        int se = EVUTIL_SOCKET_ERROR();
        snprintf(buf, len, "%s", se ? strerror(se) : "connection closed");
    }
}

/* Delivers readability to the connection. Like a level-triggered socket
 * event, it comes back on the next turn of the loop while the connection
 * still wants to read and input (or the end of it) waits: the connection
 * reads at most a chunk at a time and may stop reading meanwhile. */
static void pump_read(struct tls_link *t)
{
    struct conn *c = t->conn;
    if (c == NULL || !c->want_read)
        return;
    if (evbuffer_get_length(bufferevent_get_input(t->bev)) == 0 && !t->eof &&
        !t->failed)
        return;
    /* Armed before the call: c (and t->kick with it) may be freed by it. */
    event_active(t->kick, 0, 0);
    conn_on_readable(c);
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
    pump_read(arg);
}

static void on_bev_read(struct bufferevent *bev, void *arg)
{
    pump_read(arg);
}

static void on_bev_write(struct bufferevent *bev, void *arg)
{
    struct tls_link *t = arg;
    if (t->conn != NULL && t->conn->want_write)
        conn_on_writable(t->conn);
}

static void handshake_done(struct tls_link *t)
{
    SSL *ssl = bufferevent_openssl_get_ssl(t->bev);
    X509 *peer = SSL_get0_peer_certificate(ssl);
    /* With SSL_VERIFY_PEER a certificate that does not verify fails the
     * handshake; the result is checked anyway, as the rule depends on it. */
    t->verified = peer != NULL && SSL_get_verify_result(ssl) == X509_V_OK;
    t->open = true;
    if (log_min_level <= LOG_DEBUG) {
        char subject[128] = "";
        if (peer != NULL)
            X509_NAME_oneline(X509_get_subject_name(peer), subject,
                              sizeof subject);
        log_debug("conn %llu (%s): %s %s%s%s", (unsigned long long)t->conn->id,
                  t->conn->peer, SSL_get_version(ssl), SSL_get_cipher_name(ssl),
                  peer ? ", client certificate " : "", subject);
    }
}

static void on_bev_event(struct bufferevent *bev, short what, void *arg)
{
    struct tls_link *t = arg;
    struct conn *c = t->conn;
    if (c == NULL)
        return;
    if (what & BEV_EVENT_CONNECTED) {
        handshake_done(t);
        return;
    }
    if (what & BEV_EVENT_EOF) {
        t->eof = true;
    } else if (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
        t->failed = true;
        /* A client that gives up on a handshake, or sends garbage, is
         * routine on an open port: debug level, once per connection. */
        char why[512];
        failure_text(bev, why, sizeof why);
        log_debug("conn %llu (%s): TLS %s: %s", (unsigned long long)c->id,
                  c->peer, t->open ? "error" : "handshake failed", why);
    }
    ERR_clear_error();
    /* The connection finds out through the operation it is waiting on. */
    if (c->want_read)
        pump_read(t);
    else if (c->want_write)
        conn_on_writable(c);
}

static ssize_t tls_read(struct conn *c, void *buf, size_t len)
{
    struct tls_link *t = c->tr_priv;
    int n = evbuffer_remove(bufferevent_get_input(t->bev), buf, len);
    if (n > 0)
        return n;
    if (t->failed) {
        errno = ECONNRESET;
        return -1;
    }
    if (t->eof)
        return 0;
    errno = EAGAIN;
    return -1;
}

static ssize_t tls_write(struct conn *c, const void *buf, size_t len)
{
    struct tls_link *t = c->tr_priv;
    if (t->failed) {
        errno = EPIPE;
        return -1;
    }
    size_t queued = evbuffer_get_length(bufferevent_get_output(t->bev));
    if (queued >= OUT_MAX) {
        errno = EAGAIN;
        return -1;
    }
    size_t n = len < OUT_MAX - queued ? len : OUT_MAX - queued;
    if (bufferevent_write(t->bev, buf, n) < 0) {
        errno = ENOMEM;
        return -1;
    }
    return (ssize_t)n;
}

static void tls_want(struct conn *c, bool rd, bool wr)
{
    struct tls_link *t = c->tr_priv;
    /* The bufferevent writes whatever it holds by itself; the write
     * callback tells a connection that waits for room. */
    c->want_write = wr;
    if (rd == c->want_read)
        return;
    c->want_read = rd;
    if (rd) {
        bufferevent_enable(t->bev, EV_READ);
        /* Input that arrived while reading was paused is already here. */
        event_active(t->kick, 0, 0);
    } else {
        bufferevent_disable(t->bev, EV_READ);
    }
}

static bool tls_peer_verified(const struct conn *c)
{
    const struct tls_link *t = c->tr_priv;
    return t != NULL && t->open && t->verified;
}

/* The end of a link: close_notify when the session is healthy (one
 * non-blocking write; a peer that does not read it loses nothing), then,
 * as for raw sockets, stop writing and read away what the peer sent, so
 * that the kernel does not answer unread input with a reset that could
 * destroy the last reply in flight. Freeing the bufferevent frees the SSL
 * and closes the socket once libevent is done with them. */
static void link_free(struct tls_link *t)
{
    SSL *ssl = bufferevent_openssl_get_ssl(t->bev);
    if (t->open && !t->failed && ssl != NULL)
        SSL_shutdown(ssl);
    ERR_clear_error();
    evutil_socket_t fd = bufferevent_getfd(t->bev);
    if (fd >= 0) {
        char sink[4096];
        shutdown(fd, SHUT_WR);
        for (int i = 0; i < 16 && recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0;
             i++)
            ;
    }
    if (t->linger != NULL) {
        event_free(t->linger);
        if (t->prev)
            t->prev->next = t->next;
        else
            lingering = t->next;
        if (t->next)
            t->next->prev = t->prev;
    }
    bufferevent_free(t->bev);
    free(t);
}

static void on_linger_write(struct bufferevent *bev, void *arg)
{
    link_free(arg);
}

static void on_linger_event(struct bufferevent *bev, short what, void *arg)
{
    struct tls_link *t = arg;
    t->failed = (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) != 0;
    link_free(t);
}

static void on_linger_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct tls_link *t = arg;
    /* The peer did not take its last bytes in time: a close_notify would
     * only queue behind them. */
    t->failed = true;
    link_free(t);
}

/* Keeps a closed link until the bufferevent has sent what the connection
 * wrote last (an error reply before a close, say), within LINGER_MS. */
static void linger(struct tls_link *t, struct event_base *base)
{
    bufferevent_disable(t->bev, EV_READ);
    bufferevent_setwatermark(t->bev, EV_WRITE, 0, 0);
    bufferevent_setcb(t->bev, NULL, on_linger_write, on_linger_event, t);
    t->linger = evtimer_new(base, on_linger_deadline, t);
    struct timeval tv = {LINGER_MS / 1000, (LINGER_MS % 1000) * 1000};
    evtimer_add(t->linger, &tv);
    t->next = lingering;
    if (lingering)
        lingering->prev = t;
    lingering = t;
}

static void tls_close(struct conn *c)
{
    struct tls_link *t = c->tr_priv;
    c->tr_priv = NULL;
    c->fd = -1;
    c->want_read = c->want_write = false;
    if (t == NULL)
        return;
    t->conn = NULL;
    event_free(t->kick);
    t->kick = NULL;
    if (t->open && !t->failed &&
        evbuffer_get_length(bufferevent_get_output(t->bev)) > 0)
        linger(t, c->srv->base);
    else
        link_free(t);
}

static const struct transport_ops tls_ops = {
    .name = "tls",
    .read = tls_read,
    .write = tls_write,
    .want = tls_want,
    .close = tls_close,
    .peer_verified = tls_peer_verified,
};

/* Out of memory is fatal here as in xmalloc: and after a failed
 * bufferevent_openssl_socket_new it is not known whether libevent closed
 * the socket already, so returning it to the caller could close it twice. */
static void oom(const char *what)
{
    log_error("out of memory creating %s", what);
    abort();
}

int transport_tls_attach(struct conn *c, int fd)
{
    SSL_CTX *ctx = tls_server_ctx();
    if (ctx == NULL)
        return -1;
    SSL *ssl = SSL_new(ctx);
    if (ssl == NULL)
        oom("a TLS session");
    struct tls_link *t = xcalloc(1, sizeof *t);
    t->conn = c;
    t->bev = bufferevent_openssl_socket_new(c->srv->base, fd, ssl,
                                            BUFFEREVENT_SSL_ACCEPTING,
                                            BEV_OPT_CLOSE_ON_FREE);
    if (t->bev == NULL)
        oom("a TLS bufferevent");
    t->kick = event_new(c->srv->base, -1, 0, on_kick, t);
    if (t->kick == NULL)
        oom("an event");
    /* OpenSSL 3 with libevent 2.1: see the note in build_ctx. */
    bufferevent_openssl_set_allow_dirty_shutdown(t->bev, 1);
    bufferevent_setwatermark(t->bev, EV_WRITE, OUT_LOW, 0);
    bufferevent_setcb(t->bev, on_bev_read, on_bev_write, on_bev_event, t);
    /* Writing stays enabled: the bufferevent sends what it holds. Reading
     * follows the connection's wishes (tls_want). */
    bufferevent_enable(t->bev, EV_WRITE);
    c->tr_priv = t;
    c->tr = &tls_ops;
    return 0;
}

void transport_tls_release_all(void)
{
    while (lingering != NULL) {
        lingering->failed = true;
        link_free(lingering);
    }
}
