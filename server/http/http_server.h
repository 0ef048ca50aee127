/*
 * http_server.h - the HTTP layer of one process: its connections, their
 * timeout queues, the read buffer, the route table it dispatches to, and the
 * small interface its owner hands it.
 *
 * The layer knows the parser, the router and the timeout queue, and nothing
 * of the application: the owner (server.c) gives it a loop, a listening
 * handle, the router, limits, an opaque `app` pointer that every request
 * carries to its handler (http_request.srv), and hooks for what it wants to
 * count. Figures the owner publishes (connections open, refused, timed out)
 * are plain fields it reads on its own tick; the layer only ever runs on the
 * loop's thread.
 */
#ifndef ZK_HTTP_SERVER_H
#define ZK_HTTP_SERVER_H

#include "http_parse.h"
#include "timeout_queue.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define HTTP_READ_BUF_SIZE 65536

struct router;
struct http_conn;
struct server;

struct http_server_limits {
    struct http_parse_limits parse; /* header bytes, header count */
    size_t body_bytes;              /* default body limit (routes may set their own) */
    int pipeline_depth;             /* requests queued per connection before reading pauses */
    int max_connections;            /* beyond: refused */
    uint64_t idle_ms, header_ms, body_ms, write_ms, linger_ms;
    const char *client_ip_header; /* trusted from loopback peers only; "" none */
};

struct http_server_hooks {
    /* A request was answered: its route (-1: none matched), status and the
     * time from its first byte, in microseconds. May be NULL. */
    void (*answered)(struct server *app, int route_index, int status, uint64_t elapsed_us);
};

struct http_server {
    uv_loop_t *loop;
    uv_tcp_t *listener; /* the owner's; accepted from by http_conn_accept */
    const struct router *router;
    struct server *app; /* opaque here: handed to handlers as req->srv */
    struct http_server_hooks hooks;
    struct http_server_limits limits;

    struct http_conn *conns; /* every connection */
    int nconns;
    struct timeout_queue tq_idle, tq_header, tq_body, tq_write, tq_linger;
    /* Connections whose answers the kernel took whole, finished by the idle
     * handle on the next loop turn (http_conn.c). */
    struct http_conn *written;
    uv_idle_t written_idle;

    bool draining;     /* answer with Connection: close, accept nothing */
    bool closing_idle; /* draining and past the grace: idle connections close */
    uint64_t refused;  /* connections refused at max_connections */
    uint64_t timeouts; /* connections cut by a timeout */

    char date[40]; /* IMF-fixdate, refreshed by http_server_tick */
    uint64_t date_sec;
    uint32_t reqid_prefix;
    uint64_t reqid_counter;

    char read_buf[HTTP_READ_BUF_SIZE]; /* one read at a time per loop */
};

/* Sets up hs on loop (the idle handle is initialised; nothing is open yet). */
void http_server_init(struct http_server *hs, uv_loop_t *loop, uv_tcp_t *listener,
                      const struct router *router, struct server *app,
                      const struct http_server_hooks *hooks);

/* Applies limits (also on reload: connections keep their place in the queues). */
void http_server_set_limits(struct http_server *hs, const struct http_server_limits *limits);

/* Refreshes the Date header (each tick; connections expire in http_conn_sweep). */
void http_server_update_date(struct http_server *hs);

/* Writes a fresh request id (16 hex characters) into out. */
void http_server_request_id(struct http_server *hs, char out[17]);

/* Draining: from now on answers close their connection and nothing is
 * accepted; http_conn_drain_all later closes the idle ones. */
void http_server_begin_drain(struct http_server *hs);

#endif
