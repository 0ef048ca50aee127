/* test_sdnotify.c - the sd_notify protocol as systemd receives it: datagrams
 * on NOTIFY_SOCKET (path or abstract), the watchdog interval and its PID. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sdnotify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* A receiving socket bound where NOTIFY_SOCKET will point. */
struct receiver {
    int fd;
    char env[108];
    char path[108];
};

static void receiver_open(struct receiver *r, bool abstract)
{
    memset(r, 0, sizeof(*r));
    r->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(r->fd >= 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    socklen_t len;
    if (abstract) {
        snprintf(r->env, sizeof(r->env), "@zikao-test-notify-%d", (int)getpid());
        memcpy(a.sun_path, r->env, strlen(r->env));
        a.sun_path[0] = '\0';
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(r->env));
    } else {
        snprintf(r->path, sizeof(r->path), "/tmp/zikao-test-notify-%d.sock", (int)getpid());
        unlink(r->path);
        snprintf(r->env, sizeof(r->env), "%s", r->path);
        memcpy(a.sun_path, r->path, strlen(r->path) + 1);
        len = (socklen_t)sizeof(a);
    }
    assert_int_equal(bind(r->fd, (struct sockaddr *)&a, len), 0);
    struct timeval tv = {2, 0};
    setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setenv("NOTIFY_SOCKET", r->env, 1);
}

static void receiver_close(struct receiver *r)
{
    close(r->fd);
    if (r->path[0])
        unlink(r->path);
    unsetenv("NOTIFY_SOCKET");
}

static void receive(struct receiver *r, char *out, size_t outsz)
{
    ssize_t n = recv(r->fd, out, outsz - 1, 0);
    assert_true(n >= 0);
    out[n] = '\0';
}

static void test_sdnotify_sends_each_message_as_one_datagram_to_a_path(void **state)
{
    struct receiver r;
    receiver_open(&r, false);
    struct sdnotify n;
    assert_int_equal(sdnotify_init(&n), 0);
    assert_true(sdnotify_enabled(&n));
    assert_int_equal(sdnotify_send(&n, "READY=1\nSTATUS=serving: %d connection(s)", 12), 0);
    assert_int_equal(sdnotify_send(&n, "WATCHDOG=1"), 0);
    char buf[256];
    receive(&r, buf, sizeof(buf));
    assert_string_equal(buf, "READY=1\nSTATUS=serving: 12 connection(s)");
    receive(&r, buf, sizeof(buf));
    assert_string_equal(buf, "WATCHDOG=1");
    sdnotify_close(&n);
    receiver_close(&r);
}

static void test_sdnotify_reaches_an_abstract_socket(void **state)
{
    struct receiver r;
    receiver_open(&r, true);
    struct sdnotify n;
    assert_int_equal(sdnotify_init(&n), 0);
    assert_int_equal(sdnotify_send(&n, "STOPPING=1"), 0);
    char buf[64];
    receive(&r, buf, sizeof(buf));
    assert_string_equal(buf, "STOPPING=1");
    sdnotify_close(&n);
    receiver_close(&r);
}

static void test_sdnotify_without_notify_socket_is_a_successful_no_op(void **state)
{
    unsetenv("NOTIFY_SOCKET");
    struct sdnotify n;
    assert_int_equal(sdnotify_init(&n), 0);
    assert_false(sdnotify_enabled(&n));
    assert_int_equal(sdnotify_send(&n, "READY=1"), 0);
    sdnotify_close(&n);
}

static void test_sdnotify_refuses_a_relative_socket_path(void **state)
{
    setenv("NOTIFY_SOCKET", "relative/notify.sock", 1);
    struct sdnotify n;
    assert_int_equal(sdnotify_init(&n), -EINVAL);
    assert_false(sdnotify_enabled(&n));
    assert_int_equal(sdnotify_send(&n, "READY=1"), 0);
    unsetenv("NOTIFY_SOCKET");
}

static void test_sdnotify_unreachable_socket_reports_the_error(void **state)
{
    setenv("NOTIFY_SOCKET", "/nonexistent-dir/notify.sock", 1);
    struct sdnotify n;
    assert_int_equal(sdnotify_init(&n), 0);
    assert_int_equal(sdnotify_send(&n, "READY=1"), -ENOENT);
    sdnotify_close(&n);
    unsetenv("NOTIFY_SOCKET");
}

static void test_sdnotify_message_over_4k_is_refused(void **state)
{
    struct receiver r;
    receiver_open(&r, false);
    struct sdnotify n;
    assert_int_equal(sdnotify_init(&n), 0);
    char big[5000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(sdnotify_send(&n, "STATUS=%s", big), -EMSGSIZE);
    sdnotify_close(&n);
    receiver_close(&r);
}

static void test_sdnotify_watchdog_pings_at_half_the_interval(void **state)
{
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_PID");
    setenv("WATCHDOG_USEC", "20000000", 1);
    struct sdnotify n;
    assert_int_equal(sdnotify_init(&n), 0);
    assert_int_equal(n.watchdog_usec, 20000000);
    assert_int_equal(sdnotify_watchdog_ping_ms(&n), 10000);
    unsetenv("WATCHDOG_USEC");
}

static void test_sdnotify_watchdog_meant_for_another_pid_is_ignored(void **state)
{
    char pid[32];
    setenv("WATCHDOG_USEC", "1000000", 1);
    snprintf(pid, sizeof(pid), "%d", (int)getpid() + 1);
    setenv("WATCHDOG_PID", pid, 1);
    struct sdnotify n;
    assert_int_equal(sdnotify_init(&n), 0);
    assert_int_equal(sdnotify_watchdog_ping_ms(&n), 0);
    snprintf(pid, sizeof(pid), "%d", (int)getpid());
    setenv("WATCHDOG_PID", pid, 1);
    assert_int_equal(sdnotify_init(&n), 0);
    assert_int_equal(sdnotify_watchdog_ping_ms(&n), 500);
    setenv("WATCHDOG_USEC", "soon", 1);
    assert_int_equal(sdnotify_init(&n), 0);
    assert_int_equal(sdnotify_watchdog_ping_ms(&n), 0);
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
}

static void test_sdnotify_unset_env_hides_the_manager_from_children(void **state)
{
    setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1);
    setenv("WATCHDOG_USEC", "1000000", 1);
    setenv("WATCHDOG_PID", "1", 1);
    sdnotify_unset_env();
    assert_null(getenv("NOTIFY_SOCKET"));
    assert_null(getenv("WATCHDOG_USEC"));
    assert_null(getenv("WATCHDOG_PID"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sdnotify_sends_each_message_as_one_datagram_to_a_path),
        cmocka_unit_test(test_sdnotify_reaches_an_abstract_socket),
        cmocka_unit_test(test_sdnotify_without_notify_socket_is_a_successful_no_op),
        cmocka_unit_test(test_sdnotify_refuses_a_relative_socket_path),
        cmocka_unit_test(test_sdnotify_unreachable_socket_reports_the_error),
        cmocka_unit_test(test_sdnotify_message_over_4k_is_refused),
        cmocka_unit_test(test_sdnotify_watchdog_pings_at_half_the_interval),
        cmocka_unit_test(test_sdnotify_watchdog_meant_for_another_pid_is_ignored),
        cmocka_unit_test(test_sdnotify_unset_env_hides_the_manager_from_children),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
