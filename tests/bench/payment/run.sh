#!/usr/bin/env bash
# tests/bench/payment/run.sh - verified provider callbacks per second: the
# whole callback path of zikao-server - signature check (and, for WeChat,
# AEAD_AES_256_GCM decryption) on the libuv thread pool, the raw notification
# and its `payment` job inserted in one transaction - shared by the
# notifications that arrive together (server/api/pay_store.c) - COMMIT
# (synchronous, fsync on), XADD after COMMIT, and the answer ("success" / 204).
#
# N distinct notifications per provider are signed beforehand (Python
# `cryptography`), then wrk posts them with CONC connections for DURATION
# seconds; every stored notification is a row in payment_events. No payment
# worker runs during the measurement (applying events is asynchronous).
# For scale, pgbench then runs the same storing statement (event + job, one
# transaction, synchronous commit) from as many connections as the server
# has: the database's own ceiling for this work on this machine.
#
# Usage: tests/bench/payment/run.sh [BUILD_DIR]   (default ./build; needs wrk)
# Knobs: N (default 120000), DURATION (s, 10), CONC (64), WORKERS (server
# processes, default nproc), POOL (PostgreSQL connections per process, 8: on
# two cores more backends only add context switches).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$root/build}
N=${N:-120000}
DURATION=${DURATION:-10}
CONC=${CONC:-64}
WORKERS=${WORKERS:-$(nproc)}
POOL=${POOL:-8}
command -v wrk >/dev/null || { echo "apt-get install wrk"; exit 1; }

ctl="$build/workers/zikaoctl"
. "$root/tests/bench/lib.sh"
bench_start pay "$ctl"
tmp=$bench_tmp
"$ctl" payments keygen --dir "$tmp/keys" >/dev/null
psql=("$ZIKAO_PG_BIN/psql" -h 127.0.0.1 -p "$ZIKAO_PG_PORT" -U postgres -d zikao -qAt)
port=$(bench_free_port)

ZIKAO_SERVER_LISTEN=127.0.0.1:$port ZIKAO_SERVER_WORKERS=$WORKERS ZIKAO_LOG_LEVEL=warning \
  ZIKAO_DATABASE_POOL_SIZE=$POOL ZIKAO_PAYMENT_KEY_DIR="$tmp/keys" \
  "$build/server/zikao-server" >"$tmp/server.log" 2>&1 &
bench_pids+=($!)
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done

echo "# $(date -u +%FT%TZ) $(nproc) cores, $WORKERS server processes x $POOL PostgreSQL connections, wrk -t2 -c$CONC -d${DURATION}s"
echo "# (wrk, the signer and PostgreSQL share the same cores as the server)"
for provider in alipay wechat; do
  "${psql[@]}" -c "TRUNCATE payment_events, jobs CASCADE" >/dev/null
  t0=$(date +%s.%N)
  /usr/bin/python3 "$here/gen_callbacks.py" "$provider" "$tmp/keys" "$N" "$tmp/$provider.txt"
  t1=$(date +%s.%N)
  m0=$(curl -fsS "http://127.0.0.1:$port/metrics")
  out=$(wrk -t2 -c"$CONC" -d"${DURATION}s" --latency -s "$here/callbacks.lua" \
        "http://127.0.0.1:$port" -- "$provider" "$tmp/$provider.txt" 2)
  m1=$(curl -fsS "http://127.0.0.1:$port/metrics")
  batch=$(printf '%s\n' "$m0" "$m1" | awk '/^zikao_payment_store_batches_total / {b[n_b++]=$2}
    /^zikao_payment_store_notifications_total / {r[n_r++]=$2}
    END {if (b[1] > b[0]) printf "%.1f", (r[1]-r[0])/(b[1]-b[0]); else print "-"}')
  stored=$("${psql[@]}" -c "SELECT count(*) FROM payment_events")
  jobs=$("${psql[@]}" -c "SELECT count(*) FROM jobs WHERE queue = 'payment'")
  rps=$(echo "$out" | awk '/^Requests\/sec/ {print int($2)}')
  p50=$(echo "$out" | awk '/^ +50%/ {print $2}')
  p99=$(echo "$out" | awk '/^ +99%/ {print $2}')
  bad=$(echo "$out" | awk -F'[=, ]' '/^non2xx=/ {print $2}')
  echo "$provider: ${rps} verified callbacks/s (p50 $p50, p99 $p99; non-2xx $bad);" \
       "stored $stored distinct notifications + $jobs jobs" \
       "($(echo "scale=0; $stored / $DURATION" | bc)/s new);" \
       "$batch notifications per COMMIT on average;" \
       "signing $N beforehand took $(echo "$t1 - $t0" | bc | cut -c1-5) s"
  if [ "$stored" -ge "$N" ]; then
    echo "  (every pre-signed notification was used: raise N for a longer run)"
  fi
done

# The floor: the storing statement alone, from $(( WORKERS * POOL )) connections.
raw=$(head -c 900 "$tmp/alipay.txt" | tr -d "'")
cat >"$tmp/store.sql" <<SQL
\set k random(1, 1000000000)
WITH ev AS (INSERT INTO payment_events (provider, source, notify_key, order_no, trade_no, status, provider_status, amount_fen, merchant, raw) VALUES ('alipay', 'notify', 'pg' || :k || ':' || random(), 'ZK20261123BENCH00000000000', 'T' || :k, 'success', 'TRADE_SUCCESS', 5000, '2021000000000001/2088000000000001', '$raw') ON CONFLICT (provider, notify_key) DO NOTHING RETURNING id), job AS (INSERT INTO jobs (queue, payload) SELECT 'payment', jsonb_build_object('kind', 'event', 'event_id', id) FROM ev RETURNING id) SELECT id FROM job;
SQL
tps=$("$ZIKAO_PG_BIN/pgbench" -h 127.0.0.1 -p "$ZIKAO_PG_PORT" -U postgres -n -f "$tmp/store.sql" \
      -c $(( WORKERS * POOL )) -j 2 -T "$DURATION" zikao 2>/dev/null | awk '/^tps/ {print int($3); exit}')
echo "pgbench, the same storing statement alone ($(( WORKERS * POOL )) connections): $tps tps"
