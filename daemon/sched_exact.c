/* sched_exact.c: the exact phase on small events. It proves the breaks
 * of the schedule at hand optimal, or finds a schedule with fewer that is
 * optimal, by core-guided MaxSAT (OLL: Morgado et al. 2014, Andres et al.
 * 2012) over CaDiCaL (sat_cnf.h).
 *
 * Model, for an event whose meetings are all booked: x(m,s) for each
 * meeting that may move and each slot it may go to; u(p,s) participant p
 * busy in s; e(p,s) p busy in s or before; r(p,s) a break of p ends in s
 * (busy in s, idle in s - 1, busy before). Hard: each meeting in one
 * slot, a participant in one meeting per slot, at most the free tables
 * per slot, fixed meetings where they are, and fairness. The breaks are
 * the r that hold.
 *
 * Each participant's r feed a counter; the bound of sched_lb.c says how
 * many of its outputs must hold, so the search starts from their sum with
 * "no more than that" assumed for each. When the assumptions cannot all
 * hold, the solver names a core, a set of them one of which must give:
 * the bound rises by one, and a counter over the core replaces it, whose
 * "two of them" output is assumed false next, and so on. The first
 * satisfiable answer is an optimal schedule; the bound reaching the
 * breaks at hand proves those optimal.
 *
 * A participant held to no break lies in one block, whose start is a
 * number of its own (in order encoding): implied by the rest, it lets the
 * solver decide where blocks go, not only single meetings. */
#include <stdlib.h>
#include <string.h>

#include "sat_cnf.h"
#include "sched_int.h"
#include "xmalloc.h"

/* Most x variables: an event of 300 meetings in 22 slots has 6,600 at
 * most; an expo's 30,000 meetings are far beyond what this can prove. */
#define EXACT_VARS_MAX 60000
/* Whether the first solver's first guesses are the schedule at hand
 * rather than all false. Guessing false, at 1 s on 80 events of each
 * shape (optimizer seed 1), 78 / 302 / 22 was proven in 42 against 30
 * (with the rival guided as before), 66 / 250 in 44 against 43; on 40,
 * 58 / 200 in 38 against 40; and 78 / 302 / 12 (event 106) at 10 s in 6
 * runs of 6 against 3 (measured). Guessed false, the first's time hardly
 * varies between runs on one event, so the rival keeps the schedule: it
 * tries something else. */
#define GUIDED_FIRST false
/* Most clauses of the table counters made before the first solve: about
 * 100,000 on events of 300 meetings; on an event of 4,000 they would be
 * millions, costing seconds and hundreds of MB before the solver starts.
 * A build may set it (0 tries the counters made later on small events). */
#ifndef TABLE_CLAUSES_UPFRONT
#define TABLE_CLAUSES_UPFRONT 400000
#endif

struct model {
    struct cnf c;
    struct sstate *st;
    uint32_t S;
    int *x;     /* per meeting: its first x; the slots it may take follow */
    int *u, *r; /* np * S: literal, 0 when constantly false */
    /* Per slot: the tables its fixed meetings leave; its counter made. */
    uint32_t *tables_free;
    bool *tables_bound;
    struct exact_news *news;         /* or NULL */
    const struct exact_rival *rival; /* or NULL */
    uint64_t end_ns;                 /* when the solver must be released */
};

/* A soft literal, assumed true: "participant or core at most j". */
struct soft {
    int lit;
    uint32_t ctr, j; /* its counter, and lit is -out[j] */
};

struct counter {
    int *out;
    uint32_t n;
};

struct oll {
    struct soft *soft;
    uint32_t nsoft, cap;
    struct counter *ctr;
    uint32_t nctr;
};

static bool movable(const struct sstate *st, uint32_t m)
{
    return !(st->flags[m] & MF_FIXED);
}

static uint32_t degree(const struct sstate *st, uint32_t p)
{
    return st->adj_start[p + 1] - st->adj_start[p];
}

bool exact_fits(const struct sstate *st)
{
    uint64_t vars = 0;
    for (uint32_t m = 0; m < st->nm; m++) {
        if (!movable(st, m))
            continue;
        if (st->pb->meetings[m].ninterpreters > 0)
            return false;
        vars += st->ncand[m];
    }
    return vars <= EXACT_VARS_MAX;
}

static int lit_u(const struct model *md, uint32_t p, uint32_t s)
{
    return md->u[(size_t)p * md->S + s];
}

/* x, u and the rules tying them: one slot per meeting, one meeting per
 * participant and slot. */
static void encode_slots(struct model *md)
{
    struct cnf *c = &md->c;
    const struct sstate *st = md->st;
    uint32_t S = md->S;
    struct lits *busy = xcalloc((size_t)st->np * S + 1, sizeof(struct lits));
    struct lits one = {0};
    uint32_t *fixed_in = xcalloc(S, sizeof(uint32_t));
    for (uint32_t m = 0; m < st->nm; m++) {
        const struct sched_meeting *mt = &st->pb->meetings[m];
        if (!movable(st, m)) {
            fixed_in[mt->slot]++;
            md->u[(size_t)mt->a * S + mt->slot] = c->top;
            md->u[(size_t)mt->b * S + mt->slot] = c->top;
            continue;
        }
        one.n = 0;
        for (uint32_t s = 0; s < S; s++) {
            if (!st_in_set(st_cand(st, m), s))
                continue;
            int v = cnf_var(c, st->slot[m] == (int32_t)s);
            if (!md->x[m])
                md->x[m] = v;
            lits_push(&one, v);
            lits_push(&busy[(size_t)mt->a * S + s], v);
            lits_push(&busy[(size_t)mt->b * S + s], v);
        }
        cnf_clause(c, one.v, one.n);
        cnf_at_most_one(c, one.v, one.n);
    }
    for (uint32_t p = 0; p < st->np; p++) {
        for (uint32_t s = 0; s < S; s++) {
            struct lits *b = &busy[(size_t)p * S + s];
            int *u = &md->u[(size_t)p * S + s];
            if (*u == c->top) { /* a fixed meeting holds the slot */
                for (uint32_t i = 0; i < b->n; i++)
                    cnf_unit(c, -b->v[i]);
            } else if (b->n > 0) {
                *u = cnf_var(c, st_busy(st, p, s));
                cnf_at_most_one(c, b->v, b->n);
                for (uint32_t i = 0; i < b->n; i++)
                    cnf_binary(c, -b->v[i], *u);
                lits_push(b, -*u); /* busy only through a meeting */
                cnf_clause(c, b->v, b->n);
            }
            free(b->v);
        }
    }
    for (uint32_t s = 0; s < S; s++)
        md->tables_free[s] =
            st->ntables > fixed_in[s] ? st->ntables - fixed_in[s] : 0;
    free(fixed_in);
    free(one.v);
    free(busy);
}

/* Tables, counted as participants: the meetings that may move into slot s
 * make twice their number of participants busy there, who may be no more
 * than twice the tables the fixed meetings leave. Counting the u rather
 * than the x lets block starts (encode_block) meet the limit at once: the
 * solver sees a slot overfull as soon as the blocks covering it are
 * chosen, not once their meetings are placed. */

/* The u of slot s that its counter covers (not a fixed meeting's). */
static uint32_t slot_busy(const struct model *md, uint32_t s, int *in)
{
    uint32_t n = 0;
    for (uint32_t p = 0; p < md->st->np; p++) {
        int u = lit_u(md, p, s);
        if (u != 0 && u != md->c.top)
            in[n++] = u;
    }
    return n;
}

static void bound_slot(struct model *md, uint32_t s, const int *in, uint32_t n)
{
    uint32_t most = 2 * md->tables_free[s];
    int *out = xmalloc((most + 2) * sizeof(int));
    cnf_totalizer(&md->c, in, n, most + 1, out);
    cnf_unit(&md->c, -out[most]);
    free(out);
    md->tables_bound[s] = true;
}

/* Every slot that could overfill gets its counter before the first
 * solve, if together they come to TABLE_CLAUSES_UPFRONT clauses at most;
 * otherwise they are left to bound_overfull_tables. */
static void bound_tables_upfront(struct model *md)
{
    int *in = xmalloc((md->st->np + 1) * sizeof(int));
    uint64_t size = 0;
    for (uint32_t s = 0; s < md->S; s++) {
        uint32_t n = slot_busy(md, s, in), most = 2 * md->tables_free[s];
        if (n > most)
            size += cnf_totalizer_size(n, most + 1);
    }
    for (uint32_t s = 0; s < md->S && size <= TABLE_CLAUSES_UPFRONT; s++) {
        uint32_t n = slot_busy(md, s, in);
        if (n > 2 * md->tables_free[s])
            bound_slot(md, s, in, n);
    }
    free(in);
}

/* Each slot without a counter that the last model overfilled gets one;
 * false when none did. */
static bool bound_overfull_tables(struct model *md)
{
    int *in = xmalloc((md->st->np + 1) * sizeof(int));
    bool any = false;
    for (uint32_t s = 0; s < md->S; s++) {
        if (md->tables_bound[s])
            continue;
        uint32_t n = slot_busy(md, s, in), busy = 0;
        for (uint32_t i = 0; i < n; i++)
            busy += cnf_true(&md->c, in[i]);
        if (busy > 2 * md->tables_free[s]) {
            bound_slot(md, s, in, n);
            any = true;
        }
    }
    free(in);
    return any;
}

/* e and r; a participant whose meetings are all fixed gets none (its
 * breaks are what they are). */
static void encode_breaks(struct model *md)
{
    struct cnf *c = &md->c;
    const struct sstate *st = md->st;
    uint32_t S = md->S;
    for (uint32_t p = 0; p < st->np; p++) {
        int e = 0; /* busy in s - 1 or before; 0: cannot be */
        bool was = false, before = false; /* the same, in the schedule */
        for (uint32_t s = 0; s < S; s++) {
            int u = lit_u(md, p, s), prev = s ? lit_u(md, p, s - 1) : 0;
            bool is = st_busy(st, p, s);
            if (u && e && prev != c->top) {
                int r = cnf_var(c, is && !was && before);
                md->r[(size_t)p * S + s] = r;
                int cl[4] = {-u, -e, r, prev};
                cnf_clause(c, cl, prev ? 4 : 3);
            }
            before |= is;
            was = is;
            if (u) {
                int ne = cnf_var(c, before);
                cnf_binary(c, -u, ne);
                if (e)
                    cnf_binary(c, -e, ne);
                e = ne;
            }
        }
    }
}

static void soft_push(struct oll *o, struct soft s)
{
    if (o->nsoft == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 64;
        o->soft = xrealloc(o->soft, o->cap * sizeof *o->soft);
    }
    o->soft[o->nsoft++] = s;
}

static uint32_t counter_add(struct oll *o, int *out, uint32_t n)
{
    o->ctr = xrealloc(o->ctr, (o->nctr + 1) * sizeof *o->ctr);
    o->ctr[o->nctr] = (struct counter){out, n};
    return o->nctr++;
}

/* p in one block of its d slots unless `brk` (p has a break); d <= S,
 * as every meeting is booked. The block's start is in order encoding:
 * g[a] holds when it is a or later, and p is busy in s when it is in
 * s - d + 1 .. s. The solver then learns bounds ("p starts after 4")
 * that hold for many starts at once; with one variable per start it took
 * about twice as long (measured). */
static void encode_block(struct model *md, uint32_t p, int brk)
{
    struct cnf *c = &md->c;
    const struct sstate *st = md->st;
    uint32_t S = md->S, d = degree(st, p), starts = S - d + 1;
    /* Where the block starts now: p's first busy slot (p has meetings). */
    int32_t now = st_nth_slot(st->busy + (size_t)p * st->words, st->words, 0);
    int *g = xmalloc((starts + 1) * sizeof(int));
    g[0] = c->top;
    g[starts] = -c->top;
    for (uint32_t a = 1; a < starts; a++) {
        g[a] = cnf_var(c, now >= (int32_t)a);
        if (a > 1)
            cnf_binary(c, -g[a], g[a - 1]);
    }
    for (uint32_t s = 0; s < S; s++) {
        int u = lit_u(md, p, s);
        int from = s + 1 >= d ? g[s + 1 - d] : c->top;
        int after = s + 1 < starts ? g[s + 1] : -c->top;
        if (!u) { /* the block cannot cover s */
            int cl[3] = {brk, -from, after};
            cnf_clause(c, cl, 3);
            continue;
        }
        int started[3] = {brk, -u, from}, not_after[3] = {brk, -u, -after};
        int covered[4] = {brk, -from, after, u};
        cnf_clause(c, started, 3);
        cnf_clause(c, not_after, 3);
        cnf_clause(c, covered, 4);
    }
    free(g);
}

/* A counter over each participant's r, the first fewest[p] of whose
 * outputs must hold; "not one more" is assumed. Fairness forbids output
 * fairness + 1: within fairness of the fewest any participant has, for
 * schedules with fewer breaks than participants (some has none). Outputs
 * go as far as a schedule with fewer than ub breaks can reach. */
static void encode_participants(struct model *md, struct oll *o,
                                const uint32_t *fewest, uint32_t fairness,
                                uint64_t lb, uint64_t ub)
{
    struct cnf *c = &md->c;
    const struct sstate *st = md->st;
    uint32_t S = md->S;
    int *in = xmalloc((S + 1) * sizeof(int));
    for (uint32_t p = 0; p < st->np; p++) {
        uint32_t n = 0;
        for (uint32_t s = 0; s < S; s++)
            if (md->r[(size_t)p * S + s])
                in[n++] = md->r[(size_t)p * S + s];
        if (n == 0)
            continue;
        uint64_t want = fewest[p] + (ub - lb) + 1;
        if (want < fairness + 1)
            want = fairness + 1;
        uint32_t cap = want < n ? (uint32_t)want : n;
        int *out = xmalloc((cap + 1) * sizeof(int));
        uint32_t k = cnf_totalizer(c, in, n, cap, out);
        if (k > fairness)
            cnf_unit(c, -out[fairness]);
        if (fewest[p] == 0)
            encode_block(md, p, out[0]);
        uint32_t id = counter_add(o, out, k);
        if (fewest[p] < k && fewest[p] < fairness)
            soft_push(o, (struct soft){-out[fewest[p]], id, fewest[p]});
    }
    free(in);
}

/* The last solve's core leaves the assumptions; each counter output in it
 * brings its counter's next one, and a counter over the core (outputs up
 * to cap) brings "not two of them". Returns the core's size. */
static uint32_t relax_core(struct model *md, struct oll *o, uint32_t cap)
{
    struct cnf *c = &md->c;
    int *viol = xmalloc((o->nsoft + 1) * sizeof(int));
    struct soft *next = xmalloc((o->nsoft + 1) * sizeof *next);
    uint32_t n = 0, nnext = 0, keep = 0;
    for (uint32_t i = 0; i < o->nsoft; i++) {
        struct soft s = o->soft[i];
        if (!cnf_failed(c, s.lit)) {
            o->soft[keep++] = s;
            continue;
        }
        viol[n++] = -s.lit;
        const struct counter *k = &o->ctr[s.ctr];
        if (s.j + 1 < k->n)
            next[nnext++] = (struct soft){-k->out[s.j + 1], s.ctr, s.j + 1};
    }
    o->nsoft = keep;
    for (uint32_t i = 0; i < nnext; i++)
        soft_push(o, next[i]);
    if (n > 1 && cap > 1) {
        int *out = xmalloc((cap + 1) * sizeof(int));
        uint32_t k = cnf_totalizer(c, viol, n, cap, out);
        uint32_t id = counter_add(o, out, k);
        if (k > 1)
            soft_push(o, (struct soft){-out[1], id, 1});
    }
    free(next);
    free(viol);
    return n;
}

/* Books every meeting that may move where the model puts it. */
static void apply_model(const struct model *md, struct sstate *st)
{
    for (uint32_t m = 0; m < st->nm; m++)
        if (movable(st, m))
            st_unplace(st, m);
    for (uint32_t m = 0; m < st->nm; m++) {
        if (!movable(st, m))
            continue;
        int v = md->x[m];
        for (uint32_t s = 0; s < st->nslots; s++) {
            if (!st_in_set(st_cand(st, m), s))
                continue;
            if (cnf_true(&md->c, v)) {
                st_place(st, m, s, st_interp_for(st, m, s));
                break;
            }
            v++;
        }
    }
}

/* Polled by the solver, whose steps can be long: the clock is read
 * every time (st_should_stop reads it one time in 64). A rival stops
 * when the first has answered. */
static int stop_asked(void *arg)
{
    const struct model *md = arg;
    struct sstate *st = md->st;
    if (md->rival && (atomic_load(&md->rival->first->optimal) ||
                      atomic_load(&md->rival->first->raised)))
        return 1;
    if (!st->stopped && st_now_ns() >= st->deadline_ns) {
        st->stopped = true;
        st->why = SCHED_STOP_BUDGET;
    }
    return st_should_stop(st);
}

/* Solving stops in time to release the solver by the end: the time that
 * takes grows with the clauses, which grow with each table or core
 * counter, so it is worked out again before each solve. */
static void keep_release_time(struct model *md)
{
    uint64_t keep = cnf_release_ns(&md->c);
    md->st->deadline_ns = md->end_ns > keep ? md->end_ns - keep : 0;
}

/* OLL from lb (the sum of fewest) towards the breaks at hand. Returns
 * the bound proven, which is the breaks of st when *optimal is set. */
static uint64_t solve(struct model *md, const uint32_t *fewest, int fairness,
                      bool *optimal)
{
    struct sstate *st = md->st;
    uint64_t lb = 0, ub = st->breaks;
    for (uint32_t p = 0; p < st->np; p++)
        lb += fewest[p];
    struct oll o = {0};
    encode_slots(md);
    bound_tables_upfront(md);
    encode_breaks(md);
    encode_participants(md, &o, fewest, (uint32_t)fairness, lb, ub);
    *optimal = lb >= ub;
    while (!*optimal && !st_should_stop(st)) {
        keep_release_time(md);
        for (uint32_t i = 0; i < o.nsoft; i++)
            cnf_assume(&md->c, o.soft[i].lit);
        int res = cnf_solve(&md->c);
        if (res == 10 && bound_overfull_tables(md)) {
            continue;
        } else if (res == 10) {
            apply_model(md, st);
            *optimal = true;
            lb = st->breaks;
        } else if (res == 20 && relax_core(md, &o, (uint32_t)(ub - lb)) > 0) {
            *optimal = ++lb >= ub;
            if (md->news) {
                atomic_store(&md->news->lower_bound, lb);
                atomic_store(&md->news->raised, true);
            }
            if (md->rival) /* the question it raced on is answered */
                break;
        } else {
            /* Stopped; or an empty core, which would mean no fair
             * schedule at all while one is at hand: nothing claimed. */
            break;
        }
    }
    for (uint32_t i = 0; i < o.nctr; i++)
        free(o.ctr[i].out);
    free(o.ctr);
    free(o.soft);
    return lb;
}

bool exact_run(struct sstate *st, struct search_goal *goal,
               const struct exact_rival *rival)
{
    if (goal->fewest == NULL || st->breaks == 0 || st->breaks >= st->nactive ||
        st->breaks <= goal->breaks_lower_bound || st->booked != st->nm ||
        st_spread(st) > (uint32_t)goal->fairness || !exact_fits(st))
        return false;

    struct model md = {.st = st,
                       .S = st->nslots,
                       .news = goal->news,
                       .rival = rival,
                       .end_ns = st->deadline_ns};
    cnf_init(&md.c, rival ? rival->seed : 0,
             rival ? rival->guided : GUIDED_FIRST, stop_asked, &md);
    md.x = xcalloc(st->nm + 1, sizeof(int));
    md.u = xcalloc((size_t)st->np * md.S + 1, sizeof(int));
    md.r = xcalloc((size_t)st->np * md.S + 1, sizeof(int));
    md.tables_free = xcalloc(md.S + 1, sizeof(uint32_t));
    md.tables_bound = xcalloc(md.S + 1, sizeof(bool));
    bool optimal;
    uint64_t lb = solve(&md, goal->fewest, goal->fairness, &optimal);
    if (lb > goal->breaks_lower_bound)
        goal->breaks_lower_bound = lb;
    if (goal->news) {
        atomic_store(&goal->news->lower_bound, goal->breaks_lower_bound);
        atomic_store(&goal->news->optimal, optimal);
    }
    free(md.x);
    free(md.u);
    free(md.r);
    free(md.tables_free);
    free(md.tables_bound);
    cnf_free(&md.c);
    st->deadline_ns = md.end_ns;
    return optimal;
}
