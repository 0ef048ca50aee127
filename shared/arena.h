/*
 * arena.h - a bump allocator that owns everything a request (or a job) needs.
 *
 * Memory is handed out from chunks and released all at once by arena_destroy
 * (or arena_reset, which keeps the first chunk for reuse). Nothing allocated
 * from an arena is freed individually: a handler never frees what the request
 * owns. Large allocations get a chunk of their own so a 2 MB upload does not
 * waste a 2 MB chunk's tail. Allocation failure aborts (see alloc.h).
 */
#ifndef ZK_ARENA_H
#define ZK_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena_chunk;
struct arena_cleanup;

struct arena {
    struct arena_chunk *head;       /* chunk being filled; older ones linked behind */
    struct arena_cleanup *cleanups; /* run by arena_destroy, last registered first */
    size_t chunk_size;              /* size of ordinary chunks */
    size_t total;                   /* bytes obtained from malloc, for accounting */
};

/* Prepares an empty arena; nothing is allocated until the first request. */
void arena_init(struct arena *a, size_t chunk_size);
/* Runs the registered cleanups, then frees every chunk; the arena may be
 * reused after arena_init. */
void arena_destroy(struct arena *a);

/* Registers fn(arg) to run when the arena is destroyed: for resources an
 * arena's owner holds outside it (a PGresult kept across callbacks, ...). */
void arena_defer(struct arena *a, void (*fn)(void *), void *arg);

/* Returns size bytes aligned for any type; never NULL. */
void *arena_alloc(struct arena *a, size_t size);
/* Zero-filled variant of arena_alloc. */
void *arena_calloc(struct arena *a, size_t size);
/* Copies n bytes and a terminating NUL. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
/* printf into the arena; never NULL. */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);

#endif
