/*
 * test_photo_rules.c - each photo rule on its own, on inputs built in
 * memory (images, landmarks, sizes), against the built-in Tianjin and
 * Shanxi specifications: the verdict, the measured value, the range and
 * the words a candidate reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "photo_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct photo_specs specs;

static const struct photo_spec *spec(const char *profile, const char *kind)
{
    const struct photo_spec *s = photo_spec_find(&specs, profile, kind);
    assert_non_null(s);
    return s;
}

static struct photo_image image(int w, int h, uint8_t r, uint8_t g, uint8_t b)
{
    struct photo_image img = {w, h, malloc((size_t)w * h * 3), 1.0};
    for (int i = 0; i < w * h; i++) {
        img.rgb[i * 3] = r;
        img.rgb[i * 3 + 1] = g;
        img.rgb[i * 3 + 2] = b;
    }
    return img;
}

static void fill(struct photo_image *img, int x0, int y0, int x1, int y1, uint8_t r, uint8_t g,
                 uint8_t b)
{
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            uint8_t *p = img->rgb + ((size_t)y * img->w + x) * 3;
            p[0] = r;
            p[1] = g;
            p[2] = b;
        }
}

/* A frontal face: jaw 0..16 on an arc from x=cx-w/2 to cx+w/2, eyes at
 * eye_y, brows 30 px above, nose on the centre line. */
static struct photo_face face_at(double cx, double eye_y, double w)
{
    struct photo_face f = {.has_landmarks = true, .face_count = 1};
    for (int i = 0; i <= 16; i++) {
        double a = M_PI * i / 16;
        f.pts[i].x = cx - w / 2 * cos(a);
        f.pts[i].y = eye_y + 10 + w * 0.6 * sin(a);
    }
    for (int i = 17; i <= 26; i++) {
        f.pts[i].x = cx + (i <= 21 ? -1 : 1) * w * (0.1 + 0.06 * (i <= 21 ? 21 - i : i - 22));
        f.pts[i].y = eye_y - 30;
    }
    for (int i = 27; i <= 35; i++) {
        f.pts[i].x = cx;
        f.pts[i].y = eye_y + (i - 26) * 8;
    }
    /* Left eye 36..41 (36 outer, 39 inner); the right eye mirrors it. */
    static const int mirror[6] = {45, 44, 43, 42, 47, 46};
    for (int i = 36; i <= 41; i++) {
        double k = (i <= 39 ? i - 36 : 42 - i) / 3.0;
        f.pts[i].x = cx - w * (0.35 - 0.2 * k);
        f.pts[i].y = eye_y + (i == 37 || i == 38 ? -3 : i >= 40 ? 3 : 0);
        f.pts[mirror[i - 36]].x = 2 * cx - f.pts[i].x;
        f.pts[mirror[i - 36]].y = f.pts[i].y;
    }
    for (int i = 48; i <= 67; i++) {
        f.pts[i].x = cx + w * 0.2 * cos(M_PI * (i - 48) / 10.0);
        f.pts[i].y = eye_y + 110;
    }
    f.pts[48].x = cx - w * 0.2;
    f.pts[54].x = cx + w * 0.2;
    return f;
}

/* ---- bytes and header ---- */

static void test_photo_format_by_magic_png_refused_for_tianjin(void **state)
{
    struct photo_verdict_rec v;
    photo_rule_format(spec("tianjin", "registration"), PHOTO_FMT_PNG, &v);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_string_equal(v.value_text, "png");
    assert_string_equal(v.required, "JPG");
    assert_non_null(strstr(v.message, "检测到的文件为PNG格式，要求JPG格式"));
    photo_rule_format(spec("shanxi", "graduation"), PHOTO_FMT_PNG, &v);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    photo_rule_format(spec("shanxi", "graduation"), PHOTO_FMT_HEIF, &v);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_non_null(strstr(v.message, "HEIC"));
}

static void test_photo_file_size_20_to_40_kb(void **state)
{
    const struct photo_spec *s = spec("tianjin", "registration");
    struct photo_verdict_rec v;
    photo_rule_file_size(s, 20 * 1024, &v);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    photo_rule_file_size(s, 40 * 1024, &v);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    photo_rule_file_size(s, 40 * 1024 + 1, &v);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_non_null(strstr(v.message, "照片文件太大：当前为 40.0KB，要求 20-40KB"));
    photo_rule_file_size(s, 20 * 1024 - 1, &v);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_non_null(strstr(v.message, "太小"));
    /* Shanxi: under 2 MB. */
    photo_rule_file_size(spec("shanxi", "graduation"), 2 * 1024 * 1024 + 1, &v);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_non_null(strstr(v.message, "不超过 2.00MB"));
    /* Supporting material: 50-500 KB. */
    photo_rule_file_size(spec("tianjin", "material"), 49 * 1024, &v);
    assert_int_equal(v.verdict, PHOTO_FAILED);
}

static void test_photo_rotation_exif_other_than_normal_is_rejected(void **state)
{
    struct photo_verdict_rec v;
    photo_rule_rotation(0, &v);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    photo_rule_rotation(1, &v);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    for (int o = 2; o <= 8; o++) {
        photo_rule_rotation(o, &v);
        assert_int_equal(v.verdict, PHOTO_FAILED);
        assert_int_equal((int)v.value, o);
    }
    photo_rule_rotation(6, &v);
    assert_non_null(strstr(v.message, "顺时针旋转90°"));
    photo_rule_rotation(2, &v);
    assert_non_null(strstr(v.message, "水平镜像"));
}

static void test_photo_dimensions_exactly_480x640(void **state)
{
    const struct photo_spec *s = spec("tianjin", "registration");
    struct photo_verdict_rec v;
    photo_rule_dimensions(s, 480, 640, &v);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    photo_rule_dimensions(s, 481, 640, &v);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_string_equal(v.value_text, "481x640");
    assert_non_null(strstr(v.message, "要求宽 480 像素，高 640 像素"));
}

static void test_photo_dimensions_certificate_above_800x600(void **state)
{
    const struct photo_spec *s = spec("shanxi", "certificate");
    struct photo_verdict_rec v;
    photo_rule_dimensions(s, 801, 601, &v);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    photo_rule_dimensions(s, 601, 801, &v); /* portrait scan */
    assert_int_equal(v.verdict, PHOTO_PASSED);
    photo_rule_dimensions(s, 800, 600, &v);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_non_null(strstr(v.required, "大于 800x600"));
}

static void test_photo_orientation_idcard_needs_height_below_width(void **state)
{
    const struct photo_spec *s = spec("tianjin", "idcard");
    struct photo_verdict_rec v;
    photo_rule_orientation(s, 856, 540, &v);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    photo_rule_orientation(s, 540, 856, &v);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    photo_rule_orientation(s, 600, 600, &v);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_non_null(strstr(v.message, "横向（高度小于宽度）"));
}

static void test_photo_aspect_id1_card_tolerance(void **state)
{
    const struct photo_spec *s = spec("tianjin", "idcard");
    struct photo_verdict_rec v;
    assert_true(fabs(s->aspect.lo - 1.485) < 1e-9 && fabs(s->aspect.hi - 1.685) < 1e-9);
    photo_rule_aspect(s, 856, 540, &v); /* 1.585 */
    assert_int_equal(v.verdict, PHOTO_PASSED);
    photo_rule_aspect(s, 800, 600, &v); /* stretched to 4:3 */
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_true(fabs(v.value - 1.333) < 1e-9);
    assert_non_null(strstr(v.message, "拉伸"));
    photo_rule_aspect(s, 1920, 1080, &v); /* 16:9 */
    assert_int_equal(v.verdict, PHOTO_FAILED);
}

/* ---- colour ---- */

static void test_photo_lab_of_reference_colours(void **state)
{
    double lab[3];
    photo_srgb_to_lab((const uint8_t[]){255, 255, 255}, lab);
    assert_true(fabs(lab[0] - 100) < 0.01 && fabs(lab[1]) < 0.01 && fabs(lab[2]) < 0.01);
    photo_srgb_to_lab((const uint8_t[]){0, 0, 0}, lab);
    assert_true(fabs(lab[0]) < 0.01);
    /* sRGB (100,197,255); reference values from libvips' own sRGB -> Lab
     * (vips colourspace): 75.98, -11.82, -37.07. */
    photo_srgb_to_lab((const uint8_t[]){100, 197, 255}, lab);
    assert_true(fabs(lab[0] - 75.98) < 0.1);
    assert_true(fabs(lab[1] + 11.82) < 0.2);
    assert_true(fabs(lab[2] + 37.07) < 0.2);
}

/* Pairs from Sharma, Wu and Dalal's CIEDE2000 test data (2005), kL = 1. */
static void test_photo_delta_e2000_matches_the_published_test_pairs(void **state)
{
    static const struct {
        double a[3], b[3], de;
    } pairs[] = {
        {{50.0, 2.6772, -79.7751}, {50.0, 0.0, -82.7485}, 2.0425},
        {{50.0, 3.1571, -77.2803}, {50.0, 0.0, -82.7485}, 2.8615},
        {{50.0, 0.0, 0.0}, {50.0, -1.0, 2.0}, 2.3669},
        {{50.0, 2.5, 0.0}, {73.0, 25.0, -18.0}, 27.1492},
        {{50.0, 2.5, 0.0}, {61.0, -5.0, 29.0}, 22.8977},
        {{50.0, 2.5, 0.0}, {56.0, -27.0, -3.0}, 31.9030},
        {{60.2574, -34.0099, 36.2677}, {60.4626, -34.1751, 39.4387}, 1.2644},
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        double d = photo_delta_e2000(pairs[i].a, pairs[i].b, 1);
        printf("pair %zu: %.4f (published %.4f)\n", i, d, pairs[i].de);
        assert_true(fabs(d - pairs[i].de) < 1e-4);
        assert_true(fabs(photo_delta_e2000(pairs[i].b, pairs[i].a, 1) - d) < 1e-9);
    }
    /* kL = 2 halves a pure lightness difference. */
    double a[3] = {50, 0, 0}, b[3] = {60, 0, 0};
    assert_true(fabs(photo_delta_e2000(a, b, 2) - photo_delta_e2000(a, b, 1) / 2) < 1e-9);
}

static void test_photo_rejects_background_not_light_blue(void **state)
{
    const struct photo_spec *s = spec("tianjin", "registration");
    struct photo_image img = image(480, 640, 252, 252, 252);
    struct photo_border b;
    photo_border_sample(&img, false, &b);
    struct photo_verdict_rec v;
    photo_rule_background_colour(s, &specs, &b, &v);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_true(v.value > 30);
    assert_string_equal(v.message,
                        "照片背景颜色不符合要求：检测到的背景为白色（RGB 252,252,252，与最接近的浅"
                        "蓝色色差 45.2，允许不超过 15），要求浅蓝色（参考 RGB 100,197,255）。请在浅"
                        "蓝色背景前重新拍摄，不要用修图软件涂抹背景。");
    /* The same white is one of Shanxi's colours. */
    photo_rule_background_colour(spec("shanxi", "graduation"), &specs, &b, &v);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    fill(&img, 0, 0, 480, 640, 100, 197, 255);
    photo_border_sample(&img, false, &b);
    photo_rule_background_colour(s, &specs, &b, &v);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    assert_true(v.value < 0.1);
    free(img.rgb);
}

static void test_photo_background_ignores_subject_and_shoulders(void **state)
{
    const struct photo_spec *s = spec("tianjin", "registration");
    struct photo_image img = image(480, 640, 100, 197, 255);
    fill(&img, 100, 80, 380, 640, 30, 30, 30); /* head and body, not at the edges */
    fill(&img, 0, 520, 480, 640, 20, 20, 80);  /* shoulders reach the sides at the bottom */
    struct photo_border b;
    photo_border_sample(&img, false, &b);
    struct photo_verdict_rec v;
    photo_rule_background_colour(s, &specs, &b, &v);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    photo_rule_background_uniform(s, &b, &v);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    free(img.rgb);
}

static void test_photo_background_uniformity_catches_border_and_text(void **state)
{
    const struct photo_spec *s = spec("shanxi", "graduation");
    struct photo_image img = image(480, 640, 100, 197, 255);
    /* A dark 4-px frame: the median colour stays, the spread does not. */
    fill(&img, 2, 2, 478, 6, 10, 10, 10);
    fill(&img, 2, 2, 6, 638, 10, 10, 10);
    fill(&img, 474, 2, 478, 638, 10, 10, 10);
    struct photo_border b;
    photo_border_sample(&img, false, &b);
    struct photo_verdict_rec v;
    photo_rule_background_colour(s, &specs, &b, &v);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    photo_rule_background_uniform(s, &b, &v);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_true(v.value > s->background_rms);
    assert_non_null(strstr(v.message, "边框、文字"));
    free(img.rgb);
}

/* Issue 18: a person before a light-blue backdrop measured RGB 136,177,241 was
 * refused in Shanxi as "偏色的浅蓝色" at ΔE 15.1. Shanxi asks for light blue and
 * takes it; Tianjin's reference light blue (100,197,255) stays as strict. */
static void test_photo_shanxi_takes_a_phone_light_blue_tianjin_holds_its_reference(void **state)
{
    struct photo_image img = image(480, 640, 136, 177, 241);
    struct photo_border b;
    photo_border_sample(&img, false, &b);
    struct photo_verdict_rec v;
    photo_rule_background_colour(spec("shanxi", "registration"), &specs, &b, &v);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    photo_rule_background_colour(spec("tianjin", "registration"), &specs, &b, &v);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_string_equal(v.required, "色差不超过 15");
    assert_non_null(strstr(v.message, "允许不超过 15"));
    free(img.rgb);
}

/* Dark and strongly coloured walls still fail Shanxi's colour rule, naming
 * the measured distance and the limit. */
static void test_photo_shanxi_still_refuses_dark_and_coloured_backgrounds(void **state)
{
    static const uint8_t walls[][3] = {
        {80, 80, 80}, {60, 160, 80}, {240, 140, 40}, {250, 180, 200}, {25, 60, 140}};
    for (size_t i = 0; i < sizeof(walls) / sizeof(walls[0]); i++) {
        struct photo_image img = image(480, 640, walls[i][0], walls[i][1], walls[i][2]);
        struct photo_border b;
        photo_border_sample(&img, false, &b);
        struct photo_verdict_rec v;
        photo_rule_background_colour(spec("shanxi", "registration"), &specs, &b, &v);
        assert_int_equal(v.verdict, PHOTO_FAILED);
        assert_true(v.value > 16);
        assert_string_equal(v.required, "色差（CIEDE2000）不超过 16");
        assert_non_null(strstr(v.message, "允许不超过 16"));
        free(img.rgb);
    }
}

/* Issue 18: a white backdrop lit unevenly (brighter at the top left) failed
 * uniformity at 10.2 against 8. Shanxi measures the spread once smooth light
 * is taken away and takes it; Tianjin keeps the raw spread; stripes on the
 * same wall fail both. */
static void test_photo_shanxi_uniformity_forgives_uneven_light_not_stripes(void **state)
{
    struct photo_image img = image(480, 640, 0, 0, 0);
    for (int y = 0; y < 640; y++)
        for (int x = 0; x < 480; x++) {
            double t = (x / 480.0 + y / 640.0) / 2; /* 0 at the top left, 1 at the bottom right */
            uint8_t g = (uint8_t)lround(250 - 120 * t);
            fill(&img, x, y, x + 1, y + 1, g, g, (uint8_t)(g - 2));
        }
    struct photo_border b;
    photo_border_sample(&img, false, &b);
    printf("raw spread %.1f, after lighting %.1f\n", b.rms, b.residual);
    assert_true(b.rms > 8); /* what the raw spread says */
    struct photo_verdict_rec v;
    photo_rule_background_uniform(spec("shanxi", "registration"), &b, &v);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    photo_rule_background_uniform(spec("tianjin", "registration"), &b, &v);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    for (int x = 0; x < 480; x += 40)
        fill(&img, x, 0, x + 6, 640, 150, 150, 150);
    photo_border_sample(&img, false, &b);
    photo_rule_background_uniform(spec("shanxi", "registration"), &b, &v);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_string_equal(v.required,
                        "除去光照明暗变化后边缘色差不超过 6，且最不均匀的 5% 处不超过 6");
    assert_non_null(strstr(v.message, "要求不超过 6"));
    free(img.rgb);
}

/* Issue 18: sparse, low-contrast dots over part of an evenly lit wall keep
 * the spread of the whole border low; the worst twentieth of the border
 * shows them. The same wall without the dots, lit unevenly, passes. */
static void test_photo_uniformity_catches_sparse_dots_the_spread_averages_away(void **state)
{
    struct photo_image img = image(480, 640, 0, 0, 0);
    for (int y = 0; y < 640; y++)
        for (int x = 0; x < 480; x++) {
            uint8_t g = (uint8_t)lround(245 - 40.0 * y / 640); /* light from above */
            fill(&img, x, y, x + 1, y + 1, g, g, (uint8_t)(g - 3));
        }
    struct photo_border b;
    struct photo_verdict_rec v;
    photo_border_sample(&img, false, &b);
    photo_rule_background_uniform(spec("shanxi", "registration"), &b, &v);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    photo_rule_background_uniform(spec("tianjin", "registration"), &b, &v);
    assert_true(b.pattern < 3);
    /* grey dots 12 px across every 40 px: about 9 % of the wall */
    for (int y = 10; y < 640; y += 40)
        for (int x = 10; x < 480; x += 40)
            fill(&img, x, y, x + 12, y + 12, 200, 200, 196);
    photo_border_sample(&img, false, &b);
    printf("spread after lighting %.1f, worst twentieth %.1f\n", b.residual, b.pattern);
    assert_true(b.residual <= 6); /* what the spread alone says */
    photo_rule_background_uniform(spec("shanxi", "registration"), &b, &v);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_true(v.value > 6);
    assert_non_null(strstr(v.message, "最不均匀的 5% 处"));
    assert_non_null(strstr(v.message, "要求不超过 6"));
    photo_rule_background_uniform(spec("tianjin", "registration"), &b, &v);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    free(img.rgb);
}

static void test_photo_border_samples_top_and_both_sides_of_the_upper_half(void **state)
{
    struct photo_border b;
    struct photo_image img = image(480, 640, 100, 197, 255);
    photo_border_sample(&img, false, &b);
    assert_true(b.n > 1000 && b.rms < 1e-9);
    /* Each band on its own moves the spread: right side, left side, top. */
    const int bands[3][4] = {{470, 0, 480, 300}, {0, 0, 10, 300}, {0, 0, 480, 10}};
    for (int i = 0; i < 3; i++) {
        fill(&img, 0, 0, 480, 640, 100, 197, 255);
        fill(&img, bands[i][0], bands[i][1], bands[i][2], bands[i][3], 0, 0, 0);
        photo_border_sample(&img, false, &b);
        assert_true(b.rms > 10);
        assert_int_equal(b.rgb[2], 255); /* the median is still the background */
    }
    /* The lower half of the sides is not background in a portrait... */
    fill(&img, 0, 0, 480, 640, 100, 197, 255);
    fill(&img, 0, 400, 480, 640, 0, 0, 0);
    photo_border_sample(&img, false, &b);
    assert_true(b.rms < 1e-9);
    /* ...but it is for a card photo (full ring). */
    photo_border_sample(&img, true, &b);
    assert_true(b.rms > 10);
    free(img.rgb);
}

/* ---- sharpness and exposure ---- */

static void test_photo_sharpness_flat_centre_fails_textured_passes(void **state)
{
    const struct photo_spec *s = spec("tianjin", "registration");
    struct photo_image img = image(480, 640, 120, 120, 120);
    struct photo_verdict_rec v;
    photo_rule_sharpness(s, &img, NULL, &v);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_true(v.value < 1);
    assert_non_null(strstr(v.message, "画面中部"));
    /* 2-px checker: strong edges everywhere. */
    for (int y = 0; y < 640; y++)
        for (int x = 0; x < 480; x++)
            if (((x / 2) + (y / 2)) % 2)
                fill(&img, x, y, x + 1, y + 1, 160, 160, 160);
    photo_rule_sharpness(s, &img, NULL, &v);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    free(img.rgb);
}

static void test_photo_sharpness_measures_the_face_when_landmarks_exist(void **state)
{
    const struct photo_spec *s = spec("tianjin", "registration");
    struct photo_image img = image(480, 640, 120, 120, 120);
    /* Texture only outside the face box: the face itself is flat. */
    for (int y = 0; y < 640; y++)
        for (int x = 0; x < 480; x++)
            if (((x / 2) + (y / 2)) % 2 && (x < 100 || x > 380))
                fill(&img, x, y, x + 1, y + 1, 200, 200, 200);
    struct photo_face f = face_at(240, 250, 230);
    struct photo_verdict_rec v;
    photo_rule_sharpness(s, &img, &f, &v);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_non_null(strstr(v.message, "人脸区域"));
    free(img.rgb);
}

static void test_photo_exposure_counts_clipped_subject_pixels(void **state)
{
    const struct photo_spec *s = spec("shanxi", "graduation");
    struct photo_image img = image(480, 640, 255, 255, 255); /* white background */
    fill(&img, 120, 150, 360, 600, 180, 140, 120);
    struct photo_border b;
    photo_border_sample(&img, false, &b);
    struct photo_verdict_rec v;
    photo_rule_exposure(s, &img, &b, &v);
    assert_int_equal(v.verdict, PHOTO_PASSED); /* the white background is not clipping */
    assert_true(v.value == 0);
    fill(&img, 120, 150, 360, 300, 255, 255, 254); /* a blown-out forehead */
    fill(&img, 120, 300, 360, 320, 2, 2, 2);
    photo_rule_exposure(s, &img, NULL, &v);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_non_null(strstr(v.message, "过亮"));
    free(img.rgb);
}

/* ---- ID card ---- */

static void test_photo_card_outline_and_corners(void **state)
{
    const struct photo_spec *s = spec("tianjin", "idcard");
    struct photo_image img = image(500, 316, 60, 50, 40);
    fill(&img, 30, 20, 470, 297, 235, 232, 225); /* 440x277: 1.588 */
    struct photo_verdict_rec o, c;
    struct photo_geometry geo = {0};
    photo_rule_card(s, &img, &o, &c, &geo);
    assert_int_equal(o.verdict, PHOTO_PASSED);
    assert_true(fabs(o.value - 1.588) < 0.02);
    assert_int_equal(c.verdict, PHOTO_PASSED);
    assert_int_equal((int)c.value, 4);
    assert_true(geo.has_card);
    assert_true(fabs(geo.card[0].x - 30) < 3 && fabs(geo.card[0].y - 20) < 3);
    assert_true(fabs(geo.card[2].x - 469) < 3 && fabs(geo.card[2].y - 296) < 3);
    /* Shifted right: two corners leave the frame. */
    fill(&img, 0, 0, 500, 316, 60, 50, 40);
    fill(&img, 120, 20, 500, 297, 235, 232, 225);
    photo_rule_card(s, &img, &o, &c, &geo);
    assert_int_equal(c.verdict, PHOTO_FAILED);
    assert_int_equal((int)c.value, 2);
    assert_int_equal(o.verdict, PHOTO_SKIPPED);
    assert_non_null(strstr(c.message, "只有 2 个角在画面内"));
    /* A square blob is not an ID card. */
    fill(&img, 0, 0, 500, 316, 60, 50, 40);
    fill(&img, 110, 20, 390, 297, 235, 232, 225);
    photo_rule_card(s, &img, &o, &c, &geo);
    assert_int_equal(o.verdict, PHOTO_FAILED);
    assert_true(o.value < 1.1);
    /* Nothing that stands out from the table. */
    fill(&img, 0, 0, 500, 316, 60, 50, 40);
    photo_rule_card(s, &img, &o, &c, &geo);
    assert_int_equal(o.verdict, PHOTO_FAILED);
    assert_int_equal(c.verdict, PHOTO_SKIPPED);
    assert_non_null(strstr(o.message, "未能识别出身份证轮廓"));
    free(img.rgb);
}

static void test_photo_card_scan_cropped_to_the_card(void **state)
{
    const struct photo_spec *s = spec("tianjin", "idcard");
    struct photo_image img = image(856, 540, 235, 232, 225); /* the card fills the frame */
    fill(&img, 560, 100, 760, 360, 120, 100, 90);            /* its portrait */
    struct photo_verdict_rec o, c;
    struct photo_geometry geo = {0};
    /* Rounded corners: the surface behind shows in each corner tip. */
    for (int k = 0; k < 4; k++)
        for (int d = 0; d < 12; d++) {
            int x0 = k == 1 || k == 2 ? 856 - (12 - d) : 0, x1 = x0 + (12 - d);
            int y = k >= 2 ? 539 - d : d;
            fill(&img, x0, y, x1, y + 1, 40, 35, 30);
        }
    photo_rule_card(s, &img, &o, &c, &geo);
    assert_int_equal(o.verdict, PHOTO_PASSED);
    assert_true(fabs(o.value - 1.585) < 0.01);
    assert_int_equal(c.verdict, PHOTO_PASSED);
    /* Cropped inside the rounding on the right: two corners are gone. */
    fill(&img, 830, 0, 856, 540, 235, 232, 225);
    photo_rule_card(s, &img, &o, &c, &geo);
    assert_int_equal(o.verdict, PHOTO_PASSED);
    assert_int_equal(c.verdict, PHOTO_FAILED);
    assert_int_equal((int)c.value, 2);
    assert_non_null(strstr(c.message, "不要裁掉证件的圆角"));
    free(img.rgb);
}

/* ---- geometry on landmarks ---- */

static void test_photo_geometry_rules_are_pending_without_landmarks(void **state)
{
    const struct photo_spec *s = spec("tianjin", "registration");
    struct photo_image img = image(480, 640, 100, 197, 255);
    struct photo_border b;
    photo_border_sample(&img, false, &b);
    struct photo_face none = {.has_landmarks = false, .face_count = -1};
    struct photo_geometry geo = {0};
    struct photo_verdict_rec v[6];
    for (int k = 0; k < 2; k++) {
        const struct photo_face *f = k == 0 ? NULL : &none;
        photo_rule_face_count(s, f, &v[0]);
        photo_rule_head_top(s, &img, &b, f, &v[1], &geo);
        photo_rule_eye_line(s, f, &v[2], &geo);
        photo_rule_face_width(s, f, &v[3], &geo);
        photo_rule_face_centre(s, 480, f, &v[4], &geo);
        photo_rule_symmetry(s, f, &v[5]);
        for (int i = 0; i < 6; i++) {
            assert_int_equal(v[i].verdict, PHOTO_PENDING);
            assert_false(v[i].has_value);
            assert_true(strlen(v[i].required) > 0);
        }
    }
    assert_false(geo.has_head_top || geo.has_eye_line || geo.has_face_width);
    free(img.rgb);
}

static void test_photo_eye_line_200_to_300(void **state)
{
    const struct photo_spec *s = spec("tianjin", "registration");
    struct photo_geometry geo = {0};
    struct photo_verdict_rec v;
    struct photo_face f = face_at(240, 250, 230);
    photo_rule_eye_line(s, &f, &v, &geo);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    assert_int_equal((int)v.value, 250);
    f = face_at(240, 320, 230);
    photo_rule_eye_line(s, &f, &v, &geo);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_non_null(strstr(v.message, "眼睛距上边沿 320 像素，要求 200-300 像素：人像太靠下"));
    f = face_at(240, 180, 230);
    photo_rule_eye_line(s, &f, &v, &geo);
    assert_non_null(strstr(v.message, "太靠上"));
}

static void test_photo_face_width_180_to_300(void **state)
{
    const struct photo_spec *s = spec("tianjin", "registration");
    struct photo_geometry geo = {0};
    struct photo_verdict_rec v;
    struct photo_face f = face_at(240, 250, 180);
    photo_rule_face_width(s, &f, &v, &geo);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    f = face_at(240, 250, 170);
    photo_rule_face_width(s, &f, &v, &geo);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_non_null(strstr(v.message, "人像太小"));
    f = face_at(240, 250, 320);
    photo_rule_face_width(s, &f, &v, &geo);
    assert_non_null(strstr(v.message, "人像太大"));
    assert_true(geo.has_face_width && fabs(geo.face_left - 80) < 1e-6);
}

static void test_photo_face_centre_within_5_percent(void **state)
{
    const struct photo_spec *s = spec("tianjin", "registration");
    struct photo_geometry geo = {0};
    struct photo_verdict_rec v;
    struct photo_face f = face_at(240 + 24, 250, 230);
    photo_rule_face_centre(s, 480, &f, &v, &geo);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    f = face_at(240 - 30, 250, 230);
    photo_rule_face_centre(s, 480, &f, &v, &geo);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_int_equal((int)v.value, -30);
    assert_non_null(strstr(v.message, "偏左 30 像素"));
}

static void test_photo_symmetry_turned_face_fails(void **state)
{
    const struct photo_spec *s = spec("tianjin", "registration");
    struct photo_verdict_rec v;
    struct photo_face f = face_at(240, 250, 230);
    photo_rule_symmetry(s, &f, &v);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    assert_true(v.value < 0.01);
    /* Turned: the nose line moves 30 px towards one cheek. */
    for (int i = 27; i <= 35; i++)
        f.pts[i].x += 30;
    photo_rule_symmetry(s, &f, &v);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_non_null(strstr(v.message, "不要侧脸"));
}

static void test_photo_head_top_is_first_non_background_row(void **state)
{
    const struct photo_spec *s = spec("tianjin", "registration");
    struct photo_image img = image(480, 640, 100, 197, 255);
    fill(&img, 150, 80, 330, 640, 40, 30, 25); /* hair from row 80 */
    struct photo_border b;
    photo_border_sample(&img, false, &b);
    struct photo_face f = face_at(240, 250, 230);
    struct photo_geometry geo = {0};
    struct photo_verdict_rec v;
    photo_rule_head_top(s, &img, &b, &f, &v, &geo);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    assert_int_equal((int)v.value, 80);
    /* One stray dark row (noise, a hair) does not count; a frame line across the
     * whole width does not either. */
    fill(&img, 200, 40, 260, 41, 0, 0, 0);
    fill(&img, 0, 10, 480, 14, 0, 0, 0);
    photo_rule_head_top(s, &img, &b, &f, &v, &geo);
    assert_int_equal((int)v.value, 80);
    /* Hair from row 30: too high. */
    fill(&img, 150, 30, 330, 80, 40, 30, 25);
    photo_rule_head_top(s, &img, &b, &f, &v, &geo);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_int_equal((int)v.value, 30);
    assert_non_null(strstr(v.message, "人像太靠上"));
    free(img.rgb);
}

static void test_photo_face_count_two_for_holding_photo(void **state)
{
    const struct photo_spec *s = spec("shanxi", "holding");
    struct photo_face f = {.face_count = 1};
    struct photo_verdict_rec v;
    photo_rule_face_count(s, &f, &v);
    assert_int_equal(v.verdict, PHOTO_FAILED);
    assert_non_null(strstr(v.message, "本人和身份证上的人像"));
    f.face_count = 2;
    photo_rule_face_count(s, &f, &v);
    assert_int_equal(v.verdict, PHOTO_PASSED);
    f.face_count = -1;
    photo_rule_face_count(s, &f, &v);
    assert_int_equal(v.verdict, PHOTO_PENDING);
}

static int setup(void **state)
{
    char err[256];
    return photo_specs_load_builtin(&specs, err, sizeof(err));
}

static int teardown(void **state)
{
    photo_specs_free(&specs);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_photo_format_by_magic_png_refused_for_tianjin),
        cmocka_unit_test(test_photo_file_size_20_to_40_kb),
        cmocka_unit_test(test_photo_rotation_exif_other_than_normal_is_rejected),
        cmocka_unit_test(test_photo_dimensions_exactly_480x640),
        cmocka_unit_test(test_photo_dimensions_certificate_above_800x600),
        cmocka_unit_test(test_photo_orientation_idcard_needs_height_below_width),
        cmocka_unit_test(test_photo_aspect_id1_card_tolerance),
        cmocka_unit_test(test_photo_lab_of_reference_colours),
        cmocka_unit_test(test_photo_delta_e2000_matches_the_published_test_pairs),
        cmocka_unit_test(test_photo_rejects_background_not_light_blue),
        cmocka_unit_test(test_photo_background_ignores_subject_and_shoulders),
        cmocka_unit_test(test_photo_background_uniformity_catches_border_and_text),
        cmocka_unit_test(test_photo_shanxi_takes_a_phone_light_blue_tianjin_holds_its_reference),
        cmocka_unit_test(test_photo_shanxi_still_refuses_dark_and_coloured_backgrounds),
        cmocka_unit_test(test_photo_shanxi_uniformity_forgives_uneven_light_not_stripes),
        cmocka_unit_test(test_photo_uniformity_catches_sparse_dots_the_spread_averages_away),
        cmocka_unit_test(test_photo_border_samples_top_and_both_sides_of_the_upper_half),
        cmocka_unit_test(test_photo_sharpness_flat_centre_fails_textured_passes),
        cmocka_unit_test(test_photo_sharpness_measures_the_face_when_landmarks_exist),
        cmocka_unit_test(test_photo_exposure_counts_clipped_subject_pixels),
        cmocka_unit_test(test_photo_card_outline_and_corners),
        cmocka_unit_test(test_photo_card_scan_cropped_to_the_card),
        cmocka_unit_test(test_photo_geometry_rules_are_pending_without_landmarks),
        cmocka_unit_test(test_photo_eye_line_200_to_300),
        cmocka_unit_test(test_photo_face_width_180_to_300),
        cmocka_unit_test(test_photo_face_centre_within_5_percent),
        cmocka_unit_test(test_photo_symmetry_turned_face_fails),
        cmocka_unit_test(test_photo_head_top_is_first_non_background_row),
        cmocka_unit_test(test_photo_face_count_two_for_holding_photo),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
