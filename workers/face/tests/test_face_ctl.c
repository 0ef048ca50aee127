/*
 * test_face_ctl.c - `zikaoctl face` as operators see it: describe prints one
 * JSON line per image (faces with box, score and 68 landmarks, the largest
 * face's 128-value descriptor, milliseconds); compare prints the distance
 * and the decision under the [face] thresholds from the configuration.
 * Runs the real zikaoctl binary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "face_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

struct ctl_run {
    json_t *lines[8];
    int nlines;
    int status;
};

/* Runs `env ... zikaoctl face ARGS` and parses each stdout line as JSON. */
static void run_ctl(const char *env, const char *args, struct ctl_run *r)
{
    const char *models = face_test_env("ZIKAO_MODELS_DIR", FACE_TEST_DEFAULT_MODELS);
    char cmd[8192];
    snprintf(cmd, sizeof(cmd), "env ZIKAO_CONFIG= ZIKAO_PATHS_MODELS_DIR='%s' %s '%s' face %s",
             models, env, ZIKAOCTL_PATH, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    memset(r, 0, sizeof(*r));
    static char line[1 << 16];
    while (fgets(line, sizeof(line), p) != NULL && r->nlines < 8) {
        json_error_t jerr;
        r->lines[r->nlines] = json_loads(line, 0, &jerr);
        if (r->lines[r->nlines] == NULL)
            printf("not JSON: %s (%s)\n", line, jerr.text);
        assert_non_null(r->lines[r->nlines]);
        r->nlines++;
    }
    int st = pclose(p);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void free_run(struct ctl_run *r)
{
    for (int i = 0; i < r->nlines; i++)
        json_decref(r->lines[i]);
}

static void test_face_describe_prints_one_json_line_per_image(void **state)
{
    FACE_SKIP_WITHOUT_KIT(state);
    struct face_fixture *fx = *state;
    char args[4096];
    snprintf(args, sizeof(args), "describe '%s/reference/faces.jpg' '%s/reference/white.png'",
             fx->faces, fx->faces);
    struct ctl_run r;
    run_ctl("", args, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nlines, 2);

    json_t *a = r.lines[0];
    assert_non_null(strstr(json_string_value(json_object_get(a, "file")), "faces.jpg"));
    json_t *faces = json_object_get(a, "faces");
    assert_int_equal(json_array_size(faces), 6);
    float prev_area = 1e9f;
    for (size_t i = 0; i < 6; i++) {
        json_t *f = json_array_get(faces, i);
        json_t *box = json_object_get(f, "box");
        float area = (float)(json_number_value(json_object_get(box, "width")) *
                             json_number_value(json_object_get(box, "height")));
        assert_true(area <= prev_area); /* largest face first */
        prev_area = area;
        assert_true(json_number_value(json_object_get(f, "score")) > 0.5);
        json_t *lm = json_object_get(f, "landmarks");
        assert_int_equal(json_array_size(lm), FACE_LANDMARKS);
        assert_int_equal(json_array_size(json_array_get(lm, 0)), 2);
    }
    assert_int_equal(json_array_size(json_object_get(a, "descriptor")), FACE_DESCRIPTOR);
    assert_true(json_is_number(json_object_get(a, "ms")));

    json_t *b = r.lines[1];
    assert_int_equal(json_array_size(json_object_get(b, "faces")), 0);
    assert_true(json_is_null(json_object_get(b, "descriptor")));
    free_run(&r);
}

static void test_face_describe_reports_an_unreadable_file_and_exits_1(void **state)
{
    FACE_SKIP_WITHOUT_KIT(state);
    struct ctl_run r;
    run_ctl("", "describe /nonexistent/photo.jpg", &r);
    assert_int_equal(r.status, 1);
    assert_int_equal(r.nlines, 1);
    assert_non_null(json_object_get(r.lines[0], "error"));
    free_run(&r);
}

static const char *decision_of(struct face_fixture *fx, const char *env, const char *a,
                               const char *b, float *distance)
{
    char args[4096];
    snprintf(args, sizeof(args), "compare --cropped '%s/identities/%s' '%s/identities/%s'",
             fx->faces, a, fx->faces, b);
    struct ctl_run r;
    run_ctl(env, args, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nlines, 1);
    static char decision[16];
    snprintf(decision, sizeof(decision), "%s",
             json_string_value(json_object_get(r.lines[0], "decision")));
    *distance = (float)json_number_value(json_object_get(r.lines[0], "distance"));
    printf("%s vs %s: distance %.4f -> %s\n", a, b, *distance, decision);
    free_run(&r);
    return decision;
}

static void test_face_compare_passes_the_same_person_and_fails_another(void **state)
{
    FACE_SKIP_WITHOUT_KIT(state);
    struct face_fixture *fx = *state;
    float d;
    assert_string_equal(decision_of(fx, "", "sheldon/sheldon1.png", "sheldon/sheldon2.png", &d),
                        "pass");
    assert_string_equal(decision_of(fx, "", "sheldon/sheldon1.png", "amy/amy2.png", &d), "fail");
}

static void test_face_compare_follows_the_configured_thresholds(void **state)
{
    FACE_SKIP_WITHOUT_KIT(state);
    struct face_fixture *fx = *state;
    float d;
    /* The same pair, with the automatic-pass threshold below its distance. */
    const char *dec = decision_of(fx, "ZIKAO_FACE_PASS_THRESHOLD_MILLI=100", "sheldon/sheldon1.png",
                                  "sheldon/sheldon2.png", &d);
    assert_true(d > 0.1f && d <= 0.7f);
    assert_string_equal(dec, "review");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_face_describe_prints_one_json_line_per_image),
        cmocka_unit_test(test_face_describe_reports_an_unreadable_file_and_exits_1),
        cmocka_unit_test(test_face_compare_passes_the_same_person_and_fails_another),
        cmocka_unit_test(test_face_compare_follows_the_configured_thresholds),
    };
    return cmocka_run_group_tests(tests, face_fixture_setup, face_fixture_teardown);
}
