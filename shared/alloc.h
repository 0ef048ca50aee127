/*
 * alloc.h - the project's one policy for allocation failure.
 *
 * zikao does not try to limp on after malloc fails: every heap allocation in
 * product code goes through these wrappers, which abort the process with a
 * message when memory is exhausted. Callers may therefore treat the result as
 * never NULL. Worker processes are supervised and restarted; jobs in hand are
 * reclaimed from the stream, so aborting loses nothing durable.
 */
#ifndef ZK_ALLOC_H
#define ZK_ALLOC_H

#include <stddef.h>

/* Never returns NULL; aborts on exhaustion. */
void *zk_malloc(size_t size);
void *zk_calloc(size_t n, size_t size);
void *zk_realloc(void *ptr, size_t size);
char *zk_strdup(const char *s);
char *zk_strndup(const char *s, size_t n);

#endif
