/*
 * academic.c - majors, plans, passed courses and the graduation pre-check
 * (专业计划查询, 合格成绩查询, 专业计划完成情况).
 *
 *   GET  /api/v1/majors                       majors with level, status, main universities
 *   GET  /api/v1/majors/{code}/plan           the major's plan versions, modules, courses, rules
 *   GET  /api/v1/me/scores[?major=&version=]  passed courses across exam IDs and this sitting's
 *                                             results; with a major, each pass says whether the
 *                                             audit uses it (是否使用)
 *   POST /api/v1/me/graduation/precheck       {major, version?, substitutions?} -> the audit
 *
 * The audit itself (shared/audit) is pure and takes microseconds: it runs on
 * the loop once the plan, its rules and the passes are loaded.
 */
#include "api.h"
#include "api_auth.h"
#include "api_util.h"
#include "audit.h"
#include "audit_json.h"
#include "audit_pg.h"
#include "log.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void json_text_answer(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    if (PQntuples(r->res) == 0 || pg_value(r->res, 0, 0) == NULL) {
        http_respond_error(req, 404, "MAJOR_NOT_FOUND", "没有这个专业", "code");
        return;
    }
    size_t len = (size_t)PQgetlength(r->res, 0, 0);
    char *body = arena_strndup(&req->arena, PQgetvalue(r->res, 0, 0), len);
    http_response_header(req, "Cache-Control", "no-store");
    http_respond(req, 200, "application/json; charset=utf-8", body, len);
}

static bool major_code_valid(const char *code)
{
    size_t n = strlen(code);
    if (n < 6 || n > 8 || strspn(code, "0123456789") != 6)
        return false;
    for (size_t i = 6; i < n; i++)
        if (code[i] < 'A' || code[i] > 'Z')
            return false;
    return true;
}

/* ---- public: majors and plans ---------------------------------------------- */

static void majors_get(struct http_request *req)
{
    api_query(req,
              "SELECT json_build_object('items', coalesce(json_agg(json_build_object('code', "
              "m.code, 'name', m.name, 'level', m.level, 'status', m.status, 'universities', "
              "coalesce((SELECT json_agg(json_build_object('code', u.code, 'name', u.name) ORDER "
              "BY mu.seq) FROM major_universities mu JOIN universities u ON u.code = "
              "mu.university_code WHERE mu.major_code = m.code), '[]')) ORDER BY m.code), "
              "'[]'))::text FROM majors m",
              0, NULL, json_text_answer);
}

static void plan_get(struct http_request *req)
{
    const char *code = http_param(req, 0);
    if (!major_code_valid(code)) {
        http_respond_error(req, 404, "MAJOR_NOT_FOUND", "没有这个专业", "code");
        return;
    }
    const char *values[] = {code};
    api_query(
        req,
        "SELECT json_build_object("
        " 'major', json_build_object('code', m.code, 'name', m.name, 'level', m.level, 'status', "
        "m.status),"
        " 'plans', coalesce((SELECT json_agg(json_build_object('version', p.version, "
        "'valid_from', p.valid_from, 'min_total_credits', p.min_total_credits, 'modules', "
        "(SELECT json_agg(json_build_object('seq', pm.seq, 'name', pm.name, 'min_credits', "
        "pm.min_credits, 'courses', (SELECT json_agg(json_build_object('code', pc.course_code, "
        "'name', c.name, 'credits', pc.credits, 'required', pc.required, 'kind', c.kind) ORDER BY "
        "pc.seq) FROM plan_courses pc JOIN courses c ON c.code = pc.course_code WHERE "
        "pc.module_id = pm.id)) ORDER BY pm.seq) FROM plan_modules pm WHERE pm.plan_id = p.id)) "
        "ORDER BY p.valid_from) FROM plans p WHERE p.major_code = m.code), '[]'),"
        " 'substitutions', coalesce((SELECT json_agg(json_build_object('rule', r.id, 'kind', "
        "r.kind, 'plan_version', r.plan_version, 'min_credits', r.min_credits, 'sources_from', "
        "r.sources_from, 'note', r.note, 'sources', (SELECT json_agg(rc.course_code ORDER BY "
        "rc.seq) FROM substitution_rule_courses rc WHERE rc.rule_id = r.id AND rc.side = "
        "'source'), 'targets', (SELECT json_agg(rc.course_code ORDER BY rc.seq) FROM "
        "substitution_rule_courses rc WHERE rc.rule_id = r.id AND rc.side = 'target')) ORDER BY "
        "r.id) FROM substitution_rules r WHERE r.major_code IS NULL OR r.major_code = m.code), "
        "'[]'))::text FROM majors m WHERE m.code = $1",
        1, values, json_text_answer);
}

/* ---- the audit: load plan, rules, passes; run ----------------------------------- */

struct audit_req {
    int64_t candidate;
    const char *idtext;
    const char *major, *version, *major_name;
    struct audit_choice *choices;
    size_t nchoices;
    bool precheck; /* else: the scores view with 是否使用 */
    PGresult *plan, *rules;
    json_t *scores; /* scores view: the list being built (the request owns it) */
};

static void audit_finish(struct http_request *req, const struct pg_result *passes_r)
{
    struct audit_req *ar = req->ctx;
    struct arena *a = &req->arena;
    char why[256] = "";
    struct audit_plan_row *prow;
    struct audit_rule_row *rrow;
    struct audit_pass *passes;
    size_t np, nr, npass;
    struct audit_plan plan;
    struct audit_result res;
    audit_pg_plan_rows(ar->plan, ar->major, ar->version, a, &prow, &np);
    if (audit_pg_rule_rows(ar->rules, a, &rrow, &nr, why, sizeof(why)) < 0 ||
        audit_pg_passes(passes_r->res, a, &passes, &npass, why, sizeof(why)) < 0 ||
        audit_plan_from_rows(prow, np, rrow, nr, ar->major, ar->major_name, ar->version, a, &plan,
                             why, sizeof(why)) != 0 ||
        audit_run(&plan, passes, npass, ar->choices, ar->nchoices, a, &res) != 0) {
        log_msg(LOG_LEVEL_ERR, req->id, "audit of %s %s failed: %s", ar->major, ar->version, why);
        http_respond_error(req, 500, "AUDIT_FAILED", "审核数据有误，请联系考籍管理区县", NULL);
        return;
    }
    json_t *result = audit_result_json(&plan, passes, npass, &res);
    if (!ar->precheck) {
        json_object_set_new(ar->scores, "audit",
                            json_pack("{s:s, s:s, s:O, s:O}", "major", ar->major, "plan_version",
                                      ar->version, "complete", json_object_get(result, "complete"),
                                      "verdict", json_object_get(result, "verdict")));
        json_object_set(ar->scores, "passed", json_object_get(result, "passes"));
        json_decref(result);
        http_respond_json(req, 200, json_incref(ar->scores));
        return;
    }
    json_t *refusals = json_object_get(result, "refusals");
    if (json_array_size(refusals) > 0) {
        /* A substitution the rules do not allow: name it. */
        json_t *first = json_array_get(refusals, 0);
        json_int_t idx = json_integer_value(json_object_get(first, "choice"));
        const char *rule = idx >= 0 && (size_t)idx < ar->nchoices ? ar->choices[idx].rule_id : NULL;
        const char *msg = json_string_value(json_object_get(first, "message"));
        char *text = arena_printf(a, "顶替规则 %s 不能使用：%s", rule ? rule : "?",
                                  msg ? msg : "不符合规则");
        http_respond_json(req, 422,
                          json_pack("{s:{s:s, s:s, s:s}, s:o}", "error", "code",
                                    "SUBSTITUTION_REFUSED", "message", text, "field",
                                    "substitutions", "audit", result));
        return;
    }
    http_respond_json(req, 200, result);
}

static void audit_passes_loaded(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (!api_db_failed(req, r))
        audit_finish(req, r);
}

static void audit_rules_loaded(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct audit_req *ar = req->ctx;
    if (api_db_failed(req, r))
        return;
    /* Kept past this callback (the pool clears r->res): a copy freed with the request. */
    ar->rules = PQcopyResult(r->res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
    arena_defer(&req->arena, pg_result_free, ar->rules);
    const char *values[] = {ar->idtext};
    api_query(req, AUDIT_PG_PASSES_SQL, 1, values, audit_passes_loaded);
}

static void audit_plan_loaded(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct audit_req *ar = req->ctx;
    const char *none = arena_printf(&req->arena, "专业 %s 没有%s专业计划", ar->major,
                                    strcmp(ar->version, "old") == 0 ? "旧" : "新");
    if (!api_db_row(req, r, 404, "PLAN_NOT_FOUND", none, "version"))
        return;
    ar->plan = PQcopyResult(r->res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
    arena_defer(&req->arena, pg_result_free, ar->plan);
    const char *values[] = {ar->major, ar->version};
    api_query(req, AUDIT_PG_RULES_SQL, 2, values, audit_rules_loaded);
}

static void audit_major_loaded(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct audit_req *ar = req->ctx;
    if (!api_db_row(req, r, 404, "MAJOR_NOT_FOUND", "没有这个专业", "major"))
        return;
    ar->major_name = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 0));
    if (ar->version == NULL) /* the new plan when there is one */
        ar->version = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 1));
    const char *values[] = {ar->major, ar->version};
    api_query(req, AUDIT_PG_PLAN_SQL, 2, values, audit_plan_loaded);
}

/* Starts the chain: major -> plan -> rules -> passes -> audit. */
static void audit_start(struct http_request *req)
{
    struct audit_req *ar = req->ctx;
    const char *values[] = {ar->major};
    api_query(req,
              "SELECT m.name, coalesce((SELECT 'new' FROM plans p WHERE p.major_code = m.code AND "
              "p.version = 'new'), 'old') FROM majors m WHERE m.code = $1",
              1, values, audit_major_loaded);
}

/* ---- POST /me/graduation/precheck ---------------------------------------------------- */

static void precheck_authed(struct http_request *req, const struct api_session *s)
{
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    struct audit_req *ar = arena_calloc(&req->arena, sizeof(*ar));
    req->ctx = ar;
    ar->precheck = true;
    ar->candidate = s->candidate_id;
    ar->idtext = arena_printf(&req->arena, "%" PRId64, s->candidate_id);
    ar->major = api_field_str(req, body, "major", 16);
    const char *version = ar->major ? api_field_opt(req, body, "version", 8) : NULL;
    if (version == NULL) {
        json_decref(body);
        return;
    }
    if (!major_code_valid(ar->major)) {
        json_decref(body);
        http_respond_error(req, 404, "MAJOR_NOT_FOUND", "没有这个专业", "major");
        return;
    }
    if (version[0] && strcmp(version, "old") != 0 && strcmp(version, "new") != 0) {
        json_decref(body);
        api_reject(req, "VERSION_INVALID", "version 应为 old（旧计划）或 new（新计划）", "version");
        return;
    }
    ar->version = version[0] ? version : NULL;
    char why[256];
    int n = audit_choices_from_json(json_object_get(body, "substitutions"), &req->arena,
                                    &ar->choices, why, sizeof(why));
    json_decref(body);
    if (n < 0) {
        api_reject(req, "SUBSTITUTION_INVALID", arena_printf(&req->arena, "顶替选择有误：%s", why),
                   "substitutions");
        return;
    }
    ar->nchoices = (size_t)n;
    audit_start(req);
}

static void precheck(struct http_request *req)
{
    api_auth_require_verified(req, precheck_authed);
}

/* ---- GET /me/scores --------------------------------------------------------------------- */

static void scores_free(void *scores)
{
    json_decref(scores);
}

static void scores_loaded(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct audit_req *ar = req->ctx;
    if (api_db_failed(req, r))
        return;
    json_error_t e;
    ar->scores = json_loads(PQgetvalue(r->res, 0, 0), 0, &e);
    if (ar->scores == NULL) {
        http_respond_error(req, 500, "INTERNAL", "系统内部错误，请稍后再试", NULL);
        return;
    }
    arena_defer(&req->arena, scores_free, ar->scores); /* the request owns it */
    if (ar->major == NULL) {
        http_respond_json(req, 200, json_incref(ar->scores));
        return;
    }
    audit_start(req); /* replaces "passed" with the audit's view (是否使用) */
}

static void scores_authed(struct http_request *req, const struct api_session *s)
{
    struct audit_req *ar = arena_calloc(&req->arena, sizeof(*ar));
    req->ctx = ar;
    ar->candidate = s->candidate_id;
    ar->idtext = arena_printf(&req->arena, "%" PRId64, s->candidate_id);
    const char *major = http_query_get(req, "major");
    const char *version = http_query_get(req, "version");
    if (major != NULL && major[0] != '\0') {
        if (!major_code_valid(major)) {
            http_respond_error(req, 404, "MAJOR_NOT_FOUND", "没有这个专业", "major");
            return;
        }
        ar->major = major;
    }
    if (version != NULL && version[0] != '\0') {
        if (strcmp(version, "old") != 0 && strcmp(version, "new") != 0) {
            api_reject(req, "VERSION_INVALID", "version 应为 old（旧计划）或 new（新计划）",
                       "version");
            return;
        }
        ar->version = version;
    }
    const char *values[] = {ar->idtext};
    api_query(
        req,
        "SELECT json_build_object("
        " 'passed', coalesce((SELECT json_agg(json_build_object('exam_id', exam_id, "
        "'course_code', course_code, 'course_name', course_name, 'score', score, 'credits', "
        "credits, 'passed_on', passed_on, 'source', source, 'used', NULL) ORDER BY passed_on, "
        "exam_id, course_code) FROM passed_courses WHERE candidate_id = $1), '[]'),"
        " 'current', coalesce((SELECT json_agg(json_build_object('exam_id', exam_id, "
        "'sitting', sitting, 'course_code', course_code, 'course_name', course_name, "
        "'score', score, 'passed', passed) ORDER BY sitting DESC, course_code) FROM "
        "current_results WHERE candidate_id = $1), '[]'))::text",
        1, values, scores_loaded);
}

static void scores(struct http_request *req)
{
    api_auth_require_verified(req, scores_authed);
}

static const struct route academic_routes[] = {
    {"GET", "/api/v1/majors", majors_get, 0, NULL},
    {"GET", "/api/v1/majors/{code}/plan", plan_get, 0, NULL},
    {"GET", "/api/v1/me/scores", scores, 0, NULL},
    {"POST", "/api/v1/me/graduation/precheck", precheck, 8192, NULL},
};

const struct api_module api_academic_module = {.name = "academic", API_ROUTES(academic_routes)};
