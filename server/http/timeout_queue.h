/*
 * timeout_queue.h - deadlines for many connections at the cost of a list.
 *
 * Each queue has one timeout, so appending at the tail keeps it sorted by
 * deadline: entering, leaving and expiring are O(1) per connection and a
 * periodic sweep only looks at the expired head. A node is in at most one
 * queue at a time. (After a reload that shortens a timeout the order can be
 * briefly inexact; an entry then expires at most one old timeout late.)
 */
#ifndef ZK_TIMEOUT_QUEUE_H
#define ZK_TIMEOUT_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

struct timeout_node {
    struct timeout_node *prev, *next;
    struct timeout_queue *queue; /* NULL when in none */
    uint64_t deadline;
};

struct timeout_queue {
    struct timeout_node *head, *tail;
    uint64_t timeout_ms;
    const char *name;
};

void timeout_queue_init(struct timeout_queue *q, const char *name, uint64_t timeout_ms);

/* Moves node to the tail of q with deadline now + q's timeout. */
void timeout_queue_touch(struct timeout_queue *q, struct timeout_node *node, uint64_t now);
/* Like touch, but keeps the old deadline if node is already in q. */
void timeout_queue_enter(struct timeout_queue *q, struct timeout_node *node, uint64_t now);
/* Takes node out of whatever queue holds it. */
void timeout_queue_leave(struct timeout_node *node);
/* Removes and returns the head if its deadline has passed, else NULL. */
struct timeout_node *timeout_queue_pop_expired(struct timeout_queue *q, uint64_t now);

#endif
