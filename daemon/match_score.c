/* match_score.c: the reciprocal score of a pair and its reasons. The
 * formula, in words (docs/matching.md says it for organizers):
 *
 *   need fit   for each need item: the share of it the other side offers
 *              (code levels: chapter 0.3, heading +0.3, subheading +0.4;
 *              words: up to 0.8, rarer words weigh more; a Thai syllable
 *              fragment counts only next to a matched word), capped at 1;
 *              averaged over the needer's items.
 *   fit(A)     = need fit of A + 0.3 x shared sector + 0.15 if B is in A's
 *              markets; fit(B) likewise.
 *   core       = mean(fit A, fit B) + min(fit A, fit B) / 2: a pair good
 *              for both ranks above a pair good for one.
 *   extras     language 0.10 (or 0.05 through an interpreter), cooperation
 *              0.05, shared free slots up to 0.05, a micro or small firm
 *              0.03.
 *   score      = (core + extras) / RAW_MAX x congestion of B, in (0, 1].
 *
 * Integers (W_ONE = 1.0) carry every sum so the result never depends on
 * the order of features. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_int.h"
#include "text.h"
#include "xmalloc.h"

static const uint32_t isic_step[5] = {0, 150000, 250000, 300000, 300000};
static const char *const isic_level_name[5] = {"", "section", "division",
                                               "group", "class"};

#define WORDS_SHOWN 3

uint32_t score_rarity(const struct mevent *ev, uint32_t fid)
{
    return rarity_of_df(ev->dict.e[fid].df);
}

/* What one need item got from the other side's offers. */
struct item_fit {
    uint32_t code, word, frag; /* fixed-point shares */
    uint32_t code_fid;         /* most specific shared code */
    uint8_t code_level;
    uint32_t words[WORDS_SHOWN]; /* largest word matches, for reasons */
    uint32_t wshare[WORDS_SHOWN];
};

struct dir_fit {
    uint64_t sum; /* fixed point, over items (each capped at W_ONE) */
    bool link;    /* a code or a word (not a lone fragment) matched */
};

static unsigned offer_kind_w(uint8_t bits)
{
    return bits & (1u << TOKEN_WORD) ? 2 : 1;
}

/* Keeps the WORDS_SHOWN weightiest words, equal weights by text: the
 * order must not depend on fids, which depend on load order. */
static void note_word(const struct mevent *ev, struct item_fit *it,
                      uint32_t fid, uint32_t share)
{
    const char *text = dict_get(&ev->dict, fid)->text;
    for (int i = 0; i < WORDS_SHOWN; i++) {
        if (it->words[i] == DICT_NONE || share > it->wshare[i] ||
            (share == it->wshare[i] &&
             strcmp(text, dict_get(&ev->dict, it->words[i])->text) < 0)) {
            for (int j = WORDS_SHOWN - 1; j > i; j--) {
                it->words[j] = it->words[j - 1];
                it->wshare[j] = it->wshare[j - 1];
            }
            it->words[i] = fid;
            it->wshare[i] = share;
            return;
        }
    }
}

/* How well `offer` (sorted fids with kind bits) meets the need items. */
static struct dir_fit need_fit(const struct mevent *ev,
                               const struct mprof *needer,
                               const struct mprof *offerer,
                               struct item_fit *items)
{
    struct dir_fit d = {0, false};
    uint16_t n = needer->nneed_items;
    for (uint16_t i = 0; i < n; i++) {
        memset(&items[i], 0, sizeof items[i]);
        for (int j = 0; j < WORDS_SHOWN; j++)
            items[i].words[j] = DICT_NONE;
    }
    const struct need_feat *nf = needer->need;
    const uint32_t *of = offerer->offer;
    uint32_t i = 0, j = 0;
    while (i < needer->nneed && j < offerer->noffer) {
        if (nf[i].fid < of[j]) {
            i++;
            continue;
        }
        if (nf[i].fid > of[j]) {
            j++;
            continue;
        }
        const struct dict_entry *e = dict_get(&ev->dict, nf[i].fid);
        struct item_fit *it = &items[nf[i].item];
        if (e->kind == FEAT_HS) {
            it->code += nf[i].w;
            if (e->level > it->code_level) {
                it->code_level = e->level;
                it->code_fid = nf[i].fid;
            }
        } else {
            uint64_t share =
                (uint64_t)nf[i].w * score_rarity(ev, nf[i].fid) / W_ONE;
            uint8_t bits = offerer->offer_kind[j];
            unsigned need_w = nf[i].kind == TOKEN_WORD ? 2 : 1;
            unsigned off_w = offer_kind_w(bits);
            if (off_w < need_w)
                share = share * off_w / need_w;
            bool fragment =
                nf[i].kind == TOKEN_FRAGMENT || bits == (1u << TOKEN_FRAGMENT);
            if (fragment) {
                it->frag += (uint32_t)share;
            } else {
                it->word += (uint32_t)share;
                note_word(ev, it, nf[i].fid, (uint32_t)share);
            }
        }
        i++;
    }
    for (uint16_t k = 0; k < n; k++) {
        struct item_fit *it = &items[k];
        /* A fragment alone proves nothing: it needs a matched word. */
        uint64_t v = (uint64_t)it->code + it->word + (it->word ? it->frag : 0);
        if (v > W_ONE)
            v = W_ONE;
        d.sum += v;
        if (it->code || it->word)
            d.link = true;
    }
    return d;
}

/* Shared sector levels, capped at a whole; *best gets the most specific. */
static uint32_t sector_fit(const struct mevent *ev, const struct mprof *a,
                           const struct mprof *b, uint32_t *best)
{
    uint64_t sum = 0;
    uint8_t lvl = 0;
    *best = DICT_NONE;
    for (uint32_t i = 0, j = 0; i < a->nsector && j < b->nsector;) {
        if (a->sector[i] < b->sector[j]) {
            i++;
        } else if (a->sector[i] > b->sector[j]) {
            j++;
        } else {
            const struct dict_entry *e = dict_get(&ev->dict, a->sector[i]);
            sum += isic_step[e->level < 5 ? e->level : 0];
            if (e->level > lvl) {
                lvl = e->level;
                *best = a->sector[i];
            }
            i++;
            j++;
        }
    }
    return sum > W_ONE ? W_ONE : (uint32_t)sum;
}

static bool has_code(const uint16_t *v, uint16_t n, uint16_t code)
{
    for (uint16_t i = 0; i < n; i++)
        if (v[i] == code)
            return true;
    return false;
}

/* The first language both speak, or -1. */
static int shared_language(const struct mprof *a, const struct mprof *b)
{
    for (uint16_t i = 0, j = 0; i < a->nlang && j < b->nlang;) {
        if (a->lang[i] < b->lang[j])
            i++;
        else if (a->lang[i] > b->lang[j])
            j++;
        else
            return a->lang[i];
    }
    return -1;
}

static bool speaks_any(const struct interp *it, const struct mprof *p,
                       uint16_t *which)
{
    for (uint16_t i = 0; i < it->nlang; i++)
        if (has_code(p->lang, p->nlang, it->lang[i])) {
            *which = it->lang[i];
            return true;
        }
    return false;
}

/* An interpreter of the event who speaks a language of each; -1 if none. */
static int bridge(const struct mevent *ev, const struct mprof *a,
                  const struct mprof *b, uint16_t *la, uint16_t *lb)
{
    for (uint32_t i = 0; i < ev->ninterp; i++)
        if (speaks_any(&ev->interp[i], a, la) &&
            speaks_any(&ev->interp[i], b, lb))
            return (int)i;
    return -1;
}

/* Whether an interpreter speaks a language of each (the event's matrix of
 * language pairs, built by match_event_put). */
static bool bridged(const struct mevent *ev, const struct mprof *a,
                    const struct mprof *b)
{
    for (uint16_t i = 0; i < a->nlang; i++)
        for (uint16_t j = 0; j < b->nlang; j++) {
            size_t bit = (size_t)a->lang[i] * LANG_CODES + b->lang[j];
            if (ev->bridge[bit / 64] >> (bit % 64) & 1)
                return true;
        }
    return false;
}

static uint32_t shared_slots(const struct mevent *ev, const struct mprof *a,
                             const struct mprof *b)
{
    uint32_t n = 0;
    for (uint16_t w = 0; w < ev->ncur_words; w++) {
        uint64_t x = ev->cur[w];
        if (!a->all_slots)
            x &= w < a->nslot_words ? a->slots[w] : 0;
        if (!b->all_slots)
            x &= w < b->nslot_words ? b->slots[w] : 0;
        n += (uint32_t)__builtin_popcountll(x);
    }
    return n;
}

uint64_t lang_bloom(const uint16_t *lang, uint16_t n)
{
    uint64_t b = 0;
    for (uint16_t i = 0; i < n; i++)
        b |= 1ull << (lang[i] % 64);
    return b;
}

/* --- reasons --- */

static void add_reason(struct match_why *why, enum reason_kind k,
                       const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_reason(struct match_why *why, enum reason_kind k,
                       const char *fmt, ...)
{
    if (why->n == MATCH_REASONS_MAX)
        return;
    struct match_reason *r = &why->r[why->n++];
    r->kind = k;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    va_end(ap);
}

static char *code_text(char *buf, size_t n, uint16_t code, bool upper)
{
    char base = upper ? 'A' : 'a';
    snprintf(buf, n, "%c%c", base + code / 26, base + code % 26);
    return buf;
}

/* Product and keyword reasons of one direction; `gets` says who gets
 * what ("offered -> needed": they offer what you need). */
static void item_reasons(const struct mevent *ev, const struct item_fit *items,
                         uint16_t n, bool for_viewer, struct match_why *why)
{
    const char *arrow = for_viewer
                            ? "offered -> needed (they offer what you need)"
                            : "needed <- offered (they need what you offer)";
    for (uint16_t i = 0; i < n; i++)
        if (items[i].code)
            add_reason(why, REASON_PRODUCT, "%s %s",
                       dict_get(&ev->dict, items[i].code_fid)->text, arrow);
    for (uint16_t i = 0; i < n; i++) {
        if (!items[i].word)
            continue;
        /* Quoted words, each added only if it fits whole (valid UTF-8). */
        char words[MATCH_DETAIL_MAX] = "";
        size_t len = 0, room = sizeof words - strlen(arrow) - 2;
        for (int w = 0; w < WORDS_SHOWN && items[i].words[w] != DICT_NONE;
             w++) {
            const char *t = dict_get(&ev->dict, items[i].words[w])->text;
            size_t need = strlen(t) + 2 + (len ? 2 : 0);
            if (len + need >= room)
                break;
            len += (size_t)snprintf(words + len, sizeof words - len, "%s\"%s\"",
                                    len ? ", " : "", t);
        }
        if (len)
            add_reason(why, REASON_KEYWORD, "%s %s", words, arrow);
    }
}

static void other_reasons(const struct mevent *ev, const struct mprof *a,
                          const struct mprof *b, uint32_t sect_fid, bool mkt_a,
                          bool mkt_b, struct match_why *why)
{
    char c[3];
    if (sect_fid != DICT_NONE) {
        const struct dict_entry *e = dict_get(&ev->dict, sect_fid);
        add_reason(why, REASON_SECTOR, "ISIC %s %s shared",
                   isic_level_name[e->level < 5 ? e->level : 0], e->text);
    }
    if (mkt_a)
        add_reason(why, REASON_MARKET,
                   "%s: their country is one of your "
                   "markets",
                   code_text(c, sizeof c, b->country, true));
    if (mkt_b)
        add_reason(why, REASON_MARKET,
                   "%s: your country is one of their "
                   "markets",
                   code_text(c, sizeof c, a->country, true));
    int lang = shared_language(a, b);
    uint16_t la, lb;
    if (lang >= 0) {
        add_reason(why, REASON_LANGUAGE, "you both speak %s",
                   code_text(c, sizeof c, (uint16_t)lang, false));
    } else if (bridge(ev, a, b, &la, &lb) >= 0) {
        char c2[3];
        add_reason(why, REASON_LANGUAGE,
                   "no shared language; an interpreter of the event speaks "
                   "%s and %s",
                   code_text(c, sizeof c, la, false),
                   code_text(c2, sizeof c2, lb, false));
    }
    uint8_t coop = a->coop & b->coop;
    if (coop) {
        char list[MATCH_DETAIL_MAX] = "";
        size_t len = 0;
        for (unsigned i = 0; i < 7; i++)
            if (coop & (1u << i))
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
                                        len ? ", " : "", match_coop_name(i));
        add_reason(why, REASON_COOPERATION, "both open to %s", list);
    }
    uint32_t s = shared_slots(ev, a, b);
    if (s && b->cong < 1)
        add_reason(why, REASON_AVAILABILITY,
                   "%u free slot%s in common; their agenda is %s, so they "
                   "rank lower",
                   s, s == 1 ? "" : "s",
                   b->cong <= 0.25f ? "full" : "filling up");
    else if (s)
        add_reason(why, REASON_AVAILABILITY, "%u free slot%s in common", s,
                   s == 1 ? "" : "s");
    else if (b->cong < 1)
        add_reason(why, REASON_AVAILABILITY,
                   "no free slot in common yet; their agenda is %s",
                   b->cong <= 0.25f ? "full" : "filling up");
    if (b->size == SIZE_MICRO || b->size == SIZE_SMALL)
        add_reason(why, REASON_SIZE,
                   "%s firm: small firms get a little "
                   "more room",
                   b->size == SIZE_MICRO ? "micro" : "small");
}

/* Orders reasons by kind as the contract lists them, keeping the order
 * within a kind (stable insertion sort; at most MATCH_REASONS_MAX). */
static void sort_reasons(struct match_why *why)
{
    for (unsigned i = 1; i < why->n; i++) {
        struct match_reason r = why->r[i];
        unsigned j = i;
        for (; j > 0 && why->r[j - 1].kind > r.kind; j--)
            why->r[j] = why->r[j - 1];
        why->r[j] = r;
    }
}

double score_pair(const struct mevent *ev, const struct mprof *a,
                  const struct mprof *b, struct match_why *why)
{
    if (!sides_match(a, b))
        return 0;
    struct item_fit stack_a[64], stack_b[64];
    struct item_fit *ia =
        a->nneed_items <= 64 ? stack_a : xmalloc(a->nneed_items * sizeof *ia);
    struct item_fit *ib =
        b->nneed_items <= 64 ? stack_b : xmalloc(b->nneed_items * sizeof *ib);
    struct dir_fit da = need_fit(ev, a, b, ia);
    struct dir_fit db = need_fit(ev, b, a, ib);
    uint32_t sect_fid;
    uint32_t sect = sector_fit(ev, a, b, &sect_fid);
    double score = 0;
    if (da.link || db.link || sect) {
        bool mkt_a = has_code(a->market, a->nmarket, b->country);
        bool mkt_b = has_code(b->market, b->nmarket, a->country);
        double s = (double)sect / W_ONE;
        double fa =
            (a->nneed_items ? (double)da.sum / W_ONE / a->nneed_items : 0) +
            SECTOR_SHARE * s + (mkt_a ? MARKET_BONUS : 0);
        double fb =
            (b->nneed_items ? (double)db.sum / W_ONE / b->nneed_items : 0) +
            SECTOR_SHARE * s + (mkt_b ? MARKET_BONUS : 0);
        double core = (fa + fb) / 2 + (fa < fb ? fa : fb) / 2;
        double extra = 0;
        if (shared_language(a, b) >= 0)
            extra += LANG_BONUS;
        else if (ev->bridge && bridged(ev, a, b))
            extra += INTERP_BONUS;
        if (a->coop & b->coop)
            extra += COOP_BONUS;
        uint32_t slots = shared_slots(ev, a, b);
        extra += SLOTS_BONUS * (slots > SLOTS_FULL ? SLOTS_FULL : slots) /
                 SLOTS_FULL;
        if (b->size == SIZE_MICRO || b->size == SIZE_SMALL)
            extra += SIZE_BONUS;
        score = (core + extra) / RAW_MAX * b->cong;
        if (score > 1)
            score = 1;
        if (why) {
            why->n = 0;
            item_reasons(ev, ia, a->nneed_items, true, why);
            item_reasons(ev, ib, b->nneed_items, false, why);
            other_reasons(ev, a, b, sect_fid, mkt_a, mkt_b, why);
            sort_reasons(why);
        }
    }
    if (ia != stack_a)
        free(ia);
    if (ib != stack_b)
        free(ib);
    return score;
}
