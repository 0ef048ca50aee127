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
 * applications.c's table: what it checks inside the submit's transaction.
 * A draft's JSON holds at most 64 KiB (413 beyond). When the province's rules make a
 * kind pay at submit (application_rules.pays = 'submit'), the engine opens
 * the order (purpose = kind, subject = the application id) in that same
 * transaction; its payment moves the application on (order_purposes).
 */
#ifndef ZK_APPLICATIONS_H
#define ZK_APPLICATIONS_H

#include "api.h"
#include "api_txn.h"

#include <stdint.h>

/* What a submit step gets: the application, locked in the transaction. */
struct app_submit {
    int64_t application_id;
    int64_t candidate_id;
    const char *kind;
    const char *data; /* the draft's JSON text */
};

struct app_flow {
    const char *kind;
    /*
     * Inside the submit's transaction, before the transition: checks the
     * draft; calls next(tx, r) with r a success to go on, or answers (422
     * naming the field), rolls back and does not call next. NULL: nothing.
     */
    void (*check_submit)(struct api_txn *tx, const struct app_submit *s, api_txn_step_fn next);
};

extern const struct api_module api_applications_module;

#endif
