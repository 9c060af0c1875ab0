/* kiosk_screen.h: what the kiosk's terminal shows: the welcome screen,
 * a wait, and a participant's three sections (agenda, requests, meet
 * now), drawn with ncursesw in any script and cut to the terminal's width
 * by display columns. It draws what it is given and reads no keys. */
#ifndef EM_KIOSK_SCREEN_H
#define EM_KIOSK_SCREEN_H

#include "kiosk_session.h"

#include <stdbool.h>
#include <stddef.h>

enum kiosk_tab { KIOSK_TAB_AGENDA, KIOSK_TAB_REQUESTS, KIOSK_TAB_MEETNOW };
#define KIOSK_NTABS 3

enum kiosk_choice {
    KIOSK_CHOICE_NONE,
    KIOSK_CHOICE_ACCEPT,
    KIOSK_CHOICE_DECLINE
};

/* How the participant's screen is being looked at. */
struct kiosk_view {
    enum kiosk_tab tab;
    size_t selected;          /* the request selected (requests section) */
    size_t scroll;            /* first entry shown (agenda, meet now) */
    enum kiosk_choice choice; /* for the selected request */
    char status[512];         /* the message line, "" for none */
    bool status_bad;          /* the message is a problem */
};

/* Takes the terminal over (wide characters, keypad, no echo); raw mode
 * when locked, so that Ctrl-C and Ctrl-Z are plain keys. */
void kiosk_screen_start(bool locked);

/* Gives the terminal back. */
void kiosk_screen_stop(void);

/* Wipes the terminal entirely (at the next refresh), so nothing of the
 * last participant stays. */
void kiosk_screen_wipe(void);

/* The welcome screen: "Scan your badge", the number of characters typed
 * so far (shown masked), and a message (NULL for none). */
void kiosk_draw_welcome(const char *event_name, size_t typed,
                        const char *message);

/* A centered line on an otherwise empty screen, while a call runs. */
void kiosk_draw_wait(const char *event_name, const char *text);

/* The participant's screen. */
void kiosk_draw_person(const char *event_name, const struct kiosk_person *p,
                       const struct kiosk_view *v);

/* Entries of a list section that fit on one page at the current size
 * (requests take two rows each), at least 1. */
size_t kiosk_screen_page(enum kiosk_tab tab);

/* "HH:MM" of a stored local time "YYYY-MM-DDTHH:MM:SS", else the text as
 * it is; out holds at least 6 bytes. */
void kiosk_clock(const char *t, char *out, size_t size);

#endif
