/*
 * review.h - review queues: the one mechanism every flow that needs a
 * person's decision plugs into (identity verification now; graduation,
 * exemption and transfer with their flows).
 *
 * The contract (README, "Review queues"; the tables are in
 * schema/0015_staff.sql):
 *
 *   item        a row of review_items: kind (the queue), subject (the
 *               flow's row, one open item per subject), the candidate, the
 *               handling office (office_district / office_point, both NULL
 *               for the province), checks_passed (every automatic check on
 *               the subject passed), a summary for lists, the claim and the
 *               decision.
 *   states      open -> approved | returned | refused (a decision, with the
 *               reason and next step the candidate reads), or open ->
 *               withdrawn (settled another way) | superseded (another
 *               subject took its place): the flow closes those itself, in
 *               its own transactions (e.g. a trigger). A closed item is
 *               never reopened; deciding one answers 409 ITEM_DECIDED,
 *               ITEM_WITHDRAWN or ITEM_SUPERSEDED.
 *   scope       every statement joins the caller (staff_scope): an item of
 *               another office is 404, never 403.
 *   claim       an officer may take an item for [staff] claim_minutes; while
 *               they hold it nobody else decides it (409 ITEM_CLAIMED). Two
 *               officers deciding at once: the item row is locked, the
 *               second finds it decided (409).
 *   decision    one transaction: review_decide() records it (and the trail
 *               row), then the queue's decide hook applies it to the
 *               subject, then review_notify() writes the candidate's SMS
 *               notice and its `sms` job (sent after COMMIT by the sms
 *               worker, under [staff] decision_sms_per_day). A hook that
 *               fails rolls everything back.
 *   bulk        approval of several items at once, each in its own
 *               transaction, only of items with checks_passed (409
 *               CHECKS_NOT_PASSED for the others).
 *   lists       per queue, filtered by state and office, ordered by
 *               (created_at, id) with keyset paging; each queue's
 *               migration adds a partial index per list order.
 *
 * A flow adds its queue: a row of review_kinds and its indexes and item
 * creation in its migration, a struct review_queue (below) in its own
 * file, and one line in review.c's list.
 */
#ifndef ZK_REVIEW_H
#define ZK_REVIEW_H

#include "api.h"
#include "api_txn.h"
#include "staff_auth.h"

struct review_decision {
    const char *item;     /* the item's id (text) */
    const char *decision; /* approve, return, refuse */
    const struct staff_ctx *st;
};

/* Which offices handle a queue's items (review_queue.offices). */
enum {
    REVIEW_BY_DISTRICT = 1 << 0, /* district offices */
    REVIEW_BY_POINT = 1 << 1,    /* confirmation points */
    REVIEW_BY_PROVINCE = 1 << 2, /* the province office */
};

struct review_queue {
    const char *kind;  /* review_kinds.kind, and {queue} in the URLs */
    const char *title; /* what the candidate calls it (in the SMS: 您的<title>已通过) */
    /* The offices that handle its items: GET /staff/queues lists the queue
     * to their staff (province staff and auditors see every queue). */
    unsigned offices;
    /* The decisions its hook accepts, as a JSON array of approve, return,
     * refuse (GET /staff/queues says it so pages offer only those; the hook
     * stays the rule and refuses the others with 422 DECISION_INVALID). */
    const char *decisions;
    /* SQL function (item id bigint) -> json: everything an officer needs to
     * decide (the flow's part of GET .../items/{id}). */
    const char *detail_fn;
    /*
     * The decision hook: runs inside the decision's transaction, after the
     * item was recorded decided. Applies the decision to the subject with
     * its statements and ends by calling done(tx, r) with the last one's
     * result, whose first column (JSON text, or NULL) the answer carries as
     * `effect`. A refusal of the flow's SQL (SQLSTATE ZKnnn) becomes the
     * answer and rolls the decision back.
     */
    void (*decide)(struct api_txn *tx, const struct review_decision *d, api_txn_step_fn done);
    /* The candidate's next step per decision (approve, return, refuse) when
     * the officer wrote none. */
    const char *next_step[3];
};

/* The queue registered as kind, or NULL. */
const struct review_queue *review_queue_find(const char *kind);

extern const struct review_queue review_identity_queue;     /* identity_review.c */
extern const struct review_queue review_graduation_queue;   /* graduation_review.c */
extern const struct review_queue review_exemption_queue;    /* exemption.c */
extern const struct review_queue review_transfer_queue;     /* transfer.c */
extern const struct review_queue review_transfer_out_queue; /* transfer.c */

#endif
