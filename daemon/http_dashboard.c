/* http_dashboard.c: registers the dashboard's parts (http_dashboard.h). */
#include "http_dashboard.h"

#include "http_api.h"
#include "http_session.h"
#include "http_sse.h"
#include "http_static.h"

void http_dashboard_routes(struct http *h, const struct config *cfg)
{
    http_static_routes(h);
    http_session_routes(h, cfg);
    http_api_routes(h);
    http_feed_init(cfg);
}
