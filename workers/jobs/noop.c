/*
 * noop.c - the `noop` queue, for tests and benchmarks: sleeps, can be told to
 * fail, and records one row per job in job_noop_effects inside the done
 * transaction (whose primary key would refuse a second application).
 *
 * Payload: {"sleep_ms": N (default 0), "fail": true (fail every attempt),
 *           "fail_attempts": K (fail the first K attempts)}
 */
#include "job.h"
#include "queue.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

static int noop_run(struct job_ctx *ctx, struct job *job)
{
    json_int_t sleep_ms = json_integer_value(json_object_get(job->payload, "sleep_ms"));
    if (sleep_ms > 0) {
        struct timespec ts = {(time_t)(sleep_ms / 1000), (long)(sleep_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0)
            ;
    }
    if (json_is_true(json_object_get(job->payload, "fail")))
        return job_fail(ctx, "noop job asked to fail (attempt %d)", job->attempt);
    json_int_t fail_attempts = json_integer_value(json_object_get(job->payload, "fail_attempts"));
    if (job->attempt <= fail_attempts)
        return job_fail(ctx, "noop job asked to fail its first %d attempts (attempt %d)",
                        (int)fail_attempts, job->attempt);
    job_set_result(ctx, json_pack("{s:I}", "slept_ms", sleep_ms));
    return 0;
}

static int noop_commit(struct job_ctx *ctx, struct job *job, PGconn *conn)
{
    char id[24];
    snprintf(id, sizeof(id), "%" PRId64, job->id);
    const char *values[] = {id, job_worker_name(ctx)};
    PGresult *r =
        PQexecParams(conn, "INSERT INTO job_noop_effects (job_id, worker) VALUES ($1, $2)", 2, NULL,
                     values, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = job_fail(ctx, "noop effect: %s", PQresultErrorMessage(r));
    PQclear(r);
    return rc;
}

const struct job_queue job_queue_noop = {
    .name = QUEUE_NOOP,
    .run = noop_run,
    .commit = noop_commit,
};
