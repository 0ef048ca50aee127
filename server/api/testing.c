/*
 * testing.c - routes that exist only when environment = test, so the
 * end-to-end tests can hold a request in flight or send a large body to a
 * route with a known limit. Never registered in development or production.
 */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>

static void sleep_done(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    http_respond_json(req, 200, json_pack("{s:b}", "slept", 1));
}

/* GET /api/v1/_test/sleep?ms=N: holds the request for N ms in PostgreSQL. */
static void test_sleep(struct http_request *req)
{
    const char *ms = http_query_get(req, "ms");
    long v = ms ? strtol(ms, NULL, 10) : 0;
    if (v < 0 || v > 60000) {
        http_respond_error(req, 422, "INVALID", "ms must be 0..60000", "ms");
        return;
    }
    char *secs = arena_printf(&req->arena, "%.3f", (double)v / 1000.0);
    const char *values[] = {secs};
    api_query(req, "SELECT pg_sleep($1::float8)", 1, values, sleep_done);
}

/* POST /api/v1/_test/echo: echoes the body's length; limit 1 KiB. */
static void test_echo(struct http_request *req)
{
    http_respond_json(req, 200, json_pack("{s:I}", "length", (json_int_t)req->body_len));
}

static const struct route testing_routes[] = {
    {"GET", "/api/v1/_test/sleep", test_sleep, 0},
    {"POST", "/api/v1/_test/echo", test_echo, 1024},
};

const struct api_module api_testing_module = {
    "testing", testing_routes, sizeof(testing_routes) / sizeof(testing_routes[0]), true};
