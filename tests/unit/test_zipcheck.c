/*
 * test_zipcheck.c - the ZIP check of an application's attachment
 * (workers/archive/zipcheck.h): what a candidate's zip of scans is refused
 * for, naming the entry, and how names Windows tools write are decoded.
 * The zips are written here byte by byte, so that each one carries exactly
 * the flags, modes and names a test needs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "zipcheck.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- a minimal ZIP writer ------------------------------------------------------------------ */

#define ZW_MAX 8

struct zw_entry {
    const char *name; /* raw bytes as stored */
    const void *data;
    size_t len;
    bool deflate;
    uint16_t flags; /* 0x800: the name is UTF-8; 0x1: encrypted */
    uint32_t mode;  /* Unix mode (0: a DOS-made entry) */
};

struct zw {
    unsigned char *buf;
    size_t len, cap;
};

static void zw_put(struct zw *z, const void *p, size_t n)
{
    if (z->len + n > z->cap) {
        z->cap = (z->len + n) * 2;
        z->buf = realloc(z->buf, z->cap);
    }
    memcpy(z->buf + z->len, p, n);
    z->len += n;
}

static void zw_u16(struct zw *z, uint16_t v)
{
    unsigned char b[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
    zw_put(z, b, 2);
}

static void zw_u32(struct zw *z, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    zw_put(z, b, 4);
}

/* Raw deflate of data into a malloc'ed buffer. */
static unsigned char *deflate_raw(const void *data, size_t len, size_t *out_len)
{
    z_stream s = {0};
    assert_int_equal(deflateInit2(&s, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&s, len);
    unsigned char *out = malloc(cap);
    s.next_in = (unsigned char *)data;
    s.avail_in = (uInt)len;
    s.next_out = out;
    s.avail_out = (uInt)cap;
    assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
    *out_len = s.total_out;
    deflateEnd(&s);
    return out;
}

/* The archive of n entries (malloc'ed; *len its size). */
static unsigned char *zip_of(const struct zw_entry *e, int n, size_t *len)
{
    struct zw z = {0};
    uint32_t offsets[ZW_MAX], crcs[ZW_MAX], packed[ZW_MAX];
    for (int i = 0; i < n; i++) {
        size_t plen = e[i].len;
        unsigned char *p = e[i].deflate ? deflate_raw(e[i].data, e[i].len, &plen) : NULL;
        offsets[i] = (uint32_t)z.len;
        crcs[i] = (uint32_t)crc32(0, e[i].data, (uInt)e[i].len);
        packed[i] = (uint32_t)plen;
        zw_u32(&z, 0x04034b50);
        zw_u16(&z, 20);
        zw_u16(&z, e[i].flags);
        zw_u16(&z, e[i].deflate ? 8 : 0);
        zw_u16(&z, 0);
        zw_u16(&z, 0x21); /* 1980-01-01 */
        zw_u32(&z, crcs[i]);
        zw_u32(&z, packed[i]);
        zw_u32(&z, (uint32_t)e[i].len);
        zw_u16(&z, (uint16_t)strlen(e[i].name));
        zw_u16(&z, 0);
        zw_put(&z, e[i].name, strlen(e[i].name));
        zw_put(&z, p ? (const void *)p : e[i].data, plen);
        free(p);
    }
    uint32_t cd = (uint32_t)z.len;
    for (int i = 0; i < n; i++) {
        zw_u32(&z, 0x02014b50);
        zw_u16(&z, e[i].mode ? (3 << 8) | 20 : 20); /* made by Unix when a mode is given */
        zw_u16(&z, 20);
        zw_u16(&z, e[i].flags);
        zw_u16(&z, e[i].deflate ? 8 : 0);
        zw_u16(&z, 0);
        zw_u16(&z, 0x21);
        zw_u32(&z, crcs[i]);
        zw_u32(&z, packed[i]);
        zw_u32(&z, (uint32_t)e[i].len);
        zw_u16(&z, (uint16_t)strlen(e[i].name));
        zw_u16(&z, 0);
        zw_u16(&z, 0);
        zw_u16(&z, 0);
        zw_u16(&z, 0);
        zw_u32(&z, e[i].mode << 16);
        zw_u32(&z, offsets[i]);
        zw_put(&z, e[i].name, strlen(e[i].name));
    }
    uint32_t cd_len = (uint32_t)z.len - cd;
    zw_u32(&z, 0x06054b50);
    zw_u16(&z, 0);
    zw_u16(&z, 0);
    zw_u16(&z, (uint16_t)n);
    zw_u16(&z, (uint16_t)n);
    zw_u32(&z, cd_len);
    zw_u32(&z, cd);
    zw_u16(&z, 0);
    *len = z.len;
    return z.buf;
}

static const unsigned char JPEG[] = {0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1};
static const unsigned char PNG[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13};
static const char PDF[] = "%PDF-1.4\n1 0 obj\n<<>>\nendobj\n";

static const struct zipcheck_limits LIMITS = {
    .max_entries = 200,
    .max_entry_bytes = 10 << 20,
    .max_total_bytes = 100 << 20,
    .max_ratio = 100,
};

/* Checks the zip of entries under lim (NULL: the defaults) into res. */
static void check(const struct zw_entry *e, int n, const struct zipcheck_limits *lim,
                  struct zipcheck_result *res)
{
    size_t len;
    unsigned char *zip = zip_of(e, n, &len);
    assert_int_equal(zipcheck_run(zip, len, lim ? lim : &LIMITS, res), 0);
    free(zip);
}

static void assert_refused(const struct zipcheck_result *res, const char *rule, const char *entry)
{
    assert_false(res->accepted);
    assert_string_equal(res->rule, rule);
    assert_string_equal(res->entry, entry);
    if (entry[0] != '\0')
        assert_non_null(strstr(res->reason, entry));
}

/* ---- the tests --------------------------------------------------------------------------- */

static void test_zipcheck_accepts_scans_and_decodes_gbk_names_without_the_utf8_flag(void **state)
{
    /* "成绩卡.jpg" in GBK, as Windows' own zip tool writes it: no UTF-8 flag. */
    const char gbk[] = "\xb3\xc9\xbc\xa8\xbf\xa8.jpg";
    const struct zw_entry e[] = {
        {gbk, JPEG, sizeof(JPEG), false, 0, 0},
        {"实践考核卡/", "", 0, false, 0x800, 0040755},
        {"实践考核卡/二.png", PNG, sizeof(PNG), true, 0x800, 0100644},
        {"三.pdf", PDF, strlen(PDF), true, 0x800, 0},
    };
    struct zipcheck_result res;
    check(e, 4, NULL, &res);
    assert_true(res.accepted);
    assert_null(res.rule);
    assert_int_equal(res.files, 3);
    assert_int_equal(json_array_size(res.entries), 3);
    json_t *first = json_array_get(res.entries, 0);
    assert_string_equal(json_string_value(json_object_get(first, "name")), "成绩卡.jpg");
    assert_string_equal(json_string_value(json_object_get(first, "type")), "image/jpeg");
    assert_int_equal(json_integer_value(json_object_get(first, "size")), sizeof(JPEG));
    json_t *second = json_array_get(res.entries, 1);
    assert_string_equal(json_string_value(json_object_get(second, "name")), "实践考核卡/二.png");
    assert_string_equal(json_string_value(json_object_get(second, "type")), "image/png");
    assert_string_equal(json_string_value(json_object_get(json_array_get(res.entries, 2), "type")),
                        "application/pdf");
    zipcheck_result_free(&res);
}

static void test_zipcheck_refuses_an_entry_compressed_beyond_the_ratio(void **state)
{
    size_t n = 5 << 20;
    char *zeros = calloc(1, n);
    memcpy(zeros, "%PDF-1.4\n", 9);
    const struct zw_entry e[] = {
        {"a.jpg", JPEG, sizeof(JPEG), false, 0x800, 0},
        {"炸弹.pdf", zeros, n, true, 0x800, 0},
    };
    struct zipcheck_result res;
    check(e, 2, NULL, &res);
    assert_refused(&res, "ratio", "炸弹.pdf");
    assert_non_null(strstr(res.reason, "100:1"));
    zipcheck_result_free(&res);
    free(zeros);
}

static void test_zipcheck_counts_the_inflated_size_of_an_entry(void **state)
{
    unsigned char big[5000];
    memset(big, 0x5a, sizeof(big));
    memcpy(big, JPEG, sizeof(JPEG));
    const struct zw_entry e[] = {{"big.jpg", big, sizeof(big), false, 0, 0}};
    struct zipcheck_limits lim = LIMITS;
    lim.max_entry_bytes = 4096;
    struct zipcheck_result res;
    check(e, 1, &lim, &res);
    assert_refused(&res, "entry_size", "big.jpg");
    assert_non_null(strstr(res.reason, "4 KB"));
    zipcheck_result_free(&res);
}

static void test_zipcheck_counts_the_inflated_size_of_all_entries(void **state)
{
    unsigned char scan[3000];
    memset(scan, 0x5a, sizeof(scan));
    memcpy(scan, JPEG, sizeof(JPEG));
    const struct zw_entry e[] = {{"1.jpg", scan, sizeof(scan), false, 0, 0},
                                 {"2.jpg", scan, sizeof(scan), false, 0, 0}};
    struct zipcheck_limits lim = LIMITS;
    lim.max_total_bytes = 5000;
    struct zipcheck_result res;
    check(e, 2, &lim, &res);
    assert_refused(&res, "total_size", "2.jpg");
    zipcheck_result_free(&res);
}

static void test_zipcheck_refuses_a_path_leaving_the_archive(void **state)
{
    /* A DOS-made entry's backslashes are read as slashes. */
    const char *names[][2] = {{"../x.jpg", "../x.jpg"},
                              {"a/../../x.jpg", "a/../../x.jpg"},
                              {"a\\..\\x.jpg", "a/../x.jpg"},
                              {"/etc/x.jpg", "/etc/x.jpg"},
                              {"C:/x.jpg", "C:/x.jpg"}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const struct zw_entry e[] = {{names[i][0], JPEG, sizeof(JPEG), false, 0, 0}};
        struct zipcheck_result res;
        check(e, 1, NULL, &res);
        assert_refused(&res, "path", names[i][1]);
        assert_non_null(strstr(res.reason, "指向压缩包以外的位置"));
        zipcheck_result_free(&res);
    }
}

static void test_zipcheck_allows_dots_inside_names(void **state)
{
    const struct zw_entry e[] = {{"a..b/./c..jpg", JPEG, sizeof(JPEG), false, 0, 0}};
    struct zipcheck_result res;
    check(e, 1, NULL, &res);
    assert_true(res.accepted);
    zipcheck_result_free(&res);
}

static void test_zipcheck_refuses_a_symbolic_link(void **state)
{
    const struct zw_entry e[] = {{"卡片.jpg", "/etc/passwd", 11, false, 0x800, 0120777}};
    struct zipcheck_result res;
    check(e, 1, NULL, &res);
    assert_refused(&res, "link", "卡片.jpg");
    zipcheck_result_free(&res);
}

static void test_zipcheck_refuses_a_device(void **state)
{
    const struct zw_entry e[] = {{"dev.jpg", "", 0, false, 0, 0020644}};
    struct zipcheck_result res;
    check(e, 1, NULL, &res);
    assert_refused(&res, "special", "dev.jpg");
    zipcheck_result_free(&res);
}

static void test_zipcheck_refuses_a_jpg_that_is_really_text(void **state)
{
    const char text[] = "this is not a scan";
    const struct zw_entry e[] = {{"ok.png", PNG, sizeof(PNG), false, 0, 0},
                                 {"card.jpg", text, strlen(text), false, 0, 0}};
    struct zipcheck_result res;
    check(e, 2, NULL, &res);
    assert_refused(&res, "type", "card.jpg");
    assert_non_null(strstr(res.reason, "不是 JPG、PNG 或 PDF"));
    zipcheck_result_free(&res);
}

static void test_zipcheck_refuses_more_entries_than_the_limit(void **state)
{
    const struct zw_entry e[] = {{"1.jpg", JPEG, sizeof(JPEG), false, 0, 0},
                                 {"2.jpg", JPEG, sizeof(JPEG), false, 0, 0},
                                 {"d/", "", 0, false, 0, 0040755},
                                 {"d/3.jpg", JPEG, sizeof(JPEG), false, 0, 0}};
    struct zipcheck_limits lim = LIMITS;
    lim.max_entries = 3;
    struct zipcheck_result res;
    check(e, 4, &lim, &res);
    assert_refused(&res, "entries", "d/3.jpg");
    assert_non_null(strstr(res.reason, "超过 3 个"));
    zipcheck_result_free(&res);
}

static void test_zipcheck_refuses_an_encrypted_entry(void **state)
{
    const struct zw_entry e[] = {{"secret.jpg", JPEG, sizeof(JPEG), false, 0x1, 0}};
    struct zipcheck_result res;
    check(e, 1, NULL, &res);
    assert_refused(&res, "encrypted", "secret.jpg");
    zipcheck_result_free(&res);
}

static void test_zipcheck_refuses_a_name_neither_utf8_nor_gbk(void **state)
{
    const struct zw_entry e[] = {{"\xff\xfe.jpg", JPEG, sizeof(JPEG), false, 0, 0}};
    struct zipcheck_result res;
    check(e, 1, NULL, &res);
    assert_refused(&res, "name", "\\xFF\\xFE.jpg");
    zipcheck_result_free(&res);
}

static void test_zipcheck_refuses_what_is_not_a_zip(void **state)
{
    struct zipcheck_result res;
    assert_int_equal(zipcheck_run(JPEG, sizeof(JPEG), &LIMITS, &res), 0);
    assert_refused(&res, "not_zip", "");
    zipcheck_result_free(&res);
    size_t len;
    const struct zw_entry e[] = {{"1.jpg", JPEG, sizeof(JPEG), false, 0, 0}};
    unsigned char *zip = zip_of(e, 1, &len);
    /* Cut before its central directory: no longer a zip it can read. */
    assert_int_equal(zipcheck_run(zip, len / 2, &LIMITS, &res), 0);
    assert_refused(&res, "not_zip", "");
    zipcheck_result_free(&res);
    free(zip);
}

static void test_zipcheck_refuses_a_zip_without_files(void **state)
{
    const struct zw_entry e[] = {{"空/", "", 0, false, 0x800, 0040755}};
    struct zipcheck_result res;
    check(e, 1, NULL, &res);
    assert_refused(&res, "empty", "");
    zipcheck_result_free(&res);
}

static void test_zipcheck_detail_names_the_rule_and_the_entry(void **state)
{
    const struct zw_entry e[] = {{"ok.jpg", JPEG, sizeof(JPEG), false, 0, 0},
                                 {"../x.jpg", JPEG, sizeof(JPEG), false, 0, 0}};
    struct zipcheck_result res;
    check(e, 2, NULL, &res);
    json_t *d = zipcheck_detail_json(&res);
    assert_string_equal(json_string_value(json_object_get(d, "rule")), "path");
    assert_string_equal(json_string_value(json_object_get(d, "entry")), "../x.jpg");
    assert_int_equal(json_array_size(json_object_get(d, "entries")), 1);
    json_decref(d);
    zipcheck_result_free(&res);
}

static void test_zipcheck_name_utf8_keeps_utf8_and_decodes_gb18030(void **state)
{
    char out[64];
    assert_int_equal(zipcheck_name_utf8("毕业/卡.jpg", out, sizeof(out)), 0);
    assert_string_equal(out, "毕业/卡.jpg");
    assert_int_equal(zipcheck_name_utf8("\xbf\xa8.jpg", out, sizeof(out)), 1);
    assert_string_equal(out, "卡.jpg");
    assert_int_equal(zipcheck_name_utf8("\xc0\x80", out, sizeof(out)), 1); /* overlong: GBK */
    assert_int_equal(zipcheck_name_utf8("\xff", out, sizeof(out)), -EILSEQ);
    assert_string_equal(out, "\\xFF");
    assert_int_equal(zipcheck_name_utf8("卡卡卡", out, 8), 0); /* cut between characters */
    assert_string_equal(out, "卡卡");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zipcheck_accepts_scans_and_decodes_gbk_names_without_the_utf8_flag),
        cmocka_unit_test(test_zipcheck_refuses_an_entry_compressed_beyond_the_ratio),
        cmocka_unit_test(test_zipcheck_counts_the_inflated_size_of_an_entry),
        cmocka_unit_test(test_zipcheck_counts_the_inflated_size_of_all_entries),
        cmocka_unit_test(test_zipcheck_refuses_a_path_leaving_the_archive),
        cmocka_unit_test(test_zipcheck_allows_dots_inside_names),
        cmocka_unit_test(test_zipcheck_refuses_a_symbolic_link),
        cmocka_unit_test(test_zipcheck_refuses_a_device),
        cmocka_unit_test(test_zipcheck_refuses_a_jpg_that_is_really_text),
        cmocka_unit_test(test_zipcheck_refuses_more_entries_than_the_limit),
        cmocka_unit_test(test_zipcheck_refuses_an_encrypted_entry),
        cmocka_unit_test(test_zipcheck_refuses_a_name_neither_utf8_nor_gbk),
        cmocka_unit_test(test_zipcheck_refuses_what_is_not_a_zip),
        cmocka_unit_test(test_zipcheck_refuses_a_zip_without_files),
        cmocka_unit_test(test_zipcheck_detail_names_the_rule_and_the_entry),
        cmocka_unit_test(test_zipcheck_name_utf8_keeps_utf8_and_decodes_gb18030),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
