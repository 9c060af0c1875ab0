/* match.h: the matching engine: an in-memory index of every participant's
 * features per event, reciprocal scores with reasons, top-k queries, and
 * top lists kept up to date incrementally for the participants someone
 * watches, with a callback for each new entry (the match.new
 * notification). Pure computation: the daemon feeds it what Redis holds
 * (state.c at start, the change stream afterwards). Scoring is explained
 * in docs/matching.md. */
#ifndef EM_MATCH_H
#define EM_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Length of the kept top lists, and of match.top's default. */
#define MATCH_KEEP 10
#define MATCH_K_MAX 100
#define MATCH_REASONS_MAX 16
#define MATCH_DETAIL_MAX 160

enum reason_kind {
    REASON_PRODUCT,
    REASON_SECTOR,
    REASON_KEYWORD,
    REASON_MARKET,
    REASON_LANGUAGE,
    REASON_COOPERATION,
    REASON_AVAILABILITY,
    REASON_SIZE,
};

struct match_reason {
    enum reason_kind kind;
    char detail[MATCH_DETAIL_MAX];
};

/* Why b suits a, in the order of the contract's reason kinds. */
struct match_why {
    struct match_reason r[MATCH_REASONS_MAX];
    unsigned n;
};

/* One suggestion, valid until the next change to the engine. */
struct match_entry {
    const char *id;
    const char *company;
    char country[3];
    double score;
    struct match_why why;
};

/* Called for each entry into a watched participant's top list. */
typedef void match_notify_fn(void *priv, const char *event, const char *id,
                             const struct match_entry *e);

struct match_config {
    unsigned active_seconds; /* an asked list is kept this long */
    unsigned active_max;     /* most lists kept per daemon */
};

void match_init(const struct match_config *cfg, match_notify_fn *fn,
                void *priv);
void match_shutdown(void);

/* The event as stored (its MessagePack map): slots and interpreters. */
int match_event_put(const char *event, const char *data, size_t len,
                    struct err *err);

/* Applies a profile (its stored MessagePack map) unless the engine already
 * has this version or a later one; returns 1 applied, 0 skipped, -1 on a
 * map it cannot read. */
int match_profile_put(const char *event, const char *id, long long version,
                      const char *data, size_t len, struct err *err);
void match_profile_delete(const char *event, const char *id);

/* The version held here, or -1. */
long long match_profile_version(const char *event, const char *id);

/* The best k (1..MATCH_K_MAX) matches of a participant, best first, into
 * out[] (k entries); returns how many, or -1 with err (not_found). Keeps
 * the participant's list up to date for a while afterwards. */
int match_top(const char *event, const char *id, size_t k,
              struct match_entry *out, struct err *err);

/* A participant topic gained (+1) or lost (-1) a subscriber here. */
void match_watch(const char *event, const char *id, int delta);

/* Pending incoming requests and booked meetings (congestion). */
void match_set_load(const char *event, const char *id, unsigned pending,
                    unsigned booked);

/* Drops lists nobody watches or asked for within active_seconds. */
void match_expire(uint64_t now_ms);

/* Counters for /metrics and logs. */
struct match_stats {
    unsigned long events, profiles, active, features;
    unsigned long queries, notified;
};
void match_get_stats(struct match_stats *st);

/* The current time in milliseconds used for list expiry (monotonic). */
void match_set_clock(uint64_t (*now_ms)(void));

#endif
