/* aclient.h: an asynchronous MessagePack-RPC client for expomatchd on a
 * libevent loop (TCP or Unix socket), used by expomatch-loadgen and tests.
 *
 * One connection carries many calls at once: emca_call() queues
 * [0, msgid, method, [args]] and returns at once; the reply callback runs
 * later on the loop, when the response with the same msgid arrives (in any
 * order), when the call's own deadline passes, or when the connection fails
 * or is closed. Server notifications ([2, method, params]) go to a
 * connection-wide callback. With a token in the options, `auth` is sent as
 * the first call and the connection is ready once it succeeded; calls made
 * before that are queued behind it (the server handles pipelined requests
 * after the outcome of the auth before them).
 *
 * Callbacks:
 * - A reply callback runs exactly once for each call that emca_call()
 *   accepted (returned a non-zero msgid), never from inside emca_call()
 *   itself, and never after emca_free() returned.
 * - When the connection fails (connect refused or timed out, auth refused,
 *   I/O error, the peer closed, a malformed or over-limit reply), every
 *   pending call fails once with EMCA_FAILED, then the state callback runs
 *   once with EMCA_ST_FAILED. emca_close() and emca_free() fail pending calls
 *   the same way (kind EMCA_ERR_CLOSED) but do not run the state callback.
 * - Any callback may make calls, close the connection or free it: a free
 *   from inside one of the connection's own callbacks is finished when that
 *   callback returns.
 *
 * Ownership:
 * - A successful reply's `result` and everything it points to live in
 *   `zone`, which the library frees when the callback returns, unless the
 *   callback took it with emca_reply_take_zone(); then the caller frees it
 *   with msgpack_zone_free(). It does not depend on the connection.
 * - Error replies are copied into the reply's struct emc_error (fixed
 *   buffers, control characters replaced); notification params live only
 *   until the notification callback returns.
 * - emca_call() copies args; the caller keeps its own.
 *
 * Limits: replies are untrusted. A reply over the byte limit (default
 * 64 MiB) or nested deeper than the depth limit (default 32, msgpack-c's
 * own) is refused by proto/mpscan before anything is allocated for it, and
 * the connection fails with EMCA_ERR_TOO_LARGE. A decoded reply takes at
 * most about 24 bytes of memory per reply byte. A response whose msgid is
 * not pending (its call timed out) is dropped and counted; an error
 * response with msgid 0 (the server could not read a request) goes to the
 * oldest pending call. Replies to pending calls are looked up from the
 * oldest, so in-order replies cost O(1) each.
 *
 * Host names are resolved with a blocking getaddrinfo() in
 * emca_connect_tcp(); inside a running loop pass IP literals ("127.0.0.1",
 * "::1" or "[::1]").
 *
 * Not thread-safe: a connection belongs to the thread that runs its
 * event_base. Writes go through a bufferevent, so a closed peer is an
 * error, not a SIGPIPE (libevent sends with MSG_NOSIGNAL where it can; a
 * program should still ignore SIGPIPE). */
#ifndef EM_ACLIENT_H
#define EM_ACLIENT_H

#include "client.h" /* struct emc_error */

#include <event2/event.h>
#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

/* Outcome of one call, in its reply. */
enum emca_status {
    EMCA_OK = 0,          /* result and zone filled */
    EMCA_REPLY_ERROR = 1, /* the server answered with an error; error filled */
    EMCA_FAILED = -1      /* no answer: see kind; error.code names it too */
};

/* Why a call or the connection failed; error.code of a failed call is the
 * name in quotes. */
enum emca_errkind {
    EMCA_ERR_NONE = 0,
    EMCA_ERR_IO,        /* "io": connect or socket error */
    EMCA_ERR_TIMEOUT,   /* "timeout": the call's (or connect's) deadline */
    EMCA_ERR_EOF,       /* "eof": the server closed the connection */
    EMCA_ERR_PROTOCOL,  /* "protocol": a reply that is not MessagePack-RPC */
    EMCA_ERR_TOO_LARGE, /* "too_large": a reply over the size or depth limit */
    EMCA_ERR_AUTH,      /* "auth": the server refused the token */
    EMCA_ERR_CLOSED     /* "closed": emca_close() or emca_free() */
};

/* Where a connection is in its life. */
enum emca_state {
    EMCA_ST_CONNECTING, /* connect (and auth, with a token) under way; calls
                           made now are queued */
    EMCA_ST_READY,      /* usable */
    EMCA_ST_FAILED,     /* failed; calls are refused; see emca_err() */
    EMCA_ST_CLOSED      /* closed by emca_close(); calls are refused */
};

/* What a reply callback receives. The struct itself lives only during the
 * callback. */
struct emca_reply {
    enum emca_status status; /* see enum emca_status */
    enum emca_errkind kind;  /* EMCA_FAILED: why; EMCA_ERR_NONE otherwise */
    uint32_t msgid;          /* the call's msgid */
    msgpack_object result;   /* EMCA_OK: the result; nil otherwise */
    msgpack_zone *zone;      /* EMCA_OK: owns result; NULL otherwise */
    struct emc_error error;  /* EMCA_REPLY_ERROR: the server's code and
                                message; EMCA_FAILED: the kind's name and
                                what happened */
};

struct emca; /* one connection; opaque */

/* Runs once per accepted call; see "Callbacks" above. */
typedef void (*emca_reply_fn)(struct emca *c, struct emca_reply *reply,
                              void *arg);

/* Runs for each server notification; method is not NUL-terminated and
 * params lives until the callback returns. */
typedef void (*emca_notify_fn)(struct emca *c, const char *method,
                               size_t method_len, const msgpack_object *params,
                               void *arg);

/* Runs once when the connection becomes ready (EMCA_ST_READY) and once
 * when it fails (EMCA_ST_FAILED; emca_err() says why). A connection may
 * fail without ever having been ready. */
typedef void (*emca_state_fn)(struct emca *c, enum emca_state state, void *arg);

/* Connection options; a zeroed struct gives the defaults. */
struct emca_options {
    const char *token;      /* auth as the first call; NULL: none (copied,
                               wiped from memory after use) */
    int connect_timeout_ms; /* connect plus auth; 0: 10000, <0: none */
    int call_timeout_ms;    /* default deadline of each call; <=0: none */
    size_t max_reply_bytes; /* bytes of one reply (>= 64); 0: 64 MiB */
    int max_depth;          /* nesting of one reply (1-32); 0: 32 */
    emca_state_fn on_state; /* may be NULL */
    void *state_arg;
    emca_notify_fn on_notify; /* NULL drops notifications */
    void *notify_arg;
    void *data; /* for the caller; see emca_data() */
};

/* Starts connecting to host (IPv4 or IPv6 literal, optionally in brackets,
 * or a name resolved at once with a blocking lookup) and port on base,
 * trying each resolved address in turn. Returns NULL, with a message in
 * errbuf, only when the address is bad or no socket could be made; a
 * refused or timed-out connect is reported later through on_state. */
struct emca *emca_connect_tcp(struct event_base *base, const char *host,
                              int port, const struct emca_options *opts,
                              char *errbuf, size_t errlen);

/* Same for a Unix stream socket at path. */
struct emca *emca_connect_unix(struct event_base *base, const char *path,
                               const struct emca_options *opts, char *errbuf,
                               size_t errlen);

/* Queues a call of method with args (a map of named arguments, or NULL for
 * none, sent as an empty params array); cb (may be NULL) runs once later.
 * Returns the call's msgid (never 0), or 0 when the connection is failed or
 * closed, in which case cb never runs. */
uint32_t emca_call(struct emca *c, const char *method,
                   const msgpack_object *args, emca_reply_fn cb, void *arg);

/* Same, with args already packed as exactly one MessagePack object of
 * args_len bytes (normally a map); args NULL or args_len 0 means none. */
uint32_t emca_call_packed(struct emca *c, const char *method, const void *args,
                          size_t args_len, emca_reply_fn cb, void *arg);

/* Deadline of the calls queued after this, in milliseconds (<=0: none). */
void emca_set_call_timeout(struct emca *c, int timeout_ms);

/* Fails every pending call (kind EMCA_ERR_CLOSED) and closes the socket;
 * the struct stays valid (state EMCA_ST_CLOSED) until emca_free(). Unsent
 * requests are dropped. Safe on a failed or closed connection. */
void emca_close(struct emca *c);

/* emca_close(), then frees c. NULL is allowed. From inside one of c's own
 * callbacks, the memory is released when that callback returns. */
void emca_free(struct emca *c);

/* Takes ownership of a successful reply's zone: the library will not free
 * it. Returns NULL for a reply without one. */
msgpack_zone *emca_reply_take_zone(struct emca_reply *reply);

enum emca_state emca_get_state(const struct emca *c);

/* Why the connection failed (EMCA_ERR_NONE while healthy or closed by the
 * caller), and what happened ("" while healthy). */
enum emca_errkind emca_err(const struct emca *c);
const char *emca_errstr(const struct emca *c);

/* The role the auth reply granted ("" before it, or without a token). */
const char *emca_role(const struct emca *c);

/* Calls queued and not yet answered. */
size_t emca_pending(const struct emca *c);

/* Responses dropped because no call with their msgid was pending. */
uint64_t emca_stray_replies(const struct emca *c);

/* The options' data pointer. */
void *emca_data(const struct emca *c);

/* The name of a failure kind: "io", "timeout"... ("" for NONE). */
const char *emca_errkind_name(enum emca_errkind kind);

#endif
