/* follow.h: tails every known event's change stream (em:{E}:log) on a
 * Redis connection of its own, so that what another daemon on the same
 * Redis changed reaches this one: revoked tokens close their connections
 * here too, and profiles and events reach the matching engine. */
#ifndef EM_FOLLOW_H
#define EM_FOLLOW_H

#include <event2/event.h>

#include "err.h"
#include "store.h"

struct follow;

/* One change: kind ("token.revoke", "profile.put"...), id, version, and
 * the entry's extra field "x" or NULL (meeting.update: both sides and
 * their loads, see meetings.lua). Kind "event.new" (id "") says an event
 * is followed for the first time: the callee loads it and calls
 * follow_event_from with its snapshot. */
typedef void follow_fn(void *priv, const char *event, const char *kind,
                       const char *id, long long version, const char *extra);

/* sc: how to open the follower's own link (XREAD BLOCK holds it). */
struct follow *follow_new(struct event_base *base,
                          const struct store_config *sc, follow_fn *fn,
                          void *priv, struct err *err);

/* Follows an event (idempotent); the first time, reports "event.new" and
 * reads nothing of it until follow_event_from gives the start. */
void follow_event(struct follow *f, const char *event);

/* Follows an event's stream from just after `last` (a stream id, "0-0"
 * for the start): the rebuild's snapshot point. An event already followed
 * from a later point goes back to this one (replays are harmless).
 * `last` "" registers the event without a start yet (nothing is read). */
void follow_event_from(struct follow *f, const char *event, const char *last);

/* Calls fn for each followed event. */
void follow_each(const struct follow *f,
                 void (*fn)(const char *event, void *priv), void *priv);
void follow_free(struct follow *f);

#endif
