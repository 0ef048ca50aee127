/*
 * tpl_receipt.c - 网上缴费凭证, the receipt for a paid order: order number,
 * purpose, payer, amount (integer fen, printed as yuan with two decimals
 * and in Chinese capitals), payment method, paid time and the payment
 * provider's transaction id. The payer's ID number is printed masked.
 */
#include "pdf_internal.h"

#include "mask.h"

#include <errno.h>
#include <string.h>

#define TEXT_SIZE 10.5
#define ROW_H     PDF_MM(10.0)

struct receipt_ctx {
    const struct pdf_receipt *in;
    char *title;
    char yuan[40];
    char capitals[160];
    char paid[24], created[24];
    char id_masked[40];
};

static void draw_receipt(struct pdf_doc *d, const void *arg)
{
    const struct receipt_ctx *x = arg;
    const struct pdf_receipt *in = x->in;
    const double l = PDF_MM(30.0), w = PDF_MM(55.0), wide = w + l + w;
    char *amount = g_strdup_printf("¥%s 元", x->yuan);
    char *capitals = g_strdup_printf("人民币%s", x->capitals);
    const struct pdf_cell rows[8][4] = {
        {{l, "订单号", PDF_CELL_LABEL, NULL}, {wide, in->order_no, 0, "订单号"}},
        {{l, "缴费项目", PDF_CELL_LABEL, NULL}, {wide, in->purpose, 0, "缴费项目"}},
        {{l, "缴费人", PDF_CELL_LABEL, NULL},
         {w, in->payer_name, 0, "缴费人"},
         {l, "准考证号", PDF_CELL_LABEL, NULL},
         {w, in->exam_id, 0, "准考证号"}},
        {{l, "证件号码", PDF_CELL_LABEL, NULL},
         {w, x->id_masked, 0, "证件号码"},
         {l, "订单状态", PDF_CELL_LABEL, NULL},
         {w, "已支付", 0, NULL}},
        {{l, "金额（小写）", PDF_CELL_LABEL, NULL},
         {w, amount, 0, NULL},
         {l, "金额（大写）", PDF_CELL_LABEL, NULL},
         {w, capitals, 0, NULL}},
        {{l, "支付方式", PDF_CELL_LABEL, NULL},
         {w, in->pay_method, 0, "支付方式"},
         {l, "支付时间", PDF_CELL_LABEL, NULL},
         {w, x->paid, 0, NULL}},
        {{l, "支付平台交易号", PDF_CELL_LABEL, NULL}, {wide, in->provider_txn_id, 0, "交易号"}},
        {{l, "下单时间", PDF_CELL_LABEL, NULL}, {wide, x->created, 0, NULL}},
    };
    const int n[8] = {2, 2, 4, 4, 4, 4, 2, 2};

    pdf_title(d, x->title);
    for (int r = 0; r < 8; r++)
        if (r < 7 || in->created_at > 0)
            pdf_grid_row(d, rows[r], n[r], TEXT_SIZE, ROW_H);
    d->y += PDF_MM(5.0);
    if (in->note && *in->note) {
        char *note = g_strdup_printf("说明：%s", in->note);
        pdf_para(d, 9.5, PANGO_ALIGN_LEFT, note);
        g_free(note);
        d->y += PDF_MM(1.5);
    }
    pdf_para(d, 9.5, PANGO_ALIGN_LEFT,
             "本凭证根据支付平台的支付结果生成，仅证明上述订单已缴费，不作为财政票据。");
    g_free(amount);
    g_free(capitals);
}

int pdf_render_receipt(const struct pdf_receipt *in, struct pdf_output *out)
{
    struct receipt_ctx x;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&x, 0, sizeof(x));
    x.in = in;
    const struct pdf_field fields[] = {
        {"订单号 (order_no)", in->order_no, 1, 0},
        {"缴费项目 (purpose)", in->purpose, 1, 0},
        {"缴费人 (payer_name)", in->payer_name, 1, 0},
        {"准考证号 (exam_id)", in->exam_id, 0, 0},
        {"证件号码 (id_number)", in->id_number, 0, 0},
        {"支付方式 (pay_method)", in->pay_method, 0, 0},
        {"支付平台交易号 (provider_txn_id)", in->provider_txn_id, 1, 0},
        {"说明 (note)", in->note, 0, 0},
    };
    if ((rc = pdf_check_fields(out->error, sizeof(out->error), fields,
                               sizeof(fields) / sizeof(fields[0]))) < 0)
        return rc;
    if (in->amount_fen <= 0 || pdf_format_yuan(x.yuan, sizeof(x.yuan), in->amount_fen) < 0 ||
        pdf_format_yuan_capitals(x.capitals, sizeof(x.capitals), in->amount_fen) < 0) {
        snprintf(out->error, sizeof(out->error),
                 "amount_fen must be a positive amount in fen (below 10^18)");
        return -EINVAL;
    }
    if (in->paid_at <= 0) {
        snprintf(out->error, sizeof(out->error),
                 "the order has no paid time: only paid orders have a receipt");
        return -EINVAL;
    }
    pdf_format_time(x.paid, sizeof(x.paid), in->paid_at);
    if (in->created_at > 0)
        pdf_format_time(x.created, sizeof(x.created), in->created_at);
    if (in->id_number)
        mask_id_number(x.id_masked, sizeof(x.id_masked), in->id_number);
    x.title = g_strdup_printf("%s高等教育自学考试网上缴费凭证",
                              in->meta.province ? in->meta.province : "");
    rc = pdf_doc_render(PDF_DOC_RECEIPT, &in->meta, x.title, draw_receipt, &x, out);
    g_free(x.title);
    return rc;
}
