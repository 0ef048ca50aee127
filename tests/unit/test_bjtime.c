/* test_bjtime.c - Beijing time: dates and the seconds to its midnight. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bjtime.h"

/* 2026-12-03 15:59:59 UTC is 23:59:59 in Beijing; a second later it is the 4th. */
#define UTC_2026_12_03_155959 1796313599

static void test_bj_date_turns_at_beijing_midnight_not_utc(void **state)
{
    assert_int_equal(bj_date(UTC_2026_12_03_155959), 20261203);
    assert_int_equal(bj_date(UTC_2026_12_03_155959 + 1), 20261204);
}

static void test_seconds_to_midnight_count_down_to_the_next_beijing_day(void **state)
{
    assert_int_equal(bj_seconds_to_midnight(UTC_2026_12_03_155959), 1);
    assert_int_equal(bj_seconds_to_midnight(UTC_2026_12_03_155959 + 1), 86400);
    assert_int_equal(bj_seconds_to_midnight(UTC_2026_12_03_155959 - 3600), 3601);
}

static void test_bj_tm_is_eight_hours_ahead_of_utc(void **state)
{
    struct tm tm;
    bj_tm(UTC_2026_12_03_155959, &tm);
    assert_int_equal(tm.tm_hour, 23);
    assert_int_equal(tm.tm_min, 59);
    assert_int_equal(tm.tm_mday, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bj_date_turns_at_beijing_midnight_not_utc),
        cmocka_unit_test(test_seconds_to_midnight_count_down_to_the_next_beijing_day),
        cmocka_unit_test(test_bj_tm_is_eight_hours_ahead_of_utc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
