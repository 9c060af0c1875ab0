/* notify.c: packs the contract's notifications (see notify.h). */
#include "notify.h"

#include <msgpack.h>
#include <stdio.h>

#include "m_match.h"
#include "meeting_pack.h"
#include "rpc.h"
#include "subs.h"

static const struct notify_tap *tap;

void notify_set_tap(const struct notify_tap *t)
{
    tap = t;
}

static bool tapped(const char *event)
{
    return tap != NULL && tap->listens(event);
}

/* Starts the params of a notification: [{event, id, ...}] with `fields`
 * entries in the map, the first two written here. */
static void begin(msgpack_sbuffer *sb, msgpack_packer *pk, const char *event,
                  const char *id, size_t fields)
{
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(pk, sb, msgpack_sbuffer_write);
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, fields);
    mp_pack_cstr(pk, "event");
    mp_pack_cstr(pk, event);
    mp_pack_cstr(pk, "id");
    mp_pack_cstr(pk, id);
}

void notify_participant_update(const char *event, const char *id,
                               long long version, bool deleted)
{
    if (tapped(event))
        tap->participant(event, id, version, deleted);
    if (!subs_has(event, "event"))
        return;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    begin(&sb, &pk, event, id, deleted ? 4 : 3);
    mp_pack_cstr(&pk, "version");
    msgpack_pack_long_long(&pk, deleted ? 0 : version);
    if (deleted) {
        mp_pack_cstr(&pk, "deleted");
        msgpack_pack_true(&pk);
    }
    subs_publish(event, "event", "participant.update", sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
}

void notify_match_new(void *priv, const char *event, const char *id,
                      const struct match_entry *e)
{
    (void)priv;
    char topic[80];
    snprintf(topic, sizeof topic, "participant:%s", id);
    if (!subs_has(event, topic))
        return;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    begin(&sb, &pk, event, id, 3);
    mp_pack_cstr(&pk, "match");
    pack_match_entry(&pk, e);
    subs_publish(event, topic, "match.new", sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
}

/* The topics a meeting.update goes to; tf and tt hold the two. */
static void meeting_topics(const char *from, const char *to, char tf[80],
                           char tt[80], const char *topics[3])
{
    snprintf(tf, 80, "participant:%s", from);
    snprintf(tt, 80, "participant:%s", to);
    topics[0] = "event";
    topics[1] = tf;
    topics[2] = tt;
}

bool notify_meeting_heard(const char *event, const char *from, const char *to)
{
    char tf[80], tt[80];
    const char *topics[3];
    if (tapped(event))
        return true;
    meeting_topics(from, to, tf, tt, topics);
    for (int i = 0; i < 3; i++)
        if (subs_has(event, topics[i]))
            return true;
    return false;
}

void notify_meeting_update(const char *event, const redisReply *meeting)
{
    const redisReply *from = meeting_field(meeting, "from"),
                     *to = meeting_field(meeting, "to");
    if (from == NULL || to == NULL)
        return;
    if (tapped(event))
        tap->meeting(event, meeting);
    char tf[80], tt[80];
    const char *topics[3];
    meeting_topics(from->str, to->str, tf, tt, topics);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 2);
    mp_pack_cstr(&pk, "event");
    mp_pack_cstr(&pk, event);
    mp_pack_cstr(&pk, "meeting");
    pack_meeting(&pk, event, meeting, false);
    subs_publish_many(event, topics, 3, "meeting.update", sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
}

void notify_checkin(const char *event, const char *id)
{
    if (tapped(event))
        tap->checkin(event, id);
    char topic[80];
    snprintf(topic, sizeof topic, "participant:%s", id);
    const char *topics[] = {"event", topic};
    msgpack_sbuffer sb;
    msgpack_packer pk;
    begin(&sb, &pk, event, id, 2);
    subs_publish_many(event, topics, 2, "checkin", sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
}
