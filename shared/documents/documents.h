/*
 * documents.h - what the server and the `pdf` worker agree on about stored
 * documents (table `documents`, schema/0007_documents.sql): the document
 * kinds and their subjects, the configuration part of a document's input,
 * and the Content-Disposition a download carries.
 *
 * This module (library zikao_documents) owns no state and links neither
 * cairo nor libpq: the server uses it without the PDF layer.
 *
 * A document's input is document_input(kind, subject_type, subject_id) (SQL,
 * the subject's data) with the object doc_meta_json() returns added under
 * "meta"; its SHA-256 (document_input_hash, SQL) identifies a rendering.
 * The server computes the meta from its configuration when it creates the
 * document row and stores it there; the worker renders with the stored
 * meta, so the hash always describes what was rendered.
 */
#ifndef ZK_DOCUMENTS_H
#define ZK_DOCUMENTS_H

#include "config.h"

#include <jansson.h>
#include <stddef.h>

/* Part of every input: bump it when a template's output changes, so that
 * documents rendered by the old template are rendered again on request. */
#define DOC_TEMPLATE_VERSION 1

enum doc_kind {
    DOC_RECEIPT,          /* 缴费凭证, subject ('order', order_no) */
    DOC_GRADUATE_FORM,    /* 毕业生登记表, subject ('graduation', application id) */
    DOC_EXEMPTION_DETAIL, /* 免考申请信息详情, subject ('exemption', application id) */
    DOC_TRANSFER_DETAIL,  /* 省内转考申请信息详情, subject ('transfer', application id) */
    DOC_TRANSFER_CERTIFICATE, /* 省际转出证明, subject ('transfer_out', application id) */
    DOC_KIND_COUNT
};

struct doc_kind_info {
    const char *name;           /* documents.kind: "receipt" */
    const char *subject_type;   /* documents.subject_type: "order" */
    const char *title;          /* "缴费凭证" (messages to candidates) */
    const char *ascii_filename; /* Content-Disposition fallback: "receipt.pdf" */
};

/* The kind's row; NULL for a value outside the enum. */
const struct doc_kind_info *doc_kind_info(enum doc_kind kind);
/* The kind named name, or -1. */
int doc_kind_parse(const char *name);

/* The header's office name: [documents] office_name, or the province
 * profile's ("山西省招生考试管理中心", "天津市教育招生考试院"). Never NULL. */
const char *doc_office_name(const struct zk_config *cfg);
/* The title prefix of the province profile ("山西省", "天津市"). Never NULL. */
const char *doc_province_name(const struct zk_config *cfg);

/* The configuration part of a document's input (new reference):
 * {"version": DOC_TEMPLATE_VERSION, "office_name": ..., "province": ...,
 *  "font": [documents] font_family or null for the PDF layer's default}. */
json_t *doc_meta_json(const struct zk_config *cfg);

/*
 * Writes the value of a download's Content-Disposition header (RFC 6266):
 *   attachment; filename="<ascii_fallback>"; filename*=UTF-8''<utf8_name>
 * with utf8_name percent-encoded as RFC 5987 (8187) ext-value (every byte
 * outside attr-char as %XX, upper-case hex). ascii_fallback must be printable
 * ASCII without '"' or '\\'. Returns the length, -EINVAL for a bad fallback
 * or a utf8_name that is empty or not valid UTF-8, -E2BIG when out is too small.
 */
int doc_content_disposition(char *out, size_t outsz, const char *ascii_fallback,
                            const char *utf8_name);

#endif
