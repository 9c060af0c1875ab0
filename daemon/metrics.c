/* metrics.c: the registry of method stats and gauge callbacks, and their
 * rendering as Prometheus text (format 0.0.4). */
#include "metrics.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "xmalloc.h"

#ifndef EM_VERSION
#define EM_VERSION "unknown"
#endif

static const uint64_t bounds_us[] = {METRICS_BOUNDS_US};
_Static_assert(sizeof bounds_us / sizeof bounds_us[0] == METRICS_NBUCKETS - 1,
               "METRICS_NBUCKETS must be the bounds plus +Inf");
/* The same bounds as Prometheus `le` labels, in seconds. */
static const char *const bounds_le[METRICS_NBUCKETS] = {
    "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01",
    "0.025",  "0.05",    "0.1",    "0.25",  "0.5",    "1",     "+Inf"};

struct gauge {
    const char *name, *help;
    bool is_counter;
    double (*fn)(void *);
    void *priv;
};

static struct method_stats **methods;
static size_t nmethods, cap_methods;
static struct gauge *gauges;
static size_t ngauges, cap_gauges;

void metrics_observe(struct method_stats *m, uint64_t usec, bool error)
{
    size_t b = 0;
    while (b < METRICS_NBUCKETS - 1 && usec > bounds_us[b])
        b++;
    m->buckets[b]++;
    m->calls++;
    if (error)
        m->errors++;
    m->sum_us += usec;
}

void metrics_register_method(struct method_stats *m)
{
    for (size_t i = 0; i < nmethods; i++)
        if (methods[i] == m)
            return;
    if (nmethods == cap_methods) {
        cap_methods = cap_methods ? 2 * cap_methods : 64;
        methods = xrealloc(methods, cap_methods * sizeof *methods);
    }
    methods[nmethods++] = m;
}

void metrics_register_gauge(const char *name, const char *help, bool is_counter,
                            double (*fn)(void *), void *priv)
{
    if (ngauges == cap_gauges) {
        cap_gauges = cap_gauges ? 2 * cap_gauges : 16;
        gauges = xrealloc(gauges, cap_gauges * sizeof *gauges);
    }
    gauges[ngauges++] = (struct gauge){name, help, is_counter, fn, priv};
}

void metrics_reset(void)
{
    free(methods);
    free(gauges);
    methods = NULL;
    gauges = NULL;
    nmethods = cap_methods = ngauges = cap_gauges = 0;
}

/* Label values are escaped as the format asks, though ours are names. */
static void put_label(struct evbuffer *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            evbuffer_add_printf(out, "\\%c", *s);
        else if (*s == '\n')
            evbuffer_add(out, "\\n", 2);
        else
            evbuffer_add(out, s, 1);
    }
}

static void put_family(struct evbuffer *out, const char *name, const char *help,
                       const char *type)
{
    evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
                        type);
}

static void put_value(struct evbuffer *out, double v)
{
    if (isnan(v))
        evbuffer_add_printf(out, "NaN\n");
    else if (isinf(v))
        evbuffer_add_printf(out, "%s\n", v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 9007199254740992.0)
        evbuffer_add_printf(out, "%.0f\n", v);
    else
        evbuffer_add_printf(out, "%.17g\n", v);
}

static void render_counter(struct evbuffer *out, const char *name,
                           const char *help, size_t field)
{
    put_family(out, name, help, "counter");
    for (size_t i = 0; i < nmethods; i++) {
        const struct method_stats *m = methods[i];
        uint64_t v = *(const uint64_t *)((const char *)m + field);
        evbuffer_add_printf(out, "%s{method=\"", name);
        put_label(out, m->method);
        evbuffer_add_printf(out, "\"} %llu\n", (unsigned long long)v);
    }
}

static void render_latency(struct evbuffer *out)
{
    static const char name[] = "expomatch_rpc_latency_seconds";
    put_family(out, name, "Time from a request's arrival to its reply.",
               "histogram");
    for (size_t i = 0; i < nmethods; i++) {
        const struct method_stats *m = methods[i];
        uint64_t cum = 0;
        for (size_t b = 0; b < METRICS_NBUCKETS; b++) {
            cum += m->buckets[b];
            evbuffer_add_printf(out, "%s_bucket{method=\"", name);
            put_label(out, m->method);
            evbuffer_add_printf(out, "\",le=\"%s\"} %llu\n", bounds_le[b],
                                (unsigned long long)cum);
        }
        evbuffer_add_printf(out, "%s_sum{method=\"", name);
        put_label(out, m->method);
        evbuffer_add_printf(out, "\"} %llu.%06llu\n",
                            (unsigned long long)(m->sum_us / 1000000),
                            (unsigned long long)(m->sum_us % 1000000));
        evbuffer_add_printf(out, "%s_count{method=\"", name);
        put_label(out, m->method);
        evbuffer_add_printf(out, "\"} %llu\n", (unsigned long long)cum);
    }
}

void metrics_render(struct evbuffer *out)
{
    put_family(out, "expomatch_build_info",
               "The running version; the value is always 1.", "gauge");
    evbuffer_add_printf(out, "expomatch_build_info{version=\"");
    put_label(out, EM_VERSION);
    evbuffer_add_printf(out, "\"} 1\n");

    if (nmethods > 0) {
        render_counter(out, "expomatch_rpc_calls_total",
                       "RPC requests answered, by method.",
                       offsetof(struct method_stats, calls));
        render_counter(out, "expomatch_rpc_errors_total",
                       "RPC requests answered with an error, by method.",
                       offsetof(struct method_stats, errors));
        render_latency(out);
    }

    for (size_t i = 0; i < ngauges; i++) {
        const struct gauge *g = &gauges[i];
        put_family(out, g->name, g->help, g->is_counter ? "counter" : "gauge");
        evbuffer_add_printf(out, "%s ", g->name);
        put_value(out, g->fn(g->priv));
    }
}
