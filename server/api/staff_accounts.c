/*
 * staff_accounts.c - staff sign-in with password and second factor, the
 * second factor's enrolment, one's own account, and what province
 * administrators do with staff accounts and confirmation points.
 *
 *   POST /api/v1/staff/auth/login        username + password + 6-digit code
 *   POST /api/v1/staff/auth/enrol        first sign-in: the code of the new secret
 *   POST /api/v1/staff/auth/logout
 *   GET  /api/v1/staff/me                the caller and the session's CSRF token
 *   POST /api/v1/staff/me/password       old + new password (ends the other sessions)
 *   GET  /api/v1/staff/accounts          (province, auditor)
 *   POST /api/v1/staff/accounts          (administrator) a temporary password, shown once
 *   POST /api/v1/staff/accounts/{id}/disable | enable | reset-password | reset-totp
 *   GET  /api/v1/staff/points, POST /api/v1/staff/points   confirmation points
 *
 * Sign-in (steps of signin_*, in order): the per-IP limit; the staff row;
 * the lockout counted (login_guard, person "staff:USERNAME", the same rule
 * as candidates'); argon2id on the thread pool (the same work for a name
 * nobody has); then either the enrolment (no second factor yet: a new
 * secret is kept 10 minutes in Redis under an enrolment token and shown
 * once, base32 and as an otpauth:// URI for the authenticator app; the
 * person confirms it with a code through /auth/enrol) or the code, accepted
 * one step either way and never twice (totp_last_step). Every sign-in,
 * failed sign-in, enrolment and sign-out is in the trail.
 */
#include "api.h"
#include "redis_keys.h"
#include "api_util.h"
#include "bjtime.h"
#include "log.h"
#include "login_guard.h"
#include "redis_client.h"
#include "server.h"
#include "staff_auth.h"
#include "totp.h"
#include "validate.h"

#include <ctype.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ENROL_TTL   600
#define ENROL_TRIES 5

struct signin {
    const char *username, *password, *code;
    int64_t id;
    const char *idtext;
    const char *hash;
    unsigned char secret[TOTP_SECRET_BYTES];
    bool has_secret;
    uint64_t last_step, step;
    int cred;
    struct login_guard *guard;
    const char *enrol_token;
    const char *secret_b32;
    const struct staff_ctx *st; /* me/password */
    const char *new_hash;
};

static struct signin *signin_of(struct http_request *req)
{
    return req->ctx;
}

/* The staff member and the session's CSRF token: what sign-in answers. */
static void answer_session(struct http_request *req, const char *staff_json, const char *csrf)
{
    char *body =
        arena_printf(&req->arena, "{\"staff\":%s,\"csrf_token\":\"%s\"}", staff_json, csrf);
    api_respond_json_text(req, 200, body, strlen(body));
}

/* ---- sign-in ----------------------------------------------------------------------- */

static void signin_failed_logged(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct signin *si = signin_of(req);
    if (api_db_failed(req, r))
        return;
    const struct zk_config *cfg = &req->srv->cfg;
    long long left = cfg->auth_login_max_failures - si->guard->checks;
    if (left <= 0) {
        struct tm tm;
        bj_tm(time(NULL) + (time_t)((si->guard->left_ms + 999) / 1000), &tm);
        http_respond_error(req, 403, "ACCOUNT_LOCKED",
                           arena_printf(&req->arena,
                                        "连续错误 %d 次，账号已锁定至 %02d:%02d（北京时间）",
                                        cfg->auth_login_max_failures, tm.tm_hour, tm.tm_min),
                           "password");
        return;
    }
    http_respond_error(req, 401, "LOGIN_FAILED",
                       arena_printf(&req->arena,
                                    "用户名、密码或动态验证码不正确（再错 %lld 次账号将锁定 %d "
                                    "分钟）",
                                    left, (cfg->auth_lockout_seconds + 59) / 60),
                       "password");
}

/* One answer for every failure (unknown name, password, code, replay). */
static void signin_fail(struct http_request *req, const char *why)
{
    struct signin *si = signin_of(req);
    const char *values[] = {si->id ? si->idtext : NULL, si->username, why, staff_request_id(req)};
    api_query(req,
              "SELECT staff_audit_add($1::bigint, 'auth.sign_in_failed', 'staff', "
              "$1::bigint::text, NULL, jsonb_build_object('username', $2::text, 'why', "
              "$3::text), $4)",
              4, values, signin_failed_logged);
}

static void signin_created(struct http_request *req, void *ud, const struct api_realm_session *rs,
                           int err)
{
    const char *staff_json = ud;
    if (err < 0) {
        http_respond_error(req, 503, "SESSION_STORE_UNAVAILABLE", "系统繁忙，请稍后再试", NULL);
        return;
    }
    answer_session(req, staff_json, rs->csrf);
}

/* The row of the staff member just signed in (r: staff_json, cred_version). */
static void signin_session(struct http_request *req, const struct pg_result *r)
{
    struct signin *si = signin_of(req);
    const char *staff_json = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 0));
    int cred = atoi(PQgetvalue(r->res, 0, 1));
    log_msg(LOG_LEVEL_INFO, req->id, "staff %" PRId64 " signed in from %s", si->id,
            http_client_ip(req));
    api_realm_create(req, &staff_realm, si->id, cred, true, signin_created, (void *)staff_json);
}

static void signin_stepped(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct signin *si = signin_of(req);
    if (api_db_failed(req, r))
        return;
    if (PQntuples(r->res) == 0) { /* the step was used already (a replayed code) */
        signin_fail(req, "code_replayed");
        return;
    }
    login_guard_succeeded(req, si->guard);
    signin_session(req, r);
}

static void enrol_stored(void *ud, redisReply *reply, const char *err)
{
    struct http_request *req = ud;
    struct signin *si = signin_of(req);
    if (err != NULL || reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        http_respond_error(req, 503, "SESSION_STORE_UNAVAILABLE", "系统繁忙，请稍后再试", NULL);
        return;
    }
    char uri[512];
    if (totp_uri(uri, sizeof(uri), req->srv->cfg.staff_totp_issuer, si->username, si->secret_b32) <
        0)
        uri[0] = '\0';
    http_respond_json(req, 200,
                      json_pack("{s:s, s:s, s:s, s:s, s:i}", "state", "enrol", "enrol_token",
                                si->enrol_token, "secret", si->secret_b32, "otpauth_uri", uri,
                                "expires_in", ENROL_TTL));
}

/* Password right, no second factor yet: a new secret, shown once. */
static void signin_enrol(struct http_request *req)
{
    struct signin *si = signin_of(req);
    unsigned char secret[TOTP_SECRET_BYTES], tok[24];
    char *b32 = arena_alloc(&req->arena, TOTP_B32_LEN + 2);
    char *hex = arena_alloc(&req->arena, 2 * sizeof(secret) + 1);
    char *token = arena_alloc(&req->arena, 2 * sizeof(tok) + 1);
    randombytes_buf(secret, sizeof(secret));
    randombytes_buf(tok, sizeof(tok));
    totp_b32_encode(b32, secret, sizeof(secret));
    sodium_bin2hex(hex, 2 * sizeof(secret) + 1, secret, sizeof(secret));
    sodium_bin2hex(token, 2 * sizeof(tok) + 1, tok, sizeof(tok));
    sodium_memzero(secret, sizeof(secret));
    si->secret_b32 = b32;
    si->enrol_token = token;
    char *key = arena_printf(&req->arena, RK_STAFF_ENROL, token);
    /* One MULTI-free pair: the hash then its expiry; the answer waits for the second. */
    (void)redis_command(req->srv->redis, NULL, NULL,
                        "HSET %s staff %" PRId64 " cred %d secret %s tries 0", key, si->id,
                        si->cred, hex);
    if (redis_command(req->srv->redis, enrol_stored, req, "EXPIRE %s %d", key, ENROL_TTL) < 0)
        http_respond_error(req, 503, "SESSION_STORE_UNAVAILABLE", "系统繁忙，请稍后再试", NULL);
}

static void signin_checked(struct http_request *req, bool ok, bool needs_rehash)
{
    struct signin *si = signin_of(req);
    (void)needs_rehash;
    if (!ok || si->id == 0) {
        signin_fail(req, "password");
        return;
    }
    if (!si->has_secret) {
        signin_enrol(req);
        return;
    }
    si->step = totp_check(si->secret, sizeof(si->secret), si->code, time(NULL), si->last_step);
    sodium_memzero(si->secret, sizeof(si->secret));
    if (si->step == 0) {
        signin_fail(req, si->code[0] ? "code" : "code_missing");
        return;
    }
    /* The step is taken only if no sign-in took it (or a later one) first. */
    const char *values[] = {si->idtext, arena_printf(&req->arena, "%" PRIu64, si->step),
                            staff_request_id(req)};
    api_query(req,
              "WITH u AS (UPDATE staff s SET totp_last_step = $2::bigint WHERE s.id = $1::bigint "
              "AND s.totp_last_step < $2::bigint AND s.disabled_at IS NULL RETURNING s.*), "
              "a AS (SELECT staff_audit_add(u.id, 'auth.sign_in', 'staff', u.id::text, NULL, "
              "NULL, $3) AS id FROM u) "
              "SELECT staff_json(u)::text, u.cred_version, (SELECT count(*) FROM a) FROM u",
              3, values, signin_stepped);
}

static void signin_reserved(struct http_request *req, struct login_guard *g)
{
    struct signin *si = signin_of(req);
    si->guard = g;
    if (g->locked_ms > 0) {
        struct tm tm;
        bj_tm(time(NULL) + (time_t)((g->locked_ms + 999) / 1000), &tm);
        http_respond_error(req, 403, "ACCOUNT_LOCKED",
                           arena_printf(&req->arena,
                                        "账号已锁定至 %02d:%02d（北京时间），请届时再试",
                                        tm.tm_hour, tm.tm_min),
                           "password");
        return;
    }
    api_password_verify(req, si->hash, si->password, signin_checked);
}

static void signin_found(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct signin *si = signin_of(req);
    if (api_db_failed(req, r))
        return;
    if (PQntuples(r->res) > 0) {
        si->id = strtoll(PQgetvalue(r->res, 0, 0), NULL, 10);
        si->idtext = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 0));
        si->hash = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 1));
        si->has_secret = !PQgetisnull(r->res, 0, 2);
        if (si->has_secret)
            sodium_hex2bin(si->secret, sizeof(si->secret), PQgetvalue(r->res, 0, 2),
                           (size_t)PQgetlength(r->res, 0, 2), NULL, NULL, NULL);
        si->last_step = strtoull(PQgetvalue(r->res, 0, 3), NULL, 10);
        si->cred = atoi(PQgetvalue(r->res, 0, 4));
    }
    login_guard_reserve(req, arena_printf(&req->arena, "staff:%s", si->username), signin_reserved);
}

static void signin_limited(struct http_request *req)
{
    struct signin *si = signin_of(req);
    const char *values[] = {si->username};
    api_query(req,
              "SELECT id, password_hash, encode(totp_secret, 'hex'), totp_last_step, cred_version "
              "FROM staff WHERE username = $1 AND disabled_at IS NULL",
              1, values, signin_found);
}

static void signin_post(struct http_request *req)
{
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    struct signin *si = arena_calloc(&req->arena, sizeof(*si));
    req->ctx = si;
    si->username = api_field_str(req, body, "username", 32);
    si->password = si->username ? api_field_str(req, body, "password", 64) : NULL;
    si->code = si->password ? api_field_opt(req, body, "code", 8) : NULL;
    json_decref(body);
    if (si->code == NULL)
        return;
    char *lower = arena_strdup(&req->arena, si->username);
    for (char *p = lower; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    si->username = lower;
    char *key = arena_printf(&req->arena, "rl:staff-login:ip:%s", http_client_ip(req));
    api_rate_limit(req, key, req->srv->cfg.auth_login_per_ip_minute, 60,
                   "登录尝试过于频繁，请稍后再试", signin_limited);
}

/* ---- enrolment of the second factor ------------------------------------------------ */

static void enrol_done(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct signin *si = signin_of(req);
    if (api_db_failed(req, r))
        return;
    (void)redis_command(req->srv->redis, NULL, NULL, "DEL " RK_STAFF_ENROL, si->enrol_token);
    if (PQntuples(r->res) == 0) {
        http_respond_error(req, 409, "ENROL_EXPIRED", "绑定已失效，请重新登录后再绑定", NULL);
        return;
    }
    signin_session(req, r);
}

/* Redis: the enrolment's {staff, cred, secret, tries} after counting this try. */
#define ENROL_TRY_LUA                                                                              \
    "if redis.call('EXISTS', KEYS[1]) == 0 then return nil end "                                   \
    "redis.call('HINCRBY', KEYS[1], 'tries', 1) "                                                  \
    "return redis.call('HMGET', KEYS[1], 'staff', 'cred', 'secret', 'tries')"

static void enrol_loaded(void *ud, redisReply *reply, const char *err)
{
    struct http_request *req = ud;
    struct signin *si = signin_of(req);
    if (err != NULL && reply == NULL) {
        http_respond_error(req, 503, "SESSION_STORE_UNAVAILABLE", "系统繁忙，请稍后再试", NULL);
        return;
    }
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 4 ||
        reply->element[2]->type != REDIS_REPLY_STRING) {
        http_respond_error(req, 401, "ENROL_EXPIRED", "绑定已失效，请重新登录后再绑定",
                           "enrol_token");
        return;
    }
    si->id = strtoll(reply->element[0]->str, NULL, 10);
    si->idtext = arena_printf(&req->arena, "%" PRId64, si->id);
    si->cred = atoi(reply->element[1]->str);
    const char *hex = arena_strdup(&req->arena, reply->element[2]->str);
    int tries = atoi(reply->element[3]->str);
    if (tries > ENROL_TRIES) {
        (void)redis_command(req->srv->redis, NULL, NULL, "DEL " RK_STAFF_ENROL, si->enrol_token);
        http_respond_error(req, 401, "ENROL_EXPIRED", "验证码错误次数过多，请重新登录后再绑定",
                           "enrol_token");
        return;
    }
    sodium_hex2bin(si->secret, sizeof(si->secret), hex, strlen(hex), NULL, NULL, NULL);
    si->step = totp_check(si->secret, sizeof(si->secret), si->code, time(NULL), 0);
    sodium_memzero(si->secret, sizeof(si->secret));
    if (si->step == 0) {
        http_respond_error(req, 401, "CODE_WRONG",
                           "动态验证码不正确：请核对手机时间，输入验证器中刚显示的 6 位数字",
                           "code");
        return;
    }
    const char *values[] = {si->idtext, hex, arena_printf(&req->arena, "%" PRIu64, si->step),
                            arena_printf(&req->arena, "%d", si->cred), staff_request_id(req)};
    api_query(req,
              "WITH u AS (UPDATE staff s SET totp_secret = decode($2, 'hex'), totp_last_step = "
              "$3::bigint, updated_at = now() WHERE s.id = $1::bigint AND s.cred_version = "
              "$4::int AND s.disabled_at IS NULL AND s.totp_secret IS NULL RETURNING s.*), "
              "a AS (SELECT staff_audit_add(u.id, 'auth.enrol', 'staff', u.id::text, NULL, NULL, "
              "$5) FROM u UNION ALL SELECT staff_audit_add(u.id, 'auth.sign_in', 'staff', "
              "u.id::text, NULL, NULL, $5) FROM u) "
              "SELECT staff_json(u)::text, u.cred_version, (SELECT count(*) FROM a) FROM u",
              5, values, enrol_done);
}

static void enrol_post(struct http_request *req)
{
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    struct signin *si = arena_calloc(&req->arena, sizeof(*si));
    req->ctx = si;
    si->enrol_token = api_field_str(req, body, "enrol_token", 64);
    si->code = si->enrol_token ? api_field_str(req, body, "code", 8) : NULL;
    json_decref(body);
    if (si->code == NULL)
        return;
    if (strspn(si->enrol_token, "0123456789abcdef") != strlen(si->enrol_token)) {
        http_respond_error(req, 401, "ENROL_EXPIRED", "绑定已失效，请重新登录后再绑定",
                           "enrol_token");
        return;
    }
    char *key = arena_printf(&req->arena, RK_STAFF_ENROL, si->enrol_token);
    if (redis_command(req->srv->redis, enrol_loaded, req, "EVAL %s 1 %s", ENROL_TRY_LUA, key) < 0)
        http_respond_error(req, 503, "SESSION_STORE_UNAVAILABLE", "系统繁忙，请稍后再试", NULL);
}

/* ---- the caller's own account -------------------------------------------------------- */

static void logout_logged(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    http_respond_json(req, 200, json_pack("{s:b}", "signed_out", 1));
}

static void logout_authed(struct http_request *req, const struct staff_ctx *st)
{
    api_realm_end(req, &staff_realm, st->key, st->id);
    const char *values[] = {st->idtext, staff_request_id(req)};
    api_query(req,
              "SELECT staff_audit_add($1::bigint, 'auth.sign_out', 'staff', $1::bigint::text, "
              "NULL, NULL, $2)",
              2, values, logout_logged);
}

static void logout_post(struct http_request *req)
{
    staff_require(req, STAFF_READ | STAFF_BEFORE_PASSWORD, logout_authed);
}

static void me_authed(struct http_request *req, const struct staff_ctx *st)
{
    const char *values[] = {st->idtext, st->csrf};
    staff_json_query(req, 200,
                     "SELECT json_build_object('staff', staff_json(s), 'csrf_token', $2::text)::"
                     "text FROM staff s WHERE s.id = $1::bigint",
                     2, values);
}

static void me_get(struct http_request *req)
{
    staff_require(req, STAFF_READ | STAFF_BEFORE_PASSWORD, me_authed);
}

static void password_sessions_ended(struct http_request *req, int err)
{
    struct signin *si = signin_of(req);
    if (err < 0) {
        http_respond_error(req, 503, "SESSION_STORE_UNAVAILABLE", "系统繁忙，请稍后再试", NULL);
        return;
    }
    answer_session(req, si->new_hash, si->st->csrf);
}

static void password_stored(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct signin *si = signin_of(req);
    if (!api_db_row(req, r, 401, "SESSION_ENDED", "登录已失效，请重新登录", NULL))
        return;
    /* This session carries on with the new credentials; the others end first. */
    si->new_hash = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 0)); /* the staff JSON */
    (void)redis_command(req->srv->redis, NULL, NULL, "HSET %s cred %s", si->st->key,
                        PQgetvalue(r->res, 0, 1));
    api_realm_end_all(req, &staff_realm, si->st->id, si->st->key, password_sessions_ended);
}

static void password_hashed(struct http_request *req, const char *hash)
{
    struct signin *si = signin_of(req);
    const char *values[] = {si->st->idtext, hash, staff_request_id(req)};
    api_query(req,
              "WITH u AS (UPDATE staff s SET password_hash = $2, password_must_change = false, "
              "cred_version = s.cred_version + 1, updated_at = now() WHERE s.id = $1::bigint "
              "AND s.disabled_at IS NULL RETURNING s.*), "
              "a AS (SELECT staff_audit_add(u.id, 'auth.password', 'staff', u.id::text, NULL, "
              "NULL, $3) FROM u) "
              "SELECT staff_json(u)::text, u.cred_version, (SELECT count(*) FROM a) FROM u",
              3, values, password_stored);
}

static void password_old_checked(struct http_request *req, bool ok, bool needs_rehash)
{
    struct signin *si = signin_of(req);
    (void)needs_rehash;
    if (!ok) {
        api_reject(req, "PASSWORD_WRONG", "原密码不正确", "old_password");
        return;
    }
    api_password_hash(req, si->password, password_hashed);
}

static void password_row(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct signin *si = signin_of(req);
    if (!api_db_row(req, r, 401, "SESSION_ENDED", "登录已失效，请重新登录", NULL))
        return;
    api_password_verify(req, PQgetvalue(r->res, 0, 0), si->code, password_old_checked);
}

static void password_authed(struct http_request *req, const struct staff_ctx *st)
{
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    struct signin *si = arena_calloc(&req->arena, sizeof(*si));
    req->ctx = si;
    si->st = st;
    si->code = api_field_str(req, body, "old_password", 64); /* the old one */
    si->password = si->code ? api_field_str(req, body, "new_password", 64) : NULL;
    json_decref(body);
    if (si->password == NULL)
        return;
    const char *why = validate_password(si->password);
    if (why != NULL) {
        api_reject(req, "PASSWORD_WEAK", why, "new_password");
        return;
    }
    if (strcmp(si->password, si->code) == 0) {
        api_reject(req, "PASSWORD_UNCHANGED", "新密码不能与原密码相同", "new_password");
        return;
    }
    const char *values[] = {st->idtext};
    api_query(req, "SELECT password_hash FROM staff WHERE id = $1::bigint", 1, values,
              password_row);
}

static void password_post(struct http_request *req)
{
    staff_require(req, STAFF_READ | STAFF_BEFORE_PASSWORD, password_authed);
}

/* ---- staff accounts (administrators) -------------------------------------------------- */

struct admin_op {
    const struct staff_ctx *st;
    const char *target;   /* staff id */
    const char *what;     /* disable, enable, reset_password, reset_totp */
    const char *password; /* the temporary password (create, reset_password) */
    const char *username, *name, *role, *district, *point, *admin;
    const char *staff_json;
};

static void accounts_authed(struct http_request *req, const struct staff_ctx *st)
{
    (void)st;
    staff_json_query(req, 200,
                     "SELECT json_build_object('staff', coalesce(json_agg(staff_json(s) ORDER BY "
                     "s.id), '[]'))::text FROM staff s",
                     0, NULL);
}

static void accounts_get(struct http_request *req)
{
    staff_require(req, STAFF_PROVINCE, accounts_authed);
}

/* Answers the staff member (r) with the temporary password, when there is one. */
static void admin_answer(struct http_request *req, int status)
{
    struct admin_op *op = req->ctx;
    char *body = op->password != NULL
                     ? arena_printf(&req->arena, "{\"staff\":%s,\"temporary_password\":\"%s\"}",
                                    op->staff_json, op->password)
                     : arena_printf(&req->arena, "{\"staff\":%s}", op->staff_json);
    api_respond_json_text(req, status, body, strlen(body));
}

static void created(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct admin_op *op = req->ctx;
    if (staff_db_failed(req, r))
        return;
    op->staff_json = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 0));
    admin_answer(req, 201);
}

static void create_hashed(struct http_request *req, const char *hash)
{
    struct admin_op *op = req->ctx;
    const char *values[] = {op->st->idtext, op->username, op->name,
                            op->role,       op->district, op->point,
                            op->admin,      hash,         staff_request_id(req)};
    api_query(req,
              "SELECT staff_create($1::bigint, lower($2), $3, $4, nullif($5, ''), "
              "nullif($6, '')::bigint, $7::boolean, $8, $9)::text",
              9, values, created);
}

static void create_authed(struct http_request *req, const struct staff_ctx *st)
{
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    struct admin_op *op = arena_calloc(&req->arena, sizeof(*op));
    req->ctx = op;
    op->st = st;
    op->username = api_field_str(req, body, "username", 32);
    op->name = op->username ? api_field_str(req, body, "name", 120) : NULL;
    op->role = op->name ? api_field_str(req, body, "role", 32) : NULL;
    op->district = op->role ? api_field_opt(req, body, "district", 6) : NULL;
    json_t *point = json_object_get(body, "point_id");
    json_t *admin = json_object_get(body, "is_admin");
    if (op->district != NULL && point != NULL && !json_is_null(point) && !json_is_integer(point)) {
        api_reject(req, "FIELD_INVALID", "point_id 应为免考确认点的编号", "point_id");
        op->district = NULL;
    }
    if (op->district != NULL && admin != NULL && !json_is_boolean(admin)) {
        api_reject(req, "FIELD_INVALID", "is_admin 应为 true 或 false", "is_admin");
        op->district = NULL;
    }
    if (op->district != NULL) {
        op->point = json_is_integer(point) ? arena_printf(&req->arena, "%" JSON_INTEGER_FORMAT,
                                                          json_integer_value(point))
                                           : "";
        op->admin = json_is_true(admin) ? "true" : "false";
    }
    json_decref(body);
    if (op->district == NULL)
        return;
    const char *why = validate_name(op->name);
    if (why != NULL) {
        api_reject(req, "FIELD_INVALID", why, "name");
        return;
    }
    op->password = staff_temp_password(req);
    api_password_hash(req, op->password, create_hashed);
}

static void accounts_post(struct http_request *req)
{
    staff_require(req, STAFF_ADMIN, create_authed);
}

static void changed_sessions_ended(struct http_request *req, int err)
{
    if (err < 0) {
        http_respond_error(req, 503, "SESSION_STORE_UNAVAILABLE", "系统繁忙，请稍后再试", NULL);
        return;
    }
    admin_answer(req, 200);
}

static void changed(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct admin_op *op = req->ctx;
    if (staff_db_failed(req, r))
        return;
    op->staff_json = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 0));
    if (strcmp(op->what, "enable") == 0) {
        admin_answer(req, 200);
        return;
    }
    /* The person's sessions end before the answer. */
    api_realm_end_all(req, &staff_realm, strtoll(op->target, NULL, 10), NULL,
                      changed_sessions_ended);
}

static void change_run(struct http_request *req, const char *hash)
{
    struct admin_op *op = req->ctx;
    const char *values[] = {op->st->idtext, op->target, op->what, hash, staff_request_id(req)};
    api_query(req, "SELECT staff_change($1::bigint, $2::bigint, $3, $4, $5)::text", 5, values,
              changed);
}

static void change_authed(struct http_request *req, const struct staff_ctx *st)
{
    struct admin_op *op = arena_calloc(&req->arena, sizeof(*op));
    req->ctx = op;
    op->st = st;
    op->target = http_param(req, 0);
    const char *last = strrchr(req->path, '/') + 1;
    op->what = strcmp(last, "reset-password") == 0 ? "reset_password"
               : strcmp(last, "reset-totp") == 0   ? "reset_totp"
                                                   : last;
    if (op->target[0] == '\0' || strlen(op->target) > 18 ||
        strspn(op->target, "0123456789") != strlen(op->target)) {
        http_respond_error(req, 404, "STAFF_NOT_FOUND", "没有这个工作人员", "id");
        return;
    }
    if (strcmp(op->what, "reset_password") == 0) {
        op->password = staff_temp_password(req);
        api_password_hash(req, op->password, change_run);
        return;
    }
    change_run(req, NULL);
}

static void change_post(struct http_request *req)
{
    staff_require(req, STAFF_ADMIN, change_authed);
}

/* ---- confirmation points ---------------------------------------------------------------- */

static void points_authed(struct http_request *req, const struct staff_ctx *st)
{
    (void)st;
    staff_json_query(req, 200,
                     "SELECT json_build_object('points', coalesce(json_agg(json_build_object("
                     "'id', p.id, 'name', p.name, 'district', p.district) ORDER BY p.id), "
                     "'[]'))::text FROM confirmation_points p",
                     0, NULL);
}

static void points_get(struct http_request *req)
{
    staff_require(req, STAFF_READ, points_authed);
}

static void point_create_authed(struct http_request *req, const struct staff_ctx *st)
{
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    const char *name = api_field_str(req, body, "name", 240);
    const char *district = name ? api_field_str(req, body, "district", 6) : NULL;
    json_decref(body);
    if (district == NULL)
        return;
    const char *values[] = {st->idtext, name, district, staff_request_id(req)};
    staff_json_query(
        req, 201,
        "WITH d AS (SELECT code FROM regions WHERE code = $3 AND level = 'district'), "
        "p AS (INSERT INTO confirmation_points (name, district) SELECT $2, code FROM d "
        "RETURNING *), a AS (SELECT staff_audit_add($1::bigint, 'point.create', 'point', "
        "p.id::text, NULL, to_jsonb(p), $4) FROM p) "
        "SELECT CASE WHEN (SELECT count(*) FROM a) >= 0 THEN json_build_object('id', p.id, "
        "'name', p.name, 'district', p.district)::text END FROM p",
        4, values);
}

static void points_post(struct http_request *req)
{
    staff_require(req, STAFF_ADMIN, point_create_authed);
}

static const struct route staff_account_routes[] = {
    {"POST", "/api/v1/staff/auth/login", signin_post, 1024, NULL},
    {"POST", "/api/v1/staff/auth/enrol", enrol_post, 1024, NULL},
    {"POST", "/api/v1/staff/auth/logout", logout_post, 1024, NULL},
    {"GET", "/api/v1/staff/me", me_get, 0, NULL},
    {"POST", "/api/v1/staff/me/password", password_post, 1024, NULL},
    {"GET", "/api/v1/staff/accounts", accounts_get, 0, NULL},
    {"POST", "/api/v1/staff/accounts", accounts_post, 4096, NULL},
    {"POST", "/api/v1/staff/accounts/{id}/disable", change_post, 1024, NULL},
    {"POST", "/api/v1/staff/accounts/{id}/enable", change_post, 1024, NULL},
    {"POST", "/api/v1/staff/accounts/{id}/reset-password", change_post, 1024, NULL},
    {"POST", "/api/v1/staff/accounts/{id}/reset-totp", change_post, 1024, NULL},
    {"GET", "/api/v1/staff/points", points_get, 0, NULL},
    {"POST", "/api/v1/staff/points", points_post, 4096, NULL},
};

const struct api_module api_staff_accounts_module = {.name = "staff-accounts",
                                                     API_ROUTES(staff_account_routes)};
