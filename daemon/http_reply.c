/* http_reply.c: security headers, JSON bodies and errors (http_reply.h). */
#include "http_reply.h"
#include "http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void http_secure_headers(struct evhttp_request *req)
{
    struct evkeyvalq *hd = evhttp_request_get_output_headers(req);
    evhttp_add_header(hd, "Content-Security-Policy",
                      "default-src 'self'; frame-ancestors 'none'; "
                      "base-uri 'none'; form-action 'self'; object-src 'none'");
    evhttp_add_header(hd, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(hd, "X-Frame-Options", "DENY");
    evhttp_add_header(hd, "Referrer-Policy", "no-referrer");
}

void http_reply_json(struct evhttp_request *req, int status, json_t *j)
{
    struct evkeyvalq *hd = evhttp_request_get_output_headers(req);
    char *text =
        j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(j);
    struct evbuffer *b = evbuffer_new();
    if (text == NULL || b == NULL) {
        free(text);
        if (b)
            evbuffer_free(b);
        evhttp_send_error(req, 500, NULL);
        return;
    }
    http_secure_headers(req);
    evhttp_add_header(hd, "Content-Type", "application/json; charset=utf-8");
    evhttp_add_header(hd, "Cache-Control", "no-store");
    evbuffer_add(b, text, strlen(text));
    evbuffer_add(b, "\n", 1);
    free(text);
    http_send(req, status, NULL, b);
    evbuffer_free(b);
}

int http_status_of(enum errcode code)
{
    switch (code) {
    case ERR_BAD_REQUEST: return 400;
    case ERR_UNAUTHORIZED: return 401;
    case ERR_FORBIDDEN: return 403;
    case ERR_NOT_FOUND:
    case ERR_UNKNOWN_METHOD: return 404;
    case ERR_CONFLICT: return 409;
    case ERR_TOO_LARGE: return 413;
    case ERR_RATE_LIMITED: return 429;
    case ERR_UNAVAILABLE: return 503;
    default: return 500;
    }
}

static void reply_code(struct evhttp_request *req, int status,
                       enum errcode code, const char *msg)
{
    if (status == 0)
        status = http_status_of(code);
    if (status == 401)
        evhttp_add_header(evhttp_request_get_output_headers(req),
                          "WWW-Authenticate", "Bearer realm=\"expomatch\"");
    http_reply_json(req, status,
                    json_pack("{s:{s:s,s:s}}", "error", "code",
                              errcode_name(code), "message", msg));
}

void http_reply_error(struct evhttp_request *req, int status, enum errcode code,
                      const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    reply_code(req, status, code, msg);
}

void http_reply_err(struct evhttp_request *req, const struct err *err)
{
    reply_code(req, 0, err->code, err->msg);
}

bool http_get_only(struct evhttp_request *req)
{
    enum evhttp_cmd_type t = evhttp_request_get_command(req);
    if (t == EVHTTP_REQ_GET || t == EVHTTP_REQ_HEAD)
        return true;
    evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
                      "GET, HEAD");
    http_reply_error(req, 405, ERR_BAD_REQUEST,
                     "method not allowed here: use GET or HEAD");
    return false;
}

const char *http_path(struct evhttp_request *req)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    return path && *path ? path : "/";
}
