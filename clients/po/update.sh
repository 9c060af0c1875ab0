#!/bin/sh
# update.sh: regenerates expomatch-kiosk.pot from the kiosk's sources and
# merges it into each LANG.po (new strings come in untranslated, changed
# ones fuzzy: translate them, then `make` compiles the catalogs).
# Run from anywhere: sh clients/po/update.sh
set -eu
cd "$(dirname "$0")/../.."
pot=clients/po/expomatch-kiosk.pot
xgettext --language=C --from-code=UTF-8 --keyword=_ --keyword=N_ \
    --add-comments=TRANSLATORS: --no-location --sort-output \
    --package-name=expomatch-kiosk --package-version="$(cat VERSION)" \
    --msgid-bugs-address=- -o "$pot.tmp" clients/kiosk*.c
# A stable header: no creation date, so the file changes only with its
# strings.
sed -e '1,4c\# Messages of expomatch-kiosk, the expo kiosk program.\n# Made by clients/po/update.sh from clients/kiosk*.c; do not edit.' \
    -e '/^"POT-Creation-Date:/d' "$pot.tmp" > "$pot"
rm -f "$pot.tmp"
for po in clients/po/*.po; do
    [ -f "$po" ] || continue
    msgmerge --quiet --update --backup=none --no-location --sort-output "$po" "$pot"
done
