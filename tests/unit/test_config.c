/* test_config.c: the config table's defaults, file syntax, flags, error
 * messages (file:line and hidden secrets), the committed sample file, and
 * the log line format. Runs from the repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "hostport.h"
#include "log.h"

#define SAMPLE_PATH "config/expomatchd.conf"

/* Writes text to a fresh temporary file; the caller unlinks path. */
static void write_temp(char path[64], const char *text)
{
    strcpy(path, "/tmp/em_config_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

/* Loads text as a config file on top of the defaults; returns the result
 * and leaves err's message for the caller. */
static int load_text(struct config *cfg, const char *text, struct err *err,
                     char path[64])
{
    write_temp(path, text);
    config_defaults(cfg);
    int rc = config_load_file(cfg, path, err);
    unlink(path);
    return rc;
}

/* Expects text to fail with "PATH:LINE: tail". */
static void expect_file_error(const char *text, int line, const char *tail)
{
    struct config cfg;
    struct err err = {0};
    char path[64], want[512];
    assert_int_equal(load_text(&cfg, text, &err, path), -1);
    snprintf(want, sizeof want, "%s:%d: %s", path, line, tail);
    assert_string_equal(err.msg, want);
    config_free(&cfg);
}

static enum config_result load_args(struct config *cfg, struct err *err,
                                    int argc, const char **argv)
{
    return config_load(cfg, argc, (char **)argv, err);
}

static void test_defaults_match_the_contract(void **state)
{
    struct config c;
    config_defaults(&c);
    assert_string_equal(c.bind, "127.0.0.1");
    assert_int_equal(c.port, 7411);
    assert_string_equal(c.unix_socket, "");
    assert_int_equal(c.http_port, 7412);
    assert_string_equal(c.redis, "127.0.0.1:6379");
    assert_string_equal(c.redis_password, "");
    assert_int_equal(c.redis_timeout_ms, 2000);
    assert_int_equal(c.stream_maxlen, 100000);
    assert_string_equal(c.admin_token, "");
    assert_string_equal(c.admin_token_file, "");
    assert_string_equal(c.secret_key_file, "");
    assert_string_equal(c.log_level, "info");
    assert_string_equal(c.log_file, "");
    assert_int_equal(c.maxclients, 10000);
    assert_int_equal(c.max_request_bytes, 1048576);
    assert_int_equal(c.max_depth, 16);
    assert_int_equal(c.auth_timeout, 10);
    assert_int_equal(c.idle_timeout, 0);
    assert_int_equal(c.rate_limit, 0);
    assert_int_equal(c.subscriber_buffer_limit, 8388608);
    assert_int_equal(c.optimize_budget_ms, 5000);
    assert_int_equal(c.shutdown_timeout_ms, 5000);
    config_free(&c);
}

static void test_file_with_comments_quotes_and_blanks(void **state)
{
    struct config c;
    struct err err = {0};
    char path[64];
    const char *text = "# a comment\n"
                       "\n"
                       "   \t\n"
                       "port 9000   # trailing comment\n"
                       "  bind ::1\r\n"
                       "log-file \"/var/log/expo match.log\"\n"
                       "admin-token \"say \\\"hi\\\" \\\\ there\"\n"
                       "unix-socket \"\"\n"
                       "redis-password pa#ss\n"
                       "MAX-DEPTH 32\n"
                       "port 9001\n"; /* the last one wins */
    assert_int_equal(load_text(&c, text, &err, path), 0);
    assert_int_equal(c.port, 9001);
    assert_string_equal(c.bind, "::1");
    assert_string_equal(c.log_file, "/var/log/expo match.log");
    assert_string_equal(c.admin_token, "say \"hi\" \\ there");
    assert_string_equal(c.unix_socket, "");
    assert_string_equal(c.redis_password, "pa#ss");
    assert_int_equal(c.max_depth, 32);
    assert_int_equal(c.http_port, 7412); /* untouched keys keep defaults */
    config_free(&c);
}

static void test_file_errors_name_file_line_and_line(void **state)
{
    expect_file_error("port 1\nbogus 3\n", 2, "unknown key: bogus 3");
    expect_file_error("\n\nport\n", 3, "missing value: port");
    expect_file_error("port # none\n", 1, "missing value: port # none");
    expect_file_error("port seven\n", 1, "not a number: port seven");
    expect_file_error("port 12x\n", 1, "not a number: port 12x");
    expect_file_error("port 70000\n", 1, "out of range 0..65535: port 70000");
    expect_file_error("port 99999999999999999999\n", 1,
                      "out of range: port 99999999999999999999");
    expect_file_error("bind 127.0.0.1 extra\n", 1,
                      "more than one value (quote values with spaces): "
                      "bind 127.0.0.1 extra");
    expect_file_error("log-file \"/tmp/x\n", 1,
                      "unterminated quote: log-file \"/tmp/x");
    expect_file_error("log-file \"/tmp/x\"y\n", 1,
                      "text after the closing quote: log-file \"/tmp/x\"y");
    expect_file_error("log-level loud\n", 1,
                      "not one of debug, info, warn, error: log-level loud");
    expect_file_error("bind localhost\n", 1,
                      "not an IP address literal: bind localhost");
    expect_file_error("redis 127.0.0.1\n", 1,
                      "not host:port or [v6]:port: redis 127.0.0.1");
}

static void test_file_errors_hide_secrets(void **state)
{
    expect_file_error("admin-token \"s3cret\" more\n", 1,
                      "more than one value (quote values with spaces): "
                      "admin-token <hidden>");
    expect_file_error("redis-password \"s3cret\n", 1,
                      "unterminated quote: redis-password <hidden>");
    /* A misspelt secret key is unknown, but its value stays hidden. */
    expect_file_error("admin_token s3cret\n", 1,
                      "unknown key: admin_token <hidden>");
    /* Typos close to a secret key's name, without a telling word. */
    expect_file_error("admin-tokn s3cret\n", 1,
                      "unknown key: admin-tokn <hidden>");
    expect_file_error("redis-pasword s3cret\n", 1,
                      "unknown key: redis-pasword <hidden>");
    /* Any white space ends the key, as the parser reads it. */
    expect_file_error("admin-token\vs3cret x\n", 1,
                      "more than one value (quote values with spaces): "
                      "admin-token <hidden>");
    /* Ordinary unknown keys are shown whole, to help find the typo. */
    expect_file_error("frobnicate 3\n", 1, "unknown key: frobnicate 3");
}

static void test_missing_file_is_an_error(void **state)
{
    struct config c;
    struct err err = {0};
    config_defaults(&c);
    assert_int_equal(config_load_file(&c, "/nonexistent/em.conf", &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/em.conf: cannot open"));
    config_free(&c);
}

static void test_ranges_are_inclusive(void **state)
{
    struct config c;
    struct err err = {0};
    config_defaults(&c);
    assert_int_equal(config_set(&c, "max-depth", "1", &err), 0);
    assert_int_equal(config_set(&c, "max-depth", "32", &err), 0);
    assert_int_equal(c.max_depth, 32);
    assert_int_equal(config_set(&c, "max-depth", "0", &err), -1);
    assert_string_equal(err.msg, "max-depth: out of range 1..32");
    assert_int_equal(config_set(&c, "max-depth", "33", &err), -1);
    assert_int_equal(config_set(&c, "port", "0", &err), 0);
    assert_int_equal(config_set(&c, "port", "65535", &err), 0);
    assert_int_equal(config_set(&c, "port", "-1", &err), -1);
    assert_int_equal(config_set(&c, "maxclients", "0", &err), -1);
    assert_int_equal(config_set(&c, "maxclients", "1000000", &err), 0);
    assert_int_equal(config_set(&c, "max-request-bytes", "1023", &err), -1);
    assert_int_equal(config_set(&c, "max-request-bytes", "67108864", &err), 0);
    assert_int_equal(config_set(&c, "max-request-bytes", "67108865", &err), -1);
    assert_int_equal(config_set(&c, "port", " 5", &err), -1);
    assert_string_equal(err.msg, "port: not a number");
    assert_int_equal(config_set(&c, "nope", "1", &err), -1);
    assert_string_equal(err.msg, "nope: unknown key");
    assert_int_equal(c.max_depth, 32); /* failed sets change nothing */
    config_free(&c);
}

static void test_flags_win_over_file_wherever_config_is(void **state)
{
    struct config c;
    struct err err = {0};
    char path[64];
    write_temp(path, "port 9000\nhttp-port 9001\nlog-level debug\n");
    const char *argv[] = {"expomatchd", "--port",    "9100",
                          "--config",   path,        "--log-level=warn",
                          "--redis",    "[::1]:6380"};
    assert_int_equal(load_args(&c, &err, 8, argv), CONFIG_OK);
    assert_int_equal(c.port, 9100);
    assert_int_equal(c.http_port, 9001);
    assert_string_equal(c.log_level, "warn");
    assert_string_equal(c.redis, "[::1]:6380");
    config_free(&c);

    char cfgflag[80];
    snprintf(cfgflag, sizeof cfgflag, "--config=%s", path);
    const char *argv2[] = {"expomatchd", "--http-port=0", "--maxclients=5",
                           cfgflag};
    assert_int_equal(load_args(&c, &err, 4, argv2), CONFIG_OK);
    assert_int_equal(c.http_port, 0);
    assert_int_equal(c.maxclients, 5);
    assert_int_equal(c.port, 9000);
    config_free(&c);
    unlink(path);
}

static void test_no_flags_gives_defaults(void **state)
{
    struct config c;
    struct err err = {0};
    const char *argv[] = {"expomatchd"};
    assert_int_equal(load_args(&c, &err, 1, argv), CONFIG_OK);
    assert_int_equal(c.port, 7411);
    assert_string_equal(c.bind, "127.0.0.1");
    config_free(&c);
}

static void expect_flag_error(int argc, const char **argv, const char *msg)
{
    struct config c;
    struct err err = {0};
    assert_int_equal(load_args(&c, &err, argc, argv), CONFIG_ERROR);
    assert_string_equal(err.msg, msg);
    /* A failed load leaves defaults behind, safe to free or ignore. */
    assert_int_equal(c.port, 7411);
    config_free(&c);
}

static void test_flag_errors(void **state)
{
    const char *a1[] = {"x", "--port", "abc"};
    expect_flag_error(3, a1, "--port: not a number: abc");
    const char *a2[] = {"x", "--port=70000"};
    expect_flag_error(2, a2, "--port: out of range 0..65535: 70000");
    const char *a3[] = {"x", "--nope", "1"};
    expect_flag_error(3, a3, "--nope: unknown option (see --help)");
    const char *a4[] = {"x", "--port"};
    expect_flag_error(2, a4, "--port: missing value");
    const char *a5[] = {"x", "stray"};
    expect_flag_error(2, a5,
                      "stray: unexpected argument (flags are --key value)");
    const char *a6[] = {"x", "--config"};
    expect_flag_error(2, a6, "--config: missing value");
    const char *a7[] = {"x", "--config", "/nonexistent/em.conf"};
    struct config c;
    struct err err = {0};
    assert_int_equal(load_args(&c, &err, 3, a7), CONFIG_ERROR);
    assert_non_null(strstr(err.msg, "cannot open"));
    config_free(&c);
}

static void test_flag_values_may_look_like_flags(void **state)
{
    struct config c;
    struct err err = {0};
    const char *argv[] = {"x", "--admin-token", "--help", "--port", "1"};
    assert_int_equal(load_args(&c, &err, 5, argv), CONFIG_OK);
    assert_string_equal(c.admin_token, "--help");
    assert_int_equal(c.port, 1);
    config_free(&c);
}

/* Runs config_load with stdout sent to /dev/null. */
static enum config_result load_quietly(int argc, const char **argv)
{
    struct config c;
    struct err err = {0};
    fflush(stdout);
    int saved = dup(1);
    FILE *null = fopen("/dev/null", "w");
    assert_non_null(null);
    dup2(fileno(null), 1);
    enum config_result r = load_args(&c, &err, argc, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    fclose(null);
    config_free(&c);
    return r;
}

static void test_help_and_version_exit(void **state)
{
    const char *h[] = {"x", "--port", "1", "--help"};
    assert_int_equal(load_quietly(4, h), CONFIG_EXIT);
    const char *v[] = {"x", "--version"};
    assert_int_equal(load_quietly(2, v), CONFIG_EXIT);
    const char *s[] = {"x", "--print-sample"};
    assert_int_equal(load_quietly(2, s), CONFIG_EXIT);
}

static char *sample_text(size_t *len)
{
    char *buf = NULL;
    FILE *m = open_memstream(&buf, len);
    assert_non_null(m);
    config_print_sample(m);
    fclose(m);
    return buf;
}

static void test_committed_sample_equals_generated(void **state)
{
    size_t len;
    char *want = sample_text(&len);
    FILE *f = fopen(SAMPLE_PATH, "r");
    if (f == NULL)
        fail_msg("cannot open %s (run tests from the repository root)",
                 SAMPLE_PATH);
    char *have = malloc(len + 2);
    size_t got = fread(have, 1, len + 1, f);
    fclose(f);
    if (got != len || memcmp(have, want, len) != 0)
        fail_msg("%s is stale: regenerate it with "
                 "`bin/expomatchd --print-sample > %s`",
                 SAMPLE_PATH, SAMPLE_PATH);
    free(have);
    free(want);
}

static void test_sample_parses_back_to_defaults(void **state)
{
    struct config c, d;
    struct err err = {0};
    char path[64];
    size_t len;
    char *text = sample_text(&len);
    assert_int_equal(load_text(&c, text, &err, path), 0);
    config_defaults(&d);
    assert_string_equal(c.bind, d.bind);
    assert_string_equal(c.unix_socket, d.unix_socket);
    assert_string_equal(c.redis, d.redis);
    assert_int_equal(c.port, d.port);
    assert_int_equal(c.subscriber_buffer_limit, d.subscriber_buffer_limit);
    assert_int_equal(c.shutdown_timeout_ms, d.shutdown_timeout_ms);
    config_free(&c);
    free(text);
}

static void test_split_hostport(void **state)
{
    char host[64];
    int port = 0;
    assert_int_equal(hostport_split("127.0.0.1:6379", host, sizeof host, &port),
                     0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 6379);
    assert_int_equal(hostport_split("[::1]:7000", host, sizeof host, &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 7000);
    assert_int_equal(hostport_split("redis.local:1", host, sizeof host, &port),
                     0);
    assert_string_equal(host, "redis.local");
    assert_int_equal(hostport_split("::1:6379", host, sizeof host, &port), -1);
    assert_int_equal(hostport_split("h:0", host, sizeof host, &port), -1);
    assert_int_equal(hostport_split("h:65536", host, sizeof host, &port), -1);
    assert_int_equal(hostport_split(":80", host, sizeof host, &port), -1);
    assert_int_equal(hostport_split("[nothex]:80", host, sizeof host, &port),
                     -1);
    assert_int_equal(hostport_split("h:", host, sizeof host, &port), -1);
}

static void test_log_levels_and_line_format(void **state)
{
    enum log_level l;
    assert_int_equal(log_level_parse("warn", &l), 0);
    assert_int_equal(l, LOG_WARN);
    assert_int_equal(log_level_parse("verbose", &l), -1);

    char path[64];
    write_temp(path, "");
    assert_int_equal(log_open(path), 0);
    log_min_level = LOG_INFO;
    log_debug("hidden %d", 1);
    log_warn("two\nlines %s", "here");
    assert_int_equal(log_open(NULL), 0);

    char line[256] = {0};
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_null(fgets(line + 200, 50, f)); /* exactly one record */
    fclose(f);
    unlink(path);
    /* 2026-11-23T20:40:01.123Z [warn] two?lines here */
    assert_int_equal(strlen(line), 24 + strlen(" [warn] two?lines here\n"));
    assert_true(line[4] == '-' && line[10] == 'T' && line[19] == '.' &&
                line[23] == 'Z');
    assert_string_equal(line + 24, " [warn] two?lines here\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_match_the_contract),
        cmocka_unit_test(test_file_with_comments_quotes_and_blanks),
        cmocka_unit_test(test_file_errors_name_file_line_and_line),
        cmocka_unit_test(test_file_errors_hide_secrets),
        cmocka_unit_test(test_missing_file_is_an_error),
        cmocka_unit_test(test_ranges_are_inclusive),
        cmocka_unit_test(test_flags_win_over_file_wherever_config_is),
        cmocka_unit_test(test_no_flags_gives_defaults),
        cmocka_unit_test(test_flag_errors),
        cmocka_unit_test(test_flag_values_may_look_like_flags),
        cmocka_unit_test(test_help_and_version_exit),
        cmocka_unit_test(test_committed_sample_equals_generated),
        cmocka_unit_test(test_sample_parses_back_to_defaults),
        cmocka_unit_test(test_split_hostport),
        cmocka_unit_test(test_log_levels_and_line_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
