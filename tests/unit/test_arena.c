/* test_arena.c - the request arena: alignment, growth, large blocks, printf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "arena.h"

#include <string.h>

static void test_arena_allocations_are_aligned_and_distinct(void **state)
{
    struct arena a;
    arena_init(&a, 1024);
    char *p = arena_alloc(&a, 3);
    char *q = arena_alloc(&a, 5);
    assert_true(p != q);
    assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
    assert_int_equal((uintptr_t)q % _Alignof(max_align_t), 0);
    memset(p, 'x', 3);
    memset(q, 'y', 5);
    assert_int_equal(p[2], 'x');
    arena_destroy(&a);
}

static void test_arena_grows_past_one_chunk(void **state)
{
    struct arena a;
    arena_init(&a, 256);
    char *blocks[100];
    for (int i = 0; i < 100; i++) {
        blocks[i] = arena_alloc(&a, 48);
        memset(blocks[i], i, 48);
    }
    for (int i = 0; i < 100; i++)
        assert_int_equal((unsigned char)blocks[i][47], i);
    assert_true(a.total > 256);
    arena_destroy(&a);
    assert_null(a.head);
}

static void test_arena_large_block_keeps_current_chunk_usable(void **state)
{
    struct arena a;
    arena_init(&a, 4096);
    char *small = arena_alloc(&a, 16);
    char *big = arena_alloc(&a, 2 * 1024 * 1024);
    char *small2 = arena_alloc(&a, 16);
    memset(big, 1, 2 * 1024 * 1024);
    /* small2 comes from the same chunk as small, right after it. */
    assert_ptr_equal(small2, small + 16);
    arena_destroy(&a);
}

static void test_arena_printf_and_strdup(void **state)
{
    struct arena a;
    arena_init(&a, 256);
    char *s = arena_printf(&a, "%s-%d", "考生", 42);
    assert_string_equal(s, "考生-42");
    char long_text[1000];
    memset(long_text, 'z', sizeof(long_text) - 1);
    long_text[999] = '\0';
    char *l = arena_printf(&a, "%s", long_text);
    assert_int_equal(strlen(l), 999);
    assert_string_equal(arena_strndup(&a, "abcdef", 3), "abc");
    arena_destroy(&a);
}

static int cleanup_order[4];
static int cleanup_count;

static void record_cleanup(void *arg)
{
    cleanup_order[cleanup_count++] = *(int *)arg;
}

static void test_arena_defer_runs_cleanups_last_first_on_destroy(void **state)
{
    struct arena a;
    arena_init(&a, 256);
    int *one = arena_alloc(&a, sizeof(int)), *two = arena_alloc(&a, sizeof(int));
    *one = 1;
    *two = 2;
    cleanup_count = 0;
    arena_defer(&a, record_cleanup, one);
    arena_defer(&a, record_cleanup, two);
    for (int i = 0; i < 50; i++)
        arena_alloc(&a, 100); /* the records must survive chunk growth */
    assert_int_equal(cleanup_count, 0);
    arena_destroy(&a);
    assert_int_equal(cleanup_count, 2);
    assert_int_equal(cleanup_order[0], 2);
    assert_int_equal(cleanup_order[1], 1);
    arena_destroy(&a); /* nothing runs twice */
    assert_int_equal(cleanup_count, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_allocations_are_aligned_and_distinct),
        cmocka_unit_test(test_arena_grows_past_one_chunk),
        cmocka_unit_test(test_arena_large_block_keeps_current_chunk_usable),
        cmocka_unit_test(test_arena_printf_and_strdup),
        cmocka_unit_test(test_arena_defer_runs_cleanups_last_first_on_destroy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
