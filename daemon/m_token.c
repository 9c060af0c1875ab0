/* m_token.c: token.create and token.revoke. A token's text is
 * "<event>:<id>:<secret>"; only its HMAC digest is stored. */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "auth.h"
#include "cmd.h"
#include "handlers.h"
#include "keys.h"
#include "server.h"
#include "xmalloc.h"

#define TTL_HOURS_MAX (24 * 366 * 2)

struct token_wait {
    struct req *r;
    char event[65];
    char id[TOKEN_ID_HEX + 1];
    char token[TOKEN_MAX + 1];
};

static void on_created(void *priv, const redisReply *reply,
                       const struct err *err)
{
    struct token_wait *w = priv;
    if (err) {
        rpc_reply_err(w->r, err);
    } else {
        audit_set_target(w->r, "token", w->id);
        msgpack_packer *pk = rpc_reply_begin(w->r);
        msgpack_pack_map(pk, 2);
        mp_pack_cstr(pk, "token");
        mp_pack_cstr(pk, w->token);
        mp_pack_cstr(pk, "id");
        mp_pack_cstr(pk, w->id);
        rpc_reply_end(w->r);
    }
    memset(w->token, 0, sizeof w->token);
    free(w);
}

/* args: event, role, ttl_hours */
void h_token_create(struct req *r, const msgpack_object *map,
                    const msgpack_object **args)
{
    char event[65];
    if (arg_ids(r, "event", args[0], event, NULL, NULL) < 0)
        return;
    enum role role = role_parse(args[1]->via.str.ptr, args[1]->via.str.size);
    bool staff = role == ROLE_KIOSK || role == ROLE_APP;
    if (role == ROLE_NONE) {
        rpc_reply_error(r, ERR_BAD_REQUEST,
                        "role: must be organizer, kiosk or app");
        return;
    }
    if (r->conn->role == ROLE_ORGANIZER && !staff) {
        rpc_reply_error(r, ERR_FORBIDDEN,
                        "organizers create kiosk and app tokens only");
        return;
    }
    int64_t ttl = 0;
    if (args[2]) {
        if (args[2]->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
            args[2]->via.u64 < 1 || args[2]->via.u64 > TTL_HOURS_MAX) {
            rpc_reply_error(r, ERR_BAD_REQUEST, "ttl_hours: 1-%d",
                            TTL_HOURS_MAX);
            return;
        }
        ttl = (int64_t)args[2]->via.u64;
    }
    struct token_wait *w = xcalloc(1, sizeof *w);
    char secret[TOKEN_SECRET_HEX + 1];
    if (auth_random_hex(w->id, TOKEN_ID_HEX / 2) < 0 ||
        auth_random_hex(secret, TOKEN_SECRET_HEX / 2) < 0) {
        free(w);
        rpc_reply_error(r, ERR_INTERNAL, "no randomness for a token");
        return;
    }
    w->r = r;
    snprintf(w->event, sizeof w->event, "%s", event);
    snprintf(w->token, sizeof w->token, "%s:%s:%s", event, w->id, secret);
    char digest[AUTH_DIGEST_HEX];
    auth_digest("token", event, w->id, secret, TOKEN_SECRET_HEX, digest);
    memset(secret, 0, sizeof secret);
    int64_t now = now_unix();
    char kev[KEY_MAX], ktok[KEY_MAX], klog[KEY_MAX];
    struct cmd c;
    cmd_fcall(&c, "em_token_create", 3);
    cmd_adds(&c, key_fmt(kev, event, "event", NULL));
    cmd_adds(&c, key_fmt(ktok, event, "tok", w->id));
    cmd_adds(&c, key_fmt(klog, event, "log", NULL));
    cmd_adds(&c, w->id);
    cmd_adds(&c, role_name(role));
    cmd_adds(&c, digest);
    cmd_addi(&c, ttl ? now + ttl * 3600 : 0);
    cmd_addi(&c, now);
    cmd_addi(&c, srv_global->cfg->stream_maxlen);
    cmd_adds(&c, event);
    cmd_send(&c, srv_global->store, on_created, w);
}

static void on_revoked(void *priv, const redisReply *reply,
                       const struct err *err)
{
    struct token_wait *w = priv;
    if (err) {
        rpc_reply_err(w->r, err);
    } else {
        /* Connections on this daemon that use the token go now. */
        server_close_token(srv_global, w->event, w->id);
        reply_flag(w->r, "revoked");
    }
    free(w);
}

static bool token_id_valid(const char *s)
{
    if (strlen(s) != TOKEN_ID_HEX)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

/* args: event, id */
void h_token_revoke(struct req *r, const msgpack_object *map,
                    const msgpack_object **args)
{
    char event[65], id[65];
    if (arg_ids(r, "event id", args[0], event, args[1], id) < 0)
        return;
    if (!token_id_valid(id)) {
        rpc_reply_error(r, ERR_BAD_REQUEST, "id: not a token id");
        return;
    }
    struct token_wait *w = xcalloc(1, sizeof *w);
    w->r = r;
    snprintf(w->event, sizeof w->event, "%s", event);
    memcpy(w->id, id, TOKEN_ID_HEX + 1); /* checked: 16 hex digits */
    char ktok[KEY_MAX], klog[KEY_MAX];
    struct cmd c;
    cmd_fcall(&c, "em_token_revoke", 2);
    cmd_adds(&c, key_fmt(ktok, event, "tok", id));
    cmd_adds(&c, key_fmt(klog, event, "log", NULL));
    cmd_adds(&c, id);
    cmd_adds(&c,
             r->conn->role == ROLE_ADMIN ? "organizer kiosk app" : "kiosk app");
    cmd_addi(&c, srv_global->cfg->stream_maxlen);
    cmd_send(&c, srv_global->store, on_revoked, w);
}
