/*
 * archive_queue.c - the `archive` queue of zikao-worker: checks one zip a
 * candidate attached to an application (appfile.h) and records the verdict.
 *
 * Payload: {"application_file_id": N}; the server stores the file and adds
 *          the job in one transaction.
 * run:     reads the bytes (a file no longer waiting for a verdict, or
 *          deleted meanwhile, is left alone) and runs zipcheck_run under
 *          the [attachments] bounds read at start.
 * commit:  application_file_checked: accepted, or refused with the
 *          sentence naming the entry and the rule; detail = the entries.
 * on_dead: the file is refused with a reason telling the candidate to
 *          upload it again (the check will never run).
 *
 * The payload {"graduation_export_id": N} is a window's graduates for 电子注册
 * instead: a zip made, not checked (workers/graduation/graduation_export.c).
 *
 * Each thread owns a PostgreSQL connection for run's read.
 */
#include "alloc.h"
#include "appfile.h"
#include "graduation_export.h"
#include "job.h"
#include "job_sync.h"
#include "log.h"
#include "queue.h"
#include "zipcheck.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct archive_thread {
    struct zk_config cfg;
    struct sync_conns conns;
};

/* What run hands to commit. */
struct archive_job {
    int64_t id;
    bool skip; /* deleted, or decided already: nothing to write */
    bool accepted;
    char *reason; /* in the job's arena */
    char *detail; /* JSON text, in the job's arena */
};

static int archive_thread_init(void **state, void *shared, const struct zk_config *cfg)
{
    (void)shared;
    struct archive_thread *t = zk_calloc(1, sizeof(*t));
    t->cfg = *cfg;
    t->conns.cfg = &t->cfg;
    t->conns.application_name = "zikao-worker/archive";
    *state = t;
    return 0;
}

static void archive_thread_free(void *state)
{
    struct archive_thread *t = state;
    if (t == NULL)
        return;
    sync_close(&t->conns);
    free(t);
}

static int archive_run(struct job_ctx *ctx, struct job *job)
{
    struct archive_thread *t = job->thread_state;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (graduation_export_payload(job->payload))
        return graduation_export_run(ctx, job, sync_pg(&t->conns));
    struct archive_job *aj = arena_calloc(job->arena, sizeof(*aj));
    aj->id = appfile_payload_id(job->payload);
    if (aj->id == 0)
        return job_fail(ctx, "payload must be {\"application_file_id\": N}");
    job->data = aj;
    PGconn *conn = sync_pg(&t->conns);
    if (conn == NULL)
        return job_fail(ctx, "PostgreSQL is unreachable");
    char err[512];
    struct appfile f;
    int rc = appfile_read(conn, aj->id, &f, err, sizeof(err));
    if (rc == -ENOENT || (rc == 0 && !f.checking)) {
        free(f.data);
        aj->skip = true;
        job_set_result(ctx, json_pack("{s:I, s:s}", "application_file_id", (json_int_t)aj->id,
                                      "state", rc == -ENOENT ? "deleted" : "decided"));
        return 0;
    }
    if (rc < 0)
        return job_fail(ctx, "%s", err);
    const struct zipcheck_limits lim = {
        .max_entries = t->cfg.attach_zip_max_entries,
        .max_entry_bytes = t->cfg.attach_zip_max_entry_bytes,
        .max_total_bytes = t->cfg.attach_zip_max_total_bytes,
        .max_ratio = t->cfg.attach_zip_max_ratio,
    };
    struct zipcheck_result res;
    rc = zipcheck_run(f.data, f.len, &lim, &res);
    free(f.data);
    if (rc < 0) {
        zipcheck_result_free(&res);
        return job_fail(ctx, "the zip check could not run: %s", strerror(-rc));
    }
    aj->accepted = res.accepted;
    aj->reason = res.accepted ? NULL : arena_strdup(job->arena, res.reason);
    json_t *detail = zipcheck_detail_json(&res);
    char *text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    json_decref(detail);
    aj->detail = arena_strdup(job->arena, text ? text : "{}");
    free(text);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    job_set_result(ctx,
                   json_pack("{s:I, s:s, s:s?, s:I, s:I, s:f}", "application_file_id",
                             (json_int_t)aj->id, "state", res.accepted ? "accepted" : "refused",
                             "rule", res.rule, "files", (json_int_t)res.files, "total_bytes",
                             (json_int_t)res.total_bytes, "ms", ms));
    log_info("archive: application file %" PRId64 " %s %s (%" PRId64 " files, %zu bytes) in "
             "%.1f ms",
             aj->id, res.accepted ? "accepted" : "refused:", res.accepted ? "" : res.rule,
             res.files, f.len, ms);
    zipcheck_result_free(&res);
    return 0;
}

static int archive_commit(struct job_ctx *ctx, struct job *job, PGconn *conn)
{
    if (graduation_export_payload(job->payload))
        return graduation_export_commit(ctx, job, conn);
    const struct archive_job *aj = job->data;
    char err[512];
    if (aj->skip)
        return 0;
    if (appfile_verdict(conn, aj->id, aj->accepted, aj->reason, aj->detail, err, sizeof(err)) < 0)
        return job_fail(ctx, "%s", err);
    return 0;
}

/* The check will never run: the candidate must not wait for it forever. */
static int archive_dead(struct job_ctx *ctx, struct job *job, PGconn *conn)
{
    if (graduation_export_payload(job->payload))
        return graduation_export_dead(ctx, job, conn);
    int64_t id = appfile_payload_id(job->payload);
    char err[512];
    if (id > 0 && appfile_verdict(conn, id, false, APPFILE_DEAD_REASON, NULL, err, sizeof(err)) < 0)
        return job_fail(ctx, "%s", err);
    return 0;
}

const struct job_queue job_queue_archive = {
    .name = QUEUE_ARCHIVE,
    .run = archive_run,
    .commit = archive_commit,
    .on_dead = archive_dead,
    .thread_init = archive_thread_init,
    .thread_free = archive_thread_free,
};
