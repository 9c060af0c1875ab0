/* test_subs.c: the subscription tables on their own: topics held, sorted
 * listings, the per-connection cap, watch calls, dropping on close. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "subs.h"

/* What the watch function was told, summed per "event/id". */
static struct watched {
    char key[160];
    int count;
} watched[2048];
static size_t nwatched;
static int watch_calls;

static void record_watch(const char *event, const char *id, int delta)
{
    char key[160];
    snprintf(key, sizeof key, "%s/%s", event, id);
    watch_calls++;
    for (size_t i = 0; i < nwatched; i++)
        if (strcmp(watched[i].key, key) == 0) {
            watched[i].count += delta;
            return;
        }
    snprintf(watched[nwatched].key, sizeof watched[0].key, "%s", key);
    watched[nwatched++].count = delta;
}

static int watch_count(const char *key)
{
    for (size_t i = 0; i < nwatched; i++)
        if (strcmp(watched[i].key, key) == 0)
            return watched[i].count;
    return 0;
}

/* A connection only as far as subs.c looks at it; never open, so a
 * publish to it delivers nothing. */
static struct conn *fake_conn(void)
{
    struct conn *c = calloc(1, sizeof *c);
    c->state = CONN_CLOSED;
    return c;
}

static int setup(void **state)
{
    nwatched = 0;
    watch_calls = 0;
    subs_init(record_watch);
    return 0;
}

static int teardown(void **state)
{
    subs_cleanup();
    return 0;
}

static void test_topic_shapes(void **state)
{
    const char *good[] = {"event", "participant:a", "participant:A-z_0.9"};
    const char *bad[] = {"",
                         "Event",
                         "events",
                         "participa",
                         "participant:",
                         "participant:a b",
                         "participant:a:b"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(subs_valid_topic(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(subs_valid_topic(bad[i], strlen(bad[i])));
    char longest[80] = "participant:";
    memset(longest + 12, 'x', 64);
    assert_true(subs_valid_topic(longest, 76));
    longest[76] = 'x';
    assert_false(subs_valid_topic(longest, 77));
    assert_false(subs_valid_topic("event\0x", 7));
    assert_string_equal(subs_topic_participant("participant:p1"), "p1");
    assert_null(subs_topic_participant("event"));
}

static void test_add_list_sorted_and_idempotent(void **state)
{
    struct conn *c = fake_conn();
    assert_int_equal(subs_add(c, "ev", "participant:zed"), 0);
    assert_int_equal(subs_add(c, "ev", "event"), 0);
    assert_int_equal(subs_add(c, "ev", "participant:amy"), 0);
    assert_int_equal(subs_add(c, "ev", "event"), 0);
    assert_int_equal(subs_add(c, "other", "event"), 0);
    assert_int_equal(subs_count(c), 4);
    const char *list[8];
    assert_int_equal(subs_list(c, "ev", list, 8), 3);
    assert_string_equal(list[0], "event");
    assert_string_equal(list[1], "participant:amy");
    assert_string_equal(list[2], "participant:zed");
    assert_int_equal(subs_list(c, "other", list, 8), 1);
    assert_int_equal(subs_list(c, "none", list, 8), 0);
    assert_true(subs_holds(c, "ev", "participant:amy"));
    assert_false(subs_holds(c, "other", "participant:amy"));
    subs_remove(c, "ev", "participant:amy");
    subs_remove(c, "ev", "participant:amy"); /* not held: nothing */
    assert_false(subs_holds(c, "ev", "participant:amy"));
    assert_int_equal(subs_count(c), 3);
    subs_conn_closed(c);
    assert_int_equal(subs_count(c), 0);
    assert_false(subs_has("ev", "event"));
    free(c);
}

static void test_watch_first_and_last_subscriber_only(void **state)
{
    struct conn *a = fake_conn(), *b = fake_conn();
    subs_add(a, "ev", "participant:p1");
    subs_add(b, "ev", "participant:p1");
    subs_add(a, "ev", "event"); /* not a participant: no watch */
    assert_int_equal(watch_calls, 1);
    assert_int_equal(watch_count("ev/p1"), 1);
    subs_remove(a, "ev", "participant:p1");
    assert_int_equal(watch_calls, 1);
    assert_true(subs_has("ev", "participant:p1"));
    subs_conn_closed(b);
    assert_int_equal(watch_calls, 2);
    assert_int_equal(watch_count("ev/p1"), 0);
    assert_false(subs_has("ev", "participant:p1"));
    assert_true(subs_has("ev", "event"));
    subs_conn_closed(a);
    subs_conn_closed(a); /* twice is harmless */
    assert_int_equal(watch_calls, 2);
    assert_false(subs_has("ev", "event"));
    free(a);
    free(b);
}

static void test_cap_per_connection(void **state)
{
    struct conn *c = fake_conn(), *d = fake_conn();
    char topic[SUBS_TOPIC_MAX + 1];
    for (int i = 0; i < SUBS_CONN_MAX; i++) {
        snprintf(topic, sizeof topic, "participant:p%d", i);
        assert_int_equal(subs_add(c, i % 2 ? "ev1" : "ev2", topic), 0);
    }
    assert_int_equal(subs_add(c, "ev1", "event"), -1);
    /* What it holds already is no new topic. */
    assert_int_equal(subs_add(c, "ev1", "participant:p1"), 0);
    assert_int_equal(subs_add(d, "ev1", "event"), 0);
    assert_int_equal(watch_count("ev2/p998"), 1);
    subs_remove(c, "ev2", "participant:p0");
    assert_int_equal(subs_add(c, "ev1", "event"), 0);
    /* Many topics and members made both tables grow; all still found. */
    for (int i = 1; i < SUBS_CONN_MAX; i++) {
        snprintf(topic, sizeof topic, "participant:p%d", i);
        assert_true(subs_holds(c, i % 2 ? "ev1" : "ev2", topic));
    }
    subs_conn_closed(c);
    subs_conn_closed(d);
    assert_int_equal(watch_count("ev2/p998"), 0);
    assert_false(subs_has("ev1", "event"));
    free(c);
    free(d);
}

static void test_publish_skips_connections_that_are_not_open(void **state)
{
    struct conn *c = fake_conn();
    subs_add(c, "ev", "event");
    static const char params[] = {(char)0x90}; /* [] */
    subs_publish("ev", "event", "participant.update", params, 1);
    subs_publish("ev", "participant:nobody", "x", params, 1);
    assert_true(subs_holds(c, "ev", "event"));
    subs_conn_closed(c);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_topic_shapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_list_sorted_and_idempotent,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_watch_first_and_last_subscriber_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap_per_connection, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_publish_skips_connections_that_are_not_open, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
