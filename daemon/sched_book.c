/* sched_book.c: booking waiting meetings. book_greedy books each in the
 * earliest slot where it fits, most constrained first (what booking on
 * accept would do, so it is the baseline the search is measured from).
 * book_relocate places a meeting by an ejection chain: into a slot where
 * it fits, or into one whose blockers (the sides' meetings there, a
 * table, an interpreter) are moved out and placed again the same way, a
 * bounded number of levels deep. book_augment runs it on every meeting
 * still waiting; book_fill books whatever fits without moving anything. */
#include <stdlib.h>

#include "sched_int.h"
#include "xmalloc.h"

struct keyed {
    uint64_t key;
    uint32_t m;
};

static int cmp_keyed(const void *x, const void *y)
{
    const struct keyed *a = x, *b = y;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->m < b->m ? -1 : a->m > b->m;
}

/* The waiting meetings, hardest to place first: fewest slots, then the
 * fewest interpreters to choose from, then the busiest sides. */
static uint32_t *waiting_order(const struct sstate *st, uint32_t *n)
{
    struct keyed *k = xmalloc((st->npool + 1) * sizeof *k);
    uint32_t cnt = 0;
    for (uint32_t j = st->nbooked_pool; j < st->npool; j++) {
        uint32_t m = st->pool[j];
        const struct sched_meeting *mt = &st->pb->meetings[m];
        uint64_t interp = mt->ninterpreters ? mt->ninterpreters : 0xffff;
        if (interp > 0xffff)
            interp = 0xfffe;
        uint32_t deg = (st->adj_start[mt->a + 1] - st->adj_start[mt->a]) +
                       (st->adj_start[mt->b + 1] - st->adj_start[mt->b]);
        k[cnt].key = (uint64_t)st->ncand[m] << 48 | interp << 32 |
                     (uint64_t)(UINT32_MAX - deg);
        k[cnt++].m = m;
    }
    qsort(k, cnt, sizeof *k, cmp_keyed);
    uint32_t *order = xmalloc((cnt + 1) * sizeof *order);
    for (uint32_t j = 0; j < cnt; j++)
        order[j] = k[j].m;
    free(k);
    *n = cnt;
    return order;
}

void book_greedy(struct sstate *st)
{
    uint32_t n;
    uint32_t *order = waiting_order(st, &n);
    for (uint32_t j = 0; j < n && !st_should_stop(st); j++) {
        uint32_t m = order[j];
        const uint64_t *c = st_cand(st, m);
        for (uint32_t w = 0; w < st->words; w++) {
            uint64_t x = c[w];
            for (; x; x &= x - 1) {
                uint32_t s = w * 64 + (uint32_t)__builtin_ctzll(x);
                int32_t i;
                if (st_fits(st, m, s, &i)) {
                    st_place(st, m, s, i);
                    break;
                }
            }
            if (x)
                break;
        }
    }
    free(order);
}

/* How p's breaks change if it gets a meeting in s, where it is free. */
static int add_cost(const struct sstate *st, uint32_t p, uint32_t s)
{
    if (st->count[p] == 0)
        return 0;
    bool left = s > 0 && st_busy(st, p, s - 1);
    bool right = s + 1 < st->nslots && st_busy(st, p, s + 1);
    return left && right ? -1 : !left && !right ? 1 : 0;
}

/* Books waiting meeting m where it fits without moving anything, in the
 * slot that adds the fewest breaks, ties at random. */
static bool best_fit(struct sstate *st, uint32_t m, int32_t avoid)
{
    const struct sched_meeting *mt = &st->pb->meetings[m];
    if (st->count[mt->a] >= st->cap[mt->a] ||
        st->count[mt->b] >= st->cap[mt->b])
        return false;
    const uint64_t *c = st_cand(st, m);
    int best = 3;
    int32_t best_s = -1, best_i = SCHED_NONE;
    uint32_t ties = 0;
    for (uint32_t w = 0; w < st->words; w++) {
        for (uint64_t x = c[w]; x; x &= x - 1) {
            uint32_t s = w * 64 + (uint32_t)__builtin_ctzll(x);
            int32_t i;
            if ((int32_t)s == avoid || !st_fits(st, m, s, &i))
                continue;
            int cost = add_cost(st, mt->a, s) + add_cost(st, mt->b, s);
            if (cost < best)
                ties = 0;
            if (cost <= best && st_below(st, ++ties) == 0) {
                best = cost;
                best_s = (int32_t)s;
                best_i = i;
            }
        }
    }
    if (best_s < 0)
        return false;
    st_place(st, m, (uint32_t)best_s, best_i);
    return true;
}

/* A non-fixed meeting of slot s to make room for a table: preferably one
 * with another slot free for it. */
static int32_t table_victim(struct sstate *st, uint32_t s)
{
    uint32_t n = st->used[s];
    if (n == 0)
        return -1;
    uint32_t start = st_below(st, n);
    int32_t any = -1;
    for (uint32_t k = 0; k < n && k < 32; k++) {
        uint32_t v = st->in_slot[s][(start + k) % n];
        if (st->flags[v] & MF_FIXED)
            continue;
        if (any < 0)
            any = (int32_t)v;
        const uint64_t *c = st_cand(st, v);
        const struct sched_meeting *vt = &st->pb->meetings[v];
        for (uint32_t t = 0; t < st->nslots; t++)
            if (t != s && st_in_set(c, t) && st->used[t] < st->ntables &&
                !st_busy(st, vt->a, t) && !st_busy(st, vt->b, t))
                return (int32_t)v;
    }
    return any;
}

/* Unplaces what keeps m out of slot s, into out[] (at most 4), and books
 * m there. False (with the state to be undone by the caller) when a
 * blocker is fixed or room cannot be made. */
bool book_eject(struct sstate *st, uint32_t m, uint32_t s, uint32_t *out,
                uint32_t *nout)
{
    const struct sched_meeting *mt = &st->pb->meetings[m];
    *nout = 0;
    int32_t side[2] = {st_meeting_at(st, mt->a, s),
                       st_meeting_at(st, mt->b, s)};
    for (int k = 0; k < 2; k++) {
        int32_t x = side[k];
        if (x < 0 || (k == 1 && x == side[0]))
            continue;
        if (st->flags[x] & MF_FIXED)
            return false;
        st_unplace(st, (uint32_t)x);
        out[(*nout)++] = (uint32_t)x;
    }
    if (st->used[s] >= st->ntables) {
        int32_t v = table_victim(st, s);
        if (v < 0)
            return false;
        st_unplace(st, (uint32_t)v);
        out[(*nout)++] = (uint32_t)v;
    }
    int32_t i = st_interp_for(st, m, s);
    if (i == NO_INTERP)
        i = st_interp_make_room(st, m, s);
    if (i == NO_INTERP) {
        /* Take an interpreter from a meeting that does not hold it fixed. */
        for (uint32_t k = 0; k < mt->ninterpreters && i == NO_INTERP; k++) {
            uint32_t cand = mt->interpreters[k];
            int32_t h = st->iocc[(size_t)cand * st->nslots + s];
            if (h >= 0 && !(st->flags[h] & MF_FIXED)) {
                st_unplace(st, (uint32_t)h);
                out[(*nout)++] = (uint32_t)h;
                i = (int32_t)cand;
            }
        }
        if (i == NO_INTERP)
            return false;
    }
    st_place(st, m, s, i);
    return true;
}

bool book_relocate(struct sstate *st, uint32_t m, int depth, uint32_t *budget,
                   int32_t avoid)
{
    if (best_fit(st, m, avoid))
        return true;
    const struct sched_meeting *mt = &st->pb->meetings[m];
    if (depth == 0 || st->ncand[m] == 0 || st->count[mt->a] >= st->cap[mt->a] ||
        st->count[mt->b] >= st->cap[mt->b])
        return false;
    uint32_t start = st_below(st, st->ncand[m]);
    for (uint32_t k = 0; k < st->ncand[m]; k++) {
        if (*budget == 0 || st_should_stop(st))
            return false;
        (*budget)--;
        uint32_t n =
            start + k < st->ncand[m] ? start + k : start + k - st->ncand[m];
        int32_t s = st_nth_slot(st_cand(st, m), st->words, n);
        if (s == avoid)
            continue;
        size_t mark = st->nlog;
        uint32_t out[4], nout;
        bool ok = book_eject(st, m, (uint32_t)s, out, &nout);
        for (uint32_t j = 0; ok && j < nout; j++)
            ok = book_relocate(st, out[j], depth - 1, budget, s);
        if (ok)
            return true;
        st_undo_to(st, mark);
    }
    return false;
}

void book_augment(struct sstate *st, uint32_t upper_bound)
{
    uint32_t n;
    uint32_t *order = waiting_order(st, &n);
    bool logging = st->logging;
    st->logging = true;
    /* Shallow chains for everyone before deeper ones for anyone. */
    for (int depth = 1; depth <= 3; depth++) {
        for (uint32_t j = 0; j < n; j++) {
            uint32_t m = order[j];
            if (st->booked >= upper_bound || st_should_stop(st))
                goto done;
            if (st->slot[m] != SCHED_NONE)
                continue;
            size_t mark = st->nlog;
            uint32_t budget = 200u << (2 * depth);
            if (!book_relocate(st, m, depth, &budget, -1))
                st_undo_to(st, mark);
            st->nlog = mark;
        }
    }
done:
    st->logging = logging;
    free(order);
}

uint32_t book_fill(struct sstate *st)
{
    uint32_t n, got = 0;
    uint32_t *order = waiting_order(st, &n);
    for (uint32_t j = 0; j < n; j++)
        got += best_fit(st, order[j], -1);
    free(order);
    return got;
}
