/*
 * test_photo_fixtures.c - every fixture written by tests/photo/photo_fixtures
 * against its expected verdict for every rule of its specification: a
 * compliant Tianjin registration photo passes everything, each fault fails
 * exactly the rule(s) named, and photos that cannot be read fail "decode"
 * with the pixel rules skipped, never passed.
 *
 * Needs ZIKAO_PHOTO_FIXTURES (set by ctest). Face fixtures are skipped with
 * "SKIP: kit not found" when the generator found no kit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "photo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <vips/vips.h>

static struct photo_specs specs;
static const char *dir;

struct fixture {
    const char *file;
    const char *profile, *kind;
    bool landmarks; /* feed NAME.landmarks.json as the face engine's output */
    bool needs_kit;
    const char *status;
    /* Every rule of the spec, in report order: "rule=verdict" with p
     * (passed), f (failed), n (pending), s (skipped). */
    const char *verdicts;
};

#define TJ_PASS_HEAD "format=p file_size=p decode=p rotation=p dimensions=p orientation=p "
#define TJ_PIXELS_OK "background_colour=p background_uniform=p sharpness=p exposure=p "
#define TJ_FACE_OK   "face_count=p head_top=p eye_line=p face_width=p face_centre=p symmetry=p"

static const struct fixture fixtures[] = {
    {"tj_ok.jpg", "tianjin", "registration", true, true, "passed",
     TJ_PASS_HEAD TJ_PIXELS_OK TJ_FACE_OK},
    {"tj_ok.jpg", "tianjin", "registration", false, true, "pending",
     TJ_PASS_HEAD TJ_PIXELS_OK
     "face_count=n head_top=n eye_line=n face_width=n face_centre=n symmetry=n"},
    {"tj_progressive.jpg", "tianjin", "registration", true, true, "passed",
     TJ_PASS_HEAD TJ_PIXELS_OK TJ_FACE_OK},
    {"tj_too_big.jpg", "tianjin", "registration", true, true, "failed",
     "format=p file_size=f decode=p rotation=p dimensions=p orientation=p " TJ_PIXELS_OK
         TJ_FACE_OK},
    {"tj_too_small.jpg", "tianjin", "registration", true, true, "failed",
     "format=p file_size=f decode=p rotation=p dimensions=p orientation=p " TJ_PIXELS_OK
         TJ_FACE_OK},
    {"tj_white_bg.jpg", "tianjin", "registration", true, true, "failed",
     TJ_PASS_HEAD "background_colour=f background_uniform=p sharpness=p exposure=p " TJ_FACE_OK},
    {"tj_grey_bg.jpg", "tianjin", "registration", true, true, "failed",
     TJ_PASS_HEAD "background_colour=f background_uniform=p sharpness=p exposure=p " TJ_FACE_OK},
    {"tj_border.jpg", "tianjin", "registration", true, true, "failed",
     TJ_PASS_HEAD "background_colour=p background_uniform=f sharpness=p exposure=p " TJ_FACE_OK},
    {"tj_blurred.jpg", "tianjin", "registration", true, true, "failed",
     TJ_PASS_HEAD "background_colour=p background_uniform=p sharpness=f exposure=p " TJ_FACE_OK},
    {"tj_overexposed.jpg", "tianjin", "registration", true, true, "failed",
     TJ_PASS_HEAD "background_colour=p background_uniform=p sharpness=p exposure=f " TJ_FACE_OK},
    {"tj_rotated.jpg", "tianjin", "registration", true, true, "failed",
     "format=p file_size=p decode=p rotation=f dimensions=p orientation=p " TJ_PIXELS_OK
         TJ_FACE_OK},
    {"tj_480x600.jpg", "tianjin", "registration", true, true, "failed",
     "format=p file_size=p decode=p rotation=p dimensions=f orientation=p " TJ_PIXELS_OK
         TJ_FACE_OK},
    {"tj_png.jpg", "tianjin", "registration", true, true, "failed",
     "format=f file_size=f decode=p rotation=p dimensions=p orientation=p " TJ_PIXELS_OK
         TJ_FACE_OK},
    {"tj_truncated.jpg", "tianjin", "registration", false, true, "failed",
     "format=p file_size=p decode=f rotation=p dimensions=p orientation=p "
     "background_colour=s background_uniform=s sharpness=s exposure=s "
     "face_count=s head_top=s eye_line=s face_width=s face_centre=s symmetry=s"},
    {"tj_head_high.jpg", "tianjin", "registration", true, true, "failed",
     TJ_PASS_HEAD TJ_PIXELS_OK
     "face_count=p head_top=f eye_line=p face_width=p face_centre=p symmetry=p"},
    {"tj_face_small.jpg", "tianjin", "registration", true, true, "failed",
     TJ_PASS_HEAD TJ_PIXELS_OK
     "face_count=p head_top=p eye_line=p face_width=f face_centre=p symmetry=p"},
    {"tj_off_centre.jpg", "tianjin", "registration", true, true, "failed",
     TJ_PASS_HEAD TJ_PIXELS_OK
     "face_count=p head_top=p eye_line=p face_width=p face_centre=f symmetry=p"},
    {"tj_low.jpg", "tianjin", "registration", true, true, "failed",
     TJ_PASS_HEAD TJ_PIXELS_OK
     "face_count=p head_top=f eye_line=f face_width=p face_centre=p symmetry=p"},
    {"tj_turned.jpg", "tianjin", "registration", true, true, "failed",
     TJ_PASS_HEAD TJ_PIXELS_OK
     "face_count=p head_top=p eye_line=p face_width=p face_centre=p symmetry=f"},
    {"fake_gif.jpg", "tianjin", "registration", false, false, "failed",
     "format=f file_size=f decode=s rotation=s dimensions=s orientation=s "
     "background_colour=s background_uniform=s sharpness=s exposure=s "
     "face_count=s head_top=s eye_line=s face_width=s face_centre=s symmetry=s"},
    {"bomb_60000.jpg", "tianjin", "registration", false, false, "failed",
     "format=p file_size=f decode=f rotation=p dimensions=f orientation=f "
     "background_colour=s background_uniform=s sharpness=s exposure=s "
     "face_count=s head_top=s eye_line=s face_width=s face_centre=s symmetry=s"},
    /* Shanxi: PNG and a white background are allowed. */
    {"sx_white_bg.jpg", "shanxi", "graduation", false, true, "pending",
     "format=p file_size=p decode=p rotation=p orientation=p " TJ_PIXELS_OK
     "face_count=n face_centre=n symmetry=n"},
    {"sx_white_bg.jpg", "shanxi", "graduation", true, true, "passed",
     "format=p file_size=p decode=p rotation=p orientation=p " TJ_PIXELS_OK
     "face_count=p face_centre=p symmetry=p"},
    {"tj_png.jpg", "shanxi", "graduation", true, true, "passed",
     "format=p file_size=p decode=p rotation=p orientation=p " TJ_PIXELS_OK
     "face_count=p face_centre=p symmetry=p"},
    {"bomb_100mp.png", "shanxi", "graduation", false, false, "failed",
     "format=p file_size=p decode=f rotation=p orientation=p "
     "background_colour=s background_uniform=s sharpness=s exposure=s "
     "face_count=s face_centre=s symmetry=s"},
    {"bomb_progressive.jpg", "shanxi", "holding", false, false, "failed",
     "format=p file_size=p decode=f rotation=p sharpness=s exposure=s face_count=s"},
    /* ID card portrait side. */
    {"id_ok.jpg", "tianjin", "idcard", false, true, "pending",
     "format=p file_size=p decode=p rotation=p orientation=p aspect=p sharpness=p exposure=p "
     "card_outline=p card_corners=p face_count=n"},
    {"id_tight.jpg", "tianjin", "idcard", false, true, "pending",
     "format=p file_size=p decode=p rotation=p orientation=p aspect=p sharpness=p exposure=p "
     "card_outline=p card_corners=p face_count=n"},
    {"id_cut.jpg", "tianjin", "idcard", false, true, "failed",
     "format=p file_size=p decode=p rotation=p orientation=p aspect=p sharpness=p exposure=p "
     "card_outline=s card_corners=f face_count=n"},
    {"id_stretched.jpg", "tianjin", "idcard", false, true, "failed",
     "format=p file_size=p decode=p rotation=p orientation=p aspect=f sharpness=p exposure=p "
     "card_outline=f card_corners=p face_count=n"},
    /* Exemption certificate: above 800x600. */
    {"cert_ok.jpg", "shanxi", "certificate", false, false, "passed",
     "format=p file_size=p decode=p rotation=p dimensions=p sharpness=p"},
    {"cert_800x600.jpg", "shanxi", "certificate", false, false, "failed",
     "format=p file_size=p decode=p rotation=p dimensions=f sharpness=p"},
};

static uint8_t *slurp(const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

static bool have_kit(void)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof(path), "%s/NO_KIT", dir);
    return stat(path, &st) != 0;
}

static void load_landmarks(const char *file, struct photo_face *face)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.landmarks.json", dir, file);
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    assert_non_null(j);
    assert_int_equal(photo_face_from_json(j, face), 0);
    json_decref(j);
}

/* "format=p file_size=f ..." of a result. */
static void verdict_string(const struct photo_result *res, char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < res->nverdicts; i++) {
        const struct photo_verdict_rec *v = &res->verdicts[i];
        static const char letters[] = {'p', 'f', 'n', 's'};
        used += (size_t)snprintf(out + used, n - used, "%s%s=%c", i ? " " : "",
                                 photo_rule_name(v->rule), letters[v->verdict]);
    }
}

static void check_fixture(const struct fixture *fx, struct photo_result *res)
{
    const struct photo_spec *spec = photo_spec_find(&specs, fx->profile, fx->kind);
    assert_non_null(spec);
    size_t len = 0;
    uint8_t *data = slurp(fx->file, &len);
    if (data == NULL)
        fail_msg("fixture %s/%s missing: run photo_fixtures", dir, fx->file);
    struct photo_face face;
    if (fx->landmarks)
        load_landmarks(fx->file, &face);
    assert_int_equal(photo_check_buffer(spec, &specs, data, len, fx->landmarks ? &face : NULL, res),
                     0);
    free(data);
    char got[2048];
    verdict_string(res, got, sizeof(got));
    if (strcmp(got, fx->verdicts) != 0 || strcmp(photo_verdict_name(res->status), fx->status))
        fail_msg("%s (%s.%s%s)\n  expected %s: %s\n  got      %s: %s", fx->file, fx->profile,
                 fx->kind, fx->landmarks ? ", landmarks" : "", fx->status, fx->verdicts,
                 photo_verdict_name(res->status), got);
    /* Every verdict explains itself; a failed one names what it measured. */
    for (int i = 0; i < res->nverdicts; i++) {
        const struct photo_verdict_rec *v = &res->verdicts[i];
        assert_true(strlen(v->message) > 0);
        if (v->verdict == PHOTO_FAILED && v->rule != PHOTO_RULE_DECODE)
            assert_true(v->has_value || v->value_text[0] != '\0');
        if (v->verdict == PHOTO_FAILED || v->verdict == PHOTO_PASSED)
            assert_true(strlen(v->required) > 0);
    }
}

static void test_photo_fixtures_each_fault_fails_exactly_its_rule(void **state)
{
    (void)state;
    bool kit = have_kit();
    struct photo_result *res = malloc(sizeof(*res));
    int skipped = 0;
    for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
        if (fixtures[i].needs_kit && !kit) {
            skipped++;
            continue;
        }
        check_fixture(&fixtures[i], res);
    }
    free(res);
    if (skipped > 0) {
        printf("SKIP: kit not found at %s: %d face fixtures not checked\n",
               getenv("ZIKAO_KIT_DIR") ? getenv("ZIKAO_KIT_DIR") : "/work/shared", skipped);
        skip();
    }
}

/* The verdict of rule; the test fails when the result has none. */
static const struct photo_verdict_rec *rule_of(const struct photo_result *res, enum photo_rule rule)
{
    for (int i = 0; i < res->nverdicts; i++)
        if (res->verdicts[i].rule == rule)
            return &res->verdicts[i];
    fail_msg("no verdict for %s", photo_rule_name(rule));
    abort();
}

static void run(const char *file, const char *profile, const char *kind, bool landmarks,
                struct photo_result *res)
{
    for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
        if (strcmp(fixtures[i].file, file) == 0 && strcmp(fixtures[i].profile, profile) == 0 &&
            strcmp(fixtures[i].kind, kind) == 0 && fixtures[i].landmarks == landmarks) {
            check_fixture(&fixtures[i], res);
            return;
        }
    fail_msg("no fixture %s", file);
}

static void test_photo_rejects_background_white_for_tianjin_with_named_colours(void **state)
{
    (void)state;
    if (!have_kit())
        skip();
    static struct photo_result res;
    run("tj_white_bg.jpg", "tianjin", "registration", true, &res);
    const struct photo_verdict_rec *v = rule_of(&res, PHOTO_RULE_BACKGROUND_COLOUR);
    assert_non_null(strstr(v->message, "检测到的背景为白色"));
    assert_non_null(strstr(v->message, "要求浅蓝色（参考 RGB 100,197,255）"));
    assert_true(v->value > 15);
}

static void test_photo_truncated_jpeg_names_the_damage(void **state)
{
    (void)state;
    if (!have_kit())
        skip();
    static struct photo_result res;
    run("tj_truncated.jpg", "tianjin", "registration", false, &res);
    const struct photo_verdict_rec *v = rule_of(&res, PHOTO_RULE_DECODE);
    assert_non_null(strstr(v->message, "不完整或已损坏"));
}

static void test_photo_file_size_message_gives_the_measured_size(void **state)
{
    (void)state;
    if (!have_kit())
        skip();
    static struct photo_result res;
    run("tj_too_small.jpg", "tianjin", "registration", true, &res);
    const struct photo_verdict_rec *v = rule_of(&res, PHOTO_RULE_FILE_SIZE);
    assert_non_null(strstr(v->message, "照片文件太小"));
    assert_non_null(strstr(v->message, "要求 20-40KB"));
    assert_int_equal(v->range.lo, 20480);
    assert_int_equal(v->range.hi, 40960);
}

static void test_photo_json_line_has_every_rule_value_and_range(void **state)
{
    (void)state;
    if (!have_kit())
        skip();
    static struct photo_result res;
    run("tj_off_centre.jpg", "tianjin", "registration", true, &res);
    json_t *j = photo_result_json(&res);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "failed");
    json_t *rules = json_object_get(j, "rules");
    assert_int_equal(json_array_size(rules), (size_t)res.nverdicts);
    json_t *centre = NULL;
    for (size_t i = 0; i < json_array_size(rules); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(rules, i), "rule")),
                   "face_centre") == 0)
            centre = json_array_get(rules, i);
    assert_non_null(centre);
    assert_string_equal(json_string_value(json_object_get(centre, "verdict")), "failed");
    assert_int_equal(json_integer_value(json_object_get(centre, "value")), 60);
    assert_int_equal(json_integer_value(json_object_get(centre, "min")), -24);
    assert_int_equal(json_integer_value(json_object_get(centre, "max")), 24);
    assert_non_null(strstr(json_string_value(json_object_get(centre, "message")), "偏右 60 像素"));
    json_decref(j);
}

static void test_photo_preview_png_is_drawn_for_a_failing_photo(void **state)
{
    (void)state;
    if (!have_kit())
        skip();
    static struct photo_result res;
    run("tj_low.jpg", "tianjin", "registration", true, &res);
    size_t len;
    uint8_t *data = slurp("tj_low.jpg", &len);
    const struct photo_spec *spec = photo_spec_find(&specs, "tianjin", "registration");
    void *png;
    size_t pnglen;
    assert_int_equal(photo_preview_png(spec, data, len, &res, &png, &pnglen), 0);
    assert_true(pnglen > 1000);
    assert_memory_equal(png, "\x89PNG", 4);
    /* The failed eye line is drawn red at its measured height (y = 320). */
    VipsImage *img = vips_image_new_from_buffer(png, pnglen, "", NULL);
    assert_non_null(img);
    double *px;
    int n;
    assert_int_equal(vips_getpoint(img, &px, &n, 200, 320, NULL), 0);
    assert_int_equal(n, 3);
    assert_true(px[0] > 200 && px[1] < 60 && px[2] < 60);
    g_free(px);
    /* The passing face-width lines are green. */
    double left = res.geo.face_left;
    assert_int_equal(vips_getpoint(img, &px, &n, (int)(left + 0.5), 330, NULL), 0);
    assert_true(px[1] > 150 && px[0] < 60);
    g_free(px);
    g_object_unref(img);
    photo_free_buffer(png);
    free(data);
}

int main(void)
{
    dir = getenv("ZIKAO_PHOTO_FIXTURES");
    if (dir == NULL) {
        fprintf(stderr, "ZIKAO_PHOTO_FIXTURES not set (run through ctest)\n");
        return 1;
    }
    if (photo_init("test_photo_fixtures") < 0)
        return 1;
    char err[256];
    if (photo_specs_load_builtin(&specs, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_photo_fixtures_each_fault_fails_exactly_its_rule),
        cmocka_unit_test(test_photo_rejects_background_white_for_tianjin_with_named_colours),
        cmocka_unit_test(test_photo_truncated_jpeg_names_the_damage),
        cmocka_unit_test(test_photo_file_size_message_gives_the_measured_size),
        cmocka_unit_test(test_photo_json_line_has_every_rule_value_and_range),
        cmocka_unit_test(test_photo_preview_png_is_drawn_for_a_failing_photo),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    photo_specs_free(&specs);
    return rc;
}
