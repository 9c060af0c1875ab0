/* cli_json.c: JSON <-> MessagePack for expomatch-cli, and reading its
 * inputs (JSON-ARGS, token files) with bounds. */
#include "cli.h"
#include "reply.h"
#include "token.h"
#include "xmalloc.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* JSON arguments read from stdin: far above the server's 1 MiB request
 * limit, yet small enough that a wrong pipe cannot eat the memory. */
#define MAX_STDIN_BYTES ((size_t)16 << 20)

/* Reads all of f, up to max bytes, into a new NUL-terminated buffer. */
char *cli_read_all(FILE *f, size_t max, size_t *lenp)
{
    size_t cap = 4096, len = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (cap - len < 2) {
            if (cap > max) {
                free(buf);
                errno = EFBIG;
                return NULL;
            }
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (len > max) {
            free(buf);
            errno = EFBIG;
            return NULL;
        }
        if (n == 0) {
            if (ferror(f)) {
                free(buf);
                errno = EIO;
                return NULL;
            }
            break;
        }
    }
    buf[len] = '\0';
    *lenp = len;
    return buf;
}

/* The token itself: the argument, or the trimmed content of @FILE. The
 * caller wipes and frees it. NULL (after saying why) on failure. */
char *cli_load_token(const char *arg)
{
    char err[300];
    char *tok = emc_token_load(arg, err, sizeof err);
    if (tok == NULL)
        fprintf(stderr, "expomatch-cli: %s\n", err);
    return tok;
}

/* Packs a JSON value as MessagePack. jansson bounds nesting while parsing
 * (2048 levels), which bounds this recursion. */
void cli_pack_json(msgpack_packer *pk, const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *key;
        size_t klen;
        json_t *val;
        msgpack_pack_map(pk, json_object_size(j));
        json_object_keylen_foreach((json_t *)j, key, klen, val)
        {
            msgpack_pack_str(pk, klen);
            msgpack_pack_str_body(pk, key, klen);
            cli_pack_json(pk, val);
        }
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *val;
        msgpack_pack_array(pk, json_array_size(j));
        json_array_foreach(j, i, val) cli_pack_json(pk, val);
        break;
    }
    case JSON_STRING: {
        size_t n = json_string_length(j);
        msgpack_pack_str(pk, n);
        msgpack_pack_str_body(pk, json_string_value(j), n);
        break;
    }
    case JSON_INTEGER: msgpack_pack_int64(pk, json_integer_value(j)); break;
    case JSON_REAL: msgpack_pack_double(pk, json_real_value(j)); break;
    case JSON_TRUE: msgpack_pack_true(pk); break;
    case JSON_FALSE: msgpack_pack_false(pk); break;
    case JSON_NULL: msgpack_pack_nil(pk); break;
    }
}

/* Parses JSON-ARGS (text, or stdin for "-") into packed MessagePack in sb.
 * Returns -1 after saying why. */
int cli_load_args(const char *arg, msgpack_sbuffer *sb)
{
    char *text = NULL;
    size_t len;
    const char *src = arg;

    if (strcmp(arg, "-") == 0) {
        text = cli_read_all(stdin, MAX_STDIN_BYTES, &len);
        if (text == NULL) {
            fprintf(stderr, "expomatch-cli: cannot read JSON from stdin: %s\n",
                    errno == EFBIG ? "over 16 MiB" : strerror(errno));
            return -1;
        }
        src = text;
    } else {
        len = strlen(arg);
    }
    json_error_t jerr;
    json_t *j = json_loadb(src, len, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    if (j == NULL) {
        fprintf(stderr,
                "expomatch-cli: bad JSON-ARGS (line %d, column %d): %s\n",
                jerr.line, jerr.column, jerr.text);
        return -1;
    }
    if (!json_is_object(j)) {
        fprintf(stderr, "expomatch-cli: JSON-ARGS must be an object, like "
                        "{\"event\": \"e1\"}\n");
        json_decref(j);
        return -1;
    }
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    cli_pack_json(&pk, j);
    json_decref(j);
    return 0;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min, cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* A JSON string from wire bytes; invalid UTF-8 (which JSON cannot carry)
 * becomes U+FFFD rather than failing the whole output. */
static json_t *json_text(const char *p, size_t n)
{
    json_t *s = json_stringn(p, n);
    if (s != NULL)
        return s;
    char *fixed = xmalloc(n * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq((const unsigned char *)p + i, n - i);
        if (k == 0) {
            memcpy(fixed + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else {
            memcpy(fixed + o, p + i, k);
            o += k;
            i += k;
        }
    }
    s = json_stringn(fixed, o);
    free(fixed);
    return s != NULL ? s : json_string("");
}

static json_t *json_base64(const char *p, size_t n)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *u = (const unsigned char *)p;
    char *out = xmalloc((n + 2) / 3 * 4 + 1);
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)u[i] << 16 | (uint32_t)u[i + 1] << 8 | u[i + 2];
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = tab[v & 63];
    }
    if (i < n) {
        uint32_t v =
            (uint32_t)u[i] << 16 | (i + 1 < n ? (uint32_t)u[i + 1] << 8 : 0);
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    json_t *s = json_stringn(out, o);
    free(out);
    return s;
}

/* JSON object keys are strings: other keys are written as their compact
 * JSON text (a number's digits, for instance). */
static char *key_text(const msgpack_object *k, size_t *len)
{
    json_t *j = cli_to_json(k);
    char *s;
    if (json_is_string(j)) {
        *len = json_string_length(j);
        s = xmalloc(*len + 1);
        memcpy(s, json_string_value(j), *len + 1);
    } else {
        s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
        if (s == NULL)
            s = strdup("?");
        *len = strlen(s);
    }
    json_decref(j);
    return s;
}

/* msgpack to JSON. The client library bounds reply nesting (32 levels),
 * which bounds this recursion. */
json_t *cli_to_json(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return json_null();
    case MSGPACK_OBJECT_BOOLEAN: return json_boolean(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        /* JSON numbers here are signed 64-bit; beyond that only a real fits. */
        if (o->via.u64 > INT64_MAX)
            return json_real((double)o->via.u64);
        return json_integer((json_int_t)o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return json_integer(o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: {
        json_t *r = json_real(o->via.f64);
        return r != NULL ? r : json_null(); /* NaN and infinities */
    }
    case MSGPACK_OBJECT_STR: return json_text(o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_BIN:
        return json_base64(o->via.bin.ptr, o->via.bin.size);
    case MSGPACK_OBJECT_EXT:
        return json_pack("{s:i,s:o}", "ext_type", (int)o->via.ext.type, "data",
                         json_base64(o->via.ext.ptr, o->via.ext.size));
    case MSGPACK_OBJECT_ARRAY: {
        json_t *a = json_array();
        for (uint32_t i = 0; i < o->via.array.size; i++)
            json_array_append_new(a, cli_to_json(&o->via.array.ptr[i]));
        return a;
    }
    case MSGPACK_OBJECT_MAP: {
        json_t *m = json_object();
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            size_t klen;
            char *k = key_text(&o->via.map.ptr[i].key, &klen);
            json_object_setn_new_nocheck(m, k, klen,
                                         cli_to_json(&o->via.map.ptr[i].val));
            free(k);
        }
        return m;
    }
    }
    return json_null();
}

const char *cli_map_str(const msgpack_object *map, const char *key, char *buf,
                        size_t cap)
{
    const msgpack_object *v = emc_map_get(map, key);
    size_t n = 0;
    if (v != NULL && v->type == MSGPACK_OBJECT_STR) {
        n = v->via.str.size < cap - 1 ? v->via.str.size : cap - 1;
        memcpy(buf, v->via.str.ptr, n);
    }
    buf[n] = '\0';
    return buf;
}
