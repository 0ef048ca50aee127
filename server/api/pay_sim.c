/*
 * pay_sim.c - the built-in payment provider simulator (the embedded default;
 * [payment] simulator = true, refused in production). It stands in for both
 * providers so that scripts/run and the tests pay end to end:
 *
 *   GET  /sim/alipay/gateway.do?...        Alipay page pay: checks our RSA2
 *                                          signature, shows the pay page
 *   POST /sim/alipay/gateway.do            Alipay API: alipay.trade.query,
 *                                          alipay.trade.close (signed answers)
 *   POST /sim/wechat/v3/pay/transactions/native
 *                                          WeChat Native prepay: a trade and
 *                                          its code_url
 *   GET  /sim/wechat/pay/{trade_no}        the page a WeChat QR code leads to
 *   GET  /sim/wechat/v3/pay/transactions/out-trade-no/{no}?mchid=
 *   POST /sim/wechat/v3/pay/transactions/out-trade-no/{no}/close
 *                                          WeChat query and close (merchant
 *                                          Authorization checked, answers
 *                                          signed with Wechatpay-* headers)
 *   POST /sim/pay/{provider}/{trade_no}    "pay": the person confirms
 *
 * Its books are payment_sim_trades. After a payment it does not call the
 * server from the loop: it queues a `payment` job (kind sim_notify) whose
 * worker signs the notification and delivers it with retries, as the real
 * provider does. Signing and verifying run on the thread pool.
 */
#include "alloc.h"
#include "bjtime.h"
#include "queue.h"
#include "buf.h"
#include "log.h"
#include "urlcode.h"
#include "pay_proto.h"
#include "pay_server.h"
#include "server.h"
#include "sim_page.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIM_STATE_SQL                                                                              \
    "CASE WHEN state = 'WAIT' AND time_expire < now() THEN 'CLOSED' ELSE state END"

struct sim {
    const char *provider;
    /* Verification input */
    const char *key_path;
    struct pay_param *params;
    int nparams;
    const char *auth, *url_path, *body;
    size_t len;
    const char *mchid;
    bool verified;
    /* Answer to sign */
    const char *sign_key_path;
    const char *resp_name; /* alipay: "<method>_response" */
    char *resp_text;       /* JSON text of the object / body */
    int status;
    /* Signed result (malloc'd on the pool) */
    char *out_body;
    char *sig, *serial;
    char ts[24], nonce[33];
    /* Page / API data */
    const char *method, *out_trade_no, *trade_no;
    json_t *biz;
};

static bool sim_enabled(struct http_request *req)
{
    if (req->srv->cfg.pay_simulator)
        return true;
    http_respond_error(req, 404, "NOT_FOUND", "没有这个页面", NULL);
    return false;
}

static void sim_page(struct http_request *req, int status, const char *title, const char *html)
{
    sim_page_respond(req, status, title, html, "支付模拟器（测试用，不产生真实扣款）");
}

/* ---- signing answers on the pool ---- */

static void sim_sign_work(void *data)
{
    struct sim *s = data;
    struct arena a;
    arena_init(&a, 4096);
    struct rsa_sig_key *k = rsa_sig_key_load(s->sign_key_path, true);
    if (k == NULL)
        goto out;
    if (strcmp(s->provider, "alipay") == 0) {
        json_t *obj = json_loads(s->resp_text, 0, NULL);
        char *body = obj ? pay_alipay_response_build(&a, k, s->resp_name, obj) : NULL;
        json_decref(obj);
        s->out_body = body ? zk_strdup(body) : NULL;
    } else {
        snprintf(s->ts, sizeof(s->ts), "%lld", (long long)time(NULL));
        pay_random_token(s->nonce, 32);
        char *sig = NULL, serial[41];
        if (pay_wechat_sign(&a, k, s->ts, s->nonce, s->resp_text, strlen(s->resp_text), &sig) ==
                0 &&
            rsa_sig_key_serial(k, serial) == 0) {
            s->sig = zk_strdup(sig);
            s->serial = zk_strdup(serial);
            s->out_body = zk_strdup(s->resp_text);
        }
    }
    rsa_sig_key_free(k);
out:
    arena_destroy(&a);
}

static void sim_signed(struct http_request *req, void *data)
{
    struct sim *s = data;
    if (s->out_body == NULL) {
        free(s->sig);
        free(s->serial);
        http_respond_error(req, 500, "SIM_KEY_MISSING", "模拟器密钥缺失", NULL);
        return;
    }
    char *body = arena_strdup(&req->arena, s->out_body);
    free(s->out_body);
    if (strcmp(s->provider, "wechat") == 0) {
        http_response_header(req, "Wechatpay-Timestamp", s->ts);
        http_response_header(req, "Wechatpay-Nonce", s->nonce);
        http_response_header(req, "Wechatpay-Signature", s->sig);
        http_response_header(req, "Wechatpay-Serial", s->serial);
        free(s->sig);
        free(s->serial);
    }
    http_respond(req, s->status, "application/json; charset=utf-8", body, strlen(body));
}

static void sim_answer(struct http_request *req, struct sim *s, int status, json_t *obj)
{
    char *text = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    s->resp_text = arena_strdup(&req->arena, text ? text : "{}");
    free(text);
    s->status = status;
    s->sign_key_path = pay_key_path(&req->arena, &req->srv->cfg,
                                    strcmp(s->provider, "alipay") == 0 ? PAY_KEY_ALIPAY_PRIVATE
                                                                       : PAY_KEY_WECHAT_PRIVATE);
    api_offload(req, API_OFFLOAD_PAYMENT, sim_sign_work, sim_signed, s);
}

/* ---- verifying our (the merchant's) requests on the pool ---- */

static void sim_verify_work(void *data)
{
    struct sim *s = data;
    struct arena a;
    arena_init(&a, 4096);
    struct rsa_sig_key *k = rsa_sig_key_load(s->key_path, false);
    if (k != NULL) {
        if (strcmp(s->provider, "alipay") == 0) {
            const char *sign = pay_param_get(s->params, s->nparams, "sign");
            char *content = pay_alipay_sign_content(&a, s->params, s->nparams);
            s->verified = sign != NULL && rsa_sig_verify(k, content, strlen(content), sign);
        } else {
            s->verified = pay_wechat_authorization_verify(&a, k, s->auth, s->mchid, s->method,
                                                          s->url_path, s->body, s->len);
        }
    }
    rsa_sig_key_free(k);
    arena_destroy(&a);
}

/* ---- Alipay page pay ---- */

static void alipay_page_trade(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    struct sim *s = req->ctx;
    const PGresult *res = r->res;
    const char *state = PQgetvalue(res, 0, 1);
    long long amount = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
    long long asked = 0;
    pay_amount_parse(json_string_value(json_object_get(s->biz, "total_amount")), &asked);
    json_decref(s->biz);
    if (amount != asked) {
        sim_page(req, 409, "交易信息不一致", "<p>该订单号已以其他金额下单。</p>");
        return;
    }
    if (strcmp(state, "WAIT") != 0) {
        sim_page(req, 409, strcmp(state, "SUCCESS") == 0 ? "该交易已支付" : "该交易已关闭", "");
        return;
    }
    char *html = arena_printf(&req->arena,
                              "<p>商户订单号：%s</p><p>商品：%s</p><p>金额：<b>%s 元</b></p>"
                              "<form method=\"post\" action=\"/sim/pay/alipay/%s\"><button "
                              "type=\"submit\">确认付款</button>"
                              "</form>",
                              sim_html_escape(&req->arena, s->out_trade_no),
                              sim_html_escape(&req->arena, PQgetvalue(res, 0, 3)),
                              pay_amount_format(&req->arena, amount), PQgetvalue(res, 0, 0));
    sim_page(req, 200, "支付宝（模拟）收银台", html);
}

static void alipay_page_verified(struct http_request *req, void *data)
{
    struct sim *s = data;
    if (!s->verified) {
        sim_page(req, 400, "签名错误", "<p>商户请求签名校验失败。</p>");
        return;
    }
    const char *biz = pay_param_get(s->params, s->nparams, "biz_content");
    s->biz = biz ? json_loads(biz, 0, NULL) : NULL;
    const char *no = json_string_value(json_object_get(s->biz, "out_trade_no"));
    const char *amount = json_string_value(json_object_get(s->biz, "total_amount"));
    const char *subject = json_string_value(json_object_get(s->biz, "subject"));
    const char *expire = json_string_value(json_object_get(s->biz, "time_expire"));
    const char *notify = pay_param_get(s->params, s->nparams, "notify_url");
    long long fen;
    if (no == NULL || amount == NULL || subject == NULL || notify == NULL ||
        pay_amount_parse(amount, &fen) < 0 || fen <= 0) {
        json_decref(s->biz);
        sim_page(req, 400, "参数错误", "<p>biz_content 缺少必填项。</p>");
        return;
    }
    s->out_trade_no = arena_strdup(&req->arena, no);
    char trade_no[29];
    struct tm tm;
    bj_tm(time(NULL), &tm);
    strftime(trade_no, 14, "%Y%m%d22001", &tm);
    for (int i = 13; i < 28; i++)
        trade_no[i] = (char)('0' + randombytes_uniform(10));
    trade_no[28] = '\0';
    const char *v[] = {arena_strdup(&req->arena, trade_no),
                       s->out_trade_no,
                       arena_printf(&req->arena, "%lld", fen),
                       arena_strdup(&req->arena, subject),
                       notify,
                       pay_param_get(s->params, s->nparams, "return_url"),
                       expire ? arena_strdup(&req->arena, expire) : NULL};
    req->ctx = s;
    api_query(req,
              "INSERT INTO payment_sim_trades AS t (provider, trade_no, out_trade_no, amount_fen, "
              "subject, notify_url, return_url, time_expire) VALUES ('alipay', $1, $2, $3::bigint, "
              "$4, $5, $6, coalesce(($7::timestamp AT TIME ZONE 'Asia/Shanghai'), now() + "
              "interval '2 hours')) ON CONFLICT (provider, out_trade_no) DO UPDATE SET notify_url "
              "= EXCLUDED.notify_url RETURNING t.trade_no, " SIM_STATE_SQL ", t.amount_fen, "
              "t.subject",
              7, v, alipay_page_trade);
}

static void sim_alipay_page(struct http_request *req)
{
    if (!sim_enabled(req))
        return;
    struct sim *s = arena_calloc(&req->arena, sizeof(*s));
    s->provider = "alipay";
    s->nparams = pay_form_parse(&req->arena, req->query, strlen(req->query), 32, &s->params);
    const char *method = s->nparams > 0 ? pay_param_get(s->params, s->nparams, "method") : NULL;
    if (method == NULL || strcmp(method, "alipay.trade.page.pay") != 0) {
        sim_page(req, 400, "参数错误", "<p>method 须为 alipay.trade.page.pay。</p>");
        return;
    }
    s->key_path = pay_key_path(&req->arena, &req->srv->cfg, PAY_KEY_ALIPAY_APP_PUBLIC);
    api_offload(req, API_OFFLOAD_PAYMENT, sim_verify_work, alipay_page_verified, s);
}

/* ---- Alipay API: query, close ---- */

static json_t *alipay_fail(const char *sub_code, const char *sub_msg)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "code", "40004", "msg", "Business Failed", "sub_code",
                     sub_code, "sub_msg", sub_msg);
}

static void alipay_api_row(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    struct sim *s = req->ctx;
    const PGresult *res = r->res;
    bool close = strcmp(s->method, "alipay.trade.close") == 0;
    if (PQntuples(res) == 0) {
        sim_answer(req, s, 200, alipay_fail("ACQ.TRADE_NOT_EXIST", "交易不存在"));
        return;
    }
    const char *trade_no = PQgetvalue(res, 0, 0), *state = PQgetvalue(res, 0, 1);
    if (close) {
        /* Column 4: this request closed it. */
        if (strcmp(PQgetvalue(res, 0, 4), "t") == 0 || strcmp(state, "CLOSED") == 0)
            sim_answer(req, s, 200,
                       json_pack("{s:s, s:s, s:s, s:s}", "code", "10000", "msg", "Success",
                                 "trade_no", trade_no, "out_trade_no", s->out_trade_no));
        else
            sim_answer(req, s, 200, alipay_fail("ACQ.TRADE_STATUS_ERROR", "交易状态不合法"));
        return;
    }
    const char *status = strcmp(state, "SUCCESS") == 0  ? "TRADE_SUCCESS"
                         : strcmp(state, "CLOSED") == 0 ? "TRADE_CLOSED"
                                                        : "WAIT_BUYER_PAY";
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "code", "10000", "msg", "Success",
                          "trade_no", trade_no, "out_trade_no", s->out_trade_no, "trade_status",
                          status, "total_amount",
                          pay_amount_format(&req->arena, strtoll(PQgetvalue(res, 0, 2), NULL, 10)),
                          "buyer_logon_id", "sim***@example.com");
    if (pg_value(res, 0, 3) != NULL)
        json_object_set_new(o, "send_pay_date", json_string(PQgetvalue(res, 0, 3)));
    sim_answer(req, s, 200, o);
}

static void alipay_api_verified(struct http_request *req, void *data)
{
    struct sim *s = data;
    s->resp_name = arena_printf(&req->arena, "%s_response", s->method);
    for (char *p = (char *)s->resp_name; *p; p++)
        if (*p == '.')
            *p = '_';
    if (!s->verified) {
        sim_answer(req, s, 200,
                   json_pack("{s:s, s:s, s:s, s:s}", "code", "40002", "msg", "Invalid Arguments",
                             "sub_code", "isv.invalid-signature", "sub_msg", "验签出错"));
        return;
    }
    const char *biz = pay_param_get(s->params, s->nparams, "biz_content");
    json_t *j = biz ? json_loads(biz, 0, NULL) : NULL;
    const char *no = json_string_value(json_object_get(j, "out_trade_no"));
    s->out_trade_no = no ? arena_strdup(&req->arena, no) : NULL;
    json_decref(j);
    if (s->out_trade_no == NULL) {
        sim_answer(req, s, 200,
                   json_pack("{s:s, s:s, s:s, s:s}", "code", "40002", "msg", "Invalid Arguments",
                             "sub_code", "isv.missing-out-trade-no", "sub_msg", "缺少商户订单号"));
        return;
    }
    req->ctx = s;
    const char *v[] = {s->out_trade_no, strcmp(s->method, "alipay.trade.close") == 0 ? "t" : "f"};
    api_query(req,
              "WITH c AS (UPDATE payment_sim_trades SET state = 'CLOSED' WHERE provider = "
              "'alipay' AND out_trade_no = $1 AND state = 'WAIT' AND $2::boolean RETURNING "
              "trade_no) SELECT t.trade_no, CASE WHEN c.trade_no IS NOT NULL THEN 'CLOSED' "
              "ELSE " SIM_STATE_SQL " END, t.amount_fen, to_char(t.paid_at AT TIME ZONE "
              "'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), c.trade_no IS NOT NULL FROM "
              "payment_sim_trades t LEFT JOIN c ON c.trade_no = t.trade_no WHERE t.provider = "
              "'alipay' AND t.out_trade_no = $1",
              2, v, alipay_api_row);
}

static void sim_alipay_api(struct http_request *req)
{
    if (!sim_enabled(req))
        return;
    struct sim *s = arena_calloc(&req->arena, sizeof(*s));
    s->provider = "alipay";
    s->nparams = pay_form_parse(&req->arena, req->body, req->body_len, 32, &s->params);
    const char *method = s->nparams > 0 ? pay_param_get(s->params, s->nparams, "method") : NULL;
    if (method == NULL ||
        (strcmp(method, "alipay.trade.query") != 0 && strcmp(method, "alipay.trade.close") != 0)) {
        http_respond_error(req, 400, "SIM_METHOD",
                           "method: alipay.trade.query | alipay.trade.close", "method");
        return;
    }
    s->method = method;
    s->key_path = pay_key_path(&req->arena, &req->srv->cfg, PAY_KEY_ALIPAY_APP_PUBLIC);
    api_offload(req, API_OFFLOAD_PAYMENT, sim_verify_work, alipay_api_verified, s);
}

/* ---- WeChat: the QR code's page, query, close ---- */

static void wechat_page_row(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    if (PQntuples(r->res) == 0) {
        sim_page(req, 404, "没有这笔交易", "");
        return;
    }
    const PGresult *res = r->res;
    const char *state = PQgetvalue(res, 0, 1);
    if (strcmp(state, "WAIT") != 0) {
        sim_page(req, 409, strcmp(state, "SUCCESS") == 0 ? "该交易已支付" : "该交易已关闭", "");
        return;
    }
    char *html =
        arena_printf(&req->arena,
                     "<p>商户订单号：%s</p><p>商品：%s</p><p>金额：<b>%s 元</b></p>"
                     "<form method=\"post\" action=\"/sim/pay/wechat/%s\"><button "
                     "type=\"submit\">确认支付</button>"
                     "</form>",
                     sim_html_escape(&req->arena, PQgetvalue(res, 0, 2)),
                     sim_html_escape(&req->arena, PQgetvalue(res, 0, 4)),
                     pay_amount_format(&req->arena, strtoll(PQgetvalue(res, 0, 3), NULL, 10)),
                     PQgetvalue(res, 0, 0));
    sim_page(req, 200, "微信支付（模拟）", html);
}

static void sim_wechat_page(struct http_request *req)
{
    if (!sim_enabled(req))
        return;
    const char *v[] = {http_param(req, 0)};
    api_query(req,
              "SELECT trade_no, " SIM_STATE_SQL ", out_trade_no, amount_fen, subject FROM "
              "payment_sim_trades WHERE provider = 'wechat' AND trade_no = $1",
              1, v, wechat_page_row);
}

static void wechat_api_row(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    struct sim *s = req->ctx;
    const struct zk_config *cfg = &req->srv->cfg;
    const PGresult *res = r->res;
    bool close = strcmp(s->method, "POST") == 0;
    if (PQntuples(res) == 0) {
        sim_answer(req, s, 404,
                   json_pack("{s:s, s:s}", "code", "ORDER_NOT_EXIST", "message", "订单不存在"));
        return;
    }
    const char *state = PQgetvalue(res, 0, 1);
    if (close) {
        if (strcmp(state, "SUCCESS") == 0)
            sim_answer(req, s, 400,
                       json_pack("{s:s, s:s}", "code", "ORDERPAID", "message", "订单已支付"));
        else
            sim_answer(req, s, 204, json_object());
        return;
    }
    const char *ts = strcmp(state, "SUCCESS") == 0  ? "SUCCESS"
                     : strcmp(state, "CLOSED") == 0 ? "CLOSED"
                                                    : "NOTPAY";
    long long amount = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:I, s:s}}", "appid", cfg->pay_wechat_appid,
                  "mchid", cfg->pay_wechat_mchid, "out_trade_no", s->out_trade_no, "trade_type",
                  "NATIVE", "trade_state", ts, "trade_state_desc", ts, "amount", "total",
                  (json_int_t)amount, "currency", "CNY");
    if (strcmp(ts, "SUCCESS") == 0) {
        json_object_set_new(o, "transaction_id", json_string(PQgetvalue(res, 0, 0)));
        json_object_set_new(o, "success_time", json_string(PQgetvalue(res, 0, 3)));
        json_object_set_new(json_object_get(o, "amount"), "payer_total",
                            json_integer((json_int_t)amount));
    }
    sim_answer(req, s, 200, o);
}

static void wechat_api_verified(struct http_request *req, void *data)
{
    struct sim *s = data;
    if (!s->verified) {
        sim_answer(req, s, 401,
                   json_pack("{s:s, s:s}", "code", "SIGN_ERROR", "message", "签名错误"));
        return;
    }
    req->ctx = s;
    const char *v[] = {s->out_trade_no, strcmp(s->method, "POST") == 0 ? "t" : "f"};
    api_query(
        req,
        "WITH c AS (UPDATE payment_sim_trades SET state = 'CLOSED' WHERE provider = "
        "'wechat' AND out_trade_no = $1 AND state = 'WAIT' AND $2::boolean RETURNING "
        "trade_no) SELECT t.trade_no, CASE WHEN c.trade_no IS NOT NULL THEN 'CLOSED' "
        "ELSE " SIM_STATE_SQL " END, t.amount_fen, " PAY_TS(
            "t.paid_at") " FROM payment_sim_trades "
                         "t LEFT JOIN c ON c.trade_no = t.trade_no WHERE t.provider = 'wechat' AND "
                         "t.out_trade_no = $1",
        2, v, wechat_api_row);
}

static void sim_wechat_api(struct http_request *req)
{
    if (!sim_enabled(req))
        return;
    struct sim *s = arena_calloc(&req->arena, sizeof(*s));
    s->provider = "wechat";
    s->method = req->method_name;
    s->out_trade_no = http_param(req, 0);
    /* The URL the merchant signed is the target below the gateway prefix. */
    s->url_path = req->target + strlen("/sim/wechat");
    s->auth = http_header_get(req, "Authorization");
    s->body = req->body ? req->body : "";
    s->len = req->body_len;
    s->mchid = req->srv->cfg.pay_wechat_mchid;
    s->key_path = pay_key_path(&req->arena, &req->srv->cfg, PAY_KEY_WECHAT_MCH_PUBLIC);
    api_offload(req, API_OFFLOAD_PAYMENT, sim_verify_work, wechat_api_verified, s);
}

/* ---- WeChat Native prepay: POST /sim/wechat/v3/pay/transactions/native ---- */

static void wechat_native_row(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    struct sim *s = req->ctx;
    const PGresult *res = r->res;
    /* Asked again for the same order with another amount: refused. */
    if (strcmp(PQgetvalue(res, 0, 1), "t") != 0) {
        sim_answer(req, s, 400,
                   json_pack("{s:s, s:s}", "code", "PARAM_ERROR", "message", "订单金额不一致"));
        return;
    }
    sim_answer(req, s, 200,
               json_pack("{s:s}", "code_url",
                         arena_printf(&req->arena, "weixin://wxpay/bizpayurl?pr=%s",
                                      PQgetvalue(res, 0, 0))));
}

static void wechat_native_verified(struct http_request *req, void *data)
{
    struct sim *s = data;
    if (!s->verified) {
        sim_answer(req, s, 401,
                   json_pack("{s:s, s:s}", "code", "SIGN_ERROR", "message", "签名错误"));
        return;
    }
    json_t *j = json_loadb(s->body, s->len, 0, NULL);
    const char *no = json_string_value(json_object_get(j, "out_trade_no"));
    const char *desc = json_string_value(json_object_get(j, "description"));
    const char *notify = json_string_value(json_object_get(j, "notify_url"));
    const char *expire = json_string_value(json_object_get(j, "time_expire"));
    json_int_t total = json_integer_value(json_object_get(json_object_get(j, "amount"), "total"));
    if (no == NULL || desc == NULL || notify == NULL || total <= 0) {
        json_decref(j);
        sim_answer(req, s, 400,
                   json_pack("{s:s, s:s}", "code", "PARAM_ERROR", "message", "缺少必填参数"));
        return;
    }
    char trade_no[29];
    struct tm tm;
    bj_tm(time(NULL), &tm);
    strftime(trade_no, 13, "4200%Y%m%d", &tm);
    for (int i = 12; i < 28; i++)
        trade_no[i] = (char)('0' + randombytes_uniform(10));
    trade_no[28] = '\0';
    const char *v[] = {arena_strdup(&req->arena, trade_no),
                       arena_strdup(&req->arena, no),
                       arena_printf(&req->arena, "%lld", (long long)total),
                       arena_strdup(&req->arena, desc),
                       arena_strdup(&req->arena, notify),
                       expire ? arena_strdup(&req->arena, expire) : NULL};
    json_decref(j);
    req->ctx = s;
    api_query(req,
              "INSERT INTO payment_sim_trades AS t (provider, trade_no, out_trade_no, amount_fen, "
              "subject, notify_url, time_expire) VALUES ('wechat', $1, $2, $3::bigint, $4, $5, "
              "coalesce($6::timestamptz, now() + interval '2 hours')) ON CONFLICT (provider, "
              "out_trade_no) DO UPDATE SET notify_url = EXCLUDED.notify_url RETURNING t.trade_no, "
              "t.amount_fen = $3::bigint",
              6, v, wechat_native_row);
}

static void sim_wechat_native(struct http_request *req)
{
    if (!sim_enabled(req))
        return;
    struct sim *s = arena_calloc(&req->arena, sizeof(*s));
    s->provider = "wechat";
    s->method = "POST";
    s->url_path = "/v3/pay/transactions/native";
    s->auth = http_header_get(req, "Authorization");
    s->body = req->body ? req->body : "";
    s->len = req->body_len;
    s->mchid = req->srv->cfg.pay_wechat_mchid;
    s->key_path = pay_key_path(&req->arena, &req->srv->cfg, PAY_KEY_WECHAT_MCH_PUBLIC);
    api_offload(req, API_OFFLOAD_PAYMENT, sim_verify_work, wechat_native_verified, s);
}

/* ---- POST /sim/pay/{provider}/{trade_no}: the person pays ---- */

struct sim_pay {
    const char *provider, *trade_no;
    bool notify;
    const char *return_url;
};

static void sim_paid_committed(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    struct http_request *req = api_txn_request(tx);
    struct sim_pay *sp = req->ctx;
    const char *back = sp->return_url
                           ? arena_printf(&req->arena, "<p><a href=\"%s\">返回商户</a></p>",
                                          sim_html_escape(&req->arena, sp->return_url))
                           : "";
    sim_page(req, 200, "支付成功", back);
}

static void sim_paid_job(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    api_txn_commit(tx, sim_paid_committed);
}

static void sim_paid(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    struct http_request *req = api_txn_request(tx);
    struct sim_pay *sp = req->ctx;
    if (PQntuples(r->res) == 0) {
        api_txn_rollback(tx);
        sim_page(req, 409, "无法支付", "<p>该交易不存在、已支付或已关闭。</p>");
        return;
    }
    const PGresult *res = r->res;
    sp->return_url = pg_value(res, 0, 3) ? arena_strdup(&req->arena, PQgetvalue(res, 0, 3)) : NULL;
    if (!sp->notify) {
        api_txn_commit(tx, sim_paid_committed);
        return;
    }
    json_t *payload = json_pack(
        "{s:s, s:s, s:s, s:s, s:I, s:s, s:I}", "kind", "sim_notify", "provider", sp->provider,
        "trade_no", sp->trade_no, "out_trade_no", PQgetvalue(res, 0, 0), "amount_fen",
        (json_int_t)strtoll(PQgetvalue(res, 0, 1), NULL, 10), "notify_url", PQgetvalue(res, 0, 2),
        "paid_at", (json_int_t)strtoll(PQgetvalue(res, 0, 4), NULL, 10));
    char *text = json_dumps(payload, JSON_COMPACT);
    json_decref(payload);
    char *p = arena_strdup(&req->arena, text);
    free(text);
    api_txn_add_job(tx, QUEUE_PAYMENT, p, sim_paid_job);
}

static void sim_pay_begun(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    struct sim_pay *sp = api_txn_request(tx)->ctx;
    const char *v[] = {sp->provider, sp->trade_no};
    api_txn_query(tx,
                  "UPDATE payment_sim_trades SET state = 'SUCCESS', paid_at = now() WHERE "
                  "provider = $1 AND trade_no = $2 AND state = 'WAIT' AND time_expire > now() "
                  "RETURNING out_trade_no, amount_fen, notify_url, return_url, extract(epoch "
                  "FROM paid_at)::bigint",
                  2, v, sim_paid);
}

static void sim_pay(struct http_request *req)
{
    if (!sim_enabled(req))
        return;
    struct sim_pay *sp = arena_calloc(&req->arena, sizeof(*sp));
    sp->provider = http_param(req, 0);
    sp->trade_no = http_param(req, 1);
    if (strcmp(sp->provider, "alipay") != 0 && strcmp(sp->provider, "wechat") != 0) {
        sim_page(req, 404, "没有这个支付渠道", "");
        return;
    }
    sp->notify = true;
    /* Tests lose the notification on purpose: reconciliation must settle it. */
    const char *nf = url_form_get(&req->arena, req->body ? req->body : "", req->body_len, "notify");
    if (nf != NULL && strcmp(nf, "0") == 0 && strcmp(req->srv->cfg.environment, "test") == 0)
        sp->notify = false;
    req->ctx = sp;
    api_txn_begin(req, sim_pay_begun);
}

static const struct route sim_routes[] = {
    {"GET", "/sim/alipay/gateway.do", sim_alipay_page, 1024, NULL},
    {"POST", "/sim/alipay/gateway.do", sim_alipay_api, 16384, NULL},
    {"GET", "/sim/wechat/pay/{trade_no}", sim_wechat_page, 1024, NULL},
    {"GET", "/sim/wechat/v3/pay/transactions/out-trade-no/{no}", sim_wechat_api, 1024, NULL},
    {"POST", "/sim/wechat/v3/pay/transactions/out-trade-no/{no}/close", sim_wechat_api, 4096, NULL},
    {"POST", "/sim/wechat/v3/pay/transactions/native", sim_wechat_native, 8192, NULL},
    {"POST", "/sim/pay/{provider}/{trade_no}", sim_pay, 1024, NULL},
};

static int sim_check_config(const struct zk_config *cfg, char *err, size_t errsz)
{
    if (config_is_production(cfg) && cfg->pay_simulator) {
        snprintf(err, errsz,
                 "[payment] simulator is for development and tests and is refused "
                 "when [server] environment = production");
        return -EINVAL;
    }
    return 0;
}

const struct api_module api_pay_sim_module = {
    .name = "pay-sim",
    API_ROUTES(sim_routes),
    .check_config = sim_check_config,
};
