/*
 * pay_server.h - what the server's payment files (orders.c,
 * payments_callback.c, pay_sim.c) share: the order service that later flows
 * call, order JSON, and the store of verified notifications. (Crypto work runs
 * through api_offload.h.)
 *
 * The order service runs inside the caller's request transaction (api_txn),
 * so a flow that charges (graduation) opens its order in the same
 * transaction as its own change.
 */
#ifndef ZK_PAY_SERVER_H
#define ZK_PAY_SERVER_H

#include "api.h"
#include "api_offload.h"
#include "api_txn.h"
#include "pay_proto.h"

#include <stdint.h>

extern const struct api_module api_orders_module;
extern const struct api_module api_orders_test_module; /* environment = test */
extern const struct api_module api_payments_callback_module;
extern const struct api_module api_pay_sim_module; /* answers 404 unless [payment] simulator */

#define ORDER_NO_LEN PAY_ORDER_NO_LEN

/* The columns order_json reads, in this order (times as ISO 8601 +08:00). */
#define PAY_TS(col)                                                                                \
    "to_char(" col " AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"')"
/* clang-format off */
#define ORDER_COLUMNS                                                                              \
    "order_no, purpose, subject, description, amount_fen, refundable, provider, state, "           \
    "closed_reason, provider_trade_no, pay_info, " PAY_TS("expires_at") ", "                       \
    PAY_TS("paying_at") ", " PAY_TS("paid_at") ", " PAY_TS("closed_at") ", "                       \
    PAY_TS("created_at") ", candidate_id, (state = 'created' AND expires_at < now())"
/* clang-format on */
#define ORDER_NCOLS 18

/* An order row (ORDER_COLUMNS from column `first`) as the API shows it. */
json_t *order_json(const PGresult *res, int row);

/*
 * The order service: in the caller's transaction, returns (in r, one row of
 * ORDER_COLUMNS) the subject's open or paid order, or opens a new one with
 * the fee of [profile] province (an unpaid `created` order past its expiry
 * is closed first). req->ctx is the caller's again when next runs. Fails with SQLSTATE ZKP01 (no
 * such fee) or ZKP02 (the subject's order belongs to another candidate).
 */
void order_open(struct api_txn *tx, int64_t candidate_id, const char *purpose, const char *subject,
                api_txn_step_fn next);

/* Answers a failed order_open (422 FEE_UNKNOWN, 409 SUBJECT_OTHER_CANDIDATE,
 * else as api_txn_fail) and returns true; false when r succeeded. */
bool order_open_failed(struct api_txn *tx, const struct pg_result *r);

/*
 * Storing a verified notification (pay_store.c): v holds, as text, provider,
 * notify_key, order_no, trade_no, status, provider_status, amount_fen,
 * merchant, raw and detail (JSON); NULL for SQL NULL. done runs once, after
 * the COMMIT that holds the notification, with 1 (stored now; its job is
 * being published), 0 (stored before) or a negative error (-EAGAIN: busy or
 * unreachable, -EIO: refused). The item lives in req's arena.
 */
#define PAY_STORE_NCOLS 10
struct server;
struct pay_store_item;
typedef void (*pay_store_done_fn)(struct http_request *req, struct pay_store_item *it, int rc);
struct pay_store_item {
    struct pay_store_item *next;
    struct http_request *req;
    const char *v[PAY_STORE_NCOLS];
    pay_store_done_fn done;
    bool stored_now;
};
void pay_store_submit(struct server *srv, struct pay_store_item *it);

/* The store's per-process state and figures: the payments-callback module's
 * init, free and metrics. */
#define PAY_STORE_NMETRICS 3
extern const struct api_metric pay_store_metrics[PAY_STORE_NMETRICS];
int pay_store_init(struct server *srv, void **state);
void pay_store_free(struct server *srv, void *state);

#endif
