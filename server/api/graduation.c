/*
 * graduation.c - the graduation application's own checks and steps (毕业申请,
 * handbooks 001 六 and 004 十) on the application engine (applications.h).
 *
 *   app_flow_graduation.prepare:
 *     submit         the draft is complete and true: details confirmed, a
 *                    district of the province, the address (Shanxi), one or
 *                    two main universities of the major, the major (a
 *                    bachelor's needs the 学信网 authorisation: prior_education_verified()),
 *                    the audit with the candidate's choices met. Records the
 *                    audit and who reviews (review = auto: nothing needs a
 *                    person; district: old-plan cards to check); Tianjin
 *                    reuses the identity photo as the graduation photo.
 *     photo_by_hand  only once the system has refused the graduation photo
 *   PUT /api/v1/me/applications/{id}/photo   the graduation photo (state photo):
 *                                            stored, checked by the photo worker
 *   GET /api/v1/me/applications/{id}/photo   its state and each rule's verdict
 *   GET /api/v1/me/applications/{id}/photo/image   the image itself
 *
 * The draft (applications.data), as the pages write it:
 *   {"confirmed": true, "district": "140105", "address": "...",
 *    "universities": ["10108"], "major": "080901", "plan_version": "new",
 *    "substitutions": [...as the pre-check...],
 *    "old_cards": [{"course": "00015", "kind": "red", "passed_on": "2003-10"}]}
 * Owns nothing past a request.
 */
#include "academic_audit.h"
#include "api_auth.h"
#include "api_txn.h"
#include "api_util.h"
#include "applications.h"
#include "audit_json.h"
#include "log.h"
#include "queue.h"
#include "server.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRAD_MAX_UNIVERSITIES 2
#define GRAD_MAX_CARDS        30
#define GRAD_ADDRESS_MAX      200 /* characters */

struct grad {
    struct app_step *step;
    api_next_fn next;
    json_t *data; /* the draft, freed with the request */
    const char *district, *address, *major, *version;
    const char *universities; /* a PostgreSQL text[] literal */
    size_t nuniversities, ncards;
    struct audit_choice *choices;
    size_t nchoices;
    bool tianjin;
};

static void grad_json_free(void *j)
{
    json_decref(j);
}

/* UTF-8 characters in s. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static bool all_digits(const char *s, size_t n)
{
    return strlen(s) == n && strspn(s, "0123456789") == n;
}

/* ---- submit: what can be checked without the database ------------------------------- */

static bool grad_read_universities(struct http_request *req, struct grad *g)
{
    json_t *u = json_object_get(g->data, "universities");
    size_t n = json_array_size(u);
    if (!json_is_array(u) || n == 0) {
        api_reject(req, "FIELD_REQUIRED", "请选择主考院校（最多两所）", "universities");
        return false;
    }
    if (n > GRAD_MAX_UNIVERSITIES) {
        api_reject(req, "UNIVERSITIES_TOO_MANY", "主考院校最多选择两所", "universities");
        return false;
    }
    char *list = arena_strdup(&req->arena, "{");
    for (size_t i = 0; i < n; i++) {
        const char *code = json_string_value(json_array_get(u, i));
        if (code == NULL || strlen(code) < 4 || strlen(code) > 10 ||
            strspn(code, "0123456789") != strlen(code)) {
            api_reject(req, "FIELD_INVALID", "主考院校代码有误，请重新选择", "universities");
            return false;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(code, json_string_value(json_array_get(u, j))) == 0) {
                api_reject(req, "UNIVERSITIES_REPEATED", "两所主考院校不能相同", "universities");
                return false;
            }
        list = arena_printf(&req->arena, "%s%s%s", list, i ? "," : "", code);
    }
    g->universities = arena_printf(&req->arena, "%s}", list);
    g->nuniversities = n;
    return true;
}

/* old_cards: the old-plan passes on red/green or practical-assessment cards
 * that the records lack (001 六.2(3)). */
static bool grad_read_cards(struct http_request *req, struct grad *g)
{
    json_t *cards = json_object_get(g->data, "old_cards");
    if (cards == NULL || json_is_null(cards))
        return true;
    if (!json_is_array(cards) || json_array_size(cards) > GRAD_MAX_CARDS) {
        api_reject(req, "FIELD_INVALID", "旧计划合格课程应为列表，最多 30 门", "old_cards");
        return false;
    }
    size_t i;
    json_t *c;
    json_array_foreach(cards, i, c)
    {
        const char *course = json_string_value(json_object_get(c, "course"));
        const char *kind = json_string_value(json_object_get(c, "kind"));
        const char *on = json_string_value(json_object_get(c, "passed_on"));
        bool kind_ok = kind && (strcmp(kind, "red") == 0 || strcmp(kind, "green") == 0 ||
                                strcmp(kind, "practice") == 0);
        bool on_ok = on && strlen(on) == 7 && on[4] == '-' && strspn(on, "0123456789") == 4 &&
                     strspn(on + 5, "0123456789") == 2;
        if (course == NULL || !all_digits(course, 5) || !kind_ok || !on_ok) {
            api_reject(req, "FIELD_INVALID",
                       arena_printf(&req->arena,
                                    "第 %zu 门旧计划合格课程填写有误：需要 5 位课程代码、卡片种类"
                                    "（红卡、绿卡或实践课考核卡）和合格年月（如 2003-10）",
                                    i + 1),
                       "old_cards");
            return false;
        }
    }
    g->ncards = json_array_size(cards);
    return true;
}

static bool grad_read(struct http_request *req, struct grad *g)
{
    json_error_t e;
    g->data = json_loads(g->step->data, 0, &e);
    if (g->data == NULL) {
        http_respond_error(req, 500, "INTERNAL", "系统内部错误，请稍后再试", NULL);
        return false;
    }
    arena_defer(&req->arena, grad_json_free, g->data);
    if (!json_is_true(json_object_get(g->data, "confirmed"))) {
        api_reject(req, "CONFIRMATION_REQUIRED",
                   "请核对姓名、身份证号、准考证号、性别和照片，确认无误后勾选确认；如有错误，"
                   "请先到所属县（市、区）招办修改后再申请",
                   "confirmed");
        return false;
    }
    g->district = json_string_value(json_object_get(g->data, "district"));
    if (g->district == NULL || !all_digits(g->district, 6) ||
        strncmp(g->district, config_province_region(&req->srv->cfg), 2) != 0) {
        api_reject(req, "DISTRICT_INVALID", "请选择本省的毕业申请区县", "district");
        return false;
    }
    g->address = json_string_value(json_object_get(g->data, "address"));
    if (!g->tianjin && (g->address == NULL || g->address[strspn(g->address, " ")] == '\0')) {
        api_reject(req, "FIELD_REQUIRED", "请填写通讯地址", "address");
        return false;
    }
    if (g->address != NULL && utf8_chars(g->address) > GRAD_ADDRESS_MAX) {
        api_reject(req, "FIELD_TOO_LONG", "通讯地址最多 200 个字", "address");
        return false;
    }
    if (!grad_read_universities(req, g))
        return false;
    g->major = json_string_value(json_object_get(g->data, "major"));
    if (g->major == NULL || !academic_major_code_valid(g->major)) {
        api_reject(req, "FIELD_REQUIRED", "请选择申请毕业的专业", "major");
        return false;
    }
    json_t *v = json_object_get(g->data, "plan_version");
    g->version = json_string_value(v);
    if (v != NULL && !json_is_null(v) &&
        (g->version == NULL ||
         (strcmp(g->version, "old") != 0 && strcmp(g->version, "new") != 0))) {
        api_reject(req, "FIELD_INVALID", "计划版本应为 old（旧计划）或 new（新计划）",
                   "plan_version");
        return false;
    }
    char why[256];
    int n = audit_choices_from_json(json_object_get(g->data, "substitutions"), &req->arena,
                                    &g->choices, why, sizeof(why));
    if (n < 0) {
        api_reject(req, "SUBSTITUTION_INVALID", arena_printf(&req->arena, "顶替选择有误：%s", why),
                   "substitutions");
        return false;
    }
    g->nchoices = (size_t)n;
    return grad_read_cards(req, g);
}

/* ---- submit: the audit, then what the transaction records --------------------------- */

static void grad_audited(struct http_request *req, void *ud, const struct academic_audit_run *run)
{
    struct grad *g = ud;
    struct app_step *st = g->step;
    if (academic_audit_refused(req, run))
        return;
    bool complete = json_is_true(json_object_get(run->result, "complete"));
    if (!complete && g->ncards == 0) {
        json_t *reasons = json_object_get(run->result, "reasons");
        const char *first =
            json_string_value(json_object_get(json_array_get(reasons, 0), "message"));
        char *text = arena_printf(
            &req->arena, "所选专业尚未达到毕业要求%s%s。可添加顶替课程或旧计划合格课程后再提交",
            first ? "：" : "", first ? first : "");
        http_respond_json(req, 422,
                          json_pack("{s:{s:s, s:s, s:s}, s:O}", "error", "code", "AUDIT_NOT_MET",
                                    "message", text, "field", "major", "audit", run->result));
        return;
    }
    /* Who reviews: nobody when the records meet the plan (Shanxi's system
     * review); the district when cards not in the records must be checked,
     * and always in Tianjin (district, then the province). */
    const char *review = g->tianjin || g->ncards > 0 ? "district" : "auto";
    json_t *detail = json_pack("{s:s, s:s, s:O}", "review", review, "plan_version", run->version,
                               "audit", run->result);
    char *text = json_dumps(detail, JSON_COMPACT);
    json_decref(detail);
    st->detail = text ? arena_strdup(&req->arena, text) : NULL;
    free(text);
    if (st->detail == NULL) {
        http_respond_error(req, 500, "INTERNAL", "系统内部错误，请稍后再试", NULL);
        return;
    }
    if (g->tianjin) /* the identity photo (Tianjin 480x640 spec) is the graduation photo */
        st->then_sql =
            "INSERT INTO application_photos (application_id, file_id, state, reused, checked_at) "
            "SELECT a.id, p.file_id, 'passed', true, now() FROM applications a JOIN "
            "identity_photos p ON p.candidate_id = a.candidate_id AND p.kind = 'registration' "
            "WHERE a.id = $1::bigint ON CONFLICT (application_id) DO NOTHING";
    g->next(req);
}

static void grad_looked_up(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct grad *g = ((struct app_step *)req->ctx)->flow_state;
    if (api_db_failed(req, r))
        return;
    const PGresult *res = r->res;
    if (PQgetisnull(res, 0, 0)) {
        api_reject(req, "DISTRICT_INVALID", "请选择本省的毕业申请区县", "district");
        return;
    }
    if (PQgetisnull(res, 0, 1)) {
        api_reject(req, "MAJOR_NOT_FOUND", "没有这个专业，请重新选择", "major");
        return;
    }
    if ((size_t)atoi(PQgetvalue(res, 0, 2)) != g->nuniversities) {
        api_reject(req, "UNIVERSITY_NOT_FOR_MAJOR",
                   "所选主考院校不开考这个专业，请在该专业的主考院校中选择", "universities");
        return;
    }
    const char *level = PQgetvalue(res, 0, 1);
    if (strcmp(level, "专科") != 0 && strcmp(PQgetvalue(res, 0, 4), "t") != 0) {
        /* 001 五: a bachelor's applicant authorises the 学信网 check of the
         * prior education first (GET /api/v1/me/prior-education says how
         * far it is, and what differs when it does not match). */
        api_reject(
            req, "PRIOR_EDUCATION_REQUIRED",
            "申请本科（含专升本）毕业须先完成前置学历验证授权：请在“学历验证授权”中获取学信网"
            "二维码，用学信网 APP 扫码授权；学历信息与本人不一致的，请联系所属县（市、区）招办",
            "major");
        return;
    }
    if (g->tianjin && PQgetisnull(res, 0, 3)) {
        api_reject(req, "PHOTO_REQUIRED",
                   "没有找到您身份认证时的报名照片（毕业照片沿用该照片），请联系所属区县招办",
                   "photo");
        return;
    }
    if (g->ncards > 0) {
        /* 001 六.2(3): the cards' scans come as a zip; its upload is not
         * built yet, so a claim cannot be submitted without it. */
        api_reject(req, "CARDS_ZIP_REQUIRED",
                   "添加旧计划合格课程须同时上传扫描件压缩包；上传功能开通前，请到所属县（市、区）"
                   "招办办理",
                   "old_cards");
        return;
    }
    academic_audit(req, g->step->candidate_id, g->major, g->version, g->choices, g->nchoices,
                   grad_audited, g);
}

static void grad_submit(struct http_request *req, struct grad *g)
{
    if (!grad_read(req, g))
        return;
    const char *values[] = {g->district, g->major, g->universities,
                            arena_printf(&req->arena, "%" PRId64, g->step->candidate_id)};
    api_query(req,
              "SELECT (SELECT code FROM regions WHERE code = $1 AND level = 'district'), "
              "(SELECT level FROM majors WHERE code = $2), "
              "(SELECT count(*) FROM major_universities WHERE major_code = $2 AND "
              "university_code = ANY ($3::text[])), "
              "(SELECT file_id FROM identity_photos WHERE candidate_id = $4::bigint AND kind = "
              "'registration'), prior_education_verified($4::bigint)",
              4, values, grad_looked_up);
}

/* ---- photo_by_hand: only after the system refused the photo -------------------------- */

static void grad_photo_state(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct grad *g = ((struct app_step *)req->ctx)->flow_state;
    if (api_db_failed(req, r))
        return;
    if (PQntuples(r->res) == 0 || strcmp(PQgetvalue(r->res, 0, 0), "failed") != 0) {
        http_respond_error(req, 409, "PHOTO_NOT_REFUSED",
                           "请先上传毕业照片；系统认证不通过时，才可申请由县区招办人工审核",
                           "photo");
        return;
    }
    g->next(req);
}

static void grad_prepare(struct http_request *req, struct app_step *s, api_next_fn next)
{
    struct grad *g = arena_calloc(&req->arena, sizeof(*g));
    g->step = s;
    g->next = next;
    g->tianjin = strcmp(s->province, "tianjin") == 0;
    s->flow_state = g;
    if (strcmp(s->action, "submit") == 0 && strcmp(s->state, "draft") == 0) {
        grad_submit(req, g);
        return;
    }
    if (strcmp(s->action, "photo_by_hand") == 0 && strcmp(s->state, "photo") == 0) {
        const char *values[] = {arena_printf(&req->arena, "%" PRId64, s->application_id)};
        api_query(req, "SELECT state FROM application_photos WHERE application_id = $1::bigint", 1,
                  values, grad_photo_state);
        return;
    }
    next(req);
}

const struct app_flow app_flow_graduation = {.kind = "graduation", .prepare = grad_prepare};

/* ---- PUT /me/applications/{id}/photo ------------------------------------------------
 *
 * photo_put_begun    lock the application (the candidate's graduation one)
 * photo_put_locked   awaiting the photo, inside its window (else the engine's 403)
 * photo_put_stored   the file, the application's photo (checking), the old file
 *                    unreferenced
 * photo_put_queued   the photo worker's job (the outbox), COMMIT
 */

struct grad_photo {
    const char *id, *cand, *content_type, *file_id;
};

static struct grad_photo *grad_photo_of(struct http_request *req, const struct api_session *s)
{
    struct grad_photo *p = arena_calloc(&req->arena, sizeof(*p));
    p->id = http_param(req, 0);
    p->cand = arena_printf(&req->arena, "%" PRId64, s->candidate_id);
    req->ctx = p;
    return p;
}

static void photo_put_committed(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct grad_photo *p = req->ctx;
    if (api_txn_fail(tx, r))
        return;
    log_msg(LOG_LEVEL_INFO, req->id, "graduation application %s: photo %s uploaded (%zu bytes)",
            p->id, p->file_id, req->body_len);
    http_respond_json(req, 202,
                      json_pack("{s:s, s:I, s:s, s:I}", "state", "checking", "file_id",
                                (json_int_t)strtoll(p->file_id, NULL, 10), "content_type",
                                p->content_type, "size", (json_int_t)req->body_len));
}

static void photo_put_queued(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    api_txn_commit(tx, photo_put_committed);
}

static void photo_put_stored(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct grad_photo *p = req->ctx;
    if (api_txn_fail(tx, r))
        return;
    p->file_id = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 0));
    api_txn_add_job(
        tx, QUEUE_PHOTO,
        arena_printf(&req->arena, "{\"application_id\": %s, \"file_id\": %s}", p->id, p->file_id),
        photo_put_queued);
}

static void photo_put_closed(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    if (r->error != PG_OK && application_refused(req, r)) {
        api_txn_rollback(tx);
        return;
    }
    if (!api_txn_fail(tx, r)) { /* the window was open after all: ask again */
        api_txn_rollback(tx);
        http_respond_error(req, 409, "APPLICATION_CHANGED", "申请刚刚发生变化，请刷新页面后重试",
                           NULL);
    }
}

static void photo_put_locked(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct grad_photo *p = req->ctx;
    if (api_txn_fail(tx, r))
        return;
    const PGresult *res = r->res;
    if (PQntuples(res) == 0) {
        api_txn_rollback(tx);
        http_respond_error(req, 404, "APPLICATION_NOT_FOUND", "没有这份申请", NULL);
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "photo") != 0) {
        const char *msg =
            arena_printf(&req->arena, "申请目前（%s）不需要上传毕业照片", PQgetvalue(res, 0, 1));
        api_txn_rollback(tx);
        http_respond_error(req, 409, "APPLICATION_WRONG_STATE", msg, "photo");
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 2), "t") != 0) { /* the engine says when the window opens */
        api_txn_query(tx,
                      "SELECT application_window_closed(window_kind) FROM application_kinds WHERE "
                      "kind = 'graduation'",
                      0, NULL, photo_put_closed);
        return;
    }
    /* The bytes go in binary; PostgreSQL computes the SHA-256 (not the loop). */
    const char **values = arena_alloc(&req->arena, sizeof(*values) * 5);
    int *lengths = arena_calloc(&req->arena, sizeof(*lengths) * 5);
    int *formats = arena_calloc(&req->arena, sizeof(*formats) * 5);
    values[0] = p->id;
    values[1] = p->cand;
    values[2] = p->content_type;
    values[3] = arena_printf(&req->arena, "%zu", req->body_len);
    values[4] = req->body;
    lengths[4] = (int)req->body_len;
    formats[4] = 1;
    struct pg_params *pp = arena_calloc(&req->arena, sizeof(*pp));
    *pp = (struct pg_params){.n = 5, .values = values, .lengths = lengths, .formats = formats};
    /* A photo it replaces is recorded in files_unreferenced for the retention. */
    api_txn_query_params(
        tx,
        "WITH o AS (SELECT file_id FROM application_photos WHERE application_id = $1::bigint), "
        "f AS (INSERT INTO files (candidate_id, content_type, size, sha256, data) VALUES "
        "($2::bigint, $3, $4::int, encode(sha256($5::bytea), 'hex'), $5::bytea) RETURNING id), "
        "u AS (INSERT INTO application_photos (application_id, file_id) SELECT $1::bigint, id "
        "FROM f ON CONFLICT (application_id) DO UPDATE SET file_id = EXCLUDED.file_id, state = "
        "'checking', rules = '[]', uploaded_at = now(), checked_at = NULL RETURNING file_id), "
        "g AS (INSERT INTO files_unreferenced (file_id) SELECT file_id FROM o "
        "ON CONFLICT (file_id) DO NOTHING) "
        "SELECT file_id FROM u",
        pp, photo_put_stored);
}

static void photo_put_begun(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct grad_photo *p = req->ctx;
    if (api_txn_fail(tx, r))
        return;
    const char *values[] = {p->id, p->cand};
    api_txn_query(tx,
                  "SELECT a.state, s.title, now() >= w.starts_at AND now() < w.ends_at FROM "
                  "applications a JOIN windows w ON w.id = a.window_id CROSS JOIN LATERAL "
                  "application_state_row(a.kind, a.province, a.state) s WHERE a.id = $1::bigint "
                  "AND a.candidate_id = $2::bigint AND a.kind = 'graduation' FOR UPDATE OF a",
                  2, values, photo_put_locked);
}

static void photo_put_authed(struct http_request *req, const struct api_session *s)
{
    struct grad_photo *p = grad_photo_of(req, s);
    p->content_type = api_image_body(req, "photo");
    if (p->content_type != NULL)
        api_txn_begin(req, photo_put_begun);
}

static void photo_put(struct http_request *req)
{
    if (application_id_ok(req))
        api_auth_require_verified(req, photo_put_authed);
}

/* ---- GET /me/applications/{id}/photo[/image] ------------------------------------------ */

static void photo_state_loaded(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (!api_db_row(req, r, 404, "PHOTO_NOT_FOUND", "这份申请还没有毕业照片", "photo"))
        return;
    api_db_json_text(req, r, 200);
}

static void photo_get_authed(struct http_request *req, const struct api_session *s)
{
    struct grad_photo *p = grad_photo_of(req, s);
    const char *values[] = {p->id, p->cand};
    api_query(req,
              "SELECT json_build_object('state', p.state, 'reused', p.reused, 'file_id', "
              "p.file_id, 'uploaded_at', zk_ts(p.uploaded_at), 'checked_at', zk_ts(p.checked_at), "
              "'rules', p.rules)::text FROM application_photos p JOIN applications a ON a.id = "
              "p.application_id WHERE a.id = $1::bigint AND a.candidate_id = $2::bigint",
              2, values, photo_state_loaded);
}

static void photo_get(struct http_request *req)
{
    if (application_id_ok(req))
        api_auth_require_verified(req, photo_get_authed);
}

static void photo_image_authed(struct http_request *req, const struct api_session *s)
{
    struct grad_photo *p = grad_photo_of(req, s);
    const char *values[] = {p->id, p->cand};
    api_respond_file(req,
                     "SELECT f.content_type, f.data FROM application_photos p JOIN applications a "
                     "ON a.id = p.application_id JOIN files f ON f.id = p.file_id WHERE a.id = "
                     "$1::bigint AND a.candidate_id = $2::bigint",
                     2, values, "PHOTO_NOT_FOUND", "这份申请还没有毕业照片", "photo");
}

static void photo_image(struct http_request *req)
{
    if (application_id_ok(req))
        api_auth_require_verified(req, photo_image_authed);
}

static const struct route graduation_routes[] = {
    {"PUT", "/api/v1/me/applications/{id}/photo", photo_put, 2 << 20, NULL},
    {"GET", "/api/v1/me/applications/{id}/photo", photo_get, 0, NULL},
    {"GET", "/api/v1/me/applications/{id}/photo/image", photo_image, 0, NULL},
};

const struct api_module api_graduation_module = {.name = "graduation",
                                                 API_ROUTES(graduation_routes)};
