/* http_sse.c: the live feed (see http_sse.h). Each feed is an HTTP
 * response that never ends: evhttp's chunked reply, one chunk per
 * message. Messages are built once per change for every feed of the
 * event, from the public fields only: a meeting's ids, sides, status and
 * place, never its note, feedback, contacts or badges. */
#include "http_sse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>

#include "follow.h"
#include "http_reply.h"
#include "log.h"
#include "meeting_pack.h"
#include "notify.h"
#include "server.h"
#include "xmalloc.h"

/* Unsent bytes a feed may hold: a few thousand messages. A client that
 * falls this far behind is not reading; it is dropped. */
#define FEED_BUFFER_MAX (256 * 1024)
/* Bytes a feed's client may send after its request before it is no
 * longer read from (it has nothing to say). */
#define FEED_INPUT_MAX (16 * 1024)

struct feed {
    struct feed *prev, *next;
    struct evhttp_request *req;    /* the response being streamed */
    struct evhttp_connection *con; /* its connection; NULL once closed */
    struct event *beat;            /* heartbeat and re-check timer */
    struct http_cred who;          /* checked again at each heartbeat */
    char event[65];
    bool checking; /* a re-check is in flight: it frees a gone feed */
    bool gone;     /* the connection closed */
};

static struct feed *feeds;
static size_t nfeeds, max_feeds;
static struct timeval beat_tv;

/* Unlinks a closed feed; frees it unless a re-check still points at it. */
static void feed_forget(struct feed *f)
{
    if (f->prev)
        f->prev->next = f->next;
    else
        feeds = f->next;
    if (f->next)
        f->next->prev = f->prev;
    nfeeds--;
    event_free(f->beat);
    f->beat = NULL;
    f->gone = true;
    if (!f->checking)
        free(f);
}

/* The connection goes away: the client left, timed out, or was dropped. */
static void on_close(struct evhttp_connection *con, void *arg)
{
    struct feed *f = arg;
    f->con = NULL;
    /* After a client's close evhttp leaves the request to us; when we
     * drop the connection ourselves it frees the request itself. */
    if (evhttp_request_get_connection(f->req) == NULL)
        evhttp_request_free(f->req);
    feed_forget(f);
}

/* Closes the feed's connection (on_close then forgets it). */
static void feed_drop(struct feed *f, const char *why)
{
    log_info("http: dropping a live feed of '%s': %s", f->event, why);
    evhttp_connection_set_closecb(f->con, NULL, NULL);
    struct evhttp_connection *con = f->con;
    f->con = NULL;
    feed_forget(f);
    evhttp_connection_free(con);
}

/* Queues bytes; false when the feed was dropped for not reading. */
static bool feed_write(struct feed *f, const char *s, size_t n)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(f->con);
    if (evbuffer_get_length(bufferevent_get_output(bev)) + n >
        FEED_BUFFER_MAX) {
        feed_drop(f, "its client does not read");
        return false;
    }
    struct evbuffer *b = evbuffer_new();
    if (b == NULL)
        return true;
    evbuffer_add(b, s, n);
    evhttp_send_reply_chunk(f->req, b);
    evbuffer_free(b);
    return true;
}

/* Sends "event: kind" with data j (released) to every feed of the event. */
static void broadcast(const char *event, const char *kind, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (text == NULL)
        return;
    size_t n = strlen(kind) + strlen(text) + 32;
    char *msg = xmalloc(n);
    n = (size_t)snprintf(msg, n, "event: %s\ndata: %s\n\n", kind, text);
    free(text);
    struct feed *next;
    for (struct feed *f = feeds; f; f = next) {
        next = f->next;
        if (strcmp(f->event, event) == 0)
            feed_write(f, msg, n);
    }
    free(msg);
}

/* ---- the notification tap ---- */

static bool listens(const char *event)
{
    for (const struct feed *f = feeds; f; f = f->next)
        if (strcmp(f->event, event) == 0)
            return true;
    return false;
}

static void add_str(json_t *j, const char *key, const redisReply *r)
{
    if (r && r->type == REDIS_REPLY_STRING)
        json_object_set_new(j, key, json_stringn(r->str, r->len));
}

static void tap_meeting(const char *event, const redisReply *m)
{
    /* Public fields only: the note, feedback and who reported what stay
     * out, as do contacts and badges (never in a meeting anyway). */
    static const char *const fields[] = {
        "from", "to",    "status",      "slot",    "start",
        "end",  "table", "interpreter", "created", "updated"};
    json_t *j = json_object();
    add_str(j, "meeting", m->element[0]);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        add_str(j, fields[i], meeting_field(m, fields[i]));
    broadcast(event, "meeting", j);
}

static void now_iso(char out[32])
{
    time_t t = (time_t)now_unix();
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void tap_checkin(const char *event, const char *id)
{
    char at[32];
    now_iso(at);
    broadcast(event, "checkin", json_pack("{s:s,s:s}", "id", id, "at", at));
}

static void tap_participant(const char *event, const char *id,
                            long long version, bool deleted)
{
    json_t *j =
        json_pack("{s:s,s:I}", "id", id, "version", (json_int_t)version);
    if (j && deleted)
        json_object_set_new(j, "deleted", json_true());
    broadcast(event, "participant", j);
}

static const struct notify_tap tap = {
    .listens = listens,
    .meeting = tap_meeting,
    .checkin = tap_checkin,
    .participant = tap_participant,
};

/* ---- heartbeats ---- */

static void on_recheck(void *priv, const struct http_cred *who,
                       const struct err *err)
{
    struct feed *f = priv;
    f->checking = false;
    if (f->gone) {
        free(f);
        return;
    }
    /* Redis being away is no reason to end a feed; a revoked or expired
     * token, or a signed-out session, is. */
    if (err && err->code != ERR_UNAVAILABLE) {
        json_t *j = json_pack("{s:s,s:s}", "code", errcode_name(err->code),
                              "message", err->msg);
        char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        char msg[512];
        int n = snprintf(msg, sizeof msg, "event: end\ndata: %s\n\n",
                         text ? text : "{}");
        free(text);
        if (n > 0 && (size_t)n < sizeof msg && !feed_write(f, msg, (size_t)n))
            return;
        /* The last words go out first; evhttp then ends the response. */
        struct evhttp_request *req = f->req;
        evhttp_connection_set_closecb(f->con, NULL, NULL);
        feed_forget(f);
        evhttp_send_reply_end(req);
    }
}

static void on_beat(evutil_socket_t fd, short what, void *arg)
{
    struct feed *f = arg;
    static const char beat[] = ": heartbeat\n\n";
    if (!feed_write(f, beat, sizeof beat - 1))
        return;
    if (!f->checking) {
        f->checking = true;
        http_cred_recheck(&f->who, on_recheck, f);
    }
}

/* ---- opening ---- */

void http_feed_init(const struct config *cfg)
{
    max_feeds = (size_t)cfg->http_max_feeds;
    beat_tv.tv_sec = cfg->http_heartbeat_ms / 1000;
    beat_tv.tv_usec = (cfg->http_heartbeat_ms % 1000) * 1000;
    notify_set_tap(&tap);
}

void http_feed_open(struct evhttp_request *req, const char *event,
                    const struct http_cred *who)
{
    struct evhttp_connection *con = evhttp_request_get_connection(req);
    if (con == NULL) {
        /* The client left while its credentials were checked. */
        evhttp_request_free(req);
        return;
    }
    if (nfeeds >= max_feeds) {
        http_reply_error(req, 0, ERR_UNAVAILABLE,
                         "too many live feeds open (http-max-feeds %zu); try "
                         "again later",
                         max_feeds);
        return;
    }
    struct feed *f = xcalloc(1, sizeof *f);
    f->req = req;
    f->con = con;
    f->who = *who;
    snprintf(f->event, sizeof f->event, "%s", event);
    f->beat = event_new(srv_global->base, -1, EV_PERSIST, on_beat, f);
    event_add(f->beat, &beat_tv);
    f->next = feeds;
    if (feeds)
        feeds->prev = f;
    feeds = f;
    nfeeds++;
    /* Changes made through other daemons arrive by the change stream. */
    follow_event(srv_global->follow, event);

    struct evkeyvalq *hd = evhttp_request_get_output_headers(req);
    http_secure_headers(req);
    evhttp_add_header(hd, "Content-Type", "text/event-stream; charset=utf-8");
    evhttp_add_header(hd, "Cache-Control", "no-store");
    evhttp_add_header(hd, "X-Accel-Buffering", "no");
    evhttp_send_reply_start(req, 200, "OK");
    evhttp_connection_set_closecb(con, on_close, f);
    /* evhttp's idle timeout counts reading only: a feed's client sends
     * nothing after its request, so only a stuck write may end it. */
    struct bufferevent *bev = evhttp_connection_get_bufferevent(con);
    struct timeval wt = {30, 0};
    bufferevent_set_timeouts(bev, NULL, &wt);
    /* Reading goes on only to notice the client leaving; whatever it
     * sends meanwhile is never read by evhttp, so cap it. */
    bufferevent_setwatermark(bev, EV_READ, 0, FEED_INPUT_MAX);
    char hello[160];
    int n = snprintf(hello, sizeof hello,
                     "retry: 3000\nevent: hello\ndata: "
                     "{\"event\":\"%s\",\"heartbeat_ms\":%ld}\n\n",
                     f->event,
                     (long)(beat_tv.tv_sec * 1000 + beat_tv.tv_usec / 1000));
    feed_write(f, hello, (size_t)n);
}
