/*
 * server_notify.h - what zikao-server tells its operators about itself: the
 * service manager (sd_notify) and the instance record in Redis.
 *
 * Who speaks to systemd: only the process systemd started (MAINPID), so the
 * unit says NotifyAccess=main.
 *   - workers = 1: the serving process itself, from its loop's tick: READY=1
 *     once PostgreSQL, Redis and the schema answered, STATUS= each second,
 *     WATCHDOG=1 every half WATCHDOG_USEC (a stuck loop stops the pings and
 *     systemd restarts the service), RELOADING=1 ... READY=1 around SIGHUP,
 *     STOPPING=1 when the drain starts.
 *   - workers > 1: the supervisor. Children lose NOTIFY_SOCKET at fork and
 *     write a heartbeat and their readiness into their metrics slot instead;
 *     the supervisor sends READY=1 once every child is ready, STATUS= with
 *     their summed figures, and WATCHDOG=1 from its own loop. A child whose
 *     heartbeat is older than WATCHDOG_USEC has a stuck loop: the supervisor
 *     kills it (SIGABRT, then SIGKILL) and restarts it alone, so the other
 *     processes keep serving.
 */
#ifndef ZK_SERVER_NOTIFY_H
#define ZK_SERVER_NOTIFY_H

#include "sdnotify.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct metrics;
struct redis_client;

struct server_notify {
    struct sdnotify sd;
    bool ready_sent;
    uint64_t next_watchdog_ms, next_status_ms;
    uint64_t rate_requests, rate_at_ms; /* requests/s of everything reported */
    double rps;
    /* The process's own record in Redis (instances.h). */
    char record_key[192], record_member[160];
    uint64_t next_record_ms, record_requests, record_at_ms;
    const char *record_state; /* the state last recorded (a literal) */
    time_t started;
    bool removing, removed;
};

/* CLOCK_MONOTONIC in milliseconds: comparable between processes. */
uint64_t server_notify_now_ms(void);

/* Reads the environment (sdnotify_init); logs an unusable NOTIFY_SOCKET. */
void server_notify_init(struct server_notify *sn);
void server_notify_close(struct server_notify *sn);

/*
 * Reports on every live slot of m to the service manager: READY=1 the first
 * time all m->nslots processes are ready, STATUS= once a second, WATCHDOG=1
 * when due. state is NULL while serving, else what the status line starts
 * with ("draining", "stopping"). Does nothing without NOTIFY_SOCKET.
 */
void server_notify_report(struct server_notify *sn, const struct metrics *m, uint64_t now_ms,
                          const char *state);

/* What the serving process's tick reports about it. */
struct server_notify_view {
    struct metrics *metrics;
    int slot;                   /* its metrics slot (= its index among the processes) */
    struct redis_client *redis; /* where its record goes (may be NULL) */
    bool draining;
    bool schema_ok; /* PostgreSQL answered and the schema is recent enough */
    int connections;
};

/*
 * The serving process's tick: heartbeat and readiness into its slot, its
 * Redis record when due, and server_notify_report when it speaks for itself.
 */
void server_notify_tick(struct server_notify *sn, const struct server_notify_view *v,
                        uint64_t now_ms);

/* Sends RELOADING=1 / READY=1 (after a reload, refused or not) / STOPPING=1. */
void server_notify_reloading(struct server_notify *sn);
void server_notify_reloaded(struct server_notify *sn);
void server_notify_stopping(struct server_notify *sn, int connections);

/*
 * Removes the process's Redis record once the drain is over. The first call
 * sends the commands; returns true once they were answered (or failed, or
 * could not be sent), so the caller may close the Redis client. Call it from
 * each tick until it returns true.
 */
bool server_notify_unrecord(struct server_notify *sn, struct redis_client *redis);

#endif
