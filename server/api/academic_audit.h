/*
 * academic_audit.h - the graduation audit of one candidate against one
 * major's plan, loaded from PostgreSQL and run on the loop (shared/audit is
 * pure and takes microseconds): what the pre-check, the scores view
 * (是否使用) and the graduation application's submit share.
 */
#ifndef ZK_ACADEMIC_AUDIT_H
#define ZK_ACADEMIC_AUDIT_H

#include "api.h"
#include "audit.h"

#include <stdint.h>

struct academic_audit_run {
    const char *major, *major_name;
    const char *version; /* the plan audited: "old" or "new" */
    const struct audit_choice *choices;
    size_t nchoices;
    json_t *result; /* audit_result_json(): complete, verdict, passes, refusals ...;
                       valid while the callback runs (take a reference to keep it) */
};

typedef void (*academic_audit_cb)(struct http_request *req, void *ud,
                                  const struct academic_audit_run *run);

/*
 * Loads the major (version NULL: its new plan when there is one, else the
 * old), the plan, its substitution rules and the candidate's passes, runs the
 * audit with the choices and calls done. When it cannot, it answers itself
 * and does not call done: 404 MAJOR_NOT_FOUND (field "major") or
 * PLAN_NOT_FOUND (field "version"), 503 when the database cannot answer, 500
 * AUDIT_FAILED when the records do not make a plan. choices live in the
 * request's arena.
 */
void academic_audit(struct http_request *req, int64_t candidate, const char *major,
                    const char *version, const struct audit_choice *choices, size_t nchoices,
                    academic_audit_cb done, void *ud);

/*
 * When the audit refused one of the candidate's substitution choices:
 * answers 422 SUBSTITUTION_REFUSED naming the rule (field "substitutions",
 * the audit beside the error) and returns true; false otherwise.
 */
bool academic_audit_refused(struct http_request *req, const struct academic_audit_run *run);

/* A major code as the records write it: 6 digits, then up to 2 capitals. */
bool academic_major_code_valid(const char *code);

#endif
