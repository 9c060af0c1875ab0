/* kiosk_i18n.c: locale, catalogs and language switching (see
 * kiosk_i18n.h). */
#include "kiosk_i18n.h"

#include <dirent.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef EM_PREFIX
#define EM_PREFIX "/usr/local"
#endif

static char catalog_dir[PATH_MAX]; /* "" when none was found */
static char default_lang[8] = "en";
static char current_lang[8] = "en";

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Whether dir holds a catalog of this domain for some language. */
static int has_catalogs(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    int found = 0;
    struct dirent *e;
    char path[PATH_MAX];
    while (!found && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        int n = snprintf(path, sizeof path, "%s/%s/LC_MESSAGES/%s.mo", dir,
                         e->d_name, KIOSK_DOMAIN);
        found = n > 0 && (size_t)n < sizeof path && file_exists(path);
    }
    closedir(d);
    return found;
}

/* Takes dir as the catalog directory if it has catalogs. */
static int try_dir(const char *dir)
{
    if (dir[0] == '\0' || strlen(dir) >= sizeof catalog_dir ||
        !has_catalogs(dir))
        return 0;
    snprintf(catalog_dir, sizeof catalog_dir, "%s", dir);
    return 1;
}

/* The directory of the running program, from /proc (argv0 as a fallback).
 * Returns 0 on success. */
static int program_dir(const char *argv0, char *out, size_t size)
{
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n > 0) {
        path[n] = '\0';
    } else if (argv0 != NULL && strchr(argv0, '/') != NULL &&
               realpath(argv0, path) != NULL) {
        /* path filled */
    } else {
        return -1;
    }
    char *slash = strrchr(path, '/');
    if (slash == NULL)
        return -1;
    *slash = '\0';
    if (strlen(path) >= size)
        return -1;
    snprintf(out, size, "%s", path);
    return 0;
}

static void find_catalogs(const char *argv0)
{
    const char *env = getenv("EXPOMATCH_LOCALEDIR");
    if (env != NULL && try_dir(env))
        return;
    char exe[PATH_MAX], dir[PATH_MAX + 64];
    if (program_dir(argv0, exe, sizeof exe) == 0) {
        snprintf(dir, sizeof dir, "%s/../share/locale", exe);
        if (try_dir(dir))
            return;
        /* Run from the source tree: bin/ goes with build/, bin-X/ (make
         * BIN=bin-X BUILD=build-X) with build-X/. */
        const char *base = strrchr(exe, '/');
        base = base ? base + 1 : exe;
        if (strncmp(base, "bin", 3) == 0) {
            snprintf(dir, sizeof dir, "%s/../build%s/locale", exe, base + 3);
            if (try_dir(dir))
                return;
        }
        snprintf(dir, sizeof dir, "%s/../build/locale", exe);
        if (try_dir(dir))
            return;
    }
    try_dir(EM_PREFIX "/share/locale");
}

/* The language code at the start of a locale name or LANGUAGE list
 * ("th_TH.UTF-8" -> "th"); 0 when it names none (C, POSIX, empty). */
static int lang_of(const char *s, char *out, size_t size)
{
    if (s == NULL || s[0] == '\0')
        return 0;
    size_t n = 0;
    while (s[n] >= 'a' && s[n] <= 'z' && n < 3)
        n++;
    if (n < 2 || n >= size || (s[n] != '\0' && strchr("_.@:", s[n]) == NULL))
        return 0;
    memcpy(out, s, n);
    out[n] = '\0';
    return 1;
}

static void pick_default_lang(void)
{
    static const char *const vars[] = {"LANGUAGE", "LC_ALL", "LC_MESSAGES",
                                       "LANG"};
    char lang[8];
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v == NULL || v[0] == '\0')
            continue;
        if (lang_of(v, lang, sizeof lang) && kiosk_i18n_has(lang))
            snprintf(default_lang, sizeof default_lang, "%s", lang);
        /* The first variable that is set decides, as in gettext. */
        return;
    }
}

static int locale_is_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs != NULL &&
           (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
}

int kiosk_i18n_init(const char *argv0)
{
    int ok = 0;
    if (setlocale(LC_ALL, "") == NULL || !locale_is_utf8()) {
        /* The environment names a locale that is not installed or not
         * UTF-8: widths and wide output need UTF-8. */
        if (setlocale(LC_ALL, "C.UTF-8") == NULL &&
            setlocale(LC_ALL, "C.utf8") == NULL)
            ok = -1;
    }
    /* gettext ignores LANGUAGE, which the kiosk switches languages with,
     * while LC_MESSAGES is the plain C locale. */
    const char *msg = setlocale(LC_MESSAGES, NULL);
    if (msg == NULL || strcmp(msg, "C") == 0 || strcmp(msg, "POSIX") == 0) {
        if (setlocale(LC_MESSAGES, "C.UTF-8") == NULL)
            setlocale(LC_MESSAGES, "C.utf8");
    }
    find_catalogs(argv0);
    if (catalog_dir[0] != '\0')
        bindtextdomain(KIOSK_DOMAIN, catalog_dir);
    bind_textdomain_codeset(KIOSK_DOMAIN, "UTF-8");
    textdomain(KIOSK_DOMAIN);
    pick_default_lang();
    kiosk_i18n_use(NULL);
    return ok;
}

const char *kiosk_i18n_dir(void)
{
    return catalog_dir;
}

int kiosk_i18n_has(const char *lang)
{
    char code[8];
    if (!lang_of(lang, code, sizeof code) || strcmp(code, lang) != 0)
        return 0;
    if (strcmp(lang, "en") == 0)
        return 1;
    if (catalog_dir[0] == '\0')
        return 0;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s/LC_MESSAGES/%s.mo", catalog_dir, lang,
             KIOSK_DOMAIN);
    return file_exists(path);
}

void kiosk_i18n_use(const char *lang)
{
    if (lang == NULL || !kiosk_i18n_has(lang))
        lang = default_lang;
    snprintf(current_lang, sizeof current_lang, "%s", lang);
    setenv("LANGUAGE", current_lang, 1);
    /* Setting the domain again makes gettext drop the translations it
     * cached for the previous language. */
    textdomain(KIOSK_DOMAIN);
}

const char *kiosk_i18n_current(void)
{
    return current_lang;
}
