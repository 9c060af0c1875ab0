/* conn.h: one client connection: its state machine, the bounded input
 * buffer fed to the frame scanner, the ordered queue of requests in flight,
 * the output buffer and back-pressure. Requests are dispatched by rpc.c. */
#ifndef EM_CONN_H
#define EM_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <msgpack.h>

#include "err.h"
#include "mpscan.h"

struct server;
struct transport_ops;
struct method;
struct subs_member;
struct audit_rec;

enum conn_state {
    CONN_OPEN,     /* reading requests and writing replies */
    CONN_DRAINING, /* no more reading; close once in-flight replies are out */
    CONN_CLOSED    /* socket closed; freed when the last request lets go */
};

enum role {
    ROLE_NONE = 0,
    ROLE_ADMIN = 1 << 0,
    ROLE_ORGANIZER = 1 << 1,
    ROLE_KIOSK = 1 << 2,
    ROLE_APP = 1 << 3,
};

/* A growable byte buffer; `off` bytes at the front are already consumed. */
struct buf {
    char *p;
    size_t off, len, cap;
};

/* One request from the moment it is read until its reply is queued. */
struct req {
    struct req *next;          /* next request of the same connection */
    struct conn *conn;         /* owner; stays valid (refcounted) until done */
    struct method *method;     /* NULL for framing errors */
    uint32_t msgid;            /* echoed in the reply */
    bool done;                 /* reply is complete */
    bool direct;               /* reply was packed straight into conn->out */
    uint64_t start_us;         /* monotonic time the request was read */
    msgpack_sbuffer sbuf;      /* reply bytes while earlier replies wait */
    msgpack_packer pk;         /* packs into sbuf or conn->out */
    void *priv;                /* handler state while the request is async */
    void (*priv_free)(void *); /* frees priv when the reply is done */
    size_t bytes;              /* request size, counted in inflight_bytes */
    struct audit_rec *audit;   /* its audit entry (audit.c), or NULL */
};

struct conn {
    struct conn *prev, *next; /* server's list of connections */
    struct server *srv;       /* the daemon's shared state */
    uint64_t id;              /* for logs; never reused */
    enum conn_state state;    /* see enum conn_state */
    int fd;                   /* the socket; -1 once closed */
    char peer[64];            /* printable peer address for logs */

    const struct transport_ops *tr;   /* raw sockets or TLS */
    void *tr_priv;                    /* TLS transport's own state */
    struct event *ev_read, *ev_write; /* raw transport's events */
    bool want_read, want_write;       /* events armed */
    struct event *ev_more;   /* resumes parsing input left by a capped batch */
    struct conn *flush_next; /* in the server's list of conns to flush */
    bool flush_queued;       /* on that list */
    bool in_batch;           /* parsing input: flush once at the end */
    uint64_t batch_us;       /* monotonic time the current batch was read */

    struct buf in;      /* unparsed input, bounded by the request limit */
    struct mpscan scan; /* frame scanner state over `in` */
    struct buf out;     /* reply bytes not yet written */
    bool blocked;       /* back-pressure: reading paused */
    bool input_paused;  /* an auth is in flight: later requests wait */

    struct req *head, *tail; /* requests in arrival order, replies pending */
    unsigned inflight;       /* requests in that queue */
    size_t inflight_bytes;   /* their request bytes (bounds held memory) */
    unsigned refs; /* holders: requests, running callbacks, the flush list */

    /* authentication */
    enum role role;        /* ROLE_NONE until auth succeeds */
    char event[65];        /* event in scope ("" for admin) */
    char token_id[33];     /* id of the token used, for revocation/audit */
    int64_t token_expires; /* unix seconds, 0 = never */

    /* timing and limits */
    uint64_t connected_ms;   /* monotonic milliseconds at accept */
    uint64_t last_active_ms; /* monotonic milliseconds of the last request */
    uint64_t drain_ms;       /* when draining began */
    int64_t rate_second;     /* rate-limit window (unix second) */
    unsigned rate_count;     /* requests in that window */

    /* subscriptions (subs.c) and their notifications */
    struct subs_member *subs; /* the topics it holds */
    unsigned nsubs;           /* how many */
    unsigned subs_epoch;      /* bumped each time they are all dropped */
    bool packing;             /* a reply is being packed straight into out */
    struct buf held;          /* notifications that came meanwhile */
};

/* Creates a connection on an accepted non-blocking socket, with the
 * transport that attach sets up (transport.h). */
struct conn *conn_new(struct server *srv, int fd, const char *peer,
                      int (*attach)(struct conn *c, int fd));

/* Transport callbacks: the socket is readable / writable. */
void conn_on_readable(struct conn *c);
void conn_on_writable(struct conn *c);

/* Gives back buffer memory of a connection that has gone quiet (the
 * server's housekeeping calls it). */
void conn_release_idle_buffers(struct conn *c);

/* Stops reading; closes once the replies already owed are written. */
void conn_drain(struct conn *c);

/* For shutdown: first handles the complete requests already received,
 * then drains. */
void conn_finish_and_drain(struct conn *c);

/* Closes now, discarding pending output; freed once no request holds it. */
void conn_close(struct conn *c, const char *why);

/* Writes one error response (used for framing errors and maxclients) and
 * closes after it is flushed. */
void conn_fail(struct conn *c, uint32_t msgid, enum errcode code,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Writes what the server's flush list queued for c (server.c calls it). */
void conn_flush_queued(struct conn *c);

/* Queues a new request read from c. */
struct req *conn_req_new(struct conn *c, uint32_t msgid, struct method *m,
                         size_t bytes);

/* Holds back parsing further requests (their dispatch depends on an auth
 * still in flight) and resumes it. Safe on a closed connection. */
void conn_pause_input(struct conn *c);
void conn_resume_input(struct conn *c);

/* Marks r's reply complete and flushes whatever replies are now in order.
 * Frees r. */
void conn_req_done(struct req *r);

/* Whether the reply of r may be packed straight into the output buffer. */
bool conn_req_is_head(const struct req *r);

/* Queues one complete notification frame ([2, method, params]) for an
 * open, authenticated connection, between whole replies, and flushes it
 * soon. A connection whose unwritten output would pass the config's
 * subscriber-buffer-limit is closed instead: a subscriber that does not
 * read never holds up anyone else. Returns 0 when queued, else -1. */
int conn_notify(struct conn *c, const void *frame, size_t len);

#endif
