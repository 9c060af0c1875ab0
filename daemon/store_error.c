/* store_error.c: Redis error replies mapped to the contract's codes, and
 * redacted for the log. */
#include "store_error.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool word_is(const char *w, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(w, lit, n) == 0;
}

size_t store_error_word_len(const char *s, const char *end)
{
    const char *p = s;
    while (p < end && *p != ' ')
        p++;
    return (size_t)(p - s);
}

/* Redis appends " script: <name>, on @user_function:<line>." to errors
 * raised with error({err=...}); clients need none of that. */
static size_t strip_script_suffix(const char *s, size_t n)
{
    static const char tag[] = " script: ";
    size_t cut = n;
    for (size_t i = 0; i + sizeof tag - 1 <= n; i++)
        if (memcmp(s + i, tag, sizeof tag - 1) == 0)
            cut = i;
    if (cut == n)
        return n;
    for (size_t i = cut; i + 6 <= n; i++)
        if (memcmp(s + i, ", on @", 6) == 0)
            return cut;
    return n;
}

enum errcode store_error_map(const char *s, size_t len, struct err *err,
                             bool *generic)
{
    const char *end = s + len;
    size_t w = store_error_word_len(s, end);
    *generic = false;
    /* Transient states of a healthy Redis: the caller may retry. BUSY must
     * match whole, or BUSYGROUP and BUSYKEY would count as transient. */
    /* READONLY: a primary demoted by a failover; the link asks the
     * sentinels again (store.c). NOREPLICAS: a primary with
     * min-replicas-to-write that has lost its replicas refuses writes
     * (docs/operations.md). */
    if (word_is(s, w, "LOADING") || word_is(s, w, "BUSY") ||
        word_is(s, w, "MASTERDOWN") || word_is(s, w, "TRYAGAIN") ||
        word_is(s, w, "READONLY") || word_is(s, w, "NOREPLICAS")) {
        err_set(err, ERR_UNAVAILABLE, "store is temporarily unavailable (%.*s)",
                (int)w, s);
        return ERR_UNAVAILABLE;
    }
    /* A function's redis.error_reply("conflict x") arrives as-is, but one
     * without a space ("not_found") arrives as "ERR not_found". */
    const char *p = s;
    if (word_is(s, w, "ERR") && w < len) {
        p = s + w + 1;
        w = store_error_word_len(p, end);
    }
    enum errcode code = errcode_from_name(p, w);
    if (code != ERR_NONE) {
        const char *mend = p + strip_script_suffix(p, (size_t)(end - p));
        const char *msg = p + w < mend ? p + w + 1 : mend;
        size_t mlen = (size_t)(mend - msg);
        if (mlen == 0)
            err_set(err, code, "%s", errcode_name(code));
        else
            err_set(err, code, "%.*s", (int)mlen, msg);
        return code;
    }
    *generic = true;
    err_set(err, ERR_INTERNAL, "the store rejected the request");
    return ERR_INTERNAL;
}

enum errcode store_map_error(const char *str, size_t len, struct err *err)
{
    bool generic;
    return store_error_map(str, len, err, &generic);
}

/* Copies a Redis error for the log with quoted parts blanked: Redis quotes
 * command arguments ("unknown command 'X', with args beginning with: ..."),
 * and arguments may be secrets. */
void store_error_redact(const char *s, size_t len, char *out, size_t outsz)
{
    size_t o = 0;
    char quote = 0;
    for (size_t i = 0; i < len && o + 4 < outsz; i++) {
        char c = s[i];
        if (quote) {
            if (c == quote) {
                memcpy(out + o, "...", 3);
                o += 3;
                out[o++] = c;
                quote = 0;
            }
            continue;
        }
        if (c == '\'' || c == '"')
            quote = c;
        out[o++] = (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    out[o] = '\0';
}
