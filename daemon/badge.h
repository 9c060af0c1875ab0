/* badge.h: the kiosk's proof that it acts for a participant. The badge
 * secret is checked against its stored HMAC in constant time; five wrong
 * badges for one participant within five minutes lock that participant's
 * badge calls for five minutes, counted in Redis so every daemon agrees. */
#ifndef EM_BADGE_H
#define EM_BADGE_H

#include <stddef.h>

#include "conn.h"

#define BADGE_MAX_FAILURES 5
#define BADGE_WINDOW_SECONDS 300

/* Verifies the badge, then calls cont(r, arg); on a wrong badge, a lock or
 * a store error it replies to r itself and calls free_arg(arg). */
void badge_check(struct req *r, const char *event, const char *participant,
                 const char *badge, size_t badge_len,
                 void (*cont)(struct req *r, void *arg), void *arg,
                 void (*free_arg)(void *arg));

#endif
