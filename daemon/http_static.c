/* http_static.c: the dashboard's own files, built into the daemon
 * (embedded.h), at "/" (the page) and "/dashboard/<name>". Each carries a
 * strong ETag, so a browser revalidates cheaply and a new daemon's files
 * are never mixed with an old cache. */
#include "http_static.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "embedded.h"
#include "http_reply.h"
#include "xmalloc.h"

#define PAGE "index.html"
#define PREFIX "/dashboard/"
#define NAME_CHARS                                                             \
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"

/* A file's quoted ETag, by its index in em_dashboard_files. */
static char (*etags)[24];

static const struct {
    const char *ext, *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
};

static const char *type_of(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t e = strlen(types[i].ext);
        if (n > e && strcmp(name + n - e, types[i].ext) == 0)
            return types[i].type;
    }
    return "application/octet-stream";
}

/* FNV-1a over the content: a strong validator, as the bytes decide it. */
static void make_etag(const struct em_file *f, char out[24])
{
    uint64_t x = 1469598103934665603ull;
    for (size_t i = 0; i < f->len; i++)
        x = (x ^ f->data[i]) * 1099511628211ull;
    snprintf(out, 24, "\"%016" PRIx64 "\"", x);
}

static int find(const char *name)
{
    for (int i = 0; em_dashboard_files[i].name; i++)
        if (strcmp(em_dashboard_files[i].name, name) == 0)
            return i;
    return -1;
}

static void serve(struct evhttp_request *req, const char *name)
{
    if (!http_get_only(req))
        return;
    int i = find(name);
    if (i < 0) {
        /* The name is echoed only when plainly harmless. */
        bool plain =
            strlen(name) <= 64 && strspn(name, NAME_CHARS) == strlen(name);
        http_reply_error(req, 0, ERR_NOT_FOUND, "no dashboard file '%s'",
                         plain ? name : "?");
        return;
    }
    const struct em_file *f = &em_dashboard_files[i];
    struct evkeyvalq *hd = evhttp_request_get_output_headers(req);
    http_secure_headers(req);
    evhttp_add_header(hd, "ETag", etags[i]);
    /* Always revalidated: the ETag makes that a 304 without a body. */
    evhttp_add_header(hd, "Cache-Control", "no-cache");
    const char *inm = evhttp_find_header(evhttp_request_get_input_headers(req),
                                         "If-None-Match");
    if (inm && strstr(inm, etags[i])) {
        evhttp_send_reply(req, 304, "Not Modified", NULL);
        return;
    }
    evhttp_add_header(hd, "Content-Type", type_of(f->name));
    struct evbuffer *b = evbuffer_new();
    if (b == NULL) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    evbuffer_add_reference(b, f->data, f->len, NULL, NULL);
    http_send(req, 200, NULL, b);
    evbuffer_free(b);
}

static void on_page(struct evhttp_request *req, void *arg)
{
    serve(req, PAGE);
}

static void on_file(struct evhttp_request *req, void *arg)
{
    serve(req, http_path(req) + strlen(PREFIX));
}

void http_static_routes(struct http *h)
{
    size_t n = 0;
    while (em_dashboard_files[n].name)
        n++;
    etags = xcalloc(n + 1, sizeof *etags);
    for (size_t i = 0; i < n; i++)
        make_etag(&em_dashboard_files[i], etags[i]);
    http_route(h, "/", on_page, NULL);
    http_route(h, "/index.html", on_page, NULL);
    http_route(h, PREFIX "*", on_file, NULL);
}
