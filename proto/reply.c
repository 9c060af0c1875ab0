/* reply.c: reading error replies (see reply.h). */
#include "reply.h"

#include <stdio.h>
#include <string.h>

bool emc_is_text(const msgpack_object *o)
{
    return o->type == MSGPACK_OBJECT_STR || o->type == MSGPACK_OBJECT_BIN;
}

void emc_copy_text(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)src[i];
        dst[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    dst[len] = '\0';
}

bool emc_key_is(const msgpack_object *k, const char *name)
{
    size_t n = strlen(name);
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
           memcmp(k->via.str.ptr, name, n) == 0;
}

void emc_read_error(const msgpack_object *e, struct emc_error *err)
{
    snprintf(err->code, sizeof err->code, "error");
    snprintf(err->message, sizeof err->message, "(no message)");
    if (emc_is_text(e)) {
        emc_copy_text(err->message, sizeof err->message, e->via.str.ptr,
                      e->via.str.size);
        return;
    }
    if (e->type != MSGPACK_OBJECT_MAP) {
        snprintf(err->message, sizeof err->message,
                 "error reply of msgpack type %d", (int)e->type);
        return;
    }
    for (uint32_t i = 0; i < e->via.map.size; i++) {
        const msgpack_object *k = &e->via.map.ptr[i].key;
        const msgpack_object *v = &e->via.map.ptr[i].val;
        if (!emc_is_text(v))
            continue;
        if (emc_key_is(k, "code"))
            emc_copy_text(err->code, sizeof err->code, v->via.str.ptr,
                          v->via.str.size);
        else if (emc_key_is(k, "message"))
            emc_copy_text(err->message, sizeof err->message, v->via.str.ptr,
                          v->via.str.size);
    }
}
