/*
 * orders.c - the candidate's orders: GET /api/v1/me/orders[/{no}],
 * GET .../{no}/qr.svg (WeChat Pay's QR code), POST /api/v1/me/orders/{no}/pay
 * and /cancel; the order service that
 * charging flows call (pay_server.h); and the test-only demo subject route.
 *
 * Owns nothing beyond each request. Paying asks the provider adapter for
 * what the client needs (a signed redirect URL for Alipay, a QR payload for
 * WeChat Pay); signing runs on the thread pool. Graduation fees are not
 * refundable: a paid order is final, and cancelling is only possible before
 * it is paid.
 */
#include "alloc.h"
#include "queue.h"
#include "api_auth.h"
#include "log.h"
#include "pay_proto.h"
#include "pay_server.h"
#include "server.h"

#include <errno.h>
#include <inttypes.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#define NO_REFUND_TEXT "毕业申请等考务费用一经缴纳，不予退还"

/* ---- order numbers and JSON ---- */

static json_t *str_or_null(const PGresult *res, int row, int col)
{
    const char *v = pg_value(res, row, col);
    return v ? json_string(v) : json_null();
}

json_t *order_json(const PGresult *res, int row)
{
    bool refundable = strcmp(PQgetvalue(res, row, 5), "t") == 0;
    const char *state = PQgetvalue(res, row, 7);
    json_t *pay = json_null();
    const char *pay_text = pg_value(res, row, 10);
    if (pay_text != NULL && strcmp(state, "paying") == 0)
        pay = json_loads(pay_text, 0, NULL);
    if (pay == NULL)
        pay = json_null();
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:I, s:b, s:o, s:s, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:s, s:o, "
        "s:b, s:b}",
        "order_no", PQgetvalue(res, row, 0), "purpose", PQgetvalue(res, row, 1), "subject",
        PQgetvalue(res, row, 2), "description", PQgetvalue(res, row, 3), "amount_fen",
        (json_int_t)strtoll(PQgetvalue(res, row, 4), NULL, 10), "refundable", refundable,
        "provider", str_or_null(res, row, 6), "state", state, "closed_reason",
        str_or_null(res, row, 8), "provider_trade_no", str_or_null(res, row, 9), "pay", pay,
        "expires_at", PQgetvalue(res, row, 11), "paying_at", str_or_null(res, row, 12), "paid_at",
        str_or_null(res, row, 13), "closed_at", str_or_null(res, row, 14), "created_at",
        PQgetvalue(res, row, 15), "refund_policy",
        refundable ? json_string("可按规定申请退款") : json_string(NO_REFUND_TEXT), "can_cancel",
        strcmp(state, "created") == 0 || strcmp(state, "paying") == 0, "can_pay",
        strcmp(state, "created") == 0 || strcmp(state, "paying") == 0);
}

/* ---- the order service ---- */

struct order_open_step {
    void *saved_ctx; /* the caller's req->ctx, restored before next runs */
    api_txn_step_fn next;
    const char *v[6];
};

static void order_open_expired_closed(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct order_open_step *st = req->ctx;
    req->ctx = st->saved_ctx;
    if (r->error != PG_OK) {
        st->next(tx, r);
        return;
    }
    api_txn_query(tx,
                  "SELECT " ORDER_COLUMNS " FROM pay_order_open($1, $2::bigint, $3, $4, $5, "
                  "$6::int)",
                  6, st->v, st->next);
}

void order_open(struct api_txn *tx, int64_t candidate_id, const char *purpose, const char *subject,
                api_txn_step_fn next)
{
    struct http_request *req = api_txn_request(tx);
    const struct zk_config *cfg = &req->srv->cfg;
    struct order_open_step *st = arena_calloc(&req->arena, sizeof(*st));
    char *no = arena_alloc(&req->arena, ORDER_NO_LEN + 1);
    pay_order_no_new(no);
    st->v[0] = no;
    st->v[1] = arena_printf(&req->arena, "%" PRId64, candidate_id);
    st->v[2] = arena_strdup(&req->arena, purpose);
    st->v[3] = arena_strdup(&req->arena, subject);
    st->v[4] = cfg->province;
    st->v[5] = arena_printf(&req->arena, "%d", cfg->pay_order_expiry_minutes);
    st->next = next;
    st->saved_ctx = req->ctx;
    req->ctx = st;
    /* An unpaid order past its expiry that no provider has seen is closed
     * first, so that asking again opens a fresh one instead of returning it. */
    api_txn_query(tx,
                  "UPDATE orders SET state = 'closed', closed_reason = 'expired', closed_at = "
                  "now(), updated_at = now() WHERE purpose = $2 AND subject = $3 AND state = "
                  "'created' AND expires_at < now() AND candidate_id = $1::bigint",
                  3, st->v + 1, order_open_expired_closed);
}

bool order_open_failed(struct api_txn *tx, const struct pg_result *r)
{
    if (r->error == PG_ERR_QUERY && strcmp(r->sqlstate, "ZKP01") == 0) {
        api_txn_rollback(tx);
        http_respond_error(api_txn_request(tx), 422, "FEE_UNKNOWN", "本省没有这项收费", "purpose");
        return true;
    }
    if (r->error == PG_ERR_QUERY && strcmp(r->sqlstate, "ZKP02") == 0) {
        api_txn_rollback(tx);
        http_respond_error(api_txn_request(tx), 409, "SUBJECT_OTHER_CANDIDATE",
                           "该事项的订单属于其他考生", "subject");
        return true;
    }
    return api_txn_fail(tx, r);
}

/* ---- GET /api/v1/me/orders ---- */

static void orders_listed(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    json_t *items = json_array();
    for (int i = 0; i < PQntuples(r->res); i++)
        json_array_append_new(items, order_json(r->res, i));
    http_respond_json(req, 200, json_pack("{s:o}", "items", items));
}

static const char *const order_states[] = {"created", "paying", "paid", "closed"};

static void orders_list_authed(struct http_request *req, const struct api_session *s)
{
    const char *state = http_query_get(req, "state");
    if (state != NULL) {
        bool ok = false;
        for (size_t i = 0; i < sizeof(order_states) / sizeof(order_states[0]); i++)
            ok |= strcmp(state, order_states[i]) == 0;
        if (!ok) {
            http_respond_error(req, 400, "BAD_QUERY",
                               "state 只能是 created、paying、paid 或 closed", "state");
            return;
        }
    }
    const char *v[] = {arena_printf(&req->arena, "%" PRId64, s->candidate_id), state};
    api_query(req,
              "SELECT " ORDER_COLUMNS " FROM orders WHERE candidate_id = $1::bigint AND ($2::text "
              "IS NULL OR state = $2) ORDER BY created_at DESC, id DESC LIMIT 200",
              2, v, orders_listed);
}

static void orders_list(struct http_request *req)
{
    api_auth_require_verified(req, orders_list_authed);
}

/* ---- GET /api/v1/me/orders/{no} ---- */

static bool order_param_ok(struct http_request *req)
{
    if (!pay_order_no_valid(http_param(req, 0))) {
        http_respond_error(req, 400, "ORDER_NO_MALFORMED", "订单号格式不正确", "no");
        return false;
    }
    return true;
}

static void order_not_found(struct http_request *req)
{
    http_respond_error(req, 404, "ORDER_NOT_FOUND", "没有这个订单", "no");
}

static void order_got(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    if (PQntuples(r->res) == 0) {
        order_not_found(req);
        return;
    }
    http_respond_json(req, 200, order_json(r->res, 0));
}

static void order_get_authed(struct http_request *req, const struct api_session *s)
{
    const char *v[] = {http_param(req, 0), arena_printf(&req->arena, "%" PRId64, s->candidate_id)};
    api_query(req,
              "SELECT " ORDER_COLUMNS " FROM orders WHERE order_no = $1 AND candidate_id = "
              "$2::bigint",
              2, v, order_got);
}

static void order_get(struct http_request *req)
{
    if (order_param_ok(req))
        api_auth_require_verified(req, order_get_authed);
}

/* ---- GET /api/v1/me/orders/{no}/qr.svg ---- */

/* The WeChat Pay QR payload of a paying order drawn as a QR code (SVG, level
 * M, a 4-module quiet zone): what the candidate scans with the phone. Drawing
 * it takes microseconds: done on the loop. */
static void order_qr_got(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    if (PQntuples(r->res) == 0) {
        order_not_found(req);
        return;
    }
    const char *payload = pg_value(r->res, 0, 0);
    if (payload == NULL || payload[0] == '\0') {
        http_respond_error(req, 409, "ORDER_NO_QR", "该订单现在没有待扫描的支付二维码", "no");
        return;
    }
    QRcode *qr = QRcode_encodeString(payload, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (qr == NULL) {
        log_msg(LOG_LEVEL_ERR, req->id, "payment: QR code of %s not drawn: %s", http_param(req, 0),
                strerror(errno));
        http_respond_error(req, 500, "INTERNAL", "系统内部错误，请稍后再试", NULL);
        return;
    }
    const int quiet = 4, side = qr->width + 2 * quiet;
    struct buf b;
    buf_init(&b, &req->arena, 8192);
    buf_printf(&b,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
               "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
               "fill=\"#fff\"/><path fill=\"#000\" d=\"",
               side, side, side, side);
    for (int y = 0; y < qr->width; y++)
        for (int x = 0; x < qr->width; x++)
            if (qr->data[y * qr->width + x] & 1)
                buf_printf(&b, "M%d %dh1v1h-1z", x + quiet, y + quiet);
    buf_puts(&b, "\"/></svg>\n");
    QRcode_free(qr);
    http_response_header(req, "Cache-Control", "no-store");
    http_respond(req, 200, "image/svg+xml", b.data, b.len);
}

static void order_qr_authed(struct http_request *req, const struct api_session *s)
{
    const char *v[] = {http_param(req, 0), arena_printf(&req->arena, "%" PRId64, s->candidate_id)};
    api_query(req,
              "SELECT CASE WHEN state = 'paying' AND provider = 'wechat' THEN pay_info ->> "
              "'qr_payload' END FROM orders WHERE order_no = $1 AND candidate_id = $2::bigint",
              2, v, order_qr_got);
}

static void order_qr(struct http_request *req)
{
    if (order_param_ok(req))
        api_auth_require_verified(req, order_qr_authed);
}

/* ---- POST /api/v1/me/orders/{no}/pay ---- */

struct pay_req {
    const char *no; /* first: struct order_step */
    const char *cand;
    const char *provider;
    int rounds;
    /* Filled from the order row for the pool. */
    struct zk_config cfg_copy;
    char order_no[ORDER_NO_LEN + 1];
    long long amount_fen;
    char description[256];
    time_t expires;
    /* Results of the pool work (malloc'd, freed in after). */
    char *pay_info; /* JSON text */
    const char *error;
};

static void pay_select(struct http_request *req);

static void pay_reread(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    if (PQntuples(r->res) == 0) {
        order_not_found(req);
        return;
    }
    http_respond_json(req, 200, order_json(r->res, 0));
}

/* Pay and cancel keep the order number first in their state (struct
 * pay_req, struct cancel_req): after their COMMIT the order is read again
 * and answered as it now is. */
struct order_step {
    const char *no;
};

static void order_committed(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    struct http_request *req = api_txn_request(tx);
    const struct order_step *o = req->ctx;
    const char *v[] = {o->no};
    api_query(req, "SELECT " ORDER_COLUMNS " FROM orders WHERE order_no = $1", 1, v, pay_reread);
}

static void order_job_added(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    api_txn_commit(tx, order_committed);
}

static void pay_updated(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    struct http_request *req = api_txn_request(tx);
    struct pay_req *p = req->ctx;
    if (PQntuples(r->res) == 0) {
        /* Changed under us (a concurrent pay or cancel): look again. */
        api_txn_rollback(tx);
        pay_select(req);
        return;
    }
    if (strcmp(p->provider, "wechat") == 0) {
        json_t *job =
            json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "kind", "prepay", "order_no", p->no,
                      "description", p->description, "amount_fen", (json_int_t)p->amount_fen,
                      "expires_at", (json_int_t)p->expires, "notify_url",
                      arena_printf(&req->arena, "%s/api/v1/payments/wechat/notify",
                                   config_public_url(&req->arena, &req->srv->cfg)));
        char *text = json_dumps(job, JSON_COMPACT);
        json_decref(job);
        char *payload = arena_strdup(&req->arena, text);
        free(text);
        api_txn_add_job(tx, QUEUE_PAYMENT, payload, order_job_added);
        return;
    }
    api_txn_commit(tx, order_committed);
}

static void pay_begun(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    struct http_request *req = api_txn_request(tx);
    struct pay_req *p = req->ctx;
    const char *v[] = {p->no, p->provider, arena_strdup(&req->arena, p->pay_info)};
    api_txn_query(tx,
                  "UPDATE orders SET state = 'paying', provider = $2, pay_info = $3::jsonb, "
                  "paying_at = now(), updated_at = now() WHERE order_no = $1 AND state = "
                  "'created' AND expires_at > now() RETURNING id",
                  3, v, pay_updated);
}

/* On the pool: what the client needs to pay. */
static void pay_prepare(void *data)
{
    struct pay_req *p = data;
    const struct zk_config *cfg = &p->cfg_copy;
    struct arena a;
    arena_init(&a, 8192);
    char *base = config_public_url(&a, cfg);
    if (strcmp(p->provider, "alipay") == 0) {
        struct rsa_sig_key *k =
            rsa_sig_key_load(pay_key_path(&a, cfg, PAY_KEY_ALIPAY_APP_PRIVATE), true);
        if (k == NULL) {
            p->error = "alipay merchant key missing";
            goto out;
        }
        json_t *biz = json_pack("{s:s, s:s, s:s, s:s, s:s}", "out_trade_no", p->order_no,
                                "total_amount", pay_amount_format(&a, p->amount_fen), "subject",
                                p->description, "product_code", "FAST_INSTANT_TRADE_PAY",
                                "time_expire", pay_time_alipay(&a, p->expires));
        char *biz_text = json_dumps(biz, JSON_COMPACT);
        json_decref(biz);
        struct pay_param params[12] = {
            {"app_id", cfg->pay_alipay_app_id},
            {"method", "alipay.trade.page.pay"},
            {"charset", "utf-8"},
            {"format", "JSON"},
            {"timestamp", pay_time_alipay(&a, time(NULL))},
            {"version", "1.0"},
            {"notify_url", arena_printf(&a, "%s/api/v1/payments/alipay/notify", base)},
            /* The page the browser comes back to (server/www/me/pay-return.html):
             * it asks for the order until the notification has been applied. */
            {"return_url", arena_printf(&a, "%s/me/pay-return.html?no=%s", base, p->order_no)},
            {"biz_content", arena_strdup(&a, biz_text)},
        };
        free(biz_text);
        char *form = pay_alipay_sign_form(&a, k, params, 9);
        rsa_sig_key_free(k);
        if (form == NULL) {
            p->error = "signing failed";
            goto out;
        }
        json_t *info = json_pack("{s:s, s:s, s:s}", "provider", "alipay", "kind", "redirect", "url",
                                 arena_printf(&a, "%s?%s", pay_alipay_gateway(&a, cfg), form));
        p->pay_info = json_dumps(info, JSON_COMPACT);
        json_decref(info);
    } else {
        /* WeChat Native: the QR payload comes from the provider's prepay
         * API, which the payment worker calls (a `prepay` job queued with
         * the state change); the client polls the order until pay has it. */
        json_t *info =
            json_pack("{s:s, s:s, s:b}", "provider", "wechat", "kind", "qr", "pending", 1);
        p->pay_info = json_dumps(info, JSON_COMPACT);
        json_decref(info);
    }
out:
    arena_destroy(&a);
}

static void pay_prepared(struct http_request *req, void *data)
{
    struct pay_req *p = data;
    if (p->pay_info == NULL) {
        log_msg(LOG_LEVEL_ERR, req->id, "payment: cannot prepare %s payment: %s", p->provider,
                p->error ? p->error : "unknown");
        http_respond_error(req, 503, "PROVIDER_UNAVAILABLE",
                           "该支付方式暂不可用，请稍后再试或换一种方式", "provider");
        return;
    }
    /* Move the results into the request's arena. */
    char *info = arena_strdup(&req->arena, p->pay_info);
    free(p->pay_info);
    p->pay_info = info;
    req->ctx = p;
    api_txn_begin(req, pay_begun);
}

static void pay_expired(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    http_respond_error(api_txn_request(tx), 409, "ORDER_EXPIRED", "订单已过期，请重新下单", "no");
}

static void pay_expire_updated(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    api_txn_commit(tx, pay_expired);
}

static void pay_expire_step(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    struct pay_req *p = api_txn_request(tx)->ctx;
    const char *v[] = {p->no};
    api_txn_query(tx,
                  "UPDATE orders SET state = 'closed', closed_reason = 'expired', closed_at = "
                  "now(), updated_at = now() WHERE order_no = $1 AND state = 'created'",
                  1, v, pay_expire_updated);
}

static void pay_selected(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    struct pay_req *p = req->ctx;
    if (PQntuples(r->res) == 0) {
        order_not_found(req);
        return;
    }
    const PGresult *res = r->res;
    const char *state = PQgetvalue(res, 0, 7);
    const char *provider = pg_value(res, 0, 6);
    if (strcmp(state, "paid") == 0) {
        http_respond_error(req, 409, "ORDER_PAID", "订单已支付", "no");
        return;
    }
    if (strcmp(state, "closed") == 0) {
        http_respond_error(req, 409, "ORDER_CLOSED", "订单已关闭", "no");
        return;
    }
    if (strcmp(state, "paying") == 0) {
        if (provider != NULL && strcmp(provider, p->provider) == 0) {
            http_respond_json(req, 200, order_json(res, 0));
            return;
        }
        http_respond_error(req, 409, "ORDER_PAYING_ELSEWHERE",
                           "该订单已选择其他支付方式；如需更换，请先取消订单", "provider");
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 17), "t") == 0) {
        api_txn_begin(req, pay_expire_step);
        return;
    }
    if (++p->rounds > 3) {
        http_respond_error(req, 409, "ORDER_BUSY", "订单状态正在变化，请稍后再试", "no");
        return;
    }
    p->cfg_copy = req->srv->cfg;
    snprintf(p->order_no, sizeof(p->order_no), "%s", PQgetvalue(res, 0, 0));
    p->amount_fen = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
    snprintf(p->description, sizeof(p->description), "%s", PQgetvalue(res, 0, 3));
    p->expires = (time_t)strtoll(PQgetvalue(res, 0, ORDER_NCOLS), NULL, 10);
    req->ctx = NULL;
    api_offload(req, API_OFFLOAD_PAYMENT, pay_prepare, pay_prepared, p);
}

static void pay_select(struct http_request *req)
{
    struct pay_req *p = req->ctx;
    const char *v[] = {p->no, p->cand};
    api_query(req,
              "SELECT " ORDER_COLUMNS ", extract(epoch FROM expires_at)::bigint FROM orders "
              "WHERE order_no = $1 AND candidate_id = $2::bigint",
              2, v, pay_selected);
}

static void order_pay_authed(struct http_request *req, const struct api_session *s)
{
    struct pay_req *p = arena_calloc(&req->arena, sizeof(*p));
    p->no = http_param(req, 0);
    p->cand = arena_printf(&req->arena, "%" PRId64, s->candidate_id);
    p->provider = req->srv->cfg.pay_provider;
    if (req->body_len > 0) {
        json_t *body = api_json_body(req);
        if (body == NULL)
            return;
        json_t *prov = json_object_get(body, "provider");
        const char *pv = json_string_value(prov);
        if (prov != NULL &&
            (pv == NULL || (strcmp(pv, "alipay") != 0 && strcmp(pv, "wechat") != 0))) {
            json_decref(body);
            http_respond_error(req, 422, "PROVIDER_INVALID", "支付方式只能是 alipay 或 wechat",
                               "provider");
            return;
        }
        if (pv != NULL)
            p->provider = arena_strdup(&req->arena, pv);
        json_decref(body);
    }
    req->ctx = p;
    pay_select(req);
}

static void order_pay(struct http_request *req)
{
    if (order_param_ok(req))
        api_auth_require_verified(req, order_pay_authed);
}

/* ---- POST /api/v1/me/orders/{no}/cancel ---- */

struct cancel_req {
    const char *no; /* first: struct order_step */
    const char *cand;
    bool was_paying;
};

static void cancel_updated(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    struct http_request *req = api_txn_request(tx);
    struct cancel_req *c = req->ctx;
    if (PQntuples(r->res) == 0) {
        api_txn_rollback(tx);
        order_not_found(req);
        return;
    }
    const char *before = PQgetvalue(r->res, 0, 0);
    const char *after = PQgetvalue(r->res, 0, 1);
    if (strcmp(after, "paid") == 0) {
        api_txn_rollback(tx);
        http_respond_error(req, 409, "ORDER_PAID_NO_REFUND",
                           "订单已支付，不能取消；" NO_REFUND_TEXT, "no");
        return;
    }
    if (strcmp(before, "closed") == 0) {
        api_txn_rollback(tx);
        http_respond_error(req, 409, "ORDER_CLOSED", "订单已关闭", "no");
        return;
    }
    c->was_paying = strcmp(before, "paying") == 0;
    if (c->was_paying) {
        /* The provider may still take money for it: close the trade there
         * (and settle it if it was paid meanwhile). */
        char *payload =
            arena_printf(&req->arena, "{\"kind\":\"close\",\"order_no\":\"%s\"}", c->no);
        api_txn_add_job(tx, QUEUE_PAYMENT, payload, order_job_added);
        return;
    }
    api_txn_commit(tx, order_committed);
}

static void cancel_begun(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    struct cancel_req *c = api_txn_request(tx)->ctx;
    const char *v[] = {c->no, c->cand};
    /* before: the state found (locked); after: the state left. */
    api_txn_query(tx,
                  "WITH o AS (SELECT id, state FROM orders WHERE order_no = $1 AND candidate_id = "
                  "$2::bigint FOR UPDATE), u AS (UPDATE orders SET state = 'closed', "
                  "closed_reason = 'cancelled', closed_at = now(), updated_at = now() FROM o "
                  "WHERE orders.id = o.id AND o.state IN ('created', 'paying') RETURNING "
                  "orders.id) SELECT o.state, CASE WHEN u.id IS NULL THEN o.state ELSE 'closed' "
                  "END FROM o LEFT JOIN u ON u.id = o.id",
                  2, v, cancel_updated);
}

static void order_cancel_authed(struct http_request *req, const struct api_session *s)
{
    struct cancel_req *c = arena_calloc(&req->arena, sizeof(*c));
    c->no = http_param(req, 0);
    c->cand = arena_printf(&req->arena, "%" PRId64, s->candidate_id);
    req->ctx = c;
    api_txn_begin(req, cancel_begun);
}

static void order_cancel(struct http_request *req)
{
    if (order_param_ok(req))
        api_auth_require_verified(req, order_cancel_authed);
}

/* ---- POST /api/v1/_test/orders (test only): a demo subject's order ---- */

struct demo_req {
    int64_t candidate;
    const char *subject;
};

static void demo_committed(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    json_t *o = req->ctx;
    req->ctx = NULL;
    if (r->error != PG_OK) {
        json_decref(o);
        api_txn_fail(tx, r);
        return;
    }
    http_respond_json(req, 201, o);
}

static void demo_opened(struct api_txn *tx, const struct pg_result *r)
{
    if (order_open_failed(tx, r))
        return;
    struct http_request *req = api_txn_request(tx);
    json_t *o = order_json(r->res, 0);
    req->ctx = o;
    api_txn_commit(tx, demo_committed);
}

static void demo_subject_added(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    struct demo_req *d = api_txn_request(tx)->ctx;
    order_open(tx, d->candidate, "demo", d->subject, demo_opened);
}

static void demo_begun(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    struct http_request *req = api_txn_request(tx);
    struct demo_req *d = req->ctx;
    const char *v[] = {d->subject, arena_printf(&req->arena, "%" PRId64, d->candidate)};
    api_txn_query(tx,
                  "INSERT INTO payment_demo_subjects (subject, candidate_id) VALUES ($1, "
                  "$2::bigint) ON CONFLICT (subject) DO NOTHING",
                  2, v, demo_subject_added);
}

static void test_demo_order(struct http_request *req)
{
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    struct demo_req *d = arena_calloc(&req->arena, sizeof(*d));
    d->candidate = (int64_t)json_integer_value(json_object_get(body, "candidate_id"));
    const char *subject = json_string_value(json_object_get(body, "subject"));
    d->subject = subject ? arena_strdup(&req->arena, subject) : NULL;
    json_decref(body);
    if (d->candidate <= 0 || d->subject == NULL || strlen(d->subject) == 0 ||
        strlen(d->subject) > 64 ||
        strspn(d->subject, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_-") !=
            strlen(d->subject)) {
        http_respond_error(req, 422, "INVALID",
                           "candidate_id and subject ([A-Za-z0-9:_-]{1,64}) are required", NULL);
        return;
    }
    req->ctx = d;
    api_txn_begin(req, demo_begun);
}

static const struct route orders_routes[] = {
    {"GET", "/api/v1/me/orders", orders_list, 1024, NULL},
    {"GET", "/api/v1/me/orders/{no}", order_get, 1024, NULL},
    {"GET", "/api/v1/me/orders/{no}/qr.svg", order_qr, 1024, NULL},
    {"POST", "/api/v1/me/orders/{no}/pay", order_pay, 1024, NULL},
    {"POST", "/api/v1/me/orders/{no}/cancel", order_cancel, 1024, NULL},
};

/* What an operator must be alerted to about money: payment alerts nobody
 * has resolved (amount mismatch, unknown order, paid twice, ...) and orders
 * left paying, which reconciliation should settle within minutes. */
static void orders_scrape_render(const PGresult *p, struct buf *b)
{
    bool up = p != NULL && PQntuples(p) == 1;
    buf_printf(b,
               "# HELP zikao_payment_alerts_open Payment alerts not yet resolved (zikaoctl "
               "payments alerts).\n# TYPE zikao_payment_alerts_open gauge\n"
               "zikao_payment_alerts_open %s\n"
               "# HELP zikao_orders_paying Orders sent to a provider and not yet settled.\n"
               "# TYPE zikao_orders_paying gauge\nzikao_orders_paying %s\n"
               "# HELP zikao_orders_paying_oldest_seconds Time since the oldest unsettled "
               "order was sent to its provider.\n"
               "# TYPE zikao_orders_paying_oldest_seconds gauge\n"
               "zikao_orders_paying_oldest_seconds %s\n"
               "# HELP zikao_payments_database_up 1 when the payment gauges could be read.\n"
               "# TYPE zikao_payments_database_up gauge\nzikao_payments_database_up %d\n",
               up ? PQgetvalue(p, 0, 0) : "0", up ? PQgetvalue(p, 0, 1) : "0",
               up ? PQgetvalue(p, 0, 2) : "0", up);
}

static const struct api_scrape orders_scrape = {
    "SELECT (SELECT count(*) FROM payment_alerts WHERE resolved_at IS NULL), count(*), "
    "coalesce(round(extract(epoch FROM now() - min(paying_at)))::bigint, 0) FROM orders WHERE "
    "state = 'paying'",
    orders_scrape_render,
};

const struct api_module api_orders_module = {
    .name = "orders",
    API_ROUTES(orders_routes),
    .scrape = &orders_scrape,
};

static const struct route orders_test_routes[] = {
    {"POST", "/api/v1/_test/orders", test_demo_order, 1024, NULL},
};

const struct api_module api_orders_test_module = {
    .name = "orders-test", API_ROUTES(orders_test_routes), .test_only = true};
