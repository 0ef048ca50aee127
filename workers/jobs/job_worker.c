/*
 * job_worker.c - consumers, keeper and signal handling of zikao-worker (see
 * job_worker.h). Owns struct worker, the per-process context, and every
 * thread's connections.
 *
 * Life of a message (stream entry "job=<id>"):
 *   1. XREADGROUP (or XAUTOCLAIM of a message idle longer than the
 *      visibility timeout: its consumer died).
 *   2. Claim in PostgreSQL: queued and due -> running, attempts + 1, under a
 *      lease (locked_by, locked_until). A job that is done, dead, not due, or
 *      running under someone else's live lease is not ours: ack and skip.
 *   3. run() the handler, while the keeper renews the message's claim and the
 *      lease.
 *   4. One transaction: lock the row; if the lease is still ours, commit()
 *      the effects and mark the job done. Else discard (someone took over).
 *   5. On failure: back to queued with not_before = now + backoff, or dead
 *      after max_attempts; the sweeper publishes it again when due.
 *   6. XACK + XDEL (+ SREM from the published set when done or retried). If
 *      the outcome could not be recorded (PostgreSQL gone), the message is
 *      left pending so that it is retried.
 *
 * Durability: worker sessions commit asynchronously (synchronous_commit =
 * off). A claim, a lease renewal or a failure record lost in a PostgreSQL
 * crash only makes a job run again; the done transaction alone, which carries
 * the effects, waits for the disk (SET LOCAL synchronous_commit = on).
 *
 * The service manager (sdnotify.h) hears from the signal-waiting thread:
 * READY=1 once the schema is checked and the threads run, WATCHDOG=1 from
 * its loop, STATUS= with jobs done, failed and in hand, RELOADING=1 ...
 * READY=1 around SIGHUP, STOPPING=1 at the first SIGTERM.
 */
#include "job_worker.h"
#include "alloc.h"
#include "build_info.h"
#include "schema_check.h"
#include "job_sync.h"
#include "log.h"
#include "queue.h"
#include "sdnotify.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define EXIT_CONFIG        78
#define WORKER_BLOCK_MS    1000
#define WORKER_PURGE_EVERY (10 * 60 * 1000)
#define SWEEP_BATCH        1000
#define WORKER_PG_OPTIONS  "-c synchronous_commit=off"
#define WORKER_STATUS_MS   2000

struct worker;

struct worker_thread {
    struct worker *w;
    int index;
    pthread_t tid;
    struct sync_conns conns;
    void *state;
    unsigned long long leases;
    /* The job in hand, read by the keeper under w->lock. */
    bool busy;
    int64_t job_id;
    char msg_id[48];
    char lease[160];
};

struct worker {
    struct zk_config cfg;
    const struct job_queue *q;
    const char *config_path;
    char consumer[128];
    char stream[QUEUE_KEY_MAX], published[QUEUE_KEY_MAX], stats[QUEUE_KEY_MAX];
    long long sweep_cursor; /* keeper: last job id the sweeper looked at */
    int max_attempts;
    atomic_int stopping;
    atomic_int threads_done;
    int nthreads;
    struct worker_thread *threads;
    void *shared; /* the queue's process_init result */
    pthread_mutex_t lock;
    pthread_t keeper;
    struct sync_conns kc;
    struct sdnotify sd;
    atomic_ullong jobs_done, jobs_failed; /* this process's runs, for STATUS= */
};

struct job_ctx {
    struct worker_thread *t;
    json_t *result;
    char error[1024];
};

/* ---- handler API ------------------------------------------------------------ */

void job_set_result(struct job_ctx *ctx, json_t *result)
{
    if (ctx->result)
        json_decref(ctx->result);
    ctx->result = result;
}

int job_fail(struct job_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->error, sizeof(ctx->error), fmt, ap);
    va_end(ap);
    return -1;
}

const char *job_worker_name(const struct job_ctx *ctx)
{
    return ctx->t->w->consumer;
}

int job_stopping(const struct job_ctx *ctx)
{
    return atomic_load(&ctx->t->w->stopping);
}

/* ---- small helpers ------------------------------------------------------------ */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Sleeps up to ms, waking early when the worker is told to stop. */
static void nap(struct worker *w, int ms)
{
    while (ms > 0 && !atomic_load(&w->stopping)) {
        int step = ms < 100 ? ms : 100;
        struct timespec ts = {0, (long)step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

static bool reply_is_error(const redisReply *r, const char *prefix)
{
    return r != NULL && r->type == REDIS_REPLY_ERROR &&
           (prefix == NULL || strncmp(r->str, prefix, strlen(prefix)) == 0);
}

/* Sends commands pipelined; returns how many got a non-error reply, or -1
 * when the connection failed. ok[i] (may be NULL) tells which. */
static int redis_pipeline(struct sync_conns *c, int n, const int *argc, const char **const *argv,
                          bool *ok)
{
    redisContext *r = sync_redis(c);
    if (r == NULL)
        return -1;
    for (int i = 0; i < n; i++)
        redisAppendCommandArgv(r, argc[i], argv[i], NULL);
    int good = 0;
    for (int i = 0; i < n; i++) {
        redisReply *rep = NULL;
        if (redisGetReply(r, (void **)&rep) != REDIS_OK || rep == NULL) {
            log_warn("redis: %s", r->errstr[0] ? r->errstr : "connection lost");
            redisFree(r);
            c->redis = NULL;
            return -1;
        }
        bool fine = rep->type != REDIS_REPLY_ERROR;
        if (!fine)
            log_debug("redis: %s", rep->str);
        if (ok)
            ok[i] = fine;
        good += fine;
        freeReplyObject(rep);
    }
    return good;
}

static void ensure_group(struct worker *w, struct sync_conns *c)
{
    const char *argv[] = {"XGROUP", "CREATE", w->stream, QUEUE_GROUP, "0", "MKSTREAM"};
    redisReply *r = sync_redis_argv(c, 0, 6, argv);
    if (r != NULL && r->type == REDIS_REPLY_ERROR && !reply_is_error(r, "BUSYGROUP"))
        log_warn("redis: cannot create consumer group of %s: %s", w->stream, r->str);
    if (r)
        freeReplyObject(r);
}

/* ---- one message --------------------------------------------------------------- */

enum outcome {
    OUTCOME_DONE,    /* effects committed, job done */
    OUTCOME_FAILED,  /* recorded as failed (retry or dead) */
    OUTCOME_SKIPPED, /* not ours to run */
    OUTCOME_UNKNOWN, /* could not record anything: leave the message pending */
};

static void thread_set_busy(struct worker_thread *t, int64_t id, const char *msg, const char *lease)
{
    pthread_mutex_lock(&t->w->lock);
    t->busy = id != 0;
    t->job_id = id;
    snprintf(t->msg_id, sizeof(t->msg_id), "%s", msg ? msg : "");
    snprintf(t->lease, sizeof(t->lease), "%s", lease ? lease : "");
    pthread_mutex_unlock(&t->w->lock);
}

/*
 * Acknowledges and deletes the entry, in one round trip with the stats of a
 * finished run. job_id (NULL for a skipped message) also leaves the published
 * set, so that the sweeper publishes it again if it is to be retried.
 */
static void ack_message(struct worker_thread *t, const char *msg_id, const char *job_id,
                        enum outcome o, bool dead, uint64_t ms)
{
    struct worker *w = t->w;
    char dur[24], bucket[8];
    snprintf(dur, sizeof(dur), "%" PRIu64, ms);
    int b = 0;
    while (b < QUEUE_DURATION_BUCKETS && ms > queue_duration_bounds_ms[b])
        b++;
    snprintf(bucket, sizeof(bucket), "b%d", b);
    const char *what = o == OUTCOME_DONE ? "done" : dead ? "dead" : "failed";
    const char *ack[] = {"XACK", w->stream, QUEUE_GROUP, msg_id};
    const char *del[] = {"XDEL", w->stream, msg_id};
    const char *srem[] = {"SREM", w->published, job_id};
    const char *c1[] = {"HINCRBY", w->stats, what, "1"};
    const char *c2[] = {"HINCRBY", w->stats, "duration_ms_sum", dur};
    const char *c3[] = {"HINCRBY", w->stats, bucket, "1"};
    const int argc[] = {4, 3, 3, 4, 4, 4};
    const char **const argv[] = {ack, del, srem, c1, c2, c3};
    (void)redis_pipeline(&t->conns, job_id ? 6 : 2, argc, argv, NULL);
}

/* Step 4: the one transaction that marks the job done and writes its effects.
 * The UPDATE both checks that the lease is still ours and locks the row; if
 * commit() fails, the rollback undoes the done mark too. */
static enum outcome job_finish_done(struct worker_thread *t, struct job_ctx *ctx, struct job *job,
                                    const char *lease)
{
    struct worker *w = t->w;
    char id[24];
    snprintf(id, sizeof(id), "%" PRId64, job->id);
    if (sync_pg(&t->conns) == NULL)
        return OUTCOME_UNKNOWN;
    /* The one commit that must be durable before the message is acked. */
    PGresult *r = sync_exec(&t->conns, "BEGIN; SET LOCAL synchronous_commit = on", 0, NULL);
    if (r == NULL)
        return OUTCOME_UNKNOWN;
    PQclear(r);
    char *result = ctx->result ? json_dumps(ctx->result, JSON_COMPACT) : NULL;
    const char *v[] = {id, lease, result};
    r = sync_exec(&t->conns,
                  "UPDATE jobs SET state = 'done', result = $3::jsonb, last_error = NULL, "
                  "locked_by = NULL, locked_until = NULL, finished_at = now(), updated_at = now() "
                  "WHERE id = $1 AND state = 'running' AND locked_by = $2 RETURNING id",
                  3, v);
    free(result);
    if (r == NULL)
        goto failed_or_unknown;
    bool ours = PQntuples(r) == 1;
    PQclear(r);
    if (!ours) {
        log_warn("job %s: the claim was lost (another worker took it over); this run's "
                 "result is discarded",
                 id);
        PQclear(sync_exec(&t->conns, "ROLLBACK", 0, NULL));
        return OUTCOME_SKIPPED;
    }
    if (w->q->commit != NULL && w->q->commit(ctx, job, t->conns.pg) < 0) {
        PQclear(sync_exec(&t->conns, "ROLLBACK", 0, NULL));
        return OUTCOME_FAILED;
    }
    r = sync_exec(&t->conns, "COMMIT", 0, NULL);
    if (r == NULL)
        goto failed_or_unknown;
    PQclear(r);
    return OUTCOME_DONE;

failed_or_unknown:
    if (t->conns.pg == NULL)
        return OUTCOME_UNKNOWN;
    snprintf(ctx->error, sizeof(ctx->error), "recording the result failed: %s",
             PQerrorMessage(t->conns.pg));
    PQclear(sync_exec(&t->conns, "ROLLBACK", 0, NULL));
    return OUTCOME_FAILED;
}

/* Step 5: back to queued with backoff, or dead. Returns OUTCOME_FAILED, or
 * OUTCOME_UNKNOWN if PostgreSQL could not record it. *dead tells which. */
static enum outcome job_finish_failed(struct worker_thread *t, struct job_ctx *ctx, struct job *job,
                                      const char *lease, bool *dead)
{
    struct worker *w = t->w;
    uint32_t rnd = 0;
    if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        rnd = (uint32_t)now_ms();
    uint64_t delay = queue_backoff_ms(job->attempt, (uint64_t)w->cfg.jobs_backoff_base_ms,
                                      (uint64_t)w->cfg.jobs_backoff_max_ms, rnd);
    char id[24], max[16], delay_s[32];
    snprintf(id, sizeof(id), "%" PRId64, job->id);
    snprintf(max, sizeof(max), "%d", w->max_attempts);
    snprintf(delay_s, sizeof(delay_s), "%.3f", (double)delay / 1000.0);
    if (ctx->error[0] == '\0')
        snprintf(ctx->error, sizeof(ctx->error), "the handler failed without saying why");
    const char *v[] = {id, lease, max, delay_s, ctx->error};
    bool hook = w->q->on_dead != NULL;
    if (hook) {
        PGresult *b = sync_exec(&t->conns, "BEGIN", 0, NULL);
        if (b == NULL)
            return OUTCOME_UNKNOWN;
        PQclear(b);
    }
    PGresult *r = sync_exec(
        &t->conns,
        "UPDATE jobs SET state = CASE WHEN attempts >= $3::int THEN 'dead' ELSE 'queued' END, "
        "not_before = now() + make_interval(secs => $4::float8), last_error = $5, "
        "locked_by = NULL, locked_until = NULL, "
        "finished_at = CASE WHEN attempts >= $3::int THEN now() END, updated_at = now() "
        "WHERE id = $1 AND locked_by = $2 RETURNING state",
        5, v);
    if (r == NULL) {
        if (hook && t->conns.pg != NULL)
            PQclear(sync_exec(&t->conns, "ROLLBACK", 0, NULL));
        return OUTCOME_UNKNOWN;
    }
    *dead = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "dead") == 0;
    if (PQntuples(r) == 1)
        log_msg(*dead ? LOG_LEVEL_ERR : LOG_LEVEL_WARNING, NULL, "job %s attempt %d failed%s: %s",
                id, job->attempt, *dead ? "; no attempts left, the job is dead" : "; will retry",
                ctx->error);
    PQclear(r);
    if (hook) {
        if (*dead) {
            PQclear(sync_exec(&t->conns, "SAVEPOINT on_dead", 0, NULL));
            if (w->q->on_dead(ctx, job, t->conns.pg) < 0) {
                log_err("job %s: telling its subject that it is dead failed: %s", id, ctx->error);
                PQclear(sync_exec(&t->conns, "ROLLBACK TO SAVEPOINT on_dead", 0, NULL));
            }
        }
        PGresult *c = sync_exec(&t->conns, "COMMIT", 0, NULL);
        if (c == NULL)
            return OUTCOME_UNKNOWN;
        PQclear(c);
    }
    return OUTCOME_FAILED;
}

/* Steps 2-6 for one message. */
static void handle_message(struct worker_thread *t, const char *msg_id, const char *job_field)
{
    struct worker *w = t->w;
    char *end = NULL;
    long long id_val = job_field ? strtoll(job_field, &end, 10) : 0;
    if (job_field == NULL || *end != '\0' || id_val <= 0) {
        log_warn("%s: message %s has no valid job id; dropped", w->stream, msg_id);
        ack_message(t, msg_id, NULL, OUTCOME_SKIPPED, false, 0);
        return;
    }
    char id[24], lease[160], vis[24];
    snprintf(id, sizeof(id), "%lld", id_val);
    snprintf(lease, sizeof(lease), "%s/%d/%llu", w->consumer, t->index, ++t->leases);
    snprintf(vis, sizeof(vis), "%.3f", (double)w->cfg.jobs_visibility_ms / 1000.0);
    const char *v[] = {id, lease, vis, w->q->name};
    PGresult *r = NULL;
    while ((r = sync_exec(
                &t->conns,
                "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $2, "
                "locked_until = now() + make_interval(secs => $3::float8), started_at = now(), "
                "updated_at = now() WHERE id = $1 AND queue = $4 AND ((state = 'queued' AND "
                "not_before <= now()) OR (state = 'running' AND locked_until < now())) "
                "RETURNING payload::text, attempts",
                4, v)) == NULL) {
        if (atomic_load(&w->stopping))
            return; /* left pending: reclaimed later */
        nap(w, 1000);
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        log_debug("job %s: not runnable here (done, dead, not due, or held); skipped", id);
        ack_message(t, msg_id, NULL, OUTCOME_SKIPPED, false, 0);
        return;
    }
    struct arena arena;
    arena_init(&arena, 4096);
    struct job job = {
        .id = id_val,
        .queue = w->q->name,
        .attempt = atoi(PQgetvalue(r, 0, 1)),
        .arena = &arena,
        .thread_state = t->state,
    };
    json_error_t jerr;
    job.payload = json_loads(PQgetvalue(r, 0, 0), 0, &jerr);
    PQclear(r);
    if (job.payload == NULL)
        job.payload = json_object();
    thread_set_busy(t, job.id, msg_id, lease);

    struct job_ctx ctx = {.t = t};
    uint64_t t0 = now_ms();
    log_debug("job %s attempt %d started", id, job.attempt);
    enum outcome o =
        w->q->run(&ctx, &job) == 0 ? job_finish_done(t, &ctx, &job, lease) : OUTCOME_FAILED;
    bool dead = false;
    if (o == OUTCOME_FAILED)
        o = job_finish_failed(t, &ctx, &job, lease, &dead);
    uint64_t ms = now_ms() - t0;
    if (o == OUTCOME_DONE)
        atomic_fetch_add(&w->jobs_done, 1);
    else if (o == OUTCOME_FAILED)
        atomic_fetch_add(&w->jobs_failed, 1);
    if (o == OUTCOME_UNKNOWN) {
        log_warn("job %s: PostgreSQL unreachable; its outcome is not recorded and the message "
                 "stays pending, to be retried",
                 id);
    } else {
        ack_message(t, msg_id, o == OUTCOME_SKIPPED ? NULL : id, o, dead, ms);
        if (o == OUTCOME_DONE)
            log_msg(LOG_LEVEL_INFO, NULL, "job %s done in %" PRIu64 " ms", id, ms);
    }
    thread_set_busy(t, 0, NULL, NULL);
    if (ctx.result)
        json_decref(ctx.result);
    json_decref(job.payload);
    arena_destroy(&arena);
}

/* Finds "job" in a stream entry [id, [field, value, ...]] and handles it. */
static void handle_entry(struct worker_thread *t, const redisReply *entry)
{
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
        entry->element[0]->type != REDIS_REPLY_STRING)
        return;
    const char *msg_id = entry->element[0]->str;
    const redisReply *fields = entry->element[1];
    const char *job = NULL;
    if (fields->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i + 1 < fields->elements; i += 2)
            if (strcmp(fields->element[i]->str, QUEUE_FIELD_JOB) == 0)
                job = fields->element[i + 1]->str;
    handle_message(t, msg_id, job);
}

/* Takes over one message whose consumer stopped renewing it. */
static bool reclaim_one(struct worker_thread *t)
{
    struct worker *w = t->w;
    char idle[16];
    snprintf(idle, sizeof(idle), "%d", w->cfg.jobs_visibility_ms);
    const char *argv[] = {"XAUTOCLAIM", w->stream, QUEUE_GROUP, w->consumer,
                          idle,         "0-0",     "COUNT",     "1"};
    redisReply *r = sync_redis_argv(&t->conns, 0, 8, argv);
    bool got = false;
    if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements >= 2 &&
        r->element[1]->type == REDIS_REPLY_ARRAY && r->element[1]->elements > 0) {
        const redisReply *e = r->element[1]->element[0];
        if (e->type == REDIS_REPLY_ARRAY && e->elements == 2 && e->element[0]->str != NULL) {
            log_notice("%s: took over message %s from a consumer that stopped", w->stream,
                       e->element[0]->str);
            handle_entry(t, e);
            got = true;
        }
    } else if (reply_is_error(r, "NOGROUP")) {
        ensure_group(w, &t->conns);
    }
    if (r)
        freeReplyObject(r);
    return got;
}

static void *consumer_main(void *arg)
{
    struct worker_thread *t = arg;
    struct worker *w = t->w;
    char block[16];
    snprintf(block, sizeof(block), "%d", WORKER_BLOCK_MS);
    const char *argv[] = {"XREADGROUP", "GROUP", QUEUE_GROUP, w->consumer, "COUNT", "1",
                          "BLOCK",      block,   "STREAMS",   w->stream,   ">"};
    while (!atomic_load(&w->stopping)) {
        redisReply *r = sync_redis_argv(&t->conns, WORKER_BLOCK_MS, 11, argv);
        if (r == NULL) {
            nap(w, 500);
            continue;
        }
        if (r->type == REDIS_REPLY_ERROR) {
            if (reply_is_error(r, "NOGROUP"))
                ensure_group(w, &t->conns);
            else
                log_warn("redis: %s", r->str);
            freeReplyObject(r);
            nap(w, 200);
            continue;
        }
        if (r->type == REDIS_REPLY_NIL || r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
            freeReplyObject(r);
            if (!atomic_load(&w->stopping))
                reclaim_one(t);
            continue;
        }
        const redisReply *stream = r->element[0];
        if (stream->type == REDIS_REPLY_ARRAY && stream->elements == 2) {
            const redisReply *entries = stream->element[1];
            for (size_t i = 0; i < entries->elements; i++)
                handle_entry(t, entries->element[i]);
        }
        freeReplyObject(r);
    }
    atomic_fetch_add(&w->threads_done, 1);
    return NULL;
}

/* ---- the keeper: claims, sweeper, retention --------------------------------------- */

static void keeper_renew_claims(struct worker *w)
{
    char vis[24];
    snprintf(vis, sizeof(vis), "%.3f", (double)w->cfg.jobs_visibility_ms / 1000.0);
    for (int i = 0; i < w->nthreads; i++) {
        char msg[48], lease[160], id[24];
        pthread_mutex_lock(&w->lock);
        bool busy = w->threads[i].busy;
        snprintf(msg, sizeof(msg), "%s", w->threads[i].msg_id);
        snprintf(lease, sizeof(lease), "%s", w->threads[i].lease);
        snprintf(id, sizeof(id), "%" PRId64, w->threads[i].job_id);
        pthread_mutex_unlock(&w->lock);
        if (!busy)
            continue;
        /* XCLAIM to ourselves resets the message's idle time. */
        const char *argv[] = {"XCLAIM", w->stream, QUEUE_GROUP, w->consumer, "0", msg, "JUSTID"};
        redisReply *r = sync_redis_argv(&w->kc, 0, 7, argv);
        if (r)
            freeReplyObject(r);
        const char *v[] = {id, lease, vis};
        PGresult *p = sync_exec(&w->kc,
                                "UPDATE jobs SET locked_until = now() + make_interval(secs => "
                                "$3::float8) WHERE id = $1 AND locked_by = $2",
                                3, v);
        if (p)
            PQclear(p);
    }
}

/*
 * Publishes due jobs that Redis does not hold: queued and due (past the grace
 * period, or waiting for a retry), or running under an expired lease, and
 * absent from the published set. Walks the unfinished jobs with a cursor, one
 * batch per sweep, so that a deep backlog is covered too.
 */
static void keeper_sweep(struct worker *w)
{
    char grace[24], cursor[24], limit[16];
    snprintf(grace, sizeof(grace), "%.3f", (double)w->cfg.jobs_publish_grace_ms / 1000.0);
    snprintf(cursor, sizeof(cursor), "%lld", w->sweep_cursor);
    snprintf(limit, sizeof(limit), "%d", SWEEP_BATCH);
    const char *v[] = {w->q->name, grace, cursor, limit};
    PGresult *p = sync_exec(
        &w->kc,
        "SELECT id FROM jobs WHERE queue = $1 AND state IN ('queued', 'running') AND id > "
        "$3::bigint AND ((state = 'queued' AND not_before <= now() AND (attempts > 0 OR "
        "created_at < now() - make_interval(secs => $2::float8))) OR (state = 'running' AND "
        "locked_until < now() - make_interval(secs => $2::float8))) ORDER BY id LIMIT $4::int",
        4, v);
    if (p == NULL)
        return;
    int n = PQntuples(p);
    w->sweep_cursor = n < SWEEP_BATCH ? 0 : atoll(PQgetvalue(p, n - 1, 0));
    if (n == 0) {
        PQclear(p);
        return;
    }
    /* Which of them does Redis know? */
    const char **argv = zk_malloc(sizeof(*argv) * (size_t)(n + 2));
    argv[0] = "SMISMEMBER";
    argv[1] = w->published;
    for (int i = 0; i < n; i++)
        argv[i + 2] = PQgetvalue(p, i, 0);
    redisReply *known = sync_redis_argv(&w->kc, 0, n + 2, argv);
    free(argv);
    if (known == NULL || known->type != REDIS_REPLY_ARRAY || known->elements != (size_t)n) {
        if (known)
            freeReplyObject(known);
        PQclear(p);
        return;
    }
    /* MULTI / SADD / XADD / EXEC for each missing one, pipelined. */
    int missing = 0;
    for (int i = 0; i < n; i++)
        missing += known->element[i]->integer == 0;
    if (missing > 0) {
        int ncmd = missing * 4, k = 0;
        const char ***cmds = zk_malloc(sizeof(*cmds) * (size_t)ncmd);
        int *argc = zk_malloc(sizeof(*argc) * (size_t)ncmd);
        const char **words = zk_malloc(sizeof(*words) * (size_t)missing * 11);
        int wi = 0;
        for (int i = 0; i < n; i++) {
            if (known->element[i]->integer != 0)
                continue;
            const char *id = PQgetvalue(p, i, 0);
            const char **m = &words[wi];
            const char *tmpl[10] = {"MULTI",   "SADD", w->published,    id, "XADD",
                                    w->stream, "*",    QUEUE_FIELD_JOB, id, "EXEC"};
            memcpy(m, tmpl, sizeof(tmpl));
            wi += 11;
            static const int offsets[4] = {0, 1, 4, 9}, counts[4] = {1, 3, 5, 1};
            for (int c = 0; c < 4; c++) {
                cmds[k] = &m[offsets[c]];
                argc[k++] = counts[c];
            }
        }
        int good = redis_pipeline(&w->kc, ncmd, argc, (const char **const *)cmds, NULL);
        if (good == ncmd)
            log_info("%s: sweeper published %d job(s) Redis did not hold", w->stream, missing);
        free(words);
        free(argc);
        free(cmds);
    }
    freeReplyObject(known);
    PQclear(p);
}

/*
 * Photos replaced before any verification used them (files_unreferenced,
 * recorded by the upload that replaced them): deleted once due, unless
 * something refers to them by now. Every worker runs it; SKIP LOCKED keeps
 * them out of each other's way.
 */
static void keeper_purge_files(struct worker *w)
{
    char hours[16];
    snprintf(hours, sizeof(hours), "%d", w->cfg.jobs_unreferenced_file_hours);
    const char *v[] = {hours};
    PGresult *p = sync_exec(
        &w->kc,
        "WITH due AS (DELETE FROM files_unreferenced WHERE file_id IN (SELECT file_id FROM "
        "files_unreferenced WHERE since < now() - make_interval(hours => $1::int) ORDER BY since "
        "LIMIT 1000 FOR UPDATE SKIP LOCKED) RETURNING file_id) "
        "DELETE FROM files f USING due WHERE f.id = due.file_id "
        "AND NOT EXISTS (SELECT 1 FROM file_references r WHERE r.file_id = f.id)",
        1, v);
    if (p == NULL)
        return;
    if (atoi(PQcmdTuples(p)) > 0)
        log_notice("%s: deleted %s replaced photo(s) nothing refers to", w->q->name,
                   PQcmdTuples(p));
    PQclear(p);
}

static uint64_t unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* This worker's report for operators (queue.h: queue_workers_key), or its
 * removal when it leaves; reports older than an hour are pruned. */
static void keeper_report(struct worker *w, bool leaving)
{
    char set[QUEUE_KEY_MAX], info[QUEUE_KEY_MAX], at[24], what[96];
    if (queue_workers_key(set, sizeof(set), w->q->name) < 0 ||
        queue_workers_info_key(info, sizeof(info), w->q->name) < 0)
        return;
    int in_hand = 0;
    pthread_mutex_lock(&w->lock);
    for (int i = 0; i < w->nthreads; i++)
        in_hand += w->threads[i].busy;
    pthread_mutex_unlock(&w->lock);
    snprintf(at, sizeof(at), "%llu", (unsigned long long)unix_ms());
    snprintf(what, sizeof(what), "%d %d %llu %llu", w->nthreads, in_hand,
             (unsigned long long)atomic_load(&w->jobs_done),
             (unsigned long long)atomic_load(&w->jobs_failed));
    const char *add[] = {"ZADD", set, at, w->consumer};
    const char *put[] = {"HSET", info, w->consumer, what};
    const char *rem[] = {"ZREM", set, w->consumer};
    const char *del[] = {"HDEL", info, w->consumer};
    const int argc[] = {4, 4};
    const int argc_gone[] = {3, 3};
    const char **cmds[] = {add, put};
    const char **gone[] = {rem, del};
    (void)redis_pipeline(&w->kc, 2, leaving ? argc_gone : argc,
                         (const char **const *)(leaving ? gone : cmds), NULL);
}

static void keeper_prune_reports(struct worker *w)
{
    char set[QUEUE_KEY_MAX], info[QUEUE_KEY_MAX], before[24];
    if (queue_workers_key(set, sizeof(set), w->q->name) < 0 ||
        queue_workers_info_key(info, sizeof(info), w->q->name) < 0)
        return;
    snprintf(before, sizeof(before), "%llu", (unsigned long long)(unix_ms() - 3600 * 1000ULL));
    const char *argv[] = {"ZRANGEBYSCORE", set, "-inf", before};
    redisReply *r = sync_redis_argv(&w->kc, 0, 4, argv);
    for (size_t i = 0; r != NULL && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const char *name = r->element[i]->str;
        const char *rem[] = {"ZREM", set, name};
        const char *del[] = {"HDEL", info, name};
        const int argc[] = {3, 3};
        const char **cmds[] = {rem, del};
        (void)redis_pipeline(&w->kc, 2, argc, (const char **const *)cmds, NULL);
    }
    if (r)
        freeReplyObject(r);
}

static void keeper_purge(struct worker *w)
{
    char days[16], dead_days[16];
    snprintf(days, sizeof(days), "%d", w->cfg.jobs_retention_days);
    snprintf(dead_days, sizeof(dead_days), "%d", w->cfg.jobs_dead_retention_days);
    const char *v1[] = {w->q->name, days};
    PGresult *p = sync_exec(&w->kc,
                            "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE queue = $1 "
                            "AND state = 'done' AND finished_at < now() - make_interval(days => "
                            "$2::int) LIMIT 5000)",
                            2, v1);
    if (p != NULL) {
        if (atoi(PQcmdTuples(p)) > 0)
            log_notice("%s: purged %s done job(s) older than %s days", w->q->name, PQcmdTuples(p),
                       days);
        PQclear(p);
    }
    const char *v2[] = {w->q->name, dead_days};
    p = sync_exec(&w->kc,
                  "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE queue = $1 AND state = "
                  "'dead' AND updated_at < now() - make_interval(days => $2::int) LIMIT 5000)",
                  2, v2);
    if (p)
        PQclear(p);
    keeper_purge_files(w);
    size_t ntasks;
    const struct job_keeper_task *const *tasks = job_keeper_tasks(&ntasks);
    for (size_t i = 0; i < ntasks; i++)
        tasks[i]->run(&w->kc, &w->cfg);
    keeper_prune_reports(w);
    /* Forget consumers of processes long gone that hold nothing. */
    const char *info[] = {"XINFO", "CONSUMERS", w->stream, QUEUE_GROUP};
    redisReply *r = sync_redis_argv(&w->kc, 0, 4, info);
    if (r != NULL && r->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i < r->elements; i++) {
            const redisReply *c = r->element[i];
            const char *name = NULL;
            long long pending = -1, idle = 0;
            for (size_t k = 0; c->type == REDIS_REPLY_ARRAY && k + 1 < c->elements; k += 2) {
                const char *f = c->element[k]->str;
                const redisReply *val = c->element[k + 1];
                if (strcmp(f, "name") == 0)
                    name = val->str;
                else if (strcmp(f, "pending") == 0)
                    pending = val->integer;
                else if (strcmp(f, "idle") == 0)
                    idle = val->integer;
            }
            if (name != NULL && pending == 0 && idle > 3600 * 1000LL &&
                strcmp(name, w->consumer) != 0) {
                const char *del[] = {"XGROUP", "DELCONSUMER", w->stream, QUEUE_GROUP, name};
                redisReply *d = sync_redis_argv(&w->kc, 0, 5, del);
                if (d)
                    freeReplyObject(d);
            }
        }
    }
    if (r)
        freeReplyObject(r);
}

static void *keeper_main(void *arg)
{
    struct worker *w = arg;
    uint64_t renew_every = (uint64_t)w->cfg.jobs_visibility_ms / 3;
    if (renew_every < 50)
        renew_every = 50;
    uint64_t next_renew = now_ms() + renew_every, next_sweep = 0, next_purge = now_ms() + 5000;
    uint64_t next_report = 0;
    /* Runs until every consumer has finished its job in hand. */
    while (atomic_load(&w->threads_done) < w->nthreads) {
        uint64_t now = now_ms();
        if (now >= next_report) {
            keeper_report(w, false);
            next_report = now + QUEUE_WORKER_REPORT_MS;
        }
        if (now >= next_renew) {
            keeper_renew_claims(w);
            next_renew = now + renew_every;
        }
        if (!atomic_load(&w->stopping) && now >= next_sweep) {
            keeper_sweep(w);
            next_sweep = now_ms() + (uint64_t)w->cfg.jobs_sweep_interval_ms;
        }
        if (!atomic_load(&w->stopping) && now >= next_purge) {
            keeper_purge(w);
            next_purge = now_ms() + WORKER_PURGE_EVERY;
        }
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    keeper_report(w, true);
    return NULL;
}

/* ---- start-up and signals ------------------------------------------------------------ */

/* Waits for PostgreSQL and checks the schema. Returns 0, EXIT_CONFIG, or 1
 * when stopped while waiting. */
static int worker_check_schema(struct worker *w, const sigset_t *sigs)
{
    for (bool waited = false;; waited = true) {
        PGresult *r = sync_exec(&w->kc, SCHEMA_CHECK_SQL, 0, NULL);
        if (r != NULL) {
            int applied = atoi(PQgetvalue(r, 0, 1));
            PQclear(r);
            if (applied < ZIKAO_SCHEMA_COUNT) {
                log_err("the database schema lacks %d of the %d migrations this worker needs: "
                        "run `zikaoctl migrate`",
                        ZIKAO_SCHEMA_COUNT - applied, ZIKAO_SCHEMA_COUNT);
                return EXIT_CONFIG;
            }
            return 0;
        }
        if (!waited)
            sdnotify_send(&w->sd, "STATUS=waiting for PostgreSQL");
        sdnotify_send(&w->sd, "WATCHDOG=1");
        struct timespec ts = {1, 0};
        int sig = sigtimedwait(sigs, NULL, &ts);
        if (sig == SIGTERM || sig == SIGINT)
            return 1;
    }
}

/* STATUS= line: what this process has done and holds. */
static void worker_status(struct worker *w, const char *state)
{
    int in_hand = 0;
    pthread_mutex_lock(&w->lock);
    for (int i = 0; i < w->nthreads; i++)
        in_hand += w->threads[i].busy;
    pthread_mutex_unlock(&w->lock);
    sdnotify_send(
        &w->sd, "STATUS=%s queue %s: %d thread(s), %d job(s) in hand, %llu done, %llu failed",
        state, w->q->name, w->nthreads, in_hand, (unsigned long long)atomic_load(&w->jobs_done),
        (unsigned long long)atomic_load(&w->jobs_failed));
}

int job_worker_run(const struct zk_config *cfg, const struct job_queue *q, const char *config_path)
{
    struct worker *w = zk_calloc(1, sizeof(*w));
    int rc = 0;
    w->cfg = *cfg;
    w->q = q;
    w->config_path = config_path;
    w->max_attempts = q->max_attempts > 0 ? q->max_attempts : cfg->jobs_max_attempts;
    w->nthreads = cfg->jobs_concurrency;
    char host[64] = "localhost";
    gethostname(host, sizeof(host) - 1);
    snprintf(w->consumer, sizeof(w->consumer), "%s:%d", host, (int)getpid());
    queue_stream_key(w->stream, sizeof(w->stream), q->name);
    queue_published_key(w->published, sizeof(w->published), q->name);
    queue_stats_key(w->stats, sizeof(w->stats), q->name);
    pthread_mutex_init(&w->lock, NULL);
    w->kc.cfg = &w->cfg;
    w->kc.application_name = "zikao-worker";
    w->kc.options = WORKER_PG_OPTIONS;

    /* Signals go to this thread only (sigtimedwait); threads inherit the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    if (sdnotify_init(&w->sd) < 0)
        log_warn("NOTIFY_SOCKET is unusable: the service manager will not hear from us");

    rc = worker_check_schema(w, &sigs);
    if (rc != 0) {
        rc = rc == 1 ? 0 : rc;
        goto out;
    }
    ensure_group(w, &w->kc);

    if (q->process_init != NULL && q->process_init(&w->shared, &w->cfg) < 0) {
        log_err("queue %s: worker set-up failed; not consuming", q->name);
        rc = 1;
        goto out;
    }
    w->threads = zk_calloc((size_t)w->nthreads, sizeof(*w->threads));
    for (int i = 0; i < w->nthreads; i++) {
        struct worker_thread *t = &w->threads[i];
        t->w = w;
        t->index = i;
        t->conns.cfg = &w->cfg;
        t->conns.application_name = "zikao-worker";
        t->conns.options = WORKER_PG_OPTIONS;
        if (q->thread_init != NULL && q->thread_init(&t->state, w->shared, &w->cfg) < 0) {
            /* A worker that cannot do its work must not look started: the
             * service manager restarts it and the log says why. */
            log_err("queue %s: worker thread set-up failed; not consuming", q->name);
            for (int j = 0; j < i; j++)
                if (q->thread_free != NULL)
                    q->thread_free(w->threads[j].state);
            rc = 1;
            goto out;
        }
    }
    for (int i = 0; i < w->nthreads; i++)
        pthread_create(&w->threads[i].tid, NULL, consumer_main, &w->threads[i]);
    pthread_create(&w->keeper, NULL, keeper_main, w);
    log_notice("consuming queue %s as %s with %d thread(s)", q->name, w->consumer, w->nthreads);
    sdnotify_send(&w->sd, "READY=1");

    uint64_t ping_ms = sdnotify_watchdog_ping_ms(&w->sd), next_ping = 0, next_status = 0;
    while (atomic_load(&w->threads_done) < w->nthreads) {
        uint64_t now = now_ms();
        if (ping_ms > 0 && now >= next_ping) {
            sdnotify_send(&w->sd, "WATCHDOG=1");
            next_ping = now + ping_ms;
        }
        if (now >= next_status) {
            worker_status(w, atomic_load(&w->stopping) ? "stopping:" : "consuming");
            next_status = now + WORKER_STATUS_MS;
        }
        long wait_ms = ping_ms > 0 && ping_ms < 400 ? (long)ping_ms / 2 + 1 : 200;
        struct timespec ts = {0, wait_ms * 1000000L};
        int sig = sigtimedwait(&sigs, NULL, &ts);
        if (sig == SIGHUP) {
            struct zk_config fresh;
            char err[512];
            sdnotify_send(&w->sd, "RELOADING=1");
            if (config_load(&fresh, w->config_path, err, sizeof(err)) == 0)
                log_set_level(log_level_parse(fresh.log_level));
            else
                log_err("reload refused: %s", err);
            sdnotify_send(&w->sd, "READY=1");
        } else if (sig == SIGTERM || sig == SIGINT) {
            if (atomic_load(&w->stopping)) {
                log_warn("second stop signal: exiting now; jobs in hand will be reclaimed");
                _exit(1);
            }
            log_notice("stopping: finishing the jobs in hand");
            atomic_store(&w->stopping, 1);
            sdnotify_send(&w->sd, "STOPPING=1");
            next_status = 0;
        }
    }
    for (int i = 0; i < w->nthreads; i++)
        pthread_join(w->threads[i].tid, NULL);
    pthread_join(w->keeper, NULL);
    for (int i = 0; i < w->nthreads; i++) {
        if (q->thread_free != NULL)
            q->thread_free(w->threads[i].state);
        sync_close(&w->threads[i].conns);
    }
    log_notice("stopped");
out:
    if (w->shared != NULL && q->process_free != NULL)
        q->process_free(w->shared);
    sdnotify_close(&w->sd);
    sync_close(&w->kc);
    free(w->threads);
    pthread_mutex_destroy(&w->lock);
    free(w);
    return rc;
}
