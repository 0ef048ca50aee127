/*
 * tpl_graduate_form.c - 毕业生登记表, the graduate registration form a
 * candidate prints in two copies after paying (seed 001, steps 8-10).
 *
 * Page 1: personal details beside the photo, prior education, résumé (the
 * table flows on with its head row if long, and is padded with blank rows
 * to write in when short), and how to hand it in: two printed copies, with
 * the original cards, to the chosen district office in time, or the
 * application is void. Page 2: the candidate's name line, the
 * self-assessment box (flows onto page 3 and beyond at line boundaries;
 * empty, it is ruled to be written by hand), the signature line, then the
 * three stamp boxes kept together.
 */
#include "pdf_internal.h"

#include <errno.h>
#include <string.h>

#define ROW_H        PDF_MM(10.0)
#define TEXT_SIZE    10.5
#define RESUME_ROWS  8 /* rows the résumé shows at least (blank ones to write in) */
#define PHOTO_COL_W  PDF_MM(40.0)
#define STAMP_BODY_H PDF_MM(46.0)
#define NOTE_SIZE    9.0
#define NOTE_GAP     PDF_MM(3.0)

struct graduate_ctx {
    const struct pdf_graduate_form *in;
    struct pdf_image photo;
    char *title;
    char *major;
    char *note; /* how to hand it in */
};

static void personal_block(struct pdf_doc *d, const struct graduate_ctx *c)
{
    const struct pdf_graduate_form *in = c->in;
    const double l = PDF_MM(22.0), v1 = PDF_MM(38.0), v2 = PDF_MM(48.0);
    const double span = v1 + l + v2;
    const struct pdf_cell rows[5][4] = {
        {{l, "姓名", PDF_CELL_LABEL, NULL},
         {v1, in->name, PDF_CELL_CENTER, "姓名"},
         {l, "性别", PDF_CELL_LABEL, NULL},
         {v2, in->gender, PDF_CELL_CENTER, "性别"}},
        {{l, "出生年月", PDF_CELL_LABEL, NULL},
         {v1, in->birth_date, PDF_CELL_CENTER, "出生年月"},
         {l, "民族", PDF_CELL_LABEL, NULL},
         {v2, in->ethnicity, PDF_CELL_CENTER, "民族"}},
        {{l, "政治面貌", PDF_CELL_LABEL, NULL},
         {v1, in->political_status, PDF_CELL_CENTER, "政治面貌"},
         {l, "籍贯", PDF_CELL_LABEL, NULL},
         {v2, in->native_place, PDF_CELL_CENTER, "籍贯"}},
        {{l, "身份证号", PDF_CELL_LABEL, NULL}, {span, in->id_number, PDF_CELL_CENTER, "身份证号"}},
        {{l, "准考证号", PDF_CELL_LABEL, NULL}, {span, in->exam_id, PDF_CELL_CENTER, "准考证号"}},
    };
    const int ncells[5] = {4, 4, 4, 2, 2};
    double top = d->y;
    /* Five fixed rows beside the photo: text shrinks to fit, never grows. */
    for (int r = 0; r < 5; r++) {
        pdf_row(d, PDF_LEFT, rows[r], ncells[r], TEXT_SIZE, ROW_H);
        d->y += ROW_H;
    }
    double px = PDF_RIGHT - PHOTO_COL_W;
    pdf_rect(d, px, top, PHOTO_COL_W, 5 * ROW_H, 0.6);
    pdf_image_draw(d, &c->photo, px + PDF_MM(2.5), top + PDF_MM(2.5), PHOTO_COL_W - PDF_MM(5.0),
                   5 * ROW_H - PDF_MM(5.0));

    const double w = PDF_MM(63.0), wide = w + l + w;
    const struct pdf_cell more[5][4] = {
        {{l, "专业", PDF_CELL_LABEL, NULL},
         {w, c->major, 0, "专业"},
         {l, "层次", PDF_CELL_LABEL, NULL},
         {w, in->level, 0, "层次"}},
        {{l, "主考院校", PDF_CELL_LABEL, NULL},
         {w, in->university, 0, "主考院校"},
         {l, "申请区县", PDF_CELL_LABEL, NULL},
         {w, in->district, 0, "申请区县"}},
        {{l, "工作单位", PDF_CELL_LABEL, NULL}, {wide, in->work_unit, 0, "工作单位"}},
        {{l, "通讯地址", PDF_CELL_LABEL, NULL},
         {w, in->address, 0, "通讯地址"},
         {l, "邮政编码", PDF_CELL_LABEL, NULL},
         {w, in->postcode, 0, "邮政编码"}},
        {{l, "联系电话", PDF_CELL_LABEL, NULL},
         {w, in->phone, 0, "联系电话"},
         {l, "电子邮箱", PDF_CELL_LABEL, NULL},
         {w, in->email, 0, "电子邮箱"}},
    };
    const int nmore[5] = {4, 4, 2, 4, 4};
    for (int r = 0; r < 5; r++)
        pdf_grid_row(d, more[r], nmore[r], TEXT_SIZE, ROW_H);
}

static void education_block(struct pdf_doc *d, const struct pdf_graduate_form *in)
{
    static const struct pdf_cell head[] = {
        {PDF_MM(20.0), "学历", PDF_CELL_LABEL | PDF_CELL_CENTER, NULL},
        {PDF_MM(45.0), "毕业院校", PDF_CELL_LABEL, NULL},
        {PDF_MM(40.0), "所学专业", PDF_CELL_LABEL, NULL},
        {PDF_MM(25.0), "毕业时间", PDF_CELL_LABEL | PDF_CELL_CENTER, NULL},
        {PDF_MM(40.0), "证书编号", PDF_CELL_LABEL, NULL},
    };
    const struct pdf_table t = {head, 5, TEXT_SIZE, PDF_MM(9.0)};
    const char *row[5] = {in->prior_level, in->prior_school, in->prior_major, in->prior_graduated,
                          in->prior_cert_no};
    d->y += PDF_MM(4.0);
    pdf_section(d, "前置学历", 2 * PDF_MM(9.0));
    pdf_table_head(d, &t);
    pdf_table_row(d, &t, row);
}

/* Page 1's last lines: how the printed form is handed in (seed 001 六.8 and
 * the 旧计划课程 note: "未按时提交纸质原件者，毕业申请无效"). */
static char *hand_in_note(const struct pdf_graduate_form *in)
{
    char *office = in->district && *in->district
                       ? g_strdup_printf("所选县（市、区）自考部门（%s）", in->district)
                       : g_strdup("所选县（市、区）自考部门");
    char *note = g_strdup_printf(
        "注：本表须如实填写。导出后打印一式两份，连同旧计划课程合格证（红卡/绿卡）、实践课考核卡"
        "等原件（如有），在规定时间内交到%s。未按时提交纸质原件者，毕业申请无效。",
        office);
    g_free(office);
    return note;
}

static void resume_block(struct pdf_doc *d, const struct graduate_ctx *c)
{
    const struct pdf_graduate_form *in = c->in;
    static const struct pdf_cell head[] = {
        {PDF_MM(40.0), "起止年月", PDF_CELL_LABEL | PDF_CELL_CENTER, NULL},
        {PDF_MM(78.0), "在何地何单位学习或工作", PDF_CELL_LABEL, NULL},
        {PDF_MM(26.0), "任何职务", PDF_CELL_LABEL | PDF_CELL_CENTER, NULL},
        {PDF_MM(26.0), "证明人", PDF_CELL_LABEL | PDF_CELL_CENTER, NULL},
    };
    const struct pdf_table t = {head, 4, TEXT_SIZE, PDF_MM(8.0)};
    d->y += PDF_MM(4.0);
    pdf_section(d, "个人简历", 2 * PDF_MM(8.0));
    pdf_table_head(d, &t);
    for (size_t i = 0; i < in->resume_count && d->rc == 0; i++) {
        const struct pdf_resume_entry *e = &in->resume[i];
        /* "2020-01 至今", not "2020-01 至 至今". */
        char *span = g_str_has_prefix(e->to, "至") ? g_strdup_printf("%s %s", e->from, e->to)
                                                   : g_strdup_printf("%s 至 %s", e->from, e->to);
        const char *row[4] = {span, e->unit, e->role, e->witness};
        pdf_table_row(d, &t, row);
        g_free(span);
    }
    /* Blank rows to write in, only while they fit on this page with the note below. */
    static const char *const blank[4] = {NULL, NULL, NULL, NULL};
    double note_h =
        NOTE_GAP + pdf_layout_height(pdf_layout(d, PDF_BODY, NOTE_SIZE, PDF_CONTENT_W,
                                                PANGO_ALIGN_LEFT, PDF_LAYOUT_PLAIN, c->note));
    for (size_t i = in->resume_count; i < RESUME_ROWS && pdf_space_left(d) >= t.min_row_h + note_h;
         i++)
        pdf_table_row(d, &t, blank);
}

static void stamp_boxes(struct pdf_doc *d, const struct graduate_ctx *c)
{
    char *office = g_strdup_printf("%s审批意见", c->in->meta.office_name);
    const double w = PDF_CONTENT_W / 3;
    const struct pdf_cell head[3] = {
        {w, "县（市、区）自考办审核意见", PDF_CELL_LABEL, NULL},
        {w, "主考院校意见", PDF_CELL_LABEL, NULL},
        {w, office, PDF_CELL_LABEL, "office_name"},
    };
    const double size = 10.0;
    double hh = pdf_row_height(d, head, 3, size, PDF_MM(9.0));
    d->y += PDF_MM(5.0);
    pdf_ensure(d, hh + STAMP_BODY_H);
    pdf_row(d, PDF_LEFT, head, 3, size, hh);
    d->y += hh;
    for (int i = 0; i < 3; i++) {
        double x = PDF_LEFT + i * w;
        pdf_rect(d, x, d->y, w, STAMP_BODY_H, 0.6);
        pdf_text(d, PDF_BODY, size, x, d->y + STAMP_BODY_H - PDF_MM(16.0), w - PDF_MM(4.0),
                 PANGO_ALIGN_RIGHT, "（盖章）");
        pdf_text(d, PDF_BODY, size, x, d->y + STAMP_BODY_H - PDF_MM(8.0), w - PDF_MM(4.0),
                 PANGO_ALIGN_RIGHT, "年　　月　　日");
    }
    d->y += STAMP_BODY_H;
    g_free(office);
}

static void draw_graduate_form(struct pdf_doc *d, const void *arg)
{
    const struct graduate_ctx *c = arg;
    const struct pdf_graduate_form *in = c->in;

    pdf_title(d, c->title);
    personal_block(d, c);
    education_block(d, in);
    resume_block(d, c);
    d->y += NOTE_GAP;
    pdf_para(d, NOTE_SIZE, PANGO_ALIGN_LEFT, c->note);

    pdf_page_break(d);
    char *who =
        g_strdup_printf("姓名：%s　　准考证号：%s　　专业：%s", in->name, in->exam_id, c->major);
    pdf_para(d, TEXT_SIZE, PANGO_ALIGN_LEFT, who);
    g_free(who);
    d->y += PDF_MM(3.0);
    pdf_flow_box(d, "自我鉴定", in->self_assessment, PDF_MM(120.0),
                 "本人签名：＿＿＿＿＿＿＿＿　　　年　　月　　日");
    stamp_boxes(d, c);
}

int pdf_render_graduate_form(const struct pdf_graduate_form *in, struct pdf_output *out)
{
    struct graduate_ctx c = {in, {0}, NULL, NULL, NULL};
    int rc;

    memset(out, 0, sizeof(*out));
    const struct pdf_field fields[] = {
        {"姓名 (name)", in->name, 1, 0},
        {"性别 (gender)", in->gender, 1, 0},
        {"出生年月 (birth_date)", in->birth_date, 0, 0},
        {"民族 (ethnicity)", in->ethnicity, 0, 0},
        {"政治面貌 (political_status)", in->political_status, 0, 0},
        {"籍贯 (native_place)", in->native_place, 0, 0},
        {"身份证号 (id_number)", in->id_number, 1, 0},
        {"准考证号 (exam_id)", in->exam_id, 1, 0},
        {"专业代码 (major_code)", in->major_code, 0, 0},
        {"专业 (major_name)", in->major_name, 1, 0},
        {"层次 (level)", in->level, 1, 0},
        {"主考院校 (university)", in->university, 1, 0},
        {"申请区县 (district)", in->district, 0, 0},
        {"工作单位 (work_unit)", in->work_unit, 0, 0},
        {"通讯地址 (address)", in->address, 0, 0},
        {"邮政编码 (postcode)", in->postcode, 0, 0},
        {"联系电话 (phone)", in->phone, 0, 0},
        {"电子邮箱 (email)", in->email, 0, 0},
        {"前置学历 (prior_level)", in->prior_level, 0, 0},
        {"毕业院校 (prior_school)", in->prior_school, 0, 0},
        {"所学专业 (prior_major)", in->prior_major, 0, 0},
        {"毕业时间 (prior_graduated)", in->prior_graduated, 0, 0},
        {"证书编号 (prior_cert_no)", in->prior_cert_no, 0, 0},
        {"自我鉴定 (self_assessment)", in->self_assessment, 0, PDF_SELF_ASSESSMENT_MAX_CHARS},
    };
    if ((rc = pdf_check_fields(out->error, sizeof(out->error), fields,
                               sizeof(fields) / sizeof(fields[0]))) < 0)
        return rc;
    if (in->resume_count > 0 && in->resume == NULL) {
        snprintf(out->error, sizeof(out->error), "resume is NULL with resume_count %zu",
                 in->resume_count);
        return -EINVAL;
    }
    if (in->resume_count > PDF_RESUME_MAX) {
        snprintf(out->error, sizeof(out->error), "the résumé has %zu lines, at most %d print",
                 in->resume_count, PDF_RESUME_MAX);
        return -E2BIG;
    }
    for (size_t i = 0; i < in->resume_count; i++) {
        const struct pdf_resume_entry *e = &in->resume[i];
        const struct pdf_field rf[] = {
            {"个人简历 起 (resume.from)", e->from, 1, 0},
            {"个人简历 止 (resume.to)", e->to, 1, 0},
            {"个人简历 单位 (resume.unit)", e->unit, 1, 0},
            {"个人简历 职务 (resume.role)", e->role, 0, 0},
            {"个人简历 证明人 (resume.witness)", e->witness, 0, 0},
        };
        if ((rc = pdf_check_fields(out->error, sizeof(out->error), rf, 5)) < 0)
            return rc;
    }
    if (in->photo == NULL || in->photo_len == 0) {
        snprintf(out->error, sizeof(out->error),
                 "photo is missing: the 毕业生登记表 needs the candidate's graduation photo");
        return -ENODATA;
    }
    if ((rc = pdf_image_load(in->photo, in->photo_len, &c.photo, out->error, sizeof(out->error))) <
        0)
        return rc;

    c.title = g_strdup_printf("%s高等教育自学考试毕业生登记表",
                              in->meta.province ? in->meta.province : "");
    c.major = in->major_code && *in->major_code
                  ? g_strdup_printf("%s %s", in->major_code, in->major_name)
                  : g_strdup(in->major_name);
    c.note = hand_in_note(in);
    rc = pdf_doc_render(PDF_DOC_GRADUATE_FORM, &in->meta, c.title, draw_graduate_form, &c, out);
    g_free(c.title);
    g_free(c.major);
    g_free(c.note);
    pdf_image_free(&c.photo);
    return rc;
}
