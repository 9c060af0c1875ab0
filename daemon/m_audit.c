/* m_audit.c: audit.list, the pages of an event's audit trail (written by
 * audit.c), oldest first or, with `reverse`, newest first. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "handlers.h"
#include "keys.h"
#include "server.h"

#define CURSOR_MAX 41 /* "<ms>-<seq>", two 20-digit numbers at most */

/* A stream id as Redis writes them: digits, '-', digits. */
static bool cursor_valid(const char *s, size_t n)
{
    if (n == 0 || n > CURSOR_MAX)
        return false;
    const char *dash = memchr(s, '-', n);
    if (dash == NULL || dash == s || dash == s + n - 1)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s + i != dash && (s[i] < '0' || s[i] > '9'))
            return false;
    return (size_t)(dash - s) <= 20 && (size_t)(s + n - dash - 1) <= 20;
}

static bool is(const redisReply *e, const char *s)
{
    return e->len == strlen(s) && memcmp(e->str, s, e->len) == 0;
}

/* Unix milliseconds as ISO 8601 UTC with milliseconds. */
static void pack_time(msgpack_packer *pk, const redisReply *v)
{
    int64_t ms = strtoll(v->str, NULL, 10);
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[40];
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof buf - n, ".%03dZ", (int)(ms % 1000));
    mp_pack_cstr(pk, buf);
}

/* Stored field names and the names an entry shows them under. */
static const char *const shown[][2] = {
    {"t", "time"},     {"tok", "token"},  {"role", "role"}, {"m", "method"},
    {"tgt", "target"}, {"res", "result"}, {"act", "actor"}, {"peer", "peer"},
};
#define NSHOWN (sizeof shown / sizeof shown[0])

static int shown_index(const redisReply *name)
{
    for (size_t i = 0; i < NSHOWN; i++)
        if (is(name, shown[i][0]))
            return (int)i;
    return -1;
}

/* One entry: its id, then f holds nf field and value strings; fields
 * this version does not know are left out. */
static void pack_entry(msgpack_packer *pk, const redisReply *id, redisReply **f,
                       size_t nf)
{
    size_t known = 0;
    for (size_t j = 0; j + 1 < nf; j += 2)
        if (shown_index(f[j]) >= 0)
            known++;
    msgpack_pack_map(pk, 1 + known);
    mp_pack_cstr(pk, "id");
    mp_pack_strn(pk, id->str, id->len);
    for (size_t j = 0; j + 1 < nf; j += 2) {
        int k = shown_index(f[j]);
        if (k < 0)
            continue;
        mp_pack_cstr(pk, shown[k][1]);
        if (k == 0)
            pack_time(pk, f[j + 1]);
        else
            mp_pack_strn(pk, f[j + 1]->str, f[j + 1]->len);
    }
}

/* Checks the flat reply's shape; the number of entries, or -1. */
static long count_entries(const redisReply *reply)
{
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
        reply->element[0]->type != REDIS_REPLY_STRING)
        return -1;
    long n = 0;
    size_t i = 1;
    while (i < reply->elements) {
        if (i + 1 >= reply->elements ||
            reply->element[i]->type != REDIS_REPLY_STRING ||
            reply->element[i + 1]->type != REDIS_REPLY_INTEGER)
            return -1;
        long long nf = reply->element[i + 1]->integer;
        if (nf < 0 || (size_t)nf > reply->elements - i - 2)
            return -1;
        for (size_t j = 0; j < (size_t)nf; j++)
            if (reply->element[i + 2 + j]->type != REDIS_REPLY_STRING)
                return -1;
        i += 2 + (size_t)nf;
        n++;
    }
    return n;
}

static void on_list(void *priv, const redisReply *reply, const struct err *err)
{
    struct req *r = priv;
    if (err) {
        rpc_reply_err(r, err);
        return;
    }
    long n = count_entries(reply);
    if (n < 0) {
        rpc_reply_error(r, ERR_INTERNAL, "unexpected audit.list reply");
        return;
    }
    msgpack_packer *pk = rpc_reply_begin(r);
    msgpack_pack_map(pk, 2);
    mp_pack_cstr(pk, "entries");
    msgpack_pack_array(pk, (size_t)n);
    size_t i = 1;
    for (long k = 0; k < n; k++) {
        size_t nf = (size_t)reply->element[i + 1]->integer;
        pack_entry(pk, reply->element[i], reply->element + i + 2, nf);
        i += 2 + nf;
    }
    rpc_pack_cursor(pk, reply->element[0]->str, reply->element[0]->len);
    rpc_reply_end(r);
}

/* args: event, cursor, count, reverse */
void h_audit_list(struct req *r, const msgpack_object *map,
                  const msgpack_object **args)
{
    char event[65];
    if (arg_ids(r, "event", args[0], event, NULL, NULL) < 0)
        return;
    char cursor[CURSOR_MAX + 1] = "";
    if (args[1]) {
        const msgpack_object *o = args[1];
        if (!cursor_valid(o->via.str.ptr, o->via.str.size)) {
            rpc_reply_error(r, ERR_BAD_REQUEST,
                            "cursor: not a cursor of audit.list");
            return;
        }
        memcpy(cursor, o->via.str.ptr, o->via.str.size);
        cursor[o->via.str.size] = '\0';
    }
    int64_t count;
    if (!rpc_list_count(r, args[2], &count))
        return;
    bool reverse = args[3] && args[3]->via.boolean;
    char kev[KEY_MAX], kaudit[KEY_MAX];
    struct cmd c;
    cmd_fcall(&c, "em_audit_list", 2);
    cmd_adds(&c, key_fmt(kev, event, "event", NULL));
    cmd_adds(&c, key_fmt(kaudit, event, "audit", NULL));
    cmd_adds(&c, event);
    cmd_adds(&c, cursor);
    cmd_addi(&c, count);
    cmd_adds(&c, reverse ? "1" : "0");
    cmd_send(&c, srv_global->store, on_list, r);
}
