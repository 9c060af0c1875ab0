/* sched_search.c: simulated annealing over feasible schedules. Moves:
 * switch a booked meeting and everything linked to it through shared
 * participants between its slot and another (a Kempe chain), or shift it
 * to another slot with what blocks it there (a side's meeting, a table,
 * an interpreter) swapping into its old slot, or book a waiting meeting
 * (what blocks it goes elsewhere or, when it need not stay booked, back
 * to waiting). Meetings of participants with breaks are tried first, and
 * half the time into the slot best for their own sides.
 *
 * No move may book fewer meetings; among equal counts the cost is breaks
 * plus a weight on the spread above `fairness`. The best schedule books
 * most, then has least spread above fairness, then fewest breaks.
 * Accepted moves stay in the journal until a schedule at least as good as
 * the best comes along, so returning to the best is undoing the journal:
 * done at the end of each annealing cycle, when the journal passes its
 * cap (which also bounds the time the final return takes), and before
 * returning. */
#include <math.h>
#include <string.h>

#include "sched_int.h"

/* One unit of spread above the wanted one weighs as much as two breaks:
 * enough to steer the search, not enough to wall it in. */
#define FAIR_WEIGHT 2
/* Longest Kempe chain tried: longer ones rarely fit and cost more. */
#define KEMPE_MAX 48
/* Temperatures, measured on generated events (tests/bench/schedbench.c):
 * at the start a move costing one break passes one time in seven. */
#define TEMP_START 0.5
#define TEMP_END 0.03
/* Moves per cycle: 30 per movable meeting, at least CYCLE_MIN, at most
 * what the time left allows at the rate seen so far. */
#define CYCLE_PER_MEETING 30
#define CYCLE_MIN 400000
#define CYCLE_FIRST 20000 /* short, to measure the rate */
#define LOG_CAP 65536

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
    if (st->booked < goal->upper_bound)
        return false;
    /* Nothing more fits and nothing booked may move. */
    if (st->nbooked_pool == 0)
        return true;
    if (excess(st, goal->fairness) > 0)
        return false;
    return st->breaks == 0 ||
           (st->booked == st->nm && st->breaks <= goal->breaks_lower_bound);
}

/* How p's breaks change when its meeting in s (none: -1) goes to t,
 * where p may already have a meeting that would swap into s. */
static int shift_cost(const struct sstate *st, uint32_t p, int32_t s,
                      uint32_t t)
{
    if (st_busy(st, p, t) || (s < 0 && st->count[p] == 0))
        return 0;
    int d = 0;
    if (s >= 0) {
        bool l = s > 0 && st_busy(st, p, (uint32_t)s - 1);
        bool r =
            (uint32_t)s + 1 < st->nslots && st_busy(st, p, (uint32_t)s + 1);
        d += l && r ? 1 : !l && !r ? -1 : 0;
    }
    bool l = t > 0 && (int32_t)t - 1 != s && st_busy(st, p, t - 1);
    bool r = t + 1 < st->nslots && (int32_t)t + 1 != s && st_busy(st, p, t + 1);
    return d + (l && r ? -1 : !l && !r ? 1 : 0);
}

/* The slot among m's (a sample of them when there are many) where its own
 * sides gain most, ties at random; what it displaces is not counted. */
static int32_t best_target(struct sstate *st, uint32_t m)
{
    const struct sched_meeting *mt = &st->pb->meetings[m];
    int32_t s = st->slot[m], best = -1;
    int best_cost = 1 << 20;
    uint32_t ties = 0, n = st->ncand[m] > 24 ? 16 : st->ncand[m];
    for (uint32_t k = 0; k < n; k++) {
        int32_t t = n == st->ncand[m]
                        ? st_nth_slot(st_cand(st, m), st->words, k)
                        : st_random_cand(st, m);
        if (t == s)
            continue;
        int c = shift_cost(st, mt->a, s, (uint32_t)t) +
                shift_cost(st, mt->b, s, (uint32_t)t);
        if (c < best_cost) {
            best_cost = c;
            best = t;
            ties = 1;
        } else if (c == best_cost && st_below(st, ++ties) == 0) {
            best = t;
        }
    }
    return best;
}

/* A slot for m: the best for its sides, or next to another meeting of one
 * of its sides, or any of its slots. */
static int32_t pick_target(struct sstate *st, uint32_t m)
{
    const struct sched_meeting *mt = &st->pb->meetings[m];
    uint32_t r = st_below(st, 100);
    if (r < 50)
        return best_target(st, m);
    if (r < 75) {
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

static double uniform(struct sstate *st)
{
    return (double)(st_rand(st) >> 11) * 0x1p-53;
}

/* Simulated annealing's rule: no worse passes, worse now and then. */
static bool accept(struct sstate *st, int64_t delta, double temp)
{
    return delta <= 0 || uniform(st) < exp(-(double)delta / temp);
}

/* Whether p's slot i would begin a block, with p's slots s and t
 * swapped or not. */
static bool starts(const struct sstate *st, uint32_t p, uint32_t i, uint32_t s,
                   uint32_t t, bool swapped)
{
    uint32_t at = !swapped ? i : i == s ? t : i == t ? s : i;
    if (!st_busy(st, p, at))
        return false;
    if (i == 0)
        return true;
    uint32_t before = !swapped     ? i - 1
                      : i - 1 == s ? t
                      : i - 1 == t ? s
                                   : i - 1;
    return !st_busy(st, p, before);
}

/* How p's breaks change when its slots s and t swap: only blocks that
 * begin at s, s + 1, t or t + 1 can come or go. */
static int swap_cost(const struct sstate *st, uint32_t p, uint32_t s,
                     uint32_t t)
{
    uint32_t at[4] = {s, s + 1, t, t + 1};
    int d = 0;
    for (int k = 0; k < 4; k++) {
        bool again = at[k] >= st->nslots;
        for (int j = 0; j < k; j++)
            again |= at[j] == at[k];
        if (!again)
            d += (int)starts(st, p, at[k], s, t, true) -
                 (int)starts(st, p, at[k], s, t, false);
    }
    return d;
}

/* Meetings of the two slots s and t linked through shared participants,
 * starting from m (a Kempe chain): all of them switch slots at once, so
 * no participant ends up with two meetings in one slot. Each side of the
 * chain just has its slots s and t swapped, so the move is judged before
 * anything moves, and most rejected moves cost no update at all. */
static bool mv_kempe(struct sstate *st, uint32_t m, int fairness, double temp)
{
    int32_t s = st->slot[m], t = pick_target(st, m);
    if (t < 0 || t == s)
        return false;
    uint32_t chain[KEMPE_MAX], n = 1, in_s = 0;
    chain[0] = m;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t x = chain[k];
        bool at_s = st->slot[x] == s;
        int32_t other = at_s ? t : s;
        in_s += at_s;
        if ((st->flags[x] & MF_FIXED) ||
            !st_in_set(st_cand(st, x), (uint32_t)other))
            return false;
        const struct sched_meeting *xt = &st->pb->meetings[x];
        int32_t linked[2] = {st_meeting_at(st, xt->a, (uint32_t)other),
                             st_meeting_at(st, xt->b, (uint32_t)other)};
        for (int j = 0; j < 2; j++) {
            bool seen = linked[j] < 0;
            for (uint32_t i = 0; i < n && !seen; i++)
                seen = chain[i] == (uint32_t)linked[j];
            if (seen)
                continue;
            if (n == KEMPE_MAX)
                return false;
            chain[n++] = (uint32_t)linked[j];
        }
    }
    uint32_t in_t = n - in_s;
    if (st->used[t] - in_t + in_s > st->ntables ||
        st->used[s] - in_s + in_t > st->ntables)
        return false;

    uint32_t ps[2 * KEMPE_MAX], to[2 * KEMPE_MAX], nps = 0;
    int64_t delta = 0;
    if (++st->stamp == 0) {
        memset(st->mark, 0, st->np * sizeof *st->mark);
        st->stamp = 1;
    }
    for (uint32_t k = 0; k < n; k++) {
        const struct sched_meeting *xt = &st->pb->meetings[chain[k]];
        uint32_t side[2] = {xt->a, xt->b};
        for (int j = 0; j < 2; j++) {
            uint32_t p = side[j];
            if (st->mark[p] == st->stamp)
                continue;
            st->mark[p] = st->stamp;
            int d = swap_cost(st, p, (uint32_t)s, (uint32_t)t);
            if (d == 0)
                continue;
            ps[nps] = p;
            to[nps++] = (uint32_t)((int)st->brk[p] + d);
            delta += d;
        }
    }
    if (nps > 0) {
        uint32_t sp = st_spread_if(st, ps, to, nps);
        uint32_t ex = sp > (uint32_t)fairness ? sp - (uint32_t)fairness : 0;
        delta += FAIR_WEIGHT * ((int64_t)ex - (int64_t)excess(st, fairness));
    }
    if (!accept(st, delta, temp))
        return false;

    int32_t from[KEMPE_MAX];
    for (uint32_t k = 0; k < n; k++) {
        from[k] = st->slot[chain[k]];
        st_unplace(st, chain[k]);
    }
    for (uint32_t k = 0; k < n; k++) {
        uint32_t dest = (uint32_t)(from[k] == s ? t : s);
        int32_t i = st_interp_for(st, chain[k], dest);
        if (i == NO_INTERP)
            i = st_interp_make_room(st, chain[k], dest);
        if (i == NO_INTERP)
            return false;
        st_place(st, chain[k], dest, i);
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

/* A booked meeting that may move, preferably of someone with breaks:
 * moves elsewhere change nothing but still cost. */
static uint32_t pick_booked(struct sstate *st)
{
    uint32_t m = st->pool[st_below(st, st->nbooked_pool)];
    for (int tries = 10; tries > 0 && st->breaks > 0; tries--) {
        const struct sched_meeting *mt = &st->pb->meetings[m];
        if (st->brk[mt->a] + st->brk[mt->b] > 0)
            break;
        m = st->pool[st_below(st, st->nbooked_pool)];
    }
    return m;
}

/* One move tried; false when it was undone. A Kempe chain is judged
 * before it moves; other moves are made, then judged. */
static bool try_move(struct sstate *st, int fairness, double temp)
{
    size_t mark = st->nlog;
    uint32_t booked = st->booked;
    int64_t before = cost(st, fairness);
    uint32_t waiting = st->npool - st->nbooked_pool;
    uint32_t r = st_below(st, 100);
    bool done, judged = false;
    if (waiting && (r < 25 || st->nbooked_pool == 0)) {
        done = mv_book(st, st->pool[st->nbooked_pool + st_below(st, waiting)]);
    } else {
        uint32_t m = pick_booked(st);
        judged = r % 10 < 7;
        done = judged ? mv_kempe(st, m, fairness, temp) : mv_shift(st, m);
    }
    if (done && !judged && st->booked == booked)
        done = accept(st, cost(st, fairness) - before, temp);
    if (!done || st->booked < booked) {
        st_undo_to(st, mark);
        return false;
    }
    return true;
}

/* How often the search looks at the exact phase's news: an atomic load
 * is cheap, but the bound rarely moves. */
#define NEWS_EVERY 1024

/* Whether the search may stop on the exact phase's news: it holds an
 * optimal schedule, or has proven the best schedule here optimal. */
static bool news_says_stop(const struct sstate *st, struct search_goal *goal,
                           struct key best)
{
    uint64_t lb = atomic_load(&goal->news->lower_bound);
    if (lb > goal->breaks_lower_bound)
        goal->breaks_lower_bound = lb;
    if (atomic_load(&goal->news->optimal))
        return true;
    return best.booked == st->nm && best.excess == 0 &&
           best.breaks <= goal->breaks_lower_bound;
}

void search_run(struct sstate *st, struct search_goal *goal)
{
    if (st->npool == 0)
        return;
    bool logging = st->logging;
    st->logging = true;
    st->nlog = 0;
    struct key best = key_now(st, goal->fairness);
    uint64_t base = CYCLE_PER_MEETING * (uint64_t)st->npool;
    if (base < CYCLE_MIN)
        base = CYCLE_MIN;
    uint64_t t0 = st_now_ns(), it0 = goal->iterations;
    bool proven = search_proven(st, goal);
    while (!proven && !st_should_stop(st)) {
        /* A cycle no longer than the time left at the rate seen so far. */
        uint64_t done = goal->iterations - it0;
        uint64_t len = done ? base : CYCLE_FIRST, now = st_now_ns();
        if (done > 1000 && now > t0 && st->deadline_ns > now) {
            double rate = (double)done / (double)(now - t0);
            double fit = rate * (double)(st->deadline_ns - now);
            if (fit < (double)len)
                len = fit > 1000 ? (uint64_t)fit : 1000;
        }
        double temp = TEMP_START;
        double cool = pow(TEMP_END / TEMP_START, 1.0 / (double)len);
        for (uint64_t it = 0; it < len && !st_should_stop(st); it++) {
            goal->iterations++;
            if (goal->news && goal->iterations % NEWS_EVERY == 0 &&
                news_says_stop(st, goal, best)) {
                proven = true;
                break;
            }
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
            } else if (st->nlog > LOG_CAP) {
                st_undo_to(st, 0);
            }
        }
        st_undo_to(st, 0);
    }
    st_undo_to(st, 0);
    st->logging = logging;
}
