/*
 * audit_pg.c - query results to audit engine input (see audit_pg.h).
 */
#include "audit_pg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int audit_pg_plan_rows(const PGresult *r, const char *major, const char *version, struct arena *a,
                       struct audit_plan_row **out, size_t *n)
{
    *n = (size_t)PQntuples(r);
    struct audit_plan_row *rows = arena_calloc(a, sizeof(*rows) * (*n ? *n : 1));
    const char *maj = arena_strdup(a, major), *ver = arena_strdup(a, version);
    for (size_t i = 0; i < *n; i++) {
        int k = (int)i;
        rows[i] = (struct audit_plan_row){
            .line = i + 1,
            .major_code = maj,
            .version = ver,
            .valid_from = atoi(PQgetvalue(r, k, 8)),
            .min_total_credits = atoi(PQgetvalue(r, k, 0)),
            .module_seq = atoi(PQgetvalue(r, k, 1)),
            .module_name = arena_strdup(a, PQgetvalue(r, k, 2)),
            .module_min_credits = atoi(PQgetvalue(r, k, 3)),
            .course_code = arena_strdup(a, PQgetvalue(r, k, 4)),
            .course_name = arena_strdup(a, PQgetvalue(r, k, 5)),
            .credits = atoi(PQgetvalue(r, k, 6)),
            .elective = strcmp(PQgetvalue(r, k, 7), "f") == 0,
        };
    }
    *out = rows;
    return 0;
}

/* Splits a ';' list copied into a; returns the count (at most max). */
static size_t audit_pg_split(struct arena *a, const char *list, const char **out, size_t max)
{
    size_t n = 0;
    char *s = arena_strdup(a, list), *save = NULL;
    for (char *tok = strtok_r(s, ";", &save); tok != NULL && n < max;
         tok = strtok_r(NULL, ";", &save))
        out[n++] = tok;
    return n;
}

int audit_pg_rule_rows(const PGresult *r, struct arena *a, struct audit_rule_row **out, size_t *n,
                       char *err, size_t errlen)
{
    *n = (size_t)PQntuples(r);
    struct audit_rule_row *rows = arena_calloc(a, sizeof(*rows) * (*n ? *n : 1));
    for (size_t i = 0; i < *n; i++) {
        int k = (int)i;
        struct audit_rule_row *ru = &rows[i];
        ru->line = i + 1;
        ru->id = arena_strdup(a, PQgetvalue(r, k, 0));
        ru->major_code = arena_strdup(a, PQgetvalue(r, k, 1));
        ru->plan_version = arena_strdup(a, PQgetvalue(r, k, 2));
        if (audit_rule_kind_parse(PQgetvalue(r, k, 3), &ru->kind) < 0) {
            snprintf(err, errlen, "rule %s has an unknown kind", ru->id);
            return -EINVAL;
        }
        ru->min_credits = atoi(PQgetvalue(r, k, 4));
        ru->sources_from = atoi(PQgetvalue(r, k, 5));
        ru->nsources = audit_pg_split(a, PQgetvalue(r, k, 6), ru->sources, AUDIT_MAX_RULE_COURSES);
        ru->ntargets = audit_pg_split(a, PQgetvalue(r, k, 7), ru->targets, AUDIT_MAX_RULE_COURSES);
        ru->note = "";
    }
    *out = rows;
    return 0;
}

int audit_pg_passes(const PGresult *r, struct arena *a, struct audit_pass **out, size_t *n,
                    char *err, size_t errlen)
{
    *n = (size_t)PQntuples(r);
    if (*n > AUDIT_MAX_PASSES) {
        snprintf(err, errlen, "more than %d passed courses", AUDIT_MAX_PASSES);
        return -E2BIG;
    }
    struct audit_pass *p = arena_calloc(a, sizeof(*p) * (*n ? *n : 1));
    for (size_t i = 0; i < *n; i++) {
        int k = (int)i;
        p[i] = (struct audit_pass){
            .exam_id = arena_strdup(a, PQgetvalue(r, k, 0)),
            .code = arena_strdup(a, PQgetvalue(r, k, 1)),
            .name = arena_strdup(a, PQgetvalue(r, k, 2)),
            .score = arena_strdup(a, PQgetvalue(r, k, 3)),
            .credits = atoi(PQgetvalue(r, k, 4)),
            .passed_on = atoi(PQgetvalue(r, k, 5)),
        };
        if (audit_source_parse(PQgetvalue(r, k, 6), &p[i].source) < 0) {
            snprintf(err, errlen, "a passed course has an unknown source");
            return -EINVAL;
        }
    }
    *out = p;
    return 0;
}
