/*
 * server_notify.c - zikao-server's reports to the service manager and its
 * instance record in Redis (see server_notify.h and instances.h). Owns the
 * sd_notify socket and the record of one process.
 */
#include "server_notify.h"
#include "build_info.h"
#include "instances.h"
#include "log.h"
#include "metrics.h"
#include "redis_client.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOTIFY_STATUS_MS 1000

#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

uint64_t server_notify_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void server_notify_init(struct server_notify *sn)
{
    memset(sn, 0, sizeof(*sn));
    int rc = sdnotify_init(&sn->sd);
    if (rc < 0)
        log_warn("NOTIFY_SOCKET is unusable (%s): the service manager will not hear from us",
                 strerror(-rc));
    char host[64] = "localhost";
    gethostname(host, sizeof(host) - 1);
    snprintf(sn->record_member, sizeof(sn->record_member), "%s:%d", host, (int)getpid());
    snprintf(sn->record_key, sizeof(sn->record_key), INSTANCES_KEY_PREFIX "%s", sn->record_member);
    sn->started = time(NULL);
}

void server_notify_close(struct server_notify *sn)
{
    sdnotify_close(&sn->sd);
}

/* ---- the service manager ----------------------------------------------------------- */

struct server_figures {
    int processes, ready, pg_down, redis_down;
    int64_t connections;
    uint64_t requests;
};

static void server_figures(const struct metrics *m, struct server_figures *f)
{
    memset(f, 0, sizeof(*f));
    for (int i = 0; i < m->nslots; i++) {
        const struct metrics_slot *s = &m->slots[i];
        if (LOAD(s->pid) == 0)
            continue;
        f->processes++;
        f->ready += LOAD(s->ready) != 0;
        f->pg_down += LOAD(s->pg_ready) <= 0;
        f->redis_down += LOAD(s->redis_up) <= 0;
        f->connections += LOAD(s->open_connections);
        f->requests += metrics_slot_requests(s);
    }
}

/* "PostgreSQL up" or "PostgreSQL down in 1 of 4 processes". */
static void dependency_state(char *out, size_t outsz, const char *name, int down, int processes)
{
    if (down == 0)
        snprintf(out, outsz, "%s up", name);
    else if (down == processes)
        snprintf(out, outsz, "%s DOWN", name);
    else
        snprintf(out, outsz, "%s down in %d of %d processes", name, down, processes);
}

void server_notify_report(struct server_notify *sn, const struct metrics *m, uint64_t now_ms,
                          const char *state)
{
    if (!sdnotify_enabled(&sn->sd))
        return;
    uint64_t ping = sdnotify_watchdog_ping_ms(&sn->sd);
    if (ping > 0 && now_ms >= sn->next_watchdog_ms) {
        sdnotify_send(&sn->sd, "WATCHDOG=1");
        sn->next_watchdog_ms = now_ms + ping;
    }
    struct server_figures f;
    bool ready_now = !sn->ready_sent && state == NULL;
    if (!ready_now && now_ms < sn->next_status_ms)
        return;
    server_figures(m, &f);
    ready_now = ready_now && f.processes == m->nslots && f.ready == m->nslots;
    if (!ready_now && now_ms < sn->next_status_ms)
        return;

    if (sn->rate_at_ms != 0 && now_ms > sn->rate_at_ms && f.requests >= sn->rate_requests)
        sn->rps =
            (double)(f.requests - sn->rate_requests) * 1000.0 / (double)(now_ms - sn->rate_at_ms);
    sn->rate_requests = f.requests;
    sn->rate_at_ms = now_ms;
    sn->next_status_ms = now_ms + NOTIFY_STATUS_MS;

    char pg[64], redis[64], status[256];
    dependency_state(pg, sizeof(pg), "PostgreSQL", f.pg_down, f.processes);
    dependency_state(redis, sizeof(redis), "Redis", f.redis_down, f.processes);
    if (state != NULL)
        snprintf(status, sizeof(status), "%s: %d process(es), %" PRId64 " connection(s) left",
                 state, f.processes, f.connections);
    else if (!sn->ready_sent && !ready_now)
        snprintf(status, sizeof(status),
                 "starting: %d of %d process(es) ready (waiting for PostgreSQL, Redis and the "
                 "schema); %s, %s",
                 f.ready, m->nslots, pg, redis);
    else
        snprintf(status, sizeof(status),
                 "serving: %d process(es), %" PRId64 " connection(s), %.0f req/s; %s, %s",
                 f.processes, f.connections, sn->rps, pg, redis);
    if (ready_now) {
        sdnotify_send(&sn->sd, "READY=1\nSTATUS=%s", status);
        sn->ready_sent = true;
    } else {
        sdnotify_send(&sn->sd, "STATUS=%s", status);
    }
}

void server_notify_reloading(struct server_notify *sn)
{
    sdnotify_send(&sn->sd, "RELOADING=1\nSTATUS=reloading the configuration");
}

void server_notify_reloaded(struct server_notify *sn)
{
    sdnotify_send(&sn->sd, "READY=1");
    sn->next_status_ms = 0; /* the next report puts the figures back */
}

void server_notify_stopping(struct server_notify *sn, int connections)
{
    sdnotify_send(&sn->sd, "STOPPING=1\nSTATUS=draining: %d connection(s) open", connections);
}

/* ---- the serving process --------------------------------------------------------------- */

/* SET the record (with expiry) and refresh its index entry: every
 * INSTANCES_HEARTBEAT_MS, and at once when the state changes. */
static void server_record(struct server_notify *sn, const struct server_notify_view *v,
                          uint64_t now_ms)
{
    const struct metrics_slot *s = &v->metrics->slots[v->slot];
    const char *state = v->draining ? "draining" : LOAD(s->ready) ? "serving" : "starting";
    if ((now_ms < sn->next_record_ms && state == sn->record_state) || sn->removing ||
        v->redis == NULL || !redis_client_connected(v->redis))
        return;
    sn->next_record_ms = now_ms + INSTANCES_HEARTBEAT_MS;
    sn->record_state = state;
    uint64_t requests = metrics_slot_requests(s);
    double rps = 0;
    if (sn->record_at_ms != 0 && now_ms > sn->record_at_ms && requests >= sn->record_requests)
        rps =
            (double)(requests - sn->record_requests) * 1000.0 / (double)(now_ms - sn->record_at_ms);
    sn->record_requests = requests;
    sn->record_at_ms = now_ms;
    char host[64] = "localhost";
    gethostname(host, sizeof(host) - 1);
    json_t *o = json_pack(
        "{s:s, s:i, s:i, s:i, s:s, s:i, s:I, s:s, s:I, s:I, s:f, s:s, s:s}", "host", host, "pid",
        (int)getpid(), "index", v->slot, "processes", v->metrics->nslots, "version", ZIKAO_VERSION,
        "schema", ZIKAO_SCHEMA_VERSION, "started", (json_int_t)sn->started, "state", state,
        "connections", (json_int_t)v->connections, "requests", (json_int_t)requests, "rps", rps,
        "postgres", LOAD(s->pg_ready) > 0 ? "up" : "down", "redis", "up");
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (text == NULL)
        return;
    long long score = (long long)wall_ms();
    redis_command(v->redis, NULL, NULL, "SET %s %s EX %d", sn->record_key, text, INSTANCES_TTL_S);
    redis_command(v->redis, NULL, NULL, "ZADD %s %lld %s", INSTANCES_INDEX_KEY, score,
                  sn->record_member);
    redis_command(v->redis, NULL, NULL, "ZREMRANGEBYSCORE %s -inf %lld", INSTANCES_INDEX_KEY,
                  score - INSTANCES_FORGET_MS);
    free(text);
}

void server_notify_tick(struct server_notify *sn, const struct server_notify_view *v,
                        uint64_t now_ms)
{
    struct metrics_slot *s = &v->metrics->slots[v->slot];
    atomic_store_explicit(&s->heartbeat_ms, now_ms, memory_order_relaxed);
    if (!LOAD(s->ready) && v->schema_ok && v->redis != NULL && redis_client_connected(v->redis))
        atomic_store_explicit(&s->ready, 1, memory_order_relaxed);
    server_record(sn, v, now_ms);
    server_notify_report(sn, v->metrics, now_ms, v->draining ? "draining" : NULL);
}

static void on_unrecorded(void *ud, redisReply *reply, const char *err)
{
    struct server_notify *sn = ud;
    (void)reply;
    (void)err;
    sn->removed = true;
}

bool server_notify_unrecord(struct server_notify *sn, struct redis_client *redis)
{
    if (sn->removing)
        return sn->removed;
    sn->removing = true;
    if (redis == NULL ||
        redis_command(redis, NULL, NULL, "ZREM %s %s", INSTANCES_INDEX_KEY, sn->record_member) <
            0 ||
        redis_command(redis, on_unrecorded, sn, "DEL %s", sn->record_key) < 0)
        sn->removed = true;
    return sn->removed;
}
