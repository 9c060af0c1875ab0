/* numarg.h: numbers given on a client's command line, whole or refused. */
#ifndef EM_NUMARG_H
#define EM_NUMARG_H

#include <errno.h>
#include <stdlib.h>

/* A decimal integer in [lo, hi] into *out; -1 (and *out untouched) if s
 * is anything else. */
static inline int emc_parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* A number in [lo, hi] into *out; -1 (and *out untouched) otherwise. */
static inline int emc_parse_double(const char *s, double lo, double hi,
                                   double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

#endif
