/*
 * buf.h - a growable byte string that lives in an arena.
 *
 * Growth allocates a larger block from the arena and copies; the old block
 * stays until the arena goes (fine for request-sized output). data is always
 * NUL-terminated.
 */
#ifndef ZK_BUF_H
#define ZK_BUF_H

#include "arena.h"

#include <stddef.h>

struct buf {
    struct arena *arena;
    char *data;
    size_t len, cap;
};

void buf_init(struct buf *b, struct arena *a, size_t initial);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
