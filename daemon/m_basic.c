/* m_basic.c: ping, server.info and auth. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "cmd.h"
#include "follow.h"
#include "handlers.h"
#include "keys.h"
#include "server.h"
#include "subs.h"
#include "tls.h"
#include "xmalloc.h"

int arg_ids(struct req *r, const char *names, const msgpack_object *o1,
            char *out1, const msgpack_object *o2, char *out2)
{
    char first[32], second[32] = "";
    if (sscanf(names, "%31s %31s", first, second) < 1)
        return -1;
    struct err err;
    if (args_get_id(o1, first, out1, &err) < 0 ||
        (o2 && args_get_id(o2, second, out2, &err) < 0)) {
        rpc_reply_err(r, &err);
        return -1;
    }
    return 0;
}

void reply_flag(struct req *r, const char *key)
{
    msgpack_packer *pk = rpc_reply_begin(r);
    msgpack_pack_map(pk, 1);
    mp_pack_cstr(pk, key);
    msgpack_pack_true(pk);
    rpc_reply_end(r);
}

void h_ping(struct req *r, const msgpack_object *map,
            const msgpack_object **args)
{
    msgpack_packer *pk = rpc_reply_begin(r);
    mp_pack_cstr(pk, "pong");
    rpc_reply_end(r);
}

void h_server_info(struct req *r, const msgpack_object *map,
                   const msgpack_object **args)
{
    msgpack_packer *pk = rpc_reply_begin(r);
    msgpack_pack_map(pk, 3);
    mp_pack_cstr(pk, "name");
    mp_pack_cstr(pk, "expomatch");
    mp_pack_cstr(pk, "version");
    mp_pack_cstr(pk, EM_VERSION);
    mp_pack_cstr(pk, "protocol");
    msgpack_pack_int(pk, 1);
    rpc_reply_end(r);
}

static void reply_auth(struct req *r, const char *role, const char *event)
{
    msgpack_packer *pk = rpc_reply_begin(r);
    msgpack_pack_map(pk, 2);
    mp_pack_cstr(pk, "role");
    mp_pack_cstr(pk, role);
    mp_pack_cstr(pk, "events");
    msgpack_pack_array(pk, 1);
    mp_pack_cstr(pk, event);
    rpc_reply_end(r);
}

struct auth_wait {
    struct req *r;
    char event[65];
    char id[TOKEN_ID_HEX + 1];
    char digest[AUTH_DIGEST_HEX];
};

static bool field_is(const redisReply *e, const char *s)
{
    return e->type == REDIS_REPLY_STRING && e->len == strlen(s) &&
           memcmp(e->str, s, e->len) == 0;
}

static void on_token(void *priv, const redisReply *reply, const struct err *err)
{
    struct auth_wait *w = priv;
    struct req *r = w->r;
    /* Requests after this auth are parsed from a deferred event, so after
     * this callback has set the outcome; the reply below frees r. */
    conn_resume_input(r->conn);
    if (err) {
        rpc_reply_err(r, err);
        goto out;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 4) {
        rpc_reply_error(r, ERR_INTERNAL, "unexpected token record");
        goto out;
    }
    const redisReply *role = reply->element[0], *digest = reply->element[1],
                     *expires = reply->element[2], *revoked = reply->element[3];
    /* A revocation may reach this daemon's follower before this lookup's
     * reply; the server remembers recent ones. */
    if (role->type != REDIS_REPLY_STRING ||
        digest->type != REDIS_REPLY_STRING ||
        digest->len != AUTH_DIGEST_HEX - 1 ||
        !auth_digest_equal(digest->str, w->digest)) {
        rpc_reply_error(r, ERR_UNAUTHORIZED, "invalid token");
        goto out;
    }
    if (field_is(revoked, "1") ||
        server_recently_revoked(srv_global, w->event, w->id)) {
        rpc_reply_error(r, ERR_UNAUTHORIZED, "token revoked");
        goto out;
    }
    int64_t exp = expires->type == REDIS_REPLY_STRING ? atoll(expires->str) : 0;
    if (exp > 0 && now_unix() >= exp) {
        rpc_reply_error(r, ERR_UNAUTHORIZED, "token expired");
        goto out;
    }
    enum role ro = role_parse(role->str, role->len);
    if (ro == ROLE_NONE) {
        rpc_reply_error(r, ERR_INTERNAL, "token record has an unknown role");
        goto out;
    }
    struct conn *c = r->conn;
    /* tls-client-cert kiosk or require: a kiosk token alone, which can leak
     * from a machine standing in a public hall, is not enough. */
    if (ro == ROLE_KIOSK && !tls_kiosk_allowed(c)) {
        rpc_reply_error(r, ERR_FORBIDDEN,
                        "kiosk tokens need a TLS connection with a valid "
                        "client certificate (tls-client-cert)");
        goto out;
    }
    /* Topics were allowed under the old token; the new one starts clean. */
    subs_conn_clear(c);
    c->role = ro;
    snprintf(c->event, sizeof c->event, "%s", w->event);
    snprintf(c->token_id, sizeof c->token_id, "%s", w->id);
    c->token_expires = exp;
    reply_auth(r, role_name(ro), w->event);
out:
    free(w);
}

void h_auth(struct req *r, const msgpack_object *map,
            const msgpack_object **args)
{
    const msgpack_object *t = args[0];
    const char *tok = t->via.str.ptr;
    size_t len = t->via.str.size;
    struct conn *c = r->conn;
    if (auth_is_admin(tok, len)) {
        subs_conn_clear(c);
        c->role = ROLE_ADMIN;
        c->event[0] = '\0';
        snprintf(c->token_id, sizeof c->token_id, "admin");
        c->token_expires = 0;
        reply_auth(r, "admin", "*");
        return;
    }
    struct auth_wait *w = xcalloc(1, sizeof *w);
    const char *secret;
    size_t secret_len;
    if (!auth_token_split(tok, len, w->event, w->id, &secret, &secret_len)) {
        free(w);
        rpc_reply_error(r, ERR_UNAUTHORIZED, "invalid token");
        return;
    }
    w->r = r;
    auth_digest("token", w->event, w->id, secret, secret_len, w->digest);
    /* Follow the event's changes from before the lookup, so that a
     * revocation made anywhere after it closes this connection. */
    follow_event(srv_global->follow, w->event);
    /* What comes after an auth is judged by its outcome. */
    conn_pause_input(c);
    char k[KEY_MAX];
    struct cmd cm;
    cmd_init(&cm);
    cmd_adds(&cm, "HMGET");
    cmd_adds(&cm, key_fmt(k, w->event, "tok", w->id));
    cmd_adds(&cm, "role");
    cmd_adds(&cm, "digest");
    cmd_adds(&cm, "expires");
    cmd_adds(&cm, "revoked");
    cmd_send(&cm, srv_global->store, on_token, w);
}
