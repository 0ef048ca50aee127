/*
 * http_conn.c - client connections (see http_conn.h).
 *
 * Owns struct http_conn, its uv_tcp_t, the requests in its queue, the copy
 * of unparsed bytes kept while parsing is paused, and the write buffers.
 *
 * Closing is always deferred by libuv: after uv_close the struct stays valid
 * until on_closed, and write callbacks (with UV_ECANCELED) run before it. So
 * code that may close a connection from inside a parser callback only has to
 * check conn->closing afterwards.
 *
 * Writing tries the socket at once (uv_try_write): an answer the kernel takes
 * whole - nearly all of them - is finished from the server's idle handle on
 * the next loop turn, like a write callback but without the epoll_ctl that
 * libuv spends on every completed uv_write. A partial or refused write goes
 * through uv_write as usual.
 */
#include "http_conn.h"
#include "alloc.h"
#include "http_server.h"
#include "log.h"
#include "router.h"
#include "urlcode.h"

#include <llhttp.h>
#include <stdio.h>
#include <string.h>

#define CONN_MAX_BATCH 16 /* responses gathered into one write */

struct http_conn {
    uv_tcp_t tcp;
    struct http_server *hs;
    struct http_conn *prev, *next; /* hs->conns */
    struct timeout_node tn;
    struct http_parse parse;

    struct http_request *head, *tail; /* in arrival order */
    int queued;
    int writing; /* requests at the head being written */
    uv_write_t wreq;
    uv_buf_t wbufs[CONN_MAX_BATCH * 2];
    uv_shutdown_t sreq;
    struct http_conn *written_next; /* hs->written: answers out, to finish */
    bool written;                   /* on that list */

    char *saved; /* unparsed bytes kept while parsing is paused (heap) */
    size_t saved_len, saved_off;

    unsigned msg_seq;    /* requests begun on this connection */
    unsigned header_seq; /* msg_seq when the header deadline was set */

    char peer_ip[46];
    bool paused;    /* parser paused: pipeline full */
    bool last;      /* a request asked to close: parse nothing after it */
    bool reading;   /* uv_read_start active */
    bool eof;       /* the client has finished sending */
    bool failed;    /* an error answer is queued; parse no more */
    bool lingering; /* final answer sent; discarding input until close */
    bool closing;   /* uv_close called */
};

static void conn_close(struct http_conn *c);
static void conn_flush(struct http_conn *c);
static void conn_update_timeout(struct http_conn *c);
static void conn_feed(struct http_conn *c, const char *data, size_t len);

static struct http_conn *conn_of_node(struct timeout_node *n)
{
    return (struct http_conn *)((char *)n - offsetof(struct http_conn, tn));
}

/* ---- requests in the queue ------------------------------------------------ */

static void conn_enqueue(struct http_conn *c, struct http_request *req)
{
    req->next = NULL;
    if (c->tail)
        c->tail->next = req;
    else
        c->head = req;
    c->tail = req;
    c->queued++;
}

static struct http_request *conn_pop(struct http_conn *c)
{
    struct http_request *req = c->head;
    c->head = req->next;
    if (c->head == NULL)
        c->tail = NULL;
    c->queued--;
    req->next = NULL;
    return req;
}

static void conn_log_request(const struct http_request *req)
{
    if (log_get_level() < LOG_LEVEL_INFO)
        return;
    double ms = (double)(uv_hrtime() - req->start_ns) / 1e6;
    log_msg(LOG_LEVEL_INFO, req->id, "%s %s %d %zuB %.2fms",
            req->method_name ? req->method_name : "-", req->path ? req->path : "-", req->status,
            req->resp_body_len, ms);
}

/* ---- parser hooks ------------------------------------------------------------ */

static void conn_answered(struct http_request *req);

/* A request of this connection: where it came from, its id, its answer's way out. */
static struct http_request *conn_request_new(struct http_conn *c)
{
    struct http_server *hs = c->hs;
    struct http_request *req = http_request_new();
    req->hs = hs;
    req->srv = hs->app;
    req->conn = c;
    req->on_answer = conn_answered;
    if (hs->limits.client_ip_header != NULL)
        req->client_ip_header = hs->limits.client_ip_header;
    http_server_request_id(hs, req->id);
    memcpy(req->peer_ip, c->peer_ip, sizeof(req->peer_ip));
    return req;
}

static struct http_request *hook_request_new(void *owner)
{
    struct http_conn *c = owner;
    struct http_request *req = conn_request_new(c);
    c->msg_seq++;
    return req;
}

/* Writes an interim "100 Continue" when the client waits for one and no
 * earlier answer is pending (interim answers must not overtake them). */
static void conn_send_continue(struct http_conn *c)
{
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    if (c->queued > 0 || c->writing > 0 || c->closing)
        return;
    uv_buf_t b = uv_buf_init((char *)cont, sizeof(cont) - 1);
    (void)uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
}

static void hook_headers_done(void *owner, struct http_request *req)
{
    struct http_conn *c = owner;
    struct http_server *hs = c->hs;
    struct router_match m;
    const char *method = req->method_name;
    enum router_result rr = router_match(hs->router, method, req->path, &m);
    req->body_limit = hs->limits.body_bytes;
    if (rr == ROUTER_FOUND) {
        req->route = m.route;
        req->route_index = m.index;
        if (m.route->body_limit > 0)
            req->body_limit = m.route->body_limit;
        for (int i = 0; i < m.nparams; i++)
            req->params[i] = url_decode(&req->arena, m.params[i].p, m.params[i].len, false, NULL);
        req->nparams = m.nparams;
        if (m.route->body_limit_fn != NULL) {
            size_t limit = m.route->body_limit_fn(req);
            if (limit > 0)
                req->body_limit = limit;
        }
    } else if (rr == ROUTER_METHOD_NOT_ALLOWED) {
        req->ctx = arena_strdup(&req->arena, m.allow); /* dispatch answers 405 */
    }
    if (req->expect_continue) {
        const llhttp_t *h = &c->parse.parser;
        bool fits = !(h->flags & F_CONTENT_LENGTH) || h->content_length <= req->body_limit;
        if (fits)
            conn_send_continue(c);
    }
}

static void conn_dispatch(struct http_request *req)
{
    if (req->route != NULL) {
        req->route->handler(req);
        return;
    }
    if (req->ctx != NULL) { /* path exists, method does not */
        http_response_header(req, "Allow", req->ctx);
        if (req->method == HTTP_OPTIONS) {
            http_respond(req, 204, NULL, NULL, 0);
            return;
        }
        http_respond_error(req, 405, "METHOD_NOT_ALLOWED", "该地址不支持此请求方法", NULL);
        return;
    }
    http_respond_error(req, 404, "NOT_FOUND", "请求的地址不存在", NULL);
}

static bool hook_request_done(void *owner, struct http_request *req)
{
    struct http_conn *c = owner;
    if (!req->keep_alive || c->hs->draining) {
        /* Connection: close (or HTTP/1.0): answer, then close; whatever the
         * client sent after it is not parsed (llhttp would refuse it). */
        req->close_after = true;
        c->last = true;
    }
    conn_enqueue(c, req);
    conn_dispatch(req);
    return c->last || (c->queued >= c->hs->limits.pipeline_depth && !c->closing);
}

static const struct http_parse_hooks conn_hooks = {
    .request_new = hook_request_new,
    .headers_done = hook_headers_done,
    .request_done = hook_request_done,
};

/* ---- reading ----------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct http_conn *c = h->data;
    buf->base = c->hs->read_buf;
    buf->len = sizeof(c->hs->read_buf);
}

static void conn_stop_reading(struct http_conn *c)
{
    if (c->reading && !c->closing) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void conn_start_reading(struct http_conn *c)
{
    if (!c->reading && !c->closing && !c->eof) {
        if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
            c->reading = true;
    }
}

/* Queues an error answer that ends the connection (parse error, timeout). */
static void conn_fail(struct http_conn *c, int status, const char *code, const char *message)
{
    struct http_request *req = http_parse_take_request(&c->parse);
    if (req == NULL)
        req = conn_request_new(c);
    c->failed = true;
    conn_stop_reading(c);
    req->close_after = true;
    conn_enqueue(c, req);
    http_respond_error(req, status, code, message, NULL);
}

static void conn_feed(struct http_conn *c, const char *data, size_t len)
{
    size_t used = 0;
    enum http_parse_status st = http_parse_feed(&c->parse, data, len, &used);
    if (c->closing)
        return;
    if (st == HTTP_PARSE_PAUSED) {
        c->paused = true;
        conn_stop_reading(c);
        size_t rest = c->last ? 0 : len - used;
        if (rest > 0) {
            if (c->saved != NULL && data >= c->saved && data < c->saved + c->saved_len) {
                c->saved_off = (size_t)(data + used - c->saved);
            } else {
                free(c->saved);
                c->saved = zk_malloc(rest);
                memcpy(c->saved, data + used, rest);
                c->saved_len = rest;
                c->saved_off = 0;
            }
        } else {
            free(c->saved);
            c->saved = NULL;
            c->saved_len = c->saved_off = 0;
        }
    } else if (st == HTTP_PARSE_ERROR) {
        struct http_parse *p = &c->parse;
        if (p->error_detail != NULL)
            log_msg(LOG_LEVEL_INFO, NULL, "bad request: %s", p->error_detail);
        conn_fail(c, p->error_status, p->error_code, p->error_message);
    } else if (c->saved != NULL && data >= c->saved && data < c->saved + c->saved_len) {
        free(c->saved);
        c->saved = NULL;
        c->saved_len = c->saved_off = 0;
    }
}

/* Continues parsing after the queue drained below the pipeline depth. */
static void conn_resume(struct http_conn *c)
{
    c->paused = false;
    http_parse_resume(&c->parse);
    if (c->saved != NULL)
        conn_feed(c, c->saved + c->saved_off, c->saved_len - c->saved_off);
    if (!c->paused && !c->failed && !c->closing && !c->lingering)
        conn_start_reading(c);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct http_conn *c = s->data;
    if (nread == 0 || c->closing)
        return;
    if (nread < 0) {
        c->eof = true;
        conn_stop_reading(c);
        c->reading = false;
        if (nread != UV_EOF || c->lingering || (c->queued == 0 && c->writing == 0)) {
            conn_close(c);
            return;
        }
        /* Answer what was asked, then close (a half-sent request is dropped). */
        struct http_request *partial = http_parse_take_request(&c->parse);
        if (partial != NULL)
            http_request_free(partial);
        conn_update_timeout(c);
        return;
    }
    if (c->lingering)
        return; /* discard */
    conn_feed(c, buf->base, (size_t)nread);
    if (!c->closing)
        conn_update_timeout(c);
}

/* ---- writing ----------------------------------------------------------------- */

/* Serialises the status line and headers of a ready answer. */
static void conn_build_head(struct http_conn *c, struct http_request *req)
{
    struct http_server *hs = c->hs;
    char *p;
    size_t cap = 256 + 64;
    for (int i = 0; i < req->resp_nheaders; i++)
        cap += strlen(req->resp_headers[i].name) + strlen(req->resp_headers[i].value) + 4;
    if (req->resp_content_type)
        cap += strlen(req->resp_content_type);
    p = arena_alloc(&req->arena, cap);
    int n = snprintf(p, cap, "HTTP/1.1 %d %s\r\nDate: %s\r\nX-Request-Id: %s\r\n", req->status,
                     http_status_reason(req->status), hs->date, req->id);
    bool no_body = req->status == 204 || req->status == 304 || req->status < 200;
    if (!no_body)
        n += snprintf(p + n, cap - (size_t)n, "Content-Length: %zu\r\n", req->resp_body_len);
    if (req->resp_content_type)
        n += snprintf(p + n, cap - (size_t)n, "Content-Type: %s\r\n", req->resp_content_type);
    for (int i = 0; i < req->resp_nheaders; i++)
        n += snprintf(p + n, cap - (size_t)n, "%s: %s\r\n", req->resp_headers[i].name,
                      req->resp_headers[i].value);
    if (req->close_after)
        n += snprintf(p + n, cap - (size_t)n, "Connection: close\r\n");
    else if (req->keep_alive && c->parse.parser.http_minor == 0)
        n += snprintf(p + n, cap - (size_t)n, "Connection: keep-alive\r\n");
    n += snprintf(p + n, cap - (size_t)n, "\r\n");
    req->resp_head = p;
    req->resp_head_len = (size_t)n;
}

static void on_shutdown(uv_shutdown_t *sr, int status)
{
    struct http_conn *c = sr->data;
    if (c->closing)
        return;
    if (status < 0 || c->eof) {
        conn_close(c);
        return;
    }
    /* Keep reading (and discarding) for a moment so that a client still
     * sending its body reads our answer instead of a reset. */
    c->lingering = true;
    c->paused = false;
    conn_start_reading(c);
    conn_update_timeout(c);
}

/* The last answer is out: half-close and linger. */
static void conn_finish(struct http_conn *c)
{
    if (c->closing)
        return;
    c->failed = true;
    c->sreq.data = c;
    if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_shutdown) != 0)
        conn_close(c);
}

/* The c->writing answers at the head are out (status 0) or lost. */
static void conn_written(struct http_conn *c, int status)
{
    int n = c->writing;
    bool close_after = false;
    c->writing = 0;
    for (int i = 0; i < n && c->head != NULL; i++) {
        struct http_request *req = conn_pop(c);
        close_after |= req->close_after;
        conn_log_request(req);
        http_request_free(req);
    }
    if (c->closing)
        return;
    if (status < 0) {
        conn_close(c);
        return;
    }
    if (close_after) {
        conn_finish(c);
        return;
    }
    if (c->eof && c->queued == 0) {
        conn_close(c);
        return;
    }
    /* Draining: an answer written without Connection: close promised the
     * client this connection, so it is closed as idle only after the grace
     * (see server.c), when a request already sent has been answered. */
    if (c->hs->closing_idle && c->queued == 0 && !http_parse_in_message(&c->parse)) {
        conn_close(c);
        return;
    }
    if (c->paused && !c->last && c->queued < c->hs->limits.pipeline_depth)
        conn_resume(c);
    if (!c->closing) {
        conn_flush(c);
        conn_update_timeout(c);
    }
}

static void on_write(uv_write_t *w, int status)
{
    conn_written(w->data, status);
}

/* Finishes the connections whose answers the kernel took whole. */
static void on_written_idle(uv_idle_t *h)
{
    struct http_server *hs = h->data;
    while (hs->written != NULL) {
        struct http_conn *c = hs->written;
        hs->written = c->written_next;
        c->written_next = NULL;
        c->written = false;
        conn_written(c, 0);
    }
    uv_idle_stop(h);
}

static void conn_unlist_written(struct http_conn *c)
{
    struct http_conn **pp = &c->hs->written;
    while (*pp != NULL && *pp != c)
        pp = &(*pp)->written_next;
    if (*pp == c)
        *pp = c->written_next;
    c->written_next = NULL;
    c->written = false;
}

/* Writes bufs: at once if the socket takes them whole, else via uv_write. */
static int conn_write(struct http_conn *c, uv_buf_t *bufs, int nb)
{
    size_t total = 0;
    for (int i = 0; i < nb; i++)
        total += bufs[i].len;
    int done = uv_try_write((uv_stream_t *)&c->tcp, bufs, (unsigned)nb);
    if (done == UV_EAGAIN || done == UV_ENOSYS)
        done = 0;
    if (done < 0)
        return done;
    if ((size_t)done == total) {
        struct http_server *hs = c->hs;
        c->written_next = hs->written;
        c->written = true;
        hs->written = c;
        uv_idle_start(&hs->written_idle, on_written_idle);
        return 0;
    }
    int first = 0;
    size_t skip = (size_t)done;
    while (skip >= bufs[first].len) {
        skip -= bufs[first].len;
        first++;
    }
    bufs[first].base += skip;
    bufs[first].len -= skip;
    c->wreq.data = c;
    return uv_write(&c->wreq, (uv_stream_t *)&c->tcp, bufs + first, (unsigned)(nb - first),
                    on_write);
}

static void conn_flush(struct http_conn *c)
{
    if (c->closing || c->writing > 0 || c->lingering)
        return;
    int n = 0, nb = 0;
    for (struct http_request *req = c->head; req != NULL && req->responded && n < CONN_MAX_BATCH;
         req = req->next) {
        if (c->hs->draining && req->next == NULL && !http_parse_in_message(&c->parse))
            req->close_after = true;
        conn_build_head(c, req);
        c->wbufs[nb++] = uv_buf_init(req->resp_head, (unsigned)req->resp_head_len);
        bool no_body = req->method == HTTP_HEAD || req->status == 204 || req->status == 304;
        if (req->resp_body_len > 0 && !no_body)
            c->wbufs[nb++] = uv_buf_init((char *)req->resp_body, (unsigned)req->resp_body_len);
        n++;
        if (req->close_after)
            break;
    }
    if (n == 0)
        return;
    c->writing = n;
    if (conn_write(c, c->wbufs, nb) != 0) {
        c->writing = 0;
        conn_close(c);
        return;
    }
    conn_update_timeout(c);
}

/* The handler answered: count it, and write it when its turn has come. */
static void conn_answered(struct http_request *req)
{
    struct http_server *hs = req->hs;
    if (hs->hooks.answered != NULL)
        hs->hooks.answered(hs->app, req->route_index, req->status,
                           (uv_hrtime() - req->start_ns) / 1000);
    struct http_conn *c = req->conn;
    if (c == NULL) { /* the client went away while the handler worked */
        conn_log_request(req);
        http_request_free(req);
        return;
    }
    if (c->head == req)
        conn_flush(c);
}

/* ---- timeouts ----------------------------------------------------------------- */

static void conn_update_timeout(struct http_conn *c)
{
    struct http_server *hs = c->hs;
    uint64_t now = uv_now(hs->loop);
    if (c->closing) {
        timeout_queue_leave(&c->tn);
    } else if (c->lingering) {
        timeout_queue_enter(&hs->tq_linger, &c->tn, now);
    } else if (c->writing > 0) {
        timeout_queue_touch(&hs->tq_write, &c->tn, now);
    } else if (http_parse_in_headers(&c->parse) && !c->failed) {
        if (c->tn.queue != &hs->tq_header || c->header_seq != c->msg_seq) {
            c->header_seq = c->msg_seq;
            timeout_queue_touch(&hs->tq_header, &c->tn, now);
        }
    } else if (http_parse_in_message(&c->parse) && !c->failed) {
        timeout_queue_touch(&hs->tq_body, &c->tn, now);
    } else if (c->queued == 0) {
        timeout_queue_enter(&hs->tq_idle, &c->tn, now);
    } else {
        timeout_queue_leave(&c->tn); /* waiting for handlers, which have deadlines */
    }
}

static void conn_expire(struct http_conn *c, struct timeout_queue *q)
{
    struct http_server *hs = c->hs;
    hs->timeouts++;
    if (q == &hs->tq_header || q == &hs->tq_body) {
        log_msg(LOG_LEVEL_INFO, NULL, "client too slow (%s timeout); answering 408", q->name);
        conn_fail(c, 408, "REQUEST_TIMEOUT", "请求发送超时");
        if (!c->closing)
            conn_update_timeout(c);
        return;
    }
    conn_close(c); /* idle, write or linger */
}

void http_conn_sweep(struct http_server *hs, uint64_t now)
{
    struct timeout_queue *qs[] = {&hs->tq_idle, &hs->tq_header, &hs->tq_body, &hs->tq_write,
                                  &hs->tq_linger};
    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
        struct timeout_node *n;
        while ((n = timeout_queue_pop_expired(qs[i], now)) != NULL)
            conn_expire(conn_of_node(n), qs[i]);
    }
}

/* ---- lifecycle ----------------------------------------------------------------- */

static void on_closed(uv_handle_t *h)
{
    struct http_conn *c = h->data;
    free(c->saved);
    free(c);
}

static void conn_close(struct http_conn *c)
{
    struct http_server *hs = c->hs;
    if (c->closing)
        return;
    c->closing = true;
    timeout_queue_leave(&c->tn);
    if (c->written) { /* its answers went out: finish them now, as on_write would */
        conn_unlist_written(c);
        conn_written(c, UV_ECANCELED);
    }
    struct http_request *partial = http_parse_take_request(&c->parse);
    if (partial != NULL)
        http_request_free(partial);
    /* Requests being written are freed by on_write (UV_ECANCELED); the rest
     * are freed now if answered, or orphaned for their handler to free. */
    struct http_request *req = c->head;
    for (int i = 0; i < c->writing && req != NULL; i++)
        req = req->next;
    while (req != NULL) {
        struct http_request *next = req->next;
        req->next = NULL;
        if (req->responded) {
            http_request_free(req);
        } else {
            req->conn = NULL;
        }
        req = next;
    }
    if (c->writing == 0) {
        c->head = c->tail = NULL;
        c->queued = 0;
    } else {
        struct http_request *last = c->head;
        for (int i = 1; i < c->writing; i++)
            last = last->next;
        last->next = NULL;
        c->tail = last;
        c->queued = c->writing;
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        hs->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    hs->nconns--;
    uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void on_refused_closed(uv_handle_t *h)
{
    free(h);
}

/* Accepts and closes at once, with a short 503 if the socket takes it. */
static void conn_refuse(struct http_server *hs)
{
    static const char body[] =
        "{\"error\":{\"code\":\"SERVER_BUSY\",\"message\":\"服务器繁忙，请稍后再试\"}}";
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; "
                     "charset=utf-8\r\nRetry-After: 1\r\nConnection: close\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     sizeof(body) - 1);
    uv_tcp_t *t = zk_malloc(sizeof(*t));
    uv_tcp_init(hs->loop, t);
    if (uv_accept((uv_stream_t *)hs->listener, (uv_stream_t *)t) == 0) {
        uv_buf_t b[2] = {uv_buf_init(head, (unsigned)n),
                         uv_buf_init((char *)body, sizeof(body) - 1)};
        (void)uv_try_write((uv_stream_t *)t, b, 2);
    }
    hs->refused++;
    uv_close((uv_handle_t *)t, on_refused_closed);
}

void http_conn_accept(struct http_server *hs)
{
    if (hs->draining || hs->nconns >= hs->limits.max_connections) {
        conn_refuse(hs);
        return;
    }
    struct http_conn *c = zk_calloc(1, sizeof(*c));
    c->hs = hs;
    uv_tcp_init(hs->loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept((uv_stream_t *)hs->listener, (uv_stream_t *)&c->tcp) != 0) {
        uv_close((uv_handle_t *)&c->tcp, on_closed);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    struct sockaddr_storage sa;
    int salen = sizeof(sa);
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&sa, &salen) == 0) {
        if (sa.ss_family == AF_INET)
            uv_ip4_name((struct sockaddr_in *)&sa, c->peer_ip, sizeof(c->peer_ip));
        else if (sa.ss_family == AF_INET6)
            uv_ip6_name((struct sockaddr_in6 *)&sa, c->peer_ip, sizeof(c->peer_ip));
    }
    http_parse_init(&c->parse, &conn_hooks, c, &hs->limits.parse);
    c->next = hs->conns;
    if (hs->conns)
        hs->conns->prev = c;
    hs->conns = c;
    hs->nconns++;
    conn_start_reading(c);
    conn_update_timeout(c);
}

void http_conn_drain_all(struct http_server *hs)
{
    struct http_conn *next;
    for (struct http_conn *c = hs->conns; c != NULL; c = next) {
        next = c->next; /* conn_close unlinks c but leaves next intact */
        if (c->queued == 0 && c->writing == 0 && !http_parse_in_message(&c->parse))
            conn_close(c);
    }
}

static void on_idle_closed(uv_handle_t *h)
{
    (void)h;
}

void http_conn_close_all(struct http_server *hs)
{
    while (hs->conns != NULL)
        conn_close(hs->conns);
    if (!uv_is_closing((uv_handle_t *)&hs->written_idle))
        uv_close((uv_handle_t *)&hs->written_idle, on_idle_closed);
}
