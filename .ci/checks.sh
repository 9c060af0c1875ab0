#!/bin/sh
# .ci/checks.sh (make ci): the longer checks. For now: build with
# AddressSanitizer and UBSan, run the unit tests built that way and the
# integration tests against the sanitized daemon. Closes with one
# "N passed, N failed" line (printed by tests/run.sh).
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

echo "== unit and integration tests under sanitizers"
# shellcheck disable=SC2086 # the binary list splits on spaces by design
exec sh tests/run.sh $units
