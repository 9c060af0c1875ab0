/* test_store.c: the Redis link against a real redis-server on a free
 * loopback port: round trips, functions, error mapping, a frozen Redis, a
 * killed and restarted Redis, refused connections and bad addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "store.h"

#define PASSWORD "test-secret"
#define TIMEOUT_MS 200

static const char functions[] =
    "#!lua name=emtest\n"
    "redis.register_function('echo1', function(keys, args)\n"
    "  return args[1] end)\n"
    "redis.register_function('conflict', function(keys, args)\n"
    "  return redis.error_reply('conflict x') end)\n"
    "redis.register_function('notfound', function(keys, args)\n"
    "  return redis.error_reply('not_found') end)\n"
    "redis.register_function('raised', function(keys, args)\n"
    "  error({err = 'forbidden not yours'}) end)\n";

static struct event_base *base;
static int redis_port;
static pid_t redis_pid;

/* ---- helpers ------------------------------------------------------------ */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A port the kernel just handed out and nobody holds now. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static bool port_accepts(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

static pid_t redis_start(int port)
{
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Dies with the test, even when the test crashes. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execlp("redis-server", "redis-server", "--port", portstr, "--bind",
               "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize",
               "no", "--requirepass", PASSWORD, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 300 && !port_accepts(port); i++)
        usleep(10000);
    assert_true(port_accepts(port));
    return pid;
}

static void redis_kill(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static void on_tick(evutil_socket_t fd, short what, void *arg) {}

/* Runs the loop until *flag reaches want or ms pass; returns elapsed ms. */
static long long run_until(const int *flag, int want, int ms)
{
    struct event *tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
    struct timeval tv = {0, 5000};
    event_add(tick, &tv);
    long long t0 = now_ms();
    while ((flag == NULL || *flag < want) && now_ms() - t0 < ms)
        event_base_loop(base, EVLOOP_ONCE);
    event_free(tick);
    return now_ms() - t0;
}

static void run_for(int ms)
{
    run_until(NULL, 0, ms);
}

struct res {
    int calls;
    enum errcode code;
    char msg[256];
    int type;
    char str[128];
    long long integer;
};

static void on_res(void *priv, const redisReply *reply, const struct err *err)
{
    struct res *r = priv;
    r->calls++;
    if (err != NULL) {
        assert_null(reply);
        r->code = err->code;
        snprintf(r->msg, sizeof r->msg, "%s", err->msg);
        return;
    }
    assert_non_null(reply);
    r->code = ERR_NONE;
    r->type = reply->type;
    r->integer = reply->integer;
    if (reply->str != NULL) {
        size_t n =
            reply->len < sizeof r->str - 1 ? reply->len : sizeof r->str - 1;
        memcpy(r->str, reply->str, n); /* binary-safe */
        r->str[n] = '\0';
    }
}

struct link {
    int ups, downs;
    bool last;
};

static void on_link(void *priv, bool up)
{
    struct link *l = priv;
    /* Each change is reported once: never up twice or down twice. */
    assert_true(up != l->last);
    l->last = up;
    if (up)
        l->ups++;
    else
        l->downs++;
}

static struct store *new_store(struct link *l, const char *password,
                               int timeout_ms, int port)
{
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    struct store_config cfg = {.addr = addr,
                               .password = password,
                               .timeout_ms = timeout_ms,
                               .functions = functions,
                               .functions_len = sizeof functions - 1};
    struct err err = {0};
    struct store *st = store_new(base, &cfg, on_link, l, &err);
    assert_non_null(st);
    return st;
}

static struct store *up_store(struct link *l, int timeout_ms)
{
    struct store *st = new_store(l, PASSWORD, timeout_ms, redis_port);
    run_until(&l->ups, 1, 3000);
    assert_int_equal(l->ups, 1);
    assert_true(store_is_up(st));
    return st;
}

/* ---- tests -------------------------------------------------------------- */

static void check_map(const char *text, enum errcode code, const char *msg)
{
    struct err e = {0};
    assert_int_equal(store_map_error(text, strlen(text), &e), code);
    assert_int_equal(e.code, code);
    if (msg != NULL)
        assert_string_equal(e.msg, msg);
}

static void test_error_mapping(void **state)
{
    /* What Redis 7.0 sends for redis.error_reply("conflict x"). */
    check_map("conflict stale version", ERR_CONFLICT, "stale version");
    /* ... and for redis.error_reply("not_found"), a code with no message. */
    check_map("ERR not_found", ERR_NOT_FOUND, "not_found");
    check_map("ERR too_large profile over 64 KiB", ERR_TOO_LARGE,
              "profile over 64 KiB");
    /* error({err = ...}) gets the function's name and line appended. */
    check_map("forbidden not yours script: raised, on @user_function:9.",
              ERR_FORBIDDEN, "not yours");
    check_map("conflict script: f, on @user_function:2.", ERR_CONFLICT,
              "conflict");
    check_map("not_found", ERR_NOT_FOUND, "not_found");
    check_map("ERR", ERR_INTERNAL, NULL);
    check_map("LOADING Redis is loading the dataset in memory", ERR_UNAVAILABLE,
              NULL);
    check_map("BUSY Redis is busy running a script.", ERR_UNAVAILABLE, NULL);
    check_map("MASTERDOWN Link with MASTER is down", ERR_UNAVAILABLE, NULL);
    check_map("TRYAGAIN Multiple keys request during rehashing",
              ERR_UNAVAILABLE, NULL);
    check_map("BUSYGROUP Consumer Group name already exists", ERR_INTERNAL,
              NULL);
    check_map("WRONGTYPE Operation against a key holding the wrong kind",
              ERR_INTERNAL, NULL);
    check_map("ERR unknown command 'X', with args beginning with: 'secret'",
              ERR_INTERNAL, "the store rejected the request");
    check_map("ERR user_function:4: conflict script: f, on @user_function:4.",
              ERR_INTERNAL, NULL);
    check_map("", ERR_INTERNAL, NULL);
}

static void test_bad_addresses(void **state)
{
    const char *bad[] = {"no-such-host.invalid:6379",
                         "[::1",
                         "[::1]x",
                         "::1:6379",
                         "127.0.0.1:0",
                         "127.0.0.1:99999",
                         "127.0.0.1:",
                         "127.0.0.1:12ab",
                         ":6379",
                         "",
                         "localhost" /* the port is required */};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct store_config cfg = {.addr = bad[i], .timeout_ms = 100};
        struct err err = {0};
        struct link l = {0};
        assert_null(store_new(base, &cfg, on_link, &l, &err));
        assert_true(err.code == ERR_BAD_REQUEST || err.code == ERR_UNAVAILABLE);
        assert_true(err.msg[0] != '\0');
    }
    /* Well-formed ones are accepted (nothing listens there). */
    const char *good[] = {"localhost:1", "[::1]:1", "127.0.0.1:1"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        struct store_config cfg = {.addr = good[i], .timeout_ms = 100};
        struct err err = {0};
        struct store *st = store_new(base, &cfg, NULL, NULL, &err);
        assert_non_null(st);
        store_free(st);
    }
}

static void test_refused_at_start(void **state)
{
    struct link l = {0};
    struct store *st = new_store(&l, PASSWORD, TIMEOUT_MS, free_port());
    struct res r = {0};
    store_command(st, on_res, &r, "GET %s", "k");
    /* Failed from the loop, never inside the call. */
    assert_int_equal(r.calls, 0);
    assert_int_equal(store_pending(st), 1);
    long long ms = run_until(&r.calls, 1, 1000);
    assert_int_equal(r.calls, 1);
    assert_true(ms < 100);
    assert_int_equal(r.code, ERR_UNAVAILABLE);
    assert_int_equal(store_pending(st), 0);
    run_for(300); /* a few reconnect attempts */
    assert_int_equal(r.calls, 1);
    assert_int_equal(l.ups, 0);
    assert_false(store_is_up(st));
    store_free(st);
}

static void test_wrong_password(void **state)
{
    struct link l = {0};
    struct store *st = new_store(&l, "wrong", TIMEOUT_MS, redis_port);
    run_for(300);
    assert_int_equal(l.ups, 0);
    struct res r = {0};
    store_command(st, on_res, &r, "PING");
    run_until(&r.calls, 1, 500);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, ERR_UNAVAILABLE);
    store_free(st);
    assert_int_equal(r.calls, 1);
}

static void test_round_trip_and_functions(void **state)
{
    struct link l = {0};
    struct store *st = up_store(&l, TIMEOUT_MS);
    struct res set = {0}, get = {0}, echo = {0}, conflict = {0}, nf = {0},
               raised = {0}, unknown = {0};
    store_command(st, on_res, &set, "SET %s %b", "k", "v\0w", (size_t)3);
    store_command(st, on_res, &get, "GET %s", "k");
    const char *argv[] = {"FCALL", "echo1", "0", "hello"};
    store_commandv(st, 4, argv, NULL, on_res, &echo);
    store_command(st, on_res, &conflict, "FCALL conflict 0");
    store_command(st, on_res, &nf, "FCALL notfound 0");
    store_command(st, on_res, &raised, "FCALL raised 0");
    store_command(st, on_res, &unknown, "NOSUCHCMD %s", "secret");
    assert_int_equal(store_pending(st), 7);
    run_until(&unknown.calls, 1, 1000);
    assert_int_equal(store_pending(st), 0);

    assert_int_equal(set.calls, 1);
    assert_int_equal(set.code, ERR_NONE);
    assert_string_equal(set.str, "OK");
    assert_int_equal(get.calls, 1);
    assert_int_equal(get.type, REDIS_REPLY_STRING);
    assert_memory_equal(get.str, "v\0w", 3);
    assert_int_equal(echo.calls, 1);
    assert_string_equal(echo.str, "hello");
    assert_int_equal(conflict.calls, 1);
    assert_int_equal(conflict.code, ERR_CONFLICT);
    assert_string_equal(conflict.msg, "x");
    assert_int_equal(nf.code, ERR_NOT_FOUND);
    assert_int_equal(raised.code, ERR_FORBIDDEN);
    assert_string_equal(raised.msg, "not yours");
    assert_int_equal(unknown.calls, 1);
    assert_int_equal(unknown.code, ERR_INTERNAL);
    assert_null(strstr(unknown.msg, "secret"));

    /* A pipeline: every callback once, in order. */
    struct res incr[100];
    memset(incr, 0, sizeof incr);
    for (int i = 0; i < 100; i++)
        store_command(st, on_res, &incr[i], "INCR %s", "counter");
    run_until(&incr[99].calls, 1, 1000);
    for (int i = 0; i < 100; i++) {
        assert_int_equal(incr[i].calls, 1);
        assert_int_equal(incr[i].integer, i + 1);
    }
    store_command(st, on_res, &set, "DEL counter"); /* reruns stay clean */
    run_until(&set.calls, 2, 1000);
    store_free(st);
    assert_int_equal(l.downs, 0);
}

static void test_frozen_redis(void **state)
{
    struct link l = {0};
    struct store *st = up_store(&l, TIMEOUT_MS);
    kill(redis_pid, SIGSTOP);
    struct res a = {0}, b = {0}, c = {0};
    store_command(st, on_res, &a, "SET stalled %s", "yes");
    long long ms = run_until(&a.calls, 1, 2000);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.code, ERR_UNAVAILABLE);
    assert_string_equal(a.msg, "store did not answer within 200 ms");
    assert_true(ms >= TIMEOUT_MS - 10 && ms < TIMEOUT_MS + 300);
    assert_false(store_is_up(st));
    assert_int_equal(l.downs, 1);
    assert_int_equal(store_pending(st), 0);

    /* While a command is overdue, new ones fail at once, unsent. */
    store_command(st, on_res, &b, "SET stalled %s", "again");
    ms = run_until(&b.calls, 1, 1000);
    assert_int_equal(b.code, ERR_UNAVAILABLE);
    assert_true(ms < 100);

    kill(redis_pid, SIGCONT);
    run_until(&l.ups, 2, 2000);
    assert_int_equal(l.ups, 2);
    assert_true(store_is_up(st));
    assert_int_equal(a.calls, 1); /* the late reply was dropped */
    /* The timed-out write did happen: "unavailable" means unknown. */
    store_command(st, on_res, &c, "GET stalled");
    run_until(&c.calls, 1, 1000);
    assert_int_equal(c.code, ERR_NONE);
    assert_string_equal(c.str, "yes");
    assert_int_equal(b.calls, 1);
    store_free(st);
}

static void test_killed_and_restarted_redis(void **state)
{
    struct link l = {0};
    /* A long deadline, so the failure below can only be the disconnect. */
    struct store *st = up_store(&l, 1000);
    kill(redis_pid, SIGSTOP);
    struct res d = {0}, e = {0}, f = {0};
    store_command(st, on_res, &d, "GET k");
    run_for(30); /* written, not answered */
    assert_int_equal(d.calls, 0);
    redis_kill(redis_pid);
    long long ms = run_until(&d.calls, 1, 2000);
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.code, ERR_UNAVAILABLE);
    assert_string_equal(d.msg, "store connection lost");
    assert_true(ms < 500);
    assert_int_equal(l.downs, 1);
    assert_false(store_is_up(st));

    store_command(st, on_res, &e, "GET k");
    run_until(&e.calls, 1, 500);
    assert_int_equal(e.code, ERR_UNAVAILABLE);

    /* A fresh Redis without persistence: the functions come back only
     * because the store loads them on connect. */
    redis_pid = redis_start(redis_port);
    run_until(&l.ups, 2, 4000);
    assert_int_equal(l.ups, 2);
    const char *argv[] = {"FCALL", "echo1", "0", "back"};
    store_commandv(st, 4, argv, NULL, on_res, &f);
    run_until(&f.calls, 1, 1000);
    assert_int_equal(f.code, ERR_NONE);
    assert_string_equal(f.str, "back");
    assert_int_equal(d.calls + e.calls + f.calls, 3);
    store_free(st);
}

static void test_frozen_while_connecting(void **state)
{
    struct link l = {0};
    kill(redis_pid, SIGSTOP);
    /* The kernel completes the TCP connect; AUTH then gets no answer, so
     * the connect deadline drops the context and retries. */
    struct store *st = new_store(&l, PASSWORD, TIMEOUT_MS, redis_port);
    run_for(TIMEOUT_MS + 150);
    assert_int_equal(l.ups, 0);
    kill(redis_pid, SIGCONT);
    run_until(&l.ups, 1, 3000);
    assert_int_equal(l.ups, 1);

    /* A deadline of its own, shorter than the store's. */
    kill(redis_pid, SIGSTOP);
    struct res r = {0};
    const char *argv[] = {"GET", "k"};
    store_commandv_timeout(st, 50, 2, argv, NULL, on_res, &r);
    long long ms = run_until(&r.calls, 1, 1000);
    assert_int_equal(r.code, ERR_UNAVAILABLE);
    assert_string_equal(r.msg, "store did not answer within 50 ms");
    assert_true(ms < TIMEOUT_MS);
    kill(redis_pid, SIGCONT);
    run_until(&l.ups, 2, 2000);
    assert_int_equal(l.ups, 2);
    assert_int_equal(r.calls, 1);
    store_free(st);
}

struct reissue {
    struct store *st;
    struct res first, second;
};

/* Fails, then sends again from inside its own callback. */
static void on_reissue(void *priv, const redisReply *reply,
                       const struct err *err)
{
    struct reissue *ri = priv;
    on_res(&ri->first, reply, err);
    store_command(ri->st, on_res, &ri->second, "PING");
}

static void test_free_with_pending(void **state)
{
    struct link l = {0};
    struct store *st = up_store(&l, 1000);
    kill(redis_pid, SIGSTOP);
    struct res r[3];
    memset(r, 0, sizeof r);
    struct reissue ri = {.st = st};
    for (int i = 0; i < 3; i++)
        store_command(st, on_res, &r[i], "GET k");
    store_command(st, on_reissue, &ri, "GET k");
    run_for(30);
    assert_int_equal(store_pending(st), 4);
    store_free(st);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(r[i].calls, 1);
        assert_int_equal(r[i].code, ERR_UNAVAILABLE);
        assert_string_equal(r[i].msg, "store is shutting down");
    }
    assert_int_equal(ri.first.calls, 1);
    assert_int_equal(ri.second.calls, 1);
    assert_int_equal(ri.second.code, ERR_UNAVAILABLE);
    assert_int_equal(l.downs, 0); /* store_free is not a link loss */
    kill(redis_pid, SIGCONT);

    /* A store that is down, with a failure queued for the loop. */
    struct res q = {0};
    st = new_store(&l, PASSWORD, TIMEOUT_MS, free_port());
    store_command(st, on_res, &q, "GET k");
    store_free(st);
    assert_int_equal(q.calls, 1);
    assert_int_equal(q.code, ERR_UNAVAILABLE);
    run_for(50);
    assert_int_equal(q.calls, 1);
}

/* ---- fixture ------------------------------------------------------------ */

static int group_setup(void **state)
{
    signal(SIGPIPE, SIG_IGN);
    base = event_base_new();
    redis_port = free_port();
    redis_pid = redis_start(redis_port);
    return 0;
}

static int group_teardown(void **state)
{
    redis_kill(redis_pid);
    event_base_free(base);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_mapping),
        cmocka_unit_test(test_bad_addresses),
        cmocka_unit_test(test_refused_at_start),
        cmocka_unit_test(test_wrong_password),
        cmocka_unit_test(test_round_trip_and_functions),
        cmocka_unit_test(test_frozen_redis),
        cmocka_unit_test(test_frozen_while_connecting),
        cmocka_unit_test(test_killed_and_restarted_redis),
        cmocka_unit_test(test_free_with_pending),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
