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

enum emc_msg emc_msg_kind(const msgpack_object *o)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size == 0 ||
        o->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return EMC_MSG_BAD;
    const msgpack_object *a = o->via.array.ptr;
    uint32_t n = o->via.array.size;
    if (n == 3 && a[0].via.u64 == 2 && emc_is_text(&a[1]))
        return EMC_MSG_NOTIFICATION;
    if (n == 4 && a[0].via.u64 == 1 &&
        a[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
        a[1].via.u64 <= UINT32_MAX)
        return EMC_MSG_RESPONSE;
    return EMC_MSG_BAD;
}

bool emc_key_is(const msgpack_object *k, const char *name)
{
    size_t n = strlen(name);
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
           memcmp(k->via.str.ptr, name, n) == 0;
}

const msgpack_object *emc_map_get(const msgpack_object *map, const char *key)
{
    if (map == NULL || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < map->via.map.size; i++)
        if (emc_key_is(&map->via.map.ptr[i].key, key))
            return &map->via.map.ptr[i].val;
    return NULL;
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
