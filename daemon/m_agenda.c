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

/* Calls a read function of one participant ("FCALL fn 1 em:{E}: E id")
 * with args event, id; cb answers. */
static void read_participant(struct req *r, const msgpack_object **args,
                             const char *fn, store_cb *cb)
{
    char event[65], id[65];
    if (arg_ids(r, "event id", args[0], event, args[1], id) < 0)
        return;
    char kp[KEY_MAX];
    struct cmd c;
    cmd_event_fcall(&c, fn, event, kp);
    cmd_adds(&c, event);
    cmd_adds(&c, id);
    cmd_send(&c, srv_global->store, cb, wait_new(r, event, id));
}

/* args: event, id, badge */
void h_agenda_get(struct req *r, const msgpack_object *map,
                  const msgpack_object **args)
{
    read_participant(r, args, "em_agenda", on_agenda);
}

/* A field of a flat meeting as a C string (hiredis ends every string
 * reply with a NUL), or NULL when absent. */
static const char *field_str(const redisReply *m, const char *name)
{
    const redisReply *v = meeting_field(m, name);
    return v ? v->str : NULL;
}

static int64_t field_time(const redisReply *m, const char *name)
{
    const redisReply *v = meeting_field(m, name);
    return v ? stored_time_seconds(v->str, v->len) : -1;
}

/* {event name, time zone, agenda meetings...}: the scheduled ones become
 * the calendar. The strings it is given stay in the reply. */
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
    for (size_t i = 0; i < n; i++) {
        const redisReply *m = reply->element[2 + i];
        const char *status = field_str(m, "status");
        int64_t start = field_time(m, "start"), end = field_time(m, "end");
        int64_t updated = field_time(m, "updated");
        if (!status || strcmp(status, "scheduled") != 0 || start < 0 ||
            end <= start)
            continue;
        const char *partner = field_str(m, "partner"),
                   *company = field_str(m, "partner_company");
        ms[k++] = (struct ics_meeting){
            .meeting_id = m->element[0]->str,
            .start = start,
            .end = end,
            .partner_id = partner ? partner : "",
            .partner_company = company ? company : "",
            .table = field_str(m, "table"),
            .interpreter = field_str(m, "interpreter"),
            .note = field_str(m, "note"),
            .updated = updated > 0 ? updated : 0,
        };
    }
    struct buf out = {0};
    struct err e;
    if (ics_render(&out, w->event, reply->element[0]->str,
                   reply->element[1]->str, w->id, ms, k, now_unix(), &e) < 0) {
        rpc_reply_err(w->r, &e);
    } else {
        msgpack_packer *pk = rpc_reply_begin(w->r);
        mp_pack_strn(pk, out.p + out.off, out.len - out.off);
        rpc_reply_end(w->r);
    }
    buf_free(&out);
    free(ms);
    wait_free(w);
}

/* args: event, id, badge */
void h_agenda_ics(struct req *r, const msgpack_object *map,
                  const msgpack_object **args)
{
    read_participant(r, args, "em_agenda_ics", on_agenda_ics);
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
    char now[20];
    local_time_iso(reply->element[1]->str, now_unix(), now);
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
