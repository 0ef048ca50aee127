/*
 * server.c - one zikao-server process: its loop, listener, signals, reload,
 * drain, the periodic tick, and the start-up schema check.
 *
 * Owns struct server (see server.h) from server_run's start to its return.
 *
 * Shutdown (SIGTERM/SIGINT): stop accepting, let requests in flight finish
 * and be written (with Connection: close), close idle connections after
 * SERVER_DRAIN_GRACE_MS, remove the instance record from Redis, then close
 * the database pool and Redis and return 0. Whatever is still open at
 * shutdown_timeout_ms is cut off. The grace matters for a hand-over: a
 * request already on its way over a keep-alive connection (or sitting unread
 * in its socket) is answered, with Connection: close, instead of being cut;
 * the client's next connection reaches the process that took over the
 * listening socket.
 *
 * The tick also reports to the service manager and keeps the instance
 * record (server_notify.h): a loop that stops ticking stops the watchdog.
 */
#include "server.h"
#include "alloc.h"
#include "build_info.h"
#include "schema_check.h"
#include "http/http_conn.h"
#include "http/router.h"
#include "log.h"
#include "metrics.h"
#include "pg_pool.h"
#include "redis_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define SERVER_TICK_MS        100
#define SERVER_LINGER_MS      2000
#define SERVER_DRAIN_GRACE_MS 1000
#define EXIT_CONFIG           78 /* sysexits EX_CONFIG: do not restart */

static void server_finish(struct server *srv);

bool server_schema_ok(const struct server *srv)
{
    return srv->schema_checked && srv->schema_applied == ZIKAO_SCHEMA_COUNT;
}

/* Applies the run-time limits of srv->cfg to the modules that use them. */
static void server_apply_limits(struct server *srv)
{
    const struct zk_config *cfg = &srv->cfg;
    int level = log_level_parse(cfg->log_level);
    if (level > 0)
        log_set_level(level);
    struct http_server_limits hl = {
        .parse = {.header_bytes = (size_t)cfg->header_bytes, .max_headers = cfg->max_headers},
        .body_bytes = (size_t)cfg->body_bytes,
        .pipeline_depth = cfg->pipeline_depth,
        .max_connections = cfg->max_connections,
        .idle_ms = (uint64_t)cfg->idle_timeout_ms,
        .header_ms = (uint64_t)cfg->header_timeout_ms,
        .body_ms = (uint64_t)cfg->body_timeout_ms,
        .write_ms = (uint64_t)cfg->write_timeout_ms,
        .linger_ms = SERVER_LINGER_MS,
        .client_ip_header = cfg->client_ip_header,
    };
    http_server_set_limits(&srv->http, &hl);
    if (srv->pg)
        pg_pool_set_limits(srv->pg, cfg->db_queue_limit, cfg->db_query_timeout_ms,
                           cfg->db_connect_timeout_ms);
    if (srv->redis)
        redis_client_set_timeouts(srv->redis, cfg->redis_connect_timeout_ms,
                                  cfg->redis_command_timeout_ms);
}

static void server_reload(struct server *srv)
{
    struct zk_config fresh;
    char err[512];
    server_notify_reloading(&srv->notify);
    if (config_load(&fresh, srv->config_path, err, sizeof(err)) < 0) {
        log_err("reload refused, keeping the running configuration: %s", err);
        server_notify_reloaded(&srv->notify);
        return;
    }
    int fixed = 0;
    config_apply_reload(&srv->cfg, &fresh, &fixed);
    server_apply_limits(srv);
    if (fixed > 0)
        log_warn("configuration reloaded; %d changed setting(s) take effect only after a restart",
                 fixed);
    else
        log_notice("configuration reloaded");
    srv->app->reload(srv);
    server_notify_reloaded(&srv->notify);
}

/* ---- schema check ------------------------------------------------------------ */

static void on_schema_version(void *ud, const struct pg_result *r)
{
    struct server *srv = ud;
    srv->schema_check_running = false;
    if (r->error == PG_ERR_QUERY && strcmp(r->sqlstate, "42P01") == 0) {
        srv->schema_version = 0; /* no schema_migrations table: empty database */
        srv->schema_applied = 0;
    } else if (r->error != PG_OK) {
        return; /* retried on the next tick */
    } else {
        srv->schema_version = atoi(PQgetvalue(r->res, 0, 0));
        srv->schema_applied = atoi(PQgetvalue(r->res, 0, 1));
    }
    srv->schema_checked = true;
    if (srv->schema_applied < ZIKAO_SCHEMA_COUNT) {
        log_err("the database schema lacks %d of the %d migrations this server needs (highest "
                "applied: %d, needed: %d): run `zikaoctl migrate` (with the same configuration) "
                "and start the server again",
                ZIKAO_SCHEMA_COUNT - srv->schema_applied, ZIKAO_SCHEMA_COUNT, srv->schema_version,
                ZIKAO_SCHEMA_VERSION);
        srv->exit_code = EXIT_CONFIG;
        if (!srv->draining) {
            srv->draining = true;
            server_finish(srv);
        }
    } else if (srv->schema_version > ZIKAO_SCHEMA_VERSION) {
        log_notice("database schema version %d is newer than this server's %d", srv->schema_version,
                   ZIKAO_SCHEMA_VERSION);
    }
}

static void server_check_schema(struct server *srv)
{
    if (srv->schema_checked || srv->schema_check_running || srv->draining)
        return;
    if (pg_query(srv->pg, SCHEMA_CHECK_SQL, NULL, on_schema_version, srv) == 0)
        srv->schema_check_running = true;
}

/* ---- shutdown ------------------------------------------------------------------ */

static void on_handle_closed(uv_handle_t *h)
{
    (void)h;
}

static void on_pool_closed(void *ud)
{
    (void)ud;
}

/* Closes everything the loop still runs so uv_run returns. */
static void server_finish(struct server *srv)
{
    if (srv->listening) {
        uv_close((uv_handle_t *)&srv->listener, on_handle_closed);
        srv->listening = false;
    }
    http_conn_close_all(&srv->http);
    if (!uv_is_closing((uv_handle_t *)&srv->tick)) {
        uv_close((uv_handle_t *)&srv->tick, on_handle_closed);
        uv_close((uv_handle_t *)&srv->sig_term, on_handle_closed);
        uv_close((uv_handle_t *)&srv->sig_int, on_handle_closed);
        uv_close((uv_handle_t *)&srv->sig_hup, on_handle_closed);
    }
    if (srv->pg) {
        pg_pool_close(srv->pg, on_pool_closed, srv);
        srv->pg = NULL;
    }
    if (srv->redis) {
        redis_client_close(srv->redis, on_pool_closed, srv);
        srv->redis = NULL;
    }
}

static void server_begin_drain(struct server *srv)
{
    if (srv->draining)
        return;
    srv->draining = true;
    http_server_begin_drain(&srv->http);
    srv->drain_deadline = uv_now(srv->loop) + (uint64_t)srv->cfg.shutdown_timeout_ms;
    srv->drain_idle_close_at = uv_now(srv->loop) + SERVER_DRAIN_GRACE_MS;
    log_notice("draining: %d connection(s) open", srv->http.nconns);
    server_notify_stopping(&srv->notify, srv->http.nconns);
    if (srv->listening) {
        uv_close((uv_handle_t *)&srv->listener, on_handle_closed);
        srv->listening = false;
    }
}

/* ---- tick and signals ------------------------------------------------------------ */

static void server_answered(struct server *srv, int route_index, int status, uint64_t elapsed_us)
{
    metrics_record(&srv->metrics->slots[srv->metrics_slot], route_index, status, elapsed_us);
}

static void server_publish_gauges(struct server *srv)
{
    struct metrics_slot *s = &srv->metrics->slots[srv->metrics_slot];
    atomic_store_explicit(&s->open_connections, srv->http.nconns, memory_order_relaxed);
    atomic_store_explicit(&s->refused_connections, srv->http.refused, memory_order_relaxed);
    atomic_store_explicit(&s->timeouts, srv->http.timeouts, memory_order_relaxed);
    if (srv->pg) {
        struct pg_pool_stats ps;
        pg_pool_stats(srv->pg, &ps);
        atomic_store_explicit(&s->pg_ready, ps.ready, memory_order_relaxed);
        atomic_store_explicit(&s->pg_in_use, ps.in_use, memory_order_relaxed);
        atomic_store_explicit(&s->pg_waiting, ps.waiting, memory_order_relaxed);
        atomic_store_explicit(&s->pg_timeouts, ps.timeouts, memory_order_relaxed);
        atomic_store_explicit(&s->pg_failures, ps.failures, memory_order_relaxed);
    }
    if (srv->redis) {
        struct redis_client_stats rs;
        redis_client_stats(srv->redis, &rs);
        atomic_store_explicit(&s->redis_up, rs.connected ? 1 : 0, memory_order_relaxed);
        atomic_store_explicit(&s->redis_timeouts, rs.timeouts, memory_order_relaxed);
        atomic_store_explicit(&s->redis_reconnects, rs.reconnects, memory_order_relaxed);
    }
}

static void on_tick(uv_timer_t *t)
{
    struct server *srv = t->data;
    uint64_t now = uv_now(srv->loop);
    http_server_update_date(&srv->http);
    http_conn_sweep(&srv->http, now);
    server_publish_gauges(srv);
    if (srv->modules_started)
        srv->app->tick(srv);
    struct server_notify_view view = {
        .metrics = srv->metrics,
        .slot = srv->metrics_slot,
        .redis = srv->redis,
        .draining = srv->draining,
        .schema_ok = server_schema_ok(srv),
        .connections = srv->http.nconns,
    };
    server_notify_tick(&srv->notify, &view, server_notify_now_ms());
    if (srv->draining) {
        if (srv->drain_idle_close_at != 0 && now >= srv->drain_idle_close_at) {
            srv->drain_idle_close_at = 0;
            srv->http.closing_idle = true;
            http_conn_drain_all(&srv->http);
        }
        if (srv->http.nconns == 0 || now >= srv->drain_deadline) {
            if (srv->http.nconns > 0 && !srv->notify.removing)
                log_warn("drain deadline passed: closing %d connection(s)", srv->http.nconns);
            if (server_notify_unrecord(&srv->notify, srv->redis))
                server_finish(srv);
        }
        return;
    }
    server_check_schema(srv);
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct server *srv = h->data;
    if (signum == SIGHUP) {
        server_reload(srv);
        return;
    }
    if (srv->draining) {
        log_notice("second stop signal: closing now");
        server_finish(srv);
        return;
    }
    server_begin_drain(srv);
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct server *srv = listener->data;
    if (status < 0) {
        log_warn("accept failed: %s", uv_strerror(status));
        return;
    }
    http_conn_accept(&srv->http);
}

/* ---- run ---------------------------------------------------------------------------- */

int server_run(const struct zk_config *cfg, const char *config_path, int listen_fd,
               int worker_index, struct metrics *metrics, const struct server_app *app)
{
    struct server *srv = zk_calloc(1, sizeof(*srv));
    uv_loop_t loop;
    int rc = 0;
    uv_loop_init(&loop);
    srv->loop = &loop;
    loop.data = srv;
    srv->cfg = *cfg;
    srv->config_path = config_path;
    srv->worker_index = worker_index;
    srv->metrics = metrics;
    srv->metrics_slot = worker_index;
    srv->app = app;
    struct metrics_slot *slot = &metrics->slots[worker_index];
    atomic_store(&slot->pid, getpid());
    atomic_store(&slot->open_connections, 0);
    atomic_store(&slot->ready, 0);
    atomic_store(&slot->heartbeat_ms, server_notify_now_ms());
    server_notify_init(&srv->notify);

    char err[256];
    srv->router = app->build_router(&srv->cfg, err, sizeof(err));
    if (srv->router == NULL) {
        log_err("route table: %s", err);
        rc = EXIT_CONFIG;
        goto out;
    }
    if (router_count(srv->router) + (router_fallback(srv->router) != NULL) > METRICS_MAX_ROUTES) {
        /* Beyond it, requests would be counted as unmatched: raise the limit. */
        log_err("route table: %d routes, more than METRICS_MAX_ROUTES (%d) in server/metrics.h",
                router_count(srv->router) + (router_fallback(srv->router) != NULL),
                METRICS_MAX_ROUTES);
        rc = EXIT_CONFIG;
        goto out;
    }
    static const struct http_server_hooks hooks = {.answered = server_answered};
    http_server_init(&srv->http, &loop, &srv->listener, srv->router, srv, &hooks);
    server_apply_limits(srv);

    struct pg_pool_options po = {
        .conninfo = srv->cfg.db_conninfo,
        .application_name = "zikao-server",
        .size = srv->cfg.db_pool_size,
        .queue_limit = srv->cfg.db_queue_limit,
        .query_timeout_ms = srv->cfg.db_query_timeout_ms,
        .connect_timeout_ms = srv->cfg.db_connect_timeout_ms,
    };
    srv->pg = pg_pool_create(&loop, &po);
    struct redis_client_options ro = {
        .host = srv->cfg.redis_host,
        .port = srv->cfg.redis_port,
        .password = srv->cfg.redis_password,
        .db = srv->cfg.redis_db,
        .connect_timeout_ms = srv->cfg.redis_connect_timeout_ms,
        .command_timeout_ms = srv->cfg.redis_command_timeout_ms,
    };
    srv->redis = redis_client_create(&loop, &ro);

    uv_tcp_init(&loop, &srv->listener);
    srv->listener.data = srv;
    int e = uv_tcp_open(&srv->listener, listen_fd);
    if (e == 0)
        e = uv_listen((uv_stream_t *)&srv->listener, 4096, on_connection);
    if (e != 0) {
        log_err("cannot listen: %s", uv_strerror(e));
        rc = 1;
        srv->draining = true;
        http_conn_close_all(&srv->http);
        uv_close((uv_handle_t *)&srv->listener, on_handle_closed);
        pg_pool_close(srv->pg, on_pool_closed, srv);
        redis_client_close(srv->redis, on_pool_closed, srv);
        srv->pg = NULL;
        srv->redis = NULL;
        uv_run(&loop, UV_RUN_DEFAULT);
        goto out;
    }
    srv->listening = true;
    if (app->start(srv) < 0) {
        rc = EXIT_CONFIG;
        srv->exit_code = rc;
        srv->draining = true;
        server_finish(srv);
        uv_run(&loop, UV_RUN_DEFAULT);
        goto out;
    }
    srv->modules_started = true;

    uv_timer_init(&loop, &srv->tick);
    srv->tick.data = srv;
    uv_timer_start(&srv->tick, on_tick, SERVER_TICK_MS, SERVER_TICK_MS);
    uv_signal_init(&loop, &srv->sig_term);
    uv_signal_init(&loop, &srv->sig_int);
    uv_signal_init(&loop, &srv->sig_hup);
    srv->sig_term.data = srv->sig_int.data = srv->sig_hup.data = srv;
    uv_signal_start(&srv->sig_term, on_signal, SIGTERM);
    uv_signal_start(&srv->sig_int, on_signal, SIGINT);
    uv_signal_start(&srv->sig_hup, on_signal, SIGHUP);
    server_check_schema(srv);

    log_notice("worker %d listening (pid %d, schema %d, %d database connections)", worker_index,
               (int)getpid(), ZIKAO_SCHEMA_VERSION, srv->cfg.db_pool_size);
    uv_run(&loop, UV_RUN_DEFAULT);
    rc = srv->exit_code;
    log_notice("worker %d stopped", worker_index);

out:
    app->stop(srv); /* the loop has ended: no module work is running */
    server_notify_close(&srv->notify);
    router_free(srv->router);
    if (uv_loop_close(&loop) != 0)
        log_warn("event loop closed with handles still open");
    atomic_store(&slot->pid, 0);
    free(srv);
    return rc;
}
