/* test_queue.c - queue naming and the retry backoff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "queue.h"

#include <string.h>

static void test_queue_backoff_doubles_and_is_capped(void **state)
{
    /* With rnd = 0 the delay is the fixed half; with rnd = max, the whole. */
    assert_int_equal(queue_backoff_ms(1, 1000, 60000, 0), 500);
    assert_int_equal(queue_backoff_ms(2, 1000, 60000, 0), 1000);
    assert_int_equal(queue_backoff_ms(3, 1000, 60000, 0), 2000);
    assert_int_equal(queue_backoff_ms(1, 1000, 60000, UINT32_MAX) <= 1000, 1);
    assert_int_equal(queue_backoff_ms(30, 1000, 60000, 0), 30000);
    assert_true(queue_backoff_ms(30, 1000, 60000, UINT32_MAX) <= 60000);
    assert_int_equal(queue_backoff_ms(0, 1000, 60000, 0), 500);
}

static void test_queue_backoff_jitter_spreads_retries(void **state)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    for (uint32_t r = 0; r < 10000; r += 7) {
        uint64_t d = queue_backoff_ms(4, 1000, 60000, r * 2654435761u);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
        assert_true(d >= 4000 && d <= 8000);
    }
    assert_true(hi - lo > 3000); /* not all at the same instant */
}

static void test_queue_names_and_keys(void **state)
{
    char k[QUEUE_KEY_MAX];
    assert_true(queue_name_valid("photo"));
    assert_true(queue_name_valid("face-2"));
    assert_false(queue_name_valid(""));
    assert_false(queue_name_valid("Photo"));
    assert_false(queue_name_valid("2face"));
    assert_false(queue_name_valid("a b"));
    assert_false(queue_name_valid("abcdefghijabcdefghijabcdefghijabc")); /* 33 */
    assert_int_equal(queue_stream_key(k, sizeof(k), "pdf"), 0);
    assert_string_equal(k, "zikao:q:pdf");
    assert_int_equal(queue_published_key(k, sizeof(k), "pdf"), 0);
    assert_string_equal(k, "zikao:q:pdf:published");
    assert_int_equal(queue_stats_key(k, sizeof(k), "pdf"), 0);
    assert_string_equal(k, "zikao:q:pdf:stats");
    assert_true(queue_stream_key(k, sizeof(k), "bad name") < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_backoff_doubles_and_is_capped),
        cmocka_unit_test(test_queue_backoff_jitter_spreads_retries),
        cmocka_unit_test(test_queue_names_and_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
