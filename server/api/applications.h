/*
 * applications.h - the application engine's API side: a candidate's
 * applications of every kind (graduation, exemption, transfer, course
 * registration), and the hooks through which a flow adds what is its own.
 *
 * The state machines, windows, limits and timeline are in PostgreSQL
 * (schema/0020_applications.sql: application_open, application_save_draft,
 * application_transition, application_json). This module maps them to HTTP:
 *
 *   GET  /api/v1/me/applications                  the candidate's, newest first (?kind=)
 *   POST /api/v1/me/applications {kind}           open one in the window open now
 *                                                 (or the open one: idempotent)
 *   GET  /api/v1/me/applications/{id}             state, next step, actions, timeline
 *   PUT  /api/v1/me/applications/{id}/draft       {version, data}: save the draft
 *   POST /api/v1/me/applications/{id}/{action}    a candidate transition (submit,
 *                                                 cancel ...): idempotent
 *
 * A flow (graduation, exemption ...) registers a struct app_flow in
 * applications.c's table: what it checks before a submit, and a system step
 * (an automatic approval) made right after it in the same transaction.
 * A draft's JSON holds at most 64 KiB (413 beyond). The province's rules
 * (application_rules.pays) say when the order opens (purpose = kind, subject
 * = the application id): 'submit' in the submit's transaction, 'approval'
 * in the transaction that makes the application 'approved' (the automatic
 * step here; a staff review calls application_order_due()). Its
 * payment moves the application on (order_purposes).
 */
#ifndef ZK_APPLICATIONS_H
#define ZK_APPLICATIONS_H

#include "api.h"
#include "api_txn.h"
#include "api_util.h"

#include <stdint.h>

/* A submit as a flow sees it. The flow fills in what the engine records. */
struct app_submit {
    int64_t application_id;
    int64_t candidate_id;
    const char *kind;
    const char *data; /* the draft's JSON text */
    int version;      /* the draft's version the flow checked */
    /* Set by the flow: */
    const char *detail;    /* JSON for the submit's timeline line (e.g. the audit), or NULL */
    const char *auto_step; /* a system transition made right after the submit, or NULL */
    const char *reason;    /* the auto step's line for the candidate, or NULL */
};

struct app_flow {
    const char *kind;
    /*
     * Before the submit's transaction: checks the draft (it may query, run the
     * audit ...) and fills in detail / auto_step. Calls next(req) to go on,
     * or answers (422 naming the field) and does not. The transaction then
     * refuses the submit if the draft changed meanwhile (409
     * APPLICATION_CHANGED). NULL: nothing to check.
     */
    void (*prepare_submit)(struct http_request *req, struct app_submit *s, api_next_fn next);
};

/*
 * Inside a transaction, right after transition `transition` of application
 * app_id: opens the order the province's rules make due now (pays 'submit'
 * and this is the submit, or pays 'approval' and the application is now
 * 'approved'), else nothing. next gets order_open's result or a success;
 * req->ctx is the caller's again when it runs (check with order_open_failed).
 */
void application_order_due(struct api_txn *tx, const char *app_id, const char *transition,
                           api_txn_step_fn next);

/*
 * The answer to the engine's refusals (SQLSTATE ZKA00-ZKA05 of
 * schema/0020_applications.sql: 404, 409 wrong state, 403 not yours, 403
 * WINDOW_CLOSED with the dates, 409 limit, 409 changed) for routes of other
 * modules that call the engine's functions; false when r is not one.
 */
bool application_refused(struct http_request *req, const struct pg_result *r);

extern const struct api_module api_applications_module;

#endif
