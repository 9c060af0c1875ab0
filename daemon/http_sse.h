/* http_sse.h: the dashboard's live feed, GET /api/events/<event>/feed as
 * server-sent events: what the RPC `event` topic carries (meeting changes,
 * check-ins, profile versions) without anything private, and a heartbeat
 * comment every http-heartbeat-ms. Feeds are capped (http-max-feeds); one
 * whose client does not read is dropped once its unsent output passes a
 * bound, so it never holds up the daemon or other clients. */
#ifndef EM_HTTP_SSE_H
#define EM_HTTP_SSE_H

#include <event2/http.h>

#include "config.h"
#include "http_session.h"

/* Reads the limits and taps the notifications (notify.h). */
void http_feed_init(const struct config *cfg);

/* Starts a feed on req for `who`, who may read the event (checked), or
 * refuses it with 503 over the cap. */
void http_feed_open(struct evhttp_request *req, const char *event,
                    const struct http_cred *who);

#endif
