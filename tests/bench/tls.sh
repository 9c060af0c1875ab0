#!/bin/sh
# tls.sh: throughput of expomatchd over TLS as a ratio to plain TCP. One
# daemon listens on both ports (a throwaway CA and certificate are made
# here); bin/expomatch-bench pings it over each, alternating runs so that
# drift in machine load hits both alike, and the medians are compared.
#
# Environment: BENCH_REPEATS (default 5), BENCH_SECONDS per run (default 3),
# BENCH_WARMUP (default 0.5), BENCH_CONNS (default 50), BENCH_PIPELINES
# (default "1 16"), BIN (default bin). About a minute with the defaults.
set -eu

NAME=tls
. "$(dirname "$0")/common.sh"
for f in "$BENCH" "$CLI" "$DAEMON"; do
    [ -x "$f" ] || { echo "tls.sh: $f missing; run make first" >&2; exit 1; }
done
command -v openssl >/dev/null || { echo "tls.sh: openssl not found" >&2; exit 1; }

# A CA and a server certificate for 127.0.0.1, the kind an operator would
# use: P-256 keys.
( cd "$TMP" &&
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -keyout ca.key -out ca.pem -days 2 -subj "/CN=expomatch bench CA" \
      -addext basicConstraints=critical,CA:TRUE \
      -addext keyUsage=critical,keyCertSign,cRLSign &&
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -keyout server.key -out server.csr -subj "/CN=localhost" &&
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext &&
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 1 \
      -days 2 -out server.pem -extfile server.ext ) > "$TMP/openssl.log" 2>&1 ||
    { cat "$TMP/openssl.log" >&2; echo "tls.sh: could not make certificates" >&2; exit 1; }

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$TMP" --logfile "$TMP/redis.log" &
REDIS_PID=$!
wait_for redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping ||
    { echo "tls.sh: redis-server did not start" >&2; exit 1; }

PORT=$(free_port)
TLS_PORT=$(free_port)
TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
"$DAEMON" --port "$PORT" --tls-port "$TLS_PORT" --http-port 0 \
    --tls-cert-file "$TMP/server.pem" --tls-key-file "$TMP/server.key" \
    --redis "127.0.0.1:$REDIS_PORT" --admin-token "$TOKEN" --log-level warn \
    > "$TMP/expomatchd.log" 2>&1 &
DAEMON_PID=$!
wait_for "$CLI" -p "$TLS_PORT" --cacert "$TMP/ca.pem" -t 1 ping ||
    { echo "tls.sh: expomatchd did not answer ping over TLS" >&2; exit 1; }

echo "expomatch ping, TLS vs plain TCP: $CONNS connections, pipelines:" \
     "$PIPELINES, $REPEATS x ${SECONDS_PER_RUN}s runs each"
r=1
while [ "$r" -le "$REPEATS" ]; do
    echo "round $r of $REPEATS"
    for p in $PIPELINES; do
        # Which goes first alternates too.
        if [ $((r % 2)) -eq 1 ]; then
            one "plain-P$p" -p "$PORT" -P "$p"
            one "tls-P$p" -p "$TLS_PORT" --cacert "$TMP/ca.pem" -P "$p"
        else
            one "tls-P$p" -p "$TLS_PORT" --cacert "$TMP/ca.pem" -P "$p"
            one "plain-P$p" -p "$PORT" -P "$p"
        fi
    done
    r=$((r + 1))
done

echo
printf '%-14s %10s %8s %8s %7s\n' "median of $REPEATS" "req/s" "p50_us" "p99_us" "errors"
for p in $PIPELINES; do
    for label in "plain-P$p" "tls-P$p"; do
        printf '%-14s %10s %8s %8s %7s\n' "$label" "$(median "$label" rps)" \
            "$(median "$label" p50_us)" "$(median "$label" p99_us)" "$(median "$label" errors)"
    done
done
echo
for p in $PIPELINES; do
    plain=$(median "plain-P$p" rps)
    tls=$(median "tls-P$p" rps)
    ratio=$(awk -v a="$tls" -v b="$plain" 'BEGIN { if (b > 0 && a != "-") printf "%.2f", a / b; else print "-" }')
    echo "RATIO conns=$CONNS pipeline=$p tls/plain=$ratio"
done
