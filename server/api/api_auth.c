/*
 * api_auth.c - sessions in Redis behind an HttpOnly cookie (see api_auth.h).
 *
 * Owns nothing beyond each request: state lives in the request arena while
 * Redis answers. Hashing the 32-byte token is SHA-256 of 43 bytes: cheap
 * enough for the loop (unlike password hashing, which runs on the pool).
 */
#include "api_auth.h"
#include "alloc.h"
#include "log.h"
#include "redis_client.h"
#include "server.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SESSION_COOKIE "zikao_session"

const char *api_cookie_get(struct http_request *req, const char *name)
{
    size_t nlen = strlen(name);
    for (int i = 0; i < req->nheaders; i++) {
        if (strcasecmp(req->headers[i].name, "Cookie") != 0)
            continue;
        const char *p = req->headers[i].value;
        while (*p) {
            while (*p == ' ' || *p == ';')
                p++;
            const char *eq = strchr(p, '=');
            const char *end = strchr(p, ';');
            if (end == NULL)
                end = p + strlen(p);
            if (eq != NULL && eq < end && (size_t)(eq - p) == nlen && memcmp(p, name, nlen) == 0)
                return arena_strndup(&req->arena, eq + 1, (size_t)(end - eq - 1));
            p = end;
        }
    }
    return NULL;
}

/* "zikao:sess:" + hex(sha256(token)) into the arena. */
static char *session_key(struct http_request *req, const char *token)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    return arena_printf(&req->arena, "zikao:sess:%s", hex);
}

static bool method_changes_state(const struct http_request *req)
{
    const char *m = req->method_name;
    return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "OPTIONS") != 0;
}

struct auth_lookup {
    struct http_request *req;
    api_auth_cb cb;
    struct api_session s;
};

static void on_session(void *ud, redisReply *reply, const char *err)
{
    struct auth_lookup *lk = ud;
    struct http_request *req = lk->req;
    if (err != NULL || reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        http_respond_error(req, 503, "SESSION_STORE_UNAVAILABLE", "系统繁忙，请稍后再试", NULL);
        return;
    }
    const char *cand = NULL, *created = NULL, *csrf = NULL;
    for (size_t i = 0; i + 1 < reply->elements; i += 2) {
        const char *f = reply->element[i]->str, *v = reply->element[i + 1]->str;
        if (strcmp(f, "cand") == 0)
            cand = v;
        else if (strcmp(f, "created") == 0)
            created = v;
        else if (strcmp(f, "csrf") == 0)
            csrf = v;
    }
    const struct zk_config *cfg = &req->srv->cfg;
    if (cand == NULL || created == NULL || csrf == NULL) {
        http_respond_error(req, 401, "NOT_LOGGED_IN", "请先登录", NULL);
        return;
    }
    long long age = (long long)time(NULL) - atoll(created);
    if (age > (long long)cfg->auth_session_max_hours * 3600) {
        (void)redis_command(req->srv->redis, NULL, NULL, "DEL %s", lk->s.key);
        http_respond_error(req, 401, "SESSION_EXPIRED", "登录已过期，请重新登录", NULL);
        return;
    }
    lk->s.candidate_id = strtoll(cand, NULL, 10);
    lk->s.csrf = arena_strdup(&req->arena, csrf);
    if (method_changes_state(req)) {
        const char *sent = http_header_get(req, "X-CSRF-Token");
        if (sent == NULL || strlen(sent) != strlen(csrf) ||
            sodium_memcmp(sent, csrf, strlen(csrf)) != 0) {
            http_respond_error(req, 403, "CSRF_CHECK_FAILED",
                               "请求缺少安全校验信息，请刷新页面后重试", NULL);
            return;
        }
    }
    /* Sliding expiry: each use pushes the idle deadline back. */
    (void)redis_command(req->srv->redis, NULL, NULL, "EXPIRE %s %d", lk->s.key,
                        cfg->auth_session_idle_minutes * 60);
    lk->cb(req, &lk->s);
}

void api_auth_require(struct http_request *req, api_auth_cb cb)
{
    const char *token = api_cookie_get(req, SESSION_COOKIE);
    if (token == NULL || strlen(token) < 32 || strlen(token) > 64) {
        http_respond_error(req, 401, "NOT_LOGGED_IN", "请先登录", NULL);
        return;
    }
    struct auth_lookup *lk = arena_calloc(&req->arena, sizeof(*lk));
    lk->cb = cb;
    lk->s.key = session_key(req, token);
    lk->req = req;
    if (redis_command(req->srv->redis, on_session, lk, "HGETALL %s", lk->s.key) < 0)
        http_respond_error(req, 503, "SESSION_STORE_UNAVAILABLE", "系统繁忙，请稍后再试", NULL);
}

struct session_new {
    struct http_request *req;
    api_session_cb cb;
    struct api_session s;
    int pending;
    bool failed;
};

static void on_session_stored(void *ud, redisReply *reply, const char *err)
{
    struct session_new *sn = ud;
    if (err != NULL)
        sn->failed = true;
    if (--sn->pending > 0)
        return;
    sn->cb(sn->req, &sn->s, sn->failed ? -EIO : 0);
}

void api_session_create(struct http_request *req, int64_t candidate_id, api_session_cb cb)
{
    const struct zk_config *cfg = &req->srv->cfg;
    unsigned char raw[32], csrf_raw[16];
    char token[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    char csrf[2 * sizeof(csrf_raw) + 1];
    randombytes_buf(raw, sizeof(raw));
    randombytes_buf(csrf_raw, sizeof(csrf_raw));
    sodium_bin2base64(token, sizeof(token), raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_bin2hex(csrf, sizeof(csrf), csrf_raw, sizeof(csrf_raw));
    sodium_memzero(raw, sizeof(raw));

    struct session_new *sn = arena_calloc(&req->arena, sizeof(*sn));
    sn->cb = cb;
    sn->s.candidate_id = candidate_id;
    sn->s.key = session_key(req, token);
    sn->s.csrf = arena_strdup(&req->arena, csrf);
    sn->req = req;
    char *cand = arena_printf(&req->arena, "%" PRId64, candidate_id);
    char *now = arena_printf(&req->arena, "%lld", (long long)time(NULL));
    char *set = arena_printf(&req->arena, "zikao:cand:%s:sess", cand);
    int idle = cfg->auth_session_idle_minutes * 60, max = cfg->auth_session_max_hours * 3600;
    struct redis_client *r = req->srv->redis;
    /* Only the replies of commands actually sent finish the creation: the
     * request must outlive every reply that points into its arena. */
    int sent = 0;
    bool refused = false;
    if (redis_command(r, on_session_stored, sn, "HSET %s cand %s created %s csrf %s", sn->s.key,
                      cand, now, csrf) == 0)
        sent++;
    else
        refused = true;
    if (!refused && redis_command(r, on_session_stored, sn, "EXPIRE %s %d", sn->s.key, idle) == 0)
        sent++;
    else
        refused = true;
    if (!refused && redis_command(r, on_session_stored, sn, "SADD %s %s", set, sn->s.key) == 0)
        sent++;
    else
        refused = true;
    if (!refused && redis_command(r, on_session_stored, sn, "EXPIRE %s %d", set, max) == 0)
        sent++;
    else
        refused = true;
    if (sent == 0) {
        cb(req, &sn->s, -ENOTCONN);
        return;
    }
    sn->pending = sent;
    sn->failed = refused;
    if (refused)
        return;
    char *cookie = arena_printf(&req->arena,
                                SESSION_COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly; "
                                               "SameSite=Lax%s",
                                token, max, cfg->auth_cookie_secure ? "; Secure" : "");
    http_response_header(req, "Set-Cookie", cookie);
}

void api_session_end(struct http_request *req, const struct api_session *s)
{
    char *set = arena_printf(&req->arena, "zikao:cand:%" PRId64 ":sess", s->candidate_id);
    (void)redis_command(req->srv->redis, NULL, NULL, "DEL %s", s->key);
    (void)redis_command(req->srv->redis, NULL, NULL, "SREM %s %s", set, s->key);
    http_response_header(req, "Set-Cookie",
                         SESSION_COOKIE "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
}

struct end_all {
    struct redis_client *redis;
    char set[64];
    char keep[96];
};

static void on_members(void *ud, redisReply *reply, const char *err)
{
    struct end_all *ea = ud;
    if (err == NULL && reply != NULL && reply->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i < reply->elements; i++) {
            const char *key = reply->element[i]->str;
            if (strcmp(key, ea->keep) == 0)
                continue;
            (void)redis_command(ea->redis, NULL, NULL, "DEL %s", key);
            (void)redis_command(ea->redis, NULL, NULL, "SREM %s %s", ea->set, key);
        }
    }
    free(ea);
}

void api_session_end_all(struct http_request *req, int64_t candidate_id, const char *keep)
{
    /* Not tied to the request: it may finish after the answer is gone. */
    struct end_all *ea = zk_calloc(1, sizeof(*ea));
    ea->redis = req->srv->redis;
    snprintf(ea->set, sizeof(ea->set), "zikao:cand:%" PRId64 ":sess", candidate_id);
    snprintf(ea->keep, sizeof(ea->keep), "%s", keep ? keep : "");
    if (redis_command(ea->redis, on_members, ea, "SMEMBERS %s", ea->set) < 0) {
        log_warn("sessions of a candidate could not be ended: Redis unavailable");
        free(ea);
    }
}
