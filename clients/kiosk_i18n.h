/* kiosk_i18n.h: the kiosk's own words, from the expomatch-kiosk gettext
 * catalogs, and the choice of their language: the kiosk's default (from
 * LANGUAGE, LC_ALL, LC_MESSAGES or LANG; English without one) on the
 * welcome screen, the participant's own once a badge is scanned.
 *
 * Where the catalogs are: $EXPOMATCH_LOCALEDIR; else <dir of the program>/
 * ../share/locale (installed); else the build tree next to the program
 * (bin/ -> build/locale, bin-X/ -> build-X/locale); else PREFIX/share/
 * locale. */
#ifndef EM_KIOSK_I18N_H
#define EM_KIOSK_I18N_H

#include <libintl.h>
#include <stddef.h>

#define KIOSK_DOMAIN "expomatch-kiosk"

/* _() translates now; N_() only marks a string for xgettext. */
#define _(s) gettext(s)
#define N_(s) (s)

/* Sets a UTF-8 locale (the environment's when it is one, else C.UTF-8)
 * and binds the catalogs; argv0 helps find them. Returns 0, or -1 when
 * no UTF-8 locale could be set (text outside ASCII will then show as
 * replacement marks). */
int kiosk_i18n_init(const char *argv0);

/* The directory the catalogs were taken from, or "" when none was found
 * (then everything shows in English). */
const char *kiosk_i18n_dir(void);

/* Whether the kiosk can speak lang (an ISO 639-1 code): English always,
 * others when their catalog is there. */
int kiosk_i18n_has(const char *lang);

/* Switches the words to lang (which kiosk_i18n_has), or back to the
 * kiosk's default when lang is NULL. */
void kiosk_i18n_use(const char *lang);

/* The language now in use ("en", "th"...). */
const char *kiosk_i18n_current(void);

#endif
