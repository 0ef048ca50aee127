/*
 * json_util.h - jansson helpers shared by server and workers.
 */
#ifndef ZK_JSON_UTIL_H
#define ZK_JSON_UTIL_H

#include "arena.h"

#include <jansson.h>
#include <stddef.h>

/* Serialises obj compactly (UTF-8, keys in insertion order) into the arena. */
char *json_to_arena(const json_t *obj, struct arena *a, size_t *len);

#endif
