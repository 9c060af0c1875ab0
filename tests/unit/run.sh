#!/bin/sh
# run.sh: runs each unit test binary given, shows its output, and sums cmocka's per-test counts.
# Usage: sh tests/unit/run.sh build/tests/test_a build/tests/test_b ...
# A binary that crashes, or exits non-zero without saying which tests failed,
# counts as one failed test so it cannot pass unnoticed.

passed=0
failed=0
out=$(mktemp "${TMPDIR:-/tmp}/unit.XXXXXX") || exit 2
trap 'rm -f "$out"' EXIT HUP INT TERM

for t in "$@"; do
    echo "== $t"
    "$t" >"$out" 2>&1
    rc=$?
    cat "$out"
    # cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s).".
    p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' "$out" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' "$out" | tail -n 1)
    p=${p:-0}
    f=${f:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "== $t exited with status $rc"
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
