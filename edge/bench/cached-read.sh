#!/usr/bin/env bash
# Cached catalog read at the edge, measured against `wrangler dev`:
# - requests/s and latency with wrk;
# - CPU per request of the workerd processes wrangler started (from /proc: includes HTTP handling, local KV
#   emulation and the dev proxy, so it is an upper bound), next to a baseline route that does no I/O.
# Needs Redis on 6379 and wrk (apt-get install -y wrk). Run from the repository root.
# LIMITER_URL=http://127.0.0.1:1 points the rate limiter at nothing (it fails open) to see the cache path alone.
set -uo pipefail
EDGE_PORT=${EDGE_PORT:-28787} UPSTASH_PORT=${UPSTASH_PORT:-28179} ORIGIN_PORT=${ORIGIN_PORT:-28402}
DURATION=${DURATION:-15s} CONNECTIONS=${CONNECTIONS:-16} THREADS=${THREADS:-2}
EDGE="http://127.0.0.1:$EDGE_PORT"
CACHED="$EDGE/v1/catalog/products?storeId=0190a5c0-0000-7000-8000-000000000001&category=fruit&limit=20"
BASELINE="$EDGE/nowhere"

PIDS=()
descendants() { for child in $(pgrep -P "$1" || true); do echo "$child"; descendants "$child"; done; }
cleanup() { for pid in "${PIDS[@]}"; do kill $(descendants "$pid") "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

UPSTASH_PORT=$UPSTASH_PORT node_modules/.bin/bun core/tooling/upstash-rest/main.ts >/tmp/bench-upstash.log 2>&1 &
PIDS+=($!)
ORIGIN_PORT=$ORIGIN_PORT node_modules/.bin/bun edge/bench/catalog-origin.ts >/tmp/bench-origin.log 2>&1 &
PIDS+=($!)
node_modules/.bin/wrangler dev --port "$EDGE_PORT" --log-level warn --persist-to /tmp/bench-wrangler-state \
  --var "CATALOG_URL:http://127.0.0.1:$ORIGIN_PORT" --var "UPSTASH_REDIS_REST_URL:${LIMITER_URL:-http://127.0.0.1:$UPSTASH_PORT}" \
  --var "RATE_LIMIT_IP_PER_MINUTE:100000000" >/tmp/bench-wrangler.log 2>&1 &
WRANGLER=$!
PIDS+=("$WRANGLER")
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASELINE")" = 404 ]; do sleep 0.5; done
echo "first read:  $(curl -s -D - -o /dev/null "$CACHED" | grep -i '^x-cache' | tr -d '\r')"
echo "second read: $(curl -s -D - -o /dev/null "$CACHED" | grep -i '^x-cache' | tr -d '\r')"

WORKERDS=$(for pid in $(descendants "$WRANGLER"); do if [ "$(cat /proc/"$pid"/comm)" = workerd ]; then echo "$pid"; fi; done)
cpu_ticks() { for pid in $WORKERDS; do awk '{print $14 + $15}' "/proc/$pid/stat"; done; }
HZ=$(getconf CLK_TCK)

measure() {
  local name=$1 url=$2 before after requests i=0
  before=($(cpu_ticks))
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url" >/tmp/bench-wrk-"$name".txt
  after=($(cpu_ticks))
  requests=$(awk '/requests in/ {print $1}' /tmp/bench-wrk-"$name".txt)
  echo "== $name: $(grep 'Requests/sec' /tmp/bench-wrk-"$name".txt | tr -s ' ')," \
    "p50 $(awk '$1 == "50%" {print $2}' /tmp/bench-wrk-"$name".txt), p99 $(awk '$1 == "99%" {print $2}' /tmp/bench-wrk-"$name".txt)," \
    "$requests requests, non-2xx: $(awk '/Non-2xx/ {print $NF}' /tmp/bench-wrk-"$name".txt)"
  for pid in $WORKERDS; do
    local role="dev proxy"
    grep -q -- '--inspector-addr' /proc/"$pid"/cmdline && role="worker"
    awk -v t="$(( after[i] - before[i] ))" -v hz="$HZ" -v n="$requests" -v role="$role" \
      'BEGIN {printf "   workerd (%s): %.0f ms CPU, %.3f ms/request\n", role, t*1000/hz, t*1000/hz/n}'
    i=$((i + 1))
  done
}

measure baseline "$BASELINE"
measure cached-read "$CACHED"
echo "origin calls (1 = only the first miss): $(curl -s "http://127.0.0.1:$ORIGIN_PORT/calls")"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
