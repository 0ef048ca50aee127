/*
 * static_set.c - loading a www folder into an immutable, reference-counted
 * set of files (see static_set.h).
 *
 * Owns struct static_set: its files array (heap) and an arena with every
 * path and byte. The loader walks the folder with openat/fstatat from
 * descriptors it opened itself (O_NOFOLLOW), so only symbolic links it has
 * checked with realpath lead anywhere, and it checks the limits before it
 * reads a file, so a folder over them costs no more memory than the limits.
 */
#include "static_set.h"
#include "alloc.h"
#include "arena.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define STATIC_MAX_DEPTH 32
#define STATIC_HEX_SIZE  (crypto_hash_sha256_BYTES * 2 + 1)

struct static_set {
    int refs;
    struct arena arena; /* paths and bytes */
    struct static_file *files;
    size_t count;
    size_t bytes;
};

/* A .gz file waiting for its identity file. */
struct static_gz {
    const char *path; /* request path without ".gz" */
    const unsigned char *bytes;
    size_t len;
};

struct static_loader {
    struct static_set *set;
    const struct static_set_limits *lim;
    char root[PATH_MAX]; /* the folder, resolved */
    size_t root_len;
    char fs[PATH_MAX];  /* file system path of the entry being visited */
    char url[PATH_MAX]; /* its request path */
    size_t files_read;
    size_t cap;
    struct static_gz *gz;
    size_t ngz, gzcap;
    char *err;
    size_t errsz;
};

static const struct {
    const char *ext;
    const char *type;
    bool document;
} static_types[] = {
    {"html", "text/html; charset=utf-8", true},
    {"htm", "text/html; charset=utf-8", true},
    {"css", "text/css; charset=utf-8", false},
    {"js", "text/javascript; charset=utf-8", false},
    {"mjs", "text/javascript; charset=utf-8", false},
    {"json", "application/json; charset=utf-8", false},
    {"webmanifest", "application/manifest+json; charset=utf-8", false},
    {"svg", "image/svg+xml; charset=utf-8", true},
    {"txt", "text/plain; charset=utf-8", false},
    {"png", "image/png", false},
    {"jpg", "image/jpeg", false},
    {"jpeg", "image/jpeg", false},
    {"webp", "image/webp", false},
    {"ico", "image/x-icon", false},
    {"woff2", "font/woff2", false},
    {"pdf", "application/pdf", false},
};

const char *static_set_content_type(const char *name, bool *document)
{
    const char *slash = strrchr(name, '/');
    const char *dot = strrchr(slash ? slash : name, '.');
    if (document != NULL)
        *document = false;
    if (dot != NULL) {
        for (size_t i = 0; i < sizeof(static_types) / sizeof(static_types[0]); i++) {
            if (strcasecmp(dot + 1, static_types[i].ext) == 0) {
                if (document != NULL)
                    *document = static_types[i].document;
                return static_types[i].type;
            }
        }
    }
    return "application/octet-stream";
}

int static_set_version_of(const char *name, const char *sha256_hex)
{
    const char *slash = strrchr(name, '/');
    const char *p = strchr(slash ? slash + 1 : name, '.');
    int verdict = 0;
    while (p != NULL) {
        const char *part = p + 1;
        p = strchr(part, '.');
        if (p == NULL)
            break; /* the last part is the extension */
        size_t len = (size_t)(p - part);
        if (len < 8 || len > 64 || strspn(part, "0123456789abcdef") < len)
            continue;
        if (strncmp(part, sha256_hex, len) == 0)
            return 1;
        verdict = -1;
    }
    return verdict;
}

/* ---- the set ------------------------------------------------------------ */

static int static_file_cmp(const void *a, const void *b)
{
    return strcmp(((const struct static_file *)a)->path, ((const struct static_file *)b)->path);
}

const struct static_file *static_set_find(const struct static_set *s, const char *path)
{
    struct static_file key = {.path = path};
    return bsearch(&key, s->files, s->count, sizeof(key), static_file_cmp);
}

size_t static_set_count(const struct static_set *s)
{
    return s->count;
}

size_t static_set_bytes(const struct static_set *s)
{
    return s->bytes;
}

void static_set_ref(struct static_set *s)
{
    s->refs++;
}

void static_set_unref(struct static_set *s)
{
    if (s == NULL || --s->refs > 0)
        return;
    arena_destroy(&s->arena);
    free(s->files);
    free(s);
}

/* ---- loading -------------------------------------------------------------- */

static int load_fail(struct static_loader *ld, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int load_fail(struct static_loader *ld, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ld->err, ld->errsz, fmt, ap);
    va_end(ap);
    return rc;
}

static void sha256_hex(const unsigned char *p, size_t len, char hex[STATIC_HEX_SIZE])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, p, len);
    sodium_bin2hex(hex, STATIC_HEX_SIZE, h, sizeof(h));
}

static void etag_of(const char *hex, char etag[STATIC_ETAG_SIZE])
{
    snprintf(etag, STATIC_ETAG_SIZE, "\"%.16s\"", hex);
}

/* True when gz is one gzip member that inflates to exactly want. */
static bool gz_inflates_to(const unsigned char *gz, size_t gz_len, const unsigned char *want,
                           size_t want_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (gz_len > UINT_MAX || inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        return false;
    unsigned char buf[16384];
    size_t got = 0;
    bool same = true;
    int zr;
    zs.next_in = (unsigned char *)gz;
    zs.avail_in = (uInt)gz_len;
    do {
        zs.next_out = buf;
        zs.avail_out = sizeof(buf);
        zr = inflate(&zs, Z_NO_FLUSH);
        size_t n = sizeof(buf) - zs.avail_out;
        if ((zr != Z_OK && zr != Z_STREAM_END) || n > want_len - got ||
            memcmp(buf, want + got, n) != 0) {
            same = false;
            break;
        }
        got += n;
    } while (zr != Z_STREAM_END);
    inflateEnd(&zs);
    return same && got == want_len && zs.avail_in == 0;
}

/* Appends "/" name to the visited paths; -ENAMETOOLONG if it does not fit. */
static int load_push(struct static_loader *ld, size_t fs_len, size_t url_len, const char *name)
{
    int a = snprintf(ld->fs + fs_len, sizeof(ld->fs) - fs_len, "/%s", name);
    int b = snprintf(ld->url + url_len, sizeof(ld->url) - url_len, "/%s", name);
    if (a < 0 || b < 0 || (size_t)a >= sizeof(ld->fs) - fs_len ||
        (size_t)b >= sizeof(ld->url) - url_len) {
        ld->fs[fs_len] = '\0';
        return load_fail(ld, -ENAMETOOLONG, "%s/%s: path too long", ld->fs, name);
    }
    return 0;
}

static void load_add_gz(struct static_loader *ld, const unsigned char *bytes, size_t len)
{
    if (ld->ngz == ld->gzcap) {
        ld->gzcap = ld->gzcap ? ld->gzcap * 2 : 16;
        ld->gz = zk_realloc(ld->gz, sizeof(*ld->gz) * ld->gzcap);
    }
    struct static_gz *g = &ld->gz[ld->ngz++];
    g->path = arena_strndup(&ld->set->arena, ld->url, strlen(ld->url) - 3);
    g->bytes = bytes;
    g->len = len;
}

static void load_add_file(struct static_loader *ld, const unsigned char *bytes, size_t len)
{
    struct static_set *s = ld->set;
    if (s->count == ld->cap) {
        ld->cap = ld->cap ? ld->cap * 2 : 64;
        s->files = zk_realloc(s->files, sizeof(*s->files) * ld->cap);
    }
    struct static_file *f = &s->files[s->count++];
    memset(f, 0, sizeof(*f));
    f->path = arena_strdup(&s->arena, ld->url);
    f->type = static_set_content_type(f->path, &f->document);
    f->body = bytes;
    f->len = len;
    char hex[STATIC_HEX_SIZE];
    sha256_hex(bytes, len, hex);
    etag_of(hex, f->etag);
    int version = static_set_version_of(f->path, hex);
    f->versioned = version > 0;
    if (version < 0)
        log_warn("www: %s: the name looks versioned but does not carry the start of the file's "
                 "SHA-256 (%.8s...): served for revalidation, not cached for a year",
                 ld->fs, hex);
}

/* Reads the regular file open on fd (closed here) into the set. */
static int load_file(struct static_loader *ld, int fd)
{
    if (fd < 0)
        return load_fail(ld, -errno, "%s: cannot open: %s", ld->fs, strerror(errno));
    int rc = 0;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        rc = load_fail(ld, -errno, "%s: %s", ld->fs, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        log_warn("www: %s: not a regular file; skipped", ld->fs);
        goto out;
    }
    if (ld->files_read >= ld->lim->max_files) {
        rc = load_fail(ld, -EMFILE,
                       "%s holds more than %zu files: raise [server] www_max_files or remove "
                       "files",
                       ld->root, ld->lim->max_files);
        goto out;
    }
    size_t size = (size_t)st.st_size;
    if (size > ld->lim->max_bytes - ld->set->bytes) {
        rc = load_fail(ld, -EFBIG,
                       "%s holds more than %zu bytes of files (%s passes the limit): raise "
                       "[server] www_max_bytes or remove files",
                       ld->root, ld->lim->max_bytes, ld->fs);
        goto out;
    }
    unsigned char *bytes = arena_alloc(&ld->set->arena, size + 1);
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, bytes + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = load_fail(ld, -errno, "%s: cannot read: %s", ld->fs, strerror(errno));
            goto out;
        }
        if (n == 0) {
            rc = load_fail(ld, -EAGAIN, "%s: changed while being read", ld->fs);
            goto out;
        }
        got += (size_t)n;
    }
    ld->set->bytes += size;
    ld->files_read++;
    size_t ulen = strlen(ld->url);
    if (ulen > 3 && strcmp(ld->url + ulen - 3, ".gz") == 0)
        load_add_gz(ld, bytes, size);
    else
        load_add_file(ld, bytes, size);
out:
    close(fd);
    return rc;
}

/* A symbolic link at ld->fs: followed only to a regular file inside root. */
static int load_link(struct static_loader *ld)
{
    char real[PATH_MAX];
    if (realpath(ld->fs, real) == NULL) {
        log_warn("www: %s: symbolic link to nothing readable (%s); skipped", ld->fs,
                 strerror(errno));
        return 0;
    }
    if (strncmp(real, ld->root, ld->root_len) != 0 || real[ld->root_len] != '/') {
        log_warn("www: %s: symbolic link to %s, outside %s; skipped", ld->fs, real, ld->root);
        return 0;
    }
    struct stat st;
    if (stat(real, &st) < 0)
        return load_fail(ld, -errno, "%s: %s", real, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        log_warn("www: %s: symbolic link to a folder; not followed", ld->fs);
        return 0;
    }
    if (!S_ISREG(st.st_mode)) {
        log_warn("www: %s: symbolic link to a special file; skipped", ld->fs);
        return 0;
    }
    return load_file(ld, open(real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
}

/* Loads the folder open on dfd (closed here), whose paths are in ld->fs and
 * ld->url up to fs_len and url_len. */
static int load_dir(struct static_loader *ld, int dfd, size_t fs_len, size_t url_len, int depth)
{
    DIR *d = fdopendir(dfd);
    if (d == NULL) {
        int e = errno;
        close(dfd);
        return load_fail(ld, -e, "%s: %s", ld->fs, strerror(e));
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0) {
        errno = 0;
        if ((e = readdir(d)) == NULL) {
            if (errno != 0)
                rc = load_fail(ld, -errno, "%.*s: %s", (int)fs_len, ld->fs, strerror(errno));
            break;
        }
        const char *name = e->d_name;
        if (name[0] == '.' && strcmp(name, ".well-known") != 0)
            continue; /* ".", "..", and hidden files (.git, editor leftovers) */
        if ((rc = load_push(ld, fs_len, url_len, name)) < 0)
            break;
        struct stat st;
        if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            rc = load_fail(ld, -errno, "%s: %s", ld->fs, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            if (depth >= STATIC_MAX_DEPTH) {
                rc = load_fail(ld, -ELOOP, "%s: more than %d folders deep", ld->fs,
                               STATIC_MAX_DEPTH);
                break;
            }
            int sub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0)
                rc = load_fail(ld, -errno, "%s: cannot open: %s", ld->fs, strerror(errno));
            else
                rc = load_dir(ld, sub, strlen(ld->fs), strlen(ld->url), depth + 1);
        } else if (S_ISREG(st.st_mode)) {
            rc = load_file(ld,
                           openat(dirfd(d), name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
        } else if (S_ISLNK(st.st_mode)) {
            rc = load_link(ld);
        } else {
            log_warn("www: %s: not a regular file or folder; skipped", ld->fs);
        }
        ld->fs[fs_len] = '\0';
        ld->url[url_len] = '\0';
    }
    closedir(d);
    return rc;
}

/* Sorts the files and gives each its verified .gz sibling. */
static void load_finish(struct static_loader *ld)
{
    struct static_set *s = ld->set;
    qsort(s->files, s->count, sizeof(*s->files), static_file_cmp);
    for (size_t i = 0; i < ld->ngz; i++) {
        const struct static_gz *g = &ld->gz[i];
        struct static_file *f = (struct static_file *)static_set_find(s, g->path);
        if (f == NULL) {
            log_warn("www: %s%s.gz: no %s beside it to be the compressed form of; skipped",
                     ld->root, g->path, g->path + 1);
            continue;
        }
        if (!gz_inflates_to(g->bytes, g->len, f->body, f->len)) {
            log_warn("www: %s%s.gz does not inflate to %s (stale?); skipped: %s is served "
                     "uncompressed",
                     ld->root, g->path, g->path + 1, g->path);
            continue;
        }
        char hex[STATIC_HEX_SIZE];
        sha256_hex(g->bytes, g->len, hex);
        etag_of(hex, f->gz_etag);
        f->gz = g->bytes;
        f->gz_len = g->len;
    }
}

int static_set_load(const char *dir, const struct static_set_limits *lim, struct static_set **out,
                    char *err, size_t errsz)
{
    struct static_loader *ld = zk_calloc(1, sizeof(*ld));
    struct static_set *s = zk_calloc(1, sizeof(*s));
    int rc = 0;
    s->refs = 1;
    arena_init(&s->arena, 64 * 1024);
    ld->set = s;
    ld->lim = lim;
    ld->err = err;
    ld->errsz = errsz;
    if (realpath(dir, ld->root) == NULL) {
        rc = load_fail(ld, -errno, "%s: %s", dir, strerror(errno));
        goto out;
    }
    ld->root_len = strlen(ld->root);
    if (ld->root_len == 1)
        ld->root_len = 0; /* "/": every resolved path is inside */
    int dfd = open(ld->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        rc = load_fail(ld, -errno, "%s: cannot open: %s", ld->root, strerror(errno));
        goto out;
    }
    snprintf(ld->fs, sizeof(ld->fs), "%.*s", (int)ld->root_len, ld->root);
    rc = load_dir(ld, dfd, ld->root_len, 0, 0);
    if (rc == 0)
        load_finish(ld);
out:
    free(ld->gz);
    free(ld);
    if (rc < 0) {
        static_set_unref(s);
        return rc;
    }
    *out = s;
    return 0;
}
