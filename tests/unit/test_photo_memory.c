/*
 * test_photo_memory.c - the decode gate keeps a worker's memory bounded: a
 * 100-megapixel PNG bomb, a JPEG header claiming 60000x60000, a progressive
 * JPEG whose coefficient buffer would exceed the budget and a truncated
 * JPEG are all refused, and a real 24-megapixel JPEG is checked through
 * shrink-on-load, while the process's peak resident set (getrusage
 * ru_maxrss) grows by less than PHOTO_TEST_RSS_BOUND_MB.
 *
 * Also proves photo_init's lockdown: GIF and SVG loaders are unreachable.
 *
 * Decoding the bomb would need 9000 x 11200 x 3 = 302 MB; the bound is 48 MB.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "photo.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <vips/vips.h>

#define PHOTO_TEST_RSS_BOUND_MB 48

static struct photo_specs specs;
static const char *dir;

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static enum photo_verdict check(const char *file, const char *profile, const char *kind,
                                enum photo_verdict *decode)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("fixture %s missing", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    struct photo_result res;
    const struct photo_spec *spec = photo_spec_find(&specs, profile, kind);
    assert_non_null(spec);
    assert_int_equal(photo_check_buffer(spec, &specs, b, (size_t)n, NULL, &res), 0);
    free(b);
    for (int i = 0; i < res.nverdicts; i++)
        if (res.verdicts[i].rule == PHOTO_RULE_DECODE)
            *decode = res.verdicts[i].verdict;
    return res.status;
}

static void test_photo_bombs_and_truncation_refused_within_memory_bound(void **state)
{
    long before = peak_rss_kb();
    enum photo_verdict d;
    check("bomb_100mp.png", "shanxi", "graduation", &d);
    assert_int_equal(d, PHOTO_FAILED);
    check("bomb_60000.jpg", "shanxi", "graduation", &d);
    assert_int_equal(d, PHOTO_FAILED);
    check("bomb_progressive.jpg", "shanxi", "holding", &d);
    assert_int_equal(d, PHOTO_FAILED);
    char path[4096];
    snprintf(path, sizeof(path), "%s/tj_truncated.jpg", dir);
    FILE *f = fopen(path, "rb");
    if (f != NULL) {
        fclose(f);
        check("tj_truncated.jpg", "tianjin", "registration", &d);
        assert_int_equal(d, PHOTO_FAILED);
    } else {
        printf("SKIP: kit not found: no truncated face photo (the bombs are still checked)\n");
    }
    /* A legitimate 24-megapixel JPEG decodes, shrunk on load. */
    check("big_24mp.jpg", "shanxi", "certificate", &d);
    assert_int_equal(d, PHOTO_PASSED);
    long after = peak_rss_kb();
    printf("peak RSS %ld KB before, %ld KB after (growth %ld KB, bound %d MB)\n", before, after,
           after - before, PHOTO_TEST_RSS_BOUND_MB);
    assert_true(after - before < PHOTO_TEST_RSS_BOUND_MB * 1024L);
}

/* After photo_init only the JPEG and PNG loaders exist for libvips: a
 * valid GIF and an SVG are refused even through the generic loader. */
static void test_photo_init_blocks_every_loader_but_jpeg_and_png(void **state)
{
    static const uint8_t gif[] = "GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00"
                                 "!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00"
                                 "\x01\x00\x00\x02\x02D\x01\x00;";
    static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" "
                              "height=\"10\"><rect width=\"10\" height=\"10\"/></svg>";
    VipsImage *img = vips_image_new_from_buffer(gif, sizeof(gif) - 1, "", NULL);
    assert_null(img);
    img = vips_image_new_from_buffer(svg, sizeof(svg) - 1, "", NULL);
    assert_null(img);
    vips_error_clear();
    /* A PNG still loads through the same generic call. */
    VipsImage *black;
    assert_int_equal(vips_black(&black, 4, 4, NULL), 0);
    void *png;
    size_t len;
    assert_int_equal(vips_pngsave_buffer(black, &png, &len, NULL), 0);
    img = vips_image_new_from_buffer(png, len, "", NULL);
    assert_non_null(img);
    assert_int_equal(img->Xsize, 4);
    g_object_unref(img);
    g_object_unref(black);
    g_free(png);
}

/* A PNG with alpha is judged as shown on a white page: its transparent
 * background is white (allowed in Shanxi), and decoding it leaks nothing
 * (the fuzzer once caught the flatten background array leaking). */
static void test_photo_transparent_png_background_is_white(void **state)
{
    VipsImage *black, *rgba;
    assert_int_equal(vips_black(&black, 480, 640, "bands", 4, NULL), 0);
    assert_int_equal(vips_cast_uchar(black, &rgba, NULL), 0);
    void *png;
    size_t len;
    assert_int_equal(vips_pngsave_buffer(rgba, &png, &len, NULL), 0);
    const struct photo_spec *spec = photo_spec_find(&specs, "shanxi", "graduation");
    struct photo_result res;
    assert_int_equal(photo_check_buffer(spec, &specs, png, len, NULL, &res), 0);
    for (int i = 0; i < res.nverdicts; i++) {
        if (res.verdicts[i].rule == PHOTO_RULE_DECODE)
            assert_int_equal(res.verdicts[i].verdict, PHOTO_PASSED);
        if (res.verdicts[i].rule == PHOTO_RULE_BACKGROUND_COLOUR) {
            assert_int_equal(res.verdicts[i].verdict, PHOTO_PASSED);
            assert_true(res.verdicts[i].value < 1);
        }
    }
    assert_true(res.geo.background_rgb[0] == 255 && res.geo.background_rgb[2] == 255);
    g_free(png);
    g_object_unref(rgba);
    g_object_unref(black);
}

/* The face engine's pixels come from the same gate: a photo decodes to
 * RGB (shrunk on request, with the scale back to photo pixels), a bomb and a
 * non-image do not. */
static void test_photo_decode_rgb_for_the_face_engine(void **state)
{
    const struct photo_spec *spec = photo_spec_find(&specs, "shanxi", "graduation");
    VipsImage *black;
    assert_int_equal(vips_black(&black, 800, 1000, "bands", 3, NULL), 0);
    void *jpg;
    size_t len;
    assert_int_equal(vips_jpegsave_buffer(black, &jpg, &len, NULL), 0);
    uint8_t *rgb;
    int w, h;
    double scale;
    assert_int_equal(photo_decode_rgb(spec, jpg, len, 0, &rgb, &w, &h, &scale), 0);
    assert_true(w == 800 && h == 1000 && scale == 1.0);
    photo_free_buffer(rgb);
    assert_int_equal(photo_decode_rgb(spec, jpg, len, 200000, &rgb, &w, &h, &scale), 0);
    assert_true(w * h <= 300000 && fabs(scale * w - 800) < 1e-6);
    photo_free_buffer(rgb);
    assert_int_equal(photo_decode_rgb(spec, "GIF89a", 6, 0, &rgb, &w, &h, &scale), -EINVAL);
    assert_null(rgb);
    size_t blen;
    uint8_t *bomb = NULL;
    char path[4096];
    snprintf(path, sizeof(path), "%s/bomb_100mp.png", dir);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    blen = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    bomb = malloc(blen);
    assert_int_equal(fread(bomb, 1, blen, f), blen);
    fclose(f);
    assert_int_equal(photo_decode_rgb(spec, bomb, blen, 0, &rgb, &w, &h, &scale), -EINVAL);
    free(bomb);
    g_free(jpg);
    g_object_unref(black);
}

int main(void)
{
    dir = getenv("ZIKAO_PHOTO_FIXTURES");
    if (dir == NULL) {
        fprintf(stderr, "ZIKAO_PHOTO_FIXTURES not set (run through ctest)\n");
        return 1;
    }
    char err[256];
    if (photo_init("test_photo_memory") < 0 ||
        photo_specs_load_builtin(&specs, err, sizeof(err)) < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_photo_bombs_and_truncation_refused_within_memory_bound),
        cmocka_unit_test(test_photo_init_blocks_every_loader_but_jpeg_and_png),
        cmocka_unit_test(test_photo_transparent_png_background_is_white),
        cmocka_unit_test(test_photo_decode_rgb_for_the_face_engine),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    photo_specs_free(&specs);
    return rc;
}
