/* mpjson.h: test helpers that turn JSON text (single quotes allowed for
 * readability) into msgpack objects and msgpack back into JSON, so tests
 * can write arguments and expected results as literals. Header-only,
 * since the Makefile builds each tests/unit/test_*.c on its own. */
#ifndef EM_TEST_MPJSON_H
#define EM_TEST_MPJSON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <msgpack.h>

#define MPJ_UNUSED __attribute__((unused))

/* Parses JSON written with ' for " (no apostrophes in such tests). */
MPJ_UNUSED static json_t *mpj_parse(const char *text)
{
    char *t = strdup(text);
    for (char *p = t; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t e;
    json_t *j = json_loads(t, JSON_DECODE_ANY, &e);
    free(t);
    if (j == NULL)
        abort();
    return j;
}

/* A JSON string "<raw>" packs as these bytes instead, as str or bin:
 * the way to put invalid UTF-8 or a bin anywhere in a JSON literal. */
static struct {
    const char *data;
    size_t len;
    int bin;
} mpj_raw;

MPJ_UNUSED static void mpj_set_raw(const char *data, size_t len, int bin)
{
    mpj_raw.data = data;
    mpj_raw.len = len;
    mpj_raw.bin = bin;
}

MPJ_UNUSED static void mpj_pack(msgpack_packer *pk, const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        msgpack_pack_map(pk, json_object_size(j));
        const char *k;
        json_t *v;
        /* Keys in insertion order (jansson >= 2.8 keeps it). */
        json_object_foreach((json_t *)j, k, v)
        {
            msgpack_pack_str(pk, strlen(k));
            msgpack_pack_str_body(pk, k, strlen(k));
            mpj_pack(pk, v);
        }
        break;
    }
    case JSON_ARRAY:
        msgpack_pack_array(pk, json_array_size(j));
        for (size_t i = 0; i < json_array_size(j); i++)
            mpj_pack(pk, json_array_get(j, i));
        break;
    case JSON_STRING:
        if (strcmp(json_string_value(j), "<raw>") == 0 && mpj_raw.data) {
            if (mpj_raw.bin) {
                msgpack_pack_bin(pk, mpj_raw.len);
                msgpack_pack_bin_body(pk, mpj_raw.data, mpj_raw.len);
            } else {
                msgpack_pack_str(pk, mpj_raw.len);
                msgpack_pack_str_body(pk, mpj_raw.data, mpj_raw.len);
            }
            break;
        }
        msgpack_pack_str(pk, json_string_length(j));
        msgpack_pack_str_body(pk, json_string_value(j), json_string_length(j));
        break;
    case JSON_INTEGER: msgpack_pack_int64(pk, json_integer_value(j)); break;
    case JSON_REAL: msgpack_pack_double(pk, json_real_value(j)); break;
    case JSON_TRUE: msgpack_pack_true(pk); break;
    case JSON_FALSE: msgpack_pack_false(pk); break;
    case JSON_NULL: msgpack_pack_nil(pk); break;
    }
}

/* A decoded object and what keeps it alive. */
struct mpj {
    msgpack_sbuffer buf;
    msgpack_zone zone;
    msgpack_object obj;
};

/* Unpacks buf (already filled) into m->obj. */
MPJ_UNUSED static void mpj_unpack(struct mpj *m)
{
    msgpack_zone_init(&m->zone, 1024);
    size_t off = 0;
    if (msgpack_unpack(m->buf.data, m->buf.size, &off, &m->zone, &m->obj) !=
        MSGPACK_UNPACK_SUCCESS)
        abort();
}

MPJ_UNUSED static struct mpj *mpj_from_json_t(const json_t *j)
{
    struct mpj *m = calloc(1, sizeof *m);
    msgpack_sbuffer_init(&m->buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &m->buf, msgpack_sbuffer_write);
    mpj_pack(&pk, j);
    mpj_unpack(m);
    return m;
}

MPJ_UNUSED static struct mpj *mpj_from_json(const char *text)
{
    json_t *j = mpj_parse(text);
    struct mpj *m = mpj_from_json_t(j);
    json_decref(j);
    return m;
}

/* An object decoded from raw msgpack bytes. */
MPJ_UNUSED static struct mpj *mpj_from_bytes(const void *data, size_t len)
{
    struct mpj *m = calloc(1, sizeof *m);
    msgpack_sbuffer_init(&m->buf);
    msgpack_sbuffer_write(&m->buf, data, len);
    mpj_unpack(m);
    return m;
}

MPJ_UNUSED static void mpj_free(struct mpj *m)
{
    if (m == NULL)
        return;
    msgpack_zone_destroy(&m->zone);
    msgpack_sbuffer_destroy(&m->buf);
    free(m);
}

/* msgpack -> JSON; NULL for types JSON lacks (bin, ext, non-str keys),
 * so a test that compares JSON also proves every string was a str. */
MPJ_UNUSED static json_t *mpj_to_json(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return json_null();
    case MSGPACK_OBJECT_BOOLEAN: return json_boolean(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return json_integer((json_int_t)o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return json_integer(o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return json_real(o->via.f64);
    case MSGPACK_OBJECT_STR:
        return json_stringn(o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_ARRAY: {
        json_t *a = json_array();
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            json_t *v = mpj_to_json(&o->via.array.ptr[i]);
            if (v == NULL) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, v);
        }
        return a;
    }
    case MSGPACK_OBJECT_MAP: {
        json_t *m = json_object();
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            json_t *v = kv->key.type == MSGPACK_OBJECT_STR
                            ? mpj_to_json(&kv->val)
                            : NULL;
            if (v == NULL) {
                json_decref(m);
                return NULL;
            }
            char *k = strndup(kv->key.via.str.ptr, kv->key.via.str.size);
            json_object_set_new(m, k, v);
            free(k);
        }
        return m;
    }
    default: return NULL;
    }
}

/* Decodes packed bytes and compares with expected JSON text; the packed
 * map's keys must also come in the order written in `expected`. */
MPJ_UNUSED static int mpj_equal_bytes(const void *data, size_t len,
                                      const char *expected)
{
    struct mpj *m = mpj_from_bytes(data, len);
    json_t *got = mpj_to_json(&m->obj);
    json_t *want = mpj_parse(expected);
    int ok = got && json_equal(got, want);
    if (ok && m->obj.type == MSGPACK_OBJECT_MAP) {
        const char *k;
        json_t *v;
        uint32_t i = 0;
        json_object_foreach(want, k, v)
        {
            const msgpack_object *key = &m->obj.via.map.ptr[i++].key;
            if (key->via.str.size != strlen(k) ||
                memcmp(key->via.str.ptr, k, strlen(k)) != 0)
                ok = 0;
        }
    }
    if (!ok) {
        char *g = got ? json_dumps(got, JSON_PRESERVE_ORDER) : NULL;
        fprintf(stderr, "got:  %s\nwant: %s\n", g ? g : "(not JSON)", expected);
        free(g);
    }
    json_decref(got);
    json_decref(want);
    mpj_free(m);
    return ok;
}

#endif
