/* kiosk_text.h: the kiosk's text as the terminal shows it: UTF-8 decoded
 * into wide characters made safe to print (no control characters, no
 * bidirectional overrides, no mark without a base), measured and cut to a
 * number of columns by display width, never in the middle of a character
 * or between a letter and its combining marks.
 *
 * Widths come from wcwidth(), so LC_CTYPE must be a UTF-8 locale (the
 * kiosk sets one at start). No curses here, so it is unit-testable. */
#ifndef EM_KIOSK_TEXT_H
#define EM_KIOSK_TEXT_H

#include <stddef.h>
#include <wchar.h>

/* The replacement for bytes that are not UTF-8 and characters that cannot
 * be shown. */
#define KIOSK_REPLACEMENT 0xFFFD
/* Ends a cut string: one column. */
#define KIOSK_ELLIPSIS 0x2026

/* Decodes len bytes of s into at most cap wide characters of out, made
 * safe to print (see above); stops early when out is full. Returns how
 * many were written. */
size_t kiosk_text_decode(const char *s, size_t len, wchar_t *out, size_t cap);

/* Columns the NUL-terminated UTF-8 string s takes once decoded. */
int kiosk_text_width(const char *s);

/* Writes into out (cap >= 2) the longest start of s that fits in cols
 * columns, ended by an ellipsis when s had to be cut, and a terminating
 * L'\0'. Combining marks stay with their letter. Returns the columns
 * used (0 to cols). */
int kiosk_text_fit(const char *s, int cols, wchar_t *out, size_t cap);

/* Copies the NUL-terminated UTF-8 string s into dst (size dstsize >= 1)
 * whole, or cut at a character boundary when it is longer. */
void kiosk_text_copy(char *dst, size_t dstsize, const char *s);

#endif
