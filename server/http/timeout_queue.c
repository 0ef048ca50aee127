/*
 * timeout_queue.c - sorted-by-construction deadline lists (see the header).
 */
#include "timeout_queue.h"

#include <stddef.h>

void timeout_queue_init(struct timeout_queue *q, const char *name, uint64_t timeout_ms)
{
    q->head = q->tail = NULL;
    q->timeout_ms = timeout_ms;
    q->name = name;
}

void timeout_queue_leave(struct timeout_node *node)
{
    struct timeout_queue *q = node->queue;
    if (q == NULL)
        return;
    if (node->prev)
        node->prev->next = node->next;
    else
        q->head = node->next;
    if (node->next)
        node->next->prev = node->prev;
    else
        q->tail = node->prev;
    node->prev = node->next = NULL;
    node->queue = NULL;
}

void timeout_queue_touch(struct timeout_queue *q, struct timeout_node *node, uint64_t now)
{
    timeout_queue_leave(node);
    node->deadline = now + q->timeout_ms;
    node->queue = q;
    node->prev = q->tail;
    node->next = NULL;
    if (q->tail)
        q->tail->next = node;
    else
        q->head = node;
    q->tail = node;
}

void timeout_queue_enter(struct timeout_queue *q, struct timeout_node *node, uint64_t now)
{
    if (node->queue != q)
        timeout_queue_touch(q, node, now);
}

struct timeout_node *timeout_queue_pop_expired(struct timeout_queue *q, uint64_t now)
{
    struct timeout_node *node = q->head;
    if (node == NULL || node->deadline > now)
        return NULL;
    timeout_queue_leave(node);
    return node;
}
