/* csv.h: CSV as spreadsheets and registration systems write it (RFC 4180
 * and its common variants): quoted fields with "" for a quote and line
 * breaks inside, CRLF, LF or CR line ends, an optional UTF-8 byte order
 * mark, and ',' ';' or tab between fields. Reading works on a buffer held
 * in memory; writing quotes what needs it. */
#ifndef EM_CSV_H
#define EM_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CSV_MAX_FIELDS 256

struct csv {
    const char *p, *end; /* what is left to read */
    long line;           /* physical line of p, from 1 */
    char delim;          /* ',' ';' or '\t' */
    char *buf;           /* the current record's text, fields NUL-ended */
    size_t cap;
};

/* One record: its fields point into the reader's buffer and live until the
 * next csv_next(). `line` is the physical line the record starts on. */
struct csv_record {
    const char *field[CSV_MAX_FIELDS];
    size_t n;
    long line;
};

/* Starts reading buf (len bytes). A leading byte order mark is skipped.
 * The delimiter is the one of ',' ';' and tab that occurs most often
 * outside quotes in the first line (',' when none does). */
void csv_init(struct csv *c, const char *buf, size_t len);
void csv_free(struct csv *c);

/* Reads the next record. Returns 1 when one was read, 0 at the end, -1
 * when the record is malformed (an unterminated quote, text after a
 * closing quote, too many fields): err says why and reading goes on with
 * the next line. A blank line is a record of one empty field. */
int csv_next(struct csv *c, struct csv_record *rec, char *err, size_t errlen);

/* Writes one field (first: no separator before it), quoted when it holds
 * the delimiter ',', a quote, a line break, or spaces at either end. */
void csv_put(FILE *f, const char *s, bool first);

/* Same for text typed by people (names, companies): a leading = + - @ tab
 * or CR gets an apostrophe first, so that a spreadsheet shows the text
 * rather than running it as a formula. */
void csv_put_text(FILE *f, const char *s, bool first);

/* Ends a record with CRLF. */
void csv_end(FILE *f);

#endif
