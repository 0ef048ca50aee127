/*
 * graduation_export.c - the `archive` queue's graduation export payload
 * {"graduation_export_id": N} (schema/0025_graduation_review.sql): a
 * window's approved graduates as the graduates' electronic registration (学信网
 * 电子注册) takes them, in one zip kept in files:
 *
 *   毕业生名单.csv      UTF-8 with a BOM (Excel opens it as such): 序号, 姓名,
 *                       性别, 出生日期, 证件号码, 准考证号, 专业代码, 专业名称,
 *                       层次, 主考院校, 审定日期, 照片 (the photo's name, or
 *                       缺 when the graduate has none)
 *   照片/<证件号码>.jpg  each graduate's photo as stored (.png when it is one)
 *
 * run reads the rows and photos (binary) and writes the zip with libarchive
 * into memory; commit stores it and marks the export done; on_dead marks it
 * failed with the last error. The zip is built afresh on every attempt.
 */
#include "graduation_export.h"

#include "alloc.h"
#include "buf.h"
#include "job.h"
#include "log.h"
#include "sniff.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT_LIST_NAME "毕业生名单.csv"
#define EXPORT_PHOTO_DIR "照片/"

/* What run hands to commit. */
struct grad_export {
    int64_t id;
    char *zip; /* malloc'd; freed by commit or on failure */
    size_t len, cap;
    int graduates, missing;
};

int64_t graduation_export_payload(const void *payload_json)
{
    json_t *id = json_object_get((const json_t *)payload_json, "graduation_export_id");
    return json_is_integer(id) && json_integer_value(id) > 0 ? (int64_t)json_integer_value(id) : 0;
}

static la_ssize_t export_write(struct archive *a, void *ud, const void *buf, size_t n)
{
    (void)a;
    struct grad_export *x = ud;
    if (x->len + n > x->cap) {
        size_t cap = x->cap ? x->cap : 65536;
        while (cap < x->len + n)
            cap *= 2;
        x->zip = zk_realloc(x->zip, cap);
        x->cap = cap;
    }
    memcpy(x->zip + x->len, buf, n);
    x->len += n;
    return (la_ssize_t)n;
}

/* One entry of the zip. Returns 0 or -EIO. */
static int export_entry(struct archive *a, const char *name, const void *data, size_t len)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname_utf8(e, name);
    archive_entry_set_size(e, (la_int64_t)len);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_mtime(e, 0, 0); /* the same rows make the same zip */
    int rc = archive_write_header(a, e) == ARCHIVE_OK &&
                     (len == 0 || archive_write_data(a, data, len) == (la_ssize_t)len)
                 ? 0
                 : -EIO;
    archive_entry_free(e);
    return rc;
}

/* Appends a field to the CSV line (quoted when it needs to be), then a
 * comma or the line's end. */
static void csv_field(struct buf *b, const char *s, bool last)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        buf_puts(b, s);
    } else {
        buf_puts(b, "\"");
        for (const char *p = s; *p; p++)
            buf_append(b, p, 1), *p == '"' ? buf_puts(b, "\"") : (void)0;
        buf_puts(b, "\"");
    }
    buf_puts(b, last ? "\r\n" : ",");
}

static int export_build(struct job_ctx *ctx, struct job *job, PGconn *conn, struct grad_export *x)
{
    char idtxt[24];
    snprintf(idtxt, sizeof(idtxt), "%" PRId64, x->id);
    const char *v[] = {idtxt};
    PGresult *r = PQexecParams(
        conn,
        "SELECT g.name, coalesce(g.gender, ''), coalesce(to_char(g.birth_date, 'YYYY-MM-DD'), ''), "
        "g.id_number, coalesce(g.exam_id, ''), coalesce(g.major_code, ''), "
        "coalesce(g.major_name, ''), coalesce(g.level, ''), coalesce(g.university, ''), "
        "coalesce(to_char(g.decided_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), ''), "
        "g.photo_file_id FROM graduation_exports x CROSS JOIN LATERAL "
        "graduation_export_rows(x.window_id) g WHERE x.id = $1::bigint",
        1, NULL, v, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        int rc = job_fail(ctx, "reading the graduates: %s", PQresultErrorMessage(r));
        PQclear(r);
        return rc;
    }
    struct archive *a = archive_write_new();
    archive_write_set_format_zip(a);
    archive_write_set_options(a, "zip:hdrcharset=UTF-8");
    struct buf csv;
    buf_init(&csv, job->arena, 4096);
    buf_puts(&csv, "\xEF\xBB\xBF");
    static const char *const head[] = {"序号",     "姓名",     "性别",     "出生日期",
                                       "证件号码", "准考证号", "专业代码", "专业名称",
                                       "层次",     "主考院校", "审定日期", "照片"};
    for (size_t i = 0; i < 12; i++)
        csv_field(&csv, head[i], i == 11);
    int rc = archive_write_open2(a, x, NULL, export_write, NULL, NULL) == ARCHIVE_OK ? 0 : -EIO;
    x->graduates = PQntuples(r);
    for (int i = 0; rc == 0 && i < x->graduates; i++) {
        char seq[16], photo[96] = "缺";
        snprintf(seq, sizeof(seq), "%d", i + 1);
        if (!PQgetisnull(r, i, 10)) {
            const char *pv[] = {PQgetvalue(r, i, 10)};
            PGresult *p = PQexecParams(conn, "SELECT data FROM files WHERE id = $1::bigint", 1,
                                       NULL, pv, NULL, NULL, 1);
            if (PQresultStatus(p) == PGRES_TUPLES_OK && PQntuples(p) == 1) {
                size_t len = (size_t)PQgetlength(p, 0, 0);
                const char *type = sniff_type(PQgetvalue(p, 0, 0), len);
                snprintf(photo, sizeof(photo), "%s%s.%s", EXPORT_PHOTO_DIR, PQgetvalue(r, i, 3),
                         type && strcmp(type, SNIFF_PNG) == 0 ? "png" : "jpg");
                rc = export_entry(a, photo, PQgetvalue(p, 0, 0), len);
            } else if (PQresultStatus(p) != PGRES_TUPLES_OK) {
                rc = job_fail(ctx, "reading a photo: %s", PQresultErrorMessage(p));
            }
            PQclear(p);
        }
        x->missing += strcmp(photo, "缺") == 0;
        csv_field(&csv, seq, false);
        for (int c = 0; c < 10; c++)
            csv_field(&csv, PQgetvalue(r, i, c), false);
        csv_field(&csv, photo, true);
    }
    PQclear(r);
    if (rc == 0)
        rc = export_entry(a, EXPORT_LIST_NAME, csv.data, csv.len);
    if (rc == 0 && archive_write_close(a) != ARCHIVE_OK)
        rc = -EIO;
    if (rc == -EIO)
        rc = job_fail(ctx, "writing the zip: %s", archive_error_string(a));
    archive_write_free(a);
    return rc;
}

int graduation_export_run(struct job_ctx *ctx, struct job *job, PGconn *conn)
{
    struct grad_export *x = arena_calloc(job->arena, sizeof(*x));
    x->id = graduation_export_payload(job->payload);
    job->data = x;
    if (conn == NULL)
        return job_fail(ctx, "PostgreSQL is unreachable");
    int rc = export_build(ctx, job, conn, x);
    if (rc < 0) {
        free(x->zip);
        x->zip = NULL;
        return rc;
    }
    job_set_result(ctx, json_pack("{s:I, s:i, s:i, s:I}", "graduation_export_id", (json_int_t)x->id,
                                  "graduates", x->graduates, "missing_photos", x->missing, "bytes",
                                  (json_int_t)x->len));
    log_info("archive: graduation export %" PRId64 ": %d graduate(s), %d without a photo, "
             "%zu bytes",
             x->id, x->graduates, x->missing, x->len);
    return 0;
}

int graduation_export_commit(struct job_ctx *ctx, struct job *job, PGconn *conn)
{
    struct grad_export *x = job->data;
    char idtxt[24], n[16], miss[16];
    snprintf(idtxt, sizeof(idtxt), "%" PRId64, x->id);
    snprintf(n, sizeof(n), "%d", x->graduates);
    snprintf(miss, sizeof(miss), "%d", x->missing);
    const char *v[] = {idtxt, x->zip, n, miss};
    const int lens[] = {0, (int)x->len, 0, 0};
    const int formats[] = {0, 1, 0, 0};
    PGresult *r = PQexecParams(
        conn,
        "WITH f AS (INSERT INTO files (content_type, size, sha256, data) VALUES "
        "('application/zip', length($2::bytea), encode(sha256($2::bytea), 'hex'), $2::bytea) "
        "RETURNING id) UPDATE graduation_exports SET state = 'done', file_id = (SELECT id FROM f), "
        "graduates = $3::int, missing = $4::int, error = NULL, done_at = now() "
        "WHERE id = $1::bigint",
        4, NULL, v, lens, formats, 0);
    free(x->zip);
    x->zip = NULL;
    int rc = 0;
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = job_fail(ctx, "storing the export: %s", PQresultErrorMessage(r));
    PQclear(r);
    return rc;
}

int graduation_export_dead(struct job_ctx *ctx, struct job *job, PGconn *conn)
{
    char idtxt[24], jobtxt[24];
    snprintf(idtxt, sizeof(idtxt), "%" PRId64, graduation_export_payload(job->payload));
    snprintf(jobtxt, sizeof(jobtxt), "%" PRId64, job->id);
    const char *v[] = {idtxt, jobtxt};
    PGresult *r = PQexecParams(conn,
                               "UPDATE graduation_exports SET state = 'failed', error = "
                               "coalesce((SELECT last_error FROM jobs WHERE id = $2::bigint), "
                               "'导出失败'), done_at = now() WHERE id = $1::bigint AND state = "
                               "'queued'",
                               2, NULL, v, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = job_fail(ctx, "marking the export failed: %s", PQresultErrorMessage(r));
    PQclear(r);
    return rc;
}
