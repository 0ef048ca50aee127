/*
 * health.c - GET /healthz (alive), GET /readyz (PostgreSQL, Redis and schema
 * answer), GET /metrics (Prometheus text for all server processes).
 */
#include "api.h"
#include "build_info.h"
#include "http/router.h"
#include "metrics.h"
#include "redis_client.h"
#include "server.h"

#include <string.h>

static void healthz(struct http_request *req)
{
    static const char body[] = "{\"status\":\"alive\"}";
    http_response_header(req, "Cache-Control", "no-store");
    http_respond(req, 200, "application/json; charset=utf-8", body, sizeof(body) - 1);
}

struct readyz_state {
    int pending;
    const char *postgres; /* "up" or the reason it is not */
    const char *redis;
};

static void readyz_finish(struct http_request *req)
{
    struct readyz_state *st = req->ctx;
    if (--st->pending > 0)
        return;
    struct server *srv = req->srv;
    const char *schema = "up";
    if (!srv->schema_checked)
        schema = "not checked yet";
    else if (!server_schema_ok(srv))
        schema = "older than this server needs: run zikaoctl migrate";
    json_t *checks = json_pack("{s:s, s:s, s:s}", "postgres", st->postgres, "redis", st->redis,
                               "schema", schema);
    bool ok = strcmp(st->postgres, "up") == 0 && strcmp(st->redis, "up") == 0 &&
              strcmp(schema, "up") == 0;
    if (ok) {
        http_respond_json(req, 200, json_pack("{s:s, s:o}", "status", "ready", "checks", checks));
        return;
    }
    const char *down = strcmp(st->postgres, "up") != 0 ? "PostgreSQL"
                       : strcmp(st->redis, "up") != 0  ? "Redis"
                                                       : "schema";
    char *msg = arena_printf(&req->arena, "服务未就绪：%s 不可用", down);
    http_response_header(req, "Retry-After", "1");
    http_respond_json(req, 503,
                      json_pack("{s:{s:s, s:s}, s:o}", "error", "code", "NOT_READY", "message", msg,
                                "checks", checks));
}

static void readyz_pg_done(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct readyz_state *st = req->ctx;
    st->postgres = r->error == PG_OK ? "up" : arena_strdup(&req->arena, r->message);
    readyz_finish(req);
}

static void readyz_redis_done(void *ud, redisReply *reply, const char *err)
{
    struct http_request *req = ud;
    struct readyz_state *st = req->ctx;
    st->redis = err == NULL ? "up" : arena_strdup(&req->arena, err);
    readyz_finish(req);
}

static void readyz(struct http_request *req)
{
    struct readyz_state *st = arena_calloc(&req->arena, sizeof(*st));
    req->ctx = st;
    st->pending = 3; /* postgres, redis, and this function */
    if (pg_query(req->srv->pg, "SELECT 1", NULL, readyz_pg_done, req) < 0) {
        st->postgres = "unreachable";
        st->pending--;
    }
    if (redis_command(req->srv->redis, readyz_redis_done, req, "PING") < 0) {
        st->redis = "unreachable";
        st->pending--;
    }
    readyz_finish(req);
}

static void metrics_handler(struct http_request *req)
{
    size_t len = 0;
    char *text = metrics_render(req->srv->metrics, req->srv->router, &req->arena, &len);
    http_response_header(req, "Cache-Control", "no-store");
    http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

static const struct route health_routes[] = {
    {"GET", "/healthz", healthz, 0},
    {"GET", "/readyz", readyz, 0},
    {"GET", "/metrics", metrics_handler, 0},
};

const struct api_module api_health_module = {
    "health", health_routes, sizeof(health_routes) / sizeof(health_routes[0]), false};
