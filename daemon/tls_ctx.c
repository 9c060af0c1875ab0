/* tls_ctx.c: the server's SSL_CTX, built once at start so that a bad
 * certificate or key stops the daemon with a message naming the file
 * instead of failing every handshake later; and the kiosk rule of
 * tls-client-cert. */
#include "tls.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "conn.h"
#include "log.h"
#include "transport.h"

static SSL_CTX *server_ctx;
static enum tls_client_cert client_cert = TLS_CLIENT_CERT_NONE;

/* Set by the passphrase callback: the key file is encrypted. */
static bool key_wanted_passphrase;

int tls_client_cert_parse(const char *s, enum tls_client_cert *out)
{
    static const char *const names[] = {
        [TLS_CLIENT_CERT_NONE] = "none",
        [TLS_CLIENT_CERT_OPTIONAL] = "optional",
        [TLS_CLIENT_CERT_KIOSK] = "kiosk",
        [TLS_CLIENT_CERT_REQUIRE] = "require",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum tls_client_cert)i;
            return 0;
        }
    }
    return -1;
}

/* OpenSSL's last error as text, and its queue emptied. */
static const char *ssl_reason(char *buf, size_t len)
{
    unsigned long e = ERR_peek_last_error();
    if (e == 0)
        snprintf(buf, len, "unknown error");
    else
        ERR_error_string_n(e, buf, len);
    ERR_clear_error();
    return buf;
}

/* A daemon has no terminal to ask for a passphrase on: OpenSSL's default
 * would block reading stdin, so say no and report the key as encrypted. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    key_wanted_passphrase = true;
    return 0;
}

/* Whether path can be opened for reading; else a message with errno's
 * words, which say more than OpenSSL's "system lib". */
static int check_readable(const char *key, const char *path, struct err *err)
{
    if (*path == '\0')
        return err_set(err, ERR_BAD_REQUEST, "%s: needed when tls-port is set",
                       key);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return err_set(err, ERR_BAD_REQUEST, "%s %s: cannot open: %s", key,
                       path, strerror(errno));
    fclose(f);
    return 0;
}

static int load_identity(SSL_CTX *ctx, const struct config *cfg,
                         struct err *err)
{
    char why[256];
    if (check_readable("tls-cert-file", cfg->tls_cert_file, err) < 0 ||
        check_readable("tls-key-file", cfg->tls_key_file, err) < 0)
        return -1;
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert_file) != 1)
        return err_set(err, ERR_BAD_REQUEST,
                       "tls-cert-file %s: not a usable PEM certificate: %s",
                       cfg->tls_cert_file, ssl_reason(why, sizeof why));
    SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
    key_wanted_passphrase = false;
    bool loaded = SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key_file,
                                              SSL_FILETYPE_PEM) == 1;
    if (!loaded && key_wanted_passphrase) {
        ERR_clear_error();
        return err_set(err, ERR_BAD_REQUEST,
                       "tls-key-file %s: the key is encrypted; give it "
                       "unencrypted, readable by the daemon only",
                       cfg->tls_key_file);
    }
    /* OpenSSL checks the pair as it loads the key; any other failure is
     * the file itself. */
    unsigned long e = ERR_peek_last_error();
    if (!loaded && !(ERR_GET_LIB(e) == ERR_LIB_X509 &&
                     ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH))
        return err_set(err, ERR_BAD_REQUEST,
                       "tls-key-file %s: not a usable PEM private key: %s",
                       cfg->tls_key_file, ssl_reason(why, sizeof why));
    if (!loaded || SSL_CTX_check_private_key(ctx) != 1) {
        ERR_clear_error();
        return err_set(err, ERR_BAD_REQUEST,
                       "tls-key-file %s does not match the certificate in "
                       "tls-cert-file %s",
                       cfg->tls_key_file, cfg->tls_cert_file);
    }
    return 0;
}

/* Client certificates: the CAs that sign them, and when they are asked. */
static int load_client_ca(SSL_CTX *ctx, const struct config *cfg,
                          struct err *err)
{
    char why[256];
    const char *ca = cfg->tls_ca_cert_file;
    if (client_cert == TLS_CLIENT_CERT_NONE) {
        /* A CA file with checking off would look like protection that is
         * not there. */
        if (*ca != '\0')
            return err_set(err, ERR_BAD_REQUEST,
                           "tls-ca-cert-file is set but tls-client-cert is "
                           "none; set tls-client-cert to optional, kiosk or "
                           "require, or remove tls-ca-cert-file");
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
        return 0;
    }
    if (*ca == '\0')
        return err_set(err, ERR_BAD_REQUEST,
                       "tls-client-cert %s needs tls-ca-cert-file",
                       cfg->tls_client_cert);
    if (check_readable("tls-ca-cert-file", ca, err) < 0)
        return -1;
    if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
        return err_set(err, ERR_BAD_REQUEST,
                       "tls-ca-cert-file %s: not a usable PEM certificate: %s",
                       ca, ssl_reason(why, sizeof why));
    /* Tells clients which CAs are accepted, so that one holding several
     * certificates offers the right one. */
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca);
    if (names == NULL)
        return err_set(err, ERR_BAD_REQUEST,
                       "tls-ca-cert-file %s: no CA certificate in it: %s", ca,
                       ssl_reason(why, sizeof why));
    SSL_CTX_set_client_CA_list(ctx, names);
    int mode = SSL_VERIFY_PEER;
    if (client_cert == TLS_CLIENT_CERT_REQUIRE)
        mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(ctx, mode, NULL);
    SSL_CTX_set_verify_depth(ctx, 4);
    return 0;
}

static SSL_CTX *build_ctx(const struct config *cfg, struct err *err)
{
    char why[256];
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        err_set(err, ERR_INTERNAL, "TLS: cannot create a context: %s",
                ssl_reason(why, sizeof why));
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* IGNORE_UNEXPECTED_EOF: with OpenSSL 3 a peer that closes without
     * close_notify reads as an error, which libevent 2.1 reports as one
     * (DESIGN.md, Known pitfalls); a kiosk that is switched off is no
     * error. No renegotiation: it only gives a client a way to make the
     * server work. */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF |
                                 SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* Idle connections (10,000 kiosks and phones) give their record
     * buffers back between messages. */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    /* Resumed sessions must carry the same client-certificate check. */
    static const unsigned char sid_ctx[] = "expomatchd";
    SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1);
    if (load_identity(ctx, cfg, err) < 0 || load_client_ca(ctx, cfg, err) < 0) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

int tls_init(const struct config *cfg, struct err *err)
{
    enum tls_client_cert mode;
    if (tls_client_cert_parse(cfg->tls_client_cert, &mode) < 0)
        return err_set(err, ERR_BAD_REQUEST,
                       "tls-client-cert: '%s' is not "
                       "one of none, optional, kiosk, require",
                       cfg->tls_client_cert);
    if (cfg->tls_port == 0) {
        if (mode != TLS_CLIENT_CERT_NONE)
            log_warn("tls-client-cert %s has no effect without tls-port",
                     cfg->tls_client_cert);
        return 0;
    }
    client_cert = mode;
    server_ctx = build_ctx(cfg, err);
    if (server_ctx == NULL) {
        client_cert = TLS_CLIENT_CERT_NONE;
        return -1;
    }
    return 0;
}

SSL_CTX *tls_server_ctx(void)
{
    return server_ctx;
}

bool tls_kiosk_allowed(const struct conn *c)
{
    if (client_cert != TLS_CLIENT_CERT_KIOSK &&
        client_cert != TLS_CLIENT_CERT_REQUIRE)
        return true;
    return c->tr->peer_verified != NULL && c->tr->peer_verified(c);
}

void tls_cleanup(void)
{
    transport_tls_release_all();
    SSL_CTX_free(server_ctx);
    server_ctx = NULL;
    client_cert = TLS_CLIENT_CERT_NONE;
}
