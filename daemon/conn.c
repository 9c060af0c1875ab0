/* conn.c: one client connection. Input is framed by the bounded scanner
 * before any decoding, requests are answered in arrival order whatever
 * order they complete in, and a client that does not read its replies is
 * not read from (back-pressure), so memory per client stays bounded. */
#include "conn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "rpc.h"
#include "server.h"
#include "subs.h"
#include "transport.h"
#include "xmalloc.h"

/* Back-pressure marks: stop reading above HIGH, resume below LOW. */
#define OUT_HIGH (256 * 1024)
#define OUT_LOW (64 * 1024)
#define INFLIGHT_HIGH 1024
#define INFLIGHT_LOW 256
/* Bytes of requests in flight (decoded copies, commands queued for Redis)
 * also count, so large requests cannot pile up while Redis is slow. */
#define BYTES_HIGH (8u << 20)
#define BYTES_LOW (2u << 20)
/* Requests handled per wake-up, so one pipelining client cannot starve
 * the others; the rest is picked up from ev_more on the next turn. */
#define BATCH_MAX 256
#define READ_CHUNK (16 * 1024)
/* Bytes of buffer an idle connection may keep; busy ones keep theirs so
 * that a stream of requests does not allocate per read. */
#define IDLE_KEEP (4 * 1024)
#define PREAUTH_MAX_REQUEST (16 * 1024)

static void conn_process(struct conn *c);
static void conn_flush(struct conn *c);

static void conn_hold(struct conn *c)
{
    c->refs++;
}

static void conn_free(struct conn *c)
{
    buf_free(&c->in);
    buf_free(&c->out);
    buf_free(&c->held);
    if (c->ev_more)
        event_free(c->ev_more);
    server_conn_freed(c->srv, c);
    free(c);
}

/* Drops a reference; frees a closed connection nobody points to. */
static void conn_release(struct conn *c)
{
    c->refs--;
    if (c->state == CONN_CLOSED && c->refs == 0)
        conn_free(c);
}

static void on_more(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    conn_hold(c);
    conn_process(c);
    conn_release(c);
}

struct conn *conn_new(struct server *srv, int fd, const char *peer,
                      int (*attach)(struct conn *c, int fd))
{
    struct conn *c = xcalloc(1, sizeof *c);
    c->srv = srv;
    c->id = ++srv->next_conn_id;
    c->fd = fd;
    c->state = CONN_OPEN;
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    c->connected_ms = c->last_active_ms = now_us() / 1000;
    mpscan_reset(&c->scan);
    c->ev_more = event_new(srv->base, -1, 0, on_more, c);
    if (attach(c, fd) < 0) {
        event_free(c->ev_more);
        free(c);
        return NULL;
    }
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    c->tr->want(c, true, false);
    return c;
}

static size_t request_limit(const struct conn *c)
{
    size_t max = (size_t)c->srv->cfg->max_request_bytes;
    if (c->role == ROLE_NONE && max > PREAUTH_MAX_REQUEST)
        max = PREAUTH_MAX_REQUEST;
    return max;
}

/* Big-endian unsigned integer of n bytes. */
static uint64_t be(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Reads the msgid of a request whose start is `[0, msgid, ...`, so that an
 * error about an oversized request can still name it; 0 when unreadable.
 * Accepts every encoding the decoder accepts, not only the shortest. */
static uint32_t peek_msgid(const unsigned char *p, size_t n)
{
    size_t i;
    if (n >= 1 && p[0] == 0x94)
        i = 1;
    else if (n >= 3 && p[0] == 0xdc && be(p + 1, 2) == 4)
        i = 3;
    else if (n >= 5 && p[0] == 0xdd && be(p + 1, 4) == 4)
        i = 5;
    else
        return 0;
    /* The type 0, itself possibly in a longer form. */
    static const unsigned char width[4] = {1, 2, 4, 8};
    if (i < n && p[i] == 0x00)
        i++;
    else if (i < n && ((p[i] >= 0xcc && p[i] <= 0xcf) ||
                       (p[i] >= 0xd0 && p[i] <= 0xd3))) {
        size_t w = width[p[i] & 3];
        if (i + w >= n || be(p + i + 1, w) != 0)
            return 0;
        i += 1 + w;
    } else
        return 0;
    if (i >= n)
        return 0;
    unsigned char t = p[i];
    if (t <= 0x7f)
        return t;
    if ((t >= 0xcc && t <= 0xcf) || (t >= 0xd0 && t <= 0xd3)) {
        size_t w = width[t & 3];
        if (i + w >= n)
            return 0;
        /* Signed forms: a set top bit is negative, not a msgid. */
        if (t >= 0xd0 && (p[i + 1] & 0x80))
            return 0;
        uint64_t v = be(p + i + 1, w);
        return v <= UINT32_MAX ? (uint32_t)v : 0;
    }
    return 0;
}

bool conn_req_is_head(const struct req *r)
{
    return r->conn->head == r;
}

static bool over_high_mark(const struct conn *c)
{
    return buf_pending(&c->out) > OUT_HIGH || c->inflight > INFLIGHT_HIGH ||
           c->inflight_bytes > BYTES_HIGH;
}

static void update_reading(struct conn *c)
{
    if (c->state != CONN_OPEN)
        return;
    if (!c->blocked && over_high_mark(c)) {
        c->blocked = true;
        c->tr->want(c, false, c->want_write);
    } else if (c->blocked && buf_pending(&c->out) < OUT_LOW &&
               c->inflight < INFLIGHT_LOW && c->inflight_bytes < BYTES_LOW) {
        c->blocked = false;
        c->tr->want(c, !c->input_paused, c->want_write);
        /* Requests may already wait in the input buffer. */
        if (buf_pending(&c->in) > 0)
            event_active(c->ev_more, 0, 0);
    }
}

/* Parses and dispatches complete requests from the input buffer. */
static void conn_process(struct conn *c)
{
    c->in_batch = true;
    /* One clock read for the batch: its requests all arrived together. */
    c->batch_us = now_us();
    for (int n = 0; c->state == CONN_OPEN && !c->blocked && !c->input_paused;
         n++) {
        size_t avail = buf_pending(&c->in);
        if (avail == 0)
            break;
        if (n == BATCH_MAX) {
            event_active(c->ev_more, 0, 0);
            break;
        }
        const unsigned char *start = (unsigned char *)c->in.p + c->in.off;
        size_t objlen = 0;
        size_t limit = request_limit(c);
        enum mpscan_result res = mpscan_feed(&c->scan, start, avail, limit,
                                             c->srv->cfg->max_depth, &objlen);
        if (res == MPSCAN_MORE)
            break;
        if (res != MPSCAN_DONE) {
            c->srv->frames_bad++;
            uint32_t msgid = peek_msgid(start, avail);
            if (res == MPSCAN_TOO_LARGE)
                conn_fail(c, msgid, ERR_TOO_LARGE,
                          "request larger than %zu bytes", limit);
            else if (res == MPSCAN_TOO_DEEP)
                conn_fail(c, msgid, ERR_TOO_LARGE,
                          "request nested deeper than %d levels",
                          c->srv->cfg->max_depth);
            else
                conn_fail(c, msgid, ERR_BAD_REQUEST,
                          "input is not MessagePack");
            break;
        }
        mpscan_reset(&c->scan);
        /* Activity is a whole request (idle-timeout): the bytes of one
         * trickled in and never finished do not hold the socket. */
        c->last_active_ms = c->batch_us / 1000;
        int rc = rpc_handle_frame(c, (const char *)start, objlen);
        msgpack_zone_clear(&c->srv->zone);
        buf_consume(&c->in, objlen);
        if (rc < 0)
            break;
    }
    c->in_batch = false;
    if (c->state == CONN_CLOSED)
        return;
    update_reading(c);
    conn_flush(c);
}

void conn_on_readable(struct conn *c)
{
    if (c->state != CONN_OPEN || c->blocked || c->input_paused)
        return;
    /* Never buffer more than one request's limit plus a read. */
    size_t held = buf_pending(&c->in), cap = request_limit(c) + READ_CHUNK;
    if (held >= cap)
        return;
    size_t room = cap - held < READ_CHUNK ? cap - held : READ_CHUNK;
    conn_hold(c);
    buf_reserve(&c->in, room);
    ssize_t n = c->tr->read(c, c->in.p + c->in.len, room);
    if (n > 0) {
        c->in.len += (size_t)n;
        conn_process(c);
    } else if (n == 0) {
        if (buf_pending(&c->in) > 0) {
            uint32_t msgid = peek_msgid((unsigned char *)c->in.p + c->in.off,
                                        buf_pending(&c->in));
            conn_fail(c, msgid, ERR_BAD_REQUEST, "truncated request");
        } else {
            log_debug("conn %llu (%s): peer closed its side",
                      (unsigned long long)c->id, c->peer);
            conn_drain(c);
        }
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        conn_close(c, strerror(errno));
    }
    conn_release(c);
}

static void flush_done(struct conn *c)
{
    if (c->state == CONN_DRAINING && c->inflight == 0 &&
        buf_pending(&c->out) == 0)
        conn_close(c, "drained");
}

/* Writes pending output once; waits for writability if the socket is full. */
static void conn_flush(struct conn *c)
{
    if (c->state == CONN_CLOSED)
        return;
    while (buf_pending(&c->out) > 0) {
        ssize_t n =
            c->tr->write(c, c->out.p + c->out.off, buf_pending(&c->out));
        if (n > 0) {
            buf_consume(&c->out, (size_t)n);
            continue;
        }
        if (n < 0 &&
            (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            break;
        conn_close(c, n < 0 ? strerror(errno) : "write failed");
        return;
    }
    bool pending = buf_pending(&c->out) > 0;
    if (pending != c->want_write)
        c->tr->want(c, c->want_read, pending);
    update_reading(c);
    flush_done(c);
}

void conn_on_writable(struct conn *c)
{
    conn_hold(c);
    conn_flush(c);
    conn_release(c);
}

void conn_pause_input(struct conn *c)
{
    if (c->state != CONN_OPEN || c->input_paused)
        return;
    c->input_paused = true;
    c->tr->want(c, false, c->want_write);
}

void conn_resume_input(struct conn *c)
{
    if (!c->input_paused)
        return;
    c->input_paused = false;
    if (c->state != CONN_OPEN)
        return;
    c->tr->want(c, !c->blocked, c->want_write);
    if (!c->blocked && buf_pending(&c->in) > 0)
        event_active(c->ev_more, 0, 0);
}

void conn_release_idle_buffers(struct conn *c)
{
    if (c->state == CONN_CLOSED || c->inflight > 0)
        return;
    buf_shrink(&c->in, IDLE_KEEP);
    buf_shrink(&c->out, IDLE_KEEP);
}

void conn_finish_and_drain(struct conn *c)
{
    /* Requests already received are in flight too: handle the complete
     * ones left in the buffer (past a capped batch), then drain. */
    size_t before;
    conn_hold(c);
    do {
        before = buf_pending(&c->in);
        if (c->state != CONN_OPEN || c->blocked || c->input_paused)
            break;
        conn_process(c);
    } while (c->state == CONN_OPEN && buf_pending(&c->in) < before);
    conn_drain(c);
    conn_release(c);
}

void conn_drain(struct conn *c)
{
    if (c->state != CONN_OPEN)
        return;
    c->state = CONN_DRAINING;
    c->drain_ms = now_us() / 1000;
    c->tr->want(c, false, c->want_write);
    flush_done(c);
}

/* Releases the finished requests at the head of the queue, in order,
 * moving their replies to the output buffer unless the connection is
 * closed; a finished request behind an unfinished one waits its turn. */
static void pop_done(struct conn *c)
{
    while (c->head && c->head->done) {
        struct req *h = c->head;
        c->head = h->next;
        if (c->head == NULL)
            c->tail = NULL;
        c->inflight--;
        c->inflight_bytes -= h->bytes;
        if (!h->direct && c->state != CONN_CLOSED)
            buf_append(&c->out, h->sbuf.data, h->sbuf.size);
        msgpack_sbuffer_destroy(&h->sbuf);
        free(h);
        c->refs--;
    }
}

void conn_close(struct conn *c, const char *why)
{
    if (c->state == CONN_CLOSED)
        return;
    log_debug("conn %llu (%s) closed: %s", (unsigned long long)c->id, c->peer,
              why);
    c->tr->close(c);
    c->state = CONN_CLOSED;
    c->srv->nconns--;
    /* Here and only here, since a connection closes once: nothing is
     * published to it any more. */
    subs_conn_closed(c);
    /* The input buffer lives on until conn_free: a handler running now may
     * still read its arguments from it. */
    buf_free(&c->out);
    buf_free(&c->held);
    /* Replies already complete can go; the rest finish and are dropped. */
    pop_done(c);
    if (c->refs == 0 && !c->flush_queued)
        conn_free(c);
}

void conn_fail(struct conn *c, uint32_t msgid, enum errcode code,
               const char *fmt, ...)
{
    if (c->state == CONN_CLOSED)
        return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_debug("conn %llu (%s): %s: %s", (unsigned long long)c->id, c->peer,
              errcode_name(code), msg);
    struct req *r = conn_req_new(c, msgid, NULL, 0);
    rpc_reply_error(r, code, "%s", msg);
    if (c->state == CONN_OPEN)
        conn_drain(c);
}

struct req *conn_req_new(struct conn *c, uint32_t msgid, struct method *m,
                         size_t bytes)
{
    struct req *r = xcalloc(1, sizeof *r);
    r->conn = c;
    r->bytes = bytes;
    c->inflight_bytes += bytes;
    r->msgid = msgid;
    r->method = m;
    r->start_us = c->in_batch ? c->batch_us : now_us();
    if (c->tail)
        c->tail->next = r;
    else
        c->head = r;
    c->tail = r;
    c->inflight++;
    c->refs++;
    return r;
}

/* Async completions are flushed together once the current callbacks are
 * done, so a batch of Redis replies costs one write per connection. */
static void queue_flush(struct conn *c)
{
    if (c->in_batch || c->flush_queued)
        return;
    c->flush_queued = true;
    c->refs++;
    server_queue_flush(c->srv, c);
}

void conn_flush_queued(struct conn *c)
{
    c->flush_queued = false;
    conn_flush(c);
    conn_release(c);
}

/* Whether `more` bytes on top of the unwritten output pass the limit. */
static bool over_subscriber_limit(const struct conn *c, size_t more)
{
    return buf_pending(&c->out) + more >
           (size_t)c->srv->cfg->subscriber_buffer_limit;
}

static void close_slow_subscriber(struct conn *c, size_t more)
{
    log_warn("conn %llu (%s): %zu bytes unread, over subscriber-buffer-limit "
             "%d; closing",
             (unsigned long long)c->id, c->peer, buf_pending(&c->out) + more,
             c->srv->cfg->subscriber_buffer_limit);
    conn_close(c, "subscriber-buffer-limit");
}

int conn_notify(struct conn *c, const void *frame, size_t len)
{
    if (c->state != CONN_OPEN || c->role == ROLE_NONE)
        return -1;
    /* An expired token hears nothing more, even before its next call
     * notices the expiry. */
    if (c->token_expires && now_unix() >= c->token_expires)
        return -1;
    /* Published from inside a handler while its reply is being packed
     * into out: the frame waits until that reply is whole. */
    if (c->packing) {
        buf_append(&c->held, frame, len);
        return 0;
    }
    if (over_subscriber_limit(c, len)) {
        close_slow_subscriber(c, len);
        return -1;
    }
    buf_append(&c->out, frame, len);
    queue_flush(c);
    return 0;
}

/* A direct reply is whole: notifications held meanwhile may follow it. */
static void release_held(struct conn *c)
{
    c->packing = false;
    size_t n = buf_pending(&c->held);
    if (n == 0 || c->state == CONN_CLOSED)
        return;
    if (over_subscriber_limit(c, n)) {
        close_slow_subscriber(c, n);
        return;
    }
    buf_append(&c->out, c->held.p + c->held.off, n);
    buf_consume(&c->held, n);
}

void conn_req_done(struct req *r)
{
    struct conn *c = r->conn;
    /* While r is not done its reference keeps c alive, should the held
     * notifications close it. */
    if (r->direct)
        release_held(c);
    r->done = true;
    if (r->priv_free)
        r->priv_free(r->priv);
    r->priv = NULL;
    r->priv_free = NULL;
    pop_done(c);
    if (c->state == CONN_CLOSED) {
        if (c->refs == 0 && !c->flush_queued)
            conn_free(c);
        return;
    }
    queue_flush(c);
}
