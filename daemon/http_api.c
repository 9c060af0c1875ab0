/* http_api.c: the dashboard's event API, /api/events/<event>/stats (the
 * figures and what the charts need, JSON) and /api/events/<event>/feed
 * (the live feed, http_sse.c). Both need an organizer token of the event
 * or the admin's (http_session.c). The figures are read in one Redis step
 * (em_dashboard, dashboard.lua), so they agree with each other and with
 * stats.get whatever other daemons write meanwhile. */
#include "http_api.h"

#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cmd.h"
#include "http_reply.h"
#include "http_session.h"
#include "http_sse.h"
#include "keys.h"
#include "meeting_pack.h"
#include "server.h"
#include "xmalloc.h"

#define PREFIX "/api/events/"
#define TOP_N 10 /* countries and sectors listed */

/* The figures of em_stats that lead em_dashboard's reply. */
#define NSTATS (4 + MEETING_NSTATUS + 2)

enum what { WHAT_STATS, WHAT_FEED };

struct api_wait {
    struct evhttp_request *req;
    enum what what;
    char event[65];
    struct http_cred who; /* the feed's holder, checked again later */
};

/* ---- reading em_dashboard's flat reply ---- */

struct reader {
    const redisReply *r;
    size_t i;
    bool bad; /* a short reply or a wrong type somewhere */
};

static long long rd_int(struct reader *rd)
{
    if (rd->i >= rd->r->elements ||
        rd->r->element[rd->i]->type != REDIS_REPLY_INTEGER) {
        rd->bad = true;
        return 0;
    }
    return rd->r->element[rd->i++]->integer;
}

static json_t *rd_str(struct reader *rd)
{
    if (rd->i >= rd->r->elements ||
        rd->r->element[rd->i]->type != REDIS_REPLY_STRING) {
        rd->bad = true;
        return json_string("");
    }
    const redisReply *e = rd->r->element[rd->i++];
    json_t *s = json_stringn(e->str, e->len);
    return s ? s : json_string("");
}

/* A count that bounds what follows it: never more than the reply holds. */
static size_t rd_count(struct reader *rd, size_t per_item)
{
    long long n = rd_int(rd);
    if (n < 0 || (size_t)n > (rd->r->elements - rd->i) / per_item) {
        rd->bad = true;
        return 0;
    }
    return (size_t)n;
}

struct ranked {
    json_t *code;
    long long n;
};

static int by_count(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(json_string_value(x->code), json_string_value(y->code));
}

/* {key: code, participants: n} for the TOP_N largest pairs that follow. */
static json_t *rd_top(struct reader *rd, const char *key, size_t *distinct)
{
    size_t n = rd_count(rd, 2);
    struct ranked *v = xcalloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        v[i].code = rd_str(rd);
        v[i].n = rd_int(rd);
    }
    qsort(v, n, sizeof *v, by_count);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++) {
        if (i < TOP_N)
            json_array_append_new(out, json_pack("{s:O,s:I}", key, v[i].code,
                                                 "participants",
                                                 (json_int_t)v[i].n));
        json_decref(v[i].code);
    }
    free(v);
    *distinct = n;
    return out;
}

static json_t *stats_json(const char *event, const redisReply *reply)
{
    struct reader rd = {reply, 0, false};
    long long v[NSTATS];
    if (reply->type != REDIS_REPLY_ARRAY)
        return NULL;
    for (size_t i = 0; i < NSTATS; i++)
        v[i] = rd_int(&rd);
    long long nslots = v[NSTATS - 2], tables = v[NSTATS - 1];
    json_t *meetings = json_object();
    for (size_t i = 0; i < MEETING_NSTATUS; i++)
        json_object_set_new(meetings, meeting_statuses[i],
                            json_integer(v[4 + i]));
    long long places = nslots * tables;
    json_t *j = json_pack(
        "{s:s,s:{s:I,s:I,s:I},s:I,s:o,s:f,s:I}", "event", event, "participants",
        "buyer", (json_int_t)v[0], "seller", (json_int_t)v[1], "both",
        (json_int_t)v[2], "checked_in", (json_int_t)v[3], "meetings", meetings,
        "table_utilization", places > 0 ? (double)v[6] / (double)places : 0.0,
        "tables", (json_int_t)tables);
    if (j == NULL)
        return NULL;
    json_t *slots = json_array();
    size_t ns = rd_count(&rd, 4);
    for (size_t i = 0; i < ns; i++) {
        json_t *id = rd_str(&rd), *start = rd_str(&rd), *end = rd_str(&rd);
        long long booked = rd_int(&rd);
        json_array_append_new(
            slots,
            json_pack("{s:o,s:o,s:o,s:I,s:f}", "id", id, "start", start, "end",
                      end, "meetings", (json_int_t)booked, "utilization",
                      tables > 0 ? (double)booked / (double)tables : 0.0));
    }
    json_object_set_new(j, "slots", slots);
    size_t nc, nsec;
    json_object_set_new(j, "countries", rd_top(&rd, "code", &nc));
    json_object_set_new(j, "countries_distinct", json_integer((json_int_t)nc));
    json_object_set_new(j, "sectors", rd_top(&rd, "section", &nsec));
    if (rd.bad || rd.i != reply->elements) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* ---- the endpoints ---- */

static void on_figures(void *priv, const redisReply *reply,
                       const struct err *err)
{
    struct api_wait *w = priv;
    if (err) {
        http_reply_err(w->req, err);
    } else {
        json_t *j = stats_json(w->event, reply);
        if (j)
            http_reply_json(w->req, 200, j);
        else
            http_reply_error(w->req, 0, ERR_INTERNAL,
                             "unexpected dashboard reply");
    }
    free(w);
}

static void on_exists(void *priv, const redisReply *reply,
                      const struct err *err)
{
    struct api_wait *w = priv;
    if (err)
        http_reply_err(w->req, err);
    else if (reply->type != REDIS_REPLY_INTEGER || reply->integer != 1)
        http_reply_error(w->req, 0, ERR_NOT_FOUND, "event '%s' does not exist",
                         w->event);
    else
        http_feed_open(w->req, w->event, &w->who);
    free(w);
}

static void on_auth(void *priv, const struct http_cred *who,
                    const struct err *err)
{
    struct api_wait *w = priv;
    if (err) {
        http_reply_err(w->req, err);
        free(w);
        return;
    }
    w->who = *who;
    char kp[KEY_MAX];
    struct cmd c;
    if (w->what == WHAT_STATS) {
        cmd_event_fcall(&c, "em_dashboard", w->event, kp);
        cmd_adds(&c, w->event);
        cmd_send(&c, srv_global->store, on_figures, w);
        return;
    }
    cmd_init(&c);
    cmd_adds(&c, "EXISTS");
    cmd_adds(&c, key_fmt(kp, w->event, "event", NULL));
    cmd_send(&c, srv_global->store, on_exists, w);
}

/* "/api/events/<event>/<what>": the event into out; the rest as what. */
static int parse_path(const char *path, char event[65], enum what *what,
                      struct err *err)
{
    const char *e = path + strlen(PREFIX), *slash = strchr(e, '/');
    if (slash == NULL)
        return err_set(err, ERR_NOT_FOUND,
                       "expected /api/events/<event>/stats or .../feed");
    size_t n = (size_t)(slash - e);
    if (!args_valid_id(e, n))
        return err_set(err, ERR_BAD_REQUEST,
                       "event: an id is 1-64 characters of A-Za-z0-9_.-");
    if (strcmp(slash, "/stats") == 0)
        *what = WHAT_STATS;
    else if (strcmp(slash, "/feed") == 0)
        *what = WHAT_FEED;
    else
        return err_set(err, ERR_NOT_FOUND,
                       "expected /api/events/<event>/stats or .../feed");
    memcpy(event, e, n);
    event[n] = '\0';
    return 0;
}

static void on_events(struct evhttp_request *req, void *arg)
{
    struct err err;
    char event[65];
    enum what what = WHAT_STATS;
    if (parse_path(http_path(req), event, &what, &err) < 0) {
        http_reply_err(req, &err);
        return;
    }
    if (!http_get_only(req))
        return;
    if (what == WHAT_FEED &&
        evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
        /* A stream has no length to tell. */
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
                          "GET");
        http_reply_error(req, 405, ERR_BAD_REQUEST,
                         "method not allowed here: the feed is GET only");
        return;
    }
    if (!srv_global->ready) {
        http_reply_error(req, 0, ERR_UNAVAILABLE,
                         "starting: the state is not rebuilt from Redis yet");
        return;
    }
    struct api_wait *w = xcalloc(1, sizeof *w);
    w->req = req;
    w->what = what;
    memcpy(w->event, event, sizeof event);
    http_auth(req, event, on_auth, w);
}

/* Anything else under /api/ answers in JSON too. */
static void on_unknown(struct evhttp_request *req, void *arg)
{
    http_reply_error(req, 0, ERR_NOT_FOUND,
                     "no such API endpoint; see docs/protocol.md, HTTP side "
                     "port");
}

void http_api_routes(struct http *h)
{
    http_route(h, "/api/*", on_unknown, NULL);
    http_route(h, PREFIX "*", on_events, NULL);
}
