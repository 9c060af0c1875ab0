/* match_query.c: the top-k matches of one participant. Candidates come
 * only from posting lists of the opposite roles (what it needs against
 * what others offer, what it offers against what others need, its
 * sectors). Walking them adds up, per candidate, an upper bound of each
 * part of the score; candidates are then scored exactly in order of that
 * bound, stopping once no bound can beat the k-th score found. The lists
 * of broad features (chapters, sections, divisions) are long: for the
 * candidates met through specific features their share is read from each
 * candidate's signature, and the lists themselves are walked only when a
 * pair linked by nothing more specific could still make the top k. */
#include <stdlib.h>
#include <string.h>

#include "match_int.h"
#include "xmalloc.h"

static const float isic_step_f[5] = {0, 0.15f, 0.25f, 0.30f, 0.30f};

int top_cmp(const struct mevent *ev, const struct top_entry *x,
            const struct top_entry *y)
{
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return strcmp(ev->prof[x->idx]->id, ev->prof[y->idx]->id);
}

static void scratch_fit(struct mevent *ev)
{
    struct scratch *s = &ev->sc;
    if (s->cap >= ev->nprof_slots)
        return;
    uint32_t cap = ev->cap;
    s->acc = xrealloc(s->acc, cap * sizeof *s->acc);
    memset(s->acc + s->cap, 0, (cap - s->cap) * sizeof *s->acc);
    s->touched = xrealloc(s->touched, cap * sizeof *s->touched);
    s->heap = xrealloc(s->heap, cap * sizeof *s->heap);
    s->cap = cap;
}

/* A new query: every stamp from earlier ones becomes stale. */
static void scratch_begin(struct mevent *ev)
{
    scratch_fit(ev);
    struct scratch *s = &ev->sc;
    s->ntouched = 0;
    if (++s->epoch == 0) {
        for (uint32_t i = 0; i < s->cap; i++)
            s->acc[i].stamp = 0;
        s->epoch = 1;
    }
}

/* Candidates are met in posting-list order, scattered over the profile
 * table: their accumulators and facts are fetched this many ahead, so the
 * walk waits on memory once per batch instead of once per candidate. */
#define PREFETCH_AHEAD 16

static inline struct acc *touch(struct scratch *s, uint32_t idx)
{
    struct acc *c = &s->acc[idx];
    if (c->stamp != s->epoch) {
        *c = (struct acc){s->epoch, 0, 0, 0};
        s->touched[s->ntouched++] = idx;
    }
    return c;
}

/* The sides a profile of `side` may match (posting list index). */
static bool side_ok(int side, int other)
{
    return (side | other) == SIDE_BOTH;
}

/* One feature of the asker and the lists it walks. */
struct term {
    enum role_list role; /* lists walked: RL_OFFER for a need, ... */
    uint32_t fid;
    float w;        /* need: share; offer: rarity; sector: step */
    float strength; /* the most it adds to a candidate, for the order */
    bool broad;
};

static int cmp_strength(const void *x, const void *y)
{
    float a = ((const struct term *)x)->strength;
    float b = ((const struct term *)y)->strength;
    return a > b ? -1 : a < b;
}

/* a's features as terms (room for nneed + noffer + nsector): the specific
 * ones first, strongest first, so that the first candidates touched are
 * the likeliest to rank high; then the broad ones, in feature order.
 * Returns how many; *nspecific of them are specific. */
static size_t collect_terms(struct mevent *ev, const struct mprof *a,
                            struct term *t, size_t *nspecific)
{
    size_t n = 0;
    for (uint32_t i = 0; i < a->nneed;) {
        uint32_t fid = a->need[i].fid;
        uint64_t sum = 0;
        for (; i < a->nneed && a->need[i].fid == fid; i++)
            sum += a->need[i].w;
        const struct dict_entry *e = &ev->dict.e[fid];
        double r =
            e->kind == FEAT_TOKEN ? (double)score_rarity(ev, fid) / W_ONE : 1.0;
        float w = (float)((double)sum / W_ONE / a->nneed_items * r);
        t[n++] = (struct term){RL_OFFER, fid, w, w, broad_feature(e)};
    }
    for (uint32_t i = 0; i < a->noffer; i++) {
        const struct dict_entry *e = &ev->dict.e[a->offer[i]];
        float r = e->kind == FEAT_TOKEN
                      ? (float)score_rarity(ev, a->offer[i]) / W_ONE
                      : 1.0f;
        t[n++] = (struct term){RL_NEED, a->offer[i], r,
                               e->kind == FEAT_TOKEN ? 0.8f * r : 1.0f,
                               broad_feature(e)};
    }
    for (uint32_t i = 0; i < a->nsector; i++) {
        const struct dict_entry *e = &ev->dict.e[a->sector[i]];
        float w = isic_step_f[e->level < 5 ? e->level : 0];
        t[n++] = (struct term){RL_SECTOR, a->sector[i], w, w, broad_feature(e)};
    }
    /* A stable partition: specific terms to the front. */
    struct term *broad = xmalloc((n + 1) * sizeof *broad);
    size_t m = 0, nb = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i].broad)
            broad[nb++] = t[i];
        else
            t[m++] = t[i];
    }
    memcpy(t + m, broad, nb * sizeof *broad);
    free(broad);
    qsort(t, m, sizeof *t, cmp_strength);
    *nspecific = m;
    return n;
}

static struct term *alloc_terms(const struct mprof *a)
{
    return xmalloc((a->nneed + a->noffer + a->nsector + 1) *
                   sizeof(struct term));
}

/* Adds a term's weight to every candidate in its lists of `x` (with
 * `add` false, only marks them touched). */
static void walk_term(struct mevent *ev, const struct mindex *x,
                      const struct mprof *a, const struct term *t, bool add)
{
    struct scratch *s = &ev->sc;
    for (int sd = SIDE_BUYER; sd <= SIDE_BOTH; sd++) {
        const struct posting *pl = mindex_get(x, t->role, sd, t->fid);
        if (pl == NULL || !side_ok(a->side, sd))
            continue;
        uint32_t n = pl->n, ahead = n > PREFETCH_AHEAD ? PREFETCH_AHEAD : n;
        for (uint32_t j = 0; j < ahead; j++)
            __builtin_prefetch(&s->acc[pl->idx[j]], 1);
        for (uint32_t j = 0; j < n; j++) {
            if (j + PREFETCH_AHEAD < n)
                __builtin_prefetch(&s->acc[pl->idx[j + PREFETCH_AHEAD]], 1);
            struct acc *c = touch(s, pl->idx[j]);
            if (!add)
                continue;
            if (t->role == RL_OFFER)
                c->need += t->w;
            else if (t->role == RL_NEED)
                c->offer += pl->w[j] * t->w;
            else
                c->sector += t->w;
        }
    }
}

/* What the broad terms may add at most to each accumulator. */
struct broad_max {
    float need, offer, sector;
};

static struct broad_max broad_max_of(const struct term *t, size_t n)
{
    struct broad_max bm = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        if (t[i].role == RL_OFFER)
            bm.need += t[i].w;
        else if (t[i].role == RL_NEED)
            bm.offer = 0.3f; /* a chapter: 0.3 of each of the other's items */
        else
            bm.sector += t[i].w;
    }
    return bm;
}

/* Adds the broad terms' share to a candidate's accumulators from its
 * signature: the sums their lists would have given, with one weight per
 * candidate (its heaviest needed chapter) for the offer side. */
static void add_broad(struct acc *c, const struct bsig *sig,
                      const struct bterm *bt, size_t nbt)
{
    float offer = 0;
    for (size_t i = 0; i < nbt; i++) {
        if (!(sig->w[bt[i].word] & bt[i].mask))
            continue;
        if (bt[i].role == RL_OFFER)
            c->need += bt[i].w;
        else if (bt[i].role == RL_NEED)
            offer += sig->need_w * bt[i].w;
        else
            c->sector += bt[i].w;
    }
    /* Chapters are 0.3 of an item: all of them, 0.3 of the needs. */
    c->offer += offer < 0.3f ? offer : 0.3f;
}

static void sift_down(struct cand *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, big = i;
        if (l < n && h[l].ub > h[big].ub)
            big = l;
        if (l + 1 < n && h[l + 1].ub > h[big].ub)
            big = l + 1;
        if (big == i)
            return;
        struct cand t = h[i];
        h[i] = h[big];
        h[big] = t;
        i = big;
    }
}

/* Inserts e into the sorted list out[0..*n) of at most k entries. */
static void top_insert(const struct mevent *ev, struct top_entry *out,
                       size_t *n, size_t k, struct top_entry e)
{
    if (*n == k && top_cmp(ev, &e, &out[k - 1]) >= 0)
        return;
    size_t i = *n < k ? (*n)++ : k - 1;
    for (; i > 0 && top_cmp(ev, &e, &out[i - 1]) < 0; i--)
        out[i] = out[i - 1];
    out[i] = e;
}

/* A bound of score_bound() that is linear in the accumulators, so that
 * most candidates are dismissed with one multiply-add: core <= 0.75 (fit
 * A + fit B), each fit at most its need share + 0.3 sector + 0.15 market;
 * extras at most 0.23. */
static inline float linear_bound(float need, float offer, float sector)
{
    float sect = sector > 1 ? 1 : sector;
    float na = need > 1 ? 1 : need;
    float nb = offer > 1 ? 1 : offer;
    return (0.75f * (na + nb) + 0.45f * sect + 0.455f) / 1.68f * 1.001f;
}

/* The seeds: the candidates with the largest accumulated fit, scored first
 * so that the k-th score (the bar the rest must clear) is known early. */
#define SEEDS 32
#define SEED_SCAN 2048 /* touched candidates the seeds are chosen from */

static float seed_key(const struct acc *c)
{
    return c->need + c->offer + 0.3f * c->sector;
}

/* One query's state, for the steps below. */
struct q {
    struct mevent *ev;
    const struct mprof *a;
    size_t k, n; /* out[0..n) found so far */
    struct top_entry *out;
    uint64_t markets[(LANG_CODES + 63) / 64]; /* a's markets, a bit each */
};

static void q_score(struct q *q, uint32_t idx)
{
    double sc = score_pair(q->ev, q->a, q->ev->prof[idx], NULL);
    if (sc > 0)
        top_insert(q->ev, q->out, &q->n, q->k, (struct top_entry){idx, sc});
    /* Marked as scored: never a candidate again in this query. */
    q->ev->sc.acc[idx].need = -1e9f;
}

/* Scores the SEEDS best by accumulated fit (a small min-heap) among the
 * first candidates touched, those of the strongest features. */
static void score_seeds(struct q *q)
{
    struct scratch *s = &q->ev->sc;
    struct cand seeds[SEEDS];
    size_t nseeds = 0;
    uint32_t scan = s->ntouched < SEED_SCAN ? s->ntouched : SEED_SCAN;
    for (uint32_t t = 0; t < scan; t++) {
        uint32_t idx = s->touched[t];
        if (idx == q->a->idx)
            continue;
        float key = seed_key(&s->acc[idx]);
        if (nseeds == SEEDS && key <= -seeds[0].ub)
            continue;
        /* Stored negated so that the max-heap code keeps the minimum on
         * top. */
        struct cand c = {-key, idx};
        if (nseeds < SEEDS) {
            size_t i = nseeds++;
            seeds[i] = c;
            while (i > 0 && seeds[(i - 1) / 2].ub < seeds[i].ub) {
                struct cand x = seeds[i];
                seeds[i] = seeds[(i - 1) / 2];
                seeds[(i - 1) / 2] = x;
                i = (i - 1) / 2;
            }
        } else {
            seeds[0] = c;
            sift_down(seeds, nseeds, 0);
        }
    }
    for (size_t i = 0; i < nseeds; i++)
        q_score(q, seeds[i].idx);
}

static float q_bar(const struct q *q)
{
    return q->n == q->k ? (float)q->out[q->k - 1].score : 0;
}

/* Scores, best bound first, the candidates touched[from..) that could
 * still beat the bar. bt: broad terms to read from their signatures (none
 * once their lists were walked); bm: what those may add at most. */
static void rank_touched(struct q *q, uint32_t from, const struct bterm *bt,
                         size_t nbt, struct broad_max bm)
{
    struct mevent *ev = q->ev;
    struct scratch *s = &ev->sc;
    const struct pinfo *ai = &ev->info[q->a->idx];
    struct cand *h = s->heap;
    size_t nh = 0;
    for (uint32_t t = from; t < s->ntouched; t++) {
        if (t + PREFETCH_AHEAD < s->ntouched) {
            uint32_t next = s->touched[t + PREFETCH_AHEAD];
            __builtin_prefetch(&s->acc[next], 1);
            __builtin_prefetch(&ev->info[next]);
            if (nbt)
                __builtin_prefetch(&ev->bsig[next]);
        }
        uint32_t idx = s->touched[t];
        struct acc *c = &s->acc[idx];
        if (c->need < 0 || idx == q->a->idx)
            continue;
        float bar = q_bar(q);
        if (q->n == q->k && linear_bound(c->need + bm.need, c->offer + bm.offer,
                                         c->sector + bm.sector) < bar)
            continue;
        if (nbt) {
            add_broad(c, &ev->bsig[idx], bt, nbt);
            if (q->n == q->k &&
                linear_bound(c->need, c->offer, c->sector) < bar)
                continue;
        }
        double ub = score_bound(ev, ai, q->markets, &ev->info[idx], c->need,
                                c->offer, c->sector);
        /* Float sums may round below the exact value: keep a margin. */
        ub = ub * 1.0001 + 1e-6;
        if (q->n == q->k && ub < bar)
            continue;
        h[nh++] = (struct cand){(float)ub, idx};
    }
    for (size_t i = nh / 2; i-- > 0;)
        sift_down(h, nh, i);
    while (nh > 0) {
        struct cand c = h[0];
        if (q->n == q->k && c.ub < q->out[q->k - 1].score)
            break;
        h[0] = h[--nh];
        sift_down(h, nh, 0);
        q_score(q, c.idx);
    }
}

/* Whether a candidate linked to a by broad features alone could make the
 * top k: the most such a pair can score, with every extra it could bring
 * against a's own facts (its slots; a market bonus only if a names
 * markets). */
static bool broad_only_may_rank(const struct q *q, struct broad_max bm)
{
    if (q->n < q->k)
        return true;
    struct pinfo best = {.lbloom = ~0ull,
                         .mbloom = ~0ull,
                         .slots = ~0ull,
                         .cong = 1.0f,
                         .side = SIDE_BOTH,
                         .size = SIZE_SMALL,
                         .coop = 0xff};
    uint64_t any_market[(LANG_CODES + 63) / 64];
    memset(any_market, q->a->nmarket ? 0xff : 0, sizeof any_market);
    double ub = score_bound(q->ev, &q->ev->info[q->a->idx], any_market, &best,
                            bm.need, bm.offer, bm.sector);
    return ub * 1.0001 + 1e-6 >= q->out[q->k - 1].score;
}

/* What a broad term may add to a pair, for the order below. */
static float broad_weight(const struct term *t)
{
    return t->role == RL_OFFER  ? t->w
           : t->role == RL_NEED ? 0.3f
                                : SECTOR_SHARE * t->w;
}

static int cmp_broad_weight(const void *x, const void *y)
{
    float a = broad_weight(x), b = broad_weight(y);
    return a < b ? -1 : a > b;
}

size_t query_top(struct mevent *ev, const struct mprof *a, size_t k,
                 struct top_entry *out)
{
    struct q q = {.ev = ev, .a = a, .k = k, .n = 0, .out = out};
    for (uint16_t i = 0; i < a->nmarket; i++)
        q.markets[a->market[i] / 64] |= 1ull << (a->market[i] % 64);
    scratch_begin(ev);
    struct term *terms = alloc_terms(a);
    size_t nspecific, nterms = collect_terms(ev, a, terms, &nspecific);
    size_t nbt = nterms - nspecific;
    struct bterm *bt = xmalloc((nbt + 1) * sizeof *bt);
    for (size_t i = 0; i < nbt; i++) {
        const struct term *t = &terms[nspecific + i];
        bterm_of(dict_get(&ev->dict, t->fid), t->role, t->w, &bt[i]);
    }
    struct broad_max bm = broad_max_of(terms + nspecific, nbt);

    /* Those met through specific features, broad ones read from their
     * signatures. */
    for (size_t i = 0; i < nspecific; i++)
        walk_term(ev, &ev->index, a, &terms[i], true);
    score_seeds(&q);
    rank_touched(&q, 0, bt, nbt, bm);

    /* Then those met through broad features alone, while one could still
     * rank: the lists of the strongest broad term left are walked and
     * their new candidates ranked, their whole broad share read from
     * their signatures; that raises the bar, until the terms left could
     * not lift a pair linked by them alone over it. */
    struct term *broad = terms + nspecific;
    qsort(broad, nbt, sizeof *broad, cmp_broad_weight);
    for (size_t left = nbt;
         left > 0 && broad_only_may_rank(&q, broad_max_of(broad, left));) {
        uint32_t from = ev->sc.ntouched;
        walk_term(ev, &ev->index, a, &broad[--left], false);
        rank_touched(&q, from, bt, nbt, bm);
    }
    free(bt);
    free(terms);
    return q.n;
}

uint32_t *query_active_near(struct mevent *ev, const struct mprof *p,
                            uint32_t *n, double **ub)
{
    scratch_begin(ev);
    struct term *terms = alloc_terms(p);
    size_t nspecific, nterms = collect_terms(ev, p, terms, &nspecific);
    for (size_t i = 0; i < nterms; i++)
        walk_term(ev, &ev->aindex, p, &terms[i], true);
    free(terms);
    struct scratch *s = &ev->sc;
    uint32_t *list = xmalloc((s->ntouched + 1) * sizeof *list);
    if (ub)
        *ub = xmalloc((s->ntouched + 1) * sizeof **ub);
    *n = 0;
    for (uint32_t i = 0; i < s->ntouched; i++) {
        uint32_t idx = s->touched[i];
        struct mprof *a = ev->prof[idx];
        if (a == NULL || a == p || a->active == NULL || !sides_match(a, p))
            continue;
        if (ub) {
            /* Seen from a: what p offers meets a's needs (the walk over
             * a's need lists), what a offers meets p's needs. */
            const struct acc *c = &s->acc[idx];
            (*ub)[*n] = score_bound(ev, &ev->info[idx], NULL, &ev->info[p->idx],
                                    c->offer, c->need, c->sector) *
                            1.0001 +
                        1e-6;
        }
        list[(*n)++] = idx;
    }
    return list;
}
