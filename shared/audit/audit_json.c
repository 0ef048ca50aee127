/*
 * audit_json.c - audit results to JSON and chosen substitutions from JSON
 * (see audit_json.h for the shapes). Owns nothing beyond the values it
 * returns.
 */
#include "audit_json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A string or null. */
static json_t *str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static const char *state_name(enum audit_course_state st)
{
    static const char *const names[] = {"missing", "passed", "substituted", "chosen"};
    return (unsigned)st < 4 ? names[st] : "missing";
}

static const char *use_name(enum audit_use use)
{
    static const char *const names[] = {"none", "direct", "substitute", "duplicate"};
    return (unsigned)use < 4 ? names[use] : "none";
}

static json_t *date_json(int d)
{
    char text[16];
    unsigned u = (unsigned)d;
    snprintf(text, sizeof(text), "%04u-%02u-%02u", u / 10000 % 10000, u / 100 % 100, u % 100);
    return json_string(text);
}

json_t *audit_result_json(const struct audit_plan *plan, const struct audit_pass *passes,
                          size_t npasses, const struct audit_result *res)
{
    json_t *modules = json_array();
    size_t seq = 0;
    for (size_t m = 0; m < res->nmodules; m++) {
        const struct audit_module_result *mr = &res->modules[m];
        json_t *courses = json_array();
        for (size_t c = mr->first_course; c < mr->first_course + mr->ncourses; c++) {
            const struct audit_course_result *cr = &res->courses[c];
            json_t *used = json_array();
            for (size_t k = 0; k < cr->npasses; k++)
                json_array_append_new(used, json_integer((json_int_t)cr->passes[k]));
            json_array_append_new(
                courses,
                json_pack("{s:I, s:s, s:s, s:i, s:b, s:s, s:b, s:i, s:o, s:o, s:o}", "seq",
                          (json_int_t)++seq, "code", cr->course->code, "name", cr->course->name,
                          "credits", cr->course->credits, "required", !cr->course->elective,
                          "state", state_name(cr->state), "satisfied",
                          cr->state != AUDIT_COURSE_MISSING, "credits_counted", cr->credits, "by",
                          str_or_null(cr->by), "rule",
                          str_or_null(cr->rule != NULL ? cr->rule->id : NULL), "passes", used));
        }
        json_array_append_new(modules,
                              json_pack("{s:s, s:i, s:i, s:i, s:b, s:o}", "name", mr->module->name,
                                        "min_credits", mr->module->min_credits, "credits",
                                        mr->credits, "missing_credits", mr->missing_credits,
                                        "satisfied", mr->satisfied, "courses", courses));
    }

    json_t *plist = json_array();
    for (size_t i = 0; i < npasses && i < res->npasses; i++) {
        const struct audit_pass *p = &passes[i];
        const struct audit_pass_result *pr = &res->passes[i];
        json_array_append_new(
            plist,
            json_pack("{s:o, s:s, s:o, s:o, s:i, s:o, s:s, s:b, s:s, s:o, s:o}", "exam_id",
                      str_or_null(p->exam_id), "course_code", p->code, "course_name",
                      str_or_null(p->name), "score", str_or_null(p->score), "credits", p->credits,
                      "passed_on", date_json(p->passed_on), "source", audit_source_name(p->source),
                      "used", pr->use == AUDIT_USE_DIRECT || pr->use == AUDIT_USE_SUBSTITUTE, "use",
                      use_name(pr->use), "for_course",
                      str_or_null(pr->course != NULL ? pr->course->code : NULL), "rule",
                      str_or_null(pr->rule != NULL ? pr->rule->id : NULL)));
    }

    json_t *subs = json_array();
    for (size_t i = 0; i < res->nsubstitutions; i++) {
        const struct audit_substitution *s = &res->substitutions[i];
        json_t *src = json_array(), *tgt = json_array();
        for (size_t k = 0; k < s->npasses; k++)
            json_array_append_new(src, json_string(passes[s->passes[k]].code));
        for (size_t k = 0; k < s->ntargets; k++)
            json_array_append_new(tgt, json_string(s->targets[k]->code));
        json_array_append_new(subs, json_pack("{s:s, s:s, s:b, s:o, s:o, s:s}", "rule", s->rule->id,
                                              "kind", audit_rule_kind_name(s->rule->kind),
                                              "automatic", s->automatic, "sources", src, "targets",
                                              tgt, "message", s->message));
    }

    json_t *refusals = json_array();
    for (size_t i = 0; i < res->nrefusals; i++) {
        const struct audit_refusal *r = &res->refusals[i];
        json_array_append_new(refusals,
                              json_pack("{s:I, s:s, s:o, s:s}", "choice", (json_int_t)r->choice,
                                        "code", audit_refusal_name(r->code), "course",
                                        str_or_null(r->course), "message", r->message));
    }

    json_t *reasons = json_array();
    for (size_t i = 0; i < res->nreasons; i++) {
        const struct audit_reason *r = &res->reasons[i];
        json_array_append_new(reasons,
                              json_pack("{s:s, s:o, s:o, s:s}", "code", audit_reason_name(r->code),
                                        "module", str_or_null(r->module), "course",
                                        str_or_null(r->course), "message", r->message));
    }

    return json_pack("{s:{s:s, s:s}, s:o, s:b, s:s, s:i, s:i, s:o, s:o, s:o, s:o, s:o}", "major",
                     "code", plan->major_code, "name", plan->major_name, "plan_version",
                     str_or_null(plan->version), "complete", res->complete, "verdict", res->verdict,
                     "total_credits", res->total_credits, "min_total_credits",
                     plan->min_total_credits, "modules", modules, "passes", plist, "substitutions",
                     subs, "refusals", refusals, "reasons", reasons);
}

static int bad(char *err, size_t errlen, int rc, size_t i, const char *what)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "substitutions[%zu]: %s", i, what);
    return rc;
}

int audit_choices_from_json(const json_t *json, struct arena *a, struct audit_choice **out,
                            char *err, size_t errlen)
{
    *out = NULL;
    if (json == NULL || json_is_null(json))
        return 0;
    if (!json_is_array(json)) {
        snprintf(err, errlen, "substitutions must be an array");
        return -EINVAL;
    }
    size_t n = json_array_size(json);
    if (n > AUDIT_MAX_CHOICES) {
        snprintf(err, errlen, "at most %d substitutions", AUDIT_MAX_CHOICES);
        return -E2BIG;
    }
    struct audit_choice *ch = arena_calloc(a, sizeof(*ch) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(json, i);
        if (!json_is_object(o))
            return bad(err, errlen, -EINVAL, i, "must be an object");
        const json_t *rule = json_object_get(o, "rule");
        const json_t *sources = json_object_get(o, "sources");
        const json_t *target = json_object_get(o, "target");
        if (!json_is_string(rule) || json_string_length(rule) == 0)
            return bad(err, errlen, -EINVAL, i, "\"rule\" must be a rule id");
        ch[i].rule_id = arena_strdup(a, json_string_value(rule));
        if (target != NULL && !json_is_null(target)) {
            if (!json_is_string(target))
                return bad(err, errlen, -EINVAL, i, "\"target\" must be a course code");
            ch[i].target = arena_strdup(a, json_string_value(target));
        }
        if (sources == NULL || json_is_null(sources))
            continue;
        if (!json_is_array(sources))
            return bad(err, errlen, -EINVAL, i, "\"sources\" must be an array of course codes");
        size_t ns = json_array_size(sources);
        if (ns > AUDIT_MAX_RULE_COURSES)
            return bad(err, errlen, -E2BIG, i, "too many sources");
        const char **codes = arena_alloc(a, sizeof(*codes) * (ns ? ns : 1));
        for (size_t k = 0; k < ns; k++) {
            const json_t *s = json_array_get(sources, k);
            if (!json_is_string(s))
                return bad(err, errlen, -EINVAL, i, "\"sources\" must be an array of course codes");
            codes[k] = arena_strdup(a, json_string_value(s));
        }
        ch[i].sources = codes;
        ch[i].nsources = ns;
    }
    *out = ch;
    return (int)n;
}
