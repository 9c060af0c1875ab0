/* sentinel.h: where the Redis primary is, asked of Redis Sentinels. The
 * `sentinel` setting names a master and the sentinels that watch it; a
 * query asks them in turn (`SENTINEL get-master-addr-by-name`), each
 * within a deadline, on the daemon's loop, and reports the first answer.
 * hiredis 0.14 has no Sentinel support of its own. */
#ifndef EM_SENTINEL_H
#define EM_SENTINEL_H

#include <event2/event.h>

#include "err.h"

#define SENTINEL_MAX 8 /* sentinels named in one setting */

/* The parsed setting, sentinels resolved to numeric addresses. */
struct sentinel_set {
    char name[65];             /* the master name */
    char ip[SENTINEL_MAX][64]; /* numeric addresses */
    int port[SENTINEL_MAX];
    int n;     /* sentinels */
    int first; /* asked first: the last that answered */
};

/* Parses "NAME host:port,host:port,..." (see docs/operations.md) and
 * resolves each host once (a blocking lookup: call at start only). -1
 * with err filled when malformed or unresolvable. */
int sentinel_parse(const char *spec, struct sentinel_set *set, struct err *err);

/* ip is NULL when no sentinel answered with an address. */
typedef void sentinel_cb(void *priv, const char *ip, int port);

struct sentinel_query;

/* Asks set's sentinels in turn, each within timeout_ms; cb runs once,
 * from the loop (never inside this call), unless the query is cancelled
 * first. set must outlive the query. */
struct sentinel_query *sentinel_ask(struct event_base *base,
                                    struct sentinel_set *set, int timeout_ms,
                                    sentinel_cb *cb, void *priv);

/* Stops a query before its callback ran; cb never runs. */
void sentinel_cancel(struct sentinel_query *q);

#endif
