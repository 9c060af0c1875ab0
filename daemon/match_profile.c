/* match_profile.c: turns a stored profile (the MessagePack map that
 * profile.put validated) into matching features: HS and ISIC codes at
 * every level, tokens of offer and need texts, and the small facts that
 * add to a score. The map comes from our own Redis, but it is read
 * defensively: anything unexpected is skipped, never trusted. */
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "codes.h"
#include "match_int.h"
#include "text.h"
#include "xmalloc.h"

/* How much of an item each level of a code is worth: the increments add up
 * to 1 at the most specific level, so sharing a 6-digit code is worth 1,
 * a 4-digit heading 0.6, a 2-digit chapter 0.3. */
static const uint32_t hs_step[4] = {0, 300000, 300000, 400000};
/* Keyword matches of an item are worth at most 0.8 of a code match. */
#define KEYWORD_SHARE 0.8
/* Kind weights of tokens within an item's text. */
static const unsigned kind_w[3] = {
    [TOKEN_WORD] = 2, [TOKEN_FRAGMENT] = 1, [TOKEN_SUB] = 1};

static const char *const coop_names[] = {
    "trade",       "distribution", "licensing", "joint_venture",
    "outsourcing", "investment",   "financing"};

static bool str_is(const msgpack_object *o, const char *s)
{
    size_t n = strlen(s);
    return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
           memcmp(o->via.str.ptr, s, n) == 0;
}

const msgpack_object *mp_map_get(const msgpack_object *m, const char *key)
{
    if (m->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < m->via.map.size; i++)
        if (str_is(&m->via.map.ptr[i].key, key))
            return &m->via.map.ptr[i].val;
    return NULL;
}

/* Copies a str object into buf (NUL-terminated); false if not a str or too
 * long. */
static bool get_str(const msgpack_object *o, char *buf, size_t cap)
{
    if (o == NULL || o->type != MSGPACK_OBJECT_STR || o->via.str.size >= cap)
        return false;
    memcpy(buf, o->via.str.ptr, o->via.str.size);
    buf[o->via.str.size] = '\0';
    return true;
}

static const msgpack_object *get_array(const msgpack_object *m, const char *key)
{
    const msgpack_object *o = mp_map_get(m, key);
    return o && o->type == MSGPACK_OBJECT_ARRAY ? o : NULL;
}

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static int cmp_need(const void *a, const void *b)
{
    const struct need_feat *x = a, *y = b;
    if (x->fid != y->fid)
        return x->fid < y->fid ? -1 : 1;
    return (int)x->item - (int)y->item;
}

/* A sorted list of two-letter codes without repeats. */
static uint16_t *code_list(const msgpack_object *a, uint16_t *n)
{
    *n = 0;
    if (a == NULL || a->via.array.size == 0)
        return NULL;
    uint16_t *v = xmalloc(a->via.array.size * sizeof *v);
    for (uint32_t i = 0; i < a->via.array.size; i++) {
        char s[3];
        if (get_str(&a->via.array.ptr[i], s, sizeof s) && strlen(s) == 2)
            v[(*n)++] = code_index(s);
    }
    if (*n > 1)
        qsort(v, *n, sizeof *v, cmp_u16);
    uint16_t m = 0;
    for (uint16_t i = 0; i < *n; i++)
        if (m == 0 || v[m - 1] != v[i])
            v[m++] = v[i];
    *n = m;
    return v;
}

/* Growable arrays used while building. */
struct fvec {
    uint32_t *v;
    uint8_t *kind;
    size_t n, cap;
};

static void fvec_add(struct fvec *f, uint32_t fid, uint8_t kind)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 16;
        f->v = xrealloc(f->v, f->cap * sizeof *f->v);
        f->kind = xrealloc(f->kind, f->cap);
    }
    f->v[f->n] = fid;
    f->kind[f->n++] = kind;
}

struct nvec {
    struct need_feat *v;
    size_t n, cap;
};

static void nvec_add(struct nvec *f, struct need_feat nf)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 16;
        f->v = xrealloc(f->v, f->cap * sizeof *f->v);
    }
    f->v[f->n++] = nf;
}

/* Features of one offer or need item: the code's levels, then tokens. For
 * needs, each gets its share of the item. */
static void item_features(struct mevent *ev, const msgpack_object *it,
                          uint16_t item, struct fvec *offers,
                          struct nvec *needs)
{
    char code[8];
    struct code_level lv[CODES_MAX_LEVELS];
    size_t nl = 0;
    if (get_str(mp_map_get(it, "code"), code, sizeof code))
        nl = hs_levels(code, lv);
    for (size_t i = 0; i < nl; i++) {
        uint32_t fid = dict_intern(&ev->dict, FEAT_HS, lv[i].level, lv[i].code);
        if (offers)
            fvec_add(offers, fid, 0);
        else
            nvec_add(needs,
                     (struct need_feat){fid, item, 0, hs_step[lv[i].level]});
    }
    const msgpack_object *t = mp_map_get(it, "text");
    if (t == NULL || t->type != MSGPACK_OBJECT_STR)
        return;
    struct tokens toks = {0};
    struct err err;
    if (text_tokenize(t->via.str.ptr, t->via.str.size, &toks, &err) < 0)
        return;
    unsigned total = 0;
    for (size_t i = 0; i < toks.n; i++)
        total += kind_w[toks.v[i].kind];
    for (size_t i = 0; i < toks.n; i++) {
        uint32_t fid = dict_intern(&ev->dict, FEAT_TOKEN, 0, toks.v[i].text);
        uint8_t k = (uint8_t)toks.v[i].kind;
        if (offers) {
            fvec_add(offers, fid, (uint8_t)(1u << k));
        } else {
            uint32_t w = (uint32_t)(KEYWORD_SHARE * W_ONE * kind_w[k] / total);
            nvec_add(needs, (struct need_feat){fid, item, k, w});
        }
    }
    tokens_free(&toks);
}

/* Sorts fids, merging repeats (their kind bits are or-ed). */
static void fvec_unique(struct fvec *f)
{
    /* Sort an index permutation by fid; small arrays, so insertion sort. */
    for (size_t i = 1; i < f->n; i++) {
        uint32_t v = f->v[i];
        uint8_t k = f->kind[i];
        size_t j = i;
        for (; j > 0 && f->v[j - 1] > v; j--) {
            f->v[j] = f->v[j - 1];
            f->kind[j] = f->kind[j - 1];
        }
        f->v[j] = v;
        f->kind[j] = k;
    }
    size_t m = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (m > 0 && f->v[m - 1] == f->v[i]) {
            f->kind[m - 1] |= f->kind[i];
        } else {
            f->v[m] = f->v[i];
            f->kind[m++] = f->kind[i];
        }
    }
    f->n = m;
}

/* Repeats of one fid within one need item (a word said twice) keep the
 * larger share; across items they stay separate. */
static void nvec_unique(struct nvec *f)
{
    if (f->n > 1)
        qsort(f->v, f->n, sizeof *f->v, cmp_need);
    size_t m = 0;
    for (size_t i = 0; i < f->n; i++) {
        struct need_feat *last = m ? &f->v[m - 1] : NULL;
        if (last && last->fid == f->v[i].fid && last->item == f->v[i].item) {
            if (f->v[i].w > last->w)
                *last = f->v[i];
        } else {
            f->v[m++] = f->v[i];
        }
    }
    f->n = m;
}

uint32_t mevent_slot_index(struct mevent *ev, const char *name)
{
    for (uint32_t i = 0; i < ev->nslot_names; i++)
        if (strcmp(ev->slot_names[i], name) == 0)
            return i;
    if (ev->nslot_names == ev->slot_names_cap) {
        ev->slot_names_cap = ev->slot_names_cap ? ev->slot_names_cap * 2 : 32;
        ev->slot_names = xrealloc(ev->slot_names,
                                  ev->slot_names_cap * sizeof *ev->slot_names);
    }
    ev->slot_names[ev->nslot_names] = xstrdup(name);
    return ev->nslot_names++;
}

static void parse_slots(struct mevent *ev, struct mprof *p,
                        const msgpack_object *a)
{
    p->all_slots = a == NULL;
    if (a == NULL || a->via.array.size == 0)
        return;
    uint32_t *ix = xmalloc(a->via.array.size * sizeof *ix);
    uint32_t n = 0, max = 0;
    for (uint32_t i = 0; i < a->via.array.size; i++) {
        char s[65];
        if (!get_str(&a->via.array.ptr[i], s, sizeof s))
            continue;
        ix[n] = mevent_slot_index(ev, s);
        if (ix[n] + 1 > max)
            max = ix[n] + 1;
        n++;
    }
    p->nslot_words = (uint16_t)((max + 63) / 64);
    p->slots =
        p->nslot_words ? xcalloc(p->nslot_words, sizeof *p->slots) : NULL;
    for (uint32_t i = 0; i < n; i++)
        p->slots[ix[i] / 64] |= 1ull << (ix[i] % 64);
    free(ix);
}

static int parse_side(const msgpack_object *o)
{
    return str_is(o, "buyer")    ? SIDE_BUYER
           : str_is(o, "seller") ? SIDE_SELLER
           : str_is(o, "both")   ? SIDE_BOTH
                                 : 0;
}

static int parse_size(const msgpack_object *o)
{
    static const char *const names[] = {"", "micro", "small", "medium",
                                        "large"};
    for (int i = 1; i < 5; i++)
        if (o && str_is(o, names[i]))
            return i;
    return SIZE_NONE;
}

static void parse_codes_and_text(struct mevent *ev, struct mprof *p,
                                 const msgpack_object *m)
{
    struct fvec offers = {0}, sectors = {0};
    struct nvec needs = {0};
    const msgpack_object *a = get_array(m, "offers");
    for (uint32_t i = 0; a && i < a->via.array.size; i++)
        item_features(ev, &a->via.array.ptr[i], 0, &offers, NULL);
    a = get_array(m, "needs");
    uint16_t items = 0;
    for (uint32_t i = 0; a && i < a->via.array.size && items < UINT16_MAX; i++)
        item_features(ev, &a->via.array.ptr[i], items++, NULL, &needs);
    a = get_array(m, "sectors");
    for (uint32_t i = 0; a && i < a->via.array.size; i++) {
        char code[8];
        struct code_level lv[CODES_MAX_LEVELS];
        size_t nl = get_str(&a->via.array.ptr[i], code, sizeof code)
                        ? isic_levels(code, lv)
                        : 0;
        for (size_t j = 0; j < nl; j++)
            fvec_add(&sectors,
                     dict_intern(&ev->dict, FEAT_ISIC, lv[j].level, lv[j].code),
                     0);
    }
    fvec_unique(&offers);
    fvec_unique(&sectors);
    nvec_unique(&needs);
    p->offer = offers.v;
    p->offer_kind = offers.kind;
    p->noffer = (uint32_t)offers.n;
    p->sector = sectors.v;
    p->nsector = (uint32_t)sectors.n;
    free(sectors.kind);
    p->need = needs.v;
    p->nneed = (uint32_t)needs.n;
    p->nneed_items = items;
}

/* Token document frequency: the profiles whose offers or needs hold it. */
static void count_df(struct mevent *ev, const struct mprof *p, int delta)
{
    size_t i = 0, j = 0;
    while (i < p->noffer || j < p->nneed) {
        uint32_t a = i < p->noffer ? p->offer[i] : UINT32_MAX;
        uint32_t b = j < p->nneed ? p->need[j].fid : UINT32_MAX;
        uint32_t f = a < b ? a : b;
        while (i < p->noffer && p->offer[i] == f)
            i++;
        while (j < p->nneed && p->need[j].fid == f)
            j++;
        struct dict_entry *e = &ev->dict.e[f];
        if (e->kind != FEAT_TOKEN)
            continue;
        unsigned before = rarity_step(e->df);
        e->df += (uint32_t)delta;
        if (rarity_step(e->df) != before) {
            /* Its weight changed: kept lists using it go stale. */
            if (ev->nreweighed == ev->reweighed_cap) {
                ev->reweighed_cap =
                    ev->reweighed_cap ? ev->reweighed_cap * 2 : 16;
                ev->reweighed = xrealloc(ev->reweighed,
                                         ev->reweighed_cap * sizeof(uint32_t));
            }
            ev->reweighed[ev->nreweighed++] = f;
        }
    }
}

/* Every fid the profile holds, in every role, refs +1 or -1. */
static void ref_all(struct mevent *ev, const struct mprof *p, bool take)
{
    void (*fn)(struct dict *, uint32_t) = take ? dict_ref : dict_unref;
    for (uint32_t i = 0; i < p->noffer; i++)
        fn(&ev->dict, p->offer[i]);
    for (uint32_t i = 0; i < p->nneed; i++)
        fn(&ev->dict, p->need[i].fid);
    for (uint32_t i = 0; i < p->nsector; i++)
        fn(&ev->dict, p->sector[i]);
}

void mprof_update_congestion(const struct mevent *ev, struct mprof *p)
{
    /* Capacity: the meetings it can still take (free slots, max_meetings)
     * minus those booked. A full agenda sinks it; pending requests beyond
     * what it can take spread attention to others. */
    uint32_t free_slots = ev->ncur;
    if (!p->all_slots) {
        free_slots = 0;
        for (uint16_t w = 0; w < p->nslot_words && w < ev->ncur_words; w++)
            free_slots +=
                (uint32_t)__builtin_popcountll(p->slots[w] & ev->cur[w]);
    }
    uint32_t cap = free_slots;
    if (p->max_meetings >= 0 && (uint32_t)p->max_meetings < cap)
        cap = (uint32_t)p->max_meetings;
    uint32_t left = cap > p->booked ? cap - p->booked : 0;
    float c = left == 0
                  ? 0.25f
                  : 1.0f / (1.0f + 0.5f * (float)p->pending / (float)left);
    p->cong = c < 0.25f ? 0.25f : c;
}

struct mprof *mprof_parse(struct mevent *ev, const char *id, long long version,
                          const char *data, size_t len, struct err *err)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object m;
    size_t off = 0;
    struct mprof *p = NULL;
    if (msgpack_unpack(data, len, &off, &zone, &m) != MSGPACK_UNPACK_SUCCESS ||
        m.type != MSGPACK_OBJECT_MAP) {
        err_set(err, ERR_INTERNAL, "profile '%s': stored data unreadable", id);
        goto out;
    }
    char country[3], company[1024];
    int side = parse_side(mp_map_get(&m, "side"));
    if (side == 0 || !get_str(mp_map_get(&m, "country"), country, 3) ||
        strlen(country) != 2 ||
        !get_str(mp_map_get(&m, "company"), company, sizeof company)) {
        err_set(err, ERR_INTERNAL, "profile '%s': stored data incomplete", id);
        goto out;
    }
    p = xcalloc(1, sizeof *p);
    p->id = xstrdup(id);
    p->company = xstrdup(company);
    p->version = version;
    p->side = (uint8_t)side;
    p->size = (uint8_t)parse_size(mp_map_get(&m, "size"));
    p->country = code_index(country);
    p->lang = code_list(get_array(&m, "languages"), &p->nlang);
    p->market = code_list(get_array(&m, "markets"), &p->nmarket);
    const msgpack_object *a = get_array(&m, "cooperation");
    for (uint32_t i = 0; a && i < a->via.array.size; i++)
        for (unsigned j = 0; j < 7; j++)
            if (str_is(&a->via.array.ptr[i], coop_names[j]))
                p->coop |= (uint8_t)(1u << j);
    parse_slots(ev, p, get_array(&m, "slots"));
    const msgpack_object *mm = mp_map_get(&m, "max_meetings");
    p->max_meetings = -1;
    if (mm && mm->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        p->max_meetings =
            mm->via.u64 > INT32_MAX ? INT32_MAX : (int32_t)mm->via.u64;
    parse_codes_and_text(ev, p, &m);
    ref_all(ev, p, true);
    count_df(ev, p, +1);
    mprof_update_congestion(ev, p);
out:
    msgpack_zone_destroy(&zone);
    return p;
}

void mprof_free(struct mevent *ev, struct mprof *p)
{
    if (p == NULL)
        return;
    count_df(ev, p, -1);
    ref_all(ev, p, false);
    free(p->id);
    free(p->company);
    free(p->need);
    free(p->offer);
    free(p->offer_kind);
    free(p->sector);
    free(p->lang);
    free(p->market);
    free(p->slots);
    free(p->in);
    free(p);
}

/* For reasons: the name of cooperation bit i. */
const char *match_coop_name(unsigned i)
{
    return i < 7 ? coop_names[i] : "";
}
