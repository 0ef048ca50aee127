#!/bin/sh
# run.sh - identity verification workers benchmark: milliseconds per `photo`
# job and per `face` job, end-to-end jobs per second and worker RSS, on a
# private PostgreSQL + Redis (scripts/services). See bench_identity.py.
#
# usage: tests/bench/identity/run.sh [BUILD_DIR]     (default <repo>/build)
# env:   N                 attempts (default 30)
#        ZIKAO_KIT_DIR     reference kit (default /work/shared)
#        ZIKAO_MODELS_DIR  face-api model folder (default <repo>/models/...)
# Builds zikao-worker, zikaoctl and identity_fixtures when missing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
build=${1:-$repo/build}
make -C "$build" zikao-worker zikaoctl identity_fixtures >/dev/null
ZIKAO_BUILD_DIR=$build ZIKAO_SOURCE_DIR=$repo PYTHONDONTWRITEBYTECODE=1 \
  exec /usr/bin/python3 "$here/bench_identity.py"
