/* kiosk_screen.c: the kiosk's screens, drawn with ncursesw (see
 * kiosk_screen.h). Every text goes through kiosk_text_fit, so no field
 * spills over its columns whatever script it is in. */
#include "kiosk_screen.h"
#include "kiosk_i18n.h"
#include "kiosk_text.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#define MIN_COLS 40
#define MIN_ROWS 12
#define LINE_CH "\u2500" /* a horizontal line, one column */

/* ---- drawing text ---- */

/* Draws s at (y, x) in at most cols columns with attr, padded with spaces
 * to cols when pad. Returns the columns drawn (before padding). */
static int put(int y, int x, int cols, const char *s, attr_t attr, bool pad)
{
    if (y < 0 || y >= LINES || x < 0 || x >= COLS || cols <= 0)
        return 0;
    if (cols > COLS - x)
        cols = COLS - x;
    wchar_t w[1024];
    int used = kiosk_text_fit(s != NULL ? s : "", cols, w, 1024);
    attrset(attr);
    mvaddnwstr(y, x, w, -1);
    if (pad)
        for (int i = used; i < cols; i++)
            addch(' ');
    attrset(A_NORMAL);
    return used;
}

static void put_center(int y, const char *s, attr_t attr)
{
    int w = kiosk_text_width(s);
    int x = w >= COLS ? 0 : (COLS - w) / 2;
    put(y, x, COLS - x, s, attr, false);
}

static void put_right(int y, int right, int cols, const char *s, attr_t attr)
{
    int w = kiosk_text_width(s);
    if (w > cols)
        w = cols;
    put(y, right - w, w, s, attr, false);
}

static void draw_rule(int y)
{
    move(y, 0);
    for (int i = 0; i < COLS; i++)
        addstr(LINE_CH);
}

static void title_bar(const char *event_name)
{
    char title[512];
    snprintf(title, sizeof title, " expomatch \u00b7 %s",
             event_name != NULL ? event_name : "");
    put(0, 0, COLS, title, A_REVERSE, true);
}

/* Too small a terminal gets one line saying so, and nothing else. */
static bool too_small(void)
{
    if (COLS >= MIN_COLS && LINES >= MIN_ROWS)
        return false;
    erase();
    put(0, 0, COLS, _("Please enlarge this window."), A_BOLD, false);
    refresh();
    return true;
}

void kiosk_clock(const char *t, char *out, size_t size)
{
    if (t != NULL && strlen(t) >= 16 && t[10] == 'T' && t[13] == ':') {
        snprintf(out, size, "%.5s", t + 11);
        return;
    }
    snprintf(out, size, "%s", t != NULL ? t : "");
}

/* ---- the terminal ---- */

void kiosk_screen_start(bool locked)
{
    set_escdelay(50); /* Esc answers at once; scanners never send it */
    initscr();
    if (locked)
        raw();
    else
        cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    timeout(200);
}

void kiosk_screen_stop(void)
{
    erase();
    refresh();
    endwin();
}

void kiosk_screen_wipe(void)
{
    clear();
}

/* ---- screens ---- */

void kiosk_draw_welcome(const char *event_name, size_t typed,
                        const char *message)
{
    if (too_small())
        return;
    erase();
    title_bar(event_name);
    int mid = LINES / 2;
    if (event_name != NULL)
        put_center(mid - 4, event_name, A_BOLD);
    put_center(mid - 2, _("Scan your badge"), A_BOLD);
    if (typed > 0) {
        /* The scanned line holds the badge secret: only its length shows. */
        char mask[128];
        size_t n = typed < sizeof mask - 1 ? typed : sizeof mask - 1;
        if (n > (size_t)COLS - 4)
            n = (size_t)COLS - 4;
        memset(mask, '*', n);
        mask[n] = '\0';
        put_center(mid, mask, A_NORMAL);
    }
    if (message != NULL && message[0] != '\0')
        put_center(mid + 2, message, A_REVERSE | A_BOLD);
    put_center(LINES - 2,
               _("Hold the QR code of your badge under the scanner."), A_DIM);
    refresh();
}

void kiosk_draw_wait(const char *event_name, const char *text)
{
    if (too_small())
        return;
    erase();
    title_bar(event_name);
    put_center(LINES / 2, text, A_BOLD);
    refresh();
}

/* First row of a section's entries and the rows they may use. */
#define BODY_TOP 5
static int body_rows(void)
{
    return LINES - 3 - BODY_TOP;
}

size_t kiosk_screen_page(enum kiosk_tab tab)
{
    int rows = body_rows() - 2; /* a header, and a note at the bottom */
    if (tab == KIOSK_TAB_REQUESTS)
        rows /= 2;
    return rows > 0 ? (size_t)rows : 1;
}

static void draw_tabs(const struct kiosk_person *p, enum kiosk_tab tab)
{
    char label[3][160];
    snprintf(label[0], sizeof label[0], " 1 %s (%zu) ", _("Agenda"),
             p->nagenda);
    size_t open = 0;
    for (size_t i = 0; i < p->nrequests; i++)
        open += p->requests[i].answer == KIOSK_OPEN;
    snprintf(label[1], sizeof label[1], " 2 %s (%zu) ", _("Requests"), open);
    snprintf(label[2], sizeof label[2], " 3 %s (%zu) ", _("Meet now"),
             p->nsuggestions);
    int x = 1;
    for (int i = 0; i < KIOSK_NTABS; i++) {
        attr_t a = i == (int)tab ? A_REVERSE | A_BOLD : A_NORMAL;
        x += put(3, x, COLS - x, label[i], a, false) + 1;
    }
}

/* Column layout of a table section: starts and widths. */
struct cols {
    int x[4], w[4], n;
};

/* Lays out n columns whose widths are given (0: takes the rest) with two
 * spaces between them, dropping the last one when the terminal is narrow. */
static struct cols layout(int n, const int *want)
{
    struct cols c = {.n = n};
    int fixed = 0, flex = -1;
    for (int i = 0; i < n; i++) {
        if (want[i] == 0)
            flex = i;
        fixed += want[i] + (i > 0 ? 2 : 0);
    }
    int avail = COLS - 2;
    if (avail - fixed < 12 && n > 3) {
        c.n = n = 3; /* drop the last column */
        fixed -= want[3] + 2;
    }
    int x = 1;
    for (int i = 0; i < n; i++) {
        c.w[i] = i == flex ? avail - fixed : want[i];
        if (c.w[i] < 1)
            c.w[i] = 1;
        c.x[i] = x;
        x += c.w[i] + 2;
    }
    return c;
}

static void put_row(int y, const struct cols *c, const char *const *cells,
                    attr_t attr)
{
    for (int i = 0; i < c->n; i++)
        put(y, c->x[i], c->w[i], cells[i], attr, true);
}

/* Whether the agenda spans more than one day (then dates show). */
static bool several_days(const struct kiosk_person *p)
{
    const char *first = NULL;
    for (size_t i = 0; i < p->nagenda; i++) {
        const char *s = p->agenda[i].start;
        if (s == NULL || strlen(s) < 10)
            continue;
        if (first == NULL)
            first = s;
        else if (strncmp(first, s, 10) != 0)
            return true;
    }
    return false;
}

static void draw_agenda(const struct kiosk_person *p,
                        const struct kiosk_view *v)
{
    int y = BODY_TOP;
    if (p->nagenda == 0) {
        put(y + 1, 2, COLS - 4, _("No meetings booked yet."), A_NORMAL, false);
        return;
    }
    bool dates = several_days(p);
    const int want[4] = {dates ? 17 : 11, 8, 0, 16};
    struct cols c = layout(4, want);
    /* TRANSLATORS: column headers of the agenda; Time takes 11 columns,
     * Table 8, Interpreter 16: keep them short. */
    const char *head[4] = {_("Time"), _("Table"), _("Partner"),
                           _("Interpreter")};
    put_row(y++, &c, head, A_BOLD | A_UNDERLINE);
    size_t page = kiosk_screen_page(KIOSK_TAB_AGENDA);
    for (size_t i = v->scroll; i < p->nagenda && i < v->scroll + page; i++) {
        const struct kiosk_meeting *m = &p->agenda[i];
        char when[64], a[8], b[8];
        if (m->start != NULL) {
            kiosk_clock(m->start, a, sizeof a);
            kiosk_clock(m->end, b, sizeof b);
            if (dates && strlen(m->start) >= 10)
                snprintf(when, sizeof when, "%.5s %s-%s", m->start + 5, a, b);
            else
                snprintf(when, sizeof when, "%s-%s", a, b);
        } else {
            /* TRANSLATORS: in the Time column (11 columns): an accepted
             * meeting not booked into a slot yet. */
            snprintf(when, sizeof when, "%s", _("waiting"));
        }
        const char *cells[4] = {when, m->table ? m->table : "-",
                                m->partner ? m->partner : "?",
                                m->interpreter ? m->interpreter : ""};
        put_row(y++, &c, cells, A_NORMAL);
    }
    if (p->nagenda > v->scroll + page || v->scroll > 0)
        put(LINES - 4, 2, COLS - 4, _("More with the arrow keys."), A_DIM,
            false);
}

/* What a request's row says once answered. */
static void answer_text(const struct kiosk_request *r, char *out, size_t size)
{
    char at[16];
    switch (r->answer) {
    case KIOSK_SCHEDULED:
        kiosk_clock(r->start, at, sizeof at);
        snprintf(out, size, _("Booked at %s, table %s"), at,
                 r->table ? r->table : "-");
        break;
    case KIOSK_ACCEPTED:
        snprintf(out, size, "%s", _("Accepted, waiting for a slot"));
        break;
    case KIOSK_DECLINED: snprintf(out, size, "%s", _("Declined")); break;
    case KIOSK_GONE: snprintf(out, size, "%s", _("No longer open")); break;
    default: out[0] = '\0';
    }
}

static void draw_requests(const struct kiosk_person *p,
                          const struct kiosk_view *v)
{
    int y = BODY_TOP;
    if (p->nrequests == 0) {
        put(y + 1, 2, COLS - 4, _("No requests waiting for your answer."),
            A_NORMAL, false);
    }
    size_t page = kiosk_screen_page(KIOSK_TAB_REQUESTS);
    size_t first = v->selected >= page ? v->selected - page + 1 : 0;
    char accept[96], decline[96];
    snprintf(accept, sizeof accept, "[ %s ]", _("Accept"));
    snprintf(decline, sizeof decline, "[ %s ]", _("Decline"));
    int wa = kiosk_text_width(accept), wd = kiosk_text_width(decline);
    if (wa > 24)
        wa = 24;
    if (wd > 24)
        wd = 24;
    for (size_t i = first; i < p->nrequests && i < first + page; i++) {
        const struct kiosk_request *r = &p->requests[i];
        bool sel = i == v->selected;
        int right = COLS - 1;
        int name_cols;
        if (r->answer == KIOSK_OPEN) {
            name_cols = right - wa - wd - 2 - 4;
            attr_t aa = A_NORMAL, ad = A_NORMAL;
            if (sel && v->choice == KIOSK_CHOICE_ACCEPT)
                aa = A_REVERSE | A_BOLD;
            if (sel && v->choice == KIOSK_CHOICE_DECLINE)
                ad = A_REVERSE | A_BOLD;
            put(y, right - wd, wd, decline, ad, false);
            put(y, right - wd - 1 - wa, wa, accept, aa, false);
        } else {
            char done[256];
            answer_text(r, done, sizeof done);
            int wdone = kiosk_text_width(done);
            if (wdone > (COLS - 4) / 2)
                wdone = (COLS - 4) / 2;
            name_cols = right - wdone - 4;
            put_right(y, right, wdone, done, A_BOLD);
        }
        put(y, 1, 2, sel ? ">" : "", sel ? A_BOLD : A_NORMAL, true);
        put(y, 3, name_cols, r->company ? r->company : r->from,
            sel ? A_BOLD : A_NORMAL, true);
        if (r->note != NULL)
            put(y + 1, 5, COLS - 7, r->note, A_DIM, false);
        y += 2;
    }
    if (p->noutgoing > 0) {
        char sent[256];
        snprintf(sent, sizeof sent,
                 _("Requests you sent, waiting for an answer: %zu"),
                 p->noutgoing);
        put(LINES - 4, 2, COLS - 4, sent, A_DIM, false);
    }
}

static void draw_meet_now(const struct kiosk_person *p,
                          const struct kiosk_view *v)
{
    int y = BODY_TOP;
    if (p->nsuggestions == 0) {
        put(y + 1, 2, COLS - 4, _("No suggestions right now."), A_NORMAL,
            false);
        return;
    }
    const int want[3] = {0, 8, 8};
    struct cols c = layout(3, want);
    const char *head[3] = {_("Company"), _("When"), _("Table")};
    put_row(y++, &c, head, A_BOLD | A_UNDERLINE);
    size_t page = kiosk_screen_page(KIOSK_TAB_MEETNOW);
    for (size_t i = v->scroll; i < p->nsuggestions && i < v->scroll + page;
         i++) {
        const struct kiosk_suggestion *s = &p->suggestions[i];
        char when[64];
        if (s->start != NULL)
            kiosk_clock(s->start, when, sizeof when);
        else
            snprintf(when, sizeof when, "%s", s->slot ? s->slot : "");
        const char *cells[3] = {s->company, when, s->table ? s->table : "-"};
        put_row(y++, &c, cells, A_NORMAL);
    }
    put(LINES - 4, 2, COLS - 4,
        _("Checked in and free now or next: meet at the table shown."), A_DIM,
        false);
}

void kiosk_draw_person(const char *event_name, const struct kiosk_person *p,
                       const struct kiosk_view *v)
{
    if (too_small())
        return;
    erase();
    title_bar(event_name);
    char hello[512];
    snprintf(hello, sizeof hello, _("Welcome, %s"),
             p->company != NULL ? p->company : p->badge.id);
    put(1, 1, COLS - 2, hello, A_BOLD, false);
    draw_tabs(p, v->tab);
    draw_rule(4);
    switch (v->tab) {
    case KIOSK_TAB_AGENDA: draw_agenda(p, v); break;
    case KIOSK_TAB_REQUESTS: draw_requests(p, v); break;
    case KIOSK_TAB_MEETNOW: draw_meet_now(p, v); break;
    }
    draw_rule(LINES - 3);
    if (v->status[0] != '\0')
        put(LINES - 2, 1, COLS - 2, v->status,
            v->status_bad ? A_REVERSE | A_BOLD : A_BOLD, false);
    /* TRANSLATORS: the key help lines; keep them within 78 columns. */
    const char *help =
        v->tab == KIOSK_TAB_REQUESTS
            ? _("\u2191\u2193 select  \u2190\u2192 accept/decline  Enter "
                "confirm  "
                "Tab sections  Esc done")
            : _("Tab or 1-3 sections  \u2191\u2193 scroll  Esc done");
    put(LINES - 1, 1, COLS - 2, help, A_DIM, false);
    refresh();
}
