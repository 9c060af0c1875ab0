/* sat_cnf.c: clauses for CaDiCaL (sat_cnf.h says how). */
#include "sat_cnf.h"

#include <ccadical.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/* Sequential at-most-one above this many literals, pairwise below. */
#define AMO_PAIRWISE_MAX 5
/* Releasing a solver, measured after 0.6-0.75 s of solving: 2-3 ms for
 * 300,000-370,000 literals handed over (events of 250-300 meetings),
 * 60-90 ms for 2.1-2.7 million (3,000-4,000 meetings), about 33 ns each;
 * kept back: about twice that. */
#define RELEASE_NS_MIN 2000000u
#define RELEASE_NS_PER_LIT 60u

void lits_push(struct lits *l, int lit)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = xrealloc(l->v, l->cap * sizeof(int));
    }
    l->v[l->n++] = lit;
}

void cnf_init(struct cnf *c, int seed, bool guided, int (*stop)(void *),
              void *arg)
{
    memset(c, 0, sizeof *c);
    c->guided = guided;
    c->sat = ccadical_init();
    /* Options are taken only before the first clause. */
    ccadical_set_option(c->sat, "phase", 0);
    /* Stable mode only: the schedule models were solved in its phases,
     * never in the focused ones (alone, those did not solve 66 / 250 in
     * 10 s). Calls proven on 66 / 250 in 0.5-1.6 s against 0.6-2.2 s,
     * on 58 / 200 in 86-184 ms against 175-624 (measured). */
    ccadical_set_option(c->sat, "stabilizeonly", 1);
    ccadical_set_option(c->sat, "seed", seed);
    ccadical_set_terminate(c->sat, arg, stop);
    c->top = cnf_var(c, true);
    cnf_unit(c, c->top);
}

void cnf_free(struct cnf *c)
{
    ccadical_release(c->sat);
    free(c->flip);
    free(c->pending.v);
}

int cnf_var(struct cnf *c, bool now)
{
    int v = ++c->nvars;
    if ((size_t)v >= c->flip_cap) {
        size_t cap = c->flip_cap ? 2 * c->flip_cap : 4096;
        c->flip = xrealloc(c->flip, cap);
        memset(c->flip + c->flip_cap, 0, cap - c->flip_cap);
        c->flip_cap = cap;
    }
    c->flip[v] = c->guided && now;
    return v;
}

/* The solver's literal for lit. */
static int solver_lit(const struct cnf *c, int lit)
{
    return c->flip[lit < 0 ? -lit : lit] ? -lit : lit;
}

void cnf_clause(struct cnf *c, const int *lit, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        lits_push(&c->pending, solver_lit(c, lit[i]));
    lits_push(&c->pending, 0);
}

/* A tautology on the highest variable sizes the solver for all. */
static void flush(struct cnf *c)
{
    if (c->nvars > c->sized) {
        ccadical_add(c->sat, c->nvars);
        ccadical_add(c->sat, -c->nvars);
        ccadical_add(c->sat, 0);
        c->sized = c->nvars;
    }
    for (uint32_t i = 0; i < c->pending.n; i++)
        ccadical_add(c->sat, c->pending.v[i]);
    c->handed += c->pending.n;
    c->pending.n = 0;
}

void cnf_unit(struct cnf *c, int a)
{
    cnf_clause(c, &a, 1);
}

void cnf_binary(struct cnf *c, int a, int b)
{
    cnf_clause(c, (int[]){a, b}, 2);
}

/* Sinz's sequential form: cur says some of lit[0..i] holds. */
void cnf_at_most_one(struct cnf *c, const int *lit, uint32_t n)
{
    if (n <= AMO_PAIRWISE_MAX) {
        for (uint32_t i = 0; i < n; i++)
            for (uint32_t j = i + 1; j < n; j++)
                cnf_binary(c, -lit[i], -lit[j]);
        return;
    }
    int prev = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (prev)
            cnf_binary(c, -prev, -lit[i]);
        if (i + 1 == n)
            break;
        int cur = cnf_var(c, false);
        cnf_binary(c, -lit[i], cur);
        if (prev)
            cnf_binary(c, -prev, cur);
        prev = cur;
    }
}

/* Halves counted apart, then merged: i of the left and j of the right
 * make at least i + j. */
uint32_t cnf_totalizer(struct cnf *c, const int *in, uint32_t n, uint32_t cap,
                       int *out)
{
    if (n == 0 || cap == 0)
        return 0;
    if (n == 1) {
        out[0] = in[0];
        return 1;
    }
    uint32_t h = n / 2;
    int *left = xmalloc(n * sizeof(int)), *right = left + h;
    uint32_t p = cnf_totalizer(c, in, h, cap, left);
    uint32_t q = cnf_totalizer(c, in + h, n - h, cap, right);
    uint32_t k = p + q < cap ? p + q : cap;
    for (uint32_t j = 0; j < k; j++)
        out[j] = cnf_var(c, false);
    for (uint32_t i = 0; i <= p; i++) {
        for (uint32_t j = 0; j <= q; j++) {
            uint32_t sum = i + j, len = 0;
            if (sum == 0 || sum > k)
                continue;
            int cl[3];
            if (i)
                cl[len++] = -left[i - 1];
            if (j)
                cl[len++] = -right[j - 1];
            cl[len++] = out[sum - 1];
            cnf_clause(c, cl, len);
        }
    }
    free(left);
    return k;
}

uint64_t cnf_totalizer_size(uint32_t n, uint32_t cap)
{
    if (n <= 1 || cap == 0)
        return 0;
    uint32_t h = n / 2, p = h < cap ? h : cap, q = n - h < cap ? n - h : cap;
    uint32_t k = p + q < cap ? p + q : cap;
    uint64_t here = 0; /* pairs i, j with 1 <= i + j <= k, as above */
    for (uint32_t i = 0; i <= p; i++)
        here += i + q <= k ? q + 1 : k >= i ? k - i + 1 : 0;
    return here - 1 + cnf_totalizer_size(h, cap) +
           cnf_totalizer_size(n - h, cap);
}

uint64_t cnf_release_ns(const struct cnf *c)
{
    return RELEASE_NS_MIN + RELEASE_NS_PER_LIT * (c->handed + c->pending.n);
}

void cnf_assume(struct cnf *c, int lit)
{
    flush(c);
    ccadical_assume(c->sat, solver_lit(c, lit));
}

int cnf_solve(struct cnf *c)
{
    flush(c);
    return ccadical_solve(c->sat);
}

bool cnf_true(const struct cnf *c, int lit)
{
    return ccadical_val(c->sat, solver_lit(c, lit)) > 0;
}

bool cnf_failed(const struct cnf *c, int lit)
{
    return ccadical_failed(c->sat, solver_lit(c, lit));
}
