/*
 * face_queue.c - the `face` queue: compares the faces of an identity
 * verification attempt's photos and records one result per pair.
 *
 * Payload: {"attempt_id": N}.
 * run:    reads every photo of the attempt, finds its faces (identity.h:
 *         exactly one in the registration photo and on the ID card, two in
 *         the holding photo: the larger is the person, the smaller the
 *         card's portrait) and computes their descriptors; then, for every
 *         pair of identity_pairs, the distance and the decision under
 *         [face] pass_threshold_milli / review_threshold_milli. A photo
 *         without the faces it must show fails its pairs with a reason that
 *         says what to change; no distance is stored for them.
 * commit: under the attempt's row lock, writes identity_face_checks
 *         (distance, decision, reason, face_engine_version) for pairs that
 *         have no result yet, then settles the attempt (identity.h).
 */
#include "identity.h"
#include "queue.h"
#include "job.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FACE_REASON_MAX 640

/* What one photo gave. */
struct face_side {
    bool ok;   /* the faces it must show were found and described */
    int count; /* faces found; -1 when the photo could not be decoded */
    char problem[FACE_REASON_MAX];
    float desc[2][FACE_DESCRIPTOR]; /* [0] the only face or the person, [1] the card */
};

struct face_pair_result {
    char name[IDENTITY_PAIR_NAME];
    double distance; /* < 0: not measured */
    enum face_decision decision;
    char reason[FACE_REASON_MAX];
};

struct face_job {
    int64_t attempt_id;
    int npairs;
    struct face_pair_result pair[IDENTITY_PAIRS_MAX];
};

/* Milliseconds on clock since *t0. */
static double ms_since(clockid_t clock, const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(clock, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Says, in words a candidate can act on, why a photo has not the faces it must show. */
static void side_problem(struct face_side *s, enum identity_kind k, const char *title)
{
    static const char pre[] = "人脸比对未能进行：";
    size_t n = sizeof(s->problem);
    if (s->count < 0)
        snprintf(s->problem, n, "%s%s无法读取。请重新上传完整、清晰的 JPG 或 PNG 照片。", pre,
                 title);
    else if (k == IDENTITY_HOLDING)
        snprintf(s->problem, n,
                 "%s%s中检测到 %d 张人脸，要求 2 张（本人和身份证上的人像）。"
                 "请本人手持身份证人像面置于胸前拍摄，本人面部和证件人像都要清晰、完整地露出，"
                 "画面中不要有其他人。",
                 pre, title, s->count);
    else if (s->count == 0 && k == IDENTITY_IDCARD)
        snprintf(s->problem, n,
                 "%s%s中未检测到证件上的人像。"
                 "请拍摄身份证人像面，确保证件完整、人像清晰、没有反光或遮挡。",
                 pre, title);
    else if (s->count == 0)
        snprintf(s->problem, n, "%s%s中未检测到人脸。请上传本人正面、免冠、面部清晰无遮挡的照片。",
                 pre, title);
    else if (k == IDENTITY_IDCARD)
        snprintf(s->problem, n,
                 "%s%s中检测到 %d 张人脸，应只有身份证上的一张人像。"
                 "请只拍摄身份证人像面，不要拍入其他人或其他照片。",
                 pre, title, s->count);
    else
        snprintf(s->problem, n,
                 "%s%s中检测到 %d 张人脸，只能有本人一张。"
                 "请单独拍摄，画面中不要有其他人或人像。",
                 pre, title, s->count);
}

/* Reads, decodes and describes the photo of kind k into s. Returns 0 (a
 * photo without the right faces is a result) or a job error in err. */
static int describe(struct identity_worker *w, PGconn *conn, const struct identity_attempt *a,
                    enum identity_kind k, struct face_side *s, char *err, size_t errsz)
{
    const char *kname = identity_kind_name(k);
    const struct photo_spec *spec = photo_spec_find(w->specs, w->cfg->province, kname);
    if (spec == NULL) {
        snprintf(err, errsz, "no photo specification %s.%s", w->cfg->province, kname);
        return -EINVAL;
    }
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = identity_file_read(conn, a->file[k], &data, &len, err, errsz);
    if (rc < 0)
        return rc;
    uint8_t *rgb = NULL;
    int width = 0, height = 0;
    double scale = 1;
    const char *title = identity_kind_title(w->specs, w->cfg->province, k);
    s->count = -1;
    rc = photo_decode_rgb(spec, data, len, IDENTITY_FACE_PIXELS, &rgb, &width, &height, &scale);
    free(data);
    if (rc < 0) {
        side_problem(s, k, title);
        return 0;
    }
    struct face_image img = {width, height, rgb};
    struct identity_faces faces;
    int want = identity_kind_faces(k);
    rc = identity_find_faces(w->eng, &img, want, &faces);
    if (rc == 0) {
        s->count = faces.count;
        s->ok = faces.count == want;
        for (int i = 0; s->ok && i < want && rc == 0; i++)
            rc = face_descriptor_aligned(w->eng, &img, faces.face[i].landmarks, s->desc[i]);
    }
    photo_free_buffer(rgb);
    if (rc < 0) {
        snprintf(err, errsz, "face engine on the %s photo: %s", kname, strerror(-rc));
        return rc;
    }
    if (!s->ok)
        side_problem(s, k, title);
    return 0;
}

static const float *side_face(const struct face_side *s, enum identity_face_role role)
{
    return s->desc[role == IDENTITY_FACE_CARD ? 1 : 0];
}

/* The decision and the reason for one pair whose both sides were described. */
static void compare(const struct identity_worker *w, const struct identity_pair *p,
                    const struct face_side side[IDENTITY_KINDS], struct face_pair_result *out)
{
    const char *ta = identity_kind_title(w->specs, w->cfg->province, p->a),
               *tb = identity_kind_title(w->specs, w->cfg->province, p->b);
    float d = face_distance(side_face(&side[p->a], p->a_role), side_face(&side[p->b], p->b_role));
    out->distance = d;
    out->decision = face_decide(d, w->pass_threshold, w->review_threshold);
    double pass = w->pass_threshold;
    const char *who = p->a_role == IDENTITY_FACE_PERSON ? "中的手持人"
                      : p->a_role == IDENTITY_FACE_CARD ? "中手持的身份证人像"
                                                        : "";
    const char *on_b = p->b == IDENTITY_IDCARD ? "上的人像" : "";
    switch (out->decision) {
    case FACE_PASS:
        snprintf(out->reason, sizeof(out->reason),
                 "%s%s与%s%s为同一人（差异度 %.2f，不超过 %.2f）。", ta, who, tb, on_b, (double)d,
                 pass);
        break;
    case FACE_REVIEW:
        snprintf(
            out->reason, sizeof(out->reason),
            "人脸比对需人工审核：%s%s与%s%s的相似程度不足以自动确认（差异度 %.2f，自动通过要求"
            "不超过 %.2f）。县区招办将进行人工审核，请耐心等待，也可携带身份证到县区招办办理。",
            ta, who, tb, on_b, (double)d, pass);
        break;
    case FACE_FAIL:
        snprintf(out->reason, sizeof(out->reason),
                 "人脸比对未通过：%s%s与%s%s不是同一人（差异度 %.2f，同一人应不超过 %.2f）。%s", ta,
                 who, tb, on_b, (double)d, pass,
                 p->a_role == IDENTITY_FACE_PERSON ? "请本人手持自己的身份证拍摄。"
                 : p->a_role == IDENTITY_FACE_CARD ? "请手持本人的身份证拍摄。"
                                                   : "请上传本人的照片和本人的身份证。");
        break;
    }
}

static int face_run(struct job_ctx *ctx, struct job *job)
{
    struct identity_worker *w = job->thread_state;
    struct timespec t0, c0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    json_t *aid = json_object_get(job->payload, "attempt_id");
    if (!json_is_integer(aid) || json_integer_value(aid) <= 0)
        return job_fail(ctx, "payload must be {\"attempt_id\": N}");
    PGconn *conn = sync_pg(&w->conns);
    if (conn == NULL)
        return job_fail(ctx, "PostgreSQL is unreachable");
    char err[512];
    struct identity_attempt a;
    if (identity_attempt_read(conn, (int64_t)json_integer_value(aid), false, &a, err, sizeof(err)) <
        0)
        return job_fail(ctx, "%s", err);

    struct face_side *side = arena_calloc(job->arena, sizeof(*side) * IDENTITY_KINDS);
    for (int k = 0; k < IDENTITY_KINDS; k++)
        if (a.has[k] &&
            describe(w, conn, &a, (enum identity_kind)k, &side[k], err, sizeof(err)) < 0)
            return job_fail(ctx, "%s", err);

    struct face_job *fj = arena_calloc(job->arena, sizeof(*fj));
    fj->attempt_id = a.id;
    struct identity_pair pairs[IDENTITY_PAIRS_MAX];
    fj->npairs = identity_pairs(a.has, pairs);
    json_t *jp = json_array();
    for (int i = 0; i < fj->npairs; i++) {
        const struct identity_pair *p = &pairs[i];
        struct face_pair_result *r = &fj->pair[i];
        memcpy(r->name, p->name, sizeof(r->name));
        r->distance = -1;
        if (!side[p->a].ok || !side[p->b].ok) {
            r->decision = FACE_FAIL;
            snprintf(r->reason, sizeof(r->reason), "%s",
                     !side[p->a].ok ? side[p->a].problem : side[p->b].problem);
        } else {
            compare(w, p, side, r);
        }
        json_array_append_new(jp, json_pack("{s:s, s:o, s:s}", "pair", r->name, "distance",
                                            r->distance >= 0 ? json_real(r->distance) : json_null(),
                                            "decision", face_decision_name(r->decision)));
    }
    json_t *counts = json_object();
    for (int k = 0; k < IDENTITY_KINDS; k++)
        if (a.has[k])
            json_object_set_new(counts, identity_kind_name((enum identity_kind)k),
                                json_integer(side[k].count));
    job->data = fj;
    double ms = ms_since(CLOCK_MONOTONIC, &t0), cpu_ms = ms_since(CLOCK_THREAD_CPUTIME_ID, &c0);
    job_set_result(ctx, json_pack("{s:I, s:o, s:o, s:s, s:f, s:f}", "attempt_id", (json_int_t)a.id,
                                  "faces", counts, "pairs", jp, "model",
                                  face_engine_version(w->eng), "ms", ms, "cpu_ms", cpu_ms));
    log_info("identity attempt %" PRId64 ": %d face pair(s) compared in %.1f ms", a.id, fj->npairs,
             ms);
    return 0;
}

static int face_commit(struct job_ctx *ctx, struct job *job, PGconn *conn)
{
    struct identity_worker *w = job->thread_state;
    const struct face_job *fj = job->data;
    char err[512];
    struct identity_attempt a;
    if (identity_attempt_read(conn, fj->attempt_id, true, &a, err, sizeof(err)) < 0)
        return job_fail(ctx, "%s", err);
    for (int i = 0; i < fj->npairs; i++) {
        const struct face_pair_result *r = &fj->pair[i];
        if (identity_face_check_write(conn, a.id, r->name, r->distance, r->decision, r->reason,
                                      face_engine_version(w->eng), err, sizeof(err)) < 0)
            return job_fail(ctx, "%s", err);
    }
    if (identity_attempt_settle(conn, &a, w->specs, w->cfg->province, NULL, err, sizeof(err)) < 0)
        return job_fail(ctx, "%s", err);
    return 0;
}

/* The check will never run: the attempt must not wait for it forever. */
static int face_dead(struct job_ctx *ctx, struct job *job, PGconn *conn)
{
    json_int_t attempt = json_integer_value(json_object_get(job->payload, "attempt_id"));
    char err[256];
    if (attempt > 0 &&
        identity_attempt_abandon(conn, (int64_t)attempt, "人脸比对", err, sizeof(err)) < 0)
        return job_fail(ctx, "%s", err);
    return 0;
}

const struct job_queue job_queue_face = {
    .name = QUEUE_FACE,
    .run = face_run,
    .commit = face_commit,
    .on_dead = face_dead,
    .process_init = identity_process_init,
    .process_free = identity_process_free,
    .thread_init = identity_worker_init,
    .thread_free = identity_worker_free,
};
