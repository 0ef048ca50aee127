/*
 * audit_json.h - the audit engine's input and output as JSON (jansson), the
 * shape the graduation pre-check API answers with: modules with their
 * courses (专业计划完成情况), passed courses with 是否使用 (确认成绩信息),
 * substitutions applied, refused choices and reasons. Pure: builds and
 * reads jansson values, no I/O.
 *
 * Result object:
 *   {"major": {"code", "name"}, "plan_version", "complete", "verdict",
 *    "total_credits", "min_total_credits",
 *    "modules": [{"name", "min_credits", "credits", "missing_credits",
 *                 "satisfied", "courses": [{"seq", "code", "name", "credits",
 *                 "required", "state", "satisfied", "credits_counted", "by",
 *                 "rule", "passes": [index...]}]}],
 *    "passes": [{"exam_id", "course_code", "course_name", "score", "credits",
 *                "passed_on", "source", "used", "use", "for_course", "rule"}],
 *    "substitutions": [{"rule", "kind", "automatic", "sources", "targets",
 *                       "message"}],
 *    "refusals": [{"choice", "code", "course", "message"}],
 *    "reasons": [{"code", "module", "course", "message"}]}
 * state: missing | passed | substituted | chosen; use: none | direct |
 * substitute | duplicate; absent values are null.
 *
 * Choices (request body "substitutions"):
 *   [{"rule": "E2", "sources": ["00144", "10791", "02628"]},
 *    {"rule": "R6", "sources": ["14081"], "target": "00169"},
 *    {"rule": "R5"}]
 */
#ifndef ZK_AUDIT_JSON_H
#define ZK_AUDIT_JSON_H

#include "arena.h"
#include "audit.h"

#include <jansson.h>
#include <stddef.h>

/* Builds the result object (new reference; caller json_decref). plan,
 * passes and res must be those of one audit_run. Never NULL. */
json_t *audit_result_json(const struct audit_plan *plan, const struct audit_pass *passes,
                          size_t npasses, const struct audit_result *res);

/*
 * Reads an array of choices (see above) into *out, strings and array from a
 * (copied, so json may be freed). Returns the count, or -EINVAL / -E2BIG
 * (more than AUDIT_MAX_CHOICES choices or AUDIT_MAX_RULE_COURSES sources)
 * with a message naming the offending element in err. A NULL json is an
 * empty list.
 */
int audit_choices_from_json(const json_t *json, struct arena *a, struct audit_choice **out,
                            char *err, size_t errlen);

#endif
