#!/bin/sh
# run.sh (make run): starts a private redis and expomatchd from this checkout,
# loads the demo event and waits; Ctrl-C stops both cleanly.
#
# Environment:
#   REDIS_PORT        port of the private redis (default 7479)
#   EXPOMATCH_REDIS   host:port of an existing Redis to use instead
#   EXPOMATCH_PORT    RPC port (default 7411)
#   EXPOMATCH_HTTP_PORT  HTTP side port (default 7412)
#   EXPOMATCH_VAR     state directory (default var/ in this checkout)
# shellcheck disable=SC2317 # functions run from traps look unreachable
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

redis_port=${REDIS_PORT:-7479}
rpc_port=${EXPOMATCH_PORT:-7411}
http_port=${EXPOMATCH_HTTP_PORT:-7412}
py=/usr/bin/python3
var=${EXPOMATCH_VAR:-$root/var}

redis_pid=
daemon_pid=

say() { printf 'run: %s\n' "$*"; }
die() { printf 'run: %s\n' "$*" >&2; exit 1; }

# True while process $1 exists and is not a zombie. kill -0 alone is not
# enough: an exited child that the shell has not reaped still answers it.
alive() {
    [ -r "/proc/$1/stat" ] || return 1
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
    [ -n "$state" ] && [ "$state" != Z ]
}

# True when something accepts TCP connections on host $1 port $2.
port_open() {
    "$py" -c 'import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()
except OSError:
    sys.exit(1)' "$1" "$2"
}

# Sends SIGTERM to $1 and waits for it; SIGKILL after $2 seconds so that a
# stuck process cannot keep make run from ending.
stop_pid() {
    kill -TERM "$1" 2>/dev/null || true
    ( sleep "$2"; kill -KILL "$1" 2>/dev/null ) &
    watchdog=$!
    wait "$1" 2>/dev/null || true
    kill "$watchdog" 2>/dev/null || true
    wait "$watchdog" 2>/dev/null || true
}

# Stops the daemon first (it answers what is in flight), then redis (which
# fsyncs its AOF on SIGTERM). Safe to call twice.
stop_all() {
    if [ -n "$daemon_pid" ]; then
        say "stopping expomatchd"
        stop_pid "$daemon_pid" 15
        daemon_pid=
    fi
    if [ -n "$redis_pid" ]; then
        say "stopping redis"
        stop_pid "$redis_pid" 15
        redis_pid=
    fi
}

on_signal() {
    trap - INT TERM
    echo
    stop_all
    say "stopped"
    exit 0
}
trap on_signal INT TERM
trap stop_all EXIT

# Children go to a session of their own so that Ctrl-C reaches only this
# script, which then stops them in order (daemon before redis).
spawn() {
    if command -v setsid >/dev/null 2>&1; then
        setsid "$@" &
    else
        "$@" &
    fi
}

[ -x bin/expomatchd ] || die "bin/expomatchd is missing: run 'make' first (make run builds it)"

# Secrets live under var/ (git-ignored), readable by the owner only.
mkdir -p "$var/redis"
if [ ! -s "$var/secret.key" ]; then
    ( umask 077
      dd if=/dev/urandom of="$var/secret.key.tmp" bs=32 count=1 2>/dev/null
      mv "$var/secret.key.tmp" "$var/secret.key" )
    say "generated var/secret.key"
fi
if [ ! -s "$var/admin.token" ]; then
    ( umask 077
      od -An -v -tx1 -N32 /dev/urandom | tr -d ' \n' >"$var/admin.token.tmp"
      mv "$var/admin.token.tmp" "$var/admin.token" )
    say "generated var/admin.token"
fi
chmod 600 "$var/secret.key" "$var/admin.token"

# Redis: an existing one named by EXPOMATCH_REDIS, else a private one.
if [ -n "${EXPOMATCH_REDIS:-}" ]; then
    redis_addr=$EXPOMATCH_REDIS
    redis_host=${redis_addr%:*}
    redis_host=${redis_host#[}
    redis_host=${redis_host%]}
    redis_port=${redis_addr##*:}
    redis-cli -h "$redis_host" -p "$redis_port" ping >/dev/null 2>&1 ||
        die "no Redis answers at $redis_addr (EXPOMATCH_REDIS)"
    say "using Redis at $redis_addr"
else
    redis_host=127.0.0.1
    redis_addr=$redis_host:$redis_port
    if port_open "$redis_host" "$redis_port"; then
        die "port $redis_port is in use (a redis left running?); stop it, or set REDIS_PORT, or EXPOMATCH_REDIS=$redis_addr to use it"
    fi
    command -v redis-server >/dev/null 2>&1 || die "redis-server not found: run 'make deps'"
    # Durable like production: every write fsynced to the AOF, no RDB dumps.
    spawn redis-server --bind 127.0.0.1 --port "$redis_port" \
        --dir "$var/redis" --appendonly yes --appendfsync always \
        --save '' --daemonize no --logfile "$var/redis/redis.log"
    redis_pid=$!
    i=0
    until redis-cli -h "$redis_host" -p "$redis_port" ping >/dev/null 2>&1; do
        alive "$redis_pid" || { tail -n 20 "$var/redis/redis.log" >&2 || true; redis_pid=; die "redis-server exited"; }
        i=$((i + 1))
        # A large AOF may take a while to load; 60 s is plenty for a demo.
        [ "$i" -lt 600 ] || die "redis did not answer PING within 60 s"
        sleep 0.1
    done
    say "redis on $redis_addr (data in var/redis, log var/redis/redis.log)"
fi

port_open 127.0.0.1 "$rpc_port" && die "RPC port $rpc_port is in use (an expomatchd left running?); set EXPOMATCH_PORT"

# The daemon opens its RPC port only after rebuilding its state, so an
# answering port means ready.
set -- --redis "$redis_addr" \
    --admin-token-file "$var/admin.token" --secret-key-file "$var/secret.key" \
    --port "$rpc_port" --http-port "$http_port"
[ -f config/expomatchd.conf ] && set -- --config config/expomatchd.conf "$@"
log=$var/expomatchd.log
: >"$log"
spawn bin/expomatchd "$@" 2>>"$log" >>"$log"
daemon_pid=$!
i=0
until port_open 127.0.0.1 "$rpc_port"; do
    if ! alive "$daemon_pid"; then
        tail -n 20 "$log" >&2 || true
        wait "$daemon_pid" 2>/dev/null || true
        daemon_pid=
        die "expomatchd exited during start; its log is var/expomatchd.log"
    fi
    i=$((i + 1))
    [ "$i" -lt 600 ] || die "expomatchd did not open port $rpc_port within 60 s; see var/expomatchd.log"
    sleep 0.1
done
say "expomatchd pid $daemon_pid on 127.0.0.1:$rpc_port (log var/expomatchd.log)"

"$py" scripts/demo.py --host 127.0.0.1 --port "$rpc_port" --token-file "$var/admin.token" \
    --tokens-dir "$var" ||
    die "loading the demo event failed"

cat <<EOF

expomatch is running.
  RPC (MessagePack-RPC):  127.0.0.1:$rpc_port
  health:                 http://127.0.0.1:$http_port/healthz
  metrics:                http://127.0.0.1:$http_port/metrics
  Redis:                  $redis_addr
  organizer dashboard:    http://127.0.0.1:$http_port/  (sign in with the token in var/organizer.token)
  token files:            var/admin.token, var/organizer.token, var/kiosk.token
  try:  bin/expomatch-cli -p $rpc_port -a @var/admin.token event.get '{"event":"demo"}'
        bin/expomatch-cli -p $rpc_port -a @var/organizer.token     (a prompt; type help)
        bin/expomatch-kiosk -p $rpc_port -a @var/kiosk.token --allow-quit   (type the badge line above)
        bin/expomatch-loadgen -p $rpc_port -a @var/admin.token --seconds 10
Press Ctrl-C to stop.
EOF

# wait returns when the daemon exits or when INT/TERM runs on_signal.
status=0
wait "$daemon_pid" || status=$?
daemon_pid=
die "expomatchd exited on its own (status $status); see var/expomatchd.log"
