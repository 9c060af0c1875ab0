/* client.h: a small synchronous MessagePack-RPC client for expomatchd
 * (TCP, TLS or Unix socket), used by expomatch-cli, tools and tests.
 *
 * One call at a time per connection: emc_call() sends
 * [0, msgid, method, [args]] and blocks until the response with the same
 * msgid arrives or the call's deadline passes. Server notifications
 * ([2, method, params]) that arrive meanwhile go to an optional callback.
 *
 * Ownership:
 * - A successful call fills a struct emc_result whose `obj` and everything it
 *   points to (strings, arrays, maps) live in `zone`; the caller releases them
 *   with emc_result_free(). They do not depend on the connection, so they may
 *   outlive it.
 * - Notification params passed to the callback live only until it returns.
 * - Error replies are copied into a struct emc_error (fixed buffers,
 *   truncated if needed); nothing to free.
 *
 * Failures: a transport or protocol failure (I/O error, timeout, peer closed,
 * malformed or over-limit reply) leaves the connection unusable: emc_err()
 * says which kind and emc_errstr() says what happened; later calls fail at
 * once. Close it and connect again.
 *
 * Limits: replies are untrusted. A reply larger than the byte limit (default
 * 64 MiB) or nested deeper than the depth limit (default 32, which is also
 * msgpack-c's own limit) is refused before anything is allocated for it.
 * A decoded reply takes at most about 24 bytes of memory per reply byte.
 *
 * Not thread-safe: one thread per connection. Sends use MSG_NOSIGNAL, so a
 * closed peer is an error, not a SIGPIPE. */
#ifndef EM_CLIENT_H
#define EM_CLIENT_H

#include <msgpack.h>
#include <stddef.h>

/* Outcome of emc_call() and emc_auth(). */
enum emc_status {
    EMC_OK = 0,          /* result filled */
    EMC_REPLY_ERROR = 1, /* the server answered with an error; error filled */
    EMC_FAILED = -1      /* transport or protocol failure; see emc_err() */
};

/* Kind of a connection failure, as in hiredis's `err`. */
enum emc_errkind {
    EMC_ERR_NONE = 0,
    EMC_ERR_IO,       /* socket error, or address resolution failed */
    EMC_ERR_TIMEOUT,  /* the deadline passed */
    EMC_ERR_EOF,      /* the server closed the connection */
    EMC_ERR_PROTOCOL, /* a reply that is not MessagePack-RPC */
    EMC_ERR_TOO_LARGE /* a reply over the size or depth limit */
};

/* An error reply {code, message}, as strings. A server that sends a bare
 * string as error gets code "error" and the string as message. */
struct emc_error {
    char code[64];     /* e.g. "not_found"; always NUL-terminated */
    char message[512]; /* for people; always NUL-terminated */
};

/* A call's result and the zone that owns it. */
struct emc_result {
    msgpack_object obj; /* the result object */
    msgpack_zone *zone; /* owns obj's memory; freed by emc_result_free */
};

/* Called for each server notification received while waiting for a reply.
 * `method` is not NUL-terminated; `params` lives until the callback returns.
 * The callback must not use the connection. */
typedef void (*emc_notify_fn)(const char *method, size_t method_len,
                              const msgpack_object *params, void *arg);

struct emc; /* one connection; opaque */

/* Connects to host (IPv4 or IPv6 literal, optionally in brackets, or a
 * name) and port, trying each resolved address in turn. timeout_ms bounds
 * the whole connect and becomes the default per-call timeout (0: wait
 * forever). Returns NULL and writes a message to errbuf on failure. */
struct emc *emc_connect_tcp(const char *host, int port, int timeout_ms,
                            char *errbuf, size_t errlen);

/* TLS settings of emc_connect_tls. The strings are read during the call
 * only. The server's certificate is always verified: it must chain to
 * ca_file and name the host (an IP literal is matched against the
 * certificate's IP addresses, a name against its DNS names and sent as
 * SNI). */
struct emc_tls {
    const char *ca_file;     /* PEM CA(s); NULL: the system's CA store */
    const char *cert_file;   /* client certificate (PEM, chain), or NULL */
    const char *key_file;    /* its private key; NULL: read from cert_file */
    const char *server_name; /* name the certificate must carry; NULL: host */
};

/* As emc_connect_tcp, then a TLS handshake (TLS 1.2 or later) within the
 * same timeout. opts NULL means all defaults. A certificate that does not
 * verify, or a client certificate the server refuses during the
 * handshake, fails here with the reason in errbuf. Under TLS 1.3 a server
 * checks a client certificate after the client's side of the handshake is
 * done: a refusal then shows as the first call failing (EMC_ERR_IO). */
struct emc *emc_connect_tls(const char *host, int port, int timeout_ms,
                            const struct emc_tls *opts, char *errbuf,
                            size_t errlen);

/* Same for a Unix stream socket at path. */
struct emc *emc_connect_unix(const char *path, int timeout_ms, char *errbuf,
                             size_t errlen);

/* Closes the socket and frees c. NULL is allowed. */
void emc_close(struct emc *c);

/* Deadline of each following call, in milliseconds (0: wait forever). */
void emc_set_timeout(struct emc *c, int timeout_ms);

/* Reply limits: bytes of one reply (>= 64) and nesting depth (1-32). */
void emc_set_limits(struct emc *c, size_t max_reply_bytes, int max_depth);

/* Callback for notifications; fn NULL drops them. */
void emc_set_notify(struct emc *c, emc_notify_fn fn, void *arg);

/* Calls method with args: a map of named arguments, or NULL for none (sent
 * as an empty params array). On EMC_OK, *result holds the result and must be
 * released with emc_result_free(); on EMC_REPLY_ERROR, *error is filled
 * (error may be NULL to ignore it); on EMC_FAILED, see emc_errstr(). */
enum emc_status emc_call(struct emc *c, const char *method,
                         const msgpack_object *args, struct emc_result *result,
                         struct emc_error *error);

/* Same, with args already packed as one MessagePack object (normally a
 * map) of args_len bytes; args NULL or args_len 0 means no arguments. The
 * bytes are sent as they are, so they must be exactly one object. */
enum emc_status emc_call_packed(struct emc *c, const char *method,
                                const void *args, size_t args_len,
                                struct emc_result *result,
                                struct emc_error *error);

/* auth {token}. result may be NULL when the caller does not need the
 * {role, events} reply. */
enum emc_status emc_auth(struct emc *c, const char *token,
                         struct emc_result *result, struct emc_error *error);

/* Waits up to timeout_ms (-1: without end) for one server message outside
 * a call, which must be a notification, and hands it to the callback.
 * Returns 1 when one was delivered; 0 when the time passed or a signal
 * interrupted the wait (the connection stays usable); -1 when the
 * connection failed (see emc_err(); EMC_ERR_EOF when the server closed it).
 * Once a message has begun to arrive, the rest must come within the call
 * timeout. */
int emc_wait_notification(struct emc *c, int timeout_ms);

/* Frees a result's zone; safe on a zeroed or already freed result. */
void emc_result_free(struct emc_result *result);

/* Why the connection failed (EMC_ERR_NONE while it is healthy), and a
 * message saying what happened ("" while healthy). */
enum emc_errkind emc_err(const struct emc *c);
const char *emc_errstr(const struct emc *c);

#endif
