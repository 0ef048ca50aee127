/* test_totp.c - the staff second factor: RFC 6238 codes, the ±1 step window,
 * replay refusal, base32 and the otpauth URI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "totp.h"

#include <string.h>

/* RFC 6238 appendix B: the SHA-1 seed is "12345678901234567890". */
static const unsigned char rfc_key[] = "12345678901234567890";
#define RFC_KEYLEN 20

static void test_codes_match_the_rfc_6238_sha1_vectors(void **state)
{
    assert_int_equal(totp_code(rfc_key, RFC_KEYLEN, totp_step(59), 8), 94287082);
    assert_int_equal(totp_code(rfc_key, RFC_KEYLEN, totp_step(1111111109), 8), 7081804);
    assert_int_equal(totp_code(rfc_key, RFC_KEYLEN, totp_step(1234567890), 8), 89005924);
    assert_int_equal(totp_code(rfc_key, RFC_KEYLEN, totp_step(20000000000), 8), 65353130);
    /* Six digits are the last six of the same truncation. */
    assert_int_equal(totp_code(rfc_key, RFC_KEYLEN, totp_step(59), 6), 287082);
}

static void code_at(char out[7], uint64_t step)
{
    int c = totp_code(rfc_key, RFC_KEYLEN, step, 6);
    out[0] = '\0';
    for (int i = 5; i >= 0; i--) {
        out[i] = (char)('0' + c % 10);
        c /= 10;
    }
    out[6] = '\0';
}

static void test_a_code_of_the_step_before_or_after_is_accepted_two_away_is_not(void **state)
{
    time_t now = 1234567890;
    uint64_t s = totp_step(now);
    char c[7];
    code_at(c, s);
    assert_int_equal(totp_check(rfc_key, RFC_KEYLEN, c, now, 0), s);
    code_at(c, s - 1);
    assert_int_equal(totp_check(rfc_key, RFC_KEYLEN, c, now, 0), s - 1);
    code_at(c, s + 1);
    assert_int_equal(totp_check(rfc_key, RFC_KEYLEN, c, now, 0), s + 1);
    code_at(c, s - 2);
    assert_int_equal(totp_check(rfc_key, RFC_KEYLEN, c, now, 0), 0);
    code_at(c, s + 2);
    assert_int_equal(totp_check(rfc_key, RFC_KEYLEN, c, now, 0), 0);
}

static void test_a_code_of_a_step_already_used_is_refused(void **state)
{
    time_t now = 1234567890;
    uint64_t s = totp_step(now);
    char c[7];
    code_at(c, s);
    assert_int_equal(totp_check(rfc_key, RFC_KEYLEN, c, now, s), 0);
    assert_int_equal(totp_check(rfc_key, RFC_KEYLEN, c, now, s - 1), s);
}

static void test_malformed_codes_match_nothing(void **state)
{
    assert_int_equal(totp_check(rfc_key, RFC_KEYLEN, "", 59, 0), 0);
    assert_int_equal(totp_check(rfc_key, RFC_KEYLEN, "28708", 59, 0), 0);
    assert_int_equal(totp_check(rfc_key, RFC_KEYLEN, "2870822", 59, 0), 0);
    assert_int_equal(totp_check(rfc_key, RFC_KEYLEN, "28708a", 59, 0), 0);
    assert_int_equal(totp_check(rfc_key, RFC_KEYLEN, NULL, 59, 0), 0);
    assert_int_equal(totp_check(rfc_key, RFC_KEYLEN, "287082", 59, 0), 1);
}

static void test_base32_round_trips_and_matches_rfc_4648(void **state)
{
    char b32[64];
    totp_b32_encode(b32, (const unsigned char *)"foobar", 6);
    assert_string_equal(b32, "MZXW6YTBOI");
    totp_b32_encode(b32, rfc_key, RFC_KEYLEN);
    assert_string_equal(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    assert_int_equal(strlen(b32), TOTP_B32_LEN);
    unsigned char back[32];
    assert_int_equal(totp_b32_decode(back, sizeof(back), "gezd gnbv gy3t qojq gezd gnbv gy3t qojq"),
                     RFC_KEYLEN);
    assert_memory_equal(back, rfc_key, RFC_KEYLEN);
    assert_int_equal(totp_b32_decode(back, sizeof(back), "GEZ1"), -1);
    assert_int_equal(totp_b32_decode(back, 2, "GEZDGNBV"), -1);
}

static void test_the_uri_names_issuer_and_account_percent_encoded(void **state)
{
    char uri[512];
    assert_true(totp_uri(uri, sizeof(uri), "zikao 山西", "wang.li", "GEZDGNBV") > 0);
    assert_string_equal(uri,
                        "otpauth://totp/zikao%20%E5%B1%B1%E8%A5%BF:wang.li?secret=GEZDGNBV"
                        "&issuer=zikao%20%E5%B1%B1%E8%A5%BF&algorithm=SHA1&digits=6&period=30");
    assert_int_equal(totp_uri(uri, 20, "zikao", "wang.li", "GEZDGNBV"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes_match_the_rfc_6238_sha1_vectors),
        cmocka_unit_test(test_a_code_of_the_step_before_or_after_is_accepted_two_away_is_not),
        cmocka_unit_test(test_a_code_of_a_step_already_used_is_refused),
        cmocka_unit_test(test_malformed_codes_match_nothing),
        cmocka_unit_test(test_base32_round_trips_and_matches_rfc_4648),
        cmocka_unit_test(test_the_uri_names_issuer_and_account_percent_encoded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
