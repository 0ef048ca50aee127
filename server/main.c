/*
 * main.c - zikao-server's entry point: configuration, listening sockets and
 * the supervisor of the server processes.
 *
 * With workers = 1 the process serves by itself. With more (or "auto": one
 * per core) it becomes a supervisor: it creates one SO_REUSEPORT socket per
 * process (so the kernel spreads connections and a restarted process finds
 * its socket and backlog waiting), forks the processes, restarts one that
 * dies, forwards SIGHUP, and on SIGTERM stops them all and waits. A socket
 * passed by systemd (LISTEN_FDS) is shared by all processes instead.
 *
 * The supervisor alone speaks to systemd for its processes (READY, STATUS,
 * WATCHDOG, RELOADING, STOPPING; see server_notify.h) and kills a process
 * whose loop stopped ticking for longer than WATCHDOG_USEC.
 */
#include "alloc.h"
#include "build_info.h"
#include "config.h"
#include "http/router.h"
#include "api/api.h"
#include "log.h"
#include "metrics.h"
#include "server.h"
#include "server_notify.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_CONFIG      78
#define LISTEN_FDS_START 3

static void usage(FILE *out)
{
    fprintf(out, "usage: zikao-server [--config FILE] [--check-config] [--list-routes] "
                 "[--version]\n"
                 "  --config FILE    INI configuration (default: $ZIKAO_CONFIG, else built-in "
                 "defaults)\n"
                 "  --check-config   validate the configuration and exit\n"
                 "  --list-routes    print the route table (METHOD PATTERN) and exit\n"
                 "Settings can be overridden by ZIKAO_<SECTION>_<KEY> environment variables.\n");
}

/* Returns the socket systemd passed us, or -1. */
static int systemd_listen_fd(void)
{
    const char *pid = getenv("LISTEN_PID");
    const char *fds = getenv("LISTEN_FDS");
    if (pid == NULL || fds == NULL || atoi(pid) != (int)getpid() || atoi(fds) < 1)
        return -1;
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    int fd = LISTEN_FDS_START;
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
}

/* Creates a bound, listening SO_REUSEPORT socket. Returns fd or -errno. */
static int listen_socket(const struct zk_config *cfg)
{
    char host[256], port[16];
    int p;
    if (config_listen_split(cfg, host, sizeof(host), &p) < 0)
        return -EINVAL;
    snprintf(port, sizeof(port), "%d", p);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (gai != 0) {
        log_err("listen address %s: %s", cfg->listen, gai_strerror(gai));
        return -EINVAL;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 4096) == 0)
            break;
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        log_err("cannot listen on %s: %s", cfg->listen, strerror(err));
        return -err;
    }
    return fd;
}

struct child {
    pid_t pid;
    int fd;
    time_t started;
    time_t restart_at; /* 0: running or not due */
    time_t stuck_at;   /* 0, or when its loop was found stuck and SIGABRT sent */
};

static pid_t spawn(const struct zk_config *cfg, const char *config_path, struct child *kids, int n,
                   int i, struct metrics *m, const sigset_t *orig)
{
    pid_t pid = fork();
    if (pid < 0) {
        log_err("fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        sigprocmask(SIG_SETMASK, orig, NULL);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        sdnotify_unset_env(); /* the supervisor speaks for this process */
        for (int k = 0; k < n; k++)
            if (k != i && kids[k].fd != kids[i].fd)
                close(kids[k].fd);
        char name[32];
        snprintf(name, sizeof(name), "server/%d", i);
        log_init(name, log_get_level());
        exit(server_run(cfg, config_path, kids[i].fd, i, m, &api_server_app));
    }
    kids[i].pid = pid;
    kids[i].started = time(NULL);
    kids[i].restart_at = 0;
    kids[i].stuck_at = 0;
    return pid;
}

/* Kills the processes whose loop has not ticked for watchdog_ms: SIGABRT
 * (a core to learn from), then SIGKILL two seconds later. The restart
 * follows as for any process that dies. */
static void kill_stuck(struct child *kids, int n, const struct metrics *m, uint64_t watchdog_ms)
{
    uint64_t now = server_notify_now_ms();
    time_t wall = time(NULL);
    for (int i = 0; i < n; i++) {
        if (kids[i].pid <= 0)
            continue;
        if (kids[i].stuck_at != 0) {
            if (wall - kids[i].stuck_at >= 2)
                kill(kids[i].pid, SIGKILL);
            continue;
        }
        uint64_t beat = atomic_load(&m->slots[i].heartbeat_ms);
        if (beat != 0 && now > beat && now - beat > watchdog_ms) {
            log_err("server process %d (pid %d) has not ticked for %llu ms: its loop is stuck; "
                    "killing it",
                    i, (int)kids[i].pid, (unsigned long long)(now - beat));
            kill(kids[i].pid, SIGABRT);
            kids[i].stuck_at = wall;
        }
    }
}

static int supervise(const struct zk_config *cfg, const char *config_path, struct child *kids,
                     int n, struct metrics *m)
{
    sigset_t set, orig;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, &orig);
    struct server_notify sn;
    server_notify_init(&sn);
    /* A child is stuck after WATCHDOG_USEC without a tick (at least 1 s:
     * its tick runs every 100 ms). The loop wakes often enough to ping. */
    uint64_t watchdog_ms = sn.sd.watchdog_usec / 1000;
    if (watchdog_ms > 0 && watchdog_ms < 1000)
        watchdog_ms = 1000;
    long wait_ms = 1000, ping_ms = (long)sdnotify_watchdog_ping_ms(&sn.sd);
    if (ping_ms > 0 && ping_ms / 2 < wait_ms)
        wait_ms = ping_ms / 2 + 1;
    for (int i = 0; i < n; i++) {
        atomic_store(&m->slots[i].heartbeat_ms, server_notify_now_ms());
        spawn(cfg, config_path, kids, n, i, m, &orig);
    }
    log_notice("supervising %d server processes on %s", n, cfg->listen);

    bool stopping = false;
    int exit_code = 0;
    time_t stop_deadline = 0;
    for (;;) {
        int alive = 0;
        for (int i = 0; i < n; i++)
            alive += kids[i].pid > 0;
        if (stopping && alive == 0)
            break;
        struct timespec ts = {wait_ms / 1000, (wait_ms % 1000) * 1000000L};
        siginfo_t info;
        int sig = sigtimedwait(&set, &info, &ts);
        time_t now = time(NULL);
        if (sig == SIGTERM || sig == SIGINT) {
            if (!stopping) {
                log_notice("stopping %d server processes", alive);
                sdnotify_send(&sn.sd, "STOPPING=1\nSTATUS=stopping %d server processes", alive);
                stopping = true;
                stop_deadline = now + cfg->shutdown_timeout_ms / 1000 + 5;
            }
            for (int i = 0; i < n; i++)
                if (kids[i].pid > 0)
                    kill(kids[i].pid, SIGTERM);
        } else if (sig == SIGHUP) {
            struct zk_config check;
            char err[512];
            server_notify_reloading(&sn);
            if (config_load(&check, config_path, err, sizeof(err)) < 0)
                log_err("reload: %s (processes keep their configuration)", err);
            for (int i = 0; i < n; i++)
                if (kids[i].pid > 0)
                    kill(kids[i].pid, SIGHUP);
            server_notify_reloaded(&sn);
        }
        pid_t pid;
        int status;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            for (int i = 0; i < n; i++) {
                if (kids[i].pid != pid)
                    continue;
                kids[i].pid = 0;
                if (stopping)
                    break;
                if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_CONFIG) {
                    log_err("server process %d cannot run with this configuration; stopping", i);
                    exit_code = EXIT_CONFIG;
                    stopping = true;
                    stop_deadline = now + 5;
                    for (int k = 0; k < n; k++)
                        if (kids[k].pid > 0)
                            kill(kids[k].pid, SIGTERM);
                    break;
                }
                /* Restart at once unless it is crashing in a loop. */
                kids[i].restart_at = now - kids[i].started < 5 ? now + 2 : now;
                if (WIFSIGNALED(status))
                    log_err("server process %d (pid %d) killed by signal %d; restarting", i,
                            (int)pid, WTERMSIG(status));
                else
                    log_err("server process %d (pid %d) exited with %d; restarting", i, (int)pid,
                            WEXITSTATUS(status));
            }
        }
        if (stopping && now >= stop_deadline) {
            for (int i = 0; i < n; i++)
                if (kids[i].pid > 0)
                    kill(kids[i].pid, SIGKILL);
        }
        if (!stopping) {
            for (int i = 0; i < n; i++)
                if (kids[i].pid == 0 && kids[i].restart_at != 0 && now >= kids[i].restart_at) {
                    atomic_store(&m->slots[i].heartbeat_ms, server_notify_now_ms());
                    atomic_store(&m->slots[i].ready, 0);
                    spawn(cfg, config_path, kids, n, i, m, &orig);
                }
            if (watchdog_ms > 0)
                kill_stuck(kids, n, m, watchdog_ms);
        }
        server_notify_report(&sn, m, server_notify_now_ms(), stopping ? "stopping" : NULL);
    }
    log_notice("all server processes stopped");
    server_notify_close(&sn);
    return exit_code;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"check-config", no_argument, NULL, 'k'},
        {"list-routes", no_argument, NULL, 'l'},  {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *config_path = getenv("ZIKAO_CONFIG");
    bool check_only = false, list_routes = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            config_path = optarg;
            break;
        case 'k':
            check_only = true;
            break;
        case 'l':
            list_routes = true;
            break;
        case 'V':
            printf("zikao-server %s (schema %d)\n", ZIKAO_VERSION, ZIKAO_SCHEMA_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (config_path != NULL && config_path[0] == '\0')
        config_path = NULL;

    log_init("server", LOG_LEVEL_INFO);
    struct zk_config cfg;
    char err[512];
    if (config_load(&cfg, config_path, err, sizeof(err)) < 0) {
        log_err("configuration: %s", err);
        return EXIT_CONFIG;
    }
    log_set_level(log_level_parse(cfg.log_level));
    struct router *r = api_build_router(&cfg, err, sizeof(err));
    if (r == NULL) {
        log_err("configuration: %s", err);
        return EXIT_CONFIG;
    }
    if (list_routes) {
        for (int i = 0; i < router_count(r); i++)
            printf("%s %s\n", router_get(r, i)->method, router_get(r, i)->pattern);
        router_free(r);
        return 0;
    }
    router_free(r);
    if (api_check_config(&cfg, err, sizeof(err)) < 0) {
        log_err("configuration: %s", err);
        return EXIT_CONFIG;
    }
    if (check_only) {
        printf("configuration ok\n");
        return 0;
    }
    signal(SIGPIPE, SIG_IGN);

    int n = cfg.workers > 0 ? cfg.workers : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    struct metrics *m = metrics_create(n);
    if (m == NULL) {
        log_err("cannot map the metrics region");
        return 1;
    }
    int sd_fd = systemd_listen_fd();
    struct child *kids = zk_calloc((size_t)n, sizeof(*kids));
    int rc;
    for (int i = 0; i < n; i++) {
        kids[i].fd = sd_fd >= 0 ? sd_fd : listen_socket(&cfg);
        if (kids[i].fd < 0) {
            rc = 1;
            goto out;
        }
    }
    if (n == 1)
        rc = server_run(&cfg, config_path, kids[0].fd, 0, m, &api_server_app);
    else
        rc = supervise(&cfg, config_path, kids, n, m);
out:
    free(kids);
    metrics_destroy(m);
    return rc;
}
