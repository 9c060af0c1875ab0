/* http_static.h: serves the organizer dashboard's built-in files on the
 * HTTP port: "/" (and "/index.html") is the page, "/dashboard/<name>" the
 * rest, each with its type, a strong ETag and the security headers. */
#ifndef EM_HTTP_STATIC_H
#define EM_HTTP_STATIC_H

#include "http.h"

void http_static_routes(struct http *h);

#endif
