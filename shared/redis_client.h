/*
 * redis_client.h - one asynchronous Redis connection on a libuv loop.
 *
 * hiredis' async API with its libuv adapter, plus what hiredis 0.14 lacks:
 * a connect timeout, a per-command timeout (a command that overruns fails
 * with "redis command timed out" and the connection is dropped and reopened,
 * since Redis answers in order and a stuck connection blocks everything behind
 * it), reconnection with backoff, and fail-fast while disconnected: commands
 * issued while Redis is known to be down return -ENOTCONN at once.
 *
 * Every accepted command gets exactly one callback. The reply belongs to
 * hiredis and is freed when the callback returns.
 */
#ifndef ZK_REDIS_CLIENT_H
#define ZK_REDIS_CLIENT_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

struct redis_client;

struct redis_client_options {
    const char *host; /* IP address, or a path for a unix socket */
    int port;
    const char *password; /* "" or NULL: none */
    int db;
    int connect_timeout_ms;
    int command_timeout_ms;
};

/*
 * err is NULL on success. On a transport failure reply is NULL and err says
 * why; on an error reply (-ERR ...) both are set (err = reply->str).
 */
typedef void (*redis_reply_cb)(void *ud, redisReply *reply, const char *err);

/* Creates the client and starts connecting; never NULL. */
struct redis_client *redis_client_create(uv_loop_t *loop, const struct redis_client_options *opt);

void redis_client_set_timeouts(struct redis_client *cl, int connect_timeout_ms,
                               int command_timeout_ms);

/* printf-style command as hiredis' redisAsyncCommand. Returns 0 or -ENOTCONN. */
int redis_command(struct redis_client *cl, redis_reply_cb cb, void *ud, const char *fmt, ...);
/* Binary-safe form. Returns 0 or -ENOTCONN. */
int redis_command_argv(struct redis_client *cl, redis_reply_cb cb, void *ud, int argc,
                       const char **argv, const size_t *argvlen);

bool redis_client_connected(const struct redis_client *cl);

/* reconnects: connections established after an earlier one was up (the
 * first connection and failed attempts are not counted). */
struct redis_client_stats {
    bool connected;
    unsigned long long commands, timeouts, reconnects;
    int in_flight;
};
void redis_client_stats(const struct redis_client *cl, struct redis_client_stats *out);

/* Disconnects; pending commands fail; done(ud) runs when all handles closed. */
void redis_client_close(struct redis_client *cl, void (*done)(void *ud), void *ud);

#endif
