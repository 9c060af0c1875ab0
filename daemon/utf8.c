/* utf8.c: strict UTF-8 validation (RFC 3629, Unicode Table 3-7). */
#include "utf8.h"

bool utf8_valid(const char *s, size_t len, size_t *codepoints)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n = 0;
    while (i < len) {
        unsigned char c = p[i];
        size_t more;
        /* lo/hi bound the second byte: that is where overlongs, surrogates
         * and values past U+10FFFF are excluded. */
        unsigned char lo = 0x80, hi = 0xbf;
        if (c < 0x80) {
            i++;
            n++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            more = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            more = 2;
            if (c == 0xe0)
                lo = 0xa0;
            else if (c == 0xed)
                hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            more = 3;
            if (c == 0xf0)
                lo = 0x90;
            else if (c == 0xf4)
                hi = 0x8f;
        } else {
            return false; /* a continuation byte, C0/C1 or F5-FF */
        }
        if (len - i <= more)
            return false;
        if (p[i + 1] < lo || p[i + 1] > hi)
            return false;
        for (size_t k = 2; k <= more; k++)
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
        i += more + 1;
        n++;
    }
    if (codepoints)
        *codepoints = n;
    return true;
}

size_t utf8_prefix(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t cut = max;
    /* Step back over continuation bytes to the start of a code point. */
    while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
        cut--;
    return cut;
}
