/* test_loadgen_hist.c: expomatch-loadgen's latency histogram gives
 * percentiles within its stated error, never below the true value, in
 * bounded memory, and its counters tell expected outcomes from errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../clients/loadgen_stats.h"

/* The true q-quantile of sorted values: the ceil(q*n)-th smallest. */
static uint64_t exact_quantile(const uint64_t *sorted, size_t n, double q)
{
    double r = q * (double)n;
    size_t rank = (size_t)r;
    if ((double)rank < r)
        rank++;
    if (rank < 1)
        rank = 1;
    return sorted[rank - 1];
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Within [true, true * (1 + 1/128)]. */
static void assert_close(uint64_t got, uint64_t want)
{
    assert_true(got >= want);
    assert_true((double)got <= (double)want * (1.0 + 1.0 / 128) + 0.5);
}

static void test_empty_is_zero(void **state)
{
    static struct lg_hist h;
    lg_hist_init(&h);
    assert_int_equal(lg_hist_quantile(&h, 0.5), 0);
    assert_int_equal(lg_hist_quantile(&h, 0.999), 0);
}

static void test_small_values_are_exact(void **state)
{
    static struct lg_hist h;
    lg_hist_init(&h);
    for (uint64_t v = 1; v <= 100; v++)
        lg_hist_record(&h, v);
    assert_int_equal(lg_hist_quantile(&h, 0.50), 50);
    assert_int_equal(lg_hist_quantile(&h, 0.99), 99);
    assert_int_equal(lg_hist_quantile(&h, 0.999), 100);
    assert_int_equal(lg_hist_quantile(&h, 0.0), 1);
    assert_int_equal(lg_hist_quantile(&h, 1.0), 100);
}

static void test_one_value_is_itself(void **state)
{
    static struct lg_hist h;
    lg_hist_init(&h);
    lg_hist_record(&h, 123457);
    assert_int_equal(lg_hist_quantile(&h, 0.5), 123457);
    assert_int_equal(lg_hist_quantile(&h, 0.999), 123457);
}

static void test_bucket_edges(void **state)
{
    /* Every value lies in its bucket, buckets are contiguous and ordered. */
    uint64_t prev_top = 0;
    for (int i = 0; i < LG_HIST_BUCKETS; i++) {
        uint64_t top = lg_hist_bucket_top(i);
        if (i > 0)
            assert_true(top > prev_top);
        assert_int_equal(lg_hist_index(top), i);
        if (i > 0)
            assert_int_equal(lg_hist_index(prev_top + 1), i);
        prev_top = top;
    }
    /* Past the range: the last bucket, never out of bounds. */
    assert_int_equal(lg_hist_index(UINT64_MAX), LG_HIST_BUCKETS - 1);
    assert_int_equal(lg_hist_index((uint64_t)1 << 60), LG_HIST_BUCKETS - 1);
}

static void test_percentiles_of_a_skewed_distribution(void **state)
{
    enum { N = 200000 };
    static struct lg_hist h;
    uint64_t *v = malloc(N * sizeof *v);
    uint32_t x = 12345;
    lg_hist_init(&h);
    for (size_t i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        /* Mostly 0.2-2 ms, a tail to a second: like RPC latencies in us. */
        uint64_t base = 200 + x % 1800;
        if (x % 1000 == 0)
            base = 50000 + x % 950000;
        else if (x % 50 == 0)
            base *= 10;
        v[i] = base;
        lg_hist_record(&h, base);
    }
    qsort(v, N, sizeof *v, cmp_u64);
    static const double qs[] = {0.5, 0.9, 0.99, 0.999, 0.9999};
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++)
        assert_close(lg_hist_quantile(&h, qs[k]), exact_quantile(v, N, qs[k]));
    assert_int_equal(lg_hist_quantile(&h, 1.0), v[N - 1]);
    assert_int_equal(h.count, N);
    assert_int_equal(h.min, v[0]);
    free(v);
}

static void test_merge_equals_recording_all(void **state)
{
    static struct lg_hist a, b, all;
    lg_hist_init(&a);
    lg_hist_init(&b);
    lg_hist_init(&all);
    for (uint64_t i = 0; i < 5000; i++) {
        uint64_t v = (i * 7919) % 100000 + 1;
        lg_hist_record(i % 3 ? &a : &b, v);
        lg_hist_record(&all, v);
    }
    lg_hist_merge(&a, &b);
    assert_int_equal(a.count, all.count);
    assert_int_equal(a.min, all.min);
    assert_int_equal(a.max, all.max);
    assert_memory_equal(a.bucket, all.bucket, sizeof a.bucket);
}

static void test_counters_split_ok_expected_errors(void **state)
{
    static struct lg_method_stats m;
    lg_stats_init(&m, "meeting.request");
    lg_stats_add(&m, 100, NULL, 0);
    lg_stats_add(&m, 200, "conflict", 1);
    lg_stats_add(&m, 300, "conflict", 1);
    lg_stats_add(&m, 400, "unavailable", 0);
    lg_stats_add(&m, 500, "timeout", 0);
    assert_int_equal(m.ops, 5);
    assert_int_equal(m.ok, 1);
    assert_int_equal(m.expected, 2);
    assert_int_equal(m.errors, 2);
    assert_int_equal(m.ncodes, 3);
    assert_string_equal(m.codes[0].code, "conflict");
    assert_int_equal(m.codes[0].n, 2);
    /* More distinct codes than slots fold into "other". */
    char code[16];
    for (int i = 0; i < 20; i++) {
        snprintf(code, sizeof code, "c%d", i);
        lg_stats_add(&m, 1, code, 0);
    }
    assert_int_equal(m.ncodes, LG_MAX_CODES);
    assert_string_equal(m.codes[LG_MAX_CODES - 1].code, "other");
    assert_int_equal(m.errors, 22);
}

static void test_report_final_line(void **state)
{
    static struct lg_method_stats m[2];
    struct lg_totals t;
    char *buf = NULL;
    size_t len = 0;
    lg_stats_init(&m[0], "match.top");
    lg_stats_init(&m[1], "checkin");
    for (int i = 0; i < 10; i++)
        lg_stats_add(&m[0], 1000, NULL, 0);
    lg_stats_add(&m[1], 3000, "internal", 0);
    /* 1000 us reads as its bucket's top, 1003 us (within 1/128). */
    FILE *f = open_memstream(&buf, &len);
    lg_report(f, m, 2, 2.0, &t);
    fclose(f);
    assert_int_equal(t.ops, 11);
    assert_int_equal(t.errors, 1);
    assert_non_null(strstr(buf, "codes checkin      internal=1"));
    assert_non_null(strstr(buf, "\nloadgen: ops=11 ok=10 expected=0 errors=1 "
                                "seconds=2.000 ops_per_s=5.5 p50_ms=1.003 "
                                "p99_ms=3.000 p999_ms=3.000\n"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_is_zero),
        cmocka_unit_test(test_small_values_are_exact),
        cmocka_unit_test(test_one_value_is_itself),
        cmocka_unit_test(test_bucket_edges),
        cmocka_unit_test(test_percentiles_of_a_skewed_distribution),
        cmocka_unit_test(test_merge_equals_recording_all),
        cmocka_unit_test(test_counters_split_ok_expected_errors),
        cmocka_unit_test(test_report_final_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
