/*
 * staff_candidates.c - what a district office does for a candidate who came
 * in person, and the photos staff look at.
 *
 *   GET   /api/v1/staff/candidates?q=          by ID number, exam ID, phone or exact name
 *   GET   /api/v1/staff/candidates/{id}        the record, its corrections (in the trail)
 *   PATCH /api/v1/staff/candidates/{id}        {changes: {name: ...}, reason}: old and new kept
 *   POST  /api/v1/staff/candidates/{id}/phone  {phone, reason}: the person lost their number
 *   POST  /api/v1/staff/candidates/{id}/unlock {reason}: clears the login lockout
 *   POST  /api/v1/staff/candidates            a candidate whose document is not a mainland
 *                                             ID card, verified in person: an exam ID and a
 *                                             temporary password, shown once
 *   GET   /api/v1/staff/files/{id}             a photo or attachment in scope (in the trail)
 *
 * Province and district staff act (auditors read); confirmation points have
 * no candidates' records (403). A candidate outside the caller's district is
 * 404 (staff_candidate_lock in schema/0015_staff.sql). Every change and
 * every view is in the trail.
 */
#include "api.h"
#include "api_util.h"
#include "log.h"
#include "login_guard.h"
#include "server.h"
#include "staff_auth.h"
#include "validate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cand_op {
    const struct staff_ctx *st;
    const char *id;
    const char *id_number;
    const char *password;
    const char *record; /* JSON of the record after the change */
    const char *id_type, *number, *name, *gender, *birth, *district, *phone;
};

/* The route's candidate id, or NULL after answering 404. */
static const char *candidate_of(struct http_request *req)
{
    return api_id_param(req, 0, "CANDIDATE_NOT_FOUND", "没有这位考生", "id");
}

/* The route's candidate and the request's JSON body (the caller owns it), or
 * NULL after answering 404, 415 or 400. */
static json_t *candidate_body(struct http_request *req, const char **id)
{
    *id = candidate_of(req);
    return *id != NULL ? api_json_body(req) : NULL;
}

/* ---- search and view ------------------------------------------------------------------ */

static void search_authed(struct http_request *req, const struct staff_ctx *st)
{
    const char *q = http_query_get(req, "q");
    if (q == NULL || q[0] == '\0' || strlen(q) > 60) {
        http_respond_error(req, 400, "FIELD_REQUIRED",
                           "请填写证件号、准考证号、手机号或完整姓名（q）", "q");
        return;
    }
    const char *values[] = {st->idtext, q, staff_request_id(req)};
    staff_json_query(
        req, 200,
        "WITH found AS (SELECT c.* FROM candidates c JOIN staff_scope sc ON sc.staff_id = "
        "$1::bigint AND (sc.all_offices OR sc.district = c.district) WHERE c.superseded_at IS "
        "NULL AND (c.id_number = upper($2) OR c.phone = $2 OR c.name = $2 OR c.id IN (SELECT "
        "e.candidate_id FROM exam_ids e WHERE e.exam_id = $2)) ORDER BY c.id LIMIT 20) "
        "SELECT json_build_object('candidates', coalesce((SELECT json_agg(json_build_object("
        "'id', f.id, 'name', f.name, 'id_type', f.id_type, 'id_number', f.id_number, 'district', "
        "f.district, 'kind', f.kind, 'identity', f.identity, 'phone', f.phone) ORDER BY f.id) "
        "FROM found f), '[]'), 'logged', staff_audit_add($1::bigint, 'view.search', "
        "'candidate', NULL, NULL, jsonb_build_object('q', $2::text, 'found', (SELECT "
        "count(*) FROM found)), $3))::text",
        3, values);
}

static void search_get(struct http_request *req)
{
    staff_require(req, STAFF_DISTRICT, search_authed);
}

static void view_authed(struct http_request *req, const struct staff_ctx *st)
{
    const char *id = candidate_of(req);
    if (id == NULL)
        return;
    const char *values[] = {st->idtext, id, staff_request_id(req)};
    staff_json_query(req, 200,
                     "SELECT json_build_object('candidate', staff_candidate_json(c.id), 'logged', "
                     "staff_audit_add($1::bigint, 'view.candidate', 'candidate', c.id::text, "
                     "NULL, NULL, $3))::text FROM candidates c JOIN staff_scope sc ON "
                     "sc.staff_id = $1::bigint AND (sc.all_offices OR sc.district = c.district) "
                     "WHERE c.id = $2::bigint AND c.superseded_at IS NULL",
                     3, values);
}

static void view_get(struct http_request *req)
{
    staff_require(req, STAFF_DISTRICT, view_authed);
}

/* ---- corrections ------------------------------------------------------------------------ */

static void correct_authed(struct http_request *req, const struct staff_ctx *st)
{
    const char *id;
    json_t *body = candidate_body(req, &id);
    if (body == NULL)
        return;
    json_t *changes = json_object_get(body, "changes");
    const char *reason = api_field_opt(req, body, "reason", 2000);
    if (reason == NULL) {
        json_decref(body);
        return;
    }
    if (!json_is_object(changes)) {
        json_decref(body);
        api_reject(req, "FIELD_REQUIRED", "请填写要更正的项目（changes）", "changes");
        return;
    }
    const char *key;
    json_t *v;
    json_object_foreach(changes, key, v)
    {
        if (!json_is_string(v) && !json_is_null(v)) {
            api_reject(req, "FIELD_INVALID", arena_printf(&req->arena, "%s 应为文本", key), key);
            json_decref(body);
            return;
        }
    }
    char *text = json_dumps(changes, JSON_COMPACT);
    const char *values[] = {st->idtext, id, arena_strdup(&req->arena, text ? text : "{}"), reason,
                            staff_request_id(req)};
    free(text);
    json_decref(body);
    staff_json_query(req, 200,
                     "SELECT json_build_object('candidate', staff_candidate_correct($1::bigint, "
                     "$2::bigint, $3::jsonb, $4, $5))::text",
                     5, values);
}

static void correct_patch(struct http_request *req)
{
    staff_require(req, STAFF_DISTRICT | STAFF_ACT, correct_authed);
}

/* ---- a new phone ------------------------------------------------------------------------ */

static void phone_sessions_ended(struct http_request *req, int err)
{
    struct cand_op *op = req->ctx;
    if (err < 0) {
        http_respond_error(req, 503, "SESSION_STORE_UNAVAILABLE", "系统繁忙，请稍后再试", NULL);
        return;
    }
    char *body = arena_printf(&req->arena, "{\"candidate\":%s}", op->record);
    api_respond_json_text(req, 200, body, strlen(body));
}

static void phone_changed(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct cand_op *op = req->ctx;
    if (staff_db_failed(req, r))
        return;
    op->record = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 0));
    /* Whoever holds the old number is logged out before the answer. */
    api_session_end_all(req, strtoll(op->id, NULL, 10), NULL, phone_sessions_ended);
}

static void phone_authed(struct http_request *req, const struct staff_ctx *st)
{
    const char *id;
    json_t *body = candidate_body(req, &id);
    if (body == NULL)
        return;
    const char *phone = api_field_str(req, body, "phone", 16);
    const char *reason = phone ? api_field_str(req, body, "reason", 2000) : NULL;
    json_decref(body);
    if (reason == NULL)
        return;
    const char *why = validate_phone(phone);
    if (why != NULL) {
        api_reject(req, "PHONE_INVALID", why, "phone");
        return;
    }
    struct cand_op *op = arena_calloc(&req->arena, sizeof(*op));
    req->ctx = op;
    op->id = id;
    const char *values[] = {st->idtext, id, phone, reason, staff_request_id(req)};
    api_query(req, "SELECT staff_candidate_phone($1::bigint, $2::bigint, $3, $4, $5)::text", 5,
              values, phone_changed);
}

static void phone_post(struct http_request *req)
{
    staff_require(req, STAFF_DISTRICT | STAFF_ACT, phone_authed);
}

/* ---- the login lockout -------------------------------------------------------------------- */

static void unlocked(struct http_request *req)
{
    struct cand_op *op = req->ctx;
    http_respond_json(req, 200, json_pack("{s:s, s:b}", "candidate_id", op->id, "unlocked", 1));
}

static void unlock_found(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (staff_db_failed(req, r))
        return;
    /* The lockout counts per person under the ID number (login_guard.h). */
    login_guard_clear_all(req, arena_strdup(&req->arena, PQgetvalue(r->res, 0, 0)), unlocked);
}

static void unlock_authed(struct http_request *req, const struct staff_ctx *st)
{
    const char *id;
    json_t *body = candidate_body(req, &id);
    if (body == NULL)
        return;
    const char *reason = api_field_opt(req, body, "reason", 2000);
    json_decref(body);
    if (reason == NULL)
        return;
    struct cand_op *op = arena_calloc(&req->arena, sizeof(*op));
    req->ctx = op;
    op->id = id;
    const char *values[] = {st->idtext, id, reason, staff_request_id(req)};
    api_query(req,
              "SELECT c.id_number, staff_audit_add($1::bigint, 'candidate.unlock', 'candidate', "
              "c.id::text, NULL, jsonb_build_object('reason', $3::text), $4) FROM "
              "staff_candidate_lock($1::bigint, $2::bigint) c",
              4, values, unlock_found);
}

static void unlock_post(struct http_request *req)
{
    staff_require(req, STAFF_DISTRICT | STAFF_ACT, unlock_authed);
}

/* ---- registering a document holder ---------------------------------------------------------- */

static void registered(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct cand_op *op = req->ctx;
    if (staff_db_failed(req, r))
        return;
    char *body = arena_printf(&req->arena, "{\"candidate\":%s,\"temporary_password\":\"%s\"}",
                              PQgetvalue(r->res, 0, 0), op->password);
    api_respond_json_text(req, 201, body, strlen(body));
}

static void register_hashed(struct http_request *req, const char *hash)
{
    struct cand_op *op = req->ctx;
    const char *values[] = {
        op->st->idtext, op->id_type,  op->number, op->name, op->gender,
        op->birth,      op->district, op->phone,  hash,     staff_request_id(req)};
    api_query(req,
              "SELECT staff_candidate_register($1::bigint, $2, $3, $4, $5, $6, $7, $8, $9, "
              "$10)::text",
              10, values, registered);
}

static void register_authed(struct http_request *req, const struct staff_ctx *st)
{
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    struct cand_op *op = arena_calloc(&req->arena, sizeof(*op));
    req->ctx = op;
    op->st = st;
    op->id_type = api_field_str(req, body, "id_type", 32);
    op->number = op->id_type ? api_field_str(req, body, "id_number", 32) : NULL;
    op->name = op->number ? api_field_str(req, body, "name", 120) : NULL;
    op->gender = op->name ? api_field_str(req, body, "gender", 8) : NULL;
    op->birth = op->gender ? api_field_str(req, body, "birth_date", 10) : NULL;
    op->district = op->birth ? api_field_str(req, body, "district", 6) : NULL;
    op->phone = op->district ? api_field_str(req, body, "phone", 16) : NULL;
    json_decref(body);
    if (op->phone == NULL)
        return;
    const char *why;
    if ((why = validate_document(op->id_type, op->number)) != NULL) {
        api_reject(req, "ID_NUMBER_INVALID", why,
                   strcmp(op->id_type, "passport") == 0 ||
                           strcmp(op->id_type, "hk_macao_permit") == 0 ||
                           strcmp(op->id_type, "taiwan_permit") == 0
                       ? "id_number"
                       : "id_type");
        return;
    }
    if ((why = validate_name(op->name)) != NULL) {
        api_reject(req, "NAME_INVALID", why, "name");
        return;
    }
    if (strcmp(op->gender, "男") != 0 && strcmp(op->gender, "女") != 0) {
        api_reject(req, "FIELD_INVALID", "性别应为“男”或“女”", "gender");
        return;
    }
    if (strlen(op->birth) != 10 || op->birth[4] != '-' || op->birth[7] != '-') {
        api_reject(req, "FIELD_INVALID", "出生日期应写作 YYYY-MM-DD", "birth_date");
        return;
    }
    if ((why = validate_phone(op->phone)) != NULL) {
        api_reject(req, "PHONE_INVALID", why, "phone");
        return;
    }
    op->password = staff_temp_password(req);
    api_password_hash(req, op->password, register_hashed);
}

static void register_post(struct http_request *req)
{
    staff_require(req, STAFF_DISTRICT | STAFF_ACT, register_authed);
}

/* ---- identity photos --------------------------------------------------------------------- */

static void file_loaded(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_row(req, r, 404, "FILE_NOT_FOUND", "没有这张照片", "id"))
        api_respond_file_row(req, r->res);
}

static void file_authed(struct http_request *req, const struct staff_ctx *st)
{
    const char *id = api_id_param(req, 0, "FILE_NOT_FOUND", "没有这张照片", "id");
    if (id == NULL)
        return;
    const char **values = arena_alloc(&req->arena, sizeof(*values) * 3);
    values[0] = st->idtext;
    values[1] = id;
    values[2] = staff_request_id(req);
    struct pg_params *p = arena_calloc(&req->arena, sizeof(*p));
    p->n = 3;
    p->values = values;
    p->result_format = 1; /* the bytes as they are */
    /* Photos and attachments in the caller's scope only (staff_file_kind);
     * each look is in the trail (which file of whom). */
    api_query_params(req,
                     "SELECT f.content_type, f.data, staff_audit_add($1::bigint, 'view.photo', "
                     "'file', f.id::text, NULL, jsonb_build_object('candidate', f.candidate_id, "
                     "'kind', k.kind), $3) FROM files f CROSS JOIN LATERAL (SELECT "
                     "staff_file_kind($1::bigint, f.id) AS kind) k WHERE f.id = $2::bigint AND "
                     "k.kind IS NOT NULL",
                     p, file_loaded);
}

static void file_get(struct http_request *req)
{
    staff_require(req, STAFF_DISTRICT, file_authed);
}

static const struct route staff_candidate_routes[] = {
    {"GET", "/api/v1/staff/candidates", search_get, 0, NULL},
    {"POST", "/api/v1/staff/candidates", register_post, 4096, NULL},
    {"GET", "/api/v1/staff/candidates/{id}", view_get, 0, NULL},
    {"PATCH", "/api/v1/staff/candidates/{id}", correct_patch, 8192, NULL},
    {"POST", "/api/v1/staff/candidates/{id}/phone", phone_post, 4096, NULL},
    {"POST", "/api/v1/staff/candidates/{id}/unlock", unlock_post, 4096, NULL},
    {"GET", "/api/v1/staff/files/{id}", file_get, 0, NULL},
};

const struct api_module api_staff_candidates_module = {.name = "staff-candidates",
                                                       API_ROUTES(staff_candidate_routes)};
