/* pack.h: packing C strings into a request, for the clients that build
 * their arguments by hand. */
#ifndef EM_PACK_H
#define EM_PACK_H

#include <string.h>

#include <msgpack.h>

/* A NUL-terminated string as a MessagePack str. */
static inline void emc_pack_cstr(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

/* One map entry whose key and value are strings. */
static inline void emc_pack_kv(msgpack_packer *pk, const char *k, const char *v)
{
    emc_pack_cstr(pk, k);
    emc_pack_cstr(pk, v);
}

#endif
