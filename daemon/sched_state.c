/* sched_state.c: the optimizer's state and the only two ways to change
 * it, st_place and st_unplace. Both keep every participant's breaks, the
 * total and the histogram behind the fairness spread up to date, so that
 * a move costs a few word operations, and both write the journal that
 * st_undo_to replays backwards to reject a move or to return to the best
 * schedule found. */
#include <stdlib.h>
#include <string.h>

#include "sched_int.h"
#include "xmalloc.h"

uint64_t st_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Reading the clock costs little, but this runs in every inner loop. */
bool st_should_stop(struct sstate *st)
{
    if (st->stopped)
        return true;
    if ((++st->tick & 63) != 0)
        return false;
    if (st->cancel && atomic_load_explicit(st->cancel, memory_order_relaxed)) {
        st->stopped = true;
        st->why = SCHED_STOP_CANCELLED;
    } else if (st_now_ns() >= st->deadline_ns) {
        st->stopped = true;
        st->why = SCHED_STOP_BUDGET;
    }
    return st->stopped;
}

bool st_in_set(const uint64_t *set, uint32_t s)
{
    return (set[s / 64] >> (s % 64)) & 1;
}

const uint64_t *st_cand(const struct sstate *st, uint32_t m)
{
    return st->cand + (size_t)m * st->words;
}

bool st_busy(const struct sstate *st, uint32_t p, uint32_t s)
{
    return st_in_set(st->busy + (size_t)p * st->words, s);
}

int32_t st_meeting_at(const struct sstate *st, uint32_t p, uint32_t s)
{
    if (!st_busy(st, p, s))
        return -1;
    for (uint32_t k = st->adj_start[p]; k < st->adj_start[p + 1]; k++)
        if (st->slot[st->adj[k]] == (int32_t)s)
            return (int32_t)st->adj[k];
    return -1;
}

static void hist_add(struct sstate *st, uint32_t k)
{
    if (st->nactive == 0) {
        st->hist_lo = st->hist_hi = k;
    } else {
        if (k < st->hist_lo)
            st->hist_lo = k;
        if (k > st->hist_hi)
            st->hist_hi = k;
    }
    st->hist[k]++;
    st->nactive++;
}

static void hist_remove(struct sstate *st, uint32_t k)
{
    st->hist[k]--;
    if (--st->nactive == 0)
        return;
    while (st->hist[st->hist_hi] == 0)
        st->hist_hi--;
    while (st->hist[st->hist_lo] == 0)
        st->hist_lo++;
}

uint32_t st_spread(const struct sstate *st)
{
    return st->nactive ? st->hist_hi - st->hist_lo : 0;
}

/* The spread if participants ps[0..n), each with a meeting, had to[k]
 * breaks: the histogram is changed and changed back, which leaves it as
 * it was (both ways keep its ends exact). */
uint32_t st_spread_if(struct sstate *st, const uint32_t *ps, const uint32_t *to,
                      uint32_t n)
{
    for (uint32_t k = 0; k < n; k++) {
        hist_remove(st, st->brk[ps[k]]);
        hist_add(st, to[k]);
    }
    uint32_t sp = st_spread(st);
    for (uint32_t k = 0; k < n; k++) {
        hist_remove(st, to[k]);
        hist_add(st, st->brk[ps[k]]);
    }
    return sp;
}

/* Toggles p's meeting in slot s and keeps its breaks, the total and the
 * histogram current. A slot joining two neighbours merges two blocks, one
 * with neither starts a block; leaving undoes that. */
static void part_toggle(struct sstate *st, uint32_t p, uint32_t s, int delta)
{
    uint64_t *busy = st->busy + (size_t)p * st->words;
    bool left = s > 0 && st_in_set(busy, s - 1);
    bool right = s + 1 < st->nslots && st_in_set(busy, s + 1);
    int blocks_delta = left && right ? -1 : !left && !right ? 1 : 0;
    busy[s / 64] ^= (uint64_t)1 << (s % 64);
    bool was = st->count[p] > 0;
    st->count[p] += (uint32_t)delta;
    bool is = st->count[p] > 0;
    uint32_t blocks =
        (was ? st->brk[p] + 1 : 0) + (uint32_t)(blocks_delta * delta);
    uint32_t brk = blocks ? blocks - 1 : 0;
    if (was == is && brk == st->brk[p])
        return;
    if (was) {
        st->breaks -= st->brk[p];
        hist_remove(st, st->brk[p]);
    }
    st->brk[p] = brk;
    if (is) {
        st->breaks += brk;
        hist_add(st, brk);
    }
}

static void pool_swap(struct sstate *st, uint32_t i, uint32_t j)
{
    uint32_t x = st->pool[i], y = st->pool[j];
    st->pool[i] = y;
    st->pool[j] = x;
    st->pool_pos[y] = i;
    st->pool_pos[x] = j;
}

static void journal(struct sstate *st, uint32_t m, int32_t s, int32_t i,
                    bool placed)
{
    if (!st->logging)
        return;
    if (st->nlog == st->log_cap) {
        st->log_cap = st->log_cap ? 2 * st->log_cap : 1024;
        st->log = xrealloc(st->log, st->log_cap * sizeof *st->log);
    }
    st->log[st->nlog++] = (struct sop){m, s, i, placed};
}

void st_place(struct sstate *st, uint32_t m, uint32_t s, int32_t interp)
{
    const struct sched_meeting *mt = &st->pb->meetings[m];
    part_toggle(st, mt->a, s, 1);
    part_toggle(st, mt->b, s, 1);
    st->slot[m] = (int32_t)s;
    st->interp[m] = interp;
    if (interp >= 0)
        st->iocc[(size_t)interp * st->nslots + s] = (int32_t)m;
    if (st->used[s] == st->in_slot_cap[s]) {
        st->in_slot_cap[s] = st->in_slot_cap[s] ? 2 * st->in_slot_cap[s] : 8;
        st->in_slot[s] =
            xrealloc(st->in_slot[s], st->in_slot_cap[s] * sizeof(uint32_t));
    }
    st->slot_pos[m] = st->used[s];
    st->in_slot[s][st->used[s]++] = m;
    st->booked++;
    if (st->pool_pos[m] != UINT32_MAX)
        pool_swap(st, st->pool_pos[m], st->nbooked_pool++);
    journal(st, m, (int32_t)s, interp, true);
}

void st_unplace(struct sstate *st, uint32_t m)
{
    const struct sched_meeting *mt = &st->pb->meetings[m];
    uint32_t s = (uint32_t)st->slot[m];
    int32_t interp = st->interp[m];
    part_toggle(st, mt->a, s, -1);
    part_toggle(st, mt->b, s, -1);
    if (interp >= 0)
        st->iocc[(size_t)interp * st->nslots + s] = -1;
    uint32_t last = st->in_slot[s][--st->used[s]];
    st->in_slot[s][st->slot_pos[m]] = last;
    st->slot_pos[last] = st->slot_pos[m];
    st->slot[m] = SCHED_NONE;
    st->interp[m] = SCHED_NONE;
    st->booked--;
    if (st->pool_pos[m] != UINT32_MAX)
        pool_swap(st, st->pool_pos[m], --st->nbooked_pool);
    journal(st, m, (int32_t)s, interp, false);
}

void st_undo_to(struct sstate *st, size_t mark)
{
    bool logging = st->logging;
    st->logging = false;
    while (st->nlog > mark) {
        const struct sop *op = &st->log[--st->nlog];
        if (op->placed)
            st_unplace(st, op->m);
        else
            st_place(st, op->m, (uint32_t)op->slot, op->interp);
    }
    st->logging = logging;
}

int32_t st_interp_for(const struct sstate *st, uint32_t m, uint32_t s)
{
    const struct sched_meeting *mt = &st->pb->meetings[m];
    if (mt->ninterpreters == 0)
        return SCHED_NONE;
    for (uint32_t k = 0; k < mt->ninterpreters; k++) {
        uint32_t i = mt->interpreters[k];
        if (st->iocc[(size_t)i * st->nslots + s] < 0)
            return (int32_t)i;
    }
    return NO_INTERP;
}

/* Frees one of m's interpreters in s by handing its meeting over to
 * another interpreter of that meeting's own who is free there: one step
 * of an augmenting path, which is all that small interpreter pools need. */
int32_t st_interp_make_room(struct sstate *st, uint32_t m, uint32_t s)
{
    const struct sched_meeting *mt = &st->pb->meetings[m];
    for (uint32_t k = 0; k < mt->ninterpreters; k++) {
        uint32_t i = mt->interpreters[k];
        int32_t h = st->iocc[(size_t)i * st->nslots + s];
        if (h < 0)
            return (int32_t)i;
        if (st->flags[h] & MF_FIXED)
            continue;
        const struct sched_meeting *ht = &st->pb->meetings[h];
        for (uint32_t q = 0; q < ht->ninterpreters; q++) {
            uint32_t j = ht->interpreters[q];
            if (st->iocc[(size_t)j * st->nslots + s] < 0) {
                st_unplace(st, (uint32_t)h);
                st_place(st, (uint32_t)h, s, (int32_t)j);
                return (int32_t)i;
            }
        }
    }
    return NO_INTERP;
}

bool st_fits(const struct sstate *st, uint32_t m, uint32_t s, int32_t *interp)
{
    const struct sched_meeting *mt = &st->pb->meetings[m];
    if (!st_in_set(st_cand(st, m), s) || st->used[s] >= st->ntables ||
        st_busy(st, mt->a, s) || st_busy(st, mt->b, s) ||
        st->count[mt->a] >= st->cap[mt->a] ||
        st->count[mt->b] >= st->cap[mt->b])
        return false;
    *interp = st_interp_for(st, m, s);
    return *interp != NO_INTERP;
}

/* xorshift64*: small, fast and good enough to pick moves. */
uint64_t st_rand(struct sstate *st)
{
    uint64_t x = st->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    st->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

uint32_t st_below(struct sstate *st, uint32_t n)
{
    return (uint32_t)(((st_rand(st) >> 32) * (uint64_t)n) >> 32);
}

/* The n-th (from 0) slot of a set, or -1. */
int32_t st_nth_slot(const uint64_t *set, uint32_t words, uint32_t n)
{
    for (uint32_t w = 0; w < words; w++) {
        uint64_t x = set[w];
        uint32_t c = st_popcount(x);
        if (n >= c) {
            n -= c;
            continue;
        }
        while (n--)
            x &= x - 1;
        return (int32_t)(w * 64 + (uint32_t)__builtin_ctzll(x));
    }
    return -1;
}

int32_t st_random_cand(struct sstate *st, uint32_t m)
{
    if (st->ncand[m] == 0)
        return -1;
    return st_nth_slot(st_cand(st, m), st->words, st_below(st, st->ncand[m]));
}
