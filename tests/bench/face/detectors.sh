#!/bin/sh
# detectors.sh - what finding faces costs with each detector: the tiny face
# detector at 416 (the worker's first try) and SSD MobileNet v1 (its
# fallback when the tiny one finds too few faces), detection alone, in the
# C engine and, as the anchor measured in the same run, in Node with
# @vladmandic/face-api 1.7.15 on the tfjs wasm backend; same decoded pixels,
# one core, one thread each, CPU time per image.
#
# usage: tests/bench/face/detectors.sh [REPEAT]     (default 10 timed runs per image)
# env:   BUILD_DIR, KIT_DIR, NODE_PREFIX, CORE as for tests/bench/face/run.sh
# Installs, when missing, what run.sh installs. Prints figures; asserts nothing.
set -eu

repeat=${1:-10}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
build=${BUILD_DIR:-$repo/build-face}
kit=${KIT_DIR:-$(cd "$repo/.." && pwd)/shared}
prefix=${NODE_PREFIX:-$repo/models/face-bench-node}
core=${CORE:-0}
faces="$kit/testdata/faces"
[ -d "$faces" ] || { echo "detectors.sh: kit not found at $faces (set KIT_DIR)" >&2; exit 1; }

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

run() { # run NAME COMMAND...: output to $tmp/NAME.out, peak RSS to $tmp/NAME.rss
    name=$1
    shift
    /usr/bin/time -v -o "$tmp/$name.time" taskset -c "$core" "$@" > "$tmp/$name.out"
    sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/$name.time" > "$tmp/$name.rss"
}
# shellcheck disable=SC2086
OPENBLAS_NUM_THREADS=1 run c_tiny "$bench" --repeat "$repeat" --detect-only --dump "$tmp" "$models" $images
# shellcheck disable=SC2086
OPENBLAS_NUM_THREADS=1 run c_ssd "$bench" --repeat "$repeat" --detect-only --ssd "$models" $images
rgbs=""
for img in $images; do rgbs="$rgbs $tmp/$(basename "$img").rgb"; done
# shellcheck disable=SC2086
run js_tiny node "$here/node_detect.cjs" "$prefix" "$repeat" tiny $rgbs
# shellcheck disable=SC2086
run js_ssd node "$here/node_detect.cjs" "$prefix" "$repeat" ssd $rgbs

field() { # field FILE IMAGE KEY
    awk -v n="$2" -v k="$3=" '$1 == n { for (i = 2; i <= NF; i++) if (index($i, k) == 1) print substr($i, length(k) + 1) }' "$1"
}
summary() { sed -n "s/^summary.* $2=\([0-9.]*\) .*/\1/p" "$1"; }
echo "== detection alone, CPU ms per image ($repeat runs after one warm-up; one core, one thread)"
printf '%-22s | %10s %10s %6s | %10s %10s %6s\n' image "C tiny416" "C SSD" "faces" \
    "JS tiny416" "JS SSD" "faces"
for img in $images; do
    name=$(basename "$img")
    printf '%-22s | %10s %10s %6s | %10s %10s %6s\n' "$name" \
        "$(field "$tmp/c_tiny.out" "$name" cpu_ms)" "$(field "$tmp/c_ssd.out" "$name" cpu_ms)" \
        "$(field "$tmp/c_tiny.out" "$name" faces)/$(field "$tmp/c_ssd.out" "$name" faces)" \
        "$(field "$tmp/js_tiny.out" "$name" cpu_ms)" "$(field "$tmp/js_ssd.out" "$name" cpu_ms)" \
        "$(field "$tmp/js_tiny.out" "$name" faces)/$(field "$tmp/js_ssd.out" "$name" faces)"
done
ct=$(summary "$tmp/c_tiny.out" cpu_ms); cs=$(summary "$tmp/c_ssd.out" cpu_ms)
jt=$(summary "$tmp/js_tiny.out" cpu_ms); js=$(summary "$tmp/js_ssd.out" cpu_ms)
printf '%-22s | %10s %10s %6s | %10s %10s %6s\n' "mean" "$ct" "$cs" "" "$jt" "$js" ""
printf 'SSD / tiny: C %.1fx, JS %.1fx; C / JS: tiny %.1fx, SSD %.1fx faster\n' \
    "$(echo "$cs / $ct" | bc -l)" "$(echo "$js / $jt" | bc -l)" \
    "$(echo "$jt / $ct" | bc -l)" "$(echo "$js / $cs" | bc -l)"
echo "peak RSS: C tiny $(cat "$tmp/c_tiny.rss") KiB, C SSD $(cat "$tmp/c_ssd.rss") KiB," \
    "JS tiny $(cat "$tmp/js_tiny.rss") KiB, JS SSD $(cat "$tmp/js_ssd.rss") KiB"
echo "machine load while measuring: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
