/*
 * documents.c - downloads of rendered documents (PDF): GET
 * /api/v1/me/orders/{no}/receipt.pdf, the receipt of a paid order, and GET
 * /api/v1/me/applications/{id}/graduate-form.pdf, the 毕业生登记表 of a
 * graduation application; and doc_api_request() (doc_api.h) for routes of
 * other modules that export a document (graduate_form.c's "保存并导出 PDF").
 *
 * A download looks up the document of the subject's current input (its hash:
 * document_input() plus this server's meta, see shared/documents/documents.h):
 *   ready    the PDF (Content-Disposition with the Chinese file name, RFC
 *            5987/6266; ETag = the file's SHA-256);
 *   none     creates the row and its `pdf` job in one transaction, 202;
 *   pending  202 with the job's state (and Retry-After);
 *   failed   500 DOCUMENT_FAILED with the reason (also a pending document
 *            whose job is dead); a failed document whose job an operator
 *            revived (zikaoctl jobs retry) is pending again.
 * Identical input is rendered once; every later download gets the same
 * bytes. Owns nothing beyond each request; the subject's check (owner,
 * state) is per endpoint (struct doc_endpoint), the rest is shared.
 */
#include "api.h"
#include "api_util.h"
#include "queue.h"
#include "api_auth.h"
#include "api_txn.h"
#include "doc_api.h"
#include "documents.h"
#include "log.h"
#include "pay_proto.h"
#include "server.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct doc_endpoint receipt_endpoint = {
    DOC_RECEIPT,
    "SELECT order_no AS id, state = 'paid' AS ok, state, NULL::text AS code, NULL::text AS why "
    "FROM orders WHERE order_no = $1 AND candidate_id = $2::bigint",
    "ORDER_NOT_FOUND",
    "没有这个订单",
    "ORDER_NOT_PAID",
    "订单尚未支付，支付完成后才能下载缴费凭证",
    "/api/v1/me/orders/%s/receipt.pdf",
    "no",
};

/* A Shanxi graduation application's form, once saved, in a state that has
 * one (schema/0024_graduate_forms.sql: graduate_form_status says why not). */
const struct doc_endpoint doc_graduate_form_endpoint = {
    DOC_GRADUATE_FORM,
    "SELECT id, ok, state, code, why FROM graduate_form_status($1::bigint, $2::bigint, true)",
    "APPLICATION_NOT_FOUND",
    "没有这份毕业申请的《毕业生登记表》",
    "GRADUATE_FORM_NOT_AVAILABLE",
    "缴纳毕业申请费后才能填写和导出《毕业生登记表》",
    "/api/v1/me/applications/%s/graduate-form.pdf",
    NULL,
};

#define DOC_RETRY_AFTER "1"
#define DOC_MAX_ROUNDS  3

struct doc_req {
    const struct doc_endpoint *ep;
    const struct doc_kind_info *info;
    enum doc_answer how;
    const char *extra; /* JSON object text added to a STATUS answer, or NULL */
    const char *subject_id;
    const char *cand;
    const char *meta; /* JSON text */
    const char *hash;
    const char *document_id; /* existing row (pending without a job), or the new one */
    int rounds;
};

static void doc_lookup(struct http_request *req);

/* ---- answers ---- */

/* A STATUS answer's common members: where to download, and the caller's extra. */
static json_t *status_body(struct http_request *req, const struct doc_req *d, json_t *body)
{
    if (d->how != DOC_ANSWER_STATUS)
        return body;
    json_object_set_new(
        body, "download",
        json_string(arena_printf(&req->arena, d->ep->download_path, d->subject_id)));
    json_t *extra = d->extra ? json_loads(d->extra, 0, NULL) : NULL;
    if (json_is_object(extra))
        json_object_update(body, extra);
    json_decref(extra);
    return body;
}

static void respond_pending(struct http_request *req, const char *document_id,
                            const char *job_state, const char *attempts, const char *last_error)
{
    const struct doc_req *d = req->ctx;
    json_t *job = json_pack("{s:s, s:I, s:o}", "state", job_state ? job_state : "queued",
                            "attempts", (json_int_t)(attempts ? strtoll(attempts, NULL, 10) : 0),
                            "last_error", last_error ? json_string(last_error) : json_null());
    http_response_header(req, "Retry-After", DOC_RETRY_AFTER);
    http_response_header(req, "Cache-Control", "no-store");
    http_respond_json(
        req, 202,
        status_body(req, d,
                    json_pack("{s:s, s:i, s:I, s:o}", "state", "pending", "retry_after",
                              atoi(DOC_RETRY_AFTER), "document_id",
                              (json_int_t)strtoll(document_id, NULL, 10), "job", job)));
}

/* STATUS: the document is ready (column numbers as in looked_up). */
static void respond_ready(struct http_request *req, const struct doc_req *d, const PGresult *res)
{
    http_response_header(req, "Cache-Control", "no-store");
    http_respond_json(
        req, 200,
        status_body(req, d,
                    json_pack("{s:s, s:I, s:s, s:s}", "state", "ready", "document_id",
                              (json_int_t)strtoll(d->document_id, NULL, 10), "docno",
                              PQgetvalue(res, 0, 5), "filename", PQgetvalue(res, 0, 4))));
}

static void respond_failed(struct http_request *req, const struct doc_req *d, const char *why)
{
    log_msg(LOG_LEVEL_WARNING, req->id, "document %s (%s) failed: %s", d->document_id,
            d->info->name, why ? why : "?");
    char *message = arena_printf(&req->arena, "%s生成失败，请稍后再试或联系考试院", d->info->title);
    http_respond_json(req, 500,
                      json_pack("{s:{s:s, s:s, s:o}}", "error", "code", "DOCUMENT_FAILED",
                                "message", message, "detail",
                                why ? json_string(why) : json_null()));
}

static void respond_pdf(struct http_request *req, const struct doc_req *d, const PGresult *res)
{
    const char *filename = PQgetvalue(res, 0, 4);
    char *disposition = arena_alloc(&req->arena, 1024);
    if (doc_content_disposition(disposition, 1024, d->info->ascii_filename, filename) < 0)
        snprintf(disposition, 1024, "attachment; filename=\"%s\"", d->info->ascii_filename);
    size_t len = (size_t)PQgetlength(res, 0, 10);
    char *data = arena_alloc(&req->arena, len ? len : 1);
    memcpy(data, PQgetvalue(res, 0, 10), len);
    http_response_header(req, "Content-Disposition", disposition);
    http_response_header(req, "ETag", arena_printf(&req->arena, "\"%s\"", PQgetvalue(res, 0, 11)));
    http_response_header(req, "X-Document-Number", PQgetvalue(res, 0, 5));
    http_response_header(req, "Cache-Control", "private, no-store");
    http_respond(req, 200, "application/pdf", data, len);
}

/* ---- creating the document and its job ---- */

static void created_committed(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    struct http_request *req = api_txn_request(tx);
    struct doc_req *d = req->ctx;
    log_msg(LOG_LEVEL_INFO, req->id, "document %s (%s of %s) queued for rendering", d->document_id,
            d->info->name, d->info->subject_type);
    respond_pending(req, d->document_id, "queued", "0", NULL);
}

static void job_linked(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    api_txn_commit(tx, created_committed);
}

static void job_added(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    struct http_request *req = api_txn_request(tx);
    struct doc_req *d = req->ctx;
    const char *v[] = {d->document_id, arena_strdup(&req->arena, PQgetvalue(r->res, 0, 0))};
    api_txn_query(tx,
                  "UPDATE documents SET job_id = $2::bigint, state = 'pending', error = NULL, "
                  "updated_at = now() WHERE id = $1::bigint",
                  2, v, job_linked);
}

static void add_job(struct api_txn *tx)
{
    struct http_request *req = api_txn_request(tx);
    struct doc_req *d = req->ctx;
    api_txn_add_job(tx, QUEUE_PDF,
                    arena_printf(&req->arena, "{\"document_id\":%s}", d->document_id), job_added);
}

static void row_inserted(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    struct http_request *req = api_txn_request(tx);
    struct doc_req *d = req->ctx;
    if (PQntuples(r->res) == 0) {
        /* A concurrent request created it (or changed it): look again. */
        api_txn_rollback(tx);
        doc_lookup(req);
        return;
    }
    d->document_id = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 0));
    add_job(tx);
}

static void create_begun(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    struct http_request *req = api_txn_request(tx);
    struct doc_req *d = req->ctx;
    const char *v[] = {
        d->info->subject_type, d->subject_id, d->info->name, d->cand, d->hash, d->meta};
    api_txn_query(tx,
                  "INSERT INTO documents (subject_type, subject_id, kind, candidate_id, "
                  "input_hash, meta) VALUES ($1, $2, $3, $4::bigint, $5, $6::jsonb) ON CONFLICT "
                  "(subject_type, subject_id, kind, input_hash) DO NOTHING RETURNING id",
                  6, v, row_inserted);
}

/* A pending row whose job is gone (purged or deleted by hand): a new job,
 * unless the row changed meanwhile. */
static void relink_locked(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    struct http_request *req = api_txn_request(tx);
    if (PQntuples(r->res) == 0) {
        api_txn_rollback(tx);
        doc_lookup(req);
        return;
    }
    add_job(tx);
}

static void relink_begun(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    struct doc_req *d = api_txn_request(tx)->ctx;
    const char *v[] = {d->document_id};
    api_txn_query(tx,
                  "SELECT d.id FROM documents d WHERE d.id = $1::bigint AND d.state = 'pending' "
                  "AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = d.job_id) FOR UPDATE",
                  1, v, relink_locked);
}

/* ---- the lookup ---- */

/* Columns: 0 subject ok, 1 subject state, 2 input hash, 3 document id,
 * 4 filename, 5 docno, 6 document state, 7 error, 8 job state, 9 attempts,
 * 10 file data (NULL for a STATUS answer), 11 file sha256, 12 job last
 * error, 13 the subject's refusal code, 14 its sentence. Binary results:
 * every column but the file's bytes is text. */
static void looked_up(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    struct doc_req *d = req->ctx;
    const PGresult *res = r->res;
    if (PQntuples(res) == 0) {
        http_respond_error(req, 404, d->ep->not_found_code, d->ep->not_found_message, d->ep->field);
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        const char *code = pg_value(res, 0, 13), *why = pg_value(res, 0, 14);
        http_respond_error(req, 409, code ? arena_strdup(&req->arena, code) : d->ep->not_ready_code,
                           why ? arena_strdup(&req->arena, why) : d->ep->not_ready_message,
                           d->ep->field);
        return;
    }
    if (PQgetisnull(res, 0, 2)) {
        log_msg(LOG_LEVEL_ERR, req->id, "document_input has no %s data for a subject in state %s",
                d->info->name, PQgetvalue(res, 0, 1));
        http_respond_error(req, 500, "INTERNAL", "系统内部错误，请稍后再试", NULL);
        return;
    }
    d->hash = arena_strdup(&req->arena, PQgetvalue(res, 0, 2));
    if (++d->rounds > DOC_MAX_ROUNDS) {
        http_respond_error(req, 503, "DOCUMENT_BUSY", "文档正在生成，请稍后再试", NULL);
        return;
    }
    if (PQgetisnull(res, 0, 3)) {
        api_txn_begin(req, create_begun);
        return;
    }
    d->document_id = arena_strdup(&req->arena, PQgetvalue(res, 0, 3));
    const char *state = PQgetvalue(res, 0, 6);
    const char *job_state = pg_value(res, 0, 8);
    bool job_active =
        job_state && (strcmp(job_state, "queued") == 0 || strcmp(job_state, "running") == 0);
    if (strcmp(state, "ready") == 0 && d->how == DOC_ANSWER_STATUS) {
        respond_ready(req, d, res);
        return;
    }
    if (strcmp(state, "ready") == 0 && !PQgetisnull(res, 0, 10)) {
        respond_pdf(req, d, res);
        return;
    }
    if (job_active) {
        respond_pending(req, d->document_id, job_state, pg_value(res, 0, 9), pg_value(res, 0, 12));
        return;
    }
    if (strcmp(state, "failed") == 0) {
        respond_failed(req, d, pg_value(res, 0, 7));
        return;
    }
    if (job_state && strcmp(job_state, "dead") == 0) {
        respond_failed(req, d, pg_value(res, 0, 12));
        return;
    }
    /* pending with no job (or a done job: its commit is being retried). */
    if (job_state == NULL) {
        api_txn_begin(req, relink_begun);
        return;
    }
    respond_pending(req, d->document_id, job_state, pg_value(res, 0, 9), pg_value(res, 0, 12));
}

static void doc_lookup(struct http_request *req)
{
    struct doc_req *d = req->ctx;
    const char **v = arena_alloc(&req->arena, sizeof(*v) * 5);
    v[0] = d->subject_id;
    v[1] = d->cand;
    v[2] = d->meta;
    v[3] = d->info->name;
    v[4] = d->info->subject_type;
    struct pg_params *p = arena_calloc(&req->arena, sizeof(*p));
    p->n = 5;
    p->values = v;
    p->result_format = 1; /* the file's bytes raw; the other columns are text */
    const char *sql = arena_printf(
        &req->arena,
        "WITH s AS (%s), i AS (SELECT document_input($4, $5, s.id) || jsonb_build_object('meta', "
        "$3::jsonb) AS input FROM s WHERE s.ok), h AS (SELECT document_input_hash(input) AS hash "
        "FROM i WHERE input IS NOT NULL) "
        "SELECT CASE WHEN s.ok THEN 't' ELSE 'f' END, s.state, h.hash::text, d.id::text, "
        "d.filename, d.docno, d.state, d.error, j.state, j.attempts::text, %s, "
        "f.sha256::text, j.last_error, s.code, s.why FROM s LEFT JOIN h ON true LEFT JOIN "
        "documents d ON d.subject_type = $5 AND d.subject_id = s.id AND d.kind = $4 AND "
        "d.input_hash = h.hash LEFT JOIN jobs j ON j.id = d.job_id LEFT JOIN files f ON f.id = "
        "d.file_id AND d.state = 'ready'",
        d->ep->subject_sql, d->how == DOC_ANSWER_FILE ? "f.data" : "NULL::bytea");
    api_query_params(req, sql, p, looked_up);
}

void doc_api_request(struct http_request *req, const struct doc_endpoint *ep,
                     const char *subject_id, int64_t candidate_id, enum doc_answer how,
                     const char *extra)
{
    struct doc_req *d = arena_calloc(&req->arena, sizeof(*d));
    d->ep = ep;
    d->info = doc_kind_info(ep->kind);
    d->how = how;
    d->extra = extra;
    d->subject_id = subject_id;
    d->cand = arena_printf(&req->arena, "%" PRId64, candidate_id);
    json_t *meta = doc_meta_json(&req->srv->cfg);
    char *text = json_dumps(meta, JSON_COMPACT);
    d->meta = arena_strdup(&req->arena, text);
    free(text);
    json_decref(meta);
    req->ctx = d;
    doc_lookup(req);
}

/* ---- GET /api/v1/me/orders/{no}/receipt.pdf ---- */

static void receipt_authed(struct http_request *req, const struct api_session *s)
{
    doc_api_request(req, &receipt_endpoint, http_param(req, 0), s->candidate_id, DOC_ANSWER_FILE,
                    NULL);
}

static void receipt_get(struct http_request *req)
{
    if (!pay_order_no_valid(http_param(req, 0))) {
        http_respond_error(req, 400, "ORDER_NO_MALFORMED", "订单号格式不正确", "no");
        return;
    }
    api_auth_require_verified(req, receipt_authed);
}

/* ---- GET /api/v1/me/applications/{id}/graduate-form.pdf ---- */

static void graduate_form_authed(struct http_request *req, const struct api_session *s)
{
    doc_api_request(req, &doc_graduate_form_endpoint, http_param(req, 0), s->candidate_id,
                    DOC_ANSWER_FILE, NULL);
}

static void graduate_form_get(struct http_request *req)
{
    const char *id = api_id_param(req, 0, doc_graduate_form_endpoint.not_found_code,
                                  doc_graduate_form_endpoint.not_found_message, NULL);
    if (id == NULL)
        return;
    api_auth_require_verified(req, graduate_form_authed);
}

static const struct route documents_routes[] = {
    {"GET", "/api/v1/me/orders/{no}/receipt.pdf", receipt_get, 0, NULL},
    {"GET", "/api/v1/me/applications/{id}/graduate-form.pdf", graduate_form_get, 0, NULL},
};

const struct api_module api_documents_module = {.name = "documents", API_ROUTES(documents_routes)};
