/*
 * pg_pool_probe.c - drives the non-blocking pool (shared/pg_pool.c) against
 * a real PostgreSQL for test_pg_pool.py: one scenario per run, named on the
 * command line, one JSON line per callback on stdout.
 *
 *   pg_pool_probe CONNINFO SCENARIO
 *
 * Scenarios (each on one held connection unless said otherwise):
 *   pipelined       BEGIN + SELECT in one pipeline; then a plain statement
 *                   in the same transaction; then COMMIT
 *   lead-error      a failing lead statement: its error reaches the callback
 *   main-error      BEGIN + a failing statement: the statement's error
 *   timeout         BEGIN + pg_sleep beyond the deadline: timed out, and
 *                   the pool serves the next query on a fresh connection
 *   many N          N transactions, each BEGIN + INSERT pipelined, COMMIT
 *
 * Owns everything it allocates; exits 0 when the scenario ran to its end.
 */
#include "pg_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

struct probe {
    uv_loop_t *loop;
    struct pg_pool *pool;
    struct pg_conn *conn;
    const char *scenario;
    int step;
    int remaining;
    int failures;
};

static void probe_report(const char *what, const struct pg_result *r)
{
    const char *value = r->res != NULL && PQntuples(r->res) > 0 ? pg_value(r->res, 0, 0) : NULL;
    printf("{\"step\": \"%s\", \"error\": %d, \"sqlstate\": \"%s\", \"value\": %s%s%s}\n", what,
           (int)r->error, r->sqlstate, value ? "\"" : "", value ? value : "null",
           value ? "\"" : "");
    fflush(stdout);
}

static void probe_done(struct probe *p)
{
    if (p->conn != NULL) {
        pg_pool_release(p->conn);
        p->conn = NULL;
    }
    pg_pool_close(p->pool, NULL, NULL);
}

static void on_after_timeout(void *ud, const struct pg_result *r)
{
    struct probe *p = ud;
    probe_report("after-timeout", r);
    probe_done(p);
}

static void on_transaction_state(void *ud, const struct pg_result *r)
{
    struct probe *p = ud;
    probe_report("state", r);
    probe_done(p);
}

static void on_next_txn(struct probe *p);

static void on_many_step(void *ud, const struct pg_result *r)
{
    struct probe *p = ud;
    if (r->error != PG_OK) {
        p->failures++;
        probe_report("many-failed", r);
    }
    if (p->step++ == 0) {
        if (pg_conn_query(p->conn, "COMMIT", NULL, on_many_step, p) < 0)
            p->failures++;
        return;
    }
    pg_pool_release(p->conn);
    p->conn = NULL;
    on_next_txn(p);
}

static void on_many_acquired(void *ud, struct pg_conn *conn, enum pg_error error)
{
    struct probe *p = ud;
    if (conn == NULL) {
        printf("{\"step\": \"acquire\", \"error\": %d}\n", (int)error);
        p->failures++;
        pg_pool_close(p->pool, NULL, NULL);
        return;
    }
    p->conn = conn;
    p->step = 0;
    if (pg_conn_query_pipelined(conn, "BEGIN", "INSERT INTO probe_rows DEFAULT VALUES", NULL,
                                on_many_step, p) < 0)
        p->failures++;
}

static void on_next_txn(struct probe *p)
{
    if (p->remaining-- <= 0) {
        printf("{\"step\": \"many\", \"failures\": %d}\n", p->failures);
        pg_pool_close(p->pool, NULL, NULL);
        return;
    }
    if (pg_pool_acquire(p->pool, on_many_acquired, p) < 0) {
        p->failures++;
        pg_pool_close(p->pool, NULL, NULL);
    }
}

static void on_many_table(void *ud, const struct pg_result *r)
{
    struct probe *p = ud;
    probe_report("table", r);
    on_next_txn(p);
}

/* The pipelined scenario: each result leads to the next statement. */
static void on_pipelined_step(void *ud, const struct pg_result *r)
{
    struct probe *p = ud;
    static const char *const names[] = {"begin+select", "select", "commit"};
    probe_report(names[p->step], r);
    /* Inside the transaction the pipelined BEGIN opened, the transaction id
     * stays the same from one statement to the next. */
    const char *next = p->step == 0   ? "SELECT txid_current()::text"
                       : p->step == 1 ? "COMMIT"
                                      : NULL;
    p->step++;
    if (next != NULL) {
        if (pg_conn_query(p->conn, next, NULL, on_pipelined_step, p) < 0)
            probe_done(p);
        return;
    }
    /* Back in the pool: the connection is usable outside a transaction. */
    pg_pool_release(p->conn);
    p->conn = NULL;
    pg_query(p->pool, "SELECT txid_current()::text", NULL, on_transaction_state, p);
}

static void on_error_result(void *ud, const struct pg_result *r)
{
    struct probe *p = ud;
    probe_report(p->scenario, r);
    /* Released after an error: rolled back, and the pool goes on. */
    pg_pool_release(p->conn);
    p->conn = NULL;
    pg_query(p->pool, "SELECT 'usable'", NULL,
             strcmp(p->scenario, "timeout") == 0 ? on_after_timeout : on_transaction_state, p);
}

static void on_acquired(void *ud, struct pg_conn *conn, enum pg_error error)
{
    struct probe *p = ud;
    if (conn == NULL) {
        printf("{\"step\": \"acquire\", \"error\": %d}\n", (int)error);
        pg_pool_close(p->pool, NULL, NULL);
        return;
    }
    p->conn = conn;
    int rc;
    if (strcmp(p->scenario, "pipelined") == 0)
        rc = pg_conn_query_pipelined(conn, "BEGIN", "SELECT txid_current()::text", NULL,
                                     on_pipelined_step, p);
    else if (strcmp(p->scenario, "lead-error") == 0)
        rc =
            pg_conn_query_pipelined(conn, "SELECT 1/0", "SELECT 'never'", NULL, on_error_result, p);
    else if (strcmp(p->scenario, "main-error") == 0)
        rc = pg_conn_query_pipelined(conn, "BEGIN", "SELECT 1/0", NULL, on_error_result, p);
    else
        rc = pg_conn_query_pipelined(conn, "BEGIN", "SELECT pg_sleep(5)", NULL, on_error_result, p);
    if (rc < 0) {
        printf("{\"step\": \"send\", \"rc\": %d}\n", rc);
        probe_done(p);
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s CONNINFO pipelined|lead-error|main-error|timeout|many N\n",
                argv[0]);
        return 2;
    }
    struct probe p = {.scenario = argv[2]};
    p.loop = uv_default_loop();
    struct pg_pool_options opt = {
        .conninfo = argv[1],
        .application_name = "pg_pool_probe",
        .size = 2,
        .queue_limit = 16,
        .query_timeout_ms = strcmp(argv[2], "timeout") == 0 ? 300 : 5000,
        .connect_timeout_ms = 5000,
    };
    p.pool = pg_pool_create(p.loop, &opt);
    if (strcmp(argv[2], "many") == 0) {
        p.remaining = argc > 3 ? atoi(argv[3]) : 100;
        pg_query(p.pool, "CREATE TABLE IF NOT EXISTS probe_rows (id bigserial PRIMARY KEY)", NULL,
                 on_many_table, &p);
    } else if (pg_pool_acquire(p.pool, on_acquired, &p) < 0) {
        fprintf(stderr, "acquire refused\n");
        pg_pool_close(p.pool, NULL, NULL);
    }
    uv_run(p.loop, UV_RUN_DEFAULT);
    uv_loop_close(p.loop);
    return p.failures == 0 ? 0 : 1;
}
