#!/bin/sh
# run.sh - graduation audit benchmark: builds bench_audit in the build
# directory and prints audits per second and ns per audit.
# Usage: tests/bench/audit/run.sh [BUILD_DIR] [ITERATIONS]
set -eu
src=$(cd "$(dirname "$0")/../../.." && pwd)
build=${1:-$src/build-audit}
iterations=${2:-200000}
[ -f "$build/CMakeCache.txt" ] || cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target bench_audit -- -j2 >/dev/null
echo "bench_audit ($(grep -m1 CMAKE_BUILD_TYPE: "$build/CMakeCache.txt" | cut -d= -f2), $iterations iterations per case, $(nproc) cores)"
"$build/shared/audit/bench_audit" "$iterations"
