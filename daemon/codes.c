/* codes.c: HS and ISIC code hierarchies (see codes.h). */
#include "codes.h"

#include <stdbool.h>
#include <string.h>

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static void put(struct code_level *l, const char *code, size_t n, int level)
{
    memcpy(l->code, code, n);
    l->code[n] = '\0';
    l->level = level;
}

size_t hs_levels(const char *code, struct code_level out[CODES_MAX_LEVELS])
{
    size_t n = strlen(code);
    if ((n != 2 && n != 4 && n != 6) || !all_digits(code, n))
        return 0;
    size_t k = 0;
    for (size_t len = n; len >= 2; len -= 2)
        put(&out[k++], code, len, (int)len / 2);
    return k;
}

/* ISIC Rev.4 sections by their first and last division. */
static const struct {
    int from, to;
    char section;
} sections[] = {
    {1, 3, 'A'},   {5, 9, 'B'},   {10, 33, 'C'}, {35, 35, 'D'}, {36, 39, 'E'},
    {41, 43, 'F'}, {45, 47, 'G'}, {49, 53, 'H'}, {55, 56, 'I'}, {58, 63, 'J'},
    {64, 66, 'K'}, {68, 68, 'L'}, {69, 75, 'M'}, {77, 82, 'N'}, {84, 84, 'O'},
    {85, 85, 'P'}, {86, 88, 'Q'}, {90, 93, 'R'}, {94, 96, 'S'}, {97, 98, 'T'},
    {99, 99, 'U'},
};

char isic_section(int division)
{
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        if (division >= sections[i].from && division <= sections[i].to)
            return sections[i].section;
    return 0;
}

size_t isic_levels(const char *code, struct code_level out[CODES_MAX_LEVELS])
{
    size_t n = strlen(code);
    if (n == 1 && code[0] >= 'A' && code[0] <= 'U') {
        put(&out[0], code, 1, 1);
        return 1;
    }
    if (n < 2 || n > 4 || !all_digits(code, n))
        return 0;
    char section = isic_section((code[0] - '0') * 10 + (code[1] - '0'));
    if (section == 0)
        return 0;
    size_t k = 0;
    for (size_t len = n; len >= 2; len--)
        put(&out[k++], code, len, (int)len);
    put(&out[k++], &section, 1, 1);
    return k;
}
