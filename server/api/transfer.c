/*
 * transfer.c - transfer applications (转考, handbook 003) on the application
 * engine (applications.h) and their review queues (review.h): 省内转考
 * (kind transfer, decided by the origin district) and 省际转出 (kind
 * transfer_out, decided by the province office). The rules are data and SQL
 * (schema/0029_transfer.sql); this file maps them to HTTP.
 *
 *   app_flow_transfer, app_flow_transfer_out   submit: the destination is
 *       true, no other transfer is open and no other application is under
 *       way (transfer_refusal names it)
 *   review_transfer_queue      approve moves the management district (in the
 *                              staff trail; exam IDs unchanged) or refuse
 *   review_transfer_out_queue  approve or refuse
 *   GET /api/v1/me/applications/{id}/transfer-detail.pdf   省内转考申请信息详情
 *   GET /api/v1/me/applications/{id}/transfer-certificate.pdf   省际转出证明 (approved):
 *                                                   every passed course, score, credits, date
 *
 * Owns nothing past a request.
 */
#include "api.h"
#include "api_auth.h"
#include "applications.h"
#include "doc_api.h"
#include "review.h"
#include "staff_auth.h"

static void transfer_prepare(struct http_request *req, struct app_step *s, api_next_fn next)
{
    application_check_sql(req, s, next, "SELECT transfer_refusal($1::bigint, $2)");
}

const struct app_flow app_flow_transfer = {.kind = "transfer", .prepare = transfer_prepare};
const struct app_flow app_flow_transfer_out = {.kind = "transfer_out", .prepare = transfer_prepare};

/* ---- the review queues --------------------------------------------------------------- */

static void transfer_decide(struct api_txn *tx, const struct review_decision *d,
                            api_txn_step_fn done)
{
    const char *values[] = {d->item, d->decision, d->st->idtext,
                            staff_request_id(api_txn_request(tx))};
    api_txn_query(tx, "SELECT transfer_review_apply($1::bigint, $2, $3::bigint, $4)::text", 4,
                  values, done);
}

const struct review_queue review_transfer_queue = {
    .kind = "transfer",
    .title = "省内转考申请",
    .offices = REVIEW_BY_DISTRICT,
    .decisions = "[\"approve\",\"refuse\"]",
    .detail_fn = "transfer_review_detail",
    .decide = transfer_decide,
    .next_step =
        {
            "您的考籍管理区县已变更，准考证号不变；此后的业务请到新的区县招办办理。",
            "",
            "如有疑问请联系原属区县招办。",
        },
};

const struct review_queue review_transfer_out_queue = {
    .kind = "transfer_out",
    .title = "省际转出申请",
    .offices = REVIEW_BY_PROVINCE,
    .decisions = "[\"approve\",\"refuse\"]",
    .detail_fn = "transfer_review_detail",
    .decide = transfer_decide,
    .next_step =
        {
            "请登录打印《转出证明》，到转入省份的自考机构办理转入。",
            "",
            "如有疑问请联系省考试机构。",
        },
};

/* ---- the detail PDF ---------------------------------------------------------------------- */

static const struct doc_endpoint doc_transfer_endpoint = {
    DOC_TRANSFER_DETAIL,
    "SELECT a.id::text AS id, a.state <> 'draft' AS ok, a.state, NULL::text AS code, "
    "NULL::text AS why FROM applications a "
    "WHERE a.id = $1::bigint AND a.candidate_id = $2::bigint AND a.kind = 'transfer'",
    "APPLICATION_NOT_FOUND",
    "没有这份省内转考申请",
    "APPLICATION_NOT_SUBMITTED",
    "转考申请提交后才能打印申请信息详情",
    "/api/v1/me/applications/%s/transfer-detail.pdf",
    NULL,
};

static const struct doc_endpoint doc_certificate_endpoint = {
    DOC_TRANSFER_CERTIFICATE,
    "SELECT a.id::text AS id, a.state = 'approved' AS ok, a.state, NULL::text AS code, "
    "NULL::text AS why FROM applications a "
    "WHERE a.id = $1::bigint AND a.candidate_id = $2::bigint AND a.kind = 'transfer_out'",
    "APPLICATION_NOT_FOUND",
    "没有这份省际转出申请",
    "TRANSFER_NOT_APPROVED",
    "省际转出申请批准后才能打印转出证明",
    "/api/v1/me/applications/%s/transfer-certificate.pdf",
    NULL,
};

static void detail_authed(struct http_request *req, const struct api_session *s)
{
    doc_api_request(req, &doc_transfer_endpoint, http_param(req, 0), s->candidate_id,
                    DOC_ANSWER_FILE, NULL);
}

static void detail_get(struct http_request *req)
{
    if (application_id_ok(req))
        api_auth_require_verified(req, detail_authed);
}

static void certificate_authed(struct http_request *req, const struct api_session *s)
{
    doc_api_request(req, &doc_certificate_endpoint, http_param(req, 0), s->candidate_id,
                    DOC_ANSWER_FILE, NULL);
}

static void certificate_get(struct http_request *req)
{
    if (application_id_ok(req))
        api_auth_require_verified(req, certificate_authed);
}

static const struct route transfer_routes[] = {
    {"GET", "/api/v1/me/applications/{id}/transfer-detail.pdf", detail_get, 0, NULL},
    {"GET", "/api/v1/me/applications/{id}/transfer-certificate.pdf", certificate_get, 0, NULL},
};

const struct api_module api_transfer_module = {.name = "transfer", API_ROUTES(transfer_routes)};
