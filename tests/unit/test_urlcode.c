/* test_urlcode.c - percent-decoding and form lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "urlcode.h"

#include <string.h>

static void test_url_decode_escapes_and_plus(void **state)
{
    struct arena a;
    arena_init(&a, 512);
    assert_string_equal(url_decode(&a, "a%20b%E4%B8%AD", 14, false, NULL), "a b中");
    assert_string_equal(url_decode(&a, "a+b", 3, true, NULL), "a b");
    assert_string_equal(url_decode(&a, "a+b", 3, false, NULL), "a+b");
    assert_string_equal(url_decode(&a, "bad%zzend%4", 11, false, NULL), "bad%zzend%4");
    size_t n;
    url_decode(&a, "%00x", 4, false, &n);
    assert_int_equal(n, 2);
    arena_destroy(&a);
}

static void test_url_form_get(void **state)
{
    struct arena a;
    arena_init(&a, 512);
    const char *f = "ms=100&name=%E5%BC%A0+%E4%B8%89&flag&empty=";
    assert_string_equal(url_form_get(&a, f, strlen(f), "ms"), "100");
    assert_string_equal(url_form_get(&a, f, strlen(f), "name"), "张 三");
    assert_string_equal(url_form_get(&a, f, strlen(f), "flag"), "");
    assert_string_equal(url_form_get(&a, f, strlen(f), "empty"), "");
    assert_null(url_form_get(&a, f, strlen(f), "missing"));
    assert_null(url_form_get(&a, "", 0, "x"));
    arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_decode_escapes_and_plus),
        cmocka_unit_test(test_url_form_get),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
