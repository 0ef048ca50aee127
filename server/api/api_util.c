/*
 * api_util.c - body fields, rate limits, password hashing (see api_util.h).
 */
#include "api_util.h"
#include "redis_keys.h"
#include "api_offload.h"
#include "alloc.h"
#include "log.h"
#include "redis_client.h"
#include "server.h"
#include "sniff.h"

#include <errno.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void *api_reject(struct http_request *req, const char *code, const char *message, const char *field)
{
    http_respond_error(req, 422, code, message, field);
    return NULL;
}

const char *api_field_opt(struct http_request *req, json_t *body, const char *name, size_t max)
{
    json_t *v = json_object_get(body, name);
    if (v == NULL || json_is_null(v))
        return "";
    if (!json_is_string(v))
        return api_reject(req, "FIELD_INVALID", arena_printf(&req->arena, "%s 应为文本", name),
                          name);
    if (json_string_length(v) > max)
        return api_reject(req, "FIELD_TOO_LONG",
                          arena_printf(&req->arena, "%s 过长（最多 %zu 字节）", name, max), name);
    return arena_strndup(&req->arena, json_string_value(v), json_string_length(v));
}

const char *api_field_str(struct http_request *req, json_t *body, const char *name, size_t max)
{
    json_t *v = json_object_get(body, name);
    if (v == NULL || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
        return api_reject(req, "FIELD_REQUIRED", arena_printf(&req->arena, "请填写 %s", name),
                          name);
    const char *s = api_field_opt(req, body, name, max);
    if (s != NULL && memchr(s, '\0', json_string_length(v)) != NULL)
        return api_reject(req, "FIELD_INVALID", arena_printf(&req->arena, "%s 含有非法字符", name),
                          name);
    return s;
}

char *api_digest(struct arena *a, size_t bytes, const char *const *parts, size_t n)
{
    crypto_hash_sha256_state st;
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&st);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            crypto_hash_sha256_update(&st, (const unsigned char *)"|", 1);
        crypto_hash_sha256_update(&st, (const unsigned char *)parts[i], strlen(parts[i]));
    }
    crypto_hash_sha256_final(&st, h);
    if (bytes > sizeof(h))
        bytes = sizeof(h);
    char *hex = arena_alloc(a, 2 * bytes + 1);
    sodium_bin2hex(hex, 2 * bytes + 1, h, bytes);
    return hex;
}

/* ---- rate limits ----------------------------------------------------------- */

struct rate_state {
    struct http_request *req;
    int pending, answered;
    long long count, ttl;
    bool failed;
    int limit;
    const char *message;
    api_next_fn next;
};

static void on_rate_reply(void *ud, redisReply *reply, const char *err)
{
    struct rate_state *rs = ud;
    struct http_request *req = rs->req;
    if (err != NULL && reply == NULL)
        rs->failed = true;
    rs->answered++;
    if (rs->answered == 2 && reply && reply->type == REDIS_REPLY_INTEGER)
        rs->count = reply->integer;
    if (rs->answered == 3 && reply && reply->type == REDIS_REPLY_INTEGER)
        rs->ttl = reply->integer;
    if (--rs->pending > 0)
        return;
    if (rs->failed) {
        http_respond_error(req, 503, "RATE_STORE_UNAVAILABLE", "系统繁忙，请稍后再试", NULL);
        return;
    }
    if (rs->count > rs->limit) {
        char *retry = arena_printf(&req->arena, "%lld", rs->ttl > 0 ? rs->ttl : 1);
        http_response_header(req, "Retry-After", retry);
        http_respond_error(req, 429, "RATE_LIMITED", rs->message, NULL);
        return;
    }
    rs->next(req);
}

void api_rate_limit(struct http_request *req, const char *key, int limit, int window_s,
                    const char *message, api_next_fn next)
{
    struct rate_state *rs = arena_calloc(&req->arena, sizeof(*rs));
    rs->limit = limit;
    rs->message = message;
    rs->next = next;
    rs->pending = 3;
    rs->req = req;
    char *k = arena_printf(&req->arena, RK_RATE, key);
    struct redis_client *r = req->srv->redis;
    /* SET NX EX first: the counter always carries its expiry. Only replies of
     * commands actually sent finish the check (they point into the request). */
    int sent = 0;
    if (redis_command(r, on_rate_reply, rs, "SET %s 0 EX %d NX", k, window_s) == 0) {
        sent++;
        if (redis_command(r, on_rate_reply, rs, "INCR %s", k) == 0) {
            sent++;
            if (redis_command(r, on_rate_reply, rs, "TTL %s", k) == 0)
                sent++;
        }
    }
    if (sent == 0) {
        http_respond_error(req, 503, "RATE_STORE_UNAVAILABLE", "系统繁忙，请稍后再试", NULL);
        return;
    }
    rs->failed = sent < 3;
    rs->pending = sent;
}

/* ---- password hashing ------------------------------------------------------ */

/* Passwords come from fields of at most API_PASSWORD_MAX bytes. */
#define API_PASSWORD_MAX 64

struct hash_work {
    char password[API_PASSWORD_MAX + 1];
    char hash[crypto_pwhash_STRBYTES];
    unsigned long long ops;
    size_t mem;
    bool verify, ok, needs_rehash;
    api_hash_cb hash_cb;
    api_verify_cb verify_cb;
};

static void hash_run(void *data)
{
    struct hash_work *hw = data;
    if (hw->verify && hw->hash[0] == '\0') { /* no account: the same work, never ok */
        char scratch[crypto_pwhash_STRBYTES];
        int done = crypto_pwhash_str(scratch, hw->password, strlen(hw->password), hw->ops, hw->mem);
        (void)done; /* whatever came of it, the answer is no */
        hw->ok = false;
    } else if (hw->verify) {
        hw->ok = crypto_pwhash_str_verify(hw->hash, hw->password, strlen(hw->password)) == 0;
        hw->needs_rehash =
            hw->ok && crypto_pwhash_str_needs_rehash(hw->hash, hw->ops, hw->mem) != 0;
    } else {
        hw->ok =
            crypto_pwhash_str(hw->hash, hw->password, strlen(hw->password), hw->ops, hw->mem) == 0;
    }
    sodium_memzero(hw->password, sizeof(hw->password));
}

static void hash_free(struct hash_work *hw)
{
    sodium_memzero(hw, sizeof(*hw));
    free(hw);
}

static void hash_done(struct http_request *req, void *data)
{
    struct hash_work *hw = data;
    if (!hw->verify && !hw->ok)
        api_respond_busy(req); /* out of memory for argon2id */
    else if (hw->verify)
        hw->verify_cb(req, hw->ok, hw->needs_rehash);
    else
        hw->hash_cb(req, arena_strdup(&req->arena, hw->hash));
    hash_free(hw);
}

static void hash_submit(struct http_request *req, struct hash_work *hw, const char *password)
{
    const struct zk_config *cfg = &req->srv->cfg;
    hw->ops = (unsigned long long)cfg->auth_argon2_opslimit;
    hw->mem = (size_t)cfg->auth_argon2_memlimit_kib * 1024;
    snprintf(hw->password, sizeof(hw->password), "%s", password);
    if (api_offload(req, API_OFFLOAD_PASSWORD, hash_run, hash_done, hw) < 0)
        hash_free(hw);
}

void api_password_hash(struct http_request *req, const char *password, api_hash_cb cb)
{
    struct hash_work *hw = zk_calloc(1, sizeof(*hw));
    hw->hash_cb = cb;
    hash_submit(req, hw, password);
}

void api_password_verify(struct http_request *req, const char *hash, const char *password,
                         api_verify_cb cb)
{
    struct hash_work *hw = zk_calloc(1, sizeof(*hw));
    hw->verify = true;
    hw->verify_cb = cb;
    snprintf(hw->hash, sizeof(hw->hash), "%s", hash ? hash : "");
    hash_submit(req, hw, password);
}

/* ---- ids in paths ---------------------------------------------------------------- */

const char *api_id_param(struct http_request *req, int i, const char *code, const char *message,
                         const char *field)
{
    const char *id = http_param(req, i);
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > 18 || strspn(id, "0123456789") != n) {
        http_respond_error(req, 404, code, message, field);
        return NULL;
    }
    return id;
}

/* ---- photo bodies ---------------------------------------------------------------- */

const char *api_image_body(struct http_request *req, const char *field)
{
    const char *ct = http_header_get(req, "Content-Type");
    const char *declared = NULL;
    if (ct != NULL && strncasecmp(ct, "image/jpeg", 10) == 0)
        declared = "image/jpeg";
    else if (ct != NULL && strncasecmp(ct, "image/png", 9) == 0)
        declared = "image/png";
    if (declared == NULL) {
        http_respond_error(req, 415, "PHOTO_TYPE_UNSUPPORTED",
                           "照片须为 JPG 或 PNG 图片（Content-Type: image/jpeg 或 image/png）",
                           field);
        return NULL;
    }
    if (req->body_len == 0)
        return api_reject(req, "PHOTO_EMPTY", "没有收到照片内容，请重新选择照片上传", field);
    const char *actual = sniff_type(req->body, req->body_len);
    if (actual == NULL || (strcmp(actual, SNIFF_JPEG) != 0 && strcmp(actual, SNIFF_PNG) != 0)) {
        http_respond_error(req, 415, "PHOTO_TYPE_UNSUPPORTED",
                           "文件内容不是 JPG 或 PNG 图片，请重新选择照片", field);
        return NULL;
    }
    if (strcmp(actual, declared) != 0) {
        http_respond_error(req, 415, "PHOTO_TYPE_MISMATCH",
                           strcmp(actual, "image/png") == 0
                               ? "文件内容是 PNG 图片，却声明为 JPG；请按实际格式上传"
                               : "文件内容是 JPG 图片，却声明为 PNG；请按实际格式上传",
                           field);
        return NULL;
    }
    return actual;
}

/* ---- stored files ------------------------------------------------------------------ */

struct api_file_query {
    const char *code, *message, *field;
};

static void api_file_loaded(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    const struct api_file_query *q = req->ctx;
    if (api_db_row(req, r, 404, q->code, q->message, q->field))
        api_respond_file_row(req, r->res);
}

void api_respond_file(struct http_request *req, const char *sql, int n, const char *const *values,
                      const char *code, const char *message, const char *field)
{
    struct api_file_query *q = arena_calloc(&req->arena, sizeof(*q));
    *q = (struct api_file_query){code, message, field};
    req->ctx = q;
    const char **copy = arena_alloc(&req->arena, sizeof(*copy) * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++)
        copy[i] = values[i];
    struct pg_params *p = arena_calloc(&req->arena, sizeof(*p));
    *p = (struct pg_params){.n = n, .values = copy, .result_format = 1}; /* raw bytes */
    api_query_params(req, sql, p, api_file_loaded);
}

/* ---- QR codes ---------------------------------------------------------------------- */

int api_qr_svg(struct arena *a, const char *payload, struct buf *out)
{
    QRcode *qr = QRcode_encodeString(payload, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (qr == NULL)
        return errno != 0 ? -errno : -EINVAL;
    const int quiet = 4, side = qr->width + 2 * quiet;
    buf_init(out, a, 8192);
    buf_printf(out,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
               "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
               "fill=\"#fff\"/><path fill=\"#000\" d=\"",
               side, side, side, side);
    for (int y = 0; y < qr->width; y++)
        for (int x = 0; x < qr->width; x++)
            if (qr->data[y * qr->width + x] & 1)
                buf_printf(out, "M%d %dh1v1h-1z", x + quiet, y + quiet);
    buf_puts(out, "\"/></svg>\n");
    QRcode_free(qr);
    return 0;
}
