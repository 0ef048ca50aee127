/*
 * audit_pg.h - the audit engine's input as stored in PostgreSQL: the queries
 * that read a plan, its substitution rules and a candidate's passed courses,
 * and the conversions of their results into engine input. Used by zikaoctl
 * (blocking libpq) and the server (asynchronous pool) alike, so both audit
 * exactly the same data.
 */
#ifndef ZK_AUDIT_PG_H
#define ZK_AUDIT_PG_H

#include "arena.h"
#include "audit.h"
#include "audit_import.h"

#include <libpq-fe.h>
#include <stddef.h>

/* $1 major code, $2 version: the plan's rows, module by module. */
#define AUDIT_PG_PLAN_SQL                                                                          \
    "SELECT p.min_total_credits, m.seq, m.name, m.min_credits, pc.course_code, c.name, "           \
    "pc.credits, pc.required, to_char(p.valid_from, 'YYYYMMDD') FROM plans p JOIN plan_modules m " \
    "ON m.plan_id = p.id JOIN plan_courses pc ON pc.module_id = m.id JOIN courses c ON c.code = "  \
    "pc.course_code WHERE p.major_code = $1 AND p.version = $2 ORDER BY m.seq, pc.seq"

/* $1 major code, $2 version: the rules that may apply. */
#define AUDIT_PG_RULES_SQL                                                                         \
    "SELECT r.id, coalesce(r.major_code, ''), coalesce(r.plan_version, ''), r.kind, "              \
    "coalesce(r.min_credits, 0), coalesce(to_char(r.sources_from, 'YYYYMMDD'), '0'), "             \
    "coalesce(string_agg(rc.course_code, ';' ORDER BY rc.seq) FILTER (WHERE rc.side = "            \
    "'source'), ''), coalesce(string_agg(rc.course_code, ';' ORDER BY rc.seq) FILTER (WHERE "      \
    "rc.side = 'target'), '') FROM substitution_rules r JOIN substitution_rule_courses rc ON "     \
    "rc.rule_id = r.id WHERE (r.major_code IS NULL OR r.major_code = $1) AND "                     \
    "(r.plan_version IS NULL OR r.plan_version = $2) GROUP BY r.id ORDER BY r.id"

/* $1 candidate id: the passed courses, oldest first. */
#define AUDIT_PG_PASSES_SQL                                                                        \
    "SELECT exam_id, course_code, course_name, score, credits, to_char(passed_on, 'YYYYMMDD'), "   \
    "source FROM passed_courses WHERE candidate_id = $1 ORDER BY passed_on, exam_id, course_code"

/* Converts results of the queries above; strings are copied into a. Each
 * returns 0, or -EINVAL (a stored value the engine cannot read) / -E2BIG
 * (more passes than AUDIT_MAX_PASSES) with the reason in err. */
int audit_pg_plan_rows(const PGresult *r, const char *major, const char *version, struct arena *a,
                       struct audit_plan_row **out, size_t *n);
int audit_pg_rule_rows(const PGresult *r, struct arena *a, struct audit_rule_row **out, size_t *n,
                       char *err, size_t errlen);
int audit_pg_passes(const PGresult *r, struct arena *a, struct audit_pass **out, size_t *n,
                    char *err, size_t errlen);

#endif
