/* test_metrics.c: latency buckets and the Prometheus rendering, then the
 * HTTP side port (health, readiness, metrics, routes, 404/405, limits)
 * served on a free loopback port and driven from this test's own loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "http.h"
#include "metrics.h"

/* Renders the registry into a NUL-terminated heap string. */
static char *render(void)
{
    struct evbuffer *b = evbuffer_new();
    metrics_render(b);
    size_t n = evbuffer_get_length(b);
    char *s = malloc(n + 1);
    evbuffer_remove(b, s, n);
    s[n] = '\0';
    evbuffer_free(b);
    return s;
}

static void assert_has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return;
    fail_msg("missing line: %s\n--- in ---\n%s", line, text);
}

static double gauge_value(void *priv)
{
    return *(double *)priv;
}

static int reset_registry(void **state)
{
    metrics_reset();
    return 0;
}

static void test_observe_fills_the_right_bucket(void **state)
{
    struct method_stats m = {.method = "ping"};
    metrics_observe(&m, 0, false);       /* <= 0.0001 */
    metrics_observe(&m, 100, false);     /* bounds are inclusive */
    metrics_observe(&m, 101, true);      /* <= 0.00025 */
    metrics_observe(&m, 1000000, false); /* <= 1 */
    metrics_observe(&m, 1000001, false); /* +Inf */
    assert_int_equal(m.calls, 5);
    assert_int_equal(m.errors, 1);
    assert_int_equal(m.buckets[0], 2);
    assert_int_equal(m.buckets[1], 1);
    assert_int_equal(m.buckets[METRICS_NBUCKETS - 2], 1);
    assert_int_equal(m.buckets[METRICS_NBUCKETS - 1], 1);
    assert_int_equal(m.sum_us, 2000202);
}

static void test_render_methods_cumulative(void **state)
{
    struct method_stats ping = {.method = "ping"};
    struct method_stats put = {.method = "profile.put"};
    metrics_register_method(&ping);
    metrics_register_method(&put);
    metrics_register_method(&ping); /* twice is once */
    metrics_observe(&ping, 50, false);
    metrics_observe(&ping, 700, false);
    metrics_observe(&ping, 3000, true);
    metrics_observe(&ping, 2000000, false);

    char *t = render();
    assert_has_line(t, "# TYPE expomatch_rpc_calls_total counter");
    assert_has_line(t, "expomatch_rpc_calls_total{method=\"ping\"} 4");
    assert_has_line(t, "expomatch_rpc_calls_total{method=\"profile.put\"} 0");
    assert_has_line(t, "expomatch_rpc_errors_total{method=\"ping\"} 1");
    assert_has_line(t, "# TYPE expomatch_rpc_latency_seconds histogram");
    assert_has_line(t, "expomatch_rpc_latency_seconds_bucket"
                       "{method=\"ping\",le=\"0.0001\"} 1");
    assert_has_line(t, "expomatch_rpc_latency_seconds_bucket"
                       "{method=\"ping\",le=\"0.0005\"} 1");
    assert_has_line(t, "expomatch_rpc_latency_seconds_bucket"
                       "{method=\"ping\",le=\"0.001\"} 2");
    assert_has_line(t, "expomatch_rpc_latency_seconds_bucket"
                       "{method=\"ping\",le=\"0.005\"} 3");
    assert_has_line(t, "expomatch_rpc_latency_seconds_bucket"
                       "{method=\"ping\",le=\"1\"} 3");
    assert_has_line(t, "expomatch_rpc_latency_seconds_bucket"
                       "{method=\"ping\",le=\"+Inf\"} 4");
    assert_has_line(t, "expomatch_rpc_latency_seconds_sum"
                       "{method=\"ping\"} 2.003750");
    assert_has_line(t, "expomatch_rpc_latency_seconds_count"
                       "{method=\"ping\"} 4");
    assert_has_line(t, "expomatch_rpc_latency_seconds_bucket"
                       "{method=\"profile.put\",le=\"+Inf\"} 0");
    /* One HELP and TYPE per family, not per method. */
    const char *first = strstr(t, "# TYPE expomatch_rpc_calls_total");
    assert_null(strstr(first + 1, "# TYPE expomatch_rpc_calls_total"));
    free(t);
}

static void test_render_gauges_and_counters(void **state)
{
    double conns = 42, accepted = 1e6, ratio = 0.25;
    metrics_register_gauge("expomatch_connections", "Open connections.", false,
                           gauge_value, &conns);
    metrics_register_gauge("expomatch_connections_accepted_total",
                           "Connections accepted.", true, gauge_value,
                           &accepted);
    metrics_register_gauge("expomatch_ratio", "A fraction.", false, gauge_value,
                           &ratio);
    char *t = render();
    assert_has_line(t, "# HELP expomatch_connections Open connections.");
    assert_has_line(t, "# TYPE expomatch_connections gauge");
    assert_has_line(t, "expomatch_connections 42");
    assert_has_line(t, "# TYPE expomatch_connections_accepted_total counter");
    assert_has_line(t, "expomatch_connections_accepted_total 1000000");
    assert_has_line(t, "expomatch_ratio 0.25");
    assert_has_line(t, "# TYPE expomatch_build_info gauge");
    /* No methods registered: no empty RPC families. */
    assert_null(strstr(t, "expomatch_rpc_"));
    free(t);

    conns = 7; /* read at render time */
    t = render();
    assert_has_line(t, "expomatch_connections 7");
    free(t);
}

/* ---- HTTP ---- */

struct flags {
    bool healthy, ready;
};

static bool hook_healthy(void *priv)
{
    return ((struct flags *)priv)->healthy;
}

static bool hook_ready(void *priv)
{
    return ((struct flags *)priv)->ready;
}

static void on_hello(struct evhttp_request *req, void *priv)
{
    struct evbuffer *b = evbuffer_new();
    evbuffer_add_printf(b, "%s %s\n", (const char *)priv,
                        evhttp_request_get_uri(req));
    evhttp_send_reply(req, 200, "OK", b);
    evbuffer_free(b);
}

struct fixture {
    struct event_base *base;
    struct http *http;
    struct flags flags;
};

static int http_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct err err = {0};
    f->base = event_base_new();
    struct http_hooks hooks = {hook_healthy, hook_ready, &f->flags};
    f->flags.healthy = true;
    f->http = http_start(f->base, "127.0.0.1", 0, &hooks, &err);
    if (f->http == NULL)
        fail_msg("http_start: %s", err.msg);
    metrics_reset();
    *state = f;
    return 0;
}

static int http_teardown(void **state)
{
    struct fixture *f = *state;
    http_free(f->http);
    event_base_free(f->base);
    metrics_reset();
    free(f);
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sends raw request bytes and returns everything the server sends back
 * until it closes, running the server's loop meanwhile (5 s deadline). */
static char *exchange(struct fixture *f, const char *request, size_t reqlen)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_port = htons((uint16_t)http_port(f->http));
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    /* The kernel completes the handshake from the backlog, so a blocking
     * connect returns before the server's loop has run. */
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    fcntl(fd, F_SETFL, O_NONBLOCK);

    size_t sent = 0, len = 0, cap = 4096;
    char *resp = malloc(cap);
    double deadline = now_s() + 5;
    for (;;) {
        if (now_s() > deadline)
            fail_msg("no complete response within 5 s");
        if (sent < reqlen) {
            ssize_t n = send(fd, request + sent, reqlen - sent, MSG_NOSIGNAL);
            if (n > 0)
                sent += (size_t)n;
            else if (n < 0 && errno != EAGAIN)
                sent = reqlen; /* the server hung up early: read why */
        }
        event_base_loop(f->base, EVLOOP_NONBLOCK);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5) <= 0)
            continue;
        if (len + 1024 > cap)
            resp = realloc(resp, cap *= 2);
        ssize_t n = recv(fd, resp + len, cap - len - 1, 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            break;
        if (n > 0)
            len += (size_t)n;
    }
    close(fd);
    resp[len] = '\0';
    return resp;
}

static char *get(struct fixture *f, const char *method, const char *path)
{
    char req[512];
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                     method, path);
    return exchange(f, req, (size_t)n);
}

static const char *body_of(const char *resp)
{
    const char *p = strstr(resp, "\r\n\r\n");
    assert_non_null(p);
    return p + 4;
}

static void assert_status(const char *resp, int code)
{
    char want[32];
    snprintf(want, sizeof want, "HTTP/1.1 %d ", code);
    if (strncmp(resp, want, strlen(want)) != 0)
        fail_msg("want status %d, got:\n%s", code, resp);
}

static void test_http_healthz_follows_hook(void **state)
{
    struct fixture *f = *state;
    char *r = get(f, "GET", "/healthz");
    assert_status(r, 200);
    assert_string_equal(body_of(r), "ok\n");
    free(r);
    f->flags.healthy = false;
    r = get(f, "GET", "/healthz");
    assert_status(r, 503);
    assert_string_equal(body_of(r), "unavailable\n");
    free(r);
}

static void test_http_readyz_follows_hook(void **state)
{
    struct fixture *f = *state;
    char *r = get(f, "GET", "/readyz");
    assert_status(r, 503);
    free(r);
    f->flags.ready = true;
    r = get(f, "GET", "/readyz?verbose=1");
    assert_status(r, 200);
    assert_string_equal(body_of(r), "ready\n");
    free(r);
}

static void test_http_metrics_serves_render(void **state)
{
    struct fixture *f = *state;
    struct method_stats ping = {.method = "ping"};
    metrics_register_method(&ping);
    metrics_observe(&ping, 10, false);
    char *r = get(f, "GET", "/metrics");
    assert_status(r, 200);
    assert_non_null(
        strstr(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8"));
    assert_non_null(
        strstr(body_of(r), "expomatch_rpc_calls_total{method=\"ping\"} 1\n"));
    free(r);
}

static void test_http_unknown_path_and_wrong_method(void **state)
{
    struct fixture *f = *state;
    char *r = get(f, "GET", "/nope");
    assert_status(r, 404);
    free(r);
    r = get(f, "GET", "/healthz/extra");
    assert_status(r, 404);
    free(r);
    r = get(f, "POST", "/healthz");
    assert_status(r, 405);
    assert_non_null(strstr(r, "Allow: GET, HEAD"));
    free(r);
    r = get(f, "DELETE", "/metrics");
    assert_status(r, 405);
    free(r);
    r = get(f, "HEAD", "/healthz");
    assert_status(r, 200);
    assert_non_null(strstr(r, "Content-Length: 3\r\n"));
    assert_string_equal(body_of(r), "");
    free(r);
}

static void test_http_added_routes(void **state)
{
    struct fixture *f = *state;
    http_route(f->http, "/", on_hello, "root");
    http_route(f->http, "/api/*", on_hello, "api");
    http_route(f->http, "/api/events/*", on_hello, "events");
    http_route(f->http, "/api/session", on_hello, "session");
    char *r = get(f, "GET", "/");
    assert_string_equal(body_of(r), "root /\n");
    free(r);
    r = get(f, "GET", "/api/x");
    assert_string_equal(body_of(r), "api /api/x\n");
    free(r);
    r = get(f, "GET", "/api/events/gsme/feed");
    assert_string_equal(body_of(r), "events /api/events/gsme/feed\n");
    free(r);
    r = get(f, "POST", "/api/session");
    assert_string_equal(body_of(r), "session /api/session\n");
    free(r);
    r = get(f, "GET", "/other");
    assert_status(r, 404);
    free(r);
    http_route(f->http, "/", on_hello, "home"); /* replaces */
    r = get(f, "GET", "/");
    assert_string_equal(body_of(r), "home /\n");
    free(r);
}

static void test_http_body_limit(void **state)
{
    struct fixture *f = *state;
    http_route(f->http, "/api/*", on_hello, "api");
    size_t body = 64 * 1024 + 1;
    char head[256];
    int hn = snprintf(head, sizeof head,
                      "POST /api/x HTTP/1.1\r\nHost: t\r\n"
                      "Connection: close\r\nContent-Length: %zu\r\n\r\n",
                      body);
    char *req = malloc((size_t)hn + body);
    memcpy(req, head, (size_t)hn);
    memset(req + hn, 'a', body);
    char *r = exchange(f, req, (size_t)hn + body);
    assert_status(r, 413);
    free(r);
    free(req);
}

static void test_http_start_rejects_host_names(void **state)
{
    struct event_base *base = event_base_new();
    struct err err = {0};
    assert_null(http_start(base, "localhost", 0, NULL, &err));
    assert_non_null(strstr(err.msg, "not an IP literal"));
    event_base_free(base);
}

static void test_http_start_reports_busy_port(void **state)
{
    struct fixture *f = *state;
    struct err err = {0};
    assert_null(
        http_start(f->base, "127.0.0.1", http_port(f->http), NULL, &err));
    assert_non_null(strstr(err.msg, "cannot listen on 127.0.0.1 port"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_observe_fills_the_right_bucket,
                               reset_registry),
        cmocka_unit_test_setup_teardown(test_render_methods_cumulative,
                                        reset_registry, reset_registry),
        cmocka_unit_test_setup_teardown(test_render_gauges_and_counters,
                                        reset_registry, reset_registry),
        cmocka_unit_test_setup_teardown(test_http_healthz_follows_hook,
                                        http_setup, http_teardown),
        cmocka_unit_test_setup_teardown(test_http_readyz_follows_hook,
                                        http_setup, http_teardown),
        cmocka_unit_test_setup_teardown(test_http_metrics_serves_render,
                                        http_setup, http_teardown),
        cmocka_unit_test_setup_teardown(test_http_unknown_path_and_wrong_method,
                                        http_setup, http_teardown),
        cmocka_unit_test_setup_teardown(test_http_added_routes, http_setup,
                                        http_teardown),
        cmocka_unit_test_setup_teardown(test_http_body_limit, http_setup,
                                        http_teardown),
        cmocka_unit_test(test_http_start_rejects_host_names),
        cmocka_unit_test_setup_teardown(test_http_start_reports_busy_port,
                                        http_setup, http_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
