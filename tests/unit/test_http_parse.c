/*
 * test_http_parse.c - the llhttp glue: requests assembled from any
 * fragmentation, pipelining, and every parse-time limit (431, 413, 400).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http_parse.h"

#include <stdio.h>
#include <string.h>

struct owner {
    struct http_request *reqs[64];
    int n;
    int pause_at; /* pause when this many requests are complete (0: never) */
    size_t body_limit;
    const char *limit_message; /* what the route says in its 413 (NULL: the generic one) */
    struct http_parse_limits limits;
    struct http_parse p;
};

static struct http_request *t_new(void *ud)
{
    struct arena a;
    arena_init(&a, 4096);
    struct http_request *r = arena_calloc(&a, sizeof(*r));
    r->arena = a;
    r->query = "";
    r->route_index = -1;
    return r;
}

static void t_headers(void *ud, struct http_request *req)
{
    struct owner *o = ud;
    req->body_limit = o->body_limit;
    req->body_limit_message = o->limit_message;
}

static bool t_done(void *ud, struct http_request *req)
{
    struct owner *o = ud;
    o->reqs[o->n++] = req;
    return o->pause_at > 0 && o->n >= o->pause_at;
}

static const struct http_parse_hooks hooks = {t_new, t_headers, t_done};

static struct owner *owner_new(void)
{
    static struct owner o;
    for (int i = 0; i < o.n; i++)
        http_request_free(o.reqs[i]);
    struct http_request *partial = o.p.req;
    if (partial)
        http_request_free(partial);
    memset(&o, 0, sizeof(o));
    o.body_limit = 1024;
    o.limits.header_bytes = 16384;
    o.limits.max_headers = 100;
    http_parse_init(&o.p, &hooks, &o, &o.limits);
    return &o;
}

static enum http_parse_status feed(struct owner *o, const char *s)
{
    size_t used;
    return http_parse_feed(&o->p, s, strlen(s), &used);
}

/* Feeds one byte at a time; returns the first non-OK status. */
static enum http_parse_status feed_bytes(struct owner *o, const char *s)
{
    for (size_t i = 0; s[i]; i++) {
        size_t used;
        enum http_parse_status st = http_parse_feed(&o->p, s + i, 1, &used);
        if (st != HTTP_PARSE_OK)
            return st;
    }
    return HTTP_PARSE_OK;
}

static const char simple[] = "GET /api/v1/regions/140105?x=1&y=%E4%B8%AD HTTP/1.1\r\n"
                             "Host: example\r\nX-Custom: hello world\r\n\r\n";

static void check_simple(struct http_request *r)
{
    assert_string_equal(r->method_name, "GET");
    assert_string_equal(r->path, "/api/v1/regions/140105");
    assert_string_equal(r->query, "x=1&y=%E4%B8%AD");
    assert_string_equal(http_header_get(r, "host"), "example");
    assert_string_equal(http_header_get(r, "X-CUSTOM"), "hello world");
    assert_null(http_header_get(r, "missing"));
    assert_true(r->keep_alive);
    assert_int_equal(r->body_len, 0);
}

static void test_parse_simple_request(void **state)
{
    struct owner *o = owner_new();
    assert_int_equal(feed(o, simple), HTTP_PARSE_OK);
    assert_int_equal(o->n, 1);
    check_simple(o->reqs[0]);
}

static void test_parse_same_request_fed_byte_by_byte(void **state)
{
    struct owner *o = owner_new();
    assert_int_equal(feed_bytes(o, simple), HTTP_PARSE_OK);
    assert_int_equal(o->n, 1);
    check_simple(o->reqs[0]);
}

static void test_parse_pipelined_requests_in_order(void **state)
{
    struct owner *o = owner_new();
    assert_int_equal(feed(o, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                             "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                             "GET /c HTTP/1.1\r\nHost: x\r\n\r\n"),
                     HTTP_PARSE_OK);
    assert_int_equal(o->n, 3);
    assert_string_equal(o->reqs[0]->path, "/a");
    assert_string_equal(o->reqs[1]->path, "/b");
    assert_string_equal(o->reqs[1]->body, "hello");
    assert_string_equal(o->reqs[2]->path, "/c");
}

static void test_parse_pause_and_resume(void **state)
{
    struct owner *o = owner_new();
    o->pause_at = 1;
    const char *two = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n";
    size_t used;
    assert_int_equal(http_parse_feed(&o->p, two, strlen(two), &used), HTTP_PARSE_PAUSED);
    assert_int_equal(used, strlen("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert_int_equal(o->n, 1);
    o->pause_at = 0;
    http_parse_resume(&o->p);
    assert_int_equal(http_parse_feed(&o->p, two + used, strlen(two) - used, &used), HTTP_PARSE_OK);
    assert_int_equal(o->n, 2);
    assert_string_equal(o->reqs[1]->path, "/b");
}

static void test_parse_headers_over_limit_is_431(void **state)
{
    struct owner *o = owner_new();
    char big[21000];
    int n = snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(big + n, 'a', 20000);
    strcpy(big + n + 20000, "\r\n\r\n");
    assert_int_equal(feed(o, big), HTTP_PARSE_ERROR);
    assert_int_equal(o->p.error_status, 431);
    assert_string_equal(o->p.error_code, "HEADERS_TOO_LARGE");
    assert_int_equal(o->n, 0);
}

static void test_parse_headers_over_limit_counted_across_chunks(void **state)
{
    struct owner *o = owner_new();
    /* Many small headers, fed byte by byte: 17 KiB of head in total. */
    char big[20000];
    size_t n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\n");
    for (int i = 0; i < 90; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "X-H%02d: %0190d\r\n", i, 0);
    strcpy(big + n, "\r\n");
    assert_int_equal(feed_bytes(o, big), HTTP_PARSE_ERROR);
    assert_int_equal(o->p.error_status, 431);
}

static void test_parse_header_just_under_limit_is_accepted(void **state)
{
    struct owner *o = owner_new();
    char big[17000];
    int n = snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(big + n, 'a', 16000);
    strcpy(big + n + 16000, "\r\n\r\n");
    assert_int_equal(feed(o, big), HTTP_PARSE_OK);
    assert_int_equal(o->n, 1);
}

static void test_parse_too_many_header_fields_is_431(void **state)
{
    struct owner *o = owner_new();
    char buf[8000];
    size_t n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n");
    for (int i = 0; i < 101; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%d: 1\r\n", i);
    strcpy(buf + n, "\r\n");
    assert_int_equal(feed(o, buf), HTTP_PARSE_ERROR);
    assert_int_equal(o->p.error_status, 431);
}

static void test_parse_declared_body_over_limit_is_413_before_body(void **state)
{
    struct owner *o = owner_new();
    /* Only the head is fed: the refusal must not wait for the body. */
    assert_int_equal(feed(o, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3000000\r\n\r\n"),
                     HTTP_PARSE_ERROR);
    assert_int_equal(o->p.error_status, 413);
    assert_string_equal(o->p.error_code, "PAYLOAD_TOO_LARGE");
}

static void test_parse_413_says_the_routes_limit_in_words(void **state)
{
    struct owner *o = owner_new();
    o->limit_message = "压缩包不能超过 20 MB";
    assert_int_equal(feed(o, "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3000000\r\n\r\n"),
                     HTTP_PARSE_ERROR);
    assert_int_equal(o->p.error_status, 413);
    assert_string_equal(o->p.error_message, "压缩包不能超过 20 MB");
}

static void test_parse_chunked_body_over_limit_is_413(void **state)
{
    struct owner *o = owner_new();
    o->body_limit = 10;
    assert_int_equal(feed(o, "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n"),
                     HTTP_PARSE_ERROR);
    assert_int_equal(o->p.error_status, 413);
}

static void test_parse_chunked_body_within_limit(void **state)
{
    struct owner *o = owner_new();
    assert_int_equal(feed_bytes(o, "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                   "\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
                     HTTP_PARSE_OK);
    assert_int_equal(o->n, 1);
    assert_string_equal(o->reqs[0]->body, "hello world");
}

static void test_parse_content_length_with_transfer_encoding_is_400(void **state)
{
    struct owner *o = owner_new();
    assert_int_equal(feed(o, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                             "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
                     HTTP_PARSE_ERROR);
    assert_int_equal(o->p.error_status, 400);
}

static void test_parse_duplicate_content_length_is_400(void **state)
{
    struct owner *o = owner_new();
    assert_int_equal(feed(o, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                             "Content-Length: 3\r\n\r\nabc"),
                     HTTP_PARSE_ERROR);
    assert_int_equal(o->p.error_status, 400);
}

static void test_parse_obsolete_line_folding_is_400(void **state)
{
    struct owner *o = owner_new();
    assert_int_equal(feed(o, "GET / HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n"),
                     HTTP_PARSE_ERROR);
    assert_int_equal(o->p.error_status, 400);
    /* The fold falls exactly on a chunk boundary. */
    o = owner_new();
    assert_int_equal(feed(o, "GET / HTTP/1.1\r\nHost: x\r\nX-A: b\r\n"), HTTP_PARSE_OK);
    assert_int_equal(feed(o, "\tc\r\n\r\n"), HTTP_PARSE_ERROR);
    assert_int_equal(o->p.error_status, 400);
    /* Byte by byte. */
    o = owner_new();
    assert_int_equal(feed_bytes(o, "GET / HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n"),
                     HTTP_PARSE_ERROR);
}

static void test_parse_empty_header_value_is_accepted(void **state)
{
    /* RFC 9110 5.5: a field value may be empty, with or without whitespace. */
    struct owner *o = owner_new();
    assert_int_equal(feed(o, "GET / HTTP/1.1\r\nHost: x\r\nX-Empty:\r\nX-Blank:  \r\n"
                             "X-Last: 1\r\n\r\n"),
                     HTTP_PARSE_OK);
    assert_int_equal(o->n, 1);
    assert_string_equal(http_header_get(o->reqs[0], "X-Empty"), "");
    assert_string_equal(http_header_get(o->reqs[0], "X-Blank"), "");
    assert_string_equal(http_header_get(o->reqs[0], "X-Last"), "1");
    o = owner_new();
    assert_int_equal(feed_bytes(o, "GET / HTTP/1.1\r\nHost: x\r\nX-Empty:\r\n\r\n"), HTTP_PARSE_OK);
    assert_int_equal(o->n, 1);
    assert_string_equal(http_header_get(o->reqs[0], "X-Empty"), "");
}

static void test_parse_folding_after_an_empty_value_is_400(void **state)
{
    struct owner *o = owner_new();
    assert_int_equal(feed(o, "GET / HTTP/1.1\r\nHost: x\r\nX-A:\r\n c\r\n\r\n"), HTTP_PARSE_ERROR);
    assert_int_equal(o->p.error_status, 400);
    o = owner_new();
    assert_int_equal(feed_bytes(o, "GET / HTTP/1.1\r\nHost: x\r\nX-A: \r\n \t c\r\n\r\n"),
                     HTTP_PARSE_ERROR);
    assert_int_equal(o->p.error_status, 400);
}

static void test_parse_malformed_request_line_is_400(void **state)
{
    const char *bad[] = {
        "GARBAGE\r\n\r\n",
        "GET / HTTP/9.9\r\nHost: x\r\n\r\n",
        "GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
        "CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct owner *o = owner_new();
        assert_int_equal(feed(o, bad[i]), HTTP_PARSE_ERROR);
        assert_int_equal(o->p.error_status, 400);
        assert_int_equal(o->n, 0);
    }
}

static void test_parse_absolute_form_target_uses_its_path(void **state)
{
    struct owner *o = owner_new();
    assert_int_equal(feed(o, "GET http://example.com/api/v1/x?y=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                             "GET https://example.com HTTP/1.1\r\nHost: x\r\n\r\n"),
                     HTTP_PARSE_OK);
    assert_string_equal(o->reqs[0]->path, "/api/v1/x");
    assert_string_equal(o->reqs[0]->query, "y=1");
    assert_string_equal(o->reqs[1]->path, "/");
}

static void test_parse_expect_continue(void **state)
{
    struct owner *o = owner_new();
    assert_int_equal(feed(o, "POST /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                             "Content-Length: 2\r\n\r\nok"),
                     HTTP_PARSE_OK);
    assert_true(o->reqs[0]->expect_continue);
    o = owner_new();
    assert_int_equal(feed(o, "POST /x HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n"),
                     HTTP_PARSE_ERROR);
    assert_int_equal(o->p.error_status, 417);
}

static void test_parse_http10_is_not_keep_alive(void **state)
{
    struct owner *o = owner_new();
    assert_int_equal(feed(o, "GET / HTTP/1.0\r\n\r\n"), HTTP_PARSE_OK);
    assert_false(o->reqs[0]->keep_alive);
    o = owner_new();
    assert_int_equal(feed(o, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
                     HTTP_PARSE_OK);
    assert_false(o->reqs[0]->keep_alive);
}

static void test_parse_upgrade_is_ignored(void **state)
{
    struct owner *o = owner_new();
    assert_int_equal(feed(o, "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n"
                             "\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n"),
                     HTTP_PARSE_OK);
    assert_int_equal(o->n, 2);
    assert_string_equal(o->reqs[1]->path, "/next");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_simple_request),
        cmocka_unit_test(test_parse_same_request_fed_byte_by_byte),
        cmocka_unit_test(test_parse_pipelined_requests_in_order),
        cmocka_unit_test(test_parse_pause_and_resume),
        cmocka_unit_test(test_parse_headers_over_limit_is_431),
        cmocka_unit_test(test_parse_headers_over_limit_counted_across_chunks),
        cmocka_unit_test(test_parse_header_just_under_limit_is_accepted),
        cmocka_unit_test(test_parse_too_many_header_fields_is_431),
        cmocka_unit_test(test_parse_declared_body_over_limit_is_413_before_body),
        cmocka_unit_test(test_parse_413_says_the_routes_limit_in_words),
        cmocka_unit_test(test_parse_chunked_body_over_limit_is_413),
        cmocka_unit_test(test_parse_chunked_body_within_limit),
        cmocka_unit_test(test_parse_content_length_with_transfer_encoding_is_400),
        cmocka_unit_test(test_parse_duplicate_content_length_is_400),
        cmocka_unit_test(test_parse_obsolete_line_folding_is_400),
        cmocka_unit_test(test_parse_empty_header_value_is_accepted),
        cmocka_unit_test(test_parse_folding_after_an_empty_value_is_400),
        cmocka_unit_test(test_parse_malformed_request_line_is_400),
        cmocka_unit_test(test_parse_absolute_form_target_uses_its_path),
        cmocka_unit_test(test_parse_expect_continue),
        cmocka_unit_test(test_parse_http10_is_not_keep_alive),
        cmocka_unit_test(test_parse_upgrade_is_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
