/* test_static_path.c - how a request names a static file and its representation:
 * path decoding, Accept-Encoding q-values, If-None-Match, types, versioned names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "static_path.h"
#include "static_set.h"

#include <errno.h>
#include <string.h>

static int decode(const char *raw, char *out)
{
    return static_path_decode(raw, out, 64);
}

static void test_static_path_decodes_percent_escapes_segment_by_segment(void **state)
{
    char out[64];
    assert_int_equal(decode("/css/app.css", out), 0);
    assert_string_equal(out, "/css/app.css");
    assert_int_equal(decode("/%E5%87%86%E8%80%83%E8%AF%81.pdf", out), 0);
    assert_string_equal(out, "/准考证.pdf");
    assert_int_equal(decode("/a%20b+c.txt", out), 0);
    assert_string_equal(out, "/a b+c.txt");
    assert_int_equal(decode("/", out), 0);
    assert_string_equal(out, "/");
    assert_int_equal(decode("/dir/", out), 0);
    assert_string_equal(out, "/dir/");
}

static void test_static_path_refuses_what_cannot_name_a_file_inside(void **state)
{
    char out[64];
    const char *bad[] = {
        "/../etc/passwd",
        "/%2e%2e/etc/passwd",
        "/%2E%2E/etc/passwd",
        "/..%2fetc/passwd",
        "/%2e%2e%2fetc/passwd",
        "/a/../index.html",
        "/a/./index.html",
        "/.",
        "//etc/passwd",
        "/a//b",
        "/index.html%00.txt",
        "/a%5c..%5cb",
        "/a\\b",
        "/%0d%0aSet-Cookie:x",
        "/a%2fb",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = decode(bad[i], out);
        if (rc != -ENOENT)
            fail_msg("%s: %d, expected -ENOENT", bad[i], rc);
    }
}

static void test_static_path_malformed_escape_is_a_bad_request(void **state)
{
    char out[64];
    assert_int_equal(decode("/a%zz.html", out), -EINVAL);
    assert_int_equal(decode("/a%2", out), -EINVAL);
    assert_int_equal(decode("/a%", out), -EINVAL);
    assert_int_equal(decode("/../%g0", out), -EINVAL);
}

static void test_static_path_too_long_for_the_buffer(void **state)
{
    char out[8];
    assert_int_equal(static_path_decode("/abcdefgh", out, sizeof(out)), -ENAMETOOLONG);
    assert_int_equal(static_path_decode("/abcdef", out, sizeof(out)), 0);
}

static void test_static_gzip_accepted_only_with_a_positive_q(void **state)
{
    assert_true(static_accepts_gzip("gzip"));
    assert_true(static_accepts_gzip("gzip, deflate, br"));
    assert_true(static_accepts_gzip("br;q=1.0, GZIP;q=0.5"));
    assert_true(static_accepts_gzip("deflate, x-gzip"));
    assert_true(static_accepts_gzip("gzip ; q=0.001"));
    assert_true(static_accepts_gzip("*"));
    assert_true(static_accepts_gzip("br, *;q=0.1"));
    assert_false(static_accepts_gzip(NULL));
    assert_false(static_accepts_gzip(""));
    assert_false(static_accepts_gzip("identity"));
    assert_false(static_accepts_gzip("br, deflate"));
    assert_false(static_accepts_gzip("gzip;q=0"));
    assert_false(static_accepts_gzip("gzip;Q=0.000"));
    assert_false(static_accepts_gzip("gzip;q=0, *")); /* named beats the wildcard */
    assert_false(static_accepts_gzip("*;q=0"));
    assert_false(static_accepts_gzip("gzipper"));
    assert_false(static_accepts_gzip("gzip;q=2"));      /* malformed: ignored */
    assert_false(static_accepts_gzip("gzip;q=0.0001")); /* more than 3 decimals */
    assert_false(static_accepts_gzip("gzip;q=abc"));
}

static void test_static_if_none_match_uses_weak_comparison(void **state)
{
    const char *etag = "\"0123456789abcdef\"";
    assert_true(static_etag_matches("\"0123456789abcdef\"", etag));
    assert_true(static_etag_matches("W/\"0123456789abcdef\"", etag));
    assert_true(static_etag_matches("\"x\", \"0123456789abcdef\"", etag));
    assert_true(static_etag_matches(" * ", etag));
    assert_false(static_etag_matches(NULL, etag));
    assert_false(static_etag_matches("", etag));
    assert_false(static_etag_matches("\"0123456789abcdee\"", etag));
    assert_false(static_etag_matches("0123456789abcdef", etag)); /* not quoted */
    assert_false(static_etag_matches("\"0123456789abcdef", etag));
    assert_false(static_etag_matches("\"x\" junk, \"0123456789abcdef\"", etag));
}

static void test_static_types_by_extension_with_utf8_on_text(void **state)
{
    bool doc = false;
    assert_string_equal(static_set_content_type("/index.html", &doc), "text/html; charset=utf-8");
    assert_true(doc);
    assert_string_equal(static_set_content_type("/a/App.CSS", &doc), "text/css; charset=utf-8");
    assert_false(doc);
    assert_string_equal(static_set_content_type("/m.mjs", NULL), "text/javascript; charset=utf-8");
    assert_string_equal(static_set_content_type("/m.js", NULL), "text/javascript; charset=utf-8");
    assert_string_equal(static_set_content_type("/d.json", NULL),
                        "application/json; charset=utf-8");
    assert_string_equal(static_set_content_type("/icon.svg", &doc), "image/svg+xml; charset=utf-8");
    assert_true(doc);
    assert_string_equal(static_set_content_type("/p.png", NULL), "image/png");
    assert_string_equal(static_set_content_type("/p.jpeg", NULL), "image/jpeg");
    assert_string_equal(static_set_content_type("/p.webp", NULL), "image/webp");
    assert_string_equal(static_set_content_type("/favicon.ico", NULL), "image/x-icon");
    assert_string_equal(static_set_content_type("/f.woff2", NULL), "font/woff2");
    assert_string_equal(static_set_content_type("/r.txt", NULL), "text/plain; charset=utf-8");
    assert_string_equal(static_set_content_type("/d.pdf", NULL), "application/pdf");
    assert_string_equal(static_set_content_type("/site.webmanifest", NULL),
                        "application/manifest+json; charset=utf-8");
    assert_string_equal(static_set_content_type("/README", NULL), "application/octet-stream");
    assert_string_equal(static_set_content_type("/v.1/README", NULL), "application/octet-stream");
}

static void test_static_versioned_name_carries_the_start_of_its_sha256(void **state)
{
    const char *hex = "3f9a1c2b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";
    assert_int_equal(static_set_version_of("/js/app.3f9a1c2b.js", hex), 1);
    assert_int_equal(static_set_version_of("/app.3f9a1c2b4d5e.min.js", hex), 1);
    assert_int_equal(static_set_version_of("/app.js", hex), 0);
    assert_int_equal(static_set_version_of("/3f9a1c2b.js", hex), 0);   /* first part: the stem */
    assert_int_equal(static_set_version_of("/app.3f9a1c2", hex), 0);   /* last part: the type */
    assert_int_equal(static_set_version_of("/app.3f9a1c.js", hex), 0); /* under 8 digits */
    assert_int_equal(static_set_version_of("/app.3F9A1C2B.js", hex), 0);
    assert_int_equal(static_set_version_of("/app.deadbeef.js", hex), -1);
    assert_int_equal(static_set_version_of("/v.3f9a1c2b/app.js", hex), 0); /* folders: no */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_static_path_decodes_percent_escapes_segment_by_segment),
        cmocka_unit_test(test_static_path_refuses_what_cannot_name_a_file_inside),
        cmocka_unit_test(test_static_path_malformed_escape_is_a_bad_request),
        cmocka_unit_test(test_static_path_too_long_for_the_buffer),
        cmocka_unit_test(test_static_gzip_accepted_only_with_a_positive_q),
        cmocka_unit_test(test_static_if_none_match_uses_weak_comparison),
        cmocka_unit_test(test_static_types_by_extension_with_utf8_on_text),
        cmocka_unit_test(test_static_versioned_name_carries_the_start_of_its_sha256),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
