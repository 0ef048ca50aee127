/* test_pdf_render.c - the four templates render from fixture data into real
 * PDFs, checked from outside with poppler-utils (pdftotext, pdffonts,
 * pdfimages, pdftoppm): fields present, fonts embedded as subsets, long
 * text flowing uncut, photo errors, byte-identical output, PNG artefacts.
 *
 * Artefacts (PDFs and page PNGs for a person to look at) go to
 * build-dir/artifacts/pdf, or $ZIKAO_PDF_ARTIFACT_DIR when set.
 * Run as `test_pdf_render --render NAME` it writes one fixture document to
 * stdout: the cross-process determinism test runs itself that way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pdf.h"
#include "pdf_fixtures.h"

#include <cairo.h>
#include <errno.h>
#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
/* after stdio.h: jpeglib.h needs FILE and size_t */
#include <jpeglib.h>

#define MM(x) ((x)*72.0 / 25.4)

static unsigned char *photo;
static size_t photo_len;

/* ---- helpers ---- */

/* The build directory's artifacts/pdf unless the environment says where. */
static const char *artifact_dir(void)
{
    const char *d = getenv("ZIKAO_PDF_ARTIFACT_DIR");
    return d && *d ? d : PDF_ARTIFACT_DIR;
}

static char *artifact_path(const char *name)
{
    return g_strdup_printf("%s/%s", artifact_dir(), name);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        fail_msg("cannot write %s", path);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Runs cmd through the shell; returns its stdout (NUL-terminated, g_free)
 * and its length; fails the test unless it exits 0. */
static char *run(const char *cmd, size_t *len_out)
{
    FILE *p = popen(cmd, "r");
    GString *s = g_string_new(NULL);
    char buf[65536];
    size_t n;
    if (p == NULL)
        fail_msg("popen failed: %s", cmd);
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
        g_string_append_len(s, buf, (gssize)n);
    int st = pclose(p);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        fail_msg("command failed (status %d): %s", st, cmd);
    if (len_out)
        *len_out = s->len;
    return g_string_free(s, FALSE);
}

/* Saves out under name.pdf in the artefacts folder; returns the path. */
static char *save_pdf(const struct pdf_output *out, const char *name)
{
    char *file = g_strdup_printf("%s.pdf", name);
    char *path = artifact_path(file);
    g_free(file);
    write_file(path, out->data, out->len);
    return path;
}

/* pdftotext of pages first..last in content-stream order (each cell's text
 * stays together, as it is drawn cell by cell), all whitespace removed. */
static char *page_text(const char *pdf, int first, int last)
{
    char *cmd =
        g_strdup_printf("pdftotext -q -raw -enc UTF-8 -f %d -l %d '%s' -", first, last, pdf);
    char *text = run(cmd, NULL);
    g_free(cmd);
    char *w = text;
    for (const char *r = text; *r; r++)
        if (!g_ascii_isspace(*r) && *r != '\f')
            *w++ = *r;
    *w = '\0';
    return text;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("expected \"%s\" in the PDF text", needle);
}

static char *strip_ws(const char *s)
{
    char *out = g_strdup(s), *w = out;
    for (const char *r = s; *r; r++)
        if (!g_ascii_isspace(*r))
            *w++ = *r;
    *w = '\0';
    return out;
}

static void render_graduate(struct pdf_graduate_form *f, struct pdf_output *out)
{
    int rc = pdf_render_graduate_form(f, out);
    if (rc != 0)
        fail_msg("render failed (%d): %s", rc, out->error);
}

/* Renders the named fixture document. */
static int render_fixture(const char *name, struct pdf_output *out)
{
    if (strcmp(name, "graduate") == 0) {
        struct pdf_graduate_form f;
        fixture_graduate_form(&f, photo, photo_len);
        return pdf_render_graduate_form(&f, out);
    }
    if (strcmp(name, "exemption") == 0) {
        struct pdf_exemption_detail e;
        fixture_exemption(&e);
        return pdf_render_exemption_detail(&e, out);
    }
    if (strcmp(name, "transfer") == 0) {
        struct pdf_transfer_detail t;
        fixture_transfer(&t);
        return pdf_render_transfer_detail(&t, out);
    }
    if (strcmp(name, "receipt") == 0) {
        struct pdf_receipt r;
        fixture_receipt(&r);
        return pdf_render_receipt(&r, out);
    }
    return -EINVAL;
}

static const char *const fixture_names[] = {"graduate", "exemption", "transfer", "receipt"};

static int setup(void **state)
{
    if (photo == NULL) {
        photo = fixture_photo(&photo_len);
        if (photo == NULL)
            fail_msg("fixture photo %s/photo.jpg not readable", PDF_TEST_DATA);
    }
    if (g_mkdir_with_parents(artifact_dir(), 0755) != 0)
        fail_msg("cannot create %s", artifact_dir());
    /* The checks below read the PDFs with poppler-utils. */
    if (system("command -v pdftotext >/dev/null && command -v pdffonts >/dev/null && "
               "command -v pdftoppm >/dev/null && command -v pdfimages >/dev/null") != 0)
        fail_msg("poppler-utils missing: apt-get install poppler-utils");
    return 0;
}

/* ---- each template renders with its fields ---- */

static void test_graduate_form_renders_two_pages_with_all_fields(void **state)
{
    struct pdf_graduate_form f;
    struct pdf_output out;
    fixture_graduate_form(&f, photo, photo_len);
    render_graduate(&f, &out);
    assert_int_equal(out.pages, 2);
    assert_memory_equal(out.data, "%PDF-1.", 7);
    assert_int_equal(pdf_docno_verify(out.docno), 0);
    assert_memory_equal(out.docno, "DJ-20240615-00012345-", 21);
    char *want_name = g_strdup_printf("毕业生登记表-%s.pdf", out.docno);
    assert_string_equal(out.filename, want_name);
    g_free(want_name);
    char *pdf = save_pdf(&out, "graduate_form");
    char *p1 = page_text(pdf, 1, 1), *p2 = page_text(pdf, 2, 2);

    static const char *const page1[] = {
        "山西省高等教育自学考试毕业生登记表",
        FIXTURE_OFFICE,
        "姓名",
        "张晓明",
        "性别",
        "出生年月",
        "1995-03",
        "民族",
        "汉族",
        "政治面貌",
        "共青团员",
        "籍贯",
        "山西省太原市",
        "身份证号",
        "140105199503151230",
        "准考证号",
        "080105408130",
        "030101K法学",
        "本科",
        "主考院校",
        "山西大学",
        "太原市小店区",
        "山西晋阳科技有限公司",
        "山西省太原市小店区长风街100号",
        "030006",
        "13812345678",
        "zhangxm@example.com",
        "前置学历",
        "山西职业技术学院",
        "法律事务",
        "123451201605001234",
        "个人简历",
        "起止年月",
        "在何地何单位学习或工作",
        "任何职务",
        "证明人",
        "2010-09至2013-07",
        "山西省太原市第五中学",
        "2020-01至今",
        "法务专员",
        "赵志刚",
        "第1页/共2页",
        "生成时间：2024-06-1510:30:00",
        "文档编号",
    };
    for (size_t i = 0; i < sizeof(page1) / sizeof(page1[0]); i++)
        assert_contains(p1, page1[i]);
    assert_contains(p1, out.docno);
    static const char *const page2[] = {
        "自我鉴定",
        "本人自二〇一九年报考高等教育自学考试法学（本科）专业以来",
        "为社会作出更大的贡献。",
        "本人签名",
        "县（市、区）自考办审核意见",
        "主考院校意见",
        "山西省招生考试管理中心审批意见",
        "（盖章）",
        "第2页/共2页",
    };
    for (size_t i = 0; i < sizeof(page2) / sizeof(page2[0]); i++)
        assert_contains(p2, page2[i]);
    g_free(p1);
    g_free(p2);
    g_free(pdf);
    pdf_output_free(&out);
}

static void test_graduate_form_embeds_the_photo_as_jpeg(void **state)
{
    struct pdf_output out;
    assert_int_equal(render_fixture("graduate", &out), 0);
    char *pdf = save_pdf(&out, "graduate_form_photo");
    char *cmd = g_strdup_printf("pdfimages -list '%s'", pdf);
    char *list = run(cmd, NULL);
    /* "page num type width height color comp bpc enc ..." */
    int page = 0, w = 0, h = 0;
    char enc[16] = "";
    const char *line = strstr(list, "\n---");
    assert_non_null(line);
    line = strchr(line + 1, '\n');
    assert_non_null(line);
    assert_int_equal(sscanf(line + 1, "%d %*d %*s %d %d %*s %*d %*d %15s", &page, &w, &h, enc), 4);
    assert_int_equal(page, 1);
    assert_int_equal(w, 480);
    assert_int_equal(h, 640);
    assert_string_equal(enc, "jpeg");
    g_free(list);
    g_free(cmd);
    g_free(pdf);
    pdf_output_free(&out);
}

static void
test_graduate_form_says_two_copies_to_the_chosen_district_or_the_application_is_void(void **state)
{
    struct pdf_graduate_form f;
    struct pdf_output out;
    fixture_graduate_form(&f, photo, photo_len);
    render_graduate(&f, &out);
    assert_int_equal(out.pages, 2);
    char *pdf = save_pdf(&out, "graduate_form_note");
    char *p1 = page_text(pdf, 1, 1);
    assert_contains(p1, "打印一式两份");
    assert_contains(p1, "实践课考核卡等原件");
    assert_contains(p1, "交到所选县（市、区）自考部门（太原市小店区）");
    assert_contains(p1, "未按时提交纸质原件者，毕业申请无效。");
    g_free(p1);
    g_free(pdf);
    pdf_output_free(&out);
}

/* Rows of a grey page picture (PGM, from pdftoppm -gray) between y0 and y1
 * (mm) that are dark over the whole span x0..x1 (mm): ruled lines. Adjacent
 * dark rows count as one line. */
static int ruled_lines(const char *pgm, size_t len, double dpi, double x0, double x1, double y0,
                       double y1)
{
    int w = 0, h = 0, maxval = 0, off = 0;
    assert_int_equal(sscanf(pgm, "P5 %d %d %d%n", &w, &h, &maxval, &off), 3);
    const unsigned char *px = (const unsigned char *)pgm + off + 1;
    assert_true((size_t)(off + 1) + (size_t)w * (size_t)h <= len);
    int c0 = (int)(x0 / 25.4 * dpi), c1 = (int)(x1 / 25.4 * dpi);
    int lines = 0, prev = 0;
    for (int y = (int)(y0 / 25.4 * dpi); y < (int)(y1 / 25.4 * dpi) && y < h; y++) {
        int dark = 1;
        for (int x = c0; x < c1 && dark; x++)
            dark = px[(size_t)y * (size_t)w + (size_t)x] < 230;
        lines += dark && !prev;
        prev = dark;
    }
    return lines;
}

static void test_empty_self_assessment_leaves_a_ruled_box_to_write_by_hand(void **state)
{
    struct pdf_graduate_form f;
    struct pdf_output out;
    fixture_graduate_form(&f, photo, photo_len);
    f.self_assessment = "";
    render_graduate(&f, &out);
    assert_int_equal(out.pages, 2);
    char *pdf = save_pdf(&out, "graduate_form_handwritten");
    char *p2 = page_text(pdf, 2, 2);
    assert_contains(p2, "自我鉴定");
    assert_contains(p2, "本人签名");
    char *cmd = g_strdup_printf("pdftoppm -r 150 -gray -f 2 -l 2 '%s'", pdf);
    size_t len = 0;
    char *pgm = run(cmd, &len);
    /* Inside the box (page 2 starts with the name line, then the box's
     * label; the box is 120 mm tall): a line to write on every 10 mm. */
    assert_true(ruled_lines(pgm, len, 150.0, 30.0, 180.0, 50.0, 130.0) >= 7);
    g_free(pgm);
    g_free(cmd);
    g_free(p2);
    g_free(pdf);
    pdf_output_free(&out);
}

static void test_exemption_detail_renders_certificates_and_status(void **state)
{
    struct pdf_output out;
    int rc = render_fixture("exemption", &out);
    if (rc != 0)
        fail_msg("render failed (%d): %s", rc, out.error);
    assert_int_equal(out.pages, 1);
    assert_memory_equal(out.docno, "MK-", 3);
    char *pdf = save_pdf(&out, "exemption_detail");
    char *t = page_text(pdf, 1, 1);
    static const char *const want[] = {
        "山西省高等教育自学考试免考申请信息详情",
        FIXTURE_OFFICE,
        "姓名",
        "李红",
        "证件号码",
        "140102199608224564",
        "准考证号",
        "010123100003",
        "考区",
        "太原市",
        "免考确认点",
        "太原市招生考试中心免考确认点",
        "020204会计；030106法律",
        "固定电话",
        "0351-7654321",
        "手机号",
        "13912345678",
        "序号",
        "证书",
        "证书信息",
        "免考课程",
        "全国计算机等级考试(NCRE)NCRE一级及以上合格证书",
        "考试时间：2019-09",
        "考试科目：一级计算机基础及MSOffice应用",
        "证书编号：191914010001234",
        "00018计算机应用基础",
        "00019计算机应用基础(实践)",
        "00015英语(二)",
        "考生免考申请状态：被退回（退回原因：证书照片不清晰，请重新上传）",
        "提交时间：2024-05-1109:12:00",
        "重新申请机会仅限一次",
        "第1页/共1页",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_contains(t, want[i]);
    g_free(t);
    g_free(pdf);
    pdf_output_free(&out);
}

static void test_transfer_detail_renders_the_transfer_row(void **state)
{
    struct pdf_output out;
    int rc = render_fixture("transfer", &out);
    if (rc != 0)
        fail_msg("render failed (%d): %s", rc, out.error);
    assert_int_equal(out.pages, 1);
    assert_memory_equal(out.docno, "ZK-", 3);
    char *pdf = save_pdf(&out, "transfer_detail");
    char *t = page_text(pdf, 1, 1);
    static const char *const want[] = {
        "山西省高等教育自学考试省内转考申请信息详情",
        "姓名",
        "王强",
        "证件号码",
        "140203199001017894",
        "准考证号",
        "060207300021",
        "类型",
        "原属地市",
        "申请时间",
        "转入市",
        "备注",
        "省内转考",
        "大同市",
        "2024-03-0514:45:30",
        "太原市",
        "工作调动",
        "申请状态：已提交",
        "第1页/共1页",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_contains(t, want[i]);
    g_free(t);
    g_free(pdf);
    pdf_output_free(&out);
}

static void test_receipt_prints_amount_in_yuan_and_capitals_with_masked_id(void **state)
{
    struct pdf_output out;
    int rc = render_fixture("receipt", &out);
    if (rc != 0)
        fail_msg("render failed (%d): %s", rc, out.error);
    assert_int_equal(out.pages, 1);
    assert_memory_equal(out.docno, "JF-", 3);
    assert_memory_equal(out.filename, "缴费凭证-JF-", strlen("缴费凭证-JF-"));
    char *pdf = save_pdf(&out, "receipt");
    char *t = page_text(pdf, 1, 1);
    static const char *const want[] = {
        "山西省高等教育自学考试网上缴费凭证",
        "订单号",
        "BY202406010000123",
        "缴费项目",
        "2024年上半年高等教育自学考试毕业申请费",
        "缴费人",
        "张晓明",
        "080105408130",
        "1401**********1230",
        "已支付",
        "¥60.00元",
        "人民币陆拾元整",
        "微信支付",
        "2024-06-0108:06:40",
        "支付平台交易号",
        "4200002024060112345678901234",
        "2024-06-0108:05:12",
        "毕业申请费缴纳后不予退还",
        "第1页/共1页",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_contains(t, want[i]);
    /* The full ID number never appears on the receipt. */
    assert_null(strstr(t, "140105199503151230"));
    g_free(t);
    g_free(pdf);
    pdf_output_free(&out);
}

/* ---- fonts ---- */

static void test_every_font_is_embedded_as_a_subset(void **state)
{
    for (size_t i = 0; i < 4; i++) {
        struct pdf_output out;
        assert_int_equal(render_fixture(fixture_names[i], &out), 0);
        char *name = g_strdup_printf("fonts_%s", fixture_names[i]);
        char *pdf = save_pdf(&out, name);
        char *cmd = g_strdup_printf("pdffonts '%s'", pdf);
        char *list = run(cmd, NULL);
        const char *line = strstr(list, "\n---");
        assert_non_null(line);
        line = strchr(line + 1, '\n');
        int fonts = 0, wqy = 0;
        while (line && line[1]) {
            line++;
            const char *end = strchr(line, '\n');
            char *row = g_strndup(line, end ? (gsize)(end - line) : strlen(line));
            gchar **tok = g_strsplit_set(row, " ", -1);
            /* Columns from the right: emb sub uni object-id generation. */
            GPtrArray *words = g_ptr_array_new();
            for (gchar **t = tok; *t; t++)
                if (**t)
                    g_ptr_array_add(words, *t);
            assert_true(words->len >= 7);
            const char *emb = words->pdata[words->len - 5], *sub = words->pdata[words->len - 4];
            if (strcmp(emb, "yes") != 0 || strcmp(sub, "yes") != 0)
                fail_msg("%s: font not embedded as subset: %s", fixture_names[i], row);
            /* Subset names carry the six-letter tag: ABCDEF+Name. */
            const char *fname = words->pdata[0];
            assert_true(strlen(fname) > 7 && fname[6] == '+');
            wqy += strstr(fname, "WenQuanYi") != NULL;
            fonts++;
            g_ptr_array_free(words, TRUE);
            g_strfreev(tok);
            g_free(row);
            line = end;
        }
        assert_true(fonts >= 1);
        assert_int_equal(wqy, fonts); /* the default family, no fallback font */
        g_free(list);
        g_free(cmd);
        g_free(pdf);
        g_free(name);
        pdf_output_free(&out);
    }
}

static void test_font_that_is_not_installed_is_an_error_not_a_substitute(void **state)
{
    struct pdf_graduate_form f;
    struct pdf_output out;
    fixture_graduate_form(&f, photo, photo_len);
    f.meta.body_font = "Zikao Nonexistent Song";
    assert_int_equal(pdf_render_graduate_form(&f, &out), -ENOENT);
    assert_null(out.data);
    assert_non_null(strstr(out.error, "Zikao Nonexistent Song"));
    assert_non_null(strstr(out.error, "not installed"));
}

/* ---- long text ---- */

/* Words of pages first..last (pdftotext -bbox) must stay inside the content
 * frame: nothing drawn below the content bottom except the footer. */
static void assert_text_inside_frame(const char *pdf, int first, int last)
{
    char *cmd = g_strdup_printf("pdftotext -q -bbox -f %d -l %d '%s' -", first, last, pdf);
    char *xml = run(cmd, NULL);
    const double footer_rule = MM(281.5), content_bottom = MM(279.0);
    int words = 0;
    for (const char *p = strstr(xml, "<word "); p; p = strstr(p + 1, "<word ")) {
        double x0, y0, x1, y1;
        if (sscanf(p, "<word xMin=\"%lf\" yMin=\"%lf\" xMax=\"%lf\" yMax=\"%lf\"", &x0, &y0, &x1,
                   &y1) != 4)
            fail_msg("cannot parse %.60s", p);
        words++;
        if (x0 < MM(19.0) || x1 > MM(191.0))
            fail_msg("word outside the side margins at x %.1f-%.1f", x0, x1);
        if (y0 < footer_rule && y1 > content_bottom + 0.5)
            fail_msg("word cut at the page bottom: y %.1f-%.1f (content ends %.1f)", y0, y1,
                     content_bottom);
    }
    assert_true(words > 50);
    g_free(xml);
    g_free(cmd);
}

static void test_self_assessment_of_2000_chars_flows_to_next_page_uncut(void **state)
{
    struct pdf_graduate_form f;
    struct pdf_output out;
    char *sa = fixture_long_text(2000);
    assert_int_equal(g_utf8_strlen(sa, -1), 2000);
    fixture_graduate_form(&f, photo, photo_len);
    f.self_assessment = sa;
    render_graduate(&f, &out);
    assert_int_equal(out.pages, 3);
    char *pdf = save_pdf(&out, "graduate_form_long_self_assessment");
    char *p2 = page_text(pdf, 2, 2), *p3 = page_text(pdf, 3, 3);
    char *want = strip_ws(sa);

    /* Page 2 holds a prefix of the text, page 3 exactly the rest. */
    size_t k = 0;
    for (const char *c = want; *c; c = g_utf8_next_char(c)) {
        const char *next = g_utf8_next_char(c);
        char *prefix = g_strndup(want, (gsize)(next - want));
        int found = strstr(p2, prefix) != NULL;
        g_free(prefix);
        if (!found)
            break;
        k = (size_t)(next - want);
    }
    assert_true(k > strlen(want) / 3); /* most of page 2 is text */
    assert_true(k < strlen(want));     /* and some of it went on */
    assert_contains(p3, want + k);     /* the rest, whole, on page 3 */
    assert_contains(p3, "自我鉴定（续）");
    assert_contains(p3, "本人签名");
    assert_contains(p3, "主考院校意见");
    assert_contains(p3, "第3页/共3页");

    /* Every numbered sentence exactly once across both pages, in order. */
    char *both = g_strconcat(p2, p3, NULL);
    const char *prev = both;
    for (unsigned n = 1;; n++) {
        char *mark = g_strdup_printf("（第%u句）", n);
        const char *in_text = strstr(want, mark);
        const char *at = strstr(both, mark);
        if (in_text == NULL) {
            assert_null(at);
            g_free(mark);
            assert_true(n > 40);
            break;
        }
        if (at == NULL || at < prev)
            fail_msg("sentence %u missing or out of order", n);
        assert_null(strstr(at + strlen(mark), mark));
        prev = at;
        g_free(mark);
    }
    assert_text_inside_frame(pdf, 2, 3);
    /* All three pages as pictures, to look at the break. */
    char *cmd =
        g_strdup_printf("pdftoppm -r 80 -png '%s' '%s/graduate_form_long'", pdf, artifact_dir());
    g_free(run(cmd, NULL));
    g_free(cmd);
    g_free(both);
    g_free(want);
    g_free(p2);
    g_free(p3);
    g_free(pdf);
    free(sa);
    pdf_output_free(&out);
}

static void test_long_resume_continues_on_next_page_with_head_repeated(void **state)
{
    struct pdf_graduate_form f;
    struct pdf_output out;
    struct pdf_resume_entry entries[40];
    char units[40][64];
    for (int i = 0; i < 40; i++) {
        snprintf(units[i], sizeof(units[i]), "太原市第%d号工作单位", i + 1);
        entries[i] = (struct pdf_resume_entry){"2001-01", "2002-01", units[i], "职员", NULL};
    }
    fixture_graduate_form(&f, photo, photo_len);
    f.resume = entries;
    f.resume_count = 40;
    render_graduate(&f, &out);
    assert_int_equal(out.pages, 3);
    char *pdf = save_pdf(&out, "graduate_form_long_resume");
    char *p1 = page_text(pdf, 1, 1), *p2 = page_text(pdf, 2, 2), *p3 = page_text(pdf, 3, 3);
    assert_contains(p1, "太原市第1号工作单位");
    assert_contains(p2, "起止年月");
    assert_contains(p2, "太原市第40号工作单位");
    assert_contains(p3, "自我鉴定");
    for (int i = 0; i < 40; i++) {
        /* Each entry once, on page 1 or 2 ("第1号" is no substring of "第10号"). */
        int on1 = strstr(p1, units[i]) != NULL, on2 = strstr(p2, units[i]) != NULL;
        assert_int_equal(on1 + on2, 1);
    }
    assert_text_inside_frame(pdf, 1, 2);
    g_free(p1);
    g_free(p2);
    g_free(p3);
    g_free(pdf);
    pdf_output_free(&out);
}

/* ---- photo errors ---- */

static void test_missing_photo_is_a_clear_error(void **state)
{
    struct pdf_graduate_form f;
    struct pdf_output out;
    fixture_graduate_form(&f, NULL, 0);
    assert_int_equal(pdf_render_graduate_form(&f, &out), -ENODATA);
    assert_null(out.data);
    assert_int_equal(out.len, 0);
    assert_non_null(strstr(out.error, "photo is missing"));
    fixture_graduate_form(&f, photo, 0);
    assert_int_equal(pdf_render_graduate_form(&f, &out), -ENODATA);
}

static void test_truncated_photo_is_a_clear_error(void **state)
{
    struct pdf_graduate_form f;
    struct pdf_output out;
    fixture_graduate_form(&f, photo, photo_len / 2);
    assert_int_equal(pdf_render_graduate_form(&f, &out), -EBADMSG);
    assert_null(out.data);
    assert_non_null(strstr(out.error, "damaged or truncated JPEG"));
}

static void test_photo_that_is_not_an_image_is_a_clear_error(void **state)
{
    struct pdf_graduate_form f;
    struct pdf_output out;
    static const unsigned char text[] = "this is not a photo, it is a text file";
    fixture_graduate_form(&f, text, sizeof(text));
    assert_int_equal(pdf_render_graduate_form(&f, &out), -EBADMSG);
    assert_non_null(strstr(out.error, "neither a JPEG nor a PNG"));
    /* A JPEG header over garbage. */
    unsigned char bad[4096];
    memcpy(bad, photo, 200);
    for (size_t i = 200; i < sizeof(bad); i++)
        bad[i] = (unsigned char)(i * 37);
    fixture_graduate_form(&f, bad, sizeof(bad));
    assert_int_equal(pdf_render_graduate_form(&f, &out), -EBADMSG);
    assert_null(out.data);
    assert_non_null(strstr(out.error, "JPEG"));
}

/* A w x h JPEG of a gradient in the given colour space (malloc'd). */
static unsigned char *make_jpeg(int w, int h, J_COLOR_SPACE space, int comps, unsigned long *len)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    unsigned char *jpeg = NULL;
    unsigned char *row = malloc((size_t)w * (size_t)comps);
    *len = 0;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &jpeg, len);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = comps;
    c.in_color_space = space;
    jpeg_set_defaults(&c);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        for (int x = 0; x < w * comps; x++)
            row[x] = (unsigned char)((x / comps + (int)c.next_scanline) * 255 / (w + h));
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    return jpeg;
}

static void test_cmyk_jpeg_photo_is_refused_with_a_reason(void **state)
{
    /* As print shops deliver: viewers disagree on its inversion, so it is
     * refused rather than printed wrong. */
    unsigned long len;
    unsigned char *jpeg = make_jpeg(16, 16, JCS_CMYK, 4, &len);
    struct pdf_graduate_form f;
    struct pdf_output out;
    fixture_graduate_form(&f, jpeg, len);
    assert_int_equal(pdf_render_graduate_form(&f, &out), -ENOTSUP);
    assert_null(out.data);
    assert_non_null(strstr(out.error, "CMYK"));
    free(jpeg);
}

static void test_oversized_jpeg_photo_is_scaled_to_600x800(void **state)
{
    unsigned long len;
    unsigned char *jpeg = make_jpeg(1800, 2400, JCS_RGB, 3, &len);
    struct pdf_graduate_form f;
    struct pdf_output out;
    fixture_graduate_form(&f, jpeg, len);
    render_graduate(&f, &out);
    char *pdf = save_pdf(&out, "graduate_form_big_photo");
    char *cmd = g_strdup_printf("pdfimages -list '%s' | grep -c ' 600   800 .*jpeg'", pdf);
    char *n = run(cmd, NULL);
    assert_int_equal(atoi(n), 1);
    g_free(n);
    g_free(cmd);
    g_free(pdf);
    pdf_output_free(&out);
    free(jpeg);
}

static cairo_status_t png_collect(void *closure, const unsigned char *data, unsigned int len)
{
    g_byte_array_append(closure, data, len);
    return CAIRO_STATUS_SUCCESS;
}

static void test_png_photo_is_accepted_and_embedded_as_jpeg(void **state)
{
    /* A 1200x1600 PNG with transparency: scaled down, flattened on white. */
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1200, 1600);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgba(cr, 0.4, 0.77, 1.0, 0.8);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 0.9, 0.75, 0.6);
    cairo_arc(cr, 600, 700, 300, 0, 6.3);
    cairo_fill(cr);
    cairo_destroy(cr);
    GByteArray *png = g_byte_array_new();
    assert_int_equal(cairo_surface_write_to_png_stream(s, png_collect, png), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(s);

    struct pdf_graduate_form f;
    struct pdf_output out;
    fixture_graduate_form(&f, png->data, png->len);
    render_graduate(&f, &out);
    char *pdf = save_pdf(&out, "graduate_form_png_photo");
    char *cmd = g_strdup_printf("pdfimages -list '%s' | grep -c ' 600   800 .*jpeg'", pdf);
    char *n = run(cmd, NULL);
    assert_int_equal(atoi(n), 1);
    assert_true(out.len < 200 * 1024);
    g_free(n);
    g_free(cmd);
    g_free(pdf);
    pdf_output_free(&out);
    /* The same PNG cut short fails. */
    fixture_graduate_form(&f, png->data, png->len / 2);
    assert_int_equal(pdf_render_graduate_form(&f, &out), -EBADMSG);
    assert_non_null(strstr(out.error, "PNG"));
    g_byte_array_free(png, TRUE);
}

/* ---- input validation ---- */

static void test_missing_required_field_is_named_in_the_error(void **state)
{
    struct pdf_graduate_form f;
    struct pdf_output out;
    fixture_graduate_form(&f, photo, photo_len);
    f.exam_id = "";
    assert_int_equal(pdf_render_graduate_form(&f, &out), -EINVAL);
    assert_non_null(strstr(out.error, "准考证号"));
    fixture_graduate_form(&f, photo, photo_len);
    f.meta.office_name = NULL;
    assert_int_equal(pdf_render_graduate_form(&f, &out), -EINVAL);
    assert_non_null(strstr(out.error, "office_name"));
}

static void test_name_too_long_for_its_fixed_cell_is_an_error_naming_it(void **state)
{
    struct pdf_graduate_form f;
    struct pdf_output out;
    char name[150 * 3 + 1] = "";
    for (int i = 0; i < 150; i++)
        strcat(name, "张");
    fixture_graduate_form(&f, photo, photo_len);
    f.name = name;
    assert_int_equal(pdf_render_graduate_form(&f, &out), -E2BIG);
    assert_null(out.data);
    assert_non_null(strstr(out.error, "姓名"));
    assert_non_null(strstr(out.error, "too long for its cell"));
}

static void test_fields_over_their_bounds_are_rejected(void **state)
{
    struct pdf_graduate_form f;
    struct pdf_output out;
    char *address = g_strnfill(PDF_FIELD_MAX_CHARS + 1, 'a');
    fixture_graduate_form(&f, photo, photo_len);
    f.address = address;
    assert_int_equal(pdf_render_graduate_form(&f, &out), -E2BIG);
    assert_non_null(strstr(out.error, "通讯地址"));
    g_free(address);

    char *sa = fixture_long_text(PDF_SELF_ASSESSMENT_MAX_CHARS + 1);
    fixture_graduate_form(&f, photo, photo_len);
    f.self_assessment = sa;
    assert_int_equal(pdf_render_graduate_form(&f, &out), -E2BIG);
    assert_non_null(strstr(out.error, "自我鉴定"));
    free(sa);

    struct pdf_resume_entry many[PDF_RESUME_MAX + 1];
    for (int i = 0; i <= PDF_RESUME_MAX; i++)
        many[i] = (struct pdf_resume_entry){"2001-01", "2002-01", "单位", NULL, NULL};
    fixture_graduate_form(&f, photo, photo_len);
    f.resume = many;
    f.resume_count = PDF_RESUME_MAX + 1;
    assert_int_equal(pdf_render_graduate_form(&f, &out), -E2BIG);
}

static void test_character_without_any_glyph_is_an_error_not_a_box(void **state)
{
    struct pdf_receipt r;
    struct pdf_output out;
    fixture_receipt(&r);
    r.payer_name = "张\xf4\x8f\xbf\xbd"; /* U+10FFFD, private use: no font has it */
    assert_int_equal(pdf_render_receipt(&r, &out), -ENOENT);
    assert_null(out.data);
    assert_non_null(strstr(out.error, "U+10FFFD"));
}

static void test_text_that_is_not_utf8_is_rejected(void **state)
{
    struct pdf_transfer_detail t;
    struct pdf_output out;
    fixture_transfer(&t);
    t.remarks = "\xd5\xc5\xc8\xfd"; /* GBK, not UTF-8 */
    assert_int_equal(pdf_render_transfer_detail(&t, &out), -EILSEQ);
    assert_non_null(strstr(out.error, "备注"));
}

static void test_exemption_allows_at_most_four_certificates(void **state)
{
    struct pdf_exemption_detail e;
    struct pdf_output out;
    struct pdf_exemption_cert certs[5];
    fixture_exemption(&e);
    for (int i = 0; i < 5; i++)
        certs[i] = e.certs[0];
    e.certs = certs;
    e.cert_count = 4;
    int rc = pdf_render_exemption_detail(&e, &out);
    if (rc != 0)
        fail_msg("render failed (%d): %s", rc, out.error);
    pdf_output_free(&out);
    e.cert_count = 5;
    assert_int_equal(pdf_render_exemption_detail(&e, &out), -EINVAL);
    e.cert_count = 0;
    assert_int_equal(pdf_render_exemption_detail(&e, &out), -EINVAL);
}

static void test_receipt_only_for_a_paid_order_with_positive_amount(void **state)
{
    struct pdf_receipt r;
    struct pdf_output out;
    fixture_receipt(&r);
    r.paid_at = 0;
    assert_int_equal(pdf_render_receipt(&r, &out), -EINVAL);
    assert_non_null(strstr(out.error, "paid"));
    fixture_receipt(&r);
    r.amount_fen = 0;
    assert_int_equal(pdf_render_receipt(&r, &out), -EINVAL);
    fixture_receipt(&r);
    r.amount_fen = 123405;
    assert_int_equal(pdf_render_receipt(&r, &out), 0);
    char *pdf = save_pdf(&out, "receipt_cents");
    char *t = page_text(pdf, 1, 1);
    assert_contains(t, "¥1234.05元");
    assert_contains(t, "人民币壹仟贰佰叁拾肆元零伍分");
    g_free(t);
    g_free(pdf);
    pdf_output_free(&out);
}

/* ---- determinism ---- */

static void test_output_is_byte_identical_across_runs_and_processes(void **state)
{
    for (size_t i = 0; i < 4; i++) {
        struct pdf_output a, b;
        assert_int_equal(render_fixture(fixture_names[i], &a), 0);
        assert_int_equal(render_fixture(fixture_names[i], &b), 0);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
        /* Another process: other addresses (ASLR), fresh caches, another
         * time zone and locale. */
        size_t len = 0;
        char *cmd = g_strdup_printf("TZ=America/New_York LC_ALL=C LANG=C /proc/%d/exe --render %s",
                                    (int)getpid(), fixture_names[i]);
        char *c = run(cmd, &len);
        assert_int_equal(len, a.len);
        assert_memory_equal(c, a.data, a.len);
        g_free(c);
        g_free(cmd);
        pdf_output_free(&a);
        pdf_output_free(&b);
    }
}

static void test_creation_date_comes_from_the_data_not_the_clock(void **state)
{
    struct pdf_output out;
    assert_int_equal(render_fixture("receipt", &out), 0);
    char *pdf = save_pdf(&out, "receipt_dates");
    char *cmd = g_strdup_printf("pdfinfo -isodates '%s'", pdf);
    char *info = run(cmd, NULL);
    /* As a reader sees it: meta.generated_at in Beijing time. */
    char *flat = strip_ws(info);
    assert_contains(flat, "CreationDate:2024-06-15T10:30:00+08");
    assert_contains(flat, "ModDate:2024-06-15T10:30:00+08");
    assert_contains(flat, "Subject:JF-20240615-00040001-");
    g_free(flat);
    g_free(info);
    g_free(cmd);
    g_free(pdf);
    pdf_output_free(&out);
}

struct thread_job {
    struct pdf_output out[3];
    int rc;
};

static void *render_thread(void *arg)
{
    struct thread_job *j = arg;
    for (int i = 0; i < 3 && j->rc == 0; i++)
        j->rc = render_fixture("graduate", &j->out[i]);
    return NULL;
}

static void test_renders_in_parallel_threads_match_serial_output(void **state)
{
    struct pdf_output ref;
    struct thread_job jobs[2];
    pthread_t th[2];
    assert_int_equal(render_fixture("graduate", &ref), 0);
    memset(jobs, 0, sizeof(jobs));
    for (int t = 0; t < 2; t++)
        assert_int_equal(pthread_create(&th[t], NULL, render_thread, &jobs[t]), 0);
    for (int t = 0; t < 2; t++) {
        assert_int_equal(pthread_join(th[t], NULL), 0);
        assert_int_equal(jobs[t].rc, 0);
        for (int i = 0; i < 3; i++) {
            assert_int_equal(jobs[t].out[i].len, ref.len);
            assert_memory_equal(jobs[t].out[i].data, ref.data, ref.len);
            pdf_output_free(&jobs[t].out[i]);
        }
    }
    pdf_output_free(&ref);
}

/* ---- pictures for a person ---- */

static void test_page_one_of_each_document_renders_to_png_artefact(void **state)
{
    for (size_t i = 0; i < 4; i++) {
        struct pdf_output out;
        assert_int_equal(render_fixture(fixture_names[i], &out), 0);
        char *pdf = save_pdf(&out, fixture_names[i]);
        char *prefix = g_strdup_printf("%s/%s-page1", artifact_dir(), fixture_names[i]);
        char *cmd =
            g_strdup_printf("pdftoppm -r 110 -png -f 1 -l 1 -singlefile '%s' '%s'", pdf, prefix);
        g_free(run(cmd, NULL));
        char *png = g_strdup_printf("%s.png", prefix);
        gchar *data = NULL;
        gsize len = 0;
        assert_true(g_file_get_contents(png, &data, &len, NULL));
        assert_memory_equal(data, "\x89PNG", 4);
        assert_true(len > 20000); /* a page with text, not a blank one */
        print_message("artefact: %s\n", png);
        g_free(data);
        g_free(png);
        g_free(cmd);
        g_free(prefix);
        g_free(pdf);
        pdf_output_free(&out);
    }
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--render") == 0) {
        struct pdf_output out;
        photo = fixture_photo(&photo_len);
        int rc = render_fixture(argv[2], &out);
        if (rc != 0) {
            fprintf(stderr, "render %s: %s\n", argv[2], out.error);
            return 1;
        }
        fwrite(out.data, 1, out.len, stdout);
        pdf_output_free(&out);
        free(photo);
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_graduate_form_renders_two_pages_with_all_fields),
        cmocka_unit_test(test_graduate_form_embeds_the_photo_as_jpeg),
        cmocka_unit_test(
            test_graduate_form_says_two_copies_to_the_chosen_district_or_the_application_is_void),
        cmocka_unit_test(test_empty_self_assessment_leaves_a_ruled_box_to_write_by_hand),
        cmocka_unit_test(test_exemption_detail_renders_certificates_and_status),
        cmocka_unit_test(test_transfer_detail_renders_the_transfer_row),
        cmocka_unit_test(test_receipt_prints_amount_in_yuan_and_capitals_with_masked_id),
        cmocka_unit_test(test_every_font_is_embedded_as_a_subset),
        cmocka_unit_test(test_font_that_is_not_installed_is_an_error_not_a_substitute),
        cmocka_unit_test(test_self_assessment_of_2000_chars_flows_to_next_page_uncut),
        cmocka_unit_test(test_long_resume_continues_on_next_page_with_head_repeated),
        cmocka_unit_test(test_missing_photo_is_a_clear_error),
        cmocka_unit_test(test_truncated_photo_is_a_clear_error),
        cmocka_unit_test(test_photo_that_is_not_an_image_is_a_clear_error),
        cmocka_unit_test(test_cmyk_jpeg_photo_is_refused_with_a_reason),
        cmocka_unit_test(test_oversized_jpeg_photo_is_scaled_to_600x800),
        cmocka_unit_test(test_png_photo_is_accepted_and_embedded_as_jpeg),
        cmocka_unit_test(test_missing_required_field_is_named_in_the_error),
        cmocka_unit_test(test_name_too_long_for_its_fixed_cell_is_an_error_naming_it),
        cmocka_unit_test(test_fields_over_their_bounds_are_rejected),
        cmocka_unit_test(test_character_without_any_glyph_is_an_error_not_a_box),
        cmocka_unit_test(test_text_that_is_not_utf8_is_rejected),
        cmocka_unit_test(test_exemption_allows_at_most_four_certificates),
        cmocka_unit_test(test_receipt_only_for_a_paid_order_with_positive_amount),
        cmocka_unit_test(test_output_is_byte_identical_across_runs_and_processes),
        cmocka_unit_test(test_creation_date_comes_from_the_data_not_the_clock),
        cmocka_unit_test(test_renders_in_parallel_threads_match_serial_output),
        cmocka_unit_test(test_page_one_of_each_document_renders_to_png_artefact),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
