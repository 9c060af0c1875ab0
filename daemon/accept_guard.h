/* accept_guard.h: keeps a listener from spinning when accept() fails (out
 * of file descriptors): libevent calls the error callback while the socket
 * stays readable, so the listener is paused and resumed from a timer, and
 * the warning is logged at most every few seconds. */
#ifndef EM_ACCEPT_GUARD_H
#define EM_ACCEPT_GUARD_H

#include <event2/event.h>
#include <event2/listener.h>

struct accept_guard;

/* Installs the guard as l's error callback; `what` names it in the log. */
struct accept_guard *accept_guard_attach(struct event_base *base,
                                         struct evconnlistener *l,
                                         const char *what);

/* Call before freeing the listener. */
void accept_guard_free(struct accept_guard *g);

#endif
