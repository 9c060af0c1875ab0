/* http_api.h: the dashboard's event API on the HTTP port:
 * GET /api/events/<event>/stats and GET /api/events/<event>/feed, and a
 * JSON 404 for any other path under /api/. */
#ifndef EM_HTTP_API_H
#define EM_HTTP_API_H

#include "http.h"

void http_api_routes(struct http *h);

#endif
