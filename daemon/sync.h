/* sync.h: keeps the matching engine in step with Redis after the start:
 * this daemon's own writes are applied as soon as Redis confirms them
 * (read-your-writes), and writes of any daemon arrive on the change stream,
 * which names what changed; the profile or event it names is then read
 * from Redis and applied unless the engine already has that version. */
#ifndef EM_SYNC_H
#define EM_SYNC_H

#include "store.h"

/* The link used for look-ups. */
void sync_init(struct store *st);

/* One change-stream entry (follow.h's follow_fn, minus its priv). */
void sync_change(const char *event, const char *kind, const char *id,
                 long long version, const char *extra);

/* Reads one profile or the event from Redis and applies it. */
void sync_fetch_profile(const char *event, const char *id);
void sync_fetch_event(const char *event);

#endif
