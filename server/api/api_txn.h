/*
 * api_txn.h - a database transaction for a request, with the job outbox
 * built in.
 *
 *   api_txn_begin(req, step1)           acquire a connection; step1 runs then
 *                                       (BEGIN goes with the first statement)
 *   api_txn_query(tx, sql, ..., step2)  each statement, one at a time
 *   api_txn_add_job(tx, queue, payload, step3)
 *                                       insert a jobs row in this transaction
 *   api_txn_commit(tx, done)            COMMIT; then the added jobs are
 *                                       published to their streams
 *
 * Every step callback receives the previous statement's result (the first
 * step: PG_OK without rows, or the acquisition's error). A step that
 * meets a failure calls api_txn_fail (answers like api_db_failed and rolls
 * back) or answers itself and calls api_txn_rollback. The connection is
 * released when the transaction ends, whichever way.
 */
#ifndef ZK_API_TXN_H
#define ZK_API_TXN_H

#include "api.h"

#include <stdint.h>

struct api_txn;
typedef void (*api_txn_step_fn)(struct api_txn *tx, const struct pg_result *r);

/* Returns 0, or -1 after answering 503 (the pool refused at once). */
int api_txn_begin(struct http_request *req, api_txn_step_fn first);

/* Values are copied into the request arena (the strings must live as long as the request). */
void api_txn_query(struct api_txn *tx, const char *sql, int n, const char *const *values,
                   api_txn_step_fn next);

/* Like api_txn_query with parameters the caller built (binary values ...);
 * p and what it points to must live as long as the request. */
void api_txn_query_params(struct api_txn *tx, const char *sql, const struct pg_params *p,
                          api_txn_step_fn next);

/* Inserts a job (payload: JSON text) in the transaction; its id is in r. */
void api_txn_add_job(struct api_txn *tx, const char *queue, const char *payload,
                     api_txn_step_fn next);

/* Commits; done receives COMMIT's result. Jobs are published after it. */
void api_txn_commit(struct api_txn *tx, api_txn_step_fn done);

void api_txn_rollback(struct api_txn *tx);

/* If r failed: answers the standard error, rolls back, returns true. */
bool api_txn_fail(struct api_txn *tx, const struct pg_result *r);

struct http_request *api_txn_request(const struct api_txn *tx);

/* Ids of the jobs added so far (valid until the request ends). */
int api_txn_jobs(const struct api_txn *tx, const int64_t **ids);

#endif
