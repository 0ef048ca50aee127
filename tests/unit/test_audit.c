/*
 * test_audit.c - the graduation audit engine's rules on a small plan built
 * here: each passed course used once, 顶替英语二 needs 14 credits, one-to-one
 * substitution is automatic and needs a new-plan pass, one-to-many and
 * choose-one need the candidate's choice, elective modules need their
 * minimum credits, refusals, duplicates, plan checks, determinism.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "audit.h"

#include <errno.h>
#include <string.h>

/* An old plan: English II (00015), two required law courses that a
 * choose-one rule can replace, two that a one-to-many rule replaces, and an
 * elective module needing 6 credits. */
static const struct audit_course basics[] = {
    {"03709", "马克思主义基本原理概论", 4, false},
    {"00015", "英语(二)", 14, false},
};
static const struct audit_course core[] = {
    {"00167", "劳动法", 4, false},
    {"00169", "房地产法", 4, false},
    {"00257", "票据法", 3, false},
    {"00258", "保险法", 3, false},
};
static const struct audit_course electives[] = {
    {"00233", "税法", 3, true},
    {"00262", "法律文书写作", 3, true},
    {"00229", "证据法学", 4, true},
};
static const struct audit_module modules[] = {
    {"基础课程", 0, basics, 2},
    {"专业课程", 0, core, 4},
    {"选修课程", 6, electives, 3},
};
static const char *const r1_src[] = {"13000"}, *const r1_tgt[] = {"00015"};
static const char *const e2_tgt[] = {"00015"};
static const char *const r5_src[] = {"19001"}, *const r5_tgt[] = {"00257", "00258"};
static const char *const r6_src[] = {"14081"}, *const r6_tgt[] = {"00167", "00169"};
static const struct audit_rule rules[] = {
    {"R1", AUDIT_RULE_ONE_TO_ONE, r1_src, 1, r1_tgt, 1, 0, 20240101},
    {"E2", AUDIT_RULE_CREDIT_POOL, NULL, 0, e2_tgt, 1, 14, 0},
    {"R5", AUDIT_RULE_ONE_TO_MANY, r5_src, 1, r5_tgt, 2, 0, 20240101},
    {"R6", AUDIT_RULE_CHOOSE_ONE, r6_src, 1, r6_tgt, 2, 0, 20240101},
};
static const struct audit_plan plan = {"030101K", "法学", "old", 0, modules, 3, rules, 4};

#define MAXP 32
struct record {
    struct audit_pass p[MAXP];
    size_t n;
};

static void add(struct record *r, const char *code, const char *name, const char *score,
                int credits, int date)
{
    assert_true(r->n < MAXP);
    r->p[r->n++] =
        (struct audit_pass){"140105190311", code, name, score, credits, date, AUDIT_SOURCE_EXAM};
}

/* Everything of the plan except what the test leaves out or adds. */
static void base(struct record *r, const char *without)
{
    static const struct {
        const char *code, *name;
        int credits;
    } all[] = {{"03709", "马克思主义基本原理概论", 4},
               {"00015", "英语(二)", 14},
               {"00167", "劳动法", 4},
               {"00169", "房地产法", 4},
               {"00257", "票据法", 3},
               {"00258", "保险法", 3},
               {"00233", "税法", 3},
               {"00262", "法律文书写作", 3}};
    r->n = 0;
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (without == NULL || strstr(without, all[i].code) == NULL)
            add(r, all[i].code, all[i].name, "70", all[i].credits, 20220416);
}

static const struct audit_course_result *course(const struct audit_result *res, const char *code)
{
    for (size_t i = 0; i < res->ncourses; i++)
        if (strcmp(res->courses[i].course->code, code) == 0)
            return &res->courses[i];
    fail_msg("course %s not in result", code);
    return NULL;
}

static size_t pass_index(const struct record *r, const char *code)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->p[i].code, code) == 0)
            return i;
    fail_msg("pass %s not in record", code);
    return 0;
}

static bool has_reason(const struct audit_result *res, enum audit_reason_code code,
                       const char *course)
{
    for (size_t i = 0; i < res->nreasons; i++)
        if (res->reasons[i].code == code &&
            (course == NULL ||
             (res->reasons[i].course != NULL && strcmp(res->reasons[i].course, course) == 0)))
            return true;
    return false;
}

static void run(const struct record *r, const struct audit_choice *ch, size_t nch, struct arena *a,
                struct audit_result *res)
{
    assert_int_equal(audit_run(&plan, r->p, r->n, ch, nch, a, res), 0);
}

static void test_audit_full_record_is_complete(void **state)
{
    struct arena a;
    arena_init(&a, 8192);
    struct record r;
    base(&r, NULL);
    struct audit_result res;
    run(&r, NULL, 0, &a, &res);
    assert_true(res.complete);
    assert_string_equal(res.verdict, "专业：030101K_法学 已完成毕业所需课程，可以申请毕业！");
    assert_int_equal(res.total_credits, 4 + 14 + 4 + 4 + 3 + 3 + 6);
    assert_int_equal(res.nsubstitutions, 0);
    assert_int_equal(course(&res, "00015")->state, AUDIT_COURSE_PASSED);
    assert_string_equal(course(&res, "03709")->by, "03709_马克思主义基本原理概论(70)");
    assert_int_equal(res.reasons[0].code, AUDIT_REASON_COMPLETE);
    arena_destroy(&a);
}

static void test_audit_course_used_twice_is_refused(void **state)
{
    struct arena a;
    arena_init(&a, 8192);
    struct record r;
    base(&r, "00015");
    add(&r, "00144", "企业管理概论", "68", 5, 20201017);
    add(&r, "02628", "管理经济学", "69", 5, 20211016);
    add(&r, "10791", "建筑抗震设计", "79", 4, 20210410);
    struct audit_result res;

    /* 03709 already meets its own plan course: offering it for English II is refused. */
    const char *const offer[] = {"00144", "03709", "02628", "10791"};
    struct audit_choice ch = {"E2", offer, 4, NULL};
    run(&r, &ch, 1, &a, &res);
    assert_int_equal(res.nrefusals, 1);
    assert_int_equal(res.refusals[0].code, AUDIT_REFUSE_ALREADY_USED);
    assert_string_equal(res.refusals[0].course, "03709");
    assert_non_null(strstr(res.refusals[0].message, "只能使用一次"));
    assert_int_equal(course(&res, "03709")->state, AUDIT_COURSE_PASSED);
    assert_int_equal(course(&res, "00015")->state, AUDIT_COURSE_MISSING);
    assert_int_equal(res.passes[pass_index(&r, "00144")].use, AUDIT_USE_NONE);
    assert_false(res.complete);
    assert_true(has_reason(&res, AUDIT_REASON_CHOICE_REFUSED, "03709"));

    /* The same course named twice in one choice. */
    const char *const twice[] = {"00144", "10791", "00144", "02628"};
    struct audit_choice ch2 = {"E2", twice, 4, NULL};
    run(&r, &ch2, 1, &a, &res);
    assert_int_equal(res.nrefusals, 1);
    assert_int_equal(res.refusals[0].code, AUDIT_REFUSE_ALREADY_USED);
    assert_string_equal(res.refusals[0].course, "00144");

    /* A course used by one accepted choice cannot serve a second one. */
    base(&r, "00015 00169");
    add(&r, "14081", "侵权责任法", "65", 4, 20240413);
    add(&r, "00144", "企业管理概论", "68", 5, 20201017);
    add(&r, "10791", "建筑抗震设计", "79", 4, 20210410);
    const char *const pick[] = {"14081"};
    const char *const pool[] = {"00144", "10791", "14081"};
    struct audit_choice both[] = {{"R6", pick, 1, "00169"}, {"E2", pool, 3, NULL}};
    run(&r, both, 2, &a, &res);
    assert_int_equal(course(&res, "00169")->state, AUDIT_COURSE_CHOSEN);
    assert_int_equal(res.nrefusals, 1);
    assert_int_equal(res.refusals[0].choice, 1);
    assert_int_equal(res.refusals[0].code, AUDIT_REFUSE_ALREADY_USED);
    assert_string_equal(res.refusals[0].course, "14081");
    assert_int_equal(course(&res, "00015")->state, AUDIT_COURSE_MISSING);
    arena_destroy(&a);
}

static void test_audit_english2_needs_14_credits(void **state)
{
    struct arena a;
    arena_init(&a, 8192);
    struct record r;
    base(&r, "00015");
    add(&r, "00144", "企业管理概论", "68", 5, 20201017);
    add(&r, "10791", "建筑抗震设计", "79", 4, 20210410);
    add(&r, "00018", "计算机应用基础", "免考", 2, 20200520);
    add(&r, "00019", "计算机应用基础(实践)", "免考", 2, 20200520);
    add(&r, "02628", "管理经济学", "69", 5, 20211016);
    struct audit_result res;

    const char *const thirteen[] = {"00144", "10791", "00018", "00019"};
    struct audit_choice ch = {"E2", thirteen, 4, NULL};
    run(&r, &ch, 1, &a, &res);
    assert_false(res.complete);
    assert_int_equal(res.nrefusals, 1);
    assert_int_equal(res.refusals[0].code, AUDIT_REFUSE_TOO_FEW_CREDITS);
    assert_non_null(strstr(res.refusals[0].message, "合计 13 学分"));
    assert_non_null(strstr(res.refusals[0].message, "至少需要 14 学分"));
    assert_int_equal(course(&res, "00015")->state, AUDIT_COURSE_MISSING);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(res.passes[pass_index(&r, thirteen[i])].use, AUDIT_USE_NONE);
    assert_true(has_reason(&res, AUDIT_REASON_COURSE_MISSING, "00015"));

    const char *const fourteen[] = {"00144", "10791", "02628"};
    struct audit_choice ch14 = {"E2", fourteen, 3, NULL};
    run(&r, &ch14, 1, &a, &res);
    assert_true(res.complete);
    assert_int_equal(res.nrefusals, 0);
    const struct audit_course_result *e = course(&res, "00015");
    assert_int_equal(e->state, AUDIT_COURSE_CHOSEN);
    assert_string_equal(e->rule->id, "E2");
    assert_int_equal(e->npasses, 3);
    assert_int_equal(e->credits, 14);
    assert_int_equal(res.passes[pass_index(&r, "02628")].use, AUDIT_USE_SUBSTITUTE);
    assert_int_equal(res.passes[pass_index(&r, "00018")].use, AUDIT_USE_NONE);
    assert_int_equal(res.nsubstitutions, 1);
    assert_false(res.substitutions[0].automatic);
    arena_destroy(&a);
}

static void test_audit_english2_hint_counts_unused_credits(void **state)
{
    struct arena a;
    arena_init(&a, 8192);
    struct record r;
    base(&r, "00015");
    add(&r, "00144", "企业管理概论", "68", 5, 20201017);
    add(&r, "10791", "建筑抗震设计", "79", 4, 20210410);
    struct audit_result res;
    run(&r, NULL, 0, &a, &res);
    assert_true(has_reason(&res, AUDIT_REASON_HINT, "00015"));
    bool found = false;
    for (size_t i = 0; i < res.nreasons; i++)
        found = found || (res.reasons[i].code == AUDIT_REASON_HINT &&
                          strstr(res.reasons[i].message, "还差 5 学分") != NULL);
    assert_true(found);
    arena_destroy(&a);
}

static void test_audit_choice_may_take_an_elective_course(void **state)
{
    struct arena a;
    arena_init(&a, 8192);
    struct record r;
    base(&r, "00015");
    add(&r, "00229", "证据法学", "66", 4, 20230415); /* electives now 3 + 3 + 4 */
    add(&r, "00144", "企业管理概论", "68", 5, 20201017);
    add(&r, "10791", "建筑抗震设计", "79", 4, 20210410);
    struct audit_result res;
    /* Without a choice all three electives count. */
    run(&r, NULL, 0, &a, &res);
    assert_int_equal(res.modules[2].credits, 10);
    /* The candidate may give 00229 and 00233 to English II; electives keep 3. */
    const char *const offer[] = {"00144", "10791", "00229", "00233"};
    struct audit_choice ch = {"E2", offer, 4, NULL};
    run(&r, &ch, 1, &a, &res);
    assert_int_equal(res.nrefusals, 0);
    assert_int_equal(course(&res, "00015")->state, AUDIT_COURSE_CHOSEN);
    assert_int_equal(res.passes[pass_index(&r, "00229")].use, AUDIT_USE_SUBSTITUTE);
    assert_int_equal(course(&res, "00229")->state, AUDIT_COURSE_MISSING);
    assert_int_equal(res.modules[2].credits, 3);
    assert_false(res.modules[2].satisfied);
    assert_true(has_reason(&res, AUDIT_REASON_MODULE_CREDITS, NULL));
    assert_false(res.complete);
    arena_destroy(&a);
}

static void test_audit_one_to_one_applied_automatically(void **state)
{
    struct arena a;
    arena_init(&a, 8192);
    struct record r;
    base(&r, "00015");
    add(&r, "13000", "英语(专升本)", "61", 7, 20240413);
    struct audit_result res;
    run(&r, NULL, 0, &a, &res);
    assert_true(res.complete);
    const struct audit_course_result *e = course(&res, "00015");
    assert_int_equal(e->state, AUDIT_COURSE_SUBSTITUTED);
    assert_string_equal(e->rule->id, "R1");
    assert_int_equal(e->credits, 14);
    assert_string_equal(e->by, "13000_英语(专升本)(61)");
    assert_int_equal(res.nsubstitutions, 1);
    assert_true(res.substitutions[0].automatic);
    assert_non_null(strstr(res.substitutions[0].message, "自动顶替 00015 英语(二)"));
    assert_int_equal(res.passes[pass_index(&r, "13000")].use, AUDIT_USE_SUBSTITUTE);

    /* Choosing it by hand is refused: the system does it. */
    struct audit_choice ch = {"R1", NULL, 0, NULL};
    run(&r, &ch, 1, &a, &res);
    assert_int_equal(res.nrefusals, 1);
    assert_int_equal(res.refusals[0].code, AUDIT_REFUSE_RULE_AUTOMATIC);
    arena_destroy(&a);
}

static void test_audit_substitution_needs_pass_from_2024_h1(void **state)
{
    struct arena a;
    arena_init(&a, 8192);
    struct record r;
    base(&r, "00015");
    add(&r, "13000", "英语(专升本)", "61", 7, 20231021);
    struct audit_result res;
    run(&r, NULL, 0, &a, &res);
    assert_false(res.complete);
    assert_int_equal(course(&res, "00015")->state, AUDIT_COURSE_MISSING);
    assert_int_equal(res.nsubstitutions, 0);
    bool found = false;
    for (size_t i = 0; i < res.nreasons; i++)
        found = found || (res.reasons[i].code == AUDIT_REASON_HINT &&
                          strstr(res.reasons[i].message, "2023-10-21 合格") != NULL &&
                          strstr(res.reasons[i].message, "不属于新计划") != NULL);
    assert_true(found);

    /* A re-sit from 2024 on makes it count. */
    add(&r, "13000", "英语(专升本)", "60", 7, 20240413);
    run(&r, NULL, 0, &a, &res);
    assert_true(res.complete);
    assert_int_equal(course(&res, "00015")->passes[0], r.n - 1);
    arena_destroy(&a);
}

static void test_audit_choose_one_needs_candidate_choice(void **state)
{
    struct arena a;
    arena_init(&a, 8192);
    struct record r;
    base(&r, "00169");
    add(&r, "14081", "侵权责任法", "65", 4, 20240413);
    struct audit_result res;

    run(&r, NULL, 0, &a, &res);
    assert_false(res.complete);
    assert_int_equal(course(&res, "00169")->state, AUDIT_COURSE_MISSING);
    assert_int_equal(res.passes[pass_index(&r, "14081")].use, AUDIT_USE_NONE);
    assert_true(has_reason(&res, AUDIT_REASON_HINT, "00169"));

    /* Naming the rule without the course it replaces is not enough. */
    struct audit_choice vague = {"R6", NULL, 0, NULL};
    run(&r, &vague, 1, &a, &res);
    assert_false(res.complete);
    assert_int_equal(res.refusals[0].code, AUDIT_REFUSE_CHOICE_NEEDED);

    /* Replacing a course already passed is refused. */
    struct audit_choice wrong = {"R6", NULL, 0, "00167"};
    run(&r, &wrong, 1, &a, &res);
    assert_int_equal(res.refusals[0].code, AUDIT_REFUSE_TARGET_MET);

    struct audit_choice ch = {"R6", NULL, 0, "00169"};
    run(&r, &ch, 1, &a, &res);
    assert_true(res.complete);
    assert_int_equal(course(&res, "00169")->state, AUDIT_COURSE_CHOSEN);
    assert_int_equal(course(&res, "00169")->credits, 4);
    assert_int_equal(res.passes[pass_index(&r, "14081")].use, AUDIT_USE_SUBSTITUTE);
    arena_destroy(&a);
}

static void test_audit_one_to_many_replaces_every_target(void **state)
{
    struct arena a;
    arena_init(&a, 8192);
    struct record r;
    base(&r, "00257 00258");
    add(&r, "19001", "商法(演示)", "70", 6, 20241026);
    struct audit_result res;
    run(&r, NULL, 0, &a, &res);
    assert_false(res.complete);
    assert_true(has_reason(&res, AUDIT_REASON_COURSE_MISSING, "00257"));
    assert_true(has_reason(&res, AUDIT_REASON_COURSE_MISSING, "00258"));

    struct audit_choice ch = {"R5", NULL, 0, NULL};
    run(&r, &ch, 1, &a, &res);
    assert_true(res.complete);
    assert_int_equal(course(&res, "00257")->state, AUDIT_COURSE_CHOSEN);
    assert_int_equal(course(&res, "00258")->state, AUDIT_COURSE_CHOSEN);
    assert_int_equal(res.substitutions[0].ntargets, 2);

    /* Choosing it twice is refused. */
    struct audit_choice twice[] = {{"R5", NULL, 0, NULL}, {"R5", NULL, 0, NULL}};
    run(&r, twice, 2, &a, &res);
    assert_int_equal(res.nrefusals, 1);
    assert_int_equal(res.refusals[0].code, AUDIT_REFUSE_RULE_TWICE);
    arena_destroy(&a);
}

static void test_audit_elective_module_needs_min_credits(void **state)
{
    struct arena a;
    arena_init(&a, 8192);
    struct record r;
    base(&r, "00262"); /* electives: 00233 税法 3 credits only */
    struct audit_result res;
    run(&r, NULL, 0, &a, &res);
    assert_false(res.complete);
    const struct audit_module_result *m = &res.modules[2];
    assert_string_equal(m->module->name, "选修课程");
    assert_false(m->satisfied);
    assert_int_equal(m->credits, 3);
    assert_int_equal(m->missing_credits, 3);
    assert_int_equal(m->missing_required, 0);
    assert_true(res.modules[0].satisfied && res.modules[1].satisfied);
    bool found = false;
    for (size_t i = 0; i < res.nreasons; i++)
        if (res.reasons[i].code == AUDIT_REASON_MODULE_CREDITS) {
            assert_string_equal(res.reasons[i].module, "选修课程");
            assert_non_null(strstr(res.reasons[i].message, "还差 3 学分"));
            assert_non_null(strstr(res.reasons[i].message, "00229 证据法学"));
            found = true;
        }
    assert_true(found);

    /* Any elective bringing it to 6 completes it; extra electives all count. */
    add(&r, "00229", "证据法学", "66", 4, 20230415);
    run(&r, NULL, 0, &a, &res);
    assert_true(res.complete);
    assert_int_equal(res.modules[2].credits, 7);
    add(&r, "00262", "法律文书写作", "66", 3, 20230415);
    run(&r, NULL, 0, &a, &res);
    assert_int_equal(res.modules[2].credits, 10);
    assert_int_equal(res.passes[r.n - 1].use, AUDIT_USE_DIRECT);
    arena_destroy(&a);
}

static void test_audit_plan_total_needs_min_credits(void **state)
{
    struct arena a;
    arena_init(&a, 8192);
    struct record r;
    base(&r, NULL); /* every module met: 38 credits */
    struct audit_plan p = plan;
    p.min_total_credits = 40;
    struct audit_result res;
    assert_int_equal(audit_run(&p, r.p, r.n, NULL, 0, &a, &res), 0);
    assert_false(res.complete);
    assert_true(has_reason(&res, AUDIT_REASON_TOTAL_CREDITS, NULL));
    assert_non_null(strstr(res.reasons[0].message, "已获得 38 学分，还差 2 学分"));
    add(&r, "00229", "证据法学", "66", 4, 20230415);
    assert_int_equal(audit_run(&p, r.p, r.n, NULL, 0, &a, &res), 0);
    assert_true(res.complete);
    assert_int_equal(res.total_credits, 42);

    /* A shortfall already explained by a missing course is not repeated. */
    base(&r, "00169");
    add(&r, "00229", "证据法学", "66", 4, 20230415);
    assert_int_equal(audit_run(&p, r.p, r.n, NULL, 0, &a, &res), 0);
    assert_true(has_reason(&res, AUDIT_REASON_COURSE_MISSING, "00169"));
    assert_false(has_reason(&res, AUDIT_REASON_TOTAL_CREDITS, NULL));
    arena_destroy(&a);
}

static void test_audit_course_passed_twice_counts_once(void **state)
{
    struct arena a;
    arena_init(&a, 8192);
    struct record r;
    base(&r, NULL);
    add(&r, "00167", "劳动法", "88", 4, 20180414); /* a second, better pass */
    struct audit_result res;
    run(&r, NULL, 0, &a, &res);
    assert_true(res.complete);
    assert_string_equal(course(&res, "00167")->by, "00167_劳动法(88)");
    assert_int_equal(res.passes[r.n - 1].use, AUDIT_USE_DIRECT);
    assert_int_equal(res.passes[pass_index(&r, "00167")].use, AUDIT_USE_DUPLICATE);
    arena_destroy(&a);
}

static void test_audit_unknown_rule_and_not_passed_are_refused(void **state)
{
    struct arena a;
    arena_init(&a, 8192);
    struct record r;
    base(&r, "00169");
    struct audit_result res;
    struct audit_choice ch[] = {{"R99", NULL, 0, NULL}, {"R6", NULL, 0, "00169"}};
    run(&r, ch, 2, &a, &res);
    assert_int_equal(res.nrefusals, 2);
    assert_int_equal(res.refusals[0].code, AUDIT_REFUSE_RULE_UNKNOWN);
    assert_non_null(strstr(res.refusals[0].message, "R99"));
    assert_int_equal(res.refusals[1].code, AUDIT_REFUSE_NOT_PASSED);
    assert_string_equal(res.refusals[1].course, "14081");
    assert_string_equal(audit_refusal_name(res.refusals[1].code), "NOT_PASSED");
    arena_destroy(&a);
}

static void test_audit_old_card_pass_gets_notice(void **state)
{
    struct arena a;
    arena_init(&a, 8192);
    struct record r;
    base(&r, NULL);
    r.p[pass_index(&r, "00257")].source = AUDIT_SOURCE_OLD_CARD;
    struct audit_result res;
    run(&r, NULL, 0, &a, &res);
    assert_true(res.complete);
    assert_true(has_reason(&res, AUDIT_REASON_OLD_CARD, "00257"));
    arena_destroy(&a);
}

static void test_audit_same_input_same_output(void **state)
{
    struct arena a;
    arena_init(&a, 8192);
    struct record r;
    base(&r, "00015 00169 00262");
    add(&r, "14081", "侵权责任法", "65", 4, 20240413);
    add(&r, "13000", "英语(专升本)", "61", 7, 20240413);
    struct audit_result x, y;
    run(&r, NULL, 0, &a, &x);
    run(&r, NULL, 0, &a, &y);
    assert_int_equal(x.nreasons, y.nreasons);
    for (size_t i = 0; i < x.nreasons; i++) {
        assert_int_equal(x.reasons[i].code, y.reasons[i].code);
        assert_string_equal(x.reasons[i].message, y.reasons[i].message);
    }
    assert_string_equal(x.verdict, y.verdict);
    arena_destroy(&a);
}

/* Deterministic pseudo-random numbers for the property test. */
static unsigned lcg(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 16) & 0x7fff;
}

static void test_audit_random_records_use_each_course_once(void **state)
{
    static const char *const pool[] = {"03709", "00015", "00167", "00169", "00257", "00258",
                                       "00233", "00262", "00229", "13000", "19001", "14081",
                                       "00144", "10791", "02628", "00018"};
    static const char *const scores[] = {"60", "75", "99", "中", "免考"};
    static const char *const rule_ids[] = {"R1", "E2", "R5", "R6", "R9"};
    const size_t npool = sizeof(pool) / sizeof(pool[0]);
    unsigned seed = 20240413;
    for (int iter = 0; iter < 3000; iter++) {
        struct arena a;
        arena_init(&a, 8192);
        struct record r = {.n = 0};
        size_t n = lcg(&seed) % 24;
        for (size_t i = 0; i < n; i++)
            add(&r, pool[lcg(&seed) % npool], "课程", scores[lcg(&seed) % 5], (int)(lcg(&seed) % 8),
                lcg(&seed) % 2 ? 20231021 : 20240413);
        struct audit_choice ch[3];
        const char *src[3][4];
        size_t nch = lcg(&seed) % 4;
        for (size_t c = 0; c < nch; c++) {
            ch[c].rule_id = rule_ids[lcg(&seed) % 5];
            ch[c].nsources = lcg(&seed) % 5;
            for (size_t k = 0; k < ch[c].nsources; k++)
                src[c][k] = pool[lcg(&seed) % npool];
            ch[c].sources = src[c];
            ch[c].target = lcg(&seed) % 2 ? pool[lcg(&seed) % npool] : NULL;
        }
        struct audit_result res;
        assert_int_equal(audit_run(&plan, r.p, r.n, ch, nch, &a, &res), 0);

        /* A course code serves at most one use: a direct match, an automatic
         * substitution or one chosen substitution (whatever it meets). */
        const char *used_code[MAXP];
        const void *used_by[MAXP];
        size_t nused = 0;
        for (size_t i = 0; i < res.ncourses; i++) {
            const struct audit_course_result *cr = &res.courses[i];
            const void *event =
                cr->state == AUDIT_COURSE_CHOSEN ? (const void *)cr->rule : (const void *)cr;
            for (size_t k = 0; k < cr->npasses; k++) {
                const char *code = r.p[cr->passes[k]].code;
                for (size_t u = 0; u < nused; u++)
                    if (strcmp(used_code[u], code) == 0 && used_by[u] != event)
                        fail_msg("iteration %d: course %s used twice", iter, code);
                used_code[nused] = code;
                used_by[nused++] = event;
                assert_true(nused < MAXP);
            }
        }
        /* Credits add up, and the verdict follows from modules, total and refusals. */
        int total = 0;
        bool all = true;
        for (size_t m = 0; m < res.nmodules; m++) {
            int credits = 0;
            for (size_t c = 0; c < res.modules[m].ncourses; c++)
                credits += res.courses[res.modules[m].first_course + c].credits;
            assert_int_equal(credits, res.modules[m].credits);
            total += credits;
            all = all && res.modules[m].satisfied;
        }
        assert_int_equal(total, res.total_credits);
        assert_int_equal(res.complete, all && res.nrefusals == 0);
        assert_true(res.nreasons > 0);
        arena_destroy(&a);
    }
}

static void test_audit_rejects_malformed_plan_and_passes(void **state)
{
    char err[200];
    static const struct audit_course dup[] = {{"00015", "英语(二)", 14, false},
                                              {"00015", "英语(二)", 14, false}};
    static const struct audit_module m1[] = {{"基础课程", 0, dup, 2}};
    struct audit_plan p = {"030101K", "法学", "old", 0, m1, 1, NULL, 0};
    assert_int_equal(audit_plan_check(&p, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "00015 appears twice"));

    static const struct audit_rule bad[] = {
        {"X", AUDIT_RULE_ONE_TO_ONE, r5_src, 1, r5_tgt, 2, 0, 0}};
    struct audit_plan q = plan;
    q.rules = bad;
    q.nrules = 1;
    assert_int_equal(audit_plan_check(&q, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "shape"));
    assert_int_equal(audit_plan_check(&plan, err, sizeof(err)), 0);

    struct arena a;
    arena_init(&a, 4096);
    struct audit_result res;
    struct audit_pass badp = {"140105190311", "00015",          "英语(二)", "70", 14,
                              20230231,       AUDIT_SOURCE_EXAM};
    assert_int_equal(audit_run(&plan, &badp, 1, NULL, 0, &a, &res), -EINVAL);
    badp.passed_on = 20230228;
    badp.code = "0001-5";
    assert_int_equal(audit_run(&plan, &badp, 1, NULL, 0, &a, &res), -EINVAL);
    arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audit_full_record_is_complete),
        cmocka_unit_test(test_audit_course_used_twice_is_refused),
        cmocka_unit_test(test_audit_english2_needs_14_credits),
        cmocka_unit_test(test_audit_english2_hint_counts_unused_credits),
        cmocka_unit_test(test_audit_choice_may_take_an_elective_course),
        cmocka_unit_test(test_audit_one_to_one_applied_automatically),
        cmocka_unit_test(test_audit_substitution_needs_pass_from_2024_h1),
        cmocka_unit_test(test_audit_choose_one_needs_candidate_choice),
        cmocka_unit_test(test_audit_one_to_many_replaces_every_target),
        cmocka_unit_test(test_audit_elective_module_needs_min_credits),
        cmocka_unit_test(test_audit_plan_total_needs_min_credits),
        cmocka_unit_test(test_audit_course_passed_twice_counts_once),
        cmocka_unit_test(test_audit_unknown_rule_and_not_passed_are_refused),
        cmocka_unit_test(test_audit_old_card_pass_gets_notice),
        cmocka_unit_test(test_audit_same_input_same_output),
        cmocka_unit_test(test_audit_random_records_use_each_course_once),
        cmocka_unit_test(test_audit_rejects_malformed_plan_and_passes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
