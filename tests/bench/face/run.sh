#!/bin/sh
# run.sh - face engine benchmark: milliseconds per image for the worker's
# pipeline (detect at 416 + 68 landmarks for every face + descriptor of the
# largest face) on one core, peak RSS, and the same pipeline in Node with
# @vladmandic/face-api 1.7.15 on the tfjs wasm backend, side by side, on the
# same decoded pixels (image decoding is excluded on both sides).
#
# usage: tests/bench/face/run.sh [REPEAT]        (default 10 timed runs per image)
# env:   BUILD_DIR   cmake build directory        (default <repo>/build-face)
#        KIT_DIR     reference kit                 (default <repo>/../shared)
#        NODE_PREFIX npm prefix for the Node side  (default <repo>/models/face-bench-node)
#        CORE        CPU both sides are pinned to  (default 0)
# Installs, when missing: the models (workers/face/fetch-models.sh) and, under
# NODE_PREFIX, @vladmandic/face-api@1.7.15 @tensorflow/tfjs@4.22.0
# @tensorflow/tfjs-backend-wasm@4.22.0. Prints figures; asserts nothing.
set -eu

repeat=${1:-10}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
build=${BUILD_DIR:-$repo/build-face}
kit=${KIT_DIR:-$(cd "$repo/.." && pwd)/shared}
prefix=${NODE_PREFIX:-$repo/models/face-bench-node}
core=${CORE:-0}
faces="$kit/testdata/faces"
[ -d "$faces" ] || { echo "run.sh: kit not found at $faces (set KIT_DIR)" >&2; exit 1; }

models=$("$repo/workers/face/fetch-models.sh")
if [ ! -f "$prefix/node_modules/@tensorflow/tfjs-backend-wasm/package.json" ] ||
   [ ! -f "$prefix/node_modules/@vladmandic/face-api/package.json" ]; then
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund --ignore-scripts \
        @vladmandic/face-api@1.7.15 @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0 >&2
fi
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
fi
make -C "$build" face_bench >&2
bench="$build/workers/face/face_bench"

images="$faces/reference/face_rectangular.png $faces/reference/faces.jpg"
for i in 1 2 3 4 5; do images="$images $faces/bbt$i.jpg"; done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== C (zikao face engine, OpenBLAS, OPENBLAS_NUM_THREADS=1, pinned to CPU $core)"
# shellcheck disable=SC2086
OPENBLAS_NUM_THREADS=1 /usr/bin/time -v -o "$tmp/c.time" taskset -c "$core" \
    "$bench" --repeat "$repeat" --dump "$tmp" "$models" $images | tee "$tmp/c.out"
c_rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/c.time")

rgbs=""
for img in $images; do rgbs="$rgbs $tmp/$(basename "$img").rgb"; done
echo
echo "== Node (@vladmandic/face-api 1.7.15, tfjs wasm backend, 1 thread, pinned to CPU $core)"
# shellcheck disable=SC2086
/usr/bin/time -v -o "$tmp/n.time" taskset -c "$core" \
    node "$here/node_bench.cjs" "$prefix" "$repeat" $rgbs | tee "$tmp/n.out"
n_rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/n.time")

echo
echo "== side by side (mean wall-clock ms per image over $repeat runs after one warm-up)"
printf '%-24s %6s %10s %10s %8s\n' image faces C_ms Node_ms speedup
for img in $images; do
    name=$(basename "$img")
    c=$(awk -v n="$name" '$1 == n { sub("mean_ms=", "", $4); print $4 }' "$tmp/c.out")
    f=$(awk -v n="$name" '$1 == n { sub("faces=", "", $3); print $3 }' "$tmp/c.out")
    js=$(awk -v n="$name" '$1 == n { sub("mean_ms=", "", $4); print $4 }' "$tmp/n.out")
    printf '%-24s %6s %10s %10s %7.1fx\n' "$name" "$f" "$c" "$js" "$(echo "$js / $c" | bc -l)"
done
c_mean=$(sed -n 's/^summary.* mean_ms=\([0-9.]*\) .*/\1/p' "$tmp/c.out")
c_cpu=$(sed -n 's/^summary.* cpu_ms=\([0-9.]*\) .*/\1/p' "$tmp/c.out")
n_mean=$(sed -n 's/^summary.* mean_ms=\([0-9.]*\) .*/\1/p' "$tmp/n.out")
printf '%-24s %6s %10s %10s %7.1fx\n' "ALL (mean per image)" "" "$c_mean" "$n_mean" \
    "$(echo "$n_mean / $c_mean" | bc -l)"
echo "C thread CPU time per image: $c_cpu ms"
echo "peak RSS: C ${c_rss} KiB, Node ${n_rss} KiB"
echo "goal: <= 40 ms per image and >= 4x faster than Node"
