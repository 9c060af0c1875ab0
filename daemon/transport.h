/* transport.h: the small interface a connection's bytes travel through.
 * Two implementations: raw non-blocking sockets on libevent events (the
 * fast path: reads go straight into the decoder buffer, one write per batch
 * of replies) and TLS on OpenSSL bufferevents (transport_tls.c). The
 * connection logic (conn.c) sees only these operations, so back-pressure
 * and every limit work the same on both. */
#ifndef EM_TRANSPORT_H
#define EM_TRANSPORT_H

#include <stdbool.h>
#include <sys/types.h>

struct conn;

struct transport_ops {
    const char *name;
    /* > 0 bytes read, 0 at end of stream, -1 with errno (EAGAIN: none now).
     * The transport calls conn_on_readable again as long as the connection
     * wants to read and bytes (or the end) wait, like a level-triggered
     * socket event. */
    ssize_t (*read)(struct conn *c, void *buf, size_t len);
    /* Bytes written (maybe fewer than len), or -1 with errno (EAGAIN: full
     * now; conn_on_writable follows once there is room, if wanted). */
    ssize_t (*write)(struct conn *c, const void *buf, size_t len);
    /* Whether the connection wants to hear about readability/writability. */
    void (*want)(struct conn *c, bool read, bool write);
    /* Releases the transport's events and closes the socket (a transport
     * may first send what it still holds, within a short deadline). */
    void (*close)(struct conn *c);
    /* Whether the peer proved itself with a certificate that verified;
     * NULL for transports without certificates. */
    bool (*peer_verified)(const struct conn *c);
};

/* Sets up c's transport on an accepted non-blocking socket; the listener
 * decides which. Returns 0 or -1 (the socket is then left to the caller). */
typedef int transport_attach_fn(struct conn *c, int fd);

/* Raw TCP or Unix socket transport. */
transport_attach_fn transport_raw_attach;

/* TLS server side; needs tls_init (tls.h) to have built the context. */
transport_attach_fn transport_tls_attach;

/* Frees TLS connections that are still sending their last bytes (at exit,
 * before the event loop is freed). */
void transport_tls_release_all(void);

#endif
