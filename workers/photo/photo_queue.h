/*
 * photo_queue.h - what the `photo` queue's two payloads share: one photo
 * checked against a spec with the face engine's landmarks (photo_queue.c),
 * and the graduation photo's run, commit and dead steps
 * (photo_application.c).
 */
#ifndef ZK_PHOTO_QUEUE_H
#define ZK_PHOTO_QUEUE_H

#include "identity.h"
#include "job.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Checks data against spec with identity_check_photo (its faces found,
 * expecting kind's count or the spec's, so the landmark rules give real
 * verdicts; every rule run) and reports whether all passed, the rules as
 * JSON (with their Chinese titles, in the job's arena) and the faces found
 * (count -1: none could be looked for; detector: which one found them).
 * Returns 0 or the face engine's negative error.
 */
int photo_queue_check(struct job *job, const struct photo_spec *spec, enum identity_kind kind,
                      const uint8_t *data, size_t len, bool *passed, char **rules,
                      struct identity_faces *faces);

/* The payload {"application_id": N, "file_id": N}: an application's
 * graduation photo against [PROVINCE.graduation]. */
bool photo_application_payload(const struct job *job);
int photo_application_run(struct job_ctx *ctx, struct job *job);
int photo_application_commit(struct job_ctx *ctx, struct job *job, PGconn *conn);
int photo_application_dead(struct job_ctx *ctx, struct job *job, PGconn *conn);

#endif
