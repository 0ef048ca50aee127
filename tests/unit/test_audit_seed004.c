/*
 * test_audit_seed004.c - seed 004 (天津 考生服务平台, 毕业申请 5-6) reproduced:
 * the candidate's passed courses (确认成绩信息) audited against the 030101K
 * 法学 plan of schema/data/academic get the seed's verdict and its 是否使用
 * column; the same record without one course is told that course and its
 * module.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "audit.h"
#include "audit_import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a data file of AUDIT_DATA_DIR into im; every line must be accepted. */
static void load(struct audit_import *im, enum audit_import_kind kind, const char *file)
{
    char path[512], line[4096], why[256];
    snprintf(path, sizeof(path), "%s/%s", AUDIT_DATA_DIR, file);
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        fail_msg("cannot open %s", path);
    audit_import_init(im, kind);
    size_t n = 0;
    while (fgets(line, sizeof(line), fp) != NULL) {
        size_t len = strcspn(line, "\n");
        if (audit_import_line(im, ++n, line, len, why, sizeof(why)) < 0)
            fail_msg("%s:%zu: %s", path, n, why);
    }
    fclose(fp);
}

/* Seed 004, 确认成绩信息 (13 rows as printed; "0506" stored as 02628, see
 * courses.csv), then the three courses only the plan table shows. */
static const struct {
    const char *exam_id, *code, *name, *score;
    int credits;
    bool used; /* 是否使用 */
} seed[] = {
    {"080105408130", "13000", "英语(专升本)", "61", 7, true},
    {"010123100003", "13144", "犯罪学", "72", 6, true},
    {"080105408130", "00144", "企业管理概论", "68", 5, false},
    {"080105408130", "00226", "知识产权法", "81", 4, true},
    {"010123100003", "00249", "国际私法", "68", 4, true},
    {"080105408130", "00227", "公司法", "78", 4, true},
    {"080105408130", "00247", "国际法", "70", 6, true},
    {"080105408130", "13749", "环境资源法学", "91", 4, true},
    {"080105408130", "10791", "建筑抗震设计", "79", 4, false},
    {"080105408130", "14850", "法学(本科)毕业论文", "75", 0, true},
    {"010123100003", "02628", "管理经济学", "69", 5, false},
    {"080105408130", "13702", "国际经济法", "68", 6, true},
    {"080105408130", "03709", "马克思主义基本原理概论", "84", 4, true},
    {"080105408130", "03708", "中国近现代史纲要", "中", 2, true},
    {"080105408130", "00230", "合同法", "72", 5, true},
    {"080105408130", "14081", "侵权责任法", "65", 4, true},
};
#define NSEED (sizeof(seed) / sizeof(seed[0]))

struct fixture {
    struct audit_import plans, rules;
    struct arena arena;
    struct audit_plan plan;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    load(&f->plans, AUDIT_IMPORT_PLANS, "plans.csv");
    load(&f->rules, AUDIT_IMPORT_RULES, "rules.csv");
    arena_init(&f->arena, 16384);
    char err[256];
    if (audit_plan_from_rows(f->plans.rows.plans, f->plans.nrows, f->rules.rows.rules,
                             f->rules.nrows, "030101K", "法学", "new", &f->arena, &f->plan, err,
                             sizeof(err)) != 0)
        fail_msg("plan: %s", err);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    audit_import_free(&f->plans);
    audit_import_free(&f->rules);
    arena_destroy(&f->arena);
    free(f);
    return 0;
}

/* The seed's record, leaving out the course `without` (NULL: none). */
static size_t record(struct audit_pass *p, const char *without)
{
    size_t n = 0;
    for (size_t i = 0; i < NSEED; i++)
        if (without == NULL || strcmp(seed[i].code, without) != 0)
            p[n++] =
                (struct audit_pass){seed[i].exam_id, seed[i].code, seed[i].name,     seed[i].score,
                                    seed[i].credits, 20231022,     AUDIT_SOURCE_EXAM};
    return n;
}

static void test_audit_seed004_complete_record_gets_seed_verdict(void **state)
{
    struct fixture *f = *state;
    struct audit_pass p[NSEED];
    size_t n = record(p, NULL);
    struct audit_result res;
    assert_int_equal(audit_run(&f->plan, p, n, NULL, 0, &f->arena, &res), 0);
    assert_true(res.complete);
    assert_string_equal(res.verdict, "专业：030101K_法学 已完成毕业所需课程，可以申请毕业！");
    assert_int_equal(res.nrefusals, 0);
    assert_int_equal(res.nsubstitutions, 0);
    /* 是否使用, row by row as the seed prints it. */
    for (size_t i = 0; i < n; i++) {
        if (seed[i].used != (res.passes[i].use != AUDIT_USE_NONE))
            fail_msg("%s: used=%d, seed says %d", seed[i].code, res.passes[i].use != 0,
                     seed[i].used);
    }
    /* 专业计划完成情况, module 基础课程 rows 1-9: each met, by its own pass. */
    static const char *const rows[] = {"03708", "03709", "13000", "00247", "13702",
                                       "00230", "00227", "14081", "00226"};
    assert_string_equal(res.modules[0].module->name, "基础课程");
    assert_int_equal(res.modules[0].ncourses, 9);
    for (size_t i = 0; i < 9; i++) {
        const struct audit_course_result *c = &res.courses[res.modules[0].first_course + i];
        assert_string_equal(c->course->code, rows[i]);
        assert_int_equal(c->state, AUDIT_COURSE_PASSED);
        assert_string_equal(p[c->passes[0]].code, rows[i]);
    }
    assert_string_equal(res.courses[0].by, "03708_中国近现代史纲要(中)");
    assert_int_equal(res.modules[0].credits, 42);
    assert_true(res.modules[0].satisfied);
    for (size_t m = 0; m < res.nmodules; m++)
        assert_true(res.modules[m].satisfied);
    assert_int_equal(res.total_credits, 56);
}

static void test_audit_seed004_without_14081_names_course_and_module(void **state)
{
    struct fixture *f = *state;
    struct audit_pass p[NSEED];
    size_t n = record(p, "14081");
    struct audit_result res;
    assert_int_equal(audit_run(&f->plan, p, n, NULL, 0, &f->arena, &res), 0);
    assert_false(res.complete);
    assert_non_null(strstr(res.verdict, "尚未完成毕业所需课程"));
    size_t missing = 0;
    for (size_t i = 0; i < res.nreasons; i++) {
        const struct audit_reason *r = &res.reasons[i];
        if (r->code == AUDIT_REASON_COURSE_MISSING) {
            missing++;
            assert_string_equal(r->module, "基础课程");
            assert_string_equal(r->course, "14081");
            assert_string_equal(r->message,
                                "模块「基础课程」缺少必考课程 14081 侵权责任法（4学分），尚未合格");
        }
        /* Nothing else is reported as failing. */
        assert_true(r->code == AUDIT_REASON_COURSE_MISSING || r->code == AUDIT_REASON_HINT);
    }
    assert_int_equal(missing, 1);
    assert_false(res.modules[0].satisfied);
    assert_int_equal(res.modules[0].missing_required, 1);
    for (size_t m = 1; m < res.nmodules; m++)
        assert_true(res.modules[m].satisfied);
}

static void test_audit_seed004_without_elective_names_module(void **state)
{
    struct fixture *f = *state;
    struct audit_pass p[NSEED];
    size_t n = record(p, "13144");
    struct audit_result res;
    assert_int_equal(audit_run(&f->plan, p, n, NULL, 0, &f->arena, &res), 0);
    assert_false(res.complete);
    bool found = false;
    for (size_t i = 0; i < res.nreasons; i++)
        if (res.reasons[i].code == AUDIT_REASON_MODULE_CREDITS) {
            assert_string_equal(res.reasons[i].module, "选修课程");
            assert_non_null(strstr(res.reasons[i].message, "至少需要 6 学分，已获得 0 学分"));
            found = true;
        }
    assert_true(found);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audit_seed004_complete_record_gets_seed_verdict),
        cmocka_unit_test(test_audit_seed004_without_14081_names_course_and_module),
        cmocka_unit_test(test_audit_seed004_without_elective_names_module),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
