/*
 * job_sync.h - blocking PostgreSQL and Redis connections for worker threads
 * and zikaoctl, which are not event loops and may wait.
 *
 * Each connection reconnects on demand: a call that finds it broken drops
 * it, and the next job_*_get reopens it. Redis commands have the configured
 * timeout; a timed-out connection is dropped (its replies would be out of
 * step).
 */
#ifndef ZK_JOB_SYNC_H
#define ZK_JOB_SYNC_H

#include "config.h"

#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <stdbool.h>

struct sync_conns {
    const struct zk_config *cfg;
    const char *application_name;
    const char *options; /* libpq "options" (e.g. "-c synchronous_commit=off"), or NULL */
    PGconn *pg;
    redisContext *redis;
};

/* Returns a usable connection or NULL (the reason is logged once per outage). */
PGconn *sync_pg(struct sync_conns *c);
redisContext *sync_redis(struct sync_conns *c);

/*
 * Runs one statement with text parameters (with none, sql may hold several
 * statements separated by ';', sent in one round trip). Returns the result (caller
 * PQclears) when its status is COMMAND_OK or TUPLES_OK; otherwise logs, drops
 * a broken connection, and returns NULL.
 */
PGresult *sync_exec(struct sync_conns *c, const char *sql, int n, const char *const *values);

/*
 * Runs one Redis command. extra_timeout_ms is added to the command timeout
 * (for blocking commands such as XREADGROUP BLOCK). Returns the reply (caller
 * frees) or NULL after dropping the connection; error replies are returned.
 */
redisReply *sync_redis_argv(struct sync_conns *c, int extra_timeout_ms, int argc,
                            const char **argv);

void sync_close(struct sync_conns *c);

#endif
