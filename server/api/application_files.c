/*
 * application_files.c - the files a candidate attaches to an application,
 * in the slots its kind, province and level ask for (application_slots,
 * schema/0023_application_files.sql): Shanxi's zip of old-plan card scans,
 * Tianjin's supporting material.
 *
 *   GET    /api/v1/me/applications/{id}/files              the slots (title, hint,
 *                                                          limits) and their files
 *                                                          (state, reason, a zip's entries)
 *   PUT    /api/v1/me/applications/{id}/files/{slot}       raw body: application/zip or
 *                                                          image/jpeg as the slot takes
 *   GET    /api/v1/me/applications/{id}/files/{slot}/{n}   the file
 *   DELETE /api/v1/me/applications/{id}/files/{slot}/{n}
 *
 * Verified candidates only, their own applications only (another's is 404).
 * Adding and deleting need a draft inside its window (the engine's answers,
 * applications.h). An upload's bytes are sniffed; the body is bounded by
 * [attachments] zip_max_bytes before it is read, then by the slot. The file
 * is stored 'checking' with its check job in one transaction (the outbox):
 * the `archive` queue for a zip, the `photo` queue for a JPEG; the worker
 * writes accepted or refused with a reason. Uploads per candidate are rate
 * limited ([attachments] uploads_per_hour). Owns nothing past a request.
 */
#include "api.h"
#include "api_auth.h"
#include "api_txn.h"
#include "api_util.h"
#include "applications.h"
#include "log.h"
#include "queue.h"
#include "server.h"
#include "sniff.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct files_req {
    const char *cand;    /* the candidate's id, as text */
    const char *app;     /* the application's id (path) */
    const char *slot;    /* the slot (path) */
    const char *accepts; /* PUT: what the bytes are, zip or jpeg */
    const char *content_type;
    int64_t file_id; /* PUT: the application file added */
    int seq;
};

static struct files_req *files_of(struct http_request *req, const struct api_session *s)
{
    struct files_req *f = arena_calloc(&req->arena, sizeof(*f));
    f->cand = arena_printf(&req->arena, "%" PRId64, s->candidate_id);
    f->app = http_param(req, 0);
    f->slot = req->nparams > 1 ? http_param(req, 1) : NULL;
    req->ctx = f;
    return f;
}

/* Bytes in words: "20 MB", "500 KB". */
static const char *size_words(struct http_request *req, long long bytes)
{
    if (bytes >= 1048576 && bytes % 1048576 == 0)
        return arena_printf(&req->arena, "%lld MB", bytes / 1048576);
    if (bytes >= 1024 && bytes % 1024 == 0)
        return arena_printf(&req->arena, "%lld KB", bytes / 1024);
    return arena_printf(&req->arena, "%lld 字节", bytes);
}

/* The answer to a refusal of the files' functions or the engine's; false
 * when r is neither. */
static bool files_refused(struct http_request *req, const struct pg_result *r)
{
    if (r->error != PG_ERR_QUERY || strncmp(r->sqlstate, "ZKF", 3) != 0)
        return application_refused(req, r);
    const char *detail = r->res ? PQresultErrorField(r->res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    detail = detail != NULL ? arena_strdup(&req->arena, detail) : "";
    switch (r->sqlstate[4]) {
    case '1':
        http_respond_error(req, 404, "SLOT_NOT_FOUND",
                           "这份申请不需要上传这一项材料（材料项目随申请的专业层次而定），请刷新"
                           "页面查看需要上传的材料",
                           "slot");
        break;
    case '2':
        http_respond_error(req, 415, "FILE_TYPE_NOT_ACCEPTED",
                           strcmp(detail, "zip") == 0
                               ? "这一项须上传 ZIP 压缩包（把扫描件打包成 .zip 文件）"
                               : "这一项须上传 JPG 格式的图片",
                           "file");
        break;
    case '3':
        http_respond_error(req, 413, "FILE_TOO_LARGE",
                           arena_printf(&req->arena,
                                        "这一项每个文件不能超过 %s，请压缩或降低扫描分辨率后"
                                        "重新上传",
                                        size_words(req, atoll(detail))),
                           "file");
        break;
    case '4':
        http_respond_error(req, 409, "SLOT_FULL",
                           arena_printf(&req->arena,
                                        "这一项最多上传 %s 个文件，已经传满；请先删除不需要的"
                                        "文件再上传",
                                        detail),
                           "slot");
        break;
    default: /* '5' */
        http_respond_error(req, 404, "FILE_NOT_FOUND", "没有这个文件，请刷新页面查看", NULL);
        break;
    }
    return true;
}

/* The id, slot and place of the path, checked for form (404 otherwise). */
static bool files_path_ok(struct http_request *req)
{
    if (!application_id_ok(req))
        return false;
    if (req->nparams > 1) {
        const char *slot = http_param(req, 1);
        size_t n = strlen(slot);
        if (n == 0 || n > 32 || slot[0] < 'a' || slot[0] > 'z' ||
            strspn(slot, "abcdefghijklmnopqrstuvwxyz0123456789_") != n) {
            http_respond_error(req, 404, "SLOT_NOT_FOUND", "没有这一项材料", "slot");
            return false;
        }
    }
    if (req->nparams > 2) {
        const char *seq = http_param(req, 2);
        size_t n = strlen(seq);
        if (n == 0 || n > 2 || strspn(seq, "0123456789") != n || atoi(seq) < 1) {
            http_respond_error(req, 404, "FILE_NOT_FOUND", "没有这个文件，请刷新页面查看", NULL);
            return false;
        }
    }
    return true;
}

/* ---- GET .../files ----------------------------------------------------------------------- */

static void files_listed(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (!api_db_row(req, r, 404, "APPLICATION_NOT_FOUND", "没有这份申请", NULL))
        return;
    size_t len = (size_t)PQgetlength(r->res, 0, 0);
    char *body = arena_strndup(&req->arena, PQgetvalue(r->res, 0, 0), len);
    http_response_header(req, "Cache-Control", "no-store");
    http_respond(req, 200, "application/json; charset=utf-8", body, len);
}

static void files_list_authed(struct http_request *req, const struct api_session *s)
{
    struct files_req *f = files_of(req, s);
    const struct zk_config *cfg = &req->srv->cfg;
    const char *values[] = {
        f->app, f->cand, arena_printf(&req->arena, "%d", cfg->attach_zip_max_bytes),
        arena_printf(&req->arena,
                     "{\"max_entries\":%d,\"max_entry_bytes\":%d,\"max_total_bytes\":%d,"
                     "\"max_ratio\":%d}",
                     cfg->attach_zip_max_entries, cfg->attach_zip_max_entry_bytes,
                     cfg->attach_zip_max_total_bytes, cfg->attach_zip_max_ratio)};
    api_query(
        req,
        "SELECT json_build_object('application_id', a.id, 'kind', a.kind, 'state', a.state, "
        "'editable', a.state = 'draft' AND now() >= w.starts_at AND now() < w.ends_at, "
        "'slots', coalesce((SELECT json_agg(json_build_object("
        "'slot', s.slot, 'title', s.title, 'hint', s.hint, 'level', s.level, "
        "'accepts', s.accepts, 'content_type', CASE s.accepts WHEN 'zip' THEN 'application/zip' "
        "ELSE 'image/jpeg' END, 'required', s.required, 'max_files', s.max_files, "
        "'min_bytes', s.min_bytes, 'max_bytes', CASE s.accepts WHEN 'zip' THEN "
        "least(s.max_bytes, $3::int) ELSE s.max_bytes END, "
        "'zip', CASE s.accepts WHEN 'zip' THEN $4::json END, "
        "'files', coalesce((SELECT json_agg(json_build_object('seq', f.seq, 'state', f.state, "
        "'reason', f.reason, 'size', fl.size, 'content_type', fl.content_type, "
        "'uploaded_at', zk_ts(f.created_at), 'checked_at', zk_ts(f.checked_at), "
        "'entries', f.detail -> 'entries', 'rules', f.detail -> 'rules') ORDER BY f.seq) "
        "FROM application_files f JOIN files fl ON fl.id = f.file_id "
        "WHERE f.application_id = a.id AND f.slot = s.slot), '[]')) ORDER BY s.seq, s.slot) "
        "FROM application_slots_of(a.id) s), '[]'))::text "
        "FROM applications a JOIN windows w ON w.id = a.window_id "
        "WHERE a.id = $1::bigint AND a.candidate_id = $2::bigint",
        4, values, files_listed);
}

static void files_list(struct http_request *req)
{
    if (files_path_ok(req))
        api_auth_require_verified(req, files_list_authed);
}

/* ---- PUT .../files/{slot} -----------------------------------------------------------------
 *
 * file_put_authed   content type declared and sniffed
 * file_put_allowed  (the upload rate limit passed) the transaction
 * file_put_begun    application_file_add: checks, stores, places
 * file_put_added    the check job (archive or photo queue)
 * file_put_queued   COMMIT
 * file_put_done     answer 201
 */

/* The route's bound, before the body: the largest upload any slot takes. */
static size_t file_put_limit(struct http_request *req)
{
    const struct zk_config *cfg = &req->srv->cfg;
    const char *ct = http_header_get(req, "Content-Type");
    bool zip = ct != NULL && strncasecmp(ct, "application/", 12) == 0;
    req->body_limit_message =
        arena_printf(&req->arena,
                     zip ? "压缩包不能超过 %s，请降低扫描分辨率或删去无关文件后重新打包上传"
                         : "文件不能超过 %s，请压缩后重新上传",
                     size_words(req, cfg->attach_zip_max_bytes));
    return (size_t)cfg->attach_zip_max_bytes;
}

static void file_put_done(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct files_req *f = req->ctx;
    if (api_txn_fail(tx, r))
        return;
    log_msg(LOG_LEVEL_INFO, req->id,
            "candidate %s attached file %d to slot %s of application %s (%zu bytes)", f->cand,
            f->seq, f->slot, f->app, req->body_len);
    http_response_header(req, "Location",
                         arena_printf(&req->arena, "/api/v1/me/applications/%s/files/%s/%d", f->app,
                                      f->slot, f->seq));
    http_respond_json(req, 201,
                      json_pack("{s:s, s:i, s:s, s:I, s:s}", "slot", f->slot, "seq", f->seq,
                                "state", "checking", "size", (json_int_t)req->body_len,
                                "content_type", f->content_type));
}

static void file_put_queued(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    api_txn_commit(tx, file_put_done);
}

static void file_put_added(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct files_req *f = req->ctx;
    if (r->error != PG_OK && files_refused(req, r)) {
        api_txn_rollback(tx);
        return;
    }
    if (api_txn_fail(tx, r))
        return;
    f->file_id = strtoll(PQgetvalue(r->res, 0, 0), NULL, 10);
    f->seq = atoi(PQgetvalue(r->res, 0, 1));
    if (strcmp(f->accepts, "zip") == 0) {
        api_txn_add_job(
            tx, QUEUE_ARCHIVE,
            arena_printf(&req->arena, "{\"application_file_id\":%" PRId64 "}", f->file_id),
            file_put_queued);
        return;
    }
    /* A JPEG: the photo worker checks it against the slot's specification and sizes. */
    api_txn_add_job(tx, QUEUE_PHOTO,
                    arena_printf(&req->arena,
                                 "{\"application_file_id\":%" PRId64 ",\"spec\":\"%s\","
                                 "\"min_bytes\":%s,\"max_bytes\":%s}",
                                 f->file_id, PQgetvalue(r->res, 0, 2), PQgetvalue(r->res, 0, 3),
                                 PQgetvalue(r->res, 0, 4)),
                    file_put_queued);
}

static void file_put_begun(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct files_req *f = req->ctx;
    if (api_txn_fail(tx, r))
        return;
    /* The bytes go in binary; PostgreSQL computes the SHA-256 (not the loop). */
    const char **values = arena_alloc(&req->arena, sizeof(*values) * 6);
    int *lengths = arena_calloc(&req->arena, sizeof(*lengths) * 6);
    int *formats = arena_calloc(&req->arena, sizeof(*formats) * 6);
    values[0] = f->app;
    values[1] = f->cand;
    values[2] = f->slot;
    values[3] = f->accepts;
    values[4] = f->content_type;
    values[5] = req->body;
    lengths[5] = (int)req->body_len;
    formats[5] = 1;
    struct pg_params *p = arena_calloc(&req->arena, sizeof(*p));
    p->n = 6;
    p->values = values;
    p->lengths = lengths;
    p->formats = formats;
    api_txn_query_params(tx,
                         "SELECT id, seq, spec, min_bytes, max_bytes FROM application_file_add("
                         "$1::bigint, $2::bigint, $3, $4, $5, $6::bytea)",
                         p, file_put_added);
}

static void file_put_allowed(struct http_request *req)
{
    api_txn_begin(req, file_put_begun);
}

static void file_put_authed(struct http_request *req, const struct api_session *s)
{
    struct files_req *f = files_of(req, s);
    const char *ct = http_header_get(req, "Content-Type");
    const char *declared = NULL;
    bool zip = false;
    if (ct != NULL && (strncasecmp(ct, "application/zip", 15) == 0 ||
                       strncasecmp(ct, "application/x-zip-compressed", 28) == 0)) {
        declared = SNIFF_ZIP;
        zip = true;
    } else if (ct != NULL && strncasecmp(ct, "image/jpeg", 10) == 0) {
        declared = SNIFF_JPEG;
    }
    if (declared == NULL) {
        http_respond_error(req, 415, "FILE_TYPE_UNSUPPORTED",
                           "文件须为 ZIP 压缩包（Content-Type: application/zip）或 JPG 图片"
                           "（image/jpeg），按这一项的要求上传",
                           "file");
        return;
    }
    if (req->body_len == 0) {
        api_reject(req, "FILE_EMPTY", "没有收到文件内容，请重新选择文件上传", "file");
        return;
    }
    const char *actual = sniff_type(req->body, req->body_len);
    if (actual == NULL || strcmp(actual, declared) != 0) {
        http_respond_error(req, 415, "FILE_TYPE_MISMATCH",
                           zip ? "文件内容不是 ZIP 压缩包，请用压缩软件打包成 .zip 后上传"
                               : "文件内容不是 JPG 图片，请选择 JPG 格式的图片上传",
                           "file");
        return;
    }
    f->accepts = zip ? "zip" : "jpeg";
    f->content_type = declared;
    api_rate_limit(req, arena_printf(&req->arena, "rl:upload:%s", f->cand),
                   req->srv->cfg.attach_uploads_per_hour, 3600, "上传过于频繁，请稍后再试",
                   file_put_allowed);
}

static void file_put(struct http_request *req)
{
    if (files_path_ok(req))
        api_auth_require_verified(req, file_put_authed);
}

/* ---- GET .../files/{slot}/{n} ---------------------------------------------------------------- */

static void file_loaded(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct files_req *f = req->ctx;
    if (!api_db_row(req, r, 404, "FILE_NOT_FOUND", "没有这个文件，请刷新页面查看", NULL))
        return;
    size_t len = (size_t)PQgetlength(r->res, 0, 1);
    char *data = arena_alloc(&req->arena, len ? len : 1);
    memcpy(data, PQgetvalue(r->res, 0, 1), len);
    char *ct = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 0));
    http_response_header(req, "Cache-Control", "private, no-store");
    http_response_header(req, "Content-Disposition",
                         arena_printf(&req->arena, "attachment; filename=\"%s-%s.%s\"", f->slot,
                                      http_param(req, 2),
                                      strcmp(ct, SNIFF_ZIP) == 0 ? "zip" : "jpg"));
    http_respond(req, 200, ct, data, len);
}

static void file_get_authed(struct http_request *req, const struct api_session *s)
{
    struct files_req *f = files_of(req, s);
    const char **values = arena_alloc(&req->arena, sizeof(*values) * 4);
    values[0] = f->app;
    values[1] = f->cand;
    values[2] = f->slot;
    values[3] = http_param(req, 2);
    struct pg_params *p = arena_calloc(&req->arena, sizeof(*p));
    p->n = 4;
    p->values = values;
    p->result_format = 1; /* raw bytes, no hex text */
    api_query_params(req,
                     "SELECT fl.content_type, fl.data FROM applications a JOIN application_files "
                     "af ON af.application_id = a.id JOIN files fl ON fl.id = af.file_id "
                     "WHERE a.id = $1::bigint AND a.candidate_id = $2::bigint AND af.slot = $3 "
                     "AND af.seq = $4::int",
                     p, file_loaded);
}

static void file_get(struct http_request *req)
{
    if (files_path_ok(req))
        api_auth_require_verified(req, file_get_authed);
}

/* ---- DELETE .../files/{slot}/{n} ------------------------------------------------------------- */

static void file_deleted(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct files_req *f = req->ctx;
    if (files_refused(req, r) || api_db_failed(req, r))
        return;
    log_msg(LOG_LEVEL_INFO, req->id, "candidate %s deleted file %s of slot %s of application %s",
            f->cand, http_param(req, 2), f->slot, f->app);
    http_respond(req, 204, NULL, NULL, 0);
}

static void file_delete_authed(struct http_request *req, const struct api_session *s)
{
    struct files_req *f = files_of(req, s);
    const char *values[] = {f->app, f->cand, f->slot, http_param(req, 2)};
    api_query(req, "SELECT application_file_delete($1::bigint, $2::bigint, $3, $4::int)", 4, values,
              file_deleted);
}

static void file_delete(struct http_request *req)
{
    if (files_path_ok(req))
        api_auth_require_verified(req, file_delete_authed);
}

static const struct route application_files_routes[] = {
    {"GET", "/api/v1/me/applications/{id}/files", files_list, 0, NULL},
    {"PUT", "/api/v1/me/applications/{id}/files/{slot}", file_put, 0, file_put_limit},
    {"GET", "/api/v1/me/applications/{id}/files/{slot}/{n}", file_get, 0, NULL},
    {"DELETE", "/api/v1/me/applications/{id}/files/{slot}/{n}", file_delete, 0, NULL},
};

const struct api_module api_application_files_module = {.name = "application_files",
                                                        API_ROUTES(application_files_routes)};
