/*
 * alloc.c - allocation wrappers that abort on exhaustion (see alloc.h).
 */
#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void alloc_fail(size_t size)
{
    fprintf(stderr, "<2>out of memory allocating %zu bytes\n", size);
    abort();
}

void *zk_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        alloc_fail(size);
    return p;
}

void *zk_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        alloc_fail(n * size);
    return p;
}

void *zk_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (p == NULL)
        alloc_fail(size);
    return p;
}

char *zk_strdup(const char *s)
{
    return zk_strndup(s, strlen(s));
}

char *zk_strndup(const char *s, size_t n)
{
    char *p = zk_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
