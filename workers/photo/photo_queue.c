/*
 * photo_queue.c - the `photo` queue: checks one photo of an identity
 * verification attempt against its specification and records the verdicts.
 *
 * Payload: {"attempt_id": N, "kind": "registration"|"idcard"|"holding",
 *           "file_id": N (must be the attempt's photo of that kind)}.
 * run:    reads the photo (files.data) and checks it with identity_check_photo
 *         for ([profile] province, kind): its faces found by the policy of
 *         identity_find_faces so the landmark rules give real verdicts,
 *         every rule of the spec run; a rule left pending because no face
 *         was found is reported skipped (the face_count rule says why),
 *         never passed.
 * result: {attempt_id, kind, file_id, state, faces, detector (which
 *         detector found them: "tiny_face_detector" or "ssd_mobilenetv1";
 *         absent when no face search ran), ms, cpu_ms}.
 * commit: under the attempt's row lock, writes identity_photo_checks (state,
 *         and every rule's verdict, value, range, title, measured value in
 *         words and message) unless
 *         it already holds a result, then settles the attempt (identity.h).
 * A missing attempt, photo or specification is a job failure (retried, then
 * dead for an operator): it is never the candidate's fault.
 * The payload {"application_id", "file_id"} is an application's graduation
 * photo instead (photo_application.c), and {"application_file_id", ...} a JPEG
 * attached to an application (photo_material.c).
 */
#include "photo_material.h"
#include "photo_queue.h"
#include "queue.h"
#include "job.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct photo_job {
    int64_t attempt_id, file_id;
    enum identity_kind kind;
    bool passed;
    char *rules; /* JSON array, in the job's arena */
};

/* Milliseconds on clock since *t0. */
static double ms_since(clockid_t clock, const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(clock, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static bool all_passed(const struct photo_result *res)
{
    for (int i = 0; i < res->nverdicts; i++)
        if (res->verdicts[i].verdict != PHOTO_PASSED)
            return false;
    return res->nverdicts > 0;
}

/* The result's rules with each rule's Chinese title, and what it measured in
 * words ("measured", when it measured something), added. */
static char *rules_json(const struct photo_result *res, struct arena *arena)
{
    json_t *all = photo_result_json(res);
    json_t *rules = json_object_get(all, "rules");
    size_t i;
    json_t *r;
    json_array_foreach(rules, i, r)
    {
        json_object_set_new(
            r, "title",
            json_string(identity_rule_title(json_string_value(json_object_get(r, "rule")))));
        char words[128];
        if (identity_rule_measured(r, words, sizeof(words)) != NULL)
            json_object_set_new(r, "measured", json_string(words));
    }
    char *txt = json_dumps(rules, JSON_COMPACT);
    char *out = arena_strdup(arena, txt);
    free(txt);
    json_decref(all);
    return out;
}

int photo_queue_check(struct job *job, const struct photo_spec *spec, enum identity_kind kind,
                      const uint8_t *data, size_t len, bool *passed, char **rules,
                      struct identity_faces *faces)
{
    struct identity_worker *w = job->thread_state;
    struct photo_result *res = arena_calloc(job->arena, sizeof(*res));
    int rc = identity_check_photo(w->eng, w->specs, spec, kind, data, len, res, faces);
    if (rc < 0)
        return rc;
    *passed = all_passed(res);
    *rules = rules_json(res, job->arena);
    return 0;
}

static int photo_run(struct job_ctx *ctx, struct job *job)
{
    if (photo_material_payload(job))
        return photo_material_run(ctx, job);
    if (photo_application_payload(job))
        return photo_application_run(ctx, job);
    struct identity_worker *w = job->thread_state;
    struct timespec t0, c0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    json_t *aid = json_object_get(job->payload, "attempt_id");
    json_t *fid = json_object_get(job->payload, "file_id");
    int kind = identity_kind_parse(json_string_value(json_object_get(job->payload, "kind")));
    if (!json_is_integer(aid) || json_integer_value(aid) <= 0 || kind < 0 ||
        (fid != NULL && !json_is_integer(fid)))
        return job_fail(ctx, "payload must be {\"attempt_id\": N, \"kind\": \"registration\"|"
                             "\"idcard\"|\"holding\", \"file_id\": N}");
    struct photo_job *pj = arena_calloc(job->arena, sizeof(*pj));
    pj->attempt_id = (int64_t)json_integer_value(aid);
    pj->kind = (enum identity_kind)kind;
    const char *kname = identity_kind_name(pj->kind);

    const struct photo_spec *spec = photo_spec_find(w->specs, w->cfg->province, kname);
    if (spec == NULL)
        return job_fail(ctx, "no photo specification %s.%s", w->cfg->province, kname);
    PGconn *conn = sync_pg(&w->conns);
    if (conn == NULL)
        return job_fail(ctx, "PostgreSQL is unreachable");
    char err[512];
    struct identity_attempt a;
    if (identity_attempt_read(conn, pj->attempt_id, false, &a, err, sizeof(err)) < 0)
        return job_fail(ctx, "%s", err);
    if (!a.has[kind])
        return job_fail(ctx, "identity attempt %" PRId64 " has no %s photo", a.id, kname);
    pj->file_id = a.file[kind];
    if (fid != NULL && (int64_t)json_integer_value(fid) != pj->file_id)
        return job_fail(ctx,
                        "payload file_id %" JSON_INTEGER_FORMAT
                        " is not the %s photo of attempt %" PRId64 " (file %" PRId64 ")",
                        json_integer_value(fid), kname, a.id, pj->file_id);
    uint8_t *data = NULL;
    size_t len = 0;
    if (identity_file_read(conn, pj->file_id, &data, &len, err, sizeof(err)) < 0)
        return job_fail(ctx, "%s", err);

    struct identity_faces *faces = arena_calloc(job->arena, sizeof(*faces));
    int rc = photo_queue_check(job, spec, pj->kind, data, len, &pj->passed, &pj->rules, faces);
    free(data);
    if (rc < 0)
        return job_fail(ctx, "face engine: %s", strerror(-rc));
    job->data = pj;
    double ms = ms_since(CLOCK_MONOTONIC, &t0), cpu_ms = ms_since(CLOCK_THREAD_CPUTIME_ID, &c0);
    job_set_result(ctx,
                   json_pack("{s:I, s:s, s:I, s:s, s:i, s:s*, s:f, s:f}", "attempt_id",
                             (json_int_t)pj->attempt_id, "kind", kname, "file_id",
                             (json_int_t)pj->file_id, "state", pj->passed ? "passed" : "failed",
                             "faces", faces->count, "detector",
                             faces->count >= 0 ? identity_detector_name(faces->detector) : NULL,
                             "ms", ms, "cpu_ms", cpu_ms));
    log_info("identity attempt %" PRId64 ": %s photo %s (%d faces, %s) in %.1f ms", a.id, kname,
             pj->passed ? "passed" : "failed", faces->count,
             faces->count >= 0 ? identity_detector_name(faces->detector) : "no face search", ms);
    return 0;
}

static int photo_commit(struct job_ctx *ctx, struct job *job, PGconn *conn)
{
    if (photo_material_payload(job))
        return photo_material_commit(ctx, job, conn);
    if (photo_application_payload(job))
        return photo_application_commit(ctx, job, conn);
    struct identity_worker *w = job->thread_state;
    const struct photo_job *pj = job->data;
    char err[512];
    struct identity_attempt a;
    if (identity_attempt_read(conn, pj->attempt_id, true, &a, err, sizeof(err)) < 0 ||
        identity_photo_check_write(conn, a.id, pj->kind, pj->file_id, pj->passed, pj->rules, err,
                                   sizeof(err)) < 0 ||
        identity_attempt_settle(conn, &a, w->specs, w->cfg->province, NULL, err, sizeof(err)) < 0)
        return job_fail(ctx, "%s", err);
    return 0;
}

/* The check will never run: the attempt must not wait for it forever. */
static int photo_dead(struct job_ctx *ctx, struct job *job, PGconn *conn)
{
    if (photo_material_payload(job))
        return photo_material_dead(ctx, job, conn);
    if (photo_application_payload(job))
        return photo_application_dead(ctx, job, conn);
    json_int_t attempt = json_integer_value(json_object_get(job->payload, "attempt_id"));
    char err[256];
    if (attempt > 0 &&
        identity_attempt_abandon(conn, (int64_t)attempt, "照片检查", err, sizeof(err)) < 0)
        return job_fail(ctx, "%s", err);
    return 0;
}

const struct job_queue job_queue_photo = {
    .name = QUEUE_PHOTO,
    .run = photo_run,
    .commit = photo_commit,
    .on_dead = photo_dead,
    .process_init = identity_process_init,
    .process_free = identity_process_free,
    .thread_init = identity_worker_init,
    .thread_free = identity_worker_free,
};
