/*
 * accounts.c - registering, activating, logging in and out, and recovering
 * an exam ID or a password (seed 004: 注册登录, 忘记准考证号, 忘记密码).
 *
 *   POST /api/v1/auth/register          new candidate (身份证 only)
 *   POST /api/v1/auth/activate/check    enrolled candidate: ID number + name
 *   POST /api/v1/auth/activate          ... then password and phone
 *   POST /api/v1/auth/login             ID number or exam ID + password + captcha
 *   POST /api/v1/auth/logout
 *   POST /api/v1/auth/recover/exam-id   ID number + name + phone + SMS code
 *   POST /api/v1/auth/recover/password  ID number + exam ID + phone + SMS code
 *
 * Every step is asynchronous: each function below does one thing and names
 * the next. The request's state is a struct in req->ctx.
 */
#include "api.h"
#include "api_auth.h"
#include "api_util.h"
#include "idcard.h"
#include "log.h"
#include "mask.h"
#include "redis_client.h"
#include "server.h"
#include "validate.h"
#include "verify.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct account {
    json_t *body; /* NULL once the fields are read */
    const char *id_number, *name, *password, *phone, *sms_code, *district, *exam_id;
    const char *captcha_id, *captcha, *login, *token, *identity;
    const char *hash;
    int64_t candidate_id;
    json_t *answer; /* the candidate part of the answer, until the session exists */
    int answer_status;
};

static int beijing_today(void)
{
    time_t now = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&now, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* Reads and checks an ID number field, normalised (X upper-case). */
static const char *field_id_number(struct http_request *req, json_t *body)
{
    const char *v = api_field_str(req, body, "id_number", 32);
    if (v == NULL)
        return NULL;
    char *norm = arena_alloc(&req->arena, 19);
    enum idcard_error e = idcard_check(v, beijing_today(), norm);
    if (e != IDCARD_OK)
        return api_reject(req, "ID_NUMBER_INVALID", idcard_error_message(e), "id_number");
    return norm;
}

static const char *field_checked(struct http_request *req, json_t *body, const char *name,
                                 size_t max, const char *(*rule)(const char *), const char *code)
{
    const char *v = api_field_str(req, body, name, max);
    if (v == NULL)
        return NULL;
    const char *why = rule(v);
    if (why != NULL)
        return api_reject(req, code, why, name);
    return v;
}

/* Reads password + password_confirm. */
static const char *field_new_password(struct http_request *req, json_t *body)
{
    const char *p = field_checked(req, body, "password", 64, validate_password, "PASSWORD_WEAK");
    if (p == NULL)
        return NULL;
    const char *c = api_field_str(req, body, "password_confirm", 64);
    if (c == NULL)
        return NULL;
    if (strcmp(p, c) != 0)
        return api_reject(req, "PASSWORD_MISMATCH", "两次输入的密码不一致", "password_confirm");
    return p;
}

static struct account *account_begin(struct http_request *req)
{
    json_t *body = api_json_body(req);
    if (body == NULL)
        return NULL;
    struct account *a = arena_calloc(&req->arena, sizeof(*a));
    a->body = body;
    req->ctx = a;
    return a;
}

/* Frees the parsed body; returns whether every field was read. */
static bool account_fields_done(struct account *a, bool ok)
{
    json_decref(a->body);
    a->body = NULL;
    return ok;
}

static json_t *candidate_summary(const struct account *a)
{
    char masked[32];
    return json_pack("{s:I, s:s, s:s, s:s}", "candidate_id", (json_int_t)a->candidate_id, "name",
                     a->name, "id_number", mask_id_number(masked, sizeof(masked), a->id_number),
                     "identity", a->identity);
}

static json_t *candidate_json(const PGresult *res, int row)
{
    char masked[32];
    return json_pack("{s:I, s:s, s:s, s:s}", "candidate_id",
                     (json_int_t)strtoll(PQgetvalue(res, row, 0), NULL, 10), "name",
                     PQgetvalue(res, row, 1), "id_number",
                     mask_id_number(masked, sizeof(masked), PQgetvalue(res, row, 2)), "identity",
                     PQgetvalue(res, row, 3));
}

/* Answers with the candidate and a new session (login, register, activate). */
static void session_made(struct http_request *req, const struct api_session *s, int err)
{
    struct account *a = req->ctx;
    json_t *cand = a->answer;
    a->answer = NULL;
    if (err < 0) {
        json_decref(cand);
        http_respond_error(req, 503, "SERVER_BUSY", "系统繁忙，请稍后再试", NULL);
        return;
    }
    http_respond_json(req, a->answer_status,
                      json_pack("{s:o, s:s}", "candidate", cand, "csrf_token", s->csrf));
}

static void answer_with_session(struct http_request *req, json_t *candidate, int status)
{
    struct account *a = req->ctx;
    a->answer = candidate;
    a->answer_status = status;
    api_session_create(req, a->candidate_id, session_made);
}

/* ---- register ---------------------------------------------------------------- */

static void register_inserted(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct account *a = req->ctx;
    if (r->error == PG_ERR_QUERY && strcmp(r->sqlstate, "23505") == 0) {
        http_respond_error(req, 409, "ID_NUMBER_REGISTERED",
                           "该身份证号已注册，请直接登录；忘记密码或准考证号请使用“找回”功能",
                           "id_number");
        return;
    }
    if (api_db_failed(req, r))
        return;
    a->candidate_id = strtoll(PQgetvalue(r->res, 0, 0), NULL, 10);
    char masked[32];
    log_msg(LOG_LEVEL_NOTICE, req->id, "candidate %" PRId64 " registered (%s)", a->candidate_id,
            mask_id_number(masked, sizeof(masked), a->id_number));
    answer_with_session(req, candidate_json(r->res, 0), 201);
}

static void register_hashed(struct http_request *req, const char *hash)
{
    struct account *a = req->ctx;
    char birth[11];
    idcard_birth_date(a->id_number, birth);
    const char *values[] = {a->id_number, a->name, idcard_gender(a->id_number), birth, a->phone,
                            a->district,  hash};
    api_query(req,
              "INSERT INTO candidates (id_number, name, gender, birth_date, phone, district, kind, "
              "password_hash, password_changed_at, activated_at) VALUES ($1, $2, $3, $4, $5, $6, "
              "'new', $7, now(), now()) RETURNING id, name, id_number, identity",
              7, values, register_inserted);
}

static void register_sms_ok(struct http_request *req)
{
    struct account *a = req->ctx;
    api_password_hash(req, a->password, register_hashed);
}

static void register_checked(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct account *a = req->ctx;
    if (api_db_failed(req, r))
        return;
    const char *level = pg_value(r->res, 0, 0);
    bool in_province = strncmp(a->district, req->srv->cfg.province[0] == 't' ? "12" : "14", 2) == 0;
    if (level == NULL || strcmp(level, "district") != 0 || !in_province) {
        api_reject(req, "DISTRICT_INVALID", "请从列表中选择本省的考籍管理区县", "district");
        return;
    }
    if (strcmp(PQgetvalue(r->res, 0, 1), "t") == 0) {
        http_respond_error(req, 409, "ID_NUMBER_REGISTERED",
                           "该身份证号已注册，请直接登录；忘记密码或准考证号请使用“找回”功能",
                           "id_number");
        return;
    }
    /* Only now spend the SMS code: a refusal above must not cost the person one. */
    verify_sms_code(req, a->phone, "register", a->sms_code, register_sms_ok);
}

static void register_limited(struct http_request *req)
{
    struct account *a = req->ctx;
    const char *values[] = {a->district, a->id_number};
    api_query(req,
              "SELECT (SELECT level FROM regions WHERE code = $1), "
              "EXISTS (SELECT 1 FROM candidates WHERE id_number = $2)",
              2, values, register_checked);
}

static void auth_register(struct http_request *req)
{
    struct account *a = account_begin(req);
    if (a == NULL)
        return;
    const char *id_type = api_field_opt(req, a->body, "id_type", 32);
    if (id_type == NULL) {
        account_fields_done(a, false);
        return;
    }
    if (id_type[0] && strcmp(id_type, "身份证") != 0 && strcmp(id_type, "id_card") != 0) {
        account_fields_done(a, false);
        api_reject(req, "ID_TYPE_UNSUPPORTED",
                   "网上自助注册仅支持身份证；持其他证件的考生请到考籍管理区县办理注册", "id_type");
        return;
    }
    bool ok =
        (a->id_number = field_id_number(req, a->body)) &&
        (a->name = field_checked(req, a->body, "name", 80, validate_name, "NAME_INVALID")) &&
        (a->password = field_new_password(req, a->body)) &&
        (a->district = api_field_str(req, a->body, "district", 6)) &&
        (a->phone = field_checked(req, a->body, "phone", 20, validate_phone, "PHONE_INVALID")) &&
        (a->sms_code = api_field_str(req, a->body, "sms_code", 16));
    if (!account_fields_done(a, ok))
        return;
    char *key = arena_printf(&req->arena, "rl:register:ip:%s", http_client_ip(req));
    api_rate_limit(req, key, 20, 3600, "注册请求过于频繁，请稍后再试", register_limited);
}

/* ---- login ------------------------------------------------------------------- */

static void login_failed_counted(void *ud, redisReply *reply, const char *err);

static void login_rehashed(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct account *a = req->ctx;
    if (r->error != PG_OK)
        log_msg(LOG_LEVEL_WARNING, req->id, "password rehash not stored: %s", r->message);
    answer_with_session(req, candidate_summary(a), 200);
}

static void login_new_hash(struct http_request *req, const char *hash)
{
    struct account *a = req->ctx;
    char *id = arena_printf(&req->arena, "%" PRId64, a->candidate_id);
    const char *values[] = {id, hash};
    api_query(req, "UPDATE candidates SET password_hash = $2 WHERE id = $1", 2, values,
              login_rehashed);
}

static void login_verified(struct http_request *req, bool ok, bool needs_rehash)
{
    struct account *a = req->ctx;
    struct redis_client *r = req->srv->redis;
    const struct zk_config *cfg = &req->srv->cfg;
    if (!ok) {
        char *key = arena_printf(&req->arena, "zikao:fail:%" PRId64, a->candidate_id);
        (void)redis_command(r, NULL, NULL, "SET %s 0 EX %d NX", key, cfg->auth_lockout_seconds);
        if (redis_command(r, login_failed_counted, req, "INCR %s", key) < 0)
            http_respond_error(req, 401, "LOGIN_FAILED", "账号或密码不正确", "password");
        return;
    }
    (void)redis_command(r, NULL, NULL, "DEL zikao:fail:%" PRId64, a->candidate_id);
    log_msg(LOG_LEVEL_INFO, req->id, "candidate %" PRId64 " logged in from %s", a->candidate_id,
            http_client_ip(req));
    if (needs_rehash) { /* parameters changed since the hash was made */
        api_password_hash(req, a->password, login_new_hash);
        return;
    }
    answer_with_session(req, candidate_summary(a), 200);
}

static void login_failed_counted(void *ud, redisReply *reply, const char *err)
{
    struct http_request *req = ud;
    struct account *a = req->ctx;
    const struct zk_config *cfg = &req->srv->cfg;
    long long n = reply && reply->type == REDIS_REPLY_INTEGER ? reply->integer : 0;
    if (n >= cfg->auth_login_max_failures) {
        time_t until = time(NULL) + cfg->auth_lockout_seconds;
        (void)redis_command(req->srv->redis, NULL, NULL, "SET zikao:lock:%" PRId64 " %lld EX %d",
                            a->candidate_id, (long long)until, cfg->auth_lockout_seconds);
        (void)redis_command(req->srv->redis, NULL, NULL, "DEL zikao:fail:%" PRId64,
                            a->candidate_id);
        time_t bj = until + 8 * 3600;
        struct tm tm;
        gmtime_r(&bj, &tm);
        http_respond_error(req, 403, "ACCOUNT_LOCKED",
                           arena_printf(&req->arena,
                                        "密码连续错误 %d 次，账号已锁定至 %02d:%02d（北京时间），"
                                        "请届时再试或使用“找回密码”",
                                        cfg->auth_login_max_failures, tm.tm_hour, tm.tm_min),
                           "password");
        return;
    }
    long long left = cfg->auth_login_max_failures - n;
    http_respond_error(req, 401, "LOGIN_FAILED",
                       arena_printf(&req->arena,
                                    "账号或密码不正确（再错 %lld 次账号将锁定 %d 分钟）", left,
                                    (cfg->auth_lockout_seconds + 59) / 60),
                       "password");
}

static void login_lock_checked(void *ud, redisReply *reply, const char *err)
{
    struct http_request *req = ud;
    struct account *a = req->ctx;
    if (err != NULL && reply == NULL) {
        http_respond_error(req, 503, "SERVER_BUSY", "系统繁忙，请稍后再试", NULL);
        return;
    }
    if (reply != NULL && reply->type == REDIS_REPLY_STRING) {
        time_t bj = (time_t)atoll(reply->str) + 8 * 3600;
        struct tm tm;
        gmtime_r(&bj, &tm);
        http_respond_error(req, 403, "ACCOUNT_LOCKED",
                           arena_printf(&req->arena,
                                        "账号已锁定至 %02d:%02d（北京时间），请届时再试或使用"
                                        "“找回密码”",
                                        tm.tm_hour, tm.tm_min),
                           "password");
        return;
    }
    api_password_verify(req, a->hash, a->password, login_verified);
}

static void login_found(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct account *a = req->ctx;
    if (api_db_failed(req, r))
        return;
    if (PQntuples(r->res) == 0) {
        http_respond_error(req, 401, "LOGIN_FAILED", "账号或密码不正确", "login");
        return;
    }
    a->candidate_id = strtoll(PQgetvalue(r->res, 0, 0), NULL, 10);
    const char *hash = pg_value(r->res, 0, 1);
    if (hash == NULL) {
        http_respond_error(req, 409, "NOT_ACTIVATED",
                           "账号尚未激活：在籍考生请先通过“在籍考生注册”设置密码", "login");
        return;
    }
    a->hash = arena_strdup(&req->arena, hash);
    a->name = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 2));
    a->id_number = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 3));
    a->identity = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 4));
    if (redis_command(req->srv->redis, login_lock_checked, req, "GET zikao:lock:%" PRId64,
                      a->candidate_id) < 0)
        http_respond_error(req, 503, "SERVER_BUSY", "系统繁忙，请稍后再试", NULL);
}

static void login_captcha_ok(struct http_request *req)
{
    struct account *a = req->ctx;
    const char *values[] = {a->login};
    api_query(req,
              "SELECT id, password_hash, name, id_number, identity FROM candidates WHERE id_number "
              "= upper($1) UNION ALL SELECT c.id, c.password_hash, c.name, c.id_number, c.identity "
              "FROM exam_ids e JOIN candidates c ON c.id = e.candidate_id WHERE e.exam_id = $1 "
              "LIMIT 1",
              1, values, login_found);
}

static void login_limited(struct http_request *req)
{
    struct account *a = req->ctx;
    verify_captcha(req, a->captcha_id, a->captcha, login_captcha_ok);
}

static void auth_login(struct http_request *req)
{
    struct account *a = account_begin(req);
    if (a == NULL)
        return;
    bool ok = (a->login = api_field_str(req, a->body, "login", 32)) &&
              (a->password = api_field_str(req, a->body, "password", 64)) &&
              (a->captcha_id = api_field_str(req, a->body, "captcha_id", 64)) &&
              (a->captcha = api_field_str(req, a->body, "captcha", 16));
    if (!account_fields_done(a, ok))
        return;
    size_t n = strlen(a->login);
    if (n != 18 && n != 12) {
        api_reject(req, "LOGIN_INVALID", "请输入 18 位身份证号或 12 位准考证号", "login");
        return;
    }
    char *key = arena_printf(&req->arena, "rl:login:ip:%s", http_client_ip(req));
    api_rate_limit(req, key, req->srv->cfg.auth_login_per_ip_minute, 60,
                   "登录尝试过于频繁，请稍后再试", login_limited);
}

/* ---- logout ------------------------------------------------------------------ */

static void logout_authed(struct http_request *req, const struct api_session *s)
{
    api_session_end(req, s);
    http_respond_json(req, 200, json_pack("{s:b}", "logged_out", 1));
}

static void auth_logout(struct http_request *req)
{
    api_auth_require(req, logout_authed);
}

/* ---- activate (enrolled candidates) --------------------------------------------- */

static void activate_token_stored(void *ud, redisReply *reply, const char *err)
{
    struct http_request *req = ud;
    struct account *a = req->ctx;
    if (err != NULL) {
        http_respond_error(req, 503, "SERVER_BUSY", "系统繁忙，请稍后再试", NULL);
        return;
    }
    http_respond_json(req, 200,
                      json_pack("{s:s, s:i}", "activation_token", a->token, "expires_in", 900));
}

static void activate_found(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct account *a = req->ctx;
    if (api_db_failed(req, r))
        return;
    if (PQntuples(r->res) == 0) {
        /* One message for every mismatch: no telling which part was wrong. */
        api_reject(req, "IDENTITY_NOT_FOUND",
                   "身份证号与姓名不匹配，或您不是在籍考生；请核对，仍有疑问请联系考籍管理区县",
                   "id_number");
        return;
    }
    if (strcmp(PQgetvalue(r->res, 0, 1), "t") == 0) {
        http_respond_error(req, 409, "ALREADY_ACTIVATED", "该考生已激活，请直接登录", "id_number");
        return;
    }
    unsigned char raw[16];
    char token[33];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(token, sizeof(token), raw, sizeof(raw));
    a->token = arena_strdup(&req->arena, token);
    if (redis_command(req->srv->redis, activate_token_stored, req,
                      "SET zikao:activate:%s %s EX 900", token, PQgetvalue(r->res, 0, 0)) < 0)
        http_respond_error(req, 503, "SERVER_BUSY", "系统繁忙，请稍后再试", NULL);
}

static void activate_check_captcha_ok(struct http_request *req)
{
    struct account *a = req->ctx;
    const char *values[] = {a->id_number, a->name};
    api_query(
        req,
        "SELECT id, password_hash IS NOT NULL FROM candidates WHERE id_number = $1 AND name = "
        "$2 AND kind = 'enrolled'",
        2, values, activate_found);
}

static void activate_check_limited(struct http_request *req)
{
    struct account *a = req->ctx;
    verify_captcha(req, a->captcha_id, a->captcha, activate_check_captcha_ok);
}

static void auth_activate_check(struct http_request *req)
{
    struct account *a = account_begin(req);
    if (a == NULL)
        return;
    bool ok = (a->id_number = field_id_number(req, a->body)) &&
              (a->name = field_checked(req, a->body, "name", 80, validate_name, "NAME_INVALID")) &&
              (a->captcha_id = api_field_str(req, a->body, "captcha_id", 64)) &&
              (a->captcha = api_field_str(req, a->body, "captcha", 16));
    if (!account_fields_done(a, ok))
        return;
    char *key = arena_printf(&req->arena, "rl:activate:ip:%s", http_client_ip(req));
    api_rate_limit(req, key, 30, 3600, "请求过于频繁，请稍后再试", activate_check_limited);
}

static void activate_updated(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct account *a = req->ctx;
    if (api_db_failed(req, r))
        return;
    if (PQntuples(r->res) == 0) {
        http_respond_error(req, 409, "ALREADY_ACTIVATED", "该考生已激活，请直接登录", NULL);
        return;
    }
    (void)redis_command(req->srv->redis, NULL, NULL, "DEL zikao:activate:%s", a->token);
    answer_with_session(req, candidate_json(r->res, 0), 200);
}

static void activate_hashed(struct http_request *req, const char *hash)
{
    struct account *a = req->ctx;
    char *id = arena_printf(&req->arena, "%" PRId64, a->candidate_id);
    const char *values[] = {id, hash, a->phone};
    api_query(req,
              "UPDATE candidates SET password_hash = $2, phone = $3, password_changed_at = now(), "
              "activated_at = now(), updated_at = now() WHERE id = $1 AND password_hash IS NULL "
              "RETURNING id, name, id_number, identity",
              3, values, activate_updated);
}

static void activate_sms_ok(struct http_request *req)
{
    struct account *a = req->ctx;
    api_password_hash(req, a->password, activate_hashed);
}

static void activate_token_found(void *ud, redisReply *reply, const char *err)
{
    struct http_request *req = ud;
    struct account *a = req->ctx;
    if (err != NULL && reply == NULL) {
        http_respond_error(req, 503, "SERVER_BUSY", "系统繁忙，请稍后再试", NULL);
        return;
    }
    if (reply == NULL || reply->type != REDIS_REPLY_STRING) {
        api_reject(req, "ACTIVATION_EXPIRED", "激活操作已超时，请重新核对身份信息",
                   "activation_token");
        return;
    }
    a->candidate_id = strtoll(reply->str, NULL, 10);
    verify_sms_code(req, a->phone, "activate", a->sms_code, activate_sms_ok);
}

static void auth_activate(struct http_request *req)
{
    struct account *a = account_begin(req);
    if (a == NULL)
        return;
    bool ok =
        (a->token = api_field_str(req, a->body, "activation_token", 64)) &&
        (a->password = field_new_password(req, a->body)) &&
        (a->phone = field_checked(req, a->body, "phone", 20, validate_phone, "PHONE_INVALID")) &&
        (a->sms_code = api_field_str(req, a->body, "sms_code", 16));
    if (!account_fields_done(a, ok))
        return;
    if (strlen(a->token) != 32 || strspn(a->token, "0123456789abcdef") != 32) {
        api_reject(req, "ACTIVATION_EXPIRED", "激活操作已超时，请重新核对身份信息",
                   "activation_token");
        return;
    }
    if (redis_command(req->srv->redis, activate_token_found, req, "GET zikao:activate:%s",
                      a->token) < 0)
        http_respond_error(req, 503, "SERVER_BUSY", "系统繁忙，请稍后再试", NULL);
}

/* ---- recover the exam ID -------------------------------------------------------- */

static void recover_exam_found(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    if (PQntuples(r->res) == 0 || pg_value(r->res, 0, 0) == NULL) {
        api_reject(req, "IDENTITY_NOT_FOUND",
                   "未找到与身份证号、姓名和手机号相符的准考证号；请核对，或联系考籍管理区县",
                   "id_number");
        return;
    }
    json_error_t e;
    json_t *list = json_loads(PQgetvalue(r->res, 0, 0), 0, &e);
    http_respond_json(req, 200, json_pack("{s:o}", "exam_ids", list ? list : json_array()));
}

static void recover_exam_sms_ok(struct http_request *req)
{
    struct account *a = req->ctx;
    const char *values[] = {a->id_number, a->name, a->phone};
    api_query(req,
              "SELECT json_agg(json_build_object('exam_id', e.exam_id, 'name', "
              "left(c.name, 1) || repeat('*', length(c.name) - 1), 'id_number', left(c.id_number, "
              "4) || repeat('*', 10) || right(c.id_number, 4)) ORDER BY e.exam_id) "
              "FROM candidates c JOIN exam_ids e ON e.candidate_id = c.id "
              "WHERE c.id_number = $1 AND c.name = $2 AND c.phone = $3",
              3, values, recover_exam_found);
}

static void auth_recover_exam_id(struct http_request *req)
{
    struct account *a = account_begin(req);
    if (a == NULL)
        return;
    bool ok =
        (a->id_number = field_id_number(req, a->body)) &&
        (a->name = field_checked(req, a->body, "name", 80, validate_name, "NAME_INVALID")) &&
        (a->phone = field_checked(req, a->body, "phone", 20, validate_phone, "PHONE_INVALID")) &&
        (a->sms_code = api_field_str(req, a->body, "sms_code", 16));
    if (!account_fields_done(a, ok))
        return;
    verify_sms_code(req, a->phone, "forgot_exam_id", a->sms_code, recover_exam_sms_ok);
}

/* ---- recover the password --------------------------------------------------------- */

static void recover_password_updated(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct account *a = req->ctx;
    if (api_db_failed(req, r))
        return;
    if (PQntuples(r->res) == 0) {
        api_reject(req, "IDENTITY_NOT_FOUND",
                   "身份证号、准考证号与手机号不相符；请核对，或联系考籍管理区县", "id_number");
        return;
    }
    a->candidate_id = strtoll(PQgetvalue(r->res, 0, 0), NULL, 10);
    api_session_end_all(req, a->candidate_id, NULL);
    (void)redis_command(req->srv->redis, NULL, NULL,
                        "DEL zikao:lock:%" PRId64 " zikao:fail:%" PRId64, a->candidate_id,
                        a->candidate_id);
    log_msg(LOG_LEVEL_NOTICE, req->id, "candidate %" PRId64 " reset the password", a->candidate_id);
    http_respond_json(req, 200, json_pack("{s:b}", "password_reset", 1));
}

static void recover_password_hashed(struct http_request *req, const char *hash)
{
    struct account *a = req->ctx;
    const char *values[] = {a->id_number, a->exam_id, a->phone, hash};
    api_query(req,
              "UPDATE candidates c SET password_hash = $4, password_changed_at = now(), updated_at "
              "= now() WHERE c.id_number = $1 AND c.phone = $3 AND c.password_hash IS NOT NULL AND "
              "EXISTS (SELECT 1 FROM exam_ids e WHERE e.candidate_id = c.id AND e.exam_id = $2) "
              "RETURNING c.id",
              4, values, recover_password_updated);
}

static void recover_password_sms_ok(struct http_request *req)
{
    struct account *a = req->ctx;
    api_password_hash(req, a->password, recover_password_hashed);
}

static void auth_recover_password(struct http_request *req)
{
    struct account *a = account_begin(req);
    if (a == NULL)
        return;
    bool ok =
        (a->id_number = field_id_number(req, a->body)) &&
        (a->exam_id = api_field_str(req, a->body, "exam_id", 16)) &&
        (a->phone = field_checked(req, a->body, "phone", 20, validate_phone, "PHONE_INVALID")) &&
        (a->sms_code = api_field_str(req, a->body, "sms_code", 16)) &&
        (a->password = field_new_password(req, a->body));
    if (!account_fields_done(a, ok))
        return;
    if (strlen(a->exam_id) != 12 || strspn(a->exam_id, "0123456789") != 12) {
        api_reject(req, "EXAM_ID_INVALID", "准考证号为 12 位数字", "exam_id");
        return;
    }
    verify_sms_code(req, a->phone, "reset_password", a->sms_code, recover_password_sms_ok);
}

static const struct route accounts_routes[] = {
    {"POST", "/api/v1/auth/register", auth_register, 4096, NULL},
    {"POST", "/api/v1/auth/login", auth_login, 2048, NULL},
    {"POST", "/api/v1/auth/logout", auth_logout, 1024, NULL},
    {"POST", "/api/v1/auth/activate/check", auth_activate_check, 2048, NULL},
    {"POST", "/api/v1/auth/activate", auth_activate, 2048, NULL},
    {"POST", "/api/v1/auth/recover/exam-id", auth_recover_exam_id, 2048, NULL},
    {"POST", "/api/v1/auth/recover/password", auth_recover_password, 2048, NULL},
};

const struct api_module api_accounts_module = {
    "accounts", accounts_routes, sizeof(accounts_routes) / sizeof(accounts_routes[0]), false};
