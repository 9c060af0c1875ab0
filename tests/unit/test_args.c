/* test_args.c: argument-shape checks (args.c), strict UTF-8 (utf8.c) and
 * the generated ISO tables (isocodes.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "isocodes.h"
#include "mpjson.h"
#include "utf8.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct arg_spec spec[] = {
    {"event", ARG_STR, ARG_REQUIRED},
    {"k", ARG_INT, 0},
    {"n", ARG_UINT, 0},
    {"accept", ARG_BOOL, 0},
    {"weight", ARG_FLOAT, 0},
    {"topics", ARG_ARRAY, 0},
    {"opts", ARG_MAP, 0},
    {"any", ARG_ANY, 0},
    {"contact", ARG_MAP, ARG_NULLABLE},
};

/* Runs args_parse on params given as JSON; returns its result. */
static int parse_json(const char *params, const msgpack_object **found,
                      struct err *err)
{
    struct mpj *m = mpj_from_json(params);
    int rc = args_parse(&m->obj, spec, N(spec), found, err);
    /* found[] points into m: tests only look at which are NULL, except
     * where they keep m themselves. */
    mpj_free(m);
    return rc;
}

static void expect_bad(const char *params, const char *needle)
{
    const msgpack_object *found[N(spec)];
    struct err err = {0};
    assert_int_equal(parse_json(params, found, &err), -1);
    assert_int_equal(err.code, ERR_BAD_REQUEST);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

static void test_parse_accepts_all_types(void **state)
{
    struct mpj *m =
        mpj_from_json("[{'event':'ev1','k':-3,'n':7,'accept':true,'weight':2,"
                      "'topics':['a'],'opts':{},'any':null,'contact':null}]");
    const msgpack_object *found[N(spec)];
    struct err err = {0};
    assert_int_equal(args_parse(&m->obj, spec, N(spec), found, &err), 0);
    assert_int_equal(found[0]->type, MSGPACK_OBJECT_STR);
    assert_int_equal(found[1]->via.i64, -3);
    assert_int_equal(found[2]->via.u64, 7);
    assert_true(found[3]->via.boolean);
    assert_non_null(found[4]);
    assert_non_null(found[5]);
    assert_non_null(found[6]);
    /* ARG_ANY and ARG_NULLABLE see the nil itself. */
    assert_int_equal(found[7]->type, MSGPACK_OBJECT_NIL);
    assert_int_equal(found[8]->type, MSGPACK_OBJECT_NIL);
    mpj_free(m);
}

static void test_parse_float_accepts_float(void **state)
{
    const msgpack_object *found[N(spec)];
    struct err err = {0};
    assert_int_equal(parse_json("[{'event':'e','weight':0.5}]", found, &err),
                     0);
}

static void test_parse_optional_absent_and_nil(void **state)
{
    struct mpj *m = mpj_from_json("[{'event':'e','k':null}]");
    const msgpack_object *found[N(spec)];
    struct err err = {0};
    assert_int_equal(args_parse(&m->obj, spec, N(spec), found, &err), 0);
    assert_non_null(found[0]);
    /* nil for an optional plain field means absent. */
    assert_null(found[1]);
    for (size_t i = 2; i < N(spec); i++)
        assert_null(found[i]);
    mpj_free(m);
}

static void test_parse_no_args(void **state)
{
    static const struct arg_spec none[] = {{"x", ARG_INT, 0}};
    const msgpack_object *found[1];
    struct err err = {0};
    struct mpj *m = mpj_from_json("[]");
    assert_int_equal(args_parse(&m->obj, none, 1, found, &err), 0);
    assert_null(found[0]);
    mpj_free(m);
    m = mpj_from_json("[{}]");
    assert_int_equal(args_parse(&m->obj, none, 1, found, &err), 0);
    mpj_free(m);
    assert_int_equal(args_parse(NULL, none, 1, found, &err), 0);
}

static void test_parse_missing(void **state)
{
    expect_bad("[{}]", "missing field 'event'");
    expect_bad("[]", "missing field 'event'");
    /* nil for a required field is not the value it needs. */
    expect_bad("[{'event':null}]", "field 'event' must be a string (got nil)");
}

static void test_parse_unknown(void **state)
{
    expect_bad("[{'event':'e','colour':'red'}]", "unknown field 'colour'");
}

static void test_parse_unknown_long_name_cut(void **state)
{
    char params[400];
    char name[201];
    memset(name, 'x', 200);
    name[200] = '\0';
    snprintf(params, sizeof params, "[{'event':'e','%s':1}]", name);
    const msgpack_object *found[N(spec)];
    struct err err = {0};
    assert_int_equal(parse_json(params, found, &err), -1);
    assert_non_null(strstr(err.msg, "unknown field 'xxxx"));
    assert_non_null(strstr(err.msg, "..."));
    assert_true(strlen(err.msg) < 120);
}

static void test_parse_wrong_types(void **state)
{
    expect_bad("[{'event':5}]", "field 'event' must be a string (got int)");
    expect_bad("[{'event':'e','k':'3'}]", "field 'k' must be an integer");
    expect_bad("[{'event':'e','k':1.5}]", "field 'k' must be an integer");
    expect_bad("[{'event':'e','n':-1}]", "field 'n' must be an integer 0");
    expect_bad("[{'event':'e','accept':1}]",
               "field 'accept' must be a boolean");
    expect_bad("[{'event':'e','weight':'x'}]",
               "field 'weight' must be a number");
    expect_bad("[{'event':'e','topics':{}}]",
               "field 'topics' must be an array");
    expect_bad("[{'event':'e','opts':[]}]", "field 'opts' must be a map");
    expect_bad("[{'event':'e','contact':'x'}]",
               "field 'contact' must be a map");
}

static void test_parse_params_shape(void **state)
{
    expect_bad("{'event':'e'}", "params must be an array holding one map");
    expect_bad("['e']", "params must be an array holding one map");
    expect_bad("[{'event':'e'},{}]", "params must be an array holding one map");
    expect_bad("[null]", "params must be an array holding one map");
}

/* Packs [{"event": <bin or str bytes>}] by hand for bytes JSON cannot
 * carry. */
static struct mpj *one_field(const char *key, size_t klen, const char *val,
                             size_t vlen, bool bin)
{
    msgpack_sbuffer b;
    msgpack_sbuffer_init(&b);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_str(&pk, klen);
    msgpack_pack_str_body(&pk, key, klen);
    if (bin) {
        msgpack_pack_bin(&pk, vlen);
        msgpack_pack_bin_body(&pk, val, vlen);
    } else {
        msgpack_pack_str(&pk, vlen);
        msgpack_pack_str_body(&pk, val, vlen);
    }
    struct mpj *m = mpj_from_bytes(b.data, b.size);
    msgpack_sbuffer_destroy(&b);
    return m;
}

static void test_parse_bin_for_str(void **state)
{
    struct mpj *m = one_field("event", 5, "abc", 3, true);
    const msgpack_object *found[N(spec)];
    struct err err = {0};
    assert_int_equal(args_parse(&m->obj, spec, N(spec), found, &err), -1);
    assert_string_equal(err.msg, "field 'event' must be a string (got bin)");
    mpj_free(m);
}

static void test_parse_bad_utf8_value_and_key(void **state)
{
    const msgpack_object *found[N(spec)];
    struct err err = {0};
    struct mpj *m = one_field("event", 5, "a\xc0\xaf", 3, false);
    assert_int_equal(args_parse(&m->obj, spec, N(spec), found, &err), -1);
    assert_non_null(strstr(err.msg, "'event' is not valid UTF-8"));
    mpj_free(m);
    m = one_field("ev\xff", 3, "x", 1, false);
    assert_int_equal(args_parse(&m->obj, spec, N(spec), found, &err), -1);
    assert_non_null(strstr(err.msg, "not valid UTF-8"));
    mpj_free(m);
}

static void test_parse_non_str_key(void **state)
{
    msgpack_sbuffer b;
    msgpack_sbuffer_init(&b);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_bin(&pk, 5);
    msgpack_pack_bin_body(&pk, "event", 5);
    msgpack_pack_str(&pk, 1);
    msgpack_pack_str_body(&pk, "e", 1);
    struct mpj *m = mpj_from_bytes(b.data, b.size);
    msgpack_sbuffer_destroy(&b);
    const msgpack_object *found[N(spec)];
    struct err err = {0};
    assert_int_equal(args_parse(&m->obj, spec, N(spec), found, &err), -1);
    assert_non_null(strstr(err.msg, "field names must be strings (got bin)"));
    mpj_free(m);
}

static void test_parse_repeated_key(void **state)
{
    /* JSON objects cannot repeat a key, so pack it by hand. */
    msgpack_sbuffer b;
    msgpack_sbuffer_init(&b);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 3);
    msgpack_pack_str(&pk, 5);
    msgpack_pack_str_body(&pk, "event", 5);
    msgpack_pack_str(&pk, 1);
    msgpack_pack_str_body(&pk, "e", 1);
    for (int i = 0; i < 2; i++) {
        msgpack_pack_str(&pk, 1);
        msgpack_pack_str_body(&pk, "k", 1);
        msgpack_pack_nil(&pk); /* even a nil repeat is a repeat */
    }
    struct mpj *m = mpj_from_bytes(b.data, b.size);
    msgpack_sbuffer_destroy(&b);
    const msgpack_object *found[N(spec)];
    struct err err = {0};
    assert_int_equal(args_parse(&m->obj, spec, N(spec), found, &err), -1);
    assert_string_equal(err.msg, "field 'k' given twice");
    mpj_free(m);
}

static void test_parse_int_out_of_range(void **state)
{
    msgpack_sbuffer b;
    msgpack_sbuffer_init(&b);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str(&pk, 5);
    msgpack_pack_str_body(&pk, "event", 5);
    msgpack_pack_str(&pk, 1);
    msgpack_pack_str_body(&pk, "e", 1);
    msgpack_pack_str(&pk, 1);
    msgpack_pack_str_body(&pk, "k", 1);
    msgpack_pack_uint64(&pk, UINT64_MAX);
    struct mpj *m = mpj_from_bytes(b.data, b.size);
    msgpack_sbuffer_destroy(&b);
    const msgpack_object *found[N(spec)];
    struct err err = {0};
    assert_int_equal(args_parse(&m->obj, spec, N(spec), found, &err), -1);
    assert_non_null(strstr(err.msg, "'k' is out of range"));
    mpj_free(m);
}

static void test_valid_id(void **state)
{
    assert_true(args_valid_id("a", 1));
    assert_true(args_valid_id("Ab_9.-z", 7));
    char s[66];
    memset(s, 'a', 65);
    assert_true(args_valid_id(s, 64));
    assert_false(args_valid_id(s, 65));
    assert_false(args_valid_id("", 0));
    assert_false(args_valid_id("a b", 3));
    assert_false(args_valid_id("a/b", 3));
    assert_false(args_valid_id("a:b", 3));
    assert_false(args_valid_id("\xc3\xa9", 2));
    assert_false(args_valid_id("a\0b", 3));
}

static void test_valid_request_id(void **state)
{
    assert_true(args_valid_request_id("r", 1));
    assert_true(args_valid_request_id("req 1 ~!", 8));
    char s[66];
    memset(s, 'r', 65);
    assert_true(args_valid_request_id(s, 64));
    assert_false(args_valid_request_id(s, 65));
    assert_false(args_valid_request_id("", 0));
    assert_false(args_valid_request_id("a\tb", 3));
    assert_false(args_valid_request_id("\xc3\xa9", 2));
}

static void test_valid_badge(void **state)
{
    assert_true(args_valid_badge("abcdefgh", 8));
    assert_true(args_valid_badge("!~#$%^&*", 8));
    assert_false(args_valid_badge("abcdefg", 7));
    assert_false(args_valid_badge("abcd efgh", 9));
    assert_false(args_valid_badge("abcdefg\x7f", 8));
    assert_false(args_valid_badge("abcdefg\xc3\xa9", 9));
    char s[130];
    memset(s, 'b', 129);
    assert_true(args_valid_badge(s, 128));
    assert_false(args_valid_badge(s, 129));
}

static void test_get_id(void **state)
{
    struct mpj *m = mpj_from_json("['gsme2026', 'bad id', 7]");
    char out[65];
    struct err err = {0};
    assert_int_equal(args_get_id(&m->obj.via.array.ptr[0], "event", out, &err),
                     0);
    assert_string_equal(out, "gsme2026");
    assert_int_equal(args_get_id(&m->obj.via.array.ptr[1], "event", out, &err),
                     -1);
    assert_string_equal(err.msg, "event: 1-64 of A-Za-z0-9_.-");
    assert_int_equal(args_get_id(&m->obj.via.array.ptr[2], "to", out, &err),
                     -1);
    assert_string_equal(err.msg, "field 'to' must be a string (got int)");
    assert_int_equal(args_get_id(NULL, "from", out, &err), -1);
    assert_string_equal(err.msg, "missing field 'from'");
    mpj_free(m);
}

static void test_get_str(void **state)
{
    struct mpj *m = mpj_from_json("['caf\u00e9', '', 'abcdef']");
    char *out = NULL;
    struct err err = {0};
    assert_int_equal(
        args_get_str(&m->obj.via.array.ptr[0], "note", 4, &out, &err), 0);
    assert_string_equal(out, "caf\xc3\xa9");
    free(out);
    assert_int_equal(
        args_get_str(&m->obj.via.array.ptr[1], "note", 4, &out, &err), 0);
    assert_string_equal(out, "");
    free(out);
    out = NULL;
    assert_int_equal(
        args_get_str(&m->obj.via.array.ptr[2], "note", 4, &out, &err), -1);
    assert_string_equal(err.msg, "note: up to 4 characters");
    assert_null(out);
    mpj_free(m);
    m = one_field("k", 1, "a\0b", 3, false);
    const msgpack_object *v = &m->obj.via.array.ptr[0].via.map.ptr[0].val;
    assert_int_equal(args_get_str(v, "note", 10, &out, &err), -1);
    assert_non_null(strstr(err.msg, "NUL"));
    mpj_free(m);
    m = one_field("k", 1, "\xed\xa0\x80", 3, false);
    v = &m->obj.via.array.ptr[0].via.map.ptr[0].val;
    assert_int_equal(args_get_str(v, "note", 10, &out, &err), -1);
    assert_string_equal(err.msg, "note: not valid UTF-8");
    mpj_free(m);
}

/* --- utf8 --- */

static bool valid(const char *s, size_t len)
{
    return utf8_valid(s, len, NULL);
}

static void test_utf8_accepts(void **state)
{
    size_t n = 99;
    assert_true(utf8_valid("", 0, &n));
    assert_int_equal(n, 0);
    assert_true(utf8_valid("abc", 3, &n));
    assert_int_equal(n, 3);
    /* Thai, Arabic, Chinese, an emoji: 1 code point each. */
    assert_true(utf8_valid("\xe0\xb8\x81", 3, &n));
    assert_int_equal(n, 1);
    assert_true(utf8_valid("\xd8\xb9", 2, &n));
    assert_int_equal(n, 1);
    assert_true(utf8_valid("\xe5\x92\x96\xe5\x95\xa1", 6, &n));
    assert_int_equal(n, 2);
    assert_true(utf8_valid("\xf0\x9f\x98\x80", 4, &n));
    assert_int_equal(n, 1);
    /* Boundaries: U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF,
     * U+10000, U+10FFFF. */
    assert_true(valid("\xc2\x80", 2));
    assert_true(valid("\xdf\xbf", 2));
    assert_true(valid("\xe0\xa0\x80", 3));
    assert_true(valid("\xed\x9f\xbf", 3));
    assert_true(valid("\xee\x80\x80", 3));
    assert_true(valid("\xef\xbf\xbf", 3));
    assert_true(valid("\xf0\x90\x80\x80", 4));
    assert_true(valid("\xf4\x8f\xbf\xbf", 4));
    assert_true(valid("a\0b", 3));
}

static void test_utf8_rejects(void **state)
{
    assert_false(valid("\x80", 1));             /* lone continuation */
    assert_false(valid("\xc0\xaf", 2));         /* overlong '/' */
    assert_false(valid("\xc1\xbf", 2));         /* overlong */
    assert_false(valid("\xe0\x80\xaf", 3));     /* overlong */
    assert_false(valid("\xe0\x9f\xbf", 3));     /* overlong U+07FF */
    assert_false(valid("\xf0\x80\x80\xaf", 4)); /* overlong */
    assert_false(valid("\xf0\x8f\xbf\xbf", 4)); /* overlong U+FFFF */
    assert_false(valid("\xed\xa0\x80", 3));     /* U+D800 */
    assert_false(valid("\xed\xbf\xbf", 3));     /* U+DFFF */
    assert_false(valid("\xf4\x90\x80\x80", 4)); /* U+110000 */
    assert_false(valid("\xf5\x80\x80\x80", 4));
    assert_false(valid("\xff", 1));
    assert_false(valid("\xfe", 1));
    assert_false(valid("\xe0\xb8", 2)); /* truncated */
    assert_false(valid("\xc3", 1));
    assert_false(valid("\xe0\xb8\x41", 3)); /* bad continuation */
    assert_false(valid("\xf0\x9f\x98", 3));
}

static void test_utf8_prefix(void **state)
{
    /* "กข" is 6 bytes; a cut at 4 must not split the second letter. */
    assert_int_equal(utf8_prefix("\xe0\xb8\x81\xe0\xb8\x82", 6, 4), 3);
    assert_int_equal(utf8_prefix("\xe0\xb8\x81\xe0\xb8\x82", 6, 6), 6);
    assert_int_equal(utf8_prefix("abcdef", 6, 4), 4);
}

/* --- isocodes --- */

static void test_iso_countries(void **state)
{
    assert_true(iso_country_valid("TH", 2));
    assert_true(iso_country_valid("CN", 2));
    assert_true(iso_country_valid("AD", 2));
    assert_true(iso_country_valid("ZW", 2));
    assert_false(iso_country_valid("th", 2));
    assert_false(iso_country_valid("XX", 2));
    assert_false(iso_country_valid("UK", 2));
    assert_false(iso_country_valid("THA", 3));
    assert_false(iso_country_valid("T", 1));
    assert_string_equal(iso_country_name("TH"), "Thailand");
    assert_string_equal(iso_country_name("DE"), "Germany");
    assert_null(iso_country_name("XX"));
    assert_null(iso_country_name("TH "));
    assert_null(iso_country_name(NULL));
    assert_true(iso_country_count() >= 240);
}

static void test_iso_languages(void **state)
{
    assert_true(iso_language_valid("th", 2));
    assert_true(iso_language_valid("ar", 2));
    assert_true(iso_language_valid("zh", 2));
    assert_true(iso_language_valid("aa", 2));
    assert_true(iso_language_valid("zu", 2));
    assert_false(iso_language_valid("TH", 2));
    assert_false(iso_language_valid("xx", 2));
    assert_false(iso_language_valid("tha", 3));
    assert_string_equal(iso_language_name("th"), "Thai");
    assert_string_equal(iso_language_name("es"), "Spanish");
    assert_string_equal(iso_language_name("ja"), "Japanese");
    assert_null(iso_language_name("qq"));
    assert_true(iso_language_count() >= 180);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_accepts_all_types),
        cmocka_unit_test(test_parse_float_accepts_float),
        cmocka_unit_test(test_parse_optional_absent_and_nil),
        cmocka_unit_test(test_parse_no_args),
        cmocka_unit_test(test_parse_missing),
        cmocka_unit_test(test_parse_unknown),
        cmocka_unit_test(test_parse_unknown_long_name_cut),
        cmocka_unit_test(test_parse_wrong_types),
        cmocka_unit_test(test_parse_params_shape),
        cmocka_unit_test(test_parse_bin_for_str),
        cmocka_unit_test(test_parse_bad_utf8_value_and_key),
        cmocka_unit_test(test_parse_non_str_key),
        cmocka_unit_test(test_parse_repeated_key),
        cmocka_unit_test(test_parse_int_out_of_range),
        cmocka_unit_test(test_valid_id),
        cmocka_unit_test(test_valid_request_id),
        cmocka_unit_test(test_valid_badge),
        cmocka_unit_test(test_get_id),
        cmocka_unit_test(test_get_str),
        cmocka_unit_test(test_utf8_accepts),
        cmocka_unit_test(test_utf8_rejects),
        cmocka_unit_test(test_utf8_prefix),
        cmocka_unit_test(test_iso_countries),
        cmocka_unit_test(test_iso_languages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
