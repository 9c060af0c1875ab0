/* m_profile.c: profile.put, profile.get, profile.list, profile.delete.
 * Profiles are stored as their normalized MessagePack map; contact and
 * badge digest sit in fields of their own so that reads add the contact
 * only where the contract allows and never the badge. */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "cmd.h"
#include "handlers.h"
#include "keys.h"
#include "log.h"
#include "match.h"
#include "server.h"
#include "sync.h"
#include "validate.h"
#include "xmalloc.h"

struct profile_wait {
    struct req *r;
    char event[65];
    char id[65];
    bool with_contact;
    uint32_t sent; /* sync_write_sent */
    char *data;    /* profile.put: the stored map, for the matching engine */
    size_t len;
};

/* Writes the stored profile map with `version` and, when given, `contact`
 * added: the stored map's entries are copied as bytes after a new header. */
static int pack_profile(msgpack_packer *pk, const char *data, size_t len,
                        long long version, const char *contact,
                        size_t contact_len)
{
    const unsigned char *p = (const unsigned char *)data;
    size_t n, hdr;
    if (len >= 1 && p[0] >= 0x80 && p[0] <= 0x8f) {
        n = p[0] & 0x0f;
        hdr = 1;
    } else if (len >= 3 && p[0] == 0xde) {
        n = (size_t)p[1] << 8 | p[2];
        hdr = 3;
    } else {
        return -1;
    }
    msgpack_pack_map(pk, n + 1 + (contact != NULL));
    mp_pack_raw(pk, data + hdr, len - hdr);
    mp_pack_cstr(pk, "version");
    msgpack_pack_long_long(pk, version);
    if (contact) {
        mp_pack_cstr(pk, "contact");
        mp_pack_raw(pk, contact, contact_len);
    }
    return 0;
}

static void on_put(void *priv, const redisReply *reply, const struct err *err)
{
    struct profile_wait *w = priv;
    if (err) {
        rpc_reply_err(w->r, err);
    } else if (reply->type != REDIS_REPLY_INTEGER) {
        rpc_reply_error(w->r, ERR_INTERNAL, "unexpected profile.put reply");
    } else {
        /* Applied here at once, so that this client's next match.top
         * already sees it; the change stream brings it to other daemons. */
        struct err e;
        if (match_profile_put(w->event, w->id, reply->integer, w->data, w->len,
                              &e) < 0)
            log_warn("%s", e.msg);
        sync_write_applied(w->event, w->id, w->sent);
        msgpack_packer *pk = rpc_reply_begin(w->r);
        msgpack_pack_map(pk, 2);
        mp_pack_cstr(pk, "id");
        mp_pack_cstr(pk, w->id);
        mp_pack_cstr(pk, "version");
        msgpack_pack_long_long(pk, reply->integer);
        rpc_reply_end(w->r);
    }
    free(w->data);
    free(w);
}

static const char *mode_name(enum keep_mode m)
{
    return m == SET ? "set" : m == CLEAR ? "clear" : "keep";
}

void h_profile_put(struct req *r, const msgpack_object *map,
                   const msgpack_object **args)
{
    struct profile_in p;
    struct err err;
    if (validate_profile(map, &p, &err) < 0) {
        rpc_reply_err(r, &err);
        return;
    }
    struct profile_wait *w = xcalloc(1, sizeof *w);
    w->r = r;
    snprintf(w->event, sizeof w->event, "%s", p.event);
    snprintf(w->id, sizeof w->id, "%s", p.id);
    w->data = xmalloc(p.packed.size);
    memcpy(w->data, p.packed.data, p.packed.size);
    w->len = p.packed.size;
    char digest[AUTH_DIGEST_HEX] = "";
    if (p.badge_mode == SET)
        auth_digest("badge", p.event, p.id, p.badge, strlen(p.badge), digest);
    char kev[KEY_MAX], kslots[KEY_MAX], kp[KEY_MAX], kids[KEY_MAX],
        klog[KEY_MAX];
    struct cmd *c = xmalloc(sizeof *c);
    cmd_fcall(c, "em_profile_put", 5);
    cmd_adds(c, key_fmt(kev, p.event, "event", NULL));
    cmd_adds(c, key_fmt(kslots, p.event, "slots", NULL));
    cmd_adds(c, key_fmt(kp, p.event, "p", p.id));
    cmd_adds(c, key_fmt(kids, p.event, "ids", NULL));
    cmd_adds(c, key_fmt(klog, p.event, "log", NULL));
    cmd_adds(c, p.id);
    cmd_adds(c, p.side);
    cmd_add(c, p.packed.data, p.packed.size);
    if (p.has_if_version)
        cmd_addi(c, p.if_version);
    else
        cmd_adds(c, "");
    cmd_adds(c, mode_name(p.contact_mode));
    if (p.contact_mode == SET)
        cmd_add(c, p.contact.data, p.contact.size);
    else
        cmd_adds(c, "");
    cmd_adds(c, mode_name(p.badge_mode));
    cmd_adds(c, digest);
    cmd_addi(c, srv_global->cfg->stream_maxlen);
    int64_t now = now_unix();
    cmd_addi(c, now);
    cmd_adds(c, p.event);
    cmd_add_iso(c, now);
    for (size_t i = 0; i < p.nslots; i++)
        cmd_adds(c, p.slots[i]);
    w->sent = sync_write_sent(p.event, p.id);
    cmd_send(c, srv_global->store, on_put, w);
    free(c);
    profile_in_free(&p);
}

static void on_get(void *priv, const redisReply *reply, const struct err *err)
{
    struct profile_wait *w = priv;
    struct req *r = w->r;
    if (err) {
        rpc_reply_err(r, err);
        goto out;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) {
        rpc_reply_error(r, ERR_INTERNAL, "unexpected profile record");
        goto out;
    }
    const redisReply *v = reply->element[0], *data = reply->element[1],
                     *contact = reply->element[2];
    if (data->type != REDIS_REPLY_STRING) {
        rpc_reply_error(r, ERR_NOT_FOUND, "no participant '%s' in event '%s'",
                        w->id, w->event);
        goto out;
    }
    bool show = w->with_contact && contact->type == REDIS_REPLY_STRING &&
                contact->len > 0;
    msgpack_packer *pk = rpc_reply_begin(r);
    if (pack_profile(pk, data->str, data->len,
                     v->type == REDIS_REPLY_STRING ? atoll(v->str) : 0,
                     show ? contact->str : NULL, show ? contact->len : 0) < 0) {
        /* The reply was begun: finish it as nil rather than leave it torn. */
        msgpack_pack_nil(pk);
    }
    rpc_reply_end(r);
out:
    free(w);
}

/* Who sees the contact: organizers and admins always; an app reading its
 * own user's profile (viewer = id). Between two participants the contact
 * is shown only after an accepted meeting: Redis decides that
 * (em_profile_view), in the same step as the read. */
static bool contact_visible(const struct conn *c, const char *id,
                            const char *viewer)
{
    if (c->role == ROLE_ADMIN || c->role == ROLE_ORGANIZER)
        return true;
    return c->role == ROLE_APP && viewer[0] && strcmp(viewer, id) == 0;
}

static bool contact_if_met(const struct conn *c, const char *id,
                           const char *viewer)
{
    return (c->role == ROLE_APP || c->role == ROLE_KIOSK) && viewer[0] &&
           strcmp(viewer, id) != 0;
}

/* args: event, id, viewer, badge */
void h_profile_get(struct req *r, const msgpack_object *map,
                   const msgpack_object **args)
{
    char event[65], id[65], viewer[65] = "";
    if (arg_ids(r, "event id", args[0], event, args[1], id) < 0 ||
        (args[2] && arg_ids(r, "viewer", args[2], viewer, NULL, NULL) < 0))
        return;
    struct profile_wait *w = xcalloc(1, sizeof *w);
    w->r = r;
    snprintf(w->event, sizeof w->event, "%s", event);
    snprintf(w->id, sizeof w->id, "%s", id);
    w->with_contact = contact_visible(r->conn, id, viewer);
    char kp[KEY_MAX];
    struct cmd c;
    if (contact_if_met(r->conn, id, viewer)) {
        w->with_contact = true; /* when Redis returns it */
        cmd_event_fcall(&c, "em_profile_view", event, kp);
        cmd_adds(&c, id);
        cmd_adds(&c, viewer);
        cmd_send(&c, srv_global->store, on_get, w);
        return;
    }
    cmd_init(&c);
    cmd_adds(&c, "HMGET");
    cmd_adds(&c, key_fmt(kp, event, "p", id));
    cmd_adds(&c, "v");
    cmd_adds(&c, "data");
    cmd_adds(&c, "contact");
    cmd_send(&c, srv_global->store, on_get, w);
}

static void on_list(void *priv, const redisReply *reply, const struct err *err)
{
    struct req *r = priv;
    if (err) {
        rpc_reply_err(r, err);
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
        (reply->elements - 1) % 4 != 0) {
        rpc_reply_error(r, ERR_INTERNAL, "unexpected profile.list reply");
        return;
    }
    for (size_t i = 0; i < reply->elements; i++)
        if (reply->element[i]->type != REDIS_REPLY_STRING) {
            rpc_reply_error(r, ERR_INTERNAL, "unexpected profile.list reply");
            return;
        }
    size_t n = (reply->elements - 1) / 4;
    msgpack_packer *pk = rpc_reply_begin(r);
    msgpack_pack_map(pk, 2);
    mp_pack_cstr(pk, "profiles");
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++) {
        redisReply **e = reply->element + 1 + 4 * i;
        bool has_contact = e[3]->len > 0;
        if (pack_profile(pk, e[2]->str, e[2]->len, atoll(e[1]->str),
                         has_contact ? e[3]->str : NULL, e[3]->len) < 0)
            msgpack_pack_nil(pk);
    }
    rpc_pack_cursor(pk, reply->element[0]->str, reply->element[0]->len);
    rpc_reply_end(r);
}

/* args: event, cursor, count (organizers only: contacts included) */
void h_profile_list(struct req *r, const msgpack_object *map,
                    const msgpack_object **args)
{
    char event[65], cursor[65] = "";
    if (arg_ids(r, "event cursor", args[0], event, args[1], cursor) < 0)
        return;
    int64_t count;
    if (!rpc_list_count(r, args[2], &count))
        return;
    char kids[KEY_MAX], prefix[KEY_MAX];
    struct cmd c;
    cmd_fcall(&c, "em_profile_list", 1);
    cmd_adds(&c, key_fmt(kids, event, "ids", NULL));
    snprintf(prefix, sizeof prefix, "em:{%s}:p:", event);
    cmd_adds(&c, prefix);
    cmd_adds(&c, cursor);
    cmd_addi(&c, count);
    cmd_send(&c, srv_global->store, on_list, r);
}

static void on_delete(void *priv, const redisReply *reply,
                      const struct err *err)
{
    struct profile_wait *w = priv;
    if (err) {
        rpc_reply_err(w->r, err);
    } else {
        match_profile_delete(w->event, w->id);
        sync_write_applied(w->event, w->id, w->sent);
        reply_flag(w->r, "deleted");
    }
    free(w);
}

/* args: event, id */
void h_profile_delete(struct req *r, const msgpack_object *map,
                      const msgpack_object **args)
{
    char event[65], id[65];
    if (arg_ids(r, "event id", args[0], event, args[1], id) < 0)
        return;
    struct profile_wait *w = xcalloc(1, sizeof *w);
    w->r = r;
    snprintf(w->event, sizeof w->event, "%s", event);
    snprintf(w->id, sizeof w->id, "%s", id);
    char kp[KEY_MAX], kids[KEY_MAX], klog[KEY_MAX], kbf[KEY_MAX], kbl[KEY_MAX];
    struct cmd c;
    cmd_fcall(&c, "em_profile_delete", 5);
    cmd_adds(&c, key_fmt(kp, event, "p", id));
    cmd_adds(&c, key_fmt(kids, event, "ids", NULL));
    cmd_adds(&c, key_fmt(klog, event, "log", NULL));
    cmd_adds(&c, key_fmt(kbf, event, "bf", id));
    cmd_adds(&c, key_fmt(kbl, event, "bl", id));
    cmd_adds(&c, id);
    cmd_addi(&c, srv_global->cfg->stream_maxlen);
    cmd_adds(&c, event);
    int64_t now = now_unix();
    cmd_addi(&c, now);
    cmd_add_iso(&c, now);
    w->sent = sync_write_sent(event, id);
    cmd_send(&c, srv_global->store, on_delete, w);
}
