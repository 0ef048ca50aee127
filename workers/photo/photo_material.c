/*
 * photo_material.c - the `photo` queue's material payload (photo_material.h):
 * one JPEG attached to an application (workers/archive/appfile.h), checked
 * as a document scan.
 *
 * Payload: {"application_file_id": N, "spec": "material", "min_bytes": N,
 *           "max_bytes": N} (the slot's, written by the server with the file).
 * run:    the rules of [PROVINCE.SPEC] of the photo specifications (no face
 *         rules), with the slot's size range instead of the spec's. A file
 *         deleted meanwhile or already decided is left alone.
 * commit: application_file_checked: accepted, or refused with every failed
 *         rule as "TITLE（RULE）：MESSAGE" (as identity photos say it);
 *         detail = {"rules": [...]} with each rule's Chinese title.
 * on_dead: the file is refused, telling the candidate to upload it again.
 * Owns nothing past a job.
 */
#include "photo_material.h"
#include "appfile.h"
#include "identity.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What run hands to commit. */
struct material_job {
    int64_t id;
    bool skip; /* deleted, or decided already: nothing to write */
    bool passed;
    char *reason; /* refused: every failed rule, in the job's arena */
    char *detail; /* {"rules": [...]}, in the job's arena */
};

bool photo_material_payload(const struct job *job)
{
    return appfile_payload_id(job->payload) > 0;
}

/* The verdicts as JSON text with each rule's Chinese title, in arena. */
static char *material_rules(const struct photo_result *res, struct arena *arena)
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
    char *out = arena_strdup(arena, txt ? txt : "[]");
    free(txt);
    json_decref(all);
    return out;
}

/* The reason of a refused file: each failed rule, "TITLE（RULE）：MESSAGE". */
static char *material_reason(const char *title, const char *rules, struct arena *arena)
{
    json_t *arr = json_loads(rules, 0, NULL);
    struct identity_finding f[PHOTO_RULE_COUNT];
    size_t n = identity_photo_findings(title, "failed", arr, arena, f, PHOTO_RULE_COUNT);
    json_decref(arr);
    char *out = arena_strdup(arena, "");
    for (size_t i = 0; i < n; i++)
        if (f[i].reason != NULL)
            out = arena_printf(arena, "%s%s%s", out, out[0] ? "；" : "", f[i].reason);
    return out;
}

int photo_material_run(struct job_ctx *ctx, struct job *job)
{
    struct identity_worker *w = job->thread_state;
    struct material_job *mj = arena_calloc(job->arena, sizeof(*mj));
    mj->id = appfile_payload_id(job->payload);
    const char *spec_name = json_string_value(json_object_get(job->payload, "spec"));
    json_t *lo = json_object_get(job->payload, "min_bytes");
    json_t *hi = json_object_get(job->payload, "max_bytes");
    if (mj->id == 0 || spec_name == NULL || !json_is_integer(lo) || !json_is_integer(hi))
        return job_fail(ctx, "payload must be {\"application_file_id\": N, \"spec\": \"KIND\", "
                             "\"min_bytes\": N, \"max_bytes\": N}");
    job->data = mj;
    const struct photo_spec *base = photo_spec_find(w->specs, w->cfg->province, spec_name);
    if (base == NULL)
        return job_fail(ctx, "no photo specification %s.%s", w->cfg->province, spec_name);
    /* The slot's size range is the one the candidate was told. */
    struct photo_spec *spec = arena_alloc(job->arena, sizeof(*spec));
    *spec = *base;
    spec->bytes = (struct photo_range){(double)json_integer_value(lo),
                                       (double)json_integer_value(hi), true, true};
    PGconn *conn = sync_pg(&w->conns);
    if (conn == NULL)
        return job_fail(ctx, "PostgreSQL is unreachable");
    char err[512];
    struct appfile f;
    int rc = appfile_read(conn, mj->id, &f, err, sizeof(err));
    if (rc == -ENOENT || (rc == 0 && !f.checking)) {
        free(f.data);
        mj->skip = true;
        job_set_result(ctx, json_pack("{s:I, s:s}", "application_file_id", (json_int_t)mj->id,
                                      "state", rc == -ENOENT ? "deleted" : "decided"));
        return 0;
    }
    if (rc < 0)
        return job_fail(ctx, "%s", err);
    struct photo_result *res = arena_calloc(job->arena, sizeof(*res));
    photo_check_buffer(spec, w->specs, f.data, f.len, NULL, res);
    free(f.data);
    mj->passed = res->nverdicts > 0;
    for (int i = 0; i < res->nverdicts; i++)
        mj->passed = mj->passed && res->verdicts[i].verdict == PHOTO_PASSED;
    char *rules = material_rules(res, job->arena);
    mj->detail = arena_printf(job->arena, "{\"rules\":%s}", rules);
    mj->reason = mj->passed ? NULL : material_reason(spec->title, rules, job->arena);
    job_set_result(ctx, json_pack("{s:I, s:s}", "application_file_id", (json_int_t)mj->id, "state",
                                  mj->passed ? "accepted" : "refused"));
    log_info("photo: application file %" PRId64 " (%s) %s", mj->id, spec_name,
             mj->passed ? "accepted" : "refused");
    return 0;
}

int photo_material_commit(struct job_ctx *ctx, struct job *job, PGconn *conn)
{
    const struct material_job *mj = job->data;
    char err[512];
    if (mj->skip)
        return 0;
    if (appfile_verdict(conn, mj->id, mj->passed, mj->reason, mj->detail, err, sizeof(err)) < 0)
        return job_fail(ctx, "%s", err);
    return 0;
}

int photo_material_dead(struct job_ctx *ctx, struct job *job, PGconn *conn)
{
    char err[512];
    if (appfile_verdict(conn, appfile_payload_id(job->payload), false, APPFILE_DEAD_REASON, NULL,
                        err, sizeof(err)) < 0)
        return job_fail(ctx, "%s", err);
    return 0;
}
