/* main.c: expomatchd: reads the configuration, connects to Redis, rebuilds
 * the state, then opens the RPC port; SIGTERM or SIGINT drains and exits 0. */
#include <signal.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "auth.h"
#include "config.h"
#include "expiry.h"
#include "handlers.h"
#include "follow.h"
#include "http.h"
#include "http_dashboard.h"
#include "log.h"
#include "match.h"
#include "metrics.h"
#include "notify.h"
#include "rpc.h"
#include "server.h"
#include "state.h"
#include "store.h"
#include "subs.h"
#include "sync.h"
#include "tls.h"

extern const char em_functions_lua[];
extern const size_t em_functions_lua_len;

static struct server srv;
static int exit_code;
static bool rebuilding;

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    log_info("received %s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    if (!srv.ready) {
        /* Nothing is in flight before the port opens. */
        event_base_loopexit(srv.base, NULL);
        return;
    }
    server_shutdown(&srv);
}

static void on_rebuilt(void *priv, bool ok)
{
    rebuilding = false;
    if (!ok) {
        /* The link went down meanwhile; the next link-up tries again. */
        log_warn("state rebuild failed; retrying when Redis is back");
        return;
    }
    log_info("state rebuilt: %u event(s), %lu participant(s)",
             state_counts.events, state_counts.participants);
    struct err err;
    if (server_listen(&srv, &err) < 0) {
        log_error("%s", err.msg);
        exit_code = 1;
        event_base_loopexit(srv.base, NULL);
        return;
    }
    srv.ready = true;
}

/* The background link: change-stream look-ups, events loaded as they
 * appear, request expiry. A link of its own, so that a burst of them never
 * queues in front of clients' requests. */
static struct store *sync_store;

static void on_sync_link(void *priv, bool up)
{
    if (!up)
        log_warn("lost the background link to Redis; reconnecting");
}

static void on_link(void *priv, bool up)
{
    if (up) {
        log_info("connected to Redis at %s", srv.cfg->redis);
        if (!srv.ready && !rebuilding && !srv.shutting_down) {
            rebuilding = true;
            state_rebuild(srv.store, on_rebuilt, NULL);
        }
    } else {
        log_warn("lost the link to Redis at %s; reconnecting", srv.cfg->redis);
    }
}

/* A change made through any daemon on this Redis. */
static void on_change(void *priv, const char *event, const char *kind,
                      const char *id, long long version, const char *extra)
{
    if (strcmp(kind, "token.revoke") == 0)
        server_close_token(&srv, event, id);
    else if (strcmp(kind, "profile.put") == 0)
        notify_participant_update(event, id, version, false);
    else if (strcmp(kind, "profile.delete") == 0)
        notify_participant_update(event, id, 0, true);
    sync_change(event, kind, id, version, extra);
}

static uint64_t now_ms(void)
{
    return now_us() / 1000;
}

/* Once a second: lets go of top lists nobody asked for lately, and
 * expires unanswered requests. */
static void on_match_tick(evutil_socket_t fd, short what, void *arg)
{
    match_expire(now_ms());
    if (srv.ready)
        expiry_sweep(sync_store, srv.follow);
}

static bool http_healthy(void *priv)
{
    return srv.store && store_is_up(srv.store);
}

static bool http_ready(void *priv)
{
    return srv.ready;
}

static double gauge_conns(void *p)
{
    return srv.nconns;
}
static double gauge_accepted(void *p)
{
    return (double)srv.conns_accepted;
}
static double gauge_rejected(void *p)
{
    return (double)srv.conns_rejected;
}
static double gauge_bad_frames(void *p)
{
    return (double)srv.frames_bad;
}
static double gauge_redis_up(void *p)
{
    return http_healthy(p) ? 1 : 0;
}
static double gauge_redis_pending(void *p)
{
    return srv.store ? (double)store_pending(srv.store) : 0;
}
static double gauge_ready(void *p)
{
    return srv.ready ? 1 : 0;
}

static double match_stat(void *p)
{
    struct match_stats st;
    match_get_stats(&st);
    return (double)*(unsigned long *)((char *)&st + (size_t)p);
}

static void register_match_gauges(void)
{
    metrics_register_gauge(
        "expomatch_participants", "Participants in the matching engine.", false,
        match_stat, (void *)offsetof(struct match_stats, profiles));
    metrics_register_gauge("expomatch_top_lists_kept",
                           "Top-10 lists kept up to date for match.new.", false,
                           match_stat,
                           (void *)offsetof(struct match_stats, active));
    metrics_register_gauge(
        "expomatch_match_features", "Distinct codes and words in the engine.",
        false, match_stat, (void *)offsetof(struct match_stats, features));
    metrics_register_gauge("expomatch_match_new_total",
                           "match.new entries found for watched lists.", true,
                           match_stat,
                           (void *)offsetof(struct match_stats, notified));
}

static void register_gauges(void)
{
    register_match_gauges();
    metrics_register_gauge("expomatch_connections", "Open RPC connections.",
                           false, gauge_conns, NULL);
    metrics_register_gauge("expomatch_connections_accepted_total",
                           "RPC connections accepted.", true, gauge_accepted,
                           NULL);
    metrics_register_gauge("expomatch_connections_rejected_total",
                           "Connections refused over maxclients.", true,
                           gauge_rejected, NULL);
    metrics_register_gauge("expomatch_bad_frames_total",
                           "Requests refused as malformed or over limits.",
                           true, gauge_bad_frames, NULL);
    metrics_register_gauge("expomatch_redis_up",
                           "1 while the Redis link answers.", false,
                           gauge_redis_up, NULL);
    metrics_register_gauge("expomatch_redis_pending",
                           "Redis commands awaiting a reply.", false,
                           gauge_redis_pending, NULL);
    metrics_register_gauge("expomatch_ready", "1 once the state is rebuilt.",
                           false, gauge_ready, NULL);
}

int main(int argc, char **argv)
{
    struct config cfg;
    struct err err;
    config_defaults(&cfg);
    enum config_result cr = config_load(&cfg, argc, argv, &err);
    if (cr == CONFIG_EXIT)
        return 0;
    if (cr == CONFIG_ERROR) {
        fprintf(stderr, "expomatchd: %s\n", err.msg);
        return 2;
    }
    enum log_level lvl;
    if (log_level_parse(cfg.log_level, &lvl) < 0) {
        fprintf(stderr,
                "expomatchd: log-level: '%s' is not one of debug, "
                "info, warn, error\n",
                cfg.log_level);
        return 2;
    }
    log_min_level = lvl;
    if (log_open(cfg.log_file) < 0) {
        fprintf(stderr, "expomatchd: cannot open log-file %s\n", cfg.log_file);
        return 2;
    }
    log_capture_libevent();
    signal(SIGPIPE, SIG_IGN);
    if (auth_init(&cfg, &err) < 0) {
        log_error("%s", err.msg);
        return 2;
    }
    if (tls_init(&cfg, &err) < 0) {
        log_error("%s", err.msg);
        return 2;
    }

    struct event_base *base = event_base_new();
    if (base == NULL) {
        log_error("cannot create the event loop");
        return 1;
    }
    server_init(&srv, base, &cfg, &err);
    struct match_config mc = {.active_seconds =
                                  (unsigned)cfg.match_keep_seconds,
                              .active_max = (unsigned)cfg.match_keep_max};
    match_init(&mc, notify_match_new, NULL);
    match_set_clock(now_ms);
    subs_init(match_watch);
    rpc_init();
    register_gauges();

    struct http_hooks hooks = {.healthy = http_healthy, .ready = http_ready};
    if (cfg.http_port > 0) {
        srv.http = http_start(base, cfg.bind, cfg.http_port, &hooks, &err);
        if (srv.http == NULL) {
            log_error("%s", err.msg);
            return 1;
        }
        http_dashboard_routes(srv.http, &cfg);
    }
    struct store_config sc = {
        .addr = cfg.redis,
        .password = cfg.redis_password,
        .timeout_ms = cfg.redis_timeout_ms,
        .sentinel = cfg.sentinel,
        .functions = em_functions_lua,
        .functions_len = em_functions_lua_len,
    };
    srv.store = store_new(base, &sc, on_link, NULL, &err);
    if (srv.store == NULL) {
        log_error("redis: %s", err.msg);
        return 1;
    }
    sync_store = store_new(base, &sc, on_sync_link, NULL, &err);
    if (sync_store == NULL) {
        log_error("redis: %s", err.msg);
        return 1;
    }
    sync_init(sync_store);
    srv.follow = follow_new(base, &sc, on_change, NULL, &err);
    if (srv.follow == NULL) {
        log_error("redis: %s", err.msg);
        return 1;
    }
    srv.sig_term = evsignal_new(base, SIGTERM, on_signal, NULL);
    srv.sig_int = evsignal_new(base, SIGINT, on_signal, NULL);
    event_add(srv.sig_term, NULL);
    event_add(srv.sig_int, NULL);
    struct timeval second = {1, 0};
    struct event *match_tick =
        event_new(base, -1, EV_PERSIST, on_match_tick, NULL);
    event_add(match_tick, &second);
    log_info("expomatchd %s starting; waiting for Redis at %s", EM_VERSION,
             cfg.redis);

    event_base_dispatch(base);

    log_info("exiting");
    /* The store first: failing its pending commands completes the
     * requests (and follower look-ups) that wait on them; then the
     * follower, then the connections. */
    schedule_shutdown();
    store_free(srv.store);
    store_free(sync_store);
    follow_free(srv.follow);
    server_free(&srv);
    tls_cleanup();
    subs_cleanup();
    match_shutdown();
    event_free(match_tick);
    if (srv.http)
        http_free(srv.http);
    event_free(srv.sig_term);
    event_free(srv.sig_int);
    event_base_free(base);
    auth_cleanup();
    config_free(&cfg);
    return exit_code;
}
