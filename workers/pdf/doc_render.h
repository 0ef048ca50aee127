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
 * Wired now: the receipt (subject: a paid order). The 毕业生登记表, 免考 and
 * 转考 templates exist in the PDF layer, but their flows (graduation,
 * exemption and transfer applications) do not yet: their rows in the table
 * have no loader and rendering them fails with -ENOSYS until those flows add
 * document_input() branches and loaders.
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
 * Renders a document of kind from its input into out (pdf.h's contract: on
 * failure out->data is NULL and out->error names the field). Returns 0, the
 * PDF layer's negative error, -EINVAL for an input the loader cannot read,
 * or -ENOSYS for a kind whose loader is not wired yet.
 */
int doc_render(enum doc_kind kind, const json_t *input, struct pdf_output *out);

#endif
