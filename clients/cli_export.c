/* cli_export.c: `export EVENT [FILE]`: the event's schedule as CSV, one
 * row per scheduled meeting in slot order, with both sides' companies,
 * for printing, mail merges and spreadsheets (columns in docs/cli.md). */
#include "cli.h"
#include "csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 1000

/* Every item of a paged list method (profile.list, meeting.list) as one
 * JSON array; NULL after an error (already reported, status set). */
static json_t *fetch_all(struct cli *cli, const char *method, json_t *args,
                         const char *items_key, int *status)
{
    json_t *all = json_array();
    json_object_set_new(args, "count", json_integer(PAGE));
    for (;;) {
        struct emc_result res;
        *status = cli_call_json(cli, method, args, &res, NULL);
        if (*status != 0) {
            json_decref(all);
            return NULL;
        }
        json_t *page = cli_to_json(&res.obj);
        emc_result_free(&res);
        json_t *items = json_object_get(page, items_key);
        json_t *cursor = json_object_get(page, "cursor");
        if (!json_is_array(items)) {
            fprintf(stderr, "export: %s: the reply has no %s list\n", method,
                    items_key);
            json_decref(page);
            json_decref(all);
            *status = EXIT_REPLY_ERROR;
            return NULL;
        }
        json_array_extend(all, items);
        bool more = cursor != NULL && !json_is_null(cursor);
        if (more)
            json_object_set(args, "cursor", cursor);
        json_decref(page);
        if (!more)
            return all;
    }
}

static const char *str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s != NULL ? s : "";
}

/* Slot order, for sorting: the index of each slot id in the event. */
static json_t *slot_index;

static long long slot_pos(const json_t *m)
{
    json_t *i = json_object_get(slot_index, str(m, "slot"));
    return i != NULL ? json_integer_value(i) : -1;
}

/* Tables compare as numbers when both are ("9" before "10"). */
static int table_cmp(const char *a, const char *b)
{
    char *ea, *eb;
    long na = strtol(a, &ea, 10), nb = strtol(b, &eb, 10);
    if (*a != '\0' && *b != '\0' && *ea == '\0' && *eb == '\0' && na != nb)
        return na < nb ? -1 : 1;
    return strcmp(a, b);
}

static int by_slot_table(const void *x, const void *y)
{
    const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
    long long sa = slot_pos(a), sb = slot_pos(b);
    if (sa != sb)
        return sa < sb ? -1 : 1;
    int c = table_cmp(str(a, "table"), str(b, "table"));
    return c != 0 ? c : strcmp(str(a, "meeting"), str(b, "meeting"));
}

/* "2026-07-13T09:00:00" -> date "2026-07-13" and time "09:00". */
static void split_time(const char *iso, char date[11], char hm[6])
{
    date[0] = hm[0] = '\0';
    if (strlen(iso) >= 16 && iso[10] == 'T') {
        memcpy(date, iso, 10);
        date[10] = '\0';
        memcpy(hm, iso + 11, 5);
        hm[5] = '\0';
    }
}

static const char *const HEADER[] = {
    "date",       "start",      "end",          "slot",         "table",
    "meeting",    "from",       "from_company", "from_country", "to",
    "to_company", "to_country", "interpreter"};

static void write_row(FILE *f, const json_t *m, const json_t *people)
{
    char date[11], start[6], end_date[11], end[6];
    split_time(str(m, "start"), date, start);
    split_time(str(m, "end"), end_date, end);
    const json_t *from = json_object_get(people, str(m, "from"));
    const json_t *to = json_object_get(people, str(m, "to"));
    csv_put(f, date, true);
    csv_put(f, start, false);
    csv_put(f, end, false);
    csv_put_text(f, str(m, "slot"), false);
    csv_put_text(f, str(m, "table"), false);
    csv_put(f, str(m, "meeting"), false);
    csv_put_text(f, str(m, "from"), false);
    csv_put_text(f, str(from, "company"), false);
    csv_put(f, str(from, "country"), false);
    csv_put_text(f, str(m, "to"), false);
    csv_put_text(f, str(to, "company"), false);
    csv_put(f, str(to, "country"), false);
    csv_put_text(f, str(m, "interpreter"), false);
    csv_end(f);
}

/* Writes the sorted meetings; 0 or EXIT_IOERR. */
static int write_csv(const char *path, json_t *meetings, const json_t *people)
{
    FILE *f = path != NULL ? fopen(path, "wb") : stdout;
    if (f == NULL) {
        fprintf(stderr, "export: cannot create %s: %s\n", path,
                strerror(errno));
        return EXIT_IOERR;
    }
    /* The byte order mark tells spreadsheets the file is UTF-8, so Thai,
     * Arabic or Chinese company names show as written. */
    fputs("\xef\xbb\xbf", f);
    for (size_t i = 0; i < sizeof HEADER / sizeof HEADER[0]; i++)
        csv_put(f, HEADER[i], i == 0);
    csv_end(f);
    size_t n = json_array_size(meetings);
    json_t **rows = calloc(n ? n : 1, sizeof *rows);
    if (rows == NULL) {
        fprintf(stderr, "export: out of memory\n");
        return EXIT_IOERR;
    }
    for (size_t i = 0; i < n; i++)
        rows[i] = json_array_get(meetings, i);
    qsort(rows, n, sizeof *rows, by_slot_table);
    for (size_t i = 0; i < n; i++)
        write_row(f, rows[i], people);
    free(rows);
    int bad = ferror(f) || fflush(f) != 0;
    if (f != stdout && fclose(f) != 0)
        bad = 1;
    if (bad) {
        fprintf(stderr, "export: cannot write %s: %s\n",
                path != NULL ? path : "the output", strerror(errno));
        return EXIT_IOERR;
    }
    if (path != NULL)
        fprintf(stderr, "export: %zu meeting%s written to %s\n", n,
                n == 1 ? "" : "s", path);
    return 0;
}

int cli_export(struct cli *cli, const char *event, const char *path)
{
    int status;
    struct emc_result res;
    json_t *args = json_pack("{s:s}", "event", event);
    status = cli_call_json(cli, "event.get", args, &res, NULL);
    json_decref(args);
    if (status != 0)
        return status;
    json_t *ev = cli_to_json(&res.obj);
    emc_result_free(&res);
    slot_index = json_object();
    json_t *slot;
    size_t i;
    json_array_foreach(json_object_get(ev, "slots"), i, slot)
        json_object_set_new(slot_index, str(slot, "id"), json_integer(i));
    json_decref(ev);

    json_t *people = json_object(), *profiles = NULL, *meetings = NULL;
    args = json_pack("{s:s}", "event", event);
    profiles = fetch_all(cli, "profile.list", args, "profiles", &status);
    json_decref(args);
    if (profiles == NULL)
        goto done;
    json_t *p;
    json_array_foreach(profiles, i, p) json_object_set(people, str(p, "id"), p);
    args = json_pack("{s:s,s:s}", "event", event, "status", "scheduled");
    meetings = fetch_all(cli, "meeting.list", args, "meetings", &status);
    json_decref(args);
    if (meetings != NULL)
        status = write_csv(path, meetings, people);
done:
    json_decref(meetings);
    json_decref(profiles);
    json_decref(people);
    json_decref(slot_index);
    slot_index = NULL;
    return status;
}
