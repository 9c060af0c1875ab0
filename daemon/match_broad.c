/* match_broad.c: the broad features (HS chapters, ISIC sections and
 * divisions) of each profile as a few bitsets in one cache line. Their
 * posting lists hold tens of thousands of profiles each, so a query does
 * not walk them for the candidates it meets through specific features:
 * it reads each candidate's signature instead (match_query.c). */
#include <string.h>

#include "match_int.h"

enum { BW_HS_OFFER = 0, BW_HS_NEED = 2, BW_DIVISION = 4, BW_SECTION = 6 };

/* The bit of a broad feature within its set (chapter or division number,
 * section letter), or -1 when it has none. */
static int broad_bit(const struct dict_entry *e)
{
    const char *t = e->text;
    bool two_digits = t[0] >= '0' && t[0] <= '9' && t[1] >= '0' && t[1] <= '9';
    if ((e->kind == FEAT_HS && e->level == 1) ||
        (e->kind == FEAT_ISIC && e->level == 2))
        return two_digits ? (t[0] - '0') * 10 + (t[1] - '0') : -1;
    if (e->kind == FEAT_ISIC && e->level == 1)
        return t[0] >= 'A' && t[0] <= 'Z' ? t[0] - 'A' : -1;
    return -1;
}

bool broad_feature(const struct dict_entry *e)
{
    return broad_bit(e) >= 0;
}

static void set_bit(struct bsig *s, int base, int bit)
{
    s->w[base + bit / 64] |= 1ull << (bit % 64);
}

void bsig_set(struct bsig *s, const struct mevent *ev, const struct mprof *p)
{
    memset(s, 0, sizeof *s);
    for (uint32_t i = 0; i < p->noffer; i++) {
        const struct dict_entry *e = dict_get(&ev->dict, p->offer[i]);
        int bit = e->kind == FEAT_HS ? broad_bit(e) : -1;
        if (bit >= 0)
            set_bit(s, BW_HS_OFFER, bit);
    }
    for (uint32_t i = 0; i < p->nsector; i++) {
        const struct dict_entry *e = dict_get(&ev->dict, p->sector[i]);
        int bit = broad_bit(e);
        if (bit >= 0)
            set_bit(s, e->level == 1 ? BW_SECTION : BW_DIVISION, bit);
    }
    /* The need weight as match_index.c gives it to a need list, at most
     * over the chapters. */
    for (uint32_t i = 0; i < p->nneed;) {
        uint32_t fid = p->need[i].fid;
        uint64_t sum = 0;
        for (; i < p->nneed && p->need[i].fid == fid; i++)
            sum += p->need[i].w;
        const struct dict_entry *e = dict_get(&ev->dict, fid);
        int bit = e->kind == FEAT_HS ? broad_bit(e) : -1;
        if (bit < 0)
            continue;
        set_bit(s, BW_HS_NEED, bit);
        float w = (float)((double)sum / W_ONE / p->nneed_items);
        if (w > s->need_w)
            s->need_w = w;
    }
}

bool bterm_of(const struct dict_entry *e, enum role_list role, float w,
              struct bterm *out)
{
    int bit = broad_bit(e);
    if (bit < 0)
        return false;
    int base = role == RL_OFFER  ? BW_HS_OFFER
               : role == RL_NEED ? BW_HS_NEED
               : e->level == 1   ? BW_SECTION
                                 : BW_DIVISION;
    *out = (struct bterm){.word = (uint8_t)(base + bit / 64),
                          .role = (uint8_t)role,
                          .mask = 1ull << (bit % 64),
                          .w = w};
    return true;
}
