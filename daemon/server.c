/* server.c: listeners, the connection list, housekeeping timeouts, the
 * flush list and graceful shutdown. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "accept_guard.h"
#include "buf.h"
#include "log.h"
#include "rpc.h"
#include "transport.h"
#include "xmalloc.h"

struct server *srv_global;

#define CRON_MS 200

uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int64_t now_unix(void)
{
    return (int64_t)time(NULL);
}

/* Runs after the callbacks of this loop turn: one write per connection for
 * all the replies that completed meanwhile. */
static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    struct server *s = arg;
    while (s->flush_head) {
        struct conn *c = s->flush_head;
        s->flush_head = c->flush_next;
        c->flush_next = NULL;
        conn_flush_queued(c);
    }
}

void server_queue_flush(struct server *s, struct conn *c)
{
    c->flush_next = s->flush_head;
    s->flush_head = c;
    event_active(s->ev_flush, 0, 0);
}

static void maybe_finish_shutdown(struct server *s)
{
    if (s->shutting_down && s->nconns == 0)
        event_base_loopexit(s->base, NULL);
}

void server_conn_freed(struct server *s, struct conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
}

/* Refuses a connection over maxclients with one `unavailable` response. */
static void reject_conn(int fd)
{
    struct buf b = {0};
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, buf_msgpack_write);
    msgpack_pack_array(&pk, 4); /* [1, 0, {code, message}, nil] */
    msgpack_pack_uint32(&pk, 1);
    msgpack_pack_uint32(&pk, 0);
    msgpack_pack_map(&pk, 2);
    mp_pack_cstr(&pk, "code");
    mp_pack_cstr(&pk, errcode_name(ERR_UNAVAILABLE));
    mp_pack_cstr(&pk, "message");
    mp_pack_cstr(&pk, "too many connections (maxclients)");
    msgpack_pack_nil(&pk);
    /* A fresh socket's buffer takes these few bytes whole. */
    ssize_t w = send(fd, b.p, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)w;
    buf_free(&b);
    close(fd);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd,
                      struct sockaddr *sa, int salen, void *arg)
{
    struct server *s = arg;
    bool tls = l == s->tls;
    if (s->shutting_down) {
        close(fd);
        return;
    }
    if (s->nconns >= (unsigned)s->cfg->maxclients) {
        s->conns_rejected++;
        /* A TLS client could not read a plain reply; a handshake would
         * spend on it what the limit is there to save. */
        if (tls)
            close(fd);
        else
            reject_conn(fd);
        return;
    }
    char peer[64] = "unix";
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)sa;
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        snprintf(peer, sizeof peer, "%s:%u", ip, ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
        char ip[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        snprintf(peer, sizeof peer, "[%s]:%u", ip, ntohs(in6->sin6_port));
    }
    if (sa->sa_family != AF_UNIX) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (conn_new(s, fd, peer,
                 tls ? transport_tls_attach : transport_raw_attach) == NULL) {
        close(fd);
        return;
    }
    s->conns_accepted++;
}

/* Quiet this long, a connection gives back its buffers. */
#define IDLE_BUFFERS_MS 1000
/* A draining connection whose peer does not read its last replies. */
#define DRAIN_MAX_MS 10000

/* Closes connections that did not authenticate in time or sat idle, and
 * takes buffer memory back from quiet ones. */
static void on_cron(evutil_socket_t fd, short what, void *arg)
{
    struct server *s = arg;
    uint64_t now = now_us() / 1000;
    const struct config *cfg = s->cfg;
    struct conn *next;
    for (struct conn *c = s->conns; c; c = next) {
        next = c->next;
        if (c->state == CONN_DRAINING && now - c->drain_ms >= DRAIN_MAX_MS)
            conn_close(c, "drain deadline");
        if (c->state != CONN_OPEN)
            continue;
        if (now - c->last_active_ms >= IDLE_BUFFERS_MS)
            conn_release_idle_buffers(c);
        if (c->role == ROLE_NONE) {
            if (now - c->connected_ms >= (uint64_t)cfg->auth_timeout * 1000)
                conn_close(c, "auth-timeout");
        } else if (cfg->idle_timeout > 0 && c->inflight == 0 &&
                   now - c->last_active_ms >=
                       (uint64_t)cfg->idle_timeout * 1000) {
            conn_close(c, "idle-timeout");
        }
    }
    maybe_finish_shutdown(s);
}

/* Descriptors kept for Redis links, listeners, HTTP clients and logs. */
#define FD_RESERVE 128

/* Raises the open-file limit to fit maxclients; where the system will not
 * allow that, lowers maxclients to fit, so that over-limit clients get the
 * `unavailable` reply instead of the daemon running out of descriptors. */
static void fit_fd_limit(struct config *cfg)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    rlim_t want = (rlim_t)cfg->maxclients + FD_RESERVE;
    if (rl.rlim_cur >= want)
        return;
    rl.rlim_cur = want;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
        rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
        getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur >= want)
        return;
    int fit = rl.rlim_cur > 2 * FD_RESERVE ? (int)(rl.rlim_cur - FD_RESERVE)
                                           : (int)(rl.rlim_cur / 2);
    if (fit < 1)
        fit = 1;
    log_warn("open-file limit is %llu: serving at most %d clients instead "
             "of maxclients %d",
             (unsigned long long)rl.rlim_cur, fit, cfg->maxclients);
    cfg->maxclients = fit;
}

int server_init(struct server *s, struct event_base *base, struct config *cfg,
                struct err *err)
{
    memset(s, 0, sizeof *s);
    s->base = base;
    s->cfg = cfg;
    msgpack_zone_init(&s->zone, 8192);
    s->ev_flush = event_new(base, -1, 0, on_flush, s);
    s->cron = event_new(base, -1, EV_PERSIST, on_cron, s);
    struct timeval tv = {0, CRON_MS * 1000};
    event_add(s->cron, &tv);
    fit_fd_limit(cfg);
    srv_global = s;
    return 0;
}

static struct evconnlistener *listen_tcp(struct server *s, const char *b,
                                         int port, struct err *err)
{
    struct sockaddr_storage ss;
    int sslen = sizeof ss;
    char addr[128];
    if (strchr(b, ':'))
        snprintf(addr, sizeof addr, "[%s]:%d", b, port);
    else
        snprintf(addr, sizeof addr, "%s:%d", b, port);
    memset(&ss, 0, sizeof ss);
    if (evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &sslen) < 0) {
        err_set(err, ERR_INTERNAL, "bind: '%s' is not an IP address", b);
        return NULL;
    }
    struct evconnlistener *l = evconnlistener_new_bind(
        s->base, on_accept, s,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 1024,
        (struct sockaddr *)&ss, sslen);
    if (l == NULL)
        err_set(err, ERR_INTERNAL, "cannot listen on %s: %s", addr,
                strerror(errno));
    return l;
}

static struct evconnlistener *listen_unix(struct server *s, struct err *err)
{
    struct sockaddr_un un;
    const char *path = s->cfg->unix_socket;
    if (strlen(path) >= sizeof un.sun_path) {
        err_set(err, ERR_INTERNAL, "unix-socket: path too long");
        return NULL;
    }
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNIX;
    strcpy(un.sun_path, path);
    unlink(path); /* a stale socket from an earlier run */
    struct evconnlistener *l = evconnlistener_new_bind(
        s->base, on_accept, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
        1024, (struct sockaddr *)&un, sizeof un);
    if (l == NULL)
        err_set(err, ERR_INTERNAL, "cannot listen on %s: %s", path,
                strerror(errno));
    return l;
}

int server_listen(struct server *s, struct err *err)
{
    if (s->cfg->port > 0) {
        s->tcp = listen_tcp(s, s->cfg->bind, s->cfg->port, err);
        if (s->tcp == NULL)
            return -1;
        s->tcp_guard = accept_guard_attach(s->base, s->tcp, "rpc port");
        log_info("listening on %s port %d", s->cfg->bind, s->cfg->port);
    }
    if (s->cfg->tls_port > 0) {
        const char *b = *s->cfg->tls_bind ? s->cfg->tls_bind : s->cfg->bind;
        s->tls = listen_tcp(s, b, s->cfg->tls_port, err);
        if (s->tls == NULL)
            return -1;
        s->tls_guard = accept_guard_attach(s->base, s->tls, "tls port");
        log_info("listening on %s port %d (TLS, client certificates: %s)", b,
                 s->cfg->tls_port, s->cfg->tls_client_cert);
    }
    if (s->cfg->unix_socket[0]) {
        s->unix_sock = listen_unix(s, err);
        if (s->unix_sock == NULL)
            return -1;
        s->unix_guard =
            accept_guard_attach(s->base, s->unix_sock, "unix socket");
        log_info("listening on unix socket %s", s->cfg->unix_socket);
    }
    return 0;
}

static void close_listeners(struct server *s)
{
    accept_guard_free(s->tcp_guard);
    accept_guard_free(s->unix_guard);
    accept_guard_free(s->tls_guard);
    s->tcp_guard = s->unix_guard = s->tls_guard = NULL;
    if (s->tcp)
        evconnlistener_free(s->tcp);
    if (s->tls)
        evconnlistener_free(s->tls);
    s->tls = NULL;
    if (s->unix_sock) {
        evconnlistener_free(s->unix_sock);
        unlink(s->cfg->unix_socket);
    }
    s->tcp = s->unix_sock = NULL;
}

static void on_shutdown_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct server *s = arg;
    log_warn("shutdown: %u connection(s) still busy after %d ms; leaving",
             s->nconns, s->cfg->shutdown_timeout_ms);
    event_base_loopexit(s->base, NULL);
}

void server_shutdown(struct server *s)
{
    if (s->shutting_down)
        return;
    s->shutting_down = true;
    log_info("shutting down: no new connections, answering what is in flight");
    close_listeners(s);
    struct conn *next;
    for (struct conn *c = s->conns; c; c = next) {
        next = c->next;
        conn_finish_and_drain(c);
    }
    s->shutdown_deadline = evtimer_new(s->base, on_shutdown_deadline, s);
    struct timeval tv = {s->cfg->shutdown_timeout_ms / 1000,
                         (s->cfg->shutdown_timeout_ms % 1000) * 1000};
    event_add(s->shutdown_deadline, &tv);
    maybe_finish_shutdown(s);
}

#define REVOKED_MEMORY_MS 60000

bool server_recently_revoked(const struct server *s, const char *event,
                             const char *token_id)
{
    uint64_t now = now_us() / 1000;
    size_t n = sizeof s->revoked / sizeof s->revoked[0];
    for (size_t i = 0; i < n; i++) {
        const struct revoked_token *t = &s->revoked[i];
        if (t->at_ms && now - t->at_ms < REVOKED_MEMORY_MS &&
            strcmp(t->id, token_id) == 0 && strcmp(t->event, event) == 0)
            return true;
    }
    return false;
}

void server_close_token(struct server *s, const char *event,
                        const char *token_id)
{
    struct revoked_token *t = &s->revoked[s->revoked_next];
    s->revoked_next =
        (s->revoked_next + 1) % (sizeof s->revoked / sizeof s->revoked[0]);
    snprintf(t->event, sizeof t->event, "%s", event);
    snprintf(t->id, sizeof t->id, "%s", token_id);
    t->at_ms = now_us() / 1000;
    struct conn *next;
    for (struct conn *c = s->conns; c; c = next) {
        next = c->next;
        if (c->state == CONN_OPEN && c->role != ROLE_NONE &&
            strcmp(c->token_id, token_id) == 0 &&
            strcmp(c->event, event) == 0) {
            log_info("conn %llu (%s): token %s revoked; closing",
                     (unsigned long long)c->id, c->peer, token_id);
            conn_drain(c);
        }
    }
}

void server_free(struct server *s)
{
    on_flush(-1, 0, s);
    struct conn *next;
    for (struct conn *c = s->conns; c; c = next) {
        next = c->next;
        conn_close(c, "server exit");
    }
    close_listeners(s);
    if (s->cron)
        event_free(s->cron);
    if (s->ev_flush)
        event_free(s->ev_flush);
    if (s->shutdown_deadline)
        event_free(s->shutdown_deadline);
    msgpack_zone_destroy(&s->zone);
    srv_global = NULL;
}
