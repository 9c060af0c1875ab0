/* kiosk_scan.h: what the badge scanner types. A badge's QR code holds
 * "EXPOMATCH1 <event> <id> <badge>"; the scanner types it and Enter. This
 * module owns the payload's parsing and its checks, nothing else. */
#ifndef EM_KIOSK_SCAN_H
#define EM_KIOSK_SCAN_H

#include <stddef.h>

#define KIOSK_ID_MAX 64   /* event and participant ids */
#define KIOSK_BADGE_MIN 8 /* badge secrets, printable ASCII, no spaces */
#define KIOSK_BADGE_MAX 128
/* Longest line a scan may be: the four fields and some slack for spaces. */
#define KIOSK_SCAN_MAX 300

/* One scanned badge. The secret is wiped by kiosk_badge_clear(). */
struct kiosk_badge {
    char event[KIOSK_ID_MAX + 1];
    char id[KIOSK_ID_MAX + 1];
    char secret[KIOSK_BADGE_MAX + 1];
};

enum kiosk_scan_result {
    KIOSK_SCAN_OK = 0,
    KIOSK_SCAN_EMPTY,       /* nothing but spaces */
    KIOSK_SCAN_NOT_BADGE,   /* not an EXPOMATCH1 payload at all */
    KIOSK_SCAN_BAD_FORMAT,  /* EXPOMATCH1, but the fields are wrong */
    KIOSK_SCAN_OTHER_EVENT, /* a good badge of another event */
};

/* Parses len bytes of line (spaces, tabs and a CR around and between the
 * fields are accepted). expected_event, when not NULL, is the kiosk's
 * event: a badge of another one is KIOSK_SCAN_OTHER_EVENT. *out is filled
 * on KIOSK_SCAN_OK (and on KIOSK_SCAN_OTHER_EVENT, minus the secret), and
 * left wiped otherwise. */
enum kiosk_scan_result kiosk_scan_parse(const char *line, size_t len,
                                        const char *expected_event,
                                        struct kiosk_badge *out);

/* Whether s (len bytes) is an event or participant id: 1-64 characters of
 * A-Za-z0-9_.- */
int kiosk_scan_valid_id(const char *s, size_t len);

/* Wipes a badge, its secret first. */
void kiosk_badge_clear(struct kiosk_badge *b);

#endif
