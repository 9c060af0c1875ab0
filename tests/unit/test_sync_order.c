/* test_sync_order.c: which look-ups and local writes crossed. The module
 * keeps state across calls, so each test uses keys of an event of its
 * own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "keys.h"
#include "sync_order.h"

static void test_an_answer_nothing_overtook_is_applied(void **state)
{
    uint64_t k = key_hash("ev-apply", "s");
    struct lookup_mark m;
    order_lookup_sent(k, false, &m);
    assert_int_equal(order_lookup_answered(&m, true), LOOKUP_APPLY);
}

static void test_a_local_write_makes_a_lookup_in_flight_read_again(void **state)
{
    uint64_t k = key_hash("ev-overtaken", "s");
    struct lookup_mark m;
    order_lookup_sent(k, false, &m);
    uint32_t sent = order_write_sent(k);
    /* Nothing answered meanwhile, and the look-up is on its way anyway. */
    assert_false(order_write_applied(k, sent));
    assert_int_equal(order_lookup_answered(&m, true), LOOKUP_AGAIN);
    /* The second reading was sent after the write: it is applied. */
    order_lookup_sent(k, false, &m);
    assert_int_equal(order_lookup_answered(&m, true), LOOKUP_APPLY);
}

static void test_of_several_overtaken_only_the_newest_reads_again(void **state)
{
    uint64_t k = key_hash("ev-burst", "s");
    struct lookup_mark m[50];
    for (int i = 0; i < 50; i++)
        order_lookup_sent(k, false, &m[i]);
    for (int i = 0; i < 10; i++)
        assert_false(order_write_applied(k, order_write_sent(k)));
    for (int i = 0; i < 49; i++)
        assert_int_equal(order_lookup_answered(&m[i], true), LOOKUP_DROP);
    assert_int_equal(order_lookup_answered(&m[49], true), LOOKUP_AGAIN);
}

static void test_a_write_after_a_newer_answer_reads_again(void **state)
{
    uint64_t k = key_hash("ev-undo", "s");
    uint32_t sent = order_write_sent(k);
    struct lookup_mark m;
    order_lookup_sent(k, false, &m);
    assert_int_equal(order_lookup_answered(&m, true), LOOKUP_APPLY);
    /* That answer may be newer than the write now confirmed. */
    assert_true(order_write_applied(k, sent));
    /* A write with no answer in between needs nothing. */
    assert_false(order_write_applied(k, order_write_sent(k)));
}

static void test_another_key_never_hides_a_needed_reading(void **state)
{
    /* Find a key sharing a's bucket: a write to it overtakes a's look-up. */
    uint64_t a = key_hash("ev-collide", "a"), b = 0;
    char id[32];
    for (int i = 0; i < 100000 && b == 0; i++) {
        snprintf(id, sizeof id, "b%d", i);
        uint64_t k = key_hash("ev-collide", id);
        struct lookup_mark m;
        order_lookup_sent(a, false, &m);
        order_write_applied(k, order_write_sent(k));
        if (order_lookup_answered(&m, true) != LOOKUP_APPLY)
            b = k;
    }
    assert_true(b != 0 && b != a);
    /* a's older look-up, b's newer one, then a write to a: the bucket's
     * newest is b's, so a's must read again rather than rely on it. */
    struct lookup_mark ma, mb;
    order_lookup_sent(a, false, &ma);
    order_lookup_sent(b, false, &mb);
    order_write_applied(a, order_write_sent(a));
    assert_int_equal(order_lookup_answered(&ma, true), LOOKUP_AGAIN);
    assert_int_equal(order_lookup_answered(&mb, true), LOOKUP_AGAIN);
}

static void test_a_delete_lookup_is_pending_until_answered(void **state)
{
    uint64_t k = key_hash("ev-delete", "s");
    struct lookup_mark d, p;
    assert_false(order_delete_pending(k));
    order_lookup_sent(k, true, &d);
    order_lookup_sent(k, false, &p);
    assert_true(order_delete_pending(k));
    assert_int_equal(order_lookup_answered(&d, true), LOOKUP_APPLY);
    assert_false(order_delete_pending(k));
    /* An error answers too; there is nothing to apply. */
    order_lookup_sent(k, true, &d);
    assert_int_equal(order_lookup_answered(&p, true), LOOKUP_APPLY);
    assert_int_equal(order_lookup_answered(&d, false), LOOKUP_DROP);
    assert_false(order_delete_pending(k));
}

static void test_the_event_and_its_profiles_are_apart(void **state)
{
    assert_true(key_hash("ev-x", NULL) != key_hash("ev-x", "s"));
    assert_true(key_hash("ev-x", "s") != key_hash("ev-xs", NULL));
    assert_true(key_hash("ev", "xs") != key_hash("evx", "s"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_answer_nothing_overtook_is_applied),
        cmocka_unit_test(
            test_a_local_write_makes_a_lookup_in_flight_read_again),
        cmocka_unit_test(test_of_several_overtaken_only_the_newest_reads_again),
        cmocka_unit_test(test_a_write_after_a_newer_answer_reads_again),
        cmocka_unit_test(test_another_key_never_hides_a_needed_reading),
        cmocka_unit_test(test_a_delete_lookup_is_pending_until_answered),
        cmocka_unit_test(test_the_event_and_its_profiles_are_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
