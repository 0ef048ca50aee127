/*
 * photo_queue.c - the `photo` queue: checks one photo of an identity
 * verification attempt against its specification and records the verdicts.
 *
 * Payload: {"attempt_id": N, "kind": "registration"|"idcard"|"holding",
 *           "file_id": N (must be the attempt's photo of that kind)}.
 * run:    reads the photo (files.data), finds its faces with the face engine
 *         (the policy of identity_find_faces) so the landmark rules give real
 *         verdicts, runs every rule of the spec for ([profile] province,
 *         kind). A rule left pending because no face was found is reported
 *         skipped (the face_count rule says why), never passed.
 * commit: under the attempt's row lock, writes identity_photo_checks (state,
 *         and every rule's verdict, value, range, title and message) unless
 *         it already holds a result, then settles the attempt (identity.h).
 * A missing attempt, photo or specification is a job failure (retried, then
 * dead for an operator): it is never the candidate's fault.
 * The payload {"application_id", "file_id"} is an application's graduation
 * photo instead (photo_application.c).
 */
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

/* True when some rule of spec needs the face engine's input. */
static bool spec_needs_faces(const struct photo_spec *s)
{
    return s->faces.has_lo || s->faces.has_hi || s->head_top.has_lo || s->head_top.has_hi ||
           s->eye_line.has_lo || s->eye_line.has_hi || s->face_width.has_lo ||
           s->face_width.has_hi || s->centre_max > 0 || s->symmetry_max > 0;
}

/* Finds the faces of the photo into pf and sets *found; *found stays false
 * when its pixels cannot be decoded (the decode rule then fails on its own).
 * Returns 0 or the face engine's negative error. */
static int find_faces(const struct identity_worker *w, const struct photo_spec *spec,
                      enum identity_kind kind, const uint8_t *data, size_t len,
                      struct photo_face *pf, bool *found)
{
    uint8_t *rgb = NULL;
    int width = 0, height = 0;
    double scale = 1;
    *found = false;
    if (photo_decode_rgb(spec, data, len, IDENTITY_FACE_PIXELS, &rgb, &width, &height, &scale) < 0)
        return 0;
    struct face_image img = {width, height, rgb};
    struct identity_faces faces;
    int expected = spec->faces.has_lo ? (int)spec->faces.lo : identity_kind_faces(kind);
    int rc = identity_find_faces(w->eng, &img, expected, &faces);
    photo_free_buffer(rgb);
    if (rc < 0)
        return rc;
    identity_photo_face(&faces, scale, pf);
    *found = true;
    return 0;
}

/* After the face engine has run nothing may stay pending: a rule that had
 * no landmarks to measure is skipped (face_count says why). */
static void resolve_pending(struct photo_result *res)
{
    for (int i = 0; i < res->nverdicts; i++) {
        struct photo_verdict_rec *v = &res->verdicts[i];
        if (v->verdict != PHOTO_PENDING)
            continue;
        v->verdict = PHOTO_SKIPPED;
        snprintf(v->message, sizeof(v->message), "%s",
                 "照片中未检测到清晰的正面人脸，未能检查此项。");
    }
}

static bool all_passed(const struct photo_result *res)
{
    for (int i = 0; i < res->nverdicts; i++)
        if (res->verdicts[i].verdict != PHOTO_PASSED)
            return false;
    return res->nverdicts > 0;
}

/* The result's rules with each rule's Chinese title added. */
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
    }
    char *txt = json_dumps(rules, JSON_COMPACT);
    char *out = arena_strdup(arena, txt);
    free(txt);
    json_decref(all);
    return out;
}

int photo_queue_check(struct job *job, const struct photo_spec *spec, enum identity_kind kind,
                      const uint8_t *data, size_t len, bool *passed, char **rules, int *faces)
{
    struct identity_worker *w = job->thread_state;
    struct photo_face pf;
    bool found = false;
    int rc = spec_needs_faces(spec) ? find_faces(w, spec, kind, data, len, &pf, &found) : 0;
    if (rc < 0)
        return rc;
    struct photo_result *res = arena_calloc(job->arena, sizeof(*res));
    photo_check_buffer(spec, w->specs, data, len, found ? &pf : NULL, res);
    if (found)
        resolve_pending(res);
    *passed = all_passed(res);
    *rules = rules_json(res, job->arena);
    *faces = found ? pf.face_count : -1;
    return 0;
}

static int photo_run(struct job_ctx *ctx, struct job *job)
{
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

    int faces = -1;
    int rc = photo_queue_check(job, spec, pj->kind, data, len, &pj->passed, &pj->rules, &faces);
    free(data);
    if (rc < 0)
        return job_fail(ctx, "face engine: %s", strerror(-rc));
    job->data = pj;
    double ms = ms_since(CLOCK_MONOTONIC, &t0), cpu_ms = ms_since(CLOCK_THREAD_CPUTIME_ID, &c0);
    job_set_result(ctx,
                   json_pack("{s:I, s:s, s:I, s:s, s:i, s:f, s:f}", "attempt_id",
                             (json_int_t)pj->attempt_id, "kind", kname, "file_id",
                             (json_int_t)pj->file_id, "state", pj->passed ? "passed" : "failed",
                             "faces", faces, "ms", ms, "cpu_ms", cpu_ms));
    log_info("identity attempt %" PRId64 ": %s photo %s (%d faces) in %.1f ms", a.id, kname,
             pj->passed ? "passed" : "failed", faces, ms);
    return 0;
}

static int photo_commit(struct job_ctx *ctx, struct job *job, PGconn *conn)
{
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
