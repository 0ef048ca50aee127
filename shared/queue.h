/*
 * queue.h - the job queue protocol both sides agree on: stream and group
 * names, the message layout, the queues that exist, and the retry backoff.
 *
 * A queue NAME has one Redis stream "zikao:q:NAME" read by the consumer group
 * "workers". Each message has one field, "job", whose value is the jobs.id
 * (decimal). The set "zikao:q:NAME:published" holds the ids that are in the
 * stream: publishing is XADD + SADD, and the worker that finishes a job (or
 * schedules its retry) removes it. The sweeper publishes every due job that
 * is not in the set, so a job whose XADD never happened, or that Redis lost
 * (FLUSHALL, a restart without its data), is published again.
 *
 * Acknowledged entries are deleted (XACK + XDEL), so a stream holds only
 * entries not yet done: nothing unacknowledged is ever trimmed away.
 */
#ifndef ZK_QUEUE_H
#define ZK_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#define QUEUE_GROUP     "workers"
#define QUEUE_KEY_MAX   64
#define QUEUE_FIELD_JOB "job"

/* The queues of zikao: the one list. Code names a queue by its macro; a
 * worker's queue (workers/jobs/job_registry.c) must be one of these, and
 * test_queue checks that every one of these has a worker's queue. */
#define QUEUE_PHOTO   "photo"
#define QUEUE_FACE    "face"
#define QUEUE_PAYMENT "payment"
#define QUEUE_PDF     "pdf"
#define QUEUE_SMS     "sms"  /* messages sent after their transaction (decision notices) */
#define QUEUE_CHSI    "chsi" /* prior-education authorisations (学信网): callbacks, simulator */
#define QUEUE_NOOP    "noop" /* tests and benchmarks */
extern const char *const queue_names[];
extern const size_t queue_count;

/* True when name is one of queue_names. */
int queue_known(const char *name);

/* Writes "zikao:q:NAME" into out. Returns 0, or -EINVAL for a bad name. */
int queue_stream_key(char *out, size_t outsz, const char *queue);
/* Writes "zikao:q:NAME:published" into out. */
int queue_published_key(char *out, size_t outsz, const char *queue);
/* Writes "zikao:q:NAME:stats" (hash of counters kept by the workers). */
int queue_stats_key(char *out, size_t outsz, const char *queue);
/*
 * Writes "zikao:q:NAME:workers": the workers consuming NAME report themselves
 * every QUEUE_WORKER_REPORT_MS in this sorted set (member: the consumer name
 * "host:pid", score: Unix time in ms of the report) and in the hash
 * "zikao:q:NAME:workers:info" (member -> "threads in_hand done failed"). A
 * worker whose report is older than QUEUE_WORKER_LIVE_MS is gone. (The
 * consumer group cannot tell: Redis 7.0 does not register a consumer whose
 * blocking reads found nothing, nor refresh its idle time.)
 */
int queue_workers_key(char *out, size_t outsz, const char *queue);
int queue_workers_info_key(char *out, size_t outsz, const char *queue);
#define QUEUE_WORKER_REPORT_MS 2000
#define QUEUE_WORKER_LIVE_MS   10000

/* Queue names: 1-32 characters of [a-z0-9_-], starting with a letter. */
int queue_name_valid(const char *queue);

/*
 * Delay before attempt number `attempts + 1` after `attempts` failures:
 * base * 2^(attempts-1), capped at max, with "equal jitter" (half fixed, half
 * random from rnd, a uniformly random 32-bit value) so that jobs failing
 * together do not retry together. Pure; never below base / 2.
 */
uint64_t queue_backoff_ms(int attempts, uint64_t base_ms, uint64_t max_ms, uint32_t rnd);

/* Latency buckets of the job duration histogram, in milliseconds. */
#define QUEUE_DURATION_BUCKETS 12
extern const unsigned queue_duration_bounds_ms[QUEUE_DURATION_BUCKETS];

#endif
