/* m_agenda.c: agenda.get and checkin, the on-site day: a participant's
 * agenda, and at check-in the checked-in good matches it could meet right
 * now (meet_now). */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "handlers.h"
#include "ics.h"
#include "keys.h"
#include "localtime.h"
#include "match.h"
#include "meeting_pack.h"
#include "server.h"
#include "xmalloc.h"

#define MEET_NOW_CANDIDATES 20 /* best matches looked at */
#define MEET_NOW_MAX 5         /* suggestions returned */

struct agenda_wait {
    struct req *r;
    char event[65];
    char id[65];
    msgpack_sbuffer agenda; /* checkin: the packed agenda while meet_now runs */
    size_t ncand;
    struct candidate {
        char id[65];
        char *company;
        double score;
    } cand[MEET_NOW_CANDIDATES];
};

static struct agenda_wait *wait_new(struct req *r, const char *event,
                                    const char *id)
{
    struct agenda_wait *w = xcalloc(1, sizeof *w);
    w->r = r;
    snprintf(w->event, sizeof w->event, "%s", event);
    snprintf(w->id, sizeof w->id, "%s", id);
    msgpack_sbuffer_init(&w->agenda);
    return w;
}

static void wait_free(struct agenda_wait *w)
{
    for (size_t i = 0; i < w->ncand; i++)
        free(w->cand[i].company);
    msgpack_sbuffer_destroy(&w->agenda);
    free(w);
}

/* Elements [from, n) of reply are flat meetings with partner fields. */
static bool agenda_ok(const redisReply *reply, size_t from)
{
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < from)
        return false;
    for (size_t i = from; i < reply->elements; i++)
        if (!meeting_reply_ok(reply->element[i]))
            return false;
    return true;
}

static void pack_agenda(msgpack_packer *pk, const char *event,
                        const redisReply *reply, size_t from)
{
    msgpack_pack_array(pk, reply->elements - from);
    for (size_t i = from; i < reply->elements; i++)
        pack_meeting(pk, event, reply->element[i], true);
}

static void on_agenda(void *priv, const redisReply *reply,
                      const struct err *err)
{
    struct agenda_wait *w = priv;
    if (err) {
        rpc_reply_err(w->r, err);
    } else if (!agenda_ok(reply, 0)) {
        rpc_reply_error(w->r, ERR_INTERNAL, "unexpected agenda reply");
    } else {
        pack_agenda(rpc_reply_begin(w->r), w->event, reply, 0);
        rpc_reply_end(w->r);
    }
    wait_free(w);
}

/* args: event, id, badge */
void h_agenda_get(struct req *r, const msgpack_object *map,
                  const msgpack_object **args)
{
    char event[65], id[65];
    if (arg_ids(r, "event id", args[0], event, args[1], id) < 0)
        return;
    char kp[KEY_MAX];
    struct cmd c;
    cmd_event_fcall(&c, "em_agenda", event, kp);
    cmd_adds(&c, event);
    cmd_adds(&c, id);
    cmd_send(&c, srv_global->store, on_agenda, wait_new(r, event, id));
}

/* A field of a flat meeting as a C string in out ("" when absent). */
static const char *field_str(const redisReply *m, const char *name, char *out,
                             size_t cap)
{
    const redisReply *v = meeting_field(m, name);
    snprintf(out, cap, "%.*s", v ? (int)v->len : 0, v ? v->str : "");
    return out;
}

static int64_t field_time(const redisReply *m, const char *name)
{
    const redisReply *v = meeting_field(m, name);
    return v ? stored_time_seconds(v->str, v->len) : -1;
}

/* {event name, time zone, agenda meetings...}: the scheduled ones become
 * the calendar. */
static void on_agenda_ics(void *priv, const redisReply *reply,
                          const struct err *err)
{
    struct agenda_wait *w = priv;
    if (err) {
        rpc_reply_err(w->r, err);
        wait_free(w);
        return;
    }
    if (!agenda_ok(reply, 2) || reply->element[0]->type != REDIS_REPLY_STRING ||
        reply->element[1]->type != REDIS_REPLY_STRING) {
        rpc_reply_error(w->r, ERR_INTERNAL, "unexpected agenda reply");
        wait_free(w);
        return;
    }
    size_t n = reply->elements - 2, k = 0;
    struct ics_meeting *ms = xcalloc(n + 1, sizeof *ms);
    /* Strings of each meeting, NUL-terminated copies. */
    struct ics_text {
        char id[65], partner[65], company[1024], table[65], interp[65];
        char note[4096];
    } *tx = xcalloc(n + 1, sizeof *tx);
    for (size_t i = 0; i < n; i++) {
        const redisReply *m = reply->element[2 + i];
        const redisReply *status = meeting_field(m, "status");
        int64_t start = field_time(m, "start"), end = field_time(m, "end");
        if (!status || strcmp(status->str, "scheduled") != 0 || start < 0 ||
            end <= start)
            continue;
        struct ics_text *t = &tx[k];
        snprintf(t->id, sizeof t->id, "%.*s", (int)m->element[0]->len,
                 m->element[0]->str);
        ms[k] = (struct ics_meeting){
            .meeting_id = t->id,
            .start = start,
            .end = end,
            .partner_id =
                field_str(m, "partner", t->partner, sizeof t->partner),
            .partner_company =
                field_str(m, "partner_company", t->company, sizeof t->company),
            .table = field_str(m, "table", t->table, sizeof t->table),
            .interpreter =
                meeting_field(m, "interpreter")
                    ? field_str(m, "interpreter", t->interp, sizeof t->interp)
                    : NULL,
            .note = meeting_field(m, "note")
                        ? field_str(m, "note", t->note, sizeof t->note)
                        : NULL,
            .updated =
                field_time(m, "updated") > 0 ? field_time(m, "updated") : 0,
        };
        if (!ms[k].table[0])
            ms[k].table = NULL;
        k++;
    }
    char name[1024], tz[80];
    snprintf(name, sizeof name, "%.*s", (int)reply->element[0]->len,
             reply->element[0]->str);
    snprintf(tz, sizeof tz, "%.*s", (int)reply->element[1]->len,
             reply->element[1]->str);
    struct buf out = {0};
    struct err e;
    if (ics_render(&out, w->event, name, tz, w->id, ms, k, now_unix(), &e) <
        0) {
        rpc_reply_err(w->r, &e);
    } else {
        msgpack_packer *pk = rpc_reply_begin(w->r);
        mp_pack_strn(pk, out.p + out.off, out.len - out.off);
        rpc_reply_end(w->r);
    }
    buf_free(&out);
    free(ms);
    free(tx);
    wait_free(w);
}

/* args: event, id, badge */
void h_agenda_ics(struct req *r, const msgpack_object *map,
                  const msgpack_object **args)
{
    char event[65], id[65];
    if (arg_ids(r, "event id", args[0], event, args[1], id) < 0)
        return;
    char kp[KEY_MAX];
    struct cmd c;
    cmd_event_fcall(&c, "em_agenda_ics", event, kp);
    cmd_adds(&c, event);
    cmd_adds(&c, id);
    cmd_send(&c, srv_global->store, on_agenda_ics, wait_new(r, event, id));
}

static const struct candidate *find_candidate(const struct agenda_wait *w,
                                              const redisReply *id)
{
    for (size_t i = 0; i < w->ncand; i++)
        if (strlen(w->cand[i].id) == id->len &&
            memcmp(w->cand[i].id, id->str, id->len) == 0)
            return &w->cand[i];
    return NULL;
}

static void on_meet_now(void *priv, const redisReply *reply,
                        const struct err *err)
{
    struct agenda_wait *w = priv;
    size_t n = 0;
    /* Suggestions are a bonus: without them the check-in still stands. */
    bool ok =
        !err && reply->type == REDIS_REPLY_ARRAY && reply->elements % 3 == 0;
    for (size_t i = 0; ok && i < reply->elements; i++)
        ok = reply->element[i]->type == REDIS_REPLY_STRING;
    if (ok)
        for (size_t i = 0; i < reply->elements && n < MEET_NOW_MAX; i += 3)
            n += find_candidate(w, reply->element[i]) != NULL;
    msgpack_packer *pk = rpc_reply_begin(w->r);
    msgpack_pack_map(pk, 3);
    mp_pack_cstr(pk, "checked_in");
    msgpack_pack_true(pk);
    mp_pack_cstr(pk, "agenda");
    mp_pack_raw(pk, w->agenda.data, w->agenda.size);
    mp_pack_cstr(pk, "meet_now");
    msgpack_pack_array(pk, n);
    for (size_t i = 0, done = 0; ok && i < reply->elements && done < n;
         i += 3) {
        const struct candidate *cd = find_candidate(w, reply->element[i]);
        if (cd == NULL)
            continue;
        done++;
        msgpack_pack_map(pk, 5);
        mp_pack_cstr(pk, "id");
        mp_pack_cstr(pk, cd->id);
        mp_pack_cstr(pk, "company");
        mp_pack_cstr(pk, cd->company);
        mp_pack_cstr(pk, "score");
        msgpack_pack_double(pk, cd->score);
        mp_pack_cstr(pk, "slot");
        mp_pack_strn(pk, reply->element[i + 1]->str,
                     reply->element[i + 1]->len);
        mp_pack_cstr(pk, "table");
        mp_pack_strn(pk, reply->element[i + 2]->str,
                     reply->element[i + 2]->len);
    }
    rpc_reply_end(w->r);
    wait_free(w);
}

/* Checked in: keep the agenda, take the best matches from the engine and
 * ask Redis which of them could meet now. */
static void on_checkin(void *priv, const redisReply *reply,
                       const struct err *err)
{
    struct agenda_wait *w = priv;
    if (err) {
        rpc_reply_err(w->r, err);
        wait_free(w);
        return;
    }
    if (!agenda_ok(reply, 2) || reply->element[1]->type != REDIS_REPLY_STRING) {
        rpc_reply_error(w->r, ERR_INTERNAL, "unexpected checkin reply");
        wait_free(w);
        return;
    }
    msgpack_packer pk;
    msgpack_packer_init(&pk, &w->agenda, msgpack_sbuffer_write);
    pack_agenda(&pk, w->event, reply, 2);

    struct match_entry top[MEET_NOW_CANDIDATES];
    struct err e;
    int n = match_top(w->event, w->id, MEET_NOW_CANDIDATES, top, &e);
    for (int i = 0; i < n; i++) {
        struct candidate *cd = &w->cand[w->ncand++];
        snprintf(cd->id, sizeof cd->id, "%s", top[i].id);
        cd->company = xstrdup(top[i].company);
        cd->score = top[i].score;
    }
    char tz[80], now[20];
    const redisReply *z = reply->element[1];
    snprintf(tz, sizeof tz, "%.*s", (int)z->len, z->str);
    local_time_iso(tz, now_unix(), now);
    char kp[KEY_MAX];
    struct cmd c;
    cmd_event_fcall(&c, "em_meet_now", w->event, kp);
    cmd_adds(&c, w->event);
    cmd_adds(&c, w->id);
    cmd_adds(&c, now);
    for (size_t i = 0; i < w->ncand; i++)
        cmd_adds(&c, w->cand[i].id);
    cmd_send(&c, srv_global->store, on_meet_now, w);
}

/* args: event, id, badge */
void h_checkin(struct req *r, const msgpack_object *map,
               const msgpack_object **args)
{
    char event[65], id[65];
    if (arg_ids(r, "event id", args[0], event, args[1], id) < 0)
        return;
    char kp[KEY_MAX];
    struct cmd c;
    cmd_event_write(&c, "em_checkin", event, kp, now_unix(),
                    srv_global->cfg->stream_maxlen);
    cmd_adds(&c, id);
    cmd_send(&c, srv_global->store, on_checkin, wait_new(r, event, id));
}
