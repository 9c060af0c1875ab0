/* state.h: what the daemon rebuilds from Redis at start before it opens the
 * RPC port: every event and participant, loaded into the matching engine,
 * and where the follower starts reading each event's change stream. */
#ifndef EM_STATE_H
#define EM_STATE_H

#include <stdbool.h>

#include "store.h"

struct state_counts {
    unsigned events;
    unsigned long participants;
};

extern struct state_counts state_counts;

/* Reads the state; calls done(priv, ok) once. */
void state_rebuild(struct store *st, void (*done)(void *priv, bool ok),
                   void *priv);

/* Loads one event that another daemon created (or that this one had not
 * seen), the same way; failures are logged. */
void state_load_event(struct store *st, const char *event);

#endif
