/* schedbench.c: expomatch-schedbench, the schedule optimizer's benchmark:
 *
 *   expomatch-schedbench [--quick] [--no-ilp] [--ilp-plain]
 *       [--ilp-seconds N] [--ilp-big-seconds N] [--budget-ms N]
 *       [--seed N] [--tmp DIR] [--keep] [--shape P,M,S,T[,SEED[,PCT]]]
 *
 * 1. Brokerage events shaped like Bofill et al.'s (42-78 participants,
 *    125-302 meetings, 8-22 slots, 12-27 tables, meetings restricted to
 *    the morning or the afternoon, participants with forbidden slots;
 *    every meeting bookable by construction), each solved within the
 *    budget (default 1000 ms). Each is then written as an exact ILP (CPLEX
 *    LP format) and glpsol is asked for a schedule with fewer breaks than
 *    ours: finding none proves ours optimal (--ilp-plain: glpsol's own
 *    optimum instead). glpsol rarely settles these in its time limit
 *    (--ilp-big-seconds, default 10).
 * 2. Smaller events, the same way, that glpsol can settle (--ilp-seconds,
 *    default 20); first a check that the ILP admits our schedules.
 * 3. An expo: 5,000 participants, 30,000 accepted meetings, 16 slots, 400
 *    tables: when booking was maximal, the upper bound, breaks against
 *    the greedy start; with nothing booked before, and with half the
 *    meetings booked on accept (1 s, then 5 s).
 *
 * --shape runs one event of that shape instead, glpsol limited by
 * --ilp-seconds (PCT: share of restricted meetings and of participants
 * with forbidden slots, default 20). --seed is the optimizer's seed
 * (default 1). --quick is a smaller, shorter run.
 * Every schedule is checked (schedcheck.h: the constraints and the
 * figures reported) and so is maximality (no waiting meeting fits). The last
 * line is "schedbench: ok" when all checks held; the optimality goals are
 * measured and printed, not asserted. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../unit/schedcheck.h"
#include "schedgen.h"
#include "xmalloc.h"

struct opts {
    bool quick, ilp, keep, ilp_plain;
    int ilp_seconds, ilp_big_seconds;
    long budget_ms;
    const char *tmp;
};

static int failures;
static uint64_t solver_seed = 1; /* --seed */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static bool in_set(const uint64_t *set, int s)
{
    return set == NULL || ((set[s / 64] >> (s % 64)) & 1);
}

/* Whether some waiting meeting fits as the schedule stands: linear in
 * the instance, unlike the unit test's check. */
static long not_maximal(const struct sched_problem *pb,
                        const struct sched_place *pl)
{
    uint32_t S = pb->nslots, P = pb->nparticipants;
    bool *busy = xcalloc((size_t)P * S + 1, 1);
    bool *iocc = xcalloc((size_t)pb->ninterpreters * S + 1, 1);
    uint32_t *count = xcalloc(P + 1, sizeof *count);
    uint32_t *used = xcalloc(S, sizeof *used);
    for (uint32_t m = 0; m < pb->nmeetings; m++) {
        int s = pl[m].slot;
        if (s < 0)
            continue;
        const struct sched_meeting *mt = &pb->meetings[m];
        busy[(size_t)mt->a * S + s] = busy[(size_t)mt->b * S + s] = true;
        count[mt->a]++;
        count[mt->b]++;
        used[s]++;
        if (pl[m].interpreter >= 0)
            iocc[(size_t)pl[m].interpreter * S + s] = true;
    }
    long found = -1;
    for (uint32_t m = 0; m < pb->nmeetings && found < 0; m++) {
        const struct sched_meeting *mt = &pb->meetings[m];
        int ca = pb->participants[mt->a].max_meetings;
        int cb = pb->participants[mt->b].max_meetings;
        if (pl[m].slot >= 0 || (ca >= 0 && count[mt->a] >= (uint32_t)ca) ||
            (cb >= 0 && count[mt->b] >= (uint32_t)cb))
            continue;
        for (uint32_t s = 0; s < S && found < 0; s++) {
            bool interp = mt->ninterpreters == 0;
            for (uint32_t k = 0; k < mt->ninterpreters; k++)
                interp |= !iocc[(size_t)mt->interpreters[k] * S + s];
            if (interp && used[s] < pb->ntables && in_set(mt->allowed, s) &&
                in_set(pb->participants[mt->a].free, s) &&
                in_set(pb->participants[mt->b].free, s) &&
                !busy[(size_t)mt->a * S + s] && !busy[(size_t)mt->b * S + s])
                found = m;
        }
    }
    free(busy);
    free(iocc);
    free(count);
    free(used);
    return found;
}

static void check(bool ok, const char *what, const char *detail)
{
    if (!ok) {
        printf("  CHECK FAILED: %s %s\n", what, detail ? detail : "");
        failures++;
    }
}

static const char *stop_name(enum sched_stop s)
{
    return s == SCHED_STOP_PROVEN   ? "proven"
           : s == SCHED_STOP_BUDGET ? "budget"
                                    : "cancelled";
}

/* Solves and checks; the placement is left in pl. */
static struct sched_result solve(const struct sched_problem *pb, long budget,
                                 struct sched_place *pl)
{
    struct sched_params prm;
    sched_params_default(&prm);
    prm.budget_ms = budget;
    prm.seed = solver_seed;
    struct sched_result res;
    struct err err = {0};
    if (sched_solve(pb, &prm, pl, &res, &err) != 0) {
        check(false, "sched_solve:", err.msg);
        memset(&res, 0, sizeof res);
        return res;
    }
    struct schedcheck c;
    check(schedcheck(pb, pl, &c), "feasible:", c.why);
    check(c.scheduled == res.scheduled && c.breaks == res.breaks &&
              c.moved == res.moved && c.spread == res.spread,
          "figures as reported", NULL);
    check(res.scheduled <= res.upper_bound, "scheduled <= upper bound", NULL);
    check(not_maximal(pb, pl) < 0, "maximal booking", NULL);
    return res;
}

/* The instance as an exact ILP in CPLEX LP format, for glpsol: x[m,s]
 * books m in s; y(p,s), the sum of p's x in s, is at most 1; z[p,s] is
 * y(p,s) and not y(p,s-1), the start of a block of p's meetings; breaks
 * are blocks minus one per participant with a meeting. Every meeting is
 * booked, tables and caps hold, and every participant's blocks lie
 * within `fairness` of each other's. Interpreters are not modelled: the
 * instances given to it need none. Minimizes the blocks; *active gets the
 * participants with a meeting, so breaks = objective - *active. With
 * max_breaks >= 0 only schedules with at most that many breaks remain:
 * glpsol finding none proves that no schedule has fewer (a cutoff prunes
 * far more of its search than waiting for the bound to meet the best). */
struct lp {
    FILE *f;
    const struct sched_problem *pb;
    uint32_t *start, *adj; /* each participant's meetings */
    int terms;             /* on the current line */
};

static bool can(const struct sched_problem *pb, uint32_t m, uint32_t s)
{
    const struct sched_meeting *mt = &pb->meetings[m];
    if (mt->fixed)
        return (int)s == mt->slot;
    return in_set(mt->allowed, (int)s) &&
           in_set(pb->participants[mt->a].free, (int)s) &&
           in_set(pb->participants[mt->b].free, (int)s);
}

/* One term; long sums are wrapped, which the format allows. */
static void term(struct lp *w, const char *sign, const char *var, uint32_t i,
                 uint32_t j)
{
    if (++w->terms % 8 == 0)
        fputs("\n   ", w->f);
    fprintf(w->f, " %s %s%u_%u", sign, var, i, j);
}

/* The terms of y(p,s); returns how many. */
static int y_terms(struct lp *w, uint32_t p, uint32_t s, const char *sign)
{
    int n = 0;
    for (uint32_t k = w->start[p]; k < w->start[p + 1]; k++)
        if (can(w->pb, w->adj[k], s)) {
            term(w, sign, "x", w->adj[k], s);
            n++;
        }
    return n;
}

static int y_count(const struct lp *w, uint32_t p, uint32_t s)
{
    int n = 0;
    for (uint32_t k = w->start[p]; k < w->start[p + 1]; k++)
        n += can(w->pb, w->adj[k], s);
    return n;
}

static bool y_empty(const struct lp *w, uint32_t p, uint32_t s)
{
    return y_count(w, p, s) == 0;
}

static void end_row(struct lp *w, const char *rel)
{
    fprintf(w->f, " %s\n", rel);
    w->terms = 0;
}

static int cmp_desc(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a > b ? -1 : a < b;
}

/* Fewest blocks p's meetings fit in: its meetings lie in the runs of
 * slots where one of them may go, so the longest runs must hold them. A
 * valid inequality that spares glpsol much branching. */
static uint32_t least_blocks(const struct lp *w, uint32_t p)
{
    uint32_t S = w->pb->nslots, n = 0, blocks = 0, got = 0;
    uint32_t *runs = xcalloc(S + 1, sizeof *runs);
    for (uint32_t s = 0; s < S; s++) {
        if (y_empty(w, p, s))
            continue;
        if (s == 0 || y_empty(w, p, s - 1))
            n++;
        runs[n - 1]++;
    }
    qsort(runs, n, sizeof *runs, cmp_desc);
    uint32_t k = w->start[p + 1] - w->start[p];
    while (blocks < n && got < k)
        got += runs[blocks++];
    free(runs);
    return blocks ? blocks : 1;
}

/* The sum of p's block starts. */
static void blocks_sum(struct lp *w, uint32_t p)
{
    for (uint32_t s = 0; s < w->pb->nslots; s++)
        if (!y_empty(w, p, s))
            term(w, "+", "z", p, s);
}

/* Everyone's, when p has meetings. */
static void all_blocks(struct lp *w)
{
    for (uint32_t p = 0; p < w->pb->nparticipants; p++)
        if (w->start[p + 1] > w->start[p])
            blocks_sum(w, p);
}

static void lp_blocks(struct lp *w, uint32_t p)
{
    uint32_t S = w->pb->nslots;
    for (uint32_t s = 0; s < S; s++) {
        if (y_empty(w, p, s))
            continue;
        fprintf(w->f, " zl%u_%u: z%u_%u", p, s, p, s);
        y_terms(w, p, s, "-");
        if (s > 0)
            y_terms(w, p, s - 1, "+");
        end_row(w, ">= 0");
        fprintf(w->f, " zu%u_%u: z%u_%u", p, s, p, s);
        y_terms(w, p, s, "-");
        end_row(w, "<= 0");
        if (s > 0 && !y_empty(w, p, s - 1)) {
            fprintf(w->f, " zv%u_%u: z%u_%u", p, s, p, s);
            y_terms(w, p, s - 1, "+");
            end_row(w, "<= 1");
        }
    }
    for (int side = 0; side < 2; side++) {
        fprintf(w->f, " f%c%u:", side ? 'b' : 'a', p);
        blocks_sum(w, p);
        fprintf(w->f, " - %s", side ? "bmin" : "bmax");
        end_row(w, side ? ">= 0" : "<= 0");
    }
    fprintf(w->f, " n%u:", p);
    blocks_sum(w, p);
    fprintf(w->f, " >= %u\n", least_blocks(w, p));
    w->terms = 0;
}

static int write_lp(const struct sched_problem *pb, int fairness,
                    long max_breaks, const char *path, uint32_t *active)
{
    uint32_t P = pb->nparticipants, M = pb->nmeetings, S = pb->nslots;
    struct lp w = {fopen(path, "w"), pb, NULL, NULL, 0};
    if (!w.f)
        return -1;
    w.start = xcalloc(P + 2, sizeof(uint32_t));
    w.adj = xmalloc((2 * (size_t)M + 1) * sizeof(uint32_t));
    for (uint32_t m = 0; m < M; m++) {
        w.start[pb->meetings[m].a + 2]++;
        w.start[pb->meetings[m].b + 2]++;
    }
    for (uint32_t p = 0; p < P; p++)
        w.start[p + 2] += w.start[p + 1];
    for (uint32_t m = 0; m < M; m++) {
        w.adj[w.start[pb->meetings[m].a + 1]++] = m;
        w.adj[w.start[pb->meetings[m].b + 1]++] = m;
    }
    *active = 0;
    for (uint32_t p = 0; p < P; p++)
        *active += w.start[p + 1] > w.start[p];

    fputs("\\* expomatch schedule: least breaks, every meeting booked *\\\n"
          "Minimize\n obj:",
          w.f);
    all_blocks(&w);
    fputs("\nSubject To\n", w.f);
    w.terms = 0;
    if (max_breaks >= 0) {
        fputs(" cut:", w.f);
        all_blocks(&w);
        fprintf(w.f, " <= %ld\n", max_breaks + *active);
        w.terms = 0;
    }
    for (uint32_t m = 0; m < M; m++) {
        fprintf(w.f, " b%u:", m);
        for (uint32_t s = 0; s < S; s++)
            if (can(pb, m, s))
                term(&w, "+", "x", m, s);
        end_row(&w, "= 1");
    }
    for (uint32_t p = 0; p < P; p++)
        for (uint32_t s = 0; s < S; s++) {
            if (y_count(&w, p, s) < 2)
                continue;
            fprintf(w.f, " u%u_%u:", p, s);
            y_terms(&w, p, s, "+");
            end_row(&w, "<= 1");
        }
    for (uint32_t s = 0; s < S; s++) {
        fprintf(w.f, " t%u:", s);
        for (uint32_t m = 0; m < M; m++)
            if (can(pb, m, s))
                term(&w, "+", "x", m, s);
        if (w.terms == 0)
            fputs(" 0 bmax", w.f); /* nothing may go there */
        fprintf(w.f, " <= %u\n", pb->ntables);
        w.terms = 0;
    }
    for (uint32_t p = 0; p < P; p++) {
        if (pb->participants[p].max_meetings < 0 ||
            w.start[p + 1] == w.start[p])
            continue;
        fprintf(w.f, " k%u:", p);
        for (uint32_t s = 0; s < S; s++)
            y_terms(&w, p, s, "+");
        if (w.terms == 0)
            fputs(" 0 bmax", w.f);
        fprintf(w.f, " <= %d\n", pb->participants[p].max_meetings);
        w.terms = 0;
    }
    for (uint32_t p = 0; p < P; p++)
        if (w.start[p + 1] > w.start[p])
            lp_blocks(&w, p);
    fprintf(w.f, " fair: bmax - bmin <= %d\nBounds\n", fairness);
    for (uint32_t p = 0; p < P; p++)
        for (uint32_t s = 0; s < S; s++)
            if (w.start[p + 1] > w.start[p] && !y_empty(&w, p, s))
                fprintf(w.f, " z%u_%u <= 1\n", p, s);
    fputs("Binary\n", w.f);
    for (uint32_t m = 0; m < M; m++)
        for (uint32_t s = 0; s < S; s++)
            if (can(pb, m, s))
                fprintf(w.f, " x%u_%u\n", m, s);
    fputs("End\n", w.f);
    free(w.start);
    free(w.adj);
    return fclose(w.f) == 0 ? 0 : -1;
}

struct ilp {
    bool ran, optimal, feasible, empty; /* empty: no integer solution */
    double obj, bound, secs;
};

static struct ilp run_glpsol(const char *lp, const char *out, int seconds)
{
    struct ilp r = {0};
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "glpsol --lp '%s' --tmlim %d -o '%s' 2>&1", lp,
             seconds, out);
    double t0 = now_ms();
    FILE *f = popen(cmd, "r");
    if (!f)
        return r;
    char line[512];
    double inc = -1, bound = -1;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, "NO PRIMAL FEASIBLE") ||
            strstr(line, "NO INTEGER FEASIBLE"))
            r.empty = true;
        const char *mip = strstr(line, "mip =");
        double a, b;
        if (mip && sscanf(mip, "mip = %lf >= %lf", &a, &b) == 2) {
            inc = a;
            bound = b;
        } else if (mip && sscanf(mip, "mip = not found yet >= %lf", &b) == 1) {
            bound = b;
        }
    }
    r.ran = pclose(f) == 0;
    r.secs = (now_ms() - t0) / 1e3;
    FILE *o = fopen(out, "r");
    while (o && fgets(line, sizeof line, o)) {
        if (strncmp(line, "Status:", 7) == 0) {
            r.optimal = strstr(line, "INTEGER OPTIMAL") != NULL;
            r.feasible = r.optimal || strstr(line, "NON-OPTIMAL") != NULL;
        }
        double v;
        if (sscanf(line, "Objective: obj = %lf", &v) == 1)
            r.obj = v;
    }
    if (o)
        fclose(o);
    r.bound = r.optimal ? r.obj : bound;
    if (!r.optimal && inc >= 0)
        r.obj = inc;
    return r;
}

static bool have_glpsol(void)
{
    return system("command -v glpsol > /dev/null 2>&1") == 0;
}

/* glpsol on the instance: with cut >= 0, whether a schedule with at most
 * `cut` breaks exists; else the least breaks. Prints the verdict. */
static void ilp_row(const struct opts *o, const struct sched_problem *pb,
                    uint64_t seed, long cut, uint64_t ours)
{
    char lp[512], out[512];
    snprintf(lp, sizeof lp, "%s/sched-%llu.lp", o->tmp,
             (unsigned long long)seed);
    snprintf(out, sizeof out, "%s/sched-%llu.out", o->tmp,
             (unsigned long long)seed);
    uint32_t active = 0;
    if (write_lp(pb, SCHED_FAIRNESS_DEFAULT, cut, lp, &active) < 0) {
        check(false, "writing", lp);
        return;
    }
    struct ilp ilp = run_glpsol(lp, out, o->ilp_seconds);
    double best = ilp.obj - active, lb = ilp.bound - active;
    if (ilp.empty && cut >= 0)
        printf("  | none with <= %ld  %5.1fs  optimal\n", cut, ilp.secs);
    else if (ilp.optimal)
        printf("  | optimum %-5.0f %6.1fs  %s\n", best, ilp.secs,
               (double)ours == best  ? "optimal"
               : (double)ours > best ? "ABOVE"
                                     : "BELOW?!");
    else if (ilp.feasible)
        printf("  | found %-4.0f >= %-3.0f %4.1fs  %s\n", best, lb, ilp.secs,
               cut >= 0 ? "ABOVE" : "open");
    else if (ilp.bound >= active)
        printf("  | bound %-4.0f    %6.1fs  open\n", lb, ilp.secs);
    else
        printf("  | no bound yet    %6.1fs  open\n", ilp.secs);
    check(!ilp.optimal || (double)ours >= best,
          "no better than the ILP optimum", NULL);
    check(!ilp.empty || cut >= 0, "the ILP is feasible", NULL);
    if (!o->keep) {
        unlink(lp);
        unlink(out);
    }
}

/* One event: the optimizer, then glpsol asked for a schedule with fewer
 * breaks (none: ours is optimal), or for its own optimum with
 * --ilp-plain. Zero breaks needs no proof. */
static void bofill_row(const struct opts *o, const struct schedgen_opts *go)
{
    struct schedgen g;
    schedgen_make(&g, go);
    const struct sched_problem *pb = &g.pb;
    struct sched_place *pl = xcalloc(pb->nmeetings + 1, sizeof *pl);
    double t0 = now_ms();
    struct sched_result r = solve(pb, o->budget_ms, pl);
    double ms = now_ms() - t0;
    printf("  %3u %4u %3u %3u %5u/%-4u %5llu %5llu %4llu  %u %-6s %5.0f",
           pb->nparticipants, pb->nmeetings, pb->nslots, pb->ntables,
           r.scheduled, r.upper_bound, (unsigned long long)r.breaks_before,
           (unsigned long long)r.breaks,
           (unsigned long long)r.breaks_lower_bound, r.spread,
           stop_name(r.stop), ms);
    check(r.scheduled == pb->nmeetings, "every meeting booked", NULL);
    if (!o->ilp)
        printf("\n");
    else if (o->ilp_plain)
        ilp_row(o, pb, go->seed, -1, r.breaks);
    else if (r.breaks == 0 && r.fair)
        printf("  | (0 needs no proof)\n");
    else
        ilp_row(o, pb, go->seed, (long)r.breaks - 1, r.breaks);
    free(pl);
    schedgen_free(&g);
}

/* The ILP must admit the optimizer's schedule: asked for one with at most
 * as many breaks as ours, glpsol must find one. */
static void ilp_sanity(const struct opts *o, const struct schedgen_opts *go)
{
    struct schedgen g;
    schedgen_make(&g, go);
    struct sched_place *pl = xcalloc(g.pb.nmeetings + 1, sizeof *pl);
    struct sched_result r = solve(&g.pb, o->budget_ms, pl);
    char lp[512], out[512];
    snprintf(lp, sizeof lp, "%s/sched-sanity.lp", o->tmp);
    snprintf(out, sizeof out, "%s/sched-sanity.out", o->tmp);
    uint32_t active;
    if (write_lp(&g.pb, SCHED_FAIRNESS_DEFAULT, (long)r.breaks, lp, &active) ==
        0) {
        struct ilp ilp = run_glpsol(lp, out, o->ilp_seconds);
        printf("  ILP sanity: at most %llu breaks (ours): %s in %.1fs\n",
               (unsigned long long)r.breaks,
               ilp.feasible ? "feasible" : "NOT FOUND", ilp.secs);
        check(ilp.feasible, "the ILP admits our schedule's breaks", NULL);
        unlink(lp);
        unlink(out);
    }
    free(pl);
    schedgen_free(&g);
}

static void bofill(const struct opts *o, const struct schedgen_opts *shapes,
                   size_t n)
{
    printf("    P    M   S   T  booked/UB greedy breaks  LB sp stop     ms  "
           "| glpsol                  verdict\n");
    for (size_t k = 0; k < n; k++)
        bofill_row(o, &shapes[k]);
}

static void expo(const struct opts *o, int booked_pct, long budget)
{
    struct schedgen_opts go = {.seed = 42,
                               .participants = 5000,
                               .meetings = 30000,
                               .slots = 16,
                               .tables = 400,
                               .interpreters = 40,
                               .restricted_pct = 10,
                               .forbidden_pct = 10,
                               .interp_pct = 3,
                               .capped_pct = 20,
                               .booked_pct = booked_pct,
                               .fixed_pct = 0};
    if (o->quick) {
        go.participants /= 5;
        go.meetings /= 5;
        go.tables /= 5;
    }
    struct schedgen g;
    schedgen_make(&g, &go);
    const struct sched_problem *pb = &g.pb;
    uint32_t before = 0;
    for (uint32_t m = 0; m < pb->nmeetings; m++)
        before += pb->meetings[m].was_scheduled;
    struct sched_place *pl = xcalloc(pb->nmeetings + 1, sizeof *pl);
    struct sched_result r = solve(pb, budget, pl);
    printf("  %2d%% booked on accept (%u), budget %ld ms: maximal booking "
           "after %.0f ms: %u of %u (upper bound %u); breaks %llu -> %llu "
           "(%.0f%% fewer), input %llu; spread %u (%s); moved %u; %llu moves "
           "tried; stop %s after %.0f ms\n",
           booked_pct, before, budget, r.booking_ms, r.scheduled, pb->nmeetings,
           r.upper_bound, (unsigned long long)r.breaks_before,
           (unsigned long long)r.breaks,
           r.breaks_before ? 100.0 * (double)(r.breaks_before - r.breaks) /
                                 (double)r.breaks_before
                           : 0.0,
           (unsigned long long)r.breaks_input, r.spread,
           r.fair ? "fair" : "unfair", r.moved,
           (unsigned long long)r.iterations, stop_name(r.stop), r.elapsed_ms);
    check(r.booking_ms < budget, "booking within the budget", NULL);
    check(r.elapsed_ms < budget + 100, "returned within the budget", NULL);
    free(pl);
    schedgen_free(&g);
}

static void usage(void)
{
    fprintf(stderr, "usage: expomatch-schedbench [--quick] [--no-ilp] "
                    "[--ilp-plain] [--ilp-seconds N] [--ilp-big-seconds N] "
                    "[--budget-ms N] [--seed N] [--tmp DIR] [--keep] [--shape "
                    "P,M,S,T[,SEED[,PCT]]]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct opts o = {false, true, false, false, 20, 10, 1000, "/tmp"};
    const char *shape = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quick") == 0)
            o.quick = true;
        else if (strcmp(a, "--no-ilp") == 0)
            o.ilp = false;
        else if (strcmp(a, "--ilp-plain") == 0)
            o.ilp_plain = true;
        else if (strcmp(a, "--keep") == 0)
            o.keep = true;
        else if (strcmp(a, "--ilp-seconds") == 0 && v && ++i)
            o.ilp_seconds = atoi(v);
        else if (strcmp(a, "--ilp-big-seconds") == 0 && v && ++i)
            o.ilp_big_seconds = atoi(v);
        else if (strcmp(a, "--budget-ms") == 0 && v && ++i)
            o.budget_ms = atol(v);
        else if (strcmp(a, "--seed") == 0 && v && ++i)
            solver_seed = strtoull(v, NULL, 10);
        else if (strcmp(a, "--tmp") == 0 && v && ++i)
            o.tmp = v;
        else if (strcmp(a, "--shape") == 0 && v && ++i)
            shape = v;
        else
            usage();
    }
    if (o.ilp && !have_glpsol()) {
        printf("glpsol not found: the ILP comparison is skipped (install "
               "it with: apt-get install glpk-utils)\n");
        o.ilp = false;
    }
    if (o.quick)
        o.ilp_seconds = o.ilp_big_seconds = 3;

    /* Planted: every meeting fits. seed, P, M, S, T, interpreters,
     * restricted %, forbidden %, interp %, capped %, booked %, fixed %. */
    static const struct schedgen_opts events[] = {
        {101, 42, 125, 10, 16, 0, 20, 20, 0, 0, 0, 0, true},
        {102, 50, 160, 8, 24, 0, 20, 20, 0, 0, 0, 0, true},
        {103, 58, 200, 14, 18, 0, 20, 20, 0, 0, 0, 0, true},
        {104, 66, 250, 18, 20, 0, 20, 20, 0, 0, 0, 0, true},
        {105, 78, 302, 22, 27, 0, 20, 20, 0, 0, 0, 0, true},
        {106, 78, 302, 12, 27, 0, 20, 20, 0, 0, 0, 0, true},
    };
    /* Chosen among seeds for breaks above our own bound, where the proof
     * is glpsol's, and for sizes glpsol gets through (or not) in time. */
    static const struct schedgen_opts small[] = {
        {3, 10, 25, 5, 6, 0, 30, 30, 0, 0, 0, 0, true},
        {1, 12, 30, 6, 6, 0, 30, 30, 0, 0, 0, 0, true},
        {1, 14, 35, 6, 6, 0, 30, 30, 0, 0, 0, 0, true},
        {4, 16, 40, 6, 8, 0, 30, 30, 0, 0, 0, 0, true},
        {2, 14, 35, 6, 6, 0, 30, 30, 0, 0, 0, 0, true},
        {3, 18, 45, 6, 8, 0, 30, 30, 0, 0, 0, 0, true},
    };
    if (shape) {
        struct schedgen_opts one = events[0];
        int pct = 20;
        if (sscanf(shape, "%u,%u,%u,%u,%" SCNu64 ",%d", &one.participants,
                   &one.meetings, &one.slots, &one.tables, &one.seed, &pct) < 4)
            usage();
        one.restricted_pct = one.forbidden_pct = pct;
        bofill(&o, &one, 1);
        return failures ? 1 : 0;
    }
    int ilp_seconds = o.ilp_seconds;
    printf("== brokerage events like Bofill et al.'s (budget %ld ms; glpsol "
           "limit %d s)\n",
           o.budget_ms, o.ilp_big_seconds);
    o.ilp_seconds = o.ilp_big_seconds;
    bofill(&o, events, o.quick ? 2 : sizeof events / sizeof events[0]);
    o.ilp_seconds = ilp_seconds;
    printf("== smaller events, for proofs by glpsol (limit %d s)\n",
           o.ilp_seconds);
    if (o.ilp)
        ilp_sanity(&o, &small[1]);
    bofill(&o, small, o.quick ? 2 : sizeof small / sizeof small[0]);
    printf("== expo: %s participants, %s accepted meetings, 16 slots, %s "
           "tables\n",
           o.quick ? "1,000" : "5,000", o.quick ? "6,000" : "30,000",
           o.quick ? "80" : "400");
    expo(&o, 0, o.budget_ms);
    expo(&o, 50, o.budget_ms);
    if (!o.quick)
        expo(&o, 50, 5000);
    if (failures) {
        printf("schedbench: %d check(s) failed\n", failures);
        return 1;
    }
    printf("schedbench: ok\n");
    return 0;
}
