/* loadgen.c: expomatch-loadgen, which simulates an expo day against a
 * daemon (kiosks and app backends on one libevent loop) and reports
 * throughput, latency and errors per method; the command line and the
 * run's phases. See docs/loadgen.md. */
#include "loadgen.h"

#include "numarg.h"
#include "token.h"
#include "xmalloc.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT 7411
#define DEFAULT_SECONDS 10
#define MAX_WORKERS 2000
#define MAX_SESSIONS 256
#define MAX_PARTICIPANTS 1000000 /* ids are p000000-p999999 */
#define MAX_SECONDS 86400
#define CONNECT_TIMEOUT_MS 5000

int64_t lg_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

uint64_t lg_rand(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dull;
}

int lg_randn(uint64_t *state, int n)
{
    if (n <= 1)
        return 0;
    return (int)((lg_rand(state) >> 33) % (uint64_t)n);
}

void lg_conn_options(const struct lg *lg, struct emca_options *o,
                     const char *token)
{
    memset(o, 0, sizeof *o);
    o->token = token;
    o->connect_timeout_ms = CONNECT_TIMEOUT_MS;
    o->call_timeout_ms = lg->o.timeout_ms;
    /* Replies here are small; a megabyte is plenty and bounds memory. */
    o->max_reply_bytes = (size_t)1 << 20;
}

struct emca *lg_connect(struct lg *lg, const struct emca_options *o)
{
    char err[256];
    struct emca *c =
        lg->o.socket != NULL
            ? emca_connect_unix(lg->base, lg->o.socket, o, err, sizeof err)
            : emca_connect_tcp(lg->base, lg->o.host, lg->o.port, o, err,
                               sizeof err);
    if (c == NULL)
        fprintf(stderr, "expomatch-loadgen: %s\n", err);
    return c;
}

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: expomatch-loadgen [-h HOST] [-p PORT] [-s SOCKET] -a "
        "ADMIN_TOKEN|@FILE\n"
        "                         [--kiosks N] [--apps M] [--app-sessions "
        "S]\n"
        "                         [--seconds T] [--ops K] [--participants "
        "P]\n"
        "                         [--event ID] [--seed S] [--rate "
        "OPS_PER_S]\n"
        "                         [--max-error-rate R] [--timeout MS]\n"
        "                         [--ack-log FILE] [--retry N]\n"
        "\n"
        "Simulates an expo day against expomatchd: creates an event with P\n"
        "participants (not measured), then runs N kiosks and M app backends\n"
        "for T seconds or K calls, and prints per-method throughput, latency\n"
        "and errors, then one line for scripts:\n"
        "  loadgen: ops=N ok=N expected=N errors=N seconds=S ops_per_s=X\n"
        "           p50_ms=A p99_ms=B p999_ms=C\n"
        "\n"
        "  -h HOST            server host (default %s)\n"
        "  -p PORT            server port (default %d)\n"
        "  -s SOCKET          connect to a Unix socket instead\n"
        "  -a TOKEN|@FILE     the admin token, or a file holding it "
        "(default:\n"
        "                     EXPOMATCH_TOKEN)\n"
        "  --kiosks N         kiosk connections, one visitor at a time "
        "(default 4)\n"
        "  --apps M           app-backend connections (default 4)\n"
        "  --app-sessions S   calls in flight per app backend (default 4)\n"
        "  --seconds T        run time (default %d unless --ops is given)\n"
        "  --ops K            stop after exactly K calls\n"
        "  --participants P   participants registered in setup (default "
        "200)\n"
        "  --event ID         the event to create (default loadgen-SEED-PID); "
        "an\n"
        "                     existing event of that id is replaced\n"
        "  --seed S           random seed (default 1)\n"
        "  --rate R           start at most R calls per second in all\n"
        "  --max-error-rate R errors per call tolerated before exiting 1 "
        "(default 0)\n"
        "  --timeout MS       deadline of each call (default 10000)\n"
        "  --ack-log FILE     write one line per acknowledged write to FILE\n"
        "  --retry N          after unavailable, a timeout or a lost "
        "connection,\n"
        "                     send the same call again up to N times (same\n"
        "                     request_id; backoff 50 ms to 1 s), re-make lost\n"
        "                     connections, and count unavailable as expected\n"
        "                     (setup calls are sent again after unavailable)\n"
        "\n"
        "Errors: a reply with code `conflict` is an expected outcome of a "
        "busy\n"
        "day (counted as `expected`); every other error code and every "
        "transport\n"
        "failure (timeout, eof, closed...) is an error.\n"
        "\n"
        "Exit status: 0 the run had no errors (or under --max-error-rate); 1\n"
        "errors, or setup failed; 2 the admin token was refused; 3 could not\n"
        "connect; 64 usage error. SIGINT stops the run and prints the "
        "summary.\n",
        DEFAULT_HOST, DEFAULT_PORT, DEFAULT_SECONDS);
}

/* The token itself: the argument, or the trimmed content of @FILE. */
static char *load_token(const char *arg)
{
    char err[300];
    char *tok = emc_token_load(arg, err, sizeof err);
    if (tok == NULL)
        fprintf(stderr, "expomatch-loadgen: %s\n", err);
    return tok;
}

static bool valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "0123456789_.-",
                   s[i]) == NULL)
            return false;
    return true;
}

/* Fills o from argv; -1 after saying why, 1 for --help. */
static int parse_options(int argc, char **argv, struct lg_options *o)
{
    enum {
        O_KIOSKS = 256,
        O_APPS,
        O_SESSIONS,
        O_SECONDS,
        O_OPS,
        O_PARTICIPANTS,
        O_EVENT,
        O_SEED,
        O_RATE,
        O_MAXERR,
        O_TIMEOUT,
        O_ACKLOG,
        O_RETRY,
        O_HELP
    };
    static const struct option longopts[] = {
        {"kiosks", required_argument, NULL, O_KIOSKS},
        {"apps", required_argument, NULL, O_APPS},
        {"app-sessions", required_argument, NULL, O_SESSIONS},
        {"seconds", required_argument, NULL, O_SECONDS},
        {"ops", required_argument, NULL, O_OPS},
        {"participants", required_argument, NULL, O_PARTICIPANTS},
        {"event", required_argument, NULL, O_EVENT},
        {"seed", required_argument, NULL, O_SEED},
        {"rate", required_argument, NULL, O_RATE},
        {"max-error-rate", required_argument, NULL, O_MAXERR},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"ack-log", required_argument, NULL, O_ACKLOG},
        {"retry", required_argument, NULL, O_RETRY},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *auth = NULL, *event = NULL;
    double v;
    int ch;

    o->host = DEFAULT_HOST;
    o->port = DEFAULT_PORT;
    o->kiosks = 4;
    o->apps = 4;
    o->app_sessions = 4;
    o->participants = 200;
    o->seed = 1;
    o->timeout_ms = 10000;
    o->setup_window = 32;
    while ((ch = getopt_long(argc, argv, "h:p:s:a:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h': o->host = optarg; break;
        case 's': o->socket = optarg; break;
        case 'a': auth = optarg; break;
        case 'p':
            if (emc_parse_double(optarg, 1, 65535, &v) < 0)
                goto bad;
            o->port = (int)v;
            break;
        case O_KIOSKS:
            if (emc_parse_double(optarg, 0, MAX_WORKERS, &v) < 0)
                goto bad;
            o->kiosks = (int)v;
            break;
        case O_APPS:
            if (emc_parse_double(optarg, 0, MAX_WORKERS, &v) < 0)
                goto bad;
            o->apps = (int)v;
            break;
        case O_SESSIONS:
            if (emc_parse_double(optarg, 1, MAX_SESSIONS, &v) < 0)
                goto bad;
            o->app_sessions = (int)v;
            break;
        case O_SECONDS:
            if (emc_parse_double(optarg, 0.1, MAX_SECONDS, &v) < 0)
                goto bad;
            o->seconds = v;
            break;
        case O_OPS:
            if (emc_parse_double(optarg, 1, 1e12, &v) < 0)
                goto bad;
            o->ops = (long long)v;
            break;
        case O_PARTICIPANTS:
            if (emc_parse_double(optarg, 2, MAX_PARTICIPANTS, &v) < 0)
                goto bad;
            o->participants = (int)v;
            break;
        case O_EVENT: event = optarg; break;
        case O_SEED:
            if (emc_parse_double(optarg, 0, 1e15, &v) < 0)
                goto bad;
            o->seed = (uint64_t)v;
            break;
        case O_RATE:
            if (emc_parse_double(optarg, 0, 1e9, &v) < 0)
                goto bad;
            o->rate = v;
            break;
        case O_MAXERR:
            if (emc_parse_double(optarg, 0, 1, &v) < 0)
                goto bad;
            o->max_error_rate = v;
            break;
        case O_TIMEOUT:
            if (emc_parse_double(optarg, 1, 600000, &v) < 0)
                goto bad;
            o->timeout_ms = (int)v;
            break;
        case O_ACKLOG: o->ack_log = optarg; break;
        case O_RETRY:
            if (emc_parse_double(optarg, 0, 1000, &v) < 0)
                goto bad;
            o->retry = (int)v;
            break;
        case O_HELP: return 1;
        default: return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "expomatch-loadgen: unexpected argument: %s\n",
                argv[optind]);
        return -1;
    }
    if (o->kiosks + o->apps == 0) {
        fprintf(stderr, "expomatch-loadgen: no kiosks and no apps\n");
        return -1;
    }
    if (o->seconds == 0 && o->ops == 0)
        o->seconds = DEFAULT_SECONDS;
    if (event == NULL) {
        snprintf(o->event, sizeof o->event, "loadgen-%llu-%ld",
                 (unsigned long long)o->seed, (long)getpid());
    } else if (!valid_id(event)) {
        fprintf(stderr,
                "expomatch-loadgen: bad --event: 1-64 of A-Za-z0-9_.-\n");
        return -1;
    } else {
        snprintf(o->event, sizeof o->event, "%s", event);
    }
    if (auth == NULL) {
        auth = getenv("EXPOMATCH_TOKEN");
        if (auth == NULL || auth[0] == '\0') {
            fprintf(stderr, "expomatch-loadgen: no admin token: give -a "
                            "TOKEN|@FILE or set EXPOMATCH_TOKEN\n");
            return -1;
        }
    }
    o->admin_token = load_token(auth);
    return o->admin_token != NULL ? 0 : -1;
bad:
    fprintf(stderr, "expomatch-loadgen: bad option value: %s\n", optarg);
    return -1;
}

/* SIGINT: the first stops the run (the summary still prints), the second
 * ends it without waiting for calls in flight. */
static void on_sigint(evutil_socket_t sig, short what, void *arg)
{
    struct lg *lg = arg;
    if (lg->setup_phase < 3) {
        lg_fatal(lg, LG_EXIT_ERRORS, "interrupted during setup");
        return;
    }
    if (!lg->stopping) {
        fprintf(stderr, "expomatch-loadgen: interrupted; finishing the calls "
                        "in flight (^C again to stop now)\n");
        lg_flows_stop(lg);
    } else {
        lg_flows_force(lg);
    }
}

int main(int argc, char **argv)
{
    static struct lg lg; /* static: the histograms are large for a stack */

    int r = parse_options(argc, argv, &lg.o);
    if (r != 0) {
        if (r > 0)
            usage(stdout);
        else
            fprintf(stderr, "(expomatch-loadgen --help for usage)\n");
        return r > 0 ? LG_EXIT_OK : LG_EXIT_USAGE;
    }
    signal(SIGPIPE, SIG_IGN);
    lg.base = event_base_new();
    if (lg.base == NULL) {
        fprintf(stderr, "expomatch-loadgen: cannot make an event loop\n");
        return LG_EXIT_ERRORS;
    }
    if (lg.o.ack_log != NULL && lg_ack_open(&lg, lg.o.ack_log) < 0)
        return LG_EXIT_USAGE;
    lg.rng = lg.o.seed + 0x51ed27;
    for (int i = 0; i < LG_NMETHODS; i++)
        lg_stats_init(&lg.stats[i], lg_method_names[i]);
    lg.nworkers = lg.o.kiosks + lg.o.apps;
    lg.workers = xcalloc((size_t)lg.nworkers, sizeof *lg.workers);
    for (int i = 0; i < lg.nworkers; i++) {
        lg.workers[i].lg = &lg;
        lg.workers[i].kiosk = i < lg.o.kiosks;
        lg.workers[i].index = i < lg.o.kiosks ? i : i - lg.o.kiosks;
    }
    struct event *sig = evsignal_new(lg.base, SIGINT, on_sigint, &lg);
    evsignal_add(sig, NULL);

    lg_setup_start(&lg);
    if (lg.exit_status == LG_EXIT_OK)
        event_base_dispatch(lg.base);

    int status = lg.exit_status;
    if (status == LG_EXIT_OK || lg.t_start != 0) {
        printf("expomatch-loadgen: event %s: %d participants, %d kiosks, %d "
               "apps x %d sessions, seed %llu\n",
               lg.o.event, lg.o.participants, lg.o.kiosks, lg.o.apps,
               lg.o.app_sessions, (unsigned long long)lg.o.seed);
        printf("setup: event, %d tokens, %d profiles in %.2f s (profile.put "
               "p50 %.2f ms, p99 %.2f ms)\n",
               lg.nworkers, lg.o.participants, lg.setup_seconds,
               (double)lg_hist_quantile(&lg.setup_lat, 0.5) / 1000,
               (double)lg_hist_quantile(&lg.setup_lat, 0.99) / 1000);
        double secs = (double)(lg.t_end - lg.t_start) / 1e6;
        struct lg_totals t;
        if (lg.o.retry > 0)
            /* Before the report, whose last line stays the last. */
            printf("faults: unavailable=%lld retries=%lld reconnects=%lld "
                   "attempt_timeouts=%lld max_attempt_ms=%.1f\n",
                   lg.unavailable, lg.retries, lg.reconnects,
                   lg.attempt_timeouts, (double)lg.max_attempt_us / 1000);
        lg_report(stdout, lg.stats, LG_NMETHODS, secs, &t);
        if (status == LG_EXIT_OK && t.errors > 0) {
            double rate = t.ops > 0 ? (double)t.errors / (double)t.ops : 1;
            if (rate > lg.o.max_error_rate) {
                fprintf(
                    stderr, "expomatch-loadgen: %llu errors in %llu calls\n",
                    (unsigned long long)t.errors, (unsigned long long)t.ops);
                status = LG_EXIT_ERRORS;
            }
        }
    }

    lg_setup_free(&lg);
    if (lg.admin != NULL)
        emca_free(lg.admin);
    lg_flows_free(&lg);
    lg_ack_close(&lg);
    free(lg.workers);
    free(lg.parts);
    event_free(sig);
    event_base_free(lg.base);
    explicit_bzero(lg.o.admin_token, strlen(lg.o.admin_token));
    free(lg.o.admin_token);
    return status;
}
