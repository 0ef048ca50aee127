/* test_mask.c - personal data never reaches a log line whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mask.h"

#include <string.h>

static void test_mask_id_number_keeps_four_and_four(void **state)
{
    char out[32];
    assert_string_equal(mask_id_number(out, sizeof(out), "14010519900307123X"),
                        "1401**********123X");
}

static void test_mask_phone_keeps_three_and_four(void **state)
{
    char out[32];
    assert_string_equal(mask_phone(out, sizeof(out), "13812345678"), "138****5678");
}

static void test_mask_name_keeps_surname(void **state)
{
    char out[32];
    assert_string_equal(mask_name(out, sizeof(out), "张三丰"), "张**");
    assert_string_equal(mask_name(out, sizeof(out), "李"), "李");
    assert_string_equal(mask_name(out, sizeof(out), ""), "");
}

static void test_mask_digit_runs_in_free_text(void **state)
{
    char line[] = "login id=14010519900307123X phone 13812345678 order 42 code 1234567890";
    mask_digit_runs(line);
    assert_null(strstr(line, "14010519900307123X"));
    assert_non_null(strstr(line, "1401**********123X"));
    assert_non_null(strstr(line, "1381***5678"));
    assert_non_null(strstr(line, "order 42"));
    assert_non_null(strstr(line, "1234567890")); /* 10 digits: not personal */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mask_id_number_keeps_four_and_four),
        cmocka_unit_test(test_mask_phone_keeps_three_and_four),
        cmocka_unit_test(test_mask_name_keeps_surname),
        cmocka_unit_test(test_mask_digit_runs_in_free_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
