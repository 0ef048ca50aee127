/*
 * metrics.c - shared-memory counters and their Prometheus rendering.
 */
#include "metrics.h"
#include "arena.h"
#include "buf.h"
#include "http/router.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static const int metrics_codes[] = {
#define X(code) code,
    METRICS_STATUS_LIST
#undef X
};

/* Upper bounds in microseconds; the last bucket is +Inf. */
static const uint64_t metrics_bounds_us[METRICS_LAT_BUCKETS] = {
    250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 5000000};

struct metrics *metrics_create(int nslots)
{
    size_t size = sizeof(struct metrics) + sizeof(struct metrics_slot) * (size_t)nslots;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    struct metrics *m = p;
    m->nslots = nslots;
    m->mapped = size;
    return m;
}

void metrics_destroy(struct metrics *m)
{
    if (m != NULL)
        munmap(m, m->mapped);
}

static int metrics_status_index(int status)
{
    for (int i = 0; i < METRICS_S_OTHER; i++)
        if (metrics_codes[i] == status)
            return i;
    return METRICS_S_OTHER;
}

void metrics_record(struct metrics_slot *s, int route_index, int status, uint64_t elapsed_us)
{
    int r =
        (route_index < 0 || route_index >= METRICS_MAX_ROUTES) ? METRICS_MAX_ROUTES : route_index;
    atomic_fetch_add_explicit(&s->requests[r][metrics_status_index(status)], 1,
                              memory_order_relaxed);
    int b = 0;
    while (b < METRICS_LAT_BUCKETS && elapsed_us > metrics_bounds_us[b])
        b++;
    atomic_fetch_add_explicit(&s->latency[r][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->latency_sum_us[r], elapsed_us, memory_order_relaxed);
}

#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

uint64_t metrics_slot_requests(const struct metrics_slot *s)
{
    uint64_t t = 0;
    for (int r = 0; r <= METRICS_MAX_ROUTES; r++)
        for (int i = 0; i < METRICS_NSTATUS; i++)
            t += LOAD(s->requests[r][i]);
    return t;
}

static uint64_t sum_u(const struct metrics *m, size_t offset)
{
    uint64_t t = 0;
    for (int i = 0; i < m->nslots; i++) {
        const struct metrics_slot *s = &m->slots[i];
        if (LOAD(s->pid) == 0)
            continue;
        t += atomic_load_explicit((_Atomic uint64_t *)((char *)s + offset), memory_order_relaxed);
    }
    return t;
}

static int64_t sum_i(const struct metrics *m, size_t offset)
{
    int64_t t = 0;
    for (int i = 0; i < m->nslots; i++) {
        const struct metrics_slot *s = &m->slots[i];
        if (LOAD(s->pid) == 0)
            continue;
        t += atomic_load_explicit((_Atomic int64_t *)((char *)s + offset), memory_order_relaxed);
    }
    return t;
}

static int64_t min_i(const struct metrics *m, size_t offset)
{
    int64_t v = 1;
    for (int i = 0; i < m->nslots; i++) {
        const struct metrics_slot *s = &m->slots[i];
        if (LOAD(s->pid) == 0)
            continue;
        int64_t x =
            atomic_load_explicit((_Atomic int64_t *)((char *)s + offset), memory_order_relaxed);
        if (x < v)
            v = x;
    }
    return v;
}

static const char *route_label(const struct router *r, int i, struct arena *a)
{
    if (i == METRICS_MAX_ROUTES)
        return "method=\"\",route=\"unmatched\"";
    const struct route *rt = i < router_count(r) ? router_get(r, i) : router_fallback(r);
    return arena_printf(a, "method=\"%s\",route=\"%s\"", rt->method, rt->pattern);
}

int64_t metrics_value_sum(const struct metrics *m, int i)
{
    if (i < 0 || i >= METRICS_VALUES_MAX)
        return 0;
    return sum_i(m, offsetof(struct metrics_slot, values) + (size_t)i * sizeof(int64_t));
}

char *metrics_render(const struct metrics *m, const struct router *r, struct arena *a, size_t *len)
{
    struct buf b;
    buf_init(&b, a, 16384);
    int nroutes = router_count(r) + (router_fallback(r) != NULL); /* its row follows the table */
    if (nroutes > METRICS_MAX_ROUTES)
        nroutes = METRICS_MAX_ROUTES;

    buf_puts(&b, "# HELP zikao_http_requests_total HTTP requests answered, by route and "
                 "status.\n# TYPE zikao_http_requests_total counter\n");
    for (int ri = 0; ri <= METRICS_MAX_ROUTES; ri++) {
        if (ri >= nroutes && ri != METRICS_MAX_ROUTES)
            continue;
        const char *label = NULL;
        for (int si = 0; si < METRICS_NSTATUS; si++) {
            uint64_t n = sum_u(m, offsetof(struct metrics_slot, requests[ri][si]));
            if (n == 0)
                continue;
            if (label == NULL)
                label = route_label(r, ri, a);
            if (si == METRICS_S_OTHER)
                buf_printf(&b, "zikao_http_requests_total{%s,status=\"other\"} %llu\n", label,
                           (unsigned long long)n);
            else
                buf_printf(&b, "zikao_http_requests_total{%s,status=\"%d\"} %llu\n", label,
                           metrics_codes[si], (unsigned long long)n);
        }
    }

    buf_puts(&b, "# HELP zikao_http_request_duration_seconds Time from the first byte of a "
                 "request to its answer.\n# TYPE zikao_http_request_duration_seconds histogram\n");
    for (int ri = 0; ri <= METRICS_MAX_ROUTES; ri++) {
        if (ri >= nroutes && ri != METRICS_MAX_ROUTES)
            continue;
        uint64_t counts[METRICS_LAT_BUCKETS + 1], total = 0;
        for (int bi = 0; bi <= METRICS_LAT_BUCKETS; bi++) {
            counts[bi] = sum_u(m, offsetof(struct metrics_slot, latency[ri][bi]));
            total += counts[bi];
        }
        if (total == 0)
            continue;
        const char *label = route_label(r, ri, a);
        uint64_t cum = 0;
        for (int bi = 0; bi < METRICS_LAT_BUCKETS; bi++) {
            cum += counts[bi];
            buf_printf(&b, "zikao_http_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n", label,
                       (double)metrics_bounds_us[bi] / 1e6, (unsigned long long)cum);
        }
        buf_printf(&b, "zikao_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n", label,
                   (unsigned long long)total);
        buf_printf(&b, "zikao_http_request_duration_seconds_sum{%s} %.6f\n", label,
                   (double)sum_u(m, offsetof(struct metrics_slot, latency_sum_us[ri])) / 1e6);
        buf_printf(&b, "zikao_http_request_duration_seconds_count{%s} %llu\n", label,
                   (unsigned long long)total);
    }

    int procs = 0;
    for (int i = 0; i < m->nslots; i++)
        if (LOAD(m->slots[i].pid) != 0)
            procs++;
#define GAUGE(name, help, value)                                                                   \
    buf_printf(&b, "# HELP " name " " help "\n# TYPE " name " gauge\n" name " %lld\n",             \
               (long long)(value))
#define COUNTER(name, help, value)                                                                 \
    buf_printf(&b, "# HELP " name " " help "\n# TYPE " name " counter\n" name " %llu\n",           \
               (unsigned long long)(value))
    GAUGE("zikao_server_processes", "Server processes running.", procs);
    GAUGE("zikao_http_open_connections", "Client connections open.",
          sum_i(m, offsetof(struct metrics_slot, open_connections)));
    COUNTER("zikao_http_refused_connections_total",
            "Connections refused because the connection limit was reached.",
            sum_u(m, offsetof(struct metrics_slot, refused_connections)));
    COUNTER("zikao_http_timeouts_total",
            "Connections cut off by a header, body, idle or "
            "write timeout.",
            sum_u(m, offsetof(struct metrics_slot, timeouts)));
    GAUGE("zikao_db_pool_ready", "PostgreSQL connections open and usable.",
          sum_i(m, offsetof(struct metrics_slot, pg_ready)));
    GAUGE("zikao_db_pool_in_use", "PostgreSQL connections running a statement or held.",
          sum_i(m, offsetof(struct metrics_slot, pg_in_use)));
    GAUGE("zikao_db_pool_waiting", "Statements waiting for a PostgreSQL connection.",
          sum_i(m, offsetof(struct metrics_slot, pg_waiting)));
    COUNTER("zikao_db_timeouts_total", "Statements that overran their deadline.",
            sum_u(m, offsetof(struct metrics_slot, pg_timeouts)));
    COUNTER("zikao_db_connection_failures_total", "PostgreSQL connections lost.",
            sum_u(m, offsetof(struct metrics_slot, pg_failures)));
    GAUGE("zikao_redis_up", "1 when every server process is connected to Redis.",
          procs ? min_i(m, offsetof(struct metrics_slot, redis_up)) : 0);
    COUNTER("zikao_redis_timeouts_total", "Redis commands that timed out.",
            sum_u(m, offsetof(struct metrics_slot, redis_timeouts)));
    COUNTER("zikao_redis_reconnects_total", "Redis reconnections.",
            sum_u(m, offsetof(struct metrics_slot, redis_reconnects)));
#undef GAUGE
#undef COUNTER
    *len = b.len;
    return b.data;
}
