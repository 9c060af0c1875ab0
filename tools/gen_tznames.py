#!/usr/bin/python3
"""gen_tznames.py TZDATA.zi: prints C source of the IANA time zone names
(zones and links of Debian's tzdata), for checking an event's timezone
against the real list rather than ICU's wider set of aliases ("PST")."""
import sys


def main():
    names = set()
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "Z":
                names.add(parts[1])
            elif len(parts) >= 3 and parts[0] == "L":
                names.add(parts[2])
    names = sorted(n for n in names if n.isascii() and '"' not in n)
    print("/* Generated from tzdata by tools/gen_tznames.py; do not edit. */")
    print('#include "tznames.h"\n')
    print("#include <stdlib.h>\n#include <string.h>\n")
    print("static const char *const names[] = {")
    for n in names:
        print('    "%s",' % n)
    print("};\n")
    print("""struct key {
    const char *s;
    size_t len;
};

static int cmp(const void *k, const void *elem)
{
    const struct key *key = k;
    const char *name = *(const char *const *)elem;
    size_t n = strlen(name);
    int c = memcmp(key->s, name, key->len < n ? key->len : n);
    if (c != 0)
        return c;
    return key->len < n ? -1 : key->len > n;
}

bool tz_name_is_iana(const char *s, size_t len)
{
    struct key k = {s, len};
    return bsearch(&k, names, sizeof names / sizeof names[0],
                   sizeof names[0], cmp) != NULL;
}""")


if __name__ == "__main__":
    main()
