#!/bin/sh
# embed.sh NAME FILE: prints a C file defining NAME (bytes of FILE, NUL
# terminated) and NAME_len, so the daemon needs no file at run time.
set -eu
name=$1
file=$2
printf '/* Generated from %s by tools/embed.sh; do not edit. */\n' "$file"
printf '#include <stddef.h>\nconst char %s[] = {\n' "$name"
od -An -v -tx1 "$file" | sed -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g' -e 's/^/ /'
printf ' 0x00\n};\nconst size_t %s_len = sizeof %s - 1;\n' "$name" "$name"
