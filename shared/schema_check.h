/*
 * schema_check.h - is the database's schema the one this build needs?
 *
 * Every migration the build knows (ZIKAO_SCHEMA_LIST, build_info.h) must be
 * in schema_migrations; numbers may have gaps, so comparing the highest
 * version is not enough. The query answers (highest version applied, how
 * many of this build's migrations are applied); the schema is current when
 * the second equals ZIKAO_SCHEMA_COUNT. A missing schema_migrations table
 * (SQLSTATE 42P01) means an empty database.
 */
#ifndef ZK_SCHEMA_CHECK_H
#define ZK_SCHEMA_CHECK_H

#include "build_info.h"

#define SCHEMA_CHECK_SQL                                                                           \
    "SELECT coalesce(max(version), 0), count(*) FILTER (WHERE version = ANY ('" ZIKAO_SCHEMA_LIST  \
    "'::int[])) FROM schema_migrations"

#endif
