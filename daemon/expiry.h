/* expiry.h: unanswered requests expire after the event's
 * request_ttl_hours. Every daemon sweeps every event it follows once a
 * second; the Redis function does each expiry exactly once, whoever
 * calls, and the change stream tells everyone. */
#ifndef EM_EXPIRY_H
#define EM_EXPIRY_H

#include "follow.h"
#include "store.h"

void expiry_sweep(struct store *st, const struct follow *f);

#endif
