/* http_reply.h: how the dashboard's HTTP modules answer: the security
 * headers every response of theirs carries, JSON bodies, and errors as
 * {"error": {"code", "message"}} with the contract's codes, each mapped to
 * its HTTP status once, here. */
#ifndef EM_HTTP_REPLY_H
#define EM_HTTP_REPLY_H

#include <stdbool.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>

#include "err.h"

/* Content-Security-Policy (default-src 'self', frame-ancestors 'none'),
 * X-Content-Type-Options, Referrer-Policy and X-Frame-Options. */
void http_secure_headers(struct evhttp_request *req);

/* Sends j as JSON (uncacheable) and releases it. */
void http_reply_json(struct evhttp_request *req, int status, json_t *j);

/* The HTTP status of a contract error code (bad_request 400...). */
int http_status_of(enum errcode code);

/* An error reply: the status of the code, or `status` when not 0 (405,
 * 415 and the like, which have no code of their own). */
void http_reply_error(struct evhttp_request *req, int status, enum errcode code,
                      const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void http_reply_err(struct evhttp_request *req, const struct err *err);

/* Whether the method is GET or HEAD; otherwise replies 405 with Allow. */
bool http_get_only(struct evhttp_request *req);

/* The path of the request ("/" when it has none). */
const char *http_path(struct evhttp_request *req);

#endif
