/*
 * graduation_review.c - the graduation application's staff side
 * (schema/0025_graduation_review.sql): its review queue (review.h, kind
 * `graduation`: Shanxi's district pre-review and the province's final
 * decision once the papers are in; Tianjin's district then 市考试院 review)
 * and the district's record that the paper originals came in.
 *
 *   POST /api/v1/staff/graduation/applications/{id}/papers
 *        the 毕业生登记表 (two copies) and the cards' originals received:
 *        a paid Shanxi application of the caller's district, before the
 *        papers deadline (else 409); asked again once recorded: unchanged.
 */
#include "review.h"
#include "staff_auth.h"

#include <string.h>

static void graduation_decide(struct api_txn *tx, const struct review_decision *d,
                              api_txn_step_fn done)
{
    const char *values[] = {d->item, d->decision};
    api_txn_query(tx, "SELECT graduation_review_apply($1::bigint, $2)::text", 2, values, done);
}

const struct review_queue review_graduation_queue = {
    .kind = "graduation",
    .title = "毕业申请审核",
    .detail_fn = "graduation_review_detail",
    .decide = graduation_decide,
    .next_step =
        {
            "请登录查看毕业申请的下一步（需缴费的请在报名时间内缴费）。",
            "",
            "可在毕业申请时间内按审核意见重新申请一次；有疑问请联系所选县（市、区）招办。",
        },
};

/* ---- the papers ---------------------------------------------------------------------------- */

static void papers_authed(struct http_request *req, const struct staff_ctx *st)
{
    const char *id = http_param(req, 0);
    size_t n = strlen(id);
    if (n == 0 || n > 18 || strspn(id, "0123456789") != n) {
        http_respond_error(req, 404, "APPLICATION_NOT_FOUND", "没有这份毕业申请", "id");
        return;
    }
    const char *values[] = {st->idtext, id, staff_request_id(req)};
    staff_json_query(req, 200,
                     "SELECT json_build_object('application', graduation_receive_papers("
                     "$1::bigint, $2::bigint, $3))::text",
                     3, values);
}

static void papers_post(struct http_request *req)
{
    staff_require(req, STAFF_DISTRICT | STAFF_ACT, papers_authed);
}

static const struct route graduation_review_routes[] = {
    {"POST", "/api/v1/staff/graduation/applications/{id}/papers", papers_post, 0, NULL},
};

const struct api_module api_graduation_review_module = {.name = "graduation-review",
                                                        API_ROUTES(graduation_review_routes)};
