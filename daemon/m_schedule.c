/* m_schedule.c: schedule.optimize. The whole job runs on a worker thread
 * with a Redis connection of its own: read the event's meetings in one
 * step (em_sched_snapshot), solve (schedule.h), write the new places in
 * one step (em_sched_apply, which keeps only those that still fit if the
 * event changed meanwhile). The event loop only starts the thread and
 * looks for its end every few milliseconds, so it keeps serving. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "handlers.h"
#include "hostport.h"
#include "keys.h"
#include "localtime.h"
#include "log.h"
#include "schedule.h"
#include "server.h"
#include "store.h"
#include "xmalloc.h"

#define JOBS_MAX 4           /* optimizations running at once per daemon */
#define POLL_MS 5            /* how often the loop looks for a finished job */
#define FAIRNESS_MAX 1000000 /* any larger is the same as no limit */
#define BUDGET_MAX_MS 600000
#define REDIS_SLACK_MS 2000 /* for the two Redis steps, beyond the budget */

struct job {
    struct req *r;
    char event[65];
    int fairness;
    long budget_ms;
    bool move;
    uint64_t started_ms;
    /* the store, as the worker must reach it */
    char host[256];
    int port;
    char *password;
    int timeout_ms;
    /* results */
    uint64_t read_ms; /* when the snapshot was read and parsed */
    atomic_int done, cancel;
    struct err err;
    bool failed;
    struct sched_result res;
    long long applied, skipped;
    pthread_t thread;
    struct event *poll;
    struct job *next;
};

static struct job *jobs;

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* --- on the worker thread ------------------------------------------- */

static redisReply *command(struct job *j, redisContext *rc, int argc,
                           const char **argv, const size_t *len)
{
    redisReply *rep = redisCommandArgv(rc, argc, argv, len);
    if (rep == NULL) {
        err_set(&j->err, ERR_UNAVAILABLE, "the store did not answer: %s",
                rc->errstr);
        return NULL;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
        store_map_error(rep->str, rep->len, &j->err);
        freeReplyObject(rep);
        return NULL;
    }
    return rep;
}

static redisContext *connect_store(struct job *j)
{
    struct timeval tv = {j->timeout_ms / 1000, (j->timeout_ms % 1000) * 1000};
    redisContext *rc = redisConnectWithTimeout(j->host, j->port, tv);
    if (rc == NULL || rc->err) {
        err_set(&j->err, ERR_UNAVAILABLE, "cannot reach the store");
        if (rc)
            redisFree(rc);
        return NULL;
    }
    struct timeval op = {(j->timeout_ms + j->budget_ms + REDIS_SLACK_MS) / 1000,
                         0};
    redisSetTimeout(rc, op);
    if (j->password && j->password[0]) {
        const char *argv[] = {"AUTH", j->password};
        size_t len[] = {4, strlen(j->password)};
        redisReply *rep = command(j, rc, 2, argv, len);
        if (rep == NULL) {
            redisFree(rc);
            return NULL;
        }
        freeReplyObject(rep);
    }
    return rc;
}

/* Index of a string among the names at every `stride`-th element of
 * names (interpreters come as id, languages pairs), or -1. The lists are
 * short: slots, tables, interpreters of one event; participants go
 * through a sorted index. */
static int find_name_every(const redisReply *names, size_t stride,
                           const char *s, size_t len)
{
    for (size_t i = 0; i < names->elements; i += stride) {
        const redisReply *e = names->element[i];
        if (e->len == len && memcmp(e->str, s, len) == 0)
            return (int)(i / stride);
    }
    return -1;
}

static int find_name(const redisReply *names, const char *s, size_t len)
{
    return find_name_every(names, 1, s, len);
}

struct part_key {
    const char *id;
    size_t len;
    uint32_t idx;
};

static int cmp_part(const void *x, const void *y)
{
    const struct part_key *a = x, *b = y;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->id, b->id, n);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static int find_part(const struct part_key *keys, size_t n,
                     const redisReply *id)
{
    struct part_key k = {id->str, id->len, 0};
    const struct part_key *hit = bsearch(&k, keys, n, sizeof k, cmp_part);
    return hit ? (int)hit->idx : -1;
}

/* Words separated by spaces: calls fn for each. */
static void each_word(const char *s, size_t len,
                      void (*fn)(const char *w, size_t n, void *arg), void *arg)
{
    for (size_t i = 0; i < len;) {
        while (i < len && s[i] == ' ')
            i++;
        size_t k = i;
        while (k < len && s[k] != ' ')
            k++;
        if (k > i)
            fn(s + i, k - i, arg);
        i = k;
    }
}

struct bits_arg {
    const redisReply *names;
    uint64_t *bits;
};

static void set_slot_bit(const char *w, size_t n, void *arg)
{
    struct bits_arg *b = arg;
    int s = find_name(b->names, w, n);
    if (s >= 0)
        b->bits[s / 64] |= 1ull << (s % 64);
}

/* Languages as a set of two-letter codes: bit per code index. */
#define LANG_WORDS ((26 * 26 + 63) / 64)

static void set_lang_bit(const char *w, size_t n, void *arg)
{
    uint64_t *bits = arg;
    if (n != 2 || w[0] < 'a' || w[0] > 'z' || w[1] < 'a' || w[1] > 'z')
        return;
    unsigned k = (unsigned)(w[0] - 'a') * 26 + (unsigned)(w[1] - 'a');
    bits[k / 64] |= 1ull << (k % 64);
}

static bool langs_meet(const uint64_t *a, const uint64_t *b)
{
    for (int i = 0; i < LANG_WORDS; i++)
        if (a[i] & b[i])
            return true;
    return false;
}

static bool all_strings(const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY)
        return false;
    for (size_t i = 0; i < r->elements; i++)
        if (r->element[i]->type != REDIS_REPLY_STRING)
            return false;
    return true;
}

#define MEETING_FIELDS 9

/* Turns the snapshot into a problem, solves it and writes the result
 * back. Everything it allocates is freed before it returns. */
static void solve_snapshot(struct job *j, redisContext *rc,
                           const redisReply *snap)
{
    const redisReply *slots = snap->element[0], *starts = snap->element[1],
                     *tables = snap->element[2], *interps = snap->element[3],
                     *parts = snap->element[4], *meets = snap->element[5],
                     *tz = snap->element[6];
    uint32_t nslots = (uint32_t)slots->elements;
    uint32_t npart = (uint32_t)(parts->elements / 4);
    uint32_t nmeet = (uint32_t)(meets->elements / MEETING_FIELDS);
    uint32_t ninterp = (uint32_t)(interps->elements / 2);
    size_t words = SCHED_WORDS(nslots);

    char zone[80], now[20];
    snprintf(zone, sizeof zone, "%.*s", (int)tz->len, tz->str);
    local_time_iso(zone, (int64_t)time(NULL), now);

    struct part_key *keys = xcalloc(npart + 1, sizeof *keys);
    struct sched_participant *pp = xcalloc(npart + 1, sizeof *pp);
    uint64_t *pfree = xcalloc((size_t)npart * words + 1, sizeof *pfree);
    uint64_t *plang = xcalloc((size_t)npart * LANG_WORDS + 1, sizeof *plang);
    uint64_t *ilang = xcalloc((size_t)ninterp * LANG_WORDS + 1, sizeof *ilang);
    struct sched_meeting *mm = xcalloc(nmeet + 1, sizeof *mm);
    uint64_t *mallowed = xcalloc((size_t)nmeet * words + 1, sizeof *mallowed);
    uint32_t *mint = xcalloc((size_t)nmeet * ninterp + 1, sizeof *mint);
    struct sched_place *place = xcalloc(nmeet + 1, sizeof *place);

    for (uint32_t i = 0; i < npart; i++) {
        redisReply **f = parts->element + 4 * i;
        keys[i] = (struct part_key){f[0]->str, f[0]->len, i};
        if (!(f[1]->len == 1 && f[1]->str[0] == '*')) {
            struct bits_arg b = {slots, pfree + (size_t)i * words};
            each_word(f[1]->str, f[1]->len, set_slot_bit, &b);
            pp[i].free = b.bits;
        }
        pp[i].max_meetings = f[2]->len ? atoi(f[2]->str) : SCHED_UNLIMITED;
        each_word(f[3]->str, f[3]->len, set_lang_bit,
                  plang + (size_t)i * LANG_WORDS);
    }
    qsort(keys, npart, sizeof *keys, cmp_part);
    for (uint32_t i = 0; i < ninterp; i++) {
        const redisReply *l = interps->element[2 * i + 1];
        each_word(l->str, l->len, set_lang_bit, ilang + (size_t)i * LANG_WORDS);
    }
    for (uint32_t i = 0; i < nmeet; i++) {
        redisReply **f = meets->element + MEETING_FIELDS * i;
        struct sched_meeting *m = &mm[i];
        int a = find_part(keys, npart, f[1]), b = find_part(keys, npart, f[2]);
        if (a < 0 || b < 0 || a == b) {
            err_set(&j->err, ERR_INTERNAL, "schedule snapshot is inconsistent");
            j->failed = true;
            goto out;
        }
        m->a = (uint32_t)a;
        m->b = (uint32_t)b;
        if (f[5]->len) {
            struct bits_arg ba = {slots, mallowed + (size_t)i * words};
            each_word(f[5]->str, f[5]->len, set_slot_bit, &ba);
            m->allowed = ba.bits;
        }
        const uint64_t *la = plang + (size_t)a * LANG_WORDS,
                       *lb = plang + (size_t)b * LANG_WORDS;
        if (!langs_meet(la, lb)) {
            /* Interpreters who speak a language of each side; with none,
             * the meeting can be booked nowhere. */
            m->interpreters = mint + (size_t)i * ninterp;
            for (uint32_t k = 0; k < ninterp; k++) {
                const uint64_t *li = ilang + (size_t)k * LANG_WORDS;
                if (langs_meet(li, la) && langs_meet(li, lb))
                    mint[(size_t)i * ninterp + m->ninterpreters++] = k;
            }
            if (m->ninterpreters == 0) {
                m->interpreters = NULL;
                m->allowed = mallowed + (size_t)i * words;
                memset(mallowed + (size_t)i * words, 0,
                       words * sizeof(uint64_t));
            }
        }
        m->slot = m->table = m->interpreter = SCHED_NONE;
        if (f[3]->len == 9 && memcmp(f[3]->str, "scheduled", 9) == 0) {
            m->slot = find_name(slots, f[6]->str, f[6]->len);
            m->table = find_name(tables, f[7]->str, f[7]->len);
            if (f[8]->len)
                m->interpreter =
                    find_name_every(interps, 2, f[8]->str, f[8]->len);
            m->was_scheduled = m->slot >= 0 && m->table >= 0;
            if (!m->was_scheduled)
                m->slot = m->table = m->interpreter = SCHED_NONE;
            /* A meeting whose slot has begun stays; with move false, so
             * does every booked one. */
            m->fixed = m->was_scheduled &&
                       (!j->move ||
                        strncmp(starts->element[m->slot]->str, now, 19) <= 0);
        }
    }

    struct sched_problem pb = {
        .nslots = nslots,
        .ntables = (uint32_t)tables->elements,
        .ninterpreters = ninterp,
        .nparticipants = npart,
        .nmeetings = nmeet,
        .participants = pp,
        .meetings = mm,
    };
    struct sched_params params;
    sched_params_default(&params);
    params.fairness = j->fairness;
    /* The budget covers reading, solving and writing back; writing costs
     * about as much as reading did (both scale with the meetings). */
    long spent = (long)(mono_ms() - j->started_ms);
    long floor_ms = j->budget_ms < 50 ? j->budget_ms : 50;
    params.budget_ms = j->budget_ms - 2 * spent;
    if (params.budget_ms < floor_ms)
        params.budget_ms = floor_ms;
    params.cancel = &j->cancel;
    j->read_ms = mono_ms() - j->started_ms;
    if (sched_solve(&pb, &params, place, &j->res, &j->err) < 0) {
        /* The stored state breaks a rule the solver checks: a bug. */
        log_error("schedule.optimize '%s': %s", j->event, j->err.msg);
        err_set(&j->err, ERR_INTERNAL, "the stored schedule is inconsistent");
        j->failed = true;
        goto out;
    }

    /* FCALL, its name, 1, the prefix, then the event, now, now as ISO
     * text and the stream's length; then 5 arguments per changed
     * meeting. */
    size_t cap = 8 + (size_t)nmeet * 5;
    const char **argv = xcalloc(cap, sizeof *argv);
    size_t *len = xcalloc(cap, sizeof *len);
    char(*vbuf)[24] = xcalloc(3, sizeof *vbuf);
    char kp[KEY_MAX];
    size_t n = 0;
    argv[n++] = "FCALL";
    argv[n++] = "em_sched_apply";
    argv[n++] = "1";
    argv[n++] = key_fmt(kp, j->event, "", NULL);
    argv[n++] = j->event;
    int64_t t = (int64_t)time(NULL);
    snprintf(vbuf[0], 24, "%lld", (long long)t);
    argv[n++] = vbuf[0];
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(vbuf[1], 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
    argv[n++] = vbuf[1];
    snprintf(vbuf[2], 24, "%d", srv_global->cfg->stream_maxlen);
    argv[n++] = vbuf[2];
    for (size_t i = 0; i < n; i++)
        len[i] = strlen(argv[i]);
    size_t changes = 0;
    for (uint32_t i = 0; i < nmeet; i++) {
        const struct sched_place *p = &place[i];
        const struct sched_meeting *m = &mm[i];
        if (p->slot == SCHED_NONE ||
            (p->slot == m->slot && p->table == m->table &&
             p->interpreter == m->interpreter))
            continue;
        redisReply **f = meets->element + MEETING_FIELDS * i;
        argv[n] = f[0]->str; /* meeting */
        len[n++] = f[0]->len;
        argv[n] = f[4]->str; /* v */
        len[n++] = f[4]->len;
        argv[n] = slots->element[p->slot]->str;
        len[n++] = slots->element[p->slot]->len;
        argv[n] = tables->element[p->table]->str;
        len[n++] = tables->element[p->table]->len;
        if (p->interpreter != SCHED_NONE) {
            argv[n] = interps->element[2 * p->interpreter]->str;
            len[n++] = interps->element[2 * p->interpreter]->len;
        } else {
            argv[n] = "";
            len[n++] = 0;
        }
        changes++;
    }
    if (changes > 0) {
        redisReply *rep = command(j, rc, (int)n, argv, len);
        if (rep == NULL) {
            j->failed = true;
        } else {
            if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2) {
                j->applied = rep->element[0]->integer;
                j->skipped = rep->element[1]->integer;
            }
            freeReplyObject(rep);
        }
    }
    free(argv);
    free(len);
    free(vbuf);
out:
    free(keys);
    free(pp);
    free(pfree);
    free(plang);
    free(ilang);
    free(mm);
    free(mallowed);
    free(mint);
    free(place);
}

static bool snapshot_ok(const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 7)
        return false;
    for (int i = 0; i < 6; i++)
        if (!all_strings(r->element[i]))
            return false;
    return r->element[6]->type == REDIS_REPLY_STRING &&
           r->element[0]->elements == r->element[1]->elements &&
           r->element[0]->elements > 0 &&
           r->element[0]->elements <= SCHED_SLOTS_MAX &&
           r->element[3]->elements % 2 == 0 &&
           r->element[4]->elements % 4 == 0 &&
           r->element[5]->elements % MEETING_FIELDS == 0;
}

static void *worker(void *arg)
{
    struct job *j = arg;
    redisContext *rc = connect_store(j);
    if (rc == NULL) {
        j->failed = true;
    } else {
        char kp[KEY_MAX];
        const char *argv[] = {"FCALL", "em_sched_snapshot", "1",
                              key_fmt(kp, j->event, "", NULL), j->event};
        size_t len[5];
        for (int i = 0; i < 5; i++)
            len[i] = strlen(argv[i]);
        redisReply *snap = command(j, rc, 5, argv, len);
        if (snap == NULL) {
            j->failed = true;
        } else if (!snapshot_ok(snap)) {
            err_set(&j->err, ERR_INTERNAL, "unexpected schedule snapshot");
            j->failed = true;
        } else {
            solve_snapshot(j, rc, snap);
        }
        if (snap)
            freeReplyObject(snap);
        redisFree(rc);
    }
    atomic_store(&j->done, 1);
    return NULL;
}

/* --- on the event loop ---------------------------------------------- */

static void job_unlink(struct job *j)
{
    for (struct job **p = &jobs; *p; p = &(*p)->next)
        if (*p == j) {
            *p = j->next;
            return;
        }
}

static void job_free(struct job *j)
{
    if (j->poll)
        event_free(j->poll);
    free(j->password);
    free(j);
}

static void reply_result(struct job *j)
{
    const struct sched_result *res = &j->res;
    msgpack_packer *pk = rpc_reply_begin(j->r);
    msgpack_pack_map(pk, 11);
    mp_pack_cstr(pk, "scheduled");
    msgpack_pack_uint32(pk, res->scheduled);
    mp_pack_cstr(pk, "unscheduled");
    msgpack_pack_uint32(pk, res->unscheduled);
    mp_pack_cstr(pk, "moved");
    msgpack_pack_uint32(pk, res->moved);
    mp_pack_cstr(pk, "breaks");
    msgpack_pack_uint64(pk, res->breaks);
    mp_pack_cstr(pk, "breaks_before");
    msgpack_pack_uint64(pk, res->breaks_before);
    mp_pack_cstr(pk, "upper_bound");
    msgpack_pack_uint32(pk, res->upper_bound);
    mp_pack_cstr(pk, "spread");
    msgpack_pack_uint32(pk, res->spread);
    mp_pack_cstr(pk, "fair");
    res->fair ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
    mp_pack_cstr(pk, "proven");
    res->stop == SCHED_STOP_PROVEN ? msgpack_pack_true(pk)
                                   : msgpack_pack_false(pk);
    mp_pack_cstr(pk, "skipped");
    msgpack_pack_long_long(pk, j->skipped);
    mp_pack_cstr(pk, "elapsed_ms");
    msgpack_pack_uint64(pk, mono_ms() - j->started_ms);
    rpc_reply_end(j->r);
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
    struct job *j = arg;
    if (!atomic_load(&j->done))
        return;
    pthread_join(j->thread, NULL);
    job_unlink(j);
    if (!j->failed)
        log_info("schedule.optimize '%s': read in %llu ms, solved in %.0f "
                 "ms (booking %.0f ms), %lld places written, %lld skipped, "
                 "%llu ms in all",
                 j->event, (unsigned long long)j->read_ms, j->res.elapsed_ms,
                 j->res.booking_ms, j->applied, j->skipped,
                 (unsigned long long)(mono_ms() - j->started_ms));
    if (j->failed)
        rpc_reply_err(j->r, &j->err);
    else
        reply_result(j);
    job_free(j);
}

static size_t running(const char *event)
{
    size_t n = 0;
    for (const struct job *j = jobs; j; j = j->next)
        n += event == NULL || strcmp(j->event, event) == 0;
    return n;
}

/* args: event, fairness, budget_ms, move */
void h_schedule_optimize(struct req *r, const msgpack_object *map,
                         const msgpack_object **args)
{
    char event[65];
    if (arg_ids(r, "event", args[0], event, NULL, NULL) < 0)
        return;
    int64_t fairness = SCHED_FAIRNESS_DEFAULT;
    int64_t budget = srv_global->cfg->optimize_budget_ms;
    if (args[1] && (!args_int_value(args[1], &fairness) || fairness < 0 ||
                    fairness > FAIRNESS_MAX)) {
        rpc_reply_error(r, ERR_BAD_REQUEST, "fairness: an integer 0-%d",
                        FAIRNESS_MAX);
        return;
    }
    if (args[2] && (!args_int_value(args[2], &budget) || budget < 1 ||
                    budget > BUDGET_MAX_MS)) {
        rpc_reply_error(r, ERR_BAD_REQUEST, "budget_ms: an integer 1-%d",
                        BUDGET_MAX_MS);
        return;
    }
    if (running(event) > 0) {
        rpc_reply_error(r, ERR_CONFLICT,
                        "an optimization of '%s' is running already", event);
        return;
    }
    if (running(NULL) >= JOBS_MAX) {
        rpc_reply_error(r, ERR_UNAVAILABLE,
                        "%d optimizations are running; try again shortly",
                        JOBS_MAX);
        return;
    }
    struct job *j = xcalloc(1, sizeof *j);
    j->r = r;
    snprintf(j->event, sizeof j->event, "%s", event);
    j->fairness = (int)fairness;
    j->budget_ms = (long)budget;
    j->move = args[3] ? args[3]->via.boolean : true;
    j->started_ms = mono_ms();
    /* The primary the main link uses now: with Sentinel, the optimizer's
     * own link follows a failover too. */
    if (store_primary(srv_global->store, j->host, sizeof j->host, &j->port) <
        0) {
        free(j);
        rpc_reply_error(r, ERR_UNAVAILABLE, "no store primary known yet");
        return;
    }
    j->password = xstrdup(
        srv_global->cfg->redis_password ? srv_global->cfg->redis_password : "");
    j->timeout_ms = srv_global->cfg->redis_timeout_ms;
    if (pthread_create(&j->thread, NULL, worker, j) != 0) {
        job_free(j);
        rpc_reply_error(r, ERR_UNAVAILABLE, "cannot start the optimizer");
        return;
    }
    j->poll = event_new(srv_global->base, -1, EV_PERSIST, on_poll, j);
    struct timeval tv = {0, POLL_MS * 1000};
    event_add(j->poll, &tv);
    j->next = jobs;
    jobs = j;
}

void schedule_shutdown(void)
{
    while (jobs) {
        struct job *j = jobs;
        atomic_store(&j->cancel, 1);
        pthread_join(j->thread, NULL);
        jobs = j->next;
        job_free(j);
    }
}
