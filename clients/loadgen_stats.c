/* loadgen_stats.c: latency histogram, per-method counters and the report
 * of expomatch-loadgen; see loadgen_stats.h. */
#include "loadgen_stats.h"

#include <string.h>

void lg_hist_init(struct lg_hist *h)
{
    memset(h, 0, sizeof *h);
}

int lg_hist_index(uint64_t v)
{
    if (v < LG_HIST_SUB)
        return (int)v;
    int e = 63 - __builtin_clzll(v); /* v's top bit, >= SUB_BITS */
    if (e > LG_HIST_MAX_EXP)
        return LG_HIST_BUCKETS - 1;
    /* The SUB_BITS bits after the top one pick the bucket in [2^e, 2^e+1). */
    int sub = (int)((v >> (e - LG_HIST_SUB_BITS)) & (LG_HIST_SUB - 1));
    return LG_HIST_SUB * (e - LG_HIST_SUB_BITS + 1) + sub;
}

uint64_t lg_hist_bucket_top(int idx)
{
    if (idx < LG_HIST_SUB)
        return (uint64_t)idx;
    int e = idx / LG_HIST_SUB - 1 + LG_HIST_SUB_BITS;
    uint64_t sub = (uint64_t)(idx % LG_HIST_SUB);
    int shift = e - LG_HIST_SUB_BITS;
    uint64_t lo = ((uint64_t)LG_HIST_SUB + sub) << shift;
    return lo + (((uint64_t)1 << shift) - 1);
}

void lg_hist_record(struct lg_hist *h, uint64_t v)
{
    if (h->count == 0 || v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
    h->count++;
    h->bucket[lg_hist_index(v)]++;
}

void lg_hist_merge(struct lg_hist *dst, const struct lg_hist *src)
{
    if (src->count == 0)
        return;
    if (dst->count == 0 || src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    dst->count += src->count;
    for (int i = 0; i < LG_HIST_BUCKETS; i++)
        dst->bucket[i] += src->bucket[i];
}

uint64_t lg_hist_quantile(const struct lg_hist *h, double q)
{
    if (h->count == 0)
        return 0;
    if (q < 0)
        q = 0;
    if (q > 1)
        q = 1;
    /* The rank, rounded up, of the value asked for; at least the first. */
    double r = q * (double)h->count;
    uint64_t rank = (uint64_t)r;
    if ((double)rank < r)
        rank++;
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (int i = 0; i < LG_HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank) {
            uint64_t v = lg_hist_bucket_top(i);
            if (v > h->max)
                v = h->max;
            if (v < h->min)
                v = h->min;
            return v;
        }
    }
    return h->max;
}

void lg_stats_init(struct lg_method_stats *m, const char *name)
{
    memset(m, 0, sizeof *m);
    m->name = name;
    lg_hist_init(&m->lat);
}

static void count_code(struct lg_method_stats *m, const char *code)
{
    int i;
    for (i = 0; i < m->ncodes; i++)
        if (strcmp(m->codes[i].code, code) == 0)
            break;
    if (i == m->ncodes) {
        if (m->ncodes == LG_MAX_CODES) {
            /* Out of slots: the last one becomes "other". */
            i = LG_MAX_CODES - 1;
            strcpy(m->codes[i].code, "other");
        } else {
            m->ncodes++;
            size_t n = strlen(code);
            if (n >= sizeof m->codes[i].code)
                n = sizeof m->codes[i].code - 1;
            memcpy(m->codes[i].code, code, n);
            m->codes[i].code[n] = '\0';
            m->codes[i].n = 0;
        }
    }
    m->codes[i].n++;
}

void lg_stats_add(struct lg_method_stats *m, uint64_t usec, const char *code,
                  int expected)
{
    m->ops++;
    lg_hist_record(&m->lat, usec);
    if (code == NULL) {
        m->ok++;
        return;
    }
    if (expected)
        m->expected++;
    else
        m->errors++;
    count_code(m, code);
}

static double ms(uint64_t usec)
{
    return (double)usec / 1000.0;
}

void lg_report(FILE *f, struct lg_method_stats *m, int n, double seconds,
               struct lg_totals *t)
{
    memset(t, 0, sizeof *t);
    lg_hist_init(&t->lat);
    t->seconds = seconds;
    fprintf(f, "%-18s %9s %9s %8s %7s %9s %8s %8s %8s\n", "method", "ops", "ok",
            "expected", "errors", "ops/s", "p50_ms", "p99_ms", "p999_ms");
    for (int i = 0; i < n; i++) {
        const struct lg_method_stats *s = &m[i];
        fprintf(f, "%-18s %9llu %9llu %8llu %7llu %9.1f %8.2f %8.2f %8.2f\n",
                s->name, (unsigned long long)s->ops, (unsigned long long)s->ok,
                (unsigned long long)s->expected, (unsigned long long)s->errors,
                seconds > 0 ? (double)s->ops / seconds : 0.0,
                ms(lg_hist_quantile(&s->lat, 0.50)),
                ms(lg_hist_quantile(&s->lat, 0.99)),
                ms(lg_hist_quantile(&s->lat, 0.999)));
        t->ops += s->ops;
        t->ok += s->ok;
        t->expected += s->expected;
        t->errors += s->errors;
        lg_hist_merge(&t->lat, &s->lat);
    }
    double rate = seconds > 0 ? (double)t->ops / seconds : 0.0;
    fprintf(f, "%-18s %9llu %9llu %8llu %7llu %9.1f %8.2f %8.2f %8.2f\n", "all",
            (unsigned long long)t->ops, (unsigned long long)t->ok,
            (unsigned long long)t->expected, (unsigned long long)t->errors,
            rate, ms(lg_hist_quantile(&t->lat, 0.50)),
            ms(lg_hist_quantile(&t->lat, 0.99)),
            ms(lg_hist_quantile(&t->lat, 0.999)));
    /* Which codes made up the expected outcomes and the errors. */
    for (int i = 0; i < n; i++) {
        if (m[i].ncodes == 0)
            continue;
        fprintf(f, "codes %-12s", m[i].name);
        for (int j = 0; j < m[i].ncodes; j++)
            fprintf(f, " %s=%llu", m[i].codes[j].code,
                    (unsigned long long)m[i].codes[j].n);
        fputc('\n', f);
    }
    fprintf(f,
            "loadgen: ops=%llu ok=%llu expected=%llu errors=%llu "
            "seconds=%.3f ops_per_s=%.1f p50_ms=%.3f p99_ms=%.3f "
            "p999_ms=%.3f\n",
            (unsigned long long)t->ops, (unsigned long long)t->ok,
            (unsigned long long)t->expected, (unsigned long long)t->errors,
            seconds, rate, ms(lg_hist_quantile(&t->lat, 0.50)),
            ms(lg_hist_quantile(&t->lat, 0.99)),
            ms(lg_hist_quantile(&t->lat, 0.999)));
    fflush(f);
}
