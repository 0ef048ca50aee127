#!/usr/bin/env bash
# tests/bench/ab.sh BASE_BUILD HEAD_BUILD SCRIPT RUNS - alternating runs of a
# benchmark script on two builds (base first, then head, RUNS times), for
# comparing a change with the commit before it on a shared machine: slow
# drifts of the machine's load then hit both alike. Environment knobs
# (DURATION, N, ...) pass through to SCRIPT.
#   e.g. git worktree add /tmp/base HEAD~1 && scripts/build /tmp/base/build
#        DURATION=5 tests/bench/ab.sh /tmp/base/build build tests/bench/http/run.sh 5
set -euo pipefail
base=$1 head=$2 script=$3 runs=$4
for i in $(seq "$runs"); do
  for tag in base head; do
    b=$base
    [ "$tag" = head ] && b=$head
    echo "=== run $i $tag ($b)"
    "$script" "$b" 2>&1 | grep -v '^#' || true
  done
done
