/*
 * verify.c - picture captchas and SMS codes (see verify.h).
 *
 * Owns nothing past a request: Redis holds the state, the request arena the
 * rest. Captcha images are drawn on the thread pool.
 */
#include "verify.h"
#include "redis_keys.h"
#include "bjtime.h"
#include "alloc.h"
#include "api_offload.h"
#include "api_auth.h"
#include "captcha.h"
#include "log.h"
#include "mask.h"
#include "redis_client.h"
#include "server.h"
#include "sms_provider.h"
#include "validate.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CAPTCHA_TTL 300
#define SMS_TTL     300
#define SMS_TRIES   5

/* hex(sha256(x "|" y "|" z)) into the arena. */
static char *digest3(struct arena *a, const char *x, const char *y, const char *z)
{
    const char *parts[] = {x, y, z};
    return api_digest(a, 32, parts, 3);
}

/* ---- captcha: issue -------------------------------------------------------- */

struct captcha_work {
    char id[33];
    char answer[CAPTCHA_MAX + 1];
    uint32_t seed;
    unsigned char *png;
    size_t len;
    int rc;
};

static void captcha_draw(void *data)
{
    struct captcha_work *cw = data;
    cw->rc = captcha_render(cw->answer, cw->seed, &cw->png, &cw->len);
}

static void captcha_drawn(struct http_request *req, void *data)
{
    struct captcha_work *cw = data;
    if (cw->rc != 0) {
        api_respond_busy(req);
    } else {
        size_t b64len = sodium_base64_ENCODED_LEN(cw->len, sodium_base64_VARIANT_ORIGINAL);
        char *b64 = arena_alloc(&req->arena, b64len);
        sodium_bin2base64(b64, b64len, cw->png, cw->len, sodium_base64_VARIANT_ORIGINAL);
        char *image = arena_printf(&req->arena, "data:image/png;base64,%s", b64);
        http_respond_json(req, 200,
                          json_pack("{s:s, s:s, s:i, s:i, s:i}", "captcha_id", cw->id, "image",
                                    image, "width", CAPTCHA_CSS_WIDTH, "height", CAPTCHA_CSS_HEIGHT,
                                    "expires_in", CAPTCHA_TTL));
    }
    free(cw->png);
    free(cw);
}

struct captcha_store {
    struct http_request *req;
    struct captcha_work *cw;
};

static void captcha_stored(void *ud, redisReply *reply, const char *err)
{
    struct captcha_store *cs = ud;
    if (err != NULL) {
        api_respond_busy(cs->req);
        free(cs->cw);
        return;
    }
    if (api_offload(cs->req, API_OFFLOAD_CAPTCHA, captcha_draw, captcha_drawn, cs->cw) < 0)
        free(cs->cw);
}

static void captcha_issue(struct http_request *req)
{
    struct captcha_work *cw = zk_calloc(1, sizeof(*cw));
    unsigned char raw[16];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(cw->id, sizeof(cw->id), raw, sizeof(raw));
    const char *fixed = req->srv->cfg.auth_captcha_fixed;
    if (fixed[0] != '\0')
        snprintf(cw->answer, sizeof(cw->answer), "%.5s", fixed);
    else
        captcha_answer(cw->answer);
    cw->seed = randombytes_random();
    char norm[CAPTCHA_MAX + 1];
    if (captcha_normalise(cw->answer, norm) < 0)
        snprintf(norm, sizeof(norm), "%s", cw->answer);
    struct captcha_store *cs = arena_calloc(&req->arena, sizeof(*cs));
    cs->req = req;
    cs->cw = cw;
    char *key = arena_printf(&req->arena, RK_CAPTCHA, cw->id);
    char *hash = digest3(&req->arena, "captcha", cw->id, norm);
    if (redis_command(req->srv->redis, captcha_stored, cs, "SET %s %s EX %d", key, hash,
                      CAPTCHA_TTL) < 0) {
        free(cw);
        api_respond_busy(req);
    }
}

static void captcha_get(struct http_request *req)
{
    char *key = arena_printf(&req->arena, "rl:captcha:ip:%s", http_client_ip(req));
    api_rate_limit(req, key, req->srv->cfg.auth_captcha_per_ip_minute, 60,
                   "获取验证码过于频繁，请稍后再试", captcha_issue);
}

/* ---- captcha: check ---------------------------------------------------------- */

struct captcha_check {
    struct http_request *req;
    const char *expect;
    api_next_fn next;
};

static void captcha_checked(void *ud, redisReply *reply, const char *err)
{
    struct captcha_check *cc = ud;
    struct http_request *req = cc->req;
    if (err != NULL && reply == NULL) {
        api_respond_busy(req);
        return;
    }
    bool ok = reply != NULL && reply->type == REDIS_REPLY_STRING &&
              reply->len == (size_t)strlen(cc->expect) &&
              sodium_memcmp(reply->str, cc->expect, reply->len) == 0;
    if (!ok) {
        http_respond_error(req, 422, "CAPTCHA_WRONG", "图形验证码不正确或已过期，请重新获取",
                           "captcha");
        return;
    }
    cc->next(req);
}

void verify_captcha(struct http_request *req, const char *captcha_id, const char *answer,
                    api_next_fn next)
{
    char norm[CAPTCHA_MAX + 1];
    if (strlen(captcha_id) != 32 || strspn(captcha_id, "0123456789abcdef") != 32 ||
        captcha_normalise(answer, norm) < 0) {
        http_respond_error(req, 422, "CAPTCHA_WRONG", "图形验证码不正确或已过期，请重新获取",
                           "captcha");
        return;
    }
    struct captcha_check *cc = arena_calloc(&req->arena, sizeof(*cc));
    cc->req = req;
    cc->next = next;
    cc->expect = digest3(&req->arena, "captcha", captcha_id, norm);
    /* GETDEL: consumed by the first attempt, right or wrong. */
    if (redis_command(req->srv->redis, captcha_checked, cc, "GETDEL " RK_CAPTCHA, captcha_id) < 0)
        api_respond_busy(req);
}

/* ---- SMS: send ------------------------------------------------------------------- */

static const struct {
    const char *purpose;
    const char *label;
} sms_purposes[] = {
    {"register", "新考生注册"},         {"activate", "在籍考生激活"},
    {"forgot_exam_id", "找回准考证号"}, {"reset_password", "找回密码"},
    {"change_phone", "更换手机号"},
};

static const char *sms_purpose_label(const char *purpose)
{
    for (size_t i = 0; i < sizeof(sms_purposes) / sizeof(sms_purposes[0]); i++)
        if (strcmp(purpose, sms_purposes[i].purpose) == 0)
            return sms_purposes[i].label;
    return NULL;
}

struct sms_send {
    struct http_request *req;
    const char *phone, *purpose, *captcha_id, *captcha;
    char code[7];
    int pending;
    bool failed;
};

/* The provider has taken the message for delivery. */
static void sms_sent(struct http_request *req)
{
    struct sms_send *ss = req->ctx;
    char phone[16];
    log_msg(LOG_LEVEL_INFO, req->id, "sms code for %s sent to %s", ss->purpose,
            mask_phone(phone, sizeof(phone), ss->phone));
    http_respond_json(req, 202,
                      json_pack("{s:b, s:i, s:i}", "sent", 1, "expires_in", SMS_TTL, "resend_after",
                                req->srv->cfg.auth_sms_resend_seconds));
}

static void sms_code_stored(void *ud, redisReply *reply, const char *err)
{
    struct sms_send *ss = ud;
    struct http_request *req = ss->req;
    if (err != NULL)
        ss->failed = true;
    if (--ss->pending > 0)
        return;
    if (ss->failed) {
        api_respond_busy(req);
        return;
    }
    char *body = arena_printf(&req->arena,
                              "【自考服务平台】您的验证码为 %s，%d 分钟内有效，仅用于%s，"
                              "请勿告诉他人。",
                              ss->code, SMS_TTL / 60, sms_purpose_label(ss->purpose));
    struct sms_message msg = {ss->phone, ss->purpose, body};
    const struct sms_provider *provider = sms_provider_find(req->srv->cfg.auth_sms_provider);
    if (provider == NULL) { /* the configuration only admits known providers */
        http_respond_error(req, 503, "SMS_UNAVAILABLE", "短信服务暂不可用，请稍后再试", NULL);
        return;
    }
    provider->send(req, &msg, sms_sent);
}

static void sms_generate(struct http_request *req)
{
    struct sms_send *ss = req->ctx;
    snprintf(ss->code, sizeof(ss->code), "%06u", (unsigned)randombytes_uniform(1000000));
    char *key = arena_printf(&req->arena, RK_SMS_CODE, ss->purpose, ss->phone);
    char *hash = digest3(&req->arena, ss->code, ss->phone, ss->purpose);
    struct redis_client *r = req->srv->redis;
    int sent = 0;
    if (redis_command(r, sms_code_stored, ss, "HSET %s hash %s tries 0", key, hash) == 0) {
        sent++;
        if (redis_command(r, sms_code_stored, ss, "EXPIRE %s %d", key, SMS_TTL) == 0)
            sent++;
    }
    if (sent == 0) {
        api_respond_busy(req);
        return;
    }
    ss->pending = sent;
    ss->failed = sent < 2;
}

static void sms_per_day(struct http_request *req)
{
    struct sms_send *ss = req->ctx;
    time_t now = time(NULL);
    /* The day in Beijing; the count ends (and Retry-After points) at its midnight. */
    char *key = arena_printf(&req->arena, "rl:sms:day:%s:%d", ss->phone, bj_date(now));
    char *msg = arena_printf(&req->arena, "该手机号今天获取验证码已达 %d 次上限，请明天再试",
                             req->srv->cfg.auth_sms_per_phone_day);
    api_rate_limit(req, key, req->srv->cfg.auth_sms_per_phone_day, (int)bj_seconds_to_midnight(now),
                   msg, sms_generate);
}

static void sms_cooled(void *ud, redisReply *reply, const char *err)
{
    struct sms_send *ss = ud;
    struct http_request *req = ss->req;
    if (err != NULL && reply == NULL) {
        api_respond_busy(req);
        return;
    }
    if (reply == NULL || reply->type == REDIS_REPLY_NIL) {
        /* A code went to this phone less than resend_seconds ago. */
        char *retry = arena_printf(&req->arena, "%d", req->srv->cfg.auth_sms_resend_seconds);
        http_response_header(req, "Retry-After", retry);
        http_respond_error(req, 429, "SMS_TOO_SOON",
                           arena_printf(&req->arena, "验证码已发送，请 %d 秒后再重新获取",
                                        req->srv->cfg.auth_sms_resend_seconds),
                           "phone");
        return;
    }
    sms_per_day(req);
}

static void sms_after_captcha(struct http_request *req)
{
    struct sms_send *ss = req->ctx;
    if (redis_command(req->srv->redis, sms_cooled, ss, "SET " RK_SMS_COOLDOWN " 1 EX %d NX",
                      ss->phone, req->srv->cfg.auth_sms_resend_seconds) < 0)
        api_respond_busy(req);
}

static void sms_after_ip_limit(struct http_request *req)
{
    struct sms_send *ss = req->ctx;
    verify_captcha(req, ss->captcha_id, ss->captcha, sms_after_captcha);
}

static void sms_start(struct http_request *req)
{
    char *key = arena_printf(&req->arena, "rl:sms:ip:%s", http_client_ip(req));
    api_rate_limit(req, key, req->srv->cfg.auth_sms_per_ip_hour, 3600,
                   "获取短信验证码过于频繁，请稍后再试", sms_after_ip_limit);
}

static void sms_send_authed(struct http_request *req, const struct api_session *s)
{
    sms_start(req);
}

static void sms_send(struct http_request *req)
{
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    struct sms_send *ss = arena_calloc(&req->arena, sizeof(*ss));
    ss->req = req;
    req->ctx = ss;
    ss->phone = api_field_str(req, body, "phone", 20);
    ss->purpose = ss->phone ? api_field_str(req, body, "purpose", 32) : NULL;
    ss->captcha_id = ss->purpose ? api_field_str(req, body, "captcha_id", 64) : NULL;
    ss->captcha = ss->captcha_id ? api_field_str(req, body, "captcha", 16) : NULL;
    json_decref(body);
    if (ss->captcha == NULL)
        return;
    const char *why = validate_phone(ss->phone);
    if (why != NULL) {
        api_reject(req, "PHONE_INVALID", why, "phone");
        return;
    }
    if (sms_purpose_label(ss->purpose) == NULL) {
        api_reject(req, "PURPOSE_INVALID",
                   "purpose 应为 register、activate、forgot_exam_id、reset_password 或 "
                   "change_phone",
                   "purpose");
        return;
    }
    if (strcmp(ss->purpose, "change_phone") == 0)
        api_auth_require(req, sms_send_authed); /* only a logged-in owner */
    else
        sms_start(req);
}

/* ---- SMS: check ------------------------------------------------------------------- */

/*
 * One check of a code, atomic in Redis: the try is counted before the code
 * is compared, so guesses sent in parallel cannot all read "0 tries" and get
 * past the limit. Returns {-1} no code, {-2, tries} locked, {0, tries} wrong,
 * {1, tries} right (deleted when ARGV[3] is 1).
 */
#define SMS_CHECK_LUA                                                                              \
    "if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end "                               \
    "local t = redis.call('HINCRBY', KEYS[1], 'tries', 1) "                                        \
    "if t > tonumber(ARGV[2]) then return {-2, t} end "                                            \
    "if redis.call('HGET', KEYS[1], 'hash') ~= ARGV[1] then return {0, t} end "                    \
    "if ARGV[3] == '1' then redis.call('DEL', KEYS[1]) end "                                       \
    "return {1, t}"

struct sms_check {
    struct http_request *req;
    const char *key, *expect;
    api_next_fn next;
};

static void sms_answer_expired(struct http_request *req)
{
    http_respond_error(req, 422, "SMS_CODE_EXPIRED", "短信验证码已过期或未获取，请重新获取",
                       "sms_code");
}

static void sms_checked(void *ud, redisReply *reply, const char *err)
{
    struct sms_check *sc = ud;
    struct http_request *req = sc->req;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_INTEGER) {
        if (err != NULL)
            log_msg(LOG_LEVEL_WARNING, req->id, "sms code check: %s", err);
        api_respond_busy(req);
        return;
    }
    long long verdict = reply->element[0]->integer, tries = reply->element[1]->integer;
    if (verdict == -1) {
        sms_answer_expired(req);
        return;
    }
    if (verdict == -2) {
        http_respond_error(req, 422, "SMS_CODE_LOCKED", "短信验证码错误次数过多，请重新获取",
                           "sms_code");
        return;
    }
    if (verdict == 0) {
        long long left = SMS_TRIES - tries;
        http_respond_error(
            req, 422, "SMS_CODE_WRONG",
            left > 0 ? arena_printf(&req->arena, "短信验证码不正确，还可再试 %lld 次", left)
                     : "短信验证码不正确，请重新获取",
            "sms_code");
        return;
    }
    sc->next(req);
}

static void sms_check(struct http_request *req, const char *phone, const char *purpose,
                      const char *code, bool consume, api_next_fn next)
{
    const char *why = validate_sms_code(code);
    if (why != NULL) {
        http_respond_error(req, 422, "SMS_CODE_WRONG", why, "sms_code");
        return;
    }
    struct sms_check *sc = arena_calloc(&req->arena, sizeof(*sc));
    sc->req = req;
    sc->next = next;
    sc->key = arena_printf(&req->arena, RK_SMS_CODE, purpose, phone);
    sc->expect = digest3(&req->arena, code, phone, purpose);
    if (redis_command(req->srv->redis, sms_checked, sc, "EVAL %s 1 %s %s %d %s", SMS_CHECK_LUA,
                      sc->key, sc->expect, SMS_TRIES, consume ? "1" : "0") < 0)
        api_respond_busy(req);
}

void verify_sms_code(struct http_request *req, const char *phone, const char *purpose,
                     const char *code, api_next_fn next)
{
    sms_check(req, phone, purpose, code, true, next);
}

void verify_sms_code_peek(struct http_request *req, const char *phone, const char *purpose,
                          const char *code, api_next_fn next)
{
    sms_check(req, phone, purpose, code, false, next);
}

static void sms_consumed(void *ud, redisReply *reply, const char *err)
{
    struct sms_check *sc = ud;
    if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) {
        api_respond_busy(sc->req);
        return;
    }
    if (reply->integer != 1) { /* another request used it in between */
        sms_answer_expired(sc->req);
        return;
    }
    sc->next(sc->req);
}

void verify_sms_code_consume(struct http_request *req, const char *phone, const char *purpose,
                             api_next_fn next)
{
    struct sms_check *sc = arena_calloc(&req->arena, sizeof(*sc));
    sc->req = req;
    sc->next = next;
    if (redis_command(req->srv->redis, sms_consumed, sc, "DEL " RK_SMS_CODE, purpose, phone) < 0)
        api_respond_busy(req);
}

static const struct route verify_routes[] = {
    {"GET", "/api/v1/captcha", captcha_get, 0, NULL},
    {"POST", "/api/v1/sms/send", sms_send, 2048, NULL},
};

static int verify_check_config(const struct zk_config *cfg, char *err, size_t errsz)
{
    if (config_is_production(cfg) && cfg->auth_captcha_fixed[0] != '\0') {
        snprintf(err, errsz,
                 "[auth] captcha_fixed_answer is for automated tests and is refused "
                 "when [server] environment = production");
        return -EINVAL;
    }
    return 0;
}

/* The loop has ended: no captcha is being drawn; release the caches the
 * first drawing filled (leak checkers then see a clean process). */
static void verify_free(struct server *srv, void *state)
{
    captcha_shutdown();
}

const struct api_module api_verify_module = {
    .name = "verify",
    API_ROUTES(verify_routes),
    .check_config = verify_check_config,
    .free = verify_free,
};
