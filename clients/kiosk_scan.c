/* kiosk_scan.c: parsing the badge scanner's line (see kiosk_scan.h). */
#include "kiosk_scan.h"

#include <string.h>

#define MAGIC "EXPOMATCH1"

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int kiosk_scan_valid_id(const char *s, size_t len)
{
    if (len < 1 || len > KIOSK_ID_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

static int valid_secret(const char *s, size_t len)
{
    if (len < KIOSK_BADGE_MIN || len > KIOSK_BADGE_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x21 || s[i] > 0x7E)
            return 0;
    return 1;
}

void kiosk_badge_clear(struct kiosk_badge *b)
{
    explicit_bzero(b->secret, sizeof b->secret);
    memset(b, 0, sizeof *b);
}

enum kiosk_scan_result kiosk_scan_parse(const char *line, size_t len,
                                        const char *expected_event,
                                        struct kiosk_badge *out)
{
    /* Up to five fields, so that a fifth one is seen and refused. */
    const char *f[5];
    size_t flen[5], n = 0;
    kiosk_badge_clear(out);
    for (size_t i = 0; i < len;) {
        if (is_space(line[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && !is_space(line[j]))
            j++;
        if (n == 5)
            return KIOSK_SCAN_BAD_FORMAT;
        f[n] = line + i;
        flen[n++] = j - i;
        i = j;
    }
    if (n == 0)
        return KIOSK_SCAN_EMPTY;
    if (flen[0] != strlen(MAGIC) || memcmp(f[0], MAGIC, flen[0]) != 0)
        return KIOSK_SCAN_NOT_BADGE;
    if (n != 4 || !kiosk_scan_valid_id(f[1], flen[1]) ||
        !kiosk_scan_valid_id(f[2], flen[2]) || !valid_secret(f[3], flen[3]))
        return KIOSK_SCAN_BAD_FORMAT;
    memcpy(out->event, f[1], flen[1]);
    memcpy(out->id, f[2], flen[2]);
    if (expected_event != NULL && strcmp(out->event, expected_event) != 0)
        return KIOSK_SCAN_OTHER_EVENT;
    memcpy(out->secret, f[3], flen[3]);
    return KIOSK_SCAN_OK;
}
