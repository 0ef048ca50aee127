/*
 * job_worker.h - one zikao-worker process consuming one queue.
 *
 * Threads: `concurrency` consumers (XREADGROUP, claim, run, commit, XACK) and
 * one keeper that renews the claims of running jobs (XCLAIM + lease in
 * PostgreSQL), runs the outbox sweeper and purges old jobs. The calling
 * thread waits for signals: the first SIGTERM/SIGINT lets the jobs in hand
 * finish and returns 0; a second one exits at once (the jobs are reclaimed
 * by other consumers after the visibility timeout).
 */
#ifndef ZK_JOB_WORKER_H
#define ZK_JOB_WORKER_H

#include "config.h"
#include "job.h"

/* Runs until stopped. Returns the process exit status (78: schema too old). */
int job_worker_run(const struct zk_config *cfg, const struct job_queue *q, const char *config_path);

#endif
