/*
 * api_txn.c - request transactions with the job outbox (see api_txn.h).
 *
 * Owns the acquired pool connection from begin until commit or rollback;
 * everything else lives in the request's arena.
 *
 * BEGIN is not a round trip of its own: it travels with the transaction's
 * first statement in one pipeline (pg_conn_query_pipelined). The first step
 * therefore runs as soon as a connection is acquired, with an empty result.
 */
#include "api_txn.h"
#include "log.h"
#include "queue_publish.h"
#include "server.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define TXN_MAX_JOBS 64

struct api_txn {
    struct http_request *req;
    struct pg_conn *conn;
    api_txn_step_fn next;
    api_txn_step_fn commit_done;
    struct pg_params params;
    const char *job_queue;
    int64_t job_ids[TXN_MAX_JOBS];
    const char *job_queues[TXN_MAX_JOBS];
    int njobs;
    bool pending_job; /* the running statement is a job insert */
    bool begun;       /* BEGIN has been sent */
};

struct http_request *api_txn_request(const struct api_txn *tx)
{
    return tx->req;
}

int api_txn_jobs(const struct api_txn *tx, const int64_t **ids)
{
    *ids = tx->job_ids;
    return tx->njobs;
}

static void txn_release(struct api_txn *tx)
{
    if (tx->conn != NULL) {
        pg_pool_release(tx->conn); /* rolls back an open transaction */
        tx->conn = NULL;
    }
}

static void on_step(void *ud, const struct pg_result *r)
{
    struct api_txn *tx = ud;
    api_txn_step_fn next = tx->next;
    if (tx->pending_job) {
        tx->pending_job = false;
        if (r->error == PG_OK && tx->njobs < TXN_MAX_JOBS) {
            tx->job_ids[tx->njobs] = strtoll(PQgetvalue(r->res, 0, 0), NULL, 10);
            tx->job_queues[tx->njobs] = tx->job_queue;
            tx->njobs++;
        }
    }
    next(tx, r);
}

static void txn_send(struct api_txn *tx, const char *sql, api_txn_step_fn next)
{
    tx->next = next;
    const char *lead = tx->begun ? NULL : "BEGIN";
    tx->begun = true;
    if (pg_conn_query_pipelined(tx->conn, lead, sql, &tx->params, on_step, tx) < 0) {
        struct pg_result r = {NULL, PG_ERR_CONNECTION, "database connection lost", ""};
        on_step(tx, &r);
    }
}

void api_txn_query(struct api_txn *tx, const char *sql, int n, const char *const *values,
                   api_txn_step_fn next)
{
    const char **copy = NULL;
    if (n > 0) {
        copy = arena_alloc(&tx->req->arena, sizeof(*copy) * (size_t)n);
        memcpy(copy, values, sizeof(*copy) * (size_t)n);
    }
    tx->params.n = n;
    tx->params.values = copy;
    tx->params.lengths = NULL;
    tx->params.formats = NULL;
    txn_send(tx, sql, next);
}

void api_txn_query_params(struct api_txn *tx, const char *sql, const struct pg_params *p,
                          api_txn_step_fn next)
{
    tx->params = *p;
    txn_send(tx, sql, next);
}

void api_txn_add_job(struct api_txn *tx, const char *queue, const char *payload,
                     api_txn_step_fn next)
{
    const char *values[] = {queue, payload};
    tx->job_queue = queue;
    tx->pending_job = true;
    api_txn_query(tx, QUEUE_INSERT_SQL, 2, values, next);
}

static void on_acquired(void *ud, struct pg_conn *conn, enum pg_error error)
{
    struct api_txn *tx = ud;
    if (conn == NULL) {
        struct pg_result r = {NULL, error, "database unavailable", ""};
        tx->next(tx, &r);
        return;
    }
    tx->conn = conn;
    struct pg_result ok = {NULL, PG_OK, NULL, ""};
    tx->next(tx, &ok);
}

int api_txn_begin(struct http_request *req, api_txn_step_fn first)
{
    struct api_txn *tx = arena_calloc(&req->arena, sizeof(*tx));
    tx->req = req;
    tx->next = first;
    return api_db_refused(req, pg_pool_acquire(req->srv->pg, on_acquired, tx));
}

/* After COMMIT: publish the added jobs, one batch per queue. */
static void txn_publish(struct api_txn *tx)
{
    struct server *srv = tx->req->srv;
    bool done[TXN_MAX_JOBS] = {false};
    int64_t ids[TXN_MAX_JOBS];
    for (int i = 0; i < tx->njobs; i++) {
        if (done[i])
            continue;
        int n = 0;
        for (int k = i; k < tx->njobs; k++) {
            if (!done[k] && strcmp(tx->job_queues[k], tx->job_queues[i]) == 0) {
                ids[n++] = tx->job_ids[k];
                done[k] = true;
            }
        }
        /* The rows are committed: if publishing fails, the sweeper repairs it. */
        queue_publish(srv->redis, tx->job_queues[i], ids, n, NULL, NULL);
    }
}

static void on_committed(struct api_txn *tx, const struct pg_result *r)
{
    txn_release(tx);
    if (r->error == PG_OK)
        txn_publish(tx);
    tx->commit_done(tx, r);
}

void api_txn_commit(struct api_txn *tx, api_txn_step_fn done)
{
    tx->commit_done = done;
    if (!tx->begun) { /* nothing was written: nothing to commit */
        struct pg_result ok = {NULL, PG_OK, NULL, ""};
        on_committed(tx, &ok);
        return;
    }
    api_txn_query(tx, "COMMIT", 0, NULL, on_committed);
}

void api_txn_rollback(struct api_txn *tx)
{
    txn_release(tx);
}

bool api_txn_fail(struct api_txn *tx, const struct pg_result *r)
{
    if (r->error == PG_OK)
        return false;
    txn_release(tx);
    return api_db_failed(tx->req, r);
}
