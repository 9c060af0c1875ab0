/* keys.h: the Redis key schema. Every key of an event carries the hash tag
 * {event}, so one event lives in one cluster slot and the functions that
 * touch several of its keys stay cluster-safe.
 *
 *   em:events               set of event ids (global index, for rebuilds)
 *   em:{E}:event            hash: data (the event, MessagePack), updated
 *   em:{E}:slots            set of the event's slot ids
 *   em:{E}:ids              sorted set (all scores 0) of participant ids
 *   em:{E}:p:<id>           hash: v, data (public profile), side, contact,
 *                           badge (digest), updated
 *   em:{E}:tok:<id>         hash: role, digest, expires, revoked, created
 *   em:{E}:bf:<id>          wrong-badge counter (expires)
 *   em:{E}:bl:<id>          badge lock (expires)
 *   em:{E}:log              change stream: kind, id, v; never personal data
 *   em:{E}:audit            audit stream (audit.c): time, token id, role,
 *                           method, target, result, actor, peer
 */
#ifndef EM_KEYS_H
#define EM_KEYS_H

#include <stdint.h>

#define KEY_MAX 192
#define KEY_EVENTS "em:events"

/* "em:{event}:kind" or, when id is not NULL, "em:{event}:kind:id". */
const char *key_fmt(char out[KEY_MAX], const char *event, const char *kind,
                    const char *id);

/* FNV-1a over the event, a separator and name (NULL: none), for in-memory
 * tables keyed by something of one event. */
uint64_t key_hash(const char *event, const char *name);

#endif
