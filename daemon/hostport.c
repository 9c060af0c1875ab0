/* hostport.c: "host:port" and "[v6]:port" (see hostport.h). */
#include "hostport.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "err.h"

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

int hostport_resolve(const char *what, const char *addr, char (*ips)[64],
                     int max, int *port, struct err *err)
{
    char host[256], portstr[8];
    if (addr == NULL || hostport_split(addr, host, sizeof host, port) < 0)
        return err_set(err, ERR_BAD_REQUEST,
                       "%s '%s': expected host:port or [v6]:port", what,
                       addr ? addr : "");
    snprintf(portstr, sizeof portstr, "%d", *port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0)
        return err_set(err, ERR_UNAVAILABLE, "%s '%s': %s", what, addr,
                       gai_strerror(rc));
    int n = 0;
    for (struct addrinfo *ai = res; ai && n < max; ai = ai->ai_next) {
        char ip[64];
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, ip, sizeof ip, NULL, 0,
                        NI_NUMERICHOST) != 0)
            continue;
        bool dup = false;
        for (int i = 0; i < n; i++)
            dup = dup || strcmp(ips[i], ip) == 0;
        if (!dup)
            memcpy(ips[n++], ip, sizeof ip);
    }
    freeaddrinfo(res);
    if (n == 0)
        return err_set(err, ERR_UNAVAILABLE,
                       "%s '%s' resolved to nothing usable", what, addr);
    return n;
}
