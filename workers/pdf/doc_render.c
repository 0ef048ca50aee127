/*
 * doc_render.c - the document kinds the `pdf` queue renders: for each, the
 * loader from its input JSON to the template's struct (see doc_render.h).
 * Only the receipt's loader exists; the other kinds wait for their flows.
 */
#include "doc_render.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The receipt's note for fees that are not refunded (as the order API says). */
#define DOC_NO_REFUND_NOTE "毕业申请等考务费用一经缴纳，不予退还。"

static int input_error(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int input_error(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* A string member: *out is NULL when absent or null; -EINVAL for another type
 * or when required and missing. */
static int get_str(const json_t *obj, const char *key, bool required, const char **out, char *err,
                   size_t errsz)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return required ? input_error(err, errsz, "input: %s is missing", key) : 0;
    if (!json_is_string(v))
        return input_error(err, errsz, "input: %s must be a string", key);
    *out = json_string_value(v);
    return 0;
}

/* An integer member (0 when absent or null and not required). */
static int get_int(const json_t *obj, const char *key, bool required, int64_t *out, char *err,
                   size_t errsz)
{
    const json_t *v = json_object_get(obj, key);
    *out = 0;
    if (v == NULL || json_is_null(v))
        return required ? input_error(err, errsz, "input: %s is missing", key) : 0;
    if (!json_is_integer(v))
        return input_error(err, errsz, "input: %s must be an integer", key);
    *out = (int64_t)json_integer_value(v);
    return 0;
}

/* meta (office name, province, font) and the serial of every kind. */
static int meta_from_input(const json_t *input, int64_t generated_at, struct pdf_meta *m, char *err,
                           size_t errsz)
{
    const json_t *meta = json_object_get(input, "meta");
    const char *font = NULL;
    int64_t serial = 0;
    int rc;
    memset(m, 0, sizeof(*m));
    if (!json_is_object(meta))
        return input_error(err, errsz, "input: meta must be an object");
    if ((rc = get_str(meta, "office_name", true, &m->office_name, err, errsz)) < 0 ||
        (rc = get_str(meta, "province", true, &m->province, err, errsz)) < 0 ||
        (rc = get_str(meta, "font", false, &font, err, errsz)) < 0 ||
        (rc = get_int(input, "serial", true, &serial, err, errsz)) < 0)
        return rc;
    if (serial < 0 || serial > (int64_t)PDF_SERIAL_MAX)
        return input_error(err, errsz, "input: serial must be 0..%u", PDF_SERIAL_MAX);
    m->serial = (uint32_t)serial;
    m->generated_at = generated_at;
    m->body_font = font;
    m->heading_font = font;
    return 0;
}

static const char *pay_method_name(const char *provider)
{
    if (provider == NULL)
        return NULL;
    if (strcmp(provider, "alipay") == 0)
        return "支付宝";
    if (strcmp(provider, "wechat") == 0)
        return "微信支付";
    return provider;
}

int doc_receipt_from_input(const json_t *input, struct pdf_receipt *r, char *err, size_t errsz)
{
    const char *provider = NULL;
    int rc;
    memset(r, 0, sizeof(*r));
    if (!json_is_object(input))
        return input_error(err, errsz, "input must be a JSON object");
    const json_t *refundable = json_object_get(input, "refundable");
    if ((rc = get_str(input, "order_no", true, &r->order_no, err, errsz)) < 0 ||
        (rc = get_str(input, "purpose", true, &r->purpose, err, errsz)) < 0 ||
        (rc = get_str(input, "payer_name", true, &r->payer_name, err, errsz)) < 0 ||
        (rc = get_str(input, "exam_id", false, &r->exam_id, err, errsz)) < 0 ||
        (rc = get_str(input, "id_number", false, &r->id_number, err, errsz)) < 0 ||
        (rc = get_str(input, "provider", false, &provider, err, errsz)) < 0 ||
        (rc = get_str(input, "provider_trade_no", true, &r->provider_txn_id, err, errsz)) < 0 ||
        (rc = get_int(input, "amount_fen", true, &r->amount_fen, err, errsz)) < 0 ||
        (rc = get_int(input, "created_at", false, &r->created_at, err, errsz)) < 0 ||
        (rc = get_int(input, "paid_at", true, &r->paid_at, err, errsz)) < 0)
        return rc;
    if (refundable != NULL && !json_is_boolean(refundable))
        return input_error(err, errsz, "input: refundable must be a boolean");
    if ((rc = meta_from_input(input, r->paid_at, &r->meta, err, errsz)) < 0)
        return rc;
    r->pay_method = pay_method_name(provider);
    r->note = json_is_false(refundable) ? DOC_NO_REFUND_NOTE : NULL;
    return 0;
}

static int render_receipt(const json_t *input, struct pdf_output *out)
{
    struct pdf_receipt r;
    int rc = doc_receipt_from_input(input, &r, out->error, sizeof(out->error));
    return rc < 0 ? rc : pdf_render_receipt(&r, out);
}

/* The kinds: loader + renderer, NULL until the kind's flow exists. */
static int (*const doc_renderers[DOC_KIND_COUNT])(const json_t *input, struct pdf_output *out) = {
    [DOC_RECEIPT] = render_receipt,
    [DOC_GRADUATE_FORM] = NULL,    /* the graduation flow: application, photo, résumé */
    [DOC_EXEMPTION_DETAIL] = NULL, /* the exemption flow (seed 002) */
    [DOC_TRANSFER_DETAIL] = NULL,  /* the transfer flow (seed 003) */
};

int doc_render(enum doc_kind kind, const json_t *input, struct pdf_output *out)
{
    memset(out, 0, sizeof(*out));
    const struct doc_kind_info *info = doc_kind_info(kind);
    if (info == NULL) {
        snprintf(out->error, sizeof(out->error), "unknown document kind %d", (int)kind);
        return -EINVAL;
    }
    if (doc_renderers[kind] == NULL) {
        snprintf(out->error, sizeof(out->error),
                 "documents of kind %s are not wired to data yet (their %s flow does not exist)",
                 info->name, info->subject_type);
        return -ENOSYS;
    }
    return doc_renderers[kind](input, out);
}
