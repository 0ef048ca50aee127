#!/usr/bin/env bash
# tests/bench/http/run.sh - the foundation's numbers, in one go:
#   1. wrk against zikao-server GET /healthz and against nginx returning the
#      same body (same number of worker processes);
#   2. wrk against a DB-backed endpoint (GET /api/v1/regions/{code}, one
#      indexed SELECT per request) and pgbench -S at the same concurrency;
#   3. resident memory of one server process holding 10 000 idle keep-alive
#      connections.
# Usage: tests/bench/http/run.sh [BUILD_DIR]   (default ./build; needs wrk, nginx)
# Knobs: DURATION (s, default 10), CONC (default 64), WORKERS (default nproc).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
build=${1:-$root/build}
DURATION=${DURATION:-10}
CONC=${CONC:-64}
WORKERS=${WORKERS:-$(nproc)}
THREADS=2
command -v wrk >/dev/null || { echo "apt-get install wrk"; exit 1; }
command -v nginx >/dev/null || { echo "apt-get install nginx-light"; exit 1; }

tmp=$(mktemp -d /tmp/zikao-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
  "$root/scripts/services" stop "$tmp/svc" >/dev/null 2>&1 || true
  sleep 0.5
  rm -rf "$tmp"
}
trap cleanup EXIT

"$root/scripts/services" start "$tmp/svc" >/dev/null
set -a; . "$tmp/svc/env"; set +a
"$build/workers/zikaoctl" migrate >/dev/null
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

zport=$(free_port)
ZIKAO_SERVER_LISTEN=127.0.0.1:$zport ZIKAO_SERVER_WORKERS=$WORKERS ZIKAO_LOG_LEVEL=warning \
  ZIKAO_DATABASE_POOL_SIZE=$(( (CONC + WORKERS - 1) / WORKERS )) \
  "$build/server/zikao-server" >"$tmp/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$zport/readyz" >/dev/null && break; sleep 0.1; done

nport=$(free_port)
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx.conf" <<NGINX
worker_processes $WORKERS;
pid $tmp/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 20000; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx; proxy_temp_path $tmp/nginx; fastcgi_temp_path $tmp/nginx;
  uwsgi_temp_path $tmp/nginx; scgi_temp_path $tmp/nginx;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nport reuseport;
    location = /healthz { default_type "application/json; charset=utf-8"; return 200 '{"status":"alive"}'; }
  }
}
NGINX
nginx -c "$tmp/nginx.conf" -p "$tmp/nginx"
sleep 0.5

rps() { awk '/Requests\/sec/ {print $2}'; }
lat() { awk '/Latency/ {print $2; exit}'; }
run_wrk() { wrk -t$THREADS -c"$CONC" -d"${DURATION}s" --latency "$@"; }

echo "# $(date -u +%FT%TZ) $(nproc) cores; wrk -t$THREADS -c$CONC -d${DURATION}s; $WORKERS worker processes each"
run_wrk "http://127.0.0.1:$zport/healthz" >"$tmp/z.txt"
run_wrk "http://127.0.0.1:$nport/healthz" >"$tmp/n.txt"
z=$(rps <"$tmp/z.txt"); n=$(rps <"$tmp/n.txt")
echo "healthz  zikao-server: $z req/s (p50 $(lat <"$tmp/z.txt"))   nginx: $n req/s (p50 $(lat <"$tmp/n.txt"))   ratio $(echo "scale=2; $z / $n" | bc)"

cat >"$tmp/regions.lua" <<'LUA'
local codes = {"140105","140106","140107","140108","140109","140110","140121","140122","140123",
  "140181","140212","140213","140214","140215","140221","140222","120101","120102","120103",
  "120104","120105","120106","120110","120111","120112","120113","120114","120115","120116"}
request = function()
  return wrk.format("GET", "/api/v1/regions/" .. codes[math.random(#codes)])
end
LUA
run_wrk -s "$tmp/regions.lua" "http://127.0.0.1:$zport/api/v1/regions/140105" >"$tmp/zdb.txt"
zdb=$(rps <"$tmp/zdb.txt")
psql=("$ZIKAO_PG_BIN/psql" -h 127.0.0.1 -p "$ZIKAO_PG_PORT" -U postgres -qAt)
"${psql[@]}" -d postgres -c "CREATE DATABASE bench" >/dev/null
"$ZIKAO_PG_BIN/pgbench" -h 127.0.0.1 -p "$ZIKAO_PG_PORT" -U postgres -i -s 10 -q bench >/dev/null 2>&1
"$ZIKAO_PG_BIN/pgbench" -h 127.0.0.1 -p "$ZIKAO_PG_PORT" -U postgres -S -c "$CONC" -j $THREADS \
  -T "$DURATION" bench >"$tmp/pgb.txt" 2>&1
tps=$(awk '/^tps/ {print $3; exit}' "$tmp/pgb.txt")
echo "db read  zikao-server GET /api/v1/regions/{code}: $zdb req/s (p50 $(lat <"$tmp/zdb.txt"))   pgbench -S -c $CONC: $tps tps   ratio $(echo "scale=2; $zdb / $tps" | bc)"

# 3. Idle keep-alive connections held by one process.
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
pids=()
ulimit -n "$(ulimit -Hn)"  # 10 000 sockets on each side
iport=$(free_port)
ZIKAO_SERVER_LISTEN=127.0.0.1:$iport ZIKAO_SERVER_WORKERS=1 ZIKAO_LOG_LEVEL=warning \
  ZIKAO_SERVER_MAX_CONNECTIONS=20000 ZIKAO_LIMITS_IDLE_TIMEOUT_MS=600000 \
  "$build/server/zikao-server" >"$tmp/server-idle.log" 2>&1 &
ipid=$!
pids+=($ipid)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$iport/readyz" >/dev/null && break; sleep 0.1; done
/usr/bin/python3 "$root/tests/bench/http/idle_conns.py" "$iport" 10000 "$ipid"
