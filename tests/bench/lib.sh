# tests/bench/lib.sh - what the benchmark scripts share: a private
# PostgreSQL + Redis (scripts/services) in a fresh directory, migrated, and a
# cleanup on exit that stops the processes a script started (bench_pids) and
# the services, and removes the directory.
#
# Use: root=...; . "$root/tests/bench/lib.sh"; bench_start NAME ZIKAOCTL
# Sets: bench_tmp (the directory), bench_pids (append background pids), and
# exports the services' environment (ZIKAO_PG_*, ZIKAO_REDIS_*, conninfo).

bench_pids=()

bench_cleanup() {
  local p
  for p in "${bench_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$root/scripts/services" stop "$bench_tmp/svc" >/dev/null 2>&1 || true
  rm -rf "$bench_tmp"
}

bench_start() {
  bench_tmp=$(mktemp -d "/tmp/zikao-$1-bench.XXXXXX")
  trap bench_cleanup EXIT
  "$root/scripts/services" start "$bench_tmp/svc" >/dev/null
  set -a; . "$bench_tmp/svc/env"; set +a
  "$2" migrate >/dev/null
}

# A free TCP port on 127.0.0.1.
bench_free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
