/* sched_init.c: the optimizer's state built from a problem: the input
 * checked (indices, flags, and that the bookings given break no rule),
 * each participant's meetings, each meeting's candidate slots, the
 * bookings given placed; and all of it freed again. */
#include <stdlib.h>
#include <string.h>

#include "sched_int.h"
#include "xmalloc.h"

/* Input checks that need no state: ranges and the flags' logic. */
static int check_meeting(const struct sched_problem *pb, uint32_t m,
                         struct err *err)
{
    const struct sched_meeting *mt = &pb->meetings[m];
    if (mt->a >= pb->nparticipants || mt->b >= pb->nparticipants ||
        mt->a == mt->b)
        return err_set(err, ERR_BAD_REQUEST,
                       "meetings[%u]: participants %u and %u are not two of "
                       "the %u",
                       m, mt->a, mt->b, pb->nparticipants);
    if (mt->ninterpreters && !mt->interpreters)
        return err_set(err, ERR_BAD_REQUEST,
                       "meetings[%u].interpreters: missing", m);
    bool eligible = false;
    for (uint32_t k = 0; k < mt->ninterpreters; k++) {
        if (mt->interpreters[k] >= pb->ninterpreters)
            return err_set(err, ERR_BAD_REQUEST,
                           "meetings[%u].interpreters[%u]: no interpreter %u",
                           m, k, mt->interpreters[k]);
        eligible |= (int)mt->interpreters[k] == mt->interpreter;
    }
    if (mt->fixed && !mt->was_scheduled)
        return err_set(err, ERR_BAD_REQUEST,
                       "meetings[%u]: fixed but not scheduled", m);
    if (!mt->was_scheduled) {
        if (mt->slot != SCHED_NONE || mt->table != SCHED_NONE ||
            mt->interpreter != SCHED_NONE)
            return err_set(err, ERR_BAD_REQUEST,
                           "meetings[%u]: booked but not was_scheduled", m);
        return 0;
    }
    if (mt->slot < 0 || (uint32_t)mt->slot >= pb->nslots)
        return err_set(err, ERR_BAD_REQUEST, "meetings[%u].slot: %d", m,
                       mt->slot);
    if (mt->table < 0 || (uint32_t)mt->table >= pb->ntables)
        return err_set(err, ERR_BAD_REQUEST, "meetings[%u].table: %d", m,
                       mt->table);
    /* A fixed meeting's interpreter is a fact, even one no longer its. */
    bool ok = mt->fixed ? mt->interpreter == SCHED_NONE ||
                              (mt->interpreter >= 0 &&
                               (uint32_t)mt->interpreter < pb->ninterpreters)
              : mt->ninterpreters == 0 ? mt->interpreter == SCHED_NONE
                                       : eligible;
    if (!ok)
        return err_set(err, ERR_BAD_REQUEST,
                       "meetings[%u].interpreter: %d is not one of its own", m,
                       mt->interpreter);
    return 0;
}

static void build_adjacency(struct sstate *st)
{
    const struct sched_problem *pb = st->pb;
    st->adj_start = xcalloc(st->np + 1, sizeof(uint32_t));
    st->adj = xmalloc(2 * (size_t)st->nm * sizeof(uint32_t));
    for (uint32_t m = 0; m < st->nm; m++) {
        st->adj_start[pb->meetings[m].a + 1]++;
        st->adj_start[pb->meetings[m].b + 1]++;
    }
    for (uint32_t p = 0; p < st->np; p++)
        st->adj_start[p + 1] += st->adj_start[p];
    uint32_t *fill = xmalloc((st->np + 1) * sizeof(uint32_t));
    memcpy(fill, st->adj_start, (st->np + 1) * sizeof(uint32_t));
    for (uint32_t m = 0; m < st->nm; m++) {
        st->adj[fill[pb->meetings[m].a]++] = m;
        st->adj[fill[pb->meetings[m].b]++] = m;
    }
    free(fill);
}

/* A meeting may go where its slot set and both sides' free slots agree; a
 * fixed one only where it is. */
static void build_candidates(struct sstate *st)
{
    const struct sched_problem *pb = st->pb;
    uint32_t W = st->words;
    uint64_t last =
        st->nslots % 64 ? ((uint64_t)1 << (st->nslots % 64)) - 1 : ~(uint64_t)0;
    st->cand = xcalloc((size_t)st->nm * W, sizeof(uint64_t));
    st->ncand = xcalloc(st->nm, sizeof(uint32_t));
    for (uint32_t m = 0; m < st->nm; m++) {
        const struct sched_meeting *mt = &pb->meetings[m];
        uint64_t *c = st->cand + (size_t)m * W;
        if (mt->fixed) {
            c[mt->slot / 64] = (uint64_t)1 << (mt->slot % 64);
        } else {
            const uint64_t *fa = pb->participants[mt->a].free;
            const uint64_t *fb = pb->participants[mt->b].free;
            for (uint32_t w = 0; w < W; w++) {
                uint64_t x = w + 1 == W ? last : ~(uint64_t)0;
                if (mt->allowed)
                    x &= mt->allowed[w];
                if (fa)
                    x &= fa[w];
                if (fb)
                    x &= fb[w];
                c[w] = x;
            }
        }
        for (uint32_t w = 0; w < W; w++)
            st->ncand[m] += st_popcount(c[w]);
    }
}

static int cmp_booking(const void *x, const void *y)
{
    const uint32_t *a = x, *b = y;
    if (a[0] != b[0])
        return a[0] < b[0] ? -1 : 1;
    return a[1] < b[1] ? -1 : a[1] > b[1];
}

/* Books the meetings booked now, fixed ones first so that the others are
 * checked against their caps, and refuses any collision. */
static int place_booked(struct sstate *st, struct err *err)
{
    const struct sched_problem *pb = st->pb;
    uint32_t *tables = xmalloc(3 * (size_t)st->nm * sizeof(uint32_t) + 1);
    size_t nt = 0;
    int rc = 0;
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        for (uint32_t m = 0; m < st->nm && rc == 0; m++) {
            const struct sched_meeting *mt = &pb->meetings[m];
            if (!mt->was_scheduled || mt->fixed != (pass == 0))
                continue;
            uint32_t s = (uint32_t)mt->slot;
            int32_t other = st_meeting_at(st, mt->a, s);
            if (other < 0)
                other = st_meeting_at(st, mt->b, s);
            if (other >= 0) {
                rc = err_set(err, ERR_BAD_REQUEST,
                             "meetings[%u]: slot %u already holds meetings[%d] "
                             "of the same participant",
                             m, s, other);
            } else if (mt->interpreter >= 0 &&
                       st->iocc[(size_t)mt->interpreter * st->nslots + s] >=
                           0) {
                rc = err_set(err, ERR_BAD_REQUEST,
                             "meetings[%u].interpreter: %d already holds a "
                             "meeting in slot %u",
                             m, mt->interpreter, s);
            } else if (!mt->fixed && !st_in_set(st_cand(st, m), s)) {
                rc = err_set(err, ERR_BAD_REQUEST,
                             "meetings[%u].slot: %u is not free for both sides "
                             "or not allowed",
                             m, s);
            } else if (!mt->fixed && (st->count[mt->a] >= st->cap[mt->a] ||
                                      st->count[mt->b] >= st->cap[mt->b])) {
                rc =
                    err_set(err, ERR_BAD_REQUEST,
                            "meetings[%u]: a side is over its max_meetings", m);
            } else {
                st_place(st, m, s, mt->interpreter);
                tables[3 * nt] = s;
                tables[3 * nt + 1] = (uint32_t)mt->table;
                tables[3 * nt++ + 2] = m;
            }
        }
    }
    if (rc == 0) {
        qsort(tables, nt, 3 * sizeof(uint32_t), cmp_booking);
        for (size_t k = 1; k < nt && rc == 0; k++)
            if (tables[3 * k] == tables[3 * k - 3] &&
                tables[3 * k + 1] == tables[3 * k - 2])
                rc = err_set(err, ERR_BAD_REQUEST,
                             "meetings[%u].table: %u already holds "
                             "meetings[%u] in slot %u",
                             tables[3 * k + 2], tables[3 * k + 1],
                             tables[3 * k - 1], tables[3 * k]);
    }
    free(tables);
    return rc;
}

int st_init(struct sstate *st, const struct sched_problem *pb, struct err *err)
{
    memset(st, 0, sizeof *st);
    if (pb->nslots == 0 || pb->nslots > SCHED_SLOTS_MAX)
        return err_set(err, ERR_BAD_REQUEST, "nslots: %u, not 1-%d", pb->nslots,
                       SCHED_SLOTS_MAX);
    if ((pb->nparticipants && !pb->participants) ||
        (pb->nmeetings && !pb->meetings) || pb->nmeetings > INT32_MAX)
        return err_set(err, ERR_BAD_REQUEST,
                       "participants or meetings: "
                       "missing or too many");
    for (uint32_t p = 0; p < pb->nparticipants; p++)
        if (pb->participants[p].max_meetings < SCHED_UNLIMITED)
            return err_set(err, ERR_BAD_REQUEST,
                           "participants[%u].max_meetings: %d", p,
                           pb->participants[p].max_meetings);
    for (uint32_t m = 0; m < pb->nmeetings; m++)
        if (check_meeting(pb, m, err) < 0)
            return -1;

    st->pb = pb;
    st->nslots = pb->nslots;
    st->words = (uint32_t)SCHED_WORDS(pb->nslots);
    st->ntables = pb->ntables;
    st->nm = pb->nmeetings;
    st->np = pb->nparticipants;
    size_t nm = st->nm, np = st->np, S = st->nslots;

    st->slot = xmalloc((nm + 1) * sizeof(int32_t));
    st->interp = xmalloc((nm + 1) * sizeof(int32_t));
    st->flags = xcalloc(nm + 1, 1);
    st->slot_pos = xcalloc(nm + 1, sizeof(uint32_t));
    st->pool = xmalloc((nm + 1) * sizeof(uint32_t));
    st->pool_pos = xmalloc((nm + 1) * sizeof(uint32_t));
    st->busy = xcalloc(np * st->words + 1, sizeof(uint64_t));
    st->count = xcalloc(np + 1, sizeof(uint32_t));
    st->cap = xmalloc((np + 1) * sizeof(uint32_t));
    st->brk = xcalloc(np + 1, sizeof(uint32_t));
    st->mark = xcalloc(np + 1, sizeof(uint32_t));
    st->used = xcalloc(S, sizeof(uint32_t));
    st->in_slot = xcalloc(S, sizeof(uint32_t *));
    st->in_slot_cap = xcalloc(S, sizeof(uint32_t));
    st->iocc = xmalloc((pb->ninterpreters * S + 1) * sizeof(int32_t));
    memset(st->iocc, 0xff, (pb->ninterpreters * S + 1) * sizeof(int32_t));
    st->hist = xcalloc(S + 1, sizeof(uint32_t));

    for (uint32_t p = 0; p < st->np; p++) {
        int mx = pb->participants[p].max_meetings;
        st->cap[p] = mx == SCHED_UNLIMITED ? UINT32_MAX : (uint32_t)mx;
    }
    build_adjacency(st);
    build_candidates(st);
    for (uint32_t m = 0; m < st->nm; m++) {
        st->slot[m] = st->interp[m] = SCHED_NONE;
        st->pool_pos[m] = UINT32_MAX;
        st->flags[m] = (pb->meetings[m].fixed ? MF_FIXED : 0) |
                       (pb->meetings[m].was_scheduled ? MF_KEEP : 0);
        /* Only meetings that can move or be booked are worth a search. */
        if (!pb->meetings[m].fixed && st->ncand[m] > 0) {
            st->pool[st->npool] = m;
            st->pool_pos[m] = st->npool++;
        }
    }
    if (place_booked(st, err) < 0) {
        st_free(st);
        return -1;
    }
    return 0;
}

void st_free(struct sstate *st)
{
    if (st->in_slot)
        for (uint32_t s = 0; s < st->nslots; s++)
            free(st->in_slot[s]);
    free(st->in_slot);
    free(st->in_slot_cap);
    free(st->used);
    free(st->slot);
    free(st->interp);
    free(st->flags);
    free(st->slot_pos);
    free(st->pool);
    free(st->pool_pos);
    free(st->busy);
    free(st->count);
    free(st->cap);
    free(st->brk);
    free(st->mark);
    free(st->iocc);
    free(st->hist);
    free(st->adj_start);
    free(st->adj);
    free(st->cand);
    free(st->ncand);
    free(st->log);
    memset(st, 0, sizeof *st);
}
