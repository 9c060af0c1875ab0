/* http_dashboard.h: the organizer dashboard on the HTTP side port: its
 * page (http_static.c), sign-in sessions (http_session.c), the JSON API
 * (http_api.c) and the live feed (http_sse.c), registered in one call. */
#ifndef EM_HTTP_DASHBOARD_H
#define EM_HTTP_DASHBOARD_H

#include "config.h"
#include "http.h"

void http_dashboard_routes(struct http *h, const struct config *cfg);

#endif
