/* match_index.c: posting lists from each feature to the profiles that
 * offer it, need it, or work in it (sectors). Order within a list does
 * not matter (scores are exact and ties go by id), so removal swaps the
 * last entry in. */
#include <stdlib.h>
#include <string.h>

#include "match_int.h"
#include "xmalloc.h"

void mindex_init(struct mindex *x)
{
    memset(x, 0, sizeof *x);
}

void mindex_free(struct mindex *x)
{
    for (int r = 0; r < RL__COUNT; r++) {
        for (int sd = 0; sd < 3; sd++) {
            for (uint32_t f = 0; f < x->cap; f++) {
                free(x->pl[r][sd][f].idx);
                free(x->pl[r][sd][f].w);
            }
            free(x->pl[r][sd]);
        }
    }
    memset(x, 0, sizeof *x);
}

static void grow(struct mindex *x, uint32_t nfids)
{
    if (nfids <= x->cap)
        return;
    uint32_t cap = x->cap ? x->cap : 1024;
    while (cap < nfids)
        cap *= 2;
    for (int r = 0; r < RL__COUNT; r++) {
        for (int sd = 0; sd < 3; sd++) {
            struct posting **pl = &x->pl[r][sd];
            *pl = xrealloc(*pl, cap * sizeof **pl);
            memset(*pl + x->cap, 0, (cap - x->cap) * sizeof **pl);
        }
    }
    x->cap = cap;
}

static void push(struct posting *pl, uint32_t idx, float w, bool weighted)
{
    if (pl->n == pl->cap) {
        pl->cap = pl->cap ? pl->cap * 2 : 4;
        pl->idx = xrealloc(pl->idx, pl->cap * sizeof *pl->idx);
        if (weighted)
            pl->w = xrealloc(pl->w, pl->cap * sizeof *pl->w);
    }
    if (weighted)
        pl->w[pl->n] = w;
    pl->idx[pl->n++] = idx;
}

static void pull(struct posting *pl, uint32_t idx)
{
    for (uint32_t i = 0; i < pl->n; i++) {
        if (pl->idx[i] != idx)
            continue;
        pl->n--;
        pl->idx[i] = pl->idx[pl->n];
        if (pl->w)
            pl->w[i] = pl->w[pl->n];
        break;
    }
    if (pl->n == 0) {
        /* Give memory back: rare words come and go. */
        free(pl->idx);
        free(pl->w);
        memset(pl, 0, sizeof *pl);
    }
}

void mindex_add(struct mindex *x, const struct mevent *ev,
                const struct mprof *p)
{
    grow(x, ev->dict.n);
    int sd = p->side - 1;
    for (uint32_t i = 0; i < p->noffer; i++)
        push(&x->pl[RL_OFFER][sd][p->offer[i]], p->idx, 0, false);
    for (uint32_t i = 0; i < p->nsector; i++)
        push(&x->pl[RL_SECTOR][sd][p->sector[i]], p->idx, 0, false);
    /* A need list entry carries the share of this profile's needs the
     * feature can satisfy at most (before rarity), for pruning. */
    for (uint32_t i = 0; i < p->nneed;) {
        uint32_t fid = p->need[i].fid;
        uint64_t sum = 0;
        for (; i < p->nneed && p->need[i].fid == fid; i++)
            sum += p->need[i].w;
        float w = (float)((double)sum / W_ONE / p->nneed_items);
        push(&x->pl[RL_NEED][sd][fid], p->idx, w, true);
    }
}

void mindex_remove(struct mindex *x, const struct mprof *p)
{
    int sd = p->side - 1;
    for (uint32_t i = 0; i < p->noffer; i++)
        pull(&x->pl[RL_OFFER][sd][p->offer[i]], p->idx);
    for (uint32_t i = 0; i < p->nsector; i++)
        pull(&x->pl[RL_SECTOR][sd][p->sector[i]], p->idx);
    for (uint32_t i = 0; i < p->nneed; i++)
        if (i == 0 || p->need[i - 1].fid != p->need[i].fid)
            pull(&x->pl[RL_NEED][sd][p->need[i].fid], p->idx);
}
