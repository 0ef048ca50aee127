/*
 * me.c - the personal centre (个人中心) and the business windows.
 *
 *   GET   /api/v1/me            profile, exam IDs, identity state, windows
 *                               (?reveal=1: the owner sees ID number and phone whole)
 *   PATCH /api/v1/me            e-mail and address
 *   POST  /api/v1/me/phone      a new phone, proven by an SMS code sent to it
 *   POST  /api/v1/me/password   old + new password; ends the other sessions
 *   GET   /api/v1/windows       per kind of shared/window_kinds.c: the window open now
 *                               and the next one (id, name, term, start, end, open)
 */
#include "api.h"
#include "api_auth.h"
#include "api_util.h"
#include "log.h"
#include "validate.h"
#include "verify.h"
#include "window_kinds.h"

#include <inttypes.h>
#include <string.h>

/* A row w of windows as the API shows a window. */
#define WINDOW_JSON_SQL                                                                            \
    "json_build_object('id', w.id, 'kind', w.kind, 'name', w.name, 'term', w.term, 'starts_at', "  \
    "zk_ts(w.starts_at), 'ends_at', zk_ts(w.ends_at), 'open', w.starts_at <= now() AND now() < "   \
    "w.ends_at)"

/* The window of kind k.kind open now: as windows of one kind never overlap,
 * the last to have started, if it has not ended. Null if none. */
#define WINDOW_CURRENT_SQL                                                                         \
    "(SELECT " WINDOW_JSON_SQL " FROM (SELECT * FROM windows l WHERE l.kind = k.kind AND "         \
    "l.starts_at <= now() ORDER BY l.starts_at DESC LIMIT 1) w WHERE w.ends_at > now())"

/* The window of kind k.kind that opens next. Null if none. */
#define WINDOW_NEXT_SQL                                                                            \
    "(SELECT " WINDOW_JSON_SQL " FROM windows w WHERE w.kind = k.kind AND w.starts_at > now() "    \
    "ORDER BY w.starts_at LIMIT 1)"

/*
 * The windows candidates see (GET /windows, GET /me): for each kind of the
 * list (window_kinds.h), in its order, {kind, name, current, next}. KINDS
 * and NAMES are the parameters ("$3", "$4") that hold me_window_kinds()'s
 * arrays. current and next are one probe of windows_kind_starts_idx each.
 */
#define WINDOWS_JSON_SQL(KINDS, NAMES)                                                             \
    "coalesce((SELECT json_agg(json_build_object('kind', k.kind, 'name', k.name, "                 \
    "'current', " WINDOW_CURRENT_SQL ", 'next', " WINDOW_NEXT_SQL                                  \
    ") ORDER BY k.pos) FROM unnest(" KINDS "::text[], " NAMES                                      \
    "::text[]) WITH ORDINALITY AS k (kind, name, pos)), '[]')"

/* The listed window kinds' identifiers and names as PostgreSQL text[]
 * literals, in the request's arena. */
static void me_window_kinds(struct http_request *req, const char **kinds, const char **names)
{
    char buf[1024];
    (void)window_kinds_pg_array(buf, sizeof(buf), WINDOW_KINDS_KIND); /* "{}" if too long */
    *kinds = arena_strdup(&req->arena, buf);
    (void)window_kinds_pg_array(buf, sizeof(buf), WINDOW_KINDS_NAME);
    *names = arena_strdup(&req->arena, buf);
}

struct me {
    int64_t id;
    const char *idtext;
    const char *csrf;
    const char *a, *b, *c; /* fields of the request being handled */
};

static struct me *me_of(struct http_request *req, const struct api_session *s)
{
    struct me *m = arena_calloc(&req->arena, sizeof(*m));
    m->id = s->candidate_id;
    m->idtext = arena_printf(&req->arena, "%" PRId64, s->candidate_id);
    m->csrf = s->csrf;
    req->ctx = m;
    return m;
}

/* ---- GET /me ------------------------------------------------------------------ */

static void me_loaded(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct me *m = req->ctx;
    /* No row: the account is gone, the session is stale. */
    if (!api_db_row(req, r, 401, "NOT_LOGGED_IN", "请先登录", NULL))
        return;
    json_error_t e;
    json_t *obj = json_loads(PQgetvalue(r->res, 0, 0), 0, &e);
    if (obj == NULL) {
        http_respond_error(req, 500, "INTERNAL", "系统内部错误，请稍后再试", NULL);
        return;
    }
    json_object_set_new(obj, "csrf_token", json_string(m->csrf));
    http_respond_json(req, 200, obj);
}

#define ME_WINDOWS_SQL WINDOWS_JSON_SQL("$3", "$4")

static void me_get_authed(struct http_request *req, const struct api_session *s)
{
    struct me *m = me_of(req, s);
    const char *reveal = http_query_get(req, "reveal");
    const char *values[] = {m->idtext, reveal && strcmp(reveal, "1") == 0 ? "t" : "f", NULL, NULL};
    me_window_kinds(req, &values[2], &values[3]);
    api_query(
        req,
        "SELECT json_build_object("
        " 'candidate_id', c.id, 'name', c.name, 'id_type', '身份证',"
        " 'id_number', CASE WHEN $2::bool THEN c.id_number ELSE left(c.id_number, 4) || "
        "repeat('*', 10) || right(c.id_number, 4) END,"
        " 'gender', c.gender, 'birth_date', c.birth_date,"
        " 'exam_ids', coalesce((SELECT json_agg(e.exam_id ORDER BY e.exam_id) FROM exam_ids e "
        "WHERE e.candidate_id = c.id), '[]'),"
        " 'ethnicity', c.ethnicity, 'hukou_type', c.hukou_type, 'education', c.education,"
        " 'occupation', c.occupation, 'political_status', c.political_status,"
        " 'phone', CASE WHEN c.phone IS NULL OR $2::bool THEN c.phone ELSE left(c.phone, 3) || "
        "'****' || right(c.phone, 4) END,"
        " 'email', c.email, 'address', c.address,"
        " 'district', json_build_object('code', c.district, 'name', d.name, 'city', p.name),"
        " 'kind', c.kind,"
        " 'identity', json_build_object('state', CASE WHEN c.identity <> 'unverified' THEN "
        "c.identity ELSE coalesce((SELECT a.state FROM identity_attempts a WHERE a.candidate_id = "
        "c.id ORDER BY a.created_at DESC, a.id DESC LIMIT 1), 'not_started') END,"
        " 'verified_at', zk_ts(c.verified_at)),"
        " 'windows', " ME_WINDOWS_SQL ")::text "
        "FROM candidates c JOIN regions d ON d.code = c.district "
        "LEFT JOIN regions p ON p.code = d.parent WHERE c.id = $1",
        4, values, me_loaded);
}

static void me_get(struct http_request *req)
{
    api_auth_require(req, me_get_authed);
}

/* ---- PATCH /me ------------------------------------------------------------------ */

static void me_patched(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    http_respond_json(
        req, 200,
        json_pack("{s:o, s:o}", "email",
                  pg_value(r->res, 0, 0) ? json_string(PQgetvalue(r->res, 0, 0)) : json_null(),
                  "address",
                  pg_value(r->res, 0, 1) ? json_string(PQgetvalue(r->res, 0, 1)) : json_null()));
}

static void me_patch_authed(struct http_request *req, const struct api_session *s)
{
    struct me *m = me_of(req, s);
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    bool has_email = json_object_get(body, "email") != NULL;
    bool has_address = json_object_get(body, "address") != NULL;
    const char *email = api_field_opt(req, body, "email", 254);
    const char *address = email ? api_field_opt(req, body, "address", 600) : NULL;
    json_decref(body);
    if (email == NULL || address == NULL)
        return;
    if (!has_email && !has_address) {
        api_reject(req, "FIELD_REQUIRED", "请填写要修改的电子邮箱或通讯地址", "email");
        return;
    }
    const char *why = email[0] ? validate_email(email) : NULL;
    if (why != NULL) {
        api_reject(req, "EMAIL_INVALID", why, "email");
        return;
    }
    long alen = validate_utf8_length(address);
    if (alen < 0 || alen > 200) {
        api_reject(req, "ADDRESS_INVALID", "通讯地址最长 200 个字", "address");
        return;
    }
    const char *values[] = {m->idtext, has_email ? "t" : "f", email[0] ? email : NULL,
                            has_address ? "t" : "f", address[0] ? address : NULL};
    api_query(req,
              "UPDATE candidates SET email = CASE WHEN $2::bool THEN $3 ELSE email END, address = "
              "CASE WHEN $4::bool THEN $5 ELSE address END, updated_at = now() WHERE id = $1 "
              "RETURNING email, address",
              5, values, me_patched);
}

static void me_patch(struct http_request *req)
{
    api_auth_require(req, me_patch_authed);
}

/* ---- POST /me/phone --------------------------------------------------------------- */

static void me_phone_updated(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    http_respond_json(req, 200, json_pack("{s:s}", "phone", PQgetvalue(r->res, 0, 0)));
}

static void me_phone_sms_ok(struct http_request *req)
{
    struct me *m = req->ctx;
    const char *values[] = {m->idtext, m->a};
    api_query(req,
              "UPDATE candidates SET phone = $2, updated_at = now() WHERE id = $1 RETURNING "
              "left(phone, 3) || '****' || right(phone, 4)",
              2, values, me_phone_updated);
}

static void me_phone_authed(struct http_request *req, const struct api_session *s)
{
    struct me *m = me_of(req, s);
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    m->a = api_field_str(req, body, "phone", 20);
    m->b = m->a ? api_field_str(req, body, "sms_code", 16) : NULL;
    json_decref(body);
    if (m->b == NULL)
        return;
    const char *why = validate_phone(m->a);
    if (why != NULL) {
        api_reject(req, "PHONE_INVALID", why, "phone");
        return;
    }
    verify_sms_code(req, m->a, "change_phone", m->b, me_phone_sms_ok);
}

static void me_phone(struct http_request *req)
{
    api_auth_require(req, me_phone_authed);
}

/* ---- POST /me/password -------------------------------------------------------------- */

struct me_pw {
    struct me m;
    const struct api_session *s;
};

/* Answered only once the other sessions are gone: a request sent after the
 * answer can no longer use one of them. */
static void me_password_others_ended(struct http_request *req, int err)
{
    struct me_pw *pw = req->ctx;
    if (err < 0) {
        api_respond_busy(req);
        return;
    }
    log_msg(LOG_LEVEL_NOTICE, req->id, "candidate %" PRId64 " changed the password", pw->m.id);
    http_respond_json(req, 200, json_pack("{s:b}", "password_changed", 1));
}

static void me_password_stored(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct me_pw *pw = req->ctx;
    /* No row: the claim lost meanwhile. */
    if (!api_db_row(req, r, 401, "SESSION_ENDED", "登录已失效，请重新登录", NULL))
        return;
    /* This session stays, made with the new credentials. */
    api_session_set_cred(req, pw->s->key, atoi(PQgetvalue(r->res, 0, 0)));
    api_session_end_all(req, pw->m.id, pw->s->key, me_password_others_ended);
}

static void me_password_hashed(struct http_request *req, const char *hash)
{
    struct me_pw *pw = req->ctx;
    const char *values[] = {pw->m.idtext, hash};
    api_query(req,
              "UPDATE candidates SET password_hash = $2, password_changed_at = now(), "
              "cred_version = cred_version + 1, updated_at = now() WHERE id = $1 AND "
              "superseded_at IS NULL RETURNING cred_version",
              2, values, me_password_stored);
}

static void me_password_checked(struct http_request *req, bool ok, bool needs_rehash)
{
    struct me_pw *pw = req->ctx;
    if (!ok) {
        api_reject(req, "OLD_PASSWORD_WRONG", "原密码不正确", "old_password");
        return;
    }
    api_password_hash(req, pw->m.b, me_password_hashed);
}

static void me_password_loaded(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct me_pw *pw = req->ctx;
    if (api_db_failed(req, r))
        return;
    if (PQntuples(r->res) == 0 || pg_value(r->res, 0, 0) == NULL) {
        http_respond_error(req, 401, "NOT_LOGGED_IN", "请先登录", NULL);
        return;
    }
    api_password_verify(req, arena_strdup(&req->arena, PQgetvalue(r->res, 0, 0)), pw->m.a,
                        me_password_checked);
}

static void me_password_limited(struct http_request *req)
{
    struct me_pw *pw = req->ctx;
    const char *values[] = {pw->m.idtext};
    api_query(req, "SELECT password_hash FROM candidates WHERE id = $1", 1, values,
              me_password_loaded);
}

static void me_password_authed(struct http_request *req, const struct api_session *s)
{
    struct me_pw *pw = arena_calloc(&req->arena, sizeof(*pw));
    pw->m.id = s->candidate_id;
    pw->m.idtext = arena_printf(&req->arena, "%" PRId64, s->candidate_id);
    pw->s = s;
    req->ctx = pw;
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    pw->m.a = api_field_str(req, body, "old_password", 64);
    pw->m.b = pw->m.a ? api_field_str(req, body, "password", 64) : NULL;
    pw->m.c = pw->m.b ? api_field_str(req, body, "password_confirm", 64) : NULL;
    json_decref(body);
    if (pw->m.c == NULL)
        return;
    const char *why = validate_password(pw->m.b);
    if (why != NULL) {
        api_reject(req, "PASSWORD_WEAK", why, "password");
        return;
    }
    if (strcmp(pw->m.b, pw->m.c) != 0) {
        api_reject(req, "PASSWORD_MISMATCH", "两次输入的密码不一致", "password_confirm");
        return;
    }
    char *key = arena_printf(&req->arena, "rl:password:%" PRId64, s->candidate_id);
    api_rate_limit(req, key, 10, 3600, "修改密码过于频繁，请稍后再试", me_password_limited);
}

static void me_password(struct http_request *req)
{
    api_auth_require(req, me_password_authed);
}

/* ---- GET /windows ---------------------------------------------------------------------- */

static void windows_loaded(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    api_db_json_text(req, r, 200);
}

static void windows_get(struct http_request *req)
{
    const char *values[2];
    me_window_kinds(req, &values[0], &values[1]);
    api_query(req, "SELECT json_build_object('items', " WINDOWS_JSON_SQL("$1", "$2") ")::text", 2,
              values, windows_loaded);
}

static const struct route me_routes[] = {
    {"GET", "/api/v1/me", me_get, 0, NULL},
    {"PATCH", "/api/v1/me", me_patch, 4096, NULL},
    {"POST", "/api/v1/me/phone", me_phone, 1024, NULL},
    {"POST", "/api/v1/me/password", me_password, 1024, NULL},
    {"GET", "/api/v1/windows", windows_get, 0, NULL},
};

const struct api_module api_me_module = {.name = "me", API_ROUTES(me_routes)};
