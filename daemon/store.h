/* store.h: the link to Redis, the source of truth. One hiredis async
 * context on the daemon's libevent loop, with what hiredis 0.14 lacks built
 * around it: connect and command deadlines, reconnection with backoff, the
 * expomatch function library loaded on every (re)connect, and errors mapped
 * to the contract's codes. */
#ifndef EM_STORE_H
#define EM_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "err.h"

struct store;

struct store_config {
    const char *addr;      /* "host:port" or "[v6]:port"; resolved once */
    const char *password;  /* NULL or "" for none */
    int timeout_ms;        /* connect and command deadline */
    const char *sentinel;  /* NULL or "": addr is the primary; else
                              "NAME host:port,..." and the primary is
                              asked of these sentinels on every connect */
    const char *functions; /* Lua source of the function library */
    size_t functions_len;
};

/* Exactly one call per command. On success err is NULL and reply is the
 * Redis reply (valid only during the call). Otherwise reply is NULL and err
 * says why: ERR_UNAVAILABLE for a timeout, no connection or -LOADING; the
 * contract's code when a function raised "<code> <message>" (for example
 * redis.error_reply("conflict stale if_version")); ERR_INTERNAL for any
 * other Redis error (logged). */
typedef void store_cb(void *priv, const redisReply *reply,
                      const struct err *err);

/* Called whenever the link becomes usable (connected, authenticated,
 * functions loaded) or is lost. */
typedef void store_link_cb(void *priv, bool up);

/* Resolves addr (the only blocking lookup) and starts connecting. NULL with
 * err filled when addr is malformed or does not resolve. */
struct store *store_new(struct event_base *base, const struct store_config *cfg,
                        store_link_cb *link_cb, void *link_priv,
                        struct err *err);

/* Sends one command. Never blocks; when the link is down, cb runs with
 * ERR_UNAVAILABLE from the event loop (not from inside this call). */
void store_commandv(struct store *st, int argc, const char **argv,
                    const size_t *argvlen, store_cb *cb, void *priv);

/* store_commandv with its own deadline (timeout_ms <= 0: the default),
 * for commands that block on purpose such as XREAD BLOCK: give the block
 * time plus a margin. */
void store_commandv_timeout(struct store *st, int timeout_ms, int argc,
                            const char **argv, const size_t *argvlen,
                            store_cb *cb, void *priv);

/* printf-like convenience over store_commandv (hiredis format rules). */
void store_command(struct store *st, store_cb *cb, void *priv, const char *fmt,
                   ...);

/* Connected, handshake done, and no command overdue. A command past its
 * deadline on an open connection (Redis frozen or swamped) makes this false
 * until Redis answers it; meanwhile new commands fail with ERR_UNAVAILABLE
 * unsent. link_cb reports each change of this value once. */
bool store_is_up(const struct store *st);

/* Maps the text of a Redis error reply to a code and a message for
 * clients: LOADING, BUSY, MASTERDOWN, TRYAGAIN, READONLY, NOREPLICAS ->
 * ERR_UNAVAILABLE; a contract code as first word (after an optional "ERR ") ->
 * that code with the rest as message; anything else -> ERR_INTERNAL, generic
 * message. */
enum errcode store_map_error(const char *str, size_t len, struct err *err);

/* The address of the current (or last) Redis primary, numeric: for
 * links of other threads that must follow a Sentinel failover too.
 * -1 when none is known yet. */
int store_primary(const struct store *st, char *host, size_t hostlen,
                  int *port);

/* Commands whose callback has not run yet: sent and not yet answered or
 * timed out, or failed and waiting for the next loop turn. */
size_t store_pending(const struct store *st);

/* Fails pending commands with ERR_UNAVAILABLE (their callbacks run before
 * this returns) and frees everything. Safe to call at any time except from
 * inside a store_cb or a store_link_cb. */
void store_free(struct store *st);

#endif
