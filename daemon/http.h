/* http.h: the HTTP side port on evhttp: /healthz, /readyz and /metrics,
 * plus routes that later modules (the dashboard) add. It owns the evhttp
 * server and its listening socket. */
#ifndef EM_HTTP_H
#define EM_HTTP_H

#include <stdbool.h>

#include <event2/event.h>
#include <event2/http.h>

#include "err.h"

struct http_hooks {
    bool (*healthy)(void *priv); /* daemon runs and reaches the store */
    bool (*ready)(void *priv);   /* state rebuilt */
    void *priv;
};

struct http;

/* Listens on bind (an IP literal) and port (0 = any free port, see
 * http_port). A NULL hook counts as "yes". Limits: 64 KiB body, 16 KiB
 * headers, 30 s timeout. NULL and err filled on failure. */
struct http *http_start(struct event_base *base, const char *bind, int port,
                        const struct http_hooks *hooks, struct err *err);

void http_free(struct http *h);

/* The port actually listened on. */
int http_port(const struct http *h);

/* Adds (or replaces) a route. An exact path matches itself only; a path
 * ending in a star, such as "/api/" plus '*', matches every path starting
 * with what precedes the star, the longest such prefix winning. The callback
 * answers every method itself; /healthz, /readyz and /metrics take GET and HEAD
 * only. */
/* Sends b (NULL: none) with the status and reason (NULL: the standard
 * one); to HEAD, only its length (evhttp 2.1 would send the body anyway,
 * which desynchronises a keep-alive client). */
void http_send(struct evhttp_request *req, int code, const char *reason,
               struct evbuffer *b);

void http_route(struct http *h, const char *path,
                void (*cb)(struct evhttp_request *, void *), void *priv);

#endif
