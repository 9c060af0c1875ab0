/* client_tls.c: TLS for the synchronous client: a context per connection
 * (a CLI or a tool makes few), the server's certificate always checked
 * against the given CA and the host name or address, TLS 1.2 or later, and
 * sends that cannot raise SIGPIPE. See client_tls.h. */
#include "client_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "xmalloc.h"

struct emc_tls_conn {
    SSL_CTX *ctx;
    SSL *ssl;
    bool failed; /* a fatal error: no close_notify then */
};

/* ---- a socket BIO whose writes use MSG_NOSIGNAL ---- */

/* OpenSSL's socket BIO writes with write(2), which raises SIGPIPE when the
 * server has gone; the library promises an error instead, and must not
 * touch the program's signal handling. Everything else is the stock
 * socket BIO's. */
static int nosig_write(BIO *b, const char *buf, int len)
{
    int fd = (int)BIO_get_fd(b, NULL);
    ssize_t n = send(fd, buf, (size_t)len, MSG_NOSIGNAL);
    BIO_clear_retry_flags(b);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_write(b);
    return (int)n;
}

/* Made once (threads may connect at once) and kept: a BIO_METHOD must
 * outlive every BIO using it. */
static BIO_METHOD *nosig;
static pthread_once_t nosig_once = PTHREAD_ONCE_INIT;

static void nosig_make(void)
{
    const BIO_METHOD *sock = BIO_s_socket();
    BIO_METHOD *m =
        BIO_meth_new(BIO_TYPE_SOCKET | BIO_get_new_index(), "emc socket");
    if (m == NULL)
        return;
    BIO_meth_set_write(m, nosig_write);
    BIO_meth_set_read(m, BIO_meth_get_read(sock));
    BIO_meth_set_puts(m, BIO_meth_get_puts(sock));
    BIO_meth_set_ctrl(m, BIO_meth_get_ctrl(sock));
    BIO_meth_set_create(m, BIO_meth_get_create(sock));
    BIO_meth_set_destroy(m, BIO_meth_get_destroy(sock));
    nosig = m;
}

static BIO_METHOD *nosig_method(void)
{
    pthread_once(&nosig_once, nosig_make);
    return nosig;
}

/* ---- messages ---- */

/* The most telling words about a failure: a certificate that did not
 * verify says why; else OpenSSL's last reason; else errno. */
static void describe(SSL *ssl, int sslerr, char *out, size_t len)
{
    long vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
    unsigned long e = ERR_peek_last_error();
    if (vr != X509_V_OK) {
        snprintf(out, len, "certificate verify failed: %s",
                 X509_verify_cert_error_string(vr));
    } else if (e != 0) {
        const char *r = ERR_reason_error_string(e);
        snprintf(out, len, "%s", r ? r : "TLS error");
    } else if (sslerr == SSL_ERROR_SYSCALL && errno != 0) {
        snprintf(out, len, "%s", strerror(errno));
    } else {
        snprintf(out, len, "the server closed the connection");
    }
    ERR_clear_error();
}

/* ---- set-up ---- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int load_files(SSL_CTX *ctx, const struct emc_tls *o, char *errbuf,
                      size_t errlen)
{
    char why[200];
    if (o->ca_file != NULL) {
        if (SSL_CTX_load_verify_locations(ctx, o->ca_file, NULL) != 1) {
            describe(NULL, 0, why, sizeof why);
            snprintf(errbuf, errlen, "CA file %s: %s", o->ca_file, why);
            return -1;
        }
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        describe(NULL, 0, why, sizeof why);
        snprintf(errbuf, errlen, "system CA store: %s", why);
        return -1;
    }
    if (o->cert_file == NULL)
        return 0;
    const char *key = o->key_file ? o->key_file : o->cert_file;
    if (SSL_CTX_use_certificate_chain_file(ctx, o->cert_file) != 1) {
        describe(NULL, 0, why, sizeof why);
        snprintf(errbuf, errlen, "certificate file %s: %s", o->cert_file, why);
        return -1;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        describe(NULL, 0, why, sizeof why);
        snprintf(errbuf, errlen, "key file %s: %s", key, why);
        return -1;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ERR_clear_error();
        snprintf(errbuf, errlen, "key file %s does not match %s", key,
                 o->cert_file);
        return -1;
    }
    return 0;
}

/* The certificate must name host: an IP literal is matched against its IP
 * addresses, a name against its DNS names (and sent as SNI). */
static int set_peer_name(SSL *ssl, const char *host, char *errbuf,
                         size_t errlen)
{
    char name[256];
    size_t hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        host++;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof name) {
        snprintf(errbuf, errlen, "bad server name");
        return -1;
    }
    memcpy(name, host, hl);
    name[hl] = '\0';
    X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
    unsigned char addr[16];
    int ok;
    if (inet_pton(AF_INET, name, addr) == 1 ||
        inet_pton(AF_INET6, name, addr) == 1) {
        ok = X509_VERIFY_PARAM_set1_ip_asc(vp, name);
    } else {
        X509_VERIFY_PARAM_set_hostflags(vp,
                                        X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        ok = X509_VERIFY_PARAM_set1_host(vp, name, 0) &&
             SSL_set_tlsext_host_name(ssl, name);
    }
    if (!ok) {
        ERR_clear_error();
        snprintf(errbuf, errlen, "bad server name %s", name);
        return -1;
    }
    return 0;
}

static int wait_for(int fd, short events, int64_t deadline)
{
    for (;;) {
        int ms = -1;
        if (deadline) {
            int64_t left = deadline - mono_ms();
            if (left <= 0) {
                errno = ETIMEDOUT;
                return -1;
            }
            ms = left > 1000000 ? 1000000 : (int)left;
        }
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, ms);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

struct emc_tls_conn *emc_tls_handshake(int fd, const char *host,
                                       const struct emc_tls *opts,
                                       int64_t deadline, char *errbuf,
                                       size_t errlen)
{
    static const struct emc_tls none;
    const struct emc_tls *o = opts ? opts : &none;
    struct emc_tls_conn *t = xcalloc(1, sizeof *t);
    BIO *bio = NULL;
    char why[200];
    t->ctx = SSL_CTX_new(TLS_client_method());
    if (t->ctx == NULL) {
        snprintf(errbuf, errlen, "cannot create a TLS context");
        goto fail;
    }
    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    /* A server that closes without close_notify (after an error reply, as
     * it closes plain connections) reads as the end, not as an error. */
    SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                                 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (load_files(t->ctx, o, errbuf, errlen) < 0)
        goto fail;
    t->ssl = SSL_new(t->ctx);
    BIO_METHOD *m = nosig_method();
    bio = (t->ssl && m) ? BIO_new(m) : NULL;
    if (bio == NULL) {
        snprintf(errbuf, errlen, "cannot create a TLS session");
        goto fail;
    }
    BIO_set_fd(bio, fd, BIO_NOCLOSE);
    SSL_set_bio(t->ssl, bio, bio);
    if (set_peer_name(t->ssl, o->server_name ? o->server_name : host, errbuf,
                      errlen) < 0)
        goto fail;
    for (;;) {
        ERR_clear_error();
        int r = SSL_connect(t->ssl);
        if (r == 1)
            return t;
        int e = SSL_get_error(t->ssl, r);
        short ev = e == SSL_ERROR_WANT_READ    ? POLLIN
                   : e == SSL_ERROR_WANT_WRITE ? POLLOUT
                                               : 0;
        if (ev == 0) {
            describe(t->ssl, e, why, sizeof why);
            snprintf(errbuf, errlen, "TLS handshake failed: %s", why);
            goto fail;
        }
        if (wait_for(fd, ev, deadline) < 0) {
            snprintf(errbuf, errlen, "TLS handshake: %s",
                     errno == ETIMEDOUT ? "timed out" : strerror(errno));
            goto fail;
        }
    }
fail:
    ERR_clear_error();
    emc_tls_close(t);
    return NULL;
}

/* ---- records ---- */

/* Maps an SSL_read/SSL_write result that is not a byte count. */
static ssize_t io_result(struct emc_tls_conn *t, int r, bool reading,
                         short *events, char *errbuf, size_t errlen)
{
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        *events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        return EMC_TLS_WAIT;
    }
    if (reading && e == SSL_ERROR_ZERO_RETURN) {
        ERR_clear_error();
        return EMC_TLS_EOF;
    }
    char why[200];
    describe(t->ssl, e, why, sizeof why);
    snprintf(errbuf, errlen, "TLS: %s", why);
    t->failed = true;
    return EMC_TLS_FAILED;
}

ssize_t emc_tls_read(struct emc_tls_conn *t, void *buf, size_t len,
                     short *events, char *errbuf, size_t errlen)
{
    size_t n = 0;
    ERR_clear_error();
    int r = SSL_read_ex(t->ssl, buf, len, &n);
    if (r == 1)
        return (ssize_t)n;
    return io_result(t, r, true, events, errbuf, errlen);
}

ssize_t emc_tls_write(struct emc_tls_conn *t, const void *buf, size_t len,
                      short *events, char *errbuf, size_t errlen)
{
    size_t n = 0;
    ERR_clear_error();
    int r = SSL_write_ex(t->ssl, buf, len, &n);
    if (r == 1)
        return (ssize_t)n;
    return io_result(t, r, false, events, errbuf, errlen);
}

bool emc_tls_pending(const struct emc_tls_conn *t)
{
    return SSL_pending(t->ssl) > 0;
}

void emc_tls_close(struct emc_tls_conn *t)
{
    if (t == NULL)
        return;
    if (t->ssl != NULL) {
        /* Only on a session that finished its handshake and did not fail:
         * one non-blocking write, never a wait. */
        if (!t->failed && SSL_is_init_finished(t->ssl) &&
            !(SSL_get_shutdown(t->ssl) & SSL_SENT_SHUTDOWN))
            SSL_shutdown(t->ssl);
        ERR_clear_error();
        SSL_free(t->ssl);
    }
    SSL_CTX_free(t->ctx);
    free(t);
}
