/*
 * ctl_jobs.c - `zikaoctl jobs`: what the queues are doing, and what an
 * operator can do about it.
 *
 *   jobs stats                        per queue: queued, retrying, running,
 *                                     dead, done in the last hour, oldest
 *                                     waiting job, and the Redis stream
 *   jobs list [--state S] [--queue Q] [--limit N]
 *   jobs show ID                      the whole row as JSON
 *   jobs retry ID | --all-dead [--queue Q]
 *                                     a dead job goes back to the queue with
 *                                     its attempts reset, published at once
 *   jobs enqueue QUEUE [--count N] [--payload JSON]
 *                                     adds jobs (operators, benchmarks)
 */
#include "alloc.h"
#include "ctl.h"
#include "job_sync.h"
#include "queue.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Publishes ids of queue (MULTI / SADD / XADD / EXEC each, as the server
 * does); returns how many made it. The rest are left to the sweeper. */
static int jobs_publish(struct ctl *ctl, const char *queue, PGresult *ids)
{
    struct sync_conns rc = {.cfg = &ctl->cfg, .application_name = "zikaoctl"};
    char stream[QUEUE_KEY_MAX], set[QUEUE_KEY_MAX];
    int published = 0;
    if (queue_stream_key(stream, sizeof(stream), queue) < 0 ||
        queue_published_key(set, sizeof(set), queue) < 0)
        return 0;
    redisContext *r = sync_redis(&rc);
    if (r != NULL) {
        int n = PQntuples(ids);
        for (int i = 0; i < n; i++) {
            const char *id = PQgetvalue(ids, i, 0);
            const char *multi[] = {"MULTI"}, *exec[] = {"EXEC"};
            const char *sadd[] = {"SADD", set, id};
            const char *xadd[] = {"XADD", stream, "*", QUEUE_FIELD_JOB, id};
            redisAppendCommandArgv(r, 1, multi, NULL);
            redisAppendCommandArgv(r, 3, sadd, NULL);
            redisAppendCommandArgv(r, 5, xadd, NULL);
            redisAppendCommandArgv(r, 1, exec, NULL);
        }
        for (int i = 0; i < 4 * n; i++) {
            redisReply *rep = NULL;
            if (redisGetReply(r, (void **)&rep) != REDIS_OK || rep == NULL)
                break;
            if (i % 4 == 3 && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2)
                published++;
            freeReplyObject(rep);
        }
    }
    sync_close(&rc);
    return published;
}

PGresult *ctl_jobs_queue_stats(struct ctl *ctl)
{
    /* Every queue of shared/queue.h, as a text[] literal. */
    char list[QUEUE_KEY_MAX * 16] = "{";
    size_t off = 1;
    for (size_t i = 0; i < queue_count && off < sizeof(list); i++)
        off +=
            (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", i ? "," : "", queue_names[i]);
    if (off < sizeof(list))
        snprintf(list + off, sizeof(list) - off, "}");
    return ctl_exec(
        ctl,
        "SELECT q.queue,"
        " count(*) FILTER (WHERE j.state = 'queued' AND j.attempts = 0),"
        " count(*) FILTER (WHERE j.state = 'queued' AND j.attempts > 0),"
        " count(*) FILTER (WHERE j.state = 'running'),"
        " count(*) FILTER (WHERE j.state = 'dead'),"
        " count(*) FILTER (WHERE j.state = 'done' AND j.finished_at > now() - interval '1 hour'),"
        " coalesce(extract(epoch FROM now() - min(j.created_at) FILTER (WHERE j.state IN "
        "('queued','running')))::bigint, 0)"
        " FROM unnest($1::text[]) AS q(queue) LEFT JOIN jobs j ON j.queue = q.queue"
        " GROUP BY q.queue ORDER BY q.queue",
        1, (const char *[]){list});
}

static int jobs_stats(struct ctl *ctl)
{
    PGresult *r = ctl_jobs_queue_stats(ctl);
    if (r == NULL)
        return 1;
    struct sync_conns rc = {.cfg = &ctl->cfg, .application_name = "zikaoctl"};
    bool redis_ok = sync_redis(&rc) != NULL;
    printf("%-8s %8s %8s %8s %6s %10s %9s %8s %8s\n", "QUEUE", "QUEUED", "RETRYING", "RUNNING",
           "DEAD", "DONE(1h)", "OLDEST", "STREAM", "PENDING");
    for (int i = 0; i < PQntuples(r); i++) {
        const char *q = PQgetvalue(r, i, 0);
        char key[QUEUE_KEY_MAX], stream[16] = "-", pending[16] = "-";
        queue_stream_key(key, sizeof(key), q);
        if (redis_ok) {
            const char *xl[] = {"XLEN", key};
            redisReply *rep = sync_redis_argv(&rc, 0, 2, xl);
            if (rep && rep->type == REDIS_REPLY_INTEGER)
                snprintf(stream, sizeof(stream), "%lld", rep->integer);
            if (rep)
                freeReplyObject(rep);
            const char *xp[] = {"XPENDING", key, QUEUE_GROUP};
            rep = sync_redis_argv(&rc, 0, 3, xp);
            if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements > 0 &&
                rep->element[0]->type == REDIS_REPLY_INTEGER)
                snprintf(pending, sizeof(pending), "%lld", rep->element[0]->integer);
            if (rep)
                freeReplyObject(rep);
        }
        printf("%-8s %8s %8s %8s %6s %10s %8ss %8s %8s\n", q, PQgetvalue(r, i, 1),
               PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5),
               PQgetvalue(r, i, 6), stream, pending);
    }
    if (!redis_ok)
        printf("(Redis unreachable: stream figures unknown)\n");
    sync_close(&rc);
    PQclear(r);
    return 0;
}

static int jobs_list(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {{"state", required_argument, NULL, 's'},
                                         {"queue", required_argument, NULL, 'q'},
                                         {"limit", required_argument, NULL, 'l'},
                                         {NULL, 0, NULL, 0}};
    const char *state = NULL, *queue = NULL, *limit = "50";
    int ch;
    while ((ch = getopt_long(argc, argv, "s:q:l:", opts, NULL)) != -1) {
        if (ch == 's')
            state = optarg;
        else if (ch == 'q')
            queue = optarg;
        else if (ch == 'l')
            limit = optarg;
        else
            return 2;
    }
    const char *v[] = {state, queue, limit};
    PGresult *r = ctl_exec(ctl,
                           "SELECT id, queue, state, attempts, to_char(updated_at, "
                           "'YYYY-MM-DD HH24:MI:SS'), coalesce(left(last_error, 60), '') "
                           "FROM jobs WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS "
                           "NULL OR queue = $2) ORDER BY id DESC LIMIT $3::int",
                           3, v);
    if (r == NULL)
        return 1;
    printf("%-10s %-8s %-8s %8s %-19s %s\n", "ID", "QUEUE", "STATE", "ATTEMPTS", "UPDATED",
           "LAST ERROR");
    for (int i = 0; i < PQntuples(r); i++)
        printf("%-10s %-8s %-8s %8s %-19s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
               PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5));
    PQclear(r);
    return 0;
}

static int jobs_show(struct ctl *ctl, const char *id)
{
    const char *v[] = {id};
    PGresult *r = ctl_exec(ctl, "SELECT row_to_json(j) FROM jobs j WHERE id = $1::bigint", 1, v);
    if (r == NULL)
        return 1;
    int rc = 0;
    if (PQntuples(r) == 0) {
        fprintf(stderr, "zikaoctl: no job %s\n", id);
        rc = 1;
    } else {
        printf("%s\n", PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    return rc;
}

static int jobs_retry(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {{"all-dead", no_argument, NULL, 'a'},
                                         {"queue", required_argument, NULL, 'q'},
                                         {NULL, 0, NULL, 0}};
    bool all = false;
    const char *queue = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "aq:", opts, NULL)) != -1) {
        if (ch == 'a')
            all = true;
        else if (ch == 'q')
            queue = optarg;
        else
            return 2;
    }
    const char *id = optind < argc ? argv[optind] : NULL;
    if (all == (id != NULL)) {
        fprintf(stderr, "usage: zikaoctl jobs retry ID | --all-dead [--queue Q]\n");
        return 2;
    }
    const char *v[] = {id, queue};
    PGresult *r = ctl_exec(ctl,
                           "UPDATE jobs SET state = 'queued', attempts = 0, not_before = now(), "
                           "locked_by = NULL, locked_until = NULL, "
                           "finished_at = NULL, updated_at = now() WHERE state = 'dead' AND "
                           "($1::bigint IS NULL OR id = $1::bigint) AND ($2::text IS NULL OR "
                           "queue = $2) RETURNING id, queue",
                           2, v);
    if (r == NULL)
        return 1;
    int n = PQntuples(r);
    if (n == 0) {
        fprintf(stderr, "zikaoctl: %s\n", id ? "no dead job with that id" : "no dead jobs");
        PQclear(r);
        return id ? 1 : 0;
    }
    int published = 0;
    for (int i = 0; i < n; i++) {
        /* Publish queue by queue (one row at a time keeps this simple). */
        const char *one[] = {PQgetvalue(r, i, 0)};
        PGresult *ids = ctl_exec(ctl, "SELECT $1::bigint", 1, one);
        if (ids) {
            published += jobs_publish(ctl, PQgetvalue(r, i, 1), ids);
            PQclear(ids);
        }
    }
    printf("%d job(s) queued again (%d published now%s)\n", n, published,
           published < n ? "; the sweeper publishes the rest" : "");
    PQclear(r);
    return 0;
}

static int jobs_enqueue(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {{"count", required_argument, NULL, 'n'},
                                         {"payload", required_argument, NULL, 'p'},
                                         {NULL, 0, NULL, 0}};
    const char *count = "1", *payload = "{}";
    int ch;
    while ((ch = getopt_long(argc, argv, "n:p:", opts, NULL)) != -1) {
        if (ch == 'n')
            count = optarg;
        else if (ch == 'p')
            payload = optarg;
        else
            return 2;
    }
    const char *queue = optind < argc ? argv[optind] : NULL;
    if (queue == NULL || !queue_name_valid(queue)) {
        fprintf(stderr, "usage: zikaoctl jobs enqueue QUEUE [--count N] [--payload JSON]\n");
        return 2;
    }
    const char *v[] = {queue, payload, count};
    PGresult *r = ctl_exec(ctl,
                           "INSERT INTO jobs (queue, payload) SELECT $1, $2::jsonb FROM "
                           "generate_series(1, $3::int) RETURNING id",
                           3, v);
    if (r == NULL)
        return 1;
    int published = jobs_publish(ctl, queue, r);
    printf("%d job(s) added to %s (%d published now)\n", PQntuples(r), queue, published);
    PQclear(r);
    return 0;
}

int ctl_jobs(struct ctl *ctl, int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: zikaoctl jobs stats | list | show ID | retry | enqueue\n");
        return 2;
    }
    const char *sub = argv[1];
    if (ctl_connect(ctl) < 0)
        return 1;
    optind = 0;
    if (strcmp(sub, "stats") == 0)
        return jobs_stats(ctl);
    if (strcmp(sub, "list") == 0)
        return jobs_list(ctl, argc - 1, argv + 1);
    if (strcmp(sub, "show") == 0 && argc == 3)
        return jobs_show(ctl, argv[2]);
    if (strcmp(sub, "retry") == 0)
        return jobs_retry(ctl, argc - 1, argv + 1);
    if (strcmp(sub, "enqueue") == 0)
        return jobs_enqueue(ctl, argc - 1, argv + 1);
    fprintf(stderr, "zikaoctl: unknown jobs command '%s'\n", sub);
    return 2;
}
