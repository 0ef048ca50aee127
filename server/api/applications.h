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
 *   POST /api/v1/me/applications/{id}/order       the order of a state that is paid
 *                                                 for (opened now, or the open one)
 *
 * A flow (graduation, exemption ...) registers a struct app_flow in
 * applications.c's table: what it checks before a candidate's step (the
 * submit above all), and what the step's transaction records with it.
 * A draft's JSON holds at most 64 KiB (413 beyond). A state is paid for
 * when the provider's 'pay' transition leaves it (application_rules.pays
 * says the same in words: at submit or after approval). The order (purpose
 * = kind, subject = the application id) opens in the transaction of the
 * candidate's step that reaches such a state (Tianjin's submit), or when the
 * candidate asks for it (Shanxi, approved by a worker or staff member); its
 * payment moves the application on (order_purposes).
 */
#ifndef ZK_APPLICATIONS_H
#define ZK_APPLICATIONS_H

#include "api.h"
#include "api_txn.h"
#include "api_util.h"

#include <stdint.h>

/* A candidate's step (submit, cancel ...) as a flow sees it, before its
 * transaction. The flow fills in what the engine then records. */
struct app_step {
    int64_t application_id;
    int64_t candidate_id;
    const char *kind, *province;
    const char *action; /* the transition asked for */
    const char *state;  /* the application's state when it was read */
    const char *data;   /* the draft's JSON text */
    int version;        /* the version read: the transaction refuses the step if it moved */
    /* Set by the flow (NULL: nothing): */
    const char *detail;    /* JSON for the step's timeline line (e.g. the audit at submit) */
    const char *auto_step; /* a system transition made right after it */
    const char *reason;    /* the auto step's line for the candidate */
    const char *then_sql;  /* one more statement in the transaction ($1: the application id) */
    void *flow_state;      /* the flow's own, in the request arena */
};

struct app_flow {
    const char *kind;
    /*
     * Before the step's transaction, for every candidate step of the kind:
     * checks what the flow needs (it may query, run the audit ...), fills in
     * the step, and calls next(req) to go on — or answers (422 naming the
     * field, 409 ...) and does not. While it runs, req->ctx is s (the flow
     * keeps its own state in s->flow_state). The transaction then refuses
     * the step if the application changed meanwhile (409 APPLICATION_CHANGED).
     */
    void (*prepare)(struct http_request *req, struct app_step *s, api_next_fn next);
};

/* The answer to an engine refusal (SQLSTATE ZKA00-ZKA05, e.g. 403
 * WINDOW_CLOSED with the dates); false when r is not one. */
bool application_refused(struct http_request *req, const struct pg_result *r);

/* True when path parameter 0 can be an application's id; else answers 404
 * APPLICATION_NOT_FOUND (what another candidate's id also gets). */
bool application_id_ok(struct http_request *req);

/*
 * A prepare hook whose checks are one SQL statement: runs sql with $1 = the
 * application's id and $2 = the action; a refusal it raises with zk_refuse
 * (schema/0015_staff.sql: SQLSTATE ZKnnn, 'CODE|field|message') is the
 * answer, else the step goes on (next). For flows whose rules are data.
 */
void application_check_sql(struct http_request *req, struct app_step *s, api_next_fn next,
                           const char *sql);

/* The flows with checks of their own (graduation.c, exemption.c, transfer.c). */
extern const struct app_flow app_flow_graduation;
extern const struct app_flow app_flow_exemption;
extern const struct app_flow app_flow_transfer;
extern const struct app_flow app_flow_transfer_out;

/*
 * Inside a transaction that moved application app_id: opens its order when
 * the state it is now in is paid for (a provider 'pay' transition leaves
 * it: Tianjin's awaiting_payment after the submit, Shanxi's approved), else
 * nothing. order_open is idempotent per subject. next gets order_open's
 * result or a success; req->ctx is the caller's again when it runs (check
 * with order_open_failed).
 */
void application_order_due(struct api_txn *tx, const char *app_id, api_txn_step_fn next);

/*
 * The answer to the engine's refusals (SQLSTATE ZKA00-ZKA05 of
 * schema/0020_applications.sql: 404, 409 wrong state, 403 not yours, 403
 * WINDOW_CLOSED with the dates, 409 limit, 409 changed) for routes of other
 * modules that call the engine's functions; false when r is not one.
 */
bool application_refused(struct http_request *req, const struct pg_result *r);

extern const struct api_module api_applications_module;

#endif
