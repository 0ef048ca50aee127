/*
 * pay_settle.c - applying provider events to orders exactly once, and
 * reconciliation through the providers' query APIs (see pay_worker.h).
 *
 * Exactly once: the event row is locked and carries processed_at; the order
 * row is locked and changes only from `paying` (or from `closed`, for a
 * payment that arrived after the order was cancelled or expired - the money
 * was taken, so the order becomes paid unless its subject is already paid).
 * Everything a person must look at is a payment_alert and an error log line.
 */
#include "log.h"
#include "pay_worker.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static PGresult *q(PGconn *c, char *err, size_t errsz, const char *sql, int n, const char *const *v)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, v, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return r;
    snprintf(err, errsz, "%s", PQresultErrorMessage(r));
    PQclear(r);
    return NULL;
}

static int exec1(PGconn *c, char *err, size_t errsz, const char *sql, int n, const char *const *v)
{
    PGresult *r = q(c, err, errsz, sql, n, v);
    if (r == NULL)
        return -1;
    PQclear(r);
    return 0;
}

static int alert(PGconn *c, const char *kind, const char *order_no, const char *event_id,
                 const char *detail, char *err, size_t errsz)
{
    const char *v[] = {kind, order_no, event_id, detail};
    log_err("ALERT payment %s: order %s event %s: %s", kind, order_no ? order_no : "-",
            event_id ? event_id : "-", detail);
    return exec1(c, err, errsz,
                 "INSERT INTO payment_alerts (kind, order_no, event_id, detail) VALUES ($1, $2, "
                 "$3::bigint, $4)",
                 4, v);
}

int pay_event_apply(PGconn *c, const struct zk_config *cfg, const char *event_id,
                    const char **outcome, char *err, size_t errsz)
{
    const char *ev[] = {event_id};
    PGresult *e = q(c, err, errsz,
                    "SELECT provider, order_no, trade_no, status, provider_status, amount_fen, "
                    "merchant, processed_at IS NOT NULL FROM payment_events WHERE id = $1::bigint "
                    "FOR UPDATE",
                    1, ev);
    if (e == NULL)
        return -1;
    int rc = -1;
    PGresult *o = NULL;
    char detail[512] = "";
    const char *out = NULL, *alert_kind = NULL;
    if (PQntuples(e) == 0) {
        *outcome = "missing";
        rc = 0;
        goto done;
    }
    if (strcmp(PQgetvalue(e, 0, 7), "t") == 0) {
        *outcome = "already";
        rc = 0;
        goto done;
    }
    const char *provider = PQgetvalue(e, 0, 0), *no = PQgetvalue(e, 0, 1),
               *trade = PQgetvalue(e, 0, 2), *status = PQgetvalue(e, 0, 3),
               *pstatus = PQgetvalue(e, 0, 4), *merchant = PQgetvalue(e, 0, 6);
    const char *amount_text = PQgetisnull(e, 0, 5) ? NULL : PQgetvalue(e, 0, 5);
    const char *ov[] = {no};
    o = q(c, err, errsz,
          "SELECT id, state, provider, amount_fen, provider_trade_no, purpose, subject FROM "
          "orders WHERE order_no = $1 FOR UPDATE",
          1, ov);
    if (o == NULL)
        goto done;
    char expected[128];
    if (strcmp(provider, "alipay") == 0)
        snprintf(expected, sizeof(expected), "%s/%s", cfg->pay_alipay_app_id,
                 cfg->pay_alipay_seller_id);
    else
        snprintf(expected, sizeof(expected), "%s/%s", cfg->pay_wechat_appid, cfg->pay_wechat_mchid);
    const char *order_id = NULL;
    if (PQntuples(o) == 0) {
        out = alert_kind = "unknown_order";
        snprintf(detail, sizeof(detail), "%s %s %s for an order we do not have", provider, pstatus,
                 trade);
    } else if (strcmp(merchant, expected) != 0) {
        order_id = PQgetvalue(o, 0, 0);
        out = alert_kind = "merchant_mismatch";
        snprintf(detail, sizeof(detail), "merchant %s, ours is %s", merchant, expected);
    } else {
        order_id = PQgetvalue(o, 0, 0);
        const char *state = PQgetvalue(o, 0, 1);
        const char *oprov = PQgetisnull(o, 0, 2) ? "" : PQgetvalue(o, 0, 2);
        long long amount = strtoll(PQgetvalue(o, 0, 3), NULL, 10);
        const char *otrade = PQgetisnull(o, 0, 4) ? "" : PQgetvalue(o, 0, 4);
        const char *purpose = PQgetvalue(o, 0, 5), *subject = PQgetvalue(o, 0, 6);
        if (strcmp(status, "pending") == 0) {
            out = "ignored";
            snprintf(detail, sizeof(detail), "%s: nothing to do", pstatus);
        } else if (strcmp(status, "closed") == 0) {
            if ((strcmp(state, "paying") == 0) && strcmp(oprov, provider) == 0) {
                const char *v[] = {order_id};
                if (exec1(c, err, errsz,
                          "UPDATE orders SET state = 'closed', closed_reason = 'expired', "
                          "closed_at = now(), updated_at = now() WHERE id = $1::bigint",
                          1, v) < 0)
                    goto done;
                out = "applied";
                snprintf(detail, sizeof(detail), "closed by the provider");
            } else {
                out = "ignored";
                snprintf(detail, sizeof(detail), "%s for an order that is %s: it stays %s", pstatus,
                         state, state);
            }
        } else if (strcmp(oprov, provider) != 0) {
            out = alert_kind = "provider_mismatch";
            snprintf(detail, sizeof(detail), "paid through %s but the order was %s through '%s'",
                     provider, state, oprov);
        } else if (amount_text == NULL || strtoll(amount_text, NULL, 10) != amount) {
            out = alert_kind = "amount_mismatch";
            snprintf(detail, sizeof(detail), "paid %s fen, the order is %lld fen",
                     amount_text ? amount_text : "(none)", amount);
        } else if (strcmp(state, "paid") == 0) {
            if (strcmp(otrade, trade) == 0) {
                out = "duplicate";
                snprintf(detail, sizeof(detail), "already paid by this transaction");
            } else {
                out = alert_kind = "duplicate_payment";
                snprintf(detail, sizeof(detail), "paid again by %s (first by %s): refund by hand",
                         trade, otrade);
            }
        } else {
            /* paying -> paid; or closed -> paid (paid after cancel/expiry). */
            bool late = strcmp(state, "closed") == 0;
            const char *v[] = {purpose, subject, order_id};
            if (late) {
                PGresult *other =
                    q(c, err, errsz,
                      "SELECT order_no FROM orders WHERE purpose = $1 AND subject = $2 AND id <> "
                      "$3::bigint AND state = 'paid'",
                      3, v);
                if (other == NULL)
                    goto done;
                bool paid_elsewhere = PQntuples(other) > 0;
                if (paid_elsewhere) {
                    out = alert_kind = "duplicate_payment";
                    snprintf(detail, sizeof(detail),
                             "paid after it was closed, and its subject is already paid by %s: "
                             "refund by hand",
                             PQgetvalue(other, 0, 0));
                }
                PQclear(other);
                if (!paid_elsewhere &&
                    exec1(c, err, errsz,
                          "UPDATE orders SET state = 'closed', closed_reason = 'superseded', "
                          "closed_at = now(), updated_at = now() WHERE purpose = $1 AND subject = "
                          "$2 AND id <> $3::bigint AND state IN ('created', 'paying')",
                          3, v) < 0)
                    goto done;
            }
            if (out == NULL) {
                const char *u[] = {order_id, trade};
                PGresult *r = q(c, err, errsz,
                                "UPDATE orders SET state = 'paid', provider_trade_no = $2, "
                                "paid_at = now(), closed_reason = NULL, closed_at = NULL, "
                                "updated_at = now() WHERE id = $1::bigint AND state IN "
                                "('paying', 'closed') RETURNING order_no",
                                2, u);
                if (r == NULL)
                    goto done;
                PQclear(r); /* what becomes of the subject: order_purposes (0012) */
                out = "applied";
                if (late) {
                    snprintf(detail, sizeof(detail), "paid after the order was closed");
                    if (alert(c, "paid_after_close", no, event_id, detail, err, errsz) < 0)
                        goto done;
                } else {
                    snprintf(detail, sizeof(detail), "paying -> paid");
                }
            }
        }
    }
    if (alert_kind != NULL && alert(c, alert_kind, no, event_id, detail, err, errsz) < 0)
        goto done;
    const char *uv[] = {event_id, out, detail, order_id};
    if (exec1(c, err, errsz,
              "UPDATE payment_events SET outcome = $2, outcome_detail = $3, order_id = "
              "$4::bigint, processed_at = now() WHERE id = $1::bigint",
              4, uv) < 0)
        goto done;
    *outcome = out;
    if (strcmp(out, "applied") == 0)
        log_notice("payment event %s: order %s %s", event_id, no, detail);
    rc = 0;
done:
    PQclear(o);
    PQclear(e);
    return rc;
}

/* ---- reconciliation ---- */

int pay_reconcile_collect(PGconn *c, const struct zk_config *cfg, struct pay_client *pc,
                          struct arena *a, int older_than_minutes, const char *order_no,
                          struct pay_settle **items)
{
    char mins[16], err[256];
    snprintf(mins, sizeof(mins), "%d", older_than_minutes);
    const char *v[] = {mins, order_no};
    PGresult *r = q(c, err, sizeof(err),
                    "SELECT order_no, provider, state, expires_at < now() FROM orders WHERE "
                    "($2::text IS NULL AND ((state = 'paying' AND (paying_at < now() - "
                    "make_interval(mins => $1::int) OR expires_at < now())) OR (state = "
                    "'created' AND expires_at < now()))) OR ($2::text IS NOT NULL AND order_no = "
                    "$2 AND provider IS NOT NULL) ORDER BY id LIMIT 500",
                    2, v);
    if (r == NULL) {
        log_warn("reconcile: %s", err);
        return -1;
    }
    int n = PQntuples(r);
    struct pay_settle *it = arena_calloc(a, sizeof(*it) * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++) {
        struct pay_settle *s = &it[i];
        s->order_no = arena_strdup(a, PQgetvalue(r, i, 0));
        s->provider = PQgetisnull(r, i, 1) ? NULL : arena_strdup(a, PQgetvalue(r, i, 1));
        const char *state = PQgetvalue(r, i, 2);
        bool expired = strcmp(PQgetvalue(r, i, 3), "t") == 0;
        if (strcmp(state, "created") == 0 || s->provider == NULL) {
            s->action = expired ? PAY_SETTLE_CLOSE : PAY_SETTLE_NONE;
            s->note = "never handed to a provider";
            continue;
        }
        const char *why = NULL;
        enum pay_query_result qr =
            pay_client_query(pc, a, s->provider, s->order_no, &s->n, &s->raw, &why);
        if (qr == PAY_QUERY_ERROR) {
            s->note = why ? why : "query failed";
            s->failed = true;
            log_warn("reconcile: order %s: %s", s->order_no, s->note);
            continue;
        }
        if (qr == PAY_QUERY_FOUND && strcmp(s->n.status, "pending") != 0) {
            s->action = PAY_SETTLE_EVENT;
            s->note = s->n.provider_status;
            continue;
        }
        if (!expired) {
            s->note = "still waiting for the payer";
            continue;
        }
        /* Expired and unpaid: close it there first, so it cannot be paid later. */
        int cr = pay_client_close(pc, a, s->provider, s->order_no, &why);
        if (cr == 0) {
            s->action = PAY_SETTLE_CLOSE;
            s->note = "expired; closed at the provider";
        } else if (cr == -EALREADY) {
            qr = pay_client_query(pc, a, s->provider, s->order_no, &s->n, &s->raw, &why);
            if (qr == PAY_QUERY_FOUND && strcmp(s->n.status, "pending") != 0) {
                s->action = PAY_SETTLE_EVENT;
                s->note = s->n.provider_status;
            } else {
                s->note = "paid while closing; next round";
            }
        } else {
            s->note = why ? why : "close failed";
            s->failed = true;
            log_warn("reconcile: order %s: %s", s->order_no, s->note);
        }
    }
    PQclear(r);
    *items = it;
    return n;
}

int pay_reconcile_apply(PGconn *c, const struct zk_config *cfg, const struct pay_settle *items,
                        int n, struct pay_reconcile_report *rep, char *err, size_t errsz)
{
    for (int i = 0; i < n; i++) {
        const struct pay_settle *s = &items[i];
        rep->checked++;
        if (s->action == PAY_SETTLE_NONE) {
            if (s->failed)
                rep->errors++;
            else
                rep->unchanged++;
            continue;
        }
        if (s->action == PAY_SETTLE_CLOSE) {
            const char *v[] = {s->order_no};
            PGresult *r = q(c, err, errsz,
                            "UPDATE orders SET state = 'closed', closed_reason = 'expired', "
                            "closed_at = now(), updated_at = now() WHERE order_no = $1 AND state "
                            "IN ('created', 'paying') AND expires_at < now() RETURNING id",
                            1, v);
            if (r == NULL)
                return -1;
            rep->closed += PQntuples(r);
            PQclear(r);
            continue;
        }
        /* A final state found by asking: stored like a notification, then applied. */
        char amount[24];
        snprintf(amount, sizeof(amount), "%lld", s->n.amount_fen);
        char key[160];
        snprintf(key, sizeof(key), "%s:%s", s->n.trade_no, s->n.status);
        const char *v[] = {s->provider,
                           key,
                           s->n.order_no,
                           s->n.trade_no,
                           s->n.status,
                           s->n.provider_status,
                           s->n.amount_fen >= 0 ? amount : NULL,
                           s->n.merchant,
                           s->raw ? s->raw : ""};
        PGresult *r = q(c, err, errsz,
                        "WITH ins AS (INSERT INTO payment_events (provider, source, notify_key, "
                        "order_no, trade_no, status, provider_status, amount_fen, merchant, raw) "
                        "VALUES ($1, 'query', $2, $3, $4, $5, $6, $7::bigint, $8, $9) ON CONFLICT "
                        "(provider, notify_key) DO NOTHING RETURNING id) SELECT id FROM ins UNION "
                        "ALL SELECT id FROM payment_events WHERE provider = $1 AND notify_key = "
                        "$2 LIMIT 1",
                        9, v);
        if (r == NULL)
            return -1;
        if (PQntuples(r) == 0) {
            PQclear(r);
            snprintf(err, errsz, "event of order %s is being stored concurrently", s->order_no);
            return -1;
        }
        char id[24];
        snprintf(id, sizeof(id), "%s", PQgetvalue(r, 0, 0));
        PQclear(r);
        const char *outcome = NULL;
        if (pay_event_apply(c, cfg, id, &outcome, err, errsz) < 0)
            return -1;
        if (strcmp(outcome, "applied") == 0 && strcmp(s->n.status, "success") == 0)
            rep->paid++;
        else if (strcmp(outcome, "applied") == 0)
            rep->closed++;
        else
            rep->unchanged++;
        log_notice("reconcile: order %s: %s -> %s", s->order_no, s->n.provider_status, outcome);
    }
    return 0;
}
