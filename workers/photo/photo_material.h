/*
 * photo_material.h - the `photo` queue's payload for a JPEG a candidate
 * attached to an application (supporting material: Tianjin's graduation
 * items), beside the identity photo payload of photo_queue.c.
 */
#ifndef ZK_PHOTO_MATERIAL_H
#define ZK_PHOTO_MATERIAL_H

#include "job.h"

#include <stdbool.h>

/* The payload {"application_file_id", "spec", "min_bytes", "max_bytes"}. */
bool photo_material_payload(const struct job *job);
int photo_material_run(struct job_ctx *ctx, struct job *job);
int photo_material_commit(struct job_ctx *ctx, struct job *job, PGconn *conn);
int photo_material_dead(struct job_ctx *ctx, struct job *job, PGconn *conn);

#endif
