/* accept_guard.c: pause and resume listeners on accept errors (see the
 * header). */
#include "accept_guard.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "xmalloc.h"

#define PAUSE_MS 250
#define LOG_EVERY_S 5
#define MAX_GUARDS 8

struct accept_guard {
    struct evconnlistener *l;
    struct event *resume;
    const char *what;
    time_t logged;   /* when the last warning went out */
    unsigned missed; /* errors since then */
};

/* libevent hands the error callback the listener's accept argument (the
 * server, or evhttp's own), so guards are found by listener. */
static struct accept_guard *guards[MAX_GUARDS];

static struct accept_guard *guard_of(struct evconnlistener *l)
{
    for (int i = 0; i < MAX_GUARDS; i++)
        if (guards[i] && guards[i]->l == l)
            return guards[i];
    return NULL;
}

static void on_resume(evutil_socket_t fd, short ev, void *arg)
{
    struct accept_guard *g = arg;
    evconnlistener_enable(g->l);
}

static void on_error(struct evconnlistener *l, void *arg)
{
    struct accept_guard *g = guard_of(l);
    if (g == NULL)
        return;
    int e = EVUTIL_SOCKET_ERROR();
    g->missed++;
    time_t now = time(NULL);
    if (now - g->logged >= LOG_EVERY_S) {
        log_warn("%s: accept failed (%s); %u time(s) since the last warning; "
                 "pausing new connections for %d ms",
                 g->what, strerror(e), g->missed, PAUSE_MS);
        g->logged = now;
        g->missed = 0;
    }
    evconnlistener_disable(l);
    struct timeval tv = {0, PAUSE_MS * 1000};
    event_add(g->resume, &tv);
}

struct accept_guard *accept_guard_attach(struct event_base *base,
                                         struct evconnlistener *l,
                                         const char *what)
{
    struct accept_guard *g = xcalloc(1, sizeof *g);
    g->l = l;
    g->what = what;
    g->resume = evtimer_new(base, on_resume, g);
    for (int i = 0; i < MAX_GUARDS; i++)
        if (guards[i] == NULL) {
            guards[i] = g;
            evconnlistener_set_error_cb(l, on_error);
            return g;
        }
    /* More listeners than slots is a programming error; run unguarded. */
    log_warn("%s: no accept guard slot left", what);
    return g;
}

void accept_guard_free(struct accept_guard *g)
{
    if (g == NULL)
        return;
    for (int i = 0; i < MAX_GUARDS; i++)
        if (guards[i] == g)
            guards[i] = NULL;
    event_free(g->resume);
    free(g);
}
