/* csv.c: reading and writing CSV (see csv.h). */
#include "csv.h"
#include "xmalloc.h"

#include <stdlib.h>
#include <string.h>

static char detect_delimiter(const char *p, const char *end)
{
    static const char cands[] = {',', ';', '\t'};
    size_t count[3] = {0, 0, 0};
    bool quoted = false;
    for (; p < end && (quoted || (*p != '\n' && *p != '\r')); p++) {
        if (*p == '"')
            quoted = !quoted;
        for (int i = 0; i < 3 && !quoted; i++)
            count[i] += *p == cands[i];
    }
    int best = 0;
    for (int i = 1; i < 3; i++)
        if (count[i] > count[best])
            best = i;
    return cands[best];
}

void csv_init(struct csv *c, const char *buf, size_t len)
{
    memset(c, 0, sizeof *c);
    c->p = buf;
    c->end = buf + len;
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        c->p += 3;
    c->line = 1;
    c->delim = detect_delimiter(c->p, c->end);
}

void csv_free(struct csv *c)
{
    free(c->buf);
    c->buf = NULL;
}

/* Consumes one line end at p (CRLF, LF or CR); false if there is none. */
static bool line_end(struct csv *c)
{
    if (c->p < c->end && *c->p == '\r') {
        c->p++;
        if (c->p < c->end && *c->p == '\n')
            c->p++;
        c->line++;
        return true;
    }
    if (c->p < c->end && *c->p == '\n') {
        c->p++;
        c->line++;
        return true;
    }
    return false;
}

/* After an error: drop the rest of the physical line. */
static void skip_line(struct csv *c)
{
    while (c->p < c->end && !line_end(c))
        c->p++;
}

int csv_next(struct csv *c, struct csv_record *rec, char *err, size_t errlen)
{
    if (c->p >= c->end)
        return 0;
    /* A record's text is never longer than what is left of the input. */
    size_t need = (size_t)(c->end - c->p) + 1;
    if (need > c->cap) {
        c->buf = xrealloc(c->buf, need);
        c->cap = need;
    }
    char *o = c->buf;
    rec->n = 0;
    rec->line = c->line;
    for (;;) {
        if (rec->n == CSV_MAX_FIELDS) {
            snprintf(err, errlen, "more than %d fields", CSV_MAX_FIELDS);
            skip_line(c);
            return -1;
        }
        rec->field[rec->n++] = o;
        if (c->p < c->end && *c->p == '"') {
            long opened = c->line;
            c->p++;
            for (;;) {
                if (c->p >= c->end) {
                    snprintf(err, errlen,
                             "a quoted field opened on line %ld never closes",
                             opened);
                    return -1;
                }
                if (*c->p == '"') {
                    if (c->p + 1 < c->end && c->p[1] == '"') {
                        *o++ = '"';
                        c->p += 2;
                        continue;
                    }
                    c->p++;
                    break;
                }
                if (*c->p == '\n' ||
                    (*c->p == '\r' && (c->p + 1 >= c->end || c->p[1] != '\n')))
                    c->line++;
                *o++ = *c->p++;
            }
            if (c->p < c->end && *c->p != c->delim && *c->p != '\r' &&
                *c->p != '\n') {
                snprintf(err, errlen,
                         "text after the closing quote of field %zu", rec->n);
                skip_line(c);
                return -1;
            }
        } else {
            /* Unquoted: a stray quote inside is kept as it is, as most
             * spreadsheets do. */
            while (c->p < c->end && *c->p != c->delim && *c->p != '\r' &&
                   *c->p != '\n')
                *o++ = *c->p++;
        }
        *o++ = '\0';
        if (c->p < c->end && *c->p == c->delim) {
            c->p++;
            continue;
        }
        line_end(c);
        return 1;
    }
}

void csv_put(FILE *f, const char *s, bool first)
{
    if (!first)
        fputc(',', f);
    size_t n = strlen(s);
    bool quote = strpbrk(s, ",\"\r\n") != NULL ||
                 (n > 0 && (s[0] == ' ' || s[n - 1] == ' '));
    if (!quote) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void csv_put_text(FILE *f, const char *s, bool first)
{
    if (s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL) {
        size_t n = strlen(s);
        char *guarded = xmalloc(n + 2);
        guarded[0] = '\'';
        memcpy(guarded + 1, s, n + 1);
        csv_put(f, guarded, first);
        free(guarded);
        return;
    }
    csv_put(f, s, first);
}

void csv_end(FILE *f)
{
    fputs("\r\n", f);
}
