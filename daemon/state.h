/* state.h: what the daemon rebuilds from Redis at start before it opens the
 * RPC port: the events and how many participants each has. Later issues
 * rebuild the match index here too. */
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

#endif
