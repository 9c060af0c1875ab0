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
