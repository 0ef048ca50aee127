/*
 * pg_pool.h - a non-blocking PostgreSQL connection pool on a libuv loop.
 *
 * One pool per process. Connections are opened with PQconnectStartParams /
 * PQconnectPoll and driven by uv_poll_t; queries go out with
 * PQsendQueryParams and their results come back through a callback. Nothing
 * here ever blocks the loop: cancellation (PQcancel, which connects) runs on
 * the libuv thread pool.
 *
 * Bounds: `size` connections; at most `queue_limit` operations waiting for a
 * free connection (beyond that pg_query returns -EAGAIN: answer 503 with
 * Retry-After); every operation has a deadline of `query_timeout_ms` counted
 * from submission, after which its callback receives PG_ERR_TIMEOUT and the
 * statement is cancelled. Connections that fail are reopened with backoff;
 * while no connection can be made, submissions fail at once with -ENOTCONN.
 *
 * Pipeline mode is used where it saves a round trip: a transaction's BEGIN
 * travels with its first statement (pg_conn_query_pipelined).
 *
 * Lifetimes: the SQL text and parameter arrays passed in must stay valid until
 * the callback has run. The PGresult handed to a callback belongs to the pool
 * and is cleared when the callback returns. Every accepted operation gets
 * exactly one callback.
 */
#ifndef ZK_PG_POOL_H
#define ZK_PG_POOL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <uv.h>

struct pg_pool;
struct pg_conn;

struct pg_pool_options {
    const char *conninfo;         /* libpq connection string; use an IP or socket path */
    const char *application_name; /* shown in pg_stat_activity */
    int size;
    int queue_limit;
    int query_timeout_ms;
    int connect_timeout_ms;
};

enum pg_error {
    PG_OK = 0,
    PG_ERR_QUERY,       /* the server rejected the statement: see sqlstate */
    PG_ERR_TIMEOUT,     /* deadline passed (waiting or running); cancelled */
    PG_ERR_UNAVAILABLE, /* no connection could be made */
    PG_ERR_CONNECTION,  /* the connection broke while the statement ran */
};

struct pg_result {
    PGresult *res;        /* NULL unless error is PG_OK or PG_ERR_QUERY */
    enum pg_error error;  /* PG_OK on success */
    const char *message;  /* human-readable cause when error != PG_OK */
    const char *sqlstate; /* five-character SQLSTATE for PG_ERR_QUERY, else "" */
};

typedef void (*pg_result_cb)(void *ud, const struct pg_result *r);
typedef void (*pg_acquire_cb)(void *ud, struct pg_conn *conn, enum pg_error error);

/* Text parameters by default; lengths/formats may be NULL. result_format 1
 * asks for binary results (bytea as raw bytes: PQgetlength tells the size). */
struct pg_params {
    int n;
    const char *const *values;
    const int *lengths;
    const int *formats;
    int result_format;
};

/* Creates the pool and starts connecting; never NULL. */
struct pg_pool *pg_pool_create(uv_loop_t *loop, const struct pg_pool_options *opt);

/* Changes the timeouts and the queue limit of a running pool (SIGHUP). */
void pg_pool_set_limits(struct pg_pool *pool, int queue_limit, int query_timeout_ms,
                        int connect_timeout_ms);

/*
 * Runs one statement on any free connection. Returns 0 (cb will be called),
 * -EAGAIN when the wait queue is full, -ENOTCONN when the database is
 * unreachable.
 */
int pg_query(struct pg_pool *pool, const char *sql, const struct pg_params *params, pg_result_cb cb,
             void *ud);

/*
 * Takes a connection for the caller's exclusive use (a transaction). Returns
 * as pg_query does; cb receives the connection, or NULL with an error.
 * The caller must hand it back with pg_pool_release.
 */
int pg_pool_acquire(struct pg_pool *pool, pg_acquire_cb cb, void *ud);

/*
 * Runs a statement on an acquired connection. Returns 0, -EBUSY if a
 * statement is already running on it, or -ENOTCONN if the connection broke
 * (release it; the transaction is lost).
 */
int pg_conn_query(struct pg_conn *conn, const char *sql, const struct pg_params *params,
                  pg_result_cb cb, void *ud);

/*
 * As pg_conn_query, with lead_sql (no parameters; typically "BEGIN") sent
 * ahead of sql in one libpq pipeline: both statements reach the server in a
 * single round trip. cb receives sql's result, or lead_sql's error (sql is
 * then skipped by the server).
 */
int pg_conn_query_pipelined(struct pg_conn *conn, const char *lead_sql, const char *sql,
                            const struct pg_params *params, pg_result_cb cb, void *ud);

/* Returns an acquired connection; an open transaction is rolled back. */
void pg_pool_release(struct pg_conn *conn);

/* Figures for /metrics and /readyz. */
struct pg_pool_stats {
    int size;
    int ready;   /* connections open and usable */
    int in_use;  /* running a statement or held */
    int waiting; /* operations queued for a connection */
    unsigned long long timeouts, failures;
};
void pg_pool_stats(const struct pg_pool *pool, struct pg_pool_stats *out);

/* Closes every connection; done(ud) runs once all handles are closed. */
void pg_pool_close(struct pg_pool *pool, void (*done)(void *ud), void *ud);

/* PQclear with the signature of a generic cleanup (arena_defer). */
void pg_result_free(void *res);

/* Reads field (row, col) as text; NULL for SQL NULL. */
const char *pg_value(const PGresult *res, int row, int col);

#endif
