/* rpc.c: MessagePack-RPC envelopes in, responses out. Every check that is
 * the same for all methods happens here once: envelope shape, rate limit,
 * method lookup, authentication, token expiry, role, argument shape, event
 * scope and kiosk badges. */
#include "rpc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "badge.h"
#include "buf.h"
#include "log.h"
#include "server.h"
#include "subs.h"
#include "xmalloc.h"

#define METHOD_NAME_MAX 64
#define KIOSK_MAX_REQUEST (64 * 1024)

void mp_pack_strn(msgpack_packer *pk, const char *s, size_t len)
{
    msgpack_pack_str(pk, len);
    msgpack_pack_str_body(pk, s, len);
}

bool rpc_list_count(struct req *r, const msgpack_object *o, int64_t *count)
{
    *count = LIST_COUNT_DEFAULT;
    if (o == NULL)
        return true;
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 < 1 ||
        o->via.u64 > LIST_COUNT_MAX) {
        rpc_reply_error(r, ERR_BAD_REQUEST, "count: 1-%d", LIST_COUNT_MAX);
        return false;
    }
    *count = (int64_t)o->via.u64;
    return true;
}

void rpc_pack_cursor(msgpack_packer *pk, const char *next, size_t len)
{
    mp_pack_cstr(pk, "cursor");
    if (len)
        mp_pack_strn(pk, next, len);
    else
        msgpack_pack_nil(pk);
}

void mp_pack_cstr(msgpack_packer *pk, const char *s)
{
    mp_pack_strn(pk, s, strlen(s));
}

void mp_pack_raw(msgpack_packer *pk, const void *data, size_t len)
{
    pk->callback(pk->data, data, len);
}

struct method *rpc_method_find(const char *name, size_t len)
{
    for (size_t i = 0; i < rpc_nmethods; i++) {
        const char *n = rpc_methods[i].name;
        if (rpc_methods[i].namelen == len && memcmp(n, name, len) == 0)
            return &rpc_methods[i];
    }
    return NULL;
}

void rpc_init(void)
{
    for (size_t i = 0; i < rpc_nmethods; i++) {
        rpc_methods[i].namelen = strlen(rpc_methods[i].name);
        rpc_methods[i].stats.method = rpc_methods[i].name;
        metrics_register_method(&rpc_methods[i].stats);
    }
}

/* Starts [1, msgid, ...]: replies that are next in line go straight into
 * the output buffer; others wait in their own buffer. */
static msgpack_packer *reply_start(struct req *r)
{
    struct conn *c = r->conn;
    if (conn_req_is_head(r) && c->state != CONN_CLOSED) {
        r->direct = true;
        /* Until the reply is whole, notifications wait (conn_notify). */
        c->packing = true;
        msgpack_packer_init(&r->pk, &c->out, buf_msgpack_write);
    } else {
        msgpack_sbuffer_init(&r->sbuf);
        msgpack_packer_init(&r->pk, &r->sbuf, msgpack_sbuffer_write);
    }
    msgpack_pack_array(&r->pk, 4);
    msgpack_pack_uint32(&r->pk, 1);
    msgpack_pack_uint32(&r->pk, r->msgid);
    return &r->pk;
}

static void reply_finish(struct req *r, enum errcode code)
{
    if (r->method)
        metrics_observe(&r->method->stats, now_us() - r->start_us,
                        code != ERR_NONE);
    audit_finish(r, code);
    conn_req_done(r);
}

msgpack_packer *rpc_reply_begin(struct req *r)
{
    msgpack_packer *pk = reply_start(r);
    msgpack_pack_nil(pk);
    return pk;
}

void rpc_reply_end(struct req *r)
{
    reply_finish(r, ERR_NONE);
}

void rpc_reply_error(struct req *r, enum errcode code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (code == ERR_INTERNAL)
        log_error("%s: internal error: %s",
                  r->method ? r->method->name : "(envelope)", msg);
    msgpack_packer *pk = reply_start(r);
    msgpack_pack_map(pk, 2);
    mp_pack_cstr(pk, "code");
    mp_pack_cstr(pk, errcode_name(code));
    mp_pack_cstr(pk, "message");
    mp_pack_cstr(pk, msg);
    msgpack_pack_nil(pk);
    reply_finish(r, code);
}

void rpc_reply_err(struct req *r, const struct err *err)
{
    rpc_reply_error(r, err->code, "%s", err->msg);
}

/* Per-connection requests-per-second budget (config rate-limit). */
static bool over_rate(struct conn *c)
{
    int limit = c->srv->cfg->rate_limit;
    if (limit <= 0)
        return false;
    int64_t sec = now_unix();
    if (sec != c->rate_second) {
        c->rate_second = sec;
        c->rate_count = 0;
    }
    return ++c->rate_count > (unsigned)limit;
}

const char *role_name(enum role r)
{
    switch (r) {
    case ROLE_ADMIN: return "admin";
    case ROLE_ORGANIZER: return "organizer";
    case ROLE_KIOSK: return "kiosk";
    case ROLE_APP: return "app";
    default: return "none";
    }
}

enum role role_parse(const char *s, size_t n)
{
    static const enum role roles[] = {ROLE_ORGANIZER, ROLE_KIOSK, ROLE_APP};
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        const char *name = role_name(roles[i]);
        if (strlen(name) == n && memcmp(name, s, n) == 0)
            return roles[i];
    }
    return ROLE_NONE;
}

static int arg_index(const struct method *m, const char *name)
{
    for (size_t i = 0; i < m->nargs; i++)
        if (strcmp(m->args[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Finds the args map inside params ([] or [map]); NULL when empty. */
static const msgpack_object *params_map(const msgpack_object *params)
{
    if (params->via.array.size == 1 &&
        params->via.array.ptr[0].type == MSGPACK_OBJECT_MAP)
        return &params->via.array.ptr[0];
    return NULL;
}

struct kiosk_call {
    char *frame;
    size_t len;
};

static void kiosk_call_free(void *p)
{
    struct kiosk_call *k = p;
    free(k->frame);
    free(k);
}

static void run_method(struct req *r, const msgpack_object *params);

/* The badge was right: decode the saved request again and run it. */
static void kiosk_continue(struct req *r, void *arg)
{
    struct kiosk_call *k = arg;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object obj;
    size_t off = 0;
    if (msgpack_unpack(k->frame, k->len, &off, &zone, &obj) ==
        MSGPACK_UNPACK_SUCCESS) {
        run_method(r, &obj.via.array.ptr[3]);
    } else {
        rpc_reply_error(r, ERR_INTERNAL, "saved request no longer decodes");
    }
    msgpack_zone_destroy(&zone);
    kiosk_call_free(k);
}

/* Parses arguments and calls the handler (after auth and badge checks). */
static void run_method(struct req *r, const msgpack_object *params)
{
    struct method *m = r->method;
    const msgpack_object *found[MAX_ARGS] = {0};
    struct err err;
    if (args_parse(params, m->args, m->nargs, found, &err) < 0) {
        rpc_reply_err(r, &err);
        return;
    }
    m->handler(r, params_map(params), found);
}

/* The participant a kiosk call acts for: the method's own hook, else the
 * first of its actor arguments that is present (viewer, else id). */
static int acting_participant(const struct method *m,
                              const msgpack_object **found, char out[65],
                              struct err *err)
{
    if (m->actor_of)
        return m->actor_of(found, out, err);
    int ai = -1;
    for (int i = 0; i < 2 && m->actor[i] && ai < 0; i++) {
        ai = arg_index(m, m->actor[i]);
        if (ai >= 0 && found[ai] == NULL)
            ai = -1;
    }
    return args_get_id(ai < 0 ? NULL : found[ai],
                       ai < 0 ? m->actor[0] : m->args[ai].name, out, err);
}

/* Role, scope and badge checks, then the method. `frame` is the request's
 * bytes, kept for a kiosk call that must wait for its badge check. */
static void dispatch(struct req *r, const msgpack_object *params,
                     const char *frame, size_t len)
{
    struct conn *c = r->conn;
    struct method *m = r->method;
    /* Before any check: refused calls are recorded too. */
    audit_begin(r, params);
    if (!(m->flags & M_PREAUTH)) {
        if (c->role == ROLE_NONE) {
            rpc_reply_error(r, ERR_UNAUTHORIZED, "call auth first");
            return;
        }
        if (c->token_expires && now_unix() >= c->token_expires) {
            /* Back to unauthenticated, with auth-timeout to auth again. */
            c->role = ROLE_NONE;
            c->connected_ms = now_us() / 1000;
            subs_conn_clear(c);
            rpc_reply_error(r, ERR_UNAUTHORIZED, "token expired");
            return;
        }
        if (c->role != ROLE_ADMIN && !(m->roles & c->role)) {
            rpc_reply_error(r, ERR_FORBIDDEN, "role %s may not call %s",
                            role_name(c->role), m->name);
            return;
        }
    }
    if (!(m->flags & M_EVENT) || c->role == ROLE_ADMIN ||
        c->role == ROLE_NONE) {
        run_method(r, params);
        return;
    }
    /* Shape first, so that a missing or mistyped event is a bad_request. */
    const msgpack_object *found[MAX_ARGS] = {0};
    struct err err;
    if (args_parse(params, m->args, m->nargs, found, &err) < 0) {
        rpc_reply_err(r, &err);
        return;
    }
    char event[65];
    int ei = arg_index(m, "event");
    if (args_get_id(ei < 0 ? NULL : found[ei], "event", event, &err) < 0) {
        rpc_reply_err(r, &err);
        return;
    }
    if (strcmp(event, c->event) != 0) {
        rpc_reply_error(r, ERR_FORBIDDEN, "token is not valid for event '%s'",
                        event);
        return;
    }
    if (c->role != ROLE_KIOSK || (m->actor[0] == NULL && !m->actor_of)) {
        m->handler(r, params_map(params), found);
        return;
    }
    /* A kiosk acts for a participant only with that participant's badge. */
    int bi = arg_index(m, "badge");
    if (bi < 0 || found[bi] == NULL) {
        rpc_reply_error(r, ERR_BAD_REQUEST,
                        "missing field 'badge' (kiosk calls carry the "
                        "participant's badge)");
        return;
    }
    char actor[65];
    if (acting_participant(m, found, actor, &err) < 0) {
        rpc_reply_err(r, &err);
        return;
    }
    const msgpack_object *b = found[bi];
    if (!args_valid_badge(b->via.str.ptr, b->via.str.size)) {
        rpc_reply_error(r, ERR_BAD_REQUEST,
                        "badge: 8-128 printable ASCII characters, no spaces");
        return;
    }
    /* The request is copied while its badge is checked: kiosk calls are
     * small, so a large one is refused rather than held. */
    if (len > KIOSK_MAX_REQUEST) {
        rpc_reply_error(r, ERR_TOO_LARGE, "kiosk calls are limited to %d bytes",
                        KIOSK_MAX_REQUEST);
        return;
    }
    struct kiosk_call *k = xmalloc(sizeof *k);
    k->frame = xmalloc(len);
    memcpy(k->frame, frame, len);
    k->len = len;
    badge_check(r, event, actor, b->via.str.ptr, b->via.str.size,
                kiosk_continue, k, kiosk_call_free);
}

/* The method name may come as str or, from older clients, as bin. */
static bool method_name(const msgpack_object *o, const char **name, size_t *len)
{
    if (o->type == MSGPACK_OBJECT_STR) {
        *name = o->via.str.ptr;
        *len = o->via.str.size;
    } else if (o->type == MSGPACK_OBJECT_BIN) {
        *name = o->via.bin.ptr;
        *len = o->via.bin.size;
    } else {
        return false;
    }
    return true;
}

int rpc_handle_frame(struct conn *c, const char *data, size_t len)
{
    msgpack_object obj;
    size_t off = 0;
    msgpack_unpack_return ur =
        msgpack_unpack(data, len, &off, &c->srv->zone, &obj);
    if (ur != MSGPACK_UNPACK_SUCCESS) {
        conn_fail(c, 0, ERR_BAD_REQUEST, "input is not MessagePack");
        return -1;
    }
    if (obj.type != MSGPACK_OBJECT_ARRAY || obj.via.array.size < 3 ||
        obj.via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
        conn_fail(
            c, 0, ERR_BAD_REQUEST,
            "expected a MessagePack-RPC request [0, msgid, method, params]");
        return -1;
    }
    const msgpack_object *el = obj.via.array.ptr;
    uint64_t type = el[0].via.u64;
    const char *name;
    size_t namelen;
    if (type == 2 && obj.via.array.size == 3) {
        /* A client notification: no reply, whatever it says. */
        if (!method_name(&el[1], &name, &namelen) ||
            el[2].type != MSGPACK_OBJECT_ARRAY) {
            conn_fail(c, 0, ERR_BAD_REQUEST,
                      "expected a notification [2, method, params]");
            return -1;
        }
        return 0;
    }
    /* From here on the msgid, where readable, goes into the error. */
    bool msgid_ok = el[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
                    el[1].via.u64 <= UINT32_MAX;
    uint32_t msgid = msgid_ok ? (uint32_t)el[1].via.u64 : 0;
    if (type != 0 || obj.via.array.size != 4) {
        conn_fail(
            c, msgid, ERR_BAD_REQUEST,
            "expected a MessagePack-RPC request [0, msgid, method, params]");
        return -1;
    }
    if (!msgid_ok) {
        conn_fail(c, 0, ERR_BAD_REQUEST, "msgid must be a uint32");
        return -1;
    }
    if (!method_name(&el[2], &name, &namelen)) {
        conn_fail(c, msgid, ERR_BAD_REQUEST, "method must be a string");
        return -1;
    }
    if (el[3].type != MSGPACK_OBJECT_ARRAY) {
        conn_fail(c, msgid, ERR_BAD_REQUEST, "params must be an array");
        return -1;
    }
    struct method *m =
        namelen <= METHOD_NAME_MAX ? rpc_method_find(name, namelen) : NULL;
    struct req *r = conn_req_new(c, msgid, m, len);
    if (over_rate(c)) {
        rpc_reply_error(r, ERR_RATE_LIMITED,
                        "over %d requests per second on this connection",
                        c->srv->cfg->rate_limit);
        return 0;
    }
    if (m == NULL) {
        char shown[METHOD_NAME_MAX + 1];
        size_t n = namelen < METHOD_NAME_MAX ? namelen : METHOD_NAME_MAX;
        for (size_t i = 0; i < n; i++)
            shown[i] = (name[i] >= 0x20 && name[i] < 0x7f) ? name[i] : '?';
        shown[n] = '\0';
        rpc_reply_error(r, ERR_UNKNOWN_METHOD, "no method '%s'", shown);
        return 0;
    }
    dispatch(r, &el[3], data, len);
    return 0;
}
