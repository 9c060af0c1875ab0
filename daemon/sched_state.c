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

/* Blocks of consecutive set bits: a participant's breaks are its blocks
 * minus one. A block starts at a set bit whose lower neighbour is clear. */
uint32_t st_runs(const uint64_t *bits, uint32_t words)
{
    uint32_t runs = 0;
    uint64_t carry = 0;
    for (uint32_t w = 0; w < words; w++) {
        uint64_t x = bits[w];
        runs += (uint32_t)__builtin_popcountll(x & ~((x << 1) | carry));
        carry = x >> 63;
    }
    return runs;
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

/* Takes p's breaks out of the totals before its meetings change... */
static void part_out(struct sstate *st, uint32_t p)
{
    if (st->count[p] == 0)
        return;
    st->breaks -= st->brk[p];
    hist_remove(st, st->brk[p]);
}

/* ...and puts them back, recounted, afterwards. */
static void part_in(struct sstate *st, uint32_t p)
{
    if (st->count[p] == 0) {
        st->brk[p] = 0;
        return;
    }
    st->brk[p] = st_runs(st->busy + (size_t)p * st->words, st->words) - 1;
    st->breaks += st->brk[p];
    hist_add(st, st->brk[p]);
}

static void part_toggle(struct sstate *st, uint32_t p, uint32_t s, int delta)
{
    part_out(st, p);
    st->busy[(size_t)p * st->words + s / 64] ^= (uint64_t)1 << (s % 64);
    st->count[p] += (uint32_t)delta;
    part_in(st, p);
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
        uint32_t c = (uint32_t)__builtin_popcountll(x);
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

/* Input checks that need no state: ranges and the flags' logic. */
static int check_meeting(const struct sched_problem *pb, uint32_t m,
                         struct err *err)
{
    const struct sched_meeting *mt = &pb->meetings[m];
    if (mt->a >= pb->nparticipants || mt->b >= pb->nparticipants ||
        mt->a == mt->b)
        return err_set(err, ERR_BAD_REQUEST,
                       "meetings[%u]: participants %u and %u are not two of "
                       "the %u",
                       m, mt->a, mt->b, pb->nparticipants);
    if (mt->ninterpreters && !mt->interpreters)
        return err_set(err, ERR_BAD_REQUEST,
                       "meetings[%u].interpreters: missing", m);
    bool eligible = false;
    for (uint32_t k = 0; k < mt->ninterpreters; k++) {
        if (mt->interpreters[k] >= pb->ninterpreters)
            return err_set(err, ERR_BAD_REQUEST,
                           "meetings[%u].interpreters[%u]: no interpreter %u",
                           m, k, mt->interpreters[k]);
        eligible |= (int)mt->interpreters[k] == mt->interpreter;
    }
    if (mt->fixed && !mt->was_scheduled)
        return err_set(err, ERR_BAD_REQUEST,
                       "meetings[%u]: fixed but not scheduled", m);
    if (!mt->was_scheduled) {
        if (mt->slot != SCHED_NONE || mt->table != SCHED_NONE ||
            mt->interpreter != SCHED_NONE)
            return err_set(err, ERR_BAD_REQUEST,
                           "meetings[%u]: booked but not was_scheduled", m);
        return 0;
    }
    if (mt->slot < 0 || (uint32_t)mt->slot >= pb->nslots)
        return err_set(err, ERR_BAD_REQUEST, "meetings[%u].slot: %d", m,
                       mt->slot);
    if (mt->table < 0 || (uint32_t)mt->table >= pb->ntables)
        return err_set(err, ERR_BAD_REQUEST, "meetings[%u].table: %d", m,
                       mt->table);
    if (mt->ninterpreters == 0 ? mt->interpreter != SCHED_NONE : !eligible)
        return err_set(err, ERR_BAD_REQUEST,
                       "meetings[%u].interpreter: %d is not one of its own", m,
                       mt->interpreter);
    return 0;
}

static void build_adjacency(struct sstate *st)
{
    const struct sched_problem *pb = st->pb;
    st->adj_start = xcalloc(st->np + 1, sizeof(uint32_t));
    st->adj = xmalloc(2 * (size_t)st->nm * sizeof(uint32_t));
    for (uint32_t m = 0; m < st->nm; m++) {
        st->adj_start[pb->meetings[m].a + 1]++;
        st->adj_start[pb->meetings[m].b + 1]++;
    }
    for (uint32_t p = 0; p < st->np; p++)
        st->adj_start[p + 1] += st->adj_start[p];
    uint32_t *fill = xmalloc((st->np + 1) * sizeof(uint32_t));
    memcpy(fill, st->adj_start, (st->np + 1) * sizeof(uint32_t));
    for (uint32_t m = 0; m < st->nm; m++) {
        st->adj[fill[pb->meetings[m].a]++] = m;
        st->adj[fill[pb->meetings[m].b]++] = m;
    }
    free(fill);
}

/* A meeting may go where its slot set and both sides' free slots agree; a
 * fixed one only where it is. */
static void build_candidates(struct sstate *st)
{
    const struct sched_problem *pb = st->pb;
    uint32_t W = st->words;
    uint64_t last =
        st->nslots % 64 ? ((uint64_t)1 << (st->nslots % 64)) - 1 : ~(uint64_t)0;
    st->cand = xcalloc((size_t)st->nm * W, sizeof(uint64_t));
    st->ncand = xcalloc(st->nm, sizeof(uint32_t));
    for (uint32_t m = 0; m < st->nm; m++) {
        const struct sched_meeting *mt = &pb->meetings[m];
        uint64_t *c = st->cand + (size_t)m * W;
        if (mt->fixed) {
            c[mt->slot / 64] = (uint64_t)1 << (mt->slot % 64);
        } else {
            const uint64_t *fa = pb->participants[mt->a].free;
            const uint64_t *fb = pb->participants[mt->b].free;
            for (uint32_t w = 0; w < W; w++) {
                uint64_t x = w + 1 == W ? last : ~(uint64_t)0;
                if (mt->allowed)
                    x &= mt->allowed[w];
                if (fa)
                    x &= fa[w];
                if (fb)
                    x &= fb[w];
                c[w] = x;
            }
        }
        for (uint32_t w = 0; w < W; w++)
            st->ncand[m] += (uint32_t)__builtin_popcountll(c[w]);
    }
}

static int cmp_booking(const void *x, const void *y)
{
    const uint32_t *a = x, *b = y;
    if (a[0] != b[0])
        return a[0] < b[0] ? -1 : 1;
    return a[1] < b[1] ? -1 : a[1] > b[1];
}

/* Books the meetings booked now, fixed ones first so that the others are
 * checked against their caps, and refuses any collision. */
static int place_booked(struct sstate *st, struct err *err)
{
    const struct sched_problem *pb = st->pb;
    uint32_t *tables = xmalloc(3 * (size_t)st->nm * sizeof(uint32_t) + 1);
    size_t nt = 0;
    int rc = 0;
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        for (uint32_t m = 0; m < st->nm && rc == 0; m++) {
            const struct sched_meeting *mt = &pb->meetings[m];
            if (!mt->was_scheduled || mt->fixed != (pass == 0))
                continue;
            uint32_t s = (uint32_t)mt->slot;
            int32_t other = st_meeting_at(st, mt->a, s);
            if (other < 0)
                other = st_meeting_at(st, mt->b, s);
            if (other >= 0) {
                rc = err_set(err, ERR_BAD_REQUEST,
                             "meetings[%u]: slot %u already holds meetings[%d] "
                             "of the same participant",
                             m, s, other);
            } else if (mt->interpreter >= 0 &&
                       st->iocc[(size_t)mt->interpreter * st->nslots + s] >=
                           0) {
                rc = err_set(err, ERR_BAD_REQUEST,
                             "meetings[%u].interpreter: %d already holds a "
                             "meeting in slot %u",
                             m, mt->interpreter, s);
            } else if (!mt->fixed && !st_in_set(st_cand(st, m), s)) {
                rc = err_set(err, ERR_BAD_REQUEST,
                             "meetings[%u].slot: %u is not free for both sides "
                             "or not allowed",
                             m, s);
            } else if (!mt->fixed && (st->count[mt->a] >= st->cap[mt->a] ||
                                      st->count[mt->b] >= st->cap[mt->b])) {
                rc =
                    err_set(err, ERR_BAD_REQUEST,
                            "meetings[%u]: a side is over its max_meetings", m);
            } else {
                st_place(st, m, s, mt->interpreter);
                tables[3 * nt] = s;
                tables[3 * nt + 1] = (uint32_t)mt->table;
                tables[3 * nt++ + 2] = m;
            }
        }
    }
    if (rc == 0) {
        qsort(tables, nt, 3 * sizeof(uint32_t), cmp_booking);
        for (size_t k = 1; k < nt && rc == 0; k++)
            if (tables[3 * k] == tables[3 * k - 3] &&
                tables[3 * k + 1] == tables[3 * k - 2])
                rc = err_set(err, ERR_BAD_REQUEST,
                             "meetings[%u].table: %u already holds "
                             "meetings[%u] in slot %u",
                             tables[3 * k + 2], tables[3 * k + 1],
                             tables[3 * k - 1], tables[3 * k]);
    }
    free(tables);
    return rc;
}

int st_init(struct sstate *st, const struct sched_problem *pb, struct err *err)
{
    memset(st, 0, sizeof *st);
    if (pb->nslots == 0 || pb->nslots > SCHED_SLOTS_MAX)
        return err_set(err, ERR_BAD_REQUEST, "nslots: %u, not 1-%d", pb->nslots,
                       SCHED_SLOTS_MAX);
    if ((pb->nparticipants && !pb->participants) ||
        (pb->nmeetings && !pb->meetings) || pb->nmeetings > INT32_MAX)
        return err_set(err, ERR_BAD_REQUEST,
                       "participants or meetings: "
                       "missing or too many");
    for (uint32_t p = 0; p < pb->nparticipants; p++)
        if (pb->participants[p].max_meetings < SCHED_UNLIMITED)
            return err_set(err, ERR_BAD_REQUEST,
                           "participants[%u].max_meetings: %d", p,
                           pb->participants[p].max_meetings);
    for (uint32_t m = 0; m < pb->nmeetings; m++)
        if (check_meeting(pb, m, err) < 0)
            return -1;

    st->pb = pb;
    st->nslots = pb->nslots;
    st->words = (uint32_t)SCHED_WORDS(pb->nslots);
    st->ntables = pb->ntables;
    st->nm = pb->nmeetings;
    st->np = pb->nparticipants;
    size_t nm = st->nm, np = st->np, S = st->nslots;

    st->slot = xmalloc((nm + 1) * sizeof(int32_t));
    st->interp = xmalloc((nm + 1) * sizeof(int32_t));
    st->flags = xcalloc(nm + 1, 1);
    st->slot_pos = xcalloc(nm + 1, sizeof(uint32_t));
    st->pool = xmalloc((nm + 1) * sizeof(uint32_t));
    st->pool_pos = xmalloc((nm + 1) * sizeof(uint32_t));
    st->busy = xcalloc(np * st->words + 1, sizeof(uint64_t));
    st->count = xcalloc(np + 1, sizeof(uint32_t));
    st->cap = xmalloc((np + 1) * sizeof(uint32_t));
    st->brk = xcalloc(np + 1, sizeof(uint32_t));
    st->used = xcalloc(S, sizeof(uint32_t));
    st->in_slot = xcalloc(S, sizeof(uint32_t *));
    st->in_slot_cap = xcalloc(S, sizeof(uint32_t));
    st->iocc = xmalloc((pb->ninterpreters * S + 1) * sizeof(int32_t));
    memset(st->iocc, 0xff, (pb->ninterpreters * S + 1) * sizeof(int32_t));
    st->hist = xcalloc(S + 1, sizeof(uint32_t));

    for (uint32_t p = 0; p < st->np; p++) {
        int mx = pb->participants[p].max_meetings;
        st->cap[p] = mx == SCHED_UNLIMITED ? UINT32_MAX : (uint32_t)mx;
    }
    build_adjacency(st);
    build_candidates(st);
    for (uint32_t m = 0; m < st->nm; m++) {
        st->slot[m] = st->interp[m] = SCHED_NONE;
        st->pool_pos[m] = UINT32_MAX;
        st->flags[m] = (pb->meetings[m].fixed ? MF_FIXED : 0) |
                       (pb->meetings[m].was_scheduled ? MF_KEEP : 0);
        /* Only meetings that can move or be booked are worth a search. */
        if (!pb->meetings[m].fixed && st->ncand[m] > 0) {
            st->pool[st->npool] = m;
            st->pool_pos[m] = st->npool++;
        }
    }
    if (place_booked(st, err) < 0) {
        st_free(st);
        return -1;
    }
    return 0;
}

void st_free(struct sstate *st)
{
    if (st->in_slot)
        for (uint32_t s = 0; s < st->nslots; s++)
            free(st->in_slot[s]);
    free(st->in_slot);
    free(st->in_slot_cap);
    free(st->used);
    free(st->slot);
    free(st->interp);
    free(st->flags);
    free(st->slot_pos);
    free(st->pool);
    free(st->pool_pos);
    free(st->busy);
    free(st->count);
    free(st->cap);
    free(st->brk);
    free(st->iocc);
    free(st->hist);
    free(st->adj_start);
    free(st->adj);
    free(st->cand);
    free(st->ncand);
    free(st->log);
    memset(st, 0, sizeof *st);
}
