/*
 * pay_worker.h - the payment worker's business steps, shared by the
 * `payment` queue (payment_queue.c) and `zikaoctl payments`:
 *
 *   pay_event_apply       applies one stored payment_event to its order,
 *                         exactly once (inside the caller's transaction)
 *   pay_reconcile_collect asks the providers about orders left `paying`
 *                         (and closes expired ones there); no writes
 *   pay_reconcile_apply   writes what collect found (inside a transaction)
 *
 * Blocking libpq and HTTP: worker threads and zikaoctl only.
 */
#ifndef ZK_PAY_WORKER_H
#define ZK_PAY_WORKER_H

#include "arena.h"
#include "config.h"
#include "pay_client.h"
#include "pay_proto.h"

#include <libpq-fe.h>
#include <stdbool.h>

/*
 * Applies event_id inside the caller's open transaction: locks the event
 * and its order, and records the outcome (applied, duplicate, ignored,
 * unknown_order, amount_mismatch, merchant_mismatch, provider_mismatch,
 * duplicate_payment) with processed_at; mismatches also raise a
 * payment_alert. An event already processed is left alone (*outcome =
 * "already"). Returns 0, or -1 with err (the transaction must roll back).
 */
int pay_event_apply(PGconn *c, const struct zk_config *cfg, const char *event_id,
                    const char **outcome, char *err, size_t errsz);

enum pay_settle_action {
    PAY_SETTLE_NONE,  /* still open at the provider, or the provider failed */
    PAY_SETTLE_EVENT, /* the provider reports a final state: store + apply it */
    PAY_SETTLE_CLOSE, /* expired and closed at the provider (or never there) */
};

struct pay_settle {
    const char *order_no;
    const char *provider; /* NULL for an order never handed to a provider */
    enum pay_settle_action action;
    struct pay_notice n;
    const char *raw;
    const char *note;
    bool failed; /* the provider could not be asked or did not answer */
};

struct pay_reconcile_report {
    int checked, paid, closed, errors, unchanged;
};

/*
 * Collects the orders to settle: `paying` for longer than older_than_minutes
 * (or only order_no when given), and unpaid orders past their expiry. Asks
 * the provider about each `paying` one; an expired one that is not paid is
 * closed at the provider first. Returns the count (items in a) or -1.
 */
int pay_reconcile_collect(PGconn *c, const struct zk_config *cfg, struct pay_client *pc,
                          struct arena *a, int older_than_minutes, const char *order_no,
                          struct pay_settle **items);

/* Writes the collected outcomes inside the caller's transaction. Returns 0
 * or -1 with err. */
int pay_reconcile_apply(PGconn *c, const struct zk_config *cfg, const struct pay_settle *items,
                        int n, struct pay_reconcile_report *rep, char *err, size_t errsz);

#endif
