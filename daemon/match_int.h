/* match_int.h: the matching engine's internal structures, shared by the
 * match_*.c files only. The public interface is match.h. */
#ifndef EM_MATCH_INT_H
#define EM_MATCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "dict.h"
#include "match.h"

/* Weights are fixed point: W_ONE is 1.0. Sums of integers do not depend
 * on the order they are added in, so a score is bit-for-bit the same
 * whatever order features were interned in (after a restart, on another
 * daemon). */
#define W_ONE 1000000u

enum side { SIDE_BUYER = 1, SIDE_SELLER = 2, SIDE_BOTH = 3 };
enum firm_size { SIZE_NONE, SIZE_MICRO, SIZE_SMALL, SIZE_MEDIUM, SIZE_LARGE };

/* One feature of one need item of a profile. */
struct need_feat {
    uint32_t fid;
    uint16_t item; /* which need item */
    uint8_t kind;  /* tokens: enum token_kind; codes: unused */
    uint32_t w;    /* share of the item (W_ONE = all of it), before rarity */
};

/* A participant as the matcher sees it: features, not the profile. */
struct mprof {
    char *id;
    char *company;
    uint32_t idx; /* slot in the event's profile table */
    long long version;
    uint8_t side;     /* enum side */
    uint8_t size;     /* enum firm_size */
    uint8_t coop;     /* bit per cooperation type (match_profile.c) */
    bool all_slots;   /* free in every slot of the event */
    uint16_t country; /* code_index() of its ISO 3166 code */
    uint16_t nneed_items;
    uint32_t nneed, noffer, nsector;
    struct need_feat *need;  /* sorted by fid */
    uint32_t *offer;         /* distinct fids, sorted */
    uint8_t *offer_kind;     /* per offer fid: bit (1 << token_kind) seen */
    uint32_t *sector;        /* distinct ISIC fids, sorted */
    uint16_t *lang, *market; /* code_index() values, sorted */
    uint16_t nlang, nmarket;
    uint16_t nslot_words;
    uint64_t *slots;          /* bit per permanent slot index (struct mevent) */
    int32_t max_meetings;     /* -1: not given */
    uint32_t pending, booked; /* load, for congestion (match_set_load) */
    float cong;               /* congestion factor in (0, 1] */
    struct active *active;    /* its kept top list, or NULL */
    struct active **in;       /* the kept lists it is an entry of */
    uint32_t nin, capin;
};

/* A posting list: the profiles (by idx) holding one feature in one role.
 * `w` (needs lists only) holds that profile's UB weight for the feature. */
struct posting {
    uint32_t *idx;
    float *w;
    uint32_t n, cap;
};

enum role_list { RL_OFFER, RL_NEED, RL_SECTOR, RL__COUNT };

/* Lists are split by the side of the profiles in them, so that a buyer's
 * query walks only sellers and those on both sides. */
struct mindex {
    struct posting *pl[RL__COUNT][3]; /* [role][side - 1][fid] */
    uint32_t cap;                     /* fids allocated */
};

struct top_entry {
    uint32_t idx;
    double score;
};

/* A kept top list, for participants watched here (subscribers) or asked
 * recently: updated incrementally so that entries can be notified. */
/* A kept list holds up to KEPT entries, so that a member falling out of
 * the top 10 is replaced from the list instead of by a new query. The
 * entries are always the exact top n of all candidates; `complete` says n
 * is all of them. */
#define KEPT (2 * MATCH_KEEP)

struct active {
    struct mprof *p;
    struct mevent *ev;
    struct top_entry top[KEPT];
    unsigned n;
    bool complete;     /* every candidate with a score is in top[] */
    unsigned watchers; /* participant topics subscribed on this daemon */
    uint64_t asked_ms; /* last match.top or unsubscribe */
    uint32_t mark;     /* de-duplicates it within one update */
    bool stale;        /* a word's weight changed: recompute before use */
    struct active *lru_prev, *lru_next; /* most recently used first */
};

/* The facts of a profile that bound its score cheaply, kept densely by
 * idx so that pruning reads no profile. */
struct pinfo {
    uint64_t lbloom; /* lang_bloom() of its languages */
    uint64_t mbloom; /* the same of its markets */
    uint64_t slots;  /* its free slots among the first 64 slot indices */
    float cong;      /* congestion factor */
    uint16_t country;
    uint8_t side, size, coop;
};

/* A profile's broad features as bitsets (match_broad.c): what a query
 * adds for them is read here instead of from their long posting lists. */
struct bsig {
    /* HS chapters offered [0, 2), needed [2, 4), ISIC divisions [4, 6),
     * sections [6]; aligned so that each signature is one cache line. */
    _Alignas(64) uint64_t w[7];
    float need_w; /* the most one needed chapter weighs in a need list */
};
_Static_assert(sizeof(struct bsig) == 64, "a signature is one cache line");

/* One broad feature of the asker, as a test of a candidate's signature. */
struct bterm {
    uint8_t word, role; /* bsig word; enum role_list of the lists it stands
                           for */
    uint64_t mask;
    float w; /* as struct term's */
};

struct interp {
    uint16_t *lang;
    uint16_t nlang;
};

/* What a query has added up for one candidate (one cache line holds 4). */
struct acc {
    uint32_t stamp; /* the query it belongs to */
    float need;     /* bound of the asker's need fit */
    float offer;    /* bound of the candidate's need fit */
    float sector;   /* sector levels shared */
};

/* A candidate waiting to be scored, by the bound of its score. */
struct cand {
    float ub;
    uint32_t idx;
};

/* Per-query scratch, sized to the profile table: kept between queries so
 * that a query allocates nothing in proportion to its candidates. */
struct scratch {
    struct acc *acc;
    uint32_t *touched;
    struct cand *heap;
    uint32_t cap, ntouched, epoch;
};

struct mevent {
    char id[65];
    struct dict dict;
    struct mindex index;  /* all profiles */
    struct mindex aindex; /* profiles with an active list only */
    struct mprof **prof;  /* by idx; NULL where free */
    struct pinfo *info;   /* by idx */
    struct bsig *bsig;    /* by idx, 64-byte aligned */
    uint32_t nprof_slots, cap;
    uint32_t *free_idx;
    uint32_t nfree;
    uint32_t nprofiles;
    /* id -> idx hash (open addressing over idx+1, 0 = empty) */
    uint32_t *byid;
    uint32_t byid_cap;
    /* Slot ids ever seen get a permanent index; `cur` marks those the
     * event has now. */
    char **slot_names;
    uint32_t nslot_names, slot_names_cap;
    uint64_t *cur;
    uint16_t ncur_words;
    uint32_t ncur;
    struct interp *interp;
    uint32_t ninterp;
    uint64_t *bridge; /* bit la * LANG_CODES + lb: an interpreter speaks both;
                         NULL without interpreters */
    /* watch counts of participants without a profile here yet */
    struct pending_watch {
        char id[65];
        unsigned n;
    } * pwatch;
    uint32_t npwatch;
    uint32_t *reweighed; /* words whose rarity step changed in this write */
    uint32_t nreweighed, reweighed_cap;
    struct scratch sc;
    struct mevent *next;
};

#define LANG_CODES (26 * 26)

/* Index of a two-letter ISO code ("TH", "th") in 0..675. */
static inline uint16_t code_index(const char *s)
{
    unsigned a = (unsigned char)(s[0] | 0x20) - 'a';
    unsigned b = (unsigned char)(s[1] | 0x20) - 'a';
    return (uint16_t)((a % 26) * 26 + (b % 26));
}

/* match_profile.c: builds a profile from its stored MessagePack map. */
/* The value of a str key in a map object, or NULL (also when m is not a
 * map); for the stored maps the engine reads. */
const msgpack_object *mp_map_get(const msgpack_object *m, const char *key);
struct mprof *mprof_parse(struct mevent *ev, const char *id, long long version,
                          const char *data, size_t len, struct err *err);
void mprof_free(struct mevent *ev, struct mprof *p);
/* Interns a slot id, returning its permanent index. */
uint32_t mevent_slot_index(struct mevent *ev, const char *name);
/* The name of cooperation bit i ("trade"...). */
const char *match_coop_name(unsigned i);
/* Recomputes p->cong from its load and capacity. */
void mprof_update_congestion(const struct mevent *ev, struct mprof *p);

/* match_broad.c: broad features as signatures. */
bool broad_feature(const struct dict_entry *e);
void bsig_set(struct bsig *s, const struct mevent *ev, const struct mprof *p);
/* The signature test for a broad feature of the asker walked in role's
 * lists; false when e is not broad. */
bool bterm_of(const struct dict_entry *e, enum role_list role, float w,
              struct bterm *out);

/* match_index.c: posting lists. */
void mindex_init(struct mindex *x);
void mindex_free(struct mindex *x);
void mindex_add(struct mindex *x, const struct mevent *ev,
                const struct mprof *p);
void mindex_remove(struct mindex *x, const struct mprof *p);
static inline const struct posting *
mindex_get(const struct mindex *x, enum role_list r, int side, uint32_t fid)
{
    return fid < x->cap ? &x->pl[r][side - 1][fid] : NULL;
}

/* match_score.c: the exact score of b as a match for a, 0 when they do
 * not match; fills why when not NULL. */
double score_pair(const struct mevent *ev, const struct mprof *a,
                  const struct mprof *b, struct match_why *why);
/* Rarity of a token in (0, 1] fixed point: rare words weigh more. It
 * depends only on how many participants use the word (df), in steps at
 * powers of two: 1 / (1 + floor(log2 df) / 4). So it changes rarely, and
 * only for the words of the profile being written; the kept lists it
 * touches are then marked stale (match.c), which keeps them exact. */
uint32_t score_rarity(const struct mevent *ev, uint32_t fid);

static inline unsigned rarity_step(uint32_t df)
{
    return df <= 1 ? 0 : 31 - (unsigned)__builtin_clz(df);
}

static inline uint32_t rarity_of_df(uint32_t df)
{
    return (uint32_t)(4.0 * W_ONE / (4 + rarity_step(df)) + 0.5);
}
/* Whether two sides may match at all. */
static inline bool sides_match(const struct mprof *a, const struct mprof *b)
{
    return a != b && (a->side | b->side) == SIDE_BOTH;
}
/* A 64-bit summary of a language list: no common bit, no common language. */
uint64_t lang_bloom(const uint16_t *lang, uint16_t n);

/* match_query.c: the best k matches of a, best first. */
size_t query_top(struct mevent *ev, const struct mprof *a, size_t k,
                 struct top_entry *out);
/* The profiles with a kept list that share a feature with p in opposite
 * roles (whose list p may enter or leave), each once, p excluded: a new
 * array of idx (caller frees) and its length in *n. With ub, also a new
 * array of the most p can score in each one's list. */
uint32_t *query_active_near(struct mevent *ev, const struct mprof *p,
                            uint32_t *n, double **ub);

/* Compares (score desc, id asc): negative when x ranks before y. */
int top_cmp(const struct mevent *ev, const struct top_entry *x,
            const struct top_entry *y);

/* The weights of the score (match_score.c explains them). */
#define SECTOR_SHARE 0.30
#define MARKET_BONUS 0.15
#define LANG_BONUS 0.10
#define INTERP_BONUS 0.05
#define COOP_BONUS 0.05
#define SLOTS_BONUS 0.05
#define SLOTS_FULL 4 /* shared free slots that earn the whole bonus */
#define SIZE_BONUS 0.03
#define FIT_MAX (1.0 + SECTOR_SHARE + MARKET_BONUS)
#define RAW_MAX (FIT_MAX + LANG_BONUS + COOP_BONUS + SLOTS_BONUS + SIZE_BONUS)

/* The most a pair can score, from upper bounds of both need fits and the
 * sector share plus b's compact facts; used to prune (match_query.c).
 * a_markets: a bit per code_index() of a's markets, or NULL to use the
 * bloom of ai. Inline: it runs for every candidate a query meets. */
static inline double score_bound(const struct mevent *ev,
                                 const struct pinfo *ai,
                                 const uint64_t *a_markets,
                                 const struct pinfo *b, double need_a,
                                 double need_b, double sector)
{
    double s = sector > 1 ? 1 : sector;
    bool mkt_a = a_markets ? a_markets[b->country / 64] >> (b->country % 64) & 1
                           : ai->mbloom >> (b->country % 64) & 1;
    bool mkt_b = b->mbloom >> (ai->country % 64) & 1;
    double fa = (need_a > 1 ? 1 : need_a) + SECTOR_SHARE * s +
                (mkt_a ? MARKET_BONUS : 0);
    double fb = (need_b > 1 ? 1 : need_b) + SECTOR_SHARE * s +
                (mkt_b ? MARKET_BONUS : 0);
    double core = (fa + fb) / 2 + (fa < fb ? fa : fb) / 2;
    double extra = SLOTS_BONUS;
    if (ev->nslot_names <= 64) {
        /* Every slot has a bit: the count is exact. */
        uint64_t x = ai->slots & b->slots & (ev->ncur_words ? ev->cur[0] : 0);
        int n = 0;
        for (; x && n < SLOTS_FULL; n++)
            x &= x - 1; /* counts only as far as the bonus goes */
        extra = SLOTS_BONUS * n / SLOTS_FULL;
    }
    if (ai->lbloom & b->lbloom)
        extra += LANG_BONUS;
    else if (ev->ninterp)
        extra += INTERP_BONUS;
    if (ai->coop & b->coop)
        extra += COOP_BONUS;
    if (b->size == SIZE_MICRO || b->size == SIZE_SMALL)
        extra += SIZE_BONUS;
    return (core + extra) / RAW_MAX * b->cong;
}

#endif
