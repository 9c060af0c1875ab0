/* test_text.c: text tokens for the index (text.c): normalization, folding,
 * ICU segmentation per script, fragment and compound kinds, input limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* Tokenizes a NUL-terminated string, expecting success. */
static void tok(const char *s, struct tokens *t)
{
    struct err err = {0};
    assert_int_equal(text_tokenize(s, strlen(s), t, &err), 0);
}

/* The kind of the token with this text, or -1 when absent; fails if the
 * text is present under two kinds (tests name unambiguous texts). */
static int kind_of(const struct tokens *t, const char *text)
{
    int kind = -1;
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->v[i].text, text) == 0) {
            assert_int_equal(kind, -1);
            kind = (int)t->v[i].kind;
        }
    }
    return kind;
}

static bool has(const struct tokens *t, const char *text, enum token_kind k)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].kind == k && strcmp(t->v[i].text, text) == 0)
            return true;
    return false;
}

/* Asserts that text gives exactly the listed WORD tokens, in order, and
 * nothing else. */
static void expect_words(const char *text, const char *const *words, size_t n)
{
    struct tokens t = {0};
    tok(text, &t);
    assert_int_equal(t.n, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(t.v[i].text, words[i]);
        assert_int_equal(t.v[i].kind, TOKEN_WORD);
    }
    tokens_free(&t);
}

/* The single WORD token of a one-word text. */
static char *one_word(const char *text)
{
    struct tokens t = {0};
    tok(text, &t);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.v[0].kind, TOKEN_WORD);
    char *w = t.v[0].text;
    t.v[0].text = NULL;
    tokens_free(&t);
    return w;
}

static void assert_same_word(const char *a, const char *b)
{
    char *wa = one_word(a), *wb = one_word(b);
    assert_string_equal(wa, wb);
    free(wa);
    free(wb);
}

static void test_english(void **state)
{
    static const char *const w[] = {"roasted", "coffee", "beans", "tea",
                                    "2024",    "iso",    "9001"};
    expect_words("Roasted COFFEE beans, and the tea (for 2024)! "
                 "A x ISO-9001 of 7",
                 w, sizeof w / sizeof *w);
}

static void test_accents(void **state)
{
    assert_same_word("café", "CAFE");
    assert_same_word("Açaí", "acai");
    assert_same_word("Straße", "STRASSE");
    assert_same_word("Ελληνικός", "ΕΛΛΗΝΙΚΟΣ");
    assert_same_word("йогурт", "иогурт");
    /* Decomposed input (e + combining acute) folds the same way. */
    assert_same_word("cafe\xcc\x81", "café");
    char *w = one_word("Straße");
    assert_string_equal(w, "strasse");
    free(w);
}

static void test_fullwidth(void **state)
{
    assert_same_word("ＣＯＦＦＥＥ", "coffee");
    assert_same_word("ｶﾌｪ", "カフェ");
    assert_same_word("ﬁlter", "filter");
}

/* ICU 72: กาแฟ is a dictionary word, alone or inside a sentence. */
static void test_thai_words(void **state)
{
    char *w = one_word("กาแฟ");
    assert_string_equal(w, "กาแฟ");
    free(w);
    /* "sell tea and coffee": ขาย|ชา|และ|กาแฟ; ชา (tea) is short but
     * stands alone between longer words, so it stays a WORD. */
    static const char *const s[] = {"ขาย", "ชา", "และ", "กาแฟ"};
    expect_words("ขายชาและกาแฟ", s, 4);
    /* "sell roasted coffee and coffee beans": กาแฟ once. */
    struct tokens t = {0};
    tok("ขายกาแฟคั่วและเมล็ดกาแฟ", &t);
    assert_int_equal(kind_of(&t, "กาแฟ"), TOKEN_WORD);
    assert_int_equal(kind_of(&t, "เมล็ด"), TOKEN_WORD);
    assert_int_equal(kind_of(&t, "คั่ว"), TOKEN_WORD);
    assert_int_equal(t.n, 5);
    tokens_free(&t);
}

/* ICU 72 splits the loanword อาราบิก้า into อา|รา|บิ|ก้า. */
static void test_thai_fragments(void **state)
{
    struct tokens t = {0};
    tok("กาแฟอาราบิก้า", &t);
    assert_int_equal(kind_of(&t, "กาแฟ"), TOKEN_WORD);
    assert_int_equal(kind_of(&t, "อา"), TOKEN_FRAGMENT);
    assert_int_equal(kind_of(&t, "รา"), TOKEN_FRAGMENT);
    assert_int_equal(kind_of(&t, "บิ"), TOKEN_FRAGMENT);
    assert_int_equal(kind_of(&t, "ก้า"), TOKEN_FRAGMENT);
    assert_int_equal(kind_of(&t, "อาราบิก้า"), TOKEN_SUB);
    assert_int_equal(kind_of(&t, "กาแฟอาราบิก้า"), TOKEN_SUB);
    assert_int_equal(t.n, 7);
    for (size_t i = 0; i < t.n; i++)
        if (t.v[i].kind == TOKEN_WORD)
            assert_string_equal(t.v[i].text, "กาแฟ");
    tokens_free(&t);

    /* The loanword alone has no WORD: only fragments and their join,
     * which equals the join above, so the same spelling still meets. */
    tok("อาราบิก้า", &t);
    assert_int_equal(t.n, 5);
    assert_true(has(&t, "อาราบิก้า", TOKEN_SUB));
    for (size_t i = 0; i < t.n; i++)
        assert_int_not_equal(t.v[i].kind, TOKEN_WORD);
    tokens_free(&t);
}

static void test_lao_khmer(void **state)
{
    /* Lao "sell coffee and tea". */
    static const char *const lao[] = {"ຂາຍ", "ກາເຟ", "ແລະ", "ຊາ"};
    expect_words("ຂາຍກາເຟແລະຊາ", lao, 4);
    /* Khmer "sell coffee", then "coffee" again (no duplicate). */
    static const char *const km[] = {"លក់", "កាហ្វេ"};
    expect_words("លក់កាហ្វេ កាហ្វេ", km, 2);
}

static void test_chinese_compound(void **state)
{
    char *coffee = one_word("咖啡");
    struct tokens t = {0};
    tok("咖啡豆和茶叶", &t);
    assert_int_equal(kind_of(&t, "咖啡豆"), TOKEN_WORD);
    assert_true(has(&t, coffee, TOKEN_SUB));
    assert_int_equal(kind_of(&t, "啡豆"), TOKEN_SUB);
    assert_int_equal(kind_of(&t, "和"), TOKEN_WORD);
    assert_int_equal(kind_of(&t, "茶叶"), TOKEN_WORD);
    assert_int_equal(t.n, 5);
    tokens_free(&t);
    free(coffee);
}

/* ICU 72: 有機|栽培|コーヒー|豆|を|販売|し|ます. */
static void test_japanese(void **state)
{
    char *coffee = one_word("コーヒー");
    struct tokens t = {0};
    tok("有機栽培コーヒー豆を販売します", &t);
    assert_true(has(&t, coffee, TOKEN_WORD));
    assert_int_equal(kind_of(&t, "豆"), TOKEN_WORD);
    assert_int_equal(kind_of(&t, "有機"), TOKEN_WORD);
    assert_int_equal(kind_of(&t, "販売"), TOKEN_WORD);
    /* Lone kana (particles) are dropped. */
    assert_int_equal(kind_of(&t, "を"), -1);
    assert_int_equal(kind_of(&t, "し"), -1);
    tokens_free(&t);
    free(coffee);
}

static void test_arabic(void **state)
{
    assert_same_word("القهوة", "قهوة");
    assert_same_word("قَهْوَةٌ", "قهوه");
    assert_same_word("والقهوة", "قهوة");
    assert_same_word("بالقهوة", "قهوة");
    assert_same_word("للقهوة", "قهوة");
    assert_same_word("الـــقهوة", "قهوة");
    assert_same_word("أرز", "ارز");
    assert_same_word("إنتاج", "انتاج");
    assert_same_word("آلة", "الة");
    assert_same_word("مستشفى", "مستشفي");
    /* Too short to lose the article, or no article at all. */
    char *w = one_word("والده");
    assert_string_equal(w, "والده");
    free(w);
    w = one_word("الف");
    assert_string_equal(w, "الف");
    free(w);
    /* Hamza on waw stays: مؤسسة is not مسسة or موسسة. */
    w = one_word("مؤسسة");
    assert_string_equal(w, "مؤسسه");
    free(w);
    /* Persian keh and yeh are untouched. */
    w = one_word("کیک");
    assert_string_equal(w, "کیک");
    free(w);
}

static void test_hebrew(void **state)
{
    assert_same_word("קָפֶה", "קפה");
    static const char *const w[] = {"מכונת", "קפה"};
    expect_words("מְכוֹנַת קָפֶה", w, 2);
}

static void test_invalid_utf8(void **state)
{
    static const char *const bad[] = {
        "caf\xc3",      /* truncated */
        "\xc0\xaf",     /* overlong */
        "\xed\xa0\x80", /* surrogate */
        "\xf4\x90\x80\x80" /* above U+10FFFF */,
        "\xff",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct tokens t = {0};
        struct err err = {0};
        assert_int_equal(text_tokenize(bad[i], strlen(bad[i]), &t, &err), -1);
        assert_int_equal(err.code, ERR_BAD_REQUEST);
        assert_int_equal(t.n, 0);
        tokens_free(&t);
    }
}

static void test_too_long(void **state)
{
    size_t len = TEXT_MAX_BYTES + 1;
    char *s = malloc(len);
    assert_non_null(s);
    for (size_t i = 0; i < len; i++)
        s[i] = (i % 8 == 7) ? ' ' : 'a';
    struct tokens t = {0};
    struct err err = {0};
    assert_int_equal(text_tokenize(s, len, &t, &err), -1);
    assert_int_equal(err.code, ERR_BAD_REQUEST);
    assert_int_equal(t.n, 0);
    /* At the limit it is accepted. */
    assert_int_equal(text_tokenize(s, TEXT_MAX_BYTES, &t, &err), 0);
    assert_int_equal(t.n, 1);
    tokens_free(&t);
    free(s);
}

static void test_long_token_dropped(void **state)
{
    char s[TOKEN_MAX_BYTES + 16];
    memset(s, 'x', TOKEN_MAX_BYTES + 1);
    strcpy(s + TOKEN_MAX_BYTES + 1, " tea");
    struct tokens t = {0};
    tok(s, &t);
    assert_int_equal(t.n, 1);
    assert_string_equal(t.v[0].text, "tea");
    tokens_free(&t);
    s[TOKEN_MAX_BYTES] = ' ';
    tok(s, &t);
    assert_int_equal(t.n, 2);
    assert_int_equal(strlen(t.v[0].text), TOKEN_MAX_BYTES);
    tokens_free(&t);
}

static void test_empty(void **state)
{
    struct tokens t = {0};
    struct err err = {0};
    assert_int_equal(text_tokenize("", 0, &t, &err), 0);
    assert_int_equal(t.n, 0);
    tok("  ,.;!? - a the and ", &t);
    assert_int_equal(t.n, 0);
    tokens_free(&t);
}

static void test_no_duplicates(void **state)
{
    struct tokens t = {0};
    tok("Coffee coffee COFFEE café cafe 咖啡豆 咖啡豆 กาแฟ กาแฟ", &t);
    for (size_t i = 0; i < t.n; i++)
        for (size_t j = i + 1; j < t.n; j++)
            assert_false(t.v[i].kind == t.v[j].kind &&
                         strcmp(t.v[i].text, t.v[j].text) == 0);
    assert_int_equal(t.n, 6); /* coffee cafe 咖啡豆 咖啡 啡豆 กาแฟ */
    /* A second call appends, deduplicating only within itself. */
    tok("coffee", &t);
    assert_int_equal(t.n, 7);
    assert_string_equal(t.v[6].text, "coffee");
    tokens_free(&t);
}

static void test_deterministic(void **state)
{
    static const char *const text =
        "Arabica กาแฟอาราบิก้า 咖啡豆 コーヒー豆 القهوة קָפֶה café 2024";
    struct tokens a = {0}, b = {0};
    tok(text, &a);
    tok(text, &b);
    assert_int_equal(a.n, b.n);
    for (size_t i = 0; i < a.n; i++) {
        assert_string_equal(a.v[i].text, b.v[i].text);
        assert_int_equal(a.v[i].kind, b.v[i].kind);
    }
    tokens_free(&a);
    tokens_free(&b);
}

static void test_kind_names(void **state)
{
    assert_string_equal(token_kind_name(TOKEN_WORD), "word");
    assert_string_equal(token_kind_name(TOKEN_FRAGMENT), "fragment");
    assert_string_equal(token_kind_name(TOKEN_SUB), "sub");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_english),
        cmocka_unit_test(test_accents),
        cmocka_unit_test(test_fullwidth),
        cmocka_unit_test(test_thai_words),
        cmocka_unit_test(test_thai_fragments),
        cmocka_unit_test(test_lao_khmer),
        cmocka_unit_test(test_chinese_compound),
        cmocka_unit_test(test_japanese),
        cmocka_unit_test(test_arabic),
        cmocka_unit_test(test_hebrew),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_long_token_dropped),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_no_duplicates),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_kind_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
