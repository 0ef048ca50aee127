/*
 * sdnotify.h - the service manager's notification protocol (sd_notify):
 * READY=1, STATUS=..., WATCHDOG=1, RELOADING=1, STOPPING=1.
 *
 * systemd passes NOTIFY_SOCKET (a unix datagram socket: a path, or an
 * abstract name starting with '@') and, with WatchdogSec=, WATCHDOG_USEC and
 * WATCHDOG_PID. A message is one datagram of "KEY=VALUE" lines. Without
 * NOTIFY_SOCKET every send is a successful no-op, so callers never ask
 * whether they run under systemd.
 *
 * The caller owns struct sdnotify (no global state). Sending is a single
 * sendto(2) on a datagram socket, so one struct may be shared by threads.
 */
#ifndef ZK_SDNOTIFY_H
#define ZK_SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

struct sdnotify {
    int fd; /* -1: no service manager listening */
    struct sockaddr_un addr;
    socklen_t addrlen;
    uint64_t watchdog_usec; /* 0: no watchdog asked for this process */
};

/*
 * Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from the environment.
 * Returns 0, also when there is nothing to notify (n is then disabled), or
 * -EINVAL / -errno when NOTIFY_SOCKET is set but unusable (n is disabled).
 * The watchdog is taken only when WATCHDOG_PID is absent or names this
 * process, as libsystemd's sd_watchdog_enabled does.
 */
int sdnotify_init(struct sdnotify *n);

/* True when a service manager listens. */
bool sdnotify_enabled(const struct sdnotify *n);

/*
 * Sends one message (printf-style; several lines separated by '\n').
 * Returns 0 (also when disabled), -EMSGSIZE beyond 4 KiB, or -errno.
 * Never blocks: the socket is non-blocking and a full queue drops the
 * message (-EAGAIN), as a watchdog ping must not stall an event loop.
 */
int sdnotify_send(const struct sdnotify *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Milliseconds between watchdog pings: half the interval, as systemd
 * recommends; 0 when no watchdog is asked. */
uint64_t sdnotify_watchdog_ping_ms(const struct sdnotify *n);

void sdnotify_close(struct sdnotify *n);

/*
 * Removes NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from the
 * environment: for child processes on whose behalf the caller speaks.
 */
void sdnotify_unset_env(void);

#endif
