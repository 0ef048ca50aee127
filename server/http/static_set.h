/*
 * static_set.h - the files of a www folder held in memory, with what serving
 * them needs worked out once: content type, ETag, the verified .gz sibling,
 * whether the name carries a version.
 *
 * A set is loaded off the loop (before it serves, or on the thread pool at a
 * reload) and is then only read. It is reference-counted: whoever holds the
 * current set has one reference and every response pointing into its bytes
 * another (dropped when the request is freed), so a set replaced by a reload
 * lives until its last answer is written. References are taken and dropped
 * on the loop thread only; they are not atomic.
 *
 * What is loaded: every regular file under the folder, except names starting
 * with '.' (".well-known" excepted). Symbolic links are followed only to
 * regular files inside the folder; a link out of it, to a folder, or dangling,
 * and special files (FIFOs, sockets, devices) are skipped with a warning.
 * "X.gz" is not a file of its own but the precompressed form of X, used only
 * if it inflates to exactly X's bytes (a stale one is skipped with a
 * warning). Files are read whole; the set never exceeds the limits.
 */
#ifndef ZK_STATIC_SET_H
#define ZK_STATIC_SET_H

#include <stdbool.h>
#include <stddef.h>

#define STATIC_ETAG_SIZE 19 /* '"', 16 hex digits of the SHA-256, '"', NUL */

struct static_file {
    const char *path; /* request path: "/css/app.css" */
    const char *type; /* Content-Type */
    const unsigned char *body;
    size_t len;
    const unsigned char *gz; /* NULL: no usable .gz sibling */
    size_t gz_len;
    char etag[STATIC_ETAG_SIZE];    /* of body */
    char gz_etag[STATIC_ETAG_SIZE]; /* of gz */
    bool versioned;                 /* the name carries its content hash: cache for a year */
    bool document;                  /* HTML or SVG: answered with the document security headers */
};

struct static_set_limits {
    size_t max_bytes; /* file bytes held, .gz siblings included */
    size_t max_files; /* files read, .gz siblings included */
};

struct static_set;

/*
 * Loads the folder dir. Returns 0 and *out (one reference), or a negative
 * errno with a one-line reason in err naming the path or the limit:
 * -ENOENT/-EACCES/... the folder or a file cannot be read, -EFBIG over
 * max_bytes, -EMFILE over max_files, -ELOOP deeper than 32 folders.
 * Skipped entries are logged as warnings. Safe on any thread.
 */
int static_set_load(const char *dir, const struct static_set_limits *lim, struct static_set **out,
                    char *err, size_t errsz);

/* The file whose request path is exactly path, or NULL. */
const struct static_file *static_set_find(const struct static_set *s, const char *path);

/* Files served (without .gz siblings) and bytes held. */
size_t static_set_count(const struct static_set *s);
size_t static_set_bytes(const struct static_set *s);

void static_set_ref(struct static_set *s);
/* Drops a reference; the last one frees the set. NULL is ignored. */
void static_set_unref(struct static_set *s);

/*
 * The Content-Type for a file name, by extension (case-insensitive);
 * application/octet-stream when unknown. *document (may be NULL) tells
 * whether browsers render it as a document (HTML, SVG).
 */
const char *static_set_content_type(const char *name, bool *document);

/*
 * Whether a file name carries its version: a dot-separated part other than
 * the first and the last ("app.3f9a1c2b.js") of 8 to 64 lowercase hex digits
 * that begin sha256_hex, the file's SHA-256. Returns 1 if so, 0 if no part
 * looks like a hash, -1 if one does but it is not the content's.
 */
int static_set_version_of(const char *name, const char *sha256_hex);

#endif
