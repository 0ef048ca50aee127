/* test_router.c - route table: literals, parameters, backtracking, 404/405. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "router.h"

#include <errno.h>
#include <string.h>

static void h(struct http_request *req)
{
    (void)req;
}

static const struct route routes[] = {
    {"GET", "/healthz", h, 0, NULL},
    {"GET", "/api/v1/orders/{no}", h, 0, NULL},
    {"POST", "/api/v1/orders/{no}/pay", h, 0, NULL},
    {"DELETE", "/api/v1/orders/{no}", h, 0, NULL},
    {"GET", "/api/v1/orders/mine", h, 0, NULL},
    {"GET", "/a/b/c", h, 0, NULL},
    {"GET", "/a/{x}/d", h, 0, NULL},
    {"GET", "/", h, 0, NULL},
};

static struct router *build(void)
{
    struct router *r = router_create();
    char err[128];
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        assert_int_equal(router_add(r, &routes[i], err, sizeof(err)), 0);
    return r;
}

static void test_router_literal_and_parameter(void **state)
{
    struct router *r = build();
    struct router_match m;
    assert_int_equal(router_match(r, "GET", "/healthz", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes[0]);
    assert_int_equal(router_match(r, "GET", "/api/v1/orders/Z2024", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes[1]);
    assert_int_equal(m.nparams, 1);
    assert_int_equal(m.params[0].len, 5);
    assert_memory_equal(m.params[0].p, "Z2024", 5);
    assert_int_equal(router_match(r, "POST", "/api/v1/orders/Z1/pay", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes[2]);
    assert_int_equal(router_match(r, "GET", "/", &m), ROUTER_FOUND);
    router_free(r);
}

static void test_router_literal_wins_over_parameter(void **state)
{
    struct router *r = build();
    struct router_match m;
    assert_int_equal(router_match(r, "GET", "/api/v1/orders/mine", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes[4]);
    assert_int_equal(m.nparams, 0);
    router_free(r);
}

static void test_router_backtracks_to_parameter(void **state)
{
    struct router *r = build();
    struct router_match m;
    assert_int_equal(router_match(r, "GET", "/a/b/c", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes[5]);
    assert_int_equal(router_match(r, "GET", "/a/b/d", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes[6]);
    assert_memory_equal(m.params[0].p, "b", 1);
    router_free(r);
}

static void test_router_not_found(void **state)
{
    struct router *r = build();
    struct router_match m;
    assert_int_equal(router_match(r, "GET", "/nope", &m), ROUTER_NOT_FOUND);
    assert_int_equal(router_match(r, "GET", "/healthz/", &m), ROUTER_NOT_FOUND);
    assert_int_equal(router_match(r, "GET", "/api/v1/orders/", &m), ROUTER_NOT_FOUND);
    assert_int_equal(router_match(r, "GET", "/api/v1/orders", &m), ROUTER_NOT_FOUND);
    assert_int_equal(router_match(r, "GET", "//healthz", &m), ROUTER_NOT_FOUND);
    assert_int_equal(router_match(r, "GET", "/a/b/c/d", &m), ROUTER_NOT_FOUND);
    router_free(r);
}

static void test_router_method_not_allowed_lists_allow(void **state)
{
    struct router *r = build();
    struct router_match m;
    assert_int_equal(router_match(r, "PUT", "/api/v1/orders/1", &m), ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "GET, HEAD, DELETE");
    assert_int_equal(router_match(r, "POST", "/healthz", &m), ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "GET, HEAD");
    router_free(r);
}

static void test_router_head_uses_get(void **state)
{
    struct router *r = build();
    struct router_match m;
    assert_int_equal(router_match(r, "HEAD", "/healthz", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes[0]);
    router_free(r);
}

static void test_router_rejects_bad_tables(void **state)
{
    struct router *r = build();
    char err[128];
    struct route dup = {"GET", "/healthz", h, 0, NULL};
    assert_int_equal(router_add(r, &dup, err, sizeof(err)), -EEXIST);
    struct route bad1 = {"GET", "nope", h, 0, NULL};
    assert_int_equal(router_add(r, &bad1, err, sizeof(err)), -EINVAL);
    struct route bad2 = {"BREW", "/coffee", h, 0, NULL};
    assert_int_equal(router_add(r, &bad2, err, sizeof(err)), -EINVAL);
    struct route bad3 = {"GET", "/x//y", h, 0, NULL};
    assert_int_equal(router_add(r, &bad3, err, sizeof(err)), -EINVAL);
    struct route bad4 = {"GET", "/x/{y", h, 0, NULL};
    assert_int_equal(router_add(r, &bad4, err, sizeof(err)), -EINVAL);
    router_free(r);
}

static void test_router_index_is_table_position(void **state)
{
    struct router *r = build();
    struct router_match m;
    assert_int_equal(router_count(r), 8);
    router_match(r, "DELETE", "/api/v1/orders/7", &m);
    assert_int_equal(m.index, 3);
    assert_ptr_equal(router_get(r, 3), &routes[3]);
    router_free(r);
}

static void test_router_fallback_takes_paths_outside_the_tables_first_segments(void **state)
{
    struct router *r = build();
    struct route fallback = {"GET", "static", h, 0, NULL};
    router_set_fallback(r, &fallback);
    struct router_match m;
    assert_int_equal(router_match(r, "GET", "/index.html", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &fallback);
    assert_int_equal(m.index, router_count(r)); /* the row after the table's */
    assert_int_equal(router_match(r, "POST", "/css/app.css", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &fallback);
    assert_int_equal(m.nparams, 0);
    assert_ptr_equal(router_fallback(r), &fallback);
    assert_int_equal(router_count(r), 8);
    router_free(r);
}

static void test_router_fallback_leaves_the_tables_namespaces_alone(void **state)
{
    struct router *r = build();
    struct route fallback = {"GET", "static", h, 0, NULL};
    router_set_fallback(r, &fallback);
    struct router_match m;
    assert_int_equal(router_match(r, "GET", "/api/v1/nothing", &m), ROUTER_NOT_FOUND);
    assert_int_equal(router_match(r, "GET", "/api/v1/orders/1/x", &m), ROUTER_NOT_FOUND);
    assert_int_equal(router_match(r, "GET", "/healthz/", &m), ROUTER_NOT_FOUND);
    assert_int_equal(router_match(r, "POST", "/healthz", &m), ROUTER_METHOD_NOT_ALLOWED);
    assert_int_equal(router_match(r, "GET", "/", &m), ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes[7]);
    router_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_router_literal_and_parameter),
        cmocka_unit_test(test_router_literal_wins_over_parameter),
        cmocka_unit_test(test_router_backtracks_to_parameter),
        cmocka_unit_test(test_router_not_found),
        cmocka_unit_test(test_router_method_not_allowed_lists_allow),
        cmocka_unit_test(test_router_head_uses_get),
        cmocka_unit_test(test_router_rejects_bad_tables),
        cmocka_unit_test(test_router_index_is_table_position),
        cmocka_unit_test(test_router_fallback_takes_paths_outside_the_tables_first_segments),
        cmocka_unit_test(test_router_fallback_leaves_the_tables_namespaces_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
