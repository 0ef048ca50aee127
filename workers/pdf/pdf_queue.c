/*
 * pdf_queue.c - the `pdf` queue of zikao-worker: renders one document row
 * (table `documents`) into `files` and marks it ready.
 *
 * Payload: {"document_id": N}; the server creates the row (state pending,
 * input hash, meta) and the job in one transaction.
 * run:    loads the subject's data with document_input() plus the row's meta
 *         (the same input the server hashed), renders it with the kind's
 *         loader (doc_render.h; stored files the input names, such as the
 *         graduate form's photo, are read from `files` by id and SHA-256)
 *         and keeps the bytes in the job's arena. A document already ready
 *         is left alone.
 * commit: under the row's lock, writes the PDF into `files` and marks the
 *         document ready with its number, file name and page count, unless
 *         it is ready already (a second delivery writes nothing). When the
 *         subject changed between the request and the render, the row takes
 *         the hash of what was rendered, or - if a row for that input exists
 *         already - fails as superseded, so a hash always names its bytes.
 * on_dead: failures (no data for the subject, a render error naming the
 *         field, the database) fail the job and are retried; when the job
 *         dies, the document is marked failed with the job's last error in
 *         the same transaction, so the API can say why.
 *
 * Each thread owns a PostgreSQL connection for run's reads. pango loads the
 * fonts once per consumer thread (its first render costs ~70 ms more); they
 * are released when the thread ends.
 */
#include "alloc.h"
#include "queue.h"
#include "doc_render.h"
#include "job.h"
#include "job_sync.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct pdf_thread {
    struct zk_config cfg;
    struct sync_conns conns;
};

/* What run hands to commit. */
struct pdf_job {
    int64_t document_id;
    bool skip; /* already ready: nothing to write */
    char hash[65];
    unsigned char *data; /* in the job's arena */
    size_t len;
    int pages;
    char docno[PDF_DOCNO_LEN + 1];
    char filename[96];
};

static int pdf_thread_init(void **state, void *shared, const struct zk_config *cfg)
{
    (void)shared;
    struct pdf_thread *t = zk_calloc(1, sizeof(*t));
    t->cfg = *cfg;
    t->conns.cfg = &t->cfg;
    t->conns.application_name = "zikao-worker/pdf";
    *state = t;
    return 0;
}

static void pdf_thread_free(void *state)
{
    struct pdf_thread *t = state;
    if (t == NULL)
        return;
    sync_close(&t->conns);
    free(t);
}

/* doc_files.fetch: a stored file's bytes by id, checked against the SHA-256
 * the input names (files rows never change; a mismatch means the input and
 * the store disagree). */
static int pdf_fetch_file(void *ud, int64_t file_id, const char *sha256, unsigned char **data,
                          size_t *len, char *err, size_t errsz)
{
    struct pdf_thread *t = ud;
    char id[24];
    snprintf(id, sizeof(id), "%" PRId64, file_id);
    const char *v[] = {id, sha256};
    *data = NULL;
    *len = 0;
    PGresult *r =
        sync_exec(&t->conns, "SELECT data FROM files WHERE id = $1::bigint AND sha256 = $2", 2, v);
    if (r == NULL) {
        snprintf(err, errsz, "PostgreSQL is unreachable or refused reading file %s", id);
        return -EIO;
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        snprintf(err, errsz, "file %s with the SHA-256 the input names does not exist", id);
        return -ENOENT;
    }
    size_t n = 0;
    unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 0), &n);
    PQclear(r);
    if (raw == NULL) {
        snprintf(err, errsz, "file %s could not be decoded", id);
        return -ENOMEM;
    }
    *data = zk_malloc(n ? n : 1);
    memcpy(*data, raw, n);
    *len = n;
    PQfreemem(raw);
    return 0;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static int pdf_run(struct job_ctx *ctx, struct job *job)
{
    struct pdf_thread *t = job->thread_state;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    json_t *did = json_object_get(job->payload, "document_id");
    if (!json_is_integer(did) || json_integer_value(did) <= 0)
        return job_fail(ctx, "payload must be {\"document_id\": N}");
    struct pdf_job *pj = arena_calloc(job->arena, sizeof(*pj));
    pj->document_id = (int64_t)json_integer_value(did);
    job->data = pj;

    char id[24];
    snprintf(id, sizeof(id), "%" PRId64, pj->document_id);
    const char *v[] = {id};
    PGresult *r = sync_exec(
        &t->conns,
        "SELECT d.kind, d.state, i.input::text, document_input_hash(i.input) FROM documents d "
        "CROSS JOIN LATERAL (SELECT document_input(d.kind, d.subject_type, d.subject_id) || "
        "jsonb_build_object('meta', d.meta) AS input) i WHERE d.id = $1::bigint",
        1, v);
    if (r == NULL)
        return job_fail(ctx, "PostgreSQL is unreachable or refused the document query");
    if (PQntuples(r) == 0) {
        PQclear(r);
        return job_fail(ctx, "document %" PRId64 " does not exist", pj->document_id);
    }
    int kind = doc_kind_parse(PQgetvalue(r, 0, 0));
    if (strcmp(PQgetvalue(r, 0, 1), "ready") == 0) {
        PQclear(r);
        pj->skip = true;
        job_set_result(ctx, json_pack("{s:I, s:s, s:b}", "document_id", (json_int_t)pj->document_id,
                                      "state", "ready", "skipped", 1));
        return 0;
    }
    if (kind < 0) {
        PQclear(r);
        return job_fail(ctx, "unknown document kind");
    }
    if (PQgetisnull(r, 0, 2)) {
        PQclear(r);
        return job_fail(ctx,
                        "the subject has no data for a %s (missing, or not in a state that "
                        "has one, e.g. an order that is not paid)",
                        doc_kind_info(kind)->name);
    }
    snprintf(pj->hash, sizeof(pj->hash), "%s", PQgetvalue(r, 0, 3));
    json_error_t jerr;
    json_t *input = json_loads(PQgetvalue(r, 0, 2), 0, &jerr);
    PQclear(r);
    if (input == NULL)
        return job_fail(ctx, "document input is not JSON: %s", jerr.text);

    struct pdf_output out;
    const struct doc_files files = {pdf_fetch_file, t};
    int rc = doc_render_files((enum doc_kind)kind, input, &files, &out);
    json_decref(input);
    if (rc < 0)
        return job_fail(ctx, "rendering the %s failed: %s", doc_kind_info(kind)->name, out.error);
    pj->data = arena_alloc(job->arena, out.len);
    memcpy(pj->data, out.data, out.len);
    pj->len = out.len;
    pj->pages = out.pages;
    snprintf(pj->docno, sizeof(pj->docno), "%s", out.docno);
    snprintf(pj->filename, sizeof(pj->filename), "%s", out.filename);
    pdf_output_free(&out);
    double ms = ms_since(&t0);
    job_set_result(ctx, json_pack("{s:I, s:s, s:s, s:I, s:i, s:f}", "document_id",
                                  (json_int_t)pj->document_id, "kind", doc_kind_info(kind)->name,
                                  "docno", pj->docno, "bytes", (json_int_t)pj->len, "pages",
                                  pj->pages, "ms", ms));
    log_info("pdf: document %" PRId64 " (%s %s) rendered: %zu bytes, %d pages, %.1f ms",
             pj->document_id, doc_kind_info(kind)->name, pj->docno, pj->len, pj->pages, ms);
    return 0;
}

/* PQexecParams with text parameters except those flagged in binary. */
static PGresult *exec(PGconn *conn, const char *sql, int n, const char *const *values,
                      const int *lengths, const int *binary)
{
    PGresult *r = PQexecParams(conn, sql, n, NULL, values, lengths, binary, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return r;
    log_err("pdf: %s", PQresultErrorMessage(r));
    PQclear(r);
    return NULL;
}

static int pdf_commit(struct job_ctx *ctx, struct job *job, PGconn *conn)
{
    const struct pdf_job *pj = job->data;
    if (pj->skip)
        return 0;
    char id[24];
    snprintf(id, sizeof(id), "%" PRId64, pj->document_id);
    const char *v1[] = {id};
    PGresult *r = exec(conn,
                       "SELECT state, input_hash, candidate_id, subject_type, subject_id, kind "
                       "FROM documents WHERE id = $1::bigint FOR UPDATE",
                       1, v1, NULL, NULL);
    if (r == NULL)
        return job_fail(ctx, "locking document %s failed", id);
    if (PQntuples(r) == 0) {
        PQclear(r);
        return job_fail(ctx, "document %s does not exist", id);
    }
    if (strcmp(PQgetvalue(r, 0, 0), "ready") == 0) {
        PQclear(r); /* rendered by another run meanwhile: keep its file */
        return 0;
    }
    char cand[24];
    snprintf(cand, sizeof(cand), "%s", PQgetvalue(r, 0, 2));
    if (strcmp(PQgetvalue(r, 0, 1), pj->hash) != 0) {
        /* The subject changed after the request: does a row for the new input exist? */
        const char *v2[] = {PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 4), PQgetvalue(r, 0, 5),
                            pj->hash};
        PGresult *c = exec(conn,
                           "SELECT id FROM documents WHERE subject_type = $1 AND subject_id = $2 "
                           "AND kind = $3 AND input_hash = $4",
                           4, v2, NULL, NULL);
        PQclear(r);
        if (c == NULL)
            return job_fail(ctx, "reading documents failed");
        bool taken = PQntuples(c) > 0;
        PQclear(c);
        if (taken) {
            PGresult *u = exec(conn,
                               "UPDATE documents SET state = 'failed', error = 'superseded: the "
                               "subject changed while it was rendered; the document of its new "
                               "data is another row', updated_at = now() WHERE id = $1::bigint",
                               1, v1, NULL, NULL);
            if (u == NULL)
                return job_fail(ctx, "marking document %s superseded failed", id);
            PQclear(u);
            log_notice("pdf: document %s superseded (its subject changed while rendering)", id);
            return 0;
        }
    } else {
        PQclear(r);
    }
    char size[24], pages[16];
    snprintf(size, sizeof(size), "%zu", pj->len);
    snprintf(pages, sizeof(pages), "%d", pj->pages);
    const char *v[] = {id,        cand,         size,  (const char *)pj->data,
                       pj->docno, pj->filename, pages, pj->hash};
    const int lengths[] = {0, 0, 0, (int)pj->len, 0, 0, 0, 0};
    const int binary[] = {0, 0, 0, 1, 0, 0, 0, 0};
    PGresult *w = exec(
        conn,
        "WITH f AS (INSERT INTO files (candidate_id, content_type, size, sha256, data) VALUES "
        "($2::bigint, 'application/pdf', $3::int, encode(sha256($4::bytea), 'hex'), $4::bytea) "
        "RETURNING id) UPDATE documents d SET state = 'ready', file_id = f.id, docno = $5, "
        "filename = $6, pages = $7::int, input_hash = $8, error = NULL, ready_at = now(), "
        "updated_at = now() FROM f WHERE d.id = $1::bigint RETURNING d.id",
        8, v, lengths, binary);
    if (w == NULL)
        return job_fail(ctx, "storing the PDF of document %s failed", id);
    PQclear(w);
    return 0;
}

/* The job is dead: its document (still pending, or failed earlier and
 * revived) will not be rendered; the job's last error says why. */
static int pdf_dead(struct job_ctx *ctx, struct job *job, PGconn *conn)
{
    char id[24];
    snprintf(id, sizeof(id), "%" PRId64, job->id);
    const char *v[] = {id};
    PGresult *r = exec(conn,
                       "UPDATE documents d SET state = 'failed', error = j.last_error || ' (after "
                       "' || j.attempts || ' attempts)', updated_at = now() FROM jobs j WHERE j.id "
                       "= $1::bigint AND d.job_id = j.id AND d.state <> 'ready' RETURNING d.id",
                       1, v, NULL, NULL);
    if (r == NULL)
        return job_fail(ctx, "marking the document of job %s failed did not work", id);
    if (PQntuples(r) == 1)
        log_err("pdf: document %s failed: the job is dead", PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

const struct job_queue job_queue_pdf = {
    .name = QUEUE_PDF,
    .run = pdf_run,
    .commit = pdf_commit,
    .on_dead = pdf_dead,
    .max_attempts = 0, /* [jobs] max_attempts */
    .timeout_ms = 30000,
    .thread_init = pdf_thread_init,
    .thread_free = pdf_thread_free,
};
