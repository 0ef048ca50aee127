#!/usr/bin/env bash
# services.sh start|stop DIR - the shared services of one test run: PostgreSQL
# and Redis from scripts/services, plus the template database "zikao_template"
# (owned by zikao_owner) migrated to the current schema, which every test
# clones.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
cmd=$1 dir=$2
case "$cmd" in
  start)
    "$src/scripts/services" start "$dir"
    set -a; . "$dir/env"; set +a
    psql=("$ZIKAO_PG_BIN/psql" -h 127.0.0.1 -p "$ZIKAO_PG_PORT" -U postgres -qAt -v ON_ERROR_STOP=1)
    "${psql[@]}" -d postgres -c "DROP DATABASE IF EXISTS zikao_template WITH (FORCE)"
    "${psql[@]}" -d postgres -c "CREATE DATABASE zikao_template OWNER zikao_owner"
    # Migrated by the owner role; the binaries under test connect as zikao.
    ZIKAO_DATABASE_CONNINFO="host=127.0.0.1 port=$ZIKAO_PG_PORT dbname=zikao_template user=zikao_owner" \
      ZIKAO_DATABASE_OWNER_CONNINFO= "$ZIKAO_BUILD_DIR/workers/zikaoctl" migrate
    # Leftover databases of an interrupted run.
    for db in $("${psql[@]}" -d postgres -c "SELECT datname FROM pg_database WHERE datname LIKE 't\_%'"); do
      "${psql[@]}" -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" || true
    done
    ;;
  stop)
    "$src/scripts/services" stop "$dir"
    ;;
  *) echo "usage: services.sh start|stop DIR" >&2; exit 2 ;;
esac
