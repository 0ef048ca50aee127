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
 * Rules every endpoint here keeps (README "Accounts"):
 *   - A registration or activation is a claim (schema/0010_account_claims.sql):
 *     it reserves nothing, does no business until its photo verification
 *     passes, and loses to another claim on the same ID number that passes
 *     first. Registering or activating again from the same phone replaces
 *     one's own earlier claim.
 *   - Nothing tells whether an ID number or a name is known before the SMS
 *     code to the caller's phone has been checked, and a login for an
 *     identifier that names nobody gets the same answer and the same argon2id
 *     work as a wrong password (login_guard.h counts both alike).
 *   - A detail that turns out wrong does not use up the SMS code: it is
 *     checked (one try) first and consumed only once everything matched.
 *
 * Every step is asynchronous: each endpoint's steps are listed at its top,
 * in order, and each function names the next. The request's state is a
 * struct account in req->ctx.
 */
#include "api.h"
#include "redis_keys.h"
#include "bjtime.h"
#include "api_auth.h"
#include "api_util.h"
#include "idcard.h"
#include "log.h"
#include "login_guard.h"
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

/* Claims one ID number may have waiting for verification at once. */
#define CLAIMS_MAX 3
/* Rows of one person a login tries (account_logins() returns at most 3). */
#define LOGIN_ROWS_MAX 3
#define ACTIVATE_TTL   900

struct login_row {
    int64_t id;
    const char *hash, *name, *identity;
    int cred;
};

struct account {
    json_t *body; /* NULL once the fields are read */
    const char *id_number, *name, *password, *phone, *sms_code, *district, *exam_id;
    const char *captcha_id, *captcha, *login, *token;
    const char *hash, *identity;
    int64_t candidate_id;
    int64_t claim_id;  /* register/activate: this phone's earlier claim, or 0 */
    int64_t record_id; /* activate: the enrolled record claimed */
    /* login */
    struct login_guard *guard;
    struct login_row rows[LOGIN_ROWS_MAX];
    int nrows, tried;
    bool person_known;
    /* the answer being made */
    json_t *answer;
    int answer_status;
    int cred;
    bool verified;
};

/* Reads and checks an ID number field, normalised (X upper-case). */
static const char *field_id_number(struct http_request *req, json_t *body)
{
    const char *v = api_field_str(req, body, "id_number", 32);
    if (v == NULL)
        return NULL;
    char *norm = arena_alloc(&req->arena, 19);
    enum idcard_error e = idcard_check(v, bj_date(time(NULL)), norm);
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

static const char *id_text(struct http_request *req, int64_t id)
{
    return arena_printf(&req->arena, "%" PRId64, id);
}

/* {candidate_id, name, id_number (masked), identity} */
static json_t *candidate_json(int64_t id, const char *name, const char *id_number,
                              const char *identity)
{
    char masked[32];
    return json_pack("{s:I, s:s, s:s, s:s}", "candidate_id", (json_int_t)id, "name", name,
                     "id_number", mask_id_number(masked, sizeof(masked), id_number), "identity",
                     identity);
}

/* Answers with the candidate and a new session (login, register, activate). */
static void session_made(struct http_request *req, const struct api_session *s, int err)
{
    struct account *a = req->ctx;
    json_t *cand = a->answer;
    a->answer = NULL;
    if (err < 0) {
        json_decref(cand);
        api_respond_busy(req);
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
    api_session_create(req, a->candidate_id, a->cred, a->verified, session_made);
}

/* Reads the candidate a claim statement returned: id, name, id_number,
 * identity, cred_version. */
static void answer_claim(struct http_request *req, const PGresult *res, int status)
{
    struct account *a = req->ctx;
    a->candidate_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    a->cred = atoi(PQgetvalue(res, 0, 4));
    a->verified = false;
    answer_with_session(req,
                        candidate_json(a->candidate_id, PQgetvalue(res, 0, 1),
                                       PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3)),
                        status);
}

static void reject_claims_full(struct http_request *req)
{
    http_respond_error(req, 409, "CLAIMS_FULL",
                       "该身份证号已有多个尚未完成身份认证的注册；请携带身份证到考籍管理区县办理",
                       "id_number");
}

/* ---- register ------------------------------------------------------------------
 *
 * auth_register        fields
 * register_limited     per-IP limit passed: is the district one of this province's?
 * register_district    yes: check the SMS code (not used up)
 * register_sms_ok      the phone is the caller's: is the ID number free?
 * register_checked     hash the password
 * register_hashed      use up the code
 * register_consumed    add the claim (or replace this phone's earlier one)
 * register_inserted    log in
 */

static void register_inserted(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct account *a = req->ctx;
    /* No row: the claim it replaced lost meanwhile. */
    if (!api_db_row(req, r, 409, "ID_NUMBER_REGISTERED",
                    "该身份证号已注册并通过身份认证，请直接登录；如不是您本人注册的，"
                    "请携带身份证到考籍管理区县处理",
                    "id_number"))
        return;
    char masked[32];
    log_msg(LOG_LEVEL_NOTICE, req->id, "candidate %s registered (%s)%s", PQgetvalue(r->res, 0, 0),
            mask_id_number(masked, sizeof(masked), a->id_number),
            a->claim_id ? ", replacing the claim from the same phone" : "");
    answer_claim(req, r->res, 201);
}

static void register_consumed(struct http_request *req)
{
    struct account *a = req->ctx;
    char birth[11];
    idcard_birth_date(a->id_number, birth);
    const char *values[] = {a->id_number,
                            a->name,
                            idcard_gender(a->id_number),
                            birth,
                            a->phone,
                            a->district,
                            a->hash,
                            a->claim_id ? id_text(req, a->claim_id) : NULL};
    api_query(req,
              "WITH up AS (UPDATE candidates c SET name = $2, gender = $3, birth_date = $4, "
              "district = $6, password_hash = $7, password_changed_at = now(), cred_version = "
              "c.cred_version + 1, updated_at = now() WHERE c.id = $8::bigint AND c.superseded_at "
              "IS NULL AND c.identity = 'unverified' RETURNING c.id, c.name, c.id_number, "
              "c.identity, c.cred_version), "
              "ins AS (INSERT INTO candidates (id_number, name, gender, birth_date, phone, "
              "district, kind, password_hash, password_changed_at, activated_at) SELECT $1, $2, "
              "$3, $4, $5, $6, 'new', $7, now(), now() WHERE $8::bigint IS NULL RETURNING id, "
              "name, id_number, identity, cred_version) "
              "SELECT * FROM up UNION ALL SELECT * FROM ins",
              8, values, register_inserted);
}

static void register_hashed(struct http_request *req, const char *hash)
{
    struct account *a = req->ctx;
    a->hash = hash;
    verify_sms_code_consume(req, a->phone, "register", register_consumed);
}

static void register_checked(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct account *a = req->ctx;
    if (api_db_failed(req, r))
        return;
    if (strcmp(PQgetvalue(r->res, 0, 0), "t") == 0) {
        http_respond_error(req, 409, "ID_NUMBER_REGISTERED",
                           "该身份证号已注册并通过身份认证，请直接登录；忘记密码或准考证号请使用"
                           "“找回”功能；如不是您本人注册的，请携带身份证到考籍管理区县处理",
                           "id_number");
        return;
    }
    if (strcmp(PQgetvalue(r->res, 0, 1), "t") == 0) {
        http_respond_error(req, 409, "ENROLLED_USE_ACTIVATION",
                           "您已有考籍（在籍考生），无需注册：请使用“在籍考生激活”设置密码",
                           "id_number");
        return;
    }
    a->claim_id = pg_value(r->res, 0, 3) ? strtoll(PQgetvalue(r->res, 0, 3), NULL, 10) : 0;
    if (a->claim_id == 0 && atoi(PQgetvalue(r->res, 0, 2)) >= CLAIMS_MAX) {
        reject_claims_full(req);
        return;
    }
    api_password_hash(req, a->password, register_hashed);
}

static void register_sms_ok(struct http_request *req)
{
    struct account *a = req->ctx;
    const char *values[] = {a->id_number, a->phone};
    api_query(req,
              "SELECT EXISTS (SELECT 1 FROM candidates WHERE id_number = $1 AND identity <> "
              "'unverified' AND superseded_at IS NULL), "
              "EXISTS (SELECT 1 FROM candidates WHERE id_number = $1 AND kind = 'enrolled' AND "
              "claim_of IS NULL), "
              "(SELECT count(*) FROM candidates WHERE id_number = $1 AND kind = 'new' AND "
              "superseded_at IS NULL), "
              "(SELECT id FROM candidates WHERE id_number = $1 AND kind = 'new' AND superseded_at "
              "IS NULL AND phone = $2 ORDER BY id DESC LIMIT 1)",
              2, values, register_checked);
}

static void register_district(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct account *a = req->ctx;
    if (api_db_failed(req, r))
        return;
    const char *level = PQntuples(r->res) ? PQgetvalue(r->res, 0, 0) : "";
    bool in_province = strncmp(a->district, config_province_region(&req->srv->cfg), 2) == 0;
    if (strcmp(level, "district") != 0 || !in_province) {
        api_reject(req, "DISTRICT_INVALID", "请从列表中选择本省的考籍管理区县", "district");
        return;
    }
    verify_sms_code_peek(req, a->phone, "register", a->sms_code, register_sms_ok);
}

static void register_limited(struct http_request *req)
{
    struct account *a = req->ctx;
    const char *values[] = {a->district};
    api_query(req, "SELECT level FROM regions WHERE code = $1", 1, values, register_district);
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

/* ---- login -----------------------------------------------------------------------
 *
 * auth_login           fields
 * login_limited        per-IP limit passed: check the captcha
 * login_captcha_ok     the person the identifier names, and the rows of that
 *                      person that may log in (an account, or claims)
 * login_found          count the check for this person and client
 * login_reserved       locked: say until when; else check the password
 * login_try            argon2id against the next row (or the equal dummy work)
 * login_checked        wrong: say how many tries are left (or locked); right:
 * login_ok             remember the browser, log in (rehash if needed)
 */

static void login_try(struct http_request *req);

static void login_count(struct http_request *req, bool known)
{
    api_metric_add(req->srv, &api_accounts_module, known ? 0 : 1, 1);
}

static void answer_locked(struct http_request *req, long long ms, bool just_now)
{
    const struct zk_config *cfg = &req->srv->cfg;
    struct tm tm;
    bj_tm(time(NULL) + (time_t)((ms + 999) / 1000), &tm);
    char *msg = just_now ? arena_printf(&req->arena,
                                        "密码连续错误 %d 次，账号已锁定至 %02d:%02d（北京时间），"
                                        "请届时再试或使用“找回密码”",
                                        cfg->auth_login_max_failures, tm.tm_hour, tm.tm_min)
                         : arena_printf(&req->arena,
                                        "账号已锁定至 %02d:%02d（北京时间），请届时再试或使用"
                                        "“找回密码”",
                                        tm.tm_hour, tm.tm_min);
    http_respond_error(req, 403, "ACCOUNT_LOCKED", msg, "password");
}

static void login_rehashed(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct account *a = req->ctx;
    if (r->error != PG_OK)
        log_msg(LOG_LEVEL_WARNING, req->id, "password rehash not stored: %s", r->message);
    answer_with_session(req, candidate_json(a->candidate_id, a->name, a->id_number, a->identity),
                        200);
}

static void login_new_hash(struct http_request *req, const char *hash)
{
    struct account *a = req->ctx;
    const char *values[] = {id_text(req, a->candidate_id), hash};
    api_query(req, "UPDATE candidates SET password_hash = $2 WHERE id = $1", 2, values,
              login_rehashed);
}

static void login_ok(struct http_request *req, bool needs_rehash)
{
    struct account *a = req->ctx;
    const struct login_row *row = &a->rows[a->tried - 1];
    a->candidate_id = row->id;
    a->name = row->name;
    a->cred = row->cred;
    a->verified = strcmp(row->identity, "unverified") != 0;
    a->identity = row->identity;
    login_guard_succeeded(req, a->guard);
    log_msg(LOG_LEVEL_INFO, req->id, "candidate %" PRId64 " logged in from %s", a->candidate_id,
            http_client_ip(req));
    if (needs_rehash) { /* parameters changed since the hash was made */
        api_password_hash(req, a->password, login_new_hash);
        return;
    }
    answer_with_session(req, candidate_json(a->candidate_id, a->name, a->id_number, a->identity),
                        200);
}

static void login_checked(struct http_request *req, bool ok, bool needs_rehash)
{
    struct account *a = req->ctx;
    if (ok) {
        login_ok(req, needs_rehash);
        return;
    }
    if (a->tried < a->nrows) { /* several claims wait on this ID number: each its own password */
        login_try(req);
        return;
    }
    const struct zk_config *cfg = &req->srv->cfg;
    if (a->guard->checks >= cfg->auth_login_max_failures) {
        answer_locked(req, a->guard->left_ms, true);
        return;
    }
    http_respond_error(req, 401, "LOGIN_FAILED",
                       arena_printf(&req->arena,
                                    "账号或密码不正确（再错 %lld 次账号将锁定 %d 分钟）；"
                                    "在籍考生首次使用请先激活",
                                    cfg->auth_login_max_failures - a->guard->checks,
                                    (cfg->auth_lockout_seconds + 59) / 60),
                       "password");
}

static void login_try(struct http_request *req)
{
    struct account *a = req->ctx;
    if (a->nrows == 0) { /* nobody, or not activated: the same work, never right */
        login_count(req, false);
        api_password_verify(req, NULL, a->password, login_checked);
        return;
    }
    login_count(req, true);
    const struct login_row *row = &a->rows[a->tried++];
    api_password_verify(req, row->hash, a->password, login_checked);
}

static void login_reserved(struct http_request *req, struct login_guard *g)
{
    struct account *a = req->ctx;
    a->guard = g;
    if (g->locked_ms > 0) {
        answer_locked(req, g->locked_ms, false);
        return;
    }
    login_try(req);
}

static void login_found(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct account *a = req->ctx;
    if (api_db_failed(req, r))
        return;
    const PGresult *res = r->res;
    const char *person = a->login;
    if (PQntuples(res) > 0) {
        person = arena_strdup(&req->arena, PQgetvalue(res, 0, 0));
        a->id_number = person;
    }
    for (int i = 0; i < PQntuples(res) && a->nrows < LOGIN_ROWS_MAX; i++) {
        if (pg_value(res, i, 1) == NULL)
            continue; /* the person exists but nobody may log in yet */
        struct login_row *row = &a->rows[a->nrows++];
        row->id = strtoll(PQgetvalue(res, i, 1), NULL, 10);
        row->hash = arena_strdup(&req->arena, PQgetvalue(res, i, 2));
        row->name = arena_strdup(&req->arena, PQgetvalue(res, i, 3));
        row->identity = arena_strdup(&req->arena, PQgetvalue(res, i, 4));
        row->cred = atoi(PQgetvalue(res, i, 5));
        if (i == 0 && strcmp(row->identity, "unverified") != 0)
            break; /* a verified account: claims are no longer in play */
    }
    login_guard_reserve(req, person, login_reserved);
}

static void login_captcha_ok(struct http_request *req)
{
    struct account *a = req->ctx;
    const char *values[] = {a->login};
    api_query(req,
              "WITH p AS (SELECT id_number FROM candidates WHERE id_number = $1 UNION ALL "
              "SELECT c.id_number FROM exam_ids e JOIN candidates c ON c.id = e.candidate_id "
              "WHERE e.exam_id = $1 LIMIT 1) "
              "SELECT p.id_number, l.id, l.password_hash, l.name, l.identity, l.cred_version "
              "FROM p LEFT JOIN LATERAL account_logins(p.id_number) l ON true",
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
    if ((n != 18 && n != 12) || strspn(a->login, "0123456789xX") != n) {
        api_reject(req, "LOGIN_INVALID", "请输入 18 位身份证号或 12 位准考证号", "login");
        return;
    }
    char *login = arena_strdup(&req->arena, a->login);
    if (login[n - 1] == 'x')
        login[n - 1] = 'X';
    a->login = login;
    char *key = arena_printf(&req->arena, "rl:login:ip:%s", http_client_ip(req));
    api_rate_limit(req, key, req->srv->cfg.auth_login_per_ip_minute, 60,
                   "登录尝试过于频繁，请稍后再试", login_limited);
}

/* ---- logout ------------------------------------------------------------------- */

static void logout_authed(struct http_request *req, const struct api_session *s)
{
    api_session_end(req, s);
    http_respond_json(req, 200, json_pack("{s:b}", "logged_out", 1));
}

static void auth_logout(struct http_request *req)
{
    api_auth_require(req, logout_authed);
}

/* ---- activate (enrolled candidates) ----------------------------------------------
 *
 * Step 1 (activate/check) only remembers the ID number and name behind a
 * token; whether they name an enrolled candidate is told in step 2, after the
 * SMS code to the caller's phone was checked.
 *
 * auth_activate_check   fields, per-IP limit, captcha, then
 * activate_check_ok     the token
 *
 * auth_activate         fields; the token's ID number and name
 * activate_token_found  check the SMS code (not used up)
 * activate_sms_ok       the enrolled record named, and its claims
 * activate_found        hash the password
 * activate_hashed       use up the code
 * activate_consumed     add the claim (or replace this phone's earlier one)
 * activate_claimed      log in
 */

static void activate_token_stored(void *ud, redisReply *reply, const char *err)
{
    struct http_request *req = ud;
    struct account *a = req->ctx;
    if (err != NULL) {
        api_respond_busy(req);
        return;
    }
    http_respond_json(
        req, 200,
        json_pack("{s:s, s:i}", "activation_token", a->token, "expires_in", ACTIVATE_TTL));
}

static void activate_check_ok(struct http_request *req)
{
    struct account *a = req->ctx;
    unsigned char raw[16];
    char token[33];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(token, sizeof(token), raw, sizeof(raw));
    a->token = arena_strdup(&req->arena, token);
    json_t *who = json_pack("{s:s, s:s}", "id_number", a->id_number, "name", a->name);
    char *text = json_dumps(who, JSON_COMPACT);
    json_decref(who);
    int rc = text ? redis_command(req->srv->redis, activate_token_stored, req,
                                  "SET " RK_ACTIVATION " %s EX %d", token, text, ACTIVATE_TTL)
                  : -1;
    free(text);
    if (rc < 0)
        api_respond_busy(req);
}

static void activate_check_limited(struct http_request *req)
{
    struct account *a = req->ctx;
    verify_captcha(req, a->captcha_id, a->captcha, activate_check_ok);
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

static void answer_already_activated(struct http_request *req)
{
    http_respond_error(req, 409, "ALREADY_ACTIVATED",
                       "该考生已激活并通过身份认证，请直接登录；忘记密码请使用“找回密码”；"
                       "如不是您本人激活的，请携带身份证到考籍管理区县处理",
                       "id_number");
}

static void activate_claimed(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct account *a = req->ctx;
    if (api_db_failed(req, r))
        return;
    if (PQntuples(r->res) == 0) { /* the record was verified meanwhile */
        answer_already_activated(req);
        return;
    }
    (void)redis_command(req->srv->redis, NULL, NULL, "DEL " RK_ACTIVATION, a->token);
    log_msg(LOG_LEVEL_NOTICE, req->id, "enrolled candidate %" PRId64 " claimed by %s%s",
            a->record_id, PQgetvalue(r->res, 0, 0),
            a->claim_id ? " (replacing the claim from the same phone)" : "");
    answer_claim(req, r->res, 200);
}

static void activate_consumed(struct http_request *req)
{
    struct account *a = req->ctx;
    const char *values[] = {id_text(req, a->record_id), a->hash, a->phone,
                            a->claim_id ? id_text(req, a->claim_id) : NULL};
    api_query(req,
              "WITH r AS (SELECT * FROM candidates WHERE id = $1::bigint AND identity = "
              "'unverified'), "
              "up AS (UPDATE candidates c SET password_hash = $2, password_changed_at = now(), "
              "cred_version = c.cred_version + 1, updated_at = now() FROM r WHERE c.id = "
              "$4::bigint AND c.claim_of = r.id AND c.superseded_at IS NULL RETURNING c.id, "
              "c.name, c.id_number, c.identity, c.cred_version), "
              "ins AS (INSERT INTO candidates (id_number, name, gender, birth_date, ethnicity, "
              "hukou_type, education, occupation, political_status, phone, district, kind, "
              "claim_of, password_hash, password_changed_at, activated_at) SELECT id_number, "
              "name, gender, birth_date, ethnicity, hukou_type, education, occupation, "
              "political_status, $3, district, 'enrolled', id, $2, now(), now() FROM r WHERE "
              "$4::bigint IS NULL RETURNING id, name, id_number, identity, cred_version) "
              "SELECT * FROM up UNION ALL SELECT * FROM ins",
              4, values, activate_claimed);
}

static void activate_hashed(struct http_request *req, const char *hash)
{
    struct account *a = req->ctx;
    a->hash = hash;
    verify_sms_code_consume(req, a->phone, "activate", activate_consumed);
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
                   "身份证号与姓名不匹配，或您不是在籍考生；请返回上一步核对（短信验证码仍可"
                   "使用），仍有疑问请联系考籍管理区县",
                   "id_number");
        return;
    }
    if (strcmp(PQgetvalue(r->res, 0, 1), "t") == 0) {
        answer_already_activated(req);
        return;
    }
    a->record_id = strtoll(PQgetvalue(r->res, 0, 0), NULL, 10);
    a->claim_id = pg_value(r->res, 0, 3) ? strtoll(PQgetvalue(r->res, 0, 3), NULL, 10) : 0;
    if (a->claim_id == 0 && atoi(PQgetvalue(r->res, 0, 2)) >= CLAIMS_MAX) {
        reject_claims_full(req);
        return;
    }
    api_password_hash(req, a->password, activate_hashed);
}

static void activate_sms_ok(struct http_request *req)
{
    struct account *a = req->ctx;
    const char *values[] = {a->id_number, a->name, a->phone};
    api_query(req,
              "SELECT r.id, r.identity <> 'unverified', "
              "(SELECT count(*) FROM candidates c WHERE c.claim_of = r.id AND c.superseded_at IS "
              "NULL), "
              "(SELECT c.id FROM candidates c WHERE c.claim_of = r.id AND c.superseded_at IS NULL "
              "AND c.phone = $3 ORDER BY c.id DESC LIMIT 1) "
              "FROM candidates r WHERE r.id_number = $1 AND r.name = $2 AND r.kind = 'enrolled' "
              "AND r.claim_of IS NULL",
              3, values, activate_found);
}

static void answer_activation_expired(struct http_request *req)
{
    api_reject(req, "ACTIVATION_EXPIRED", "激活操作已超时，请重新核对身份信息", "activation_token");
}

static void activate_token_found(void *ud, redisReply *reply, const char *err)
{
    struct http_request *req = ud;
    struct account *a = req->ctx;
    if (err != NULL && reply == NULL) {
        api_respond_busy(req);
        return;
    }
    json_t *who = reply != NULL && reply->type == REDIS_REPLY_STRING
                      ? json_loadb(reply->str, reply->len, 0, NULL)
                      : NULL;
    const char *idn = json_string_value(json_object_get(who, "id_number"));
    const char *name = json_string_value(json_object_get(who, "name"));
    if (idn == NULL || name == NULL) {
        json_decref(who);
        answer_activation_expired(req);
        return;
    }
    a->id_number = arena_strdup(&req->arena, idn);
    a->name = arena_strdup(&req->arena, name);
    json_decref(who);
    verify_sms_code_peek(req, a->phone, "activate", a->sms_code, activate_sms_ok);
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
        answer_activation_expired(req);
        return;
    }
    if (redis_command(req->srv->redis, activate_token_found, req, "GET " RK_ACTIVATION, a->token) <
        0)
        api_respond_busy(req);
}

/* ---- recover the exam ID -------------------------------------------------------
 *
 * auth_recover_exam_id   fields
 * recover_exam_sms_ok    SMS code checked (not used up): the exam IDs of the
 *                        verified account with that ID number, name and phone
 * recover_exam_found     none: say so (the code stays usable); else use it up
 * recover_exam_consumed  answer
 */

static void recover_exam_consumed(struct http_request *req)
{
    struct account *a = req->ctx;
    json_t *list = json_loads(a->exam_id, 0, NULL); /* the list found, as text */
    http_respond_json(req, 200, json_pack("{s:o}", "exam_ids", list ? list : json_array()));
}

static void recover_exam_found(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct account *a = req->ctx;
    if (api_db_failed(req, r))
        return;
    if (PQntuples(r->res) == 0 || pg_value(r->res, 0, 0) == NULL) {
        api_reject(req, "IDENTITY_NOT_FOUND",
                   "未找到与身份证号、姓名和手机号相符、已通过身份认证的考生；请核对后重试"
                   "（短信验证码仍可使用），或联系考籍管理区县",
                   "id_number");
        return;
    }
    a->exam_id = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 0));
    verify_sms_code_consume(req, a->phone, "forgot_exam_id", recover_exam_consumed);
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
              "WHERE c.id_number = $1 AND c.name = $2 AND c.phone = $3 AND c.identity <> "
              "'unverified' AND c.superseded_at IS NULL",
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
    verify_sms_code_peek(req, a->phone, "forgot_exam_id", a->sms_code, recover_exam_sms_ok);
}

/* ---- recover the password ------------------------------------------------------
 *
 * auth_recover_password      fields
 * recover_password_sms_ok    SMS code checked (not used up): hash the new password
 *                            (before the lookup: the same work whatever it finds)
 * recover_password_hashed    the verified account with that ID number, exam
 *                            ID and phone
 * recover_password_found     none: say so (the code stays usable); else use it up
 * recover_password_consumed  store the password (a new cred_version)
 * recover_password_updated   end every session, then
 * recover_password_ended     lift the lockout and answer
 */

static void recover_password_ended(struct http_request *req, int err)
{
    struct account *a = req->ctx;
    if (err < 0) {
        api_respond_busy(req); /* the password is changed; asking again is safe */
        return;
    }
    login_guard_clear(req, a->id_number);
    log_msg(LOG_LEVEL_NOTICE, req->id, "candidate %" PRId64 " reset the password", a->candidate_id);
    http_respond_json(req, 200, json_pack("{s:b}", "password_reset", 1));
}

static void recover_password_updated(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct account *a = req->ctx;
    if (api_db_failed(req, r))
        return;
    if (PQntuples(r->res) == 0) { /* changed meanwhile */
        api_respond_busy(req);
        return;
    }
    api_session_end_all(req, a->candidate_id, NULL, recover_password_ended);
}

static void recover_password_consumed(struct http_request *req)
{
    struct account *a = req->ctx;
    const char *values[] = {id_text(req, a->candidate_id), a->hash};
    api_query(req,
              "UPDATE candidates SET password_hash = $2, password_changed_at = now(), "
              "cred_version = cred_version + 1, updated_at = now() WHERE id = $1 AND "
              "superseded_at IS NULL RETURNING id",
              2, values, recover_password_updated);
}

static void recover_password_found(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct account *a = req->ctx;
    if (!api_db_row(req, r, 422, "IDENTITY_NOT_FOUND",
                    "身份证号、准考证号与手机号不相符；请核对后重试（短信验证码仍可使用），"
                    "或联系考籍管理区县",
                    "id_number"))
        return;
    a->candidate_id = strtoll(PQgetvalue(r->res, 0, 0), NULL, 10);
    verify_sms_code_consume(req, a->phone, "reset_password", recover_password_consumed);
}

static void recover_password_hashed(struct http_request *req, const char *hash)
{
    struct account *a = req->ctx;
    a->hash = hash;
    const char *values[] = {a->id_number, a->exam_id, a->phone};
    api_query(req,
              "SELECT c.id FROM candidates c WHERE c.id_number = $1 AND c.phone = $3 AND "
              "c.password_hash IS NOT NULL AND c.identity <> 'unverified' AND c.superseded_at IS "
              "NULL AND EXISTS (SELECT 1 FROM exam_ids e WHERE e.candidate_id = c.id AND "
              "e.exam_id = $2)",
              3, values, recover_password_found);
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
    verify_sms_code_peek(req, a->phone, "reset_password", a->sms_code, recover_password_sms_ok);
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

static const struct api_metric accounts_metrics[] = {
    {"zikao_login_password_checks_total", "account=\"known\"",
     "Login password checks: of an account, or the same work for an identifier that names "
     "nobody.",
     true},
    {"zikao_login_password_checks_total", "account=\"unknown\"", "", true},
};

const struct api_module api_accounts_module = {
    .name = "accounts",
    API_ROUTES(accounts_routes),
    API_METRICS(accounts_metrics),
};
