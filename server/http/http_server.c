/*
 * http_server.c - the HTTP layer's per-process state: set-up, limits, the
 * Date header and request ids (see http_server.h; the connections and
 * their shutdown are http_conn.c).
 */
#include "http_server.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

void http_server_update_date(struct http_server *hs)
{
    time_t now = time(NULL);
    if ((uint64_t)now == hs->date_sec)
        return;
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(hs->date, sizeof(hs->date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    hs->date_sec = (uint64_t)now;
}

void http_server_init(struct http_server *hs, uv_loop_t *loop, uv_tcp_t *listener,
                      const struct router *router, struct server *app,
                      const struct http_server_hooks *hooks)
{
    hs->loop = loop;
    hs->listener = listener;
    hs->router = router;
    hs->app = app;
    if (hooks != NULL)
        hs->hooks = *hooks;
    timeout_queue_init(&hs->tq_idle, "idle", 0);
    timeout_queue_init(&hs->tq_header, "header", 0);
    timeout_queue_init(&hs->tq_body, "body", 0);
    timeout_queue_init(&hs->tq_write, "write", 0);
    timeout_queue_init(&hs->tq_linger, "linger", 0);
    uv_idle_init(loop, &hs->written_idle);
    hs->written_idle.data = hs;
    uint32_t rnd = 0;
    if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        rnd = (uint32_t)getpid() * 2654435761u;
    hs->reqid_prefix = rnd;
    http_server_update_date(hs);
}

void http_server_set_limits(struct http_server *hs, const struct http_server_limits *limits)
{
    hs->limits = *limits;
    hs->tq_idle.timeout_ms = limits->idle_ms;
    hs->tq_header.timeout_ms = limits->header_ms;
    hs->tq_body.timeout_ms = limits->body_ms;
    hs->tq_write.timeout_ms = limits->write_ms;
    hs->tq_linger.timeout_ms = limits->linger_ms;
}

void http_server_request_id(struct http_server *hs, char out[17])
{
    snprintf(out, 17, "%08x%08x", hs->reqid_prefix, (unsigned)(hs->reqid_counter++));
}

void http_server_begin_drain(struct http_server *hs)
{
    hs->draining = true;
}
