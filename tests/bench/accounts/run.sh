#!/usr/bin/env bash
# tests/bench/accounts/run.sh - logins per second with the configured
# argon2id parameters (default t=2, 19 MiB: OWASP's profile) on this
# machine's cores, the time of a failed login for an account and for
# identifiers that name nobody (they must cost the same), and the latency of
# GET /api/v1/me under load.
# Usage: tests/bench/accounts/run.sh [BUILD_DIR]   Knobs: DURATION (s, 10), CONC (16),
#        SAMPLES (failed logins per case, 90: below the lockout of 100 set here)
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
build=${1:-$root/build}
DURATION=${DURATION:-10}
CONC=${CONC:-16}
SAMPLES=${SAMPLES:-90}
tmp=$(mktemp -d /tmp/zikao-acct-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$root/scripts/services" stop "$tmp/svc" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
"$root/scripts/services" start "$tmp/svc" >/dev/null
set -a; . "$tmp/svc/env"; set +a
"$build/workers/zikaoctl" migrate >/dev/null
ZIKAO_DATABASE_CONNINFO=$ZIKAO_DATABASE_CONNINFO "$root/scripts/demo-data" "$build" >/dev/null
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# environment=test only for the fixed captcha answer and the test session hook.
ZIKAO_SERVER_LISTEN=127.0.0.1:$port ZIKAO_SERVER_ENVIRONMENT=test ZIKAO_LOG_LEVEL=warning \
  ZIKAO_AUTH_CAPTCHA_FIXED_ANSWER=BENCH ZIKAO_AUTH_LOGIN_PER_IP_MINUTE=100000 \
  ZIKAO_AUTH_CAPTCHA_PER_IP_MINUTE=100000 ZIKAO_AUTH_LOGIN_MAX_FAILURES=100 \
  ZIKAO_SERVER_WORKERS=1 "$build/server/zikao-server" >"$tmp/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
echo "# $(date -u +%FT%TZ) $(nproc) cores, argon2id t=2 m=19 MiB, one server process (libuv pool: 4 threads)"
/usr/bin/python3 "$root/tests/bench/accounts/logins.py" "$port" "$DURATION" 8
/usr/bin/python3 "$root/tests/bench/accounts/failures.py" "$port" "$SAMPLES"
# GET /api/v1/me with a session, under wrk.
cookie=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
  -d '{"candidate_id": 9000001}' "http://127.0.0.1:$port/api/v1/_test/session" \
  | awk -F': ' 'tolower($1)=="set-cookie" {split($2,a,";"); print a[1]}')
wrk -t2 -c"$CONC" -d"${DURATION}s" --latency -H "Cookie: $cookie" "http://127.0.0.1:$port/api/v1/me" \
  >"$tmp/me.txt"
echo "GET /api/v1/me (-c $CONC): $(awk '/Requests\/sec/ {print $2}' "$tmp/me.txt") req/s, p50 $(awk '/ 50%/ {print $2}' "$tmp/me.txt"), p99 $(awk '/ 99%/ {print $2}' "$tmp/me.txt")"
