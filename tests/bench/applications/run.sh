#!/usr/bin/env bash
# tests/bench/applications/run.sh - graduation submissions per second through
# zikao-server (POST /api/v1/me/applications/{id}/submit, each the first
# submit of another candidate's draft: session, the flow's checks and the
# audit, then the transaction - lock, transition, order rule, COMMIT), beside
# pgbench's tpcb-like at the same client count on the same PostgreSQL (scale
# factor = client count, so branches do not serialise; synchronous_commit
# as zikao runs it: on).
# Usage: tests/bench/applications/run.sh [BUILD_DIR]   (needs wrk)
# Knobs: N (drafts, default 20000), CONC (connections and pgbench clients,
# default 32), WORKERS (server processes, default nproc).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
build=${1:-$root/build}
N=${N:-20000}
CONC=${CONC:-32}
WORKERS=${WORKERS:-$(nproc)}
THREADS=2
command -v wrk >/dev/null || { echo "apt-get install wrk"; exit 1; }
. "$root/tests/bench/lib.sh"
bench_start applications "$build/workers/zikaoctl"

port=$(bench_free_port)
ZIKAO_SERVER_LISTEN=127.0.0.1:$port ZIKAO_SERVER_WORKERS=$WORKERS ZIKAO_LOG_LEVEL=warning \
  ZIKAO_SERVER_ENVIRONMENT=test ZIKAO_PROFILE_PROVINCE=shanxi \
  ZIKAO_DATABASE_POOL_SIZE=$(( (CONC + WORKERS - 1) / WORKERS )) \
  "$build/server/zikao-server" >"$bench_tmp/server.log" 2>&1 &
bench_pids+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done

/usr/bin/python3 "$root/tests/bench/applications/setup.py" "$ZIKAO_DATABASE_CONNINFO" \
  "http://127.0.0.1:$port" "$N" "$bench_tmp/drafts.tsv"
psql=("$ZIKAO_PG_BIN/psql" -h 127.0.0.1 -p "$ZIKAO_PG_PORT" -U postgres -qAt)
sync=$("${psql[@]}" -d postgres -c "SHOW synchronous_commit")

echo "# $(date -u +%FT%TZ) $(nproc) cores; $N drafts; wrk -t$THREADS -c$CONC; $WORKERS server processes; synchronous_commit=$sync"
BENCH_DRAFTS=$bench_tmp/drafts.tsv BENCH_THREADS=$THREADS \
  wrk -t$THREADS -c"$CONC" -d600s --latency -s "$root/tests/bench/applications/submit.lua" \
  "http://127.0.0.1:$port/" >"$bench_tmp/wrk.txt"
rate=$(awk '/Requests\/sec/ {print $2}' "$bench_tmp/wrk.txt")
p50=$(awk '/ 50%/ {print $2; exit}' "$bench_tmp/wrk.txt")
p99=$(awk '/ 99%/ {print $2; exit}' "$bench_tmp/wrk.txt")
bad=$(awk '/non-200 answers/ {print $3}' "$bench_tmp/wrk.txt")
submitted=$("${psql[@]}" -d zikao -c "SELECT count(*) FROM applications WHERE state = 'photo'")
[ "$bad" = 0 ] && [ "$submitted" = "$N" ] || {
  echo "FAILED: $bad non-200 answers, $submitted of $N submitted"; cat "$bench_tmp/wrk.txt"; exit 1; }

"${psql[@]}" -d postgres -c "CREATE DATABASE tpcb" >/dev/null
"$ZIKAO_PG_BIN/pgbench" -h 127.0.0.1 -p "$ZIKAO_PG_PORT" -U postgres -i -s "$CONC" -q tpcb \
  >/dev/null 2>&1
"$ZIKAO_PG_BIN/pgbench" -h 127.0.0.1 -p "$ZIKAO_PG_PORT" -U postgres -c "$CONC" -j $THREADS \
  -T 20 tpcb >"$bench_tmp/pgb.txt" 2>&1
tps=$(awk '/^tps/ {print $3; exit}' "$bench_tmp/pgb.txt")
echo "submit   zikao-server: $rate submissions/s (p50 $p50, p99 $p99; all $N submitted once)   pgbench tpcb-like -c $CONC -s $CONC: $tps tps   ratio $(echo "scale=2; $rate / $tps" | bc)"
