/*
 * test_captcha.c - answers use the unambiguous alphabet; images are PNGs with
 * every character wholly inside.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/captcha.h"

#include <stdlib.h>
#include <string.h>

static void test_captcha_answers_avoid_confusable_characters(void **state)
{
    for (int i = 0; i < 2000; i++) {
        char a[CAPTCHA_MAX + 1];
        captcha_answer(a);
        size_t n = strlen(a);
        assert_true(n == 4 || n == 5);
        assert_null(strpbrk(a, "0O1IlZ2S5B8o"));
    }
}

static void test_captcha_normalise_is_case_insensitive(void **state)
{
    char out[CAPTCHA_MAX + 1];
    assert_int_equal(captcha_normalise("ab3d", out), 0);
    assert_string_equal(out, "AB3D");
    assert_int_equal(captcha_normalise("abc", out), -1);
    assert_int_equal(captcha_normalise("abcdef", out), -1);
    assert_int_equal(captcha_normalise("ab d", out), -1);
}

static void test_captcha_render_gives_a_png(void **state)
{
    unsigned char *png = NULL;
    size_t len = 0;
    assert_int_equal(captcha_render("K4XP7", 12345, &png, &len), 0);
    assert_true(len > 500 && len < 40000);
    assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
    unsigned char *png2 = NULL;
    size_t len2 = 0;
    assert_int_equal(captcha_render("K4XP7", 12345, &png2, &len2), 0);
    assert_int_equal(len, len2); /* deterministic for a seed */
    assert_memory_equal(png, png2, len);
    free(png);
    free(png2);
}

static void test_captcha_picture_is_260_by_88_pixels_for_high_density_screens(void **state)
{
    unsigned char *png = NULL;
    size_t len = 0;
    assert_int_equal(captcha_render("K4XP7", 12345, &png, &len), 0);
    assert_true(len > 24);
    /* The IHDR chunk follows the signature: width and height, big-endian. */
    uint32_t width =
        (uint32_t)png[16] << 24 | (uint32_t)png[17] << 16 | (uint32_t)png[18] << 8 | png[19];
    uint32_t height =
        (uint32_t)png[20] << 24 | (uint32_t)png[21] << 16 | (uint32_t)png[22] << 8 | png[23];
    free(png);
    assert_int_equal(width, 260);
    assert_int_equal(height, 88);
}

/* Band along the picture's edges where no character may have ink: 2 CSS pixels. */
#define EDGE_BAND (2 * CAPTCHA_SCALE)

/* Whether glyph i of answer, drawn for seed, has ink and none in the band. */
static int glyph_is_inside(const char *answer, uint32_t seed, size_t i, unsigned char *ink)
{
    assert_int_equal(captcha_glyph_ink(answer, seed, i, ink), 0);
    int inked = 0;
    for (int y = 0; y < CAPTCHA_HEIGHT; y++) {
        for (int x = 0; x < CAPTCHA_WIDTH; x++) {
            if (ink[y * CAPTCHA_WIDTH + x] == 0)
                continue;
            inked = 1;
            if (x < EDGE_BAND || y < EDGE_BAND || x >= CAPTCHA_WIDTH - EDGE_BAND ||
                y >= CAPTCHA_HEIGHT - EDGE_BAND)
                return 0;
        }
    }
    return inked;
}

static void test_captcha_characters_stay_wholly_inside_the_picture(void **state)
{
    /* Every character of the alphabet, in answers of 4 and 5, many seeds. */
    static const char chars[] = "ACDEFGHJKLMNPQRTUVWXY34679";
    static unsigned char ink[CAPTCHA_WIDTH * CAPTCHA_HEIGHT];
    int clipped = 0;
    for (uint32_t seed = 1; seed <= 400; seed++) {
        char answer[CAPTCHA_MAX + 1];
        size_t n = 4 + seed % 2;
        for (size_t i = 0; i < n; i++)
            answer[i] = chars[(seed * 7 + i * 11) % (sizeof(chars) - 1)];
        answer[n] = '\0';
        for (size_t i = 0; i < n; i++) {
            if (!glyph_is_inside(answer, seed, i, ink)) {
                if (clipped++ == 0)
                    print_message("first: seed %u, %s, character %zu\n", seed, answer, i + 1);
                break;
            }
        }
    }
    if (clipped > 0)
        fail_msg("%d of 400 captchas have a character touching or past an edge", clipped);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_captcha_answers_avoid_confusable_characters),
        cmocka_unit_test(test_captcha_normalise_is_case_insensitive),
        cmocka_unit_test(test_captcha_render_gives_a_png),
        cmocka_unit_test(test_captcha_picture_is_260_by_88_pixels_for_high_density_screens),
        cmocka_unit_test(test_captcha_characters_stay_wholly_inside_the_picture),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    captcha_shutdown(); /* fontconfig's caches, for the leak checker */
    return failed;
}
