/*
 * photo_application.c - the `photo` queue's graduation photo: payload
 * {"application_id": N, "file_id": N}, put by PUT
 * /api/v1/me/applications/{id}/photo in the upload's transaction.
 *
 * run:    reads the application's photo (skips the check when a newer upload
 *         replaced this file: its own job checks that one), checks it against
 *         [PROVINCE.graduation] of the application's province as the identity
 *         photos are checked (landmarks from the face engine).
 * commit: graduation_photo_checked() (schema/0021_graduation.sql) records the
 *         verdicts and, on a pass, moves the application on (automatic
 *         approval, or the district's pre-review).
 * dead:   a check that will never run is recorded as failed, with a reason
 *         telling the candidate to upload again (or ask for the district's
 *         check by hand), so the application never waits for it forever.
 */
#include "photo_queue.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct photo_app_job {
    int64_t application_id, file_id;
    bool current; /* still the application's photo, awaiting its check */
    bool passed;
    char *rules; /* JSON array, in the job's arena */
};

bool photo_application_payload(const struct job *job)
{
    return json_object_get(job->payload, "application_id") != NULL;
}

/* The application's province and whether file is still its photo being
 * checked. Returns 0, or a negative error with err filled in. */
static int photo_app_read(PGconn *conn, struct photo_app_job *pj, char *province, size_t provsz,
                          char *err, size_t errsz)
{
    char at[24], ft[24];
    snprintf(at, sizeof(at), "%" PRId64, pj->application_id);
    snprintf(ft, sizeof(ft), "%" PRId64, pj->file_id);
    const char *v[] = {at, ft};
    PGresult *r = PQexecParams(conn,
                               "SELECT a.province, p.file_id = $2::bigint AND p.state = 'checking' "
                               "FROM applications a LEFT JOIN application_photos p ON "
                               "p.application_id = a.id WHERE a.id = $1::bigint",
                               2, NULL, v, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, errsz, "reading application %s: %s", at, PQerrorMessage(conn));
        rc = -EIO;
    } else if (PQntuples(r) == 0) {
        snprintf(err, errsz, "application %s does not exist", at);
        rc = -ENOENT;
    } else {
        snprintf(province, provsz, "%s", PQgetvalue(r, 0, 0));
        pj->current = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
    }
    PQclear(r);
    return rc;
}

int photo_application_run(struct job_ctx *ctx, struct job *job)
{
    struct identity_worker *w = job->thread_state;
    json_t *aid = json_object_get(job->payload, "application_id");
    json_t *fid = json_object_get(job->payload, "file_id");
    if (!json_is_integer(aid) || json_integer_value(aid) <= 0 || !json_is_integer(fid) ||
        json_integer_value(fid) <= 0)
        return job_fail(ctx, "payload must be {\"application_id\": N, \"file_id\": N}");
    struct photo_app_job *pj = arena_calloc(job->arena, sizeof(*pj));
    pj->application_id = (int64_t)json_integer_value(aid);
    pj->file_id = (int64_t)json_integer_value(fid);
    job->data = pj;
    PGconn *conn = sync_pg(&w->conns);
    if (conn == NULL)
        return job_fail(ctx, "PostgreSQL is unreachable");
    char err[512], province[16];
    if (photo_app_read(conn, pj, province, sizeof(province), err, sizeof(err)) < 0)
        return job_fail(ctx, "%s", err);
    if (!pj->current) {
        job_set_result(ctx, json_pack("{s:I, s:I, s:s}", "application_id",
                                      (json_int_t)pj->application_id, "file_id",
                                      (json_int_t)pj->file_id, "state", "superseded"));
        return 0;
    }
    const struct photo_spec *spec = photo_spec_find(w->specs, province, "graduation");
    if (spec == NULL)
        return job_fail(ctx, "no photo specification %s.graduation", province);
    uint8_t *data = NULL;
    size_t len = 0;
    if (identity_file_read(conn, pj->file_id, &data, &len, err, sizeof(err)) < 0)
        return job_fail(ctx, "%s", err);
    struct identity_faces faces;
    int rc = photo_queue_check(job, spec, IDENTITY_REGISTRATION, data, len, &pj->passed, &pj->rules,
                               &faces);
    free(data);
    if (rc < 0)
        return job_fail(ctx, "face engine: %s", strerror(-rc));
    job_set_result(
        ctx, json_pack("{s:I, s:I, s:s, s:i, s:s*}", "application_id",
                       (json_int_t)pj->application_id, "file_id", (json_int_t)pj->file_id, "state",
                       pj->passed ? "passed" : "failed", "faces", faces.count, "detector",
                       faces.count >= 0 ? identity_detector_name(faces.detector) : NULL));
    log_info("application %" PRId64 ": graduation photo %s (%d faces)", pj->application_id,
             pj->passed ? "passed" : "failed", faces.count);
    return 0;
}

/* graduation_photo_checked(application, file, passed, rules), in the job's
 * commit transaction. */
static int photo_app_record(struct job_ctx *ctx, PGconn *conn, int64_t app, int64_t file,
                            bool passed, const char *rules)
{
    char at[24], ft[24];
    snprintf(at, sizeof(at), "%" PRId64, app);
    snprintf(ft, sizeof(ft), "%" PRId64, file);
    const char *v[] = {at, ft, passed ? "t" : "f", rules};
    PGresult *r = PQexecParams(conn,
                               "SELECT graduation_photo_checked($1::bigint, $2::bigint, "
                               "$3::boolean, $4::jsonb)",
                               4, NULL, v, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        rc = job_fail(ctx, "recording the graduation photo of application %s: %s", at,
                      PQerrorMessage(conn));
    PQclear(r);
    return rc;
}

int photo_application_commit(struct job_ctx *ctx, struct job *job, PGconn *conn)
{
    const struct photo_app_job *pj = job->data;
    if (!pj->current)
        return 0;
    return photo_app_record(ctx, conn, pj->application_id, pj->file_id, pj->passed, pj->rules);
}

int photo_application_dead(struct job_ctx *ctx, struct job *job, PGconn *conn)
{
    json_int_t app = json_integer_value(json_object_get(job->payload, "application_id"));
    json_int_t file = json_integer_value(json_object_get(job->payload, "file_id"));
    if (app <= 0 || file <= 0)
        return 0;
    return photo_app_record(ctx, conn, (int64_t)app, (int64_t)file, false,
                            "[{\"rule\": \"check\", \"verdict\": \"failed\", \"title\": "
                            "\"照片检查\", \"message\": \"照片检查未能完成，请重新上传；"
                            "多次不成功可申请由县区招办人工审核。\"}]");
}
