/* test_sat_cnf.c: daemon/sat_cnf.c's mapping between the caller's
 * literals and the solver's. A guided solver's first guesses are the
 * known solution and an unguided one's all false (on a formula that
 * leaves every variable free, the model is the guess); either way,
 * clauses, models, assumptions and cores read back in the caller's
 * literals, and the counters count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>

#include "sat_cnf.h"

#define NV 40

static int never(void *arg)
{
    (void)arg;
    return 0;
}

/* check(c, v, guided, k) on a fresh solver of each kind, whose variables
 * v are known true at odd indexes and false at even ones. */
typedef void check_fn(struct cnf *c, const int *v, bool guided, uint32_t k);

static void in_both_modes(check_fn *check, uint32_t k)
{
    for (int guided = 0; guided < 2; guided++) {
        struct cnf c;
        int v[NV];
        cnf_init(&c, 0, guided, never, NULL);
        for (int i = 0; i < NV; i++)
            v[i] = cnf_var(&c, i % 2 == 1);
        check(&c, v, guided, k);
        cnf_free(&c);
    }
}

static void check_guesses(struct cnf *c, const int *v, bool guided, uint32_t k)
{
    (void)k;
    assert_int_equal(cnf_solve(c), 10);
    assert_true(cnf_true(c, c->top));
    for (int i = 0; i < NV; i++) {
        bool want = guided && i % 2 == 1;
        assert_int_equal(cnf_true(c, v[i]), want);
        assert_int_equal(cnf_true(c, -v[i]), !want);
    }
}

static void guesses_are_the_known_solution_or_false(void **state)
{
    (void)state;
    in_both_modes(check_guesses, 0);
}

/* Units against each guess: the model obeys them, not the guesses. */
static void check_clauses(struct cnf *c, const int *v, bool guided, uint32_t k)
{
    (void)guided, (void)k;
    for (int i = 0; i < NV; i += 4)
        cnf_unit(c, v[i]); /* known false: made true */
    for (int i = 1; i < NV; i += 4)
        cnf_unit(c, -v[i]);      /* known true: made false */
    cnf_binary(c, -v[2], -v[3]); /* one of two at most */
    cnf_binary(c, v[2], v[3]);   /* and at least */
    assert_int_equal(cnf_solve(c), 10);
    for (int i = 0; i < NV; i += 4)
        assert_true(cnf_true(c, v[i]));
    for (int i = 1; i < NV; i += 4)
        assert_false(cnf_true(c, v[i]));
    assert_true(cnf_true(c, v[2]) != cnf_true(c, v[3]));
}

static void clauses_read_back_in_callers_literals(void **state)
{
    (void)state;
    in_both_modes(check_clauses, 0);
}

/* Assumed true against a unit: unsatisfiable, and the core names the
 * assumption in the caller's sign. */
static void check_core(struct cnf *c, const int *v, bool guided, uint32_t k)
{
    (void)guided, (void)k;
    cnf_unit(c, -v[5]);
    cnf_assume(c, v[5]);
    cnf_assume(c, v[6]);
    assert_int_equal(cnf_solve(c), 20);
    assert_true(cnf_failed(c, v[5]));
    assert_false(cnf_failed(c, v[6]));
}

static void cores_name_callers_assumptions(void **state)
{
    (void)state;
    in_both_modes(check_core, 0);
}

/* Of 12 inputs, k forced true and the rest free: out[j] is true for
 * j < k, and "not out[k]" assumed leaves the free ones all false. */
static void check_count(struct cnf *c, const int *v, bool guided, uint32_t k)
{
    (void)guided;
    uint32_t n = 12, cap = 8;
    int out[NV + 1];
    assert_int_equal(cnf_totalizer(c, v, n, cap, out), cap);
    for (uint32_t i = 0; i < k; i++)
        cnf_unit(c, v[i]);
    cnf_assume(c, -out[k]);
    assert_int_equal(cnf_solve(c), 10);
    uint32_t on = 0;
    for (uint32_t i = 0; i < n; i++)
        on += cnf_true(c, v[i]);
    assert_int_equal(on, k);
    for (uint32_t j = 0; j < k; j++)
        assert_true(cnf_true(c, out[j]));
}

static void totalizer_counts_in_both_modes(void **state)
{
    (void)state;
    for (uint32_t k = 0; k <= 6; k++)
        in_both_modes(check_count, k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(guesses_are_the_known_solution_or_false),
        cmocka_unit_test(clauses_read_back_in_callers_literals),
        cmocka_unit_test(cores_name_callers_assumptions),
        cmocka_unit_test(totalizer_counts_in_both_modes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
