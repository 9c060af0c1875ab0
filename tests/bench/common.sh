# common.sh: what the benchmark scripts (run.sh, tls.sh) share, sourced
# after they set NAME (for messages): the settings, a scratch directory
# removed at exit with the processes they started, free loopback ports,
# waiting for a server to answer, one measured run and medians.
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BIN=${BIN:-$ROOT/bin}
REPEATS=${BENCH_REPEATS:-5}
SECONDS_PER_RUN=${BENCH_SECONDS:-3}
WARMUP=${BENCH_WARMUP:-0.5}
CONNS=${BENCH_CONNS:-50}
PIPELINES=${BENCH_PIPELINES:-1 16}
PYTHON=${PYTHON:-/usr/bin/python3}

BENCH=$BIN/expomatch-bench
CLI=$BIN/expomatch-cli
DAEMON=$BIN/expomatchd

command -v redis-server >/dev/null || { echo "$NAME: redis-server not found" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/expomatch-$NAME.XXXXXX")
REDIS_PID=
DAEMON_PID=

# Stops only the processes this script started, and shows the daemon's log
# when something went wrong.
cleanup() {
    status=$?
    set +e
    [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
    [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
    if [ "$status" -ne 0 ] && [ -s "$TMP/expomatchd.log" ]; then
        echo "$NAME: last lines of the daemon's log:" >&2
        tail -n 20 "$TMP/expomatchd.log" >&2
    fi
    rm -rf "$TMP"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free loopback port: bind port 0 and read what the kernel chose. Another
# process could take it before we do; on loopback in a test run that is
# unlikely enough.
free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to 10 s for a command to succeed.
wait_for() {
    i=0
    while ! "$@" >/dev/null 2>&1; do
        i=$((i + 1))
        [ "$i" -le 100 ] || return 1
        sleep 0.1
    done
}

RESULTS=$TMP/results
: > "$RESULTS"

# One measured run; appends its RESULT line (prefixed by a label).
one() {
    label=$1
    shift
    limit=$(awk -v s="$SECONDS_PER_RUN" -v w="$WARMUP" 'BEGIN { printf "%d", s + w + 30 }')
    if line=$(timeout "$limit" "$BENCH" -c "$CONNS" -d "$SECONDS_PER_RUN" \
            --warmup "$WARMUP" "$@" | grep '^RESULT '); then
        echo "$label $line" >> "$RESULTS"
        echo "  $label $(echo "$line" | sed 's/^RESULT //')"
    else
        echo "  $label: run failed" >&2
    fi
}

# Median of one field over the runs of one label.
median() {
    grep "^$1 " "$RESULTS" | tr ' ' '\n' | sed -n "s/^$2=//p" | sort -n |
        awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
              else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
