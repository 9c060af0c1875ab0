/* m_stats.c: stats.get. Every count is read in one atomic step from the
 * indexes the meeting functions keep, so the figures agree with each other
 * whatever other daemons are doing. */
#include "cmd.h"
#include "handlers.h"
#include "keys.h"
#include "meeting_pack.h"
#include "server.h"

static void on_stats(void *priv, const redisReply *reply, const struct err *err)
{
    struct req *r = priv;
    if (err) {
        rpc_reply_err(r, err);
        return;
    }
    long long v[4 + MEETING_NSTATUS + 2];
    size_t n = sizeof v / sizeof v[0];
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != n) {
        rpc_reply_error(r, ERR_INTERNAL, "unexpected stats reply");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (reply->element[i]->type != REDIS_REPLY_INTEGER) {
            rpc_reply_error(r, ERR_INTERNAL, "unexpected stats reply");
            return;
        }
        v[i] = reply->element[i]->integer;
    }
    msgpack_packer *pk = rpc_reply_begin(r);
    msgpack_pack_map(pk, 4);
    mp_pack_cstr(pk, "participants");
    msgpack_pack_map(pk, 3);
    mp_pack_cstr(pk, "buyer");
    msgpack_pack_long_long(pk, v[0]);
    mp_pack_cstr(pk, "seller");
    msgpack_pack_long_long(pk, v[1]);
    mp_pack_cstr(pk, "both");
    msgpack_pack_long_long(pk, v[2]);
    mp_pack_cstr(pk, "checked_in");
    msgpack_pack_long_long(pk, v[3]);
    mp_pack_cstr(pk, "meetings");
    msgpack_pack_map(pk, MEETING_NSTATUS);
    for (size_t i = 0; i < MEETING_NSTATUS; i++) {
        mp_pack_cstr(pk, meeting_statuses[i]);
        msgpack_pack_long_long(pk, v[4 + i]);
    }
    long long places = v[4 + MEETING_NSTATUS] * v[4 + MEETING_NSTATUS + 1];
    mp_pack_cstr(pk, "table_utilization");
    msgpack_pack_double(pk, places > 0 ? (double)v[6] / (double)places : 0.0);
    rpc_reply_end(r);
}

/* args: event */
void h_stats_get(struct req *r, const msgpack_object *map,
                 const msgpack_object **args)
{
    char event[65];
    if (arg_ids(r, "event", args[0], event, NULL, NULL) < 0)
        return;
    char kp[KEY_MAX];
    struct cmd c;
    cmd_event_fcall(&c, "em_stats", event, kp);
    cmd_adds(&c, event);
    cmd_send(&c, srv_global->store, on_stats, r);
}
