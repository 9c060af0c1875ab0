/* err.h: error values shared by every module: a code from the wire contract
 * and a message for people that names the offending field. */
#ifndef EM_ERR_H
#define EM_ERR_H

#include <stddef.h>

enum errcode {
    ERR_NONE = 0,
    ERR_BAD_REQUEST,
    ERR_UNKNOWN_METHOD,
    ERR_UNAUTHORIZED,
    ERR_FORBIDDEN,
    ERR_NOT_FOUND,
    ERR_CONFLICT,
    ERR_UNAVAILABLE,
    ERR_TOO_LARGE,
    ERR_RATE_LIMITED,
    ERR_INTERNAL,
    ERR__COUNT
};

struct err {
    enum errcode code;
    char msg[256];
};

/* Fills err (when not NULL) and returns -1, so callers can write
 * `return err_set(err, ERR_BAD_REQUEST, "...")`. */
int err_set(struct err *err, enum errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The contract's name of a code ("bad_request"...). */
const char *errcode_name(enum errcode code);

/* The code named by a word such as "conflict"; ERR_NONE if unknown. */
enum errcode errcode_from_name(const char *name, size_t len);

#endif
