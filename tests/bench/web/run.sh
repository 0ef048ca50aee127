#!/usr/bin/env bash
# tests/bench/web/run.sh - the web pages' budgets (../shared/WEB.md, issue 16):
#   * the bytes a first visit to the login page transfers, every resource as
#     served (tests/bench/web/first_load.py: chromium, nothing cached), from a
#     server whose pages have their precompressed .gz siblings (scripts/www-gzip,
#     as `cmake --install` and scripts/start serve them) - budget 100 KB - and,
#     as the anchor measured in the same run, from one serving the same pages
#     without them;
#   * Lighthouse 12.2.3 (tests/package.json; its default: a mobile device,
#     simulated slow 4G and 4x CPU slowdown) performance and accessibility
#     scores of the home, login and identity pages (the identity page as an
#     unverified candidate who uploaded the photos, through a session cookie
#     passed with --extra-headers) - budget 95 each - with the same anchor.
# Figures go to BENCHMARKS.md. Never a timed test: nothing here fails a build.
#
# Usage: tests/bench/web/run.sh [BUILD_DIR]
#   LIGHTHOUSE: the lighthouse command (default tests/node_modules/.bin/lighthouse)
#   RUNS: Lighthouse runs per page and server (3; the median score is reported)
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
RUNS=${RUNS:-3}
LIGHTHOUSE=${LIGHTHOUSE:-$root/tests/node_modules/.bin/lighthouse}
[ -x "$LIGHTHOUSE" ] || { echo "no $LIGHTHOUSE: run scripts/setup (or set LIGHTHOUSE)" >&2; exit 1; }
. "$root/tests/bench/lib.sh"
bench_start web "$build/workers/zikaoctl"
ZIKAO_DATABASE_CONNINFO=$ZIKAO_DATABASE_CONNINFO "$root/scripts/demo-data" "$build" >/dev/null

# The same pages twice: with their .gz siblings (as installed) and without.
"$root/scripts/www-gzip" "$bench_tmp/www-gz" "$root/server/www" >/dev/null
mkdir -p "$bench_tmp/www-plain" && cp -a "$root/server/www/." "$bench_tmp/www-plain/"
declare -A port
for v in gz plain; do
  port[$v]=$(bench_free_port)
  # environment=test only for the test session hook (a cookie for the identity page).
  ZIKAO_SERVER_LISTEN=127.0.0.1:${port[$v]} ZIKAO_SERVER_ENVIRONMENT=test ZIKAO_LOG_LEVEL=warning \
    ZIKAO_SERVER_WORKERS=1 ZIKAO_SERVER_WWW_DIR=$bench_tmp/www-$v \
    "$build/server/zikao-server" >"$bench_tmp/server-$v.log" 2>&1 &
  bench_pids+=($!)
done
for v in gz plain; do
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:${port[$v]}/readyz" >/dev/null && break; sleep 0.1; done
done

# An unverified candidate with the photos uploaded (the kit's faces, when the
# fixtures tool, the kit and the models are there), and a session for it.
cid=$(psql "$ZIKAO_DATABASE_CONNINFO" -qtA -c "INSERT INTO candidates (id_number, name, district, \
  kind, gender, birth_date) VALUES ('140105199602120318', '王芳', '140105', 'new', '女', \
  '1996-02-12') RETURNING id" | head -1)
session() {
  curl -fs -D - -o /dev/null -H 'Content-Type: application/json' -d "{\"candidate_id\": $cid}" \
    "http://127.0.0.1:$1/api/v1/_test/session" | sed -n 's/^[Ss]et-[Cc]ookie: \(zikao_session=[^;]*\).*/\1/p'
}
cookie=$(session "${port[gz]}")
models=$(sed -n 's/^ZIKAO_MODELS_DIR:PATH=//p' "$build/CMakeCache.txt")
kit=${ZIKAO_KIT_DIR:-$root/../shared}
photos="no photos (no fixtures tool, kit or models)"
if [ -x "$build/workers/face/identity_fixtures" ] && [ -d "$models" ] && [ -d "$kit/testdata" ] &&
   "$build/workers/face/identity_fixtures" "$models" "$kit" "$bench_tmp/photos" >/dev/null 2>&1; then
  csrf=$(curl -fs -H "Cookie: $cookie" "http://127.0.0.1:${port[gz]}/api/v1/me" |
         /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])')
  for kp in registration:sx_reg_sheldon idcard:sx_id_sheldon holding:sx_hold_sheldon; do
    curl -fs -o /dev/null -X PUT -H "Cookie: $cookie" -H "X-CSRF-Token: $csrf" \
      -H 'Content-Type: image/jpeg' --data-binary "@$bench_tmp/photos/${kp#*:}.jpg" \
      "http://127.0.0.1:${port[gz]}/api/v1/me/identity/photos/${kp%%:*}"
  done
  photos="three photos uploaded (sx_*_sheldon.jpg, 34-128 KB)"
fi

echo "# $(date -u +%FT%TZ) $(nproc) cores (load average $(cut -d" " -f1-3 /proc/loadavg)); $(chromium --version 2>/dev/null | sed -n "1s/ built on.*//p"); Lighthouse $("$LIGHTHOUSE" --version)"
echo "# identity page: an unverified candidate, $photos"
echo
echo "## first load of /login.html (every resource, bytes on the wire; budget 100 KB)"
for v in gz plain; do
  /usr/bin/python3 "$root/tests/bench/web/first_load.py" "http://127.0.0.1:${port[$v]}/login.html" \
    > "$bench_tmp/first-$v.json"
  /usr/bin/python3 - "$v" "$bench_tmp/first-$v.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))
what = "with .gz siblings" if sys.argv[1] == "gz" else "anchor: same pages, no .gz"
print(f"{what:28} {r['bytes'] / 1024:6.1f} KB in {r['requests']} requests")
for size, enc, url in r["resources"]:
    print(f"    {size:7d} {enc or '-':5} {url.split('/', 3)[3]}")
PY
done

echo
echo "## Lighthouse mobile scores (median of $RUNS; budget 95): performance / accessibility"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for v in gz plain; do
  c=$cookie
  [ "$v" = plain ] && c=$(session "${port[plain]}")
  for p in / /login.html /me/identity.html; do
    perf=() acc=() lcp=() tbt=()
    for i in $(seq "$RUNS"); do
      extra=()
      [ "$p" = /me/identity.html ] && extra=(--extra-headers "{\"Cookie\": \"$c\"}")
      "$LIGHTHOUSE" "http://127.0.0.1:${port[$v]}$p" --quiet --output=json \
        --output-path="$bench_tmp/lh.json" --only-categories=performance,accessibility \
        --chrome-path=/usr/bin/chromium --chrome-flags="--headless=new --no-sandbox" "${extra[@]}" \
        >/dev/null 2>&1 || { echo "lighthouse failed on $p" >&2; continue; }
      read -r a b l t < <(/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
c, a = r["categories"], r["audits"]
print(round(c["performance"]["score"] * 100), round(c["accessibility"]["score"] * 100),
      round(a["largest-contentful-paint"]["numericValue"]), round(a["total-blocking-time"]["numericValue"]))
' "$bench_tmp/lh.json")
      perf+=("$a") acc+=("$b") lcp+=("$l") tbt+=("$t")
      [ "$i" = 1 ] && cp "$bench_tmp/lh.json" "$bench_tmp/lh-$v-${p//\//_}.json"
    done
    what="with .gz"
    [ "$v" = plain ] && what="anchor (no .gz)"
    printf '%-16s %-20s %3s / %3s   (LCP %s ms, TBT %s ms)\n' "$what" "$p" \
      "$(printf '%s\n' "${perf[@]}" | median)" "$(printf '%s\n' "${acc[@]}" | median)" \
      "$(printf '%s\n' "${lcp[@]}" | median)" "$(printf '%s\n' "${tbt[@]}" | median)"
  done
done
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${KEEP_REPORTS:-}" ]; then
  mkdir -p "$KEEP_REPORTS" && cp "$bench_tmp"/lh-*.json "$KEEP_REPORTS"/
  echo "# Lighthouse reports kept in $KEEP_REPORTS"
fi
