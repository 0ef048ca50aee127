/*
 * redis_client.c - asynchronous Redis connection with timeouts and
 * reconnection (see redis_client.h).
 *
 * Owns the redisAsyncContext, two timers (connect/backoff and the deadline of
 * the oldest command) and the FIFO of commands in flight. Redis answers in
 * order, so the oldest command always has the earliest deadline.
 */
#include "redis_client.h"
#include "alloc.h"
#include "log.h"

#include <errno.h>
#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum redis_state { REDIS_DOWN, REDIS_CONNECTING, REDIS_READY };

struct redis_cmd {
    struct redis_cmd *prev, *next;
    struct redis_client *cl;
    redis_reply_cb cb; /* NULL: fire and forget (or internal) */
    bool answered;     /* timed out: the reply, when it comes, is dropped */
    void *ud;
    uint64_t deadline;
    bool internal;
};

struct redis_client {
    uv_loop_t *loop;
    char *host;
    int port;
    char *password;
    int db;
    int connect_timeout_ms;
    int command_timeout_ms;
    redisAsyncContext *ac;
    enum redis_state state;
    bool failing; /* last attempt failed: fail commands fast */
    bool closing;
    bool was_connected; /* a connection was up before: the next one is a reconnection */
    uv_timer_t conn_timer;
    uv_timer_t cmd_timer;
    struct redis_cmd *head, *tail;
    int in_flight;
    int backoff_ms;
    int handles_open;
    void (*close_done)(void *);
    void *close_ud;
    unsigned long long commands, timeouts, reconnects;
};

static void redis_connect(struct redis_client *cl);
static void on_cmd_timer(uv_timer_t *t);

static void cmd_unlink(struct redis_client *cl, struct redis_cmd *cmd)
{
    if (cmd->prev)
        cmd->prev->next = cmd->next;
    else
        cl->head = cmd->next;
    if (cmd->next)
        cmd->next->prev = cmd->prev;
    else
        cl->tail = cmd->prev;
    cl->in_flight--;
}

static void cmd_timer_arm(struct redis_client *cl)
{
    struct redis_cmd *c = cl->head;
    while (c != NULL && c->answered)
        c = c->next;
    if (c == NULL || cl->closing) {
        uv_timer_stop(&cl->cmd_timer);
        return;
    }
    uint64_t now = uv_now(cl->loop);
    uv_timer_start(&cl->cmd_timer, on_cmd_timer, c->deadline > now ? c->deadline - now : 0, 0);
}

static void on_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    struct redis_cmd *cmd = privdata;
    struct redis_client *cl = cmd->cl;
    redisReply *reply = r;
    cmd_unlink(cl, cmd);
    if (cmd->internal && reply != NULL && reply->type == REDIS_REPLY_ERROR) {
        log_err("redis: connection setup failed: %s", reply->str);
        cl->failing = true;
    } else if (cmd->cb != NULL && !cmd->answered) {
        const char *err = NULL;
        if (reply == NULL)
            err = "redis connection lost";
        else if (reply->type == REDIS_REPLY_ERROR)
            err = reply->str;
        cmd->cb(cmd->ud, reply, err);
    }
    free(cmd);
    cmd_timer_arm(cl);
}

static void redis_schedule_reconnect(struct redis_client *cl);

/* Drops the connection now; pending commands fail with "connection lost". */
static void redis_drop(struct redis_client *cl)
{
    redisAsyncContext *ac = cl->ac;
    cl->ac = NULL;
    cl->state = REDIS_DOWN;
    if (ac != NULL) {
        ac->data = NULL;
        redisAsyncFree(ac); /* calls on_reply(NULL) for each pending command */
    }
    redis_schedule_reconnect(cl);
}

static void on_cmd_timer(uv_timer_t *t)
{
    struct redis_client *cl = t->data;
    uint64_t now = uv_now(cl->loop);
    bool expired = false;
    for (struct redis_cmd *c = cl->head; c != NULL; c = c->next) {
        if (c->deadline > now)
            break;
        if (!c->answered) {
            c->answered = true;
            cl->timeouts++;
            if (c->cb != NULL)
                c->cb(c->ud, NULL, "redis command timed out");
        }
        expired = true;
    }
    if (expired) {
        log_warn("redis: command timed out; reconnecting");
        redis_drop(cl);
    }
    cmd_timer_arm(cl);
}

static void on_conn_timer(uv_timer_t *t)
{
    struct redis_client *cl = t->data;
    if (cl->state == REDIS_CONNECTING) {
        if (!cl->failing)
            log_warn("redis: connect to %s:%d timed out", cl->host, cl->port);
        cl->failing = true;
        redis_drop(cl);
    } else if (cl->state == REDIS_DOWN) {
        redis_connect(cl);
    }
}

static void redis_schedule_reconnect(struct redis_client *cl)
{
    if (cl->closing)
        return;
    cl->backoff_ms = cl->backoff_ms == 0 ? 50 : cl->backoff_ms * 2;
    if (cl->backoff_ms > 2000)
        cl->backoff_ms = 2000;
    uv_timer_start(&cl->conn_timer, on_conn_timer, (uint64_t)cl->backoff_ms, 0);
}

/* Queues an already formatted command; takes ownership of cmd (and frees the
 * formatted buffer). Returns 0 or -ENOTCONN. */
static int redis_send(struct redis_client *cl, struct redis_cmd *cmd, char *formatted, int len)
{
    cmd->cl = cl;
    cmd->deadline = uv_now(cl->loop) + (uint64_t)cl->command_timeout_ms;
    cmd->prev = cl->tail;
    cmd->next = NULL;
    int rc = len < 0 ? REDIS_ERR
                     : redisAsyncFormattedCommand(cl->ac, on_reply, cmd, formatted, (size_t)len);
    if (len >= 0)
        redisFreeCommand(formatted);
    if (rc != REDIS_OK) {
        free(cmd);
        return -ENOTCONN;
    }
    if (cl->tail)
        cl->tail->next = cmd;
    else
        cl->head = cmd;
    cl->tail = cmd;
    cl->in_flight++;
    cl->commands++;
    /* Every command has a deadline; the timer follows the oldest pending one. */
    if (!uv_is_active((uv_handle_t *)&cl->cmd_timer))
        cmd_timer_arm(cl);
    return 0;
}

static void redis_send_internal(struct redis_client *cl, int argc, const char **argv)
{
    struct redis_cmd *cmd = zk_calloc(1, sizeof(*cmd));
    cmd->internal = true;
    char *formatted = NULL;
    int len = redisFormatCommandArgv(&formatted, argc, argv, NULL);
    (void)redis_send(cl, cmd, formatted, len);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct redis_client *cl = ac->data;
    if (cl == NULL)
        return;
    uv_timer_stop(&cl->conn_timer);
    if (status != REDIS_OK) {
        if (!cl->failing)
            log_warn("redis: cannot connect to %s:%d: %s", cl->host, cl->port, ac->errstr);
        cl->failing = true;
        cl->ac = NULL; /* hiredis frees the context after this callback */
        cl->state = REDIS_DOWN;
        redis_schedule_reconnect(cl);
        return;
    }
    if (cl->was_connected)
        cl->reconnects++;
    if (cl->failing || cl->was_connected)
        log_notice("redis: connected to %s:%d", cl->host, cl->port);
    cl->was_connected = true;
    cl->state = REDIS_READY;
    cl->failing = false;
    cl->backoff_ms = 0;
    if (cl->password[0]) {
        const char *argv[] = {"AUTH", cl->password};
        redis_send_internal(cl, 2, argv);
    }
    if (cl->db != 0) {
        char db[16];
        snprintf(db, sizeof(db), "%d", cl->db);
        const char *argv[] = {"SELECT", db};
        redis_send_internal(cl, 2, argv);
    }
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct redis_client *cl = ac->data;
    if (cl == NULL || cl->ac != ac)
        return; /* dropped on purpose: redis_drop already rescheduled */
    if (!cl->closing)
        log_warn("redis: disconnected from %s:%d%s%s", cl->host, cl->port,
                 status == REDIS_OK ? "" : ": ", status == REDIS_OK ? "" : ac->errstr);
    cl->ac = NULL;
    cl->state = REDIS_DOWN;
    cl->failing = true;
    redis_schedule_reconnect(cl);
}

static void redis_connect(struct redis_client *cl)
{
    redisAsyncContext *ac;
    if (cl->host[0] == '/')
        ac = redisAsyncConnectUnix(cl->host);
    else
        ac = redisAsyncConnect(cl->host, cl->port);
    if (ac == NULL || ac->err) {
        if (!cl->failing)
            log_warn("redis: cannot connect to %s:%d: %s", cl->host, cl->port,
                     ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        cl->failing = true;
        redis_schedule_reconnect(cl);
        return;
    }
    ac->data = cl;
    cl->ac = ac;
    cl->state = REDIS_CONNECTING;
    redisLibuvAttach(ac, cl->loop);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    uv_timer_start(&cl->conn_timer, on_conn_timer, (uint64_t)cl->connect_timeout_ms, 0);
}

struct redis_client *redis_client_create(uv_loop_t *loop, const struct redis_client_options *opt)
{
    struct redis_client *cl = zk_calloc(1, sizeof(*cl));
    cl->loop = loop;
    cl->host = zk_strdup(opt->host);
    cl->port = opt->port;
    cl->password = zk_strdup(opt->password ? opt->password : "");
    cl->db = opt->db;
    cl->connect_timeout_ms = opt->connect_timeout_ms;
    cl->command_timeout_ms = opt->command_timeout_ms;
    uv_timer_init(loop, &cl->conn_timer);
    uv_timer_init(loop, &cl->cmd_timer);
    cl->conn_timer.data = cl;
    cl->cmd_timer.data = cl;
    cl->handles_open = 2;
    redis_connect(cl);
    return cl;
}

void redis_client_set_timeouts(struct redis_client *cl, int connect_timeout_ms,
                               int command_timeout_ms)
{
    cl->connect_timeout_ms = connect_timeout_ms;
    cl->command_timeout_ms = command_timeout_ms;
}

static bool redis_accepting(const struct redis_client *cl)
{
    if (cl->closing || cl->ac == NULL)
        return false;
    return cl->state == REDIS_READY || (cl->state == REDIS_CONNECTING && !cl->failing);
}

int redis_command_argv(struct redis_client *cl, redis_reply_cb cb, void *ud, int argc,
                       const char **argv, const size_t *argvlen)
{
    if (!redis_accepting(cl))
        return -ENOTCONN;
    struct redis_cmd *cmd = zk_calloc(1, sizeof(*cmd));
    cmd->cb = cb;
    cmd->ud = ud;
    char *formatted = NULL;
    int len = redisFormatCommandArgv(&formatted, argc, argv, argvlen);
    return redis_send(cl, cmd, formatted, len);
}

int redis_command(struct redis_client *cl, redis_reply_cb cb, void *ud, const char *fmt, ...)
{
    if (!redis_accepting(cl))
        return -ENOTCONN;
    struct redis_cmd *cmd = zk_calloc(1, sizeof(*cmd));
    cmd->cb = cb;
    cmd->ud = ud;
    char *formatted = NULL;
    va_list ap;
    va_start(ap, fmt);
    int len = redisvFormatCommand(&formatted, fmt, ap);
    va_end(ap);
    return redis_send(cl, cmd, formatted, len);
}

bool redis_client_connected(const struct redis_client *cl)
{
    return cl->state == REDIS_READY;
}

void redis_client_stats(const struct redis_client *cl, struct redis_client_stats *out)
{
    out->connected = cl->state == REDIS_READY;
    out->commands = cl->commands;
    out->timeouts = cl->timeouts;
    out->reconnects = cl->reconnects;
    out->in_flight = cl->in_flight;
}

static void on_handle_closed(uv_handle_t *h)
{
    struct redis_client *cl = h->data;
    if (--cl->handles_open > 0)
        return;
    void (*done)(void *) = cl->close_done;
    void *ud = cl->close_ud;
    free(cl->host);
    free(cl->password);
    free(cl);
    if (done)
        done(ud);
}

void redis_client_close(struct redis_client *cl, void (*done)(void *ud), void *ud)
{
    cl->closing = true;
    cl->close_done = done;
    cl->close_ud = ud;
    redisAsyncContext *ac = cl->ac;
    cl->ac = NULL;
    if (ac != NULL) {
        ac->data = NULL;
        redisAsyncFree(ac);
    }
    uv_close((uv_handle_t *)&cl->conn_timer, on_handle_closed);
    uv_close((uv_handle_t *)&cl->cmd_timer, on_handle_closed);
}
