/* hostport.c: "host:port" and "[v6]:port" (see hostport.h). */
#include "hostport.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

int hostport_split(const char *s, char *host, size_t hostlen, int *port)
{
    const char *h = s, *colon;
    size_t hl;
    bool v6 = s[0] == '[';

    if (v6) {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':')
            return -1;
        h = s + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL)
            return -1;
        hl = (size_t)(colon - s);
        /* A bare IPv6 address is ambiguous with the port: brackets needed. */
        if (memchr(s, ':', hl) != NULL)
            return -1;
    }
    if (hl == 0 || hl >= hostlen)
        return -1;

    const char *p = colon + 1;
    long v = 0;
    if (*p == '\0')
        return -1;
    for (; *p; p++) {
        if (!isdigit((unsigned char)*p) || v > 65535)
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (v < 1 || v > 65535)
        return -1;

    memcpy(host, h, hl);
    host[hl] = '\0';
    if (v6) {
        struct in6_addr a6;
        if (inet_pton(AF_INET6, host, &a6) != 1)
            return -1;
    }
    *port = (int)v;
    return 0;
}
