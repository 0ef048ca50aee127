/*
 * test_audit_json.c - the audit result as JSON shows what seed 004's screens
 * show (合格课程 column, 是否使用 column, verdict), and chosen substitutions
 * are read from a request body with bad elements named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "audit.h"
#include "audit_import.h"
#include "audit_json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void load(struct audit_import *im, enum audit_import_kind kind, const char *file)
{
    char path[512], line[4096], why[256];
    snprintf(path, sizeof(path), "%s/%s", AUDIT_DATA_DIR, file);
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        fail_msg("cannot open %s", path);
    audit_import_init(im, kind);
    size_t n = 0;
    while (fgets(line, sizeof(line), fp) != NULL)
        if (audit_import_line(im, ++n, line, strcspn(line, "\n"), why, sizeof(why)) < 0)
            fail_msg("%s:%zu: %s", path, n, why);
    fclose(fp);
}

static void test_audit_json_shows_seed004_screens(void **state)
{
    struct audit_import plans, rules, scores;
    load(&plans, AUDIT_IMPORT_PLANS, "plans.csv");
    load(&rules, AUDIT_IMPORT_RULES, "rules.csv");
    load(&scores, AUDIT_IMPORT_SCORES, "scores.csv");
    struct arena a;
    arena_init(&a, 16384);
    struct audit_plan plan;
    char err[256];
    assert_int_equal(audit_plan_from_rows(plans.rows.plans, plans.nrows, rules.rows.rules,
                                          rules.nrows, "030101K", "法学", "new", &a, &plan, err,
                                          sizeof(err)),
                     0);
    struct audit_pass *p;
    size_t np = audit_passes_from_rows(scores.rows.scores, scores.nrows, 9000001, &a, &p);
    struct audit_result res;
    assert_int_equal(audit_run(&plan, p, np, NULL, 0, &a, &res), 0);
    json_t *j = audit_result_json(&plan, p, np, &res);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "verdict")),
                        "专业：030101K_法学 已完成毕业所需课程，可以申请毕业！");
    assert_true(json_is_true(json_object_get(j, "complete")));
    json_t *m0 = json_array_get(json_object_get(j, "modules"), 0);
    assert_string_equal(json_string_value(json_object_get(m0, "name")), "基础课程");
    json_t *c2 = json_array_get(json_object_get(m0, "courses"), 1);
    assert_int_equal(json_integer_value(json_object_get(c2, "seq")), 2);
    assert_string_equal(json_string_value(json_object_get(c2, "by")),
                        "03709_马克思主义基本原理概论(84)");
    assert_string_equal(json_string_value(json_object_get(c2, "state")), "passed");
    /* 确认成绩信息 row 3: 00144 企业管理概论 68 5 否. */
    json_t *p3 = json_array_get(json_object_get(j, "passes"), 2);
    assert_string_equal(json_string_value(json_object_get(p3, "course_code")), "00144");
    assert_string_equal(json_string_value(json_object_get(p3, "exam_id")), "080105408130");
    assert_true(json_is_false(json_object_get(p3, "used")));
    assert_true(json_is_null(json_object_get(p3, "for_course")));
    json_t *p1 = json_array_get(json_object_get(j, "passes"), 0);
    assert_true(json_is_true(json_object_get(p1, "used")));
    assert_string_equal(json_string_value(json_object_get(p1, "for_course")), "13000");
    json_decref(j);
    arena_destroy(&a);
    audit_import_free(&plans);
    audit_import_free(&rules);
    audit_import_free(&scores);
}

static void test_audit_json_reads_choices_and_names_bad_ones(void **state)
{
    struct arena a;
    arena_init(&a, 4096);
    char err[200];
    struct audit_choice *ch;
    json_t *ok = json_loads("[{\"rule\":\"E2\",\"sources\":[\"00144\",\"10791\",\"02628\"]},"
                            "{\"rule\":\"R6\",\"sources\":[\"14081\"],\"target\":\"00169\"},"
                            "{\"rule\":\"R5\"}]",
                            0, NULL);
    assert_int_equal(audit_choices_from_json(ok, &a, &ch, err, sizeof(err)), 3);
    json_decref(ok); /* choices are copies */
    assert_string_equal(ch[0].rule_id, "E2");
    assert_int_equal(ch[0].nsources, 3);
    assert_string_equal(ch[0].sources[2], "02628");
    assert_string_equal(ch[1].target, "00169");
    assert_int_equal(ch[2].nsources, 0);
    assert_null(ch[2].target);

    json_t *bad =
        json_loads("[{\"rule\":\"E2\",\"sources\":[\"00144\"]},{\"sources\":[]}]", 0, NULL);
    assert_int_equal(audit_choices_from_json(bad, &a, &ch, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "substitutions[1]"));
    json_decref(bad);
    bad = json_loads("[{\"rule\":\"E2\",\"sources\":[14]}]", 0, NULL);
    assert_int_equal(audit_choices_from_json(bad, &a, &ch, err, sizeof(err)), -EINVAL);
    json_decref(bad);
    bad = json_loads("{\"rule\":\"E2\"}", 0, NULL);
    assert_int_equal(audit_choices_from_json(bad, &a, &ch, err, sizeof(err)), -EINVAL);
    json_decref(bad);
    assert_int_equal(audit_choices_from_json(NULL, &a, &ch, err, sizeof(err)), 0);
    arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audit_json_shows_seed004_screens),
        cmocka_unit_test(test_audit_json_reads_choices_and_names_bad_ones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
