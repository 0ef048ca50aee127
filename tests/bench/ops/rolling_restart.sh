#!/usr/bin/env bash
# tests/bench/ops/rolling_restart.sh - rolling restarts of zikao-server under
# wrk load must drop nothing. A private PostgreSQL + Redis, one listening
# socket held by handover.py (as systemd's zikao-server.socket holds it), and
# every EVERY seconds a new server started on that socket, the old one sent
# SIGTERM once the new one said READY=1. Prints wrk's requests, non-2xx
# responses and socket errors, and the hand-over timings.
# Usage: tests/bench/ops/rolling_restart.sh [BUILD_DIR]   (default ./build; needs wrk)
# Knobs: DURATION (s, default 30), EVERY (s between hand-overs, default 5),
#        CONC (connections, default 64), WORKERS (server processes, default 1),
#        URL_PATH (default /healthz).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
build=${1:-$root/build}
command -v wrk >/dev/null || { echo "apt-get install wrk"; exit 1; }

. "$root/tests/bench/lib.sh"
bench_start rolling "$build/workers/zikaoctl"
tmp=$bench_tmp

echo "# $(date -u +%FT%TZ) $(nproc) cores"
/usr/bin/python3 "$root/tests/bench/ops/handover.py" "$build" --duration "${DURATION:-30}" \
  --every "${EVERY:-5}" --connections "${CONC:-64}" --workers "${WORKERS:-1}" \
  --path "${URL_PATH:-/healthz}" --workdir "$tmp"
