/*
 * metrics.h - request counters and gauges shared by all server processes.
 *
 * The supervisor maps one shared anonymous region before forking; each
 * process writes only its own slot (relaxed atomics), and whichever process
 * receives GET /metrics sums every slot. So a scrape sees the whole server
 * no matter which SO_REUSEPORT sibling answers it.
 */
#ifndef ZK_METRICS_H
#define ZK_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Rows of routes (+ one for unmatched requests); the server refuses to start
 * with more routes. */
#define METRICS_MAX_ROUTES  256
#define METRICS_LAT_BUCKETS 13
#define METRICS_VALUES_MAX  64 /* values the api modules publish */

struct router;
struct arena;

/* Status codes counted individually; others count as "other". */
// clang-format off
#define METRICS_STATUS_LIST                                                                        \
    X(200) X(201) X(202) X(204) X(301) X(302) X(304) X(400) X(401) X(403) X(404) X(405) X(408)     \
    X(409) X(413) X(415) X(417) X(422) X(429) X(431) X(500) X(502) X(503)
// clang-format on
enum {
#define X(code) METRICS_S_##code,
    METRICS_STATUS_LIST
#undef X
        METRICS_S_OTHER,
    METRICS_NSTATUS
};

struct metrics_slot {
    _Atomic pid_t pid; /* 0: slot unused */
    _Atomic uint64_t requests[METRICS_MAX_ROUTES + 1][METRICS_NSTATUS];
    _Atomic uint64_t latency[METRICS_MAX_ROUTES + 1][METRICS_LAT_BUCKETS + 1];
    _Atomic uint64_t latency_sum_us[METRICS_MAX_ROUTES + 1];
    _Atomic int64_t open_connections;
    _Atomic uint64_t refused_connections;
    _Atomic uint64_t timeouts;
    _Atomic int64_t pg_ready, pg_in_use, pg_waiting;
    _Atomic uint64_t pg_timeouts, pg_failures;
    _Atomic int64_t redis_up;
    _Atomic uint64_t redis_timeouts, redis_reconnects;
    /* Values the api modules publish (api.h: struct api_metric), in module order. */
    _Atomic int64_t values[METRICS_VALUES_MAX];
    /* For the supervisor (see server_notify.h): CLOCK_MONOTONIC ms of the
     * loop's last tick, and 1 once PostgreSQL, Redis and the schema answered. */
    _Atomic uint64_t heartbeat_ms;
    _Atomic int ready;
};

struct metrics {
    int nslots;
    size_t mapped;
    struct metrics_slot slots[];
};

/* Maps a shared region for nslots processes. Returns NULL on failure. */
struct metrics *metrics_create(int nslots);
void metrics_destroy(struct metrics *m);

/* Requests one slot has answered (every route and status). */
uint64_t metrics_slot_requests(const struct metrics_slot *s);

/* Records one answered request; route_index -1 means unmatched. */
void metrics_record(struct metrics_slot *s, int route_index, int status, uint64_t elapsed_us);

/* Value i of the modules' values, summed over every live slot. */
int64_t metrics_value_sum(const struct metrics *m, int i);

/*
 * Renders the Prometheus text exposition of all slots into the arena.
 * extra (may be NULL) is appended verbatim (figures owned by other modules).
 */
char *metrics_render(const struct metrics *m, const struct router *r, struct arena *a, size_t *len);

#endif
