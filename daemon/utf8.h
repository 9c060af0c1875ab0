/* utf8.h: strict UTF-8 validation and code point counting for text that
 * arrives from the wire. */
#ifndef EM_UTF8_H
#define EM_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is well-formed UTF-8: no overlong forms, no UTF-16
 * surrogates (U+D800-U+DFFF), nothing above U+10FFFF, no truncated
 * sequence. U+0000 is well-formed and accepted here. On success, when
 * codepoints is not NULL, stores the number of code points. */
bool utf8_valid(const char *s, size_t len, size_t *codepoints);

/* The byte length of the longest prefix of the valid UTF-8 string s[0..len)
 * that is at most max bytes and does not split a code point. */
size_t utf8_prefix(const char *s, size_t len, size_t max);

#endif
