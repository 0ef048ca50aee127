/*
 * api.h - how a capability plugs into zikao-server, and the helpers every
 * handler shares.
 *
 * A capability is an api module: a table of routes plus, when it needs them,
 * hooks for its own per-process state (init after the process's database
 * pool and Redis client exist, free after its loop ended, tick ten times a
 * second), a check of the settings it refuses, the figures it publishes
 * (per-process values summed over the server's processes, and figures read
 * from PostgreSQL when /metrics is asked). A new capability is its own files
 * plus one line in the module list (api_modules.c). Handlers reach the
 * per-process context through req->srv and their module's state through
 * api_state().
 */
#ifndef ZK_API_H
#define ZK_API_H

#include "buf.h"
#include "config.h"
#include "http/http_request.h"
#include "http/router.h"
#include "pg_pool.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct server;

/* One value a module keeps per process; /metrics prints the sum over the
 * processes (a counter only ever grows; a gauge is set). */
struct api_metric {
    const char *name;   /* zikao_... */
    const char *labels; /* "" or e.g. "account=\"known\"" */
    const char *help;   /* the HELP text (the first of a name's samples gives it) */
    bool counter;
};

/* Figures read from PostgreSQL for /metrics: one statement without
 * parameters; render appends Prometheus text (res NULL: the query failed). */
struct api_scrape {
    const char *sql;
    void (*render)(const PGresult *res, struct buf *out);
};

struct api_module {
    const char *name;
    const struct route *routes;
    size_t count;
    bool test_only; /* routed only when [server] environment = test */
    /* Refuses settings this module cannot run with (0, or < 0 with err). */
    int (*check_config)(const struct zk_config *cfg, char *err, size_t errsz);
    /* Per-process state: 0, or < 0 (logged) to stop the process. */
    int (*init)(struct server *srv, void **state);
    void (*free)(struct server *srv, void *state);
    void (*tick)(struct server *srv, void *state);
    void (*reload)(struct server *srv, void *state); /* after SIGHUP loaded srv->cfg */
    /* The route for every path no module's table has (one module may). */
    const struct route *fallback;
    const struct api_metric *metrics;
    size_t nmetrics;
    const struct api_scrape *scrape;
};

/* A module's routes and metrics, from their arrays. */
#define API_ROUTES(table)  .routes = (table), .count = sizeof(table) / sizeof((table)[0])
#define API_METRICS(table) .metrics = (table), .nmetrics = sizeof(table) / sizeof((table)[0])

extern const struct api_module api_health_module;
extern const struct api_module api_openapi_module;
extern const struct api_module api_regions_module;
extern const struct api_module api_testing_module;
extern const struct api_module api_verify_module;
extern const struct api_module api_accounts_module;
extern const struct api_module api_me_module;
extern const struct api_module api_identity_module;
extern const struct api_module api_academic_module;

/* The server's interface to the modules (server.h: struct server_app). */
extern const struct server_app api_server_app;

/* Builds the router from every module; NULL with err on a bad table. */
struct router *api_build_router(const struct zk_config *cfg, char *err, size_t errsz);

/* Settings the modules refuse (e.g. test-only options in production, a
 * [server] www_dir that cannot be loaded). */
int api_check_config(const struct zk_config *cfg, char *err, size_t errsz);

/* A module's per-process state (what its init stored). */
void *api_state(struct server *srv, const struct api_module *m);

/* Sets or adds to a module's metric i (its index in m->metrics). */
void api_metric_set(struct server *srv, const struct api_module *m, size_t i, int64_t value);
void api_metric_add(struct server *srv, const struct api_module *m, size_t i, int64_t delta);

/* Appends every module's metrics (summed over processes) to out. */
void api_metrics_render(struct server *srv, struct buf *out);

/* The modules' /metrics statements, in module order: a NULL-terminated
 * array in the arena (the caller runs each and calls its render). */
const struct api_scrape **api_metrics_scrapes(struct server *srv, struct arena *a);

/* Answers 503 SERVER_BUSY "系统繁忙，请稍后再试" with Retry-After: 1: the one
 * answer for a process that has more work queued than it takes. */
void api_respond_busy(struct http_request *req);

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

/* What the pool said when asked (pg_query, pg_pool_acquire): 0 as is; a
 * refusal is answered (busy: 503 SERVER_BUSY, else DATABASE_UNAVAILABLE)
 * and gives -1. */
int api_db_refused(struct http_request *req, int rc);

/*
 * The usual start of a statement's callback: false after answering when r
 * failed (as api_db_failed) or has no row (status, code, message, field:
 * e.g. 404 NOT_FOUND); true when there is a row to read.
 */
bool api_db_row(struct http_request *req, const struct pg_result *r, int status, const char *code,
                const char *message, const char *field);

/* Answers status with the JSON text the statement built in row 0, column 0
 * (never cached). */
void api_db_json_text(struct http_request *req, const struct pg_result *r, int status);

/* Answers status with JSON text made elsewhere (by PostgreSQL, printf), not
 * to be cached. json must live as long as the request (its arena). */
void api_respond_json_text(struct http_request *req, int status, const char *json, size_t len);

/* Answers 200 with a stored file from a statement's first row: its content
 * type (column 0) and its bytes (column 1, binary result format); private,
 * not to be cached. The bytes are copied into the request's arena. */
void api_respond_file_row(struct http_request *req, const PGresult *res);

/*
 * Parses the request body as a JSON object. On failure answers (415 when the
 * Content-Type is not JSON, 400 when the body is not a JSON object) and
 * returns NULL. The caller owns the result (json_decref).
 */
json_t *api_json_body(struct http_request *req);

#endif
