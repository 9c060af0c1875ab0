/* audit.c: records organizer, admin and kiosk calls into each event's
 * capped audit stream (see audit.h). The entry is written right after the
 * reply, not in the same Redis step as the call's own write: a daemon that
 * dies between the two loses that one entry (docs/security.md). */
#include "audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "cmd.h"
#include "config.h"
#include "keys.h"
#include "log.h"
#include "rpc.h"
#include "server.h"
#include "xmalloc.h"

#define TARGET_MAX 160

/* What one entry will say; lives from dispatch to the reply. */
struct audit_rec {
    char event[ARGS_ID_MAX + 1]; /* whose stream it goes to */
    char token[33];              /* token id ("admin" for the admin) */
    const char *role;            /* role name, static */
    const char *method;          /* method name, static */
    char target[TARGET_MAX];     /* "participant:<id>", "meeting:<id>"... */
    char actor[ARGS_ID_MAX + 1]; /* participant acted for, "" if none */
    char peer[64];               /* client address */
    int64_t time_ms;             /* wall clock when the call was read */
};

/* Which argument names a method's target, and which one the participant
 * it acts for; methods not listed target their event. */
struct target_rule {
    const char *method;
    const char *kind; /* "participant", "meeting", "token", "topic" */
    const char *arg;
    const char *actor; /* first of two names present wins */
    const char *actor2;
};

static const struct target_rule rules[] = {
    {"token.revoke", "token", "id", NULL, NULL},
    {"profile.put", "participant", "id", NULL, NULL},
    {"profile.get", "participant", "id", "viewer", "id"},
    {"profile.delete", "participant", "id", NULL, NULL},
    {"match.top", "participant", "id", "id", NULL},
    {"meeting.inbox", "participant", "id", "id", NULL},
    {"agenda.get", "participant", "id", "id", NULL},
    {"agenda.ics", "participant", "id", "id", NULL},
    {"checkin", "participant", "id", "id", NULL},
    {"meeting.request", "participant", "to", "from", NULL},
    {"meeting.create", "participant", "to", "from", NULL},
    {"meeting.respond", "meeting", "meeting", NULL, NULL},
    {"meeting.cancel", "meeting", "meeting", "by", NULL},
    {"meeting.noshow", "meeting", "meeting", "by", NULL},
    {"meeting.feedback", "meeting", "meeting", "by", NULL},
    {"meeting.get", "meeting", "meeting", NULL, NULL},
    {"subscribe", "topic", "topics", NULL, NULL},
    {"unsubscribe", "topic", "topics", NULL, NULL},
};

static const struct target_rule *rule_of(const char *method)
{
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (strcmp(rules[i].method, method) == 0)
            return &rules[i];
    return NULL;
}

/* The value of key `name` in the arguments map, or NULL. */
static const msgpack_object *arg_of(const msgpack_object *map, const char *name)
{
    if (map == NULL || name == NULL)
        return NULL;
    size_t n = strlen(name);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
            memcmp(k->via.str.ptr, name, n) == 0)
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}

/* Copies an id-shaped str argument into out; false when absent or not an
 * id (nothing the client sent unchecked reaches the audit). */
static bool id_of(const msgpack_object *o, char out[ARGS_ID_MAX + 1])
{
    if (o == NULL || o->type != MSGPACK_OBJECT_STR ||
        !args_valid_id(o->via.str.ptr, o->via.str.size))
        return false;
    memcpy(out, o->via.str.ptr, o->via.str.size);
    out[o->via.str.size] = '\0';
    return true;
}

/* "event" or "participant:<id>", as a topic must read; false otherwise. */
static bool topic_of(const msgpack_object *o, char *out, size_t outlen)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return false;
    const char *s = o->via.str.ptr;
    size_t n = o->via.str.size;
    static const char pfx[] = "participant:";
    size_t pl = sizeof pfx - 1;
    if ((n == 5 && memcmp(s, "event", 5) == 0) ||
        (n > pl && memcmp(s, pfx, pl) == 0 && args_valid_id(s + pl, n - pl))) {
        snprintf(out, outlen, "%.*s", (int)n, s);
        return true;
    }
    return false;
}

/* subscribe's target: its first topic, and how many more it named. */
static void topics_target(const msgpack_object *o, char *out, size_t outlen)
{
    if (o == NULL || o->type != MSGPACK_OBJECT_ARRAY ||
        o->via.array.size == 0 ||
        !topic_of(&o->via.array.ptr[0], out, outlen)) {
        snprintf(out, outlen, "topics");
        return;
    }
    uint32_t more = o->via.array.size - 1;
    if (more > 0) {
        size_t used = strlen(out);
        snprintf(out + used, outlen - used, " +%u", more);
    }
}

static bool role_audited(enum role ro)
{
    return ro == ROLE_ADMIN || ro == ROLE_ORGANIZER || ro == ROLE_KIOSK;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void audit_begin(struct req *r, const msgpack_object *params)
{
    struct conn *c = r->conn;
    const struct method *m = r->method;
    if (m == NULL || !(m->flags & M_EVENT) || !role_audited(c->role))
        return;
    const msgpack_object *map = NULL;
    if (params && params->type == MSGPACK_OBJECT_ARRAY &&
        params->via.array.size == 1 &&
        params->via.array.ptr[0].type == MSGPACK_OBJECT_MAP)
        map = &params->via.array.ptr[0];
    char event[ARGS_ID_MAX + 1];
    bool have_event = id_of(arg_of(map, "event"), event);
    /* Staff tokens write to their own event's trail only, so that a token
     * of one event cannot fill another's; the admin's calls go to the
     * event they name. */
    if (c->role != ROLE_ADMIN) {
        if (c->event[0] == '\0')
            return;
    } else if (!have_event) {
        return;
    }
    struct audit_rec *a = xcalloc(1, sizeof *a);
    snprintf(a->event, sizeof a->event, "%s",
             c->role == ROLE_ADMIN ? event : c->event);
    snprintf(a->token, sizeof a->token, "%s", c->token_id);
    a->role = role_name(c->role);
    a->method = m->name;
    snprintf(a->peer, sizeof a->peer, "%s", c->peer);
    a->time_ms = wall_ms();
    const struct target_rule *rule = rule_of(m->name);
    char id[ARGS_ID_MAX + 1];
    if (have_event && strcmp(event, a->event) != 0) {
        /* A call into another event: the target says which. */
        snprintf(a->target, sizeof a->target, "event:%s", event);
    } else if (rule && strcmp(rule->kind, "topic") == 0) {
        topics_target(arg_of(map, rule->arg), a->target, sizeof a->target);
    } else if (rule && id_of(arg_of(map, rule->arg), id)) {
        snprintf(a->target, sizeof a->target, "%s:%s", rule->kind, id);
    } else {
        snprintf(a->target, sizeof a->target, "event:%s", a->event);
    }
    if (rule && !id_of(arg_of(map, rule->actor), a->actor))
        id_of(arg_of(map, rule->actor2), a->actor);
    r->audit = a;
}

void audit_set_target(struct req *r, const char *kind, const char *id)
{
    if (r->audit)
        snprintf(r->audit->target, sizeof r->audit->target, "%s:%s", kind, id);
}

static void on_added(void *priv, const redisReply *reply, const struct err *err)
{
    if (err)
        log_warn("audit: an entry for event %s was not recorded: %s",
                 (const char *)priv, errcode_name(err->code));
    free(priv);
}

void audit_finish(struct req *r, enum errcode code)
{
    struct audit_rec *a = r->audit;
    if (a == NULL)
        return;
    r->audit = NULL;
    char key[KEY_MAX];
    struct cmd cm;
    cmd_init(&cm);
    cmd_adds(&cm, "XADD");
    cmd_adds(&cm, key_fmt(key, a->event, "audit", NULL));
    cmd_adds(&cm, "MAXLEN");
    cmd_adds(&cm, "=");
    cmd_addi(&cm, srv_global->cfg->audit_maxlen);
    cmd_adds(&cm, "*");
    cmd_adds(&cm, "t");
    cmd_addi(&cm, a->time_ms);
    cmd_adds(&cm, "tok");
    cmd_adds(&cm, a->token);
    cmd_adds(&cm, "role");
    cmd_adds(&cm, a->role);
    cmd_adds(&cm, "m");
    cmd_adds(&cm, a->method);
    cmd_adds(&cm, "tgt");
    cmd_adds(&cm, a->target);
    cmd_adds(&cm, "res");
    cmd_adds(&cm, code == ERR_NONE ? "ok" : errcode_name(code));
    if (a->actor[0]) {
        cmd_adds(&cm, "act");
        cmd_adds(&cm, a->actor);
    }
    cmd_adds(&cm, "peer");
    cmd_adds(&cm, a->peer);
    /* hiredis copies the arguments when sending; the event id is kept
     * only for the warning should the entry be lost. */
    cmd_send(&cm, srv_global->store, on_added, xstrdup(a->event));
    free(a);
}
