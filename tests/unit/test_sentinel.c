/* test_sentinel.c: the `sentinel` setting: what sentinel_parse accepts
 * and refuses, the config key's own check, failover errors mapped to
 * `unavailable`, and a query whose sentinels
 * all refuse the connection ending with no answer (never a hang). The
 * failover itself is tested end to end in tests/integration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "sentinel.h"
#include "store.h"

static void test_parse_accepts_names_and_addresses(void **state)
{
    struct sentinel_set set;
    struct err err;
    assert_int_equal(
        sentinel_parse("mymaster 127.0.0.1:26379,[::1]:26380,127.0.0.1:1", &set,
                       &err),
        0);
    assert_string_equal(set.name, "mymaster");
    assert_int_equal(set.n, 3);
    assert_string_equal(set.ip[0], "127.0.0.1");
    assert_int_equal(set.port[0], 26379);
    assert_string_equal(set.ip[1], "::1");
    assert_int_equal(set.port[1], 26380);
    assert_int_equal(set.port[2], 1);
}

static void test_parse_refuses_bad_settings(void **state)
{
    static const char *const bad[] = {
        "",
        "mymaster",
        "mymaster ",
        " 127.0.0.1:26379",
        "my/master 127.0.0.1:26379",
        "mymaster 127.0.0.1",
        "mymaster 127.0.0.1:26379,",
        "mymaster 127.0.0.1:26379,,127.0.0.1:26380",
        "mymaster ::1:26379",
        "mymaster 127.0.0.1:0",
        "m 127.0.0.1:1,127.0.0.1:2,127.0.0.1:3,127.0.0.1:4,127.0.0.1:5,"
        "127.0.0.1:6,127.0.0.1:7,127.0.0.1:8,127.0.0.1:9",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sentinel_set set;
        struct err err;
        assert_int_equal(sentinel_parse(bad[i], &set, &err), -1);
        assert_true(strncmp(err.msg, "sentinel", 8) == 0);
    }
}

static void test_config_key_checks_the_shape(void **state)
{
    struct config cfg;
    struct err err;
    config_defaults(&cfg);
    assert_string_equal(cfg.sentinel, "");
    assert_int_equal(config_set(&cfg, "sentinel", "m 127.0.0.1:26379", &err),
                     0);
    assert_string_equal(cfg.sentinel, "m 127.0.0.1:26379");
    assert_int_equal(config_set(&cfg, "sentinel", "m", &err), -1);
    assert_int_equal(config_set(&cfg, "sentinel", "m host", &err), -1);
    assert_int_equal(config_set(&cfg, "sentinel", "", &err), 0);
    config_free(&cfg);
}

/* A demoted primary (READONLY) and one that lost its replicas under
 * min-replicas-to-write (NOREPLICAS) are faults of the moment. */
static void test_failover_errors_are_unavailable(void **state)
{
    static const char *const texts[] = {
        "READONLY You can't write against a read only replica.",
        "NOREPLICAS Not enough good replicas to write.",
    };
    for (size_t i = 0; i < 2; i++) {
        struct err e = {0};
        assert_int_equal(store_map_error(texts[i], strlen(texts[i]), &e),
                         ERR_UNAVAILABLE);
    }
}

/* A loopback port nobody listens on: bound, never listened, closed. */
static int dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, len), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

struct answer {
    int calls;
    bool got_ip;
};

static void on_answer(void *priv, const char *ip, int port)
{
    struct answer *a = priv;
    a->calls++;
    a->got_ip = ip != NULL;
}

static void test_query_of_dead_sentinels_ends_without_answer(void **state)
{
    struct sentinel_set set;
    struct err err;
    char spec[128];
    snprintf(spec, sizeof spec, "m 127.0.0.1:%d,127.0.0.1:%d", dead_port(),
             dead_port());
    assert_int_equal(sentinel_parse(spec, &set, &err), 0);
    struct event_base *base = event_base_new();
    struct answer a = {0};
    struct sentinel_query *q = sentinel_ask(base, &set, 500, on_answer, &a);
    assert_non_null(q);
    /* Not from inside sentinel_ask. */
    assert_int_equal(a.calls, 0);
    struct timeval bound = {5, 0};
    event_base_loopexit(base, &bound);
    event_base_dispatch(base);
    assert_int_equal(a.calls, 1);
    assert_false(a.got_ip);
    event_base_free(base);
}

static void test_cancelled_query_never_answers(void **state)
{
    struct sentinel_set set;
    struct err err;
    char spec[64];
    snprintf(spec, sizeof spec, "m 127.0.0.1:%d", dead_port());
    assert_int_equal(sentinel_parse(spec, &set, &err), 0);
    struct event_base *base = event_base_new();
    struct answer a = {0};
    sentinel_cancel(sentinel_ask(base, &set, 500, on_answer, &a));
    struct timeval bound = {0, 200000};
    event_base_loopexit(base, &bound);
    event_base_dispatch(base);
    assert_int_equal(a.calls, 0);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_accepts_names_and_addresses),
        cmocka_unit_test(test_parse_refuses_bad_settings),
        cmocka_unit_test(test_config_key_checks_the_shape),
        cmocka_unit_test(test_failover_errors_are_unavailable),
        cmocka_unit_test(test_query_of_dead_sentinels_ends_without_answer),
        cmocka_unit_test(test_cancelled_query_never_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
