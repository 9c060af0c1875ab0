/* reply.h: reading a MessagePack-RPC error reply for people, shared by the
 * synchronous (client.c) and asynchronous (aclient.c) client libraries. */
#ifndef EM_REPLY_H
#define EM_REPLY_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

#include "client.h"

/* A str or bin object: both carry text on the wire. */
bool emc_is_text(const msgpack_object *o);

/* What a decoded message is: a notification [2, method, params], a
 * response [1, msgid (32 bits), error, result], or neither. */
enum emc_msg { EMC_MSG_NOTIFICATION, EMC_MSG_RESPONSE, EMC_MSG_BAD };
enum emc_msg emc_msg_kind(const msgpack_object *o);

/* A str key equal to name. */
bool emc_key_is(const msgpack_object *k, const char *name);
/* The value of key in map, or NULL when map is NULL, not a map, or lacks
 * it. */
const msgpack_object *emc_map_get(const msgpack_object *map, const char *key);

/* Copies a wire string for people: bounded, NUL-terminated, with control
 * characters replaced so that a server cannot drive a terminal. */
void emc_copy_text(char *dst, size_t cap, const char *src, size_t len);

/* Fills err from a response's error element: {code, message} as the
 * contract says, or a bare string (as some servers send). */
void emc_read_error(const msgpack_object *e, struct emc_error *err);

#endif
