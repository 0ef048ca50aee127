/*
 * pg_pool.c - non-blocking PostgreSQL pool (see pg_pool.h for the contract).
 *
 * Owns the PGconn objects, their uv_poll_t watchers and timers, and the
 * operations (queries and acquisitions) waiting for or running on them.
 *
 * Each connection is a small state machine:
 *   DOWN --connect--> CONNECTING --PQconnectPoll OK--> READY
 *   READY: idle, running a pooled statement, or held by a caller
 *   any failure --> torn down --> DOWN, reopened after a backoff
 * A statement that overruns its deadline is answered with PG_ERR_TIMEOUT, a
 * cancel request is sent from the thread pool, and the connection is torn
 * down and reopened (simpler and safer than draining a cancelled statement).
 */
#include "pg_pool.h"
#include "alloc.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum conn_state { CONN_DOWN, CONN_CONNECTING, CONN_READY };

enum op_kind { OP_QUERY, OP_ACQUIRE, OP_ROLLBACK };

struct pg_op {
    struct pg_op *next;
    enum op_kind kind;
    const char *lead; /* sent ahead of sql in one pipeline, or NULL */
    const char *sql;
    struct pg_params params;
    pg_result_cb cb;
    pg_acquire_cb acb;
    void *ud;
    uint64_t deadline; /* uv_now() milliseconds */
};

struct pg_conn {
    struct pg_pool *pool;
    PGconn *pg;
    uv_poll_t *poll; /* heap: its close completes after the conn moves on */
    uv_timer_t timer;
    enum conn_state state;
    int poll_events;
    bool held;     /* acquired by a caller */
    bool broken;   /* held but torn down: queries fail until released */
    bool pipeline; /* in libpq pipeline mode for the running op */
    int pipe_ends; /* statements of the pipeline whose results have ended */
    struct pg_op *op;
    PGresult *result;
    int backoff_ms;
    int index;
};

struct pg_pool {
    uv_loop_t *loop;
    char *conninfo;
    char *application_name;
    int size;
    int queue_limit;
    int query_timeout_ms;
    int connect_timeout_ms;
    struct pg_conn *conns;
    struct pg_op *wait_head, *wait_tail;
    int waiting;
    uv_timer_t wait_timer;
    bool failing; /* the last connection attempt failed and none is ready */
    bool closing;
    int handles_open;
    void (*close_done)(void *);
    void *close_ud;
    unsigned long long timeouts, failures;
};

static void conn_connect(struct pg_conn *c);
static void conn_teardown(struct pg_conn *c, enum pg_error why, const char *msg);
static void pool_dispatch(struct pg_pool *pool);
static void conn_update_poll(struct pg_conn *c, int events);
static void on_conn_poll(uv_poll_t *p, int status, int events);

static uint64_t pool_now(struct pg_pool *pool)
{
    return uv_now(pool->loop);
}

void pg_result_free(void *res)
{
    PQclear(res);
}

const char *pg_value(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return NULL;
    return PQgetvalue(res, row, col);
}

/* ---- operation completion -------------------------------------------- */

static void op_fail(struct pg_op *op, enum pg_error err, const char *msg)
{
    if (op->kind == OP_ACQUIRE) {
        op->acb(op->ud, NULL, err);
    } else if (op->cb != NULL) {
        struct pg_result r = {NULL, err, msg, ""};
        op->cb(op->ud, &r);
    }
    free(op);
}

static int pool_ready_count(const struct pg_pool *pool)
{
    int n = 0;
    for (int i = 0; i < pool->size; i++)
        if (pool->conns[i].state == CONN_READY)
            n++;
    return n;
}

/* Fails every waiting operation (the database cannot be reached). */
static void pool_fail_waiters(struct pg_pool *pool, enum pg_error err, const char *msg)
{
    while (pool->wait_head != NULL) {
        struct pg_op *op = pool->wait_head;
        pool->wait_head = op->next;
        if (pool->wait_head == NULL)
            pool->wait_tail = NULL;
        pool->waiting--;
        op_fail(op, err, msg);
    }
}

/* ---- timers ------------------------------------------------------------ */

static void wait_timer_arm(struct pg_pool *pool);

static void on_wait_timer(uv_timer_t *t)
{
    struct pg_pool *pool = t->data;
    uint64_t now = pool_now(pool);
    /* Waiters are appended in deadline order (one timeout for all). */
    while (pool->wait_head != NULL && pool->wait_head->deadline <= now) {
        struct pg_op *op = pool->wait_head;
        pool->wait_head = op->next;
        if (pool->wait_head == NULL)
            pool->wait_tail = NULL;
        pool->waiting--;
        pool->timeouts++;
        op_fail(op, PG_ERR_TIMEOUT, "timed out waiting for a database connection");
    }
    wait_timer_arm(pool);
}

static void wait_timer_arm(struct pg_pool *pool)
{
    if (pool->wait_head == NULL || pool->closing) {
        uv_timer_stop(&pool->wait_timer);
        return;
    }
    uint64_t now = pool_now(pool);
    uint64_t d = pool->wait_head->deadline > now ? pool->wait_head->deadline - now : 0;
    uv_timer_start(&pool->wait_timer, on_wait_timer, d, 0);
}

struct cancel_work {
    uv_work_t work;
    PGcancel *cancel;
};

static void cancel_run(uv_work_t *w)
{
    struct cancel_work *cw = w->data;
    char err[256];
    if (!PQcancel(cw->cancel, err, sizeof(err)))
        log_warn("postgres cancel request failed: %s", err);
}

static void cancel_done(uv_work_t *w, int status)
{
    struct cancel_work *cw = w->data;
    PQfreeCancel(cw->cancel);
    free(cw);
}

/* Asks the server to stop the running statement, off the loop thread. */
static void conn_send_cancel(struct pg_conn *c)
{
    PGcancel *cancel = PQgetCancel(c->pg);
    if (cancel == NULL)
        return;
    struct cancel_work *cw = zk_malloc(sizeof(*cw));
    cw->cancel = cancel;
    cw->work.data = cw;
    if (uv_queue_work(c->pool->loop, &cw->work, cancel_run, cancel_done) != 0) {
        PQfreeCancel(cancel);
        free(cw);
    }
}

static void on_conn_timer(uv_timer_t *t)
{
    struct pg_conn *c = t->data;
    switch (c->state) {
    case CONN_DOWN:
        conn_connect(c); /* backoff elapsed */
        break;
    case CONN_CONNECTING:
        log_warn("postgres connection %d: connect timed out", c->index);
        conn_teardown(c, PG_ERR_UNAVAILABLE, "database connect timed out");
        break;
    case CONN_READY:
        if (c->op != NULL) {
            c->pool->timeouts++;
            log_warn("postgres connection %d: statement timed out, cancelling", c->index);
            conn_send_cancel(c);
            conn_teardown(c, PG_ERR_TIMEOUT, "database statement timed out");
        }
        break;
    }
}

/* ---- connection lifecycle --------------------------------------------- */

/* Every handle the pool owns closes through here; the last one frees the
 * pool when it is closing. */
static void pool_handle_gone(struct pg_pool *pool)
{
    pool->handles_open--;
    if (!pool->closing || pool->handles_open > 0)
        return;
    void (*done)(void *) = pool->close_done;
    void *ud = pool->close_ud;
    free(pool->conns);
    free(pool->conninfo);
    free(pool->application_name);
    free(pool);
    if (done != NULL)
        done(ud);
}

static void on_poll_closed(uv_handle_t *h)
{
    struct pg_conn *c = h->data;
    free(h);
    pool_handle_gone(c->pool);
}

static void on_conn_timer_closed(uv_handle_t *h)
{
    struct pg_conn *c = h->data;
    pool_handle_gone(c->pool);
}

static void on_wait_timer_closed(uv_handle_t *h)
{
    pool_handle_gone(h->data);
}

static void conn_schedule_reconnect(struct pg_conn *c)
{
    if (c->pool->closing)
        return;
    c->backoff_ms = c->backoff_ms == 0 ? 50 : c->backoff_ms * 2;
    if (c->backoff_ms > 2000)
        c->backoff_ms = 2000;
    uv_timer_start(&c->timer, on_conn_timer, (uint64_t)c->backoff_ms, 0);
}

/*
 * Closes the connection, fails its running operation with why/msg, and
 * schedules a reopen (a held connection is reopened when released).
 */
static void conn_teardown(struct pg_conn *c, enum pg_error why, const char *msg)
{
    struct pg_pool *pool = c->pool;
    bool was_ready = c->state == CONN_READY;
    uv_timer_stop(&c->timer);
    if (c->poll != NULL) {
        uv_poll_stop(c->poll);
        uv_close((uv_handle_t *)c->poll, on_poll_closed);
        c->poll = NULL;
        c->poll_events = 0;
    }
    if (c->result != NULL) {
        PQclear(c->result);
        c->result = NULL;
    }
    if (c->pg != NULL) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    c->state = CONN_DOWN;
    c->pipeline = false;
    struct pg_op *op = c->op;
    c->op = NULL;
    if (!was_ready)
        pool->failing = pool_ready_count(pool) == 0;
    else
        pool->failures++;
    if (c->held)
        c->broken = true;
    else
        conn_schedule_reconnect(c);
    if (op != NULL)
        op_fail(op, why, msg);
    if (pool->failing && pool_ready_count(pool) == 0)
        pool_fail_waiters(pool, PG_ERR_UNAVAILABLE, "database unavailable");
}

static void conn_update_poll(struct pg_conn *c, int events)
{
    if (c->poll == NULL || c->poll_events == events)
        return;
    c->poll_events = events;
    uv_poll_start(c->poll, events, on_conn_poll);
}

static int conn_watch_socket(struct pg_conn *c)
{
    int fd = PQsocket(c->pg);
    if (fd < 0)
        return -EBADF;
    uv_os_fd_t watched;
    if (c->poll != NULL && uv_fileno((uv_handle_t *)c->poll, &watched) == 0 && watched == fd)
        return 0;
    if (c->poll != NULL) {
        uv_poll_stop(c->poll);
        uv_close((uv_handle_t *)c->poll, on_poll_closed);
    }
    c->poll = zk_malloc(sizeof(*c->poll));
    if (uv_poll_init(c->pool->loop, c->poll, fd) != 0) {
        free(c->poll);
        c->poll = NULL;
        return -EIO;
    }
    c->poll->data = c;
    c->pool->handles_open++;
    c->poll_events = 0;
    return 0;
}

static void conn_connect(struct pg_conn *c)
{
    struct pg_pool *pool = c->pool;
    char timeout_opt[64];
    snprintf(timeout_opt, sizeof(timeout_opt), "-c statement_timeout=%d",
             pool->query_timeout_ms + 1000);
    const char *keys[] = {"dbname", "application_name", "options", NULL};
    const char *vals[] = {pool->conninfo, pool->application_name, timeout_opt, NULL};
    c->pg = PQconnectStartParams(keys, vals, 1);
    if (c->pg == NULL || PQstatus(c->pg) == CONNECTION_BAD) {
        log_warn("postgres connection %d: %s", c->index,
                 c->pg ? PQerrorMessage(c->pg) : "out of memory");
        conn_teardown(c, PG_ERR_UNAVAILABLE, "database unavailable");
        return;
    }
    PQsetnonblocking(c->pg, 1);
    c->state = CONN_CONNECTING;
    if (conn_watch_socket(c) < 0) {
        conn_teardown(c, PG_ERR_UNAVAILABLE, "database unavailable");
        return;
    }
    uv_timer_start(&c->timer, on_conn_timer, (uint64_t)pool->connect_timeout_ms, 0);
    /* libpq wants to write the startup packet first. */
    conn_update_poll(c, UV_WRITABLE);
}

static void conn_became_ready(struct pg_conn *c)
{
    struct pg_pool *pool = c->pool;
    uv_timer_stop(&c->timer);
    c->state = CONN_READY;
    c->backoff_ms = 0;
    if (pool->failing)
        log_notice("postgres connection %d: connected", c->index);
    pool->failing = false;
    conn_update_poll(c, UV_READABLE);
    pool_dispatch(pool);
}

static void conn_poll_connect(struct pg_conn *c)
{
    switch (PQconnectPoll(c->pg)) {
    case PGRES_POLLING_READING:
        if (conn_watch_socket(c) < 0)
            goto fail;
        conn_update_poll(c, UV_READABLE);
        return;
    case PGRES_POLLING_WRITING:
        if (conn_watch_socket(c) < 0)
            goto fail;
        conn_update_poll(c, UV_WRITABLE);
        return;
    case PGRES_POLLING_OK:
        conn_became_ready(c);
        return;
    default:
        break;
    }
fail:
    if (!c->pool->failing)
        log_warn("postgres connection %d: %s", c->index, PQerrorMessage(c->pg));
    conn_teardown(c, PG_ERR_UNAVAILABLE, "database unavailable");
}

/* ---- running statements ------------------------------------------------ */

static void conn_finish_op(struct pg_conn *c)
{
    struct pg_op *op = c->op;
    PGresult *res = c->result;
    c->op = NULL;
    c->result = NULL;
    uv_timer_stop(&c->timer);

    struct pg_result r = {res, PG_OK, NULL, ""};
    if (res == NULL) {
        r.error = PG_ERR_CONNECTION;
        r.message = "no result from database";
    } else {
        ExecStatusType st = PQresultStatus(res);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
            r.error = PG_ERR_QUERY;
            r.sqlstate = state ? state : "";
            r.message = msg ? msg : PQresultErrorMessage(res);
        }
    }
    if (op->cb != NULL)
        op->cb(op->ud, &r);
    if (res != NULL)
        PQclear(res);
    free(op);
}

/* Keeps res as the op's result: the last one, but an error wins over later
 * ones and a statement skipped after an error in a pipeline never counts. */
static void conn_keep_result(struct pg_conn *c, PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_PIPELINE_ABORTED ||
        (c->result != NULL && PQresultStatus(c->result) == PGRES_FATAL_ERROR)) {
        PQclear(res);
        return;
    }
    if (c->result != NULL)
        PQclear(c->result);
    c->result = res;
}

/* Pipeline mode: results of the lead statement, NULL, the main statement's,
 * NULL, then the sync point, after which the op is complete. Returns true
 * when the op has been finished (or the connection torn down). */
static bool conn_read_pipeline(struct pg_conn *c)
{
    while (c->op != NULL && !PQisBusy(c->pg)) {
        PGresult *res = PQgetResult(c->pg);
        if (res == NULL) {
            if (++c->pipe_ends > 2)
                return false; /* nothing more until the sync point arrives */
            continue;
        }
        if (PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
            conn_keep_result(c, res);
            continue;
        }
        PQclear(res);
        c->pipeline = false;
        if (!PQexitPipelineMode(c->pg)) {
            log_warn("postgres connection %d: leaving pipeline mode: %s", c->index,
                     PQerrorMessage(c->pg));
            conn_teardown(c, PG_ERR_CONNECTION, "database connection lost");
            return true;
        }
        conn_finish_op(c);
        return true;
    }
    return false;
}

/* Reads whatever the server sent and completes the running statement. */
static void conn_read_results(struct pg_conn *c)
{
    if (!PQconsumeInput(c->pg)) {
        if (!c->pool->closing)
            log_warn("postgres connection %d: %s", c->index, PQerrorMessage(c->pg));
        conn_teardown(c, PG_ERR_CONNECTION, "database connection lost");
        return;
    }
    if (c->pipeline) {
        bool pooled = !c->held;
        if (conn_read_pipeline(c) && pooled && c->state == CONN_READY && c->op == NULL && !c->held)
            pool_dispatch(c->pool);
        return;
    }
    while (c->op != NULL && !PQisBusy(c->pg)) {
        PGresult *res = PQgetResult(c->pg);
        if (res == NULL) {
            bool pooled = !c->held;
            conn_finish_op(c);
            /* The callback may have queued more work, or released. */
            if (pooled && c->state == CONN_READY && c->op == NULL && !c->held)
                pool_dispatch(c->pool);
            return;
        }
        conn_keep_result(c, res);
    }
    if (c->op == NULL) {
        PGnotify *n;
        while ((n = PQnotifies(c->pg)) != NULL)
            PQfreemem(n);
        if (PQstatus(c->pg) == CONNECTION_BAD)
            conn_teardown(c, PG_ERR_CONNECTION, "database connection lost");
    }
}

static void on_conn_poll(uv_poll_t *p, int status, int events)
{
    struct pg_conn *c = p->data;
    if (c->poll != p)
        return; /* a watcher being replaced */
    if (c->state == CONN_CONNECTING) {
        conn_poll_connect(c);
        return;
    }
    if (status < 0) {
        conn_teardown(c, PG_ERR_CONNECTION, "database connection lost");
        return;
    }
    if (events & UV_WRITABLE) {
        int f = PQflush(c->pg);
        if (f < 0) {
            conn_teardown(c, PG_ERR_CONNECTION, "database connection lost");
            return;
        }
        conn_update_poll(c, f == 0 ? UV_READABLE : UV_READABLE | UV_WRITABLE);
    }
    if (events & UV_READABLE)
        conn_read_results(c);
}

/* Sends op's statement on a ready, idle connection. */
static void conn_start_op(struct pg_conn *c, struct pg_op *op)
{
    struct pg_pool *pool = c->pool;
    c->op = op;
    const struct pg_params *p = &op->params;
    bool sent;
    if (op->lead != NULL) {
        c->pipeline = true;
        c->pipe_ends = 0;
        sent = PQenterPipelineMode(c->pg) &&
               PQsendQueryParams(c->pg, op->lead, 0, NULL, NULL, NULL, NULL, 0) &&
               PQsendQueryParams(c->pg, op->sql, p->n, NULL, p->values, p->lengths, p->formats,
                                 p->result_format) &&
               PQpipelineSync(c->pg);
    } else {
        sent = PQsendQueryParams(c->pg, op->sql, p->n, NULL, p->values, p->lengths, p->formats,
                                 p->result_format);
    }
    if (!sent) {
        log_warn("postgres connection %d: send failed: %s", c->index, PQerrorMessage(c->pg));
        conn_teardown(c, PG_ERR_CONNECTION, "database connection lost");
        return;
    }
    uint64_t now = pool_now(pool);
    uint64_t d = op->deadline > now ? op->deadline - now : 1;
    uv_timer_start(&c->timer, on_conn_timer, d, 0);
    int f = PQflush(c->pg);
    if (f < 0) {
        conn_teardown(c, PG_ERR_CONNECTION, "database connection lost");
        return;
    }
    conn_update_poll(c, f == 0 ? UV_READABLE : UV_READABLE | UV_WRITABLE);
}

static struct pg_conn *pool_idle_conn(struct pg_pool *pool)
{
    for (int i = 0; i < pool->size; i++) {
        struct pg_conn *c = &pool->conns[i];
        if (c->state == CONN_READY && !c->held && c->op == NULL)
            return c;
    }
    return NULL;
}

static void pool_run_on(struct pg_conn *c, struct pg_op *op)
{
    if (op->kind == OP_ACQUIRE) {
        c->held = true;
        c->broken = false;
        pg_acquire_cb acb = op->acb;
        void *ud = op->ud;
        free(op);
        acb(ud, c, PG_OK);
    } else {
        conn_start_op(c, op);
    }
}

/* Hands waiting operations to idle connections. */
static void pool_dispatch(struct pg_pool *pool)
{
    struct pg_conn *c;
    while (pool->wait_head != NULL && (c = pool_idle_conn(pool)) != NULL) {
        struct pg_op *op = pool->wait_head;
        pool->wait_head = op->next;
        if (pool->wait_head == NULL)
            pool->wait_tail = NULL;
        pool->waiting--;
        pool_run_on(c, op);
    }
    wait_timer_arm(pool);
}

static int pool_submit(struct pg_pool *pool, struct pg_op *op)
{
    if (pool->closing) {
        free(op);
        return -ENOTCONN;
    }
    struct pg_conn *c = pool_idle_conn(pool);
    if (c != NULL && pool->wait_head == NULL) {
        pool_run_on(c, op);
        return 0;
    }
    if (pool->failing && pool_ready_count(pool) == 0) {
        free(op);
        return -ENOTCONN;
    }
    if (pool->waiting >= pool->queue_limit) {
        free(op);
        return -EAGAIN;
    }
    op->next = NULL;
    if (pool->wait_tail)
        pool->wait_tail->next = op;
    else
        pool->wait_head = op;
    pool->wait_tail = op;
    pool->waiting++;
    if (pool->wait_head == op)
        wait_timer_arm(pool);
    return 0;
}

static struct pg_op *op_new(struct pg_pool *pool, enum op_kind kind, const char *sql,
                            const struct pg_params *params)
{
    struct pg_op *op = zk_calloc(1, sizeof(*op));
    op->kind = kind;
    op->sql = sql;
    if (params != NULL)
        op->params = *params;
    op->deadline = pool_now(pool) + (uint64_t)pool->query_timeout_ms;
    return op;
}

int pg_query(struct pg_pool *pool, const char *sql, const struct pg_params *params, pg_result_cb cb,
             void *ud)
{
    struct pg_op *op = op_new(pool, OP_QUERY, sql, params);
    op->cb = cb;
    op->ud = ud;
    return pool_submit(pool, op);
}

int pg_pool_acquire(struct pg_pool *pool, pg_acquire_cb cb, void *ud)
{
    struct pg_op *op = op_new(pool, OP_ACQUIRE, NULL, NULL);
    op->acb = cb;
    op->ud = ud;
    return pool_submit(pool, op);
}

int pg_conn_query_pipelined(struct pg_conn *c, const char *lead_sql, const char *sql,
                            const struct pg_params *params, pg_result_cb cb, void *ud)
{
    if (c->broken || c->state != CONN_READY)
        return -ENOTCONN;
    if (c->op != NULL)
        return -EBUSY;
    struct pg_op *op = op_new(c->pool, OP_QUERY, sql, params);
    op->lead = lead_sql;
    op->cb = cb;
    op->ud = ud;
    conn_start_op(c, op);
    return 0;
}

int pg_conn_query(struct pg_conn *c, const char *sql, const struct pg_params *params,
                  pg_result_cb cb, void *ud)
{
    return pg_conn_query_pipelined(c, NULL, sql, params, cb, ud);
}

void pg_pool_release(struct pg_conn *c)
{
    struct pg_pool *pool = c->pool;
    c->held = false;
    if (c->broken || c->state != CONN_READY) {
        c->broken = false;
        if (c->state == CONN_READY)
            conn_teardown(c, PG_ERR_CONNECTION, "released broken connection");
        else if (!pool->closing)
            conn_schedule_reconnect(c);
        return;
    }
    if (c->op != NULL) {
        /* Released with a statement running: its callback gets a result
         * later; the connection cannot be trusted for reuse. */
        c->op->cb = NULL;
        conn_teardown(c, PG_ERR_CONNECTION, "released while busy");
        return;
    }
    PGTransactionStatusType ts = PQtransactionStatus(c->pg);
    if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
        struct pg_op *op = op_new(pool, OP_ROLLBACK, "ROLLBACK", NULL);
        conn_start_op(c, op);
        return; /* dispatch resumes when the rollback completes */
    }
    pool_dispatch(pool);
}

/* ---- pool ---------------------------------------------------------------- */

struct pg_pool *pg_pool_create(uv_loop_t *loop, const struct pg_pool_options *opt)
{
    struct pg_pool *pool = zk_calloc(1, sizeof(*pool));
    pool->loop = loop;
    pool->conninfo = zk_strdup(opt->conninfo);
    pool->application_name = zk_strdup(opt->application_name ? opt->application_name : "zikao");
    pool->size = opt->size > 0 ? opt->size : 1;
    pool->queue_limit = opt->queue_limit;
    pool->query_timeout_ms = opt->query_timeout_ms;
    pool->connect_timeout_ms = opt->connect_timeout_ms;
    pool->conns = zk_calloc((size_t)pool->size, sizeof(*pool->conns));
    uv_timer_init(loop, &pool->wait_timer);
    pool->wait_timer.data = pool;
    pool->handles_open = 1;
    for (int i = 0; i < pool->size; i++) {
        struct pg_conn *c = &pool->conns[i];
        c->pool = pool;
        c->index = i;
        uv_timer_init(loop, &c->timer);
        c->timer.data = c;
        pool->handles_open++;
    }
    for (int i = 0; i < pool->size; i++)
        conn_connect(&pool->conns[i]);
    return pool;
}

void pg_pool_set_limits(struct pg_pool *pool, int queue_limit, int query_timeout_ms,
                        int connect_timeout_ms)
{
    pool->queue_limit = queue_limit;
    pool->query_timeout_ms = query_timeout_ms;
    pool->connect_timeout_ms = connect_timeout_ms;
}

void pg_pool_stats(const struct pg_pool *pool, struct pg_pool_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->size = pool->size;
    for (int i = 0; i < pool->size; i++) {
        const struct pg_conn *c = &pool->conns[i];
        if (c->state == CONN_READY) {
            out->ready++;
            if (c->held || c->op != NULL)
                out->in_use++;
        }
    }
    out->waiting = pool->waiting;
    out->timeouts = pool->timeouts;
    out->failures = pool->failures;
}

void pg_pool_close(struct pg_pool *pool, void (*done)(void *ud), void *ud)
{
    pool->closing = true;
    pool->close_done = done;
    pool->close_ud = ud;
    pool_fail_waiters(pool, PG_ERR_UNAVAILABLE, "server shutting down");
    for (int i = 0; i < pool->size; i++) {
        struct pg_conn *c = &pool->conns[i];
        c->held = false;
        conn_teardown(c, PG_ERR_UNAVAILABLE, "server shutting down");
        uv_close((uv_handle_t *)&c->timer, on_conn_timer_closed);
    }
    uv_close((uv_handle_t *)&pool->wait_timer, on_wait_timer_closed);
}
