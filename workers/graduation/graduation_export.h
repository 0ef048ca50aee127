/*
 * graduation_export.h - the graduation export payload of the `archive`
 * queue (graduation_export.c): {"graduation_export_id": N}.
 */
#ifndef ZK_GRADUATION_EXPORT_H
#define ZK_GRADUATION_EXPORT_H

#include "job.h"

#include <libpq-fe.h>
#include <stdint.h>

/* The export's id in payload, or 0 when it is not this payload. */
int64_t graduation_export_payload(const void *payload_json);

/* The queue's steps for this payload (conn: the thread's own connection for
 * run; the commit's transaction for the others). */
int graduation_export_run(struct job_ctx *ctx, struct job *job, PGconn *conn);
int graduation_export_commit(struct job_ctx *ctx, struct job *job, PGconn *conn);
int graduation_export_dead(struct job_ctx *ctx, struct job *job, PGconn *conn);

#endif
