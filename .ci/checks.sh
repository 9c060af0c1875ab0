#!/bin/sh
# .ci/checks.sh (make ci): the longer checks. Builds with AddressSanitizer
# and UBSan, runs the unit tests built that way and the integration tests
# against the sanitized daemon (tests/run.sh), then the dashboard in a real
# browser against that daemon (tests/browser/run.sh, which installs
# chromium and its npm package itself), then each fuzzer for
# FUZZ_CI_SECONDS (tests/fuzz/run.sh: one "passed" per harness that found
# nothing), then the integration tests again with the plain daemon under
# valgrind's memcheck (tests/memcheck/run.sh). Closes with one "N passed,
# N failed" line summing every run.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

echo "== build with sanitizers (make asan)"
make --no-print-directory asan

# The unit test binaries under build-asan/. These variables must stay those
# of the Makefile's asan target, or objects built by both would not match.
units=
for src in tests/unit/test_*.c; do
    [ -f "$src" ] || continue
    name=${src##*/}
    units="$units build-asan/tests/${name%.c}"
done
# The Makefile's second build of the exact phase's test (lazy table counters).
[ -f tests/unit/test_sched_exact.c ] && units="$units build-asan/tests/test_sched_exact_lazy"
if [ -n "$units" ]; then
    # shellcheck disable=SC2086 # one make goal per word
    make --no-print-directory BUILD=build-asan OPT='-O1 -g' \
        SAN='-fsanitize=address,undefined -fno-omit-frame-pointer' \
        BIN=bin-asan $units
else
    # Nothing to run; a name that matches no binary keeps tests/run.sh from
    # falling back to the unsanitized build/tests/.
    units=build-asan/tests/none
fi

# Any sanitizer report fails: UBSan stops at the first one instead of
# printing and going on; LeakSanitizer checks at exit.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The integration tests start this daemon; a sanitized one starts slower.
EXPOMATCH_BIN=$root/bin-asan/expomatchd
EXPOMATCH_START_TIMEOUT=${EXPOMATCH_START_TIMEOUT:-60}
export ASAN_OPTIONS UBSAN_OPTIONS EXPOMATCH_BIN EXPOMATCH_START_TIMEOUT

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# "PASSED FAILED SKIPPED" from the last plain summary line of file $1.
summary() {
    grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$1" | tail -n 1 |
        awk -F'[ ,]+' '{ print $1, $3, ($5 == "" ? 0 : $5) }'
}

passed=0 failed=0 skipped=0
# Adds the counts of one run (its log $1, its exit status $2); a run that
# failed without a summary, or with one that counts no failure, counts as
# one failure.
add() {
    c=$(summary "$1")
    if [ -z "$c" ]; then
        c="0 1 0"
    elif [ "$2" -ne 0 ]; then
        # shellcheck disable=SC2086 # splits the counts on purpose
        set -- $c
        [ "$2" -gt 0 ] || c="$1 1 $3"
    fi
    # shellcheck disable=SC2086 # splits the counts on purpose
    set -- $c
    passed=$((passed + $1)) failed=$((failed + $2)) skipped=$((skipped + $3))
}

echo "== unit and integration tests under sanitizers"
rc=0
# shellcheck disable=SC2086 # the binary list splits on spaces by design
{ sh tests/run.sh $units || echo "$?" >"$tmp/tests.rc"; } | tee "$tmp/tests.out"
[ -f "$tmp/tests.rc" ] && rc=$(cat "$tmp/tests.rc")
add "$tmp/tests.out" "$rc"

echo "== the dashboard in a browser, against the sanitized daemon"
rc=0
{ timeout -k 30 "${BROWSER_RUN_TIMEOUT:-900}" sh tests/browser/run.sh </dev/null ||
    echo "$?" >"$tmp/browser.rc"; } | tee "$tmp/browser.out"
[ -f "$tmp/browser.rc" ] && rc=$(cat "$tmp/browser.rc")
add "$tmp/browser.out" "$rc"

echo "== fuzzing: each harness for ${FUZZ_CI_SECONDS:-60}s (tests/fuzz)"
rc=0
{ { make --no-print-directory fuzz-build &&
    sh tests/fuzz/run.sh "${FUZZ_CI_SECONDS:-60}" fuzz_frame fuzz_dispatch; } </dev/null ||
    echo "$?" >"$tmp/fuzz.rc"; } | tee "$tmp/fuzz.out"
[ -f "$tmp/fuzz.rc" ] && rc=$(cat "$tmp/fuzz.rc")
add "$tmp/fuzz.out" "$rc"

echo "== integration tests with the daemon under valgrind memcheck"
rc=0
# valgrind cannot run an ASan build: the plain one, built as make does.
{ { make --no-print-directory all &&
    sh tests/memcheck/run.sh "$root/bin/expomatchd"; } </dev/null ||
    echo "$?" >"$tmp/memcheck.rc"; } | tee "$tmp/memcheck.out"
[ -f "$tmp/memcheck.rc" ] && rc=$(cat "$tmp/memcheck.rc")
add "$tmp/memcheck.out" "$rc"

echo "== summary of make ci"
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
