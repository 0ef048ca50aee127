/*
 * graduate_form.c - the 毕业生登记表 (graduate registration form) of a Shanxi
 * graduation application, filled in after the fee is paid (handbook 001
 * 六.8-10: 毕业登记信息填写, 个人简历, 保存并导出 PDF; the form may be changed
 * and exported as often as wanted):
 *
 *   GET  /api/v1/me/applications/{id}/graduate-form      the form: the fixed
 *        part (name, ID number, exam ID, major ... from the records and the
 *        application), the data (prefilled from the records until the first
 *        save), its version, whether it may still change
 *   PUT  /api/v1/me/applications/{id}/graduate-form      {version, data}: save
 *   POST /api/v1/me/applications/{id}/graduate-form/pdf  "保存并导出 PDF": saves
 *        {version, data} when given, then asks for the document of the saved
 *        form (doc_api.h): 200 when it was rendered before (same data, same
 *        document), else 202 while the `pdf` queue renders it; the PDF is
 *        downloaded with documents.c's GET .../graduate-form.pdf
 *
 * The data is validated here, each refusal naming its field ("resume[2].to")
 * and stored as validated (known members only, trimmed), so identical input
 * is identical JSON. Which application states have a form and which allow
 * changes is data (graduate_form_states, schema/0024_graduate_forms.sql,
 * with the save, the prefill and the document input); the form is not gated
 * by the application's window (the fee may be paid after it closed). Owns
 * nothing past a request.
 */
#include "api.h"
#include "api_auth.h"
#include "api_util.h"
#include "doc_api.h"
#include "log.h"
#include "server.h"
#include "validate.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GF_BODY_LIMIT          (32 * 1024) /* the longest form, every character escaped: ~22 KiB */
#define GF_RESUME_MIN          1
#define GF_RESUME_MAX          15
#define GF_SELF_ASSESSMENT_MAX 800 /* characters; empty: written by hand on the printout */

/* ---- the data and its rules ----------------------------------------------------------- */

enum gf_rule {
    GF_TEXT,     /* one line of text */
    GF_POSTCODE, /* six digits */
    GF_PHONE,    /* a mobile or landline number: digits and '-' */
    GF_EMAIL,
    GF_MONTH,   /* YYYY-MM */
    GF_CERT_NO, /* letters, digits, '-' */
};

/* The form's one-line fields (empty allowed: a blank cell), with their
 * limits in characters, chosen so that every value fits its cell. */
static const struct gf_field {
    const char *name, *label;
    size_t max;
    enum gf_rule rule;
} gf_fields[] = {
    {"ethnicity", "民族", 10, GF_TEXT},
    {"political_status", "政治面貌", 10, GF_TEXT},
    {"native_place", "籍贯", 20, GF_TEXT},
    {"work_unit", "工作单位", 40, GF_TEXT},
    {"address", "通讯地址", 60, GF_TEXT},
    {"postcode", "邮政编码", 6, GF_POSTCODE},
    {"phone", "联系电话", 20, GF_PHONE},
    {"email", "电子邮箱", 60, GF_EMAIL},
    {"prior_level", "前置学历", 10, GF_TEXT},
    {"prior_school", "前置学历毕业院校", 40, GF_TEXT},
    {"prior_major", "前置学历所学专业", 30, GF_TEXT},
    {"prior_graduated", "前置学历毕业时间", 7, GF_MONTH},
    {"prior_cert_no", "前置学历证书编号", 30, GF_CERT_NO},
};

/* A résumé row's text members. */
static const struct gf_field gf_resume_text[] = {
    {"where", "在何地何单位学习或工作", 60, GF_TEXT},
    {"role", "任何职务", 30, GF_TEXT},
    {"witness", "证明人", 20, GF_TEXT},
};

#define GF_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The first refusal: 422 with code, message and field. */
struct gf_refusal {
    const char *code, *message, *field;
};

static bool gf_refuse(struct http_request *req, struct gf_refusal *why, const char *code,
                      const char *field, const char *message)
{
    why->code = code;
    why->field = arena_strdup(&req->arena, field);
    why->message = message;
    return false;
}

/* s without leading and trailing ASCII white space, in the arena. */
static char *gf_trim(struct arena *a, const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    return arena_strndup(a, s, n);
}

/* True for "YYYY-MM" with a year 1900-2099 and a month 01-12. */
static bool gf_month(const char *s)
{
    if (strlen(s) != 7 || s[4] != '-')
        return false;
    for (int i = 0; i < 7; i++)
        if (i != 4 && !isdigit((unsigned char)s[i]))
            return false;
    int year = atoi(s), month = atoi(s + 5);
    return year >= 1900 && year <= 2099 && month >= 1 && month <= 12;
}

/* The text of member name of obj, checked against f and trimmed, into *out
 * ("" when absent or null). false after filling *why. */
static bool gf_text(struct http_request *req, const json_t *obj, const struct gf_field *f,
                    const char *path, const char *where, bool multiline, char **out,
                    struct gf_refusal *why)
{
    const json_t *v = json_object_get(obj, f->name);
    *out = "";
    if (v == NULL || json_is_null(v))
        return true;
    if (!json_is_string(v))
        return gf_refuse(req, why, "FIELD_INVALID", path,
                         arena_printf(&req->arena, "%s%s应为文字", where, f->label));
    char *s = gf_trim(&req->arena, json_string_value(v));
    if (multiline) {
        /* Line ends as "\n" only (a browser's textarea may send "\r\n"). */
        char *w = s;
        for (const char *p = s; *p; p++)
            if (*p != '\r')
                *w++ = *p;
        *w = '\0';
    }
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && !(multiline && *p == '\n')) || *p == 0x7f)
            return gf_refuse(
                req, why, "FIELD_INVALID", path,
                arena_printf(&req->arena, "%s%s含有控制字符，请重新输入", where, f->label));
    long chars = validate_utf8_length(s);
    if (chars < 0 || (size_t)chars > f->max)
        return gf_refuse(req, why, "FIELD_TOO_LONG", path,
                         arena_printf(&req->arena, "%s%s最多 %zu 个字", where, f->label, f->max));
    bool ok = true;
    const char *rule = NULL;
    if (*s != '\0') {
        switch (f->rule) {
        case GF_TEXT:
            break;
        case GF_POSTCODE:
            ok = strlen(s) == 6 && strspn(s, "0123456789") == 6;
            rule = "应为 6 位数字";
            break;
        case GF_PHONE:
            ok = strlen(s) >= 7 && isdigit((unsigned char)s[0]) &&
                 strspn(s, "0123456789-") == strlen(s);
            rule = "应为手机号或固定电话（数字和“-”）";
            break;
        case GF_EMAIL:
            ok = validate_email(s) == NULL;
            rule = "格式不正确";
            break;
        case GF_MONTH:
            ok = gf_month(s);
            rule = "应为年月，如 2016-07";
            break;
        case GF_CERT_NO:
            ok = strspn(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-") ==
                 strlen(s);
            rule = "只能包含字母、数字和“-”";
            break;
        }
    }
    if (!ok)
        return gf_refuse(req, why, "FIELD_INVALID", path,
                         arena_printf(&req->arena, "%s%s%s", where, f->label, rule));
    *out = s;
    return true;
}

/* One résumé row into a new object; false after filling *why. */
static bool gf_resume_row(struct http_request *req, const json_t *row, size_t i, json_t *out,
                          struct gf_refusal *why)
{
    char *where = arena_printf(&req->arena, "个人简历第 %zu 行：", i + 1);
    char *path = arena_printf(&req->arena, "resume[%zu]", i);
    if (!json_is_object(row))
        return gf_refuse(
            req, why, "FIELD_INVALID", path,
            arena_printf(&req->arena, "%s应为对象（from, to, where, role, witness）", where));
    const json_t *from = json_object_get(row, "from"), *to = json_object_get(row, "to");
    const char *f = json_string_value(from), *t = json_string_value(to);
    if (f == NULL || *f == '\0')
        return gf_refuse(req, why, "FIELD_REQUIRED", arena_printf(&req->arena, "%s.from", path),
                         arena_printf(&req->arena, "%s请填写起始年月（如 2013-09）", where));
    if (!gf_month(f))
        return gf_refuse(req, why, "FIELD_INVALID", arena_printf(&req->arena, "%s.from", path),
                         arena_printf(&req->arena, "%s起始年月应为年月，如 2013-09", where));
    if (t == NULL || *t == '\0')
        return gf_refuse(
            req, why, "FIELD_REQUIRED", arena_printf(&req->arena, "%s.to", path),
            arena_printf(&req->arena, "%s请填写终止年月（如 2016-07）或“至今”", where));
    bool now = strcmp(t, "至今") == 0;
    if (!now && !gf_month(t))
        return gf_refuse(
            req, why, "FIELD_INVALID", arena_printf(&req->arena, "%s.to", path),
            arena_printf(&req->arena, "%s终止年月应为年月（如 2016-07）或“至今”", where));
    if (!now && strcmp(f, t) > 0)
        return gf_refuse(req, why, "FIELD_INVALID", arena_printf(&req->arena, "%s.to", path),
                         arena_printf(&req->arena, "%s终止年月早于起始年月", where));
    json_object_set_new(out, "from", json_string(f));
    json_object_set_new(out, "to", json_string(t));
    for (size_t k = 0; k < GF_NELEM(gf_resume_text); k++) {
        const struct gf_field *tf = &gf_resume_text[k];
        char *text;
        if (!gf_text(req, row, tf, arena_printf(&req->arena, "%s.%s", path, tf->name), where, false,
                     &text, why))
            return false;
        if (k == 0 && *text == '\0')
            return gf_refuse(req, why, "FIELD_REQUIRED",
                             arena_printf(&req->arena, "%s.where", path),
                             arena_printf(&req->arena, "%s请填写在何地何单位学习或工作", where));
        json_object_set_new(out, tf->name, json_string(text));
    }
    return true;
}

/*
 * The form's data as stored: every known member (unknown ones are dropped),
 * text trimmed. NULL after filling *why with the first refusal.
 */
static json_t *gf_validate(struct http_request *req, const json_t *data, struct gf_refusal *why)
{
    json_t *out = json_object();
    for (size_t i = 0; i < GF_NELEM(gf_fields); i++) {
        char *text;
        if (!gf_text(req, data, &gf_fields[i], gf_fields[i].name, "", false, &text, why))
            goto fail;
        json_object_set_new(out, gf_fields[i].name, json_string(text));
    }
    const json_t *resume = json_object_get(data, "resume");
    if (resume == NULL || json_is_null(resume) ||
        (json_is_array(resume) && json_array_size(resume) < GF_RESUME_MIN)) {
        gf_refuse(req, why, "FIELD_REQUIRED", "resume", "请填写个人简历，至少一行");
        goto fail;
    }
    if (!json_is_array(resume)) {
        gf_refuse(req, why, "FIELD_INVALID", "resume", "个人简历应为按行排列的列表");
        goto fail;
    }
    if (json_array_size(resume) > GF_RESUME_MAX) {
        gf_refuse(req, why, "FIELD_TOO_LONG", "resume",
                  arena_printf(&req->arena, "个人简历最多 %d 行", GF_RESUME_MAX));
        goto fail;
    }
    json_t *rows = json_array();
    json_object_set_new(out, "resume", rows);
    for (size_t i = 0; i < json_array_size(resume); i++) {
        json_t *row = json_object();
        json_array_append_new(rows, row);
        if (!gf_resume_row(req, json_array_get(resume, i), i, row, why))
            goto fail;
    }
    static const struct gf_field self = {"self_assessment", "自我鉴定", GF_SELF_ASSESSMENT_MAX,
                                         GF_TEXT};
    char *text;
    if (!gf_text(req, data, &self, self.name, "", true, &text, why))
        goto fail;
    json_object_set_new(out, self.name, json_string(text));
    return out;
fail:
    json_decref(out);
    return NULL;
}

/* ---- requests -------------------------------------------------------------------------- */

struct gf_req {
    const char *id;   /* the application (path) */
    const char *cand; /* the candidate, as text */
    int64_t candidate_id;
    const char *version, *data; /* a save's */
    bool export_after;          /* POST .../pdf: the document after the save */
};

static struct gf_req *gf_of(struct http_request *req, const struct api_session *s)
{
    struct gf_req *g = arena_calloc(&req->arena, sizeof(*g));
    g->id = http_param(req, 0);
    g->candidate_id = s->candidate_id;
    g->cand = arena_printf(&req->arena, "%" PRId64, s->candidate_id);
    req->ctx = g;
    return g;
}

static bool gf_id_ok(struct http_request *req)
{
    if (api_id_param(req, 0, "APPLICATION_NOT_FOUND", "没有这份毕业申请的《毕业生登记表》", NULL) ==
        NULL)
        return false;
    return true;
}

/* The answer to a refusal of graduate_form_save (SQLSTATE ZKG.., the code in
 * HINT, the sentence in MESSAGE); false when r is not one. */
static bool gf_refused(struct http_request *req, const struct pg_result *r)
{
    if (r->error != PG_ERR_QUERY || r->res == NULL || strncmp(r->sqlstate, "ZKG", 3) != 0)
        return false;
    const char *code = PQresultErrorField(r->res, PG_DIAG_MESSAGE_HINT);
    const char *message = PQresultErrorField(r->res, PG_DIAG_MESSAGE_PRIMARY);
    int status = r->sqlstate[4] == '0' ? 404 : 409;
    http_respond_error(req, status, arena_strdup(&req->arena, code ? code : "CONFLICT"),
                       arena_strdup(&req->arena, message ? message : ""),
                       r->sqlstate[4] == '5' ? "version" : NULL);
    return true;
}

/* ---- GET ------------------------------------------------------------------------------- */

/* Columns: 0 ok, 1 code, 2 why, 3 the form's JSON (when ok). */
static void gf_read(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (!api_db_row(req, r, 404, "APPLICATION_NOT_FOUND", "没有这份毕业申请的《毕业生登记表》",
                    NULL))
        return;
    if (strcmp(PQgetvalue(r->res, 0, 0), "t") != 0) {
        http_respond_error(req, 409, arena_strdup(&req->arena, PQgetvalue(r->res, 0, 1)),
                           arena_strdup(&req->arena, PQgetvalue(r->res, 0, 2)), NULL);
        return;
    }
    size_t len = (size_t)PQgetlength(r->res, 0, 3);
    http_response_header(req, "Cache-Control", "no-store");
    http_respond(req, 200, "application/json; charset=utf-8",
                 arena_strndup(&req->arena, PQgetvalue(r->res, 0, 3), len), len);
}

static void gf_get_authed(struct http_request *req, const struct api_session *s)
{
    struct gf_req *g = gf_of(req, s);
    const char *values[] = {g->id, g->cand};
    api_query(req,
              "SELECT s.ok, s.code, s.why, CASE WHEN s.ok THEN graduate_form_json(s.id::bigint)"
              "::text END FROM graduate_form_status($1::bigint, $2::bigint, false) s",
              2, values, gf_read);
}

static void gf_get(struct http_request *req)
{
    if (gf_id_ok(req))
        api_auth_require_verified(req, gf_get_authed);
}

/* ---- PUT, and the save of POST .../pdf ---------------------------------------------------- */

/* Columns: 0 the form's JSON, 1 its version. */
static void gf_saved(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct gf_req *g = req->ctx;
    if (gf_refused(req, r))
        return;
    if (!api_db_row(req, r, 404, "APPLICATION_NOT_FOUND", "没有这份毕业申请的《毕业生登记表》",
                    NULL))
        return;
    if (g->export_after) {
        doc_api_request(req, &doc_graduate_form_endpoint, g->id, g->candidate_id, DOC_ANSWER_STATUS,
                        arena_printf(&req->arena, "{\"version\":%s}", PQgetvalue(r->res, 0, 1)));
        return;
    }
    size_t len = (size_t)PQgetlength(r->res, 0, 0);
    http_response_header(req, "Cache-Control", "no-store");
    http_respond(req, 200, "application/json; charset=utf-8",
                 arena_strndup(&req->arena, PQgetvalue(r->res, 0, 0), len), len);
}

/* Reads {version, data} from body, validates data and saves it. false after
 * answering. */
static bool gf_save(struct http_request *req, struct gf_req *g, json_t *body)
{
    const json_t *version = json_object_get(body, "version");
    const json_t *data = json_object_get(body, "data");
    if (version == NULL || json_is_null(version)) {
        api_reject(req, "FIELD_REQUIRED", "请提供 version（上次读到的版本，从未保存过为 0）",
                   "version");
        return false;
    }
    if (!json_is_integer(version) || json_integer_value(version) < 0 ||
        json_integer_value(version) > 1000000000) {
        api_reject(req, "FIELD_INVALID", "version 应为不小于 0 的整数（上次读到的版本）",
                   "version");
        return false;
    }
    if (!json_is_object(data)) {
        api_reject(req, "FIELD_INVALID", "data 应为对象（登记表的内容）", "data");
        return false;
    }
    struct gf_refusal why = {0};
    json_t *clean = gf_validate(req, data, &why);
    if (clean == NULL) {
        api_reject(req, why.code, why.message, why.field);
        return false;
    }
    char *text = json_dumps(clean, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(clean);
    g->data = arena_strdup(&req->arena, text ? text : "{}");
    free(text);
    g->version = arena_printf(&req->arena, "%lld", (long long)json_integer_value(version));
    const char *values[] = {g->id, g->cand, g->version, g->data};
    api_query(req,
              "SELECT graduate_form_json(f.application_id)::text, f.version FROM "
              "graduate_form_save($1::bigint, $2::bigint, $3::int, $4::jsonb) f",
              4, values, gf_saved);
    return true;
}

static void gf_put_authed(struct http_request *req, const struct api_session *s)
{
    struct gf_req *g = gf_of(req, s);
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    gf_save(req, g, body);
    json_decref(body);
}

static void gf_put(struct http_request *req)
{
    if (gf_id_ok(req))
        api_auth_require_verified(req, gf_put_authed);
}

/* ---- POST .../pdf: 保存并导出 PDF ----------------------------------------------------------- */

static void gf_pdf_authed(struct http_request *req, const struct api_session *s)
{
    struct gf_req *g = gf_of(req, s);
    g->export_after = true;
    json_t *body = NULL;
    if (req->body_len > 0 && (body = api_json_body(req)) == NULL)
        return;
    if (body != NULL && json_object_get(body, "data") != NULL) {
        gf_save(req, g, body);
        json_decref(body);
        return;
    }
    json_decref(body);
    doc_api_request(req, &doc_graduate_form_endpoint, g->id, g->candidate_id, DOC_ANSWER_STATUS,
                    NULL);
}

static void gf_pdf(struct http_request *req)
{
    if (gf_id_ok(req))
        api_auth_require_verified(req, gf_pdf_authed);
}

static const struct route graduate_form_routes[] = {
    {"GET", "/api/v1/me/applications/{id}/graduate-form", gf_get, 0, NULL},
    {"PUT", "/api/v1/me/applications/{id}/graduate-form", gf_put, GF_BODY_LIMIT, NULL},
    {"POST", "/api/v1/me/applications/{id}/graduate-form/pdf", gf_pdf, GF_BODY_LIMIT, NULL},
};

const struct api_module api_graduate_form_module = {.name = "graduate_form",
                                                    API_ROUTES(graduate_form_routes)};
