/* loadgen_flows.c: the expo day. Kiosks serve visitors one at a time
 * (check in, agenda, inbox, answer requests with the visitor's badge); app
 * backends serve many users at once (profile updates, matches, requests,
 * answers as the `to` side, inbox, agenda). Every session keeps one call
 * in flight and picks its next one by weight from its own random sequence,
 * using what earlier replies taught it (match lists, requests received). */
#include "loadgen.h"

#include "pack.h"
#include "reply.h"
#include "xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const lg_method_names[LG_NMETHODS] = {
    [LG_PROFILE_PUT] = "profile.put",
    [LG_MATCH_TOP] = "match.top",
    [LG_MEETING_REQUEST] = "meeting.request",
    [LG_MEETING_RESPOND] = "meeting.respond",
    [LG_MEETING_INBOX] = "meeting.inbox",
    [LG_AGENDA_GET] = "agenda.get",
    [LG_CHECKIN] = "checkin",
};

/* The mix, in relative weights. A respond with nothing to answer turns
 * into an inbox read, as a user would look first. */
static const int app_weights[LG_NMETHODS] = {
    [LG_PROFILE_PUT] = 5,      [LG_MATCH_TOP] = 25,
    [LG_MEETING_REQUEST] = 15, [LG_MEETING_RESPOND] = 15,
    [LG_MEETING_INBOX] = 20,   [LG_AGENDA_GET] = 20,
};
static const int kiosk_weights[LG_NMETHODS] = {
    [LG_MEETING_RESPOND] = 25,
    [LG_MEETING_INBOX] = 35,
    [LG_AGENDA_GET] = 40,
};
/* Percent chance that a kiosk visitor walks away after a call. */
#define KIOSK_LEAVE_PCT 35
/* Percent of meeting answers that accept. */
#define ACCEPT_PCT 70
/* How long draining may take beyond the call timeout, ms. */
#define DRAIN_SLACK_MS 1000
/* --retry: backoff between attempts of one call, and between reconnects
 * of a connection (given up after RECONNECT_MAX failures in a row). */
#define RETRY_MIN_MS 50
#define RETRY_MAX_MS 1000
#define RECONNECT_MIN_MS 100
#define RECONNECT_MAX 40

static void session_next(struct lg_session *s);

/* ---- what the replies teach ------------------------------------------- */

static void inbox_add(struct lg_part *p, const char *mid, size_t len)
{
    if (len == 0 || len >= LG_MID)
        return;
    for (int i = 0; i < p->nin; i++)
        if (strlen(p->in[i]) == len && memcmp(p->in[i], mid, len) == 0)
            return;
    if (p->nin == LG_INBOX) {
        /* Forget the oldest. */
        memmove(p->in[0], p->in[1], (LG_INBOX - 1) * LG_MID);
        p->nin--;
    }
    memcpy(p->in[p->nin], mid, len);
    p->in[p->nin][len] = '\0';
    p->nin++;
}

/* Takes one meeting to answer; false when there is none. */
static bool inbox_take(struct lg_part *p, uint64_t *rng, char *mid)
{
    if (p->nin == 0)
        return false;
    int i = lg_randn(rng, p->nin);
    memcpy(mid, p->in[i], LG_MID);
    memmove(p->in[i], p->in[i + 1], (size_t)(p->nin - i - 1) * LG_MID);
    p->nin--;
    return true;
}

static void learn_matches(struct lg *lg, int actor, const msgpack_object *r)
{
    struct lg_part *p = &lg->parts[actor];
    if (r->type != MSGPACK_OBJECT_ARRAY)
        return;
    p->ntop = 0;
    for (uint32_t i = 0; i < r->via.array.size && p->ntop < LG_TOP; i++) {
        const msgpack_object *id = emc_map_get(&r->via.array.ptr[i], "id");
        if (id == NULL || id->type != MSGPACK_OBJECT_STR)
            continue;
        int k = lg_part_index(lg, id->via.str.ptr, id->via.str.size);
        if (k >= 0 && k != actor)
            p->top[p->ntop++] = k;
    }
}

static void learn_request(struct lg *lg, const msgpack_object *r)
{
    const msgpack_object *mid = emc_map_get(r, "meeting");
    const msgpack_object *to = emc_map_get(r, "to");
    if (mid == NULL || to == NULL || mid->type != MSGPACK_OBJECT_STR ||
        to->type != MSGPACK_OBJECT_STR)
        return;
    int k = lg_part_index(lg, to->via.str.ptr, to->via.str.size);
    if (k < 0)
        return;
    inbox_add(&lg->parts[k], mid->via.str.ptr, mid->via.str.size);
    lg->recipients[lg->nrecipients++ % 256] = k;
}

static void learn_inbox(struct lg *lg, int actor, const msgpack_object *r)
{
    const msgpack_object *in = emc_map_get(r, "incoming");
    if (in == NULL || in->type != MSGPACK_OBJECT_ARRAY)
        return;
    for (uint32_t i = 0; i < in->via.array.size; i++) {
        const msgpack_object *mid =
            emc_map_get(&in->via.array.ptr[i], "meeting");
        if (mid != NULL && mid->type == MSGPACK_OBJECT_STR)
            inbox_add(&lg->parts[actor], mid->via.str.ptr, mid->via.str.size);
    }
}

/* ---- calls -------------------------------------------------------------- */

/* Outcomes that a busy expo day produces by itself: two sessions answering
 * the same request, a request between a pair that already has one. With
 * --retry the run expects faults, and `unavailable` is what the contract
 * says a client gets during one: expected too, and counted on its own. */
static bool expected_code(const struct lg *lg, const char *code)
{
    return strcmp(code, "conflict") == 0 ||
           (lg->o.retry > 0 && strcmp(code, "unavailable") == 0);
}

/* Outcomes after which the same call may be sent again: the store did not
 * answer, or the call or its connection was lost on the way. A retry is
 * safe: meeting.request carries the same request_id, profile.put and
 * checkin are whole-state writes, and a repeated meeting.respond is at
 * worst a `conflict`. */
static bool retryable(const struct emca_reply *r)
{
    if (r->status == EMCA_REPLY_ERROR)
        return strcmp(r->error.code, "unavailable") == 0;
    return r->status == EMCA_FAILED &&
           (r->kind == EMCA_ERR_TIMEOUT || r->kind == EMCA_ERR_EOF ||
            r->kind == EMCA_ERR_IO);
}

static void session_idle(struct lg_session *s)
{
    struct lg *lg = s->w->lg;
    s->busy = false;
    if (lg->inflight == 0 && (lg->stopping || lg->forced))
        event_base_loopbreak(lg->base);
}

/* Backoff before retry number n (1, 2...): 50 ms doubling up to 1 s. */
int lg_retry_delay_ms(int n)
{
    int ms = RETRY_MIN_MS << (n < 6 ? n - 1 : 5);
    return ms < RETRY_MAX_MS ? ms : RETRY_MAX_MS;
}

/* Plans another attempt of s's call if it has attempts left. */
static bool retry_later(struct lg_session *s)
{
    struct lg *lg = s->w->lg;
    if (lg->forced || s->attempts >= lg->o.retry)
        return false;
    s->attempts++;
    lg->retries++;
    int ms = lg_retry_delay_ms(s->attempts);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(s->retry_timer, &tv);
    return true;
}

/* The call's final outcome: counted once, whatever the attempts. */
static void call_done(struct lg_session *s, const char *code, bool expected)
{
    struct lg *lg = s->w->lg;
    int64_t now = lg_now_us();
    lg_stats_add(&lg->stats[s->method], (uint64_t)(now - s->t_first), code,
                 expected);
    lg->inflight--;
    lg->finished++;
    lg->t_end = now;
    session_idle(s);
}

static void on_reply(struct emca *c, struct emca_reply *r, void *arg)
{
    struct lg_session *s = arg;
    struct lg *lg = s->w->lg;
    int64_t took = lg_now_us() - s->t_sent;
    const char *code = NULL;

    if (took > lg->max_attempt_us)
        lg->max_attempt_us = took;
    if (r->status == EMCA_REPLY_ERROR &&
        strcmp(r->error.code, "unavailable") == 0)
        lg->unavailable++;
    if (r->status == EMCA_FAILED && r->kind == EMCA_ERR_TIMEOUT)
        lg->attempt_timeouts++;
    if (r->status != EMCA_OK && lg->o.retry > 0 && retryable(r) &&
        retry_later(s))
        return;
    if (r->status != EMCA_OK)
        code = r->error.code;
    if (r->status == EMCA_OK) {
        lg_ack_write(lg, s, &r->result);
        switch (s->method) {
        case LG_MATCH_TOP: learn_matches(lg, s->actor, &r->result); break;
        case LG_MEETING_REQUEST: learn_request(lg, &r->result); break;
        case LG_MEETING_INBOX: learn_inbox(lg, s->actor, &r->result); break;
        default: break;
        }
    }
    call_done(s, code,
              code != NULL && r->status == EMCA_REPLY_ERROR &&
                  expected_code(lg, code));
    if (!lg->stopping && !lg->forced)
        session_next(s);
}

/* True when w has a connection that takes calls now (queued behind its
 * auth while connecting). */
static bool worker_usable(const struct lg_worker *w)
{
    if (w->conn == NULL)
        return false;
    enum emca_state st = emca_get_state(w->conn);
    return st == EMCA_ST_CONNECTING || st == EMCA_ST_READY;
}

/* Sends the current attempt of s's call (packed in s->args); false when
 * its connection refused it. */
static bool send_attempt(struct lg_session *s)
{
    s->t_sent = lg_now_us();
    return worker_usable(s->w) &&
           emca_call_packed(s->w->conn, lg_method_names[s->method],
                            s->args.data, s->args.size, on_reply, s) != 0;
}

static void on_retry_timer(evutil_socket_t fd, short what, void *arg)
{
    struct lg_session *s = arg;
    struct lg *lg = s->w->lg;
    if (send_attempt(s))
        return;
    /* No connection yet: that attempt failed too. */
    if (retry_later(s))
        return;
    call_done(s, "eof", false);
    if (!lg->stopping && !lg->forced)
        session_next(s);
}

/* {event, <idkey>: actor[, badge]} plus extra entries the caller adds. */
static void pack_head(struct lg_session *s, msgpack_packer *pk,
                      const char *idkey, int extra)
{
    struct lg *lg = s->w->lg;
    char id[16];
    lg_part_id(s->actor, id, sizeof id);
    msgpack_pack_map(pk, (size_t)(2 + extra + (s->w->kiosk ? 1 : 0)));
    emc_pack_kv(pk, "event", lg->o.event);
    emc_pack_kv(pk, idkey, id);
    if (s->w->kiosk)
        emc_pack_kv(pk, "badge", lg->parts[s->actor].badge);
}

static int pick(const int *weights, uint64_t *rng)
{
    int total = 0;
    for (int i = 0; i < LG_NMETHODS; i++)
        total += weights[i];
    int x = lg_randn(rng, total);
    for (int i = 0; i < LG_NMETHODS; i++) {
        if (x < weights[i])
            return i;
        x -= weights[i];
    }
    return LG_AGENDA_GET;
}

/* Someone likely to have requests waiting: a recent recipient, else
 * anyone. */
static int likely_recipient(struct lg *lg, uint64_t *rng)
{
    if (lg->nrecipients > 0 && lg_randn(rng, 2) == 0) {
        unsigned n = lg->nrecipients < 256 ? lg->nrecipients : 256;
        return lg->recipients[lg_randn(rng, (int)n)];
    }
    return lg_randn(rng, lg->o.participants);
}

/* Chooses the next call of s: method, actor and, for answers, meeting. */
static void choose(struct lg_session *s)
{
    struct lg *lg = s->w->lg;
    if (s->w->kiosk) {
        if (s->visitor >= 0 && lg_randn(&s->rng, 100) < KIOSK_LEAVE_PCT)
            s->visitor = -1;
        s->method = (enum lg_method)pick(kiosk_weights, &s->rng);
        if (s->visitor < 0) {
            /* A new visitor checks in first. */
            s->visitor = likely_recipient(lg, &s->rng);
            s->method = LG_CHECKIN;
        }
        s->actor = s->visitor;
    } else {
        s->method = (enum lg_method)pick(app_weights, &s->rng);
        s->actor = s->method == LG_MEETING_RESPOND
                       ? likely_recipient(lg, &s->rng)
                       : lg_randn(&s->rng, lg->o.participants);
    }
    if (s->method == LG_MEETING_RESPOND &&
        !inbox_take(&lg->parts[s->actor], &s->rng, s->mid))
        s->method = LG_MEETING_INBOX;
}

/* Packs the arguments of the chosen call into s->args. */
static void pack_args(struct lg_session *s)
{
    struct lg *lg = s->w->lg;
    msgpack_packer pk;
    msgpack_sbuffer_clear(&s->args);
    msgpack_packer_init(&pk, &s->args, msgpack_sbuffer_write);
    switch (s->method) {
    case LG_PROFILE_PUT:
        lg->parts[s->actor].version++;
        lg_pack_profile(lg, s->actor, &pk, false);
        break;
    case LG_MATCH_TOP:
        pack_head(s, &pk, "id", 1);
        emc_pack_cstr(&pk, "k");
        msgpack_pack_int(&pk, 10);
        break;
    case LG_MEETING_REQUEST: {
        struct lg_part *p = &lg->parts[s->actor];
        int to = p->ntop > 0 ? p->top[lg_randn(&s->rng, p->ntop)]
                             : lg_randn(&s->rng, lg->o.participants);
        if (to == s->actor)
            to = (to + 1) % lg->o.participants;
        char toid[16];
        lg_part_id(to, toid, sizeof toid);
        /* Unique per call of the run; its retries send it again. */
        snprintf(s->rid, sizeof s->rid, "lg-%llu-%lld",
                 (unsigned long long)lg->o.seed, lg->started);
        pack_head(s, &pk, "from", 3);
        emc_pack_kv(&pk, "to", toid);
        emc_pack_kv(&pk, "note", "Would you like to meet? 商談しませんか");
        emc_pack_kv(&pk, "request_id", s->rid);
        break;
    }
    case LG_MEETING_RESPOND: {
        /* Acting as `to`: a kiosk carries the badge of the answering side,
         * which pack_head adds for the actor. */
        msgpack_pack_map(&pk, s->w->kiosk ? 4 : 3);
        emc_pack_kv(&pk, "event", lg->o.event);
        emc_pack_kv(&pk, "meeting", s->mid);
        emc_pack_cstr(&pk, "accept");
        if (lg_randn(&s->rng, 100) < ACCEPT_PCT)
            msgpack_pack_true(&pk);
        else
            msgpack_pack_false(&pk);
        if (s->w->kiosk)
            emc_pack_kv(&pk, "badge", lg->parts[s->actor].badge);
        break;
    }
    case LG_MEETING_INBOX:
    case LG_AGENDA_GET:
    case LG_CHECKIN: pack_head(s, &pk, "id", 0); break;
    default: break;
    }
}

/* True when the rate limit lets one more call start now. */
static bool rate_allows(struct lg *lg, int64_t now)
{
    if (lg->o.rate <= 0)
        return true;
    double allowed = lg->o.rate * (double)(now - lg->t_start) / 1e6 + 1;
    return (double)lg->started < allowed;
}

static void rate_arm(struct lg *lg, int64_t now)
{
    double due_s = (double)lg->started / lg->o.rate;
    int64_t due = lg->t_start + (int64_t)(due_s * 1e6);
    int64_t wait = due > now ? due - now : 0;
    struct timeval tv = {(time_t)(wait / 1000000), (long)(wait % 1000000)};
    evtimer_add(lg->rate_timer, &tv);
}

static void on_rate_timer(evutil_socket_t fd, short what, void *arg)
{
    struct lg *lg = arg;
    int64_t now = lg_now_us();
    while (lg->wait_head != NULL && rate_allows(lg, now)) {
        struct lg_session *s = lg->wait_head;
        lg->wait_head = s->next_wait;
        if (lg->wait_head == NULL)
            lg->wait_tail = NULL;
        s->waiting = false;
        s->next_wait = NULL;
        session_next(s);
    }
    if (lg->wait_head != NULL)
        rate_arm(lg, now);
}

/* Starts s's next call, unless the run is over or the limiter says wait. */
static void session_next(struct lg_session *s)
{
    struct lg *lg = s->w->lg;
    if (s->busy || s->waiting || s->w->dead || lg->stopping || lg->forced)
        return;
    s->parked = false;
    if (lg->o.ops > 0 && lg->started >= lg->o.ops) {
        lg_flows_stop(lg);
        return;
    }
    int64_t now = lg_now_us();
    /* The stop timer may fire a little late: no call starts after T. */
    if (lg->o.seconds > 0 &&
        now - lg->t_start >= (int64_t)(lg->o.seconds * 1e6)) {
        lg_flows_stop(lg);
        return;
    }
    if (!rate_allows(lg, now)) {
        s->waiting = true;
        if (lg->wait_tail != NULL)
            lg->wait_tail->next_wait = s;
        else
            lg->wait_head = s;
        lg->wait_tail = s;
        if (!evtimer_pending(lg->rate_timer, NULL))
            rate_arm(lg, now);
        return;
    }
    if (lg->o.retry > 0 && !worker_usable(s->w)) {
        /* Its connection is being made again: wait for it. */
        s->parked = true;
        return;
    }
    choose(s);
    pack_args(s);
    s->attempts = 0;
    if (!send_attempt(s)) {
        if (lg->o.retry > 0)
            s->parked = true;
        else
            s->w->dead = true;
        return;
    }
    s->t_first = s->t_sent;
    s->busy = true;
    lg->started++;
    lg->inflight++;
}

/* ---- connections and the run's bounds ----------------------------------- */

static void start_all(struct lg *lg)
{
    lg->t_start = lg->t_end = lg_now_us();
    if (lg->o.seconds > 0) {
        int64_t us = (int64_t)(lg->o.seconds * 1e6);
        struct timeval tv = {(time_t)(us / 1000000), (long)(us % 1000000)};
        evtimer_add(lg->stop_timer, &tv);
    }
    for (int i = 0; i < lg->nworkers; i++)
        for (int j = 0; j < lg->workers[i].nsessions; j++)
            session_next(&lg->workers[i].sessions[j]);
    if (lg->inflight == 0)
        lg_flows_stop(lg);
}

static void worker_connect(struct lg_worker *w);

/* Sessions that waited for w's connection start again. */
static void worker_resume(struct lg_worker *w)
{
    for (int j = 0; j < w->nsessions; j++)
        if (w->sessions[j].parked)
            session_next(&w->sessions[j]);
}

/* --retry: a lost connection is made again after a backoff, so that its
 * sessions carry on after a daemon restart; too many failures in a row
 * and the worker is dead. */
static bool worker_reconnect_later(struct lg_worker *w)
{
    struct lg *lg = w->lg;
    if (lg->o.retry <= 0 || lg->forced || w->failures >= RECONNECT_MAX)
        return false;
    w->failures++;
    int ms = RECONNECT_MIN_MS << (w->failures < 4 ? w->failures - 1 : 3);
    if (ms > RETRY_MAX_MS)
        ms = RETRY_MAX_MS;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(w->reconnect_timer, &tv);
    return true;
}

static void worker_lost(struct lg_worker *w)
{
    struct lg *lg = w->lg;
    w->dead = true;
    fprintf(stderr, "expomatch-loadgen: %s %d lost its connection: %s\n",
            w->kiosk ? "kiosk" : "app", w->index,
            w->conn ? emca_errstr(w->conn) : "cannot connect");
    bool any = false;
    for (int i = 0; i < lg->nworkers; i++)
        any |= !lg->workers[i].dead;
    if (!any)
        lg_flows_stop(lg);
}

static void on_worker_state(struct emca *c, enum emca_state st, void *arg)
{
    struct lg_worker *w = arg;
    struct lg *lg = w->lg;
    if (st == EMCA_ST_READY) {
        w->failures = 0;
        if (w->ready) {
            lg->reconnects++;
            worker_resume(w);
            return;
        }
        w->ready = true;
        if (++lg->nready == lg->nworkers)
            start_all(lg);
        return;
    }
    if (!w->ready) {
        /* Before the day starts, one lost connection spoils the run. */
        w->dead = true;
        lg_fatal(lg, LG_EXIT_CONNECT, "%s %d: %s", w->kiosk ? "kiosk" : "app",
                 w->index, emca_errstr(c));
        return;
    }
    if (worker_reconnect_later(w))
        return;
    worker_lost(w);
}

static void on_reconnect_timer(evutil_socket_t fd, short what, void *arg)
{
    struct lg_worker *w = arg;
    /* Not inside any of the old connection's callbacks: free it here. */
    emca_free(w->conn);
    w->conn = NULL;
    worker_connect(w);
    if (w->conn == NULL && !worker_reconnect_later(w))
        worker_lost(w);
}

static void worker_connect(struct lg_worker *w)
{
    struct lg *lg = w->lg;
    struct emca_options o;
    lg_conn_options(lg, &o, w->token);
    o.on_state = on_worker_state;
    o.state_arg = w;
    w->conn = lg_connect(lg, &o);
    /* Without --retry the token is needed once; wipe it as soon as the
     * library has its copy. */
    if (lg->o.retry <= 0)
        explicit_bzero(w->token, strlen(w->token));
}

static void on_stop_timer(evutil_socket_t fd, short what, void *arg)
{
    lg_flows_stop(arg);
}

static void on_drain_timer(evutil_socket_t fd, short what, void *arg)
{
    struct lg *lg = arg;
    fprintf(stderr,
            "expomatch-loadgen: %d calls still in flight after the drain "
            "deadline; closing\n",
            lg->inflight);
    lg_flows_force(lg);
}

void lg_flows_start(struct lg *lg)
{
    lg->rate_timer = evtimer_new(lg->base, on_rate_timer, lg);
    lg->stop_timer = evtimer_new(lg->base, on_stop_timer, lg);
    lg->drain_timer = evtimer_new(lg->base, on_drain_timer, lg);
    for (int i = 0; i < lg->nworkers; i++) {
        struct lg_worker *w = &lg->workers[i];
        w->nsessions = w->kiosk ? 1 : lg->o.app_sessions;
        w->sessions = xcalloc((size_t)w->nsessions, sizeof *w->sessions);
        for (int j = 0; j < w->nsessions; j++) {
            struct lg_session *s = &w->sessions[j];
            s->w = w;
            s->visitor = -1;
            /* Each session its own sequence, derived from the seed. */
            s->rng = lg->o.seed ^ (0x2545f4914f6cdd1dull * (uint64_t)(i + 1)) ^
                     ((uint64_t)(j + 1) << 40);
            lg_rand(&s->rng);
            s->retry_timer = evtimer_new(lg->base, on_retry_timer, s);
            msgpack_sbuffer_init(&s->args);
        }
        w->reconnect_timer = evtimer_new(lg->base, on_reconnect_timer, w);
        worker_connect(w);
        if (w->conn == NULL) {
            lg_fatal(lg, LG_EXIT_CONNECT, "cannot connect the workers");
            return;
        }
    }
}

void lg_flows_stop(struct lg *lg)
{
    if (lg->stopping)
        return;
    lg->stopping = true;
    /* Sessions waiting for the limiter have no call in flight. */
    lg->wait_head = lg->wait_tail = NULL;
    if (lg->rate_timer != NULL)
        evtimer_del(lg->rate_timer);
    if (lg->stop_timer != NULL)
        evtimer_del(lg->stop_timer);
    if (lg->inflight == 0) {
        event_base_loopbreak(lg->base);
        return;
    }
    /* Calls waiting to retry may need every attempt they have left. */
    int ms = lg->o.timeout_ms + DRAIN_SLACK_MS + lg->o.retry * RETRY_MAX_MS;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(lg->drain_timer, &tv);
}

void lg_flows_force(struct lg *lg)
{
    lg_flows_stop(lg);
    lg->forced = true;
    /* Closing fails each call in flight once, through on_reply; calls
     * waiting to retry end here as closed too. */
    for (int i = 0; i < lg->nworkers; i++) {
        struct lg_worker *w = &lg->workers[i];
        if (w->conn != NULL)
            emca_close(w->conn);
        if (w->reconnect_timer != NULL)
            evtimer_del(w->reconnect_timer);
        for (int j = 0; j < w->nsessions; j++) {
            struct lg_session *s = &w->sessions[j];
            if (s->busy && s->retry_timer != NULL &&
                evtimer_pending(s->retry_timer, NULL)) {
                evtimer_del(s->retry_timer);
                call_done(s, "closed", false);
            }
        }
    }
    event_base_loopbreak(lg->base);
}

void lg_flows_free(struct lg *lg)
{
    for (int i = 0; lg->workers != NULL && i < lg->nworkers; i++) {
        struct lg_worker *w = &lg->workers[i];
        emca_free(w->conn);
        w->conn = NULL;
        for (int j = 0; j < w->nsessions; j++) {
            msgpack_sbuffer_destroy(&w->sessions[j].args);
            if (w->sessions[j].retry_timer != NULL)
                event_free(w->sessions[j].retry_timer);
        }
        if (w->reconnect_timer != NULL)
            event_free(w->reconnect_timer);
        free(w->sessions);
        if (w->token != NULL) {
            explicit_bzero(w->token, strlen(w->token));
            free(w->token);
        }
    }
    if (lg->rate_timer != NULL)
        event_free(lg->rate_timer);
    if (lg->stop_timer != NULL)
        event_free(lg->stop_timer);
    if (lg->drain_timer != NULL)
        event_free(lg->drain_timer);
}
