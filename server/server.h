/*
 * server.h - the per-process context of zikao-server.
 *
 * One struct server per process holds everything that process owns: its
 * libuv loop, configuration, listener, connections, timeout queues, the
 * PostgreSQL pool, the Redis client, the router, its metrics slot and what
 * it reports to the service manager (server_notify.h). There is no other
 * mutable global state (the logger's level aside, see log.h).
 */
#ifndef ZK_SERVER_H
#define ZK_SERVER_H

#include "config.h"
#include "http/http_parse.h"
#include "http/timeout_queue.h"
#include "server_notify.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct router;
struct pg_pool;
struct redis_client;
struct metrics;
struct http_conn;
struct pay_store_item;
struct static_files;

#define SERVER_READ_BUF_SIZE 65536

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
    struct static_files *www; /* [server] www_dir (http/static_files.h) */
    struct pg_pool *pg;
    struct redis_client *redis;
    struct metrics *metrics;
    int metrics_slot;

    /* Connections: all of them, and one timeout queue per waiting state. */
    struct http_conn *conns;
    int nconns;
    struct timeout_queue tq_idle, tq_header, tq_body, tq_write, tq_linger;
    /* Connections whose answers the kernel took whole, finished by the idle
     * handle on the next loop turn (http_conn.c). */
    struct http_conn *written;
    uv_idle_t written_idle;
    struct http_parse_limits parse_limits;

    int hashes_in_flight;     /* password hashes queued or running on the pool */
    int pay_crypto_in_flight; /* payment signatures queued or running (api/orders.c) */

    /* Verified payment notifications waiting for a batch (api/pay_store.c). */
    struct pay_store_item *pay_wait_head, *pay_wait_tail;
    int pay_waiting, pay_batches;             /* waiting; statements running */
    uint64_t pay_batch_count, pay_batch_rows; /* statements sent; notifications in them */

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

    char date[40]; /* IMF-fixdate, refreshed by the tick */
    uint64_t date_sec;
    uint32_t reqid_prefix;
    uint64_t reqid_counter;

    char read_buf[SERVER_READ_BUF_SIZE]; /* one read at a time per loop */
};

/*
 * Runs one server process on listen_fd (already bound and listening) until
 * it is told to stop. Returns the process exit status.
 */
int server_run(const struct zk_config *cfg, const char *config_path, int listen_fd,
               int worker_index, struct metrics *metrics);

/* Writes a fresh request id (16 hex characters) into out. */
void server_request_id(struct server *srv, char out[17]);

/* True when PostgreSQL answered and the schema is recent enough. */
bool server_schema_ok(const struct server *srv);

#endif
