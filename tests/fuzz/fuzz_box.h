/* fuzz_box.h: the daemon's request path in one process for a fuzzer: a
 * server with the stub store, one connection on a socketpair in a given
 * auth state, bytes fed to it in chunks, every reply checked against the
 * contract's envelope, and everything freed again, so that each input
 * starts from the same state and leaks show up per input. */
#ifndef EM_FUZZ_BOX_H
#define EM_FUZZ_BOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The event every non-admin test identity is scoped to. */
#define BOX_EVENT "ev1"

enum box_identity {
    BOX_NONE,      /* not authenticated */
    BOX_ADMIN,     /* admin token */
    BOX_ORGANIZER, /* organizer of BOX_EVENT */
    BOX_APP,       /* app backend of BOX_EVENT */
    BOX_KIOSK,     /* kiosk of BOX_EVENT; participants' badge: STUB_BADGE */
    BOX_EXPIRED,   /* an organizer whose token has just expired */
    BOX_NIDENTITIES
};

/* Once per process: configuration, logging, the method table. */
void box_init(void);

/* Runs one input: a fresh server and connection as `who`, the stub's
 * answers taken from script, the request stream sent in chunks of 1 to
 * max_chunk bytes (sizes drawn from chunk_seed; 0 sends all at once).
 * With a sane store (its records as the daemon writes them), aborts when
 * a reply breaks the contract's envelope; with a corrupted one only
 * crashes, leaks and undefined behaviour count, since stored records are
 * trusted to be MessagePack and some are forwarded unparsed. */
void box_run(enum box_identity who, bool sane_store, const uint8_t *script,
             size_t script_len, const uint8_t *stream, size_t stream_len,
             unsigned max_chunk, uint32_t chunk_seed);

#endif
