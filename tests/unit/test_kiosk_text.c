/* test_kiosk_text.c: the kiosk's badge payload parsing (kiosk_scan.c) and
 * its text cut to columns by display width (kiosk_text.c): Thai marks stay
 * with their letter, wide characters are never split, nothing unprintable
 * or reordering reaches the screen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "../../clients/kiosk_scan.h"
#include "../../clients/kiosk_text.h"

/* ---- payloads ---- */

static enum kiosk_scan_result parse(const char *line, const char *event,
                                    struct kiosk_badge *b)
{
    return kiosk_scan_parse(line, strlen(line), event, b);
}

static void test_scan_accepts_a_badge(void **state)
{
    struct kiosk_badge b;
    assert_int_equal(
        parse("EXPOMATCH1 gsme2026 th-coffee s3cret-Badge_01", "gsme2026", &b),
        KIOSK_SCAN_OK);
    assert_string_equal(b.event, "gsme2026");
    assert_string_equal(b.id, "th-coffee");
    assert_string_equal(b.secret, "s3cret-Badge_01");
    /* Scanners may add a CR, spaces or a tab. */
    assert_int_equal(parse("  EXPOMATCH1  ev.1\tP_2   abcdefgh \r", NULL, &b),
                     KIOSK_SCAN_OK);
    assert_string_equal(b.event, "ev.1");
    assert_string_equal(b.id, "P_2");
    assert_string_equal(b.secret, "abcdefgh");
    /* Badges may hold any printable ASCII but spaces. */
    assert_int_equal(
        parse("EXPOMATCH1 e p !#$%&'()*+,-./:;<=>?@[]^_`{|}~", "e", &b),
        KIOSK_SCAN_OK);
    kiosk_badge_clear(&b);
    assert_string_equal(b.secret, "");
}

static void test_scan_refuses_what_is_not_a_badge(void **state)
{
    struct kiosk_badge b;
    assert_int_equal(parse("", NULL, &b), KIOSK_SCAN_EMPTY);
    assert_int_equal(parse(" \r ", NULL, &b), KIOSK_SCAN_EMPTY);
    assert_int_equal(parse("hello world", NULL, &b), KIOSK_SCAN_NOT_BADGE);
    assert_int_equal(parse("expomatch1 e p abcdefgh", NULL, &b),
                     KIOSK_SCAN_NOT_BADGE);
    assert_int_equal(parse("EXPOMATCH2 e p abcdefgh", NULL, &b),
                     KIOSK_SCAN_NOT_BADGE);
    assert_int_equal(parse("EXPOMATCH1e p abcdefgh", NULL, &b),
                     KIOSK_SCAN_NOT_BADGE);
    assert_string_equal(b.secret, "");
}

static void test_scan_checks_each_field(void **state)
{
    struct kiosk_badge b;
    static const char *const bad[] = {
        "EXPOMATCH1",
        "EXPOMATCH1 e p",
        "EXPOMATCH1 e p abcdefgh extra",
        "EXPOMATCH1 e p abcdefg",          /* secret too short */
        "EXPOMATCH1 e/x p abcdefgh",       /* event alphabet */
        "EXPOMATCH1 e p\xc3\xa9 abcdefgh", /* id alphabet */
        "EXPOMATCH1 e p abcdefg\xc3\xa9",  /* secret not ASCII */
        "EXPOMATCH1 e p abcd\x01"
        "efgh",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(bad[i], NULL, &b), KIOSK_SCAN_BAD_FORMAT);
        assert_string_equal(b.secret, "");
        assert_string_equal(b.id, "");
    }
    /* Lengths at and past the limits. */
    char line[512], id[80], secret[140];
    memset(id, 'i', 64);
    id[64] = '\0';
    memset(secret, 's', 128);
    secret[128] = '\0';
    snprintf(line, sizeof line, "EXPOMATCH1 e %s %s", id, secret);
    assert_int_equal(parse(line, NULL, &b), KIOSK_SCAN_OK);
    assert_int_equal(strlen(b.id), 64);
    assert_int_equal(strlen(b.secret), 128);
    snprintf(line, sizeof line, "EXPOMATCH1 e %si %s", id, secret);
    assert_int_equal(parse(line, NULL, &b), KIOSK_SCAN_BAD_FORMAT);
    snprintf(line, sizeof line, "EXPOMATCH1 e %s %ss", id, secret);
    assert_int_equal(parse(line, NULL, &b), KIOSK_SCAN_BAD_FORMAT);
    /* Embedded NUL: the length given counts, not strlen. */
    assert_int_equal(
        kiosk_scan_parse("EXPOMATCH1 e p abc\0defgh", 24, NULL, &b),
        KIOSK_SCAN_BAD_FORMAT);
}

static void test_scan_knows_other_events(void **state)
{
    struct kiosk_badge b;
    assert_int_equal(parse("EXPOMATCH1 other p abcdefgh", "mine", &b),
                     KIOSK_SCAN_OTHER_EVENT);
    assert_string_equal(b.event, "other");
    assert_string_equal(b.secret, ""); /* never kept */
    assert_int_equal(parse("EXPOMATCH1 mine2 p abcdefgh", "mine", &b),
                     KIOSK_SCAN_OTHER_EVENT);
    assert_int_equal(parse("EXPOMATCH1 min p abcdefgh", "mine", &b),
                     KIOSK_SCAN_OTHER_EVENT);
}

/* ---- widths and cutting ---- */

/* Fits s into cols and returns it as UTF-8 (static buffer). */
static const char *fit(const char *s, int cols, int *used)
{
    static char out[4096];
    wchar_t w[512];
    *used = kiosk_text_fit(s, cols, w, 512);
    size_t n = wcstombs(out, w, sizeof out);
    assert_true(n != (size_t)-1);
    return out;
}

/* Width of a wide string as wcswidth would say, checked to be printable. */
static int wide_width(const char *s, int cols)
{
    wchar_t w[512];
    kiosk_text_fit(s, cols, w, 512);
    int n = wcswidth(w, 512);
    assert_true(n >= 0);
    return n;
}

#define THAI "\xe0\xb8\xaa\xe0\xb8\xb5\xe0\xb9\x88\xe0\xb8\x81" /* สี่ก */
#define CJK "\xe5\x92\x96\xe5\x95\xa1\xe8\xb1\x86"              /* 咖啡豆 */
#define ELL "\xe2\x80\xa6"                                      /* … */

static void test_widths_by_script(void **state)
{
    assert_int_equal(kiosk_text_width(""), 0);
    assert_int_equal(kiosk_text_width("coffee"), 6);
    /* ส + sara ii (mark) + mai ek (mark) + ก: two columns. */
    assert_int_equal(kiosk_text_width(THAI), 2);
    assert_int_equal(kiosk_text_width(CJK), 6);
    /* Arabic letters take one column each; harakat none. */
    assert_int_equal(kiosk_text_width("\xd9\x82\xd9\x87\xd9\x88\xd8\xa9"), 4);
    assert_int_equal(kiosk_text_width("\xd9\x82\xd9\x8e"), 1);
    /* Long strings are measured whole. */
    char big[3 * 500 + 1];
    for (int i = 0; i < 500; i++)
        memcpy(big + 3 * i, "\xe5\x92\x96", 3);
    big[1500] = '\0';
    assert_int_equal(kiosk_text_width(big), 1000);
}

static void test_fit_keeps_what_fits(void **state)
{
    int used;
    assert_string_equal(fit("coffee", 6, &used), "coffee");
    assert_int_equal(used, 6);
    assert_string_equal(fit(CJK, 6, &used), CJK);
    assert_int_equal(used, 6);
    assert_string_equal(fit(THAI, 2, &used), THAI);
    assert_int_equal(used, 2);
    assert_string_equal(fit("", 5, &used), "");
    assert_int_equal(used, 0);
}

static void test_fit_cuts_by_columns(void **state)
{
    int used;
    assert_string_equal(fit("coffee beans", 7, &used), "coffee" ELL);
    assert_int_equal(used, 7);
    /* 咖啡豆 in 5 columns: two characters and the ellipsis. */
    assert_string_equal(fit(CJK, 5, &used), "\xe5\x92\x96\xe5\x95\xa1" ELL);
    assert_int_equal(used, 5);
    /* In 4: a third column is left, too narrow for 啡: it stays out. */
    assert_string_equal(fit(CJK, 4, &used), "\xe5\x92\x96" ELL);
    assert_int_equal(used, 3);
    assert_string_equal(fit(CJK, 1, &used), ELL);
    assert_string_equal(fit("abc", 0, &used), "");
    assert_int_equal(used, 0);
    /* Thai: the marks go with their letter. "สี่กา" in 2 columns. */
    assert_string_equal(fit(THAI "\xe0\xb8\xb2", 2, &used),
                        "\xe0\xb8\xaa\xe0\xb8\xb5\xe0\xb9\x88" ELL);
    assert_int_equal(used, 2);
    /* Whatever is cut, the width never passes the columns. */
    const char *samples[] = {THAI THAI THAI, CJK CJK "abc", "a" CJK THAI};
    for (size_t i = 0; i < 3; i++)
        for (int cols = 1; cols < 20; cols++)
            assert_true(wide_width(samples[i], cols) <= cols);
}

static void test_unprintable_text_is_made_safe(void **state)
{
    int used;
    /* Control characters, escape sequences included, never pass. */
    assert_string_equal(fit("a\x1b[2Jb\tc\n", 20, &used), "a?[2Jb c ");
    assert_string_equal(fit("x\xc2\x9by", 20, &used), "x?y");
    /* Bytes that are not UTF-8 become one replacement mark each. */
    assert_string_equal(fit("a\xff\xc3(b", 20, &used),
                        "a\xef\xbf\xbd\xef\xbf\xbd(b");
    assert_string_equal(fit("\xed\xa0\x80", 20, &used), /* a surrogate */
                        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    assert_string_equal(fit("\xc0\xaf", 20, &used), /* overlong */
                        "\xef\xbf\xbd\xef\xbf\xbd");
    /* Bidirectional overrides are dropped. */
    assert_string_equal(fit("ab\xe2\x80\xae"
                            "cd\xe2\x81\xa6",
                            20, &used),
                        "abcd");
    /* A mark with no letter gets a space to sit on. */
    assert_string_equal(fit("\xe0\xb8\xb5x", 20, &used), " \xe0\xb8\xb5x");
    assert_int_equal(used, 2);
}

static void test_copy_cuts_at_a_character(void **state)
{
    char dst[5];
    kiosk_text_copy(dst, sizeof dst, "abcdef");
    assert_string_equal(dst, "abcd");
    /* 咖 is 3 bytes: "a咖" fits in 4, "ab咖" does not and loses 咖. */
    kiosk_text_copy(dst, sizeof dst, "a\xe5\x92\x96z");
    assert_string_equal(dst, "a\xe5\x92\x96");
    kiosk_text_copy(dst, sizeof dst, "ab\xe5\x92\x96");
    assert_string_equal(dst, "ab");
}

int main(void)
{
    if (setlocale(LC_ALL, "C.UTF-8") == NULL &&
        setlocale(LC_ALL, "C.utf8") == NULL) {
        fprintf(stderr, "no C.UTF-8 locale\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_accepts_a_badge),
        cmocka_unit_test(test_scan_refuses_what_is_not_a_badge),
        cmocka_unit_test(test_scan_checks_each_field),
        cmocka_unit_test(test_scan_knows_other_events),
        cmocka_unit_test(test_widths_by_script),
        cmocka_unit_test(test_fit_keeps_what_fits),
        cmocka_unit_test(test_fit_cuts_by_columns),
        cmocka_unit_test(test_unprintable_text_is_made_safe),
        cmocka_unit_test(test_copy_cuts_at_a_character),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
