/*
 * sdnotify.c - the sd_notify datagram protocol, without libsystemd (see
 * sdnotify.h). Owns the notification socket of one struct sdnotify.
 */
#include "sdnotify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SDNOTIFY_MAX_MESSAGE 4096

static uint64_t sdnotify_parse_u64(const char *s, bool *ok)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = s != NULL && s[0] >= '0' && s[0] <= '9' ? strtoull(s, &end, 10) : 0;
    *ok = s != NULL && end != NULL && end != s && *end == '\0' && errno == 0;
    return *ok ? (uint64_t)v : 0;
}

int sdnotify_init(struct sdnotify *n)
{
    memset(n, 0, sizeof(*n));
    n->fd = -1;

    bool ok = false;
    uint64_t usec = sdnotify_parse_u64(getenv("WATCHDOG_USEC"), &ok);
    if (ok && usec > 0) {
        const char *wpid = getenv("WATCHDOG_PID");
        uint64_t pid = sdnotify_parse_u64(wpid, &ok);
        if (wpid == NULL || (ok && pid == (uint64_t)getpid()))
            n->watchdog_usec = usec;
    }

    const char *path = getenv("NOTIFY_SOCKET");
    if (path == NULL || path[0] == '\0')
        return 0;
    size_t len = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || len >= sizeof(n->addr.sun_path))
        return -EINVAL;
    n->addr.sun_family = AF_UNIX;
    memcpy(n->addr.sun_path, path, len);
    if (path[0] == '@')
        n->addr.sun_path[0] = '\0'; /* abstract namespace: no terminating NUL counts */
    n->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/'));
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    n->fd = fd;
    return 0;
}

bool sdnotify_enabled(const struct sdnotify *n)
{
    return n->fd >= 0;
}

int sdnotify_send(const struct sdnotify *n, const char *fmt, ...)
{
    if (n->fd < 0)
        return 0;
    char msg[SDNOTIFY_MAX_MESSAGE];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= sizeof(msg))
        return -EMSGSIZE;
    if (sendto(n->fd, msg, (size_t)len, MSG_NOSIGNAL, (const struct sockaddr *)&n->addr,
               n->addrlen) < 0)
        return -errno;
    return 0;
}

uint64_t sdnotify_watchdog_ping_ms(const struct sdnotify *n)
{
    if (n->watchdog_usec == 0)
        return 0;
    uint64_t ms = n->watchdog_usec / 2000;
    return ms > 0 ? ms : 1;
}

void sdnotify_close(struct sdnotify *n)
{
    if (n->fd >= 0)
        close(n->fd);
    n->fd = -1;
}

void sdnotify_unset_env(void)
{
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
}
