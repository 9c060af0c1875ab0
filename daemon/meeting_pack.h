/* meeting_pack.h: meetings as the contract shows them. The Redis functions
 * (meetings.lua) return a meeting flat: its id, then its hash's field,
 * value pairs; this turns that into the contract's map. */
#ifndef EM_MEETING_PACK_H
#define EM_MEETING_PACK_H

#include <stdbool.h>

#include <hiredis/hiredis.h>
#include <msgpack.h>

/* A meeting's statuses, in the contract's order (stats.get lists them so;
 * meetings.lua's STATUSES has the same). */
#define MEETING_NSTATUS 7
extern const char *const meeting_statuses[MEETING_NSTATUS];

/* Whether r is a flat meeting (an array of strings, odd length, ≥ 1). */
bool meeting_reply_ok(const redisReply *r);

/* Packs the meeting map: meeting, event, from, to, status, note?, slots?,
 * slot?, start?, end?, table?, interpreter?, feedback?, reported_by?,
 * created, updated; with `agenda`, also partner {id, company, country}
 * (fields the agenda functions add). r must pass meeting_reply_ok. */
void pack_meeting(msgpack_packer *pk, const char *event, const redisReply *r,
                  bool agenda);

/* The value of a field of a flat meeting, or NULL. */
const redisReply *meeting_field(const redisReply *r, const char *name);

#endif
