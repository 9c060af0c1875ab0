/* m_event.c: event.put and event.get. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "follow.h"
#include "handlers.h"
#include "keys.h"
#include "log.h"
#include "match.h"
#include "server.h"
#include "sync.h"
#include "validate.h"
#include "xmalloc.h"

struct event_wait {
    struct req *r;
    char event[65];
    char *data; /* the stored event, for the matching engine */
    size_t len;
    uint32_t sent; /* sync_write_sent */
};

/* The global index is a command of its own (another cluster slot), sent
 * just before the function on the same link; only the function's answer
 * decides the reply, so an error still means the event is unchanged. */
static void on_indexed(void *priv, const redisReply *reply,
                       const struct err *err)
{
    char *event = priv;
    if (err)
        log_warn("event '%s' not added to the event index: %s; a restart "
                 "finds it after its next event.put",
                 event, err->msg);
    free(event);
}

static void on_event_put(void *priv, const redisReply *reply,
                         const struct err *err)
{
    struct event_wait *w = priv;
    if (err) {
        rpc_reply_err(w->r, err);
    } else {
        follow_event(srv_global->follow, w->event);
        struct err e;
        if (match_event_put(w->event, w->data, w->len, &e) < 0)
            log_warn("%s", e.msg);
        sync_write_applied(w->event, NULL, w->sent);
        msgpack_packer *pk = rpc_reply_begin(w->r);
        msgpack_pack_map(pk, 1);
        mp_pack_cstr(pk, "event");
        mp_pack_cstr(pk, w->event);
        rpc_reply_end(w->r);
    }
    free(w->data);
    free(w);
}

void h_event_put(struct req *r, const msgpack_object *map,
                 const msgpack_object **args)
{
    struct event_in ev;
    struct err err;
    if (validate_event(map, &ev, &err) < 0) {
        rpc_reply_err(r, &err);
        return;
    }
    struct event_wait *w = xcalloc(1, sizeof *w);
    w->r = r;
    snprintf(w->event, sizeof w->event, "%s", ev.id);
    w->data = xmalloc(ev.packed.size);
    memcpy(w->data, ev.packed.data, ev.packed.size);
    w->len = ev.packed.size;
    /* Index first: an id in the index without an event is skipped by a
     * rebuild, while an event missing from the index would be lost. */
    struct cmd c;
    cmd_init(&c);
    cmd_adds(&c, "SADD");
    cmd_adds(&c, KEY_EVENTS);
    cmd_adds(&c, ev.id);
    cmd_send(&c, srv_global->store, on_indexed, xstrdup(ev.id));

    char kev[KEY_MAX], kslots[KEY_MAX], klog[KEY_MAX];
    cmd_fcall(&c, "em_event_put", 3);
    cmd_adds(&c, key_fmt(kev, ev.id, "event", NULL));
    cmd_adds(&c, key_fmt(kslots, ev.id, "slots", NULL));
    cmd_adds(&c, key_fmt(klog, ev.id, "log", NULL));
    cmd_adds(&c, ev.id);
    cmd_add(&c, ev.packed.data, ev.packed.size);
    cmd_addi(&c, srv_global->cfg->stream_maxlen);
    int64_t now = now_unix();
    cmd_addi(&c, now);
    cmd_add_iso(&c, now);
    for (size_t i = 0; i < ev.nslots; i++)
        cmd_adds(&c, ev.slot_ids[i]);
    w->sent = sync_write_sent(w->event, NULL);
    cmd_send(&c, srv_global->store, on_event_put, w);
    event_in_free(&ev);
}

static void on_event_get(void *priv, const redisReply *reply,
                         const struct err *err)
{
    struct req *r = priv;
    if (err) {
        rpc_reply_err(r, err);
        return;
    }
    if (reply->type == REDIS_REPLY_NIL) {
        rpc_reply_error(r, ERR_NOT_FOUND, "no such event");
        return;
    }
    if (reply->type != REDIS_REPLY_STRING || reply->len == 0) {
        rpc_reply_error(r, ERR_INTERNAL, "unexpected event record");
        return;
    }
    msgpack_packer *pk = rpc_reply_begin(r);
    mp_pack_raw(pk, reply->str, reply->len);
    rpc_reply_end(r);
}

/* args: event */
void h_event_get(struct req *r, const msgpack_object *map,
                 const msgpack_object **args)
{
    char event[65];
    if (arg_ids(r, "event", args[0], event, NULL, NULL) < 0)
        return;
    char k[KEY_MAX];
    struct cmd c;
    cmd_init(&c);
    cmd_adds(&c, "HGET");
    cmd_adds(&c, key_fmt(k, event, "event", NULL));
    cmd_adds(&c, "data");
    cmd_send(&c, srv_global->store, on_event_get, r);
}
