/*
 * api.h - the route tables of the api/ modules and the helpers they share.
 *
 * Each module exports one table of routes; api_build_router collects them
 * (test-only routes only when environment = test). Handlers reach the
 * per-process context through req->srv.
 */
#ifndef ZK_API_H
#define ZK_API_H

#include "config.h"
#include "http/http_request.h"
#include "http/router.h"
#include "pg_pool.h"

#include <stdbool.h>
#include <stddef.h>

struct api_module {
    const char *name;
    const struct route *routes;
    size_t count;
    bool test_only;
};

extern const struct api_module api_health_module;
extern const struct api_module api_openapi_module;
extern const struct api_module api_regions_module;
extern const struct api_module api_testing_module;
extern const struct api_module api_verify_module;
extern const struct api_module api_accounts_module;
extern const struct api_module api_me_module;
extern const struct api_module api_identity_module;
extern const struct api_module api_academic_module;

/* Builds the router from every module; NULL with err on a bad table. */
struct router *api_build_router(const struct zk_config *cfg, char *err, size_t errsz);

/* Settings the api modules refuse (e.g. test-only options in production), and a
 * [server] www_dir that cannot be loaded (it is loaded and dropped). */
int api_check_config(const struct zk_config *cfg, char *err, size_t errsz);

/*
 * Runs one statement for a request. The values are copied into the request
 * arena (the strings themselves must live as long as the request). If the
 * pool refuses at once, answers 503 and returns -1; otherwise cb runs later.
 */
int api_query(struct http_request *req, const char *sql, int n, const char *const *values,
              pg_result_cb cb);

/* Like api_query, with parameters the caller built (binary values, binary
 * results); p must live as long as the request (its arena). */
int api_query_params(struct http_request *req, const char *sql, const struct pg_params *p,
                     pg_result_cb cb);

/* The same, calling cb with ud (which must live in the request's arena)
 * instead of the request: for steps that keep their own state. */
int api_query_for(struct http_request *req, void *ud, const char *sql, int n,
                  const char *const *values, pg_result_cb cb);
int api_query_params_for(struct http_request *req, void *ud, const char *sql,
                         const struct pg_params *p, pg_result_cb cb);

/*
 * If r is a failure, answers it (503 + Retry-After for an unreachable or
 * overloaded database, 500 otherwise, logged with the request id) and
 * returns true. Handlers call it first thing in their callbacks.
 */
bool api_db_failed(struct http_request *req, const struct pg_result *r);

/*
 * Parses the request body as a JSON object. On failure answers (415 when the
 * Content-Type is not JSON, 400 when the body is not a JSON object) and
 * returns NULL. The caller owns the result (json_decref).
 */
json_t *api_json_body(struct http_request *req);

#endif
