/*
 * health.c - GET /healthz (alive), GET /readyz (PostgreSQL, Redis and schema
 * answer), GET /metrics (Prometheus text for all server processes).
 */
#include "api.h"
#include "buf.h"
#include "build_info.h"
#include "queue.h"
#include "http/router.h"
#include "metrics.h"
#include "redis_client.h"
#include "server.h"

#include <stdlib.h>
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

/* /metrics: the HTTP figures from shared memory, then the job figures:
 * gauges from PostgreSQL (the truth) and counters the workers keep in Redis. */
/* One queue's stats hash (HGETALL), copied into the request arena. */
struct metrics_hash {
    size_t n;
    const char **field;
    long long *value;
};

struct metrics_state {
    int pending;
    struct buf out;
    PGresult *gauges; /* owned until rendered */
    struct metrics_hash stats[8];
    const struct api_scrape **scrapes; /* the modules' figures from PostgreSQL */
    PGresult **scraped;                /* their results, owned until rendered */
};

static long long metrics_hash_get(const struct metrics_hash *h, const char *field)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->field[i], field) == 0)
            return h->value[i];
    return 0;
}

static void metrics_jobs_render(struct http_request *req, struct metrics_state *st)
{
    struct buf *b = &st->out;
    buf_puts(b, "# HELP zikao_jobs Jobs by queue and state (queued: waiting for its first "
                "run; retrying: waiting after a failure).\n# TYPE zikao_jobs gauge\n");
    static const char *const states[] = {"queued", "retrying", "running", "dead"};
    for (size_t q = 0; q < queue_count; q++) {
        int row = -1;
        for (int i = 0; st->gauges && i < PQntuples(st->gauges); i++)
            if (strcmp(PQgetvalue(st->gauges, i, 0), queue_names[q]) == 0)
                row = i;
        for (int k = 0; k < 4; k++)
            buf_printf(b, "zikao_jobs{queue=\"%s\",state=\"%s\"} %s\n", queue_names[q], states[k],
                       row >= 0 ? PQgetvalue(st->gauges, row, k + 1) : "0");
    }
    buf_puts(b, "# HELP zikao_jobs_oldest_seconds Age of the oldest unfinished job.\n"
                "# TYPE zikao_jobs_oldest_seconds gauge\n");
    for (size_t q = 0; q < queue_count; q++) {
        const char *v = "0";
        for (int i = 0; st->gauges && i < PQntuples(st->gauges); i++)
            if (strcmp(PQgetvalue(st->gauges, i, 0), queue_names[q]) == 0)
                v = PQgetvalue(st->gauges, i, 5);
        buf_printf(b, "zikao_jobs_oldest_seconds{queue=\"%s\"} %s\n", queue_names[q], v);
    }
    buf_printf(b,
               "# HELP zikao_jobs_database_up 1 when the job gauges could be read.\n"
               "# TYPE zikao_jobs_database_up gauge\nzikao_jobs_database_up %d\n",
               st->gauges != NULL);

    buf_puts(b, "# HELP zikao_jobs_finished_total Job runs by outcome (done; failed and "
                "retried; dead).\n# TYPE zikao_jobs_finished_total counter\n");
    for (size_t q = 0; q < queue_count; q++) {
        static const char *const outcomes[] = {"done", "failed", "dead"};
        for (int k = 0; k < 3; k++) {
            long long v = metrics_hash_get(&st->stats[q], outcomes[k]);
            buf_printf(b, "zikao_jobs_finished_total{queue=\"%s\",outcome=\"%s\"} %lld\n",
                       queue_names[q], outcomes[k], v);
        }
    }
    buf_puts(b, "# HELP zikao_job_duration_seconds Time a job run took (handler and "
                "commit).\n# TYPE zikao_job_duration_seconds histogram\n");
    for (size_t q = 0; q < queue_count; q++) {
        const struct metrics_hash *h = &st->stats[q];
        long long buckets[QUEUE_DURATION_BUCKETS + 1], total = 0;
        long long sum_ms = metrics_hash_get(h, "duration_ms_sum");
        for (int bi = 0; bi <= QUEUE_DURATION_BUCKETS; bi++) {
            char f[8];
            snprintf(f, sizeof(f), "b%d", bi);
            buckets[bi] = metrics_hash_get(h, f);
        }
        long long cum = 0;
        for (int bi = 0; bi < QUEUE_DURATION_BUCKETS; bi++) {
            cum += buckets[bi];
            buf_printf(b, "zikao_job_duration_seconds_bucket{queue=\"%s\",le=\"%g\"} %lld\n",
                       queue_names[q], queue_duration_bounds_ms[bi] / 1000.0, cum);
        }
        total = cum + buckets[QUEUE_DURATION_BUCKETS];
        buf_printf(b, "zikao_job_duration_seconds_bucket{queue=\"%s\",le=\"+Inf\"} %lld\n",
                   queue_names[q], total);
        buf_printf(b, "zikao_job_duration_seconds_sum{queue=\"%s\"} %.3f\n", queue_names[q],
                   (double)sum_ms / 1000.0);
        buf_printf(b, "zikao_job_duration_seconds_count{queue=\"%s\"} %lld\n", queue_names[q],
                   total);
    }
    (void)req;
}

static void metrics_finish(struct http_request *req)
{
    struct metrics_state *st = req->ctx;
    if (--st->pending > 0)
        return;
    metrics_jobs_render(req, st);
    api_metrics_render(req->srv, &st->out);
    for (size_t i = 0; st->scrapes[i] != NULL; i++) {
        st->scrapes[i]->render(st->scraped[i], &st->out);
        if (st->scraped[i])
            PQclear(st->scraped[i]);
    }
    if (st->gauges)
        PQclear(st->gauges);
    http_response_header(req, "Cache-Control", "no-store");
    http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", st->out.data, st->out.len);
}

/* Keeps a gauge query's result past its callback (the pool clears it). */
static void metrics_keep(struct http_request *req, const struct pg_result *r, PGresult **into)
{
    if (r->error == PG_OK)
        *into = PQcopyResult(r->res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
    metrics_finish(req);
}

static void metrics_gauges_done(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    metrics_keep(req, r, &((struct metrics_state *)req->ctx)->gauges);
}

struct metrics_scrape_ctx {
    struct http_request *req;
    size_t i;
};

static void metrics_scrape_done(void *ud, const struct pg_result *r)
{
    struct metrics_scrape_ctx *c = ud;
    metrics_keep(c->req, r, &((struct metrics_state *)c->req->ctx)->scraped[c->i]);
}

struct metrics_stats_ctx {
    struct http_request *req;
    size_t queue;
};

static void metrics_stats_done(void *ud, redisReply *reply, const char *err)
{
    struct metrics_stats_ctx *c = ud;
    struct metrics_state *st = c->req->ctx;
    if (err == NULL && reply != NULL && reply->type == REDIS_REPLY_ARRAY) {
        struct arena *a = &c->req->arena;
        struct metrics_hash *h = &st->stats[c->queue];
        h->n = reply->elements / 2;
        h->field = arena_alloc(a, sizeof(*h->field) * (h->n + 1));
        h->value = arena_alloc(a, sizeof(*h->value) * (h->n + 1));
        for (size_t i = 0; i < h->n; i++) {
            h->field[i] = arena_strdup(a, reply->element[2 * i]->str);
            h->value[i] = atoll(reply->element[2 * i + 1]->str);
        }
    }
    metrics_finish(c->req);
}

static void metrics_handler(struct http_request *req)
{
    struct metrics_state *st = arena_calloc(&req->arena, sizeof(*st));
    req->ctx = st;
    size_t len = 0;
    char *text = metrics_render(req->srv->metrics, req->srv->router, &req->arena, &len);
    buf_init(&st->out, &req->arena, len + 8192);
    buf_append(&st->out, text, len);
    st->pending = 1;
    st->pending++;
    if (pg_query(req->srv->pg,
                 "SELECT queue, count(*) FILTER (WHERE state = 'queued' AND attempts = 0), "
                 "count(*) FILTER (WHERE state = 'queued' AND attempts > 0), "
                 "count(*) FILTER (WHERE state = 'running'), count(*) FILTER (WHERE state = "
                 "'dead'), coalesce(round(extract(epoch FROM now() - min(created_at) FILTER "
                 "(WHERE state IN ('queued', 'running'))))::bigint, 0) "
                 "FROM jobs WHERE state IN ('queued', 'running', 'dead') GROUP BY queue",
                 NULL, metrics_gauges_done, req) < 0)
        st->pending--;
    st->scrapes = api_metrics_scrapes(req->srv, &req->arena);
    size_t n = 0;
    while (st->scrapes[n] != NULL)
        n++;
    st->scraped = arena_calloc(&req->arena, sizeof(*st->scraped) * (n + 1));
    for (size_t i = 0; i < n; i++) {
        struct metrics_scrape_ctx *c = arena_calloc(&req->arena, sizeof(*c));
        c->req = req;
        c->i = i;
        st->pending++;
        if (pg_query(req->srv->pg, st->scrapes[i]->sql, NULL, metrics_scrape_done, c) < 0)
            st->pending--;
    }
    for (size_t q = 0; q < queue_count && q < 8; q++) {
        struct metrics_stats_ctx *c = arena_calloc(&req->arena, sizeof(*c));
        c->req = req;
        c->queue = q;
        char *key = arena_alloc(&req->arena, QUEUE_KEY_MAX);
        queue_stats_key(key, QUEUE_KEY_MAX, queue_names[q]);
        st->pending++;
        if (redis_command(req->srv->redis, metrics_stats_done, c, "HGETALL %s", key) < 0)
            st->pending--;
    }
    metrics_finish(req);
}

static const struct route health_routes[] = {
    {"GET", "/healthz", healthz, 0, NULL},
    {"GET", "/readyz", readyz, 0, NULL},
    {"GET", "/metrics", metrics_handler, 0, NULL},
};

const struct api_module api_health_module = {.name = "health", API_ROUTES(health_routes)};
