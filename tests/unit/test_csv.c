/* test_csv.c: the CSV reader and writer of expomatch-cli (clients/csv.c):
 * quoting, "" escapes, line breaks inside quotes and the physical line
 * numbers they shift, CRLF / LF / CR line ends, the byte order mark, the
 * delimiter found from the header, malformed records and recovery after
 * them, and the writer's quoting and formula guard. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "csv.h"

struct reader {
    struct csv c;
    struct csv_record rec;
    char err[128];
};

static int next(struct reader *r)
{
    return csv_next(&r->c, &r->rec, r->err, sizeof r->err);
}

static void open_text(struct reader *r, const char *text)
{
    memset(r, 0, sizeof *r);
    csv_init(&r->c, text, strlen(text));
}

static void test_quotes_escapes_and_line_numbers(void **state)
{
    (void)state;
    struct reader r;
    open_text(&r, "\xef\xbb\xbf"
                  "id,company\r\n"
                  "a,\"Foods, \"\"Best\"\"\"\r\n"
                  "b,\"two\r\nlines\"\r\n"
                  "c,plain\r\n");
    assert_int_equal(next(&r), 1);
    assert_int_equal(r.rec.n, 2);
    assert_string_equal(r.rec.field[0], "id"); /* the BOM is gone */
    assert_int_equal(next(&r), 1);
    assert_string_equal(r.rec.field[1], "Foods, \"Best\"");
    assert_int_equal(r.rec.line, 2);
    assert_int_equal(next(&r), 1);
    assert_string_equal(r.rec.field[1], "two\r\nlines");
    assert_int_equal(r.rec.line, 3);
    assert_int_equal(next(&r), 1);
    assert_string_equal(r.rec.field[0], "c");
    assert_int_equal(r.rec.line, 5);
    assert_int_equal(next(&r), 0);
    csv_free(&r.c);
}

static void test_lf_cr_and_missing_final_line_end(void **state)
{
    (void)state;
    struct reader r;
    open_text(&r, "a,b\nc,d\re,f");
    assert_int_equal(next(&r), 1);
    assert_int_equal(next(&r), 1);
    assert_string_equal(r.rec.field[1], "d");
    assert_int_equal(r.rec.line, 2);
    assert_int_equal(next(&r), 1);
    assert_string_equal(r.rec.field[1], "f");
    assert_int_equal(r.rec.line, 3);
    assert_int_equal(next(&r), 0);
    csv_free(&r.c);
}

static void test_delimiter_from_the_header(void **state)
{
    (void)state;
    struct reader r;
    open_text(&r, "id;company;\"x,y,z\"\n1;\"A;B\";c\n");
    assert_int_equal(r.c.delim, ';');
    assert_int_equal(next(&r), 1);
    assert_int_equal(r.rec.n, 3);
    assert_string_equal(r.rec.field[2], "x,y,z");
    assert_int_equal(next(&r), 1);
    assert_string_equal(r.rec.field[1], "A;B");
    csv_free(&r.c);
    open_text(&r, "id\tname\n");
    assert_int_equal(r.c.delim, '\t');
    csv_free(&r.c);
    open_text(&r, "id\n");
    assert_int_equal(r.c.delim, ',');
    csv_free(&r.c);
}

static void test_empty_fields_and_blank_lines(void **state)
{
    (void)state;
    struct reader r;
    open_text(&r, ",,\n\n\"\"\n");
    assert_int_equal(next(&r), 1);
    assert_int_equal(r.rec.n, 3);
    assert_string_equal(r.rec.field[2], "");
    assert_int_equal(next(&r), 1);
    assert_int_equal(r.rec.n, 1);
    assert_string_equal(r.rec.field[0], "");
    assert_int_equal(next(&r), 1);
    assert_string_equal(r.rec.field[0], "");
    assert_int_equal(next(&r), 0);
    csv_free(&r.c);
}

static void test_malformed_records_then_recovery(void **state)
{
    (void)state;
    struct reader r;
    open_text(&r, "a,\"b\"x,c\nd,e\nf,\"never closed\ng\n");
    assert_int_equal(next(&r), -1);
    assert_non_null(strstr(r.err, "after the closing quote of field 2"));
    assert_int_equal(next(&r), 1);
    assert_string_equal(r.rec.field[0], "d");
    assert_int_equal(next(&r), -1);
    assert_non_null(strstr(r.err, "opened on line 3 never closes"));
    assert_int_equal(next(&r), 0);
    csv_free(&r.c);
}

static void test_too_many_fields(void **state)
{
    (void)state;
    size_t n = CSV_MAX_FIELDS + 5;
    char *text = malloc(n * 2 + 8);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        text[o++] = 'x';
        text[o++] = ',';
    }
    memcpy(text + o - 1, "\nok\n", 5);
    struct reader r;
    open_text(&r, text);
    assert_int_equal(next(&r), -1);
    assert_non_null(strstr(r.err, "more than"));
    assert_int_equal(next(&r), 1);
    assert_string_equal(r.rec.field[0], "ok");
    csv_free(&r.c);
    free(text);
}

/* What the writer makes of fields, as one string. */
static char *written(const char *const *fields, size_t n, bool text)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    for (size_t i = 0; i < n; i++)
        (text ? csv_put_text : csv_put)(f, fields[i], i == 0);
    csv_end(f);
    fclose(f);
    return out;
}

static void test_writer_quotes_what_needs_it(void **state)
{
    (void)state;
    const char *f[] = {"plain",      "a,b",  "say \"hi\"",
                       "two\nlines", " pad", "ไทย"};
    char *s = written(f, 6, false);
    assert_string_equal(s, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\","
                           "\" pad\",ไทย\r\n");
    free(s);
}

static void test_writer_defuses_formulas_in_text(void **state)
{
    (void)state;
    const char *f[] = {"=SUM(A1)", "+1", "-x", "@cmd", "safe"};
    char *s = written(f, 5, true);
    assert_string_equal(s, "'=SUM(A1),'+1,'-x,'@cmd,safe\r\n");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quotes_escapes_and_line_numbers),
        cmocka_unit_test(test_lf_cr_and_missing_final_line_end),
        cmocka_unit_test(test_delimiter_from_the_header),
        cmocka_unit_test(test_empty_fields_and_blank_lines),
        cmocka_unit_test(test_malformed_records_then_recovery),
        cmocka_unit_test(test_too_many_fields),
        cmocka_unit_test(test_writer_quotes_what_needs_it),
        cmocka_unit_test(test_writer_defuses_formulas_in_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
