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

static bool in_list(const struct active *a, uint32_t idx)
{
    for (unsigned i = 0; i < a->n; i++)
        if (a->top[i].idx == idx)
            return true;
    return false;
}

/* Recomputes a kept list; entries that were not in it are notified. */
static void refresh(struct mevent *ev, struct active *a)
{
    struct top_entry fresh[MATCH_KEEP];
    size_t n = query_top(ev, a->p, MATCH_KEEP, fresh);
    struct active old = *a;
    memcpy(a->top, fresh, n * sizeof *fresh);
    a->n = (unsigned)n;
    a->stale = false;
    for (size_t i = 0; i < n; i++)
        if (!in_list(&old, fresh[i].idx))
            notify_entry(ev, a, &fresh[i]);
}

/* Keeps p's list from now on; `top` (n entries) is its list if already
 * computed, else it is computed here. */
static struct active *activate(struct mevent *ev, struct mprof *p,
                               const struct top_entry *top, size_t n)
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
        a->n = (unsigned)(n < MATCH_KEEP ? n : MATCH_KEEP);
        memcpy(a->top, top, a->n * sizeof *top);
    } else {
        a->n = (unsigned)query_top(ev, p, MATCH_KEEP, a->top);
    }
    a->asked_ms = M.clock();
    lru_front(a);
    return a;
}

static void deactivate(struct active *a)
{
    struct mevent *ev = a->ev;
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
 * kept list now? */
static void update_list(struct mevent *ev, struct active *a, uint32_t idx)
{
    if (a->stale)
        return; /* recomputed whole when next asked */
    const struct mprof *b = ev->prof[idx];
    double s = b ? score_pair(ev, a->p, b, NULL) : 0;
    unsigned pos = 0;
    while (pos < a->n && a->top[pos].idx != idx)
        pos++;
    if (pos < a->n) {
        bool full = a->n == MATCH_KEEP;
        if (s < a->top[pos].score && full) {
            /* It fell: whoever was eleventh may now belong. */
            refresh(ev, a);
            return;
        }
        if (s == 0) {
            memmove(&a->top[pos], &a->top[pos + 1],
                    (a->n - pos - 1) * sizeof *a->top);
            a->n--;
            return;
        }
        a->top[pos].score = s;
        /* Re-sort by moving it to its place. */
        struct top_entry e = a->top[pos];
        memmove(&a->top[pos], &a->top[pos + 1],
                (a->n - pos - 1) * sizeof *a->top);
        a->n--;
        unsigned i = a->n;
        for (; i > 0 && top_cmp(ev, &e, &a->top[i - 1]) < 0; i--)
            a->top[i] = a->top[i - 1];
        a->top[i] = e;
        a->n++;
        return;
    }
    if (s <= 0)
        return;
    struct top_entry e = {idx, s};
    if (a->n == MATCH_KEEP && top_cmp(ev, &e, &a->top[MATCH_KEEP - 1]) >= 0)
        return;
    unsigned i = a->n < MATCH_KEEP ? a->n++ : MATCH_KEEP - 1;
    for (; i > 0 && top_cmp(ev, &e, &a->top[i - 1]) < 0; i--)
        a->top[i] = a->top[i - 1];
    a->top[i] = e;
    notify_entry(ev, a, &e);
}

/* Kept lists that p (at idx) may enter or leave: those near its old and
 * new features, each once. */
static void update_near(struct mevent *ev, uint32_t *l1, uint32_t n1,
                        uint32_t idx)
{
    if (++M.mark == 0)
        M.mark = 1;
    uint32_t n2 = 0, *l2 = NULL;
    if (ev->prof[idx])
        l2 = query_active_near(ev, ev->prof[idx], &n2);
    uint32_t *lists[2] = {l1, l2}, counts[2] = {n1, n2};
    for (int k = 0; k < 2; k++) {
        for (uint32_t i = 0; i < counts[k]; i++) {
            struct mprof *p = ev->prof[lists[k][i]];
            if (p == NULL || p->active == NULL || p->active->mark == M.mark)
                continue;
            p->active->mark = M.mark;
            update_list(ev, p->active, idx);
        }
    }
    free(l2);
}

/* Words whose weight changed in this write: every kept list of a profile
 * using one of them is stale. Watched lists are recomputed now (their
 * subscribers expect match.new); the others when next asked. */
static void reweigh(struct mevent *ev)
{
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
                    if (p && p->active)
                        p->active->stale = true;
                }
            }
    }
    if (ev->nreweighed == 0)
        return;
    ev->nreweighed = 0;
    for (struct active *a = M.lru_head; a; a = a->lru_next)
        if (a->ev == ev && a->stale && a->watchers)
            refresh(ev, a);
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
    uint32_t n1 = 0, *l1 = NULL;
    struct active *a = NULL;
    if (old) {
        l1 = query_active_near(ev, old, &n1);
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
    mindex_add(&ev->index, ev, p);
    if (a) {
        a->p = p;
        p->active = a;
        mindex_add(&ev->aindex, ev, p);
    }
    reweigh(ev);
    update_near(ev, l1, n1, p->idx);
    free(l1);
    unsigned w = old ? 0 : take_pending_watch(ev, id);
    if (w) {
        a = activate(ev, p, NULL, 0);
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
    uint32_t n1 = 0;
    uint32_t *l1 = query_active_near(ev, p, &n1);
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
    update_near(ev, l1, n1, idx);
    free(l1);
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
    if (kept && !kept->stale && k <= MATCH_KEEP) {
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
    size_t want = k < MATCH_KEEP ? MATCH_KEEP : k;
    size_t n = query_top(ev, p, want, top);
    bool was_active = p->active != NULL;
    struct active *a = activate(ev, p, top, n);
    if (was_active) {
        struct active old = *a;
        a->n = (unsigned)(n < MATCH_KEEP ? n : MATCH_KEEP);
        memcpy(a->top, top, a->n * sizeof *top);
        a->stale = false;
        for (unsigned i = 0; i < a->n; i++)
            if (!in_list(&old, top[i].idx))
                notify_entry(ev, a, &top[i]);
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
        struct active *a = activate(ev, p, NULL, 0);
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
    update_near(ev, NULL, 0, p->idx);
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

static const msgpack_object *get(const msgpack_object *m, const char *key)
{
    size_t n = strlen(key);
    for (uint32_t i = 0; m->type == MSGPACK_OBJECT_MAP && i < m->via.map.size;
         i++) {
        const msgpack_object *k = &m->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
            memcmp(k->via.str.ptr, key, n) == 0)
            return &m->via.map.ptr[i].val;
    }
    return NULL;
}

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
        const msgpack_object *id = get(&slots->via.array.ptr[i], "id");
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
        const msgpack_object *l = get(&a->via.array.ptr[i], "languages");
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
    set_slots(ev, get(&m, "slots"));
    set_interpreters(ev, get(&m, "interpreters"));
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
    free(ev->free_idx);
    free(ev->byid);
    free(ev->pwatch);
    free(ev->reweighed);
    free(ev->sc.acc);
    free(ev->sc.touched);
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
