/*
 * test_audit_import.c - the academic CSV formats: every bad line is rejected
 * with a reason naming the column and value (and the earlier line for
 * duplicates and disagreements), quoting works, the demo files of
 * schema/data/academic load without a single rejected line, and every demo
 * candidate of demo_candidates.csv gets the outcome written there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "audit.h"
#include "audit_import.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Feeds text line by line; returns the number of rejected lines and the
 * reason of the first rejected line (and its number) in why / bad_line. */
static int feed(struct audit_import *im, const char *text, char *why, size_t whylen,
                size_t *bad_line)
{
    int rejected = 0;
    size_t n = 0;
    char tmp[256];
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\n");
        int rc = audit_import_line(im, ++n, p, len, tmp, sizeof(tmp));
        if (rc < 0 && rejected++ == 0) {
            snprintf(why, whylen, "%s", tmp);
            if (bad_line != NULL)
                *bad_line = n;
        }
        p += len + (p[len] == '\n');
    }
    return rejected;
}

/* One data line after the header must be rejected with a reason containing want. */
static void expect_reject(enum audit_import_kind kind, const char *row, const char *want)
{
    struct audit_import im;
    audit_import_init(&im, kind);
    char text[1024], why[256] = "";
    snprintf(text, sizeof(text), "# comment\n%s\n%s\n", audit_import_header(kind), row);
    size_t line = 0;
    if (feed(&im, text, why, sizeof(why), &line) != 1)
        fail_msg("'%s' was accepted", row);
    assert_int_equal(line, 3);
    if (strstr(why, want) == NULL)
        fail_msg("reason '%s' lacks '%s'", why, want);
    assert_int_equal(im.nrows, 0);
    audit_import_free(&im);
}

static void test_audit_import_scores_rejects_bad_lines_with_reason(void **state)
{
    enum audit_import_kind k = AUDIT_IMPORT_SCORES;
    expect_reject(k, "9000001,080105408130,13000,英语(专升本),59,7,2023-10-22,exam",
                  "score '59' is not a pass");
    expect_reject(k, "9000001,08010540813,13000,英语(专升本),61,7,2023-10-22,exam",
                  "exam_id '08010540813' must be 12 digits");
    expect_reject(k, "9000001,080105408130,0506,管理经济学,69,5,2023-10-22,exam",
                  "course_code '0506' must be 5 digits");
    expect_reject(k, "9000001,080105408130,13000,英语(专升本),61,7,2023-02-29,exam",
                  "passed_on '2023-02-29'");
    expect_reject(k, "9000001,080105408130,13000,英语(专升本),61,7,2023-10-22,red_card",
                  "source 'red_card'");
    expect_reject(k, "0,080105408130,13000,英语(专升本),61,7,2023-10-22,exam", "candidate_id");
    expect_reject(k, "9000001,080105408130,13000,英语(专升本),61,7,2023-10-22", "7 fields");
    expect_reject(k, "9000001,080105408130,13000,,61,7,2023-10-22,exam", "course_name");
}

static void test_audit_import_reports_every_rejected_line(void **state)
{
    struct audit_import im;
    audit_import_init(&im, AUDIT_IMPORT_SCORES);
    const char *text =
        "candidate_id,exam_id,course_code,course_name,score,credits,passed_on,source\n"
        "9000001,080105408130,13000,英语(专升本),61,7,2023-10-22,exam\n"
        "9000001,080105408130,13000,英语(专升本),62,7,2023-10-22,exam\n"
        "\n"
        "9000001,080105408130,00247,国际法,70,6,2023-10-22,exam\n"
        "9000001,080105408130,00227,公司法,x,4,2023-10-22,exam\n";
    char why[256];
    int results[6];
    size_t n = 0;
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\n");
        results[n] = audit_import_line(&im, n + 1, p, len, why, sizeof(why));
        if (n == 2)
            assert_non_null(strstr(why, "already on line 2"));
        n++;
        p += len + 1;
    }
    assert_int_equal(n, 6);
    int want[] = {0, 1, -EINVAL, 0, 1, -EINVAL};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(results[i], want[i]);
    assert_int_equal(im.nrows, 2);
    assert_int_equal(im.rows.scores[1].line, 5);
    assert_string_equal(im.rows.scores[1].course_code, "00247");
    audit_import_free(&im);
}

static void test_audit_import_header_must_match(void **state)
{
    struct audit_import im;
    audit_import_init(&im, AUDIT_IMPORT_COURSES);
    char why[256];
    const char *h = "code,name,kind,credits";
    assert_int_equal(audit_import_line(&im, 1, h, strlen(h), why, sizeof(why)), -EINVAL);
    assert_non_null(strstr(why, "header must be: code,name,credits,kind"));
    audit_import_free(&im);
}

static void test_audit_import_csv_quoting(void **state)
{
    struct audit_import im;
    audit_import_init(&im, AUDIT_IMPORT_COURSES);
    char why[256] = "";
    const char *text = "\xEF\xBB\xBF"
                       "code,name,credits,kind\r\n"
                       "00230,\"合同法, \"\"新\"\"\",5,theory\r\n";
    assert_int_equal(feed(&im, text, why, sizeof(why), NULL), 0);
    assert_int_equal(im.nrows, 1);
    assert_string_equal(im.rows.courses[0].name, "合同法, \"新\"");
    assert_int_equal(im.rows.courses[0].credits, 5);
    const char *bad = "00231,\"未闭合,3,theory";
    assert_int_equal(audit_import_line(&im, 3, bad, strlen(bad), why, sizeof(why)), -EINVAL);
    assert_non_null(strstr(why, "quote not closed"));
    audit_import_free(&im);
}

static void test_audit_import_majors_rejects_bad_lines(void **state)
{
    enum audit_import_kind k = AUDIT_IMPORT_MAJORS;
    expect_reject(k, "03010K,法学,专升本,open,0003:天津师范大学", "code '03010K'");
    expect_reject(k, "030101K,法学,研究生,open,0003:天津师范大学", "level '研究生'");
    expect_reject(k, "030101K,法学,专升本,closed,0003:天津师范大学", "status 'closed'");
    expect_reject(k, "030101K,法学,专升本,open,0003", "must be code:name");
    expect_reject(k, "030101K,法学,专升本,open,0003:天津师范大学;0003:天津师范大学",
                  "listed twice");
}

static void test_audit_import_plan_rows_must_agree(void **state)
{
    struct audit_import im;
    audit_import_init(&im, AUDIT_IMPORT_PLANS);
    char why[256] = "";
    size_t line = 0;
    char text[2048];
    snprintf(text, sizeof(text),
             "%s\n"
             "030101K,new,2024-01-01,56,3,选修课程,6,13144,犯罪学,6,elective\n"
             "030101K,new,2024-01-01,56,3,选修课程,8,00233,税法,3,elective\n",
             audit_import_header(AUDIT_IMPORT_PLANS));
    assert_int_equal(feed(&im, text, why, sizeof(why), &line), 1);
    assert_int_equal(line, 3);
    assert_non_null(strstr(why, "module 3 has another name or minimum on line 2"));
    audit_import_free(&im);

    audit_import_init(&im, AUDIT_IMPORT_PLANS);
    snprintf(text, sizeof(text),
             "%s\n"
             "030101K,new,2024-01-01,56,1,基础课程,0,14081,侵权责任法,4,required\n"
             "030101K,new,2024-01-01,56,3,选修课程,6,14081,侵权责任法,4,elective\n"
             "030101K,new,2024-01-02,56,3,选修课程,6,00233,税法,3,elective\n"
             "030101K,new,2024-01-01,56,4,基础课程,0,00229,证据法学,4,required\n"
             "030101K,new,2024-01-01,56,3,选修课程,6,00262,法律文书写作,3,maybe\n",
             audit_import_header(AUDIT_IMPORT_PLANS));
    assert_int_equal(feed(&im, text, why, sizeof(why), &line), 4);
    assert_non_null(strstr(why, "course 14081 is already in plan 030101K new on line 2"));
    assert_int_equal(im.nrows, 1);
    audit_import_free(&im);
    expect_reject(AUDIT_IMPORT_PLANS,
                  "030101K,new,2024-01-01,56,1,基础课程,0,14081,侵权责任法,4,maybe",
                  "required 'maybe'");
}

static void test_audit_import_rule_shape_checked(void **state)
{
    enum audit_import_kind k = AUDIT_IMPORT_RULES;
    expect_reject(k, "R9,,,one_to_one,13000,00015;00016,,,", "exactly one source");
    expect_reject(k, "R9,,,credit_pool,,00015,,,", "min_credits > 0");
    expect_reject(k, "R9,,,choose_one,14081,00169,,,", "choose_one needs a choice");
    expect_reject(k, "R9,,,one_to_many,19001,00257,,,", "two or more targets");
    expect_reject(k, "R9,,,swap,19001,00257,,,", "kind 'swap'");
    expect_reject(k, "R9,,,one_to_one,13000,00015,3,,", "only for credit_pool");
    expect_reject(k, "R9,,,one_to_one,13000,13000,,,", "listed twice");
    expect_reject(k, "R 9,,,one_to_one,13000,00015,,,", "id 'R 9'");
    expect_reject(k, "R9,,,one_to_one,13000,00015,,2024-13-01,", "sources_from");
}

static void test_audit_import_survives_garbage_lines(void **state)
{
    static const char alphabet[] = "0123456789,\";;:-# \t\rabcXYZ\xE4\xB8\xAD\xEF\xBB\xBF";
    unsigned seed = 7;
    for (int kind = AUDIT_IMPORT_MAJORS; kind <= AUDIT_IMPORT_CURRENT; kind++) {
        struct audit_import im;
        audit_import_init(&im, (enum audit_import_kind)kind);
        const char *h = audit_import_header((enum audit_import_kind)kind);
        char why[256];
        assert_int_equal(audit_import_line(&im, 1, h, strlen(h), why, sizeof(why)), 0);
        for (int i = 0; i < 4000; i++) {
            char line[200];
            seed = seed * 1103515245u + 12345u;
            size_t len = (seed >> 16) % sizeof(line);
            for (size_t k = 0; k < len; k++) {
                seed = seed * 1103515245u + 12345u;
                line[k] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
            }
            int rc = audit_import_line(&im, (size_t)i + 2, line, len, why, sizeof(why));
            assert_true(rc == 0 || rc == 1 || rc == -EINVAL);
        }
        audit_import_free(&im);
    }
}

/* ---- the demo data --------------------------------------------------- */

static size_t load(struct audit_import *im, enum audit_import_kind kind, const char *file)
{
    char path[512], line[4096], why[256];
    snprintf(path, sizeof(path), "%s/%s", AUDIT_DATA_DIR, file);
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        fail_msg("cannot open %s", path);
    audit_import_init(im, kind);
    size_t n = 0;
    while (fgets(line, sizeof(line), fp) != NULL)
        if (audit_import_line(im, ++n, line, strcspn(line, "\n"), why, sizeof(why)) < 0)
            fail_msg("%s:%zu: rejected: %s", path, n, why);
    fclose(fp);
    return im->nrows;
}

static void test_audit_import_demo_files_have_no_rejected_line(void **state)
{
    struct audit_import im;
    assert_int_equal(load(&im, AUDIT_IMPORT_MAJORS, "majors.csv"), 36);
    size_t stopping = 0;
    for (size_t i = 0; i < im.nrows; i++)
        stopping += strcmp(im.rows.majors[i].status, "stopping") == 0;
    assert_int_equal(stopping, 1);
    audit_import_free(&im);
    assert_int_equal(load(&im, AUDIT_IMPORT_COURSES, "courses.csv"), 31);
    audit_import_free(&im);
    assert_int_equal(load(&im, AUDIT_IMPORT_PLANS, "plans.csv"), 39);
    audit_import_free(&im);
    assert_int_equal(load(&im, AUDIT_IMPORT_RULES, "rules.csv"), 7);
    audit_import_free(&im);
    assert_true(load(&im, AUDIT_IMPORT_SCORES, "scores.csv") > 100);
    audit_import_free(&im);
}

/* Parses "RULE[:S;S][>T]|..." into choices (strings live in buf). */
static size_t parse_choices(char *buf, struct audit_choice *out, const char **srcs, size_t max)
{
    size_t n = 0, ns = 0;
    for (char *tok = strtok(buf, "|"); tok != NULL; tok = strtok(NULL, "|")) {
        assert_true(n < max);
        struct audit_choice *c = &out[n++];
        memset(c, 0, sizeof(*c));
        char *gt = strchr(tok, '>');
        if (gt != NULL) {
            *gt = '\0';
            c->target = gt + 1;
        }
        char *colon = strchr(tok, ':');
        c->rule_id = tok;
        c->sources = &srcs[ns];
        if (colon != NULL) {
            *colon = '\0';
            for (char *s = colon + 1; s != NULL && *s;) {
                char *semi = strchr(s, ';');
                if (semi != NULL)
                    *semi = '\0';
                srcs[ns++] = s;
                c->nsources++;
                s = semi != NULL ? semi + 1 : NULL;
            }
        }
    }
    return n;
}

static bool expectation_met(const struct audit_result *res, const struct audit_pass *p,
                            const char *what, const char *arg)
{
    if (strcmp(what, "MISSING") == 0 || strcmp(what, "HINT") == 0 ||
        strcmp(what, "OLD_CARD") == 0 || strcmp(what, "MODULE") == 0) {
        enum audit_reason_code code = what[0] == 'M' && what[1] == 'I' ? AUDIT_REASON_COURSE_MISSING
                                      : what[0] == 'H'                 ? AUDIT_REASON_HINT
                                      : what[0] == 'O'                 ? AUDIT_REASON_OLD_CARD
                                                       : AUDIT_REASON_MODULE_CREDITS;
        for (size_t i = 0; i < res->nreasons; i++) {
            const char *key = code == AUDIT_REASON_MODULE_CREDITS ? res->reasons[i].module
                                                                  : res->reasons[i].course;
            if (res->reasons[i].code == code && key != NULL && strcmp(key, arg) == 0)
                return true;
        }
        return false;
    }
    if (strcmp(what, "TOTAL") == 0) {
        for (size_t i = 0; i < res->nreasons; i++)
            if (res->reasons[i].code == AUDIT_REASON_TOTAL_CREDITS)
                return true;
        return false;
    }
    if (strcmp(what, "REFUSED") == 0) {
        for (size_t i = 0; i < res->nrefusals; i++)
            if (strcmp(audit_refusal_name(res->refusals[i].code), arg) == 0)
                return true;
        return false;
    }
    if (strcmp(what, "AUTO") == 0 || strcmp(what, "CHOSEN") == 0) {
        for (size_t i = 0; i < res->nsubstitutions; i++)
            if (strcmp(res->substitutions[i].rule->id, arg) == 0 &&
                res->substitutions[i].automatic == (what[0] == 'A'))
                return true;
        return false;
    }
    if (strcmp(what, "UNUSED") == 0 || strcmp(what, "DUPLICATE") == 0) {
        enum audit_use use = what[0] == 'U' ? AUDIT_USE_NONE : AUDIT_USE_DUPLICATE;
        for (size_t i = 0; i < res->npasses; i++)
            if (strcmp(p[i].code, arg) == 0 && res->passes[i].use == use)
                return true;
        return false;
    }
    fail_msg("unknown expectation %s", what);
    return false;
}

static void test_audit_demo_candidates_get_expected_outcomes(void **state)
{
    struct audit_import plans, rules, scores;
    load(&plans, AUDIT_IMPORT_PLANS, "plans.csv");
    load(&rules, AUDIT_IMPORT_RULES, "rules.csv");
    load(&scores, AUDIT_IMPORT_SCORES, "scores.csv");
    char path[512], line[2048];
    snprintf(path, sizeof(path), "%s/demo_candidates.csv", AUDIT_DATA_DIR);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t checked = 0;
    bool header = true;
    while (fgets(line, sizeof(line), fp) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (header) {
            header = false;
            continue;
        }
        char *f[7], *save = line;
        for (int i = 0; i < 7; i++) {
            f[i] = save;
            char *comma = i < 6 ? strchr(save, ',') : NULL;
            if (comma != NULL) {
                *comma = '\0';
                save = comma + 1;
            } else {
                assert_int_equal(i, 6);
            }
        }
        struct arena a;
        arena_init(&a, 16384);
        struct audit_plan plan;
        char err[256];
        if (audit_plan_from_rows(plans.rows.plans, plans.nrows, rules.rows.rules, rules.nrows, f[1],
                                 "法学", f[2], &a, &plan, err, sizeof(err)) != 0)
            fail_msg("plan %s %s: %s", f[1], f[2], err);
        struct audit_pass *p;
        size_t np = audit_passes_from_rows(scores.rows.scores, scores.nrows, atoll(f[0]), &a, &p);
        assert_true(np > 0);
        struct audit_choice ch[8];
        const char *srcs[32];
        size_t nch = parse_choices(f[3], ch, srcs, 8);
        struct audit_result res;
        assert_int_equal(audit_run(&plan, p, np, ch, nch, &a, &res), 0);
        if (res.complete != (strcmp(f[4], "yes") == 0))
            fail_msg("candidate %s (%s): complete=%d: %s", f[0], f[6], res.complete,
                     res.reasons[0].message);
        for (char *e = strtok(f[5], ";"); e != NULL; e = strtok(NULL, ";")) {
            char *colon = strchr(e, ':');
            if (colon != NULL)
                *colon = '\0';
            if (!expectation_met(&res, p, e, colon != NULL ? colon + 1 : ""))
                fail_msg("candidate %s (%s): expected %s:%s", f[0], f[6], e,
                         colon != NULL ? colon + 1 : "");
        }
        arena_destroy(&a);
        checked++;
    }
    fclose(fp);
    assert_int_equal(checked, 14);
    audit_import_free(&plans);
    audit_import_free(&rules);
    audit_import_free(&scores);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audit_import_scores_rejects_bad_lines_with_reason),
        cmocka_unit_test(test_audit_import_reports_every_rejected_line),
        cmocka_unit_test(test_audit_import_header_must_match),
        cmocka_unit_test(test_audit_import_csv_quoting),
        cmocka_unit_test(test_audit_import_majors_rejects_bad_lines),
        cmocka_unit_test(test_audit_import_plan_rows_must_agree),
        cmocka_unit_test(test_audit_import_rule_shape_checked),
        cmocka_unit_test(test_audit_import_survives_garbage_lines),
        cmocka_unit_test(test_audit_import_demo_files_have_no_rejected_line),
        cmocka_unit_test(test_audit_demo_candidates_get_expected_outcomes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
