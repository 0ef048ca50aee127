/*
 * server.h - the per-process context of zikao-server.
 *
 * One struct server per process holds everything that process owns: its
 * libuv loop, configuration, listener, its HTTP layer (connections and their
 * timeouts: http/http_server.h), the PostgreSQL pool, the Redis client, the
 * router, its metrics slot and what it reports to the service manager
 * (server_notify.h). There is no other
 * mutable global state (the logger's level aside, see log.h).
 */
#ifndef ZK_SERVER_H
#define ZK_SERVER_H

#include "config.h"
#include "http/http_server.h"
#include "server_notify.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct router;
struct pg_pool;
struct redis_client;
struct metrics;

/*
 * What the application (the api modules, api.h) gives the server: its route
 * table, and hooks to set up, tick and release the modules' per-process
 * state. The server core knows nothing else of it.
 */
struct server_app {
    struct router *(*build_router)(const struct zk_config *cfg, char *err, size_t errsz);
    int (*start)(struct server *srv); /* 0, or < 0 (logged): the process stops */
    void (*tick)(struct server *srv);
    void (*reload)(struct server *srv); /* after SIGHUP loaded a new srv->cfg */
    void (*stop)(struct server *srv);   /* after the loop ended */
};

struct server {
    uv_loop_t *loop;
    struct zk_config cfg;
    const char *config_path;
    int worker_index; /* 0..N-1 */

    uv_tcp_t listener;
    bool listening;
    uv_timer_t tick;
    uv_signal_t sig_term, sig_int, sig_hup;

    struct router *router;
    struct pg_pool *pg;
    struct redis_client *redis;
    struct metrics *metrics;
    int metrics_slot;

    struct http_server http; /* connections, their timeouts, the read buffer */

    const struct server_app *app;
    void **modules; /* each api module's per-process state (api.h: api_state) */
    bool modules_started;

    bool draining;
    uint64_t drain_deadline;
    uint64_t drain_idle_close_at; /* idle connections close then; 0: done */
    int exit_code;

    struct server_notify notify; /* systemd and the instance record in Redis */

    /* Schema check: the database must be at least ZIKAO_SCHEMA_VERSION. */
    bool schema_checked;
    bool schema_check_running;
    int schema_version; /* highest applied */
    int schema_applied; /* how many of this build's migrations are applied */
};

/*
 * Runs one server process on listen_fd (already bound and listening) until
 * it is told to stop. Returns the process exit status.
 */
int server_run(const struct zk_config *cfg, const char *config_path, int listen_fd,
               int worker_index, struct metrics *metrics, const struct server_app *app);

/* True when PostgreSQL answered and the schema is recent enough. */
bool server_schema_ok(const struct server *srv);

#endif
