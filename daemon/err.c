/* err.c: error codes and their wire names. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const names[ERR__COUNT] = {
    [ERR_NONE] = "none",
    [ERR_BAD_REQUEST] = "bad_request",
    [ERR_UNKNOWN_METHOD] = "unknown_method",
    [ERR_UNAUTHORIZED] = "unauthorized",
    [ERR_FORBIDDEN] = "forbidden",
    [ERR_NOT_FOUND] = "not_found",
    [ERR_CONFLICT] = "conflict",
    [ERR_UNAVAILABLE] = "unavailable",
    [ERR_TOO_LARGE] = "too_large",
    [ERR_RATE_LIMITED] = "rate_limited",
    [ERR_INTERNAL] = "internal",
};

int err_set(struct err *err, enum errcode code, const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

const char *errcode_name(enum errcode code)
{
    if ((unsigned)code >= ERR__COUNT)
        return "internal";
    return names[code];
}

enum errcode errcode_from_name(const char *name, size_t len)
{
    for (int c = ERR_BAD_REQUEST; c < ERR__COUNT; c++)
        if (strlen(names[c]) == len && memcmp(names[c], name, len) == 0)
            return (enum errcode)c;
    return ERR_NONE;
}
