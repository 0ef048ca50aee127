/*
 * staff_site.c - what the province office runs on the site (issue 17, item
 * 6), and what candidates read of it. Owns the routes; the rows and every
 * refusal of their state are schema/0026_site_content.sql's, every change is
 * in the trail.
 *
 * Staff (province; auditors read, district offices edit their own office):
 *   GET/POST      /api/v1/staff/windows            business windows; create
 *   PATCH/DELETE  /api/v1/staff/windows/{id}       dates and name; delete an unused one
 *   GET/POST      /api/v1/staff/notices            通知公告 and 报考简章, drafts too; create
 *   GET/PATCH/DELETE /api/v1/staff/notices/{id}    one; edit; delete a draft
 *   POST          /api/v1/staff/notices/{id}/publish | unpublish
 *   POST          /api/v1/staff/notices/{id}/files?name=   a PDF (raw body, sniffed)
 *   GET/DELETE    /api/v1/staff/notices/{id}/files/{file}
 *   GET/PUT/DELETE /api/v1/staff/banner            the site banner
 *   GET           /api/v1/staff/districts          the offices in the caller's scope
 *   PUT           /api/v1/staff/districts/{code}/office
 * Public:
 *   GET /api/v1/notices, /api/v1/notices/{id}, /api/v1/notices/{id}/files/{file}
 *   GET /api/v1/banner
 *
 * Windows are checked with zikaoctl's rules: the kinds and terms of
 * shared/window_kinds.c here, the dates and overlaps by 0011's table
 * (staff_window_save). Offices with shared/district_office.c's rules, as
 * `zikaoctl districts import` checks them.
 */
#include "api.h"
#include "api_util.h"
#include "district_office.h"
#include "documents/documents.h"
#include "server.h"
#include "sniff.h"
#include "staff_auth.h"
#include "validate.h"
#include "window_kinds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The route parameter i when it is an id (digits), else NULL after answering
 * 404 code/message. */

/* An optional string field of at most max bytes: NULL when absent or null
 * (*ok true), NULL with *ok false after answering 422. */
static const char *opt_field(struct http_request *req, json_t *body, const char *name, size_t max,
                             bool *ok)
{
    json_t *v = json_object_get(body, name);
    *ok = true;
    if (v == NULL || json_is_null(v))
        return NULL;
    const char *s = api_field_opt(req, body, name, max);
    *ok = s != NULL;
    return s;
}

/* Answers a statement's JSON text with 200. */
static void json_ok(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (!api_db_failed(req, r))
        api_db_json_text(req, r, 200);
}

/* ---- business windows --------------------------------------------------------------------- */

#define WINDOW_404 "没有这个业务时间窗口，请刷新列表"

/* How a term of this style is written, in Chinese. */
static const char *term_words(enum window_term t)
{
    return t == WINDOW_TERM_SITTING ? "考试年月 YYYY-MM，例如 2027-04"
                                    : "YYYY-1（上半年）或 YYYY-2（下半年），例如 2026-2";
}

static void windows_list_authed(struct http_request *req, const struct staff_ctx *st)
{
    (void)st;
    json_t *kinds = json_array();
    for (size_t i = 0; i < window_kinds_count; i++)
        json_array_append_new(
            kinds, json_pack("{s:s, s:s, s:s, s:s}", "kind", window_kinds[i].kind, "name",
                             window_kinds[i].name, "term",
                             window_kinds[i].term == WINDOW_TERM_SITTING ? "sitting" : "half_year",
                             "term_format", term_words(window_kinds[i].term)));
    char *text = json_dumps(kinds, JSON_COMPACT);
    json_decref(kinds);
    const char *values[] = {arena_strdup(&req->arena, text ? text : "[]")};
    free(text);
    staff_json_query(req, 200,
                     "SELECT json_build_object('kinds', $1::json, 'windows', coalesce((SELECT "
                     "json_agg(site_window_json(w) ORDER BY w.starts_at DESC, w.kind) FROM "
                     "windows w), '[]'))::text",
                     1, values);
}

static void windows_list_get(struct http_request *req)
{
    staff_require(req, STAFF_PROVINCE, windows_list_authed);
}

/* A window's name when given: not blank, at most 60 characters. */
static bool window_name_ok(struct http_request *req, const char *name)
{
    long n = name ? validate_utf8_length(name) : 0;
    if (name != NULL && (name[strspn(name, " \t")] == '\0' || n < 1 || n > 60)) {
        api_reject(req, "FIELD_INVALID", "窗口名称应为 1 到 60 个字", "name");
        return false;
    }
    return true;
}

static void windows_create_authed(struct http_request *req, const struct staff_ctx *st)
{
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    const char *kind = api_field_str(req, body, "kind", 40);
    const char *term = kind ? api_field_str(req, body, "term", 10) : NULL;
    const char *starts = term ? api_field_str(req, body, "starts_at", 40) : NULL;
    const char *ends = starts ? api_field_str(req, body, "ends_at", 40) : NULL;
    bool ok = false;
    const char *name = ends ? opt_field(req, body, "name", 240, &ok) : NULL;
    json_decref(body);
    if (!ok)
        return;
    const struct window_kind *k = window_kind_find(kind);
    if (k == NULL) {
        api_reject(req, "WINDOW_KIND_UNKNOWN", "没有这种业务，请从列表中选择", "kind");
        return;
    }
    char made[256];
    if (window_default_name(k, term, made, sizeof(made)) < 0) {
        api_reject(req, "WINDOW_TERM_INVALID",
                   arena_printf(&req->arena, "%s的期次应写作%s", k->name, term_words(k->term)),
                   "term");
        return;
    }
    if (!window_name_ok(req, name))
        return;
    const char *values[] = {st->idtext, kind, name ? name : arena_strdup(&req->arena, made),
                            starts,     ends, staff_request_id(req),
                            term};
    staff_json_query(req, 201,
                     "SELECT json_build_object('window', staff_window_save($1::bigint, NULL, $2, "
                     "$7, $3, $4, $5, $6))::text",
                     7, values);
}

static void windows_create_post(struct http_request *req)
{
    staff_require(req, STAFF_PROVINCE | STAFF_ACT, windows_create_authed);
}

static void windows_edit_authed(struct http_request *req, const struct staff_ctx *st)
{
    const char *id = api_id_param(req, 0, "WINDOW_NOT_FOUND", WINDOW_404, "id");
    json_t *body = id ? api_json_body(req) : NULL;
    if (body == NULL)
        return;
    bool ok;
    const char *starts = opt_field(req, body, "starts_at", 40, &ok);
    const char *ends = ok ? opt_field(req, body, "ends_at", 40, &ok) : NULL;
    const char *name = ok ? opt_field(req, body, "name", 240, &ok) : NULL;
    json_decref(body);
    if (!ok || !window_name_ok(req, name))
        return;
    if (starts == NULL && ends == NULL && name == NULL) {
        api_reject(req, "FIELD_REQUIRED", "请填写要修改的开始时间、结束时间或名称", "starts_at");
        return;
    }
    const char *values[] = {st->idtext, id, name, starts, ends, staff_request_id(req)};
    staff_json_query(req, 200,
                     "SELECT json_build_object('window', staff_window_save($1::bigint, "
                     "$2::bigint, NULL, NULL, $3, $4, $5, $6))::text",
                     6, values);
}

static void windows_edit_patch(struct http_request *req)
{
    staff_require(req, STAFF_PROVINCE | STAFF_ACT, windows_edit_authed);
}

static void windows_delete_authed(struct http_request *req, const struct staff_ctx *st)
{
    const char *id = api_id_param(req, 0, "WINDOW_NOT_FOUND", WINDOW_404, "id");
    if (id == NULL)
        return;
    const char *values[] = {st->idtext, id, staff_request_id(req)};
    staff_json_query(req, 200, "SELECT staff_window_delete($1::bigint, $2::bigint, $3)::text", 3,
                     values);
}

static void windows_delete(struct http_request *req)
{
    staff_require(req, STAFF_PROVINCE | STAFF_ACT, windows_delete_authed);
}

/* ---- notices: the staff side ---------------------------------------------------------------- */

#define NOTICE_404 "没有这条公告，请刷新列表"
#define FILE_404   "没有这个附件，请刷新页面"

static void notices_list_authed(struct http_request *req, const struct staff_ctx *st)
{
    (void)st;
    staff_json_query(req, 200,
                     "SELECT json_build_object('notices', coalesce((SELECT json_agg(notice_json(n) "
                     "ORDER BY n.published_at DESC NULLS FIRST, n.id DESC) FROM notices n), "
                     "'[]'))::text",
                     0, NULL);
}

static void notices_list_get(struct http_request *req)
{
    staff_require(req, STAFF_PROVINCE, notices_list_authed);
}

static void notice_get_authed(struct http_request *req, const struct staff_ctx *st)
{
    (void)st;
    const char *id = api_id_param(req, 0, "NOTICE_NOT_FOUND", NOTICE_404, "id");
    if (id == NULL)
        return;
    const char *values[] = {id};
    staff_json_query(req, 200,
                     "SELECT json_build_object('notice', notice_json(n))::text FROM notices n "
                     "WHERE n.id = $1::bigint",
                     1, values);
}

static void notice_get(struct http_request *req)
{
    staff_require(req, STAFF_PROVINCE, notice_get_authed);
}

/* Reads kind, title and body (all required when creating); false after answering. */
static bool notice_fields(struct http_request *req, json_t *body, bool create, const char **kind,
                          const char **title, const char **text)
{
    bool ok;
    *kind = opt_field(req, body, "kind", 16, &ok);
    *title = ok ? opt_field(req, body, "title", 400, &ok) : NULL;
    *text = ok ? opt_field(req, body, "body", 80000, &ok) : NULL;
    if (!ok)
        return false;
    const char *missing = !create          ? NULL
                          : *kind == NULL  ? "kind"
                          : *title == NULL ? "title"
                          : *text == NULL  ? "body"
                                           : NULL;
    if (missing != NULL) {
        api_reject(req, "FIELD_REQUIRED",
                   strcmp(missing, "kind") == 0 ? "请选择类别（通知公告或报考简章）"
                   : strcmp(missing, "title") == 0 ? "请填写标题"
                                                   : "请填写正文",
                   missing);
        return false;
    }
    if (!create && *kind == NULL && *title == NULL && *text == NULL) {
        api_reject(req, "FIELD_REQUIRED", "请填写要修改的类别、标题或正文", "title");
        return false;
    }
    return true;
}

static void notice_create_authed(struct http_request *req, const struct staff_ctx *st)
{
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    const char *kind, *title, *text;
    bool ok = notice_fields(req, body, true, &kind, &title, &text);
    json_decref(body);
    if (!ok)
        return;
    const char *values[] = {st->idtext, kind, title, text, staff_request_id(req)};
    staff_json_query(req, 201,
                     "SELECT json_build_object('notice', staff_notice_save($1::bigint, NULL, $2, "
                     "$3, $4, $5))::text",
                     5, values);
}

static void notice_create_post(struct http_request *req)
{
    staff_require(req, STAFF_PROVINCE | STAFF_ACT, notice_create_authed);
}

static void notice_edit_authed(struct http_request *req, const struct staff_ctx *st)
{
    const char *id = api_id_param(req, 0, "NOTICE_NOT_FOUND", NOTICE_404, "id");
    json_t *body = id ? api_json_body(req) : NULL;
    if (body == NULL)
        return;
    const char *kind, *title, *text;
    bool ok = notice_fields(req, body, false, &kind, &title, &text);
    json_decref(body);
    if (!ok)
        return;
    const char *values[] = {st->idtext, id, kind, title, text, staff_request_id(req)};
    staff_json_query(req, 200,
                     "SELECT json_build_object('notice', staff_notice_save($1::bigint, "
                     "$2::bigint, $3, $4, $5, $6))::text",
                     6, values);
}

static void notice_edit_patch(struct http_request *req)
{
    staff_require(req, STAFF_PROVINCE | STAFF_ACT, notice_edit_authed);
}

static void notice_publish_set(struct http_request *req, const struct staff_ctx *st, bool publish)
{
    const char *id = api_id_param(req, 0, "NOTICE_NOT_FOUND", NOTICE_404, "id");
    if (id == NULL)
        return;
    const char *values[] = {st->idtext, id, publish ? "t" : "f", staff_request_id(req)};
    staff_json_query(req, 200,
                     "SELECT json_build_object('notice', staff_notice_publish($1::bigint, "
                     "$2::bigint, $3::bool, $4))::text",
                     4, values);
}

static void notice_publish_authed(struct http_request *req, const struct staff_ctx *st)
{
    notice_publish_set(req, st, true);
}

static void notice_unpublish_authed(struct http_request *req, const struct staff_ctx *st)
{
    notice_publish_set(req, st, false);
}

static void notice_publish_post(struct http_request *req)
{
    staff_require(req, STAFF_PROVINCE | STAFF_ACT, notice_publish_authed);
}

static void notice_unpublish_post(struct http_request *req)
{
    staff_require(req, STAFF_PROVINCE | STAFF_ACT, notice_unpublish_authed);
}

static void notice_delete_authed(struct http_request *req, const struct staff_ctx *st)
{
    const char *id = api_id_param(req, 0, "NOTICE_NOT_FOUND", NOTICE_404, "id");
    if (id == NULL)
        return;
    const char *values[] = {st->idtext, id, staff_request_id(req)};
    staff_json_query(req, 200, "SELECT staff_notice_delete($1::bigint, $2::bigint, $3)::text", 3,
                     values);
}

static void notice_delete(struct http_request *req)
{
    staff_require(req, STAFF_PROVINCE | STAFF_ACT, notice_delete_authed);
}

/* ---- notices: attachments ------------------------------------------------------------------- */

/* The upload's bound, before the body is read: [staff] notice_file_max_bytes. */
static size_t file_limit(struct http_request *req)
{
    int max = req->srv->cfg.staff_notice_file_max_bytes;
    req->body_limit_message =
        max % 1048576 == 0
            ? arena_printf(&req->arena, "附件不能超过 %d MB，请压缩后重新上传", max / 1048576)
            : arena_printf(&req->arena, "附件不能超过 %d KB，请压缩后重新上传", max / 1024);
    return (size_t)max;
}

/*
 * The attachment's name from ?name=: the last part of a path, UTF-8 without
 * control characters, ending in .pdf (added when it does not; .PDF becomes
 * .pdf), at most 100 characters. NULL after answering 422.
 */
static const char *file_name(struct http_request *req)
{
    const char *raw = http_query_get(req, "name");
    if (raw != NULL) {
        const char *slash = strrchr(raw, '/');
        const char *back = strrchr(raw, '\\');
        raw = back > slash ? back + 1 : slash ? slash + 1 : raw;
    }
    if (raw == NULL || raw[0] == '\0')
        return api_reject(req, "FIELD_REQUIRED", "请给附件一个文件名（name）", "name");
    for (const unsigned char *p = (const unsigned char *)raw; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '"')
            return api_reject(req, "FIELD_INVALID", "文件名中不能有引号或控制字符", "name");
    size_t n = strlen(raw);
    bool has_ext = n > 4 && strcasecmp(raw + n - 4, ".pdf") == 0;
    char *name = has_ext ? arena_printf(&req->arena, "%.*s.pdf", (int)(n - 4), raw)
                         : arena_printf(&req->arena, "%s.pdf", raw);
    long chars = validate_utf8_length(name);
    if (chars < 0 || chars > 100)
        return api_reject(req, "FIELD_INVALID", "文件名应为 UTF-8，最多 100 个字", "name");
    return name;
}

static void file_added(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (!staff_db_failed(req, r))
        api_db_json_text(req, r, 201);
}

static void file_add_authed(struct http_request *req, const struct staff_ctx *st)
{
    const char *id = api_id_param(req, 0, "NOTICE_NOT_FOUND", NOTICE_404, "id");
    if (id == NULL)
        return;
    const char *ct = http_header_get(req, "Content-Type");
    if (ct == NULL || strncasecmp(ct, "application/pdf", 15) != 0) {
        http_respond_error(req, 415, "FILE_TYPE_UNSUPPORTED",
                           "附件须为 PDF 文件（Content-Type: application/pdf）", "file");
        return;
    }
    if (req->body_len == 0) {
        api_reject(req, "FILE_EMPTY", "没有收到文件内容，请重新选择文件", "file");
        return;
    }
    const char *actual = sniff_type(req->body, req->body_len);
    if (actual == NULL || strcmp(actual, SNIFF_PDF) != 0) {
        http_respond_error(req, 415, "FILE_TYPE_UNSUPPORTED",
                           "文件内容不是 PDF，请另存为 PDF 后上传", "file");
        return;
    }
    const char *name = file_name(req);
    if (name == NULL)
        return;
    const char **values = arena_alloc(&req->arena, sizeof(*values) * 6);
    int *lengths = arena_calloc(&req->arena, sizeof(*lengths) * 6);
    int *formats = arena_calloc(&req->arena, sizeof(*formats) * 6);
    values[0] = st->idtext;
    values[1] = id;
    values[2] = name;
    values[3] = req->body; /* binary: PostgreSQL hashes it, not the loop */
    lengths[3] = (int)req->body_len;
    formats[3] = 1;
    values[4] = arena_printf(&req->arena, "%d", req->srv->cfg.staff_notice_files_max);
    values[5] = staff_request_id(req);
    struct pg_params *p = arena_calloc(&req->arena, sizeof(*p));
    p->n = 6;
    p->values = values;
    p->lengths = lengths;
    p->formats = formats;
    api_query_params(req,
                     "SELECT json_build_object('notice', staff_notice_file_add($1::bigint, "
                     "$2::bigint, $3, $4, $5::int, $6))::text",
                     p, file_added);
}

static void file_add_post(struct http_request *req)
{
    staff_require(req, STAFF_PROVINCE | STAFF_ACT, file_add_authed);
}

static void file_delete_authed(struct http_request *req, const struct staff_ctx *st)
{
    const char *id = api_id_param(req, 0, "NOTICE_NOT_FOUND", NOTICE_404, "id");
    const char *file = id ? api_id_param(req, 1, "FILE_NOT_FOUND", FILE_404, "id") : NULL;
    if (file == NULL)
        return;
    const char *values[] = {st->idtext, id, file, staff_request_id(req)};
    staff_json_query(req, 200,
                     "SELECT json_build_object('notice', staff_notice_file_delete($1::bigint, "
                     "$2::bigint, $3::bigint, $4))::text",
                     4, values);
}

static void file_delete(struct http_request *req)
{
    staff_require(req, STAFF_PROVINCE | STAFF_ACT, file_delete_authed);
}

/* Answers a download: row 0 is (name, data binary). */
static void file_loaded(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (!api_db_row(req, r, 404, "FILE_NOT_FOUND", FILE_404, "file"))
        return;
    const char *name = PQgetvalue(r->res, 0, 0);
    char *disposition = arena_alloc(&req->arena, 1024);
    if (doc_content_disposition(disposition, 1024, "notice.pdf", name) < 0)
        snprintf(disposition, 1024, "attachment; filename=\"notice.pdf\"");
    size_t len = (size_t)PQgetlength(r->res, 0, 1);
    char *data = arena_alloc(&req->arena, len ? len : 1);
    memcpy(data, PQgetvalue(r->res, 0, 1), len);
    http_response_header(req, "Content-Disposition", disposition);
    http_response_header(req, "Cache-Control", "no-cache");
    http_respond(req, 200, SNIFF_PDF, data, len);
}

/* Loads attachment file of notice id (published only, unless any). */
static void file_fetch(struct http_request *req, bool any)
{
    const char *id = api_id_param(req, 0, "FILE_NOT_FOUND", FILE_404, "id");
    const char *file = id ? api_id_param(req, 1, "FILE_NOT_FOUND", FILE_404, "id") : NULL;
    if (file == NULL)
        return;
    const char **values = arena_alloc(&req->arena, sizeof(*values) * 3);
    values[0] = id;
    values[1] = file;
    values[2] = any ? "t" : "f";
    struct pg_params *p = arena_calloc(&req->arena, sizeof(*p));
    p->n = 3;
    p->values = values;
    p->result_format = 1;
    api_query_params(req,
                     "SELECT f.name, f.data FROM notice_files f JOIN notices n ON n.id = "
                     "f.notice_id WHERE f.id = $2::bigint AND n.id = $1::bigint AND ($3::bool OR "
                     "n.published_at IS NOT NULL)",
                     p, file_loaded);
}

static void staff_file_authed(struct http_request *req, const struct staff_ctx *st)
{
    (void)st;
    file_fetch(req, true);
}

static void staff_file_get(struct http_request *req)
{
    staff_require(req, STAFF_PROVINCE, staff_file_authed);
}

/* ---- notices: the public side -------------------------------------------------------------- */

static void public_list_get(struct http_request *req)
{
    const char *kind = http_query_get(req, "kind");
    const char *limit = http_query_get(req, "limit");
    if (kind != NULL && strcmp(kind, "notice") != 0 && strcmp(kind, "guide") != 0) {
        http_respond_error(req, 400, "FIELD_INVALID", "kind 应为 notice 或 guide", "kind");
        return;
    }
    if (limit != NULL && (strlen(limit) > 2 || strspn(limit, "0123456789") != strlen(limit) ||
                          atoi(limit) < 1 || atoi(limit) > 50)) {
        http_respond_error(req, 400, "FIELD_INVALID", "limit 应为 1 到 50", "limit");
        return;
    }
    const char *values[] = {kind, limit ? limit : "20"};
    api_query(req,
              "SELECT json_build_object('notices', coalesce(json_agg(json_build_object('id', "
              "n.id, 'kind', n.kind, 'title', n.title, 'published_at', zk_ts(n.published_at), "
              "'files', (SELECT count(*) FROM notice_files f WHERE f.notice_id = n.id)) ORDER BY "
              "n.published_at DESC, n.id DESC), '[]'))::text FROM (SELECT * FROM notices WHERE "
              "published_at IS NOT NULL AND ($1::text IS NULL OR kind = $1) ORDER BY "
              "published_at DESC, id DESC LIMIT $2::int) n",
              2, values, json_ok);
}

static void public_notice_row(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_row(req, r, 404, "NOTICE_NOT_FOUND", "没有这条公告，它可能已撤回", "id"))
        api_db_json_text(req, r, 200);
}

static void public_notice_get(struct http_request *req)
{
    const char *id = api_id_param(req, 0, "NOTICE_NOT_FOUND", "没有这条公告，它可能已撤回", "id");
    if (id == NULL)
        return;
    const char *values[] = {id};
    api_query(req,
              "SELECT json_build_object('notice', notice_json(n))::text FROM notices n WHERE "
              "n.id = $1::bigint AND n.published_at IS NOT NULL",
              1, values, public_notice_row);
}

static void public_file_get(struct http_request *req)
{
    file_fetch(req, false);
}

/* ---- the banner ------------------------------------------------------------------------ */

static void public_banner_get(struct http_request *req)
{
    api_query(req, "SELECT json_build_object('banner', site_banner_now())::text", 0, NULL, json_ok);
}

static void banner_get_authed(struct http_request *req, const struct staff_ctx *st)
{
    (void)st;
    staff_json_query(req, 200,
                     "SELECT json_build_object('banner', (SELECT site_banner_json(b) FROM "
                     "site_banner b), 'shown', site_banner_now() IS NOT NULL)::text",
                     0, NULL);
}

static void banner_get(struct http_request *req)
{
    staff_require(req, STAFF_PROVINCE, banner_get_authed);
}

static void banner_put_authed(struct http_request *req, const struct staff_ctx *st)
{
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    const char *kind = api_field_str(req, body, "kind", 16);
    const char *message = kind ? api_field_str(req, body, "message", 800) : NULL;
    bool ok = false;
    const char *link = message ? opt_field(req, body, "link", 200, &ok) : NULL;
    const char *starts = ok ? opt_field(req, body, "starts_at", 40, &ok) : NULL;
    const char *ends = ok ? opt_field(req, body, "ends_at", 40, &ok) : NULL;
    json_decref(body);
    if (!ok)
        return;
    const char *values[] = {st->idtext,           kind, message, link ? link : "", starts, ends,
                            staff_request_id(req)};
    staff_json_query(req, 200,
                     "SELECT json_build_object('banner', staff_banner_set($1::bigint, $2, $3, $4, "
                     "$5, $6, $7))::text",
                     7, values);
}

static void banner_put(struct http_request *req)
{
    staff_require(req, STAFF_PROVINCE | STAFF_ACT, banner_put_authed);
}

static void banner_delete_authed(struct http_request *req, const struct staff_ctx *st)
{
    const char *values[] = {st->idtext, staff_request_id(req)};
    staff_json_query(req, 200, "SELECT staff_banner_clear($1::bigint, $2)::text", 2, values);
}

static void banner_delete(struct http_request *req)
{
    staff_require(req, STAFF_PROVINCE | STAFF_ACT, banner_delete_authed);
}

/* ---- district offices -------------------------------------------------------------------- */

static void offices_list_authed(struct http_request *req, const struct staff_ctx *st)
{
    const char *values[] = {st->idtext, config_province_region(&req->srv->cfg)};
    staff_json_query(
        req, 200,
        "SELECT json_build_object('districts', coalesce(json_agg(site_office_json(d.code) "
        "ORDER BY d.code), '[]'))::text FROM regions d JOIN staff_scope sc ON sc.staff_id = "
        "$1::bigint AND (sc.all_offices OR sc.district = d.code) WHERE d.level = 'district' AND "
        "left(d.code, 2) = left($2, 2)",
        2, values);
}

static void offices_list_get(struct http_request *req)
{
    staff_require(req, STAFF_DISTRICT, offices_list_authed);
}

/* The fault of an office's texts in Chinese (shared/district_office.h). */
static const char *office_fault_words(struct http_request *req,
                                      const struct district_office_fault *f)
{
    const char *what = strcmp(f->field, "name") == 0      ? "名称"
                       : strcmp(f->field, "address") == 0 ? "地址"
                       : strcmp(f->field, "phone") == 0   ? "电话"
                       : strcmp(f->field, "hours") == 0   ? "办公时间"
                                                          : "备注";
    switch (f->problem) {
    case DISTRICT_OFFICE_UTF8:
    case DISTRICT_OFFICE_CONTROL:
        return arena_printf(&req->arena, "%s中有无法显示的字符，请重新输入", what);
    case DISTRICT_OFFICE_LENGTH:
        return arena_printf(&req->arena, "%s应为 %ld 到 %ld 个字（现在 %ld 个）", what, f->min,
                            f->max, f->got);
    case DISTRICT_OFFICE_PHONE_CHARS:
        return "电话只能写数字、空格和 - ( ) + /，多个号码之间用、或，分开";
    case DISTRICT_OFFICE_PHONE_DIGITS:
        return "电话应至少有一个 7 位以上的号码";
    }
    return "联系方式不正确";
}

static void office_put_authed(struct http_request *req, const struct staff_ctx *st)
{
    const char *code = http_param(req, 0);
    if (strlen(code) != 6 || strspn(code, "0123456789") != 6) {
        http_respond_error(req, 404, "DISTRICT_NOT_FOUND", "没有这个考籍管理区县", "code");
        return;
    }
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    const char *name = api_field_str(req, body, "name", 400);
    const char *address = name ? api_field_str(req, body, "address", 800) : NULL;
    const char *phone = address ? api_field_str(req, body, "phone", 240) : NULL;
    const char *hours = phone ? api_field_str(req, body, "hours", 400) : NULL;
    bool ok = false;
    const char *note = hours ? opt_field(req, body, "note", 1200, &ok) : NULL;
    json_decref(body);
    if (!ok)
        return;
    struct district_office_fault f;
    if (district_office_check(name, address, phone, hours, note ? note : "", &f) < 0) {
        api_reject(req, "FIELD_INVALID", office_fault_words(req, &f), f.field);
        return;
    }
    const char *values[] = {
        st->idtext, code, name, address, phone, hours, note ? note : "", staff_request_id(req)};
    staff_json_query(req, 200,
                     "SELECT staff_office_save($1::bigint, $2, $3, $4, $5, $6, $7, $8)::text", 8,
                     values);
}

static void office_put(struct http_request *req)
{
    staff_require(req, STAFF_DISTRICT | STAFF_ACT, office_put_authed);
}

static const struct route staff_site_routes[] = {
    {"GET", "/api/v1/staff/windows", windows_list_get, 0, NULL},
    {"POST", "/api/v1/staff/windows", windows_create_post, 4096, NULL},
    {"PATCH", "/api/v1/staff/windows/{id}", windows_edit_patch, 4096, NULL},
    {"DELETE", "/api/v1/staff/windows/{id}", windows_delete, 0, NULL},
    {"GET", "/api/v1/staff/notices", notices_list_get, 0, NULL},
    {"POST", "/api/v1/staff/notices", notice_create_post, 128 * 1024, NULL},
    {"GET", "/api/v1/staff/notices/{id}", notice_get, 0, NULL},
    {"PATCH", "/api/v1/staff/notices/{id}", notice_edit_patch, 128 * 1024, NULL},
    {"DELETE", "/api/v1/staff/notices/{id}", notice_delete, 0, NULL},
    {"POST", "/api/v1/staff/notices/{id}/publish", notice_publish_post, 1024, NULL},
    {"POST", "/api/v1/staff/notices/{id}/unpublish", notice_unpublish_post, 1024, NULL},
    {"POST", "/api/v1/staff/notices/{id}/files", file_add_post, 0, file_limit},
    {"GET", "/api/v1/staff/notices/{id}/files/{file}", staff_file_get, 0, NULL},
    {"DELETE", "/api/v1/staff/notices/{id}/files/{file}", file_delete, 0, NULL},
    {"GET", "/api/v1/staff/banner", banner_get, 0, NULL},
    {"PUT", "/api/v1/staff/banner", banner_put, 4096, NULL},
    {"DELETE", "/api/v1/staff/banner", banner_delete, 0, NULL},
    {"GET", "/api/v1/staff/districts", offices_list_get, 0, NULL},
    {"PUT", "/api/v1/staff/districts/{code}/office", office_put, 4096, NULL},
    {"GET", "/api/v1/notices", public_list_get, 0, NULL},
    {"GET", "/api/v1/notices/{id}", public_notice_get, 0, NULL},
    {"GET", "/api/v1/notices/{id}/files/{file}", public_file_get, 0, NULL},
    {"GET", "/api/v1/banner", public_banner_get, 0, NULL},
};

const struct api_module api_staff_site_module = {.name = "staff-site",
                                                 API_ROUTES(staff_site_routes)};
