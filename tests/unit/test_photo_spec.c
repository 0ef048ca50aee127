/*
 * test_photo_spec.c - photo specifications as data: the shipped file
 * (config/photo_specs.ini, also compiled in) holds the Tianjin and Shanxi
 * profiles with the handbooks' numbers, and a broken file is refused with
 * the line and the key that is wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "photo.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_photo_spec_tianjin_registration_from_the_handbook(void **state)
{
    struct photo_specs specs;
    char err[256];
    assert_int_equal(photo_specs_load_builtin(&specs, err, sizeof(err)), 0);
    assert_string_equal(specs.default_profile, "tianjin");
    const struct photo_spec *s = photo_spec_find(&specs, NULL, "registration");
    assert_non_null(s);
    assert_string_equal(s->profile, "tianjin");
    assert_string_equal(s->title, "报名照片");
    assert_int_equal(s->formats, 1u << PHOTO_FMT_JPEG);
    assert_true(s->bytes.lo == 20480 && s->bytes.hi == 40960);
    assert_true(s->width.lo == 480 && s->width.hi == 480);
    assert_true(s->height.lo == 640 && s->height.hi == 640);
    assert_int_equal(s->ncolours, 1);
    assert_string_equal(s->colours[0].name, "浅蓝色");
    assert_true(s->colours[0].rgb[0] == 100 && s->colours[0].rgb[1] == 197 &&
                s->colours[0].rgb[2] == 255);
    assert_true(s->head_top.lo == 50 && s->head_top.hi == 110);
    assert_true(s->eye_line.lo == 200 && s->eye_line.hi == 300);
    assert_true(s->face_width.lo == 180 && s->face_width.hi == 300);
    /* Graduation inherits registration but keeps its own name. */
    const struct photo_spec *g = photo_spec_find(&specs, "tianjin", "graduation");
    assert_non_null(g);
    assert_string_equal(g->kind, "graduation");
    assert_string_equal(g->title, "毕业照片");
    assert_true(g->bytes.hi == 40960 && g->eye_line.lo == 200);
    photo_specs_free(&specs);
}

static void test_photo_spec_every_kind_of_the_issue_is_shipped(void **state)
{
    struct photo_specs specs;
    char err[256];
    assert_int_equal(photo_specs_load_builtin(&specs, err, sizeof(err)), 0);
    const char *kinds[][2] = {
        {"tianjin", "registration"}, {"tianjin", "graduation"}, {"tianjin", "idcard"},
        {"tianjin", "material"},     {"shanxi", "graduation"},  {"shanxi", "registration"},
        {"shanxi", "idcard"},        {"shanxi", "holding"},     {"shanxi", "certificate"},
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        assert_non_null(photo_spec_find(&specs, kinds[i][0], kinds[i][1]));
    const struct photo_spec *sx = photo_spec_find(&specs, "shanxi", "graduation");
    assert_int_equal(sx->formats, (1u << PHOTO_FMT_JPEG) | (1u << PHOTO_FMT_PNG));
    assert_true(!sx->bytes.has_lo && sx->bytes.hi == 2 * 1024 * 1024);
    assert_int_equal(sx->ncolours, 4);
    const struct photo_spec *id = photo_spec_find(&specs, "tianjin", "idcard");
    assert_true(id->bytes.lo == 20 * 1024 && id->bytes.hi == 80 * 1024);
    assert_int_equal(id->orientation, PHOTO_ORIENT_LANDSCAPE);
    assert_true(fabs(id->aspect.lo - 1.485) < 1e-9 && fabs(id->aspect.hi - 1.685) < 1e-9);
    assert_true(id->card);
    assert_true(photo_spec_find(&specs, "shanxi", "idcard")->bytes.hi == 2 * 1024 * 1024);
    const struct photo_spec *h = photo_spec_find(&specs, "shanxi", "holding");
    assert_true(h->faces.lo == 2 && h->faces.hi == 2);
    const struct photo_spec *c = photo_spec_find(&specs, "shanxi", "certificate");
    assert_true(c->bytes.hi == 3 * 1024 * 1024 && c->long_side.lo == 801 &&
                c->short_side.lo == 601);
    const struct photo_spec *m = photo_spec_find(&specs, "tianjin", "material");
    assert_true(m->bytes.lo == 50 * 1024 && m->bytes.hi == 500 * 1024);
    assert_null(photo_spec_find(&specs, "tianjin", "holding"));
    photo_specs_free(&specs);
}

static void test_photo_spec_file_on_disk_equals_the_builtin(void **state)
{
    const char *path = getenv("ZIKAO_PHOTO_SPECS");
    if (path == NULL)
        skip();
    struct photo_specs a, b;
    char err[256];
    assert_int_equal(photo_specs_load_file(&a, path, err, sizeof(err)), 0);
    assert_int_equal(photo_specs_load_builtin(&b, err, sizeof(err)), 0);
    assert_int_equal(a.nspecs, b.nspecs);
    for (int i = 0; i < a.nspecs; i++) {
        const struct photo_spec *x = &a.specs[i], *y = &b.specs[i];
        assert_string_equal(x->profile, y->profile);
        assert_string_equal(x->kind, y->kind);
        assert_string_equal(x->title, y->title);
        assert_int_equal(x->formats, y->formats);
        const struct photo_range *rx[] = {&x->bytes,    &x->width,    &x->height,     &x->aspect,
                                          &x->head_top, &x->eye_line, &x->face_width, &x->faces};
        const struct photo_range *ry[] = {&y->bytes,    &y->width,    &y->height,     &y->aspect,
                                          &y->head_top, &y->eye_line, &y->face_width, &y->faces};
        for (size_t k = 0; k < sizeof(rx) / sizeof(rx[0]); k++) {
            assert_true(rx[k]->has_lo == ry[k]->has_lo && rx[k]->has_hi == ry[k]->has_hi);
            assert_true(rx[k]->lo == ry[k]->lo && rx[k]->hi == ry[k]->hi);
        }
        assert_int_equal(x->ncolours, y->ncolours);
        assert_true(x->sharpness_min == y->sharpness_min && x->clipped_max == y->clipped_max);
    }
    photo_specs_free(&a);
    photo_specs_free(&b);
}

static void expect_error(const char *text, const char *needle)
{
    struct photo_specs specs;
    char err[256] = "";
    assert_int_equal(photo_specs_load_string(&specs, text, err, sizeof(err)), -EINVAL);
    if (strstr(err, needle) == NULL)
        fail_msg("error '%s' does not contain '%s'", err, needle);
    assert_int_equal(specs.nspecs, 0);
}

static void test_photo_spec_errors_name_line_and_key(void **state)
{
    expect_error("[a.b]\nbytes = 1..2\nbogus = 3\n", "photo specs:3: unknown key 'bogus'");
    expect_error("[a.b]\nbytes = 40K..20K\n", ":2: bytes:");
    expect_error("[a.b]\nformats = gif\n", "only jpeg and png");
    expect_error("[a.b]\nbackground = mauve\n", "'mauve' is not in [palette]");
    expect_error("[a.b]\ntitle = x\ninherit = a.c\n", "inherit");
    expect_error("[palette]\nblue = 蓝色 1,2\n", "expected 'NAME R,G,B'");
    expect_error("[nodot]\nbytes = 1\n", "expected [PROFILE.KIND]");
    expect_error("[specs]\ndefault_profile = x\n", "no [PROFILE.KIND] sections");
    expect_error("[a.b]\nclipped_max = 2\n", "clipped_max");
    expect_error("[a.b]\nbackground_metric = cie94\n", "background_metric: cie76 or ciede2000");
    expect_error("[a.b]\nbackground_shading = perhaps\n", "background_shading: yes or no");
    expect_error("[a.b]\nbackground_lightness_weight = 9\n", "background_lightness_weight");
}

/* The background model is the profile's: CIE76 and the raw spread unless it says otherwise. */
static void test_photo_spec_background_model_per_profile(void **state)
{
    struct photo_specs specs;
    char err[256];
    const char *text = "[p.strict]\nbackground_rms = 8\n"
                       "[p.phone]\nbackground_metric = ciede2000\n"
                       "background_lightness_weight = 2\nbackground_shading = yes\n";
    assert_int_equal(photo_specs_load_string(&specs, text, err, sizeof(err)), 0);
    const struct photo_spec *a = photo_spec_find(&specs, "p", "strict");
    assert_int_equal(a->background_metric, PHOTO_METRIC_CIE76);
    assert_true(a->background_lightness_weight == 1 && !a->background_shading);
    const struct photo_spec *b = photo_spec_find(&specs, "p", "phone");
    assert_int_equal(b->background_metric, PHOTO_METRIC_CIEDE2000);
    assert_true(b->background_lightness_weight == 2 && b->background_shading);
    photo_specs_free(&specs);
}

static void test_photo_spec_ranges_and_defaults(void **state)
{
    struct photo_specs specs;
    char err[256];
    const char *text = "[palette]\nwhite = 白色 255,255,255\n"
                       "[defaults]\nsharpness_min = 7\nbackground = white\n"
                       "[p.a]\naspect = 1.5 +- 0.1\nbytes = 1M..\nwidth = ..300\n"
                       "[p.b]\ninherit = p.a\nbackground = none\nbytes = none\n";
    assert_int_equal(photo_specs_load_string(&specs, text, err, sizeof(err)), 0);
    const struct photo_spec *a = photo_spec_find(&specs, "p", "a");
    assert_true(fabs(a->aspect.lo - 1.4) < 1e-9 && fabs(a->aspect.hi - 1.6) < 1e-9);
    assert_true(a->bytes.has_lo && !a->bytes.has_hi && a->bytes.lo == 1048576);
    assert_true(!a->width.has_lo && a->width.hi == 300);
    assert_true(a->sharpness_min == 7 && a->ncolours == 1);
    const struct photo_spec *b = photo_spec_find(&specs, "p", "b");
    assert_true(b->ncolours == 0 && !b->bytes.has_lo && !b->bytes.has_hi);
    assert_true(b->aspect.has_lo);
    assert_string_equal(specs.default_profile, "p");
    photo_specs_free(&specs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_photo_spec_tianjin_registration_from_the_handbook),
        cmocka_unit_test(test_photo_spec_every_kind_of_the_issue_is_shipped),
        cmocka_unit_test(test_photo_spec_file_on_disk_equals_the_builtin),
        cmocka_unit_test(test_photo_spec_errors_name_line_and_key),
        cmocka_unit_test(test_photo_spec_ranges_and_defaults),
        cmocka_unit_test(test_photo_spec_background_model_per_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
