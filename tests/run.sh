#!/bin/sh
# tests/run.sh [UNIT_BINARIES...]: the body of make test. Runs the C unit
# tests (default build/tests/test_*) through tests/unit/run.sh, then the
# integration tests with pytest, and closes with one line
# "N passed, N failed" summing both, which CI reads.
#
# Environment passed through to the integration tests as it is, e.g.
# EXPOMATCH_BIN=bin-asan/expomatchd (see .ci/checks.sh).
# UNIT_TIMEOUT / INTEGRATION_TIMEOUT: seconds before a hung run is killed.
# shellcheck disable=SC2086 # "set -- $c" splits counts on purpose
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Prints "PASSED FAILED SKIPPED" from the last summary line of file $1:
# either the plain "N passed, N failed" or pytest's "3 passed, 1 failed,
# 2 skipped, 1 error in 0.5s". Nothing when there is no such line.
counts() {
    grep -E '[0-9]+ (passed|failed|error|errors)([ ,]|$)' "$1" | tail -n 1 |
        awk '{
            p = f = s = 0
            for (i = 2; i <= NF; i++) {
                w = $i; gsub(/[^a-z]/, "", w); n = $(i - 1) + 0
                if (w == "passed") p = n
                else if (w == "failed" || w == "error" || w == "errors") f += n
                else if (w == "skipped") s = n
            }
            print p, f, s
        }'
}

# Bounds a run so a hang fails instead of stalling CI. At a terminal the
# command stays in the foreground so that Ctrl-C reaches it (pytest then
# tears its servers down); elsewhere timeout's own process group lets it
# kill whatever the tests started too.
if [ -t 0 ]; then fg=--foreground; else fg=; fi
bounded() {
    secs=$1
    shift
    timeout $fg -k 30 "$secs" "$@"
}

passed=0
failed=0
skipped=0
unit_ran=0
problems=

# Unit tests. An unmatched glob stays literal: then there are none.
[ "$#" -gt 0 ] || set -- build/tests/test_*
bins=
for b in "$@"; do
    [ -x "$b" ] && bins="$bins $b"
done
echo "== unit tests"
if [ -z "$bins" ]; then
    echo "note: no unit test binaries ($*)"
elif [ ! -f tests/unit/run.sh ]; then
    problems="$problems unit-runner-missing"
    failed=$((failed + 1))
    echo "error: tests/unit/run.sh is missing"
else
    rc=0
    # shellcheck disable=SC2086 # the binary list splits on spaces by design
    { bounded "${UNIT_TIMEOUT:-900}" sh tests/unit/run.sh $bins || echo "$?" >"$tmp/unit.rc"; } |
        tee "$tmp/unit.out"
    [ -f "$tmp/unit.rc" ] && rc=$(cat "$tmp/unit.rc")
    c=$(counts "$tmp/unit.out")
    if [ -n "$c" ]; then
        set -- $c
        passed=$((passed + $1)); failed=$((failed + $2)); skipped=$((skipped + $3))
        [ $(($1 + $2)) -gt 0 ] && unit_ran=1
    fi
    if [ "$rc" -ne 0 ]; then
        problems="$problems unit-exit-$rc"
        # A crash or timeout may print no "failed" count: make it count.
        [ -n "$c" ] && [ "$2" -gt 0 ] || failed=$((failed + 1))
    elif [ -z "$c" ]; then
        problems="$problems unit-no-summary"
        failed=$((failed + 1))
    fi
fi

echo "== integration tests"
if [ ! -d tests/integration ]; then
    rc=5
    echo "note: no tests/integration directory"
else
    rc=0
    # No cache dir in the work tree; the daemon and redis logs of a failed
    # test are the tests' own business.
    { bounded "${INTEGRATION_TIMEOUT:-2400}" "$py" -m pytest -q -p no:cacheprovider tests/integration tests/bench </dev/null ||
        echo "$?" >"$tmp/it.rc"; } | tee "$tmp/it.out"
    [ -f "$tmp/it.rc" ] && rc=$(cat "$tmp/it.rc")
fi
case $rc in
    0|1)
        c=$(counts "$tmp/it.out")
        if [ -n "$c" ]; then
            set -- $c
            passed=$((passed + $1)); failed=$((failed + $2)); skipped=$((skipped + $3))
        fi
        if [ "$rc" -ne 0 ] && { [ -z "$c" ] || [ "$2" -eq 0 ]; }; then
            failed=$((failed + 1))
        fi
        ;;
    5)
        # pytest found no tests: fine while the suite is being written, as
        # long as the unit tests ran; otherwise this run tested nothing.
        if [ "$unit_ran" -eq 1 ]; then
            echo "note: no integration tests collected"
        else
            echo "error: no integration tests collected and no unit tests ran"
            problems="$problems no-tests"
            failed=$((failed + 1))
        fi
        ;;
    *)
        # 2 interrupted, 3 internal error, 4 usage error, 124 timeout.
        echo "error: pytest exited with status $rc"
        problems="$problems pytest-exit-$rc"
        c=$(counts "$tmp/it.out" 2>/dev/null || true)
        if [ -n "$c" ]; then
            set -- $c
            passed=$((passed + $1)); failed=$((failed + $2)); skipped=$((skipped + $3))
        fi
        [ -n "$c" ] && [ "$2" -gt 0 ] || failed=$((failed + 1))
        ;;
esac

echo "== summary${problems:+ (problems:$problems)}"
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
