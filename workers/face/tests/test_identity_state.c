/*
 * test_identity_state.c - the identity-verification decision as a pure
 * function: which face pairs an attempt must match, the findings of a photo
 * check, and the attempt's state and reasons (identity_decide).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "identity.h"

#include <string.h>

#define PHOTO(o, r) ((struct identity_finding){false, (o), (r)})
#define FACE(o, r)  ((struct identity_finding){true, (o), (r)})

static json_t *reasons;

static int setup(void **state)
{
    (void)state;
    reasons = json_array();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    json_decref(reasons);
    return 0;
}

static const char *reason(size_t i)
{
    return json_string_value(json_array_get(reasons, i));
}

static void test_pairs_shanxi_new_match_registration_idcard_and_both_holding_faces(void **state)
{
    (void)state;
    bool have[IDENTITY_KINDS] = {true, true, true};
    struct identity_pair p[IDENTITY_PAIRS_MAX];
    assert_int_equal(identity_pairs(have, p), 3);
    assert_string_equal(p[0].name, "registration~idcard");
    assert_string_equal(p[1].name, "holding_person~registration");
    assert_int_equal(p[1].a_role, IDENTITY_FACE_PERSON);
    assert_int_equal(p[1].b, IDENTITY_REGISTRATION);
    assert_string_equal(p[2].name, "holding_card~registration");
    assert_int_equal(p[2].a_role, IDENTITY_FACE_CARD);
}

static void test_pairs_enrolled_without_registration_match_holding_against_idcard(void **state)
{
    (void)state;
    bool have[IDENTITY_KINDS] = {false, true, true};
    struct identity_pair p[IDENTITY_PAIRS_MAX];
    assert_int_equal(identity_pairs(have, p), 2);
    assert_string_equal(p[0].name, "holding_person~idcard");
    assert_string_equal(p[1].name, "holding_card~idcard");
    assert_int_equal(p[1].b, IDENTITY_IDCARD);
}

static void test_pairs_tianjin_match_registration_against_idcard_only(void **state)
{
    (void)state;
    bool have[IDENTITY_KINDS] = {true, true, false};
    struct identity_pair p[IDENTITY_PAIRS_MAX];
    assert_int_equal(identity_pairs(have, p), 1);
    assert_string_equal(p[0].name, "registration~idcard");
    bool alone[IDENTITY_KINDS] = {false, true, false};
    assert_int_equal(identity_pairs(alone, p), 0);
}

static void test_attempt_pending_while_a_photo_check_has_no_result(void **state)
{
    (void)state;
    struct identity_finding f[] = {PHOTO(IDENTITY_OUT_PASSED, NULL),
                                   PHOTO(IDENTITY_OUT_PENDING, NULL),
                                   FACE(IDENTITY_OUT_PASSED, NULL)};
    assert_int_equal(identity_decide(f, 3, reasons), IDENTITY_PENDING);
    assert_int_equal(json_array_size(reasons), 0);
}

static void test_attempt_pending_while_face_pending_even_if_a_photo_failed(void **state)
{
    (void)state;
    struct identity_finding f[] = {PHOTO(IDENTITY_OUT_FAILED, "报名照片（背景颜色）：..."),
                                   FACE(IDENTITY_OUT_PENDING, NULL)};
    assert_int_equal(identity_decide(f, 2, reasons), IDENTITY_PENDING);
    assert_int_equal(json_array_size(reasons), 0);
}

static void test_attempt_passes_when_every_photo_and_pair_passed(void **state)
{
    (void)state;
    struct identity_finding f[] = {
        PHOTO(IDENTITY_OUT_PASSED, NULL), PHOTO(IDENTITY_OUT_PASSED, NULL),
        PHOTO(IDENTITY_OUT_PASSED, NULL), FACE(IDENTITY_OUT_PASSED, "同一人"),
        FACE(IDENTITY_OUT_PASSED, NULL),  FACE(IDENTITY_OUT_PASSED, NULL)};
    assert_int_equal(identity_decide(f, 6, reasons), IDENTITY_PASSED);
    assert_int_equal(json_array_size(reasons), 0);
}

static void test_attempt_fails_when_a_face_pair_fails_with_its_reason(void **state)
{
    (void)state;
    struct identity_finding f[] = {PHOTO(IDENTITY_OUT_PASSED, NULL),
                                   PHOTO(IDENTITY_OUT_PASSED, NULL),
                                   FACE(IDENTITY_OUT_FAILED, "人脸比对未通过：不是同一人")};
    assert_int_equal(identity_decide(f, 3, reasons), IDENTITY_FAILED);
    assert_int_equal(json_array_size(reasons), 1);
    assert_string_equal(reason(0), "人脸比对未通过：不是同一人");
}

static void test_failure_outweighs_review_and_lists_only_failures(void **state)
{
    (void)state;
    struct identity_finding f[] = {PHOTO(IDENTITY_OUT_FAILED, "照片A（清晰度）：不够清晰"),
                                   FACE(IDENTITY_OUT_REVIEW, "需人工审核"),
                                   FACE(IDENTITY_OUT_FAILED, "不是同一人")};
    assert_int_equal(identity_decide(f, 3, reasons), IDENTITY_FAILED);
    assert_int_equal(json_array_size(reasons), 2);
    assert_string_equal(reason(0), "照片A（清晰度）：不够清晰");
    assert_string_equal(reason(1), "不是同一人");
}

static void test_review_when_nothing_failed_but_a_pair_is_in_the_review_band(void **state)
{
    (void)state;
    struct identity_finding f[] = {PHOTO(IDENTITY_OUT_PASSED, NULL),
                                   FACE(IDENTITY_OUT_PASSED, NULL),
                                   FACE(IDENTITY_OUT_REVIEW, "人脸比对需人工审核")};
    assert_int_equal(identity_decide(f, 3, reasons), IDENTITY_REVIEW);
    assert_int_equal(json_array_size(reasons), 1);
    assert_string_equal(reason(0), "人脸比对需人工审核");
}

static void test_attempt_without_face_pairs_never_passes(void **state)
{
    (void)state;
    struct identity_finding f[] = {PHOTO(IDENTITY_OUT_PASSED, NULL)};
    assert_int_equal(identity_decide(f, 1, reasons), IDENTITY_FAILED);
    assert_int_equal(json_array_size(reasons), 1);
    assert_non_null(strstr(reason(0), "缺少"));
    json_array_clear(reasons);
    assert_int_equal(identity_decide(NULL, 0, reasons), IDENTITY_FAILED);
}

static void test_same_reason_from_two_pairs_is_listed_once(void **state)
{
    (void)state;
    struct identity_finding f[] = {PHOTO(IDENTITY_OUT_PASSED, NULL),
                                   FACE(IDENTITY_OUT_FAILED, "手持身份证照中检测到 1 张人脸"),
                                   FACE(IDENTITY_OUT_FAILED, "手持身份证照中检测到 1 张人脸")};
    assert_int_equal(identity_decide(f, 3, reasons), IDENTITY_FAILED);
    assert_int_equal(json_array_size(reasons), 1);
}

static void test_failed_photo_gives_one_finding_per_failed_rule_naming_photo_and_rule(void **state)
{
    (void)state;
    json_t *rules = json_loads(
        "[{\"rule\":\"format\",\"verdict\":\"passed\",\"message\":\"格式正确\"},"
        "{\"rule\":\"background_colour\",\"verdict\":\"failed\",\"message\":\"背景为深灰色\"},"
        "{\"rule\":\"sharpness\",\"verdict\":\"failed\",\"message\":\"不够清晰\"},"
        "{\"rule\":\"eye_line\",\"verdict\":\"skipped\",\"message\":\"未检查\"}]",
        0, NULL);
    assert_non_null(rules);
    struct arena a;
    arena_init(&a, 1024);
    struct identity_finding f[8];
    assert_int_equal(identity_photo_findings("彩色证件照", "failed", rules, &a, f, 8), 2);
    assert_int_equal(f[0].outcome, IDENTITY_OUT_FAILED);
    assert_false(f[0].face);
    assert_string_equal(f[0].reason, "彩色证件照（背景颜色）：背景为深灰色");
    assert_string_equal(f[1].reason, "彩色证件照（清晰度）：不够清晰");
    f[2] = FACE(IDENTITY_OUT_PASSED, NULL);
    assert_int_equal(identity_decide(f, 3, reasons), IDENTITY_FAILED);
    assert_string_equal(reason(0), "彩色证件照（背景颜色）：背景为深灰色");
    json_decref(rules);
    arena_destroy(&a);
}

static void test_photo_check_without_result_or_rules_is_pending_or_generic(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 1024);
    struct identity_finding f[2];
    assert_int_equal(identity_photo_findings("报名照片", NULL, NULL, &a, f, 2), 1);
    assert_int_equal(f[0].outcome, IDENTITY_OUT_PENDING);
    assert_int_equal(identity_photo_findings("报名照片", "pending", NULL, &a, f, 2), 1);
    assert_int_equal(f[0].outcome, IDENTITY_OUT_PENDING);
    assert_int_equal(identity_photo_findings("报名照片", "passed", NULL, &a, f, 2), 1);
    assert_int_equal(f[0].outcome, IDENTITY_OUT_PASSED);
    /* failed with no failed rule recorded: still failed, with a reason */
    assert_int_equal(identity_photo_findings("报名照片", "failed", NULL, &a, f, 2), 1);
    assert_int_equal(f[0].outcome, IDENTITY_OUT_FAILED);
    assert_non_null(strstr(f[0].reason, "报名照片"));
    arena_destroy(&a);
}

static void test_kind_names_and_faces_expected(void **state)
{
    (void)state;
    assert_int_equal(identity_kind_parse("holding"), IDENTITY_HOLDING);
    assert_true(identity_kind_parse("graduation") < 0);
    assert_true(identity_kind_parse(NULL) < 0);
    assert_int_equal(identity_kind_faces(IDENTITY_HOLDING), 2);
    assert_int_equal(identity_kind_faces(IDENTITY_IDCARD), 1);
    assert_int_equal(identity_state_parse("review"), IDENTITY_REVIEW);
    assert_true(identity_state_parse("done") < 0);
    assert_string_equal(identity_rule_title("eye_line"), "眼睛位置");
}

/* What a rule measured, in words. */
static const char *measured(const char *json, char *out, size_t n)
{
    json_error_t e;
    json_t *r = json_loads(json, 0, &e);
    assert_non_null(r);
    const char *w = identity_rule_measured(r, out, n);
    json_decref(r);
    return w;
}

static void test_what_a_rule_measured_in_words(void **state)
{
    (void)state;
    char b[128];
    assert_string_equal(measured("{\"rule\":\"file_size\",\"value\":52163}", b, sizeof(b)),
                        "50.9KB");
    assert_string_equal(measured("{\"rule\":\"file_size\",\"value\":3145728}", b, sizeof(b)),
                        "3.00MB");
    assert_string_equal(measured("{\"rule\":\"format\",\"value\":\"png\"}", b, sizeof(b)),
                        "PNG 格式");
    assert_string_equal(measured("{\"rule\":\"dimensions\",\"value\":\"480x640\"}", b, sizeof(b)),
                        "宽 480 像素，高 640 像素");
    assert_string_equal(
        measured("{\"rule\":\"orientation\",\"value\":\"landscape\"}", b, sizeof(b)), "横向");
    assert_string_equal(measured("{\"rule\":\"background_colour\",\"value\":51.6}", b, sizeof(b)),
                        "与要求颜色的色差 51.6");
    assert_string_equal(measured("{\"rule\":\"exposure\",\"value\":0.062}", b, sizeof(b)),
                        "过亮或过暗像素 6.2%");
    assert_string_equal(measured("{\"rule\":\"eye_line\",\"value\":312}", b, sizeof(b)),
                        "距上边沿 312 像素");
    assert_string_equal(measured("{\"rule\":\"symmetry\",\"value\":0.08}", b, sizeof(b)),
                        "不对称度 0.08");
    assert_string_equal(measured("{\"rule\":\"face_count\",\"value\":2}", b, sizeof(b)),
                        "2 张人脸");
    assert_null(measured("{\"rule\":\"face_count\",\"value\":null}", b, sizeof(b)));
    assert_string_equal(b, "");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_pairs_shanxi_new_match_registration_idcard_and_both_holding_faces),
        T(test_pairs_enrolled_without_registration_match_holding_against_idcard),
        T(test_pairs_tianjin_match_registration_against_idcard_only),
        T(test_attempt_pending_while_a_photo_check_has_no_result),
        T(test_attempt_pending_while_face_pending_even_if_a_photo_failed),
        T(test_attempt_passes_when_every_photo_and_pair_passed),
        T(test_attempt_fails_when_a_face_pair_fails_with_its_reason),
        T(test_failure_outweighs_review_and_lists_only_failures),
        T(test_review_when_nothing_failed_but_a_pair_is_in_the_review_band),
        T(test_attempt_without_face_pairs_never_passes),
        T(test_same_reason_from_two_pairs_is_listed_once),
        T(test_failed_photo_gives_one_finding_per_failed_rule_naming_photo_and_rule),
        T(test_photo_check_without_result_or_rules_is_pending_or_generic),
        T(test_kind_names_and_faces_expected),
        T(test_what_a_rule_measured_in_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
