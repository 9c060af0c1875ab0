/* schedgen.c: the instance generator of schedgen.h. Participants differ
 * in how active they are (a few meet many), so degrees are skewed as at
 * real events. A planted instance first books every meeting into a hidden
 * schedule and only then draws restrictions that this schedule obeys, so
 * that booking everything is possible and the optimizer's job is breaks.
 * Bookings made "on accept" take the earliest slot that fits, as the
 * daemon does, in a random order of acceptance. */
#include <stdlib.h>
#include <string.h>

#include "schedgen.h"
#include "xmalloc.h"

/* splitmix64: a seed is all the state. */
static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint32_t below(uint64_t *s, uint32_t n)
{
    return n ? (uint32_t)(((next(s) >> 32) * n) >> 32) : 0;
}

static bool chance(uint64_t *s, int pct)
{
    return (int)below(s, 100) < pct;
}

/* Where generation keeps track of a schedule being built. */
struct book {
    uint32_t S, W;
    uint64_t *busy;  /* per participant */
    uint32_t *count; /* per participant */
    uint32_t *used;  /* per slot */
    bool *iocc;      /* [interpreter][slot] */
};

static void book_init(struct book *b, uint32_t np, uint32_t ns, uint32_t ni)
{
    b->S = ns;
    b->W = (uint32_t)SCHED_WORDS(ns);
    b->busy = xcalloc((size_t)np * b->W + 1, sizeof(uint64_t));
    b->count = xcalloc(np + 1, sizeof(uint32_t));
    b->used = xcalloc(ns, sizeof(uint32_t));
    b->iocc = xcalloc((size_t)ni * ns + 1, 1);
}

static void book_free(struct book *b)
{
    free(b->busy);
    free(b->count);
    free(b->used);
    free(b->iocc);
}

static bool bit(const uint64_t *set, uint32_t s)
{
    return set == NULL || ((set[s / 64] >> (s % 64)) & 1);
}

static void put_bit(uint64_t *set, uint32_t s, bool on)
{
    uint64_t m = (uint64_t)1 << (s % 64);
    set[s / 64] = on ? set[s / 64] | m : set[s / 64] & ~m;
}

static bool busy(const struct book *b, uint32_t p, uint32_t s)
{
    return bit(b->busy + (size_t)p * b->W, s);
}

static void take(struct book *b, uint32_t p, uint32_t s)
{
    put_bit(b->busy + (size_t)p * b->W, s, true);
    b->count[p]++;
}

/* A participant drawn by activity: cum[] holds running sums. */
static uint32_t draw(uint64_t *s, const double *cum, uint32_t n)
{
    double x = (double)(next(s) >> 11) * 0x1p-53 * cum[n - 1];
    uint32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (cum[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* A free interpreter of m's in s, or -1. */
static int free_interp(const struct book *b, const struct sched_meeting *mt,
                       uint32_t s)
{
    for (uint32_t k = 0; k < mt->ninterpreters; k++)
        if (!b->iocc[(size_t)mt->interpreters[k] * b->S + s])
            return (int)mt->interpreters[k];
    return -1;
}

static void pick_interpreters(struct schedgen *g, uint64_t *rs, uint32_t m,
                              const struct schedgen_opts *o)
{
    struct sched_meeting *mt = &g->meet[m];
    if (o->interpreters == 0 || !chance(rs, o->interp_pct))
        return;
    mt->interpreters = g->interp + 3 * (size_t)m;
    uint32_t first = below(rs, o->interpreters);
    uint32_t n = 1 + below(rs, o->interpreters < 3 ? o->interpreters : 3);
    for (uint32_t k = 0; k < n; k++)
        g->interp[3 * (size_t)m + k] = (first + k) % o->interpreters;
    mt->ninterpreters = n;
}

static uint64_t *free_set(struct schedgen *g, uint32_t p)
{
    return g->sets + (size_t)p * SCHED_WORDS(g->pb.nslots);
}

static uint64_t *allowed_set(struct schedgen *g, uint32_t m)
{
    return g->sets +
           ((size_t)g->pb.nparticipants + m) * SCHED_WORDS(g->pb.nslots);
}

/* Restricts m to the half of the day holding slot s. */
static void restrict_half(struct schedgen *g, uint32_t m, uint32_t s)
{
    uint32_t S = g->pb.nslots, half = S / 2;
    uint32_t lo = s < half ? 0 : half, hi = s < half ? half : S;
    g->meet[m].allowed = allowed_set(g, m);
    for (uint32_t t = lo; t < hi; t++)
        put_bit(allowed_set(g, m), t, true);
}

/* The hidden schedule: each meeting at a random slot with a table left,
 * between two participants free then. Returns how many were made. */
static uint32_t plant(struct schedgen *g, uint64_t *rs,
                      const struct schedgen_opts *o, const double *cum,
                      struct book *b)
{
    uint32_t made = 0, P = o->participants, S = o->slots;
    for (uint32_t m = 0; m < o->meetings; m++) {
        for (int tries = 0; tries < 400; tries++) {
            uint32_t s = below(rs, S);
            uint32_t a = draw(rs, cum, P), c = draw(rs, cum, P);
            if (b->used[s] >= o->tables || a == c || busy(b, a, s) ||
                busy(b, c, s))
                continue;
            struct sched_meeting *mt = &g->meet[made];
            mt->a = a;
            mt->b = c;
            pick_interpreters(g, rs, made, o);
            int i = free_interp(b, mt, s);
            if (i < 0)
                mt->ninterpreters = 0;
            else if (mt->ninterpreters)
                b->iocc[(size_t)i * S + s] = true;
            if (chance(rs, o->restricted_pct))
                restrict_half(g, made, s);
            take(b, a, s);
            take(b, c, s);
            b->used[s]++;
            made++;
            break;
        }
    }
    /* Forbidden slots and caps that the hidden schedule obeys. */
    for (uint32_t p = 0; p < P; p++) {
        if (chance(rs, o->forbidden_pct))
            for (uint32_t k = 1 + below(rs, 3); k > 0; k--) {
                uint32_t s = below(rs, S);
                if (!busy(b, p, s))
                    put_bit(free_set(g, p), s, false);
            }
        if (chance(rs, o->capped_pct))
            g->part[p].max_meetings = (int)(b->count[p] + below(rs, 2));
    }
    return made;
}

/* Meetings drawn freely: more than fit, as at an expo. */
static void draw_free(struct schedgen *g, uint64_t *rs,
                      const struct schedgen_opts *o, const double *cum)
{
    uint32_t P = o->participants, S = o->slots;
    for (uint32_t m = 0; m < o->meetings; m++) {
        struct sched_meeting *mt = &g->meet[m];
        do {
            mt->a = draw(rs, cum, P);
            mt->b = draw(rs, cum, P);
        } while (mt->a == mt->b);
        pick_interpreters(g, rs, m, o);
        if (chance(rs, o->restricted_pct))
            restrict_half(g, m, below(rs, S));
    }
    for (uint32_t p = 0; p < P; p++) {
        if (chance(rs, o->forbidden_pct))
            for (uint32_t k = 1 + below(rs, 3); k > 0; k--)
                put_bit(free_set(g, p), below(rs, S), false);
        if (chance(rs, o->capped_pct))
            g->part[p].max_meetings = 3 + (int)below(rs, 6);
    }
}

static bool fits(const struct schedgen *g, const struct book *b, uint32_t m,
                 uint32_t s)
{
    const struct sched_meeting *mt = &g->meet[m];
    int ca = g->part[mt->a].max_meetings, cb = g->part[mt->b].max_meetings;
    return bit(mt->allowed, s) && bit(g->part[mt->a].free, s) &&
           bit(g->part[mt->b].free, s) && !busy(b, mt->a, s) &&
           !busy(b, mt->b, s) && b->used[s] < g->pb.ntables &&
           (ca < 0 || b->count[mt->a] < (uint32_t)ca) &&
           (cb < 0 || b->count[mt->b] < (uint32_t)cb) &&
           (mt->ninterpreters == 0 || free_interp(b, mt, s) >= 0);
}

/* Booking on accept: meetings accepted in a random order, each into the
 * earliest slot that fits, on the next table of that slot. */
static void book_on_accept(struct schedgen *g, uint64_t *rs,
                           const struct schedgen_opts *o)
{
    uint32_t M = g->pb.nmeetings;
    struct book b;
    book_init(&b, o->participants, o->slots, o->interpreters);
    uint32_t *order = xmalloc((M + 1) * sizeof *order);
    for (uint32_t m = 0; m < M; m++)
        order[m] = m;
    for (uint32_t m = M; m > 1; m--) {
        uint32_t j = below(rs, m), t = order[m - 1];
        order[m - 1] = order[j];
        order[j] = t;
    }
    for (uint32_t k = 0; k < M; k++) {
        uint32_t m = order[k];
        if (!chance(rs, o->booked_pct))
            continue;
        for (uint32_t s = 0; s < o->slots; s++) {
            if (!fits(g, &b, m, s))
                continue;
            struct sched_meeting *mt = &g->meet[m];
            int i = free_interp(&b, mt, s);
            mt->slot = (int)s;
            mt->table = (int)b.used[s]++;
            mt->interpreter = mt->ninterpreters ? i : SCHED_NONE;
            if (mt->ninterpreters)
                b.iocc[(size_t)i * o->slots + s] = true;
            take(&b, mt->a, s);
            take(&b, mt->b, s);
            mt->was_scheduled = true;
            mt->fixed = chance(rs, o->fixed_pct);
            break;
        }
    }
    free(order);
    book_free(&b);
}

void schedgen_make(struct schedgen *g, const struct schedgen_opts *o)
{
    uint64_t rs = o->seed * 0x2545F4914F6CDD1Dull + 12345;
    uint32_t P = o->participants, M = o->meetings, S = o->slots;
    size_t W = SCHED_WORDS(S);
    memset(g, 0, sizeof *g);
    g->part = xcalloc(P + 1, sizeof *g->part);
    g->meet = xcalloc(M + 1, sizeof *g->meet);
    g->sets = xcalloc(((size_t)P + M) * W + 1, sizeof(uint64_t));
    g->interp = xcalloc(3 * (size_t)M + 1, sizeof(uint32_t));
    g->pb = (struct sched_problem){S, o->tables, o->interpreters, P,
                                   M, g->part,   g->meet};
    for (uint32_t p = 0; p < P; p++) {
        g->part[p].free = free_set(g, p);
        g->part[p].max_meetings = SCHED_UNLIMITED;
        for (uint32_t s = 0; s < S; s++)
            put_bit(free_set(g, p), s, true);
    }
    for (uint32_t m = 0; m < M; m++) {
        g->meet[m].slot = g->meet[m].table = SCHED_NONE;
        g->meet[m].interpreter = SCHED_NONE;
    }
    /* Activity: most participants alike, a few much busier. */
    double *cum = xmalloc((P + 1) * sizeof *cum);
    for (uint32_t p = 0; p < P; p++) {
        double u = (double)(next(&rs) >> 11) * 0x1p-53;
        cum[p] = (p ? cum[p - 1] : 0) + 1 + 4 * u * u * u;
    }
    if (o->planted) {
        struct book b;
        book_init(&b, P, S, o->interpreters);
        g->pb.nmeetings = plant(g, &rs, o, cum, &b);
        book_free(&b);
    } else {
        draw_free(g, &rs, o, cum);
    }
    free(cum);
    book_on_accept(g, &rs, o);
}

void schedgen_free(struct schedgen *g)
{
    free(g->part);
    free(g->meet);
    free(g->sets);
    free(g->interp);
    memset(g, 0, sizeof *g);
}
