/*
 * zipcheck.h - the check of an uploaded ZIP of scans (an application's
 * attachment, e.g. Shanxi's old-plan card scans): what the `archive` queue
 * runs on the bytes, without any database, so that it can be tested alone.
 *
 * The archive is opened with libarchive from memory (the central directory
 * is read: entry types and link flags come from it) and every entry is read
 * through, counting what it really inflates to; the sizes its headers claim
 * are never trusted. An archive is refused at the first entry that breaks a
 * rule, in this order per entry:
 *
 *   name        neither valid UTF-8 nor GB18030 (names without the UTF-8 flag,
 *               as Windows tools write them, are decoded from GB18030)
 *   entries     more headers than max_entries (directories count)
 *   encrypted   a password is set
 *   path        an absolute path, a drive letter, or a ".." component
 *               ('/' and '\' both separate)
 *   link        a symbolic or hard link
 *   special     a device, FIFO or socket
 *   type        the first bytes are not JPEG, PNG or PDF (the extension is
 *               not looked at)
 *   entry_size  more than max_entry_bytes inflated
 *   total_size  more than max_total_bytes inflated over all entries
 *   ratio       inflated / compressed bytes consumed above max_ratio
 *   corrupt     libarchive cannot read it (bad CRC, truncated ...)
 * and as a whole: not_zip (not a ZIP archive at all), empty (no file in it).
 * Directories are allowed and otherwise ignored.
 *
 * Thread safety: no state outside the call; the call switches its own
 * thread's locale (uselocale) to C.UTF-8 while libarchive reads names.
 */
#ifndef ZK_ZIPCHECK_H
#define ZK_ZIPCHECK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zipcheck_limits {
    int64_t max_entries;     /* headers, directories included */
    int64_t max_entry_bytes; /* inflated bytes of one entry */
    int64_t max_total_bytes; /* inflated bytes of all entries */
    int64_t max_ratio;       /* inflated : compressed, per entry */
};

#define ZIPCHECK_NAME_MAX   256 /* bytes of a name kept for messages and JSON */
#define ZIPCHECK_REASON_MAX 1024

struct zipcheck_result {
    bool accepted;
    const char *rule;                 /* NULL when accepted, else the rule's name (above) */
    char entry[ZIPCHECK_NAME_MAX];    /* the entry the rule is about, UTF-8; "" for none */
    char reason[ZIPCHECK_REASON_MAX]; /* a sentence a candidate can act on, "" when accepted */
    json_t *entries;                  /* [{name, size, type}] of the files read (owned) */
    int64_t files, total_bytes;
};

/*
 * Checks data[0..len) against lim and fills res (release with
 * zipcheck_result_free). A hostile or broken archive is a verdict, never
 * an error. Returns 0, or a negative errno when the check itself could not
 * run (out of memory, libarchive or iconv unusable): res is then not a
 * verdict and the job should be retried.
 */
int zipcheck_run(const void *data, size_t len, const struct zipcheck_limits *lim,
                 struct zipcheck_result *res);

void zipcheck_result_free(struct zipcheck_result *res);

/* res as the JSON detail an application file keeps: {"entries", "files",
 * "total_bytes"} and, when refused, {"rule", "entry"}. New reference. */
json_t *zipcheck_detail_json(const struct zipcheck_result *res);

/*
 * An entry name as UTF-8 into out (NUL-terminated, cut at a character
 * boundary to fit outsz): raw as it is when it is valid UTF-8 (returns 0),
 * else decoded from GB18030 (returns 1); -EILSEQ when it is neither (out
 * then holds raw with every byte above 0x7F written \xNN). Pure.
 */
int zipcheck_name_utf8(const char *raw, char *out, size_t outsz);

/* bytes in words for messages: "20 MB", "500 KB", "1234 字节". Returns out. */
char *zipcheck_size_words(int64_t bytes, char *out, size_t outsz);

#endif
