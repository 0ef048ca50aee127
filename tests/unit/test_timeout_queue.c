/* test_timeout_queue.c - deadlines expire in order; touch moves to the tail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "timeout_queue.h"

static void test_timeout_queue_expires_in_order(void **state)
{
    struct timeout_queue q;
    struct timeout_node a = {0}, b = {0}, c = {0};
    timeout_queue_init(&q, "t", 100);
    timeout_queue_touch(&q, &a, 0);
    timeout_queue_touch(&q, &b, 10);
    timeout_queue_touch(&q, &c, 20);
    assert_null(timeout_queue_pop_expired(&q, 99));
    assert_ptr_equal(timeout_queue_pop_expired(&q, 100), &a);
    assert_null(timeout_queue_pop_expired(&q, 100));
    assert_ptr_equal(timeout_queue_pop_expired(&q, 200), &b);
    assert_ptr_equal(timeout_queue_pop_expired(&q, 200), &c);
    assert_null(a.queue);
}

static void test_timeout_queue_touch_postpones(void **state)
{
    struct timeout_queue q;
    struct timeout_node a = {0}, b = {0};
    timeout_queue_init(&q, "t", 100);
    timeout_queue_touch(&q, &a, 0);
    timeout_queue_touch(&q, &b, 10);
    timeout_queue_touch(&q, &a, 50); /* a now expires at 150 */
    assert_ptr_equal(timeout_queue_pop_expired(&q, 120), &b);
    assert_null(timeout_queue_pop_expired(&q, 120));
    assert_ptr_equal(timeout_queue_pop_expired(&q, 150), &a);
}

static void test_timeout_queue_enter_keeps_deadline(void **state)
{
    struct timeout_queue q, other;
    struct timeout_node a = {0};
    timeout_queue_init(&q, "header", 100);
    timeout_queue_init(&other, "idle", 1000);
    timeout_queue_enter(&q, &a, 0);
    timeout_queue_enter(&q, &a, 90); /* still the first deadline */
    assert_int_equal(a.deadline, 100);
    timeout_queue_enter(&other, &a, 90); /* moves queues */
    assert_ptr_equal(a.queue, &other);
    assert_null(q.head);
    timeout_queue_leave(&a);
    assert_null(other.head);
    assert_null(a.queue);
    timeout_queue_leave(&a); /* harmless twice */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timeout_queue_expires_in_order),
        cmocka_unit_test(test_timeout_queue_touch_postpones),
        cmocka_unit_test(test_timeout_queue_enter_keeps_deadline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
