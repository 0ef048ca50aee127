#!/bin/sh
# Photo check latency: all non-face rules on a 480x640 Tianjin registration
# JPEG, zikao's engine (libvips + our rules, in process) against the same
# checks done with ImageMagick's command-line tools (identify + one convert
# pipeline per photo: format/size/dimensions/orientation, border bands in
# Lab with mean and spread, variance of the Laplacian on the centre, share
# of clipped pixels), side by side. Goal: <= 5 ms per photo for zikao.
#
# Usage: tests/bench/photo/run.sh [BUILD_DIR] [ITERATIONS]
#   BUILD_DIR defaults to build-photo beside this checkout; needs apt
#   packages libvips-dev and imagemagick, and the kit for the face fixture.
set -eu
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
BUILD=${1:-$ROOT/build-photo}
N=${2:-500}
NIM=${NIM:-100}
# The real ImageMagick binaries, never a wrapper found first on PATH.
CONVERT=${CONVERT:-/usr/bin/convert}
IDENTIFY=${IDENTIFY:-/usr/bin/identify}
# One thread each, as the photo worker runs libvips (vips_concurrency_set(1)).
MAGICK_THREAD_LIMIT=${MAGICK_THREAD_LIMIT:-1}
export MAGICK_THREAD_LIMIT
[ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
make -C "$BUILD" -j2 bench_photo photo_fixtures >/dev/null
FX=$BUILD/workers/photo/fixtures
"$BUILD/workers/photo/photo_fixtures" "$FX" >/dev/null
PHOTO=$FX/tj_ok.jpg
[ -f "$PHOTO" ] || { echo "SKIP: no face fixture (kit not found): benchmarking cert_ok.jpg"; PHOTO=$FX/cert_ok.jpg; }

echo "== machine: $(nproc) cores, load$(uptime | sed 's/.*load average//'), $(uname -m); libvips $(pkg-config --modversion vips); $("$CONVERT" -version | head -1 | cut -d' ' -f2-3)"
echo "== zikao engine (in process, $N photos)"
"$BUILD/workers/photo/bench_photo" "$PHOTO" "$N"

im_check() {
    "$IDENTIFY" -format '%m %w %h %[orientation] %B\n' "$1" >/dev/null
    "$CONVERT" "$1" -write mpr:img +delete \
        \( mpr:img -colorspace Lab -crop 480x19+0+0 +repage \
           -format '%[fx:mean.r] %[fx:mean.g] %[fx:mean.b] %[fx:standard_deviation]\n' -write info: \) \
        \( mpr:img -colorspace Lab -crop 14x320+0+0 +repage \
           -format '%[fx:mean.r] %[fx:mean.g] %[fx:mean.b] %[fx:standard_deviation]\n' -write info: \) \
        \( mpr:img -colorspace Lab -crop 14x320+466+0 +repage \
           -format '%[fx:mean.r] %[fx:mean.g] %[fx:mean.b] %[fx:standard_deviation]\n' -write info: \) \
        \( mpr:img -colorspace gray -crop 240x320+120+128 +repage -bias 50% \
           -morphology Convolve Laplacian:0 -format '%[fx:standard_deviation]\n' -write info: \) \
        \( mpr:img -crop 336x512+72+96 +repage -separate -evaluate-sequence min \
           -threshold 98% -format '%[fx:mean]\n' -write info: \) \
        \( mpr:img -crop 336x512+72+96 +repage -separate -evaluate-sequence max \
           -threshold 2% -negate -format '%[fx:mean]\n' -write info: \) \
        null: >/dev/null
}
echo "== ImageMagick CLI baseline ($NIM photos: identify + convert per photo)"
im_check "$PHOTO" # warm the page cache
# CPU seconds of finished children (user + sys): the shell's own "times"
# (run in this shell, not a subshell, so it sees its children).
TMP=$(mktemp)
trap 'rm -f "$TMP"' EXIT
child_cpu() { awk 'NR == 2 { n = split($1 " " $2, f, /[ms ]+/); s = 0
    for (i = 1; i + 1 <= n; i += 2) s += f[i] * 60 + f[i + 1]; print s }' "$TMP"; }
times >"$TMP"
c0=$(child_cpu)
t0=$(date +%s%N)
i=0
while [ $i -lt "$NIM" ]; do im_check "$PHOTO"; i=$((i + 1)); done
t1=$(date +%s%N)
times >"$TMP"
c1=$(child_cpu)
awk -v a="$t0" -v b="$t1" -v n="$NIM" \
    -v c="$c0" -v d="$c1" 'BEGIN { printf "imagemagick: same checks (CLI)      mean %7.3f ms wall, %7.3f ms CPU per photo (n=%d)\n", (b - a) / 1e6 / n, (d - c) * 1e3 / n, n }'
