/*
 * exemption.c - the exemption application (免考申请, handbook 002) on the
 * application engine (applications.h), its review queue at the confirmation
 * points (review.h) and its catalogues. The rules are data and SQL
 * (schema/0028_exemption.sql); this file maps them to HTTP.
 *
 *   app_flow_exemption.prepare   submit: the draft complete and true (a point,
 *                                one or two different majors, one to four
 *                                certificates exempting courses of a chosen
 *                                major, each with its photo accepted);
 *                                reapply: only after the point returned it,
 *                                and once (exemption_refusal)
 *   review_exemption_queue       the chosen point confirms (the courses become
 *                                passes the graduation audit counts) or returns
 *                                with the reason (the second return is final)
 *   GET /api/v1/exemption/points                 免考确认点: name, address, phone, hours
 *   GET /api/v1/exemption/certificates[?major=]  certificate types; with a major,
 *                                                the courses each exempts in it
 *   GET /api/v1/me/applications/{id}/exemption-detail.pdf   免考申请信息详情 (pdf queue)
 *   GET /api/v1/staff/exemption/items/{id}/photos/{n}       a certificate photo of an item
 *                                                           in the caller's scope (in the trail)
 *
 * Owns nothing past a request.
 */
#include "api.h"
#include "api_auth.h"
#include "api_util.h"
#include "applications.h"
#include "doc_api.h"
#include "review.h"
#include "staff_auth.h"

#include <string.h>

static void exemption_prepare(struct http_request *req, struct app_step *s, api_next_fn next)
{
    application_check_sql(req, s, next, "SELECT exemption_refusal($1::bigint, $2)");
}

const struct app_flow app_flow_exemption = {.kind = "exemption", .prepare = exemption_prepare};

/* ---- the review queue ---------------------------------------------------------------- */

static void exemption_decide(struct api_txn *tx, const struct review_decision *d,
                             api_txn_step_fn done)
{
    const char *values[] = {d->item, d->decision, d->st->idtext};
    api_txn_query(tx, "SELECT exemption_review_apply($1::bigint, $2, $3::bigint)::text", 3, values,
                  done);
}

const struct review_queue review_exemption_queue = {
    .kind = "exemption",
    .title = "免考申请",
    .offices = REVIEW_BY_POINT,
    .decisions = "[\"approve\",\"return\"]",
    .detail_fn = "exemption_review_detail",
    .decide = exemption_decide,
    .next_step =
        {
            "免考课程已记入您的合格成绩，可在“免考审核结果查询”中查看。",
            "请登录后在免考申请中点击“重新申请”，修改后再提交（重新申请仅限一次）。",
            "",
        },
};

/* ---- catalogues ------------------------------------------------------------------------- */

static void catalogue_loaded(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    api_db_json_text(req, r, 200);
}

static void points_get(struct http_request *req)
{
    api_query(req,
              "SELECT json_build_object('items', coalesce(json_agg(json_build_object('id', p.id, "
              "'name', p.name, 'district', p.district, 'district_name', coalesce(c.name, '') || "
              "d.name, 'address', p.address, 'phone', p.phone, 'hours', p.hours, 'note', p.note) "
              "ORDER BY p.district, p.name), '[]'))::text FROM confirmation_points p JOIN regions "
              "d ON d.code = p.district LEFT JOIN regions c ON c.code = d.parent AND c.level = "
              "'city' WHERE p.address IS NOT NULL",
              0, NULL, catalogue_loaded);
}

static void certificates_get(struct http_request *req)
{
    const char *major = http_query_get(req, "major");
    if (major != NULL && (strlen(major) > 8 ||
                          strspn(major, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(major))) {
        api_reject(req, "MAJOR_NOT_FOUND", "专业代码有误", "major");
        return;
    }
    const char *values[] = {major};
    api_query(req,
              "SELECT json_build_object('major', $1::text, 'items', coalesce(json_agg("
              "json_build_object('code', x.code, 'title', x.title, 'source', x.source, 'courses', "
              "CASE WHEN $1::text IS NULL THEN NULL ELSE (SELECT coalesce(json_agg("
              "json_build_object('code', k.code, 'name', k.name, 'credits', k.credits) ORDER BY "
              "k.code), '[]') FROM exemption_courses(x.code, $1) k) END) ORDER BY x.seq, x.code), "
              "'[]'))::text FROM exemption_certificates x",
              1, values, catalogue_loaded);
}

/* ---- the detail PDF ---------------------------------------------------------------------- */

static const struct doc_endpoint doc_exemption_endpoint = {
    DOC_EXEMPTION_DETAIL,
    "SELECT a.id::text AS id, a.state <> 'draft' AS ok, a.state, NULL::text AS code, "
    "NULL::text AS why FROM applications a "
    "WHERE a.id = $1::bigint AND a.candidate_id = $2::bigint AND a.kind = 'exemption'",
    "APPLICATION_NOT_FOUND",
    "没有这份免考申请",
    "APPLICATION_NOT_SUBMITTED",
    "免考申请提交后才能打印申请信息详情",
    "/api/v1/me/applications/%s/exemption-detail.pdf",
    NULL,
};

static void detail_authed(struct http_request *req, const struct api_session *s)
{
    doc_api_request(req, &doc_exemption_endpoint, http_param(req, 0), s->candidate_id,
                    DOC_ANSWER_FILE, NULL);
}

static void detail_get(struct http_request *req)
{
    if (application_id_ok(req))
        api_auth_require_verified(req, detail_authed);
}

/* ---- a certificate photo, for the staff deciding ------------------------------------------ */

static bool digits_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n <= max && strspn(s, "0123456789") == n;
}

static void photo_loaded(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (staff_db_failed(req, r))
        return;
    if (api_db_row(req, r, 404, "FILE_NOT_FOUND", "没有这张证书照片", "n"))
        api_respond_file_row(req, r->res);
}

static void photo_authed(struct http_request *req, const struct staff_ctx *st)
{
    const char *item = http_param(req, 0), *n = http_param(req, 1);
    if (!digits_ok(item, 18) || !digits_ok(n, 2)) {
        http_respond_error(req, 404, "FILE_NOT_FOUND", "没有这张证书照片", "n");
        return;
    }
    const char **values = arena_alloc(&req->arena, sizeof(*values) * 4);
    values[0] = st->idtext;
    values[1] = item;
    values[2] = n;
    values[3] = staff_request_id(req);
    struct pg_params *p = arena_calloc(&req->arena, sizeof(*p));
    p->n = 4;
    p->values = values;
    p->result_format = 1; /* the bytes as they are */
    /* Items of the caller's scope only (another point's: 404); each look is in the trail. */
    api_query_params(
        req,
        "SELECT fl.content_type, fl.data, staff_audit_add($1::bigint, 'view.certificate', "
        "'exemption', i.id::text, NULL, jsonb_build_object('candidate', i.candidate_id, 'photo', "
        "f.seq), $4) FROM review_items i JOIN staff_scope sc ON sc.staff_id = $1::bigint AND "
        "(sc.all_offices OR i.office_point = sc.point_id OR i.office_district = sc.district) JOIN "
        "application_files f ON f.application_id = i.subject AND f.slot = 'certificates' AND "
        "f.seq = $3::int JOIN files fl ON fl.id = f.file_id WHERE i.id = $2::bigint AND i.kind = "
        "'exemption'",
        p, photo_loaded);
}

static void photo_get(struct http_request *req)
{
    staff_require(req, STAFF_READ, photo_authed);
}

static const struct route exemption_routes[] = {
    {"GET", "/api/v1/exemption/points", points_get, 0, NULL},
    {"GET", "/api/v1/exemption/certificates", certificates_get, 0, NULL},
    {"GET", "/api/v1/me/applications/{id}/exemption-detail.pdf", detail_get, 0, NULL},
    {"GET", "/api/v1/staff/exemption/items/{id}/photos/{n}", photo_get, 0, NULL},
};

const struct api_module api_exemption_module = {.name = "exemption", API_ROUTES(exemption_routes)};
