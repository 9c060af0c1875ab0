/* sched_bound.c: at most how many meetings any schedule books, which
 * lets the optimizer stop booking early (the bound on breaks is
 * sched_lb.c's). Cheap (linear in the instance) and only needs to be
 * valid, not tight; schedule.h states it. */
#include <stdlib.h>
#include <string.h>

#include "sched_int.h"
#include "xmalloc.h"

/* What the fixed meetings take, which nothing else can use. */
struct fixed_use {
    uint64_t *busy;  /* np * words */
    uint32_t *count; /* per participant */
    uint32_t *used;  /* per slot */
    uint32_t n;
};

static void fixed_use_init(const struct sstate *st, struct fixed_use *f)
{
    f->busy = xcalloc((size_t)st->np * st->words + 1, sizeof(uint64_t));
    f->count = xcalloc(st->np + 1, sizeof(uint32_t));
    f->used = xcalloc(st->nslots, sizeof(uint32_t));
    f->n = 0;
    for (uint32_t m = 0; m < st->nm; m++) {
        if (!(st->flags[m] & MF_FIXED))
            continue;
        const struct sched_meeting *mt = &st->pb->meetings[m];
        uint32_t s = (uint32_t)mt->slot;
        uint64_t bit = (uint64_t)1 << (s % 64);
        f->busy[(size_t)mt->a * st->words + s / 64] |= bit;
        f->busy[(size_t)mt->b * st->words + s / 64] |= bit;
        f->count[mt->a]++;
        f->count[mt->b]++;
        f->used[s]++;
        f->n++;
    }
}

static void fixed_use_free(struct fixed_use *f)
{
    free(f->busy);
    free(f->count);
    free(f->used);
}

static bool interp_left(const struct sstate *st, uint32_t m, uint32_t s)
{
    const struct sched_meeting *mt = &st->pb->meetings[m];
    if (mt->ninterpreters == 0)
        return true;
    for (uint32_t k = 0; k < mt->ninterpreters; k++) {
        int32_t h = st->iocc[(size_t)mt->interpreters[k] * st->nslots + s];
        if (h < 0 || !(st->flags[h] & MF_FIXED))
            return true;
    }
    return false;
}

/* The slots where non-fixed meeting m could go beside the fixed ones
 * (into `out`); returns whether there is one. */
static bool usable_slots(const struct sstate *st, const struct fixed_use *f,
                         uint32_t m, uint64_t *out)
{
    const struct sched_meeting *mt = &st->pb->meetings[m];
    const uint64_t *c = st_cand(st, m);
    const uint64_t *ba = f->busy + (size_t)mt->a * st->words;
    const uint64_t *bb = f->busy + (size_t)mt->b * st->words;
    bool any = false;
    if (f->count[mt->a] >= st->cap[mt->a] || f->count[mt->b] >= st->cap[mt->b])
        return false;
    for (uint32_t w = 0; w < st->words; w++) {
        uint64_t x = c[w] & ~ba[w] & ~bb[w];
        for (uint64_t y = x; y; y &= y - 1) {
            uint32_t s = w * 64 + (uint32_t)__builtin_ctzll(y);
            if (f->used[s] >= st->ntables || !interp_left(st, m, s))
                x &= ~((uint64_t)1 << (s % 64));
        }
        out[w] = x;
        any |= x != 0;
    }
    return any;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static int cmp_desc64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a > b ? -1 : a < b;
}

/* For a set C of participants: sum over C of what each can take, plus the
 * meetings with neither side in C. A participant joins C when it caps
 * more of its still uncovered meetings than it can take. */
static uint32_t cover_bound(const struct sstate *st, const bool *bookable,
                            const uint32_t *deg, const uint32_t *take,
                            uint32_t nbookable)
{
    uint32_t *left = xmalloc((st->np + 1) * sizeof(uint32_t));
    bool *covered = xcalloc(st->nm + 1, 1);
    memcpy(left, deg, st->np * sizeof(uint32_t));
    /* The likeliest members first: those capping the most meetings. */
    uint64_t *order = xmalloc((st->np + 1) * sizeof(uint64_t));
    for (uint32_t p = 0; p < st->np; p++)
        order[p] = (uint64_t)(deg[p] - take[p]) << 32 | p;
    qsort(order, st->np, sizeof *order, cmp_desc64);
    uint64_t bound = nbookable;
    for (uint32_t j = 0; j < st->np; j++) {
        uint32_t p = (uint32_t)order[j];
        if (left[p] <= take[p])
            continue;
        bound = bound - left[p] + take[p];
        for (uint32_t k = st->adj_start[p]; k < st->adj_start[p + 1]; k++) {
            uint32_t m = st->adj[k];
            if (!bookable[m] || covered[m])
                continue;
            covered[m] = true;
            const struct sched_meeting *mt = &st->pb->meetings[m];
            left[mt->a]--;
            left[mt->b]--;
        }
    }
    free(order);
    free(left);
    free(covered);
    return (uint32_t)bound;
}

uint32_t sb_upper_bound(const struct sstate *st)
{
    struct fixed_use f;
    fixed_use_init(st, &f);
    uint32_t W = st->words;
    uint64_t *u = xcalloc(W + 1, sizeof(uint64_t));
    uint64_t *reach = xcalloc((size_t)st->np * W + 1, sizeof(uint64_t));
    bool *bookable = xcalloc(st->nm + 1, 1);
    uint32_t *deg = xcalloc(st->np + 1, sizeof(uint32_t));
    uint32_t nbookable = 0, ninterp = 0;
    for (uint32_t m = 0; m < st->nm; m++) {
        if ((st->flags[m] & MF_FIXED) || !usable_slots(st, &f, m, u))
            continue;
        const struct sched_meeting *mt = &st->pb->meetings[m];
        bookable[m] = true;
        nbookable++;
        ninterp += mt->ninterpreters > 0;
        deg[mt->a]++;
        deg[mt->b]++;
        for (uint32_t w = 0; w < W; w++) {
            reach[(size_t)mt->a * W + w] |= u[w];
            reach[(size_t)mt->b * W + w] |= u[w];
        }
    }

    /* What each participant can take: its meetings, its usable slots and
     * what its cap leaves beside the fixed meetings. */
    uint32_t *take = xcalloc(st->np + 1, sizeof(uint32_t));
    uint32_t *nfree = xcalloc(st->nslots, sizeof(uint32_t));
    for (uint32_t p = 0; p < st->np; p++) {
        uint32_t slots = 0;
        for (uint32_t w = 0; w < W; w++) {
            uint64_t x = reach[(size_t)p * W + w];
            slots += st_popcount(x);
            for (; x; x &= x - 1)
                nfree[w * 64 + (uint32_t)__builtin_ctzll(x)]++;
        }
        uint32_t room = st->cap[p] > f.count[p] ? st->cap[p] - f.count[p] : 0;
        take[p] = min_u32(min_u32(room, slots), deg[p]);
    }
    uint32_t ub =
        min_u32(nbookable, cover_bound(st, bookable, deg, take, nbookable));

    /* Per slot: free tables, and two free participants per meeting. */
    uint64_t by_slot = 0, by_interp = 0;
    for (uint32_t s = 0; s < st->nslots; s++) {
        uint32_t room = st->ntables > f.used[s] ? st->ntables - f.used[s] : 0;
        uint32_t cap = min_u32(room, nfree[s] / 2);
        by_slot += cap;
        uint32_t interps = 0;
        for (uint32_t i = 0; i < st->pb->ninterpreters; i++) {
            int32_t h = st->iocc[(size_t)i * st->nslots + s];
            interps += h < 0 || !(st->flags[h] & MF_FIXED);
        }
        by_interp += min_u32(interps, cap);
    }
    if (by_slot < ub)
        ub = (uint32_t)by_slot;
    uint64_t with_interp = (uint64_t)(nbookable - ninterp) +
                           (by_interp < ninterp ? by_interp : ninterp);
    if (with_interp < ub)
        ub = (uint32_t)with_interp;

    ub += f.n;
    free(u);
    free(reach);
    free(bookable);
    free(deg);
    free(take);
    free(nfree);
    fixed_use_free(&f);
    return ub;
}
