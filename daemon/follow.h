/* follow.h: tails every known event's change stream (em:{E}:log) on a
 * Redis connection of its own, so that what another daemon on the same
 * Redis changed reaches this one: today, revoked tokens close their
 * connections here too; later, the match index and notifications. */
#ifndef EM_FOLLOW_H
#define EM_FOLLOW_H

#include <event2/event.h>

#include "err.h"
#include "store.h"

struct follow;

/* One change: kind ("token.revoke", "profile.put"...), id and version. */
typedef void follow_fn(void *priv, const char *event, const char *kind,
                       const char *id, long long version);

/* main: the daemon's own link, used for quick look-ups; sc: how to open
 * the follower's link (XREAD BLOCK holds a connection). */
struct follow *follow_new(struct event_base *base, struct store *main,
                          const struct store_config *sc, follow_fn *fn,
                          void *priv, struct err *err);

/* Starts following an event's stream from its current end (idempotent). */
void follow_event(struct follow *f, const char *event);

/* Follows an event's stream from just after `last` (a stream id, "0-0"
 * for the start): the rebuild's snapshot point. An event already followed
 * from a later point goes back to this one (replays are harmless). */
void follow_event_from(struct follow *f, const char *event, const char *last);

void follow_free(struct follow *f);

#endif
