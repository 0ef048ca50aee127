/*
 * tpl_transfer.c - 省内转考申请信息详情, the printable detail of an
 * in-province transfer (seed 003, step 2): the candidate and one row of
 * type, origin city, time, destination city and remarks.
 */
#include "pdf_internal.h"

#include <errno.h>
#include <string.h>

#define TEXT_SIZE 10.5
#define ROW_H     PDF_MM(9.0)

struct transfer_ctx {
    const struct pdf_transfer_detail *in;
    char *title;
};

static void draw_transfer(struct pdf_doc *d, const void *arg)
{
    const struct transfer_ctx *x = arg;
    const struct pdf_transfer_detail *in = x->in;
    const double l = PDF_MM(24.0), w = PDF_MM(61.0);
    const struct pdf_cell rows[2][4] = {
        {{l, "姓名", PDF_CELL_LABEL, NULL},
         {w, in->name, 0, "姓名"},
         {l, "性别", PDF_CELL_LABEL, NULL},
         {w, in->gender, 0, "性别"}},
        {{l, "证件号码", PDF_CELL_LABEL, NULL},
         {w, in->id_number, 0, "证件号码"},
         {l, "准考证号", PDF_CELL_LABEL, NULL},
         {w, in->exam_id, 0, "准考证号"}},
    };
    static const struct pdf_cell head[] = {
        {PDF_MM(26.0), "类型", PDF_CELL_LABEL | PDF_CELL_CENTER, NULL},
        {PDF_MM(32.0), "原属地市", PDF_CELL_LABEL | PDF_CELL_CENTER, NULL},
        {PDF_MM(42.0), "申请时间", PDF_CELL_LABEL | PDF_CELL_CENTER, NULL},
        {PDF_MM(32.0), "转入市", PDF_CELL_LABEL | PDF_CELL_CENTER, NULL},
        {PDF_MM(38.0), "备注", PDF_CELL_LABEL, NULL},
    };
    const struct pdf_table t = {head, 5, TEXT_SIZE, PDF_MM(10.0)};
    char when[24];
    pdf_format_time(when, sizeof(when), in->applied_at);
    const char *row[5] = {in->kind && *in->kind ? in->kind : "省内转考", in->from_city, when,
                          in->to_city, in->remarks};

    pdf_title(d, x->title);
    for (int r = 0; r < 2; r++)
        pdf_grid_row(d, rows[r], 4, TEXT_SIZE, ROW_H);
    d->y += PDF_MM(5.0);
    pdf_section(d, "转考申请信息", 2 * ROW_H);
    pdf_table_head(d, &t);
    pdf_table_row(d, &t, row);
    if (in->status && *in->status) {
        char *s = g_strdup_printf("申请状态：%s", in->status);
        d->y += PDF_MM(5.0);
        pdf_para(d, TEXT_SIZE, PANGO_ALIGN_LEFT, s);
        g_free(s);
    }
    d->y += PDF_MM(14.0);
    pdf_para(d, TEXT_SIZE, PANGO_ALIGN_RIGHT, "考生签名：＿＿＿＿＿＿＿＿　　　年　　月　　日");
}

int pdf_render_transfer_detail(const struct pdf_transfer_detail *in, struct pdf_output *out)
{
    struct transfer_ctx x = {in, NULL};
    int rc;

    memset(out, 0, sizeof(*out));
    const struct pdf_field fields[] = {
        {"姓名 (name)", in->name, 1, 0},
        {"性别 (gender)", in->gender, 0, 0},
        {"证件号码 (id_number)", in->id_number, 1, 0},
        {"准考证号 (exam_id)", in->exam_id, 1, 0},
        {"类型 (kind)", in->kind, 0, 0},
        {"原属地市 (from_city)", in->from_city, 1, 0},
        {"转入市 (to_city)", in->to_city, 1, 0},
        {"备注 (remarks)", in->remarks, 0, 0},
        {"申请状态 (status)", in->status, 0, 0},
    };
    if ((rc = pdf_check_fields(out->error, sizeof(out->error), fields,
                               sizeof(fields) / sizeof(fields[0]))) < 0)
        return rc;
    if (in->applied_at <= 0) {
        snprintf(out->error, sizeof(out->error), "required field 申请时间 (applied_at) is not set");
        return -EINVAL;
    }
    x.title = g_strdup_printf("%s高等教育自学考试省内转考申请信息详情",
                              in->meta.province ? in->meta.province : "");
    rc = pdf_doc_render(PDF_DOC_TRANSFER, &in->meta, x.title, draw_transfer, &x, out);
    g_free(x.title);
    return rc;
}
