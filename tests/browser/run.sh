#!/bin/sh
# tests/browser/run.sh: the organizer dashboard in Debian's chromium.
# Installs chromium (scripts/deps.sh with deps.txt; as root) and the npm
# package playwright-core (npm ci, when node_modules is missing), starts a
# private redis-server and the daemon ($EXPOMATCH_BIN, default
# bin/expomatchd) on free loopback ports, seeds an event through the RPC
# port, runs dashboard.test.mjs, and stops everything. The screenshot goes
# to docs/dashboard.png ($EM_SHOT to change it). Ends with one line
# "N passed, N failed": the browser checks, plus one for the daemon's
# clean exit (status 0, no sanitizer report).
# BROWSER_TIMEOUT: seconds before the browser test is killed (180).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${EXPOMATCH_BIN:-$root/bin/expomatchd}
py=/usr/bin/python3
tmp=$(mktemp -d)
redis_pid=
daemon_pid=

stop() {
    # Our own processes only, by their ids.
    if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null || true; fi
    if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap stop EXIT
trap 'exit 130' INT TERM

# Setup failed: the test could not run, which is one failure.
fail() {
    echo "error: $*"
    for f in "$tmp/daemon.out" "$tmp/daemon.log"; do
        [ -s "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }
    done
    echo "0 passed, 1 failed"
    exit 1
}

echo "== browser test of the dashboard"
DEPS_LIST="$here/deps.txt" sh "$root/scripts/deps.sh" ||
    fail "chromium is not installed (as root: apt-get install chromium)"
[ -x /usr/bin/chromium ] || fail "no /usr/bin/chromium"
command -v node >/dev/null 2>&1 || fail "no node (Node.js 20 or later)"
command -v npm >/dev/null 2>&1 || fail "no npm"
if [ ! -d "$here/node_modules/playwright-core" ]; then
    (cd "$here" && timeout 300 npm ci --no-audit --no-fund) ||
        fail "npm ci failed"
fi
[ -x "$bin" ] || fail "no daemon binary at $bin (make, or set EXPOMATCH_BIN)"

# Three free ports: redis, RPC, HTTP.
# shellcheck disable=SC2046 # one port per word
set -- $($py "$here/stack.py" ports 3)
[ "$#" -eq 3 ] || fail "no free ports"
redis_port=$1 rpc_port=$2 http_port=$3

redis-server --port "$redis_port" --bind 127.0.0.1 --save "" \
    --appendonly no --dir "$tmp" --logfile "$tmp/redis.log" \
    --daemonize no </dev/null >/dev/null 2>&1 &
redis_pid=$!
i=0
until redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null | grep -q PONG; do
    i=$((i + 1))
    [ "$i" -lt 100 ] || fail "redis-server did not start"
    sleep 0.1
done

head -c 32 /dev/urandom >"$tmp/secret.key"
# A throwaway admin token, from a file so it stays out of ps.
printf 'admin-%s\n' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
    >"$tmp/admin.token"
chmod 600 "$tmp/secret.key" "$tmp/admin.token"
"$bin" --bind 127.0.0.1 --port "$rpc_port" --http-port "$http_port" \
    --redis "127.0.0.1:$redis_port" --admin-token-file "$tmp/admin.token" \
    --secret-key-file "$tmp/secret.key" --log-file "$tmp/daemon.log" \
    --http-heartbeat-ms 2000 </dev/null >"$tmp/daemon.out" 2>&1 &
daemon_pid=$!
$py "$here/stack.py" wait "$http_port" "${EXPOMATCH_START_TIMEOUT:-60}" ||
    fail "the daemon did not become ready"
event=$($py "$here/stack.py" seed "$rpc_port" "$tmp/admin.token" \
    "$tmp/org.token") || fail "could not seed the event"

mkdir -p "$tmp/profile"
rc=0
EM_BASE="http://127.0.0.1:$http_port" EM_RPC_PORT=$rpc_port EM_EVENT=$event \
    EM_TOKEN_FILE="$tmp/org.token" EM_SHOT=${EM_SHOT:-$root/docs/dashboard.png} \
    EM_PROFILE_DIR="$tmp/profile" \
    timeout -k 10 "${BROWSER_TIMEOUT:-180}" node "$here/dashboard.test.mjs" \
    </dev/null >"$tmp/node.out" 2>&1 || rc=$?
grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$tmp/node.out" || true
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$tmp/node.out" | tail -n 1)
if [ -n "$line" ]; then
    passed=${line%% passed*}
    failed=${line#*, }
    failed=${failed%% failed}
else
    echo "FAIL the browser test ended without a summary (exit $rc)"
    passed=0 failed=1
fi
[ "$rc" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1

# The daemon must stop cleanly on SIGTERM, without a sanitizer report.
kill -TERM "$daemon_pid" 2>/dev/null || true
i=0 drc=
while [ "$i" -lt 300 ]; do
    if ! kill -0 "$daemon_pid" 2>/dev/null; then
        drc=0
        wait "$daemon_pid" || drc=$?
        break
    fi
    i=$((i + 1))
    sleep 0.1
done
daemon_pid_was=$daemon_pid
daemon_pid=
if [ -z "$drc" ]; then
    kill -KILL "$daemon_pid_was" 2>/dev/null || true
    echo "FAIL the daemon did not exit within 30 s of SIGTERM"
    failed=$((failed + 1))
elif [ "$drc" -ne 0 ] ||
    grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$tmp/daemon.out"; then
    echo "FAIL the daemon exited with status $drc"
    tail -n 40 "$tmp/daemon.out"
    failed=$((failed + 1))
else
    echo "ok   the daemon exits cleanly on SIGTERM"
    passed=$((passed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
