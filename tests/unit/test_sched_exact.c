/* test_sched_exact.c: the exact phase (daemon/sched_exact.c) against
 * brute force on small random events: started from the greedy booking,
 * it must end at the fewest breaks of any fair schedule booking every
 * meeting, claim that as proven, and leave a feasible schedule; fixed
 * meetings stay where they are. The same on its own thread
 * (daemon/sched_beside.c), which must also stop when told, and raced by
 * a rival on the caller's thread, which stops at its first core or
 * when the first has answered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../bench/schedgen.h"
#include "sched_int.h"

#define MAXP 7
#define MAXM 10
#define MAXS 7

struct inst {
    struct sched_problem pb;
    struct sched_participant part[MAXP];
    struct sched_meeting meet[MAXM];
    uint64_t free[MAXP], allowed[MAXM];
};

static uint64_t rnd_state;

static uint32_t below(uint32_t n)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return (uint32_t)(rnd_state % n);
}

/* Participants free most of the time, some meetings held to a few
 * slots, a few meetings fixed where nothing collides. */
static void make(struct inst *in)
{
    memset(in, 0, sizeof *in);
    uint32_t np = 3 + below(MAXP - 2), nm = 4 + below(MAXM - 3);
    uint32_t ns = 4 + below(MAXS - 3);
    in->pb =
        (struct sched_problem){ns, 1 + below(3), 0, np, nm, in->part, in->meet};
    for (uint32_t p = 0; p < np; p++) {
        in->free[p] = (1ull << ns) - 1;
        if (below(3) == 0)
            in->free[p] &= ~(1ull << below(ns));
        in->part[p] = (struct sched_participant){&in->free[p], SCHED_UNLIMITED};
    }
    bool busy[MAXP][MAXS] = {{false}};
    for (uint32_t m = 0; m < nm; m++) {
        struct sched_meeting *mt = &in->meet[m];
        mt->a = below(np);
        mt->b = (mt->a + 1 + below(np - 1)) % np;
        mt->slot = mt->table = mt->interpreter = SCHED_NONE;
        if (below(4) == 0) {
            in->allowed[m] = (1ull << ns) - 1;
            in->allowed[m] &= ~(1ull << below(ns));
            in->allowed[m] &= ~(1ull << below(ns));
            mt->allowed = &in->allowed[m];
        }
        uint32_t s = below(ns);
        if (below(6) == 0 && !busy[mt->a][s] && !busy[mt->b][s] &&
            ((in->free[mt->a] & in->free[mt->b]) >> s & 1) &&
            (!mt->allowed || (in->allowed[m] >> s & 1))) {
            busy[mt->a][s] = busy[mt->b][s] = true;
            mt->slot = (int)s;
            mt->was_scheduled = mt->fixed = true;
        }
    }
    /* Tables for the fixed meetings, one each per slot. */
    for (uint32_t s = 0; s < ns; s++) {
        int next = 0;
        for (uint32_t m = 0; m < nm; m++)
            if (in->meet[m].fixed && in->meet[m].slot == (int)s)
                in->meet[m].table = next++;
        if ((uint32_t)next > in->pb.ntables)
            in->pb.ntables = (uint32_t)next;
    }
}

struct brute {
    const struct sched_problem *pb;
    int fairness;
    int slot[MAXM];
    uint64_t busy[MAXP];
    uint32_t used[MAXS];
    uint64_t best; /* fewest breaks of a fair schedule booking all */
};

static uint32_t breaks_of(uint64_t busy)
{
    uint32_t blocks = 0;
    for (uint32_t s = 0; s < MAXS; s++)
        blocks += (busy >> s & 1) && !(s > 0 && (busy >> (s - 1) & 1));
    return blocks ? blocks - 1 : 0;
}

static void walk(struct brute *b, uint32_t m)
{
    const struct sched_problem *pb = b->pb;
    if (m == pb->nmeetings) {
        uint32_t lo = UINT32_MAX, hi = 0;
        uint64_t total = 0;
        for (uint32_t p = 0; p < pb->nparticipants; p++) {
            if (!b->busy[p])
                continue;
            uint32_t k = breaks_of(b->busy[p]);
            total += k;
            lo = k < lo ? k : lo;
            hi = k > hi ? k : hi;
        }
        if (hi - (lo == UINT32_MAX ? hi : lo) <= (uint32_t)b->fairness &&
            total < b->best)
            b->best = total;
        return;
    }
    const struct sched_meeting *mt = &pb->meetings[m];
    for (uint32_t s = 0; s < pb->nslots; s++) {
        uint64_t bit = 1ull << s;
        bool ok = mt->fixed ? (int)s == mt->slot
                            : (*pb->participants[mt->a].free & bit) &&
                                  (*pb->participants[mt->b].free & bit) &&
                                  (!mt->allowed || (*mt->allowed & bit));
        if (!ok || (b->busy[mt->a] & bit) || (b->busy[mt->b] & bit) ||
            b->used[s] >= pb->ntables)
            continue;
        b->busy[mt->a] |= bit;
        b->busy[mt->b] |= bit;
        b->used[s]++;
        b->slot[m] = (int)s;
        walk(b, m + 1);
        b->busy[mt->a] &= ~bit;
        b->busy[mt->b] &= ~bit;
        b->used[s]--;
    }
}

/* Every meeting in a slot it may take, nobody twice in a slot, no slot
 * above the tables, fixed meetings in place. */
static void check_feasible(const struct inst *in, const struct sstate *st)
{
    uint64_t busy[MAXP] = {0};
    uint32_t used[MAXS] = {0};
    for (uint32_t m = 0; m < in->pb.nmeetings; m++) {
        const struct sched_meeting *mt = &in->meet[m];
        int s = st->slot[m];
        assert_true(s >= 0);
        uint64_t bit = 1ull << s;
        if (mt->fixed) {
            assert_int_equal(s, mt->slot);
        } else {
            assert_true(in->free[mt->a] & in->free[mt->b] & bit);
            assert_true(!mt->allowed || (in->allowed[m] & bit));
        }
        assert_false((busy[mt->a] | busy[mt->b]) & bit);
        busy[mt->a] |= bit;
        busy[mt->b] |= bit;
        assert_true(++used[s] <= in->pb.ntables);
    }
}

/* Instance `seed`, booked greedily, with the per-participant bounds in
 * fewest and the goal set up as sched_solve would; false when st_init
 * refused it. */
static bool setup(uint64_t seed, struct inst *in, struct sstate *st,
                  uint32_t *fewest, struct search_goal *goal)
{
    rnd_state = seed * 0x9E3779B97F4A7C15ull;
    make(in);
    int fairness = (int)below(3);
    struct err err = {0};
    if (st_init(st, &in->pb, &err) != 0)
        return false;
    st->deadline_ns = UINT64_MAX;
    book_greedy(st);
    uint32_t deg[MAXP];
    for (uint32_t p = 0; p < st->np; p++)
        deg[p] = st->adj_start[p + 1] - st->adj_start[p];
    sb_breaks_lower_bound(st, deg, fewest);
    *goal = (struct search_goal){
        .fairness = fairness, .upper_bound = st->nm, .fewest = fewest};
    return true;
}

/* Whether the exact phase takes the schedule on: all booked, fair, some
 * breaks but fewer than participants. */
static bool applies(const struct sstate *st, int fairness)
{
    return st->booked == st->nm && st->breaks > 0 && st->breaks < st->nactive &&
           st_spread(st) <= (uint32_t)fairness;
}

/* Instances the exact phase takes on, one after another (seed: the next
 * to try). */
struct taken {
    uint64_t seed;
    struct inst in;
    struct sstate st;
    uint32_t fewest[MAXP];
    struct search_goal goal;
};

/* The next one; false when the seeds run out. */
static bool next_taken(struct taken *t)
{
    for (; t->seed <= 3000; t->seed++) {
        if (!setup(t->seed, &t->in, &t->st, t->fewest, &t->goal))
            continue;
        if (applies(&t->st, t->goal.fairness)) {
            t->seed++;
            return true;
        }
        st_free(&t->st);
    }
    return false;
}

/* The per-participant bounds' sum, where the exact phase starts. */
static uint64_t sum_fewest(const struct taken *t)
{
    uint64_t sum = 0;
    for (uint32_t p = 0; p < t->st.np; p++)
        sum += t->fewest[p];
    return sum;
}

static uint64_t brute_best(const struct inst *in, int fairness)
{
    struct brute b = {.pb = &in->pb, .fairness = fairness, .best = UINT64_MAX};
    walk(&b, 0);
    return b.best;
}

static void test_exact_phase_matches_brute_force(void **state)
{
    uint32_t ran = 0, improved = 0, already = 0;
    for (uint64_t seed = 1; seed <= 3000 && ran < 300; seed++) {
        struct inst in;
        struct sstate st;
        uint32_t fewest[MAXP];
        struct search_goal goal;
        if (!setup(seed, &in, &st, fewest, &goal))
            continue;
        uint64_t before = st.breaks;
        bool takes = applies(&st, goal.fairness);
        bool proven = exact_run(&st, &goal, NULL);
        assert_int_equal(proven, takes);
        if (!takes) {
            assert_int_equal(st.breaks, before);
            st_free(&st);
            continue;
        }
        uint64_t best = brute_best(&in, goal.fairness);
        if (st.breaks != best)
            fail_msg("seed %llu: breaks %llu, brute force %llu",
                     (unsigned long long)seed, (unsigned long long)st.breaks,
                     (unsigned long long)best);
        assert_int_equal(goal.breaks_lower_bound, st.breaks);
        assert_true(st_spread(&st) <= (uint32_t)goal.fairness);
        check_feasible(&in, &st);
        ran++;
        improved += st.breaks < before;
        already += st.breaks == before;
        st_free(&st);
    }
    print_message("ran %u improved %u already %u\n", ran, improved, already);
    /* Both ways to a proof came up: a better schedule found, and the
     * greedy one proven optimal. */
    assert_true(ran >= 100);
    assert_true(improved >= 10);
    assert_true(already >= 10);
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* On its own thread (sched_beside.c) the exact phase works on a copy:
 * the caller's schedule stays as it was while the news tells the
 * bound and the optimum found, and exact_finish hands both over. */
static void test_exact_beside_hands_its_optimum_over(void **state)
{
    uint32_t ran = 0, improved = 0;
    struct taken t = {.seed = 1};
    while (ran < 100 && next_taken(&t)) {
        uint64_t before = t.st.breaks,
                 best = brute_best(&t.in, t.goal.fairness);
        struct exact_job *job =
            exact_start(&t.st, &t.goal, st_now_ns() + 10000000000ull);
        assert_non_null(job);
        assert_non_null(t.goal.news);
        for (int k = 0; k < 10000 && !atomic_load(&t.goal.news->optimal); k++)
            pause_ms(1);
        assert_true(atomic_load(&t.goal.news->optimal));
        assert_int_equal(atomic_load(&t.goal.news->lower_bound), best);
        /* A core, when the optimum is above the per-participant bounds. */
        assert_int_equal(atomic_load(&t.goal.news->raised),
                         best > sum_fewest(&t));
        assert_int_equal(t.st.breaks, before);
        exact_finish(job, &t.st, &t.goal);
        assert_null(t.goal.news);
        assert_int_equal(t.st.breaks, best);
        assert_int_equal(t.goal.breaks_lower_bound, best);
        assert_true(st_spread(&t.st) <= (uint32_t)t.goal.fairness);
        check_feasible(&t.in, &t.st);
        ran++;
        improved += best < before;
        st_free(&t.st);
    }
    print_message("ran %u improved %u\n", ran, improved);
    assert_true(ran >= 50);
    assert_true(improved >= 5);
}

/* An event of 302 meetings whose optimum takes the exact phase seconds
 * to find, every meeting booked, after a short search: the exact phase
 * takes on only schedules with fewer breaks than participants. */
struct long_event {
    struct schedgen g;
    struct sstate st;
    uint32_t *fewest;
    struct search_goal goal;
};

static void long_event_make(struct long_event *e)
{
    struct schedgen_opts o = {105, 78, 302, 22, 27, 0,   20,
                              20,  0,  0,   0,  0,  true};
    schedgen_make(&e->g, &o);
    struct sstate *st = &e->st;
    struct err err = {0};
    assert_int_equal(st_init(st, &e->g.pb, &err), 0);
    st->deadline_ns = UINT64_MAX;
    book_greedy(st);
    book_augment(st, st->nm);
    assert_int_equal(st->booked, st->nm);
    uint32_t *all = calloc(st->np, sizeof(uint32_t));
    e->fewest = calloc(st->np, sizeof(uint32_t));
    assert_non_null(all);
    assert_non_null(e->fewest);
    for (uint32_t p = 0; p < st->np; p++)
        all[p] = st->adj_start[p + 1] - st->adj_start[p];
    e->goal = (struct search_goal){
        .fairness = 2, .upper_bound = st->nm, .fewest = e->fewest};
    e->goal.breaks_lower_bound = sb_breaks_lower_bound(st, all, e->fewest);
    free(all);
    st->rng = 1;
    st->deadline_ns = st_now_ns() + 200000000;
    search_run(st, &e->goal);
    st->stopped = false;
    assert_true(st->breaks > e->goal.breaks_lower_bound);
    assert_true(st->breaks < st->nactive);
    assert_true(st_spread(st) <= (uint32_t)e->goal.fairness);
}

static void long_event_free(struct long_event *e)
{
    st_free(&e->st);
    free(e->fewest);
    schedgen_free(&e->g);
}

/* exact_finish stops a phase far from done at once rather than at its
 * deadline, and the caller keeps a schedule booking every meeting. */
static void test_exact_finish_stops_a_long_phase(void **state)
{
    struct long_event e;
    long_event_make(&e);
    uint64_t before = e.st.breaks;
    uint64_t t0 = st_now_ns();
    struct exact_job *job = exact_start(&e.st, &e.goal, t0 + 20000000000ull);
    assert_non_null(job);
    pause_ms(50);
    uint64_t t1 = st_now_ns();
    exact_finish(job, &e.st, &e.goal);
    double stop_ms = (double)(st_now_ns() - t1) / 1e6;
    print_message("stopped in %.1f ms\n", stop_ms);
    assert_true(stop_ms < 5000);
    assert_int_equal(e.st.booked, e.st.nm);
    assert_true(e.st.breaks <= before);
    assert_true(e.goal.breaks_lower_bound <= e.st.breaks);
    long_event_free(&e);
}

/* A rival alone (the first's news quiet) either finds the optimum at the
 * starting bound, or stops at its first core, the bound one higher and
 * the schedule untouched. */
static void test_exact_rival_proves_or_stops_at_its_first_core(void **state)
{
    uint32_t ran = 0, proven = 0, cored = 0;
    struct taken t = {.seed = 1};
    while (ran < 200 && next_taken(&t)) {
        uint64_t before = t.st.breaks, bound = t.goal.breaks_lower_bound;
        uint64_t sum = sum_fewest(&t),
                 best = brute_best(&t.in, t.goal.fairness);
        struct exact_news quiet = {0};
        struct exact_rival rival = {&quiet, 1, true};
        if (exact_run(&t.st, &t.goal, &rival)) {
            assert_int_equal(t.st.breaks, best);
            assert_int_equal(t.goal.breaks_lower_bound, best);
            check_feasible(&t.in, &t.st);
            proven++;
        } else {
            assert_int_equal(t.st.breaks, before);
            assert_int_equal(t.goal.breaks_lower_bound,
                             sum + 1 > bound ? sum + 1 : bound);
            assert_true(t.goal.breaks_lower_bound <= best);
            cored++;
        }
        assert_false(atomic_load(&quiet.optimal) || atomic_load(&quiet.raised));
        ran++;
        st_free(&t.st);
    }
    print_message("ran %u proven %u cored %u\n", ran, proven, cored);
    assert_true(proven >= 20);
    assert_true(cored >= 10);
}

/* Tells the rival, 50 ms on, that the first has the optimum. */
static void *tell_optimal(void *news)
{
    pause_ms(50);
    atomic_store(&((struct exact_news *)news)->optimal, true);
    return NULL;
}

/* A rival on an event that takes seconds stops when the first has
 * answered (the optimum, or a core): at once when it already had,
 * promptly when it does so later; stopped short of an answer, it leaves
 * the schedule as it was. */
static void test_exact_rival_stops_when_the_first_answers(void **state)
{
    struct long_event e;
    long_event_make(&e);
    uint64_t before = e.st.breaks;
    e.st.deadline_ns = st_now_ns() + 20000000000ull;
    for (int answer = 0; answer < 2; answer++) {
        struct exact_news first = {0};
        atomic_store(answer ? &first.raised : &first.optimal, true);
        struct exact_rival rival = {&first, 1, true};
        assert_false(exact_run(&e.st, &e.goal, &rival));
        assert_int_equal(e.st.breaks, before);
    }

    struct exact_news first = {0};
    struct exact_rival rival = {&first, 1, true};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, tell_optimal, &first), 0);
    uint64_t t0 = st_now_ns();
    bool proven = exact_run(&e.st, &e.goal, &rival);
    double later_ms = (double)(st_now_ns() - t0) / 1e6;
    pthread_join(thread, NULL);
    print_message("stopped in %.1f ms\n", later_ms);
    assert_true(later_ms < 5000);
    if (!proven)
        assert_int_equal(e.st.breaks, before);
    assert_true(e.st.breaks <= before);
    assert_int_equal(e.st.booked, e.st.nm);
    long_event_free(&e);
}

/* A rival the first leaves unanswered stops by its own deadline (where
 * sched.c hands the search its thread back), stopped for the budget,
 * which is what lets the search resume; short of an answer, the schedule
 * is as it was. */
static void test_exact_rival_stops_at_its_deadline(void **state)
{
    struct long_event e;
    long_event_make(&e);
    uint64_t before = e.st.breaks;
    struct exact_news first = {0};
    struct exact_rival rival = {&first, 1, true};
    uint64_t t0 = st_now_ns(), deadline = t0 + 150000000;
    e.st.deadline_ns = deadline;
    bool proven = exact_run(&e.st, &e.goal, &rival);
    double late_ms = ((double)st_now_ns() - (double)deadline) / 1e6;
    print_message("%s, %.1f ms from the deadline\n",
                  proven ? "proven" : "stopped", late_ms);
    assert_true(late_ms < 500);
    assert_true(e.st.deadline_ns == deadline);
    if (proven) {
        assert_int_equal(e.st.breaks, e.goal.breaks_lower_bound);
    } else {
        assert_true(e.st.stopped);
        assert_int_equal(e.st.why, SCHED_STOP_BUDGET);
        assert_int_equal(e.st.breaks, before);
    }
    assert_int_equal(e.st.booked, e.st.nm);
    long_event_free(&e);
}

/* exact_race on the caller's thread beside the first: whichever answers,
 * once the first is done too, exact_finish leaves the optimum. */
static void test_exact_race_ends_at_the_optimum(void **state)
{
    uint32_t ran = 0;
    struct taken t = {.seed = 1};
    while (ran < 100 && next_taken(&t)) {
        uint64_t best = brute_best(&t.in, t.goal.fairness);
        struct exact_job *job =
            exact_start(&t.st, &t.goal, st_now_ns() + 10000000000ull);
        assert_non_null(job);
        exact_race(job, &t.st, &t.goal);
        /* Unless the rival had it, the first is left to finish. */
        for (int k = 0; k < 10000 && t.st.breaks != best &&
                        !atomic_load(&t.goal.news->optimal);
             k++)
            pause_ms(1);
        exact_finish(job, &t.st, &t.goal);
        assert_int_equal(t.st.breaks, best);
        assert_int_equal(t.goal.breaks_lower_bound, best);
        check_feasible(&t.in, &t.st);
        ran++;
        st_free(&t.st);
    }
    assert_true(ran >= 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_phase_matches_brute_force),
        cmocka_unit_test(test_exact_beside_hands_its_optimum_over),
        cmocka_unit_test(test_exact_finish_stops_a_long_phase),
        cmocka_unit_test(test_exact_rival_proves_or_stops_at_its_first_core),
        cmocka_unit_test(test_exact_rival_stops_when_the_first_answers),
        cmocka_unit_test(test_exact_rival_stops_at_its_deadline),
        cmocka_unit_test(test_exact_race_ends_at_the_optimum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
