/* m_subscribe.c: subscribe and unsubscribe. A call's topics are checked as
 * a whole (shape, role, the connection's topic cap, and in Redis that the
 * event and every named participant exist) before any of them is taken,
 * so a refused call changes nothing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "follow.h"
#include "handlers.h"
#include "keys.h"
#include "server.h"
#include "subs.h"
#include "xmalloc.h"

#define TOPICS_MAX 100 /* per call */

typedef char topic_buf[SUBS_TOPIC_MAX + 1];

/* Copies a topic into a message: printable ASCII, cut at 80 bytes, so that
 * no bytes of the client's reach the reply or the log unfiltered. */
static void shown(const char *s, size_t n, char out[84])
{
    size_t m = n < 80 ? n : 80;
    for (size_t i = 0; i < m; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    memcpy(out + m, m < n ? "..." : "", m < n ? 4 : 1);
}

/* The `topics` argument: a list of 1-100 valid topics, copied into out.
 * Returns how many, or -1 with err naming the first bad one. */
static int parse_topics(const msgpack_object *o, topic_buf *out,
                        struct err *err)
{
    if (o == NULL)
        return err_set(err, ERR_BAD_REQUEST, "missing field 'topics'");
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return err_set(err, ERR_BAD_REQUEST,
                       "topics: expected a list of 1-%d topics (got %s)",
                       TOPICS_MAX, args_type_name(o));
    size_t n = o->via.array.size;
    if (n < 1 || n > TOPICS_MAX)
        return err_set(err, ERR_BAD_REQUEST,
                       "topics: 1-%d topics per call (got %zu)", TOPICS_MAX, n);
    for (size_t i = 0; i < n; i++) {
        const msgpack_object *t = &o->via.array.ptr[i];
        if (t->type != MSGPACK_OBJECT_STR)
            return err_set(err, ERR_BAD_REQUEST,
                           "topics[%zu]: must be a string (got %s)", i,
                           args_type_name(t));
        if (!subs_valid_topic(t->via.str.ptr, t->via.str.size)) {
            char s[84];
            shown(t->via.str.ptr, t->via.str.size, s);
            return err_set(err, ERR_BAD_REQUEST,
                           "topics[%zu]: '%s' is not a topic (\"event\" or "
                           "\"participant:<id>\")",
                           i, s);
        }
        memcpy(out[i], t->via.str.ptr, t->via.str.size);
        out[i][t->via.str.size] = '\0';
    }
    return (int)n;
}

/* args: event, topics, badge. For a kiosk call: the participant of its
 * one participant topic, whose badge the call must carry. */
int subscribe_actor(const msgpack_object **found, char out[ARGS_ID_MAX + 1],
                    struct err *err)
{
    topic_buf topics[TOPICS_MAX];
    int n = parse_topics(found[1], topics, err);
    if (n < 0)
        return -1;
    if (n != 1)
        return err_set(err, ERR_BAD_REQUEST,
                       "topics: a kiosk subscribes to exactly one "
                       "participant topic per call (got %d topics)",
                       n);
    const char *id = subs_topic_participant(topics[0]);
    if (id == NULL)
        return err_set(err, ERR_FORBIDDEN,
                       "topics[0]: role kiosk may not subscribe to \"event\"; "
                       "it is for organizers");
    snprintf(out, ARGS_ID_MAX + 1, "%s", id);
    return 0;
}

/* Replies {topics: [...]}: every topic the connection now holds in the
 * event, sorted. */
static void reply_topics(struct req *r, const char *event)
{
    const char *list[SUBS_CONN_MAX];
    size_t n = subs_list(r->conn, event, list, SUBS_CONN_MAX);
    msgpack_packer *pk = rpc_reply_begin(r);
    msgpack_pack_map(pk, 1);
    mp_pack_cstr(pk, "topics");
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        mp_pack_cstr(pk, list[i]);
    rpc_reply_end(r);
}

/* Topics of the list that c does not hold yet, duplicates counted once. */
static size_t count_new(const struct conn *c, const char *event,
                        topic_buf *topics, size_t n)
{
    size_t added = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = subs_holds(c, event, topics[i]);
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(topics[j], topics[i]) == 0;
        added += !seen;
    }
    return added;
}

/* Whether the topics fit under the connection's cap; else err. */
static int check_cap(const struct conn *c, const char *event, topic_buf *topics,
                     size_t n, struct err *err)
{
    size_t held = subs_count(c), added = count_new(c, event, topics, n);
    if (held + added > SUBS_CONN_MAX)
        return err_set(err, ERR_CONFLICT,
                       "a connection holds at most %d topics (it holds %zu; "
                       "this call would add %zu)",
                       SUBS_CONN_MAX, held, added);
    return 0;
}

/* One subscribe call waiting for its existence checks: check 0 is the
 * event, check i+1 the participant of topics[i] (none for "event"). Sized
 * by the call, since pipelined calls may each hold one. */
struct sub_wait {
    struct req *r;
    unsigned epoch; /* the connection's subs_epoch when the call came */
    char event[ARGS_ID_MAX + 1];
    size_t n, pending;
    struct err err; /* the first store error, by check index */
    size_t err_at;  /* its index; SIZE_MAX while none */
    topic_buf *topics;
    struct sub_check {
        struct sub_wait *w;
        size_t i;
        signed char exists; /* -1 until answered or when not asked */
    } checks[];
};

/* Every check is in: reply not_found, an error, or subscribe them all. */
static void sub_finish(struct sub_wait *w)
{
    struct req *r = w->r;
    struct conn *c = r->conn;
    struct err err;
    if (w->err_at != SIZE_MAX) {
        rpc_reply_err(r, &w->err);
        return;
    }
    if (w->checks[0].exists == 0) {
        rpc_reply_error(r, ERR_NOT_FOUND, "no event '%s'", w->event);
        return;
    }
    for (size_t i = 0; i < w->n; i++)
        if (w->checks[i + 1].exists == 0) {
            rpc_reply_error(r, ERR_NOT_FOUND,
                            "topics[%zu]: no participant '%s' in event '%s'", i,
                            subs_topic_participant(w->topics[i]), w->event);
            return;
        }
    if (c->state == CONN_CLOSED) {
        rpc_reply_error(r, ERR_UNAVAILABLE, "connection closed");
        return;
    }
    /* The connection authenticated again (or its token expired) while
     * the checks ran: what it was allowed to ask for no longer holds. */
    if (c->subs_epoch != w->epoch) {
        rpc_reply_error(r, ERR_CONFLICT,
                        "the connection authenticated again meanwhile; "
                        "nothing was subscribed");
        return;
    }
    /* Pipelined calls may have taken topics since the first check. */
    if (check_cap(c, w->event, w->topics, w->n, &err) < 0) {
        rpc_reply_err(r, &err);
        return;
    }
    for (size_t i = 0; i < w->n; i++)
        subs_add(c, w->event, w->topics[i]);
    reply_topics(r, w->event);
}

static void on_exists(void *priv, const redisReply *reply,
                      const struct err *err)
{
    struct sub_check *ck = priv;
    struct sub_wait *w = ck->w;
    struct err e;
    if (err)
        e = *err;
    else if (reply->type != REDIS_REPLY_INTEGER)
        err_set(&e, ERR_INTERNAL, "unexpected EXISTS reply");
    else
        ck->exists = reply->integer > 0;
    if ((err || ck->exists < 0) && ck->i < w->err_at) {
        w->err = e;
        w->err_at = ck->i;
    }
    if (--w->pending == 0) {
        sub_finish(w);
        free(w);
    }
}

static void send_exists(struct sub_check *ck, const char *key)
{
    struct cmd c;
    cmd_init(&c);
    cmd_adds(&c, "EXISTS");
    cmd_adds(&c, key);
    cmd_send(&c, srv_global->store, on_exists, ck);
}

/* Refuses what the connection's role or cap does not allow; replies and
 * returns -1 then. */
static int check_allowed(struct req *r, const char *event, topic_buf *topics,
                         size_t n)
{
    struct conn *c = r->conn;
    struct err err;
    for (size_t i = 0; i < n; i++)
        if ((c->role == ROLE_APP || c->role == ROLE_KIOSK) &&
            !subs_topic_participant(topics[i])) {
            rpc_reply_error(r, ERR_FORBIDDEN,
                            "topics[%zu]: role %s may not subscribe to "
                            "\"event\"; it is for organizers",
                            i, role_name(c->role));
            return -1;
        }
    if (c->role == ROLE_KIOSK && n != 1) {
        rpc_reply_error(r, ERR_BAD_REQUEST,
                        "topics: a kiosk subscribes to exactly one "
                        "participant topic per call");
        return -1;
    }
    if (check_cap(c, event, topics, n, &err) < 0) {
        rpc_reply_err(r, &err);
        return -1;
    }
    return 0;
}

/* The event and topics of both methods; replies itself and returns -1 on
 * a bad one. */
static int read_args(struct req *r, const msgpack_object **args,
                     char event[ARGS_ID_MAX + 1], topic_buf topics[TOPICS_MAX])
{
    struct err err;
    if (arg_ids(r, "event", args[0], event, NULL, NULL) < 0)
        return -1;
    int n = parse_topics(args[1], topics, &err);
    if (n < 0)
        rpc_reply_err(r, &err);
    return n;
}

/* args: event, topics, badge (checked by the dispatcher for kiosks) */
void h_subscribe(struct req *r, const msgpack_object *map,
                 const msgpack_object **args)
{
    char event[ARGS_ID_MAX + 1];
    topic_buf topics[TOPICS_MAX];
    int got = read_args(r, args, event, topics);
    if (got < 0)
        return;
    size_t n = (size_t)got;
    if (check_allowed(r, event, topics, n) < 0)
        return;
    /* This daemon must hear the event's changes, whoever makes them. */
    if (srv_global->follow)
        follow_event(srv_global->follow, event);
    struct sub_wait *w = xcalloc(1, sizeof *w + (n + 1) * sizeof w->checks[0] +
                                        n * sizeof(topic_buf));
    w->r = r;
    w->epoch = r->conn->subs_epoch;
    snprintf(w->event, sizeof w->event, "%s", event);
    w->n = n;
    w->err_at = SIZE_MAX;
    w->topics = (topic_buf *)(w->checks + n + 1);
    memcpy(w->topics, topics, n * sizeof(topic_buf));
    w->pending = 1;
    for (size_t i = 0; i <= n; i++) {
        w->checks[i].w = w;
        w->checks[i].i = i;
        w->checks[i].exists = -1;
    }
    for (size_t i = 0; i < n; i++)
        if (subs_topic_participant(topics[i]))
            w->pending++;
    /* One EXISTS per key, pipelined on the link: the replies say which
     * participant is missing, which one EXISTS over all keys would not. */
    char key[KEY_MAX];
    send_exists(&w->checks[0], key_fmt(key, event, "event", NULL));
    for (size_t i = 0; i < n; i++) {
        const char *id = subs_topic_participant(topics[i]);
        if (id)
            send_exists(&w->checks[i + 1], key_fmt(key, event, "p", id));
    }
}

/* args: event, topics, badge (ignored: leaving a topic only concerns the
 * caller's own connection) */
void h_unsubscribe(struct req *r, const msgpack_object *map,
                   const msgpack_object **args)
{
    char event[ARGS_ID_MAX + 1];
    topic_buf topics[TOPICS_MAX];
    int n = read_args(r, args, event, topics);
    for (int i = 0; i < n; i++)
        subs_remove(r->conn, event, topics[i]);
    if (n >= 0)
        reply_topics(r, event);
}
