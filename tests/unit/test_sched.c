/* test_sched.c: the schedule optimizer against an independent checker
 * (schedcheck.h) on random instances, against brute force on tiny ones,
 * and on hand-made cases: moves counted, move=false, fairness, bad input,
 * fixed facts, the time budget, the cancel flag and early stops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schedule.h"
#include "schedcheck.h"

/* An instance and the storage behind its pointers. */
struct tinst {
    struct sched_problem pb;
    struct sched_participant *part;
    struct sched_meeting *meet;
    uint64_t *sets;   /* free sets, then allowed sets: W words each */
    uint32_t *interp; /* 3 per meeting */
};

/* What a random instance looks like; probabilities in percent. */
struct shape {
    uint32_t p, m, s, t, i;
    int free_pct, allowed_pct, interp_pct, cap_pct, booked_pct, fixed_pct;
};

static uint64_t rnd_state;

static uint64_t rnd(void)
{
    uint64_t z = (rnd_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint32_t below(uint32_t n)
{
    return n ? (uint32_t)(rnd() % n) : 0;
}

static bool chance(int pct)
{
    return (int)below(100) < pct;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void tinst_alloc(struct tinst *t, uint32_t np, uint32_t nm, uint32_t ns,
                        uint32_t nt, uint32_t ni)
{
    size_t W = SCHED_WORDS(ns);
    t->pb = (struct sched_problem){ns, nt, ni, np, nm, NULL, NULL};
    t->part = calloc(np + 1, sizeof *t->part);
    t->meet = calloc(nm + 1, sizeof *t->meet);
    t->sets = calloc((np + nm) * W + 1, sizeof(uint64_t));
    t->interp = calloc(3 * (size_t)nm + 1, sizeof(uint32_t));
    t->pb.participants = t->part;
    t->pb.meetings = t->meet;
    for (uint32_t p = 0; p < np; p++)
        t->part[p].max_meetings = SCHED_UNLIMITED;
    for (uint32_t m = 0; m < nm; m++)
        t->meet[m] = (struct sched_meeting){
            .slot = SCHED_NONE, .table = SCHED_NONE, .interpreter = SCHED_NONE};
}

static void tinst_free(struct tinst *t)
{
    free(t->part);
    free(t->meet);
    free(t->sets);
    free(t->interp);
}

static uint64_t *free_set(struct tinst *t, uint32_t p)
{
    return t->sets + p * SCHED_WORDS(t->pb.nslots);
}

static uint64_t *allowed_set(struct tinst *t, uint32_t m)
{
    return t->sets + (t->pb.nparticipants + m) * SCHED_WORDS(t->pb.nslots);
}

static void set_bit(uint64_t *set, uint32_t s, bool on)
{
    if (on)
        set[s / 64] |= (uint64_t)1 << (s % 64);
    else
        set[s / 64] &= ~((uint64_t)1 << (s % 64));
}

/* Whether waiting meeting m fits in slot s of placement pl as it is. */
static bool fits(const struct sched_problem *pb, const struct sched_place *pl,
                 uint32_t m, int s)
{
    const struct sched_meeting *mt = &pb->meetings[m];
    if (!schedcheck_bit(mt->allowed, s) ||
        !schedcheck_bit(pb->participants[mt->a].free, s) ||
        !schedcheck_bit(pb->participants[mt->b].free, s))
        return false;
    uint32_t used = 0, na = 0, nb = 0;
    bool interp_free = mt->ninterpreters == 0;
    for (uint32_t k = 0; k < mt->ninterpreters && !interp_free; k++) {
        interp_free = true;
        for (uint32_t o = 0; o < pb->nmeetings; o++)
            if (pl[o].slot == s &&
                pl[o].interpreter == (int)mt->interpreters[k])
                interp_free = false;
    }
    for (uint32_t o = 0; o < pb->nmeetings; o++) {
        if (pl[o].slot == SCHED_NONE)
            continue;
        const struct sched_meeting *ot = &pb->meetings[o];
        bool has_a = ot->a == mt->a || ot->b == mt->a;
        bool has_b = ot->a == mt->b || ot->b == mt->b;
        if (pl[o].slot == s && (has_a || has_b))
            return false;
        used += pl[o].slot == s;
        na += has_a;
        nb += has_b;
    }
    int ma = pb->participants[mt->a].max_meetings;
    int mb = pb->participants[mt->b].max_meetings;
    return used < pb->ntables && interp_free &&
           (ma == SCHED_UNLIMITED || na < (uint32_t)ma) &&
           (mb == SCHED_UNLIMITED || nb < (uint32_t)mb);
}

/* Books meetings as they come, earliest slot first, the way booking on
 * accept does; a share of them become fixed. */
static void prebook(struct tinst *t, const struct shape *sh)
{
    struct sched_place *pl = calloc(t->pb.nmeetings + 1, sizeof *pl);
    for (uint32_t m = 0; m < t->pb.nmeetings; m++)
        pl[m] = (struct sched_place){SCHED_NONE, SCHED_NONE, SCHED_NONE};
    for (uint32_t m = 0; m < t->pb.nmeetings; m++) {
        if (!chance(sh->booked_pct))
            continue;
        struct sched_meeting *mt = &t->meet[m];
        for (int s = 0; s < (int)t->pb.nslots; s++) {
            if (!fits(&t->pb, pl, m, s))
                continue;
            int table = 0, interp = SCHED_NONE;
            for (bool clash = true; clash; table += clash) {
                clash = false;
                for (uint32_t o = 0; o < m; o++)
                    clash |= pl[o].slot == s && pl[o].table == table;
            }
            for (uint32_t k = 0; k < mt->ninterpreters && interp < 0; k++) {
                interp = (int)mt->interpreters[k];
                for (uint32_t o = 0; o < m; o++)
                    if (pl[o].slot == s && pl[o].interpreter == interp)
                        interp = SCHED_NONE;
            }
            pl[m] = (struct sched_place){s, table, interp};
            mt->slot = s;
            mt->table = table;
            mt->interpreter = interp;
            mt->was_scheduled = true;
            mt->fixed = chance(sh->fixed_pct);
            /* Now and then a fixed meeting's side is no longer free then:
             * it is a fact all the same. */
            if (mt->fixed && chance(20))
                set_bit(free_set(t, mt->a), (uint32_t)s, false);
            break;
        }
    }
    free(pl);
}

static void make_random(struct tinst *t, const struct shape *sh)
{
    tinst_alloc(t, sh->p, sh->m, sh->s, sh->t, sh->i);
    for (uint32_t p = 0; p < sh->p; p++) {
        t->part[p].free = free_set(t, p);
        for (uint32_t s = 0; s < sh->s; s++)
            set_bit(free_set(t, p), s, chance(sh->free_pct));
        if (chance(sh->cap_pct))
            t->part[p].max_meetings = (int)below(4);
    }
    for (uint32_t m = 0; m < sh->m; m++) {
        struct sched_meeting *mt = &t->meet[m];
        mt->a = below(sh->p);
        mt->b = (mt->a + 1 + below(sh->p - 1)) % sh->p;
        if (chance(sh->allowed_pct)) {
            mt->allowed = allowed_set(t, m);
            for (uint32_t s = 0; s < sh->s; s++)
                set_bit(allowed_set(t, m), s, chance(60));
        }
        if (sh->i && chance(sh->interp_pct)) {
            mt->interpreters = t->interp + 3 * m;
            mt->ninterpreters = 1 + below(sh->i < 3 ? sh->i : 3);
            for (uint32_t k = 0; k < mt->ninterpreters; k++)
                t->interp[3 * m + k] = (below(sh->i) + k) % sh->i;
            if (mt->ninterpreters > 1 &&
                t->interp[3 * m] == t->interp[3 * m + 1])
                mt->ninterpreters = 1;
        }
    }
    prebook(t, sh);
}

/* Solves, checks everything checkable, and returns the result. */
static struct sched_result solve_checked(const struct tinst *t, int fairness,
                                         long budget_ms, struct sched_place *pl)
{
    struct sched_params prm;
    sched_params_default(&prm);
    prm.fairness = fairness;
    prm.budget_ms = budget_ms;
    struct sched_result res;
    struct err err = {0};
    if (sched_solve(&t->pb, &prm, pl, &res, &err) != 0)
        fail_msg("sched_solve: %s", err.msg);
    struct schedcheck c;
    if (!schedcheck(&t->pb, pl, &c))
        fail_msg("infeasible: %s", c.why);
    assert_int_equal(c.scheduled, res.scheduled);
    assert_int_equal(t->pb.nmeetings - c.scheduled, res.unscheduled);
    assert_int_equal(c.moved, res.moved);
    assert_int_equal(c.breaks, res.breaks);
    assert_int_equal(c.spread, res.spread);
    assert_int_equal(res.fair, c.spread <= (uint32_t)fairness);
    assert_true(res.scheduled <= res.upper_bound);
    assert_true(res.breaks_lower_bound <= res.breaks);
    return res;
}

static void test_random_instances_are_feasible_and_maximal(void **state)
{
    for (uint64_t seed = 1; seed <= 120; seed++) {
        rnd_state = seed;
        struct shape sh = {2 + below(30),
                           1 + below(80),
                           1 + below(12),
                           below(8),
                           below(5),
                           50 + (int)below(51),
                           30,
                           30,
                           20,
                           (int)below(80),
                           (int)below(50)};
        struct tinst t;
        make_random(&t, &sh);
        struct sched_place *pl = calloc(sh.m, sizeof *pl);
        solve_checked(&t, (int)below(3), 10, pl);
        /* Maximal: nothing waiting fits without moving something. */
        for (uint32_t m = 0; m < sh.m; m++)
            for (int s = 0; pl[m].slot == SCHED_NONE && s < (int)sh.s; s++)
                if (fits(&t.pb, pl, m, s))
                    fail_msg("seed %llu: meeting %u fits in slot %d",
                             (unsigned long long)seed, m, s);
        free(pl);
        tinst_free(&t);
    }
}

/* Past 64 slots a slot set takes several words. */
static void test_many_slots_span_words(void **state)
{
    for (uint64_t seed = 300; seed < 312; seed++) {
        rnd_state = seed;
        struct shape sh = {
            20, 80, 60 + below(80), 1 + below(3), 2, 70, 30, 20, 20, 40, 30};
        struct tinst t;
        make_random(&t, &sh);
        struct sched_place *pl = calloc(sh.m, sizeof *pl);
        solve_checked(&t, 2, 20, pl);
        for (uint32_t m = 0; m < sh.m; m++)
            for (int s = 0; pl[m].slot == SCHED_NONE && s < (int)sh.s; s++)
                if (fits(&t.pb, pl, m, s))
                    fail_msg("seed %llu: meeting %u fits in slot %d",
                             (unsigned long long)seed, m, s);
        free(pl);
        tinst_free(&t);
    }
}

/* Brute force: every placement of every meeting (interpreters included),
 * keeping the best by booked, then spread over fairness, then breaks. */
struct brute {
    const struct sched_problem *pb;
    int fairness;
    int *used, *count, *movable;
    bool *busy, *iocc; /* [p or i][s] */
    uint32_t booked, best_booked, best_excess;
    uint64_t best_breaks;
    /* With want: also the fewest breaks of the schedules giving each
     * participant p exactly want[p] meetings (UINT64_MAX: none). */
    const uint32_t *want;
    uint64_t want_breaks;
};

static void brute_leaf(struct brute *b)
{
    const struct sched_problem *pb = b->pb;
    uint32_t S = pb->nslots, lo = UINT32_MAX, hi = 0;
    uint64_t total = 0;
    for (uint32_t p = 0; p < pb->nparticipants; p++) {
        int mx = pb->participants[p].max_meetings;
        if (mx != SCHED_UNLIMITED && b->count[p] > mx && b->movable[p] > 0)
            return; /* a fixed meeting came after the others took the room */
    }
    for (uint32_t p = 0; p < pb->nparticipants; p++) {
        uint32_t brk = 0;
        int last = -1;
        for (uint32_t s = 0; s < S; s++) {
            if (!b->busy[p * S + s])
                continue;
            brk += last >= 0 && (uint32_t)last + 1 != s;
            last = (int)s;
        }
        if (last < 0)
            continue;
        total += brk;
        lo = brk < lo ? brk : lo;
        hi = brk > hi ? brk : hi;
    }
    bool as_wanted = b->want != NULL;
    for (uint32_t p = 0; as_wanted && p < pb->nparticipants; p++)
        as_wanted = (uint32_t)b->count[p] == b->want[p];
    if (as_wanted && total < b->want_breaks)
        b->want_breaks = total;
    uint32_t spread = hi >= lo ? hi - lo : 0;
    uint32_t ex = spread > (uint32_t)b->fairness ? spread - b->fairness : 0;
    bool better = b->booked != b->best_booked ? b->booked > b->best_booked
                  : ex != b->best_excess      ? ex < b->best_excess
                                              : total < b->best_breaks;
    if (b->best_booked == UINT32_MAX || better) {
        b->best_booked = b->booked;
        b->best_excess = ex;
        b->best_breaks = total;
    }
}

static void brute_place(struct brute *b, uint32_t m, int s, int i, int on)
{
    const struct sched_meeting *mt = &b->pb->meetings[m];
    uint32_t S = b->pb->nslots;
    b->busy[mt->a * S + s] = b->busy[mt->b * S + s] = on > 0;
    b->count[mt->a] += on;
    b->count[mt->b] += on;
    b->movable[mt->a] += mt->fixed ? 0 : on;
    b->movable[mt->b] += mt->fixed ? 0 : on;
    b->used[s] += on;
    b->booked += on;
    if (i >= 0)
        b->iocc[i * S + s] = on > 0;
}

static void brute_walk(struct brute *b, uint32_t m)
{
    const struct sched_problem *pb = b->pb;
    if (m == pb->nmeetings) {
        brute_leaf(b);
        return;
    }
    const struct sched_meeting *mt = &pb->meetings[m];
    uint32_t S = pb->nslots;
    if (!mt->was_scheduled)
        brute_walk(b, m + 1);
    for (int s = 0; s < (int)S; s++) {
        if (mt->fixed ? s != mt->slot
                      : !schedcheck_bit(mt->allowed, s) ||
                            !schedcheck_bit(pb->participants[mt->a].free, s) ||
                            !schedcheck_bit(pb->participants[mt->b].free, s))
            continue;
        int ca = pb->participants[mt->a].max_meetings;
        int cb = pb->participants[mt->b].max_meetings;
        if (b->busy[mt->a * S + s] || b->busy[mt->b * S + s] ||
            b->used[s] >= (int)pb->ntables ||
            (!mt->fixed && ca != SCHED_UNLIMITED && b->count[mt->a] >= ca) ||
            (!mt->fixed && cb != SCHED_UNLIMITED && b->count[mt->b] >= cb))
            continue;
        for (int k = -1; k < (int)mt->ninterpreters; k++) {
            int i = k < 0 ? SCHED_NONE : (int)mt->interpreters[k];
            if ((k < 0) != (mt->ninterpreters == 0) ||
                (mt->fixed && i != mt->interpreter) ||
                (i >= 0 && b->iocc[i * S + s]))
                continue;
            brute_place(b, m, s, i, 1);
            brute_walk(b, m + 1);
            brute_place(b, m, s, i, -1);
        }
    }
}

static struct brute brute_force_for(const struct sched_problem *pb,
                                    int fairness, const uint32_t *want)
{
    uint32_t S = pb->nslots;
    struct brute b = {.pb = pb, .fairness = fairness};
    b.want = want;
    b.want_breaks = UINT64_MAX;
    b.used = calloc(S, sizeof(int));
    b.count = calloc(pb->nparticipants, sizeof(int));
    b.movable = calloc(pb->nparticipants, sizeof(int));
    b.busy = calloc(pb->nparticipants * S, 1);
    b.iocc = calloc(pb->ninterpreters * S + 1, 1);
    b.best_booked = UINT32_MAX;
    brute_walk(&b, 0);
    free(b.used);
    free(b.count);
    free(b.movable);
    free(b.busy);
    free(b.iocc);
    return b;
}

static struct brute brute_force(const struct sched_problem *pb, int fairness)
{
    return brute_force_for(pb, fairness, NULL);
}

static void tiny_shape(struct shape *sh)
{
    *sh = (struct shape){
        3 + below(4), 2 + below(6), 2 + below(4), 1 + below(3), below(3), 70,
        30,           40,           20,           30,           30};
}

static void test_tiny_instances_match_brute_force(void **state)
{
    for (uint64_t seed = 1000; seed < 1080; seed++) {
        rnd_state = seed;
        struct shape sh;
        tiny_shape(&sh);
        struct tinst t;
        make_random(&t, &sh);
        int fairness = (int)below(3);
        struct sched_place pl[8];
        struct sched_result res = solve_checked(&t, fairness, 40, pl);
        struct brute b = brute_force(&t.pb, fairness);
        uint32_t ex =
            res.spread > (uint32_t)fairness ? res.spread - fairness : 0;
        if (res.scheduled != b.best_booked || ex != b.best_excess ||
            res.breaks != b.best_breaks)
            fail_msg("seed %llu: got booked %u excess %u breaks %llu, best "
                     "%u %u %llu",
                     (unsigned long long)seed, res.scheduled, ex,
                     (unsigned long long)res.breaks, b.best_booked,
                     b.best_excess, (unsigned long long)b.best_breaks);
        assert_true(res.upper_bound >= b.best_booked);
        tinst_free(&t);
    }
}

/* The lower bound on breaks holds for every schedule giving each
 * participant as many meetings as the one returned: checked by brute
 * force on tiny crowded instances, where participants fill most slots so
 * that the bound's reasoning (each alone, then together: who must be
 * busy where, pairing up in a slot, tables) has something to prove. */
static void test_breaks_lower_bound_is_valid(void **state)
{
    int strong = 0, positive = 0;
    for (uint64_t seed = 20000; seed < 20400; seed++) {
        rnd_state = seed;
        uint32_t np = 3 + below(4), ns = 2 + below(4);
        struct shape sh = {np,
                           np + below(np * ns / 2 + 1),
                           ns,
                           1 + below(3),
                           below(2),
                           75 + (int)below(26),
                           25,
                           30,
                           10,
                           (int)below(40),
                           (int)below(60)};
        if (sh.m > 9)
            sh.m = 9;
        struct tinst t;
        make_random(&t, &sh);
        struct sched_place pl[9];
        struct sched_result res = solve_checked(&t, 100, 20, pl);
        uint32_t want[6] = {0};
        for (uint32_t m = 0; m < sh.m; m++)
            if (pl[m].slot != SCHED_NONE) {
                want[t.meet[m].a]++;
                want[t.meet[m].b]++;
            }
        struct brute b = brute_force_for(&t.pb, 100, want);
        if (b.want_breaks == UINT64_MAX ||
            res.breaks_lower_bound > b.want_breaks)
            fail_msg("seed %llu: bound %llu, fewest breaks %llu",
                     (unsigned long long)seed,
                     (unsigned long long)res.breaks_lower_bound,
                     (unsigned long long)b.want_breaks);
        positive += res.breaks_lower_bound > 0;
        strong += res.breaks_lower_bound > 0 &&
                  res.breaks_lower_bound == b.want_breaks &&
                  res.scheduled == sh.m;
        tinst_free(&t);
    }
    /* The bound must not be valid by being nothing. */
    if (positive < 50 || strong < 6)
        fail_msg("bound > 0 on %d instances, tight with all booked on %d",
                 positive, strong);
}

/* Instances where keeping the spread within fairness costs breaks: the
 * optimizer must pay it. */
static void test_fairness_is_kept_when_it_costs_breaks(void **state)
{
    int found = 0;
    for (uint64_t seed = 5000; seed < 9000 && found < 5; seed++) {
        rnd_state = seed;
        struct shape sh;
        tiny_shape(&sh);
        sh.m += 2;
        sh.booked_pct = 0;
        struct tinst t;
        make_random(&t, &sh);
        struct brute fair = brute_force(&t.pb, 0);
        struct brute free_ = brute_force(&t.pb, 100);
        if (fair.best_excess == 0 && fair.best_breaks > free_.best_breaks &&
            fair.best_booked == free_.best_booked) {
            found++;
            struct sched_place pl[16];
            struct sched_result res = solve_checked(&t, 0, 40, pl);
            assert_true(res.fair);
            assert_int_equal(res.spread, 0);
            assert_int_equal(res.breaks, fair.best_breaks);
        }
        tinst_free(&t);
    }
    assert_int_equal(found, 5);
}

static struct sched_meeting waiting(uint32_t a, uint32_t b)
{
    return (struct sched_meeting){.a = a,
                                  .b = b,
                                  .slot = SCHED_NONE,
                                  .table = SCHED_NONE,
                                  .interpreter = SCHED_NONE};
}

static struct sched_meeting booked(uint32_t a, uint32_t b, int slot, int table,
                                   bool fixed)
{
    struct sched_meeting mt = waiting(a, b);
    mt.slot = slot;
    mt.table = table;
    mt.was_scheduled = true;
    mt.fixed = fixed;
    return mt;
}

/* p0 meets p1 in slot 0; a new meeting of p0 with p2 may only go there. */
static void two_meetings(struct tinst *t, bool fixed)
{
    tinst_alloc(t, 3, 2, 2, 1, 0);
    set_bit(allowed_set(t, 1), 0, true);
    t->meet[0] = booked(0, 1, 0, 0, fixed);
    t->meet[1] = waiting(0, 2);
    t->meet[1].allowed = allowed_set(t, 1);
}

static void test_moved_is_counted(void **state)
{
    struct tinst t;
    two_meetings(&t, false);
    struct sched_place pl[2];
    struct sched_result res = solve_checked(&t, 2, 1000, pl);
    assert_int_equal(res.scheduled, 2);
    assert_int_equal(res.moved, 1);
    assert_int_equal(pl[0].slot, 1);
    assert_int_equal(pl[1].slot, 0);
    assert_int_equal(res.stop, SCHED_STOP_PROVEN);
    tinst_free(&t);
}

static void test_fixed_meetings_stay_put(void **state)
{
    struct tinst t;
    two_meetings(&t, true);
    struct sched_place pl[2];
    double t0 = now_ms();
    struct sched_result res = solve_checked(&t, 2, 5000, pl);
    assert_true(now_ms() - t0 < 1000); /* nothing to gain: no waiting */
    assert_int_equal(res.scheduled, 1);
    assert_int_equal(res.moved, 0);
    assert_int_equal(res.upper_bound, 1);
    assert_int_equal(pl[0].slot, 0);
    assert_int_equal(pl[1].slot, SCHED_NONE);
    assert_int_equal(res.stop, SCHED_STOP_PROVEN);
    tinst_free(&t);
}

/* A published schedule (move=false: all fixed) with a break, and a waiting
 * meeting that fits nowhere: nothing can change, so it returns at once. */
static void test_nothing_to_move_returns_at_once(void **state)
{
    struct tinst t;
    tinst_alloc(&t, 3, 3, 3, 1, 0);
    t.meet[0] = booked(0, 1, 0, 0, true);
    t.meet[1] = booked(0, 2, 2, 0, true);
    t.meet[2] = waiting(1, 2);
    t.meet[2].allowed = allowed_set(&t, 2);
    set_bit(allowed_set(&t, 2), 0, true); /* taken by p1 */
    struct sched_place pl[3];
    double t0 = now_ms();
    struct sched_result res = solve_checked(&t, 2, 5000, pl);
    assert_true(now_ms() - t0 < 1000);
    assert_int_equal(res.stop, SCHED_STOP_PROVEN);
    assert_int_equal(res.breaks, 1);
    assert_int_equal(res.scheduled, 2);
    tinst_free(&t);
}

/* A fixed meeting whose side is no longer free in its slot is a fact: it
 * stays, counts against max_meetings and blocks the slot. */
static void test_fixed_meeting_outside_free_slots_is_kept(void **state)
{
    struct tinst t;
    tinst_alloc(&t, 2, 2, 2, 1, 0);
    t.part[0].free = free_set(&t, 0);
    set_bit(free_set(&t, 0), 1, true); /* free in slot 1 only */
    t.part[0].max_meetings = 1;
    t.meet[0] = booked(0, 1, 0, 0, true);
    t.meet[1] = waiting(0, 1);
    struct sched_place pl[2];
    struct sched_result res = solve_checked(&t, 2, 1000, pl);
    assert_int_equal(pl[0].slot, 0);
    assert_int_equal(pl[1].slot, SCHED_NONE);
    assert_int_equal(res.scheduled, 1);
    tinst_free(&t);
}

/* A fixed meeting keeps an interpreter it would no longer need, and that
 * interpreter stays taken in its slot. */
static void test_fixed_interpreter_is_a_fact(void **state)
{
    struct tinst t;
    tinst_alloc(&t, 4, 2, 1, 2, 1);
    t.meet[0] = booked(0, 1, 0, 0, true);
    t.meet[0].interpreter = 0; /* needs none now */
    t.meet[1] = waiting(2, 3);
    t.meet[1].interpreters = t.interp; /* interpreter 0 */
    t.meet[1].ninterpreters = 1;
    struct sched_place pl[2];
    struct sched_result res = solve_checked(&t, 2, 1000, pl);
    assert_int_equal(pl[0].interpreter, 0);
    assert_int_equal(pl[1].slot, SCHED_NONE);
    assert_int_equal(res.upper_bound, 1);
    assert_int_equal(res.stop, SCHED_STOP_PROVEN);
    tinst_free(&t);
}

static void test_bad_input_is_refused(void **state)
{
    struct tinst t;
    tinst_alloc(&t, 4, 2, 2, 2, 0);
    struct sched_params prm;
    sched_params_default(&prm);
    struct sched_place pl[2];
    struct sched_result res;
    struct err err = {0};
    const struct {
        struct sched_meeting second;
        const char *says;
    } bad[] = {
        {booked(0, 2, 0, 1, false), "meetings[1]: slot 0 already holds"},
        {booked(2, 3, 0, 0, false), "meetings[1].table: 0 already holds"},
        {booked(2, 2, 1, 0, false), "meetings[1]: participants"},
        {booked(2, 3, 2, 0, false), "meetings[1].slot"},
        {booked(2, 3, 1, 2, false), "meetings[1].table"},
        {booked(2, 4, 1, 0, false), "meetings[1]: participants"},
        {booked(2, 3, SCHED_NONE, 0, false), "meetings[1].slot"},
    };
    t.meet[0] = booked(0, 1, 0, 0, false);
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        t.meet[1] = bad[k].second;
        assert_int_equal(sched_solve(&t.pb, &prm, pl, &res, &err), -1);
        assert_int_equal(err.code, ERR_BAD_REQUEST);
        if (strstr(err.msg, bad[k].says) == NULL)
            fail_msg("case %zu: %s", k, err.msg);
    }
    t.meet[1] = booked(2, 3, 1, 0, false);
    t.meet[1].interpreter = 0; /* needs none, and there are none */
    assert_int_equal(sched_solve(&t.pb, &prm, pl, &res, &err), -1);
    t.meet[1] = waiting(2, 3);
    t.meet[1].fixed = true; /* fixed where? */
    assert_int_equal(sched_solve(&t.pb, &prm, pl, &res, &err), -1);
    t.part[2].max_meetings = 0;
    t.meet[1] = booked(2, 3, 1, 0, false); /* over its max */
    assert_int_equal(sched_solve(&t.pb, &prm, pl, &res, &err), -1);
    t.meet[1].fixed = true; /* a fact: accepted */
    assert_int_equal(sched_solve(&t.pb, &prm, pl, &res, &err), 0);
    tinst_free(&t);
}

/* Expo-like: far more meetings than tables, so no quick proof. Nothing
 * booked before (prebook is quadratic). */
static void make_big(struct tinst *t, uint64_t seed)
{
    rnd_state = seed;
    struct shape sh = {3000, 18000, 16, 250, 12, 92, 10, 3, 10, 0, 0};
    make_random(t, &sh);
}

static void test_budget_is_respected(void **state)
{
    struct tinst t;
    make_big(&t, 7);
    struct sched_place *pl = calloc(t.pb.nmeetings, sizeof *pl);
    double t0 = now_ms();
    struct sched_result res = solve_checked(&t, 2, 200, pl);
    double took = now_ms() - t0;
    /* The check above took its time after the return; the solver's own
     * clock must be within the budget and a margin for a loaded machine. */
    assert_true(res.elapsed_ms < 200 + 150);
    assert_true(took > res.elapsed_ms);
    assert_true(res.scheduled >= 3900);
    free(pl);
    tinst_free(&t);
}

struct cancel_run {
    const struct tinst *t;
    struct sched_place *pl;
    atomic_int flag;
    struct sched_result res;
    int rc;
};

static void *cancel_thread(void *arg)
{
    struct cancel_run *r = arg;
    struct sched_params prm;
    sched_params_default(&prm);
    prm.budget_ms = 20000;
    prm.cancel = &r->flag;
    struct err err;
    r->rc = sched_solve(&r->t->pb, &prm, r->pl, &r->res, &err);
    return NULL;
}

static void test_cancel_flag_is_honoured(void **state)
{
    struct tinst t;
    make_big(&t, 8);
    struct cancel_run r = {.t = &t};
    r.pl = calloc(t.pb.nmeetings, sizeof *r.pl);

    /* Set before the call: it stops at once, with a feasible schedule. */
    atomic_store(&r.flag, 1);
    cancel_thread(&r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.res.stop, SCHED_STOP_CANCELLED);
    assert_true(r.res.elapsed_ms < 300);
    struct schedcheck c;
    assert_true(schedcheck(&t.pb, r.pl, &c));

    /* Set from another thread while it searches. */
    atomic_store(&r.flag, 0);
    pthread_t th;
    double t0 = now_ms();
    assert_int_equal(pthread_create(&th, NULL, cancel_thread, &r), 0);
    struct timespec nap = {0, 150 * 1000000};
    nanosleep(&nap, NULL);
    atomic_store(&r.flag, 1);
    pthread_join(th, NULL);
    assert_true(now_ms() - t0 < 150 + 400);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.res.stop, SCHED_STOP_CANCELLED);
    if (!schedcheck(&t.pb, r.pl, &c))
        fail_msg("after cancel: %s", c.why);
    assert_int_equal(c.scheduled, r.res.scheduled);
    free(r.pl);
    tinst_free(&t);
}

/* Six meetings of a chain that fit back to back: every meeting booked,
 * breaks at the bound, so it stops long before its budget. */
static void test_stops_early_when_proven(void **state)
{
    struct tinst t;
    tinst_alloc(&t, 7, 6, 12, 2, 0);
    for (uint32_t m = 0; m < 6; m++)
        t.meet[m] = waiting(m, m + 1);
    struct sched_place pl[6];
    double t0 = now_ms();
    struct sched_result res = solve_checked(&t, 2, 5000, pl);
    assert_true(now_ms() - t0 < 1000);
    assert_int_equal(res.stop, SCHED_STOP_PROVEN);
    assert_int_equal(res.scheduled, 6);
    assert_int_equal(res.breaks, 0);
    tinst_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_instances_are_feasible_and_maximal),
        cmocka_unit_test(test_many_slots_span_words),
        cmocka_unit_test(test_tiny_instances_match_brute_force),
        cmocka_unit_test(test_breaks_lower_bound_is_valid),
        cmocka_unit_test(test_fairness_is_kept_when_it_costs_breaks),
        cmocka_unit_test(test_moved_is_counted),
        cmocka_unit_test(test_fixed_meetings_stay_put),
        cmocka_unit_test(test_fixed_meeting_outside_free_slots_is_kept),
        cmocka_unit_test(test_nothing_to_move_returns_at_once),
        cmocka_unit_test(test_fixed_interpreter_is_a_fact),
        cmocka_unit_test(test_bad_input_is_refused),
        cmocka_unit_test(test_budget_is_respected),
        cmocka_unit_test(test_cancel_flag_is_honoured),
        cmocka_unit_test(test_stops_early_when_proven),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
