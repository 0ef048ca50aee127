/*
 * payments_callback.c - the providers' notifications:
 *   POST /api/v1/payments/alipay/notify   form, RSA2; answered exactly "success"
 *   POST /api/v1/payments/wechat/notify   JSON + Wechatpay-* headers; 204, or
 *                                         4xx/5xx {"code":"FAIL","message":...}
 *
 * Each notification is checked cheaply on the loop (size, fields, the WeChat
 * timestamp window), its signature verified (and the WeChat resource
 * decrypted) on the thread pool, then stored raw in payment_events - once per
 * provider transaction and status - with a `payment` job in the same
 * transaction (pay_store.c, which puts the notifications arriving together
 * into one statement). The provider is answered only after COMMIT, so an
 * acknowledged notification is never lost; the payment worker applies it.
 * A notification that fails verification stores nothing.
 */
#include "alloc.h"
#include "log.h"
#include "pay_proto.h"
#include "pay_server.h"
#include "server.h"
#include "validate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ALIPAY_MAX_PARAMS 64

struct notify {
    const char *provider;
    /* Inputs (request arena, read-only while on the pool). */
    const char *key_path, *apiv3_path;
    const char *body;
    size_t len;
    struct pay_param *params;
    int nparams;
    const char *ts, *nonce, *sig, *serial;
    /* Outputs of the pool (in wa until copied). */
    struct arena wa;
    int rc;
    const char *why;
    struct pay_notice n;
    char *detail; /* JSON text */
};

/* ---- answers ---- */

static void notify_ok(struct http_request *req, const struct notify *nt)
{
    if (strcmp(nt->provider, "alipay") == 0)
        http_respond(req, 200, "text/plain; charset=utf-8", "success", 7);
    else
        http_respond(req, 204, NULL, "", 0);
}

static void notify_refuse(struct http_request *req, const char *provider, int status,
                          const char *message)
{
    log_msg(LOG_LEVEL_WARNING, req->id, "payment: %s notification refused (%d): %s", provider,
            status, message);
    if (strcmp(provider, "alipay") == 0) {
        /* Anything but "success" makes Alipay send it again later. */
        http_respond(req, status, "text/plain; charset=utf-8", "failure", 7);
        return;
    }
    json_t *j = json_pack("{s:s, s:s}", "code", "FAIL", "message", message);
    http_respond_json(req, status, j);
}

/* ---- storing (pay_store.c: many notifications per COMMIT) ---- */

static void store_done(struct http_request *req, struct pay_store_item *it, int rc)
{
    struct notify *nt = req->ctx;
    (void)it;
    if (rc < 0) {
        notify_refuse(req, nt->provider, rc == -EIO ? 500 : 503, "系统繁忙");
        return;
    }
    if (rc == 0)
        log_msg(LOG_LEVEL_INFO, req->id, "payment: %s notification %s:%s already stored",
                nt->provider, nt->n.trade_no, nt->n.provider_status);
    notify_ok(req, nt);
}

static void store(struct http_request *req, struct notify *nt)
{
    const struct pay_notice *n = &nt->n;
    struct pay_store_item *it = arena_calloc(&req->arena, sizeof(*it));
    const char *v[PAY_STORE_NCOLS] = {
        nt->provider,
        arena_printf(&req->arena, "%s:%s", n->trade_no, n->status),
        n->order_no,
        n->trade_no,
        n->status,
        n->provider_status,
        n->amount_fen >= 0 ? arena_printf(&req->arena, "%lld", n->amount_fen) : NULL,
        n->merchant,
        arena_strndup(&req->arena, nt->body, nt->len),
        nt->detail,
    };
    memcpy(it->v, v, sizeof(v));
    it->req = req;
    it->done = store_done;
    req->ctx = nt;
    pay_store_submit(req->srv, it);
}

static char *wa_copy(struct http_request *req, const char *s)
{
    return s ? arena_strdup(&req->arena, s) : NULL;
}

static void notify_verified(struct http_request *req, void *data)
{
    struct notify *nt = data;
    if (nt->rc < 0) {
        int status = nt->rc == -EPERM ? 401 : nt->rc == -EIO ? 500 : 400;
        const char *why = nt->why ? nt->why : "invalid";
        notify_refuse(req, nt->provider, status, arena_strdup(&req->arena, why));
        arena_destroy(&nt->wa);
        return;
    }
    /* The notice's strings move to the request arena before wa goes. */
    nt->n.order_no = wa_copy(req, nt->n.order_no);
    nt->n.trade_no = wa_copy(req, nt->n.trade_no);
    nt->n.provider_status = wa_copy(req, nt->n.provider_status);
    nt->n.merchant = wa_copy(req, nt->n.merchant);
    nt->detail = wa_copy(req, nt->detail);
    arena_destroy(&nt->wa);
    store(req, nt);
}

/* ---- Alipay ---- */

static void alipay_verify(void *data)
{
    struct notify *nt = data;
    arena_init(&nt->wa, 4096);
    struct rsa_sig_key *k = rsa_sig_key_load(nt->key_path, false);
    if (k == NULL) {
        nt->rc = -EIO;
        nt->why = "alipay public key missing";
        return;
    }
    nt->rc = pay_alipay_notice_verify(&nt->wa, nt->params, nt->nparams, k, &nt->n, &nt->why);
    rsa_sig_key_free(k);
    if (nt->rc < 0)
        return;
    /* The form itself (raw) is the record: no parsed copy. */
    nt->detail = NULL;
}

static void alipay_notify(struct http_request *req)
{
    const char *ct = http_header_get(req, "Content-Type");
    if (ct == NULL || strncmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
        notify_refuse(req, "alipay", 415, "Content-Type must be a form");
        return;
    }
    /* Every byte of the form lands in a key or value, checked as UTF-8
     * below; a NUL would cut the stored text short. */
    if (memchr(req->body, '\0', req->body_len) != NULL) {
        notify_refuse(req, "alipay", 400, "the form holds a NUL byte");
        return;
    }
    struct notify *nt = arena_calloc(&req->arena, sizeof(*nt));
    nt->provider = "alipay";
    nt->body = req->body;
    nt->len = req->body_len;
    nt->nparams =
        pay_form_parse(&req->arena, req->body, req->body_len, ALIPAY_MAX_PARAMS, &nt->params);
    if (nt->nparams <= 0) {
        notify_refuse(req, "alipay", 400, "malformed form");
        return;
    }
    for (int i = 0; i < nt->nparams; i++) {
        if (validate_utf8_length(nt->params[i].key) < 0 ||
            validate_utf8_length(nt->params[i].value) < 0) {
            notify_refuse(req, "alipay", 400, "a parameter is not UTF-8 (charset=utf-8)");
            return;
        }
        for (int k = 0; k < i; k++) {
            if (strcmp(nt->params[i].key, nt->params[k].key) == 0) {
                notify_refuse(req, "alipay", 400, "duplicate parameter");
                return;
            }
        }
    }
    if (pay_param_get(nt->params, nt->nparams, "sign") == NULL) {
        notify_refuse(req, "alipay", 401, "unsigned");
        return;
    }
    nt->key_path = pay_key_path(&req->arena, &req->srv->cfg, PAY_KEY_ALIPAY_PUBLIC);
    api_offload(req, API_OFFLOAD_PAYMENT, alipay_verify, notify_verified, nt);
}

/* ---- WeChat ---- */

static void wechat_verify(void *data)
{
    struct notify *nt = data;
    arena_init(&nt->wa, 4096);
    struct rsa_sig_key *k = rsa_sig_key_load(nt->key_path, false);
    unsigned char apiv3[32];
    if (k == NULL || pay_apiv3_key_load(nt->apiv3_path, apiv3) < 0) {
        rsa_sig_key_free(k);
        nt->rc = -EIO;
        nt->why = "wechat platform key or API v3 key missing";
        return;
    }
    char serial[41];
    if (rsa_sig_key_serial(k, serial) < 0 || strcmp(serial, nt->serial) != 0) {
        rsa_sig_key_free(k);
        nt->rc = -EPERM;
        nt->why = "Wechatpay-Serial names no platform key of ours";
        return;
    }
    bool ok = pay_wechat_verify(k, nt->ts, nt->nonce, nt->body, nt->len, nt->sig);
    rsa_sig_key_free(k);
    if (!ok) {
        nt->rc = -EPERM;
        nt->why = "signature does not verify";
        return;
    }
    const char *resource = NULL;
    nt->rc = pay_wechat_notice_open(&nt->wa, nt->body, nt->len, apiv3, &nt->n, &resource, &nt->why);
    if (nt->rc < 0)
        return;
    json_t *root = json_loadb(nt->body, nt->len, 0, NULL);
    json_t *d = json_pack(
        "{s:{s:s, s:s, s:s}, s:O?, s:O?, s:o}", "headers", "serial", nt->serial, "timestamp",
        nt->ts, "nonce", nt->nonce, "id", json_object_get(root, "id"), "event_type",
        json_object_get(root, "event_type"), "resource", json_loads(resource, 0, NULL));
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    json_decref(root);
    nt->detail = arena_strdup(&nt->wa, text ? text : "{}");
    free(text);
}

static void wechat_notify(struct http_request *req)
{
    struct notify *nt = arena_calloc(&req->arena, sizeof(*nt));
    nt->provider = "wechat";
    nt->sig = http_header_get(req, "Wechatpay-Signature");
    nt->ts = http_header_get(req, "Wechatpay-Timestamp");
    nt->nonce = http_header_get(req, "Wechatpay-Nonce");
    nt->serial = http_header_get(req, "Wechatpay-Serial");
    if (nt->sig == NULL || nt->ts == NULL || nt->nonce == NULL || nt->serial == NULL) {
        notify_refuse(req, "wechat", 401, "Wechatpay-Signature/Timestamp/Nonce/Serial required");
        return;
    }
    char *end = NULL;
    long long ts = strtoll(nt->ts, &end, 10);
    long long now = (long long)time(NULL);
    if (end == nt->ts || *end != '\0' || strlen(nt->nonce) > 64 || strlen(nt->serial) > 64) {
        notify_refuse(req, "wechat", 400, "malformed Wechatpay headers");
        return;
    }
    if (ts < now - PAY_WECHAT_MAX_SKEW_S || ts > now + PAY_WECHAT_MAX_SKEW_S) {
        /* A replay or a clock far off: refused before any crypto. */
        notify_refuse(req, "wechat", 401, "Wechatpay-Timestamp outside 5 minutes");
        return;
    }
    const char *ct = http_header_get(req, "Content-Type");
    if (ct == NULL || strncmp(ct, "application/json", 16) != 0) {
        notify_refuse(req, "wechat", 415, "Content-Type must be application/json");
        return;
    }
    if (req->body_len == 0) {
        notify_refuse(req, "wechat", 400, "empty body");
        return;
    }
    nt->body = req->body;
    nt->len = req->body_len;
    nt->key_path = pay_key_path(&req->arena, &req->srv->cfg, PAY_KEY_WECHAT_PUBLIC);
    nt->apiv3_path = pay_key_path(&req->arena, &req->srv->cfg, PAY_KEY_WECHAT_APIV3);
    api_offload(req, API_OFFLOAD_PAYMENT, wechat_verify, notify_verified, nt);
}

static const struct route callback_routes[] = {
    {"POST", "/api/v1/payments/alipay/notify", alipay_notify, 16384, NULL},
    {"POST", "/api/v1/payments/wechat/notify", wechat_notify, 65536, NULL},
};

const struct api_module api_payments_callback_module = {
    .name = "payments-callback",
    API_ROUTES(callback_routes),
    .init = pay_store_init,
    .free = pay_store_free,
    .metrics = pay_store_metrics,
    .nmetrics = PAY_STORE_NMETRICS,
};
