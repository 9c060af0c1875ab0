/* tls.h: the TLS settings, built once at start from the tls-* keys: the
 * server's SSL_CTX (certificate, key, protocol floor, client-certificate
 * checking) and the rule that ties kiosk tokens to client certificates.
 * The connections themselves are transport_tls.c's. */
#ifndef EM_TLS_H
#define EM_TLS_H

#include <stdbool.h>

#include <openssl/ssl.h>

#include "config.h"
#include "err.h"

struct conn;

/* tls-client-cert: what the TLS port asks of its clients. */
enum tls_client_cert {
    TLS_CLIENT_CERT_NONE,     /* no certificate asked for */
    TLS_CLIENT_CERT_OPTIONAL, /* asked for; one that is sent must verify */
    TLS_CLIENT_CERT_KIOSK,    /* as optional; kiosk tokens need one */
    TLS_CLIENT_CERT_REQUIRE   /* every TLS client must send one */
};

/* Parses a tls-client-cert value; -1 when it is none of the four. */
int tls_client_cert_parse(const char *s, enum tls_client_cert *out);

/* Builds the context when tls-port is set: loads tls-cert-file and
 * tls-key-file (and tls-ca-cert-file), checking that they belong together.
 * Does nothing when tls-port is 0. On a bad file, fills err with a message
 * that names the key and the file and returns -1. */
int tls_init(const struct config *cfg, struct err *err);

/* The context for new TLS connections; NULL when TLS is off. */
SSL_CTX *tls_server_ctx(void);

/* Whether a kiosk token may authenticate on c: always, unless
 * tls-client-cert is kiosk or require, in which case only on a TLS
 * connection whose client sent a certificate that verified. */
bool tls_kiosk_allowed(const struct conn *c);

/* Frees connections still closing and the context (at exit, before the
 * event loop is freed). */
void tls_cleanup(void);

#endif
