/*
 * tpl_exemption.c - 免考申请信息详情, the printable detail of an exemption
 * application (seed 002, step 7): the candidate, the chosen majors and
 * confirmation point, each certificate with the courses it exempts, and
 * the application's state. Candidates bring this page to the confirmation
 * point to ask for the one re-application.
 */
#include "pdf_internal.h"

#include <errno.h>
#include <string.h>

#define TEXT_SIZE 10.5
#define ROW_H     PDF_MM(9.0)

struct exemption_ctx {
    const struct pdf_exemption_detail *in;
    char *title;
    char *majors;
};

static void certificate_table(struct pdf_doc *d, const struct pdf_exemption_detail *in)
{
    static const struct pdf_cell head[] = {
        {PDF_MM(12.0), "序号", PDF_CELL_LABEL | PDF_CELL_CENTER, NULL},
        {PDF_MM(56.0), "证书", PDF_CELL_LABEL, NULL},
        {PDF_MM(50.0), "证书信息", PDF_CELL_LABEL, NULL},
        {PDF_MM(52.0), "免考课程", PDF_CELL_LABEL, NULL},
    };
    const struct pdf_table t = {head, 4, TEXT_SIZE, ROW_H};
    pdf_section(d, "免考申请证书课程", 2 * ROW_H);
    pdf_table_head(d, &t);
    for (size_t i = 0; i < in->cert_count && d->rc == 0; i++) {
        const struct pdf_exemption_cert *c = &in->certs[i];
        GString *info = g_string_new(NULL), *courses = g_string_new(NULL);
        if (c->exam_date && *c->exam_date)
            g_string_append_printf(info, "考试时间：%s\n", c->exam_date);
        if (c->subject && *c->subject)
            g_string_append_printf(info, "考试科目：%s\n", c->subject);
        if (c->cert_no && *c->cert_no)
            g_string_append_printf(info, "证书编号：%s\n", c->cert_no);
        if (info->len > 0)
            g_string_truncate(info, info->len - 1);
        for (size_t k = 0; k < c->course_count; k++)
            g_string_append_printf(courses, "%s%s %s", k ? "\n" : "", c->courses[k].code,
                                   c->courses[k].name);
        char seq[24];
        snprintf(seq, sizeof(seq), "%zu", i + 1);
        const char *row[4] = {seq, c->certificate, info->str, courses->str};
        pdf_table_row(d, &t, row);
        g_string_free(info, TRUE);
        g_string_free(courses, TRUE);
    }
}

static void draw_exemption(struct pdf_doc *d, const void *arg)
{
    const struct exemption_ctx *x = arg;
    const struct pdf_exemption_detail *in = x->in;
    const double l = PDF_MM(24.0), w = PDF_MM(61.0), wide = w + l + w;
    const struct pdf_cell rows[5][4] = {
        {{l, "姓名", PDF_CELL_LABEL, NULL},
         {w, in->name, 0, "姓名"},
         {l, "性别", PDF_CELL_LABEL, NULL},
         {w, in->gender, 0, "性别"}},
        {{l, "证件号码", PDF_CELL_LABEL, NULL},
         {w, in->id_number, 0, "证件号码"},
         {l, "准考证号", PDF_CELL_LABEL, NULL},
         {w, in->exam_id, 0, "准考证号"}},
        {{l, "考区", PDF_CELL_LABEL, NULL},
         {w, in->exam_area, 0, "考区"},
         {l, "免考确认点", PDF_CELL_LABEL, NULL},
         {w, in->confirm_point, 0, "免考确认点"}},
        {{l, "专业", PDF_CELL_LABEL, NULL}, {wide, x->majors, 0, "专业"}},
        {{l, "固定电话", PDF_CELL_LABEL, NULL},
         {w, in->landline, 0, "固定电话"},
         {l, "手机号", PDF_CELL_LABEL, NULL},
         {w, in->mobile, 0, "手机号"}},
    };
    const int n[5] = {4, 4, 4, 2, 4};

    pdf_title(d, x->title);
    for (int r = 0; r < 5; r++)
        pdf_grid_row(d, rows[r], n[r], TEXT_SIZE, ROW_H);
    d->y += PDF_MM(5.0);
    certificate_table(d, in);

    d->y += PDF_MM(5.0);
    char *status =
        in->return_reason && *in->return_reason
            ? g_strdup_printf("考生免考申请状态：%s（退回原因：%s）", in->status, in->return_reason)
            : g_strdup_printf("考生免考申请状态：%s", in->status);
    pdf_para(d, TEXT_SIZE, PANGO_ALIGN_LEFT, status);
    g_free(status);
    if (in->submitted_at > 0) {
        char t[24], *line;
        pdf_format_time(t, sizeof(t), in->submitted_at);
        line = g_strdup_printf("提交时间：%s", t);
        d->y += PDF_MM(1.5);
        pdf_para(d, TEXT_SIZE, PANGO_ALIGN_LEFT, line);
        g_free(line);
    }
    d->y += PDF_MM(4.0);
    pdf_para(d, 9.0, PANGO_ALIGN_LEFT,
             "说明：免考申请提交后，在免考申请期间如发现免考材料或课程信息有误需修改的，考生须携带"
             "本人身份证及本页到免考确认点提出申请，经工作人员审核无误后方可在平台重新申请。"
             "重新申请机会仅限一次。");
    d->y += PDF_MM(12.0);
    pdf_para(d, TEXT_SIZE, PANGO_ALIGN_RIGHT, "考生签名：＿＿＿＿＿＿＿＿　　　年　　月　　日");
}

int pdf_render_exemption_detail(const struct pdf_exemption_detail *in, struct pdf_output *out)
{
    struct exemption_ctx x = {in, NULL, NULL};
    int rc;

    memset(out, 0, sizeof(*out));
    const struct pdf_field fields[] = {
        {"姓名 (name)", in->name, 1, 0},
        {"性别 (gender)", in->gender, 0, 0},
        {"证件号码 (id_number)", in->id_number, 1, 0},
        {"准考证号 (exam_id)", in->exam_id, 1, 0},
        {"考区 (exam_area)", in->exam_area, 0, 0},
        {"专业 (majors[0])", in->majors[0], 1, 0},
        {"专业 (majors[1])", in->majors[1], 0, 0},
        {"固定电话 (landline)", in->landline, 0, 0},
        {"手机号 (mobile)", in->mobile, 0, 0},
        {"免考确认点 (confirm_point)", in->confirm_point, 1, 0},
        {"申请状态 (status)", in->status, 1, 0},
        {"退回原因 (return_reason)", in->return_reason, 0, 0},
    };
    if ((rc = pdf_check_fields(out->error, sizeof(out->error), fields,
                               sizeof(fields) / sizeof(fields[0]))) < 0)
        return rc;
    if (in->cert_count < 1 || in->cert_count > PDF_EXEMPTION_MAX_CERTS || in->certs == NULL) {
        snprintf(out->error, sizeof(out->error),
                 "an exemption application has 1 to %d certificates, not %zu",
                 PDF_EXEMPTION_MAX_CERTS, in->cert_count);
        return -EINVAL;
    }
    for (size_t i = 0; i < in->cert_count; i++) {
        const struct pdf_exemption_cert *c = &in->certs[i];
        const struct pdf_field cf[] = {
            {"证书 (certs.certificate)", c->certificate, 1, 0},
            {"考试时间 (certs.exam_date)", c->exam_date, 0, 0},
            {"考试科目 (certs.subject)", c->subject, 0, 0},
            {"证书编号 (certs.cert_no)", c->cert_no, 0, 0},
        };
        if ((rc = pdf_check_fields(out->error, sizeof(out->error), cf, 4)) < 0)
            return rc;
        if (c->course_count < 1 || c->courses == NULL) {
            snprintf(out->error, sizeof(out->error),
                     "certificate %zu exempts no course: each names at least one", i + 1);
            return -EINVAL;
        }
        for (size_t k = 0; k < c->course_count; k++) {
            const struct pdf_field kf[] = {
                {"课程代码 (courses.code)", c->courses[k].code, 1, 0},
                {"课程名称 (courses.name)", c->courses[k].name, 1, 0},
            };
            if ((rc = pdf_check_fields(out->error, sizeof(out->error), kf, 2)) < 0)
                return rc;
        }
    }

    x.title = g_strdup_printf("%s高等教育自学考试免考申请信息详情",
                              in->meta.province ? in->meta.province : "");
    x.majors = in->majors[1] && *in->majors[1]
                   ? g_strdup_printf("%s；%s", in->majors[0], in->majors[1])
                   : g_strdup(in->majors[0]);
    rc = pdf_doc_render(PDF_DOC_EXEMPTION, &in->meta, x.title, draw_exemption, &x, out);
    g_free(x.title);
    g_free(x.majors);
    return rc;
}
