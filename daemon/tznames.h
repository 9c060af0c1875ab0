/* tznames.h: the IANA time zone names, generated at build time from
 * Debian's tzdata (tools/gen_tznames.py). */
#ifndef EM_TZNAMES_H
#define EM_TZNAMES_H

#include <stdbool.h>
#include <stddef.h>

/* Whether s (len bytes) names an IANA zone or link. */
bool tz_name_is_iana(const char *s, size_t len);

#endif
