/* transport_raw.c: plain non-blocking sockets (TCP and Unix) on libevent
 * events; reads go straight into the connection's buffer and each batch of
 * replies is one send. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "server.h"
#include "transport.h"

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    conn_on_readable(arg);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    conn_on_writable(arg);
}

static ssize_t raw_read(struct conn *c, void *buf, size_t len)
{
    return recv(c->fd, buf, len, 0);
}

static ssize_t raw_write(struct conn *c, const void *buf, size_t len)
{
    /* MSG_NOSIGNAL: a peer that went away is an error return, not SIGPIPE. */
    return send(c->fd, buf, len, MSG_NOSIGNAL);
}

static void raw_want(struct conn *c, bool rd, bool wr)
{
    if (rd != c->want_read) {
        if (rd)
            event_add(c->ev_read, NULL);
        else
            event_del(c->ev_read);
        c->want_read = rd;
    }
    if (wr != c->want_write) {
        if (wr)
            event_add(c->ev_write, NULL);
        else
            event_del(c->ev_write);
        c->want_write = wr;
    }
}

static void raw_close(struct conn *c)
{
    if (c->ev_read)
        event_free(c->ev_read);
    if (c->ev_write)
        event_free(c->ev_write);
    c->ev_read = c->ev_write = NULL;
    c->want_read = c->want_write = false;
    if (c->fd >= 0) {
        /* Closing with unread input makes the kernel send a reset, which can
         * destroy the last reply (an error before a close) in flight: stop
         * writing, then read away what is already there. */
        char sink[4096];
        shutdown(c->fd, SHUT_WR);
        for (int i = 0;
             i < 16 && recv(c->fd, sink, sizeof sink, MSG_DONTWAIT) > 0; i++)
            ;
        close(c->fd);
    }
    c->fd = -1;
}

static const struct transport_ops raw_ops = {
    .name = "raw",
    .read = raw_read,
    .write = raw_write,
    .want = raw_want,
    .close = raw_close,
};

int transport_raw_attach(struct conn *c, int fd)
{
    c->ev_read = event_new(c->srv->base, fd, EV_READ | EV_PERSIST, on_read, c);
    c->ev_write =
        event_new(c->srv->base, fd, EV_WRITE | EV_PERSIST, on_write, c);
    if (c->ev_read == NULL || c->ev_write == NULL) {
        if (c->ev_read)
            event_free(c->ev_read);
        if (c->ev_write)
            event_free(c->ev_write);
        return -1;
    }
    c->tr = &raw_ops;
    return 0;
}
