/* schedcheck.h: an independent check of a schedule from sched_solve,
 * written from the contract rather than from the optimizer's code:
 * every constraint, the kept and fixed bookings, and the figures the
 * optimizer reports, recounted. Header-only, shared by test_sched.c and
 * the benchmark (tests/bench/schedbench.c). */
#ifndef EM_SCHEDCHECK_H
#define EM_SCHEDCHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schedule.h"

struct schedcheck {
    uint32_t scheduled, moved, spread;
    uint64_t breaks;
    char why[256]; /* the first violation found */
};

static bool schedcheck_fail(struct schedcheck *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool schedcheck_fail(struct schedcheck *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->why, sizeof c->why, fmt, ap);
    va_end(ap);
    return false;
}

static bool schedcheck_bit(const uint64_t *set, int s)
{
    return set == NULL || ((set[s / 64] >> (s % 64)) & 1);
}

static int schedcheck_cmp_pair(const void *x, const void *y)
{
    const int *a = x, *b = y;
    if (a[0] != b[0])
        return a[0] < b[0] ? -1 : 1;
    return a[1] < b[1] ? -1 : a[1] > b[1];
}

/* Whether some (slot, thing) pair of n appears twice. */
static int schedcheck_dup(int *pairs, size_t n)
{
    qsort(pairs, n, 2 * sizeof(int), schedcheck_cmp_pair);
    for (size_t k = 1; k < n; k++)
        if (pairs[2 * k] == pairs[2 * k - 2] &&
            pairs[2 * k + 1] == pairs[2 * k - 1])
            return (int)k;
    return -1;
}

static bool schedcheck_meeting(const struct sched_problem *pb,
                               const struct sched_place *pl, uint32_t m,
                               struct schedcheck *c)
{
    const struct sched_meeting *mt = &pb->meetings[m];
    const struct sched_place *x = &pl[m];
    if (mt->fixed && (x->slot != mt->slot || x->table != mt->table ||
                      x->interpreter != mt->interpreter))
        return schedcheck_fail(c, "meeting %u: fixed but changed", m);
    if (x->slot == SCHED_NONE) {
        if (mt->was_scheduled)
            return schedcheck_fail(c, "meeting %u: was scheduled, now not", m);
        if (x->table != SCHED_NONE || x->interpreter != SCHED_NONE)
            return schedcheck_fail(c, "meeting %u: table without slot", m);
        return true;
    }
    if (x->slot < 0 || (uint32_t)x->slot >= pb->nslots || x->table < 0 ||
        (uint32_t)x->table >= pb->ntables)
        return schedcheck_fail(c, "meeting %u: slot %d table %d", m, x->slot,
                               x->table);
    if (!mt->fixed && (!schedcheck_bit(mt->allowed, x->slot) ||
                       !schedcheck_bit(pb->participants[mt->a].free, x->slot) ||
                       !schedcheck_bit(pb->participants[mt->b].free, x->slot)))
        return schedcheck_fail(c, "meeting %u: slot %d not allowed or not free",
                               m, x->slot);
    if (mt->slot == x->slot && x->table != mt->table)
        return schedcheck_fail(c, "meeting %u: kept its slot, not its table",
                               m);
    bool eligible = false;
    for (uint32_t k = 0; k < mt->ninterpreters; k++)
        eligible |= (int)mt->interpreters[k] == x->interpreter;
    if (!mt->fixed &&
        (mt->ninterpreters ? !eligible : x->interpreter != SCHED_NONE))
        return schedcheck_fail(c, "meeting %u: interpreter %d", m,
                               x->interpreter);
    return true;
}

/* Checks pl against pb; fills c with the recounted figures (fairness
 * decides nothing here: the caller compares c->spread). */
static bool schedcheck(const struct sched_problem *pb,
                       const struct sched_place *pl, struct schedcheck *c)
{
    memset(c, 0, sizeof *c);
    uint32_t S = pb->nslots, P = pb->nparticipants;
    int *tables = malloc((2 * (size_t)pb->nmeetings + 1) * sizeof(int));
    int *interps = malloc((2 * (size_t)pb->nmeetings + 1) * sizeof(int));
    int32_t *at = malloc(((size_t)P * S + 1) * sizeof(int32_t));
    uint32_t *count = calloc(P + 1, sizeof(uint32_t));
    uint32_t *movable = calloc(P + 1, sizeof(uint32_t)); /* not fixed */
    memset(at, 0xff, ((size_t)P * S + 1) * sizeof(int32_t));
    size_t nt = 0, ni = 0;
    bool ok = true;
    for (uint32_t m = 0; m < pb->nmeetings && ok; m++) {
        const struct sched_meeting *mt = &pb->meetings[m];
        const struct sched_place *x = &pl[m];
        ok = schedcheck_meeting(pb, pl, m, c);
        if (!ok || x->slot == SCHED_NONE)
            continue;
        c->scheduled++;
        c->moved += mt->slot != SCHED_NONE && mt->slot != x->slot;
        uint32_t sides[2] = {mt->a, mt->b};
        for (int k = 0; k < 2 && ok; k++) {
            int32_t *cell = &at[(size_t)sides[k] * S + (uint32_t)x->slot];
            if (*cell >= 0)
                ok = schedcheck_fail(c,
                                     "participant %u: meetings %d and %u "
                                     "in slot %d",
                                     sides[k], *cell, m, x->slot);
            *cell = (int32_t)m;
            count[sides[k]]++;
            movable[sides[k]] += !mt->fixed;
        }
        tables[2 * nt] = x->slot;
        tables[2 * nt++ + 1] = x->table;
        if (x->interpreter >= 0) {
            interps[2 * ni] = x->slot;
            interps[2 * ni++ + 1] = x->interpreter;
        }
    }
    if (ok && schedcheck_dup(tables, nt) >= 0)
        ok = schedcheck_fail(c, "a table holds two meetings in one slot");
    if (ok && schedcheck_dup(interps, ni) >= 0)
        ok = schedcheck_fail(c, "an interpreter holds two meetings at once");
    uint32_t lo = UINT32_MAX, hi = 0;
    for (uint32_t p = 0; p < P && ok; p++) {
        /* Fixed meetings are facts: only they may exceed the cap. */
        int mx = pb->participants[p].max_meetings;
        if (mx != SCHED_UNLIMITED && count[p] > (uint32_t)mx && movable[p])
            ok = schedcheck_fail(c, "participant %u: %u meetings, max %d", p,
                                 count[p], mx);
        if (count[p] == 0)
            continue;
        /* Breaks: gaps between its consecutive meetings, each counted once. */
        uint32_t brk = 0;
        int last = -1;
        for (uint32_t s = 0; s < S; s++) {
            if (at[(size_t)p * S + s] < 0)
                continue;
            brk += last >= 0 && (uint32_t)last + 1 != s;
            last = (int)s;
        }
        c->breaks += brk;
        lo = brk < lo ? brk : lo;
        hi = brk > hi ? brk : hi;
    }
    c->spread = hi >= lo ? hi - lo : 0;
    free(tables);
    free(interps);
    free(at);
    free(count);
    free(movable);
    return ok;
}

#endif
