/* auth.h: secrets. The deployment key (secret-key-file) keys HMAC-SHA-256
 * digests of tokens and badges, so a copy of Redis alone cannot be used to
 * guess them; digests are compared in constant time. */
#ifndef EM_AUTH_H
#define EM_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "err.h"

#define AUTH_DIGEST_HEX 65  /* 64 hex digits and NUL */
#define TOKEN_ID_HEX 16     /* 8 random bytes */
#define TOKEN_SECRET_HEX 48 /* 24 random bytes */
#define TOKEN_MAX (64 + 1 + TOKEN_ID_HEX + 1 + TOKEN_SECRET_HEX)

/* Loads the secret key and the admin token (from config or its file). */
int auth_init(const struct config *cfg, struct err *err);
void auth_cleanup(void);

/* HMAC-SHA-256 of domain, event, id and secret (NUL-separated), as hex. */
void auth_digest(const char *domain, const char *event, const char *id,
                 const char *secret, size_t secret_len,
                 char out[AUTH_DIGEST_HEX]);

/* Constant-time comparison of two hex digests. */
bool auth_digest_equal(const char *a, const char *b);

/* Whether tok is the configured admin token (constant time). */
bool auth_is_admin(const char *tok, size_t len);

/* Random bytes as lower-case hex; out holds 2*nbytes+1. */
int auth_random_hex(char *out, size_t nbytes);

/* A token's text is "<event>:<id>:<secret>". Splits it; false if it does
 * not have that shape. */
bool auth_token_split(const char *tok, size_t len, char event[65],
                      char id[TOKEN_ID_HEX + 1], const char **secret,
                      size_t *secret_len);

#endif
