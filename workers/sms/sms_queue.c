/*
 * sms_queue.c - the `sms` queue: messages written in a business transaction
 * (the outbox) and sent after its COMMIT. Today: the candidate's notice of a
 * staff decision (review_notices, schema/0015_staff.sql), whose row and job
 * the decision's transaction wrote (server/api/review.c).
 *
 * Payload: {"notice_id": N}. Sending goes through the provider named by
 * [auth] sms_provider, as the server's SMS codes do (server/api/sms_provider.h):
 * "outbox" writes the message to sms_outbox in the job's done transaction
 * (run() has nothing to do). A gateway provider sends in run(), naming the
 * notice id as its idempotency key so that a retried job is one message.
 * A notice already sent is left alone: a job run twice sends once.
 */
#include "job.h"
#include "queue.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct sms_send_provider {
    const char *name;
    int (*run)(struct job_ctx *ctx, struct job *job);
    int (*commit)(struct job_ctx *ctx, struct job *job, PGconn *conn, const char *notice);
};

static int outbox_commit(struct job_ctx *ctx, struct job *job, PGconn *conn, const char *notice)
{
    (void)job;
    const char *values[] = {notice};
    PGresult *r = PQexecParams(
        conn,
        "WITH n AS (UPDATE review_notices SET state = 'sent', sent_at = now() WHERE id = "
        "$1::bigint AND state = 'queued' RETURNING phone, body) "
        "INSERT INTO sms_outbox (phone, purpose, body, sent_at) SELECT phone, 'decision', body, "
        "now() FROM n",
        1, NULL, values, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = job_fail(ctx, "decision notice %s: %s", notice, PQresultErrorMessage(r));
    else
        job_set_result(ctx, json_pack("{s:b}", "sent", strcmp(PQcmdTuples(r), "1") == 0));
    PQclear(r);
    return rc;
}

static const struct sms_send_provider sms_send_providers[] = {
    {"outbox", NULL, outbox_commit},
};

static const struct sms_send_provider *provider(const char *name)
{
    for (size_t i = 0; i < sizeof(sms_send_providers) / sizeof(sms_send_providers[0]); i++)
        if (strcmp(sms_send_providers[i].name, name) == 0)
            return &sms_send_providers[i];
    return &sms_send_providers[0];
}

static int sms_thread_init(void **state, void *shared, const struct zk_config *cfg)
{
    (void)shared;
    *state = (void *)provider(cfg->auth_sms_provider);
    return 0;
}

static int sms_run(struct job_ctx *ctx, struct job *job)
{
    const struct sms_send_provider *p = job->thread_state;
    if (!json_is_integer(json_object_get(job->payload, "notice_id")))
        return job_fail(ctx, "sms job without notice_id");
    return p->run != NULL ? p->run(ctx, job) : 0;
}

static int sms_commit(struct job_ctx *ctx, struct job *job, PGconn *conn)
{
    const struct sms_send_provider *p = job->thread_state;
    char notice[24];
    snprintf(notice, sizeof(notice), "%" JSON_INTEGER_FORMAT,
             json_integer_value(json_object_get(job->payload, "notice_id")));
    return p->commit(ctx, job, conn, notice);
}

const struct job_queue job_queue_sms = {
    .name = QUEUE_SMS,
    .run = sms_run,
    .commit = sms_commit,
    .thread_init = sms_thread_init,
};
