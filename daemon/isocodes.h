/* isocodes.h: ISO 3166-1 alpha-2 country codes and ISO 639-1 language
 * codes with their English names. The tables are generated at build time
 * from Debian's iso-codes by tools/gen_isocodes.py (build/gen/isocodes.c). */
#ifndef EM_ISOCODES_H
#define EM_ISOCODES_H

#include <stdbool.h>
#include <stddef.h>

/* Two upper-case letters that are an ISO 3166-1 alpha-2 code. */
bool iso_country_valid(const char *s, size_t len);

/* Two lower-case letters that are an ISO 639-1 code. */
bool iso_language_valid(const char *s, size_t len);

/* English names of a NUL-terminated code ("TH" -> "Thailand", "th" ->
 * "Thai"); NULL when the code is unknown. */
const char *iso_country_name(const char *code);
const char *iso_language_name(const char *code);

/* Table sizes, for tests and listings. */
size_t iso_country_count(void);
size_t iso_language_count(void);

#endif
