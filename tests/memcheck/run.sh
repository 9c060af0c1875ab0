#!/bin/sh
# tests/memcheck/run.sh DAEMON: the integration tests with every daemon
# they start running under valgrind's memcheck (make ci). A daemon that
# reports any memory error or a definite leak fails its test (conftest.py
# reads valgrind's report from a file of that daemon's); afterwards every
# report is counted again here, so that the figures show how many daemons
# were checked. Closes with one line "N passed, N failed".
#
# The tests run are those of tests/memcheck/tests.txt (what is left out,
# and why, is written there). Under valgrind the daemon runs some 20-50
# times slower; no test's assertions are changed, only start and stop
# deadlines are longer.
# MEMCHECK_TIMEOUT: seconds before a hung run is killed (default 1200).
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
daemon=$1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# valgrind is installed here when run as root (CI), like make bench-sched's
# glpk-utils.
printf 'valgrind\n' >"$tmp/deps.txt"
DEPS_LIST=$tmp/deps.txt sh scripts/deps.sh

# Memory errors and definite leaks are errors (exit status 97, and counted
# in "ERROR SUMMARY"); possible and reachable leaks are not: libraries keep
# caches until exit.
# Its report goes to a file of each daemon's own (conftest.py sets
# EXPOMATCH_WRAPPER_LOG), not to the daemon's stderr, which some tests read.
EXPOMATCH_WRAPPER="valgrind --tool=memcheck --leak-check=full \
--log-file=%q{EXPOMATCH_WRAPPER_LOG} \
--errors-for-leak-kinds=definite --show-leak-kinds=definite \
--error-exitcode=97 --num-callers=30"
EXPOMATCH_BIN=$daemon
EXPOMATCH_START_TIMEOUT=${EXPOMATCH_START_TIMEOUT_MEMCHECK:-120}
EXPOMATCH_STOP_TIMEOUT=60
export EXPOMATCH_WRAPPER EXPOMATCH_BIN EXPOMATCH_START_TIMEOUT EXPOMATCH_STOP_TIMEOUT

tests=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' tests/memcheck/tests.txt | grep -v '^$')
# shellcheck disable=SC2086 # one test path per word
timeout -k 30 "${MEMCHECK_TIMEOUT:-1200}" /usr/bin/python3 -m pytest -q \
    -p no:cacheprovider --basetemp="$tmp/pt" $tests </dev/null |
    tee "$tmp/pytest.out" || true
# tee hides pytest's status; its summary line says what happened.

# Every daemon's valgrind report (*.wrapper.log in the tests' directories).
checked=0 dirty=0 unfinished=0
find "$tmp/pt" -name '*.wrapper.log' >"$tmp/outs" 2>/dev/null || true
while IFS= read -r f; do
    grep -q '^==[0-9]*== Memcheck' "$f" || continue
    checked=$((checked + 1))
    if ! grep -q 'ERROR SUMMARY:' "$f"; then
        # Killed on purpose (kill -9 tests) or at a timeout: no report.
        unfinished=$((unfinished + 1))
    elif grep -q 'ERROR SUMMARY: [1-9]' "$f"; then
        dirty=$((dirty + 1))
        echo "memcheck: errors in $f:"
        grep -E '^==[0-9]+== ' "$f" | tail -n 80
    fi
done <"$tmp/outs"
echo "memcheck: $checked daemons under valgrind, $((checked - unfinished)) reports," \
    "$dirty with errors or definite leaks, $unfinished killed before a report"

summary=$(grep -E '[0-9]+ (passed|failed)' "$tmp/pytest.out" | tail -n 1 || true)
passed=$(echo "$summary" | sed -n 's/.*\b\([0-9][0-9]*\) passed.*/\1/p')
failed=$(echo "$summary" | sed -n 's/.*\b\([0-9][0-9]*\) failed.*/\1/p')
errors=$(echo "$summary" | sed -n 's/.*\b\([0-9][0-9]*\) error.*/\1/p')
passed=${passed:-0}
failed=$((${failed:-0} + ${errors:-0}))
# A report with errors fails the run even if no test noticed it; so does a
# run that checked no daemon or ended without a summary.
if [ "$dirty" -gt 0 ] || [ "$checked" -eq 0 ] || [ -z "$summary" ]; then
    failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
