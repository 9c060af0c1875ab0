/* store_error.h: the store's private error helpers (store_map_error in
 * store.h is the public face). */
#ifndef EM_STORE_ERROR_H
#define EM_STORE_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "store.h"

/* Maps a Redis error reply; *generic is set when nothing specific was
 * recognized (the caller logs those). */
enum errcode store_error_map(const char *s, size_t len, struct err *err,
                             bool *generic);

/* Length of the word at s (up to a space or end). */
size_t store_error_word_len(const char *s, const char *end);

/* Copies a Redis error for the log with quoted parts blanked: Redis quotes
 * command arguments, and arguments may be secrets. */
void store_error_redact(const char *s, size_t len, char *out, size_t outsz);

#endif
