/*
 * academic_audit.c - loads and runs one candidate's graduation audit (see
 * academic_audit.h). Owns nothing past the request: its state and the
 * copies of the results it keeps live in the request's arena.
 *
 * audit_major_loaded   the major's name, and the plan version to audit
 * audit_plan_loaded    the plan's modules and courses
 * audit_rules_loaded   its substitution rules
 * audit_passes_loaded  the candidate's passes: run, then done
 */
#include "academic_audit.h"
#include "audit_json.h"
#include "audit_pg.h"
#include "log.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct audit_state {
    struct http_request *req;
    struct academic_audit_run run;
    const char *idtext;
    PGresult *plan, *rules;
    academic_audit_cb done;
    void *ud;
};

bool academic_major_code_valid(const char *code)
{
    size_t n = code ? strlen(code) : 0;
    if (n < 6 || n > 8 || strspn(code, "0123456789") != 6)
        return false;
    for (size_t i = 6; i < n; i++)
        if (code[i] < 'A' || code[i] > 'Z')
            return false;
    return true;
}

bool academic_audit_refused(struct http_request *req, const struct academic_audit_run *run)
{
    json_t *refusals = json_object_get(run->result, "refusals");
    if (json_array_size(refusals) == 0)
        return false;
    json_t *first = json_array_get(refusals, 0);
    json_int_t idx = json_integer_value(json_object_get(first, "choice"));
    const char *rule = idx >= 0 && (size_t)idx < run->nchoices ? run->choices[idx].rule_id : NULL;
    const char *msg = json_string_value(json_object_get(first, "message"));
    char *text = arena_printf(&req->arena, "顶替规则 %s 不能使用：%s", rule ? rule : "?",
                              msg ? msg : "不符合规则");
    http_respond_json(req, 422,
                      json_pack("{s:{s:s, s:s, s:s}, s:O}", "error", "code", "SUBSTITUTION_REFUSED",
                                "message", text, "field", "substitutions", "audit", run->result));
    return true;
}

/* Kept past the callback (the pool clears r->res): a copy freed with the request. */
static PGresult *audit_keep(struct http_request *req, const struct pg_result *r)
{
    PGresult *copy = PQcopyResult(r->res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
    arena_defer(&req->arena, pg_result_free, copy);
    return copy;
}

static void audit_result_free(void *result)
{
    json_decref(result);
}

static void audit_passes_loaded(void *ud, const struct pg_result *r)
{
    struct audit_state *st = ud;
    struct http_request *req = st->req;
    if (api_db_failed(req, r))
        return;
    struct arena *a = &req->arena;
    char why[256] = "";
    struct audit_plan_row *prow;
    struct audit_rule_row *rrow;
    struct audit_pass *passes;
    size_t np, nr, npass;
    struct audit_plan plan;
    struct audit_result res;
    struct academic_audit_run *run = &st->run;
    audit_pg_plan_rows(st->plan, run->major, run->version, a, &prow, &np);
    if (audit_pg_rule_rows(st->rules, a, &rrow, &nr, why, sizeof(why)) < 0 ||
        audit_pg_passes(r->res, a, &passes, &npass, why, sizeof(why)) < 0 ||
        audit_plan_from_rows(prow, np, rrow, nr, run->major, run->major_name, run->version, a,
                             &plan, why, sizeof(why)) != 0 ||
        audit_run(&plan, passes, npass, run->choices, run->nchoices, a, &res) != 0) {
        log_msg(LOG_LEVEL_ERR, req->id, "audit of %s %s failed: %s", run->major, run->version, why);
        http_respond_error(req, 500, "AUDIT_FAILED", "审核数据有误，请联系考籍管理区县", NULL);
        return;
    }
    run->result = audit_result_json(&plan, passes, npass, &res);
    arena_defer(a, audit_result_free, run->result);
    st->done(req, st->ud, run);
}

static void audit_rules_loaded(void *ud, const struct pg_result *r)
{
    struct audit_state *st = ud;
    if (api_db_failed(st->req, r))
        return;
    st->rules = audit_keep(st->req, r);
    const char *values[] = {st->idtext};
    api_query_for(st->req, st, AUDIT_PG_PASSES_SQL, 1, values, audit_passes_loaded);
}

static void audit_plan_loaded(void *ud, const struct pg_result *r)
{
    struct audit_state *st = ud;
    struct http_request *req = st->req;
    const char *none = arena_printf(&req->arena, "专业 %s 没有%s专业计划", st->run.major,
                                    strcmp(st->run.version, "old") == 0 ? "旧" : "新");
    if (!api_db_row(req, r, 404, "PLAN_NOT_FOUND", none, "version"))
        return;
    st->plan = audit_keep(req, r);
    const char *values[] = {st->run.major, st->run.version};
    api_query_for(req, st, AUDIT_PG_RULES_SQL, 2, values, audit_rules_loaded);
}

static void audit_major_loaded(void *ud, const struct pg_result *r)
{
    struct audit_state *st = ud;
    struct http_request *req = st->req;
    if (!api_db_row(req, r, 404, "MAJOR_NOT_FOUND", "没有这个专业", "major"))
        return;
    st->run.major_name = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 0));
    if (st->run.version == NULL) /* the new plan when there is one */
        st->run.version = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 1));
    const char *values[] = {st->run.major, st->run.version};
    api_query_for(req, st, AUDIT_PG_PLAN_SQL, 2, values, audit_plan_loaded);
}

void academic_audit(struct http_request *req, int64_t candidate, const char *major,
                    const char *version, const struct audit_choice *choices, size_t nchoices,
                    academic_audit_cb done, void *ud)
{
    struct audit_state *st = arena_calloc(&req->arena, sizeof(*st));
    st->req = req;
    st->run.major = major;
    st->run.version = version;
    st->run.choices = choices;
    st->run.nchoices = nchoices;
    st->idtext = arena_printf(&req->arena, "%" PRId64, candidate);
    st->done = done;
    st->ud = ud;
    const char *values[] = {major};
    api_query_for(req, st,
                  "SELECT m.name, coalesce((SELECT 'new' FROM plans p WHERE p.major_code = m.code "
                  "AND p.version = 'new'), 'old') FROM majors m WHERE m.code = $1",
                  1, values, audit_major_loaded);
}
