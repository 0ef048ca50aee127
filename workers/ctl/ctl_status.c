/*
 * ctl_status.c - `zikaoctl status`: one screen an operator reads at a
 * glance. Server processes (the records they keep in Redis, instances.h),
 * workers and depth per queue (the consumer group from XINFO CONSUMERS, the
 * jobs table through ctl_jobs_queue_stats), PostgreSQL, Redis, and the
 * business windows open now (each with its kind and term), or the next one.
 *
 * Every part is read independently: with PostgreSQL or Redis down the rest
 * is still shown. Lines that need attention start with "!". Exit status: 0,
 * or 1 when something needs attention (PostgreSQL or Redis unreachable, the
 * schema older than this build, no server process, jobs waiting on a queue
 * no worker consumes).
 */
#include "alloc.h"
#include "build_info.h"
#include "ctl.h"
#include "instances.h"
#include "job_sync.h"
#include "queue.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STATUS_MAX_CONSUMERS 64

struct status {
    struct ctl *ctl;
    struct sync_conns rc;
    bool pg_up, redis_up;
    int attention;
};

/* "42s", "4m05s", "2h03m", "3d04h". */
static void human_age(char *out, size_t outsz, long long s)
{
    if (s < 0)
        s = 0;
    if (s < 60)
        snprintf(out, outsz, "%llds", s);
    else if (s < 3600)
        snprintf(out, outsz, "%lldm%02llds", s / 60, s % 60);
    else if (s < 86400)
        snprintf(out, outsz, "%lldh%02lldm", s / 3600, s % 3600 / 60);
    else
        snprintf(out, outsz, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

static void attention(struct status *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints one "!" line and counts it. */
static void attention(struct status *st, const char *fmt, ...)
{
    va_list ap;
    st->attention++;
    printf("  ! ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

static redisReply *status_redis(struct status *st, int argc, const char **argv)
{
    if (!st->redis_up)
        return NULL;
    redisReply *r = sync_redis_argv(&st->rc, 0, argc, argv);
    if (r == NULL)
        st->redis_up = false;
    return r;
}

/* ---- server processes ------------------------------------------------------------ */

static void status_servers(struct status *st)
{
    printf("SERVER\n");
    if (!st->redis_up) {
        printf("  unknown: the processes record themselves in Redis, which is unreachable\n");
        return;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    long long now_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    char since[32];
    snprintf(since, sizeof(since), "%lld", now_ms - INSTANCES_TTL_S * 1000LL);
    const char *zr[] = {"ZRANGEBYSCORE", INSTANCES_INDEX_KEY, since, "+inf"};
    redisReply *members = status_redis(st, 4, zr);
    if (members == NULL || members->type != REDIS_REPLY_ARRAY || members->elements == 0) {
        attention(st,
                  "no server process has reported in the last %d s (each records itself in "
                  "Redis every %d s while it runs)",
                  INSTANCES_TTL_S, INSTANCES_HEARTBEAT_MS / 1000);
        if (members)
            freeReplyObject(members);
        return;
    }
    size_t n = members->elements;
    const char **argv = zk_calloc(n + 1, sizeof(*argv));
    char **keys = zk_calloc(n, sizeof(*keys));
    argv[0] = "MGET";
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(INSTANCES_KEY_PREFIX) + strlen(members->element[i]->str) + 1;
        keys[i] = zk_malloc(len);
        snprintf(keys[i], len, INSTANCES_KEY_PREFIX "%s", members->element[i]->str);
        argv[i + 1] = keys[i];
    }
    redisReply *records = status_redis(st, (int)n + 1, argv);
    int shown = 0, serving = 0;
    long long conns = 0;
    double rps = 0;
    printf("  %-28s %5s %-9s %8s %6s %7s %10s %-5s %-5s %s\n", "PROCESS", "#", "STATE", "UP",
           "CONNS", "REQ/S", "REQUESTS", "PG", "REDIS", "VERSION");
    for (size_t i = 0;
         records != NULL && records->type == REDIS_REPLY_ARRAY && i < records->elements; i++) {
        const redisReply *rec = records->element[i];
        if (rec->type != REDIS_REPLY_STRING)
            continue; /* expired: the process is gone */
        json_error_t jerr;
        json_t *o = json_loads(rec->str, 0, &jerr);
        if (o == NULL)
            continue;
        const char *state = json_string_value(json_object_get(o, "state"));
        const char *pg = json_string_value(json_object_get(o, "postgres"));
        const char *redis = json_string_value(json_object_get(o, "redis"));
        const char *version = json_string_value(json_object_get(o, "version"));
        char up[32], slot[16];
        human_age(up, sizeof(up),
                  (long long)now.tv_sec - json_integer_value(json_object_get(o, "started")));
        snprintf(slot, sizeof(slot), "%lld/%lld",
                 (long long)json_integer_value(json_object_get(o, "index")),
                 (long long)json_integer_value(json_object_get(o, "processes")));
        long long c = json_integer_value(json_object_get(o, "connections"));
        double r = json_number_value(json_object_get(o, "rps"));
        printf("  %-28s %5s %-9s %8s %6lld %7.0f %10lld %-5s %-5s %s (schema %lld)\n",
               members->element[i]->str, slot, state ? state : "?", up, c, r,
               (long long)json_integer_value(json_object_get(o, "requests")), pg ? pg : "?",
               redis ? redis : "?", version ? version : "?",
               (long long)json_integer_value(json_object_get(o, "schema")));
        if (pg != NULL && strcmp(pg, "up") != 0 && state != NULL && strcmp(state, "starting") != 0)
            attention(st, "%s cannot reach PostgreSQL", members->element[i]->str);
        shown++;
        serving += state != NULL && strcmp(state, "serving") == 0;
        conns += c;
        rps += r;
        json_decref(o);
    }
    if (shown == 0)
        attention(st, "no server process has reported in the last %d s", INSTANCES_TTL_S);
    else
        printf("  %d process(es), %d serving: %lld connection(s), %.0f req/s\n", shown, serving,
               conns, rps);
    if (records)
        freeReplyObject(records);
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    free(argv);
    freeReplyObject(members);
}

/* ---- queues and their workers -------------------------------------------------------- */

struct consumer {
    char name[128];
    long long pending, idle_ms;
    long long seen_ms; /* age of its last report; -1: none */
    char report[96];   /* "threads in_hand done failed" */
};

/* Reads XINFO CONSUMERS of the queue's group. Returns how many, or -1. */
static int queue_consumers(struct status *st, const char *queue, struct consumer *out, int max)
{
    char key[QUEUE_KEY_MAX];
    if (queue_stream_key(key, sizeof(key), queue) < 0)
        return -1;
    const char *argv[] = {"XINFO", "CONSUMERS", key, QUEUE_GROUP};
    redisReply *r = status_redis(st, 4, argv);
    if (r == NULL)
        return -1;
    int n = 0;
    if (r->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i < r->elements && n < max; i++) {
            const redisReply *c = r->element[i];
            struct consumer *k = &out[n];
            memset(k, 0, sizeof(*k));
            for (size_t f = 0; c->type == REDIS_REPLY_ARRAY && f + 1 < c->elements; f += 2) {
                const char *field = c->element[f]->str;
                const redisReply *v = c->element[f + 1];
                if (strcmp(field, "name") == 0 && v->str != NULL)
                    snprintf(k->name, sizeof(k->name), "%s", v->str);
                else if (strcmp(field, "pending") == 0)
                    k->pending = v->integer;
                else if (strcmp(field, "idle") == 0)
                    k->idle_ms = v->integer;
            }
            n++;
        }
    } /* else: no stream or no group yet (error reply): no consumers */
    freeReplyObject(r);
    for (int i = 0; i < n; i++)
        out[i].seen_ms = -1;
    return n;
}

static struct consumer *consumer_named(struct consumer *c, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(c[i].name, name) == 0)
            return &c[i];
    return NULL;
}

/* Adds the workers' own reports (queue.h: queue_workers_key) to the group's
 * consumers: a worker that never got a message is in the reports only.
 * Returns the new count, or -1 when Redis could not be asked. */
static int queue_reports(struct status *st, const char *queue, struct consumer *c, int n, int max)
{
    char set[QUEUE_KEY_MAX], info[QUEUE_KEY_MAX];
    if (n < 0 || queue_workers_key(set, sizeof(set), queue) < 0 ||
        queue_workers_info_key(info, sizeof(info), queue) < 0)
        return n;
    const char *zr[] = {"ZRANGE", set, "0", "-1", "WITHSCORES"};
    redisReply *r = status_redis(st, 5, zr);
    if (r == NULL)
        return -1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
        const char *name = r->element[i]->str;
        struct consumer *k = consumer_named(c, n, name);
        if (k == NULL && n < max) {
            k = &c[n++];
            memset(k, 0, sizeof(*k));
            snprintf(k->name, sizeof(k->name), "%s", name);
            k->idle_ms = -1;
        }
        if (k == NULL)
            continue;
        k->seen_ms = now - atoll(r->element[i + 1]->str);
        const char *hg[] = {"HGET", info, name};
        redisReply *v = status_redis(st, 3, hg);
        if (v != NULL && v->type == REDIS_REPLY_STRING)
            snprintf(k->report, sizeof(k->report), "%s", v->str);
        if (v)
            freeReplyObject(v);
    }
    freeReplyObject(r);
    return n;
}

/* A worker is live while it reports itself; a consumer without reports
 * (a worker of an older version) while the group saw it recently. */
static bool consumer_live(const struct status *st, const struct consumer *k)
{
    if (k->seen_ms >= 0)
        return k->seen_ms < QUEUE_WORKER_LIVE_MS;
    return k->idle_ms >= 0 && k->idle_ms < st->ctl->cfg.jobs_visibility_ms;
}

static void status_queues(struct status *st)
{
    printf("\nQUEUES (a worker is active while it reports itself, every %d s)\n",
           QUEUE_WORKER_REPORT_MS / 1000);
    PGresult *r = st->pg_up ? ctl_jobs_queue_stats(st->ctl) : NULL;
    if (r == NULL && st->pg_up)
        st->attention++;
    printf("  %-8s %7s %7s %8s %8s %6s %9s %8s\n", "QUEUE", "WORKERS", "QUEUED", "RETRYING",
           "RUNNING", "DEAD", "DONE(1h)", "OLDEST");
    int rows = r != NULL ? PQntuples(r) : (int)queue_count;
    struct consumer *cons = zk_calloc(STATUS_MAX_CONSUMERS, sizeof(*cons));
    for (int i = 0; i < rows; i++) {
        const char *q = r != NULL ? PQgetvalue(r, i, 0) : queue_names[i];
        int n = queue_consumers(st, q, cons, STATUS_MAX_CONSUMERS);
        n = queue_reports(st, q, cons, n, STATUS_MAX_CONSUMERS);
        int active = 0;
        for (int k = 0; k < n; k++)
            active += consumer_live(st, &cons[k]);
        char workers[16] = "?";
        if (n >= 0)
            snprintf(workers, sizeof(workers), "%d", active);
        if (r == NULL) {
            printf("  %-8s %7s %7s %8s %8s %6s %9s %8s\n", q, workers, "?", "?", "?", "?", "?",
                   "?");
        } else {
            char oldest[32];
            human_age(oldest, sizeof(oldest), atoll(PQgetvalue(r, i, 6)));
            printf("  %-8s %7s %7s %8s %8s %6s %9s %8s\n", q, workers, PQgetvalue(r, i, 1),
                   PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4),
                   PQgetvalue(r, i, 5), atoll(PQgetvalue(r, i, 6)) > 0 ? oldest : "-");
            long long waiting = atoll(PQgetvalue(r, i, 1)) + atoll(PQgetvalue(r, i, 2));
            if (active == 0 && waiting > 0)
                attention(st,
                          "queue %s has jobs waiting and no worker (systemctl start "
                          "zikao-worker@QUEUE)",
                          q);
            if (atoll(PQgetvalue(r, i, 4)) > 0)
                printf("  %-8s dead jobs: zikaoctl jobs list --state dead --queue %s\n", "", q);
        }
        for (int k = 0; k < n; k++) {
            const struct consumer *c = &cons[k];
            char age[32];
            int threads = 0, in_hand = 0;
            unsigned long long done = 0, failed = 0;
            if (c->seen_ms >= 0) {
                human_age(age, sizeof(age), c->seen_ms / 1000);
                if (sscanf(c->report, "%d %d %llu %llu", &threads, &in_hand, &done, &failed) != 4)
                    threads = 0;
                printf("  %-8s   %s %s, reported %s ago: %d thread(s), %d in hand, %llu done, "
                       "%llu failed\n",
                       "", consumer_live(st, c) ? "active" : "gone  ", c->name, age, threads,
                       in_hand, done, failed);
            } else {
                human_age(age, sizeof(age), c->idle_ms / 1000);
                printf("  %-8s   %s %s, idle %s, %lld in hand\n", "",
                       consumer_live(st, c) ? "active" : "gone  ", c->name, age, c->pending);
            }
        }
    }
    free(cons);
    if (r)
        PQclear(r);
}

/* ---- PostgreSQL, Redis, windows ------------------------------------------------------ */

static void status_postgres(struct status *st)
{
    printf("\nPOSTGRESQL ");
    if (!st->pg_up) {
        printf("DOWN\n");
        attention(st, "cannot connect to PostgreSQL with [database] conninfo (why: see above)");
        return;
    }
    PGresult *r = ctl_exec(
        st->ctl,
        "SELECT current_setting('server_version'), pg_is_in_recovery(),"
        " pg_size_pretty(pg_database_size(current_database())),"
        " (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()),"
        " (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        "   AND application_name = 'zikao-server'),"
        " (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        "   AND application_name = 'zikao-worker'),"
        " current_setting('max_connections'), to_regclass('schema_migrations') IS NOT NULL",
        0, NULL);
    if (r == NULL) {
        st->attention++;
        return;
    }
    int schema = -1;
    if (strcmp(PQgetvalue(r, 0, 7), "t") == 0) {
        PGresult *v =
            ctl_exec(st->ctl, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, NULL);
        if (v != NULL) {
            schema = atoi(PQgetvalue(v, 0, 0));
            PQclear(v);
        }
    } else {
        schema = 0;
    }
    printf("up: %s %s, database %s (%s), %s of %s connections (server %s, workers %s), "
           "schema %d\n",
           PQdb(st->ctl->pg), strcmp(PQgetvalue(r, 0, 1), "t") == 0 ? "standby" : "primary",
           PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 6),
           PQgetvalue(r, 0, 4), PQgetvalue(r, 0, 5), schema);
    if (schema >= 0 && schema < ZIKAO_SCHEMA_VERSION) {
        attention(st, "the schema is older than this build needs (%d): run zikaoctl migrate",
                  ZIKAO_SCHEMA_VERSION);
    }
    PQclear(r);
}

/* The value of "field:" in an INFO reply, or "?". */
static const char *info_field(const char *info, const char *field, char *out, size_t outsz)
{
    size_t flen = strlen(field);
    for (const char *p = info; p != NULL && *p; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (strncmp(p, field, flen) == 0 && p[flen] == ':') {
            size_t len = strcspn(p + flen + 1, "\r\n");
            snprintf(out, outsz, "%.*s", (int)len, p + flen + 1);
            return out;
        }
    }
    snprintf(out, outsz, "?");
    return out;
}

static void status_redis_info(struct status *st)
{
    printf("REDIS      ");
    const char *argv[] = {"INFO"};
    redisReply *r = status_redis(st, 1, argv);
    if (r == NULL || r->type != REDIS_REPLY_STRING) {
        printf("DOWN\n");
        attention(st, "cannot reach Redis at [redis] host %s", st->ctl->cfg.redis_host);
        if (r)
            freeReplyObject(r);
        return;
    }
    char version[32], uptime[32], clients[16], mem[32], policy[32], aof[8], role[16], bg[16],
        aofw[16];
    info_field(r->str, "redis_version", version, sizeof(version));
    info_field(r->str, "uptime_in_seconds", uptime, sizeof(uptime));
    char up[32];
    human_age(up, sizeof(up), atoll(uptime));
    printf("up: %s %s, up %s, %s clients, %s used, maxmemory-policy %s, appendonly %s\n",
           info_field(r->str, "role", role, sizeof(role)), version, up,
           info_field(r->str, "connected_clients", clients, sizeof(clients)),
           info_field(r->str, "used_memory_human", mem, sizeof(mem)),
           info_field(r->str, "maxmemory_policy", policy, sizeof(policy)),
           strcmp(info_field(r->str, "aof_enabled", aof, sizeof(aof)), "1") == 0 ? "yes" : "no");
    if (strcmp(policy, "noeviction") != 0)
        attention(st, "maxmemory-policy is %s: Redis may evict queue entries (use noeviction)",
                  policy);
    info_field(r->str, "rdb_last_bgsave_status", bg, sizeof(bg));
    info_field(r->str, "aof_last_write_status", aofw, sizeof(aofw));
    if (strcmp(bg, "err") == 0 || strcmp(aofw, "err") == 0)
        attention(st, "Redis reports a failed %s",
                  strcmp(bg, "err") == 0 ? "snapshot" : "AOF write");
    freeReplyObject(r);
}

static void status_windows(struct status *st)
{
    printf("WINDOWS    ");
    if (!st->pg_up) {
        printf("unknown (PostgreSQL is down)\n");
        return;
    }
    PGresult *t = ctl_exec(st->ctl, "SELECT to_regclass('windows') IS NOT NULL", 0, NULL);
    if (t == NULL)
        return;
    bool exists = strcmp(PQgetvalue(t, 0, 0), "t") == 0;
    PQclear(t);
    if (!exists) {
        printf("no windows table yet\n");
        return;
    }
    PGresult *r =
        ctl_exec(st->ctl,
                 "SELECT kind || ' ' || term, name,"
                 " to_char(starts_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'),"
                 " to_char(ends_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'),"
                 " starts_at <= now() FROM windows WHERE ends_at > now() ORDER BY starts_at, kind",
                 0, NULL);
    if (r == NULL)
        return;
    int open = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        if (strcmp(PQgetvalue(r, i, 4), "t") != 0)
            continue;
        printf("%s%s %s (%s) until %s +08:00\n", open ? "           " : "",
               "open:", PQgetvalue(r, i, 1), PQgetvalue(r, i, 0), PQgetvalue(r, i, 3));
        open++;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        if (strcmp(PQgetvalue(r, i, 4), "t") == 0)
            continue;
        printf("%snext: %s (%s) opens %s +08:00\n", open ? "           " : "none open now; ",
               PQgetvalue(r, i, 1), PQgetvalue(r, i, 0), PQgetvalue(r, i, 2));
        open = -1;
        break;
    }
    if (open == 0)
        printf("none open now, none to come\n");
    PQclear(r);
}

int ctl_status(struct ctl *ctl, int argc, char **argv)
{
    if (argc > 1) {
        fprintf(stderr, "usage: zikaoctl status\n");
        return 2;
    }
    struct status st = {.ctl = ctl};
    st.rc.cfg = &ctl->cfg;
    st.rc.application_name = "zikaoctl";
    st.pg_up = ctl_connect(ctl) == 0;
    st.redis_up = sync_redis(&st.rc) != NULL;

    char host[64] = "localhost", when[64];
    gethostname(host, sizeof(host) - 1);
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", &tm);
    printf("zikao %s (schema %d) on %s, %s\n\n", ZIKAO_VERSION, ZIKAO_SCHEMA_VERSION, host, when);

    status_servers(&st);
    status_queues(&st);
    status_postgres(&st);
    status_redis_info(&st);
    status_windows(&st);
    if (st.attention > 0)
        printf("\n%d thing(s) need attention (marked !)\n", st.attention);
    sync_close(&st.rc);
    return st.attention > 0 ? 1 : 0;
}
