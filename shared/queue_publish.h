/*
 * queue_publish.h - the server half of the outbox: after the transaction
 * that inserted jobs rows has committed, add their ids to the queue's stream
 * and to its "published" set (queue.h). PostgreSQL is not touched.
 *
 * Publishing can fail (Redis down, process killed right after COMMIT); that
 * loses nothing: the rows are committed, and a worker's sweeper publishes
 * every due job that is not in the published set. Never blocks.
 */
#ifndef ZK_QUEUE_PUBLISH_H
#define ZK_QUEUE_PUBLISH_H

#include <stdint.h>

struct redis_client;

/* published + failed == n. Called exactly once, possibly before
 * queue_publish returns (when Redis refuses everything at once). */
typedef void (*queue_publish_cb)(void *ud, int published, int failed);

/* Publishes n committed job ids of one queue. ids are copied; cb may be NULL. */
void queue_publish(struct redis_client *redis, const char *queue, const int64_t *ids, int n,
                   queue_publish_cb cb, void *ud);

/* SQL for handlers: inserts one job in their transaction.
 * Parameters: $1 queue, $2 payload (JSON text). Returns the id. */
#define QUEUE_INSERT_SQL "INSERT INTO jobs (queue, payload) VALUES ($1, $2::jsonb) RETURNING id"

#endif
