/*
 * arena.c - chunked bump allocator (see arena.h for the contract).
 */
#include "arena.h"
#include "alloc.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
    struct arena_chunk *next;
    size_t size; /* usable bytes in data[] */
    size_t used;
    alignas(max_align_t) unsigned char data[];
};

struct arena_cleanup {
    struct arena_cleanup *next;
    void (*fn)(void *);
    void *arg;
};

#define ARENA_ALIGN (alignof(max_align_t))

void arena_init(struct arena *a, size_t chunk_size)
{
    a->head = NULL;
    a->cleanups = NULL;
    a->chunk_size = chunk_size < 256 ? 256 : chunk_size;
    a->total = 0;
}

void arena_defer(struct arena *a, void (*fn)(void *), void *arg)
{
    struct arena_cleanup *cl = arena_alloc(a, sizeof(*cl));
    cl->fn = fn;
    cl->arg = arg;
    cl->next = a->cleanups;
    a->cleanups = cl;
}

void arena_destroy(struct arena *a)
{
    /* The cleanups live in the chunks: run them all before freeing any. */
    for (struct arena_cleanup *cl = a->cleanups; cl != NULL; cl = cl->next)
        cl->fn(cl->arg);
    a->cleanups = NULL;
    struct arena_chunk *c = a->head;
    while (c != NULL) {
        struct arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->total = 0;
}

static struct arena_chunk *arena_chunk_new(size_t size)
{
    struct arena_chunk *c = zk_malloc(sizeof(*c) + size);
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

void *arena_alloc(struct arena *a, size_t size)
{
    size_t need = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
    if (need == 0)
        need = ARENA_ALIGN;
    struct arena_chunk *c = a->head;
    if (c != NULL && c->size - c->used >= need) {
        void *p = c->data + c->used;
        c->used += need;
        return p;
    }
    if (need > a->chunk_size / 4) {
        /* Large: a dedicated chunk linked behind the current one, so the
         * current chunk's free tail stays usable. */
        struct arena_chunk *big = arena_chunk_new(need);
        big->used = need;
        a->total += sizeof(*big) + need;
        if (c == NULL) {
            a->head = big;
        } else {
            big->next = c->next;
            c->next = big;
        }
        return big->data;
    }
    c = arena_chunk_new(a->chunk_size);
    a->total += sizeof(*c) + a->chunk_size;
    c->next = a->head;
    a->head = c;
    c->used = need;
    return c->data;
}

void *arena_calloc(struct arena *a, size_t size)
{
    void *p = arena_alloc(a, size);
    memset(p, 0, size);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        n = 0;
    char *p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}
