/* sched_search.c: simulated annealing over feasible schedules. Moves:
 * shift a booked meeting to another slot (whatever blocks it there, a
 * side's meeting, a table or an interpreter, swaps into its old slot);
 * book a waiting meeting (what blocks it is placed elsewhere or, when not
 * kept, left waiting); re-place a meeting by a short ejection chain. No
 * move may book fewer meetings; among equal counts the cost is breaks
 * plus a weight on the spread above `fairness`. The best schedule is the
 * one booking most, then least over the spread, then with fewest breaks.
 * Accepted moves stay in the journal until a schedule at least as good as
 * the best comes along, so returning to the best is undoing the journal:
 * done at the end of each annealing cycle, when the journal grows past
 * its cap, and before returning. */
#include <math.h>

#include "sched_int.h"

/* One unit of spread above the wanted one weighs as much as two breaks:
 * enough to steer the search, not enough to wall it in. */
#define FAIR_WEIGHT 2
#define TEMP_START 1.5
#define TEMP_END 0.08

struct key {
    uint32_t booked, excess;
    uint64_t breaks;
};

static uint32_t excess(const struct sstate *st, int fairness)
{
    uint32_t sp = st_spread(st);
    return sp > (uint32_t)fairness ? sp - (uint32_t)fairness : 0;
}

static struct key key_now(const struct sstate *st, int fairness)
{
    return (struct key){st->booked, excess(st, fairness), st->breaks};
}

/* Whether x is at least as good as y. */
static bool key_ge(struct key x, struct key y)
{
    if (x.booked != y.booked)
        return x.booked > y.booked;
    if (x.excess != y.excess)
        return x.excess < y.excess;
    return x.breaks <= y.breaks;
}

static int64_t cost(const struct sstate *st, int fairness)
{
    return (int64_t)st->breaks + FAIR_WEIGHT * (int64_t)excess(st, fairness);
}

bool search_proven(const struct sstate *st, const struct search_goal *goal)
{
    if (st->booked < goal->upper_bound || excess(st, goal->fairness) > 0)
        return false;
    return st->breaks == 0 ||
           (st->booked == st->nm && st->breaks <= goal->breaks_lower_bound);
}

/* A slot for m: often next to another meeting of one of its sides, where
 * breaks disappear; otherwise any of its slots. */
static int32_t pick_target(struct sstate *st, uint32_t m)
{
    const struct sched_meeting *mt = &st->pb->meetings[m];
    if (st_rand(st) & 1) {
        uint32_t p = st_rand(st) & 2 ? mt->a : mt->b;
        uint32_t lo = st->adj_start[p], n = st->adj_start[p + 1] - lo;
        uint32_t start = st_below(st, n);
        for (uint32_t k = 0; k < n; k++) {
            uint32_t o = st->adj[lo + (start + k) % n];
            if (o == m || st->slot[o] < 0)
                continue;
            int32_t t = st->slot[o] + (st_rand(st) & 1 ? 1 : -1);
            if (t >= 0 && (uint32_t)t < st->nslots &&
                st_in_set(st_cand(st, m), (uint32_t)t) && t != st->slot[m])
                return t;
            break;
        }
    }
    return st_random_cand(st, m);
}

static bool mv_shift(struct sstate *st, uint32_t m)
{
    int32_t s = st->slot[m];
    int32_t t = pick_target(st, m);
    if (t < 0 || t == s)
        return false;
    st_unplace(st, m);
    uint32_t out[4], nout;
    if (!book_eject(st, m, (uint32_t)t, out, &nout))
        return false;
    for (uint32_t k = 0; k < nout; k++) {
        int32_t i;
        if (!st_fits(st, out[k], (uint32_t)s, &i)) {
            const struct sched_meeting *xt = &st->pb->meetings[out[k]];
            if (xt->ninterpreters == 0)
                return false;
            i = st_interp_make_room(st, out[k], (uint32_t)s);
            if (i == NO_INTERP || !st_fits(st, out[k], (uint32_t)s, &i))
                return false;
        }
        st_place(st, out[k], (uint32_t)s, i);
    }
    return true;
}

/* Makes room under p's max_meetings by leaving one of its meetings that
 * need not stay booked waiting. */
static bool drop_for_cap(struct sstate *st, uint32_t p)
{
    if (st->count[p] < st->cap[p])
        return true;
    uint32_t lo = st->adj_start[p], n = st->adj_start[p + 1] - lo;
    uint32_t start = st_below(st, n);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t o = st->adj[lo + (start + k) % n];
        if (st->slot[o] >= 0 && !(st->flags[o] & (MF_KEEP | MF_FIXED))) {
            st_unplace(st, o);
            return true;
        }
    }
    return false;
}

static bool mv_book(struct sstate *st, uint32_t w)
{
    const struct sched_meeting *mt = &st->pb->meetings[w];
    if (!drop_for_cap(st, mt->a) || !drop_for_cap(st, mt->b))
        return false;
    int32_t t = pick_target(st, w);
    uint32_t out[4], nout;
    if (t < 0 || st->count[mt->a] >= st->cap[mt->a] ||
        st->count[mt->b] >= st->cap[mt->b] ||
        !book_eject(st, w, (uint32_t)t, out, &nout))
        return false;
    for (uint32_t k = 0; k < nout; k++) {
        uint32_t budget = 0;
        if (!book_relocate(st, out[k], 0, &budget, t) &&
            (st->flags[out[k]] & MF_KEEP))
            return false;
    }
    return true;
}

static bool mv_chain(struct sstate *st, uint32_t m)
{
    int32_t s = st->slot[m];
    uint32_t budget = 64;
    st_unplace(st, m);
    return book_relocate(st, m, 2, &budget, s);
}

static double uniform(struct sstate *st)
{
    return (double)(st_rand(st) >> 11) * 0x1p-53;
}

/* One move tried; false when it was undone. */
static bool try_move(struct sstate *st, int fairness, double temp)
{
    size_t mark = st->nlog;
    uint32_t booked = st->booked;
    int64_t before = cost(st, fairness);
    uint32_t waiting = st->npool - st->nbooked_pool;
    uint32_t r = st_below(st, 100);
    bool done;
    if (waiting && (r < 25 || st->nbooked_pool == 0)) {
        done = mv_book(st, st->pool[st->nbooked_pool + st_below(st, waiting)]);
    } else {
        uint32_t m = st->pool[st_below(st, st->nbooked_pool)];
        done = r % 10 == 0 ? mv_chain(st, m) : mv_shift(st, m);
    }
    if (done && st->booked == booked) {
        int64_t delta = cost(st, fairness) - before;
        done = delta <= 0 || uniform(st) < exp(-(double)delta / temp);
    }
    if (!done || st->booked < booked) {
        st_undo_to(st, mark);
        return false;
    }
    return true;
}

void search_run(struct sstate *st, struct search_goal *goal)
{
    if (st->npool == 0)
        return;
    bool logging = st->logging;
    st->logging = true;
    st->nlog = 0;
    struct key best = key_now(st, goal->fairness);
    size_t log_cap = 8 * (size_t)st->nm + 16384;
    uint64_t base = 100 * (uint64_t)st->npool;
    if (base < 20000)
        base = 20000;
    uint64_t t0 = st_now_ns();
    bool proven = search_proven(st, goal);
    while (!proven && !st_should_stop(st)) {
        /* A cycle no longer than the time left at the rate seen so far. */
        uint64_t len = base, now = st_now_ns();
        if (goal->iterations > 1000 && now > t0 && st->deadline_ns > now) {
            double rate = (double)goal->iterations / (double)(now - t0);
            double fit = rate * (double)(st->deadline_ns - now);
            if (fit < (double)len)
                len = fit > 1000 ? (uint64_t)fit : 1000;
        }
        double temp = TEMP_START;
        double cool = pow(TEMP_END / TEMP_START, 1.0 / (double)len);
        for (uint64_t it = 0; it < len && !st_should_stop(st); it++) {
            goal->iterations++;
            temp *= cool;
            if (!try_move(st, goal->fairness, temp))
                continue;
            struct key now_key = key_now(st, goal->fairness);
            if (key_ge(now_key, best)) {
                best = now_key;
                st->nlog = 0;
                if (search_proven(st, goal)) {
                    proven = true;
                    break;
                }
            } else if (st->nlog > log_cap) {
                st_undo_to(st, 0);
            }
        }
        st_undo_to(st, 0);
    }
    st_undo_to(st, 0);
    st->logging = logging;
}
