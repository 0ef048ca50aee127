/*
 * appfile.h - an application's attached file (schema/0023_application_files.sql)
 * as the workers that check it see it: the `archive` queue (zips) and the
 * `photo` queue's material payload (JPEGs). Their jobs carry
 * {"application_file_id": N}; run reads the bytes with appfile_read, commit
 * writes the verdict with appfile_verdict in the job's transaction, and a
 * dead job refuses the file with a reason telling the candidate to upload
 * it again.
 */
#ifndef ZK_APPFILE_H
#define ZK_APPFILE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a dead check tells the candidate. */
#define APPFILE_DEAD_REASON                                                                        \
    "系统未能完成对这个文件的检查，请删除后重新上传；如仍不成功，请联系考籍管理区县"

struct appfile {
    int64_t id;
    bool checking; /* still waiting for a verdict */
    uint8_t *data; /* malloc'ed: the caller frees */
    size_t len;
};

/* The payload's application_file_id, or 0 when it has none. */
int64_t appfile_payload_id(const void *payload_json);

/*
 * Reads application file id and its bytes into f. Returns 0; -ENOENT when
 * the row is gone (the candidate deleted the file); another negative errno
 * with err on a database failure.
 */
int appfile_read(PGconn *conn, int64_t id, struct appfile *f, char *err, size_t errsz);

/*
 * Writes the verdict (application_file_checked: ignored once decided or
 * deleted). reason: the refusal for the candidate (NULL when accepted);
 * detail_json: JSON text or NULL. Returns 0 or -EIO with err.
 */
int appfile_verdict(PGconn *conn, int64_t id, bool accepted, const char *reason,
                    const char *detail_json, char *err, size_t errsz);

#endif
