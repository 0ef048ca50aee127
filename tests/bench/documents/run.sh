#!/bin/sh
# run.sh - the payment receipt as a document: in-process render cost
# (doc_bench: input JSON -> loader -> zikao_pdf, one thread on core CORE),
# then end to end through zikao-server and one pinned `zikao-worker --queue
# pdf` thread on a private PostgreSQL + Redis (bench_documents.py): request
# -> ready latency and documents per second.
#
# usage: tests/bench/documents/run.sh [BUILD_DIR]     (default <repo>/build)
# env:   CORE (default 0), RENDERS (doc_bench, default 300),
#        N (latency samples, default 40), M (queued documents, default 300)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
build=${1:-$repo/build}
core=${CORE:-0}
make -C "$build" zikao-server zikao-worker zikaoctl doc_bench >/dev/null
echo "== doc_bench: receipt render in process (core $core)"
taskset -c "$core" "$build/workers/pdf/doc_bench" -n "${RENDERS:-300}"
ZIKAO_BUILD_DIR=$build ZIKAO_SOURCE_DIR=$repo PYTHONDONTWRITEBYTECODE=1 CORE=$core \
  exec /usr/bin/python3 "$here/bench_documents.py"
