/*
 * login_guard.c - the login lockout per person and client (see login_guard.h).
 *
 * Owns nothing past a request: Redis holds the counts and remembered
 * browsers; keys (P = 128-bit digest of the person, D = of a device cookie):
 *   zikao:login:P:any     checks from clients never used by P (counter)
 *   zikao:login:P:d:D     checks from the remembered browser D (counter)
 *   zikao:login:P:dev     the browsers P logged in from (set of D)
 */
#include "login_guard.h"
#include "redis_keys.h"
#include "api_auth.h"
#include "api_util.h"
#include "log.h"
#include "redis_client.h"
#include "server.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define DEVICE_COOKIE  "zikao_device"
#define DEVICE_DAYS    180
#define DEVICE_TOKEN_N 32 /* hex characters of a device cookie */

/*
 * Counts one check unless the client's budget is spent, atomically.
 * KEYS: unknown-client counter, device set, this device's counter.
 * ARGV: device digest ('' none), max checks, period in seconds.
 * Returns {checks or -1 when locked, PTTL of the counter, the counter's key}.
 */
#define RESERVE_LUA                                                                                \
    "local key = KEYS[1] "                                                                         \
    "if ARGV[1] ~= '' and redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then key = KEYS[3] end "  \
    "local n = tonumber(redis.call('GET', key) or '0') "                                           \
    "if n >= tonumber(ARGV[2]) then return {-1, redis.call('PTTL', key), key} end "                \
    "n = redis.call('INCR', key) "                                                                 \
    "if n == 1 then redis.call('EXPIRE', key, ARGV[3]) end "                                       \
    "return {n, redis.call('PTTL', key), key}"

/* hex of the first 16 bytes of sha256(tag "|" value), into the arena. */
static char *digest(struct arena *a, const char *tag, const char *value)
{
    const char *parts[] = {tag, value};
    return api_digest(a, 16, parts, 2);
}

/* The device cookie's digest, or "" when the browser sent none (or junk). */
static const char *device_of(struct http_request *req)
{
    const char *token = api_cookie_get(req, DEVICE_COOKIE);
    if (token == NULL || strlen(token) != DEVICE_TOKEN_N ||
        strspn(token, "0123456789abcdef") != DEVICE_TOKEN_N)
        return "";
    return digest(&req->arena, "device", token);
}

struct reserve {
    struct http_request *req;
    login_guard_cb cb;
    struct login_guard g;
};

static void on_reserved(void *ud, redisReply *reply, const char *err)
{
    struct reserve *rs = ud;
    struct http_request *req = rs->req;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
        reply->element[0]->type != REDIS_REPLY_INTEGER ||
        reply->element[1]->type != REDIS_REPLY_INTEGER ||
        reply->element[2]->type != REDIS_REPLY_STRING) {
        log_msg(LOG_LEVEL_WARNING, req->id, "login lockout not counted: %s",
                err ? err : "unexpected reply");
        api_respond_busy(req);
        return;
    }
    long long n = reply->element[0]->integer, pttl = reply->element[1]->integer;
    rs->g.counter = arena_strdup(&req->arena, reply->element[2]->str);
    rs->g.left_ms = pttl > 0 ? pttl : 0;
    if (n < 0) {
        rs->g.locked_ms = pttl > 0 ? pttl : 1000;
    } else {
        rs->g.checks = n;
    }
    rs->cb(req, &rs->g);
}

void login_guard_reserve(struct http_request *req, const char *person_id, login_guard_cb cb)
{
    const struct zk_config *cfg = &req->srv->cfg;
    struct reserve *rs = arena_calloc(&req->arena, sizeof(*rs));
    rs->req = req;
    rs->cb = cb;
    rs->g.person = digest(&req->arena, "person", person_id);
    rs->g.device = device_of(req);
    char *any = arena_printf(&req->arena, RK_LOGIN_ANY, rs->g.person);
    char *set = arena_printf(&req->arena, RK_LOGIN_DEVICES, rs->g.person);
    char *mine = arena_printf(&req->arena, RK_LOGIN_DEVICE, rs->g.person,
                              rs->g.device[0] ? rs->g.device : "-");
    if (redis_command(req->srv->redis, on_reserved, rs, "EVAL %s 3 %s %s %s %s %d %d", RESERVE_LUA,
                      any, set, mine, rs->g.device, cfg->auth_login_max_failures,
                      cfg->auth_lockout_seconds) < 0)
        api_respond_busy(req);
}

void login_guard_succeeded(struct http_request *req, const struct login_guard *g)
{
    struct redis_client *r = req->srv->redis;
    (void)redis_command(r, NULL, NULL, "DEL %s", g->counter);
    const char *device = g->device;
    if (device[0] == '\0') {
        unsigned char raw[DEVICE_TOKEN_N / 2];
        char token[DEVICE_TOKEN_N + 1];
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2hex(token, sizeof(token), raw, sizeof(raw));
        device = digest(&req->arena, "device", token);
        /* Sent back to the folder of the login route only: /api/v1/auth for
         * candidates, /api/v1/staff/auth for staff. */
        const char *slash = strrchr(req->path, '/');
        int folder = slash != NULL && slash != req->path ? (int)(slash - req->path) : 1;
        http_response_header(req, "Set-Cookie",
                             arena_printf(&req->arena,
                                          DEVICE_COOKIE "=%s; Path=%.*s; Max-Age=%d; "
                                                        "HttpOnly; SameSite=Lax%s",
                                          token, folder, req->path, DEVICE_DAYS * 86400,
                                          req->srv->cfg.auth_cookie_secure ? "; Secure" : ""));
    }
    char *set = arena_printf(&req->arena, RK_LOGIN_DEVICES, g->person);
    (void)redis_command(r, NULL, NULL, "SADD %s %s", set, device);
    (void)redis_command(r, NULL, NULL, "EXPIRE %s %d", set, DEVICE_DAYS * 86400);
}

/* Deletes the unknown-client counter and every remembered browser's. */
#define CLEAR_ALL_LUA                                                                              \
    "redis.call('DEL', KEYS[1]) "                                                                  \
    "for _, d in ipairs(redis.call('SMEMBERS', KEYS[2])) do "                                      \
    "redis.call('DEL', ARGV[1] .. d) end return 1"

struct clear_all {
    struct http_request *req;
    api_next_fn done;
};

static void on_cleared(void *ud, redisReply *reply, const char *err)
{
    struct clear_all *ca = ud;
    if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) {
        log_msg(LOG_LEVEL_WARNING, ca->req->id, "lockout not cleared: %s",
                err ? err : "unexpected reply");
        http_respond_error(ca->req, 503, "RATE_STORE_UNAVAILABLE", "系统繁忙，请稍后再试", NULL);
        return;
    }
    ca->done(ca->req);
}

void login_guard_clear_all(struct http_request *req, const char *person_id, api_next_fn done)
{
    struct clear_all *ca = arena_calloc(&req->arena, sizeof(*ca));
    ca->req = req;
    ca->done = done;
    const char *person = digest(&req->arena, "person", person_id);
    char *any = arena_printf(&req->arena, RK_LOGIN_ANY, person);
    char *set = arena_printf(&req->arena, RK_LOGIN_DEVICES, person);
    /* RK_LOGIN_DEVICE with the device left to the script: "zikao:login:P:d:". */
    char *prefix = arena_printf(&req->arena, RK_LOGIN_DEVICE, person, "");
    if (redis_command(req->srv->redis, on_cleared, ca, "EVAL %s 2 %s %s %s", CLEAR_ALL_LUA, any,
                      set, prefix) < 0)
        http_respond_error(req, 503, "RATE_STORE_UNAVAILABLE", "系统繁忙，请稍后再试", NULL);
}

void login_guard_clear(struct http_request *req, const char *person_id)
{
    const char *person = digest(&req->arena, "person", person_id);
    const char *device = device_of(req);
    (void)redis_command(req->srv->redis, NULL, NULL, "DEL " RK_LOGIN_ANY " " RK_LOGIN_DEVICE,
                        person, person, device[0] ? device : "-");
}
