#!/bin/sh
# tests/fuzz/run.sh SECONDS HARNESS...: runs each libFuzzer harness of
# build-fuzz/fuzz/ for SECONDS, one after the other, and closes with one
# line "N passed, N failed" (a harness passes when it ran its time and
# found nothing). The seed corpus tests/fuzz/corpus/HARNESS/ is only read:
# new inputs go to build-fuzz/corpus/HARNESS/, findings (crash-*, leak-*,
# timeout-*, oom-*) to build-fuzz/findings/. Each run appends a line of
# figures to build-fuzz/fuzz-stats.txt.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

secs=$1
shift
out=build-fuzz
mkdir -p "$out/findings"

# Sanitizer reports must end the run (libFuzzer then saves the input).
# Leaks are checked after every input that allocated more than it freed.
ASAN_OPTIONS=${FUZZ_ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:abort_on_error=1}
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS UBSAN_OPTIONS

passed=0 failed=0
for h in "$@"; do
    bin=$out/fuzz/$h
    work=$out/corpus/$h
    mkdir -p "$work"
    log=$out/$h.log
    dict=
    [ -f "tests/fuzz/$h.dict" ] && dict=-dict=tests/fuzz/$h.dict
    echo "== fuzz $h for ${secs}s"
    rc=0
    # -timeout: one input taking this long is a finding (a hang);
    # -malloc_limit_mb: so is one allocation this large (untrusted sizes);
    # -max_len: requests and their store scripts fit in 4 KiB.
    # shellcheck disable=SC2086 # $dict is empty or one word
    timeout -k 30 $((secs + 120)) "$bin" -max_total_time="$secs" \
        -max_len=4096 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256 \
        -print_final_stats=1 -artifact_prefix="$out/findings/$h-" $dict \
        "$work" "tests/fuzz/corpus/$h" >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    corpus=$(find "$work" -type f | wc -l)
    if [ "$rc" -eq 0 ] && [ -n "$execs" ]; then
        passed=$((passed + 1))
        verdict=ok
    else
        failed=$((failed + 1))
        verdict="FOUND (exit $rc)"
        tail -n 60 "$log"
    fi
    echo "fuzz $h: ${secs}s, ${execs:-?} executions, corpus $corpus, $verdict"
    printf '%s %s seconds=%s execs=%s corpus=%s result=%s\n' \
        "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$h" "$secs" "${execs:-0}" \
        "$corpus" "$verdict" >>"$out/fuzz-stats.txt"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
