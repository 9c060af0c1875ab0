/* evalmatch.c: expomatch-evalmatch, the matching engine's evaluation and
 * in-process benchmark over an expo made by tests/bench/gen_expo.py:
 *
 *   expomatch-evalmatch DIR [--queries N] [--rounds R] [--all]
 *
 * Loads DIR/event.json and DIR/participants.jsonl through the daemon's own
 * validation and engine, then reports: load (rebuild) time and memory per
 * profile; match.top latency over N participants; precision@10 and
 * recall@10 of the planted pairs (DIR/planted.jsonl); with --all, how
 * attention spreads (share of participants in someone's top 10, Gini of
 * how often each is suggested) and a simulated day of R request rounds
 * with and without congestion; and the rate of incremental puts. The last
 * line is "evalmatch: ok" for scripts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../daemon/match_int.h"
#include "../../daemon/validate.h"
#include "../../daemon/xmalloc.h"
#include "../unit/mpjson.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2)
            res = 0;
        fclose(f);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static char event_id[65];
static char **ids;
static size_t nids, capids;

static void die(const char *what)
{
    fprintf(stderr, "evalmatch: %s\n", what);
    exit(1);
}

static void load_event(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/event.json", dir);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (j == NULL)
        die("cannot read event.json");
    struct mpj *m = mpj_from_json_t(j);
    struct event_in ev;
    struct err err;
    if (validate_event(&m->obj, &ev, &err) < 0)
        die(err.msg);
    snprintf(event_id, sizeof event_id, "%s", ev.id);
    if (match_event_put(ev.id, ev.packed.data, ev.packed.size, &err) < 0)
        die(err.msg);
    event_in_free(&ev);
    mpj_free(m);
    json_decref(j);
}

/* Validates one profile line as profile.put would and applies it. */
static double put_line(const char *line, long long version, bool keep_id)
{
    json_error_t je;
    json_t *j = json_loads(line, 0, &je);
    if (j == NULL)
        die("bad JSON line");
    struct mpj *m = mpj_from_json_t(j);
    struct profile_in p;
    struct err err;
    if (validate_profile(&m->obj, &p, &err) < 0)
        die(err.msg);
    double t0 = now_s();
    if (match_profile_put(p.event, p.id, version, p.packed.data, p.packed.size,
                          &err) < 0)
        die(err.msg);
    double dt = now_s() - t0;
    if (keep_id) {
        if (nids == capids) {
            capids = capids ? capids * 2 : 1024;
            ids = xrealloc(ids, capids * sizeof *ids);
        }
        ids[nids++] = xstrdup(p.id);
    }
    profile_in_free(&p);
    mpj_free(m);
    json_decref(j);
    return dt;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void bench_queries(size_t q)
{
    double *t = xmalloc(q * sizeof *t);
    struct match_entry out[MATCH_KEEP];
    struct err err;
    for (size_t i = 0; i < q; i++) {
        const char *id = ids[next_rand() % nids];
        double t0 = now_s();
        if (match_top(event_id, id, MATCH_KEEP, out, &err) < 0)
            die(err.msg);
        t[i] = now_s() - t0;
    }
    qsort(t, q, sizeof *t, cmp_double);

    printf("match.top (k=10, in process, %zu random participants): p50 %.3f "
           "ms, p99 %.3f ms, max %.3f ms\n",
           q, t[q / 2] * 1e3, t[q * 99 / 100] * 1e3, t[q - 1] * 1e3);
    free(t);
}

/* Planted pairs: is each side in the other's top 10? */
static void eval_planted(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/planted.jsonl", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        die("cannot read planted.jsonl");
    char line[512];
    size_t pairs = 0, hits = 0, first = 0, slots = 0;
    struct match_entry out[MATCH_KEEP];
    struct err err;
    while (fgets(line, sizeof line, f)) {
        json_error_t je;
        json_t *j = json_loads(line, 0, &je);
        if (j == NULL)
            continue;
        const char *ab[2] = {json_string_value(json_object_get(j, "a")),
                             json_string_value(json_object_get(j, "b"))};
        for (int d = 0; d < 2; d++) {
            int n = match_top(event_id, ab[d], MATCH_KEEP, out, &err);
            if (n < 0)
                die(err.msg);
            slots += (size_t)n;
            for (int i = 0; i < n; i++) {
                if (strcmp(out[i].id, ab[1 - d]) == 0) {
                    hits++;
                    first += i == 0;
                }
            }
        }
        pairs++;
        json_decref(j);
    }
    fclose(f);
    if (pairs == 0)
        return;
    /* Each list has one planted partner: precision@10 is hits over the
     * entries shown (at most 1/10 when lists are full). */
    printf("planted pairs: %zu (both directions: %zu lists); recall@10 %.3f; "
           "partner ranked first %.3f; precision@10 %.3f (ceiling %.3f)\n",
           pairs, 2 * pairs, (double)hits / (2 * pairs),
           (double)first / (2 * pairs), slots ? (double)hits / slots : 0,
           slots ? (double)(2 * pairs) / slots : 0);
}

static double gini(unsigned *v, size_t n)
{
    /* Sorted ascending: G = sum((2i - n - 1) x_i) / (n sum x). */
    for (size_t i = 1; i < n; i++) {
        unsigned x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
    double num = 0, sum = 0;
    for (size_t i = 0; i < n; i++) {
        num += (2.0 * (i + 1) - n - 1) * v[i];
        sum += v[i];
    }
    return sum > 0 ? num / (n * sum) : 0;
}

static size_t index_of(const char *id)
{
    /* ids are "p000123": the generator's numbering. */
    size_t i = (size_t)strtoul(id + 1, NULL, 10);
    return i < nids && strcmp(ids[i], id) == 0 ? i : nids;
}

/* Everyone's top 10: how many distinct participants appear, and Gini. */
static void eval_spread(const char *label)
{
    unsigned *seen = xcalloc(nids, sizeof *seen);
    struct match_entry out[MATCH_KEEP];
    struct err err;
    for (size_t i = 0; i < nids; i++) {
        int n = match_top(event_id, ids[i], MATCH_KEEP, out, &err);
        for (int k = 0; k < n; k++) {
            size_t x = index_of(out[k].id);
            if (x < nids)
                seen[x]++;
        }
    }
    size_t any = 0;
    unsigned max = 0;
    for (size_t i = 0; i < nids; i++) {
        any += seen[i] > 0;
        if (seen[i] > max)
            max = seen[i];
    }
    printf("%s: %.1f%% of participants are in someone's top 10; Gini of "
           "suggestions %.3f; most suggested: in %u lists\n",
           label, 100.0 * any / nids, gini(seen, nids), max);
    free(seen);
}

/* A simulated day: each round every participant asks for its top 10 and
 * requests the best one it has not requested yet. With congestion, the
 * pending requests feed back (match_set_load). */
static void simulate(unsigned rounds, bool feed)
{
    unsigned *got = xcalloc(nids, sizeof *got);
    size_t stride = MATCH_KEEP * rounds + 1;
    uint32_t *sent = xcalloc(nids * stride, sizeof *sent);
    unsigned *nsent = xcalloc(nids, sizeof *nsent);
    struct match_entry out[MATCH_KEEP];
    struct err err;
    for (unsigned r = 0; r < rounds; r++) {
        for (size_t i = 0; i < nids; i++) {
            int n = match_top(event_id, ids[i], MATCH_KEEP, out, &err);
            for (int k = 0; k < n; k++) {
                size_t x = index_of(out[k].id);
                bool dup = false;
                for (unsigned s = 0; s < nsent[i]; s++)
                    dup |= sent[i * stride + s] == x;
                if (x >= nids || dup)
                    continue;
                sent[i * stride + nsent[i]++] = (uint32_t)x;
                got[x]++;
                if (feed)
                    match_set_load(event_id, ids[x], got[x], 0);
                break;
            }
        }
    }
    size_t any = 0;
    unsigned max = 0;
    for (size_t i = 0; i < nids; i++) {
        any += got[i] > 0;
        if (got[i] > max)
            max = got[i];
    }
    printf("simulated day, %u request rounds, congestion %s: %.1f%% of "
           "participants receive a request; Gini of requests %.3f; most "
           "requested: %u\n",
           rounds, feed ? "on " : "off", 100.0 * any / nids, gini(got, nids),
           max);
    /* Suggestions at the end of the day: with congestion on, the load of
     * requests now shapes everyone's lists. */
    eval_spread(feed ? "top-10 spread after the day, congestion on "
                     : "top-10 spread after the day, congestion off");
    if (feed)
        for (size_t i = 0; i < nids; i++)
            match_set_load(event_id, ids[i], 0, 0);
    free(got);
    free(sent);
    free(nsent);
}

/* Re-puts the first n participants as new versions while the lists asked
 * for so far are kept up to date. */
static void bench_puts(const char *path, size_t n)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        die("cannot read participants.jsonl");
    double t = 0;
    char *line = NULL;
    size_t cap = 0, i = 0;
    for (; i < n && getline(&line, &cap, f) > 0; i++)
        t += put_line(line, 1000 + (long long)i, false);
    free(line);
    fclose(f);
    n = i;
    struct match_stats st;
    match_get_stats(&st);
    printf("incremental puts: %zu in %.3f s = %.0f puts/s in the engine, with "
           "%lu kept lists\n",
           n, t, n / t, st.active);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: expomatch-evalmatch DIR [--queries N] "
                        "[--rounds R] [--all]\n");
        return 64;
    }
    size_t queries = 2000;
    unsigned rounds = 5;
    bool all = false;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--queries") == 0 && i + 1 < argc)
            queries = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--all") == 0)
            all = true;
    }
    struct match_config cfg = {.active_seconds = 3600, .active_max = 1000};
    match_init(&cfg, NULL, NULL);
    load_event(argv[1]);

    char path[4096];
    snprintf(path, sizeof path, "%s/participants.jsonl", argv[1]);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        die("cannot read participants.jsonl");
    long rss0 = rss_kb();
    double t = 0;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0)
        t += put_line(line, 1, true);
    free(line);
    fclose(f);
    long rss1 = rss_kb();
    struct match_stats st;
    match_get_stats(&st);
    printf("loaded %lu profiles (%lu features) in %.3f s of engine time; "
           "RSS +%ld KB = %.0f bytes per profile (engine and id list)\n",
           st.profiles, st.features, t, rss1 - rss0,
           1024.0 * (rss1 - rss0) / st.profiles);
    bench_queries(queries);
    eval_planted(argv[1]);
    bench_puts(path, nids < 20000 ? nids : 20000);
    if (all) {
        simulate(rounds, false);
        simulate(rounds, true);
    }
    for (size_t i = 0; i < nids; i++)
        free(ids[i]);
    free(ids);
    match_shutdown();
    printf("evalmatch: ok\n");
    return 0;
}
