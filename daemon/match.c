/* match.c: the engine's events, profiles and kept top lists (see match.h).
 * A put or delete touches the index, then every kept list it may enter or
 * leave: found through a second index holding only profiles whose lists
 * are kept, so the work is proportional to them, not to the event. */
#include "match.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "match_int.h"
#include "xmalloc.h"

static struct {
    struct match_config cfg;
    match_notify_fn *notify;
    void *priv;
    struct mevent *events;
    struct active *lru_head, *lru_tail; /* most recently used first */
    unsigned long nactive;
    uint64_t (*clock)(void);
    uint32_t mark;
    unsigned long queries, notified;
} M;

static uint64_t no_clock(void)
{
    return 0;
}

void match_init(const struct match_config *cfg, match_notify_fn *fn, void *priv)
{
    memset(&M, 0, sizeof M);
    M.cfg = *cfg;
    M.notify = fn;
    M.priv = priv;
    M.clock = no_clock;
}

void match_set_clock(uint64_t (*now_ms)(void))
{
    M.clock = now_ms ? now_ms : no_clock;
}

/* --- profiles by id --- */

static uint32_t hash_id(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void byid_put(struct mevent *ev, uint32_t idx);

static void byid_grow(struct mevent *ev)
{
    uint32_t *old = ev->byid, ocap = ev->byid_cap;
    ev->byid_cap = ocap ? ocap * 2 : 1024;
    ev->byid = xcalloc(ev->byid_cap, sizeof *ev->byid);
    for (uint32_t i = 0; i < ocap; i++)
        if (old[i])
            byid_put(ev, old[i] - 1);
    free(old);
}

static void byid_put(struct mevent *ev, uint32_t idx)
{
    uint32_t mask = ev->byid_cap - 1;
    uint32_t h = hash_id(ev->prof[idx]->id) & mask;
    while (ev->byid[h])
        h = (h + 1) & mask;
    ev->byid[h] = idx + 1;
}

static uint32_t *byid_slot(const struct mevent *ev, const char *id)
{
    if (ev->byid_cap == 0)
        return NULL;
    uint32_t mask = ev->byid_cap - 1;
    for (uint32_t h = hash_id(id) & mask; ev->byid[h]; h = (h + 1) & mask)
        if (strcmp(ev->prof[ev->byid[h] - 1]->id, id) == 0)
            return &ev->byid[h];
    return NULL;
}

static struct mprof *lookup(const struct mevent *ev, const char *id)
{
    uint32_t *s = byid_slot(ev, id);
    return s ? ev->prof[*s - 1] : NULL;
}

/* Linear probing: removal shifts later members of the run back. */
static void byid_del(struct mevent *ev, const char *id)
{
    uint32_t *s = byid_slot(ev, id);
    if (s == NULL)
        return;
    uint32_t mask = ev->byid_cap - 1, i = (uint32_t)(s - ev->byid);
    ev->byid[i] = 0;
    for (uint32_t j = (i + 1) & mask; ev->byid[j]; j = (j + 1) & mask) {
        uint32_t v = ev->byid[j];
        ev->byid[j] = 0;
        byid_put(ev, v - 1);
    }
}

/* --- events --- */

static struct mevent *find_event(const char *id, bool create)
{
    for (struct mevent *e = M.events; e; e = e->next)
        if (strcmp(e->id, id) == 0)
            return e;
    if (!create)
        return NULL;
    struct mevent *e = xcalloc(1, sizeof *e);
    snprintf(e->id, sizeof e->id, "%s", id);
    dict_init(&e->dict);
    mindex_init(&e->index);
    mindex_init(&e->aindex);
    e->next = M.events;
    M.events = e;
    return e;
}

static uint32_t alloc_idx(struct mevent *ev)
{
    if (ev->nfree)
        return ev->free_idx[--ev->nfree];
    if (ev->nprof_slots == ev->cap) {
        ev->cap = ev->cap ? ev->cap * 2 : 1024;
        ev->prof = xrealloc(ev->prof, ev->cap * sizeof *ev->prof);
        ev->info = xrealloc(ev->info, ev->cap * sizeof *ev->info);
        struct bsig *bs = xmalloc_aligned(64, ev->cap * sizeof *bs);
        if (ev->nprof_slots)
            memcpy(bs, ev->bsig, ev->nprof_slots * sizeof *bs);
        free(ev->bsig);
        ev->bsig = bs;
        ev->free_idx = xrealloc(ev->free_idx, ev->cap * sizeof *ev->free_idx);
    }
    return ev->nprof_slots++;
}

static void set_info(struct mevent *ev, const struct mprof *p)
{
    ev->info[p->idx] = (struct pinfo){
        .lbloom = lang_bloom(p->lang, p->nlang),
        .mbloom = lang_bloom(p->market, p->nmarket),
        .slots = p->all_slots     ? ~0ull
                 : p->nslot_words ? p->slots[0]
                                  : 0,
        .cong = p->cong,
        .country = p->country,
        .side = p->side,
        .size = p->size,
        .coop = p->coop,
    };
}

/* --- kept lists --- */

static void lru_unlink(struct active *a)
{
    if (a->lru_prev)
        a->lru_prev->lru_next = a->lru_next;
    else
        M.lru_head = a->lru_next;
    if (a->lru_next)
        a->lru_next->lru_prev = a->lru_prev;
    else
        M.lru_tail = a->lru_prev;
    a->lru_prev = a->lru_next = NULL;
}

static void lru_front(struct active *a)
{
    if (M.lru_head == a)
        return;
    if (a->lru_prev || a->lru_next || M.lru_tail == a)
        lru_unlink(a);
    a->lru_next = M.lru_head;
    if (M.lru_head)
        M.lru_head->lru_prev = a;
    M.lru_head = a;
    if (M.lru_tail == NULL)
        M.lru_tail = a;
}

static void fill_entry(struct mevent *ev, const struct mprof *a,
                       const struct top_entry *t, struct match_entry *e)
{
    const struct mprof *b = ev->prof[t->idx];
    e->id = b->id;
    e->company = b->company;
    e->country[0] = (char)('A' + b->country / 26);
    e->country[1] = (char)('A' + b->country % 26);
    e->country[2] = '\0';
    e->score = t->score;
    score_pair(ev, a, b, &e->why);
}

static void notify_entry(struct mevent *ev, struct active *a,
                         const struct top_entry *t)
{
    if (a->watchers == 0 || M.notify == NULL)
        return;
    struct match_entry e;
    fill_entry(ev, a->p, t, &e);
    M.notified++;
    M.notify(M.priv, ev->id, a->p->id, &e);
}

/* Whether idx is among the first `upto` of n entries. */
static bool in_first(const struct top_entry *top, unsigned n, unsigned upto,
                     uint32_t idx)
{
    for (unsigned i = 0; i < n && i < upto; i++)
        if (top[i].idx == idx)
            return true;
    return false;
}

static bool in_list(const struct active *a, uint32_t idx)
{
    return in_first(a->top, a->n, KEPT, idx);
}

/* Each profile knows the kept lists it is an entry of, so that a write
 * finds them without a search. */
static void ref_add(struct mprof *p, struct active *a)
{
    if (p->nin == p->capin) {
        p->capin = p->capin ? p->capin * 2 : 4;
        p->in = xrealloc(p->in, p->capin * sizeof *p->in);
    }
    p->in[p->nin++] = a;
}

static void ref_del(struct mprof *p, struct active *a)
{
    for (uint32_t i = 0; i < p->nin; i++) {
        if (p->in[i] == a) {
            p->in[i] = p->in[--p->nin];
            return;
        }
    }
}

/* After a's entries changed from old[0..n_old): the references follow. */
static void refs_update(struct mevent *ev, struct active *a,
                        const struct top_entry *old, unsigned n_old)
{
    for (unsigned i = 0; i < n_old; i++)
        if (!in_list(a, old[i].idx) && ev->prof[old[i].idx])
            ref_del(ev->prof[old[i].idx], a);
    for (unsigned i = 0; i < a->n; i++)
        if (!in_first(old, n_old, KEPT, a->top[i].idx))
            ref_add(ev->prof[a->top[i].idx], a);
}

/* Notifies what entered the top 10 since `old` (n_old entries). */
static void notify_new(struct mevent *ev, struct active *a,
                       const struct top_entry *old, unsigned n_old)
{
    for (unsigned i = 0; i < a->n && i < MATCH_KEEP; i++)
        if (!in_first(old, n_old, MATCH_KEEP, a->top[i].idx))
            notify_entry(ev, a, &a->top[i]);
}

/* Sets a kept list from a fresh query for the best `asked` (n entries):
 * complete if fewer came back. */
static void set_list(struct active *a, const struct top_entry *top, size_t n,
                     size_t asked)
{
    a->n = (unsigned)(n < KEPT ? n : KEPT);
    memcpy(a->top, top, a->n * sizeof *top);
    a->complete = n < asked && n <= KEPT; /* all of them, all kept */
    a->stale = false;
}

/* Recomputes a kept list; entries new to its top 10 are notified. */
static void refresh(struct mevent *ev, struct active *a)
{
    struct top_entry fresh[KEPT], old[KEPT];
    unsigned n_old = a->n;
    memcpy(old, a->top, n_old * sizeof *old);
    set_list(a, fresh, query_top(ev, a->p, KEPT, fresh), KEPT);
    refs_update(ev, a, old, n_old);
    notify_new(ev, a, old, n_old);
}

/* Keeps p's list from now on; `top` (n entries, from a query for the best
 * `asked`) is its list if already computed, else it is computed here. */
static struct active *activate(struct mevent *ev, struct mprof *p,
                               const struct top_entry *top, size_t n,
                               size_t asked)
{
    if (p->active)
        return p->active;
    struct active *a = xcalloc(1, sizeof *a);
    a->p = p;
    a->ev = ev;
    p->active = a;
    M.nactive++;
    mindex_add(&ev->aindex, ev, p);
    if (top) {
        set_list(a, top, n, asked);
    } else {
        struct top_entry fresh[KEPT];
        set_list(a, fresh, query_top(ev, p, KEPT, fresh), KEPT);
    }
    refs_update(ev, a, NULL, 0);
    a->asked_ms = M.clock();
    lru_front(a);
    return a;
}

static void deactivate(struct active *a)
{
    struct mevent *ev = a->ev;
    for (unsigned i = 0; i < a->n; i++)
        if (ev->prof[a->top[i].idx])
            ref_del(ev->prof[a->top[i].idx], a);
    mindex_remove(&ev->aindex, a->p);
    lru_unlink(a);
    a->p->active = NULL;
    M.nactive--;
    free(a);
}

/* Keeps at most active_max lists: the least recently used unwatched ones
 * go first. */
static void enforce_cap(void)
{
    struct active *a = M.lru_tail;
    while (M.nactive > M.cfg.active_max && a) {
        struct active *prev = a->lru_prev;
        if (a->watchers == 0)
            deactivate(a);
        a = prev;
    }
}

/* b (at idx) changed, or its congestion did: where does it stand in a's
 * kept list now? The list stays the exact top n: b leaves its place, and
 * comes back where it ranks if that is before the last entry (or the list
 * is complete); a list left with fewer than 10 known entries is
 * recomputed. What enters the top 10 is notified. */
static void update_list(struct mevent *ev, struct active *a, uint32_t idx)
{
    if (a->stale)
        return; /* recomputed whole when next asked */
    const struct mprof *b = ev->prof[idx];
    double s = b ? score_pair(ev, a->p, b, NULL) : 0;
    struct top_entry old[KEPT];
    unsigned n_old = a->n;
    memcpy(old, a->top, n_old * sizeof *old);
    unsigned pos = 0;
    while (pos < a->n && a->top[pos].idx != idx)
        pos++;
    if (pos < a->n) {
        memmove(&a->top[pos], &a->top[pos + 1],
                (a->n - pos - 1) * sizeof *a->top);
        a->n--;
    }
    struct top_entry e = {idx, s};
    if (s > 0 &&
        (a->complete || (a->n > 0 && top_cmp(ev, &e, &a->top[a->n - 1]) < 0))) {
        unsigned i = a->n;
        if (a->n == KEPT)
            a->complete = false; /* the last one falls off */
        else
            a->n++;
        i = i < KEPT ? i : KEPT - 1;
        for (; i > 0 && top_cmp(ev, &e, &a->top[i - 1]) < 0; i--)
            a->top[i] = a->top[i - 1];
        a->top[i] = e;
    }
    if (!a->complete && a->n < MATCH_KEEP) {
        /* Too few known entries: the ones after them are unknown. */
        struct top_entry fresh[KEPT];
        set_list(a, fresh, query_top(ev, a->p, KEPT, fresh), KEPT);
    }
    refs_update(ev, a, old, n_old);
    notify_new(ev, a, old, n_old);
}

/* Kept lists that p (at idx) may enter or leave: those it is in now
 * (`holding`, a copy of its references taken before the write), and those
 * near its features where its bound can reach the list's last entry (or
 * the list is complete). Each once. */
static void update_near(struct mevent *ev, uint32_t idx,
                        struct active **holding, uint32_t nholding)
{
    if (++M.mark == 0)
        M.mark = 1;
    for (uint32_t i = 0; i < nholding; i++) {
        struct active *a = holding[i];
        if (a->mark == M.mark)
            continue;
        a->mark = M.mark;
        update_list(ev, a, idx);
    }
    if (ev->prof[idx] == NULL)
        return;
    uint32_t n2 = 0;
    double *ub = NULL;
    uint32_t *l2 = query_active_near(ev, ev->prof[idx], &n2, &ub);
    for (uint32_t i = 0; i < n2; i++) {
        struct mprof *p = ev->prof[l2[i]];
        struct active *a = p ? p->active : NULL;
        if (a == NULL || a->mark == M.mark)
            continue;
        if (!a->complete && a->n > 0 && ub[i] < a->top[a->n - 1].score)
            continue; /* cannot enter */
        a->mark = M.mark;
        update_list(ev, a, idx);
    }
    free(l2);
    free(ub);
}

/* A copy of the kept lists p is an entry of. */
static struct active **holding_copy(const struct mprof *p)
{
    struct active **h = xmalloc((p->nin + 1) * sizeof *h);
    if (p->nin)
        memcpy(h, p->in, p->nin * sizeof *h);
    return h;
}

/* Words whose weight changed in this write: every kept list of a profile
 * using one of them is stale. Watched lists are recomputed now (their
 * subscribers expect match.new); the others when next asked. */
static void reweigh(struct mevent *ev)
{
    struct active **now = NULL; /* watched lists gone stale here */
    size_t nnow = 0, cap = 0;
    for (uint32_t i = 0; i < ev->nreweighed; i++) {
        uint32_t fid = ev->reweighed[i];
        if (fid >= ev->dict.n || ev->dict.e[fid].text == NULL)
            continue; /* nobody uses it any more */
        for (int r = RL_OFFER; r <= RL_NEED; r++)
            for (int sd = SIDE_BUYER; sd <= SIDE_BOTH; sd++) {
                const struct posting *pl =
                    mindex_get(&ev->aindex, (enum role_list)r, sd, fid);
                for (uint32_t j = 0; pl && j < pl->n; j++) {
                    struct mprof *p = ev->prof[pl->idx[j]];
                    struct active *a = p ? p->active : NULL;
                    if (a == NULL || a->stale)
                        continue;
                    a->stale = true;
                    if (a->watchers == 0)
                        continue;
                    if (nnow == cap) {
                        cap = cap ? cap * 2 : 8;
                        now = xrealloc(now, cap * sizeof *now);
                    }
                    now[nnow++] = a;
                }
            }
    }
    ev->nreweighed = 0;
    for (size_t i = 0; i < nnow; i++)
        refresh(ev, now[i]);
    free(now);
}

static unsigned take_pending_watch(struct mevent *ev, const char *id)
{
    for (uint32_t i = 0; i < ev->npwatch; i++) {
        if (strcmp(ev->pwatch[i].id, id) == 0) {
            unsigned n = ev->pwatch[i].n;
            ev->pwatch[i] = ev->pwatch[--ev->npwatch];
            return n;
        }
    }
    return 0;
}

static void add_pending_watch(struct mevent *ev, const char *id, int delta)
{
    for (uint32_t i = 0; i < ev->npwatch; i++) {
        if (strcmp(ev->pwatch[i].id, id) == 0) {
            if (delta < 0 && ev->pwatch[i].n <= (unsigned)-delta)
                ev->pwatch[i] = ev->pwatch[--ev->npwatch];
            else
                ev->pwatch[i].n += (unsigned)delta;
            return;
        }
    }
    if (delta <= 0)
        return;
    ev->pwatch = xrealloc(ev->pwatch, (ev->npwatch + 1) * sizeof *ev->pwatch);
    snprintf(ev->pwatch[ev->npwatch].id, sizeof ev->pwatch->id, "%s", id);
    ev->pwatch[ev->npwatch++].n = (unsigned)delta;
}

static void free_event(struct mevent *ev);

/* Removes an event this engine just created for nothing. */
static void drop_event(struct mevent *ev)
{
    for (struct mevent **p = &M.events; *p; p = &(*p)->next) {
        if (*p == ev) {
            *p = ev->next;
            free_event(ev);
            return;
        }
    }
}

/* --- the interface --- */

int match_profile_put(const char *event, const char *id, long long version,
                      const char *data, size_t len, struct err *err)
{
    bool existed = find_event(event, false) != NULL;
    struct mevent *ev = find_event(event, true);
    struct mprof *old = lookup(ev, id);
    if (old && old->version >= version)
        return 0;
    struct mprof *p = mprof_parse(ev, id, version, data, len, err);
    if (p == NULL) {
        if (!existed)
            drop_event(ev);
        return -1;
    }
    if (old) {
        /* The load comes from meetings, not from the profile. */
        p->pending = old->pending;
        p->booked = old->booked;
        mprof_update_congestion(ev, p);
    }
    struct active *a = NULL;
    if (old) {
        /* The lists it is in stay its lists. */
        p->in = old->in;
        p->nin = old->nin;
        p->capin = old->capin;
        old->in = NULL;
        p->idx = old->idx;
        a = old->active;
        mindex_remove(&ev->index, old);
        if (a)
            mindex_remove(&ev->aindex, old);
        mprof_free(ev, old);
    } else {
        p->idx = alloc_idx(ev);
        ev->nprofiles++;
        if (2 * (ev->nprofiles + 1) > ev->byid_cap)
            byid_grow(ev);
    }
    ev->prof[p->idx] = p;
    if (!old)
        byid_put(ev, p->idx);
    set_info(ev, p);
    bsig_set(&ev->bsig[p->idx], ev, p);
    mindex_add(&ev->index, ev, p);
    if (a) {
        a->p = p;
        p->active = a;
        mindex_add(&ev->aindex, ev, p);
    }
    reweigh(ev);
    uint32_t nholding = p->nin;
    struct active **holding = holding_copy(p);
    update_near(ev, p->idx, holding, nholding);
    free(holding);
    unsigned w = old ? 0 : take_pending_watch(ev, id);
    if (w) {
        a = activate(ev, p, NULL, 0, 0);
        a->watchers = w;
    }
    if (p->active)
        refresh(ev, p->active);
    return 1;
}

void match_profile_delete(const char *event, const char *id)
{
    struct mevent *ev = find_event(event, false);
    struct mprof *p = ev ? lookup(ev, id) : NULL;
    if (p == NULL)
        return;
    uint32_t nholding = p->nin;
    struct active **holding = holding_copy(p);
    uint32_t idx = p->idx;
    if (p->active) {
        if (p->active->watchers)
            add_pending_watch(ev, id, (int)p->active->watchers);
        deactivate(p->active);
    }
    mindex_remove(&ev->index, p);
    byid_del(ev, id);
    ev->prof[idx] = NULL;
    mprof_free(ev, p);
    ev->nprofiles--;
    reweigh(ev);
    update_near(ev, idx, holding, nholding);
    free(holding);
    ev->free_idx[ev->nfree++] = idx;
}

long long match_profile_version(const char *event, const char *id)
{
    struct mevent *ev = find_event(event, false);
    struct mprof *p = ev ? lookup(ev, id) : NULL;
    return p ? p->version : -1;
}

int match_top(const char *event, const char *id, size_t k,
              struct match_entry *out, struct err *err)
{
    struct mevent *ev = find_event(event, false);
    struct mprof *p = ev ? lookup(ev, id) : NULL;
    if (p == NULL)
        return err_set(err, ERR_NOT_FOUND, "no participant '%s' in event '%s'",
                       id, event);
    if (k > MATCH_K_MAX)
        k = MATCH_K_MAX;
    M.queries++;
    struct active *kept = p->active;
    if (kept && !kept->stale && k <= MATCH_KEEP &&
        (kept->complete || kept->n >= k)) {
        /* The kept list is exact: every write that could change it has
         * been applied to it. */
        kept->asked_ms = M.clock();
        lru_front(kept);
        size_t shown = kept->n < k ? kept->n : k;
        for (size_t i = 0; i < shown; i++)
            fill_entry(ev, p, &kept->top[i], &out[i]);
        return (int)shown;
    }
    struct top_entry top[MATCH_K_MAX];
    /* A first ask costs a query for 10 only; a list that later loses
     * entries is refilled with KEPT. */
    size_t want = k < MATCH_KEEP ? MATCH_KEEP : k;
    size_t n = query_top(ev, p, want, top);
    bool was_active = p->active != NULL;
    struct active *a = activate(ev, p, top, n, want);
    if (was_active) {
        struct top_entry old[KEPT];
        unsigned n_old = a->n;
        memcpy(old, a->top, n_old * sizeof *old);
        set_list(a, top, n, want);
        refs_update(ev, a, old, n_old);
        notify_new(ev, a, old, n_old);
    }
    a->asked_ms = M.clock();
    lru_front(a);
    size_t shown = n < k ? n : k;
    for (size_t i = 0; i < shown; i++)
        fill_entry(ev, p, &top[i], &out[i]);
    enforce_cap();
    return (int)shown;
}

void match_watch(const char *event, const char *id, int delta)
{
    struct mevent *ev = find_event(event, delta > 0);
    if (ev == NULL)
        return;
    struct mprof *p = lookup(ev, id);
    if (p == NULL) {
        add_pending_watch(ev, id, delta);
        return;
    }
    if (delta > 0) {
        struct active *a = activate(ev, p, NULL, 0, 0);
        a->watchers += (unsigned)delta;
        enforce_cap();
    } else if (p->active) {
        struct active *a = p->active;
        a->watchers =
            a->watchers > (unsigned)-delta ? a->watchers - (unsigned)-delta : 0;
        /* Kept a while longer, as if just asked. */
        a->asked_ms = M.clock();
        lru_front(a);
    }
}

void match_set_load(const char *event, const char *id, unsigned pending,
                    unsigned booked)
{
    struct mevent *ev = find_event(event, false);
    struct mprof *p = ev ? lookup(ev, id) : NULL;
    if (p == NULL || (p->pending == pending && p->booked == booked))
        return;
    p->pending = pending;
    p->booked = booked;
    mprof_update_congestion(ev, p);
    set_info(ev, p);
    uint32_t nholding = p->nin;
    struct active **holding = holding_copy(p);
    update_near(ev, p->idx, holding, nholding);
    free(holding);
}

void match_expire(uint64_t now_ms)
{
    uint64_t ttl = (uint64_t)M.cfg.active_seconds * 1000;
    struct active *a = M.lru_tail;
    while (a) {
        struct active *prev = a->lru_prev;
        if (now_ms - a->asked_ms < ttl)
            break;
        if (a->watchers == 0)
            deactivate(a);
        a = prev;
    }
}

/* --- event facts: slots and interpreters --- */

static void set_slots(struct mevent *ev, const msgpack_object *slots)
{
    free(ev->cur);
    ev->cur = NULL;
    ev->ncur = 0;
    ev->ncur_words = 0;
    if (slots == NULL || slots->type != MSGPACK_OBJECT_ARRAY)
        return;
    uint32_t max = 0, n = slots->via.array.size;
    uint32_t *ix = xmalloc((n + 1) * sizeof *ix), m = 0;
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *id = mp_map_get(&slots->via.array.ptr[i], "id");
        if (id == NULL || id->type != MSGPACK_OBJECT_STR ||
            id->via.str.size > 64)
            continue;
        char s[65];
        memcpy(s, id->via.str.ptr, id->via.str.size);
        s[id->via.str.size] = '\0';
        ix[m] = mevent_slot_index(ev, s);
        if (ix[m] + 1 > max)
            max = ix[m] + 1;
        m++;
    }
    ev->ncur_words = (uint16_t)((max + 63) / 64);
    ev->cur = xcalloc(ev->ncur_words + 1, sizeof *ev->cur);
    for (uint32_t i = 0; i < m; i++) {
        if (!(ev->cur[ix[i] / 64] >> (ix[i] % 64) & 1))
            ev->ncur++;
        ev->cur[ix[i] / 64] |= 1ull << (ix[i] % 64);
    }
    free(ix);
}

static void set_interpreters(struct mevent *ev, const msgpack_object *a)
{
    for (uint32_t i = 0; i < ev->ninterp; i++)
        free(ev->interp[i].lang);
    free(ev->interp);
    free(ev->bridge);
    ev->bridge = NULL;
    ev->interp = NULL;
    ev->ninterp = 0;
    if (a == NULL || a->type != MSGPACK_OBJECT_ARRAY || a->via.array.size == 0)
        return;
    ev->interp = xcalloc(a->via.array.size, sizeof *ev->interp);
    for (uint32_t i = 0; i < a->via.array.size; i++) {
        const msgpack_object *l = mp_map_get(&a->via.array.ptr[i], "languages");
        if (l == NULL || l->type != MSGPACK_OBJECT_ARRAY)
            continue;
        struct interp *it = &ev->interp[ev->ninterp++];
        it->lang = xmalloc((l->via.array.size + 1) * sizeof *it->lang);
        for (uint32_t j = 0; j < l->via.array.size; j++) {
            const msgpack_object *s = &l->via.array.ptr[j];
            if (s->type == MSGPACK_OBJECT_STR && s->via.str.size == 2)
                it->lang[it->nlang++] = code_index(s->via.str.ptr);
        }
    }
    /* Every pair of languages some interpreter speaks both of. */
    ev->bridge =
        xcalloc((size_t)LANG_CODES * LANG_CODES / 64 + 1, sizeof *ev->bridge);
    for (uint32_t i = 0; i < ev->ninterp; i++) {
        const struct interp *it = &ev->interp[i];
        for (uint16_t x = 0; x < it->nlang; x++)
            for (uint16_t y = 0; y < it->nlang; y++) {
                size_t bit = (size_t)it->lang[x] * LANG_CODES + it->lang[y];
                ev->bridge[bit / 64] |= 1ull << (bit % 64);
            }
    }
}

int match_event_put(const char *event, const char *data, size_t len,
                    struct err *err)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object m;
    size_t off = 0;
    if (msgpack_unpack(data, len, &off, &zone, &m) != MSGPACK_UNPACK_SUCCESS ||
        m.type != MSGPACK_OBJECT_MAP) {
        msgpack_zone_destroy(&zone);
        return err_set(err, ERR_INTERNAL, "event '%s': stored data unreadable",
                       event);
    }
    struct mevent *ev = find_event(event, true);
    set_slots(ev, mp_map_get(&m, "slots"));
    set_interpreters(ev, mp_map_get(&m, "interpreters"));
    msgpack_zone_destroy(&zone);
    /* Capacity depends on the slots; language bridges on interpreters. */
    for (uint32_t i = 0; i < ev->nprof_slots; i++) {
        if (ev->prof[i] == NULL)
            continue;
        mprof_update_congestion(ev, ev->prof[i]);
        set_info(ev, ev->prof[i]);
    }
    for (uint32_t i = 0; i < ev->nprof_slots; i++)
        if (ev->prof[i] && ev->prof[i]->active)
            refresh(ev, ev->prof[i]->active);
    return 0;
}

void match_get_stats(struct match_stats *st)
{
    memset(st, 0, sizeof *st);
    for (struct mevent *e = M.events; e; e = e->next) {
        st->events++;
        st->profiles += e->nprofiles;
        st->features += e->dict.live;
    }
    st->active = M.nactive;
    st->queries = M.queries;
    st->notified = M.notified;
}

static void free_event(struct mevent *ev)
{
    for (uint32_t i = 0; i < ev->nprof_slots; i++) {
        struct mprof *p = ev->prof[i];
        if (p == NULL)
            continue;
        if (p->active) {
            lru_unlink(p->active);
            free(p->active);
        }
        mprof_free(ev, p);
    }
    mindex_free(&ev->index);
    mindex_free(&ev->aindex);
    dict_free(&ev->dict);
    for (uint32_t i = 0; i < ev->nslot_names; i++)
        free(ev->slot_names[i]);
    free(ev->slot_names);
    free(ev->cur);
    set_interpreters(ev, NULL);
    free(ev->prof);
    free(ev->info);
    free(ev->bsig);
    free(ev->free_idx);
    free(ev->byid);
    free(ev->pwatch);
    free(ev->reweighed);
    free(ev->sc.acc);
    free(ev->sc.touched);
    free(ev->sc.heap);
    free(ev);
}

void match_shutdown(void)
{
    while (M.events) {
        struct mevent *e = M.events;
        M.events = e->next;
        free_event(e);
    }
    memset(&M, 0, sizeof M);
}
