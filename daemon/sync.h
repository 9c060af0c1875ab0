/* sync.h: keeps the matching engine in step with Redis after the start:
 * this daemon's own writes are applied as soon as Redis confirms them
 * (read-your-writes), and writes of any daemon arrive on the change stream,
 * which names what changed; the profile or event it names is then read
 * from Redis and applied. A read that this daemon's own write overtook is
 * made again rather than applied. */
#ifndef EM_SYNC_H
#define EM_SYNC_H

#include <stdint.h>

#include "store.h"
#include "sync_order.h"

/* The link used for look-ups. */
void sync_init(struct store *st);

/* One change-stream entry (follow.h's follow_fn, minus its priv). */
void sync_change(const char *event, const char *kind, const char *id,
                 long long version, const char *extra);

/* This daemon's own write of a profile, or of the event itself with id
 * NULL: sync_write_sent as it goes to Redis, sync_write_applied with what
 * that returned once the engine has applied the write. A look-up answered
 * in between is then made again. */
uint32_t sync_write_sent(const char *event, const char *id);
void sync_write_applied(const char *event, const char *id, uint32_t sent);

/* Reads one profile or the event from Redis and applies it. */
void sync_fetch_profile(const char *event, const char *id);
void sync_fetch_event(const char *event);

/* A profile read (HMGET v data) into the engine. `newest`: nothing newer
 * can be in the engine, so the read replaces even a higher version
 * (which a profile deleted and put again restarts from 1) and an empty
 * answer deletes; otherwise only a newer version is put. True when a
 * profile was put. */
bool sync_apply_profile(const char *event, const char *id,
                        const redisReply *reply, bool newest);

/* A profile read (HMGET v data) made elsewhere on the look-up link, as
 * state.c's load of an event another daemon made does: marked as sent,
 * and its answer judged and applied as a look-up's. The answer is true
 * when a profile was put. */
void sync_lookup_sent(const char *event, const char *id,
                      struct lookup_mark *mark);
bool sync_profile_answered(const char *event, const char *id,
                           const struct lookup_mark *mark,
                           const redisReply *reply, const struct err *err);

#endif
