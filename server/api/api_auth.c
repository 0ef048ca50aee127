/*
 * api_auth.c - sessions in Redis behind an HttpOnly cookie, per realm
 * (candidates here, staff in staff_auth.c), and the candidate's checks on
 * top (see api_auth.h).
 *
 * Owns nothing beyond each request: state lives in the request arena while
 * Redis answers. Hashing the 32-byte token is SHA-256 of 43 bytes: cheap
 * enough for the loop (unlike password hashing, which runs on the pool).
 */
#include "api_auth.h"
#include "redis_keys.h"
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

/* The realm's key of a token: hex(sha256(token)) into the arena. */
static char *session_key(struct http_request *req, const struct api_realm *realm, const char *token)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    return arena_printf(&req->arena, realm->key_fmt, hex);
}

static bool method_changes_state(const struct http_request *req)
{
    const char *m = req->method_name;
    return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "OPTIONS") != 0;
}

/* ---- realms ------------------------------------------------------------------------ */

struct realm_lookup {
    struct http_request *req;
    const struct api_realm *realm;
    api_realm_cb cb;
    void *ud;
    struct api_realm_session rs;
};

void api_realm_drop(struct http_request *req, const char *key)
{
    (void)redis_command(req->srv->redis, NULL, NULL, "DEL %s", key);
}

static void on_realm_session(void *ud, redisReply *reply, const char *err)
{
    struct realm_lookup *lk = ud;
    struct http_request *req = lk->req;
    if (err != NULL || reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        http_respond_error(req, 503, "SESSION_STORE_UNAVAILABLE", "系统繁忙，请稍后再试", NULL);
        return;
    }
    const char *owner = NULL, *created = NULL, *csrf = NULL, *cred = NULL, *ok = NULL;
    for (size_t i = 0; i + 1 < reply->elements; i += 2) {
        const char *f = reply->element[i]->str, *v = reply->element[i + 1]->str;
        if (strcmp(f, lk->realm->owner_field) == 0)
            owner = v;
        else if (strcmp(f, "created") == 0)
            created = v;
        else if (strcmp(f, "csrf") == 0)
            csrf = v;
        else if (strcmp(f, "cred") == 0)
            cred = v;
        else if (strcmp(f, "ok") == 0)
            ok = v;
    }
    const struct zk_config *cfg = &req->srv->cfg;
    if (owner == NULL || created == NULL || csrf == NULL) {
        http_respond_error(req, 401, "NOT_LOGGED_IN", "请先登录", NULL);
        return;
    }
    long long age = (long long)time(NULL) - atoll(created);
    if (age > (long long)lk->realm->max_seconds(cfg)) {
        api_realm_drop(req, lk->rs.key);
        http_respond_error(req, 401, "SESSION_EXPIRED", "登录已过期，请重新登录", NULL);
        return;
    }
    lk->rs.owner = strtoll(owner, NULL, 10);
    lk->rs.csrf = arena_strdup(&req->arena, csrf);
    lk->rs.ok = ok != NULL && strcmp(ok, "1") == 0;
    lk->rs.cred = cred != NULL ? atoi(cred) : -1;
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
    (void)redis_command(req->srv->redis, NULL, NULL, "EXPIRE %s %d", lk->rs.key,
                        lk->realm->idle_seconds(cfg));
    lk->cb(req, lk->ud, &lk->rs);
}

void api_realm_lookup(struct http_request *req, const struct api_realm *realm, api_realm_cb cb,
                      void *ud)
{
    const char *token = api_cookie_get(req, realm->cookie);
    if (token == NULL || strlen(token) < 32 || strlen(token) > 64) {
        http_respond_error(req, 401, "NOT_LOGGED_IN", "请先登录", NULL);
        return;
    }
    struct realm_lookup *lk = arena_calloc(&req->arena, sizeof(*lk));
    lk->req = req;
    lk->realm = realm;
    lk->cb = cb;
    lk->ud = ud;
    lk->rs.key = session_key(req, realm, token);
    if (redis_command(req->srv->redis, on_realm_session, lk, "HGETALL %s", lk->rs.key) < 0)
        http_respond_error(req, 503, "SESSION_STORE_UNAVAILABLE", "系统繁忙，请稍后再试", NULL);
}

struct realm_new {
    struct http_request *req;
    api_realm_created_cb cb;
    void *ud;
    struct api_realm_session rs;
    int pending;
    bool failed;
};

static void on_realm_stored(void *ud, redisReply *reply, const char *err)
{
    struct realm_new *sn = ud;
    (void)reply;
    if (err != NULL)
        sn->failed = true;
    if (--sn->pending > 0)
        return;
    sn->cb(sn->req, sn->ud, &sn->rs, sn->failed ? -EIO : 0);
}

void api_realm_create(struct http_request *req, const struct api_realm *realm, int64_t owner,
                      int cred, bool ok, api_realm_created_cb cb, void *ud)
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

    struct realm_new *sn = arena_calloc(&req->arena, sizeof(*sn));
    sn->req = req;
    sn->cb = cb;
    sn->ud = ud;
    sn->rs.owner = owner;
    sn->rs.cred = cred;
    sn->rs.ok = ok;
    sn->rs.key = session_key(req, realm, token);
    sn->rs.csrf = arena_strdup(&req->arena, csrf);
    char *who = arena_printf(&req->arena, "%" PRId64, owner);
    char *now = arena_printf(&req->arena, "%lld", (long long)time(NULL));
    char *set = arena_printf(&req->arena, realm->owner_set_fmt, (long long)owner);
    int idle = realm->idle_seconds(cfg), max = realm->max_seconds(cfg);
    struct redis_client *r = req->srv->redis;
    /* Only the replies of commands actually sent finish the creation: the
     * request must outlive every reply that points into its arena. */
    int sent = 0;
    bool refused = false;
    if (redis_command(r, on_realm_stored, sn, "HSET %s %s %s created %s csrf %s cred %d ok %d",
                      sn->rs.key, realm->owner_field, who, now, csrf, cred, ok ? 1 : 0) == 0)
        sent++;
    else
        refused = true;
    if (!refused && redis_command(r, on_realm_stored, sn, "EXPIRE %s %d", sn->rs.key, idle) == 0)
        sent++;
    else
        refused = true;
    if (!refused && redis_command(r, on_realm_stored, sn, "SADD %s %s", set, sn->rs.key) == 0)
        sent++;
    else
        refused = true;
    if (!refused && redis_command(r, on_realm_stored, sn, "EXPIRE %s %d", set, max) == 0)
        sent++;
    else
        refused = true;
    if (sent == 0) {
        cb(req, ud, &sn->rs, -ENOTCONN);
        return;
    }
    sn->pending = sent;
    sn->failed = refused;
    if (refused)
        return;
    char *cookie = arena_printf(&req->arena, "%s=%s; Path=%s; Max-Age=%d; HttpOnly; SameSite=%s%s",
                                realm->cookie, token, realm->cookie_path, max, realm->same_site,
                                cfg->auth_cookie_secure ? "; Secure" : "");
    http_response_header(req, "Set-Cookie", cookie);
}

void api_realm_end(struct http_request *req, const struct api_realm *realm, const char *key,
                   int64_t owner)
{
    char *set = arena_printf(&req->arena, realm->owner_set_fmt, (long long)owner);
    api_realm_drop(req, key);
    (void)redis_command(req->srv->redis, NULL, NULL, "SREM %s %s", set, key);
    http_response_header(req, "Set-Cookie",
                         arena_printf(&req->arena, "%s=; Path=%s; Max-Age=0; HttpOnly; SameSite=%s",
                                      realm->cookie, realm->cookie_path, realm->same_site));
}

/* Deletes every session in the set KEYS[1] but ARGV[1]; returns how many. */
#define END_ALL_LUA                                                                                \
    "local n = 0 "                                                                                 \
    "for _, k in ipairs(redis.call('SMEMBERS', KEYS[1])) do "                                      \
    "if k ~= ARGV[1] then redis.call('DEL', k) redis.call('SREM', KEYS[1], k) n = n + 1 end "      \
    "end return n"

struct end_all {
    struct http_request *req;
    api_done_cb done;
};

static void on_ended(void *ud, redisReply *reply, const char *err)
{
    struct end_all *ea = ud;
    bool ok = reply != NULL && reply->type == REDIS_REPLY_INTEGER;
    if (!ok)
        log_msg(LOG_LEVEL_WARNING, ea->req->id, "sessions not ended: %s",
                err ? err : "unexpected reply");
    ea->done(ea->req, ok ? 0 : -EIO);
}

void api_realm_end_all(struct http_request *req, const struct api_realm *realm, int64_t owner,
                       const char *keep, api_done_cb done)
{
    struct end_all *ea = arena_calloc(&req->arena, sizeof(*ea));
    ea->req = req;
    ea->done = done;
    char *set = arena_printf(&req->arena, realm->owner_set_fmt, (long long)owner);
    int rc = redis_command(req->srv->redis, done ? on_ended : NULL, done ? ea : NULL,
                           "EVAL %s 1 %s %s", END_ALL_LUA, set, keep ? keep : "");
    if (rc < 0) {
        log_msg(LOG_LEVEL_WARNING, req->id, "sessions not ended: Redis unavailable");
        if (done)
            done(req, rc);
    }
}

/* ---- candidates ---------------------------------------------------------------------- */

static int candidate_idle(const struct zk_config *cfg)
{
    return cfg->auth_session_idle_minutes * 60;
}

static int candidate_max(const struct zk_config *cfg)
{
    return cfg->auth_session_max_hours * 3600;
}

static const struct api_realm candidate_realm = {
    .cookie = "zikao_session",
    .cookie_path = "/",
    .same_site = "Lax",
    .key_fmt = RK_SESSION,
    .owner_set_fmt = RK_CANDIDATE_SESSIONS,
    .owner_field = "cand",
    .idle_seconds = candidate_idle,
    .max_seconds = candidate_max,
};

struct auth_lookup {
    struct http_request *req;
    api_auth_cb cb;
    struct api_session s;
    bool need_verified;
    int cred; /* the cred_version the session was made with; -1 unknown */
};

static void auth_pass(struct auth_lookup *lk)
{
    struct http_request *req = lk->req;
    if (lk->need_verified && !lk->s.verified) {
        http_respond_error(req, 403, "IDENTITY_REQUIRED",
                           "请先完成身份认证（个人中心 → 身份认证），通过后即可办理此项业务", NULL);
        return;
    }
    lk->cb(req, &lk->s);
}

static void auth_session_ended(struct auth_lookup *lk)
{
    api_realm_drop(lk->req, lk->s.key);
    http_respond_error(lk->req, 401, "SESSION_ENDED",
                       "登录已失效（密码已更改，或该身份证号已由本人完成身份认证），请重新登录",
                       NULL);
}

/* The unverified session's row, as PostgreSQL has it now. */
static void on_account(void *ud, const struct pg_result *r)
{
    struct auth_lookup *lk = ud;
    struct http_request *req = lk->req;
    if (api_db_failed(req, r))
        return;
    if (PQntuples(r->res) == 0) { /* the row is gone */
        auth_session_ended(lk);
        return;
    }
    int cred = atoi(PQgetvalue(r->res, 0, 0));
    bool superseded = strcmp(PQgetvalue(r->res, 0, 1), "t") == 0;
    int64_t account = strtoll(PQgetvalue(r->res, 0, 2), NULL, 10);
    bool verified = strcmp(PQgetvalue(r->res, 0, 3), "t") == 0;
    if (cred != lk->cred || superseded) {
        auth_session_ended(lk);
        return;
    }
    if (verified) {
        /* From now on Redis alone answers for this session. */
        struct redis_client *rc = req->srv->redis;
        (void)redis_command(rc, NULL, NULL, "HSET %s cand %" PRId64 " ok 1", lk->s.key, account);
        if (account != lk->s.candidate_id) { /* a claim merged into its record */
            char *set = arena_printf(&req->arena, RK_CANDIDATE_SESSIONS, (long long)account);
            (void)redis_command(rc, NULL, NULL, "SADD %s %s", set, lk->s.key);
            (void)redis_command(rc, NULL, NULL, "EXPIRE %s %d", set,
                                req->srv->cfg.auth_session_max_hours * 3600);
        }
        lk->s.candidate_id = account;
        lk->s.verified = true;
    }
    auth_pass(lk);
}

static void on_candidate_session(struct http_request *req, void *ud,
                                 const struct api_realm_session *rs)
{
    struct auth_lookup *lk = ud;
    lk->s.candidate_id = rs->owner;
    lk->s.key = rs->key;
    lk->s.csrf = rs->csrf;
    lk->s.verified = rs->ok;
    lk->cred = rs->cred;
    if (lk->s.verified) {
        auth_pass(lk);
        return;
    }
    const char *values[] = {arena_printf(&req->arena, "%" PRId64, lk->s.candidate_id)};
    (void)api_query_for(req, lk,
                        "SELECT c.cred_version, c.superseded_at IS NOT NULL AND c.merged_into IS "
                        "NULL, t.id, t.identity <> 'unverified' AND t.superseded_at IS NULL "
                        "FROM candidates c JOIN candidates t ON t.id = coalesce(c.merged_into, "
                        "c.id) WHERE c.id = $1",
                        1, values, on_account);
}

static void auth_lookup_start(struct http_request *req, api_auth_cb cb, bool need_verified)
{
    struct auth_lookup *lk = arena_calloc(&req->arena, sizeof(*lk));
    lk->req = req;
    lk->cb = cb;
    lk->need_verified = need_verified;
    api_realm_lookup(req, &candidate_realm, on_candidate_session, lk);
}

void api_auth_require(struct http_request *req, api_auth_cb cb)
{
    auth_lookup_start(req, cb, false);
}

void api_auth_require_verified(struct http_request *req, api_auth_cb cb)
{
    auth_lookup_start(req, cb, true);
}

struct session_new {
    api_session_cb cb;
    struct api_session s;
};

static void on_candidate_created(struct http_request *req, void *ud,
                                 const struct api_realm_session *rs, int err)
{
    struct session_new *sn = ud;
    sn->s.candidate_id = rs->owner;
    sn->s.key = rs->key;
    sn->s.csrf = rs->csrf;
    sn->s.verified = rs->ok;
    sn->cb(req, &sn->s, err);
}

void api_session_create(struct http_request *req, int64_t candidate_id, int cred_version,
                        bool verified, api_session_cb cb)
{
    struct session_new *sn = arena_calloc(&req->arena, sizeof(*sn));
    sn->cb = cb;
    api_realm_create(req, &candidate_realm, candidate_id, cred_version, verified,
                     on_candidate_created, sn);
}

void api_session_end(struct http_request *req, const struct api_session *s)
{
    api_realm_end(req, &candidate_realm, s->key, s->candidate_id);
}

void api_session_end_all(struct http_request *req, int64_t candidate_id, const char *keep,
                         api_done_cb done)
{
    api_realm_end_all(req, &candidate_realm, candidate_id, keep, done);
}

void api_session_set_cred(struct http_request *req, const char *key, int cred_version)
{
    (void)redis_command(req->srv->redis, NULL, NULL, "HSET %s cred %d", key, cred_version);
}
