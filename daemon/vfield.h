/* vfield.h: field checks shared by the event and profile validators
 * (validate.c): types, text, lists, ids, small maps, with messages that
 * name the field's path ("offers[2].code: ..."). Private to validation. */
#ifndef EM_VFIELD_H
#define EM_VFIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "err.h"

/* Room for the longest path a message names ("interpreters[999].id"). */
#define VF_PATH 96

typedef char vf_id[65];

/* Absent or nil: an optional field that was not given. */
bool vf_absent(const msgpack_object *o);

/* "base[i]" and "base.field" into out[VF_PATH]. */
const char *vf_index(char *out, const char *base, size_t i);
const char *vf_member(char *out, const char *base, const char *field);

/* For messages: "'XX'" in out when o is a short printable ASCII str, else
 * NULL, so user bytes are echoed only when harmless. */
const char *vf_echo(const msgpack_object *o, char out[32]);

/* o must be a str (the message shows what it was instead). */
int vf_str(const msgpack_object *o, const char *path, struct err *err);

/* A str of valid UTF-8 without U+0000, of min_cp..max_cp code points. */
int vf_text(const msgpack_object *o, const char *path, size_t min_cp,
            size_t max_cp, struct err *err);

/* True when o is a str equal to the C string s. */
bool vf_str_is(const msgpack_object *o, const char *s);

/* An array of min..max items ("at least one", "too many"). */
int vf_list(const msgpack_object *o, const char *path, size_t min, size_t max,
            struct err *err);

/* An integer within [min, max]. */
int vf_int(const msgpack_object *o, const char *path, int64_t min, int64_t max,
           int64_t *out, struct err *err);

/* A str that is an id (1-64 of A-Za-z0-9_.-), copied into out. */
int vf_get_id(const msgpack_object *o, const char *path, vf_id out,
              struct err *err);

/* A list of min..max distinct ids; *out is xmalloc'd (NULL when empty). */
int vf_id_list(const msgpack_object *o, const char *path, size_t min,
               size_t max, vf_id **out, size_t *n, struct err *err);

/* Index of the first item (in list order) equal to an earlier one, or n
 * when all differ. Sorts a copy, so it stays fast for long lists. */
size_t vf_first_dup(const vf_id *ids, size_t n);

/* A list of min..max distinct ISO 639-1 codes (lower case). When out is
 * not NULL, *out gets an xmalloc'd copy (NULL when empty). */
int vf_languages(const msgpack_object *o, const char *path, size_t min,
                 size_t max, char (**out)[3], size_t *n, struct err *err);

/* A map whose keys are str among keys[0..n), each at most once. found[i]
 * gets the value, or NULL when absent or nil. */
int vf_map(const msgpack_object *o, const char *path, const char *const *keys,
           size_t n, const msgpack_object **found, struct err *err);

/* Packs bytes / a C string as MessagePack str. */
void vf_pack_str(msgpack_packer *pk, const char *s, size_t len);
void vf_pack_cstr(msgpack_packer *pk, const char *s);

/* Packs a str object as str (it may have been checked as text). */
void vf_pack_obj_str(msgpack_packer *pk, const msgpack_object *o);

#endif
