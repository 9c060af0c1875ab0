/* schedule.h: the schedule optimizer behind schedule.optimize. Given an
 * event's slots, tables and interpreters, each participant's free slots
 * and the accepted meetings with their current bookings, it books as many
 * meetings as it can, then minimizes breaks (Bofill et al., "B2B meeting
 * scheduling", JAIR: for each participant, the number of times two of its
 * consecutive meetings are not in consecutive slots), keeping the spread
 * of breaks between participants within `fairness` where it can.
 *
 * Pure computation: no I/O, no globals, nothing kept between calls. A
 * call allocates only what the instance's size bounds and frees it before
 * returning, so calls may run on any threads at once; the daemon runs one
 * on a worker thread and stops it through `cancel`. */
#ifndef EM_SCHEDULE_H
#define EM_SCHEDULE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SCHED_NONE (-1)      /* no slot, table or interpreter */
#define SCHED_UNLIMITED (-1) /* max_meetings without a limit */
#define SCHED_SLOTS_MAX 4096
#define SCHED_FAIRNESS_DEFAULT 2

/* Words of a slot set: bit s of word s / 64 is slot s. */
#define SCHED_WORDS(nslots) (((size_t)(nslots) + 63) / 64)

struct sched_participant {
    const uint64_t *free; /* slots it is free in; NULL: every slot */
    int max_meetings;     /* SCHED_UNLIMITED or 0 and up */
};

struct sched_meeting {
    uint32_t a, b;                /* participant indices, a != b */
    const uint64_t *allowed;      /* slots it may be booked in; NULL: any */
    const uint32_t *interpreters; /* one of these must hold it... */
    uint32_t ninterpreters;       /* ...unless there are none (0) */
    int slot, table, interpreter; /* its booking now, or SCHED_NONE */
    bool was_scheduled;           /* booked now (slot set): stays booked */
    bool fixed; /* keeps slot, table and interpreter (implies the above) */
};

/* Slots are in the event's order: s and s + 1 are consecutive. Tables are
 * interchangeable and the same in every slot. An interpreter can hold one
 * meeting per slot. */
struct sched_problem {
    uint32_t nslots; /* 1..SCHED_SLOTS_MAX */
    uint32_t ntables;
    uint32_t ninterpreters;
    uint32_t nparticipants;
    uint32_t nmeetings;
    const struct sched_participant *participants;
    const struct sched_meeting *meetings;
};

struct sched_params {
    int fairness;             /* max - min breaks wanted; 0 and up */
    long budget_ms;           /* wall clock (CLOCK_MONOTONIC) for the call */
    const atomic_int *cancel; /* nonzero: return soon; may be NULL */
    uint64_t seed;            /* same seed, same steps (until the clock) */
};

/* Why the search ended. */
enum sched_stop {
    SCHED_STOP_PROVEN,    /* it cannot improve (see sched_result) */
    SCHED_STOP_BUDGET,    /* budget_ms ran out */
    SCHED_STOP_CANCELLED, /* *cancel was set */
};

struct sched_place {
    int slot, table, interpreter; /* SCHED_NONE when not booked */
};

struct sched_result {
    uint32_t scheduled;          /* meetings booked */
    uint32_t unscheduled;        /* meetings left waiting */
    uint32_t moved;              /* booked before, in another slot now */
    uint32_t upper_bound;        /* no schedule books more (see below) */
    uint64_t breaks;             /* total breaks */
    uint64_t breaks_input;       /* of the schedule as given */
    uint64_t breaks_before;      /* after booking, before the search */
    uint64_t breaks_lower_bound; /* see below */
    uint32_t spread; /* max - min breaks, participants with meetings */
    bool fair;       /* spread <= fairness */
    enum sched_stop stop;
    uint64_t iterations; /* search moves tried */
    double booking_ms;   /* when booking was maximal and the search began */
    double elapsed_ms;
};

/* fairness SCHED_FAIRNESS_DEFAULT, budget 5000 ms, no cancel, seed 1. */
void sched_params_default(struct sched_params *params);

/* Solves pb and writes one sched_place per meeting into place (the
 * caller's array of pb->nmeetings). Returns 0, or -1 with err filled
 * (ERR_BAD_REQUEST naming the meeting) when the input is inconsistent:
 * indices out of range, a booked meeting that breaks a constraint, two
 * booked meetings that collide. Fixed meetings are facts: they need not
 * be in a free or allowed slot, within max_meetings or with an eligible
 * interpreter any more (only collisions are refused); they still count
 * everywhere.
 *
 * Whatever stops it, the placement returned is feasible: the best found.
 * Each `was_scheduled` meeting stays booked, each fixed one where it is;
 * meetings that keep their slot keep their table.
 *
 * upper_bound is the fixed meetings plus the least of: the meetings that
 * fit in some slot beside the fixed ones; a vertex-cover bound (for a set
 * C of participants, the sum over C of min(max_meetings, usable slots,
 * meetings) plus the meetings with neither side in C; C chosen greedily);
 * the sum over slots of min(free tables, participants free / 2); and the
 * meetings needing no interpreter plus what interpreters can hold.
 *
 * breaks_lower_bound is valid for any schedule that gives each participant
 * as many meetings as this one does: each participant needs at least the
 * fewest blocks of consecutive slots in which that many of its meetings
 * can each have a slot of its own where it may go (beside the fixed
 * meetings, which stay), and has blocks - 1 breaks. When every meeting is
 * booked, one more when no schedule gives every participant its fewest
 * blocks (refuted by narrowing each meeting to the slots where both sides
 * can be busy in such a layout, then by the participants that must be
 * busy in a slot: more than twice the tables, or an odd number while all
 * others must be idle).
 *
 * On small events (up to 60,000 meeting-slot pairs, no meeting that may
 * move needing an interpreter) whose meetings all fit, an exact phase
 * (MaxSAT on the CaDiCaL solver) runs on a second thread beside the
 * search from 3% of the budget on, started from the best schedule so
 * far when every meeting is booked, the spread within fairness and
 * fewer breaks than participants. It either finds a schedule with the
 * fewest breaks of any fair one, which replaces the search's, or raises
 * breaks_lower_bound to what it proved of fair schedules booking every
 * meeting; the search stops as soon as either settles the question. From
 * 10% of the budget, while the exact phase still looks for a schedule at
 * its starting bound, a second solver takes the search's thread and
 * races it on that. So such a call can keep two cores busy.
 *
 * SCHED_STOP_PROVEN means: scheduled == upper_bound, spread within
 * fairness, and breaks == 0 or every meeting is booked with breaks ==
 * breaks_lower_bound; or scheduled == upper_bound and every booked
 * meeting is fixed (nothing more fits, nothing may move). */
int sched_solve(const struct sched_problem *pb,
                const struct sched_params *params, struct sched_place *place,
                struct sched_result *res, struct err *err);

#endif
