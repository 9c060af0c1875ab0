/* notify.h: the contract's notifications, packed and handed to the
 * subscription tables (subs.h) for delivery. */
#ifndef EM_NOTIFY_H
#define EM_NOTIFY_H

#include <stdbool.h>

#include <hiredis/hiredis.h>

#include "match.h"

/* participant.update on the event topic: a profile's new version, or with
 * deleted its removal (version 0, deleted: true; an addition to the
 * contract). Costs nothing when nobody here listens. */
void notify_participant_update(const char *event, const char *id,
                               long long version, bool deleted);

/* match.new to subscribers of participant:<id>: e entered its top 10 (a
 * match_notify_fn of the matching engine). */
void notify_match_new(void *priv, const char *event, const char *id,
                      const struct match_entry *e);

/* Whether anyone here listens to a meeting between from and to (so that
 * reading it is worth it). */
bool notify_meeting_heard(const char *event, const char *from, const char *to);

/* meeting.update to subscribers of both sides and of the event topic: the
 * whole meeting, as flat from Redis (meeting_pack.h). */
void notify_meeting_update(const char *event, const redisReply *meeting);

/* checkin to subscribers of the participant and of the event topic. */
void notify_checkin(const char *event, const char *id);

/* A second audience of the event topic besides RPC subscribers: the
 * dashboard's live feed (http_sse.c). `listens` says whether it wants an
 * event's changes (so that a meeting is read from Redis for it); the
 * others receive them raw, to pick the public fields themselves. */
struct notify_tap {
    bool (*listens)(const char *event);
    void (*meeting)(const char *event, const redisReply *meeting);
    void (*checkin)(const char *event, const char *id);
    void (*participant)(const char *event, const char *id, long long version,
                        bool deleted);
};

/* Sets the tap (NULL: none); tap must outlive its use. */
void notify_set_tap(const struct notify_tap *tap);

#endif
