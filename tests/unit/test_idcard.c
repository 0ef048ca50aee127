/* test_idcard.c - GB 11643 numbers and the input validators. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "idcard.h"
#include "validate.h"

#include <string.h>

#define TODAY 20261123

static void test_idcard_accepts_valid_numbers_and_normalises_x(void **state)
{
    char out[19];
    /* check characters computed by hand with the ISO 7064 MOD 11-2 weights */
    assert_int_equal(idcard_check("11010519491231002X", TODAY, out), IDCARD_OK);
    assert_string_equal(out, "11010519491231002X");
    assert_int_equal(idcard_check("11010519491231002x", TODAY, out), IDCARD_OK);
    assert_string_equal(out, "11010519491231002X");
    char id[19] = "14010519900307123";
    id[17] = idcard_check_char(id);
    id[18] = '\0';
    assert_int_equal(idcard_check(id, TODAY, NULL), IDCARD_OK);
}

static void test_idcard_rejects_wrong_check_digit(void **state)
{
    char id[19] = "14010519900307123";
    char good = idcard_check_char(id);
    id[17] = good == '0' ? '1' : '0';
    id[18] = '\0';
    assert_int_equal(idcard_check(id, TODAY, NULL), IDCARD_CHECK_DIGIT);
    assert_non_null(strstr(idcard_error_message(IDCARD_CHECK_DIGIT), "校验位"));
}

static void test_idcard_rejects_impossible_birth_dates(void **state)
{
    const char *bad[] = {"14010519900230", "14010519901301", "14010518991231",
                         "14010520270101", "14010519000229", "14010520230229"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char id[19];
        memcpy(id, bad[i], 14);
        memcpy(id + 14, "123", 3);
        id[17] = idcard_check_char(id);
        id[18] = '\0';
        assert_int_equal(idcard_check(id, TODAY, NULL), IDCARD_BIRTH_DATE);
    }
    /* 2000 and 2024 are leap years */
    char leap[19] = "14010520000229123";
    leap[17] = idcard_check_char(leap);
    leap[18] = '\0';
    assert_int_equal(idcard_check(leap, TODAY, NULL), IDCARD_OK);
}

static void test_idcard_rejects_length_characters_region(void **state)
{
    assert_int_equal(idcard_check("1401051990030712", TODAY, NULL), IDCARD_LENGTH);
    assert_int_equal(idcard_check("1401051990030712345", TODAY, NULL), IDCARD_LENGTH);
    assert_int_equal(idcard_check("14010519900307A23X", TODAY, NULL), IDCARD_CHARACTERS);
    assert_int_equal(idcard_check("X40105199003071234", TODAY, NULL), IDCARD_CHARACTERS);
    char id[19] = "99010519900307123";
    id[17] = idcard_check_char(id);
    id[18] = '\0';
    assert_int_equal(idcard_check(id, TODAY, NULL), IDCARD_REGION);
}

static void test_idcard_gender_and_birth_date(void **state)
{
    char d[11];
    assert_string_equal(idcard_gender("11010519491231002X"), "女");
    assert_string_equal(idcard_gender("11010519491231001X"), "男");
    idcard_birth_date("11010519491231002X", d);
    assert_string_equal(d, "1949-12-31");
}

static void test_validate_name(void **state)
{
    assert_null(validate_name("张三"));
    assert_null(validate_name("阿依古丽·买买提"));
    assert_null(validate_name("Maria Li"));
    assert_non_null(validate_name(""));
    assert_non_null(validate_name("张3"));
    assert_non_null(validate_name("张三<script>"));
    assert_non_null(validate_name("一二三四五六七八九十一二三四五六七八九十一"));
    assert_non_null(validate_name("\xe5\xbc")); /* cut UTF-8 */
    assert_non_null(validate_name("\xc0\xaf")); /* overlong */
}

static void test_validate_phone_password_email_code(void **state)
{
    assert_null(validate_phone("13812345678"));
    assert_non_null(validate_phone("12812345678"));
    assert_non_null(validate_phone("1381234567"));
    assert_non_null(validate_phone("1381234567a"));
    assert_null(validate_password("abcd1234"));
    assert_null(validate_password("Zk!2026_pass"));
    assert_non_null(validate_password("abc123"));                              /* too short */
    assert_non_null(validate_password("abcdefghij"));                          /* no digit */
    assert_non_null(validate_password("1234567890"));                          /* no letter */
    assert_non_null(validate_password("abcd 1234"));                           /* space */
    assert_non_null(validate_password("密码abcd1234"));                        /* not ASCII */
    assert_non_null(validate_password("a1234567890123456789012345678901234")); /* 35 */
    assert_null(validate_email("kao@example.cn"));
    assert_non_null(validate_email("kao@example"));
    assert_non_null(validate_email("@example.cn"));
    assert_non_null(validate_email("a@b@c.cn"));
    assert_null(validate_sms_code("012345"));
    assert_non_null(validate_sms_code("12345"));
    assert_non_null(validate_sms_code("12345a"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idcard_accepts_valid_numbers_and_normalises_x),
        cmocka_unit_test(test_idcard_rejects_wrong_check_digit),
        cmocka_unit_test(test_idcard_rejects_impossible_birth_dates),
        cmocka_unit_test(test_idcard_rejects_length_characters_region),
        cmocka_unit_test(test_idcard_gender_and_birth_date),
        cmocka_unit_test(test_validate_name),
        cmocka_unit_test(test_validate_phone_password_email_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
