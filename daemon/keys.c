/* keys.c: Redis key names (schema in keys.h). */
#include "keys.h"

#include <stdio.h>

const char *key_fmt(char out[KEY_MAX], const char *event, const char *kind,
                    const char *id)
{
    if (id)
        snprintf(out, KEY_MAX, "em:{%s}:%s:%s", event, kind, id);
    else
        snprintf(out, KEY_MAX, "em:{%s}:%s", event, kind);
    return out;
}

uint64_t key_hash(const char *event, const char *name)
{
    uint64_t x = 14695981039346656037ull;
    for (const char *p = event; *p; p++)
        x = (x ^ (unsigned char)*p) * 1099511628211ull;
    x = (x ^ 0xff) * 1099511628211ull;
    for (const char *p = name ? name : ""; *p; p++)
        x = (x ^ (unsigned char)*p) * 1099511628211ull;
    return x;
}
