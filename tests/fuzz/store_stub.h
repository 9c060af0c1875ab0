/* store_stub.h: the fuzzing stand-in for daemon/store.c. It implements
 * every function of store.h without Redis: each command is answered from
 * a script of bytes the fuzzer chooses (an error, nil, an integer, a
 * string or an array of those), on the next turn of the event loop, as
 * the real store does. Badge look-ups are answered with the digest of
 * STUB_BADGE, so that kiosk calls carrying it reach their handlers. */
#ifndef EM_FUZZ_STORE_STUB_H
#define EM_FUZZ_STORE_STUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The badge every participant has, as far as the stub's answers go. */
#define STUB_BADGE "fuzz-badge-1"
/* The secret of every token the stub's HMGET answers vouch for. */
#define STUB_TOKEN_SECRET "fuzz-token-secret"

/* The bytes the following answers are taken from (not copied: they must
 * live until the next call). When they run out, commands fail as if
 * Redis were unreachable. as_written: strings are what the daemon itself
 * stores (each one whole MessagePack object, which some handlers forward
 * as they are); otherwise any bytes, as from a corrupted store. */
void stub_script(const uint8_t *data, size_t len, bool as_written);

/* Commands whose callback has not run yet, over every stub store. */
size_t stub_pending_total(void);

/* Commands answered since the process started (for the harness's own
 * sanity checks and figures). */
uint64_t stub_commands_total(void);

#endif
