/* args.c: checks a request's named arguments against a method's spec. */
#include "args.h"

#include <stdint.h>
#include <string.h>

#include "utf8.h"
#include "xmalloc.h"

/* Unknown field names are echoed in messages; longer ones are cut so the
 * message stays readable and within struct err. */
#define ECHO_MAX 64

const char *args_type_name(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return "nil";
    case MSGPACK_OBJECT_BOOLEAN: return "bool";
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "int";
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return "float";
    case MSGPACK_OBJECT_STR: return "str";
    case MSGPACK_OBJECT_BIN: return "bin";
    case MSGPACK_OBJECT_ARRAY: return "array";
    case MSGPACK_OBJECT_MAP: return "map";
    case MSGPACK_OBJECT_EXT: return "ext";
    }
    return "unknown";
}

bool args_int_value(const msgpack_object *o, int64_t *v)
{
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *v = o->via.i64;
        return true;
    }
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
        o->via.u64 <= (uint64_t)INT64_MAX) {
        *v = (int64_t)o->via.u64;
        return true;
    }
    return false;
}

/* Checks one value against its declared type; the message names it. */
static int check_type(const msgpack_object *v, const struct arg_spec *s,
                      struct err *err)
{
    const char *want = NULL;
    switch (s->type) {
    case ARG_ANY: return 0;
    case ARG_STR:
        if (v->type != MSGPACK_OBJECT_STR)
            want = "a string";
        else if (!utf8_valid(v->via.str.ptr, v->via.str.size, NULL))
            return err_set(err, ERR_BAD_REQUEST,
                           "field '%s' is not valid UTF-8", s->name);
        break;
    case ARG_INT:
        if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
            v->via.u64 > (uint64_t)INT64_MAX)
            return err_set(err, ERR_BAD_REQUEST, "field '%s' is out of range",
                           s->name);
        if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER &&
            v->type != MSGPACK_OBJECT_NEGATIVE_INTEGER)
            want = "an integer";
        break;
    case ARG_UINT:
        if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
            return err_set(err, ERR_BAD_REQUEST,
                           "field '%s' must be an integer 0 or more", s->name);
        if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            want = "an integer";
        break;
    case ARG_BOOL:
        if (v->type != MSGPACK_OBJECT_BOOLEAN)
            want = "a boolean";
        break;
    case ARG_FLOAT:
        if (v->type != MSGPACK_OBJECT_FLOAT32 &&
            v->type != MSGPACK_OBJECT_FLOAT64 &&
            v->type != MSGPACK_OBJECT_POSITIVE_INTEGER &&
            v->type != MSGPACK_OBJECT_NEGATIVE_INTEGER)
            want = "a number";
        break;
    case ARG_ARRAY:
        if (v->type != MSGPACK_OBJECT_ARRAY)
            want = "an array";
        break;
    case ARG_MAP:
        if (v->type != MSGPACK_OBJECT_MAP)
            want = "a map";
        break;
    }
    if (want)
        return err_set(err, ERR_BAD_REQUEST, "field '%s' must be %s (got %s)",
                       s->name, want, args_type_name(v));
    return 0;
}

static int find_spec(const struct arg_spec *spec, size_t n, const char *key,
                     size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(spec[i].name) == len && memcmp(spec[i].name, key, len) == 0)
            return (int)i;
    return -1;
}

int args_parse_map(const msgpack_object *map, const struct arg_spec *spec,
                   size_t n, const msgpack_object **found, struct err *err)
{
    if (n > ARGS_MAX_SPEC)
        return err_set(err, ERR_INTERNAL, "argument spec too long");
    for (size_t i = 0; i < n; i++)
        found[i] = NULL;
    /* A bit per spec entry: a nil may leave found[i] NULL, yet a second
     * occurrence of the same key is still a duplicate. */
    uint64_t seen = 0;
    uint32_t size = map ? map->via.map.size : 0;
    if (map && map->type != MSGPACK_OBJECT_MAP)
        return err_set(err, ERR_BAD_REQUEST,
                       "params must be an array holding one map");
    for (uint32_t k = 0; k < size; k++) {
        const msgpack_object *key = &map->via.map.ptr[k].key;
        const msgpack_object *val = &map->via.map.ptr[k].val;
        if (key->type != MSGPACK_OBJECT_STR)
            return err_set(err, ERR_BAD_REQUEST,
                           "field names must be strings (got %s)",
                           args_type_name(key));
        const char *kp = key->via.str.ptr;
        size_t kl = key->via.str.size;
        if (!utf8_valid(kp, kl, NULL))
            return err_set(err, ERR_BAD_REQUEST,
                           "a field name is not valid UTF-8");
        int i = find_spec(spec, n, kp, kl);
        if (i < 0) {
            size_t cut = utf8_prefix(kp, kl, ECHO_MAX);
            return err_set(err, ERR_BAD_REQUEST, "unknown field '%.*s'%s",
                           (int)cut, kp, cut < kl ? "..." : "");
        }
        if (seen & (UINT64_C(1) << i))
            return err_set(err, ERR_BAD_REQUEST, "field '%s' given twice",
                           spec[i].name);
        seen |= UINT64_C(1) << i;
        if (val->type == MSGPACK_OBJECT_NIL) {
            if (spec[i].type == ARG_ANY || (spec[i].flags & ARG_NULLABLE))
                found[i] = val;
            else if (spec[i].flags & ARG_REQUIRED)
                return check_type(val, &spec[i], err);
            continue; /* nil for an optional field means absent */
        }
        if (check_type(val, &spec[i], err) < 0)
            return -1;
        found[i] = val;
    }
    for (size_t i = 0; i < n; i++)
        if ((spec[i].flags & ARG_REQUIRED) && !(seen & (UINT64_C(1) << i)))
            return err_set(err, ERR_BAD_REQUEST, "missing field '%s'",
                           spec[i].name);
    return 0;
}

int args_parse(const msgpack_object *params, const struct arg_spec *spec,
               size_t n, const msgpack_object **found, struct err *err)
{
    const msgpack_object *map = NULL;
    if (params) {
        if (params->type != MSGPACK_OBJECT_ARRAY ||
            params->via.array.size > 1 ||
            (params->via.array.size == 1 &&
             params->via.array.ptr[0].type != MSGPACK_OBJECT_MAP)) {
            for (size_t i = 0; i < n && i < ARGS_MAX_SPEC; i++)
                found[i] = NULL;
            return err_set(err, ERR_BAD_REQUEST,
                           "params must be an array holding one map");
        }
        if (params->via.array.size == 1)
            map = &params->via.array.ptr[0];
    }
    return args_parse_map(map, spec, n, found, err);
}

bool args_valid_id(const char *s, size_t len)
{
    if (len < 1 || len > ARGS_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

/* Every byte within [lo, hi]: the printable-ASCII rules. */
static bool all_in(const char *s, size_t len, unsigned char lo,
                   unsigned char hi)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < lo || (unsigned char)s[i] > hi)
            return false;
    return true;
}

bool args_valid_request_id(const char *s, size_t len)
{
    return len >= 1 && len <= 64 && all_in(s, len, 0x20, 0x7e);
}

bool args_valid_badge(const char *s, size_t len)
{
    return len >= 8 && len <= 128 && all_in(s, len, 0x21, 0x7e);
}

/* o must be a str; the message names the field. */
static int need_str(const msgpack_object *o, const char *field, struct err *err)
{
    if (o == NULL)
        return err_set(err, ERR_BAD_REQUEST, "missing field '%s'", field);
    if (o->type != MSGPACK_OBJECT_STR)
        return err_set(err, ERR_BAD_REQUEST,
                       "field '%s' must be a string (got %s)", field,
                       args_type_name(o));
    return 0;
}

int args_get_id(const msgpack_object *o, const char *field,
                char out[ARGS_ID_MAX + 1], struct err *err)
{
    if (need_str(o, field, err) < 0)
        return -1;
    if (!args_valid_id(o->via.str.ptr, o->via.str.size))
        return err_set(err, ERR_BAD_REQUEST, "%s: 1-64 of A-Za-z0-9_.-", field);
    memcpy(out, o->via.str.ptr, o->via.str.size);
    out[o->via.str.size] = '\0';
    return 0;
}

int args_get_str(const msgpack_object *o, const char *field,
                 size_t max_codepoints, char **out, struct err *err)
{
    if (need_str(o, field, err) < 0)
        return -1;
    const char *p = o->via.str.ptr;
    size_t len = o->via.str.size, cps;
    /* A code point is at most 4 bytes: a longer str is too long without
     * looking at it. */
    if (len / 4 > max_codepoints)
        return err_set(err, ERR_BAD_REQUEST, "%s: up to %zu characters", field,
                       max_codepoints);
    if (!utf8_valid(p, len, &cps))
        return err_set(err, ERR_BAD_REQUEST, "%s: not valid UTF-8", field);
    if (cps > max_codepoints)
        return err_set(err, ERR_BAD_REQUEST, "%s: up to %zu characters", field,
                       max_codepoints);
    if (memchr(p, '\0', len))
        return err_set(err, ERR_BAD_REQUEST, "%s: contains a NUL character",
                       field);
    *out = xstrndup(p, len);
    return 0;
}
