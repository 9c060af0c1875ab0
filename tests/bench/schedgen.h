/* schedgen.h: deterministic synthetic instances for the schedule
 * optimizer: brokerage events shaped like those of Bofill et al. (tens of
 * participants, hundreds of meetings, every meeting bookable) and expos
 * (thousands of participants, more accepted meetings than tables). */
#ifndef EM_SCHEDGEN_H
#define EM_SCHEDGEN_H

#include <stdbool.h>
#include <stdint.h>

#include "schedule.h"

struct schedgen_opts {
    uint64_t seed;
    uint32_t participants, meetings, slots, tables, interpreters;
    int restricted_pct; /* meetings allowed only in the morning or afternoon */
    int forbidden_pct;  /* participants not free in 1-3 slots */
    int interp_pct;     /* meetings that need one of 1-3 interpreters */
    int capped_pct;     /* participants with a max_meetings */
    int booked_pct;     /* meetings booked on accept before the run */
    int fixed_pct;      /* of those, the share that cannot move */
    bool planted; /* a hidden schedule first, so that every meeting fits */
};

struct schedgen {
    struct sched_problem pb;
    struct sched_participant *part;
    struct sched_meeting *meet;
    uint64_t *sets;   /* free sets, then allowed sets */
    uint32_t *interp; /* 3 per meeting */
};

/* Same options, same instance. With `planted`, fewer meetings than asked
 * may come out when the shape leaves no room (pb.nmeetings says). */
void schedgen_make(struct schedgen *g, const struct schedgen_opts *o);
void schedgen_free(struct schedgen *g);

#endif
