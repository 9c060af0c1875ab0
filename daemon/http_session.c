/* http_session.c: credentials on the HTTP port and sign-in sessions (see
 * http_session.h). Sessions live in this daemon's memory only: a restart
 * signs everyone out (the page simply asks for the token again), and
 * behind a load balancer a browser needs to stay on one daemon, while a
 * Bearer token works on any. The table holds HMAC digests of session ids,
 * never the ids themselves, and is capped by http-max-sessions. */
#include "http_session.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "args.h"
#include "cmd.h"
#include "http_reply.h"
#include "keys.h"
#include "rpc.h"
#include "server.h"
#include "xmalloc.h"

#define COOKIE "em_session"
#define SID_HEX 64                /* 32 random bytes */
#define SESSION_TTL_S (12 * 3600) /* at most; less if the token expires */
#define BODY_MAX 4096             /* POST /api/session: {"token": ...} */
#define HTTP_TOKEN_MAX 1024       /* as the RPC auth's admin tokens */

struct session {
    struct session *next; /* hash chain */
    struct http_cred cred;
    int64_t expires; /* unix seconds */
};

static struct session **buckets;
static size_t nbuckets, nsessions, max_sessions;

/* ---- the session table ---- */

static size_t bucket_of(const char *key)
{
    /* The key is an HMAC digest in hex: its first digits are uniform. */
    size_t x = 0;
    for (int i = 0; i < 8; i++)
        x = x * 16 + (size_t)(isdigit((unsigned char)key[i])
                                  ? key[i] - '0'
                                  : key[i] - 'a' + 10);
    return x & (nbuckets - 1);
}

static void session_key(const char *sid, char key[AUTH_DIGEST_HEX])
{
    auth_digest("session", "", "", sid, SID_HEX, key);
}

static void session_unlink(struct session **p)
{
    struct session *s = *p;
    *p = s->next;
    OPENSSL_cleanse(s, sizeof *s);
    free(s);
    nsessions--;
}

static struct session *session_find(const char *key)
{
    int64_t now = now_unix();
    for (struct session **p = &buckets[bucket_of(key)]; *p; p = &(*p)->next) {
        if (strcmp((*p)->cred.session, key) != 0)
            continue;
        if ((*p)->expires <= now) {
            session_unlink(p);
            return NULL;
        }
        return *p;
    }
    return NULL;
}

static void session_drop(const char *key)
{
    for (struct session **p = &buckets[bucket_of(key)]; *p; p = &(*p)->next)
        if (strcmp((*p)->cred.session, key) == 0) {
            session_unlink(p);
            return;
        }
}

static void session_purge(void)
{
    int64_t now = now_unix();
    for (size_t i = 0; i < nbuckets; i++)
        for (struct session **p = &buckets[i]; *p;)
            if ((*p)->expires <= now)
                session_unlink(p);
            else
                p = &(*p)->next;
}

/* ---- reading credentials from a request ---- */

static const char *header(struct evhttp_request *req, const char *name)
{
    return evhttp_find_header(evhttp_request_get_input_headers(req), name);
}

static bool is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return false;
    return true;
}

/* The session id of the cookie, into sid; false when there is none. */
static bool cookie_sid(struct evhttp_request *req, char sid[SID_HEX + 1])
{
    const char *c = header(req, "Cookie");
    size_t nl = strlen(COOKIE);
    while (c && *c) {
        while (*c == ' ' || *c == ';')
            c++;
        size_t n = strcspn(c, ";");
        if (n == nl + 1 + SID_HEX && strncmp(c, COOKIE "=", nl + 1) == 0 &&
            is_hex(c + nl + 1, SID_HEX)) {
            memcpy(sid, c + nl + 1, SID_HEX);
            sid[SID_HEX] = '\0';
            return true;
        }
        c += n;
    }
    return false;
}

/* The token of "Authorization: Bearer TOKEN": NULL when the header is
 * absent; *bad set when it is there but unusable. */
static const char *bearer(struct evhttp_request *req, size_t *len, bool *bad)
{
    const char *h = header(req, "Authorization");
    *bad = false;
    if (h == NULL)
        return NULL;
    if (strncasecmp(h, "Bearer ", 7) != 0) {
        *bad = true;
        return NULL;
    }
    h += 7;
    while (*h == ' ')
        h++;
    size_t n = strlen(h);
    while (n > 0 && h[n - 1] == ' ')
        n--;
    if (n == 0 || n > HTTP_TOKEN_MAX) {
        *bad = true;
        return NULL;
    }
    *len = n;
    return h;
}

/* Whether the query string names a secret: tokens never go in URLs (they
 * end up in logs and browser histories), so such a request is refused
 * rather than silently ignored. */
static bool secret_in_url(struct evhttp_request *req)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
    static const char *const names[] = {"token", "access_token", "auth",
                                        "session", COOKIE};
    while (q && *q) {
        size_t n = strcspn(q, "=&");
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (n == strlen(names[i]) && strncasecmp(q, names[i], n) == 0)
                return true;
        q += strcspn(q, "&");
        if (*q == '&')
            q++;
    }
    return false;
}

/* ---- checking a token or a session ---- */

struct check {
    http_auth_fn *cb;
    void *priv;
    char want[65]; /* the event asked for; "" = any */
    struct http_cred cred;
};

static void finish(struct check *ck, const struct err *err)
{
    struct err e;
    if (err == NULL && ck->want[0] && ck->cred.role == ROLE_ORGANIZER &&
        strcmp(ck->cred.event, ck->want) != 0) {
        err_set(&e, ERR_FORBIDDEN,
                "this token is for event '%s', not for event '%s'",
                ck->cred.event, ck->want);
        err = &e;
    }
    if (err && err->code == ERR_UNAUTHORIZED && ck->cred.session[0])
        session_drop(ck->cred.session);
    ck->cb(ck->priv, err ? NULL : &ck->cred, err);
    OPENSSL_cleanse(ck, sizeof *ck);
    free(ck);
}

static void fail(struct check *ck, enum errcode code, const char *msg)
{
    struct err e;
    err_set(&e, code, "%s", msg);
    finish(ck, &e);
}

static bool field_is(const redisReply *e, const char *s)
{
    return e->type == REDIS_REPLY_STRING && e->len == strlen(s) &&
           memcmp(e->str, s, e->len) == 0;
}

/* The token's record: role, digest, expires, revoked (as m_basic.c). */
static void on_record(void *priv, const redisReply *reply,
                      const struct err *err)
{
    struct check *ck = priv;
    if (err) {
        finish(ck, err);
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 4) {
        fail(ck, ERR_INTERNAL, "unexpected token record");
        return;
    }
    const redisReply *role = reply->element[0], *digest = reply->element[1],
                     *expires = reply->element[2], *revoked = reply->element[3];
    if (role->type != REDIS_REPLY_STRING ||
        digest->type != REDIS_REPLY_STRING ||
        digest->len != AUTH_DIGEST_HEX - 1 ||
        !auth_digest_equal(digest->str, ck->cred.digest)) {
        fail(ck, ERR_UNAUTHORIZED, "invalid token");
        return;
    }
    if (field_is(revoked, "1") ||
        server_recently_revoked(srv_global, ck->cred.event,
                                ck->cred.token_id)) {
        fail(ck, ERR_UNAUTHORIZED, "token revoked");
        return;
    }
    int64_t exp = expires->type == REDIS_REPLY_STRING ? atoll(expires->str) : 0;
    if (exp > 0 && now_unix() >= exp) {
        fail(ck, ERR_UNAUTHORIZED, "token expired");
        return;
    }
    enum role ro = role_parse(role->str, role->len);
    if (ro != ROLE_ORGANIZER) {
        struct err e;
        err_set(&e, ERR_FORBIDDEN,
                "a %s token may not read the dashboard; it needs an "
                "organizer or admin token",
                ro == ROLE_NONE ? "unknown" : role_name(ro));
        finish(ck, &e);
        return;
    }
    ck->cred.role = ro;
    ck->cred.token_expires = exp;
    finish(ck, NULL);
}

/* Looks the organizer token of ck->cred up in Redis. */
static void check_record(struct check *ck)
{
    char k[KEY_MAX];
    struct cmd c;
    cmd_init(&c);
    cmd_adds(&c, "HMGET");
    cmd_adds(&c, key_fmt(k, ck->cred.event, "tok", ck->cred.token_id));
    cmd_adds(&c, "role");
    cmd_adds(&c, "digest");
    cmd_adds(&c, "expires");
    cmd_adds(&c, "revoked");
    cmd_send(&c, srv_global->store, on_record, ck);
}

/* A token's text: the admin token, or an organizer's looked up. */
static void check_token(struct check *ck, const char *tok, size_t len)
{
    if (auth_is_admin(tok, len)) {
        ck->cred.role = ROLE_ADMIN;
        snprintf(ck->cred.token_id, sizeof ck->cred.token_id, "admin");
        finish(ck, NULL);
        return;
    }
    const char *secret;
    size_t secret_len;
    if (!auth_token_split(tok, len, ck->cred.event, ck->cred.token_id, &secret,
                          &secret_len)) {
        fail(ck, ERR_UNAUTHORIZED, "invalid token");
        return;
    }
    auth_digest("token", ck->cred.event, ck->cred.token_id, secret, secret_len,
                ck->cred.digest);
    check_record(ck);
}

static struct check *check_new(const char *want, http_auth_fn *cb, void *priv)
{
    struct check *ck = xcalloc(1, sizeof *ck);
    ck->cb = cb;
    ck->priv = priv;
    snprintf(ck->want, sizeof ck->want, "%s", want);
    return ck;
}

/* A session's holder: still signed in, and its token still good. */
static void check_session(struct check *ck)
{
    struct session *s = session_find(ck->cred.session);
    if (s == NULL) {
        ck->cred.session[0] = '\0';
        fail(ck, ERR_UNAUTHORIZED,
             "the session has ended (signed out or expired): sign in again");
        return;
    }
    ck->cred = s->cred;
    if (ck->cred.role == ROLE_ADMIN)
        finish(ck, NULL);
    else
        check_record(ck);
}

void http_auth(struct evhttp_request *req, const char *event, http_auth_fn *cb,
               void *priv)
{
    struct check *ck = check_new(event, cb, priv);
    if (secret_in_url(req)) {
        fail(ck, ERR_BAD_REQUEST,
             "tokens never go in URLs: send Authorization: Bearer TOKEN or "
             "sign in with POST /api/session");
        return;
    }
    size_t len = 0;
    bool bad;
    const char *tok = bearer(req, &len, &bad);
    if (bad) {
        fail(ck, ERR_UNAUTHORIZED,
             "Authorization: expected \"Bearer TOKEN\" with a token of 1-1024 "
             "characters");
        return;
    }
    if (tok) {
        check_token(ck, tok, len);
        return;
    }
    char sid[SID_HEX + 1];
    if (!cookie_sid(req, sid)) {
        fail(ck, ERR_UNAUTHORIZED,
             "not signed in: send Authorization: Bearer TOKEN or sign in "
             "with POST /api/session");
        return;
    }
    session_key(sid, ck->cred.session);
    OPENSSL_cleanse(sid, sizeof sid);
    check_session(ck);
}

void http_cred_recheck(const struct http_cred *who, http_auth_fn *cb,
                       void *priv)
{
    struct check *ck = check_new("", cb, priv);
    ck->cred = *who;
    if (ck->cred.session[0])
        check_session(ck);
    else if (ck->cred.role == ROLE_ADMIN)
        finish(ck, NULL);
    else
        check_record(ck);
}

/* ---- /api/session ---- */

static json_t *who_json(const struct http_cred *who, int64_t expires)
{
    json_t *j = json_pack("{s:s,s:[s]}", "role", role_name(who->role), "events",
                          who->role == ROLE_ADMIN ? "*" : who->event);
    if (j && expires > 0)
        json_object_set_new(j, "expires_in",
                            json_integer(expires - now_unix()));
    return j;
}

static void set_cookie(struct evhttp_request *req, const char *sid,
                       int64_t max_age)
{
    char v[160];
    snprintf(v, sizeof v,
             COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld", sid,
             (long long)max_age);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie", v);
}

/* A browser's request from another site's page is refused: SameSite
 * already keeps the cookie from it; this also stops sign-in forgery. */
static bool same_origin(struct evhttp_request *req)
{
    const char *origin = header(req, "Origin"), *host = header(req, "Host");
    if (origin == NULL)
        return true; /* not a browser, or a same-origin GET */
    const char *p = strstr(origin, "://");
    return host != NULL && p != NULL && strcmp(p + 3, host) == 0;
}

static void on_signed_in(void *priv, const struct http_cred *who,
                         const struct err *err)
{
    struct evhttp_request *req = priv;
    if (err) {
        http_reply_err(req, err);
        return;
    }
    if (nsessions >= max_sessions)
        session_purge();
    if (nsessions >= max_sessions) {
        http_reply_error(req, 0, ERR_UNAVAILABLE,
                         "too many open sessions (http-max-sessions %zu); "
                         "try later or use Authorization: Bearer",
                         max_sessions);
        return;
    }
    char sid[SID_HEX + 1];
    if (auth_random_hex(sid, SID_HEX / 2) < 0) {
        http_reply_error(req, 0, ERR_INTERNAL, "no randomness for a session");
        return;
    }
    struct session *s = xcalloc(1, sizeof *s);
    s->cred = *who;
    session_key(sid, s->cred.session);
    s->expires = now_unix() + SESSION_TTL_S;
    if (who->token_expires > 0 && who->token_expires < s->expires)
        s->expires = who->token_expires;
    size_t b = bucket_of(s->cred.session);
    s->next = buckets[b];
    buckets[b] = s;
    nsessions++;
    set_cookie(req, sid, s->expires - now_unix());
    OPENSSL_cleanse(sid, sizeof sid);
    http_reply_json(req, 200, who_json(who, s->expires));
}

/* The body's token: {"token": "..."} and nothing else. *status is the
 * HTTP status of a refusal when the code's own would not do (415). */
static int body_token(struct evhttp_request *req, char *tok, size_t max,
                      int *status, struct err *err)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    const char *ct = header(req, "Content-Type");
    *status = 0;
    if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0 ||
        (ct[16] != '\0' && ct[16] != ';' && ct[16] != ' ')) {
        *status = 415;
        return err_set(err, ERR_BAD_REQUEST,
                       "Content-Type: expected application/json");
    }
    if (n > BODY_MAX)
        return err_set(err, ERR_TOO_LARGE,
                       "body: %zu bytes; at most %d for a sign-in", n,
                       BODY_MAX);
    unsigned char *data = evbuffer_pullup(in, -1);
    json_error_t je;
    json_t *j = json_loadb((const char *)data, n, JSON_REJECT_DUPLICATES, &je);
    if (data)
        OPENSSL_cleanse(data, n);
    if (j == NULL || !json_is_object(j)) {
        json_decref(j);
        return err_set(err, ERR_BAD_REQUEST,
                       "body: expected a JSON object {\"token\": \"...\"}");
    }
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        if (strcmp(key, "token") != 0) {
            char k[40];
            snprintf(k, sizeof k, "%.32s", key);
            json_decref(j);
            return err_set(err, ERR_BAD_REQUEST, "body: unknown field '%s'", k);
        }
    }
    v = json_object_get(j, "token");
    int rc = 0;
    if (v == NULL)
        rc = err_set(err, ERR_BAD_REQUEST, "body: missing field 'token'");
    else if (!json_is_string(v) || json_string_length(v) < 1 ||
             json_string_length(v) > max)
        rc = err_set(err, ERR_BAD_REQUEST,
                     "token: expected a string of 1-%zu characters", max);
    else
        memcpy(tok, json_string_value(v), json_string_length(v) + 1);
    if (v && json_is_string(v))
        OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
    json_decref(j);
    return rc;
}

static void sign_in(struct evhttp_request *req)
{
    struct err err;
    char tok[HTTP_TOKEN_MAX + 1];
    if (secret_in_url(req)) {
        http_reply_error(req, 0, ERR_BAD_REQUEST,
                         "tokens never go in URLs: send it in the body");
        return;
    }
    int status;
    if (body_token(req, tok, HTTP_TOKEN_MAX, &status, &err) < 0) {
        http_reply_error(req, status, err.code, "%s", err.msg);
        return;
    }
    struct check *ck = check_new("", on_signed_in, req);
    check_token(ck, tok, strlen(tok));
    OPENSSL_cleanse(tok, sizeof tok);
}

static void on_whoami(void *priv, const struct http_cred *who,
                      const struct err *err)
{
    struct evhttp_request *req = priv;
    if (err) {
        http_reply_err(req, err);
        return;
    }
    struct session *s = who->session[0] ? session_find(who->session) : NULL;
    http_reply_json(req, 200, who_json(who, s ? s->expires : 0));
}

static void sign_out(struct evhttp_request *req)
{
    char sid[SID_HEX + 1], key[AUTH_DIGEST_HEX];
    if (cookie_sid(req, sid)) {
        session_key(sid, key);
        session_drop(key);
        OPENSSL_cleanse(sid, sizeof sid);
    }
    set_cookie(req, "", 0);
    http_reply_json(req, 200, json_pack("{s:b}", "signed_out", 1));
}

static void on_session(struct evhttp_request *req, void *arg)
{
    enum evhttp_cmd_type t = evhttp_request_get_command(req);
    if (t != EVHTTP_REQ_GET && t != EVHTTP_REQ_HEAD && !same_origin(req)) {
        http_reply_error(req, 0, ERR_FORBIDDEN,
                         "Origin: requests from another site's page are "
                         "refused");
        return;
    }
    switch (t) {
    case EVHTTP_REQ_POST: sign_in(req); break;
    case EVHTTP_REQ_GET:
    case EVHTTP_REQ_HEAD: http_auth(req, "", on_whoami, req); break;
    case EVHTTP_REQ_DELETE: sign_out(req); break;
    default:
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
                          "GET, HEAD, POST, DELETE");
        http_reply_error(req, 405, ERR_BAD_REQUEST,
                         "method not allowed here: POST signs in, GET tells "
                         "who is signed in, DELETE signs out");
    }
}

void http_session_routes(struct http *h, const struct config *cfg)
{
    max_sessions = (size_t)cfg->http_max_sessions;
    nbuckets = 64;
    while (nbuckets < max_sessions && nbuckets < (1u << 20))
        nbuckets *= 2;
    buckets = xcalloc(nbuckets, sizeof *buckets);
    http_route(h, "/api/session", on_session, NULL);
}
