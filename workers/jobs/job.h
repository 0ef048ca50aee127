/*
 * job.h - the handler API of zikao-worker: what a queue provides and what a
 * handler may do with a job.
 *
 * A job is handled in two steps so that idempotency is the easy path:
 *
 *   run(ctx, job)            the work itself (decode a photo, compare faces,
 *                            ask a payment provider, render a PDF). Outside
 *                            any transaction; may block and take long; must
 *                            not write business state.
 *   commit(ctx, job, conn)   writes the effects. conn is inside the ONE
 *                            transaction that also marks the job done, and
 *                            the job row is locked: if another worker already
 *                            finished this job, commit is never called.
 *
 * A message delivered twice, a worker killed after commit but before XACK, a
 * job reclaimed from a crashed worker: in every case the effects are written
 * at most once, and exactly once when the job ends `done`.
 *
 * Both steps return 0 on success or a negative value after job_fail(); a
 * failure is retried with backoff up to the queue's maximum, then the job is
 * `dead` with the error kept for `zikaoctl jobs show`.
 */
#ifndef ZK_JOB_H
#define ZK_JOB_H

#include "arena.h"
#include "config.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

struct job_ctx;

struct job {
    int64_t id;
    const char *queue;
    json_t *payload;     /* borrowed: valid until the job ends */
    int attempt;         /* 1 on the first run */
    struct arena *arena; /* freed when the job ends */
    void *thread_state;  /* from the queue's thread_init, per worker thread */
    void *data;          /* free for run() to hand over to commit() */
};

struct job_queue {
    const char *name;
    int (*run)(struct job_ctx *ctx, struct job *job);
    /* May be NULL when the job has no effects besides its result. */
    int (*commit)(struct job_ctx *ctx, struct job *job, PGconn *conn);
    /* Optional: the job has failed for the last time. Runs in the
     * transaction that marks it dead (in a savepoint: its failure is logged
     * and the job is dead all the same), so that the business row waiting
     * for the job can be told (e.g. an attempt that will never be checked). */
    int (*on_dead)(struct job_ctx *ctx, struct job *job, PGconn *conn);
    int max_attempts; /* 0: [jobs] max_attempts */
    int timeout_ms;   /* longest expected run; 0: [jobs] visibility_ms / 2 */
    /* Optional per-process set-up whose result every thread shares (e.g.
     * models that are read-only once loaded), and its tear-down after the
     * threads have ended. Runs before thread_init. */
    int (*process_init)(void **shared, const struct zk_config *cfg);
    void (*process_free)(void *shared);
    /* Optional per-thread set-up (e.g. connections) and tear-down; shared is
     * process_init's result (NULL without one). */
    int (*thread_init)(void **state, void *shared, const struct zk_config *cfg);
    void (*thread_free)(void *state);
};

/*
 * Upkeep a capability needs from the workers, whatever their queue (e.g.
 * deleting its data when its retention ends): every worker's keeper runs
 * each registered task (job_registry.c) 5 s after start and then every 10
 * minutes, on the keeper's own connection. Several workers run them at once:
 * a task must take its rows with SKIP LOCKED (or be harmless twice).
 */
struct sync_conns;
struct job_keeper_task {
    const char *name;
    void (*run)(struct sync_conns *conns, const struct zk_config *cfg);
};

/* The registered keeper tasks; *n receives their count. */
const struct job_keeper_task *const *job_keeper_tasks(size_t *n);

/* Stores result (reference stolen) in jobs.result when the job ends done. */
void job_set_result(struct job_ctx *ctx, json_t *result);

/* Records why the step failed; kept in jobs.last_error. Returns -1. */
int job_fail(struct job_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "host:pid" of this worker, for effects that record who applied them. */
const char *job_worker_name(const struct job_ctx *ctx);

/* True once the worker has been asked to stop: long runs may give up
 * (return job_fail) and the job is retried elsewhere. */
int job_stopping(const struct job_ctx *ctx);

/* The registered queues (workers/jobs/job_registry.c). NULL if unknown. */
const struct job_queue *job_queue_find(const char *name);
/* Writes the names of all registered queues, comma separated. */
void job_queue_list(char *out, size_t outsz);

#endif
