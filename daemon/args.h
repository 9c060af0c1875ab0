/* args.h: checking one method's named arguments against a declarative
 * spec, and the small value rules (ids, request ids, badges, text) that
 * handlers share. */
#ifndef EM_ARGS_H
#define EM_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include <msgpack.h>

#include "err.h"

enum arg_type {
    ARG_STR,  /* str holding valid UTF-8 */
    ARG_INT,  /* any integer that fits int64 */
    ARG_UINT, /* an integer >= 0 */
    ARG_BOOL,
    ARG_FLOAT, /* float or integer */
    ARG_ARRAY,
    ARG_MAP,
    ARG_ANY /* anything, nil included: the handler checks it */
};

enum arg_flags {
    ARG_REQUIRED = 1u << 0, /* absent is "missing field" */
    ARG_NULLABLE = 1u << 1, /* nil is a value of its own (e.g. "clear") */
};

struct arg_spec {
    const char *name;
    enum arg_type type;
    unsigned flags;
};

/* The most specs one args_parse call takes. */
#define ARGS_MAX_SPEC 64

/* Ids of events, participants, slots, tables: 1-64 of A-Za-z0-9_.- */
#define ARGS_ID_MAX 64

/* params: the request's params object (NULL is taken as no arguments).
 * It must be an array that is empty or holds one map. Every key must be a
 * str of valid UTF-8, known to spec, given once, and of the spec's type;
 * required ones must be present. found[i] gets the object for spec[i], or
 * NULL when absent. A nil value counts as absent unless the spec is
 * ARG_NULLABLE or ARG_ANY, where found[i] is the nil object itself. */
int args_parse(const msgpack_object *params, const struct arg_spec *spec,
               size_t n, const msgpack_object **found, struct err *err);

/* The same checks on the arguments map itself (NULL: no arguments). */
int args_parse_map(const msgpack_object *map, const struct arg_spec *spec,
                   size_t n, const msgpack_object **found, struct err *err);

/* A short name of an object's type for messages: "str", "bin", "int"... */
const char *args_type_name(const msgpack_object *o);

/* 1-64 of A-Za-z0-9_.- */
bool args_valid_id(const char *s, size_t len);

/* 1-64 printable ASCII characters (0x20-0x7e). */
bool args_valid_request_id(const char *s, size_t len);

/* 8-128 printable ASCII characters without spaces (0x21-0x7e). */
bool args_valid_badge(const char *s, size_t len);

/* o must be a str holding a valid id; copies it NUL-terminated into out.
 * o NULL is "missing field"; every message names `field`. */
int args_get_id(const msgpack_object *o, const char *field,
                char out[ARGS_ID_MAX + 1], struct err *err);

/* o must be a str of valid UTF-8, at most max_codepoints code points, no
 * U+0000 (the copy is a C string); *out gets an xmalloc'd copy. Empty
 * text is allowed. */
int args_get_str(const msgpack_object *o, const char *field,
                 size_t max_codepoints, char **out, struct err *err);

/* Reads an integer object (positive or negative) into *v; false for any
 * other type or a value past INT64_MAX. */
bool args_int_value(const msgpack_object *o, int64_t *v);

#endif
