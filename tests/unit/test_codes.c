/* test_codes.c: HS and ISIC hierarchies, most specific level first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "codes.h"

static void test_hs_six_digits_expand_to_heading_and_chapter(void **state)
{
    struct code_level l[CODES_MAX_LEVELS];
    assert_int_equal(hs_levels("090111", l), 3);
    assert_string_equal(l[0].code, "090111");
    assert_int_equal(l[0].level, 3);
    assert_string_equal(l[1].code, "0901");
    assert_int_equal(l[1].level, 2);
    assert_string_equal(l[2].code, "09");
    assert_int_equal(l[2].level, 1);
}

static void test_hs_shorter_codes_expand_from_their_own_level(void **state)
{
    struct code_level l[CODES_MAX_LEVELS];
    assert_int_equal(hs_levels("1006", l), 2);
    assert_string_equal(l[0].code, "1006");
    assert_string_equal(l[1].code, "10");
    assert_int_equal(hs_levels("85", l), 1);
    assert_int_equal(l[0].level, 1);
}

static void test_hs_bad_shapes_give_nothing(void **state)
{
    struct code_level l[CODES_MAX_LEVELS];
    const char *bad[] = {"", "9", "090", "09011", "0901111", "09a1", "x9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(hs_levels(bad[i], l), 0);
}

static void test_isic_class_expands_to_group_division_section(void **state)
{
    struct code_level l[CODES_MAX_LEVELS];
    assert_int_equal(isic_levels("1079", l), 4);
    assert_string_equal(l[0].code, "1079");
    assert_int_equal(l[0].level, 4);
    assert_string_equal(l[1].code, "107");
    assert_string_equal(l[2].code, "10");
    assert_string_equal(l[3].code, "C");
    assert_int_equal(l[3].level, 1);
}

static void test_isic_sections_of_divisions(void **state)
{
    assert_int_equal(isic_section(1), 'A');
    assert_int_equal(isic_section(3), 'A');
    assert_int_equal(isic_section(4), 0); /* no division 04 */
    assert_int_equal(isic_section(33), 'C');
    assert_int_equal(isic_section(46), 'G');
    assert_int_equal(isic_section(99), 'U');
    struct code_level l[CODES_MAX_LEVELS];
    assert_int_equal(isic_levels("46", l), 2);
    assert_string_equal(l[1].code, "G");
    assert_int_equal(isic_levels("04", l), 0);
    assert_int_equal(isic_levels("A", l), 1);
    assert_string_equal(l[0].code, "A");
}

static void test_isic_bad_shapes_give_nothing(void **state)
{
    struct code_level l[CODES_MAX_LEVELS];
    const char *bad[] = {"", "V", "a", "1", "10799", "1a", "AB"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(isic_levels(bad[i], l), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hs_six_digits_expand_to_heading_and_chapter),
        cmocka_unit_test(test_hs_shorter_codes_expand_from_their_own_level),
        cmocka_unit_test(test_hs_bad_shapes_give_nothing),
        cmocka_unit_test(test_isic_class_expands_to_group_division_section),
        cmocka_unit_test(test_isic_sections_of_divisions),
        cmocka_unit_test(test_isic_bad_shapes_give_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
