/* vfield.c: field checks shared by the event and profile validators. */
#include "vfield.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "isocodes.h"
#include "utf8.h"
#include "xmalloc.h"

bool vf_absent(const msgpack_object *o)
{
    return o == NULL || o->type == MSGPACK_OBJECT_NIL;
}

const char *vf_index(char *out, const char *base, size_t i)
{
    snprintf(out, VF_PATH, "%s[%zu]", base, i);
    return out;
}

const char *vf_member(char *out, const char *base, const char *field)
{
    snprintf(out, VF_PATH, "%s.%s", base, field);
    return out;
}

const char *vf_echo(const msgpack_object *o, char out[32])
{
    if (o->type == MSGPACK_OBJECT_STR && o->via.str.size <= 24) {
        const char *p = o->via.str.ptr;
        size_t n = o->via.str.size;
        bool plain = true;
        /* Quotes and backslashes would make the echo ambiguous. */
        for (size_t i = 0; i < n; i++)
            if (p[i] < 0x20 || p[i] > 0x7e || p[i] == '\'' || p[i] == '\\')
                plain = false;
        if (plain) {
            snprintf(out, 32, "'%.*s'", (int)n, p);
            return out;
        }
    }
    return NULL;
}

int vf_str(const msgpack_object *o, const char *path, struct err *err)
{
    if (o == NULL)
        return err_set(err, ERR_BAD_REQUEST, "missing field '%s'", path);
    if (o->type != MSGPACK_OBJECT_STR)
        return err_set(err, ERR_BAD_REQUEST, "%s: must be a string (got %s)",
                       path, args_type_name(o));
    return 0;
}

int vf_text(const msgpack_object *o, const char *path, size_t min_cp,
            size_t max_cp, struct err *err)
{
    if (vf_str(o, path, err) < 0)
        return -1;
    const char *p = o->via.str.ptr;
    size_t len = o->via.str.size, cps = 0;
    /* At most 4 bytes a code point: longer is too long, unread. */
    bool fits = len / 4 <= max_cp;
    if (fits && !utf8_valid(p, len, &cps))
        return err_set(err, ERR_BAD_REQUEST, "%s: not valid UTF-8", path);
    if (!fits || cps < min_cp || cps > max_cp) {
        if (min_cp == 0)
            return err_set(err, ERR_BAD_REQUEST, "%s: up to %zu characters",
                           path, max_cp);
        return err_set(err, ERR_BAD_REQUEST, "%s: %zu-%zu characters", path,
                       min_cp, max_cp);
    }
    if (memchr(p, '\0', len))
        return err_set(err, ERR_BAD_REQUEST, "%s: contains a NUL character",
                       path);
    return 0;
}

bool vf_str_is(const msgpack_object *o, const char *s)
{
    size_t n = strlen(s);
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
           memcmp(o->via.str.ptr, s, n) == 0;
}

int vf_list(const msgpack_object *o, const char *path, size_t min, size_t max,
            struct err *err)
{
    if (o == NULL)
        return err_set(err, ERR_BAD_REQUEST, "missing field '%s'", path);
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return err_set(err, ERR_BAD_REQUEST, "%s: must be a list (got %s)",
                       path, args_type_name(o));
    size_t n = o->via.array.size;
    if (n < min)
        return err_set(err, ERR_BAD_REQUEST, "%s: at least %zu item%s needed",
                       path, min, min == 1 ? "" : "s");
    if (n > max)
        return err_set(err, ERR_BAD_REQUEST, "%s: too many items (at most %zu)",
                       path, max);
    return 0;
}

int vf_int(const msgpack_object *o, const char *path, int64_t min, int64_t max,
           int64_t *out, struct err *err)
{
    if (o == NULL)
        return err_set(err, ERR_BAD_REQUEST, "missing field '%s'", path);
    int64_t v;
    bool isint = o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
                 o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
    if (!isint)
        return err_set(err, ERR_BAD_REQUEST, "%s: must be an integer (got %s)",
                       path, args_type_name(o));
    if (!args_int_value(o, &v) || v < min || v > max) {
        if (max == INT64_MAX)
            return err_set(err, ERR_BAD_REQUEST, "%s: an integer %lld or more",
                           path, (long long)min);
        return err_set(err, ERR_BAD_REQUEST, "%s: an integer %lld-%lld", path,
                       (long long)min, (long long)max);
    }
    *out = v;
    return 0;
}

int vf_get_id(const msgpack_object *o, const char *path, vf_id out,
              struct err *err)
{
    if (vf_str(o, path, err) < 0)
        return -1;
    if (!args_valid_id(o->via.str.ptr, o->via.str.size))
        return err_set(err, ERR_BAD_REQUEST, "%s: 1-64 of A-Za-z0-9_.-", path);
    memcpy(out, o->via.str.ptr, o->via.str.size);
    out[o->via.str.size] = '\0';
    return 0;
}

/* For vf_first_dup: the ids being sorted, by position. */
struct dup_key {
    const char *id;
    size_t pos;
};

static int cmp_dup_key(const void *a, const void *b)
{
    const struct dup_key *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    if (c != 0)
        return c;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

size_t vf_first_dup(const vf_id *ids, size_t n)
{
    if (n < 2)
        return n;
    struct dup_key *k = xmalloc(n * sizeof *k);
    for (size_t i = 0; i < n; i++)
        k[i] = (struct dup_key){ids[i], i};
    qsort(k, n, sizeof *k, cmp_dup_key);
    /* In each run of equal ids the first is the earliest; every later one
     * is a repeat, and the earliest repeat is the one to report. */
    size_t first = n;
    for (size_t i = 1; i < n; i++)
        if (strcmp(k[i].id, k[i - 1].id) == 0 && k[i].pos < first)
            first = k[i].pos;
    free(k);
    return first;
}

int vf_id_list(const msgpack_object *o, const char *path, size_t min,
               size_t max, vf_id **out, size_t *n, struct err *err)
{
    *out = NULL;
    *n = 0;
    if (vf_list(o, path, min, max, err) < 0)
        return -1;
    size_t cnt = o->via.array.size;
    vf_id *ids = cnt ? xmalloc(cnt * sizeof *ids) : NULL;
    char p[VF_PATH];
    for (size_t i = 0; i < cnt; i++) {
        if (vf_get_id(&o->via.array.ptr[i], vf_index(p, path, i), ids[i], err) <
            0) {
            free(ids);
            return -1;
        }
    }
    size_t d = vf_first_dup((const vf_id *)ids, cnt);
    if (d < cnt) {
        err_set(err, ERR_BAD_REQUEST, "%s: '%s' given twice",
                vf_index(p, path, d), ids[d]);
        free(ids);
        return -1;
    }
    *out = ids;
    *n = cnt;
    return 0;
}

int vf_languages(const msgpack_object *o, const char *path, size_t min,
                 size_t max, char (**out)[3], size_t *n, struct err *err)
{
    if (out) {
        *out = NULL;
        *n = 0;
    }
    if (vf_list(o, path, min, max, err) < 0)
        return -1;
    const msgpack_object *a = o->via.array.ptr;
    size_t cnt = o->via.array.size;
    char p[VF_PATH], q[32];
    for (size_t i = 0; i < cnt; i++) {
        vf_index(p, path, i);
        if (vf_str(&a[i], p, err) < 0)
            return -1;
        if (!iso_language_valid(a[i].via.str.ptr, a[i].via.str.size)) {
            const char *e = vf_echo(&a[i], q);
            return err_set(err, ERR_BAD_REQUEST,
                           "%s: %s%snot an ISO 639-1 code (two lower-case "
                           "letters)",
                           p, e ? e : "", e ? " is " : "");
        }
        /* At most a few dozen items: pairwise is cheapest. */
        for (size_t j = 0; j < i; j++)
            if (memcmp(a[j].via.str.ptr, a[i].via.str.ptr, 2) == 0)
                return err_set(err, ERR_BAD_REQUEST, "%s: '%.2s' given twice",
                               p, a[i].via.str.ptr);
    }
    if (out && cnt) {
        *out = xmalloc(cnt * sizeof **out);
        for (size_t i = 0; i < cnt; i++) {
            memcpy((*out)[i], a[i].via.str.ptr, 2);
            (*out)[i][2] = '\0';
        }
        *n = cnt;
    }
    return 0;
}

int vf_map(const msgpack_object *o, const char *path, const char *const *keys,
           size_t n, const msgpack_object **found, struct err *err)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return err_set(err, ERR_BAD_REQUEST, "%s: must be a map (got %s)", path,
                       args_type_name(o));
    bool seen[8] = {false};
    if (n > sizeof seen / sizeof seen[0])
        return err_set(err, ERR_INTERNAL, "%s: too many keys to check", path);
    for (size_t i = 0; i < n; i++)
        found[i] = NULL;
    for (uint32_t k = 0; k < o->via.map.size; k++) {
        const msgpack_object *key = &o->via.map.ptr[k].key;
        const msgpack_object *val = &o->via.map.ptr[k].val;
        if (key->type != MSGPACK_OBJECT_STR)
            return err_set(err, ERR_BAD_REQUEST,
                           "%s: field names must be strings (got %s)", path,
                           args_type_name(key));
        size_t i = 0;
        while (i < n && !vf_str_is(key, keys[i]))
            i++;
        if (i == n) {
            const char *kp = key->via.str.ptr;
            size_t kl = key->via.str.size;
            if (!utf8_valid(kp, kl, NULL))
                return err_set(err, ERR_BAD_REQUEST,
                               "%s: a field name is not valid UTF-8", path);
            size_t cut = utf8_prefix(kp, kl, 64);
            return err_set(err, ERR_BAD_REQUEST, "%s: unknown field '%.*s'%s",
                           path, (int)cut, kp, cut < kl ? "..." : "");
        }
        if (seen[i])
            return err_set(err, ERR_BAD_REQUEST, "%s.%s: given twice", path,
                           keys[i]);
        seen[i] = true;
        if (val->type != MSGPACK_OBJECT_NIL)
            found[i] = val;
    }
    return 0;
}

void vf_pack_str(msgpack_packer *pk, const char *s, size_t len)
{
    msgpack_pack_str(pk, len);
    msgpack_pack_str_body(pk, s, len);
}

void vf_pack_cstr(msgpack_packer *pk, const char *s)
{
    vf_pack_str(pk, s, strlen(s));
}

void vf_pack_obj_str(msgpack_packer *pk, const msgpack_object *o)
{
    vf_pack_str(pk, o->via.str.ptr, o->via.str.size);
}
