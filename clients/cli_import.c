/* cli_import.c: `import EVENT FILE`: registers participants from CSV, one
 * row each (the columns are in docs/cli.md). A bad row is reported with
 * its line number and skipped; the others are imported; a summary ends. */
#include "cli.h"
#include "csv.h"
#include "xmalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The file is read whole: 100,000 participants fit many times over. */
#define MAX_CSV_BYTES ((size_t)256 << 20)

/* How a column's cells become a profile field. */
enum kind {
    K_TEXT,    /* as it is (trimmed) */
    K_LOWER,   /* a code in lower case: side, size */
    K_UPPER,   /* a code in upper case: country */
    K_LIST_LO, /* ';'-separated codes in lower case: languages, cooperation */
    K_LIST_UP, /* ';'-separated codes in upper case: markets, sectors */
    K_LIST,    /* ';'-separated ids as they are: slots */
    K_ITEMS,   /* ';'-separated offers or needs: "CODE", "text", "CODE text" */
    K_INT,     /* a whole number: max_meetings */
    K_CONTACT  /* one part of contact: name, email, phone */
};

static const struct column {
    const char *name;
    enum kind kind;
    bool required;
} COLUMNS[] = {
    {"id", K_TEXT, true},
    {"side", K_LOWER, true},
    {"company", K_TEXT, true},
    {"country", K_UPPER, true},
    {"languages", K_LIST_LO, true},
    {"sectors", K_LIST_UP, false},
    {"offers", K_ITEMS, false},
    {"needs", K_ITEMS, false},
    {"cooperation", K_LIST_LO, false},
    {"markets", K_LIST_UP, false},
    {"size", K_LOWER, false},
    {"slots", K_LIST, false},
    {"max_meetings", K_INT, false},
    {"contact_name", K_CONTACT, false},
    {"contact_email", K_CONTACT, false},
    {"contact_phone", K_CONTACT, false},
    {"badge", K_TEXT, false},
};
#define NCOLUMNS (sizeof COLUMNS / sizeof COLUMNS[0])

struct import {
    struct cli *cli;
    const char *event;
    int col_of[CSV_MAX_FIELDS]; /* COLUMNS index of each CSV column */
    size_t ncols;
    size_t rows, imported, skipped;
    json_t *seen; /* id -> line number, to catch an id given twice */
};

/* A copy of s without the spaces at either end. */
static char *trimmed(const char *s, size_t n)
{
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    char *t = xmalloc(n + 1);
    memcpy(t, s, n);
    t[n] = '\0';
    return t;
}

static void set_case(char *s, enum kind k)
{
    for (; *s; s++) {
        if (k == K_LOWER || k == K_LIST_LO) {
            *s = (char)tolower((unsigned char)*s);
            if (*s == ' ' || *s == '-')
                *s = '_'; /* "joint venture" is joint_venture */
        } else if (k == K_UPPER || k == K_LIST_UP) {
            *s = (char)toupper((unsigned char)*s);
        }
    }
}

/* An offers/needs item: an HS code of 2, 4 or 6 digits, as written in
 * tariffs ("0901.11" too), then optional text; or text alone. */
static json_t *item_of(const char *s)
{
    char code[8];
    size_t nd = 0, i = 0;
    for (; s[i] != '\0'; i++) {
        if (isdigit((unsigned char)s[i])) {
            if (nd == 6)
                break;
            code[nd++] = s[i];
        } else if (s[i] != '.' || nd == 0) {
            break;
        }
    }
    bool is_code = (nd == 2 || nd == 4 || nd == 6) &&
                   (s[i] == '\0' || s[i] == ' ') && s[i - 1] != '.';
    if (!is_code)
        return json_pack("{s:s}", "text", s);
    code[nd] = '\0';
    while (s[i] == ' ')
        i++;
    if (s[i] == '\0')
        return json_pack("{s:s}", "code", code);
    return json_pack("{s:s,s:s}", "code", code, "text", s + i);
}

/* A cell of values separated by ';' or line breaks (Alt+Enter in a
 * spreadsheet cell) as a JSON array; empty items are dropped. */
static json_t *list_of(const char *cell, enum kind k)
{
    json_t *a = json_array();
    const char *p = cell;
    for (;;) {
        size_t n = strcspn(p, ";\r\n");
        const char *semi = p[n] != '\0' ? p + n : NULL;
        char *item = trimmed(p, n);
        if (item[0] != '\0') {
            set_case(item, k);
            json_array_append_new(a, k == K_ITEMS ? item_of(item)
                                                  : json_string(item));
        }
        free(item);
        if (semi == NULL)
            return a;
        p = semi + 1;
    }
}

/* Checks the header: every column known, none twice, the required ones
 * there. Returns 0, or -1 after saying why. */
static int read_header(struct import *im, const struct csv_record *rec)
{
    bool have[NCOLUMNS] = {false};
    im->ncols = rec->n;
    for (size_t i = 0; i < rec->n; i++) {
        char *name = trimmed(rec->field[i], strlen(rec->field[i]));
        set_case(name, K_LOWER);
        size_t c = 0;
        while (c < NCOLUMNS && strcmp(COLUMNS[c].name, name) != 0)
            c++;
        if (c == NCOLUMNS) {
            fprintf(stderr,
                    "import: line %ld: unknown column \"%s\"; the columns "
                    "are:",
                    rec->line, name);
            for (c = 0; c < NCOLUMNS; c++)
                fprintf(stderr, " %s", COLUMNS[c].name);
            fputc('\n', stderr);
            free(name);
            return -1;
        }
        if (have[c]) {
            fprintf(stderr, "import: line %ld: column \"%s\" given twice\n",
                    rec->line, name);
            free(name);
            return -1;
        }
        free(name);
        have[c] = true;
        im->col_of[i] = (int)c;
    }
    for (size_t c = 0; c < NCOLUMNS; c++) {
        if (COLUMNS[c].required && !have[c]) {
            fprintf(stderr,
                    "import: line %ld: the header has no \"%s\" "
                    "column, which every participant needs\n",
                    rec->line, COLUMNS[c].name);
            return -1;
        }
    }
    return 0;
}

static bool blank(const struct csv_record *rec)
{
    for (size_t i = 0; i < rec->n; i++)
        for (const char *p = rec->field[i]; *p; p++)
            if (!isspace((unsigned char)*p))
                return false;
    return true;
}

/* The profile of one row, or NULL with why in err. */
static json_t *profile_of(const struct import *im, const struct csv_record *rec,
                          char *err, size_t errlen)
{
    if (rec->n > im->ncols) {
        for (size_t i = im->ncols; i < rec->n; i++) {
            if (rec->field[i][0] != '\0') {
                snprintf(err, errlen, "%zu cells, but the header has %zu",
                         rec->n, im->ncols);
                return NULL;
            }
        }
    }
    json_t *p = json_pack("{s:s}", "event", im->event);
    json_t *contact = json_object();
    /* Spreadsheets often leave out empty cells at the end of a row. */
    for (size_t i = 0; i < im->ncols; i++) {
        const struct column *col = &COLUMNS[im->col_of[i]];
        const char *raw = i < rec->n ? rec->field[i] : "";
        char *cell = trimmed(raw, strlen(raw));
        json_t *v = NULL;
        if (cell[0] == '\0') {
            if (col->required) {
                snprintf(err, errlen, "%s is empty", col->name);
                free(cell);
                json_decref(p);
                json_decref(contact);
                return NULL;
            }
        } else if (col->kind == K_INT) {
            char *end;
            errno = 0;
            long long n = strtoll(cell, &end, 10);
            if (errno != 0 || *end != '\0' || n < 0) {
                snprintf(err, errlen, "%s \"%.40s\" is not a whole number",
                         col->name, cell);
                free(cell);
                json_decref(p);
                json_decref(contact);
                return NULL;
            }
            v = json_integer(n);
        } else if (col->kind >= K_LIST_LO && col->kind <= K_ITEMS) {
            v = list_of(cell, col->kind);
        } else {
            set_case(cell, col->kind);
            v = json_string(cell);
        }
        free(cell);
        if (v == NULL)
            continue;
        if (col->kind == K_CONTACT)
            json_object_set_new(contact, col->name + strlen("contact_"), v);
        else
            json_object_set_new(p, col->name, v);
    }
    /* No contact cells: the stored contact is kept, as profile.put does. */
    if (json_object_size(contact) > 0)
        json_object_set_new(p, "contact", contact);
    else
        json_decref(contact);
    return p;
}

/* Imports one row. Returns 0 (imported or skipped) or EXIT_CONNECTION. */
static int import_row(struct import *im, const struct csv_record *rec)
{
    char err[256];
    im->rows++;
    json_t *p = profile_of(im, rec, err, sizeof err);
    if (p == NULL) {
        fprintf(stderr, "import: line %ld: %s; row skipped\n", rec->line, err);
        im->skipped++;
        return 0;
    }
    const char *id = json_string_value(json_object_get(p, "id"));
    json_t *first = json_object_get(im->seen, id);
    if (first != NULL) {
        fprintf(
            stderr,
            "import: line %ld: id %s was already imported from line %lld; row "
            "skipped\n",
            rec->line, id, (long long)json_integer_value(first));
        im->skipped++;
        json_decref(p);
        return 0;
    }
    struct emc_result res;
    struct emc_error rerr;
    int status = cli_call_json(im->cli, "profile.put", p, &res, &rerr);
    if (status == 0) {
        emc_result_free(&res);
        json_object_set_new(im->seen, id, json_integer(rec->line));
        im->imported++;
    } else if (status == EXIT_REPLY_ERROR) {
        fprintf(stderr, "import: line %ld (id %s): %s: %s; row skipped\n",
                rec->line, id, rerr.code, rerr.message);
        im->skipped++;
        status = 0;
    }
    json_decref(p);
    return status;
}

static char *read_input(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "import: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char *buf = cli_read_all(f, MAX_CSV_BYTES, len);
    if (buf == NULL)
        fprintf(stderr, "import: cannot read %s: %s\n", path,
                errno == EFBIG ? "over 256 MiB" : strerror(errno));
    if (f != stdin)
        fclose(f);
    return buf;
}

int cli_import(struct cli *cli, const char *event, const char *path)
{
    size_t len;
    char *text = read_input(path, &len);
    if (text == NULL)
        return EXIT_NOINPUT;
    struct import im = {.cli = cli, .event = event, .seen = json_object()};
    struct csv csv;
    struct csv_record rec;
    char err[128];
    csv_init(&csv, text, len);
    int r, status = 0;
    /* The header: the first line that is not blank. */
    while ((r = csv_next(&csv, &rec, err, sizeof err)) == 1 && blank(&rec))
        ;
    if (r != 1 || read_header(&im, &rec) < 0) {
        if (r == 0)
            fprintf(stderr, "import: %s holds no header line\n", path);
        else if (r < 0)
            fprintf(stderr, "import: line %ld: %s\n", rec.line, err);
        status = EXIT_DATAERR;
        goto done;
    }
    status = cli_connect(cli);
    while (status == 0 && (r = csv_next(&csv, &rec, err, sizeof err)) != 0) {
        if (r < 0) {
            fprintf(stderr, "import: line %ld: %s; row skipped\n", rec.line,
                    err);
            im.rows++;
            im.skipped++;
        } else if (!blank(&rec)) {
            status = import_row(&im, &rec);
        }
    }
    printf("import: %zu rows, %zu imported, %zu skipped\n", im.rows,
           im.imported, im.skipped);
    if (status != 0)
        fprintf(stderr,
                "import: stopped at line %ld: the rows after it were "
                "not read\n",
                rec.line);
    else if (im.skipped > 0)
        status = EXIT_ROWS_SKIPPED;
done:
    csv_free(&csv);
    json_decref(im.seen);
    free(text);
    return status;
}
