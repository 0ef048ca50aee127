/* test_pdf_docno.c - document numbers and their check character, amounts in
 * yuan and Chinese capitals, Beijing time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pdf.h"

#include <errno.h>
#include <string.h>

#define T_2024_06_15_1030 1718418600 /* Beijing 2024-06-15 10:30:00 */

static void test_mod11_2_matches_gb11643_id_check_digit(void **state)
{
    /* The ID-card standard's own example and fixture IDs. */
    assert_int_equal(pdf_iso7064_mod11_2("11010519491231002"), 'X');
    assert_int_equal(pdf_iso7064_mod11_2("14010519950315123"), '0');
    assert_int_equal(pdf_iso7064_mod11_2("14010219960822456"), '4');
    assert_int_equal(pdf_iso7064_mod11_2(""), 0);
    assert_int_equal(pdf_iso7064_mod11_2("12a4"), 0);
}

static void test_docno_has_type_beijing_date_serial_and_valid_check(void **state)
{
    char no[PDF_DOCNO_LEN + 1];
    assert_int_equal(pdf_docno_make(no, PDF_DOC_GRADUATE_FORM, T_2024_06_15_1030, 12345), 0);
    assert_int_equal(strlen(no), PDF_DOCNO_LEN);
    assert_memory_equal(no, "DJ-20240615-00012345-", 21);
    assert_int_equal(pdf_docno_verify(no), 0);

    assert_int_equal(pdf_docno_make(no, PDF_DOC_RECEIPT, T_2024_06_15_1030, PDF_SERIAL_MAX), 0);
    assert_memory_equal(no, "JF-20240615-99999999-", 21);
    assert_int_equal(pdf_docno_verify(no), 0);
}

static void test_docno_date_is_the_beijing_date(void **state)
{
    char no[PDF_DOCNO_LEN + 1];
    /* 2024-06-14 16:00 UTC is already midnight of the 15th in Beijing. */
    assert_int_equal(pdf_docno_make(no, PDF_DOC_EXEMPTION, 1718380800, 1), 0);
    assert_memory_equal(no, "MK-20240615-00000001-", 21);
    assert_int_equal(pdf_docno_make(no, PDF_DOC_EXEMPTION, 1718380800 - 1, 1), 0);
    assert_memory_equal(no, "MK-20240614-00000001-", 21);
}

static void test_docno_verify_accepts_without_hyphens_and_lowercase_x(void **state)
{
    char no[PDF_DOCNO_LEN + 1], bare[PDF_DOCNO_LEN + 1];
    /* Find a serial whose check character is X. */
    uint32_t serial = 0;
    do {
        assert_int_equal(pdf_docno_make(no, PDF_DOC_TRANSFER, T_2024_06_15_1030, ++serial), 0);
    } while (no[PDF_DOCNO_LEN - 1] != 'X');
    size_t k = 0;
    for (const char *c = no; *c; c++)
        if (*c != '-')
            bare[k++] = *c;
    bare[k] = '\0';
    assert_int_equal(pdf_docno_verify(bare), 0);
    no[PDF_DOCNO_LEN - 1] = 'x';
    assert_int_equal(pdf_docno_verify(no), 0);
}

static void test_docno_check_catches_every_single_character_change(void **state)
{
    char no[PDF_DOCNO_LEN + 1];
    static const char alphabet[] = "0123456789XABDFGJKMZ";
    assert_int_equal(pdf_docno_make(no, PDF_DOC_GRADUATE_FORM, T_2024_06_15_1030, 4711), 0);
    for (size_t i = 0; i < PDF_DOCNO_LEN; i++) {
        if (no[i] == '-')
            continue;
        for (const char *a = alphabet; *a; a++) {
            char bad[PDF_DOCNO_LEN + 1];
            if (*a == no[i])
                continue;
            memcpy(bad, no, sizeof(bad));
            bad[i] = *a;
            /* A changed type letter (DJ -> MK ...) is caught too. */
            assert_int_not_equal(pdf_docno_verify(bad), 0);
        }
    }
}

static void test_docno_check_catches_a_transfer_relabelled_as_exemption(void **state)
{
    /* ZK and MK differ in one letter: the only single-character type change. */
    char no[PDF_DOCNO_LEN + 1];
    for (uint32_t serial = 0; serial < 500; serial++) {
        assert_int_equal(pdf_docno_make(no, PDF_DOC_TRANSFER, T_2024_06_15_1030, serial), 0);
        no[0] = 'M';
        assert_int_not_equal(pdf_docno_verify(no), 0);
    }
}

static void test_docno_check_catches_adjacent_swaps(void **state)
{
    char no[PDF_DOCNO_LEN + 1];
    for (uint32_t serial = 1; serial < 2000; serial += 37) {
        assert_int_equal(pdf_docno_make(no, PDF_DOC_RECEIPT, T_2024_06_15_1030, serial), 0);
        for (size_t i = 0; i + 1 < PDF_DOCNO_LEN; i++) {
            char bad[PDF_DOCNO_LEN + 1];
            if (no[i] == no[i + 1] || no[i] == '-' || no[i + 1] == '-')
                continue;
            memcpy(bad, no, sizeof(bad));
            bad[i] = no[i + 1];
            bad[i + 1] = no[i];
            assert_int_not_equal(pdf_docno_verify(bad), 0);
        }
    }
}

static void test_docno_rejects_bad_input(void **state)
{
    char no[PDF_DOCNO_LEN + 1];
    assert_int_equal(pdf_docno_make(no, PDF_DOC_RECEIPT, 0, 1), -EINVAL);
    assert_int_equal(pdf_docno_make(no, PDF_DOC_RECEIPT, T_2024_06_15_1030, PDF_SERIAL_MAX + 1),
                     -EINVAL);
    assert_int_equal(pdf_docno_make(no, (enum pdf_doc_type)9, T_2024_06_15_1030, 1), -EINVAL);
    assert_int_equal(pdf_docno_verify(NULL), -EINVAL);
    assert_int_equal(pdf_docno_verify(""), -EINVAL);
    assert_int_equal(pdf_docno_verify("DJ-20240615-00012345"), -EINVAL);
    assert_int_equal(pdf_docno_verify("DJ-2024061-500012345-7"), -EINVAL);
    /* Well-formed digits but a prefix that names no document type. */
    assert_int_equal(pdf_docno_make(no, PDF_DOC_GRADUATE_FORM, T_2024_06_15_1030, 1), 0);
    no[0] = 'Q';
    no[1] = 'Q';
    assert_int_equal(pdf_docno_verify(no), -EINVAL);
}

static void test_yuan_from_fen_has_two_decimals(void **state)
{
    char s[32];
    assert_int_equal(pdf_format_yuan(s, sizeof(s), 6000), 0);
    assert_string_equal(s, "60.00");
    assert_int_equal(pdf_format_yuan(s, sizeof(s), 5), 0);
    assert_string_equal(s, "0.05");
    assert_int_equal(pdf_format_yuan(s, sizeof(s), 123450), 0);
    assert_string_equal(s, "1234.50");
    assert_int_equal(pdf_format_yuan(s, sizeof(s), 0), 0);
    assert_string_equal(s, "0.00");
    assert_int_equal(pdf_format_yuan(s, sizeof(s), -1), -EINVAL);
    assert_int_equal(pdf_format_yuan(s, 4, 123450), -E2BIG);
}

static void test_yuan_capitals_follow_receipt_writing_rules(void **state)
{
    static const struct {
        int64_t fen;
        const char *want;
    } cases[] = {
        {6000, "陆拾元整"},
        {123405, "壹仟贰佰叁拾肆元零伍分"},
        {123450, "壹仟贰佰叁拾肆元伍角整"},
        {5, "伍分"},
        {50, "伍角整"},
        {1000, "壹拾元整"},
        {10005, "壹佰元零伍分"},
        {10000000, "壹拾万元整"},
        {10001000, "壹拾万零壹拾元整"},
        {1000010005, "壹仟万零壹佰元零伍分"},
        {10000000100, "壹亿零壹元整"},
        {10000100000, "壹亿零壹仟元整"},
        {0, "零元整"},
    };
    char s[160];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(pdf_format_yuan_capitals(s, sizeof(s), cases[i].fen), 0);
        assert_string_equal(s, cases[i].want);
    }
    assert_int_equal(pdf_format_yuan_capitals(s, sizeof(s), -100), -EINVAL);
    assert_int_equal(pdf_format_yuan_capitals(s, 8, 6000), -E2BIG);
}

static void test_time_prints_in_beijing_time(void **state)
{
    char s[24];
    pdf_format_time(s, sizeof(s), T_2024_06_15_1030);
    assert_string_equal(s, "2024-06-15 10:30:00");
    pdf_format_time(s, sizeof(s), 1718382600);
    assert_string_equal(s, "2024-06-15 00:30:00");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mod11_2_matches_gb11643_id_check_digit),
        cmocka_unit_test(test_docno_has_type_beijing_date_serial_and_valid_check),
        cmocka_unit_test(test_docno_date_is_the_beijing_date),
        cmocka_unit_test(test_docno_verify_accepts_without_hyphens_and_lowercase_x),
        cmocka_unit_test(test_docno_check_catches_every_single_character_change),
        cmocka_unit_test(test_docno_check_catches_a_transfer_relabelled_as_exemption),
        cmocka_unit_test(test_docno_check_catches_adjacent_swaps),
        cmocka_unit_test(test_docno_rejects_bad_input),
        cmocka_unit_test(test_yuan_from_fen_has_two_decimals),
        cmocka_unit_test(test_yuan_capitals_follow_receipt_writing_rules),
        cmocka_unit_test(test_time_prints_in_beijing_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
