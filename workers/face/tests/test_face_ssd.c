/*
 * test_face_ssd.c - the C port of SSD MobileNet v1 reproduces face-api.js.
 *
 * Two references, as for the other networks (test_face_parity.c):
 * (1) tests/data/face_api_reference.json, section "ssd": every detection
 * above 0.3 that @vladmandic/face-api 1.7.15 (tfjs 4.22, wasm backend)
 * finds with the same weights on the same decoded pixels of the kit's
 * group pictures, white.png and bbt1.jpg mirrored (make_reference.cjs);
 * the port must find the same faces, in the same order, to a hundredth of
 * a pixel and a thousandth of a score. (2) The expectations of face-api.js's
 * own SSD test on faces.jpg (test/tests/ssdMobilenetv1/expectedBoxes.ts and
 * ssdMobilenetv1.locateFaces.test.ts of justadudewhohacks/face-api.js):
 * six faces above 0.5 and four above 0.7, scores within 0.05 and boxes
 * within 5 px (4 px above 0.7) of the values listed there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "face_test_util.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#define NODE_BOX_TOLERANCE   0.01f
#define NODE_SCORE_TOLERANCE 0.001f

static json_t *node_ssd(void)
{
    json_error_t jerr;
    json_t *j = json_load_file(FACE_TEST_DATA_DIR "/face_api_reference.json", 0, &jerr);
    if (j == NULL)
        printf("cannot read %s: %s\n", FACE_TEST_DATA_DIR "/face_api_reference.json", jerr.text);
    assert_non_null(j);
    return j;
}

/* Mirrors img left to right in place (tf.reverse over the width axis). */
static void mirror(struct face_image *img)
{
    for (int y = 0; y < img->height; y++) {
        uint8_t *row = img->rgb + (size_t)y * img->width * 3;
        for (int a = 0, b = img->width - 1; a < b; a++, b--)
            for (int c = 0; c < 3; c++) {
                uint8_t t = row[a * 3 + c];
                row[a * 3 + c] = row[b * 3 + c];
                row[b * 3 + c] = t;
            }
    }
}

static void test_face_ssd_matches_face_api_on_every_reference_image(void **state)
{
    FACE_SKIP_WITHOUT_KIT(state);
    struct face_fixture *fx = *state;
    assert_true(face_engine_has_ssd(fx->eng));
    json_t *root = node_ssd();
    json_t *ssd = json_object_get(root, "ssd");
    float conf = (float)json_number_value(json_object_get(ssd, "min_confidence"));
    json_t *images = json_object_get(ssd, "images");
    assert_true(json_object_size(images) >= 8);
    const char *key;
    json_t *want;
    float worst_box = 0, worst_score = 0;
    int total = 0;
    json_object_foreach(images, key, want)
    {
        char name[64], rel[96];
        snprintf(name, sizeof(name), "%s", key);
        char *how = strchr(name, ':');
        if (how != NULL)
            *how++ = '\0';
        snprintf(rel, sizeof(rel), "%s%s", strncmp(name, "bbt", 3) == 0 ? "" : "reference/", name);
        struct face_image img;
        face_test_image(fx, rel, &img);
        if (how != NULL && strcmp(how, "mirrored") == 0)
            mirror(&img);
        struct face_detection det[32];
        int n = face_detect_ssd(fx->eng, &img, conf, det, 32);
        printf("%s: %d faces above %.2f (face-api: %zu)\n", key, n, (double)conf,
               json_array_size(want));
        assert_int_equal(n, (int)json_array_size(want));
        for (int i = 0; i < n; i++) {
            json_t *w = json_array_get(want, (size_t)i), *b = json_object_get(w, "box");
            float v[4] = {det[i].box.x, det[i].box.y, det[i].box.width, det[i].box.height};
            for (int k = 0; k < 4; k++)
                worst_box =
                    fmaxf(worst_box, fabsf(v[k] - (float)json_number_value(json_array_get(b, k))));
            worst_score =
                fmaxf(worst_score,
                      fabsf(det[i].score - (float)json_number_value(json_object_get(w, "score"))));
        }
        total += n;
        face_image_free(&img);
    }
    json_decref(root);
    printf("SSD vs face-api 1.7.15 over %d faces: boxes %.5f px (tolerance %.2f), scores %.6f "
           "(tolerance %.3f)\n",
           total, (double)worst_box, (double)NODE_BOX_TOLERANCE, (double)worst_score,
           (double)NODE_SCORE_TOLERANCE);
    assert_true(worst_box < NODE_BOX_TOLERANCE);
    assert_true(worst_score < NODE_SCORE_TOLERANCE);
}

/*
 * face-api.js's expectedSsdBoxes for faces.jpg, ordered by the distance of
 * their top-left corner from the origin, with the scores its test expects
 * at minConfidence 0.5 (-1: not expected above 0.7).
 */
static const struct {
    float x, y, w, h, score, score_above_07;
} js_expected[6] = {
    {84, 14, 79, 132, 0.54f, -1},      {234, 36, 84, 119, 0.81f, 0.81f},
    {48, 253, 104, 129, 0.97f, 0.97f}, {260, 227, 76, 117, 0.88f, 0.88f},
    {466, 165, 88, 130, 0.84f, 0.84f}, {577, 65, 84, 105, 0.61f, -1},
};

static int by_corner_distance(const void *a, const void *b)
{
    const struct face_detection *p = a, *q = b;
    float dp = hypotf(p->box.x, p->box.y), dq = hypotf(q->box.x, q->box.y);
    return dp < dq ? -1 : dp > dq ? 1 : 0;
}

static void check_js_expectations(const struct face_fixture *fx, float conf, int want_n,
                                  float box_tolerance)
{
    struct face_image img;
    face_test_image(fx, "reference/faces.jpg", &img);
    struct face_detection det[16];
    int n = face_detect_ssd(fx->eng, &img, conf, det, 16);
    printf("faces.jpg: %d faces above %.1f (face-api.js expects %d)\n", n, (double)conf, want_n);
    assert_int_equal(n, want_n);
    qsort(det, (size_t)n, sizeof(det[0]), by_corner_distance);
    int k = 0;
    for (int i = 0; i < 6; i++) {
        float score = conf < 0.7f ? js_expected[i].score : js_expected[i].score_above_07;
        if (score < 0)
            continue;
        const struct face_detection *d = &det[k++];
        float dbox = fmaxf(
            fmaxf(fabsf(d->box.x - js_expected[i].x), fabsf(d->box.y - js_expected[i].y)),
            fmaxf(fabsf(d->box.width - js_expected[i].w), fabsf(d->box.height - js_expected[i].h)));
        printf("  (%.1f, %.1f, %.1f, %.1f) score %.3f: box %.2f px, score %.3f from face-api.js\n",
               (double)d->box.x, (double)d->box.y, (double)d->box.width, (double)d->box.height,
               (double)d->score, (double)dbox, (double)fabsf(d->score - score));
        assert_true(dbox < box_tolerance);
        assert_true(fabsf(d->score - score) < 0.05f);
    }
    face_image_free(&img);
}

static void test_face_ssd_finds_the_six_faces_face_api_js_expects_above_half(void **state)
{
    FACE_SKIP_WITHOUT_KIT(state);
    check_js_expectations(*state, 0.5f, 6, 5.0f);
}

static void test_face_ssd_finds_the_four_faces_face_api_js_expects_above_0_7(void **state)
{
    FACE_SKIP_WITHOUT_KIT(state);
    check_js_expectations(*state, 0.7f, 4, 4.0f);
}

static void test_face_ssd_finds_no_face_in_white_image_and_checks_arguments(void **state)
{
    FACE_SKIP_WITHOUT_KIT(state);
    struct face_fixture *fx = *state;
    struct face_image img;
    face_test_image(fx, "reference/white.png", &img);
    struct face_detection det[4];
    assert_int_equal(face_detect_ssd(fx->eng, &img, 0.5f, det, 4), 0);
    assert_int_equal(face_detect_ssd(fx->eng, &img, 0.0f, det, 4), -EINVAL);
    assert_int_equal(face_detect_ssd(fx->eng, &img, 1.0f, det, 4), -EINVAL);
    assert_int_equal(face_detect_ssd(NULL, &img, 0.5f, det, 4), -EINVAL);
    face_image_free(&img);
}

/* More faces than cap: the count says how many, only cap are written. */
static void test_face_ssd_counts_faces_beyond_cap(void **state)
{
    FACE_SKIP_WITHOUT_KIT(state);
    struct face_fixture *fx = *state;
    struct face_image img;
    face_test_image(fx, "reference/faces.jpg", &img);
    struct face_detection det[3] = {0};
    assert_int_equal(face_detect_ssd(fx->eng, &img, 0.5f, det, 2), 6);
    assert_true(det[1].score > 0.5f);
    assert_true(det[2].score == 0.0f);
    face_image_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_face_ssd_matches_face_api_on_every_reference_image),
        cmocka_unit_test(test_face_ssd_finds_the_six_faces_face_api_js_expects_above_half),
        cmocka_unit_test(test_face_ssd_finds_the_four_faces_face_api_js_expects_above_0_7),
        cmocka_unit_test(test_face_ssd_finds_no_face_in_white_image_and_checks_arguments),
        cmocka_unit_test(test_face_ssd_counts_faces_beyond_cap),
    };
    return cmocka_run_group_tests(tests, face_fixture_setup, face_fixture_teardown);
}
