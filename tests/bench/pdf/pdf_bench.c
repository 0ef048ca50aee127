/*
 * pdf_bench.c - times the 毕业生登记表 render (tests/bench/pdf/run.sh).
 *
 *   pdf_bench [-n ITER] [-o out.pdf] [--fodt out.fodt] [--body FONT] [--heading FONT]
 *             [--self-assessment-chars N]
 *
 * Renders the fixture form ITER times in this process (after one cold
 * render that loads the fonts) and prints the cold time, median / mean /
 * p95 per form in milliseconds (wall clock and thread CPU time), and the
 * PDF size. --body / --heading try other font families;
 * --self-assessment-chars replaces the self-assessment by N characters of
 * numbered sentences (2000 flows onto a third page). --fodt writes the same
 * form, field for field, as a LibreOffice Flat ODT for the baseline.
 */
#include "pdf.h"
#include "pdf_fixtures.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* CPU time of this thread: what a render costs, less the time other
 * processes on a shared machine take the core away. */
static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- the LibreOffice baseline document ---- */

/* Escaped text; a newline starts a new paragraph of the same style. */
static void xml_text_in(GString *s, const char *t, const char *style)
{
    for (; t && *t; t++) {
        switch (*t) {
        case '<':
            g_string_append(s, "&lt;");
            break;
        case '>':
            g_string_append(s, "&gt;");
            break;
        case '&':
            g_string_append(s, "&amp;");
            break;
        case '\n':
            g_string_append_printf(s, "</text:p><text:p text:style-name=\"%s\">", style);
            break;
        default:
            g_string_append_c(s, *t);
        }
    }
}

static void xml_text(GString *s, const char *t)
{
    xml_text_in(s, t, "Body");
}

static void cell(GString *s, const char *style, const char *text, int cols, int rows)
{
    g_string_append_printf(s, "<table:table-cell table:style-name=\"%s\"", style);
    if (cols > 1)
        g_string_append_printf(s, " table:number-columns-spanned=\"%d\"", cols);
    if (rows > 1)
        g_string_append_printf(s, " table:number-rows-spanned=\"%d\"", rows);
    g_string_append(s, " office:value-type=\"string\"><text:p text:style-name=\"Cell\">");
    xml_text_in(s, text, "Cell");
    g_string_append(s, "</text:p></table:table-cell>");
    for (int i = 1; i < cols; i++)
        g_string_append(s, "<table:covered-table-cell/>");
}

static void covered(GString *s)
{
    g_string_append(s, "<table:covered-table-cell/>");
}

static void table_begin(GString *s, const char *name, const double *mm, int n)
{
    g_string_append_printf(s, "<table:table table:name=\"%s\" table:style-name=\"Tbl\">", name);
    for (int i = 0; i < n; i++)
        g_string_append_printf(s, "<table:table-column table:style-name=\"%s.C%d\"/>", name, i);
    (void)mm;
}

static void column_styles(GString *s, const char *name, const double *mm, int n)
{
    for (int i = 0; i < n; i++)
        g_string_append_printf(s,
                               "<style:style style:name=\"%s.C%d\" style:family=\"table-column\">"
                               "<style:table-column-properties style:column-width=\"%.1fmm\"/>"
                               "</style:style>",
                               name, i, mm[i]);
}

static int write_fodt(const char *path, const struct pdf_graduate_form *f)
{
    static const double personal[] = {22, 38, 22, 48, 40};
    static const double wide[] = {22, 63, 22, 63};
    static const double edu[] = {20, 45, 40, 25, 40};
    static const double res[] = {40, 78, 26, 26};
    static const double one[] = {170};
    static const double stamps[] = {56.6, 56.7, 56.7};
    GString *s = g_string_new(NULL);
    gchar *photo64 = g_base64_encode(f->photo, f->photo_len);
    char *major = g_strdup_printf("%s %s", f->major_code, f->major_name);
    char gen[24], no[PDF_DOCNO_LEN + 1];
    pdf_format_time(gen, sizeof(gen), f->meta.generated_at);
    pdf_docno_make(no, PDF_DOC_GRADUATE_FORM, f->meta.generated_at, f->meta.serial);

    g_string_append(
        s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<office:document xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" "
           "xmlns:style=\"urn:oasis:names:tc:opendocument:xmlns:style:1.0\" "
           "xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" "
           "xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" "
           "xmlns:draw=\"urn:oasis:names:tc:opendocument:xmlns:drawing:1.0\" "
           "xmlns:fo=\"urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0\" "
           "xmlns:svg=\"urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0\" "
           "xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
           "office:version=\"1.3\" office:mimetype=\"application/vnd.oasis.opendocument.text\">"
           "<office:font-face-decls>");
    g_string_append_printf(s,
                           "<style:font-face style:name=\"UMing\" svg:font-family=\"'%s'\"/>"
                           "<style:font-face style:name=\"Hei\" svg:font-family=\"'%s'\"/>",
                           f->meta.body_font ? f->meta.body_font : PDF_FONT_BODY_DEFAULT,
                           f->meta.heading_font ? f->meta.heading_font : PDF_FONT_HEADING_DEFAULT);
    g_string_append(
        s, "</office:font-face-decls><office:styles>"
           "<style:style style:name=\"Body\" style:family=\"paragraph\">"
           "<style:text-properties style:font-name=\"UMing\" style:font-name-asian=\"UMing\" "
           "fo:font-size=\"10.5pt\" style:font-size-asian=\"10.5pt\"/></style:style>"
           "<style:style style:name=\"Cell\" style:family=\"paragraph\" "
           "style:parent-style-name=\"Body\"><style:paragraph-properties fo:text-align=\"center\"/>"
           "</style:style>"
           "<style:style style:name=\"Title\" style:family=\"paragraph\">"
           "<style:paragraph-properties fo:text-align=\"center\" fo:margin-bottom=\"5mm\"/>"
           "<style:text-properties style:font-name=\"Hei\" style:font-name-asian=\"Hei\" "
           "fo:font-size=\"17pt\" style:font-size-asian=\"17pt\"/></style:style>"
           "<style:style style:name=\"Section\" style:family=\"paragraph\">"
           "<style:paragraph-properties fo:margin-top=\"4mm\" fo:margin-bottom=\"1.5mm\"/>"
           "<style:text-properties style:font-name=\"Hei\" style:font-name-asian=\"Hei\" "
           "fo:font-size=\"11pt\" style:font-size-asian=\"11pt\"/></style:style>"
           "<style:style style:name=\"Assess\" style:family=\"paragraph\" "
           "style:parent-style-name=\"Body\"><style:paragraph-properties fo:text-align=\"justify\" "
           "fo:text-indent=\"21pt\" fo:line-height=\"160%\"/></style:style>"
           "<style:style style:name=\"Small\" style:family=\"paragraph\">"
           "<style:text-properties style:font-name=\"UMing\" style:font-name-asian=\"UMing\" "
           "fo:font-size=\"8pt\" style:font-size-asian=\"8pt\"/></style:style>"
           "</office:styles><office:automatic-styles>"
           "<style:page-layout style:name=\"A4\"><style:page-layout-properties "
           "fo:page-width=\"210mm\" fo:page-height=\"297mm\" fo:margin-top=\"10mm\" "
           "fo:margin-bottom=\"10mm\" fo:margin-left=\"20mm\" fo:margin-right=\"20mm\"/>"
           "<style:header-style><style:header-footer-properties fo:min-height=\"10mm\"/>"
           "</style:header-style><style:footer-style><style:header-footer-properties "
           "fo:min-height=\"8mm\"/></style:footer-style></style:page-layout>"
           "<style:style style:name=\"Tbl\" style:family=\"table\">"
           "<style:table-properties style:width=\"170mm\" table:align=\"left\"/></style:style>"
           "<style:style style:name=\"L\" style:family=\"table-cell\"><style:table-cell-properties "
           "fo:background-color=\"#ededed\" fo:border=\"0.2mm solid #000000\" fo:padding=\"1mm\" "
           "style:vertical-align=\"middle\"/></style:style>"
           "<style:style style:name=\"V\" style:family=\"table-cell\"><style:table-cell-properties "
           "fo:border=\"0.2mm solid #000000\" fo:padding=\"1mm\" style:vertical-align=\"middle\"/>"
           "</style:style>"
           "<style:style style:name=\"Break\" style:family=\"paragraph\" "
           "style:parent-style-name=\"Body\"><style:paragraph-properties fo:break-before=\"page\"/>"
           "</style:style>");
    g_string_append(s, "<style:style style:name=\"R10\" style:family=\"table-row\">"
                       "<style:table-row-properties style:min-row-height=\"10mm\"/></style:style>"
                       "<style:style style:name=\"R8\" style:family=\"table-row\">"
                       "<style:table-row-properties style:min-row-height=\"8mm\"/></style:style>");
    column_styles(s, "P", personal, 5);
    column_styles(s, "W", wide, 4);
    column_styles(s, "E", edu, 5);
    column_styles(s, "R", res, 4);
    column_styles(s, "S", one, 1);
    column_styles(s, "T", stamps, 3);
    g_string_append(s, "</office:automatic-styles><office:master-styles>"
                       "<style:master-page style:name=\"Standard\" "
                       "style:page-layout-name=\"A4\"><style:header>"
                       "<text:p text:style-name=\"Section\">");
    xml_text(s, f->meta.office_name);
    g_string_append_printf(s,
                           "　　文档编号：%s</text:p></style:header><style:footer>"
                           "<text:p text:style-name=\"Small\">生成时间：%s（北京时间）　"
                           "本文件由系统生成，可凭文档编号核验　第 <text:page-number/> 页 / 共 "
                           "<text:page-count/> 页</text:p></style:footer></style:master-page>"
                           "</office:master-styles><office:body><office:text>",
                           no, gen);

    g_string_append(s, "<text:p text:style-name=\"Title\">");
    xml_text(s, f->meta.province);
    g_string_append(s, "高等教育自学考试毕业生登记表</text:p>");

    table_begin(s, "P", personal, 5);
    const char *rows[3][4] = {
        {"姓名", f->name, "性别", f->gender},
        {"出生年月", f->birth_date, "民族", f->ethnicity},
        {"政治面貌", f->political_status, "籍贯", f->native_place},
    };
    for (int r = 0; r < 5; r++) {
        g_string_append(s, "<table:table-row table:style-name=\"R10\">");
        if (r < 3) {
            for (int c = 0; c < 4; c++)
                cell(s, c % 2 ? "V" : "L", rows[r][c], 1, 1);
        } else {
            cell(s, "L", r == 3 ? "身份证号" : "准考证号", 1, 1);
            cell(s, "V", r == 3 ? f->id_number : f->exam_id, 3, 1);
        }
        if (r == 0) {
            g_string_append(s, "<table:table-cell table:style-name=\"V\" "
                               "table:number-rows-spanned=\"5\"><text:p text:style-name=\"Cell\">"
                               "<draw:frame svg:width=\"35mm\" svg:height=\"46.7mm\" "
                               "text:anchor-type=\"as-char\"><draw:image><office:binary-data>");
            g_string_append(s, photo64);
            g_string_append(s, "</office:binary-data></draw:image></draw:frame></text:p>"
                               "</table:table-cell>");
        } else {
            covered(s);
        }
        g_string_append(s, "</table:table-row>");
    }
    g_string_append(s, "</table:table>");

    table_begin(s, "W", wide, 4);
    const char *more[5][4] = {
        {"专业", major, "层次", f->level},
        {"主考院校", f->university, "申请区县", f->district},
        {"工作单位", f->work_unit, NULL, NULL},
        {"通讯地址", f->address, "邮政编码", f->postcode},
        {"联系电话", f->phone, "电子邮箱", f->email},
    };
    for (int r = 0; r < 5; r++) {
        g_string_append(s, "<table:table-row table:style-name=\"R10\">");
        cell(s, "L", more[r][0], 1, 1);
        if (more[r][2] == NULL) {
            cell(s, "V", more[r][1], 3, 1);
        } else {
            cell(s, "V", more[r][1], 1, 1);
            cell(s, "L", more[r][2], 1, 1);
            cell(s, "V", more[r][3], 1, 1);
        }
        g_string_append(s, "</table:table-row>");
    }
    g_string_append(s, "</table:table>");

    g_string_append(s, "<text:p text:style-name=\"Section\">前置学历</text:p>");
    table_begin(s, "E", edu, 5);
    const char *eh[5] = {"学历", "毕业院校", "所学专业", "毕业时间", "证书编号"};
    const char *ev[5] = {f->prior_level, f->prior_school, f->prior_major, f->prior_graduated,
                         f->prior_cert_no};
    g_string_append(s, "<table:table-row>");
    for (int c = 0; c < 5; c++)
        cell(s, "L", eh[c], 1, 1);
    g_string_append(s, "</table:table-row><table:table-row>");
    for (int c = 0; c < 5; c++)
        cell(s, "V", ev[c], 1, 1);
    g_string_append(s, "</table:table-row></table:table>");

    g_string_append(s, "<text:p text:style-name=\"Section\">个人简历</text:p>");
    table_begin(s, "R", res, 4);
    const char *rh[4] = {"起止年月", "在何地何单位学习或工作", "任何职务", "证明人"};
    g_string_append(s, "<table:table-header-rows><table:table-row>");
    for (int c = 0; c < 4; c++)
        cell(s, "L", rh[c], 1, 1);
    g_string_append(s, "</table:table-row></table:table-header-rows>");
    for (size_t i = 0; i < 8; i++) {
        const struct pdf_resume_entry *e = i < f->resume_count ? &f->resume[i] : NULL;
        char *span = e == NULL                       ? g_strdup("")
                     : g_str_has_prefix(e->to, "至") ? g_strdup_printf("%s %s", e->from, e->to)
                                                     : g_strdup_printf("%s 至 %s", e->from, e->to);
        g_string_append(s, "<table:table-row table:style-name=\"R8\">");
        cell(s, "V", span, 1, 1);
        cell(s, "V", e ? e->unit : "", 1, 1);
        cell(s, "V", e ? e->role : "", 1, 1);
        cell(s, "V", e ? e->witness : "", 1, 1);
        g_string_append(s, "</table:table-row>");
        g_free(span);
    }
    g_string_append(s,
                    "</table:table><text:p text:style-name=\"Small\">注：本表须如实填写，一式两份，"
                    "与其他毕业申请材料一并在规定时间内交回所选县（市、区）自考部门。</text:p>");

    g_string_append(s, "<text:p text:style-name=\"Break\">姓名：");
    xml_text(s, f->name);
    g_string_append(s, "　　准考证号：");
    xml_text(s, f->exam_id);
    g_string_append(s, "　　专业：");
    xml_text(s, major);
    g_string_append(s, "</text:p>");
    table_begin(s, "S", one, 1);
    g_string_append(s, "<table:table-row>");
    cell(s, "L", "自我鉴定", 1, 1);
    g_string_append(s, "</table:table-row><table:table-row><table:table-cell "
                       "table:style-name=\"V\" office:value-type=\"string\">"
                       "<text:p text:style-name=\"Assess\">");
    xml_text_in(s, f->self_assessment, "Assess");
    g_string_append(
        s, "</text:p><text:p text:style-name=\"Body\"/>"
           "<text:p text:style-name=\"Body\">本人签名：＿＿＿＿＿＿＿＿　　　年　　月　　日"
           "</text:p></table:table-cell></table:table-row></table:table>");
    table_begin(s, "T", stamps, 3);
    g_string_append(s, "<table:table-row>");
    cell(s, "L", "县（市、区）自考办审核意见", 1, 1);
    cell(s, "L", "主考院校意见", 1, 1);
    char *office = g_strdup_printf("%s审批意见", f->meta.office_name);
    cell(s, "L", office, 1, 1);
    g_free(office);
    g_string_append(s, "</table:table-row><table:table-row>");
    for (int c = 0; c < 3; c++)
        cell(s, "V", "\n\n\n\n（盖章）\n年　　月　　日", 1, 1);
    g_string_append(s, "</table:table-row></table:table>");
    g_string_append(s, "</office:text></office:body></office:document>\n");

    int rc = g_file_set_contents(path, s->str, (gssize)s->len, NULL) ? 0 : -1;
    g_string_free(s, TRUE);
    g_free(photo64);
    g_free(major);
    return rc;
}

int main(int argc, char **argv)
{
    int iterations = 200;
    const char *out_path = NULL, *fodt_path = NULL, *body = NULL, *heading = NULL;
    int long_chars = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            iterations = atoi(argv[++i]);
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out_path = argv[++i];
        else if (strcmp(argv[i], "--fodt") == 0 && i + 1 < argc)
            fodt_path = argv[++i];
        else if (strcmp(argv[i], "--body") == 0 && i + 1 < argc)
            body = argv[++i];
        else if (strcmp(argv[i], "--heading") == 0 && i + 1 < argc)
            heading = argv[++i];
        else if (strcmp(argv[i], "--self-assessment-chars") == 0 && i + 1 < argc)
            long_chars = atoi(argv[++i]);
        else {
            fprintf(stderr,
                    "usage: %s [-n ITER] [-o out.pdf] [--fodt out.fodt] [--body FONT] "
                    "[--heading FONT] [--self-assessment-chars N]\n",
                    argv[0]);
            return 2;
        }
    }
    if (iterations < 1)
        iterations = 1;
    size_t photo_len;
    unsigned char *photo = fixture_photo(&photo_len);
    if (photo == NULL) {
        fprintf(stderr, "fixture photo not readable\n");
        return 1;
    }
    struct pdf_graduate_form f;
    struct pdf_output out;
    fixture_graduate_form(&f, photo, photo_len);
    f.meta.body_font = body;
    f.meta.heading_font = heading;
    char *long_text = long_chars > 0 ? fixture_long_text((size_t)long_chars) : NULL;
    if (long_text)
        f.self_assessment = long_text;
    if (fodt_path && write_fodt(fodt_path, &f) < 0) {
        fprintf(stderr, "cannot write %s\n", fodt_path);
        return 1;
    }

    double t0 = now_ms();
    if (pdf_render_graduate_form(&f, &out) != 0) {
        fprintf(stderr, "render failed: %s\n", out.error);
        return 1;
    }
    double cold = now_ms() - t0;
    size_t bytes = out.len;
    int pages = out.pages;
    if (out_path && !g_file_set_contents(out_path, (const char *)out.data, (gssize)out.len, NULL)) {
        fprintf(stderr, "cannot write %s\n", out_path);
        return 1;
    }
    pdf_output_free(&out);

    double *ms = calloc((size_t)iterations, sizeof(double));
    double *cpu = calloc((size_t)iterations, sizeof(double));
    double sum = 0, cpu_sum = 0;
    for (int i = 0; i < iterations; i++) {
        double c0 = cpu_ms();
        t0 = now_ms();
        if (pdf_render_graduate_form(&f, &out) != 0) {
            fprintf(stderr, "render failed: %s\n", out.error);
            return 1;
        }
        ms[i] = now_ms() - t0;
        cpu[i] = cpu_ms() - c0;
        sum += ms[i];
        cpu_sum += cpu[i];
        pdf_output_free(&out);
    }
    qsort(ms, (size_t)iterations, sizeof(double), cmp_double);
    qsort(cpu, (size_t)iterations, sizeof(double), cmp_double);
    int p95 = (int)(iterations * 0.95) < iterations ? (int)(iterations * 0.95) : iterations - 1;
    printf("zikao_pdf 毕业生登记表: pages=%d bytes=%zu (photo %zu) cold_ms=%.2f iterations=%d\n"
           "  wall ms: median=%.2f mean=%.2f p95=%.2f min=%.2f\n"
           "  cpu  ms: median=%.2f mean=%.2f p95=%.2f min=%.2f\n",
           pages, bytes, photo_len, cold, iterations, ms[iterations / 2], sum / iterations, ms[p95],
           ms[0], cpu[iterations / 2], cpu_sum / iterations, cpu[p95], cpu[0]);
    free(ms);
    free(cpu);
    free(long_text);
    free(photo);
    return 0;
}
