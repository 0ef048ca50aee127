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
echo "== side by side ($repeat runs per image after one warm-up; wall-clock mean and best, CPU time per run)"
printf '%-22s %5s | %8s %8s %8s | %8s %8s %8s | %7s %7s\n' image faces C_mean C_best C_cpu \
    JS_mean JS_best JS_cpu x_best x_cpu
field() { # field FILE IMAGE KEY
    awk -v n="$2" -v k="$3=" '$1 == n { for (i = 2; i <= NF; i++) if (index($i, k) == 1) print substr($i, length(k) + 1) }' "$1"
}
for img in $images; do
    name=$(basename "$img")
    cm=$(field "$tmp/c.out" "$name" mean_ms); cb=$(field "$tmp/c.out" "$name" best_ms)
    cc=$(field "$tmp/c.out" "$name" cpu_ms); f=$(field "$tmp/c.out" "$name" faces)
    jm=$(field "$tmp/n.out" "$name" mean_ms); jb=$(field "$tmp/n.out" "$name" best_ms)
    jc=$(field "$tmp/n.out" "$name" cpu_ms)
    printf '%-22s %5s | %8s %8s %8s | %8s %8s %8s | %6.1fx %6.1fx\n' "$name" "$f" "$cm" "$cb" "$cc" \
        "$jm" "$jb" "$jc" "$(echo "$jb / $cb" | bc -l)" "$(echo "$jc / $cc" | bc -l)"
done
summary() { sed -n "s/^summary.* $2=\([0-9.]*\) .*/\1/p" "$1"; }
cm=$(summary "$tmp/c.out" mean_ms); cc=$(summary "$tmp/c.out" cpu_ms)
jm=$(summary "$tmp/n.out" mean_ms); jc=$(summary "$tmp/n.out" cpu_ms)
printf '%-28s | %8s %8s %8s | %8s %8s %8s | %7s %6.1fx\n' "ALL (mean per image)" "$cm" "" "$cc" \
    "$jm" "" "$jc" "" "$(echo "$jc / $cc" | bc -l)"
printf 'wall-clock mean speedup: %.1fx\n' "$(echo "$jm / $cm" | bc -l)"
echo "peak RSS: C ${c_rss} KiB, Node ${n_rss} KiB"
echo "machine load while measuring: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
echo "goal: <= 40 ms per image and >= 4x faster than Node"
