/*
 * tpl_transfer_certificate.c - 省际转出证明, the certificate a candidate whose
 * transfer out of the province (省际转出, handbook 003) was approved takes to
 * the examination office of the destination province: the candidate, the
 * exam IDs, where to and why, when it was approved, and every passed course
 * with its score, credits and date (the table continues across pages), with
 * the total credits.
 */
#include "pdf_internal.h"

#include <errno.h>
#include <string.h>

#define TEXT_SIZE 10.5
#define ROW_H     PDF_MM(9.0)

struct certificate_ctx {
    const struct pdf_transfer_certificate *in;
    char *title;
};

static void draw_certificate(struct pdf_doc *d, const void *arg)
{
    const struct certificate_ctx *x = arg;
    const struct pdf_transfer_certificate *in = x->in;
    const double l = PDF_MM(24.0), w = PDF_MM(61.0), wide = w + l + w;
    char when[24];
    pdf_format_time(when, sizeof(when), in->approved_at);
    const struct pdf_cell rows[4][4] = {
        {{l, "姓名", PDF_CELL_LABEL, NULL},
         {w, in->name, 0, "姓名"},
         {l, "性别", PDF_CELL_LABEL, NULL},
         {w, in->gender, 0, "性别"}},
        {{l, "证件号码", PDF_CELL_LABEL, NULL},
         {w, in->id_number, 0, "证件号码"},
         {l, "批准时间", PDF_CELL_LABEL, NULL},
         {w, when, 0, "批准时间"}},
        {{l, "准考证号", PDF_CELL_LABEL, NULL}, {wide, in->exam_ids, 0, "准考证号"}},
        {{l, "转入省份", PDF_CELL_LABEL, NULL},
         {w, in->to_province, 0, "转入省份"},
         {l, "转出原因", PDF_CELL_LABEL, NULL},
         {w, in->reason, 0, "转出原因"}},
    };
    const int n[4] = {4, 4, 2, 4};
    static const struct pdf_cell head[] = {
        {PDF_MM(12.0), "序号", PDF_CELL_LABEL | PDF_CELL_CENTER, NULL},
        {PDF_MM(30.0), "准考证号", PDF_CELL_LABEL | PDF_CELL_CENTER, NULL},
        {PDF_MM(18.0), "课程代码", PDF_CELL_LABEL | PDF_CELL_CENTER, NULL},
        {PDF_MM(56.0), "课程名称", PDF_CELL_LABEL, NULL},
        {PDF_MM(16.0), "成绩", PDF_CELL_LABEL | PDF_CELL_CENTER, NULL},
        {PDF_MM(12.0), "学分", PDF_CELL_LABEL | PDF_CELL_CENTER, NULL},
        {PDF_MM(26.0), "合格时间", PDF_CELL_LABEL | PDF_CELL_CENTER, NULL},
    };
    const struct pdf_table t = {head, 7, TEXT_SIZE, ROW_H};

    pdf_title(d, x->title);
    for (int r = 0; r < 4; r++)
        pdf_grid_row(d, rows[r], n[r], TEXT_SIZE, ROW_H);
    d->y += PDF_MM(5.0);
    pdf_section(d, "合格课程", 2 * ROW_H);
    pdf_table_head(d, &t);
    long total = 0;
    for (size_t i = 0; i < in->course_count && d->rc == 0; i++) {
        const struct pdf_passed_course *c = &in->courses[i];
        char seq[24], credits[16];
        snprintf(seq, sizeof(seq), "%zu", i + 1);
        snprintf(credits, sizeof(credits), "%d", c->credits);
        const char *row[7] = {seq, c->exam_id, c->code, c->name, c->score, credits, c->passed_on};
        pdf_table_row(d, &t, row);
        total += c->credits;
    }
    d->y += PDF_MM(4.0);
    char *sum = in->course_count > 0
                    ? g_strdup_printf("合格课程共 %zu 门，合计 %ld 学分。", in->course_count, total)
                    : g_strdup("无合格课程。");
    pdf_para(d, TEXT_SIZE, PANGO_ALIGN_LEFT, sum);
    g_free(sum);
    d->y += PDF_MM(4.0);
    pdf_para(d, 9.0, PANGO_ALIGN_LEFT,
             "说明：本证明列出考生在本省取得的全部合格课程，凭本证明到转入省份的高等教育自学考试"
             "机构办理转入手续。文档编号可在本平台核验。");
    d->y += PDF_MM(14.0);
    pdf_para(d, TEXT_SIZE, PANGO_ALIGN_RIGHT, "（盖章）　　　年　　月　　日");
}

int pdf_render_transfer_certificate(const struct pdf_transfer_certificate *in,
                                    struct pdf_output *out)
{
    struct certificate_ctx x = {in, NULL};
    int rc;

    memset(out, 0, sizeof(*out));
    const struct pdf_field fields[] = {
        {"姓名 (name)", in->name, 1, 0},
        {"性别 (gender)", in->gender, 0, 0},
        {"证件号码 (id_number)", in->id_number, 1, 0},
        {"准考证号 (exam_ids)", in->exam_ids, 1, 0},
        {"转入省份 (to_province)", in->to_province, 1, 0},
        {"转出原因 (reason)", in->reason, 0, 0},
    };
    if ((rc = pdf_check_fields(out->error, sizeof(out->error), fields,
                               sizeof(fields) / sizeof(fields[0]))) < 0)
        return rc;
    if (in->approved_at <= 0) {
        snprintf(out->error, sizeof(out->error),
                 "required field 批准时间 (approved_at) is not set");
        return -EINVAL;
    }
    if (in->course_count > 0 && in->courses == NULL) {
        snprintf(out->error, sizeof(out->error), "courses: %zu courses but no list",
                 in->course_count);
        return -EINVAL;
    }
    for (size_t i = 0; i < in->course_count; i++) {
        const struct pdf_passed_course *c = &in->courses[i];
        const struct pdf_field cf[] = {
            {"准考证号 (courses.exam_id)", c->exam_id, 1, 0},
            {"课程代码 (courses.code)", c->code, 1, 0},
            {"课程名称 (courses.name)", c->name, 1, 0},
            {"成绩 (courses.score)", c->score, 1, 0},
            {"合格时间 (courses.passed_on)", c->passed_on, 1, 0},
        };
        if ((rc = pdf_check_fields(out->error, sizeof(out->error), cf, 5)) < 0)
            return rc;
        if (c->credits < 0) {
            snprintf(out->error, sizeof(out->error), "course %zu: credits must be >= 0", i + 1);
            return -EINVAL;
        }
    }
    x.title = g_strdup_printf("%s高等教育自学考试省际转出证明",
                              in->meta.province ? in->meta.province : "");
    rc = pdf_doc_render(PDF_DOC_TRANSFER_OUT, &in->meta, x.title, draw_certificate, &x, out);
    g_free(x.title);
    return rc;
}
