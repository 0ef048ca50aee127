/*
 * urlcode.h - percent-decoding of URL paths, query strings and form bodies.
 */
#ifndef ZK_URLCODE_H
#define ZK_URLCODE_H

#include "arena.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Decodes len bytes of s into a NUL-terminated arena string. With
 * plus_is_space, '+' becomes ' ' (form encoding). Malformed escapes are kept
 * as they are. *outlen (may be NULL) receives the decoded length.
 */
char *url_decode(struct arena *a, const char *s, size_t len, bool plus_is_space, size_t *outlen);

/*
 * Finds name in an application/x-www-form-urlencoded string ("a=1&b=2") and
 * returns its decoded value, "" for "a" or "a=", NULL if absent.
 */
const char *url_form_get(struct arena *a, const char *form, size_t len, const char *name);

#endif
