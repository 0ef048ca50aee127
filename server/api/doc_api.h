/*
 * doc_api.h - a document of a subject, asked for by a request (documents.c):
 * for the flows whose own routes export a document ("保存并导出 PDF"), the
 * same lookup, creation and job as the download routes.
 *
 * The document is the one of the subject's current input (document_input()
 * plus this server's meta, hashed; see shared/documents/documents.h): an
 * identical input finds the document rendered before, a changed one makes
 * a new row and its `pdf` job in one transaction.
 */
#ifndef ZK_DOC_API_H
#define ZK_DOC_API_H

#include "api.h"
#include "documents.h"

#include <stdint.h>

/* What one kind of subject's documents need from the API. */
struct doc_endpoint {
    enum doc_kind kind;
    /* The subject as (id text, ok bool, state text, code text, why text)
     * for $1 = subject id, $2 = candidate id: no row when it is not the
     * candidate's; ok false when it has no document now, answered 409 with
     * code and why, or not_ready_* when they are NULL. */
    const char *subject_sql;
    const char *not_found_code, *not_found_message;
    const char *not_ready_code, *not_ready_message;
    const char *download_path; /* printf format with the subject id: the GET that downloads */
    const char *field;         /* what 404 and 409 name as the field at fault, or NULL */
};

/* The 毕业生登记表 of a graduation application (schema 0024). */
extern const struct doc_endpoint doc_graduate_form_endpoint;

enum doc_answer {
    DOC_ANSWER_FILE,   /* 200 the PDF when ready; 202 while pending */
    DOC_ANSWER_STATUS, /* 200 {"state":"ready",...} / 202 {"state":"pending",...}: JSON only */
};

/*
 * Finds (or creates, with its job) the document of subject_id for the
 * candidate and answers as `how` says; failures as the download routes
 * answer them (404, 409, 500 DOCUMENT_FAILED, 503). extra: the text of a
 * JSON object whose members are added to a STATUS answer (e.g. the form's
 * version after a save), or NULL; it must live as long as the request.
 */
void doc_api_request(struct http_request *req, const struct doc_endpoint *ep,
                     const char *subject_id, int64_t candidate_id, enum doc_answer how,
                     const char *extra);

#endif
