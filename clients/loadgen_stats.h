/* loadgen_stats.h: expomatch-loadgen's latency histogram (log-linear, in
 * the manner of HdrHistogram: bounded memory, under 1% relative error) and
 * per-method counters, and the report printed at the end of a run. */
#ifndef EM_LOADGEN_STATS_H
#define EM_LOADGEN_STATS_H

#include <stdint.h>
#include <stdio.h>

/* Values below 2^LG_HIST_SUB_BITS are kept exactly; above, each power of
 * two is split into 2^LG_HIST_SUB_BITS buckets of equal width, up to
 * 2^(LG_HIST_MAX_EXP + 1) - 1 (values above land in the last bucket). In
 * microseconds that is exact to 128 us, within 1/128 above, and up to
 * about 25 days. */
#define LG_HIST_SUB_BITS 7
#define LG_HIST_SUB (1 << LG_HIST_SUB_BITS)
#define LG_HIST_MAX_EXP 41
#define LG_HIST_BUCKETS (LG_HIST_SUB * (LG_HIST_MAX_EXP - LG_HIST_SUB_BITS + 2))

struct lg_hist {
    uint64_t count;                   /* values recorded */
    uint64_t min, max;                /* exact extremes (0 when empty) */
    uint64_t bucket[LG_HIST_BUCKETS]; /* counts per bucket */
};

void lg_hist_init(struct lg_hist *h);
void lg_hist_record(struct lg_hist *h, uint64_t v);
/* Adds every value of src to dst. */
void lg_hist_merge(struct lg_hist *dst, const struct lg_hist *src);
/* The value at quantile q (0-1): the smallest recorded value v such that at
 * least ceil(q * count) values are <= v, reported as the top of v's bucket
 * clamped to [min, max]; so never below the true quantile and at most 1/128
 * above it. 0 for an empty histogram. */
uint64_t lg_hist_quantile(const struct lg_hist *h, double q);
/* Bucket of v, and the largest value of a bucket (exposed for tests). */
int lg_hist_index(uint64_t v);
uint64_t lg_hist_bucket_top(int idx);

#define LG_MAX_CODES 8 /* error codes told apart per method */

/* Counters of one method. Each finished call is exactly one of ok,
 * expected (a business outcome such as `conflict`) or error. */
struct lg_method_stats {
    const char *name;   /* the method */
    uint64_t ops;       /* calls finished */
    uint64_t ok;        /* answered without error */
    uint64_t expected;  /* answered with an expected error code */
    uint64_t errors;    /* everything else: transport, internal... */
    struct lg_hist lat; /* latency of every finished call, microseconds */
    struct {
        char code[24];
        uint64_t n;
    } codes[LG_MAX_CODES]; /* error and expected replies by code; the last
                              slot takes "other" when they run out */
    int ncodes;
};

void lg_stats_init(struct lg_method_stats *m, const char *name);
/* Counts one finished call: latency in microseconds; code NULL for
 * success, else the error code; expected says how to count it. */
void lg_stats_add(struct lg_method_stats *m, uint64_t usec, const char *code,
                  int expected);

/* Totals of a run for the summary line. */
struct lg_totals {
    uint64_t ops, ok, expected, errors;
    double seconds;     /* measured wall time */
    struct lg_hist lat; /* every method's latencies */
};

/* Prints the per-method table, the error breakdown and the final line
 * (see docs/loadgen.md) to f; fills totals. */
void lg_report(FILE *f, struct lg_method_stats *m, int n, double seconds,
               struct lg_totals *totals);

#endif
