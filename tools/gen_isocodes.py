#!/usr/bin/python3
"""gen_isocodes.py: prints the C tables behind daemon/isocodes.h.

Reads iso_3166-1.json and iso_639-2.json from Debian's iso-codes (the
directory is the only argument) and writes sorted code/name arrays and the
lookup functions to stdout. Entries of ISO 639-2 that carry alpha_2 are the
ISO 639-1 codes. Standard library only, so the build needs nothing more.
"""

import json
import os
import sys


def c_string(text):
    """A C string literal; non-ASCII bytes as octal escapes so the
    generated file is plain ASCII whatever the compiler's charset."""
    out = []
    for b in text.encode("utf-8"):
        if b in (0x22, 0x5C):
            out.append("\\" + chr(b))
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append("\\%03o" % b)
    return '"' + "".join(out) + '"'


def load(directory, filename, key):
    with open(os.path.join(directory, filename), encoding="utf-8") as f:
        return json.load(f)[key]


def countries(directory):
    table = {}
    for e in load(directory, "iso_3166-1.json", "3166-1"):
        code = e.get("alpha_2", "")
        if len(code) == 2 and code.isascii() and code.isupper():
            # The common name ("South Korea") reads better on a kiosk than
            # the formal short name ("Korea, Republic of").
            table[code] = e.get("common_name") or e["name"]
    return table


def languages(directory):
    table = {}
    for e in load(directory, "iso_639-2.json", "639-2"):
        code = e.get("alpha_2", "")
        if len(code) == 2 and code.isascii() and code.islower():
            # Names list alternatives ("Spanish; Castilian"): keep the
            # first that is not inverted ("Ndebele, South; South Ndebele").
            alts = [a.strip() for a in e["name"].split(";")]
            plain = [a for a in alts if ", " not in a]
            name = e.get("common_name") or (plain or alts)[0]
            table.setdefault(code, name)
    return table


def emit_table(name, table):
    print("static const struct iso_entry %s[] = {" % name)
    for code in sorted(table):
        print("    {%s, %s}," % (c_string(code), c_string(table[code])))
    print("};")
    print()


LOOKUP = """\
static int cmp_entry(const void *key, const void *elem)
{
    const struct iso_entry *e = elem;
    return memcmp(key, e->code, 2);
}

/* The entry for a two-byte code, by binary search; NULL if absent. */
static const struct iso_entry *find(const struct iso_entry *t, size_t n,
                                    const char *code)
{
    return bsearch(code, t, n, sizeof *t, cmp_entry);
}

static bool two_in(const char *s, size_t len, char lo, char hi)
{
    return len == 2 && s[0] >= lo && s[0] <= hi && s[1] >= lo && s[1] <= hi;
}

#define NCOUNTRIES (sizeof countries / sizeof countries[0])
#define NLANGUAGES (sizeof languages / sizeof languages[0])

bool iso_country_valid(const char *s, size_t len)
{
    return two_in(s, len, 'A', 'Z') && find(countries, NCOUNTRIES, s);
}

bool iso_language_valid(const char *s, size_t len)
{
    return two_in(s, len, 'a', 'z') && find(languages, NLANGUAGES, s);
}

const char *iso_country_name(const char *code)
{
    if (code == NULL || !iso_country_valid(code, strlen(code)))
        return NULL;
    return find(countries, NCOUNTRIES, code)->name;
}

const char *iso_language_name(const char *code)
{
    if (code == NULL || !iso_language_valid(code, strlen(code)))
        return NULL;
    return find(languages, NLANGUAGES, code)->name;
}

size_t iso_country_count(void)
{
    return NCOUNTRIES;
}

size_t iso_language_count(void)
{
    return NLANGUAGES;
}
"""


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: gen_isocodes.py ISO_CODES_JSON_DIR\n")
        return 2
    directory = sys.argv[1]
    c = countries(directory)
    lang = languages(directory)
    if len(c) < 200 or len(lang) < 150:
        sys.stderr.write("gen_isocodes.py: tables look truncated\n")
        return 1
    print("/* Generated, do not edit: isocodes.c, made by tools/gen_isocodes.py")
    print(" * from Debian's iso-codes (ISO 3166-1 alpha-2, ISO 639-1). */")
    print('#include "isocodes.h"')
    print()
    print("#include <stdlib.h>")
    print("#include <string.h>")
    print()
    print("struct iso_entry {")
    print("    char code[3];")
    print("    const char *name;")
    print("};")
    print()
    emit_table("countries", c)
    emit_table("languages", lang)
    sys.stdout.write(LOOKUP)
    return 0


if __name__ == "__main__":
    sys.exit(main())
