/* test_window_kinds.c - the list of business window kinds: which kinds there
 * are, how their terms are written, the names windows get by default, and
 * the list as PostgreSQL arrays for the API's SQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "window_kinds.h"

#include <errno.h>
#include <string.h>

static void test_window_kinds_include_ticket_printing_and_results_publication(void **state)
{
    const struct window_kind *t = window_kind_find("ticket_printing");
    const struct window_kind *r = window_kind_find("results_publication");
    assert_non_null(t);
    assert_non_null(r);
    assert_string_equal(t->name, "准考证打印");
    assert_string_equal(r->name, "当次成绩查询");
    assert_int_equal(t->term, WINDOW_TERM_SITTING);
    assert_int_equal(r->term, WINDOW_TERM_SITTING);
    assert_int_equal(window_kinds_count, 8);
    assert_null(window_kind_find("bogus"));
    assert_null(window_kind_find(NULL));
}

static void test_window_registration_terms_are_sittings_and_applications_half_years(void **state)
{
    static const char *sittings[] = {"theory_registration", "practical_registration",
                                     "ticket_printing", "results_publication"};
    static const char *halves[] = {"transfer_in_province", "transfer_out", "exemption",
                                   "graduation"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(window_kind_find(sittings[i])->term, WINDOW_TERM_SITTING);
        assert_int_equal(window_kind_find(halves[i])->term, WINDOW_TERM_HALF_YEAR);
    }
}

static void test_window_sitting_term_is_year_and_month(void **state)
{
    const struct window_kind *k = window_kind_find("theory_registration");
    assert_true(window_term_valid(k, "2027-04"));
    assert_true(window_term_valid(k, "2026-10"));
    assert_true(window_term_valid(k, "2020-08"));
    assert_false(window_term_valid(k, "2027-4"));
    assert_false(window_term_valid(k, "2027-00"));
    assert_false(window_term_valid(k, "2027-13"));
    assert_false(window_term_valid(k, "2026-2")); /* a half-year is not a sitting */
    assert_false(window_term_valid(k, "1999-04"));
    assert_false(window_term_valid(k, "2027-04 "));
    assert_false(window_term_valid(k, ""));
}

static void test_window_half_year_term_is_year_and_1_or_2(void **state)
{
    const struct window_kind *k = window_kind_find("graduation");
    assert_true(window_term_valid(k, "2026-1"));
    assert_true(window_term_valid(k, "2026-2"));
    assert_false(window_term_valid(k, "2026-3"));
    assert_false(window_term_valid(k, "2026-04")); /* a sitting is not a half-year */
    assert_false(window_term_valid(k, "26-2"));
    assert_false(window_term_valid(NULL, "2026-2"));
}

static void test_window_default_name_says_the_term_as_the_notices_do(void **state)
{
    char out[128];
    assert_int_equal(
        window_default_name(window_kind_find("theory_registration"), "2027-04", out, sizeof(out)),
        0);
    assert_string_equal(out, "2027年4月理论课程报名");
    assert_int_equal(
        window_default_name(window_kind_find("ticket_printing"), "2026-10", out, sizeof(out)), 0);
    assert_string_equal(out, "2026年10月准考证打印");
    assert_int_equal(
        window_default_name(window_kind_find("graduation"), "2026-2", out, sizeof(out)), 0);
    assert_string_equal(out, "2026年下半年毕业申请");
    assert_int_equal(window_default_name(window_kind_find("exemption"), "2027-1", out, sizeof(out)),
                     0);
    assert_string_equal(out, "2027年上半年免考申请");
    assert_int_equal(
        window_default_name(window_kind_find("exemption"), "2027-04", out, sizeof(out)), -EINVAL);
    assert_string_equal(out, "");
    assert_int_equal(window_default_name(window_kind_find("exemption"), "2027-1", out, 8), -ENOSPC);
}

static void test_window_kinds_as_postgresql_arrays_in_list_order(void **state)
{
    char out[1024];
    assert_int_equal(window_kinds_pg_array(out, sizeof(out), WINDOW_KINDS_KIND), 0);
    assert_string_equal(out, "{\"theory_registration\",\"practical_registration\","
                             "\"ticket_printing\",\"results_publication\","
                             "\"transfer_in_province\",\"transfer_out\",\"exemption\","
                             "\"graduation\"}");
    assert_int_equal(window_kinds_pg_array(out, sizeof(out), WINDOW_KINDS_NAME), 0);
    assert_string_equal(out, "{\"理论课程报名\",\"实践课程报名\",\"准考证打印\",\"当次成绩查询\","
                             "\"省内转考\",\"转出省外\",\"免考申请\",\"毕业申请\"}");
    assert_int_equal(window_kinds_pg_array(out, 40, WINDOW_KINDS_KIND), -ENOSPC);
    assert_string_equal(out, "{}");
    size_t exact = strlen("{\"theory_registration\",\"practical_registration\","
                          "\"ticket_printing\",\"results_publication\","
                          "\"transfer_in_province\",\"transfer_out\",\"exemption\","
                          "\"graduation\"}") +
                   1;
    assert_int_equal(window_kinds_pg_array(out, exact, WINDOW_KINDS_KIND), 0);
    assert_int_equal(window_kinds_pg_array(out, exact - 1, WINDOW_KINDS_KIND), -ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_kinds_include_ticket_printing_and_results_publication),
        cmocka_unit_test(test_window_registration_terms_are_sittings_and_applications_half_years),
        cmocka_unit_test(test_window_sitting_term_is_year_and_month),
        cmocka_unit_test(test_window_half_year_term_is_year_and_1_or_2),
        cmocka_unit_test(test_window_default_name_says_the_term_as_the_notices_do),
        cmocka_unit_test(test_window_kinds_as_postgresql_arrays_in_list_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
