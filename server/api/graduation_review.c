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
 *   POST /api/v1/staff/graduation/exports {"window_id"}
 *        province staff: the window's approved graduates for 电子注册, made
 *        by the `archive` worker (202; in the trail)
 *   GET  /api/v1/staff/graduation/exports        the exports, newest first
 *   GET  /api/v1/staff/graduation/exports/{id}/file
 *        the zip (毕业生名单.csv and 照片/<证件号码>.jpg; in the trail)
 */
#include "review.h"
#include "staff_auth.h"

#include "api_txn.h"
#include "api_util.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
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
    .offices = REVIEW_BY_DISTRICT | REVIEW_BY_PROVINCE, /* Shanxi's 毕业审定 at the province */
    .decisions = "[\"approve\",\"refuse\"]",
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
    const char *id = api_id_param(req, 0, "APPLICATION_NOT_FOUND", "没有这份毕业申请", "id");
    if (id == NULL)
        return;
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

/* ---- the 电子注册 export --------------------------------------------------------------------- */

struct export_req {
    const struct staff_ctx *st;
    const char *window;
    const char *json; /* the export as answered */
};

/* A refusal of the export's SQL (zk_refuse) answered as such, else the
 * standard error; the transaction rolls back. */
static bool export_failed(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct staff_refusal ref;
    if (r->error == PG_OK)
        return false;
    if (staff_refusal(&req->arena, r, &ref)) {
        http_respond_error(req, ref.status, ref.code, ref.message, ref.field);
        api_txn_rollback(tx);
        return true;
    }
    return api_txn_fail(tx, r);
}

static void export_committed(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct export_req *er = req->ctx;
    if (api_txn_fail(tx, r))
        return;
    char *body = arena_printf(&req->arena, "{\"export\":%s}", er->json);
    api_respond_json_text(req, 202, body, strlen(body));
}

static void export_job_added(struct api_txn *tx, const struct pg_result *r)
{
    if (!export_failed(tx, r))
        api_txn_commit(tx, export_committed);
}

static void export_recorded(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct export_req *er = req->ctx;
    if (export_failed(tx, r))
        return;
    er->json = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 0));
    json_t *x = json_loads(er->json, 0, NULL);
    json_int_t id = json_integer_value(json_object_get(x, "id"));
    json_decref(x);
    api_txn_add_job(
        tx, "archive",
        arena_printf(&req->arena, "{\"graduation_export_id\":%" JSON_INTEGER_FORMAT "}", id),
        export_job_added);
}

static void export_begun(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct export_req *er = req->ctx;
    if (api_txn_fail(tx, r))
        return;
    const char *values[] = {er->st->idtext, er->window, staff_request_id(req)};
    api_txn_query(tx, "SELECT graduation_export_request($1::bigint, $2::bigint, $3)::text", 3,
                  values, export_recorded);
}

static void export_authed(struct http_request *req, const struct staff_ctx *st)
{
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    json_t *w = json_object_get(body, "window_id");
    json_int_t window = json_is_integer(w) ? json_integer_value(w) : 0;
    json_decref(body);
    if (window <= 0) {
        api_reject(req, "FIELD_INVALID", "请选择要导出的毕业申请批次（window_id，正整数）",
                   "window_id");
        return;
    }
    struct export_req *er = arena_calloc(&req->arena, sizeof(*er));
    er->st = st;
    er->window = arena_printf(&req->arena, "%" JSON_INTEGER_FORMAT, window);
    req->ctx = er;
    api_txn_begin(req, export_begun);
}

static void export_post(struct http_request *req)
{
    staff_require(req, STAFF_PROVINCE | STAFF_ACT, export_authed);
}

static void exports_authed(struct http_request *req, const struct staff_ctx *st)
{
    (void)st;
    staff_json_query(req, 200,
                     "SELECT json_build_object('items', coalesce((SELECT json_agg("
                     "graduation_export_json(x) ORDER BY x.created_at DESC, x.id DESC) FROM "
                     "(SELECT * FROM graduation_exports ORDER BY created_at DESC, id DESC "
                     "LIMIT 100) x), '[]'))::text",
                     0, NULL);
}

static void exports_get(struct http_request *req)
{
    staff_require(req, STAFF_PROVINCE, exports_authed);
}

static void export_file_loaded(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (!api_db_row(req, r, 404, "EXPORT_NOT_FOUND", "没有这份导出文件（或尚未生成）", "id"))
        return;
    http_response_header(
        req, "Content-Disposition",
        arena_printf(&req->arena,
                     "attachment; filename=\"graduates-%s.zip\"; "
                     "filename*=UTF-8''%%E7%%94%%B5%%E5%%AD%%90%%E6%%B3%%A8%%E5%%86%%8C-%s.zip",
                     http_param(req, 0), http_param(req, 0)));
    api_respond_file_row(req, r->res);
}

static void export_file_authed(struct http_request *req, const struct staff_ctx *st)
{
    const char *id = api_id_param(req, 0, "EXPORT_NOT_FOUND", "没有这份导出文件", "id");
    if (id == NULL)
        return;
    const char **values = arena_alloc(&req->arena, sizeof(*values) * 3);
    values[0] = st->idtext;
    values[1] = id;
    values[2] = staff_request_id(req);
    struct pg_params *p = arena_calloc(&req->arena, sizeof(*p));
    p->n = 3;
    p->values = values;
    p->result_format = 1;
    /* Personal data of every graduate: the download is in the trail. */
    api_query_params(req,
                     "SELECT f.content_type, f.data, staff_audit_add($1::bigint, "
                     "'view.export', 'graduation_export', x.id::text, NULL, NULL, $3) FROM "
                     "graduation_exports x JOIN files f ON f.id = x.file_id WHERE x.id = "
                     "$2::bigint",
                     p, export_file_loaded);
}

static void export_file_get(struct http_request *req)
{
    staff_require(req, STAFF_PROVINCE, export_file_authed);
}

static const struct route graduation_review_routes[] = {
    {"POST", "/api/v1/staff/graduation/applications/{id}/papers", papers_post, 0, NULL},
    {"POST", "/api/v1/staff/graduation/exports", export_post, 1024, NULL},
    {"GET", "/api/v1/staff/graduation/exports", exports_get, 0, NULL},
    {"GET", "/api/v1/staff/graduation/exports/{id}/file", export_file_get, 0, NULL},
};

const struct api_module api_graduation_review_module = {.name = "graduation-review",
                                                        API_ROUTES(graduation_review_routes)};
