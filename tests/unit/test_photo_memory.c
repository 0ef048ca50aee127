/*
 * test_photo_memory.c - the decode gate keeps a worker's memory bounded: a
 * 100-megapixel PNG bomb, a JPEG header claiming 60000x60000, a progressive
 * JPEG whose coefficient buffer would exceed the budget and a truncated
 * JPEG are all refused, and a real 24-megapixel JPEG is checked through
 * shrink-on-load, while the process's peak resident set (getrusage
 * ru_maxrss) grows by less than PHOTO_TEST_RSS_BOUND_MB.
 *
 * Decoding the bomb would need 9000 x 11200 x 3 = 302 MB; the bound is 48 MB.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "photo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define PHOTO_TEST_RSS_BOUND_MB 48

static struct photo_specs specs;
static const char *dir;

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static enum photo_verdict check(const char *file, const char *profile, const char *kind,
                                enum photo_verdict *decode)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("fixture %s missing", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    struct photo_result res;
    const struct photo_spec *spec = photo_spec_find(&specs, profile, kind);
    assert_non_null(spec);
    assert_int_equal(photo_check_buffer(spec, &specs, b, (size_t)n, NULL, &res), 0);
    free(b);
    for (int i = 0; i < res.nverdicts; i++)
        if (res.verdicts[i].rule == PHOTO_RULE_DECODE)
            *decode = res.verdicts[i].verdict;
    return res.status;
}

static void test_photo_bombs_and_truncation_refused_within_memory_bound(void **state)
{
    long before = peak_rss_kb();
    enum photo_verdict d;
    check("bomb_100mp.png", "shanxi", "graduation", &d);
    assert_int_equal(d, PHOTO_FAILED);
    check("bomb_60000.jpg", "shanxi", "graduation", &d);
    assert_int_equal(d, PHOTO_FAILED);
    check("bomb_progressive.jpg", "shanxi", "holding", &d);
    assert_int_equal(d, PHOTO_FAILED);
    char path[4096];
    snprintf(path, sizeof(path), "%s/tj_truncated.jpg", dir);
    FILE *f = fopen(path, "rb");
    if (f != NULL) {
        fclose(f);
        check("tj_truncated.jpg", "tianjin", "registration", &d);
        assert_int_equal(d, PHOTO_FAILED);
    } else {
        printf("SKIP: kit not found: no truncated face photo (the bombs are still checked)\n");
    }
    /* A legitimate 24-megapixel JPEG decodes, shrunk on load. */
    check("big_24mp.jpg", "shanxi", "certificate", &d);
    assert_int_equal(d, PHOTO_PASSED);
    long after = peak_rss_kb();
    printf("peak RSS %ld KB before, %ld KB after (growth %ld KB, bound %d MB)\n", before, after,
           after - before, PHOTO_TEST_RSS_BOUND_MB);
    assert_true(after - before < PHOTO_TEST_RSS_BOUND_MB * 1024L);
}

int main(void)
{
    dir = getenv("ZIKAO_PHOTO_FIXTURES");
    if (dir == NULL) {
        fprintf(stderr, "ZIKAO_PHOTO_FIXTURES not set (run through ctest)\n");
        return 1;
    }
    char err[256];
    if (photo_init("test_photo_memory") < 0 ||
        photo_specs_load_builtin(&specs, err, sizeof(err)) < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_photo_bombs_and_truncation_refused_within_memory_bound),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    photo_specs_free(&specs);
    return rc;
}
