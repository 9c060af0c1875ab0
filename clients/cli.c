/* cli.c: expomatch-cli, calls one expomatchd method with JSON arguments and
 * prints the result as JSON, for scripts and people. */
#include "client.h"
#include "xmalloc.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exit statuses; scripts tell the failures apart by them. */
enum {
    EXIT_REPLY_ERROR = 1, /* the server answered with an error */
    EXIT_AUTH_FAILED = 2, /* auth was refused; the method was not called */
    EXIT_CONNECTION = 3,  /* could not connect, or the connection failed */
    EXIT_USAGE = 64,      /* bad command line (as sysexits' EX_USAGE) */
    EXIT_DATAERR = 65,    /* bad JSON arguments or token file (EX_DATAERR) */
    EXIT_IOERR = 74       /* could not write the result (EX_IOERR) */
};

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT 7411
#define DEFAULT_TIMEOUT_S 30
/* JSON arguments read from stdin: far above the server's 1 MiB request
 * limit, yet small enough that a wrong pipe cannot eat the memory. */
#define MAX_STDIN_BYTES ((size_t)16 << 20)
#define MAX_TOKEN_FILE_BYTES 4096

struct options {
    const char *host;      /* -h */
    int port;              /* -p */
    const char *socket;    /* -s: Unix socket path, wins over host/port */
    const char *token_arg; /* -a, or EXPOMATCH_TOKEN */
    int timeout_s;         /* -t; 0 waits forever */
    int compact;           /* --compact: one line */
    int raw;               /* --raw: a str or bin result printed as is */
    const char *method;    /* METHOD */
    const char *json_args; /* JSON-ARGS, "-" for stdin, NULL for none */
};

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: expomatch-cli [-h HOST] [-p PORT] [-s SOCKET] [-a "
        "TOKEN|@FILE]\n"
        "                     [-t SECONDS] [--compact] [--raw] METHOD "
        "[JSON-ARGS]\n"
        "\n"
        "Calls METHOD on expomatchd with JSON-ARGS (a JSON object; '-' reads "
        "it\n"
        "from stdin) as its named arguments, and prints the result as JSON.\n"
        "\n"
        "  -h HOST       server host, IPv4/IPv6 literal or name (default %s)\n"
        "  -p PORT       server port (default %d)\n"
        "  -s SOCKET     connect to a Unix socket instead of HOST:PORT\n"
        "  -a TOKEN      authenticate first; -a @FILE reads the token from "
        "FILE so\n"
        "                that it does not show in the process list; default: "
        "the\n"
        "                EXPOMATCH_TOKEN environment variable\n"
        "  -t SECONDS    timeout of the connect and of each call (default %d; "
        "0: none)\n"
        "  --compact     print the result on one line\n"
        "  --raw         print a string (or binary) result as it is, not as "
        "JSON\n"
        "  --help        show this help\n"
        "\n"
        "Binary values print as base64 strings; map keys that are not strings\n"
        "are turned into strings.\n"
        "\n"
        "Exit status: 0 success; 1 the server returned an error (printed as\n"
        "'CODE: message' on stderr); 2 authentication failed (METHOD not "
        "called);\n"
        "3 connection failure; 64 usage error; 65 bad JSON-ARGS or token "
        "file;\n"
        "74 the result could not be written.\n",
        DEFAULT_HOST, DEFAULT_PORT, DEFAULT_TIMEOUT_S);
}

/* Parses a decimal integer in [lo, hi]; -1 if it is not one. */
static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* Fills o from argv; returns -1 (after saying why) on a usage error and 1
 * when --help was asked. */
static int parse_options(int argc, char **argv, struct options *o)
{
    enum { OPT_HELP = 256, OPT_COMPACT, OPT_RAW };
    static const struct option longopts[] = {
        {"help", no_argument, NULL, OPT_HELP},
        {"compact", no_argument, NULL, OPT_COMPACT},
        {"raw", no_argument, NULL, OPT_RAW},
        {NULL, 0, NULL, 0},
    };
    long v;
    int ch;

    memset(o, 0, sizeof *o);
    o->host = DEFAULT_HOST;
    o->port = DEFAULT_PORT;
    o->timeout_s = DEFAULT_TIMEOUT_S;
    /* '+': options end at METHOD, so JSON-ARGS is never taken for one. */
    while ((ch = getopt_long(argc, argv, "+h:p:s:a:t:", longopts, NULL)) !=
           -1) {
        switch (ch) {
        case 'h': o->host = optarg; break;
        case 's': o->socket = optarg; break;
        case 'a': o->token_arg = optarg; break;
        case 'p':
            if (parse_int(optarg, 1, 65535, &v) < 0) {
                fprintf(stderr, "expomatch-cli: bad port: %s\n", optarg);
                return -1;
            }
            o->port = (int)v;
            break;
        case 't':
            if (parse_int(optarg, 0, 86400, &v) < 0) {
                fprintf(stderr, "expomatch-cli: bad timeout: %s\n", optarg);
                return -1;
            }
            o->timeout_s = (int)v;
            break;
        case OPT_HELP: return 1;
        case OPT_COMPACT: o->compact = 1; break;
        case OPT_RAW: o->raw = 1; break;
        default: return -1;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "expomatch-cli: no METHOD given\n");
        return -1;
    }
    o->method = argv[optind++];
    if (optind < argc)
        o->json_args = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "expomatch-cli: unexpected argument: %s\n",
                argv[optind]);
        return -1;
    }
    if (o->token_arg == NULL) {
        const char *env = getenv("EXPOMATCH_TOKEN");
        if (env != NULL && env[0] != '\0')
            o->token_arg = env;
    }
    return 0;
}

/* Reads all of f, up to max bytes, into a new NUL-terminated buffer. */
static char *read_all(FILE *f, size_t max, size_t *lenp)
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
static char *load_token(const char *arg)
{
    if (arg[0] != '@')
        return xstrdup(arg);
    FILE *f = fopen(arg + 1, "r");
    if (f == NULL) {
        fprintf(stderr, "expomatch-cli: cannot open token file %s: %s\n",
                arg + 1, strerror(errno));
        return NULL;
    }
    size_t len;
    char *buf = read_all(f, MAX_TOKEN_FILE_BYTES, &len);
    fclose(f);
    if (buf == NULL) {
        fprintf(stderr, "expomatch-cli: cannot read token file %s: %s\n",
                arg + 1, errno == EFBIG ? "too large" : strerror(errno));
        return NULL;
    }
    size_t start = 0;
    while (start < len && strchr(" \t\r\n", buf[start]) != NULL)
        start++;
    while (len > start && strchr(" \t\r\n", buf[len - 1]) != NULL)
        len--;
    memmove(buf, buf + start, len - start);
    buf[len - start] = '\0';
    if (buf[0] == '\0' || strlen(buf) != len - start) {
        fprintf(stderr, "expomatch-cli: token file %s holds no usable token\n",
                arg + 1);
        free(buf);
        return NULL;
    }
    return buf;
}

/* Packs a JSON value as MessagePack. jansson bounds nesting while parsing
 * (2048 levels), which bounds this recursion. */
static void pack_json(msgpack_packer *pk, const json_t *j)
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
            pack_json(pk, val);
        }
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *val;
        msgpack_pack_array(pk, json_array_size(j));
        json_array_foreach(j, i, val) pack_json(pk, val);
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
static int load_args(const char *arg, msgpack_sbuffer *sb)
{
    char *text = NULL;
    size_t len;
    const char *src = arg;

    if (strcmp(arg, "-") == 0) {
        text = read_all(stdin, MAX_STDIN_BYTES, &len);
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
    pack_json(&pk, j);
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

static json_t *to_json(const msgpack_object *o);

/* JSON object keys are strings: other keys are written as their compact
 * JSON text (a number's digits, for instance). */
static char *key_text(const msgpack_object *k, size_t *len)
{
    json_t *j = to_json(k);
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
static json_t *to_json(const msgpack_object *o)
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
            json_array_append_new(a, to_json(&o->via.array.ptr[i]));
        return a;
    }
    case MSGPACK_OBJECT_MAP: {
        json_t *m = json_object();
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            size_t klen;
            char *k = key_text(&o->via.map.ptr[i].key, &klen);
            json_object_setn_new_nocheck(m, k, klen,
                                         to_json(&o->via.map.ptr[i].val));
            free(k);
        }
        return m;
    }
    }
    return json_null();
}

static int print_result(const msgpack_object *obj, const struct options *o)
{
    if (o->raw && obj->type == MSGPACK_OBJECT_STR) {
        fwrite(obj->via.str.ptr, 1, obj->via.str.size, stdout);
    } else if (o->raw && obj->type == MSGPACK_OBJECT_BIN) {
        fwrite(obj->via.bin.ptr, 1, obj->via.bin.size, stdout);
    } else {
        json_t *j = to_json(obj);
        size_t flags =
            JSON_ENCODE_ANY | (o->compact ? JSON_COMPACT : JSON_INDENT(2));
        json_dumpf(j, stdout, flags);
        json_decref(j);
        fputc('\n', stdout);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "expomatch-cli: cannot write the result: %s\n",
                strerror(errno));
        return -1;
    }
    return 0;
}

/* Authenticates when a token was given. Returns 0 or an exit status. */
static int authenticate(struct emc *c, const char *token_arg)
{
    char *token = load_token(token_arg);
    if (token == NULL)
        return EXIT_DATAERR;
    struct emc_error err;
    enum emc_status st = emc_auth(c, token, NULL, &err);
    explicit_bzero(token, strlen(token));
    free(token);
    if (st == EMC_REPLY_ERROR) {
        fprintf(stderr, "auth failed: %s: %s\n", err.code, err.message);
        return EXIT_AUTH_FAILED;
    }
    if (st == EMC_FAILED) {
        fprintf(stderr, "expomatch-cli: auth: %s\n", emc_errstr(c));
        return EXIT_CONNECTION;
    }
    return 0;
}

/* Connects, authenticates, calls, prints. Returns the exit status. */
static int run(const struct options *o, const msgpack_sbuffer *args)
{
    char errbuf[256];
    int timeout_ms = o->timeout_s * 1000;
    struct emc *c =
        o->socket != NULL
            ? emc_connect_unix(o->socket, timeout_ms, errbuf, sizeof errbuf)
            : emc_connect_tcp(o->host, o->port, timeout_ms, errbuf,
                              sizeof errbuf);
    if (c == NULL) {
        fprintf(stderr, "expomatch-cli: %s\n", errbuf);
        return EXIT_CONNECTION;
    }
    int status = o->token_arg != NULL ? authenticate(c, o->token_arg) : 0;
    if (status != 0) {
        emc_close(c);
        return status;
    }
    struct emc_result res;
    struct emc_error err;
    switch (emc_call_packed(c, o->method, args->data, args->size, &res, &err)) {
    case EMC_OK:
        status = print_result(&res.obj, o) < 0 ? EXIT_IOERR : 0;
        emc_result_free(&res);
        break;
    case EMC_REPLY_ERROR:
        fprintf(stderr, "%s: %s\n", err.code, err.message);
        status = EXIT_REPLY_ERROR;
        break;
    case EMC_FAILED:
        fprintf(stderr, "expomatch-cli: %s: %s\n", o->method, emc_errstr(c));
        status = EXIT_CONNECTION;
        break;
    }
    emc_close(c);
    return status;
}

int main(int argc, char **argv)
{
    struct options o;
    int r = parse_options(argc, argv, &o);
    if (r > 0) {
        usage(stdout);
        return 0;
    }
    if (r < 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    msgpack_sbuffer args;
    msgpack_sbuffer_init(&args);
    if (o.json_args != NULL && load_args(o.json_args, &args) < 0) {
        msgpack_sbuffer_destroy(&args);
        return EXIT_DATAERR;
    }
    int status = run(&o, &args);
    msgpack_sbuffer_destroy(&args);
    return status;
}
