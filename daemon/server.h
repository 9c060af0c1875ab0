/* server.h: the daemon's shared state: the event loop, configuration,
 * listeners, the list of connections, the store link and the periodic
 * housekeeping (timeouts), plus graceful shutdown. */
#ifndef EM_SERVER_H
#define EM_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <msgpack.h>

#include "config.h"
#include "conn.h"
#include "err.h"

struct store;
struct http;
struct follow;
struct accept_guard;

struct server {
    struct event_base *base;
    struct config *cfg;
    struct store *store;
    struct http *http;
    struct follow *follow; /* change streams of other daemons' writes */

    struct evconnlistener *tcp, *unix_sock; /* RPC listeners, NULL if off */
    struct evconnlistener *tls;             /* TLS RPC port, or NULL */
    struct accept_guard *tcp_guard, *unix_guard; /* pause them on EMFILE */
    struct accept_guard *tls_guard;              /* same for the TLS port */
    struct event *cron;                          /* timeouts, every 200 ms */
    struct event *sig_term, *sig_int;
    struct event *shutdown_deadline;
    struct event *ev_flush;  /* runs the flush list */
    struct conn *flush_head; /* conns with replies to write */

    struct conn *conns; /* all connections not yet freed */
    unsigned nconns;    /* open ones (not CLOSED) */
    uint64_t next_conn_id;

    msgpack_zone zone; /* unpacked request objects, cleared per request */

    struct revoked_token {
        char event[65], id[33];
        uint64_t at_ms;
    } revoked[64];         /* ring of recent revocations */
    unsigned revoked_next; /* next slot of that ring to fill */

    bool ready; /* state rebuilt from the store */
    bool shutting_down;

    /* counters for /metrics */
    uint64_t conns_accepted, conns_rejected, frames_bad;
};

extern struct server *srv_global;

int server_init(struct server *s, struct event_base *base, struct config *cfg,
                struct err *err);

/* Opens the RPC listeners (after the state is rebuilt). */
int server_listen(struct server *s, struct err *err);

/* Stops accepting, drains every connection and leaves the loop once all
 * in-flight replies are written or the shutdown timeout passes. */
void server_shutdown(struct server *s);

/* Called by conn.c when a connection is finally released. */
void server_conn_freed(struct server *s, struct conn *c);

/* Queues c to be flushed after the current callbacks (one write for all
 * replies that completed meanwhile). */
void server_queue_flush(struct server *s, struct conn *c);

/* Closes every open connection authenticated with this token, and
 * remembers it for a while (server_recently_revoked). */
void server_close_token(struct server *s, const char *event,
                        const char *token_id);

/* Whether this token was revoked in the last minute, as seen here. */
bool server_recently_revoked(const struct server *s, const char *event,
                             const char *token_id);

void server_free(struct server *s);

/* Monotonic microseconds, for latency. */
uint64_t now_us(void);
/* Wall-clock unix seconds. */
int64_t now_unix(void);

#endif
