/* kiosk.c: expomatch-kiosk, the full-screen program of an expo kiosk: its
 * options, the kiosk token, and the loop that turns keys (a badge
 * scanner types like a keyboard) into screens. Screens are drawn by
 * kiosk_screen.c, calls made by kiosk_session.c. */
#include "kiosk_i18n.h"
#include "kiosk_scan.h"
#include "kiosk_screen.h"
#include "kiosk_session.h"
#include "numarg.h"
#include "token.h"
#include "xmalloc.h"

#include <curses.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT 7411
#define DEFAULT_IDLE_S 60
#define DEFAULT_CALL_S 5
#define MESSAGE_S 8 /* a message on the welcome screen */
#define KEY_ESC 27

/* Exit statuses, as expomatch-cli's. */
enum { EXIT_AUTH = 2, EXIT_USAGE = 64, EXIT_DATA = 65 };

struct options {
    struct kiosk_config cfg;
    char *token_arg;     /* -a, or EXPOMATCH_TOKEN */
    bool token_from_env; /* token_arg is EXPOMATCH_TOKEN's value */
    int idle_s;          /* --timeout */
    bool allow_quit;     /* --allow-quit */
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: expomatch-kiosk [-h HOST] [-p PORT] [-s SOCKET] -a "
        "TOKEN|@FILE\n"
        "                       [--timeout SECONDS] [--event EVENT] [-t "
        "SECONDS]\n"
        "                       [--allow-quit] [--tls] [--cacert FILE]\n"
        "                       [--cert FILE --key FILE]\n"
        "\n"
        "The full-screen program of an expo kiosk. A badge scanner types the\n"
        "badge's QR code (EXPOMATCH1 <event> <id> <badge>) and Enter; the\n"
        "participant is checked in and sees its agenda, the requests waiting\n"
        "for its answer and whom it could meet now, in its own language.\n"
        "\n"
        "Options:\n"
        "  -h HOST          server host (default %s)\n"
        "  -p PORT          server port (default %d)\n"
        "  -s SOCKET        connect to a Unix socket instead of HOST:PORT\n"
        "  -a TOKEN|@FILE   the kiosk token (role kiosk); @FILE reads it from\n"
        "                   FILE so that it does not show in the process "
        "list;\n"
        "                   default: the EXPOMATCH_TOKEN environment variable\n"
        "  --timeout SECS   back to the welcome screen after SECS idle "
        "(default %d)\n"
        "  --event EVENT    the event served (default: the token's one event)\n"
        "  -t SECS          timeout of the connect and of each call (default "
        "%d)\n"
        "  --allow-quit     Ctrl-C quits (otherwise only a signal does, as "
        "befits\n"
        "                   a kiosk in a public hall)\n"
        "  --tls            speak TLS (the daemon's tls-port)\n"
        "  --cacert FILE    the CA that signed the server's certificate "
        "(implies\n"
        "                   --tls; default: the system's CAs)\n"
        "  --cert FILE      this kiosk's certificate, for a daemon that asks "
        "one of\n"
        "                   kiosks (tls-client-cert kiosk or require)\n"
        "  --key FILE       its private key (default: in --cert's file)\n"
        "  --help           show this help\n"
        "\n"
        "Catalogs: $EXPOMATCH_LOCALEDIR, else ../share/locale or the build "
        "tree\n"
        "next to the program. Exit status: 0 after a signal; 2 the token was\n"
        "refused; 64 usage error; 65 bad token file.\n",
        DEFAULT_HOST, DEFAULT_PORT, DEFAULT_IDLE_S, DEFAULT_CALL_S);
}

/* Returns 0, -1 on a usage error (explained), -2 for --help. */
static int parse_options(int argc, char **argv, struct options *o)
{
    enum {
        OPT_HELP = 256,
        OPT_TIMEOUT,
        OPT_EVENT,
        OPT_ALLOW_QUIT,
        OPT_TLS,
        OPT_CACERT,
        OPT_CERT,
        OPT_KEY
    };
    static const struct option longopts[] = {
        {"help", no_argument, NULL, OPT_HELP},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"event", required_argument, NULL, OPT_EVENT},
        {"allow-quit", no_argument, NULL, OPT_ALLOW_QUIT},
        {"tls", no_argument, NULL, OPT_TLS},
        {"cacert", required_argument, NULL, OPT_CACERT},
        {"cert", required_argument, NULL, OPT_CERT},
        {"key", required_argument, NULL, OPT_KEY},
        {NULL, 0, NULL, 0},
    };
    int ch;
    long v;
    memset(o, 0, sizeof *o);
    o->cfg.host = DEFAULT_HOST;
    o->cfg.port = DEFAULT_PORT;
    o->cfg.call_timeout_ms = DEFAULT_CALL_S * 1000;
    o->idle_s = DEFAULT_IDLE_S;
    while ((ch = getopt_long(argc, argv, "h:p:s:a:t:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h': o->cfg.host = optarg; break;
        case 's': o->cfg.socket = optarg; break;
        case 'a': o->token_arg = optarg; break;
        case OPT_TLS: o->cfg.tls = true; break;
        case OPT_CACERT:
            o->cfg.tls = true;
            o->cfg.tls_opts.ca_file = optarg;
            break;
        case OPT_CERT:
            o->cfg.tls = true;
            o->cfg.tls_opts.cert_file = optarg;
            break;
        case OPT_KEY:
            o->cfg.tls = true;
            o->cfg.tls_opts.key_file = optarg;
            break;
        case 'p':
            if (emc_parse_long(optarg, 1, 65535, &v) < 0) {
                fprintf(stderr, "expomatch-kiosk: bad port: %s\n", optarg);
                return -1;
            }
            o->cfg.port = (int)v;
            break;
        case 't':
            if (emc_parse_long(optarg, 1, 600, &v) < 0) {
                fprintf(stderr, "expomatch-kiosk: bad -t: %s\n", optarg);
                return -1;
            }
            o->cfg.call_timeout_ms = (int)v * 1000;
            break;
        case OPT_TIMEOUT:
            if (emc_parse_long(optarg, 1, 86400, &v) < 0) {
                fprintf(stderr, "expomatch-kiosk: bad --timeout: %s\n", optarg);
                return -1;
            }
            o->idle_s = (int)v;
            break;
        case OPT_EVENT:
            if (!kiosk_scan_valid_id(optarg, strlen(optarg))) {
                fprintf(stderr, "expomatch-kiosk: bad event id: %s\n", optarg);
                return -1;
            }
            o->cfg.event = optarg;
            break;
        case OPT_ALLOW_QUIT: o->allow_quit = true; break;
        case OPT_HELP: return -2;
        default: return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "expomatch-kiosk: unexpected argument: %s\n",
                argv[optind]);
        return -1;
    }
    if (o->token_arg == NULL) {
        char *env = getenv("EXPOMATCH_TOKEN");
        if (env != NULL && env[0] != '\0') {
            o->token_arg = env;
            o->token_from_env = true;
        }
    }
    if (o->token_arg == NULL) {
        fprintf(stderr, "expomatch-kiosk: a kiosk token is needed (-a or "
                        "EXPOMATCH_TOKEN)\n");
        return -1;
    }
    return 0;
}

/* The token from -a TOKEN, -a @FILE or the environment, trimmed of
 * surrounding white space; NULL (after saying why) when unreadable. A
 * token given on the command line is blanked there, which shortens the
 * time it shows in the process list (use @FILE to avoid it altogether);
 * one from the environment leaves the environment. */
static char *load_token(char *arg, bool from_env)
{
    char err[300];
    char *tok = emc_token_load(arg, err, sizeof err);
    if (tok == NULL) {
        fprintf(stderr, "expomatch-kiosk: %s\n", err);
        return NULL;
    }
    if (from_env)
        unsetenv("EXPOMATCH_TOKEN");
    else if (arg[0] != '@')
        memset(arg, 'x', strlen(arg));
    return tok;
}

/* ---- the loop ---- */

enum state { WELCOME, PERSON };

struct kiosk {
    struct options *o;
    struct kiosk_client client;
    enum state state;
    char line[KIOSK_SCAN_MAX + 1]; /* what the scanner typed so far */
    size_t len;
    bool overflow;     /* the line went past KIOSK_SCAN_MAX */
    char message[512]; /* on the welcome screen, "" for none */
    time_t message_at; /* when it was set */
    time_t last_key;   /* for the idle timeout */
    struct kiosk_person person;
    struct kiosk_view view;
};

static const char *event_name(const struct kiosk *k)
{
    if (k->client.event_name != NULL)
        return k->client.event_name;
    return k->client.event[0] != '\0' ? k->client.event : k->o->cfg.event;
}

static void wipe_line(struct kiosk *k)
{
    explicit_bzero(k->line, sizeof k->line);
    k->len = 0;
    k->overflow = false;
}

/* Back to the welcome screen: the participant's data is erased from
 * memory and from the terminal, and the kiosk's own language is back. */
static void to_welcome(struct kiosk *k, const char *message)
{
    /* The message is copied first: it may be a translation of the
     * participant's language, which is about to change. */
    snprintf(k->message, sizeof k->message, "%s", message ? message : "");
    k->message_at = time(NULL);
    kiosk_person_clear(&k->person);
    memset(&k->view, 0, sizeof k->view);
    wipe_line(k);
    kiosk_i18n_use(NULL);
    k->state = WELCOME;
    kiosk_screen_wipe();
}

static void redraw(struct kiosk *k)
{
    if (k->state == WELCOME)
        kiosk_draw_welcome(event_name(k), k->len, k->message);
    else
        kiosk_draw_person(event_name(k), &k->person, &k->view);
}

/* What to tell the participant when a step failed (in the language in
 * use). */
static const char *failure_text(enum kiosk_outcome out)
{
    switch (out) {
    case KIOSK_BAD_BADGE:
        return _("This badge was not recognized. Please ask staff.");
    case KIOSK_LOCKED:
        return _("Too many attempts with this badge. Please try again in a "
                 "few minutes.");
    case KIOSK_REFUSED:
        return _("This kiosk is not set up correctly. Please ask staff.");
    case KIOSK_CONFLICT: return _("This request is no longer open.");
    case KIOSK_UNAVAILABLE:
    case KIOSK_FAILED:
    default: return _("Service unavailable, please ask staff.");
    }
}

/* The first of the participant's languages the kiosk speaks, else
 * English. */
static const char *person_language(const struct kiosk_person *p)
{
    for (size_t i = 0; i < p->nlanguages; i++)
        if (kiosk_i18n_has(p->languages[i]))
            return p->languages[i];
    return "en";
}

/* A scanned line ended with Enter. */
static void on_scan(struct kiosk *k)
{
    struct kiosk_badge badge;
    enum kiosk_scan_result r = KIOSK_SCAN_BAD_FORMAT;
    if (!k->overflow) {
        /* The event may not be known yet when the server was down at
         * start: connect now to learn it. */
        if (k->client.event[0] == '\0')
            kiosk_client_open(&k->client);
        const char *ev =
            k->client.event[0] != '\0' ? k->client.event : k->o->cfg.event;
        r = kiosk_scan_parse(k->line, k->len, ev, &badge);
    }
    wipe_line(k);
    switch (r) {
    case KIOSK_SCAN_OK: break;
    case KIOSK_SCAN_EMPTY: redraw(k); return;
    case KIOSK_SCAN_OTHER_EVENT:
        to_welcome(k, _("This badge is for another event."));
        redraw(k);
        return;
    default:
        to_welcome(k, _("This is not an expomatch badge. Please scan the QR "
                        "code on your badge."));
        redraw(k);
        return;
    }
    if (k->client.event[0] == '\0') {
        kiosk_badge_clear(&badge);
        to_welcome(k, failure_text(KIOSK_UNAVAILABLE));
        redraw(k);
        return;
    }
    kiosk_draw_wait(event_name(k), _("One moment, please..."));
    enum kiosk_outcome out = kiosk_person_load(&k->client, &badge, &k->person);
    kiosk_badge_clear(&badge);
    if (out != KIOSK_OK) {
        to_welcome(k, failure_text(out));
        redraw(k);
        return;
    }
    kiosk_i18n_use(person_language(&k->person));
    memset(&k->view, 0, sizeof k->view);
    k->state = PERSON;
    kiosk_screen_wipe();
    redraw(k);
}

/* Enter on the requests section: answers the selected request. */
static void confirm(struct kiosk *k)
{
    struct kiosk_view *v = &k->view;
    struct kiosk_person *p = &k->person;
    v->status_bad = false;
    if (v->tab != KIOSK_TAB_REQUESTS || v->selected >= p->nrequests)
        return;
    if (p->requests[v->selected].answer != KIOSK_OPEN) {
        snprintf(v->status, sizeof v->status, "%s",
                 _("This request is already answered."));
        return;
    }
    if (v->choice == KIOSK_CHOICE_NONE) {
        snprintf(v->status, sizeof v->status, "%s",
                 _("First choose Accept (Left) or Decline (Right)."));
        return;
    }
    bool accept = v->choice == KIOSK_CHOICE_ACCEPT;
    kiosk_draw_wait(event_name(k), _("One moment, please..."));
    enum kiosk_outcome out =
        kiosk_person_respond(&k->client, p, v->selected, accept);
    v->choice = KIOSK_CHOICE_NONE;
    if (out == KIOSK_UNAVAILABLE || out == KIOSK_REFUSED ||
        out == KIOSK_BAD_BADGE || out == KIOSK_LOCKED) {
        to_welcome(k, failure_text(out));
        return;
    }
    const struct kiosk_request *r = &p->requests[v->selected];
    char at[16];
    switch (out == KIOSK_OK ? r->answer : KIOSK_GONE) {
    case KIOSK_SCHEDULED:
        kiosk_clock(r->start, at, sizeof at);
        snprintf(v->status, sizeof v->status,
                 _("Accepted: your meeting is at %s, table %s."), at,
                 r->table ? r->table : "-");
        break;
    case KIOSK_ACCEPTED:
        snprintf(v->status, sizeof v->status, "%s",
                 _("Accepted, waiting for a slot. Check your agenda later."));
        break;
    case KIOSK_DECLINED:
        snprintf(v->status, sizeof v->status, "%s", _("Declined."));
        break;
    default:
        snprintf(v->status, sizeof v->status, "%s",
                 out == KIOSK_OK || out == KIOSK_CONFLICT
                     ? failure_text(KIOSK_CONFLICT)
                     : failure_text(out));
        v->status_bad = true;
    }
}

static size_t section_size(const struct kiosk *k)
{
    switch (k->view.tab) {
    case KIOSK_TAB_AGENDA: return k->person.nagenda;
    case KIOSK_TAB_REQUESTS: return k->person.nrequests;
    default: return k->person.nsuggestions;
    }
}

static void move_selection(struct kiosk *k, int delta)
{
    struct kiosk_view *v = &k->view;
    size_t n = section_size(k);
    if (v->tab == KIOSK_TAB_REQUESTS) {
        if (delta < 0 && v->selected > 0)
            v->selected--;
        else if (delta > 0 && v->selected + 1 < n)
            v->selected++;
        v->choice = KIOSK_CHOICE_NONE;
        return;
    }
    size_t page = kiosk_screen_page(v->tab);
    if (delta < 0 && v->scroll > 0)
        v->scroll--;
    else if (delta > 0 && v->scroll + page < n)
        v->scroll++;
}

static void switch_tab(struct kiosk *k, int tab)
{
    k->view.tab = (enum kiosk_tab)((tab + KIOSK_NTABS) % KIOSK_NTABS);
    k->view.scroll = 0;
    k->view.selected = 0;
    k->view.choice = KIOSK_CHOICE_NONE;
    k->view.status[0] = '\0';
}

/* A key on the participant's screen. Returns false when it starts a new
 * scan instead (an upper-case E: the scanner's "EXPOMATCH1"). */
static bool person_key(struct kiosk *k, int is_key, wint_t ch)
{
    struct kiosk_view *v = &k->view;
    if (is_key) {
        switch (ch) {
        case KEY_UP: move_selection(k, -1); break;
        case KEY_DOWN: move_selection(k, 1); break;
        case KEY_LEFT: v->choice = KIOSK_CHOICE_ACCEPT; break;
        case KEY_RIGHT: v->choice = KIOSK_CHOICE_DECLINE; break;
        case KEY_BTAB: switch_tab(k, (int)v->tab - 1); break;
        case KEY_ENTER: confirm(k); break;
        default: break;
        }
        return true;
    }
    switch (ch) {
    case L'\t': switch_tab(k, (int)v->tab + 1); break;
    case L'1':
    case L'2':
    case L'3': switch_tab(k, (int)(ch - L'1')); break;
    case L'a':
    case L'A': v->choice = KIOSK_CHOICE_ACCEPT; break;
    case L'd':
    case L'D': v->choice = KIOSK_CHOICE_DECLINE; break;
    case L'\r':
    case L'\n': confirm(k); break;
    case KEY_ESC: to_welcome(k, NULL); break;
    case L'E': return false;
    default: break;
    }
    if (v->tab == KIOSK_TAB_REQUESTS && v->selected < k->person.nrequests &&
        k->person.requests[v->selected].answer != KIOSK_OPEN)
        v->choice = KIOSK_CHOICE_NONE;
    return true;
}

/* A key on the welcome screen: the scanner's characters pile up until
 * Enter. */
static void welcome_key(struct kiosk *k, int is_key, wint_t ch)
{
    if (is_key) {
        if (ch == KEY_ENTER)
            on_scan(k);
        else if (ch == KEY_BACKSPACE && k->len > 0)
            k->line[--k->len] = '\0';
        return;
    }
    if (ch == L'\r' || ch == L'\n') {
        on_scan(k);
        return;
    }
    if (ch == KEY_ESC) {
        wipe_line(k);
        k->message[0] = '\0';
        return;
    }
    if (ch == 127 || ch == 8) {
        if (k->len > 0)
            k->line[--k->len] = '\0';
        return;
    }
    k->message[0] = '\0';
    /* A payload is printable ASCII; anything else makes it a bad scan. */
    if (ch < 0x20 || ch > 0x7E || k->len == KIOSK_SCAN_MAX) {
        k->overflow = true;
        return;
    }
    k->line[k->len++] = (char)ch;
}

static void run(struct kiosk *k)
{
    k->last_key = time(NULL);
    redraw(k);
    while (!stop_signal) {
        wint_t ch;
        int r = get_wch(&ch);
        time_t now = time(NULL);
        if (r == ERR) {
            /* Nothing typed for a while: the participant walked away, or
             * a scan was cut short. */
            if (now - k->last_key >= k->o->idle_s &&
                (k->state == PERSON || k->len > 0)) {
                to_welcome(k, NULL);
                redraw(k);
            } else if (k->state == WELCOME && k->message[0] != '\0' &&
                       now - k->message_at >= MESSAGE_S) {
                k->message[0] = '\0';
                redraw(k);
            }
            continue;
        }
        k->last_key = now;
        int is_key = r == KEY_CODE_YES;
        if (is_key && ch == KEY_RESIZE) {
            kiosk_screen_wipe();
            redraw(k);
            continue;
        }
        if (!is_key && ch == 3 && k->o->allow_quit)
            break;
        if (k->state == WELCOME) {
            welcome_key(k, is_key, ch);
        } else if (!person_key(k, is_key, ch)) {
            to_welcome(k, NULL);
            welcome_key(k, is_key, ch);
        }
        redraw(k);
    }
}

int main(int argc, char **argv)
{
    struct options o;
    int rc = parse_options(argc, argv, &o);
    if (rc == -2) {
        usage(stdout);
        return 0;
    }
    if (rc < 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    char *token = load_token(o.token_arg, o.token_from_env);
    if (token == NULL)
        return EXIT_DATA;
    o.cfg.token = token;
    if (kiosk_i18n_init(argv[0]) < 0)
        fprintf(stderr, "expomatch-kiosk: no UTF-8 locale; text outside "
                        "ASCII will not show\n");

    static struct kiosk k; /* large (a participant's screen); zeroed */
    k.o = &o;
    k.client.cfg = &o.cfg;
    /* A refused token is a setup error staff must see at once; a server
     * not up yet is not: the kiosk tries again at each scan. */
    enum kiosk_outcome out = kiosk_client_open(&k.client);
    if (out == KIOSK_REFUSED) {
        fprintf(stderr, "expomatch-kiosk: %s\n", k.client.errstr);
        explicit_bzero(token, strlen(token));
        free(token);
        return EXIT_AUTH;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    kiosk_screen_start(!o.allow_quit);
    run(&k);
    to_welcome(&k, NULL);
    kiosk_screen_stop();
    kiosk_client_close(&k.client, true);
    explicit_bzero(token, strlen(token));
    free(token);
    return 0;
}
