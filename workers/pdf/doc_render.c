/*
 * doc_render.c - the document kinds the `pdf` queue renders: for each, the
 * loader from its input JSON to the template's struct (see doc_render.h).
 * Every kind of documents.h has its loader: the receipt, the graduate form,
 * the exemption and the in-province transfer details, the transfer-out
 * certificate.
 */
#include "doc_render.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

static int render_receipt(const json_t *input, const struct doc_files *files,
                          struct pdf_output *out)
{
    (void)files;
    struct pdf_receipt r;
    int rc = doc_receipt_from_input(input, &r, out->error, sizeof(out->error));
    return rc < 0 ? rc : pdf_render_receipt(&r, out);
}

/* ---- 毕业生登记表 ---- */

/* One résumé row of input.resume[i]. */
static int resume_row(const json_t *row, size_t i, struct pdf_resume_entry *e, char *err,
                      size_t errsz)
{
    if (!json_is_object(row))
        return input_error(err, errsz, "input: resume[%zu] must be an object", i);
    const char *keys[] = {"from", "to", "where", "role", "witness"};
    const char **dst[] = {&e->from, &e->to, &e->unit, &e->role, &e->witness};
    for (size_t k = 0; k < 5; k++) {
        const json_t *v = json_object_get(row, keys[k]);
        if ((k < 3 && (v == NULL || json_is_null(v))) ||
            (v && !json_is_null(v) && !json_is_string(v)))
            return input_error(err, errsz, "input: resume[%zu].%s must be a string", i, keys[k]);
        *dst[k] = json_string_value(v);
    }
    return 0;
}

int doc_graduate_form_from_input(const json_t *input, const struct doc_files *files,
                                 struct doc_graduate_form *g, char *err, size_t errsz)
{
    struct pdf_graduate_form *f = &g->form;
    int64_t generated_at = 0, file_id = 0;
    const char *sha256 = NULL;
    int rc;
    memset(g, 0, sizeof(*g));
    if (!json_is_object(input))
        return input_error(err, errsz, "input must be a JSON object");
    /* The fixed part (records and application), then the form's fields. */
    const struct {
        const char *key;
        const char **dst;
        bool required;
    } strs[] = {
        {"name", &f->name, true},
        {"gender", &f->gender, true},
        {"birth_date", &f->birth_date, false},
        {"id_number", &f->id_number, true},
        {"exam_id", &f->exam_id, true},
        {"major_code", &f->major_code, false},
        {"major_name", &f->major_name, true},
        {"level", &f->level, true},
        {"university", &f->university, true},
        {"district", &f->district, false},
        {"ethnicity", &f->ethnicity, false},
        {"political_status", &f->political_status, false},
        {"native_place", &f->native_place, false},
        {"work_unit", &f->work_unit, false},
        {"address", &f->address, false},
        {"postcode", &f->postcode, false},
        {"phone", &f->phone, false},
        {"email", &f->email, false},
        {"prior_level", &f->prior_level, false},
        {"prior_school", &f->prior_school, false},
        {"prior_major", &f->prior_major, false},
        {"prior_graduated", &f->prior_graduated, false},
        {"prior_cert_no", &f->prior_cert_no, false},
        {"self_assessment", &f->self_assessment, false},
    };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if ((rc = get_str(input, strs[i].key, strs[i].required, strs[i].dst, err, errsz)) < 0)
            return rc;
    const json_t *resume = json_object_get(input, "resume");
    if (!json_is_array(resume))
        return input_error(err, errsz, "input: resume must be an array");
    if (json_array_size(resume) > PDF_RESUME_MAX)
        return input_error(err, errsz, "input: resume has more than %d rows", PDF_RESUME_MAX);
    for (size_t i = 0; i < json_array_size(resume); i++)
        if ((rc = resume_row(json_array_get(resume, i), i, &g->resume[i], err, errsz)) < 0)
            return rc;
    f->resume = g->resume;
    f->resume_count = json_array_size(resume);

    if ((rc = get_int(input, "generated_at", true, &generated_at, err, errsz)) < 0 ||
        (rc = meta_from_input(input, generated_at, &f->meta, err, errsz)) < 0)
        return rc;

    const json_t *photo = json_object_get(input, "photo");
    if (photo == NULL || json_is_null(photo)) {
        snprintf(err, errsz,
                 "input: photo is missing (the application has no graduation photo that passed "
                 "or was checked by hand)");
        return -ENODATA;
    }
    if (!json_is_object(photo))
        return input_error(err, errsz, "input: photo must be an object");
    if ((rc = get_int(photo, "file_id", true, &file_id, err, errsz)) < 0 ||
        (rc = get_str(photo, "sha256", true, &sha256, err, errsz)) < 0)
        return rc;
    if (files == NULL || files->fetch == NULL) {
        snprintf(err, errsz, "the photo (file %lld) cannot be read: no file store given",
                 (long long)file_id);
        return -ENODATA;
    }
    size_t len = 0;
    if ((rc = files->fetch(files->ud, file_id, sha256, &g->photo, &len, err, errsz)) < 0) {
        g->photo = NULL;
        return rc;
    }
    f->photo = g->photo;
    f->photo_len = len;
    return 0;
}

void doc_graduate_form_free(struct doc_graduate_form *g)
{
    free(g->photo);
    g->photo = NULL;
}

static int render_graduate_form(const json_t *input, const struct doc_files *files,
                                struct pdf_output *out)
{
    struct doc_graduate_form g;
    int rc = doc_graduate_form_from_input(input, files, &g, out->error, sizeof(out->error));
    if (rc < 0)
        return rc;
    rc = pdf_render_graduate_form(&g.form, out);
    doc_graduate_form_free(&g);
    return rc;
}

/* ---- 免考申请信息详情 ---- */

/* The exemption detail's struct and the arrays it points to. */
struct doc_exemption {
    struct pdf_exemption_detail d;
    struct pdf_exemption_cert certs[PDF_EXEMPTION_MAX_CERTS];
    struct pdf_course *courses[PDF_EXEMPTION_MAX_CERTS]; /* malloc'd, one array per certificate */
};

static void doc_exemption_free(struct doc_exemption *x)
{
    for (size_t i = 0; i < PDF_EXEMPTION_MAX_CERTS; i++)
        free(x->courses[i]);
    memset(x->courses, 0, sizeof(x->courses));
}

/* input.certificates[i]: certificate, exam_date, subject, courses [{code, name}]. */
static int exemption_cert(const json_t *c, size_t i, struct doc_exemption *x, char *err,
                          size_t errsz)
{
    struct pdf_exemption_cert *e = &x->certs[i];
    const json_t *courses = json_object_get(c, "courses");
    int rc;
    if (!json_is_object(c))
        return input_error(err, errsz, "input: certificates[%zu] must be an object", i);
    if ((rc = get_str(c, "certificate", true, &e->certificate, err, errsz)) < 0 ||
        (rc = get_str(c, "exam_date", false, &e->exam_date, err, errsz)) < 0 ||
        (rc = get_str(c, "subject", false, &e->subject, err, errsz)) < 0)
        return rc;
    size_t n = json_array_size(courses);
    if (!json_is_array(courses) || n == 0 || n > 64)
        return input_error(err, errsz, "input: certificates[%zu].courses must be 1..64 courses", i);
    x->courses[i] = calloc(n, sizeof(*x->courses[i]));
    if (x->courses[i] == NULL)
        return input_error(err, errsz, "out of memory");
    for (size_t k = 0; k < n; k++) {
        const json_t *course = json_array_get(courses, k);
        if ((rc = get_str(course, "code", true, &x->courses[i][k].code, err, errsz)) < 0 ||
            (rc = get_str(course, "name", true, &x->courses[i][k].name, err, errsz)) < 0)
            return rc;
    }
    e->courses = x->courses[i];
    e->course_count = n;
    return 0;
}

/*
 * Fills *x from an exemption detail input (exemption_detail_input(), schema
 * 0028); strings point into input. On failure nothing needs freeing beyond
 * doc_exemption_free, which the caller always calls.
 */
static int doc_exemption_from_input(const json_t *input, struct doc_exemption *x, char *err,
                                    size_t errsz)
{
    struct pdf_exemption_detail *d = &x->d;
    int64_t generated_at = 0;
    int rc;
    if (!json_is_object(input))
        return input_error(err, errsz, "input must be a JSON object");
    const json_t *majors = json_object_get(input, "majors");
    const json_t *certs = json_object_get(input, "certificates");
    if ((rc = get_str(input, "name", true, &d->name, err, errsz)) < 0 ||
        (rc = get_str(input, "gender", false, &d->gender, err, errsz)) < 0 ||
        (rc = get_str(input, "id_number", true, &d->id_number, err, errsz)) < 0 ||
        (rc = get_str(input, "exam_id", true, &d->exam_id, err, errsz)) < 0 ||
        (rc = get_str(input, "exam_area", false, &d->exam_area, err, errsz)) < 0 ||
        (rc = get_str(input, "mobile", false, &d->mobile, err, errsz)) < 0 ||
        (rc = get_str(input, "confirm_point", true, &d->confirm_point, err, errsz)) < 0 ||
        (rc = get_str(input, "status", true, &d->status, err, errsz)) < 0 ||
        (rc = get_str(input, "return_reason", false, &d->return_reason, err, errsz)) < 0 ||
        (rc = get_int(input, "submitted_at", false, &d->submitted_at, err, errsz)) < 0 ||
        (rc = get_int(input, "generated_at", true, &generated_at, err, errsz)) < 0)
        return rc;
    if (!json_is_array(majors) || json_array_size(majors) < 1 ||
        json_array_size(majors) > PDF_EXEMPTION_MAX_MAJORS)
        return input_error(err, errsz, "input: majors must be 1..%d majors",
                           PDF_EXEMPTION_MAX_MAJORS);
    for (size_t i = 0; i < json_array_size(majors); i++)
        if ((d->majors[i] = json_string_value(json_array_get(majors, i))) == NULL)
            return input_error(err, errsz, "input: majors[%zu] must be a string", i);
    if (!json_is_array(certs) || json_array_size(certs) < 1 ||
        json_array_size(certs) > PDF_EXEMPTION_MAX_CERTS)
        return input_error(err, errsz, "input: certificates must be 1..%d certificates",
                           PDF_EXEMPTION_MAX_CERTS);
    for (size_t i = 0; i < json_array_size(certs); i++)
        if ((rc = exemption_cert(json_array_get(certs, i), i, x, err, errsz)) < 0)
            return rc;
    d->certs = x->certs;
    d->cert_count = json_array_size(certs);
    return meta_from_input(input, generated_at, &d->meta, err, errsz);
}

static int render_exemption(const json_t *input, const struct doc_files *files,
                            struct pdf_output *out)
{
    (void)files;
    struct doc_exemption x;
    memset(&x, 0, sizeof(x));
    int rc = doc_exemption_from_input(input, &x, out->error, sizeof(out->error));
    if (rc == 0)
        rc = pdf_render_exemption_detail(&x.d, out);
    doc_exemption_free(&x);
    return rc;
}

/* ---- 省内转考申请信息详情 ---- */

static int render_transfer(const json_t *input, const struct doc_files *files,
                           struct pdf_output *out)
{
    (void)files;
    struct pdf_transfer_detail t;
    int64_t generated_at = 0;
    char *err = out->error;
    size_t errsz = sizeof(out->error);
    int rc;
    memset(&t, 0, sizeof(t));
    if (!json_is_object(input))
        return input_error(err, errsz, "input must be a JSON object");
    if ((rc = get_str(input, "name", true, &t.name, err, errsz)) < 0 ||
        (rc = get_str(input, "gender", false, &t.gender, err, errsz)) < 0 ||
        (rc = get_str(input, "id_number", true, &t.id_number, err, errsz)) < 0 ||
        (rc = get_str(input, "exam_id", true, &t.exam_id, err, errsz)) < 0 ||
        (rc = get_str(input, "from_city", true, &t.from_city, err, errsz)) < 0 ||
        (rc = get_str(input, "to_city", true, &t.to_city, err, errsz)) < 0 ||
        (rc = get_str(input, "remarks", false, &t.remarks, err, errsz)) < 0 ||
        (rc = get_str(input, "status", false, &t.status, err, errsz)) < 0 ||
        (rc = get_int(input, "applied_at", true, &t.applied_at, err, errsz)) < 0 ||
        (rc = get_int(input, "generated_at", true, &generated_at, err, errsz)) < 0 ||
        (rc = meta_from_input(input, generated_at, &t.meta, err, errsz)) < 0)
        return rc;
    return pdf_render_transfer_detail(&t, out);
}

/* ---- 省际转出证明 ---- */

/* input.courses[i] of a transfer certificate. */
static int passed_course(const json_t *c, size_t i, struct pdf_passed_course *p, char *err,
                         size_t errsz)
{
    int64_t credits = 0;
    int rc;
    if (!json_is_object(c))
        return input_error(err, errsz, "input: courses[%zu] must be an object", i);
    if ((rc = get_str(c, "exam_id", true, &p->exam_id, err, errsz)) < 0 ||
        (rc = get_str(c, "code", true, &p->code, err, errsz)) < 0 ||
        (rc = get_str(c, "name", true, &p->name, err, errsz)) < 0 ||
        (rc = get_str(c, "score", true, &p->score, err, errsz)) < 0 ||
        (rc = get_str(c, "passed_on", true, &p->passed_on, err, errsz)) < 0 ||
        (rc = get_int(c, "credits", true, &credits, err, errsz)) < 0)
        return rc;
    if (credits < 0 || credits > 99)
        return input_error(err, errsz, "input: courses[%zu].credits must be 0..99", i);
    p->credits = (int)credits;
    return 0;
}

static int render_transfer_certificate(const json_t *input, const struct doc_files *files,
                                       struct pdf_output *out)
{
    (void)files;
    struct pdf_transfer_certificate t;
    struct pdf_passed_course *courses = NULL;
    int64_t generated_at = 0;
    char *err = out->error;
    size_t errsz = sizeof(out->error);
    int rc;
    memset(&t, 0, sizeof(t));
    if (!json_is_object(input))
        return input_error(err, errsz, "input must be a JSON object");
    const json_t *list = json_object_get(input, "courses");
    if ((rc = get_str(input, "name", true, &t.name, err, errsz)) < 0 ||
        (rc = get_str(input, "gender", false, &t.gender, err, errsz)) < 0 ||
        (rc = get_str(input, "id_number", true, &t.id_number, err, errsz)) < 0 ||
        (rc = get_str(input, "exam_ids", true, &t.exam_ids, err, errsz)) < 0 ||
        (rc = get_str(input, "to_province", true, &t.to_province, err, errsz)) < 0 ||
        (rc = get_str(input, "reason", false, &t.reason, err, errsz)) < 0 ||
        (rc = get_int(input, "approved_at", true, &t.approved_at, err, errsz)) < 0 ||
        (rc = get_int(input, "generated_at", true, &generated_at, err, errsz)) < 0 ||
        (rc = meta_from_input(input, generated_at, &t.meta, err, errsz)) < 0)
        return rc;
    if (!json_is_array(list) || json_array_size(list) > 500)
        return input_error(err, errsz, "input: courses must be a list of at most 500 courses");
    t.course_count = json_array_size(list);
    if (t.course_count > 0 && (courses = calloc(t.course_count, sizeof(*courses))) == NULL)
        return input_error(err, errsz, "out of memory");
    for (size_t i = 0; i < t.course_count && rc == 0; i++)
        rc = passed_course(json_array_get(list, i), i, &courses[i], err, errsz);
    t.courses = courses;
    if (rc == 0)
        rc = pdf_render_transfer_certificate(&t, out);
    free(courses);
    return rc;
}

/* The kinds: loader + renderer. */
static int (*const doc_renderers[DOC_KIND_COUNT])(const json_t *input,
                                                  const struct doc_files *files,
                                                  struct pdf_output *out) = {
    [DOC_RECEIPT] = render_receipt,
    [DOC_GRADUATE_FORM] = render_graduate_form,
    [DOC_EXEMPTION_DETAIL] = render_exemption,
    [DOC_TRANSFER_DETAIL] = render_transfer,
    [DOC_TRANSFER_CERTIFICATE] = render_transfer_certificate,
};

int doc_render(enum doc_kind kind, const json_t *input, struct pdf_output *out)
{
    return doc_render_files(kind, input, NULL, out);
}

int doc_render_files(enum doc_kind kind, const json_t *input, const struct doc_files *files,
                     struct pdf_output *out)
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
    return doc_renderers[kind](input, files, out);
}
