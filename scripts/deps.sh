#!/bin/sh
# deps.sh: makes sure the Debian packages of scripts/packages.txt are
# installed. Silent when they all are; installs the missing ones when run as
# root (CI and fresh machines); otherwise says what to run and fails.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# DEPS_LIST lets the tests check this script against a list of their own.
list=${DEPS_LIST:-"$here/packages.txt"}

# Strip comments and blanks; one package name per line remains.
packages=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list" | grep -v '^$' || true)

missing=
for pkg in $packages; do
    # dpkg-query fails for a package it never heard of; that is "missing" too.
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case $status in
        *" installed") ;;
        *) missing="$missing $pkg" ;;
    esac
done
missing=${missing# }

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages; install them as root with:" >&2
    echo "apt-get install $missing" >&2
    exit 1
fi

echo "deps: installing $missing" >&2
# No stdin in CI: never let apt or a maintainer script ask anything.
# redis-server's postinst may start a system redis on 6379; the project never
# uses that port, so it is left alone.
export DEBIAN_FRONTEND=noninteractive
apt-get update </dev/null
# shellcheck disable=SC2086 # word splitting of the package list is wanted
apt-get install -y --no-install-recommends $missing </dev/null
