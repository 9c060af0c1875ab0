/* sat_cnf.h: building clauses for the CaDiCaL SAT solver (Debian's
 * libcadical-dev, through its C interface): variables with a preferred
 * value, at-most-one and counting constraints, and solving under
 * assumptions. Used by the exact schedule phase (sched_exact.c).
 *
 * Each variable is created with the value it has in a known solution.
 * A guided solver's sign of such a variable is flipped and the solver
 * told to try false first, so its first guesses are that solution; an
 * unguided one guesses false for every variable. Callers use their own
 * literals throughout; the mapping stays in here. */
#ifndef EM_SAT_CNF_H
#define EM_SAT_CNF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct CCaDiCaL CCaDiCaL;

/* A growable list of literals. */
struct lits {
    int *v;
    uint32_t n, cap;
};

void lits_push(struct lits *l, int lit);

struct cnf {
    CCaDiCaL *sat;
    int nvars, sized; /* variables made, and known to the solver */
    int top;          /* a variable that is true */
    uint8_t *flip;
    size_t flip_cap;
    /* Clauses wait here until the next solve: handed over in one go,
     * after the solver has made room for every variable at once (one by
     * one, its tables grow thousands of times). */
    struct lits pending;
    uint64_t handed; /* literals handed over so far */
    bool guided;     /* first guesses: the known solution, or all false */
};

/* stop(arg) is polled while solving; nonzero ends the solve (answer 0).
 * seed: the solver's random seed (0, its default); guided: whether its
 * first guesses are the known solution. */
void cnf_init(struct cnf *c, int seed, bool guided, int (*stop)(void *),
              void *arg);
void cnf_free(struct cnf *c);

/* A new variable, whose value in the known solution is `now`. */
int cnf_var(struct cnf *c, bool now);

void cnf_clause(struct cnf *c, const int *lit, uint32_t n);
void cnf_unit(struct cnf *c, int a);
void cnf_binary(struct cnf *c, int a, int b);

/* At most one of lit[0..n). */
void cnf_at_most_one(struct cnf *c, const int *lit, uint32_t n);

/* A counter over in[0..n): out[j] is forced true when at least j + 1 of
 * them are, for j below cap (only forced up, which is all that bounding
 * a count from above needs). Returns the number of outputs written, at
 * most min(n, cap). */
uint32_t cnf_totalizer(struct cnf *c, const int *in, uint32_t n, uint32_t cap,
                       int *out);

/* The clauses cnf_totalizer(.., n, cap, ..) makes, without making them. */
uint64_t cnf_totalizer_size(uint32_t n, uint32_t cap);

/* About how long cnf_free will take, in ns: it grows with the clauses
 * handed over (the learned ones are kept in proportion by the solver). */
uint64_t cnf_release_ns(const struct cnf *c);

void cnf_assume(struct cnf *c, int lit);
/* 10 satisfiable, 20 unsatisfiable under the assumptions, 0 stopped. */
int cnf_solve(struct cnf *c);
/* After 10: lit's value. After 20: whether assumption lit was used. */
bool cnf_true(const struct cnf *c, int lit);
bool cnf_failed(const struct cnf *c, int lit);

#endif
