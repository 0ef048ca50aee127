/*
 * static_path.h - how a request names a static file and which representation
 * it will take: the decoded request path, Accept-Encoding and If-None-Match.
 *
 * Pure functions over strings (no I/O, no allocation), shared by the static
 * handler (static_files.c) and its unit tests.
 */
#ifndef ZK_STATIC_PATH_H
#define ZK_STATIC_PATH_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Decodes the request path raw ("/css/app%20x.css", query already cut off)
 * into out, a key of the loaded set ("/css/app x.css"). A trailing '/' is
 * kept (the caller appends "index.html").
 *
 * Returns 0; -EINVAL when a '%' is not followed by two hex digits (400);
 * -ENOENT when the path cannot name a file: a segment "." or ".." (also
 * encoded), an empty segment ("//"), a decoded '/', '\\', NUL or other
 * control character in a segment; -ENAMETOOLONG when out is too small.
 */
int static_path_decode(const char *raw, char *out, size_t outsz);

/*
 * True when an Accept-Encoding value accepts gzip: "gzip" or "x-gzip" with
 * a q-value above 0, or, when neither is named, "*" above 0. "gzip;q=0"
 * refuses it; an element with a malformed q-value is ignored. NULL: false.
 */
bool static_accepts_gzip(const char *accept_encoding);

/*
 * True when an If-None-Match value matches etag (a quoted entity tag,
 * "\"3f9a...\""): "*", or a list holding etag, weak ("W/") or not (the weak
 * comparison RFC 9110 13.1.2 prescribes). A malformed list matches nothing
 * from the first malformed element on. NULL: false.
 */
bool static_etag_matches(const char *if_none_match, const char *etag);

#endif
