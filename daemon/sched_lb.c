/* sched_lb.c: the lower bound on breaks (schedule.h states it).
 *
 * Each participant alone: the fewest blocks of consecutive slots that can
 * hold k of its meetings, each in a slot of its own where it may go. A
 * set U of slots can hold them when a matching gives every slot of U its
 * own meeting; so the search below lays out blocks left to right, adding
 * one slot at a time by an augmenting path, and drops a layout as soon as
 * a slot cannot be matched (no superset of U can be then). It tries one
 * block, then two, and so on; a count whose search is cut short by the
 * work cap is where the bound stays, so it is always valid, only weaker.
 * Breaks are blocks - 1, and participants' breaks add up.
 *
 * Then, when everyone holds all of its meetings, one more break when no
 * schedule lets every participant use its fewest blocks: under that
 * assumption a meeting lies where both sides can be busy in such a
 * layout, which narrows its slots, which narrows the layouts, and so on;
 * a participant left without one, or a slot where the participants who
 * must be busy cannot pair up (an odd number while everyone else must be
 * idle) or need more tables than there are, refutes it. */
#include <stdlib.h>
#include <string.h>

#include "sched_int.h"
#include "xmalloc.h"

/* Steps (a meeting looked at by an augmenting path) one participant may
 * take per search, and all of them: enough for events of hundreds of
 * meetings, and a few milliseconds at most on an expo. */
#define LB_WORK_ONE 20000
#define LB_WORK_ALL 4000000
/* Rounds of narrowing: each costs a search per participant. */
#define LB_ROUNDS 4

struct lb {
    const struct sstate *st;
    uint32_t S, W;
    uint64_t *mcand; /* nm * W: a meeting's slots, as narrowed */

    /* The participant at hand: its meetings (d), their slots, k of them
     * to hold, the slots where its fixed meetings are. */
    uint32_t d, k;
    uint64_t *cand;           /* d * W */
    uint64_t *reach, *fixed;  /* W */
    uint32_t *reach_from;     /* S + 1: slots of reach at s and after */
    int32_t *fixed_from;      /* S + 1: first fixed slot at s or after */
    int32_t *slot_of, *mt_of; /* matching: meeting -> slot, slot -> meeting */
    uint32_t *seen, stamp;    /* per meeting: visited in this path search */
    uint32_t *runs;           /* S */
    uint64_t work, work_all;
    bool cut;

    /* Enumerating every layout of the fewest blocks: U as it is laid
     * out, and the union and intersection of those found. */
    bool all;
    uint64_t *u, *uni, *inter; /* W each */
    uint32_t found;
};

/* Finds slot s a meeting, moving others along an augmenting path. */
static bool augment(struct lb *l, uint32_t s)
{
    for (uint32_t j = 0; j < l->d; j++) {
        if (l->seen[j] == l->stamp || !st_in_set(l->cand + (size_t)j * l->W, s))
            continue;
        l->seen[j] = l->stamp;
        if (++l->work > LB_WORK_ONE) {
            l->cut = true;
            return false;
        }
        if (l->slot_of[j] < 0 || augment(l, (uint32_t)l->slot_of[j])) {
            l->slot_of[j] = (int32_t)s;
            l->mt_of[s] = (int32_t)j;
            return true;
        }
    }
    return false;
}

static bool add_slot(struct lb *l, uint32_t s)
{
    l->stamp++;
    if (!augment(l, s))
        return false;
    l->u[s / 64] |= (uint64_t)1 << (s % 64);
    return true;
}

/* U minus s still has every slot matched. */
static void drop_slot(struct lb *l, uint32_t s)
{
    l->slot_of[l->mt_of[s]] = -1;
    l->mt_of[s] = -1;
    l->u[s / 64] &= ~((uint64_t)1 << (s % 64));
}

/* A complete layout: when enumerating, recorded, and the search goes on
 * (true stops it). */
static bool complete(struct lb *l)
{
    if (!l->all)
        return true;
    for (uint32_t w = 0; w < l->W; w++) {
        l->uni[w] |= l->u[w];
        l->inter[w] = l->found ? l->inter[w] & l->u[w] : l->u[w];
    }
    l->found++;
    return false;
}

/* Whether blocks (at most `left` more, the next starting at pos or
 * later) can bring U from len slots to k without skipping a fixed slot. */
static bool layout(struct lb *l, uint32_t pos, uint32_t left, uint32_t len)
{
    uint32_t S = l->S;
    if (len == l->k)
        return (pos >= S || l->fixed_from[pos] < 0) && complete(l);
    if (left == 0 || l->cut)
        return false;
    int32_t must = pos < S ? l->fixed_from[pos] : -1;
    for (uint32_t a = pos; a < S; a++) {
        if (must >= 0 && a > (uint32_t)must)
            break;
        if (len + l->reach_from[a] < l->k)
            break;
        if (!st_in_set(l->reach, a))
            continue;
        uint32_t e = a;
        bool found = false;
        /* The block [a, e]: grown one slot at a time, tried as it grows;
         * the last block must reach k by itself. */
        while (e < S && len + (e - a) < l->k && st_in_set(l->reach, e) &&
               add_slot(l, e)) {
            e++;
            uint32_t got = len + (e - a);
            bool next_fixed = e < S && st_in_set(l->fixed, e);
            if (!next_fixed && (left > 1 || got == l->k) &&
                layout(l, e + 1, left - 1, got)) {
                found = true;
                break;
            }
        }
        for (uint32_t s = a; s < e; s++)
            drop_slot(l, s);
        if (found)
            return true;
        if (l->cut)
            return false;
    }
    return false;
}

static int cmp_desc(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a > b ? -1 : a < b;
}

/* Loads p's meetings with their slots as narrowed. Returns the fewest
 * blocks by runs of reach: the runs holding fixed slots, then the
 * longest others until k fit. */
static uint32_t load(struct lb *l, uint32_t p, uint32_t k)
{
    const struct sstate *st = l->st;
    uint32_t W = l->W, S = l->S;
    l->k = k;
    l->d = 0;
    memset(l->reach, 0, W * sizeof *l->reach);
    memset(l->fixed, 0, W * sizeof *l->fixed);
    memset(l->u, 0, W * sizeof *l->u);
    for (uint32_t i = st->adj_start[p]; i < st->adj_start[p + 1]; i++) {
        uint32_t m = st->adj[i];
        const uint64_t *c = l->mcand + (size_t)m * W;
        memcpy(l->cand + (size_t)l->d * W, c, W * sizeof *c);
        for (uint32_t w = 0; w < W; w++) {
            l->reach[w] |= c[w];
            if (st->flags[m] & MF_FIXED)
                l->fixed[w] |= c[w];
        }
        l->slot_of[l->d++] = -1;
    }
    l->reach_from[S] = 0;
    l->fixed_from[S] = -1;
    for (uint32_t s = S; s-- > 0;) {
        l->reach_from[s] = l->reach_from[s + 1] + st_in_set(l->reach, s);
        l->fixed_from[s] =
            st_in_set(l->fixed, s) ? (int32_t)s : l->fixed_from[s + 1];
        l->mt_of[s] = -1;
    }
    uint32_t nruns = 0, blocks = 0, got = 0;
    for (uint32_t s = 0; s < S;) {
        if (!st_in_set(l->reach, s)) {
            s++;
            continue;
        }
        uint32_t a = s;
        bool has_fixed = false;
        for (; s < S && st_in_set(l->reach, s); s++)
            has_fixed |= st_in_set(l->fixed, s);
        if (has_fixed) {
            blocks++;
            got += s - a;
        } else {
            l->runs[nruns++] = s - a;
        }
    }
    qsort(l->runs, nruns, sizeof *l->runs, cmp_desc);
    for (uint32_t r = 0; r < nruns && got < k; r++) {
        got += l->runs[r];
        blocks++;
    }
    return blocks;
}

/* Fewest blocks of p holding k meetings; *exact says the search settled
 * it (it was not cut short, and k can be held at all). */
static uint32_t fewest_blocks(struct lb *l, uint32_t p, uint32_t k, bool *exact)
{
    *exact = false;
    if (k == 0)
        return 0;
    uint32_t blocks = load(l, p, k);
    /* More meetings than slots to hold them: no such schedule, and the
     * bound does not matter; nor does it when the cap is spent. */
    if (l->reach_from[0] < k || l->work_all > LB_WORK_ALL)
        return blocks;
    if (blocks == 0)
        blocks = 1;
    l->work = 0;
    l->cut = false;
    l->all = false;
    for (uint32_t b = blocks; b <= k; b++) {
        bool ok = layout(l, 0, b, 0);
        l->work_all += l->work;
        if (ok || l->cut) {
            *exact = ok;
            return b;
        }
    }
    return blocks; /* k cannot be held at all */
}

/* Every layout of p in `blocks` blocks, into uni and inter (W words of
 * each); false when there is none. Cut short, uni is p's reach and inter
 * empty: nothing is known. */
static bool layouts(struct lb *l, uint32_t p, uint32_t blocks, uint64_t *uni,
                    uint64_t *inter)
{
    load(l, p, l->st->adj_start[p + 1] - l->st->adj_start[p]);
    l->uni = uni;
    l->inter = inter;
    memset(uni, 0, l->W * sizeof *uni);
    memset(inter, 0, l->W * sizeof *inter);
    l->work = 0;
    l->cut = l->work_all > LB_WORK_ALL;
    l->all = true;
    l->found = 0;
    if (!l->cut)
        layout(l, 0, blocks, 0);
    l->work_all += l->work;
    if (l->cut) {
        memcpy(uni, l->reach, l->W * sizeof *uni);
        memset(inter, 0, l->W * sizeof *inter);
        return true;
    }
    return l->found > 0;
}

/* Whether no schedule holding every meeting gives every participant its
 * fewest blocks (blocks[p], settled where exact[p]). */
static bool refuted(struct lb *l, const uint32_t *blocks, const bool *exact)
{
    const struct sstate *st = l->st;
    uint32_t W = l->W, S = l->S;
    uint64_t *uni = xcalloc((size_t)st->np * W + 1, sizeof(uint64_t));
    uint64_t *inter = xcalloc((size_t)st->np * W + 1, sizeof(uint64_t));
    bool refute = false, narrowed = true;
    for (int round = 0; round < LB_ROUNDS && narrowed && !refute; round++) {
        for (uint32_t p = 0; p < st->np && !refute; p++) {
            uint64_t *u = uni + (size_t)p * W, *in = inter + (size_t)p * W;
            if (!exact[p]) {
                /* Unknown: it may be busy wherever it has a meeting. */
                for (uint32_t i = st->adj_start[p]; i < st->adj_start[p + 1];
                     i++)
                    for (uint32_t w = 0; w < W; w++)
                        u[w] |= l->mcand[(size_t)st->adj[i] * W + w];
                continue;
            }
            refute = !layouts(l, p, blocks[p], u, in);
        }
        /* A meeting goes where both sides can be busy. */
        narrowed = false;
        for (uint32_t m = 0; m < st->nm && !refute; m++) {
            const struct sched_meeting *mt = &st->pb->meetings[m];
            uint64_t *c = l->mcand + (size_t)m * W, any = 0;
            for (uint32_t w = 0; w < W; w++) {
                uint64_t x = c[w] & uni[(size_t)mt->a * W + w] &
                             uni[(size_t)mt->b * W + w];
                narrowed |= x != c[w];
                c[w] = x;
                any |= x;
            }
            refute = !any;
        }
    }
    /* Slots: the participants that must be busy, and whether all others
     * must be idle. */
    for (uint32_t s = 0; s < S && !refute; s++) {
        uint32_t busy = 0;
        bool settled = true;
        for (uint32_t p = 0; p < st->np; p++) {
            if (st_in_set(inter + (size_t)p * W, s) && exact[p])
                busy++;
            else if (st_in_set(uni + (size_t)p * W, s))
                settled = false;
        }
        refute = busy > 2 * (uint64_t)st->ntables || (settled && busy % 2);
    }
    free(uni);
    free(inter);
    return refute;
}

uint64_t sb_breaks_lower_bound(const struct sstate *st,
                               const uint32_t *meetings_of, uint32_t *fewest)
{
    uint32_t S = st->nslots, W = st->words, maxdeg = 0;
    bool holds_all = true;
    for (uint32_t p = 0; p < st->np; p++) {
        uint32_t d = st->adj_start[p + 1] - st->adj_start[p];
        maxdeg = d > maxdeg ? d : maxdeg;
        holds_all &= meetings_of[p] == d;
    }
    struct lb l = {.st = st, .S = S, .W = W};
    /* A meeting that is not fixed cannot go where a side has a fixed
     * one. */
    uint64_t *fixed_busy = xcalloc((size_t)st->np * W + 1, sizeof(uint64_t));
    for (uint32_t m = 0; m < st->nm; m++) {
        if (!(st->flags[m] & MF_FIXED))
            continue;
        const struct sched_meeting *mt = &st->pb->meetings[m];
        uint64_t bit = (uint64_t)1 << (mt->slot % 64);
        fixed_busy[(size_t)mt->a * W + (uint32_t)mt->slot / 64] |= bit;
        fixed_busy[(size_t)mt->b * W + (uint32_t)mt->slot / 64] |= bit;
    }
    l.mcand = xmalloc(((size_t)st->nm * W + 1) * sizeof(uint64_t));
    for (uint32_t m = 0; m < st->nm; m++) {
        const struct sched_meeting *mt = &st->pb->meetings[m];
        const uint64_t *c = st_cand(st, m);
        bool fixed = st->flags[m] & MF_FIXED;
        for (uint32_t w = 0; w < W; w++)
            l.mcand[(size_t)m * W + w] =
                fixed ? c[w]
                      : c[w] & ~fixed_busy[(size_t)mt->a * W + w] &
                            ~fixed_busy[(size_t)mt->b * W + w];
    }
    free(fixed_busy);
    l.cand = xmalloc(((size_t)maxdeg * W + 1) * sizeof(uint64_t));
    l.reach = xmalloc((W + 1) * sizeof(uint64_t));
    l.fixed = xmalloc((W + 1) * sizeof(uint64_t));
    l.u = xmalloc((W + 1) * sizeof(uint64_t));
    l.reach_from = xmalloc((S + 1) * sizeof(uint32_t));
    l.fixed_from = xmalloc((S + 1) * sizeof(int32_t));
    l.mt_of = xmalloc((S + 1) * sizeof(int32_t));
    l.slot_of = xmalloc((maxdeg + 1) * sizeof(int32_t));
    l.seen = xcalloc(maxdeg + 1, sizeof(uint32_t));
    l.runs = xmalloc((S + 1) * sizeof(uint32_t));
    uint32_t *blocks = xmalloc((st->np + 1) * sizeof(uint32_t));
    bool *exact = xmalloc(st->np + 1);
    uint64_t total = 0;
    for (uint32_t p = 0; p < st->np; p++) {
        blocks[p] = fewest_blocks(&l, p, meetings_of[p], &exact[p]);
        total += blocks[p] > 0 ? blocks[p] - 1 : 0;
        if (fewest)
            fewest[p] = blocks[p] > 0 ? blocks[p] - 1 : 0;
    }
    if (holds_all && refuted(&l, blocks, exact))
        total++;
    free(blocks);
    free(exact);
    free(l.mcand);
    free(l.cand);
    free(l.reach);
    free(l.fixed);
    free(l.u);
    free(l.reach_from);
    free(l.fixed_from);
    free(l.mt_of);
    free(l.slot_of);
    free(l.seen);
    free(l.runs);
    return total;
}
