/* transport.h: the small interface a connection's bytes travel through.
 * Raw non-blocking sockets on libevent events now (the fast path: reads go
 * straight into the decoder buffer, one write per batch of replies); TLS on
 * OpenSSL bufferevents can be added as a second implementation without
 * touching the connection logic. */
#ifndef EM_TRANSPORT_H
#define EM_TRANSPORT_H

#include <stdbool.h>
#include <sys/types.h>

struct conn;

struct transport_ops {
    const char *name;
    /* > 0 bytes read, 0 at end of stream, -1 with errno (EAGAIN: none now). */
    ssize_t (*read)(struct conn *c, void *buf, size_t len);
    /* Bytes written (maybe fewer than len), or -1 with errno. */
    ssize_t (*write)(struct conn *c, const void *buf, size_t len);
    /* Whether the connection wants to hear about readability/writability. */
    void (*want)(struct conn *c, bool read, bool write);
    /* Releases the transport's events and closes the socket. */
    void (*close)(struct conn *c);
};

/* Raw TCP or Unix socket transport; fd must be non-blocking. Returns 0 or -1.
 */
int transport_raw_attach(struct conn *c, int fd);

#endif
