/*
 * api_routes.c - collects the route tables of the api/ modules and holds the
 * database helpers every handler uses (see api.h).
 */
#include "api.h"
#include "http/static_files.h"
#include "log.h"
#include "pay_server.h"
#include "server.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

extern const struct api_module api_documents_module; /* documents.c */

static const struct api_module *const api_modules[] = {
    &api_health_module,      &api_openapi_module,           &api_regions_module,
    &api_verify_module,      &api_accounts_module,          &api_me_module,
    &api_identity_module,    &api_academic_module,          &api_orders_module,
    &api_orders_test_module, &api_payments_callback_module, &api_pay_sim_module,
    &api_documents_module,   &api_testing_module,
};

struct router *api_build_router(const struct zk_config *cfg, char *err, size_t errsz)
{
    struct router *r = router_create();
    bool testing = strcmp(cfg->environment, "test") == 0;
    for (size_t m = 0; m < sizeof(api_modules) / sizeof(api_modules[0]); m++) {
        const struct api_module *mod = api_modules[m];
        if (mod->test_only && !testing)
            continue;
        for (size_t i = 0; i < mod->count; i++) {
            if (router_add(r, &mod->routes[i], err, errsz) < 0) {
                router_free(r);
                return NULL;
            }
        }
    }
    router_set_fallback(r, &static_files_route); /* every other path: [server] www_dir */
    return r;
}

int api_check_config(const struct zk_config *cfg, char *err, size_t errsz)
{
    if (config_is_production(cfg) && cfg->auth_captcha_fixed[0] != '\0') {
        snprintf(err, errsz,
                 "[auth] captcha_fixed_answer is for automated tests and is refused "
                 "when [server] environment = production");
        return -EINVAL;
    }
    if (config_is_production(cfg) && cfg->pay_simulator) {
        snprintf(err, errsz,
                 "[payment] simulator is for development and tests and is refused "
                 "when [server] environment = production");
        return -EINVAL;
    }
    return static_files_check(cfg, err, errsz);
}

int api_query(struct http_request *req, const char *sql, int n, const char *const *values,
              pg_result_cb cb)
{
    return api_query_for(req, req, sql, n, values, cb);
}

int api_query_for(struct http_request *req, void *ud, const char *sql, int n,
                  const char *const *values, pg_result_cb cb)
{
    const char **copy = NULL;
    if (n > 0) {
        copy = arena_alloc(&req->arena, sizeof(*copy) * (size_t)n);
        memcpy(copy, values, sizeof(*copy) * (size_t)n);
    }
    struct pg_params *p = arena_calloc(&req->arena, sizeof(*p));
    p->n = n;
    p->values = copy;
    return api_query_params_for(req, ud, sql, p, cb);
}

int api_query_params(struct http_request *req, const char *sql, const struct pg_params *p,
                     pg_result_cb cb)
{
    return api_query_params_for(req, req, sql, p, cb);
}

int api_query_params_for(struct http_request *req, void *ud, const char *sql,
                         const struct pg_params *p, pg_result_cb cb)
{
    int rc = pg_query(req->srv->pg, sql, p, cb, ud);
    if (rc == -EAGAIN) {
        http_respond_error(req, 503, "DATABASE_BUSY", "系统繁忙，请稍后再试", NULL);
        return -1;
    }
    if (rc < 0) {
        http_respond_error(req, 503, "DATABASE_UNAVAILABLE", "系统暂时无法访问数据库，请稍后再试",
                           NULL);
        return -1;
    }
    return 0;
}

json_t *api_json_body(struct http_request *req)
{
    const char *ct = http_header_get(req, "Content-Type");
    if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0) {
        http_respond_error(req, 415, "UNSUPPORTED_MEDIA_TYPE",
                           "请求内容须为 JSON（Content-Type: application/json）", NULL);
        return NULL;
    }
    json_error_t err;
    json_t *root = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &err);
    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        http_respond_error(req, 400, "BAD_JSON", "请求内容不是有效的 JSON 对象", NULL);
        return NULL;
    }
    return root;
}

bool api_db_failed(struct http_request *req, const struct pg_result *r)
{
    switch (r->error) {
    case PG_OK:
        return false;
    case PG_ERR_TIMEOUT:
        log_msg(LOG_LEVEL_WARNING, req->id, "database timeout: %s", r->message);
        http_respond_error(req, 503, "DATABASE_TIMEOUT", "系统繁忙，请稍后再试", NULL);
        return true;
    case PG_ERR_UNAVAILABLE:
    case PG_ERR_CONNECTION:
        log_msg(LOG_LEVEL_WARNING, req->id, "database unavailable: %s", r->message);
        http_respond_error(req, 503, "DATABASE_UNAVAILABLE", "系统暂时无法访问数据库，请稍后再试",
                           NULL);
        return true;
    case PG_ERR_QUERY:
        break;
    }
    log_msg(LOG_LEVEL_ERR, req->id, "database error %s: %s", r->sqlstate, r->message);
    http_respond_error(req, 500, "INTERNAL", "系统内部错误，请稍后再试", NULL);
    return true;
}
