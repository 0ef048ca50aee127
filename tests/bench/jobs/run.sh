#!/usr/bin/env bash
# tests/bench/jobs/run.sh - job throughput, end to end.
#   1. noop jobs per second, publish -> done, with 1, 2 and 4 worker processes
#      (one handler thread each): N jobs are added with `zikaoctl jobs
#      enqueue` while no worker runs, then the workers start and the clock
#      runs until the last job is done;
#   2. pgbench TPS of a comparable two-statement transaction (lock the job
#      row, mark it done) at the same concurrency: the floor of the cost;
#   3. the outbox's cost on a request: POST /api/v1/_test/jobs with a
#      business write and no job, against the same with one job inserted in
#      the transaction and published after COMMIT.
# Usage: tests/bench/jobs/run.sh [BUILD_DIR]   (default ./build)
#        WORKERS="1 2 4" (the default): the worker counts of part 1; WORKERS= skips 1 and 2
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
build=${1:-$root/build}
N=${N:-5000}
WORKERS=${WORKERS-1 2 4}
DURATION=${DURATION:-10}
ctl="$build/workers/zikaoctl"
. "$root/tests/bench/lib.sh"
bench_start jobs "$ctl"
tmp=$bench_tmp
export ZIKAO_LOG_LEVEL=warning
psql=("$ZIKAO_PG_BIN/psql" -h 127.0.0.1 -p "$ZIKAO_PG_PORT" -U postgres -d zikao -qAt)

echo "# $(date -u +%FT%TZ) $(nproc) cores; $N noop jobs (no sleep) per run"
for w in $WORKERS; do
  "${psql[@]}" -c "TRUNCATE jobs CASCADE" >/dev/null
  "$ctl" jobs enqueue noop --count "$N" >/dev/null
  start=$(date +%s.%N)
  wp=()
  for _ in $(seq "$w"); do
    "$build/workers/zikao-worker" --queue noop --concurrency 1 >>"$tmp/worker.log" 2>&1 &
    wp+=($!)
  done
  while [ "$("${psql[@]}" -c "SELECT count(*) FROM jobs WHERE state = 'done'")" -lt "$N" ]; do
    sleep 0.05
  done
  end=$(date +%s.%N)
  for p in "${wp[@]}"; do kill "$p"; done
  wait "${wp[@]}" 2>/dev/null || true
  rate=$(echo "scale=0; $N / ($end - $start)" | bc)
  # A comparable transaction: lock the row, mark it done (plus BEGIN/COMMIT).
  cat >"$tmp/done.sql" <<SQL
\set id random(1, $N)
BEGIN;
SELECT state FROM jobs WHERE id = :id FOR UPDATE;
UPDATE jobs SET state = 'done', updated_at = now() WHERE id = :id;
END;
SQL
  tps=$("$ZIKAO_PG_BIN/pgbench" -h 127.0.0.1 -p "$ZIKAO_PG_PORT" -U postgres -n -f "$tmp/done.sql" \
        -c "$w" -j "$w" -T 5 zikao 2>/dev/null | awk '/^tps/ {print int($3); exit}')
  echo "workers=$w  noop publish->done: $rate jobs/s   pgbench lock+update transaction (-c $w): $tps tps"
done

# The outbox on a request.
port=$(bench_free_port)
ZIKAO_SERVER_LISTEN=127.0.0.1:$port ZIKAO_SERVER_ENVIRONMENT=test "$build/server/zikao-server" \
  >"$tmp/server.log" 2>&1 &
bench_pids+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
for count in 0 1; do
  cat >"$tmp/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"queue":"noop","count":$count,"payload":{},"write":true}'
wrk.headers["Content-Type"] = "application/json"
LUA
  wrk -t2 -c16 -d"${DURATION}s" --latency -s "$tmp/post.lua" "http://127.0.0.1:$port/api/v1/_test/jobs" \
    >"$tmp/wrk$count.txt"
  echo "request with a write and $count job(s) in its transaction: $(awk '/Requests\/sec/ {print $2}' "$tmp/wrk$count.txt") req/s, p50 $(awk '$1 == "50%" {print $2}' "$tmp/wrk$count.txt"), p99 $(awk '$1 == "99%" {print $2}' "$tmp/wrk$count.txt")"
done
