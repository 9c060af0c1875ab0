/* hostport.h: the one parser of "host:port" and "[v6]:port" addresses,
 * used by the configuration check and by the Redis link. */
#ifndef EM_HOSTPORT_H
#define EM_HOSTPORT_H

#include <stddef.h>

/* Splits s into host (without brackets) and port 1..65535; 0, or -1 when
 * malformed (a bare IPv6 address needs brackets: its last colon is not a
 * port separator). */
int hostport_split(const char *s, char *host, size_t hostlen, int *port);

/* Resolves "host:port" (once, at start: getaddrinfo blocks) to at most max
 * distinct numeric addresses in ips, and its port. Returns how many, or -1
 * with why in err, each message starting with `what` (e.g. "redis
 * address"). */
struct err;
int hostport_resolve(const char *what, const char *addr, char (*ips)[64],
                     int max, int *port, struct err *err);

#endif
