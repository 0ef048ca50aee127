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
 * The audit is academic_audit.h's, shared with the graduation application.
 */
#include "academic_audit.h"
#include "api.h"
#include "api_auth.h"
#include "api_util.h"
#include "audit_json.h"
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
    api_db_json_text(req, r, 200);
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
    if (!academic_major_code_valid(code)) {
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

/* ---- the answers the audit makes ---------------------------------------------------- */

struct audit_req {
    int64_t candidate;
    const char *idtext;
    const char *major, *version;
    struct audit_choice *choices;
    size_t nchoices;
    json_t *scores; /* scores view: the list being built (the request owns it) */
};

/* The pre-check's answer: the audit, or SUBSTITUTION_REFUSED naming the choice. */
static void precheck_audited(struct http_request *req, void *ud,
                             const struct academic_audit_run *run)
{
    (void)ud;
    if (!academic_audit_refused(req, run))
        http_respond_json(req, 200, json_incref(run->result));
}

/* The scores view with the audit's 是否使用. */
static void scores_audited(struct http_request *req, void *ud, const struct academic_audit_run *run)
{
    struct audit_req *ar = ud;
    json_t *result = run->result;
    json_object_set_new(ar->scores, "audit",
                        json_pack("{s:s, s:s, s:O, s:O}", "major", run->major, "plan_version",
                                  run->version, "complete", json_object_get(result, "complete"),
                                  "verdict", json_object_get(result, "verdict")));
    json_object_set(ar->scores, "passed", json_object_get(result, "passes"));
    http_respond_json(req, 200, json_incref(ar->scores));
}

/* ---- POST /me/graduation/precheck ---------------------------------------------------- */

static void precheck_authed(struct http_request *req, const struct api_session *s)
{
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    struct audit_req *ar = arena_calloc(&req->arena, sizeof(*ar));
    req->ctx = ar;
    ar->candidate = s->candidate_id;
    ar->idtext = arena_printf(&req->arena, "%" PRId64, s->candidate_id);
    ar->major = api_field_str(req, body, "major", 16);
    const char *version = ar->major ? api_field_opt(req, body, "version", 8) : NULL;
    if (version == NULL) {
        json_decref(body);
        return;
    }
    if (!academic_major_code_valid(ar->major)) {
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
    academic_audit(req, ar->candidate, ar->major, ar->version, ar->choices, ar->nchoices,
                   precheck_audited, ar);
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
    /* replaces "passed" with the audit's view (是否使用) */
    academic_audit(req, ar->candidate, ar->major, ar->version, NULL, 0, scores_audited, ar);
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
        if (!academic_major_code_valid(major)) {
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
