/* sched_int.h: the optimizer's working state, private to sched_*.c.
 * sched_init.c builds it from the problem; sched_state.c keeps it
 * consistent (every booking goes through st_place and st_unplace, which
 * also keep the break counts and write the journal that undoes rejected
 * moves); sched_bound.c bounds the meetings booked and sched_lb.c the
 * breaks, sched_book.c books, sched_search.c searches, sched_exact.c
 * proves (on small events), sched.c drives. */
#ifndef EM_SCHED_INT_H
#define EM_SCHED_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "schedule.h"

/* st_interp_for's answer when the meeting needs an interpreter and none
 * of its own is free in the slot (SCHED_NONE means it needs none). */
#define NO_INTERP (-2)

enum meeting_flags {
    MF_FIXED = 1, /* never moves */
    MF_KEEP = 2,  /* was_scheduled: never left unbooked */
};

/* One journal record: meeting m was placed at (slot, interp), or
 * unplaced from there. */
struct sop {
    uint32_t m;
    int32_t slot, interp;
    bool placed;
};

struct sstate {
    const struct sched_problem *pb;
    uint32_t nslots, words, ntables, nm, np;

    /* Meetings. */
    int32_t *slot, *interp; /* booking now, SCHED_NONE when waiting */
    uint64_t *cand;         /* nm * words: slots it may go to */
    uint32_t *ncand;        /* bits in cand */
    uint8_t *flags;         /* enum meeting_flags */

    /* The meetings that may move, booked ones first: pool[0..nbooked_pool)
     * are booked, the rest wait. pool_pos[m] is m's index, or UINT32_MAX. */
    uint32_t *pool, *pool_pos, npool, nbooked_pool;

    /* Participants. */
    uint64_t *busy;            /* np * words: slots with a meeting */
    uint32_t *count, *cap;     /* meetings booked, most allowed */
    uint32_t *adj_start, *adj; /* its meetings: adj[adj_start[p]..[p+1]) */
    uint32_t *brk;             /* its breaks now */
    uint32_t *mark, stamp;     /* scratch: seen in the move at hand */

    /* Slots: the meetings booked in s are in_slot[s][0..used[s]). */
    uint32_t *used, **in_slot, *in_slot_cap, *slot_pos;

    /* iocc[i * nslots + s]: the meeting interpreter i holds in s, or -1. */
    int32_t *iocc;

    /* Totals. hist[k]: participants with meetings and k breaks; the
     * nonzero ones lie in [hist_lo, hist_hi]. */
    uint32_t booked, nactive, hist_lo, hist_hi;
    uint64_t breaks;
    uint32_t *hist;

    /* The journal: while `logging`, every place and unplace is recorded so
     * that st_undo_to can take the state back to an earlier mark. */
    struct sop *log;
    size_t nlog, log_cap;
    bool logging;

    uint64_t rng;

    /* Stopping: checked every few steps by st_should_stop. */
    uint64_t deadline_ns;
    const atomic_int *cancel;
    uint32_t tick;
    bool stopped;
    enum sched_stop why;
};

/* Bits set in x. The build targets no particular CPU, where the builtin
 * becomes a library call; this stays inline. */
static inline uint32_t st_popcount(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
    return (uint32_t)((x * 0x0101010101010101ull) >> 56);
}

/* sched_init.c */
int st_init(struct sstate *st, const struct sched_problem *pb, struct err *err);
void st_free(struct sstate *st);

/* sched_state.c */
uint64_t st_now_ns(void);
bool st_should_stop(struct sstate *st);
bool st_in_set(const uint64_t *set, uint32_t s);
const uint64_t *st_cand(const struct sstate *st, uint32_t m);
bool st_busy(const struct sstate *st, uint32_t p, uint32_t s);
int32_t st_meeting_at(const struct sstate *st, uint32_t p, uint32_t s);
int32_t st_interp_for(const struct sstate *st, uint32_t m, uint32_t s);
int32_t st_interp_make_room(struct sstate *st, uint32_t m, uint32_t s);
bool st_fits(const struct sstate *st, uint32_t m, uint32_t s, int32_t *interp);
void st_place(struct sstate *st, uint32_t m, uint32_t s, int32_t interp);
void st_unplace(struct sstate *st, uint32_t m);
void st_undo_to(struct sstate *st, size_t mark);
uint32_t st_spread(const struct sstate *st);
uint32_t st_spread_if(struct sstate *st, const uint32_t *ps, const uint32_t *to,
                      uint32_t n);
uint64_t st_rand(struct sstate *st);
uint32_t st_below(struct sstate *st, uint32_t n);
int32_t st_nth_slot(const uint64_t *set, uint32_t words, uint32_t n);
int32_t st_random_cand(struct sstate *st, uint32_t m);

/* sched_bound.c */
uint32_t sb_upper_bound(const struct sstate *st);

/* sched_lb.c: fewest, when not NULL, gets each participant's own bound
 * (np of them), which the total may exceed by one. */
uint64_t sb_breaks_lower_bound(const struct sstate *st,
                               const uint32_t *meetings_of, uint32_t *fewest);

/* sched_book.c */
void book_greedy(struct sstate *st);
void book_augment(struct sstate *st, uint32_t upper_bound);
bool book_eject(struct sstate *st, uint32_t m, uint32_t s, uint32_t *out,
                uint32_t *nout);
bool book_relocate(struct sstate *st, uint32_t m, int depth, uint32_t *budget,
                   int32_t avoid);
uint32_t book_fill(struct sstate *st);

/* What the exact phase, on a thread of its own, tells the search as it
 * goes: the breaks it has proven necessary, whether it holds an optimal
 * schedule (the search may stop then), and whether a core has raised its
 * bound (its first solve found no schedule at the starting bound). */
struct exact_news {
    atomic_uint_least64_t lower_bound;
    atomic_bool optimal;
    atomic_bool raised;
};

/* sched_search.c */
struct search_goal {
    int fairness;
    uint32_t upper_bound;
    uint64_t breaks_lower_bound; /* for every meeting booked */
    const uint32_t *fewest;      /* its parts per participant (sched_lb.c), or
                                    NULL when not every meeting can be booked */
    uint64_t iterations;         /* out */
    struct exact_news *news;     /* from the exact phase beside, or NULL */
};
void search_run(struct sstate *st, struct search_goal *goal);
bool search_proven(const struct sstate *st, const struct search_goal *goal);

/* A second exact phase, racing the first (on its own thread) on the
 * first's first solve, with another seed and its own first guesses
 * (guided: the schedule at hand; else all false): it stops when the
 * first holds the optimum or a core, and at its own first core (a
 * schedule at the starting bound was all it was for). */
struct exact_rival {
    struct exact_news *first;
    int seed;
    bool guided;
};

/* sched_exact.c: exact_fits says whether the instance is small enough
 * (and free of interpreters) for the exact phase; exact_run proves the
 * schedule in st optimal or replaces it with one that is (true), or runs
 * out of time having raised goal->breaks_lower_bound as far as it got.
 * Both are told to goal->news, when set, as they happen. It stops solving
 * early enough to have released its solver by st->deadline_ns. rival is
 * NULL but for the second phase of exact_race. */
bool exact_fits(const struct sstate *st);
bool exact_run(struct sstate *st, struct search_goal *goal,
               const struct exact_rival *rival);

/* sched_beside.c: the exact phase on a copy of st, on a thread of its
 * own until `deadline_ns` or until exact_finish, which waits for it and
 * takes its schedule (when proven optimal) and its bound into st and
 * goal. exact_start sets goal->news; it returns NULL, and the search
 * goes alone, when no thread can be had. */
struct exact_job;
struct exact_job *exact_start(const struct sstate *st, struct search_goal *goal,
                              uint64_t deadline_ns);
void exact_finish(struct exact_job *job, struct sstate *st,
                  struct search_goal *goal);
/* The calling thread's turn: exact_run on st itself as job's rival,
 * unless job's first solve has answered already. */
void exact_race(struct exact_job *job, struct sstate *st,
                struct search_goal *goal);

#endif
