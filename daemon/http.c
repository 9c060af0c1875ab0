/* http.c: the HTTP side port: evhttp with bounded requests, our own
 * routing table (so 404 and 405 are answered one way for every path), and
 * the health, readiness and metrics endpoints. */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "accept_guard.h"
#include "metrics.h"
#include "xmalloc.h"

#define HTTP_MAX_BODY (64 * 1024)
#define HTTP_MAX_HEADERS (16 * 1024)
#define HTTP_TIMEOUT_S 30
#define HTTP_BACKLOG 128

typedef void route_fn(struct evhttp_request *, void *);

struct route {
    char *path;  /* without the trailing '*' of a prefix route */
    size_t len;  /* strlen(path) */
    bool prefix; /* matches every path starting with `path` */
    route_fn *cb;
    void *priv;
};

struct http {
    struct evhttp *eh;          /* owns the bound socket and connections */
    struct accept_guard *guard; /* pauses accepting when out of fds */
    struct http_hooks hooks;    /* health and readiness questions */
    int port;                   /* actually bound */
    struct route *routes;
    size_t nroutes, cap;
};

void http_send(struct evhttp_request *req, int code, const char *reason,
               struct evbuffer *b)
{
    if (b != NULL && evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
        char len[32];
        snprintf(len, sizeof len, "%zu", evbuffer_get_length(b));
        evhttp_add_header(evhttp_request_get_output_headers(req),
                          "Content-Length", len);
        evbuffer_drain(b, evbuffer_get_length(b));
    }
    evhttp_send_reply(req, code, reason, b);
}

static void reply_text(struct evhttp_request *req, int code, const char *reason,
                       const char *type, const char *body)
{
    struct evkeyvalq *hd = evhttp_request_get_output_headers(req);
    struct evbuffer *b = evbuffer_new();
    evhttp_add_header(hd, "Content-Type", type);
    evhttp_add_header(hd, "Cache-Control", "no-store");
    evhttp_add_header(hd, "X-Content-Type-Options", "nosniff");
    if (b != NULL)
        evbuffer_add(b, body, strlen(body));
    http_send(req, code, reason, b);
    if (b != NULL)
        evbuffer_free(b);
}

#define TEXT "text/plain; charset=utf-8"

/* The built-in endpoints are read-only: anything but GET or HEAD is 405. */
static bool get_only(struct evhttp_request *req)
{
    enum evhttp_cmd_type t = evhttp_request_get_command(req);
    if (t == EVHTTP_REQ_GET || t == EVHTTP_REQ_HEAD)
        return true;
    evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
                      "GET, HEAD");
    reply_text(req, 405, "Method Not Allowed", TEXT, "method not allowed\n");
    return false;
}

static void on_healthz(struct evhttp_request *req, void *arg)
{
    struct http *h = arg;
    if (!get_only(req))
        return;
    if (h->hooks.healthy == NULL || h->hooks.healthy(h->hooks.priv))
        reply_text(req, 200, "OK", TEXT, "ok\n");
    else
        reply_text(req, 503, "Service Unavailable", TEXT, "unavailable\n");
}

static void on_readyz(struct evhttp_request *req, void *arg)
{
    struct http *h = arg;
    if (!get_only(req))
        return;
    if (h->hooks.ready == NULL || h->hooks.ready(h->hooks.priv))
        reply_text(req, 200, "OK", TEXT, "ready\n");
    else
        reply_text(req, 503, "Service Unavailable", TEXT, "not ready\n");
}

static void on_metrics(struct evhttp_request *req, void *arg)
{
    (void)arg;
    if (!get_only(req))
        return;
    struct evkeyvalq *hd = evhttp_request_get_output_headers(req);
    struct evbuffer *b = evbuffer_new();
    if (b == NULL) {
        reply_text(req, 500, "Internal Server Error", TEXT, "internal\n");
        return;
    }
    metrics_render(b);
    evhttp_add_header(hd, "Content-Type",
                      "text/plain; version=0.0.4; charset=utf-8");
    evhttp_add_header(hd, "Cache-Control", "no-store");
    http_send(req, 200, "OK", b);
    evbuffer_free(b);
}

static const struct route *route_find(const struct http *h, const char *path)
{
    const struct route *best = NULL;
    for (size_t i = 0; i < h->nroutes; i++) {
        const struct route *r = &h->routes[i];
        if (!r->prefix && strcmp(r->path, path) == 0)
            return r;
        if (r->prefix && strncmp(r->path, path, r->len) == 0 &&
            (best == NULL || r->len > best->len))
            best = r;
    }
    return best;
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct http *h = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    if (uri == NULL) {
        /* evhttp may hand us, without a URI, a request it failed to read
         * (a bad header, a body over the limit) for an answer: give its
         * status without routing it anywhere. */
        if (evhttp_request_get_response_code(req) == 413)
            reply_text(req, 413, "Payload Too Large", TEXT,
                       "request body too large\n");
        else
            reply_text(req, 400, "Bad Request", TEXT, "bad request\n");
        return;
    }
    const char *path = evhttp_uri_get_path(uri);
    if (path == NULL || *path == '\0')
        path = "/";
    const struct route *r = route_find(h, path);
    if (r == NULL) {
        reply_text(req, 404, "Not Found", TEXT, "not found\n");
        return;
    }
    r->cb(req, r->priv);
}

void http_route(struct http *h, const char *path, route_fn *cb, void *priv)
{
    size_t len = strlen(path);
    bool prefix = len > 0 && path[len - 1] == '*';
    if (prefix)
        len--;
    for (size_t i = 0; i < h->nroutes; i++) {
        struct route *r = &h->routes[i];
        if (r->prefix == prefix && r->len == len &&
            memcmp(r->path, path, len) == 0) {
            r->cb = cb;
            r->priv = priv;
            return;
        }
    }
    if (h->nroutes == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 8;
        h->routes = xrealloc(h->routes, h->cap * sizeof *h->routes);
    }
    h->routes[h->nroutes++] =
        (struct route){xstrndup(path, len), len, prefix, cb, priv};
}

/* Our own socket rather than evhttp_bind_socket: an IP literal only (no
 * resolver), and the real errno for the message. Returns the fd or -1. */
static int listen_on(const char *bind_addr, int port, struct err *err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

    if (port < 0 || port > 65535)
        return err_set(err, ERR_BAD_REQUEST, "http: port %d out of range",
                       port);
    memset(&ss, 0, sizeof ss);
    if (inet_pton(AF_INET, bind_addr, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        len = sizeof *s4;
    } else if (inet_pton(AF_INET6, bind_addr, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        len = sizeof *s6;
    } else {
        return err_set(err, ERR_BAD_REQUEST,
                       "http: bind address %s is not an IP literal", bind_addr);
    }

    int fd =
        socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return err_set(err, ERR_INTERNAL, "http: socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
        listen(fd, HTTP_BACKLOG) < 0) {
        int e = errno;
        close(fd);
        return err_set(err, ERR_UNAVAILABLE,
                       "http: cannot listen on %s port %d: %s", bind_addr, port,
                       strerror(e));
    }
    return fd;
}

static int bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

struct http *http_start(struct event_base *base, const char *bind_addr,
                        int port, const struct http_hooks *hooks,
                        struct err *err)
{
    int fd = listen_on(bind_addr, port, err);
    if (fd < 0)
        return NULL;

    struct http *h = xcalloc(1, sizeof *h);
    if (hooks != NULL)
        h->hooks = *hooks;
    h->port = bound_port(fd);
    h->eh = evhttp_new(base);
    if (h->eh == NULL) {
        close(fd);
        free(h);
        err_set(err, ERR_INTERNAL, "http: evhttp_new failed");
        return NULL;
    }
    /* From here the bound socket owns fd and closes it on evhttp_free. */
    struct evhttp_bound_socket *bound =
        evhttp_accept_socket_with_handle(h->eh, fd);
    if (bound == NULL) {
        close(fd);
        evhttp_free(h->eh);
        free(h);
        err_set(err, ERR_INTERNAL, "http: cannot accept on port %d", port);
        return NULL;
    }
    h->guard = accept_guard_attach(
        base, evhttp_bound_socket_get_listener(bound), "http port");
    evhttp_set_max_body_size(h->eh, HTTP_MAX_BODY);
    /* An oversized body is read to its end and answered 413; without
     * this, evhttp closes with the body unread and the client sees a
     * reset instead of the answer. */
    evhttp_set_flags(h->eh, EVHTTP_SERVER_LINGERING_CLOSE);
    evhttp_set_max_headers_size(h->eh, HTTP_MAX_HEADERS);
    evhttp_set_timeout(h->eh, HTTP_TIMEOUT_S);
    evhttp_set_gencb(h->eh, on_request, h);

    http_route(h, "/healthz", on_healthz, h);
    http_route(h, "/readyz", on_readyz, h);
    http_route(h, "/metrics", on_metrics, NULL);
    return h;
}

int http_port(const struct http *h)
{
    return h->port;
}

void http_free(struct http *h)
{
    if (h == NULL)
        return;
    accept_guard_free(h->guard);
    evhttp_free(h->eh);
    for (size_t i = 0; i < h->nroutes; i++)
        free(h->routes[i].path);
    free(h->routes);
    free(h);
}
