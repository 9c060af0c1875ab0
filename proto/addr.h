/* addr.h: the address of a server as people write it, shared by the
 * client libraries. */
#ifndef EM_ADDR_H
#define EM_ADDR_H

#include <netdb.h>
#include <stddef.h>

/* Resolves host (a name, an IPv4 or IPv6 literal, the latter optionally in
 * brackets as in "[::1]") and port to stream socket addresses. On success
 * *res is the list (freeaddrinfo() it) and name holds the host without
 * brackets, for messages; returns -1 with a message in errbuf otherwise.
 * getaddrinfo has no timeout of its own: pass literals where that matters. */
int emc_resolve(const char *host, int port, struct addrinfo **res,
                char name[256], char *errbuf, size_t errlen);

#endif
