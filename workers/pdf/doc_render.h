/*
 * doc_render.h - from a document's input (JSON) to PDF bytes: the `pdf`
 * queue's table of document kinds, each with the loader that fills its
 * template's struct from the input and the pdf_render_* call.
 *
 * The input is document_input(kind, subject_type, subject_id) (SQL, see
 * schema/0007_documents.sql) with the meta (documents.h, doc_meta_json)
 * under "meta". The PDF's generated-at time comes from the data (for the
 * receipt: the order's paid time), never from the clock, so the same input
 * gives the same bytes on every render.
 *
 * Wired now: the receipt (subject: a paid order) and the 毕业生登记表
 * (subject: a Shanxi graduation application with a saved form, schema
 * 0024; its photo is a stored file the input names by id and SHA-256, read
 * through struct doc_files), the 免考申请信息详情 (subject: a submitted exemption
 * application, exemption_detail_input() of schema 0028) and the 省内转考申请信息详情
 * (subject: a submitted in-province transfer, transfer_detail_input() of
 * schema 0029) and the 省际转出证明 (subject: an approved transfer out of the
 * province, transfer_certificate_input() of schema 0029: every passed course).
 */
#ifndef ZK_DOC_RENDER_H
#define ZK_DOC_RENDER_H

#include "documents.h"
#include "pdf.h"

#include <jansson.h>

/*
 * Fills *r from a receipt input; strings point into input (which must
 * outlive r). Returns 0, or -EINVAL with a sentence in err naming the field
 * that is missing or of the wrong type (never its value).
 */
int doc_receipt_from_input(const json_t *input, struct pdf_receipt *r, char *err, size_t errsz);

/*
 * Where a loader gets the bytes of a stored file its input names (table
 * `files`: id and SHA-256), e.g. the graduate form's photo. fetch returns 0
 * with *data (malloc'd, the caller frees it) and *len, or a negative errno
 * with a sentence in err (-ENOENT: no such file, or not with that SHA-256).
 */
struct doc_files {
    int (*fetch)(void *ud, int64_t file_id, const char *sha256, unsigned char **data, size_t *len,
                 char *err, size_t errsz);
    void *ud;
};

/* A 毕业生登记表 loaded from its input: the template's struct and what it
 * points to (strings point into the input, which must outlive it). */
struct doc_graduate_form {
    struct pdf_graduate_form form;
    struct pdf_resume_entry resume[PDF_RESUME_MAX];
    unsigned char *photo; /* from files->fetch; doc_graduate_form_free frees it */
};

/*
 * Fills *g from a graduate form input (graduate_form_input(), schema 0024):
 * the fixed part (name, gender, ID number, exam ID, major, level,
 * university, district), the form's fields, the résumé rows (from, to,
 * where, role, witness), the self-assessment, and the photo read through
 * files. Returns 0, -EINVAL with a sentence naming the field (never its
 * value), -ENODATA when the input names no photo or files is NULL, or
 * fetch's error. On failure nothing needs freeing.
 */
int doc_graduate_form_from_input(const json_t *input, const struct doc_files *files,
                                 struct doc_graduate_form *g, char *err, size_t errsz);
void doc_graduate_form_free(struct doc_graduate_form *g);

/*
 * Renders a document of kind from its input into out (pdf.h's contract: on
 * failure out->data is NULL and out->error names the field). files gives the
 * bytes of stored files the input names (may be NULL for kinds that name
 * none). Returns 0, the PDF layer's negative error, -EINVAL for an input the
 * loader cannot read, a fetch error, or -ENOSYS for a kind whose loader is
 * not wired yet.
 */
int doc_render_files(enum doc_kind kind, const json_t *input, const struct doc_files *files,
                     struct pdf_output *out);
/* doc_render_files without stored files. */
int doc_render(enum doc_kind kind, const json_t *input, struct pdf_output *out);

#endif
