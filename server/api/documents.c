/*
 * documents.c - downloads of rendered documents (PDF): GET
 * /api/v1/me/orders/{no}/receipt.pdf, the receipt of a paid order.
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
 * state) is per endpoint, the rest is shared so that the application flows'
 * documents can use it when they come.
 */
#include "api.h"
#include "queue.h"
#include "api_auth.h"
#include "api_txn.h"
#include "documents.h"
#include "log.h"
#include "pay_proto.h"
#include "server.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What one download endpoint serves. */
struct doc_endpoint {
    enum doc_kind kind;
    /* The subject as "s" (id text, ok bool, state text) for $1 = subject id,
     * $2 = candidate id: no row when it is not the candidate's. */
    const char *subject_sql;
    const char *not_found_code, *not_found_message;
    const char *not_ready_code, *not_ready_message; /* ok is false */
};

static const struct doc_endpoint receipt_endpoint = {
    DOC_RECEIPT,
    "SELECT order_no AS id, state = 'paid' AS ok, state FROM orders WHERE order_no = $1 AND "
    "candidate_id = $2::bigint",
    "ORDER_NOT_FOUND",
    "没有这个订单",
    "ORDER_NOT_PAID",
    "订单尚未支付，支付完成后才能下载缴费凭证",
};

#define DOC_RETRY_AFTER "1"
#define DOC_MAX_ROUNDS  3

struct doc_req {
    const struct doc_endpoint *ep;
    const struct doc_kind_info *info;
    const char *subject_id;
    const char *cand;
    const char *meta; /* JSON text */
    const char *hash;
    const char *document_id; /* existing row (pending without a job), or the new one */
    int rounds;
};

static void doc_lookup(struct http_request *req);

/* ---- answers ---- */

static void respond_pending(struct http_request *req, const char *document_id,
                            const char *job_state, const char *attempts, const char *last_error)
{
    json_t *job = json_pack("{s:s, s:I, s:o}", "state", job_state ? job_state : "queued",
                            "attempts", (json_int_t)(attempts ? strtoll(attempts, NULL, 10) : 0),
                            "last_error", last_error ? json_string(last_error) : json_null());
    http_response_header(req, "Retry-After", DOC_RETRY_AFTER);
    http_response_header(req, "Cache-Control", "no-store");
    http_respond_json(req, 202,
                      json_pack("{s:s, s:i, s:I, s:o}", "state", "pending", "retry_after",
                                atoi(DOC_RETRY_AFTER), "document_id",
                                (json_int_t)strtoll(document_id, NULL, 10), "job", job));
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
 * 10 file data, 11 file sha256, 12 job last error. Binary results: every
 * column but the file's bytes is text. */
static void looked_up(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    struct doc_req *d = req->ctx;
    const PGresult *res = r->res;
    if (PQntuples(res) == 0) {
        http_respond_error(req, 404, d->ep->not_found_code, d->ep->not_found_message, "no");
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        http_respond_error(req, 409, d->ep->not_ready_code, d->ep->not_ready_message, "no");
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
        "d.filename, d.docno, d.state, d.error, j.state, j.attempts::text, f.data, "
        "f.sha256::text, j.last_error FROM s LEFT JOIN h ON true LEFT JOIN documents d ON "
        "d.subject_type = $5 AND d.subject_id = s.id AND d.kind = $4 AND d.input_hash = h.hash "
        "LEFT JOIN jobs j ON j.id = d.job_id LEFT JOIN files f ON f.id = d.file_id AND d.state "
        "= 'ready'",
        d->ep->subject_sql);
    api_query_params(req, sql, p, looked_up);
}

static void doc_download(struct http_request *req, const struct doc_endpoint *ep,
                         const struct api_session *s)
{
    struct doc_req *d = arena_calloc(&req->arena, sizeof(*d));
    d->ep = ep;
    d->info = doc_kind_info(ep->kind);
    d->subject_id = http_param(req, 0);
    d->cand = arena_printf(&req->arena, "%" PRId64, s->candidate_id);
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
    doc_download(req, &receipt_endpoint, s);
}

static void receipt_get(struct http_request *req)
{
    if (!pay_order_no_valid(http_param(req, 0))) {
        http_respond_error(req, 400, "ORDER_NO_MALFORMED", "订单号格式不正确", "no");
        return;
    }
    api_auth_require_verified(req, receipt_authed);
}

static const struct route documents_routes[] = {
    {"GET", "/api/v1/me/orders/{no}/receipt.pdf", receipt_get, 0, NULL},
};

const struct api_module api_documents_module = {.name = "documents", API_ROUTES(documents_routes)};
