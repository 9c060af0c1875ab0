/* m_meeting.c: the meeting methods. Each change is one call of the Redis
 * function library (meetings.lua), which checks the contract's transition
 * table and books atomically; here arguments are checked and replies
 * packed. Notifications go out from the change stream (sync.c), on every
 * daemon alike. */
#include <stdlib.h>
#include <string.h>

#include "badge.h"
#include "cmd.h"
#include "handlers.h"
#include "keys.h"
#include "meeting_pack.h"
#include "server.h"
#include "xmalloc.h"

#define NOTE_MAX 1000 /* code points */

struct meeting_wait {
    struct req *r;
    char event[65];
    char meeting[65];
    bool accept;
};

static struct meeting_wait *wait_new(struct req *r, const char *event)
{
    struct meeting_wait *w = xcalloc(1, sizeof *w);
    w->r = r;
    snprintf(w->event, sizeof w->event, "%s", event);
    return w;
}

static void on_meeting(void *priv, const redisReply *reply,
                       const struct err *err)
{
    struct meeting_wait *w = priv;
    if (err) {
        rpc_reply_err(w->r, err);
    } else if (!meeting_reply_ok(reply)) {
        rpc_reply_error(w->r, ERR_INTERNAL, "unexpected meeting reply");
    } else {
        msgpack_packer *pk = rpc_reply_begin(w->r);
        pack_meeting(pk, w->event, reply, false);
        rpc_reply_end(w->r);
    }
    free(w);
}

/* The head of a meeting function that writes. */
static void meeting_call(struct cmd *c, const char *fn, const char *event,
                         char kp[KEY_MAX])
{
    cmd_event_write(c, fn, event, kp, now_unix(),
                    srv_global->cfg->stream_maxlen);
}

static bool is_staff(const struct req *r)
{
    return r->conn->role == ROLE_ORGANIZER || r->conn->role == ROLE_ADMIN;
}

/* slots: a list of slot ids, joined by spaces into out (the event's own
 * check that they exist is in Redis). */
static int slot_list(const msgpack_object *o, char **out, struct err *err)
{
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return err_set(err, ERR_BAD_REQUEST,
                       "slots: a list of slot ids (got %s)", args_type_name(o));
    uint32_t n = o->via.array.size;
    if (n == 0 || n > 1000)
        return err_set(err, ERR_BAD_REQUEST, "slots: 1-1000 slot ids");
    char *s = xmalloc((size_t)n * (ARGS_ID_MAX + 1) + 1);
    size_t len = 0;
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *e = &o->via.array.ptr[i];
        char field[32], id[ARGS_ID_MAX + 1];
        snprintf(field, sizeof field, "slots[%u]", i);
        if (args_get_id(e, field, id, err) < 0) {
            free(s);
            return -1;
        }
        if (len)
            s[len++] = ' ';
        memcpy(s + len, id, strlen(id));
        len += strlen(id);
    }
    s[len] = '\0';
    *out = s;
    return 0;
}

/* meeting.request and meeting.create.
 * args: event, from, to, note, slots, request_id (, badge) */
static void request_or_create(struct req *r, const msgpack_object **args,
                              bool create)
{
    char event[65], from[65], to[65];
    if (arg_ids(r, "event from", args[0], event, args[1], from) < 0 ||
        arg_ids(r, "to", args[2], to, NULL, NULL) < 0)
        return;
    struct err err;
    char *note = NULL, *slots = NULL;
    if (args[3] && args_get_str(args[3], "note", NOTE_MAX, &note, &err) < 0)
        goto bad;
    if (args[4] && slot_list(args[4], &slots, &err) < 0)
        goto bad;
    const msgpack_object *rid = args[5];
    if (rid && !args_valid_request_id(rid->via.str.ptr, rid->via.str.size)) {
        err_set(&err, ERR_BAD_REQUEST,
                "request_id: 1-64 printable ASCII characters");
        goto bad;
    }
    char kp[KEY_MAX];
    struct cmd c;
    meeting_call(&c, "em_meeting_request", event, kp);
    cmd_adds(&c, from);
    cmd_adds(&c, to);
    cmd_adds(&c, note ? note : "");
    cmd_adds(&c, slots ? slots : "");
    if (rid)
        cmd_add(&c, rid->via.str.ptr, rid->via.str.size);
    else
        cmd_adds(&c, "");
    cmd_adds(&c, create ? "1" : "0");
    cmd_send(&c, srv_global->store, on_meeting, wait_new(r, event));
    free(note);
    free(slots);
    return;
bad:
    free(note);
    free(slots);
    rpc_reply_err(r, &err);
}

void h_meeting_request(struct req *r, const msgpack_object *map,
                       const msgpack_object **args)
{
    request_or_create(r, args, false);
}

void h_meeting_create(struct req *r, const msgpack_object *map,
                      const msgpack_object **args)
{
    request_or_create(r, args, true);
}

static void send_respond(struct meeting_wait *w, const char *to)
{
    char kp[KEY_MAX];
    struct cmd c;
    meeting_call(&c, "em_meeting_respond", w->event, kp);
    cmd_adds(&c, w->meeting);
    cmd_adds(&c, w->accept ? "1" : "0");
    cmd_adds(&c, to);
    cmd_send(&c, srv_global->store, on_meeting, w);
}

/* The kiosk's badge proved `to`: answer, provided `to` is still the one
 * invited (it never changes, but the check is free in the function). */
struct kiosk_respond {
    struct meeting_wait *w;
    char to[65];
};

static void kiosk_respond_go(struct req *r, void *arg)
{
    struct kiosk_respond *k = arg;
    send_respond(k->w, k->to);
    free(k);
}

static void kiosk_respond_free(void *arg)
{
    struct kiosk_respond *k = arg;
    free(k->w);
    free(k);
}

struct to_lookup {
    struct meeting_wait *w;
    char badge[129];
};

static void on_to(void *priv, const redisReply *reply, const struct err *err)
{
    struct to_lookup *t = priv;
    struct meeting_wait *w = t->w;
    if (err) {
        rpc_reply_err(w->r, err);
        free(w);
    } else if (reply->type != REDIS_REPLY_STRING ||
               !args_valid_id(reply->str, reply->len)) {
        rpc_reply_error(w->r, ERR_NOT_FOUND, "no meeting '%s'", w->meeting);
        free(w);
    } else {
        struct kiosk_respond *k = xcalloc(1, sizeof *k);
        k->w = w;
        memcpy(k->to, reply->str, reply->len);
        badge_check(w->r, w->event, k->to, t->badge, strlen(t->badge),
                    kiosk_respond_go, k, kiosk_respond_free);
    }
    free(t);
}

/* args: event, meeting, accept, badge. A kiosk acts for the invited side
 * (`to`), which the meeting names: read first, then its badge checked. */
void h_meeting_respond(struct req *r, const msgpack_object *map,
                       const msgpack_object **args)
{
    char event[65], meeting[65];
    if (arg_ids(r, "event meeting", args[0], event, args[1], meeting) < 0)
        return;
    struct meeting_wait *w = wait_new(r, event);
    snprintf(w->meeting, sizeof w->meeting, "%s", meeting);
    w->accept = args[2]->via.boolean;
    if (r->conn->role != ROLE_KIOSK) {
        send_respond(w, "");
        return;
    }
    const msgpack_object *b = args[3];
    if (b == NULL || !args_valid_badge(b->via.str.ptr, b->via.str.size)) {
        free(w);
        rpc_reply_error(r, ERR_BAD_REQUEST,
                        b ? "badge: 8-128 printable ASCII characters, no "
                            "spaces"
                          : "missing field 'badge' (kiosk calls carry the "
                            "participant's badge)");
        return;
    }
    struct to_lookup *t = xcalloc(1, sizeof *t);
    t->w = w;
    memcpy(t->badge, b->via.str.ptr, b->via.str.size);
    char k[KEY_MAX];
    store_command(srv_global->store, on_to, t, "HGET %s to",
                  key_fmt(k, event, "m", meeting));
}

/* Calls fn with the meeting and `by`; extra adds the function's own
 * arguments. args: event, meeting, by, ... */
static void by_call(struct req *r, const msgpack_object **args, const char *fn,
                    const char *extra1, const char *extra2)
{
    char event[65], meeting[65], by[65];
    if (arg_ids(r, "event meeting", args[0], event, args[1], meeting) < 0 ||
        arg_ids(r, "by", args[2], by, NULL, NULL) < 0)
        return;
    char kp[KEY_MAX];
    struct cmd c;
    meeting_call(&c, fn, event, kp);
    cmd_adds(&c, meeting);
    cmd_adds(&c, by);
    if (extra1)
        cmd_adds(&c, extra1);
    if (extra2)
        cmd_adds(&c, extra2);
    cmd_send(&c, srv_global->store, on_meeting, wait_new(r, event));
}

/* args: event, meeting, by, badge */
void h_meeting_cancel(struct req *r, const msgpack_object *map,
                      const msgpack_object **args)
{
    by_call(r, args, "em_meeting_cancel", is_staff(r) ? "1" : "0", NULL);
}

/* args: event, meeting, by, badge */
void h_meeting_noshow(struct req *r, const msgpack_object *map,
                      const msgpack_object **args)
{
    by_call(r, args, "em_meeting_noshow", NULL, NULL);
}

/* args: event, meeting, by, happened, rating, badge */
void h_meeting_feedback(struct req *r, const msgpack_object *map,
                        const msgpack_object **args)
{
    char rating[4] = "";
    if (args[4]) {
        int64_t v;
        if (!args_int_value(args[4], &v) || v < 1 || v > 5) {
            rpc_reply_error(r, ERR_BAD_REQUEST, "rating: an integer 1-5");
            return;
        }
        snprintf(rating, sizeof rating, "%d", (int)v);
    }
    by_call(r, args, "em_meeting_feedback", args[3]->via.boolean ? "1" : "0",
            rating);
}

/* args: event, meeting */
void h_meeting_get(struct req *r, const msgpack_object *map,
                   const msgpack_object **args)
{
    char event[65], meeting[65];
    if (arg_ids(r, "event meeting", args[0], event, args[1], meeting) < 0)
        return;
    char kp[KEY_MAX];
    struct cmd c;
    cmd_event_fcall(&c, "em_meeting_get", event, kp);
    cmd_adds(&c, meeting);
    cmd_send(&c, srv_global->store, on_meeting, wait_new(r, event));
}

/* A list reply: {n, meeting...} (inbox: n incoming first) or {cursor,
 * meeting...} (list). */
static bool meetings_ok(const redisReply *reply)
{
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1)
        return false;
    for (size_t i = 1; i < reply->elements; i++)
        if (!meeting_reply_ok(reply->element[i]))
            return false;
    return true;
}

static void pack_meetings(msgpack_packer *pk, const char *event,
                          const redisReply *reply, size_t from, size_t to)
{
    msgpack_pack_array(pk, to - from);
    for (size_t i = from; i < to; i++)
        pack_meeting(pk, event, reply->element[i], false);
}

static void on_list(void *priv, const redisReply *reply, const struct err *err)
{
    struct meeting_wait *w = priv;
    if (err) {
        rpc_reply_err(w->r, err);
    } else if (!meetings_ok(reply) ||
               reply->element[0]->type != REDIS_REPLY_STRING) {
        rpc_reply_error(w->r, ERR_INTERNAL, "unexpected meeting.list reply");
    } else {
        msgpack_packer *pk = rpc_reply_begin(w->r);
        msgpack_pack_map(pk, 2);
        mp_pack_cstr(pk, "meetings");
        pack_meetings(pk, w->event, reply, 1, reply->elements);
        rpc_pack_cursor(pk, reply->element[0]->str, reply->element[0]->len);
        rpc_reply_end(w->r);
    }
    free(w);
}

/* args: event, status, cursor, count. The cursor is the position (a
 * number) of the last meeting of the previous page. */
void h_meeting_list(struct req *r, const msgpack_object *map,
                    const msgpack_object **args)
{
    char event[65];
    if (arg_ids(r, "event", args[0], event, NULL, NULL) < 0)
        return;
    const char *status = "";
    if (args[1]) {
        const msgpack_object *o = args[1];
        for (size_t i = 0; i < MEETING_NSTATUS; i++)
            if (o->via.str.size == strlen(meeting_statuses[i]) &&
                memcmp(o->via.str.ptr, meeting_statuses[i], o->via.str.size) ==
                    0)
                status = meeting_statuses[i];
        if (!status[0]) {
            rpc_reply_error(r, ERR_BAD_REQUEST,
                            "status: one of requested, accepted, scheduled, "
                            "declined, cancelled, expired, noshow");
            return;
        }
    }
    char cursor[24] = "";
    if (args[2]) {
        const msgpack_object *o = args[2];
        bool ok = o->via.str.size >= 1 && o->via.str.size < sizeof cursor;
        for (size_t i = 0; ok && i < o->via.str.size; i++)
            ok = o->via.str.ptr[i] >= '0' && o->via.str.ptr[i] <= '9';
        if (!ok) {
            rpc_reply_error(r, ERR_BAD_REQUEST,
                            "cursor: the cursor a previous page returned");
            return;
        }
        memcpy(cursor, o->via.str.ptr, o->via.str.size);
    }
    int64_t count;
    if (!rpc_list_count(r, args[3], &count))
        return;
    char kp[KEY_MAX];
    struct cmd c;
    cmd_event_fcall(&c, "em_meeting_list", event, kp);
    cmd_adds(&c, status);
    cmd_adds(&c, cursor);
    cmd_addi(&c, count);
    cmd_send(&c, srv_global->store, on_list, wait_new(r, event));
}

static void on_inbox(void *priv, const redisReply *reply, const struct err *err)
{
    struct meeting_wait *w = priv;
    if (err) {
        rpc_reply_err(w->r, err);
    } else if (!meetings_ok(reply) ||
               reply->element[0]->type != REDIS_REPLY_INTEGER ||
               reply->element[0]->integer < 0 ||
               (size_t)reply->element[0]->integer >= reply->elements) {
        rpc_reply_error(w->r, ERR_INTERNAL, "unexpected meeting.inbox reply");
    } else {
        size_t nin = 1 + (size_t)reply->element[0]->integer;
        msgpack_packer *pk = rpc_reply_begin(w->r);
        msgpack_pack_map(pk, 2);
        mp_pack_cstr(pk, "incoming");
        pack_meetings(pk, w->event, reply, 1, nin);
        mp_pack_cstr(pk, "outgoing");
        pack_meetings(pk, w->event, reply, nin, reply->elements);
        rpc_reply_end(w->r);
    }
    free(w);
}

/* args: event, id, badge */
void h_meeting_inbox(struct req *r, const msgpack_object *map,
                     const msgpack_object **args)
{
    char event[65], id[65];
    if (arg_ids(r, "event id", args[0], event, args[1], id) < 0)
        return;
    char kp[KEY_MAX];
    struct cmd c;
    cmd_event_fcall(&c, "em_meeting_inbox", event, kp);
    cmd_adds(&c, event);
    cmd_adds(&c, id);
    cmd_send(&c, srv_global->store, on_inbox, wait_new(r, event));
}
