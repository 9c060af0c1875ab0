/* client_tls.h: the TLS layer of the synchronous client (client.c): the
 * handshake with certificate and host checks, and non-blocking record I/O
 * that says what it waits for. Internal to the client library. */
#ifndef EM_CLIENT_TLS_H
#define EM_CLIENT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "client.h"

struct emc_tls_conn; /* an SSL session and its context */

/* Runs the TLS handshake on the connected non-blocking socket fd, until
 * deadline_ms (CLOCK_MONOTONIC milliseconds; 0: none). host is what the
 * server's certificate must name (opts->server_name wins). Returns the
 * session, or NULL with a message in errbuf. */
struct emc_tls_conn *emc_tls_handshake(int fd, const char *host,
                                       const struct emc_tls *opts,
                                       int64_t deadline_ms, char *errbuf,
                                       size_t errlen);

/* Outcome of emc_tls_read / emc_tls_write besides a byte count (> 0). */
enum {
    EMC_TLS_WAIT = 0,    /* nothing now; poll for *events and retry */
    EMC_TLS_EOF = -1,    /* the server closed the session (read only) */
    EMC_TLS_FAILED = -2, /* an error; errbuf says which */
};

ssize_t emc_tls_read(struct emc_tls_conn *t, void *buf, size_t len,
                     short *events, char *errbuf, size_t errlen);
ssize_t emc_tls_write(struct emc_tls_conn *t, const void *buf, size_t len,
                      short *events, char *errbuf, size_t errlen);

/* Whether decrypted bytes wait inside the session (no poll needed). */
bool emc_tls_pending(const struct emc_tls_conn *t);

/* Sends close_notify when it can without waiting, and frees the session
 * (not the socket). NULL is allowed. */
void emc_tls_close(struct emc_tls_conn *t);

#endif
