/* kiosk_text.c: UTF-8 to safe wide characters, display widths and cutting
 * by columns (see kiosk_text.h). */
#include "kiosk_text.h"

#include <stdint.h>
#include <string.h>

/* Decodes one UTF-8 sequence at s (n bytes left, n >= 1) into *cp.
 * Returns its length; an invalid sequence gives KIOSK_REPLACEMENT and
 * length 1, so decoding always moves on. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        *cp = KIOSK_REPLACEMENT;
        return 1;
    }
    if (n < len) {
        *cp = KIOSK_REPLACEMENT;
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = KIOSK_REPLACEMENT;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = KIOSK_REPLACEMENT;
        return 1;
    }
    *cp = v;
    return len;
}

/* Characters that would reorder or hide what follows on a terminal that
 * honours them: dropped. */
static int is_bidi_control(uint32_t c)
{
    return c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
           (c >= 0x2066 && c <= 0x2069) || c == 0x061C;
}

size_t kiosk_text_decode(const char *s, size_t len, wchar_t *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n = 0;
    while (i < len && n < cap) {
        uint32_t c;
        i += utf8_next(p + i, len - i, &c);
        if (c == '\t' || c == '\n' || c == '\r')
            c = ' ';
        else if (c < 0x20 || (c >= 0x7F && c < 0xA0))
            c = '?';
        else if (is_bidi_control(c))
            continue;
        int w = wcwidth((wchar_t)c);
        if (w < 0) {
            c = KIOSK_REPLACEMENT;
        } else if (w == 0 && n == 0) {
            /* A mark with nothing to sit on would join whatever the screen
             * holds left of the field: give it a space. */
            out[n++] = L' ';
            if (n == cap)
                break;
        }
        out[n++] = (wchar_t)c;
    }
    return n;
}

/* Display width of one decoded character (decoded ones are printable). */
static int char_width(wchar_t c)
{
    int w = wcwidth(c);
    return w < 0 ? 1 : w;
}

int kiosk_text_width(const char *s)
{
    wchar_t buf[256];
    size_t len = strlen(s), i = 0;
    int width = 0;
    /* Decode in pieces cut at character boundaries. */
    while (i < len) {
        size_t chunk = len - i > 200 ? 200 : len - i;
        while (i + chunk < len &&
               ((unsigned char)s[i + chunk] & 0xC0) == 0x80 && chunk > 1)
            chunk--;
        size_t n = kiosk_text_decode(s + i, chunk, buf, 256);
        for (size_t k = 0; k < n; k++)
            width += char_width(buf[k]);
        i += chunk;
    }
    return width;
}

int kiosk_text_fit(const char *s, int cols, wchar_t *out, size_t cap)
{
    /* A screen row holds at most a few hundred columns: decoding that many
     * characters (plus marks) is enough to know whether s fits. */
    enum { MAXCH = 1024 };
    wchar_t buf[MAXCH];
    size_t len = strlen(s);
    size_t n = kiosk_text_decode(s, len, buf, MAXCH);
    int complete = n < MAXCH;
    out[0] = L'\0';
    if (cols <= 0 || cap < 2)
        return 0;

    int total = 0;
    for (size_t k = 0; k < n; k++)
        total += char_width(buf[k]);
    if (complete && total <= cols && n < cap) {
        wmemcpy(out, buf, n);
        out[n] = L'\0';
        return total;
    }
    /* Cut: keep room for the ellipsis (and its terminating NUL). */
    int room = cols - 1, used = 0;
    size_t k = 0;
    while (k < n) {
        int w = char_width(buf[k]);
        /* A letter goes in with the marks that follow it, or not at all. */
        size_t end = k + 1;
        while (end < n && char_width(buf[end]) == 0)
            end++;
        if (used + w > room || end > cap - 2)
            break;
        used += w;
        k = end;
    }
    wmemcpy(out, buf, k);
    out[k] = (wchar_t)KIOSK_ELLIPSIS;
    out[k + 1] = L'\0';
    return used + 1;
}

void kiosk_text_copy(char *dst, size_t dstsize, const char *s)
{
    size_t len = strlen(s);
    if (len >= dstsize) {
        len = dstsize - 1;
        /* Back off to the start of a character. */
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(dst, s, len);
    dst[len] = '\0';
}
