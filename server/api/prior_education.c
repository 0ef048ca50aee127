/*
 * prior_education.c - the prior-education authorisation (学信网 学历验证授权,
 * handbooks 001 五 and 004 十.4) that a bachelor's graduation application
 * needs:
 *
 *   POST /api/v1/me/prior-education/authorisations   a QR code (its token,
 *        text and expiry); an earlier waiting one expires at once
 *   GET  /api/v1/me/prior-education                  the latest request's
 *        state with the next step, the verified record (ID number masked)
 *   POST /api/v1/prior-education/chsi/notify         the provider's signed
 *        notifications
 *
 * A notification is checked cheaply on the loop (type, size, signature
 * header), its signature verified and its fields parsed on the thread pool
 * (api_offload), then stored with its `chsi` job in one statement - once per
 * notify_id, only for a token we issued that has not expired - and the
 * provider is answered 200 only after that statement committed. The `chsi`
 * worker applies it (schema/0022_prior_education.sql). Nothing is stored
 * for a notification that is refused. Owns nothing past a request.
 */
#include "api_auth.h"
#include "api_offload.h"
#include "api_util.h"
#include "chsi_proto.h"
#include "log.h"
#include "mask.h"
#include "queue.h"
#include "queue_publish.h"
#include "server.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- POST /me/prior-education/authorisations ------------------------------------ */

struct pe_new {
    const char *cand;
    char token[CHSI_TOKEN_LEN + 1];
};

static void pe_created(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (!api_db_row(req, r, 500, "INTERNAL", "系统错误，请稍后再试", NULL))
        return;
    struct pe_new *pn = req->ctx;
    const struct zk_config *cfg = &req->srv->cfg;
    const char *qr =
        chsi_qr_text(&req->arena, chsi_auth_url(&req->arena, cfg), cfg->chsi_app_id, pn->token);
    json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "token", pn->token, "qr", qr, "expires_at",
                          PQgetvalue(r->res, 0, 0), "state", "waiting");
    http_response_header(req, "Cache-Control", "no-store");
    http_respond_json(req, 201, j);
}

static void pe_new_limited(struct http_request *req)
{
    struct pe_new *pn = req->ctx;
    unsigned char raw[CHSI_TOKEN_LEN / 2];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(pn->token, sizeof(pn->token), raw, sizeof(raw));
    char *minutes = arena_printf(&req->arena, "%d", req->srv->cfg.chsi_token_minutes);
    const char *v[] = {pn->cand, pn->token, minutes};
    /* Data-modifying CTEs all run: the candidate's waiting request (if any)
     * expires in the same statement that makes the new one. */
    api_query(req,
              "WITH old AS (UPDATE prior_education_requests SET state = 'expired', "
              "expires_at = least(expires_at, now()) WHERE candidate_id = $1::bigint AND "
              "state IN ('waiting', 'scanned')) "
              "INSERT INTO prior_education_requests (candidate_id, token_hash, expires_at) "
              "VALUES ($1::bigint, sha256(convert_to($2, 'UTF8')), "
              "now() + make_interval(mins => $3::int)) RETURNING zk_ts(expires_at)",
              3, v, pe_created);
}

static void pe_new_authed(struct http_request *req, const struct api_session *s)
{
    struct pe_new *pn = arena_calloc(&req->arena, sizeof(*pn));
    pn->cand = arena_printf(&req->arena, "%" PRId64, s->candidate_id);
    req->ctx = pn;
    char *key = arena_printf(&req->arena, "rl:chsi:%" PRId64, s->candidate_id);
    api_rate_limit(req, key, req->srv->cfg.chsi_per_hour, 3600,
                   "获取学信网二维码过于频繁，请稍后再试", pe_new_limited);
}

static void pe_new(struct http_request *req)
{
    api_auth_require_verified(req, pe_new_authed);
}

/* ---- GET /me/prior-education ------------------------------------------------------ */

#define PE_CONTACT "请尽早联系所属县（市、区）招办线下办理"

static const struct {
    const char *state, *title, *next;
} pe_states[] = {
    {"none", "未授权",
     "申请本科层次毕业须授权验证前置学历：请点击“获取学信网二维码”，用已实名认证的学信网 APP "
     "扫描二维码完成本人学历验证授权"},
    {"waiting", "等待扫码",
     "请使用已实名认证的学信网 APP 扫描二维码，核对前置学历信息并确认授权；二维码在有效期内可用"},
    {"scanned", "已扫码，待确认授权",
     "请在学信网 APP 中核对前置学历信息并确认授权，完成后点击“刷新获取授权信息”"},
    {"verified", "已完成授权",
     "前置学历已验证，可以进行毕业申请；点击“查看已验证学历信息”可查看本人已验证的学历信息"},
    {"mismatch", "信息不一致", NULL},
    {"expired", "二维码已失效", "二维码已过期，请重新点击“获取学信网二维码”并扫码授权"},
};

static const struct {
    const char *field, *label;
} pe_fields[] = {{"name", "姓名"}, {"id_number", "身份证号"}, {"gender", "性别"}};

static void pe_state_of(const char *state, const char **title, const char **next)
{
    for (size_t i = 0; i < sizeof(pe_states) / sizeof(pe_states[0]); i++) {
        if (strcmp(pe_states[i].state, state) == 0) {
            *title = pe_states[i].title;
            *next = pe_states[i].next;
            return;
        }
    }
    *title = state;
    *next = "";
}

/* The mismatching fields ("name,gender") as [{field, label}] and "姓名、性别". */
static json_t *pe_mismatch(struct http_request *req, const char *list, const char **labels)
{
    json_t *arr = json_array();
    struct buf b;
    buf_init(&b, &req->arena, 64);
    const char *fenced = arena_printf(&req->arena, ",%s,", list ? list : "");
    for (size_t i = 0; i < sizeof(pe_fields) / sizeof(pe_fields[0]); i++) {
        if (strstr(fenced, arena_printf(&req->arena, ",%s,", pe_fields[i].field)) == NULL)
            continue;
        json_array_append_new(
            arr, json_pack("{s:s, s:s}", "field", pe_fields[i].field, "label", pe_fields[i].label));
        buf_printf(&b, "%s%s", b.len ? "、" : "", pe_fields[i].label);
    }
    *labels = b.data;
    return arr;
}

static json_t *pe_str(const PGresult *res, int col)
{
    const char *v = pg_value(res, 0, col);
    return v ? json_string(v) : json_null();
}

static void pe_loaded(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (!api_db_row(req, r, 404, "NOT_FOUND", "没有这位考生", NULL))
        return;
    const PGresult *res = r->res;
    bool verified = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    const char *state = pg_value(res, 0, 1) ? PQgetvalue(res, 0, 1) : "none";
    const char *title, *next;
    pe_state_of(state, &title, &next);
    const char *district = pg_value(res, 0, 14) ? PQgetvalue(res, 0, 14) : "";
    json_t *request = json_null();
    if (pg_value(res, 0, 1) != NULL) {
        request = json_pack("{s:s, s:o, s:o}", "state", state, "created_at", pe_str(res, 2),
                            "expires_at", pe_str(res, 3));
        const char *labels = "";
        json_object_set_new(request, "mismatch", pe_mismatch(req, pg_value(res, 0, 4), &labels));
        if (strcmp(state, "mismatch") == 0)
            next = arena_printf(&req->arena,
                                "学信网学历信息中的%s与本人报考信息不一致，无法在线完成授权。"
                                "%s（考籍管理区县：%s）",
                                labels, PE_CONTACT, district);
    }
    if (strcmp(state, "verified") == 0 && !verified)
        next = "已验证的学历信息与本人当前的报考信息不一致，请重新点击“获取学信网二维码”授权；"
               "如仍不一致，" PE_CONTACT;
    json_t *record = json_null();
    if (pg_value(res, 0, 5) != NULL) {
        char masked[32];
        mask_id_number(masked, sizeof(masked), PQgetvalue(res, 0, 6));
        record = json_pack("{s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "name", pe_str(res, 5),
                           "id_number", masked, "gender", pe_str(res, 7), "school", pe_str(res, 8),
                           "level", pe_str(res, 9), "major", pe_str(res, 10), "graduated_on",
                           pe_str(res, 11), "certificate_no", pe_str(res, 12), "verified_at",
                           pe_str(res, 13));
    }
    json_t *j =
        json_pack("{s:b, s:s, s:s, s:s, s:o, s:o, s:{s:o, s:o}}", "verified", verified, "state",
                  state, "state_title", title, "next_step", next, "request", request, "record",
                  record, "district", "code", pe_str(res, 15), "name", pe_str(res, 14));
    http_response_header(req, "Cache-Control", "no-store");
    http_respond_json(req, 200, j);
}

static void pe_get_authed(struct http_request *req, const struct api_session *s)
{
    const char *v[] = {arena_printf(&req->arena, "%" PRId64, s->candidate_id)};
    api_query(req,
              "SELECT prior_education_verified(c.id), q.state, zk_ts(q.created_at), "
              "zk_ts(q.expires_at), array_to_string(q.mismatch, ','), r.name, r.id_number, "
              "r.gender, r.school, r.level, r.major, to_char(r.graduated_on, 'YYYY-MM-DD'), "
              "r.certificate_no, zk_ts(r.verified_at), g.name, c.district "
              "FROM candidates c "
              "LEFT JOIN LATERAL (SELECT prior_education_state(state, expires_at) AS state, "
              "created_at, expires_at, mismatch FROM prior_education_requests "
              "WHERE candidate_id = c.id ORDER BY id DESC LIMIT 1) q ON true "
              "LEFT JOIN prior_education_records r ON r.candidate_id = c.id "
              "LEFT JOIN regions g ON g.code = c.district WHERE c.id = $1::bigint",
              1, v, pe_loaded);
}

static void pe_get(struct http_request *req)
{
    api_auth_require_verified(req, pe_get_authed);
}

/* ---- POST /prior-education/chsi/notify -------------------------------------------- */

struct pe_notify {
    /* Inputs (request arena, read-only while on the pool). */
    const char *key_path, *app_id, *body, *sig;
    size_t len;
    /* Outputs of the pool (in wa until copied). */
    struct arena wa;
    int rc;
    const char *field, *why;
    struct chsi_notice n;
    const char *record; /* JSON text */
    char serial[41];
};

static void pe_refuse(struct http_request *req, int status, const char *code, const char *message,
                      const char *field)
{
    log_msg(LOG_LEVEL_WARNING, req->id, "chsi: notification refused (%d %s)%s%s", status, code,
            field ? ": " : "", field ? field : "");
    http_respond_error(req, status, code, message, field);
}

static void pe_stored(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    struct pe_notify *pn = req->ctx;
    const PGresult *res = r->res;
    bool already = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    bool known = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
    bool live = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
    if (!already && !known) {
        pe_refuse(req, 404, "TOKEN_UNKNOWN", "没有这个授权令牌（二维码不是本系统签发的）", "token");
        return;
    }
    if (!already && !live) {
        pe_refuse(req, 410, "TOKEN_EXPIRED", "授权令牌已过期：考生须重新获取二维码", "token");
        return;
    }
    if (pg_value(res, 0, 3) != NULL) {
        int64_t job = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
        if (req->srv->redis != NULL)
            queue_publish(req->srv->redis, QUEUE_CHSI, &job, 1, NULL, NULL);
        log_msg(LOG_LEVEL_INFO, req->id, "chsi: notification %s (%s) stored", pn->n.notify_id,
                pn->n.event);
    } else {
        log_msg(LOG_LEVEL_INFO, req->id, "chsi: notification %s already stored", pn->n.notify_id);
    }
    http_respond_json(req, 200, json_pack("{s:s}", "code", "SUCCESS"));
}

static void pe_store(struct http_request *req, struct pe_notify *pn)
{
    const char *v[] = {
        pn->n.notify_id, pn->n.event, pn->n.token, arena_strndup(&req->arena, pn->body, pn->len),
        pn->sig,         pn->serial,  pn->record};
    req->ctx = pn;
    /* One statement, so one COMMIT: the notification and its job, or nothing
     * (a replay, an unknown or expired token). */
    api_query(req,
              "WITH rq AS (SELECT id, expires_at > now() AS live FROM prior_education_requests "
              "WHERE token_hash = sha256(convert_to($3, 'UTF8'))), "
              "dup AS (SELECT 1 FROM prior_education_callbacks WHERE provider = 'chsi' AND "
              "notify_id = $1), "
              "ins AS (INSERT INTO prior_education_callbacks (provider, notify_id, request_id, "
              "event, raw, signature, key_serial, record) SELECT 'chsi', $1, rq.id, $2, $4, $5, "
              "$6, $7::jsonb FROM rq WHERE rq.live AND NOT EXISTS (SELECT 1 FROM dup) "
              "ON CONFLICT (provider, notify_id) DO NOTHING RETURNING id), "
              "job AS (INSERT INTO jobs (queue, payload) SELECT 'chsi', jsonb_build_object("
              "'kind', 'notice', 'callback_id', id) FROM ins RETURNING id) "
              "SELECT EXISTS (SELECT 1 FROM dup), EXISTS (SELECT 1 FROM rq), "
              "coalesce((SELECT live FROM rq), false), (SELECT id FROM job)",
              7, v, pe_stored);
}

/* On a pool thread: the signature, then the fields. */
static void pe_verify(void *data)
{
    struct pe_notify *pn = data;
    arena_init(&pn->wa, 4096);
    struct rsa_sig_key *k = rsa_sig_key_load(pn->key_path, false);
    if (k == NULL) {
        pn->rc = -EIO;
        return;
    }
    bool ok =
        chsi_notice_verify(k, pn->body, pn->len, pn->sig) && rsa_sig_key_serial(k, pn->serial) == 0;
    rsa_sig_key_free(k);
    if (!ok) {
        pn->rc = -EPERM;
        return;
    }
    pn->rc =
        chsi_notice_parse(&pn->wa, pn->body, pn->len, pn->app_id, &pn->n, &pn->field, &pn->why);
    if (pn->rc == 0 && pn->n.authorised)
        pn->record = chsi_record_json(&pn->wa, &pn->n.record);
}

static const char *pe_copy(struct http_request *req, const char *s)
{
    return s ? arena_strdup(&req->arena, s) : NULL;
}

static void pe_verified(struct http_request *req, void *data)
{
    struct pe_notify *pn = data;
    if (pn->rc == -EIO) {
        log_msg(LOG_LEVEL_ERR, req->id, "chsi: the provider's public key %s cannot be read",
                pn->key_path);
        http_respond_error(req, 500, "KEY_MISSING", "系统错误：无法校验签名", NULL);
    } else if (pn->rc == -EPERM) {
        pe_refuse(req, 401, "SIGNATURE_INVALID", "签名校验失败", CHSI_SIGNATURE_HEADER);
    } else if (pn->rc < 0) {
        pe_refuse(req, 400, "NOTICE_MALFORMED",
                  arena_printf(&req->arena, "通知格式错误：%s %s", pn->field ? pn->field : "",
                               pn->why ? pn->why : ""),
                  pe_copy(req, pn->field));
    } else {
        /* The notice's strings move to the request arena before wa goes. */
        struct chsi_notice *n = &pn->n;
        n->notify_id = pe_copy(req, n->notify_id);
        n->event = pe_copy(req, n->event);
        n->token = pe_copy(req, n->token);
        pn->record = pe_copy(req, pn->record);
        arena_destroy(&pn->wa);
        pe_store(req, pn);
        return;
    }
    arena_destroy(&pn->wa);
}

static void pe_notify(struct http_request *req)
{
    const struct zk_config *cfg = &req->srv->cfg;
    const char *ct = http_header_get(req, "Content-Type");
    if (ct == NULL || strncmp(ct, "application/json", 16) != 0) {
        pe_refuse(req, 415, "UNSUPPORTED_MEDIA_TYPE", "通知须为 application/json", NULL);
        return;
    }
    if (req->body_len == 0 || memchr(req->body, '\0', req->body_len) != NULL) {
        pe_refuse(req, 400, "NOTICE_MALFORMED", "通知为空或含有 NUL 字节", NULL);
        return;
    }
    const char *sig = http_header_get(req, CHSI_SIGNATURE_HEADER);
    if (sig == NULL || sig[0] == '\0') {
        pe_refuse(req, 401, "SIGNATURE_MISSING", "通知没有签名", CHSI_SIGNATURE_HEADER);
        return;
    }
    struct pe_notify *pn = arena_calloc(&req->arena, sizeof(*pn));
    pn->key_path = chsi_key_path(&req->arena, cfg, CHSI_KEY_PUBLIC);
    pn->app_id = arena_strdup(&req->arena, cfg->chsi_app_id);
    pn->body = req->body;
    pn->len = req->body_len;
    pn->sig = sig;
    api_offload(req, API_OFFLOAD_CHSI, pe_verify, pe_verified, pn);
}

/* ---- the module ------------------------------------------------------------------- */

static int pe_check_config(const struct zk_config *cfg, char *err, size_t errsz)
{
    size_t n = strlen(cfg->chsi_app_id);
    if (n == 0 || n > 32 ||
        strspn(cfg->chsi_app_id,
               "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-") != n) {
        snprintf(err, errsz, "[chsi] app_id: '%s' must be 1-32 letters, digits, '_' or '-'",
                 cfg->chsi_app_id);
        return -EINVAL;
    }
    return 0;
}

static const struct route pe_routes[] = {
    {"POST", "/api/v1/me/prior-education/authorisations", pe_new, 1024, NULL},
    {"GET", "/api/v1/me/prior-education", pe_get, 0, NULL},
    {"POST", "/api/v1/prior-education/chsi/notify", pe_notify, CHSI_NOTICE_MAX, NULL},
};

const struct api_module api_prior_education_module = {
    .name = "prior-education",
    API_ROUTES(pe_routes),
    .check_config = pe_check_config,
};
