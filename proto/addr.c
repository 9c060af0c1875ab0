/* addr.c: resolving a server's host and port (see addr.h). */
#include "addr.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int emc_resolve(const char *host, int port, struct addrinfo **res,
                char name[256], char *errbuf, size_t errlen)
{
    size_t hl = strlen(host);
    if (port <= 0 || port > 65535) {
        snprintf(errbuf, errlen, "bad port %d", port);
        return -1;
    }
    /* "[::1]" is how people write an IPv6 host next to a port. */
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        host++;
        hl -= 2;
    }
    if (hl == 0 || hl >= 256) {
        snprintf(errbuf, errlen, "bad host name");
        return -1;
    }
    memcpy(name, host, hl);
    name[hl] = '\0';
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    *res = NULL;
    int gai = getaddrinfo(name, portstr, &hints, res);
    if (gai != 0) {
        snprintf(errbuf, errlen, "cannot resolve %s: %s", name,
                 gai_strerror(gai));
        return -1;
    }
    return 0;
}
