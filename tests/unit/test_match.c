/* test_match.c: the matching engine (match.h): reciprocal scores, code
 * specificity, sides, reasons, keyword matching across scripts, rarity,
 * ordering, determinism, versions, kept lists and their notifications,
 * congestion, and stored data it must refuse. Profiles and events go
 * through validate_profile()/validate_event() as profile.put and event.put
 * store them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "mpjson.h"
#include "utf8.h"
#include "validate.h"

/* ---------------------------------------------------------------- helpers */

#define EV "expo"

/* The event that put() and put_v() write to. */
static const char *cur_event = EV;

static const struct match_config cfg = {.active_seconds = 3600,
                                        .active_max = 1000};

/* A small string builder for JSON literals. */
struct sb {
    char b[8192];
    size_t n;
};

static void sb_add(struct sb *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sb_add(struct sb *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(s->b + s->n, sizeof s->b - s->n, fmt, ap);
    va_end(ap);
    assert_true(w >= 0 && (size_t)w < sizeof s->b - s->n);
    s->n += (size_t)w;
}

/* Puts event `event` with nslots slots "s0".."s<n-1>" and the interpreters
 * given as a JSON list (NULL: none). */
static void put_event(const char *event, unsigned nslots, const char *interps)
{
    struct sb s = {.n = 0};
    sb_add(&s, "{'event':'%s','name':'Expo','slots':[", event);
    for (unsigned i = 0; i < nslots; i++) {
        unsigned m0 = 9 * 60 + 30 * i, m1 = m0 + 30;
        sb_add(&s,
               "%s{'id':'s%u','start':'2026-07-13T%02u:%02u:00',"
               "'end':'2026-07-13T%02u:%02u:00'}",
               i ? "," : "", i, m0 / 60, m0 % 60, m1 / 60, m1 % 60);
    }
    sb_add(&s, "],'tables':10");
    if (interps)
        sb_add(&s, ",'interpreters':%s", interps);
    sb_add(&s, "}");
    struct mpj *m = mpj_from_json(s.b);
    struct event_in ev;
    struct err err = {0};
    if (validate_event(&m->obj, &ev, &err) < 0)
        fail_msg("event refused: %s (%s)", err.msg, s.b);
    assert_int_equal(
        match_event_put(ev.id, ev.packed.data, ev.packed.size, &err), 0);
    event_in_free(&ev);
    mpj_free(m);
}

/* The profile JSON: `rest` holds more fields; country defaults to TH and
 * languages to ['en'] unless rest names them. */
static void profile_json(struct sb *s, const char *id, const char *side,
                         const char *rest)
{
    sb_add(s, "{'event':'%s','id':'%s','side':'%s','company':'Company %s'",
           cur_event, id, side, id);
    if (strstr(rest, "'country'") == NULL)
        sb_add(s, ",'country':'TH'");
    if (strstr(rest, "'languages'") == NULL)
        sb_add(s, ",'languages':['en']");
    if (rest[0])
        sb_add(s, ",%s", rest);
    sb_add(s, "}");
}

/* Validates a profile as profile.put does and applies it at `version`;
 * returns match_profile_put's result. */
static int put_v(const char *id, const char *side, long long version,
                 const char *rest)
{
    struct sb s = {.n = 0};
    profile_json(&s, id, side, rest);
    struct mpj *m = mpj_from_json(s.b);
    struct profile_in p;
    struct err err = {0};
    if (validate_profile(&m->obj, &p, &err) < 0)
        fail_msg("profile refused: %s (%s)", err.msg, s.b);
    int rc = match_profile_put(p.event, p.id, version, p.packed.data,
                               p.packed.size, &err);
    profile_in_free(&p);
    mpj_free(m);
    return rc;
}

/* Puts a new profile (version 1), expecting it applied. */
static void put(const char *id, const char *side, const char *rest)
{
    assert_int_equal(put_v(id, side, 1, rest), 1);
}

/* A copy of a match_top answer that outlives engine changes. */
#define SNAP_MAX 100

struct snap_entry {
    char id[65];
    char country[3];
    double score;
    struct match_why why;
};

struct snap {
    int n;
    struct snap_entry e[SNAP_MAX];
};

static bool is_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

/* Every entry: score in (0, 1], reasons of the 8 kinds in contract order,
 * details non-empty valid UTF-8, and at least one product, sector or
 * keyword reason. */
static void check_entry(const struct match_entry *e)
{
    if (!(e->score > 0 && e->score <= 1))
        fail_msg("%s: score %.17g outside (0, 1]", e->id, e->score);
    assert_true(e->why.n <= MATCH_REASONS_MAX);
    bool link = false;
    for (unsigned i = 0; i < e->why.n; i++) {
        const struct match_reason *r = &e->why.r[i];
        assert_true(r->kind <= REASON_SIZE);
        if (i > 0)
            assert_true(e->why.r[i - 1].kind <= r->kind);
        size_t len = strnlen(r->detail, MATCH_DETAIL_MAX);
        assert_true(len > 0 && len < MATCH_DETAIL_MAX);
        if (!utf8_valid(r->detail, len, NULL))
            fail_msg("%s: reason detail is not valid UTF-8: %s", e->id,
                     r->detail);
        link |= r->kind == REASON_PRODUCT || r->kind == REASON_SECTOR ||
                r->kind == REASON_KEYWORD;
    }
    if (!link)
        fail_msg("%s: no product, sector or keyword reason", e->id);
}

static struct match_entry top_out[MATCH_K_MAX];

/* match_top of id in the current event, copied into s; returns the count
 * (-1 with *err when given). */
static int snap_top(const char *id, size_t k, struct snap *s)
{
    struct err err = {0};
    int n = match_top(cur_event, id, k, top_out, &err);
    s->n = n;
    for (int i = 0; i < n; i++) {
        check_entry(&top_out[i]);
        struct snap_entry *e = &s->e[i];
        snprintf(e->id, sizeof e->id, "%s", top_out[i].id);
        memcpy(e->country, top_out[i].country, sizeof e->country);
        e->score = top_out[i].score;
        e->why = top_out[i].why;
    }
    return n;
}

static struct snap S; /* the usual answer holder */

/* match_top of id, all of it, expecting success. */
static const struct snap *top(const char *id)
{
    int n = snap_top(id, MATCH_K_MAX, &S);
    if (n < 0)
        fail_msg("match_top(%s) failed", id);
    return &S;
}

static void dump(const char *who, const struct snap *s)
{
    fprintf(stderr, "top of %s: %d entries\n", who, s->n);
    for (int i = 0; i < s->n; i++) {
        fprintf(stderr, "  %-6s %.17g\n", s->e[i].id, s->e[i].score);
        for (unsigned j = 0; j < s->e[i].why.n; j++)
            fprintf(stderr, "      %d %s\n", (int)s->e[i].why.r[j].kind,
                    s->e[i].why.r[j].detail);
    }
}

static int find(const struct snap *s, const char *id)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->e[i].id, id) == 0)
            return i;
    return -1;
}

/* The entry of id in s, failing when absent. */
static const struct snap_entry *entry(const char *who, const struct snap *s,
                                      const char *id)
{
    int i = find(s, id);
    if (i < 0) {
        dump(who, s);
        fail_msg("%s is not in the list of %s", id, who);
    }
    return &s->e[i];
}

static void expect_absent(const char *who, const struct snap *s, const char *id)
{
    if (find(s, id) >= 0) {
        dump(who, s);
        fail_msg("%s must not be in the list of %s", id, who);
    }
}

/* Asserts that x ranks strictly above y (both present) in who's list. */
static void expect_above(const char *who, const struct snap *s, const char *x,
                         const char *y)
{
    int i = find(s, x), j = find(s, y);
    if (i < 0 || j < 0 || i >= j || !(s->e[i].score > s->e[j].score)) {
        dump(who, s);
        fail_msg("in the list of %s, %s must rank above %s with a higher "
                 "score",
                 who, x, y);
    }
}

/* The first reason of kind k whose detail contains needle (NULL: any). */
static const struct match_reason *reason(const struct snap_entry *e,
                                         enum reason_kind k, const char *needle)
{
    for (unsigned i = 0; i < e->why.n; i++)
        if (e->why.r[i].kind == k &&
            (needle == NULL || strstr(e->why.r[i].detail, needle)))
            return &e->why.r[i];
    return NULL;
}

static void expect_reason(const struct snap_entry *e, enum reason_kind k,
                          const char *needle)
{
    if (reason(e, k, needle) == NULL) {
        for (unsigned j = 0; j < e->why.n; j++)
            fprintf(stderr, "  %s: %d %s\n", e->id, (int)e->why.r[j].kind,
                    e->why.r[j].detail);
        fail_msg("%s: no reason of kind %d containing '%s'", e->id, (int)k,
                 needle ? needle : "");
    }
}

static void expect_no_reason(const struct snap_entry *e, enum reason_kind k)
{
    const struct match_reason *r = reason(e, k, NULL);
    if (r)
        fail_msg("%s: unexpected reason of kind %d: %s", e->id, (int)k,
                 r->detail);
}

/* Notifications, as the callback saw them. */
struct note {
    char event[65], id[65], entry[65];
    double score;
};

static struct {
    struct note v[8192];
    size_t n;
} notes;

static void on_notify(void *priv, const char *event, const char *id,
                      const struct match_entry *e)
{
    check_entry(e);
    assert_true(notes.n < sizeof notes.v / sizeof notes.v[0]);
    struct note *n = &notes.v[notes.n++];
    snprintf(n->event, sizeof n->event, "%s", event);
    snprintf(n->id, sizeof n->id, "%s", id);
    snprintf(n->entry, sizeof n->entry, "%s", e->id);
    n->score = e->score;
}

static void dump_notes(size_t from)
{
    for (size_t i = from; i < notes.n; i++)
        fprintf(stderr, "  note %zu: %s/%s <- %s (%.17g)\n", i,
                notes.v[i].event, notes.v[i].id, notes.v[i].entry,
                notes.v[i].score);
}

/* Asserts that exactly one notification came since `from`, to `id` about
 * `entry`. */
static void expect_one_note(size_t from, const char *id, const char *entry)
{
    if (notes.n != from + 1 || strcmp(notes.v[from].event, cur_event) != 0 ||
        strcmp(notes.v[from].id, id) != 0 ||
        strcmp(notes.v[from].entry, entry) != 0) {
        dump_notes(from);
        fail_msg("expected exactly one notification %s/%s <- %s, got %zu",
                 cur_event, id, entry, notes.n - from);
    }
}

static void expect_no_note(size_t from)
{
    if (notes.n != from) {
        dump_notes(from);
        fail_msg("expected no notification, got %zu", notes.n - from);
    }
}

static int setup(void **state)
{
    cur_event = EV;
    notes.n = 0;
    match_init(&cfg, on_notify, NULL);
    put_event(EV, 4, NULL);
    return 0;
}

static int teardown(void **state)
{
    match_shutdown();
    return 0;
}

/* ------------------------------------------------------ 1. reciprocity */

/* b1 offers what a needs; b2 also needs what a offers. A pair good for
 * both beats a pair good for one (b2 ranks first although "b1" < "b2"). */
static void test_reciprocal_pair_beats_one_sided(void **state)
{
    put("a", "buyer",
        "'needs':[{'code':'090111'}],'offers':[{'code':'180100'}]");
    put("b1", "seller",
        "'offers':[{'code':'090111'}],'needs':[{'code':'270900'}]");
    put("b2", "seller",
        "'offers':[{'code':'090111'}],'needs':[{'code':'180100'}]");
    const struct snap *s = top("a");
    assert_int_equal(s->n, 2);
    expect_above("a", s, "b2", "b1");
    expect_reason(entry("a", s, "b2"), REASON_PRODUCT,
                  "180100 needed <- offered");
    expect_no_reason(entry("a", s, "b1"), REASON_KEYWORD);
    assert_null(reason(entry("a", s, "b1"), REASON_PRODUCT, "needed <-"));
}

/* ------------------------------------------------------ 2. specificity */

static void test_specific_code_beats_heading_beats_chapter(void **state)
{
    put("a", "buyer", "'needs':[{'code':'090111'}]");
    /* Ids in reverse order of the expected ranking: ties cannot help. */
    put("s3", "seller", "'offers':[{'code':'090111'}]"); /* same code */
    put("s2", "seller", "'offers':[{'code':'090121'}]"); /* heading 0901 */
    put("s1", "seller", "'offers':[{'code':'091010'}]"); /* chapter 09 */
    put("s0", "seller", "'offers':[{'code':'100630'}]"); /* nothing */
    const struct snap *s = top("a");
    assert_int_equal(s->n, 3);
    expect_above("a", s, "s3", "s2");
    expect_above("a", s, "s2", "s1");
    expect_absent("a", s, "s0");
    const struct match_reason *r =
        reason(entry("a", s, "s3"), REASON_PRODUCT, NULL);
    assert_non_null(r);
    assert_true(is_prefix(r->detail, "090111 offered -> needed"));
    r = reason(entry("a", s, "s2"), REASON_PRODUCT, NULL);
    assert_non_null(r);
    assert_true(is_prefix(r->detail, "0901 offered -> needed"));
    r = reason(entry("a", s, "s1"), REASON_PRODUCT, NULL);
    assert_non_null(r);
    assert_true(is_prefix(r->detail, "09 offered -> needed"));
}

/* ---------------------------------------------------- 3. opposite sides */

static void test_only_opposite_sides_match(void **state)
{
    const char *all =
        "'offers':[{'code':'090111'}],'needs':[{'code':'090111'}]";
    put("b1", "buyer", all);
    put("b2", "buyer", all);
    put("s1", "seller", all);
    put("s2", "seller", all);
    put("x1", "both", all);
    put("x2", "both", all);

    const struct snap *s = top("b1");
    assert_int_equal(s->n, 4);
    expect_absent("b1", s, "b1");
    expect_absent("b1", s, "b2");
    entry("b1", s, "s1");
    entry("b1", s, "s2");
    entry("b1", s, "x1");
    entry("b1", s, "x2");

    s = top("s1");
    assert_int_equal(s->n, 4);
    expect_absent("s1", s, "s1");
    expect_absent("s1", s, "s2");
    entry("s1", s, "b1");
    entry("s1", s, "b2");
    entry("s1", s, "x2");

    s = top("x1");
    assert_int_equal(s->n, 5);
    expect_absent("x1", s, "x1");
    entry("x1", s, "b1");
    entry("x1", s, "b2");
    entry("x1", s, "s1");
    entry("x1", s, "s2");
    entry("x1", s, "x2");
}

/* ------------------------------------------------------ 4. no link */

static void test_no_pair_without_product_sector_or_keyword(void **state)
{
    /* a and b share a language, each other's markets, cooperation and
     * every slot, but no product, sector or keyword. */
    put("a", "buyer",
        "'country':'TH','languages':['en','th'],'markets':['JP'],"
        "'cooperation':['trade'],'needs':[{'code':'090111'}],"
        "'sectors':['1079']");
    put("b", "seller",
        "'country':'JP','languages':['en'],'markets':['TH'],"
        "'cooperation':['trade'],'offers':[{'code':'270900'}],"
        "'sectors':['0610'],'size':'micro'");
    put("c", "seller", "'offers':[{'code':'090111'}]"); /* the control */
    const struct snap *s = top("a");
    assert_int_equal(s->n, 1);
    expect_absent("a", s, "b");
    entry("a", s, "c");
    assert_int_equal(top("b")->n, 0);
}

/* ------------------------------------------------------ 5. sector */

static void test_sector_class_beats_section(void **state)
{
    put("a", "buyer", "'sectors':['1079']");
    put("s3", "seller", "'sectors':['1079']"); /* the class */
    put("s2", "seller", "'sectors':['1010']"); /* division 10 */
    put("s1", "seller", "'sectors':['1200']"); /* section C only */
    put("s0", "seller", "'sectors':['0111']"); /* section A: nothing */
    const struct snap *s = top("a");
    assert_int_equal(s->n, 3);
    expect_above("a", s, "s3", "s2");
    expect_above("a", s, "s2", "s1");
    expect_absent("a", s, "s0");
    expect_reason(entry("a", s, "s3"), REASON_SECTOR, "1079");
    expect_reason(entry("a", s, "s2"), REASON_SECTOR, "division 10");
    expect_reason(entry("a", s, "s1"), REASON_SECTOR, "section C");
}

/* ------------------------------------------------------ 6. keywords */

/* need text of a vs offer text of b in a fresh event: b's entry in a's
 * list, or NULL when it does not match. */
static const struct snap_entry *kw_pair(const char *event, const char *need,
                                        const char *offer)
{
    cur_event = event;
    put_event(event, 2, NULL);
    struct sb s = {.n = 0};
    sb_add(&s, "'needs':[{'text':'%s'}]", need);
    put("a", "buyer", s.b);
    s.n = 0;
    sb_add(&s, "'offers':[{'text':'%s'}]", offer);
    put("b", "seller", s.b);
    const struct snap *t = top("a");
    int i = find(t, "b");
    return i < 0 ? NULL : &t->e[i];
}

static void test_keyword_accent_folding(void **state)
{
    const struct snap_entry *e = kw_pair("kw1", "Café", "cafe");
    assert_non_null(e);
    expect_reason(e, REASON_KEYWORD, "\"cafe\" offered -> needed");
}

static void test_keyword_arabic_article(void **state)
{
    const struct snap_entry *e = kw_pair("kw2", "القهوة", "قهوة");
    assert_non_null(e);
    expect_reason(e, REASON_KEYWORD, "\"قهوه\"");
}

static void test_keyword_cjk_compound_meets_shorter_word(void **state)
{
    const struct snap_entry *e = kw_pair("kw3", "咖啡豆", "咖啡");
    assert_non_null(e);
    expect_reason(e, REASON_KEYWORD, "\"咖啡\"");
}

/* ICU splits อาราบิก้า into อา|รา|บิ|ก้า: a syllable alone proves
 * nothing, the whole word on both sides does. */
static void test_keyword_thai_fragment_alone_does_not_match(void **state)
{
    /* The offer's one word รา is a fragment of the need. */
    assert_null(kw_pair("kw4", "อาราบิก้า", "รา"));
    /* Two fragments of the need (and their join, another word). */
    assert_null(kw_pair("kw5", "อาราบิก้า", "บิก้า"));
    /* A real word next to a syllable: กาแฟ|อา. */
    assert_null(kw_pair("kw6", "อาราบิก้า", "กาแฟอา"));
    /* The other way round: a need word that is a fragment of the offer. */
    assert_null(kw_pair("kw7", "รา", "อาราบิก้า"));
    /* The same whole word on both sides matches. */
    const struct snap_entry *e = kw_pair("kw8", "อาราบิก้า", "อาราบิก้า");
    assert_non_null(e);
    expect_reason(e, REASON_KEYWORD, "อาราบิก้า");
    /* And inside a sentence, next to a dictionary word. */
    e = kw_pair("kw9", "อาราบิก้า", "กาแฟอาราบิก้า");
    assert_non_null(e);
    expect_reason(e, REASON_KEYWORD, "อาราบิก้า");
}

/* ------------------------------------------------------ 7. rarity */

static void test_rare_word_weighs_more(void **state)
{
    put("a", "buyer", "'needs':[{'text':'organic vanilla'}]");
    for (int i = 0; i < 20; i++) {
        char id[8];
        snprintf(id, sizeof id, "f%02d", i);
        put(id, "seller", "'offers':[{'text':'organic'}]");
    }
    put("zz", "seller", "'offers':[{'text':'vanilla'}]");
    const struct snap *s = top("a");
    assert_int_equal(s->n, 21);
    if (strcmp(s->e[0].id, "zz") != 0) {
        dump("a", s);
        fail_msg("the rare word's offerer must rank first");
    }
    expect_above("a", s, "zz", "f00");
    expect_reason(&s->e[0], REASON_KEYWORD, "\"vanilla\"");
    expect_reason(entry("a", s, "f07"), REASON_KEYWORD, "\"organic\"");
}

/* ------------------------------------------------------ 8. reasons */

static void test_reasons_of_each_kind(void **state)
{
    put_event(EV, 3, "[{'id':'i1','languages':['th','ja']}]");
    put("a", "buyer",
        "'country':'TH','languages':['th'],'markets':['JP','VN'],"
        "'cooperation':['trade','licensing'],'needs':[{'code':'090111'}]");
    put("b", "seller",
        "'country':'JP','languages':['ja'],'markets':['TH'],"
        "'cooperation':['trade','investment'],'size':'micro',"
        "'slots':['s0','s1'],'offers':[{'code':'090111'}]");
    put("c", "seller",
        "'country':'CN','languages':['en','th'],'size':'small',"
        "'offers':[{'code':'090111'}]");
    put("d", "seller",
        "'country':'DE','languages':['de'],'size':'large',"
        "'offers':[{'code':'090111'}]");
    const struct snap *s = top("a");
    assert_int_equal(s->n, 3);

    const struct snap_entry *b = entry("a", s, "b");
    expect_reason(b, REASON_PRODUCT, "090111 offered -> needed");
    expect_reason(b, REASON_MARKET, "JP: their country is one of your");
    expect_reason(b, REASON_MARKET, "TH: your country is one of their");
    expect_reason(b, REASON_LANGUAGE, "interpreter");
    expect_reason(b, REASON_COOPERATION, "trade");
    assert_null(reason(b, REASON_COOPERATION, "licensing"));
    assert_null(reason(b, REASON_COOPERATION, "investment"));
    expect_reason(b, REASON_AVAILABILITY, "2 free slots in common");
    expect_reason(b, REASON_SIZE, "micro");
    double b_with_interpreter = b->score;

    const struct snap_entry *c = entry("a", s, "c");
    expect_reason(c, REASON_LANGUAGE, "you both speak th");
    expect_reason(c, REASON_AVAILABILITY, "3 free slots in common");
    expect_reason(c, REASON_SIZE, "small");
    expect_no_reason(c, REASON_MARKET);
    expect_no_reason(c, REASON_COOPERATION);

    /* No shared language and no interpreter for th and de. */
    const struct snap_entry *d = entry("a", s, "d");
    expect_no_reason(d, REASON_LANGUAGE);
    expect_no_reason(d, REASON_SIZE);

    /* Without the interpreter, b has no language reason and scores less. */
    put_event(EV, 3, NULL);
    s = top("a");
    b = entry("a", s, "b");
    expect_no_reason(b, REASON_LANGUAGE);
    assert_true(b->score < b_with_interpreter);
}

/* Long words in several scripts: keyword details are cut at whole words,
 * so they stay valid UTF-8 (check_entry checks every detail). */
static void test_reason_details_stay_valid_utf8(void **state)
{
    const char *text =
        "'ผลิตภัณฑ์เครื่องดื่มกาแฟสำเร็จรูป "
        "ผู้ประกอบการอุตสาหกรรมเกษตร "
        "المنتجاتالزراعيةالعضويةالممتازة "
        "有机阿拉比卡咖啡豆烘焙工艺出口贸易 "
        "Qualitätsspezialitätenkaffeeröstereibetriebsgesellschaft'";
    struct sb s = {.n = 0};
    sb_add(&s, "'needs':[{'text':%s}]", text);
    put("a", "buyer", s.b);
    s.n = 0;
    sb_add(&s, "'offers':[{'text':%s}]", text);
    put("b", "seller", s.b);
    const struct snap *t = top("a");
    assert_int_equal(t->n, 1);
    expect_reason(&t->e[0], REASON_KEYWORD, "offered -> needed");
}

/* ------------------------------------------------------ 9. order */

static void test_scores_sorted_ties_by_id(void **state)
{
    put("a", "buyer",
        "'needs':[{'code':'090111'},{'code':'100630'}],'markets':['VN']");
    /* Identical candidates, the larger id put first. */
    put("b2", "seller", "'offers':[{'code':'090111'}]");
    put("b1", "seller", "'offers':[{'code':'090111'}]");
    put("c", "seller", "'offers':[{'code':'090111'},{'code':'100630'}]");
    put("d", "seller", "'offers':[{'code':'0901'}]");
    put("e", "seller", "'country':'VN','offers':[{'code':'09'}]");
    put("f", "seller", "'offers':[{'code':'100630'}],'size':'small'");
    const struct snap *s = top("a");
    assert_int_equal(s->n, 6);
    for (int i = 0; i + 1 < s->n; i++) {
        const struct snap_entry *x = &s->e[i], *y = &s->e[i + 1];
        if (x->score < y->score ||
            (x->score == y->score && strcmp(x->id, y->id) >= 0)) {
            dump("a", s);
            fail_msg("entries %d and %d out of order", i, i + 1);
        }
    }
    int i1 = find(s, "b1"), i2 = find(s, "b2");
    assert_true(i1 >= 0 && i2 == i1 + 1);
    assert_true(s->e[i1].score == s->e[i2].score);
    assert_string_equal(s->e[0].id, "c");

    /* k limits the answer to the best k. */
    struct snap *two = calloc(1, sizeof *two);
    assert_int_equal(snap_top("a", 2, two), 2);
    assert_string_equal(two->e[0].id, s->e[0].id);
    assert_string_equal(two->e[1].id, s->e[1].id);
    free(two);
}

/* ------------------------------------------------------ 10. determinism */

static const char *const det_profiles[][3] = {
    {"a", "buyer",
     "'needs':[{'code':'090111','text':'organic arabica coffee'},"
     "{'text':'咖啡豆'},{'text':'القهوة'},"
     "{'text':'robusta liberica excelsa'}],'sectors':['1079'],"
     "'markets':['JP'],'cooperation':['trade']"},
    {"b", "seller",
     "'country':'JP','offers':[{'text':'coffee arabica organic'},"
     "{'code':'090121'},{'text':'excelsa liberica robusta'}],"
     "'sectors':['1079']"},
    {"c", "seller",
     "'offers':[{'text':'咖啡 organic'}],'needs':[{'code':'1801'}]"},
    {"d", "both",
     "'offers':[{'text':'قهوة coffee'}],'needs':[{'text':'cocoa organic'}],"
     "'sectors':['10']"},
    {"e", "buyer",
     "'needs':[{'text':'arabica'},{'code':'0901'}],'offers':[{'text':'cocoa "
     "beans'}],'languages':['th']"},
    {"f", "seller",
     "'offers':[{'code':'090111','text':'กาแฟอาราบิก้า'}],'size':'small',"
     "'slots':['s1','s2']"},
    {"g", "buyer",
     "'needs':[{'text':'กาแฟอาราบิก้า coffee'}],'sectors':['C'],"
     "'country':'VN'"},
    {"h", "seller",
     "'offers':[{'text':'vanilla coffee'},{'code':'180100'}],"
     "'sectors':['1073'],'max_meetings':1"},
    {"i", "both",
     "'offers':[{'text':'organic arabica'}],'needs':[{'text':'coffee'}]"},
    {"j", "seller", "'offers':[{'text':'Café crème'}],'markets':['TH']"},
    {"k", "buyer", "'needs':[{'text':'cafe organic'}],'country':'JP'"},
};

#define NDET (sizeof det_profiles / sizeof det_profiles[0])

/* Puts det_profiles in the order given by `order` and snapshots every
 * participant's list. */
static void det_run(const size_t *order, struct snap *out)
{
    match_shutdown();
    match_init(&cfg, on_notify, NULL);
    put_event(EV, 4, NULL);
    for (size_t i = 0; i < NDET; i++) {
        const char *const *p = det_profiles[order[i]];
        put(p[0], p[1], p[2]);
    }
    /* A profile put and deleted again leaves no trace. */
    put("tmp", "seller", "'offers':[{'text':'organic arabica coffee'}]");
    match_profile_delete(EV, "tmp");
    for (size_t i = 0; i < NDET; i++)
        assert_true(snap_top(det_profiles[i][0], MATCH_K_MAX, &out[i]) >= 0);
}

static void det_compare(bool reasons)
{
    size_t fwd[NDET], rev[NDET], mid[NDET];
    for (size_t i = 0; i < NDET; i++) {
        fwd[i] = i;
        rev[i] = NDET - 1 - i;
        mid[i] = (i * 5) % NDET; /* 5 and NDET (11) are coprime */
    }
    const size_t *orders[2] = {rev, mid};
    struct snap *x = calloc(NDET, sizeof *x), *y = calloc(NDET, sizeof *y);
    det_run(fwd, x);
    int total = 0;
    for (size_t i = 0; i < NDET; i++)
        total += x[i].n;
    assert_true(total > 10); /* the set is not trivially empty */
    for (int o = 0; o < 2; o++) {
        det_run(orders[o], y);
        for (size_t i = 0; i < NDET; i++) {
            const char *who = det_profiles[i][0];
            bool same = x[i].n == y[i].n;
            for (int j = 0; same && j < x[i].n; j++) {
                const struct snap_entry *p = &x[i].e[j], *q = &y[i].e[j];
                same = strcmp(p->id, q->id) == 0 &&
                       memcmp(&p->score, &q->score, sizeof p->score) == 0;
                if (same && reasons) {
                    same = p->why.n == q->why.n;
                    for (unsigned r = 0; same && r < p->why.n; r++)
                        same =
                            p->why.r[r].kind == q->why.r[r].kind &&
                            strcmp(p->why.r[r].detail, q->why.r[r].detail) == 0;
                }
            }
            if (!same) {
                dump(who, &x[i]);
                dump(who, &y[i]);
                free(x);
                free(y);
                fail_msg("list of %s differs with load order %d (%s)", who,
                         o + 1, reasons ? "reasons" : "ids or scores");
            }
        }
    }
    free(x);
    free(y);
}

static void test_determinism_ids_and_scores(void **state)
{
    det_compare(false);
}

static void test_determinism_reasons(void **state)
{
    det_compare(true);
}

/* ------------------------------------------------------ 11. versions */

static void test_versions_and_delete(void **state)
{
    assert_int_equal(put_v("a", "buyer", 5, "'needs':[{'code':'090111'}]"), 1);
    put("b", "seller", "'offers':[{'code':'090111'}]");
    assert_int_equal(match_profile_version(EV, "a"), 5);
    assert_int_equal(match_profile_version(EV, "b"), 1);
    assert_int_equal(match_profile_version(EV, "nobody"), -1);
    assert_int_equal(match_profile_version("no-event", "a"), -1);

    /* Equal and older versions are skipped, whatever they hold. */
    assert_int_equal(put_v("a", "buyer", 5, "'needs':[{'code':'270900'}]"), 0);
    assert_int_equal(put_v("a", "buyer", 4, "'needs':[{'code':'270900'}]"), 0);
    assert_int_equal(match_profile_version(EV, "a"), 5);
    entry("a", top("a"), "b");

    /* A newer one applies. */
    assert_int_equal(put_v("a", "buyer", 6, "'needs':[{'code':'270900'}]"), 1);
    assert_int_equal(match_profile_version(EV, "a"), 6);
    assert_int_equal(top("a")->n, 0);
    assert_int_equal(top("b")->n, 0);
    assert_int_equal(put_v("a", "buyer", 7, "'needs':[{'code':'090111'}]"), 1);
    entry("a", top("a"), "b");
    entry("b", top("b"), "a");

    /* Delete: gone from others' lists, its own is not_found. */
    match_profile_delete(EV, "b");
    assert_int_equal(match_profile_version(EV, "b"), -1);
    assert_int_equal(top("a")->n, 0);
    struct err err = {0};
    assert_int_equal(match_top(EV, "b", 10, top_out, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    err.code = ERR_NONE;
    assert_int_equal(match_top(EV, "nobody", 10, top_out, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    err.code = ERR_NONE;
    assert_int_equal(match_top("no-event", "a", 10, top_out, &err), -1);
    assert_int_equal(err.code, ERR_NOT_FOUND);
    match_profile_delete(EV, "nobody");
    match_profile_delete("no-event", "a");

    /* Deleted, then put again at any version. */
    put("b", "seller", "'offers':[{'code':'090111'}]");
    entry("a", top("a"), "b");
    struct match_stats st;
    match_get_stats(&st);
    assert_int_equal(st.profiles, 2);
}

/* ------------------------------------------------ 12. notifications */

static void test_notifications_of_new_entries(void **state)
{
    put("a", "buyer", "'needs':[{'code':'090111'}]");
    match_watch(EV, "a", +1);
    expect_no_note(0);

    /* A new seller enters a's list: one notification naming it. */
    size_t n0 = notes.n;
    put("g00", "seller", "'offers':[{'code':'090111'}]");
    expect_one_note(n0, "a", "g00");
    for (int i = 1; i < 10; i++) {
        char id[8];
        snprintf(id, sizeof id, "g%02d", i);
        n0 = notes.n;
        put(id, "seller", "'offers':[{'code':'090111'}]");
        expect_one_note(n0, "a", id);
    }

    /* The list is full: a worse candidate is not notified. */
    n0 = notes.n;
    put("w1", "seller", "'offers':[{'code':'090121'}]");
    expect_no_note(n0);
    put("w2", "seller", "'offers':[{'code':'091010'}]");
    expect_no_note(n0);

    /* A member gets better: not a new entry. */
    assert_int_equal(put_v("g05", "seller", 2,
                           "'offers':[{'code':'090111'}],'size':'micro'"),
                     1);
    expect_no_note(n0);

    /* A member leaves a full list: the eleventh enters and is notified. */
    match_profile_delete(EV, "g03");
    expect_one_note(n0, "a", "w1");

    /* The kept list equals a fresh one: match_top notifies nothing. */
    n0 = notes.n;
    const struct snap *s = top("a");
    expect_no_note(n0);
    assert_string_equal(s->e[0].id, "g05");
    assert_int_equal(find(s, "w1"), 9);

    /* Watching someone not there yet, then putting it. */
    match_watch(EV, "late", +1);
    put("late", "buyer", "'needs':[{'code':'100630'}]");
    expect_no_note(n0);
    put("r1", "seller", "'offers':[{'code':'100630'}]");
    expect_one_note(n0, "late", "r1");

    /* Once unwatched, no notifications. */
    match_watch(EV, "a", -1);
    n0 = notes.n;
    put("best", "seller",
        "'offers':[{'code':'090111'}],'size':'micro','markets':['TH']");
    expect_no_note(n0);
    struct match_stats st;
    match_get_stats(&st);
    assert_int_equal(st.notified, notes.n);
}

/* A watched participant whose profile is deleted and put again keeps its
 * watchers. */
static void test_watch_survives_delete_and_reput(void **state)
{
    put("a", "buyer", "'needs':[{'code':'090111'}]");
    match_watch(EV, "a", +1);
    match_profile_delete(EV, "a");
    put("s", "seller", "'offers':[{'code':'090111'}]");
    size_t n0 = notes.n;
    put("a", "buyer", "'needs':[{'code':'090111'}]");
    expect_no_note(n0); /* s was there before: not new */
    put("t", "seller", "'offers':[{'code':'090111'}]");
    expect_one_note(n0, "a", "t");
}

/* ------------------------------------------- 13. incremental vs fresh */

#define NP 60
#define NWATCH 5

static uint64_t rng;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static const char *const code_pool[] = {"090111", "090112", "090121", "0901",
                                        "091010", "09",     "100630", "100640",
                                        "1006",   "180100", "1801",   "180310"};
static const char *const sector_pool[] = {"1079", "1071", "1010",
                                          "A",    "46",   "4630"};
static const char *const country_pool[] = {"TH", "JP", "VN", "CN", "DE"};
static const char *const lang_pool[] = {"en", "th", "ja", "zh"};
static const char *const side_pool[] = {"buyer", "seller", "both"};
static const char *const coop_pool[] = {"trade", "distribution", "licensing"};
static const char *const size_pool[] = {"micro", "small", "medium", "large"};

#define POOL(p) (sizeof p / sizeof p[0])

/* Words for item texts when rnd_text is set. */
static bool rnd_text;
static const char *const word_pool[] = {
    "organic", "coffee", "arabica", "tea",  "cocoa", "vanilla", "咖啡豆",
    "咖啡",    "กาแฟ",   "อาราบิก้า", "قهوة", "café",  "rice",    "jasmine"};

static void rnd_list(struct sb *s, const char *key, const char *const *pool,
                     unsigned npool, unsigned max, bool items)
{
    unsigned n = rnd(max + 1);
    sb_add(s, "%s'%s':[", s->n ? "," : "", key);
    unsigned first = rnd(npool);
    for (unsigned i = 0; i < n; i++) {
        /* Items may repeat; lists of names may not (validation). */
        const char *v = items ? pool[rnd(npool)] : pool[(first + i) % npool];
        if (items && rnd_text) {
            unsigned what = rnd(3); /* code, text, both */
            sb_add(s, "%s{", i ? "," : "");
            if (what != 1)
                sb_add(s, "'code':'%s'", v);
            if (what != 0) {
                sb_add(s, "%s'text':'%s", what == 2 ? "," : "",
                       word_pool[rnd(POOL(word_pool))]);
                for (unsigned w = rnd(3); w > 0; w--)
                    sb_add(s, " %s", word_pool[rnd(POOL(word_pool))]);
                sb_add(s, "'");
            }
            sb_add(s, "}");
        } else if (items)
            sb_add(s, "%s{'code':'%s'}", i ? "," : "", v);
        else
            sb_add(s, "%s'%s'", i ? "," : "", v);
    }
    sb_add(s, "]");
}

/* A random profile: codes only (word rarity would change every score). */
struct model {
    bool live;
    long long version;
    char side[8];
    char rest[sizeof(struct sb){0}.b];
    unsigned pending, booked;
};

static void rnd_profile(struct model *m)
{
    struct sb s = {.n = 0};
    snprintf(m->side, sizeof m->side, "%s", side_pool[rnd(3)]);
    sb_add(&s, "'country':'%s'", country_pool[rnd(POOL(country_pool))]);
    unsigned l1 = rnd(POOL(lang_pool));
    sb_add(&s, ",'languages':['%s'", lang_pool[l1]);
    if (rnd(2)) /* a second, different language */
        sb_add(&s, ",'%s'", lang_pool[(l1 + 1 + rnd(3)) % POOL(lang_pool)]);
    sb_add(&s, "]");
    rnd_list(&s, "offers", code_pool, POOL(code_pool), 3, true);
    rnd_list(&s, "needs", code_pool, POOL(code_pool), 3, true);
    if (rnd(3) == 0)
        rnd_list(&s, "sectors", sector_pool, POOL(sector_pool), 2, false);
    if (rnd(2))
        rnd_list(&s, "markets", country_pool, POOL(country_pool), 2, false);
    if (rnd(2))
        rnd_list(&s, "cooperation", coop_pool, POOL(coop_pool), 2, false);
    if (rnd(2))
        sb_add(&s, ",'size':'%s'", size_pool[rnd(POOL(size_pool))]);
    if (rnd(3) == 0) {
        unsigned s0 = rnd(4);
        sb_add(&s, ",'slots':['s%u'", s0);
        if (rnd(2))
            sb_add(&s, ",'s%u'", (s0 + 1 + rnd(3)) % 4);
        sb_add(&s, "]");
    }
    if (rnd(6) == 0)
        sb_add(&s, ",'max_meetings':%u", rnd(3));
    snprintf(m->rest, sizeof m->rest, "%s", s.b);
}

/* ~200 random operations with watched participants; then (1) match_top of
 * each watched one notifies nothing (its kept list was already the fresh
 * one), and (2) every list, and the kept top 10 of the watched ones (which
 * match_top serves as they are), equals the one of an engine loaded fresh
 * with the final profiles. With text, word weights change as words come
 * and go: the kept lists they touch must be recomputed. */
static void incremental_run(uint64_t seed, unsigned ops, bool text)
{
    static struct model mdl[NP];
    memset(mdl, 0, sizeof mdl);
    rng = seed;
    rnd_text = text;
    unsigned nslots = 4;
    char id[8];
    for (unsigned w = 0; w < NWATCH; w++) {
        snprintf(id, sizeof id, "p%02u", w);
        match_watch(EV, id, +1); /* before they exist */
    }
    for (unsigned op = 0; op < ops; op++) {
        unsigned i = rnd(NP), r = rnd(100);
        snprintf(id, sizeof id, "p%02u", i);
        struct model *m = &mdl[i];
        if (r < 15) {
            match_profile_delete(EV, id);
            m->live = false;
            m->pending = m->booked = 0;
        } else if (r < 25) {
            unsigned pending = rnd(30), booked = rnd(3);
            match_set_load(EV, id, pending, booked);
            if (m->live) {
                m->pending = pending;
                m->booked = booked;
            }
        } else if (r < 27) {
            nslots = 2 + rnd(3);
            put_event(EV, nslots, NULL);
        } else {
            rnd_profile(m);
            m->version++;
            assert_int_equal(put_v(id, m->side, m->version, m->rest), 1);
            m->live = true;
            /* Load is not part of the profile: sent again after a put, as
             * the engine now forgets it (test_load_survives_profile_update);
             * a no-op once it keeps it. */
            if (m->pending || m->booked)
                match_set_load(EV, id, m->pending, m->booked);
        }
    }

    /* (1) The kept lists of watched participants are the fresh ones. */
    for (unsigned w = 0; w < NWATCH; w++) {
        snprintf(id, sizeof id, "p%02u", w);
        if (!mdl[w].live)
            continue;
        size_t n0 = notes.n;
        assert_true(snap_top(id, MATCH_KEEP, &S) >= 0);
        if (notes.n != n0) {
            dump(id, &S);
            dump_notes(n0);
            fail_msg("seed %llu: the kept list of %s was not the fresh "
                     "one",
                     (unsigned long long)seed, id);
        }
    }

    /* (2) Every list equals the one of a fresh load. */
    struct snap *inc = calloc(NP, sizeof *inc);
    struct snap *fresh = calloc(NP, sizeof *fresh);
    struct snap *kept = calloc(NWATCH, sizeof *kept);
    for (unsigned w = 0; w < NWATCH; w++) {
        snprintf(id, sizeof id, "p%02u", w);
        kept[w].n = mdl[w].live ? snap_top(id, MATCH_KEEP, &kept[w]) : 0;
    }
    for (unsigned i = 0; i < NP; i++) {
        snprintf(id, sizeof id, "p%02u", i);
        inc[i].n = mdl[i].live ? snap_top(id, 20, &inc[i]) : 0;
    }
    match_shutdown();
    match_init(&cfg, on_notify, NULL);
    put_event(EV, nslots, NULL);
    for (unsigned i = 0; i < NP; i++) {
        snprintf(id, sizeof id, "p%02u", i);
        if (mdl[i].live)
            assert_int_equal(
                put_v(id, mdl[i].side, mdl[i].version, mdl[i].rest), 1);
    }
    for (unsigned i = 0; i < NP; i++) {
        snprintf(id, sizeof id, "p%02u", i);
        if (mdl[i].live && (mdl[i].pending || mdl[i].booked))
            match_set_load(EV, id, mdl[i].pending, mdl[i].booked);
    }
    for (unsigned w = 0; w < NWATCH; w++) {
        struct snap f;
        snprintf(id, sizeof id, "p%02u", w);
        f.n = mdl[w].live ? snap_top(id, MATCH_KEEP, &f) : 0;
        bool same = kept[w].n == f.n;
        for (int j = 0; same && j < f.n; j++)
            same = strcmp(kept[w].e[j].id, f.e[j].id) == 0 &&
                   kept[w].e[j].score == f.e[j].score;
        if (!same) {
            dump(id, &kept[w]);
            dump(id, &f);
            fail_msg("seed %llu: kept top 10 of %s differs from a fresh "
                     "load",
                     (unsigned long long)seed, id);
        }
    }
    free(kept);
    int total = 0;
    for (unsigned i = 0; i < NP; i++) {
        snprintf(id, sizeof id, "p%02u", i);
        fresh[i].n = mdl[i].live ? snap_top(id, 20, &fresh[i]) : 0;
        total += fresh[i].n;
        bool same = inc[i].n == fresh[i].n;
        for (int j = 0; same && j < inc[i].n; j++)
            same = strcmp(inc[i].e[j].id, fresh[i].e[j].id) == 0 &&
                   inc[i].e[j].score == fresh[i].e[j].score;
        if (!same) {
            dump(id, &inc[i]);
            dump(id, &fresh[i]);
            free(inc);
            free(fresh);
            fail_msg("seed %llu: list of %s differs from a fresh load",
                     (unsigned long long)seed, id);
        }
    }
    assert_true(total > 50);
    free(inc);
    free(fresh);
}

static void test_incremental_equals_fresh(void **state)
{
    static const uint64_t seeds[] = {
        88172645463325252ull, 1, 2, 3, 42, 7777, 123456789};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        match_shutdown();
        match_init(&cfg, on_notify, NULL);
        put_event(EV, 4, NULL);
        incremental_run(seeds[i], 200, false);
    }
}

/* The same with offer and need texts: word weights move. */
static void test_incremental_equals_fresh_with_text(void **state)
{
    static const uint64_t seeds[] = {5, 6, 11, 99, 2024, 31337, 8675309};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        match_shutdown();
        match_init(&cfg, on_notify, NULL);
        put_event(EV, 4, NULL);
        incremental_run(seeds[i], 300, true);
    }
}

/* A longer run, for the kept lists that drift only after many changes. */
static void test_incremental_equals_fresh_long(void **state)
{
    incremental_run(99991, 2000, true);
}

/* match_top prunes candidates by score bounds once it has k entries; with
 * fewer than 100 candidates, k = 100 scores every one of them. The best k
 * must be the first k of that, for codes and words in several scripts. */
static void test_pruned_top_k_equals_exhaustive(void **state)
{
    enum { N = 95 };
    static struct model mdl[N];
    static const size_t ks[] = {1, 3, 10, 20, 40};
    struct snap *ex = calloc(1, sizeof *ex), *t = calloc(1, sizeof *t);
    for (uint64_t seed = 1; seed <= 4; seed++) {
        match_shutdown();
        match_init(&cfg, on_notify, NULL);
        put_event(EV, 4, NULL);
        rng = seed * 7919;
        rnd_text = true;
        char id[8];
        for (unsigned i = 0; i < N; i++) {
            snprintf(id, sizeof id, "p%02u", i);
            rnd_profile(&mdl[i]);
            assert_int_equal(put_v(id, mdl[i].side, 1, mdl[i].rest), 1);
            if (rnd(4) == 0)
                match_set_load(EV, id, rnd(30), rnd(3));
        }
        rnd_text = false;
        unsigned pruned = 0;
        for (unsigned i = 0; i < N; i++) {
            snprintf(id, sizeof id, "p%02u", i);
            assert_true(snap_top(id, MATCH_K_MAX, ex) >= 0);
            for (size_t q = 0; q < sizeof ks / sizeof ks[0]; q++) {
                int n = snap_top(id, ks[q], t);
                int want = ex->n < (int)ks[q] ? ex->n : (int)ks[q];
                bool same = n == want;
                for (int j = 0; same && j < n; j++)
                    same = strcmp(t->e[j].id, ex->e[j].id) == 0 &&
                           t->e[j].score == ex->e[j].score;
                if (!same) {
                    dump(id, ex);
                    dump(id, t);
                    fail_msg("seed %llu: top %zu of %s is not the first %zu "
                             "of all its matches",
                             (unsigned long long)seed, ks[q], id, ks[q]);
                }
                pruned += ex->n > (int)ks[q] && ks[q] >= MATCH_KEEP;
            }
        }
        assert_true(pruned > 20); /* the pruning paths did run */
    }
    free(ex);
    free(t);
}

/* ------------------------------------------------------ 14. congestion */

static void test_congestion_lowers_rank(void **state)
{
    put("a", "buyer", "'needs':[{'code':'090111'}]");
    put("b", "seller", "'offers':[{'code':'090111'}],'size':'micro'");
    put("c", "seller", "'offers':[{'code':'090111'}]");
    const struct snap *s = top("a");
    expect_above("a", s, "b", "c");
    double before = entry("a", s, "b")->score;
    assert_null(reason(entry("a", s, "b"), REASON_AVAILABILITY, "agenda"));

    match_set_load(EV, "b", 20, 0);
    s = top("a");
    const struct snap_entry *b = entry("a", s, "b");
    assert_true(b->score < before);
    expect_above("a", s, "c", "b");
    expect_reason(b, REASON_AVAILABILITY, "agenda");

    /* Load gone: the score is exactly as before. */
    match_set_load(EV, "b", 0, 0);
    s = top("a");
    assert_true(entry("a", s, "b")->score == before);
    expect_above("a", s, "b", "c");
}

/* An identical profile that takes no meetings (max_meetings 0) ranks
 * lower, with a reason saying its agenda is full. */
static void test_full_agenda_ranks_lower(void **state)
{
    put("a", "buyer", "'needs':[{'code':'090111'}]");
    put("c1", "seller", "'offers':[{'code':'090111'}]");
    put("c0", "seller", "'offers':[{'code':'090111'}],'max_meetings':0");
    const struct snap *s = top("a");
    expect_above("a", s, "c1", "c0");
    expect_reason(entry("a", s, "c0"), REASON_AVAILABILITY, "agenda is full");
    assert_null(reason(entry("a", s, "c1"), REASON_AVAILABILITY, "agenda"));

    /* Booked meetings fill the agenda too. */
    put("c2", "seller", "'offers':[{'code':'090111'}],'max_meetings':2");
    match_set_load(EV, "c2", 0, 2);
    s = top("a");
    expect_above("a", s, "c1", "c2");
    expect_reason(entry("a", s, "c2"), REASON_AVAILABILITY, "agenda is full");
}

/* Pending requests and booked meetings are not part of the profile: a new
 * version of the profile must not reset them. */
static void test_load_survives_profile_update(void **state)
{
    put("a", "buyer", "'needs':[{'code':'090111'}]");
    put("b", "seller", "'offers':[{'code':'090111'}]");
    match_set_load(EV, "b", 20, 0);
    double loaded = entry("a", top("a"), "b")->score;
    assert_int_equal(
        put_v("b", "seller", 2, "'offers':[{'code':'090111'}],'size':'large'"),
        1);
    double after = entry("a", top("a"), "b")->score;
    if (after != loaded)
        fail_msg("b's load was forgotten on profile update: score %.17g "
                 "before, %.17g after",
                 loaded, after);
}

/* ------------------------------------------------------ 15. hostile data */

static void test_hostile_profile_data_refused(void **state)
{
    put("a", "buyer", "'needs':[{'code':'090111'}]");
    put("b", "seller", "'offers':[{'code':'090111'}]");
    struct snap *before = calloc(1, sizeof *before);
    assert_int_equal(snap_top("a", MATCH_K_MAX, before), 1);
    struct match_stats st0, st1;
    match_get_stats(&st0);

    struct err err = {0};
    static const char garbage[] = "\xc1\xff\x00garbage\x92";
    assert_int_equal(
        match_profile_put(EV, "c", 1, garbage, sizeof garbage - 1, &err), -1);
    assert_true(err.msg[0] != '\0');
    assert_int_equal(
        match_profile_put(EV, "a", 9, garbage, sizeof garbage - 1, &err), -1);
    assert_int_equal(match_profile_put(EV, "c", 1, "", 0, &err), -1);
    assert_int_equal(match_profile_put(EV, "a", 9, "", 0, &err), -1);

    static const char *const bad_maps[] = {
        /* no country */
        "{'side':'seller','company':'X','languages':['en'],"
        "'offers':[{'code':'090111'}]}",
        /* no company */
        "{'side':'seller','country':'TH','offers':[{'code':'090111'}]}",
        /* an unknown side, a country of the wrong shape, wrong types */
        "{'side':'vendor','company':'X','country':'TH'}",
        "{'side':'seller','company':'X','country':'THA'}",
        "{'side':'seller','company':'X','country':7}",
        "{'side':1,'company':'X','country':'TH'}",
        /* not a map */
        "['seller','X','TH']",
        "'seller'",
    };
    for (size_t i = 0; i < sizeof bad_maps / sizeof bad_maps[0]; i++) {
        struct mpj *m = mpj_from_json(bad_maps[i]);
        if (match_profile_put(EV, "c", 1, m->buf.data, m->buf.size, &err) != -1)
            fail_msg("accepted as new: %s", bad_maps[i]);
        if (match_profile_put(EV, "a", 9, m->buf.data, m->buf.size, &err) != -1)
            fail_msg("accepted as update: %s", bad_maps[i]);
        mpj_free(m);
    }

    /* A valid map cut short. */
    struct mpj *m = mpj_from_json(
        "{'side':'seller','company':'X','country':'TH','languages':['en'],"
        "'offers':[{'code':'090111'}]}");
    for (size_t cut = 0; cut < m->buf.size; cut += 7)
        assert_int_equal(match_profile_put(EV, "c", 1, m->buf.data, cut, &err),
                         -1);
    mpj_free(m);

    /* Nothing changed. */
    assert_int_equal(match_profile_version(EV, "c"), -1);
    assert_int_equal(match_profile_version(EV, "a"), 1);
    match_get_stats(&st1);
    assert_int_equal(st1.profiles, st0.profiles);
    assert_int_equal(st1.features, st0.features);
    struct snap *after = calloc(1, sizeof *after);
    assert_int_equal(snap_top("a", MATCH_K_MAX, after), 1);
    assert_string_equal(after->e[0].id, before->e[0].id);
    assert_true(after->e[0].score == before->e[0].score);
    free(before);
    free(after);
}

static void test_hostile_event_data_refused(void **state)
{
    put("a", "buyer", "'needs':[{'code':'090111'}]");
    put("b", "seller", "'offers':[{'code':'090111'}],'slots':['s0','s1']");
    const struct snap *s = top("a");
    double before = entry("a", s, "b")->score;
    struct err err = {0};
    static const char garbage[] = "\xc1\xff\x00garbage";
    assert_int_equal(match_event_put(EV, garbage, sizeof garbage - 1, &err),
                     -1);
    assert_true(err.msg[0] != '\0');
    assert_int_equal(match_event_put(EV, "", 0, &err), -1);
    struct mpj *m = mpj_from_json("['slots']");
    assert_int_equal(match_event_put(EV, m->buf.data, m->buf.size, &err), -1);
    mpj_free(m);
    /* The slots are unchanged: still 2 in common. */
    s = top("a");
    assert_true(entry("a", s, "b")->score == before);
    expect_reason(entry("a", s, "b"), REASON_AVAILABILITY,
                  "2 free slots in common");

    /* A readable map with odd fields is read defensively. */
    m = mpj_from_json("{'slots':[7,{'id':5},{'id':'s1'}],"
                      "'interpreters':[3,{'languages':[1,'th','x']}]}");
    assert_int_equal(match_event_put(EV, m->buf.data, m->buf.size, &err), 0);
    mpj_free(m);
    s = top("a");
    expect_reason(entry("a", s, "b"), REASON_AVAILABILITY,
                  "1 free slot in common");
}

/* ENGINE BUG: a stored map without "side" crashes mprof_parse
 * (match_profile.c: parse_side(map_get(&m, "side")) passes NULL to
 * str_is(), which reads o->type). Kept apart so the crash fails only this
 * test. */
static void test_hostile_profile_without_side_refused(void **state)
{
    put("a", "buyer", "'needs':[{'code':'090111'}]");
    struct err err = {0};
    struct mpj *m =
        mpj_from_json("{'company':'X','country':'TH','languages':['en'],"
                      "'offers':[{'code':'090111'}]}");
    int rc = match_profile_put(EV, "c", 1, m->buf.data, m->buf.size, &err);
    mpj_free(m);
    assert_int_equal(rc, -1);
    assert_int_equal(match_profile_version(EV, "c"), -1);
    assert_int_equal(top("a")->n, 0);
}

/* A refused put into an event the engine does not know creates nothing. */
static void test_hostile_put_creates_no_event(void **state)
{
    struct match_stats st0, st1;
    match_get_stats(&st0);
    struct err err = {0};
    assert_int_equal(match_profile_put("ghost", "c", 1, "\xc1", 1, &err), -1);
    match_get_stats(&st1);
    if (st1.events != st0.events)
        fail_msg("a refused profile put created event 'ghost' (%lu events, "
                 "was %lu)",
                 st1.events, st0.events);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_reciprocal_pair_beats_one_sided),
        T(test_specific_code_beats_heading_beats_chapter),
        T(test_only_opposite_sides_match),
        T(test_no_pair_without_product_sector_or_keyword),
        T(test_sector_class_beats_section),
        T(test_keyword_accent_folding),
        T(test_keyword_arabic_article),
        T(test_keyword_cjk_compound_meets_shorter_word),
        T(test_keyword_thai_fragment_alone_does_not_match),
        T(test_rare_word_weighs_more),
        T(test_reasons_of_each_kind),
        T(test_reason_details_stay_valid_utf8),
        T(test_scores_sorted_ties_by_id),
        T(test_determinism_ids_and_scores),
        T(test_determinism_reasons),
        T(test_versions_and_delete),
        T(test_notifications_of_new_entries),
        T(test_watch_survives_delete_and_reput),
        T(test_incremental_equals_fresh),
        T(test_incremental_equals_fresh_with_text),
        T(test_incremental_equals_fresh_long),
        T(test_pruned_top_k_equals_exhaustive),
        T(test_congestion_lowers_rank),
        T(test_full_agenda_ranks_lower),
        T(test_load_survives_profile_update),
        T(test_hostile_profile_data_refused),
        T(test_hostile_profile_without_side_refused),
        T(test_hostile_event_data_refused),
        T(test_hostile_put_creates_no_event),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
