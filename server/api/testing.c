/*
 * testing.c - routes that exist only when environment = test, so the
 * end-to-end tests can hold a request in flight or send a large body to a
 * route with a known limit. Never registered in development or production.
 */
#include "api.h"
#include "api_auth.h"
#include "api_txn.h"
#include "queue.h"

#include <inttypes.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

struct test_jobs {
    const char *queue;
    const char *payload;
    int count, added;
    bool write, written;
};

static void test_jobs_committed(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    const int64_t *ids;
    int n = api_txn_jobs(tx, &ids);
    json_t *arr = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(arr, json_integer(ids[i]));
    http_respond_json(api_txn_request(tx), 201, json_pack("{s:o}", "ids", arr));
}

static void test_jobs_step(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    struct test_jobs *tj = api_txn_request(tx)->ctx;
    if (tj->write && !tj->written) {
        /* A stand-in for a business write: an xid makes COMMIT durable. */
        tj->written = true;
        api_txn_query(tx, "SELECT txid_current()", 0, NULL, test_jobs_step);
        return;
    }
    if (tj->added < tj->count) {
        tj->added++;
        api_txn_add_job(tx, tj->queue, tj->payload, test_jobs_step);
        return;
    }
    api_txn_commit(tx, test_jobs_committed);
}

/* POST /api/v1/_test/jobs {"queue": Q, "count": 0..64, "payload": {...},
 * "write": bool}: inserts jobs in one transaction through the outbox and
 * publishes them; "write" adds a stand-in business write (benchmarks). */
static void test_jobs(struct http_request *req)
{
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    struct test_jobs *tj = arena_calloc(&req->arena, sizeof(*tj));
    const char *queue = json_string_value(json_object_get(body, "queue"));
    json_t *count = json_object_get(body, "count");
    json_t *payload = json_object_get(body, "payload");
    if (queue == NULL || !queue_name_valid(queue)) {
        json_decref(body);
        http_respond_error(req, 422, "INVALID", "queue must be a queue name", "queue");
        return;
    }
    tj->queue = arena_strdup(&req->arena, queue);
    tj->write = json_is_true(json_object_get(body, "write"));
    tj->count = count ? (int)json_integer_value(count) : 1;
    if (tj->count < 0 || tj->count > 64) {
        json_decref(body);
        http_respond_error(req, 422, "INVALID", "count must be 0..64", "count");
        return;
    }
    char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
    tj->payload = arena_strdup(&req->arena, text ? text : "{}");
    free(text);
    json_decref(body);
    req->ctx = tj;
    api_txn_begin(req, test_jobs_step);
}

static void test_session_made(struct http_request *req, const struct api_session *s, int err)
{
    if (err < 0) {
        http_respond_error(req, 503, "SESSION_STORE_UNAVAILABLE", "系统繁忙，请稍后再试", NULL);
        return;
    }
    http_respond_json(req, 201,
                      json_pack("{s:I, s:s}", "candidate_id", (json_int_t)s->candidate_id,
                                "csrf_token", s->csrf));
}

static void test_session_found(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (!api_db_row(req, r, 404, "NOT_FOUND", "no such candidate", "candidate_id"))
        return;
    api_session_create(req, strtoll(PQgetvalue(r->res, 0, 0), NULL, 10),
                       atoi(PQgetvalue(r->res, 0, 1)), strcmp(PQgetvalue(r->res, 0, 2), "t") == 0,
                       test_session_made);
}

/* POST /api/v1/_test/session {"candidate_id": N}: a session without a login,
 * so that tests of authenticated endpoints need not register first. */
static void test_session(struct http_request *req)
{
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    json_int_t id = json_integer_value(json_object_get(body, "candidate_id"));
    json_decref(body);
    if (id <= 0) {
        http_respond_error(req, 422, "INVALID", "candidate_id must be positive", "candidate_id");
        return;
    }
    const char *values[] = {arena_printf(&req->arena, "%lld", (long long)id)};
    api_query(req,
              "SELECT id, cred_version, identity <> 'unverified' AND superseded_at IS NULL FROM "
              "candidates WHERE id = $1",
              1, values, test_session_found);
}

static void test_whoami_authed(struct http_request *req, const struct api_session *s)
{
    http_respond_json(req, 200, json_pack("{s:I}", "candidate_id", (json_int_t)s->candidate_id));
}

/* GET|POST /api/v1/_test/whoami: the session's candidate (POST checks CSRF). */
static void test_whoami(struct http_request *req)
{
    api_auth_require(req, test_whoami_authed);
}

static const struct route testing_routes[] = {
    {"POST", "/api/v1/_test/session", test_session, 1024, NULL},
    {"GET", "/api/v1/_test/whoami", test_whoami, 0, NULL},
    {"POST", "/api/v1/_test/whoami", test_whoami, 0, NULL},
    {"POST", "/api/v1/_test/jobs", test_jobs, 16384, NULL},
    {"GET", "/api/v1/_test/sleep", test_sleep, 0, NULL},
    {"POST", "/api/v1/_test/echo", test_echo, 1024, NULL},
};

const struct api_module api_testing_module = {
    .name = "testing", API_ROUTES(testing_routes), .test_only = true};
