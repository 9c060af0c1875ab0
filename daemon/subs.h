/* subs.h: which connections of this daemon listen to which topics of which
 * event, and delivery of notifications to them. Topics are "event" and
 * "participant:<id>"; lookups go through hash tables, so a publish costs
 * the topic's subscribers, never a walk over every connection. */
#ifndef EM_SUBS_H
#define EM_SUBS_H

#include <stdbool.h>
#include <stddef.h>

struct conn;

/* Topics one connection may hold at once, over all events (a documented
 * limit: it bounds the memory one client can pin). */
#define SUBS_CONN_MAX 1000

/* Longest topic: "participant:" and a 64-character id. */
#define SUBS_TOPIC_MAX 76

#define SUBS_PARTICIPANT "participant:"

/* Called when a participant topic of an event gains its first subscriber on
 * this daemon (delta +1) or loses its last (delta -1). It must not
 * subscribe, unsubscribe or close connections. */
typedef void subs_watch_fn(const char *event, const char *id, int delta);

/* Sets up the tables; watch may be NULL. */
void subs_init(subs_watch_fn *watch);

/* Frees the tables (at exit, after every connection is closed). */
void subs_cleanup(void);

/* Whether s (n bytes) is a topic: "event" or "participant:<id>". */
bool subs_valid_topic(const char *s, size_t n);

/* The participant id of a valid participant topic, NULL for "event". */
const char *subs_topic_participant(const char *topic);

/* Subscribes c (idempotent): 0, or -1 if c is at SUBS_CONN_MAX topics. */
int subs_add(struct conn *c, const char *event, const char *topic);

/* Unsubscribes c; nothing happens if c did not hold the topic. */
void subs_remove(struct conn *c, const char *event, const char *topic);

/* Whether c holds the topic. */
bool subs_holds(const struct conn *c, const char *event, const char *topic);

/* Topics c holds over all events. */
size_t subs_count(const struct conn *c);

/* The topics c holds in an event, sorted (strcmp), into out (at most max);
 * returns how many. The strings live until c drops the topic. */
size_t subs_list(const struct conn *c, const char *event, const char **out,
                 size_t max);

/* Drops every topic of c (calls watch -1 as needed); for re-auth. */
void subs_conn_clear(struct conn *c);

/* Drops all of c's topics when it closes (calls watch -1 as needed). */
void subs_conn_closed(struct conn *c);

/* Any subscriber on this daemon. */
bool subs_has(const char *event, const char *topic);

/* Sends the notification [2, method, params] to every subscriber of the
 * topic; params are already-packed MessagePack bytes (an array). The frame
 * is built once for all of them. */
void subs_publish(const char *event, const char *topic, const char *method,
                  const void *params, size_t len);
/* The same to the subscribers of several topics (NULL entries skipped),
 * once per connection however many of them it holds. */
void subs_publish_many(const char *event, const char *const *topics,
                       size_t n, const char *method, const void *params,
                       size_t len);

#endif
