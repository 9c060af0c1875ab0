#!/bin/sh
# run.sh: compares expomatchd with redis-server on loopback using the same
# load generator (bin/expomatch-bench), alternating runs so that drift in
# machine load hits both alike, and prints medians and ratios.
#
# Environment: BENCH_REPEATS (default 5), BENCH_SECONDS per run (default 3),
# BENCH_WARMUP (default 0.5), BENCH_CONNS (default 50), BENCH_PIPELINES
# (default "1 16"), EXPOMATCHD_ARGS (extra daemon flags). With the defaults
# the whole script takes about two minutes.
set -eu

NAME=run
. "$(dirname "$0")/common.sh"
[ -x "$BENCH" ] || { echo "run.sh: $BENCH missing; run make first" >&2; exit 1; }

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$TMP" --logfile "$TMP/redis.log" &
REDIS_PID=$!
wait_for redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping ||
    { echo "run.sh: redis-server did not start" >&2; exit 1; }

HAVE_DAEMON=0
if [ -x "$DAEMON" ] && [ -x "$CLI" ]; then
    PORT=$(free_port)
    # A fresh random admin token; the daemon takes it on its command line, as
    # this is a private throwaway instance.
    TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s\n' "$TOKEN" > "$TMP/token"
    chmod 600 "$TMP/token"
    # shellcheck disable=SC2086
    "$DAEMON" --port "$PORT" --http-port 0 --redis "127.0.0.1:$REDIS_PORT" \
        --admin-token "$TOKEN" --log-level warn ${EXPOMATCHD_ARGS:-} \
        > "$TMP/expomatchd.log" 2>&1 &
    DAEMON_PID=$!
    if wait_for "$CLI" -p "$PORT" -t 1 ping; then
        HAVE_DAEMON=1
    else
        echo "run.sh: expomatchd did not answer ping; measuring redis only" >&2
        tail -n 20 "$TMP/expomatchd.log" >&2 || true
        kill "$DAEMON_PID" 2>/dev/null || true
        DAEMON_PID=
    fi
else
    echo "run.sh: $DAEMON or $CLI missing; measuring redis only" >&2
fi

HAVE_PROFILE=0
if [ "$HAVE_DAEMON" = 1 ]; then
    cli() { "$CLI" -p "$PORT" -a "@$TMP/token" --compact "$@"; }
    if cli event.put '{"event":"bench","name":"Bench Expo",
            "slots":[{"id":"s1","start":"2026-07-13T09:00:00","end":"2026-07-13T09:30:00"},
                     {"id":"s2","start":"2026-07-13T09:30:00","end":"2026-07-13T10:00:00"}],
            "tables":10}' > /dev/null &&
       cli profile.put '{"event":"bench","id":"p1","side":"seller",
            "company":"Chiang Mai Coffee Co.","country":"TH","languages":["th","en"],
            "sectors":["A"],"offers":[{"code":"090111","text":"green arabica beans"}],
            "cooperation":["trade"],"markets":["CN","JP"],"size":"small"}' > /dev/null &&
       cli profile.get '{"event":"bench","id":"p1"}' > /dev/null; then
        HAVE_PROFILE=1
    else
        echo "run.sh: could not create the bench event and profile; skipping profile.get" >&2
    fi
fi

echo "expomatch vs redis: $CONNS connections, pipelines: $PIPELINES," \
     "$REPEATS x ${SECONDS_PER_RUN}s runs each"
r=1
while [ "$r" -le "$REPEATS" ]; do
    echo "round $r of $REPEATS"
    for p in $PIPELINES; do
        if [ "$HAVE_DAEMON" = 1 ]; then
            one "expomatch-ping-P$p" --target expomatch -p "$PORT" -P "$p"
        fi
        one "redis-ping-P$p" --target redis -p "$REDIS_PORT" -P "$p"
        if [ "$HAVE_PROFILE" = 1 ]; then
            one "expomatch-profile-P$p" --target expomatch -p "$PORT" -P "$p" \
                --method profile.get --auth "@$TMP/token" --event bench --id p1
        fi
    done
    r=$((r + 1))
done

echo
printf '%-22s %10s %8s %8s %7s\n' "median of $REPEATS" "req/s" "p50_us" "p99_us" "errors"
for p in $PIPELINES; do
    for label in "expomatch-ping-P$p" "redis-ping-P$p" "expomatch-profile-P$p"; do
        grep -q "^$label " "$RESULTS" || continue
        printf '%-22s %10s %8s %8s %7s\n' "$label" "$(median "$label" rps)" \
            "$(median "$label" p50_us)" "$(median "$label" p99_us)" "$(median "$label" errors)"
    done
done
echo
for p in $PIPELINES; do
    red=$(median "redis-ping-P$p" rps)
    for what in ping profile; do
        ex=$(median "expomatch-$what-P$p" rps)
        if [ "$ex" = "-" ] || [ "$red" = "-" ]; then
            continue
        fi
        ratio=$(awk -v a="$ex" -v b="$red" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
        echo "RATIO conns=$CONNS pipeline=$p method=$what expomatch/redis=$ratio"
    done
done
