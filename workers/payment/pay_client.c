/*
 * pay_client.c - provider query / close calls and the simulator's
 * notification delivery over HTTP (job_http.h, see pay_client.h). Owns one
 * HTTP client per pay client; everything per call lives in the caller's
 * arena.
 */
#include "pay_client.h"
#include "alloc.h"
#include "job_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct pay_client {
    const struct zk_config *cfg;
    struct job_http *http;
};

struct http_resp {
    long status;
    struct {
        const char *data;
        size_t len;
    } body;
    const char *h_ts, *h_nonce, *h_sig, *h_serial;
};

struct pay_client *pay_client_new(const struct zk_config *cfg)
{
    struct pay_client *pc = zk_calloc(1, sizeof(*pc));
    pc->cfg = cfg;
    pc->http = job_http_new("zikao-payment/1");
    if (pc->http == NULL) {
        free(pc);
        return NULL;
    }
    return pc;
}

void pay_client_free(struct pay_client *pc)
{
    if (pc == NULL)
        return;
    job_http_free(pc->http);
    free(pc);
}

/* One request. Returns 0 with r filled (any status), or -EIO with *why. */
static int http_do(struct pay_client *pc, struct arena *a, const char *method, const char *url,
                   const char *content_type, const char *body, const char *auth,
                   const char *const *extra, struct http_resp *r, const char **why)
{
    static const char *const want[] = {"Wechatpay-Timestamp", "Wechatpay-Nonce",
                                       "Wechatpay-Signature", "Wechatpay-Serial", NULL};
    const char *lines[12];
    int n = 0;
    if (content_type)
        lines[n++] = arena_printf(a, "Content-Type: %s", content_type);
    lines[n++] = "Accept: application/json";
    if (auth)
        lines[n++] = arena_printf(a, "Authorization: %s", auth);
    for (int i = 0; extra != NULL && extra[i] != NULL && n < 11; i++)
        lines[n++] = extra[i];
    lines[n] = NULL;
    struct job_http_resp hr;
    memset(r, 0, sizeof(*r));
    if (job_http_request(pc->http, a, method, url, lines, body, want, &hr, why) < 0)
        return -EIO;
    r->status = hr.status;
    r->body.data = hr.body;
    r->body.len = hr.len;
    r->h_ts = hr.values[0];
    r->h_nonce = hr.values[1];
    r->h_sig = hr.values[2];
    r->h_serial = hr.values[3];
    return 0;
}

/* ---- Alipay ---- */

static int alipay_call(struct pay_client *pc, struct arena *a, const char *method,
                       const char *order_no, json_t **root, json_t **resp, const char **raw,
                       const char **why)
{
    const struct zk_config *cfg = pc->cfg;
    struct rsa_sig_key *k =
        rsa_sig_key_load(pay_key_path(a, cfg, PAY_KEY_ALIPAY_APP_PRIVATE), true);
    struct rsa_sig_key *pub = rsa_sig_key_load(pay_key_path(a, cfg, PAY_KEY_ALIPAY_PUBLIC), false);
    int rc = -EIO;
    if (k == NULL || pub == NULL) {
        *why = "alipay keys missing in [payment] key_dir";
        goto out;
    }
    struct pay_param p[10] = {
        {"app_id", cfg->pay_alipay_app_id},
        {"method", method},
        {"charset", "utf-8"},
        {"format", "JSON"},
        {"timestamp", pay_time_alipay(a, time(NULL))},
        {"version", "1.0"},
        {"biz_content", arena_printf(a, "{\"out_trade_no\":\"%s\"}", order_no)},
    };
    char *form = pay_alipay_sign_form(a, k, p, 7);
    if (form == NULL) {
        *why = "signing the request failed";
        goto out;
    }
    struct http_resp r;
    if (http_do(pc, a, "POST", pay_alipay_gateway(a, cfg),
                "application/x-www-form-urlencoded;charset=utf-8", form, NULL, NULL, &r, why) < 0)
        goto out;
    if (r.status != 200) {
        *why = arena_printf(a, "alipay answered HTTP %ld", r.status);
        goto out;
    }
    char *name = arena_printf(a, "%s_response", method);
    for (char *q = name; *q; q++)
        if (*q == '.')
            *q = '_';
    *resp = pay_alipay_response_verify(r.body.data, r.body.len, name, pub, root);
    if (*resp == NULL) {
        *why = "alipay answer is unsigned or its signature does not verify";
        json_decref(*root);
        *root = NULL;
        goto out;
    }
    *raw = r.body.data;
    rc = 0;
out:
    rsa_sig_key_free(k);
    rsa_sig_key_free(pub);
    return rc;
}

static enum pay_query_result alipay_query(struct pay_client *pc, struct arena *a,
                                          const char *order_no, struct pay_notice *n,
                                          const char **raw, const char **why)
{
    json_t *root = NULL, *resp = NULL;
    if (alipay_call(pc, a, "alipay.trade.query", order_no, &root, &resp, raw, why) < 0)
        return PAY_QUERY_ERROR;
    enum pay_query_result res = PAY_QUERY_ERROR;
    const char *code = json_string_value(json_object_get(resp, "code"));
    const char *sub = json_string_value(json_object_get(resp, "sub_code"));
    if (code != NULL && strcmp(code, "10000") == 0) {
        /* The answer's fields as notification parameters. */
        struct pay_param p[8];
        int k = 0;
        const char *keys[] = {"out_trade_no", "trade_no", "trade_status", "total_amount"};
        for (int i = 0; i < 4; i++) {
            const char *v = json_string_value(json_object_get(resp, keys[i]));
            if (v != NULL) {
                p[k].key = keys[i];
                p[k++].value = arena_strdup(a, v);
            }
        }
        p[k].key = "app_id";
        p[k++].value = pc->cfg->pay_alipay_app_id;
        p[k].key = "seller_id";
        p[k++].value = pc->cfg->pay_alipay_seller_id;
        if (pay_alipay_notice_fields(a, p, k, n, why) == 0)
            res = strcmp(n->order_no, order_no) == 0 ? PAY_QUERY_FOUND : PAY_QUERY_ERROR;
        if (res == PAY_QUERY_ERROR && *why == NULL)
            *why = "alipay answered about another order";
    } else if (sub != NULL && strcmp(sub, "ACQ.TRADE_NOT_EXIST") == 0) {
        res = PAY_QUERY_NOT_FOUND;
    } else {
        *why = arena_printf(a, "alipay query failed: %s %s", code ? code : "?", sub ? sub : "");
    }
    json_decref(root);
    return res;
}

static int alipay_close(struct pay_client *pc, struct arena *a, const char *order_no,
                        const char **why)
{
    json_t *root = NULL, *resp = NULL;
    const char *raw;
    if (alipay_call(pc, a, "alipay.trade.close", order_no, &root, &resp, &raw, why) < 0)
        return -EIO;
    const char *code = json_string_value(json_object_get(resp, "code"));
    const char *sub = json_string_value(json_object_get(resp, "sub_code"));
    int rc = -EIO;
    if ((code != NULL && strcmp(code, "10000") == 0) ||
        (sub != NULL && strcmp(sub, "ACQ.TRADE_NOT_EXIST") == 0))
        rc = 0;
    else if (sub != NULL && strcmp(sub, "ACQ.TRADE_STATUS_ERROR") == 0)
        rc = -EALREADY;
    else
        *why = arena_printf(a, "alipay close failed: %s %s", code ? code : "?", sub ? sub : "");
    json_decref(root);
    return rc;
}

/* ---- WeChat ---- */

static int wechat_call(struct pay_client *pc, struct arena *a, const char *method, const char *path,
                       const char *body, struct http_resp *r, const char **why)
{
    const struct zk_config *cfg = pc->cfg;
    struct rsa_sig_key *k =
        rsa_sig_key_load(pay_key_path(a, cfg, PAY_KEY_WECHAT_MCH_PRIVATE), true);
    struct rsa_sig_key *pub = rsa_sig_key_load(pay_key_path(a, cfg, PAY_KEY_WECHAT_PUBLIC), false);
    int rc = -EIO;
    char serial[41], pserial[41];
    if (k == NULL || pub == NULL || rsa_sig_key_serial(k, serial) < 0 ||
        rsa_sig_key_serial(pub, pserial) < 0) {
        *why = "wechat keys missing in [payment] key_dir";
        goto out;
    }
    char *auth = pay_wechat_authorization(a, k, cfg->pay_wechat_mchid, serial, method, path,
                                          body ? body : "");
    if (auth == NULL) {
        *why = "signing the request failed";
        goto out;
    }
    char *url = arena_printf(a, "%s%s", pay_wechat_gateway(a, cfg), path);
    if (http_do(pc, a, method, url, body ? "application/json" : NULL, body, auth, NULL, r, why) < 0)
        goto out;
    if (r->h_sig == NULL || r->h_ts == NULL || r->h_nonce == NULL || r->h_serial == NULL ||
        strcmp(r->h_serial, pserial) != 0 ||
        !pay_wechat_verify(pub, r->h_ts, r->h_nonce, r->body.data, r->body.len, r->h_sig)) {
        *why = arena_printf(a,
                            "wechat answer (HTTP %ld) is unsigned or its signature does not "
                            "verify",
                            r->status);
        goto out;
    }
    rc = 0;
out:
    rsa_sig_key_free(k);
    rsa_sig_key_free(pub);
    return rc;
}

static enum pay_query_result wechat_query(struct pay_client *pc, struct arena *a,
                                          const char *order_no, struct pay_notice *n,
                                          const char **raw, const char **why)
{
    struct http_resp r;
    char *path = arena_printf(a, "/v3/pay/transactions/out-trade-no/%s?mchid=%s", order_no,
                              pc->cfg->pay_wechat_mchid);
    if (wechat_call(pc, a, "GET", path, NULL, &r, why) < 0)
        return PAY_QUERY_ERROR;
    json_t *j = json_loadb(r.body.data, r.body.len, 0, NULL);
    enum pay_query_result res = PAY_QUERY_ERROR;
    const char *code = json_string_value(json_object_get(j, "code"));
    if (r.status == 200 && json_is_object(j)) {
        if (pay_wechat_transaction(a, j, n, why) == 0 && strcmp(n->order_no, order_no) == 0) {
            res = PAY_QUERY_FOUND;
            *raw = r.body.data;
        } else if (*why == NULL) {
            *why = "wechat answered about another order";
        }
    } else if (r.status == 404 && code != NULL && strcmp(code, "ORDER_NOT_EXIST") == 0) {
        res = PAY_QUERY_NOT_FOUND;
    } else {
        *why = arena_printf(a, "wechat query failed: HTTP %ld %s", r.status, code ? code : "");
    }
    json_decref(j);
    return res;
}

static int wechat_close(struct pay_client *pc, struct arena *a, const char *order_no,
                        const char **why)
{
    struct http_resp r;
    char *path = arena_printf(a, "/v3/pay/transactions/out-trade-no/%s/close", order_no);
    char *body = arena_printf(a, "{\"mchid\":\"%s\"}", pc->cfg->pay_wechat_mchid);
    if (wechat_call(pc, a, "POST", path, body, &r, why) < 0)
        return -EIO;
    if (r.status == 204 || r.status == 200)
        return 0;
    json_t *j = json_loadb(r.body.data, r.body.len, 0, NULL);
    const char *code = json_string_value(json_object_get(j, "code"));
    int rc = -EIO;
    if (code != NULL && strcmp(code, "ORDERPAID") == 0)
        rc = -EALREADY;
    else if (code != NULL && strcmp(code, "ORDER_NOT_EXIST") == 0)
        rc = 0;
    else
        *why = arena_printf(a, "wechat close failed: HTTP %ld %s", r.status, code ? code : "");
    json_decref(j);
    return rc;
}

int pay_client_wechat_prepay(struct pay_client *pc, struct arena *a, const char *order_no,
                             const char *description, long long amount_fen, time_t expires,
                             const char *notify_url, const char **code_url, const char **why)
{
    const struct zk_config *cfg = pc->cfg;
    *why = NULL;
    json_t *req =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:I, s:s}}", "appid", cfg->pay_wechat_appid,
                  "mchid", cfg->pay_wechat_mchid, "description", description, "out_trade_no",
                  order_no, "time_expire", pay_time_rfc3339(a, expires), "notify_url", notify_url,
                  "amount", "total", (json_int_t)amount_fen, "currency", "CNY");
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    char *body = arena_strdup(a, text ? text : "{}");
    free(text);
    struct http_resp r;
    if (wechat_call(pc, a, "POST", "/v3/pay/transactions/native", body, &r, why) < 0)
        return -EIO;
    json_t *j = json_loadb(r.body.data, r.body.len, 0, NULL);
    const char *url = json_string_value(json_object_get(j, "code_url"));
    int rc = -EIO;
    if (r.status == 200 && url != NULL && url[0] != '\0') {
        *code_url = arena_strdup(a, url);
        rc = 0;
    } else {
        const char *code = json_string_value(json_object_get(j, "code"));
        *why = arena_printf(a, "wechat prepay failed: HTTP %ld %s", r.status, code ? code : "");
    }
    json_decref(j);
    return rc;
}

enum pay_query_result pay_client_query(struct pay_client *pc, struct arena *a, const char *provider,
                                       const char *order_no, struct pay_notice *n, const char **raw,
                                       const char **why)
{
    *why = NULL;
    if (strcmp(provider, "alipay") == 0)
        return alipay_query(pc, a, order_no, n, raw, why);
    return wechat_query(pc, a, order_no, n, raw, why);
}

int pay_client_close(struct pay_client *pc, struct arena *a, const char *provider,
                     const char *order_no, const char **why)
{
    *why = NULL;
    if (strcmp(provider, "alipay") == 0)
        return alipay_close(pc, a, order_no, why);
    return wechat_close(pc, a, order_no, why);
}

/* ---- the simulator's notifications ---- */

int pay_client_sim_notify(struct pay_client *pc, struct arena *a, const json_t *payload,
                          const char **why)
{
    const struct zk_config *cfg = pc->cfg;
    const char *provider = json_string_value(json_object_get(payload, "provider"));
    const char *trade_no = json_string_value(json_object_get(payload, "trade_no"));
    const char *out_no = json_string_value(json_object_get(payload, "out_trade_no"));
    const char *url = json_string_value(json_object_get(payload, "notify_url"));
    json_int_t amount = json_integer_value(json_object_get(payload, "amount_fen"));
    time_t paid = (time_t)json_integer_value(json_object_get(payload, "paid_at"));
    *why = NULL;
    if (provider == NULL || trade_no == NULL || out_no == NULL || url == NULL || amount <= 0) {
        *why = "sim_notify payload incomplete";
        return -EINVAL;
    }
    struct http_resp r;
    if (strcmp(provider, "alipay") == 0) {
        struct rsa_sig_key *k =
            rsa_sig_key_load(pay_key_path(a, cfg, PAY_KEY_ALIPAY_PRIVATE), true);
        if (k == NULL) {
            *why = "simulator key alipay_private.pem missing";
            return -EIO;
        }
        char notify_id[33];
        pay_random_token(notify_id, 32);
        struct pay_param p[20] = {
            {"notify_time", pay_time_alipay(a, time(NULL))},
            {"notify_type", "trade_status_sync"},
            {"notify_id", notify_id},
            {"charset", "utf-8"},
            {"version", "1.0"},
            {"app_id", cfg->pay_alipay_app_id},
            {"seller_id", cfg->pay_alipay_seller_id},
            {"trade_no", trade_no},
            {"out_trade_no", out_no},
            {"trade_status", "TRADE_SUCCESS"},
            {"total_amount", pay_amount_format(a, amount)},
            {"receipt_amount", pay_amount_format(a, amount)},
            {"buyer_id", "2088000000009999"},
            {"gmt_payment", pay_time_alipay(a, paid)},
            {"subject", "zikao"},
        };
        char *form = pay_alipay_sign_form(a, k, p, 15);
        rsa_sig_key_free(k);
        if (form == NULL || http_do(pc, a, "POST", url, "application/x-www-form-urlencoded", form,
                                    NULL, NULL, &r, why) < 0)
            return -EIO;
        if (r.status == 200 && r.body.len == 7 && memcmp(r.body.data, "success", 7) == 0)
            return 0;
        *why = arena_printf(a, "the merchant answered HTTP %ld '%.40s'", r.status, r.body.data);
        return -EIO;
    }
    struct rsa_sig_key *k = rsa_sig_key_load(pay_key_path(a, cfg, PAY_KEY_WECHAT_PRIVATE), true);
    unsigned char apiv3[32];
    char serial[41];
    if (k == NULL || pay_apiv3_key_load(pay_key_path(a, cfg, PAY_KEY_WECHAT_APIV3), apiv3) < 0 ||
        rsa_sig_key_serial(k, serial) < 0) {
        rsa_sig_key_free(k);
        *why = "simulator keys wechat_platform_private.pem / wechat_apiv3.key missing";
        return -EIO;
    }
    json_t *tx = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:{s:I, s:I, "
                           "s:s, s:s}}",
                           "appid", cfg->pay_wechat_appid, "mchid", cfg->pay_wechat_mchid,
                           "out_trade_no", out_no, "transaction_id", trade_no, "trade_type",
                           "NATIVE", "trade_state", "SUCCESS", "trade_state_desc", "支付成功",
                           "success_time", pay_time_rfc3339(a, paid), "payer", "openid",
                           "oSimulatorOpenId0000000000", "amount", "total", amount, "payer_total",
                           amount, "currency", "CNY", "payer_currency", "CNY");
    char *txt = json_dumps(tx, JSON_COMPACT);
    json_decref(tx);
    char *body = pay_wechat_notice_build(a, apiv3, txt);
    free(txt);
    char ts[24], nonce[33], *sig = NULL;
    snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
    pay_random_token(nonce, 32);
    int rc = body ? pay_wechat_sign(a, k, ts, nonce, body, strlen(body), &sig) : -EINVAL;
    rsa_sig_key_free(k);
    if (rc < 0) {
        *why = "signing the notification failed";
        return -EIO;
    }
    const char *extra[] = {arena_printf(a, "Wechatpay-Timestamp: %s", ts),
                           arena_printf(a, "Wechatpay-Nonce: %s", nonce),
                           arena_printf(a, "Wechatpay-Signature: %s", sig),
                           arena_printf(a, "Wechatpay-Serial: %s", serial), NULL};
    if (http_do(pc, a, "POST", url, "application/json", body, NULL, extra, &r, why) < 0)
        return -EIO;
    if (r.status == 200 || r.status == 204)
        return 0;
    *why = arena_printf(a, "the merchant answered HTTP %ld '%.60s'", r.status, r.body.data);
    return -EIO;
}
