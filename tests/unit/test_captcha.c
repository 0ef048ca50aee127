/* test_captcha.c - answers use the unambiguous alphabet; images are PNGs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "captcha.h"

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
    assert_true(len > 500 && len < 20000);
    assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
    unsigned char *png2 = NULL;
    size_t len2 = 0;
    assert_int_equal(captcha_render("K4XP7", 12345, &png2, &len2), 0);
    assert_int_equal(len, len2); /* deterministic for a seed */
    assert_memory_equal(png, png2, len);
    free(png);
    free(png2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_captcha_answers_avoid_confusable_characters),
        cmocka_unit_test(test_captcha_normalise_is_case_insensitive),
        cmocka_unit_test(test_captcha_render_gives_a_png),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    captcha_shutdown(); /* fontconfig's caches, for the leak checker */
    return failed;
}
