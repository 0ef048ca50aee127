#!/usr/bin/env bash
# tests/bench/http/cpu_per_request.sh - the server's CPU time per GET /healthz
# answer, for one or more builds side by side: one server process, wrk -t1
# -c32 for DURATION seconds, utime + stime of the process from /proc. On a
# machine where wrk and the server share the cores, requests/s mostly
# measures wrk; CPU per request is the server's own cost.
#
# Usage: tests/bench/http/cpu_per_request.sh BUILD_DIR [BUILD_DIR...]
# Knobs: DURATION (s, 5), ROUNDS (3; the builds alternate).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [BUILD_DIR...]"; exit 2; }
command -v wrk >/dev/null || { echo "apt-get install wrk"; exit 1; }

. "$root/tests/bench/lib.sh"
bench_start cpu "$1/workers/zikaoctl"
port=$(bench_free_port)
tck=$(getconf CLK_TCK)

echo "# $(date -u +%FT%TZ) $(nproc) cores; 1 server process; wrk -t1 -c32 -d${DURATION}s GET /healthz"
for round in $(seq "$ROUNDS"); do
  for b in "$@"; do
    ZIKAO_SERVER_LISTEN=127.0.0.1:$port ZIKAO_SERVER_WORKERS=1 ZIKAO_LOG_LEVEL=warning \
      "$b/server/zikao-server" >"$bench_tmp/server.log" 2>&1 &
    spid=$!
    bench_pids=("$spid")
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
    child=$(pgrep -P "$spid" | head -1 || true)
    child=${child:-$spid}
    t0=$(awk '{print $14 + $15}' "/proc/$child/stat")
    out=$(wrk -t1 -c32 -d"${DURATION}s" "http://127.0.0.1:$port/healthz")
    t1=$(awk '{print $14 + $15}' "/proc/$child/stat")
    n=$(echo "$out" | awk '/requests in/ {print $1}')
    rps=$(echo "$out" | awk '/^Requests\/sec/ {print int($2)}')
    echo "round $round $b: $rps req/s, $(echo "scale=2; ($t1 - $t0) * 1000000 / $tck / $n" | bc) us CPU per request"
    kill "$spid"; wait "$spid" 2>/dev/null || true
    bench_pids=()
  done
done
