/* sched.c: sched_solve, the optimizer's phases in order: take the
 * schedule as given, book greedily, book more by ejection chains, search
 * (on small events with every meeting booked, the exact phase of
 * sched_exact.c runs beside it, and for a while a second solver takes
 * the search's place: sched_beside.c), book whatever fits
 * into the best schedule found, then give tables out
 * (they are interchangeable, so only counts matter until here) and count
 * what the caller reports. */
#include <stdlib.h>
#include <string.h>

#include "sched_int.h"
#include "xmalloc.h"

/* Share of the budget that ejection chains may take before the search. */
#define AUGMENT_SHARE 0.3
/* Share of the budget the search has before the exact phase (small
 * events only) starts beside it, from the best schedule found so far.
 * Early, since the solver's time counts more than a better start: at
 * 1 s, 3% proved 13 of 32 runs of 66 / 250 and 78 / 302 / 22, 15% 3 of
 * 24 (measured). */
#define EXACT_START_SHARE 0.03
/* Share of the budget the search has before its thread races the exact
 * phase's first solve (exact_race): at 1 s, seeds 1 to 36, with 3%, 6%,
 * 10% and 20%, 66 / 250 was proven in 33 runs each time, 78 / 302 / 22
 * in 21, 25, 27 and 24 (measured on a first version; repeats spread by a
 * few). */
#define RACE_START_SHARE 0.1
/* Share of the budget after which the search takes its thread back from
 * an unanswered race, for what is left: runs the race leaves unproven
 * report the search's schedule, which had stopped at RACE_START_SHARE.
 * At 1 s on events 201-240, optimizer seeds 1-2 (80 runs a shape), the
 * race to the end (2-3 repeats) against 80%: 58 / 200 proven in 69-80
 * against 74, 66 / 250 in 28-37 against 34, 78 / 302 / 22 in 41-42
 * against 37; breaks over the 80 runs 136-213 against 170, 557-664
 * against 508, 458-498 against 395 (measured; at 60%, 66 / 250 and
 * 78 / 302 / 22 had 30 and 37 proven, 513 and 358 breaks). */
#define RACE_END_SHARE 0.8
#define BUDGET_MAX_MS (366L * 24 * 3600 * 1000)

void sched_params_default(struct sched_params *params)
{
    *params = (struct sched_params){SCHED_FAIRNESS_DEFAULT, 5000, NULL, 1};
}

/* splitmix64: any seed, 0 included, gives a usable xorshift state. */
static uint64_t mix_seed(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    x ^= x >> 31;
    return x ? x : 1;
}

static double ms_since(uint64_t t0)
{
    return (double)(st_now_ns() - t0) / 1e6;
}

/* The moment `share` of the budget started at t0 is spent. */
static uint64_t share_end(uint64_t t0, long budget_ms, double share)
{
    return t0 + (uint64_t)((double)budget_ms * share * 1e6);
}

/* Takes the deadline back to `end` after a phase stopped at an earlier
 * one; false when the caller cancelled or `end` has passed too. */
static bool resume(struct sstate *st, uint64_t end)
{
    st->deadline_ns = end;
    if (st->stopped && st->why == SCHED_STOP_BUDGET && st_now_ns() < end)
        st->stopped = false;
    return !st->stopped;
}

/* Ejection chains under a shorter deadline, so the search gets time. */
static void augment(struct sstate *st, uint32_t upper_bound, uint64_t t0,
                    long budget_ms)
{
    uint64_t deadline = st->deadline_ns;
    uint64_t until = share_end(t0, budget_ms, AUGMENT_SHARE);
    if (until < deadline)
        st->deadline_ns = until;
    book_augment(st, upper_bound);
    resume(st, deadline);
}

/* The search until `share` of the budget; true when that did not settle
 * it and time is left before search_end. */
static bool search_share(struct sstate *st, struct search_goal *goal,
                         uint64_t t0, long budget_ms, double share,
                         uint64_t search_end)
{
    uint64_t until = share_end(t0, budget_ms, share);
    if (until < search_end) {
        st->deadline_ns = until;
        search_run(st, goal);
    }
    uint64_t now = st_now_ns();
    return resume(st, search_end) && now < search_end &&
           !search_proven(st, goal);
}

/* Small events: the search alone until EXACT_START_SHARE of the budget,
 * then, unless that settled it, the exact phase beside it from the best
 * schedule so far until search_end; from RACE_START_SHARE its rival in
 * the search's place for as long as exact_race runs, RACE_END_SHARE at
 * most. NULL when the exact phase did not start. */
static struct exact_job *search_then_exact(struct sstate *st,
                                           struct search_goal *goal,
                                           uint64_t t0, long budget_ms,
                                           uint64_t search_end)
{
    if (!search_share(st, goal, t0, budget_ms, EXACT_START_SHARE, search_end) ||
        st->booked < st->nm)
        return NULL;
    /* It keeps back the time its solver takes to release. */
    struct exact_job *job = exact_start(st, goal, search_end);
    if (job &&
        search_share(st, goal, t0, budget_ms, RACE_START_SHARE, search_end)) {
        uint64_t race_end = share_end(t0, budget_ms, RACE_END_SHARE);
        if (race_end < st->deadline_ns)
            st->deadline_ns = race_end;
        exact_race(job, st, goal);
        resume(st, search_end);
    }
    return job;
}

/* Meetings that keep their slot keep their table; the others take the
 * lowest tables left in their slot. */
static void assign_tables(const struct sstate *st, struct sched_place *place)
{
    bool *taken = xcalloc(st->ntables + 1, 1);
    for (uint32_t s = 0; s < st->nslots; s++) {
        const uint32_t *in = st->in_slot[s];
        uint32_t n = st->used[s], next = 0;
        for (uint32_t k = 0; k < n; k++) {
            const struct sched_meeting *mt = &st->pb->meetings[in[k]];
            if (mt->slot == (int)s) {
                place[in[k]].table = mt->table;
                taken[mt->table] = true;
            }
        }
        for (uint32_t k = 0; k < n; k++) {
            if (place[in[k]].table != SCHED_NONE)
                continue;
            while (taken[next])
                next++;
            place[in[k]].table = (int)next;
            taken[next] = true;
        }
        for (uint32_t k = 0; k < n; k++)
            taken[place[in[k]].table] = false;
    }
    free(taken);
}

static void report(const struct sstate *st, const struct search_goal *goal,
                   struct sched_place *place, struct sched_result *res)
{
    for (uint32_t m = 0; m < st->nm; m++) {
        place[m].slot = st->slot[m];
        place[m].interpreter = st->interp[m];
        place[m].table = SCHED_NONE;
        int before = st->pb->meetings[m].slot;
        res->moved += before != SCHED_NONE && before != st->slot[m];
    }
    assign_tables(st, place);
    res->scheduled = st->booked;
    res->unscheduled = st->nm - st->booked;
    res->breaks = st->breaks;
    res->spread = st_spread(st);
    res->fair = res->spread <= (uint32_t)goal->fairness;
    res->breaks_lower_bound = sb_breaks_lower_bound(st, st->count, NULL);
    /* The exact phase's bound, when it ran, is for every meeting booked. */
    if (st->booked == st->nm &&
        goal->breaks_lower_bound > res->breaks_lower_bound)
        res->breaks_lower_bound = goal->breaks_lower_bound;
    res->iterations = goal->iterations;
}

int sched_solve(const struct sched_problem *pb,
                const struct sched_params *params, struct sched_place *place,
                struct sched_result *res, struct err *err)
{
    uint64_t t0 = st_now_ns();
    if (params->fairness < 0)
        return err_set(err, ERR_BAD_REQUEST, "fairness: %d", params->fairness);
    struct sstate st;
    if (st_init(&st, pb, err) < 0)
        return -1;
    /* A year is as good as forever, and keeps the arithmetic in range. */
    long budget = params->budget_ms > 0 ? params->budget_ms : 0;
    if (budget > BUDGET_MAX_MS)
        budget = BUDGET_MAX_MS;
    st.deadline_ns = t0 + (uint64_t)budget * 1000000u;
    st.cancel = params->cancel;
    st.rng = mix_seed(params->seed);
    memset(res, 0, sizeof *res);
    res->breaks_input = st.breaks;

    struct search_goal goal = {.fairness = params->fairness};
    goal.upper_bound = sb_upper_bound(&st);
    uint64_t greedy_ns = st_now_ns();
    book_greedy(&st);
    greedy_ns = st_now_ns() - greedy_ns;
    augment(&st, goal.upper_bound, t0, budget);
    res->booking_ms = ms_since(t0);
    res->breaks_before = st.breaks;

    /* The proof by breaks needs every meeting booked, so it is the bound
     * for each participant holding all of its meetings; not worth its
     * time when they cannot all be booked. */
    uint32_t *fewest = NULL;
    if (goal.upper_bound == st.nm) {
        uint32_t *all = xmalloc((st.np + 1) * sizeof(uint32_t));
        fewest = xmalloc((st.np + 1) * sizeof(uint32_t));
        for (uint32_t p = 0; p < st.np; p++)
            all[p] = st.adj_start[p + 1] - st.adj_start[p];
        goal.breaks_lower_bound = sb_breaks_lower_bound(&st, all, fewest);
        goal.fewest = fewest;
        free(all);
    }

    /* Keep back time for what follows the search: undoing to the best,
     * a fill pass costing about what greedy booking did, the report. */
    uint64_t deadline = st.deadline_ns;
    uint64_t reserve = 1000000 + greedy_ns;
    if (reserve > (uint64_t)budget * 100000)
        reserve = (uint64_t)budget * 100000;
    st.deadline_ns -= reserve;
    uint64_t search_end = st.deadline_ns;
    struct exact_job *job = NULL;
    if (goal.upper_bound == st.nm && exact_fits(&st))
        job = search_then_exact(&st, &goal, t0, budget, search_end);
    search_run(&st, &goal);
    if (job)
        exact_finish(job, &st, &goal);
    st.deadline_ns = deadline;
    free(fewest);
    goal.fewest = NULL;
    if (st.booked < goal.upper_bound &&
        !(st.stopped && st.why == SCHED_STOP_CANCELLED))
        book_fill(&st);

    res->upper_bound = goal.upper_bound;
    report(&st, &goal, place, res);
    if (st.npool == 0 || search_proven(&st, &goal))
        res->stop = SCHED_STOP_PROVEN;
    else
        res->stop = st.stopped ? st.why : SCHED_STOP_BUDGET;
    st_free(&st);
    res->elapsed_ms = ms_since(t0);
    return 0;
}
