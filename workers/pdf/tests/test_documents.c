/* test_documents.c - what the server and the pdf worker agree on: the
 * download's Content-Disposition (RFC 6266 with an RFC 5987 filename*), the
 * office name and province per profile, the meta part of a document's input,
 * the kinds table; and the receipt's and the graduate form's loaders and
 * renders from an input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "doc_render.h"
#include "documents.h"
#include "pdf_fixtures.h"

#include <errno.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAID_AT 1795401015 /* 2026-11-23 10:30:15 Beijing */

static void test_content_disposition_percent_encodes_the_chinese_name_as_rfc5987(void **state)
{
    char cd[512];
    int n = doc_content_disposition(cd, sizeof(cd), "receipt.pdf",
                                    "缴费凭证-JF-20261123-00000001-2.pdf");
    const char *want = "attachment; filename=\"receipt.pdf\"; filename*=UTF-8''"
                       "%E7%BC%B4%E8%B4%B9%E5%87%AD%E8%AF%81-JF-20261123-00000001-2.pdf";
    assert_string_equal(cd, want);
    assert_int_equal(n, (int)strlen(want));
}

static void test_content_disposition_encodes_everything_outside_attr_char(void **state)
{
    char cd[256];
    /* attr-char passes (letters, digits, !#$&+-.^_`|~); space, quotes, %, *,
     * ', (, ), comma, semicolon, slash and backslash are escaped. */
    assert_true(doc_content_disposition(cd, sizeof(cd), "x.pdf", "a b\"%*'(),;/\\!#$&+-.^_`|~") >
                0);
    assert_string_equal(strstr(cd, "UTF-8''") + 7,
                        "a%20b%22%25%2A%27%28%29%2C%3B%2F%5C!#$&+-.^_`|~");
}

static void test_content_disposition_refuses_bad_names_and_small_buffers(void **state)
{
    char cd[64];
    assert_int_equal(doc_content_disposition(cd, sizeof(cd), "x.pdf", "\xe7\xbc"), -EINVAL);
    assert_int_equal(doc_content_disposition(cd, sizeof(cd), "x.pdf", ""), -EINVAL);
    assert_int_equal(doc_content_disposition(cd, sizeof(cd), "a\"b.pdf", "a.pdf"), -EINVAL);
    assert_int_equal(doc_content_disposition(cd, sizeof(cd), "a\\b.pdf", "a.pdf"), -EINVAL);
    assert_int_equal(doc_content_disposition(cd, sizeof(cd), "收据.pdf", "a.pdf"), -EINVAL);
    assert_int_equal(
        doc_content_disposition(cd, sizeof(cd), "x.pdf", "缴费凭证缴费凭证缴费凭证.pdf"), -E2BIG);
    /* exactly fitting works: 47 bytes of prefix, 5 of name, the NUL */
    assert_int_equal(doc_content_disposition(cd, 53, "x.pdf", "a.pdf"), 52);
    assert_int_equal(doc_content_disposition(cd, 52, "x.pdf", "a.pdf"), -E2BIG);
}

static void test_office_name_follows_the_province_profile_unless_configured(void **state)
{
    struct zk_config cfg;
    config_defaults(&cfg);
    assert_string_equal(cfg.province, "shanxi");
    assert_string_equal(doc_office_name(&cfg), "山西省招生考试管理中心");
    assert_string_equal(doc_province_name(&cfg), "山西省");
    snprintf(cfg.province, sizeof(cfg.province), "tianjin");
    assert_string_equal(doc_office_name(&cfg), "天津市教育招生考试院");
    assert_string_equal(doc_province_name(&cfg), "天津市");
    snprintf(cfg.doc_office_name, sizeof(cfg.doc_office_name), "天津市某区自考办");
    assert_string_equal(doc_office_name(&cfg), "天津市某区自考办");
    assert_string_equal(doc_province_name(&cfg), "天津市");
}

static void test_meta_holds_template_version_office_province_and_font(void **state)
{
    struct zk_config cfg;
    config_defaults(&cfg);
    json_t *m = doc_meta_json(&cfg);
    assert_int_equal(json_integer_value(json_object_get(m, "version")), DOC_TEMPLATE_VERSION);
    assert_string_equal(json_string_value(json_object_get(m, "office_name")),
                        "山西省招生考试管理中心");
    assert_string_equal(json_string_value(json_object_get(m, "province")), "山西省");
    assert_true(json_is_null(json_object_get(m, "font")));
    json_decref(m);
    snprintf(cfg.doc_font_family, sizeof(cfg.doc_font_family), "AR PL UMing CN");
    m = doc_meta_json(&cfg);
    assert_string_equal(json_string_value(json_object_get(m, "font")), "AR PL UMing CN");
    json_decref(m);
}

static void test_kinds_match_the_schema_names_and_subjects(void **state)
{
    static const char *const names[] = {"receipt", "graduate_form", "exemption_detail",
                                        "transfer_detail", "transfer_certificate"};
    static const char *const subjects[] = {"order", "graduation", "exemption", "transfer",
                                           "transfer_out"};
    for (int k = 0; k < DOC_KIND_COUNT; k++) {
        assert_string_equal(doc_kind_info((enum doc_kind)k)->name, names[k]);
        assert_string_equal(doc_kind_info((enum doc_kind)k)->subject_type, subjects[k]);
        assert_int_equal(doc_kind_parse(names[k]), k);
    }
    assert_null(doc_kind_info(DOC_KIND_COUNT));
    assert_int_equal(doc_kind_parse("admission_ticket"), -1);
    assert_int_equal(doc_kind_parse(NULL), -1);
}

/* ---- the receipt from its input ---- */

/* An input as document_input('receipt', 'order', no) || {"meta": ...} gives it. */
static json_t *receipt_input(void)
{
    return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:b, s:s, s:s, s:I, s:I, s:I, "
                     "s:{s:i, s:s, s:s, s:n}}",
                     "order_no", "ZK20261123AGR3BNRFH0VWN3BK", "candidate_id", (json_int_t)7,
                     "purpose", "毕业申请费", "payer_name", "欧阳明华", "id_number",
                     "140105199003071016", "exam_id", "010518000777", "amount_fen",
                     (json_int_t)12345, "refundable", 0, "provider", "wechat", "provider_trade_no",
                     "4200002026112312345678901234", "created_at", (json_int_t)(PAID_AT - 300),
                     "paid_at", (json_int_t)PAID_AT, "serial", (json_int_t)42, "meta", "version", 1,
                     "office_name", "山西省招生考试管理中心", "province", "山西省", "font");
}

static void test_receipt_input_fills_the_template_and_dates_it_by_the_payment(void **state)
{
    json_t *in = receipt_input();
    struct pdf_receipt r;
    char err[256] = "";
    assert_int_equal(doc_receipt_from_input(in, &r, err, sizeof(err)), 0);
    assert_string_equal(r.order_no, "ZK20261123AGR3BNRFH0VWN3BK");
    assert_string_equal(r.purpose, "毕业申请费");
    assert_string_equal(r.payer_name, "欧阳明华");
    assert_string_equal(r.exam_id, "010518000777");
    assert_string_equal(r.id_number, "140105199003071016"); /* the template masks it */
    assert_int_equal(r.amount_fen, 12345);
    assert_string_equal(r.pay_method, "微信支付");
    assert_string_equal(r.provider_txn_id, "4200002026112312345678901234");
    assert_int_equal(r.created_at, PAID_AT - 300);
    assert_int_equal(r.paid_at, PAID_AT);
    assert_non_null(strstr(r.note, "不予退还"));
    assert_int_equal(r.meta.generated_at, PAID_AT); /* never the clock */
    assert_int_equal(r.meta.serial, 42);
    assert_string_equal(r.meta.office_name, "山西省招生考试管理中心");
    assert_string_equal(r.meta.province, "山西省");
    assert_null(r.meta.body_font);

    json_object_set_new(in, "provider", json_string("alipay"));
    json_object_set_new(in, "refundable", json_true());
    json_object_set_new(in, "exam_id", json_null());
    assert_int_equal(doc_receipt_from_input(in, &r, err, sizeof(err)), 0);
    assert_string_equal(r.pay_method, "支付宝");
    assert_null(r.note);
    assert_null(r.exam_id);
    json_decref(in);
}

static void test_receipt_input_errors_name_the_field_never_the_value(void **state)
{
    struct pdf_receipt r;
    char err[256];
    json_t *in = receipt_input();
    json_object_del(in, "paid_at");
    assert_int_equal(doc_receipt_from_input(in, &r, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "input: paid_at is missing");
    json_decref(in);

    in = receipt_input();
    json_object_set_new(in, "payer_name", json_integer(5));
    assert_int_equal(doc_receipt_from_input(in, &r, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "input: payer_name must be a string");
    json_decref(in);

    in = receipt_input();
    json_object_set_new(in, "serial", json_integer(100000000));
    assert_int_equal(doc_receipt_from_input(in, &r, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "serial"));
    json_decref(in);

    in = receipt_input();
    json_object_del(in, "meta");
    assert_int_equal(doc_receipt_from_input(in, &r, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "input: meta must be an object");
    json_decref(in);
}

static void test_receipt_renders_the_same_bytes_every_time(void **state)
{
    json_t *in = receipt_input();
    struct pdf_output a, b;
    assert_int_equal(doc_render(DOC_RECEIPT, in, &a), 0);
    assert_int_equal(doc_render(DOC_RECEIPT, in, &b), 0);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    assert_string_equal(a.docno, b.docno);
    assert_memory_equal(a.docno, "JF-20261123-00000042-", 21);
    assert_int_equal(pdf_docno_verify(a.docno), 0);
    char want[96];
    snprintf(want, sizeof(want), "缴费凭证-%s.pdf", a.docno);
    assert_string_equal(a.filename, want);
    pdf_output_free(&a);
    pdf_output_free(&b);
    json_decref(in);
}

static void test_receipt_with_a_missing_font_fails_naming_the_font(void **state)
{
    json_t *in = receipt_input();
    json_object_set_new(json_object_get(in, "meta"), "font", json_string("No Such Font Family"));
    struct pdf_output out;
    assert_int_equal(doc_render(DOC_RECEIPT, in, &out), -ENOENT);
    assert_null(out.data);
    assert_non_null(strstr(out.error, "font \"No Such Font Family\" is not installed"));
    assert_null(strstr(out.error, "欧阳明华"));
    json_decref(in);
}

/* An input as exemption_detail_input() (schema 0028) || {"meta": ...} gives it. */
static json_t *exemption_input(void)
{
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:[s], s:s, s:s, s:s, s:n, s:I, s:I, s:I, "
        "s:[{s:s, s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}]}], s:{s:i, s:s, s:s, s:n}}",
        "name", "欧阳明华", "gender", "男", "id_number", "140105199003071016", "exam_id",
        "010518000777", "exam_area", "太原市小店区", "majors", "080702 计算机及应用", "mobile",
        "13900000000", "confirm_point", "小店区免考确认点", "status", "已提交，待确认点确认",
        "return_reason", "submitted_at", (json_int_t)PAID_AT, "generated_at", (json_int_t)PAID_AT,
        "serial", (json_int_t)3, "certificates", "certificate",
        "全国计算机等级考试(NCRE)NCRE一级及以上合格证书", "exam_date", "2019-09", "subject",
        "一级计算机基础及MS Office应用", "courses", "code", "00018", "name", "计算机应用基础",
        "code", "00019", "name", "计算机应用基础(实践)", "meta", "version", 1, "office_name",
        "山西省招生考试管理中心", "province", "山西省", "font");
}

static void test_an_exemption_detail_renders_from_its_input_the_same_bytes_each_time(void **state)
{
    json_t *in = exemption_input();
    struct pdf_output a, b;
    assert_int_equal(doc_render(DOC_EXEMPTION_DETAIL, in, &a), 0);
    assert_int_equal(doc_render(DOC_EXEMPTION_DETAIL, in, &b), 0);
    assert_true(a.len > 1000 && memcmp(a.data, "%PDF-", 5) == 0);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    pdf_output_free(&a);
    pdf_output_free(&b);
    json_decref(in);
}

static void test_an_exemption_input_without_courses_fails_naming_the_field(void **state)
{
    json_t *in = exemption_input();
    json_t *cert = json_array_get(json_object_get(in, "certificates"), 0);
    json_object_set_new(cert, "courses", json_array());
    struct pdf_output out;
    assert_int_equal(doc_render(DOC_EXEMPTION_DETAIL, in, &out), -EINVAL);
    assert_null(out.data);
    assert_non_null(strstr(out.error, "certificates[0].courses"));
    assert_null(strstr(out.error, "欧阳明华"));
    json_decref(in);
}

static void test_a_transfer_detail_needs_its_time_of_application(void **state)
{
    json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:{s:i, s:s, s:s, s:n}}",
                           "name", "欧阳明华", "id_number", "140105199003071016", "exam_id",
                           "010518000777", "from_city", "太原市", "to_city", "大同市新荣区",
                           "status", "已提交", "applied_at", (json_int_t)PAID_AT, "generated_at",
                           (json_int_t)PAID_AT, "serial", (json_int_t)4, "meta", "version", 1,
                           "office_name", "山西省招生考试管理中心", "province", "山西省", "font");
    struct pdf_output out;
    assert_int_equal(doc_render(DOC_TRANSFER_DETAIL, in, &out), 0);
    assert_true(memcmp(out.data, "%PDF-", 5) == 0);
    pdf_output_free(&out);
    json_object_del(in, "applied_at");
    assert_int_equal(doc_render(DOC_TRANSFER_DETAIL, in, &out), -EINVAL);
    assert_non_null(strstr(out.error, "applied_at"));
    assert_int_equal(doc_render(DOC_KIND_COUNT, in, &out), -EINVAL);
    json_decref(in);
}

static void test_a_transfer_certificate_lists_every_passed_course_across_pages(void **state)
{
    json_t *courses = json_array();
    for (int i = 0; i < 60; i++)
        json_array_append_new(courses,
                              json_pack("{s:s, s:s, s:s, s:s, s:i, s:s}", "exam_id", "010518000777",
                                        "code", "00018", "name", "计算机应用基础", "score", "85",
                                        "credits", 2, "passed_on", "2024-04-13"));
    json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:{s:i, s:s, s:s, s:n}}",
                           "name", "欧阳明华", "id_number", "140105199003071016", "exam_ids",
                           "010518000777", "to_province", "北京市", "reason", "随家庭迁往北京",
                           "approved_at", (json_int_t)PAID_AT, "generated_at", (json_int_t)PAID_AT,
                           "serial", (json_int_t)5, "courses", courses, "meta", "version", 1,
                           "office_name", "山西省招生考试管理中心", "province", "山西省", "font");
    struct pdf_output out;
    assert_int_equal(doc_render(DOC_TRANSFER_CERTIFICATE, in, &out), 0);
    assert_true(memcmp(out.data, "%PDF-", 5) == 0);
    assert_true(out.pages >= 2);
    pdf_output_free(&out);
    json_object_set_new(json_array_get(courses, 3), "credits", json_integer(-1));
    assert_int_equal(doc_render(DOC_TRANSFER_CERTIFICATE, in, &out), -EINVAL);
    assert_non_null(strstr(out.error, "courses[3].credits"));
    json_decref(in);
}

/* ---- the 毕业生登记表 from its input ---- */

#define FORM_CHANGED_AT 1796700000 /* 2026-12-08 11:20:00 Beijing: the form's last change */
#define PHOTO_FILE_ID   314
#define PHOTO_SHA256    "8d5e957f297893487bd98fa830fa6413b1a7c4bc4cdb1b8dc9ca8fd5b8f2bb56"

/* A file store holding the fixture photo under PHOTO_FILE_ID. */
struct photo_store {
    unsigned char *photo;
    size_t len;
    int fetches;
};

static int store_fetch(void *ud, int64_t file_id, const char *sha256, unsigned char **data,
                       size_t *len, char *err, size_t errsz)
{
    struct photo_store *st = ud;
    st->fetches++;
    if (file_id != PHOTO_FILE_ID || strcmp(sha256, PHOTO_SHA256) != 0) {
        snprintf(err, errsz, "file %lld is not in the store", (long long)file_id);
        return -ENOENT;
    }
    *data = malloc(st->len);
    memcpy(*data, st->photo, st->len);
    *len = st->len;
    return 0;
}

/* An input as graduate_form_input(id) || {"meta": ...} gives it (schema 0024). */
static json_t *graduate_input(void)
{
    json_t *resume =
        json_pack("[{s:s, s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s, s:s}]", "from", "2013-09", "to",
                  "2016-07", "where", "山西职业技术学院法律事务专业 学习", "role", "学生",
                  "witness", "李文华", "from", "2016-08", "to", "至今", "where",
                  "山西晋阳科技有限公司法务部 工作", "role", "法务专员", "witness", "");
    json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name",
                           "张晓明", "gender", "男", "birth_date", "1995-03", "id_number",
                           "140105199503151230", "exam_id", "080105408130", "major_code", "030101K",
                           "major_name", "法学", "level", "本科", "university", "山西大学",
                           "district_code", "140105", "district", "太原市小店区");
    json_t *form = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ethnicity",
        "汉族", "political_status", "共青团员", "native_place", "山西省太原市", "work_unit",
        "山西晋阳科技有限公司", "address", "山西省太原市小店区长风街100号", "postcode", "030006",
        "phone", "13812345678", "email", "", "prior_level", "专科", "prior_school",
        "山西职业技术学院", "prior_major", "法律事务", "prior_graduated", "2016-07",
        "prior_cert_no", "", "self_assessment", "本人自学考试以来，遵纪守法，刻苦学习。");
    json_object_update(in, form);
    json_decref(form);
    json_object_set_new(in, "resume", resume);
    json_object_set_new(in, "application_id", json_integer(77));
    json_object_set_new(in, "candidate_id", json_integer(7));
    json_object_set_new(
        in, "photo",
        json_pack("{s:I, s:s}", "file_id", (json_int_t)PHOTO_FILE_ID, "sha256", PHOTO_SHA256));
    json_object_set_new(in, "generated_at", json_integer(FORM_CHANGED_AT));
    json_object_set_new(in, "serial", json_integer(5021));
    json_object_set_new(in, "meta",
                        json_pack("{s:i, s:s, s:s, s:n}", "version", 1, "office_name",
                                  "山西省招生考试管理中心", "province", "山西省", "font"));
    return in;
}

static void
test_graduate_form_input_fills_the_template_from_the_application_and_the_form(void **state)
{
    struct photo_store st = {0};
    st.photo = fixture_photo(&st.len);
    assert_non_null(st.photo);
    const struct doc_files files = {store_fetch, &st};
    json_t *in = graduate_input();
    struct doc_graduate_form g;
    char err[256] = "";
    assert_int_equal(doc_graduate_form_from_input(in, &files, &g, err, sizeof(err)), 0);
    const struct pdf_graduate_form *f = &g.form;
    assert_string_equal(f->name, "张晓明");
    assert_string_equal(f->id_number, "140105199503151230");
    assert_string_equal(f->exam_id, "080105408130");
    assert_string_equal(f->major_code, "030101K");
    assert_string_equal(f->major_name, "法学");
    assert_string_equal(f->level, "本科");
    assert_string_equal(f->university, "山西大学");
    assert_string_equal(f->district, "太原市小店区");
    assert_string_equal(f->work_unit, "山西晋阳科技有限公司");
    assert_string_equal(f->prior_school, "山西职业技术学院");
    assert_string_equal(f->self_assessment, "本人自学考试以来，遵纪守法，刻苦学习。");
    assert_int_equal(f->resume_count, 2);
    assert_string_equal(f->resume[0].from, "2013-09");
    assert_string_equal(f->resume[0].unit, "山西职业技术学院法律事务专业 学习");
    assert_string_equal(f->resume[1].to, "至今");
    assert_string_equal(f->resume[1].role, "法务专员");
    assert_int_equal(f->meta.generated_at, FORM_CHANGED_AT); /* the form's change, not the clock */
    assert_int_equal(f->meta.serial, 5021);
    assert_int_equal(st.fetches, 1);
    assert_int_equal(f->photo_len, st.len);
    assert_memory_equal(f->photo, st.photo, st.len);
    doc_graduate_form_free(&g);
    json_decref(in);
    free(st.photo);
}

static void test_graduate_form_renders_the_same_bytes_numbered_by_its_change(void **state)
{
    struct photo_store st = {0};
    st.photo = fixture_photo(&st.len);
    const struct doc_files files = {store_fetch, &st};
    json_t *in = graduate_input();
    struct pdf_output a, b;
    assert_int_equal(doc_render_files(DOC_GRADUATE_FORM, in, &files, &a), 0);
    assert_int_equal(doc_render_files(DOC_GRADUATE_FORM, in, &files, &b), 0);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    assert_memory_equal(a.docno, "DJ-20261208-00005021-", 21);
    assert_int_equal(pdf_docno_verify(a.docno), 0);
    char want[96];
    snprintf(want, sizeof(want), "毕业生登记表-%s.pdf", a.docno);
    assert_string_equal(a.filename, want);
    pdf_output_free(&a);
    pdf_output_free(&b);
    json_decref(in);
    free(st.photo);
}

static void test_graduate_form_needs_its_photo_from_the_file_store(void **state)
{
    struct photo_store st = {0};
    st.photo = fixture_photo(&st.len);
    const struct doc_files files = {store_fetch, &st};
    struct pdf_output out;
    json_t *in = graduate_input();
    assert_int_equal(doc_render(DOC_GRADUATE_FORM, in, &out), -ENODATA); /* no store */
    assert_null(out.data);
    assert_non_null(strstr(out.error, "photo"));

    json_object_set_new(json_object_get(in, "photo"), "file_id", json_integer(315));
    assert_int_equal(doc_render_files(DOC_GRADUATE_FORM, in, &files, &out), -ENOENT);
    assert_non_null(strstr(out.error, "file 315"));

    json_object_set_new(in, "photo", json_null());
    assert_int_equal(doc_render_files(DOC_GRADUATE_FORM, in, &files, &out), -ENODATA);
    assert_non_null(strstr(out.error, "graduation photo"));
    assert_null(strstr(out.error, "张晓明"));

    json_decref(in);
    in = graduate_input();
    json_object_set_new(json_array_get(json_object_get(in, "resume"), 1), "where", json_null());
    assert_int_equal(doc_render_files(DOC_GRADUATE_FORM, in, &files, &out), -EINVAL);
    assert_string_equal(out.error, "input: resume[1].where must be a string");
    json_decref(in);
    free(st.photo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_disposition_percent_encodes_the_chinese_name_as_rfc5987),
        cmocka_unit_test(test_content_disposition_encodes_everything_outside_attr_char),
        cmocka_unit_test(test_content_disposition_refuses_bad_names_and_small_buffers),
        cmocka_unit_test(test_office_name_follows_the_province_profile_unless_configured),
        cmocka_unit_test(test_meta_holds_template_version_office_province_and_font),
        cmocka_unit_test(test_kinds_match_the_schema_names_and_subjects),
        cmocka_unit_test(test_receipt_input_fills_the_template_and_dates_it_by_the_payment),
        cmocka_unit_test(test_receipt_input_errors_name_the_field_never_the_value),
        cmocka_unit_test(test_receipt_renders_the_same_bytes_every_time),
        cmocka_unit_test(test_receipt_with_a_missing_font_fails_naming_the_font),
        cmocka_unit_test(test_an_exemption_detail_renders_from_its_input_the_same_bytes_each_time),
        cmocka_unit_test(test_an_exemption_input_without_courses_fails_naming_the_field),
        cmocka_unit_test(test_a_transfer_detail_needs_its_time_of_application),
        cmocka_unit_test(test_a_transfer_certificate_lists_every_passed_course_across_pages),
        cmocka_unit_test(
            test_graduate_form_input_fills_the_template_from_the_application_and_the_form),
        cmocka_unit_test(test_graduate_form_renders_the_same_bytes_numbered_by_its_change),
        cmocka_unit_test(test_graduate_form_needs_its_photo_from_the_file_store),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    /* The renders ran on this thread: release its pango font map. */
    pango_cairo_font_map_set_default(NULL);
    return failed;
}
