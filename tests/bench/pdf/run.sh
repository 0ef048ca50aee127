#!/usr/bin/env bash
# run.sh - milliseconds and bytes per 毕业生登记表 on one core: zikao_pdf
# (cairo + pango, in process) beside the baseline, LibreOffice headless
# converting the same form written as a Flat ODT (.fodt, same fields, photo,
# tables and font), side by side.
#
#   tests/bench/pdf/run.sh            # BUILD=build-pdf CORE=0 N=300 LO_BATCH=10
#
# zikao_pdf: one cold render (fonts loaded), then N renders in one process;
# wall and thread-CPU milliseconds. LibreOffice: the conversion as a worker
# would run it (soffice --headless --convert-to pdf, one process per
# document), median of 3 after a warm-up that creates the profile; and a
# batch of LO_BATCH documents in one soffice run, per document.
# Outputs land in $BUILD/artifacts/bench-pdf/.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
BUILD=${BUILD:-$ROOT/build-pdf}
CORE=${CORE:-0}
N=${N:-300}
LO_BATCH=${LO_BATCH:-10}
OUT=$BUILD/artifacts/bench-pdf
mkdir -p "$OUT"

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD" >/dev/null
fi
make -C "$BUILD" pdf_bench >/dev/null

echo "== zikao_pdf (core $CORE, $N renders)"
taskset -c "$CORE" "$BUILD/workers/pdf/pdf_bench" -n "$N" -o "$OUT/zikao.pdf" \
  --fodt "$OUT/form.fodt" | tee "$OUT/zikao.txt"
zikao_bytes=$(stat -c %s "$OUT/zikao.pdf")
zikao_ms=$(sed -n 's/.*wall ms: median=\([0-9.]*\).*/\1/p' "$OUT/zikao.txt")
zikao_cpu=$(sed -n 's/.*cpu  ms: median=\([0-9.]*\).*/\1/p' "$OUT/zikao.txt")
zikao_cold=$(sed -n 's/.*cold_ms=\([0-9.]*\).*/\1/p' "$OUT/zikao.txt")
echo "pdffonts:"; pdffonts "$OUT/zikao.pdf" | sed 's/^/  /'
echo "== zikao_pdf, self-assessment of 2000 characters (3 pages)"
taskset -c "$CORE" "$BUILD/workers/pdf/pdf_bench" -n "$N" -o "$OUT/zikao-long.pdf" \
  --self-assessment-chars 2000 | tee "$OUT/zikao-long.txt"
long_ms=$(sed -n 's/.*wall ms: median=\([0-9.]*\).*/\1/p' "$OUT/zikao-long.txt")
long_cpu=$(sed -n 's/.*cpu  ms: median=\([0-9.]*\).*/\1/p' "$OUT/zikao-long.txt")
long_bytes=$(stat -c %s "$OUT/zikao-long.pdf")

if ! command -v soffice >/dev/null; then
  echo "SKIP LibreOffice baseline: soffice not found (apt-get install libreoffice-writer-nogui)"
  exit 0
fi

echo "== LibreOffice $(soffice --version | awk '{print $2}') headless (core $CORE)"
PROFILE="file://$OUT/lo-profile"
lo() { taskset -c "$CORE" soffice -env:UserInstallation="$PROFILE" --headless \
         --convert-to pdf --outdir "$1" "${@:2}" >/dev/null 2>&1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

lo "$OUT/lo-warm" "$OUT/form.fodt"   # creates the profile
runs=()
for i in 1 2 3; do
  t0=$(now_ms); lo "$OUT/lo" "$OUT/form.fodt"; runs+=($(( $(now_ms) - t0 )))
done
lo_ms=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p)
lo_bytes=$(stat -c %s "$OUT/lo/form.pdf")

mkdir -p "$OUT/batch-in"
for i in $(seq 1 "$LO_BATCH"); do cp "$OUT/form.fodt" "$OUT/batch-in/form$i.fodt"; done
t0=$(now_ms); lo "$OUT/batch" "$OUT"/batch-in/*.fodt; t1=$(now_ms)
lo_batch_ms=$(( (t1 - t0) / LO_BATCH ))
echo "single-document runs (ms): ${runs[*]}; batch of $LO_BATCH: $(( t1 - t0 )) ms"
echo "pdffonts:"; pdffonts "$OUT/lo/form.pdf" | sed 's/^/  /'

echo
echo "== 毕业生登记表, one core (goal: <= 10 ms, <= 80 KB)"
printf '%-44s %12s %10s\n' "" "ms/form" "bytes"
printf '%-44s %12s %10s\n' "zikao_pdf, median wall (CPU $zikao_cpu)" "$zikao_ms" "$zikao_bytes"
printf '%-44s %12s %10s\n' "zikao_pdf, first render in a process" "$zikao_cold" "$zikao_bytes"
printf '%-44s %12s %10s\n' "zikao_pdf, 2000-char self-assessment (CPU $long_cpu)" "$long_ms" \
  "$long_bytes"
printf '%-44s %12s %10s\n' "LibreOffice, one soffice per document" "$lo_ms" "$lo_bytes"
printf '%-44s %12s %10s\n' "LibreOffice, $LO_BATCH documents per soffice" "$lo_batch_ms" "$lo_bytes"
