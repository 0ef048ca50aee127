/*
 * api_db.c - the database helpers every handler uses, the JSON body reader
 * and the busy answer (see api.h).
 */
#include "api.h"
#include "log.h"
#include "server.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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
    return api_db_refused(req, pg_query(req->srv->pg, sql, p, cb, ud));
}

int api_db_refused(struct http_request *req, int rc)
{
    if (rc == -EAGAIN)
        api_respond_busy(req);
    else if (rc < 0)
        http_respond_error(req, 503, "DATABASE_UNAVAILABLE", "系统暂时无法访问数据库，请稍后再试",
                           NULL);
    return rc < 0 ? -1 : 0;
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

bool api_db_row(struct http_request *req, const struct pg_result *r, int status, const char *code,
                const char *message, const char *field)
{
    if (api_db_failed(req, r))
        return false;
    if (PQntuples(r->res) == 0) {
        http_respond_error(req, status, code, message, field);
        return false;
    }
    return true;
}

void api_db_json_text(struct http_request *req, const struct pg_result *r, int status)
{
    size_t len = (size_t)PQgetlength(r->res, 0, 0);
    api_respond_json_text(req, status, arena_strndup(&req->arena, PQgetvalue(r->res, 0, 0), len),
                          len);
}

void api_respond_json_text(struct http_request *req, int status, const char *json, size_t len)
{
    http_response_header(req, "Cache-Control", "no-store");
    http_respond(req, status, "application/json; charset=utf-8", json, len);
}

void api_respond_file_row(struct http_request *req, const PGresult *res)
{
    size_t len = (size_t)PQgetlength(res, 0, 1);
    char *data = arena_alloc(&req->arena, len ? len : 1);
    memcpy(data, PQgetvalue(res, 0, 1), len);
    char *ct = arena_strdup(&req->arena, PQgetvalue(res, 0, 0));
    http_response_header(req, "Cache-Control", "private, no-store");
    http_respond(req, 200, ct, data, len);
}

void api_respond_busy(struct http_request *req)
{
    http_response_header(req, "Retry-After", "1");
    http_respond_error(req, 503, "SERVER_BUSY", "系统繁忙，请稍后再试", NULL);
}
