/* metrics.h: counters and latency histograms for GET /metrics, rendered in
 * the Prometheus text format. Per-method stats live in the RPC method table
 * and are registered here; other modules register gauges and counters as
 * callbacks read at render time. Nothing here ever holds participant data. */
#ifndef EM_METRICS_H
#define EM_METRICS_H

#include <stdbool.h>
#include <stdint.h>

struct evbuffer;

/* Latency bucket upper bounds in microseconds, 100 us .. 1 s, then +Inf. */
#define METRICS_BOUNDS_US                                                      \
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,      \
        500000, 1000000
#define METRICS_NBUCKETS 14 /* the 13 bounds above plus +Inf */

/* One RPC method's figures; zero-initialise, set `method`, register. */
struct method_stats {
    const char *method;                 /* label value; must outlive us */
    uint64_t calls, errors;             /* replies sent; error replies */
    uint64_t buckets[METRICS_NBUCKETS]; /* per bucket, not cumulative */
    uint64_t sum_us;                    /* total latency, microseconds */
};

/* Counts one call that took usec microseconds. Loop thread only. */
void metrics_observe(struct method_stats *m, uint64_t usec, bool error);

/* Adds m to /metrics (once; registering it again is a no-op). */
void metrics_register_method(struct method_stats *m);

/* Adds a gauge (or, when is_counter, a monotonic counter) named `name`
 * (e.g. "expomatch_connections"), whose value fn(priv) is read at each
 * render. name and help must outlive the registry. */
void metrics_register_gauge(const char *name, const char *help, bool is_counter,
                            double (*fn)(void *), void *priv);

/* Appends the whole exposition (text format 0.0.4) to out. */
void metrics_render(struct evbuffer *out);

/* Forgets every registration (shutdown and tests). */
void metrics_reset(void);

#endif
