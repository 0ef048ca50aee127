#!/bin/sh
# ctl_check.sh - "zikaoctl photo check" from the outside: one JSON line per
# file, every rule with verdict/value/range, exit 1 when a photo fails, the
# preview PNG written. Usage: ctl_check.sh ZIKAOCTL FIXTURES_DIR
set -eu
CTL=$1
FX=$2
if [ -e "$FX/NO_KIT" ]; then
    echo "SKIP: kit not found (no face fixtures)"
    exit 0
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
# A compliant photo with landmarks: passed, exit 0.
"$CTL" photo check --kind registration --profile tianjin \
    --landmarks "$FX/tj_ok.jpg.landmarks.json" --preview "$OUT/ok.png" "$FX/tj_ok.jpg" >"$OUT/ok.json"
grep -q '"status":"passed"' "$OUT/ok.json"
grep -q '"rule":"eye_line","verdict":"passed","value":250,"min":200,"max":300' "$OUT/ok.json"
head -c 4 "$OUT/ok.png" | od -c | grep -q 'P   N   G'
# Two files, no landmarks: two lines, the white one fails -> exit 1.
rc=0
"$CTL" photo check --kind registration "$FX/tj_ok.jpg" "$FX/tj_white_bg.jpg" >"$OUT/two.json" || rc=$?
[ "$rc" -eq 1 ]
[ "$(wc -l <"$OUT/two.json")" -eq 2 ]
sed -n 1p "$OUT/two.json" | grep -q '"status":"pending"'
sed -n 2p "$OUT/two.json" | grep -q '"rule":"background_colour","verdict":"failed"'
sed -n 2p "$OUT/two.json" | grep -q '检测到的背景为白色'
# Unknown kind: usage error.
rc=0
"$CTL" photo check --kind passport "$FX/tj_ok.jpg" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ]
echo "1 passed, 0 failed"
