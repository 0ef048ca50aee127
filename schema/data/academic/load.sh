#!/bin/sh
# load.sh - loads the academic demo data (majors, courses, the 030101K 法学
# plans, substitution rules, demo candidates' passed courses) with zikaoctl,
# in dependency order. Each file is all or nothing; the script stops at the
# first file with a rejected line. Extra arguments (e.g. --dry-run, which
# only works once the earlier files are loaded) go to every import.
# Usage: schema/data/academic/load.sh [ZIKAOCTL] [--dry-run]
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
ctl=zikaoctl
case "${1:-}" in
-*|"") ;;
*) ctl=$1; shift ;;
esac
for kind in majors courses plans rules scores; do
    "$ctl" academic import --kind "$kind" "$dir/$kind.csv" "$@"
done
