/* sched_beside.c: the exact phase on a thread of its own, beside the
 * search. On the small events where it runs, the search finds good
 * schedules and the exact phase proves bounds (or finds the optimum);
 * taking turns, each had half the budget, and at a second's budget the
 * search lost more than the proof gained. Side by side each has all of
 * it, on a machine with a second core.
 *
 * The exact phase works on its own copy of the state, made from the
 * schedule at hand when it starts (the search's best so far: the breaks
 * to beat), and shares only `news` (atomics) with the search until
 * exact_finish joins it.
 *
 * Its first solve looks for a schedule at the bound of sched_lb.c. On
 * the events it proves within a second, that solve was the whole proof
 * (the optimum was the bound), and its time varied several-fold with the
 * solver's seed. So once the search has had its share, exact_race puts
 * the search's thread on the same question with another seed, until
 * either solver answers: at 1 s, 66 / 250 was proven in 60 runs of 72
 * against 49, 78 / 302 / 22 in 51 against 33 (measured, when both
 * solvers guessed the schedule first; now the first guesses all false
 * and the rival the search's schedule: sched_exact.c). A no (a core)
 * means the bound rises, as on the tight 78 / 302 / 12, where the
 * search's schedule is what gets reported: the search goes on then, as
 * it does when the race has gone unanswered to its deadline (sched.c's
 * RACE_END_SHARE). */
#include <pthread.h>
#include <stdlib.h>

#include "sched_int.h"
#include "xmalloc.h"

struct exact_job {
    struct sstate st; /* the copy the exact phase works on */
    struct search_goal goal;
    struct exact_news news;
    atomic_int halt; /* the copy's `cancel`: set by exact_finish */
    pthread_t thread;
};

/* Books dst as src is booked: dst was made from the same problem. */
static void st_copy_booking(struct sstate *dst, const struct sstate *src)
{
    for (uint32_t m = 0; m < dst->nm; m++)
        if (dst->slot[m] != SCHED_NONE &&
            (dst->slot[m] != src->slot[m] || dst->interp[m] != src->interp[m]))
            st_unplace(dst, m);
    for (uint32_t m = 0; m < dst->nm; m++)
        if (dst->slot[m] == SCHED_NONE && src->slot[m] != SCHED_NONE)
            st_place(dst, m, (uint32_t)src->slot[m], src->interp[m]);
}

static void *exact_thread(void *arg)
{
    struct exact_job *job = arg;
    exact_run(&job->st, &job->goal, NULL);
    return NULL;
}

struct exact_job *exact_start(const struct sstate *st, struct search_goal *goal,
                              uint64_t deadline_ns)
{
    struct exact_job *job = xcalloc(1, sizeof *job);
    struct err err = {0};
    /* The problem passed st_init once already: this cannot fail. */
    if (st_init(&job->st, st->pb, &err) < 0) {
        free(job);
        return NULL;
    }
    st_copy_booking(&job->st, st);
    job->st.deadline_ns = deadline_ns;
    job->st.cancel = &job->halt;
    job->st.rng = st->rng ^ 0x5DEECE66Dull;
    job->goal = *goal;
    job->goal.news = &job->news;
    atomic_init(&job->news.lower_bound, goal->breaks_lower_bound);
    atomic_init(&job->news.optimal, false);
    atomic_init(&job->news.raised, false);
    atomic_init(&job->halt, 0);
    if (pthread_create(&job->thread, NULL, exact_thread, job) != 0) {
        st_free(&job->st);
        free(job);
        return NULL;
    }
    goal->news = &job->news;
    return job;
}

void exact_finish(struct exact_job *job, struct sstate *st,
                  struct search_goal *goal)
{
    atomic_store(&job->halt, 1);
    pthread_join(job->thread, NULL);
    goal->news = NULL;
    if (job->goal.breaks_lower_bound > goal->breaks_lower_bound)
        goal->breaks_lower_bound = job->goal.breaks_lower_bound;
    /* Proven optimal among fair schedules booking every meeting, which
     * the search's, when it books them all, can at most equal. */
    if (atomic_load(&job->news.optimal) && job->st.booked == st->nm &&
        (st->booked < st->nm || job->st.breaks < st->breaks))
        st_copy_booking(st, &job->st);
    st_free(&job->st);
    free(job);
}

/* Seed of the rival's solver: any but the first's (0). Its first
 * guesses are the search's schedule, where the first's are all false
 * (GUIDED_FIRST in sched_exact.c): it tries something else. */
#define RIVAL_SEED 1

void exact_race(struct exact_job *job, struct sstate *st,
                struct search_goal *goal)
{
    if (atomic_load(&job->news.optimal) || atomic_load(&job->news.raised))
        return;
    /* Its own goal: the news is the first's to tell. */
    struct search_goal mine = *goal;
    mine.news = NULL;
    struct exact_rival rival = {&job->news, RIVAL_SEED, true};
    exact_run(st, &mine, &rival);
    if (mine.breaks_lower_bound > goal->breaks_lower_bound)
        goal->breaks_lower_bound = mine.breaks_lower_bound;
}
