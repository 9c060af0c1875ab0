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

/* Variables known true at odd indexes, false at even ones. */
static void make_vars(struct cnf *c, int *v)
{
    for (int i = 0; i < NV; i++)
        v[i] = cnf_var(c, i % 2 == 1);
}

static void guesses_are_the_known_solution_or_false(void **state)
{
    (void)state;
    for (int guided = 0; guided < 2; guided++) {
        struct cnf c;
        int v[NV];
        cnf_init(&c, 0, guided, never, NULL);
        make_vars(&c, v);
        assert_int_equal(cnf_solve(&c), 10);
        assert_true(cnf_true(&c, c.top));
        for (int i = 0; i < NV; i++) {
            bool want = guided && i % 2 == 1;
            assert_int_equal(cnf_true(&c, v[i]), want);
            assert_int_equal(cnf_true(&c, -v[i]), !want);
        }
        cnf_free(&c);
    }
}

/* Units against each guess: the model obeys them, not the guesses. */
static void clauses_read_back_in_callers_literals(void **state)
{
    (void)state;
    for (int guided = 0; guided < 2; guided++) {
        struct cnf c;
        int v[NV];
        cnf_init(&c, 0, guided, never, NULL);
        make_vars(&c, v);
        for (int i = 0; i < NV; i += 4)
            cnf_unit(&c, v[i]); /* known false: made true */
        for (int i = 1; i < NV; i += 4)
            cnf_unit(&c, -v[i]);      /* known true: made false */
        cnf_binary(&c, -v[2], -v[3]); /* one of two at most */
        cnf_binary(&c, v[2], v[3]);   /* and at least */
        assert_int_equal(cnf_solve(&c), 10);
        for (int i = 0; i < NV; i += 4)
            assert_true(cnf_true(&c, v[i]));
        for (int i = 1; i < NV; i += 4)
            assert_false(cnf_true(&c, v[i]));
        assert_true(cnf_true(&c, v[2]) != cnf_true(&c, v[3]));
        cnf_free(&c);
    }
}

/* Assumed true against a unit: unsatisfiable, and the core names the
 * assumption in the caller's sign. */
static void cores_name_callers_assumptions(void **state)
{
    (void)state;
    for (int guided = 0; guided < 2; guided++) {
        struct cnf c;
        int v[NV];
        cnf_init(&c, 0, guided, never, NULL);
        make_vars(&c, v);
        cnf_unit(&c, -v[5]);
        cnf_assume(&c, v[5]);
        cnf_assume(&c, v[6]);
        assert_int_equal(cnf_solve(&c), 20);
        assert_true(cnf_failed(&c, v[5]));
        assert_false(cnf_failed(&c, v[6]));
        cnf_free(&c);
    }
}

/* Of n inputs, k forced true and the rest free: out[j] is true for
 * j < k, and "not out[k]" assumed leaves the free ones all false. */
static void totalizer_counts_in_both_modes(void **state)
{
    (void)state;
    for (int guided = 0; guided < 2; guided++) {
        for (uint32_t k = 0; k <= 6; k++) {
            struct cnf c;
            int v[NV], out[NV + 1];
            cnf_init(&c, 0, guided, never, NULL);
            make_vars(&c, v);
            uint32_t n = 12, cap = 8;
            uint32_t nout = cnf_totalizer(&c, v, n, cap, out);
            assert_int_equal(nout, cap);
            for (uint32_t i = 0; i < k; i++)
                cnf_unit(&c, v[i]);
            cnf_assume(&c, -out[k]);
            assert_int_equal(cnf_solve(&c), 10);
            uint32_t on = 0;
            for (uint32_t i = 0; i < n; i++)
                on += cnf_true(&c, v[i]);
            assert_int_equal(on, k);
            for (uint32_t j = 0; j < k; j++)
                assert_true(cnf_true(&c, out[j]));
            cnf_free(&c);
        }
    }
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
