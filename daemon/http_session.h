/* http_session.h: who is asking on the HTTP port. Event data needs an
 * organizer or admin token, sent as "Authorization: Bearer TOKEN" or held
 * by a sign-in session: POST /api/session takes the token in its body and
 * sets an HttpOnly cookie naming a session kept in this daemon's memory
 * (GET tells who it is, DELETE signs out). Every use checks the token's
 * record in Redis as the RPC auth does, so a revoked or expired token stops
 * working at once, on every daemon. */
#ifndef EM_HTTP_SESSION_H
#define EM_HTTP_SESSION_H

#include <stdint.h>

#include <event2/http.h>

#include "auth.h"
#include "config.h"
#include "conn.h"
#include "err.h"
#include "http.h"

/* An authenticated caller. */
struct http_cred {
    enum role role;                  /* ROLE_ADMIN or ROLE_ORGANIZER */
    char event[65];                  /* the organizer's event; "" for admin */
    char token_id[TOKEN_ID_HEX + 1]; /* "admin" for the admin token */
    char digest[AUTH_DIGEST_HEX];    /* the organizer token's digest */
    int64_t token_expires;           /* unix seconds; 0 = never */
    char session[AUTH_DIGEST_HEX];   /* the session's key; "" for Bearer */
};

/* The outcome of a check: who (err NULL), or why not: unauthorized,
 * forbidden (a kiosk or app token, another event), unavailable (Redis). */
typedef void http_auth_fn(void *priv, const struct http_cred *who,
                          const struct err *err);

/* Finds who sends req and whether it may read `event` ("" = any event).
 * A token in the URL's query is refused (bad_request). cb runs exactly
 * once, possibly before this returns. */
void http_auth(struct evhttp_request *req, const char *event, http_auth_fn *cb,
               void *priv);

/* Whether who still holds (session not signed out or expired, token not
 * revoked or expired), for long-lived feeds. cb runs exactly once,
 * possibly before this returns. */
void http_cred_recheck(const struct http_cred *who, http_auth_fn *cb,
                       void *priv);

/* Registers /api/session; sessions are bounded by http-max-sessions. */
void http_session_routes(struct http *h, const struct config *cfg);

#endif
